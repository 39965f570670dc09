//! Hysteresis thresholding with thresholds adapted to the image's own response statistics.
//!
//! Canny's hysteresis (J. Canny, "A Computational Approach to Edge Detection", IEEE PAMI 8(6),
//! 1986): pixels with response `≥ t_high` seed a crack, which then grows through 8-connected pixels
//! with response `≥ t_low`. The thresholds are set in units of the robust spread of the response
//! over the image,
//!
//! ```text
//! t = max(t_abs, median(R) + k · 1.4826 · MAD(R)),   MAD(R) = median(|R − median(R)|)
//! ```
//!
//! (1.4826·MAD estimates the standard deviation of normal data; Rousseeuw & Croux 1993), so a
//! rough, high-contrast asphalt needs a stronger line than a smooth one, while `t_abs` stops an
//! image without cracks from reporting its strongest texture.
//!
//! ```
//! use zwilling_cracks::hysteresis::hysteresis;
//! let r = [0.0, 0.5, 0.9, 0.5, 0.0, 0.5];
//! assert_eq!(hysteresis(&r, 6, 1, 0.4, 0.8), vec![false, true, true, true, false, false]);
//! ```

/// Median and `1.4826·MAD` of the values (ignoring NaN), from a sorted copy of a strided sample of
/// at most about 65 536 values; `(0, 0)` when empty.
pub fn robust_stats(values: &[f32]) -> (f32, f32) {
    let stride = (values.len() / 65_536).max(1);
    let mut s: Vec<f32> = values.iter().step_by(stride).copied().filter(|v| !v.is_nan()).collect();
    if s.is_empty() {
        return (0.0, 0.0);
    }
    let mid = s.len() / 2;
    let med = *s.select_nth_unstable_by(mid, f32::total_cmp).1;
    for v in &mut s {
        *v = (*v - med).abs();
    }
    let mad = *s.select_nth_unstable_by(mid, f32::total_cmp).1;
    (med, 1.4826 * mad)
}

/// Pixels of the `w × h` response connected (8-neighbourhood) through values `≥ low` to a value
/// `≥ high`.
pub fn hysteresis(response: &[f32], w: usize, h: usize, low: f32, high: f32) -> Vec<bool> {
    assert_eq!(response.len(), w * h, "response must be w*h long");
    let mut out = vec![false; w * h];
    let mut stack = Vec::new();
    for (i, &v) in response.iter().enumerate() {
        if v >= high && !out[i] {
            out[i] = true;
            stack.push(i);
            while let Some(p) = stack.pop() {
                let (x, y) = (p % w, p / w);
                for ny in y.saturating_sub(1)..(y + 2).min(h) {
                    for nx in x.saturating_sub(1)..(x + 2).min(w) {
                        let q = ny * w + nx;
                        if !out[q] && response[q] >= low {
                            out[q] = true;
                            stack.push(q);
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_pixels_survive_only_when_connected_to_a_strong_one() {
        #[rustfmt::skip]
        let r = [
            0.9, 0.5, 0.0, 0.0, 0.5,
            0.0, 0.0, 0.5, 0.0, 0.5,
            0.0, 0.0, 0.0, 0.0, 0.5,
        ];
        let m = hysteresis(&r, 5, 3, 0.4, 0.8);
        let got: Vec<usize> = (0..15).filter(|&i| m[i]).collect();
        // (0,0) seeds, (1,0) joins, (2,1) joins diagonally; the right column has no seed.
        assert_eq!(got, vec![0, 1, 7]);
    }

    #[test]
    fn robust_stats_of_a_known_sample() {
        // Values 1..=9: median 5, absolute deviations 0,1,1,2,2,3,3,4,4 → MAD 2.
        let v: Vec<f32> = (1..=9).map(|i| i as f32).collect();
        let (med, sigma) = robust_stats(&v);
        assert_eq!(med, 5.0);
        assert!((sigma - 2.0 * 1.4826).abs() < 1e-6);
        // An outlier does not move them much.
        let mut v2 = v.clone();
        v2[8] = 1e6;
        assert_eq!(robust_stats(&v2), (med, sigma));
    }
}
