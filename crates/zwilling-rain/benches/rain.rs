//! Throughput of depression filling, D8 accumulation and the 2D solver on synthetic DEMs.
//!
//! `ZW_BENCH_CELLS` sets the DEM size for fill / accumulation (default 25 M cells, as the
//! whitebox comparison); the solver runs on 1 M cells. Run:
//! `cargo bench -p zwilling-rain --bench rain`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zwilling_rain::testdem::rolling_dem;
use zwilling_rain::{accumulation, d8, fill, simulate, storm::Hyetograph};

fn side() -> usize {
    let cells: usize = std::env::var("ZW_BENCH_CELLS").ok().and_then(|v| v.parse().ok()).unwrap_or(25_000_000);
    (cells as f64).sqrt() as usize
}

fn bench(c: &mut Criterion) {
    let n = side();
    let dem = rolling_dem(n, n);
    let mut g = c.benchmark_group("topography");
    g.sample_size(10);
    g.throughput(Throughput::Elements((n * n) as u64));
    g.bench_function("fill", |b| b.iter(|| fill::fill_depressions(&dem).unwrap()));
    let filled = fill::fill_depressions(&dem).unwrap();
    let dir = d8::flow_directions_d8(&filled);
    g.bench_function("d8_directions", |b| b.iter(|| d8::flow_directions_d8(&filled)));
    g.bench_function("d8_accumulation", |b| b.iter(|| accumulation::flow_accumulation_d8(&dir, None)));
    g.finish();

    let dem = rolling_dem(1000, 1000);
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
