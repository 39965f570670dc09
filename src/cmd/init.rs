//! `zwilling init`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct InitArgs {}

pub fn run(_a: InitArgs) -> Result<()> {
    Err(Error::invalid("init: under construction"))
}
