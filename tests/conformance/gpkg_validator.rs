//! Conformance: the GeoPackage writer's test scene (`crates/zwilling-io/tests/fixtures/gpkg_scene.rs`)
//! passes GDAL's GeoPackage validator (`../shared/tools/validate-gpkg`), and ogrinfo reads its
//! feature counts, UTF-8 text, 3D lines and multipolygons back.

#[path = "../../crates/zwilling-io/tests/fixtures/gpkg_scene.rs"]
mod gpkg_scene;
use gpkg_scene::write;

#[test]
fn gdal_validates_and_reads_the_geopackage() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("road.gpkg");
    write(&p);
    let v = zwilling_core::testdata::shared_path("tools/validate-gpkg");
    let out = Command::new(v).arg(&p).output().expect("run validate-gpkg");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "validate-gpkg failed:\n{text}");
    let out = Command::new("ogrinfo").args(["-ro", "-al", "-q"]).arg(&p).output().expect("run ogrinfo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("Feature Count: 50") || text.matches("OGRFeature(potholes)").count() == 50, "{text}");
    assert!(text.contains("note (String) = Schlagloch ä1"), "ogrinfo does not show the text value");
    assert!(text.contains("LINESTRING Z (362000 5620100 81"), "ogrinfo does not show the 3D line");
    let so = Command::new("ogrinfo").args(["-ro", "-so"]).arg(&p).arg("sections").output().unwrap();
    let so = String::from_utf8_lossy(&so.stdout);
    assert!(so.contains("Feature Count: 12") && so.contains("Multi Polygon") && so.contains("25832"), "{so}");
}
