//! Throughput of projected → ECEF (EPSG:4978) per point, the 3D Tiles hot path.
//!
//! `cargo bench -p zwilling-crs --bench to_ecef`; results in docs/benchmarks/crs.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_crs::{EcefPatches, Quasigeoid, Transformer};

const N: usize = 100_000;

fn points(x0: f64, y0: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    // A deterministic 10 km × 10 km scatter.
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = (0..N).map(|_| x0 + 10_000.0 * next()).collect();
    let y = (0..N).map(|_| y0 + 10_000.0 * next()).collect();
    let z = (0..N).map(|_| 100.0 + 50.0 * next()).collect();
    (x, y, z)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("to_ecef");
    g.throughput(Throughput::Elements(N as u64));
    let cases = [
        ("EPSG:25832", CrsInfo::from_epsg(25832), 500_000.0, 5_600_000.0),
        ("EPSG:2154", CrsInfo::from_epsg(2154), 650_000.0, 6_860_000.0),
        ("EPSG:28992", CrsInfo::from_epsg(28992), 120_000.0, 480_000.0),
    ];
    for (name, crs, x0, y0) in cases {
        let t = Transformer::new(&crs).unwrap();
        let (x, y, z) = points(x0, y0);
        let mut out = vec![[0.0; 3]; N];
        g.bench_function(BenchmarkId::new("serial", name), |b| {
            b.iter(|| t.to_ecef_slice(black_box(&x), &y, &z, &mut out).unwrap())
        });
    }
    // With a quasigeoid lookup (GCG2016-sized synthetic grid: 950 × 1052 nodes over Germany).
    let grid = Grid::filled(
        950,
        1052,
        GeoTransform { origin_x: 3.25, origin_y: 55.983333, cell_x: 0.0125, cell_y: 0.008333333 },
        48.0f32,
    );
    let geoid = Quasigeoid::gcg2016(&grid).unwrap();
    let t = Transformer::new(&CrsInfo::compound(25832, 7837)).unwrap();
    let (x, y, z) = points(500_000.0, 5_600_000.0);
    let mut out = vec![[0.0; 3]; N];
    g.bench_function(BenchmarkId::new("serial+geoid", "EPSG:25832+7837"), |b| {
        b.iter(|| t.to_ecef_with_heights(black_box(&x), &y, &z, Some(&geoid), &mut out).unwrap())
    });
    g.bench_function(BenchmarkId::new("parallel+geoid", "EPSG:25832+7837"), |b| {
        b.iter(|| t.par_to_ecef_with_heights(black_box(&x), &y, &z, Some(&geoid), &mut out).unwrap())
    });
    // The 3D Tiles fast path: per-cell quadratic patches (512 m cells, exact transform at the nodes).
    let fast = EcefPatches::new(&t, Some(&geoid)).unwrap();
    g.bench_function(BenchmarkId::new("patches+geoid", "EPSG:25832+7837"), |b| {
        b.iter(|| fast.to_ecef(black_box(&x), &y, &z, &mut out).unwrap())
    });
    // Spatially coherent input as a survey delivers it (points sorted along x; the random scatter
    // above touches a new 512 m cell every few points).
    let mut order: Vec<usize> = (0..N).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let (xs, ys, zs): (Vec<f64>, Vec<f64>, Vec<f64>) = (
        order.iter().map(|&i| x[i]).collect(),
        order.iter().map(|&i| y[i]).collect(),
        order.iter().map(|&i| z[i]).collect(),
    );
    g.bench_function(BenchmarkId::new("patches+geoid, sorted", "EPSG:25832+7837"), |b| {
        b.iter(|| fast.to_ecef(black_box(&xs), &ys, &zs, &mut out).unwrap())
    });
    g.bench_function(BenchmarkId::new("exact+geoid, sorted", "EPSG:25832+7837"), |b| {
        b.iter(|| t.to_ecef_with_heights(black_box(&xs), &ys, &zs, Some(&geoid), &mut out).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
