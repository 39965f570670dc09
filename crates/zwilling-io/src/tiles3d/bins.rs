//! Bins: 24-byte point records per octree node, buffered and spilled to disk in large files.
//!
//! The single streaming pass puts every point into the bin of its level-[`super::COUNT_LEVEL`]
//! node; a chunk (a node of the chunk level, at or above it) is the concatenation of its
//! descendants' bins in key order, each bin its segments in the order they were written (that is,
//! input order).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use zwilling_core::{Error, Result};
use zwilling_tiles::NodeKey;

/// Bytes per record: 3 × f32 position (relative to the bin node's corner), 3 × u16 RGB, u16
/// intensity, u8 class, u8 flags, u16 source file index.
pub const RECORD: usize = 24;

/// `flags` bit: the point has an RGB colour.
pub const HAS_RGB: u8 = 1;

/// One point as stored in a bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinPoint {
    /// Position relative to the bin node's minimum corner (local frame).
    pub rel: [f32; 3],
    /// Colour as stored in the LAS file (8- or 16-bit values; see the source's flag).
    pub rgb: [u16; 3],
    /// Intensity.
    pub intensity: u16,
    /// Class.
    pub class: u8,
    /// [`HAS_RGB`].
    pub flags: u8,
    /// Index of the input file (decides 8- or 16-bit colour scaling).
    pub source: u16,
}

impl BinPoint {
    /// Appends the record's bytes.
    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut b = [0u8; RECORD];
        self.write(&mut b);
        out.extend_from_slice(&b);
    }

    /// Writes the record's bytes into `b` (at least [`RECORD`] bytes long).
    #[inline]
    pub fn write(&self, b: &mut [u8]) {
        let b: &mut [u8; RECORD] = (&mut b[..RECORD]).try_into().expect("RECORD bytes");
        for k in 0..3 {
            b[4 * k..4 * k + 4].copy_from_slice(&self.rel[k].to_le_bytes());
            b[12 + 2 * k..14 + 2 * k].copy_from_slice(&self.rgb[k].to_le_bytes());
        }
        b[18..20].copy_from_slice(&self.intensity.to_le_bytes());
        b[20] = self.class;
        b[21] = self.flags;
        b[22..24].copy_from_slice(&self.source.to_le_bytes());
    }

    /// Reads one record.
    #[inline]
    pub fn decode(b: &[u8]) -> BinPoint {
        let b: &[u8; RECORD] = b[..RECORD].try_into().expect("RECORD bytes");
        let f = |i: usize| f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        BinPoint {
            rel: [f(0), f(4), f(8)],
            rgb: [u(12), u(14), u(16)],
            intensity: u(18),
            class: b[20],
            flags: b[21],
            source: u(22),
        }
    }
}

/// A run of one node's records inside a spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Spill file number.
    pub spill: u32,
    /// Byte offset in the spill file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Path of spill file `n`.
pub fn spill_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("spill-{n:05}.bin"))
}

/// Position of `key` on the Morton (Z-order) curve of its level: the bits of x, y and z
/// interleaved, so every octree node above `key`'s level covers one contiguous range of it.
#[inline]
pub fn morton(key: &NodeKey) -> u64 {
    let spread = |v: u32| {
        let mut x = v as u64 & 0x1f_ffff;
        x = (x | x << 32) & 0x001f_0000_0000_ffff;
        x = (x | x << 16) & 0x001f_0000_ff00_00ff;
        x = (x | x << 8) & 0x100f_00f0_0f00_f00f;
        x = (x | x << 4) & 0x10c3_0c30_c30c_30c3;
        (x | x << 2) & 0x1249_2492_4924_9249
    };
    spread(key.x) | spread(key.y) << 1 | spread(key.z) << 2
}

/// Most runs held before a flush (12 bytes each), so input whose consecutive points rarely share
/// a node cannot grow the run list without bound.
const MAX_RUNS: usize = 2 << 20;

/// Buffers records in input order in one buffer of `limit` bytes, with the runs of consecutive
/// records that share a node; when the next block would not fit, the buffered records are
/// written, node after node in Morton order (so every octree node's records form one contiguous
/// range of the file), to one new spill file, and each node's [`Segment`] is noted. So memory
/// stays bounded however many points pass through, each record is copied once (into the buffer,
/// by the caller; the flush writes the runs straight from it), and the number of files created
/// grows with the data volume divided by `limit`, not with the number of nodes (creating files is
/// what costs most on a busy ext4 file system).
pub struct BinWriter {
    dir: PathBuf,
    slots: HashMap<NodeKey, u32>,
    keys: Vec<NodeKey>,
    /// Records in input order (`used` bytes of it hold data; kept at full length so it is zeroed
    /// once, not at every flush).
    records: Vec<u8>,
    used: usize,
    /// Runs in input order: node slot, first record, record count.
    runs: Vec<(u32, u32, u32)>,
    limit: usize,
    spills: u32,
    /// Every node's segments, in the order they were written.
    pub segments: BTreeMap<NodeKey, Vec<Segment>>,
}

impl BinWriter {
    /// Starts an empty bin folder (removing an old one).
    pub fn new(dir: &Path, limit: usize) -> Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(BinWriter {
            dir: dir.to_path_buf(),
            slots: HashMap::new(),
            keys: vec![],
            records: vec![],
            used: 0,
            runs: vec![],
            limit: limit.max(RECORD),
            spills: 0,
            segments: BTreeMap::new(),
        })
    }

    /// Room for `n` more records after the buffered ones (flushing them first when the `n` would
    /// not fit under the limit). The caller fills it, then hands the records' nodes to
    /// [`push_runs`](Self::push_runs) before asking for room again.
    pub fn room(&mut self, n: usize) -> Result<&mut [u8]> {
        let len = n * RECORD;
        if self.used > 0 && (self.used + len > self.limit || self.runs.len() + n > MAX_RUNS) {
            self.flush()?;
        }
        if self.records.len() < self.used + len {
            self.records.reserve_exact(self.used + len - self.records.len());
            self.records.resize(self.used + len, 0);
        }
        Ok(&mut self.records[self.used..self.used + len])
    }

    /// Notes the nodes of the records last put into [`room`](Self::room), one key per record
    /// (consecutive equal keys become one run).
    pub fn push_runs(&mut self, keys: &[NodeKey]) {
        let first = self.used / RECORD;
        let mut i = 0;
        while i < keys.len() {
            let key = keys[i];
            let mut j = i + 1;
            while j < keys.len() && keys[j] == key {
                j += 1;
            }
            let next = self.keys.len() as u32;
            let slot = *self.slots.entry(key).or_insert(next);
            if slot == next {
                self.keys.push(key);
            }
            match self.runs.last_mut() {
                Some((s, start, len)) if *s == slot && (*start + *len) as usize == first + i => *len += (j - i) as u32,
                _ => self.runs.push((slot, (first + i) as u32, (j - i) as u32)),
            }
            i = j;
        }
        self.used += keys.len() * RECORD;
    }

    /// Writes all buffered records to a new spill file, node after node in Morton order, each
    /// node's runs in input order.
    pub fn flush(&mut self) -> Result<()> {
        if self.used == 0 {
            return Ok(());
        }
        let path = spill_path(&self.dir, self.spills);
        // Runs of at least the buffer's size go to the file straight from the records buffer;
        // shorter ones are gathered first, so a flush makes few, large writes.
        let mut f =
            std::io::BufWriter::with_capacity(1 << 18, std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?);
        // Counting sort of the runs by slot (stable: input order within a node).
        let mut first = vec![0u32; self.keys.len() + 1];
        for r in &self.runs {
            first[r.0 as usize + 1] += 1;
        }
        for s in 0..self.keys.len() {
            first[s + 1] += first[s];
        }
        let mut at = first.clone();
        let mut order = vec![0u32; self.runs.len()];
        for (i, r) in self.runs.iter().enumerate() {
            order[at[r.0 as usize] as usize] = i as u32;
            at[r.0 as usize] += 1;
        }
        let mut slots: Vec<u32> =
            (0..self.keys.len() as u32).filter(|&s| first[s as usize + 1] > first[s as usize]).collect();
        slots.sort_unstable_by_key(|&s| morton(&self.keys[s as usize]));
        let mut offset = 0u64;
        for s in slots {
            let mut len = 0u64;
            for &r in &order[first[s as usize] as usize..first[s as usize + 1] as usize] {
                let (_, start, n) = self.runs[r as usize];
                let bytes = &self.records[start as usize * RECORD..(start + n) as usize * RECORD];
                f.write_all(bytes).map_err(|e| Error::io(&path, e))?;
                len += bytes.len() as u64;
            }
            let key = self.keys[s as usize];
            self.segments.entry(key).or_default().push(Segment { spill: self.spills, offset, len });
            offset += len;
        }
        f.flush().map_err(|e| Error::io(&path, e))?;
        self.spills += 1;
        self.used = 0;
        self.runs.clear();
        Ok(())
    }

    /// Number of spill files written.
    pub fn spill_count(&self) -> u32 {
        self.spills
    }
}

/// The spill files of a bin folder, open for positioned reads and for giving back the space of
/// records no longer needed (see [`SpillFiles::release`]).
pub struct SpillFiles {
    dir: PathBuf,
    files: Vec<std::fs::File>,
    /// Each file's length (cuts are made under this lock).
    lens: std::sync::Mutex<Vec<u64>>,
}

impl SpillFiles {
    /// Opens spill files `0..count` of `dir`.
    pub fn open(dir: &Path, count: u32) -> Result<Self> {
        let files = (0..count)
            .map(|n| {
                let path = spill_path(dir, n);
                std::fs::OpenOptions::new().read(true).write(true).open(&path).map_err(|e| Error::io(&path, e))
            })
            .collect::<Result<Vec<_>>>()?;
        let lens = files
            .iter()
            .enumerate()
            .map(|(n, f)| f.metadata().map(|m| m.len()).map_err(|e| Error::io(spill_path(dir, n as u32), e)))
            .collect::<Result<Vec<_>>>()?;
        Ok(SpillFiles { dir: dir.to_path_buf(), files, lens: std::sync::Mutex::new(lens) })
    }

    /// Reads the segments (in order) into `bytes` (reused from call to call) and hands each
    /// one's records (a whole number of [`RECORD`]s) to `f`, so the caller decodes them in the
    /// same pass as it uses them.
    pub fn for_each_segment(&self, segments: &[Segment], bytes: &mut Vec<u8>, mut f: impl FnMut(&[u8])) -> Result<()> {
        for s in segments {
            let path = spill_path(&self.dir, s.spill);
            let file = self.files.get(s.spill as usize).ok_or_else(|| Error::bad_file(&path, "spill file missing"))?;
            let len = s.len as usize;
            if !len.is_multiple_of(RECORD) {
                return Err(Error::bad_file(&path, "bin segment has a partial record (interrupted run?)"));
            }
            // Grown only (the read overwrites what it uses), never zeroed again.
            if bytes.len() < len {
                bytes.resize(len, 0);
            }
            crate::positioned::read_exact_at(file, &mut bytes[..len], s.offset).map_err(|e| Error::io(&path, e))?;
            f(&bytes[..len]);
        }
        Ok(())
    }

    /// Cuts every spill file to `ends[n]` bytes where that is shorter than the file: the page
    /// cache (or disk) space of records whose chunks are finished goes back to the system at once,
    /// and the tiles written next can reuse it.
    pub fn release(&self, ends: &[u64]) -> Result<()> {
        let mut lens = self.lens.lock().unwrap_or_else(|e| e.into_inner());
        for (n, ((f, &end), len)) in self.files.iter().zip(ends).zip(lens.iter_mut()).enumerate() {
            if end < *len {
                f.set_len(end).map_err(|e| Error::io(spill_path(&self.dir, n as u32), e))?;
                *len = end;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_segments(dir: &Path, spills: u32, segments: &[Segment]) -> Vec<BinPoint> {
        let mut out = vec![];
        SpillFiles::open(dir, spills)
            .unwrap()
            .for_each_segment(segments, &mut vec![], |records| {
                out.extend(records.chunks_exact(RECORD).map(BinPoint::decode))
            })
            .unwrap();
        out
    }

    fn put(w: &mut BinWriter, points: &[(NodeKey, BinPoint)]) {
        let room = w.room(points.len()).unwrap();
        for ((_, p), b) in points.iter().zip(room.chunks_exact_mut(RECORD)) {
            p.write(b);
        }
        w.push_runs(&points.iter().map(|(k, _)| *k).collect::<Vec<_>>());
    }

    #[test]
    fn records_round_trip_and_flush() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BinWriter::new(dir.path(), 3 * RECORD).unwrap();
        let p = BinPoint {
            rel: [1.5, -2.0, 3.25],
            rgb: [1, 2, 65535],
            intensity: 777,
            class: 6,
            flags: HAS_RGB,
            source: 513,
        };
        let k = NodeKey::ROOT.child(3);
        let q = BinPoint { class: 2, ..p };
        let r = BinPoint { class: 3, ..p };
        // Blocks of 2, 2, 2, 1, 1 records: the limit of 3 records flushes before blocks 2, 3 and 5.
        put(&mut w, &[(k, p), (k, BinPoint { intensity: 1, ..p })]);
        put(&mut w, &[(k, BinPoint { intensity: 2, ..p }), (k, BinPoint { intensity: 3, ..p })]);
        put(&mut w, &[(k, BinPoint { intensity: 4, ..p }), (NodeKey::ROOT, q)]);
        put(&mut w, &[(k, BinPoint { intensity: 5, ..p })]);
        put(&mut w, &[(NodeKey::ROOT, r)]);
        w.flush().unwrap();
        assert_eq!(w.spill_count(), 4);
        assert_eq!(w.segments[&k].len(), 3);
        let back = read_segments(dir.path(), 4, &w.segments[&k]);
        assert_eq!(back.iter().map(|b| b.intensity).collect::<Vec<_>>(), vec![777, 1, 2, 3, 4, 5]);
        assert_eq!(read_segments(dir.path(), 4, &w.segments[&NodeKey::ROOT]), vec![q, r]);
    }

    /// Interleaved nodes: each node's records come back in input order, the nodes lie in Morton
    /// order in the file, and cutting the file after a node keeps the nodes before it intact.
    #[test]
    fn nodes_are_contiguous_in_morton_order_and_release_cuts_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BinWriter::new(dir.path(), 1 << 20).unwrap();
        let keys = [NodeKey { level: 2, x: 3, y: 0, z: 0 }, NodeKey { level: 2, x: 0, y: 1, z: 0 }];
        let pts: Vec<(NodeKey, BinPoint)> = (0..10)
            .map(|i| {
                let b = BinPoint { rel: [i as f32; 3], rgb: [0; 3], intensity: i, class: 0, flags: 0, source: 0 };
                (keys[(i % 3 == 0) as usize], b)
            })
            .collect();
        put(&mut w, &pts);
        w.flush().unwrap();
        // Morton: (0,1,0) → 2, (3,0,0) → 9.
        assert_eq!((morton(&keys[0]), morton(&keys[1])), (9, 2));
        let (a, b) = (w.segments[&keys[1]][0], w.segments[&keys[0]][0]);
        assert_eq!((a.offset, a.len, b.offset, b.len), (0, 4 * RECORD as u64, 4 * RECORD as u64, 6 * RECORD as u64));
        let spills = SpillFiles::open(dir.path(), 1).unwrap();
        spills.release(&[b.offset]).unwrap();
        let back = read_segments(dir.path(), 1, &[a]);
        assert_eq!(back.iter().map(|p| p.intensity).collect::<Vec<_>>(), vec![0, 3, 6, 9]);
        assert_eq!(std::fs::metadata(spill_path(dir.path(), 0)).unwrap().len(), b.offset);
        assert!(SpillFiles::open(dir.path(), 1).unwrap().for_each_segment(&[b], &mut vec![], |_| {}).is_err());
    }

    #[test]
    fn morton_interleaves_the_axes() {
        let m = |x, y, z| morton(&NodeKey { level: 7, x, y, z });
        assert_eq!(m(1, 0, 0), 1);
        assert_eq!(m(0, 1, 0), 2);
        assert_eq!(m(0, 0, 1), 4);
        assert_eq!(m(127, 127, 127), (1 << 21) - 1);
        assert_eq!(m(0b101, 0, 0), 0b1000001);
    }
}
