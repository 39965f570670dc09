//! `zwilling tiles`: 3D Tiles 1.1 point-cloud tileset from LAS/LAZ.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::{CrsInfo, Error, Result};
use zwilling_crs::{Heights, Quasigeoid, Transformer};
use zwilling_io::las::{expand_inputs, LasReader};
use zwilling_io::tiles3d::{write_point_tileset, Attributes, TilesOptions};

#[derive(Args, Debug)]
pub struct TilesArgs {
    /// LAS/LAZ files or directories of them (one dataset).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output folder (gets tileset.json and tiles/).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Source CRS when the files have none or a wrong one, e.g. EPSG:25832+7837 (UTM 32N + DHHN2016).
    #[arg(long, value_name = "EPSG:N[+V]")]
    pub crs: Option<String>,
    /// Per-point attributes to write.
    #[arg(long, default_value = "rgb,intensity,classification")]
    pub attributes: String,
    /// A tile with at most this many points is a leaf.
    #[arg(long, default_value_t = 100_000)]
    pub max_points_per_tile: usize,
    /// Quasigeoid grid (GeoTIFF) for normal → ellipsoidal heights; default: the built-in GCG2016.
    #[arg(long, value_name = "FILE")]
    pub geoid: Option<PathBuf>,
    /// Use heights unchanged (not ellipsoidal: points end up tens of metres too low).
    #[arg(long, conflicts_with = "geoid")]
    pub no_geoid: bool,
}

/// The dataset's CRS: `--crs`, else the files' own (all files must agree).
pub fn dataset_crs(files: &[PathBuf], crs: Option<&str>) -> Result<CrsInfo> {
    if let Some(s) = crs {
        return CrsInfo::parse(s)
            .ok_or_else(|| Error::invalid(format!("--crs '{s}' is not of the form EPSG:N or EPSG:N+V")));
    }
    let mut found: Option<(CrsInfo, &PathBuf)> = None;
    for f in files {
        let info = LasReader::open(f)?.info().crs.clone();
        if info.epsg.is_none() {
            return Err(Error::bad_file(
                f,
                "has no CRS the tool can identify; give one with --crs EPSG:N (e.g. EPSG:25832+7837)",
            ));
        }
        match &found {
            Some((c, first)) if (c.epsg, c.vertical_epsg) != (info.epsg, info.vertical_epsg) => {
                return Err(Error::bad_file(f, format!("CRS {info} differs from {c} of {}", first.display())))
            }
            Some(_) => {}
            None => found = Some((info, f)),
        }
    }
    Ok(found.map(|(c, _)| c).unwrap_or_default())
}

/// Chooses the quasigeoid for a vertical CRS: DHHN heights get GCG2016 unless `--no-geoid`.
pub fn geoid_for(crs: &CrsInfo, path: Option<&std::path::Path>, no_geoid: bool) -> Result<Option<Quasigeoid>> {
    let wants = matches!(crs.vertical_epsg, Some(7837) | Some(5783));
    if no_geoid || (!wants && path.is_none()) {
        return Ok(None);
    }
    crate::geoid::load(path).map(Some)
}

pub fn run(a: TilesArgs) -> Result<()> {
    let files = expand_inputs(&a.inputs)?;
    let crs = dataset_crs(&files, a.crs.as_deref())?;
    let tr = Transformer::new(&crs)?;
    let geoid = geoid_for(&crs, a.geoid.as_deref(), a.no_geoid)?;
    let heights = tr.heights(geoid.as_ref())?;
    if let Some(w) = heights.warning() {
        tracing::warn!("{w}");
        if !crate::progress::quiet() {
            eprintln!("warning: {w}");
        }
    }
    let total: u64 = files.iter().map(|f| LasReader::open(f).map(|r| r.info().point_count)).sum::<Result<u64>>()?;
    let opts = TilesOptions {
        max_points_per_tile: a.max_points_per_tile,
        attributes: Attributes::parse(&a.attributes)?,
        extras: serde_json::json!({
            "source_crs": crs.to_string(),
            "heights": match &heights {
                Heights::Ellipsoidal => "ellipsoidal".to_string(),
                Heights::Quasigeoid { model, .. } => format!("normal heights + quasigeoid {model}"),
                Heights::NotEllipsoidal { .. } => "not ellipsoidal (used unchanged)".to_string(),
            },
        }),
        ..TilesOptions::default()
    };
    let to_ecef = |b: &zwilling_core::PointBlock, out: &mut Vec<[f64; 3]>| -> Result<()> {
        out.resize(b.len(), [0.0; 3]);
        tr.par_to_ecef_with_heights(&b.x, &b.y, &b.z, geoid.as_ref(), out).map(|_| ())
    };
    let bar = crate::progress::bar(2 * total, "tiling");
    let t0 = std::time::Instant::now();
    let report = write_point_tileset(&files, &a.out, &to_ecef, &opts, &|n| bar.inc(n))?;
    bar.finish_and_clear();
    if !crate::progress::quiet() {
        let s = t0.elapsed().as_secs_f64();
        println!(
            "{} points → {} tiles (depth {}) in {:.1} s ({:.2} M points/s); {}",
            report.points,
            report.tiles,
            report.depth,
            s,
            report.points as f64 / s / 1e6,
            report.tileset.display()
        );
    }
    Ok(())
}
