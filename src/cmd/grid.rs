//! `zwilling grid`: point clouds to COG rasters (DTM, DSM, nDSM, intensity, RGB, density).
//!
//! Several products (each at its own cell size, `--product dtm,dsm,intensity,dtm@2`) come from one
//! read of the inputs: every block feeds per-cell accumulators for DSM/intensity/RGB/density and
//! per-cell ground centroids for the DTM (one accumulator per statistic and cell size, shared by
//! the products that need it, fed in parallel). The accumulators are sparse blocks allocated where
//! points fall, at most `--memory` MB of them in memory; the least recently touched blocks are
//! spilled to a temporary file beside the first output and merged back when the products are
//! written, tile by tile (the DTM as a TIN per tile with a margin). So memory depends neither on
//! the bounding box nor on the number of points. Each product is written atomically (temporary
//! file + rename) to its own `-o` file. See docs/grid.md.

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use zwilling_cloud::grid::blocks::SpillStore;
use zwilling_cloud::grid::cells::{CellStats, Statistic};
use zwilling_cloud::grid::tiled_dtm::{dtm_window, GroundCells};
use zwilling_cloud::grid::tin::TinParams;
use zwilling_core::{Bounds2, CrsInfo, Error, Grid, PointBlock, Result};
use zwilling_io::las::{expand_inputs, LasReader, DEFAULT_BLOCK};
use zwilling_io::raster::{write_cog_streamed, CogOptions, StreamedRaster};

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

/// One raster to make: a product, at its own cell size or the common `--res`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProductSpec {
    /// What to make.
    pub product: Product,
    /// Cell size (m) for this product only (`dtm@2`); `None` = `--res`.
    pub res: Option<f64>,
}

impl Product {
    /// The lower-case name used on the command line and in the COG's PRODUCT metadata.
    pub fn name(self) -> &'static str {
        match self {
            Product::Dtm => "dtm",
            Product::Dsm => "dsm",
            Product::Ndsm => "ndsm",
            Product::Intensity => "intensity",
            Product::Rgb => "rgb",
            Product::Density => "density",
        }
    }

    fn statistic(self) -> Option<Statistic> {
        match self {
            Product::Dsm | Product::Ndsm => Some(Statistic::MaxZ),
            Product::Intensity => Some(Statistic::MeanIntensity),
            Product::Rgb => Some(Statistic::MeanRgb),
            Product::Density => Some(Statistic::Density),
            Product::Dtm => None,
        }
    }

    fn needs_ground(self) -> bool {
        matches!(self, Product::Dtm | Product::Ndsm)
    }
}

/// Parses `NAME` or `NAME@RES` (`dtm@2`: a DTM at 2 m cells).
fn parse_spec(s: &str) -> std::result::Result<ProductSpec, String> {
    let (name, res) = match s.split_once('@') {
        Some((n, r)) => {
            let res: f64 = r.trim().parse().map_err(|_| format!("cell size {r:?} in {s:?} is not a number"))?;
            if !(res > 0.0 && res.is_finite()) {
                return Err(format!("cell size in {s:?} must be > 0"));
            }
            (n, Some(res))
        }
        None => (s, None),
    };
    let product = Product::from_str(name.trim(), true).map_err(|_| {
        let names: Vec<&str> = Product::value_variants().iter().map(|p| p.name()).collect();
        format!("unknown product {name:?} (one of {}, optionally with @RES)", names.join(", "))
    })?;
    Ok(ProductSpec { product, res })
}

#[derive(Args, Debug)]
pub struct GridArgs {
    /// LAS/LAZ files or directories of them (ground classified for dtm/ndsm: run `zwilling ground`).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Which rasters to make, comma-separated or repeated: dtm, dsm, ndsm, intensity, rgb, density;
    /// `NAME@RES` gives one product its own cell size (`dtm,dsm,dtm@2`). All come from one read of
    /// the inputs; give one `-o` per product, in the same order.
    #[arg(long = "product", value_name = "PRODUCT[@RES]", value_delimiter = ',', default_value = "dtm",
          value_parser = parse_spec)]
    pub products: Vec<ProductSpec>,
    /// Cell size in metres (the grid is aligned to multiples of it).
    #[arg(long, default_value_t = 0.5, value_name = "M")]
    pub res: f64,
    /// DTM: triangles with an edge longer than this (metres) are holes, filled smoothly.
    #[arg(long, default_value_t = 10.0, value_name = "M")]
    pub max_edge: f64,
    /// Assign this CRS (EPSG:N or EPSG:N+V) to the raster instead of the inputs' CRS.
    #[arg(long, value_name = "EPSG:N")]
    pub crs: Option<String>,
    /// Output Cloud-Optimised GeoTIFF, one per product (repeat `-o` for several products).
    #[arg(short, long, required = true)]
    pub output: Vec<PathBuf>,
    /// Memory for the per-cell accumulators in MB; beyond it the least recently used blocks of
    /// cells are spilled to a temporary file beside the output (results do not change).
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub memory: usize,
}

/// A streaming accumulator fed with every block: cell statistics or ground centroids, on the grid
/// of one cell size.
enum Accumulator {
    Stats(CellStats),
    Ground(GroundCells),
}

impl Accumulator {
    fn add_block(&mut self, b: &PointBlock) -> Result<()> {
        match self {
            Accumulator::Stats(s) => s.add_block(b),
            Accumulator::Ground(c) => c.add_block(b),
        }
    }

    fn usage(&self) -> (usize, u64) {
        match self {
            Accumulator::Stats(s) => s.usage(),
            Accumulator::Ground(c) => c.usage(),
        }
    }
}

/// Key of an accumulator: the statistic (None = ground centroids) and the index of its cell size.
type AccKey = (Option<Statistic>, usize);

/// Resident bytes of one block of an accumulator.
fn block_bytes(key: &AccKey) -> usize {
    match key.0 {
        Some(st) => CellStats::block_bytes(st),
        None => GroundCells::block_bytes(),
    }
}

pub fn run(a: GridArgs) -> Result<()> {
    if !(a.res > 0.0) || !(a.max_edge > 0.0) {
        return Err(Error::invalid(format!("--res and --max-edge must be > 0 (got {}, {})", a.res, a.max_edge)));
    }
    if a.products.len() != a.output.len() {
        return Err(Error::invalid(format!(
            "{} product(s) but {} output(s): give one -o per --product, in the same order",
            a.products.len(),
            a.output.len()
        )));
    }
    for (k, o) in a.output.iter().enumerate() {
        if a.output[..k].contains(o) {
            return Err(Error::invalid(format!("output {} is named twice", o.display())));
        }
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
    // One target grid (georeferencing only: no cells are allocated) per distinct cell size.
    let mut resolutions: Vec<f64> = vec![];
    let mut targets: Vec<Grid<()>> = vec![];
    let res_index: Vec<usize> = a
        .products
        .iter()
        .map(|spec| {
            let res = spec.res.unwrap_or(a.res);
            if let Some(k) = resolutions.iter().position(|r| *r == res) {
                return Ok(k);
            }
            let target = Grid::covering(&extent, res, ())?;
            if target.width.max(target.height) > 1 << 24 {
                return Err(Error::invalid(format!(
                    "a {} × {} grid at {res} m is too large; choose a coarser --res",
                    target.width, target.height
                )));
            }
            resolutions.push(res);
            targets.push(target);
            Ok(resolutions.len() - 1)
        })
        .collect::<Result<_>>()?;
    // The accumulators the products need (shared: dsm and ndsm use one MaxZ, dtm and ndsm one set
    // of centroids).
    let mut keys: Vec<AccKey> = vec![];
    for (spec, &ri) in a.products.iter().zip(&res_index) {
        let mut need = vec![];
        if let Some(st) = spec.product.statistic() {
            need.push((Some(st), ri));
        }
        if spec.product.needs_ground() {
            need.push((None, ri));
        }
        for key in need {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    // Every accumulator holds the same number of blocks: they are touched in the same pattern.
    let per_block: usize = keys.iter().map(block_bytes).sum();
    let max_resident = (a.memory.saturating_mul(1 << 20) / per_block.max(1)).max(1);
    let spill_dir = a.output[0].parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut accs: Vec<Accumulator> = keys
        .iter()
        .map(|&(st, ri)| {
            let store = Box::new(FileSpill::new(spill_dir.to_path_buf()));
            match st {
                Some(st) => Accumulator::Stats(CellStats::with_budget(st, &targets[ri], max_resident, store)),
                None => Accumulator::Ground(GroundCells::with_budget(&targets[ri], max_resident, store)),
            }
        })
        .collect();
    let mut has_rgb = false;
    let mut ground_points = 0u64;
    let bar = crate::progress::bar(total, "grid");
    for p in &inputs {
        let mut r = LasReader::open(p)?;
        has_rgb |= r.info().layout.rgb;
        while let Some(b) = r.read_block(DEFAULT_BLOCK)? {
            // Each accumulator sees every block in file order: the same result at any thread count.
            accs.par_iter_mut().map(|acc| acc.add_block(&b)).collect::<Result<Vec<()>>>()?;
            ground_points += b.classification.iter().filter(|&&c| c == zwilling_core::class::GROUND).count() as u64;
            bar.inc(b.len() as u64);
        }
    }
    bar.finish_and_clear();
    for (key, acc) in keys.iter().zip(&accs) {
        let (resident, spilled) = acc.usage();
        tracing::info!("grid accumulator {key:?}: {resident} blocks in memory, {spilled} bytes spilled");
    }
    if a.products.iter().any(|s| s.product == Product::Rgb) && !has_rgb {
        return Err(Error::invalid("--product rgb: the inputs have no RGB (point formats 2, 3, 5, 7, 8, 10)"));
    }
    if a.products.iter().any(|s| s.product.needs_ground()) && ground_points < 3 {
        return Err(Error::invalid(
            "the inputs hold fewer than 3 ground points (class 2): classify them first with `zwilling ground`",
        ));
    }
    let params = TinParams { max_edge: a.max_edge };
    for ((spec, &ri), output) in a.products.iter().zip(&res_index).zip(&a.output) {
        let find = |key: AccKey| keys.iter().position(|k| *k == key).map(|k| &accs[k]);
        let stats = match spec.product.statistic().and_then(|st| find((Some(st), ri))) {
            Some(Accumulator::Stats(s)) => Some(s),
            _ => None,
        };
        let ground = match spec.product.needs_ground().then(|| find((None, ri))).flatten() {
            Some(Accumulator::Ground(g)) => Some(g),
            _ => None,
        };
        write_product(spec.product, output, &targets[ri], &crs, stats, ground, &params)?;
    }
    Ok(())
}

/// Makes one product tile by tile from its accumulator and/or ground centroids and writes it as a COG.
fn write_product(
    product: Product,
    output: &Path,
    target: &Grid<()>,
    crs: &CrsInfo,
    stats: Option<&CellStats>,
    ground: Option<&GroundCells>,
    params: &TinParams,
) -> Result<()> {
    let opts = CogOptions { metadata: vec![("PRODUCT".into(), product.name().into())], ..CogOptions::default() };
    let ts = opts.tile_size;
    let raster = |nodata, bands| StreamedRaster {
        width: target.width,
        height: target.height,
        transform: target.transform,
        crs,
        nodata,
        bands,
    };
    let all_nan = |v: Vec<f32>| if v.iter().all(|z| z.is_nan()) { None } else { Some(v) };
    match (product, stats, ground) {
        (Product::Dtm, _, Some(g)) => {
            let tile = |tc: usize, tr: usize| Ok(all_nan(dtm_window(g, tc * ts, tr * ts, ts, ts, params)?));
            write_cog_streamed(output, &raster(Some(f64::NAN), 1), &opts, &tile)
        }
        (Product::Ndsm, Some(s), Some(g)) => {
            let tile = |tc: usize, tr: usize| {
                let dsm = s.window(tc * ts, tr * ts, ts, ts)?;
                if dsm.iter().all(|z| z.is_nan()) {
                    return Ok(None);
                }
                let dtm = dtm_window(g, tc * ts, tr * ts, ts, ts, params)?;
                Ok(all_nan(dsm.iter().zip(&dtm).map(|(s, t)| s - t).collect()))
            };
            write_cog_streamed(output, &raster(Some(f64::NAN), 1), &opts, &tile)
        }
        (Product::Rgb, Some(s), _) => {
            let tile = |tc: usize, tr: usize| {
                let v = s.window_rgb(tc * ts, tr * ts, ts, ts)?;
                Ok(v.iter().any(|&c| c != 0).then_some(v))
            };
            write_cog_streamed(output, &raster(Some(0.0), 3), &opts, &tile)
        }
        (Product::Density, Some(s), _) => {
            let tile = |tc: usize, tr: usize| Ok(Some(s.window(tc * ts, tr * ts, ts, ts)?));
            write_cog_streamed(output, &raster(None, 1), &opts, &tile)
        }
        (_, Some(s), _) => {
            let tile = |tc: usize, tr: usize| Ok(all_nan(s.window(tc * ts, tr * ts, ts, ts)?));
            write_cog_streamed(output, &raster(Some(f64::NAN), 1), &opts, &tile)
        }
        _ => Err(Error::invalid("internal: product without data")),
    }
}

/// The grid accumulator's [`SpillStore`]: a [`zwilling_io::SpillFile`] (an unnamed temporary
/// file in `dir`, created on the first spill and removed by the system when the process ends).
struct FileSpill(zwilling_io::SpillFile);

impl FileSpill {
    fn new(dir: PathBuf) -> Self {
        FileSpill(zwilling_io::SpillFile::new(&dir))
    }
}

impl SpillStore for FileSpill {
    fn put(&mut self, bytes: &[u8]) -> Result<u64> {
        self.0.append(bytes)
    }

    fn get(&self, id: u64) -> Result<Vec<u8>> {
        self.0.read(id)
    }

    fn stored_bytes(&self) -> u64 {
        self.0.stored_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_specs_parse_with_and_without_cell_size() {
        assert_eq!(parse_spec("dtm").unwrap(), ProductSpec { product: Product::Dtm, res: None });
        assert_eq!(parse_spec("DSM@2").unwrap(), ProductSpec { product: Product::Dsm, res: Some(2.0) });
        assert_eq!(parse_spec("dtm@0.25").unwrap().res, Some(0.25));
        assert!(parse_spec("dtm@0").unwrap_err().contains("> 0"));
        assert!(parse_spec("dtm@x").unwrap_err().contains("not a number"));
        assert!(parse_spec("slope").unwrap_err().contains("unknown product"));
    }
}
