//! Sinks from tiles: the `sinks` layer of `zwilling_rain::sinks` computed tile by tile, equal to
//! `sinks_layer(&find_sinks(dem, filled, min_depth), crs)` on the whole grid.
//!
//! A sink is a 4-connected region of cells with depth `d = max(filled − dem, 0) > min_depth`
//! (`zwilling_rain::sinks::cell_depth`). Connected-component labelling is local except where a
//! region crosses a tile border, so the work has two steps (block-wise connected-component
//! labelling whose blocks are joined by a union-find over the cells of the block borders):
//!
//! 1. [`sinks_tile_pass`], per tile (the tile's DEM and filled cells, no halo): label the regions
//!    of the tile exactly as `find_sinks` does and sum per region its [`SinkStats`] (cells, exact
//!    depth sum, largest depth, spill elevation). A region that does not touch the tile border is
//!    a whole sink: its outline is traced here. A region touching the border reports its cells on
//!    the border and its boundary edges `(cell, side)` — sides facing another tile are kept
//!    tentatively, since the tile cannot see the cell across.
//! 2. [`solve_sinks`], once: union-find joins parts whose border cells are 4-neighbours across a
//!    tile border; statistics merge exactly (integer cell counts, `ExactSum` depth sums, max);
//!    the joined parts' edges, without those between two joined cells, sorted by cell and side,
//!    are exactly the edges `region_polygons` walks on the whole grid, so `trace_polygons` gives
//!    the same rings; sinks are numbered in scan order of their first cell.
//!
//! What crosses the network is per sink its statistics and outline (the output), and for sinks
//! on tile borders their border cells and boundary edges — proportional to perimeters, never to
//! the DEM's area.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::{fill::fill_depressions, sinks};
//! use zwilling_tiled::{sinks_tiled::sinks_layer_tiled, TileLayout};
//! let mut dem = Grid::filled(6, 6, GeoTransform::new(0.0, 6.0, 1.0), 5.0f32);
//! for i in [14, 15, 20, 21] { dem.data[i] = 4.0; } // a pit on the corner of four 3 × 3 tiles
//! let filled = fill_depressions(&dem).unwrap();
//! let tiled = sinks_layer_tiled(&dem, &filled, TileLayout::new(6, 6, 3, 3).unwrap(), 0.0, &dem.crs).unwrap();
//! assert_eq!(tiled, sinks::sinks_layer(&sinks::find_sinks(&dem, &filled, 0.0), &dem.crs));
//! assert_eq!(tiled.features.len(), 1);
//! ```

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zwilling_core::{CrsInfo, Error, GeoTransform, Grid, Layer, Polygon, Result};
use zwilling_rain::polygonize::{boundary_edges, cell_edge, label_components, trace_polygons, SIDE_NEIGHBOUR};
use zwilling_rain::sinks::{cell_depth, sinks_layer, ExactSum, Sink, SinkStats};

use crate::layout::{TileLayout, TileRect};

/// [`SinkStats`] with every float as its bits (exact in any serde format).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatsBits {
    /// Number of cells.
    pub cells: u64,
    /// Fixed-point depth sum (`ExactSum::limbs`).
    pub depth_sum: [u64; 6],
    /// `ExactSum::infinite`.
    pub depth_infinite: bool,
    /// Largest depth, `f64::to_bits`.
    pub max_depth: u64,
    /// Spill elevation, `f64::to_bits`.
    pub spill: u64,
}

impl From<&SinkStats> for StatsBits {
    fn from(s: &SinkStats) -> Self {
        StatsBits {
            cells: s.cells,
            depth_sum: s.depth_sum.limbs,
            depth_infinite: s.depth_sum.infinite,
            max_depth: s.max_depth.to_bits(),
            spill: s.spill.to_bits(),
        }
    }
}

impl From<&StatsBits> for SinkStats {
    fn from(s: &StatsBits) -> Self {
        SinkStats {
            cells: s.cells,
            depth_sum: ExactSum { limbs: s.depth_sum, infinite: s.depth_infinite },
            max_depth: f64::from_bits(s.max_depth),
            spill: f64::from_bits(s.spill),
        }
    }
}

/// A polygon with its coordinates as `f64` bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolygonBits {
    /// Exterior ring `[x, y]` bits.
    pub exterior: Vec<[u64; 2]>,
    /// Holes.
    pub holes: Vec<Vec<[u64; 2]>>,
}

fn ring_bits(r: &[[f64; 2]]) -> Vec<[u64; 2]> {
    r.iter().map(|p| [p[0].to_bits(), p[1].to_bits()]).collect()
}

fn ring_f64(r: &[[u64; 2]]) -> Vec<[f64; 2]> {
    r.iter().map(|p| [f64::from_bits(p[0]), f64::from_bits(p[1])]).collect()
}

impl From<&Polygon> for PolygonBits {
    fn from(p: &Polygon) -> Self {
        PolygonBits { exterior: ring_bits(&p.exterior), holes: p.holes.iter().map(|h| ring_bits(h)).collect() }
    }
}

impl From<&PolygonBits> for Polygon {
    fn from(p: &PolygonBits) -> Self {
        Polygon { exterior: ring_f64(&p.exterior), holes: p.holes.iter().map(|h| ring_f64(h)).collect() }
    }
}

/// The part of a sink inside one tile (a 4-connected region of the tile's sink cells).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkPart {
    /// Global index `row · width + col` of the part's first cell in scan order.
    pub first_cell: u64,
    /// The part's statistics.
    pub stats: StatsBits,
    /// The finished outline of a part that does not touch the tile border (then a whole sink).
    pub outline: Option<Vec<PolygonBits>>,
    /// The part's cells on the tile border (global indices, scan order); empty with `outline`.
    pub border: Vec<u64>,
    /// Boundary edges `(global cell, side)` (side as `zwilling_rain::polygonize::SIDE_NEIGHBOUR`)
    /// in scan order, sides facing another tile included; empty with `outline`.
    pub edges: Vec<(u64, u8)>,
}

/// What step 1 of one tile hands to [`solve_sinks`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkTileSummary {
    /// Tile number.
    pub tile: usize,
    /// The tile's sink parts in scan order of their first cell.
    pub parts: Vec<SinkPart>,
}

/// Step 1 for tile `tile`: `dem` and `filled` hold the tile's cells (`layout.tile(tile)`,
/// row-major, no halo) with their grids' NoData values; `transform` is the whole grid's;
/// `min_depth` (m) as in `find_sinks`.
#[allow(clippy::too_many_arguments)]
pub fn sinks_tile_pass(
    layout: &TileLayout,
    tile: usize,
    dem: &[f32],
    filled: &[f32],
    dem_nodata: Option<f64>,
    filled_nodata: Option<f64>,
    transform: &GeoTransform,
    min_depth: f64,
) -> Result<SinkTileSummary> {
    if tile >= layout.count() {
        return Err(Error::invalid(format!("tile {tile} does not exist (layout has {} tiles)", layout.count())));
    }
    let t = layout.tile(tile);
    if dem.len() != t.len() || filled.len() != t.len() {
        return Err(Error::invalid(format!("tile {tile}: DEM or filled DEM does not have {} cells", t.len())));
    }
    let depth: Vec<f32> = dem.iter().zip(filled).map(|(&z, &f)| cell_depth(z, f, dem_nodata, filled_nodata)).collect();
    let mask: Vec<bool> = depth.iter().map(|&d| d as f64 > min_depth).collect();
    let (labels, regions) = label_components(&mask, t.cols, t.rows);
    let global = |li: usize| (t.col0 + li % t.cols, t.row0 + li / t.cols);
    let index = |(c, r): (usize, usize)| (r * layout.width + c) as u64;
    let parts = regions
        .iter()
        .enumerate()
        .map(|(k, cells)| {
            let label = k as u32 + 1;
            let mut stats = SinkStats::default();
            for &li in cells {
                stats.add_cell(depth[li], filled[li]);
            }
            let inside = |c: i64, r: i64| t.contains(c as isize, r as isize) && labels[local(&t, c, r)] == label;
            let border: Vec<u64> = cells
                .iter()
                .map(|&li| global(li))
                .filter(|&(c, r)| layout.on_tile_border(&t, c, r))
                .map(index)
                .collect();
            let cr = cells.iter().map(|&li| global(li)).map(|(c, r)| (c as i64, r as i64));
            let (outline, edges) = if border.is_empty() {
                let polys = trace_polygons(&boundary_edges(cr, inside), transform);
                (Some(polys.iter().map(PolygonBits::from).collect()), vec![])
            } else {
                let mut edges = vec![];
                for (c, r) in cr {
                    for (side, (dc, dr)) in SIDE_NEIGHBOUR.iter().enumerate() {
                        if !inside(c + dc, r + dr) {
                            edges.push((index((c as usize, r as usize)), side as u8));
                        }
                    }
                }
                (None, edges)
            };
            SinkPart { first_cell: index(global(cells[0])), stats: (&stats).into(), outline, border, edges }
        })
        .collect();
    Ok(SinkTileSummary { tile, parts })
}

#[inline]
fn local(t: &TileRect, c: i64, r: i64) -> usize {
    t.local(c as usize, r as usize)
}

fn find(parent: &mut [usize], mut a: usize) -> usize {
    while parent[a] != a {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    a
}

/// Step 2: the sinks of the whole grid from all tiles' summaries, equal to
/// `zwilling_rain::sinks::find_sinks` (ids, order, statistics and outlines).
pub fn solve_sinks(layout: &TileLayout, transform: &GeoTransform, summaries: &[SinkTileSummary]) -> Result<Vec<Sink>> {
    let nt = layout.count();
    let mut seen = vec![false; nt];
    for s in summaries {
        if s.tile >= nt || std::mem::replace(&mut seen[s.tile], true) {
            return Err(Error::invalid(format!("sink summary of tile {} is duplicated or outside the layout", s.tile)));
        }
    }
    if let Some(t) = seen.iter().position(|s| !s) {
        return Err(Error::invalid(format!("sink summary of tile {t} is missing")));
    }
    let parts: Vec<&SinkPart> = summaries.iter().flat_map(|s| &s.parts).collect();
    let mut owner: HashMap<u64, usize> = HashMap::new();
    for (k, p) in parts.iter().enumerate() {
        for &cell in &p.border {
            owner.insert(cell, k);
        }
    }
    let (w, h) = (layout.width as i64, layout.height as i64);
    let split = |cell: u64| ((cell % w as u64) as i64, (cell / w as u64) as i64);
    // the cell across `side` of `cell` when it lies in the grid
    let across = |cell: u64, side: u8| {
        let (c, r) = split(cell);
        let (dc, dr) = SIDE_NEIGHBOUR[side as usize];
        let (cc, rr) = (c + dc, r + dr);
        (cc >= 0 && rr >= 0 && cc < w && rr < h).then(|| (rr * w + cc) as u64)
    };
    let mut parent: Vec<usize> = (0..parts.len()).collect();
    for (k, p) in parts.iter().enumerate() {
        for &cell in &p.border {
            for side in 0..4 {
                if let Some(&j) = across(cell, side).and_then(|q| owner.get(&q)) {
                    let (a, b) = (find(&mut parent, k), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for k in 0..parts.len() {
        groups.entry(find(&mut parent, k)).or_default().push(k);
    }
    let mut groups: Vec<(u64, Vec<usize>)> =
        groups.into_values().map(|g| (g.iter().map(|&k| parts[k].first_cell).min().unwrap_or(0), g)).collect();
    groups.sort_unstable_by_key(|g| g.0);
    let cell_area = transform.cell_x * transform.cell_y;
    let tile_of = |cell: u64| {
        let (c, r) = split(cell);
        layout.tile_of(c as usize, r as usize)
    };
    groups
        .par_iter()
        .enumerate()
        .map(|(k, (_, members))| {
            let mut stats = SinkStats::default();
            for &m in members {
                stats.merge(&SinkStats::from(&parts[m].stats));
            }
            let outline = match (members.as_slice(), &parts[members[0]].outline) {
                ([_], Some(polys)) => polys.iter().map(Polygon::from).collect(),
                _ => {
                    let mut edges: Vec<(u64, u8)> = members
                        .iter()
                        .flat_map(|&m| parts[m].edges.iter().copied())
                        .filter(|&(cell, side)| {
                            // drop edges between two cells of the sink in different tiles
                            across(cell, side).is_none_or(|q| tile_of(q) == tile_of(cell) || !owner.contains_key(&q))
                        })
                        .collect();
                    edges.sort_unstable();
                    let edges: Vec<_> = edges
                        .into_iter()
                        .map(|(cell, side)| {
                            let (c, r) = split(cell);
                            cell_edge(c, r, side)
                        })
                        .collect();
                    trace_polygons(&edges, transform)
                }
            };
            Ok(stats.to_sink(k as u32 + 1, cell_area, outline))
        })
        .collect()
}

/// Both steps in memory (tiles in parallel): the `sinks` layer of `dem` and its filled version
/// `filled`, equal to `sinks_layer(&find_sinks(dem, filled, min_depth), crs)`.
pub fn sinks_layer_tiled(
    dem: &Grid<f32>,
    filled: &Grid<f32>,
    layout: TileLayout,
    min_depth: f64,
    crs: &CrsInfo,
) -> Result<Layer> {
    layout.check_size(dem.width, dem.height)?;
    layout.check_size(filled.width, filled.height)?;
    let summaries = (0..layout.count())
        .into_par_iter()
        .map(|t| {
            let rect = layout.tile(t);
            let (z, f) = (rect.extract(&dem.data, dem.width), rect.extract(&filled.data, filled.width));
            sinks_tile_pass(&layout, t, &z, &f, dem.nodata, filled.nodata, &dem.transform, min_depth)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(sinks_layer(&solve_sinks(&layout, &dem.transform, &summaries)?, crs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::test_dems;
    use zwilling_core::GeoTransform;
    use zwilling_rain::{fill::fill_depressions, sinks::find_sinks};

    /// 24 × 18 cells of 0.5 m on a slope: a pit inside one tile, a trench across the column
    /// border of 12 × 9 tiles, a moat around a dry island on the corner of four such tiles, a pit
    /// next to the north edge of the DEM, and a NoData block.
    fn designed_dem() -> Grid<f32> {
        let mut dem = Grid::filled(24, 18, GeoTransform::new(100.0, 50.0, 0.5), 0.0f32);
        for r in 0..18 {
            for c in 0..24 {
                let (x, y) = (c as f32, r as f32);
                let d = ((x - 11.5).powi(2) + (y - 8.5).powi(2)).sqrt();
                dem.data[r * 24 + c] = match (c, r) {
                    (3..5, 2..4) => 9.0,
                    (10..15, 2..4) => 9.0 + 0.1 * (x - 10.0),
                    _ if (1.5..=3.5).contains(&d) => 8.0 + 0.05 * x,
                    (18..22, 1) => 9.0,
                    (20..23, 12..16) => f32::NAN,
                    _ => 10.0 + 0.05 * (x + y),
                };
            }
        }
        dem
    }

    fn layouts(w: usize, h: usize) -> Vec<TileLayout> {
        let sizes = [(w, h), (w.div_ceil(2), h.div_ceil(2)), (w.div_ceil(3), h.div_ceil(2)), (1, 1), (7, 5), (5, 4)];
        sizes.iter().map(|&(tw, th)| TileLayout::new(w, h, tw, th).unwrap()).collect()
    }

    /// The tiles the cells of a sink's outline cover.
    fn tiles_of(s: &Sink, layout: &TileLayout, t: &GeoTransform) -> Vec<usize> {
        let mut tiles = vec![];
        for r in 0..layout.height {
            for c in 0..layout.width {
                let (x, y) = t.cell_center(c, r);
                if s.outline.iter().any(|p| p.contains(x, y)) && !tiles.contains(&layout.tile_of(c, r)) {
                    tiles.push(layout.tile_of(c, r));
                }
            }
        }
        tiles
    }

    #[test]
    fn designed_pits_span_one_two_and_four_tiles() {
        let dem = designed_dem();
        let filled = fill_depressions(&dem).unwrap();
        let reference = find_sinks(&dem, &filled, 0.0);
        // The scene is what it claims: on 2 × 2 tiles of 12 × 9 cells there are sinks in 1, 2 and
        // 4 tiles, one with a hole (the island), and one on row 1 next to the DEM edge.
        let quarter = TileLayout::new(24, 18, 12, 9).unwrap();
        let spans: Vec<usize> = reference.iter().map(|s| tiles_of(s, &quarter, &dem.transform).len()).collect();
        for n in [1, 2, 4] {
            assert!(spans.contains(&n), "no sink in {n} tiles: {spans:?}");
        }
        assert!(reference.iter().any(|s| s.outline[0].holes.len() == 1 && s.cells == 28), "moat with island");
        assert!(reference.iter().any(|s| s.outline[0].exterior.iter().any(|p| p[1] == 49.5)), "pit next to the edge");
        for min_depth in [0.0, 0.25, -1.0] {
            let whole = sinks_layer(&find_sinks(&dem, &filled, min_depth), &dem.crs);
            for layout in layouts(24, 18) {
                let tiled = sinks_layer_tiled(&dem, &filled, layout, min_depth, &dem.crs).unwrap();
                assert_eq!(tiled, whole, "min depth {min_depth}, tiles {}×{}", layout.tile_width, layout.tile_height);
            }
        }
    }

    #[test]
    fn random_terrain_sinks_equal_the_whole_grid() {
        // Rough terrain (many small pits), plateaus with NaN holes, a large lake with −9999 NoData,
        // and one-row / one-column strips; min depth −1 makes every valid cell a sink cell, so the
        // regions reach the DEM edge and wrap around NoData.
        for (k, dem) in test_dems().iter().enumerate() {
            let filled = fill_depressions(dem).unwrap();
            for min_depth in [0.0, 0.3, -1.0] {
                let whole = sinks_layer(&find_sinks(dem, &filled, min_depth), &dem.crs);
                if k < 3 && min_depth == 0.0 {
                    assert!(whole.features.len() > 3, "dem {k} has only {} sinks", whole.features.len());
                }
                for layout in layouts(dem.width, dem.height) {
                    let tiled = sinks_layer_tiled(dem, &filled, layout, min_depth, &dem.crs).unwrap();
                    let (tw, th) = (layout.tile_width, layout.tile_height);
                    assert_eq!(tiled, whole, "dem {k}, min depth {min_depth}, tiles {tw}×{th}");
                }
            }
        }
    }

    #[test]
    fn summaries_round_trip_through_json() {
        let dem = &test_dems()[2]; // the lake across many tiles, −9999 NoData
        let filled = fill_depressions(dem).unwrap();
        let layout = TileLayout::new(dem.width, dem.height, 7, 5).unwrap();
        let summaries: Vec<SinkTileSummary> = (0..layout.count())
            .map(|t| {
                let rect = layout.tile(t);
                let (z, f) = (rect.extract(&dem.data, dem.width), rect.extract(&filled.data, dem.width));
                let s = sinks_tile_pass(&layout, t, &z, &f, dem.nodata, filled.nodata, &dem.transform, 0.0).unwrap();
                serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap()
            })
            .collect();
        assert!(summaries.iter().any(|s| s.parts.iter().any(|p| !p.edges.is_empty())));
        let sinks = solve_sinks(&layout, &dem.transform, &summaries).unwrap();
        assert_eq!(sinks, find_sinks(dem, &filled, 0.0));
        // a missing or duplicated tile is an error, not a wrong answer
        assert!(solve_sinks(&layout, &dem.transform, &summaries[1..]).is_err());
        let mut twice = summaries.clone();
        twice[1] = summaries[0].clone();
        assert!(solve_sinks(&layout, &dem.transform, &twice).is_err());
    }
}
