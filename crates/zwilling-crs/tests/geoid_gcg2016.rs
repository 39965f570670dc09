//! DHHN2016 → ellipsoidal heights → ECEF with the shipped GCG2016 grid
//! (`data-samples/geoid/de_bkg_gcg2016.tif`, CC-BY-4.0 © BKG), against PROJ.
//!
//! Reference rows printed by `benches/compare/crs_reference.py` (pyproj 3.7.2, PROJ 9.5.1): pipeline
//! `+proj=pipeline +step +inv +proj=utm +zone=32 +ellps=GRS80 +step +proj=vgridshift
//! +grids=de_bkg_gcg2016.tif +multiplier=1 +step +proj=cart +ellps=WGS84` (the height checked equal to
//! PROJ's own EPSG:25832+7837 → EPSG:4937 operation). The grid is read here with the `tiff` crate
//! directly, honouring its GTRasterType (RasterPixelIsPoint), so this test checks the registration
//! independently of zwilling-io's reader (tests/crs_geoid.rs at the repository root uses that one).

use std::path::PathBuf;
use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_crs::{geokeys, EcefPatches, Heights, Quasigeoid, Transformer};

include!("data/gcg2016_reference.rs");

/// A point with NoData in the grid (Netherlands, outside GCG2016's data area): PROJ returns inf.
const NODATA_POINT: (f64, f64) = (291_234.5, 5_702_345.6);

fn grid_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data-samples/geoid/de_bkg_gcg2016.tif")
}

/// Reads the grid; `honour_point` = false deliberately ignores RasterPixelIsPoint (the classic bug).
fn read_grid(honour_point: bool) -> Grid<f32> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;
    let f = std::fs::File::open(grid_path()).expect("data-samples/geoid/de_bkg_gcg2016.tif");
    let mut d = Decoder::new(std::io::BufReader::new(f)).unwrap();
    let (w, h) = d.dimensions().unwrap();
    let tie = d.get_tag_f64_vec(Tag::ModelTiepointTag).unwrap();
    let scale = d.get_tag_f64_vec(Tag::ModelPixelScaleTag).unwrap();
    let keys = d.get_tag_u16_vec(Tag::GeoKeyDirectoryTag).unwrap();
    let nodata: f64 = d.get_tag_ascii_string(Tag::GdalNodata).unwrap().trim_end_matches('\0').trim().parse().unwrap();
    let point = geokeys::short_key(&keys, geokeys::GT_RASTER_TYPE) == Some(geokeys::RASTER_PIXEL_IS_POINT);
    assert!(point, "GCG2016 is registered as RasterPixelIsPoint");
    let half = if honour_point { 0.5 } else { 0.0 };
    // Tie point (raster 0,0) → world; PixelIsPoint: raster (0,0) is the centre of the first cell.
    let transform = GeoTransform {
        origin_x: tie[3] - (tie[0] + half) * scale[0],
        origin_y: tie[4] + (tie[1] + half) * scale[1],
        cell_x: scale[0],
        cell_y: scale[1],
    };
    let data = match d.read_image().unwrap() {
        DecodingResult::F32(v) => v,
        _ => panic!("GCG2016 is Float32"),
    };
    Grid { width: w as usize, height: h as usize, data, transform, crs: CrsInfo::default(), nodata: Some(nodata) }
}

#[test]
fn height_anomaly_and_ecef_agree_with_proj() {
    let geoid = Quasigeoid::gcg2016(&read_grid(true)).unwrap();
    let t = Transformer::new(&CrsInfo::compound(25832, 7837)).unwrap();
    let (mut worst_zeta, mut worst_ecef) = (0.0f64, 0.0f64);
    for &(e, n, hn, lon, lat, h, zeta, x, y, z) in REFERENCE {
        let (glon, glat) = t.to_wgs84(e, n);
        assert!((glon - lon).abs() < 1e-9 && (glat - lat).abs() < 1e-9);
        let z_ours = geoid.height_anomaly(lon, lat).unwrap();
        assert!((z_ours - zeta).abs() < 1e-4, "ζ at ({e}, {n}): {z_ours} vs PROJ {zeta}");
        assert!((geoid.ellipsoidal_height(lon, lat, hn).unwrap() - h).abs() < 1e-4);
        let mut out = [[0.0; 3]];
        let heights = t.to_ecef_with_heights(&[e], &[n], &[hn], Some(&geoid), &mut out).unwrap();
        assert_eq!(heights, Heights::Quasigeoid { vertical_epsg: 7837, model: "GCG2016".into(), approximate: false });
        let d = ((out[0][0] - x).powi(2) + (out[0][1] - y).powi(2) + (out[0][2] - z).powi(2)).sqrt();
        assert!(d < 1e-3, "ECEF at ({e}, {n}) off by {d} m");
        worst_zeta = worst_zeta.max((z_ours - zeta).abs());
        worst_ecef = worst_ecef.max(d);
    }
    println!("worst |Δζ| = {worst_zeta:.2e} m, worst ECEF distance = {worst_ecef:.2e} m");
    // The check value: E 512767, N 5403708, H 356.170 → h 404.423 m, ζ = +48.253 m.
    let (lon, lat) = t.to_wgs84(512_767.0, 5_403_708.0);
    assert!((geoid.ellipsoidal_height(lon, lat, 356.170).unwrap() - 404.423).abs() < 5e-4);
}

/// The fast path of the 3D Tiles writer (per-cell quadratic patches, `zwilling_crs::patches`)
/// lands every reference point where PROJ puts it, as the exact transform does (issue 7: 1 cm).
#[test]
fn patches_land_on_the_proj_ecef_position() {
    let geoid = Quasigeoid::gcg2016(&read_grid(true)).unwrap();
    let t = Transformer::new(&CrsInfo::compound(25832, 7837)).unwrap();
    let fast = EcefPatches::new(&t, Some(&geoid)).unwrap();
    assert!(matches!(fast.heights(), Heights::Quasigeoid { vertical_epsg: 7837, approximate: false, .. }));
    let e: Vec<f64> = REFERENCE.iter().map(|r| r.0).collect();
    let n: Vec<f64> = REFERENCE.iter().map(|r| r.1).collect();
    let h: Vec<f64> = REFERENCE.iter().map(|r| r.2).collect();
    let mut out = vec![[0.0; 3]; REFERENCE.len()];
    fast.par_to_ecef(&e, &n, &h, &mut out).unwrap();
    for (r, p) in REFERENCE.iter().zip(&out) {
        let d = ((p[0] - r.7).powi(2) + (p[1] - r.8).powi(2) + (p[2] - r.9).powi(2)).sqrt();
        assert!(d < 1e-3, "({}, {}) lands {d} m from PROJ's ECEF", r.0, r.1);
    }
    let (x, y) = NODATA_POINT;
    assert!(fast.to_ecef(&[x], &[y], &[0.0], &mut out[..1]).unwrap_err().to_string().contains("GCG2016"));
}

#[test]
fn ignoring_pixel_is_point_would_be_caught() {
    // Half a cell (≈ 0.5 km) of misregistration changes ζ by centimetres somewhere in the set.
    let wrong = Quasigeoid::gcg2016(&read_grid(false)).unwrap();
    let worst = REFERENCE
        .iter()
        .map(|&(_, _, _, lon, lat, _, zeta, ..)| (wrong.height_anomaly(lon, lat).unwrap() - zeta).abs())
        .fold(0.0, f64::max);
    println!("ignoring RasterPixelIsPoint: worst |Δζ| = {worst:.4} m");
    assert!(worst > 5e-3, "misregistration only {worst} m: the reference points do not discriminate");
}

#[test]
fn nodata_and_unknown_vertical_are_errors() {
    let geoid = Quasigeoid::gcg2016(&read_grid(true)).unwrap();
    let t = Transformer::new(&CrsInfo::compound(25832, 7837)).unwrap();
    let mut out = [[0.0; 3]];
    let e = t.to_ecef_with_heights(&[NODATA_POINT.0], &[NODATA_POINT.1], &[0.0], Some(&geoid), &mut out);
    assert!(e.unwrap_err().to_string().contains("GCG2016"));
    let t = Transformer::new(&CrsInfo::from_epsg(25832)).unwrap();
    assert!(t.to_ecef_with_heights(&[512_767.0], &[5_403_708.0], &[356.17], Some(&geoid), &mut out).is_err());
    let h = t.to_ecef_with_heights(&[512_767.0], &[5_403_708.0], &[356.17], None, &mut out).unwrap();
    assert!(!h.is_ellipsoidal());
}
