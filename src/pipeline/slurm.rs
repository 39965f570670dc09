//! Cluster executors: the pipeline plan as Slurm job arrays (`--executor slurm`) or as
//! Kubernetes Indexed Jobs (`--executor k8s-manifest`, see [`k8s`]).
//!
//! The plan is cut into **jobs** (one per stage, in stage order) of **tasks** (one per step of the
//! stage: a cloud, a product, a tile). A Slurm job is an array (`sbatch --array=…`), each array
//! task runs `zwilling run PIPELINE --step STAGE --task I` on a node; jobs are chained with
//! `--dependency=afterok:<previous>`. The output folder on the shared file system is the only
//! state: a finished task records itself in `manifest.json` (under a file lock, since tasks of an
//! array finish concurrently) with the same hash as the local executor, so a rerun — local or
//! Slurm — skips it. Scripts, logs and the submitted job ids live in `OUT/.slurm/`.
//!
//! `--retry-failed` lists the tasks of the last submission that did not finish (with the tail of
//! their logs and the Slurm state from `sacct` when accounting is on), cancels that
//! submission's jobs that still wait on a dependency that can no longer be met, and submits again:
//! only unfinished tasks become array indices.
//!
//! With `--hydro-tiles CxR` the DTM is also cut into `C × R` tiles and filled, routed (D8) and
//! accumulated tile-parallel ([`hydro`], after Barnes 2016 and 2017, crate `zwilling-tiled`):
//! `OUT/hydro/{filled,d8,accumulation}.tif` equal, byte for byte, what `zwilling rain fill` and
//! `zwilling rain flow --direction-tif --accumulation-tif` write for the whole DTM on one machine.

pub mod hydro;
pub mod k8s;
pub mod state;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};

use super::manifest::{hash_after_run, step_hash, Manifest, StepRecord};
use super::{plan, report, Config, Step, StepSummary};

/// What one task does.
#[derive(Debug, Clone)]
pub enum Work {
    /// A pipeline step (run in-process as its `zwilling` command line).
    Step(Step),
    /// A tile-parallel hydrology task.
    Hydro(hydro::HydroTask),
}

/// One array task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Manifest id (`stage/name`, or `hydro/<stage>/<tile>`).
    pub id: String,
    /// The work.
    pub work: Work,
    /// Files read (for the manifest hash).
    pub inputs: Vec<PathBuf>,
    /// Files written.
    pub outputs: Vec<PathBuf>,
}

impl Task {
    /// The command line that enters the manifest hash.
    fn argv(&self) -> Vec<String> {
        match &self.work {
            Work::Step(s) => s.argv.clone(),
            Work::Hydro(h) => h.hash_argv(&self.id),
        }
    }

    fn hash(&self) -> String {
        step_hash(&self.argv(), &self.inputs)
    }
}

/// One Slurm job array / Kubernetes Indexed Job: a run of consecutive tasks of one stage.
#[derive(Debug, Clone)]
pub struct Job {
    /// Unique id in the plan, what `--step` names: the stage name for the stage's first job,
    /// `<stage>-2`, `<stage>-3`, … for later jobs of the same stage (a stage can appear twice in
    /// the chain: without a `[grid]` section, `grid/dtm-rain` makes the simulation's coarser DTM
    /// after `road`; with one, that DTM is a product of the one `grid` step).
    pub id: String,
    /// Stage name (`ground`, `grid`, …, `hydro/fill-pass`, …).
    pub stage: String,
    /// Tasks; array index = position.
    pub tasks: Vec<Task>,
}

/// The cluster plan: the pipeline's steps grouped by stage, with the tile-parallel hydrology
/// stages after `grid` when `hydro_tiles` is given.
pub fn jobs(cfg: &Config, hydro_tiles: Option<hydro::TileCount>) -> Result<Vec<Job>> {
    let steps = plan(cfg)?;
    let mut jobs: Vec<Job> = vec![];
    for st in steps {
        let task = Task {
            id: st.id.clone(),
            inputs: st.inputs.clone(),
            outputs: st.outputs.clone(),
            work: Work::Step(st.clone()),
        };
        match jobs.last_mut() {
            Some(j) if j.stage == st.stage => j.tasks.push(task),
            _ => jobs.push(Job { id: String::new(), stage: st.stage.to_string(), tasks: vec![task] }),
        }
    }
    if let Some(tiles) = hydro_tiles {
        let dtm = cfg
            .input
            .dem
            .clone()
            .or_else(|| {
                cfg.stage("grid").and_then(|g| {
                    let products = g.list("products").unwrap_or_else(|| vec!["dtm".into()]);
                    products.iter().any(|p| p == "dtm").then(|| cfg.out.join("rasters").join("dtm.tif"))
                })
            })
            .ok_or_else(|| {
                Error::bad_file(&cfg.path, "--hydro-tiles needs a DTM: [grid] with product dtm, or [input] dem")
            })?;
        let at = jobs.iter().position(|j| j.stage == "grid").map(|k| k + 1).unwrap_or(0);
        let hydro_jobs = hydro::jobs(&cfg.out, &dtm, tiles);
        jobs.splice(at..at, hydro_jobs);
    }
    assign_job_ids(&mut jobs);
    Ok(jobs)
}

/// Gives every job its unique [`Job::id`]: the stage name, with `-2`, `-3`, … appended to the
/// second, third, … job of the same stage.
fn assign_job_ids(jobs: &mut [Job]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for j in jobs {
        let n = seen.entry(j.stage.clone()).or_insert(0);
        *n += 1;
        j.id = if *n == 1 { j.stage.clone() } else { format!("{}-{n}", j.stage) };
    }
}

/// Records a finished task in `manifest.json` under an exclusive lock on `OUT/.manifest.lock`.
pub fn record_done(out: &Path, id: &str, rec: StepRecord) -> Result<()> {
    let lock_path = out.join(".manifest.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;
    let mut m = Manifest::load(out)?;
    m.steps.insert(id.to_string(), rec);
    let r = m.save(out);
    let _ = lock.unlock();
    r
}

fn failed_marker(out: &Path, id: &str) -> PathBuf {
    out.join(".slurm").join("failed").join(format!("{}.txt", id.replace('/', "__")))
}

/// Runs array task `index` of the job with id `job_id` ([`Job::id`]; the entry point
/// `zwilling run … --step JOB --task I`).
pub fn run_task(cfg: &Config, hydro_tiles: Option<hydro::TileCount>, job_id: &str, index: usize) -> Result<()> {
    let all = jobs(cfg, hydro_tiles)?;
    let job = find_job(&all, job_id)?;
    let task = job.tasks.get(index).ok_or_else(|| {
        Error::invalid(format!("job {job_id} has {} tasks, there is no task {index}", job.tasks.len()))
    })?;
    let hash = task.hash();
    if Manifest::load(&cfg.out)?.is_done(&task.id, &hash) {
        if !crate::progress::quiet() {
            eprintln!("{}: finished by an earlier run, skipped", task.id);
        }
        return Ok(());
    }
    for o in &task.outputs {
        if let Some(d) = o.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
    }
    let marker = failed_marker(&cfg.out, &task.id);
    let _ = std::fs::remove_file(&marker);
    if !crate::progress::quiet() {
        eprintln!("{}: running on {}", task.id, hostname());
    }
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let result = match &task.work {
        Work::Step(step) if step.stage == "report" => {
            let steps = plan(cfg)?;
            let m = Manifest::load(&cfg.out)?;
            let done: Vec<StepSummary> = steps
                .iter()
                .filter_map(|s| {
                    m.steps.get(&s.id).map(|r| StepSummary {
                        id: s.id.clone(),
                        status: "done",
                        seconds: r.seconds,
                        points_per_second: None,
                        outputs: r.outputs.clone(),
                    })
                })
                .collect();
            report::write(cfg, &steps, &done)
        }
        Work::Step(step) => {
            let mut argv = vec!["zwilling".to_string(), "-q".to_string()];
            argv.extend(step.argv.iter().cloned());
            crate::cmd::Cli::try_parse_from(&argv)
                .map_err(|e| Error::invalid(format!("step {}: {e}", step.id)))
                .and_then(crate::cmd::run)
        }
        Work::Hydro(h) => hydro::run(h),
    };
    match result {
        Ok(()) => {
            let seconds = t.elapsed().as_secs_f64();
            // The same rule as the local executor: a task that rewrote its own input records the hash after.
            let hash = hash_after_run(&task.argv(), &task.inputs, &task.outputs, hash);
            record_done(&cfg.out, &task.id, StepRecord { hash, outputs: task.outputs.clone(), seconds })?;
            if !crate::progress::quiet() {
                // In the task's log (the overhead benchmark sums these).
                eprintln!("{}: done in {seconds:.3} s wall, {:.3} s CPU", task.id, cpu_seconds() - cpu0);
            }
            Ok(())
        }
        Err(e) => {
            if let Some(d) = marker.parent() {
                let _ = std::fs::create_dir_all(d);
            }
            let _ = std::fs::write(&marker, format!("{e}\n"));
            Err(Error::invalid(format!("task {} failed: {e}", task.id)))
        }
    }
}

/// The job with id `job_id` in `jobs`.
fn find_job<'a>(jobs: &'a [Job], job_id: &str) -> Result<&'a Job> {
    jobs.iter().find(|j| j.id == job_id).ok_or_else(|| {
        let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        Error::invalid(format!("no job '{job_id}' in this plan (jobs: {})", ids.join(", ")))
    })
}

/// User + system CPU time of this process so far (s), from `/proc/self/stat` (fields 14 and 15,
/// in clock ticks of 1/100 s, the Linux `USER_HZ`); 0 where that file does not exist.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    let rest = stat.rsplit_once(')').map(|r| r.1).unwrap_or_default();
    let f: Vec<f64> = rest.split_whitespace().skip(11).take(2).filter_map(|v| v.parse().ok()).collect();
    f.iter().sum::<f64>() / 100.0
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// Resources asked of Slurm.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (e.g. `2:00:00`).
    pub time: Option<String>,
    /// `--cpus-per-task`; zwilling uses that many threads.
    pub cpus_per_task: Option<usize>,
    /// Resubmit the unfinished tasks of the last submission.
    pub retry_failed: bool,
    /// Block until every submitted job has ended, then report.
    pub wait: bool,
    /// Tile-parallel hydrology.
    pub hydro_tiles: Option<hydro::TileCount>,
}

/// A submitted job array.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submitted {
    /// The plan's job id ([`Job::id`]: the stage name, made unique).
    pub stage: String,
    /// Slurm job id.
    pub job_id: String,
    /// Array indices submitted.
    pub indices: Vec<usize>,
    /// Array log file pattern.
    pub log: PathBuf,
    /// Manifest ids of the tasks, in the order of `indices`.
    #[serde(default)]
    pub ids: Vec<String>,
}

fn slurm_dir(out: &Path) -> PathBuf {
    out.join(".slurm")
}

fn command(program: &str, args: &[String]) -> Result<String> {
    let o = Command::new(program).args(args).output().map_err(|e| {
        Error::invalid(format!("cannot run `{program}` ({e}): is Slurm installed and on PATH on this node?"))
    })?;
    if !o.status.success() {
        return Err(Error::invalid(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&o.stdout).to_string())
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    zwilling_io::write_atomic(path, text.as_bytes())
}

/// Loads the jobs of the last submission.
pub fn load_submitted(out: &Path) -> Result<Vec<Submitted>> {
    let p = slurm_dir(out).join("jobs.json");
    match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| Error::bad_file(&p, format!("damaged job list: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(e) => Err(Error::io(&p, e)),
    }
}

/// `(job id, state, reason)` of the queued jobs among `ids`.
fn queued(ids: &[String]) -> Result<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let text = command("squeue", &["-h".into(), "-o".into(), "%A|%T|%r".into(), "-j".into(), ids.join(",")])
        .or_else(|e| if e.to_string().contains("Invalid job id") { Ok(String::new()) } else { Err(e) })?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut p = l.split('|');
            Some((p.next()?.to_string(), p.next()?.to_string(), p.next()?.to_string()))
        })
        .collect())
}

/// Tasks of the plan that have not finished: `(job id, index, task id)`.
pub fn unfinished(cfg: &Config, jobs: &[Job]) -> Result<Vec<(String, usize, String)>> {
    let m = Manifest::load(&cfg.out)?;
    let mut v = vec![];
    for j in jobs {
        for (k, t) in j.tasks.iter().enumerate() {
            if !m.is_done(&t.id, &t.hash()) {
                v.push((j.id.clone(), k, t.id.clone()));
            }
        }
    }
    Ok(v)
}

/// Submits the plan (or, with `retry_failed`, what is left of it) as chained job arrays.
pub fn submit(cfg: &Config, config_path: &Path, opts: &SlurmOptions) -> Result<Vec<Submitted>> {
    let dir = slurm_dir(&cfg.out);
    for d in [dir.clone(), dir.join("logs"), dir.join("failed"), cfg.out.join("ground"), cfg.out.join("rasters")] {
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    let previous = load_submitted(&cfg.out)?;
    let prev_ids: Vec<String> = previous.iter().map(|s| s.job_id.clone()).collect();
    let live = queued(&prev_ids)?;
    if opts.retry_failed {
        report_failures(&cfg.out)?;
        // Dependants of a failed array can never start: cancel them (they are ours).
        let stuck: Vec<String> =
            live.iter().filter(|(_, state, _)| state == "PENDING").map(|(id, _, _)| id.clone()).collect();
        let running: Vec<&String> =
            live.iter().filter(|(_, state, _)| state != "PENDING").map(|(id, _, _)| id).collect();
        if !running.is_empty() {
            return Err(Error::invalid(format!(
                "jobs {:?} of the last submission are still running; wait for them before --retry-failed",
                running
            )));
        }
        if !stuck.is_empty() {
            eprintln!("cancelling pending jobs of the last submission: {}", stuck.join(" "));
            command("scancel", &stuck)?;
        }
    } else if !live.is_empty() {
        return Err(Error::invalid(format!(
            "jobs {} of an earlier submission to {} are still queued or running: wait for them \
             (`zwilling status {}`), or cancel them, or use --retry-failed after they end",
            live.iter().map(|l| l.0.as_str()).collect::<Vec<_>>().join(", "),
            cfg.out.display(),
            cfg.out.display()
        )));
    }
    let jobs = jobs(cfg, opts.hydro_tiles)?;
    let todo = unfinished(cfg, &jobs)?;
    let exe = std::env::current_exe().map_err(|e| Error::invalid(format!("cannot find the zwilling binary: {e}")))?;
    let config_abs = std::fs::canonicalize(config_path).map_err(|e| Error::io(config_path, e))?;
    let mut submitted: Vec<Submitted> = vec![];
    for job in &jobs {
        // Once a stage is (re)submitted, every later stage goes too: its inputs will change. The
        // tasks themselves skip work the manifest lists as finished when they run.
        let indices: Vec<usize> = if submitted.is_empty() {
            todo.iter().filter(|t| t.0 == job.id).map(|t| t.1).collect()
        } else {
            (0..job.tasks.len()).collect()
        };
        if indices.is_empty() {
            continue;
        }
        let name = job.id.replace('/', "-");
        let log = dir.join("logs").join(format!("{name}-%A_%a.log"));
        let mut script = String::from("#!/bin/bash\n");
        script += &format!("#SBATCH --job-name=zw-{name}\n#SBATCH --output={}\n", log.display());
        script += &format!("#SBATCH --array={}\n", ranges(&indices));
        if let Some(p) = &opts.partition {
            script += &format!("#SBATCH --partition={p}\n");
        }
        if let Some(t) = &opts.time {
            script += &format!("#SBATCH --time={t}\n");
        }
        if let Some(c) = opts.cpus_per_task {
            script += &format!("#SBATCH --cpus-per-task={c}\n");
        }
        let hydro = opts.hydro_tiles.map(|t| format!(" {}", t.task_args().join(" "))).unwrap_or_default();
        script += &format!(
            "exec {} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" run {} --step {} --task \"$SLURM_ARRAY_TASK_ID\"{hydro}\n",
            shell_quote(&exe.display().to_string()),
            shell_quote(&config_abs.display().to_string()),
            job.id
        );
        let script_path = dir.join(format!("{name}.sh"));
        write_atomic(&script_path, &script)?;
        let mut args = vec!["--parsable".to_string()];
        if let Some(prev) = submitted.last() {
            args.push(format!("--dependency=afterok:{}", prev.job_id));
        }
        args.push(script_path.display().to_string());
        let id = command("sbatch", &args)?.trim().split(';').next().unwrap_or_default().to_string();
        eprintln!("submitted {:<20} job {id}, array {}", job.id, ranges(&indices));
        let ids = indices.iter().map(|&k| job.tasks[k].id.clone()).collect();
        submitted.push(Submitted { stage: job.id.clone(), job_id: id, indices, log, ids });
        write_atomic(&dir.join("jobs.json"), &serde_json::to_string_pretty(&submitted).expect("plain JSON"))?;
    }
    if submitted.is_empty() {
        eprintln!("every task has finished: nothing to submit");
    }
    if opts.wait {
        wait_for(&cfg.out)?;
        let left = unfinished(cfg, &jobs)?;
        if !left.is_empty() {
            report_failures(&cfg.out)?;
            return Err(Error::invalid(format!(
                "{} tasks did not finish; resubmit them with --retry-failed",
                left.len()
            )));
        }
        eprintln!("all {} tasks finished", jobs.iter().map(|j| j.tasks.len()).sum::<usize>());
    }
    Ok(submitted)
}

/// Polls Slurm until no task of the last submission to `out` runs or can still run (every task
/// finished, failed, or is blocked behind a failed one).
fn wait_for(out: &Path) -> Result<()> {
    loop {
        let states = state::task_states(out)?;
        if states.iter().all(|t| t.done() || t.failed() || t.blocked()) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Prints the tasks of the last submission to `out` that failed, with their Slurm state, log
/// file, the log's last lines and the error zwilling recorded; and how many are blocked by them.
fn report_failures(out: &Path) -> Result<()> {
    let states = state::task_states(out)?;
    for t in states.iter().filter(|t| t.failed()) {
        eprintln!("failed: {} (job {}_{}, {}), log {}", t.id, t.job_id, t.index, t.state, t.log.display());
        if let Ok(text) = std::fs::read_to_string(&t.log) {
            for l in text.lines().rev().take(3).collect::<Vec<_>>().into_iter().rev() {
                eprintln!("    {l}");
            }
        }
        if let Some(e) = &t.error {
            eprintln!("    error: {e}");
        }
    }
    let blocked = states.iter().filter(|t| t.blocked()).count();
    if blocked > 0 {
        eprintln!("{blocked} tasks wait on a dependency that can no longer be met");
    }
    Ok(())
}

/// `0-3,5,7-8` from sorted indices.
pub fn ranges(idx: &[usize]) -> String {
    let mut parts = vec![];
    let mut k = 0;
    while k < idx.len() {
        let start = idx[k];
        while k + 1 < idx.len() && idx[k + 1] == idx[k] + 1 {
            k += 1;
        }
        parts.push(if idx[k] == start { start.to_string() } else { format!("{start}-{}", idx[k]) });
        k += 1;
    }
    parts.join(",")
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 3, 5, 7, 8]), "0-3,5,7-8");
        assert_eq!(ranges(&[4]), "4");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn concurrent_records_all_land_in_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            for k in 0..16 {
                let out = dir.path();
                s.spawn(move || {
                    let rec = StepRecord { hash: format!("h{k}"), outputs: vec![], seconds: 0.0 };
                    record_done(out, &format!("hydro/fill-pass/{k}"), rec).unwrap();
                });
            }
        });
        assert_eq!(Manifest::load(dir.path()).unwrap().steps.len(), 16);
    }

    #[test]
    fn jobs_of_a_repeated_stage_get_unique_ids_and_are_found_by_them() {
        // The chain ground → grid → road → grid (grid/dtm-rain) → rain has two `grid` jobs: task
        // 0 of the second must be grid/dtm-rain, not grid/dtm (the bug when jobs were looked up
        // by stage name).
        let job = |stage: &str, tasks: &[&str]| Job {
            id: String::new(),
            stage: stage.into(),
            tasks: tasks
                .iter()
                .map(|&id| Task {
                    id: id.into(),
                    work: Work::Step(Step {
                        id: id.into(),
                        stage: "x",
                        argv: vec![],
                        inputs: vec![],
                        outputs: vec![],
                        points: 0,
                    }),
                    inputs: vec![],
                    outputs: vec![],
                })
                .collect(),
        };
        let mut jobs = vec![
            job("ground", &["ground/a"]),
            job("grid", &["grid/dtm", "grid/dsm"]),
            job("road", &["road/sections"]),
            job("grid", &["grid/dtm-rain"]),
            job("rain", &["rain/simulate"]),
        ];
        assign_job_ids(&mut jobs);
        let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["ground", "grid", "road", "grid-2", "rain"]);
        assert_eq!(find_job(&jobs, "grid-2").unwrap().tasks[0].id, "grid/dtm-rain");
        assert_eq!(find_job(&jobs, "grid").unwrap().tasks[1].id, "grid/dsm");
        let e = find_job(&jobs, "grid-3").unwrap_err().to_string();
        assert!(e.contains("grid-3") && e.contains("grid-2"), "{e}");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("/a b/it's"), "'/a b/it'\\''s'");
    }
}
