//! Transverse Mercator (EPSG method 9807; UTM) by Krüger's series to sixth order in `n`.
//!
//! Formulas and coefficients: C.F.F. Karney (2011), *Transverse Mercator with an accuracy of a few
//! nanometers*, J. Geodesy 85, eqs. (7)–(11), (35), (36); the same method as PROJ's default
//! `tmerc`/`utm` ("Poder/Engsager") and EPSG Guidance Note 7-2 §3.5.3.1 (JHS formulas). Within
//! 4000 km of the central meridian the truncation error is below 5 nm, so round-off dominates.
//!
//! Forward: conformal latitude via `τ' = τ √(1+σ²) − σ √(1+τ²)`, `σ = sinh(e atanh(e τ/√(1+τ²)))`,
//! Gauss–Schreiber `ξ' = atan2(τ', cos λ)`, `η' = asinh(sin λ / √(τ'² + cos² λ))`, then
//! `ξ + iη = ζ' + Σⱼ αⱼ sin(2j ζ')` (Clenshaw summation on complex numbers), `E = FE + k₀ A η`,
//! `N = FN + k₀ A (ξ − ξ₀)`.
//! Inverse: `ζ' = ζ − Σⱼ βⱼ sin(2j ζ)`, then Newton iteration for `τ` from `τ'` (Karney eq. 19–21).
//!
//! ```
//! use zwilling_crs::{ellipsoid::Ellipsoid, tmerc::TransverseMercator};
//! let utm32 = TransverseMercator::new(Ellipsoid::GRS80, 0.0, 9.0, 0.9996, 500_000.0, 0.0);
//! let (e, n) = utm32.forward(9f64.to_radians(), 0.0);
//! assert!((e - 500_000.0).abs() < 1e-9 && n.abs() < 1e-9);
//! ```

use crate::ellipsoid::Ellipsoid;

/// A Transverse Mercator projection with precomputed series coefficients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransverseMercator {
    e: f64,
    e2m: f64,
    lon0: f64,
    k0a: f64,
    fe: f64,
    fn_: f64,
    y0: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
}

/// Karney (2011) eq. (35) (α) and (36) (β): coefficients of n¹..n⁶ for each j = 1..6.
const ALPHA: [[f64; 6]; 6] = [
    [1.0 / 2.0, -2.0 / 3.0, 5.0 / 16.0, 41.0 / 180.0, -127.0 / 288.0, 7891.0 / 37800.0],
    [0.0, 13.0 / 48.0, -3.0 / 5.0, 557.0 / 1440.0, 281.0 / 630.0, -1983433.0 / 1935360.0],
    [0.0, 0.0, 61.0 / 240.0, -103.0 / 140.0, 15061.0 / 26880.0, 167603.0 / 181440.0],
    [0.0, 0.0, 0.0, 49561.0 / 161280.0, -179.0 / 168.0, 6601661.0 / 7257600.0],
    [0.0, 0.0, 0.0, 0.0, 34729.0 / 80640.0, -3418889.0 / 1995840.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 212378941.0 / 319334400.0],
];
const BETA: [[f64; 6]; 6] = [
    [1.0 / 2.0, -2.0 / 3.0, 37.0 / 96.0, -1.0 / 360.0, -81.0 / 512.0, 96199.0 / 604800.0],
    [0.0, 1.0 / 48.0, 1.0 / 15.0, -437.0 / 1440.0, 46.0 / 105.0, -1118711.0 / 3870720.0],
    [0.0, 0.0, 17.0 / 480.0, -37.0 / 840.0, -209.0 / 4480.0, 5569.0 / 90720.0],
    [0.0, 0.0, 0.0, 4397.0 / 161280.0, -11.0 / 504.0, -830251.0 / 7257600.0],
    [0.0, 0.0, 0.0, 0.0, 4583.0 / 161280.0, -108847.0 / 3991680.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 20648693.0 / 638668800.0],
];

/// `√(a² + b²)` for the magnitudes met here (|a|, |b| < 1e150: no overflow; ≤ 1 ulp more
/// rounding than `f64::hypot`, which is several times slower because it guards the full range).
#[inline]
fn norm2(a: f64, b: f64) -> f64 {
    (a * a + b * b).sqrt()
}

/// `τ' = tan χ` (conformal latitude) from `τ = tan φ` (Karney eq. 7–9).
#[inline]
pub(crate) fn taup(tau: f64, e: f64) -> f64 {
    let tau1 = norm2(tau, 1.0);
    let sig = (e * (e * tau / tau1).atanh()).sinh();
    tau * norm2(sig, 1.0) - sig * tau1
}

/// Inverse of [`taup`] by Newton's method (Karney eq. 19–21); converges in ≤ 3 steps on Earth.
#[inline]
pub(crate) fn tau_from_taup(taup_v: f64, e: f64, e2m: f64) -> f64 {
    let mut tau = taup_v / e2m;
    for _ in 0..5 {
        let tp = taup(tau, e);
        let dtau = (taup_v - tp) * (1.0 + e2m * tau * tau) / (e2m * norm2(tau, 1.0) * norm2(tp, 1.0));
        tau += dtau;
        if dtau.abs() < 1e-15 * tau.abs().max(1.0) {
            break;
        }
    }
    tau
}

/// Σⱼ cⱼ sin(2j ζ) for complex ζ = ξ + iη by Clenshaw summation; returns (real, imaginary).
#[inline]
fn clenshaw_sin(c: &[f64; 6], xi: f64, eta: f64) -> (f64, f64) {
    let (s, co) = (2.0 * xi).sin_cos();
    let (sh, ch) = ((2.0 * eta).sinh(), (2.0 * eta).cosh());
    // a = 2 cos(2ζ) = 2 (cos 2ξ cosh 2η − i sin 2ξ sinh 2η)
    let (ar, ai) = (2.0 * co * ch, -2.0 * s * sh);
    let (mut y0r, mut y0i, mut y1r, mut y1i) = (0.0, 0.0, 0.0, 0.0);
    for &ck in c.iter().rev() {
        let (yr, yi) = (ar * y0r - ai * y0i - y1r + ck, ar * y0i + ai * y0r - y1i);
        y1r = y0r;
        y1i = y0i;
        y0r = yr;
        y0i = yi;
    }
    // result = sin(2ζ) · y0, sin 2ζ = sin 2ξ cosh 2η + i cos 2ξ sinh 2η
    let (sr, si) = (s * ch, co * sh);
    (sr * y0r - si * y0i, sr * y0i + si * y0r)
}

impl TransverseMercator {
    /// A projection on `ell` with latitude/longitude of natural origin (degrees), scale `k0` and
    /// false easting/northing (metres).
    pub fn new(ell: Ellipsoid, lat0_deg: f64, lon0_deg: f64, k0: f64, fe: f64, fn_: f64) -> Self {
        let n = ell.f() / (2.0 - ell.f());
        let powers = [n, n * n, n.powi(3), n.powi(4), n.powi(5), n.powi(6)];
        let series =
            |m: &[[f64; 6]; 6]| -> [f64; 6] { std::array::from_fn(|j| (0..6).map(|p| m[j][p] * powers[p]).sum()) };
        let n2 = n * n;
        let a_rect = ell.a / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0 + n2 * n2 * n2 / 256.0);
        let mut tm = TransverseMercator {
            e: ell.e(),
            e2m: 1.0 - ell.e2(),
            lon0: lon0_deg.to_radians(),
            k0a: k0 * a_rect,
            fe,
            fn_,
            y0: 0.0,
            alpha: series(&ALPHA),
            beta: series(&BETA),
        };
        if lat0_deg != 0.0 {
            let (_, y) = tm.forward(tm.lon0, lat0_deg.to_radians());
            tm.y0 = y - fn_;
        }
        tm
    }

    /// Geodetic (lon, lat radians) → (easting, northing) metres.
    #[inline]
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        let l = lon - self.lon0;
        let (sl, cl) = l.sin_cos();
        let tp = taup(lat.tan(), self.e);
        let xip = tp.atan2(cl);
        let etap = (sl / norm2(tp, cl)).asinh();
        let (dxi, deta) = clenshaw_sin(&self.alpha, xip, etap);
        (self.fe + self.k0a * (etap + deta), self.fn_ + self.k0a * (xip + dxi) - self.y0)
    }

    /// (easting, northing) metres → geodetic (lon, lat radians).
    #[inline]
    pub fn inverse(&self, e: f64, n: f64) -> (f64, f64) {
        let xi = (n - self.fn_ + self.y0) / self.k0a;
        let eta = (e - self.fe) / self.k0a;
        let (dxi, deta) = clenshaw_sin(&self.beta, xi, eta);
        let (xip, etap) = (xi - dxi, eta - deta);
        let (sx, cx) = xip.sin_cos();
        let sh = etap.sinh();
        let r = norm2(sh, cx);
        let lon = sh.atan2(cx);
        let taup_v = sx / r;
        let lat = tau_from_taup(taup_v, self.e, self.e2m).atan();
        (self.lon0 + lon, lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_note_example_9807() {
        // EPSG Guidance Note 7-2, §3.5.3.1 example: OSGB 1936 / British National Grid (Airy 1830,
        // a = 6377563.396, 1/f = 299.3249646; φ0 = 49°N, λ0 = 2°W, k0 = 0.9996012717,
        // FE = 400000, FN = −100000): φ = 50°30'N, λ = 0°30'E → E = 577274.99, N = 69740.50 m.
        let airy = Ellipsoid { name: "Airy 1830", epsg: 7001, a: 6_377_563.396, inv_f: 299.324_964_6 };
        let tm = TransverseMercator::new(airy, 49.0, -2.0, 0.999_601_271_7, 400_000.0, -100_000.0);
        let (e, n) = tm.forward(0.5f64.to_radians(), 50.5f64.to_radians());
        assert!((e - 577_274.99).abs() < 0.01, "{e}");
        assert!((n - 69_740.50).abs() < 0.01, "{n}");
        let (lon, lat) = tm.inverse(e, n);
        assert!((lon.to_degrees() - 0.5).abs() < 1e-11 && (lat.to_degrees() - 50.5).abs() < 1e-11);
    }

    #[test]
    fn round_trip_across_a_wide_zone() {
        let tm = TransverseMercator::new(Ellipsoid::GRS80, 0.0, 9.0, 0.9996, 500_000.0, 0.0);
        for lat in [-70.0, -10.0, 0.0, 1e-9, 30.0, 47.3, 55.0, 80.0] {
            for lon in [3.0, 6.0, 9.0, 12.5, 15.0] {
                let (e, n) = tm.forward(f64::to_radians(lon), f64::to_radians(lat));
                let (lo, la) = tm.inverse(e, n);
                // 1e-11 degrees ≈ 1 µm.
                assert!((lo.to_degrees() - lon).abs() < 1e-11 && (la.to_degrees() - lat).abs() < 1e-11, "{lon} {lat}");
            }
        }
    }
}
