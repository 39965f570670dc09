//! Decodes every point of LAS/LAZ files into point blocks (all fields of the full point records)
//! with [`LasReader::read_block_into`] (one reused block of `DEFAULT_BLOCK` points) and prints
//! the throughput; used by `benches/compare/las_decode.sh`:
//! `cargo run --release -p zwilling-io --example las_decode -- [--threads N] [--skip] FILE...`;
//! `--skip` leaves the fields `zwilling tiles` does not read undecoded
//! ([`SkipFields::all_but_geometry_and_appearance`] and the flags); `--skip-all` also intensity
//! and classification (coordinates and colour only).
//!
//! One line per file: `path points wall_s cpu_s Mpts_per_s checksum`, tab-separated; `cpu_s` is the
//! process's user + system time while decoding (Linux `/proc/self/stat`, `nan` elsewhere).

use std::time::Instant;

use zwilling_core::PointBlock;
use zwilling_io::las::{LasReader, SkipAttributes, SkipFields, DEFAULT_BLOCK};

/// User + system CPU seconds of this process (all threads), from `/proc/self/stat` fields 14–15
/// in clock ticks (USER_HZ, 100 on Linux).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return f64::NAN };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // `rest` starts at field 3, so fields 14 and 15 are at indices 11 and 12.
    (tick(11) + tick(12)) / 100.0
}

fn main() -> zwilling_core::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(k) = args.iter().position(|a| a == "--threads") {
        let n: usize = args.get(k + 1).and_then(|s| s.parse().ok()).expect("--threads N");
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().expect("thread pool");
        args.drain(k..k + 2);
    }
    let skip_all = args.iter().any(|a| a == "--skip-all");
    let skip = skip_all || args.iter().any(|a| a == "--skip");
    args.retain(|a| a != "--skip" && a != "--skip-all");
    for f in &args {
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut r = LasReader::open(f.as_ref())?;
        if skip {
            r.skip_fields(SkipFields::all_but_geometry_and_appearance());
            r.skip_attributes(SkipAttributes { flags: true, intensity: skip_all, classification: skip_all });
        }
        let mut n = 0u64;
        let mut check = 0.0f64;
        let mut b = PointBlock::with_capacity(r.info().layout, DEFAULT_BLOCK);
        while r.read_block_into(&mut b, DEFAULT_BLOCK)? {
            n += b.len() as u64;
            // Touch the first and last value of every block so nothing is optimised away.
            check += b.z.first().copied().unwrap_or(0.0) + b.x.last().copied().unwrap_or(0.0);
        }
        let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        println!("{f}\t{n}\t{s:.4}\t{cpu:.2}\t{:.3}\t{check:.3}", n as f64 / s / 1e6);
    }
    Ok(())
}
