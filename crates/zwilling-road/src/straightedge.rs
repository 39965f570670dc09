//! 4 m rolling straightedge: the gap under a 4 m straightedge at mid-span (SM4L, "Stichmaß
//! unter der 4-m-Latte").
//!
//! A rigid straightedge of length L (4 m) laid on the profile rests on its highest points: it
//! follows the *upper convex hull* of the profile within the span [x − L/2, x + L/2]. The gap at
//! mid-span is
//!
//! ```text
//! g(x) = H_x(x) − y(x),   H_x = upper convex hull of {(s, y(s)) : |s − x| ≤ L/2}
//! ```
//!
//! The straightedge is rolled along the wheel path sample by sample; per section SM4L_M is the
//! maximum and SM4L_A the mean of g over all positions whose centre lies in the section (FGSV
//! AP 9 K / ZTV ZEB-StB name SM4L the "Stichmaß in der 4-m-Latte"; the virtual straightedge of
//! the evaluation software follows the same rest-on-the-high-points principle).
//!
//! Checks (tests below): a sine of amplitude a = 5 mm and wavelength 2 m or 4 m gives
//! SM4L_M = 2a = 10.0 mm (the edge spans two crests above a trough); 8 m gives a = 5.0 mm (over
//! half a wavelength the profile under the edge is concave, the edge rests on its ends).

use crate::profile::Profile;

/// Gaps g(x) at every sample whose full span lies inside the profile (NaN elsewhere and where a
/// sample in the span is NaN). Same length and stations as `profile`.
pub fn straightedge_gaps(profile: &Profile, length: f64) -> Vec<f64> {
    let n = profile.len();
    let half = ((length / 2.0) / profile.dx).round() as usize;
    let mut out = vec![f64::NAN; n];
    if half == 0 || n < 2 * half + 1 {
        return out;
    }
    let mut hull: Vec<usize> = Vec::with_capacity(2 * half + 1);
    for c in half..n - half {
        let window = c - half..=c + half;
        if profile.z[window.clone()].iter().any(|v| v.is_nan()) {
            continue;
        }
        // Andrew's monotone chain, upper hull, on equally spaced samples.
        hull.clear();
        for i in window {
            while hull.len() >= 2 {
                let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
                // remove b if it lies on or below the line a → i
                let cross =
                    (b - a) as f64 * (profile.z[i] - profile.z[a]) - (i - a) as f64 * (profile.z[b] - profile.z[a]);
                if cross >= 0.0 {
                    hull.pop();
                } else {
                    break;
                }
            }
            hull.push(i);
        }
        let k = hull.partition_point(|&i| i <= c);
        let top = if hull[k - 1] == c {
            profile.z[c]
        } else {
            let (a, b) = (hull[k - 1], hull[k]);
            profile.z[a] + (profile.z[b] - profile.z[a]) * (c - a) as f64 / (b - a) as f64
        };
        out[c] = top - profile.z[c];
    }
    out
}

/// SM4L of one stretch: maximum and mean gap (same unit as the profile), NaN without gaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Straightedge {
    /// Maximum gap (SM4L_M).
    pub max: f64,
    /// Mean gap (SM4L_A).
    pub mean: f64,
}

/// Max and mean of the gaps in `gaps[range]` that are known; NaN when fewer than `min_fraction`
/// of them are.
pub fn summarise(gaps: &[f64], min_fraction: f64) -> Straightedge {
    let known: Vec<f64> = gaps.iter().copied().filter(|v| v.is_finite()).collect();
    if known.is_empty() || (known.len() as f64) < min_fraction * gaps.len() as f64 {
        return Straightedge { max: f64::NAN, mean: f64::NAN };
    }
    Straightedge {
        max: known.iter().copied().fold(f64::MIN, f64::max),
        mean: known.iter().sum::<f64>() / known.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(lambda: f64, a: f64) -> Profile {
        let dx = 0.05;
        Profile::new(0.0, dx, (0..=800).map(|i| a * (2.0 * PI * i as f64 * dx / lambda).sin()).collect())
    }

    #[test]
    fn sine_checks_of_the_issue() {
        for (lambda, expected_mm) in [(2.0, 10.0), (4.0, 10.0), (8.0, 5.0)] {
            let g = straightedge_gaps(&sine(lambda, 0.005), 4.0);
            let s = summarise(&g, 0.5);
            assert!((s.max * 1000.0 - expected_mm).abs() < 1e-6, "λ {lambda}: {}", s.max * 1000.0);
            assert!(s.mean > 0.0 && s.mean < s.max);
        }
    }

    #[test]
    fn straight_profile_has_no_gap_and_a_bump_has_none_under_it() {
        let line = Profile::new(0.0, 0.1, (0..200).map(|i| 0.02 * i as f64 * 0.1).collect());
        assert!(summarise(&straightedge_gaps(&line, 4.0), 0.5).max.abs() < 1e-12);
        // a 10 mm dip 0.5 m wide on a flat road: the gap equals the dip depth at its centre
        let mut z = vec![0.0; 200];
        for (i, v) in z.iter_mut().enumerate().take(105).skip(95) {
            *v = -0.01 * (1.0 - ((i as f64 - 100.0) / 5.0).abs()).max(0.0);
        }
        let g = straightedge_gaps(&Profile::new(0.0, 0.1, z), 4.0);
        assert!((g[100] - 0.01).abs() < 1e-12);
        assert!(g[50].abs() < 1e-12 && g[0].is_nan());
    }
}
