//! `zwilling run pipeline.toml`.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::Result;

use crate::pipeline;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The pipeline file (see `zwilling init`).
    pub config: PathBuf,
    /// Redo every step, even those an earlier run finished.
    #[arg(long)]
    pub force: bool,
    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only check the pipeline file and list the steps; do no work.
    #[arg(long)]
    pub check: bool,
}

pub fn run(a: RunArgs) -> Result<()> {
    let cfg = pipeline::config::load(&a.config)?;
    if a.check {
        for s in pipeline::plan(&cfg)? {
            println!("{:<16} zwilling {}", s.id, s.argv.join(" "));
        }
        return Ok(());
    }
    let summary = pipeline::execute(&cfg, a.force)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("plain JSON"));
    } else if !crate::progress::quiet() {
        print!("{}", pipeline::summary_text(&summary));
    }
    Ok(())
}
