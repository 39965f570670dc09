//! `zwilling iri`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct IriArgs {}

pub fn run(_a: IriArgs) -> Result<()> {
    Err(Error::invalid("iri: under construction"))
}
