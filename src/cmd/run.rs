//! `zwilling run`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct RunArgs {}

pub fn run(_a: RunArgs) -> Result<()> {
    Err(Error::invalid("run: under construction"))
}
