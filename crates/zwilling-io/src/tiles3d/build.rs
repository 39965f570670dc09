//! The point-cloud tileset build: frame and cube, one streaming pass (convert, count, bin), chunk
//! builds, upper nodes, tileset.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::json;
use zwilling_core::{Bounds3, Error, PointBlock, PointLayout, Result};
use zwilling_tiles::glb::{encode_points_into, PointContent};
use zwilling_tiles::lod::{build_subtree, select_upper, Addresser, Cube, LodParams, NodeKey};
use zwilling_tiles::placement::{LocalPatches, CELL_METRES};
use zwilling_tiles::tileset::{TileNode, Tileset};
use zwilling_tiles::LocalFrame;

use super::bins::{morton, BinPoint, BinWriter, Segment, SpillFiles, HAS_RGB, RECORD};
use super::{write_atomic, Attributes, TilesOptions, TilesReport, ToEcef, COUNT_LEVEL};
use crate::las::{LasInfo, LasReader, SkipAttributes, SkipFields};

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

/// The 8-bit colour of a stored point: 16-bit LAS colours (a file with any value > 255) are
/// scaled down, 8-bit ones kept, points without RGB coloured by class.
fn point_colour(p: &BinPoint, rgb16: &[bool]) -> [u8; 4] {
    if p.flags & HAS_RGB == 0 {
        return class_colour(p.class);
    }
    let c = p.rgb;
    if rgb16.get(p.source as usize).copied().unwrap_or(true) {
        [(c[0] >> 8) as u8, (c[1] >> 8) as u8, (c[2] >> 8) as u8, 255]
    } else {
        [c[0] as u8, c[1] as u8, c[2] as u8, 255]
    }
}

/// The state of a (possibly interrupted) run, compared on restart to decide what can be reused.
fn state_json(inputs: &[LasInfo], opts: &TilesOptions, frame: &LocalFrame, cube: &Cube) -> Result<String> {
    let mut files = vec![];
    for info in inputs {
        let p = &info.path;
        let m = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        let mtime = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos());
        files.push(json!({"path": p.display().to_string(), "size": m.len(), "mtime": mtime.map(|t| t.to_string())}));
    }
    Ok(serde_json::to_string_pretty(&json!({
        "format": 2,
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

/// A worker's buffers for [`write_node`]: the tile's attributes, its positions gathered in the
/// root frame, and the GLB bytes. Kept from tile to tile (fresh tile-sized buffers would be new
/// pages every time).
#[derive(Default)]
struct NodeBufs {
    content: PointContent,
    gathered: Vec<[f64; 3]>,
    glb: Vec<u8>,
}

thread_local! {
    static NODE_BUFS: std::cell::Cell<NodeBufs> = std::cell::Cell::new(NodeBufs::default());
}

/// Writes one node's GLB (the points `sel` of `pts` / `attrs`) and returns its metadata.
fn write_node(
    tiles_dir: &Path,
    key: NodeKey,
    sel: &[u32],
    pts: &[[f64; 3]],
    attrs: &[BinPoint],
    rgb16: &[bool],
    opts: &TilesOptions,
) -> Result<NodeMeta> {
    // Taken out while in use, so nested work on this thread finds empty ones.
    let mut bufs = NODE_BUFS.take();
    let meta = (|| {
        let a = opts.attributes;
        let NodeBufs { content, gathered, glb } = &mut bufs;
        // One gather over the node's points (scattered over the chunk) fills the colours, the bounds
        // and a contiguous copy of the positions; the positions relative to the centre then come from
        // that copy. The buffers are sized once (only what grows is initialised) and overwritten.
        let n = sel.len();
        gathered.resize(n, [0.0; 3]);
        content.colors.resize(n, [0; 4]);
        content.intensity.clear();
        content.intensity.resize(if a.intensity { n } else { 0 }, 0);
        content.classification.clear();
        content.classification.resize(if a.classification { n } else { 0 }, 0);
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for (j, ((&i, g), c)) in sel.iter().zip(gathered.iter_mut()).zip(content.colors.iter_mut()).enumerate() {
            let (p, b) = (pts[i as usize], &attrs[i as usize]);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
            *g = p;
            *c = if a.rgb { point_colour(b, rgb16) } else { class_colour(b.class) };
            // The attribute buffers are either empty or `n` long (loop-invariant tests).
            if let Some(v) = content.intensity.get_mut(j) {
                *v = b.intensity;
            }
            if let Some(v) = content.classification.get_mut(j) {
                *v = b.class;
            }
        }
        content.positions.clear();
        let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, (lo[2] + hi[2]) / 2.0];
        content.centre = centre;
        content.positions.extend(
            gathered.iter().map(|p| [(p[0] - centre[0]) as f32, (p[1] - centre[1]) as f32, (p[2] - centre[2]) as f32]),
        );
        let uri = format!("tiles/{}.glb", key.name());
        encode_points_into(content, glb);
        write_atomic(&tiles_dir.join(format!("{}.glb", key.name())), glb)?;
        Ok(NodeMeta { min: lo, max: hi, uri })
    })();
    NODE_BUFS.set(bufs);
    meta
}

/// The level-[`COUNT_LEVEL`] node containing a point and the node's minimum corner, bit-identical
/// to [`NodeKey::containing`] and [`NodeKey::bounds`] but without their divisions: the cell index
/// along an axis comes from a multiplication by `2^level / size`, which is within a few ulps of
/// the exact `(p − min) / size · 2^level`; only when that product lies within `1e-9` of a cell
/// boundary (or outside the cube, or is NaN) is the exact formula evaluated.
struct Binner {
    cube: Cube,
    /// Nodes per axis, as float.
    n: f64,
    /// `n / size`.
    inv: f64,
    /// Node edge, `size / n` (as [`NodeKey::bounds`] computes it).
    edge: f64,
}

impl Binner {
    const TOL: f64 = 1e-9;

    fn new(cube: &Cube) -> Self {
        let n = (1u64 << COUNT_LEVEL) as f64;
        Binner { cube: *cube, n, inv: n / cube.size, edge: cube.size / (1u64 << COUNT_LEVEL) as f64 }
    }

    #[inline]
    fn index(&self, k: usize, v: f64) -> u32 {
        let d = v - self.cube.min[k];
        let r = d * self.inv;
        if r >= Self::TOL && r < self.n - Self::TOL {
            // `as i64`: one conversion instruction on x86 (`as u64` is several); `r` is in `[0, n)`.
            let i = r as i64;
            let f = r - i as f64;
            if f > Self::TOL && f < 1.0 - Self::TOL {
                return i as u32;
            }
        }
        let n = 1u64 << COUNT_LEVEL;
        ((d / self.cube.size * n as f64).max(0.0) as u64).min(n - 1) as u32
    }

    #[inline]
    fn key_and_corner(&self, p: [f64; 3]) -> (NodeKey, [f64; 3]) {
        let (x, y, z) = (self.index(0, p[0]), self.index(1, p[1]), self.index(2, p[2]));
        let m = &self.cube.min;
        let corner = [m[0] + x as f64 * self.edge, m[1] + y as f64 * self.edge, m[2] + z as f64 * self.edge];
        (NodeKey { level: COUNT_LEVEL, x, y, z }, corner)
    }
}

/// What the streaming pass leaves for the build: point counts per bin node (level
/// [`COUNT_LEVEL`]) and which inputs hold 16-bit colours.
struct Binned {
    /// Points and spill-file segments per bin node.
    bins: BTreeMap<NodeKey, (u64, Vec<Segment>)>,
    rgb16: Vec<bool>,
    /// Spill files written.
    spills: u32,
}

/// Points per parallel piece of a block in the streaming pass (fixed, so the work splits the same
/// way at any thread count).
const PIECE: usize = 1 << 14;

/// The streaming pass: every point is read once, converted to ECEF and the local frame, and
/// appended to the bin of its level-[`COUNT_LEVEL`] node. Conversion, bin keys and record
/// encoding run in parallel over fixed pieces of each block; only copying the records' runs into
/// the bins' buffers (in input order) is serial.
fn stream_to_bins(
    infos: &[LasInfo],
    attributes: Attributes,
    to_ecef: &ToEcef<'_>,
    frame: &LocalFrame,
    cube: &Cube,
    bins_dir: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Binned> {
    let mut max_rgb = vec![0u16; infos.len()];
    let mut bw = BinWriter::new(bins_dir, 128 << 20)?;
    // Source → local frame: bilinear cells of the exact chain (to_ecef, then the frame), < 0.3 mm
    // from it (zwilling_tiles::placement).
    let exact = |p: &[[f64; 3]], out: &mut [[f64; 3]]| -> Result<()> {
        let mut b = PointBlock::with_capacity(PointLayout::default(), p.len());
        for q in p {
            b.push_xyz(q[0], q[1], q[2], 0);
        }
        let mut ecef = Vec::with_capacity(p.len());
        to_ecef(&b, &mut ecef)?;
        for (o, e) in out.iter_mut().zip(&ecef) {
            *o = frame.to_local(*e);
        }
        Ok(())
    };
    let b = infos.iter().fold(Bounds3::EMPTY, |a, i| a.union(&i.bounds));
    let centre = [(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0];
    let placement = LocalPatches::with_ground_size(&exact, centre, CELL_METRES)?;
    let binner = Binner::new(cube);
    let binner = &binner;
    let mut local: Vec<[f64; 3]> = Vec::new();
    let mut keys: Vec<NodeKey> = Vec::new();
    let mut block = PointBlock::with_capacity(PointLayout::default(), 0);
    for (si, info) in infos.iter().enumerate() {
        let source = u16::try_from(si).map_err(|_| Error::invalid("at most 65536 input files per tileset"))?;
        let mut r = LasReader::open(&info.path)?;
        // Tiles carry position, colour, intensity and class only, and intensity only when asked
        // for; the class colours points without RGB.
        let keep_intensity = attributes.intensity;
        let keep_class = attributes.classification || !(attributes.rgb && r.info().layout.rgb);
        r.skip_fields(SkipFields::all_but_geometry_and_appearance());
        r.skip_attributes(SkipAttributes { flags: true, intensity: !keep_intensity, classification: !keep_class });
        while r.read_block_into(&mut block, BLOCK)? {
            let n = block.len();
            let has_rgb = block.rgb.len() == n;
            keys.resize(n, NodeKey::ROOT);
            local.resize(n, [0.0; 3]);
            let blk = &block;
            // The records go straight into the bin writer's buffer.
            keys.par_chunks_mut(PIECE)
                .zip(bw.room(n)?.par_chunks_mut(PIECE * RECORD))
                .zip(local.par_chunks_mut(PIECE))
                .enumerate()
                .try_for_each(|(piece, ((ks, bs), ls))| -> Result<()> {
                    let r = piece * PIECE..piece * PIECE + ls.len();
                    placement.to_local(&blk.x[r.clone()], &blk.y[r.clone()], &blk.z[r], ls)?;
                    for (j, ((k, b), &p)) in ks.iter_mut().zip(bs.chunks_exact_mut(RECORD)).zip(ls.iter()).enumerate() {
                        let i = piece * PIECE + j;
                        let (key, min) = binner.key_and_corner(p);
                        let bp = BinPoint {
                            rel: [(p[0] - min[0]) as f32, (p[1] - min[1]) as f32, (p[2] - min[2]) as f32],
                            rgb: if has_rgb { blk.rgb[i] } else { [0; 3] },
                            intensity: if keep_intensity { blk.intensity[i] } else { 0 },
                            class: if keep_class { blk.classification[i] } else { 0 },
                            flags: if has_rgb { HAS_RGB } else { 0 },
                            source,
                        };
                        bp.write(b);
                        *k = key;
                    }
                    Ok(())
                })
                .map_err(|e| e.in_file(&info.path))?;
            if has_rgb {
                let m = block.rgb.par_iter().map(|c| c[0].max(c[1]).max(c[2])).max().unwrap_or(0);
                max_rgb[si] = max_rgb[si].max(m);
            }
            bw.push_runs(&keys);
            progress(n as u64);
        }
    }
    bw.flush()?;
    let spills = bw.spill_count();
    let segments = std::mem::take(&mut bw.segments);
    let bins = segments
        .into_iter()
        .map(|(k, segs)| (k, (segs.iter().map(|s| s.len).sum::<u64>() / RECORD as u64, segs)))
        .collect();
    Ok(Binned { bins, rgb16: max_rgb.iter().map(|&m| m > 255).collect(), spills })
}

fn plan_json(b: &Binned) -> String {
    json!({
        "bins": b.bins.iter().map(|(k, (c, segs))| {
            let s: Vec<_> = segs.iter().map(|s| json!([s.spill, s.offset, s.len])).collect();
            json!([k.level, k.x, k.y, k.z, c, s])
        }).collect::<Vec<_>>(),
        "rgb16": b.rgb16,
    })
    .to_string()
}

fn parse_plan(path: &Path, text: &str) -> Result<Binned> {
    let bad = || Error::bad_file(path, "damaged bin plan");
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let mut bins = BTreeMap::new();
    for c in v["bins"].as_array().ok_or_else(bad)? {
        let g = |i: usize| c.get(i).and_then(|x| x.as_u64()).ok_or_else(bad);
        let mut segs = vec![];
        for s in c.get(5).and_then(|s| s.as_array()).ok_or_else(bad)? {
            let h = |i: usize| s.get(i).and_then(|x| x.as_u64()).ok_or_else(bad);
            segs.push(Segment { spill: h(0)? as u32, offset: h(1)?, len: h(2)? });
        }
        bins.insert(NodeKey { level: g(0)? as u8, x: g(1)? as u32, y: g(2)? as u32, z: g(3)? as u32 }, (g(4)?, segs));
    }
    let rgb16: Result<Vec<bool>> =
        v["rgb16"].as_array().ok_or_else(bad)?.iter().map(|b| b.as_bool().ok_or_else(bad)).collect();
    let spills =
        bins.values().flat_map(|(_, segs): &(u64, Vec<Segment>)| segs.iter().map(|s| s.spill + 1)).max().unwrap_or(0);
    Ok(Binned { bins, rgb16: rgb16?, spills })
}

/// A worker's chunk buffers: records, positions, addresses, and the bytes read from the bins.
#[derive(Default)]
struct ChunkBufs {
    recs: Vec<BinPoint>,
    pts: Vec<[f64; 3]>,
    addresses: Vec<[u32; 3]>,
    bytes: Vec<u8>,
}

thread_local! {
    static CHUNK_BUFS: std::cell::Cell<ChunkBufs> = const {
        std::cell::Cell::new(ChunkBufs { recs: Vec::new(), pts: Vec::new(), addresses: Vec::new(), bytes: Vec::new() })
    };
}

/// Points of all chunks built at the same time: with 2 M-point chunks (≈ 75 bytes per point
/// while building) three workers' chunks fit, so peak memory does not grow with the number of
/// threads. Machines with few cores never reach it.
const CHUNK_BUDGET_POINTS: u64 = 6_000_000;

/// The order in which the chunks of `window` are built, each worker taking the next one when
/// done: from the end of the Morton curve backwards, so the spill files' tails are finished
/// first and can be cut (see [`SpillFiles::release`]); the last `2 × threads` chunks largest
/// first (longest processing time first), so no core waits long for a big last chunk.
fn build_order(
    chunks: &[(NodeKey, (Vec<NodeKey>, u64))],
    window: std::ops::Range<usize>,
    threads: usize,
) -> Vec<usize> {
    let mut order: Vec<usize> = window.collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(morton(&chunks[i].0)), i));
    let tail = order.len().saturating_sub(2 * threads);
    order[tail..].sort_by_key(|&i| (std::cmp::Reverse(chunks[i].1 .1), i));
    order
}

/// Splits the chunks (in key order) into consecutive windows built one after the other, each
/// window in parallel. One window holds every chunk when `threads` chunks of `chunk_points`
/// fit in [`CHUNK_BUDGET_POINTS`]; otherwise each window holds at most that many points (at least
/// one chunk). Which chunks share a window never changes the output, only the peak memory.
fn chunk_windows(
    chunks: &[(NodeKey, (Vec<NodeKey>, u64))],
    threads: usize,
    chunk_points: u64,
) -> Vec<std::ops::Range<usize>> {
    let budget = match (threads as u64).saturating_mul(chunk_points) <= CHUNK_BUDGET_POINTS {
        true => u64::MAX,
        false => CHUNK_BUDGET_POINTS.max(chunk_points),
    };
    let mut windows = vec![];
    let (mut start, mut sum) = (0, 0u64);
    for (i, (_, (_, count))) in chunks.iter().enumerate() {
        if i > start && sum.saturating_add(*count) > budget {
            windows.push(start..i);
            (start, sum) = (i, 0);
        }
        sum += count;
    }
    if start < chunks.len() {
        windows.push(start..chunks.len());
    }
    windows
}

/// The shallowest level (≤ `cap`) whose nodes all hold at most `chunk_points` points.
fn chunk_level(bins: &BTreeMap<NodeKey, (u64, Vec<Segment>)>, cap: u8, chunk_points: u64) -> u8 {
    for l in 0..=cap {
        let mut agg: HashMap<NodeKey, u64> = HashMap::new();
        for (k, (c, _)) in bins {
            *agg.entry(k.ancestor(l)).or_default() += c;
        }
        if agg.values().all(|&c| c <= chunk_points) {
            return l;
        }
    }
    cap
}

/// Builds an octree 3D Tiles 1.1 point tileset from LAS/LAZ `inputs` into `out` (which gets
/// `tileset.json` and `tiles/*.glb`). `to_ecef` converts the inputs' coordinates; `progress`
/// receives the number of points handled (twice per point: streaming pass and chunk build).
/// An interrupted run with the same inputs and options resumes with the chunks not yet built.
pub fn write_point_tileset(
    inputs: &[PathBuf],
    out: &Path,
    to_ecef: &ToEcef<'_>,
    opts: &TilesOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TilesReport> {
    let infos = inputs.iter().map(|p| LasReader::open(p).map(|r| r.info().clone())).collect::<Result<Vec<_>>>()?;
    write_point_tileset_from(&infos, out, to_ecef, opts, progress)
}

/// [`write_point_tileset`] for inputs whose headers the caller has already read (each file's
/// header is then read once more only to stream its points).
pub fn write_point_tileset_from(
    inputs: &[LasInfo],
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
    let bounds: Vec<Bounds3> = inputs.iter().map(|i| i.bounds).collect();
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
    let plan_file = state.join("bins.json");
    let level_cap = opts.grid.trailing_zeros().min(COUNT_LEVEL as u32) as u8;

    // The streaming pass (skipped when an earlier run finished it).
    let t0 = std::time::Instant::now();
    let binned = match std::fs::read_to_string(&plan_file) {
        Ok(text) if resumable => parse_plan(&plan_file, &text)?,
        _ => {
            let b = stream_to_bins(inputs, opts.attributes, to_ecef, &frame, &cube, &bins_dir, progress)?;
            write_atomic(&plan_file, plan_json(&b).as_bytes())?;
            b
        }
    };
    let chunk_level = chunk_level(&binned.bins, level_cap, opts.chunk_points);
    let mut chunk_bins: BTreeMap<NodeKey, (Vec<NodeKey>, u64)> = BTreeMap::new();
    for (k, (c, _)) in &binned.bins {
        let e = chunk_bins.entry(k.ancestor(chunk_level)).or_default();
        e.0.push(*k);
        e.1 += c;
    }
    let chunks: Vec<(NodeKey, (Vec<NodeKey>, u64))> = chunk_bins.into_iter().collect();
    let rgb16 = &binned.rgb16;
    let params = LodParams { max_points_per_tile: opts.max_points_per_tile, grid: opts.grid };
    let upper_dir = state.join("upper");
    std::fs::create_dir_all(&upper_dir).map_err(|e| Error::io(&upper_dir, e))?;
    let done_dir = state.join("done");
    std::fs::create_dir_all(&done_dir).map_err(|e| Error::io(&done_dir, e))?;
    let single = chunks.len() == 1 && chunk_level == 0;
    let spills = SpillFiles::open(&bins_dir, binned.spills)?;
    // Where each chunk's records end in each spill file: a file can be cut back to the last end
    // of a chunk not yet built (bins lie in Morton order, so every chunk is one range per file).
    let ends: Vec<Vec<u64>> = chunks
        .iter()
        .map(|(_, (bin_keys, _))| {
            let mut e = vec![0u64; binned.spills as usize];
            for s in bin_keys.iter().flat_map(|bk| &binned.bins[bk].1) {
                e[s.spill as usize] = e[s.spill as usize].max(s.offset + s.len);
            }
            e
        })
        .collect();
    let pending = std::sync::Mutex::new(vec![true; chunks.len()]);
    // Gives back the spill space of finished chunks (once their markers are written, so a
    // resumed run never needs it), for the tiles written next to reuse.
    let finished = |i: usize| -> Result<()> {
        let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
        p[i] = false;
        let mut keep = vec![0u64; binned.spills as usize];
        for (e, _) in ends.iter().zip(p.iter()).filter(|(_, &p)| p) {
            for (k, &x) in keep.iter_mut().zip(e) {
                *k = (*k).max(x);
            }
        }
        spills.release(&keep)
    };

    tracing::debug!("streaming pass done after {:.2} s", t0.elapsed().as_secs_f64());
    // Chunks in parallel, as many at a time as the memory budget allows.
    let build_chunk_in =
        |b: &mut ChunkBufs, ck: &NodeKey, bin_keys: &[NodeKey], count: &u64, marker: &Path| -> Result<bool> {
            let ChunkBufs { recs, pts, addresses, bytes } = b;
            let spills = &spills;
            // Sized to the chunk once (only what grows is initialised; the buffers are reused),
            // then every slot is overwritten.
            let n = *count as usize;
            let zero = BinPoint { rel: [0.0; 3], rgb: [0; 3], intensity: 0, class: 0, flags: 0, source: 0 };
            recs.resize(n, zero);
            pts.resize(n, [0.0; 3]);
            addresses.resize(n, [0; 3]);
            // One pass per record: decoded, placed in the root frame and addressed.
            let addresser = Addresser::new(&cube, *ck);
            let mut at = 0;
            for bk in bin_keys {
                let (bmin, _) = bk.bounds(&cube);
                spills.for_each_segment(&binned.bins[bk].1, bytes, |records| {
                    let m = (records.len() / RECORD).min(n.saturating_sub(at));
                    let slots = recs[at..at + m].iter_mut().zip(&mut pts[at..at + m]).zip(&mut addresses[at..at + m]);
                    for (b, ((r, p), a)) in records.chunks_exact(RECORD).zip(slots) {
                        *r = BinPoint::decode(b);
                        *p = [bmin[0] + r.rel[0] as f64, bmin[1] + r.rel[1] as f64, bmin[2] + r.rel[2] as f64];
                        *a = addresser.address(*p);
                    }
                    at += records.len() / RECORD;
                })?;
            }
            if at != n {
                return Err(Error::bad_file(&bins_dir, "bin records do not match the bin plan (interrupted run?)"));
            }
            let (pts, recs, addresses) = (&*pts, &*recs, &*addresses);
            let idx: Vec<u32> = (0..pts.len() as u32).collect();
            let (ups, rest) = if single { (vec![], idx) } else { select_upper(addresses, *ck, idx, &params) };
            // The chunk's selections for the upper levels, in one file: per level 0..chunk_level a
            // u64 record count, then the records (positions relative to the chunk corner).
            if !ups.is_empty() {
                let (cmin, _) = ck.bounds(&cube);
                let mut bytes = vec![];
                for level in 0..chunk_level {
                    let sel: &[u32] =
                        ups.iter().find(|(k, _)| k.level == level).map(|(_, v)| v.as_slice()).unwrap_or(&[]);
                    bytes.extend_from_slice(&(sel.len() as u64).to_le_bytes());
                    for &i in sel {
                        let p = pts[i as usize];
                        let rel = [(p[0] - cmin[0]) as f32, (p[1] - cmin[1]) as f32, (p[2] - cmin[2]) as f32];
                        BinPoint { rel, ..recs[i as usize] }.encode(&mut bytes);
                    }
                }
                write_atomic(&upper_dir.join(format!("{}.bin", ck.name())), &bytes)?;
            }
            drop(ups);
            let nodes = build_subtree(addresses, *ck, rest, &params);
            let mut metas = Vec::with_capacity(nodes.len());
            for (k, sel) in nodes {
                metas.push((k, write_node(&tiles_dir, k, &sel, pts, recs, rgb16, opts)?));
            }
            write_atomic(marker, node_meta_json(&metas).as_bytes())?;
            progress(*count);
            Ok(true)
        };
    let build_chunk = |i: usize| -> Result<bool> {
        let (ck, (bin_keys, count)) = &chunks[i];
        let marker = done_dir.join(format!("{}.json", ck.name()));
        if marker.exists() {
            progress(*count);
            finished(i)?;
            return Ok(false);
        }
        // Reused per worker from chunk to chunk: fresh chunk-sized buffers would be new pages
        // (page faults and kernel zeroing) every time. Taken out while in use, so nested rayon
        // work on this thread finds empty ones.
        let mut bufs = CHUNK_BUFS.take();
        let result = build_chunk_in(&mut bufs, ck, bin_keys, count, &marker);
        CHUNK_BUFS.set(bufs);
        let built = result?;
        finished(i)?;
        Ok(built)
    };
    let mut chunks_built = 0;
    let threads = rayon::current_num_threads();
    for window in chunk_windows(&chunks, threads, opts.chunk_points).into_iter().rev() {
        // Every chunk writes its own files, so the order of work never changes the output.
        let order = build_order(&chunks, window, threads);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let built: Vec<Vec<Result<bool>>> = (0..threads.min(order.len()))
            .into_par_iter()
            .map(|_| {
                let mut mine = vec![];
                while let Some(&i) = order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                    mine.push(build_chunk(i));
                }
                mine
            })
            .collect();
        for b in built.into_iter().flatten() {
            chunks_built += b? as usize;
        }
    }

    tracing::debug!("{} chunks built after {:.2} s", chunks.len(), t0.elapsed().as_secs_f64());
    let mut metas: BTreeMap<NodeKey, NodeMeta> = BTreeMap::new();
    for (ck, _) in &chunks {
        for (k, m) in parse_node_meta(&done_dir.join(format!("{}.json", ck.name())))? {
            metas.insert(k, m);
        }
    }
    // Upper nodes, one at a time per worker: each gathers its chunks' selections in chunk order.
    let mut upper: BTreeMap<NodeKey, Vec<NodeKey>> = BTreeMap::new();
    for (ck, _) in &chunks {
        for level in 0..chunk_level {
            upper.entry(ck.ancestor(level)).or_default().push(*ck);
        }
    }
    let upper_metas: Vec<Result<Option<(NodeKey, NodeMeta)>>> = upper
        .par_iter()
        .map(|(k, cks)| {
            let (mut pts, mut attrs) = (vec![], vec![]);
            for ck in cks {
                let path = upper_dir.join(format!("{}.bin", ck.name()));
                if !path.exists() {
                    continue;
                }
                let (cmin, _) = ck.bounds(&cube);
                let records = upper_records(&path, k.level)?;
                for r in records.chunks_exact(RECORD).map(BinPoint::decode) {
                    pts.push([cmin[0] + r.rel[0] as f64, cmin[1] + r.rel[1] as f64, cmin[2] + r.rel[2] as f64]);
                    attrs.push(r);
                }
            }
            if pts.is_empty() {
                return Ok(None);
            }
            let all: Vec<u32> = (0..pts.len() as u32).collect();
            Ok(Some((*k, write_node(&tiles_dir, *k, &all, &pts, &attrs, rgb16, opts)?)))
        })
        .collect();
    for m in upper_metas {
        if let Some((k, m)) = m? {
            metas.insert(k, m);
        }
    }

    tracing::debug!("upper nodes written after {:.2} s", t0.elapsed().as_secs_f64());
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
    let total: u64 = chunks.iter().map(|(_, (_, c))| c).sum();
    let mut extras = opts.extras.clone();
    extras["points"] = json!(total);
    let ts = Tileset { root, transform: frame.transform(), refine: "ADD", extras };
    let tileset = out.join("tileset.json");
    write_atomic(&tileset, ts.to_json().as_bytes())?;
    let n_tiles = metas.len();
    std::fs::remove_dir_all(&state).map_err(|e| Error::io(&state, e))?;
    Ok(TilesReport { points: total, tiles: n_tiles, depth, chunks_built, chunks: chunks.len(), tileset })
}

/// The records of `level` in a chunk's upper-level file.
fn upper_records(path: &Path, level: u8) -> Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let bad = || Error::bad_file(path, "damaged upper-level file (interrupted run?)");
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut pos = 0u64;
    for l in 0..=level {
        let mut n = [0u8; 8];
        f.read_exact(&mut n).map_err(|_| bad())?;
        let len = u64::from_le_bytes(n) * RECORD as u64;
        pos += 8;
        if l == level {
            let mut out = vec![0u8; len as usize];
            f.read_exact(&mut out).map_err(|_| bad())?;
            return Ok(out);
        }
        pos += len;
        f.seek(SeekFrom::Start(pos)).map_err(|e| Error::io(path, e))?;
    }
    Err(bad())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The stream pass's placement (bilinear 8 m cells of the exact chain) against the exact chain
    /// itself — EPSG:25832 → ECEF with DHHN2016 heights made ellipsoidal by the real GCG2016 grid
    /// (the copy in data-samples/), then the local frame — where GCG2016's slope changes most
    /// away from the grid's NoData border (2 km around 12.881° E 47.754° N near Salzburg, EPSG:25833
    /// 341 205 E 5 291 151 N, slope change 6.8·10⁻⁵; located with GDAL, UTM coordinates from
    /// pyproj 3.7), and around the crs tests' reference point (EPSG:25832 512 767 E 5 403 708 N):
    /// within the 0.3 mm bound of `zwilling_tiles::placement` (measured: 0.12 mm and 8 µm).
    #[test]
    fn placement_cells_match_the_exact_chain_with_gcg2016() {
        let grid = crate::raster::read_geotiff_f32(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data-samples/geoid/de_bkg_gcg2016.tif"),
        )
        .unwrap();
        let geoid = zwilling_crs::Quasigeoid::gcg2016(&grid).unwrap();
        for (crs, e0, n0) in [("EPSG:25833+7837", 341_205.0, 5_291_151.0), ("EPSG:25832+7837", 512_767.0, 5_403_708.0)]
        {
            let tr = zwilling_crs::Transformer::new(&zwilling_core::CrsInfo::parse(crs).unwrap()).unwrap();
            let mut origin = [[0.0; 3]];
            tr.to_ecef_with_heights(&[e0], &[n0], &[500.0], Some(&geoid), &mut origin).unwrap();
            let frame = LocalFrame::from_ecef(origin[0]);
            let exact = |p: &[[f64; 3]], out: &mut [[f64; 3]]| -> Result<()> {
                let (x, y, z): (Vec<f64>, Vec<f64>, Vec<f64>) = (
                    p.iter().map(|q| q[0]).collect(),
                    p.iter().map(|q| q[1]).collect(),
                    p.iter().map(|q| q[2]).collect(),
                );
                let mut e = vec![[0.0; 3]; p.len()];
                tr.to_ecef_with_heights(&x, &y, &z, Some(&geoid), &mut e)?;
                for (o, e) in out.iter_mut().zip(&e) {
                    *o = frame.to_local(*e);
                }
                Ok(())
            };
            let fast = LocalPatches::with_ground_size(&exact, [e0, n0], CELL_METRES).unwrap();
            // A scan zig-zagging over 2 km × 2 km, 0.1 m steps along the track.
            let n = 20_000;
            let t = |i: usize| i as f64 / n as f64;
            let x: Vec<f64> = (0..n).map(|i| e0 - 1000.0 + 2000.0 * t(i)).collect();
            let y: Vec<f64> = (0..n).map(|i| n0 - 1000.0 + 2000.0 * ((t(i) * 4.0).fract() - 0.5).abs() * 2.0).collect();
            let z: Vec<f64> = (0..n).map(|i| 500.0 + 40.0 * (t(i) * 9.0).sin()).collect();
            let mut got = vec![[0.0; 3]; n];
            fast.to_local(&x, &y, &z, &mut got).unwrap();
            let mut want = vec![[0.0; 3]; n];
            exact(&(0..n).map(|i| [x[i], y[i], z[i]]).collect::<Vec<_>>(), &mut want).unwrap();
            let worst = (0..n)
                .map(|i| (0..3).map(|k| (got[i][k] - want[i][k]).powi(2)).sum::<f64>().sqrt())
                .fold(0.0, f64::max);
            assert!(worst < 3e-4, "{crs} {e0} {n0}: {worst} m from the exact chain");
        }
    }

    /// The division-free bin keys equal [`NodeKey::containing`] and [`NodeKey::bounds`] bit for
    /// bit: on scattered points, on points at and one ulp around every cell boundary of one axis,
    /// and outside the cube and non-finite.
    #[test]
    fn binner_equals_containing_and_bounds() {
        let cube = Cube { min: [-1234.567, 89.01, -3.3], size: 2941.7 };
        let b = Binner::new(&cube);
        let check = |p: [f64; 3]| {
            let key = NodeKey::containing(&cube, COUNT_LEVEL, p);
            let (min, _) = key.bounds(&cube);
            let (k, m) = b.key_and_corner(p);
            assert_eq!(k, key, "{p:?}");
            assert_eq!(m.map(f64::to_bits), min.map(f64::to_bits), "{p:?}");
        };
        let mut s = 7u64;
        for _ in 0..100_000 {
            let mut r = || {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64
            };
            check([cube.min[0] + r() * cube.size, cube.min[1] + r() * cube.size, cube.min[2] + r() * cube.size]);
        }
        let edge = cube.size / (1u64 << COUNT_LEVEL) as f64;
        for i in 0..=(1u64 << COUNT_LEVEL) {
            let x = cube.min[0] + i as f64 * edge;
            for v in [x, x.next_down(), x.next_up(), x - 1e-9, x + 1e-9] {
                check([v, cube.min[1] + v.abs().fract(), cube.min[2]]);
            }
        }
        for v in [-1e9, 1e9, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            check([v, v, v]);
        }
    }

    fn chunks(counts: &[u64]) -> Vec<(NodeKey, (Vec<NodeKey>, u64))> {
        counts.iter().enumerate().map(|(i, &c)| (NodeKey { level: 3, x: i as u32, y: 0, z: 0 }, (vec![], c))).collect()
    }

    /// Few threads: one window (all chunks in parallel, as before); many threads: consecutive
    /// windows of at most the budget (a bigger chunk alone), covering every chunk once, in order.
    #[test]
    fn chunk_windows_bound_the_points_built_at_once() {
        let c = chunks(&[2_000_000, 1_500_000, 2_000_000, 500_000, 2_000_000, 7_000_000, 100]);
        let one = chunk_windows(&c, 2, 2_000_000);
        assert!(one.len() == 1 && one[0] == (0..7));
        let w = chunk_windows(&c, 16, 2_000_000);
        assert_eq!(w, vec![0..4, 4..5, 5..6, 6..7]);
        for r in &w {
            let sum: u64 = c[r.clone()].iter().map(|(_, (_, n))| n).sum();
            assert!(sum <= CHUNK_BUDGET_POINTS || r.len() == 1);
        }
        assert!(chunk_windows(&[], 16, 2_000_000).is_empty());
    }
}
