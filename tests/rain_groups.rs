//! The catchment-group rain simulation end to end: the cluster's three steps (`rain partition`,
//! `rain simulate --plan --group` per group, `rain merge`) write the same bytes as the in-process
//! `rain simulate --groups K`; the tiled merge (`rain merge --tiles`) writes tiles that are the
//! exact cuts of the whole-grid merge, and the same mass balance and rain.gpkg; a pipeline with
//! `[rain] groups = 2, tiles = "2x2"` (the tiled hydrology, partition and merge of the rain DTM)
//! gives the same bytes at 1 thread in one process as at 2 threads task by task, the way the Slurm
//! executor runs it, and the same bytes as today's chain with the untiled partition; the tiled
//! partition's label tiles are the cuts of the untiled `groups.tif`.

#[path = "fixtures/rain_scene.rs"]
#[allow(dead_code)]
mod rain_scene;

use std::path::{Path, PathBuf};
use std::process::Command;

/// GeoPackages carry a "last change" timestamp; SOURCE_DATE_EPOCH fixes it.
fn zw(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_zwilling"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("-q")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "zwilling {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The simulation options both paths get.
const SIM: [&str; 8] = ["--rain", "90mm/1h", "--minutes", "4", "--flow-threshold", "20", "--snapshots", "2"];

#[test]
fn three_steps_write_the_bytes_of_the_in_process_run() {
    let d = tempfile::tempdir().unwrap();
    let (dem, b) = rain_scene::inputs(d.path());
    let (one, parts) = (d.path().join("in-process"), d.path().join("cluster"));
    let mut a = vec!["rain", "simulate", "--dem", p(&dem), "--buildings", p(&b), "--groups", "3", "-o", p(&one)];
    a.extend(SIM);
    zw(&a);
    zw(&["rain", "partition", "--dem", p(&dem), "--groups", "3", "-o", p(&parts)]);
    let plan = parts.join("plan.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let n = v["windows"].as_array().unwrap().len();
    assert!(n >= 2, "the scene should split into several groups: {v}");
    for g in 0..n {
        let (gs, gd) = (g.to_string(), parts.join("groups").join(g.to_string()));
        let mut a = vec!["rain", "simulate", "--dem", p(&dem), "--buildings", p(&b), "--plan", p(&plan)];
        a.extend(["--group", &gs, "-o", p(&gd)]);
        a.extend(SIM);
        zw(&a);
    }
    let merged = d.path().join("merged");
    let mut a = vec!["rain", "merge", "--plan", p(&plan), "--buildings", p(&b), "-o", p(&merged)];
    a.extend(SIM);
    zw(&a);
    let files = [
        "max_depth.tif",
        "max_velocity.tif",
        "time_of_max.tif",
        "flow_dir.tif",
        "depth_00120s.tif",
        "hazard.tif",
        "risk.tif",
        "mass_balance.json",
        "rain.gpkg",
    ];
    for f in files {
        let (x, y) = (std::fs::read(one.join(f)).unwrap(), std::fs::read(merged.join(f)).unwrap());
        assert!(x == y, "{f} differs between the in-process and the three-step run");
    }
    let mb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("mass_balance.json")).unwrap()).unwrap();
    assert!(mb["mass_balance"]["relative_error"].as_f64().unwrap() < 1e-6, "{mb}");

    // The tiled merge on 7 × 4 tiles of 9 × 13 cells: tile edges cross the groups, the building
    // (cols 20..26, rows 25..30 with its ring of cells) and the flow arrows' 5-cell lattice.
    let tiled = d.path().join("tiled");
    let mut a = vec!["rain", "merge", "--plan", p(&plan), "--buildings", p(&b), "-o", p(&tiled), "--tiles", "7x4"];
    a.extend(SIM);
    zw(&a);
    for f in ["mass_balance.json", "rain.gpkg"] {
        let (x, y) = (std::fs::read(merged.join(f)).unwrap(), std::fs::read(tiled.join(f)).unwrap());
        assert!(x == y, "{f} differs between the whole-grid and the tiled merge");
    }
    // …with the building the tiles assess (the flow arrows across tiles: `tile_arrows` unit test).
    let gpkg = tiled.join("rain.gpkg");
    assert_eq!(zwilling_io::gpkg::read_layer(&gpkg, "buildings").unwrap().features.len(), 1);
    let products = ["max_depth", "max_velocity", "time_of_max", "flow_dir", "depth_00120s", "hazard", "risk"];
    for name in products {
        let whole = merged.join(format!("{name}.tif"));
        let vrt = std::fs::read_to_string(tiled.join(format!("{name}.vrt"))).unwrap();
        assert_eq!(vrt.matches("<SimpleSource>").count(), 28, "{name}.vrt");
        for t in 0..28 {
            let (col0, row0) = ((t % 7) * 9, (t / 7) * 13);
            let (cols, rows) = (9.min(60 - col0), 13.min(50 - row0));
            let want = zwilling_io::raster::read_geotiff_window(&whole, col0, row0, cols, rows).unwrap();
            let file = tiled.join("tiles").join(format!("{name}-{t}.tif"));
            let got = zwilling_io::raster::read_geotiff(&file).unwrap();
            assert_eq!(got.sample_type(), want.sample_type(), "{}", file.display());
            assert_eq!((got.size(), got.transform(), got.crs()), (want.size(), want.transform(), want.crs()));
            let bits = |v: Option<f64>| v.map(|v| if v.is_nan() { u64::MAX } else { v.to_bits() });
            assert_eq!(bits(got.nodata()), bits(want.nodata()), "{}", file.display());
            let (g, w) = (got.to_f64(), want.to_f64());
            let same =
                g.data.iter().zip(&w.data).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            assert!(same, "{} is not the cut of {}", file.display(), whole.display());
        }
    }
}

fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(tree(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn a_pipeline_with_tiled_merge_is_the_same_in_one_process_and_task_by_task() {
    let d = tempfile::tempdir().unwrap();
    let survey = d.path().join("survey");
    zw(&["synth", "--length", "30", "--seed", "3", "--no-images", "--out", p(&survey)]);
    let config = |name: &str| {
        let cfg = d.path().join(format!("{name}.toml"));
        let text = format!(
            "[input]\nclouds = ['{s}/scene.laz']\n[output]\ndir = '{name}'\n[grid]\nres = 1.0\n\
             products = ['dtm']\n[rain]\nrain = '30mm/10min'\nres = 2\ngroups = 2\ntiles = '2x2'\n\
             args = ['--minutes', '3']\n",
            s = survey.display()
        );
        std::fs::write(&cfg, text).unwrap();
        cfg
    };
    // One process, one thread: `zwilling run`.
    let one = config("one");
    zw(&["--threads", "1", "run", p(&one)]);
    // Every step's inputs and outputs are complete: a second run finds all of them finished.
    zw(&["run", p(&one)]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("one/summary.json")).unwrap()).unwrap();
    let steps = summary["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1 + 23 + 9 + 2 + 5, "grid, rain hydrology, partition, groups, merge");
    assert!(steps.iter().all(|s| s["status"] == "skipped"), "a rerun redid steps: {steps:?}");
    // Task by task, two threads: what every Slurm array task runs (`run --step JOB --task I`).
    let two = config("two");
    // The rain stage's jobs in plan order (per-tile stages: one task per tile of 2 × 2; no job
    // reads the whole rain DTM or the whole label raster).
    let mut jobs = vec![("grid", 1)];
    for (stage, tasks) in [
        ("fill-pass", 4),
        ("fill-global", 1),
        ("fill-final", 4),
        ("dir-pass", 4),
        ("flats-global", 1),
        ("acc-pass", 4),
        ("acc-global", 1),
        ("acc-final", 4),
    ] {
        jobs.push((Box::leak(format!("rain-hydro/{stage}").into_boxed_str()), tasks));
    }
    jobs.extend([("rain-partition/pass", 4), ("rain-partition/solve", 1), ("rain-partition/labels", 4)]);
    jobs.extend([("rain-groups", 2), ("rain-merge", 4), ("rain-mosaic", 1)]);
    for (job, tasks) in jobs {
        for t in 0..tasks {
            zw(&["--threads", "2", "run", p(&two), "--step", job, "--task", &t.to_string()]);
        }
    }
    let (a, b) = (d.path().join("one"), d.path().join("two"));
    let rain = tree(&a.join("rain"));
    assert!(rain.iter().any(|f| f.ends_with("partition/plan.json")));
    assert!(rain.iter().any(|f| f.ends_with("partition/tiles/groups-3.tif")), "four label tiles expected");
    assert!(rain.iter().any(|f| f.ends_with("hydro/tiles/d8-3.u8")), "the rain DTM's tiled hydrology");
    assert!(!a.join("rain/partition/groups.tif").exists(), "the tiled partition writes no whole label raster");
    assert!(rain.iter().any(|f| f.ends_with("groups/1/group.json")), "two groups expected: {rain:?}");
    assert!(rain.iter().any(|f| f.ends_with("tiles/max_depth-3.tif")), "four tiles expected: {rain:?}");
    for f in ["max_depth.vrt", "flow_dir.vrt", "mass_balance.json", "rain.gpkg"] {
        assert!(a.join("rain").join(f).exists(), "{f} missing");
    }
    assert!(!a.join("rain/max_depth.tif").exists(), "the tiled merge writes no whole-grid raster");
    // plan.json names the DEM by its path, which differs between the two output folders
    for f in rain.iter().filter(|f| !f.ends_with("plan.json")) {
        let rel = f.strip_prefix(&a).unwrap();
        assert!(std::fs::read(f).unwrap() == std::fs::read(b.join(rel)).unwrap(), "{} differs", rel.display());
    }

    // Today's chain on the same rain DTM, by hand: the untiled partition (the whole DTM in one
    // step), the groups, the tiled merge without the tiled hydrology. Every file it writes but
    // the partition's own must have the same bytes in the pipeline's OUT/rain.
    let old = d.path().join("old");
    let dtm = a.join("rasters/dtm_rain_2m.tif");
    let part = old.join("partition");
    zw(&["rain", "partition", "--dem", p(&dtm), "--groups", "2", "-o", p(&part)]);
    let plan = part.join("plan.json");
    let sim = ["--rain", "30mm/10min", "--minutes", "3"];
    for g in 0..2 {
        let gd = part.join("groups").join(g.to_string());
        let gs = g.to_string();
        let mut args = vec!["rain", "simulate", "--dem", p(&dtm), "--plan", p(&plan), "--group", &gs, "-o", p(&gd)];
        args.extend(sim);
        zw(&args);
    }
    let mut args = vec!["rain", "merge", "--plan", p(&plan), "-o", p(&old), "--tiles", "2x2"];
    args.extend(sim);
    zw(&args);
    // The tiled plan's windows are the untiled plan's.
    let windows = |f: &Path| {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        v["windows"].clone()
    };
    assert_eq!(windows(&plan), windows(&a.join("rain/partition/plan.json")));
    let old_files = tree(&old);
    let mut n = 0;
    for f in &old_files {
        let rel = f.strip_prefix(&old).unwrap();
        let name = rel.file_name().unwrap().to_str().unwrap();
        // The partition's own files, and the merge tiles' internal records (with the tiled
        // hydrology they also carry the tile's sink and flow-path summaries).
        if rel.starts_with("partition") && (name == "plan.json" || name == "groups.tif")
            || name.starts_with("merge-") && name.ends_with(".json")
        {
            continue;
        }
        let new = a.join("rain").join(rel);
        assert!(
            std::fs::read(f).unwrap() == std::fs::read(&new).unwrap(),
            "{} differs from today's chain",
            rel.display()
        );
        n += 1;
    }
    assert!(n >= 30, "compared only {n} files: {old_files:?}");
    // What the pipeline writes beyond today's chain: the tiled partition and hydrology only.
    for f in &rain {
        let rel = f.strip_prefix(a.join("rain")).unwrap();
        assert!(
            old.join(rel).exists()
                || rel.starts_with("hydro")
                || rel.starts_with("partition/tiles")
                || rel == Path::new("partition/groups.vrt"),
            "{} is new",
            rel.display()
        );
    }
}

#[test]
fn the_tiled_partition_writes_the_cuts_of_the_untiled_labels() {
    // The rolling test DEM with a NoData corner and a NoData hole, partitioned into 3 groups whole
    // and on 3 × 12 tiles of 20 × 5 cells: 10 rows of tiles hold the 50 rows, so tasks 30–35 lie
    // beyond the layout (placeholders).
    let d = tempfile::tempdir().unwrap();
    let mut dem = zwilling_rain::testdem::rolling_dem(60, 50);
    dem.transform = zwilling_core::GeoTransform::new(350_000.0, 5_700_050.0, 1.0);
    dem.crs = zwilling_core::CrsInfo::from_epsg(25832);
    dem.nodata = Some(-9999.0);
    for r in 0..50 {
        for c in 0..60 {
            if (r < 6 && c >= 40) || ((20..24).contains(&r) && (30..33).contains(&c)) {
                dem.data[r * 60 + c] = -9999.0;
            }
        }
    }
    let dem_path = d.path().join("dem.tif");
    zwilling_io::raster::write_cog(&dem_path, &dem, &Default::default()).unwrap();
    let (whole, tiled) = (d.path().join("whole"), d.path().join("tiled"));
    zw(&["rain", "partition", "--dem", p(&dem_path), "--groups", "3", "-o", p(&whole)]);
    zw(&["rain", "partition", "--dem", p(&dem_path), "--groups", "3", "-o", p(&tiled), "--tiles", "3x12"]);
    let json = |f: &Path| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap() };
    let (pw, pt) = (json(&whole.join("plan.json")), json(&tiled.join("plan.json")));
    assert_eq!(pw["windows"], pt["windows"]);
    assert!(pw["windows"].as_array().unwrap().len() >= 2, "{pw}");
    assert!(pw.get("label_tiles").is_none(), "the untiled plan.json is unchanged");
    assert_eq!(
        (pt["labels"].as_str(), pt["label_tiles"]["files"].as_str()),
        (Some("groups.vrt"), Some("tiles/groups-{t}.tif"))
    );
    assert!(!tiled.join("groups.tif").exists());
    let groups_tif = whole.join("groups.tif");
    let labels = zwilling_io::raster::read_geotiff(&groups_tif).unwrap().to_f64().data;
    assert!(labels.contains(&-1.0) && labels.contains(&1.0), "NoData and several groups in the labels");
    for t in 0..36 {
        let file = tiled.join("tiles").join(format!("groups-{t}.tif"));
        if t >= 30 {
            assert_eq!(std::fs::metadata(&file).unwrap().len(), 0, "placeholder {t}");
            continue;
        }
        let (col0, row0) = ((t % 3) * 20, (t / 3) * 5);
        let want = zwilling_io::raster::read_geotiff_window(&groups_tif, col0, row0, 20, 5).unwrap();
        let got = zwilling_io::raster::read_geotiff(&file).unwrap();
        assert_eq!(got.sample_type(), want.sample_type(), "{}", file.display());
        assert_eq!(
            (got.size(), got.transform(), got.crs(), got.nodata()),
            (want.size(), want.transform(), want.crs(), want.nodata())
        );
        assert_eq!(got.to_f64().data, want.to_f64().data, "{} is not the cut of groups.tif", file.display());
    }
    // A group task reads its window of the labels from the tiles it meets: the same bytes as from
    // groups.tif.
    for (plan, out) in [(&whole, "gw"), (&tiled, "gt")] {
        let (pj, o) = (plan.join("plan.json"), d.path().join(out));
        zw(&[
            "rain",
            "simulate",
            "--dem",
            p(&dem_path),
            "--plan",
            p(&pj),
            "--group",
            "1",
            "-o",
            p(&o),
            "--minutes",
            "1",
        ]);
    }
    let files = tree(&d.path().join("gw"));
    assert!(files.len() >= 6, "{files:?}");
    for f in files {
        let rel = f.strip_prefix(d.path().join("gw")).unwrap();
        assert!(
            std::fs::read(&f).unwrap() == std::fs::read(d.path().join("gt").join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
}
