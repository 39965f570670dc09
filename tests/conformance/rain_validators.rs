//! Conformance: the outputs of `zwilling rain simulate` on the rain test scene
//! (`tests/fixtures/rain_scene.rs`): rain.gpkg passes `../shared/tools/validate-gpkg` and every COG
//! passes `../shared/tools/validate-cog`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../fixtures/rain_scene.rs"]
mod rain_scene;
use rain_scene::{inputs, simulate_quietly};

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
