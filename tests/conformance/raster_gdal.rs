//! Conformance of the GeoTIFF reader and COG writer against GDAL (feature `conformance`).
//!
//! Reference values were made ONCE with GDAL 3.6.2 (system python3 `osgeo`) and are stored here:
//! ```text
//! /usr/bin/python3 - <<'EOF'
//! from osgeo import gdal; import random
//! for f in FILES:
//!     ds = gdal.Open(f); b = ds.GetRasterBand(1); a = b.ReadAsArray(); w, h = ds.RasterXSize, ds.RasterYSize
//!     rnd = random.Random(42)
//!     cells = [(0,0),(w-1,0),(0,h-1),(w-1,h-1)] + [(rnd.randrange(w), rnd.randrange(h)) for _ in range(16)]
//!     print(ds.GetGeoTransform(), b.GetNoDataValue(), [(c, r, float(a[r,c])) for c, r in cells],
//!           int((a == b.GetNoDataValue()).sum()), float(a.astype('float64').sum()))
//! EOF
//! ```
//! Written COGs are checked with `../shared/tools/validate-cog` (GDAL's full COG check and
//! rio-cogeo strict) and their values with `gdallocationinfo`; GDAL-written variants of a test
//! file (`gdal_translate -co ...`) check the reader's other layouts.

use std::path::{Path, PathBuf};
use std::process::Command;

use zwilling_core::testdata::shared_path;
use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_io::raster::*;

struct Reference {
    file: &'static str,
    size: (usize, usize),
    gdal_transform: [f64; 6],
    nodata: Option<f64>,
    epsg: Option<u32>,
    cells: &'static [(usize, usize, f64)],
    nodata_count: usize,
    sum: f64,
}

const TAUDEM_CELLS: &[(usize, usize, f64)] = &[
    (0, 0, 561.0),
    (655, 0, 645.0),
    (0, 455, 573.0),
    (655, 455, 571.0),
    (654, 57, 649.0),
    (25, 379, 552.0),
    (281, 125, 601.0),
    (228, 71, 608.0),
    (104, 346, 543.0),
    (558, 44, 648.0),
    (604, 216, 620.0),
    (32, 15, 563.0),
    (95, 111, 560.0),
    (238, 258, 565.0),
    (616, 13, 642.0),
    (574, 101, 648.0),
    (558, 214, 626.0),
    (225, 229, 576.0),
    (603, 142, 645.0),
    (6, 388, 552.0),
];

const REFERENCES: &[Reference] = &[
    Reference {
        file: "data/dem/taudem/MED_01_01.tif", // int16, LZW, 128 × 128 tiles, no CRS
        size: (656, 456),
        gdal_transform: [273028.4630519133, 10.0, 0.0, 7537249.483693049, 0.0, -10.0],
        nodata: Some(-3.402823e+38),
        epsg: None,
        cells: TAUDEM_CELLS,
        nodata_count: 0,
        sum: 173673907.0,
    },
    Reference {
        file: "data/dem/taudem/MED_01_01_filled_reference.tif", // float32, LZW, strips of 3 rows
        size: (656, 456),
        gdal_transform: [273028.4630519133, 10.0, 0.0, 7537249.483693049, 0.0, -10.0],
        nodata: Some(-3.0000000054977558e+38),
        epsg: None,
        cells: TAUDEM_CELLS,
        nodata_count: 0,
        sum: 173682058.0,
    },
    Reference {
        file: "data/dem/pysheds/dem.tif", // int16, uncompressed 16 × 16 tiles, EPSG:4326
        size: (367, 359),
        gdal_transform: [-97.4849999999961, 0.0008333333333333, 0.0, 32.82166666666536, 0.0, -0.0008333333333333],
        nodata: Some(-32768.0),
        epsg: Some(4326),
        cells: &[
            (0, 0, 214.0),
            (366, 0, 175.0),
            (0, 358, 268.0),
            (366, 358, 216.0),
            (327, 57, 172.0),
            (12, 140, 224.0),
            (125, 114, 187.0),
            (71, 52, 183.0),
            (346, 279, 206.0),
            (44, 302, 227.0),
            (216, 16, 187.0),
            (15, 47, 208.0),
            (111, 119, 191.0),
            (258, 308, 211.0),
            (13, 287, 247.0),
            (101, 332, 267.0),
            (359, 279, 206.0),
            (214, 112, 193.0),
            (229, 301, 209.0),
            (142, 3, 198.0),
        ],
        nodata_count: 0,
        sum: 27262145.0,
    },
    Reference {
        file: "data/geoid/de_bkg_gcg2016.tif", // float32, Deflate + predictor 3, 256 × 256 tiles
        size: (950, 1052),
        gdal_transform: [3.25, 0.0125, 0.0, 55.983333333666984, 0.0, -0.008333333333967649],
        nodata: Some(-32768.0),
        // GeodeticCRSGeoKey 10284 (ETRS89/DREF91/2016); GDAL 3.6's PROJ database does not know the
        // code and prints "unknown", but the key is in the file.
        epsg: Some(10284),
        cells: &[
            (0, 0, 43.2421989440918),
            (949, 0, -32768.0),
            (0, 1051, -32768.0),
            (949, 1051, -32768.0),
            (654, 228, 39.08869934082031),
            (25, 563, -32768.0),
            (250, 457, -32768.0),
            (142, 209, -32768.0),
            (692, 178, 38.068599700927734),
            (604, 864, 47.08760070800781),
            (32, 61, -32768.0),
            (95, 447, -32768.0),
            (238, 1034, -32768.0),
            (616, 54, -32768.0),
            (574, 407, 41.94269943237305),
            (733, 859, 45.66450119018555),
            (225, 919, -32768.0),
            (603, 569, 45.7765007019043),
            (828, 13, -32768.0),
            (777, 326, 39.03689956665039),
        ],
        nodata_count: 417448,
        sum: -13653743586.122803,
    },
];

fn check_reference(r: &Reference, g: &Grid<f64>) {
    assert_eq!((g.width, g.height), r.size, "{}", r.file);
    assert_eq!(g.transform.to_gdal(), r.gdal_transform, "{}", r.file);
    assert_eq!(g.nodata.map(|v| v as f32), r.nodata.map(|v| v as f32), "{}", r.file);
    for &(c, row, v) in r.cells {
        assert_eq!(g.data[row * g.width + c], v, "{} cell ({c}, {row})", r.file);
    }
    let nd = g.nodata.unwrap_or(f64::NAN);
    assert_eq!(g.data.iter().filter(|&&v| v == nd).count(), r.nodata_count, "{}", r.file);
    let sum: f64 = g.data.iter().sum();
    assert!((sum - r.sum).abs() <= 1e-9 * r.sum.abs(), "{}: sum {sum} vs GDAL {}", r.file, r.sum);
}

#[test]
fn reads_shared_rasters_as_gdal_does() {
    for r in REFERENCES {
        let p = shared_path(r.file);
        let g = read_geotiff_f64(&p).unwrap();
        check_reference(r, &g);
        assert_eq!(g.crs.epsg, r.epsg, "{}", r.file);
    }
    let geoid = read_geotiff_info(&shared_path("data/geoid/de_bkg_gcg2016.tif")).unwrap();
    assert_eq!((geoid.model_type, geoid.compression, geoid.predictor), (Some(2), 8, 3));
}

fn tool(name: &str) -> PathBuf {
    let p = Path::new("/usr/bin").join(name);
    assert!(p.exists(), "conformance tool missing: {}", p.display());
    p
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn gdal_written_layouts_read_the_same() {
    // Variants of MED_01_01 (int16) and its filled float32 counterpart written by gdal_translate.
    let dir = tempfile::tempdir().unwrap();
    let variants: &[(&str, usize, &[&str])] = &[
        (
            "be_deflate_tiled.tif",
            0,
            &["-co", "ENDIANNESS=BIG", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2"],
        ),
        ("packbits_strips.tif", 0, &["-co", "COMPRESS=PACKBITS", "-co", "BLOCKYSIZE=5"]),
        (
            "bigtiff_lzw.tif",
            0,
            &["-co", "BIGTIFF=YES", "-co", "COMPRESS=LZW", "-co", "PREDICTOR=2", "-co", "TILED=YES"],
        ),
        // (Big-endian + PREDICTOR=3 is left out: GDAL 3.6 itself reads its own such files back
        // wrongly, 5.88e-39 for 561, and so does this reader, byte for byte like libtiff.)
        ("float_be_lzw.tif", 1, &["-co", "ENDIANNESS=BIG", "-co", "COMPRESS=LZW"]),
        ("float_pred3_strips.tif", 1, &["-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3", "-co", "BLOCKYSIZE=7"]),
        ("float64_lzw.tif", 1, &["-ot", "Float64", "-co", "COMPRESS=LZW", "-co", "PREDICTOR=3", "-co", "TILED=YES"]),
        (
            "int32_sparse.tif",
            0,
            &["-ot", "Int32", "-co", "TILED=YES", "-co", "SPARSE_OK=YES", "-co", "COMPRESS=DEFLATE"],
        ),
    ];
    for (name, r, opts) in variants {
        let out = dir.path().join(name);
        run(Command::new(tool("gdal_translate")).args(*opts).arg(shared_path(REFERENCES[*r].file)).arg(&out));
        let mut g = read_geotiff_f64(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.starts_with("int32") {
            // gdal_translate clamps the out-of-range NoData to the Int32 range.
            assert_eq!(g.nodata, Some(-2147483648.0));
            g.nodata = REFERENCES[*r].nodata;
        }
        check_reference(&REFERENCES[*r], &g);
    }
    // Band-interleaved (planar) three-band file: every band equals the source.
    let out = dir.path().join("planar.tif");
    let src = shared_path(REFERENCES[2].file);
    run(Command::new(tool("gdal_translate"))
        .args(["-b", "1", "-b", "1", "-b", "1", "-co", "INTERLEAVE=BAND", "-co", "COMPRESS=LZW"])
        .arg(&src)
        .arg(&out));
    assert!(read_geotiff_info(&out).unwrap().planar);
    let bands = read_geotiff_bands(&out).unwrap();
    assert_eq!(bands.len(), 3);
    for b in bands {
        check_reference(&REFERENCES[2], &b.to_f64());
    }
}

fn validate(p: &Path) {
    let v = shared_path("tools/validate-cog");
    run(Command::new(v).arg(p));
}

fn gdal_value(p: &Path, col: usize, row: usize, overview: Option<usize>) -> f64 {
    let mut cmd = Command::new(tool("gdallocationinfo"));
    cmd.arg("-valonly");
    if let Some(o) = overview {
        cmd.args(["-overview", &o.to_string()]);
    }
    let s = run(cmd.arg(p).arg(col.to_string()).arg(row.to_string()));
    s.lines().next().unwrap_or("").trim().parse().unwrap_or_else(|_| panic!("gdallocationinfo said {s:?}"))
}

fn test_grid<T: Sample>(w: usize, h: usize, f: impl Fn(usize, usize) -> f64, nodata: Option<f64>) -> Grid<T> {
    let mut g = Grid::filled(w, h, GeoTransform::new(362_000.0, 5_620_000.0, 0.25), T::default());
    for r in 0..h {
        for c in 0..w {
            g.data[r * w + c] = T::from_f64(f(c, r));
        }
    }
    g.crs = CrsInfo::compound(25832, 7837);
    g.nodata = nodata;
    g
}

fn write_validate_compare<T: Sample>(dir: &Path, name: &str, g: &Grid<T>, opts: &CogOptions) {
    let p = dir.join(name);
    write_cog(&p, g, opts).unwrap();
    validate(&p);
    for &(c, r) in &[(0, 0), (g.width - 1, g.height - 1), (g.width / 3, g.height / 2), (513, 500)] {
        // gdallocationinfo prints 15 significant digits.
        let (gdal, ours) = (gdal_value(&p, c, r, None), g.data[r * g.width + c].to_f64());
        assert!(
            gdal == ours || (gdal - ours).abs() <= 1e-13 * ours.abs(),
            "{name} ({c}, {r}): GDAL {gdal}, ours {ours}"
        );
    }
    // GDAL's overview 1 value equals ours (gdallocationinfo takes full-resolution pixel positions).
    let info = read_geotiff_info(&p).unwrap();
    if !info.overviews.is_empty() {
        let o = read_geotiff_overview(&p, 0).unwrap().remove(0);
        let (c, r) = (info.overviews[0].0 / 2, info.overviews[0].1 / 3);
        let (gdal, ours) = (gdal_value(&p, 2 * c, 2 * r, Some(1)), o.get_f64(c, r).unwrap());
        assert!(gdal == ours || (gdal - ours).abs() <= 1e-13 * ours.abs(), "{name} overview: GDAL {gdal}, ours {ours}");
    }
}

#[test]
fn written_cogs_pass_gdal_and_rio_cogeo_validation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (w, h) = (1300, 1100); // three overview levels: 650, 325
    let wave = |c: usize, r: usize| ((c as f64 * 0.05).sin() + (r as f64 * 0.03).cos()) * 60.0 + 100.0;
    let holes = |c: usize, r: usize| if (c / 40 + r / 40).is_multiple_of(5) { -9999.0 } else { wave(c, r) };
    write_validate_compare::<f32>(d, "f32.tif", &test_grid(w, h, holes, Some(-9999.0)), &CogOptions::default());
    write_validate_compare::<f64>(d, "f64.tif", &test_grid(w, h, wave, None), &CogOptions::default());
    write_validate_compare::<u8>(
        d,
        "u8.tif",
        &test_grid(w, h, |c, r| ((c + r) % 200) as f64, Some(255.0)),
        &CogOptions { resampling: Resampling::Nearest, ..Default::default() },
    );
    write_validate_compare::<u16>(
        d,
        "u16.tif",
        &test_grid(w, h, |c, r| (c * 40 + r) as f64, None),
        &CogOptions::default(),
    );
    write_validate_compare::<i16>(d, "i16.tif", &test_grid(w, h, holes, Some(-9999.0)), &CogOptions::default());
    write_validate_compare::<i32>(
        d,
        "i32.tif",
        &test_grid(w, h, |c, r| (c * r) as f64 - 5e5, Some(-2147483648.0)),
        &CogOptions::default(),
    );
    write_validate_compare::<f32>(
        d,
        "big.tif",
        &test_grid(w, h, wave, Some(f64::NAN)),
        &CogOptions { bigtiff: BigTiff::Always, ..Default::default() },
    );
    write_validate_compare::<f32>(d, "small.tif", &test_grid(600, 520, wave, None), &CogOptions::default());
    let rgb: Vec<Grid<u8>> = (0..3).map(|b| test_grid(w, h, move |c, r| ((c + r * b) % 256) as f64, None)).collect();
    let p = d.join("rgb.tif");
    write_cog_bands(&p, &rgb, &CogOptions::default()).unwrap();
    validate(&p);
    let info = run(Command::new(tool("gdalinfo")).arg(&p));
    assert!(info.contains("ColorInterp=Red") && info.contains("ColorInterp=Blue"), "{info}");
    let info = run(Command::new(tool("gdalinfo")).arg(d.join("f32.tif")));
    assert!(info.contains("ID[\"EPSG\",25832]") && info.contains("ID[\"EPSG\",7837]"), "{info}");
    assert!(info.contains("NoData Value=-9999") && info.contains("Overviews: 650x550, 325x275"), "{info}");
}
