//! Tile-parallel catchment partition, equal to `zwilling_rain::simulate::groups::partition_catchments`.
//!
//! Every valid cell drains along its D8 path to one **outlet**: the first cell on the path without
//! a direction (255, or any code ≥ 8) or whose downstream neighbour is off the grid or NoData. The
//! partition labels each cell with its outlet, assigns the outlets to `K` groups
//! (`zwilling_rain::simulate::groups::assign_groups`) and gives every group its bounding window.
//! The outlet of a cell is the end of a path, and paths can be cut where they cross tile borders
//! (Barnes 2017's link graph, as in [`crate::accumulation`]):
//!
//! 1. [`catchment_tile_pass`], per tile: follows every cell's path inside the tile. It ends in a
//!    local outlet, or in an **exit cell** `q` whose direction leads into a cell `r` of another tile.
//!    Each local outlet and each exit cell is a *local catchment* with its cell count and bounding
//!    box; the summary lists them with the link `q → r`, and the local catchment of every border
//!    cell of the tile (`None` for NoData). Size ∝ the tile perimeter plus its outlets.
//! 2. [`solve_catchments`], once: the outlet of an exit cell `q → r` is `q` itself when `r` is
//!    NoData, else the outlet of `r`'s local catchment — a walk on the link graph, acyclic because
//!    D8 paths are. Cell counts are summed per outlet, the outlets assigned to groups with the same
//!    function as the single-machine partition, and each group's window is the union of its local
//!    catchments' boxes (cell counts summed): the whole-DEM scan of the single machine gives the same
//!    boxes and counts. Returns, per tile, the group of each local catchment.
//! 3. [`finalise_catchment_tile`], per tile: repeats step 1's labelling and writes each cell's group.
//!
//! Labels, windows and group order therefore equal the single-machine partition exactly (test
//! `tiled_partition_equals_single_machine`). Memory: a tile step holds its directions, validity
//! and one `u32` label per tile cell (≈ 6 B per cell); the global step holds all summaries
//! (≈ one entry per border cell and per local catchment), never the DEM.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_tiled::{run::partition_tiled, TileLayout};
//! use zwilling_rain::simulate::groups::partition_catchments;
//! // A ridge along column 5 of an 11 × 6 grid, cut into 3 × 2-cell tiles: every row half drains
//! // to its end on the west or east edge, across up to two tile borders.
//! let mut dem = Grid::filled(11, 6, GeoTransform::new(0.0, 6.0, 1.0), 0.0f32);
//! for (i, v) in dem.data.iter_mut().enumerate() {
//!     *v = 10.0 - ((i % 11) as f32 - 5.0).abs();
//! }
//! let p = partition_tiled(&dem, TileLayout::new(11, 6, 3, 2).unwrap(), 2).unwrap();
//! assert_eq!(p.windows.iter().map(|w| w.cells).sum::<usize>(), 66);
//! let west_half_of_row_2 = &p.labels.data[22..27];
//! assert!(west_half_of_row_2.iter().all(|&g| g == west_half_of_row_2[0]));
//! // The same partition as on one machine.
//! let single = partition_catchments(&dem, 2).unwrap();
//! assert_eq!((p.labels.data, p.windows), (single.labels.data, single.windows));
//! ```

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};
use zwilling_rain::neighbours::{DCOL, DROW, NO_DIRECTION};
use zwilling_rain::simulate::groups::{assign_groups, group_windows, GroupWindow, NO_GROUP};

use crate::layout::{TileLayout, TileRect};

/// A local outlet or exit cell of a tile and the tile cells that drain to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalCatchment {
    /// Global cell index `row · width + col` of the local outlet or exit cell.
    pub cell: u64,
    /// For an exit cell: the cell of another tile its direction leads into.
    pub exit: Option<u64>,
    /// Valid cells of the tile that drain to `cell` (itself included).
    pub cells: u64,
    /// First column of those cells (global).
    pub col0: usize,
    /// First row.
    pub row0: usize,
    /// Last column (inclusive).
    pub col1: usize,
    /// Last row (inclusive).
    pub row1: usize,
}

/// A border cell of a tile and its local catchment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BorderLabel {
    /// Global cell index.
    pub cell: u64,
    /// Index into [`CatchmentTileSummary::catchments`]; `None` for NoData.
    pub catchment: Option<u32>,
}

/// What step 1 of one tile hands to the global step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchmentTileSummary {
    /// Tile number.
    pub tile: usize,
    /// The tile's local catchments, in the order step 1 finds them (row-major by first cell).
    pub catchments: Vec<LocalCatchment>,
    /// Every border cell of the tile, in row-major order.
    pub border: Vec<BorderLabel>,
}

/// What the global step hands to step 3 of one tile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileGroups {
    /// Tile number.
    pub tile: usize,
    /// `(local catchment cell, group)`, in the order of the tile's summary.
    pub groups: Vec<(u64, i32)>,
}

/// The result of the global step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchmentGroups {
    /// Bounding window of each group, in group order (as `Partition::windows`).
    pub windows: Vec<GroupWindow>,
    /// Per tile (index = tile number): the group of each local catchment.
    pub tiles: Vec<TileGroups>,
}

const NONE: u32 = u32::MAX;
const WALKING: u32 = u32::MAX - 1;

fn check(layout: &TileLayout, tile: usize, dir: &[u8], valid: &[bool]) -> Result<TileRect> {
    if tile >= layout.count() {
        return Err(Error::invalid(format!("tile {tile} does not exist (layout has {} tiles)", layout.count())));
    }
    let t = layout.tile(tile);
    if dir.len() != t.len() || valid.len() != t.len() {
        return Err(Error::invalid(format!("tile {tile}: directions or validity do not have {} cells", t.len())));
    }
    if t.len() >= WALKING as usize {
        return Err(Error::invalid(format!("tile {tile} has 2³² cells or more; use smaller tiles")));
    }
    Ok(t)
}

/// The local catchment (index) of every tile cell, [`NONE`] for NoData, and the catchments.
fn local_catchments(
    layout: &TileLayout,
    tile: usize,
    dir: &[u8],
    valid: &[bool],
) -> Result<(TileRect, Vec<u32>, Vec<LocalCatchment>)> {
    let t = check(layout, tile, dir, valid)?;
    let (gw, gh) = (layout.width as isize, layout.height as isize);
    let global = |li: usize| ((t.row0 + li / t.cols) * layout.width + t.col0 + li % t.cols) as u64;
    let mut label = vec![NONE; t.len()];
    let mut catchments: Vec<LocalCatchment> = vec![];
    let mut path = vec![];
    for start in 0..t.len() {
        if !valid[start] || label[start] != NONE {
            continue;
        }
        let mut i = start;
        let found = loop {
            match label[i] {
                NONE => {}
                WALKING => return Err(Error::invalid(format!("tile {tile}: the flow directions form a cycle"))),
                l => break l,
            }
            label[i] = WALKING;
            path.push(i);
            let d = dir[i];
            let mut end = |exit: Option<u64>| {
                let (c, r) = (t.col0 + i % t.cols, t.row0 + i / t.cols);
                let lc = LocalCatchment { cell: global(i), exit, cells: 0, col0: c, row0: r, col1: c, row1: r };
                catchments.push(lc);
                (catchments.len() - 1) as u32
            };
            if d == NO_DIRECTION || d as usize >= 8 {
                break end(None);
            }
            let (c, r) =
                ((t.col0 + i % t.cols) as isize + DCOL[d as usize], (t.row0 + i / t.cols) as isize + DROW[d as usize]);
            if c < 0 || r < 0 || c >= gw || r >= gh {
                break end(None);
            }
            if !t.contains(c, r) {
                break end(Some((r * gw + c) as u64));
            }
            let j = t.local(c as usize, r as usize);
            if !valid[j] {
                break end(None);
            }
            i = j;
        };
        for p in path.drain(..) {
            label[p] = found;
        }
    }
    for (li, &l) in label.iter().enumerate() {
        if l != NONE {
            let (c, r) = (t.col0 + li % t.cols, t.row0 + li / t.cols);
            let lc = &mut catchments[l as usize];
            lc.cells += 1;
            (lc.col0, lc.row0, lc.col1, lc.row1) = (lc.col0.min(c), lc.row0.min(r), lc.col1.max(c), lc.row1.max(r));
        }
    }
    Ok((t, label, catchments))
}

/// Step 1 for tile `tile`: `dir` holds the tile's final D8 directions (row-major, tile only, no
/// halo; e.g. the tile's cut of [`crate::run::directions_tiled`]), `valid` whether each tile cell
/// holds data.
pub fn catchment_tile_pass(
    layout: &TileLayout,
    tile: usize,
    dir: &[u8],
    valid: &[bool],
) -> Result<CatchmentTileSummary> {
    let (t, label, catchments) = local_catchments(layout, tile, dir, valid)?;
    let border = layout
        .border_cells(tile)
        .into_iter()
        .map(|(c, r)| {
            let l = label[t.local(c, r)];
            BorderLabel { cell: (r * layout.width + c) as u64, catchment: (l != NONE).then_some(l) }
        })
        .collect();
    Ok(CatchmentTileSummary { tile, catchments, border })
}

/// Step 2: the outlet of every local catchment, the groups of the outlets (at most `k`, as
/// `partition_catchments` assigns them) and the groups' windows, from all tiles' summaries.
pub fn solve_catchments(layout: &TileLayout, summaries: &[CatchmentTileSummary], k: usize) -> Result<CatchmentGroups> {
    let nt = layout.count();
    let mut by_tile = vec![usize::MAX; nt];
    for (s_idx, s) in summaries.iter().enumerate() {
        if s.tile >= nt || by_tile[s.tile] != usize::MAX {
            return Err(Error::invalid(format!(
                "catchment summary of tile {} is duplicated or outside the layout",
                s.tile
            )));
        }
        by_tile[s.tile] = s_idx;
        let bad_index = s.border.iter().any(|b| b.catchment.is_some_and(|l| l as usize >= s.catchments.len()));
        if bad_index || !s.border.windows(2).all(|p| p[0].cell < p[1].cell) {
            return Err(Error::invalid(format!("catchment summary of tile {} has a malformed border list", s.tile)));
        }
    }
    if let Some(t) = by_tile.iter().position(|&s| s == usize::MAX) {
        return Err(Error::invalid(format!("catchment summary of tile {t} is missing")));
    }
    let summary = |t: usize| &summaries[by_tile[t]];
    // Node = (tile, local catchment), numbered tile by tile.
    let mut offset = Vec::with_capacity(nt + 1);
    offset.push(0usize);
    for t in 0..nt {
        offset.push(offset[t] + summary(t).catchments.len());
    }
    let nodes = offset[nt];
    let w = layout.width as u64;
    let cells = w * layout.height as u64;
    // The node an exit leads to (None: its target is NoData, so the exit cell is the outlet).
    let next = |t: usize, lc: &LocalCatchment, target: u64| -> Result<Option<usize>> {
        let bad = || {
            Error::invalid(format!(
                "tile {t}: exit cell {} leads to cell {target}, not a neighbour in another tile",
                lc.cell
            ))
        };
        let (c, r) = ((target % w) as usize, (target / w) as usize);
        let (dc, dr) = ((lc.cell % w).abs_diff(target % w), (lc.cell / w).abs_diff(target / w));
        if target >= cells || dc > 1 || dr > 1 {
            return Err(bad());
        }
        let tt = layout.tile_of(c, r);
        if tt == t {
            return Err(bad());
        }
        let s = summary(tt);
        let b = s
            .border
            .binary_search_by_key(&target, |b| b.cell)
            .map_err(|_| Error::invalid(format!("tile {tt}: its summary does not list border cell {target}")))?;
        Ok(s.border[b].catchment.map(|l| offset[tt] + l as usize))
    };
    // Outlet of every node, by walking the link graph (memoised; a cycle is an error).
    const UNKNOWN: u64 = u64::MAX;
    const ON_PATH: u64 = u64::MAX - 1;
    let mut outlet = vec![UNKNOWN; nodes];
    let node = |n: usize| -> (usize, &LocalCatchment) {
        let t = offset.partition_point(|&o| o <= n) - 1;
        (t, &summary(t).catchments[n - offset[t]])
    };
    let mut path = vec![];
    for start in 0..nodes {
        let mut n = start;
        let found = loop {
            match outlet[n] {
                UNKNOWN => {}
                ON_PATH => return Err(Error::invalid("the flow directions form a cycle across tiles")),
                o => break o,
            }
            outlet[n] = ON_PATH;
            path.push(n);
            let (t, lc) = node(n);
            match lc.exit {
                None => break lc.cell,
                Some(target) => match next(t, lc, target)? {
                    None => break lc.cell,
                    Some(m) => n = m,
                },
            }
        };
        for p in path.drain(..) {
            outlet[p] = found;
        }
    }
    // Cells per outlet, then the shared group assignment.
    let mut sizes: Vec<(u64, u64)> = (0..nodes).map(|n| (outlet[n], node(n).1.cells)).collect();
    sizes.sort_unstable();
    sizes.dedup_by(|b, a| {
        let same = a.0 == b.0;
        if same {
            a.1 += b.1;
        }
        same
    });
    sizes.retain(|&(_, n)| n > 0);
    let groups = assign_groups(&sizes, layout.width, layout.height, k)?;
    let group_of = |o: u64| sizes.binary_search_by_key(&o, |s| s.0).map(|i| groups.group[i]).ok();
    let mut bounds = vec![(usize::MAX, usize::MAX, 0usize, 0usize, 0usize); groups.outlets_per_group.len()];
    let mut tiles: Vec<TileGroups> = (0..nt).map(|tile| TileGroups { tile, groups: vec![] }).collect();
    for n in 0..nodes {
        let (t, lc) = node(n);
        let g = group_of(outlet[n]).unwrap_or(NO_GROUP);
        tiles[t].groups.push((lc.cell, g));
        if g != NO_GROUP && lc.cells > 0 {
            let b = &mut bounds[g as usize];
            *b = (b.0.min(lc.col0), b.1.min(lc.row0), b.2.max(lc.col1), b.3.max(lc.row1), b.4 + lc.cells as usize);
        }
    }
    let windows = group_windows(&bounds, &groups.outlets_per_group);
    Ok(CatchmentGroups { windows, tiles })
}

/// Step 3 for tile `tile`: the group of every tile cell (row-major, tile only), [`NO_GROUP`] for
/// NoData, from the same `dir` and `valid` as step 1 and the tile's [`TileGroups`].
pub fn finalise_catchment_tile(
    layout: &TileLayout,
    tile: usize,
    dir: &[u8],
    valid: &[bool],
    groups: &TileGroups,
) -> Result<Vec<i32>> {
    let (_, label, catchments) = local_catchments(layout, tile, dir, valid)?;
    let fits = groups.tile == tile
        && groups.groups.len() == catchments.len()
        && groups.groups.iter().zip(&catchments).all(|(g, c)| g.0 == c.cell);
    if !fits {
        return Err(Error::invalid(format!(
            "catchment groups of tile {} do not fit tile {tile}'s directions",
            groups.tile
        )));
    }
    Ok(label.iter().map(|&l| if l == NONE { NO_GROUP } else { groups.groups[l as usize].1 }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{partition_tiled, test_dems};
    use zwilling_core::{GeoTransform, Grid};
    use zwilling_rain::simulate::groups::partition_catchments;

    /// The shared test DEMs plus one with a NoData margin around rolling terrain.
    fn dems() -> Vec<Grid<f32>> {
        let mut dems = test_dems();
        let (w, h) = (29usize, 23usize);
        let mut g = Grid::filled(w, h, GeoTransform::new(0.0, h as f64, 1.0), -9999.0f32);
        g.nodata = Some(-9999.0);
        for r in 2..h - 3 {
            for c in 3..w - 2 {
                let (x, y) = (c as f32, r as f32);
                g.data[r * w + c] = 5.0 + (0.7 * x).sin() * 2.0 + (0.5 * y).cos() * 1.5 + 0.01 * x;
            }
        }
        dems.push(g);
        dems
    }

    #[test]
    fn tiled_partition_equals_single_machine() {
        for (d, dem) in dems().iter().enumerate() {
            for k in [1, 3, 7] {
                let reference = partition_catchments(dem, k).unwrap();
                for (tw, th) in [(1, 1), (3, 2), (4, 4), (7, 5), (dem.width, dem.height)] {
                    let layout = TileLayout::new(dem.width, dem.height, tw, th).unwrap();
                    let tiled = partition_tiled(dem, layout, k).unwrap();
                    let what = format!("dem {d}, K = {k}, tiles {tw}×{th}");
                    assert_eq!(tiled.windows, reference.windows, "{what}");
                    assert_eq!(tiled.labels.data, reference.labels.data, "{what}");
                    assert_eq!(tiled.labels.nodata, reference.labels.nodata, "{what}");
                    assert_eq!(tiled.labels.transform, reference.labels.transform, "{what}");
                }
            }
        }
    }

    #[test]
    fn test_dems_have_many_catchments_crossing_tiles() {
        // The equality above only means something if catchments cross tile borders and K = 7
        // makes several groups.
        for (d, dem) in dems().iter().enumerate().filter(|(_, g)| g.width > 1 && g.height > 1) {
            let p = partition_catchments(dem, 7).unwrap();
            assert!(p.windows.len() >= 3, "dem {d}: {:?}", p.windows);
            let layout = TileLayout::new(dem.width, dem.height, 4, 4).unwrap();
            let filled = crate::run::fill_tiled(dem, layout).unwrap();
            let dir = crate::run::directions_tiled(&filled, layout).unwrap();
            let exits: usize = (0..layout.count())
                .map(|t| {
                    let tile = layout.tile(t);
                    let valid: Vec<bool> =
                        tile.extract(&dem.data, dem.width).iter().map(|&v| !dem.is_nodata(v)).collect();
                    let s = catchment_tile_pass(&layout, t, &tile.extract(&dir.data, dem.width), &valid).unwrap();
                    s.catchments.iter().filter(|c| c.exit.is_some()).count()
                })
                .sum();
            assert!(exits > 50, "dem {d}: only {exits} exits");
        }
    }

    #[test]
    fn summaries_and_groups_round_trip_through_json() {
        let dem = &dems()[2];
        let layout = TileLayout::new(dem.width, dem.height, 7, 5).unwrap();
        let dir = crate::run::directions_tiled(&crate::run::fill_tiled(dem, layout).unwrap(), layout).unwrap();
        let summaries: Vec<_> = (0..layout.count())
            .map(|t| {
                let tile = layout.tile(t);
                let valid: Vec<bool> = tile.extract(&dem.data, dem.width).iter().map(|&v| !dem.is_nodata(v)).collect();
                catchment_tile_pass(&layout, t, &tile.extract(&dir.data, dem.width), &valid).unwrap()
            })
            .collect();
        assert!(summaries.iter().any(|s| s.border.iter().any(|b| b.catchment.is_none())), "NoData on a border");
        let back: Vec<CatchmentTileSummary> =
            serde_json::from_str(&serde_json::to_string(&summaries).unwrap()).unwrap();
        assert_eq!(back, summaries);
        // Summaries in another order give the same solution.
        let solution = solve_catchments(&layout, &summaries, 3).unwrap();
        let mut reversed = back;
        reversed.reverse();
        assert_eq!(solve_catchments(&layout, &reversed, 3).unwrap(), solution);
        let again: CatchmentGroups = serde_json::from_str(&serde_json::to_string(&solution).unwrap()).unwrap();
        assert_eq!(again, solution);
    }

    #[test]
    fn exits_follow_the_flow_across_tiles_and_stop_at_nodata() {
        // A 6 × 1 strip draining east, tiles of 2 cells; cell 4 is NoData, so cell 3 (whose
        // direction leads into it) is the outlet of cells 0–3, and cell 5 is its own outlet.
        let layout = TileLayout::new(6, 1, 2, 1).unwrap();
        let valid = [[true, true], [true, true], [false, true]];
        let dir = [[0u8, 0], [0, 0], [255, 255]];
        let s: Vec<_> = (0..3).map(|t| catchment_tile_pass(&layout, t, &dir[t], &valid[t]).unwrap()).collect();
        let lc = |cell, exit, cells, c0, c1| LocalCatchment { cell, exit, cells, col0: c0, row0: 0, col1: c1, row1: 0 };
        assert_eq!(s[0].catchments, [lc(1, Some(2), 2, 0, 1)]);
        assert_eq!(s[1].catchments, [lc(3, Some(4), 2, 2, 3)]);
        assert_eq!(
            s[2].border,
            [BorderLabel { cell: 4, catchment: None }, BorderLabel { cell: 5, catchment: Some(0) }]
        );
        // Outlets 3 (4 cells) and 5 (1 cell) both lie east of the grid centre on its row: pseudo-angle
        // 0 for both, ties by cell index, so 3 comes first; midpoints 2 and 4.5 of 5 cells give
        // groups 0 and 1 for K = 2.
        let g = solve_catchments(&layout, &s, 2).unwrap();
        assert_eq!(g.tiles[0].groups, [(1, 0)]);
        assert_eq!(g.tiles[1].groups, [(3, 0)]);
        assert_eq!(g.tiles[2].groups, [(5, 1)]);
        assert_eq!((g.windows[0].col0, g.windows[0].cols, g.windows[0].cells, g.windows[0].outlets), (0, 4, 4, 1));
        assert_eq!((g.windows[1].col0, g.windows[1].cols, g.windows[1].cells, g.windows[1].outlets), (5, 1, 1, 1));
        let labels = finalise_catchment_tile(&layout, 2, &dir[2], &valid[2], &g.tiles[2]).unwrap();
        assert_eq!(labels, [NO_GROUP, 1]);
    }

    #[test]
    fn bad_summaries_and_cycles_are_errors() {
        let layout = TileLayout::new(4, 1, 2, 1).unwrap();
        let valid = [true, true];
        // Two tiles pointing at each other: 1 → 2 (east) and 2 → 1 (west).
        let a = catchment_tile_pass(&layout, 0, &[0, 0], &valid).unwrap();
        let b = catchment_tile_pass(&layout, 1, &[4, 4], &valid).unwrap();
        assert!(solve_catchments(&layout, &[a.clone(), b.clone()], 2).is_err(), "cycle across tiles");
        assert!(catchment_tile_pass(&layout, 0, &[0, 4], &valid).is_err(), "cycle inside a tile");
        assert!(solve_catchments(&layout, std::slice::from_ref(&a), 2).is_err(), "missing tile");
        assert!(solve_catchments(&layout, &[a.clone(), a.clone()], 2).is_err(), "duplicated tile");
        assert!(catchment_tile_pass(&layout, 0, &[0], &valid).is_err(), "wrong size");
        let ok = catchment_tile_pass(&layout, 1, &[255, 255], &valid).unwrap();
        let g = solve_catchments(&layout, &[a, ok], 1).unwrap();
        assert!(finalise_catchment_tile(&layout, 1, &[255, 255], &valid, &g.tiles[0]).is_err(), "other tile");
        assert!(finalise_catchment_tile(&layout, 1, &[0, 255], &valid, &g.tiles[1]).is_err(), "other directions");
    }
}
