//! Tile-parallel hydrology as cluster tasks: the three-step algorithms of `zwilling-tiled`
//! (Barnes 2016 filling, D8 directions with cross-tile flats, Barnes 2017 accumulation) with
//! their summaries passed through files in `OUT/hydro/tiles/`.
//!
//! Stages (per tile = one array task per tile; global = one task):
//! `fill-pass` (per tile) → `fill-global` → `fill-final` (per tile) → `dir-pass` (per tile, reads
//! one-cell strips of the neighbours' filled tiles for its halo) → `flats-global` → `acc-pass` (per tile) →
//! `acc-global` → `acc-final` (per tile) → `mosaic`.
//!
//! How the products are assembled depends on [`Mosaic`] (`--hydro-mosaic`):
//! - `cog` (default): `mosaic` writes `filled.tif`, `d8.tif`, `accumulation.tif` exactly as
//!   `zwilling rain fill` / `rain flow` do for the whole DTM (one node holds 17 bytes per cell).
//! - `vrt`: `fill-final`, `acc-pass` and `acc-final` also write their tile's product as a COG
//!   (`tiles/filled-<t>.tif`, `tiles/d8-<t>.tif`, `tiles/accumulation-<t>.tif`: the exact cut of the
//!   whole-grid product, its transform shifted to the tile), and `mosaic` writes `filled.vrt`,
//!   `d8.vrt`, `accumulation.vrt` (GDAL VRT, [`write_vrt_mosaic`]) without reading a pixel.
//! - `both`: the tile COGs and VRTs, and the whole-grid COGs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use zwilling_core::{Error, Grid, Result};
use zwilling_io::raster::{
    read_geotiff_info, read_geotiff_window_f32, write_cog, write_vrt_mosaic, CogOptions, GeoTiffInfo, Resampling,
    Sample, SampleType, VrtMosaic, VrtTile,
};
use zwilling_tiled::{accumulation, directions, fill, TileLayout, TileRect};

use super::{Job, Task, Work};

/// How the `mosaic` task assembles the per-tile products (`--hydro-mosaic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mosaic {
    /// Whole-grid COGs `filled.tif`, `d8.tif`, `accumulation.tif`, assembled on one node.
    #[default]
    Cog,
    /// Per-tile COGs (`tiles/*-<t>.tif`) and GDAL VRTs `filled.vrt`, `d8.vrt`, `accumulation.vrt`
    /// over them; no task holds more than one tile.
    Vrt,
    /// Both: the per-tile COGs and VRTs, and the whole-grid COGs.
    Both,
}

impl Mosaic {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mosaic::Cog => "cog",
            Mosaic::Vrt => "vrt",
            Mosaic::Both => "both",
        }
    }

    /// True when the per-tile stages write tile COGs and `mosaic` writes VRTs.
    pub fn tiles(self) -> bool {
        self != Mosaic::Cog
    }

    /// True when `mosaic` writes the whole-grid COGs.
    pub fn whole(self) -> bool {
        self != Mosaic::Vrt
    }
}

/// Tiles across and down (`--hydro-tiles 4x2`), and how their products are assembled
/// (`--hydro-mosaic`, [`Mosaic::Cog`] unless set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCount {
    /// Tiles across.
    pub cols: usize,
    /// Tiles down.
    pub rows: usize,
    /// How `mosaic` assembles the products.
    pub mosaic: Mosaic,
}

impl FromStr for TileCount {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (a, b) = s.split_once(['x', 'X']).ok_or_else(|| format!("'{s}': expected COLSxROWS, e.g. 4x2"))?;
        let p = |v: &str| v.trim().parse::<usize>().ok().filter(|&n| n > 0);
        match (p(a), p(b)) {
            (Some(cols), Some(rows)) => Ok(TileCount { cols, rows, mosaic: Mosaic::Cog }),
            _ => Err(format!("'{s}': expected two positive numbers COLSxROWS, e.g. 4x2")),
        }
    }
}

impl fmt::Display for TileCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.cols, self.rows)
    }
}

impl TileCount {
    /// The same tiling with products assembled as `mosaic`.
    pub fn with_mosaic(self, mosaic: Mosaic) -> Self {
        TileCount { mosaic, ..self }
    }

    /// The options that select this tiling in a task's command line (`--hydro-tiles 4x2`, and
    /// `--hydro-mosaic vrt|both` unless `cog`).
    pub fn task_args(&self) -> Vec<String> {
        let mut a = vec!["--hydro-tiles".to_string(), self.to_string()];
        if self.mosaic != Mosaic::Cog {
            a.extend(["--hydro-mosaic".to_string(), self.mosaic.name().to_string()]);
        }
        a
    }

    /// Number of array tasks of a per-tile stage.
    pub fn count(&self) -> usize {
        self.cols * self.rows
    }

    /// The tile layout for a `width × height` DTM (tiles of `⌈width / cols⌉ × ⌈height / rows⌉`
    /// cells; with small DTMs fewer tiles than tasks may exist: the extra tasks do nothing).
    pub fn layout(&self, width: usize, height: usize) -> Result<TileLayout> {
        TileLayout::new(width, height, width.div_ceil(self.cols), height.div_ceil(self.rows))
    }
}

/// The hydrology stages in order.
pub const STAGES: [&str; 9] = [
    "fill-pass",
    "fill-global",
    "fill-final",
    "dir-pass",
    "flats-global",
    "acc-pass",
    "acc-global",
    "acc-final",
    "mosaic",
];

/// One hydrology task.
#[derive(Debug, Clone)]
pub struct HydroTask {
    /// Stage (one of [`STAGES`]).
    pub stage: &'static str,
    /// Tile, for per-tile stages.
    pub tile: Option<usize>,
    /// Tiling.
    pub tiles: TileCount,
    /// The DTM.
    pub dtm: PathBuf,
    /// `OUT/hydro`.
    pub dir: PathBuf,
}

impl HydroTask {
    /// What enters the task's manifest hash besides its inputs: the task id and the tiling, and
    /// the mosaic choice for the stages whose outputs depend on it (unchanged for `cog`, so
    /// manifests of earlier runs stay valid).
    pub fn hash_argv(&self, id: &str) -> Vec<String> {
        let mut v = vec![id.to_string(), self.tiles.to_string()];
        if self.tiles.mosaic != Mosaic::Cog && matches!(self.stage, "fill-final" | "acc-pass" | "acc-final" | "mosaic")
        {
            v.push(self.tiles.mosaic.name().to_string());
        }
        v
    }
}

/// True for a stage with one task for the whole DTM (`*-global`, `mosaic`); false for the
/// per-tile stages (one task per tile).
pub fn is_global(stage: &str) -> bool {
    stage.ends_with("-global") || stage == "mosaic"
}

/// `DIR/tiles/<name>-<t>.<ext>`: the raw tile files and summaries of the hydrology in `dir`.
pub fn tile_file(dir: &Path, name: &str, t: usize, ext: &str) -> PathBuf {
    dir.join("tiles").join(format!("{name}-{t}.{ext}"))
}

/// The files task `tile` of `stage` (`None` for a global stage) reads and writes, for the
/// hydrology of `dtm` in `dir` (`OUT/hydro`, or `OUT/rain/hydro` for the rain DTM): what enters its
/// manifest hash and what must exist when it has finished.
pub fn task_files(
    dir: &Path,
    dtm: &Path,
    tiles: TileCount,
    stage: &str,
    tile: Option<usize>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let n = tiles.count();
    let all = |name: &str, ext: &str| (0..n).map(|t| tile_file(dir, name, t, ext)).collect::<Vec<_>>();
    let layout_json = dir.join("tiles").join("layout.json");
    let cogs = tiles.mosaic.tiles();
    let f = |name: &str, ext: &str| tile_file(dir, name, tile.unwrap_or(0), ext);
    match stage {
        "fill-pass" => (vec![dtm.to_path_buf()], vec![f("fill", "json")]),
        "fill-global" => {
            let mut o = all("spill", "json");
            o.push(layout_json);
            (all("fill", "json"), o)
        }
        "fill-final" => {
            let mut o = vec![f("filled", "f32")];
            o.extend(cogs.then(|| f("filled", "tif")));
            (vec![dtm.to_path_buf(), f("spill", "json")], o)
        }
        "dir-pass" => {
            let mut i = all("filled", "f32");
            i.push(layout_json);
            (i, vec![f("dirpass", "u8"), f("flats", "json")])
        }
        "flats-global" => (all("flats", "json"), all("flatdir", "json")),
        "acc-pass" => {
            let mut i = vec![f("dirpass", "u8"), f("flatdir", "json")];
            let mut o = vec![f("d8", "u8"), f("links", "json")];
            if cogs {
                i.push(dtm.to_path_buf());
                o.push(f("d8", "tif"));
            }
            (i, o)
        }
        "acc-global" => (all("links", "json"), all("inflow", "json")),
        "acc-final" => {
            let mut i = vec![f("d8", "u8"), f("inflow", "json")];
            let mut o = vec![f("acc", "f64")];
            if cogs {
                i.push(dtm.to_path_buf());
                o.push(f("accumulation", "tif"));
            }
            (i, o)
        }
        _ => {
            let (mut i, mut o) = (vec![dtm.to_path_buf()], vec![]);
            if tiles.mosaic.whole() {
                i.extend(all("filled", "f32"));
                i.extend(all("d8", "u8"));
                i.extend(all("acc", "f64"));
                o.extend(["filled.tif", "d8.tif", "accumulation.tif"].iter().map(|p| dir.join(p)));
            }
            if cogs {
                i.push(layout_json);
                for p in PRODUCTS {
                    i.extend(all(p, "tif"));
                }
                o.extend(PRODUCTS.iter().map(|p| dir.join(format!("{p}.vrt"))));
            }
            (i, o)
        }
    }
}

/// The hydrology jobs for `out` and `dtm`.
pub fn jobs(out: &Path, dtm: &Path, tiles: TileCount) -> Vec<Job> {
    let dir = out.join("hydro");
    STAGES
        .iter()
        .map(|&stage| {
            let tasks = if is_global(stage) { vec![None] } else { (0..tiles.count()).map(Some).collect() };
            let tasks = tasks
                .into_iter()
                .map(|tile| {
                    let (inputs, outputs) = task_files(&dir, dtm, tiles, stage, tile);
                    let id = match tile {
                        Some(t) => format!("hydro/{stage}/{t}"),
                        None => format!("hydro/{stage}"),
                    };
                    let work = Work::Hydro(HydroTask { stage, tile, tiles, dtm: dtm.to_path_buf(), dir: dir.clone() });
                    Task { id, work, inputs, outputs }
                })
                .collect();
            Job { id: format!("hydro/{stage}"), stage: format!("hydro/{stage}"), tasks }
        })
        .collect()
}

/// The products, as named in `OUT/hydro` (`<name>.tif`, `<name>.vrt`) and `tiles/<name>-<t>.tif`.
pub const PRODUCTS: [&str; 3] = ["filled", "d8", "accumulation"];

/// The DTM's tile layout and NoData value, written by `fill-global` for the later stages.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LayoutFile {
    layout: TileLayout,
    #[serde(with = "zwilling_tiled::exact::option_f64_bits")]
    nodata: Option<f64>,
}

/// The tile layout and the DTM's NoData value that `fill-global` wrote into `DIR/tiles/layout.json`
/// (what the tasks after `fill-global` read instead of the DTM).
pub fn read_layout(dir: &Path) -> Result<(TileLayout, Option<f64>)> {
    let lf: LayoutFile = read_json(&dir.join("tiles").join("layout.json"))?;
    Ok((lf.layout, lf.nodata))
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Writes a tile summary (temporary file + rename; no fsync for the many small files).
pub(crate) fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    write_bytes(path, serde_json::to_string(v).expect("plain JSON").as_bytes())
}

/// Reads a tile summary; a damaged one is an error naming the file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let t = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&t).map_err(|e| Error::bad_file(path, format!("damaged tile summary: {e}")))
}

/// The raw tile file `path`, which must hold `len` bytes (else: an error naming it).
pub fn read_bytes(path: &Path, len: usize) -> Result<Vec<u8>> {
    let b = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if b.len() != len {
        return Err(Error::bad_file(path, format!("holds {} bytes, expected {len}: rerun its stage", b.len())));
    }
    Ok(b)
}

fn read_f32(path: &Path, n: usize) -> Result<Vec<f32>> {
    Ok(read_bytes(path, 4 * n)?.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
}

fn read_f64(path: &Path, n: usize) -> Result<Vec<f64>> {
    Ok(read_bytes(path, 8 * n)?.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

/// The cells of the window `cols × rows` at (`col0`, `row0`) of a grid stored as one GeoTIFF per
/// tile of `layout` (`path(t)`, e.g. tile COGs under a VRT), and the tiles' NoData: only the tiles
/// the window meets, each read by its window. Cells stay `fill` where the window has no tile.
pub(crate) fn read_tiff_tiles_window(
    layout: &TileLayout,
    path: impl Fn(usize) -> PathBuf,
    (col0, row0, cols, rows): (usize, usize, usize, usize),
    fill: f32,
) -> Result<(Vec<f32>, Option<f64>)> {
    let (mut out, mut nodata) = (vec![fill; cols * rows], None);
    if cols == 0 || rows == 0 {
        return Ok((out, nodata));
    }
    let (tx0, tx1) = (col0 / layout.tile_width, (col0 + cols - 1) / layout.tile_width);
    let (ty0, ty1) = (row0 / layout.tile_height, (row0 + rows - 1) / layout.tile_height);
    for ty in ty0..=ty1 {
        for tx in tx0..=tx1 {
            let t = ty * layout.tiles_x() + tx;
            let (rect, p) = (layout.tile(t), path(t));
            let info = read_geotiff_info(&p)?;
            if (info.width, info.height) != (rect.cols, rect.rows) {
                let msg = format!("is not tile {t} of the mosaic ({} × {} cells)", rect.cols, rect.rows);
                return Err(Error::bad_file(&p, msg));
            }
            let (c0, c1) = (col0.max(rect.col0), (col0 + cols).min(rect.col0 + rect.cols));
            let (r0, r1) = (row0.max(rect.row0), (row0 + rows).min(rect.row0 + rect.rows));
            let part = read_geotiff_window_f32(&p, c0 - rect.col0, r0 - rect.row0, c1 - c0, r1 - r0)?;
            nodata = part.nodata;
            for r in r0..r1 {
                let src = (r - r0) * (c1 - c0);
                let dst = (r - row0) * cols + c0 - col0;
                out[dst..dst + c1 - c0].copy_from_slice(&part.data[src..src + c1 - c0]);
            }
        }
    }
    Ok((out, nodata))
}

/// The cells of `win` from the raw tile files `<name>-<u>.<ext>` (`N` bytes a cell, little-endian,
/// decoded by `decode`) of the tiles it overlaps, each tile's part read row by row (seek and
/// read): a tile with its one-cell halo reads the own tile and one-cell strips of its neighbours
/// (≈ 4 √n cells more), not 9 tiles.
pub(crate) fn read_tile_window<T: Copy + Default, const N: usize>(
    dir: &Path,
    layout: &TileLayout,
    (name, ext): (&str, &str),
    win: TileRect,
    decode: fn([u8; N]) -> T,
) -> Result<Vec<T>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut window = vec![T::default(); win.len()];
    let (tx0, tx1) = (win.col0 / layout.tile_width, (win.col0 + win.cols - 1) / layout.tile_width);
    let (ty0, ty1) = (win.row0 / layout.tile_height, (win.row0 + win.rows - 1) / layout.tile_height);
    let mut buf = vec![];
    for ty in ty0..=ty1 {
        for tx in tx0..=tx1 {
            let u = ty * layout.tiles_x() + tx;
            let rect = layout.tile(u);
            let path = tile_file(dir, name, u, ext);
            let mut file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
            let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
            if len != (N * rect.len()) as u64 {
                let msg = format!("holds {len} bytes, expected {}: rerun its stage", N * rect.len());
                return Err(Error::bad_file(&path, msg));
            }
            let (c0, c1) = (win.col0.max(rect.col0), (win.col0 + win.cols).min(rect.col0 + rect.cols));
            let (r0, r1) = (win.row0.max(rect.row0), (win.row0 + win.rows).min(rect.row0 + rect.rows));
            buf.resize(N * (c1 - c0), 0u8);
            for r in r0..r1 {
                file.seek(SeekFrom::Start((N * rect.local(c0, r)) as u64))
                    .and_then(|_| file.read_exact(&mut buf))
                    .map_err(|e| Error::io(&path, e))?;
                let dst = win.local(c0, r);
                for (k, b) in buf.chunks_exact(N).enumerate() {
                    window[dst + k] = decode(b.try_into().expect("N bytes"));
                }
            }
        }
    }
    Ok(window)
}

/// The DTM's directories (size, georeferencing, NoData; no pixels).
fn dtm_info(path: &Path) -> Result<GeoTiffInfo> {
    let info = read_geotiff_info(path)?;
    if info.width == 0 || info.height == 0 {
        return Err(Error::bad_file(path, "the DTM has no cells"));
    }
    Ok(info)
}

/// Tile `t` of the DTM with its one-cell halo, read from the GeoTIFF blocks that intersect it only
/// (so a task's memory grows with its tile, not with the DTM).
fn read_dtm_window(path: &Path, layout: &TileLayout, t: usize) -> Result<Grid<f32>> {
    let w = layout.window(t, 1);
    read_geotiff_window_f32(path, w.col0, w.row0, w.cols, w.rows)
}

/// Runs one hydrology task.
pub fn run(h: &HydroTask) -> Result<()> {
    let tiles_dir = h.dir.join("tiles");
    std::fs::create_dir_all(&tiles_dir).map_err(|e| Error::io(&tiles_dir, e))?;
    let n = h.tiles.count();
    let f = |name: &str, t: usize, ext: &str| tile_file(&h.dir, name, t, ext);
    let layout_path = tiles_dir.join("layout.json");
    // Per-tile stages on tiles the layout does not have (small DTMs): leave empty outputs.
    let lf: Option<LayoutFile> = if matches!(h.stage, "fill-pass" | "fill-global" | "fill-final") {
        None
    } else {
        Some(read_json(&layout_path)?)
    };
    match (h.stage, h.tile) {
        ("fill-pass", Some(t)) => {
            let dem = dtm_info(&h.dtm)?;
            let layout = h.tiles.layout(dem.width, dem.height)?;
            if t >= layout.count() {
                return write_bytes(&f("fill", t, "json"), b"null");
            }
            let window = read_dtm_window(&h.dtm, &layout, t)?;
            write_json(&f("fill", t, "json"), &fill::fill_tile_pass(&layout, t, &window.data, dem.nodata)?)
        }
        ("fill-global", None) => {
            // Only the size and NoData of the DTM: its directories, no pixels.
            let dem = dtm_info(&h.dtm)?;
            let layout = h.tiles.layout(dem.width, dem.height)?;
            let summaries: Vec<fill::FillTileSummary> =
                (0..layout.count()).map(|t| read_json(&f("fill", t, "json"))).collect::<Result<_>>()?;
            let spill = fill::solve_spill_graph(&layout, &summaries)?;
            for t in 0..n {
                match spill.get(t) {
                    Some(s) => write_json(&f("spill", t, "json"), s)?,
                    None => write_bytes(&f("spill", t, "json"), b"null")?,
                }
            }
            write_json(&layout_path, &LayoutFile { layout, nodata: dem.nodata })
        }
        ("fill-final", Some(t)) => {
            let dem = dtm_info(&h.dtm)?;
            let layout = h.tiles.layout(dem.width, dem.height)?;
            if t >= layout.count() {
                placeholder(h, "filled", t)?;
                return write_bytes(&f("filled", t, "f32"), b"");
            }
            let spill: fill::TileSpill = read_json(&f("spill", t, "json"))?;
            let window = read_dtm_window(&h.dtm, &layout, t)?;
            let v = fill::finalise_fill_tile(&layout, t, &window.data, dem.nodata, &spill)?;
            write_bytes(&f("filled", t, "f32"), &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())?;
            if h.tiles.mosaic.tiles() {
                // As `mosaic` writes filled.tif: f32, the DTM's NoData, average overviews.
                write_cog(&f("filled", t, "tif"), &tile_grid(&dem, layout.tile(t), v, dem.nodata), &continuous())?;
            }
            Ok(())
        }
        ("dir-pass", Some(t)) => {
            let LayoutFile { layout, nodata } = lf.expect("read above");
            if t >= layout.count() {
                write_bytes(&f("dirpass", t, "u8"), b"")?;
                return write_bytes(&f("flats", t, "json"), b"null");
            }
            let window = read_tile_window(&h.dir, &layout, ("filled", "f32"), layout.window(t, 1), f32::from_le_bytes)?;
            let (dir, summary) = directions::directions_tile_pass(&layout, t, &window, nodata)?;
            write_bytes(&f("dirpass", t, "u8"), &dir)?;
            write_json(&f("flats", t, "json"), &summary)
        }
        ("flats-global", None) => {
            let layout = lf.expect("read above").layout;
            let summaries: Vec<directions::FlatTileSummary> =
                (0..layout.count()).map(|t| read_json(&f("flats", t, "json"))).collect::<Result<_>>()?;
            let flats = directions::resolve_open_flats(&layout, &summaries)?;
            for t in 0..n {
                match flats.get(t) {
                    Some(s) => write_json(&f("flatdir", t, "json"), s)?,
                    None => write_bytes(&f("flatdir", t, "json"), b"null")?,
                }
            }
            Ok(())
        }
        ("acc-pass", Some(t)) => {
            let layout = lf.expect("read above").layout;
            if t >= layout.count() {
                placeholder(h, "d8", t)?;
                write_bytes(&f("d8", t, "u8"), b"")?;
                return write_bytes(&f("links", t, "json"), b"null");
            }
            let mut dir = read_bytes(&f("dirpass", t, "u8"), layout.tile(t).len())?;
            let flats: directions::TileFlatDirections = read_json(&f("flatdir", t, "json"))?;
            directions::finalise_directions_tile(&layout, t, &mut dir, &flats)?;
            write_bytes(&f("d8", t, "u8"), &dir)?;
            if h.tiles.mosaic.tiles() {
                // As `mosaic` writes d8.tif: ESRI codes, u8, no NoData, nearest overviews.
                let dem = dtm_info(&h.dtm)?;
                let esri = zwilling_rain::d8::to_esri(&tile_grid(&dem, layout.tile(t), dir.clone(), None));
                write_cog(&f("d8", t, "tif"), &esri, &classes())?;
            }
            write_json(&f("links", t, "json"), &accumulation::accumulation_tile_pass(&layout, t, &dir, None)?)
        }
        ("acc-global", None) => {
            let layout = lf.expect("read above").layout;
            let summaries: Vec<accumulation::AccumulationTileSummary> =
                (0..layout.count()).map(|t| read_json(&f("links", t, "json"))).collect::<Result<_>>()?;
            let inflow = accumulation::solve_links(&layout, &summaries)?;
            for t in 0..n {
                match inflow.get(t) {
                    Some(s) => write_json(&f("inflow", t, "json"), s)?,
                    None => write_bytes(&f("inflow", t, "json"), b"null")?,
                }
            }
            Ok(())
        }
        ("acc-final", Some(t)) => {
            let layout = lf.expect("read above").layout;
            if t >= layout.count() {
                placeholder(h, "accumulation", t)?;
                return write_bytes(&f("acc", t, "f64"), b"");
            }
            let dir = read_bytes(&f("d8", t, "u8"), layout.tile(t).len())?;
            let inflow: accumulation::TileInflow = read_json(&f("inflow", t, "json"))?;
            let acc = accumulation::finalise_accumulation_tile(&layout, t, &dir, None, &inflow)?;
            write_bytes(&f("acc", t, "f64"), &acc.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())?;
            if h.tiles.mosaic.tiles() {
                // As `mosaic` writes accumulation.tif: area (cells × cell area) as f32, NaN NoData.
                let dem = dtm_info(&h.dtm)?;
                let cell = dem.transform.cell_x * dem.transform.cell_y;
                let area = acc.iter().map(|&v| (v * cell) as f32).collect();
                let area = tile_grid(&dem, layout.tile(t), area, Some(f64::NAN));
                write_cog(&f("accumulation", t, "tif"), &area, &continuous())?;
            }
            Ok(())
        }
        ("mosaic", None) => mosaic(h, &lf.expect("read above").layout),
        (stage, tile) => Err(Error::invalid(format!("hydrology stage {stage} has no task {tile:?}"))),
    }
}

/// COG options of continuous products (elevations, areas): average overviews.
fn continuous() -> CogOptions {
    CogOptions { resampling: Resampling::Average, ..Default::default() }
}

/// COG options of class products (D8 codes): nearest overviews.
fn classes() -> CogOptions {
    CogOptions { resampling: Resampling::Nearest, ..Default::default() }
}

/// The cells of tile `rect` as a grid with the DTM's CRS and its transform shifted to the tile
/// (`origin_x + col0 · cell_x`, `origin_y − row0 · cell_y`, as `read_geotiff_window` computes it).
pub(crate) fn tile_grid<T>(dem: &GeoTiffInfo, rect: TileRect, data: Vec<T>, nodata: Option<f64>) -> Grid<T> {
    let mut transform = dem.transform;
    transform.origin_x += rect.col0 as f64 * transform.cell_x;
    transform.origin_y -= rect.row0 as f64 * transform.cell_y;
    Grid { width: rect.cols, height: rect.rows, data, transform, crs: dem.crs.clone(), nodata }
}

/// A task beyond the layout's tiles (small DTMs) leaves its tile COG as an empty placeholder,
/// as it does its raw outputs, so that its manifest record is complete; no VRT names it.
fn placeholder(h: &HydroTask, product: &str, t: usize) -> Result<()> {
    if h.tiles.mosaic.tiles() {
        write_bytes(&tile_file(&h.dir, product, t, "tif"), b"")?;
    }
    Ok(())
}

/// The products of the run's [`Mosaic`] choice: the whole-grid COGs and/or the VRTs.
fn mosaic(h: &HydroTask, layout: &TileLayout) -> Result<()> {
    // The DTM's georeferencing only (its directories): the tiles cover every cell.
    let info = dtm_info(&h.dtm)?;
    if h.tiles.mosaic.tiles() {
        write_vrts(h, layout, &info)?;
    }
    if h.tiles.mosaic.whole() {
        whole_grid_cogs(h, layout, info)?;
    }
    Ok(())
}

/// The sources of a VRT mosaic over the tile COGs `tiles/<name>-<t>.tif` of `layout` (paths
/// relative to the VRT).
pub(crate) fn vrt_tiles(layout: &TileLayout, name: &str) -> Vec<VrtTile> {
    (0..layout.count())
        .map(|t| {
            let r = layout.tile(t);
            let file = PathBuf::from("tiles").join(format!("{name}-{t}.tif"));
            VrtTile { file, col0: r.col0, row0: r.row0, cols: r.cols, rows: r.rows }
        })
        .collect()
}

/// `filled.vrt`, `d8.vrt`, `accumulation.vrt` over the tile COGs: XML only, no pixel is read.
fn write_vrts(h: &HydroTask, layout: &TileLayout, info: &GeoTiffInfo) -> Result<()> {
    let types: [(SampleType, Option<f64>); 3] =
        [(f32::TYPE, info.nodata), (u8::TYPE, None), (f32::TYPE, Some(f64::NAN))];
    for (product, (sample_type, nodata)) in PRODUCTS.iter().zip(types) {
        let tiles = vrt_tiles(layout, product);
        let m = VrtMosaic {
            width: info.width,
            height: info.height,
            transform: info.transform,
            crs: info.crs.clone(),
            nodata,
            sample_type,
            block_size: continuous().tile_size,
            tiles,
        };
        write_vrt_mosaic(&h.dir.join(format!("{product}.vrt")), &m)?;
    }
    Ok(())
}

/// Assembles the tiles into the three whole-grid products, written as `zwilling rain fill` /
/// `rain flow` do.
fn whole_grid_cogs(h: &HydroTask, layout: &TileLayout, info: GeoTiffInfo) -> Result<()> {
    let (width, n) = (info.width, info.width * info.height);
    let f = |name: &str, t: usize, ext: &str| tile_file(&h.dir, name, t, ext);
    let mut filled = vec![0f32; n];
    let mut dir = vec![0u8; n];
    let mut acc = vec![0f64; n];
    for t in 0..layout.count() {
        let rect = layout.tile(t);
        rect.insert(&read_f32(&f("filled", t, "f32"), rect.len())?, &mut filled, width);
        rect.insert(&read_bytes(&f("d8", t, "u8"), rect.len())?, &mut dir, width);
        rect.insert(&read_f64(&f("acc", t, "f64"), rect.len())?, &mut acc, width);
    }
    let filled = Grid {
        width,
        height: info.height,
        data: filled,
        transform: info.transform,
        crs: info.crs,
        nodata: info.nodata,
    };
    let dir = filled.with_data(dir);
    let mut acc = dir.with_data(acc);
    acc.nodata = Some(f64::NAN);
    write_cog(&h.dir.join("filled.tif"), &filled, &continuous())?;
    let cell = filled.transform.cell_x * filled.transform.cell_y;
    let mut area = acc.map(|&v| (v * cell) as f32);
    area.nodata = Some(f64::NAN);
    write_cog(&h.dir.join("accumulation.tif"), &area, &continuous())?;
    write_cog(&h.dir.join("d8.tif"), &zwilling_rain::d8::to_esri(&dir), &classes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_io::raster::read_geotiff_f32;

    #[test]
    fn tile_count_parses() {
        let t = TileCount { cols: 4, rows: 2, mosaic: Mosaic::Cog };
        assert_eq!("4x2".parse::<TileCount>().unwrap(), t);
        assert_eq!("4x2".parse::<TileCount>().unwrap().to_string(), "4x2");
        assert!("4".parse::<TileCount>().is_err());
        assert!("0x3".parse::<TileCount>().is_err());
        let l = t.layout(10, 5).unwrap();
        assert_eq!((l.tile_width, l.tile_height, l.count()), (3, 3, 8));
        assert_eq!(t.task_args(), ["--hydro-tiles", "4x2"]);
        assert_eq!(t.with_mosaic(Mosaic::Both).task_args(), ["--hydro-tiles", "4x2", "--hydro-mosaic", "both"]);
    }

    /// A 37 × 23-cell DTM (EPSG:25832 + DHHN2016, NoData −9999 in three cells) as a COG with
    /// 16 × 16 blocks, which the windowed reads of 10 × 8-cell hydrology tiles cross.
    fn test_dtm(dir: &Path, nodata: bool) -> PathBuf {
        let mut dem = Grid::filled(37, 23, zwilling_core::GeoTransform::new(100.0, 200.0, 0.5), 0.0f32);
        for (i, z) in dem.data.iter_mut().enumerate() {
            let (c, r) = (i % 37, i / 37);
            *z = ((c * 7919 + r * 104729) % 13) as f32 * 0.25 + (c as f32 - 18.0).abs() * 0.1;
        }
        if nodata {
            dem.crs = zwilling_core::CrsInfo::compound(25832, 7837);
            dem.nodata = Some(-9999.0);
            for (c, r) in [(0, 0), (20, 11), (36, 22)] {
                dem.data[r * 37 + c] = -9999.0;
            }
        }
        let dtm = dir.join("dtm.tif");
        write_cog(&dtm, &dem, &CogOptions { tile_size: 16, ..Default::default() }).unwrap();
        dtm
    }

    /// Runs every task of every stage, in order, as separate calls through files.
    fn run_all(out: &Path, dtm: &Path, tiles: TileCount) {
        for job in jobs(out, dtm, tiles) {
            for task in &job.tasks {
                let Work::Hydro(h) = &task.work else { unreachable!() };
                run(h).unwrap();
                for o in &task.outputs {
                    assert!(o.exists(), "{} did not write its output {}", task.id, o.display());
                }
            }
        }
    }

    #[test]
    fn vrt_tiles_are_the_cuts_of_the_whole_grid_products() {
        let dir = tempfile::tempdir().unwrap();
        let dtm = test_dtm(dir.path(), true);
        // 4 × 7 tasks on 37 × 23 cells: tiles of 10 × 4, the last row of tiles 3 high, and one
        // task beyond the layout's 24 tiles (placeholders).
        let tiles: TileCount = "4x7".parse().unwrap();
        let (cog, vrt, both) = (dir.path().join("cog"), dir.path().join("vrt"), dir.path().join("both"));
        run_all(&cog, &dtm, tiles);
        run_all(&vrt, &dtm, tiles.with_mosaic(Mosaic::Vrt));
        run_all(&both, &dtm, tiles.with_mosaic(Mosaic::Both));
        let layout = tiles.layout(37, 23).unwrap();
        assert_eq!(layout.count(), 24);
        let types = [SampleType::F32, SampleType::U8, SampleType::F32];
        for (p, ty) in PRODUCTS.iter().zip(types) {
            let whole = cog.join("hydro").join(format!("{p}.tif"));
            assert!(!cog.join("hydro").join(format!("{p}.vrt")).exists());
            assert!(!vrt.join("hydro").join(format!("{p}.tif")).exists(), "vrt writes no whole-grid COG");
            // `both` writes the same whole-grid COG as `cog`, byte for byte.
            assert_eq!(
                std::fs::read(&whole).unwrap(),
                std::fs::read(both.join("hydro").join(format!("{p}.tif"))).unwrap()
            );
            for t in 0..layout.count() {
                let r = layout.tile(t);
                let want = zwilling_io::raster::read_geotiff_window(&whole, r.col0, r.row0, r.cols, r.rows).unwrap();
                for out in [&vrt, &both] {
                    let file = out.join("hydro").join("tiles").join(format!("{p}-{t}.tif"));
                    let got = zwilling_io::raster::read_geotiff(&file).unwrap();
                    assert_eq!(got.sample_type(), ty, "{}", file.display());
                    assert_eq!(got.size(), (r.cols, r.rows));
                    assert_eq!(got.transform(), want.transform(), "{}", file.display());
                    assert_eq!(got.crs(), want.crs());
                    assert_eq!(got.crs(), &zwilling_core::CrsInfo::compound(25832, 7837));
                    let bits = |v: Option<f64>| v.map(|v| if v.is_nan() { u64::MAX } else { v.to_bits() });
                    assert_eq!(bits(got.nodata()), bits(want.nodata()), "{}", file.display());
                    let (g, w) = (got.to_f64(), want.to_f64());
                    assert!(
                        g.data
                            .iter()
                            .zip(&w.data)
                            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())),
                        "{} differs from the cut of {}",
                        file.display(),
                        whole.display()
                    );
                }
            }
            // The NoData cells of the DTM stay NoData in the filled tiles.
            if *p == "filled" {
                let t = layout.tile_of(20, 11);
                let r = layout.tile(t);
                let g = read_geotiff_f32(&vrt.join("hydro").join("tiles").join(format!("filled-{t}.tif"))).unwrap();
                assert_eq!(g.data[r.local(20, 11)], -9999.0);
            }
            // The VRT's destination rectangles cover the grid exactly once, one per layout tile.
            let xml = std::fs::read_to_string(vrt.join("hydro").join(format!("{p}.vrt"))).unwrap();
            let mut cover = vec![0u8; 37 * 23];
            let mut n = 0;
            for src in xml.split("<DstRect ").skip(1) {
                let v: Vec<usize> = src.split('"').skip(1).step_by(2).take(4).map(|v| v.parse().unwrap()).collect();
                for row in v[1]..v[1] + v[3] {
                    for col in v[0]..v[0] + v[2] {
                        cover[row * 37 + col] += 1;
                    }
                }
                n += 1;
            }
            assert_eq!(n, layout.count());
            assert!(cover.iter().all(|&c| c == 1), "{p}.vrt does not cover the grid exactly once");
            assert!(xml.contains(&format!("<SourceFilename relativeToVRT=\"1\">tiles/{p}-23.tif</SourceFilename>")));
        }
        // The task beyond the layout leaves empty placeholders that no VRT names.
        assert_eq!(std::fs::metadata(vrt.join("hydro/tiles/filled-24.tif")).unwrap().len(), 0);
    }

    #[test]
    fn the_mosaic_choice_enters_the_hash_of_the_stages_it_changes() {
        let jobs_of =
            |m: Mosaic| jobs(Path::new("/o"), Path::new("/d.tif"), "2x2".parse::<TileCount>().unwrap().with_mosaic(m));
        let (cog, vrt) = (jobs_of(Mosaic::Cog), jobs_of(Mosaic::Vrt));
        for (a, b) in cog.iter().zip(&vrt) {
            let (Work::Hydro(ha), Work::Hydro(hb)) = (&a.tasks[0].work, &b.tasks[0].work) else { unreachable!() };
            let changed = ["fill-final", "acc-pass", "acc-final", "mosaic"].contains(&ha.stage);
            assert_eq!(ha.hash_argv("x") != hb.hash_argv("x"), changed, "{}", ha.stage);
            assert_eq!(a.tasks[0].outputs != b.tasks[0].outputs, changed, "{}", ha.stage);
        }
        // `cog` keeps the hash of runs made before the choice existed.
        let Work::Hydro(h) = &cog[8].tasks[0].work else { unreachable!() };
        assert_eq!(h.hash_argv("hydro/mosaic"), ["hydro/mosaic", "2x2"]);
        assert_eq!(cog[8].tasks[0].outputs.len(), 3);
        assert_eq!(vrt[8].tasks[0].outputs[0], Path::new("/o/hydro/filled.vrt"));
    }

    #[test]
    fn file_tasks_equal_the_single_machine_products() {
        // Run every stage as separate task calls through files, then compare with zwilling-rain.
        // (The spill summaries hold −∞ for the outside label: this failed while floats went
        // through JSON as numbers, which turns ±∞ into `null`.)
        let dir = tempfile::tempdir().unwrap();
        let dtm = test_dtm(dir.path(), false);
        run_all(dir.path(), &dtm, "4x3".parse().unwrap());
        let dem = read_geotiff_f32(&dtm).unwrap();
        let filled = zwilling_rain::fill::fill_depressions(&dem).unwrap();
        let dir8 = zwilling_rain::d8::flow_directions_d8(&filled);
        let acc = zwilling_rain::accumulation::flow_accumulation_d8(&dir8, None);
        let out = dir.path().join("hydro");
        assert_eq!(read_geotiff_f32(&out.join("filled.tif")).unwrap().data, filled.data);
        let area = read_geotiff_f32(&out.join("accumulation.tif")).unwrap();
        let cell = dem.transform.cell_x * dem.transform.cell_y;
        assert_eq!(area.data.len(), acc.data.len());
        assert!(area.data.iter().zip(&acc.data).all(|(a, b)| *a == (*b * cell) as f32));
        assert!(acc.data.iter().any(|&a| a > 20.0), "flow must collect across tiles");
        let esri = zwilling_io::raster::read_geotiff_f64(&out.join("d8.tif")).unwrap();
        let want = zwilling_rain::d8::to_esri(&dir8);
        assert_eq!(esri.data.len(), want.data.len());
        assert!(esri.data.iter().zip(&want.data).all(|(a, b)| *a == *b as f64));
    }
}
