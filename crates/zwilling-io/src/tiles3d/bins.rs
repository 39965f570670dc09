//! Chunk bin files: 20-byte point records appended per chunk, flushed when buffers grow.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use zwilling_core::{Error, Result};
use zwilling_tiles::NodeKey;

/// Bytes per record: 3 × f32 position (relative to the chunk corner), RGBA, u16 intensity, u8 class, pad.
pub const RECORD: usize = 20;

/// One point as stored in a bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinPoint {
    /// Position relative to the chunk's minimum corner (local frame).
    pub rel: [f32; 3],
    /// Colour.
    pub rgba: [u8; 4],
    /// Intensity.
    pub intensity: u16,
    /// Class.
    pub class: u8,
}

impl BinPoint {
    pub fn encode(&self, out: &mut Vec<u8>) {
        for v in self.rel {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.rgba);
        out.extend_from_slice(&self.intensity.to_le_bytes());
        out.push(self.class);
        out.push(0);
    }

    pub fn decode(b: &[u8]) -> BinPoint {
        let f = |i: usize| f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        BinPoint {
            rel: [f(0), f(4), f(8)],
            rgba: [b[12], b[13], b[14], b[15]],
            intensity: u16::from_le_bytes([b[16], b[17]]),
            class: b[18],
        }
    }
}

/// Path of a chunk's bin file.
pub fn bin_path(dir: &Path, key: &NodeKey) -> PathBuf {
    dir.join(format!("{}.bin", key.name()))
}

/// Buffers records per chunk and appends them to the chunk files when the buffers hold more than
/// `limit` bytes in total (so memory stays bounded however many points pass through).
pub struct BinWriter {
    dir: PathBuf,
    buffers: BTreeMap<NodeKey, Vec<u8>>,
    buffered: usize,
    limit: usize,
}

impl BinWriter {
    pub fn new(dir: &Path, limit: usize) -> Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(BinWriter { dir: dir.to_path_buf(), buffers: BTreeMap::new(), buffered: 0, limit })
    }

    pub fn push(&mut self, key: NodeKey, p: &BinPoint) -> Result<()> {
        let buf = self.buffers.entry(key).or_default();
        p.encode(buf);
        self.buffered += RECORD;
        if self.buffered >= self.limit {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        for (key, buf) in self.buffers.iter_mut().filter(|(_, b)| !b.is_empty()) {
            let path = bin_path(&self.dir, key);
            let mut f =
                std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::io(&path, e))?;
            f.write_all(buf).map_err(|e| Error::io(&path, e))?;
            buf.clear();
        }
        self.buffered = 0;
        Ok(())
    }
}

/// Reads all records of a chunk.
pub fn read_bin(dir: &Path, key: &NodeKey) -> Result<Vec<BinPoint>> {
    let path = bin_path(dir, key);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    if bytes.len() % RECORD != 0 {
        return Err(Error::bad_file(&path, "chunk bin file has a partial record (interrupted run?)"));
    }
    Ok(bytes.chunks_exact(RECORD).map(BinPoint::decode).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_flush() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BinWriter::new(dir.path(), 3 * RECORD).unwrap();
        let p = BinPoint { rel: [1.5, -2.0, 3.25], rgba: [1, 2, 3, 255], intensity: 777, class: 6 };
        let k = NodeKey::ROOT.child(3);
        for _ in 0..5 {
            w.push(k, &p).unwrap();
        }
        w.flush().unwrap();
        let back = read_bin(dir.path(), &k).unwrap();
        assert_eq!(back, vec![p; 5]);
    }
}
