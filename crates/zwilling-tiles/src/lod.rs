//! Level of detail by spatially uniform subsampling into an octree (refine `ADD`).
//!
//! The root is a cube. A node holding more than `max_points_per_tile` points keeps one point per
//! cell of a `grid³` lattice over its cube (the first point in input order that falls in the
//! cell) and passes the rest to its eight children; a node with few enough points keeps them all
//! and is a leaf. Every point therefore appears in exactly one node, coarse levels are spatially
//! uniform samples, and the point spacing halves per level — the scheme of Potree's converter
//! (Schütz, Ohrhallinger & Wimmer 2020, "Fast Out-of-Core Octree Generation for Massive Point
//! Clouds") and of entwine.
//!
//! Out of core: a dataset is split into *chunks* (the octree nodes of one level `L0`). Because a
//! level-`l` cell (edge `size / (grid·2^l)`) is never larger than a chunk when `grid ≥ 2^L0`, the
//! first-point-per-cell choice for every level above `L0` can be made inside each chunk alone
//! ([`select_upper`]), and each chunk's own subtree is built independently ([`build_subtree`]).
//!
//! ```
//! use zwilling_tiles::lod::{address, build_subtree, Cube, LodParams, NodeKey};
//! let pts: Vec<[f64; 3]> = (0..1000).map(|i| [(i % 10) as f64, (i / 10 % 10) as f64, (i / 100) as f64]).collect();
//! let cube = Cube { min: [0.0; 3], size: 10.0 };
//! let addresses: Vec<[u32; 3]> = pts.iter().map(|p| address(&cube, NodeKey::ROOT, *p)).collect();
//! let idx: Vec<u32> = (0..1000).collect();
//! let nodes = build_subtree(&addresses, NodeKey::ROOT, idx, &LodParams { max_points_per_tile: 100, grid: 4 });
//! assert_eq!(nodes.iter().map(|(_, v)| v.len()).sum::<usize>(), 1000);
//! ```

use rayon::prelude::*;

/// Deepest level a node may reach (then it becomes a leaf whatever its size).
pub const MAX_LEVEL: u8 = 24;

/// Parameters of the subsampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LodParams {
    /// A node with at most this many points is a leaf.
    pub max_points_per_tile: usize,
    /// Cells per cube edge of the sampling lattice (power of two, ≤ 256).
    pub grid: u32,
}

impl Default for LodParams {
    fn default() -> Self {
        LodParams { max_points_per_tile: 100_000, grid: 128 }
    }
}

/// The root cube of the octree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cube {
    /// Minimum corner.
    pub min: [f64; 3],
    /// Edge length.
    pub size: f64,
}

/// An octree node: level and integer position among the `2^level` nodes per axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeKey {
    /// Depth (root 0).
    pub level: u8,
    /// Index along x.
    pub x: u32,
    /// Index along y.
    pub y: u32,
    /// Index along z.
    pub z: u32,
}

impl NodeKey {
    /// The root.
    pub const ROOT: NodeKey = NodeKey { level: 0, x: 0, y: 0, z: 0 };

    /// Child `octant` (bit 0 x, bit 1 y, bit 2 z).
    pub fn child(&self, octant: u8) -> NodeKey {
        NodeKey {
            level: self.level + 1,
            x: self.x * 2 + (octant & 1) as u32,
            y: self.y * 2 + ((octant >> 1) & 1) as u32,
            z: self.z * 2 + ((octant >> 2) & 1) as u32,
        }
    }

    /// The ancestor at `level` (≤ own level).
    pub fn ancestor(&self, level: u8) -> NodeKey {
        let s = self.level - level;
        NodeKey { level, x: self.x >> s, y: self.y >> s, z: self.z >> s }
    }

    /// The node at `level` containing position `p`.
    #[inline]
    pub fn containing(cube: &Cube, level: u8, p: [f64; 3]) -> NodeKey {
        let n = 1u64 << level;
        // `max(0.0) as u64` is floor for the non-negative values left (and 0 for NaN), without a libm call.
        let i = |k: usize| (((p[k] - cube.min[k]) / cube.size * n as f64).max(0.0) as u64).min(n - 1) as u32;
        NodeKey { level, x: i(0), y: i(1), z: i(2) }
    }

    /// Minimum corner and edge length of this node's cube.
    #[inline]
    pub fn bounds(&self, cube: &Cube) -> ([f64; 3], f64) {
        let s = cube.size / (1u64 << self.level) as f64;
        ([cube.min[0] + self.x as f64 * s, cube.min[1] + self.y as f64 * s, cube.min[2] + self.z as f64 * s], s)
    }

    /// A file-name friendly name, `L-X-Y-Z`.
    pub fn name(&self) -> String {
        format!("{}-{}-{}-{}", self.level, self.x, self.y, self.z)
    }
}

/// Bits of a point's [address](address) per axis: its position in the root cube as a 32-bit
/// fixed-point fraction, so the node at level `l` is the top `l` bits and the cell of a
/// `2^g`-lattice over that node the next `g` bits (`l + g ≤ 32` since `l < MAX_LEVEL`, `g ≤ 8`).
const ADDRESS_BITS: u32 = 32;

/// A point's address: per axis `⌊(p − min) / size · 2^32⌋`, clamped into `node`'s range, so every
/// point handed to [`build_subtree`] / [`select_upper`] for `node` lies inside it even when
/// rounding put it a hair outside. Node, octant and lattice cell of every level are bit fields of
/// the address, so the whole-tree and the chunked build take the same decisions exactly.
#[inline]
pub fn address(cube: &Cube, node: NodeKey, p: [f64; 3]) -> [u32; 3] {
    Addresser::new(cube, node).address(p)
}

/// [`address`] for many points of one node: the node's constants (scale, clamp range per axis)
/// computed once, the per-point arithmetic the same, so the addresses are identical.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Addresser {
    min: [f64; 3],
    scale: f64,
    lo: [u64; 3],
    hi: [u64; 3],
}

impl Addresser {
    /// The constants of `node` in `cube`.
    pub fn new(cube: &Cube, node: NodeKey) -> Self {
        let s = ADDRESS_BITS - node.level as u32;
        let lo = [node.x, node.y, node.z].map(|n| (n as u64) << s);
        Addresser {
            min: cube.min,
            scale: (1u64 << ADDRESS_BITS) as f64 / cube.size,
            lo,
            hi: lo.map(|l| l + (1u64 << s) - 1),
        }
    }

    /// The address of `p` (see [`address`]).
    #[inline]
    pub fn address(&self, p: [f64; 3]) -> [u32; 3] {
        // `as i64` saturates and maps NaN to 0, and the clamp keeps the point inside the node, so
        // this is `(… as u64).clamp(lo, hi)` (negative values clamp to `lo ≥ 0` either way) with
        // one signed conversion instead of x86's longer unsigned one.
        std::array::from_fn(|k| {
            (((p[k] - self.min[k]) * self.scale) as i64).clamp(self.lo[k] as i64, self.hi[k] as i64) as u32
        })
    }
}

/// Lattice cell of `a` (an address inside `node`) on the `2^gb` lattice over `node`, as indices.
#[inline]
fn cell(a: [u32; 3], node: &NodeKey, gb: u32) -> [usize; 3] {
    let s = ADDRESS_BITS - gb - node.level as u32;
    let m = (1u32 << gb) - 1;
    [((a[0] >> s) & m) as usize, ((a[1] >> s) & m) as usize, ((a[2] >> s) & m) as usize]
}

/// Builds the subtree rooted at `node` from the points `idx` (indices into `addresses`, all
/// inside the node; see [`address`]). Returns `(node, point indices)` for every non-empty node,
/// sorted by key.
pub fn build_subtree(
    addresses: &[[u32; 3]],
    node: NodeKey,
    idx: Vec<u32>,
    params: &LodParams,
) -> Vec<(NodeKey, Vec<u32>)> {
    assert!(params.grid.is_power_of_two() && params.grid <= 256, "lattice must be a power of two ≤ 256");
    let mut out = build_rec(addresses, node, idx, params);
    out.sort_by_key(|(k, _)| *k);
    out
}

thread_local! {
    /// [`build_rec`]'s lattice occupancy bits (all zero between uses).
    static TAKEN: std::cell::Cell<Vec<u64>> = const { std::cell::Cell::new(Vec::new()) };
}

/// One node: one point per lattice cell, first come first served, the rest split by octant (the
/// top bit of the cell index) in input order — one pass over the node's points.
fn build_rec(addresses: &[[u32; 3]], node: NodeKey, idx: Vec<u32>, p: &LodParams) -> Vec<(NodeKey, Vec<u32>)> {
    if idx.is_empty() {
        return vec![];
    }
    if idx.len() <= p.max_points_per_tile || node.level >= MAX_LEVEL {
        return vec![(node, idx)];
    }
    let gb = p.grid.trailing_zeros();
    let g = p.grid as usize;
    // The lattice's occupancy bits, kept per thread from node to node (a fresh `grid³`-bit
    // array per node would be new pages to zero every time) and cleared through the selected
    // points after use. Taken out while in use, so nested work on this thread finds none.
    let mut taken = TAKEN.take();
    taken.resize(taken.len().max((g * g * g).div_ceil(64)), 0);
    let mut sel = Vec::new();
    let mut parts: [Vec<u32>; 8] = Default::default();
    let top = gb - 1;
    let id_of = |i: u32| {
        let c = cell(addresses[i as usize], &node, gb);
        ((c[2] * g + c[1]) * g + c[0], c)
    };
    for i in idx {
        let (id, c) = id_of(i);
        let (w, b) = (id / 64, 1u64 << (id % 64));
        if taken[w] & b == 0 {
            taken[w] |= b;
            sel.push(i);
        } else {
            let o = (c[0] >> top) | (c[1] >> top) << 1 | (c[2] >> top) << 2;
            parts[o].push(i);
        }
    }
    for &i in &sel {
        taken[id_of(i).0 / 64] = 0;
    }
    TAKEN.set(taken);
    let mut out = vec![(node, sel)];
    let children: Vec<Vec<(NodeKey, Vec<u32>)>> = parts
        .into_iter()
        .enumerate()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(o, part)| build_rec(addresses, node.child(o as u8), part, p))
        .collect();
    out.extend(children.into_iter().flatten());
    out
}

/// For the points of one chunk (addresses inside `chunk`, in input order), picks the points that
/// belong to the levels above the chunk (0 .. chunk.level), one per lattice cell per level, in
/// one pass: a point goes to the shallowest level whose cell is still free, exactly as level
/// after level selection over the points left would. Only the part of each ancestor's lattice
/// that covers the chunk is kept (`(grid / 2^(chunk.level − l))³` bits at level `l`).
/// Returns the selections per ancestor node (ordered from the root down) and the remaining
/// points for the chunk's own subtree. Requires `grid ≥ 2^chunk.level`.
pub fn select_upper(
    addresses: &[[u32; 3]],
    chunk: NodeKey,
    idx: Vec<u32>,
    params: &LodParams,
) -> (Vec<(NodeKey, Vec<u32>)>, Vec<u32>) {
    assert!(params.grid as u64 >= 1u64 << chunk.level, "lattice too coarse for the chunk level");
    let gb = params.grid.trailing_zeros();
    let levels = chunk.level as u32;
    // Per level l: shift from an address to the level-l cell, the chunk's first cell, edge in cells.
    let geo: Vec<(u32, [u32; 3], usize)> = (0..levels)
        .map(|l| {
            let d = gb - (levels - l);
            (ADDRESS_BITS - gb - l, [chunk.x << d, chunk.y << d, chunk.z << d], 1usize << d)
        })
        .collect();
    let mut taken: Vec<Vec<u64>> = geo.iter().map(|&(_, _, e)| vec![0u64; (e * e * e).div_ceil(64)]).collect();
    let mut sels: Vec<Vec<u32>> = vec![Vec::new(); levels as usize];
    let mut rest = Vec::with_capacity(idx.len());
    'points: for i in idx {
        let a = addresses[i as usize];
        for (l, &(shift, first, edge)) in geo.iter().enumerate() {
            let c = |k: usize| ((a[k] >> shift) - first[k]) as usize;
            let id = (c(2) * edge + c(1)) * edge + c(0);
            let (w, b) = (id / 64, 1u64 << (id % 64));
            let t = &mut taken[l][w];
            if *t & b == 0 {
                *t |= b;
                sels[l].push(i);
                continue 'points;
            }
        }
        rest.push(i);
    }
    let ups = sels.into_iter().enumerate().filter(|(_, s)| !s.is_empty()).map(|(l, s)| (chunk.ancestor(l as u8), s));
    (ups.collect(), rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(n: usize) -> Vec<[f64; 3]> {
        // A deterministic pseudo-random scatter on a gently tilted plane inside [0, 64)³.
        let mut s = 12345u64;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let x = (s >> 11) as f64 / (1u64 << 53) as f64 * 64.0;
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let y = (s >> 11) as f64 / (1u64 << 53) as f64 * 64.0;
                [x, y, 10.0 + 0.05 * x]
            })
            .collect()
    }

    #[test]
    fn every_point_once_and_spacing_halves() {
        let pts = plane(200_000);
        let cube = Cube { min: [0.0; 3], size: 64.0 };
        let params = LodParams { max_points_per_tile: 5_000, grid: 32 };
        let addr: Vec<[u32; 3]> = pts.iter().map(|p| address(&cube, NodeKey::ROOT, *p)).collect();
        let nodes = build_subtree(&addr, NodeKey::ROOT, (0..pts.len() as u32).collect(), &params);
        let mut seen = vec![false; pts.len()];
        for (k, v) in &nodes {
            let (min, size) = k.bounds(&cube);
            for &i in v {
                assert!(!seen[i as usize], "point {i} twice");
                seen[i as usize] = true;
                let p = pts[i as usize];
                for d in 0..3 {
                    assert!(p[d] >= min[d] && p[d] <= min[d] + size, "point outside its node");
                }
            }
        }
        assert!(seen.iter().all(|&s| s));
        // The root of a plane covering its cube keeps ~ one point per occupied lattice column: 32² cells.
        let root = &nodes.iter().find(|(k, _)| *k == NodeKey::ROOT).unwrap().1;
        assert!(root.len() >= 32 * 32 && root.len() <= 2 * 32 * 32, "{}", root.len());
        // Minimum distance among root points is bounded below by the lattice (no two in one cell).
        let lvl1: usize = nodes.iter().filter(|(k, _)| k.level == 1).map(|(_, v)| v.len()).sum();
        assert!(lvl1 > 3 * root.len(), "level 1 holds ~4× the root's points on a plane: {lvl1}");
    }

    #[test]
    fn chunked_equals_whole() {
        // Building per chunk (upper levels selected inside chunks) gives exactly the whole-tree result.
        let pts = plane(60_000);
        let cube = Cube { min: [0.0; 3], size: 64.0 };
        let params = LodParams { max_points_per_tile: 2_000, grid: 16 };
        let all: Vec<u32> = (0..pts.len() as u32).collect();
        let addr: Vec<[u32; 3]> = pts.iter().map(|p| address(&cube, NodeKey::ROOT, *p)).collect();
        let whole = build_subtree(&addr, NodeKey::ROOT, all.clone(), &params);
        let l0 = 2u8;
        let mut chunks: std::collections::BTreeMap<NodeKey, Vec<u32>> = Default::default();
        for &i in &all {
            let a = addr[i as usize].map(|v| v >> (32 - l0 as u32));
            chunks.entry(NodeKey { level: l0, x: a[0], y: a[1], z: a[2] }).or_default().push(i);
        }
        let mut merged: std::collections::BTreeMap<NodeKey, Vec<u32>> = Default::default();
        for (ck, idx) in chunks {
            let (ups, rest) = select_upper(&addr, ck, idx, &params);
            for (k, v) in ups {
                merged.entry(k).or_default().extend(v);
            }
            for (k, v) in build_subtree(&addr, ck, rest, &params) {
                merged.entry(k).or_default().extend(v);
            }
        }
        // Same nodes and same point sets (the order within upper nodes follows chunk order).
        let mut w: std::collections::BTreeMap<NodeKey, Vec<u32>> = whole.into_iter().collect();
        for v in w.values_mut().chain(merged.values_mut()) {
            v.sort_unstable();
        }
        // The whole-tree build splits chunk-level nodes only when they are large; compare the
        // multiset of (point → level) assignment for levels above the chunk level.
        for (k, v) in &w {
            if k.level < l0 {
                assert_eq!(merged.get(k), Some(v), "upper node {k:?}");
            }
        }
        assert_eq!(merged.values().map(Vec::len).sum::<usize>(), pts.len());
    }

    #[test]
    fn keys_nest() {
        let k = NodeKey::ROOT.child(7).child(2);
        assert_eq!(k, NodeKey { level: 2, x: 2, y: 3, z: 2 });
        assert_eq!(k.ancestor(1), NodeKey::ROOT.child(7));
        let cube = Cube { min: [0.0; 3], size: 8.0 };
        assert_eq!(NodeKey::containing(&cube, 2, [5.0, 7.0, 4.5]), k);
        assert_eq!(k.bounds(&cube), ([4.0, 6.0, 4.0], 2.0));
    }
}
