//! The 3D Tiles point writer on a synthetic corridor: every point exactly once, positions in ECEF
//! as the CRS transformer puts them, geometric error never growing, same bytes at 1 and 2 threads,
//! and (in the conformance suite, `tests/conformance/tiles3d_validator.rs` at the workspace root)
//! the output passes the glTF validator and tileset checks.

use std::path::{Path, PathBuf};

use serde_json::Value;
use zwilling_core::CrsInfo;
use zwilling_crs::Transformer;
use zwilling_io::tiles3d::{write_point_tileset, TilesOptions};
use zwilling_tiles::LocalFrame;

#[path = "fixtures/tiles3d_scene.rs"]
mod tiles3d_scene;
use tiles3d_scene::{corridor, to_ecef_fn};

fn glb_json(bytes: &[u8]) -> (Value, &[u8]) {
    let jl = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let js: Value = serde_json::from_slice(&bytes[20..20 + jl]).unwrap();
    (js, &bytes[28 + jl..])
}

/// (tile uri, geometric error, parent error) for every tile with content.
fn walk(t: &Value, parent_ge: f64, out: &mut Vec<(String, f64, f64)>) {
    let ge = t["geometricError"].as_f64().unwrap();
    assert!(ge <= parent_ge + 1e-12, "geometric error grows: {ge} > {parent_ge}");
    if let Some(uri) = t["content"]["uri"].as_str() {
        out.push((uri.to_string(), ge, parent_ge));
    }
    for c in t["children"].as_array().into_iter().flatten() {
        walk(c, ge, out);
    }
}

fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = walkdir(dir).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
    v.sort();
    v
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_point_once_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let laz = dir.path().join("street.laz");
    let n = 120_000;
    corridor(&laz, n);
    let tr = Transformer::new(&CrsInfo::from_epsg(25832)).unwrap();
    let f = to_ecef_fn(&tr);
    let opts = TilesOptions { max_points_per_tile: 8_000, chunk_points: 30_000, grid: 128, ..TilesOptions::default() };
    let mut outputs = vec![];
    for threads in [1, 2] {
        let out = dir.path().join(format!("t{threads}"));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let rep = pool.install(|| write_point_tileset(std::slice::from_ref(&laz), &out, &f, &opts, &|_| {})).unwrap();
        assert_eq!(rep.points, n as u64);
        assert!(rep.chunks > 1, "the test must exercise several chunks");
        outputs.push(out);
    }
    let (a, b) = (all_files(&outputs[0]), all_files(&outputs[1]));
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (_, bb)) in a.iter().zip(&b) {
        assert!(ba == bb, "{} differs between 1 and 2 threads", pa.display());
    }
    // Every point exactly once: the counts of all tiles add up, and classes add up.
    let ts: Value = serde_json::from_slice(&std::fs::read(outputs[0].join("tileset.json")).unwrap()).unwrap();
    assert_eq!(ts["asset"]["version"], "1.1");
    assert_eq!(ts["root"]["refine"], "ADD");
    let mut tiles = vec![];
    walk(&ts["root"], ts["geometricError"].as_f64().unwrap(), &mut tiles);
    let (mut total, mut ground) = (0usize, 0usize);
    for (uri, _, _) in &tiles {
        let bytes = std::fs::read(outputs[0].join(uri)).unwrap();
        let (js, bin) = glb_json(&bytes);
        let attrs = &js["meshes"][0]["primitives"][0]["attributes"];
        let count = js["accessors"][attrs["POSITION"].as_u64().unwrap() as usize]["count"].as_u64().unwrap() as usize;
        total += count;
        let acc = &js["accessors"][attrs["_CLASSIFICATION"].as_u64().unwrap() as usize];
        let view = &js["bufferViews"][acc["bufferView"].as_u64().unwrap() as usize];
        let off = view["byteOffset"].as_u64().unwrap() as usize;
        ground += (0..count).filter(|i| bin[off + 4 * i] == 2).count();
    }
    assert_eq!(total, n);
    assert_eq!(ground, n / 2);
}

#[test]
fn positions_land_where_the_transformer_puts_them() {
    let dir = tempfile::tempdir().unwrap();
    let laz = dir.path().join("small.laz");
    corridor(&laz, 500);
    let tr = Transformer::new(&CrsInfo::from_epsg(25832)).unwrap();
    let f = to_ecef_fn(&tr);
    let out = dir.path().join("t");
    write_point_tileset(std::slice::from_ref(&laz), &out, &f, &TilesOptions::default(), &|_| {}).unwrap();
    let ts: Value = serde_json::from_slice(&std::fs::read(out.join("tileset.json")).unwrap()).unwrap();
    let m: Vec<f64> = ts["root"]["transform"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let frame = LocalFrame::from_ecef([m[12], m[13], m[14]]);
    let bytes = std::fs::read(out.join(ts["root"]["content"]["uri"].as_str().unwrap())).unwrap();
    let (js, bin) = glb_json(&bytes);
    let t: Vec<f64> = js["nodes"][0]["translation"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    // glTF y-up (x, y, z) = ENU (e, u, −n)
    let (_, block) = zwilling_io::las::read_all(&laz).unwrap();
    let mut expected = vec![[0.0; 3]; block.len()];
    tr.to_ecef_slice(&block.x, &block.y, &block.z, &mut expected).unwrap();
    // The writer groups points by octree node (input order within a node), so match each decoded
    // point to its nearest expected position; every expected point must be matched exactly once.
    let mut used = vec![false; expected.len()];
    for i in 0..expected.len() {
        let q = |k: usize| f32::from_le_bytes(bin[12 * i + 4 * k..12 * i + 4 * k + 4].try_into().unwrap()) as f64;
        let enu = [t[0] + q(0), -(t[2] + q(2)), t[1] + q(1)];
        let got = frame.to_ecef(enu);
        let dist = |e: &[f64; 3]| ((got[0] - e[0]).powi(2) + (got[1] - e[1]).powi(2) + (got[2] - e[2]).powi(2)).sqrt();
        let (j, d) = expected
            .iter()
            .enumerate()
            .filter(|(j, _)| !used[*j])
            .map(|(j, e)| (j, dist(e)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        used[j] = true;
        assert!(d < 0.005, "point {i} is {d} m off");
    }
}

/// A run stopped after some chunks (their spill records already cut away) resumes with the
/// remaining chunks and gives the same bytes as an uninterrupted run.
#[test]
fn a_stopped_run_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let laz = dir.path().join("street.laz");
    let n = 60_000;
    corridor(&laz, n);
    let tr = Transformer::new(&CrsInfo::from_epsg(25832)).unwrap();
    let f = to_ecef_fn(&tr);
    let opts = TilesOptions { max_points_per_tile: 4_000, chunk_points: 10_000, grid: 128, ..TilesOptions::default() };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let whole = dir.path().join("whole");
    pool.install(|| write_point_tileset(std::slice::from_ref(&laz), &whole, &f, &opts, &|_| {})).unwrap();
    // Progress counts every point twice (stream, then chunks): stop once half the chunks are built.
    let stopped = dir.path().join("stopped");
    let seen = std::sync::atomic::AtomicU64::new(0);
    let stop = |k: u64| {
        if seen.fetch_add(k, std::sync::atomic::Ordering::Relaxed) + k > (n + n / 2) as u64 {
            panic!("stopped");
        }
    };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| write_point_tileset(std::slice::from_ref(&laz), &stopped, &f, &opts, &stop))
    }));
    assert!(r.is_err(), "the run must have been stopped");
    let bins = stopped.join(".zwilling-tiles/bins");
    let spilled: u64 = std::fs::read_dir(&bins).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(spilled < 24 * n as u64, "finished chunks' records are cut from the spill files ({spilled} bytes left)");
    let rep = pool.install(|| write_point_tileset(std::slice::from_ref(&laz), &stopped, &f, &opts, &|_| {})).unwrap();
    assert!(rep.chunks_built > 0 && rep.chunks_built < rep.chunks, "{rep:?}");
    let (a, b) = (all_files(&whole), all_files(&stopped));
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (_, bb)) in a.iter().zip(&b) {
        assert!(ba == bb, "{} differs after resuming", pa.display());
    }
}
