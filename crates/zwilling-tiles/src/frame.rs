//! A local east-north-up (ENU) frame tangent to the GRS80 ellipsoid.
//!
//! Tile contents are stored in this frame (metres, small numbers, float32-friendly); the root tile's
//! `transform` maps it to Earth-centred, Earth-fixed coordinates (EPSG:4978):
//! `ecef = origin + east·e + north·n + up·u` with
//! `e = (−sin λ, cos λ, 0)`, `n = (−sin φ cos λ, −sin φ sin λ, cos φ)`, `u = (cos φ cos λ, cos φ sin λ, sin φ)`
//! (geodetic latitude φ, longitude λ; e.g. EPSG Guidance Note 7-2, §4.1.2 "Geocentric/topocentric conversions").
//!
//! ```
//! use zwilling_tiles::LocalFrame;
//! let f = LocalFrame::from_ecef([4_000_000.0, 500_000.0, 4_900_000.0]);
//! let p = f.to_local([4_000_001.0, 500_000.0, 4_900_000.0]);
//! let back = f.to_ecef(p);
//! assert!((back[0] - 4_000_001.0).abs() < 1e-9);
//! ```

/// GRS80 semi-major axis (m).
pub const GRS80_A: f64 = 6_378_137.0;
/// GRS80 flattening.
pub const GRS80_F: f64 = 1.0 / 298.257_222_101;

/// An ENU frame: origin in ECEF and the unit vectors east, north, up (in ECEF).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    /// Origin in ECEF metres.
    pub origin: [f64; 3],
    /// East unit vector.
    pub east: [f64; 3],
    /// North unit vector.
    pub north: [f64; 3],
    /// Up unit vector (ellipsoid normal).
    pub up: [f64; 3],
}

/// Geodetic latitude and longitude (radians) of an ECEF position on GRS80, by Bowring's
/// iteration (converges to well below a millimetre in three steps near the surface).
pub fn ecef_to_lat_lon(p: [f64; 3]) -> (f64, f64) {
    let e2 = GRS80_F * (2.0 - GRS80_F);
    let lon = p[1].atan2(p[0]);
    let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
    let mut lat = p[2].atan2(r * (1.0 - e2));
    for _ in 0..5 {
        let s = lat.sin();
        let n = GRS80_A / (1.0 - e2 * s * s).sqrt();
        let h = r / lat.cos() - n;
        lat = p[2].atan2(r * (1.0 - e2 * n / (n + h)));
    }
    (lat, lon)
}

impl LocalFrame {
    /// The ENU frame whose origin is `origin` (ECEF) and whose up is the ellipsoid normal there.
    pub fn from_ecef(origin: [f64; 3]) -> Self {
        let (lat, lon) = ecef_to_lat_lon(origin);
        let (sp, cp, sl, cl) = (lat.sin(), lat.cos(), lon.sin(), lon.cos());
        LocalFrame { origin, east: [-sl, cl, 0.0], north: [-sp * cl, -sp * sl, cp], up: [cp * cl, cp * sl, sp] }
    }

    /// ECEF → local ENU.
    #[inline]
    pub fn to_local(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [p[0] - self.origin[0], p[1] - self.origin[1], p[2] - self.origin[2]];
        [dot(d, self.east), dot(d, self.north), dot(d, self.up)]
    }

    /// Local ENU → ECEF.
    #[inline]
    pub fn to_ecef(&self, l: [f64; 3]) -> [f64; 3] {
        let mut out = self.origin;
        for (k, o) in out.iter_mut().enumerate() {
            *o += l[0] * self.east[k] + l[1] * self.north[k] + l[2] * self.up[k];
        }
        out
    }

    /// The 4 × 4 column-major matrix (3D Tiles `transform`) mapping local ENU to ECEF.
    pub fn transform(&self) -> [f64; 16] {
        let (e, n, u, o) = (self.east, self.north, self.up, self.origin);
        [e[0], e[1], e[2], 0.0, n[0], n[1], n[2], 0.0, u[0], u[1], u[2], 0.0, o[0], o[1], o[2], 1.0]
    }
}

#[inline]
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Geodetic → ECEF (closed form), for the tests.
    fn ecef(lat_deg: f64, lon_deg: f64, h: f64) -> [f64; 3] {
        let (lat, lon) = (lat_deg.to_radians(), lon_deg.to_radians());
        let e2 = GRS80_F * (2.0 - GRS80_F);
        let n = GRS80_A / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        [(n + h) * lat.cos() * lon.cos(), (n + h) * lat.cos() * lon.sin(), (n * (1.0 - e2) + h) * lat.sin()]
    }

    #[test]
    fn up_is_the_ellipsoid_normal() {
        // Moving 100 m along the normal changes the ellipsoidal height by exactly 100 m.
        let o = ecef(51.5, 7.2, 80.0);
        let f = LocalFrame::from_ecef(o);
        let p = ecef(51.5, 7.2, 180.0);
        let l = f.to_local(p);
        assert!(l[0].abs() < 1e-6 && l[1].abs() < 1e-6 && (l[2] - 100.0).abs() < 1e-6, "{l:?}");
        let (lat, lon) = ecef_to_lat_lon(o);
        assert!((lat.to_degrees() - 51.5).abs() < 1e-10 && (lon.to_degrees() - 7.2).abs() < 1e-12);
    }

    #[test]
    fn north_points_north_and_transform_round_trips() {
        let o = ecef(51.5, 7.2, 80.0);
        let f = LocalFrame::from_ecef(o);
        // 1 arc-second north is ~30.9 m along the meridian at 51.5°.
        let l = f.to_local(ecef(51.5 + 1.0 / 3600.0, 7.2, 80.0));
        assert!(l[0].abs() < 1e-6 && (l[1] - 30.9).abs() < 0.1, "{l:?}");
        let m = f.transform();
        let x = [12.0, -7.0, 3.0];
        let e = [
            m[0] * x[0] + m[4] * x[1] + m[8] * x[2] + m[12],
            m[1] * x[0] + m[5] * x[1] + m[9] * x[2] + m[13],
            m[2] * x[0] + m[6] * x[1] + m[10] * x[2] + m[14],
        ];
        let back = f.to_local(e);
        for k in 0..3 {
            assert!((back[k] - x[k]).abs() < 1e-8);
        }
    }
}
