//! `zwilling grid`: point clouds to COG rasters (DTM, DSM, nDSM, intensity, RGB, density).
//!
//! Streams the inputs once (twice for nDSM's two surfaces in one pass): per-cell accumulators for
//! DSM/intensity/RGB/density and per-cell ground centroids for the DTM, so memory is bounded by
//! the output grid, not by the number of points. See docs/grid.md.

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use zwilling_cloud::grid::cells::{ndsm, CellStats, Statistic};
use zwilling_cloud::grid::tin::{tin_dtm, GroundCentroids, TinParams};
use zwilling_core::{class, Bounds2, CrsInfo, Error, Grid, Result};
use zwilling_io::las::{expand_inputs, LasReader, DEFAULT_BLOCK};
use zwilling_io::raster::{write_cog, write_cog_bands, CogOptions};

/// The raster products.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// Terrain: TIN of ground points (class 2), holes inpainted.
    Dtm,
    /// Surface: highest point per cell.
    Dsm,
    /// Normalised DSM = DSM − DTM (object heights).
    Ndsm,
    /// Mean intensity per cell.
    Intensity,
    /// Mean colour per cell, 3 × u8.
    Rgb,
    /// Points per m².
    Density,
}

#[derive(Args, Debug)]
pub struct GridArgs {
    /// LAS/LAZ files or directories of them (ground classified for dtm/ndsm: run `zwilling ground`).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Which raster to make.
    #[arg(long, value_enum, default_value = "dtm")]
    pub product: Product,
    /// Cell size in metres (the grid is aligned to multiples of it).
    #[arg(long, default_value_t = 0.5, value_name = "M")]
    pub res: f64,
    /// DTM: triangles with an edge longer than this (metres) are holes, filled smoothly.
    #[arg(long, default_value_t = 10.0, value_name = "M")]
    pub max_edge: f64,
    /// Assign this CRS (EPSG:N or EPSG:N+V) to the raster instead of the inputs' CRS.
    #[arg(long, value_name = "EPSG:N")]
    pub crs: Option<String>,
    /// Output Cloud-Optimised GeoTIFF.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(a: GridArgs) -> Result<()> {
    if !(a.res > 0.0) || !(a.max_edge > 0.0) {
        return Err(Error::invalid(format!("--res and --max-edge must be > 0 (got {}, {})", a.res, a.max_edge)));
    }
    let inputs = expand_inputs(&a.inputs)?;
    let mut extent = Bounds2::EMPTY;
    let mut crs = CrsInfo::default();
    let mut total = 0u64;
    for p in &inputs {
        let r = LasReader::open(p)?;
        let b = r.info().bounds.to_2d();
        if !b.is_empty() {
            extent = extent.union(&b);
        }
        if crs.is_unknown() {
            crs = r.info().crs.clone();
        }
        total += r.info().point_count;
    }
    if let Some(s) = &a.crs {
        crs = CrsInfo::parse(s).ok_or_else(|| Error::crs(format!("cannot read --crs {s:?} (use EPSG:N)")))?;
    }
    if extent.is_empty() {
        return Err(Error::invalid("the inputs hold no points"));
    }
    let mut target = Grid::covering(&extent, a.res, f32::NAN)?;
    target.crs = crs;
    let cells = target.width as u64 * target.height as u64;
    if cells > 2_000_000_000 {
        return Err(Error::invalid(format!(
            "a {} × {} grid at {} m is too large; choose a coarser --res",
            target.width, target.height, a.res
        )));
    }
    let statistic = match a.product {
        Product::Dsm | Product::Ndsm => Some(Statistic::MaxZ),
        Product::Intensity => Some(Statistic::MeanIntensity),
        Product::Rgb => Some(Statistic::MeanRgb),
        Product::Density => Some(Statistic::Density),
        Product::Dtm => None,
    };
    let mut stats = statistic.map(|s| CellStats::new(s, &target));
    let need_ground = matches!(a.product, Product::Dtm | Product::Ndsm);
    let mut centroids = GroundCentroids::default();
    let mut has_rgb = false;
    let bar = crate::progress::bar(total, "grid");
    for p in &inputs {
        let mut r = LasReader::open(p)?;
        has_rgb |= r.info().layout.rgb;
        while let Some(b) = r.read_block(DEFAULT_BLOCK)? {
            if let Some(s) = stats.as_mut() {
                s.add_block(&b);
            }
            if need_ground {
                for i in 0..b.len() {
                    if b.classification[i] == class::GROUND {
                        centroids.add(b.x[i], b.y[i], b.z[i], a.res);
                    }
                }
            }
            bar.inc(b.len() as u64);
        }
    }
    bar.finish_and_clear();
    if a.product == Product::Rgb && !has_rgb {
        return Err(Error::invalid("--product rgb: the inputs have no RGB (point formats 2, 3, 5, 7, 8, 10)"));
    }
    let dtm = if need_ground {
        if centroids.len() < 3 {
            return Err(Error::invalid(
                "the inputs hold fewer than 3 ground points (class 2): classify them first with `zwilling ground`",
            ));
        }
        let mut dtm = target.clone();
        tin_dtm(&centroids.centroids(), &mut dtm, &TinParams { max_edge: a.max_edge });
        dtm.nodata = Some(f64::NAN);
        Some(dtm)
    } else {
        None
    };
    let opts = CogOptions {
        metadata: vec![("PRODUCT".into(), format!("{:?}", a.product).to_lowercase())],
        ..CogOptions::default()
    };
    let crs = target.crs.clone();
    let with_crs = |mut g: Grid<f32>| {
        g.crs = crs.clone();
        g
    };
    match (a.product, stats, dtm) {
        (Product::Dtm, _, Some(dtm)) => write_cog(&a.output, &dtm, &opts),
        (Product::Ndsm, Some(s), Some(dtm)) => write_cog(&a.output, &with_crs(ndsm(&s.finish(), &dtm)), &opts),
        (Product::Rgb, Some(s), _) => {
            let bands = s.finish_rgb().map(|mut g| {
                g.crs = crs.clone();
                g
            });
            write_cog_bands(&a.output, &bands, &opts)
        }
        (_, Some(s), _) => write_cog(&a.output, &with_crs(s.finish()), &opts),
        _ => Err(Error::invalid("internal: product without data")),
    }
}
