//! Digital terrain model by Delaunay TIN interpolation of ground points, with smooth hole filling.
//!
//! 1. **Thinning**: ground points are reduced to the centroid `(x̄, ȳ, z̄)` of each output cell.
//!    On locally planar terrain the centroid lies on the plane, so this loses no accuracy, averages
//!    out measurement noise (σ/√n) and bounds the TIN size by the number of cells, not of points.
//! 2. **TIN**: Delaunay triangulation of the centroids (crate `spade`, Lawson's incremental
//!    algorithm); each cell centre gets the linear (barycentric) interpolation
//!    `z = λ₁z₁ + λ₂z₂ + λ₃z₃` of the triangle containing it.
//! 3. **Holes**: cells in triangles with an edge longer than `max_edge` (under buildings, in scan
//!    shadows) are refilled by membrane inpainting ([`crate::inpaint`]), which continues the
//!    surrounding terrain smoothly instead of drawing long flat facets. Cells outside the convex
//!    hull of the ground points stay NoData (NaN).
//!
//! ```
//! use zwilling_cloud::grid::tin::{tin_dtm, TinParams};
//! use zwilling_core::{GeoTransform, Grid};
//! // Ground points on the plane z = 2 + 0.1·x over 0..10 m; a 10 × 10 grid of 1 m cells.
//! let mut pts = vec![];
//! for i in 0..=20 { for j in 0..=20 { let (x, y) = (i as f64 * 0.5, j as f64 * 0.5); pts.push([x, y, 2.0 + 0.1 * x]); } }
//! let mut dtm = Grid::filled(10, 10, GeoTransform::new(0.0, 10.0, 1.0), f32::NAN);
//! tin_dtm(&pts, &mut dtm, &TinParams::default());
//! assert!((dtm.data[0] - 2.05).abs() < 1e-5); // centre of the top-left cell is x = 0.5
//! ```

use crate::cellhash::CellMap;
use crate::inpaint::inpaint;
use rayon::prelude::*;
use spade::{DelaunayTriangulation, HasPosition, Point2, PositionInTriangulation, Triangulation};
use zwilling_core::{Grid, TilePlan};

/// Parameters of the TIN terrain model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TinParams {
    /// Triangles with an edge longer than this (metres) count as holes and are inpainted.
    pub max_edge: f64,
}

impl Default for TinParams {
    fn default() -> Self {
        TinParams { max_edge: 10.0 }
    }
}

#[derive(Debug, Clone, Copy)]
struct GroundVertex {
    position: Point2<f64>,
    z: f64,
}

impl HasPosition for GroundVertex {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// Per-cell centroid accumulator of ground points aligned with a grid.
#[derive(Debug, Default, Clone)]
pub struct GroundCentroids {
    sums: CellMap<(i64, i64), [f64; 4]>,
}

impl GroundCentroids {
    /// Adds a ground point; `cell` is the thinning cell size, aligned to multiples of it.
    pub fn add(&mut self, x: f64, y: f64, z: f64, cell: f64) {
        let key = ((x / cell).floor() as i64, (y / cell).floor() as i64);
        let s = self.sums.entry(key).or_insert([0.0; 4]);
        s[0] += x;
        s[1] += y;
        s[2] += z;
        s[3] += 1.0;
    }

    /// The centroids, sorted by cell (deterministic order).
    pub fn centroids(&self) -> Vec<[f64; 3]> {
        let mut keys: Vec<_> = self.sums.iter().collect();
        keys.sort_by_key(|(k, _)| **k);
        keys.into_iter().map(|(_, s)| [s[0] / s[3], s[1] / s[3], s[2] / s[3]]).collect()
    }

    /// Number of occupied cells.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    /// True when no point was added.
    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }
}

/// Fills `dtm` with the TIN interpolation of `ground` points (`[x, y, z]`, already thinned or raw).
/// Cells outside the convex hull become NaN.
///
/// Large grids are triangulated tile by tile (tiles of [`TIN_TILE`] cells, each with the points
/// of its core plus a buffer of `2 · max_edge`), in parallel; holes are then inpainted on the
/// whole grid so that fills do not show tile seams.
pub fn tin_dtm(ground: &[[f64; 3]], dtm: &mut Grid<f32>, params: &TinParams) {
    dtm.data.iter_mut().for_each(|v| *v = f32::NAN);
    if ground.len() < 3 || dtm.is_empty() {
        return;
    }
    let (w, h, t) = (dtm.width, dtm.height, dtm.transform);
    let max_edge2 = params.max_edge * params.max_edge;
    let size = TIN_TILE as f64 * t.cell_x;
    let extent = dtm.bounds();
    let overlap = (2.0 * params.max_edge + t.cell_x).min(size);
    let Ok(plan) = TilePlan::new(&extent, size, overlap) else { return };
    let mut bins: Vec<Vec<u32>> = vec![vec![]; plan.tiles.len()];
    for (i, p) in ground.iter().enumerate() {
        let Some(home) = plan.tile_of(p[0], p[1]) else { continue };
        let (hc, hr) = (home % plan.cols, home / plan.cols);
        for row in hr.saturating_sub(1)..=(hr + 1).min(plan.rows - 1) {
            for col in hc.saturating_sub(1)..=(hc + 1).min(plan.cols - 1) {
                let k = row * plan.cols + col;
                if plan.tiles[k].buffered.contains(p[0], p[1]) {
                    bins[k].push(i as u32);
                }
            }
        }
    }
    // Per cell: Some(z) interpolated, Some(NaN) inside a hole, None outside the hull.
    let pieces: Vec<Vec<(usize, Option<f64>)>> = plan
        .tiles
        .par_iter()
        .zip(bins.par_iter())
        .map(|(tile, idx)| {
            let vertices: Vec<GroundVertex> = idx
                .iter()
                .map(|&i| ground[i as usize])
                .map(|p| GroundVertex { position: Point2::new(p[0], p[1]), z: p[2] })
                .collect();
            let tin = DelaunayTriangulation::<GroundVertex>::bulk_load_stable(vertices).ok();
            let mut out = vec![];
            // Cells whose centre lies in the tile core.
            let (c0, r0) = t.world_to_frac(tile.core.min_x, tile.core.max_y);
            let (c1, r1) = t.world_to_frac(tile.core.max_x, tile.core.min_y);
            let cols = (c0.round().max(0.0) as usize)..(c1.round().max(0.0) as usize).min(w);
            for row in (r0.round().max(0.0) as usize)..(r1.round().max(0.0) as usize).min(h) {
                for col in cols.clone() {
                    let (x, y) = t.cell_center(col, row);
                    let v = tin.as_ref().and_then(|tin| interpolate(tin, Point2::new(x, y), max_edge2));
                    out.push((row * w + col, v));
                }
            }
            out
        })
        .collect();
    let mut values: Vec<Option<f64>> = vec![None; w * h];
    for (k, v) in pieces.into_iter().flatten() {
        values[k] = v;
    }
    let mut z: Vec<f64> = values.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    if z.iter().any(|v| v.is_nan()) {
        inpaint(&mut z, w, h);
    }
    for ((out, v), filled) in dtm.data.iter_mut().zip(&values).zip(&z) {
        *out = if v.is_some() { *filled as f32 } else { f32::NAN };
    }
}

/// Tile edge (in cells) of the tiled triangulation in [`tin_dtm`].
pub const TIN_TILE: usize = 1024;

fn interpolate(tin: &DelaunayTriangulation<GroundVertex>, p: Point2<f64>, max_edge2: f64) -> Option<f64> {
    let face = match tin.locate(p) {
        PositionInTriangulation::OnVertex(v) => return Some(tin.vertex(v).data().z),
        PositionInTriangulation::OnFace(f) => tin.face(f),
        PositionInTriangulation::OnEdge(e) => {
            let e = tin.directed_edge(e);
            e.face().as_inner().or_else(|| e.rev().face().as_inner())?
        }
        PositionInTriangulation::OutsideOfConvexHull(_) | PositionInTriangulation::NoTriangulation => return None,
    };
    if face.adjacent_edges().iter().any(|e| e.length_2() > max_edge2) {
        return Some(f64::NAN);
    }
    let [a, b, c] = face.barycentric_interpolation(p);
    let [va, vb, vc] = face.vertices();
    Some(a * va.data().z + b * vb.data().z + c * vc.data().z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    #[test]
    fn reproduces_a_plane_and_leaves_outside_the_hull_empty() {
        let plane = |x: f64, y: f64| 50.0 + 0.03 * x - 0.02 * y;
        let mut pts = vec![];
        let mut k = 7u64;
        for _ in 0..4000 {
            k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let x = (k >> 40) as f64 / (1u64 << 24) as f64 * 40.0;
            k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let y = (k >> 40) as f64 / (1u64 << 24) as f64 * 40.0;
            pts.push([x, y, plane(x, y)]);
        }
        let mut dtm = Grid::filled(100, 100, GeoTransform::new(-5.0, 45.0, 0.5), 0.0f32);
        tin_dtm(&pts, &mut dtm, &TinParams::default());
        for row in 0..100 {
            for col in 0..100 {
                let (x, y) = dtm.transform.cell_center(col, row);
                let v = dtm.data[dtm.idx(col, row)];
                if (1.0..39.0).contains(&x) && (1.0..39.0).contains(&y) {
                    assert!((v as f64 - plane(x, y)).abs() < 1e-4, "({x}, {y}): {v}");
                } else if !(0.0..=40.0).contains(&x) || !(0.0..=40.0).contains(&y) {
                    assert!(v.is_nan(), "outside the hull at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn tiles_join_without_seams() {
        // A grid of 2100 × 40 cells spans three TIN tiles; a curved surface must be continuous.
        let surface = |x: f64, y: f64| 10.0 + (x / 50.0).sin() + 0.01 * y;
        let mut c = GroundCentroids::default();
        for i in 0..=1060 {
            for j in 0..=20 {
                let (x, y) = (i as f64 + 0.3, j as f64 + 0.6);
                c.add(x, y, surface(x, y), 0.5);
            }
        }
        let mut dtm = Grid::filled(2100, 40, GeoTransform::new(0.0, 20.0, 0.5), 0.0f32);
        tin_dtm(&c.centroids(), &mut dtm, &TinParams::default());
        for row in 4..36 {
            for col in 2..2100 {
                let (x, y) = dtm.transform.cell_center(col, row);
                let v = dtm.data[dtm.idx(col, row)] as f64;
                if x > 1.5 && x < 1060.0 {
                    // Linear interpolation of sin(x/50) over 1 m spacing errs by ≤ 1/8 · 1² / 2500.
                    assert!((v - surface(x, y)).abs() < 1e-3, "({x}, {y}): {v}");
                }
            }
        }
    }

    #[test]
    fn a_hole_under_a_building_is_filled_smoothly() {
        // A bowl z = 0.002·((x−20)² + (y−20)²) with no points in a 16 × 16 m square.
        let bowl = |x: f64, y: f64| 0.002 * ((x - 20.0).powi(2) + (y - 20.0).powi(2));
        let mut c = GroundCentroids::default();
        for i in 0..=80 {
            for j in 0..=80 {
                let (x, y) = (i as f64 * 0.5, j as f64 * 0.5);
                if !((12.0..28.0).contains(&x) && (12.0..28.0).contains(&y)) {
                    c.add(x, y, bowl(x, y), 0.5);
                }
            }
        }
        let mut dtm = Grid::filled(40, 40, GeoTransform::new(0.0, 40.0, 1.0), 0.0f32);
        tin_dtm(&c.centroids(), &mut dtm, &TinParams { max_edge: 5.0 });
        let (col, row) = (20, 19); // centre (20.5, 20.5), deepest point of the hole
        let v = dtm.data[dtm.idx(col, row)] as f64;
        // The membrane continues the rim (z = 0.128 at the rim middle); it must stay between the
        // true bottom (0) and the rim's highest value (0.256 at the corners).
        assert!((0.0..0.26).contains(&v), "hole centre {v}");
        assert!(dtm.data.iter().all(|v| v.is_finite()));
    }
}
