//! Throughput of the topographic analysis and the 2D solver, for benches/compare/rain_whitebox.sh.
//!
//! ```text
//! rain_perf topo DEM.tif [REPS]        fill, D8 directions, D8 accumulation on a GeoTIFF DEM
//! rain_perf fill DEM.tif [REPS]       fill only (best of REPS)
//! rain_perf d8 DEM.tif [REPS]         D8 directions of the filled DEM only
//! rain_perf fill-synthetic SIDE        fill a SIDE × SIDE synthetic DEM once (peak-RSS check)
//! rain_perf solver SIDE [STEPS]        local-inertial steps on a SIDE × SIDE wet synthetic DEM
//! ```
//! Prints the best wall time of REPS runs (default 3) and cells/s (or cell-steps/s).

use std::time::Instant;

use zwilling_rain::testdem::rolling_dem;
use zwilling_rain::{accumulation, d8, fill, simulate, storm::Hyetograph};

/// CPU time (user + system, all threads) of this process in seconds, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after.split_whitespace().map(|v| v.parse().unwrap_or(0.0)).collect();
    // fields 14 and 15 (utime, stime) are at 11 and 12 after the command name; 100 ticks/s
    if f.len() > 12 {
        (f[11] + f[12]) / 100.0
    } else {
        f64::NAN
    }
}

/// Best wall time and best CPU time of `reps` runs, and the last result.
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut out = None;
    let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - c);
        out = Some(v);
    }
    (best, best_cpu, out.unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    match arg(1, "").as_str() {
        "topo" => {
            let dem = zwilling_io::raster::read_geotiff_f32(std::path::Path::new(&arg(2, ""))).expect("read DEM");
            let reps: usize = arg(3, "3").parse().unwrap();
            let n = dem.len() as f64;
            let threads = rayon::current_num_threads();
            println!("zwilling DEM {} x {} = {:.1} M cells, {threads} threads", dem.width, dem.height, n / 1e6);
            let report = |what: &str, t: f64, cpu: f64| {
                println!(
                    "zwilling {what}: {t:.3} s, {:.2} M cells/s; CPU {cpu:.2} s, {:.2} M cells/CPU-s",
                    n / t / 1e6,
                    n / cpu / 1e6
                )
            };
            let (t, cpu, filled) = best(reps, || fill::fill_depressions(&dem).unwrap());
            let raised = dem.data.iter().zip(&filled.data).filter(|(a, b)| b > a).count();
            report("fill_depressions", t, cpu);
            println!("zwilling fill raised {raised} cells");
            let (t, cpu, dir) = best(reps, || d8::flow_directions_d8(&filled));
            report("flow_directions_d8", t, cpu);
            let (t, cpu, acc) = best(reps, || accumulation::flow_accumulation_d8(&dir, None));
            report("flow_accumulation_d8", t, cpu);
            let (t, cpu, _) = best(reps, || accumulation::flow_accumulation_d8(&d8::flow_directions_d8(&filled), None));
            report("d8 directions + accumulation", t, cpu);
            let total: f64 = accumulation::outlets(&dir).map(|i| acc.data[i]).sum();
            println!("zwilling check: outlets collect {total} of {n} cells");
        }
        "fill" => {
            let dem = zwilling_io::raster::read_geotiff_f32(std::path::Path::new(&arg(2, ""))).expect("read DEM");
            let reps: usize = arg(3, "3").parse().unwrap();
            let n = dem.len() as f64;
            let (t, cpu, filled) = best(reps, || fill::fill_depressions(&dem).unwrap());
            let raised = dem.data.iter().zip(&filled.data).filter(|(a, b)| b > a).count();
            let sum: f64 = filled.data.iter().map(|&v| v as f64).sum();
            println!("fill: {t:.3} s, {:.2} M cells/s; CPU {cpu:.2} s; raised {raised}, sum {sum}", n / t / 1e6);
        }
        "d8" => {
            let dem = zwilling_io::raster::read_geotiff_f32(std::path::Path::new(&arg(2, ""))).expect("read DEM");
            let reps: usize = arg(3, "3").parse().unwrap();
            let n = dem.len() as f64;
            let filled = fill::fill_depressions(&dem).unwrap();
            let (t, cpu, dir) = best(reps, || d8::flow_directions_d8(&filled));
            let h = dir.data.iter().fold(0u64, |h, &d| h.wrapping_mul(31).wrapping_add(d as u64));
            println!("d8: {t:.3} s, {:.2} M cells/s; CPU {cpu:.2} s; hash {h}", n / t / 1e6);
        }
        "fill-synthetic" => {
            let side: usize = arg(2, "10000").parse().unwrap();
            let dem = rolling_dem(side, side);
            let (t, cpu, filled) = best(1, || fill::fill_depressions(&dem).unwrap());
            let n = (side * side) as f64;
            let raised = dem.data.iter().zip(&filled.data).filter(|(a, b)| b > a).count();
            println!("fill {side} x {side}: {t:.3} s, {:.2} M cells/s, CPU {cpu:.2} s, {raised} raised", n / t / 1e6);
        }
        "solver" => {
            let side: usize = arg(2, "1000").parse().unwrap();
            let steps: usize = arg(3, "200").parse().unwrap();
            let dem = rolling_dem(side, side);
            let n = side * side;
            let cfg = simulate::SimulationConfig::new(Hyetograph::parse("90mm/1h").unwrap());
            // Wet start (5 cm everywhere), run 20 s so the water is moving, then time fixed steps.
            let mut sim = simulate::Simulation::new(&dem, cfg, Some(vec![0.05; n])).unwrap();
            sim.run_until(20.0, |_| {});
            let (t, c) = (Instant::now(), cpu_seconds());
            for _ in 0..steps {
                sim.step(0.2);
            }
            let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
            let cs = (n * steps) as f64;
            println!(
                "solver {side} x {side}, {steps} steps of 0.2 s at 90 mm/h, {} threads: {s:.3} s, {:.1} M cell-steps/s; \
                 CPU {cpu:.2} s, {:.1} M cell-steps/CPU-s; state {:.1} bytes/cell; mass error {:.1e}",
                rayon::current_num_threads(),
                cs / s / 1e6,
                cs / cpu / 1e6,
                sim.state_bytes() as f64 / n as f64,
                sim.mass_balance().relative_error
            );
        }
        _ => eprintln!("usage: rain_perf topo DEM.tif [REPS] | fill-synthetic SIDE | solver SIDE [STEPS]"),
    }
}
