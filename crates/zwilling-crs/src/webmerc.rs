//! Popular Visualisation Pseudo Mercator (EPSG method 1024; EPSG:3857 "WGS 84 / Pseudo-Mercator").
//!
//! EPSG Guidance Note 7-2, §3.5.1.2 (spherical formulas applied to ellipsoidal WGS 84 latitudes):
//! `E = FE + a (λ − λ₀)`, `N = FN + a ln tan(π/4 + φ/2)`; inverse `φ = π/2 − 2 atan(e^(−(N−FN)/a))`,
//! `λ = (E − FE)/a + λ₀`, with `a = 6378137 m`.
//!
//! ```
//! use zwilling_crs::webmerc::WebMercator;
//! let (e, n) = WebMercator::forward(0.0, 0.0);
//! assert!(e.abs() < 1e-9 && n.abs() < 1e-9);
//! ```

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

/// The Web Mercator projection (no parameters besides the WGS 84 semi-major axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WebMercator;

const A: f64 = 6_378_137.0;

impl WebMercator {
    /// Geodetic (lon, lat radians) → (easting, northing) metres.
    #[inline]
    pub fn forward(lon: f64, lat: f64) -> (f64, f64) {
        (A * lon, A * (FRAC_PI_4 + lat / 2.0).tan().ln())
    }

    /// (easting, northing) metres → geodetic (lon, lat radians).
    #[inline]
    pub fn inverse(e: f64, n: f64) -> (f64, f64) {
        (e / A, FRAC_PI_2 - 2.0 * (-n / A).exp().atan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_note_example_1024() {
        // EPSG Guidance Note 7-2, §3.5.1.2 example: φ = 24°22'54.433"N, λ = 100°20'0"W
        // → E = −11169055.58 m, N = 2800000.00 m.
        let lat = (24.0 + 22.0 / 60.0 + 54.433 / 3600.0f64).to_radians();
        let lon = (-(100.0 + 20.0 / 60.0f64)).to_radians();
        let (e, n) = WebMercator::forward(lon, lat);
        assert!((e + 11_169_055.58).abs() < 0.01, "{e}");
        assert!((n - 2_800_000.00).abs() < 0.01, "{n}");
        let (lo, la) = WebMercator::inverse(e, n);
        assert!((lo - lon).abs() < 1e-13 && (la - lat).abs() < 1e-13);
    }
}
