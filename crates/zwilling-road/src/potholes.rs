//! Potholes: local depressions of the fitted road surface against a reference surface.
//!
//! Input is a [`SurfaceWindow`]: fitted heights on a regular grid of the road frame (rows along
//! the station s, columns across the offset o). The reference surface at a node is a line fitted
//! to its column within ±`reference_half_length` (1.5 m) along the road, refitted without the
//! nodes lying more than `grow_depth` below it until nothing changes. Ruts, cross slope and grade
//! are constant or linear along a column, so the reference follows them, while a pothole shorter
//! than the window (< ~1.5 m long) is excluded from its own reference.
//!
//! depth(node) = reference − height. Nodes deeper than `min_depth` (10 mm) seed a region that
//! grows over 4-connected nodes deeper than `grow_depth` (3 mm, ≈ 3σ of the fitted surface).
//! A region is a pothole when its extent along and across the road is ≥ `min_size` (150 mm).
//!
//! The region's depths are then measured against a local reference: a least-squares quadric
//! z(s, o) through the undisturbed nodes 2–6 cells around the region's bounding box (it follows
//! roughness and ruts at the pothole better than the column line).
//! area A = n·c_s·c_o, volume V = Σ depth·c_s·c_o, max depth = largest 3×3 mean depth in the
//! region, mean depth = V / A (c_s, c_o = node spacing along and across);
//! severity 1 (max ≤ 25 mm), 2 (25–50 mm), 3 (> 50 mm). The outline is the convex hull of the
//! region's cells (corners), in the road frame.

use crate::lsq::{NormalEquations, Singular};
use crate::pothole_measure::MeasureOptions;

/// Fitted heights on a grid of the road frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfaceWindow {
    /// Station of row 0 (node centre).
    pub s0: f64,
    /// Offset of column 0 (node centre).
    pub o0: f64,
    /// Node spacing along the road (m).
    pub cell_s: f64,
    /// Node spacing across the road (m).
    pub cell_o: f64,
    /// Rows (along s).
    pub rows: usize,
    /// Columns (across).
    pub cols: usize,
    /// Heights row-major; NaN = no data.
    pub z: Vec<f64>,
}

impl SurfaceWindow {
    /// Height at row `i`, column `j`.
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.z[i * self.cols + j]
    }

    /// Station of row `i`.
    pub fn station(&self, i: usize) -> f64 {
        self.s0 + i as f64 * self.cell_s
    }

    /// Offset of column `j`.
    pub fn offset(&self, j: usize) -> f64 {
        self.o0 + j as f64 * self.cell_o
    }
}

/// Parameters of the pothole detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PotholeOptions {
    /// Half length of the reference median along the road (m).
    pub reference_half_length: f64,
    /// Seed depth (m).
    pub min_depth: f64,
    /// Growth depth (m).
    pub grow_depth: f64,
    /// Smallest extent along and across (m).
    pub min_size: f64,
    /// Measurement of a detected pothole from the points ([`crate::pothole_measure`]).
    pub measure: MeasureOptions,
}

impl Default for PotholeOptions {
    fn default() -> Self {
        PotholeOptions {
            reference_half_length: 1.5,
            min_depth: 0.010,
            grow_depth: 0.003,
            min_size: 0.15,
            measure: MeasureOptions::default(),
        }
    }
}

/// A detected pothole in the road frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Pothole {
    /// Outline (s, o), convex hull of the region's cells.
    pub outline: Vec<[f64; 2]>,
    /// Centroid (s, o).
    pub centroid: [f64; 2],
    /// Maximum depth (m).
    pub max_depth: f64,
    /// Mean depth (m).
    pub mean_depth: f64,
    /// Area (m²).
    pub area: f64,
    /// Volume (m³).
    pub volume: f64,
    /// Extent along the road (m).
    pub length: f64,
    /// Extent across the road (m).
    pub width: f64,
}

impl Pothole {
    /// Severity 1–3 by maximum depth: ≤ 25 mm, 25–50 mm, > 50 mm.
    pub fn severity(&self) -> i64 {
        if self.max_depth <= 0.025 {
            1
        } else if self.max_depth <= 0.050 {
            2
        } else {
            3
        }
    }
}

/// Depth below the reference at every node (NaN where unknown or the window is incomplete).
///
/// The reference of a column is a line fitted along s over ±h with nodes more than
/// `grow_depth` below the line excluded iteratively (up to 6 rounds), evaluated every 4th row
/// and interpolated linearly in between.
pub fn depths(w: &SurfaceWindow, opt: &PotholeOptions) -> Vec<f64> {
    let h = (opt.reference_half_length / w.cell_s).round() as usize;
    let mut out = vec![f64::NAN; w.z.len()];
    if w.rows < 2 * h + 1 {
        return out;
    }
    let (first, last) = (h, w.rows - 1 - h);
    let mut anchors: Vec<usize> = (first..=last).step_by(4).collect();
    if *anchors.last().unwrap() != last {
        anchors.push(last);
    }
    let mut keep = vec![false; 2 * h + 1];
    for j in 0..w.cols {
        let refs: Vec<f64> = anchors
            .iter()
            .map(|&i| {
                let col = |k: usize| w.at(i - h + k, j);
                for (k, f) in keep.iter_mut().enumerate() {
                    *f = col(k).is_finite();
                }
                let mut line = [f64::NAN; 2];
                for _ in 0..6 {
                    line = fit_line(&keep, &col, h);
                    if line[0].is_nan() {
                        break;
                    }
                    let mut changed = false;
                    for (k, f) in keep.iter_mut().enumerate() {
                        let z = col(k);
                        let below = z.is_finite() && z < line[0] + line[1] * (k as f64 - h as f64) - opt.grow_depth;
                        let now = z.is_finite() && !below;
                        changed |= now != *f;
                        *f = now;
                    }
                    if !changed {
                        break;
                    }
                }
                let kept = keep.iter().filter(|&&f| f).count();
                if kept < h {
                    f64::NAN
                } else {
                    line[0]
                }
            })
            .collect();
        for (a, pair) in anchors.windows(2).enumerate() {
            let (i0, i1) = (pair[0], pair[1]);
            for i in i0..=i1 {
                let t = (i - i0) as f64 / (i1 - i0) as f64;
                let r = refs[a] + t * (refs[a + 1] - refs[a]);
                let zc = w.at(i, j);
                out[i * w.cols + j] = r - zc; // NaN propagates
            }
        }
    }
    out
}

/// Least-squares line z = a + b·(k − h) over the kept samples.
fn fit_line(keep: &[bool], col: &impl Fn(usize) -> f64, h: usize) -> [f64; 2] {
    let (mut n, mut st, mut sz, mut stt, mut stz) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, &f) in keep.iter().enumerate() {
        if f {
            let (t, z) = (k as f64 - h as f64, col(k));
            n += 1.0;
            st += t;
            sz += z;
            stt += t * t;
            stz += t * z;
        }
    }
    let det = n * stt - st * st;
    if n < 2.0 || det <= 0.0 {
        return [f64::NAN; 2];
    }
    let b = (n * stz - st * sz) / det;
    [(sz - b * st) / n, b]
}

/// Detects potholes in a surface window.
pub fn detect(w: &SurfaceWindow, opt: &PotholeOptions) -> Vec<Pothole> {
    let d = depths(w, opt);
    let mut label = vec![false; d.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for seed in 0..d.len() {
        if label[seed] || d[seed].is_nan() || d[seed] <= opt.min_depth {
            continue;
        }
        let mut cells = Vec::new();
        label[seed] = true;
        stack.push(seed);
        while let Some(k) = stack.pop() {
            cells.push(k);
            let (i, j) = (k / w.cols, k % w.cols);
            let mut visit = |ii: usize, jj: usize| {
                let n = ii * w.cols + jj;
                if !label[n] && d[n] > opt.grow_depth {
                    label[n] = true;
                    stack.push(n);
                }
            };
            if i > 0 {
                visit(i - 1, j);
            }
            if i + 1 < w.rows {
                visit(i + 1, j);
            }
            if j > 0 {
                visit(i, j - 1);
            }
            if j + 1 < w.cols {
                visit(i, j + 1);
            }
        }
        if let Some(p) = measure(w, &d, &cells, opt) {
            out.push(p);
        }
    }
    out
}

fn measure(w: &SurfaceWindow, d: &[f64], cells: &[usize], opt: &PotholeOptions) -> Option<Pothole> {
    let (cs_, co_) = (w.cell_s, w.cell_o);
    let (mut imin, mut imax, mut jmin, mut jmax) = (usize::MAX, 0, usize::MAX, 0);
    for &k in cells {
        let (i, j) = (k / w.cols, k % w.cols);
        (imin, imax, jmin, jmax) = (imin.min(i), imax.max(i), jmin.min(j), jmax.max(j));
    }
    let length = (imax - imin + 1) as f64 * cs_;
    let width = (jmax - jmin + 1) as f64 * co_;
    if length < opt.min_size - 1e-9 || width < opt.min_size - 1e-9 {
        return None;
    }
    // local reference: quadratic surface through a ring of undisturbed nodes around the region
    let in_region: std::collections::HashSet<usize> = cells.iter().copied().collect();
    let local = ring_reference(w, d, &in_region, (imin, imax, jmin, jmax), opt);
    let depth = |k: usize| match &local {
        Some(q) => q.eval(w.station(k / w.cols), w.offset(k % w.cols)) - w.z[k],
        None => d[k],
    };
    let (mut vol, mut cs, mut co) = (0.0, 0.0, 0.0);
    for &k in cells {
        let dk = depth(k).max(0.0);
        vol += dk * cs_ * co_;
        cs += dk * w.station(k / w.cols);
        co += dk * w.offset(k % w.cols);
    }
    // maximum of the 3×3 mean depth inside the region (one noisy node does not decide)
    let mut max = 0.0f64;
    for &k in cells {
        let (i, j) = ((k / w.cols) as isize, (k % w.cols) as isize);
        let (mut sum, mut n) = (0.0, 0);
        for (di, dj) in [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1), (1, -1), (1, 0), (1, 1)] {
            let (ii, jj) = (i + di, j + dj);
            if ii < 0 || jj < 0 || ii as usize >= w.rows || jj as usize >= w.cols {
                continue;
            }
            let kk = ii as usize * w.cols + jj as usize;
            if in_region.contains(&kk) {
                sum += depth(kk);
                n += 1;
            }
        }
        if n >= 5 {
            max = max.max(sum / n as f64);
        }
    }
    if vol <= 0.0 {
        return None;
    }
    let area = cells.len() as f64 * cs_ * co_;
    let mut corners: Vec<[f64; 2]> = Vec::with_capacity(cells.len() * 4);
    for &k in cells {
        let (s, o) = (w.station(k / w.cols), w.offset(k % w.cols));
        for (a, b) in [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)] {
            corners.push([s + a * cs_, o + b * co_]);
        }
    }
    let wsum = vol / (cs_ * co_);
    Some(Pothole {
        outline: convex_hull(corners),
        centroid: [cs / wsum, co / wsum],
        max_depth: max,
        mean_depth: vol / area,
        area,
        volume: vol,
        length,
        width,
    })
}

/// z = a + b·ds + c·do + d·ds² + e·ds·do + f·do² about a centre.
struct Quadric {
    centre: [f64; 2],
    c: [f64; 6],
}

impl Quadric {
    fn terms(ds: f64, d_o: f64) -> [f64; 6] {
        [1.0, ds, d_o, ds * ds, ds * d_o, d_o * d_o]
    }

    fn eval(&self, s: f64, o: f64) -> f64 {
        let t = Self::terms(s - self.centre[0], o - self.centre[1]);
        t.iter().zip(&self.c).map(|(a, b)| a * b).sum()
    }
}

/// Least-squares quadric through the nodes 2–6 cells outside the region's bounding box that are
/// not depressed themselves; `None` with fewer than 20 such nodes.
fn ring_reference(
    w: &SurfaceWindow,
    d: &[f64],
    region: &std::collections::HashSet<usize>,
    (imin, imax, jmin, jmax): (usize, usize, usize, usize),
    opt: &PotholeOptions,
) -> Option<Quadric> {
    let (inner, outer) = (2usize, 6usize);
    let centre = [w.station((imin + imax) / 2), w.offset((jmin + jmax) / 2)];
    let mut ne = NormalEquations::<6>::new();
    for i in imin.saturating_sub(outer)..=(imax + outer).min(w.rows - 1) {
        for j in jmin.saturating_sub(outer)..=(jmax + outer).min(w.cols - 1) {
            let gap_i = if i < imin { imin - i } else { i.saturating_sub(imax) };
            let gap_j = if j < jmin { jmin - j } else { j.saturating_sub(jmax) };
            let k = i * w.cols + j;
            if gap_i.max(gap_j) < inner || region.contains(&k) || !w.z[k].is_finite() || d[k] > opt.grow_depth {
                continue;
            }
            ne.add(&Quadric::terms(w.station(i) - centre[0], w.offset(j) - centre[1]), w.z[k]);
        }
    }
    if ne.rows() < 20 {
        return None;
    }
    ne.solve(6, Singular::Below(1e-12)).map(|c| Quadric { centre, c })
}

/// Convex hull (counter-clockwise in (s, o)), Andrew's monotone chain.
pub fn convex_hull(mut p: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut h: Vec<[f64; 2]> = Vec::with_capacity(2 * p.len());
    for pass in 0..2 {
        let base = h.len();
        let iter: Box<dyn Iterator<Item = &[f64; 2]>> =
            if pass == 0 { Box::new(p.iter()) } else { Box::new(p.iter().rev()) };
        for &q in iter {
            while h.len() >= base + 2 && cross(h[h.len() - 2], h[h.len() - 1], q) <= 0.0 {
                h.pop();
            }
            h.push(q);
        }
        h.pop();
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window 8 m × 3.5 m on a 2 % grade with 3 % cross slope, a 15 mm rut along o = 0.85,
    /// and a flat-bottomed circular pothole of radius `r` and depth `depth` at (4.0, −0.5).
    fn window(r: f64, depth: f64) -> SurfaceWindow {
        let cell = 0.05;
        let (rows, cols) = (161, 71);
        let mut z = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                let (s, o) = (i as f64 * cell, -1.75 + j as f64 * cell);
                let rut = 0.015 * (1.0 - (o - 0.85).abs() / 0.5).max(0.0);
                let hole = if (s - 4.0).hypot(o + 0.5) <= r { depth } else { 0.0 };
                z.push(0.02 * s - 0.03 * o - rut - hole);
            }
        }
        SurfaceWindow { s0: 0.0, o0: -1.75, cell_s: cell, cell_o: cell, rows, cols, z }
    }

    #[test]
    fn flat_bottomed_pothole_is_measured() {
        let p = detect(&window(0.3, 0.04), &PotholeOptions::default());
        assert_eq!(p.len(), 1, "the rut must not be a pothole: {p:?}");
        let p = &p[0];
        let area = std::f64::consts::PI * 0.09;
        assert!((p.max_depth - 0.04).abs() < 1e-9 && (p.mean_depth - 0.04).abs() < 1e-9);
        // cells whose centre is inside the circle: the raster area is within 5 % of π r²
        assert!((p.area / area - 1.0).abs() < 0.05, "{} vs {area}", p.area);
        assert!((p.volume - p.area * 0.04).abs() < 1e-9);
        assert!((p.centroid[0] - 4.0).abs() < 0.01 && (p.centroid[1] + 0.5).abs() < 0.01);
        assert_eq!(p.severity(), 2);
    }

    #[test]
    fn small_or_shallow_dents_are_ignored() {
        assert!(detect(&window(0.05, 0.04), &PotholeOptions::default()).is_empty()); // 100 mm across
        assert!(detect(&window(0.3, 0.008), &PotholeOptions::default()).is_empty());
        // 8 mm deep
    }

    #[test]
    fn hull_of_a_square() {
        let h = convex_hull(vec![[0.0, 0.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.0, 1.0]]);
        assert_eq!(h.len(), 4);
        assert!((zwilling_core::vector::ring_area(&h) - 1.0).abs() < 1e-12);
    }
}
