//! `zwilling road`: ZEB road condition from point clouds and the trajectory → GeoPackage.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use zwilling_core::{Error, Layer, PointBlock, Result};
use zwilling_io::gpkg::{categorized_style, GpkgWriter, LayerOptions, StyleGeometry};
use zwilling_io::las::{expand_inputs, LasReader, DEFAULT_BLOCK};
use zwilling_road::damage::CrackObservations;
use zwilling_road::preset::{Construction, FunctionClass, Preset};
use zwilling_road::sections::{evaluate, AreaPolygon};
use zwilling_road::survey::{RoadConfig, RoadSurvey};
use zwilling_road::Alignment;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RoadArgs {
    #[command(subcommand)]
    pub command: Option<RoadCommand>,
    /// Point clouds (ground-classified LAS/LAZ, files or folders), in driving order.
    #[arg(long = "cloud", value_name = "IN")]
    pub clouds: Vec<PathBuf>,
    /// Vehicle trajectory CSV (time,x,y,z,heading,pitch,roll).
    #[arg(long)]
    pub trajectory: Option<PathBuf>,
    /// Output GeoPackage.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Evaluation section length (m); raw sections are 10 m.
    #[arg(long, default_value_t = 100.0, value_name = "M")]
    pub section: f64,
    /// Aggregation areas (GeoPackage or GeoJSON polygons with FK = A/B/N and BW = A/P): sections
    /// follow the areas and take their function class and construction.
    #[arg(long, value_name = "A.gpkg|A.geojson")]
    pub areas: Option<PathBuf>,
    /// Crack polylines of the crack detection (GeoJSON or GeoPackage line strings in the map CRS
    /// with a `width_m` attribute): counted on the 1 m grid into RISS (%). Without it RISS is NULL.
    #[arg(long, value_name = "CRACKS.geojson|gpkg")]
    pub cracks: Option<PathBuf>,
    /// Function class of the road when no areas are given: A main road, B side road, N secondary area.
    #[arg(long, default_value = "B")]
    pub fk: String,
    /// Construction when no areas are given: A asphalt, P paving.
    #[arg(long, default_value = "A")]
    pub bw: String,
    /// Grading tables (TOML); default: the AP 9 K municipal preset.
    #[arg(long, value_name = "FILE")]
    pub preset: Option<PathBuf>,
    /// Lane width (m).
    #[arg(long, default_value_t = 3.0, value_name = "M")]
    pub lane_width: f64,
    /// Wheel paths at ± this offset from the lane centre (m).
    #[arg(long, default_value_t = 0.85, value_name = "M")]
    pub wheel_offset: f64,
}

#[derive(Subcommand, Debug)]
pub enum RoadCommand {
    /// Re-grade an existing road GeoPackage with other grading tables (no point clouds needed).
    Reevaluate {
        /// The road GeoPackage (rewritten atomically).
        gpkg: PathBuf,
        /// Grading tables (TOML).
        #[arg(long, value_name = "FILE")]
        preset: PathBuf,
    },
}

fn load_preset(p: Option<&PathBuf>) -> Result<Preset> {
    match p {
        None => Ok(Preset::ap9k_municipal()),
        Some(p) => {
            let t = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            Preset::from_toml(&t).map_err(|e| e.in_file(p))
        }
    }
}

/// QGIS style: sections coloured by the class of the total value GW (federal colours).
fn sections_style() -> zwilling_io::gpkg::QgisStyle {
    categorized_style(
        "class_gw",
        &[
            ("1", "1: ≤ 1.5 (target)", "#0070c0"),
            ("2", "2: ≤ 3.5", "#00b050"),
            ("3", "3: ≤ 4.5 (warning)", "#ffc000"),
            ("4", "4: > 4.5 (threshold)", "#ff0000"),
        ],
        StyleGeometry::Polygon,
    )
}

/// Reads the one vector layer of a GeoJSON file or a single-layer GeoPackage, checking that its
/// CRS (when declared) is the point clouds' CRS.
fn read_vector(path: &std::path::Path, crs: &zwilling_core::CrsInfo) -> Result<Layer> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let layer = match ext.as_str() {
        "gpkg" => {
            let names = zwilling_io::gpkg::list_layers(path)?;
            match names.as_slice() {
                [one] => zwilling_io::gpkg::read_layer(path, one)?,
                _ => {
                    return Err(Error::bad_file(
                        path,
                        format!("expected exactly one vector layer, found {}: {}", names.len(), names.join(", ")),
                    ))
                }
            }
        }
        "geojson" | "json" => zwilling_io::geojson::read_geojson(path)?,
        _ => return Err(Error::bad_file(path, "expected a .gpkg or .geojson file")),
    };
    if let (Some(a), Some(b)) = (layer.crs.epsg, crs.epsg) {
        if a != b {
            return Err(Error::bad_file(path, format!("CRS EPSG:{a} differs from the point clouds' EPSG:{b}")));
        }
    }
    Ok(layer)
}

fn write_layers(path: &std::path::Path, layers: &[Layer]) -> Result<()> {
    let mut w = GpkgWriter::create(path)?;
    for l in layers {
        let mut opts = LayerOptions::for_layer(l);
        if l.name == "sections" {
            opts.style = Some(sections_style());
        }
        w.add_layer(l, &opts)?;
    }
    w.finish()
}

pub fn run(a: RoadArgs) -> Result<()> {
    if let Some(RoadCommand::Reevaluate { gpkg, preset }) = &a.command {
        let preset = load_preset(Some(preset))?;
        let mut sections = zwilling_io::gpkg::read_layer(gpkg, "sections")?;
        zwilling_road::output::regrade(&mut sections, &preset).map_err(|e| e.in_file(gpkg))?;
        let mut w = GpkgWriter::update(gpkg)?;
        let mut opts = LayerOptions::for_layer(&sections);
        opts.style = Some(sections_style());
        w.replace_layer(&sections, &opts)?;
        return w.finish();
    }
    let (Some(traj_path), Some(out)) = (&a.trajectory, &a.output) else {
        return Err(Error::invalid(
            "road needs --cloud IN..., --trajectory T.csv and -o road.gpkg (or: road reevaluate)",
        ));
    };
    if a.clouds.is_empty() {
        return Err(Error::invalid("road needs at least one --cloud"));
    }
    if !(a.section > 0.0) {
        return Err(Error::invalid(format!("--section must be > 0 (got {})", a.section)));
    }
    let fk = match a.fk.to_ascii_uppercase().as_str() {
        "A" => FunctionClass::A,
        "B" => FunctionClass::B,
        "N" => FunctionClass::N,
        o => return Err(Error::invalid(format!("--fk {o}: expected A, B or N"))),
    };
    let bw = match a.bw.to_ascii_uppercase().as_str() {
        "A" => Construction::Asphalt,
        "P" => Construction::Paving,
        o => return Err(Error::invalid(format!("--bw {o}: expected A or P"))),
    };
    let preset = load_preset(a.preset.as_ref())?;
    let files = expand_inputs(&a.clouds)?;
    let crs = crate::cmd::tiles::dataset_crs(&files, None).unwrap_or_else(|_| zwilling_core::CrsInfo::from_epsg(25832));
    let traj = zwilling_io::trajectory::read_trajectory(traj_path)?;
    // vector inputs are read before the point clouds, so a bad file fails fast
    let areas: Vec<AreaPolygon> = match &a.areas {
        Some(p) => zwilling_road::inputs::areas_from_layer(&read_vector(p, &crs)?).map_err(|e| e.in_file(p))?,
        None => vec![],
    };
    let mut observations = CrackObservations::default();
    let mut crack_layer = None;
    if let Some(p) = &a.cracks {
        let layer = read_vector(p, &crs)?;
        observations.cracks = Some(zwilling_road::inputs::cracks_from_layer(&layer).map_err(|e| e.in_file(p))?);
        crack_layer = Some(layer);
    }
    let cfg = RoadConfig {
        lane_width: a.lane_width,
        wheel_path_offset: a.wheel_offset,
        eval_section: a.section,
        ..RoadConfig::default()
    };
    let reach = cfg.lane_width / 2.0 + 1.0;
    let alignment = Alignment::from_trajectory(&traj, 1.0, cfg.trajectory_smoothing, cfg.lane_offset, reach)
        .map_err(|e| e.in_file(traj_path))?;
    let total: u64 = files.iter().map(|f| LasReader::open(f).map(|r| r.info().point_count)).sum::<Result<u64>>()?;
    let bar = crate::progress::bar(total, "road");
    let mut survey = RoadSurvey::new(alignment, cfg.clone());
    let mut block = PointBlock::default();
    for f in &files {
        let mut r = LasReader::open(f)?;
        while r.read_block_into(&mut block, DEFAULT_BLOCK)? {
            survey.push(&block);
            bar.inc(block.len() as u64);
        }
    }
    bar.finish_and_clear();
    let res = survey.finish();
    let sections = evaluate(&res, &cfg, &areas, &observations, &preset, (fk, bw));
    let mut layers = zwilling_road::output::road_layers(&res, &sections, &cfg, &preset, &crs);
    if let Some(mut l) = crack_layer {
        // The crack lines the RISS shares were counted from, beside the sections they grade.
        l.name = "cracks".into();
        if l.crs.epsg.is_none() {
            l.crs = crs.clone();
        }
        layers.push(l);
    }
    write_layers(out, &layers)?;
    if !crate::progress::quiet() {
        println!(
            "{} sections of {} m, {} potholes, {} of {} points used → {}",
            sections.len(),
            a.section,
            res.potholes.len(),
            res.used_points,
            res.seen_points,
            out.display()
        );
    }
    Ok(())
}
