//! The road corridor of a survey drive: the band of grid cells between fixed lateral offsets to
//! the left and right of the vehicle trajectory.
//!
//! A cell belongs to the corridor when its centre `c` projects onto the trajectory polyline
//! (the nearest point `q` of the nearest segment `[a, b]`, `t = ((c − a)·(b − a))/|b − a|²`
//! clamped to `[0, 1]`, open only at the two ends of the whole path) and its signed offset
//! `o = ((b − a) × (c − a))/|b − a|` (positive to the left of the driving direction) satisfies
//! `−right ≤ o ≤ left`. With the kerb distances measured from the trajectory, this is the
//! carriageway without kerbs and sidewalks — the road mask the marking detector
//! ([`crate::markings`]) needs, since kerb tops and sidewalk edges are also bright and long.
//!
//! ```
//! use zwilling_core::GeoTransform;
//! use zwilling_cracks::corridor::corridor_mask;
//! // 10 × 10 cells of 1 m; a path along y = 5 driving east: left = north.
//! let t = GeoTransform::new(0.0, 10.0, 1.0);
//! let m = corridor_mask(&t, 10, 10, &[[0.0, 5.0], [10.0, 5.0]], 2.0, 1.0);
//! // rows 3..=5 (centres y = 6.5, 5.5, 4.5) lie 1.5 m left … 0.5 m right of the path.
//! assert!((0..10).all(|r| m[r * 10 + 4] == (3..=5).contains(&r)));
//! ```

use zwilling_core::GeoTransform;

/// Corridor cells (`true`) of a `width × height` grid with `transform` around the polyline `path`
/// (map coordinates, in driving order): offsets from `right` m right to `left` m left.
pub fn corridor_mask(
    transform: &GeoTransform,
    width: usize,
    height: usize,
    path: &[[f64; 2]],
    left: f64,
    right: f64,
) -> Vec<bool> {
    // Vertices closer than 0.25 m to the previous kept one add nothing but cost.
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(path.len());
    for &p in path {
        if pts.last().is_none_or(|q: &[f64; 2]| (p[0] - q[0]).hypot(p[1] - q[1]) >= 0.25) {
            pts.push(p);
        }
    }
    if pts.len() == 1 && path.len() > 1 {
        pts.push(path[path.len() - 1]);
    }
    let n = width * height;
    // Best (distance², signed offset) per cell.
    let mut best = vec![(f64::INFINITY, 0.0f64); n];
    let reach = left.max(right).max(0.0);
    let last = pts.len().saturating_sub(2);
    for (k, seg) in pts.windows(2).enumerate() {
        let (a, b) = (seg[0], seg[1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l2 = dx * dx + dy * dy;
        if l2 <= 0.0 {
            continue;
        }
        let len = l2.sqrt();
        let (x0, x1) = (a[0].min(b[0]) - reach, a[0].max(b[0]) + reach);
        let (y0, y1) = (a[1].min(b[1]) - reach, a[1].max(b[1]) + reach);
        let col = |x: f64| ((x - transform.origin_x) / transform.cell_x).floor();
        let row = |y: f64| ((transform.origin_y - y) / transform.cell_y).floor();
        let (c0, c1) = (col(x0).max(0.0) as usize, (col(x1).max(-1.0) + 1.0).min(width as f64) as usize);
        let (r0, r1) = (row(y1).max(0.0) as usize, (row(y0).max(-1.0) + 1.0).min(height as f64) as usize);
        for r in r0..r1 {
            for c in c0..c1 {
                let (x, y) = transform.cell_center(c, r);
                let (ex, ey) = (x - a[0], y - a[1]);
                let t = (ex * dx + ey * dy) / l2;
                // Beyond the first or last vertex of the whole path: not in the corridor.
                if (k == 0 && t < 0.0) || (k == last && t > 1.0) {
                    continue;
                }
                let tc = t.clamp(0.0, 1.0);
                let (qx, qy) = (a[0] + tc * dx - x, a[1] + tc * dy - y);
                let d2 = qx * qx + qy * qy;
                let i = r * width + c;
                if d2 < best[i].0 {
                    best[i] = (d2, (dx * ey - dy * ex) / len);
                }
            }
        }
    }
    best.iter().map(|&(d2, o)| d2.is_finite() && o <= left && o >= -right).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_and_bent_paths_give_the_analytic_band() {
        // 0.5 m cells, 40 × 40 (20 m); path north along x = 10 from y = 2 to y = 18.
        let t = GeoTransform::new(0.0, 20.0, 0.5);
        let m = corridor_mask(&t, 40, 40, &[[10.0, 2.0], [10.0, 10.0], [10.0, 18.0]], 3.0, 1.0);
        for r in 0..40 {
            for c in 0..40 {
                let (x, y) = t.cell_center(c, r);
                // Driving north, left is west: x from 7 to 11, y within the path's extent.
                let want = (7.0..=11.0).contains(&x) && (2.0..=18.0).contains(&y);
                assert_eq!(m[r * 40 + c], want, "cell ({c}, {r}) at ({x}, {y})");
            }
        }
        // A right-angle bend (east, then north): the cell at the outer corner is in the corridor
        // (nearest to the vertex), the inner side is covered by both legs.
        let m = corridor_mask(&t, 40, 40, &[[2.0, 10.0], [10.0, 10.0], [10.0, 18.0]], 1.0, 1.0);
        let at = |x: f64, y: f64| m[((20.0 - y) / 0.5) as usize * 40 + (x / 0.5) as usize];
        assert!(at(10.7, 9.3) && at(9.3, 10.7) && at(5.0, 10.7) && at(10.7, 15.0));
        assert!(!at(5.0, 11.3) && !at(11.3, 15.0) && !at(1.0, 10.2));
    }
}
