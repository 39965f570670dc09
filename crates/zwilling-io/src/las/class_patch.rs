//! Rewriting the classification of a layered LAZ file without recompressing its other fields.
//!
//! LASzip compresses point formats 6–10 ("LAS 1.4 native", compressor type 3 "layered chunked",
//! item versions 3 and 4) chunk by chunk, and inside each chunk field by field: every point
//! record item writes its fields into separate arithmetic-coded layers (Isenburg, "LASzip:
//! lossless compression of LiDAR data", PE&RS 79(2), 2013; LAS 1.4 R15 / LASzip 3 "native
//! extension"). A chunk is laid out as
//!
//! ```text
//! first point, raw (all items) | u32 points in chunk | u32 size of every layer | layer bytes
//! ```
//!
//! with the point item's nine layers first: channel/returns/XY, Z, classification, flags,
//! intensity, scan angle, user data, point source, GPS time (then RGB: 1, RGB+NIR: 2, wave
//! packets: 1, extra bytes: one per byte). The classification layer codes symbol `c` of a point
//! with the adaptive 256-symbol model of context
//!
//! ```text
//! ccc = ((c_last & 0x1F) << 1) + (single return ? 1 : 0)       (single: r == 1 and r >= n)
//! ```
//!
//! where `c_last` is the class of the previous point of the same scanner channel (a channel seen
//! for the first time in a chunk starts from the previous point of the channel before it), and
//! the models belong to the scanner channel's context. No other layer reads the class (the user
//! data models are indexed by the previous user data byte), and a layer that never changes in a
//! chunk is stored with size 0. So a classifier that only changes classes can re-encode that one
//! layer from (class, return number, number of returns, scanner channel) per point, patch the
//! class byte of the chunk's raw first point, copy every other layer's bytes unchanged and write a
//! new chunk table; the result decodes to exactly the points a full re-encode would give (the
//! tests below check that it is byte for byte the chunk `laz` writes itself).
//!
//! Everything else is copied: header, VLRs and extended VLRs (whose start offset is moved by the
//! size difference). Files this module cannot patch (LAS, point formats 0–5, point-wise LAZ,
//! waveform data inside the file) get `None` from [`LazClassPatcher::open`]: rewrite them in full
//! with [`LasWriter`](super::LasWriter).
//!
//! ```no_run
//! use zwilling_io::las::{ChunkPoints, LazClassPatcher};
//! if let Some(p) = LazClassPatcher::open("in.laz".as_ref())? {
//!     // Every point ground, keeping its returns and scanner channel from a first read.
//!     p.write("out.laz".as_ref(), |_first, n, keys: &mut ChunkPoints| {
//!         keys.classification.resize(n, 2);
//!         keys.returns.resize(n, 0x11);
//!         keys.scanner_channel.resize(n, 0);
//!         Ok(())
//!     })?;
//! }
//! # Ok::<(), zwilling_core::Error>(())
//! ```

use std::fs::File;
use std::io::{BufReader, BufWriter, Cursor, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use laz::encoders::ArithmeticEncoder;
use laz::laszip::{ChunkTable, ChunkTableEntry, CompressorType};
use laz::models::{ArithmeticModel, ArithmeticModelBuilder};
use laz::{LazItemType, LazVlr};
use rayon::prelude::*;
use zwilling_core::{Error, Result};

use super::header::RawHeader;
use crate::positioned::read_exact_at;

/// The per-point values the classification layer depends on, for a run of consecutive points.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkPoints {
    /// New class of each point.
    pub classification: Vec<u8>,
    /// Return number in the low 4 bits, number of returns in the high 4 bits (the LAS 1.4
    /// record's byte 14).
    pub returns: Vec<u8>,
    /// Scanner channel 0–3.
    pub scanner_channel: Vec<u8>,
}

impl ChunkPoints {
    fn clear(&mut self) {
        self.classification.clear();
        self.returns.clear();
        self.scanner_channel.clear();
    }
}

/// A layered LAZ file whose classes can be rewritten by re-encoding only the classification layer.
pub struct LazClassPatcher {
    path: PathBuf,
    file: File,
    header: RawHeader,
    /// Bytes before the point data: header and VLRs, copied verbatim.
    head: Vec<u8>,
    vlr: LazVlr,
    record_len: usize,
    /// Number of u32 layer sizes after the point count of a chunk.
    layer_count: usize,
    chunks: Vec<ChunkTableEntry>,
    starts: Vec<u64>,
    file_len: u64,
}

/// Points of the chunks handed to one parallel batch.
const BATCH_POINTS: u64 = 1 << 20;

impl LazClassPatcher {
    /// Opens `path`; `Ok(None)` when it is not a layered-chunked LAZ of point format 6–10 without
    /// internal waveform data (rewrite such files in full). A damaged file is an error naming it.
    pub fn open(path: &Path) -> Result<Option<LazClassPatcher>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut src = BufReader::new(file);
        let h = RawHeader::read(&mut src, path, file_len)?;
        // Bit 1 of the global encoding: waveform packets inside the file, after the points.
        if !h.is_compressed() || h.point_format() < 6 || h.global_encoding & 2 != 0 || h.point_count == 0 {
            return Ok(None);
        }
        let vlrs = h.read_vlrs(&mut src, path)?;
        let bad = |m: String| Error::bad_file(path, m);
        let Some(laszip) = vlrs.iter().find(|v| v.is_laszip()) else { return Ok(None) };
        let vlr = LazVlr::from_buffer(&laszip.data).map_err(|e| bad(format!("unreadable LASzip VLR: {e}")))?;
        let compressor = u16::from_le_bytes([laszip.data[0], laszip.data[1]]);
        if compressor != CompressorType::LayeredChunked as u16 {
            return Ok(None);
        }
        let mut layer_count = 0;
        for (k, item) in vlr.items().iter().enumerate() {
            if !(3..=4).contains(&item.version()) {
                return Ok(None);
            }
            layer_count += match item.item_type() {
                LazItemType::Point14 if k == 0 => 9,
                LazItemType::RGB14 | LazItemType::WavePacket14 => 1,
                LazItemType::RGBNIR14 => 2,
                LazItemType::Byte14(n) => n as usize,
                _ => return Ok(None),
            };
        }
        if vlr.items_size() != h.record_length as u64 {
            return Ok(None);
        }
        let mut file = src.into_inner();
        let data_start = h.offset_to_points as u64;
        let mut head = vec![0u8; data_start as usize];
        read_exact_at(&file, &mut head, 0).map_err(|e| Error::io(path, e))?;
        let mut at = [0u8; 8];
        read_exact_at(&file, &mut at, data_start).map_err(|e| Error::io(path, e))?;
        let table_at = i64::from_le_bytes(at);
        if table_at <= data_start as i64 || table_at as u64 + 8 > file_len {
            // The table offset at the end of the file (a writer that could not seek): rare, and
            // the full rewrite handles it.
            return Ok(None);
        }
        file.seek(SeekFrom::Start(table_at as u64)).map_err(|e| Error::io(path, e))?;
        let table = ChunkTable::read(&mut BufReader::new(&mut file), vlr.uses_variable_size_chunks())
            .map_err(|e| bad(format!("unreadable LAZ chunk table (truncated?): {e}")))?;
        let mut chunks: Vec<ChunkTableEntry> = table.as_ref().to_vec();
        let mut left = h.point_count;
        for c in &mut chunks {
            let n = if vlr.uses_variable_size_chunks() { c.point_count } else { vlr.chunk_size() as u64 };
            c.point_count = n.min(left);
            left -= c.point_count;
        }
        if left > 0 {
            return Err(bad(format!("the LAZ chunk table holds {left} points fewer than the header says")));
        }
        let mut starts = Vec::with_capacity(chunks.len());
        let mut pos = data_start + 8;
        for c in &chunks {
            starts.push(pos);
            pos = pos.saturating_add(c.byte_count);
        }
        if pos > table_at as u64 {
            return Err(bad("the LAZ chunk table lists more bytes than precede it: damaged".into()));
        }
        Ok(Some(LazClassPatcher {
            path: path.to_path_buf(),
            file,
            record_len: h.record_length as usize,
            header: h,
            head,
            vlr,
            layer_count,
            chunks,
            starts,
            file_len,
        }))
    }

    /// Writes `output` (atomically: a temporary file renamed at the end): the input with every
    /// point's class replaced. `points(first, n, keys)` fills `keys` (cleared before each call)
    /// with the values of the `n` points from ordinal `first` on (in file order); it is called for
    /// consecutive runs of whole chunks. The chunks of a run are re-encoded in parallel; the
    /// output does not depend on the number of threads.
    pub fn write<F>(self, output: &Path, mut points: F) -> Result<()>
    where
        F: FnMut(u64, usize, &mut ChunkPoints) -> Result<()>,
    {
        let io = |e: std::io::Error| Error::io(output, e);
        let dir = match output.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".part");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let (file, temp) = builder.tempfile_in(&dir).map_err(|e| Error::io(output, e))?.into_parts();
        let mut w = BufWriter::with_capacity(1 << 20, file);
        w.write_all(&self.head).map_err(io)?;
        w.write_all(&[0u8; 8]).map_err(io)?;
        let mut table = ChunkTable::with_capacity(self.chunks.len());
        let mut keys = ChunkPoints::default();
        let (mut k, mut first) = (0usize, 0u64);
        while k < self.chunks.len() {
            let mut end = k;
            let mut n = 0u64;
            while end < self.chunks.len() && (end == k || n + self.chunks[end].point_count <= BATCH_POINTS) {
                n += self.chunks[end].point_count;
                end += 1;
            }
            keys.clear();
            points(first, n as usize, &mut keys)?;
            if keys.classification.len() != n as usize
                || keys.returns.len() != n as usize
                || keys.scanner_channel.len() != n as usize
            {
                return Err(Error::invalid(format!("class patch: {n} points asked, other counts given")));
            }
            let mut offsets = Vec::with_capacity(end - k);
            let mut o = 0usize;
            for c in &self.chunks[k..end] {
                offsets.push(o);
                o += c.point_count as usize;
            }
            let patched: Vec<Result<Vec<u8>>> = (k..end)
                .into_par_iter()
                .zip(offsets)
                .map(|(c, o)| {
                    let entry = self.chunks[c];
                    let mut raw = vec![0u8; entry.byte_count as usize];
                    read_exact_at(&self.file, &mut raw, self.starts[c]).map_err(|e| Error::io(&self.path, e))?;
                    if entry.point_count == 0 {
                        return Ok(raw);
                    }
                    let range = o..o + entry.point_count as usize;
                    let part = ChunkPoints {
                        classification: keys.classification[range.clone()].to_vec(),
                        returns: keys.returns[range.clone()].to_vec(),
                        scanner_channel: keys.scanner_channel[range].to_vec(),
                    };
                    patch_chunk(&raw, self.record_len, self.layer_count, &part)
                        .map_err(|m| Error::bad_file(&self.path, format!("LAZ chunk {c}: {m}")))
                })
                .collect();
            for (c, bytes) in (k..end).zip(patched) {
                let bytes = bytes?;
                w.write_all(&bytes).map_err(io)?;
                table.push(ChunkTableEntry { point_count: self.chunks[c].point_count, byte_count: bytes.len() as u64 });
            }
            first += n;
            k = end;
        }
        let table_at = w.stream_position().map_err(io)?;
        table.write_to(&mut w, &self.vlr).map_err(io)?;
        let h = &self.header;
        let mut evlr_start = None;
        if h.version.1 >= 4 && h.number_of_evlrs > 0 && h.start_of_evlrs > 0 && h.start_of_evlrs < self.file_len {
            let at = w.stream_position().map_err(io)?;
            let mut rest = vec![0u8; (self.file_len - h.start_of_evlrs) as usize];
            read_exact_at(&self.file, &mut rest, h.start_of_evlrs).map_err(|e| Error::io(&self.path, e))?;
            w.write_all(&rest).map_err(io)?;
            evlr_start = Some(at);
        }
        let data_start = h.offset_to_points as u64;
        w.seek(SeekFrom::Start(data_start)).map_err(io)?;
        w.write_all(&(table_at as i64).to_le_bytes()).map_err(io)?;
        if let Some(at) = evlr_start {
            // LAS 1.4 header: start of the first extended VLR at byte 235.
            w.seek(SeekFrom::Start(235)).map_err(io)?;
            w.write_all(&at.to_le_bytes()).map_err(io)?;
        }
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        drop(file);
        temp.persist(output).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// One chunk with its classification layer re-encoded from `keys` (every other byte copied).
fn patch_chunk(
    raw: &[u8],
    record_len: usize,
    layer_count: usize,
    keys: &ChunkPoints,
) -> std::result::Result<Vec<u8>, String> {
    let sizes_at = record_len + 4;
    let data_at = sizes_at + 4 * layer_count;
    if raw.len() < data_at {
        return Err(format!("{} bytes, too short for its layer table", raw.len()));
    }
    let u32_at = |o: usize| u32::from_le_bytes(raw[o..o + 4].try_into().unwrap_or_default()) as usize;
    let count = u32_at(record_len);
    let n = keys.classification.len();
    if count != n {
        return Err(format!("holds {count} points, the chunk table says {n}"));
    }
    let sizes: Vec<usize> = (0..layer_count).map(|i| u32_at(sizes_at + 4 * i)).collect();
    if data_at + sizes.iter().sum::<usize>() != raw.len() {
        return Err("layer sizes do not add up to the chunk size: damaged".into());
    }
    // First point: byte 14 returns, byte 15 bits 4–5 scanner channel, byte 16 class.
    if raw[14] != keys.returns[0] || (raw[15] >> 4) & 3 != keys.scanner_channel[0] {
        return Err("its first point does not match the points given for it".into());
    }
    let layer = encode_class_layer(keys);
    let class_at = data_at + sizes[0] + sizes[1];
    let class_end = class_at + sizes[2];
    let mut out = Vec::with_capacity(raw.len() - sizes[2] + layer.len());
    out.extend_from_slice(&raw[..record_len]);
    out[16] = keys.classification[0];
    out.extend_from_slice(&raw[record_len..sizes_at + 8]);
    out.extend_from_slice(&(layer.len() as u32).to_le_bytes());
    out.extend_from_slice(&raw[sizes_at + 12..class_at]);
    out.extend_from_slice(&layer);
    out.extend_from_slice(&raw[class_end..]);
    Ok(out)
}

/// The classification layer of one chunk (empty when no point's class differs from its
/// predecessor's in the same scanner channel context), as LASzip's point14 v3/v4 coder writes it.
fn encode_class_layer(keys: &ChunkPoints) -> Vec<u8> {
    struct Context {
        used: bool,
        last: u8,
        models: Vec<Option<ArithmeticModel>>,
    }
    let mut contexts: Vec<Context> = (0..4).map(|_| Context { used: false, last: 0, models: Vec::new() }).collect();
    let mut current = (keys.scanner_channel[0] & 3) as usize;
    contexts[current].used = true;
    contexts[current].last = keys.classification[0];
    let mut encoder = ArithmeticEncoder::new(Cursor::new(Vec::<u8>::new()));
    let mut changed = false;
    for i in 1..keys.classification.len() {
        let channel = (keys.scanner_channel[i] & 3) as usize;
        if channel != current {
            if !contexts[channel].used {
                contexts[channel].used = true;
                contexts[channel].last = contexts[current].last;
            }
            current = channel;
        }
        let ctx = &mut contexts[current];
        let (r, n) = (keys.returns[i] & 0x0F, keys.returns[i] >> 4);
        let single = r == 1 && r >= n;
        let class = keys.classification[i];
        changed |= class != ctx.last;
        let ccc = (((ctx.last & 0x1F) as usize) << 1) + single as usize;
        if ctx.models.is_empty() {
            ctx.models = (0..64).map(|_| None).collect();
        }
        let model = ctx.models[ccc].get_or_insert_with(|| ArithmeticModelBuilder::new(256).build());
        // Writing into a Vec cannot fail.
        let _ = encoder.encode_symbol(model, u32::from(class));
        ctx.last = class;
    }
    if !changed {
        return Vec::new();
    }
    let _ = encoder.done();
    encoder.into_inner().into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::las::{LasReader, LasWriter, Vlr, WriterOptions};
    use zwilling_core::points::flag;
    use zwilling_core::{PointBlock, PointLayout};

    /// A scan with two alternating scanner channels (one used only from the middle of a chunk on),
    /// multiple returns, colours and extra bytes; classes from `class_of(i)`.
    fn scene(format: u8, extra: usize, class_of: impl Fn(usize) -> u8) -> PointBlock {
        let mut b = PointBlock::with_capacity(PointLayout::for_format(format, extra).unwrap(), 1000);
        let mut s = 7u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) as u32
        };
        for i in 0..1000 {
            let n = 1 + (i / 3 % 3) as u8;
            let r = 1 + (i % n as usize) as u8;
            b.push_xyz(i as f64 * 0.05, (rnd() % 1000) as f64 * 0.01, (rnd() % 500) as f64 * 0.01, class_of(i));
            let last = b.len() - 1;
            b.return_number[last] = r;
            b.number_of_returns[last] = n;
            let channel = if i > 150 && i % 4 == 0 { 1 + (i / 200 % 3) as u8 } else { 0 };
            b.flags[last] = (channel << flag::SCANNER_CHANNEL_SHIFT) | if i % 7 == 0 { flag::KEY_POINT } else { 0 };
            b.intensity[last] = (rnd() % 4000) as u16;
            b.user_data[last] = (i % 5) as u8;
            b.point_source_id[last] = 3;
            if b.layout.gps_time {
                b.gps_time[last] = 1000.0 + (i / 2) as f64 * 1e-4;
            }
            if b.layout.rgb {
                b.rgb[last] = [rnd() as u16, 200, (i % 300) as u16];
            }
            if b.layout.nir {
                b.nir[last] = 9;
            }
            for e in 0..extra {
                b.extra[last * extra + e] = (i + e) as u8;
            }
        }
        b
    }

    fn write(path: &Path, format: u8, extra: usize, block: &PointBlock) {
        let mut opts =
            WriterOptions { point_format: format, extra_bytes: extra, laz_chunk_size: 300, ..Default::default() };
        let mut big = Vlr::new("zwilling test", 7, "an extended record", vec![5u8; 40]);
        big.extended = true;
        opts.vlrs.push(big);
        let mut w = LasWriter::create(path, opts).unwrap();
        w.write_block(block).unwrap();
        w.finish().unwrap();
    }

    /// Patching the classes of a file gives byte for byte the file that `laz` writes when it
    /// compresses the points with those classes itself: header, VLRs, every chunk (including one
    /// whose classes stop changing, so its layer becomes empty, and one where they start to),
    /// the chunk table and the extended VLR after it.
    #[test]
    fn patched_file_equals_full_recompression() {
        let d = tempfile::tempdir().unwrap();
        let before = |i: usize| if i < 600 { (i % 3) as u8 + 1 } else { 5 };
        let after = |i: usize| match i {
            0..300 => 2,
            300..600 => 18 - i.is_multiple_of(9) as u8 * 11,
            _ => (i * 7 % 20) as u8,
        };
        for (format, extra) in [(6u8, 0usize), (7, 2), (8, 0)] {
            let (input, want, got) = (d.path().join("in.laz"), d.path().join("want.laz"), d.path().join("got.laz"));
            let old = scene(format, extra, before);
            let new = scene(format, extra, after);
            write(&input, format, extra, &old);
            write(&want, format, extra, &new);
            let p = LazClassPatcher::open(&input).unwrap().expect("layered LAZ is patchable");
            let mut calls = Vec::new();
            p.write(&got, |first, n, keys| {
                calls.push((first, n));
                for i in first as usize..first as usize + n {
                    keys.classification.push(new.classification[i]);
                    keys.returns.push(new.return_number[i] | new.number_of_returns[i] << 4);
                    keys.scanner_channel.push(new.flags[i] >> flag::SCANNER_CHANNEL_SHIFT);
                }
                Ok(())
            })
            .unwrap();
            assert_eq!(calls.first(), Some(&(0, 1000)), "format {format}");
            let (want, got) = (std::fs::read(&want).unwrap(), std::fs::read(&got).unwrap());
            assert_eq!(got.len(), want.len(), "format {format}");
            assert!(got == want, "format {format}: patched bytes differ from a full recompression");
            let mut r = LasReader::open(&d.path().join("got.laz")).unwrap();
            let mut b = PointBlock::default();
            r.read_block_into(&mut b, 2000).unwrap();
            assert_eq!(b.classification, new.classification);
            assert_eq!(b.intensity, old.intensity);
        }
    }

    /// Files without layered chunks are left to the full rewrite.
    #[test]
    fn other_files_are_not_patched() {
        let d = tempfile::tempdir().unwrap();
        let mut b = PointBlock::with_capacity(PointLayout::for_format(1, 0).unwrap(), 1);
        b.push_xyz(1.0, 2.0, 3.0, 2);
        for (name, format, minor) in [("a.laz", 1u8, 2u8), ("b.las", 6, 4)] {
            let path = d.path().join(name);
            let opts = WriterOptions { point_format: format, minor_version: minor, ..Default::default() };
            let mut block = PointBlock::with_capacity(PointLayout::for_format(format, 0).unwrap(), 1);
            block.push_xyz(1.0, 2.0, 3.0, 2);
            let mut w = LasWriter::create(&path, opts).unwrap();
            w.write_block(&block).unwrap();
            w.finish().unwrap();
            assert!(LazClassPatcher::open(&path).unwrap().is_none(), "{name}");
        }
    }

    /// Points that do not match the chunk (another file's points) are an error naming the file.
    #[test]
    fn mismatched_points_are_an_error() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("in.laz");
        let block = scene(6, 0, |_| 1);
        write(&input, 6, 0, &block);
        let p = LazClassPatcher::open(&input).unwrap().unwrap();
        let err = p
            .write(&d.path().join("out.laz"), |_, n, keys| {
                keys.classification.resize(n, 2);
                keys.returns.resize(n, 0x33);
                keys.scanner_channel.resize(n, 0);
                Ok(())
            })
            .unwrap_err();
        assert!(err.to_string().contains("in.laz"), "{err}");
        assert!(!d.path().join("out.laz").exists());
    }
}
