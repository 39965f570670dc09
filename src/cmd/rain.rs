//! `zwilling rain`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct RainArgs {}

pub fn run(_a: RainArgs) -> Result<()> {
    Err(Error::invalid("rain: under construction"))
}
