//! `zwilling demo`: the whole pipeline on the bundled synthetic survey.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Output folder.
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Seed of the synthetic scene.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Redo every step.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: DemoArgs) -> Result<()> {
    let survey = a.out.join("survey");
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    if !survey.join("scene.laz").exists() || a.force {
        let cli = <crate::cmd::Cli as clap::Parser>::try_parse_from([
            "zwilling".to_string(),
            "synth".into(),
            "--out".into(),
            survey.display().to_string(),
            "--seed".into(),
            a.seed.to_string(),
        ])
        .map_err(|e| Error::invalid(e.to_string()))?;
        crate::cmd::run(cli)?;
    }
    let cfg_path = a.out.join("pipeline.toml");
    let cfg = crate::cmd::init::TEMPLATE
        .replace("dir = \"out\"", "dir = \".\"")
        .replace("title = \"Street survey\"", "title = \"zwilling demo — synthetic survey\"")
        // A 1 m grid keeps the 2D rain simulation of the 1-hour storm to about a minute on 2 cores.
        .replace("res = 0.5 ", "res = 1.0 ")
        .replace("rain = \"90mm/1h\" ", "rain = \"90mm/1h\"\nargs = [\"--minutes\", \"60\"]");
    std::fs::write(&cfg_path, cfg).map_err(|e| Error::io(&cfg_path, e))?;
    let cfg = crate::pipeline::config::load(&cfg_path)?;
    let summary = crate::pipeline::execute(&cfg, a.force)?;
    if !crate::progress::quiet() {
        print!("{}", crate::pipeline::summary_text(&summary));
        let o = &cfg.out;
        println!("\nResults in {}:", o.display());
        for (what, p) in [
            ("report", o.join("report.html")),
            ("road condition (GeoPackage)", o.join("road.gpkg")),
            ("rasters (COG)", o.join("rasters")),
            ("heavy rain", o.join("rain")),
            ("3D Tiles", o.join("tiles/tileset.json")),
        ] {
            if p.exists() {
                println!("  {what:<28} {}", p.display());
            }
        }
    }
    Ok(())
}
