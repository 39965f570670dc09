//! Seven-parameter Helmert transformation of geocentric coordinates (datum shift).
//!
//! EPSG Guidance Note 7-2, §4.4.3 (method 9607, *coordinate frame rotation*, the convention of
//! PROJ's `+convention=coordinate_frame`), small-angle form as PROJ's `helmert` uses it:
//!
//! ```text
//! | X' |   | tx |              |  1   rz  −ry | | X |
//! | Y' | = | ty | + (1 + s·1e-6) | −rz   1   rx | | Y |
//! | Z' |   | tz |              |  ry  −rx   1 | | Z |
//! ```
//! with rotations in arc-seconds (converted to radians) and the scale `s` in ppm. The inverse
//! applies the exact inverse of that (linearised) matrix to `(X' − t) / (1 + s)`: for
//! `M = I + Ω` with skew-symmetric `Ω` and axial vector `ω`, `M⁻¹ = (I − Ω + ω ωᵀ) / (1 + |ω|²)`.
//! (PROJ applies the transpose `I − Ω`, which is off by `|ω|² |X|`: 0.5 mm for the 1.9″ rotation of
//! Amersfoort → ETRS89; here a forward + inverse round trip is exact to rounding.)
//!
//! ```
//! use zwilling_crs::helmert::Helmert;
//! let h = Helmert::AMERSFOORT_TO_ETRS89_8;
//! let p = [3_904_000.0, 368_000.0, 5_013_000.0];
//! let q = h.inverse(h.forward(p));
//! assert!((q[0] - p[0]).abs() < 1e-8 && (q[1] - p[1]).abs() < 1e-8 && (q[2] - p[2]).abs() < 1e-8);
//! ```

/// Parameters of a coordinate-frame Helmert transformation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Helmert {
    /// EPSG code of the transformation.
    pub epsg: u32,
    /// EPSG name of the transformation.
    pub name: &'static str,
    /// Translations in metres.
    pub t: [f64; 3],
    /// Rotations in arc-seconds (coordinate frame convention).
    pub r_arcsec: [f64; 3],
    /// Scale difference in ppm.
    pub s_ppm: f64,
}

const ARCSEC: f64 = std::f64::consts::PI / (180.0 * 3600.0);

impl Helmert {
    /// "Amersfoort to ETRS89 (8)" (EPSG:9281), stated accuracy 0.25 m; the transformation PROJ 9.5
    /// chooses for EPSG:28992 → EPSG:4258 when the RDNAPTRANS™ grid is absent:
    /// `+proj=helmert +x=565.7381 +y=50.4018 +z=465.2904 +rx=0.395025981036064
    /// +ry=-0.330772431242031 +rz=1.87607329462821 +s=4.07244 +convention=coordinate_frame`.
    pub const AMERSFOORT_TO_ETRS89_8: Helmert = Helmert {
        epsg: 9281,
        name: "Amersfoort to ETRS89 (8)",
        t: [565.7381, 50.4018, 465.2904],
        r_arcsec: [0.395025981036064, -0.330772431242031, 1.87607329462821],
        s_ppm: 4.07244,
    };

    /// The TOWGS84 7-tuple `[tx, ty, tz, rx, ry, rz, s]` in WKT1 convention (position vector, so the
    /// rotations change sign).
    pub fn towgs84(&self) -> [f64; 7] {
        let [tx, ty, tz] = self.t;
        let [rx, ry, rz] = self.r_arcsec;
        [tx, ty, tz, -rx, -ry, -rz, self.s_ppm]
    }

    /// Source-datum geocentric XYZ → target-datum geocentric XYZ.
    #[inline]
    pub fn forward(&self, p: [f64; 3]) -> [f64; 3] {
        let [rx, ry, rz] = self.r_arcsec.map(|r| r * ARCSEC);
        let m = 1.0 + self.s_ppm * 1e-6;
        let [x, y, z] = p;
        [
            self.t[0] + m * (x + rz * y - ry * z),
            self.t[1] + m * (-rz * x + y + rx * z),
            self.t[2] + m * (ry * x - rx * y + z),
        ]
    }

    /// Target-datum geocentric XYZ → source-datum geocentric XYZ (exact inverse of [`Helmert::forward`]).
    #[inline]
    pub fn inverse(&self, q: [f64; 3]) -> [f64; 3] {
        let [rx, ry, rz] = self.r_arcsec.map(|r| r * ARCSEC);
        let m = 1.0 + self.s_ppm * 1e-6;
        let [x, y, z] = [(q[0] - self.t[0]) / m, (q[1] - self.t[1]) / m, (q[2] - self.t[2]) / m];
        let wv = rx * x + ry * y + rz * z;
        let d = 1.0 + rx * rx + ry * ry + rz * rz;
        [(x - rz * y + ry * z + rx * wv) / d, (rz * x + y - rx * z + ry * wv) / d, (-ry * x + rx * y + z + rz * wv) / d]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_note_example_9607() {
        // EPSG Guidance Note 7-2, §4.4.3.1 example (coordinate frame rotation, WGS 72 → WGS 84):
        // tz = +4.5 m, rz = −0.554″, s = +0.219 ppm; X = 3657660.66, Y = 255768.55, Z = 5201382.11
        // → X = 3657660.78, Y = 255778.43, Z = 5201387.75 m.
        let h = Helmert { epsg: 0, name: "test", t: [0.0, 0.0, 4.5], r_arcsec: [0.0, 0.0, -0.554], s_ppm: 0.219 };
        let q = h.forward([3_657_660.66, 255_768.55, 5_201_382.11]);
        assert!((q[0] - 3_657_660.78).abs() < 0.01, "{q:?}");
        assert!((q[1] - 255_778.43).abs() < 0.01, "{q:?}");
        assert!((q[2] - 5_201_387.75).abs() < 0.01, "{q:?}");
        let p = h.inverse(q);
        assert!((p[0] - 3_657_660.66).abs() < 1e-8 && (p[1] - 255_768.55).abs() < 1e-8, "{p:?}");
        assert!((p[2] - 5_201_382.11).abs() < 1e-8, "{p:?}");
    }
}
