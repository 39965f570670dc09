//! `zwilling view`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct ViewArgs {}

pub fn run(_a: ViewArgs) -> Result<()> {
    Err(Error::invalid("view: under construction"))
}
