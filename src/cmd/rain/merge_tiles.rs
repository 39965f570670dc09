//! `rain merge --tiles CxR`: the merge of the catchment groups tile by tile, so that no step holds
//! the whole rain DTM (docs/cluster.md, "The 2D rain simulation on a cluster").
//!
//! - **Per tile** (`--tile T`, one cluster array task each): the tile's window of the group raster
//!   (`groups.tif`) and, for every group whose window meets the tile, the group's rasters cut to
//!   the intersection; [`merge_groups`] on the tile (the groups' windows shifted to the tile) gives
//!   exactly the cells of the whole-grid merge. Writes `OUT/tiles/<name>-<T>.tif` for `max_depth`,
//!   `max_velocity`, `time_of_max`, `flow_dir`, `depth_<t>s` and (with buildings) `hazard`, and
//!   `OUT/tiles/merge-<T>.json`: the tile's flow arrows (exact bits) — written last, it marks the
//!   tile as done.
//! - **Final** (`--mosaic`, one task): GDAL VRTs `OUT/<name>.vrt` over the tile COGs (no pixel
//!   read), `mass_balance.json` (the group records summed by [`merge_groups`] in group order, as
//!   the whole-grid merge does), and `rain.gpkg`: the arrows of all tiles in the whole grid's
//!   row-major order; every building's hazard from a window around it read from the tile COGs,
//!   and the risk raster as tile COGs + `risk.vrt`; the sink and flow-path layers: with
//!   `--hydro DIR` from the tile records (each tile task adds its tile's sink and flow-path
//!   summaries, read from its window of the DEM and the tiled hydrology's raw tiles in DIR:
//!   [`super::topo_tiles`]), without it from the whole DEM (`topographic_layers`, standalone use).
//!
//! Memory: a tile task holds the tile (≈ 30 B per cell) plus one tile-sized cut per group meeting
//! it; the final task one tile row's arrows at a time (one point per 25 cells, streamed into
//! `rain.gpkg` tile row by tile row; all of them only with `--geojson`, for
//! `flow_arrows.geojson`), one window per building, one risk tile at a time and the sink and
//! flow-path summaries (the layers' size) — without `--hydro`, the DEM.
//!
//! Coordinates: arrows get their cell centres from the whole grid's transform (the same bits as
//! the whole-grid merge). A building's cells are found on its window's transform, which equals the
//! whole grid's cell for cell when origin + col0 · cell is exact in f64 (cell sizes and origins
//! that are multiples of a power of two, as every grid zwilling writes).

use std::path::{Path, PathBuf};

use clap::Args;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Feature, GeoTransform, Geometry, Grid, Layer, Result, Value};
use zwilling_io::raster::{
    read_geotiff_info, read_geotiff_window_f32, write_cog, write_vrt_mosaic, GeoTiffInfo, VrtMosaic,
};
use zwilling_rain::simulate::grouped::merge_groups;
use zwilling_rain::simulate::groups::GroupWindow;
use zwilling_rain::simulate::SimulationResult;
use zwilling_rain::{hazard, risk};
use zwilling_tiled::{TileLayout, TileRect};

use super::groups::{plan_dir, read_plan, read_record, record_result, MergeArgs, Plan};
use super::topo_tiles::{self, Hydro, TopoSummaries};
use super::{cog_opts, Arrows, ProductArgs, VectorLayers, ARROW_MIN_VELOCITY, ARROW_STEP};
use crate::pipeline::slurm::hydro::{self, TileCount};

/// `rain merge`: the options of [`MergeArgs`] and the tiled merge's hydrology folder.
#[derive(Args, Debug)]
pub struct MergeCommand {
    #[command(flatten)]
    pub merge: MergeArgs,
    /// With --tiles: the tiled hydrology of the same DEM on the same COLSxROWS tiles (the folder
    /// holding tiles/layout.json, filled-T.f32, d8-T.u8, acc-T.f64): the sink and flow-path layers
    /// are then computed tile by tile from it instead of from the whole DEM in the mosaic.
    #[arg(long, value_name = "DIR", requires = "tiles")]
    pub hydro: Option<PathBuf>,
}

/// Runs `rain merge`: tiled with `--tiles`, else the whole-grid merge.
pub fn run_command(a: MergeCommand) -> Result<()> {
    match a.merge.tiles {
        Some(tiles) => run_with(&a.merge, tiles, a.hydro.as_deref()),
        None => super::groups::run_merge(a.merge),
    }
}

/// What a tile task leaves in `OUT/tiles/merge-<T>.json`; read as `TileRecord<IgnoredAny>` when
/// the arrows are not needed (parsed over, not kept).
#[derive(Debug, Serialize, Deserialize)]
struct TileRecord<A = Vec<[u64; 7]>> {
    tile: usize,
    /// `[col0, row0, cols, rows]`; `None` for a task beyond the layout's tiles (small DEMs).
    rect: Option<[usize; 4]>,
    /// The raster products written (`OUT/tiles/<name>-<T>.tif`).
    rasters: Vec<String>,
    /// Flow arrows: `[col, row, x, y, z, direction_deg, velocity_m_s]`, the last five as f64 bits.
    arrows: A,
    /// With `--hydro`: the tile's summaries for the sink and flow-path layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    topo: Option<TopoSummaries>,
}

fn tile_path(out: &Path, name: &str, t: usize, ext: &str) -> PathBuf {
    out.join("tiles").join(format!("{name}-{t}.{ext}"))
}

/// The file a tile task writes last (its manifest output).
pub fn tile_record_path(out: &Path, t: usize) -> PathBuf {
    tile_path(out, "merge", t, "json")
}

/// `rain merge --plan P --tiles CxR [--tile T | --mosaic] -o OUT`, the sink and flow-path layers
/// from the whole DEM.
pub fn run(a: &MergeArgs, tiles: TileCount) -> Result<()> {
    run_with(a, tiles, None)
}

/// `rain merge --plan P --tiles CxR [--hydro DIR] [--tile T | --mosaic] -o OUT`.
pub fn run_with(a: &MergeArgs, tiles: TileCount, hydro: Option<&Path>) -> Result<()> {
    let plan = read_plan(&a.plan)?;
    a.products.check()?;
    let layout = tiles.layout(plan.width, plan.height)?;
    let info = read_geotiff_info(&plan.dem)?;
    if (info.width, info.height) != (plan.width, plan.height) {
        return Err(Error::bad_file(&plan.dem, format!("is not the DEM of the plan {}", a.plan.display())));
    }
    if plan.windows.is_empty() {
        return Err(Error::bad_file(&a.plan, "the plan has no groups"));
    }
    let hydro = hydro.map(|d| Hydro::open(d, &layout, &info)).transpose()?;
    let hydro = hydro.as_ref();
    let tiles_dir = a.output.join("tiles");
    std::fs::create_dir_all(&tiles_dir).map_err(|e| Error::io(&tiles_dir, e))?;
    let preset = super::load_preset(&a.products.preset)?;
    match (a.tile, a.mosaic) {
        (Some(t), _) => merge_tile(a, &plan, &layout, &info, &preset, hydro, t),
        (None, true) => mosaic(a, &plan, &layout, &info, &preset, hydro.is_some()),
        (None, false) => {
            let bar = crate::progress::bar(tiles.count() as u64, "merge tiles");
            for t in 0..tiles.count() {
                merge_tile(a, &plan, &layout, &info, &preset, hydro, t)?;
                bar.inc(1);
            }
            bar.finish_and_clear();
            mosaic(a, &plan, &layout, &info, &preset, hydro.is_some())
        }
    }
}

/// The cells of `rect` of the DEM described by `info` as an empty-valued grid with the DEM's CRS
/// and NoData and the transform shifted to the rectangle (as `read_geotiff_window` gives it).
fn window_grid<T: Clone>(info: &GeoTiffInfo, col0: usize, row0: usize, cols: usize, rows: usize, v: T) -> Grid<T> {
    let mut g = Grid::filled(cols, rows, shifted(&info.transform, col0, row0), v);
    g.crs = info.crs.clone();
    g.nodata = info.nodata;
    g
}

fn shifted(t: &GeoTransform, col0: usize, row0: usize) -> GeoTransform {
    let mut t = *t;
    t.origin_x += col0 as f64 * t.cell_x;
    t.origin_y -= row0 as f64 * t.cell_y;
    t
}

fn empty_grid() -> Grid<f32> {
    Grid::filled(0, 0, GeoTransform::new(0.0, 0.0, 1.0), 0.0)
}

/// A group's result with 0 × 0 rasters: what [`merge_groups`] needs of a group that does not
/// meet the tile (and, for the mass balance, of every group).
fn no_cells(r: &super::groups::GroupRecord) -> Result<SimulationResult> {
    record_result(r, |_| Ok(empty_grid()))
}

/// A 0 × 0 window (a group that does not meet the tile).
const NO_WINDOW: GroupWindow = GroupWindow { col0: 0, row0: 0, cols: 0, rows: 0, cells: 0, outlets: 0 };

fn group_dir(plan_path: &Path, g: usize) -> PathBuf {
    plan_dir(plan_path).join("groups").join(g.to_string())
}

/// One tile of the merge (see the module doc).
fn merge_tile(
    a: &MergeArgs,
    plan: &Plan,
    layout: &TileLayout,
    info: &GeoTiffInfo,
    preset: &hazard::HazardPreset,
    hydro: Option<&Hydro>,
    t: usize,
) -> Result<()> {
    let out = &a.output;
    let mut record = TileRecord { tile: t, rect: None, rasters: vec![], arrows: vec![], topo: None };
    if t >= layout.count() {
        return write_record(out, &record);
    }
    let rect = layout.tile(t);
    let labels = super::groups::read_labels_window(&a.plan, plan, rect.col0, rect.row0, rect.cols, rect.rows)?;
    let rec0 = read_record(&group_dir(&a.plan, 0), 0, &plan.windows[0])?;
    let (mut windows, mut runs) = (vec![], vec![]);
    for (g, win) in plan.windows.iter().enumerate() {
        let (c0, r0) = (win.col0.max(rect.col0), win.row0.max(rect.row0));
        let (c1, r1) =
            ((win.col0 + win.cols).min(rect.col0 + rect.cols), (win.row0 + win.rows).min(rect.row0 + rect.rows));
        if c0 >= c1 || r0 >= r1 {
            windows.push(NO_WINDOW);
            runs.push(no_cells(&rec0)?);
            continue;
        }
        let dir = group_dir(&a.plan, g);
        let rec_g;
        let rec = if g == 0 {
            &rec0
        } else {
            rec_g = read_record(&dir, g, win)?;
            &rec_g
        };
        let (cols, rows) = (c1 - c0, r1 - r0);
        runs.push(record_result(rec, |n| {
            read_geotiff_window_f32(&dir.join(n), c0 - win.col0, r0 - win.row0, cols, rows)
        })?);
        windows.push(GroupWindow { col0: c0 - rect.col0, row0: r0 - rect.row0, cols, rows, ..*win });
    }
    let template = window_grid(info, rect.col0, rect.row0, rect.cols, rect.rows, 0u8);
    let r = merge_groups(&template, &labels, &windows, &runs)?;
    drop(runs);
    let mut put = |name: String, write: &dyn Fn(&Path) -> Result<()>| -> Result<()> {
        write(&tile_path(out, &name, t, "tif"))?;
        record.rasters.push(name);
        Ok(())
    };
    put("max_depth".into(), &|p| write_cog(p, &r.max_depth, &cog_opts(false)))?;
    put("max_velocity".into(), &|p| write_cog(p, &r.max_velocity, &cog_opts(false)))?;
    put("time_of_max".into(), &|p| write_cog(p, &r.time_of_max, &cog_opts(false)))?;
    put("flow_dir".into(), &|p| write_cog(p, &r.flow_dir_at_peak, &cog_opts(true)))?;
    for (time, g) in &r.snapshots {
        put(snapshot_name(*time), &|p| write_cog(p, g, &cog_opts(false)))?;
    }
    if a.products.buildings.is_some() {
        let classes = preset.classify_grids(&r.max_depth, &r.max_velocity)?;
        put("hazard".into(), &|p| write_cog(p, &classes, &cog_opts(true)))?;
    }
    record.rect = Some([rect.col0, rect.row0, rect.cols, rect.rows]);
    record.arrows = tile_arrows(&r.flow_dir_at_peak, &r.max_velocity, rect, &info.transform)?;
    drop(r);
    if let Some(h) = hydro {
        record.topo = Some(topo_tiles::tile_summaries(h, &plan.dem, info, t, &a.products)?);
    }
    write_record(out, &record)
}

/// The name `write_products` gives a depth snapshot at `time` seconds.
fn snapshot_name(time: f64) -> String {
    format!("depth_{:05}s", time.round() as u64)
}

fn write_record(out: &Path, r: &TileRecord) -> Result<()> {
    let json = serde_json::to_string(r).map_err(|e| Error::invalid(e.to_string()))?;
    zwilling_io::write_atomic(&tile_record_path(out, r.tile), json.as_bytes())
}

/// The flow arrows (`risk::flow_arrows` on the whole grid) whose cells lie in `rect`: the tile,
/// padded with cells without direction up to the arrows' lattice (every `ARROW_STEP`-th cell from
/// `ARROW_STEP / 2`), goes through `flow_arrows`; every arrow gets its cell's centre from the
/// whole grid's transform `whole`.
fn tile_arrows(dir: &Grid<u8>, vel: &Grid<f32>, rect: TileRect, whole: &GeoTransform) -> Result<Vec<[u64; 7]>> {
    let (step, half) = (ARROW_STEP, ARROW_STEP / 2);
    // The lattice cell at or after x0, moved back to where a grid must start for flow_arrows to hit it.
    let start = |x0: usize| x0 + (half + step - x0 % step) % step - half;
    let (sc, sr) = (start(rect.col0), start(rect.row0));
    let (ec, er) = (rect.col0 + rect.cols, rect.row0 + rect.rows);
    if sc >= ec || sr >= er {
        return Ok(vec![]);
    }
    let w = ec - sc;
    let mut d = Grid::filled(w, er - sr, shifted(whole, sc, sr), 0u8);
    d.crs = dir.crs.clone();
    let mut v = d.with_data(vec![0f32; d.len()]);
    for r in sr.max(rect.row0)..er {
        for c in sc.max(rect.col0)..ec {
            d.data[(r - sr) * w + c - sc] = dir.data[rect.local(c, r)];
            v.data[(r - sr) * w + c - sc] = vel.data[rect.local(c, r)];
        }
    }
    let layer = risk::flow_arrows(&d, &v, step, ARROW_MIN_VELOCITY);
    layer
        .features
        .iter()
        .map(|f| {
            let (Geometry::Point(p), [Value::Real(deg), Value::Real(speed)]) = (&f.geometry, f.values.as_slice())
            else {
                return Err(Error::invalid("flow_arrows gave an unexpected feature"));
            };
            let (fc, fr) = d.transform.world_to_frac(p[0], p[1]);
            let (c, r) = (sc + fc.floor() as usize, sr + fr.floor() as usize);
            let (x, y) = whole.cell_center(c, r);
            Ok([c as u64, r as u64, x.to_bits(), y.to_bits(), p[2].to_bits(), deg.to_bits(), speed.to_bits()])
        })
        .collect()
}

/// The arrows of a tile record, read tile row by tile row in the mosaic (the summaries parsed over).
#[derive(Deserialize)]
struct ArrowRecord {
    tile: usize,
    rect: Option<[usize; 4]>,
    rasters: Vec<String>,
    arrows: Vec<[u64; 7]>,
}

/// What the mosaic checks of every record it reads: (tile, rect, rasters).
trait RecordHead {
    fn head(&self) -> (usize, Option<[usize; 4]>, &[String]);
}

impl<A> RecordHead for TileRecord<A> {
    fn head(&self) -> (usize, Option<[usize; 4]>, &[String]) {
        (self.tile, self.rect, &self.rasters)
    }
}

impl RecordHead for ArrowRecord {
    fn head(&self) -> (usize, Option<[usize; 4]>, &[String]) {
        (self.tile, self.rect, &self.rasters)
    }
}

/// The record of tile `t` (read as `R`), checked against the layout and (but for the first read)
/// the rasters of tile 0's record.
fn read_checked_record<R: DeserializeOwned + RecordHead>(
    out: &Path,
    layout: &TileLayout,
    t: usize,
    rasters: Option<&[String]>,
) -> Result<R> {
    let p = tile_record_path(out, t);
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    let r: R = serde_json::from_str(&text).map_err(|e| Error::bad_file(&p, format!("not a merge tile record: {e}")))?;
    let (tile, rect, names) = r.head();
    if tile != t {
        return Err(Error::bad_file(&p, format!("is the record of tile {tile}, not {t}")));
    }
    let want = layout.tile(t);
    if rect != Some([want.col0, want.row0, want.cols, want.rows]) || rasters.is_some_and(|n| names != n) {
        return Err(Error::bad_file(&p, "does not belong to this tiling: rerun the tile"));
    }
    Ok(r)
}

/// The flow arrows of the tile records in the whole grid's row-major order, tile row by tile row:
/// a tile row's records are read, their arrows sorted by (row, col) and passed on, and dropped
/// before the next tile row (tile rows cover consecutive grid rows, so the order is the whole
/// grid's).
fn stream_arrows(
    out: &Path,
    layout: &TileLayout,
    rasters: &[String],
    add: &mut dyn FnMut(&Feature) -> Result<()>,
) -> Result<()> {
    for ty in 0..layout.tiles_y() {
        let mut cells: Vec<[u64; 7]> = vec![];
        for t in ty * layout.tiles_x()..(ty + 1) * layout.tiles_x() {
            cells.extend(read_checked_record::<ArrowRecord>(out, layout, t, Some(rasters))?.arrows);
        }
        cells.sort_unstable_by_key(|a| (a[1], a[0]));
        for a in &cells {
            let f = |k: usize| f64::from_bits(a[k]);
            add(&Feature {
                geometry: Geometry::Point([f(2), f(3), f(4)]),
                values: vec![Value::Real(f(5)), Value::Real(f(6))],
            })?;
        }
    }
    Ok(())
}

/// The final step (see the module doc).
fn mosaic(
    a: &MergeArgs,
    plan: &Plan,
    layout: &TileLayout,
    info: &GeoTiffInfo,
    preset: &hazard::HazardPreset,
    tiled_topo: bool,
) -> Result<()> {
    let out = &a.output;
    // Every record checked, its sink and flow-path summaries kept; its arrows are parsed over, not
    // kept: they come later, tile row by tile row.
    let mut rasters: Option<Vec<String>> = None;
    let mut summaries = vec![];
    for t in 0..layout.count() {
        let mut r = read_checked_record::<TileRecord<IgnoredAny>>(out, layout, t, rasters.as_deref())?;
        if tiled_topo {
            let path = tile_record_path(out, t);
            let s = r
                .topo
                .take()
                .ok_or_else(|| Error::bad_file(&path, "was written without --hydro: rerun the tile with it"))?;
            s.check(&a.products, &path)?;
            summaries.push(s);
        }
        rasters.get_or_insert(r.rasters);
    }
    let topo = tiled_topo.then_some(summaries);
    let mut rasters = rasters.unwrap_or_default();
    let tile_rasters = rasters.clone();
    // The mass balance: every group's record summed in group order, exactly as the whole-grid merge.
    let runs = plan
        .windows
        .iter()
        .enumerate()
        .map(|(g, win)| no_cells(&read_record(&group_dir(&a.plan, g), g, win)?))
        .collect::<Result<Vec<_>>>()?;
    let totals = merge_groups(&empty_grid(), &[], &vec![NO_WINDOW; runs.len()], &runs)?;
    drop(runs);
    let buildings = match a.products.read_buildings()? {
        Some(b) => {
            let (layer, risk_cells) = building_risk(&a.products, &b, preset, out, layout, info)?;
            write_risk_tiles(out, layout, info, risk_cells)?;
            rasters.push("risk".into());
            Some(layer)
        }
        None => None,
    };
    for name in &rasters {
        write_vrt(out, name, layout, info)?;
    }
    let (sinks, flow_paths) = match topo {
        Some(summaries) => topo_tiles::layers(layout, info, summaries)?,
        // Standalone use without a tiled hydrology: the whole DEM, as `rain merge`.
        None => super::topographic_layers(&super::read_dem(&plan.dem)?, &a.products)?,
    };
    // Flow arrows in the whole grid's row-major order, streamed into rain.gpkg tile row by tile row.
    let schema = risk::flow_arrows(&window_grid(info, 0, 0, 0, 0, 0u8), &empty_grid(), ARROW_STEP, 0.0);
    let source = |add: &mut dyn FnMut(&Feature) -> Result<()>| stream_arrows(out, layout, &tile_rasters, add);
    let layers = VectorLayers { sinks, flow_paths, arrows: Arrows::Streamed(schema, &source), buildings };
    super::write_layers_and_balance(out, &a.products, &layers, &totals)
}

/// `OUT/<name>.vrt` over `OUT/tiles/<name>-<t>.tif`, with the sample type and NoData of tile 0.
fn write_vrt(out: &Path, name: &str, layout: &TileLayout, info: &GeoTiffInfo) -> Result<()> {
    let first = read_geotiff_info(&tile_path(out, name, 0, "tif"))?;
    let tiles = crate::pipeline::slurm::hydro::vrt_tiles(layout, name);
    let m = VrtMosaic {
        width: info.width,
        height: info.height,
        transform: info.transform,
        crs: info.crs.clone(),
        nodata: first.nodata,
        sample_type: first.sample_type,
        block_size: cog_opts(false).tile_size,
        tiles,
    };
    write_vrt_mosaic(&out.join(format!("{name}.vrt")), &m)
}

/// `cols × rows` cells at `col0, row0` of the mosaic `name`, read from the tile COGs they meet.
#[allow(clippy::too_many_arguments)]
fn read_mosaic_window(
    out: &Path,
    name: &str,
    layout: &TileLayout,
    info: &GeoTiffInfo,
    col0: usize,
    row0: usize,
    cols: usize,
    rows: usize,
) -> Result<Grid<f32>> {
    let mut g = window_grid(info, col0, row0, cols, rows, 0f32);
    let path = |t: usize| tile_path(out, name, t, "tif");
    (g.data, g.nodata) = hydro::read_tiff_tiles_window(layout, path, (col0, row0, cols, rows), 0.0)?;
    Ok(g)
}

/// The cells (col0, row0, cols, rows) of the grid around a geometry: its bounding box widened by
/// three cells (the outline's cells lie within half a cell diagonal, then one more for the
/// dilation), clipped to the grid; a 1 × 1 window in the corner for a geometry far outside it.
fn window_around(geometry: &Geometry, info: &GeoTiffInfo) -> (usize, usize, usize, usize) {
    let mut xy: Vec<[f64; 2]> = vec![];
    match geometry {
        Geometry::Point(p) => xy.push([p[0], p[1]]),
        Geometry::LineString(l) => xy.extend(l.iter().map(|p| [p[0], p[1]])),
        Geometry::Polygon(p) => xy.extend(p.exterior.iter().chain(p.holes.iter().flatten())),
        Geometry::MultiPolygon(ps) => {
            xy.extend(ps.iter().flat_map(|p| p.exterior.iter().chain(p.holes.iter().flatten())))
        }
    }
    let t = &info.transform;
    let (mut c0, mut r0, mut c1, mut r1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for [x, y] in xy {
        let (c, r) = t.world_to_frac(x, y);
        (c0, r0, c1, r1) = (c0.min(c), r0.min(r), c1.max(c), r1.max(r));
    }
    let clip = |lo: f64, hi: f64, n: usize| {
        let a = (lo.floor() - 3.0).max(0.0);
        let b = (hi.floor() + 4.0).min(n as f64);
        (a < b).then(|| (a as usize, b as usize - a as usize))
    };
    match (clip(c0, c1, info.width), clip(r0, r1, info.height)) {
        (Some((c, w)), Some((r, h))) => (c, r, w, h),
        _ => (0, 0, 1, 1),
    }
}

/// The `buildings` layer of `risk::building_risk`, each building on a window around it read from
/// the tile COGs, and the cells of the risk raster (whole-grid index, class > 0).
fn building_risk(
    p: &ProductArgs,
    buildings: &Layer,
    preset: &hazard::HazardPreset,
    out: &Path,
    layout: &TileLayout,
    info: &GeoTiffInfo,
) -> Result<(Layer, Vec<(usize, u8)>)> {
    let file = p.buildings.as_deref().unwrap_or(Path::new(""));
    let matrix = risk::RiskMatrix::default();
    let mut one = Layer { features: vec![], ..buildings.clone() };
    let tiny = window_grid(info, 0, 0, 1, 1, 0f32);
    let (mut layer, _) =
        risk::building_risk(&one, &tiny, &tiny, preset, &matrix, &p.exposure()).map_err(|e| e.in_file(file))?;
    let mut cells = vec![];
    let bar = crate::progress::bar(buildings.features.len() as u64, "buildings");
    for f in &buildings.features {
        let (c0, r0, w, h) = window_around(&f.geometry, info);
        let depth = read_mosaic_window(out, "max_depth", layout, info, c0, r0, w, h)?;
        let velocity = read_mosaic_window(out, "max_velocity", layout, info, c0, r0, w, h)?;
        one.features = vec![f.clone()];
        let (l, grid) = risk::building_risk(&one, &depth, &velocity, preset, &matrix, &p.exposure())
            .map_err(|e| e.in_file(file))?;
        layer.features.extend(l.features);
        for (i, &k) in grid.data.iter().enumerate().filter(|(_, &k)| k > 0) {
            cells.push(((r0 + i / w) * info.width + c0 + i % w, k));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((layer, cells))
}

/// `OUT/tiles/risk-<t>.tif`: each cell the highest risk class of the buildings it belongs to.
fn write_risk_tiles(out: &Path, layout: &TileLayout, info: &GeoTiffInfo, cells: Vec<(usize, u8)>) -> Result<()> {
    let mut per_tile: Vec<Vec<(usize, u8)>> = vec![vec![]; layout.count()];
    for (i, k) in cells {
        per_tile[layout.tile_of(i % info.width, i / info.width)].push((i, k));
    }
    for (t, cells) in per_tile.into_iter().enumerate() {
        let rect = layout.tile(t);
        let mut g = window_grid(info, rect.col0, rect.row0, rect.cols, rect.rows, 0u8);
        g.nodata = None;
        for (i, k) in cells {
            let j = rect.local(i % info.width, i / info.width);
            g.data[j] = g.data[j].max(k);
        }
        write_cog(&tile_path(out, "risk", t, "tif"), &g, &cog_opts(true))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_arrows_put_together_are_the_arrows_of_the_whole_grid() {
        // 23 × 17 cells of 0.5 m with directions and velocities varying cell by cell; 4 × 3 tiles of
        // 6 × 6 cells, whose edges fall at every offset of the 5-cell arrow lattice.
        let t = GeoTransform::new(350_000.25, 5_700_000.75, 0.5);
        let mut dir = Grid::filled(23, 17, t, 0u8);
        let mut vel = dir.with_data(vec![0f32; dir.len()]);
        for i in 0..dir.len() {
            dir.data[i] = if i % 7 == 3 { 0 } else { 1 << (i % 8) };
            vel.data[i] = (i % 11) as f32 * 0.03;
        }
        let want = risk::flow_arrows(&dir, &vel, ARROW_STEP, ARROW_MIN_VELOCITY);
        assert!(want.features.len() > 5, "the scene must have arrows: {}", want.features.len());
        let layout = TileLayout::new(23, 17, 6, 6).unwrap();
        let mut got: Vec<[u64; 7]> = vec![];
        for k in 0..layout.count() {
            let r = layout.tile(k);
            let cut = |g: &Grid<f32>| r.extract(&g.data, 23);
            let d = Grid { data: r.extract(&dir.data, 23), ..window_grid_of(&dir, r) };
            let v = Grid { data: cut(&vel), ..window_grid_of(&vel, r) };
            got.extend(tile_arrows(&d, &v, r, &t).unwrap());
        }
        got.sort_unstable_by_key(|a| (a[1], a[0]));
        assert_eq!(got.len(), want.features.len());
        for (a, f) in got.iter().zip(&want.features) {
            let Geometry::Point(p) = f.geometry else { unreachable!() };
            assert_eq!([a[2], a[3]], [p[0].to_bits(), p[1].to_bits()]);
            assert_eq!(f.values, vec![Value::Real(f64::from_bits(a[5])), Value::Real(f64::from_bits(a[6]))]);
        }
    }

    /// An empty grid of `r`'s size, georeferenced like `g` shifted to `r`.
    fn window_grid_of<T>(g: &Grid<T>, r: TileRect) -> Grid<T> {
        Grid {
            width: r.cols,
            height: r.rows,
            data: vec![],
            transform: shifted(&g.transform, r.col0, r.row0),
            crs: g.crs.clone(),
            nodata: g.nodata,
        }
    }
}
