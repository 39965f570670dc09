//! Cracks in a georeferenced ortho raster: the second crack source beside pavement photos.
//!
//! The LiDAR intensity ortho (`zwilling grid --product intensity`) and the RGB ortho show cracks as
//! dark lines, like pavement photos do, only at the ortho's coarser cell size. This runs the same
//! training-free detector on such a raster and returns map-coordinate crack line strings:
//!
//! 1. **Grey image** ([`ortho_to_gray`]): the valid cells are stretched linearly between their
//!    1st and 99th percentile to 0–255 (a robust contrast stretch that works for any intensity
//!    range, 8- or 16-bit); NoData cells are marked invalid, so the detector ignores them.
//! 2. **Detection and widths**: [`crate::detect::crack_mask`], widened to full width by
//!    [`crate::detect::crack_extent`], vectorised by [`crate::polyline::crack_polylines`] — the steps
//!    and parameters photos use ([`crate::georef::georeferenced_cracks`]).
//! 3. **Georeferencing** by the raster's affine transform (cell-corner origin, rows going south):
//!    a polyline vertex at pixel coordinates `(u, v)` (cell centres at `+0.5`) lies at
//!    `x = x₀ + u·Δx`, `y = y₀ − v·Δy`; widths and lengths scale by the cell size. Heights are not
//!    known from an ortho, so the line strings are 2D (`z` = NaN).
//!
//! A crack narrower than about one cell does not show in an ortho; at the usual 2–5 cm ortho cells
//! this source finds wide cracks and joints, the photos the fine ones.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_cracks::ortho_source::ortho_cracks;
//! use zwilling_cracks::CrackParams;
//! // A 2 cm intensity ortho: asphalt at 120 ± 4 with a dark 6 cm wide crack along row 80.
//! let (w, h) = (240, 160);
//! let data = (0..w * h)
//!     .map(|i| if (79..82).contains(&(i / w)) && (30..210).contains(&(i % w)) { 40.0 } else { 120.0 + ((i * 7919) % 9) as f32 - 4.0 })
//!     .collect();
//! let ortho = Grid { data, ..Grid::filled(w, h, GeoTransform::new(1000.0, 2000.0, 0.02), 0.0f32) };
//! let cracks = ortho_cracks(&ortho, &CrackParams::default());
//! let longest = cracks.iter().map(|c| c.length_m).fold(0.0, f64::max);
//! assert!((longest - 3.6).abs() < 0.3, "{longest}");
//! ```

use image::GrayImage;
use zwilling_core::Grid;

use crate::detect::{crack_extent, crack_mask, CrackParams};
use crate::georef::{LineString3, EXTENT_REACH_PX, POLYLINE_MIN_LENGTH_PX, POLYLINE_TOLERANCE_PX};
use crate::polyline::crack_polylines;

/// The ortho as a grey image (1st–99th percentile of the valid cells stretched to 0–255) and the
/// mask of valid cells (`false` = NoData or NaN).
pub fn ortho_to_gray(ortho: &Grid<f32>) -> (GrayImage, Vec<bool>) {
    let valid: Vec<bool> = ortho.data.iter().map(|&v| v.is_finite() && !ortho.is_nodata(v)).collect();
    let mut values: Vec<f32> = ortho.data.iter().zip(&valid).filter(|(_, &ok)| ok).map(|(&v, _)| v).collect();
    let (lo, hi) = if values.is_empty() {
        (0.0, 1.0)
    } else {
        let n = values.len();
        let lo = *values.select_nth_unstable_by(n / 100, f32::total_cmp).1;
        let hi = *values.select_nth_unstable_by((n - 1) - n / 100, f32::total_cmp).1;
        (lo, if hi > lo { hi } else { lo + 1.0 })
    };
    let scale = 255.0 / (hi - lo);
    let data = ortho
        .data
        .iter()
        .zip(&valid)
        .map(|(&v, &ok)| if ok { ((v - lo) * scale).round().clamp(0.0, 255.0) as u8 } else { 0 })
        .collect();
    let img = GrayImage::from_raw(ortho.width as u32, ortho.height as u32, data).expect("width × height bytes");
    (img, valid)
}

/// The cracks of an ortho raster as 2D map line strings (`z` = NaN) with length and mean width in
/// metres, in the raster's CRS.
pub fn ortho_cracks(ortho: &Grid<f32>, params: &CrackParams) -> Vec<LineString3> {
    let (w, h) = (ortho.width, ortho.height);
    if w == 0 || h == 0 {
        return vec![];
    }
    let (img, valid) = ortho_to_gray(ortho);
    let all_valid = valid.iter().all(|&v| v);
    let valid = (!all_valid).then_some(valid.as_slice());
    let mask = crack_mask(&img, valid, params);
    let extent = crack_extent(&img, valid, params, &mask, EXTENT_REACH_PX);
    let t = &ortho.transform;
    let cell = (t.cell_x * t.cell_y).sqrt();
    crack_polylines(&extent, w, h, POLYLINE_TOLERANCE_PX, POLYLINE_MIN_LENGTH_PX)
        .into_iter()
        .map(|l| LineString3 {
            points: l
                .points
                .iter()
                .map(|&[u, v]| [t.origin_x + u * t.cell_x, t.origin_y - v * t.cell_y, f64::NAN])
                .collect(),
            length_m: l.length * cell,
            width_m: l.mean_width * cell,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    /// Asphalt at 120 ± 4 (a fixed pseudo-random texture) with dark lines drawn by `crack`.
    fn ortho(w: usize, h: usize, res: f64, crack: impl Fn(usize, usize) -> bool) -> Grid<f32> {
        let data = (0..w * h)
            .map(|i| if crack(i % w, i / w) { 40.0 } else { 120.0 + ((i * 7919) % 9) as f32 - 4.0 })
            .collect();
        Grid { data, ..Grid::filled(w, h, GeoTransform::new(1000.0, 2000.0, res), 0.0f32) }
    }

    #[test]
    fn a_dark_line_is_found_where_the_raster_puts_it() {
        // Rows 79–81 (3 cells = 6 cm) from column 30 to 209: centre line at y = 2000 − 80.5·0.02,
        // from x = 1000.6 to 1004.2, 3.6 m long.
        let g = ortho(240, 160, 0.02, |c, r| (79..82).contains(&r) && (30..210).contains(&c));
        let mut cracks = ortho_cracks(&g, &CrackParams::default());
        cracks.sort_by(|a, b| b.length_m.total_cmp(&a.length_m));
        let main = &cracks[0];
        assert!((main.length_m - 3.6).abs() < 0.3, "length {} m", main.length_m);
        assert!((main.width_m - 0.06).abs() < 0.02, "width {} m", main.width_m);
        for p in &main.points {
            assert!((p[1] - (2000.0 - 80.5 * 0.02)).abs() < 0.02, "vertex {p:?} off the crack's centre line");
            assert!(p[0] > 1000.5 && p[0] < 1004.3, "vertex {p:?} beyond the crack's ends");
            assert!(p[2].is_nan());
        }
        // Spurs at the crack's tips from the asphalt texture: short, and all near the crack.
        let rest: f64 = cracks[1..].iter().map(|c| c.length_m).sum();
        assert!(rest < 0.1 * main.length_m, "{rest} m of other lines");
    }

    #[test]
    fn plain_asphalt_and_nodata_give_no_cracks() {
        let mut g = ortho(200, 120, 0.02, |_, _| false);
        assert!(ortho_cracks(&g, &CrackParams::default()).is_empty());
        // A NoData band (e.g. outside the survey corridor) is not an edge to detect.
        g.nodata = Some(-9999.0);
        for r in 0..120 {
            for c in 0..60 {
                g.data[r * 200 + c] = -9999.0;
            }
        }
        assert!(ortho_cracks(&g, &CrackParams::default()).is_empty());
        let (img, valid) = ortho_to_gray(&g);
        assert!(!valid[0] && valid[199]);
        assert_eq!(img.get_pixel(0, 0).0[0], 0);
    }

    #[test]
    fn the_stretch_is_independent_of_the_intensity_range() {
        // 16-bit intensities (×200) give the same grey image as 8-bit ones.
        let g8 = ortho(100, 80, 0.02, |c, r| r == 40 && c > 10);
        let g16 = Grid { data: g8.data.iter().map(|v| v * 200.0).collect(), ..g8.clone() };
        assert_eq!(ortho_to_gray(&g8).0, ortho_to_gray(&g16).0);
    }
}
