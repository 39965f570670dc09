//! Tile-parallel depression filling after Barnes (2016), "Parallel Priority-Flood depression
//! filling for trillion cell digital elevation models", *Computers & Geosciences* 96, 56–68.
//!
//! The filled elevation of a cell is the minimax ("spill") elevation
//! `F(c) = min over paths P from c to an outlet of max_{p ∈ P} z(p)`, where outlets are the DEM
//! edge cells and the cells next to NoData (the edge rule of `zwilling_rain::fill`). Three steps:
//!
//! 1. [`fill_tile_pass`], per tile: Priority-Flood seeded from the tile's border cells, each border
//!    cell with its own watershed label (label 0 for border cells that are real outlets, and for
//!    cells next to NoData). It yields the local fill `Fₗ(c)` (border treated as outlets), a label
//!    per cell, and the **spill graph**: for every pair of adjacent cells `a, b` with different
//!    labels an edge `(label a, label b)` of weight `max(Fₗ(a), Fₗ(b))` (the minimum per label
//!    pair is kept). The summary lists these edges and the border cells with their labels and
//!    elevations: its size grows with the tile perimeter, not its area.
//! 2. [`solve_spill_graph`], once: adds the edges between border cells of neighbouring tiles
//!    (weight `max(z(a), z(b))`) and runs a Priority-Flood (minimax Dijkstra) on the label graph
//!    from label 0, giving every label its spill elevation `S(l)`.
//! 3. [`finalise_fill_tile`], per tile: repeats step 1's flood and sets
//!    `F(c) = max(Fₗ(c), S(label c))`.
//!
//! Why this is exact: `Fₗ(c) ≤ F(c)` because the part of an optimal path inside the tile ends at
//! a border cell or outlet; along an optimal path every cell `p` has `Fₗ(p) ≤ F(c)`, so the
//! labels it crosses give a graph path of weight ≤ `F(c)`, hence `S(label c) ≤ F(c)`. Conversely
//! each cell reaches its label's seed through cells not higher than `Fₗ(c)` (the flood's parent
//! chain), so crossing the graph path that realises `S` costs at most `max(Fₗ(c), S)`. The
//! values are copies of input elevations (no arithmetic), so the result equals
//! `zwilling_rain::fill::fill_depressions` bit for bit (test `tiled_fill_equals_single_machine`).
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_tiled::{run::fill_tiled, TileLayout};
//! let mut dem = Grid::filled(6, 6, GeoTransform::new(0.0, 6.0, 1.0), 5.0f32);
//! dem.data[2 * 6 + 2] = 1.0; // a pit on the corner of four 3 × 3 tiles
//! dem.data[3 * 6 + 3] = 2.0;
//! let filled = fill_tiled(&dem, TileLayout::new(6, 6, 3, 3).unwrap()).unwrap();
//! assert_eq!(filled.data[2 * 6 + 2], 5.0);
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};
use zwilling_rain::fill::order_key;
use zwilling_rain::neighbours::{DCOL, DROW};

use crate::layout::{is_nodata, TileLayout, TileRect};

/// Label of cells that drain to a real outlet (DEM edge or NoData).
pub const OUTLET_LABEL: u32 = 0;
const NO_LABEL: u32 = u32::MAX;

/// An edge of the spill graph between two labels of one tile (`a < b`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpillEdge {
    /// Smaller local label.
    pub a: u32,
    /// Larger local label.
    pub b: u32,
    /// Lowest elevation over which the two labels' cells connect.
    #[serde(with = "crate::exact::f32_bits")]
    pub z: f32,
}

/// A valid cell on a tile's border.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BorderCell {
    /// Global cell index `row · width + col`.
    pub cell: u64,
    /// Local label.
    pub label: u32,
    /// Elevation (border cells are never raised by the per-tile flood).
    #[serde(with = "crate::exact::f32_bits")]
    pub z: f32,
}

/// What step 1 of one tile hands to the global step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillTileSummary {
    /// Tile number.
    pub tile: usize,
    /// Number of local labels (label 0 included).
    pub labels: u32,
    /// Spill edges between the tile's labels.
    pub edges: Vec<SpillEdge>,
    /// Valid border cells.
    pub border: Vec<BorderCell>,
}

/// What the global step hands to step 3 of one tile: the spill elevation of each local label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileSpill {
    /// Tile number.
    pub tile: usize,
    /// Spill elevation per local label (−∞ for label 0).
    #[serde(with = "crate::exact::vec_f32_bits")]
    pub spill: Vec<f32>,
}

/// The result of one tile's Priority-Flood.
struct LocalFlood {
    fill: Vec<f32>,
    label: Vec<u32>,
    labels: u32,
    edges: BTreeMap<(u32, u32), f32>,
}

fn check_window(layout: &TileLayout, tile: usize, window: &[f32]) -> Result<TileRect> {
    if tile >= layout.count() {
        return Err(Error::invalid(format!("tile {tile} does not exist (layout has {} tiles)", layout.count())));
    }
    let w = layout.window(tile, 1);
    if window.len() != w.len() {
        return Err(Error::invalid(format!(
            "tile {tile}: window holds {} cells, expected {} ({} × {} with a one-cell halo)",
            window.len(),
            w.len(),
            w.cols,
            w.rows
        )));
    }
    Ok(w)
}

/// Priority-Flood of one tile from its border (see the module doc).
fn flood(layout: &TileLayout, tile: usize, window: &[f32], nodata: Option<f64>, edges: bool) -> Result<LocalFlood> {
    let win = check_window(layout, tile, window)?;
    let t = layout.tile(tile);
    let n = t.len();
    let (gw, gh) = (layout.width as isize, layout.height as isize);
    let zw = |c: isize, r: isize| window[(r as usize - win.row0) * win.cols + (c as usize - win.col0)];
    let mut fill = Vec::with_capacity(n);
    for r in t.row0..t.row0 + t.rows {
        for c in t.col0..t.col0 + t.cols {
            fill.push(zw(c as isize, r as isize));
        }
    }
    let mut label = vec![NO_LABEL; n];
    let mut closed = vec![false; n];
    let mut open: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let mut labels = 1u32;
    for li in 0..n {
        let (c, r) = ((t.col0 + li % t.cols) as isize, (t.row0 + li / t.cols) as isize);
        if is_nodata(fill[li], nodata) {
            closed[li] = true;
            continue;
        }
        let grid_edge = c == 0 || r == 0 || c == gw - 1 || r == gh - 1;
        let by_nodata = !grid_edge && (0..8).any(|k| is_nodata(zw(c + DCOL[k], r + DROW[k]), nodata));
        let border = layout.on_tile_border(&t, c as usize, r as usize);
        if grid_edge || by_nodata {
            label[li] = OUTLET_LABEL;
        } else if border {
            label[li] = labels;
            labels += 1;
        } else {
            continue;
        }
        closed[li] = true;
        open.push(Reverse(((order_key(fill[li]) as u64) << 32) | li as u64));
    }
    let mut pit: VecDeque<usize> = VecDeque::new();
    let mut edge_map: BTreeMap<(u32, u32), f32> = BTreeMap::new();
    loop {
        let i = if let Some(i) = pit.pop_front() {
            i
        } else if let Some(Reverse(key)) = open.pop() {
            (key & 0xFFFF_FFFF) as usize
        } else {
            break;
        };
        let (c, r) = ((i % t.cols) as isize, (i / t.cols) as isize);
        let zi = fill[i];
        let li = label[i];
        for k in 0..8 {
            let (cc, rr) = (c + DCOL[k], r + DROW[k]);
            if cc < 0 || rr < 0 || cc >= t.cols as isize || rr >= t.rows as isize {
                continue;
            }
            let j = rr as usize * t.cols + cc as usize;
            if closed[j] {
                let lj = label[j];
                if edges && lj != li && lj != NO_LABEL {
                    let key = (li.min(lj), li.max(lj));
                    let z = if fill[j] > zi { fill[j] } else { zi };
                    edge_map.entry(key).and_modify(|e| *e = if z < *e { z } else { *e }).or_insert(z);
                }
                continue;
            }
            closed[j] = true;
            label[j] = li;
            if fill[j] <= zi {
                fill[j] = zi;
                pit.push_back(j);
            } else {
                open.push(Reverse(((order_key(fill[j]) as u64) << 32) | j as u64));
            }
        }
    }
    Ok(LocalFlood { fill, label, labels, edges: edge_map })
}

/// Step 1 for tile `tile`: `window` is the DEM inside [`TileLayout::window`]`(tile, 1)`
/// (row-major), `nodata` the grid's NoData value.
pub fn fill_tile_pass(
    layout: &TileLayout,
    tile: usize,
    window: &[f32],
    nodata: Option<f64>,
) -> Result<FillTileSummary> {
    let f = flood(layout, tile, window, nodata, true)?;
    let t = layout.tile(tile);
    let border = layout
        .border_cells(tile)
        .into_iter()
        .filter_map(|(c, r)| {
            let li = t.local(c, r);
            (f.label[li] != NO_LABEL).then(|| BorderCell {
                cell: (r * layout.width + c) as u64,
                label: f.label[li],
                z: f.fill[li],
            })
        })
        .collect();
    let edges = f.edges.into_iter().map(|((a, b), z)| SpillEdge { a, b, z }).collect();
    Ok(FillTileSummary { tile, labels: f.labels, edges, border })
}

/// Step 2: the spill elevation of every label of every tile from all tiles' summaries (in any
/// order; one per tile).
pub fn solve_spill_graph(layout: &TileLayout, summaries: &[FillTileSummary]) -> Result<Vec<TileSpill>> {
    let nt = layout.count();
    let mut by_tile: Vec<Option<&FillTileSummary>> = vec![None; nt];
    for s in summaries {
        if s.tile >= nt {
            return Err(Error::invalid(format!("summary of tile {} outside the layout of {nt} tiles", s.tile)));
        }
        if by_tile[s.tile].replace(s).is_some() {
            return Err(Error::invalid(format!("two summaries of tile {}", s.tile)));
        }
    }
    // Global label ids: 0 = outlet, then each tile's labels 1.. in tile order.
    let mut offset = vec![0u64; nt + 1];
    for t in 0..nt {
        let s = by_tile[t].ok_or_else(|| Error::invalid(format!("summary of tile {t} is missing")))?;
        offset[t + 1] = offset[t] + (s.labels as u64).saturating_sub(1);
    }
    let gl = |t: usize, l: u32| if l == OUTLET_LABEL { 0 } else { offset[t] + l as u64 };
    let nodes = offset[nt] as usize + 1;
    let mut edges: Vec<(u64, u64, f32)> = vec![];
    let mut border: HashMap<u64, (u64, f32)> = HashMap::new();
    for (t, s) in by_tile.iter().enumerate() {
        let s = s.expect("checked above");
        edges.extend(s.edges.iter().map(|e| (gl(t, e.a), gl(t, e.b), e.z)));
        for b in &s.border {
            border.insert(b.cell, (gl(t, b.label), b.z));
        }
    }
    // Edges between border cells of neighbouring tiles.
    let w = layout.width as isize;
    for (t, s) in by_tile.iter().enumerate() {
        let rect = layout.tile(t);
        for b in &s.expect("checked").border {
            let (c, r) = ((b.cell % layout.width as u64) as isize, (b.cell / layout.width as u64) as isize);
            let (la, za) = border[&b.cell];
            for k in 0..8 {
                let (cc, rr) = (c + DCOL[k], r + DROW[k]);
                if rect.contains(cc, rr) || cc < 0 || rr < 0 || cc >= w || rr >= layout.height as isize {
                    continue;
                }
                if let Some(&(lb, zb)) = border.get(&((rr * w + cc) as u64)) {
                    if la < lb {
                        edges.push((la, lb, if za > zb { za } else { zb }));
                    }
                }
            }
        }
    }
    // Minimax Dijkstra from label 0 (the outlets).
    let spill = zwilling_rain::spill_graph::spill_elevations(nodes, &edges);
    Ok((0..nt)
        .map(|t| {
            let labels = by_tile[t].expect("checked").labels;
            let spill = (0..labels)
                .map(|l| {
                    let s = spill[gl(t, l) as usize];
                    // A label that reaches no outlet cannot occur (its cells would form a closed
                    // island of valid cells); leave such cells unchanged.
                    if s == f32::INFINITY {
                        f32::NEG_INFINITY
                    } else {
                        s
                    }
                })
                .collect();
            TileSpill { tile: t, spill }
        })
        .collect())
}

/// Step 3 for tile `tile`: the filled elevations of the tile's cells (row-major, NoData cells
/// unchanged) from the same `window` as step 1 and the tile's [`TileSpill`].
pub fn finalise_fill_tile(
    layout: &TileLayout,
    tile: usize,
    window: &[f32],
    nodata: Option<f64>,
    spill: &TileSpill,
) -> Result<Vec<f32>> {
    let f = flood(layout, tile, window, nodata, false)?;
    if spill.tile != tile || spill.spill.len() != f.labels as usize {
        return Err(Error::invalid(format!(
            "spill values of tile {} ({} labels) do not belong to tile {tile} ({} labels): \
             the global step ran on other inputs",
            spill.tile,
            spill.spill.len(),
            f.labels
        )));
    }
    Ok(f.fill
        .iter()
        .zip(&f.label)
        .map(|(&z, &l)| {
            if l == NO_LABEL {
                return z;
            }
            let s = spill.spill[l as usize];
            if s > z {
                s
            } else {
                z
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{fill_tiled, test_dems};

    #[test]
    fn tiled_fill_equals_single_machine() {
        for (k, dem) in test_dems().iter().enumerate() {
            let reference = zwilling_rain::fill::fill_depressions(dem).unwrap();
            for (tw, th) in [(1, 1), (2, 3), (7, 5), (16, 16), (13, 29), (dem.width, dem.height)] {
                let layout = TileLayout::new(dem.width, dem.height, tw, th).unwrap();
                let tiled = fill_tiled(dem, layout).unwrap();
                let same = reference.data.iter().zip(&tiled.data).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "dem {k} ({}×{}), tiles {tw}×{th} differ", dem.width, dem.height);
            }
        }
    }

    #[test]
    fn summary_size_follows_the_perimeter() {
        let dem = &test_dems()[0];
        let layout = TileLayout::new(dem.width, dem.height, 20, 20).unwrap();
        let win = layout.window(0, 1);
        let s = fill_tile_pass(&layout, 0, &win.extract(&dem.data, dem.width), dem.nodata).unwrap();
        // Border cells of a 20 × 20 tile: 76; labels ≤ border cells + 1.
        assert_eq!(s.border.len(), 76);
        assert!(s.labels as usize <= 77);
        let json = serde_json::to_string(&s).unwrap();
        let back: FillTileSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn summaries_through_json_give_the_single_machine_fill() {
        // What separate processes do: every summary and spill list goes through JSON text.
        // The spill lists hold ±∞ (labels that never spill) and the borders NaN / −9999 NoData.
        fn via_json<T: Serialize + for<'de> Deserialize<'de>>(v: &T) -> T {
            serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
        }
        for (k, dem) in test_dems().iter().enumerate() {
            let reference = zwilling_rain::fill::fill_depressions(dem).unwrap();
            let layout = TileLayout::new(dem.width, dem.height, 7, 5).unwrap();
            let window = |t: usize| layout.window(t, 1).extract(&dem.data, dem.width);
            let summaries: Vec<FillTileSummary> = (0..layout.count())
                .map(|t| via_json(&fill_tile_pass(&layout, t, &window(t), dem.nodata).unwrap()))
                .collect();
            let spill = solve_spill_graph(&layout, &summaries).unwrap();
            assert!(spill.iter().any(|s| s.spill.iter().any(|z| z.is_infinite())), "dem {k}: no ±∞ to carry");
            let mut filled = dem.data.clone();
            for (t, s) in spill.iter().enumerate() {
                let v = finalise_fill_tile(&layout, t, &window(t), dem.nodata, &via_json(s)).unwrap();
                layout.tile(t).insert(&v, &mut filled, dem.width);
            }
            let same = reference.data.iter().zip(&filled).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "dem {k}: fill through JSON summaries differs from the single-machine fill");
        }
    }

    #[test]
    fn wrong_inputs_are_errors() {
        let layout = TileLayout::new(10, 10, 5, 5).unwrap();
        assert!(fill_tile_pass(&layout, 4, &[0.0; 36], None).is_err());
        assert!(fill_tile_pass(&layout, 0, &[0.0; 5], None).is_err());
        let s = fill_tile_pass(&layout, 0, &[1.0; 36], None).unwrap();
        assert!(solve_spill_graph(&layout, std::slice::from_ref(&s)).is_err()); // tiles 1..3 missing
        let spill = TileSpill { tile: 1, spill: vec![] };
        assert!(finalise_fill_tile(&layout, 0, &[1.0; 36], None, &spill).is_err());
    }
}
