//! Raster regions to polygons: connected-component labelling and an outline tracer.
//!
//! Regions are 4-connected (cells sharing an edge). The tracer walks the cell edges between a
//! region and the rest, with the region on the left, so exterior rings come out
//! counter-clockwise and holes clockwise (OGC / GeoPackage orientation) and collinear vertices
//! are merged. Where two cells of a region touch only at a corner the walk turns right, so a ring
//! never passes a vertex twice: a hole that reaches the outside through a corner becomes a hole
//! touching the exterior at that point, which is valid in the OGC simple-feature model.
//! Coordinates are the cell corners of the grid's [`GeoTransform`]; the polygon area equals the
//! cell count times the cell area exactly.
//!
//! ```
//! use zwilling_core::GeoTransform;
//! use zwilling_rain::polygonize::{label_components, region_polygons};
//! // A 3 × 3 ring of cells around a hole.
//! let mask = [true, true, true, true, false, true, true, true, true];
//! let (labels, regions) = label_components(&mask, 3, 3);
//! assert_eq!(regions.len(), 1);
//! let polys = region_polygons(&labels, 3, 3, 1, &regions[0], &GeoTransform::new(0.0, 3.0, 1.0));
//! assert_eq!(polys.len(), 1);
//! assert_eq!(polys[0].holes.len(), 1);
//! assert_eq!(polys[0].area(), 8.0);
//! ```

use std::collections::HashMap;

use zwilling_core::{GeoTransform, Polygon};

/// Labels the 4-connected regions of `mask` (`w × h`, row-major): labels start at 1, 0 is
/// background. Returns the labels and, per region (label − 1), its cell indices in scan order.
pub fn label_components(mask: &[bool], w: usize, h: usize) -> (Vec<u32>, Vec<Vec<usize>>) {
    let mut labels = vec![0u32; w * h];
    let mut regions: Vec<Vec<usize>> = vec![];
    let mut stack = vec![];
    for start in 0..w * h {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let label = regions.len() as u32 + 1;
        let mut cells = vec![];
        labels[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            cells.push(i);
            let (r, c) = (i / w, i % w);
            let mut visit = |j: usize| {
                if mask[j] && labels[j] == 0 {
                    labels[j] = label;
                    stack.push(j);
                }
            };
            if c > 0 {
                visit(i - 1);
            }
            if c + 1 < w {
                visit(i + 1);
            }
            if r > 0 {
                visit(i - w);
            }
            if r + 1 < h {
                visit(i + w);
            }
        }
        cells.sort_unstable();
        regions.push(cells);
    }
    (labels, regions)
}

/// A directed cell edge between two grid vertices `[col, row]`, the region on its left (in world
/// coordinates, rows growing south).
pub type Edge = ([i64; 2], [i64; 2]);

/// Offsets `(dcol, drow)` of the neighbour across each side of a cell, in the order the outline
/// tracer visits the sides: 0 south, 1 east, 2 north, 3 west.
pub const SIDE_NEIGHBOUR: [(i64, i64); 4] = [(0, 1), (1, 0), (0, -1), (-1, 0)];

/// The boundary edge of cell `(c, r)` on side `side` (see [`SIDE_NEIGHBOUR`]), region on the left.
#[inline]
pub fn cell_edge(c: i64, r: i64, side: u8) -> Edge {
    let (c0, r0, c1, r1) = (c, r, c + 1, r + 1);
    match side {
        0 => ([c0, r1], [c1, r1]),
        1 => ([c1, r1], [c1, r0]),
        2 => ([c1, r0], [c0, r0]),
        _ => ([c0, r0], [c0, r1]),
    }
}

/// The boundary edges of a region: for each cell `(col, row)` of `cells` (in scan order) and each
/// side in [`SIDE_NEIGHBOUR`] order, the side whose neighbour is not `inside`.
pub fn boundary_edges(cells: impl IntoIterator<Item = (i64, i64)>, inside: impl Fn(i64, i64) -> bool) -> Vec<Edge> {
    let mut edges = vec![];
    for (c, r) in cells {
        for (side, (dc, dr)) in SIDE_NEIGHBOUR.iter().enumerate() {
            if !inside(c + dc, r + dr) {
                edges.push(cell_edge(c, r, side as u8));
            }
        }
    }
    edges
}

/// Outline polygons of the region `label` whose cells are `cells` (from [`label_components`]).
/// A 4-connected region gives one polygon (with holes).
pub fn region_polygons(
    labels: &[u32],
    w: usize,
    h: usize,
    label: u32,
    cells: &[usize],
    t: &GeoTransform,
) -> Vec<Polygon> {
    let inside = |c: i64, r: i64| {
        c >= 0 && r >= 0 && (c as usize) < w && (r as usize) < h && labels[r as usize * w + c as usize] == label
    };
    let edges = boundary_edges(cells.iter().map(|&i| ((i % w) as i64, (i / w) as i64)), inside);
    trace_polygons(&edges, t)
}

/// Polygons from the boundary edges of a region, in the order [`boundary_edges`] gives them:
/// rings are walked from the first unused edge, vertices in grid coordinates are mapped to the
/// cell corners of `t`, counter-clockwise rings become exteriors and clockwise ones their holes.
pub fn trace_polygons(edges: &[Edge], t: &GeoTransform) -> Vec<Polygon> {
    let mut out_of: HashMap<[i64; 2], Vec<usize>> = HashMap::with_capacity(edges.len());
    for (k, e) in edges.iter().enumerate() {
        out_of.entry(e.0).or_default().push(k);
    }
    let mut used = vec![false; edges.len()];
    let mut rings: Vec<Vec<[i64; 2]>> = vec![];
    for first in 0..edges.len() {
        if used[first] {
            continue;
        }
        let mut ring = vec![];
        let mut k = first;
        loop {
            used[k] = true;
            let (a, b) = edges[k];
            ring.push(a);
            let dir_in = [b[0] - a[0], b[1] - a[1]];
            let cand = &out_of[&b];
            let next = if cand.len() == 1 {
                cand[0]
            } else {
                // Corner touch: take the right turn (world coordinates, rows grow south).
                *cand
                    .iter()
                    .filter(|&&e| !used[e])
                    .min_by_key(|&&e| {
                        let d = [edges[e].1[0] - edges[e].0[0], edges[e].1[1] - edges[e].0[1]];
                        // cross product in world axes (y = −row): left turn > 0
                        dir_in[0] * (-d[1]) - (-dir_in[1]) * d[0]
                    })
                    .unwrap_or(&first)
            };
            if next == first || used[next] {
                break;
            }
            k = next;
        }
        rings.push(simplify(ring));
    }
    let to_world = |v: &[i64; 2]| [t.origin_x + v[0] as f64 * t.cell_x, t.origin_y - v[1] as f64 * t.cell_y];
    let mut polys: Vec<Polygon> = vec![];
    let mut holes: Vec<Vec<[f64; 2]>> = vec![];
    for ring in rings {
        let world: Vec<[f64; 2]> = ring.iter().map(to_world).collect();
        if zwilling_core::vector::ring_area(&world) > 0.0 {
            polys.push(Polygon::new(world));
        } else {
            holes.push(world);
        }
    }
    for hole in holes {
        // a hole belongs to the exterior that contains its first edge's midpoint
        let (a, b) = (hole[0], hole[1]);
        let (mx, my) = (0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1]));
        let k = polys.iter().position(|p| zwilling_core::vector::ring_contains(&p.exterior, mx, my)).unwrap_or(0);
        if let Some(p) = polys.get_mut(k) {
            p.holes.push(hole);
        }
    }
    polys
}

/// Drops vertices where the ring goes straight on.
fn simplify(ring: Vec<[i64; 2]>) -> Vec<[i64; 2]> {
    let n = ring.len();
    (0..n)
        .filter(|&i| {
            let (p, v, q) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            (v[0] - p[0]) * (q[1] - v[1]) - (v[1] - p[1]) * (q[0] - v[0]) != 0
        })
        .map(|i| ring[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_equal_cell_counts_and_corners_stay_apart() {
        // Two cells touching at a corner form two regions; an L-shape is one.
        #[rustfmt::skip]
        let mask = [
            true,  false, false, true, true,
            false, true,  false, true, false,
            false, false, false, true, true,
        ];
        let (labels, regions) = label_components(&mask, 5, 3);
        assert_eq!(regions.len(), 3);
        let t = GeoTransform::new(10.0, 3.0, 2.0);
        for (k, cells) in regions.iter().enumerate() {
            let polys = region_polygons(&labels, 5, 3, k as u32 + 1, cells, &t);
            assert_eq!(polys.len(), 1);
            assert_eq!(polys[0].area(), cells.len() as f64 * 4.0);
            assert!(zwilling_core::vector::ring_area(&polys[0].exterior) > 0.0, "exterior must be CCW");
        }
        // The C-shape has 8 corners after merging collinear vertices.
        let polys = region_polygons(&labels, 5, 3, 2, &regions[1], &t);
        assert_eq!(polys[0].exterior.len(), 8);
    }

    #[test]
    fn hole_with_a_diagonal_pinch() {
        // A ring whose hole touches the outside only at a corner: one polygon, one hole.
        #[rustfmt::skip]
        let mask = [
            true, true,  true,  false,
            true, false, false, true,
            true, false, false, true,
            true, true,  true,  true,
        ];
        let (labels, regions) = label_components(&mask, 4, 4);
        // (2,0) and (3,1) touch only diagonally, but the region is connected around the other way.
        assert_eq!(regions.len(), 1);
        let polys = region_polygons(&labels, 4, 4, 1, &regions[0], &GeoTransform::new(0.0, 4.0, 1.0));
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].holes.len(), 1);
        assert_eq!(polys[0].area(), 11.0);
        assert!(polys[0].contains(0.5, 0.5) && !polys[0].contains(1.5, 1.5));
    }
}
