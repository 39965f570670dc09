//! `zwilling status OUT`: which steps of a run are finished and, for a Slurm run, the state of
//! every submitted array task with the logs of those that failed.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::{Error, Result};

use crate::pipeline::manifest::Manifest;
use crate::pipeline::slurm::state;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The output folder of a run.
    pub out: PathBuf,
    /// Print JSON (`steps` from the manifest; `slurm` with every array task, for Slurm runs).
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: StatusArgs) -> Result<()> {
    if !a.out.is_dir() {
        return Err(Error::bad_file(&a.out, "is not an output folder of `zwilling run`"));
    }
    let m = Manifest::load(&a.out)?;
    let tasks = state::task_states(&a.out)?;
    if a.json {
        let mut v = serde_json::to_value(&m).expect("plain JSON");
        if !tasks.is_empty() {
            v["slurm"] = serde_json::to_value(&tasks).expect("plain JSON");
        }
        println!("{}", serde_json::to_string_pretty(&v).expect("plain JSON"));
        return Ok(());
    }
    if m.steps.is_empty() {
        println!("{}: no finished steps", a.out.display());
    }
    for (id, r) in &m.steps {
        let complete = r.outputs.iter().all(|o| o.exists());
        println!(
            "{:<24} {:>8.1} s  {}",
            id,
            r.seconds,
            if complete { "finished" } else { "outputs missing: will rerun" }
        );
    }
    if !tasks.is_empty() {
        print!("{}", state::summary(&tasks));
    }
    Ok(())
}
