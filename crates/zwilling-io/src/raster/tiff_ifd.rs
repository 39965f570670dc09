//! TIFF image file directories (IFDs): tag numbers, parsing classic and BigTIFF IFDs, and
//! encoding an IFD with its out-of-line values at a known file offset.
//!
//! Sources: TIFF 6.0 (Adobe 1992) §2 "Image File Directory" — a classic IFD is a 2-byte entry
//! count, 12-byte entries `(tag u16, type u16, count u32, value-or-offset u32)` sorted by tag and
//! a 4-byte next-IFD offset; values that fit in 4 bytes are stored inline. BigTIFF (Aware Systems,
//! 2004; libtiff 4) widens count and offsets to 8 bytes (8-byte entry count, 20-byte entries,
//! 8 bytes inline). Byte order is given by `II` (little) or `MM` (big endian) at offset 0.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use zwilling_core::{Error, Result};

/// Tag numbers used by the reader and writer (TIFF 6.0, GeoTIFF 1.1, GDAL private tags).
pub mod tag {
    /// NewSubfileType (1 = reduced-resolution image, i.e. an overview).
    pub const NEW_SUBFILE_TYPE: u16 = 254;
    /// ImageWidth.
    pub const IMAGE_WIDTH: u16 = 256;
    /// ImageLength.
    pub const IMAGE_LENGTH: u16 = 257;
    /// BitsPerSample.
    pub const BITS_PER_SAMPLE: u16 = 258;
    /// Compression.
    pub const COMPRESSION: u16 = 259;
    /// PhotometricInterpretation.
    pub const PHOTOMETRIC: u16 = 262;
    /// StripOffsets.
    pub const STRIP_OFFSETS: u16 = 273;
    /// SamplesPerPixel.
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    /// RowsPerStrip.
    pub const ROWS_PER_STRIP: u16 = 278;
    /// StripByteCounts.
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    /// PlanarConfiguration (1 = chunky, 2 = planar).
    pub const PLANAR_CONFIG: u16 = 284;
    /// Predictor (1 none, 2 horizontal, 3 floating point).
    pub const PREDICTOR: u16 = 317;
    /// TileWidth.
    pub const TILE_WIDTH: u16 = 322;
    /// TileLength.
    pub const TILE_LENGTH: u16 = 323;
    /// TileOffsets.
    pub const TILE_OFFSETS: u16 = 324;
    /// TileByteCounts.
    pub const TILE_BYTE_COUNTS: u16 = 325;
    /// ExtraSamples.
    pub const EXTRA_SAMPLES: u16 = 338;
    /// SampleFormat.
    pub const SAMPLE_FORMAT: u16 = 339;
    /// GeoTIFF ModelPixelScaleTag.
    pub const MODEL_PIXEL_SCALE: u16 = 33550;
    /// GeoTIFF ModelTiepointTag.
    pub const MODEL_TIEPOINT: u16 = 33922;
    /// GeoTIFF ModelTransformationTag.
    pub const MODEL_TRANSFORMATION: u16 = 34264;
    /// GeoTIFF GeoKeyDirectoryTag.
    pub const GEO_KEY_DIRECTORY: u16 = 34735;
    /// GDAL_METADATA (XML).
    pub const GDAL_METADATA: u16 = 42112;
    /// GDAL_NODATA (ASCII number).
    pub const GDAL_NODATA: u16 = 42113;
}

/// One raw IFD entry: tag, field type, count and the 4 or 8 value-or-offset bytes.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub tag: u16,
    pub typ: u16,
    pub count: u64,
    pub raw: [u8; 8],
}

/// Size in bytes of one value of a TIFF field type, `None` for unknown types.
fn type_size(typ: u16) -> Option<u64> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

/// An open TIFF file: byte order, classic/BigTIFF, and positioned reads.
pub(crate) struct TiffFile {
    file: File,
    pub path: PathBuf,
    pub big_endian: bool,
    pub bigtiff: bool,
    pub len: u64,
    first_ifd: u64,
}

impl TiffFile {
    /// Opens `path` and reads the TIFF header.
    pub fn open(path: &Path) -> Result<TiffFile> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut t = TiffFile { file, path: path.to_path_buf(), big_endian: false, bigtiff: false, len, first_ifd: 0 };
        if len < 8 {
            return Err(t.bad("not a TIFF file: shorter than a TIFF header"));
        }
        let h = t.read_at(0, 8)?;
        t.big_endian = match &h[0..2] {
            b"II" => false,
            b"MM" => true,
            _ => return Err(t.bad("not a TIFF file: no II/MM byte-order mark")),
        };
        match t.u16(&h[2..4]) {
            42 => t.first_ifd = t.u32(&h[4..8]) as u64,
            43 => {
                let h = t.read_at(0, 16)?;
                if t.u16(&h[4..6]) != 8 {
                    return Err(t.bad("BigTIFF header with an offset size other than 8"));
                }
                t.bigtiff = true;
                t.first_ifd = t.u64(&h[8..16]);
            }
            v => return Err(t.bad(format!("not a TIFF file: version {v} instead of 42 or 43"))),
        }
        Ok(t)
    }

    /// A [`Error::BadFile`] naming this file.
    pub fn bad(&self, msg: impl Into<String>) -> Error {
        Error::bad_file(&self.path, msg)
    }

    pub fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    pub fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    pub fn u64(&self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }

    /// Reads `len` bytes at `offset`; a range beyond the end of the file is a clear error.
    pub fn read_at(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(self.bad(format!(
                "truncated or corrupt: {len} bytes at offset {offset} lie beyond the end of the file ({} bytes)",
                self.len
            )));
        }
        let mut buf = vec![0u8; len as usize];
        read_exact_at(&self.file, &mut buf, offset).map_err(|e| Error::io(&self.path, e))?;
        Ok(buf)
    }

    /// Every IFD of the file in chain order (main image first), with its file offset.
    pub fn ifds(&self) -> Result<Vec<(u64, Vec<Entry>)>> {
        let mut out = Vec::new();
        let mut next = self.first_ifd;
        while next != 0 {
            if out.iter().any(|(o, _)| *o == next) || out.len() > 10_000 {
                return Err(self.bad("corrupt IFD chain: it loops"));
            }
            let (entries, nxt) = self.read_ifd(next)?;
            out.push((next, entries));
            next = nxt;
        }
        if out.is_empty() {
            return Err(self.bad("TIFF file without any image directory"));
        }
        Ok(out)
    }

    fn read_ifd(&self, at: u64) -> Result<(Vec<Entry>, u64)> {
        let (count_len, entry_len, next_len) = if self.bigtiff { (8, 20, 8) } else { (2, 12, 4) };
        let cb = self.read_at(at, count_len)?;
        let n = if self.bigtiff { self.u64(&cb) } else { self.u16(&cb) as u64 };
        if n > 65_535 {
            return Err(self.bad(format!("corrupt IFD at offset {at}: {n} entries")));
        }
        let body = self.read_at(at + count_len, n * entry_len + next_len)?;
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n as usize {
            let e = &body[i * entry_len as usize..(i + 1) * entry_len as usize];
            let mut raw = [0u8; 8];
            let (count, rawsrc) =
                if self.bigtiff { (self.u64(&e[4..12]), &e[12..20]) } else { (self.u32(&e[4..8]) as u64, &e[8..12]) };
            raw[..rawsrc.len()].copy_from_slice(rawsrc);
            entries.push(Entry { tag: self.u16(&e[0..2]), typ: self.u16(&e[2..4]), count, raw });
        }
        let nb = &body[(n * entry_len) as usize..];
        let next = if self.bigtiff { self.u64(nb) } else { self.u32(nb) as u64 };
        Ok((entries, next))
    }

    /// The value bytes of an entry (inline or at its offset).
    fn value_bytes(&self, e: &Entry) -> Result<Vec<u8>> {
        let size =
            type_size(e.typ).ok_or_else(|| self.bad(format!("tag {} has an unknown field type {}", e.tag, e.typ)))?;
        let total = size
            .checked_mul(e.count)
            .filter(|&t| t <= self.len)
            .ok_or_else(|| self.bad(format!("tag {} claims {} values, more than the file holds", e.tag, e.count)))?;
        let inline = if self.bigtiff { 8 } else { 4 };
        if total <= inline {
            Ok(e.raw[..total as usize].to_vec())
        } else {
            let off = if self.bigtiff { self.u64(&e.raw) } else { self.u32(&e.raw) as u64 };
            self.read_at(off, total)
        }
    }

    /// Integer values of an entry (BYTE, SHORT, LONG, LONG8 and their signed forms, IFD types).
    pub fn uints(&self, e: &Entry) -> Result<Vec<u64>> {
        let b = self.value_bytes(e)?;
        let v = match e.typ {
            1 | 7 => b.iter().map(|&x| x as u64).collect(),
            6 => b.iter().map(|&x| x as i8 as i64 as u64).collect(),
            3 => b.chunks_exact(2).map(|c| self.u16(c) as u64).collect(),
            8 => b.chunks_exact(2).map(|c| self.u16(c) as i16 as i64 as u64).collect(),
            4 | 13 => b.chunks_exact(4).map(|c| self.u32(c) as u64).collect(),
            9 => b.chunks_exact(4).map(|c| self.u32(c) as i32 as i64 as u64).collect(),
            16..=18 => b.chunks_exact(8).map(|c| self.u64(c)).collect(),
            t => return Err(self.bad(format!("tag {} has type {t} where an integer was expected", e.tag))),
        };
        Ok(v)
    }

    /// Floating-point values of an entry (DOUBLE, FLOAT, RATIONAL or integers).
    pub fn floats(&self, e: &Entry) -> Result<Vec<f64>> {
        let b = self.value_bytes(e)?;
        Ok(match e.typ {
            12 => b.chunks_exact(8).map(|c| f64::from_bits(self.u64(c))).collect(),
            11 => b.chunks_exact(4).map(|c| f32::from_bits(self.u32(c)) as f64).collect(),
            5 => b.chunks_exact(8).map(|c| self.u32(&c[0..4]) as f64 / self.u32(&c[4..8]) as f64).collect(),
            10 => {
                b.chunks_exact(8).map(|c| self.u32(&c[0..4]) as i32 as f64 / self.u32(&c[4..8]) as i32 as f64).collect()
            }
            _ => self.uints(e)?.into_iter().map(|v| v as f64).collect(),
        })
    }

    /// ASCII value of an entry without the trailing NULs.
    pub fn ascii(&self, e: &Entry) -> Result<String> {
        let b = self.value_bytes(e)?;
        Ok(String::from_utf8_lossy(&b).trim_end_matches('\0').to_string())
    }
}

pub(crate) use crate::positioned::read_exact_at;

/// A value to write in an IFD entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TagValue {
    Short(Vec<u16>),
    Long(Vec<u32>),
    Long8(Vec<u64>),
    Double(Vec<f64>),
    Ascii(String),
}

impl TagValue {
    fn typ_count(&self) -> (u16, u64) {
        match self {
            TagValue::Short(v) => (3, v.len() as u64),
            TagValue::Long(v) => (4, v.len() as u64),
            TagValue::Long8(v) => (16, v.len() as u64),
            TagValue::Double(v) => (12, v.len() as u64),
            TagValue::Ascii(s) => (2, s.len() as u64 + 1),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        match self {
            TagValue::Short(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
            TagValue::Long(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
            TagValue::Long8(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
            TagValue::Double(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
            TagValue::Ascii(s) => {
                b.extend_from_slice(s.as_bytes());
                b.push(0);
            }
        }
        b
    }
}

/// A little-endian IFD under construction: tags are kept sorted as TIFF requires.
#[derive(Debug, Clone, Default)]
pub(crate) struct IfdBuilder {
    pub entries: BTreeMap<u16, TagValue>,
}

impl IfdBuilder {
    pub fn set(&mut self, tag: u16, v: TagValue) {
        self.entries.insert(tag, v);
    }

    /// Bytes the IFD and its out-of-line values take (each value block padded to an even length).
    pub fn encoded_len(&self, bigtiff: bool) -> u64 {
        let (head, entry, next, inline) = if bigtiff { (8, 20, 8, 8) } else { (2, 12, 4, 4) };
        let extra: u64 =
            self.entries.values().map(|v| v.bytes().len() as u64).filter(|&l| l > inline).map(|l| l + (l & 1)).sum();
        head + entry * self.entries.len() as u64 + next + extra
    }

    /// The IFD encoded for file offset `at`, pointing to `next_ifd` (0 = last).
    pub fn encode(&self, at: u64, next_ifd: u64, bigtiff: bool) -> Vec<u8> {
        let (head, entry, next, inline) = if bigtiff { (8u64, 20u64, 8u64, 8usize) } else { (2, 12, 4, 4) };
        let mut out = Vec::with_capacity(self.encoded_len(bigtiff) as usize);
        let mut extra: Vec<u8> = Vec::new();
        let extra_at = at + head + entry * self.entries.len() as u64 + next;
        if bigtiff {
            out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        } else {
            out.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        }
        for (&tag, v) in &self.entries {
            let (typ, count) = v.typ_count();
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            if bigtiff {
                out.extend_from_slice(&count.to_le_bytes());
            } else {
                out.extend_from_slice(&(count as u32).to_le_bytes());
            }
            let b = v.bytes();
            if b.len() <= inline {
                let mut slot = b.clone();
                slot.resize(inline, 0);
                out.extend_from_slice(&slot);
            } else {
                let off = extra_at + extra.len() as u64;
                if bigtiff {
                    out.extend_from_slice(&off.to_le_bytes());
                } else {
                    out.extend_from_slice(&(off as u32).to_le_bytes());
                }
                extra.extend_from_slice(&b);
                if b.len() & 1 == 1 {
                    extra.push(0);
                }
            }
        }
        if bigtiff {
            out.extend_from_slice(&next_ifd.to_le_bytes());
        } else {
            out.extend_from_slice(&(next_ifd as u32).to_le_bytes());
        }
        out.extend_from_slice(&extra);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bigtiff: bool) {
        let mut ifd = IfdBuilder::default();
        ifd.set(tag::IMAGE_WIDTH, TagValue::Long(vec![700]));
        ifd.set(tag::BITS_PER_SAMPLE, TagValue::Short(vec![8, 8, 8]));
        ifd.set(tag::MODEL_PIXEL_SCALE, TagValue::Double(vec![0.5, 0.25, 0.0]));
        ifd.set(tag::GDAL_NODATA, TagValue::Ascii("-9999".into()));
        ifd.set(tag::TILE_OFFSETS, TagValue::Long8(vec![1 << 33, 7]));
        let head: Vec<u8> = if bigtiff {
            [b"II".as_slice(), &43u16.to_le_bytes(), &8u16.to_le_bytes(), &0u16.to_le_bytes(), &16u64.to_le_bytes()]
                .concat()
        } else {
            [b"II".as_slice(), &42u16.to_le_bytes(), &8u32.to_le_bytes()].concat()
        };
        let at = head.len() as u64;
        let body = ifd.encode(at, 0, bigtiff);
        assert_eq!(body.len() as u64, ifd.encoded_len(bigtiff));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.tif");
        std::fs::write(&p, [head, body].concat()).unwrap();
        let t = TiffFile::open(&p).unwrap();
        assert_eq!(t.bigtiff, bigtiff);
        let ifds = t.ifds().unwrap();
        assert_eq!(ifds.len(), 1);
        let get = |tg: u16| ifds[0].1.iter().find(|e| e.tag == tg).unwrap().clone();
        assert_eq!(t.uints(&get(tag::IMAGE_WIDTH)).unwrap(), vec![700]);
        assert_eq!(t.uints(&get(tag::BITS_PER_SAMPLE)).unwrap(), vec![8, 8, 8]);
        assert_eq!(t.floats(&get(tag::MODEL_PIXEL_SCALE)).unwrap(), vec![0.5, 0.25, 0.0]);
        assert_eq!(t.ascii(&get(tag::GDAL_NODATA)).unwrap(), "-9999");
        assert_eq!(t.uints(&get(tag::TILE_OFFSETS)).unwrap(), vec![1 << 33, 7]);
        // Tags come out sorted, as TIFF requires.
        let tags: Vec<u16> = ifds[0].1.iter().map(|e| e.tag).collect();
        assert!(tags.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn classic_and_bigtiff_ifds_round_trip() {
        roundtrip(false);
        roundtrip(true);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.tif");
        std::fs::write(&p, b"II\x2a\x00\xff\xff\x00\x00").unwrap();
        let e = TiffFile::open(&p).unwrap().ifds().err().unwrap().to_string();
        assert!(e.contains("x.tif") && e.contains("beyond the end"), "{e}");
        std::fs::write(&p, b"PK\x03\x04zip").unwrap();
        assert!(TiffFile::open(&p).err().unwrap().to_string().contains("not a TIFF"));
    }
}
