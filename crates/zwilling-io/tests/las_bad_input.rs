//! Damaged LAS/LAZ files give a clear error that names the file, never a panic, both when
//! opening and when reading the points to the end. Each test writes a good file with the
//! writer, damages a copy on the fly, and reads it.

use std::path::{Path, PathBuf};

use zwilling_core::{class, PointBlock, PointLayout};
use zwilling_io::las::{expand_inputs, LasReader, LasWriter, WriterOptions};

fn good_file(dir: &Path, name: &str, format: u8, n: usize) -> PathBuf {
    let path = dir.join(name);
    let layout = PointLayout::for_format(format, 0).unwrap();
    let mut b = PointBlock::with_capacity(layout, n);
    for i in 0..n {
        let t = i as f64;
        b.push_xyz(1000.0 + (t * 0.37) % 50.0, 2000.0 + (t * 0.11) % 50.0, (t * 0.013).sin(), class::GROUND);
    }
    let opts = WriterOptions {
        point_format: format,
        minor_version: if format >= 6 { 4 } else { 2 },
        laz_chunk_size: 5000,
        ..WriterOptions::default()
    };
    let mut w = LasWriter::create(&path, opts).unwrap();
    w.write_block(&b).unwrap();
    w.finish().unwrap();
    path
}

/// Opens and reads every point; the first error.
fn read_to_end(path: &Path) -> zwilling_core::Result<u64> {
    let mut r = LasReader::open(path)?;
    let mut n = 0;
    while let Some(b) = r.read_block(4096)? {
        n += b.len() as u64;
    }
    Ok(n)
}

fn damaged(src: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(src).unwrap();
    edit(&mut bytes);
    let p = src.with_file_name(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn assert_clear_error(path: &Path, expect: &str) {
    let e = read_to_end(path).expect_err("a damaged file must not read cleanly").to_string();
    assert!(e.contains(&path.display().to_string()), "error does not name the file: {e}");
    assert!(e.contains(expect), "error \"{e}\" does not say \"{expect}\"");
}

#[test]
fn truncated_laz() {
    let d = tempfile::tempdir().unwrap();
    let good = good_file(d.path(), "good.laz", 6, 30_000);
    assert_eq!(read_to_end(&good).unwrap(), 30_000);
    let len = std::fs::metadata(&good).unwrap().len() as usize;
    let cut = damaged(&good, "cut.laz", |b| b.truncate(len / 2));
    assert_clear_error(&cut, "chunk table is missing");
    // Cut inside the header and inside the VLRs.
    assert_clear_error(&damaged(&good, "cut100.laz", |b| b.truncate(100)), "truncated");
    assert_clear_error(&damaged(&good, "cut400.laz", |b| b.truncate(400)), "truncated");
}

#[test]
fn wrong_signature() {
    let d = tempfile::tempdir().unwrap();
    let good = good_file(d.path(), "good.las", 1, 100);
    let p = damaged(&good, "sig.las", |b| b[0..4].copy_from_slice(b"PK\x03\x04"));
    assert_clear_error(&p, "not a LAS/LAZ file");
}

#[test]
fn header_point_count_larger_than_data() {
    let d = tempfile::tempdir().unwrap();
    // LAS 1.2: the legacy count at byte 107.
    let las = good_file(d.path(), "good.las", 3, 1000);
    let p = damaged(&las, "count.las", |b| b[107..111].copy_from_slice(&5000u32.to_le_bytes()));
    assert_clear_error(&p, "header says 5000 points");
    // LAZ 1.4: the 64-bit count at byte 247.
    let laz = good_file(d.path(), "good.laz", 6, 12_000);
    let p = damaged(&laz, "count.laz", |b| b[247..255].copy_from_slice(&20_000u64.to_le_bytes()));
    assert_clear_error(&p, "header says 20000 points");
    // Within the last fixed-size chunk: only decoding can notice.
    let p = damaged(&laz, "count2.laz", |b| b[247..255].copy_from_slice(&14_000u64.to_le_bytes()));
    let e = read_to_end(&p).expect_err("more points than the data holds").to_string();
    assert!(e.contains("count2.laz"), "{e}");
}

#[test]
fn unknown_point_format() {
    let d = tempfile::tempdir().unwrap();
    let las = good_file(d.path(), "good.las", 0, 10);
    assert_clear_error(&damaged(&las, "pf.las", |b| b[104] = 11), "unknown point data format 11");
    let laz = good_file(d.path(), "good.laz", 6, 10);
    assert_clear_error(&damaged(&laz, "pf.laz", |b| b[104] = 0x80 | 12), "unknown point data format 12");
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("empty.laz");
    std::fs::write(&p, b"").unwrap();
    assert_clear_error(&p, "empty file");
}

#[test]
fn directory_without_point_clouds() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("notes.txt"), b"no points here").unwrap();
    let e = expand_inputs(&[d.path().to_path_buf()]).unwrap_err().to_string();
    assert!(e.contains(&d.path().display().to_string()) && e.contains("no point clouds"), "{e}");
}

/// Every prefix length and a sweep of single-byte corruptions: each either reads or errors,
/// never panics (the test harness would report a panic as a failure).
#[test]
fn damage_sweep_never_panics() {
    let d = tempfile::tempdir().unwrap();
    for (name, format) in [("s.laz", 3u8), ("s6.laz", 7), ("s.las", 1)] {
        let good = good_file(d.path(), name, format, 12_000);
        let bytes = std::fs::read(&good).unwrap();
        let p = d.path().join(format!("x{name}"));
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            assert!(read_to_end(&p).is_err(), "{name} cut at {cut} read without error");
        }
        for pos in (0..bytes.len()).step_by(step / 3 + 1) {
            let mut b = bytes.clone();
            b[pos] ^= 0xA5;
            std::fs::write(&p, &b).unwrap();
            let _ = read_to_end(&p); // may succeed (e.g. a changed coordinate); must not panic
        }
    }
}
