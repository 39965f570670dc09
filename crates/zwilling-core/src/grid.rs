//! A georeferenced, north-up raster grid with NoData.
//!
//! Convention (as GDAL's): the geotransform's origin is the **outer top-left corner** of the
//! top-left cell; cell `(col, row)` covers `[x0 + col·dx, x0 + (col+1)·dx) × (y0 − (row+1)·dy, y0 − row·dy]`
//! and its value stands for the **cell centre** `(x0 + (col+0.5)·dx, y0 − (row+0.5)·dy)`.
//! Rows run from north to south; data is row-major.

use crate::{Bounds2, CrsInfo, Error, Result};

/// North-up affine georeferencing: origin at the top-left corner, square or rectangular cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTransform {
    /// x of the top-left corner of the top-left cell.
    pub origin_x: f64,
    /// y of the top-left corner of the top-left cell.
    pub origin_y: f64,
    /// Cell width (x), > 0.
    pub cell_x: f64,
    /// Cell height (y), > 0; rows go south.
    pub cell_y: f64,
}

impl GeoTransform {
    /// Square cells of size `res` with the top-left corner at `(origin_x, origin_y)`.
    pub fn new(origin_x: f64, origin_y: f64, res: f64) -> Self {
        GeoTransform { origin_x, origin_y, cell_x: res, cell_y: res }
    }

    /// The six GDAL coefficients `[x0, dx, 0, y0, 0, -dy]`.
    pub fn to_gdal(&self) -> [f64; 6] {
        [self.origin_x, self.cell_x, 0.0, self.origin_y, 0.0, -self.cell_y]
    }

    /// Centre of cell `(col, row)`.
    pub fn cell_center(&self, col: usize, row: usize) -> (f64, f64) {
        (self.origin_x + (col as f64 + 0.5) * self.cell_x, self.origin_y - (row as f64 + 0.5) * self.cell_y)
    }

    /// Fractional cell coordinates of a world position (col, row), 0.0 at the top-left corner.
    pub fn world_to_frac(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.origin_x) / self.cell_x, (self.origin_y - y) / self.cell_y)
    }
}

/// A raster of `T` with georeferencing, CRS and optional NoData value.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid<T> {
    /// Number of columns.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
    /// Row-major cell values, `width * height` long.
    pub data: Vec<T>,
    /// Georeferencing.
    pub transform: GeoTransform,
    /// Coordinate reference system.
    pub crs: CrsInfo,
    /// Value that marks cells without data (for float grids usually NaN or -9999).
    pub nodata: Option<f64>,
}

impl<T: Clone> Grid<T> {
    /// A grid filled with `value`.
    pub fn filled(width: usize, height: usize, transform: GeoTransform, value: T) -> Self {
        Grid { width, height, data: vec![value; width * height], transform, crs: CrsInfo::default(), nodata: None }
    }

    /// A grid covering `bounds` at resolution `res`, snapped outward to multiples of `res`.
    pub fn covering(bounds: &Bounds2, res: f64, value: T) -> Result<Self> {
        if res.is_nan() || res <= 0.0 || bounds.is_empty() {
            return Err(Error::invalid(format!("cannot make a grid of resolution {res} over {bounds:?}")));
        }
        let x0 = (bounds.min_x / res).floor() * res;
        let y1 = (bounds.max_y / res).ceil() * res;
        let w = (((bounds.max_x - x0) / res).floor() as usize + 1).max(1);
        let h = (((y1 - bounds.min_y) / res).floor() as usize + 1).max(1);
        Ok(Grid::filled(w, h, GeoTransform::new(x0, y1, res), value))
    }

    /// A grid of the same shape and georeferencing with other values.
    pub fn with_data<U>(&self, data: Vec<U>) -> Grid<U> {
        assert_eq!(data.len(), self.width * self.height, "data length must match the grid");
        Grid {
            width: self.width,
            height: self.height,
            data,
            transform: self.transform,
            crs: self.crs.clone(),
            nodata: self.nodata,
        }
    }

    /// Maps every cell through `f` keeping shape and georeferencing.
    pub fn map<U>(&self, f: impl Fn(&T) -> U) -> Grid<U> {
        self.with_data(self.data.iter().map(f).collect())
    }
}

impl<T> Grid<T> {
    /// Row-major index of `(col, row)`.
    #[inline]
    pub fn idx(&self, col: usize, row: usize) -> usize {
        row * self.width + col
    }

    /// The value at `(col, row)`, or `None` outside the grid.
    #[inline]
    pub fn get(&self, col: usize, row: usize) -> Option<&T> {
        if col < self.width && row < self.height {
            self.data.get(row * self.width + col)
        } else {
            None
        }
    }

    /// Mutable value at `(col, row)`.
    #[inline]
    pub fn get_mut(&mut self, col: usize, row: usize) -> Option<&mut T> {
        if col < self.width && row < self.height {
            self.data.get_mut(row * self.width + col)
        } else {
            None
        }
    }

    /// The cell containing world position `(x, y)`, or `None` outside.
    pub fn cell_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (c, r) = self.transform.world_to_frac(x, y);
        if c >= 0.0 && r >= 0.0 && (c as usize) < self.width && (r as usize) < self.height {
            Some((c as usize, r as usize))
        } else {
            None
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.width * self.height
    }

    /// True for a 0 × 0 grid.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The outer bounds of the grid (cell edges).
    pub fn bounds(&self) -> Bounds2 {
        let t = &self.transform;
        Bounds2::new(
            t.origin_x,
            t.origin_y - self.height as f64 * t.cell_y,
            t.origin_x + self.width as f64 * t.cell_x,
            t.origin_y,
        )
    }
}

impl Grid<f32> {
    /// True when the cell holds NoData (NaN, or equal to the NoData value).
    #[inline]
    pub fn is_nodata(&self, v: f32) -> bool {
        v.is_nan() || self.nodata.is_some_and(|nd| v as f64 == nd)
    }

    /// Bilinear interpolation of cell-centre values at world `(x, y)`; `None` outside or where a
    /// neighbour is NoData.
    pub fn sample_bilinear(&self, x: f64, y: f64) -> Option<f64> {
        let (fc, fr) = self.transform.world_to_frac(x, y);
        let (fc, fr) = (fc - 0.5, fr - 0.5);
        if fc < 0.0 || fr < 0.0 {
            return None;
        }
        let (c0, r0) = (fc.floor() as usize, fr.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(self.width.checked_sub(1)?), (r0 + 1).min(self.height.checked_sub(1)?));
        if c0 >= self.width || r0 >= self.height {
            return None;
        }
        let (tx, ty) = (fc - c0 as f64, fr - r0 as f64);
        let v = |c, r| -> Option<f64> {
            let v = self.data[self.idx(c, r)];
            (!self.is_nodata(v)).then_some(v as f64)
        };
        let top = v(c0, r0)? * (1.0 - tx) + v(c1, r0)? * tx;
        let bot = v(c0, r1)? * (1.0 - tx) + v(c1, r1)? * tx;
        Some(top * (1.0 - ty) + bot * ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_centre_convention() {
        let g = Grid::filled(4, 3, GeoTransform::new(100.0, 200.0, 0.5), 0.0f32);
        assert_eq!(g.transform.cell_center(0, 0), (100.25, 199.75));
        assert_eq!(g.cell_of(100.25, 199.75), Some((0, 0)));
        assert_eq!(g.cell_of(101.99, 198.51), Some((3, 2)));
        assert_eq!(g.cell_of(102.0, 199.0), None);
        assert_eq!(g.bounds(), Bounds2::new(100.0, 198.5, 102.0, 200.0));
        assert_eq!(g.transform.to_gdal(), [100.0, 0.5, 0.0, 200.0, 0.0, -0.5]);
    }

    #[test]
    fn covering_snaps_outward() {
        let g = Grid::covering(&Bounds2::new(0.3, 0.3, 2.2, 1.1), 1.0, 0u8).unwrap();
        assert_eq!((g.width, g.height), (3, 2));
        assert_eq!(g.transform.origin_x, 0.0);
        assert_eq!(g.transform.origin_y, 2.0);
        assert!(Grid::covering(&Bounds2::EMPTY, 1.0, 0u8).is_err());
    }

    #[test]
    fn bilinear_reproduces_a_plane() {
        let mut g = Grid::filled(5, 5, GeoTransform::new(0.0, 5.0, 1.0), 0.0f32);
        for r in 0..5 {
            for c in 0..5 {
                let (x, y) = g.transform.cell_center(c, r);
                let i = g.idx(c, r);
                g.data[i] = (2.0 * x + 3.0 * y) as f32;
            }
        }
        let v = g.sample_bilinear(2.2, 1.7).unwrap();
        assert!((v - (2.0 * 2.2 + 3.0 * 1.7)).abs() < 1e-5);
        assert!(g.sample_bilinear(-1.0, 1.0).is_none());
    }
}
