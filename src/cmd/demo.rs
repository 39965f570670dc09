//! `zwilling demo`: the whole pipeline on the bundled synthetic survey.
//!
//! The defaults keep the run to about a minute on 2 cores: a 300 m street (three 100 m ZEB
//! evaluation sections, about 2.6 M points, pavement images), rasters at 0.5 m, and the NRW
//! "extreme" block rain of 90 mm in 1 h simulated for that hour on a 2 m DTM (the 2D solver's
//! cost grows with the cube of 1/cell size, so 1 m would take 8× as long).
//!
//! When the shared test data is present (`../shared/data` beside the current folder or the
//! repository), a few small real files are processed too — an IGN LiDAR HD tile through a DTM and
//! 3D Tiles, TauDEM's MED_01_01 DEM through depression filling checked against TauDEM's own
//! result — into `OUT/real/`, and the report lists them. Without it the demo is unchanged.

use clap::Args;
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};

use crate::pipeline::report_shared::RealFile;

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
        .replace("# road_left = 4.4  ", "road_left = 4.4    ")
        .replace("# road_right = 1.4  ", "road_right = 1.4    ")
        .replace("# res = 2.0 ", &format!("res = {:?}\nargs = [\"--minutes\", \"{}\"]\n#", a.rain_res, a.rain_minutes));
    std::fs::write(&cfg_path, cfg).map_err(|e| Error::io(&cfg_path, e))?;
    let cfg = crate::pipeline::config::load(&cfg_path)?;
    // Real files first, so the report (the pipeline's last step) lists them.
    let real = match shared_data() {
        Some(data) => real_files(&data, &cfg.out)?,
        None => vec![],
    };
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
            ("road markings", o.join("cracks/markings.geojson")),
            ("3D Tiles (points)", o.join("tiles/tileset.json")),
            ("3D Tiles (terrain by hazard)", o.join("terrain/tileset.json")),
        ] {
            if p.exists() {
                println!("  {what:<28} {}", p.display());
            }
        }
        for r in &real {
            println!("  real data: {:<17} {} — {}", r.file, r.work, r.result);
        }
        println!("\nSee it in 3D: zwilling view {}", o.display());
    }
    Ok(())
}

/// The shared test data (`../shared/data` beside the current folder or beside the repository),
/// when present. The demo never needs it.
fn shared_data() -> Option<PathBuf> {
    let beside_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    [PathBuf::from("../shared/data"), beside_repo].into_iter().find(|p| p.is_dir())
}

/// Runs one `zwilling` command line in this process, quietly.
fn zwilling(args: &[String]) -> Result<()> {
    let argv = ["zwilling".to_string(), "-q".to_string()].into_iter().chain(args.iter().cloned());
    let cli = <crate::cmd::Cli as clap::Parser>::try_parse_from(argv).map_err(|e| Error::invalid(e.to_string()))?;
    crate::cmd::run(cli)
}

/// An IGN LiDAR HD tile (MIT test data of IGNF/las-digital-models, Lambert-93) through info, a
/// 0.5 m DTM and 3D Tiles.
fn lidar_tile(file: &Path, real: &Path) -> Result<(String, Vec<String>)> {
    let info = zwilling_io::las::LasReader::open(file)?.info().clone();
    let crs = crate::cmd::tiles::dataset_crs(&[file.to_path_buf()], None)?;
    let (dtm, tiles) = (real.join("ign_dtm.tif"), real.join("ign_tiles"));
    let f = file.display().to_string();
    zwilling(&[
        "grid".into(),
        f.clone(),
        "--product".into(),
        "dtm".into(),
        "--res".into(),
        "0.5".into(),
        "-o".into(),
        dtm.display().to_string(),
    ])?;
    // The file names NGF-IGN69 heights (`LA93_IGN69`); with no geoid model for them at hand the
    // heights are used unchanged, which the tileset states.
    zwilling(&["tiles".into(), f, "--crs".into(), "EPSG:2154+5720".into(), "-o".into(), tiles.display().to_string()])?;
    let g = zwilling_io::raster::read_geotiff_f32(&dtm)?;
    let filled = g.data.iter().filter(|v| !g.is_nodata(**v)).count();
    let result = format!(
        "{} points, {crs}; DTM {}×{} cells, {:.0} % with ground",
        info.point_count,
        g.width,
        g.height,
        100.0 * filled as f64 / g.len().max(1) as f64
    );
    Ok((result, vec!["real/ign_dtm.tif".into(), "real/ign_tiles/tileset.json".into()]))
}

/// TauDEM's MED_01_01 DEM through depression filling, compared cell by cell with TauDEM's
/// `pitremove` result that ships with it.
fn dem_fill(file: &Path, real: &Path) -> Result<(String, Vec<String>)> {
    let o = real.join("MED_01_01_filled.tif");
    zwilling(&[
        "rain".into(),
        "fill".into(),
        "--dem".into(),
        file.display().to_string(),
        "-o".into(),
        o.display().to_string(),
    ])?;
    let (dem, ours) = (zwilling_io::raster::read_geotiff_f32(file)?, zwilling_io::raster::read_geotiff_f32(&o)?);
    let raised = |g: &zwilling_core::Grid<f32>| {
        let d = g.data.iter().zip(&dem.data).filter(|(a, b)| !dem.is_nodata(**b) && **a > **b);
        d.fold((0usize, 0f64), |(n, m), (a, b)| (n + 1, m.max((a - b) as f64)))
    };
    let (n, max) = raised(&ours);
    let mut result = format!("{n} cells raised, deepest fill {max:.2} m");
    let reference = file.with_file_name("MED_01_01_filled_reference.tif");
    if let Ok(r) = zwilling_io::raster::read_geotiff_f32(&reference) {
        let (rn, _) = raised(&r);
        let diff = ours
            .data
            .iter()
            .zip(&r.data)
            .zip(&dem.data)
            .filter(|(_, d)| !dem.is_nodata(**d))
            .map(|((a, b), _)| (*a as f64 - *b as f64).abs())
            .fold(0f64, f64::max);
        result += &format!("; TauDEM pitremove: {rn} cells raised, largest difference {diff:.3} m");
    }
    Ok((result, vec!["real/MED_01_01_filled.tif".into()]))
}

/// Processes the small real files of `data` that are present into `out/real` and records them for
/// the report. A file that fails is reported as such; the demo goes on.
fn real_files(data: &Path, out: &Path) -> Result<Vec<RealFile>> {
    type Work = fn(&Path, &Path) -> Result<(String, Vec<String>)>;
    let jobs: [(&str, &str, &str, Work); 2] = [
        (
            "ign-lidarhd/test_data_77055_627760_LA93_IGN69.laz",
            "IGN LiDAR HD tile via IGNF/las-digital-models (MIT)",
            "info, grid dtm 0.5 m, tiles",
            lidar_tile,
        ),
        (
            "dem/taudem/MED_01_01.tif",
            "TauDEM test suite (GPL-3)",
            "rain fill, compared with TauDEM pitremove",
            dem_fill,
        ),
    ];
    let real = out.join("real");
    std::fs::create_dir_all(&real).map_err(|e| Error::io(&real, e))?;
    let mut rows = vec![];
    for (rel, source, work, run) in jobs {
        let file = data.join(rel);
        if !file.exists() {
            continue;
        }
        if !crate::progress::quiet() {
            eprintln!("real data: {rel}");
        }
        let t = std::time::Instant::now();
        let (result, outputs) = run(&file, &real).unwrap_or_else(|e| (format!("failed: {e}"), vec![]));
        let seconds = t.elapsed().as_secs_f64();
        rows.push(RealFile { file: rel.into(), source: source.into(), work: work.into(), result, seconds, outputs });
    }
    crate::pipeline::report_shared::save(out, &rows)?;
    Ok(rows)
}
