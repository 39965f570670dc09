//! Synthetic pavement images with cracks of known geometry, for tests and benchmarks.
//!
//! Asphalt texture: white noise `n ~ U(−a, a)` (a SplitMix64 hash of the pixel index and the
//! seed, so the image is the same on every machine) smoothed by a 3 × 3 box mean to give grains,
//! on a mean grey `g₀` with a linear illumination ramp of ±`ramp` across the image. A crack is a
//! polyline with width `w` and relative darkness `c`: every pixel whose centre lies within `w/2` of
//! the polyline is multiplied by `1 − c`. The truth mask is exactly those pixels.
//!
//! ```
//! use zwilling_cracks::synthetic::{pavement, SyntheticCrack};
//! let crack = SyntheticCrack { points: vec![[10.0, 50.5], [190.0, 50.5]], width: 3.0, contrast: 0.4 };
//! let (img, truth) = pavement(200, 100, 7, &[crack]);
//! // 3 rows × 180 columns, plus 3 + 1 pixels of each round cap.
//! assert_eq!(truth.iter().filter(|&&b| b).count(), 3 * 180 + 2 * 4);
//! assert!(img.get_pixel(100, 50)[0] < img.get_pixel(100, 20)[0]);
//! ```

use crate::plane::Plane;
use image::GrayImage;

/// One drawn crack.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticCrack {
    /// Polyline vertices `[x, y]`, pixels (pixel centres at `+0.5`).
    pub points: Vec<[f64; 2]>,
    /// Width, pixels.
    pub width: f64,
    /// Relative darkness (0.3 = 30 % darker than the asphalt).
    pub contrast: f64,
}

/// SplitMix64 (Steele, Lea & Flood 2014) as a hash of `x`.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A `w × h` asphalt image (mean grey 130, grain amplitude ±40 before smoothing, ±20 illumination
/// ramp) with the given cracks, and the truth mask.
pub fn pavement(w: usize, h: usize, seed: u64, cracks: &[SyntheticCrack]) -> (GrayImage, Vec<bool>) {
    let noise = Plane::from_fn(w, h, |x, y| {
        let r = splitmix64(seed.wrapping_mul(0x1_0000_0001).wrapping_add((y * w + x) as u64));
        (r >> 40) as f32 / (1u64 << 24) as f32 * 80.0 - 40.0
    })
    .box_mean(1, 1);
    let mut truth = vec![false; w * h];
    let mut dark = vec![1.0f64; w * h];
    for c in cracks {
        for seg in c.points.windows(2) {
            let (a, b) = (seg[0], seg[1]);
            let r = c.width / 2.0;
            let x0 = (a[0].min(b[0]) - r).floor().max(0.0) as usize;
            let x1 = ((a[0].max(b[0]) + r).ceil() as usize).min(w);
            let y0 = (a[1].min(b[1]) - r).floor().max(0.0) as usize;
            let y1 = ((a[1].max(b[1]) + r).ceil() as usize).min(h);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l2 = (dx * dx + dy * dy).max(1e-12);
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = [x as f64 + 0.5, y as f64 + 0.5];
                    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0);
                    let (ex, ey) = (p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
                    if ex * ex + ey * ey <= r * r {
                        truth[y * w + x] = true;
                        dark[y * w + x] = 1.0 - c.contrast;
                    }
                }
            }
        }
    }
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let ramp = 20.0 * ((x as f64 / w.max(1) as f64) + (y as f64 / h.max(1) as f64) - 1.0);
            ((130.0 + ramp + noise.data[i] as f64) * dark[i]).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    (GrayImage::from_raw(w as u32, h as u32, data).expect("w*h bytes"), truth)
}

/// A meandering crack: a random walk from `start` heading `angle` (radians) for `length` pixels
/// in steps of 4 px, the direction changing by up to ±`wiggle` radians per step.
pub fn meandering_crack(start: [f64; 2], angle: f64, length: f64, wiggle: f64, seed: u64) -> Vec<[f64; 2]> {
    let mut pts = vec![start];
    let (mut p, mut a) = (start, angle);
    let steps = (length / 4.0).ceil() as u64;
    for k in 0..steps {
        let r = (splitmix64(seed ^ (k + 1).wrapping_mul(0xA24B_AED4_963E_E407)) >> 11) as f64 / (1u64 << 53) as f64;
        a += (2.0 * r - 1.0) * wiggle;
        p = [p[0] + 4.0 * a.cos(), p[1] + 4.0 * a.sin()];
        pts.push(p);
    }
    pts
}
