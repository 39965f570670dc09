//! Source coordinates → tileset frame by bilinear interpolation of the exact transform over small
//! square cells of the source plane.
//!
//! The tileset's local position of a point with source coordinates (x, y) and height H is exactly
//! affine in H: `L(x, y, H) = A(x, y) + H · B(x, y)`, because the ellipsoidal height is
//! `h = H + ζ(x, y)` (ζ the quasigeoid anomaly, independent of H) and geodetic → ECEF → local is
//! affine in h for fixed latitude and longitude (`X = (N + h) cos φ cos λ, …`; EPSG Guidance Note
//! 7-2, §4.1.1). So per cell of edge `s` the exact transform is evaluated at the four corners at two
//! heights, `A` and `B` are interpolated bilinearly in (x, y), and a point costs two bilinear
//! blends of three components instead of an inverse projection, a quasigeoid look-up and a
//! frame rotation.
//!
//! Error: for a C² function the bilinear interpolant is off by at most `s²/8 · (|f_xx| + |f_yy|)`.
//! The smooth part of `A` (projection scale, meridian convergence, Earth curvature, all with
//! second derivatives ≲ 1/R ≈ 1.6·10⁻⁷ m⁻¹) contributes ≲ 3·10⁻⁶ m for s = 8 m. The quasigeoid
//! grid is bilinear per grid cell, with a kink in slope at each grid line; a cell that straddles
//! a kink is off by at most `Δslope · s/4` per axis. GCG2016's largest slope change between
//! neighbouring grid cells is 7.0·10⁻⁵ (both axes; measured on the BKG grid with GDAL), so the bound
//! is `2 · 7.0·10⁻⁵ · 8 m / 4 = 0.28 mm`, typically (99 % of the grid, 8·10⁻⁶) 0.03 mm —
//! below the float32 resolution of the tile positions of large tiles and 35 times below the 1 cm
//! placement requirement. `tests::bounded_by_the_kink` checks the bound on an analytic surface
//! with curvature and kinks, and `zwilling-io`'s tileset tests compare against the exact chain with
//! the real GCG2016 grid.
//!
//! Cells are kept in a per-thread direct-mapped cache that lives across calls (a cell's values
//! depend only on the cell, so the cache changes speed, never results). Scattered input (more
//! than one change of cell per [`SCATTERED`] points of a call, counted in input order, so the
//! decision does not depend on the cache or the thread) is converted by the exact transform
//! instead. Non-finite coordinates and cells whose corners the exact transform refuses (e.g.
//! just outside the quasigeoid grid) go through the exact transform point by point, which
//! reports its own error.
//!
//! ```
//! use zwilling_tiles::placement::LocalPatches;
//! // An "exact" transform: a sphere-like drop plus a height-dependent tilt.
//! let exact = |p: &[[f64; 3]], out: &mut [[f64; 3]]| -> zwilling_core::Result<()> {
//!     for (o, q) in out.iter_mut().zip(p) {
//!         *o = [q[0], q[1], q[2] - (q[0] * q[0] + q[1] * q[1]) / 12.7e6 + 1e-4 * q[2] * q[0]];
//!     }
//!     Ok(())
//! };
//! let fast = LocalPatches::new(&exact, 8.0);
//! let mut out = [[0.0; 3]];
//! fast.to_local(&[103.3], &[-57.1], &[312.0], &mut out).unwrap();
//! let mut want = [[0.0; 3]];
//! exact(&[[103.3, -57.1, 312.0]], &mut want).unwrap();
//! assert!((0..3).all(|k| (out[0][k] - want[0][k]).abs() < 1e-5));
//! ```

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use zwilling_core::num::floor_i64;
use zwilling_core::Result;

/// An exact source → local transform of `[x, y, H]` triples.
pub type Exact<'a> = dyn Fn(&[[f64; 3]], &mut [[f64; 3]]) -> Result<()> + Sync + 'a;

/// Cell edge (source units, metres for projected CRSs) that keeps GCG2016's slope kinks under
/// 0.3 mm (see the module doc).
pub const CELL_METRES: f64 = 8.0;

/// A call with more than one change of cell per this many points is converted exactly.
pub const SCATTERED: usize = 4;

/// Cached cells per thread (direct mapped).
const SLOTS: usize = 4096;

/// The two heights at which the corners are evaluated: `B = (L(H₁) − L(H₀)) / (H₁ − H₀)`.
const H: [f64; 2] = [0.0, 1000.0];

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One cell: `A` and `B` at its corners (0,0), (1,0), (0,1), (1,1); `exact` when a corner failed.
#[derive(Clone, Copy)]
struct Cell {
    owner: u64,
    key: (i64, i64),
    a: [[f64; 3]; 4],
    b: [[f64; 3]; 4],
    exact: bool,
}

/// A thread's cells (direct mapped, [`SLOTS`] of them once used) and the cell keys of the
/// points of the current call.
struct Cache {
    cells: Vec<Cell>,
    keys: Vec<(i64, i64)>,
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { cells: Vec::new(), keys: Vec::new() }) };
}

/// Bilinear cell interpolation of an exact source → local transform (see the module doc).
pub struct LocalPatches<'a> {
    exact: &'a Exact<'a>,
    cell: f64,
    id: u64,
}

impl<'a> LocalPatches<'a> {
    /// Interpolates `exact` over cells of edge `cell` (source units).
    pub fn new(exact: &'a Exact<'a>, cell: f64) -> Self {
        LocalPatches { exact, cell, id: NEXT_ID.fetch_add(1, Ordering::Relaxed) }
    }

    /// Interpolates `exact` over cells of about `metres` on the ground, measured at `centre`
    /// (source coordinates): the cell edge in source units is `metres` divided by the larger of
    /// the ground distances one source unit east and north spans there (so degrees, feet and metres
    /// all get `metres`-sized cells).
    pub fn with_ground_size(exact: &'a Exact<'a>, centre: [f64; 2], metres: f64) -> Result<Self> {
        let [x, y] = centre;
        let mut l = [[0.0; 3]; 3];
        exact(&[[x, y, 0.0], [x + 1e-3, y, 0.0], [x, y + 1e-3, 0.0]], &mut l)?;
        let dist =
            |a: [f64; 3], b: [f64; 3]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
        let per_unit = dist(l[0], l[1]).max(dist(l[0], l[2])) / 1e-3;
        if !(per_unit.is_finite() && per_unit > 0.0) {
            return Err(zwilling_core::Error::crs(format!("the transform is degenerate at {x}, {y}")));
        }
        Ok(Self::new(exact, metres / per_unit))
    }

    fn make(&self, key: (i64, i64)) -> Cell {
        let mut p = [[0.0; 3]; 8];
        for (c, (i, j)) in [(0, 0), (1, 0), (0, 1), (1, 1)].into_iter().enumerate() {
            let (x, y) = ((key.0 + i) as f64 * self.cell, (key.1 + j) as f64 * self.cell);
            p[2 * c] = [x, y, H[0]];
            p[2 * c + 1] = [x, y, H[1]];
        }
        let mut l = [[0.0; 3]; 8];
        let ok = (self.exact)(&p, &mut l).is_ok() && l.iter().flatten().all(|v| v.is_finite());
        let mut cell = Cell { owner: self.id, key, a: [[0.0; 3]; 4], b: [[0.0; 3]; 4], exact: !ok };
        for c in 0..4 {
            let (lo, hi) = (l[2 * c], l[2 * c + 1]);
            cell.a[c] = lo;
            cell.b[c] = std::array::from_fn(|k| (hi[k] - lo[k]) / (H[1] - H[0]));
        }
        cell
    }

    /// Converts `x, y, z` (source CRS) to the local frame into `out` (all of the same length).
    pub fn to_local(&self, x: &[f64], y: &[f64], z: &[f64], out: &mut [[f64; 3]]) -> Result<()> {
        let n = out.len().min(x.len()).min(y.len()).min(z.len());
        let inv = 1.0 / self.cell;
        let key = |i: usize| (floor_i64(x[i] * inv), floor_i64(y[i] * inv));
        // `Ok(false)`: scattered input, converted exactly below (outside the cache's borrow, as
        // the exact transform may run parallel work on this thread).
        let interpolated = CACHE.with(|cache| -> Result<bool> {
            let mut cache = cache.borrow_mut();
            let Cache { cells, keys } = &mut *cache;
            // Each point's cell, computed once; the cell changes are counted in input order.
            keys.clear();
            keys.extend((0..n).map(key));
            let changes = keys.windows(2).filter(|w| w[0] != w[1]).count();
            if changes * SCATTERED > n {
                return Ok(false);
            }
            if cells.is_empty() {
                cells.resize(SLOTS, Cell { owner: 0, key: (0, 0), a: [[0.0; 3]; 4], b: [[0.0; 3]; 4], exact: true });
            }
            // The slot of the previous point's cell: consecutive points mostly share a cell, so the
            // slot is looked up (and the cell made) only when the cell changes.
            let mut current: Option<((i64, i64), usize)> = None;
            for i in 0..n {
                let k = keys[i];
                let slot = match current {
                    Some((ck, slot)) if ck == k => slot,
                    _ => {
                        let slot = (k.0.wrapping_mul(0x9E37_79B9).wrapping_add(k.1) as usize) % SLOTS;
                        if cells[slot].owner != self.id || cells[slot].key != k {
                            cells[slot] = self.make(k);
                        }
                        current = Some((k, slot));
                        slot
                    }
                };
                let c = &cells[slot];
                let (u, v) = (x[i] * inv - k.0 as f64, y[i] * inv - k.1 as f64);
                if c.exact || !(0.0..=1.0).contains(&u) || !(0.0..=1.0).contains(&v) {
                    self.exact_points(&x[i..=i], &y[i..=i], &z[i..=i], &mut out[i..=i])?;
                    continue;
                }
                let w = [(1.0 - u) * (1.0 - v), u * (1.0 - v), (1.0 - u) * v, u * v];
                let h = z[i];
                out[i] = std::array::from_fn(|d| {
                    let a = w[0] * c.a[0][d] + w[1] * c.a[1][d] + w[2] * c.a[2][d] + w[3] * c.a[3][d];
                    let b = w[0] * c.b[0][d] + w[1] * c.b[1][d] + w[2] * c.b[2][d] + w[3] * c.b[3][d];
                    a + h * b
                });
            }
            Ok(true)
        })?;
        if !interpolated {
            self.exact_points(&x[..n], &y[..n], &z[..n], &mut out[..n])?;
        }
        Ok(())
    }

    fn exact_points(&self, x: &[f64], y: &[f64], z: &[f64], out: &mut [[f64; 3]]) -> Result<()> {
        let p: Vec<[f64; 3]> = (0..x.len()).map(|i| [x[i], y[i], z[i]]).collect();
        (self.exact)(&p, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A surface with Earth-like curvature, a height-dependent tilt and a "quasigeoid" that is
    /// piecewise linear with slope kinks of `d` every 900 m (like GCG2016's grid lines).
    fn surface(d: f64) -> impl Fn(&[[f64; 3]], &mut [[f64; 3]]) -> Result<()> + Sync {
        move |p: &[[f64; 3]], out: &mut [[f64; 3]]| {
            for (o, q) in out.iter_mut().zip(p) {
                // a triangle wave with slopes ±d/2: |Δslope| = d at every multiple of 900
                let kink = |t: f64| d / 2.0 * 900.0 * (1.0 - (2.0 * (t / 1800.0).rem_euclid(1.0) - 1.0).abs());
                let zeta = 47.0 + kink(q[0]) + kink(q[1]);
                let h = q[2] + zeta;
                let r2 = q[0] * q[0] + q[1] * q[1];
                o[0] = q[0] * (1.0 + 1e-7 * q[1]) + 1e-6 * h * q[0] / 6.4;
                o[1] = q[1] - 2e-8 * q[0] * q[0] + 1e-6 * h * q[1] / 6.4;
                o[2] = h * (1.0 - r2 / 8.1e13) - r2 / 12.74e6;
            }
            Ok(())
        }
    }

    /// Over 2 km × 2 km with kinks of 7·10⁻⁵ (GCG2016's largest), every point is within the
    /// module doc's bound `2 · Δslope · s/4` (+ 5 µm for the smooth part) of the exact value; the largest error found is
    /// close to the bound (the kink term dominates), and points right on cell corners are exact.
    #[test]
    fn bounded_by_the_kink() {
        let d = 7e-5;
        let exact = surface(d);
        let fast = LocalPatches::new(&exact, CELL_METRES);
        let bound = 2.0 * d * CELL_METRES / 4.0 + 5e-6;
        let n = 40_000;
        // A coherent "scan": a zig-zag across the area, so few cell changes per point.
        let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
        for i in 0..n {
            let t = i as f64 / n as f64;
            x.push(-1000.0 + 2000.0 * t);
            y.push(-1000.0 + 2000.0 * ((t * 4.0).fract() - 0.5).abs() * 2.0);
            z.push(300.0 + 50.0 * (t * 7.0).sin());
        }
        let mut got = vec![[0.0; 3]; n];
        fast.to_local(&x, &y, &z, &mut got).unwrap();
        let p: Vec<[f64; 3]> = (0..n).map(|i| [x[i], y[i], z[i]]).collect();
        let mut want = vec![[0.0; 3]; n];
        exact(&p, &mut want).unwrap();
        let worst = (0..n).flat_map(|i| (0..3).map(move |k| (i, k))).map(|(i, k)| (got[i][k] - want[i][k]).abs());
        let worst = worst.fold(0.0, f64::max);
        assert!(worst <= bound, "worst {worst} m > bound {bound} m");
        assert!(worst > 0.2 * bound, "worst {worst} m: the test surface no longer probes the kinks");
        // Cell corners are evaluated exactly.
        let mut one = [[0.0; 3]];
        fast.to_local(&[16.0], &[-24.0], &[123.0], &mut one).unwrap();
        let mut w = [[0.0; 3]];
        exact(&[[16.0, -24.0, 123.0]], &mut w).unwrap();
        assert!((0..3).all(|k| (one[0][k] - w[0][k]).abs() < 1e-9));
    }

    /// Scattered input goes through the exact transform; a failing corner sends that cell's points
    /// to the exact transform, whose error is reported; NaN coordinates too.
    #[test]
    fn scattered_and_failing_input_use_the_exact_transform() {
        let exact = |p: &[[f64; 3]], out: &mut [[f64; 3]]| -> Result<()> {
            for (o, q) in out.iter_mut().zip(p) {
                if q[0] > 996.0 || !q[0].is_finite() {
                    return Err(zwilling_core::Error::invalid(format!("outside the grid at x = {}", q[0])));
                }
                *o = [q[0], q[1], q[2] + q[0] * q[0] * 1e-3];
            }
            Ok(())
        };
        let fast = LocalPatches::new(&exact, 8.0);
        // Points 100 m apart: every point a new cell → exact, so the curvature is reproduced exactly.
        let x: Vec<f64> = (0..50).map(|i| i as f64 * 100.0 + 3.0).collect();
        let mut out = vec![[0.0; 3]; 10];
        fast.to_local(&x[..10], &x[..10], &[0.0; 10], &mut out).unwrap();
        assert!(out.iter().zip(&x).all(|(o, x)| o[2] == x * x * 1e-3), "{out:?}");
        // A cell (992..1000) whose upper corners are beyond 996 but whose points are not: exact per
        // point, fine.
        let mut one = [[0.0; 3]; 4];
        fast.to_local(&[995.0; 4], &[0.0; 4], &[0.0; 4], &mut one).unwrap();
        assert!(one.iter().all(|o| o[2] == 995.0 * 995.0 * 1e-3), "{one:?}");
        // Beyond: the exact transform's error comes through.
        let e = fast.to_local(&[997.0; 4], &[0.0; 4], &[0.0; 4], &mut one).unwrap_err().to_string();
        assert!(e.contains("outside the grid"), "{e}");
        assert!(fast.to_local(&[f64::NAN; 4], &[0.0; 4], &[0.0; 4], &mut one).is_err());
    }
}
