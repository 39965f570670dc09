//! `zwilling status OUT`: which steps of a run are finished.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::{Error, Result};

use crate::pipeline::manifest::Manifest;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The output folder of a run.
    pub out: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: StatusArgs) -> Result<()> {
    if !a.out.is_dir() {
        return Err(Error::bad_file(&a.out, "is not an output folder of `zwilling run`"));
    }
    let m = Manifest::load(&a.out)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m).expect("plain JSON"));
        return Ok(());
    }
    if m.steps.is_empty() {
        println!("{}: no finished steps", a.out.display());
    }
    for (id, r) in &m.steps {
        let complete = r.outputs.iter().all(|o| o.exists());
        println!(
            "{:<16} {:>8.1} s  {}",
            id,
            r.seconds,
            if complete { "finished" } else { "outputs missing: will rerun" }
        );
    }
    Ok(())
}
