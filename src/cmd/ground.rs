//! `zwilling ground`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct GroundArgs {}

pub fn run(_a: GroundArgs) -> Result<()> {
    Err(Error::invalid("ground: under construction"))
}
