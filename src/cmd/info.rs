//! `zwilling info`.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// LAS/LAZ files or directories of them.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Print a JSON array, one object per file.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_a: InfoArgs) -> Result<()> {
    Err(Error::invalid("info: under construction"))
}
