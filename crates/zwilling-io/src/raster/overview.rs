//! Overview (reduced-resolution) levels for COGs: halving a pixel-interleaved image.
//!
//! Level k+1 has `⌈w/2⌉ × ⌈h/2⌉` pixels, so level k of a `w`-wide raster is `⌈w/2ᵏ⌉` wide, as
//! GDAL's overview sizes (`DIV_ROUND_UP(size, factor)`). Resampling per output pixel, over the
//! 2 × 2 source block (fewer at the right and bottom edges):
//! - [`Resampling::Average`]: arithmetic mean of the samples that are not NoData (NaN or equal to
//!   the NoData value), NoData when all are; integers rounded half away from zero. This is GDAL's
//!   `AVERAGE`.
//! - [`Resampling::Nearest`]: the source sample at `(2i + 1, 2j + 1)` clamped to the image, which is
//!   the sample nearest to the output pixel centre `(2i + 1, 2j + 1)` in source pixel units, as
//!   GDAL's `NEAREST` picks for a factor of 2. Use it for classes and codes.
//!
//! Each output pixel depends only on its 2 × 2 block, so an overview tile can be computed from
//! the (at most) four tiles below it (`halve_block`, used by the streamed COG writer) and the
//! result does not depend on the order or the number of threads.

use super::sample::Sample;

/// How overview pixels are computed from the level above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resampling {
    /// Mean of the valid samples (continuous data: heights, intensities, depths).
    #[default]
    Average,
    /// Nearest sample (classes, codes).
    Nearest,
}

/// Halves a `w × h` image of `spp` interleaved samples per pixel. Returns the data and its size.
/// (The whole-image form of `halve_block`, used by tests as the reference.)
#[cfg(test)]
pub(crate) fn halve<T: Sample>(
    src: &[T],
    w: usize,
    h: usize,
    spp: usize,
    nodata: Option<f64>,
    method: Resampling,
) -> (Vec<T>, usize, usize) {
    let (ow, oh) = (w.div_ceil(2), h.div_ceil(2));
    let mut out = vec![T::default(); ow * oh * spp];
    halve_block(src, w, (w, h), spp, nodata, method, &mut out, ow);
    (out, ow, oh)
}

/// Halves the top-left `w × h` pixels (`extent`) of a block whose rows are `stride` pixels apart,
/// writing `⌈w/2⌉ × ⌈h/2⌉` pixels into `dst` (rows `dst_stride` pixels apart). Pixels outside the
/// extent are never read, so a block cut from a larger image at even offsets gives exactly the
/// pixels that halving the whole image gives there.
#[allow(clippy::too_many_arguments)]
pub(crate) fn halve_block<T: Sample>(
    src: &[T],
    stride: usize,
    extent: (usize, usize),
    spp: usize,
    nodata: Option<f64>,
    method: Resampling,
    dst: &mut [T],
    dst_stride: usize,
) {
    let (w, h) = extent;
    let (ow, oh) = (w.div_ceil(2), h.div_ceil(2));
    let is_nodata = |v: T| {
        let f = v.to_f64();
        f.is_nan() || nodata.is_some_and(|nd| f == nd)
    };
    let fill = T::from_f64(nodata.unwrap_or(f64::NAN));
    for j in 0..oh {
        let row = &mut dst[j * dst_stride * spp..(j * dst_stride + ow) * spp];
        for i in 0..ow {
            for s in 0..spp {
                let px = |c: usize, r: usize| src[(r * stride + c) * spp + s];
                row[i * spp + s] = match method {
                    Resampling::Nearest => px((2 * i + 1).min(w - 1), (2 * j + 1).min(h - 1)),
                    Resampling::Average => {
                        let (mut sum, mut n) = (0.0f64, 0u32);
                        for r in 2 * j..(2 * j + 2).min(h) {
                            for c in 2 * i..(2 * i + 2).min(w) {
                                let v = px(c, r);
                                if !is_nodata(v) {
                                    sum += v.to_f64();
                                    n += 1;
                                }
                            }
                        }
                        if n == 0 {
                            fill
                        } else {
                            T::from_f64(sum / n as f64)
                        }
                    }
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_skips_nodata_and_handles_odd_edges() {
        // 3 × 3, NoData −9999 at (1,0). Block (0,0) = {1, 4, 5} → 10/3; block (1,0) = {3, 6} → 4.5;
        // block (0,1) = {7, 8} → 7.5; block (1,1) = {9}.
        let nd = -9999.0f32;
        let src = [1.0, nd, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let (o, w, h) = halve(&src, 3, 3, 1, Some(-9999.0), Resampling::Average);
        assert_eq!((w, h), (2, 2));
        assert_eq!(o, vec![10.0 / 3.0, 4.5, 7.5, 9.0]);
        let (o, _, _) = halve(&[nd, nd, nd, nd], 2, 2, 1, Some(-9999.0), Resampling::Average);
        assert_eq!(o, vec![nd]);
    }

    #[test]
    fn integers_round_and_bands_stay_apart() {
        // Two interleaved bands: band 0 mean (1+2+2+2)/4 = 1.75 → 2; band 1 all 200.
        let src = [1u8, 200, 2, 200, 2, 200, 2, 200];
        let (o, _, _) = halve(&src, 2, 2, 2, None, Resampling::Average);
        assert_eq!(o, vec![2, 200]);
    }

    #[test]
    fn nearest_picks_the_lower_right_of_each_block() {
        let src: Vec<u16> = (0..15).collect(); // 5 × 3
        let (o, w, h) = halve(&src, 5, 3, 1, None, Resampling::Nearest);
        assert_eq!((w, h), (3, 2));
        // columns 1, 3, 4(clamped) of rows 1 and 2(clamped)
        assert_eq!(o, vec![6, 8, 9, 11, 13, 14]);
    }
}
