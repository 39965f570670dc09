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
//! Cost: one hash of every point's voxel and 27 look-ups per occupied voxel (the neighbourhood
//! count is shared by all points of a voxel); memory a voxel number per point and a counter per
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

use crate::cellhash::CellMap;
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
    // Voxel of every point (numbered in order of first appearance) and points per voxel.
    let mut index: CellMap<(i64, i64, i64), u32> = CellMap::default();
    let mut voxel_keys: Vec<(i64, i64, i64)> = vec![];
    let mut counts: Vec<u32> = vec![];
    let voxel_of: Vec<u32> = (0..n)
        .map(|i| {
            let k = key(i);
            let v = *index.entry(k).or_insert_with(|| {
                voxel_keys.push(k);
                counts.push(0);
                (voxel_keys.len() - 1) as u32
            });
            counts[v as usize] += 1;
            v
        })
        .collect();
    // The 27-voxel count is the same for every point of a voxel: computed once per voxel.
    let isolated_voxel: Vec<bool> = voxel_keys
        .iter()
        .map(|&(cx, cy, cz)| {
            let mut count = 0u32;
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for dz in -1..=1 {
                        count += index.get(&(cx + dx, cy + dy, cz + dz)).map_or(0, |&v| counts[v as usize]);
                    }
                }
            }
            count - 1 <= params.isolated
        })
        .collect();
    if !isolated_voxel.iter().any(|&s| s) {
        return vec![None; n];
    }
    // Lowest point per voxel, then per voxel column over the non-isolated voxels.
    let mut voxel_min = vec![f64::INFINITY; voxel_keys.len()];
    for (i, &v) in voxel_of.iter().enumerate() {
        let m = &mut voxel_min[v as usize];
        *m = m.min(z[i]);
    }
    let mut column_min: CellMap<(i64, i64), f64> = CellMap::default();
    for (v, &(cx, cy, _)) in voxel_keys.iter().enumerate().filter(|(v, _)| !isolated_voxel[*v]) {
        let m = column_min.entry((cx, cy)).or_insert(f64::INFINITY);
        *m = m.min(voxel_min[v]);
    }
    (0..n)
        .map(|i| {
            let v = voxel_of[i] as usize;
            if !isolated_voxel[v] {
                return None;
            }
            let (cx, cy, _) = voxel_keys[v];
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
