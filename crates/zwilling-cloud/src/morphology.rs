//! Grey-scale morphology on raster surfaces: erosion, dilation and the progressive opening of SMRF.
//!
//! Erosion replaces every cell by the minimum over a structuring element, dilation by the maximum;
//! an opening (erosion, then dilation with the same element) removes bumps narrower than the
//! element and keeps the rest of the surface (Serra 1982; used for ground filtering by Zhang et al.
//! 2003, "A progressive morphological filter for removing nonground measurements from airborne
//! LIDAR data", IEEE TGRS 41(4)).
//!
//! The structuring element of radius `r` cells is built by `r` elementary steps that alternate a
//! 3 × 3 square (odd steps) and a 4-neighbour diamond (even steps): an **octagon**, the usual
//! discrete approximation of a disk (PDAL's `filters.smrf` uses pure diamonds). Because erosion by
//! a chain of elements is the chain of erosions, the `⌈r/2⌉` square steps are done at once as one
//! large square by the van Herk / Gil–Werman running min/max (van Herk 1992, Pattern Recogn. Lett.
//! 13(7); Gil & Werman 1993, IEEE PAMI 15(5): O(1) per cell for any square), and the `⌊r/2⌋`
//! diamond steps at once as one diamond, decomposed into two diagonal line segments and one or two
//! 4-neighbour crosses (`|dx| + |dy| ≤ k` is a square in the 45°-rotated lattice), each segment a
//! running extreme by doubling: O(log k) passes instead of `k`. The progressive filter reuses the
//! erosion of radius `r − 1`.
//!
//! Cells outside the grid are ignored (the element is clipped at the border). NaN cells must be
//! filled first (see [`crate::inpaint`]).
//!
//! ```
//! use zwilling_cloud::morphology::opening;
//! // A one-cell spike on a flat plane disappears under an opening of radius 1.
//! let mut z = vec![0.0; 25];
//! z[12] = 5.0;
//! let opened = opening(&z, 5, 5, 1);
//! assert!(opened.iter().all(|&v| v == 0.0));
//! ```

use rayon::prelude::*;

/// Grids at least this large are processed row-parallel.
const PARALLEL_CELLS: usize = 1 << 16;

/// One elementary min (`erode = true`) or max filter step: step `k` (1-based) uses a 3 × 3 square
/// when odd and a 4-neighbour diamond when even.
fn step(src: &[f64], width: usize, height: usize, k: usize, erode: bool) -> Vec<f64> {
    let square = k % 2 == 1;
    let pick = |a: f64, b: f64| if erode { a.min(b) } else { a.max(b) };
    let row_fn = |row: usize, out: &mut [f64]| {
        let r0 = row.saturating_sub(1);
        let r1 = (row + 1).min(height - 1);
        for (col, o) in out.iter_mut().enumerate() {
            let c0 = col.saturating_sub(1);
            let c1 = (col + 1).min(width - 1);
            let mut v = src[row * width + col];
            if square {
                for r in r0..=r1 {
                    for c in c0..=c1 {
                        v = pick(v, src[r * width + c]);
                    }
                }
            } else {
                v = pick(v, src[r0 * width + col]);
                v = pick(v, src[r1 * width + col]);
                v = pick(v, src[row * width + c0]);
                v = pick(v, src[row * width + c1]);
            }
            *o = v;
        }
    };
    let mut out = vec![0.0; src.len()];
    if src.len() >= PARALLEL_CELLS {
        out.par_chunks_mut(width).enumerate().for_each(|(row, o)| row_fn(row, o));
    } else {
        out.chunks_mut(width).enumerate().for_each(|(row, o)| row_fn(row, o));
    }
    out
}

/// Erosion (minimum filter) by the octagon of radius `radius` cells.
pub fn erosion(z: &[f64], width: usize, height: usize, radius: usize) -> Vec<f64> {
    octagon(z, width, height, radius, true)
}

/// Dilation (maximum filter) by the octagon of radius `radius` cells.
pub fn dilation(z: &[f64], width: usize, height: usize, radius: usize) -> Vec<f64> {
    octagon(z, width, height, radius, false)
}

/// Min (`erode`) or max filter by the octagon of radius `r`: its `⌈r/2⌉` square steps make one
/// `(2⌈r/2⌉+1)²` square, done separably with the van Herk / Gil–Werman algorithm (3 comparisons
/// per cell and direction, whatever the size), followed by the `⌊r/2⌋` diamond steps. Minkowski
/// sums commute, and on a rectangular grid with out-of-grid cells ignored the result equals the
/// alternating chain exactly (both structuring elements contain every vector they dominate, so
/// each reachable cell is reached along a path inside the grid); `tests` check this.
fn octagon(z: &[f64], width: usize, height: usize, r: usize, erode: bool) -> Vec<f64> {
    let half = r.div_ceil(2);
    let out = if half == 0 { z.to_vec() } else { square(z, width, height, half, erode) };
    diamond(out, width, height, r / 2, erode)
}

/// Min or max over the diamond `|dx| + |dy| ≤ k` around every cell (cells outside the grid
/// ignored), the chain of `k` 4-neighbour steps done in O(log k) passes.
///
/// In rotated coordinates `u = dx + dy`, `v = dx − dy` the diamond is the square `|u|, |v| ≤ k`
/// restricted to `u ≡ v (mod 2)`. The diagonal segments `{(t, t)}` and `{(t, −t)}`, `|t| ≤ s`,
/// sum to its even points `|u|, |v| ≤ 2s`; one more 4-neighbour cross adds the odd points:
/// `D_{2s+1} = S⁺_s ⊕ S⁻_s ⊕ cross`, `D_{2s+2} = D_{2s+1} ⊕ cross`. Each segment is a running
/// extreme along the diagonals by doubling (`|t| ≤ s` as two overlapping power-of-two runs, a
/// sparse-table query), on a copy padded by `k` identity cells (±∞) on every side so that the
/// intermediate cells of the decomposition exist and out-of-grid cells stay ignored. With that
/// padding every offset a grid cell reads stays within the padded rows, so flat index offsets
/// never wrap into a wrong row for a cell that matters.
fn diamond(z: Vec<f64>, width: usize, height: usize, k: usize, erode: bool) -> Vec<f64> {
    if k < 3 {
        return (0..k).fold(z, |acc, _| step(&acc, width, height, 2, erode));
    }
    let crosses = if k % 2 == 1 { 1 } else { 2 };
    let s = (k - crosses) / 2;
    let (pw, ph) = (width + 2 * k, height + 2 * k);
    let pad = if erode { f64::INFINITY } else { f64::NEG_INFINITY };
    let mut p = vec![pad; pw * ph];
    for r in 0..height {
        p[(r + k) * pw + k..(r + k) * pw + k + width].copy_from_slice(&z[r * width..(r + 1) * width]);
    }
    p = diagonal_run(p, pw + 1, s, erode);
    p = diagonal_run(p, pw - 1, s, erode);
    for _ in 0..crosses {
        p = step(&p, pw, ph, 2, erode);
    }
    let mut out = z;
    for r in 0..height {
        out[r * width..(r + 1) * width].copy_from_slice(&p[(r + k) * pw + k..(r + k) * pw + k + width]);
    }
    out
}

/// `out[i] = extreme(p[i + t·stride])` for `|t| ≤ s` (where the indices exist; the caller pads so
/// that they do for every cell it keeps): runs of 1, 2, 4, … by doubling, then the window of
/// `2s + 1` as two overlapping runs of the largest power of two not above it.
fn diagonal_run(p: Vec<f64>, stride: usize, s: usize, erode: bool) -> Vec<f64> {
    if s == 0 {
        return p;
    }
    let len = 2 * s + 1;
    let mut run = p;
    let mut span = 1;
    let mut next = vec![0.0; run.len()];
    while span * 2 <= len {
        extreme_shifted(&run, &mut next, span * stride, erode);
        std::mem::swap(&mut run, &mut next);
        span *= 2;
    }
    // run[i] = extreme over t ∈ [0, span); the window t ∈ [−s, s] is
    // extreme(run[i − s·stride], run[i + (s + 1 − span)·stride]).
    let back = s * stride;
    let fwd = (len - span) * stride; // offset of the second run from the first
    let n = run.len();
    let mut out = vec![if erode { f64::INFINITY } else { f64::NEG_INFINITY }; n];
    if n > back {
        extreme_shifted(&run[..n - back], &mut out[back..], fwd, erode);
    }
    out
}

/// `dst[i] = extreme(src[i], src[i + off])`, or `src[i]` where `i + off` is past the end.
fn extreme_shifted(src: &[f64], dst: &mut [f64], off: usize, erode: bool) {
    let n = src.len();
    let m = n.saturating_sub(off);
    let (a, b) = (&src[..m], &src[off.min(n)..]);
    let body = |d: &mut [f64], a: &[f64], b: &[f64]| {
        if erode {
            d.iter_mut().zip(a.iter().zip(b)).for_each(|(d, (&x, &y))| *d = if y < x { y } else { x });
        } else {
            d.iter_mut().zip(a.iter().zip(b)).for_each(|(d, (&x, &y))| *d = if y > x { y } else { x });
        }
    };
    if m >= PARALLEL_CELLS {
        const CHUNK: usize = 1 << 14;
        dst[..m].par_chunks_mut(CHUNK).enumerate().for_each(|(c, d)| {
            let o = c * CHUNK;
            body(d, &a[o..o + d.len()], &b[o..o + d.len()]);
        });
    } else {
        body(&mut dst[..m], a, b);
    }
    dst[m..].copy_from_slice(&src[m..]);
}

/// Min or max over the `(2·half+1)²` square around every cell (cells outside the grid ignored).
fn square(z: &[f64], width: usize, height: usize, half: usize, erode: bool) -> Vec<f64> {
    let mut rows = vec![0.0; z.len()];
    let run = |src: &[f64], dst: &mut [f64]| running_extreme(src, dst, half, erode);
    if z.len() >= PARALLEL_CELLS {
        rows.par_chunks_mut(width).zip(z.par_chunks(width)).for_each(|(d, s)| run(s, d));
    } else {
        rows.chunks_mut(width).zip(z.chunks(width)).for_each(|(d, s)| run(s, d));
    }
    // Columns: transpose, filter rows, transpose back.
    let mut t = vec![0.0; z.len()];
    for r in 0..height {
        for c in 0..width {
            t[c * height + r] = rows[r * width + c];
        }
    }
    let mut tf = vec![0.0; z.len()];
    if z.len() >= PARALLEL_CELLS {
        tf.par_chunks_mut(height).zip(t.par_chunks(height)).for_each(|(d, s)| run(s, d));
    } else {
        tf.chunks_mut(height).zip(t.chunks(height)).for_each(|(d, s)| run(s, d));
    }
    for c in 0..width {
        for r in 0..height {
            rows[r * width + c] = tf[c * height + r];
        }
    }
    rows
}

/// van Herk / Gil–Werman running min/max of window `2·half+1` over `src` (ends padded with the
/// identity, ±∞): block-wise prefix `g` and suffix `h` extremes of blocks of the window length,
/// then `dst[i] = pick(h[i − half], g[i + half])` in padded coordinates.
fn running_extreme(src: &[f64], dst: &mut [f64], half: usize, erode: bool) {
    let pick = |a: f64, b: f64| if erode { a.min(b) } else { a.max(b) };
    let pad = if erode { f64::INFINITY } else { f64::NEG_INFINITY };
    let w = 2 * half + 1;
    let n = src.len() + 2 * half;
    let len = n.div_ceil(w) * w;
    let padded: Vec<f64> =
        (0..len).map(|i| if i < half || i >= half + src.len() { pad } else { src[i - half] }).collect();
    let mut g = padded.clone();
    let mut h = padded;
    for b in (0..len).step_by(w) {
        for i in b + 1..b + w {
            g[i] = pick(g[i], g[i - 1]);
        }
        for i in (b..b + w - 1).rev() {
            h[i] = pick(h[i], h[i + 1]);
        }
    }
    for (i, d) in dst.iter_mut().enumerate() {
        // Window of output i is padded[i ..= i + 2·half].
        *d = pick(h[i], g[i + 2 * half]);
    }
}

/// Opening (erosion then dilation) by the octagon of radius `radius` cells.
pub fn opening(z: &[f64], width: usize, height: usize, radius: usize) -> Vec<f64> {
    dilation(&erosion(z, width, height, radius), width, height, radius)
}

/// The progressive morphological filter of SMRF (Pingel et al. 2013, eq. 1–2).
///
/// For window radii `r = 1, 2, …, max_radius` cells the surface is opened with radius `r`; a cell
/// is flagged as object when the previous surface rises above the new opening by more than
/// `slope · r · cell` (the height a slope of `slope` gains over the window radius). The next step
/// opens the already opened surface (progressive). Returns `true` for object cells.
pub fn progressive_filter(
    z: &[f64],
    width: usize,
    height: usize,
    cell: f64,
    slope: f64,
    max_radius: usize,
) -> Vec<bool> {
    let mut object = vec![false; z.len()];
    let mut previous = z.to_vec();
    let mut eroded = z.to_vec();
    for r in 1..=max_radius {
        eroded = step(&eroded, width, height, r, true);
        let opened = dilation(&eroded, width, height, r);
        let threshold = slope * r as f64 * cell;
        for ((o, &p), &q) in object.iter_mut().zip(&previous).zip(&opened) {
            if p - q > threshold {
                *o = true;
            }
        }
        previous = opened;
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_removes_narrow_blocks_and_keeps_wide_ones() {
        let (w, h) = (30, 30);
        let mut z = vec![0.0; w * h];
        // 3 × 3 block (removed by radius 2) and a 11 × 11 block (kept by radius 2).
        for r in 2..5 {
            for c in 2..5 {
                z[r * w + c] = 4.0;
            }
        }
        for r in 12..23 {
            for c in 12..23 {
                z[r * w + c] = 7.0;
            }
        }
        let o = opening(&z, w, h, 2);
        assert_eq!(o[3 * w + 3], 0.0);
        assert_eq!(o[17 * w + 17], 7.0);
        assert_eq!(o[12 * w + 17], 7.0, "the middle of an edge is kept");
        assert_eq!(o[12 * w + 12], 0.0, "an octagon does not reach into a square corner");
    }

    #[test]
    fn octagon_radius_two_matches_its_definition() {
        // Dilating a single spike by radius 2 = square then diamond: the 5 × 5 square minus its corners.
        let (w, h) = (7, 7);
        let mut z = vec![0.0; w * h];
        z[3 * w + 3] = 1.0;
        let d = dilation(&z, w, h, 2);
        let ones: usize = d.iter().filter(|&&v| v == 1.0).count();
        assert_eq!(ones, 25 - 4);
        assert_eq!(d[w + 1], 0.0);
        assert_eq!(d[w + 2], 1.0);
    }

    #[test]
    fn fast_octagon_equals_the_chain_of_elementary_steps() {
        // Pseudo-random surfaces of odd shapes, every radius up to 21 (diamonds of up to 10 steps by
        // diagonal runs), both min and max; the 270 × 250 grid takes the parallel path.
        let mut k = 7u64;
        for (w, h) in [(1, 1), (1, 9), (13, 1), (17, 11), (40, 23), (270, 250)] {
            let z: Vec<f64> = (0..w * h)
                .map(|_| {
                    k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (k >> 40) as f64 / 1000.0
                })
                .collect();
            let radii: Vec<usize> = if w * h > PARALLEL_CELLS { vec![7, 12] } else { (0..22).collect() };
            for r in radii {
                for erode in [true, false] {
                    let chain = (1..=r).fold(z.clone(), |acc, s| step(&acc, w, h, s, erode));
                    assert_eq!(octagon(&z, w, h, r, erode), chain, "{w}×{h} r {r} erode {erode}");
                }
            }
        }
    }

    #[test]
    fn progressive_filter_keeps_a_plane_within_the_slope() {
        // A plane rising 0.1 per cell is never cut with slope 0.15; a 2 m house on it is.
        let (w, h) = (40, 40);
        let mut z: Vec<f64> = (0..w * h).map(|i| 0.1 * (i % w) as f64).collect();
        for r in 15..25 {
            for c in 15..25 {
                z[r * w + c] += 2.0;
            }
        }
        let obj = progressive_filter(&z, w, h, 1.0, 0.15, 8);
        assert!(obj[20 * w + 20]);
        assert!(!obj[5 * w + 5] && !obj[35 * w + 35] && !obj[20 * w + 35]);
        assert_eq!(obj.iter().filter(|&&o| o).count(), 100);
    }
}
