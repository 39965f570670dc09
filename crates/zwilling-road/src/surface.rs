//! Robust local surface fit of road points: the height of the road surface at a node.
//!
//! Points are given in the road frame (station s, offset o, height z) and bucketed in a uniform
//! grid of `cell` metres ([`PointGrid`], counting sort, no per-point allocation). The height at a
//! node (s, o) is the value at the node of a weighted least-squares plane
//!
//! ```text
//! z ≈ a + b·(s − s_node) + c·(o − o_node),   weights w = (1 − d²)²,
//! d² = ((s − s_node)/r_s)² + ((o − o_node)/r_o)² ≤ 1
//! ```
//!
//! through the points in an elliptical footprint of semi-axes r_s along and r_o across the road
//! (default 0.10 m both; transverse profiles use a longer footprint along the road, since a
//! transverse profile stands for 0.5 m of road, and wheel-path profiles a wider one across).
//! Outliers (vehicles' wheels, kerb points, noise) are rejected in two rounds: first points
//! farther than max(3·1.4826·MAD, 5 mm) from the median height, then residuals to the first
//! plane beyond 3·σ̂ (σ̂ = 1.4826·MAD of the residuals, at least 1 mm); the plane is refitted.
//! With fewer than `min_points` points the footprint doubles once; still too few → NaN (no
//! data). A plane, not a single point, so the height noise shrinks roughly with 1/√n and a
//! constant slope inside the footprint is unbiased.
//!
//! Wheel-path profiles use a local *quadratic* along the road (`quadratic_along`:
//! `z ≈ a + b·ds + c·do + d·ds²`, Savitzky–Golay style) over a longer footprint: a
//! mobile-mapping scanner lays scan lines ~0.1 m apart, so a ±0.10 m footprint holds one or two
//! lines. The quadratic term keeps the curvature of 1.7 m roughness waves. They are fitted to
//! points corrected by the transverse shape ([`PointGrid::height_with_shape`]), so the footprint
//! can be wide across (`flat_across`: rectangular, weights along only) without averaging over a
//! rut. Transverse profiles use a quadratic *across* (`quadratic_across`, `z ≈ … + e·do²`) that
//! follows a rut bottom. A coordinate whose weighted spread is below 0.2 of the footprint's
//! semi-axis (a single scan line) drops its terms instead of extrapolating them.

use crate::lsq::{NormalEquations, Singular};

/// Parameters of the local fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Footprint semi-axis across the road r_o (m).
    pub radius: f64,
    /// Footprint semi-axis along the road r_s (m).
    pub along: f64,
    /// Minimum points for a fit.
    pub min_points: usize,
    /// Rejection threshold in robust sigmas.
    pub reject_sigma: f64,
    /// Add a curvature term `d·(s − s_node)²` along the road (local quadratic): unbiased for
    /// the curvature of short-wave roughness, so a longer footprint can average more scan lines.
    pub quadratic_along: bool,
    /// Add a curvature term `e·(o − o_node)²` across the road (local quadratic): follows the
    /// bottom of a rut instead of averaging over it.
    pub quadratic_across: bool,
    /// Rectangular footprint with weights `(1 − (Δs/r_s)²)²` along only (flat across) instead of
    /// the elliptical biweight: more points count fully, for fits that need little resolution
    /// across (shape-corrected wheel-path profiles).
    pub flat_across: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            radius: 0.10,
            along: 0.10,
            min_points: 6,
            reject_sigma: 3.0,
            quadratic_along: false,
            quadratic_across: false,
            flat_across: false,
        }
    }
}

/// Points of a stretch of road bucketed in a uniform grid of the road frame.
#[derive(Debug, Clone)]
pub struct PointGrid {
    s0: f64,
    o0: f64,
    cell: f64,
    ns: usize,
    no: usize,
    start: Vec<u32>,
    pts: Vec<[f64; 3]>,
}

impl PointGrid {
    /// Buckets `(s, o, z)` points inside `[s0, s1) × [o0, o1)` in cells of `cell` metres.
    pub fn new(points: &[[f64; 3]], s0: f64, s1: f64, o0: f64, o1: f64, cell: f64) -> Self {
        let ns = ((s1 - s0) / cell).ceil().max(1.0) as usize;
        let no = ((o1 - o0) / cell).ceil().max(1.0) as usize;
        let key = |p: &[f64; 3]| -> Option<usize> {
            let i = ((p[0] - s0) / cell).floor();
            let j = ((p[1] - o0) / cell).floor();
            (i >= 0.0 && j >= 0.0 && (i as usize) < ns && (j as usize) < no).then(|| i as usize * no + j as usize)
        };
        let mut count = vec![0u32; ns * no + 1];
        for p in points {
            if let Some(k) = key(p) {
                count[k + 1] += 1;
            }
        }
        for k in 1..count.len() {
            count[k] += count[k - 1];
        }
        let mut fill = count.clone();
        let mut pts = vec![[0.0; 3]; count[ns * no] as usize];
        for p in points {
            if let Some(k) = key(p) {
                pts[fill[k] as usize] = *p;
                fill[k] += 1;
            }
        }
        PointGrid { s0, o0, cell, ns, no, start: count, pts }
    }

    /// Number of points held.
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// True without points.
    pub fn is_empty(&self) -> bool {
        self.pts.is_empty()
    }

    /// The points inside `[s0, s1] × [o0, o1]`.
    pub fn points_in(&self, s0: f64, s1: f64, o0: f64, o1: f64) -> Vec<[f64; 3]> {
        let (sc, oc, hs, ho) = ((s0 + s1) / 2.0, (o0 + o1) / 2.0, (s1 - s0) / 2.0, (o1 - o0) / 2.0);
        let mut out = Vec::new();
        self.for_near(sc, oc, hs, ho, true, |p, _| out.push(*p));
        out
    }

    /// Calls `f` for every point in the ellipse of semi-axes (rs, ro) about (s, o) with its
    /// normalised squared distance.
    fn for_near(&self, s: f64, o: f64, rs: f64, ro: f64, flat: bool, mut f: impl FnMut(&[f64; 3], f64)) {
        let i0 = ((s - rs - self.s0) / self.cell).floor().max(0.0) as usize;
        let i1 = (((s + rs - self.s0) / self.cell).floor().max(-1.0) as isize).min(self.ns as isize - 1);
        let j0 = ((o - ro - self.o0) / self.cell).floor().max(0.0) as usize;
        let j1 = (((o + ro - self.o0) / self.cell).floor().max(-1.0) as isize).min(self.no as isize - 1);
        if i1 < i0 as isize || j1 < j0 as isize {
            return;
        }
        let (ks, ko) = (1.0 / (rs * rs), 1.0 / (ro * ro));
        for i in i0..=i1 as usize {
            let (a, b) = (self.start[i * self.no + j0] as usize, self.start[i * self.no + j1 as usize + 1] as usize);
            for p in &self.pts[a..b] {
                let (a2, b2) = ((p[0] - s).powi(2) * ks, (p[1] - o).powi(2) * ko);
                if flat {
                    if a2 <= 1.0 && b2 <= 1.0 {
                        f(p, a2);
                    }
                } else if a2 + b2 <= 1.0 {
                    f(p, a2 + b2);
                }
            }
        }
    }

    /// Height of the robust local plane at (s, o), NaN without enough points.
    pub fn height(&self, s: f64, o: f64, opt: &FitOptions) -> f64 {
        self.height_with_shape(s, o, opt, |_| 0.0)
    }

    /// Height at (s, o) after subtracting a known transverse shape from every point:
    /// `z − shape(o_point)` is fitted (points where `shape` is NaN are left out). With
    /// `shape(o) = T(o) − T(o_node)` of a smooth transverse profile T the footprint can be wide
    /// across the road without averaging over a rut: the fit sees the surface as if every point
    /// lay at the node's offset.
    pub fn height_with_shape(&self, s: f64, o: f64, opt: &FitOptions, shape: impl Fn(f64) -> f64) -> f64 {
        SCRATCH.with(|cell| {
            let (near, work) = &mut *cell.borrow_mut();
            for grow in [1.0, 2.0] {
                near.clear();
                self.for_near(s, o, grow * opt.along, grow * opt.radius, opt.flat_across, |p, d2| {
                    let c = shape(p[1]);
                    if c.is_finite() {
                        let w = (1.0 - d2).powi(2).max(1e-3);
                        near.push([p[0] - s, p[1] - o, p[2] - c, w]);
                    }
                });
                if near.len() >= opt.min_points {
                    return robust_plane(near, work, opt, grow);
                }
            }
            f64::NAN
        })
    }
}

type Scratch = (Vec<[f64; 4]>, Vec<f64>);

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Weighted plane (or quadratic) fit with two rounds of outlier rejection; returns the height at
/// (0, 0). Each entry is `[ds, do, z, weight]`; weights of rejected points are set to 0.
fn robust_plane(p: &mut [[f64; 4]], work: &mut Vec<f64>, opt: &FitOptions, grow: f64) -> f64 {
    let k = opt.reject_sigma;
    let axes = [grow * opt.along, grow * opt.radius];
    let quad = [opt.quadratic_along, opt.quadratic_across];
    // round 0: keep points near the median height (a plane tilted by outliers would hide them)
    work.clear();
    work.extend(p.iter().map(|q| q[2]));
    let med = median(work);
    work.clear();
    work.extend(p.iter().map(|q| (q[2] - med).abs()));
    let gate = (k * 1.4826 * median(work)).max(0.005);
    for q in p.iter_mut() {
        if (q[2] - med).abs() > gate {
            q[3] = 0.0;
        }
    }
    let Some(first) = surface(p, quad, axes) else { return med };
    // round 1: residuals to the surface, robust sigma of the kept points
    work.clear();
    work.extend(p.iter().filter(|q| q[3] > 0.0).map(|q| (q[2] - first.at(q[0], q[1])).abs()));
    let sigma = (1.4826 * median(work)).max(0.001);
    let mut kept = 0;
    for q in p.iter_mut() {
        if (q[2] - first.at(q[0], q[1])).abs() > k * sigma {
            q[3] = 0.0;
        } else {
            kept += 1;
        }
    }
    let h0 = first.at(0.0, 0.0);
    if kept < 3 {
        return h0;
    }
    surface(p, quad, axes).map_or(h0, |c| c.at(0.0, 0.0))
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    *v.select_nth_unstable_by(m, f64::total_cmp).1
}

/// A fitted local surface in centred, scaled coordinates u = (ds − ms)/ss, v = (do − mo)/so:
/// z = k0 + k1·u + k2·v + k3·u² + k4·v².
struct LocalSurface {
    centre: [f64; 2],
    spread: [f64; 2],
    k: [f64; 5],
}

impl LocalSurface {
    fn basis(&self, ds: f64, d_o: f64) -> [f64; 5] {
        let u = if self.spread[0] > 0.0 { (ds - self.centre[0]) / self.spread[0] } else { 0.0 };
        let v = if self.spread[1] > 0.0 { (d_o - self.centre[1]) / self.spread[1] } else { 0.0 };
        [1.0, u, v, u * u, v * v]
    }

    fn at(&self, ds: f64, d_o: f64) -> f64 {
        self.basis(ds, d_o).iter().zip(&self.k).map(|(b, k)| b * k).sum()
    }
}

/// Weighted least-squares surface z = c0 + c1·ds + c2·do (+ c3·ds² / c4·do² when `quad` along /
/// across) by the normal equations in coordinates centred on the weighted mean and scaled by the
/// weighted spread. A coordinate that barely varies among the weighted points (weighted spread
/// below 0.2 of the footprint's semi-axis `axes` = [along, across], e.g. a footprint that holds
/// a single scan line) loses its terms instead of extrapolating them.
/// `None` without weight.
fn surface(p: &[[f64; 4]], quad: [bool; 2], axes: [f64; 2]) -> Option<LocalSurface> {
    let (mut w, mut ms, mut mo) = (0.0, 0.0, 0.0);
    for q in p {
        w += q[3];
        ms += q[3] * q[0];
        mo += q[3] * q[1];
    }
    if w <= 0.0 {
        return None;
    }
    (ms, mo) = (ms / w, mo / w);
    let (mut vs, mut vo) = (0.0, 0.0);
    for q in p {
        vs += q[3] * (q[0] - ms).powi(2);
        vo += q[3] * (q[1] - mo).powi(2);
    }
    let (ss, so) = ((vs / w).sqrt(), (vo / w).sqrt());
    let use_s = ss > 0.2 * axes[0];
    let use_o = so > 0.2 * axes[1];
    let mut terms: Vec<usize> = vec![0];
    if use_s {
        terms.push(1);
    }
    if use_o {
        terms.push(2);
    }
    if use_s && quad[0] {
        terms.push(3);
    }
    if use_o && quad[1] {
        terms.push(4);
    }
    let mut fit = LocalSurface { centre: [ms, mo], spread: [ss, so], k: [0.0; 5] };
    let m = terms.len();
    let mut ne = NormalEquations::<5>::new();
    for q in p.iter().filter(|q| q[3] > 0.0) {
        let b = fit.basis(q[0], q[1]);
        let mut t = [0.0; 5];
        for (a, &ta) in terms.iter().enumerate() {
            t[a] = b[ta];
        }
        ne.add_weighted(&t, q[2], q[3]);
    }
    let x = ne.solve(m, Singular::RelativeToDiagonal(1e-10))?;
    for (a, &t) in terms.iter().enumerate() {
        fit.k[t] = x[a];
    }
    Some(fit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn sloped_points(n: usize, noise: f64, outliers: usize, seed: u64) -> Vec<[f64; 3]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut v: Vec<[f64; 3]> = (0..n)
            .map(|_| {
                let (s, o) = (rng.gen_range(0.0..2.0), rng.gen_range(-1.0..1.0));
                let e: f64 = (0..12).map(|_| rng.gen_range(-0.5..0.5)).sum::<f64>() * noise; // ~N(0, noise)
                [s, o, 5.0 + 0.03 * s - 0.025 * o + e]
            })
            .collect();
        for _ in 0..outliers {
            let (s, o) = (rng.gen_range(0.0..2.0), rng.gen_range(-1.0..1.0));
            v.push([s, o, 5.3]); // a car's wheel 30 cm above the road
        }
        v
    }

    #[test]
    fn plane_is_recovered_under_noise_and_outliers() {
        // 2000 pts/m², 2 mm noise, 10 % outliers
        let pts = sloped_points(8000, 0.002, 800, 1);
        let g = PointGrid::new(&pts, 0.0, 2.0, -1.0, 1.0, 0.1);
        let opt = FitOptions::default();
        let mut worst = 0.0f64;
        for k in 0..20 {
            let (s, o) = (0.2 + 0.08 * k as f64, -0.7 + 0.07 * k as f64);
            let truth = 5.0 + 0.03 * s - 0.025 * o;
            worst = worst.max((g.height(s, o, &opt) - truth).abs());
        }
        assert!(worst < 0.0015, "worst error {worst}");
    }

    #[test]
    fn along_quadratic_keeps_short_wave_roughness_from_sparse_scan_lines() {
        // scan lines 0.125 m apart (10 m/s, 80 Hz), points 1 cm apart across, no noise;
        // surface: 2 mm sine of wavelength 1.7 m along the road. The biweight local quadratic
        // over ±0.30 m keeps 99.8 % of the amplitude, a plane 91.5 % (weighted least squares of
        // cos(2πx/λ) on [−h, h], computed independently with numpy.linalg.lstsq)
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (a, lambda) = (0.002, 1.7);
        let truth = |s: f64| a * (std::f64::consts::TAU * s / lambda).sin();
        let mut pts = Vec::new();
        for line in 0..80 {
            let s_line = 0.05 + 0.125 * line as f64;
            for k in 0..200 {
                let o = -1.0 + 0.01 * k as f64;
                let s = s_line + 0.005 * (rng.gen::<f64>() - 0.5);
                pts.push([s, o, truth(s)]);
            }
        }
        let g = PointGrid::new(&pts, 0.0, 10.0, -1.0, 1.0, 0.1);
        let quad = FitOptions { radius: 0.15, along: 0.30, quadratic_along: true, ..FitOptions::default() };
        let plane = FitOptions { quadratic_along: false, ..quad };
        let worst = |opt: &FitOptions| {
            (10..90).map(|i| 0.1 * i as f64).map(|s| (g.height(s, 0.0, opt) - truth(s)).abs()).fold(0.0, f64::max)
        };
        // quadratic: bias ≤ 0.2 % of 2 mm plus the scan-line discretisation
        assert!(worst(&quad) < 0.00006, "quadratic {}", worst(&quad));
        // plane: loses ~8.5 % of the 2 mm crest
        assert!(worst(&plane) > 0.00012, "plane {}", worst(&plane));
    }

    #[test]
    fn empty_area_is_nan() {
        let pts = sloped_points(100, 0.0, 0, 2);
        let g = PointGrid::new(&pts, 0.0, 2.0, -1.0, 1.0, 0.1);
        assert!(g.height(5.0, 0.0, &FitOptions::default()).is_nan());
        assert_eq!(g.len(), 100);
    }
}
