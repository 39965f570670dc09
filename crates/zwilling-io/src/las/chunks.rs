//! Parallel decoding of LAZ chunks, handed out as point columns in file order, with a bounded
//! number of chunks in flight.
//!
//! LASzip compresses the points in independent chunks (Isenburg 2013, "LASzip: lossless
//! compression of LiDAR data", PE&RS 79(2)); the chunk table gives each chunk's byte size and
//! point count. Each chunk is one rayon task (`spawn_fifo`, so older chunks start first): it
//! reads the chunk's compressed bytes with one positional read and decompresses them into a
//! pooled record buffer. The consumer takes the chunks' records in file order and parses them
//! straight into the columns of the caller's [`PointBlock`] (no per-point objects, no
//! intermediate chunk block, no copy); emptied record buffers go back to the pool, so the steady
//! state allocates nothing. The decoders are the bound (≈ 2.5 M points/s per core); parsing on
//! the consumer costs a few percent of that and overlaps with the decoding of the next chunks.
//!
//! At most `block / chunk + 2 × threads` chunks are in flight, so memory is bounded by the block
//! size, never by the file size, while the workers decode the next block as the caller works on
//! the current one. A caller that is itself a rayon worker helps with pending work while it
//! waits, so reading inside a parallel loop cannot deadlock.

use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use laz::laszip::ChunkTableEntry;
use laz::LazVlr;
use zwilling_core::{Error, PointBlock, Result};
use zwilling_laz::{ChunkDecoder, Item, Selection};

use crate::positioned::read_exact_at;

use super::record::{parse_records, RecordFormat};

/// What every chunk task needs, shared between the reader and the tasks.
struct Shared {
    path: PathBuf,
    file: File,
    vlr: LazVlr,
    /// The VLR's items for zwilling-laz.
    items: Vec<Item>,
    /// zwilling-laz decodes these items (a LAS 1.4 layered layout).
    own: bool,
    chunks: Vec<ChunkTableEntry>,
    /// Absolute file position of each chunk.
    starts: Vec<u64>,
    format: RecordFormat,
    scale: [f64; 3],
    offset: [f64; 3],
    /// Set when the reader is dropped: queued tasks skip their work.
    cancelled: AtomicBool,
    /// Emptied record buffers for reuse.
    pool: Mutex<Vec<Vec<u8>>>,
    /// The LAZ layers to decode (`laz::DecompressionSelection` bits; all by default).
    selection: AtomicU32,
    /// Decode with the `laz` crate even where zwilling-laz could (a reference for tests).
    reference: AtomicBool,
}

/// Decodes the chunks of one LAZ file in parallel and hands their points out in order.
pub(crate) struct ChunkPipeline {
    shared: Arc<Shared>,
    next_submit: usize,
    in_flight: VecDeque<(usize, Receiver<Result<Vec<u8>>>)>,
    /// The records of the chunk being handed out and how many of its points are gone.
    current: Option<(Vec<u8>, usize)>,
}

/// Inputs of [`ChunkPipeline::new`].
pub(crate) struct ChunkLayout {
    pub path: PathBuf,
    pub file: File,
    pub vlr: LazVlr,
    pub chunks: Vec<ChunkTableEntry>,
    pub starts: Vec<u64>,
    pub format: RecordFormat,
    pub scale: [f64; 3],
    pub offset: [f64; 3],
}

impl ChunkPipeline {
    pub(crate) fn new(l: ChunkLayout) -> Self {
        let items = own_items(&l.vlr);
        let shared = Shared {
            path: l.path,
            file: l.file,
            own: ChunkDecoder::supports(&items),
            items,
            vlr: l.vlr,
            chunks: l.chunks,
            starts: l.starts,
            format: l.format,
            scale: l.scale,
            offset: l.offset,
            cancelled: AtomicBool::new(false),
            pool: Mutex::new(Vec::new()),
            selection: AtomicU32::new(laz::DecompressionSelection::ALL),
            reference: AtomicBool::new(false),
        };
        ChunkPipeline { shared: Arc::new(shared), next_submit: 0, in_flight: VecDeque::new(), current: None }
    }

    /// Decodes only the LAZ layers in `selection` (`laz::DecompressionSelection` bits) from the
    /// next chunk submitted on; skipped fields of point formats 6–10 hold unspecified values.
    pub(crate) fn set_selection(&self, selection: u32) {
        self.shared.selection.store(selection, Ordering::Relaxed);
    }

    /// Decodes the chunks submitted from now on with the `laz` crate only (the reference
    /// decoder), never with zwilling-laz.
    pub(crate) fn use_reference_decoder(&self) {
        self.shared.reference.store(true, Ordering::Relaxed);
    }

    /// True when the chunks are decoded by zwilling-laz (a LAS 1.4 layered layout, and the
    /// reference decoder not asked for).
    pub(crate) fn uses_own_decoder(&self) -> bool {
        self.shared.own && !self.shared.reference.load(Ordering::Relaxed)
    }

    /// Appends up to `max - out.len()` points to `out`, in file order. Appends nothing only at the
    /// end of the chunks.
    pub(crate) fn fill(&mut self, out: &mut PointBlock, max: usize) -> Result<()> {
        let len = self.shared.format.len;
        while out.len() < max {
            let (raw, pos) = match self.current.take() {
                Some((r, p)) if p * len < r.len() => (r, p),
                done => {
                    if let Some((r, _)) = done {
                        self.recycle(r);
                    }
                    match self.next_chunk(max)? {
                        Some(r) => (r, 0),
                        None => return Ok(()),
                    }
                }
            };
            let take = (max - out.len()).min(raw.len() / len - pos);
            let s = &self.shared;
            let decoded = s.selection.load(Ordering::Relaxed);
            parse_records(&raw[pos * len..(pos + take) * len], &s.format, &s.scale, &s.offset, decoded, out);
            self.current = Some((raw, pos + take));
        }
        Ok(())
    }

    /// The next chunk's records, waiting for its task; `None` after the last chunk.
    fn next_chunk(&mut self, block_points: usize) -> Result<Option<Vec<u8>>> {
        self.submit(block_points);
        let Some((index, rx)) = self.in_flight.pop_front() else { return Ok(None) };
        let got = wait(&rx);
        self.submit(block_points);
        match got {
            Some(r) => r.map(Some),
            None => Err(self.damaged(index, "decoder failed")),
        }
    }

    /// Starts chunk tasks until the in-flight bound is reached.
    fn submit(&mut self, block_points: usize) {
        let s = &self.shared;
        let limit = self.limit(rayon::current_num_threads().max(1), block_points);
        while self.in_flight.len() < limit && self.next_submit < s.chunks.len() {
            let index = self.next_submit;
            self.next_submit += 1;
            let (tx, rx) = channel();
            let shared = Arc::clone(&self.shared);
            rayon::spawn_fifo(move || {
                if shared.cancelled.load(Ordering::Relaxed) {
                    return;
                }
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_chunk(&shared, index)));
                let r = r.unwrap_or_else(|_| Err(damaged(&shared, index, "decoder failed")));
                let _ = tx.send(r);
            });
            self.in_flight.push_back((index, rx));
        }
    }

    /// Returns a record buffer to the pool. No more buffers exist than chunks in flight plus
    /// the current one, so the pool stays as bounded as the pipeline.
    fn recycle(&self, raw: Vec<u8>) {
        if let Ok(mut pool) = self.shared.pool.lock() {
            pool.push(raw);
        }
    }

    /// Chunks in flight for blocks of `block_points` with `threads` workers.
    fn limit(&self, threads: usize, block_points: usize) -> usize {
        let typical = self.shared.chunks.first().map_or(1, |c| c.point_count.max(1)) as usize;
        (block_points / typical).clamp(1, 256) + 2 * threads
    }

    fn damaged(&self, index: usize, what: &str) -> Error {
        damaged(&self.shared, index, what)
    }
}

impl Drop for ChunkPipeline {
    fn drop(&mut self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }
}

fn damaged(s: &Shared, index: usize, what: &str) -> Error {
    Error::bad_file(&s.path, format!("LAZ chunk {} of {} is damaged: {what}", index + 1, s.chunks.len()))
}

/// Waits for a chunk task's result. A rayon worker runs other pending tasks meanwhile (its own
/// chunk tasks may be queued behind it); any other thread simply blocks.
fn wait(rx: &Receiver<Result<Vec<u8>>>) -> Option<Result<Vec<u8>>> {
    if rayon::current_thread_index().is_none() {
        return rx.recv().ok();
    }
    loop {
        match rx.try_recv() {
            Ok(r) => return Some(r),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if rayon::yield_now() != Some(rayon::Yield::Executed) {
            match rx.recv_timeout(Duration::from_micros(200)) {
                Ok(r) => return Some(r),
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

thread_local! {
    /// Per-thread buffer of compressed bytes.
    static COMPRESSED: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads and decompresses chunk `index` into a (pooled) record buffer.
fn decode_chunk(s: &Shared, index: usize) -> Result<Vec<u8>> {
    // Taken out of the thread-local (not borrowed), so that nested rayon work on this thread
    // finds an empty buffer instead of a borrowed cell.
    let mut compressed = COMPRESSED.take();
    let mut raw = s.pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
    let r = decode_into(s, index, &mut compressed, &mut raw);
    COMPRESSED.set(compressed);
    r.map(|()| raw)
}

fn decode_into(s: &Shared, index: usize, compressed: &mut Vec<u8>, raw: &mut Vec<u8>) -> Result<()> {
    let entry = s.chunks[index];
    compressed.resize(entry.byte_count as usize, 0);
    read_exact_at(&s.file, compressed, s.starts[index])
        .map_err(|e| Error::bad_file(&s.path, format!("point data is truncated or damaged: {e}")))?;
    // The decoder overwrites every byte: only grow, never zero what is reused.
    raw.resize(entry.point_count as usize * s.format.len, 0);
    let bits = s.selection.load(Ordering::Relaxed);
    // LAS 1.4 layered chunks: zwilling-laz (same bytes as the `laz` crate, ≈ 1.5× its speed). Its
    // decoder is taken out of the thread-local like the compressed bytes (nested rayon work on
    // this thread finds none instead of a borrowed one).
    if s.own && !s.reference.load(Ordering::Relaxed) {
        let sel = own_selection(bits);
        let mut d = match DECODER.take() {
            Some(d) if d.serves(&s.items, sel) => d,
            _ => ChunkDecoder::new(&s.items, sel).map_err(|e| damaged(s, index, &e.to_string()))?,
        };
        let r = d.decode(compressed, entry.point_count as usize, raw);
        DECODER.set(Some(d));
        return r.map_err(|e| damaged(s, index, &e.to_string()));
    }
    let selection = laz::DecompressionSelection(bits);
    laz::laszip::parallel::par_decompress_selective(compressed, raw, &s.vlr, &[entry], selection)
        .map_err(|e| damaged(s, index, &e.to_string()))
}

thread_local! {
    /// Per-thread decoder of zwilling-laz, kept from chunk to chunk (its models are reused).
    static DECODER: std::cell::Cell<Option<ChunkDecoder>> = const { std::cell::Cell::new(None) };
}

/// The fields of `laz::DecompressionSelection` bits for zwilling-laz.
fn own_selection(bits: u32) -> Selection {
    use laz::DecompressionSelection as D;
    let on = |b: u32| bits & b != 0;
    Selection {
        z: on(D::Z),
        classification: on(D::CLASSIFICATION),
        flags: on(D::FLAGS),
        intensity: on(D::INTENSITY),
        scan_angle: on(D::SCAN_ANGLE),
        user_data: on(D::USER_DATA),
        point_source: on(D::POINT_SOURCE_ID),
        gps_time: on(D::GPS_TIME),
        rgb: on(D::RGB),
        nir: on(D::NIR),
        extra_bytes: on(D::ALL_EXTRA_BYTES),
    }
}

/// The LASzip VLR's items as zwilling-laz describes them.
fn own_items(vlr: &LazVlr) -> Vec<Item> {
    vlr.items().iter().map(|i| Item::from_vlr(u16::from(i.item_type()), i.size(), i.version())).collect()
}

/// Empties every column, keeping the capacity.
pub(crate) fn clear(b: &mut PointBlock) {
    b.x.clear();
    b.y.clear();
    b.z.clear();
    b.intensity.clear();
    b.return_number.clear();
    b.number_of_returns.clear();
    b.classification.clear();
    b.flags.clear();
    b.scan_angle.clear();
    b.user_data.clear();
    b.point_source_id.clear();
    b.gps_time.clear();
    b.rgb.clear();
    b.nir.clear();
    b.waveform.clear();
    b.extra.clear();
}

/// Appends points `from..from + n` of `b` to `out` (same layout), column by column.
pub(crate) fn append_range(out: &mut PointBlock, b: &PointBlock, from: usize, n: usize) {
    let r = from..from + n;
    out.x.extend_from_slice(&b.x[r.clone()]);
    out.y.extend_from_slice(&b.y[r.clone()]);
    out.z.extend_from_slice(&b.z[r.clone()]);
    out.intensity.extend_from_slice(&b.intensity[r.clone()]);
    out.return_number.extend_from_slice(&b.return_number[r.clone()]);
    out.number_of_returns.extend_from_slice(&b.number_of_returns[r.clone()]);
    out.classification.extend_from_slice(&b.classification[r.clone()]);
    out.flags.extend_from_slice(&b.flags[r.clone()]);
    out.scan_angle.extend_from_slice(&b.scan_angle[r.clone()]);
    out.user_data.extend_from_slice(&b.user_data[r.clone()]);
    out.point_source_id.extend_from_slice(&b.point_source_id[r.clone()]);
    let l = b.layout;
    if l.gps_time {
        out.gps_time.extend_from_slice(&b.gps_time[r.clone()]);
    }
    if l.rgb {
        out.rgb.extend_from_slice(&b.rgb[r.clone()]);
    }
    if l.nir {
        out.nir.extend_from_slice(&b.nir[r.clone()]);
    }
    if l.waveform {
        out.waveform.extend_from_slice(&b.waveform[r.clone()]);
    }
    let eb = l.extra_bytes;
    out.extra.extend_from_slice(&b.extra[from * eb..(from + n) * eb]);
}
