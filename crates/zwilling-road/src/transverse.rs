//! Transverse profile measures: rut depth (1.2 m straightedge), fictitious water depth and cross
//! slope of one transverse profile across the lane.
//!
//! A transverse profile holds heights z(o) at lateral offsets o from the lane centre, positive to
//! the right in driving direction, spaced a few centimetres apart. Each half-lane
//! (o ≤ 0 and o ≥ 0) is evaluated on its own, as in ZEB practice (ZTV ZEB-StB; FGSV AP 9 K):
//!
//! - **Rut depth** (SPT) by the straightedge principle: a straightedge of length 1.2 m is laid
//!   on the half-lane at every position; resting on the high points it follows the upper convex
//!   hull H of the profile under it. The rut depth is the largest vertical gap H(o) − z(o) over
//!   all positions and offsets. A V-shaped rut 1 m wide of depth d in a plane of any slope gives d.
//! - **Fictitious water depth** (SPH): rain water held in the half-lane's cross-section, i.e. at
//!   each offset the level `min(max z left of o, max z right of o)` ("trapped water") minus z;
//!   the half-lane's value is the largest depth. A rut therefore holds water up to its lower rim:
//!   a V rut of depth d and half-width w in a cross slope q holds `max(0, d − q·w)`
//!   (d = 20 mm, q = 2.5 %, w = 0.5 m → 7.5 mm).
//! - **Cross slope** (QN): slope of the least-squares line through the whole profile, in %,
//!   positive when the surface falls to the right.
//!
//! Per section MSPT is the mean and SPTMAX the maximum of the per-profile rut depth (the larger
//! of the two half-lanes), MSPH the mean of the per-profile water depth, QN the mean cross slope.

/// Measures of one transverse profile (metres, cross slope in %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransverseMeasures {
    /// Rut depth of the left half-lane (m).
    pub rut_left: f64,
    /// Rut depth of the right half-lane (m).
    pub rut_right: f64,
    /// Water depth of the left half-lane (m).
    pub water_left: f64,
    /// Water depth of the right half-lane (m).
    pub water_right: f64,
    /// Cross slope (%), positive falling to the right.
    pub cross_slope: f64,
}

impl TransverseMeasures {
    /// The larger rut depth of both half-lanes (NaN when both are unknown).
    pub fn rut(&self) -> f64 {
        nan_max(self.rut_left, self.rut_right)
    }

    /// The larger water depth of both half-lanes.
    pub fn water(&self) -> f64 {
        nan_max(self.water_left, self.water_right)
    }
}

/// max that ignores one NaN.
pub(crate) fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        b
    } else if b.is_nan() {
        a
    } else {
        a.max(b)
    }
}

/// Evaluates a transverse profile (offsets increasing, NaN heights allowed and skipped).
/// A half-lane with fewer known samples than 60 % of its samples gets NaN.
pub fn evaluate(offsets: &[f64], z: &[f64], straightedge: f64) -> TransverseMeasures {
    let known: Vec<(f64, f64)> = offsets.iter().zip(z).filter(|(_, z)| z.is_finite()).map(|(&o, &z)| (o, z)).collect();
    let half = |left: bool| -> (f64, f64) {
        let total = offsets.iter().filter(|&&o| if left { o <= 0.0 } else { o >= 0.0 }).count();
        let pts: Vec<(f64, f64)> =
            known.iter().copied().filter(|&(o, _)| if left { o <= 0.0 } else { o >= 0.0 }).collect();
        if total == 0 || (pts.len() as f64) < 0.6 * total as f64 || pts.len() < 3 {
            return (f64::NAN, f64::NAN);
        }
        (rut_depth(&pts, straightedge), water_depth(&pts))
    };
    let (rut_left, water_left) = half(true);
    let (rut_right, water_right) = half(false);
    TransverseMeasures { rut_left, rut_right, water_left, water_right, cross_slope: cross_slope(&known) }
}

/// Largest gap under a straightedge of `length` laid anywhere on the profile `pts` (sorted by
/// offset). A span shorter than `length` is spanned by one straightedge.
pub fn rut_depth(pts: &[(f64, f64)], length: f64) -> f64 {
    let n = pts.len();
    let mut best = 0.0f64;
    let mut hull: Vec<usize> = Vec::with_capacity(n);
    let mut end = 0;
    for start in 0..n {
        if start > 0 && end == n && pts[n - 1].0 - pts[start].0 < length - 1e-9 {
            break; // the last window is already covered
        }
        while end < n && pts[end].0 - pts[start].0 <= length + 1e-9 {
            end += 1;
        }
        upper_hull(&pts[start..end], &mut hull);
        let mut k = 0;
        for (i, &(o, z)) in pts[start..end].iter().enumerate() {
            while k + 1 < hull.len() && hull[k + 1] < i {
                k += 1;
            }
            let (a, b) = (pts[start + hull[k]], pts[start + hull[(k + 1).min(hull.len() - 1)]]);
            let top = if b.0 > a.0 { a.1 + (b.1 - a.1) * (o - a.0) / (b.0 - a.0) } else { a.1 };
            best = best.max(top - z);
        }
    }
    best
}

/// Indices of the upper convex hull of points sorted by x (Andrew's monotone chain).
fn upper_hull(pts: &[(f64, f64)], hull: &mut Vec<usize>) {
    hull.clear();
    for (i, p) in pts.iter().enumerate() {
        while hull.len() >= 2 {
            let (a, b) = (pts[hull[hull.len() - 2]], pts[hull[hull.len() - 1]]);
            let cross = (b.0 - a.0) * (p.1 - a.1) - (p.0 - a.0) * (b.1 - a.1);
            if cross >= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(i);
    }
}

/// Largest depth of water held by the profile (trapped between higher points on both sides).
pub fn water_depth(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len();
    let mut right_max = vec![f64::MIN; n];
    let mut m = f64::MIN;
    for i in (0..n).rev() {
        m = m.max(pts[i].1);
        right_max[i] = m;
    }
    let mut left = f64::MIN;
    let mut best = 0.0f64;
    for i in 0..n {
        left = left.max(pts[i].1);
        best = best.max(left.min(right_max[i]) - pts[i].1);
    }
    best
}

/// Cross slope (%) of the least-squares line z = a + b·o, positive falling to the right (−100·b).
pub fn cross_slope(pts: &[(f64, f64)]) -> f64 {
    -100.0 * line_slope(pts.iter().copied())
}

/// Least-squares slope of (x, y) pairs; NaN with fewer than two distinct x.
pub fn line_slope(pts: impl Iterator<Item = (f64, f64)> + Clone) -> f64 {
    let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for (x, y) in pts.clone() {
        n += 1.0;
        sx += x;
        sy += y;
    }
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (x, y) in pts {
        sxx += (x - mx) * (x - mx);
        sxy += (x - mx) * (y - my);
    }
    if sxx <= 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lane of ±1.75 m falling `q` to the right with V ruts of `depth` and half-width 0.5 m
    /// centred at ±0.85 m; samples every 0.05 m.
    fn lane(depth: f64, q: f64) -> (Vec<f64>, Vec<f64>) {
        let offsets: Vec<f64> = (0..=70).map(|i| -1.75 + i as f64 * 0.05).collect();
        let z = offsets
            .iter()
            .map(|&o| {
                let v = |c: f64| depth * (1.0 - (o - c).abs() / 0.5).max(0.0);
                -q * o - v(-0.85) - v(0.85)
            })
            .collect();
        (offsets, z)
    }

    #[test]
    fn v_ruts_of_the_issue() {
        for (depth, q, water) in
            [(0.020, 0.0, 0.020), (0.020, 0.025, 0.0075), (0.010, 0.025, 0.0), (0.030, 0.025, 0.0175)]
        {
            let (o, z) = lane(depth, q);
            let m = evaluate(&o, &z, 1.2);
            assert!((m.rut_left - depth).abs() < 1e-9 && (m.rut_right - depth).abs() < 1e-9, "{m:?}");
            assert!((m.water() - water).abs() < 1e-9, "d {depth} q {q}: {}", m.water());
            assert!((m.cross_slope - 100.0 * q).abs() < 1e-6, "{}", m.cross_slope);
        }
    }

    #[test]
    fn plane_has_no_rut_and_no_water() {
        let (o, z) = lane(0.0, 0.03);
        let m = evaluate(&o, &z, 1.2);
        assert!(m.rut().abs() < 1e-12 && m.water().abs() < 1e-12);
    }

    #[test]
    fn missing_half_lane_is_nan() {
        let (o, mut z) = lane(0.02, 0.0);
        for v in z.iter_mut().take(30) {
            *v = f64::NAN;
        }
        let m = evaluate(&o, &z, 1.2);
        assert!(m.rut_left.is_nan() && (m.rut_right - 0.02).abs() < 1e-9);
        assert!((m.rut() - 0.02).abs() < 1e-9);
    }
}
