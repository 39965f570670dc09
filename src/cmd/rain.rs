//! `zwilling rain`: depression filling, sinks, flow paths, 2D rain-on-grid simulation, hazard and
//! risk. Thin glue: reading and writing through `zwilling_io`, the work in `zwilling_rain`.
//! Methods and parameters: docs/rain.md.

use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Feature, Grid, Layer, Result};
use zwilling_io::gpkg::{GeometryType, GpkgWriter, LayerOptions};
use zwilling_io::raster::{read_geotiff_f32, write_cog, CogOptions, Resampling};
use zwilling_rain::simulate::{Boundary, Edges, Infiltration, SimulationConfig};
use zwilling_rain::storm::Hyetograph;
use zwilling_rain::{accumulation, d8, fill, flowpaths, hazard, mfd, risk, simulate, sinks};

mod groups;
mod merge_tiles;
pub(crate) mod partition_tiles;
mod topo_tiles;

#[derive(Args, Debug)]
pub struct RainArgs {
    #[command(subcommand)]
    pub command: RainCommand,
}

#[derive(Subcommand, Debug)]
pub enum RainCommand {
    /// Fill depressions (Priority-Flood, exactly flat, edge cells are outlets) → GeoTIFF.
    Fill(FillArgs),
    /// Sinks (Senken): polygons with depth, area, volume, spill level; optional depth raster.
    Sinks(SinksArgs),
    /// Flow directions, accumulation and flow paths (Fließwege).
    Flow(FlowArgs),
    /// 2D rain-on-grid simulation (local inertial shallow water).
    Simulate(SimulateArgs),
    /// Hazard classes and risk for buildings and roads from simulation results.
    Hazard(HazardArgs),
    /// Split the DEM into catchment groups for a decomposed simulation (groups.tif + plan.json).
    Partition(groups::PartitionArgs),
    /// Merge the group results of `rain simulate --plan P --group I` into the products of `rain simulate`.
    Merge(merge_tiles::MergeCommand),
    /// Tile-parallel fill, D8 and accumulation of a DEM as raw tiles (the tasks of a tiled
    /// `rain partition` and merge; docs/cluster.md).
    #[command(hide = true)]
    Hydro(partition_tiles::HydroArgs),
}

#[derive(Args, Debug)]
pub struct FillArgs {
    /// Input DEM (GeoTIFF).
    #[arg(long)]
    pub dem: PathBuf,
    /// Output filled DEM (Cloud-Optimised GeoTIFF).
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct SinksArgs {
    /// Input DEM (GeoTIFF).
    #[arg(long)]
    pub dem: PathBuf,
    /// Output sink polygons: a GeoPackage (layer `sinks`, added to or replaced in an existing file)
    /// or .geojson.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Keep cells deeper than this (m).
    #[arg(long, default_value_t = 0.05, value_name = "M")]
    pub min_depth: f64,
    /// Also write the sink depth raster here (GeoTIFF).
    #[arg(long, value_name = "TIF")]
    pub depth_tif: Option<PathBuf>,
}

/// Flow routing method.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// Single steepest direction.
    D8,
    /// Freeman (1991) multiple flow directions, p = 1.1.
    Freeman,
    /// Quinn et al. (1991) multiple flow directions.
    Quinn,
}

#[derive(Args, Debug)]
pub struct FlowArgs {
    /// Input DEM (GeoTIFF); it is filled first.
    #[arg(long)]
    pub dem: PathBuf,
    /// Output flow paths: a GeoPackage (layer `flow_paths`, added to or replaced in an existing
    /// file) or .geojson.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Upstream area (m²) from which a flow path starts.
    #[arg(long, default_value_t = 1000.0, value_name = "M2")]
    pub threshold: f64,
    /// Routing of the accumulation raster.
    #[arg(long, value_enum, default_value = "d8")]
    pub routing: Routing,
    /// Write upstream area (m²) here (GeoTIFF).
    #[arg(long, value_name = "TIF")]
    pub accumulation_tif: Option<PathBuf>,
    /// Write D8 directions (ESRI codes) here (GeoTIFF).
    #[arg(long, value_name = "TIF")]
    pub direction_tif: Option<PathBuf>,
}

/// Edge boundary choice on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeArg {
    /// Free outflow at critical depth.
    Free,
    /// Wall.
    Closed,
}

impl From<EdgeArg> for Boundary {
    fn from(e: EdgeArg) -> Self {
        match e {
            EdgeArg::Free => Boundary::Critical,
            EdgeArg::Closed => Boundary::Closed,
        }
    }
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Input DEM (GeoTIFF).
    #[arg(long)]
    pub dem: PathBuf,
    #[command(flatten)]
    pub sim: SimOptions,
    #[command(flatten)]
    pub products: ProductArgs,
    /// Decompose into K catchment groups, each simulated alone with walls on its divides, and
    /// merge (docs/rain.md "Catchment groups"); 1 = the whole grid in one run.
    #[arg(long, value_name = "K", conflicts_with = "plan")]
    pub groups: Option<usize>,
    /// Run one group of a partition (`rain partition`): reads only the group's window of the DEM
    /// and writes the group's results to the output folder, for `rain merge`.
    #[arg(long, value_name = "PLAN_JSON", requires = "group")]
    pub plan: Option<PathBuf>,
    /// The group (0-based) of --plan to run.
    #[arg(long, value_name = "I", requires = "plan")]
    pub group: Option<usize>,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// The simulation settings (shared by `simulate` and, accepted and unused, `merge`).
#[derive(Args, Debug)]
pub struct SimOptions {
    /// Block rain, e.g. 90mm/1h (NRW extreme), 45mm/90min.
    #[arg(long, default_value = "90mm/1h")]
    pub rain: String,
    /// Euler type II storm instead: KOSTRA depth–duration table "5:16,10:24,15:29.5,...,60:48.5"
    /// (minutes:mm) for the duration given by --storm-minutes.
    #[arg(long, value_name = "TABLE")]
    pub euler2: Option<String>,
    /// Duration of the Euler type II storm (minutes).
    #[arg(long, default_value_t = 60.0)]
    pub storm_minutes: f64,
    /// Simulated time in minutes (default: storm duration + 30 min).
    #[arg(long, value_name = "MIN")]
    pub minutes: Option<f64>,
    /// Manning's n (s/m^1/3) everywhere (roads 0.015–0.02, open land 0.05).
    #[arg(long, default_value_t = 0.05)]
    pub manning: f64,
    /// Boundary on all edges.
    #[arg(long, value_enum, default_value = "free")]
    pub boundary: EdgeArg,
    /// Override the north edge.
    #[arg(long, value_enum)]
    pub boundary_north: Option<EdgeArg>,
    /// Override the south edge.
    #[arg(long, value_enum)]
    pub boundary_south: Option<EdgeArg>,
    /// Override the east edge.
    #[arg(long, value_enum)]
    pub boundary_east: Option<EdgeArg>,
    /// Override the west edge.
    #[arg(long, value_enum)]
    pub boundary_west: Option<EdgeArg>,
    /// Constant infiltration capacity (mm/h).
    #[arg(long, value_name = "MM_H")]
    pub infiltration: Option<f64>,
    /// Courant number.
    #[arg(long, default_value_t = 0.7)]
    pub cfl: f64,
    /// Depth snapshots at these times (minutes), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "MIN")]
    pub snapshots: Vec<f64>,
}

/// Options of the products written after the simulation (shared by `simulate` and `merge`).
#[derive(Args, Debug)]
pub struct ProductArgs {
    /// Building footprints (GeoJSON or GeoPackage polygons): cells whose centre lies inside are
    /// walls; their risk goes to the `buildings` layer of rain.gpkg.
    #[arg(long)]
    pub buildings: Option<PathBuf>,
    /// Integer attribute of the buildings with the exposure class 1–4.
    #[arg(long)]
    pub exposure_field: Option<String>,
    /// Hazard preset (built in: nrw-default, dwa-m119) or a TOML file.
    #[arg(long, default_value = "nrw-default")]
    pub preset: String,
    /// Upstream area (m²) from which a flow path of the topographic analysis starts.
    #[arg(long, default_value_t = 1000.0, value_name = "M2")]
    pub flow_threshold: f64,
    /// Sinks of the topographic analysis: keep cells deeper than this (m).
    #[arg(long, default_value_t = 0.05, value_name = "M")]
    pub sink_min_depth: f64,
    /// Also write the vector layers as GeoJSON files beside rain.gpkg.
    #[arg(long)]
    pub geojson: bool,
}

#[derive(Args, Debug)]
pub struct HazardArgs {
    /// Maximum depth raster (max_depth.tif of `rain simulate`).
    #[arg(long)]
    pub depth: PathBuf,
    /// Maximum velocity raster (max_velocity.tif).
    #[arg(long)]
    pub velocity: PathBuf,
    /// Building footprints (GeoJSON or GeoPackage).
    #[arg(long)]
    pub buildings: Option<PathBuf>,
    /// Integer attribute of the buildings with the exposure class 1–4.
    #[arg(long)]
    pub exposure_field: Option<String>,
    /// Roads (GeoJSON or GeoPackage lines or polygons).
    #[arg(long)]
    pub roads: Option<PathBuf>,
    /// Critical objects (GeoJSON or GeoPackage points).
    #[arg(long)]
    pub critical: Option<PathBuf>,
    /// Hazard preset (built in: nrw-default, dwa-m119) or a TOML file.
    #[arg(long, default_value = "nrw-default")]
    pub preset: String,
    /// Also write the vector layers as GeoJSON files beside rain.gpkg.
    #[arg(long)]
    pub geojson: bool,
    /// Output folder: hazard.tif, risk.tif and the layers `buildings`, `roads`, `critical_objects`
    /// in rain.gpkg (added to the file `rain simulate` wrote there, if any).
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(a: RainArgs) -> Result<()> {
    match a.command {
        RainCommand::Fill(a) => run_fill(a),
        RainCommand::Sinks(a) => run_sinks(a),
        RainCommand::Flow(a) => run_flow(a),
        RainCommand::Simulate(a) => run_simulate(a),
        RainCommand::Hazard(a) => run_hazard(a),
        RainCommand::Partition(a) => groups::run_partition(a),
        RainCommand::Merge(a) => merge_tiles::run_command(a),
        RainCommand::Hydro(a) => partition_tiles::run_hydro(a),
    }
}

/// The record a tile task of `rain merge --tiles` writes last into OUT (its manifest output).
pub fn merge_tile_record(out: &Path, tile: usize) -> PathBuf {
    merge_tiles::tile_record_path(out, tile)
}

fn read_dem(path: &Path) -> Result<Grid<f32>> {
    let g = read_geotiff_f32(path)?;
    if g.is_empty() {
        return Err(Error::bad_file(path, "the DEM has no cells"));
    }
    Ok(g)
}

fn cog_opts(classes: bool) -> CogOptions {
    CogOptions { resampling: if classes { Resampling::Nearest } else { Resampling::Average }, ..Default::default() }
}

/// Declared geometry type of a layer (its features' type; `fallback` for an empty layer).
fn layer_options(layer: &Layer, fallback: GeometryType) -> LayerOptions {
    let mut o = LayerOptions::for_layer(layer);
    if layer.features.is_empty() {
        o.geometry_type = Some(fallback);
    }
    o
}

/// Adds `layers` to the GeoPackage at `path` (replacing layers of the same name, keeping the
/// others), or creates it. Atomic: the file is built beside the target and renamed into place.
fn write_gpkg(path: &Path, layers: &[(&Layer, GeometryType)]) -> Result<()> {
    let mut w = if path.exists() { GpkgWriter::update(path)? } else { GpkgWriter::create(path)? };
    for (l, g) in layers {
        w.replace_layer(l, &layer_options(l, *g))?;
    }
    w.finish()
}

/// Writes one vector layer to a GeoPackage (`.gpkg`) or GeoJSON (`.geojson`, `.json`).
fn write_layer(path: &Path, layer: &Layer, geometry: GeometryType) -> Result<()> {
    match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()) {
        Some(e) if e == "geojson" || e == "json" => zwilling_io::geojson::write_geojson(path, layer),
        Some(e) if e == "gpkg" => write_gpkg(path, &[(layer, geometry)]),
        _ => Err(Error::invalid(format!("{}: unknown vector format, use .gpkg or .geojson", path.display()))),
    }
}

/// Reads a vector layer from GeoJSON or from the first layer of a GeoPackage.
fn read_vector(path: &Path) -> Result<Layer> {
    match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()) {
        Some(e) if e == "gpkg" => {
            let names = zwilling_io::gpkg::list_layers(path)?;
            let first = names.first().ok_or_else(|| Error::bad_file(path, "the GeoPackage has no feature layer"))?;
            zwilling_io::gpkg::read_layer(path, first)
        }
        _ => zwilling_io::geojson::read_geojson(path),
    }
}

/// Writes `layers` into DIR/rain.gpkg and, with `geojson`, as DIR/<layer>.geojson.
fn write_outputs(dir: &Path, layers: &[(&Layer, GeometryType)], geojson: bool) -> Result<()> {
    write_gpkg(&dir.join("rain.gpkg"), layers)?;
    if geojson {
        for (l, _) in layers {
            zwilling_io::geojson::write_geojson(&dir.join(format!("{}.geojson", l.name)), l)?;
        }
    }
    Ok(())
}

fn load_preset(name: &str) -> Result<hazard::HazardPreset> {
    if name.ends_with(".toml") {
        let text = std::fs::read_to_string(name).map_err(|e| Error::io(name, e))?;
        hazard::HazardPreset::from_toml(&text).map_err(|e| e.in_file(name))
    } else {
        hazard::HazardPreset::builtin(name)
    }
}

fn run_fill(a: FillArgs) -> Result<()> {
    let dem = read_dem(&a.dem)?;
    let filled = fill::fill_depressions(&dem)?;
    let raised = dem.data.iter().zip(&filled.data).filter(|(a, b)| b > a).count();
    tracing::info!("{raised} cells raised");
    write_cog(&a.output, &filled, &cog_opts(false))
}

fn run_sinks(a: SinksArgs) -> Result<()> {
    let dem = read_dem(&a.dem)?;
    let filled = fill::fill_depressions(&dem)?;
    let found = sinks::find_sinks(&dem, &filled, a.min_depth);
    if let Some(p) = &a.depth_tif {
        write_cog(p, &sinks::sink_depth(&dem, &filled), &cog_opts(false))?;
    }
    let total: f64 = found.iter().map(|s| s.volume_m3).sum();
    if !crate::progress::quiet() {
        eprintln!("{} sinks deeper than {} m, {:.1} m³ in total", found.len(), a.min_depth, total);
    }
    write_layer(&a.output, &sinks::sinks_layer(&found, &dem.crs), GeometryType::MultiPolygon)
}

fn run_flow(a: FlowArgs) -> Result<()> {
    if !(a.threshold > 0.0) {
        return Err(Error::invalid(format!("--threshold must be > 0 m², got {}", a.threshold)));
    }
    let dem = read_dem(&a.dem)?;
    let filled = fill::fill_depressions(&dem)?;
    let dir = d8::flow_directions_d8(&filled);
    let acc = accumulation::flow_accumulation_d8(&dir, None);
    if let Some(p) = &a.accumulation_tif {
        let routed = match a.routing {
            Routing::D8 => acc.clone(),
            Routing::Freeman => mfd::flow_accumulation_mfd(&filled, &dir, mfd::MfdMethod::Freeman { exponent: 1.1 }),
            Routing::Quinn => mfd::flow_accumulation_mfd(&filled, &dir, mfd::MfdMethod::Quinn),
        };
        let cell = dem.transform.cell_x * dem.transform.cell_y;
        let mut area = routed.map(|&v| (v * cell) as f32);
        area.nodata = Some(f64::NAN);
        write_cog(p, &area, &cog_opts(false))?;
    }
    if let Some(p) = &a.direction_tif {
        write_cog(p, &d8::to_esri(&dir), &cog_opts(true))?;
    }
    let paths = flowpaths::flow_paths(&dir, &acc, a.threshold, &dem.crs);
    if !crate::progress::quiet() {
        eprintln!("{} flow path segments above {} m²", paths.features.len(), a.threshold);
    }
    write_layer(&a.output, &paths, GeometryType::LineString)
}

fn parse_table(s: &str) -> Result<Vec<(f64, f64)>> {
    s.split(',')
        .map(|p| {
            let (d, v) =
                p.split_once(':').ok_or_else(|| Error::invalid(format!("--euler2: '{p}' is not minutes:mm")))?;
            let num = |x: &str| {
                x.trim().parse::<f64>().map_err(|_| Error::invalid(format!("--euler2: '{p}' is not minutes:mm")))
            };
            Ok((num(d)?, num(v)?))
        })
        .collect()
}

/// Cells whose centre lies in a building footprint.
fn building_mask(dem: &Grid<f32>, layer: &Layer) -> Vec<bool> {
    let mut mask = vec![false; dem.len()];
    for f in &layer.features {
        let polys: Vec<&zwilling_core::Polygon> = match &f.geometry {
            zwilling_core::Geometry::Polygon(p) => vec![p],
            zwilling_core::Geometry::MultiPolygon(ps) => ps.iter().collect(),
            _ => vec![],
        };
        for p in polys {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
            for v in &p.exterior {
                (x0, y0, x1, y1) = (x0.min(v[0]), y0.min(v[1]), x1.max(v[0]), y1.max(v[1]));
            }
            let (c0, r0) = dem.transform.world_to_frac(x0, y1);
            let (c1, r1) = dem.transform.world_to_frac(x1, y0);
            let clamp = |v: f64, n: usize| (v.floor().max(0.0) as usize).min(n.saturating_sub(1));
            for r in clamp(r0, dem.height)..=clamp(r1, dem.height) {
                for c in clamp(c0, dem.width)..=clamp(c1, dem.width) {
                    let (x, y) = dem.transform.cell_center(c, r);
                    if p.contains(x, y) {
                        mask[r * dem.width + c] = true;
                    }
                }
            }
        }
    }
    mask
}

/// The simulation settings of the command line (without building walls).
fn sim_config(a: &SimOptions) -> Result<SimulationConfig> {
    let rain = match &a.euler2 {
        Some(t) => Hyetograph::euler_type2(&parse_table(t)?, a.storm_minutes, 5.0)?,
        None => Hyetograph::parse(&a.rain)?,
    };
    let mut cfg = SimulationConfig::new(rain);
    cfg.duration_s = a.minutes.map_or(cfg.rain.duration_s() + 1800.0, |m| m * 60.0);
    cfg.manning = a.manning;
    cfg.cfl = a.cfl;
    let b = Boundary::from(a.boundary);
    cfg.edges = Edges {
        north: a.boundary_north.map_or(b, Boundary::from),
        south: a.boundary_south.map_or(b, Boundary::from),
        east: a.boundary_east.map_or(b, Boundary::from),
        west: a.boundary_west.map_or(b, Boundary::from),
    };
    if let Some(i) = a.infiltration {
        cfg.infiltration = Infiltration::Constant { rate: i / 1000.0 / 3600.0 };
    }
    cfg.snapshot_times = a.snapshots.iter().map(|m| m * 60.0).collect();
    Ok(cfg)
}

impl ProductArgs {
    fn check(&self) -> Result<()> {
        if !(self.flow_threshold > 0.0) {
            return Err(Error::invalid(format!("--flow-threshold must be > 0 m², got {}", self.flow_threshold)));
        }
        Ok(())
    }

    fn read_buildings(&self) -> Result<Option<Layer>> {
        self.buildings.as_deref().map(read_vector).transpose()
    }

    fn exposure(&self) -> risk::Exposure {
        risk::Exposure { field: self.exposure_field.clone(), default_class: 2 }
    }
}

/// Topographic analysis (NRW practice): sink polygons and flow paths of the whole DEM.
fn topographic_layers(dem: &Grid<f32>, p: &ProductArgs) -> Result<(Layer, Layer)> {
    let filled = fill::fill_depressions(dem)?;
    let sink_layer = sinks::sinks_layer(&sinks::find_sinks(dem, &filled, p.sink_min_depth), &dem.crs);
    let dir = d8::flow_directions_d8(&filled);
    drop(filled);
    let acc = accumulation::flow_accumulation_d8(&dir, None);
    let path_layer = flowpaths::flow_paths(&dir, &acc, p.flow_threshold, &dem.crs);
    Ok((sink_layer, path_layer))
}

fn run_simulate(a: SimulateArgs) -> Result<()> {
    if let (Some(plan), Some(g)) = (&a.plan, a.group) {
        return groups::run_group(&a, plan, g);
    }
    let dem = read_dem(&a.dem)?;
    let mut cfg = sim_config(&a.sim)?;
    a.products.check()?;
    let preset = load_preset(&a.products.preset)?;
    let buildings = a.products.read_buildings()?;
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    if a.groups.is_some_and(|k| k > 1) {
        let k = a.groups.unwrap_or(1);
        let (sink_layer, path_layer) = topographic_layers(&dem, &a.products)?;
        let r = groups::simulate_in_process(&dem, &cfg, buildings.as_ref(), k).map_err(|e| e.in_file(&a.dem))?;
        return write_products(&a.output, &a.products, &preset, buildings.as_ref(), &r, sink_layer, path_layer);
    }
    if let Some(b) = &buildings {
        cfg.closed = Some(building_mask(&dem, b));
    }
    // Topographic analysis first (NRW practice): sinks and flow paths of the DEM.
    let (sink_layer, path_layer) = topographic_layers(&dem, &a.products)?;
    let duration = cfg.duration_s;
    let mut sim = simulate::Simulation::new(&dem, cfg, None).map_err(|e| e.in_file(&a.dem))?;
    let bar = crate::progress::bar(duration.ceil() as u64, "simulating s");
    sim.run_until(duration, |t| bar.set_position(t as u64));
    bar.finish_and_clear();
    let r = sim.finish();
    write_products(&a.output, &a.products, &preset, buildings.as_ref(), &r, sink_layer, path_layer)
}

/// Writes the rasters, layers and mass balance of a simulation result into `dir`.
fn write_products(
    dir: &Path,
    p: &ProductArgs,
    preset: &hazard::HazardPreset,
    buildings: Option<&Layer>,
    r: &simulate::SimulationResult,
    sink_layer: Layer,
    path_layer: Layer,
) -> Result<()> {
    let out = |n: &str| dir.join(n);
    write_cog(&out("max_depth.tif"), &r.max_depth, &cog_opts(false))?;
    write_cog(&out("max_velocity.tif"), &r.max_velocity, &cog_opts(false))?;
    write_cog(&out("time_of_max.tif"), &r.time_of_max, &cog_opts(false))?;
    write_cog(&out("flow_dir.tif"), &r.flow_dir_at_peak, &cog_opts(true))?;
    for (t, g) in &r.snapshots {
        write_cog(&out(&format!("depth_{:05}s.tif", t.round() as u64)), g, &cog_opts(false))?;
    }
    let arrows = risk::flow_arrows(&r.flow_dir_at_peak, &r.max_velocity, ARROW_STEP, ARROW_MIN_VELOCITY);
    let building_layer = match buildings {
        Some(b) => {
            let classes = preset.classify_grids(&r.max_depth, &r.max_velocity)?;
            write_cog(&out("hazard.tif"), &classes, &cog_opts(true))?;
            let (layer, grid) = risk::building_risk(
                b,
                &r.max_depth,
                &r.max_velocity,
                preset,
                &risk::RiskMatrix::default(),
                &p.exposure(),
            )
            .map_err(|e| e.in_file(p.buildings.as_deref().unwrap_or(Path::new(""))))?;
            write_cog(&out("risk.tif"), &grid, &cog_opts(true))?;
            Some(layer)
        }
        None => None,
    };
    let layers = VectorLayers {
        sinks: sink_layer,
        flow_paths: path_layer,
        arrows: Arrows::Whole(arrows),
        buildings: building_layer,
    };
    write_layers_and_balance(dir, p, &layers, r)
}

/// Flow arrows: one per this many cells in each direction (`risk::flow_arrows`).
const ARROW_STEP: usize = 5;
/// Flow arrows: only where the maximum velocity reaches this (m/s).
const ARROW_MIN_VELOCITY: f64 = 0.1;

/// The vector layers of rain.gpkg, in the order they are written.
struct VectorLayers<'a> {
    sinks: Layer,
    flow_paths: Layer,
    arrows: Arrows<'a>,
    buildings: Option<Layer>,
}

/// Passes every feature of a streamed layer, in order, to the function it is given.
type FeatureSource<'a> = &'a dyn Fn(&mut dyn FnMut(&Feature) -> Result<()>) -> Result<()>;

/// The flow arrows of rain.gpkg: a layer in memory, or streamed (the tiled merge: tile row by tile
/// row, see `merge_tiles`) as the layer's schema (name, fields, CRS; no features) and a source.
enum Arrows<'a> {
    Whole(Layer),
    Streamed(Layer, FeatureSource<'a>),
}

/// Writes rain.gpkg (sinks, flow paths, arrows, buildings) and mass_balance.json (the mass
/// balance and outflow hydrograph of `r`; its rasters are not used): shared by the whole-grid
/// products and the tiled merge. Streamed arrows go into the GeoPackage feature by feature (the
/// same bytes as the layer in memory), and with `--geojson` into `flow_arrows.geojson` the same
/// way.
fn write_layers_and_balance(
    dir: &Path,
    p: &ProductArgs,
    l: &VectorLayers,
    r: &simulate::SimulationResult,
) -> Result<()> {
    let path = dir.join("rain.gpkg");
    let mut w = if path.exists() { GpkgWriter::update(&path)? } else { GpkgWriter::create(&path)? };
    w.replace_layer(&l.sinks, &layer_options(&l.sinks, GeometryType::MultiPolygon))?;
    w.replace_layer(&l.flow_paths, &layer_options(&l.flow_paths, GeometryType::LineString))?;
    match &l.arrows {
        Arrows::Whole(a) => w.replace_layer(a, &layer_options(a, GeometryType::Point))?,
        // Arrows are points without z (`risk::flow_arrows`): what `layer_options` gives the layer.
        Arrows::Streamed(schema, source) => {
            let opts = LayerOptions { geometry_type: Some(GeometryType::Point), ..Default::default() };
            w.replace_layer_streamed(schema, &opts, |add| source(add))?
        }
    }
    if let Some(b) = &l.buildings {
        w.replace_layer(b, &layer_options(b, GeometryType::MultiPolygon))?;
    }
    w.finish()?;
    if p.geojson {
        let geojson = |l: &Layer| zwilling_io::geojson::write_geojson(&dir.join(format!("{}.geojson", l.name)), l);
        geojson(&l.sinks)?;
        geojson(&l.flow_paths)?;
        match &l.arrows {
            Arrows::Whole(a) => geojson(a)?,
            Arrows::Streamed(schema, source) => {
                let path = dir.join(format!("{}.geojson", schema.name));
                zwilling_io::geojson::write_geojson_streamed(&path, schema, |add| source(add))?
            }
        }
        if let Some(b) = &l.buildings {
            geojson(b)?;
        }
    }
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "mass_balance": r.mass_balance,
        "outflow_hydrograph_m3_s": r.outflow_hydrograph,
    }))
    .map_err(|e| Error::invalid(e.to_string()))?;
    zwilling_io::write_atomic(&dir.join("mass_balance.json"), json.as_bytes())?;
    let mb = r.mass_balance;
    if !crate::progress::quiet() {
        eprintln!(
            "{} steps, rain {:.1} m³, outflow {:.1} m³, stored {:.1} m³, relative mass error {:.2e}",
            mb.steps, mb.rain_in_m3, mb.outflow_m3, mb.final_storage_m3, mb.relative_error
        );
    }
    Ok(())
}

fn run_hazard(a: HazardArgs) -> Result<()> {
    let depth = read_dem(&a.depth)?;
    let velocity = read_dem(&a.velocity)?;
    let preset = load_preset(&a.preset)?;
    std::fs::create_dir_all(&a.output).map_err(|e| Error::io(&a.output, e))?;
    let out = |n: &str| a.output.join(n);
    let classes = preset.classify_grids(&depth, &velocity)?;
    write_cog(&out("hazard.tif"), &classes, &cog_opts(true))?;
    let mut layers: Vec<(Layer, GeometryType)> = vec![];
    if let Some(p) = &a.buildings {
        let b = read_vector(p)?;
        let exposure = risk::Exposure { field: a.exposure_field.clone(), default_class: 2 };
        let (layer, grid) =
            risk::building_risk(&b, &depth, &velocity, &preset, &risk::RiskMatrix::default(), &exposure)
                .map_err(|e| e.in_file(p))?;
        write_cog(&out("risk.tif"), &grid, &cog_opts(true))?;
        layers.push((layer, GeometryType::MultiPolygon));
    }
    if let Some(p) = &a.roads {
        let r = read_vector(p)?;
        let l = risk::feature_hazard(&r, "roads", &depth, &velocity, &preset).map_err(|e| e.in_file(p))?;
        let g = GeometryType::infer(&l);
        layers.push((l, g));
    }
    if let Some(p) = &a.critical {
        let r = read_vector(p)?;
        let l = risk::feature_hazard(&r, "critical_objects", &depth, &velocity, &preset).map_err(|e| e.in_file(p))?;
        layers.push((l, GeometryType::Point));
    }
    if !layers.is_empty() {
        let refs: Vec<(&Layer, GeometryType)> = layers.iter().map(|(l, g)| (l, *g)).collect();
        write_outputs(&a.output, &refs, a.geojson)?;
    }
    Ok(())
}
