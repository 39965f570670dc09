//! Exact Euclidean distance transform of a binary image.
//!
//! For every pixel `p` it computes `D²(p) = min_{q : f(q)} |p − q|²`, the squared distance (in
//! pixel units, between pixel centres) to the nearest *feature* pixel, by the separable
//! lower-envelope-of-parabolas algorithm of Felzenszwalb & Huttenlocher, "Distance Transforms of
//! Sampled Functions", Theory of Computing 8 (2012): one 1D pass over columns, one over rows,
//! O(n) in the number of pixels. Pixels with no feature anywhere get `f32::INFINITY`.
//!
//! ```
//! use zwilling_cracks::distance::squared_edt;
//! let f = [false, false, true, false, false, false];
//! let d = squared_edt(&f, 6, 1);
//! assert_eq!(d, vec![4.0, 1.0, 0.0, 1.0, 4.0, 9.0]);
//! ```

/// Squared Euclidean distance from each pixel to the nearest `true` pixel of the `w × h` row-major
/// `feature` image; `INFINITY` when there is none.
pub fn squared_edt(feature: &[bool], w: usize, h: usize) -> Vec<f32> {
    assert_eq!(feature.len(), w * h, "feature image must be w*h long");
    const INF: f32 = f32::INFINITY;
    let mut g: Vec<f32> = feature.iter().map(|&b| if b { 0.0 } else { INF }).collect();
    let n = w.max(h);
    let mut f = vec![0.0f32; n];
    let mut d = vec![0.0f32; n];
    let mut v = vec![0usize; n];
    let mut z = vec![0.0f32; n + 1];
    // Columns.
    for x in 0..w {
        for y in 0..h {
            f[y] = g[y * w + x];
        }
        edt_1d(&f[..h], &mut d[..h], &mut v, &mut z);
        for y in 0..h {
            g[y * w + x] = d[y];
        }
    }
    // Rows.
    for y in 0..h {
        f[..w].copy_from_slice(&g[y * w..(y + 1) * w]);
        edt_1d(&f[..w], &mut d[..w], &mut v, &mut z);
        g[y * w..(y + 1) * w].copy_from_slice(&d[..w]);
    }
    g
}

/// 1D squared distance transform of the sampled function `f` (lower envelope of parabolas).
fn edt_1d(f: &[f32], d: &mut [f32], v: &mut [usize], z: &mut [f32]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    // Only finite samples are parabola sites.
    let mut k: isize = -1;
    for q in 0..n {
        if !f[q].is_finite() {
            continue;
        }
        let qf = q as f32;
        loop {
            if k < 0 {
                k = 0;
                v[0] = q;
                z[0] = f32::NEG_INFINITY;
                z[1] = f32::INFINITY;
                break;
            }
            let p = v[k as usize];
            let pf = p as f32;
            let s = ((f[q] + qf * qf) - (f[p] + pf * pf)) / (2.0 * qf - 2.0 * pf);
            if s <= z[k as usize] {
                k -= 1;
                continue;
            }
            k += 1;
            v[k as usize] = q;
            z[k as usize] = s;
            z[k as usize + 1] = f32::INFINITY;
            break;
        }
    }
    if k < 0 {
        d.iter_mut().for_each(|x| *x = f32::INFINITY);
        return;
    }
    let mut j = 0usize;
    for (q, dq) in d.iter_mut().enumerate() {
        let qf = q as f32;
        while z[j + 1] < qf {
            j += 1;
        }
        let p = v[j] as f32;
        *dq = (qf - p) * (qf - p) + f[v[j]];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_brute_force_on_a_scattered_pattern() {
        let (w, h) = (17, 11);
        let feat: Vec<bool> = (0..w * h).map(|i| (i * 37 + 11) % 23 == 0).collect();
        let d = squared_edt(&feat, w, h);
        for y in 0..h {
            for x in 0..w {
                let mut best = f32::INFINITY;
                for yy in 0..h {
                    for xx in 0..w {
                        if feat[yy * w + xx] {
                            let dd = ((x as f32 - xx as f32).powi(2)) + ((y as f32 - yy as f32).powi(2));
                            best = best.min(dd);
                        }
                    }
                }
                assert_eq!(d[y * w + x], best, "({x},{y})");
            }
        }
    }

    #[test]
    fn empty_feature_set_is_infinitely_far() {
        let d = squared_edt(&[false; 6], 3, 2);
        assert!(d.iter().all(|v| v.is_infinite()));
    }
}
