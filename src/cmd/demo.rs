//! `zwilling demo`: the whole pipeline on the bundled synthetic survey.
//!
//! The defaults keep the run to about a minute on 2 cores: a 300 m street (three 100 m ZEB
//! evaluation sections, about 2.6 M points, pavement images), rasters at 0.5 m, and the NRW
//! "extreme" block rain of 90 mm in 1 h simulated for that hour on a 2 m DTM (the 2D solver's
//! cost grows with the cube of 1/cell size, so 1 m would take 8× as long).

use clap::Args;
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Output folder.
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Seed of the synthetic scene.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Length of the synthetic street in metres.
    #[arg(long, default_value_t = 300.0, value_name = "M")]
    pub length: f64,
    /// Cell size of the DTM for the rain simulation in metres.
    #[arg(long, default_value_t = 2.0, value_name = "M")]
    pub rain_res: f64,
    /// Simulated minutes of the rain simulation (the storm lasts 60).
    #[arg(long, default_value_t = 60.0, value_name = "MIN")]
    pub rain_minutes: f64,
    /// Redo every step.
    #[arg(long)]
    pub force: bool,
}

/// Whether `survey` holds the scene of this seed and length (from the generator's truth file).
fn survey_matches(survey: &Path, seed: u64, length: f64) -> bool {
    let Ok(text) = std::fs::read_to_string(survey.join("truth.json")) else { return false };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return false };
    survey.join("scene.laz").exists()
        && v["params"]["seed"].as_u64() == Some(seed)
        && v["params"]["length"].as_f64() == Some(length)
}

pub fn run(a: DemoArgs) -> Result<()> {
    for (name, v) in [("--length", a.length), ("--rain-res", a.rain_res), ("--rain-minutes", a.rain_minutes)] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(Error::invalid(format!("demo {name}: must be a number > 0, got {v}")));
        }
    }
    let survey = a.out.join("survey");
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    if a.force || !survey_matches(&survey, a.seed, a.length) {
        let cli = <crate::cmd::Cli as clap::Parser>::try_parse_from([
            "zwilling".to_string(),
            "synth".into(),
            "--out".into(),
            survey.display().to_string(),
            "--seed".into(),
            a.seed.to_string(),
            "--length".into(),
            a.length.to_string(),
        ])
        .map_err(|e| Error::invalid(e.to_string()))?;
        crate::cmd::run(cli)?;
    }
    let cfg_path = a.out.join("pipeline.toml");
    let cfg = crate::cmd::init::TEMPLATE
        .replace("dir = \"out\"", "dir = \".\"")
        .replace("title = \"Street survey\"", "title = \"zwilling demo — synthetic survey\"")
        .replace("# res = 2.0 ", &format!("res = {:?}\nargs = [\"--minutes\", \"{}\"]\n#", a.rain_res, a.rain_minutes));
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
            ("heavy rain (COG, GeoPackage)", o.join("rain")),
            ("cracks", o.join("cracks")),
            ("3D Tiles", o.join("tiles/tileset.json")),
        ] {
            if p.exists() {
                println!("  {what:<28} {}", p.display());
            }
        }
    }
    Ok(())
}
