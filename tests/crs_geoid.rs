//! End to end as the 3D Tiles writer does it: read the shipped GCG2016 GeoTIFF with
//! `zwilling_io::raster::read_geotiff_f32`, build a `Quasigeoid`, and convert EPSG:25832 + DHHN2016
//! points to ECEF; compared with PROJ (rows printed by `benches/compare/crs_reference.py`, pyproj 3.7.2
//! / PROJ 9.5.1: `inv utm zone=32 GRS80 | vgridshift grids=de_bkg_gcg2016.tif multiplier=1 | cart WGS84`).
//! Self-contained: the grid ships in `data-samples/geoid/` (CC-BY-4.0 © BKG).

use zwilling_core::{testdata::repo_dir, CrsInfo};
use zwilling_crs::{Heights, Quasigeoid, Transformer};

type Row = (f64, f64, f64, f64, f64, f64, f64, f64, f64, f64);

/// (E, N, H_DHHN2016, lon, lat, h, ζ, ECEF X, Y, Z), EPSG:25832.
#[rustfmt::skip]
const REFERENCE: &[Row] = &[
    (512767.0, 5403708.0, 356.17, 9.173807085037856, 48.78623904660347, 404.42324386390305, 48.25324386390304, 4156756.2238204665, 671297.6240075703, 4775233.805530562),
    (356000.0, 5645000.0, 50.0, 6.950442304200329, 50.938624841622996, 96.4756292901122, 46.475629290112195, 3997798.8248787513, 487358.3380900783, 4929319.787805323),
    (321234.5, 5702345.6, 30.0, 6.4275573957874395, 51.44404665634777, 74.89394281085886, 44.89394281085886, 3958525.2948657176, 445947.7345577382, 4964543.35680538),
    (799999.0, 5990000.0, 10.0, 13.575005720768603, 53.971088597839596, 46.35457198157797, 36.35457198157797, 3654808.2851855205, 882503.6973011974, 5134889.183771427),
    (650000.0, 5250000.0, 500.0, 10.987419595673739, 47.38622257379729, 549.7813361957219, 49.781336195721906, 4247248.605515701, 824613.7362554482, 4671347.070828939),
    (400000.0, 6050000.0, 0.0, 7.452501366858576, 54.587579700052316, 39.529522509728615, 39.529522509728615, 3672839.2366618584, 480441.2108266659, 5174947.428072526),
    (512345.6, 5333333.3, 250.0, 9.165992432075232, 48.153127862574046, 298.58291731598547, 48.58291731598547, 4208811.1147707375, 679115.2527937387, 4728474.827018965),
];

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
