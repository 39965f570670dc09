//! Conformance: a point tileset written from the 3D Tiles test scene
//! (`crates/zwilling-io/tests/fixtures/tiles3d_scene.rs`) passes the glTF validator and the
//! tileset checks of `../shared/tools/validate-3dtiles`.

use zwilling_core::CrsInfo;
use zwilling_crs::Transformer;
use zwilling_io::tiles3d::{write_point_tileset, TilesOptions};

#[path = "../../crates/zwilling-io/tests/fixtures/tiles3d_scene.rs"]
mod tiles3d_scene;
use tiles3d_scene::{corridor, to_ecef_fn};

#[test]
fn tileset_passes_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let laz = dir.path().join("street.laz");
    corridor(&laz, 60_000);
    let tr = Transformer::new(&CrsInfo::from_epsg(25832)).unwrap();
    let f = to_ecef_fn(&tr);
    let out = dir.path().join("t");
    let opts = TilesOptions { max_points_per_tile: 10_000, chunk_points: 20_000, ..TilesOptions::default() };
    write_point_tileset(&[laz], &out, &f, &opts, &|_| {}).unwrap();
    let tool = zwilling_core::testdata::shared_path("tools/validate-3dtiles");
    let o = std::process::Command::new(tool).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}
