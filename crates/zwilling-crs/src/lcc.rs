//! Lambert Conic Conformal with two standard parallels (EPSG method 9802; Lambert-93).
//!
//! EPSG Guidance Note 7-2, §3.2.1.1:
//! `m = cos φ / √(1 − e² sin² φ)`, `t = tan(π/4 − φ/2) / ((1 − e sin φ)/(1 + e sin φ))^(e/2)`,
//! `n = (ln m₁ − ln m₂)/(ln t₁ − ln t₂)`, `F = m₁/(n t₁ⁿ)`, `r = a F tⁿ`, `θ = n (λ − λ_F)`,
//! `E = E_F + r sin θ`, `N = N_F + r_F − r cos θ`.
//! Inverse: `r' = sign(n) √((E−E_F)² + (r_F − (N−N_F))²)`, `t' = (r'/(aF))^(1/n)`,
//! `θ' = atan2(sign(n)(E−E_F), sign(n)(r_F − (N−N_F)))`, `λ = θ'/n + λ_F`, and
//! `φ = π/2 − 2 atan(t' ((1 − e sin φ)/(1 + e sin φ))^(e/2))` iterated to 1e-14 rad.
//!
//! ```
//! use zwilling_crs::{ellipsoid::Ellipsoid, lcc::LambertConic2SP};
//! let l93 = LambertConic2SP::new(Ellipsoid::GRS80, 46.5, 3.0, 49.0, 44.0, 700_000.0, 6_600_000.0);
//! let (e, n) = l93.forward(3f64.to_radians(), 46.5f64.to_radians());
//! assert!((e - 700_000.0).abs() < 1e-6 && (n - 6_600_000.0).abs() < 1e-6);
//! ```

use crate::ellipsoid::Ellipsoid;
use std::f64::consts::FRAC_PI_2;
use std::f64::consts::FRAC_PI_4;

/// A Lambert Conic Conformal (2SP) projection with precomputed constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LambertConic2SP {
    e: f64,
    a_f: f64,
    n: f64,
    r_f: f64,
    lon_f: f64,
    fe: f64,
    fn_: f64,
}

#[inline]
fn t_of(lat: f64, e: f64) -> f64 {
    let s = lat.sin();
    (FRAC_PI_4 - lat / 2.0).tan() / ((1.0 - e * s) / (1.0 + e * s)).powf(e / 2.0)
}

#[inline]
fn m_of(lat: f64, e2: f64) -> f64 {
    let s = lat.sin();
    lat.cos() / (1.0 - e2 * s * s).sqrt()
}

impl LambertConic2SP {
    /// Latitude and longitude of false origin, the two standard parallels (degrees) and the
    /// easting/northing at the false origin (metres).
    pub fn new(ell: Ellipsoid, lat_f: f64, lon_f: f64, lat1: f64, lat2: f64, fe: f64, fn_: f64) -> Self {
        let (e, e2) = (ell.e(), ell.e2());
        let (p1, p2, pf) = (lat1.to_radians(), lat2.to_radians(), lat_f.to_radians());
        let (m1, m2) = (m_of(p1, e2), m_of(p2, e2));
        let (t1, t2, tf) = (t_of(p1, e), t_of(p2, e), t_of(pf, e));
        let n = if (lat1 - lat2).abs() < 1e-12 { p1.sin() } else { (m1.ln() - m2.ln()) / (t1.ln() - t2.ln()) };
        let f = m1 / (n * t1.powf(n));
        let a_f = ell.a * f;
        LambertConic2SP { e, a_f, n, r_f: a_f * tf.powf(n), lon_f: lon_f.to_radians(), fe, fn_ }
    }

    /// Geodetic (lon, lat radians) → (easting, northing) metres.
    #[inline]
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        let r = self.a_f * t_of(lat, self.e).powf(self.n);
        let (s, c) = (self.n * (lon - self.lon_f)).sin_cos();
        (self.fe + r * s, self.fn_ + self.r_f - r * c)
    }

    /// (easting, northing) metres → geodetic (lon, lat radians).
    #[inline]
    pub fn inverse(&self, e: f64, n: f64) -> (f64, f64) {
        let sign = self.n.signum();
        let (dx, dy) = (e - self.fe, self.r_f - (n - self.fn_));
        let r = sign * dx.hypot(dy);
        let t = (r / self.a_f).powf(1.0 / self.n);
        let theta = (sign * dx).atan2(sign * dy);
        let lon = theta / self.n + self.lon_f;
        let mut lat = FRAC_PI_2 - 2.0 * t.atan();
        for _ in 0..15 {
            let s = lat.sin();
            let next = FRAC_PI_2 - 2.0 * (t * ((1.0 - self.e * s) / (1.0 + self.e * s)).powf(self.e / 2.0)).atan();
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
    fn guidance_note_example_9802() {
        // EPSG Guidance Note 7-2, §3.2.1.1 example: NAD27 / Texas South Central (Clarke 1866,
        // a = 6378206.400, 1/f = 294.97870; φF = 27°50'N, λF = 99°W, φ1 = 28°23'N, φ2 = 30°17'N,
        // EF = 2000000 US ft, NF = 0): φ = 28°30'N, λ = 96°W → E = 2963503.91 US ft,
        // N = 254759.80 US ft. (1 US survey foot = 1200/3937 m.)
        let clarke = Ellipsoid { name: "Clarke 1866", epsg: 7008, a: 6_378_206.400, inv_f: 294.978_698_2 };
        let ft = 1200.0 / 3937.0;
        let dm = |d: f64, m: f64| d + m / 60.0;
        let l =
            LambertConic2SP::new(clarke, dm(27.0, 50.0), -99.0, dm(28.0, 23.0), dm(30.0, 17.0), 2_000_000.0 * ft, 0.0);
        let (e, n) = l.forward((-96f64).to_radians(), 28.5f64.to_radians());
        assert!((e / ft - 2_963_503.91).abs() < 0.02, "{}", e / ft);
        assert!((n / ft - 254_759.80).abs() < 0.02, "{}", n / ft);
        let (lon, lat) = l.inverse(e, n);
        assert!((lon.to_degrees() + 96.0).abs() < 1e-11 && (lat.to_degrees() - 28.5).abs() < 1e-11);
    }
}
