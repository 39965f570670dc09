//! Writer → reader round trips for every point format 0–10, LAS and LAZ, with extra bytes.
//!
//! The truth is the synthetic block itself: every value is chosen on the storage grid of its
//! field (coordinates on the 1 mm grid, 1.4 scan angles on the 0.006° grid), so a correct
//! round trip must give back exactly the same numbers.

use std::path::Path;

use zwilling_core::points::flag;
use zwilling_core::{CrsInfo, PointBlock, PointLayout};
use zwilling_io::las::{read_all, LasReader, LasWriter, WriterOptions};

/// A small deterministic generator (64-bit LCG, Knuth MMIX constants).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const OFFSET: [f64; 3] = [500_000.0, 5_600_000.0, 0.0];

fn synthetic_block(format: u8, extra: usize, n: usize, seed: u64) -> PointBlock {
    let layout = PointLayout::for_format(format, extra).unwrap();
    let mut b = PointBlock::with_capacity(layout, n);
    let mut g = Lcg(seed);
    let ext = format >= 6;
    for i in 0..n {
        let q = |g: &mut Lcg, range: u64| (g.next() % range) as i64;
        b.x.push((q(&mut g, 2_000_000) - 1_000_000) as f64 * 0.001 + OFFSET[0]);
        b.y.push(q(&mut g, 2_000_000) as f64 * 0.001 + OFFSET[1]);
        b.z.push((q(&mut g, 100_000) - 5000) as f64 * 0.001 + OFFSET[2]);
        b.intensity.push(g.next() as u16);
        let max_ret = if ext { 15 } else { 7 };
        let nr = 1 + q(&mut g, max_ret) as u8;
        b.number_of_returns.push(nr);
        b.return_number.push(1 + q(&mut g, nr as u64) as u8);
        b.classification.push(if ext { g.next() as u8 } else { q(&mut g, 32) as u8 });
        let mut fl = g.next() as u8;
        if !ext {
            fl &= flag::SYNTHETIC | flag::KEY_POINT | flag::WITHHELD | flag::SCAN_DIRECTION | flag::EDGE_OF_FLIGHT_LINE;
        }
        b.flags.push(fl);
        b.scan_angle.push(if ext {
            (q(&mut g, 60001) - 30000) as i16 as f32 * 0.006
        } else {
            (q(&mut g, 181) - 90) as f32
        });
        b.user_data.push(g.next() as u8);
        b.point_source_id.push(i as u16);
        if layout.gps_time {
            b.gps_time.push(1.0e8 + i as f64 * 1e-5);
        }
        if layout.rgb {
            b.rgb.push([g.next() as u16, g.next() as u16, g.next() as u16]);
        }
        if layout.nir {
            b.nir.push(g.next() as u16);
        }
        if layout.waveform {
            // A wave packet descriptor as LAS 1.4 R15 table 14 lays it out: descriptor index,
            // byte offset (growing, as in a real file), packet size, return location, dx, dy, dz.
            let mut w = [0u8; 29];
            w[0] = 1 + (g.next() % 3) as u8;
            w[1..9].copy_from_slice(&(i as u64 * 256).to_le_bytes());
            w[9..13].copy_from_slice(&256u32.to_le_bytes());
            for k in 0..4 {
                let v = (g.next() % 10_000) as f32 * 0.25;
                w[13 + 4 * k..17 + 4 * k].copy_from_slice(&v.to_le_bytes());
            }
            b.waveform.push(w);
        }
        for _ in 0..extra {
            b.extra.push(g.next() as u8);
        }
    }
    assert!(b.is_consistent());
    b
}

fn write(path: &Path, block: &PointBlock, format: u8, extra: usize, pieces: usize) {
    let opts = WriterOptions {
        point_format: format,
        minor_version: if format >= 6 {
            4
        } else if format >= 4 {
            3
        } else {
            2
        },
        offset: OFFSET,
        extra_bytes: extra,
        crs: CrsInfo::compound(25832, 7837),
        laz_chunk_size: 1000,
        ..WriterOptions::default()
    };
    let mut w = LasWriter::create(path, opts).unwrap();
    let n = block.len();
    let step = n.div_ceil(pieces);
    for start in (0..n).step_by(step) {
        let mut part = PointBlock::with_capacity(block.layout, step);
        for i in start..(start + step).min(n) {
            part.push_from(block, i);
        }
        w.write_block(&part).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn every_format_round_trips_through_las_and_laz() {
    let dir = tempfile::tempdir().unwrap();
    for format in 0u8..=10 {
        for ext in ["las", "laz"] {
            let extra = (format as usize) % 4 * 3; // 0, 3, 6, 9 extra bytes
            let n = 2500 + 37 * format as usize;
            let block = synthetic_block(format, extra, n, 42 + format as u64);
            let path = dir.path().join(format!("f{format}.{ext}"));
            write(&path, &block, format, extra, 3);
            let (info, back) = read_all(&path).unwrap();
            assert_eq!(info.point_format, format);
            assert_eq!(info.point_count, n as u64);
            assert_eq!(info.is_compressed, ext == "laz");
            assert_eq!(info.crs, CrsInfo::compound(25832, 7837), "format {format} {ext}");
            assert_eq!(info.layout.extra_bytes, extra);
            assert_eq!(info.bounds, block.bounds(), "header bounds, format {format} {ext}");
            assert!(back == block, "format {format} {ext}: points differ after the round trip");
            // Streaming in odd block sizes gives the same points in the same order.
            let mut r = LasReader::open(&path).unwrap();
            let mut again = PointBlock::with_capacity(block.layout, n);
            while let Some(b) = r.read_block(777).unwrap() {
                assert!(b.len() <= 777);
                again.append(&b);
            }
            assert!(again == block, "format {format} {ext}: streamed points differ");
        }
    }
}

#[test]
fn like_rewrites_a_file_changing_only_classification() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.laz");
    let block = synthetic_block(7, 4, 3000, 9);
    write(&src, &block, 7, 4, 1);
    let (info, mut pts) = read_all(&src).unwrap();
    pts.classification.iter_mut().for_each(|c| *c = 2);
    let dst = dir.path().join("out.laz");
    let mut w = LasWriter::create(&dst, WriterOptions::like(&info)).unwrap();
    w.write_block(&pts).unwrap();
    w.finish().unwrap();
    let (info2, back) = read_all(&dst).unwrap();
    assert_eq!(back, pts);
    assert_eq!(
        (info2.version, info2.point_format, info2.scale, info2.offset),
        (info.version, 7, info.scale, info.offset)
    );
    assert_eq!(info2.crs, info.crs);
    let ids =
        |i: &zwilling_io::las::LasInfo| i.vlrs.iter().map(|v| (v.user_id.clone(), v.record_id)).collect::<Vec<_>>();
    assert_eq!(ids(&info2), ids(&info));
}

#[test]
fn dropping_a_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.laz");
    {
        let mut w = LasWriter::create(&path, WriterOptions { offset: OFFSET, ..WriterOptions::default() }).unwrap();
        w.write_block(&synthetic_block(6, 0, 100, 1)).unwrap();
    }
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "temporary file left behind");
}

#[test]
fn wkt_crs_is_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wkt.las");
    let wkt = r#"COMPD_CS["ETRS89 / UTM zone 32N + DHHN2016 height",PROJCS["ETRS89 / UTM zone 32N",AUTHORITY["EPSG","25832"]],VERT_CS["DHHN2016 height",AUTHORITY["EPSG","7837"]]]"#;
    let crs = CrsInfo { epsg: Some(25832), vertical_epsg: Some(7837), wkt: Some(wkt.into()) };
    let opts = WriterOptions { offset: OFFSET, crs, ..WriterOptions::default() };
    let mut w = LasWriter::create(&path, opts).unwrap();
    w.write_block(&synthetic_block(6, 0, 10, 3)).unwrap();
    w.finish().unwrap();
    let r = LasReader::open(&path).unwrap();
    assert_eq!(r.info().crs.epsg, Some(25832));
    assert_eq!(r.info().crs.vertical_epsg, Some(7837));
    assert_eq!(r.info().crs.wkt.as_deref(), Some(wkt));
    assert_eq!(r.info().global_encoding & zwilling_io::las::GLOBAL_ENCODING_WKT, zwilling_io::las::GLOBAL_ENCODING_WKT);
}

#[test]
fn same_points_give_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let block = synthetic_block(8, 2, 20_000, 5);
    let mut outs = Vec::new();
    for threads in [1, 2, 3] {
        let path = dir.path().join(format!("t{threads}.laz"));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| write(&path, &block, 8, 2, 4));
        let (_, back) = pool.install(|| read_all(&path)).unwrap();
        assert!(back == block);
        outs.push(std::fs::read(&path).unwrap());
    }
    assert!(outs[0] == outs[1] && outs[1] == outs[2]);
}

/// Several LAZ files read at once inside a rayon parallel loop (each reader's chunk tasks share
/// the pool with the loop's own tasks), with one reused block per file and a block size that
/// cuts chunks in odd places: every file comes back complete and in order, also on one thread.
#[test]
fn readers_inside_a_parallel_loop_reuse_one_block() {
    use rayon::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let blocks: Vec<PointBlock> = (0..4).map(|k| synthetic_block(7, 0, 9_000 + 1_234 * k, 70 + k as u64)).collect();
    let paths: Vec<_> = (0..4).map(|k| dir.path().join(format!("p{k}.laz"))).collect();
    for (p, b) in paths.iter().zip(&blocks) {
        write(p, b, 7, 0, 2);
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let back: Vec<PointBlock> = pool.install(|| {
            paths
                .par_iter()
                .map(|p| {
                    let mut r = LasReader::open(p).unwrap();
                    let mut all = PointBlock::with_capacity(r.info().layout, 0);
                    let mut block = PointBlock::with_capacity(r.info().layout, 2_500);
                    while r.read_block_into(&mut block, 2_500).unwrap() {
                        assert!(!block.is_empty() && block.len() <= 2_500);
                        all.append(&block);
                    }
                    assert!(block.is_empty() && r.read_block(10).unwrap().is_none());
                    all
                })
                .collect()
        });
        for (k, (got, want)) in back.iter().zip(&blocks).enumerate() {
            assert!(got == want, "file {k} with {threads} threads: points differ");
        }
    }
    // A reader dropped with chunks still in flight neither hangs nor panics.
    let mut r = LasReader::open(&paths[3]).unwrap();
    assert_eq!(r.read_block(10).unwrap().unwrap().len(), 10);
    drop(r);
}

#[test]
fn skipping_layers_keeps_geometry_and_appearance_of_layered_laz() {
    // Point formats 6–10 compress each field group in its own layer; a reader that skips GPS time,
    // scan angle, user data and point source ID must still return every other field exactly.
    let dir = tempfile::tempdir().unwrap();
    for format in [6u8, 7, 8] {
        let n = 4321;
        let block = synthetic_block(format, 3, n, 7 + format as u64);
        let path = dir.path().join(format!("skip{format}.laz"));
        write(&path, &block, format, 3, 2);
        let mut r = LasReader::open(&path).unwrap();
        r.skip_fields(zwilling_io::las::SkipFields::all_but_geometry_and_appearance());
        let mut back = PointBlock::with_capacity(block.layout, n);
        while let Some(b) = r.read_block(1000).unwrap() {
            back.append(&b);
        }
        assert_eq!(back.len(), n);
        assert_eq!((&back.x, &back.y, &back.z), (&block.x, &block.y, &block.z), "format {format}");
        assert_eq!(back.intensity, block.intensity, "format {format}");
        assert_eq!(back.classification, block.classification, "format {format}");
        assert_eq!(back.return_number, block.return_number, "format {format}");
        assert_eq!(back.number_of_returns, block.number_of_returns, "format {format}");
        assert_eq!(back.rgb, block.rgb, "format {format}");
        // The skipped layers really were skipped: GPS time is not decoded.
        assert_ne!(back.gps_time, block.gps_time, "format {format}: GPS time was decoded anyway");
    }
}
