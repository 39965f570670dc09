//! `zwilling rain simulate` end to end on a small synthetic DEM with one building: `-q` keeps the
//! command silent and every output is written. The conformance suite validates the same outputs
//! (`tests/conformance/rain_validators.rs`).

#[path = "fixtures/rain_scene.rs"]
mod rain_scene;
use rain_scene::{inputs, simulate_quietly};

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
