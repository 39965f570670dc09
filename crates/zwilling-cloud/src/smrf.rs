//! SMRF, the Simple Morphological Filter for ground classification.
//!
//! Pingel, T. J., Clarke, K. C. & McBride, W. A. (2013): "An improved simple morphological filter
//! for the terrain classification of airborne LIDAR data", ISPRS J. Photogramm. 77:21–30
//! (reference implementation behaviour: PDAL `filters.smrf`). Steps:
//!
//! 1. **Minimum surface** `Z_min`: the lowest usable point per cell of size `c`; empty cells are
//!    filled by membrane inpainting ([`crate::inpaint`]).
//! 2. **Low outliers**: cells more than `5 · c` below their 1-cell opening of the negated surface
//!    (the progressive filter on `−Z_min` with slope 5 and radius 1) are dropped.
//! 3. **Progressive opening** ([`crate::morphology::progressive_filter`]): for radii
//!    `r = 1 … ⌈w / c⌉` a cell is *object* when `Z_{r−1} − open_r(Z_{r−1}) > s · r · c`.
//! 4. **Provisional ground surface** `Z_pro`: `Z_min` without object and low cells, re-inpainted.
//! 5. **Point test**: with `ẑ` the bilinear interpolation of `Z_pro` at the point and `g` the
//!    surface gradient `|∇Z_pro|` there, a point is ground when `|z − ẑ| ≤ t + k · g`.
//!
//! Parameters `c` (cell), `s` (slope), `w` (window), `t` (threshold) and `k` (scalar) are in
//! [`SmrfParams`]; defaults are PDAL's (1 m, 0.15, 18 m, 0.5 m, 1.25) with the cell size chosen
//! from the point density when not given (see [`SmrfParams::cell_for_spacing`]).
//!
//! ```
//! use zwilling_cloud::smrf::{classify_ground, SmrfParams};
//! // A flat field with a 3 m high 6 × 6 m box on it.
//! let (mut x, mut y, mut z) = (vec![], vec![], vec![]);
//! for i in 0..40 {
//!     for j in 0..40 {
//!         let (px, py) = (i as f64 * 0.5, j as f64 * 0.5);
//!         let on_box = (7.0..13.0).contains(&px) && (7.0..13.0).contains(&py);
//!         x.push(px);
//!         y.push(py);
//!         z.push(if on_box { 3.0 } else { 0.0 });
//!     }
//! }
//! let usable = vec![true; x.len()];
//! let ground = classify_ground(&x, &y, &z, &usable, &SmrfParams::default());
//! assert!(ground[0] && !ground[20 * 40 + 20]);
//! ```

use crate::inpaint::inpaint;
use crate::morphology::progressive_filter;

/// SMRF parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmrfParams {
    /// Cell size of the minimum surface in metres; `None` chooses it from the point spacing.
    pub cell: Option<f64>,
    /// Terrain slope tolerated by the progressive opening (rise over run).
    pub slope: f64,
    /// Largest window radius in metres (about half the widest object to remove).
    pub window: f64,
    /// Elevation threshold `t` in metres of the final point test.
    pub threshold: f64,
    /// Elevation scalar `k`: extra tolerance per unit of surface slope.
    pub scalar: f64,
}

impl Default for SmrfParams {
    fn default() -> Self {
        SmrfParams { cell: None, slope: 0.15, window: 18.0, threshold: 0.5, scalar: 1.25 }
    }
}

impl SmrfParams {
    /// The cell size used for a cloud with mean point spacing `spacing` (metres): the spacing,
    /// rounded to 0.25 m steps and clamped to 0.5–1 m (finer cells resolve
    /// kerbs and car gaps in mobile-mapping data; coarser than 1 m loses accuracy on the ISPRS samples).
    pub fn cell_for_spacing(spacing: f64) -> f64 {
        if !spacing.is_finite() {
            return 1.0;
        }
        ((spacing * 4.0).round() / 4.0).clamp(0.5, 1.0)
    }
}

/// Marks ground points with SMRF. `usable[i] == false` points (noise, withheld) neither shape the
/// surface nor become ground. Returns one flag per point.
pub fn classify_ground(x: &[f64], y: &[f64], z: &[f64], usable: &[bool], params: &SmrfParams) -> Vec<bool> {
    let n = x.len();
    assert!(y.len() == n && z.len() == n && usable.len() == n, "column lengths differ");
    let mut ground = vec![false; n];
    let Some(surface) = GroundSurface::build(x, y, z, usable, params) else {
        return ground;
    };
    for i in 0..n {
        if usable[i] {
            let (ez, slope) = surface.at(x[i], y[i]);
            ground[i] = (z[i] - ez).abs() <= params.threshold + params.scalar * slope;
        }
    }
    ground
}

/// The provisional ground surface of SMRF (step 4) on a cell grid with the origin at the lower-left
/// corner of the points' bounds (rows go north).
#[derive(Debug, Clone)]
pub struct GroundSurface {
    /// x of the west edge.
    pub min_x: f64,
    /// y of the south edge.
    pub min_y: f64,
    /// Cell size.
    pub cell: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Ground height per cell centre, row-major from the south.
    pub z: Vec<f64>,
    /// Surface slope `|∇z|` per cell.
    pub slope: Vec<f64>,
}

impl GroundSurface {
    /// Runs SMRF steps 1–4 on the usable points; `None` when there is none.
    pub fn build(x: &[f64], y: &[f64], z: &[f64], usable: &[bool], params: &SmrfParams) -> Option<Self> {
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        let mut count = 0usize;
        for i in (0..x.len()).filter(|&i| usable[i]) {
            min_x = min_x.min(x[i]);
            min_y = min_y.min(y[i]);
            max_x = max_x.max(x[i]);
            max_y = max_y.max(y[i]);
            count += 1;
        }
        if count == 0 {
            return None;
        }
        let cell = match params.cell {
            Some(c) => c,
            None => SmrfParams::cell_for_spacing(crate::density::mean_spacing(x, y, usable)),
        };
        let width = ((max_x - min_x) / cell).floor() as usize + 1;
        let height = ((max_y - min_y) / cell).floor() as usize + 1;
        // 1. Minimum surface.
        let mut zmin = vec![f64::NAN; width * height];
        for i in (0..x.len()).filter(|&i| usable[i]) {
            let c = (((x[i] - min_x) / cell) as usize).min(width - 1);
            let r = (((y[i] - min_y) / cell) as usize).min(height - 1);
            let v = &mut zmin[r * width + c];
            // NaN (an empty cell) or a higher value is replaced.
            if v.is_nan() || *v > z[i] {
                *v = z[i];
            }
        }
        let empty: Vec<bool> = zmin.iter().map(|v| v.is_nan()).collect();
        inpaint(&mut zmin, width, height);
        // 2. Low outliers: the progressive filter on the negated surface, slope 5, radius 1.
        let negated: Vec<f64> = zmin.iter().map(|v| -v).collect();
        let low = progressive_filter(&negated, width, height, cell, 5.0, 1);
        // 3. Objects.
        let max_radius = (params.window / cell).ceil().max(1.0) as usize;
        let object = progressive_filter(&zmin, width, height, cell, params.slope, max_radius);
        // 4. Provisional surface.
        let mut zpro: Vec<f64> =
            (0..zmin.len()).map(|i| if empty[i] || low[i] || object[i] { f64::NAN } else { zmin[i] }).collect();
        if !inpaint(&mut zpro, width, height) {
            zpro = zmin;
        }
        let slope = gradient_magnitude(&zpro, width, height, cell);
        Some(GroundSurface { min_x, min_y, cell, width, height, z: zpro, slope })
    }

    /// Bilinearly interpolated surface height and slope at `(x, y)` (clamped to the grid).
    pub fn at(&self, x: f64, y: f64) -> (f64, f64) {
        let fc = ((x - self.min_x) / self.cell - 0.5).clamp(0.0, (self.width - 1) as f64);
        let fr = ((y - self.min_y) / self.cell - 0.5).clamp(0.0, (self.height - 1) as f64);
        let (c0, r0) = (fc.floor() as usize, fr.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(self.width - 1), (r0 + 1).min(self.height - 1));
        let (tx, ty) = (fc - c0 as f64, fr - r0 as f64);
        let w = self.width;
        let bilinear = |v: &[f64]| {
            (v[r0 * w + c0] * (1.0 - tx) + v[r0 * w + c1] * tx) * (1.0 - ty)
                + (v[r1 * w + c0] * (1.0 - tx) + v[r1 * w + c1] * tx) * ty
        };
        (bilinear(&self.z), bilinear(&self.slope))
    }
}

/// `|∇z|` by central differences (one-sided at the border).
fn gradient_magnitude(z: &[f64], width: usize, height: usize, cell: f64) -> Vec<f64> {
    let d = |a: usize, b: usize, steps: usize| if steps == 0 { 0.0 } else { (z[b] - z[a]) / (steps as f64 * cell) };
    (0..z.len())
        .map(|i| {
            let (c, r) = (i % width, i / width);
            let (cl, cr) = (c.saturating_sub(1), (c + 1).min(width - 1));
            let (rl, rr) = (r.saturating_sub(1), (r + 1).min(height - 1));
            let gx = d(r * width + cl, r * width + cr, cr - cl);
            let gy = d(rl * width + c, rr * width + c, rr - rl);
            (gx * gx + gy * gy).sqrt()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sloped terrain (8 % grade) with a 12 × 20 m building, a car and low noise.
    fn scene() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<u8>) {
        let (mut x, mut y, mut z, mut truth) = (vec![], vec![], vec![], vec![]);
        let terrain = |px: f64, py: f64| 100.0 + 0.08 * px + 0.5 * (py / 15.0).sin();
        let mut k = 0u64;
        for i in 0..160 {
            for j in 0..160 {
                k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let jitter = ((k >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.4;
                let (px, py) = (i as f64 * 0.5 + jitter, j as f64 * 0.5 - jitter);
                let g = terrain(px, py);
                let (h, is_ground) = if (30.0..42.0).contains(&px) && (30.0..50.0).contains(&py) {
                    (g + 8.0, 0)
                } else if (60.0..64.5).contains(&px) && (10.0..12.0).contains(&py) {
                    (g + 1.5, 0)
                } else {
                    (g + jitter * 0.05, 1)
                };
                x.push(px);
                y.push(py);
                z.push(h);
                truth.push(is_ground);
            }
        }
        (x, y, z, truth)
    }

    #[test]
    fn separates_terrain_from_a_building_and_a_car() {
        let (x, y, z, truth) = scene();
        let usable = vec![true; x.len()];
        let ground = classify_ground(&x, &y, &z, &usable, &SmrfParams::default());
        let wrong = ground.iter().zip(&truth).filter(|(&g, &t)| g != (t == 1)).count();
        assert!(wrong * 1000 < x.len(), "{wrong} of {} misclassified", x.len());
    }

    #[test]
    fn unusable_points_are_never_ground_and_do_not_pull_the_surface() {
        let (x, y, mut z, _) = scene();
        let mut usable = vec![true; x.len()];
        // A deep low-noise point in the middle of open terrain.
        let i = 100 * 160 + 30;
        z[i] -= 30.0;
        usable[i] = false;
        let ground = classify_ground(&x, &y, &z, &usable, &SmrfParams::default());
        assert!(!ground[i]);
        assert!(ground[i + 1] && ground[i - 1] && ground[i + 160]);
        let none = classify_ground(&x, &y, &z, &vec![false; x.len()], &SmrfParams::default());
        assert!(none.iter().all(|&g| !g));
    }

    #[test]
    fn cell_size_follows_the_spacing() {
        assert_eq!(SmrfParams::cell_for_spacing(1.02), 1.0);
        assert_eq!(SmrfParams::cell_for_spacing(0.03), 0.5);
        assert_eq!(SmrfParams::cell_for_spacing(2.4), 1.0);
        assert_eq!(SmrfParams::cell_for_spacing(0.8), 0.75);
        assert_eq!(SmrfParams::cell_for_spacing(f64::NAN), 1.0);
    }
}
