//! A single-channel `f32` image plane and the O(1)-per-pixel box filters the detector is built on.
//!
//! A box mean of radius `r` is `B_r(p) = 1/|W| Σ_{q ∈ W_r(p) ∩ image} I(q)`, the window clipped at
//! the borders (so the mean is over the pixels that exist, no padding bias). It is computed
//! separably with running sums: every pixel costs two additions and one multiplication per axis,
//! independent of `r`. Three passes of box means of radius `r` approximate a Gaussian of
//! `σ² = 3·((2r+1)² − 1)/12` (Wells 1986, "Efficient synthesis of Gaussian filters by cascaded
//! uniform filters", IEEE PAMI 8(2)).
//!
//! ```
//! use zwilling_cracks::plane::Plane;
//! let p = Plane::from_fn(5, 1, |x, _| x as f32);
//! let m = p.box_mean(1, 0);
//! assert_eq!(m.data, vec![0.5, 1.0, 2.0, 3.0, 3.5]);
//! ```

/// A row-major `f32` image of `width × height`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major values, `width * height` long.
    pub data: Vec<f32>,
}

impl Plane {
    /// A plane filled with `v`.
    pub fn filled(width: usize, height: usize, v: f32) -> Self {
        Plane { width, height, data: vec![v; width * height] }
    }

    /// A plane whose pixel `(x, y)` is `f(x, y)`.
    pub fn from_fn(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Self {
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                data.push(f(x, y));
            }
        }
        Plane { width, height, data }
    }

    /// The 8-bit grey values as `f32` (0–255).
    pub fn from_gray(width: usize, height: usize, gray: &[u8]) -> Self {
        assert_eq!(gray.len(), width * height, "grey buffer must be width*height long");
        Plane { width, height, data: gray.iter().map(|&g| g as f32).collect() }
    }

    /// Value at `(x, y)` (no bounds check beyond the slice's).
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// Box mean with horizontal radius `rx` and vertical radius `ry`, window clipped at the borders.
    pub fn box_mean(&self, rx: usize, ry: usize) -> Plane {
        if rx <= 3 && ry <= 3 && self.width > 2 * rx + 1 && self.height > 2 * ry + 1 {
            return self.small_box_mean(rx, ry);
        }
        let mut tmp = vec![0.0f32; self.data.len()];
        let mut line = Vec::with_capacity(self.width.max(self.height));
        for (src, dst) in self.data.chunks_exact(self.width.max(1)).zip(tmp.chunks_exact_mut(self.width.max(1))) {
            mean_1d(src, dst, rx, &mut line);
        }
        let mut out = vec![0.0f32; self.data.len()];
        // Vertical pass on whole rows at a time (running sums of rows), cache friendly.
        vertical_mean(&tmp, &mut out, self.width, self.height, ry);
        Plane { width: self.width, height: self.height, data: out }
    }

    /// [`Plane::box_mean`] for small radii as direct sums of shifted rows (vectorisable);
    /// needs `width > 2·rx + 1` and `height > 2·ry + 1`.
    fn small_box_mean(&self, rx: usize, ry: usize) -> Plane {
        let (w, h) = (self.width, self.height);
        let mut tmp = vec![0.0f32; w * h];
        for (src, dst) in self.data.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
            row_box_mean(src, dst, rx);
        }
        let mut out = vec![0.0f32; w * h];
        let inv_y = 1.0 / (2 * ry + 1) as f32;
        for y in 0..h {
            let (lo, hi) = (y.saturating_sub(ry), (y + ry + 1).min(h));
            let inv = if hi - lo == 2 * ry + 1 { inv_y } else { 1.0 / (hi - lo) as f32 };
            let dst = &mut out[y * w..(y + 1) * w];
            dst.copy_from_slice(&tmp[lo * w..(lo + 1) * w]);
            for yy in lo + 1..hi {
                for (d, &v) in dst.iter_mut().zip(&tmp[yy * w..(yy + 1) * w]) {
                    *d += v;
                }
            }
            for d in dst.iter_mut() {
                *d *= inv;
            }
        }
        Plane { width: w, height: h, data: out }
    }

    /// Mean of `f × f` blocks (the last partial blocks averaged over what exists).
    pub fn block_mean(&self, f: usize) -> Plane {
        let (w2, h2) = (self.width.div_ceil(f), self.height.div_ceil(f));
        let mut sum = vec![0.0f32; w2 * h2];
        let mut cnt = vec![0u32; w2 * h2];
        for y in 0..self.height {
            let row = (y / f) * w2;
            for (x, &v) in self.data[y * self.width..(y + 1) * self.width].iter().enumerate() {
                sum[row + x / f] += v;
                cnt[row + x / f] += 1;
            }
        }
        Plane { width: w2, height: h2, data: sum.iter().zip(&cnt).map(|(&s, &c)| s / c as f32).collect() }
    }

    /// [`Plane::block_mean`] of the 8-bit image `gray` (`width × height`) with every grey value
    /// `g` replaced by `lut[g]`, without building the full-size plane. Equal to
    /// `Plane::from_fn(.., |x, y| lut[g(x, y)]).block_mean(f)` when the `lut` values are
    /// integers (then every partial sum below 2²⁴ is exact, in any order).
    pub fn block_mean_u8(width: usize, height: usize, gray: &[u8], lut: &[f32; 256], f: usize) -> Plane {
        assert_eq!(gray.len(), width * height, "grey buffer must be width*height long");
        let (w2, h2) = (width.div_ceil(f), height.div_ceil(f));
        let mut sum = vec![0.0f32; w2 * h2];
        for (y, row) in gray.chunks_exact(width.max(1)).enumerate() {
            let acc = &mut sum[(y / f) * w2..(y / f + 1) * w2];
            for (a, block) in acc.iter_mut().zip(row.chunks(f)) {
                *a += block.iter().map(|&g| lut[g as usize]).sum::<f32>();
            }
        }
        for (by, row) in sum.chunks_exact_mut(w2.max(1)).enumerate() {
            let ny = (height - by * f).min(f);
            for (bx, v) in row.iter_mut().enumerate() {
                let nx = (width - bx * f).min(f);
                *v /= (nx * ny) as f32;
            }
        }
        Plane { width: w2, height: h2, data: sum }
    }

    /// Bilinear interpolation of this plane, taken as the `f × f` block means of a `width × height`
    /// plane, back to full size (block centres at `f·(i + 0.5) − 0.5`, clamped at the borders).
    pub fn upsample(&self, f: usize, width: usize, height: usize) -> Plane {
        let mut data = Vec::with_capacity(width * height);
        self.for_each_upsampled_row(f, width, height, |_, row| data.extend_from_slice(row));
        Plane { width, height, data }
    }

    /// The rows of [`Plane::upsample`] one at a time, top to bottom, without the full-size plane:
    /// the source rows are interpolated across once, then each output row is a blend of two.
    pub fn for_each_upsampled_row(&self, f: usize, width: usize, height: usize, mut g: impl FnMut(usize, &[f32])) {
        let coord = |i: usize, n: usize| -> (usize, usize, f32) {
            let t = ((i as f32 + 0.5) / f as f32 - 0.5).clamp(0.0, (n - 1) as f32);
            let i0 = t.floor() as usize;
            (i0, (i0 + 1).min(n - 1), t - i0 as f32)
        };
        let xs: Vec<(usize, usize, f32)> = (0..width).map(|x| coord(x, self.width)).collect();
        let mut wide = Vec::with_capacity(self.height * width);
        for r in self.data.chunks_exact(self.width) {
            wide.extend(xs.iter().map(|&(x0, x1, tx)| r[x0] + (r[x1] - r[x0]) * tx));
        }
        let mut row = vec![0.0f32; width];
        for y in 0..height {
            let (y0, y1, ty) = coord(y, self.height);
            let (r0, r1) = (&wide[y0 * width..(y0 + 1) * width], &wide[y1 * width..(y1 + 1) * width]);
            for ((o, &t), &b) in row.iter_mut().zip(r0).zip(r1) {
                *o = t + (b - t) * ty;
            }
            g(y, &row);
        }
    }

    /// Approximate Gaussian blur: three box means of radius `r` (σ ≈ √(((2r+1)² − 1)/4)).
    pub fn gauss3(&self, r: usize) -> Plane {
        self.box_mean(r, r).box_mean(r, r).box_mean(r, r)
    }
}

/// [`Plane::box_mean`] for small radii computed while the rows arrive one by one: each row is
/// averaged horizontally into a ring of `2·ry + 1` rows and an output row is written as soon as
/// its vertical window is complete. Bit-identical to `box_mean(rx, ry)` of the whole plane (same
/// operations in the same order), with no full-size temporary plane.
#[derive(Debug)]
pub struct RowBoxMean {
    width: usize,
    height: usize,
    rx: usize,
    ry: usize,
    ring: Vec<f32>,
    pushed: usize,
    out: Vec<f32>,
}

impl RowBoxMean {
    /// A row-wise box mean of a `width × height` plane, or `None` when the radii are not small
    /// (`rx, ry ≤ 3`, `width > 2·rx + 1`, `height > 2·ry + 1`; use [`Plane::box_mean`] then).
    pub fn new(width: usize, height: usize, rx: usize, ry: usize) -> Option<Self> {
        (rx <= 3 && ry <= 3 && width > 2 * rx + 1 && height > 2 * ry + 1).then(|| RowBoxMean {
            width,
            height,
            rx,
            ry,
            ring: vec![0.0; (2 * ry + 1) * width],
            pushed: 0,
            out: Vec::with_capacity(width * height),
        })
    }

    /// Adds the next input row (top to bottom, `width` values).
    pub fn push(&mut self, src: &[f32]) {
        let (w, ry) = (self.width, self.ry);
        assert!(src.len() == w && self.pushed < self.height, "row of the wrong length or too many rows");
        let slot = self.pushed % (2 * ry + 1);
        row_box_mean(src, &mut self.ring[slot * w..(slot + 1) * w], self.rx);
        self.pushed += 1;
        let h = self.height;
        while self.out.len() < h * w {
            let y = self.out.len() / w;
            if y + ry >= self.pushed && self.pushed < h {
                break;
            }
            let (lo, hi) = (y.saturating_sub(ry), (y + ry + 1).min(h));
            let inv = if hi - lo == 2 * ry + 1 { 1.0 / (2 * ry + 1) as f32 } else { 1.0 / (hi - lo) as f32 };
            let row = |yy: usize| &self.ring[(yy % (2 * ry + 1)) * w..(yy % (2 * ry + 1) + 1) * w];
            let start = self.out.len();
            self.out.extend_from_slice(row(lo));
            for yy in lo + 1..hi {
                for (d, &v) in self.out[start..].iter_mut().zip(row(yy)) {
                    *d += v;
                }
            }
            for d in self.out[start..].iter_mut() {
                *d *= inv;
            }
        }
    }

    /// The smoothed plane, once all rows were pushed.
    pub fn finish(self) -> Plane {
        assert_eq!(self.pushed, self.height, "not all rows were pushed");
        Plane { width: self.width, height: self.height, data: self.out }
    }
}

/// Horizontal box mean of radius `rx` of one row (window clipped at the ends) as direct sums of
/// shifted slices (vectorisable); needs `src.len() == dst.len() > 2·rx + 1`. The row pass of
/// [`Plane::box_mean`] for small radii and of [`RowBoxMean`].
fn row_box_mean(src: &[f32], dst: &mut [f32], rx: usize) {
    let w = src.len();
    let inv_x = 1.0 / (2 * rx + 1) as f32;
    let inner = &mut dst[rx..w - rx];
    inner.copy_from_slice(&src[..w - 2 * rx]);
    for k in 1..=2 * rx {
        for (d, &v) in inner.iter_mut().zip(&src[k..w - 2 * rx + k]) {
            *d += v;
        }
    }
    for d in inner.iter_mut() {
        *d *= inv_x;
    }
    for x in (0..rx).chain(w - rx..w) {
        let (lo, hi) = (x.saturating_sub(rx), (x + rx + 1).min(w));
        dst[x] = src[lo..hi].iter().sum::<f32>() / (hi - lo) as f32;
    }
}

/// Running-sum box mean of one line, clipped window.
fn mean_1d(src: &[f32], dst: &mut [f32], r: usize, prefix: &mut Vec<f64>) {
    let n = src.len();
    prefix.clear();
    prefix.push(0.0);
    let mut s = 0.0f64;
    for &v in src {
        s += v as f64;
        prefix.push(s);
    }
    let inv = 1.0 / (2 * r + 1) as f64;
    for (i, d) in dst.iter_mut().enumerate() {
        let lo = i.saturating_sub(r);
        let hi = (i + r + 1).min(n);
        let sum = prefix[hi] - prefix[lo];
        *d = if hi - lo == 2 * r + 1 { sum * inv } else { sum / (hi - lo) as f64 } as f32;
    }
}

/// Vertical clipped box mean over whole rows: keeps one running row sum.
fn vertical_mean(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize) {
    if w == 0 || h == 0 {
        return;
    }
    let mut acc = vec![0.0f64; w];
    let mut hi = 0usize; // rows in the sum: [lo, hi)
    let mut lo = 0usize;
    for y in 0..h {
        let want_hi = (y + r + 1).min(h);
        while hi < want_hi {
            for (a, &v) in acc.iter_mut().zip(&src[hi * w..(hi + 1) * w]) {
                *a += v as f64;
            }
            hi += 1;
        }
        let want_lo = y.saturating_sub(r);
        while lo < want_lo {
            for (a, &v) in acc.iter_mut().zip(&src[lo * w..(lo + 1) * w]) {
                *a -= v as f64;
            }
            lo += 1;
        }
        let inv = 1.0 / (hi - lo) as f64;
        for (d, &a) in dst[y * w..(y + 1) * w].iter_mut().zip(&acc) {
            *d = (a * inv) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_matches_brute_force() {
        let p = Plane::from_fn(13, 9, |x, y| ((x * 7 + y * 13) % 11) as f32);
        let m = p.box_mean(2, 3);
        for y in 0..9usize {
            for x in 0..13usize {
                let (mut s, mut n) = (0.0, 0.0);
                for yy in y.saturating_sub(3)..(y + 4).min(9) {
                    for xx in x.saturating_sub(2)..(x + 3).min(13) {
                        s += p.at(xx, yy);
                        n += 1.0;
                    }
                }
                assert!((m.at(x, y) - s / n).abs() < 1e-4, "({x},{y})");
            }
        }
    }

    #[test]
    fn streamed_and_u8_variants_equal_the_whole_plane_filters_bit_for_bit() {
        let (w, h) = (37, 23);
        let p = Plane::from_fn(w, h, |x, y| ((x * 37 + y * 11) % 17) as f32 * 0.37 + 0.01 * x as f32);
        for (rx, ry) in [(0, 0), (1, 2), (2, 2), (3, 1)] {
            let mut s = RowBoxMean::new(w, h, rx, ry).unwrap();
            for row in p.data.chunks_exact(w) {
                s.push(row);
            }
            assert_eq!(s.finish(), p.box_mean(rx, ry), "rx {rx} ry {ry}");
        }
        assert!(RowBoxMean::new(w, h, 4, 1).is_none());
        let gray: Vec<u8> = (0..w * h).map(|i| (i * 97 % 251) as u8).collect();
        let mut lut = [0.0f32; 256];
        for (g, v) in lut.iter_mut().enumerate() {
            *v = if g > 200 { 128.0 } else { g as f32 };
        }
        let full = Plane::from_fn(w, h, |x, y| lut[gray[y * w + x] as usize]);
        assert_eq!(Plane::block_mean_u8(w, h, &gray, &lut, 4), full.block_mean(4));
    }

    #[test]
    fn block_mean_and_upsample_reproduce_a_linear_ramp() {
        let p = Plane::from_fn(40, 24, |x, y| 2.0 * x as f32 + 3.0 * y as f32);
        let b = p.block_mean(4);
        assert_eq!((b.width, b.height), (10, 6));
        assert_eq!(b.at(0, 0), 2.0 * 1.5 + 3.0 * 1.5);
        let u = b.upsample(4, 40, 24);
        // Exact between the first and last block centres (1.5 … 37.5), clamped outside.
        for y in 2..22 {
            for x in 2..38 {
                assert!((u.at(x, y) - p.at(x, y)).abs() < 1e-3, "({x},{y})");
            }
        }
    }

    #[test]
    fn gauss3_keeps_constants_and_spreads_an_impulse_with_the_box_variance() {
        let c = Plane::filled(20, 10, 7.0).gauss3(3);
        assert!(c.data.iter().all(|&v| (v - 7.0).abs() < 1e-4));
        let mut p = Plane::filled(61, 1, 0.0);
        p.data[30] = 1.0;
        let g = p.gauss3(2);
        let var: f32 = g.data.iter().enumerate().map(|(i, &v)| v * (i as f32 - 30.0).powi(2)).sum();
        // Three boxes of width 5: variance 3 · (5² − 1)/12 = 6 (Wells 1986).
        assert!((var - 6.0).abs() < 1e-3, "{var}");
    }
}
