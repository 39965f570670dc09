//! The pipeline file (`pipeline.toml`): inputs, output folder and one table per stage.
//!
//! The whole file is checked before any work starts and every problem is reported at once:
//! unknown tables and keys (with the known ones listed), wrong types, missing files, CRS
//! mismatches between clouds, unsupported CRSs and impossible parameters.

use std::path::{Path, PathBuf};

use toml::{Table, Value};
use zwilling_core::{CrsInfo, Error, Result};

/// Stages in execution order.
pub const STAGES: [&str; 7] = ["ground", "grid", "cracks", "road", "rain", "tiles", "report"];

const INPUT_KEYS: [&str; 7] = ["clouds", "trajectory", "images", "buildings", "areas", "dem", "crs"];
const STAGE_KEYS: [(&str, &[&str]); 7] = [
    ("ground", &["enabled", "keep_existing", "args"]),
    ("grid", &["enabled", "res", "products", "memory", "args"]),
    ("cracks", &["enabled", "markings", "road_left", "road_right", "args"]),
    ("road", &["enabled", "section", "args"]),
    ("rain", &["enabled", "rain", "res", "groups", "tiles", "args"]),
    ("tiles", &["enabled", "max_points_per_tile", "attributes", "terrain", "args"]),
    ("report", &["enabled", "title"]),
];
const GRID_PRODUCTS: [&str; 6] = ["dtm", "dsm", "ndsm", "intensity", "rgb", "density"];

/// The inputs of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// LAS/LAZ files (folders expanded).
    pub clouds: Vec<PathBuf>,
    /// Trajectory CSV.
    pub trajectory: Option<PathBuf>,
    /// Folder of pavement images (with `poses.csv`).
    pub images: Option<PathBuf>,
    /// Building footprints (GeoJSON / GeoPackage).
    pub buildings: Option<PathBuf>,
    /// Aggregation areas (GeoJSON / GeoPackage).
    pub areas: Option<PathBuf>,
    /// A DEM to use instead of the DTM gridded from the clouds.
    pub dem: Option<PathBuf>,
    /// CRS override.
    pub crs: Option<String>,
}

/// One stage's options: its table as given (checked), plus `enabled`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Stage name.
    pub name: &'static str,
    /// The table (without `enabled`).
    pub table: Table,
}

impl Stage {
    /// A float option or its default.
    pub fn f64_or(&self, key: &str, default: f64) -> f64 {
        self.table.get(key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))).unwrap_or(default)
    }

    /// A string option or its default.
    pub fn str_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.table.get(key).and_then(Value::as_str).unwrap_or(default)
    }

    /// Extra command-line arguments (`args = [...]`).
    pub fn args(&self) -> Vec<String> {
        self.table
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    /// A list of strings.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.table
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
    }

    /// A boolean option or its default.
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        self.table.get(key).and_then(Value::as_bool).unwrap_or(default)
    }
}

/// A checked pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// Inputs, paths resolved against the file's folder.
    pub input: Inputs,
    /// Output folder.
    pub out: PathBuf,
    /// Enabled stages in execution order.
    pub stages: Vec<Stage>,
}

impl Config {
    /// The enabled stage `name`.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }
}

fn suggest(key: &str, known: &[&str]) -> String {
    format!("unknown key '{key}' (known: {})", known.join(", "))
}

/// Reads and checks `path`; all problems are listed in one error.
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let doc: Table =
        text.parse().map_err(|e: toml::de::Error| Error::bad_file(path, format!("not valid TOML: {e}")))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut problems: Vec<String> = vec![];
    let resolve = |s: &str| -> PathBuf {
        let p = PathBuf::from(s);
        let p = if p.is_absolute() { p } else { base.join(p) };
        // `dir = "."` → the file's folder, not `folder/.`
        p.components().filter(|c| *c != std::path::Component::CurDir).collect()
    };
    for key in doc.keys() {
        if key != "input" && key != "output" && !STAGES.contains(&key.as_str()) {
            problems.push(format!("unknown table [{key}] (known: input, output, {})", STAGES.join(", ")));
        }
    }
    // [input]
    let mut input = Inputs::default();
    match doc.get("input").and_then(Value::as_table) {
        None => problems.push("missing table [input] with at least `clouds = [...]`".into()),
        Some(t) => {
            for k in t.keys().filter(|k| !INPUT_KEYS.contains(&k.as_str())) {
                problems.push(format!("[input]: {}", suggest(k, &INPUT_KEYS)));
            }
            let clouds: Vec<String> = match t.get("clouds") {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
                Some(_) => {
                    problems.push("[input] clouds: expected a path or a list of paths".into());
                    vec![]
                }
                None => {
                    problems.push("[input] clouds: missing (LAS/LAZ files or folders)".into());
                    vec![]
                }
            };
            let paths: Vec<PathBuf> = clouds.iter().map(|c| resolve(c)).collect();
            match zwilling_io::las::expand_inputs(&paths) {
                Ok(files) => input.clouds = files,
                Err(e) if !paths.is_empty() => problems.push(format!("[input] clouds: {e}")),
                Err(_) => {}
            }
            let file = |k: &str, problems: &mut Vec<String>| -> Option<PathBuf> {
                let s = t.get(k)?;
                let Some(s) = s.as_str() else {
                    problems.push(format!("[input] {k}: expected a path"));
                    return None;
                };
                let p = resolve(s);
                if !p.exists() {
                    problems.push(format!("[input] {k}: {} does not exist", p.display()));
                }
                Some(p)
            };
            input.trajectory = file("trajectory", &mut problems);
            input.images = file("images", &mut problems);
            input.buildings = file("buildings", &mut problems);
            input.areas = file("areas", &mut problems);
            input.dem = file("dem", &mut problems);
            input.crs = t.get("crs").and_then(Value::as_str).map(String::from);
        }
    }
    // CRS: given and supported, or the same (and supported) in every cloud.
    let crs = match &input.crs {
        Some(s) => match CrsInfo::parse(s) {
            Some(c) => Some(c),
            None => {
                problems.push(format!("[input] crs: '{s}' is not of the form EPSG:N or EPSG:N+V"));
                None
            }
        },
        None if input.clouds.is_empty() => None,
        None => match crate::cmd::tiles::dataset_crs(&input.clouds, None) {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(format!("[input] clouds: {e}"));
                None
            }
        },
    };
    if let Some(c) = &crs {
        if let Err(e) = zwilling_crs::Transformer::new(c) {
            problems.push(format!("[input] crs: {e}"));
        }
    }
    // [output]
    let out = match doc.get("output").and_then(|o| o.get("dir")).and_then(Value::as_str) {
        Some(d) => resolve(d),
        None => {
            problems.push("[output] dir: missing (the output folder)".into());
            PathBuf::new()
        }
    };
    if let Some(t) = doc.get("output").and_then(Value::as_table) {
        for k in t.keys().filter(|k| k.as_str() != "dir") {
            problems.push(format!("[output]: {}", suggest(k, &["dir"])));
        }
    }
    // Stages.
    let mut stages = vec![];
    for (name, keys) in STAGE_KEYS {
        let Some(v) = doc.get(name) else { continue };
        let Some(t) = v.as_table() else {
            problems.push(format!("[{name}] must be a table"));
            continue;
        };
        for k in t.keys().filter(|k| !keys.contains(&k.as_str())) {
            problems.push(format!("[{name}]: {}", suggest(k, keys)));
        }
        if let Some(a) = t.get("args") {
            if !a.as_array().is_some_and(|a| a.iter().all(Value::is_str)) {
                problems.push(format!("[{name}] args: expected a list of strings"));
            }
        }
        let enabled = match t.get("enabled") {
            None => true,
            Some(Value::Boolean(b)) => *b,
            Some(_) => {
                problems.push(format!("[{name}] enabled: expected true or false"));
                false
            }
        };
        let mut table = t.clone();
        table.remove("enabled");
        let stage = Stage { name, table };
        check_stage(&stage, &input, &mut problems);
        if enabled {
            stages.push(stage);
        }
    }
    // Road markings come from the intensity ortho: without images, [cracks] needs it from [grid].
    if let Some(c) = stages.iter().find(|s| s.name == "cracks") {
        let intensity = stages
            .iter()
            .find(|s| s.name == "grid")
            .is_some_and(|g| g.list("products").is_none_or(|p| p.iter().any(|p| p == "intensity")));
        if input.images.is_none() && c.bool_or("markings", true) && !intensity {
            problems.push(
                "[cracks] without [input] images finds road markings only, which needs [grid] product 'intensity'"
                    .into(),
            );
        }
    }
    if !problems.is_empty() {
        let list = problems.iter().map(|p| format!("\n  - {p}")).collect::<String>();
        return Err(Error::bad_file(path, format!("{} problem(s):{list}", problems.len())));
    }
    Ok(Config { path: path.to_path_buf(), input, out, stages })
}

fn positive(stage: &Stage, key: &str, problems: &mut Vec<String>) {
    if let Some(v) = stage.table.get(key) {
        match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
            Some(x) if x > 0.0 && x.is_finite() => {}
            _ => problems.push(format!("[{}] {key}: must be a number > 0, got {v}", stage.name)),
        }
    }
}

fn boolean(stage: &Stage, key: &str, problems: &mut Vec<String>) {
    if let Some(v) = stage.table.get(key).filter(|v| !v.is_bool()) {
        problems.push(format!("[{}] {key}: expected true or false, got {v}", stage.name));
    }
}

fn check_stage(s: &Stage, input: &Inputs, problems: &mut Vec<String>) {
    match s.name {
        "grid" => {
            positive(s, "res", problems);
            positive(s, "memory", problems);
            if let Some(v) = s.table.get("products") {
                match v.as_array() {
                    Some(a) => {
                        for p in a {
                            if !p.as_str().is_some_and(|p| GRID_PRODUCTS.contains(&p)) {
                                let shown = p.as_str().map(String::from).unwrap_or_else(|| p.to_string());
                                problems.push(format!(
                                    "[grid] products: '{shown}' is not one of {}",
                                    GRID_PRODUCTS.join(", ")
                                ));
                            }
                        }
                    }
                    None => problems.push("[grid] products: expected a list".into()),
                }
            }
        }
        "road" => {
            positive(s, "section", problems);
            if input.trajectory.is_none() {
                problems.push("[road] needs [input] trajectory (the vehicle trajectory CSV)".into());
            }
        }
        "cracks" => {
            boolean(s, "markings", problems);
            // The road corridor the markings are searched in: kerb distances left and right of the trajectory.
            let (l, r) = (s.table.get("road_left"), s.table.get("road_right"));
            for (k, v) in [("road_left", l), ("road_right", r)] {
                if v.is_some_and(|v| {
                    !v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).is_some_and(f64::is_finite)
                }) {
                    problems.push(format!("[cracks] {k}: expected a distance in metres"));
                }
            }
            if l.is_some() != r.is_some() {
                problems.push("[cracks] road_left and road_right: give both kerb distances or neither".into());
            } else if l.is_some() {
                if s.f64_or("road_left", 0.0) + s.f64_or("road_right", 0.0) <= 0.0 {
                    problems.push("[cracks] road_left + road_right must be > 0 (the corridor's width)".into());
                }
                if input.trajectory.is_none() {
                    problems.push("[cracks] road_left / road_right need [input] trajectory".into());
                }
            }
            if input.images.is_none() && !s.bool_or("markings", true) {
                problems.push("[cracks] needs [input] images (a folder of pavement images) or markings = true".into());
            }
        }
        "rain" => {
            positive(s, "res", problems);
            let r = s.str_or("rain", "90mm/1h");
            if parse_rain(r).is_none() {
                problems.push(format!("[rain] rain: '{r}' is not of the form 90mm/1h or 45mm/30min"));
            }
            if let Some(v) = s.table.get("groups") {
                if !v.as_integer().is_some_and(|k| (1..=100_000).contains(&k)) {
                    problems.push(format!("[rain] groups: must be an integer from 1 to 100000, got {v}"));
                }
            }
            if let Some(v) = s.table.get("tiles") {
                match v.as_str().map(str::parse::<crate::pipeline::slurm::hydro::TileCount>) {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => problems.push(format!("[rain] tiles: {e}")),
                    None => problems.push(format!("[rain] tiles: expected a string like \"4x2\", got {v}")),
                }
                if s.table.get("groups").and_then(|g| g.as_integer()).unwrap_or(1) < 2 {
                    problems.push("[rain] tiles: merges catchment groups tile by tile, so it needs groups ≥ 2".into());
                }
            }
        }
        "tiles" => {
            positive(s, "max_points_per_tile", problems);
            boolean(s, "terrain", problems);
            if let Err(e) =
                zwilling_io::tiles3d::Attributes::parse(s.str_or("attributes", "rgb,intensity,classification"))
            {
                problems.push(format!("[tiles] attributes: {e}"));
            }
        }
        _ => {}
    }
}

/// Parses a block-rain spec `DEPTHmm/DURATION(h|min)` into (mm, minutes).
pub fn parse_rain(s: &str) -> Option<(f64, f64)> {
    let (d, t) = s.split_once('/')?;
    let mm: f64 = d.trim().strip_suffix("mm")?.trim().parse().ok()?;
    let t = t.trim();
    let minutes = if let Some(h) = t.strip_suffix('h') {
        h.trim().parse::<f64>().ok()? * 60.0
    } else {
        t.strip_suffix("min")?.trim().parse::<f64>().ok()?
    };
    (mm > 0.0 && minutes > 0.0).then_some((mm, minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pipeline.toml");
        std::fs::write(
            &p,
            "[input]\nclouds = ['missing.laz']\ncolour = 1\n[output]\ndir = 'out'\n[grid]\nres = -1\nproducts = ['dtm', 'xyz']\n[road]\n[rain]\nrain = 'lots'\nres = 0\n[wat]\n",
        )
        .unwrap();
        let e = load(&p).unwrap_err().to_string();
        for needle in [
            "missing.laz",
            "unknown key 'colour'",
            "res: must be a number > 0",
            "'xyz'",
            "needs [input] trajectory",
            "'lots'",
            "[rain] res: must be a number > 0",
            "[wat]",
        ] {
            assert!(e.contains(needle), "'{needle}' not in: {e}");
        }
    }

    #[test]
    fn rain_tiles_are_a_tile_count_for_a_grouped_run() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pipeline.toml");
        let with = |rain: &str| {
            std::fs::write(&p, format!("[input]\nclouds = []\ndem = 'd.tif'\n[output]\ndir = 'out'\n[rain]\n{rain}\n"))
                .unwrap();
            load(&p).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(!with("groups = 4\ntiles = '4x2'").contains("[rain] tiles"));
        assert!(with("groups = 4\ntiles = '4'").contains("[rain] tiles: '4': expected COLSxROWS"));
        assert!(with("groups = 4\ntiles = 8").contains("[rain] tiles: expected a string"));
        assert!(with("tiles = '2x2'").contains("needs groups ≥ 2"));
    }

    #[test]
    fn kerb_distances_come_in_pairs_with_a_trajectory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pipeline.toml");
        // One kerb distance only, a corridor of negative width, a word for a number, no trajectory.
        for (table, needle) in [
            ("road_left = 4.4", "give both kerb distances or neither"),
            ("road_left = -2\nroad_right = 1", "must be > 0"),
            ("road_left = 'wide'\nroad_right = 1", "road_left: expected a distance in metres"),
            ("road_left = 4.4\nroad_right = 1.4", "need [input] trajectory"),
        ] {
            let text = format!("[input]\nclouds = []\n[output]\ndir = 'out'\n[cracks]\n{table}\n");
            std::fs::write(&p, text).unwrap();
            let e = load(&p).unwrap_err().to_string();
            assert!(e.contains(needle), "{table}: {e}");
        }
    }

    #[test]
    fn rain_specs() {
        assert_eq!(parse_rain("90mm/1h"), Some((90.0, 60.0)));
        assert_eq!(parse_rain("45mm/30min"), Some((45.0, 30.0)));
        assert_eq!(parse_rain("0mm/1h"), None);
        assert_eq!(parse_rain("90/1h"), None);
    }
}
