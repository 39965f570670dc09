//! Synthetic pavement cracks in lane 1 and their crack share (RISS) on the 1 m grid.
//!
//! Cracks are polylines in the road frame with a width (4–9 mm), generated per 10 m section from
//! a seeded stream: longitudinal cracks near the wheel paths (random walk across), transverse
//! cracks across the lane, and in the worse 100 m blocks alligator patches (a jittered 0.2 m
//! lattice of short cracks). Every crack stays inside its 10 m section and inside lane 1
//! (`−lane_width < t < 0`).
//!
//! **RISS truth.** The lane area of a section is divided into 1 m × 1 m cells in the road frame:
//! along the road from each whole station, across from the kerb line `t = −lane_width` inwards
//! (`j = floor(t + lane_width)`, so a 3 m lane has 3 cells across). A cell is crack-affected when
//! a crack centre line passes through its interior (exact grid traversal, Amanatides & Woo 1987).
//! `RISS = affected cells / all cells of the section's lane area × 100 %`.

use crate::features::SECTION;
use crate::rng::{stream, Stream};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One crack: a polyline `[s, t]` with a width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crack {
    /// Vertices in the road frame `[s, t]`.
    pub points: Vec<[f64; 2]>,
    /// Width (m).
    pub width: f64,
}

/// Crack level of a 100 m block: 0 none, 1 light, 2 medium, 3 heavy.
pub fn block_level(seed: u64, block: u64) -> u32 {
    let mut r = Stream::new(seed, stream::CRACKS, 1_000_000 + block);
    [0, 1, 1, 2, 2, 3][r.index(6)]
}

/// The cracks of 10 m section `k` (lane 1 of width `lane`, scene length `length`).
pub fn section_cracks(seed: u64, k: u64, lane: f64, length: f64) -> Vec<Crack> {
    let level = block_level(seed, k / 10) as f64;
    let mut r = Stream::new(seed, stream::CRACKS, k);
    let s0 = k as f64 * SECTION;
    let s_lo = s0 + 0.05;
    let s_hi = (s0 + SECTION - 0.05).min(length - 0.05);
    if level == 0.0 || s_hi - s_lo < 1.0 {
        return Vec::new();
    }
    let intensity = level * r.range(0.4, 1.4);
    let (t_lo, t_hi) = (-lane + 0.05, -0.05);
    let wheel = [-lane / 2.0 + 0.85, -lane / 2.0 - 0.85];
    let mut out = Vec::new();
    let n_long = (intensity * 1.2 + r.uniform()).floor() as usize;
    for _ in 0..n_long {
        let len = r.range(1.5, 6.0);
        let mut s = r.range(s_lo, (s_hi - 1.0).max(s_lo));
        let mut t = wheel[r.index(2)] + r.range(-0.45, 0.45);
        let width = r.range(0.004, 0.009);
        let mut pts = vec![[s, t]];
        let end = (s + len).min(s_hi);
        while s + 0.15 < end {
            s += 0.15;
            t = (t + 0.02 * r.normal()).clamp(t_lo, t_hi);
            pts.push([s, t]);
        }
        out.push(Crack { points: pts, width });
    }
    let n_trans = (intensity * 0.8 + r.uniform()).floor() as usize;
    for _ in 0..n_trans {
        let mut s = r.range(s_lo + 0.2, s_hi - 0.2);
        let mut t = r.range(t_lo, t_lo + 0.9);
        let end = r.range(t_hi - 1.2, t_hi);
        let width = r.range(0.004, 0.009);
        let mut pts = vec![[s, t]];
        while t + 0.12 < end {
            t += 0.12;
            s = (s + 0.02 * r.normal()).clamp(s_lo, s_hi);
            pts.push([s, t]);
        }
        out.push(Crack { points: pts, width });
    }
    if level >= 2.0 && r.chance(0.25 * intensity) {
        // alligator patch around a wheel path
        let (len, wid) = (r.range(1.0, 2.0), r.range(0.6, 1.0));
        let sa = r.range(s_lo, (s_hi - len).max(s_lo));
        let ta = (wheel[r.index(2)] - wid / 2.0).clamp(t_lo, t_hi - wid);
        let (ni, nj) = ((len / 0.2).round() as usize, (wid / 0.2).round() as usize);
        let mut node = vec![[0.0; 2]; (ni + 1) * (nj + 1)];
        for i in 0..=ni {
            for j in 0..=nj {
                let s = (sa + i as f64 * 0.2 + r.range(-0.06, 0.06)).clamp(s_lo, s_hi);
                let t = (ta + j as f64 * 0.2 + r.range(-0.06, 0.06)).clamp(t_lo, t_hi);
                node[i * (nj + 1) + j] = [s, t];
            }
        }
        let width = r.range(0.004, 0.007);
        for i in 0..=ni {
            for j in 0..=nj {
                let a = node[i * (nj + 1) + j];
                if i < ni && r.chance(0.7) {
                    out.push(Crack { points: vec![a, node[(i + 1) * (nj + 1) + j]], width });
                }
                if j < nj && r.chance(0.7) {
                    out.push(Crack { points: vec![a, node[i * (nj + 1) + j + 1]], width });
                }
            }
        }
    }
    out
}

/// Adds to `cells` every 1 m cell `(i, j)` (`i = floor(s)`, `j = floor(t + lane)`) whose interior
/// the segment `a → b` passes through.
pub fn traverse_cells(a: [f64; 2], b: [f64; 2], lane: f64, cells: &mut BTreeSet<(i64, i64)>) {
    let (x0, y0) = (a[0], a[1] + lane);
    let (x1, y1) = (b[0], b[1] + lane);
    let (dx, dy) = (x1 - x0, y1 - y0);
    let mut i = x0.floor() as i64;
    let mut j = y0.floor() as i64;
    let (ie, je) = (x1.floor() as i64, y1.floor() as i64);
    let step_i = if dx > 0.0 { 1 } else { -1 };
    let step_j = if dy > 0.0 { 1 } else { -1 };
    let next = |p: f64, d: f64, c: i64| if d > 0.0 { ((c + 1) as f64 - p) / d } else { (c as f64 - p) / d };
    let mut t_max_x = if dx != 0.0 { next(x0, dx, i) } else { f64::INFINITY };
    let mut t_max_y = if dy != 0.0 { next(y0, dy, j) } else { f64::INFINITY };
    let t_dx = if dx != 0.0 { 1.0 / dx.abs() } else { f64::INFINITY };
    let t_dy = if dy != 0.0 { 1.0 / dy.abs() } else { f64::INFINITY };
    cells.insert((i, j));
    let mut guard = 0;
    while (i, j) != (ie, je) && guard < 1_000_000 {
        guard += 1;
        if t_max_x < t_max_y {
            if t_max_x > 1.0 {
                break;
            }
            i += step_i;
            t_max_x += t_dx;
        } else {
            if t_max_y > 1.0 {
                break;
            }
            j += step_j;
            t_max_y += t_dy;
        }
        cells.insert((i, j));
    }
}

/// Crack-affected cells of a set of cracks.
pub fn affected_cells(cracks: &[Crack], lane: f64) -> BTreeSet<(i64, i64)> {
    let mut cells = BTreeSet::new();
    for c in cracks {
        for w in c.points.windows(2) {
            traverse_cells(w[0], w[1], lane, &mut cells);
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_finds_exactly_the_crossed_cells() {
        let mut c = BTreeSet::new();
        traverse_cells([0.5, -2.5], [2.5, -1.5], 3.0, &mut c); // from (0.5,0.5) to (2.5,1.5)
                                                               // passes (0,0), (1,0), (1,1) at (1.5,1.0) exactly a corner-free crossing, (2,1)
        let v: Vec<_> = c.into_iter().collect();
        assert_eq!(v, vec![(0, 0), (1, 0), (1, 1), (2, 1)]);
        // compare with dense sampling on random segments
        let mut r = Stream::new(9, 1, 1);
        for _ in 0..200 {
            let a = [r.range(0.0, 10.0), r.range(-3.0, 0.0)];
            let b = [r.range(0.0, 10.0), r.range(-3.0, 0.0)];
            let mut exact = BTreeSet::new();
            traverse_cells(a, b, 3.0, &mut exact);
            let mut dense = BTreeSet::new();
            for k in 0..=100_000 {
                let f = k as f64 / 100_000.0;
                let (s, t) = (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]) + 3.0);
                dense.insert((s.floor() as i64, t.floor() as i64));
            }
            assert_eq!(exact, dense);
        }
    }

    #[test]
    fn cracks_stay_in_their_section_and_lane() {
        for k in 0..50 {
            for c in section_cracks(4, k, 3.0, 500.0) {
                for p in &c.points {
                    assert!(p[0] >= k as f64 * 10.0 && p[0] < (k + 1) as f64 * 10.0, "{p:?}");
                    assert!(p[1] > -3.0 && p[1] < 0.0);
                }
            }
        }
    }
}
