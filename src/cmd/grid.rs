//! `zwilling grid`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct GridArgs {}

pub fn run(_a: GridArgs) -> Result<()> {
    Err(Error::invalid("grid: under construction"))
}
