//! Conformance of the tile-parallel hydrology's VRT products (`zwilling run --hydro-tiles CxR
//! --hydro-mosaic vrt`, docs/cluster.md "Products of an NRW-size run") against GDAL 3.6
//! (system `/usr/bin/python3` with `osgeo`) and `../shared/tools/validate-cog`:
//!
//! - every per-tile COG (`OUT/hydro/tiles/{filled,d8,accumulation}-<t>.tif`) passes GDAL's full
//!   COG check and rio-cogeo strict;
//! - GDAL opens each VRT (`OUT/hydro/{filled,d8,accumulation}.vrt`) as one raster with the size,
//!   geotransform, CRS (`IsSame`), data type and NoData of the whole-grid COG that a `cog` run on
//!   the same DTM writes, and its band checksum (`gdalinfo -checksum`) equals that COG's.
//!
//! Both runs go through the `zwilling` binary and the local executor, which runs the same tasks
//! as Slurm and Kubernetes.

use std::path::{Path, PathBuf};
use std::process::Command;

use zwilling_core::testdata::shared_path;
use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_io::raster::{write_cog, CogOptions};

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// 600 × 500 cells of 1 m (EPSG:25832 + DHHN2016): a tilted plane with hills, pits from a
/// deterministic hash, and a NoData patch.
fn dtm(dir: &Path) -> PathBuf {
    let (w, h) = (600, 500);
    let mut g = Grid::filled(w, h, GeoTransform::new(350_000.0, 5_650_000.0, 1.0), 0f32);
    for r in 0..h {
        for c in 0..w {
            let (x, y) = (c as f32, r as f32);
            let noise = ((c * 7919 + r * 104_729) % 17) as f32 * 0.05;
            g.data[r * w + c] = 0.01 * x + 0.005 * y + 3.0 * (x / 47.0).sin() * (y / 61.0).cos() + noise;
        }
    }
    g.nodata = Some(-9999.0);
    for r in 200..230 {
        for c in 280..330 {
            g.data[r * w + c] = -9999.0;
        }
    }
    g.crs = CrsInfo::compound(25832, 7837);
    let p = dir.join("dtm.tif");
    write_cog(&p, &g, &CogOptions::default()).unwrap();
    p
}

/// Runs the pipeline (no clouds, the DTM as input) with the tiled hydrology; returns `OUT/hydro`.
fn hydro_run(dir: &Path, dtm: &Path, name: &str, mosaic: &str) -> PathBuf {
    let out = dir.join(name);
    let cfg = dir.join(format!("{name}.toml"));
    let toml = format!("[input]\nclouds = []\ndem = {:?}\n[output]\ndir = {:?}\n", dtm.display(), out.display());
    std::fs::write(&cfg, toml).unwrap();
    run(Command::new(env!("CARGO_BIN_EXE_zwilling")).args(["-q", "run"]).arg(&cfg).args([
        "--hydro-tiles",
        "2x2",
        "--hydro-mosaic",
        mosaic,
    ]));
    out.join("hydro")
}

/// What GDAL reads from a raster: size, geotransform, data type, NoData and the band checksum,
/// one line; and whether its CRS is the same as `other`'s.
fn gdal_view(file: &Path, other: &Path) -> (String, String) {
    let script = "import sys\nfrom osgeo import gdal\ngdal.UseExceptions()\n\
        a = gdal.Open(sys.argv[1]); b = gdal.Open(sys.argv[2]); band = a.GetRasterBand(1)\n\
        print(a.RasterXSize, a.RasterYSize, a.GetGeoTransform(), gdal.GetDataTypeName(band.DataType), \
        band.GetNoDataValue(), band.Checksum())\n\
        print(a.GetSpatialRef() is not None and bool(a.GetSpatialRef().IsSame(b.GetSpatialRef())))\n";
    let text = run(Command::new("/usr/bin/python3").arg("-c").arg(script).arg(file).arg(other));
    let mut lines = text.lines();
    (lines.next().unwrap_or_default().to_string(), lines.next().unwrap_or_default().to_string())
}

#[test]
fn hydro_vrts_read_as_the_whole_grid_cogs_in_gdal() {
    let d = tempfile::tempdir().unwrap();
    let dtm = dtm(d.path());
    let cog = hydro_run(d.path(), &dtm, "cog", "cog");
    let vrt = hydro_run(d.path(), &dtm, "vrt", "vrt");
    let want_type = ["Float32", "Byte", "Float32"];
    for (p, ty) in ["filled", "d8", "accumulation"].iter().zip(want_type) {
        let whole = cog.join(format!("{p}.tif"));
        let virt = vrt.join(format!("{p}.vrt"));
        assert!(!vrt.join(format!("{p}.tif")).exists(), "a vrt run writes no whole-grid COG");
        let (want, _) = gdal_view(&whole, &whole);
        let (got, same_crs) = gdal_view(&virt, &whole);
        assert!(want.starts_with("600 500 (350000.0, 1.0, 0.0, 5650000.0, 0.0, -1.0) "), "{want}");
        assert!(want.contains(ty), "{want}");
        assert_eq!(got, want, "GDAL reads {} unlike {}", virt.display(), whole.display());
        assert_eq!(same_crs, "True", "{} has another CRS than {}", virt.display(), whole.display());
        // gdalinfo -checksum, as a user would check it.
        let checksum = |f: &Path| {
            let t = run(Command::new("/usr/bin/gdalinfo").arg("-checksum").arg(f));
            t.lines().find_map(|l| l.trim().strip_prefix("Checksum=").map(str::to_string)).expect("a checksum")
        };
        assert_eq!(checksum(&virt), checksum(&whole), "{p}");
        for t in 0..4 {
            let tile = vrt.join("tiles").join(format!("{p}-{t}.tif"));
            run(Command::new(shared_path("tools/validate-cog")).arg(&tile));
        }
    }
    // The run's status lists every hydrology task finished with its outputs present.
    let status = run(Command::new(env!("CARGO_BIN_EXE_zwilling")).arg("status").arg(vrt.parent().unwrap()));
    assert!(status.contains("hydro/mosaic"), "{status}");
    assert!(!status.contains("outputs missing"), "{status}");
}
