//! Road markings in an intensity ortho: bright, thin, long shapes, with a wear score.
//!
//! Retro-reflective paint returns several times the laser intensity of asphalt (the synthetic
//! survey: ≈ 42 000 vs ≈ 9 000), so markings are found by their brightness relative to the local
//! asphalt:
//!
//! 1. **Asphalt level** `B`: a three-pass box blur (σ ≈ `background_m`) of the ortho by normalised
//!    convolution over the valid cells (Knutsson & Westin 1993), after replacing cells brighter
//!    than `min_ratio × median` by the median so the paint does not raise its own background.
//! 2. **Candidates**: cells with `I ≥ min_ratio · B`; 8-connected components.
//! 3. **Shape** ([`crate::shape::components`]): kept when the extent along the main axis is at
//!    least `min_length_m` and the mean width (area / length) at most `max_width_m` (without the
//!    crack filter's network rule: a bright area is not paint however long its skeleton).
//! 4. **Geometry**: the skeleton polylines of the kept cells ([`crate::polyline`]), in map
//!    coordinates (cell centres), each end extended by half the width (thinning leaves the
//!    skeleton that much short); length = skeleton length + width.
//! 5. **Wear score** of a marking: the Michelson contrast of its mean intensity `I_m` to the
//!    asphalt under it, `(I_m − B_m)/(I_m + B_m)` ∈ [0, 1] (Michelson 1927, *Studies in Optics*):
//!    ≈ 0.65 for fresh synthetic paint, falling towards 0 as paint wears and its reflectance
//!    approaches the asphalt's.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_cracks::markings::{find_markings, MarkingParams};
//! // 20 m × 6 m of asphalt (0.05 m cells) with a 0.15 m wide line along row 60.
//! let mut g = Grid::filled(400, 120, GeoTransform::new(0.0, 6.0, 0.05), 9000.0f32);
//! for c in 20..380 {
//!     for r in 59..62 {
//!         let i = g.idx(c, r);
//!         g.data[i] = 42000.0;
//!     }
//! }
//! let m = find_markings(&g, &MarkingParams::default());
//! assert_eq!(m.len(), 1);
//! assert!((m[0].length_m - 18.0).abs() < 0.3);
//! ```

use crate::plane::Plane;
use crate::shape::components;
use serde::{Deserialize, Serialize};
use zwilling_core::Grid;

/// Parameters of the marking detector (metres or ratios).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarkingParams {
    /// Blur scale of the asphalt level, metres.
    pub background_m: f64,
    /// A marking cell is at least this many times brighter than the asphalt.
    pub min_ratio: f32,
    /// Shortest marking kept, metres.
    pub min_length_m: f64,
    /// Widest marking kept (mean width), metres.
    pub max_width_m: f64,
}

impl Default for MarkingParams {
    fn default() -> Self {
        MarkingParams { background_m: 1.0, min_ratio: 1.5, min_length_m: 1.0, max_width_m: 0.5 }
    }
}

/// One detected marking.
#[derive(Debug, Clone, PartialEq)]
pub struct Marking {
    /// Centre line vertices `[x, y]` in the ortho's CRS.
    pub points: Vec<[f64; 2]>,
    /// Length of the centre line, metres.
    pub length_m: f64,
    /// Mean width of the marking's cells (area / skeleton length), metres.
    pub width_m: f64,
    /// Michelson contrast of the marking to the asphalt under it, 0..1 (lower = more worn).
    pub wear_score: f64,
}

/// Road markings in an intensity ortho (NoData cells ignored). Output order: by the first cell
/// of each marking's component (row-major), then along the skeleton — deterministic.
pub fn find_markings(ortho: &Grid<f32>, p: &MarkingParams) -> Vec<Marking> {
    find_markings_on_road(ortho, None, p)
}

/// [`find_markings`] restricted to the road cells `road` (same size as the ortho, `true` = road,
/// e.g. [`crate::corridor::corridor_mask`]): the asphalt level is estimated from road cells only
/// and only road cells can be paint, so kerbs, sidewalks and walls are not taken for markings.
pub fn find_markings_on_road(ortho: &Grid<f32>, road: Option<&[bool]>, p: &MarkingParams) -> Vec<Marking> {
    let (w, h) = (ortho.width, ortho.height);
    let cell = ortho.transform.cell_x;
    if w == 0 || h == 0 || cell <= 0.0 || road.is_some_and(|r| r.len() != w * h) {
        return vec![];
    }
    let valid: Vec<bool> = ortho
        .data
        .iter()
        .enumerate()
        .map(|(k, &v)| v.is_finite() && !ortho.is_nodata(v) && road.is_none_or(|r| r[k]))
        .collect();
    let mut vals: Vec<f32> = ortho.data.iter().zip(&valid).filter(|(_, &ok)| ok).map(|(&v, _)| v).collect();
    if vals.is_empty() {
        return vec![];
    }
    let mid = vals.len() / 2;
    let med = *vals.select_nth_unstable_by(mid, f32::total_cmp).1;
    let cut = p.min_ratio * med;
    let src: Vec<f32> = ortho
        .data
        .iter()
        .zip(&valid)
        .map(|(&v, &ok)| {
            if !ok {
                0.0
            } else if v > cut {
                med
            } else {
                v
            }
        })
        .collect();
    let r = ((p.background_m / cell).round() as usize).max(1);
    let num = Plane { width: w, height: h, data: src }.gauss3(r);
    let den = Plane { width: w, height: h, data: valid.iter().map(|&ok| ok as u8 as f32).collect() }.gauss3(r);
    let bg: Vec<f32> = num.data.iter().zip(&den.data).map(|(&n, &d)| if d > 1e-3 { n / d } else { 0.0 }).collect();
    let bright: Vec<bool> =
        (0..w * h).map(|k| valid[k] && bg[k] > 0.0 && ortho.data[k] >= p.min_ratio * bg[k]).collect();
    // Plain extent test (no network rule: a bright area with a long skeleton is not paint).
    let (min_len, max_wid) = ((p.min_length_m / cell) as f32, (p.max_width_m / cell) as f32);
    let comps: Vec<_> =
        components(&bright, w, h).into_iter().filter(|c| c.length >= min_len && c.width <= max_wid).collect();
    let mut kept = vec![false; w * h];
    for c in &comps {
        for &q in &c.pixels {
            kept[q] = true;
        }
    }
    let mut comp_of = vec![usize::MAX; w * h];
    let mut score = Vec::with_capacity(comps.len());
    for (k, c) in comps.iter().enumerate() {
        let (mut si, mut sb) = (0.0f64, 0.0f64);
        for &q in &c.pixels {
            comp_of[q] = k;
            si += f64::from(ortho.data[q]);
            sb += f64::from(bg[q]);
        }
        score.push(((si - sb) / (si + sb)).clamp(0.0, 1.0));
    }
    let lines = crate::polyline::crack_polylines(&kept, w, h, 1.0, p.min_length_m / cell);
    let t = &ortho.transform;
    let mut out: Vec<(usize, Marking)> = lines
        .into_iter()
        .filter_map(|l| {
            let [x, y] = l.points[0];
            let k = comp_of[(y as usize).min(h - 1) * w + (x as usize).min(w - 1)];
            (k != usize::MAX).then(|| {
                let mut points: Vec<[f64; 2]> =
                    l.points.iter().map(|q| [t.origin_x + q[0] * t.cell_x, t.origin_y - q[1] * t.cell_y]).collect();
                let width_m = l.mean_width * cell;
                extend_ends(&mut points, width_m / 2.0);
                (k, Marking { points, length_m: l.length * cell + width_m, width_m, wear_score: score[k] })
            })
        })
        .collect();
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, m)| m).collect()
}

/// Moves both end vertices outward by `d` along their end segments: thinning leaves a skeleton
/// about half a width short at each free end.
fn extend_ends(points: &mut [[f64; 2]], d: f64) {
    let n = points.len();
    if n < 2 {
        return;
    }
    for (end, inner) in [(0, 1), (n - 1, n - 2)] {
        let (a, b) = (points[end], points[inner]);
        let len = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        if len > 0.0 {
            points[end] = [a[0] + (a[0] - b[0]) / len * d, a[1] + (a[1] - b[1]) / len * d];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    /// Asphalt 9000 ± 1500 (hash noise) on 40 m × 7 m at 0.04 m cells: two solid edge lines
    /// (0.12 m), a dashed centre line (3 m dash, 6 m gap) whose last dash is worn (18 000).
    fn street() -> (Grid<f32>, usize) {
        let cell = 0.04;
        let (w, h) = ((40.0 / cell) as usize, (7.0 / cell) as usize);
        let mut g = Grid::filled(w, h, GeoTransform::new(500.0, 1000.0, cell), 0.0f32);
        for r in 0..h {
            for c in 0..w {
                let (x, y) = g.transform.cell_center(c, r);
                let (s, t) = (x - 500.0, 1000.0 - y); // along, across (from the top edge)
                let noise = (crate::synthetic::splitmix64((r * w + c) as u64) % 3001) as f32 - 1500.0;
                let mut v = 9000.0 + noise;
                let line = |t0: f64| (t - t0).abs() < 0.06;
                if line(0.5) || line(6.5) {
                    v = 42000.0 + noise;
                }
                if line(3.5) && s % 9.0 < 3.0 {
                    v = if s >= 36.0 { 18000.0 } else { 42000.0 } + noise;
                }
                let i = g.idx(c, r);
                g.data[i] = v;
            }
        }
        (g, 5) // dashes at 0, 9, 18, 27 and 36 m
    }

    #[test]
    fn finds_edge_lines_and_dashes_and_the_worn_dash_scores_lower() {
        let (g, dashes) = street();
        let m = find_markings(&g, &MarkingParams::default());
        let long: Vec<&Marking> = m.iter().filter(|m| m.length_m > 30.0).collect();
        let short: Vec<&Marking> = m.iter().filter(|m| m.length_m < 4.0).collect();
        assert_eq!(long.len(), 2, "{m:?}");
        assert_eq!(short.len(), dashes, "{m:?}");
        assert_eq!(m.len(), 2 + dashes);
        for l in &long {
            assert!((l.length_m - 40.0).abs() < 0.3, "{}", l.length_m);
            assert!((l.width_m - 0.12).abs() < 0.05, "{}", l.width_m);
        }
        for d in &short {
            assert!((d.length_m - 3.0).abs() < 0.15, "{}", d.length_m);
        }
        // Michelson contrast of fresh paint: (42000 − 9000)/(42000 + 9000) = 0.647.
        let mid_x = |d: &Marking| (d.points[0][0] + d.points[d.points.len() - 1][0]) / 2.0;
        let fresh: Vec<f64> = short.iter().filter(|d| mid_x(d) < 536.0).map(|d| d.wear_score).collect();
        assert_eq!(fresh.len(), dashes - 1);
        for f in &fresh {
            assert!((f - 0.647).abs() < 0.03, "{f}");
        }
        let worn = short.iter().find(|d| mid_x(d) > 536.0).unwrap();
        // (18000 − 9000)/(18000 + 9000) = 0.333.
        assert!((worn.wear_score - 0.333).abs() < 0.03, "{}", worn.wear_score);
    }

    #[test]
    fn nodata_and_plain_asphalt_give_nothing() {
        let mut g = Grid::filled(100, 100, GeoTransform::new(0.0, 4.0, 0.04), 9000.0f32);
        g.nodata = Some(-9999.0);
        for v in g.data.iter_mut().take(3000) {
            *v = -9999.0;
        }
        assert!(find_markings(&g, &MarkingParams::default()).is_empty());
    }
}
