//! Fuzzes the LAS/LAZ reader: any byte string written to a file must open and read to the end
//! with either points or an error, never a panic or an unbounded allocation.
//! Run: `cargo +nightly fuzz run las_reader` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("zw-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input.laz");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(mut r) = zwilling_io::las::LasReader::open(&path) {
        while let Ok(Some(_)) = r.read_block(10_000) {}
    }
});
