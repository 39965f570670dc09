//! D8 flow directions of a filled DEM, tile by tile, equal to
//! `zwilling_rain::d8::flow_directions_d8` on the whole grid.
//!
//! A cell drains to its steepest lower neighbour (`(z − z_k) / d_k`, `d_k` = 1 or √2, ties to the
//! lowest direction index); edge cells and cells next to NoData without a lower neighbour are
//! outlets. That part needs only a one-cell halo. Flats (cells without a lower neighbour that are
//! no outlet) drain along a breadth-first search from the flat's exits — the order of that search
//! is global, so flats are split by where they lie:
//!
//! - a flat (8-connected cells of equal elevation) that does not touch the tile border is
//!   resolved inside the tile. The search order restricted to one flat depends only on that flat's
//!   exits in row-major order, which the tile sees in the same order as the whole grid;
//! - flats touching the tile border are **open**: step 1 ([`directions_tile_pass`]) lists their
//!   cells and the tile's candidate exits, step 2 ([`resolve_open_flats`]) runs the search on all
//!   open cells of all tiles at once (cost ∝ the number of cells on flats that cross tile
//!   borders, typically large filled lakes), step 3 ([`finalise_directions_tile`]) writes the
//!   answers into the tile.
//!
//! Directions use the index convention of `zwilling_rain::neighbours` (0 E … 7 SE, 255 none).
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_tiled::{run::directions_tiled, TileLayout};
//! let mut dem = Grid::filled(6, 4, GeoTransform::new(0.0, 4.0, 1.0), 3.0f32);
//! dem.data[6 + 5] = 1.0; // the only low edge cell: the flat drains east to it
//! let dir = directions_tiled(&dem, TileLayout::new(6, 4, 2, 2).unwrap()).unwrap();
//! assert_eq!(dir.data[6 + 4], 0);
//! ```

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};
use zwilling_rain::d8::{steepest_descent, FLAT};
use zwilling_rain::neighbours::{distance, DCOL, DROW, NO_DIRECTION};

use crate::layout::{is_nodata, TileLayout};

/// Marker, in the tile directions of step 1, for cells of open flats (set in step 3).
pub const OPEN_FLAT: u8 = 253;

/// A cell with its elevation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CellZ {
    /// Global cell index `row · width + col`.
    pub cell: u64,
    /// Filled elevation.
    #[serde(with = "crate::exact::f32_bits")]
    pub z: f32,
}

/// What step 1 of one tile hands to the global step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatTileSummary {
    /// Tile number.
    pub tile: usize,
    /// Cells of flats that touch the tile border.
    pub open: Vec<CellZ>,
    /// Cells with a direction (or outlets) next to an open flat cell or to the tile border with
    /// an equal-elevation neighbour: the possible exits of open flats.
    pub exits: Vec<CellZ>,
}

/// What the global step hands to step 3 of one tile: directions of its open flat cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileFlatDirections {
    /// Tile number.
    pub tile: usize,
    /// `(global cell, direction)` for every open flat cell of the tile.
    pub directions: Vec<(u64, u8)>,
}

/// Step 1 for tile `tile`: `window` is the filled DEM inside [`TileLayout::window`]`(tile, 1)`.
/// Returns the tile's directions (row-major, [`OPEN_FLAT`] on open flats) and its summary.
pub fn directions_tile_pass(
    layout: &TileLayout,
    tile: usize,
    window: &[f32],
    nodata: Option<f64>,
) -> Result<(Vec<u8>, FlatTileSummary)> {
    if tile >= layout.count() {
        return Err(Error::invalid(format!("tile {tile} does not exist (layout has {} tiles)", layout.count())));
    }
    let win = layout.window(tile, 1);
    if window.len() != win.len() {
        return Err(Error::invalid(format!(
            "tile {tile}: window holds {} cells, expected {}",
            window.len(),
            win.len()
        )));
    }
    let t = layout.tile(tile);
    let (gw, gh) = (layout.width as isize, layout.height as isize);
    let zw = |c: isize, r: isize| window[(r as usize - win.row0) * win.cols + (c as usize - win.col0)];
    let inv = [1.0 / distance(0) as f32, 1.0 / distance(1) as f32];
    let n = t.len();
    let mut z = Vec::with_capacity(n);
    let mut dir = vec![NO_DIRECTION; n];
    for li in 0..n {
        let (c, r) = ((t.col0 + li % t.cols) as isize, (t.row0 + li / t.cols) as isize);
        let zi = zw(c, r);
        z.push(zi);
        if is_nodata(zi, nodata) {
            continue;
        }
        let on_edge = r == 0 || c == 0 || r + 1 == gh || c + 1 == gw;
        dir[li] = steepest_descent(
            zi,
            on_edge,
            &inv,
            |v| is_nodata(v, nodata),
            |k| {
                let (cc, rr) = (c + DCOL[k], r + DROW[k]);
                (cc >= 0 && rr >= 0 && cc < gw && rr < gh).then(|| zw(cc, rr))
            },
        );
    }
    let (tc, tr) = (t.cols as isize, t.rows as isize);
    let nb = |li: usize, k: usize| -> Option<usize> {
        let (cc, rr) = ((li % t.cols) as isize + DCOL[k], (li / t.cols) as isize + DROW[k]);
        (cc >= 0 && rr >= 0 && cc < tc && rr < tr).then(|| rr as usize * t.cols + cc as usize)
    };
    // Mark open flats: components of FLAT cells (equal z, 8-connected) touching the tile border.
    let mut stack = vec![];
    for li in 0..n {
        let (c, r) = (t.col0 + li % t.cols, t.row0 + li / t.cols);
        if dir[li] == FLAT && layout.on_tile_border(&t, c, r) {
            dir[li] = OPEN_FLAT;
            stack.push(li);
            while let Some(i) = stack.pop() {
                for k in 0..8 {
                    if let Some(j) = nb(i, k) {
                        if dir[j] == FLAT && z[j] == z[i] {
                            dir[j] = OPEN_FLAT;
                            stack.push(j);
                        }
                    }
                }
            }
        }
    }
    // Closed flats: breadth-first search from their exits in row-major order.
    let mut queue = VecDeque::new();
    for i in 0..n {
        if dir[i] != FLAT
            && dir[i] != OPEN_FLAT
            && !is_nodata(z[i], nodata)
            && (0..8).any(|k| nb(i, k).is_some_and(|j| dir[j] == FLAT && z[j] == z[i]))
        {
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        for k in 0..8 {
            if let Some(j) = nb(i, k) {
                if dir[j] == FLAT && z[j] == z[i] {
                    dir[j] = ((k + 4) % 8) as u8;
                    queue.push_back(j);
                }
            }
        }
    }
    let mut open = vec![];
    let mut exits = vec![];
    for li in 0..n {
        let (c, r) = ((t.col0 + li % t.cols) as isize, (t.row0 + li / t.cols) as isize);
        let cell = (r * gw + c) as u64;
        match dir[li] {
            FLAT => dir[li] = NO_DIRECTION,
            OPEN_FLAT => open.push(CellZ { cell, z: z[li] }),
            _ if !is_nodata(z[li], nodata) => {
                let exit = (0..8).any(|k| {
                    let (cc, rr) = (c + DCOL[k], r + DROW[k]);
                    if cc < 0 || rr < 0 || cc >= gw || rr >= gh || zw(cc, rr) != z[li] {
                        return false;
                    }
                    !t.contains(cc, rr) || dir[t.local(cc as usize, rr as usize)] == OPEN_FLAT
                });
                if exit {
                    exits.push(CellZ { cell, z: z[li] });
                }
            }
            _ => {}
        }
    }
    Ok((dir, FlatTileSummary { tile, open, exits }))
}

/// Step 2: directions of all open flat cells from all tiles' summaries.
pub fn resolve_open_flats(layout: &TileLayout, summaries: &[FlatTileSummary]) -> Result<Vec<TileFlatDirections>> {
    let nt = layout.count();
    let mut seen = vec![false; nt];
    for s in summaries {
        if s.tile >= nt || std::mem::replace(&mut seen[s.tile], true) {
            return Err(Error::invalid(format!("flat summary of tile {} is duplicated or outside the layout", s.tile)));
        }
    }
    if let Some(t) = seen.iter().position(|s| !s) {
        return Err(Error::invalid(format!("flat summary of tile {t} is missing")));
    }
    // The open flat cells of all tiles with their heights, sorted by cell and looked up by binary
    // search, and their directions (17 bytes a cell; a hash map took about twice that).
    let mut open: Vec<(u64, f32)> = summaries.iter().flat_map(|s| s.open.iter().map(|o| (o.cell, o.z))).collect();
    open.sort_unstable_by_key(|c| c.0);
    if let Some(d) = open.windows(2).find(|p| p[0].0 == p[1].0) {
        return Err(Error::invalid(format!("cell {} is an open flat cell of two tiles", d[0].0)));
    }
    let mut dir = vec![FLAT; open.len()];
    let find = |cell: u64| open.binary_search_by_key(&cell, |c| c.0).ok();
    let (w, h) = (layout.width as isize, layout.height as isize);
    let neighbour = |cell: u64, k: usize| -> Option<u64> {
        let (c, r) = ((cell % w as u64) as isize + DCOL[k], (cell / w as u64) as isize + DROW[k]);
        (c >= 0 && r >= 0 && c < w && r < h).then(|| (r * w + c) as u64)
    };
    let mut seeds: Vec<CellZ> = summaries
        .iter()
        .flat_map(|s| s.exits.iter().copied())
        .filter(|e| (0..8).any(|k| neighbour(e.cell, k).and_then(find).is_some_and(|o| open[o].1 == e.z)))
        .collect();
    seeds.sort_by_key(|e| e.cell);
    seeds.dedup_by_key(|e| e.cell);
    let mut queue: VecDeque<CellZ> = seeds.into();
    while let Some(i) = queue.pop_front() {
        for k in 0..8 {
            if let Some(o) = neighbour(i.cell, k).and_then(find) {
                if dir[o] == FLAT && open[o].1 == i.z {
                    dir[o] = ((k + 4) % 8) as u8;
                    queue.push_back(CellZ { cell: open[o].0, z: i.z });
                }
            }
        }
    }
    let mut out: Vec<TileFlatDirections> =
        (0..nt).map(|tile| TileFlatDirections { tile, directions: vec![] }).collect();
    for s in summaries {
        out[s.tile].directions = s
            .open
            .iter()
            .map(|o| {
                let d = find(o.cell).map_or(FLAT, |k| dir[k]);
                (o.cell, if d == FLAT { NO_DIRECTION } else { d })
            })
            .collect();
    }
    Ok(out)
}

/// Step 3: writes the global step's directions into the tile directions of step 1.
pub fn finalise_directions_tile(
    layout: &TileLayout,
    tile: usize,
    directions: &mut [u8],
    flats: &TileFlatDirections,
) -> Result<()> {
    let t = layout.tile(tile);
    if flats.tile != tile || directions.len() != t.len() {
        return Err(Error::invalid(format!("flat directions of tile {} do not fit tile {tile}", flats.tile)));
    }
    for &(cell, d) in &flats.directions {
        let (c, r) = ((cell % layout.width as u64) as usize, (cell / layout.width as u64) as usize);
        if !t.contains(c as isize, r as isize) || directions[t.local(c, r)] != OPEN_FLAT {
            return Err(Error::invalid(format!(
                "flat direction for cell {cell} is not an open flat cell of tile {tile}"
            )));
        }
        directions[t.local(c, r)] = d;
    }
    if directions.contains(&OPEN_FLAT) {
        return Err(Error::invalid(format!("tile {tile}: the global step left open flat cells without a direction")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{directions_tiled, test_dems};

    #[test]
    fn tiled_directions_equal_single_machine() {
        for (k, dem) in test_dems().iter().enumerate() {
            let filled = zwilling_rain::fill::fill_depressions(dem).unwrap();
            let reference = zwilling_rain::d8::flow_directions_d8(&filled);
            for (tw, th) in [(1, 1), (2, 3), (7, 5), (16, 16), (13, 29), (dem.width, dem.height)] {
                let layout = TileLayout::new(dem.width, dem.height, tw, th).unwrap();
                let tiled = directions_tiled(&filled, layout).unwrap();
                if let Some(i) = reference.data.iter().zip(&tiled.data).position(|(a, b)| a != b) {
                    panic!("dem {k}, tiles {tw}×{th}: cell {i} has {} instead of {}", tiled.data[i], reference.data[i]);
                }
            }
        }
    }
}
