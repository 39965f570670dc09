//! The point-cloud tileset build: frame and cube, count pass, distribute pass, chunk builds, tileset.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::json;
use zwilling_core::{Bounds3, Error, PointBlock, PointLayout, Result};
use zwilling_tiles::glb::{encode_points, PointContent};
use zwilling_tiles::lod::{build_subtree, select_upper, Cube, LodParams, NodeKey};
use zwilling_tiles::tileset::{TileNode, Tileset};
use zwilling_tiles::LocalFrame;

use super::bins::{read_bin, BinPoint, BinWriter, RECORD};
use super::{write_atomic, TilesOptions, TilesReport, ToEcef, COUNT_LEVEL};
use crate::las::LasReader;

const BLOCK: usize = 1 << 20;

/// Colour of a point without RGB, by ASPRS class (ground brown, vegetation green, buildings red ...).
fn class_colour(c: u8) -> [u8; 4] {
    match c {
        2 => [176, 144, 96, 255],
        3..=5 => [60, 160, 60, 255],
        6 => [200, 70, 60, 255],
        9 => [60, 110, 220, 255],
        7 | 18 => [255, 0, 255, 255],
        11 => [90, 90, 90, 255],
        _ => [200, 200, 200, 255],
    }
}

struct Source {
    path: PathBuf,
    /// RGB values use the full 16-bit range (else they are 8-bit values stored in 16 bits).
    rgb16: bool,
}

/// The state of a (possibly interrupted) run, compared on restart to decide what can be reused.
fn state_json(inputs: &[PathBuf], opts: &TilesOptions, frame: &LocalFrame, cube: &Cube) -> Result<String> {
    let mut files = vec![];
    for p in inputs {
        let m = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        let mtime = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos());
        files.push(json!({"path": p.display().to_string(), "size": m.len(), "mtime": mtime.map(|t| t.to_string())}));
    }
    Ok(serde_json::to_string_pretty(&json!({
        "inputs": files,
        "max_points_per_tile": opts.max_points_per_tile,
        "grid": opts.grid,
        "chunk_points": opts.chunk_points,
        "attributes": format!("{:?}", opts.attributes),
        "origin": frame.origin,
        "cube": [cube.min[0], cube.min[1], cube.min[2], cube.size],
    }))
    .expect("plain JSON"))
}

/// Streams every point of every input as (local position, colour, intensity, class), block by block.
fn for_each_block(
    sources: &[Source],
    to_ecef: &ToEcef<'_>,
    frame: &LocalFrame,
    progress: &(dyn Fn(u64) + Sync),
    mut f: impl FnMut(&PointBlock, &[[f64; 3]], &Source) -> Result<()>,
) -> Result<()> {
    let mut ecef = Vec::new();
    for s in sources {
        let mut r = LasReader::open(&s.path)?;
        while let Some(block) = r.read_block(BLOCK)? {
            to_ecef(&block, &mut ecef).map_err(|e| e.in_file(&s.path))?;
            let local: Vec<[f64; 3]> = ecef.par_iter().map(|&p| frame.to_local(p)).collect();
            f(&block, &local, s)?;
            progress(block.len() as u64);
        }
    }
    Ok(())
}

/// Chooses the local frame (at the data's centre) and the octree cube from the files' headers.
fn frame_and_cube(infos: &[Bounds3], to_ecef: &ToEcef<'_>) -> Result<(LocalFrame, Cube)> {
    let b = infos.iter().fold(Bounds3::EMPTY, |a, b| a.union(b));
    if b.is_empty() {
        return Err(Error::invalid("the inputs hold no points"));
    }
    // A 5 × 5 × 2 lattice over the header box, so Earth curvature inside the box is captured.
    let mut probe = PointBlock::with_capacity(PointLayout::default(), 51);
    let c = [(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0, (b.min_z + b.max_z) / 2.0];
    probe.push_xyz(c[0], c[1], c[2], 0);
    for i in 0..5 {
        for j in 0..5 {
            for z in [b.min_z, b.max_z] {
                let x = b.min_x + (b.max_x - b.min_x) * i as f64 / 4.0;
                let y = b.min_y + (b.max_y - b.min_y) * j as f64 / 4.0;
                probe.push_xyz(x, y, z, 0);
            }
        }
    }
    let mut ecef = Vec::new();
    to_ecef(&probe, &mut ecef)?;
    let frame = LocalFrame::from_ecef(ecef[0]);
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in &ecef {
        let l = frame.to_local(*p);
        for k in 0..3 {
            lo[k] = lo[k].min(l[k]);
            hi[k] = hi[k].max(l[k]);
        }
    }
    let extent = (0..3).map(|k| hi[k] - lo[k]).fold(0.0, f64::max);
    let margin = 1.0 + 0.005 * extent;
    let size = extent + 2.0 * margin;
    let min = [lo[0] - margin, lo[1] - margin, lo[2] - margin];
    Ok((frame, Cube { min, size }))
}

/// Metadata of a written node.
#[derive(Debug, Clone)]
struct NodeMeta {
    min: [f64; 3],
    max: [f64; 3],
    uri: String,
}

fn node_meta_json(nodes: &[(NodeKey, NodeMeta)]) -> String {
    let v: Vec<_> = nodes
        .iter()
        .map(|(k, m)| json!({"key": [k.level, k.x, k.y, k.z], "min": m.min, "max": m.max, "uri": m.uri}))
        .collect();
    serde_json::to_string(&v).expect("plain JSON")
}

fn parse_node_meta(path: &Path) -> Result<Vec<(NodeKey, NodeMeta)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = || Error::bad_file(path, "damaged chunk marker");
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let mut out = vec![];
    for n in v.as_array().ok_or_else(bad)? {
        let k = n["key"].as_array().ok_or_else(bad)?;
        let g = |i: usize| k.get(i).and_then(|x| x.as_u64()).ok_or_else(bad);
        let key = NodeKey { level: g(0)? as u8, x: g(1)? as u32, y: g(2)? as u32, z: g(3)? as u32 };
        let arr = |name: &str| -> Result<[f64; 3]> {
            let a = n[name].as_array().ok_or_else(bad)?;
            Ok([a[0].as_f64().ok_or_else(bad)?, a[1].as_f64().ok_or_else(bad)?, a[2].as_f64().ok_or_else(bad)?])
        };
        out.push((
            key,
            NodeMeta { min: arr("min")?, max: arr("max")?, uri: n["uri"].as_str().ok_or_else(bad)?.to_string() },
        ));
    }
    Ok(out)
}

/// Writes one node's GLB and returns its metadata.
fn write_node(
    tiles_dir: &Path,
    key: NodeKey,
    pts: &[[f64; 3]],
    attrs: &[BinPoint],
    opts: &TilesOptions,
) -> Result<NodeMeta> {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in pts {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, (lo[2] + hi[2]) / 2.0];
    let a = opts.attributes;
    let content = PointContent {
        centre,
        positions: pts
            .iter()
            .map(|p| [(p[0] - centre[0]) as f32, (p[1] - centre[1]) as f32, (p[2] - centre[2]) as f32])
            .collect(),
        colors: if a.rgb {
            attrs.iter().map(|b| b.rgba).collect()
        } else {
            attrs.iter().map(|b| class_colour(b.class)).collect()
        },
        intensity: if a.intensity { attrs.iter().map(|b| b.intensity).collect() } else { vec![] },
        classification: if a.classification { attrs.iter().map(|b| b.class).collect() } else { vec![] },
    };
    let uri = format!("tiles/{}.glb", key.name());
    write_atomic(&tiles_dir.join(format!("{}.glb", key.name())), &encode_points(&content))?;
    Ok(NodeMeta { min: lo, max: hi, uri })
}

/// Builds an octree 3D Tiles 1.1 point tileset from LAS/LAZ `inputs` into `out` (which gets
/// `tileset.json` and `tiles/*.glb`). `to_ecef` converts the inputs' coordinates; `progress`
/// receives the number of points handled (twice per point: count and distribute passes).
/// An interrupted run with the same inputs and options resumes with the chunks not yet built.
pub fn write_point_tileset(
    inputs: &[PathBuf],
    out: &Path,
    to_ecef: &ToEcef<'_>,
    opts: &TilesOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TilesReport> {
    if !opts.grid.is_power_of_two() || opts.grid < 2 || opts.grid > 256 {
        return Err(Error::invalid(format!("lattice grid must be a power of two in 2..=256, got {}", opts.grid)));
    }
    if opts.max_points_per_tile == 0 || opts.chunk_points == 0 {
        return Err(Error::invalid("max points per tile and chunk size must be > 0"));
    }
    let tiles_dir = out.join("tiles");
    let state = out.join(".zwilling-tiles");
    for d in [&tiles_dir, &state] {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    // Headers: bounds for the frame, and a check that every input opens.
    let mut bounds = vec![];
    let mut sources = vec![];
    for p in inputs {
        let r = LasReader::open(p)?;
        bounds.push(r.info().bounds);
        sources.push(Source { path: p.clone(), rgb16: true });
    }
    let (frame, cube) = frame_and_cube(&bounds, to_ecef)?;
    let state_text = state_json(inputs, opts, &frame, &cube)?;
    let state_file = state.join("state.json");
    let resumable = std::fs::read_to_string(&state_file).map(|s| s == state_text).unwrap_or(false);
    if !resumable {
        std::fs::remove_dir_all(&state).map_err(|e| Error::io(&state, e))?;
        std::fs::create_dir_all(state.join("done")).map_err(|e| Error::io(&state, e))?;
        write_atomic(&state_file, state_text.as_bytes())?;
    }
    let bins_dir = state.join("bins");
    let plan_file = state.join("chunks.json");
    let level_cap = opts.grid.trailing_zeros().min(COUNT_LEVEL as u32) as u8;

    // Passes 1 and 2 (skipped when an earlier run finished them).
    let (chunk_level, chunks): Plan = match std::fs::read_to_string(&plan_file) {
        Ok(text) if resumable => parse_plan(&plan_file, &text)?,
        _ => {
            let mut counts: HashMap<NodeKey, u64> = HashMap::new();
            let mut max_rgb = vec![0u16; sources.len()];
            let index: HashMap<PathBuf, usize> = sources.iter().enumerate().map(|(i, s)| (s.path.clone(), i)).collect();
            for_each_block(&sources, to_ecef, &frame, progress, |block, local, s| {
                // Consecutive points mostly share a node: count runs, not points, in the map.
                let mut run: Option<(NodeKey, u64)> = None;
                for p in local {
                    let k = NodeKey::containing(&cube, COUNT_LEVEL, *p);
                    match &mut run {
                        Some((rk, n)) if *rk == k => *n += 1,
                        _ => {
                            if let Some((rk, n)) = run.take() {
                                *counts.entry(rk).or_default() += n;
                            }
                            run = Some((k, 1));
                        }
                    }
                }
                if let Some((rk, n)) = run {
                    *counts.entry(rk).or_default() += n;
                }
                let m = block.rgb.iter().flat_map(|c| c.iter()).copied().max().unwrap_or(0);
                let i = index[&s.path];
                max_rgb[i] = max_rgb[i].max(m);
                Ok(())
            })?;
            for (s, m) in sources.iter_mut().zip(&max_rgb) {
                s.rgb16 = *m > 255;
            }
            let mut chunk_level = level_cap;
            for l in 0..=level_cap {
                let mut agg: HashMap<NodeKey, u64> = HashMap::new();
                for (k, c) in &counts {
                    *agg.entry(k.ancestor(l)).or_default() += c;
                }
                if agg.values().all(|&c| c <= opts.chunk_points) {
                    chunk_level = l;
                    break;
                }
            }
            let mut chunk_counts: BTreeMap<NodeKey, u64> = BTreeMap::new();
            for (k, c) in &counts {
                *chunk_counts.entry(k.ancestor(chunk_level)).or_default() += c;
            }
            let mut bw = BinWriter::new(&bins_dir, 128 << 20)?;
            for_each_block(&sources, to_ecef, &frame, progress, |block, local, s| {
                for (i, p) in local.iter().enumerate() {
                    let key = NodeKey::containing(&cube, chunk_level, *p);
                    let (min, _) = key.bounds(&cube);
                    let rgba = match block.rgb.get(i) {
                        Some(c) if s.rgb16 => [(c[0] >> 8) as u8, (c[1] >> 8) as u8, (c[2] >> 8) as u8, 255],
                        Some(c) => [c[0] as u8, c[1] as u8, c[2] as u8, 255],
                        None => class_colour(block.classification[i]),
                    };
                    let bp = BinPoint {
                        rel: [(p[0] - min[0]) as f32, (p[1] - min[1]) as f32, (p[2] - min[2]) as f32],
                        rgba,
                        intensity: block.intensity[i],
                        class: block.classification[i],
                    };
                    bw.push(key, &bp)?;
                }
                Ok(())
            })?;
            bw.flush()?;
            let chunks: Vec<(NodeKey, u64)> = chunk_counts.into_iter().collect();
            let plan = json!({
                "chunk_level": chunk_level,
                "chunks": chunks.iter().map(|(k, c)| json!([k.level, k.x, k.y, k.z, c])).collect::<Vec<_>>(),
            });
            write_atomic(&plan_file, plan.to_string().as_bytes())?;
            (chunk_level, chunks)
        }
    };
    let params = LodParams { max_points_per_tile: opts.max_points_per_tile, grid: opts.grid };
    let upper_dir = state.join("upper");
    std::fs::create_dir_all(&upper_dir).map_err(|e| Error::io(&upper_dir, e))?;
    let done_dir = state.join("done");
    std::fs::create_dir_all(&done_dir).map_err(|e| Error::io(&done_dir, e))?;
    let single = chunks.len() == 1 && chunk_level == 0;

    // Pass 3: chunks in parallel.
    let built: Vec<Result<bool>> = chunks
        .par_iter()
        .map(|(ck, _)| -> Result<bool> {
            let marker = done_dir.join(format!("{}.json", ck.name()));
            if marker.exists() {
                return Ok(false);
            }
            let recs = read_bin(&bins_dir, ck)?;
            let (cmin, _) = ck.bounds(&cube);
            let pts: Vec<[f64; 3]> = recs
                .iter()
                .map(|r| [cmin[0] + r.rel[0] as f64, cmin[1] + r.rel[1] as f64, cmin[2] + r.rel[2] as f64])
                .collect();
            let idx: Vec<u32> = (0..pts.len() as u32).collect();
            let (ups, rest) = if single { (vec![], idx) } else { select_upper(&pts, &cube, *ck, idx, &params) };
            for (uk, sel) in &ups {
                let mut bytes = Vec::with_capacity(sel.len() * RECORD);
                sel.iter().for_each(|&i| recs[i as usize].encode(&mut bytes));
                write_atomic(&upper_dir.join(format!("{}_{}.bin", ck.name(), uk.level)), &bytes)?;
            }
            let nodes = build_subtree(&pts, &cube, *ck, rest, &params);
            let mut metas = Vec::with_capacity(nodes.len());
            for (k, sel) in nodes {
                let p: Vec<[f64; 3]> = sel.iter().map(|&i| pts[i as usize]).collect();
                let a: Vec<BinPoint> = sel.iter().map(|&i| recs[i as usize]).collect();
                metas.push((k, write_node(&tiles_dir, k, &p, &a, opts)?));
            }
            write_atomic(&marker, node_meta_json(&metas).as_bytes())?;
            Ok(true)
        })
        .collect();
    let mut chunks_built = 0;
    for b in built {
        chunks_built += b? as usize;
    }

    // Upper nodes: gather every chunk's selections, in chunk order.
    let mut metas: BTreeMap<NodeKey, NodeMeta> = BTreeMap::new();
    for (ck, _) in &chunks {
        for (k, m) in parse_node_meta(&done_dir.join(format!("{}.json", ck.name())))? {
            metas.insert(k, m);
        }
    }
    let mut upper: BTreeMap<NodeKey, (Vec<[f64; 3]>, Vec<BinPoint>)> = BTreeMap::new();
    for (ck, _) in &chunks {
        let (cmin, _) = ck.bounds(&cube);
        for level in 0..chunk_level {
            let path = upper_dir.join(format!("{}_{}.bin", ck.name(), level));
            if !path.exists() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let e = upper.entry(ck.ancestor(level)).or_default();
            for r in bytes.chunks_exact(RECORD).map(BinPoint::decode) {
                e.0.push([cmin[0] + r.rel[0] as f64, cmin[1] + r.rel[1] as f64, cmin[2] + r.rel[2] as f64]);
                e.1.push(r);
            }
        }
    }
    let upper_metas: Vec<Result<(NodeKey, NodeMeta)>> =
        upper.par_iter().map(|(k, (p, a))| Ok((*k, write_node(&tiles_dir, *k, p, a, opts)?))).collect();
    for m in upper_metas {
        let (k, m) = m?;
        metas.insert(k, m);
    }

    // The hierarchy.
    let depth = metas.keys().map(|k| k.level).max().unwrap_or(0);
    let spacing0 = cube.size / opts.grid as f64;
    let mut present = std::collections::HashSet::new();
    for k in metas.keys() {
        for l in 0..=k.level {
            present.insert(k.ancestor(l));
        }
    }
    let root = tree(&NodeKey::ROOT, &metas, &present, spacing0);
    let total: u64 = chunks.iter().map(|(_, c)| c).sum();
    let mut extras = opts.extras.clone();
    extras["points"] = json!(total);
    let ts = Tileset { root, transform: frame.transform(), refine: "ADD", extras };
    let tileset = out.join("tileset.json");
    write_atomic(&tileset, ts.to_json().as_bytes())?;
    let n_tiles = metas.len();
    std::fs::remove_dir_all(&state).map_err(|e| Error::io(&state, e))?;
    Ok(TilesReport { points: total, tiles: n_tiles, depth, chunks_built, chunks: chunks.len(), tileset })
}

/// Chunk level and the chunks with their point counts.
type Plan = (u8, Vec<(NodeKey, u64)>);

fn parse_plan(path: &Path, text: &str) -> Result<Plan> {
    let bad = || Error::bad_file(path, "damaged chunk plan");
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let level = v["chunk_level"].as_u64().ok_or_else(bad)? as u8;
    let mut chunks = vec![];
    for c in v["chunks"].as_array().ok_or_else(bad)? {
        let g = |i: usize| c.get(i).and_then(|x| x.as_u64()).ok_or_else(bad);
        chunks.push((NodeKey { level: g(0)? as u8, x: g(1)? as u32, y: g(2)? as u32, z: g(3)? as u32 }, g(4)?));
    }
    Ok((level, chunks))
}

/// The tile tree below `key`: nodes with content plus empty connecting nodes where needed.
fn tree(
    key: &NodeKey,
    metas: &BTreeMap<NodeKey, NodeMeta>,
    present: &std::collections::HashSet<NodeKey>,
    spacing0: f64,
) -> TileNode {
    let children: Vec<TileNode> = (0..8u8)
        .map(|o| key.child(o))
        .filter(|c| present.contains(c))
        .map(|c| tree(&c, metas, present, spacing0))
        .collect();
    let ge = 2.0 * spacing0 / (1u64 << key.level) as f64;
    let (min, max, content) = match metas.get(key) {
        Some(m) => (m.min, m.max, Some(m.uri.clone())),
        None => ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3], None),
    };
    let mut node = TileNode { min, max, geometric_error: ge, content, children };
    node.enclose_children();
    node
}
