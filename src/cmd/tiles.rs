//! `zwilling tiles`: 3D Tiles 1.1 point-cloud tileset from LAS/LAZ, or (`--dtm`) a terrain mesh
//! tileset coloured by a raster such as the heavy-rain hazard classes.

use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use zwilling_core::{CrsInfo, Error, Grid, Result};
use zwilling_crs::{EcefPatches, Heights, Quasigeoid, Transformer};
use zwilling_io::las::{expand_inputs, LasInfo, LasReader};
use zwilling_io::tiles3d::terrain::write_terrain_tileset;
use zwilling_io::tiles3d::{write_point_tileset_from, Attributes, TilesOptions};
use zwilling_tiles::palette;

#[derive(Args, Debug)]
pub struct TilesArgs {
    /// LAS/LAZ files or directories of them (one dataset); not with --dtm.
    #[arg(required_unless_present = "dtm", conflicts_with = "dtm")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (gets tileset.json and tiles/, or terrain/ with --dtm).
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
    /// Terrain instead of points: a DTM GeoTIFF written as a triangle-mesh tileset.
    #[arg(long, value_name = "DTM.tif")]
    pub dtm: Option<PathBuf>,
    /// Raster draped on the terrain (e.g. rain/hazard.tif), sampled at each DTM cell centre.
    #[arg(long, value_name = "RASTER.tif", requires = "dtm")]
    pub color: Option<PathBuf>,
    /// How --color values become colours: hazard classes 1–4, or a min–max ramp.
    #[arg(long, value_enum, default_value_t = Palette::Hazard)]
    pub palette: Palette,
    /// Terrain tile size in DTM cells.
    #[arg(long, default_value_t = 128, value_name = "CELLS")]
    pub tile_cells: usize,
}

/// Colour maps for `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Palette {
    /// Hazard classes 1–4 (NRW heavy-rain maps), class 0 shows the shaded ground.
    Hazard,
    /// Continuous values from their minimum to their maximum.
    Ramp,
}

/// Reads each file's header once.
pub fn read_headers(files: &[PathBuf]) -> Result<Vec<LasInfo>> {
    files.iter().map(|f| LasReader::open(f).map(|r| r.info().clone())).collect()
}

/// The dataset's CRS from headers already read: `--crs`, else the files' own (all must agree).
pub fn crs_of(infos: &[LasInfo], crs: Option<&str>) -> Result<CrsInfo> {
    if let Some(s) = crs {
        return parse_crs(s);
    }
    let mut found: Option<(&CrsInfo, &PathBuf)> = None;
    for info in infos {
        let (c, f) = (&info.crs, &info.path);
        if c.epsg.is_none() {
            return Err(Error::bad_file(
                f,
                "has no CRS the tool can identify; give one with --crs EPSG:N (e.g. EPSG:25832+7837)",
            ));
        }
        match &found {
            Some((first_crs, first)) if (first_crs.epsg, first_crs.vertical_epsg) != (c.epsg, c.vertical_epsg) => {
                return Err(Error::bad_file(f, format!("CRS {c} differs from {first_crs} of {}", first.display())))
            }
            Some(_) => {}
            None => found = Some((c, f)),
        }
    }
    Ok(found.map(|(c, _)| c.clone()).unwrap_or_default())
}

fn parse_crs(s: &str) -> Result<CrsInfo> {
    CrsInfo::parse(s).ok_or_else(|| Error::invalid(format!("--crs '{s}' is not of the form EPSG:N or EPSG:N+V")))
}

/// The dataset's CRS: `--crs`, else the files' own (all files must agree). Reads the headers;
/// callers that already hold them use [`crs_of`].
pub fn dataset_crs(files: &[PathBuf], crs: Option<&str>) -> Result<CrsInfo> {
    match crs {
        Some(s) => parse_crs(s),
        None => crs_of(&read_headers(files)?, None),
    }
}

/// Chooses the quasigeoid for a vertical CRS: DHHN heights get GCG2016 unless `--no-geoid`.
pub fn geoid_for(crs: &CrsInfo, path: Option<&Path>, no_geoid: bool) -> Result<Option<Quasigeoid>> {
    let wants = matches!(crs.vertical_epsg, Some(7837) | Some(5783));
    if no_geoid || (!wants && path.is_none()) {
        return Ok(None);
    }
    crate::geoid::load(path).map(Some)
}

fn heights_text(h: &Heights) -> String {
    match h {
        Heights::Ellipsoidal => "ellipsoidal".to_string(),
        Heights::Quasigeoid { model, .. } => format!("normal heights + quasigeoid {model}"),
        Heights::NotEllipsoidal { .. } => "not ellipsoidal (used unchanged)".to_string(),
    }
}

/// Transformer, quasigeoid and height handling for `crs`, warning when heights stay as they are.
fn placement(crs: &CrsInfo, a: &TilesArgs) -> Result<(Transformer, Option<Quasigeoid>, Heights)> {
    let tr = Transformer::new(crs)?;
    let geoid = geoid_for(crs, a.geoid.as_deref(), a.no_geoid)?;
    let heights = tr.heights(geoid.as_ref())?;
    if let Some(w) = heights.warning() {
        tracing::warn!("{w}");
        if !crate::progress::quiet() {
            eprintln!("warning: {w}");
        }
    }
    Ok((tr, geoid, heights))
}

pub fn run(a: TilesArgs) -> Result<()> {
    if let Some(dtm) = a.dtm.clone() {
        return run_terrain(&a, &dtm);
    }
    let files = expand_inputs(&a.inputs)?;
    let infos = read_headers(&files)?;
    let crs = crs_of(&infos, a.crs.as_deref())?;
    let (tr, geoid, heights) = placement(&crs, &a)?;
    let total: u64 = infos.iter().map(|i| i.point_count).sum();
    let opts = TilesOptions {
        max_points_per_tile: a.max_points_per_tile,
        attributes: Attributes::parse(&a.attributes)?,
        extras: serde_json::json!({ "source_crs": crs.to_string(), "heights": heights_text(&heights) }),
        ..TilesOptions::default()
    };
    // Per-cell quadratic patches of the exact transform (< 1 µm from it, see zwilling_crs::patches).
    let fast = EcefPatches::new(&tr, geoid.as_ref())?;
    let to_ecef = |b: &zwilling_core::PointBlock, out: &mut Vec<[f64; 3]>| -> Result<()> {
        out.resize(b.len(), [0.0; 3]);
        fast.par_to_ecef(&b.x, &b.y, &b.z, out)
    };
    let bar = crate::progress::bar(2 * total, "tiling");
    let t0 = std::time::Instant::now();
    let report = write_point_tileset_from(&infos, &a.out, &to_ecef, &opts, &|n| bar.inc(n))?;
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

/// Per-vertex terrain colours: the hillshade of the DTM under the draped raster's colours.
fn terrain_colours(dtm: &Grid<f32>, drape: Option<&Grid<f32>>, pal: Palette) -> Vec<[u8; 4]> {
    let shade = palette::hillshade(dtm, 315.0, 45.0);
    let (lo, hi) = drape
        .map(|g| {
            g.data
                .iter()
                .filter(|v| !g.is_nodata(**v))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v as f64), h.max(*v as f64)))
        })
        .unwrap_or((0.0, 1.0));
    let mut out = Vec::with_capacity(dtm.len());
    for r in 0..dtm.height {
        for c in 0..dtm.width {
            let value = drape.and_then(|g| {
                let (x, y) = dtm.transform.cell_center(c, r);
                let (cc, rr) = g.cell_of(x, y)?;
                let v = g.data[g.idx(cc, rr)];
                (!g.is_nodata(v)).then_some(v as f64)
            });
            let rgb = match (value, pal) {
                (Some(v), Palette::Hazard) => palette::hazard_colour(v).unwrap_or(palette::GROUND),
                (Some(v), Palette::Ramp) => palette::ramp_colour(if hi > lo { (v - lo) / (hi - lo) } else { 0.0 }),
                (None, _) => palette::GROUND,
            };
            out.push(palette::shaded(rgb, shade[r * dtm.width + c]));
        }
    }
    out
}

fn run_terrain(a: &TilesArgs, dtm_path: &Path) -> Result<()> {
    let dtm = zwilling_io::raster::read_geotiff_f32(dtm_path)?;
    let crs = match a.crs.as_deref() {
        Some(s) => parse_crs(s)?,
        None if dtm.crs.epsg.is_some() => dtm.crs.clone(),
        None => return Err(Error::bad_file(dtm_path, "has no CRS; give one with --crs EPSG:N (e.g. EPSG:25832+7837)")),
    };
    let (tr, geoid, heights) = placement(&crs, a)?;
    let drape = a.color.as_deref().map(zwilling_io::raster::read_geotiff_f32).transpose()?;
    let colours = terrain_colours(&dtm, drape.as_ref(), a.palette);
    let to_ecef = |b: &zwilling_core::PointBlock, out: &mut Vec<[f64; 3]>| -> Result<()> {
        out.resize(b.len(), [0.0; 3]);
        tr.par_to_ecef_with_heights(&b.x, &b.y, &b.z, geoid.as_ref(), out).map(|_| ())
    };
    let w = dtm.width;
    let colour = |c: usize, r: usize| colours[r * w + c];
    let t0 = std::time::Instant::now();
    let report = write_terrain_tileset(&dtm, &colour, &to_ecef, &a.out, a.tile_cells)?;
    if !crate::progress::quiet() {
        println!(
            "terrain {}×{} cells ({}) → {} tiles (depth {}) in {:.1} s; {}",
            dtm.width,
            dtm.height,
            heights_text(&heights),
            report.tiles,
            report.depth,
            t0.elapsed().as_secs_f64(),
            report.tileset.display()
        );
    }
    Ok(())
}
