//! Windowed GeoTIFF reading: a rectangle of cells of the full-resolution image, decoding only the
//! tiles or strips that intersect it, so that memory and I/O grow with the window, not the file.
//!
//! The window `[col0, col0 + cols) × [row0, row0 + rows)` is given in cells of the image (column
//! 0 west, row 0 north). The result is a [`Grid`] of `cols × rows` cells whose transform is the
//! file's shifted to the window's top-left corner (`origin_x + col0 · cell_x`,
//! `origin_y − row0 · cell_y`), with the file's CRS and NoData; its values are exactly those of the
//! same cut of a full read ([`read_geotiff`](super::read_geotiff)): the same decoder (strips or
//! tiles, none / Deflate / LZW / PackBits, predictors 1–3, any sample type, BigTIFF) runs on the
//! intersecting blocks only (TIFF 6.0 §3 strips, §15 tiles). A strip file has blocks as wide as
//! the image, so a window of it reads whole rows of the strips it touches (`cols` has no effect
//! on I/O there); a tiled file (COG) reads only the tiles it touches.
//!
//! A window that is empty or reaches beyond the image is an [`Error::BadFile`] naming the file and
//! the image size.
//!
//! ```no_run
//! use zwilling_io::raster::read_geotiff_window_f32;
//! // 1000 × 1000 cells starting at column 2000, row 500 (plus nothing else of the file).
//! let w = read_geotiff_window_f32(std::path::Path::new("dem.tif"), 2000, 500, 1000, 1000).unwrap();
//! assert_eq!((w.width, w.height), (1000, 1000));
//! ```

use std::path::Path;

use zwilling_core::{Error, Grid, Result};

use super::read::{decode_region, Georef, ImageDir, RasterData};
use super::sample::SampleType;
use super::tiff_ifd::TiffFile;

/// Reads the window of `cols × rows` cells at column `col0`, row `row0` of a single-band
/// GeoTIFF's full-resolution image, in the file's sample type. Only the blocks that intersect the
/// window are read. An empty window, one beyond the image, or a multi-band file is an error
/// naming the file.
pub fn read_geotiff_window(path: &Path, col0: usize, row0: usize, cols: usize, rows: usize) -> Result<RasterData> {
    let tf = TiffFile::open(path)?;
    let ifds = tf.ifds()?;
    let dir = ImageDir::parse(&tf, &ifds[0].1)?;
    let geo = Georef::parse(&tf, &ifds[0].1)?;
    if dir.spp != 1 {
        return Err(Error::bad_file(path, format!("has {} bands where one was expected for a window read", dir.spp)));
    }
    let inside = |start: usize, len: usize, size: usize| start.checked_add(len).is_some_and(|end| end <= size);
    if cols == 0 || rows == 0 || !inside(col0, cols, dir.width) || !inside(row0, rows, dir.height) {
        return Err(Error::bad_file(
            path,
            format!(
                "window of {cols} × {rows} cells at column {col0}, row {row0} does not lie inside the image of \
                 {} × {} cells",
                dir.width, dir.height
            ),
        ));
    }
    let mut transform = geo.transform;
    transform.origin_x += col0 as f64 * transform.cell_x;
    transform.origin_y -= row0 as f64 * transform.cell_y;
    macro_rules! band {
        ($t:ty, $v:ident) => {{
            let data = decode_region::<$t>(&tf, &dir, geo.nodata, [col0, row0, cols, rows])?.swap_remove(0);
            RasterData::$v(Grid {
                width: cols,
                height: rows,
                data,
                transform,
                crs: geo.crs.clone(),
                nodata: geo.nodata,
            })
        }};
    }
    Ok(match dir.sample_type {
        SampleType::U8 => band!(u8, U8),
        SampleType::I8 => band!(i8, I8),
        SampleType::U16 => band!(u16, U16),
        SampleType::I16 => band!(i16, I16),
        SampleType::U32 => band!(u32, U32),
        SampleType::I32 => band!(i32, I32),
        SampleType::F32 => band!(f32, F32),
        SampleType::F64 => band!(f64, F64),
    })
}

/// [`read_geotiff_window`] converted to f32 as [`read_geotiff_f32`](super::read_geotiff_f32)
/// converts a full read (so a window equals the same cut of `read_geotiff_f32`, bit for bit).
pub fn read_geotiff_window_f32(path: &Path, col0: usize, row0: usize, cols: usize, rows: usize) -> Result<Grid<f32>> {
    Ok(read_geotiff_window(path, col0, row0, cols, rows)?.to_f32())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{read_geotiff_f32, write_cog, CogOptions};
    use zwilling_core::GeoTransform;

    /// 70 × 50 cells in 16 × 16 tiles (5 × 4 tiles, partial at the right and bottom edges);
    /// value = 1000·row + col, so every cell names its position.
    fn cog(dir: &Path) -> std::path::PathBuf {
        let mut g = Grid::filled(70, 50, GeoTransform::new(1000.0, 2000.0, 0.5), 0f32);
        for (i, v) in g.data.iter_mut().enumerate() {
            *v = (1000 * (i / 70) + i % 70) as f32;
        }
        g.nodata = Some(-9999.0);
        let p = dir.join("w.tif");
        write_cog(&p, &g, &CogOptions { tile_size: 16, ..Default::default() }).unwrap();
        p
    }

    #[test]
    fn window_holds_its_cells_and_shifted_transform() {
        let dir = tempfile::tempdir().unwrap();
        let p = cog(dir.path());
        let full = read_geotiff_f32(&p).unwrap();
        // Inside one tile, across tile corners, and touching the partial last tiles.
        for (c0, r0, w, h) in [(1, 2, 3, 4), (14, 15, 5, 20), (60, 40, 10, 10), (0, 0, 70, 50), (69, 49, 1, 1)] {
            let g = read_geotiff_window_f32(&p, c0, r0, w, h).unwrap();
            assert_eq!((g.width, g.height), (w, h));
            for r in 0..h {
                for c in 0..w {
                    assert_eq!(g.data[r * w + c], (1000 * (r0 + r) + c0 + c) as f32, "window {c0},{r0} cell {c},{r}");
                }
            }
            assert_eq!(
                g.transform.to_gdal(),
                [1000.0 + 0.5 * c0 as f64, 0.5, 0.0, 2000.0 - 0.5 * r0 as f64, 0.0, -0.5]
            );
            assert_eq!(g.transform.cell_center(0, 0), full.transform.cell_center(c0, r0));
            assert_eq!((g.nodata, &g.crs), (full.nodata, &full.crs));
        }
    }

    #[test]
    fn bad_windows_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = cog(dir.path());
        for (c0, r0, w, h) in [(0, 0, 71, 1), (0, 45, 1, 6), (70, 0, 1, 1), (0, 0, 0, 5), (usize::MAX, 0, 2, 1)] {
            let e = read_geotiff_window_f32(&p, c0, r0, w, h).unwrap_err().to_string();
            assert!(e.contains("w.tif") && e.contains("70 × 50"), "{e}");
        }
    }
}
