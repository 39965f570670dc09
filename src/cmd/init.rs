//! `zwilling init`: a commented pipeline template.

use clap::Args;
use std::path::PathBuf;
use zwilling_core::{Error, Result};

/// The template `zwilling init` writes.
pub const TEMPLATE: &str = r#"# zwilling pipeline — run with `zwilling run pipeline.toml`.
# Paths are relative to this file. Every stage table is optional; remove one (or set
# `enabled = false`) to skip that stage. `args = [...]` passes extra flags to the stage's command
# (see `zwilling <command> --help`). A rerun skips steps whose inputs and options are unchanged.

[input]
clouds = ["survey/"]                    # LAS/LAZ files or folders (one dataset)
trajectory = "survey/trajectory.csv"    # time,x,y,z,heading,pitch,roll — needed by [road]
images = "survey/images"                # pavement images + poses.csv — needed by [cracks]
buildings = "survey/buildings.geojson"  # footprints: obstacles and risk in [rain]
# areas = "areas.gpkg"                  # aggregation polygons with FK / BW attributes for [road]
# dem = "dem.tif"                       # use this DEM instead of the DTM from [grid]
# crs = "EPSG:25832+7837"               # override the clouds' CRS (UTM 32N + DHHN2016)

[output]
dir = "out"

[ground]                                # noise removal + SMRF ground filter → out/ground/*.laz
keep_existing = false                   # true: trust the files' ground class

[grid]                                  # rasters (COG) → out/rasters/*.tif
res = 0.5                               # cell size in metres
products = ["dtm", "dsm", "intensity", "rgb"]
# memory = 256                          # MB of cell statistics held in memory; beyond it they spill to disk

[cracks]                                # training-free crack detection → out/cracks/
markings = true                         # road markings + wear from the intensity ortho → out/cracks/markings.geojson
# road_left = 4.4                       # kerb distances (m) left / right of the trajectory: markings are searched
# road_right = 1.4                      # on the road only (4.4 / 1.4 for `zwilling synth`; both or neither)

[road]                                  # ZEB road condition → out/road.gpkg
section = 100                           # evaluation section length in metres

[rain]                                  # heavy-rain simulation on the DTM → out/rain/
rain = "90mm/1h"                        # block rain (NRW "extreme" scenario)
# res = 2.0                             # grid a DTM of this cell size for the simulation (default: [grid] dtm)
# groups = 1                            # >1: simulate K catchment groups apart (walls on divides) and merge;
                                        # on Slurm one array task per group (docs/rain.md "Catchment groups")

[tiles]                                 # 3D Tiles for CesiumJS → out/tiles/tileset.json
max_points_per_tile = 100000
attributes = "rgb,intensity,classification"
terrain = true                          # also the rain DTM as a mesh coloured by hazard class → out/terrain/

[report]                                # out/report.html
title = "Street survey"
"#;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write the template.
    #[arg(default_value = "pipeline.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: InitArgs) -> Result<()> {
    if a.path.exists() && !a.force {
        return Err(Error::bad_file(&a.path, "exists already (use --force to overwrite)"));
    }
    std::fs::write(&a.path, TEMPLATE).map_err(|e| Error::io(&a.path, e))?;
    if !crate::progress::quiet() {
        println!("wrote {} — edit the paths, then: zwilling run {}", a.path.display(), a.path.display());
    }
    Ok(())
}
