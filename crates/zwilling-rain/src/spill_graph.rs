//! Spill elevations of a label graph: the minimax path weight from the outlet node.
//!
//! The parallel Priority-Flood fills (Barnes 2016, "Parallel Priority-Flood depression filling for
//! trillion cell digital elevation models", *Computers & Geosciences* 96, 56–68) reduce the DEM to
//! a small undirected graph: one node per flood label, node 0 the outlets, an edge `(a, b, z)`
//! wherever two labels meet with `z` the elevation water must rise to to pass between them. The
//! spill elevation of a label is
//!
//! ```text
//! S(l) = min over graph paths P from node 0 to l of max_{e ∈ P} z(e),     S(0) = −∞
//! ```
//!
//! found by Dijkstra's algorithm with `max` in place of `+` (the minimax path problem: Dijkstra is
//! exact because `max` is monotone along a path). Nodes that no path reaches keep `+∞`. The
//! band-parallel fill of this crate (node ids `u32`, to halve the graph's memory) and
//! `zwilling-tiled`'s cluster fill (node ids `u64`) both call it.
//!
//! ```
//! use zwilling_rain::spill_graph::spill_elevations;
//! // outlet 0 — 1 over a 5 m saddle, 1 — 2 over 3 m, 0 — 2 over 9 m; node 3 is unreachable
//! let s = spill_elevations(4, &[(0u32, 1, 5.0), (1, 2, 3.0), (0, 2, 9.0)]);
//! assert_eq!(s, vec![f32::NEG_INFINITY, 5.0, 5.0, f32::INFINITY]);
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::fill::order_key;

/// Node ids of a spill graph (`u32` or `u64`).
pub trait NodeId: Copy + Ord {
    /// The id as an index.
    fn index(self) -> usize;
    /// The id of index `i` (`i` < the number of nodes, which fits the id type).
    fn from_index(i: usize) -> Self;
}

impl NodeId for u32 {
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(i: usize) -> Self {
        i as u32
    }
}

impl NodeId for u64 {
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(i: usize) -> Self {
        i as u64
    }
}

/// Spill elevation of each of `nodes` nodes from node 0 over the undirected `edges`
/// `(a, b, z)` (see the module documentation): `S(0) = −∞`, unreachable nodes `+∞`.
pub fn spill_elevations<I: NodeId>(nodes: usize, edges: &[(I, I, f32)]) -> Vec<f32> {
    // Adjacency in compressed rows: one allocation instead of one vector per node.
    let mut start = vec![0usize; nodes + 1];
    for &(a, b, _) in edges {
        start[a.index() + 1] += 1;
        start[b.index() + 1] += 1;
    }
    for l in 0..nodes {
        start[l + 1] += start[l];
    }
    let mut at = start.clone();
    let mut adj = vec![(I::from_index(0), 0.0f32); 2 * edges.len()];
    for &(a, b, z) in edges {
        adj[at[a.index()]] = (b, z);
        at[a.index()] += 1;
        adj[at[b.index()]] = (a, z);
        at[b.index()] += 1;
    }
    drop(at);
    let mut spill = vec![f32::INFINITY; nodes];
    if nodes == 0 {
        return spill;
    }
    spill[0] = f32::NEG_INFINITY;
    let mut done = vec![false; nodes];
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((order_key(f32::NEG_INFINITY), I::from_index(0))));
    while let Some(Reverse((_, l))) = heap.pop() {
        let l = l.index();
        if std::mem::replace(&mut done[l], true) {
            continue;
        }
        for &(m, z) in &adj[start[l]..start[l + 1]] {
            let s = spill[l].max(z);
            if s < spill[m.index()] {
                spill[m.index()] = s;
                heap.push(Reverse((order_key(s), m)));
            }
        }
    }
    spill
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minimax path weights by exhaustive relaxation (Bellman–Ford with max), for comparison.
    fn brute_force(nodes: usize, edges: &[(u64, u64, f32)]) -> Vec<f32> {
        let mut s = vec![f32::INFINITY; nodes];
        s[0] = f32::NEG_INFINITY;
        for _ in 0..nodes {
            for &(a, b, z) in edges {
                let (a, b) = (a as usize, b as usize);
                s[b] = s[b].min(s[a].max(z));
                s[a] = s[a].min(s[b].max(z));
            }
        }
        s
    }

    #[test]
    fn equals_exhaustive_relaxation_on_random_graphs() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for nodes in [1usize, 2, 7, 40] {
            let edges: Vec<(u64, u64, f32)> =
                (0..nodes * 2).map(|_| (rnd(nodes as u64), rnd(nodes as u64), rnd(100) as f32 * 0.25)).collect();
            let s64 = spill_elevations(nodes, &edges);
            assert_eq!(s64, brute_force(nodes, &edges), "{nodes} nodes");
            let e32: Vec<(u32, u32, f32)> = edges.iter().map(|&(a, b, z)| (a as u32, b as u32, z)).collect();
            assert_eq!(spill_elevations(nodes, &e32), s64);
        }
    }

    #[test]
    fn an_empty_graph_has_no_spill() {
        assert!(spill_elevations::<u32>(0, &[]).is_empty());
    }
}
