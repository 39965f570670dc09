//! Bins: 24-byte point records per octree node, buffered and spilled to disk in large files.
//!
//! The single streaming pass puts every point into the bin of its level-[`super::COUNT_LEVEL`]
//! node; a chunk (a node of the chunk level, at or above it) is the concatenation of its
//! descendants' bins in key order, each bin its segments in the order they were written (that is,
//! input order).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom, Write};
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

/// Buffers records per node; when the buffers hold more than `limit` bytes in total they are
/// written, node after node in key order, to one new spill file, and each node's [`Segment`] is
/// noted. So memory stays bounded however many points pass through, and the number of files
/// created grows with the data volume divided by `limit`, not with the number of nodes (creating
/// files is what costs most on a busy ext4 file system).
pub struct BinWriter {
    dir: PathBuf,
    slots: HashMap<NodeKey, usize>,
    buffers: Vec<(NodeKey, Vec<u8>)>,
    buffered: usize,
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
            buffers: vec![],
            buffered: 0,
            limit,
            spills: 0,
            segments: BTreeMap::new(),
        })
    }

    /// The buffer of `key`'s bin.
    #[inline]
    pub fn buffer(&mut self, key: NodeKey) -> &mut Vec<u8> {
        let n = self.buffers.len();
        let slot = *self.slots.entry(key).or_insert(n);
        if slot == n {
            self.buffers.push((key, Vec::new()));
        }
        &mut self.buffers[slot].1
    }

    /// Notes `bytes` more buffered bytes and flushes when over the limit.
    pub fn added(&mut self, bytes: usize) -> Result<()> {
        self.buffered += bytes;
        if self.buffered >= self.limit {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes all buffered records to a new spill file.
    pub fn flush(&mut self) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let path = spill_path(&self.dir, self.spills);
        let mut f =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?);
        let mut order: Vec<usize> = (0..self.buffers.len()).filter(|&i| !self.buffers[i].1.is_empty()).collect();
        order.sort_unstable_by_key(|&i| self.buffers[i].0);
        let mut offset = 0u64;
        for i in order {
            let (key, buf) = &mut self.buffers[i];
            f.write_all(buf).map_err(|e| Error::io(&path, e))?;
            let len = buf.len() as u64;
            self.segments.entry(*key).or_default().push(Segment { spill: self.spills, offset, len });
            offset += len;
            buf.clear();
            if buf.capacity() > 1 << 20 {
                buf.shrink_to(1 << 16);
            }
        }
        f.flush().map_err(|e| Error::io(&path, e))?;
        self.spills += 1;
        self.buffered = 0;
        Ok(())
    }
}

/// Reads the records of `segments` (in order) from the spill files in `dir`.
#[cfg(test)]
pub fn read_segments(dir: &Path, segments: &[Segment]) -> Result<Vec<BinPoint>> {
    let mut out = vec![];
    for_each_segment(dir, segments, &mut vec![], |records| {
        out.extend(records.chunks_exact(RECORD).map(BinPoint::decode))
    })?;
    Ok(out)
}

/// Reads the segments (in order) from the spill files in `dir` into `bytes` (reused from call to
/// call) and hands each one's records (a whole number of [`RECORD`]s) to `f`, so the caller
/// decodes them in the same pass as it uses them.
pub fn for_each_segment(dir: &Path, segments: &[Segment], bytes: &mut Vec<u8>, mut f: impl FnMut(&[u8])) -> Result<()> {
    let mut open: Option<(u32, std::fs::File)> = None;
    for s in segments {
        let path = spill_path(dir, s.spill);
        if open.as_ref().map(|(n, _)| *n) != Some(s.spill) {
            open = Some((s.spill, std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?));
        }
        let file = &mut open.as_mut().expect("just opened").1;
        file.seek(SeekFrom::Start(s.offset)).map_err(|e| Error::io(&path, e))?;
        bytes.resize(s.len as usize, 0);
        file.read_exact(bytes).map_err(|e| Error::io(&path, e))?;
        if !bytes.len().is_multiple_of(RECORD) {
            return Err(Error::bad_file(&path, "bin segment has a partial record (interrupted run?)"));
        }
        f(bytes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for _ in 0..5 {
            p.encode(w.buffer(k));
            w.added(RECORD).unwrap();
        }
        let q = BinPoint { class: 2, ..p };
        q.encode(w.buffer(NodeKey::ROOT));
        w.added(RECORD).unwrap();
        w.flush().unwrap();
        // Limit 3 records: flushes after the 3rd and the 6th record (5 of k, 1 of the root).
        assert_eq!(w.segments[&k].len(), 2);
        let back = read_segments(dir.path(), &w.segments[&k]).unwrap();
        assert_eq!(back, vec![p; 5]);
        assert_eq!(read_segments(dir.path(), &w.segments[&NodeKey::ROOT]).unwrap(), vec![q]);
    }
}
