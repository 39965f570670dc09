//! Crack share (RISS, German ZEB "Risse") of a road section on a 1 m × 1 m grid.
//!
//! The road surface is divided into square cells of side `c` (1 m in ZEB practice, FGSV
//! *ZTV ZEB-StB* / *AP 9 K*) in a road frame: station `s` along a straight reference line from
//! `origin` with `heading` (degrees clockwise from grid north) and offset `t` to the left,
//!
//! ```text
//! s = Δx·sin h + Δy·cos h,      t = −Δx·cos h + Δy·sin h,      (Δx, Δy) = (x, y) − origin
//! ```
//!
//! Cell `(i, j) = (⌊s/c⌋, ⌊(t − t₀)/c⌋)`, `t₀` the lane's right edge (e.g. the kerb line). A cell
//! is crack-affected when a crack centre line passes through it; the line segments are walked cell
//! by cell with the exact grid traversal of Amanatides & Woo ("A fast voxel traversal algorithm
//! for ray tracing", Eurographics 1987). The crack share of a section is
//! `RISS = affected cells / cells of the section × 100 %`.
//!
//! ```
//! use zwilling_cracks::crack_share::{affected_cells, section_share, RoadFrame};
//! let frame = RoadFrame { origin: [0.0, 0.0], heading_deg: 0.0 }; // s = north, t = west
//! // A crack running north 2.5 m at 0.5 m west of the line t₀ = 0: cells (0,0), (1,0), (2,0).
//! let line = vec![[-0.5, 0.2], [-0.5, 2.7]];
//! let cells = affected_cells(&[line], &frame, 0.0, 1.0);
//! assert_eq!(cells.len(), 3);
//! // Section 0–10 m, 3 cells across: 3 of 30 cells.
//! assert!((section_share(&cells, 0.0, 10.0, 3, 1.0) - 10.0).abs() < 1e-12);
//! ```

use std::collections::BTreeSet;

/// A straight road reference line: station along `heading` from `origin`, offset to the left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadFrame {
    /// Map coordinates of station 0, offset 0.
    pub origin: [f64; 2],
    /// Direction of increasing station, degrees clockwise from grid north.
    pub heading_deg: f64,
}

impl RoadFrame {
    /// `[s, t]` (station, offset to the left) of map point `(x, y)`.
    pub fn to_frame(&self, x: f64, y: f64) -> [f64; 2] {
        let (sh, ch) = self.heading_deg.to_radians().sin_cos();
        let (dx, dy) = (x - self.origin[0], y - self.origin[1]);
        [dx * sh + dy * ch, -dx * ch + dy * sh]
    }
}

/// Cells `(i, j)` of side `cell` that the map polylines `lines` pass through, in the road frame
/// with the cell rows starting at offset `t0`.
pub fn affected_cells(lines: &[Vec<[f64; 2]>], frame: &RoadFrame, t0: f64, cell: f64) -> BTreeSet<(i64, i64)> {
    let mut cells = BTreeSet::new();
    for line in lines {
        let pts: Vec<[f64; 2]> = line
            .iter()
            .map(|p| {
                let [s, t] = frame.to_frame(p[0], p[1]);
                [s / cell, (t - t0) / cell]
            })
            .collect();
        for seg in pts.windows(2) {
            walk_cells(seg[0], seg[1], &mut cells);
        }
    }
    cells
}

/// Adds every unit cell the segment `a → b` (grid units) passes through.
fn walk_cells(a: [f64; 2], b: [f64; 2], cells: &mut BTreeSet<(i64, i64)>) {
    let d = [b[0] - a[0], b[1] - a[1]];
    let mut c = [a[0].floor() as i64, a[1].floor() as i64];
    let end = [b[0].floor() as i64, b[1].floor() as i64];
    // Per axis: step direction, parameter of the next boundary crossing, parameter per cell.
    let mut step = [0i64; 2];
    let mut next = [f64::INFINITY; 2];
    let mut delta = [f64::INFINITY; 2];
    for k in 0..2 {
        if d[k] > 0.0 {
            step[k] = 1;
            next[k] = ((c[k] + 1) as f64 - a[k]) / d[k];
            delta[k] = 1.0 / d[k];
        } else if d[k] < 0.0 {
            step[k] = -1;
            next[k] = (c[k] as f64 - a[k]) / d[k];
            delta[k] = -1.0 / d[k];
        }
    }
    cells.insert((c[0], c[1]));
    let budget = (end[0] - c[0]).abs() + (end[1] - c[1]).abs();
    for _ in 0..budget {
        let k = if next[0] < next[1] { 0 } else { 1 };
        if next[k] > 1.0 {
            break;
        }
        c[k] += step[k];
        next[k] += delta[k];
        cells.insert((c[0], c[1]));
    }
}

/// Crack share (%) of the section `[start, start + length)` (stations, a multiple of `cell`
/// apart) with `across` cells across (`j ∈ [0, across)`).
pub fn section_share(cells: &BTreeSet<(i64, i64)>, start: f64, length: f64, across: i64, cell: f64) -> f64 {
    let i0 = (start / cell).round() as i64;
    let n_along = (length / cell).round() as i64;
    if n_along <= 0 || across <= 0 {
        return f64::NAN;
    }
    let hit = cells.range((i0, i64::MIN)..(i0 + n_along, i64::MIN)).filter(|&&(_, j)| (0..across).contains(&j)).count();
    hit as f64 / (n_along * across) as f64 * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_equals_dense_sampling_of_random_segments() {
        let frame = RoadFrame { origin: [0.0, 0.0], heading_deg: 90.0 }; // s = east, t = north
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = crate::synthetic::splitmix64(seed);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..300 {
            let a = [rnd() * 12.0 - 1.0, rnd() * 5.0 - 2.0];
            let b = [rnd() * 12.0 - 1.0, rnd() * 5.0 - 2.0];
            let exact = affected_cells(&[vec![a, b]], &frame, 0.0, 1.0);
            let mut dense = BTreeSet::new();
            for k in 0..=200_000 {
                let f = k as f64 / 200_000.0;
                let [s, t] = frame.to_frame(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]));
                dense.insert((s.floor() as i64, t.floor() as i64));
            }
            assert_eq!(exact, dense, "{a:?} → {b:?}");
        }
    }

    #[test]
    fn frame_follows_the_heading_and_share_counts_the_section_only() {
        // Heading 90° (east): station grows east, offset grows north.
        let f = RoadFrame { origin: [100.0, 200.0], heading_deg: 90.0 };
        let [s, t] = f.to_frame(103.0, 201.5);
        assert!((s - 3.0).abs() < 1e-12 && (t - 1.5).abs() < 1e-12);
        // A 25 m crack along the road at t = 0.5 in a 2-cell-wide lane: 10 of 20 cells in each full section.
        let cells = affected_cells(&[vec![[100.0, 200.5], [125.0, 200.5]]], &f, 0.0, 1.0);
        assert_eq!(section_share(&cells, 0.0, 10.0, 2, 1.0), 50.0);
        assert_eq!(section_share(&cells, 20.0, 10.0, 2, 1.0), 25.0);
        assert_eq!(section_share(&cells, 30.0, 10.0, 2, 1.0), 0.0);
    }
}
