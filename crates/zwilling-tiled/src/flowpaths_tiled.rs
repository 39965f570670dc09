//! Flow paths from tiles: the `flow_paths` layer of `zwilling_rain::flowpaths` computed tile by
//! tile, equal to `flow_paths(dir, acc, threshold_m2, crs)` on the whole grid.
//!
//! A cell is on a path when `A · Δx · Δy ≥ threshold` (`A` the D8 accumulation in cells); lines
//! start at every path cell with `up ≠ 1` upstream path cells (heads and junctions), in scan
//! order, and follow the D8 directions until the next path cell is missing or a junction, which
//! ends the line on itself. Both facts — "on a path" and "`up`" — need only the cell's eight
//! neighbours, so with a one-cell halo a tile knows them for all its cells:
//!
//! 1. [`flow_paths_tile_pass`], per tile (directions and accumulation on the tile plus a one-cell
//!    halo): the network inside the tile as **pieces**, each a run of path cells in flow order,
//!    starting at a line start (head or junction) or at an **entry** (a path cell whose single
//!    upstream path cell lies in another tile), and ending where the line ends or where the flow
//!    crosses into another tile (`exit`, the path cell entered there).
//! 2. [`stitch_flow_paths`], once: from every line start in scan order, append the piece that
//!    starts at the exit cell while that is an entry; an exit into a junction ends the line on the
//!    junction cell. Vertices (cell centres of the whole grid's transform), the length (the step
//!    lengths added in flow order), `cells` and `upstream_area_m2` are then computed as
//!    `flow_paths` computes them, so the layers are equal bit for bit.
//!
//! The summaries hold the path cells of the tile (8 bytes each), i.e. the network, not the DEM.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::{accumulation::flow_accumulation_d8, d8::flow_directions_d8, flowpaths::flow_paths};
//! use zwilling_tiled::{flowpaths_tiled::flow_paths_tiled, TileLayout};
//! let mut dem = Grid::filled(6, 3, GeoTransform::new(0.0, 3.0, 1.0), 0.0f32);
//! for (i, z) in dem.data.iter_mut().enumerate() { *z = 10.0 - (i % 6) as f32; }
//! let dir = flow_directions_d8(&dem);
//! let acc = flow_accumulation_d8(&dir, None);
//! let tiled = flow_paths_tiled(&dir, &acc, TileLayout::new(6, 3, 2, 2).unwrap(), 3.0, &dem.crs).unwrap();
//! let whole = flow_paths(&dir, &acc, 3.0, &dem.crs);
//! assert_eq!(format!("{tiled:?}"), format!("{whole:?}")); // z is NaN: compare the printed bits
//! assert_eq!(tiled.features.len(), 3);
//! ```

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zwilling_core::{CrsInfo, Error, Feature, GeoTransform, Geometry, Grid, Layer, Result, Value};
use zwilling_rain::flowpaths::{empty_flow_paths_layer, step_length};
use zwilling_rain::neighbours::{DCOL, DROW};

use crate::layout::TileLayout;

/// A run of flow-path cells inside one tile, in flow order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathPiece {
    /// True when a line starts at the first cell (a head or a junction: not exactly one upstream
    /// path cell); false when the first cell is entered from another tile.
    pub line_start: bool,
    /// Global cell indices `row · width + col`, first cell first.
    pub cells: Vec<u64>,
    /// The path cell of another tile the last cell drains into (the line goes on there).
    pub exit: Option<u64>,
    /// True when the last cell is a junction (the line ends on it).
    pub ends_at_junction: bool,
    /// Accumulation (cells) of the first cell.
    #[serde(with = "crate::exact::f64_bits")]
    pub acc_first: f64,
    /// Accumulation (cells) of the last cell.
    #[serde(with = "crate::exact::f64_bits")]
    pub acc_last: f64,
}

/// What step 1 of one tile hands to [`stitch_flow_paths`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowPathTileSummary {
    /// Tile number.
    pub tile: usize,
    /// Pieces in scan order of their first cell.
    pub pieces: Vec<PathPiece>,
}

/// Step 1 for tile `tile`: `dir` (D8 direction index 0–7, anything else none, as
/// `zwilling_rain::d8`) and `acc` (D8 accumulation in cells) on `layout.window(tile, 1)` — the
/// tile with a one-cell halo, clipped to the grid — row-major; `transform` is the whole grid's.
pub fn flow_paths_tile_pass(
    layout: &TileLayout,
    tile: usize,
    dir: &[u8],
    acc: &[f64],
    transform: &GeoTransform,
    threshold_m2: f64,
) -> Result<FlowPathTileSummary> {
    if tile >= layout.count() {
        return Err(Error::invalid(format!("tile {tile} does not exist (layout has {} tiles)", layout.count())));
    }
    let (t, win) = (layout.tile(tile), layout.window(tile, 1));
    if dir.len() != win.len() || acc.len() != win.len() {
        return Err(Error::invalid(format!(
            "tile {tile}: directions or accumulation do not have the {} cells of the tile with its halo",
            win.len()
        )));
    }
    let cell_area = transform.cell_x * transform.cell_y;
    let on_path: Vec<bool> = acc.iter().map(|&a| a * cell_area >= threshold_m2).collect();
    // downstream window index of window cell i, None without direction or outside the window
    let next = |i: usize| -> Result<Option<(isize, isize)>> {
        let d = dir[i] as usize;
        if d >= 8 {
            return Ok(None);
        }
        let (c, r) = ((win.col0 + i % win.cols) as isize, (win.row0 + i / win.cols) as isize);
        let (cc, rr) = (c + DCOL[d], r + DROW[d]);
        if cc < 0 || rr < 0 || cc >= layout.width as isize || rr >= layout.height as isize {
            return Err(Error::invalid(format!("tile {tile}: cell ({c}, {r}) drains off the grid")));
        }
        Ok(Some((cc, rr)))
    };
    // upstream path cells of each window cell, and whether one of them lies outside the tile
    let mut up = vec![0u8; win.len()];
    let mut up_outside = vec![false; win.len()];
    for i in 0..win.len() {
        if !on_path[i] {
            continue;
        }
        if let Some((cc, rr)) = next(i)? {
            if win.contains(cc, rr) {
                let j = win.local(cc as usize, rr as usize);
                if on_path[j] {
                    up[j] = up[j].saturating_add(1);
                    let (c, r) = ((win.col0 + i % win.cols) as isize, (win.row0 + i / win.cols) as isize);
                    up_outside[j] |= !t.contains(c, r);
                }
            }
        }
    }
    let global = |c: isize, r: isize| (r as u64) * layout.width as u64 + c as u64;
    let mut pieces = vec![];
    for r in t.row0..t.row0 + t.rows {
        for c in t.col0..t.col0 + t.cols {
            let s = win.local(c, r);
            let line_start = up[s] != 1;
            if !on_path[s] || !(line_start || up_outside[s]) {
                continue;
            }
            let mut piece = PathPiece {
                line_start,
                cells: vec![global(c as isize, r as isize)],
                exit: None,
                ends_at_junction: false,
                acc_first: acc[s],
                acc_last: acc[s],
            };
            let mut i = s;
            while let Some((cc, rr)) = next(i)? {
                // every downstream cell of a tile cell lies in the window
                let j = win.local(cc as usize, rr as usize);
                if !on_path[j] {
                    break;
                }
                if !t.contains(cc, rr) {
                    piece.exit = Some(global(cc, rr));
                    break;
                }
                piece.cells.push(global(cc, rr));
                piece.acc_last = acc[j];
                i = j;
                if up[j] != 1 {
                    piece.ends_at_junction = true;
                    break;
                }
            }
            pieces.push(piece);
        }
    }
    Ok(FlowPathTileSummary { tile, pieces })
}

/// Step 2: the `flow_paths` layer from all tiles' pieces, equal to
/// `zwilling_rain::flowpaths::flow_paths` on the whole grid.
pub fn stitch_flow_paths(
    layout: &TileLayout,
    transform: &GeoTransform,
    summaries: &[FlowPathTileSummary],
    crs: &CrsInfo,
) -> Result<Layer> {
    let nt = layout.count();
    let mut seen = vec![false; nt];
    for s in summaries {
        if s.tile >= nt || std::mem::replace(&mut seen[s.tile], true) {
            return Err(Error::invalid(format!(
                "flow-path summary of tile {} is duplicated or outside the layout",
                s.tile
            )));
        }
    }
    if let Some(t) = seen.iter().position(|s| !s) {
        return Err(Error::invalid(format!("flow-path summary of tile {t} is missing")));
    }
    let pieces: Vec<&PathPiece> = summaries.iter().flat_map(|s| &s.pieces).filter(|p| !p.cells.is_empty()).collect();
    let mut by_start: HashMap<u64, &PathPiece> = HashMap::with_capacity(pieces.len());
    for p in &pieces {
        if by_start.insert(p.cells[0], p).is_some() {
            return Err(Error::invalid(format!("two flow-path pieces start at cell {}", p.cells[0])));
        }
    }
    let mut starts: Vec<&PathPiece> = pieces.iter().copied().filter(|p| p.line_start).collect();
    starts.sort_unstable_by_key(|p| p.cells[0]);
    let w = layout.width as u64;
    let cell_area = transform.cell_x * transform.cell_y;
    let mut layer = empty_flow_paths_layer(crs);
    for first in starts {
        let mut cells = first.cells.clone();
        let (mut exit, mut junction, mut acc_last) = (first.exit, first.ends_at_junction, first.acc_last);
        let mut hops = 0usize;
        while let Some(j) = exit {
            let q = by_start.get(&j).ok_or_else(|| {
                Error::invalid(format!("flow path enters cell {j}, but no tile has a piece starting there"))
            })?;
            hops += 1;
            if hops > pieces.len() {
                return Err(Error::invalid("the flow-path pieces form a cycle across tiles"));
            }
            if q.line_start {
                cells.push(j);
                (exit, junction, acc_last) = (None, true, q.acc_first);
            } else {
                cells.extend_from_slice(&q.cells);
                (exit, junction, acc_last) = (q.exit, q.ends_at_junction, q.acc_last);
            }
        }
        if cells.len() < 2 {
            continue;
        }
        let cr = |i: u64| ((i % w) as usize, (i / w) as usize);
        let line: Vec<[f64; 3]> = cells
            .iter()
            .map(|&i| {
                let (x, y) = transform.cell_center(cr(i).0, cr(i).1);
                [x, y, f64::NAN]
            })
            .collect();
        let mut length = 0.0;
        for pair in cells.windows(2) {
            let ((c0, r0), (c1, r1)) = (cr(pair[0]), cr(pair[1]));
            length += step_length(transform, c1 as isize - c0 as isize, r1 as isize - r0 as isize);
        }
        let id = layer.features.len() as i64 + 1;
        layer.features.push(Feature {
            geometry: Geometry::LineString(line),
            values: vec![
                Value::Int(id),
                Value::Real(acc_last * cell_area),
                Value::Real(length),
                Value::Int(cells.len() as i64 - junction as i64),
            ],
        });
    }
    Ok(layer)
}

/// Both steps in memory (tiles in parallel): the `flow_paths` layer of `dir` and `acc`, equal to
/// `zwilling_rain::flowpaths::flow_paths(dir, acc, threshold_m2, crs)`.
pub fn flow_paths_tiled(
    dir: &Grid<u8>,
    acc: &Grid<f64>,
    layout: TileLayout,
    threshold_m2: f64,
    crs: &CrsInfo,
) -> Result<Layer> {
    layout.check_size(dir.width, dir.height)?;
    layout.check_size(acc.width, acc.height)?;
    let summaries = (0..layout.count())
        .into_par_iter()
        .map(|t| {
            let win = layout.window(t, 1);
            let (d, a) = (win.extract(&dir.data, dir.width), win.extract(&acc.data, acc.width));
            flow_paths_tile_pass(&layout, t, &d, &a, &dir.transform, threshold_m2)
        })
        .collect::<Result<Vec<_>>>()?;
    stitch_flow_paths(&layout, &dir.transform, &summaries, crs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::test_dems;
    use zwilling_rain::flowpaths::flow_paths;
    use zwilling_rain::{accumulation::flow_accumulation_d8, d8::flow_directions_d8, fill::fill_depressions};

    fn routed(dem: &Grid<f32>) -> (Grid<u8>, Grid<f64>) {
        let dir = flow_directions_d8(&fill_depressions(dem).unwrap());
        let acc = flow_accumulation_d8(&dir, None);
        (dir, acc)
    }

    /// Layers compared by their printed form: z is NaN, and `{:?}` prints every f64 so that it
    /// reads back to the same bits.
    fn same(a: &Layer, b: &Layer) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn tiled_flow_paths_equal_the_whole_grid() {
        for (k, dem) in test_dems().iter().enumerate() {
            let (dir, acc) = routed(dem);
            let (w, h) = (dem.width, dem.height);
            for threshold in [1.0, 3.0, 12.0] {
                let whole = flow_paths(&dir, &acc, threshold, &dem.crs);
                if k < 3 {
                    assert!(whole.features.len() > 5, "dem {k}, threshold {threshold}");
                }
                for (tw, th) in [(w, h), (w.div_ceil(2), h.div_ceil(2)), (w.div_ceil(3), h.div_ceil(2)), (1, 1), (7, 5)]
                {
                    let layout = TileLayout::new(w, h, tw, th).unwrap();
                    let tiled = flow_paths_tiled(&dir, &acc, layout, threshold, &dem.crs).unwrap();
                    assert!(same(&tiled, &whole), "dem {k}, threshold {threshold}, tiles {tw}×{th}");
                }
            }
        }
    }

    #[test]
    fn junctions_on_tile_borders_and_paths_through_tile_corners() {
        // The comparison above means something only if lines cross tile corners diagonally and
        // junctions sit on tile borders: count both on the rough DEM with 7 × 5 tiles.
        let dem = &test_dems()[0];
        let (dir, acc) = routed(dem);
        let layout = TileLayout::new(dem.width, dem.height, 7, 5).unwrap();
        let w = dem.width;
        let on = |i: usize| acc.data[i] >= 3.0;
        let mut up = vec![0; dem.len()];
        let (mut corner_steps, mut border_junctions) = (0, 0);
        for i in (0..dem.len()).filter(|&i| on(i)) {
            let d = dir.data[i] as usize;
            if d < 8 {
                let (c, r) = ((i % w) as isize, (i / w) as isize);
                let (cc, rr) = ((c + DCOL[d]) as usize, (r + DROW[d]) as usize);
                let j = rr * w + cc;
                if on(j) {
                    up[j] += 1;
                    let (a, b) = (layout.tile_of(c as usize, r as usize), layout.tile_of(cc, rr));
                    let tx = layout.tiles_x();
                    corner_steps += (a % tx != b % tx && a / tx != b / tx) as usize;
                }
            }
        }
        for (i, &n) in up.iter().enumerate() {
            let (c, r) = (i % w, i / w);
            border_junctions += (n >= 2 && layout.on_tile_border(&layout.tile(layout.tile_of(c, r)), c, r)) as usize;
        }
        assert!(corner_steps >= 2, "{corner_steps} steps through tile corners");
        assert!(border_junctions >= 5, "{border_junctions} junctions on tile borders");
        let whole = flow_paths(&dir, &acc, 3.0, &dem.crs);
        assert!(same(&flow_paths_tiled(&dir, &acc, layout, 3.0, &dem.crs).unwrap(), &whole));
    }

    #[test]
    fn pieces_round_trip_through_json() {
        let dem = &test_dems()[2];
        let (dir, acc) = routed(dem);
        let layout = TileLayout::new(dem.width, dem.height, 7, 5).unwrap();
        let summaries: Vec<FlowPathTileSummary> = (0..layout.count())
            .map(|t| {
                let win = layout.window(t, 1);
                let (d, a) = (win.extract(&dir.data, dir.width), win.extract(&acc.data, acc.width));
                let s = flow_paths_tile_pass(&layout, t, &d, &a, &dir.transform, 2.0).unwrap();
                serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap()
            })
            .collect();
        assert!(summaries.iter().any(|s| s.pieces.iter().any(|p| !p.line_start)), "no piece enters a tile");
        let layer = stitch_flow_paths(&layout, &dir.transform, &summaries, &dem.crs).unwrap();
        assert!(same(&layer, &flow_paths(&dir, &acc, 2.0, &dem.crs)));
        assert!(stitch_flow_paths(&layout, &dir.transform, &summaries[1..], &dem.crs).is_err());
        // a window without its halo is refused
        let d = layout.tile(0).extract(&dir.data, dir.width);
        let a = layout.tile(0).extract(&acc.data, acc.width);
        assert!(flow_paths_tile_pass(&layout, 0, &d, &a, &dir.transform, 2.0).is_err());
    }

    #[test]
    fn a_line_across_tiles_into_a_junction() {
        // Hand-made: row 1 of a 7 × 3 grid drains east to an outlet at (6, 1); cell (0, 0) drains
        // south-east into (1, 1), making (1, 1) a junction. Threshold 1 cell: every cell is on a
        // path. Tiles 2 × 3: the line from (1, 1) runs through four tiles; tiles 1 × 3: the lines
        // into the junction enter it from another tile.
        let mut dir = Grid::filled(7, 3, GeoTransform::new(0.0, 3.0, 1.0), 255u8);
        for c in 0..6 {
            dir.data[7 + c] = 0; // east
        }
        dir.data[0] = 7; // south-east
        let acc = flow_accumulation_d8(&dir, None);
        let whole = flow_paths(&dir, &acc, 1.0, &dir.crs);
        for tw in [1, 2] {
            let layout = TileLayout::new(7, 3, tw, 3).unwrap();
            assert!(same(&flow_paths_tiled(&dir, &acc, layout, 1.0, &dir.crs).unwrap(), &whole), "tiles {tw} × 3");
        }
        let tiled = flow_paths_tiled(&dir, &acc, TileLayout::new(7, 3, 1, 3).unwrap(), 1.0, &dir.crs).unwrap();
        // lines: (0,0)→(1,1) ends on the junction; (0,1)→(1,1); (1,1)→…→(6,1) of 6 cells.
        assert_eq!(tiled.features.len(), 3);
        let v = |k: usize| tiled.features[k].values.clone();
        assert_eq!(v(0), vec![Value::Int(1), Value::Real(3.0), Value::Real(2f64.sqrt()), Value::Int(1)]);
        assert_eq!(v(2), vec![Value::Int(3), Value::Real(8.0), Value::Real(5.0), Value::Int(6)]);
    }
}
