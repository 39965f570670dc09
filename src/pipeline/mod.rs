//! The pipeline: stages from a TOML file, run as steps with a resumable manifest.
//!
//! Each stage expands into steps (one per input cloud for `ground`, one for all `grid` products
//! ...). A step is a `zwilling` command line run in-process plus its input and output paths;
//! stages compose like PDAL's readers, filters and writers because every step reads the files
//! the steps before it wrote. Steps whose hash (command line + input file stats) matches the
//! manifest and whose outputs exist are skipped; `--force` reruns everything.

pub mod config;
pub mod manifest;
pub mod report;
pub mod report_shared;
pub mod slurm;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use serde::Serialize;
use zwilling_core::{Error, Result};

pub use config::Config;
use manifest::{step_hash, Manifest, StepRecord};

/// One unit of work.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Identifier in the manifest, `stage/name`.
    pub id: String,
    /// Stage name.
    pub stage: &'static str,
    /// The `zwilling` command line without the program name (empty for the report).
    pub argv: Vec<String>,
    /// Files or folders read.
    pub inputs: Vec<PathBuf>,
    /// Files or folders written.
    pub outputs: Vec<PathBuf>,
    /// Points this step handles (for throughput in the summary), when known.
    pub points: u64,
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Expands the configured stages into steps.
pub fn plan(cfg: &Config) -> Result<Vec<Step>> {
    let out = &cfg.out;
    let mut steps = vec![];
    let points: u64 = cfg
        .input
        .clouds
        .iter()
        .map(|c| zwilling_io::las::LasReader::open(c).map(|r| r.info().point_count))
        .sum::<Result<u64>>()?;
    let crs_args: Vec<String> = cfg.input.crs.iter().flat_map(|c| ["--crs".to_string(), c.clone()]).collect();
    // Ground: one step per cloud.
    let mut clouds = cfg.input.clouds.clone();
    if let Some(st) = cfg.stage("ground") {
        clouds = vec![];
        for c in &cfg.input.clouds {
            let stem = c.file_stem().and_then(|s| s.to_str()).unwrap_or("cloud");
            let o = out.join("ground").join(format!("{stem}.laz"));
            let mut argv = vec!["ground".into(), s(c), "-o".into(), s(&o)];
            argv.extend(crs_args.clone());
            if st.table.get("keep_existing").and_then(|v| v.as_bool()) == Some(true) {
                argv.push("--keep-existing".into());
            }
            argv.extend(st.args());
            let n = zwilling_io::las::LasReader::open(c)?.info().point_count;
            steps.push(Step {
                id: format!("ground/{stem}"),
                stage: "ground",
                argv,
                inputs: vec![c.clone()],
                outputs: vec![o.clone()],
                points: n,
            });
            clouds.push(o);
        }
    }
    // Grid: one step for all products (one read of the clouds), with the rain simulation's coarser
    // DTM (`[rain] res`) as one more product at its own cell size.
    let mut dtm = cfg.input.dem.clone();
    let mut intensity: Option<PathBuf> = None;
    let rain_res = cfg
        .stage("rain")
        .filter(|_| cfg.input.dem.is_none())
        .and_then(|st| st.table.get("res"))
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
    let rain_dtm = rain_res.map(|r| (format!("dtm@{r}"), out.join("rasters").join(format!("dtm_rain_{r}m.tif"))));
    let grid_stage = cfg.stage("grid");
    let mut rasters: Vec<(String, PathBuf)> = vec![];
    if let Some(st) = grid_stage {
        let products =
            st.list("products").unwrap_or_else(|| vec!["dtm".into(), "dsm".into(), "intensity".into(), "rgb".into()]);
        for p in products {
            let o = out.join("rasters").join(format!("{p}.tif"));
            if p == "dtm" && dtm.is_none() {
                dtm = Some(o.clone());
            }
            if p == "intensity" {
                intensity = Some(o.clone());
            }
            rasters.push((p, o));
        }
    }
    rasters.extend(rain_dtm.clone());
    if !rasters.is_empty() {
        let res = grid_stage.map_or(0.5, |st| st.f64_or("res", 0.5));
        let mut argv = vec!["grid".into()];
        argv.extend(clouds.iter().map(|c| s(c)));
        let names: Vec<&str> = rasters.iter().map(|(p, _)| p.as_str()).collect();
        argv.extend(["--product".into(), names.join(","), "--res".into(), res.to_string()]);
        for (_, o) in &rasters {
            argv.extend(["-o".into(), s(o)]);
        }
        // The grid step's memory budget in MB (its statistics spill to disk beyond it).
        if let Some(st) = grid_stage.filter(|st| st.table.contains_key("memory")) {
            argv.extend(["--memory".into(), (st.f64_or("memory", 256.0).ceil() as u64).to_string()]);
        }
        argv.extend(crs_args.clone());
        argv.extend(grid_stage.map(|st| st.args()).unwrap_or_default());
        // The id names the step by what it makes, as the per-product steps did: `grid/dtm` when only a
        // DTM is made, `grid/dtm-rain` for the rain DTM alone, `grid/rasters` for several.
        let id = match (grid_stage, rasters.len()) {
            (None, _) => "grid/dtm-rain".to_string(),
            (Some(_), 1) => format!("grid/{}", rasters[0].0),
            _ => "grid/rasters".to_string(),
        };
        let outputs: Vec<PathBuf> = rasters.iter().map(|(_, o)| o.clone()).collect();
        steps.push(Step { id, stage: "grid", argv, inputs: clouds.clone(), outputs, points });
    }
    // Cracks: masks from the pavement images.
    let mut crack_lines: Option<PathBuf> = None;
    let cracks_stage = cfg.stage("cracks");
    if let (Some(st), Some(images)) = (cracks_stage, &cfg.input.images) {
        let o = out.join("cracks");
        let mut argv = vec!["cracks".into(), "detect".into(), s(images), "-o".into(), s(&o)];
        let (mut inputs, mut outputs) = (vec![images.clone()], vec![o.clone()]);
        // Georeferenced crack lines for [road] when the images have poses and a DTM is planned.
        if let (true, Some(d)) = (images.join("poses.csv").exists(), &dtm) {
            argv.extend(["--poses".into(), s(&images.join("poses.csv")), "--dtm".into(), s(d)]);
            inputs.push(d.clone());
            outputs.push(o.join("cracks.geojson"));
            crack_lines = Some(o.join("cracks.geojson"));
        }
        argv.extend(st.args());
        steps.push(Step { id: "cracks/detect".into(), stage: "cracks", argv, inputs, outputs, points: 0 });
    }
    // Road condition.
    if let (Some(st), Some(traj)) = (cfg.stage("road"), &cfg.input.trajectory) {
        let o = out.join("road.gpkg");
        let mut argv = vec!["road".into()];
        for c in &clouds {
            argv.extend(["--cloud".into(), s(c)]);
        }
        argv.extend(["--trajectory".into(), s(traj), "-o".into(), s(&o)]);
        argv.extend(["--section".into(), st.f64_or("section", 100.0).to_string()]);
        let mut inputs = clouds.clone();
        inputs.push(traj.clone());
        if let Some(c) = &crack_lines {
            argv.extend(["--cracks".into(), s(c)]);
            inputs.push(c.clone());
        }
        argv.extend(st.args());
        steps.push(Step { id: "road/sections".into(), stage: "road", argv, inputs, outputs: vec![o], points });
    }
    // Road markings (with a wear score) from the intensity ortho, within the road corridor when the
    // kerb distances are given; also the `markings` layer of road.gpkg. `args` belong to `cracks detect`.
    if let (Some(st), Some(ortho)) = (cracks_stage, &intensity) {
        if st.bool_or("markings", true) {
            let o = out.join("cracks").join("markings.geojson");
            let mut argv = vec!["cracks".into(), "markings".into(), "--ortho".into(), s(ortho), "-o".into(), s(&o)];
            let (mut inputs, mut outputs) = (vec![ortho.clone()], vec![o]);
            if let (Some(traj), Some(_), Some(_)) =
                (&cfg.input.trajectory, st.table.get("road_left"), st.table.get("road_right"))
            {
                argv.extend(["--trajectory".into(), s(traj)]);
                argv.push(format!("--road-left={}", st.f64_or("road_left", 0.0)));
                argv.push(format!("--road-right={}", st.f64_or("road_right", 0.0)));
                inputs.push(traj.clone());
            }
            // Rewrites road.gpkg in place (atomically): `execute` records this step's hash after it ran.
            if let Some(road) = steps.iter().find(|s| s.id == "road/sections").map(|s| s.outputs[0].clone()) {
                argv.extend(["--gpkg".into(), s(&road)]);
                inputs.push(road.clone());
                outputs.push(road);
            }
            steps.push(Step { id: "cracks/markings".into(), stage: "cracks", argv, inputs, outputs, points: 0 });
        }
    }
    // Heavy rain on the DTM; its hazard classes (or, without buildings, the maximum depth) colour
    // the terrain tileset. It runs on the coarser DTM the grid step made at `[rain] res` where one is
    // set (the solver's cost grows with the cube of 1/res: cells × time steps); the finer [grid]
    // DTM serves cracks and markings.
    if let Some((_, o)) = rain_dtm {
        dtm = Some(o);
    }
    let mut flood: Option<(PathBuf, PathBuf, &str)> = None;
    if let Some(st) = cfg.stage("rain") {
        let Some(dem) = dtm.clone() else {
            return Err(Error::bad_file(
                &cfg.path,
                "[rain] needs a DTM: enable [grid] with product dtm, or give [input] dem",
            ));
        };
        let o = out.join("rain");
        let mut argv = vec![
            "rain".into(),
            "simulate".into(),
            "--dem".into(),
            s(&dem),
            "--rain".into(),
            st.str_or("rain", "90mm/1h").into(),
        ];
        let mut inputs = vec![dem.clone()];
        let mut outputs = vec![o.join("max_depth.tif"), o.join("mass_balance.json")];
        let mut colour = (o.join("max_depth.tif"), "ramp");
        if let Some(b) = &cfg.input.buildings {
            argv.extend(["--buildings".into(), s(b)]);
            inputs.push(b.clone());
            outputs.push(o.join("hazard.tif"));
            colour = (o.join("hazard.tif"), "hazard");
        }
        let groups = st.table.get("groups").and_then(|v| v.as_integer()).unwrap_or(1).max(1) as usize;
        let tiles = rain_tiles(cfg)?;
        if groups == 1 {
            argv.extend(["-o".into(), s(&o)]);
            argv.extend(st.args());
            steps.push(Step { id: "rain/simulate".into(), stage: "rain", argv, inputs, outputs, points: 0 });
        } else {
            if tiles.is_some() {
                // The tiled merge writes VRTs over per-tile COGs instead of whole-grid COGs.
                for p in outputs.iter_mut().filter(|p| p.extension().is_some_and(|e| e == "tif")) {
                    p.set_extension("vrt");
                }
                colour.0.set_extension("vrt");
            }
            let g = RainGroups { dem: &dem, out: &o, groups, tiles };
            steps.extend(rain_group_steps(&g, argv, inputs, outputs, st.args()));
        }
        if tiles.is_some() && cfg.stage("tiles").is_some_and(|t| t.bool_or("terrain", true)) {
            return Err(Error::bad_file(
                &cfg.path,
                "[rain] tiles writes the rain rasters as VRTs, which the terrain tileset cannot colour from: \
                 set terrain = false in [tiles]",
            ));
        }
        flood = Some((dem, colour.0, colour.1));
    }
    // 3D Tiles.
    if let Some(st) = cfg.stage("tiles") {
        let o = out.join("tiles");
        let mut argv = vec!["tiles".into()];
        argv.extend(clouds.iter().map(|c| s(c)));
        argv.extend(["-o".into(), s(&o)]);
        argv.extend(["--max-points-per-tile".into(), (st.f64_or("max_points_per_tile", 100_000.0) as u64).to_string()]);
        argv.extend(["--attributes".into(), st.str_or("attributes", "rgb,intensity,classification").into()]);
        argv.extend(crs_args.clone());
        argv.extend(st.args());
        steps.push(Step {
            id: "tiles/points".into(),
            stage: "tiles",
            argv,
            inputs: clouds.clone(),
            outputs: vec![o.join("tileset.json")],
            points,
        });
    }
    // Terrain tileset: the rain DTM as a mesh coloured by hazard class (`zwilling view` shows it
    // next to the points).
    if let (Some(st), Some((dem, colour, palette))) = (cfg.stage("tiles"), &flood) {
        if st.bool_or("terrain", true) {
            let o = out.join("terrain");
            let mut argv = vec!["tiles".into(), "--dtm".into(), s(dem), "--color".into(), s(colour)];
            argv.extend(["--palette".into(), palette.to_string(), "-o".into(), s(&o)]);
            argv.extend(crs_args.clone());
            let (inputs, outputs) = (vec![dem.clone(), colour.clone()], vec![o.join("tileset.json")]);
            steps.push(Step { id: "tiles/terrain".into(), stage: "tiles", argv, inputs, outputs, points: 0 });
        }
    }
    if cfg.stage("report").is_some() {
        let mut inputs: Vec<PathBuf> = steps.iter().flat_map(|s| s.outputs.clone()).collect();
        let real = report_shared::path(out);
        if real.exists() {
            inputs.push(real);
        }
        steps.push(Step {
            id: "report/html".into(),
            stage: "report",
            argv: vec![],
            inputs,
            outputs: vec![out.join("report.html")],
            points: 0,
        });
    }
    Ok(steps)
}

/// `[rain] tiles = "CxR"`: merge the catchment groups tile by tile (None when not set).
pub fn rain_tiles(cfg: &Config) -> Result<Option<slurm::hydro::TileCount>> {
    let Some(v) = cfg.stage("rain").and_then(|st| st.table.get("tiles")) else { return Ok(None) };
    let text = v.as_str().ok_or_else(|| Error::bad_file(&cfg.path, "[rain] tiles: expected a string like \"4x2\""))?;
    text.parse().map(Some).map_err(|e| Error::bad_file(&cfg.path, format!("[rain] tiles: {e}")))
}

/// Where and how the decomposed rain simulation runs.
struct RainGroups<'a> {
    /// The rain DTM.
    dem: &'a Path,
    /// OUT/rain.
    out: &'a Path,
    /// `[rain] groups`.
    groups: usize,
    /// `[rain] tiles`.
    tiles: Option<slurm::hydro::TileCount>,
}

/// The stages of the tiled hydrology of the rain DTM (`[rain] tiles`), each with its pipeline stage
/// name (one job array per per-tile stage, one task per global stage): fill → D8 → accumulation,
/// without the mosaic (the raw tiles are all the partition and the merge read).
const RAIN_HYDRO_STAGES: [(&str, &str); 8] = [
    ("fill-pass", "rain-hydro/fill-pass"),
    ("fill-global", "rain-hydro/fill-global"),
    ("fill-final", "rain-hydro/fill-final"),
    ("dir-pass", "rain-hydro/dir-pass"),
    ("flats-global", "rain-hydro/flats-global"),
    ("acc-pass", "rain-hydro/acc-pass"),
    ("acc-global", "rain-hydro/acc-global"),
    ("acc-final", "rain-hydro/acc-final"),
];

/// The decomposed rain simulation (`[rain] groups = K > 1`, docs/rain.md "Catchment groups"):
/// the partition, `rain/group/I` for I < K (stage `rain-groups`, one job array on a cluster), then
/// the merge writing the products of `rain simulate` into OUT/rain.
///
/// Without `[rain] tiles`: `rain/partition` (stage `rain`, the whole DTM in one task) and one step
/// `rain/merge` (stage `rain-merge`). With `[rain] tiles = "CxR"` no step holds the whole DTM: the
/// tiled hydrology of the DTM into OUT/rain/hydro (`rain/hydro/<stage>[/T]`, stages
/// `rain-hydro/fill-pass` … `rain-hydro/acc-final`), the tiled partition (`rain/partition/pass/T`,
/// `rain/partition/solve`, `rain/partition/labels/T`; stages `rain-partition/pass`, `…/solve`,
/// `…/labels`), the groups, one merge step per tile `rain/merge/tile/T` (stage `rain-merge`) and
/// the final `rain/merge` (stage `rain-mosaic`: VRTs, mass balance, rain.gpkg). `argv` is the
/// `rain simulate` command line up to `-o`; `extra` the stage's `args` (given to the group tasks
/// and the merge alike).
fn rain_group_steps(
    rg: &RainGroups,
    argv: Vec<String>,
    inputs: Vec<PathBuf>,
    outputs: Vec<PathBuf>,
    extra: Vec<String>,
) -> Vec<Step> {
    let (dem, o, groups) = (rg.dem, rg.out, rg.groups);
    let dir = o.join("partition");
    let plan = dir.join("plan.json");
    let hydro_dir = o.join("hydro");
    let mut steps = vec![];
    // What the group tasks read besides the DEM and the buildings: the plan and the labels.
    let mut group_inputs = inputs.clone();
    group_inputs.push(plan.clone());
    match rg.tiles {
        None => steps.push(Step {
            id: "rain/partition".into(),
            stage: "rain",
            argv: ["rain", "partition", "--dem", &s(dem), "--groups", &groups.to_string(), "-o", &s(&dir)]
                .map(String::from)
                .to_vec(),
            inputs: vec![dem.to_path_buf()],
            outputs: vec![plan.clone(), dir.join("groups.tif")],
            points: 0,
        }),
        Some(tiles) => {
            steps.extend(rain_hydro_steps(dem, &hydro_dir, tiles));
            let partition = rain_partition_steps(dem, &hydro_dir, &dir, groups, tiles);
            group_inputs.extend(
                partition.iter().filter(|s| s.stage == "rain-partition/labels").flat_map(|s| s.outputs.clone()),
            );
            steps.extend(partition);
        }
    }
    for g in 0..groups {
        let gd = dir.join("groups").join(g.to_string());
        let mut a = argv.clone();
        a.extend(["--plan".into(), s(&plan), "--group".into(), g.to_string(), "-o".into(), s(&gd)]);
        a.extend(extra.iter().cloned());
        steps.push(Step {
            id: format!("rain/group/{g}"),
            stage: "rain-groups",
            argv: a,
            inputs: group_inputs.clone(),
            outputs: vec![gd.join("group.json")],
            points: 0,
        });
    }
    // The merge reads the DEM through the plan and the buildings given here; the simulation
    // options of `argv` (after `--dem D`) are accepted and unused.
    let mut a = vec!["rain".into(), "merge".into(), "--plan".into(), s(&plan)];
    a.extend(argv.iter().skip(4).cloned());
    a.extend(["-o".into(), s(o)]);
    a.extend(extra);
    let mut merge_inputs = group_inputs;
    merge_inputs.extend((0..groups).map(|g| dir.join("groups").join(g.to_string()).join("group.json")));
    let Some(tiles) = rg.tiles else {
        let id = "rain/merge".into();
        steps.push(Step { id, stage: "rain-merge", argv: a, inputs: merge_inputs, outputs, points: 0 });
        return steps;
    };
    // The tiled hydrology of the rain DTM: the merge tiles compute the sink and flow-path summaries
    // from it, so the mosaic need not fill and route the whole DTM (`rain merge --hydro`).
    a.extend(["--tiles".into(), tiles.to_string(), "--hydro".into(), s(&hydro_dir)]);
    merge_inputs.push(hydro_dir.join("tiles").join("layout.json"));
    for (name, ext) in [("filled", "f32"), ("d8", "u8"), ("acc", "f64")] {
        merge_inputs.extend((0..tiles.count()).map(|t| slurm::hydro::tile_file(&hydro_dir, name, t, ext)));
    }
    let records: Vec<PathBuf> = (0..tiles.count()).map(|t| crate::cmd::rain::merge_tile_record(o, t)).collect();
    for (t, record) in records.iter().enumerate() {
        let mut at = a.clone();
        at.extend(["--tile".into(), t.to_string()]);
        steps.push(Step {
            id: format!("rain/merge/tile/{t}"),
            stage: "rain-merge",
            argv: at,
            inputs: merge_inputs.clone(),
            outputs: vec![record.clone()],
            points: 0,
        });
    }
    a.push("--mosaic".into());
    merge_inputs.extend(records);
    let id = "rain/merge".into();
    steps.push(Step { id, stage: "rain-mosaic", argv: a, inputs: merge_inputs, outputs, points: 0 });
    steps
}

/// The tiled hydrology of the rain DTM `dem` into `dir` (OUT/rain/hydro) as pipeline steps
/// (`zwilling rain hydro … --stage S [--tile T]`, one task of `slurm::hydro` each): per-tile stages
/// one step per tile, global stages one step; each task reads its tile's window of the DTM (with a
/// one-cell halo) or the tile files and summaries, never the whole DTM.
fn rain_hydro_steps(dem: &Path, dir: &Path, tiles: slurm::hydro::TileCount) -> Vec<Step> {
    let mut steps = vec![];
    for (stage, pipeline_stage) in RAIN_HYDRO_STAGES {
        let tasks: Vec<Option<usize>> =
            if slurm::hydro::is_global(stage) { vec![None] } else { (0..tiles.count()).map(Some).collect() };
        for tile in tasks {
            let (inputs, outputs) = slurm::hydro::task_files(dir, dem, tiles, stage, tile);
            let mut argv: Vec<String> =
                ["rain", "hydro", "--dem", &s(dem), "--dir", &s(dir), "--tiles"].map(String::from).to_vec();
            argv.extend([tiles.to_string(), "--stage".into(), stage.into()]);
            let id = match tile {
                Some(t) => {
                    argv.extend(["--tile".into(), t.to_string()]);
                    format!("rain/hydro/{stage}/{t}")
                }
                None => format!("rain/hydro/{stage}"),
            };
            steps.push(Step { id, stage: pipeline_stage, argv, inputs, outputs, points: 0 });
        }
    }
    steps
}

/// The tiled catchment partition (`zwilling_tiled::catchments`) as pipeline steps on the tiled
/// hydrology in `hydro`: `pass` per tile (the tile's D8 and its DTM window's validity), `solve`
/// once (every tile's summary; writes plan.json and groups.vrt), `labels` per tile (writes the
/// tile's group labels `OUT/rain/partition/tiles/groups-T.tif`).
fn rain_partition_steps(
    dem: &Path,
    hydro: &Path,
    dir: &Path,
    groups: usize,
    tiles: slurm::hydro::TileCount,
) -> Vec<Step> {
    use crate::cmd::rain::partition_tiles::tile_path;
    let n = tiles.count();
    let layout_json = hydro.join("tiles").join("layout.json");
    let d8 = |t: usize| slurm::hydro::tile_file(hydro, "d8", t, "u8");
    let argv = |stage: &str, tile: Option<usize>| {
        let mut a: Vec<String> =
            ["rain", "partition", "--dem", &s(dem), "--groups", &groups.to_string(), "-o", &s(dir)]
                .map(String::from)
                .to_vec();
        a.extend(["--tiles".into(), tiles.to_string(), "--hydro".into(), s(hydro), "--stage".into(), stage.into()]);
        a.extend(tile.into_iter().flat_map(|t| ["--tile".to_string(), t.to_string()]));
        a
    };
    let mut steps: Vec<Step> = (0..n)
        .map(|t| Step {
            id: format!("rain/partition/pass/{t}"),
            stage: "rain-partition/pass",
            argv: argv("pass", Some(t)),
            inputs: vec![dem.to_path_buf(), layout_json.clone(), d8(t)],
            outputs: vec![tile_path(dir, "catchments", t, "json")],
            points: 0,
        })
        .collect();
    let mut inputs = vec![dem.to_path_buf(), layout_json.clone()];
    inputs.extend((0..n).map(|t| tile_path(dir, "catchments", t, "json")));
    let mut outputs = vec![dir.join("plan.json"), dir.join("groups.vrt")];
    outputs.extend((0..n).map(|t| tile_path(dir, "outlet-groups", t, "json")));
    let (id, stage) = ("rain/partition/solve".into(), "rain-partition/solve");
    steps.push(Step { id, stage, argv: argv("solve", None), inputs, outputs, points: 0 });
    steps.extend((0..n).map(|t| Step {
        id: format!("rain/partition/labels/{t}"),
        stage: "rain-partition/labels",
        argv: argv("labels", Some(t)),
        inputs: vec![dem.to_path_buf(), layout_json.clone(), d8(t), tile_path(dir, "outlet-groups", t, "json")],
        outputs: vec![tile_path(dir, "groups", t, "tif")],
        points: 0,
    }));
    steps
}

/// What happened to one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    /// Step id.
    pub id: String,
    /// `done` or `skipped` (finished by an earlier run).
    pub status: &'static str,
    /// Wall time (s) of this run's work (0 when skipped).
    pub seconds: f64,
    /// Points per second, where the step handles points.
    pub points_per_second: Option<f64>,
    /// Outputs.
    pub outputs: Vec<PathBuf>,
}

/// The run summary (`summary.json` and the text printed at the end).
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// zwilling version.
    pub version: &'static str,
    /// Pipeline file.
    pub config: PathBuf,
    /// Input clouds.
    pub clouds: Vec<PathBuf>,
    /// Total points in the clouds.
    pub points: u64,
    /// Worker threads.
    pub threads: usize,
    /// Steps.
    pub steps: Vec<StepSummary>,
    /// Total wall time (s).
    pub seconds: f64,
    /// CPU time (user + system, s) and peak memory of each step this run did (Linux; empty elsewhere).
    pub usage: Vec<StepUsage>,
    /// CPU time (user + system, s) of the whole run, where the system tells it.
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory (MB) of the process, where the system tells it.
    pub peak_rss_mb: Option<f64>,
}

/// CPU time and memory of one step: steadier than wall time on a shared machine.
#[derive(Debug, Clone, Serialize)]
pub struct StepUsage {
    /// Step id.
    pub id: String,
    /// CPU time (user + system, all threads) the step used (s).
    pub cpu_seconds: f64,
    /// Peak resident memory of the process (MB) during the step: the kernel's high-water mark is
    /// reset before each step (`/proc/self/clear_refs`), so this is the step's own peak (where the
    /// reset is refused, the high-water mark of the run so far).
    pub peak_rss_mb: f64,
}

/// CPU time (user + system, s) and peak resident memory (MB) of this process so far, from
/// `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s — Linux's USER_HZ) and
/// `/proc/self/status` (`VmHWM`). None where /proc is absent.
fn process_usage() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hwm_kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((ticks / 100.0, hwm_kb / 1024.0))
}

/// Resets the process's peak resident memory (VmHWM) to the current resident size (Linux ≥ 4.0:
/// writing `5` to `/proc/self/clear_refs`), so the next [`process_usage`] tells the peak since.
/// Returns false where that is not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs every step not yet done; `force` reruns all. Writes `manifest.json` after each step and
/// `summary.json` at the end.
pub fn execute(cfg: &Config, force: bool) -> Result<RunSummary> {
    std::fs::create_dir_all(&cfg.out).map_err(|e| Error::io(&cfg.out, e))?;
    for d in ["ground", "rasters"] {
        let p = cfg.out.join(d);
        std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
    }
    remove_stale_temporaries(&cfg.out);
    let steps = plan(cfg)?;
    let mut manifest = if force { Manifest::default() } else { Manifest::load(&cfg.out)? };
    let t0 = Instant::now();
    let usage0 = process_usage();
    let mut usage = vec![];
    let mut run_peak_mb = 0.0f64;
    let mut summaries = vec![];
    let total = steps.len();
    for (k, step) in steps.iter().enumerate() {
        let hash = step_hash(&step.argv, &step.inputs);
        if manifest.is_done(&step.id, &hash) {
            tracing::info!("{}: unchanged, skipped", step.id);
            summaries.push(StepSummary {
                id: step.id.clone(),
                status: "skipped",
                seconds: 0.0,
                points_per_second: None,
                outputs: step.outputs.clone(),
            });
            continue;
        }
        if !crate::progress::quiet() {
            eprintln!("[{}/{}] {}", k + 1, total, step.id);
        }
        for o in &step.outputs {
            if let Some(d) = o.parent() {
                std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
            }
        }
        let t = Instant::now();
        // The peak so far is kept for the run's total before the step's own peak is measured.
        run_peak_mb = run_peak_mb.max(process_usage().map_or(0.0, |u| u.1));
        reset_peak_rss();
        let before = process_usage();
        if step.stage == "report" {
            report::write(cfg, &steps, &summaries)?;
        } else {
            let mut argv = vec!["zwilling".to_string()];
            if crate::progress::quiet() {
                argv.push("-q".into());
            }
            argv.extend(step.argv.iter().cloned());
            let cli =
                crate::cmd::Cli::try_parse_from(&argv).map_err(|e| Error::invalid(format!("step {}: {e}", step.id)))?;
            crate::cmd::run(cli).map_err(|e| Error::invalid(format!("step {} failed: {e}", step.id)))?;
        }
        let seconds = t.elapsed().as_secs_f64();
        if let (Some((c0, _)), Some((c1, rss))) = (before, process_usage()) {
            usage.push(StepUsage { id: step.id.clone(), cpu_seconds: c1 - c0, peak_rss_mb: rss });
        }
        // A step that rewrites one of its inputs (a layer added to road.gpkg) records the hash of what it left.
        let hash = manifest::hash_after_run(&step.argv, &step.inputs, &step.outputs, hash);
        manifest.steps.insert(step.id.clone(), StepRecord { hash, outputs: step.outputs.clone(), seconds });
        manifest.save(&cfg.out)?;
        let pps = (step.points > 0 && seconds > 0.0).then(|| step.points as f64 / seconds);
        summaries.push(StepSummary {
            id: step.id.clone(),
            status: "done",
            seconds,
            points_per_second: pps,
            outputs: step.outputs.clone(),
        });
    }
    let points = steps.iter().filter(|s| s.stage == "tiles" || s.stage == "grid").map(|s| s.points).max().unwrap_or(0);
    let summary = RunSummary {
        version: env!("CARGO_PKG_VERSION"),
        config: cfg.path.clone(),
        clouds: cfg.input.clouds.clone(),
        points,
        threads: rayon::current_num_threads(),
        steps: summaries,
        seconds: t0.elapsed().as_secs_f64(),
        usage,
        cpu_seconds: usage0.zip(process_usage()).map(|((a, _), (b, _))| b - a),
        peak_rss_mb: process_usage().map(|u| u.1.max(run_peak_mb)),
    };
    let json = serde_json::to_string_pretty(&summary).expect("plain JSON");
    zwilling_io::write_atomic(&cfg.out.join("summary.json"), json.as_bytes())?;
    Ok(summary)
}

/// Deletes temporary files that a killed run left in the output folder (writers create
/// `*.tmp*` / `*.part` files and rename them when complete, so these are never finished outputs).
fn remove_stale_temporaries(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            if name == ".zwilling-tiles" {
                continue; // the tiles writer resumes from its own state folder
            }
            remove_stale_temporaries(&p);
        } else if name.contains(".tmp") || name.ends_with(".part") {
            tracing::info!("removing {} left by an interrupted run", p.display());
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// The summary as text for people.
pub fn summary_text(s: &RunSummary) -> String {
    let mut t =
        format!("zwilling {} — {} steps in {:.1} s on {} threads\n", s.version, s.steps.len(), s.seconds, s.threads);
    for st in &s.steps {
        let mut pps = st.points_per_second.map(|p| format!(", {:.2} M points/s", p / 1e6)).unwrap_or_default();
        if let Some(u) = s.usage.iter().find(|u| u.id == st.id) {
            pps += &format!(", CPU {:.1} s, peak {:.0} MB", u.cpu_seconds, u.peak_rss_mb);
        }
        let outs = st.outputs.iter().map(|o| o.display().to_string()).collect::<Vec<_>>().join(", ");
        t += &format!("  {:<16} {:>7} {:>8.1} s{pps}  → {outs}\n", st.id, st.status, st.seconds);
    }
    if let (Some(c), Some(m)) = (s.cpu_seconds, s.peak_rss_mb) {
        t += &format!("  CPU time {c:.1} s, peak memory {m:.0} MB\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiled_rain_stage_is_a_chain_of_tile_tasks_in_data_order() {
        // [rain] groups = 3, tiles = "2x2" on D with buildings B.
        let (dem, b, out) = (Path::new("/o/rasters/dtm.tif"), Path::new("/in/b.geojson"), Path::new("/o/rain"));
        let tiles: slurm::hydro::TileCount = "2x2".parse().unwrap();
        let rg = RainGroups { dem, out, groups: 3, tiles: Some(tiles) };
        let argv: Vec<String> = ["rain", "simulate", "--dem", "/o/rasters/dtm.tif", "--buildings", "/in/b.geojson"]
            .map(String::from)
            .to_vec();
        let outputs = vec![out.join("max_depth.vrt"), out.join("mass_balance.json")];
        let steps = rain_group_steps(&rg, argv, vec![dem.into(), b.into()], outputs, vec![]);
        // Stages in order, each one consecutive run (one job array), with one task per tile or one.
        let mut runs: Vec<(&str, usize)> = vec![];
        for st in &steps {
            match runs.last_mut() {
                Some((stage, n)) if *stage == st.stage => *n += 1,
                _ => runs.push((st.stage, 1)),
            }
        }
        let mut want: Vec<(String, usize)> = crate::cmd::rain::partition_tiles::HYDRO_STAGES
            .iter()
            .map(|h| (format!("rain-hydro/{h}"), if slurm::hydro::is_global(h) { 1 } else { 4 }))
            .collect();
        for (stage, n) in [
            ("rain-partition/pass", 4),
            ("rain-partition/solve", 1),
            ("rain-partition/labels", 4),
            ("rain-groups", 3),
            ("rain-merge", 4),
            ("rain-mosaic", 1),
        ] {
            want.push((stage.into(), n));
        }
        let got: Vec<(String, usize)> = runs.iter().map(|(s, n)| (s.to_string(), *n)).collect();
        assert_eq!(got, want);
        // Every input is the DTM, the buildings or the output of an earlier step: the plan's order is
        // the data's, and what a step reads enters its manifest hash.
        let mut made: Vec<PathBuf> = vec![dem.into(), b.into()];
        for st in &steps {
            for i in &st.inputs {
                assert!(made.contains(i), "{} reads {} before any step writes it", st.id, i.display());
            }
            made.extend(st.outputs.iter().cloned());
        }
        // No step reads or writes a whole-DTM label raster; the group tasks list the label tiles;
        // the merge steps read the rain DTM's tiled hydrology.
        assert!(steps.iter().all(|st| !st.inputs.iter().chain(&st.outputs).any(|p| p.ends_with("groups.tif"))));
        let label_tile = out.join("partition/tiles/groups-3.tif");
        assert!(steps.iter().filter(|st| st.stage == "rain-groups").all(|st| st.inputs.contains(&label_tile)));
        for st in steps.iter().filter(|st| st.stage == "rain-merge" || st.stage == "rain-mosaic") {
            let at = st.argv.iter().position(|a| a == "--hydro").expect("--hydro");
            assert_eq!(st.argv[at + 1], "/o/rain/hydro");
            assert!(st.inputs.contains(&out.join("hydro/tiles/acc-3.f64")), "{}", st.id);
        }
        let ids: std::collections::HashSet<&str> = steps.iter().map(|st| st.id.as_str()).collect();
        assert_eq!(ids.len(), steps.len(), "step ids are unique");
    }

    #[test]
    fn process_usage_counts_cpu_work_and_memory() {
        // Linux only (/proc).
        let Some((c0, m0)) = process_usage() else { return };
        // A fixed amount of work (10⁸ dependent multiply-adds, ≥ 0.03 s on any current CPU): CPU
        // time must grow by at least the tick resolution of 10 ms, however loaded the machine is.
        let mut x = 0u64;
        for _ in 0..100_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407));
        }
        // 64 MB touched: the high-water mark must rise by about that much.
        let v = vec![1u8; 64 << 20];
        std::hint::black_box(&v);
        let (c1, m1) = process_usage().unwrap();
        assert!(c1 - c0 >= 0.01, "CPU {c0} → {c1}");
        assert!(m1 >= m0 && m1 >= 60.0, "peak RSS {m0} → {m1} MB");
        // Freed and the peak reset: the high-water mark falls back to about the resident size
        // (test threads running in parallel may hold some memory, but not another 64 MB each).
        drop(v);
        if reset_peak_rss() {
            let (_, m2) = process_usage().unwrap();
            assert!(m2 < m1 - 32.0, "peak RSS after reset {m2} MB, before {m1} MB");
        }
    }
}
