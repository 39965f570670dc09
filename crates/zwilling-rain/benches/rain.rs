//! Throughput of depression filling, D8 accumulation and the 2D solver on synthetic DEMs.
//!
//! `ZW_BENCH_CELLS` sets the DEM size for fill / accumulation (default 25 M cells, as the
//! whitebox comparison); the solver runs on 1 M cells. Run:
//! `cargo bench -p zwilling-rain --bench rain`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zwilling_core::{GeoTransform, Grid};
use zwilling_rain::{accumulation, d8, fill, simulate, storm::Hyetograph};

/// Rolling terrain with many small depressions, 1 m cells (deterministic).
pub fn synthetic_dem(w: usize, h: usize) -> Grid<f32> {
    let mut g = Grid::filled(w, h, GeoTransform::new(0.0, h as f64, 1.0), 0.0f32);
    for r in 0..h {
        for c in 0..w {
            let (x, y) = (c as f32, r as f32);
            let hash = ((c as u32).wrapping_mul(73856093) ^ (r as u32).wrapping_mul(19349663)) % 1000;
            g.data[r * w + c] = 0.002 * y
                + 0.001 * x
                + 2.0 * (x * 0.013).sin() * (y * 0.011).cos()
                + 0.5 * (x * 0.1).sin() * (y * 0.07).sin()
                + hash as f32 * 1e-4;
        }
    }
    g
}

fn side() -> usize {
    let cells: usize = std::env::var("ZW_BENCH_CELLS").ok().and_then(|v| v.parse().ok()).unwrap_or(25_000_000);
    (cells as f64).sqrt() as usize
}

fn bench(c: &mut Criterion) {
    let n = side();
    let dem = synthetic_dem(n, n);
    let mut g = c.benchmark_group("topography");
    g.sample_size(10);
    g.throughput(Throughput::Elements((n * n) as u64));
    g.bench_function("fill", |b| b.iter(|| fill::fill_depressions(&dem).unwrap()));
    let filled = fill::fill_depressions(&dem).unwrap();
    let dir = d8::flow_directions_d8(&filled);
    g.bench_function("d8_directions", |b| b.iter(|| d8::flow_directions_d8(&filled)));
    g.bench_function("d8_accumulation", |b| b.iter(|| accumulation::flow_accumulation_d8(&dir, None)));
    g.finish();

    let dem = synthetic_dem(1000, 1000);
    let mut cfg = simulate::SimulationConfig::new(Hyetograph::parse("90mm/1h").unwrap());
    cfg.max_dt = 0.5;
    // wet the grid first so the steps measure flowing water
    let mut sim = simulate::Simulation::new(&dem, cfg.clone(), Some(vec![0.05; 1_000_000])).unwrap();
    sim.run_until(20.0, |_| {});
    let mut g = c.benchmark_group("simulation");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10 * 1_000_000));
    g.bench_function("10_steps_1M_cells", |b| {
        b.iter(|| {
            for _ in 0..10 {
                sim.step(0.2);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
