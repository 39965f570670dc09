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

/// One direction of the filter: lattice step `(a, b)`, `n` steps each way, side offsets `(ox, oy)`.
#[derive(Debug, Clone)]
struct Direction {
    a: i32,
    b: i32,
    n: i32,
    sides: Vec<(isize, isize)>,
}

fn directions(half_length: f32, offsets: &[f32]) -> Vec<Direction> {
    DIRECTIONS
        .iter()
        .map(|&(a, b)| {
            let len = ((a * a + b * b) as f32).sqrt();
            let n = ((half_length / len).round() as i32).max(1);
            let sides = offsets
                .iter()
                .map(|&o| ((-(b as f32) * o / len).round() as isize, ((a as f32) * o / len).round() as isize))
                .collect();
            Direction { a, b, n, sides }
        })
        .collect()
}

/// Core size of a tile: small enough that a tile's four working planes stay in a 1 MiB L2 cache.
const TILE: (usize, usize) = (256, 128);

/// The dark-bar response `R` of `j` for line half-length `half_length` (pixels) and perpendicular
/// offsets `offsets` (pixels); negative responses are clipped to 0.
///
/// The image is processed in tiles of 256 × 128 pixels (in parallel), each with a margin wide
/// enough for every line and side offset (`n·|a| + |o_x|` across, `n·b + |o_y|` down), so the
/// result equals the whole-image computation: within a tile's core no line window reaches a
/// margin edge that is not also an image edge.
pub fn dark_bar_response(j: &Plane, half_length: f32, offsets: &[f32]) -> Plane {
    use rayon::prelude::*;
    let (w, h) = (j.width, j.height);
    let dirs = directions(half_length, offsets);
    let reach = |f: &dyn Fn(&Direction) -> usize| dirs.iter().map(f).max().unwrap_or(0);
    let mx = reach(&|d| {
        d.n as usize * d.a.unsigned_abs() as usize + d.sides.iter().map(|s| s.0.unsigned_abs()).max().unwrap_or(0)
    });
    let my = reach(&|d| d.n as usize * d.b as usize + d.sides.iter().map(|s| s.1.unsigned_abs()).max().unwrap_or(0));
    let mut out = Plane::filled(w, h, 0.0);
    if w == 0 || h == 0 {
        return out;
    }
    // One band of tile rows per task, written straight into the output; the tile buffers are
    // allocated once per band and reused for its tiles.
    out.data.par_chunks_mut(TILE.1 * w).enumerate().for_each(|(ty, band)| {
        let (y0, y1) = (ty * TILE.1, ((ty + 1) * TILE.1).min(h));
        let mut bufs = TileBuffers::default();
        for tx in 0..w.div_ceil(TILE.0) {
            let (x0, x1) = (tx * TILE.0, ((tx + 1) * TILE.0).min(w));
            let (sx0, sy0) = (x0.saturating_sub(mx), y0.saturating_sub(my));
            let (sx1, sy1) = ((x1 + mx).min(w), (y1 + my).min(h));
            let sw = sx1 - sx0;
            bufs.sub.clear();
            for y in sy0..sy1 {
                bufs.sub.extend_from_slice(&j.data[y * w + sx0..y * w + sx1]);
            }
            let core = [x0 - sx0, x1 - sx0, y0 - sy0, y1 - sy0];
            response_whole(&mut bufs, sw, sy1 - sy0, &dirs, core);
            for y in y0..y1 {
                let src = (y - sy0) * sw + (x0 - sx0);
                band[(y - y0) * w + x0..(y - y0) * w + x1].copy_from_slice(&bufs.out[src..src + (x1 - x0)]);
            }
        }
    });
    out
}

/// Working planes of one tile: input, output, directional prefix sums, line means.
#[derive(Default)]
struct TileBuffers {
    sub: Vec<f32>,
    out: Vec<f32>,
    prefix: Vec<f32>,
    mean: Vec<f32>,
}

/// The response of the (sub-)image `bufs.sub` (`w × h`, its edges treated as image borders) into
/// `bufs.out`, valid inside `core = [x0, x1, y0, y1]` (0 elsewhere).
fn response_whole(bufs: &mut TileBuffers, w: usize, h: usize, dirs: &[Direction], core: [usize; 4]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { response_whole_avx2(bufs, w, h, dirs, core) };
        return;
    }
    response_whole_body(bufs, w, h, dirs, core);
}

/// [`response_whole`] compiled for AVX2 (8 lanes instead of SSE2's 4; the same IEEE operations in
/// the same order, so the same result bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn response_whole_avx2(bufs: &mut TileBuffers, w: usize, h: usize, dirs: &[Direction], core: [usize; 4]) {
    response_whole_body(bufs, w, h, dirs, core);
}

#[inline(always)]
fn response_whole_body(bufs: &mut TileBuffers, w: usize, h: usize, dirs: &[Direction], core: [usize; 4]) {
    // `out` accumulates a maximum from 0; `prefix` is overwritten whole and `mean` is read only
    // where it was written, so those two keep their old contents.
    bufs.out.clear();
    bufs.out.resize(w * h, 0.0);
    bufs.prefix.resize(w * h, 0.0);
    bufs.mean.resize(w * h, 0.0);
    let (j, out, prefix, mean) = (&bufs.sub, &mut bufs.out, &mut bufs.prefix, &mut bufs.mean);
    for d in dirs {
        let ox = d.sides.iter().map(|s| s.0.unsigned_abs()).max().unwrap_or(0);
        let oy = d.sides.iter().map(|s| s.1.unsigned_abs()).max().unwrap_or(0);
        let need =
            [core[0].saturating_sub(ox), (core[1] + ox).min(w), core[2].saturating_sub(oy), (core[3] + oy).min(h)];
        directional_prefix(j, w, h, d.a, d.b, prefix);
        line_means(prefix, w, h, d.a, d.b, d.n, need, mean);
        side_contrast(mean, w, h, &d.sides, core, out);
    }
}

/// `P[p] = J[p] + P[p − v]` (0 outside), scanning so that `p − v` comes first (`b ≥ 0`).
#[inline(always)]
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
    // Lattice steps are 0, ±1 or ±2: shifts instead of integer divisions (same values).
    let div = |n: usize, d: u32| {
        if d == 1 {
            n
        } else if d == 2 {
            n >> 1
        } else {
            n / d as usize
        }
    };
    match step.cmp(&0) {
        std::cmp::Ordering::Greater => div(size - 1 - pos, step.unsigned_abs()) as i32,
        std::cmp::Ordering::Less => div(pos, step.unsigned_abs()) as i32,
        std::cmp::Ordering::Equal => i32::MAX,
    }
}

/// Mean along `v` over `k ∈ [−n, n]` clipped at the image border, from the prefix sums, for the
/// pixels of `need = [x0, x1, y0, y1]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn line_means(prefix: &[f32], w: usize, h: usize, a: i32, b: i32, n: i32, need: [usize; 4], mean: &mut [f32]) {
    let step = b as isize * w as isize + a as isize;
    let (au, bu, nu) = (a.unsigned_abs() as usize, b as usize, n as usize);
    // Interior: the whole window and the pixel before it are inside.
    let (x_lo, x_hi) =
        if a >= 0 { ((nu + 1) * au, w.saturating_sub(nu * au)) } else { (nu * au, w.saturating_sub((nu + 1) * au)) };
    let (y_lo, y_hi) = ((nu + 1) * bu, h.saturating_sub(nu * bu));
    let inv = 1.0 / (2 * n + 1) as f32;
    let (fwd, bwd) = (n as isize * step, (n as isize + 1) * step);
    let border = |x: usize, y: usize, mean: &mut [f32]| {
        let p = (y * w + x) as isize;
        let f = steps_inside(x, a, w).min(steps_inside(y, b, h)).min(n);
        let bwd_max = steps_inside(x, -a, w).min(steps_inside(y, -b, h));
        let bk = bwd_max.min(n);
        let hi = prefix[(p + f as isize * step) as usize];
        let lo = if bk < bwd_max { prefix[(p - (bk as isize + 1) * step) as usize] } else { 0.0 };
        mean[p as usize] = (hi - lo) / (f + bk + 1) as f32;
    };
    let [nx0, nx1, ny0, ny1] = need;
    let (x_lo, x_hi) = (x_lo.max(nx0), x_hi.min(nx1));
    for y in ny0..ny1 {
        if y >= y_lo && y < y_hi && x_lo < x_hi {
            for x in (nx0..x_lo).chain(x_hi..nx1) {
                border(x, y, mean);
            }
            let p0 = y * w + x_lo;
            let len = x_hi - x_lo;
            let hi = &prefix[(p0 as isize + fwd) as usize..][..len];
            let lo = &prefix[(p0 as isize - bwd) as usize..][..len];
            for ((m, &u), &l) in mean[p0..p0 + len].iter_mut().zip(hi).zip(lo) {
                *m = (u - l) * inv;
            }
        } else {
            for x in nx0..nx1 {
                border(x, y, mean);
            }
        }
    }
}

/// `out = max(out, min(M(p + o), M(p − o)) − M(p))` over the side offsets `o`, where both sides
/// are inside the image, for the pixels of `core = [x0, x1, y0, y1]`.
#[inline(always)]
fn side_contrast(mean: &[f32], w: usize, h: usize, sides: &[(isize, isize)], core: [usize; 4], out: &mut [f32]) {
    for &(ox, oy) in sides {
        let (ax, ay) = (ox.unsigned_abs(), oy.unsigned_abs());
        let (x0, x1) = (core[0].max(ax), core[1].min(w.saturating_sub(ax)));
        let (y0, y1) = (core[2].max(ay), core[3].min(h.saturating_sub(ay)));
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        let d = (oy * w as isize + ox).unsigned_abs();
        let len = x1 - x0;
        for y in y0..y1 {
            let p0 = y * w + x0;
            let c = &mean[p0..p0 + len];
            let s1 = &mean[p0 + d..p0 + d + len];
            let s2 = &mean[p0 - d..p0 - d + len];
            for (((o, &m), &l), &r) in out[p0..p0 + len].iter_mut().zip(c).zip(s1).zip(s2) {
                // A plain comparison (J is finite) compiles to a packed min; `max` keeps the
                // store unconditional (a select would become a slow masked store).
                let side = if l < r { l } else { r } - m;
                *o = o.max(side);
            }
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
            line_means(&prefix, w, h, a, b, n, [0, w, 0, h], &mut mean);
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

    #[test]
    fn tiled_response_equals_the_whole_image_response() {
        // Larger than several tiles, with a texture and lines crossing tile edges.
        let (w, h) = (600, 300);
        let j = Plane::from_fn(w, h, |x, y| {
            let t = ((x * 7919 + y * 104_729) % 97) as f32 / 97.0 * 0.1;
            if (x + 2 * y) % 173 < 2 || x == 256 || y == 128 {
                0.7 + t
            } else {
                0.95 + t
            }
        });
        for (hl, off) in [(7.0, vec![2.0, 3.0, 4.0]), (11.0, vec![5.0])] {
            let tiled = dark_bar_response(&j, hl, &off);
            let mut bufs = TileBuffers { sub: j.data.clone(), ..TileBuffers::default() };
            response_whole(&mut bufs, w, h, &directions(hl, &off), [0, w, 0, h]);
            let worst = tiled.data.iter().zip(&bufs.out).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "max difference {worst}");
        }
    }
}
