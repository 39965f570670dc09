//! Tile-parallel hydrology as cluster tasks: the three-step algorithms of `zwilling-tiled`
//! (Barnes 2016 filling, D8 directions with cross-tile flats, Barnes 2017 accumulation) with
//! their summaries passed through files in `OUT/hydro/tiles/`.
//!
//! Stages (per tile = one array task per tile; global = one task):
//! `fill-pass` (per tile) → `fill-global` → `fill-final` (per tile) → `dir-pass` (per tile, reads
//! one-cell strips of the neighbours' filled tiles for its halo) → `flats-global` → `acc-pass` (per tile) →
//! `acc-global` → `acc-final` (per tile) → `mosaic` (writes `filled.tif`, `d8.tif`,
//! `accumulation.tif` exactly as `zwilling rain fill` / `rain flow` do for the whole DTM).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use zwilling_core::{Error, Grid, Result};
use zwilling_io::raster::{read_geotiff_info, read_geotiff_window_f32, write_cog, CogOptions, GeoTiffInfo, Resampling};
use zwilling_tiled::{accumulation, directions, fill, TileLayout};

use super::{Job, Task, Work};

/// Tiles across and down (`--hydro-tiles 4x2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCount {
    /// Tiles across.
    pub cols: usize,
    /// Tiles down.
    pub rows: usize,
}

impl FromStr for TileCount {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (a, b) = s.split_once(['x', 'X']).ok_or_else(|| format!("'{s}': expected COLSxROWS, e.g. 4x2"))?;
        let p = |v: &str| v.trim().parse::<usize>().ok().filter(|&n| n > 0);
        match (p(a), p(b)) {
            (Some(cols), Some(rows)) => Ok(TileCount { cols, rows }),
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

fn global(stage: &str) -> bool {
    stage.ends_with("-global") || stage == "mosaic"
}

fn tile_file(dir: &Path, name: &str, t: usize, ext: &str) -> PathBuf {
    dir.join("tiles").join(format!("{name}-{t}.{ext}"))
}

/// The hydrology jobs for `out` and `dtm`.
pub fn jobs(out: &Path, dtm: &Path, tiles: TileCount) -> Vec<Job> {
    let dir = out.join("hydro");
    let n = tiles.count();
    let all = |name: &str, ext: &str| (0..n).map(|t| tile_file(&dir, name, t, ext)).collect::<Vec<_>>();
    let layout_json = dir.join("tiles").join("layout.json");
    STAGES
        .iter()
        .map(|&stage| {
            let tasks = if global(stage) { vec![None] } else { (0..n).map(Some).collect() };
            let tasks = tasks
                .into_iter()
                .map(|tile| {
                    let f = |name: &str, ext: &str| tile_file(&dir, name, tile.unwrap_or(0), ext);
                    let (inputs, outputs) = match stage {
                        "fill-pass" => (vec![dtm.to_path_buf()], vec![f("fill", "json")]),
                        "fill-global" => {
                            let mut o = all("spill", "json");
                            o.push(layout_json.clone());
                            (all("fill", "json"), o)
                        }
                        "fill-final" => (vec![dtm.to_path_buf(), f("spill", "json")], vec![f("filled", "f32")]),
                        "dir-pass" => {
                            let mut i = all("filled", "f32");
                            i.push(layout_json.clone());
                            (i, vec![f("dirpass", "u8"), f("flats", "json")])
                        }
                        "flats-global" => (all("flats", "json"), all("flatdir", "json")),
                        "acc-pass" => {
                            (vec![f("dirpass", "u8"), f("flatdir", "json")], vec![f("d8", "u8"), f("links", "json")])
                        }
                        "acc-global" => (all("links", "json"), all("inflow", "json")),
                        "acc-final" => (vec![f("d8", "u8"), f("inflow", "json")], vec![f("acc", "f64")]),
                        _ => {
                            let mut i = vec![dtm.to_path_buf()];
                            i.extend(all("filled", "f32"));
                            i.extend(all("d8", "u8"));
                            i.extend(all("acc", "f64"));
                            (i, ["filled.tif", "d8.tif", "accumulation.tif"].iter().map(|p| dir.join(p)).collect())
                        }
                    };
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

/// The DTM's tile layout and NoData value, written by `fill-global` for the later stages.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LayoutFile {
    layout: TileLayout,
    #[serde(with = "zwilling_tiled::exact::option_f64_bits")]
    nodata: Option<f64>,
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    write_bytes(path, serde_json::to_string(v).expect("plain JSON").as_bytes())
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let t = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&t).map_err(|e| Error::bad_file(path, format!("damaged tile summary: {e}")))
}

fn read_bytes(path: &Path, len: usize) -> Result<Vec<u8>> {
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

/// The filled elevations of `win` (a tile and its one-cell halo) from the `filled-<u>.f32` files
/// of the tiles it overlaps: the whole own tile, but only the one-cell strips of the neighbours
/// (seek and read per row, so a task reads ≈ its tile plus 4 √n cells, not 9 tiles).
fn read_filled_window(dir: &Path, layout: &TileLayout, win: zwilling_tiled::TileRect) -> Result<Vec<f32>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut window = vec![0f32; win.len()];
    let (tx0, tx1) = (win.col0 / layout.tile_width, (win.col0 + win.cols - 1) / layout.tile_width);
    let (ty0, ty1) = (win.row0 / layout.tile_height, (win.row0 + win.rows - 1) / layout.tile_height);
    let mut buf = vec![];
    for ty in ty0..=ty1 {
        for tx in tx0..=tx1 {
            let u = ty * layout.tiles_x() + tx;
            let rect = layout.tile(u);
            let path = tile_file(dir, "filled", u, "f32");
            let mut file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
            let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
            if len != 4 * rect.len() as u64 {
                return Err(Error::bad_file(
                    &path,
                    format!("holds {len} bytes, expected {}: rerun its stage", 4 * rect.len()),
                ));
            }
            let (c0, c1) = (win.col0.max(rect.col0), (win.col0 + win.cols).min(rect.col0 + rect.cols));
            let (r0, r1) = (win.row0.max(rect.row0), (win.row0 + win.rows).min(rect.row0 + rect.rows));
            buf.resize(4 * (c1 - c0), 0u8);
            for r in r0..r1 {
                let at = 4 * rect.local(c0, r) as u64;
                file.seek(SeekFrom::Start(at))
                    .and_then(|_| file.read_exact(&mut buf))
                    .map_err(|e| Error::io(&path, e))?;
                let dst = win.local(c0, r);
                for (k, b) in buf.chunks_exact(4).enumerate() {
                    window[dst + k] = f32::from_le_bytes(b.try_into().expect("4 bytes"));
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
                return write_bytes(&f("filled", t, "f32"), b"");
            }
            let spill: fill::TileSpill = read_json(&f("spill", t, "json"))?;
            let window = read_dtm_window(&h.dtm, &layout, t)?;
            let v = fill::finalise_fill_tile(&layout, t, &window.data, dem.nodata, &spill)?;
            write_bytes(&f("filled", t, "f32"), &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
        }
        ("dir-pass", Some(t)) => {
            let LayoutFile { layout, nodata } = lf.expect("read above");
            if t >= layout.count() {
                write_bytes(&f("dirpass", t, "u8"), b"")?;
                return write_bytes(&f("flats", t, "json"), b"null");
            }
            let window = read_filled_window(&h.dir, &layout, layout.window(t, 1))?;
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
                write_bytes(&f("d8", t, "u8"), b"")?;
                return write_bytes(&f("links", t, "json"), b"null");
            }
            let mut dir = read_bytes(&f("dirpass", t, "u8"), layout.tile(t).len())?;
            let flats: directions::TileFlatDirections = read_json(&f("flatdir", t, "json"))?;
            directions::finalise_directions_tile(&layout, t, &mut dir, &flats)?;
            write_bytes(&f("d8", t, "u8"), &dir)?;
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
                return write_bytes(&f("acc", t, "f64"), b"");
            }
            let dir = read_bytes(&f("d8", t, "u8"), layout.tile(t).len())?;
            let inflow: accumulation::TileInflow = read_json(&f("inflow", t, "json"))?;
            let acc = accumulation::finalise_accumulation_tile(&layout, t, &dir, None, &inflow)?;
            write_bytes(&f("acc", t, "f64"), &acc.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
        }
        ("mosaic", None) => mosaic(h, &lf.expect("read above").layout),
        (stage, tile) => Err(Error::invalid(format!("hydrology stage {stage} has no task {tile:?}"))),
    }
}

/// Assembles the tiles into the three products, written as `zwilling rain fill` / `rain flow` do.
fn mosaic(h: &HydroTask, layout: &TileLayout) -> Result<()> {
    // The DTM's georeferencing only: the tiles cover every cell.
    let info = dtm_info(&h.dtm)?;
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
    let continuous = CogOptions { resampling: Resampling::Average, ..Default::default() };
    let classes = CogOptions { resampling: Resampling::Nearest, ..Default::default() };
    write_cog(&h.dir.join("filled.tif"), &filled, &continuous)?;
    let cell = filled.transform.cell_x * filled.transform.cell_y;
    let mut area = acc.map(|&v| (v * cell) as f32);
    area.nodata = Some(f64::NAN);
    write_cog(&h.dir.join("accumulation.tif"), &area, &continuous)?;
    write_cog(&h.dir.join("d8.tif"), &zwilling_rain::d8::to_esri(&dir), &classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_io::raster::read_geotiff_f32;

    #[test]
    fn tile_count_parses() {
        assert_eq!("4x2".parse::<TileCount>().unwrap(), TileCount { cols: 4, rows: 2 });
        assert_eq!("4x2".parse::<TileCount>().unwrap().to_string(), "4x2");
        assert!("4".parse::<TileCount>().is_err());
        assert!("0x3".parse::<TileCount>().is_err());
        let l = TileCount { cols: 4, rows: 2 }.layout(10, 5).unwrap();
        assert_eq!((l.tile_width, l.tile_height, l.count()), (3, 3, 8));
    }

    #[test]
    fn file_tasks_equal_the_single_machine_products() {
        // Run every stage as separate task calls through files, then compare with zwilling-rain.
        // (The spill summaries hold −∞ for the outside label: this failed while floats went
        // through JSON as numbers, which turns ±∞ into `null`.)
        let dir = tempfile::tempdir().unwrap();
        let mut dem = Grid::filled(37, 23, zwilling_core::GeoTransform::new(100.0, 200.0, 0.5), 0.0f32);
        for (i, z) in dem.data.iter_mut().enumerate() {
            let (c, r) = (i % 37, i / 37);
            *z = ((c * 7919 + r * 104729) % 13) as f32 * 0.25 + (c as f32 - 18.0).abs() * 0.1;
        }
        let dtm = dir.path().join("dtm.tif");
        // 16 × 16 COG blocks against 10 × 8 hydrology tiles: the windowed reads cross blocks.
        write_cog(&dtm, &dem, &CogOptions { tile_size: 16, ..Default::default() }).unwrap();
        let tiles = TileCount { cols: 4, rows: 3 };
        for job in jobs(dir.path(), &dtm, tiles) {
            for task in &job.tasks {
                let Work::Hydro(h) = &task.work else { unreachable!() };
                run(h).unwrap();
            }
        }
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
