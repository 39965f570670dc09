//! Terrain colours: hillshade of a DTM and colour maps for a draped raster (hazard classes, ramp).
//!
//! **Hillshade** (illumination of the surface normal, as in Horn 1981, "Hill shading and the
//! reflectance map", Proc. IEEE 69(1)): the gradient is Horn's 3 × 3 weighted difference
//! `∂z/∂x = ((c + 2f + i) − (a + 2d + g)) / (8 Δx)`, `∂z/∂y = ((a + 2b + c) − (g + 2h + i)) / (8 Δy)`
//! (rows `a b c` north of `d e f` north of `g h i`), the normal `n = (−∂z/∂x, −∂z/∂y, 1) / |…|` and
//! the shade `max(0, n · s)` with the sun `s = (sin A cos H, cos A cos H, sin H)` (azimuth `A`
//! clockwise from north, altitude `H`). A flat cell gives `sin H`; a slope facing the sun at
//! `90° − H` gives 1.
//!
//! **Hazard classes** 1–4 (depth classes of the NRW heavy-rain hazard maps, 0.10 / 0.30 / 0.50 /
//! 1.00 m) get the blue-to-purple colours of the report's legend; class 0 and NoData show the
//! shaded ground.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_tiles::palette::hillshade;
//! let flat = Grid::filled(4, 4, GeoTransform::new(0.0, 4.0, 1.0), 100.0f32);
//! let s = hillshade(&flat, 315.0, 45.0);
//! assert!((s[5] - 45f32.to_radians().sin()).abs() < 1e-6);
//! ```

use zwilling_core::Grid;

/// Colours of hazard classes 1–4 (class 0: none).
pub const HAZARD_COLOURS: [[u8; 3]; 4] = [[190, 230, 255], [100, 170, 240], [30, 90, 200], [90, 20, 140]];

/// Ground colour under the shade (light grey-beige).
pub const GROUND: [u8; 3] = [225, 220, 205];

/// Shade in 0..=1 per cell (row-major like the grid); NoData cells and their neighbours use the
/// centre value for missing neighbours, all-NoData cells get the flat value `sin H`.
pub fn hillshade(dtm: &Grid<f32>, azimuth_deg: f64, altitude_deg: f64) -> Vec<f32> {
    let (az, alt) = (azimuth_deg.to_radians(), altitude_deg.to_radians());
    let sun = [az.sin() * alt.cos(), az.cos() * alt.cos(), alt.sin()];
    let (w, h) = (dtm.width, dtm.height);
    let (dx, dy) = (dtm.transform.cell_x, dtm.transform.cell_y);
    let mut out = vec![sun[2] as f32; w * h];
    for r in 0..h {
        for c in 0..w {
            let e = dtm.data[dtm.idx(c, r)];
            if dtm.is_nodata(e) {
                continue;
            }
            let z = |dc: isize, dr: isize| -> f64 {
                let (cc, rr) = (c as isize + dc, r as isize + dr);
                if cc < 0 || rr < 0 || cc >= w as isize || rr >= h as isize {
                    return e as f64;
                }
                let v = dtm.data[dtm.idx(cc as usize, rr as usize)];
                if dtm.is_nodata(v) {
                    e as f64
                } else {
                    v as f64
                }
            };
            let (a, b, cc, d, f, g, hh, i) =
                (z(-1, -1), z(0, -1), z(1, -1), z(-1, 0), z(1, 0), z(-1, 1), z(0, 1), z(1, 1));
            let gx = ((cc + 2.0 * f + i) - (a + 2.0 * d + g)) / (8.0 * dx);
            let gy = ((a + 2.0 * b + cc) - (g + 2.0 * hh + i)) / (8.0 * dy);
            let n = [-gx, -gy, 1.0];
            let len = (n[0] * n[0] + n[1] * n[1] + 1.0).sqrt();
            out[r * w + c] = ((n[0] * sun[0] + n[1] * sun[1] + n[2] * sun[2]) / len).max(0.0) as f32;
        }
    }
    out
}

/// Colour of a hazard class value (rounded; 1–4), `None` for 0, NoData or out of range.
pub fn hazard_colour(class: f64) -> Option<[u8; 3]> {
    if !class.is_finite() {
        return None;
    }
    let k = class.round();
    (1.0..=4.0).contains(&k).then(|| HAZARD_COLOURS[k as usize - 1])
}

/// A perceptually ordered ramp (yellow → green → blue → purple) for `t` in 0..=1.
pub fn ramp_colour(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 5] =
        [[253.0, 231.0, 37.0], [94.0, 201.0, 98.0], [33.0, 145.0, 140.0], [59.0, 82.0, 139.0], [68.0, 1.0, 84.0]];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let mut c = [0u8; 3];
    for k in 0..3 {
        c[k] = (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8;
    }
    c
}

/// `rgb` darkened by a shade in 0..=1 (ambient 35 %, so shadows stay readable), opaque.
pub fn shaded(rgb: [u8; 3], shade: f32) -> [u8; 4] {
    let s = 0.35 + 0.65 * shade.clamp(0.0, 1.0);
    [(rgb[0] as f32 * s) as u8, (rgb[1] as f32 * s) as u8, (rgb[2] as f32 * s) as u8, 255]
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    fn plane(w: usize, h: usize, f: impl Fn(f64, f64) -> f64) -> Grid<f32> {
        let t = GeoTransform::new(0.0, h as f64, 1.0);
        let mut g = Grid::filled(w, h, t, 0.0f32);
        for r in 0..h {
            for c in 0..w {
                let (x, y) = t.cell_center(c, r);
                let i = g.idx(c, r);
                g.data[i] = f(x, y) as f32;
            }
        }
        g
    }

    #[test]
    fn slope_facing_the_sun_is_fully_lit() {
        // z rises 1 m per m towards the east (45°): it faces west; a sun in the west at 45° altitude
        // hits it perpendicularly (shade 1); a sun in the east at 45° grazes it (shade 0).
        let g = plane(5, 5, |x, _| x);
        assert!((hillshade(&g, 270.0, 45.0)[12] - 1.0).abs() < 1e-6);
        assert!(hillshade(&g, 90.0, 45.0)[12].abs() < 1e-6);
        // Rising towards the north: faces south; sun in the south at 45° → 1.
        let g = plane(5, 5, |_, y| y);
        assert!((hillshade(&g, 180.0, 45.0)[12] - 1.0).abs() < 1e-6);
        // Flat: sin(altitude) = 0.5 at 30°.
        let g = plane(5, 5, |_, _| 7.0);
        assert!((hillshade(&g, 315.0, 30.0)[12] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn hazard_classes_and_ramp() {
        assert_eq!(hazard_colour(0.0), None);
        assert_eq!(hazard_colour(f64::NAN), None);
        assert_eq!(hazard_colour(1.0), Some(HAZARD_COLOURS[0]));
        assert_eq!(hazard_colour(4.0), Some(HAZARD_COLOURS[3]));
        assert_eq!(hazard_colour(5.0), None);
        assert_eq!(ramp_colour(0.0), [253, 231, 37]);
        assert_eq!(ramp_colour(1.0), [68, 1, 84]);
        assert_eq!(shaded([200, 100, 0], 1.0), [200, 100, 0, 255]);
    }
}
