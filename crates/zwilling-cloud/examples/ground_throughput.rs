//! Filter-only throughput of the ground stage (noise + SMRF, 100 m tiles, default parameters), to
//! set beside CSF's filter-only time from `benches/compare/ground_csf.sh` on the same file.
//!
//! `cargo run --release -p zwilling-cloud --example ground_throughput -- FILE.laz`
//!
//! Reads the whole file (not timed), then times `classify_tiled`: wall clock and the process CPU
//! time (user + sys from /proc/self/stat, Linux).
use std::time::Instant;
use zwilling_cloud::ground::{classify_tiled, GroundParams};

/// Process user + system CPU seconds (clock ticks of 1/100 s), or NaN where /proc is missing.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |k: usize| f.get(k - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(14) + ticks(15)) / 100.0
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: ground_throughput FILE.laz");
        std::process::exit(2);
    };
    let (_, b) = match zwilling_io::las::read_all(std::path::Path::new(&path)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let n = b.len();
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let classes = classify_tiled(&b.x, &b.y, &b.z, &b.classification, &b.flags, &GroundParams::default(), 100.0)
        .expect("tile plan");
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let ground = classes.iter().filter(|&&c| c == zwilling_core::class::GROUND).count();
    println!(
        "{n} points, filter only: {wall:.2} s wall ({:.0} pts/s), {cpu:.2} s CPU ({:.0} pts/s), {} threads, ground {:.1} %",
        n as f64 / wall,
        n as f64 / cpu,
        rayon::current_num_threads(),
        100.0 * ground as f64 / n as f64
    );
}
