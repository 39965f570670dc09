//! Peak memory and time of writing a large, mostly-NoData f32 COG: streamed tile by tile
//! (`write_cog_streamed`) or from a full grid in memory (`write_cog`).
//!
//! The raster is `W × H` cells (default 40 000 × 20 000) with data on a diagonal band covering
//! 5 % of the cells (a street survey's shape), NaN elsewhere. Run under `/usr/bin/time -v`:
//!
//! ```text
//! cargo build --release -p zwilling-io --example cog_stream_memory
//! /usr/bin/time -v target/release/examples/cog_stream_memory streamed /tmp/x/out.tif [W H]
//! /usr/bin/time -v target/release/examples/cog_stream_memory grid /tmp/x/out.tif [W H]
//! ```

use std::path::Path;

use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_io::raster::{write_cog, write_cog_streamed, CogOptions, StreamedRaster};

/// Height on the band |row − col·H/W| < 2.5 % of H (so 5 % of the cells), NaN elsewhere.
fn value(c: usize, r: usize, w: usize, h: usize) -> f32 {
    let centre = c as f64 * h as f64 / w as f64;
    if (r as f64 - centre).abs() < 0.025 * h as f64 {
        100.0 + (c as f32 * 0.01).sin() * 3.0 + r as f32 * 0.002 + ((c * 7 + r * 13) % 17) as f32 * 0.003
    } else {
        f32::NAN
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, out) = (args.get(1).expect("mode: streamed | grid"), Path::new(args.get(2).expect("output path")));
    let w: usize = args.get(3).map_or(40_000, |s| s.parse().unwrap());
    let h: usize = args.get(4).map_or(20_000, |s| s.parse().unwrap());
    let crs = CrsInfo::compound(25832, 7837);
    let transform = GeoTransform::new(350_000.0, 5_710_000.0, 0.25);
    let opts = CogOptions::default();
    let ts = opts.tile_size;
    let t0 = std::time::Instant::now();
    match mode.as_str() {
        "streamed" => {
            let raster = StreamedRaster { width: w, height: h, transform, crs: &crs, nodata: Some(f64::NAN), bands: 1 };
            write_cog_streamed::<f32>(out, &raster, &opts, &|col, row| {
                let mut tile = vec![f32::NAN; ts * ts];
                let mut any = false;
                for r in 0..ts.min(h - row * ts) {
                    for c in 0..ts.min(w - col * ts) {
                        let v = value(col * ts + c, row * ts + r, w, h);
                        any |= !v.is_nan();
                        tile[r * ts + c] = v;
                    }
                }
                Ok(any.then_some(tile))
            })
            .unwrap();
        }
        "grid" => {
            let mut g = Grid::filled(w, h, transform, f32::NAN);
            g.crs = crs;
            g.nodata = Some(f64::NAN);
            for r in 0..h {
                for c in 0..w {
                    g.data[r * w + c] = value(c, r, w, h);
                }
            }
            eprintln!("grid filled in {:.1} s", t0.elapsed().as_secs_f64());
            write_cog(out, &g, &opts).unwrap();
        }
        m => panic!("unknown mode {m}"),
    }
    let len = std::fs::metadata(out).unwrap().len();
    eprintln!("{mode}: {w} × {h} written in {:.1} s, {:.1} MB", t0.elapsed().as_secs_f64(), len as f64 / 1e6);
}
