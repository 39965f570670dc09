//! Tile-parallel D8 flow accumulation after Barnes (2017), "Parallel non-divergent flow
//! accumulation for trillion cell digital elevation models on desktops or clusters",
//! *Environmental Modelling & Software* 92, 202–212.
//!
//! `A(i) = w(i) + Σ_{j → i} A(j)`. Accumulation is linear in the weights, so a tile can count
//! its own cells first and add what flows in from other tiles later:
//!
//! 1. [`accumulation_tile_pass`], per tile: local accumulation `Aₗ` (donors outside the tile
//!    ignored) and, for every border cell `p`, the **link** `target(p)`: following `p`'s flow
//!    path through the tile, the cell of another tile it enters (none when the path ends in an
//!    outlet). Border cells whose own direction leaves the tile also report `Aₗ(p)`.
//! 2. [`solve_links`], once: the inflow `In(r)` of every border cell `r` entered from outside is
//!    `Σ_{q exits into r} Aₗ(q) + Σ_{p : target(p) = r} In(p)` — a topological pass over the
//!    link graph (acyclic because D8 paths are).
//! 3. [`finalise_accumulation_tile`], per tile: the local accumulation again with `w(r) + In(r)`
//!    as the weight of each entered cell.
//!
//! Summaries and inflows have one entry per border cell. With unit or other integer (or dyadic)
//! weights every sum is exact, so the result equals
//! `zwilling_rain::accumulation::flow_accumulation_d8` bit for bit (test
//! `tiled_accumulation_equals_single_machine`); with arbitrary float weights the order of
//! additions differs from the single-machine walk and results may differ in the last bits.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_tiled::{run::accumulation_tiled, TileLayout};
//! // Five cells draining east across three tiles.
//! let mut dir = Grid::filled(5, 1, GeoTransform::new(0.0, 1.0, 1.0), 0u8);
//! dir.data[4] = 255; // the outlet on the east edge
//! let acc = accumulation_tiled(&dir, None, TileLayout::new(5, 1, 2, 1).unwrap()).unwrap();
//! assert_eq!(acc.data, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};
use zwilling_rain::neighbours::{DCOL, DROW};

use crate::layout::{TileLayout, TileRect};

/// A border cell of a tile and where its flow leaves the tile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Global cell index `row · width + col`.
    pub cell: u64,
    /// The cell of another tile the flow path from `cell` enters, if any.
    pub target: Option<u64>,
    /// Local accumulation of `cell` when its own direction leaves the tile, else 0.
    #[serde(with = "crate::exact::f64_bits")]
    pub outflow: f64,
}

/// What step 1 of one tile hands to the global step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccumulationTileSummary {
    /// Tile number.
    pub tile: usize,
    /// One link per border cell.
    pub links: Vec<Link>,
}

/// What the global step hands to step 3 of one tile: the inflow into cells entered from outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileInflow {
    /// Tile number.
    pub tile: usize,
    /// `(global cell, inflow)`, sorted by cell.
    #[serde(with = "crate::exact::pairs_f64_bits")]
    pub inflow: Vec<(u64, f64)>,
}

/// Downstream global `(col, row)` of `(c, r)` under direction `d`, or `None` for no direction.
#[inline]
fn downstream(c: usize, r: usize, d: u8) -> Option<(isize, isize)> {
    ((d as usize) < 8).then(|| (c as isize + DCOL[d as usize], r as isize + DROW[d as usize]))
}

fn check(layout: &TileLayout, tile: usize, dir: &[u8], weight: Option<&[f32]>) -> Result<TileRect> {
    if tile >= layout.count() {
        return Err(Error::invalid(format!("tile {tile} does not exist (layout has {} tiles)", layout.count())));
    }
    let t = layout.tile(tile);
    if dir.len() != t.len() || weight.is_some_and(|w| w.len() != t.len()) {
        return Err(Error::invalid(format!("tile {tile}: directions or weights do not have {} cells", t.len())));
    }
    Ok(t)
}

/// Local accumulation over the tile: `zwilling_rain::accumulation::accumulate_window` (the
/// single-machine kernel, so both add in the same order) on the tile's directions, with `extra`
/// inflow added to the weights of entered cells first. Directions that leave the tile end a path
/// there, as the kernel does at a window's edge.
fn local_accumulation(t: &TileRect, dir: &[u8], weight: Option<&[f32]>, extra: &[(usize, f64)]) -> Vec<f64> {
    let mut acc: Vec<f64> = match weight {
        Some(w) => w.iter().map(|&v| v as f64).collect(),
        None => vec![1.0; t.len()],
    };
    for &(li, v) in extra {
        acc[li] += v;
    }
    zwilling_rain::accumulation::accumulate_window(dir, t.cols, &mut acc);
    acc
}

/// Step 1 for tile `tile`: `dir` holds the tile's final D8 directions (row-major, tile only, no
/// halo), `weight` the tile's weights (default 1 per cell).
pub fn accumulation_tile_pass(
    layout: &TileLayout,
    tile: usize,
    dir: &[u8],
    weight: Option<&[f32]>,
) -> Result<AccumulationTileSummary> {
    let t = check(layout, tile, dir, weight)?;
    let acc = local_accumulation(&t, dir, weight, &[]);
    const UNKNOWN: u64 = u64::MAX - 1;
    const NONE: u64 = u64::MAX;
    let mut memo = vec![UNKNOWN; t.len()];
    let w = layout.width as isize;
    let mut links = vec![];
    let mut path = vec![];
    for (c, r) in layout.border_cells(tile) {
        let li = t.local(c, r);
        let mut i = li;
        let found = loop {
            if memo[i] != UNKNOWN {
                break memo[i];
            }
            path.push(i);
            let (ci, ri) = (t.col0 + i % t.cols, t.row0 + i / t.cols);
            match downstream(ci, ri, dir[i]) {
                None => break NONE,
                Some((cc, rr)) if cc < 0 || rr < 0 || cc >= w || rr >= layout.height as isize => {
                    return Err(Error::invalid(format!("tile {tile}: cell ({ci}, {ri}) drains off the grid")));
                }
                Some((cc, rr)) if !t.contains(cc, rr) => break (rr * w + cc) as u64,
                Some((cc, rr)) => i = t.local(cc as usize, rr as usize),
            }
        };
        debug_assert_ne!(found, UNKNOWN);
        for p in path.drain(..) {
            memo[p] = found;
        }
        let leaves = downstream(c, r, dir[li]).is_some_and(|(cc, rr)| !t.contains(cc, rr));
        links.push(Link {
            cell: (r * layout.width + c) as u64,
            target: (found != NONE).then_some(found),
            outflow: if leaves { acc[li] } else { 0.0 },
        });
    }
    Ok(AccumulationTileSummary { tile, links })
}

/// Step 2: the inflow of every entered border cell from all tiles' summaries.
pub fn solve_links(layout: &TileLayout, summaries: &[AccumulationTileSummary]) -> Result<Vec<TileInflow>> {
    let nt = layout.count();
    let mut seen = vec![false; nt];
    for s in summaries {
        if s.tile >= nt || std::mem::replace(&mut seen[s.tile], true) {
            return Err(Error::invalid(format!("link summary of tile {} is duplicated or outside the layout", s.tile)));
        }
    }
    if let Some(t) = seen.iter().position(|s| !s) {
        return Err(Error::invalid(format!("link summary of tile {t} is missing")));
    }
    // Nodes: all border cells, in cell order.
    let mut links: Vec<Link> = summaries.iter().flat_map(|s| s.links.iter().copied()).collect();
    links.sort_by_key(|l| l.cell);
    let index: HashMap<u64, usize> = links.iter().enumerate().map(|(k, l)| (l.cell, k)).collect();
    let mut inflow = vec![0.0f64; links.len()];
    let mut indeg = vec![0u32; links.len()];
    let mut entered = vec![false; links.len()];
    for l in &links {
        if let Some(tg) = l.target {
            let k = *index.get(&tg).ok_or_else(|| {
                Error::invalid(format!("cell {} drains into cell {tg}, which no tile lists as a border cell", l.cell))
            })?;
            indeg[k] += 1;
            entered[k] = true;
            inflow[k] += l.outflow;
        }
    }
    let mut queue: VecDeque<usize> = (0..links.len()).filter(|&k| indeg[k] == 0).collect();
    let mut processed = 0usize;
    while let Some(k) = queue.pop_front() {
        processed += 1;
        if let Some(tg) = links[k].target {
            let j = index[&tg];
            inflow[j] += inflow[k];
            indeg[j] -= 1;
            if indeg[j] == 0 {
                queue.push_back(j);
            }
        }
    }
    if processed != links.len() {
        return Err(Error::invalid("the flow directions form a cycle across tiles"));
    }
    let mut per_tile: BTreeMap<usize, Vec<(u64, f64)>> = (0..nt).map(|t| (t, vec![])).collect();
    for (k, l) in links.iter().enumerate() {
        if entered[k] {
            let (c, r) = ((l.cell % layout.width as u64) as usize, (l.cell / layout.width as u64) as usize);
            per_tile.get_mut(&layout.tile_of(c, r)).expect("all tiles").push((l.cell, inflow[k]));
        }
    }
    Ok(per_tile.into_iter().map(|(tile, inflow)| TileInflow { tile, inflow }).collect())
}

/// Step 3 for tile `tile`: the tile's accumulation (row-major) from its directions, weights and
/// [`TileInflow`].
pub fn finalise_accumulation_tile(
    layout: &TileLayout,
    tile: usize,
    dir: &[u8],
    weight: Option<&[f32]>,
    inflow: &TileInflow,
) -> Result<Vec<f64>> {
    let t = check(layout, tile, dir, weight)?;
    if inflow.tile != tile {
        return Err(Error::invalid(format!("inflow of tile {} handed to tile {tile}", inflow.tile)));
    }
    let mut extra = Vec::with_capacity(inflow.inflow.len());
    for &(cell, v) in &inflow.inflow {
        let (c, r) = ((cell % layout.width as u64) as usize, (cell / layout.width as u64) as usize);
        if !t.contains(c as isize, r as isize) {
            return Err(Error::invalid(format!("inflow cell {cell} is not in tile {tile}")));
        }
        extra.push((t.local(c, r), v));
    }
    Ok(local_accumulation(&t, dir, weight, &extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{accumulation_tiled, test_dems};

    #[test]
    fn tiled_accumulation_equals_single_machine() {
        for (k, dem) in test_dems().iter().enumerate() {
            let filled = zwilling_rain::fill::fill_depressions(dem).unwrap();
            let dir = zwilling_rain::d8::flow_directions_d8(&filled);
            // Unit weights, and dyadic weights (cell area 0.25 m² times 1..4).
            let dyadic = dem.with_data((0..dem.len()).map(|i| 0.25 * (1 + i % 4) as f32).collect());
            for weight in [None, Some(&dyadic)] {
                let reference = zwilling_rain::accumulation::flow_accumulation_d8(&dir, weight);
                for (tw, th) in [(1, 1), (2, 3), (7, 5), (16, 16), (13, 29), (dem.width, dem.height)] {
                    let layout = TileLayout::new(dem.width, dem.height, tw, th).unwrap();
                    let tiled = accumulation_tiled(&dir, weight, layout).unwrap();
                    let same = reference.data.iter().zip(&tiled.data).all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "dem {k}, tiles {tw}×{th}, weighted {}", weight.is_some());
                }
            }
        }
    }

    #[test]
    fn links_follow_the_flow_across_tiles() {
        // A 6 × 1 strip draining east, tiles of 2 cells: the west border cell of tile 0 enters
        // tile 1 at cell 2 carrying its tile's 2 cells.
        let layout = TileLayout::new(6, 1, 2, 1).unwrap();
        let s = accumulation_tile_pass(&layout, 0, &[0, 0], None).unwrap();
        assert_eq!(s.links[0], Link { cell: 0, target: Some(2), outflow: 0.0 });
        assert_eq!(s.links[1], Link { cell: 1, target: Some(2), outflow: 2.0 });
        let all: Vec<_> = (0..3)
            .map(|t| accumulation_tile_pass(&layout, t, &[0, if t == 2 { 255 } else { 0 }], None).unwrap())
            .collect();
        let inflow = solve_links(&layout, &all).unwrap();
        assert_eq!(inflow[1].inflow, vec![(2, 2.0)]);
        assert_eq!(inflow[2].inflow, vec![(4, 4.0)]);
    }
}
