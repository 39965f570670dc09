//! Reference ellipsoids and the conversion between geodetic and geocentric (ECEF) coordinates.
//!
//! Forward (EPSG Guidance Note 7-2, §4.1.1, method 9602):
//! `ν = a / √(1 − e² sin²φ)`, `X = (ν + h) cos φ cos λ`, `Y = (ν + h) cos φ sin λ`,
//! `Z = ((1 − e²) ν + h) sin φ`.
//!
//! Inverse: Bowring's (1976) parametric-latitude start followed by fixed-point refinement of
//! `φ = atan((Z + e² ν sin φ) / p)`; three refinements reach 1e-12 rad (< 0.01 mm) for any
//! terrestrial height, and `h = p / cos φ − ν` (or `Z / sin φ − (1 − e²) ν` near the poles).
//!
//! ```
//! use zwilling_crs::ellipsoid::Ellipsoid;
//! let e = Ellipsoid::GRS80;
//! let xyz = e.to_ecef(9f64.to_radians(), 48f64.to_radians(), 300.0);
//! let (lon, lat, h) = e.from_ecef(xyz);
//! assert!((lat.to_degrees() - 48.0).abs() < 1e-11 && (h - 300.0).abs() < 1e-6 && (lon.to_degrees() - 9.0).abs() < 1e-12);
//! ```

/// A rotational ellipsoid given by its semi-major axis and inverse flattening.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    /// Name as in EPSG / WKT (`GRS 1980`).
    pub name: &'static str,
    /// EPSG code of the ellipsoid.
    pub epsg: u32,
    /// Semi-major axis `a` in metres.
    pub a: f64,
    /// Inverse flattening `1/f`.
    pub inv_f: f64,
}

impl Ellipsoid {
    /// GRS 1980 (EPSG:7019), the ellipsoid of ETRS89 and RGF93.
    pub const GRS80: Ellipsoid = Ellipsoid { name: "GRS 1980", epsg: 7019, a: 6_378_137.0, inv_f: 298.257_222_101 };
    /// WGS 84 (EPSG:7030).
    pub const WGS84: Ellipsoid = Ellipsoid { name: "WGS 84", epsg: 7030, a: 6_378_137.0, inv_f: 298.257_223_563 };
    /// Bessel 1841 (EPSG:7004), the ellipsoid of Amersfoort (RD) and DHDN.
    pub const BESSEL: Ellipsoid = Ellipsoid { name: "Bessel 1841", epsg: 7004, a: 6_377_397.155, inv_f: 299.152_812_8 };

    /// Flattening `f`.
    #[inline]
    pub fn f(&self) -> f64 {
        1.0 / self.inv_f
    }

    /// First eccentricity squared `e² = f (2 − f)`.
    #[inline]
    pub fn e2(&self) -> f64 {
        let f = self.f();
        f * (2.0 - f)
    }

    /// First eccentricity `e`.
    #[inline]
    pub fn e(&self) -> f64 {
        self.e2().sqrt()
    }

    /// Semi-minor axis `b = a (1 − f)`.
    #[inline]
    pub fn b(&self) -> f64 {
        self.a * (1.0 - self.f())
    }

    /// Geodetic (longitude, latitude in radians, ellipsoidal height in metres) → geocentric XYZ.
    #[inline]
    pub fn to_ecef(&self, lon: f64, lat: f64, h: f64) -> [f64; 3] {
        let e2 = self.e2();
        let (sp, cp) = lat.sin_cos();
        let (sl, cl) = lon.sin_cos();
        let nu = self.a / (1.0 - e2 * sp * sp).sqrt();
        [(nu + h) * cp * cl, (nu + h) * cp * sl, ((1.0 - e2) * nu + h) * sp]
    }

    /// Geocentric XYZ → geodetic (longitude, latitude in radians, ellipsoidal height in metres).
    pub fn from_ecef(&self, xyz: [f64; 3]) -> (f64, f64, f64) {
        let [x, y, z] = xyz;
        let e2 = self.e2();
        let a = self.a;
        let b = self.b();
        let ep2 = (a * a - b * b) / (b * b);
        let p = x.hypot(y);
        let lon = y.atan2(x);
        if p < 1e-9 {
            // On the polar axis.
            let lat = if z >= 0.0 { std::f64::consts::FRAC_PI_2 } else { -std::f64::consts::FRAC_PI_2 };
            return (lon, lat, z.abs() - b);
        }
        // Bowring's start value from the parametric latitude.
        let theta = (z * a).atan2(p * b);
        let (st, ct) = theta.sin_cos();
        let mut lat = (z + ep2 * b * st * st * st).atan2(p - e2 * a * ct * ct * ct);
        for _ in 0..3 {
            let s = lat.sin();
            let nu = a / (1.0 - e2 * s * s).sqrt();
            lat = (z + e2 * nu * s).atan2(p);
        }
        let (s, c) = lat.sin_cos();
        let nu = a / (1.0 - e2 * s * s).sqrt();
        let h = if c.abs() > 0.1 { p / c - nu } else { z / s - (1.0 - e2) * nu };
        (lon, lat, h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_note_example_9602() {
        // EPSG Guidance Note 7-2, §4.1.1 example (WGS 84): φ = 53°48'33.820"N, λ = 2°07'46.380"E,
        // h = 73.0 m → X = 3771793.968, Y = 140253.342, Z = 5124304.349 m.
        let lat = (53.0 + 48.0 / 60.0 + 33.820 / 3600.0f64).to_radians();
        let lon = (2.0 + 7.0 / 60.0 + 46.380 / 3600.0f64).to_radians();
        let [x, y, z] = Ellipsoid::WGS84.to_ecef(lon, lat, 73.0);
        assert!((x - 3_771_793.968).abs() < 1e-3, "{x}");
        assert!((y - 140_253.342).abs() < 1e-3, "{y}");
        assert!((z - 5_124_304.349).abs() < 1e-3, "{z}");
        let (lon2, lat2, h2) = Ellipsoid::WGS84.from_ecef([x, y, z]);
        assert!((lat2 - lat).abs() < 1e-12 && (lon2 - lon).abs() < 1e-12 && (h2 - 73.0).abs() < 1e-6);
    }

    #[test]
    fn round_trip_over_latitudes_and_heights() {
        for e in [Ellipsoid::GRS80, Ellipsoid::BESSEL] {
            for lat_deg in [-89.9, -60.0, -1.0, 0.0, 0.5, 45.0, 52.0, 89.99] {
                for h in [-100.0, 0.0, 4000.0, 30_000.0] {
                    let lat = f64::to_radians(lat_deg);
                    let (lon2, lat2, h2) = e.from_ecef(e.to_ecef(0.3, lat, h));
                    assert!((lat2 - lat).abs() < 1e-12, "{lat_deg} {h}");
                    assert!((lon2 - 0.3).abs() < 1e-14 && (h2 - h).abs() < 1e-5, "{lat_deg} {h}: {h2}");
                }
            }
        }
    }
}
