//! Writing LAS/LAZ files atomically: points go to a temporary file beside the target, which is
//! renamed over the target only in [`LasWriter::finish`]. A writer dropped without `finish` (an
//! error, a panic, Ctrl-C) leaves no output behind.
//!
//! The header's point counts, counts by return and bounds are computed from the written points
//! (bounds from the stored integers, so they equal what any reader computes). LAZ (when the path
//! ends in `.laz`) uses LASzip fixed-size chunks of [`WriterOptions::laz_chunk_size`] points,
//! compressed in parallel; the output bytes do not depend on the number of threads.
//!
//! ```no_run
//! use zwilling_core::{class, PointBlock, PointLayout};
//! use zwilling_io::las::{LasWriter, WriterOptions};
//! let mut block = PointBlock::with_capacity(PointLayout::for_format(6, 0).unwrap(), 1);
//! block.push_xyz(500_000.0, 5_600_000.0, 50.0, class::GROUND);
//! let opts = WriterOptions { offset: [500_000.0, 5_600_000.0, 0.0], ..WriterOptions::default() };
//! let mut w = LasWriter::create("out.laz".as_ref(), opts)?;
//! w.write_block(&block)?;
//! w.finish()?;
//! # Ok::<(), zwilling_core::Error>(())
//! ```

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use laz::laszip::parallel::ParLasZipCompressor;
use laz::{LazItemRecordBuilder, LazVlrBuilder};
use zwilling_core::{Bounds3, CrsInfo, Error, PointBlock, Result};

use super::crs::{crs_vlrs, CrsSource};
use super::header::{write_vlr, RawHeader, Vlr, HEADER_SIZE_12, HEADER_SIZE_13, HEADER_SIZE_14};
use super::info::LasInfo;
use super::record::{check_block, encode_records, EncodeStats, RecordFormat};

/// Global-encoding bit: the CRS is given as WKT (LAS 1.4).
pub const GLOBAL_ENCODING_WKT: u16 = 1 << 4;

/// How to write a LAS/LAZ file.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterOptions {
    /// Point data record format 0–10.
    pub point_format: u8,
    /// LAS minor version: 2, 3 or 4 (formats 6–10 need 4).
    pub minor_version: u8,
    /// Coordinate scale (resolution) x, y, z.
    pub scale: [f64; 3],
    /// Coordinate offset x, y, z: choose it near the data (stored integers are 32 bit).
    pub offset: [f64; 3],
    /// CRS written as an OGC WKT record when `crs.wkt` is set, else as GeoTIFF keys naming the
    /// EPSG code(s). Ignored when `vlrs` already holds `LASF_Projection` records.
    pub crs: CrsInfo,
    /// Extra bytes per point (their description, the `LASF_Spec` record 4, goes in `vlrs`).
    pub extra_bytes: usize,
    /// Records copied into the output (extended ones after the points, LAS 1.4 only).
    /// LASzip and COPC records are never copied: they would not describe the new file.
    pub vlrs: Vec<Vlr>,
    /// System identifier (32 characters at most).
    pub system_identifier: String,
    /// Generating software (32 characters at most).
    pub generating_software: String,
    /// File source id.
    pub file_source_id: u16,
    /// Global encoding bits (the WKT bit is set automatically when a WKT record is written).
    pub global_encoding: u16,
    /// Project GUID.
    pub guid: [u8; 16],
    /// Creation (day of year, year). Zero by default so that output bytes are reproducible.
    pub creation: (u16, u16),
    /// Points per LAZ chunk.
    pub laz_chunk_size: u32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            point_format: 6,
            minor_version: 4,
            scale: [0.001; 3],
            offset: [0.0; 3],
            crs: CrsInfo::default(),
            extra_bytes: 0,
            vlrs: Vec::new(),
            system_identifier: "zwilling".into(),
            generating_software: concat!("zwilling ", env!("CARGO_PKG_VERSION")).into(),
            file_source_id: 0,
            global_encoding: 0,
            guid: [0; 16],
            creation: (0, 0),
            laz_chunk_size: 50_000,
        }
    }
}

impl WriterOptions {
    /// Options that reproduce `info`'s file: same version, point format, scale, offset, extra
    /// bytes, header fields and VLRs (CRS records included), so that a filter can rewrite a file
    /// with every attribute unchanged except the ones it edits. A CRS assigned with `--crs`
    /// replaces the file's CRS records.
    pub fn like(info: &LasInfo) -> Self {
        let overridden = info.crs_source == CrsSource::Override;
        let vlrs = info
            .vlrs
            .iter()
            .filter(|v| !v.is_laszip() && !v.is_copc())
            .filter(|v| !(overridden && v.is_projection()))
            .filter(|v| v.data.len() as u64 == v.len)
            .filter(|v| !v.extended || info.version.1 >= 4)
            .cloned()
            .collect();
        let mut global_encoding = info.global_encoding;
        if overridden {
            global_encoding &= !GLOBAL_ENCODING_WKT;
        }
        WriterOptions {
            point_format: info.point_format,
            minor_version: info.version.1.max(2),
            scale: info.scale,
            offset: info.offset,
            crs: info.crs.clone(),
            extra_bytes: info.layout.extra_bytes,
            vlrs,
            system_identifier: info.system_identifier.clone(),
            generating_software: info.generating_software.clone(),
            file_source_id: info.file_source_id,
            global_encoding,
            guid: info.guid,
            creation: info.creation,
            laz_chunk_size: 50_000,
        }
    }

    /// Replaces the CRS (and drops copied `LASF_Projection` records).
    pub fn with_crs(mut self, crs: CrsInfo) -> Self {
        self.vlrs.retain(|v| !v.is_projection());
        self.global_encoding &= !GLOBAL_ENCODING_WKT;
        self.crs = crs;
        self
    }
}

enum Sink {
    Las(BufWriter<File>),
    Laz(Box<ParLasZipCompressor<BufWriter<File>>>),
}

/// Writes one LAS/LAZ file; see the module documentation.
pub struct LasWriter {
    path: PathBuf,
    temp: Option<tempfile::TempPath>,
    sink: Option<Sink>,
    header: RawHeader,
    evlrs: Vec<Vlr>,
    format: RecordFormat,
    stats: EncodeStats,
    buf: Vec<u8>,
}

impl LasWriter {
    /// Starts writing `path` (LAZ when it ends in `.laz`, any case).
    pub fn create(path: &Path, opts: WriterOptions) -> Result<LasWriter> {
        let bad = |m: String| Error::invalid(m).in_file(path);
        let f = opts.point_format;
        let format = RecordFormat::new(f, super::record::base_record_len(f).unwrap_or(0) + opts.extra_bytes)
            .map_err(|e| e.in_file(path))?;
        let minor = opts.minor_version;
        if !(2..=4).contains(&minor) {
            return Err(bad(format!("LAS 1.{minor} cannot be written (choose 1.2, 1.3 or 1.4)")));
        }
        if (f >= 6 && minor < 4) || (f >= 4 && minor < 3) {
            return Err(bad(format!("point format {f} needs LAS 1.{}", if f >= 6 { 4 } else { 3 })));
        }
        if format.len > u16::MAX as usize {
            return Err(bad(format!("{} extra bytes make the point record too long", opts.extra_bytes)));
        }
        if opts.scale.iter().any(|s| !s.is_finite() || *s <= 0.0) || opts.offset.iter().any(|o| !o.is_finite()) {
            return Err(bad(format!("invalid scale {:?} or offset {:?}", opts.scale, opts.offset)));
        }
        let compressed = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("laz"));
        let mut vlrs: Vec<Vlr> = Vec::new();
        let mut evlrs: Vec<Vlr> = Vec::new();
        for v in opts.vlrs.iter().filter(|v| !v.is_laszip() && !v.is_copc()) {
            if v.extended || v.data.len() > u16::MAX as usize {
                if minor < 4 {
                    return Err(bad(format!("record {}/{} is too large for LAS 1.{minor}", v.user_id, v.record_id)));
                }
                evlrs.push(Vlr { extended: true, ..v.clone() });
            } else {
                vlrs.push(Vlr { extended: false, ..v.clone() });
            }
        }
        let mut global_encoding = opts.global_encoding;
        if !opts.vlrs.iter().any(|v| v.is_projection()) {
            global_encoding &= !GLOBAL_ENCODING_WKT;
            for v in crs_vlrs(&opts.crs) {
                if v.record_id == 2112 {
                    global_encoding |= GLOBAL_ENCODING_WKT;
                }
                vlrs.push(v);
            }
        }
        let laz_vlr = if compressed {
            let items = LazItemRecordBuilder::default_for_point_format_id(f, opts.extra_bytes as u16)
                .map_err(|e| bad(format!("LAZ cannot store point format {f}: {e}")))?;
            let vlr = LazVlrBuilder::new(items).with_fixed_chunk_size(opts.laz_chunk_size.max(1)).build();
            let mut data = Vec::new();
            vlr.write_to(&mut data).map_err(|e| Error::io(path, e))?;
            vlrs.push(Vlr::new("laszip encoded", 22204, "https://laszip.org", data));
            Some(vlr)
        } else {
            None
        };
        let header_size = match minor {
            2 => HEADER_SIZE_12,
            3 => HEADER_SIZE_13,
            _ => HEADER_SIZE_14,
        };
        let vlr_bytes: usize = vlrs.iter().map(|v| 54 + v.data.len()).sum();
        let header = RawHeader {
            file_source_id: opts.file_source_id,
            global_encoding,
            guid: opts.guid,
            version: (1, minor),
            system_identifier: opts.system_identifier.clone(),
            generating_software: opts.generating_software.clone(),
            creation_day: opts.creation.0,
            creation_year: opts.creation.1,
            header_size,
            offset_to_points: (header_size as usize + vlr_bytes) as u32,
            number_of_vlrs: vlrs.len() as u32,
            point_format_raw: if compressed { f | 0x80 } else { f },
            record_length: format.len as u16,
            point_count: 0,
            points_by_return: [0; 15],
            scale: opts.scale,
            offset: opts.offset,
            bounds: Bounds3 { min_x: 0.0, min_y: 0.0, min_z: 0.0, max_x: 0.0, max_y: 0.0, max_z: 0.0 },
            start_of_waveform: 0,
            start_of_evlrs: 0,
            number_of_evlrs: evlrs.len() as u32,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".part");
        // Temporary files are private (0600) by default; the output is a normal file: 0666
        // minus the umask, as `File::create` gives.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(path, e))?;
        let (file, temp) = tmp.into_parts();
        let mut w = BufWriter::with_capacity(1 << 20, file);
        w.write_all(&header.to_bytes()).map_err(|e| Error::io(path, e))?;
        for v in &vlrs {
            write_vlr(&mut w, v).map_err(|e| Error::io(path, e))?;
        }
        let sink = match laz_vlr {
            Some(vlr) => {
                let c = ParLasZipCompressor::new(w, vlr).map_err(|e| bad(format!("LAZ: {e}")))?;
                Sink::Laz(Box::new(c))
            }
            None => Sink::Las(w),
        };
        Ok(LasWriter {
            path: path.to_path_buf(),
            temp: Some(temp),
            sink: Some(sink),
            header,
            evlrs,
            format,
            stats: EncodeStats::default(),
            buf: Vec::new(),
        })
    }

    /// Appends the points of `block`, which must carry every column the point format needs and
    /// exactly [`WriterOptions::extra_bytes`] extra bytes per point.
    pub fn write_block(&mut self, block: &PointBlock) -> Result<()> {
        let path = &self.path;
        check_block(block, &self.format).map_err(|e| e.in_file(path))?;
        self.buf.clear();
        let (scale, offset) = (self.header.scale, self.header.offset);
        encode_records(block, 0..block.len(), &self.format, &scale, &offset, &mut self.buf, &mut self.stats)
            .map_err(|e| e.in_file(path))?;
        match self.sink.as_mut() {
            Some(Sink::Las(w)) => w.write_all(&self.buf).map_err(|e| Error::io(path, e)),
            Some(Sink::Laz(c)) => {
                // The LAZ encoder checks arithmetic overflow in debug builds on implausible
                // values (e.g. wave packet offsets); report that as an error, not a panic.
                let buf = &self.buf;
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.compress_many(buf))) {
                    Ok(r) => r.map_err(|e| Error::io(path, e)),
                    Err(_) => Err(Error::invalid("LAZ compression failed on these point values").in_file(path)),
                }
            }
            None => Err(Error::invalid("write after finish").in_file(path)),
        }
    }

    /// Points written so far.
    pub fn point_count(&self) -> u64 {
        self.stats.count
    }

    /// Completes the header, writes extended VLRs and moves the file into place.
    pub fn finish(mut self) -> Result<()> {
        let path = self.path.clone();
        let io = |e: std::io::Error| Error::io(&path, e);
        let mut w = match self.sink.take() {
            Some(Sink::Las(w)) => w,
            Some(Sink::Laz(mut c)) => {
                c.done().map_err(|e| Error::bad_file(&path, format!("LAZ compression failed: {e}")))?;
                c.into_inner()
            }
            None => return Err(Error::invalid("finish called twice").in_file(&path)),
        };
        let h = &mut self.header;
        let s = &self.stats;
        h.point_count = s.count;
        h.points_by_return = s.by_return;
        if s.count > 0 {
            let real = |k: usize, q: i32| q as f64 * h.scale[k] + h.offset[k];
            h.bounds = Bounds3 {
                min_x: real(0, s.min[0]),
                min_y: real(1, s.min[1]),
                min_z: real(2, s.min[2]),
                max_x: real(0, s.max[0]),
                max_y: real(1, s.max[1]),
                max_z: real(2, s.max[2]),
            };
        }
        if h.version.1 < 4 && s.count > u32::MAX as u64 {
            return Err(Error::invalid(format!("{} points need LAS 1.4", s.count)).in_file(&path));
        }
        if !self.evlrs.is_empty() {
            h.start_of_evlrs = w.seek(SeekFrom::End(0)).map_err(io)?;
            for v in &self.evlrs {
                write_vlr(&mut w, v).map_err(io)?;
            }
        }
        w.seek(SeekFrom::Start(0)).map_err(io)?;
        w.write_all(&h.to_bytes()).map_err(io)?;
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        drop(file);
        if let Some(temp) = self.temp.take() {
            temp.persist(&path).map_err(|e| io(e.error))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::{class, PointLayout};

    /// The finished file gets the permissions of any file the user creates (`File::create`:
    /// 0666 minus the umask), not the private 0600 of a temporary file.
    #[cfg(unix)]
    #[test]
    fn finished_files_have_normal_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let reference = d.path().join("reference");
        File::create(&reference).unwrap();
        let want = std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
        for name in ["out.las", "out.laz"] {
            let path = d.path().join(name);
            let mut block = PointBlock::with_capacity(PointLayout::for_format(6, 0).unwrap(), 1);
            block.push_xyz(1.0, 2.0, 3.0, class::GROUND);
            let mut w = LasWriter::create(&path, WriterOptions::default()).unwrap();
            w.write_block(&block).unwrap();
            w.finish().unwrap();
            let got = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, want, "{name}: mode {got:o}, File::create gives {want:o}");
        }
    }
}
