//! Cloud-Optimised GeoTIFF writer: tiled, Deflate + predictor, internal overviews, GeoKeys, NoData.
//!
//! File layout (as GDAL's COG driver writes it, GDAL RFC / `frmts/gtiff/cogdriver.cpp`, checked by
//! GDAL's `validate_cloud_optimized_geotiff.py --full-check` and rio-cogeo strict):
//! 1. TIFF or BigTIFF header, then GDAL's "ghost area" of structural metadata
//!    (`LAYOUT=IFDS_BEFORE_DATA`, `BLOCK_ORDER=ROW_MAJOR`, `BLOCK_LEADER=SIZE_AS_UINT4`,
//!    `BLOCK_TRAILER=LAST_4_BYTES_REPEATED`), padded so the first IFD starts on an even offset;
//! 2. the IFD of the full-resolution image, then the IFDs of the overviews from large to small,
//!    each followed by its out-of-line tag values (tile offsets and byte counts included);
//! 3. tile data from the smallest overview to the full-resolution image, tiles row-major within a
//!    level, each tile preceded by its byte count as a little-endian u32 and followed by a copy of
//!    its last 4 bytes.
//!
//! Tiles are `tile_size²` (512 by default, edge tiles padded with NoData), Deflate-compressed with
//! predictor 2 (integers) or 3 (floats), compressed in parallel with rayon; the bytes do not depend
//! on the thread count. Overviews halve until the level fits in one tile. BigTIFF is chosen when the
//! classic layout would pass 4 GiB (or when forced). The file is written beside the target under a
//! temporary name and renamed into place, so a failed write leaves no partial file.
//!
//! There is one writer: [`write_cog`] and [`write_cog_bands`] cut tiles from grids in memory and
//! hand them to [`write_cog_streamed`](super::write_cog_streamed), which computes the overviews
//! tile by tile, spills compressed tiles to a temporary file and then assembles the layout above
//! ([`assemble`]). Rasters too large for memory go to `write_cog_streamed` directly.
//!
//! ```no_run
//! use zwilling_core::{CrsInfo, GeoTransform, Grid};
//! use zwilling_io::raster::{write_cog, CogOptions};
//! let mut dtm = Grid::filled(2000, 1500, GeoTransform::new(350_000.0, 5_700_000.0, 0.5), -9999.0f32);
//! dtm.crs = CrsInfo::compound(25832, 7837);
//! dtm.nodata = Some(-9999.0);
//! write_cog(std::path::Path::new("dtm.tif"), &dtm, &CogOptions::default()).unwrap();
//! ```

use std::io::{BufWriter, Write};
use std::path::Path;

use zwilling_core::{Error, Grid, Result};

use super::codec::COMPRESSION_DEFLATE;
use super::cog_stream::{write_cog_streamed, StreamedRaster};
use super::geokeys::encode_geokeys;
use super::overview::Resampling;
use super::sample::{Sample, SampleType};
use super::tiff_ifd::{tag, IfdBuilder, TagValue};
use super::write_atomic;

/// GDAL's structural metadata block written right after the header (140 bytes after the first line).
const GHOST: &str = "GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\nLAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\n\
BLOCK_LEADER=SIZE_AS_UINT4\nBLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ";

/// When to write BigTIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigTiff {
    /// BigTIFF only when the file would exceed 4 GiB.
    #[default]
    Auto,
    /// Always BigTIFF.
    Always,
    /// Never BigTIFF (a file over 4 GiB is then an error).
    Never,
}

/// Options of [`write_cog`] and [`write_cog_streamed`](super::write_cog_streamed).
#[derive(Debug, Clone, PartialEq)]
pub struct CogOptions {
    /// Tile width and height in pixels, a multiple of 16 (default 512).
    pub tile_size: usize,
    /// Write internal overviews (default true).
    pub overviews: bool,
    /// Overview resampling (default average; use nearest for classes).
    pub resampling: Resampling,
    /// Deflate level 1–9 (default 6).
    pub deflate_level: u32,
    /// BigTIFF choice (default automatic).
    pub bigtiff: BigTiff,
    /// Dataset metadata items written to the GDAL_METADATA tag (shown by `gdalinfo`).
    pub metadata: Vec<(String, String)>,
}

impl Default for CogOptions {
    fn default() -> Self {
        CogOptions {
            tile_size: 512,
            overviews: true,
            resampling: Resampling::Average,
            deflate_level: 6,
            bigtiff: BigTiff::Auto,
            metadata: vec![],
        }
    }
}

/// Writes a single-band grid as a Cloud-Optimised GeoTIFF at `path` (atomically).
pub fn write_cog<T: Sample>(path: &Path, grid: &Grid<T>, opts: &CogOptions) -> Result<()> {
    write_cog_bands(path, std::slice::from_ref(grid), opts)
}

/// Writes bands of equal shape as one pixel-interleaved COG (3 × u8 = RGB, 4 × u8 = RGBA, other
/// counts grey + extra samples). Georeferencing, CRS and NoData are taken from the first band.
pub fn write_cog_bands<T: Sample>(path: &Path, bands: &[Grid<T>], opts: &CogOptions) -> Result<()> {
    let first = bands.first().ok_or_else(|| Error::invalid(format!("{}: no bands to write", path.display())))?;
    for b in bands {
        check_grid(path, b)?;
        if (b.width, b.height) != (first.width, first.height) || b.transform != first.transform {
            return Err(Error::invalid(format!("{}: bands differ in size or georeferencing", path.display())));
        }
    }
    let raster = StreamedRaster {
        width: first.width,
        height: first.height,
        transform: first.transform,
        crs: &first.crs,
        nodata: first.nodata,
        bands: bands.len(),
    };
    let data: Vec<&[T]> = bands.iter().map(|b| &b.data[..]).collect();
    let fill = T::from_f64(first.nodata.unwrap_or(0.0));
    let ts = opts.tile_size;
    write_cog_streamed(path, &raster, opts, &|col, row| {
        Ok(Some(cut_tile(&data, first.width, first.height, (col, row), ts, fill)))
    })
}

/// The tile at `(col, row)` of pixel-interleaved bands, padded with `fill` beyond the edges.
fn cut_tile<T: Sample>(bands: &[&[T]], w: usize, h: usize, at: (usize, usize), ts: usize, fill: T) -> Vec<T> {
    let spp = bands.len();
    let mut tile = vec![fill; ts * ts * spp];
    let (x0, y0) = (at.0 * ts, at.1 * ts);
    let cw = (w - x0).min(ts);
    for r in 0..(h - y0).min(ts) {
        let src = (y0 + r) * w + x0;
        let dst = &mut tile[r * ts * spp..(r * ts + cw) * spp];
        if let [band] = bands {
            dst.copy_from_slice(&band[src..src + cw]);
        } else {
            for (c, px) in dst.chunks_exact_mut(spp).enumerate() {
                for (s, band) in px.iter_mut().zip(bands) {
                    *s = band[src + c];
                }
            }
        }
    }
    tile
}

fn check_grid<T>(path: &Path, g: &Grid<T>) -> Result<()> {
    if g.data.len() != g.width * g.height {
        return Err(Error::invalid(format!(
            "{}: cannot write a {} × {} grid holding {} values",
            path.display(),
            g.width,
            g.height,
            g.data.len()
        )));
    }
    Ok(())
}

/// Checks the shape and georeferencing of a raster before anything is written.
pub(crate) fn check_raster(path: &Path, r: &StreamedRaster) -> Result<()> {
    let t = &r.transform;
    if r.width == 0 || r.height == 0 || r.bands == 0 || r.bands > u16::MAX as usize {
        return Err(Error::invalid(format!(
            "{}: cannot write a {} × {} raster of {} bands",
            path.display(),
            r.width,
            r.height,
            r.bands
        )));
    }
    if !(t.cell_x > 0.0 && t.cell_y > 0.0 && t.origin_x.is_finite() && t.origin_y.is_finite()) {
        return Err(Error::invalid(format!("{}: invalid georeferencing {:?}", path.display(), t)));
    }
    if r.width > u32::MAX as usize || r.height > u32::MAX as usize {
        return Err(Error::invalid(format!("{}: grid too large for TIFF", path.display())));
    }
    Ok(())
}

/// Checks tile size and Deflate level.
pub(crate) fn check_options(opts: &CogOptions) -> Result<()> {
    let ts = opts.tile_size;
    if ts < 16 || !ts.is_multiple_of(16) || ts > 65_536 {
        return Err(Error::invalid(format!("tile size {ts} must be a multiple of 16 between 16 and 65536")));
    }
    if !(1..=9).contains(&opts.deflate_level) {
        return Err(Error::invalid(format!("deflate level {} must be 1–9", opts.deflate_level)));
    }
    Ok(())
}

/// The predictor the writer uses for a sample type: 3 for floats, 2 for integers.
pub(crate) fn predictor_for<T: Sample>() -> u16 {
    if T::TYPE.is_float() {
        3
    } else {
        2
    }
}

/// One resolution level as the assembler sees it: size and compressed byte count of each tile
/// (row-major).
pub(crate) struct LevelTiles {
    pub width: usize,
    pub height: usize,
    pub counts: Vec<u32>,
}

/// Writes the COG file (header, ghost area, IFDs, tile data smallest overview first) atomically.
/// `levels[0]` is full resolution; `tile_bytes(level, index, buf)` replaces `buf` with the
/// compressed bytes of a tile (exactly `counts[index]` of them) and is called in file order.
pub(crate) fn assemble<T: Sample>(
    path: &Path,
    raster: &StreamedRaster,
    opts: &CogOptions,
    levels: &[LevelTiles],
    mut tile_bytes: impl FnMut(usize, usize, &mut Vec<u8>) -> std::io::Result<()>,
) -> Result<()> {
    let ifds_for = |bigtiff: bool, offsets: &[Vec<u64>]| -> Vec<IfdBuilder> {
        levels.iter().enumerate().map(|(i, l)| ifd_for::<T>(l, i, raster, opts, bigtiff, &offsets[i])).collect()
    };
    let zero_offsets: Vec<Vec<u64>> = levels.iter().map(|l| vec![0; l.counts.len()]).collect();
    let data_len: u64 = levels.iter().flat_map(|l| &l.counts).map(|&c| c as u64 + 8).sum();
    let layout = |bigtiff: bool| -> (Vec<u64>, u64) {
        let header = if bigtiff { 16 } else { 8 };
        let first = header + GHOST.len() as u64;
        let mut at = first + (first & 1);
        let mut ifd_at = Vec::new();
        for ifd in ifds_for(bigtiff, &zero_offsets) {
            ifd_at.push(at);
            at += ifd.encoded_len(bigtiff);
        }
        (ifd_at, at)
    };
    let bigtiff = match opts.bigtiff {
        BigTiff::Always => true,
        BigTiff::Never => false,
        BigTiff::Auto => layout(false).1 + data_len > u32::MAX as u64,
    };
    let (ifd_at, data_start) = layout(bigtiff);
    if !bigtiff && data_start + data_len > u32::MAX as u64 {
        return Err(Error::invalid(format!("{}: output exceeds 4 GiB; allow BigTIFF", path.display())));
    }
    // Data offsets: smallest overview first, full resolution last; +4 skips each tile's leader.
    let mut offsets: Vec<Vec<u64>> = zero_offsets;
    let mut at = data_start;
    for (li, l) in levels.iter().enumerate().rev() {
        for (ti, &c) in l.counts.iter().enumerate() {
            offsets[li][ti] = at + 4;
            at += c as u64 + 8;
        }
    }
    let ifds = ifds_for(bigtiff, &offsets);

    write_atomic(path, |file| {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        if bigtiff {
            w.write_all(b"II")?;
            w.write_all(&43u16.to_le_bytes())?;
            w.write_all(&8u16.to_le_bytes())?;
            w.write_all(&0u16.to_le_bytes())?;
            w.write_all(&ifd_at[0].to_le_bytes())?;
        } else {
            w.write_all(b"II")?;
            w.write_all(&42u16.to_le_bytes())?;
            w.write_all(&(ifd_at[0] as u32).to_le_bytes())?;
        }
        w.write_all(GHOST.as_bytes())?;
        if (GHOST.len() + if bigtiff { 16 } else { 8 }) & 1 == 1 {
            w.write_all(&[0])?;
        }
        for (i, ifd) in ifds.iter().enumerate() {
            let next = ifd_at.get(i + 1).copied().unwrap_or(0);
            w.write_all(&ifd.encode(ifd_at[i], next, bigtiff))?;
        }
        let mut t = Vec::new();
        for (li, l) in levels.iter().enumerate().rev() {
            for (ti, &c) in l.counts.iter().enumerate() {
                tile_bytes(li, ti, &mut t)?;
                if t.len() != c as usize || t.is_empty() {
                    return Err(std::io::Error::other(format!("tile {ti} of level {li} changed size")));
                }
                w.write_all(&c.to_le_bytes())?;
                w.write_all(&t)?;
                let mut tail = [0u8; 4];
                let n = t.len().min(4);
                tail[4 - n..].copy_from_slice(&t[t.len() - n..]);
                w.write_all(&tail)?;
            }
        }
        w.flush()?;
        Ok(())
    })
}

fn ifd_for<T: Sample>(
    l: &LevelTiles,
    index: usize,
    raster: &StreamedRaster,
    opts: &CogOptions,
    bigtiff: bool,
    offsets: &[u64],
) -> IfdBuilder {
    let (spp, ts, predictor) = (raster.bands, opts.tile_size, predictor_for::<T>());
    let mut ifd = IfdBuilder::default();
    if index > 0 {
        ifd.set(tag::NEW_SUBFILE_TYPE, TagValue::Long(vec![1]));
    }
    ifd.set(tag::IMAGE_WIDTH, TagValue::Long(vec![l.width as u32]));
    ifd.set(tag::IMAGE_LENGTH, TagValue::Long(vec![l.height as u32]));
    ifd.set(tag::BITS_PER_SAMPLE, TagValue::Short(vec![(T::BYTES * 8) as u16; spp]));
    ifd.set(tag::COMPRESSION, TagValue::Short(vec![COMPRESSION_DEFLATE]));
    let rgb = matches!(T::TYPE, SampleType::U8 | SampleType::U16) && (spp == 3 || spp == 4);
    ifd.set(tag::PHOTOMETRIC, TagValue::Short(vec![if rgb { 2 } else { 1 }]));
    ifd.set(tag::SAMPLES_PER_PIXEL, TagValue::Short(vec![spp as u16]));
    ifd.set(tag::PLANAR_CONFIG, TagValue::Short(vec![1]));
    ifd.set(tag::PREDICTOR, TagValue::Short(vec![predictor]));
    ifd.set(tag::TILE_WIDTH, TagValue::Long(vec![ts as u32]));
    ifd.set(tag::TILE_LENGTH, TagValue::Long(vec![ts as u32]));
    if bigtiff {
        ifd.set(tag::TILE_OFFSETS, TagValue::Long8(offsets.to_vec()));
    } else {
        ifd.set(tag::TILE_OFFSETS, TagValue::Long(offsets.iter().map(|&o| o as u32).collect()));
    }
    ifd.set(tag::TILE_BYTE_COUNTS, TagValue::Long(l.counts.clone()));
    if spp > 1 {
        let extra = if rgb { vec![2; spp - 3] } else { vec![0; spp - 1] };
        if !extra.is_empty() {
            ifd.set(tag::EXTRA_SAMPLES, TagValue::Short(extra));
        }
    }
    ifd.set(tag::SAMPLE_FORMAT, TagValue::Short(vec![sample_format(T::TYPE); spp]));
    if index == 0 {
        let t = &raster.transform;
        ifd.set(tag::MODEL_PIXEL_SCALE, TagValue::Double(vec![t.cell_x, t.cell_y, 0.0]));
        ifd.set(tag::MODEL_TIEPOINT, TagValue::Double(vec![0.0, 0.0, 0.0, t.origin_x, t.origin_y, 0.0]));
        if let Some(keys) = encode_geokeys(&super::crs_with_codes(raster.crs)) {
            ifd.set(tag::GEO_KEY_DIRECTORY, TagValue::Short(keys));
        }
        if !opts.metadata.is_empty() {
            ifd.set(tag::GDAL_METADATA, TagValue::Ascii(gdal_metadata_xml(&opts.metadata)));
        }
    }
    if let Some(nd) = raster.nodata {
        ifd.set(tag::GDAL_NODATA, TagValue::Ascii(format_nodata(nd)));
    }
    ifd
}

fn sample_format(t: SampleType) -> u16 {
    use super::sample::{FORMAT_FLOAT, FORMAT_INT, FORMAT_UINT};
    match t {
        SampleType::F32 | SampleType::F64 => FORMAT_FLOAT,
        SampleType::I8 | SampleType::I16 | SampleType::I32 => FORMAT_INT,
        _ => FORMAT_UINT,
    }
}

/// The GDAL_NODATA text of a value: integers plainly, `nan`, `inf`, else shortest round-trip form.
pub fn format_nodata(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:e}")
    }
}

/// GDAL_METADATA XML for dataset-level items.
fn gdal_metadata_xml(items: &[(String, String)]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut x = String::from("<GDALMetadata>\n");
    for (k, v) in items {
        x.push_str(&format!("  <Item name=\"{}\">{}</Item>\n", esc(k), esc(v)));
    }
    x.push_str("</GDALMetadata>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghost_area_is_gdals() {
        // GDAL's COG driver announces 140 bytes after the 43-byte first line; with the 8-byte
        // header the IFD starts at 8 + 183 = 191, padded to the even offset 192.
        assert_eq!(GHOST.len(), 43 + 140);
        assert!(GHOST.starts_with("GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\n"));
    }

    #[test]
    fn nodata_text() {
        assert_eq!(format_nodata(-9999.0), "-9999");
        assert_eq!(format_nodata(f64::NAN), "nan");
        assert_eq!(format_nodata(-3.4028234663852886e38).parse::<f64>().unwrap(), -3.4028234663852886e38);
        assert_eq!(format_nodata(0.5), "5e-1");
        assert_eq!(
            gdal_metadata_xml(&[("A".into(), "x<y".into())]),
            "<GDALMetadata>\n  <Item name=\"A\">x&lt;y</Item>\n</GDALMetadata>\n"
        );
    }
}
