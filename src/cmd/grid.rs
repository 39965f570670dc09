//! `zwilling grid`: point clouds to COG rasters (DTM, DSM, nDSM, intensity, RGB, density).
//!
//! Several products (each at its own cell size, `--product dtm,dsm,intensity,dtm@2`) come from one
//! read of the inputs: every block feeds per-cell accumulators for DSM/intensity/RGB/density and
//! per-cell ground centroids for the DTM (one accumulator per statistic and cell size, shared by
//! the products that need it, fed in parallel), so memory is bounded by the output grids, not by
//! the number of points. Each product is written atomically (temporary file + rename) to its own
//! `-o` file. See docs/grid.md.

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::path::PathBuf;
use zwilling_cloud::grid::cells::{ndsm, CellStats, Statistic};
use zwilling_cloud::grid::tin::{tin_dtm, GroundCentroids, TinParams};
use zwilling_core::{class, Bounds2, CrsInfo, Error, Grid, PointBlock, Result};
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
}

/// A streaming accumulator fed with every block: cell statistics or ground centroids, on the grid
/// of one cell size.
enum Accumulator {
    Stats(CellStats),
    Ground(GroundCentroids, f64),
}

impl Accumulator {
    fn add_block(&mut self, b: &PointBlock) {
        match self {
            Accumulator::Stats(s) => s.add_block(b),
            Accumulator::Ground(c, res) => {
                for i in 0..b.len() {
                    if b.classification[i] == class::GROUND {
                        c.add(b.x[i], b.y[i], b.z[i], *res);
                    }
                }
            }
        }
    }
}

/// Key of an accumulator: the statistic (None = ground centroids) and the index of its cell size.
type AccKey = (Option<Statistic>, usize);

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
    // One target grid per distinct cell size, in order of first use.
    let mut resolutions: Vec<f64> = vec![];
    let mut targets: Vec<Grid<f32>> = vec![];
    let res_index: Vec<usize> = a
        .products
        .iter()
        .map(|spec| {
            let res = spec.res.unwrap_or(a.res);
            if let Some(k) = resolutions.iter().position(|r| *r == res) {
                return Ok(k);
            }
            let mut target = Grid::covering(&extent, res, f32::NAN)?;
            target.crs = crs.clone();
            let cells = target.width as u64 * target.height as u64;
            if cells > 2_000_000_000 {
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
    // of centroids), and how many products use each, so each is freed after its last product.
    let mut keys: Vec<AccKey> = vec![];
    let mut accs: Vec<Accumulator> = vec![];
    let mut uses: Vec<usize> = vec![];
    for (spec, &ri) in a.products.iter().zip(&res_index) {
        let mut need = vec![];
        if let Some(st) = spec.product.statistic() {
            need.push((Some(st), ri));
        }
        if spec.product.needs_ground() {
            need.push((None, ri));
        }
        for key in need {
            match keys.iter().position(|k| *k == key) {
                Some(k) => uses[k] += 1,
                None => {
                    keys.push(key);
                    accs.push(match key.0 {
                        Some(st) => Accumulator::Stats(CellStats::new(st, &targets[ri])),
                        None => Accumulator::Ground(GroundCentroids::default(), resolutions[ri]),
                    });
                    uses.push(1);
                }
            }
        }
    }
    let mut has_rgb = false;
    let bar = crate::progress::bar(total, "grid");
    for p in &inputs {
        let mut r = LasReader::open(p)?;
        has_rgb |= r.info().layout.rgb;
        while let Some(b) = r.read_block(DEFAULT_BLOCK)? {
            // Each accumulator sees every block in file order: the same result at any thread count.
            accs.par_iter_mut().for_each(|acc| acc.add_block(&b));
            bar.inc(b.len() as u64);
        }
    }
    bar.finish_and_clear();
    if a.products.iter().any(|s| s.product == Product::Rgb) && !has_rgb {
        return Err(Error::invalid("--product rgb: the inputs have no RGB (point formats 2, 3, 5, 7, 8, 10)"));
    }
    let mut accs: Vec<Option<Accumulator>> = accs.into_iter().map(Some).collect();
    // DTMs by cell size, kept while a later product (ndsm, or a second output) still needs them.
    let mut dtms: Vec<Option<Grid<f32>>> = vec![None; resolutions.len()];
    let mut dtm_uses: Vec<usize> = vec![0; resolutions.len()];
    for (spec, &ri) in a.products.iter().zip(&res_index) {
        if spec.product.needs_ground() {
            dtm_uses[ri] += 1;
        }
    }
    for ((spec, &ri), output) in a.products.iter().zip(&res_index).zip(&a.output) {
        let dtm = if spec.product.needs_ground() {
            if dtms[ri].is_none() {
                let k = keys.iter().position(|k| *k == (None, ri)).expect("ground accumulator planned");
                let Some(Accumulator::Ground(centroids, _)) = &accs[k] else { unreachable!("ground accumulator") };
                if centroids.len() < 3 {
                    return Err(Error::invalid(
                        "the inputs hold fewer than 3 ground points (class 2): classify them first with `zwilling ground`",
                    ));
                }
                let mut dtm = targets[ri].clone();
                tin_dtm(&centroids.centroids(), &mut dtm, &TinParams { max_edge: a.max_edge });
                dtm.nodata = Some(f64::NAN);
                dtms[ri] = Some(dtm);
            }
            dtm_uses[ri] -= 1;
            if dtm_uses[ri] == 0 {
                dtms[ri].take()
            } else {
                dtms[ri].clone()
            }
        } else {
            None
        };
        let stats = spec.product.statistic().map(|st| keys.iter().position(|k| *k == (Some(st), ri)).unwrap());
        write_product(spec.product, output, &targets[ri].crs, stats.and_then(|k| accs[k].as_ref()), dtm)?;
        // Free the accumulators this was the last product of.
        for key in
            [spec.product.statistic().map(|st| (Some(st), ri)), spec.product.needs_ground().then_some((None, ri))]
                .into_iter()
                .flatten()
        {
            let k = keys.iter().position(|x| *x == key).expect("planned accumulator");
            uses[k] -= 1;
            if uses[k] == 0 {
                accs[k] = None;
            }
        }
    }
    Ok(())
}

/// Makes one product from its accumulator and/or DTM and writes it as a COG.
fn write_product(
    product: Product,
    output: &std::path::Path,
    crs: &CrsInfo,
    stats: Option<&Accumulator>,
    dtm: Option<Grid<f32>>,
) -> Result<()> {
    let opts = CogOptions { metadata: vec![("PRODUCT".into(), product.name().into())], ..CogOptions::default() };
    let with_crs = |mut g: Grid<f32>| {
        g.crs = crs.clone();
        g
    };
    let stats = match stats {
        Some(Accumulator::Stats(s)) => Some(s),
        _ => None,
    };
    match (product, stats, dtm) {
        (Product::Dtm, _, Some(dtm)) => write_cog(output, &dtm, &opts),
        (Product::Ndsm, Some(s), Some(dtm)) => write_cog(output, &with_crs(ndsm(&s.finish(), &dtm)), &opts),
        (Product::Rgb, Some(s), _) => {
            let bands = s.finish_rgb().map(|mut g| {
                g.crs = crs.clone();
                g
            });
            write_cog_bands(output, &bands, &opts)
        }
        (_, Some(s), _) => write_cog(output, &with_crs(s.finish()), &opts),
        _ => Err(Error::invalid("internal: product without data")),
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
