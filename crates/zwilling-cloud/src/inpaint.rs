//! Smooth filling of empty (NaN) raster cells by a multigrid membrane (Laplace) interpolation.
//!
//! Empty cells get values that satisfy the discrete Laplace equation `∇²z = 0` with the known cells
//! as boundary values — the "spring/membrane" inpainting that SMRF uses for empty minimum-surface
//! cells (Pingel et al. 2013, § 2.1, after D'Errico's `inpaint_nans`). Solved by a push–pull
//! pyramid: known cells are averaged into a half-resolution level recursively (push); each empty
//! cell starts from the bilinear interpolation of the coarser level (pull) and is then relaxed by
//! Gauss–Seidel sweeps of the 4-neighbour mean. The cost is O(cells); the result is deterministic.
//!
//! ```
//! use zwilling_cloud::inpaint::inpaint;
//! let mut z = vec![0.0, f64::NAN, f64::NAN, 3.0];
//! assert!(inpaint(&mut z, 4, 1));
//! assert!((z[1] - 1.0).abs() < 0.05 && (z[2] - 2.0).abs() < 0.05);
//! ```

/// Gauss–Seidel sweeps per pyramid level.
const SWEEPS: usize = 12;

/// Fills the NaN cells of a `width × height` row-major grid in place. Returns `false` (and leaves
/// the grid untouched) when no cell is known.
pub fn inpaint(z: &mut [f64], width: usize, height: usize) -> bool {
    assert_eq!(z.len(), width * height, "grid size");
    let known: Vec<bool> = z.iter().map(|v| !v.is_nan()).collect();
    if !known.iter().any(|&k| k) {
        return false;
    }
    if known.iter().all(|&k| k) {
        return true;
    }
    fill_level(z, &known, width, height);
    true
}

fn fill_level(z: &mut [f64], known: &[bool], width: usize, height: usize) {
    // Push: average known cells into the coarser level.
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let mut coarse = vec![f64::NAN; cw * ch];
    let mut any_empty = false;
    for r in 0..ch {
        for c in 0..cw {
            let (mut sum, mut n) = (0.0, 0usize);
            for rr in 2 * r..(2 * r + 2).min(height) {
                for cc in 2 * c..(2 * c + 2).min(width) {
                    if known[rr * width + cc] {
                        sum += z[rr * width + cc];
                        n += 1;
                    }
                }
            }
            if n > 0 {
                coarse[r * cw + c] = sum / n as f64;
            } else {
                any_empty = true;
            }
        }
    }
    if any_empty {
        let coarse_known: Vec<bool> = coarse.iter().map(|v| !v.is_nan()).collect();
        fill_level(&mut coarse, &coarse_known, cw, ch);
    }
    // Pull: bilinear interpolation of the coarse level at each empty fine cell centre.
    let sample = |fc: f64, fr: f64| -> f64 {
        let fc = fc.clamp(0.0, (cw - 1) as f64);
        let fr = fr.clamp(0.0, (ch - 1) as f64);
        let (c0, r0) = (fc.floor() as usize, fr.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(cw - 1), (r0 + 1).min(ch - 1));
        let (tx, ty) = (fc - c0 as f64, fr - r0 as f64);
        let v = |c: usize, r: usize| coarse[r * cw + c];
        (v(c0, r0) * (1.0 - tx) + v(c1, r0) * tx) * (1.0 - ty) + (v(c0, r1) * (1.0 - tx) + v(c1, r1) * tx) * ty
    };
    let empty: Vec<usize> = (0..z.len()).filter(|&i| !known[i]).collect();
    for &i in &empty {
        let (c, r) = (i % width, i / width);
        z[i] = sample((c as f64 + 0.5) / 2.0 - 0.5, (r as f64 + 0.5) / 2.0 - 0.5);
    }
    // Relax: Gauss–Seidel sweeps of the 4-neighbour mean over the empty cells.
    for _ in 0..SWEEPS {
        for &i in &empty {
            let (c, r) = (i % width, i / width);
            let (mut sum, mut n) = (0.0, 0.0);
            if c > 0 {
                sum += z[i - 1];
                n += 1.0;
            }
            if c + 1 < width {
                sum += z[i + 1];
                n += 1.0;
            }
            if r > 0 {
                sum += z[i - width];
                n += 1.0;
            }
            if r + 1 < height {
                sum += z[i + width];
                n += 1.0;
            }
            z[i] = sum / n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hole_in_a_plane_is_filled_with_the_plane() {
        // A harmonic function (a plane) is reproduced exactly by the membrane solution.
        let (w, h) = (64, 48);
        let plane = |c: usize, r: usize| 3.0 + 0.2 * c as f64 - 0.05 * r as f64;
        let mut z: Vec<f64> = (0..w * h).map(|i| plane(i % w, i / w)).collect();
        for r in 10..30 {
            for c in 20..45 {
                z[r * w + c] = f64::NAN;
            }
        }
        assert!(inpaint(&mut z, w, h));
        let worst = (0..w * h).map(|i| (z[i] - plane(i % w, i / w)).abs()).fold(0.0, f64::max);
        assert!(worst < 0.05, "max deviation {worst}");
    }

    #[test]
    fn fill_stays_within_the_known_range_and_empty_grids_are_refused() {
        let (w, h) = (9, 9);
        let mut z = vec![f64::NAN; w * h];
        z[0] = 1.0;
        z[w * h - 1] = 2.0;
        assert!(inpaint(&mut z, w, h));
        assert!(z.iter().all(|&v| (1.0..=2.0).contains(&v)));
        let mut none = vec![f64::NAN; 4];
        assert!(!inpaint(&mut none, 2, 2));
        assert!(none[0].is_nan());
    }
}
