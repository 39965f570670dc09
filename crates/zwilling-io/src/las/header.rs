//! The LAS public header block and (extended) variable length records, read and written byte by
//! byte as laid out in the ASPRS LAS specifications 1.2 (2008), 1.3 R11 (2010) and 1.4 R15 (2019).
//!
//! Header fields (offsets in bytes, little endian): `LASF` signature (0), file source id (4),
//! global encoding (6), GUID (8), version major/minor (24/25), system identifier (26, 32 bytes),
//! generating software (58, 32 bytes), creation day/year (90/92), header size (94), offset to
//! point data (96), number of VLRs (100), point data format (104), record length (105), legacy
//! point count (107), legacy points by return (111, 5 × u32), scale (131), offset (155),
//! max/min x, y, z (179, interleaved max then min), since 1.3 start of waveform data (227), since
//! 1.4 start of first EVLR (235), number of EVLRs (243), point count (247, u64) and points by return
//! (255, 15 × u64). A VLR header is 54 bytes (reserved, user id 16, record id, length u16,
//! description 32), an EVLR header 60 bytes (length u64).
//!
//! Every check here names what is wrong so that a damaged file gives a clear error.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use zwilling_core::{Bounds3, Error, Result};

/// Size of the LAS 1.2 header, the smallest valid one.
pub const HEADER_SIZE_12: u16 = 227;
/// Size of the LAS 1.3 header.
pub const HEADER_SIZE_13: u16 = 235;
/// Size of the LAS 1.4 header.
pub const HEADER_SIZE_14: u16 = 375;

/// One (extended) variable length record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Vlr {
    /// User id (e.g. `LASF_Projection`, `LASF_Spec`, `laszip encoded`, `copc`).
    pub user_id: String,
    /// Record id (e.g. 2112 = OGC WKT, 34735 = GeoTIFF keys, 4 = extra bytes).
    pub record_id: u16,
    /// Free-text description.
    pub description: String,
    /// Payload length in bytes.
    pub len: u64,
    /// True for an extended VLR (stored after the point data, LAS 1.4).
    pub extended: bool,
    /// The payload (empty when `len` exceeds [`MAX_LOADED_VLR`] and the payload was not loaded).
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// Payloads larger than this (e.g. waveform data EVLRs) are listed but not loaded.
pub const MAX_LOADED_VLR: u64 = 16 << 20;

impl Vlr {
    /// A VLR with the given ids and payload.
    pub fn new(user_id: &str, record_id: u16, description: &str, data: Vec<u8>) -> Self {
        Vlr {
            user_id: user_id.into(),
            record_id,
            description: description.into(),
            len: data.len() as u64,
            extended: false,
            data,
        }
    }

    /// True for a CRS record of the `LASF_Projection` user id.
    pub fn is_projection(&self) -> bool {
        self.user_id == "LASF_Projection"
    }

    /// True for the LASzip record that describes the compression.
    pub fn is_laszip(&self) -> bool {
        self.user_id == "laszip encoded" && self.record_id == 22204
    }

    /// True for a COPC record (info, hierarchy).
    pub fn is_copc(&self) -> bool {
        self.user_id == "copc"
    }
}

/// The public header block as stored in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawHeader {
    pub file_source_id: u16,
    pub global_encoding: u16,
    pub guid: [u8; 16],
    pub version: (u8, u8),
    pub system_identifier: String,
    pub generating_software: String,
    pub creation_day: u16,
    pub creation_year: u16,
    pub header_size: u16,
    pub offset_to_points: u32,
    pub number_of_vlrs: u32,
    /// Point format byte as stored (bit 7 set for LAZ).
    pub point_format_raw: u8,
    pub record_length: u16,
    pub point_count: u64,
    pub points_by_return: [u64; 15],
    pub scale: [f64; 3],
    pub offset: [f64; 3],
    pub bounds: Bounds3,
    pub start_of_waveform: u64,
    pub start_of_evlrs: u64,
    pub number_of_evlrs: u32,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or_default())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default())
}
fn f64_at(b: &[u8], o: usize) -> f64 {
    f64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default())
}

/// A fixed-size, NUL-padded text field as a trimmed string.
pub fn text_field(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim_end().to_string()
}

fn put_text(out: &mut Vec<u8>, s: &str, n: usize) {
    let bytes = s.as_bytes();
    let k = bytes.len().min(n);
    out.extend_from_slice(&bytes[..k]);
    out.extend(std::iter::repeat_n(0u8, n - k));
}

impl RawHeader {
    /// The point data format (0–10), without the LAZ compression bits.
    pub fn point_format(&self) -> u8 {
        self.point_format_raw & 0x3F
    }

    /// True when the point data is LASzip-compressed (bit 7 or 6 of the format byte).
    pub fn is_compressed(&self) -> bool {
        self.point_format_raw & 0xC0 != 0
    }

    /// Reads and checks the header of `path` from `src` (whose total length is `file_len`).
    pub fn read<R: Read + Seek>(src: &mut R, path: &Path, file_len: u64) -> Result<RawHeader> {
        if file_len == 0 {
            return Err(Error::bad_file(path, "empty file (0 bytes), not a LAS/LAZ point cloud"));
        }
        let mut b = vec![0u8; (HEADER_SIZE_14 as u64).min(file_len) as usize];
        src.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
        src.read_exact(&mut b).map_err(|e| Error::io(path, e))?;
        if b.len() < 4 || &b[0..4] != b"LASF" {
            let sig: String = b.iter().take(4).map(|&c| if c.is_ascii_graphic() { c as char } else { '.' }).collect();
            return Err(Error::bad_file(
                path,
                format!("not a LAS/LAZ file: signature is \"{sig}\", expected \"LASF\""),
            ));
        }
        if b.len() < HEADER_SIZE_12 as usize {
            return Err(Error::bad_file(
                path,
                format!("truncated LAS header: file has {} bytes, a header needs {HEADER_SIZE_12}", file_len),
            ));
        }
        let version = (b[24], b[25]);
        if version.0 != 1 || version.1 > 4 {
            return Err(Error::bad_file(
                path,
                format!("unsupported LAS version {}.{} (supported: 1.0 to 1.4)", version.0, version.1),
            ));
        }
        let header_size = u16_at(&b, 94);
        let needed = match version.1 {
            0..=2 => HEADER_SIZE_12,
            3 => HEADER_SIZE_13,
            _ => HEADER_SIZE_14,
        };
        if header_size < needed {
            return Err(Error::bad_file(
                path,
                format!("header size {header_size} is too small for LAS {}.{} (needs {needed})", version.0, version.1),
            ));
        }
        if (header_size as u64) > file_len || (b.len() as u64) < needed as u64 {
            return Err(Error::bad_file(path, format!("truncated LAS header: file has {file_len} bytes")));
        }
        let mut bounds = Bounds3::EMPTY;
        bounds.max_x = f64_at(&b, 179);
        bounds.min_x = f64_at(&b, 187);
        bounds.max_y = f64_at(&b, 195);
        bounds.min_y = f64_at(&b, 203);
        bounds.max_z = f64_at(&b, 211);
        bounds.min_z = f64_at(&b, 219);
        let legacy_count = u32_at(&b, 107) as u64;
        let mut points_by_return = [0u64; 15];
        for (i, p) in points_by_return.iter_mut().take(5).enumerate() {
            *p = u32_at(&b, 111 + 4 * i) as u64;
        }
        let mut h = RawHeader {
            file_source_id: u16_at(&b, 4),
            global_encoding: u16_at(&b, 6),
            guid: b[8..24].try_into().unwrap_or_default(),
            version,
            system_identifier: text_field(&b[26..58]),
            generating_software: text_field(&b[58..90]),
            creation_day: u16_at(&b, 90),
            creation_year: u16_at(&b, 92),
            header_size,
            offset_to_points: u32_at(&b, 96),
            number_of_vlrs: u32_at(&b, 100),
            point_format_raw: b[104],
            record_length: u16_at(&b, 105),
            point_count: legacy_count,
            points_by_return,
            scale: [f64_at(&b, 131), f64_at(&b, 139), f64_at(&b, 147)],
            offset: [f64_at(&b, 155), f64_at(&b, 163), f64_at(&b, 171)],
            bounds,
            start_of_waveform: 0,
            start_of_evlrs: 0,
            number_of_evlrs: 0,
        };
        if version.1 >= 3 {
            h.start_of_waveform = u64_at(&b, 227);
        }
        if version.1 >= 4 {
            h.start_of_evlrs = u64_at(&b, 235);
            h.number_of_evlrs = u32_at(&b, 243);
            let count = u64_at(&b, 247);
            if count != 0 || legacy_count == 0 {
                h.point_count = count;
                for (i, p) in h.points_by_return.iter_mut().enumerate() {
                    *p = u64_at(&b, 255 + 8 * i);
                }
            }
        }
        if h.point_format() > 10 {
            return Err(Error::bad_file(
                path,
                format!("unknown point data format {} (LAS defines formats 0 to 10)", h.point_format()),
            ));
        }
        if (h.offset_to_points as u64) < header_size as u64 {
            return Err(Error::bad_file(
                path,
                format!("offset to point data ({}) lies inside the header ({header_size} bytes)", h.offset_to_points),
            ));
        }
        if h.offset_to_points as u64 > file_len {
            return Err(Error::bad_file(
                path,
                format!(
                    "truncated: point data should start at byte {} but the file has {file_len}",
                    h.offset_to_points
                ),
            ));
        }
        if h.scale.iter().any(|s| !s.is_finite() || *s == 0.0) || h.offset.iter().any(|o| !o.is_finite()) {
            return Err(Error::bad_file(path, format!("invalid scale {:?} or offset {:?}", h.scale, h.offset)));
        }
        Ok(h)
    }

    /// Reads the VLRs that follow the header.
    pub fn read_vlrs<R: Read + Seek>(&self, src: &mut R, path: &Path) -> Result<Vec<Vlr>> {
        let mut vlrs = Vec::new();
        let mut pos = self.header_size as u64;
        let end = self.offset_to_points as u64;
        for i in 0..self.number_of_vlrs {
            if pos + 54 > end {
                return Err(Error::bad_file(
                    path,
                    format!("VLR {} of {} runs past the start of the point data", i + 1, self.number_of_vlrs),
                ));
            }
            let mut hb = [0u8; 54];
            src.seek(SeekFrom::Start(pos)).map_err(|e| Error::io(path, e))?;
            src.read_exact(&mut hb).map_err(|e| Error::io(path, e))?;
            let len = u16_at(&hb, 20) as u64;
            if pos + 54 + len > end {
                return Err(Error::bad_file(
                    path,
                    format!(
                        "VLR {} of {} ({} bytes) runs past the start of the point data",
                        i + 1,
                        self.number_of_vlrs,
                        len
                    ),
                ));
            }
            let mut data = vec![0u8; len as usize];
            src.read_exact(&mut data).map_err(|e| Error::io(path, e))?;
            vlrs.push(Vlr {
                user_id: text_field(&hb[2..18]),
                record_id: u16_at(&hb, 18),
                description: text_field(&hb[22..54]),
                len,
                extended: false,
                data,
            });
            pos += 54 + len;
        }
        Ok(vlrs)
    }

    /// Reads the extended VLRs (LAS 1.4). Problems are returned as warnings, not errors: the
    /// points can still be read.
    pub fn read_evlrs<R: Read + Seek>(&self, src: &mut R, file_len: u64, warnings: &mut Vec<String>) -> Vec<Vlr> {
        let mut out = Vec::new();
        if self.version.1 < 4 || self.number_of_evlrs == 0 {
            return out;
        }
        let mut pos = self.start_of_evlrs;
        for i in 0..self.number_of_evlrs {
            let mut hb = [0u8; 60];
            let ok = pos >= self.offset_to_points as u64
                && pos + 60 <= file_len
                && src.seek(SeekFrom::Start(pos)).is_ok()
                && src.read_exact(&mut hb).is_ok();
            if !ok {
                warnings.push(format!(
                    "extended VLR {} of {} lies outside the file; ignored",
                    i + 1,
                    self.number_of_evlrs
                ));
                break;
            }
            let len = u64_at(&hb, 20);
            if pos + 60 + len > file_len {
                warnings.push(format!("extended VLR {} of {} is truncated; ignored", i + 1, self.number_of_evlrs));
                break;
            }
            let mut data = Vec::new();
            if len <= MAX_LOADED_VLR {
                data.resize(len as usize, 0);
                if src.read_exact(&mut data).is_err() {
                    warnings.push(format!("extended VLR {} could not be read; ignored", i + 1));
                    break;
                }
            }
            out.push(Vlr {
                user_id: text_field(&hb[2..18]),
                record_id: u16_at(&hb, 18),
                description: text_field(&hb[28..60]),
                len,
                extended: true,
                data,
            });
            pos += 60 + len;
        }
        out
    }

    /// The header as bytes (`header_size` bytes: 227, 235 or 375 by version).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(HEADER_SIZE_14 as usize);
        o.extend_from_slice(b"LASF");
        o.extend_from_slice(&self.file_source_id.to_le_bytes());
        o.extend_from_slice(&self.global_encoding.to_le_bytes());
        o.extend_from_slice(&self.guid);
        o.push(self.version.0);
        o.push(self.version.1);
        put_text(&mut o, &self.system_identifier, 32);
        put_text(&mut o, &self.generating_software, 32);
        o.extend_from_slice(&self.creation_day.to_le_bytes());
        o.extend_from_slice(&self.creation_year.to_le_bytes());
        o.extend_from_slice(&self.header_size.to_le_bytes());
        o.extend_from_slice(&self.offset_to_points.to_le_bytes());
        o.extend_from_slice(&self.number_of_vlrs.to_le_bytes());
        o.push(self.point_format_raw);
        o.extend_from_slice(&self.record_length.to_le_bytes());
        // Legacy counts: only for formats 0-5 and counts that fit (LAS 1.4 R15, 2.4).
        let legacy_ok = self.point_format() < 6 && self.point_count <= u32::MAX as u64;
        let legacy = |v: u64| if legacy_ok { v.min(u32::MAX as u64) as u32 } else { 0 };
        o.extend_from_slice(&legacy(self.point_count).to_le_bytes());
        for i in 0..5 {
            o.extend_from_slice(&legacy(self.points_by_return[i]).to_le_bytes());
        }
        for v in self.scale.iter().chain(&self.offset) {
            o.extend_from_slice(&v.to_le_bytes());
        }
        let b = &self.bounds;
        for v in [b.max_x, b.min_x, b.max_y, b.min_y, b.max_z, b.min_z] {
            o.extend_from_slice(&v.to_le_bytes());
        }
        if self.version.1 >= 3 {
            o.extend_from_slice(&self.start_of_waveform.to_le_bytes());
        }
        if self.version.1 >= 4 {
            o.extend_from_slice(&self.start_of_evlrs.to_le_bytes());
            o.extend_from_slice(&self.number_of_evlrs.to_le_bytes());
            o.extend_from_slice(&self.point_count.to_le_bytes());
            for v in self.points_by_return {
                o.extend_from_slice(&v.to_le_bytes());
            }
        }
        o.resize(self.header_size as usize, 0);
        o
    }
}

/// Writes a VLR (54-byte header) or, when `vlr.extended`, an EVLR (60-byte header).
pub fn write_vlr<W: Write>(w: &mut W, vlr: &Vlr) -> std::io::Result<()> {
    let mut o = Vec::with_capacity(60 + vlr.data.len());
    o.extend_from_slice(&0u16.to_le_bytes());
    put_text(&mut o, &vlr.user_id, 16);
    o.extend_from_slice(&vlr.record_id.to_le_bytes());
    if vlr.extended {
        o.extend_from_slice(&(vlr.data.len() as u64).to_le_bytes());
    } else {
        o.extend_from_slice(&(vlr.data.len() as u16).to_le_bytes());
    }
    put_text(&mut o, &vlr.description, 32);
    o.extend_from_slice(&vlr.data);
    w.write_all(&o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header() -> RawHeader {
        RawHeader {
            file_source_id: 7,
            global_encoding: 17,
            guid: [3; 16],
            version: (1, 4),
            system_identifier: "zwilling".into(),
            generating_software: "test".into(),
            creation_day: 12,
            creation_year: 2026,
            header_size: HEADER_SIZE_14,
            offset_to_points: HEADER_SIZE_14 as u32,
            number_of_vlrs: 0,
            point_format_raw: 6,
            record_length: 30,
            point_count: 0,
            points_by_return: [0; 15],
            scale: [0.001, 0.001, 0.01],
            offset: [500000.0, 5600000.0, 0.0],
            bounds: Bounds3 { min_x: 1.0, min_y: 2.0, min_z: 3.0, max_x: 4.0, max_y: 5.0, max_z: 6.0 },
            start_of_waveform: 0,
            start_of_evlrs: 0,
            number_of_evlrs: 0,
        }
    }

    #[test]
    fn header_round_trips_at_spec_offsets() {
        let h = header();
        let bytes = h.to_bytes();
        assert_eq!(bytes.len(), 375);
        // Spec offsets: version at 24, point format at 104, x scale at 131, max x at 179.
        assert_eq!((bytes[24], bytes[25], bytes[104]), (1, 4, 6));
        assert_eq!(f64::from_le_bytes(bytes[131..139].try_into().unwrap()), 0.001);
        assert_eq!(f64::from_le_bytes(bytes[179..187].try_into().unwrap()), 4.0);
        let back = RawHeader::read(&mut Cursor::new(&bytes), Path::new("t.las"), bytes.len() as u64).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn rejects_bad_signature_and_format() {
        let mut bytes = header().to_bytes();
        bytes[104] = 11;
        let e = RawHeader::read(&mut Cursor::new(&bytes), Path::new("x.las"), 375).unwrap_err();
        assert!(e.to_string().contains("unknown point data format 11"), "{e}");
        bytes[0] = b'X';
        let e = RawHeader::read(&mut Cursor::new(&bytes), Path::new("x.las"), 375).unwrap_err();
        assert!(e.to_string().starts_with("x.las: not a LAS/LAZ file"), "{e}");
    }
}
