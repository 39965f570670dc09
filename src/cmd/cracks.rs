//! `zwilling cracks`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct CracksArgs {}

pub fn run(_a: CracksArgs) -> Result<()> {
    Err(Error::invalid("cracks: under construction"))
}
