//! `zwilling synth`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct SynthArgs {}

pub fn run(_a: SynthArgs) -> Result<()> {
    Err(Error::invalid("synth: under construction"))
}
