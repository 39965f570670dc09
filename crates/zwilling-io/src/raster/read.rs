//! GeoTIFF reader: strips and tiles, chunky and planar, uncompressed / Deflate / LZW / PackBits,
//! predictors 1–3, 8–64-bit integer and float samples, classic and BigTIFF, either byte order,
//! GDAL NoData, GeoKeys → [`CrsInfo`], tie point + pixel scale or ModelTransformation, overviews.
//!
//! Sources: TIFF 6.0 (strips §3, tiles §15, planar configuration §8), BigTIFF, OGC GeoTIFF 1.1,
//! GDAL's private tags 42112 (GDAL_METADATA) and 42113 (GDAL_NODATA, an ASCII number). Blocks
//! are read in batches and decoded in parallel; a block with offset or byte count 0 (a sparse
//! block, as GDAL writes them) reads as NoData (or 0). Anything unsupported or corrupt is an
//! [`Error::BadFile`] naming the file, never a panic.
//!
//! ```no_run
//! let dem = zwilling_io::raster::read_geotiff_f32(std::path::Path::new("dem.tif")).unwrap();
//! println!("{} × {} cells, NoData {:?}, {}", dem.width, dem.height, dem.nodata, dem.crs);
//! ```

use std::path::Path;

use rayon::prelude::*;
use zwilling_core::{CrsInfo, Error, GeoTransform, Grid, Result};

use super::codec::{compression_name, decode_samples, decompress};
use super::geokeys::{decode_geokeys, transform_from_matrix, transform_from_tiepoint};
use super::sample::{Sample, SampleType};
use super::tiff_ifd::{tag, Entry, TiffFile};

/// One band of a raster with its sample type.
#[derive(Debug, Clone, PartialEq)]
pub enum RasterData {
    /// Unsigned 8-bit.
    U8(Grid<u8>),
    /// Signed 8-bit.
    I8(Grid<i8>),
    /// Unsigned 16-bit.
    U16(Grid<u16>),
    /// Signed 16-bit.
    I16(Grid<i16>),
    /// Unsigned 32-bit.
    U32(Grid<u32>),
    /// Signed 32-bit.
    I32(Grid<i32>),
    /// 32-bit float.
    F32(Grid<f32>),
    /// 64-bit float.
    F64(Grid<f64>),
}

macro_rules! each_variant {
    ($self:expr, $g:ident => $e:expr) => {
        match $self {
            RasterData::U8($g) => $e,
            RasterData::I8($g) => $e,
            RasterData::U16($g) => $e,
            RasterData::I16($g) => $e,
            RasterData::U32($g) => $e,
            RasterData::I32($g) => $e,
            RasterData::F32($g) => $e,
            RasterData::F64($g) => $e,
        }
    };
}

impl RasterData {
    /// The sample type.
    pub fn sample_type(&self) -> SampleType {
        match self {
            RasterData::U8(_) => SampleType::U8,
            RasterData::I8(_) => SampleType::I8,
            RasterData::U16(_) => SampleType::U16,
            RasterData::I16(_) => SampleType::I16,
            RasterData::U32(_) => SampleType::U32,
            RasterData::I32(_) => SampleType::I32,
            RasterData::F32(_) => SampleType::F32,
            RasterData::F64(_) => SampleType::F64,
        }
    }

    /// Width and height.
    pub fn size(&self) -> (usize, usize) {
        each_variant!(self, g => (g.width, g.height))
    }

    /// Georeferencing.
    pub fn transform(&self) -> GeoTransform {
        each_variant!(self, g => g.transform)
    }

    /// CRS.
    pub fn crs(&self) -> &CrsInfo {
        each_variant!(self, g => &g.crs)
    }

    /// NoData value.
    pub fn nodata(&self) -> Option<f64> {
        each_variant!(self, g => g.nodata)
    }

    /// The value at `(col, row)` as f64.
    pub fn get_f64(&self, col: usize, row: usize) -> Option<f64> {
        each_variant!(self, g => g.get(col, row).map(|v| v.to_f64()))
    }

    /// The band converted to f64 (exact for every sample type).
    pub fn to_f64(&self) -> Grid<f64> {
        each_variant!(self, g => g.map(|v| v.to_f64()))
    }

    /// The band converted to f32 (exact for 8/16-bit integers and f32). The NoData value is kept
    /// as it is; cells equal to it stay equal after conversion as long as it is representable.
    pub fn to_f32(&self) -> Grid<f32> {
        match self {
            RasterData::F32(g) => g.clone(),
            other => each_variant!(other, g => g.map(|v| v.to_f64() as f32)),
        }
    }
}

/// What a GeoTIFF holds, from its directories (no pixel data read).
#[derive(Debug, Clone, PartialEq)]
pub struct GeoTiffInfo {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Number of bands (samples per pixel).
    pub bands: usize,
    /// Sample type.
    pub sample_type: SampleType,
    /// True for a tiled file, false for strips.
    pub tiled: bool,
    /// Block (tile or strip) width and height.
    pub block_size: (usize, usize),
    /// TIFF compression code (1 none, 5 LZW, 8 Deflate, 32773 PackBits, ...).
    pub compression: u16,
    /// Predictor (1 none, 2 horizontal, 3 floating point).
    pub predictor: u16,
    /// True for planar (band-sequential) storage.
    pub planar: bool,
    /// True for BigTIFF.
    pub bigtiff: bool,
    /// Sizes of the internal overviews, largest first.
    pub overviews: Vec<(usize, usize)>,
    /// Georeferencing (identity-like `(0, 0)` origin with unit cells when `georeferenced` is false).
    pub transform: GeoTransform,
    /// True when the file carries a tie point / pixel scale or a model transformation.
    pub georeferenced: bool,
    /// CRS codes from the GeoKeys.
    pub crs: CrsInfo,
    /// GTModelTypeGeoKey (1 projected, 2 geographic), when present.
    pub model_type: Option<u16>,
    /// GDAL NoData value.
    pub nodata: Option<f64>,
    /// Dataset-level items of the GDAL_METADATA tag.
    pub metadata: Vec<(String, String)>,
    /// True when GDAL's COG structural metadata (`LAYOUT=IFDS_BEFORE_DATA`) is present.
    pub cog_layout: bool,
}

/// Reads the directories of a GeoTIFF (size, type, layout, georeferencing) without pixel data.
pub fn read_geotiff_info(path: &Path) -> Result<GeoTiffInfo> {
    let tf = TiffFile::open(path)?;
    let ifds = tf.ifds()?;
    let main = ImageDir::parse(&tf, &ifds[0].1)?;
    let overviews = overview_dirs(&tf, &ifds)?.iter().map(|d| (d.width, d.height)).collect();
    let geo = Georef::parse(&tf, &ifds[0].1)?;
    let ghost_at = if tf.bigtiff { 16 } else { 8 };
    let cog_layout = tf
        .read_at(ghost_at, 120.min(tf.len.saturating_sub(ghost_at)))
        .map(|b| String::from_utf8_lossy(&b).contains("LAYOUT=IFDS_BEFORE_DATA"))
        .unwrap_or(false);
    Ok(GeoTiffInfo {
        width: main.width,
        height: main.height,
        bands: main.spp,
        sample_type: main.sample_type,
        tiled: main.tiled,
        block_size: (main.block_w, main.block_h),
        compression: main.compression,
        predictor: main.predictor,
        planar: main.planar,
        bigtiff: tf.bigtiff,
        overviews,
        transform: geo.transform,
        georeferenced: geo.georeferenced,
        crs: geo.crs,
        model_type: geo.model_type,
        nodata: geo.nodata,
        metadata: geo.metadata,
        cog_layout,
    })
}

/// Reads a single-band GeoTIFF in its own sample type. A multi-band file is an error naming
/// [`read_geotiff_bands`].
pub fn read_geotiff(path: &Path) -> Result<RasterData> {
    let mut bands = read_geotiff_bands(path)?;
    if bands.len() != 1 {
        return Err(Error::bad_file(
            path,
            format!("has {} bands where one was expected (read_geotiff_bands reads them all)", bands.len()),
        ));
    }
    Ok(bands.remove(0))
}

/// Reads a single-band GeoTIFF as f32 (any sample type converted).
pub fn read_geotiff_f32(path: &Path) -> Result<Grid<f32>> {
    Ok(read_geotiff(path)?.to_f32())
}

/// Reads a single-band GeoTIFF as f64 (any sample type converted exactly).
pub fn read_geotiff_f64(path: &Path) -> Result<Grid<f64>> {
    Ok(read_geotiff(path)?.to_f64())
}

/// Reads every band of a GeoTIFF's full-resolution image.
pub fn read_geotiff_bands(path: &Path) -> Result<Vec<RasterData>> {
    read_level(path, 0)
}

/// Reads every band of internal overview `level` (0 = the largest overview); its transform has
/// the cell size scaled by the size ratio to the full-resolution image.
pub fn read_geotiff_overview(path: &Path, level: usize) -> Result<Vec<RasterData>> {
    read_level(path, level + 1)
}

fn read_level(path: &Path, level: usize) -> Result<Vec<RasterData>> {
    let tf = TiffFile::open(path)?;
    let ifds = tf.ifds()?;
    let main = ImageDir::parse(&tf, &ifds[0].1)?;
    let mut geo = Georef::parse(&tf, &ifds[0].1)?;
    let dir = if level == 0 {
        main
    } else {
        let mut ovr = overview_dirs(&tf, &ifds)?;
        if level > ovr.len() {
            return Err(tf.bad(format!("has {} overviews, overview {} was asked for", ovr.len(), level - 1)));
        }
        let d = ovr.swap_remove(level - 1);
        geo.transform.cell_x *= main.width as f64 / d.width as f64;
        geo.transform.cell_y *= main.height as f64 / d.height as f64;
        d
    };
    macro_rules! bands {
        ($t:ty, $v:ident) => {
            decode_image::<$t>(&tf, &dir, geo.nodata)?
                .into_iter()
                .map(|data| RasterData::$v(geo.grid(&dir, data)))
                .collect()
        };
    }
    Ok(match dir.sample_type {
        SampleType::U8 => bands!(u8, U8),
        SampleType::I8 => bands!(i8, I8),
        SampleType::U16 => bands!(u16, U16),
        SampleType::I16 => bands!(i16, I16),
        SampleType::U32 => bands!(u32, U32),
        SampleType::I32 => bands!(i32, I32),
        SampleType::F32 => bands!(f32, F32),
        SampleType::F64 => bands!(f64, F64),
    })
}

/// The layout of one image directory.
pub(super) struct ImageDir {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) spp: usize,
    pub(super) sample_type: SampleType,
    compression: u16,
    predictor: u16,
    planar: bool,
    tiled: bool,
    block_w: usize,
    block_h: usize,
    offsets: Vec<u64>,
    counts: Vec<u64>,
    subfile: u64,
}

fn find(e: &[Entry], t: u16) -> Option<&Entry> {
    e.iter().find(|x| x.tag == t)
}

fn first_uint(tf: &TiffFile, e: &[Entry], t: u16, default: Option<u64>) -> Result<u64> {
    match find(e, t) {
        Some(x) => tf.uints(x)?.first().copied().ok_or_else(|| tf.bad(format!("tag {t} is empty"))),
        None => default.ok_or_else(|| tf.bad(format!("required TIFF tag {t} is missing"))),
    }
}

impl ImageDir {
    pub(super) fn parse(tf: &TiffFile, e: &[Entry]) -> Result<ImageDir> {
        let width = first_uint(tf, e, tag::IMAGE_WIDTH, None)? as usize;
        let height = first_uint(tf, e, tag::IMAGE_LENGTH, None)? as usize;
        let spp = first_uint(tf, e, tag::SAMPLES_PER_PIXEL, Some(1))? as usize;
        if width == 0 || height == 0 || spp == 0 || spp > 64 {
            return Err(tf.bad(format!("unusable image size {width} × {height} × {spp} samples")));
        }
        if (width as u128) * (height as u128) * (spp as u128) * 8 > isize::MAX as u128 {
            return Err(tf.bad(format!("image of {width} × {height} is too large to hold in memory")));
        }
        let bits = match find(e, tag::BITS_PER_SAMPLE) {
            Some(x) => tf.uints(x)?,
            None => vec![1],
        };
        let formats = match find(e, tag::SAMPLE_FORMAT) {
            Some(x) => tf.uints(x)?,
            None => vec![1],
        };
        if bits.iter().any(|&b| b != bits[0]) || formats.iter().any(|&f| f != formats[0]) {
            return Err(tf.bad("bands of different sample types are not supported"));
        }
        let sample_type = SampleType::from_tiff(bits[0] as u16, formats[0] as u16).ok_or_else(|| {
            tf.bad(format!("{}-bit samples of SampleFormat {} are not supported", bits[0], formats[0]))
        })?;
        let compression = first_uint(tf, e, tag::COMPRESSION, Some(1))? as u16;
        if !matches!(compression, 1 | 5 | 8 | 32946 | 32773) {
            return Err(tf.bad(format!(
                "compression {compression} ({}) is not supported (none, LZW, Deflate, PackBits are)",
                compression_name(compression)
            )));
        }
        let predictor = first_uint(tf, e, tag::PREDICTOR, Some(1))? as u16;
        if !(1..=3).contains(&predictor) {
            return Err(tf.bad(format!("predictor {predictor} is not supported")));
        }
        let planar = first_uint(tf, e, tag::PLANAR_CONFIG, Some(1))? == 2 && spp > 1;
        let tiled = find(e, tag::TILE_WIDTH).is_some();
        let (block_w, block_h, off_tag, cnt_tag) = if tiled {
            let tw = first_uint(tf, e, tag::TILE_WIDTH, None)? as usize;
            let th = first_uint(tf, e, tag::TILE_LENGTH, None)? as usize;
            (tw, th, tag::TILE_OFFSETS, tag::TILE_BYTE_COUNTS)
        } else {
            let rps = first_uint(tf, e, tag::ROWS_PER_STRIP, Some(u32::MAX as u64))?;
            (width, (rps as usize).min(height), tag::STRIP_OFFSETS, tag::STRIP_BYTE_COUNTS)
        };
        if block_w == 0 || block_h == 0 || block_w > 1 << 20 || block_h.saturating_mul(block_w) > 1 << 30 {
            return Err(tf.bad(format!("unusable block size {block_w} × {block_h}")));
        }
        let offsets = tf.uints(find(e, off_tag).ok_or_else(|| tf.bad("no strip or tile offsets"))?)?;
        let counts = tf.uints(find(e, cnt_tag).ok_or_else(|| tf.bad("no strip or tile byte counts"))?)?;
        let d = ImageDir {
            width,
            height,
            spp,
            sample_type,
            compression,
            predictor,
            planar,
            tiled,
            block_w,
            block_h,
            offsets,
            counts,
            subfile: first_uint(tf, e, tag::NEW_SUBFILE_TYPE, Some(0))?,
        };
        let need = d.blocks_across() * d.blocks_down() * if planar { spp } else { 1 };
        if d.offsets.len() < need || d.counts.len() < need {
            return Err(tf.bad(format!("{} block offsets for {need} blocks", d.offsets.len().min(d.counts.len()))));
        }
        Ok(d)
    }

    fn blocks_across(&self) -> usize {
        self.width.div_ceil(self.block_w)
    }

    fn blocks_down(&self) -> usize {
        self.height.div_ceil(self.block_h)
    }
}

/// Directories of reduced-resolution images of the same sample type (not masks), largest first.
fn overview_dirs(tf: &TiffFile, ifds: &[(u64, Vec<Entry>)]) -> Result<Vec<ImageDir>> {
    let mut v = Vec::new();
    for (_, e) in &ifds[1..] {
        let st = first_uint(tf, e, tag::NEW_SUBFILE_TYPE, Some(0))?;
        if st & 1 == 1 && st & 4 == 0 {
            v.push(ImageDir::parse(tf, e)?);
        }
    }
    v.sort_by_key(|d| std::cmp::Reverse(d.width));
    Ok(v.into_iter().filter(|d| d.subfile & 4 == 0).collect())
}

/// Georeferencing of the main image.
pub(super) struct Georef {
    pub(super) transform: GeoTransform,
    georeferenced: bool,
    pub(super) crs: CrsInfo,
    model_type: Option<u16>,
    pub(super) nodata: Option<f64>,
    metadata: Vec<(String, String)>,
}

impl Georef {
    pub(super) fn parse(tf: &TiffFile, e: &[Entry]) -> Result<Georef> {
        let keys = match find(e, tag::GEO_KEY_DIRECTORY) {
            Some(x) => decode_geokeys(&tf.uints(x)?).map_err(|m| tf.bad(m))?,
            None => Default::default(),
        };
        let pixel_is_point = keys.raster_type == Some(2);
        let mut georeferenced = true;
        let transform = if let Some(m) = find(e, tag::MODEL_TRANSFORMATION) {
            transform_from_matrix(&tf.floats(m)?).map_err(|m| tf.bad(m))?
        } else if let (Some(t), Some(s)) = (find(e, tag::MODEL_TIEPOINT), find(e, tag::MODEL_PIXEL_SCALE)) {
            transform_from_tiepoint(&tf.floats(t)?, &tf.floats(s)?, pixel_is_point).map_err(|m| tf.bad(m))?
        } else {
            georeferenced = false;
            GeoTransform::new(0.0, 0.0, 1.0)
        };
        let nodata = match find(e, tag::GDAL_NODATA) {
            Some(x) => {
                let s = tf.ascii(x)?;
                let s = s.trim();
                Some(s.parse::<f64>().map_err(|_| tf.bad(format!("GDAL_NODATA {s:?} is not a number")))?)
            }
            None => None,
        };
        let metadata = match find(e, tag::GDAL_METADATA) {
            Some(x) => parse_gdal_metadata(&tf.ascii(x)?),
            None => vec![],
        };
        Ok(Georef { transform, georeferenced, crs: keys.crs, model_type: keys.model_type, nodata, metadata })
    }

    fn grid<T>(&self, d: &ImageDir, data: Vec<T>) -> Grid<T> {
        Grid {
            width: d.width,
            height: d.height,
            data,
            transform: self.transform,
            crs: self.crs.clone(),
            nodata: self.nodata,
        }
    }
}

/// Dataset-level `<Item name="K">V</Item>` entries (band-level items, with a `sample` attribute,
/// and items of other domains are skipped).
fn parse_gdal_metadata(xml: &str) -> Vec<(String, String)> {
    let unesc = |s: &str| s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    let mut out = Vec::new();
    for part in xml.split("<Item ").skip(1) {
        let Some((attrs, rest)) = part.split_once('>') else { continue };
        if attrs.contains("sample=") || attrs.contains("domain=") {
            continue;
        }
        let Some(name) = attrs.split("name=\"").nth(1).and_then(|s| s.split('"').next()) else { continue };
        let Some((value, _)) = rest.split_once("</Item>") else { continue };
        out.push((unesc(name), unesc(value)));
    }
    out
}

/// Decodes every block of a directory into one vector per band.
fn decode_image<T: Sample>(tf: &TiffFile, d: &ImageDir, nodata: Option<f64>) -> Result<Vec<Vec<T>>> {
    decode_region(tf, d, nodata, [0, 0, d.width, d.height])
}

/// Decodes the cells `[col0, row0, cols, rows]` (inside the image) into one row-major vector of
/// `cols × rows` per band, reading and decompressing only the blocks (tiles or strips) that
/// intersect them.
pub(super) fn decode_region<T: Sample>(
    tf: &TiffFile,
    d: &ImageDir,
    nodata: Option<f64>,
    [col0, row0, cols, rows]: [usize; 4],
) -> Result<Vec<Vec<T>>> {
    let fill = T::from_f64(nodata.unwrap_or(0.0));
    let across = d.blocks_across();
    let per_plane = across * d.blocks_down();
    let planes = if d.planar { d.spp } else { 1 };
    let chunk_spp = if d.planar { 1 } else { d.spp };
    let mut bands: Vec<Vec<T>> = vec![vec![fill; cols * rows]; d.spp];
    if cols == 0 || rows == 0 {
        return Ok(bands);
    }
    // The blocks that intersect the region, in file order within each plane.
    let (bx0, bx1) = (col0 / d.block_w, (col0 + cols - 1) / d.block_w);
    let (by0, by1) = (row0 / d.block_h, (row0 + rows - 1) / d.block_h);
    let blocks: Vec<usize> = (0..planes)
        .flat_map(|p| (by0..=by1).flat_map(move |by| (bx0..=bx1).map(move |bx| p * per_plane + by * across + bx)))
        .collect();
    let mut start = 0;
    while start < blocks.len() {
        // Batch by compressed size (~64 MiB) to bound memory while decoding in parallel.
        let mut end = start;
        let mut bytes = 0u64;
        while end < blocks.len() && (end == start || bytes < 64 << 20) {
            bytes += d.counts[blocks[end]];
            end += 1;
        }
        let raw: Vec<(usize, Vec<u8>)> = blocks[start..end]
            .iter()
            .filter(|&&i| d.offsets[i] != 0 && d.counts[i] != 0)
            .map(|&i| Ok((i, tf.read_at(d.offsets[i], d.counts[i])?)))
            .collect::<Result<_>>()?;
        let decoded: Vec<(usize, Vec<T>)> = raw
            .into_par_iter()
            .map(|(i, data)| {
                let rows = if d.tiled { d.block_h } else { d.block_h.min(d.height - (i % per_plane) * d.block_h) };
                let expected = rows * d.block_w * chunk_spp * T::BYTES;
                let mut bytes =
                    decompress(d.compression, &data, expected).map_err(|m| tf.bad(format!("block {i}: {m}")))?;
                let v = decode_samples::<T>(&mut bytes, tf.big_endian, d.predictor, d.block_w, chunk_spp, rows)
                    .map_err(|m| tf.bad(format!("block {i}: {m}")))?;
                Ok((i, v))
            })
            .collect::<Result<_>>()?;
        for (i, v) in decoded {
            let (plane, b) = (i / per_plane, i % per_plane);
            let (x0, y0) = ((b % across) * d.block_w, (b / across) * d.block_h);
            // The part of the block inside both the image and the region, in image coordinates.
            let (c0, c1) = (x0.max(col0), (x0 + d.block_w).min(d.width).min(col0 + cols));
            let (r0, r1) = (y0.max(row0), (y0 + d.block_h).min(d.height).min(row0 + rows));
            let cw = c1 - c0;
            for r in r0..r1 {
                let s0 = ((r - y0) * d.block_w + (c0 - x0)) * chunk_spp;
                let src = &v[s0..s0 + cw * chunk_spp];
                let dst0 = (r - row0) * cols + (c0 - col0);
                if chunk_spp == 1 {
                    bands[plane][dst0..dst0 + cw].copy_from_slice(src);
                } else {
                    for (s, band) in bands.iter_mut().enumerate() {
                        for c in 0..cw {
                            band[dst0 + c] = src[c * chunk_spp + s];
                        }
                    }
                }
            }
        }
        start = end;
    }
    Ok(bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdal_metadata_items() {
        let x = "<GDALMetadata>\n  <Item name=\"AREA\">a &amp; b</Item>\n  <Item name=\"STATS\" sample=\"0\">1</Item>\n</GDALMetadata>";
        assert_eq!(parse_gdal_metadata(x), vec![("AREA".to_string(), "a & b".to_string())]);
    }
}
