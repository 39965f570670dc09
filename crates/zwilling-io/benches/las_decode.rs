//! LAZ decode throughput on a 1 M-point mobile-mapping-like file (point format 7: GPS time, RGB;
//! 50 000-point chunks), all fields of every record decoded into point columns:
//! `cargo bench -p zwilling-io --bench las_decode`.
//!
//! - `read_block_into`: the streaming reader with one reused block (as the commands use it).
//! - `read_block`: the same with a new block per call.
//! - `laz_par_decompress_raw`: the `laz` crate's parallel decoder into one raw record buffer,
//!   no column parsing — the decoder bound the reader is compared with.
//!
//! The comparison with laspy + lazrs is `benches/compare/las_decode.sh`.

use std::io::Cursor;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use laz::laszip::parallel::ParLasZipDecompressor;
use zwilling_core::{class, CrsInfo, PointBlock, PointLayout};
use zwilling_io::las::{LasReader, LasWriter, WriterOptions, DEFAULT_BLOCK};

/// Scan lines of 1000 points across a street (road, kerbs, façades), 5 mm noise.
fn write_scene(path: &std::path::Path, n: usize) {
    let layout = PointLayout::for_format(7, 0).unwrap();
    let opts = WriterOptions {
        point_format: 7,
        offset: [500_000.0, 5_600_000.0, 0.0],
        crs: CrsInfo::compound(25832, 7837),
        ..WriterOptions::default()
    };
    let mut w = LasWriter::create(path, opts).unwrap();
    let mut b = PointBlock::with_capacity(layout, n);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for i in 0..n {
        let (line, k) = (i / 1000, i % 1000);
        let a = k as f64 / 1000.0 * std::f64::consts::TAU;
        let (s, c) = a.sin_cos();
        let (y, z, cls) = if c < -0.3 && (s * 2.5 / -c).abs() < 8.0 {
            let y = s * 2.5 / -c;
            (y, -2.5 - 0.025 * y.abs(), class::GROUND)
        } else {
            (8.0 * s.signum(), (c * 8.0 / s.abs().max(1e-3)).clamp(-2.5, 15.0), class::BUILDING)
        };
        b.push_xyz(
            500_100.0 + line as f64 * 0.04 + noise() * 0.01,
            5_600_050.0 + y + noise() * 0.01,
            52.5 + z + noise() * 0.01,
            cls,
        );
        b.intensity[i] = if cls == class::GROUND { 300 } else { 900 };
        b.scan_angle[i] = (a.to_degrees() - 180.0) as f32;
        b.gps_time[i] = 1.0e5 + line as f64 / 250.0 + k as f64 * 4e-6;
        let g = (120.0 + 60.0 * (y * 0.3).sin()) as u16 * 256;
        b.rgb[i] = [g, g, g.saturating_add(2000)];
    }
    w.write_block(&b).unwrap();
    w.finish().unwrap();
}

fn bench(c: &mut Criterion) {
    let n = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scene.laz");
    write_scene(&path, n);
    let bytes = std::fs::read(&path).unwrap();
    let info = LasReader::open(&path).unwrap().info().clone();
    let laszip = info.vlrs.iter().find(|v| v.is_laszip()).unwrap();
    let vlr = laz::LazVlr::from_buffer(&laszip.data).unwrap();
    let data_start = u32::from_le_bytes(bytes[96..100].try_into().unwrap()) as usize;

    let mut grp = c.benchmark_group(format!("laz_decode_format7_{}k", n / 1000));
    grp.sample_size(10);
    grp.throughput(Throughput::Elements(n as u64));
    grp.bench_function("read_block_into", |b| {
        let mut block = PointBlock::with_capacity(info.layout, DEFAULT_BLOCK);
        b.iter(|| {
            let mut r = LasReader::open(&path).unwrap();
            let mut got = 0;
            while r.read_block_into(&mut block, DEFAULT_BLOCK).unwrap() {
                got += block.len();
            }
            assert_eq!(got, n);
        })
    });
    grp.bench_function("read_block", |b| {
        b.iter(|| {
            let mut r = LasReader::open(&path).unwrap();
            let mut got = 0;
            while let Some(block) = r.read_block(DEFAULT_BLOCK).unwrap() {
                got += block.len();
            }
            assert_eq!(got, n);
        })
    });
    grp.bench_function("laz_par_decompress_raw", |b| {
        let mut raw = vec![0u8; n * info.record_length as usize];
        b.iter(|| {
            let mut src = Cursor::new(&bytes[..]);
            src.set_position(data_start as u64);
            let mut d = ParLasZipDecompressor::new(src, vlr.clone()).unwrap();
            d.decompress_many(&mut raw).unwrap();
        })
    });
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
