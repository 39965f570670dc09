//! The catchment-group rain simulation end to end: the cluster's three steps (`rain partition`,
//! `rain simulate --plan --group` per group, `rain merge`) write the same bytes as the in-process
//! `rain simulate --groups K`, and a pipeline with `[rain] groups = 2` is the same at 1 and 2
//! threads.

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
fn a_pipeline_with_two_groups_is_the_same_at_one_and_two_threads() {
    let d = tempfile::tempdir().unwrap();
    let survey = d.path().join("survey");
    zw(&["synth", "--length", "30", "--seed", "3", "--no-images", "--out", p(&survey)]);
    let run = |name: &str, threads: &str| {
        let cfg = d.path().join(format!("{name}.toml"));
        let text = format!(
            "[input]\nclouds = ['{s}/scene.laz']\n[output]\ndir = '{name}'\n[grid]\nres = 1.0\n\
             products = ['dtm']\n[rain]\nrain = '30mm/10min'\nres = 2\ngroups = 2\nargs = ['--minutes', '3']\n",
            s = survey.display()
        );
        std::fs::write(&cfg, text).unwrap();
        zw(&["--threads", threads, "run", p(&cfg)]);
        d.path().join(name)
    };
    let (a, b) = (run("one", "1"), run("two", "2"));
    let rain = tree(&a.join("rain"));
    assert!(rain.iter().any(|f| f.ends_with("partition/plan.json")));
    assert!(rain.iter().any(|f| f.ends_with("groups/1/group.json")), "two groups expected: {rain:?}");
    // plan.json names the DEM by its path, which differs between the two output folders
    for f in rain.into_iter().filter(|f| !f.ends_with("plan.json")) {
        let rel = f.strip_prefix(&a).unwrap();
        assert!(std::fs::read(&f).unwrap() == std::fs::read(b.join(rel)).unwrap(), "{} differs", rel.display());
    }
}
