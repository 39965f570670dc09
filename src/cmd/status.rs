//! `zwilling status`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct StatusArgs {}

pub fn run(_a: StatusArgs) -> Result<()> {
    Err(Error::invalid("status: under construction"))
}
