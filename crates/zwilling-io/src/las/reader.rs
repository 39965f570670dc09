//! Streaming LAS/LAZ reader: points come out in file order, block by block, with memory bounded
//! by the block size (never by the file size).
//!
//! LAZ point data is stored in independently compressed chunks (LASzip, Isenburg 2013, "LASzip:
//! lossless compression of LiDAR data", PE&RS 79(2)); the chunk table at the end of the data gives
//! each chunk's byte size (and point count for variable-size chunks, as in COPC). Chunks are
//! decoded in parallel by the pipeline in `chunks.rs` (bounded number of chunks in flight, file
//! order kept) and their records parsed straight into the caller's [`PointBlock`] columns. Files without a usable chunk layout (LASzip's old point-wise
//! compressor, or chunks of more than [`MAX_PARALLEL_CHUNK`] points) are decoded sequentially
//! in bounded pieces.
//!
//! ```no_run
//! use zwilling_io::las::LasReader;
//! let mut r = LasReader::open("survey.laz".as_ref())?;
//! let mut ground = 0;
//! while let Some(block) = r.read_block(1 << 20)? {
//!     ground += block.classification.iter().filter(|&&c| c == 2).count();
//! }
//! # Ok::<(), zwilling_core::Error>(())
//! ```

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use laz::laszip::{ChunkTable, ChunkTableEntry, CompressorType, LasZipDecompressor};
use laz::LazVlr;
use zwilling_core::{CrsInfo, Error, PointBlock, Result};

use super::chunks::{clear, ChunkLayout, ChunkPipeline};
use super::header::RawHeader;
use super::info::LasInfo;
use super::record::{parse_records, RecordFormat};

/// Chunks with more points than this are decoded sequentially in pieces, keeping memory bounded.
pub const MAX_PARALLEL_CHUNK: u64 = 1 << 22;

/// Points per block that [`read_all`](super::read_all) and the commands use.
pub const DEFAULT_BLOCK: usize = 1 << 20;

/// Fields [`LasReader::skip_fields`] may leave undecoded (`true` = skip).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkipFields {
    /// GPS time.
    pub gps_time: bool,
    /// Scan angle.
    pub scan_angle: bool,
    /// User data byte.
    pub user_data: bool,
    /// Point source ID.
    pub point_source_id: bool,
    /// Near infrared (point formats 8 and 10).
    pub nir: bool,
    /// Waveform packets (point formats 9 and 10).
    pub wave_packets: bool,
    /// Extra bytes.
    pub extra_bytes: bool,
}

impl SkipFields {
    /// Everything a 3D tiler or a viewer does not read: GPS time, scan angle, user data, point
    /// source ID, NIR, waveforms and extra bytes (see also [`SkipAttributes`]).
    pub fn all_but_geometry_and_appearance() -> SkipFields {
        SkipFields {
            gps_time: true,
            scan_angle: true,
            user_data: true,
            point_source_id: true,
            nir: true,
            wave_packets: true,
            extra_bytes: true,
        }
    }
}

/// Point attributes [`LasReader::skip_attributes`] may leave undecoded (`true` = skip), in
/// addition to [`SkipFields`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkipAttributes {
    /// The flags of formats 6–10 (synthetic, key-point, withheld, overlap, scan direction, edge
    /// of flight line; the scanner channel is decoded with the coordinates).
    pub flags: bool,
    /// Intensity.
    pub intensity: bool,
    /// Classification.
    pub classification: bool,
}

/// Reads points of one LAS/LAZ file in blocks.
pub struct LasReader {
    info: LasInfo,
    format: RecordFormat,
    source: Source,
    /// Decoded records not yet handed out: `raw[raw_pos..]`.
    raw: Vec<u8>,
    raw_pos: usize,
    /// Points not yet handed out.
    remaining: u64,
    /// Points not yet decoded into `raw`.
    undecoded: u64,
    /// What [`skip_fields`](Self::skip_fields) and [`skip_attributes`](Self::skip_attributes) set.
    skip: (SkipFields, SkipAttributes),
}

#[allow(clippy::large_enum_variant)] // one Source per open reader; boxing buys nothing
enum Source {
    Las(BufReader<File>),
    Chunks(ChunkPipeline),
    Stream(Box<LasZipDecompressor<'static, BufReader<File>>>),
}

impl LasReader {
    /// Opens a LAS or LAZ file and reads its header and VLRs. Checks that the header agrees with
    /// the file (size, point count, LAZ chunk table) so that a damaged file fails here, naming it.
    pub fn open(path: &Path) -> Result<LasReader> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::bad_file(path, "is a directory, not a LAS/LAZ file"));
        }
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut src = BufReader::new(file);
        let h = RawHeader::read(&mut src, path, file_len)?;
        let mut warnings = Vec::new();
        let mut vlrs = h.read_vlrs(&mut src, path)?;
        vlrs.extend(h.read_evlrs(&mut src, file_len, &mut warnings));
        let format = RecordFormat::new(h.point_format(), h.record_length as usize).map_err(|e| e.in_file(path))?;
        let info = LasInfo::from_header(path.to_path_buf(), &h, vlrs, format.layout, warnings);
        let data_start = h.offset_to_points as u64;
        let count = h.point_count;
        let source = if h.is_compressed() {
            open_laz(path, src.into_inner(), &info, &format, data_start, file_len)?
        } else {
            let available = (file_len - data_start) / format.len as u64;
            if count > available {
                return Err(Error::bad_file(
                    path,
                    format!("header says {count} points but the file holds only {available} (truncated?)"),
                ));
            }
            src.seek(SeekFrom::Start(data_start)).map_err(|e| Error::io(path, e))?;
            Source::Las(src)
        };
        Ok(LasReader {
            info,
            format,
            source,
            raw: Vec::new(),
            raw_pos: 0,
            remaining: count,
            undecoded: count,
            skip: Default::default(),
        })
    }

    /// The header and VLRs.
    pub fn info(&self) -> &LasInfo {
        &self.info
    }

    /// Assigns a CRS, replacing what the file says (`--crs EPSG:25832`).
    pub fn set_crs_override(&mut self, crs: CrsInfo) {
        self.info.set_crs(crs);
    }

    /// Leaves the fields in `skip` undecoded where the file allows it: LAZ of point formats 6–10
    /// stores them in separate compressed layers (LAS 1.4 R15, LASzip "layered chunked"), so a
    /// reader that only needs coordinates, returns, classes, intensity and colour (3D tiling) saves
    /// their arithmetic decoding (≈ 15–20 % of the decoding CPU time of a synthetic survey, see
    /// docs/benchmarks/las.md). Coordinates, return numbers and the scanner channel are always
    /// decoded (they share one layer); RGB is decoded whenever the format has it. Other files
    /// decode everything. In every file the skipped columns of the returned blocks are zero (the
    /// flags column keeps the scanner channel), so skipping never leaks stale values. Takes
    /// effect for blocks read after the call.
    pub fn skip_fields(&mut self, skip: SkipFields) {
        self.skip.0 = skip;
        self.set_selection();
    }

    /// Like [`skip_fields`](Self::skip_fields), for the flags, intensity and classification
    /// layers (a tiler that writes no intensity skips it; every reader of the classes keeps
    /// them). Both settings apply together.
    pub fn skip_attributes(&mut self, skip: SkipAttributes) {
        self.skip.1 = skip;
        self.set_selection();
    }

    /// Decodes LAS 1.4 LAZ chunks read from now on with the `laz` crate instead of zwilling-laz
    /// (both give the same bytes; the `laz` crate is the reference the tests compare against).
    pub fn use_reference_decoder(&mut self) {
        if let Source::Chunks(pipeline) = &self.source {
            pipeline.use_reference_decoder();
        }
    }

    /// True when the points come from zwilling-laz's decoder (LAS 1.4 LAZ with a chunk table,
    /// unless [`use_reference_decoder`](Self::use_reference_decoder) was called).
    pub fn uses_own_decoder(&self) -> bool {
        matches!(&self.source, Source::Chunks(p) if p.uses_own_decoder())
    }

    /// Passes the skipped layers to the LAZ chunk decoders.
    fn set_selection(&self) {
        if let Source::Chunks(pipeline) = &self.source {
            pipeline.set_selection(self.selection());
        }
    }

    /// The `laz::DecompressionSelection` bits of the fields not skipped.
    fn selection(&self) -> u32 {
        {
            use laz::DecompressionSelection as D;
            let (f, a) = self.skip;
            let mut bits = D::ALL;
            for (on, bit) in [
                (a.flags, D::FLAGS),
                (a.intensity, D::INTENSITY),
                (a.classification, D::CLASSIFICATION),
                (f.gps_time, D::GPS_TIME),
                (f.scan_angle, D::SCAN_ANGLE),
                (f.user_data, D::USER_DATA),
                (f.point_source_id, D::POINT_SOURCE_ID),
                (f.nir, D::NIR),
                (f.wave_packets, D::WAVEPACKET),
                (f.extra_bytes, D::ALL_EXTRA_BYTES),
            ] {
                if on {
                    bits &= !bit;
                }
            }
            bits
        }
    }

    /// Points not yet returned.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next block of at most `max_points` points in file order, or `None` at the end.
    pub fn read_block(&mut self, max_points: usize) -> Result<Option<PointBlock>> {
        let capacity = (max_points.max(1) as u64).min(self.remaining) as usize;
        let mut block = PointBlock::with_capacity(self.format.layout, capacity);
        Ok(self.read_block_into(&mut block, max_points)?.then_some(block))
    }

    /// Like [`read_block`](Self::read_block) but refills `block` (emptied first, its layout set
    /// to the file's), reusing its memory: a loop that keeps one block allocates nothing per
    /// block. Returns `false` at the end (with `block` empty).
    pub fn read_block_into(&mut self, block: &mut PointBlock, max_points: usize) -> Result<bool> {
        clear(block);
        block.layout = self.format.layout;
        if self.remaining == 0 {
            return Ok(false);
        }
        let max_points = max_points.max(1);
        if let Source::Chunks(pipeline) = &mut self.source {
            let want = (max_points as u64).min(self.remaining) as usize;
            pipeline.fill(block, want)?;
            if block.is_empty() {
                return Err(Error::bad_file(&self.info.path, "LAZ point data ended before the header's point count"));
            }
            self.remaining -= block.len() as u64;
            return Ok(true);
        }
        if self.raw_pos >= self.raw.len() {
            self.fill(max_points)?;
        }
        let len = self.format.len;
        let available = (self.raw.len() - self.raw_pos) / len;
        let take = available.min(max_points).min(self.remaining.min(usize::MAX as u64) as usize);
        if take == 0 {
            return Err(Error::bad_file(&self.info.path, "point data ended early"));
        }
        let end = self.raw_pos + take * len;
        let (f, i) = (&self.format, &self.info);
        parse_records(&self.raw[self.raw_pos..end], f, &i.scale, &i.offset, self.selection(), block);
        self.raw_pos = end;
        self.remaining -= take as u64;
        Ok(true)
    }

    /// Decodes the next points into `raw`.
    fn fill(&mut self, want: usize) -> Result<()> {
        let len = self.format.len;
        let path = &self.info.path;
        self.raw.clear();
        self.raw_pos = 0;
        match &mut self.source {
            Source::Las(src) => {
                let n = (want.max(1 << 16) as u64).min(self.undecoded) as usize;
                self.raw.resize(n * len, 0);
                src.read_exact(&mut self.raw).map_err(|e| truncated(path, e))?;
                self.undecoded -= n as u64;
            }
            Source::Stream(dec) => {
                let n = (want as u64).min(self.undecoded) as usize;
                self.raw.resize(n * len, 0);
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dec.decompress_many(&mut self.raw)));
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Err(truncated(path, e)),
                    Err(_) => return Err(Error::bad_file(path, "LAZ point data is damaged (decoder failed)")),
                }
                self.undecoded -= n as u64;
            }
            Source::Chunks(_) => {}
        }
        Ok(())
    }
}

fn truncated(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::bad_file(path, format!("point data is truncated or damaged: {e}"))
}

fn read_i64_at(f: &mut File, pos: SeekFrom) -> Option<i64> {
    let mut b = [0u8; 8];
    f.seek(pos).ok()?;
    f.read_exact(&mut b).ok()?;
    Some(i64::from_le_bytes(b))
}

/// Sets up LAZ decoding: finds and checks the LASzip VLR and the chunk table.
fn open_laz(
    path: &Path,
    mut file: File,
    info: &LasInfo,
    format: &RecordFormat,
    data_start: u64,
    file_len: u64,
) -> Result<Source> {
    let bad = |m: String| Error::bad_file(path, m);
    let laszip = info
        .vlrs
        .iter()
        .find(|v| v.is_laszip())
        .ok_or_else(|| bad("compressed point format but no LASzip VLR: not a valid LAZ file".into()))?;
    let vlr = LazVlr::from_buffer(&laszip.data).map_err(|e| bad(format!("unreadable LASzip VLR: {e}")))?;
    if vlr.items_size() != format.len as u64 {
        return Err(bad(format!(
            "LASzip VLR describes {}-byte points but the header says {}",
            vlr.items_size(),
            format.len
        )));
    }
    let count = info.point_count;
    // The LASzip VLR starts with the compressor type: 1 point-wise, 2 point-wise chunked, 3 layered chunked.
    let compressor = u16::from_le_bytes([laszip.data[0], laszip.data[1]]);
    let chunked =
        compressor == CompressorType::PointWiseChunked as u16 || compressor == CompressorType::LayeredChunked as u16;
    if !chunked {
        return stream(path, file, vlr, data_start);
    }
    if count == 0 {
        return Ok(chunk_source(path, file, vlr, info, format, Vec::new(), Vec::new()));
    }
    // Offset to the chunk table: first 8 bytes of the point data, or (when the writer could not
    // seek back) the last 8 bytes of the file, as LASzip does.
    let valid = |o: i64| o > data_start as i64 && (o as u64).saturating_add(8) <= file_len;
    let table_at = match read_i64_at(&mut file, SeekFrom::Start(data_start)) {
        Some(o) if valid(o) => o as u64,
        Some(_) => match read_i64_at(&mut file, SeekFrom::End(-8)) {
            Some(o) if valid(o) => o as u64,
            _ => return Err(bad("LAZ chunk table is missing: the file is truncated or was not finished".into())),
        },
        None => return Err(bad("truncated: the LAZ point data is missing".into())),
    };
    let mut head = [0u8; 8];
    file.seek(SeekFrom::Start(table_at)).map_err(|e| Error::io(path, e))?;
    file.read_exact(&mut head).map_err(|e| truncated(path, e))?;
    let n_chunks = u32::from_le_bytes(head[4..8].try_into().unwrap_or_default()) as u64;
    if n_chunks == 0 || n_chunks > (file_len / 2).min(count) + 1 {
        return Err(bad(format!("LAZ chunk table lists {n_chunks} chunks for {count} points: damaged")));
    }
    file.seek(SeekFrom::Start(table_at)).map_err(|e| Error::io(path, e))?;
    let table = ChunkTable::read(&mut BufReader::new(&mut file), vlr.uses_variable_size_chunks())
        .map_err(|e| bad(format!("unreadable LAZ chunk table (truncated?): {e}")))?;
    let mut chunks: Vec<ChunkTableEntry> = table.as_ref().to_vec();
    if !vlr.uses_variable_size_chunks() {
        let size = vlr.chunk_size() as u64;
        let capacity = size.saturating_mul(chunks.len() as u64);
        if count > capacity {
            return Err(bad(format!(
                "header says {count} points but the LAZ chunk table holds at most {capacity} (truncated?)"
            )));
        }
        let mut left = count;
        for c in &mut chunks {
            c.point_count = size.min(left);
            left -= c.point_count;
        }
    } else {
        let total: u64 = chunks.iter().map(|c| c.point_count).sum();
        if count > total {
            return Err(bad(format!("header says {count} points but the LAZ chunks hold only {total} (truncated?)")));
        }
        let mut left = count;
        for c in &mut chunks {
            c.point_count = c.point_count.min(left);
            left -= c.point_count;
        }
    }
    let mut starts = Vec::with_capacity(chunks.len());
    let mut pos = data_start + 8;
    for c in &chunks {
        starts.push(pos);
        pos = pos.saturating_add(c.byte_count);
    }
    if pos > table_at {
        return Err(bad(format!(
            "LAZ chunk table lists {} bytes of chunks but only {} precede the table: damaged",
            pos - data_start - 8,
            table_at - data_start - 8
        )));
    }
    let keep: Vec<usize> = (0..chunks.len()).filter(|&i| chunks[i].point_count > 0).collect();
    let chunks: Vec<ChunkTableEntry> = keep.iter().map(|&i| chunks[i]).collect();
    let starts: Vec<u64> = keep.iter().map(|&i| starts[i]).collect();
    if chunks.iter().any(|c| c.point_count > MAX_PARALLEL_CHUNK) {
        return stream(path, file, vlr, data_start);
    }
    Ok(chunk_source(path, file, vlr, info, format, chunks, starts))
}

fn chunk_source(
    path: &Path,
    file: File,
    vlr: LazVlr,
    info: &LasInfo,
    format: &RecordFormat,
    chunks: Vec<ChunkTableEntry>,
    starts: Vec<u64>,
) -> Source {
    Source::Chunks(ChunkPipeline::new(ChunkLayout {
        path: path.to_path_buf(),
        file,
        vlr,
        chunks,
        starts,
        format: *format,
        scale: info.scale,
        offset: info.offset,
    }))
}

fn stream(path: &Path, mut file: File, vlr: LazVlr, data_start: u64) -> Result<Source> {
    file.seek(SeekFrom::Start(data_start)).map_err(|e| Error::io(path, e))?;
    let dec = LasZipDecompressor::new(BufReader::new(file), vlr)
        .map_err(|e| Error::bad_file(path, format!("cannot decode LAZ data: {e}")))?;
    Ok(Source::Stream(Box::new(dec)))
}

/// Reads a whole file into one block (for files known to be small; prefer [`LasReader`]).
pub fn read_all(path: &Path) -> Result<(LasInfo, PointBlock)> {
    let mut r = LasReader::open(path)?;
    let mut all = PointBlock::with_capacity(r.format.layout, r.info.point_count.min(1 << 24) as usize);
    let mut b = PointBlock::with_capacity(r.format.layout, DEFAULT_BLOCK.min(r.remaining as usize));
    while r.read_block_into(&mut b, DEFAULT_BLOCK)? {
        super::chunks::append_range(&mut all, &b, 0, b.len());
    }
    Ok((r.info, all))
}

/// Appends all columns of `b` to `all` (same layout).
#[cfg(test)]
pub(crate) fn extend(all: &mut PointBlock, b: PointBlock) {
    super::chunks::append_range(all, &b, 0, b.len());
}

/// The path a reader is reading.
impl LasReader {
    /// The file being read.
    pub fn path(&self) -> &PathBuf {
        &self.info.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::las::{LasWriter, WriterOptions};
    use zwilling_core::PointLayout;

    /// Skipping fields: in LAS and in layered LAZ (format 7, several chunks, read in small blocks)
    /// every kept column comes back exactly as written and every skipped one is zero — no
    /// decoder's leftovers. The written values are all non-zero, so a skipped column that was
    /// still decoded (or parsed) would show up.
    #[test]
    fn skipped_fields_read_as_zero_and_kept_ones_exactly() {
        let n = 3000;
        let mut b = PointBlock::with_capacity(PointLayout::for_format(7, 0).unwrap(), n);
        for i in 0..n {
            let k = i as f64;
            b.push_xyz(500_000.0 + 0.01 * k, 5_400_000.0 + (k * 0.37).sin(), 100.0 + 0.001 * k, (i % 7 + 1) as u8);
            *b.intensity.last_mut().unwrap() = 1 + (i * 13 % 4000) as u16;
            *b.return_number.last_mut().unwrap() = 1 + (i % 3) as u8;
            *b.number_of_returns.last_mut().unwrap() = 3;
            // synthetic + withheld, scanner channel 2 (bits 6–7)
            *b.flags.last_mut().unwrap() = 0x05 | (2 << zwilling_core::points::flag::SCANNER_CHANNEL_SHIFT);
            *b.scan_angle.last_mut().unwrap() = 0.006 * (1 + i % 500) as f32;
            *b.user_data.last_mut().unwrap() = 1 + (i % 200) as u8;
            *b.point_source_id.last_mut().unwrap() = 1 + i as u16;
            *b.gps_time.last_mut().unwrap() = 1e8 + k * 1e-4;
            *b.rgb.last_mut().unwrap() = [1 + i as u16, 2 * i as u16 + 1, 300];
        }
        let d = tempfile::tempdir().unwrap();
        for name in ["p.las", "p.laz"] {
            let path = d.path().join(name);
            let opts = WriterOptions {
                point_format: 7,
                minor_version: 4,
                offset: [500_000.0, 5_400_000.0, 0.0],
                laz_chunk_size: 700,
                ..WriterOptions::default()
            };
            let mut w = LasWriter::create(&path, opts).unwrap();
            w.write_block(&b).unwrap();
            w.finish().unwrap();
            let mut r = LasReader::open(&path).unwrap();
            r.skip_fields(SkipFields::all_but_geometry_and_appearance());
            r.skip_attributes(SkipAttributes { flags: true, intensity: true, classification: false });
            let mut got = PointBlock::with_capacity(b.layout, n);
            while let Some(part) = r.read_block(512).unwrap() {
                extend(&mut got, part);
            }
            assert_eq!(got.len(), n, "{name}");
            let close = |a: &[f64], e: &[f64], tol: f64| a.iter().zip(e).all(|(a, e)| (a - e).abs() <= tol);
            assert!(close(&got.x, &b.x, 5e-4) && close(&got.y, &b.y, 5e-4) && close(&got.z, &b.z, 5e-4), "{name}");
            assert_eq!(got.classification, b.classification, "{name}");
            assert_eq!((&got.return_number, &got.number_of_returns), (&b.return_number, &b.number_of_returns));
            assert_eq!(got.rgb, b.rgb, "{name}");
            assert!(got.flags.iter().all(|&f| f == 2 << 6), "{name}: flags other than the channel survived");
            assert!(got.intensity.iter().all(|&v| v == 0), "{name}: intensity");
            assert!(got.gps_time.iter().all(|&v| v == 0.0), "{name}: GPS time");
            assert!(got.scan_angle.iter().all(|&v| v == 0.0), "{name}: scan angle");
            assert!(got.user_data.iter().all(|&v| v == 0), "{name}: user data");
            assert!(got.point_source_id.iter().all(|&v| v == 0), "{name}: point source ID");
            // Without skipping, the same file gives every field back.
            let (_, all) = read_all(&path).unwrap();
            assert_eq!((&all.gps_time, &all.user_data, &all.intensity), (&b.gps_time, &b.user_data, &b.intensity));
            assert_eq!(all.flags, b.flags, "{name}");
        }
    }
}
