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
//! ```no_run
//! use zwilling_core::{CrsInfo, GeoTransform, Grid};
//! use zwilling_io::raster::{write_cog, CogOptions};
//! let mut dtm = Grid::filled(2000, 1500, GeoTransform::new(350_000.0, 5_700_000.0, 0.5), -9999.0f32);
//! dtm.crs = CrsInfo::compound(25832, 7837);
//! dtm.nodata = Some(-9999.0);
//! write_cog(std::path::Path::new("dtm.tif"), &dtm, &CogOptions::default()).unwrap();
//! ```

use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;
use zwilling_core::{Error, Grid, Result};

use super::codec::{deflate, encode_samples, COMPRESSION_DEFLATE};
use super::geokeys::encode_geokeys;
use super::overview::{halve, Resampling};
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

/// Options of [`write_cog`].
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
    check_grid(path, grid)?;
    let image = Image { data: Cow::Borrowed(&grid.data[..]), width: grid.width, height: grid.height, spp: 1 };
    write_image(path, image, grid, opts)
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
    let spp = bands.len();
    let mut data = Vec::with_capacity(first.len() * spp);
    for i in 0..first.len() {
        data.extend(bands.iter().map(|b| b.data[i]));
    }
    let image = Image { data: Cow::Owned(data), width: first.width, height: first.height, spp };
    write_image(path, image, first, opts)
}

fn check_grid<T>(path: &Path, g: &Grid<T>) -> Result<()> {
    let t = &g.transform;
    if g.width == 0 || g.height == 0 || g.data.len() != g.width * g.height {
        return Err(Error::invalid(format!(
            "{}: cannot write a {} × {} grid holding {} values",
            path.display(),
            g.width,
            g.height,
            g.data.len()
        )));
    }
    if !(t.cell_x > 0.0 && t.cell_y > 0.0 && t.origin_x.is_finite() && t.origin_y.is_finite()) {
        return Err(Error::invalid(format!("{}: invalid georeferencing {:?}", path.display(), t)));
    }
    if g.width > u32::MAX as usize || g.height > u32::MAX as usize {
        return Err(Error::invalid(format!("{}: grid too large for TIFF", path.display())));
    }
    Ok(())
}

struct Image<'a, T: Clone> {
    data: Cow<'a, [T]>,
    width: usize,
    height: usize,
    spp: usize,
}

/// One resolution level: size and compressed tiles in row-major order.
struct Level {
    width: usize,
    height: usize,
    tiles: Vec<Vec<u8>>,
}

fn write_image<T: Sample, G>(path: &Path, image: Image<'_, T>, georef: &Grid<G>, opts: &CogOptions) -> Result<()> {
    let ts = opts.tile_size;
    if ts < 16 || !ts.is_multiple_of(16) || ts > 65_536 {
        return Err(Error::invalid(format!("tile size {ts} must be a multiple of 16 between 16 and 65536")));
    }
    if !(1..=9).contains(&opts.deflate_level) {
        return Err(Error::invalid(format!("deflate level {} must be 1–9", opts.deflate_level)));
    }
    let predictor = if T::TYPE.is_float() { 3 } else { 2 };
    let fill = T::from_f64(georef.nodata.unwrap_or(0.0));
    let spp = image.spp;
    let mut levels = Vec::new();
    let (mut w, mut h) = (image.width, image.height);
    let mut data = image.data;
    loop {
        let tiles = compress_level(&data, w, h, spp, ts, predictor, fill, opts.deflate_level);
        levels.push(Level { width: w, height: h, tiles });
        if !opts.overviews || (w <= ts && h <= ts) {
            break;
        }
        let (d, nw, nh) = halve(&data, w, h, spp, georef.nodata, opts.resampling);
        data = Cow::Owned(d);
        (w, h) = (nw, nh);
    }
    drop(data);

    let ifds_for = |bigtiff: bool, offsets: &[Vec<u64>]| -> Vec<IfdBuilder> {
        levels
            .iter()
            .enumerate()
            .map(|(i, l)| ifd_for::<T, G>(l, i, spp, ts, predictor, georef, opts, bigtiff, &offsets[i]))
            .collect()
    };
    let zero_offsets: Vec<Vec<u64>> = levels.iter().map(|l| vec![0; l.tiles.len()]).collect();
    let data_len: u64 = levels.iter().flat_map(|l| &l.tiles).map(|t| t.len() as u64 + 8).sum();
    let layout = |bigtiff: bool| -> (u64, Vec<u64>, u64) {
        let header = if bigtiff { 16 } else { 8 };
        let first = header + GHOST.len() as u64;
        let first = first + (first & 1);
        let mut at = first;
        let mut ifd_at = Vec::new();
        for ifd in ifds_for(bigtiff, &zero_offsets) {
            ifd_at.push(at);
            at += ifd.encoded_len(bigtiff);
        }
        (first, ifd_at, at)
    };
    let bigtiff = match opts.bigtiff {
        BigTiff::Always => true,
        BigTiff::Never => false,
        BigTiff::Auto => layout(false).2 + data_len > u32::MAX as u64,
    };
    let (_, ifd_at, data_start) = layout(bigtiff);
    if !bigtiff && data_start + data_len > u32::MAX as u64 {
        return Err(Error::invalid(format!("{}: output exceeds 4 GiB; allow BigTIFF", path.display())));
    }
    // Data offsets: smallest overview first, full resolution last; +4 skips each tile's leader.
    let mut offsets: Vec<Vec<u64>> = zero_offsets;
    let mut at = data_start;
    for (li, l) in levels.iter().enumerate().rev() {
        for (ti, t) in l.tiles.iter().enumerate() {
            offsets[li][ti] = at + 4;
            at += t.len() as u64 + 8;
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
        for l in levels.iter().rev() {
            for t in &l.tiles {
                w.write_all(&(t.len() as u32).to_le_bytes())?;
                w.write_all(t)?;
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

#[allow(clippy::too_many_arguments)]
fn compress_level<T: Sample>(
    data: &[T],
    w: usize,
    h: usize,
    spp: usize,
    ts: usize,
    predictor: u16,
    fill: T,
    level: u32,
) -> Vec<Vec<u8>> {
    let (nx, ny) = (w.div_ceil(ts), h.div_ceil(ts));
    (0..nx * ny)
        .into_par_iter()
        .map(|t| {
            let (tx, ty) = (t % nx, t / nx);
            let mut tile = vec![fill; ts * ts * spp];
            let (x0, y0) = (tx * ts, ty * ts);
            let cw = (w - x0).min(ts);
            for r in 0..(h - y0).min(ts) {
                let src = ((y0 + r) * w + x0) * spp;
                tile[r * ts * spp..(r * ts + cw) * spp].copy_from_slice(&data[src..src + cw * spp]);
            }
            deflate(&encode_samples(&tile, predictor, ts, spp), level)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn ifd_for<T: Sample, G>(
    l: &Level,
    index: usize,
    spp: usize,
    ts: usize,
    predictor: u16,
    georef: &Grid<G>,
    opts: &CogOptions,
    bigtiff: bool,
    offsets: &[u64],
) -> IfdBuilder {
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
    let counts: Vec<u32> = l.tiles.iter().map(|t| t.len() as u32).collect();
    if bigtiff {
        ifd.set(tag::TILE_OFFSETS, TagValue::Long8(offsets.to_vec()));
    } else {
        ifd.set(tag::TILE_OFFSETS, TagValue::Long(offsets.iter().map(|&o| o as u32).collect()));
    }
    ifd.set(tag::TILE_BYTE_COUNTS, TagValue::Long(counts));
    if spp > 1 {
        let extra = if rgb { vec![2; spp - 3] } else { vec![0; spp - 1] };
        if !extra.is_empty() {
            ifd.set(tag::EXTRA_SAMPLES, TagValue::Short(extra));
        }
    }
    ifd.set(tag::SAMPLE_FORMAT, TagValue::Short(vec![sample_format(T::TYPE); spp]));
    if index == 0 {
        let t = &georef.transform;
        ifd.set(tag::MODEL_PIXEL_SCALE, TagValue::Double(vec![t.cell_x, t.cell_y, 0.0]));
        ifd.set(tag::MODEL_TIEPOINT, TagValue::Double(vec![0.0, 0.0, 0.0, t.origin_x, t.origin_y, 0.0]));
        if let Some(keys) = encode_geokeys(&super::crs_with_codes(&georef.crs)) {
            ifd.set(tag::GEO_KEY_DIRECTORY, TagValue::Short(keys));
        }
        if !opts.metadata.is_empty() {
            ifd.set(tag::GDAL_METADATA, TagValue::Ascii(gdal_metadata_xml(&opts.metadata)));
        }
    }
    if let Some(nd) = georef.nodata {
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
