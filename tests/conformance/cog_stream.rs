//! Conformance of the streamed COG writer (`write_cog_streamed`) against GDAL: a raster that is
//! mostly entirely-NoData tiles (a diagonal band of data, the shape of a street survey) passes
//! `../shared/tools/validate-cog` (GDAL's `validate_cloud_optimized_geotiff.py --full-check` and
//! rio-cogeo strict), and `gdallocationinfo` reads the values the tile callback produced, NoData
//! elsewhere, and the 2 × 2 mean in the first overview.

use std::path::Path;
use std::process::Command;

use zwilling_core::testdata::shared_path;
use zwilling_core::{CrsInfo, GeoTransform};
use zwilling_io::raster::*;

const W: usize = 3000;
const H: usize = 2100;
const TS: usize = 256;

/// Height on the band |col − 1.4·row| < 150, NoData (NaN) elsewhere.
fn value(c: usize, r: usize) -> f32 {
    if (c as f64 - 1.4 * r as f64).abs() < 150.0 {
        100.0 + (c as f32 * 0.01).sin() * 5.0 + r as f32 * 0.001
    } else {
        f32::NAN
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn gdal_value(p: &Path, col: usize, row: usize, overview: Option<usize>) -> String {
    let tool = Path::new("/usr/bin/gdallocationinfo");
    assert!(tool.exists(), "conformance tool missing: {}", tool.display());
    let mut cmd = Command::new(tool);
    cmd.arg("-valonly");
    if let Some(o) = overview {
        cmd.args(["-overview", &o.to_string()]);
    }
    run(cmd.arg(p).arg(col.to_string()).arg(row.to_string())).trim().to_string()
}

#[test]
fn streamed_mostly_nodata_cog_passes_gdal_validation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("band.tif");
    let crs = CrsInfo::compound(25832, 7837);
    let raster = StreamedRaster {
        width: W,
        height: H,
        transform: GeoTransform::new(362_000.0, 5_620_000.0, 0.25),
        crs: &crs,
        nodata: Some(f64::NAN),
        bands: 1,
    };
    let empty = std::sync::atomic::AtomicUsize::new(0);
    write_cog_streamed::<f32>(&p, &raster, &CogOptions { tile_size: TS, ..Default::default() }, &|col, row| {
        let mut tile = vec![f32::NAN; TS * TS];
        for r in 0..TS.min(H - row * TS) {
            for c in 0..TS.min(W - col * TS) {
                tile[r * TS + c] = value(col * TS + c, row * TS + r);
            }
        }
        if tile.iter().all(|v| v.is_nan()) {
            empty.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(None);
        }
        Ok(Some(tile))
    })
    .unwrap();
    let tiles = W.div_ceil(TS) * H.div_ceil(TS);
    let empty = empty.into_inner();
    assert!(empty * 2 > tiles, "most tiles are NoData ({empty} of {tiles})");

    run(Command::new(shared_path("tools/validate-cog")).arg(&p));
    // Data on the band, NoData off it (gdallocationinfo prints 15 significant digits).
    for (c, r) in [(1400, 1000), (2999, 2099), (10, 5)] {
        let gdal: f64 = gdal_value(&p, c, r, None).parse().unwrap();
        assert!((gdal - value(c, r) as f64).abs() <= 1e-12 * gdal.abs(), "({c}, {r}): GDAL {gdal}");
    }
    let off_band = gdal_value(&p, 2900, 100, None).to_lowercase();
    assert!(off_band.contains("nan"), "off the band: GDAL {off_band}");
    // First overview: the mean of the 2 × 2 block (all four on the band here).
    let (c, r) = (700, 500);
    let mean =
        [(0, 0), (1, 0), (0, 1), (1, 1)].iter().map(|&(a, b)| value(2 * c + a, 2 * r + b) as f64).sum::<f64>() / 4.0;
    let gdal: f64 = gdal_value(&p, 2 * c, 2 * r, Some(1)).parse().unwrap();
    assert!((gdal - mean as f32 as f64).abs() <= 1e-12 * gdal.abs(), "overview: GDAL {gdal}, mean {mean}");
    let info = read_geotiff_info(&p).unwrap();
    assert_eq!(info.overviews.len(), 4, "1500, 750, 375, 188 wide");
}
