//! Synthetic DEMs built from a height function, shared by the unit tests, the criterion benches
//! and the `rain_perf` example (not part of the stable API).

use zwilling_core::{GeoTransform, Grid};

/// A `w × h` DEM of `res`-metre cells, origin (0, h·res), with `z = f(col, row)`.
pub fn grid_res(w: usize, h: usize, res: f64, f: impl Fn(usize, usize) -> f32) -> Grid<f32> {
    let mut g = Grid::filled(w, h, GeoTransform::new(0.0, h as f64 * res, res), 0.0f32);
    for r in 0..h {
        for c in 0..w {
            g.data[r * w + c] = f(c, r);
        }
    }
    g
}

/// A `w × h` DEM of 1 m cells with `z = f(col, row)`.
pub fn grid(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Grid<f32> {
    grid_res(w, h, 1.0, f)
}

/// The benchmark DEM (1 m cells, deterministic): rolling terrain at two scales, a gentle tilt and
/// a hash-noise term that makes many small depressions. `benches/compare/rain_whitebox.py
/// make-dem` writes the same surface for the whitebox comparison.
pub fn rolling_dem(w: usize, h: usize) -> Grid<f32> {
    grid(w, h, |c, r| {
        let (x, y) = (c as f32, r as f32);
        let hash = ((c as u32).wrapping_mul(73856093) ^ (r as u32).wrapping_mul(19349663)) % 1000;
        0.002 * y
            + 0.001 * x
            + 2.0 * (x * 0.013).sin() * (y * 0.011).cos()
            + 0.5 * (x * 0.1).sin() * (y * 0.07).sin()
            + hash as f32 * 1e-4
    })
}
