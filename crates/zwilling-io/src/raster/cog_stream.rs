//! Streamed Cloud-Optimised GeoTIFF writer: full-resolution tiles come one at a time from a
//! callback, memory does not grow with the raster.
//!
//! Overview tile `(i, j)` of level k + 1 covers tiles `(2i…2i+1, 2j…2j+1)` of level k (the level
//! sizes are `⌈w/2ᵏ⌉`, so tile counts are `⌈n/2ᵏ⌉` too), and each overview pixel depends only on its
//! 2 × 2 block of the level below, which never crosses a tile edge because the tile size is even.
//! The writer therefore walks the tile pyramid depth first from the single top tile: a tile is
//! computed from its (at most) four children with `halve_block` (the same average / nearest
//! resampling as the in-memory writer), compressed, and its children are dropped. At most
//! `threads × levels × 4` uncompressed tiles are alive at any time; compressed tiles go to one
//! anonymous temporary file beside the output (removed by the OS even if the process dies), and
//! only a byte count and spill offset per tile stay in memory. When every tile is known, the file
//! is assembled in GDAL's COG layout by [`assemble`](super::cog::assemble) — IFDs first, then tile
//! data from the smallest overview to full resolution, row-major within a level — into a temporary
//! file that is renamed onto `path`. BigTIFF `Auto` is decided then, from the real sizes.
//!
//! A tile that is entirely NoData (`Ok(None)` from the callback, an overview tile above only such
//! tiles, or any tile whose compressed bytes equal them) is written as the compressed constant tile,
//! which is computed once; the output is byte-identical to what the in-memory writer gives for the
//! same full grid. Tiles are computed in parallel (rayon) in an order that depends on scheduling,
//! but every tile's bytes depend only on its inputs and the file order is fixed, so the output does
//! not depend on the thread count.
//!
//! ```no_run
//! use zwilling_core::{CrsInfo, GeoTransform};
//! use zwilling_io::raster::{write_cog_streamed, CogOptions, StreamedRaster};
//! let crs = CrsInfo::compound(25832, 7837);
//! let raster = StreamedRaster { width: 40_000, height: 20_000, transform: GeoTransform::new(350_000.0, 5_710_000.0, 0.25),
//!     crs: &crs, nodata: Some(f64::NAN), bands: 1 };
//! let ts = CogOptions::default().tile_size;
//! write_cog_streamed::<f32>(std::path::Path::new("dtm.tif"), &raster, &CogOptions::default(), &|col, row| {
//!     if col != row { return Ok(None) } // entirely NoData
//!     Ok(Some(vec![42.0; ts * ts]))
//! }).unwrap();
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;
use zwilling_core::{CrsInfo, Error, GeoTransform, Result};

use super::codec::{deflate, encode_samples};
use super::cog::{assemble, check_options, check_raster, predictor_for, CogOptions, LevelTiles};
use super::overview::halve_block;
use super::sample::Sample;
use super::tiff_ifd::read_exact_at;

/// Shape and georeferencing of a raster written tile by tile with [`write_cog_streamed`].
#[derive(Debug, Clone)]
pub struct StreamedRaster<'a> {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Georeferencing of the full-resolution image (origin = top-left corner).
    pub transform: GeoTransform,
    /// Horizontal (and vertical) CRS written as GeoKeys.
    pub crs: &'a CrsInfo,
    /// NoData value (written as GDAL_NODATA; also the fill of edge padding), `None` = none (fill 0).
    pub nodata: Option<f64>,
    /// Samples per pixel (1 = single band, 3 × u8 = RGB, 4 × u8 = RGBA).
    pub bands: usize,
}

/// Where a compressed tile is: the shared constant (all-NoData) tile, or in the spill file.
#[derive(Clone, Copy)]
enum Stored {
    Fill,
    Spilled { at: u64, len: u32 },
}

/// The spill file and the per-level tables of where each tile went.
struct Sink {
    spill: BufWriter<File>,
    pos: u64,
    tables: Vec<Vec<Option<Stored>>>,
}

struct Pyramid<'a, T> {
    path: &'a Path,
    opts: &'a CogOptions,
    nodata: Option<f64>,
    spp: usize,
    sizes: Vec<(usize, usize)>,
    fill: T,
    fill_bytes: Vec<u8>,
    tile: &'a (dyn Fn(usize, usize) -> Result<Option<Vec<T>>> + Sync),
    sink: Mutex<Sink>,
}

/// Writes a COG at `path` (atomically) whose full-resolution tiles come from `tile(col, row)`.
///
/// Each tile holds `bands × tile_size × tile_size` samples, pixel-interleaved, row-major; cells
/// beyond the raster's right and bottom edges are ignored and written as NoData (0 without NoData).
/// `Ok(None)` means the tile is entirely NoData (all 0 without NoData). `tile` is called exactly once
/// per tile `col < ⌈width / tile_size⌉`, `row < ⌈height / tile_size⌉`, possibly from several threads
/// and in any order; the output bytes do not depend on that order or on the thread count, and equal
/// those of [`write_cog`](super::write_cog) / [`write_cog_bands`](super::write_cog_bands) for the
/// same full grid. Memory is bounded by the threads × overview levels × 4 uncompressed tiles plus
/// 12 bytes per tile; compressed tiles are spilled to a temporary file beside `path`.
///
/// An error from `tile` (or a tile of the wrong length) aborts the write, leaves `path` as it was
/// and removes every temporary file.
pub fn write_cog_streamed<T: Sample>(
    path: &Path,
    raster: &StreamedRaster,
    opts: &CogOptions,
    tile: &(dyn Fn(usize, usize) -> Result<Option<Vec<T>>> + Sync),
) -> Result<()> {
    check_raster(path, raster)?;
    check_options(opts)?;
    let (ts, spp) = (opts.tile_size, raster.bands);
    let mut sizes = vec![(raster.width, raster.height)];
    let (mut w, mut h) = (raster.width, raster.height);
    while opts.overviews && (w > ts || h > ts) {
        (w, h) = (w.div_ceil(2), h.div_ceil(2));
        sizes.push((w, h));
    }
    let fill = T::from_f64(raster.nodata.unwrap_or(0.0));
    let fill_bytes =
        deflate(&encode_samples(&vec![fill; ts * ts * spp], predictor_for::<T>(), ts, spp), opts.deflate_level);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let spill = tempfile::tempfile_in(dir).map_err(|e| Error::io(path, e))?;
    let tables = sizes.iter().map(|&(w, h)| vec![None; w.div_ceil(ts) * h.div_ceil(ts)]).collect();
    let sink = Sink { spill: BufWriter::with_capacity(1 << 20, spill), pos: 0, tables };
    let p = Pyramid { path, opts, nodata: raster.nodata, spp, sizes, fill, fill_bytes, tile, sink: Mutex::new(sink) };

    if opts.overviews {
        p.produce(p.sizes.len() - 1, 0, 0)?;
    } else {
        let (nx, ny) = (raster.width.div_ceil(ts), raster.height.div_ceil(ts));
        (0..nx * ny).into_par_iter().try_for_each(|t| p.produce(0, t % nx, t / nx).map(drop))?;
    }

    let Pyramid { sizes, fill_bytes, sink, .. } = p;
    let Sink { spill, tables, .. } = sink.into_inner().expect("unpoisoned");
    let spill = spill.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    let mut stored = Vec::with_capacity(tables.len());
    for table in tables {
        let t: Option<Vec<Stored>> = table.into_iter().collect();
        stored.push(t.ok_or_else(|| Error::invalid(format!("{}: a tile was never produced", path.display())))?);
    }
    let levels: Vec<LevelTiles> = sizes
        .iter()
        .zip(&stored)
        .map(|(&(width, height), s)| LevelTiles {
            width,
            height,
            counts: s
                .iter()
                .map(|t| match *t {
                    Stored::Fill => fill_bytes.len() as u32,
                    Stored::Spilled { len, .. } => len,
                })
                .collect(),
        })
        .collect();
    assemble::<T>(path, raster, opts, &levels, |level, index, buf| match stored[level][index] {
        Stored::Fill => {
            buf.clear();
            buf.extend_from_slice(&fill_bytes);
            Ok(())
        }
        Stored::Spilled { at, len } => {
            buf.resize(len as usize, 0);
            read_exact_at(&spill, buf, at)
        }
    })
}

impl<T: Sample> Pyramid<'_, T> {
    /// Computes, compresses and stores tile `(col, row)` of `level` (and, first, everything below
    /// it); returns its samples, `None` when it is entirely NoData.
    fn produce(&self, level: usize, col: usize, row: usize) -> Result<Option<Vec<T>>> {
        let (ts, spp) = (self.opts.tile_size, self.spp);
        let (lw, lh) = self.sizes[level];
        let data = if level == 0 {
            let mut t = (self.tile)(col, row)?;
            if let Some(v) = &mut t {
                if v.len() != ts * ts * spp {
                    return Err(Error::invalid(format!(
                        "{}: tile ({col}, {row}) holds {} samples, expected {} ({spp} × {ts} × {ts})",
                        self.path.display(),
                        v.len(),
                        ts * ts * spp
                    )));
                }
                let (cw, ch) = ((lw - col * ts).min(ts), (lh - row * ts).min(ts));
                for r in 0..ts {
                    let from = if r < ch { cw } else { 0 };
                    v[(r * ts + from) * spp..(r + 1) * ts * spp].fill(self.fill);
                }
            }
            t
        } else {
            let (bw, bh) = self.sizes[level - 1];
            let (nx, ny) = (bw.div_ceil(ts), bh.div_ceil(ts));
            let kids: Vec<(usize, usize)> = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .into_iter()
                .map(|(a, b)| (2 * col + a, 2 * row + b))
                .filter(|&(c, r)| c < nx && r < ny)
                .collect();
            let below: Vec<Option<Vec<T>>> =
                kids.par_iter().map(|&(c, r)| self.produce(level - 1, c, r)).collect::<Result<_>>()?;
            if below.iter().all(Option::is_none) {
                // Halving a constant NoData (or, without NoData, all-0) block gives the same constant.
                None
            } else {
                let mut t = vec![self.fill; ts * ts * spp];
                let half = ts / 2;
                for (&(c, r), kid) in kids.iter().zip(&below) {
                    if let Some(k) = kid {
                        let extent = ((bw - c * ts).min(ts), (bh - r * ts).min(ts));
                        let at = ((r - 2 * row) * half * ts + (c - 2 * col) * half) * spp;
                        halve_block(k, ts, extent, spp, self.nodata, self.opts.resampling, &mut t[at..], ts);
                    }
                }
                Some(t)
            }
        };
        self.store(level, row * lw.div_ceil(ts) + col, data.as_deref())?;
        Ok(data)
    }

    /// Compresses a tile and records it: the shared constant tile, or appended to the spill file.
    fn store(&self, level: usize, index: usize, data: Option<&[T]>) -> Result<()> {
        let ts = self.opts.tile_size;
        let bytes =
            data.map(|v| deflate(&encode_samples(v, predictor_for::<T>(), ts, self.spp), self.opts.deflate_level));
        let mut sink = self.sink.lock().expect("unpoisoned");
        let stored = match bytes {
            Some(b) if b != self.fill_bytes => {
                sink.spill.write_all(&b).map_err(|e| Error::io(self.path, e))?;
                let at = sink.pos;
                sink.pos += b.len() as u64;
                Stored::Spilled { at, len: b.len() as u32 }
            }
            _ => Stored::Fill,
        };
        sink.tables[level][index] = Some(stored);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::overview::{halve, Resampling};
    use crate::raster::{read_geotiff_overview, write_cog, write_cog_bands, BigTiff};
    use zwilling_core::Grid;

    /// The in-memory writer as it was before streaming (session 5): each level whole, overviews by
    /// halving the whole image, tiles cut row-major and compressed — the oracle the streamed
    /// pyramid must reproduce byte for byte. Only the file assembly is shared.
    fn reference<T: Sample>(path: &Path, data: &[T], raster: &StreamedRaster, opts: &CogOptions) {
        let (ts, spp) = (opts.tile_size, raster.bands);
        let fill = T::from_f64(raster.nodata.unwrap_or(0.0));
        let (mut w, mut h, mut data) = (raster.width, raster.height, data.to_vec());
        let (mut levels, mut tiles) = (Vec::new(), Vec::new());
        loop {
            let (nx, ny) = (w.div_ceil(ts), h.div_ceil(ts));
            let level: Vec<Vec<u8>> = (0..nx * ny)
                .map(|t| {
                    let mut tile = vec![fill; ts * ts * spp];
                    for r in 0..ts {
                        for c in 0..ts {
                            let (x, y) = ((t % nx) * ts + c, (t / nx) * ts + r);
                            if x < w && y < h {
                                for s in 0..spp {
                                    tile[(r * ts + c) * spp + s] = data[(y * w + x) * spp + s];
                                }
                            }
                        }
                    }
                    deflate(&encode_samples(&tile, predictor_for::<T>(), ts, spp), opts.deflate_level)
                })
                .collect();
            levels.push(LevelTiles { width: w, height: h, counts: level.iter().map(|t| t.len() as u32).collect() });
            tiles.push(level);
            if !opts.overviews || (w <= ts && h <= ts) {
                break;
            }
            (data, w, h) = halve(&data, w, h, spp, raster.nodata, opts.resampling);
        }
        assemble::<T>(path, raster, opts, &levels, |l, i, buf| {
            buf.clear();
            buf.extend_from_slice(&tiles[l][i]);
            Ok(())
        })
        .unwrap();
    }

    /// Tile `(col, row)` of a pixel-interleaved image, `None` when every cell in it is NoData.
    fn tile_of<T: Sample>(data: &[T], r: &StreamedRaster, ts: usize, col: usize, row: usize) -> Option<Vec<T>> {
        let spp = r.bands;
        // Beyond the edges: garbage, which the writer must replace by NoData.
        let mut tile = vec![T::from_f64(7.0); ts * ts * spp];
        let mut all_nodata = true;
        for y in row * ts..((row + 1) * ts).min(r.height) {
            for x in col * ts..((col + 1) * ts).min(r.width) {
                for s in 0..spp {
                    let v = data[(y * r.width + x) * spp + s];
                    let f = v.to_f64();
                    all_nodata &= f.is_nan() || r.nodata.is_some_and(|nd| f == nd);
                    tile[((y - row * ts) * ts + x - col * ts) * spp + s] = v;
                }
            }
        }
        (!all_nodata).then_some(tile)
    }

    fn grid<T: Sample>(w: usize, h: usize, nodata: Option<f64>, f: impl Fn(usize, usize) -> T) -> Grid<T> {
        let mut g = Grid::filled(w, h, GeoTransform::new(350_000.25, 5_700_100.5, 0.5), T::default());
        for r in 0..h {
            for c in 0..w {
                g.data[r * w + c] = f(c, r);
            }
        }
        g.crs = CrsInfo::compound(25832, 7837);
        g.nodata = nodata;
        g
    }

    /// Writes `bands` three ways — reference, `write_cog(_bands)`, streamed with `None` for
    /// all-NoData tiles on 1 and 3 threads — and asserts the same bytes; returns them.
    fn same_bytes<T: Sample>(bands: &[Grid<T>], opts: &CogOptions) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let g = &bands[0];
        let raster = StreamedRaster {
            width: g.width,
            height: g.height,
            transform: g.transform,
            crs: &g.crs,
            nodata: g.nodata,
            bands: bands.len(),
        };
        let data: Vec<T> = (0..g.len()).flat_map(|i| bands.iter().map(move |b| b.data[i])).collect();
        reference(&dir.path().join("ref.tif"), &data, &raster, opts);
        let expected = std::fs::read(dir.path().join("ref.tif")).unwrap();
        let p = dir.path().join("out.tif");
        if bands.len() == 1 {
            write_cog(&p, g, opts).unwrap();
        } else {
            write_cog_bands(&p, bands, opts).unwrap();
        }
        assert!(std::fs::read(&p).unwrap() == expected, "write_cog differs from the reference");
        let ts = opts.tile_size;
        let n_tiles = g.width.div_ceil(ts) * g.height.div_ceil(ts);
        for threads in [1, 3] {
            let calls = Mutex::new(vec![0u32; n_tiles]);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                write_cog_streamed(&p, &raster, opts, &|col, row| {
                    calls.lock().unwrap()[row * g.width.div_ceil(ts) + col] += 1;
                    Ok(tile_of(&data, &raster, ts, col, row))
                })
            })
            .unwrap();
            assert!(calls.into_inner().unwrap().iter().all(|&n| n == 1), "each tile requested exactly once");
            assert!(std::fs::read(&p).unwrap() == expected, "streamed on {threads} threads differs");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary files left");
        expected
    }

    fn with_ts(ts: usize) -> CogOptions {
        CogOptions { tile_size: ts, ..Default::default() }
    }

    #[test]
    fn f32_nan_band_mostly_nodata_tiles() {
        // 700 × 600 at 64: 11 × 10 tiles with partial edges, levels 700, 350, 175, 88, 44.
        let band = |c: usize, r: usize| {
            if c.abs_diff(r) < 40 {
                (c as f32 * 0.37).sin() * 10.0 + r as f32 * 0.01
            } else {
                f32::NAN
            }
        };
        let g = grid(700, 600, Some(f64::NAN), band);
        let bytes = same_bytes(&[g], &with_ts(64));
        // An overview pixel on the band is the mean of its 2 × 2 block (independent check of the values).
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.tif"), bytes).unwrap();
        let ov = &read_geotiff_overview(&dir.path().join("a.tif"), 0).unwrap()[0];
        assert_eq!(ov.size(), (350, 300));
        let mean =
            (band(200, 200) as f64 + band(201, 200) as f64 + band(200, 201) as f64 + band(201, 201) as f64) / 4.0;
        assert_eq!(ov.get_f64(100, 100), Some(mean as f32 as f64));
        assert!(ov.get_f64(300, 10).unwrap().is_nan());
    }

    #[test]
    fn rgb_u8_three_bands() {
        let bands: Vec<Grid<u8>> =
            (0..3).map(|b| grid(300, 200, None, move |c, r| ((c * (b + 1) + r * 3) % 251) as u8)).collect();
        same_bytes(&bands, &with_ts(64));
    }

    #[test]
    fn u16_nearest_and_f64_without_nodata() {
        let g = grid(257, 130, Some(0.0), |c, r| if (c + r) % 7 == 0 || c > 200 { 0 } else { (c * 13 + r) as u16 });
        same_bytes(&[g], &CogOptions { resampling: Resampling::Nearest, ..with_ts(32) });
        // f64 without NoData: `None` tiles are all 0, and the overview keeps them 0.
        let g = grid(150, 90, None, |c, r| if r < 40 { (c as f64).hypot(r as f64) } else { 0.0 });
        same_bytes(&[g], &with_ts(32));
    }

    #[test]
    fn one_tile_no_overviews_bigtiff_i16() {
        same_bytes(&[grid(100, 90, Some(-1.0), |c, r| (c * r) as f32)], &with_ts(128));
        let g = grid(500, 300, Some(-9999.0), |c, r| if r > 100 { -9999.0 } else { c as f32 });
        same_bytes(&[g], &CogOptions { overviews: false, ..with_ts(64) });
        let g = grid(333, 222, Some(-9999.0), |c, r| if c < 50 { -9999 } else { c as i16 - r as i16 });
        let opts = CogOptions { bigtiff: BigTiff::Always, metadata: vec![("A".into(), "b".into())], ..with_ts(48) };
        let bytes = same_bytes(&[g], &opts);
        assert_eq!(&bytes[..4], b"II\x2b\x00", "BigTIFF header");
    }

    #[test]
    fn callback_error_aborts_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.tif");
        let crs = CrsInfo::default();
        let raster = StreamedRaster {
            width: 300,
            height: 200,
            transform: GeoTransform::new(0.0, 0.0, 1.0),
            crs: &crs,
            nodata: Some(-9999.0),
            bands: 1,
        };
        let opts = with_ts(64);
        let e = write_cog_streamed::<f32>(&p, &raster, &opts, &|col, row| {
            if (col, row) == (3, 2) {
                Err(Error::invalid("sensor exploded"))
            } else {
                Ok(Some(vec![1.0; 64 * 64]))
            }
        })
        .unwrap_err();
        assert!(e.to_string().contains("sensor exploded"), "{e}");
        let e = write_cog_streamed::<f32>(&p, &raster, &opts, &|_, _| Ok(Some(vec![1.0; 10]))).unwrap_err();
        assert!(e.to_string().contains("out.tif") && e.to_string().contains("expected 4096"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no output and no temporary file");
    }
}
