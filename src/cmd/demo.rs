//! `zwilling demo`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct DemoArgs {}

pub fn run(_a: DemoArgs) -> Result<()> {
    Err(Error::invalid("demo: under construction"))
}
