//! Test support: synthetic DEMs built from a height function (shared by the unit tests).

use zwilling_core::{GeoTransform, Grid};

/// A `w × h` DEM of `res`-metre cells, origin (0, h·res), with `z = f(col, row)`.
pub(crate) fn grid_res(w: usize, h: usize, res: f64, f: impl Fn(usize, usize) -> f32) -> Grid<f32> {
    let mut g = Grid::filled(w, h, GeoTransform::new(0.0, h as f64 * res, res), 0.0f32);
    for r in 0..h {
        for c in 0..w {
            g.data[r * w + c] = f(c, r);
        }
    }
    g
}

/// A `w × h` DEM of 1 m cells with `z = f(col, row)`.
pub(crate) fn grid(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Grid<f32> {
    grid_res(w, h, 1.0, f)
}
