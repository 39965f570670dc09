//! Crack detection throughput on synthetic pavement images (docs/benchmarks/cracks.md).
//!
//! `cargo bench -p zwilling-cracks --bench detect`: one image on one thread, and a batch of
//! images in parallel over all threads (rayon), for 480 × 320 (CrackForest size) and 2048 × 1536.
//! Throughput is reported in images per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use std::hint::black_box;
use zwilling_cracks::detect::{crack_mask, CrackParams};
use zwilling_cracks::synthetic::{meandering_crack, pavement, SyntheticCrack};

fn scene(w: usize, h: usize, seed: u64) -> image::GrayImage {
    let s = w as f64 / 480.0;
    let cracks = vec![
        SyntheticCrack {
            points: meandering_crack([20.0 * s, 60.0 * s], 0.1, 420.0 * s, 0.3, seed),
            width: 3.0,
            contrast: 0.3,
        },
        SyntheticCrack {
            points: meandering_crack([400.0 * s, 300.0 * s], -1.8, 220.0 * s, 0.25, seed + 1),
            width: 4.0,
            contrast: 0.4,
        },
    ];
    pavement(w, h, seed, &cracks).0
}

fn bench(c: &mut Criterion) {
    let p = CrackParams::default();
    let mut g = c.benchmark_group("crack_detect");
    g.sample_size(10);
    for (w, h, batch) in [(480usize, 320usize, 16usize), (2048, 1536, 4)] {
        let images: Vec<_> = (0..batch as u64).map(|s| scene(w, h, s)).collect();
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("one_thread", format!("{w}x{h}")), &images[0], |b, img| {
            b.iter(|| black_box(crack_mask(img, None, &p)))
        });
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_with_input(BenchmarkId::new("all_threads", format!("{w}x{h}")), &images, |b, imgs| {
            b.iter(|| imgs.par_iter().map(|i| crack_mask(i, None, &p).len()).sum::<usize>())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
