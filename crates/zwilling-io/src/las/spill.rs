//! Record spill: points parked on local disk as uncompressed LAS point records between two passes
//! of an out-of-core filter, so that the second pass does not decode the LAZ input again.
//!
//! A filter that must see every point before it can write any (ground classification: tiles with
//! overlap) reads its input once, and would otherwise read and LAZ-decode it a second time to
//! write it. Decoding costs far more than copying: [`RecordSpill`] stores each block in the input's
//! own point record format (ASPRS LAS 1.4 R15, §2.6; the records `LasWriter` writes to a `.las`
//! file, coordinates quantised with the input's scale and offset, so every value reads back as it
//! was read from the input) in an anonymous temporary file, which the operating system deletes
//! when it is dropped, also after a crash. [`RecordSpillReader`] hands the points back in the same
//! order, as blocks. Memory is one block's records.
//!
//! ```no_run
//! use zwilling_io::las::{LasReader, RecordSpill};
//! let mut r = LasReader::open("in.laz".as_ref())?;
//! let mut spill = RecordSpill::create(std::path::Path::new("/tmp"), r.info())?;
//! while let Some(block) = r.read_block(1 << 20)? {
//!     spill.push(&block)?;
//! }
//! let mut again = spill.into_reader()?;
//! let mut block = zwilling_core::PointBlock::default();
//! while again.read_block_into(&mut block, 1 << 20)? { /* write it */ }
//! # Ok::<(), zwilling_core::Error>(())
//! ```

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use zwilling_core::{Error, PointBlock, Result};

use super::chunks::clear;
use super::info::LasInfo;
use super::record::{check_block, encode_records, parse_records, EncodeStats, RecordFormat};

/// Writes blocks of points as raw LAS records to an anonymous temporary file.
pub struct RecordSpill {
    dir: PathBuf,
    file: BufWriter<File>,
    format: RecordFormat,
    scale: [f64; 3],
    offset: [f64; 3],
    buf: Vec<u8>,
    stats: EncodeStats,
}

impl RecordSpill {
    /// A spill for points of `info`'s file (its point format, scale and offset) in directory
    /// `dir`.
    pub fn create(dir: &Path, info: &LasInfo) -> Result<RecordSpill> {
        let format =
            RecordFormat::new(info.point_format, info.record_length as usize).map_err(|e| e.in_file(&info.path))?;
        let file = tempfile::tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
        Ok(RecordSpill {
            dir: dir.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            format,
            scale: info.scale,
            offset: info.offset,
            buf: Vec::new(),
            stats: EncodeStats::default(),
        })
    }

    /// Appends the points of `block` (the layout of the `info` the spill was made for).
    pub fn push(&mut self, block: &PointBlock) -> Result<()> {
        check_block(block, &self.format).map_err(|e| e.in_file(&self.dir))?;
        self.buf.clear();
        encode_records(block, 0..block.len(), &self.format, &self.scale, &self.offset, &mut self.buf, &mut self.stats)
            .map_err(|e| e.in_file(&self.dir))?;
        self.file.write_all(&self.buf).map_err(|e| Error::io(&self.dir, e))
    }

    /// Points pushed so far.
    pub fn len(&self) -> u64 {
        self.stats.count
    }

    /// True when no point was pushed.
    pub fn is_empty(&self) -> bool {
        self.stats.count == 0
    }

    /// Ends writing and reads the points back from the start.
    pub fn into_reader(self) -> Result<RecordSpillReader> {
        let dir = self.dir;
        let mut file = self.file.into_inner().map_err(|e| Error::io(&dir, e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| Error::io(&dir, e))?;
        Ok(RecordSpillReader {
            dir,
            file,
            format: self.format,
            scale: self.scale,
            offset: self.offset,
            raw: Vec::new(),
            remaining: self.stats.count,
        })
    }
}

/// Reads the points of a [`RecordSpill`] back in the order they were pushed.
pub struct RecordSpillReader {
    dir: PathBuf,
    file: File,
    format: RecordFormat,
    scale: [f64; 3],
    offset: [f64; 3],
    raw: Vec<u8>,
    remaining: u64,
}

impl RecordSpillReader {
    /// Points not yet read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Refills `block` (emptied first, layout set) with the next at most `max_points` points;
    /// `false` at the end.
    pub fn read_block_into(&mut self, block: &mut PointBlock, max_points: usize) -> Result<bool> {
        clear(block);
        block.layout = self.format.layout;
        if self.remaining == 0 {
            return Ok(false);
        }
        let n = (max_points.max(1) as u64).min(self.remaining) as usize;
        self.raw.resize(n * self.format.len, 0);
        self.file.read_exact(&mut self.raw).map_err(|e| Error::io(&self.dir, e))?;
        parse_records(&self.raw, &self.format, &self.scale, &self.offset, laz::DecompressionSelection::ALL, block);
        self.remaining -= n as u64;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LasReader, LasWriter, WriterOptions};
    use super::*;
    use zwilling_core::PointLayout;

    /// A block of format `pf` with every column set to distinct, storable values.
    fn block(pf: u8, extra: usize, n: usize) -> PointBlock {
        let mut b = PointBlock::with_capacity(PointLayout::for_format(pf, extra).unwrap(), n);
        for i in 0..n {
            let f = i as f64;
            b.push_xyz(500_000.0 + f * 0.123, 5_700_000.0 - f * 0.031, 40.0 + (f * 0.7).sin(), (i % 5) as u8 + 1);
            let k = b.len() - 1;
            b.intensity[k] = (i * 37) as u16;
            b.return_number[k] = (i % 3) as u8 + 1;
            b.number_of_returns[k] = 3;
            b.flags[k] = (i % 4) as u8;
            b.scan_angle[k] = if pf >= 6 { (i as f32 - 50.0) * 0.006 * 7.0 } else { (i % 90) as f32 - 45.0 };
            b.user_data[k] = i as u8;
            b.point_source_id[k] = 7 + i as u16;
            if b.layout.gps_time {
                b.gps_time[k] = 1e8 + f * 1e-4;
            }
            if b.layout.rgb {
                b.rgb[k] = [i as u16, 2 * i as u16, 65535 - i as u16];
            }
            if b.layout.nir {
                b.nir[k] = 3 * i as u16;
            }
            if b.layout.waveform {
                b.waveform[k] = [i as u8; 29];
            }
            for e in 0..extra {
                b.extra[k * extra + e] = (i + e) as u8;
            }
        }
        b
    }

    /// What a LAS writer and reader give back for `b` is what the spill gives back, block size
    /// independent, for a legacy and an extended format.
    #[test]
    fn spill_returns_what_the_reader_read() {
        let d = tempfile::tempdir().unwrap();
        for (pf, extra) in [(1u8, 0usize), (3, 2), (7, 0), (10, 3)] {
            let path = d.path().join(format!("pf{pf}.las"));
            let opts = WriterOptions {
                point_format: pf,
                minor_version: 4,
                offset: [500_000.0, 5_700_000.0, 0.0],
                extra_bytes: extra,
                ..Default::default()
            };
            let mut w = LasWriter::create(&path, opts).unwrap();
            w.write_block(&block(pf, extra, 1000)).unwrap();
            w.finish().unwrap();
            let mut r = LasReader::open(&path).unwrap();
            let mut spill = RecordSpill::create(d.path(), r.info()).unwrap();
            let mut read = PointBlock::default();
            let mut all = PointBlock::with_capacity(r.info().layout, 1000);
            while r.read_block_into(&mut read, 300).unwrap() {
                spill.push(&read).unwrap();
                super::super::reader::extend(&mut all, read.clone());
            }
            assert_eq!(spill.len(), 1000);
            let mut back = spill.into_reader().unwrap();
            let mut got = PointBlock::with_capacity(all.layout, 1000);
            let mut b = PointBlock::default();
            while back.read_block_into(&mut b, 450).unwrap() {
                super::super::reader::extend(&mut got, b.clone());
            }
            assert_eq!(back.remaining(), 0);
            assert_eq!(got, all, "format {pf}");
            assert_eq!(got.gps_time.len(), if pf == 2 { 0 } else { 1000 });
        }
    }

    /// A block without the columns the format needs is refused, naming the spill directory.
    #[test]
    fn missing_columns_are_an_error() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("pf3.las");
        let opts = WriterOptions { point_format: 3, offset: [500_000.0, 5_700_000.0, 0.0], ..Default::default() };
        let mut w = LasWriter::create(&path, opts).unwrap();
        w.write_block(&block(3, 0, 10)).unwrap();
        w.finish().unwrap();
        let r = LasReader::open(&path).unwrap();
        let mut spill = RecordSpill::create(d.path(), r.info()).unwrap();
        let e = spill.push(&block(0, 0, 10)).unwrap_err().to_string();
        assert!(e.contains("GPS time") && e.contains(&d.path().display().to_string()), "{e}");
    }
}
