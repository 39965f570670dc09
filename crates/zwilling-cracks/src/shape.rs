//! Connected components of a mask and the removal of those that are not thin and elongated.
//!
//! A crack is long and thin; stains, patches, stones and shadows are compact. For each 8-connected
//! component with pixel set `C` (area `A = |C|`) the second moments give the principal axes
//! (eigenvalues `λ₁ ≥ λ₂` of the coordinate covariance). A straight bar of length `L` and width
//! `W` has `λ₁ = L²/12`, `λ₂ = W²/12`, so the extent along the main axis is estimated as
//! `L = max(√(12 λ₁), bounding-box diagonal)` (the diagonal keeps curved cracks long) and the mean
//! width as `A / L`. A component is kept when
//!
//! ```text
//! L ≥ min_length   and   min(A / L, A / S) ≤ max_width
//! ```
//!
//! with `S` the pixel count of the component's skeleton: a crack network (alligator cracking)
//! spreads a long skeleton over a compact extent, a blob does not.
//!
//! ```
//! use zwilling_cracks::shape::{components, ShapeFilter};
//! // A 1 × 12 bar and a 3 × 3 blob.
//! let mut m = vec![false; 20 * 6];
//! for x in 2..14 { m[1 * 20 + x] = true; }
//! for y in 3..6 { for x in 15..18 { m[y * 20 + x] = true; } }
//! let kept = ShapeFilter { min_length: 8.0, max_width: 4.0 }.apply(&m, 20, 6);
//! assert_eq!(components(&kept, 20, 6).len(), 1);
//! ```

use serde::{Deserialize, Serialize};

/// Shape limits for crack components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShapeFilter {
    /// Minimum extent along the main axis, pixels.
    pub min_length: f32,
    /// Maximum mean width `A / L`, pixels.
    pub max_width: f32,
}

/// One 8-connected component: its pixel indices and shape measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Row-major pixel indices.
    pub pixels: Vec<usize>,
    /// Extent along the main axis `max(√(12 λ₁), bbox diagonal)`, pixels.
    pub length: f32,
    /// Mean width `A / length`, pixels.
    pub width: f32,
}

/// The 8-connected components of a `w × h` mask, in order of their first pixel (row-major).
pub fn components(mask: &[bool], w: usize, h: usize) -> Vec<Component> {
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut pixels = Vec::new();
        while let Some(p) = stack.pop() {
            pixels.push(p);
            let (x, y) = (p % w, p / w);
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let q = ny * w + nx;
                    if mask[q] && !seen[q] {
                        seen[q] = true;
                        stack.push(q);
                    }
                }
            }
        }
        pixels.sort_unstable();
        let length = main_extent(&pixels, w);
        let width = pixels.len() as f32 / length;
        out.push(Component { pixels, length, width });
    }
    out
}

/// `max(√(12 λ₁), bounding-box diagonal)` of a pixel set.
fn main_extent(pixels: &[usize], w: usize) -> f32 {
    let n = pixels.len() as f64;
    let (mut sx, mut sy) = (0.0f64, 0.0f64);
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for &p in pixels {
        let (x, y) = (p % w, p / w);
        sx += x as f64;
        sy += y as f64;
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut cxx, mut cyy, mut cxy) = (0.0, 0.0, 0.0);
    for &p in pixels {
        let (dx, dy) = ((p % w) as f64 - mx, (p / w) as f64 - my);
        cxx += dx * dx;
        cyy += dy * dy;
        cxy += dx * dy;
    }
    let (cxx, cyy, cxy) = (cxx / n, cyy / n, cxy / n);
    let l1 = 0.5 * (cxx + cyy) + (0.25 * (cxx - cyy).powi(2) + cxy * cxy).sqrt();
    let diag = (((x1 - x0 + 1) as f64).powi(2) + ((y1 - y0 + 1) as f64).powi(2)).sqrt();
    ((12.0 * l1).sqrt().max(diag) as f32).max(1.0)
}

impl ShapeFilter {
    /// The mask with every component removed that is shorter than `min_length` or wider than
    /// `max_width`.
    pub fn apply(&self, mask: &[bool], w: usize, h: usize) -> Vec<bool> {
        let mut out = vec![false; w * h];
        for c in components(mask, w, h) {
            if c.length >= self.min_length && (c.width <= self.max_width || network_width(&c, w) <= self.max_width) {
                for p in c.pixels {
                    out[p] = true;
                }
            }
        }
        out
    }
}

/// Mean width of a component measured along its skeleton: `A / S`, `S` the number of skeleton
/// pixels ([`crate::skeleton::thin`] of the component's bounding box). For a crack network (many
/// branches inside a compact extent) `A / L` overstates the width; `A / S` does not.
fn network_width(c: &Component, w: usize) -> f32 {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for &p in &c.pixels {
        let (x, y) = (p % w, p / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (bw, bh) = (x1 - x0 + 3, y1 - y0 + 3);
    let mut m = vec![false; bw * bh];
    for &p in &c.pixels {
        m[(p / w - y0 + 1) * bw + (p % w - x0 + 1)] = true;
    }
    let s = crate::skeleton::thin(&m, bw, bh).iter().filter(|&&b| b).count();
    c.pixels.len() as f32 / s.max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_measures_match_the_analytic_length_and_width() {
        // A horizontal bar 40 × 3: bbox diagonal √(40² + 3²) = 40.11, √(12 λ₁) = √(40² − 1) = 39.99.
        let (w, h) = (50, 10);
        let mut m = vec![false; w * h];
        for y in 4..7 {
            for x in 5..45 {
                m[y * w + x] = true;
            }
        }
        let c = components(&m, w, h);
        assert_eq!(c.len(), 1);
        assert!((c[0].length - 1609f32.sqrt()).abs() < 1e-3, "{}", c[0].length);
        assert!((c[0].width - 120.0 / 1609f32.sqrt()).abs() < 1e-3);
    }

    #[test]
    fn compact_blobs_are_removed_and_diagonal_touching_pixels_are_one_component() {
        let (w, h) = (30, 30);
        let mut m = vec![false; w * h];
        for i in 0..20 {
            m[(i + 5) * w + i + 5] = true; // diagonal, 8-connected only
        }
        for y in 0..8 {
            for x in 20..28 {
                m[y * w + x] = true; // 8 × 8 blob, width 64 / 11.3 = 5.7
            }
        }
        assert_eq!(components(&m, w, h).len(), 2);
        let kept = ShapeFilter { min_length: 10.0, max_width: 3.0 }.apply(&m, w, h);
        assert_eq!(kept.iter().filter(|&&b| b).count(), 20);
    }

    #[test]
    fn a_crack_network_is_kept_and_a_blob_of_the_same_extent_is_not() {
        // A 2-px-wide lattice with 12 px spacing over 61 × 61 px: A/L ≈ 2200/86 ≈ 26 but A/S ≈ 2.
        let (w, h) = (80, 80);
        let lattice: Vec<bool> = (0..w * h)
            .map(|i| (i % w, i / w))
            .map(|(x, y)| (10..71).contains(&x) && (10..71).contains(&y) && (x % 12 < 2 || y % 12 < 2))
            .collect();
        let f = ShapeFilter { min_length: 30.0, max_width: 9.0 };
        let c = &components(&lattice, w, h)[0];
        assert!(c.width > 9.0, "{}", c.width);
        assert_eq!(f.apply(&lattice, w, h), lattice);
        let blob: Vec<bool> =
            (0..w * h).map(|i| (i % w, i / w)).map(|(x, y)| (10..71).contains(&x) && (30..50).contains(&y)).collect();
        assert!(f.apply(&blob, w, h).iter().all(|&b| !b));
    }
}
