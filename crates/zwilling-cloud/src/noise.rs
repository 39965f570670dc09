//! Noise removal: isolated points become low noise (class 7) or high noise (class 18).
//!
//! A point is *isolated* when the 3 × 3 × 3 block of voxels around its own voxel holds at most
//! `isolated` other points (the voxel-neighbourhood test of `lasnoise`, LAStools). Voxels are
//! `step_xy × step_xy × step_z`; by default `step_xy = max(2 m, 2 · spacing)` so that sparse
//! airborne data (spacing up to a few metres) and dense mobile mapping use the same rule, and
//! `step_z = 1 m`. An isolated point lower than every non-isolated point of its 3 × 3 voxel
//! column neighbourhood is **low noise** (multipath, "bird below ground"), any other isolated
//! point is **high noise** (birds, dust, reflections in the air).
//!
//! Cost: one hash of every point's voxel and 27 look-ups per point; memory one counter per
//! occupied voxel.
//!
//! ```
//! use zwilling_cloud::noise::{find_noise, NoiseParams};
//! use zwilling_core::class;
//! let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
//! for i in 0..30 { for j in 0..30 { x.push(i as f64); y.push(j as f64); z.push(0.0); } }
//! x.push(15.0); y.push(15.0); z.push(40.0); // a bird
//! x.push(5.0); y.push(5.0); z.push(-9.0);   // a multipath point below the ground
//! let labels = find_noise(&x, &y, &z, &NoiseParams::default());
//! assert_eq!(labels[900], Some(class::HIGH_NOISE));
//! assert_eq!(labels[901], Some(class::LOW_NOISE));
//! assert!(labels[..900].iter().all(|l| l.is_none()));
//! ```

use std::collections::HashMap;
use zwilling_core::class;

/// Parameters of the isolated-point test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseParams {
    /// Horizontal voxel size in metres; `None`: `max(2 m, 2 · mean spacing)`.
    pub step_xy: Option<f64>,
    /// Vertical voxel size in metres.
    pub step_z: f64,
    /// A point with at most this many other points in its 27-voxel neighbourhood is noise.
    pub isolated: u32,
}

impl Default for NoiseParams {
    fn default() -> Self {
        NoiseParams { step_xy: None, step_z: 1.0, isolated: 2 }
    }
}

/// For every point, `Some(class::LOW_NOISE)`, `Some(class::HIGH_NOISE)` or `None` (not noise).
pub fn find_noise(x: &[f64], y: &[f64], z: &[f64], params: &NoiseParams) -> Vec<Option<u8>> {
    let n = x.len();
    assert!(y.len() == n && z.len() == n, "column lengths differ");
    if n == 0 {
        return vec![];
    }
    let step_xy = params.step_xy.unwrap_or_else(|| {
        let s = crate::density::mean_spacing(x, y, &vec![true; n]);
        (2.0 * s).max(2.0)
    });
    let key = |i: usize| {
        ((x[i] / step_xy).floor() as i64, (y[i] / step_xy).floor() as i64, (z[i] / params.step_z).floor() as i64)
    };
    let mut voxels: HashMap<(i64, i64, i64), u32> = HashMap::with_capacity(n / 4);
    for i in 0..n {
        *voxels.entry(key(i)).or_insert(0) += 1;
    }
    let isolated: Vec<bool> = (0..n)
        .map(|i| {
            let (cx, cy, cz) = key(i);
            let mut count = 0u32;
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for dz in -1..=1 {
                        count += voxels.get(&(cx + dx, cy + dy, cz + dz)).copied().unwrap_or(0);
                    }
                }
            }
            count - 1 <= params.isolated
        })
        .collect();
    if !isolated.iter().any(|&s| s) {
        return vec![None; n];
    }
    // Lowest non-isolated point per voxel column.
    let mut column_min: HashMap<(i64, i64), f64> = HashMap::new();
    for i in (0..n).filter(|&i| !isolated[i]) {
        let (cx, cy, _) = key(i);
        let m = column_min.entry((cx, cy)).or_insert(f64::INFINITY);
        *m = m.min(z[i]);
    }
    (0..n)
        .map(|i| {
            if !isolated[i] {
                return None;
            }
            let (cx, cy, _) = key(i);
            let mut lowest = f64::INFINITY;
            for dx in -1..=1 {
                for dy in -1..=1 {
                    if let Some(&m) = column_min.get(&(cx + dx, cy + dy)) {
                        lowest = lowest.min(m);
                    }
                }
            }
            Some(if z[i] < lowest && lowest.is_finite() { class::LOW_NOISE } else { class::HIGH_NOISE })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_steep_terrain_is_not_noise() {
        // 2.4 m spacing on a 40° slope: every point has neighbours within the adaptive voxels.
        let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
        for i in 0..40 {
            for j in 0..40 {
                let (px, py) = (i as f64 * 2.4, j as f64 * 2.4);
                x.push(px);
                y.push(py);
                z.push(px * 0.84);
            }
        }
        let labels = find_noise(&x, &y, &z, &NoiseParams::default());
        assert_eq!(labels.iter().filter(|l| l.is_some()).count(), 0);
    }

    #[test]
    fn a_small_cluster_counts_as_not_isolated_with_enough_members() {
        let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
        for i in 0..20 {
            for j in 0..20 {
                x.push(i as f64);
                y.push(j as f64);
                z.push(0.0);
            }
        }
        // Three points together 30 m up: each has 2 others → isolated with the default (≤ 2);
        // with `isolated: 1` they are kept.
        for k in 0..3 {
            x.push(10.0 + 0.1 * k as f64);
            y.push(10.0);
            z.push(30.0);
        }
        let l = find_noise(&x, &y, &z, &NoiseParams::default());
        assert!(l[400..].iter().all(|&c| c == Some(class::HIGH_NOISE)));
        let l = find_noise(&x, &y, &z, &NoiseParams { isolated: 1, ..NoiseParams::default() });
        assert!(l.iter().all(|c| c.is_none()));
    }
}
