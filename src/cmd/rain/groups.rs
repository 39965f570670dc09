//! The rain simulation decomposed into catchment groups (`zwilling_rain::simulate::groups`):
//! `rain partition` (groups.tif + plan.json), `rain simulate --plan P --group I` (one group on
//! its window, read alone from the DEM), `rain merge` (the products of `rain simulate`), and the
//! in-process `rain simulate --groups K`, which runs the same group function on windows cut in
//! memory, so both give the same bytes.

use clap::Args;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Grid, Layer, Result};
use zwilling_io::raster::{read_geotiff_f32, read_geotiff_window_f32, write_cog};
use zwilling_rain::simulate::grouped::{group_config, merge_groups};
use zwilling_rain::simulate::groups::{partition_catchments, GroupWindow};
use zwilling_rain::simulate::{self, MassBalance, SimulationConfig, SimulationResult};

use zwilling_io::write_atomic;

use super::partition_tiles::PartitionStage;
use super::{building_mask, cog_opts, read_dem, ProductArgs, SimulateArgs};
use crate::pipeline::slurm::hydro::TileCount;
use zwilling_tiled::TileLayout;

#[derive(Args, Debug)]
pub struct PartitionArgs {
    /// Input DEM (GeoTIFF).
    #[arg(long)]
    pub dem: PathBuf,
    /// Number of catchment groups (at most; fewer when one catchment is larger than 1/K).
    #[arg(long, value_name = "K")]
    pub groups: usize,
    /// Output folder: groups.tif (group of every cell, −1 = NoData) and plan.json; with --tiles
    /// the label tiles tiles/groups-<t>.tif, groups.vrt over them and plan.json.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Partition tile by tile on COLSxROWS tiles (docs/cluster.md), from the tiled hydrology of
    /// `rain hydro`, so that no step holds the whole DEM. Alone: the hydrology (into
    /// OUTPUT/hydro, unless --hydro) and every step in this process.
    #[arg(long, value_name = "COLSxROWS")]
    pub tiles: Option<TileCount>,
    /// With --tiles: the folder of `rain hydro --dir DIR` on the same DEM and tiles.
    #[arg(long, value_name = "DIR", requires = "tiles")]
    pub hydro: Option<PathBuf>,
    /// With --tiles: only this step (a cluster task): `pass` and `labels` per tile (--tile T),
    /// `solve` once (writes plan.json).
    #[arg(long, value_enum, requires = "tiles")]
    pub stage: Option<PartitionStage>,
    /// With --stage pass|labels: the tile (0-based, row-major).
    #[arg(long, value_name = "T", requires = "stage")]
    pub tile: Option<usize>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// plan.json of `rain partition`; the group results are read from PLAN_DIR/groups/I.
    #[arg(long)]
    pub plan: PathBuf,
    #[command(flatten)]
    pub products: ProductArgs,
    /// Accepted so that one argument list serves the group tasks and the merge; not used here.
    #[command(flatten)]
    pub sim: super::SimOptions,
    /// Merge tile by tile on COLSxROWS tiles of the DEM, so that no step holds the whole grid
    /// (docs/cluster.md): the rasters become one COG per tile (OUT/tiles/<name>-<t>.tif) and GDAL
    /// VRTs OUT/<name>.vrt over them. Alone: every tile, then the mosaic, in this process.
    #[arg(long, value_name = "COLSxROWS")]
    pub tiles: Option<TileCount>,
    /// With --tiles: merge only tile T (0-based, row-major; a cluster array task).
    #[arg(long, value_name = "T", requires = "tiles", conflicts_with = "mosaic")]
    pub tile: Option<usize>,
    /// With --tiles: only the final step, after every tile: the VRTs, mass_balance.json and
    /// rain.gpkg (arrows, buildings, risk tiles, topographic layers).
    #[arg(long, requires = "tiles")]
    pub mosaic: bool,
    /// Output folder (the same files as `rain simulate`).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// The partition as the group tasks and the merge read it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Plan {
    /// The DEM, as given to `rain partition`.
    pub dem: PathBuf,
    /// Groups asked for.
    pub groups_requested: usize,
    /// DEM size in cells.
    pub width: usize,
    /// DEM size in cells.
    pub height: usize,
    /// The group raster, relative to the plan's folder (`groups.tif`; `groups.vrt` over the
    /// label tiles of a tiled partition).
    pub labels: String,
    /// Bounding window of every group.
    pub windows: Vec<GroupWindow>,
    /// A tiled partition's label tiles, which readers use instead of `labels` (absent for the
    /// untiled partition, whose plan.json is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_tiles: Option<LabelTiles>,
}

/// The group labels of a tiled partition: one COG per tile (i32, −1 = NoData), each the exact cut
/// of the untiled partition's `groups.tif`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct LabelTiles {
    /// The tiling (that of the tiled hydrology the partition was made from).
    pub layout: TileLayout,
    /// Label tile `t`, relative to the plan's folder, with `{t}` for the tile number.
    pub files: String,
}

impl LabelTiles {
    /// Label tile `t`, relative to the plan's folder.
    pub fn file(&self, t: usize) -> String {
        self.files.replace("{t}", &t.to_string())
    }
}

pub(super) fn read_plan(path: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::bad_file(path, format!("not a rain partition plan: {e}")))
}

pub(super) fn plan_dir(path: &Path) -> PathBuf {
    path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The group labels of the window `cols × rows` at (`col0`, `row0`) of the plan's DEM (−1 =
/// NoData), read from the plan's label raster alone — for a tiled partition from the label tiles
/// the window meets: what group tasks and merge tiles read, so a task's memory grows with its
/// window, not with the DEM.
pub(super) fn read_labels_window(
    plan_path: &Path,
    plan: &Plan,
    col0: usize,
    row0: usize,
    cols: usize,
    rows: usize,
) -> Result<Vec<i32>> {
    if let Some(tiles) = &plan.label_tiles {
        return super::partition_tiles::read_label_tiles(&plan_dir(plan_path), tiles, col0, row0, cols, rows);
    }
    let labels_path = plan_dir(plan_path).join(&plan.labels);
    Ok(read_geotiff_window_f32(&labels_path, col0, row0, cols, rows)?.data.iter().map(|&v| v as i32).collect())
}

/// What a group task writes beside its rasters: the numbers of the result in exact bits (so the
/// merge sums exactly what the in-process run sums) and, readable, the group's mass balance.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct GroupRecord {
    group: usize,
    /// `None` for a group index beyond the partition's groups (an idle array task).
    window: Option<GroupWindow>,
    /// The group's mass balance, for people.
    mass_balance: serde_json::Value,
    steps: u64,
    /// rain, inflow, outflow, infiltration, initial, final, simulated_s as f64 bits.
    volume_bits: Vec<u64>,
    outflow_bits: Vec<[u64; 2]>,
    snapshot_time_bits: Vec<u64>,
}

/// Runs one group on its window (`dem` and `labels` already cut to it): the function both the
/// in-process and the cluster path call.
fn run_window(
    dem: &Grid<f32>,
    labels: &[i32],
    base: &SimulationConfig,
    buildings: Option<&Layer>,
    win: &GroupWindow,
    dem_size: (usize, usize),
    group: usize,
) -> Result<SimulationResult> {
    let mut cut = base.clone();
    cut.closed = buildings.map(|b| building_mask(dem, b));
    let cfg = group_config(&cut, win, dem_size.0, dem_size.1, labels, group)?;
    simulate::simulate(dem, &cfg)
}

/// `rain simulate --groups K`: partition, every group in turn, merge.
pub fn simulate_in_process(
    dem: &Grid<f32>,
    base: &SimulationConfig,
    buildings: Option<&Layer>,
    k: usize,
) -> Result<SimulationResult> {
    let p = partition_catchments(dem, k)?;
    let bar = crate::progress::bar(p.windows.len() as u64, "catchment groups");
    let mut runs = Vec::with_capacity(p.windows.len());
    for (g, win) in p.windows.iter().enumerate() {
        let labels = win.cut(&p.labels.data, dem.width);
        runs.push(run_window(&win.crop(dem), &labels, base, buildings, win, (dem.width, dem.height), g)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    merge_groups(dem, &p.labels.data, &p.windows, &runs)
}

pub fn run_partition(a: PartitionArgs) -> Result<()> {
    if let Some(tiles) = a.tiles {
        return super::partition_tiles::run_partition(&a, tiles);
    }
    let dem = read_dem(&a.dem)?;
    let p = partition_catchments(&dem, a.groups).map_err(|e| e.in_file(&a.dem))?;
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    write_cog(&a.output.join("groups.tif"), &p.labels, &cog_opts(true))?;
    let plan = Plan {
        dem: a.dem.clone(),
        groups_requested: a.groups,
        width: dem.width,
        height: dem.height,
        labels: "groups.tif".into(),
        windows: p.windows,
        label_tiles: None,
    };
    let json = serde_json::to_string_pretty(&plan).map_err(|e| Error::invalid(e.to_string()))?;
    write_atomic(&a.output.join("plan.json"), json.as_bytes())?;
    if !crate::progress::quiet() {
        let work: usize = plan.windows.iter().map(GroupWindow::area).sum();
        eprintln!(
            "{} catchment groups; their windows hold {:.2}× the DEM's cells",
            plan.windows.len(),
            work as f64 / (dem.width * dem.height) as f64
        );
    }
    Ok(())
}

/// `rain simulate --plan P --group I`: one group, its window read alone.
pub fn run_group(a: &SimulateArgs, plan_path: &Path, group: usize) -> Result<()> {
    let plan = read_plan(plan_path)?;
    let base = super::sim_config(&a.sim)?;
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    let record_path = a.output.join("group.json");
    let Some(win) = plan.windows.get(group).copied() else {
        // More array tasks than groups: record that this one had nothing to do.
        let rec = GroupRecord {
            group,
            window: None,
            mass_balance: serde_json::Value::Null,
            steps: 0,
            volume_bits: vec![],
            outflow_bits: vec![],
            snapshot_time_bits: vec![],
        };
        let json = serde_json::to_string_pretty(&rec).map_err(|e| Error::invalid(e.to_string()))?;
        return write_atomic(&record_path, json.as_bytes());
    };
    let dem = read_geotiff_window_f32(&plan.dem, win.col0, win.row0, win.cols, win.rows)?;
    let labels = read_labels_window(plan_path, &plan, win.col0, win.row0, win.cols, win.rows)?;
    let buildings = a.products.read_buildings()?;
    let r = run_window(&dem, &labels, &base, buildings.as_ref(), &win, (plan.width, plan.height), group)
        .map_err(|e| e.in_file(&plan.dem))?;
    let out = |n: &str| a.output.join(n);
    let o = cog_opts(false);
    write_cog(&out("max_depth.tif"), &r.max_depth, &o)?;
    write_cog(&out("max_velocity.tif"), &r.max_velocity, &o)?;
    write_cog(&out("time_of_max.tif"), &r.time_of_max, &o)?;
    write_cog(&out("flow_dir.tif"), &r.flow_dir_at_peak, &cog_opts(true))?;
    write_cog(&out("final_depth.tif"), &r.final_depth, &o)?;
    for (k, (_, g)) in r.snapshots.iter().enumerate() {
        write_cog(&out(&format!("snapshot_{k}.tif")), g, &o)?;
    }
    let m = r.mass_balance;
    let rec = GroupRecord {
        group,
        window: Some(win),
        mass_balance: serde_json::to_value(m).map_err(|e| Error::invalid(e.to_string()))?,
        steps: m.steps,
        volume_bits: [
            m.rain_in_m3,
            m.inflow_m3,
            m.outflow_m3,
            m.infiltration_m3,
            m.initial_storage_m3,
            m.final_storage_m3,
            m.simulated_s,
        ]
        .iter()
        .map(|v| v.to_bits())
        .collect(),
        outflow_bits: r.outflow_hydrograph.iter().map(|&(t, q)| [t.to_bits(), q.to_bits()]).collect(),
        snapshot_time_bits: r.snapshots.iter().map(|(t, _)| t.to_bits()).collect(),
    };
    let json = serde_json::to_string_pretty(&rec).map_err(|e| Error::invalid(e.to_string()))?;
    // the record last: its presence marks a finished group
    write_atomic(&record_path, json.as_bytes())
}

/// Reads and checks the record `run_group` wrote for group `g` on `win` into `dir`.
pub(super) fn read_record(dir: &Path, g: usize, win: &GroupWindow) -> Result<GroupRecord> {
    let rec_path = dir.join("group.json");
    let text = std::fs::read_to_string(&rec_path).map_err(|e| Error::io(&rec_path, e))?;
    let rec: GroupRecord =
        serde_json::from_str(&text).map_err(|e| Error::bad_file(&rec_path, format!("not a group record: {e}")))?;
    if rec.group != g || rec.window.as_ref() != Some(win) || rec.volume_bits.len() != 7 {
        return Err(Error::bad_file(&rec_path, format!("is not the record of group {g} of this plan")));
    }
    Ok(rec)
}

/// A group's result from its record, with the rasters (and every snapshot) read by `grid(name)`,
/// which gets the group's file names (`max_depth.tif`, …, `snapshot_<k>.tif`).
pub(super) fn record_result(
    rec: &GroupRecord,
    mut grid: impl FnMut(&str) -> Result<Grid<f32>>,
) -> Result<SimulationResult> {
    let f = |i: usize| f64::from_bits(rec.volume_bits[i]);
    let mut mb = MassBalance {
        rain_in_m3: f(0),
        inflow_m3: f(1),
        outflow_m3: f(2),
        infiltration_m3: f(3),
        initial_storage_m3: f(4),
        final_storage_m3: f(5),
        simulated_s: f(6),
        steps: rec.steps,
        ..Default::default()
    };
    mb.close();
    let dir_grid = grid("flow_dir.tif")?;
    let flow_dir_at_peak = dir_grid.with_data(dir_grid.data.iter().map(|&v| v as u8).collect());
    let snapshots = rec
        .snapshot_time_bits
        .iter()
        .enumerate()
        .map(|(k, &t)| Ok((f64::from_bits(t), grid(&format!("snapshot_{k}.tif"))?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(SimulationResult {
        max_depth: grid("max_depth.tif")?,
        max_velocity: grid("max_velocity.tif")?,
        time_of_max: grid("time_of_max.tif")?,
        flow_dir_at_peak,
        final_depth: grid("final_depth.tif")?,
        snapshots,
        outflow_hydrograph: rec.outflow_bits.iter().map(|p| (f64::from_bits(p[0]), f64::from_bits(p[1]))).collect(),
        mass_balance: mb,
    })
}

/// Reads what `run_group` wrote for group `g`.
fn read_group(dir: &Path, g: usize, win: &GroupWindow) -> Result<SimulationResult> {
    let rec = read_record(dir, g, win)?;
    record_result(&rec, |n| {
        let g = read_geotiff_f32(&dir.join(n))?;
        if (g.width, g.height) != (win.cols, win.rows) {
            return Err(Error::bad_file(dir.join(n), "does not match the group's window"));
        }
        Ok(g)
    })
}

/// `rain merge`: the group results into the products of `rain simulate`.
pub fn run_merge(a: MergeArgs) -> Result<()> {
    if let Some(tiles) = a.tiles {
        return super::merge_tiles::run(&a, tiles);
    }
    let plan = read_plan(&a.plan)?;
    a.products.check()?;
    let preset = super::load_preset(&a.products.preset)?;
    let buildings = a.products.read_buildings()?;
    let dem = read_dem(&plan.dem)?;
    if (dem.width, dem.height) != (plan.width, plan.height) {
        return Err(Error::bad_file(&plan.dem, format!("is not the DEM of the plan {}", a.plan.display())));
    }
    let dir = plan_dir(&a.plan);
    let labels = read_labels_window(&a.plan, &plan, 0, 0, plan.width, plan.height)?;
    let runs = plan
        .windows
        .iter()
        .enumerate()
        .map(|(g, win)| read_group(&dir.join("groups").join(g.to_string()), g, win))
        .collect::<Result<Vec<_>>>()?;
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    let (sink_layer, path_layer) = super::topographic_layers(&dem, &a.products)?;
    let r = merge_groups(&dem, &labels, &plan.windows, &runs)?;
    super::write_products(&a.output, &a.products, &preset, buildings.as_ref(), &r, sink_layer, path_layer)
}
