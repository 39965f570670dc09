//! Multi-orientation dark-bar response: how much darker a short straight line through a pixel is
//! than the two parallel lines beside it.
//!
//! For each of eight lattice directions `v ∈ {(1,0), (2,1), (1,1), (1,2), (0,1), (−1,2), (−1,1),
//! (−2,1)}` (0°, 26.6°, 45°, 63.4°, 90°, 116.6°, 135°, 153.4°) the line mean
//!
//! ```text
//! M_v(p) = 1/|K| Σ_{k ∈ K} J(p + k·v),   K = {−n..n} ∩ {k : p + k·v inside},   n = round(L / |v|)
//! ```
//!
//! is computed from running sums along `v` (O(1) per pixel whatever the length), and the bar
//! response at perpendicular offset `o` (unit normal `u = (−v_y, v_x)/|v|`) is
//!
//! ```text
//! R(p) = max_{v, o} [ min(M_v(p + round(o·u)), M_v(p − round(o·u))) − M_v(p) ]
//! ```
//!
//! Taking the *minimum* of both sides makes a step edge (one dark side) score zero, unlike the
//! line operator of Ricci & Perfetti ("Retinal blood vessel segmentation using line operators and
//! support vector classification", IEEE TMI 26(10), 2007), which compares the line with the whole
//! square window; averaging along the line suppresses the granular asphalt texture, the idea of
//! the oriented filters of crack detectors such as CrackTree (Zou et al., Pattern Recognition
//! Letters 33(3), 2012). On an intensity image normalised to its local background (`J ≈ 1` on
//! asphalt) the response is the crack's relative contrast.
//!
//! ```
//! use zwilling_cracks::{plane::Plane, line_filter::dark_bar_response};
//! // A dark vertical line of contrast 0.4 on a flat background.
//! let j = Plane::from_fn(21, 21, |x, _| if x == 10 { 0.6 } else { 1.0 });
//! let r = dark_bar_response(&j, 5.0, &[2.0]);
//! assert!((r.at(10, 10) - 0.4).abs() < 1e-5);
//! assert!(r.at(5, 10).abs() < 1e-6);
//! ```

use crate::plane::Plane;

/// The eight lattice directions `(dx, dy)` with `dy ≥ 0`.
pub const DIRECTIONS: [(i32, i32); 8] = [(1, 0), (2, 1), (1, 1), (1, 2), (0, 1), (-1, 2), (-1, 1), (-2, 1)];

/// The dark-bar response `R` of `j` for line half-length `half_length` (pixels) and perpendicular
/// offsets `offsets` (pixels); negative responses are clipped to 0.
pub fn dark_bar_response(j: &Plane, half_length: f32, offsets: &[f32]) -> Plane {
    let (w, h) = (j.width, j.height);
    let mut out = Plane::filled(w, h, 0.0);
    let mut prefix = vec![0.0f32; w * h];
    let mut mean = vec![0.0f32; w * h];
    for &(a, b) in &DIRECTIONS {
        let len = ((a * a + b * b) as f32).sqrt();
        let n = ((half_length / len).round() as i32).max(1);
        directional_prefix(&j.data, w, h, a, b, &mut prefix);
        line_means(&prefix, w, h, a, b, n, &mut mean);
        for &o in offsets {
            let ox = (-(b as f32) * o / len).round() as isize;
            let oy = ((a as f32) * o / len).round() as isize;
            side_contrast(&mean, w, h, ox, oy, &mut out.data);
        }
    }
    out
}

/// `P[p] = J[p] + P[p − v]` (0 outside), scanning so that `p − v` comes first (`b ≥ 0`).
fn directional_prefix(src: &[f32], w: usize, h: usize, a: i32, b: i32, prefix: &mut [f32]) {
    let bi = b as usize;
    let au = a.unsigned_abs() as usize;
    if bi == 0 {
        // Along rows (a = 1): a sequential running sum.
        for (srow, prow) in src.chunks_exact(w).zip(prefix.chunks_exact_mut(w)) {
            let mut s = 0.0f32;
            for (d, &v) in prow.iter_mut().zip(srow) {
                s += v;
                *d = s;
            }
        }
        return;
    }
    prefix[..bi * w].copy_from_slice(&src[..bi * w]);
    for y in bi..h {
        let (done, rest) = prefix.split_at_mut(y * w);
        let prev = &done[(y - bi) * w..(y - bi + 1) * w];
        let row = &mut rest[..w];
        let srow = &src[y * w..(y + 1) * w];
        if a >= 0 {
            // p − v = (x − a, y − b): x < a has no predecessor.
            row[..au].copy_from_slice(&srow[..au]);
            for ((d, &v), &q) in row[au..].iter_mut().zip(&srow[au..]).zip(&prev[..w - au]) {
                *d = v + q;
            }
        } else {
            // p − v = (x + |a|, y − b): x ≥ w − |a| has no predecessor.
            for ((d, &v), &q) in row[..w - au].iter_mut().zip(&srow[..w - au]).zip(&prev[au..]) {
                *d = v + q;
            }
            row[w - au..].copy_from_slice(&srow[w - au..]);
        }
    }
}

/// Steps `k ≥ 0` that stay inside `[0, size)` going from `pos` by `step` per step (∞ as `i32::MAX`).
#[inline]
fn steps_inside(pos: usize, step: i32, size: usize) -> i32 {
    match step.cmp(&0) {
        std::cmp::Ordering::Greater => ((size - 1 - pos) / step as usize) as i32,
        std::cmp::Ordering::Less => (pos / (-step) as usize) as i32,
        std::cmp::Ordering::Equal => i32::MAX,
    }
}

/// Mean along `v` over `k ∈ [−n, n]` clipped at the image border, from the prefix sums.
fn line_means(prefix: &[f32], w: usize, h: usize, a: i32, b: i32, n: i32, mean: &mut [f32]) {
    let step = b as isize * w as isize + a as isize;
    let (au, bu, nu) = (a.unsigned_abs() as usize, b as usize, n as usize);
    // Interior: the whole window and the pixel before it are inside.
    let (x_lo, x_hi) =
        if a >= 0 { ((nu + 1) * au, w.saturating_sub(nu * au)) } else { (nu * au, w.saturating_sub((nu + 1) * au)) };
    let (y_lo, y_hi) = ((nu + 1) * bu, h.saturating_sub(nu * bu));
    let inv = 1.0 / (2 * n + 1) as f32;
    let (fwd, bwd) = (n as isize * step, (n as isize + 1) * step);
    for y in 0..h {
        let interior_row = y >= y_lo && y < y_hi && x_lo < x_hi;
        for x in 0..w {
            let p = (y * w + x) as isize;
            if interior_row && x >= x_lo && x < x_hi {
                mean[p as usize] = (prefix[(p + fwd) as usize] - prefix[(p - bwd) as usize]) * inv;
                continue;
            }
            let f = steps_inside(x, a, w).min(steps_inside(y, b, h)).min(n);
            let bwd_max = steps_inside(x, -a, w).min(steps_inside(y, -b, h));
            let bk = bwd_max.min(n);
            let hi = prefix[(p + f as isize * step) as usize];
            let lo = if bk < bwd_max { prefix[(p - (bk as isize + 1) * step) as usize] } else { 0.0 };
            mean[p as usize] = (hi - lo) / (f + bk + 1) as f32;
        }
    }
}

/// `out = max(out, min(M(p + o), M(p − o)) − M(p))` where both sides are inside the image.
fn side_contrast(mean: &[f32], w: usize, h: usize, ox: isize, oy: isize, out: &mut [f32]) {
    let (ax, ay) = (ox.unsigned_abs(), oy.unsigned_abs());
    if 2 * ax >= w || 2 * ay >= h {
        return;
    }
    let d = (oy * w as isize + ox).unsigned_abs();
    let len = w - 2 * ax;
    for y in ay..h - ay {
        let p0 = y * w + ax;
        let c = &mean[p0..p0 + len];
        let s1 = &mean[p0 + d..p0 + d + len];
        let s2 = &mean[p0 - d..p0 - d + len];
        for (((o, &m), &l), &r) in out[p0..p0 + len].iter_mut().zip(c).zip(s1).zip(s2) {
            *o = o.max(l.min(r) - m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_means_equal_brute_force_means_along_each_direction() {
        let (w, h) = (23, 17);
        let j = Plane::from_fn(w, h, |x, y| ((x * 31 + y * 17) % 13) as f32 * 0.1);
        let mut prefix = vec![0.0; w * h];
        let mut mean = vec![0.0; w * h];
        for &(a, b) in &DIRECTIONS {
            let n = 3;
            directional_prefix(&j.data, w, h, a, b, &mut prefix);
            line_means(&prefix, w, h, a, b, n, &mut mean);
            for y in 0..h as i32 {
                for x in 0..w as i32 {
                    let (mut s, mut c) = (0.0, 0.0);
                    for k in -n..=n {
                        let (xx, yy) = (x + k * a, y + k * b);
                        if xx >= 0 && yy >= 0 && xx < w as i32 && yy < h as i32 {
                            s += j.at(xx as usize, yy as usize);
                            c += 1.0;
                        }
                    }
                    let m = mean[y as usize * w + x as usize];
                    assert!((m - s / c).abs() < 1e-4, "v=({a},{b}) at ({x},{y}): {m} vs {}", s / c);
                }
            }
        }
    }

    #[test]
    fn a_step_edge_gives_no_response_but_a_diagonal_line_does() {
        let edge = Plane::from_fn(30, 30, |x, _| if x < 15 { 0.5 } else { 1.0 });
        let r = dark_bar_response(&edge, 6.0, &[2.0, 3.0]);
        assert!(r.data.iter().all(|&v| v < 1e-6));
        let diag = Plane::from_fn(30, 30, |x, y| if x == y { 0.7 } else { 1.0 });
        let r = dark_bar_response(&diag, 6.0, &[2.0]);
        assert!((r.at(15, 15) - 0.3).abs() < 1e-5, "{}", r.at(15, 15));
        assert!(r.at(20, 10) < 1e-6);
    }
}
