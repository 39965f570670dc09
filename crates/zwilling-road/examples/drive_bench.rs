//! Throughput of the streaming road survey on a synthetic drive generated on the fly.
//!
//! `cargo run --release -p zwilling-road --example drive_bench -- LENGTH_M [DENSITY_PTS_PER_M2]`
//!
//! Points of an analytic road (grade, cross slope, ruts, roughness, a pothole every 100 m) over
//! ±2 m of a gently curving trajectory are produced block by block (1 m of road per block, as a
//! reader would deliver them in drive order), fed to `RoadSurvey`, and the evaluation sections
//! are graded. Prints seconds per km and the largest number of buffered points; run it under
//! `/usr/bin/time -v` for the peak memory.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
use zwilling_core::{class, PointBlock};
use zwilling_road::alignment::Alignment;
use zwilling_road::damage::CrackObservations;
use zwilling_road::preset::{Construction, FunctionClass, Preset};
use zwilling_road::sections::evaluate;
use zwilling_road::survey::{RoadConfig, RoadSurvey};

fn centre(s: f64) -> [f64; 2] {
    // a gentle S-curve: heading varies ±0.2 rad over 2 km
    let y = 200.0 * (s / 2000.0 * std::f64::consts::TAU).sin();
    [s, y]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let length: f64 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(5000.0);
    let density: f64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(2000.0);
    let traj: Vec<[f64; 3]> = (0..=(length as usize))
        .map(|i| {
            let c = centre(i as f64);
            [c[0], c[1], 100.0 + 0.01 * i as f64]
        })
        .collect();
    let t0 = Instant::now();
    let alignment = Alignment::from_points(&traj, 1.0, 5.0, 0.0, 2.2).expect("alignment");
    let mut survey = RoadSurvey::new(alignment.clone(), RoadConfig::default());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let per_block = (density * 4.0) as usize;
    let mut peak = 0usize;
    let mut gen_time = 0.0;
    for m in 0..(alignment.length() as usize) {
        let g = Instant::now();
        let mut b = PointBlock::with_capacity(Default::default(), per_block);
        for _ in 0..per_block {
            let s = m as f64 + rng.gen::<f64>();
            let o = rng.gen_range(-2.0..2.0);
            let p = alignment.point(s, o);
            let rut = |c: f64| 0.008 * (1.0 - (o - c).abs() / 0.5).max(0.0);
            let hole = if (s % 100.0 - 50.0).hypot(o + 0.3) < 0.3 { 0.03 } else { 0.0 };
            let z = 100.0 + 0.01 * s - 0.025 * o + 0.003 * (s / 7.0).sin() - rut(-0.85) - rut(0.85) - hole
                + 0.002 * rng.gen_range(-1.7..1.7);
            b.push_xyz(p[0], p[1], z, class::GROUND);
        }
        gen_time += g.elapsed().as_secs_f64();
        survey.push(&b);
        peak = peak.max(survey.buffered_points());
    }
    let res = survey.finish();
    let sections = evaluate(
        &res,
        &RoadConfig::default(),
        &[],
        &CrackObservations::default(),
        &Preset::ap9k_municipal(),
        (FunctionClass::B, Construction::Asphalt),
    );
    let total = t0.elapsed().as_secs_f64();
    let km = alignment.length() / 1000.0;
    println!("length_km {km:.3}");
    println!("points {}", res.used_points);
    println!("sections {} potholes {}", sections.len(), res.potholes.len());
    println!("total_s {total:.2} generation_s {gen_time:.2}");
    println!("survey_s_per_km {:.2}", (total - gen_time) / km);
    println!("peak_buffered_points {peak}");
    println!("threads {}", rayon::current_num_threads());
}
