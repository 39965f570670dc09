//! `zwilling tiles`.

use clap::Args;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct TilesArgs {}

pub fn run(_a: TilesArgs) -> Result<()> {
    Err(Error::invalid("tiles: under construction"))
}
