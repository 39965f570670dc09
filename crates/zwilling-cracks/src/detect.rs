//! The training-free crack detector: from a grey pavement image to a binary crack mask.
//!
//! Steps (each in its own module):
//! 1. **Illumination normalisation.** `J = I / B`, `B` the local background: a Gaussian-like
//!    blur (three box passes, [`crate::plane`]) of radius `background_radius`, computed on 4 × 4
//!    block means and bilinearly upsampled. With a vehicle
//!    mask `m` (1 = road) the background is the normalised convolution `B = blur(I·m) / blur(m)`
//!    (Knutsson & Westin 1993) and `J = 1` on the vehicle. Asphalt becomes `J ≈ 1`, cracks `J < 1`,
//!    independent of shading and exposure.
//!    Bright outliers (markings, kerbs) would raise `B` around them and make the asphalt beside
//!    them look dark (dark ones, potholes, the reverse), so for `B` pixels outside
//!    `[median(I)/c, c·median(I)]` (`c = background_clip`) are replaced by `median(I)`.
//! 2. **Denoising:** a box mean of radius `smooth_radius`.
//! 3. **Oriented dark-bar response** `R` ([`crate::line_filter`]): line half-length
//!    `half_length`, side offsets `offsets` (one per expected crack half-width).
//! 4. **Hysteresis** ([`crate::hysteresis`]) with thresholds `max(abs, median(R) + k·σ_R)`.
//! 5. **Shape filter** ([`crate::shape`]): components shorter than `min_length` or wider than
//!    `max_width` are removed.
//! 6. The mask is grown by `grow` pixels (a disc) so its width matches hand-drawn references.
//!
//! The mask is tuned for finding cracks; for measuring their width [`crack_extent`] widens it to
//! the full width at half maximum of the crack's darkness profile.
//!
//! The defaults ([`CrackParams::default`]) are the one parameter set tuned on CrackForest (see
//! docs/cracks.md for the scores and the even/odd split check).
//!
//! ```
//! use image::GrayImage;
//! use zwilling_cracks::detect::{detect_cracks, CrackParams};
//! // A 3-pixel-wide dark diagonal crack across mid-grey asphalt.
//! let img = GrayImage::from_fn(120, 120, |x, y| {
//!     let d = (x as i32 - y as i32).abs();
//!     image::Luma([if d <= 1 { 70 } else { 140 + ((x * 7 + y * 3) % 5) as u8 }])
//! });
//! let mask = detect_cracks(&img, None, &CrackParams::default()).unwrap();
//! assert_eq!(mask.get_pixel(60, 60)[0], 255);
//! assert_eq!(mask.get_pixel(90, 20)[0], 0);
//! ```

use crate::{hysteresis, line_filter, plane::Plane, shape::ShapeFilter};
use image::GrayImage;
use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};

/// Every parameter of the detector, in pixels or relative contrast units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrackParams {
    /// Box radius of the three-pass background blur (σ ≈ 1.0 × radius).
    pub background_radius: usize,
    /// Pixels brighter than `background_clip ×` the image's median grey (road markings, kerbs) or
    /// darker than `median / background_clip` (potholes, deep cracks) are replaced by the median
    /// for the background estimate, so they cast no halo (0 = off).
    pub background_clip: f32,
    /// Box radius of the denoising mean (0 = none).
    pub smooth_radius: usize,
    /// Half-length of the oriented line means, pixels.
    pub half_length: f32,
    /// Perpendicular offsets of the side lines, pixels (crack half-width + 1 or so).
    pub offsets: Vec<f32>,
    /// High hysteresis threshold in robust standard deviations above the median response.
    pub k_high: f32,
    /// Low hysteresis threshold in robust standard deviations above the median response.
    pub k_low: f32,
    /// Lower bound of the high threshold, relative contrast (0.05 = 5 % darker than its sides).
    pub min_high: f32,
    /// Lower bound of the low threshold, relative contrast.
    pub min_low: f32,
    /// Shape filter: minimum component length and maximum mean width, pixels.
    pub shape: ShapeFilter,
    /// Radius the final mask is grown by, pixels (0 = none).
    pub grow: usize,
}

impl Default for CrackParams {
    fn default() -> Self {
        CrackParams {
            background_radius: 12,
            background_clip: 1.5,
            smooth_radius: 2,
            half_length: 7.0,
            offsets: vec![2.0, 3.0, 4.0],
            k_high: 5.0,
            k_low: 3.0,
            min_high: 0.08,
            min_low: 0.04,
            shape: ShapeFilter { min_length: 30.0, max_width: 9.0 },
            grow: 0,
        }
    }
}

impl CrackParams {
    /// Checks the parameters are usable.
    pub fn validate(&self) -> Result<()> {
        let at_least = |v: f32, min: f32| v >= min; // false for NaN
        if self.background_radius == 0 || !at_least(self.half_length, 1.0) || self.offsets.is_empty() {
            return Err(Error::invalid(
                "crack parameters: background_radius, half_length ≥ 1 and an offset are needed",
            ));
        }
        if self.offsets.iter().any(|&o| !at_least(o, 1.0))
            || !at_least(self.k_high, self.k_low)
            || !at_least(self.min_high, self.min_low)
            || !(self.background_clip == 0.0 || at_least(self.background_clip, 1.0))
        {
            return Err(Error::invalid(
                "crack parameters: offsets ≥ 1, k_low ≤ k_high, min_low ≤ min_high, background_clip 0 or ≥ 1",
            ));
        }
        Ok(())
    }
}

/// The background-normalised, denoised intensity `J` (step 1–2); `valid` (same size, non-zero = road)
/// restricts the background estimate to the road.
pub fn normalised_intensity(img: &GrayImage, valid: Option<&[bool]>, p: &CrackParams) -> Plane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = p.background_radius;
    if valid.is_none() && r >= 2 * BLOCK && w >= 4 * BLOCK && h >= 4 * BLOCK {
        return normalised_streamed(img, p);
    }
    let i = Plane::from_gray(w, h, img.as_raw());
    // Background input: bright outliers replaced by the image's median grey.
    let ib = match p.background_clip {
        c if c > 0.0 => {
            let (med, _) = hysteresis::robust_stats(&i.data);
            let (lo, hi) = (med / c, c * med);
            let outlier = |v: f32| v > hi || v < lo;
            i.data.iter().any(|&v| outlier(v)).then(|| Plane {
                width: w,
                height: h,
                data: i.data.iter().map(|&v| if outlier(v) { med } else { v }).collect(),
            })
        }
        _ => None,
    };
    let ib = ib.as_ref().unwrap_or(&i);
    let mut j = match valid {
        None => {
            let b = background(ib, r);
            Plane { width: w, height: h, data: i.data.iter().zip(&b.data).map(|(&v, &b)| v / b.max(1.0)).collect() }
        }
        Some(m) => {
            let mi = Plane {
                width: w,
                height: h,
                data: ib.data.iter().zip(m).map(|(&v, &m)| if m { v } else { 0.0 }).collect(),
            };
            let mm = Plane { width: w, height: h, data: m.iter().map(|&m| if m { 1.0 } else { 0.0 }).collect() };
            let (bi, bm) = (background(&mi, r), background(&mm, r));
            let data = (0..w * h)
                .map(|k| if m[k] && bm.data[k] > 1e-3 { i.data[k] * bm.data[k] / bi.data[k].max(1e-3) } else { 1.0 })
                .collect();
            Plane { width: w, height: h, data }
        }
    };
    if p.smooth_radius > 0 {
        j = j.box_mean(p.smooth_radius, p.smooth_radius);
    }
    j
}

/// [`normalised_intensity`] without a road mask, streamed: the clipped grey values enter the 4 × 4
/// block means through a look-up table, the background rows are interpolated on the fly into
/// `J = I/B`, and each `J` row goes straight into the row-wise denoising mean — one full-size
/// plane (the result) instead of five. Bit-identical to the plane-by-plane computation (the
/// block sums are sums of integers, exact in `f32`; the other operations keep their order).
fn normalised_streamed(img: &GrayImage, p: &CrackParams) -> Plane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let mut lut = [0.0f32; 256];
    for (g, v) in lut.iter_mut().enumerate() {
        *v = g as f32;
    }
    if p.background_clip > 0.0 {
        let c = p.background_clip;
        let med = median_u8(raw);
        let (lo, hi) = (med / c, c * med);
        for v in lut.iter_mut() {
            if *v > hi || *v < lo {
                *v = med;
            }
        }
    }
    let back = Plane::block_mean_u8(w, h, raw, &lut, BLOCK).gauss3(p.background_radius.div_ceil(BLOCK));
    let s = p.smooth_radius;
    let mut smooth = if s > 0 { crate::plane::RowBoxMean::new(w, h, s, s) } else { None };
    let mut data = Vec::with_capacity(if smooth.is_some() { 0 } else { w * h });
    let mut row = vec![0.0f32; w];
    back.for_each_upsampled_row(BLOCK, w, h, |y, b| {
        for ((o, &v), &b) in row.iter_mut().zip(&raw[y * w..(y + 1) * w]).zip(b) {
            *o = v as f32 / b.max(1.0);
        }
        match smooth.as_mut() {
            Some(sm) => sm.push(&row),
            None => data.extend_from_slice(&row),
        }
    });
    match smooth {
        Some(sm) => sm.finish(),
        None => {
            let j = Plane { width: w, height: h, data };
            if s > 0 {
                j.box_mean(s, s)
            } else {
                j
            }
        }
    }
}

/// The median grey of an 8-bit image from the same strided sample as
/// [`hysteresis::robust_stats`] (so the two agree exactly), by a histogram.
fn median_u8(gray: &[u8]) -> f32 {
    let stride = (gray.len() / 65_536).max(1);
    let mut hist = [0usize; 256];
    let mut n = 0usize;
    for &g in gray.iter().step_by(stride) {
        hist[g as usize] += 1;
        n += 1;
    }
    let mid = n / 2;
    let mut seen = 0;
    for (g, &c) in hist.iter().enumerate() {
        seen += c;
        if seen > mid {
            return g as f32;
        }
    }
    0.0
}

/// The smooth background: three box passes of radius `r` on the 4 × 4 block means (radius
/// `r/4`), bilinearly upsampled — the same low-pass at 1/16 of the cost (the background has no
/// detail finer than the blur).
fn background(i: &Plane, r: usize) -> Plane {
    if r < 2 * BLOCK || i.width < 4 * BLOCK || i.height < 4 * BLOCK {
        return i.gauss3(r);
    }
    i.block_mean(BLOCK).gauss3(r.div_ceil(BLOCK)).upsample(BLOCK, i.width, i.height)
}

/// Block size of the background estimate.
const BLOCK: usize = 4;

/// Detects cracks in a grey image: a mask of the same size, 255 = crack, 0 = background.
/// `vehicle` (same size, non-zero = vehicle/not road) blanks parts of the image.
pub fn detect_cracks(img: &GrayImage, vehicle: Option<&GrayImage>, p: &CrackParams) -> Result<GrayImage> {
    p.validate()?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let valid: Option<Vec<bool>> = match vehicle {
        Some(v) if v.dimensions() != img.dimensions() => {
            return Err(Error::invalid(format!(
                "vehicle mask is {}×{} but the image is {w}×{h}",
                v.width(),
                v.height()
            )))
        }
        Some(v) => Some(v.as_raw().iter().map(|&m| m == 0).collect()),
        None => None,
    };
    let mask = crack_mask(img, valid.as_deref(), p);
    let data = mask.iter().map(|&b| if b { 255u8 } else { 0 }).collect();
    Ok(GrayImage::from_raw(w as u32, h as u32, data).expect("buffer has w*h bytes"))
}

/// Steps 1–6 on a grey image with an optional road mask; `true` = crack.
pub fn crack_mask(img: &GrayImage, valid: Option<&[bool]>, p: &CrackParams) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return vec![];
    }
    let j = normalised_intensity(img, valid, p);
    let mut r = line_filter::dark_bar_response(&j, p.half_length, &p.offsets);
    if let Some(m) = valid {
        for (v, &ok) in r.data.iter_mut().zip(m) {
            if !ok {
                *v = 0.0;
            }
        }
    }
    let (med, sigma) = hysteresis::robust_stats(&r.data);
    let high = (med + p.k_high * sigma).max(p.min_high);
    let low = (med + p.k_low * sigma).max(p.min_low).min(high);
    let seeds = hysteresis::hysteresis(&r.data, w, h, low, high);
    let kept = p.shape.apply(&seeds, w, h);
    if p.grow > 0 {
        grow(&kept, w, h, p.grow)
    } else {
        kept
    }
}

/// The full extent of detected cracks, for measuring their width: every pixel within `reach`
/// pixels of the detection whose darkness `1 − J` (background-normalised, not smoothed) is at
/// least half the local peak darkness — the largest darkness of a detected pixel within the
/// `(2·reach + 1)²` window around it. This is the full width at half maximum of the crack's cross
/// profile, measured locally. The detection mask itself is not kept as such: it is made for
/// finding cracks (denoised, side offsets up to 4 px) and is wider than thin cracks, which made
/// every crack at least as wide as the detection (≈ 4 px, 17 mm at 4 mm pixels).
pub fn crack_extent(
    img: &GrayImage,
    valid: Option<&[bool]>,
    p: &CrackParams,
    detected: &[bool],
    reach: f32,
) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if !detected.iter().any(|&d| d) {
        return detected.to_vec();
    }
    let raw = normalised_intensity(img, valid, &CrackParams { smooth_radius: 0, ..p.clone() });
    let dark: Vec<f32> = raw.data.iter().map(|&j| 1.0 - j).collect();
    let seed: Vec<f32> = detected.iter().zip(&dark).map(|(&d, &v)| if d { v } else { 0.0 }).collect();
    let peak = max_filter(&seed, w, h, reach.max(0.0).floor() as usize);
    let d2 = crate::distance::squared_edt(detected, w, h);
    let r2 = reach * reach + 1e-3;
    (0..w * h).map(|i| d2[i] <= r2 && peak[i] > 0.0 && dark[i] >= 0.5 * peak[i]).collect()
}

/// Maximum over the `(2r + 1)²` window (clipped at the borders), separably.
fn max_filter(v: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut tmp = vec![0.0f32; w * h];
    for (src, dst) in v.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        for (x, d) in dst.iter_mut().enumerate() {
            *d = src[x.saturating_sub(r)..(x + r + 1).min(w)].iter().fold(f32::MIN, |a, &b| a.max(b));
        }
    }
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        let (lo, hi) = (y.saturating_sub(r), (y + r + 1).min(h));
        let dst = &mut out[y * w..(y + 1) * w];
        dst.copy_from_slice(&tmp[lo * w..(lo + 1) * w]);
        for yy in lo + 1..hi {
            for (d, &s) in dst.iter_mut().zip(&tmp[yy * w..(yy + 1) * w]) {
                *d = d.max(s);
            }
        }
    }
    out
}

/// The mask dilated by a disc of radius `r` (via the distance transform).
fn grow(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let d = crate::distance::squared_edt(mask, w, h);
    let r2 = (r * r) as f32 + 1e-3;
    d.iter().map(|&d| d <= r2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_shaded_images_without_cracks_give_an_empty_mask() {
        let flat = GrayImage::from_pixel(80, 60, image::Luma([128]));
        let m = detect_cracks(&flat, None, &CrackParams::default()).unwrap();
        assert!(m.as_raw().iter().all(|&v| v == 0));
        // A smooth illumination ramp (vignetting) is normalised away.
        let ramp = GrayImage::from_fn(80, 60, |x, y| image::Luma([(60 + x + y) as u8]));
        let m = detect_cracks(&ramp, None, &CrackParams::default()).unwrap();
        assert!(m.as_raw().iter().all(|&v| v == 0));
    }

    use crate::eval::match_counts;
    use crate::polyline::crack_polylines;
    use crate::synthetic::{meandering_crack, pavement, SyntheticCrack};

    #[test]
    fn finds_synthetic_cracks_of_known_geometry() {
        let cracks = vec![
            SyntheticCrack { points: meandering_crack([20.0, 60.0], 0.1, 420.0, 0.3, 1), width: 3.0, contrast: 0.3 },
            SyntheticCrack { points: vec![[100.0, 300.0], [300.0, 120.0]], width: 2.0, contrast: 0.2 },
            SyntheticCrack {
                points: meandering_crack([400.0, 300.0], -1.8, 220.0, 0.25, 2),
                width: 4.0,
                contrast: 0.4,
            },
        ];
        let (img, truth) = pavement(480, 320, 42, &cracks);
        let mask = crack_mask(&img, None, &CrackParams::default());
        let s = match_counts(&mask, &truth, 480, 320, &[2.0])[0].scores();
        assert!(s.precision > 0.9 && s.recall > 0.9, "{s:?}");
        // Texture alone (same seed, no cracks) yields (almost) nothing.
        let (plain, _) = pavement(480, 320, 42, &[]);
        let fp = crack_mask(&plain, None, &CrackParams::default()).iter().filter(|&&b| b).count();
        assert!(fp < 100, "{fp} false crack pixels on plain asphalt");
    }

    #[test]
    fn straight_detected_crack_has_its_true_length_and_width() {
        let (a, b) = ([60.0, 80.0], [340.0, 185.0]);
        let crack = SyntheticCrack { points: vec![a, b], width: 3.0, contrast: 0.35 };
        let (img, _) = pavement(400, 260, 3, &[crack]);
        let p = CrackParams::default();
        let mask = crack_mask(&img, None, &p);
        let extent = crack_extent(&img, None, &p, &mask, 3.0);
        let lines = crack_polylines(&extent, 400, 260, 1.0, 20.0);
        let longest = lines.iter().max_by(|x, y| x.length.total_cmp(&y.length)).unwrap();
        let true_len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        assert!((longest.length - true_len).abs() < 0.03 * true_len, "{} vs {true_len}", longest.length);
        assert!((longest.mean_width - 3.0).abs() <= 1.0, "width {}", longest.mean_width);
    }

    #[test]
    fn streamed_normalisation_equals_the_plane_by_plane_one() {
        let cracks = [SyntheticCrack { points: vec![[30.0, 40.0], [200.0, 150.0]], width: 3.0, contrast: 0.3 }];
        let (mut img, _) = pavement(240, 180, 5, &cracks);
        // A bright marking stripe exercises the clipping.
        for y in 0..180 {
            for x in 100..110 {
                img.put_pixel(x, y, image::Luma([240]));
            }
        }
        let p = CrackParams::default();
        let (w, h) = (240, 180);
        let i = Plane::from_gray(w, h, img.as_raw());
        let (med, _) = hysteresis::robust_stats(&i.data);
        assert_eq!(median_u8(img.as_raw()), med);
        let c = p.background_clip;
        let ib = Plane {
            width: w,
            height: h,
            data: i.data.iter().map(|&v| if v > c * med || v < med / c { med } else { v }).collect(),
        };
        let b = background(&ib, p.background_radius);
        let j =
            Plane { width: w, height: h, data: i.data.iter().zip(&b.data).map(|(&v, &b)| v / b.max(1.0)).collect() };
        let want = j.box_mean(p.smooth_radius, p.smooth_radius);
        assert_eq!(normalised_intensity(&img, None, &p), want);
    }

    #[test]
    fn vehicle_mask_blanks_a_crack_and_size_mismatch_is_an_error() {
        let img = GrayImage::from_fn(100, 80, |x, _| image::Luma([if x == 50 { 60 } else { 150 }]));
        let p = CrackParams::default();
        let m = detect_cracks(&img, None, &p).unwrap();
        assert_eq!(m.get_pixel(50, 40)[0], 255);
        let vehicle = GrayImage::from_fn(100, 80, |x, _| image::Luma([if x > 30 { 255 } else { 0 }]));
        let m = detect_cracks(&img, Some(&vehicle), &p).unwrap();
        assert!(m.as_raw().iter().all(|&v| v == 0));
        let small = GrayImage::new(10, 10);
        assert!(detect_cracks(&img, Some(&small), &p).is_err());
    }
}
