//! `rain hydro` and `rain partition --tiles CxR`: the catchment partition of the decomposed rain
//! simulation tile by tile, so that no task holds the rain DTM or its group raster
//! (docs/cluster.md, "The 2D rain simulation on a cluster").
//!
//! 1. `rain hydro --dem D --dir H --tiles CxR [--stage S --tile T]`: one task of the tile-parallel
//!    fill → D8 → accumulation chain (`crate::pipeline::slurm::hydro`, Barnes 2016 and 2017;
//!    stages `fill-pass` … `acc-final`, no mosaic): raw tiles `H/tiles/{layout.json, filled-T.f32,
//!    d8-T.u8, acc-T.f64}`.
//! 2. The three steps of `zwilling_tiled::catchments` on those directions:
//!    - `--stage pass --tile T`: `catchment_tile_pass` on `d8-T.u8` and the validity of the DTM
//!      window of tile T → `OUT/tiles/catchments-T.json`;
//!    - `--stage solve`: `solve_catchments` on every summary → `OUT/tiles/outlet-groups-T.json`
//!      (the group of each local catchment of tile T), `OUT/groups.vrt` (GDAL VRT over the label
//!      tiles) and `OUT/plan.json` (the group windows; [`LabelTiles`] names the label tiles);
//!    - `--stage labels --tile T`: `finalise_catchment_tile` → `OUT/tiles/groups-T.tif` (i32,
//!      −1 = NoData: the exact cut of the `groups.tif` the untiled partition writes).
//!
//! Labels and windows equal `partition_catchments` on the whole DTM bit for bit
//! (`zwilling_tiled::run::partition_tiled`, tested there), so the group tasks and the merge,
//! which read their windows of the labels through [`read_label_tiles`], write the same bytes.
//! Without `--stage`, `rain partition --tiles` runs every step in this process (and the hydrology
//! into `OUT/hydro` unless `--hydro` names it).

use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};
use zwilling_io::raster::{
    read_geotiff_info, read_geotiff_window_f32, write_cog, write_vrt_mosaic, SampleType, VrtMosaic,
};
use zwilling_io::write_atomic;
use zwilling_rain::simulate::groups::{check_group_count, NO_GROUP};
use zwilling_tiled::catchments::{
    catchment_tile_pass, finalise_catchment_tile, solve_catchments, CatchmentTileSummary, TileGroups,
};
use zwilling_tiled::layout::is_nodata;
use zwilling_tiled::{TileLayout, TileRect};

use super::cog_opts;
use super::groups::{LabelTiles, PartitionArgs, Plan};
use crate::pipeline::slurm::hydro::{self, HydroTask, TileCount, STAGES};

/// The hydrology stages `rain hydro` runs: every stage but `mosaic` (the raw tiles are all the
/// partition and the tiled merge read).
pub const HYDRO_STAGES: [&str; 8] =
    ["fill-pass", "fill-global", "fill-final", "dir-pass", "flats-global", "acc-pass", "acc-global", "acc-final"];

#[derive(Args, Debug)]
pub struct HydroArgs {
    /// The DTM (GeoTIFF; read by windows of one tile and its one-cell halo).
    #[arg(long)]
    pub dem: PathBuf,
    /// Folder of the tiled hydrology: the raw tiles and the summaries between the stages go to
    /// DIR/tiles/ (layout.json, filled-T.f32, d8-T.u8, acc-T.f64, …).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Tiles across and down.
    #[arg(long, value_name = "COLSxROWS")]
    pub tiles: TileCount,
    /// Only this stage (one cluster task); without it every stage and tile in this process.
    #[arg(long, value_name = "STAGE", value_parser = clap::builder::PossibleValuesParser::new(HYDRO_STAGES))]
    pub stage: Option<String>,
    /// The tile (0-based, row-major) of a per-tile stage.
    #[arg(long, value_name = "T", requires = "stage")]
    pub tile: Option<usize>,
}

/// A step of the tiled partition (`rain partition --tiles CxR --stage S`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionStage {
    /// Per tile (`--tile T`): local catchments and border links of the tile.
    Pass,
    /// Once: outlets, groups and windows from every tile's summary; writes plan.json.
    Solve,
    /// Per tile (`--tile T`): the tile's group labels.
    Labels,
}

/// `OUT/tiles/<name>-<t>.<ext>` of the partition folder `out`.
pub fn tile_path(out: &Path, name: &str, t: usize, ext: &str) -> PathBuf {
    out.join("tiles").join(format!("{name}-{t}.{ext}"))
}

/// The label tiles as [`LabelTiles::files`] names them, relative to the plan's folder.
const LABEL_FILES: &str = "tiles/groups-{t}.tif";

/// `rain hydro`: one task of the tiled hydrology, or (without `--stage`) all of them.
pub fn run_hydro(a: HydroArgs) -> Result<()> {
    match a.stage.as_deref() {
        Some(stage) => {
            let stage = static_stage(stage)?;
            let tile = match (hydro::is_global(stage), a.tile) {
                (true, None) => None,
                (false, Some(t)) if t < a.tiles.count() => Some(t),
                (true, Some(_)) => return Err(Error::invalid(format!("stage {stage} has one task: drop --tile"))),
                (false, Some(t)) => {
                    return Err(Error::invalid(format!("--tile {t}: {} has {} tiles", a.tiles, a.tiles.count())))
                }
                (false, None) => return Err(Error::invalid(format!("stage {stage} runs per tile: give --tile T"))),
            };
            hydro::run(&HydroTask { stage, tile, tiles: a.tiles, dtm: a.dem, dir: a.dir })
        }
        None => hydrology(&a.dem, &a.dir, a.tiles),
    }
}

fn static_stage(name: &str) -> Result<&'static str> {
    STAGES
        .iter()
        .copied()
        .filter(|s| HYDRO_STAGES.contains(s))
        .find(|&s| s == name)
        .ok_or_else(|| Error::invalid(format!("unknown hydrology stage '{name}' (one of {})", HYDRO_STAGES.join(", "))))
}

/// Every hydrology stage and tile in turn, in this process.
fn hydrology(dem: &Path, dir: &Path, tiles: TileCount) -> Result<()> {
    for stage in HYDRO_STAGES {
        let tasks: Vec<Option<usize>> =
            if hydro::is_global(stage) { vec![None] } else { (0..tiles.count()).map(Some).collect() };
        for tile in tasks {
            hydro::run(&HydroTask { stage, tile, tiles, dtm: dem.to_path_buf(), dir: dir.to_path_buf() })?;
        }
    }
    Ok(())
}

/// `rain partition --tiles CxR`.
pub(super) fn run_partition(a: &PartitionArgs, tiles: TileCount) -> Result<()> {
    check_group_count(a.groups)?;
    let hydro_dir = match (&a.hydro, a.stage) {
        (Some(h), _) => h.clone(),
        (None, Some(_)) => return Err(Error::invalid("rain partition --stage needs --hydro DIR (of `rain hydro`)")),
        (None, None) => {
            let h = a.output.join("hydro");
            hydrology(&a.dem, &h, tiles)?;
            h
        }
    };
    let tiles_dir = a.output.join("tiles");
    std::fs::create_dir_all(&tiles_dir).map_err(|e| Error::io(&tiles_dir, e))?;
    let (layout, _) = hydro::read_layout(&hydro_dir)?;
    if tiles.layout(layout.width, layout.height)? != layout {
        let p = hydro_dir.join("tiles").join("layout.json");
        return Err(Error::bad_file(p, format!("the hydrology there was not made on {tiles} tiles")));
    }
    let p = Parts { dem: &a.dem, hydro: &hydro_dir, out: &a.output, tiles, layout };
    let tile_of = |stage: &str| match a.tile {
        Some(t) if t < tiles.count() => Ok(t),
        Some(t) => Err(Error::invalid(format!("--tile {t}: {tiles} has {} tiles", tiles.count()))),
        None => Err(Error::invalid(format!("rain partition --stage {stage} runs per tile: give --tile T"))),
    };
    match a.stage {
        Some(PartitionStage::Pass) => p.pass(tile_of("pass")?),
        Some(PartitionStage::Labels) => p.labels(tile_of("labels")?),
        Some(PartitionStage::Solve) if a.tile.is_some() => {
            Err(Error::invalid("rain partition --stage solve has one task: drop --tile"))
        }
        Some(PartitionStage::Solve) => p.solve(a.groups),
        None => {
            (0..tiles.count()).try_for_each(|t| p.pass(t))?;
            p.solve(a.groups)?;
            (0..tiles.count()).try_for_each(|t| p.labels(t))
        }
    }
}

/// Where the tiled partition reads and writes.
struct Parts<'a> {
    /// The rain DTM.
    dem: &'a Path,
    /// The tiled hydrology of `rain hydro`.
    hydro: &'a Path,
    /// The partition folder.
    out: &'a Path,
    tiles: TileCount,
    /// The hydrology's layout (from its `layout.json`).
    layout: TileLayout,
}

impl Parts<'_> {
    /// Tile `t`'s final D8 directions (raw, from `rain hydro`) and which of its cells hold data
    /// (the DTM's window of the tile, no halo).
    fn directions_and_validity(&self, t: usize) -> Result<(TileRect, Vec<u8>, Vec<bool>)> {
        let rect = self.layout.tile(t);
        let dir = hydro::read_bytes(&hydro::tile_file(self.hydro, "d8", t, "u8"), rect.len())?;
        let dem = read_geotiff_window_f32(self.dem, rect.col0, rect.row0, rect.cols, rect.rows)?;
        let valid = dem.data.iter().map(|&v| !is_nodata(v, dem.nodata)).collect();
        Ok((rect, dir, valid))
    }

    /// Step 1: `tiles/catchments-T.json`.
    fn pass(&self, t: usize) -> Result<()> {
        let path = tile_path(self.out, "catchments", t, "json");
        if t >= self.layout.count() {
            // A task beyond the layout's tiles (small DTMs) leaves a placeholder.
            return write_atomic(&path, b"null");
        }
        let (_, dir, valid) = self.directions_and_validity(t)?;
        let d8 = hydro::tile_file(self.hydro, "d8", t, "u8");
        hydro::write_json(&path, &catchment_tile_pass(&self.layout, t, &dir, &valid).map_err(|e| e.in_file(&d8))?)
    }

    /// Step 2: `tiles/outlet-groups-T.json` for every tile, `groups.vrt` and `plan.json`.
    fn solve(&self, k: usize) -> Result<()> {
        let summaries = (0..self.layout.count())
            .map(|t| hydro::read_json::<CatchmentTileSummary>(&tile_path(self.out, "catchments", t, "json")))
            .collect::<Result<Vec<_>>>()?;
        if summaries.iter().all(|s| s.catchments.is_empty()) {
            return Err(Error::bad_file(self.dem, "catchment groups: the DEM has no valid cells"));
        }
        let solution = solve_catchments(&self.layout, &summaries, k).map_err(|e| e.in_file(self.dem))?;
        drop(summaries);
        for t in 0..self.tiles.count() {
            let path = tile_path(self.out, "outlet-groups", t, "json");
            match solution.tiles.get(t) {
                Some(g) => hydro::write_json(&path, g)?,
                None => write_atomic(&path, b"null")?,
            }
        }
        // The DTM's directories only (size and georeferencing), no pixels.
        let info = read_geotiff_info(self.dem)?;
        if (info.width, info.height) != (self.layout.width, self.layout.height) {
            return Err(Error::bad_file(self.dem, "is not the DTM of the tiled hydrology"));
        }
        let vrt = VrtMosaic {
            width: info.width,
            height: info.height,
            transform: info.transform,
            crs: info.crs.clone(),
            nodata: Some(NO_GROUP as f64),
            sample_type: SampleType::I32,
            block_size: cog_opts(true).tile_size,
            tiles: hydro::vrt_tiles(&self.layout, "groups"),
        };
        write_vrt_mosaic(&self.out.join("groups.vrt"), &vrt)?;
        let plan = Plan {
            dem: self.dem.to_path_buf(),
            groups_requested: k,
            width: info.width,
            height: info.height,
            labels: "groups.vrt".into(),
            windows: solution.windows,
            label_tiles: Some(LabelTiles { layout: self.layout, files: LABEL_FILES.into() }),
        };
        let json = serde_json::to_string_pretty(&plan).map_err(|e| Error::invalid(e.to_string()))?;
        write_atomic(&self.out.join("plan.json"), json.as_bytes())?;
        if !crate::progress::quiet() {
            let work: usize = plan.windows.iter().map(|w| w.area()).sum();
            eprintln!(
                "{} catchment groups; their windows hold {:.2}× the DEM's cells",
                plan.windows.len(),
                work as f64 / (info.width * info.height) as f64
            );
        }
        Ok(())
    }

    /// Step 3: `tiles/groups-T.tif`.
    fn labels(&self, t: usize) -> Result<()> {
        let path = tile_path(self.out, "groups", t, "tif");
        if t >= self.layout.count() {
            return write_atomic(&path, b"");
        }
        let groups_path = tile_path(self.out, "outlet-groups", t, "json");
        let groups: TileGroups = hydro::read_json(&groups_path)?;
        let (rect, dir, valid) = self.directions_and_validity(t)?;
        let labels =
            finalise_catchment_tile(&self.layout, t, &dir, &valid, &groups).map_err(|e| e.in_file(&groups_path))?;
        let info = read_geotiff_info(self.dem)?;
        // As the untiled partition writes groups.tif: i32, NoData −1, nearest overviews.
        let grid = hydro::tile_grid(&info, rect, labels, Some(NO_GROUP as f64));
        write_cog(&path, &grid, &cog_opts(true))
    }
}

/// The group labels of the window `cols × rows` at (`col0`, `row0`) from the label tiles of a
/// tiled plan in `plan_dir`: only the tiles the window meets, each read by its window.
pub(super) fn read_label_tiles(
    plan_dir: &Path,
    tiles: &LabelTiles,
    col0: usize,
    row0: usize,
    cols: usize,
    rows: usize,
) -> Result<Vec<i32>> {
    let layout = &tiles.layout;
    if col0 + cols > layout.width || row0 + rows > layout.height {
        return Err(Error::invalid(format!(
            "label window {cols} × {rows} at ({col0}, {row0}) lies outside the {} × {} grid of the plan in {}",
            layout.width,
            layout.height,
            plan_dir.display()
        )));
    }
    let path = |t: usize| plan_dir.join(tiles.file(t));
    let (v, _) = hydro::read_tiff_tiles_window(layout, path, (col0, row0, cols, rows), NO_GROUP as f32)?;
    Ok(v.into_iter().map(|v| v as i32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::{GeoTransform, Grid};

    #[test]
    fn label_windows_across_tiles_are_the_cuts_of_the_whole_raster() {
        // A 23 × 17 label raster cut into 6 × 5-cell tiles (the last column and row narrower), read
        // back through every window shape that crosses tile edges, against the whole raster.
        let dir = tempfile::tempdir().unwrap();
        let (w, h) = (23, 17);
        let whole: Vec<i32> = (0..w * h).map(|i| if i % 11 == 4 { NO_GROUP } else { (i * 7 % 5) as i32 }).collect();
        let layout = TileLayout::new(w, h, 6, 5).unwrap();
        for t in 0..layout.count() {
            let rect = layout.tile(t);
            let origin = (350_000.0 + 2.0 * rect.col0 as f64, 5_700_000.0 - 2.0 * rect.row0 as f64);
            let mut g = Grid::filled(rect.cols, rect.rows, GeoTransform::new(origin.0, origin.1, 2.0), 0i32);
            (g.data, g.nodata) = (rect.extract(&whole, w), Some(-1.0));
            std::fs::create_dir_all(dir.path().join("tiles")).unwrap();
            write_cog(&dir.path().join(LABEL_FILES.replace("{t}", &t.to_string())), &g, &cog_opts(true)).unwrap();
        }
        let tiles = LabelTiles { layout, files: LABEL_FILES.into() };
        for (c0, r0, cols, rows) in
            [(0, 0, 23, 17), (5, 4, 2, 2), (3, 0, 14, 17), (17, 14, 6, 3), (6, 5, 6, 5), (22, 16, 1, 1)]
        {
            let got = read_label_tiles(dir.path(), &tiles, c0, r0, cols, rows).unwrap();
            let want = TileRect { col0: c0, row0: r0, cols, rows }.extract(&whole, w);
            assert_eq!(got, want, "window {cols} × {rows} at ({c0}, {r0})");
        }
        let e = read_label_tiles(dir.path(), &tiles, 20, 0, 4, 1).unwrap_err().to_string();
        assert!(e.contains("outside"), "{e}");
        // A damaged tile (another tile's size) is an error naming the file.
        std::fs::copy(dir.path().join("tiles/groups-0.tif"), dir.path().join("tiles/groups-3.tif")).unwrap();
        let e = read_label_tiles(dir.path(), &tiles, 17, 0, 6, 2).unwrap_err().to_string();
        assert!(e.contains("groups-3.tif"), "{e}");
    }
}
