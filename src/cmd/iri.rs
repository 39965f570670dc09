//! `zwilling iri`: International Roughness Index (ASTM E1926) of a plain profile file.
//!
//! The file has two columns `station elevation` (metres), separated by whitespace or a comma;
//! blank lines and everything after `#` are ignored. Irregular spacing is resampled linearly at the
//! median interval. Sections start at the first station + 0.5 m (two 250 mm bases, the
//! convention of the reference implementation; see docs/road.md) unless `--start` is given.

use clap::Args;
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};
use zwilling_road::{iri_sections, IriOptions, Profile};

#[derive(Args, Debug)]
pub struct IriArgs {
    /// Profile file: `station elevation` per line (m), whitespace or comma separated, `#` comments.
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// Section length (m).
    #[arg(long, default_value_t = 100.0, value_name = "M")]
    pub section: f64,
    /// Station where the simulation starts (default: first station + 0.5 m).
    #[arg(long, value_name = "M")]
    pub start: Option<f64>,
    /// Also report the last, shorter section.
    #[arg(long)]
    pub partial: bool,
    /// Print a JSON array of {"start": m, "end": m, "iri": m/km}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: IriArgs) -> Result<()> {
    let (stations, elevations) = read_profile(&a.profile)?;
    let profile = Profile::from_pairs(&stations, &elevations).map_err(|e| e.in_file(&a.profile))?;
    let opts = IriOptions { section_length: a.section, start: a.start, partial: a.partial, ..Default::default() };
    let sections = iri_sections(&profile, &opts).map_err(|e| e.in_file(&a.profile))?;
    if a.json {
        let rows: Vec<serde_json::Value> = sections
            .iter()
            .map(|s| {
                let iri = if s.iri.is_finite() { serde_json::json!(round(s.iri, 6)) } else { serde_json::Value::Null };
                serde_json::json!({"start": round(s.start, 6), "end": round(s.end, 6), "iri": iri})
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        println!("{:>12} {:>12} {:>10}", "start_m", "end_m", "iri_m_km");
        for s in &sections {
            println!("{:>12.3} {:>12.3} {:>10.4}", s.start, s.end, s.iri);
        }
    }
    Ok(())
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// Reads `station elevation` pairs; errors name the file and line.
fn read_profile(path: &Path) -> Result<(Vec<f64>, Vec<f64>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let (mut s, mut z) = (Vec::new(), Vec::new());
    for (no, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty()).collect();
        let parsed: Option<Vec<f64>> = cols.iter().map(|t| t.parse::<f64>().ok().filter(|v| v.is_finite())).collect();
        match parsed {
            Some(v) if v.len() == 2 => {
                s.push(v[0]);
                z.push(v[1]);
            }
            // a header line before any data is allowed
            None if s.is_empty() && cols.iter().all(|t| t.parse::<f64>().is_err()) => continue,
            _ => {
                return Err(Error::bad_file(
                    path,
                    format!("line {}: expected two numbers `station elevation`, found {raw:?}", no + 1),
                ))
            }
        }
    }
    if s.len() < 2 {
        return Err(Error::bad_file(path, "no profile samples (expected lines `station elevation`)"));
    }
    Ok((s, z))
}
