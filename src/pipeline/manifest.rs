//! The run manifest: which steps finished, with a hash of their inputs and options.
//!
//! Stored as `manifest.json` in the output folder and rewritten atomically after every finished
//! step, so a killed run leaves a manifest that lists exactly the steps whose outputs are complete
//! (every step writes its outputs with temp + rename before the manifest names it). A step is
//! skipped on a rerun when its hash is unchanged and all its outputs exist.
//!
//! The hash covers the step's command line and, for every input file, its path, size and
//! modification time (not the content: hashing hundreds of GB of LAZ would cost more than most
//! steps). FNV-1a 64 is used: this detects change, it is not a security measure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};

/// One finished step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Hash of command line and input file stats.
    pub hash: String,
    /// Files and folders the step produced.
    pub outputs: Vec<PathBuf>,
    /// Wall time of the step (s).
    pub seconds: f64,
}

/// All finished steps of an output folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Steps by id (e.g. `ground/scene`, `grid/dtm`).
    pub steps: BTreeMap<String, StepRecord>,
}

/// FNV-1a 64 over bytes.
pub fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Hash of a step: its argv and the (path, size, mtime) of every input (files, or all files below
/// a folder, in sorted order).
pub fn step_hash(argv: &[String], inputs: &[PathBuf]) -> String {
    let mut h = 0xcbf29ce484222325u64;
    for a in argv {
        h = fnv1a(a.as_bytes(), h);
        h = fnv1a(&[0], h);
    }
    let mut files = vec![];
    for i in inputs {
        collect_files(i, &mut files);
    }
    files.sort();
    for f in files {
        let (size, mtime) = std::fs::metadata(&f)
            .map(|m| {
                let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                (m.len(), t.map(|d| d.as_nanos()).unwrap_or(0))
            })
            .unwrap_or((0, 0));
        h = fnv1a(f.to_string_lossy().as_bytes(), h);
        h = fnv1a(&size.to_le_bytes(), h);
        h = fnv1a(&mtime.to_le_bytes(), h);
    }
    format!("{h:016x}")
}

/// The hash to record for a step that has just run, given `before`, its [`step_hash`] taken before
/// it ran. A step that rewrites one of its own inputs (the markings step adds a layer to
/// `road.gpkg`) changed that hash by running: it records the hash of what it left, so a rerun skips
/// it until that input is rewritten again. Every other step records `before` (an input changed
/// while it ran must make it run again). Used by the local and the cluster executors alike.
pub fn hash_after_run(argv: &[String], inputs: &[PathBuf], outputs: &[PathBuf], before: String) -> String {
    if outputs.iter().any(|o| inputs.contains(o)) {
        step_hash(argv, inputs)
    } else {
        before
    }
}

fn collect_files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                collect_files(&e.path(), out);
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
}

impl Manifest {
    /// The manifest of `dir`, or an empty one.
    pub fn load(dir: &Path) -> Result<Manifest> {
        let p = dir.join("manifest.json");
        match std::fs::read_to_string(&p) {
            Ok(t) => serde_json::from_str(&t)
                .map_err(|e| Error::bad_file(&p, format!("damaged manifest ({e}); delete it or run with --force"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    /// Writes the manifest atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("plain JSON");
        zwilling_io::write_atomic(&dir.join("manifest.json"), text.as_bytes())
    }

    /// True when step `id` finished with this hash and its outputs still exist.
    pub fn is_done(&self, id: &str, hash: &str) -> bool {
        self.steps.get(id).is_some_and(|r| r.hash == hash && r.outputs.iter().all(|o| o.exists()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_options_and_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.laz");
        std::fs::write(&f, b"1234").unwrap();
        let argv = |s: &str| vec!["ground".to_string(), s.to_string()];
        let h1 = step_hash(&argv("x"), std::slice::from_ref(&f));
        assert_eq!(h1, step_hash(&argv("x"), std::slice::from_ref(&f)));
        assert_ne!(h1, step_hash(&argv("y"), std::slice::from_ref(&f)));
        std::fs::write(&f, b"12345").unwrap();
        assert_ne!(h1, step_hash(&argv("x"), std::slice::from_ref(&f)));
        // FNV-1a 64 test vector: "a" → af63dc4c8601ec8c.
        assert_eq!(fnv1a(b"a", 0xcbf29ce484222325), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn a_step_rewriting_its_input_records_the_hash_after() {
        let dir = tempfile::tempdir().unwrap();
        let (gpkg, other) = (dir.path().join("road.gpkg"), dir.path().join("dtm.tif"));
        std::fs::write(&gpkg, b"road").unwrap();
        std::fs::write(&other, b"dtm").unwrap();
        let argv = vec!["road".to_string(), "markings".to_string()];
        let inputs = vec![gpkg.clone(), other.clone()];
        let before = step_hash(&argv, &inputs);
        std::fs::write(&gpkg, b"road + markings layer").unwrap(); // the step runs
        let after = hash_after_run(&argv, &inputs, std::slice::from_ref(&gpkg), before.clone());
        assert_ne!(after, before);
        assert_eq!(after, step_hash(&argv, &inputs), "a resume computes this hash and skips the step");
        let out = dir.path().join("road2.gpkg");
        assert_eq!(hash_after_run(&argv, &inputs, &[out], before.clone()), before);
    }

    #[test]
    fn done_needs_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.tif");
        let mut m = Manifest::default();
        m.steps.insert("grid/dtm".into(), StepRecord { hash: "h".into(), outputs: vec![out.clone()], seconds: 1.0 });
        assert!(!m.is_done("grid/dtm", "h"));
        std::fs::write(&out, b"x").unwrap();
        assert!(m.is_done("grid/dtm", "h"));
        assert!(!m.is_done("grid/dtm", "other"));
        m.save(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), m);
    }
}
