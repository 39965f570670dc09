//! `zwilling rain simulate` end to end on a small synthetic DEM with one building: `-q` keeps the
//! command silent, and (conformance) the written rain.gpkg passes `../shared/tools/validate-gpkg`
//! and every COG passes `../shared/tools/validate-cog`.

use std::path::{Path, PathBuf};
use std::process::Command;

use zwilling_core::CrsInfo;
use zwilling_io::raster::{write_cog, CogOptions};

/// A 60 × 50 m rolling DEM (1 m cells, EPSG:25832) and a 6 × 5 m building footprint on it.
fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let mut dem = zwilling_rain::testdem::rolling_dem(60, 50);
    dem.transform = zwilling_core::GeoTransform::new(350_000.0, 5_700_050.0, 1.0);
    dem.crs = CrsInfo::from_epsg(25832);
    let dem_path = dir.join("dem.tif");
    write_cog(&dem_path, &dem, &CogOptions::default()).unwrap();
    let b = dir.join("buildings.geojson");
    let (x0, y0) = (350_020.0, 5_700_020.0);
    let ring = format!("[[{x0},{y0}],[{},{y0}],[{},{}],[{x0},{}],[{x0},{y0}]]", x0 + 6.0, x0 + 6.0, y0 + 5.0, y0 + 5.0);
    let json = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"id":1}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}"#
    );
    std::fs::write(&b, json).unwrap();
    (dem_path, b)
}

/// Runs `zwilling -q rain simulate` for 5 minutes of 90 mm/h into `out`; returns stdout and stderr.
fn simulate_quietly(dem: &Path, buildings: &Path, out: &Path) -> (Vec<u8>, Vec<u8>) {
    let o = Command::new(env!("CARGO_BIN_EXE_zwilling"))
        .args(["-q", "rain", "simulate", "--rain", "90mm/1h", "--minutes", "5", "--flow-threshold", "20", "--dem"])
        .arg(dem)
        .arg("--buildings")
        .arg(buildings)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "rain simulate failed: {}", String::from_utf8_lossy(&o.stderr));
    (o.stdout, o.stderr)
}

#[test]
fn quiet_simulate_prints_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (dem, b) = inputs(d.path());
    let out = d.path().join("out");
    let (stdout, stderr) = simulate_quietly(&dem, &b, &out);
    assert!(stdout.is_empty(), "stdout: {}", String::from_utf8_lossy(&stdout));
    assert!(stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&stderr));
    for f in ["max_depth.tif", "max_velocity.tif", "mass_balance.json", "rain.gpkg", "risk.tif"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[cfg(feature = "conformance")]
#[test]
fn rain_outputs_validate() {
    use zwilling_core::testdata::shared_path;
    let d = tempfile::tempdir().unwrap();
    let (dem, b) = inputs(d.path());
    let out = d.path().join("out");
    simulate_quietly(&dem, &b, &out);
    let check = |tool: &str, f: &Path| {
        let o = Command::new(shared_path(&format!("tools/{tool}"))).arg(f).output().expect("run validator");
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "{tool} {} failed:\n{text}", f.display());
    };
    check("validate-gpkg", &out.join("rain.gpkg"));
    let mut cogs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tif"))
        .collect();
    cogs.sort();
    // max depth and velocity, time of max, flow direction, hazard and risk
    assert_eq!(cogs.len(), 6, "{cogs:?}");
    for c in &cogs {
        check("validate-cog", c);
    }
}
