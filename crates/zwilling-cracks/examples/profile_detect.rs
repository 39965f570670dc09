//! Runs the detector repeatedly on a synthetic 2048 × 1536 image, for profiling
//! (`perf record cargo run --release -p zwilling-cracks --example profile_detect`).

use std::time::Instant;
use zwilling_cracks::detect::{crack_mask, CrackParams};
use zwilling_cracks::synthetic::{meandering_crack, pavement, SyntheticCrack};

fn main() {
    let (w, h) = (2048usize, 1536usize);
    let s = w as f64 / 480.0;
    let cracks = vec![
        SyntheticCrack {
            points: meandering_crack([20.0 * s, 60.0 * s], 0.1, 420.0 * s, 0.3, 1),
            width: 3.0,
            contrast: 0.3,
        },
        SyntheticCrack {
            points: meandering_crack([400.0 * s, 300.0 * s], -1.8, 220.0 * s, 0.25, 2),
            width: 4.0,
            contrast: 0.4,
        },
    ];
    let (img, truth) = pavement(w, h, 1, &cracks);
    let sum: u64 = img.as_raw().iter().map(|&v| v as u64).sum();
    let m = crack_mask(&img, None, &CrackParams::default());
    let s = zwilling_cracks::match_counts(&m, &truth, w, h, &[2.0])[0].scores();
    println!(
        "grey sum {sum}, truth {} px, P {:.3} R {:.3}",
        truth.iter().filter(|&&b| b).count(),
        s.precision,
        s.recall
    );
    let p = CrackParams::default();
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let t = Instant::now();
    let mut px = 0;
    for _ in 0..n {
        px += crack_mask(&img, None, &p).iter().filter(|&&b| b).count();
    }
    println!("{n} runs, {:.1} ms per image (wall), {px} crack pixels", t.elapsed().as_secs_f64() * 1e3 / n as f64);
    // Stage times (wall, ms per image) of the same steps as `crack_mask`.
    let mut st = [0.0f64; 4];
    for _ in 0..n {
        let t = Instant::now();
        let j = zwilling_cracks::detect::normalised_intensity(&img, None, &p);
        st[0] += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r = zwilling_cracks::line_filter::dark_bar_response(&j, p.half_length, &p.offsets);
        st[1] += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let (med, sigma) = zwilling_cracks::hysteresis::robust_stats(&r.data);
        let high = (med + p.k_high * sigma).max(p.min_high);
        let low = (med + p.k_low * sigma).max(p.min_low).min(high);
        let seeds = zwilling_cracks::hysteresis::hysteresis(&r.data, w, h, low, high);
        st[2] += t.elapsed().as_secs_f64();
        let t = Instant::now();
        std::hint::black_box(p.shape.apply(&seeds, w, h));
        st[3] += t.elapsed().as_secs_f64();
    }
    let ms = |v: f64| v * 1e3 / n.max(1) as f64;
    println!(
        "stages: normalise {:.1} ms, dark bar {:.1} ms, hysteresis {:.1} ms, shape {:.1} ms",
        ms(st[0]),
        ms(st[1]),
        ms(st[2]),
        ms(st[3])
    );
}
