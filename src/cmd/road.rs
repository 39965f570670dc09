//! `zwilling road`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct RoadArgs {}

pub fn run(_a: RoadArgs) -> Result<()> {
    Err(Error::invalid("road: under construction"))
}
