//! Oblique Stereographic (EPSG method 9809; the "double" stereographic of RD New, PROJ's `sterea`).
//!
//! EPSG Guidance Note 7-2, §3.3.2: the ellipsoid is mapped conformally onto the Gauss sphere of
//! radius `R = √(ρ₀ ν₀)` with `n = √(1 + e² cos⁴φ₀/(1 − e²))`, `w₁ = (S₁ S₂ᵉ)ⁿ`,
//! `c = (n + sin φ₀)(1 − sin χ₀)/((n − sin φ₀)(1 + sin χ₀))`; then
//! `Λ = n (λ − Λ₀) + Λ₀`, `w = c (Sₐ S_bᵉ)ⁿ`, `χ = asin((w − 1)/(w + 1))`,
//! `B = 1 + sin χ sin χ₀ + cos χ cos χ₀ cos(Λ − Λ₀)`,
//! `E = FE + 2 R k₀ cos χ sin(Λ − Λ₀)/B`, `N = FN + 2 R k₀ (sin χ cos χ₀ − cos χ sin χ₀ cos(Λ − Λ₀))/B`.
//! The inverse follows the same section (g, h, i, j, then iterating the isometric latitude ψ).
//!
//! ```
//! use zwilling_crs::{ellipsoid::Ellipsoid, sterea::ObliqueStereographic};
//! let rd = ObliqueStereographic::new(Ellipsoid::BESSEL, 52.156160555555556, 5.387638888888889, 0.9999079, 155_000.0, 463_000.0);
//! let (e, n) = rd.forward(5.387638888888889f64.to_radians(), 52.156160555555556f64.to_radians());
//! assert!((e - 155_000.0).abs() < 1e-6 && (n - 463_000.0).abs() < 1e-6);
//! ```

use crate::ellipsoid::Ellipsoid;
use std::f64::consts::FRAC_PI_4;

/// An Oblique Stereographic projection with precomputed constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObliqueStereographic {
    e: f64,
    e2: f64,
    n: f64,
    c: f64,
    r2k0: f64,
    chi0: f64,
    sin_chi0: f64,
    cos_chi0: f64,
    lon0: f64,
    fe: f64,
    fn_: f64,
}

impl ObliqueStereographic {
    /// Latitude/longitude of natural origin (degrees), scale factor `k0`, false easting/northing.
    pub fn new(ell: Ellipsoid, lat0: f64, lon0: f64, k0: f64, fe: f64, fn_: f64) -> Self {
        let (e, e2, a) = (ell.e(), ell.e2(), ell.a);
        let p0 = lat0.to_radians();
        let (s0, c0) = p0.sin_cos();
        let rho0 = a * (1.0 - e2) / (1.0 - e2 * s0 * s0).powf(1.5);
        let nu0 = a / (1.0 - e2 * s0 * s0).sqrt();
        let r = (rho0 * nu0).sqrt();
        let n = (1.0 + e2 * c0.powi(4) / (1.0 - e2)).sqrt();
        let s1 = (1.0 + s0) / (1.0 - s0);
        let s2 = (1.0 - e * s0) / (1.0 + e * s0);
        let w1 = (s1 * s2.powf(e)).powf(n);
        let sin_chi0a = (w1 - 1.0) / (w1 + 1.0);
        let c = (n + s0) * (1.0 - sin_chi0a) / ((n - s0) * (1.0 + sin_chi0a));
        let w2 = c * w1;
        let chi0 = ((w2 - 1.0) / (w2 + 1.0)).asin();
        ObliqueStereographic {
            e,
            e2,
            n,
            c,
            r2k0: 2.0 * r * k0,
            chi0,
            sin_chi0: chi0.sin(),
            cos_chi0: chi0.cos(),
            lon0: lon0.to_radians(),
            fe,
            fn_,
        }
    }

    /// Geodetic (lon, lat radians) → (easting, northing) metres.
    #[inline]
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        let dl = self.n * (lon - self.lon0);
        let s = lat.sin();
        let sa = (1.0 + s) / (1.0 - s);
        let sb = (1.0 - self.e * s) / (1.0 + self.e * s);
        let w = self.c * (sa * sb.powf(self.e)).powf(self.n);
        let sin_chi = (w - 1.0) / (w + 1.0);
        let cos_chi = (1.0 - sin_chi * sin_chi).sqrt();
        let (sdl, cdl) = dl.sin_cos();
        let b = 1.0 + sin_chi * self.sin_chi0 + cos_chi * self.cos_chi0 * cdl;
        (
            self.fe + self.r2k0 * cos_chi * sdl / b,
            self.fn_ + self.r2k0 * (sin_chi * self.cos_chi0 - cos_chi * self.sin_chi0 * cdl) / b,
        )
    }

    /// (easting, northing) metres → geodetic (lon, lat radians).
    pub fn inverse(&self, e: f64, n: f64) -> (f64, f64) {
        let (de, dn) = (e - self.fe, n - self.fn_);
        let g = self.r2k0 * (FRAC_PI_4 - self.chi0 / 2.0).tan();
        let h = 2.0 * self.r2k0 * self.chi0.tan() + g;
        let i = (de / (h + dn)).atan();
        let j = (de / (g - dn)).atan() - i;
        let chi = self.chi0 + 2.0 * ((dn - de * (j / 2.0).tan()) / self.r2k0).atan();
        let big_lambda = j + 2.0 * i;
        let lon = big_lambda / self.n + self.lon0;
        let sc = chi.sin();
        let psi = 0.5 * ((1.0 + sc) / (self.c * (1.0 - sc))).ln() / self.n;
        let mut lat = 2.0 * psi.exp().atan() - std::f64::consts::FRAC_PI_2;
        for _ in 0..20 {
            let s = lat.sin();
            let psi_i =
                ((lat / 2.0 + FRAC_PI_4).tan() * ((1.0 - self.e * s) / (1.0 + self.e * s)).powf(self.e / 2.0)).ln();
            let next = lat - (psi_i - psi) * lat.cos() * (1.0 - self.e2 * s * s) / (1.0 - self.e2);
            let done = (next - lat).abs() < 1e-14;
            lat = next;
            if done {
                break;
            }
        }
        (lon, lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_note_example_9809() {
        // EPSG Guidance Note 7-2, §3.3.2 example: Amersfoort / RD New (Bessel 1841;
        // φ0 = 52°09'22.178"N, λ0 = 5°23'15.500"E, k0 = 0.9999079, FE = 155000, FN = 463000):
        // φ = 53°N, λ = 6°E → E = 196105.283 m, N = 557057.739 m.
        let lat0 = 52.0 + 9.0 / 60.0 + 22.178 / 3600.0;
        let lon0 = 5.0 + 23.0 / 60.0 + 15.5 / 3600.0;
        let rd = ObliqueStereographic::new(Ellipsoid::BESSEL, lat0, lon0, 0.9999079, 155_000.0, 463_000.0);
        let (e, n) = rd.forward(6f64.to_radians(), 53f64.to_radians());
        assert!((e - 196_105.283).abs() < 1e-3, "{e}");
        assert!((n - 557_057.739).abs() < 1e-3, "{n}");
        let (lon, lat) = rd.inverse(e, n);
        assert!((lon.to_degrees() - 6.0).abs() < 1e-11 && (lat.to_degrees() - 53.0).abs() < 1e-11);
    }
}
