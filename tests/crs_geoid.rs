//! End to end as the 3D Tiles writer does it: read the shipped GCG2016 GeoTIFF with
//! `zwilling_io::raster::read_geotiff_f32`, build a `Quasigeoid`, and convert EPSG:25832 + DHHN2016
//! points to ECEF; compared with PROJ (rows printed by `benches/compare/crs_reference.py`, pyproj 3.7.2
//! / PROJ 9.5.1: `inv utm zone=32 GRS80 | vgridshift grids=de_bkg_gcg2016.tif multiplier=1 | cart WGS84`).
//! Self-contained: the grid ships in `data-samples/geoid/` (CC-BY-4.0 © BKG).

use zwilling_core::{testdata::repo_dir, CrsInfo};
use zwilling_crs::{Heights, Quasigeoid, Transformer};

include!("../crates/zwilling-crs/tests/data/gcg2016_reference.rs");

#[test]
fn dhhn2016_points_land_on_the_proj_ecef_position() {
    let path = repo_dir().join("data-samples/geoid/de_bkg_gcg2016.tif");
    let grid = zwilling_io::raster::read_geotiff_f32(&path).unwrap();
    let geoid = Quasigeoid::gcg2016(&grid).unwrap();
    let t = Transformer::new(&CrsInfo::compound(25832, 7837)).unwrap();
    let e: Vec<f64> = REFERENCE.iter().map(|r| r.0).collect();
    let n: Vec<f64> = REFERENCE.iter().map(|r| r.1).collect();
    let h: Vec<f64> = REFERENCE.iter().map(|r| r.2).collect();
    let mut out = vec![[0.0; 3]; REFERENCE.len()];
    let heights = t.par_to_ecef_with_heights(&e, &n, &h, Some(&geoid), &mut out).unwrap();
    assert!(matches!(heights, Heights::Quasigeoid { vertical_epsg: 7837, approximate: false, .. }));
    for (r, p) in REFERENCE.iter().zip(&out) {
        let d = ((p[0] - r.7).powi(2) + (p[1] - r.8).powi(2) + (p[2] - r.9).powi(2)).sqrt();
        // Issue 7 asks for 1 cm; PROJ and zwilling agree to rounding, so assert 1 mm.
        assert!(d < 1e-3, "({}, {}) lands {d} m from PROJ's ECEF", r.0, r.1);
        assert!((geoid.height_anomaly(r.3, r.4).unwrap() - r.6).abs() < 1e-4);
    }
}
