//! Decodes every point of LAS/LAZ files into point blocks and prints the throughput; used by
//! `benches/compare/las_decode.sh`: `cargo run --release -p zwilling-io --example las_decode -- FILE...`.
//! `--threads N` sets the number of worker threads.

use std::time::Instant;

use zwilling_io::las::{LasReader, DEFAULT_BLOCK};

fn main() -> zwilling_core::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(k) = args.iter().position(|a| a == "--threads") {
        let n: usize = args.get(k + 1).and_then(|s| s.parse().ok()).expect("--threads N");
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().expect("thread pool");
        args.drain(k..k + 2);
    }
    for f in &args {
        let t = Instant::now();
        let mut r = LasReader::open(f.as_ref())?;
        let mut n = 0u64;
        let mut check = 0.0f64;
        while let Some(b) = r.read_block(DEFAULT_BLOCK)? {
            n += b.len() as u64;
            check += b.z.first().copied().unwrap_or(0.0);
        }
        let s = t.elapsed().as_secs_f64();
        println!("{f}\t{n}\t{s:.4}\t{:.3}\t(checksum {check:.3})", n as f64 / s / 1e6);
    }
    Ok(())
}
