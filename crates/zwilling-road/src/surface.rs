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
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { radius: 0.10, along: 0.10, min_points: 6, reject_sigma: 3.0 }
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

    /// Calls `f` for every point in the ellipse of semi-axes (rs, ro) about (s, o) with its
    /// normalised squared distance.
    fn for_near(&self, s: f64, o: f64, rs: f64, ro: f64, mut f: impl FnMut(&[f64; 3], f64)) {
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
                let d2 = (p[0] - s).powi(2) * ks + (p[1] - o).powi(2) * ko;
                if d2 <= 1.0 {
                    f(p, d2);
                }
            }
        }
    }

    /// Height of the robust local plane at (s, o), NaN without enough points.
    pub fn height(&self, s: f64, o: f64, opt: &FitOptions) -> f64 {
        SCRATCH.with(|cell| {
            let (near, work) = &mut *cell.borrow_mut();
            for grow in [1.0, 2.0] {
                near.clear();
                self.for_near(s, o, grow * opt.along, grow * opt.radius, |p, d2| {
                    let w = (1.0 - d2).powi(2).max(1e-3);
                    near.push([p[0] - s, p[1] - o, p[2], w]);
                });
                if near.len() >= opt.min_points {
                    return robust_plane(near, work, opt.reject_sigma);
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

/// Weighted plane fit with two rounds of outlier rejection; returns the height at (0, 0).
/// Each entry is `[ds, do, z, weight]`; weights of rejected points are set to 0.
fn robust_plane(p: &mut [[f64; 4]], work: &mut Vec<f64>, k: f64) -> f64 {
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
    let Some(first) = plane(p) else { return med };
    // round 1: residuals to the plane, robust sigma of the kept points
    work.clear();
    work.extend(p.iter().filter(|q| q[3] > 0.0).map(|q| (q[2] - eval(&first, q)).abs()));
    let sigma = (1.4826 * median(work)).max(0.001);
    let mut kept = 0;
    for q in p.iter_mut() {
        if (q[2] - eval(&first, q)).abs() > k * sigma {
            q[3] = 0.0;
        } else {
            kept += 1;
        }
    }
    if kept < 3 {
        return first[0];
    }
    plane(p).map_or(first[0], |c| c[0])
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    *v.select_nth_unstable_by(m, f64::total_cmp).1
}

fn eval(c: &[f64; 3], q: &[f64; 4]) -> f64 {
    c[0] + c[1] * q[0] + c[2] * q[1]
}

/// Weighted least-squares plane z = c0 + c1·ds + c2·do (normal equations, centred on the
/// weighted mean for conditioning); `None` when degenerate.
fn plane(p: &[[f64; 4]]) -> Option<[f64; 3]> {
    let (mut w, mut ms, mut mo, mut mz) = (0.0, 0.0, 0.0, 0.0);
    for q in p {
        w += q[3];
        ms += q[3] * q[0];
        mo += q[3] * q[1];
        mz += q[3] * q[2];
    }
    if w <= 0.0 {
        return None;
    }
    (ms, mo, mz) = (ms / w, mo / w, mz / w);
    let (mut sss, mut sso, mut soo, mut ssz, mut soz) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for q in p {
        let (ds, d_o, dz) = (q[0] - ms, q[1] - mo, q[2] - mz);
        sss += q[3] * ds * ds;
        sso += q[3] * ds * d_o;
        soo += q[3] * d_o * d_o;
        ssz += q[3] * ds * dz;
        soz += q[3] * d_o * dz;
    }
    let det = sss * soo - sso * sso;
    if det <= 1e-12 * (sss * soo).max(1e-30) {
        return Some([mz, 0.0, 0.0]);
    }
    let b = (ssz * soo - soz * sso) / det;
    let c = (soz * sss - ssz * sso) / det;
    Some([mz - b * ms - c * mo, b, c])
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
    fn empty_area_is_nan() {
        let pts = sloped_points(100, 0.0, 0, 2);
        let g = PointGrid::new(&pts, 0.0, 2.0, -1.0, 1.0, 0.1);
        assert!(g.height(5.0, 0.0, &FitOptions::default()).is_nan());
        assert_eq!(g.len(), 100);
    }
}
