//! Progress of a Slurm submission: the state of every submitted array task.
//!
//! Sources, best first: the run manifest (a task that recorded itself there has finished), the
//! Slurm controller (`squeue --states=all --array`, which also lists ended tasks for `MinJobAge`
//! seconds), accounting (`sacct`, when the cluster has it) and the failure markers the tasks
//! write to `OUT/.slurm/failed/`. An element cancelled while pending leaves its array without a
//! record: it is reported `CANCELLED` while the array's other elements are still known, else (and
//! for anything else none of the sources knows) as `ENDED (no record)`. Pending tasks behind a
//! failed or blocked array are blocked: the chain's `afterok` can no longer be met.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zwilling_core::Result;

use super::{command, failed_marker, load_submitted, Submitted};
use crate::pipeline::manifest::Manifest;

/// One submitted array task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskState {
    /// Stage (job array).
    pub stage: String,
    /// Manifest id of the task (empty for submissions made before ids were recorded).
    pub id: String,
    /// Slurm job id of the array.
    pub job_id: String,
    /// Array index.
    pub index: usize,
    /// `FINISHED` (in the manifest), or the Slurm state (`PENDING`, `RUNNING`, `FAILED`,
    /// `CANCELLED`, `TIMEOUT`, `OUT_OF_MEMORY`, …).
    pub state: String,
    /// Why it waits (Slurm's reason), when pending.
    pub reason: String,
    /// The task's log file.
    pub log: PathBuf,
    /// The error the task recorded, if it failed inside zwilling.
    pub error: Option<String>,
}

/// Slurm states of a task that has not ended yet.
const LIVE: [&str; 7] = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"];

impl TaskState {
    /// True when the task ended without finishing (failed, cancelled, timed out, killed, …).
    pub fn failed(&self) -> bool {
        !self.blocked() && !self.done() && !LIVE.contains(&self.state.as_str())
    }

    /// True when the task finished (in the manifest, or COMPLETED by Slurm).
    pub fn done(&self) -> bool {
        self.state == "FINISHED" || self.state == "COMPLETED"
    }

    /// True when the task waits on a dependency that can no longer be met (a task before it failed).
    pub fn blocked(&self) -> bool {
        self.state == "PENDING" && self.reason.contains("DependencyNeverSatisfied")
    }
}

/// The log file of array task `index` of `sub`.
pub fn log_path(sub: &Submitted, index: usize) -> PathBuf {
    PathBuf::from(sub.log.display().to_string().replace("%A", &sub.job_id).replace("%a", &index.to_string()))
}

/// Parses `squeue -h -r -o %F|%K|%T|%r` or `sacct -n -P -X -o JobID,State` output into
/// `(job id, index) → (state, reason)`. Array records still combined (`12_[3-7]`, `3-7%2`) are
/// expanded; the first state word is kept (`CANCELLED by 0` → `CANCELLED`).
pub fn parse_states(text: &str) -> HashMap<(String, usize), (String, String)> {
    let mut m = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.trim().split('|').collect();
        let (job, tasks, state, reason) = match f.len() {
            2 => match f[0].split_once('_') {
                Some((j, t)) => (j, t, f[1], ""),
                None => continue,
            },
            n if n >= 4 => (f[0], f[1], f[2], f[3]),
            _ => continue,
        };
        let state = state.split_whitespace().next().unwrap_or_default().to_string();
        let tasks = tasks.trim_start_matches('[').trim_end_matches(']');
        let tasks = tasks.split('%').next().unwrap_or_default();
        for part in tasks.split(',') {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) else { continue };
            for k in a..=b.min(a + 1_000_000) {
                m.insert((job.to_string(), k), (state.clone(), reason.to_string()));
            }
        }
    }
    m
}

/// The state of every task of the last Slurm submission to `out` (empty when there was none).
pub fn task_states(out: &Path) -> Result<Vec<TaskState>> {
    let submitted = load_submitted(out)?;
    if submitted.is_empty() {
        return Ok(vec![]);
    }
    let manifest = Manifest::load(out)?;
    let ids: Vec<String> = submitted.iter().map(|s| s.job_id.clone()).collect();
    let list = ids.join(",");
    let mut known = command(
        "squeue",
        &[
            "-h".into(),
            "-r".into(),
            "--states=all".into(),
            "-o".into(),
            "%F|%K|%T|%r".into(),
            "-j".into(),
            list.clone(),
        ],
    )
    .map(|t| parse_states(&t))
    .unwrap_or_default();
    let missing = submitted.iter().any(|s| s.indices.iter().any(|&k| !known.contains_key(&(s.job_id.clone(), k))));
    if missing {
        let acct = ["-n", "-P", "-X", "-o", "JobID,State", "-j"].iter().map(|s| s.to_string()).chain([list]);
        if let Ok(t) = command("sacct", &acct.collect::<Vec<_>>()) {
            for (k, v) in parse_states(&t) {
                known.entry(k).or_insert(v);
            }
        }
    }
    Ok(classify(out, &submitted, &manifest, &known))
}

/// The task states from what the manifest and Slurm (`known`: `(job id, index) → (state, reason)`) say.
pub fn classify(
    out: &Path,
    submitted: &[Submitted],
    manifest: &Manifest,
    known: &HashMap<(String, usize), (String, String)>,
) -> Vec<TaskState> {
    let mut v = vec![];
    // The arrays form one afterok chain: behind an array with a failed or blocked task, every
    // pending task is blocked (Slurm marks only the next array `DependencyNeverSatisfied`).
    let mut chain_broken = false;
    for sub in submitted {
        // Slurm keeps no record of an array element cancelled while pending: it just leaves the
        // array. While other elements of the array are still known, a missing one was cancelled.
        let array_known = known.keys().any(|(job, _)| job == &sub.job_id);
        for (pos, &index) in sub.indices.iter().enumerate() {
            let id = sub.ids.get(pos).cloned().unwrap_or_default();
            let finished =
                !id.is_empty() && manifest.steps.get(&id).is_some_and(|r| r.outputs.iter().all(|o| o.exists()));
            let error = (!id.is_empty())
                .then(|| std::fs::read_to_string(failed_marker(out, &id)).ok())
                .flatten()
                .map(|t| t.trim().to_string());
            let slurm = known.get(&(sub.job_id.clone(), index));
            let live = slurm.is_some_and(|(s, _)| LIVE.contains(&s.as_str()));
            let (state, reason) = match slurm {
                // A task in the manifest from an earlier run may be queued again (changed inputs).
                _ if finished && !live => ("FINISHED".to_string(), String::new()),
                Some((s, r)) => (s.clone(), r.clone()),
                None if error.is_some() => ("FAILED".to_string(), String::new()),
                None if array_known => ("CANCELLED".to_string(), "cancelled while pending".to_string()),
                None => ("ENDED (no record)".to_string(), String::new()),
            };
            let mut reason = if reason == "None" { String::new() } else { reason };
            if chain_broken && state == "PENDING" {
                reason = "DependencyNeverSatisfied".to_string();
            }
            v.push(TaskState {
                stage: sub.stage.clone(),
                id,
                job_id: sub.job_id.clone(),
                index,
                state,
                reason,
                log: log_path(sub, index),
                error,
            });
        }
        chain_broken |= v.iter().any(|t| t.job_id == sub.job_id && (t.failed() || t.blocked()));
    }
    v
}

/// Text for `zwilling status`: one line per stage, then every task that failed, with its log.
pub fn summary(states: &[TaskState]) -> String {
    let mut stages: Vec<&str> = vec![];
    for s in states {
        if !stages.contains(&s.stage.as_str()) {
            stages.push(&s.stage);
        }
    }
    let count = |of: &[&TaskState], f: &dyn Fn(&TaskState) -> bool| of.iter().filter(|s| f(s)).count();
    let all: Vec<&TaskState> = states.iter().collect();
    let finished = count(&all, &|s| s.done());
    let (failed, blocked) = (count(&all, &|s| s.failed()), count(&all, &|s| s.blocked()));
    let mut t = format!(
        "Slurm: {} job arrays, {} array tasks: {finished} finished, {failed} failed, {blocked} blocked by a failure, {} queued or running\n",
        stages.len(),
        states.len(),
        states.len() - finished - failed - blocked
    );
    t += &format!(
        "  {:<20} {:>8} {:>9} {:>8} {:>8} {:>7} {:>8}\n",
        "stage", "job", "finished", "running", "pending", "failed", "blocked"
    );
    for stage in stages {
        let of: Vec<&TaskState> = states.iter().filter(|s| s.stage == stage).collect();
        t += &format!(
            "  {:<20} {:>8} {:>9} {:>8} {:>8} {:>7} {:>8}\n",
            stage,
            of[0].job_id,
            format!("{}/{}", count(&of, &|s| s.done()), of.len()),
            count(&of, &|s| s.state == "RUNNING" || s.state == "COMPLETING"),
            count(&of, &|s| s.state == "PENDING" && !s.blocked()),
            count(&of, &|s| s.failed()),
            count(&of, &|s| s.blocked())
        );
    }
    for s in states.iter().filter(|s| s.failed()) {
        t += &format!("  failed: {:<24} job {}_{} {}, log {}\n", s.id, s.job_id, s.index, s.state, s.log.display());
        if let Some(e) = &s.error {
            t += &format!("          error: {e}\n");
        }
    }
    if failed + blocked > 0 {
        t += "  resubmit what did not finish with: zwilling run PIPELINE --executor slurm --retry-failed\n";
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_and_sacct_lines_parse() {
        // Formats as printed by Slurm 22.05 (squeue -r --states=all -o '%F|%K|%T|%r', and sacct -P -X -o JobID,State).
        let q = "20|5|CANCELLED|None\n20|0|COMPLETED|None\n21|2-7%2|PENDING|DependencyNeverSatisfied\n";
        let m = parse_states(q);
        assert_eq!(m[&("20".to_string(), 5)], ("CANCELLED".to_string(), "None".to_string()));
        assert_eq!(m.len(), 2 + 6);
        assert_eq!(m[&("21".to_string(), 7)].1, "DependencyNeverSatisfied");
        let a = parse_states("30_1|FAILED\n30_[2-3]|CANCELLED by 0\n31|COMPLETED\n");
        assert_eq!(m.get(&("31".to_string(), 0)), None);
        assert_eq!(a[&("30".to_string(), 3)].0, "CANCELLED");
        assert_eq!(a[&("30".to_string(), 1)].0, "FAILED");
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn a_cancelled_element_blocks_the_rest_of_the_chain() {
        // What squeue printed on Slurm 22.05 after `scancel 2_2` of a pending array element:
        // the element is gone; only the next array waits `DependencyNeverSatisfied`, the one
        // after it plain `Dependency`.
        let dir = tempfile::tempdir().unwrap();
        let sub = |stage: &str, job: &str, n: usize| Submitted {
            stage: stage.into(),
            job_id: job.into(),
            indices: (0..n).collect(),
            log: dir.path().join(format!("{stage}-%A_%a.log")),
            ids: (0..n).map(|k| format!("{stage}/{k}")).collect(),
        };
        let submitted = [sub("a", "1", 1), sub("b", "2", 4), sub("c", "3", 2), sub("d", "4", 1)];
        let known = parse_states(
            "1|N/A|COMPLETED|None\n2|0|COMPLETED|None\n2|1|RUNNING|None\n2|3|COMPLETED|None\n\
             3|0|PENDING|DependencyNeverSatisfied\n3|1|PENDING|DependencyNeverSatisfied\n4|0|PENDING|Dependency\n",
        );
        let mut manifest = Manifest::default();
        let out = dir.path().join("x.tif");
        std::fs::write(&out, b"x").unwrap();
        for id in ["a/0", "b/0", "b/3"] {
            let rec =
                crate::pipeline::manifest::StepRecord { hash: "h".into(), outputs: vec![out.clone()], seconds: 1.0 };
            manifest.steps.insert(id.into(), rec);
        }
        let st = classify(dir.path(), &submitted, &manifest, &known);
        let by_id = |id: &str| st.iter().find(|t| t.id == id).unwrap();
        // Job 1 is no array (squeue prints N/A): the manifest says finished.
        assert!(by_id("a/0").done());
        assert_eq!((by_id("b/1").state.as_str(), by_id("b/1").failed()), ("RUNNING", false));
        assert_eq!(by_id("b/2").state, "CANCELLED");
        assert!(by_id("b/2").failed());
        assert!(by_id("c/1").blocked());
        assert!(by_id("d/0").blocked(), "pending behind a blocked array");
        assert_eq!(by_id("b/2").log, dir.path().join("b-2_2.log"));
    }

    #[test]
    fn summary_lists_failed_tasks_with_logs() {
        let task = |index: usize, state: &str, reason: &str| TaskState {
            stage: "hydro/fill-final".into(),
            id: format!("hydro/fill-final/{index}"),
            job_id: "20".into(),
            index,
            state: state.into(),
            reason: reason.into(),
            log: format!("/o/.slurm/logs/hydro-fill-final-20_{index}.log").into(),
            error: None,
        };
        let s = summary(&[task(0, "FINISHED", ""), task(1, "CANCELLED", ""), task(2, "PENDING", "Dependency")]);
        assert!(s.contains("3 array tasks: 1 finished, 1 failed, 0 blocked by a failure, 1 queued or running"));
        assert!(s.contains("failed: hydro/fill-final/1"));
        assert!(s.contains("job 20_1 CANCELLED, log /o/.slurm/logs/hydro-fill-final-20_1.log"));
        assert!(!s.contains("failed: hydro/fill-final/2"));
        let s = summary(&[task(1, "TIMEOUT", ""), task(2, "PENDING", "DependencyNeverSatisfied")]);
        assert!(s.contains("2 array tasks: 0 finished, 1 failed, 1 blocked by a failure, 0 queued or running"));
        assert!(s.contains("--retry-failed"));
    }
}
