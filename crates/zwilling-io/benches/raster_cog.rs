//! COG write and GeoTIFF read throughput on a 2048 × 2048 f32 terrain-like grid (16 tiles + 2
//! overview levels). `cargo bench -p zwilling-io --bench raster_cog`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_io::raster::{read_geotiff_f32, write_cog, CogOptions};

fn terrain(n: usize) -> Grid<f32> {
    let mut g = Grid::filled(n, n, GeoTransform::new(362_000.0, 5_620_000.0, 0.5), 0.0f32);
    for r in 0..n {
        for c in 0..n {
            g.data[r * n + c] =
                80.0 + (c as f32 * 0.01).sin() * 3.0 + r as f32 * 0.002 + ((c * 7 + r * 13) % 17) as f32 * 0.003;
        }
    }
    g.crs = CrsInfo::compound(25832, 7837);
    g.nodata = Some(-9999.0);
    g
}

fn bench(c: &mut Criterion) {
    let g = terrain(2048);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dtm.tif");
    let mut grp = c.benchmark_group("cog_f32_2048");
    grp.sample_size(10);
    grp.throughput(Throughput::Elements(g.len() as u64));
    grp.bench_function("write_cog", |b| b.iter(|| write_cog(&p, &g, &CogOptions::default()).unwrap()));
    write_cog(&p, &g, &CogOptions::default()).unwrap();
    grp.bench_function("read_geotiff_f32", |b| b.iter(|| read_geotiff_f32(&p).unwrap()));
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
