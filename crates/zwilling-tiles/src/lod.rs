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
//! use zwilling_tiles::lod::{build_subtree, Cube, LodParams, NodeKey};
//! let pts: Vec<[f64; 3]> = (0..1000).map(|i| [(i % 10) as f64, (i / 10 % 10) as f64, (i / 100) as f64]).collect();
//! let idx: Vec<u32> = (0..1000).collect();
//! let cube = Cube { min: [0.0; 3], size: 10.0 };
//! let nodes = build_subtree(&pts, &cube, NodeKey::ROOT, idx, &LodParams { max_points_per_tile: 100, grid: 4 });
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
    pub fn containing(cube: &Cube, level: u8, p: [f64; 3]) -> NodeKey {
        let n = 1u64 << level;
        // `max(0.0) as u64` is floor for the non-negative values left (and 0 for NaN), without a libm call.
        let i = |k: usize| (((p[k] - cube.min[k]) / cube.size * n as f64).max(0.0) as u64).min(n - 1) as u32;
        NodeKey { level, x: i(0), y: i(1), z: i(2) }
    }

    /// Minimum corner and edge length of this node's cube.
    pub fn bounds(&self, cube: &Cube) -> ([f64; 3], f64) {
        let s = cube.size / (1u64 << self.level) as f64;
        ([cube.min[0] + self.x as f64 * s, cube.min[1] + self.y as f64 * s, cube.min[2] + self.z as f64 * s], s)
    }

    /// A file-name friendly name, `L-X-Y-Z`.
    pub fn name(&self) -> String {
        format!("{}-{}-{}-{}", self.level, self.x, self.y, self.z)
    }
}

/// One point per lattice cell, first come first served; returns (selected, rest) in input order.
fn sample(points: &[[f64; 3]], idx: Vec<u32>, min: [f64; 3], size: f64, grid: u32) -> (Vec<u32>, Vec<u32>) {
    let g = grid as usize;
    let mut taken = vec![0u64; (g * g * g).div_ceil(64)];
    let scale = grid as f64 / size;
    let (mut sel, mut rest) = (Vec::new(), Vec::with_capacity(idx.len()));
    for i in idx {
        let p = points[i as usize];
        let c = |k: usize| (((p[k] - min[k]) * scale).max(0.0) as usize).min(g - 1);
        let cell = (c(2) * g + c(1)) * g + c(0);
        let (w, b) = (cell / 64, 1u64 << (cell % 64));
        if taken[w] & b == 0 {
            taken[w] |= b;
            sel.push(i);
        } else {
            rest.push(i);
        }
    }
    (sel, rest)
}

/// Builds the subtree rooted at `node` from the points `idx` (indices into `points`, all inside
/// the node's cube). Returns `(node, point indices)` for every non-empty node, sorted by key.
pub fn build_subtree(
    points: &[[f64; 3]],
    cube: &Cube,
    node: NodeKey,
    idx: Vec<u32>,
    params: &LodParams,
) -> Vec<(NodeKey, Vec<u32>)> {
    let mut out = build_rec(points, cube, node, idx, params);
    out.sort_by_key(|(k, _)| *k);
    out
}

fn build_rec(
    points: &[[f64; 3]],
    cube: &Cube,
    node: NodeKey,
    idx: Vec<u32>,
    p: &LodParams,
) -> Vec<(NodeKey, Vec<u32>)> {
    if idx.is_empty() {
        return vec![];
    }
    if idx.len() <= p.max_points_per_tile || node.level >= MAX_LEVEL {
        return vec![(node, idx)];
    }
    let (min, size) = node.bounds(cube);
    let (sel, rest) = sample(points, idx, min, size, p.grid);
    let half = [min[0] + size / 2.0, min[1] + size / 2.0, min[2] + size / 2.0];
    let mut parts: [Vec<u32>; 8] = Default::default();
    for i in rest {
        let q = points[i as usize];
        let o = (q[0] >= half[0]) as usize | ((q[1] >= half[1]) as usize) << 1 | ((q[2] >= half[2]) as usize) << 2;
        parts[o].push(i);
    }
    let mut out = vec![(node, sel)];
    let children: Vec<Vec<(NodeKey, Vec<u32>)>> = parts
        .into_iter()
        .enumerate()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(o, part)| build_rec(points, cube, node.child(o as u8), part, p))
        .collect();
    out.extend(children.into_iter().flatten());
    out
}

/// For the points of one chunk (all inside `chunk`'s cube, in input order), picks the points
/// that belong to the levels above the chunk (0 .. chunk.level), one per lattice cell per level.
/// Returns the selections per ancestor node (ordered from the root down) and the remaining
/// points for the chunk's own subtree. Requires `grid ≥ 2^chunk.level`.
pub fn select_upper(
    points: &[[f64; 3]],
    cube: &Cube,
    chunk: NodeKey,
    idx: Vec<u32>,
    params: &LodParams,
) -> (Vec<(NodeKey, Vec<u32>)>, Vec<u32>) {
    assert!(params.grid as u64 >= 1u64 << chunk.level, "lattice too coarse for the chunk level");
    let mut rest = idx;
    let mut ups = Vec::with_capacity(chunk.level as usize);
    for level in 0..chunk.level {
        let anc = chunk.ancestor(level);
        let (min, size) = anc.bounds(cube);
        let (sel, r) = sample(points, rest, min, size, params.grid);
        rest = r;
        if !sel.is_empty() {
            ups.push((anc, sel));
        }
    }
    (ups, rest)
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
        let nodes = build_subtree(&pts, &cube, NodeKey::ROOT, (0..pts.len() as u32).collect(), &params);
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
        let whole = build_subtree(&pts, &cube, NodeKey::ROOT, all.clone(), &params);
        let l0 = 2u8;
        let mut chunks: std::collections::BTreeMap<NodeKey, Vec<u32>> = Default::default();
        for &i in &all {
            chunks.entry(NodeKey::containing(&cube, l0, pts[i as usize])).or_default().push(i);
        }
        let mut merged: std::collections::BTreeMap<NodeKey, Vec<u32>> = Default::default();
        for (ck, idx) in chunks {
            let (ups, rest) = select_upper(&pts, &cube, ck, idx, &params);
            for (k, v) in ups {
                merged.entry(k).or_default().extend(v);
            }
            for (k, v) in build_subtree(&pts, &cube, ck, rest, &params) {
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
