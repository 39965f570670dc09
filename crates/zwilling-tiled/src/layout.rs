//! The tile layout: a grid of `width × height` cells cut into rectangles of at most
//! `tile_width × tile_height` cells (the last row and column of tiles may be smaller), numbered
//! row-major from the north-west. Tiles do not overlap; per-tile steps read their tile plus a halo
//! of one cell ([`TileLayout::window`]).
//!
//! ```
//! use zwilling_tiled::TileLayout;
//! let l = TileLayout::new(10, 7, 4, 4).unwrap();
//! assert_eq!(l.count(), 3 * 2);
//! let t = l.tile(5); // last tile: columns 8..10, rows 4..7
//! assert_eq!((t.col0, t.row0, t.cols, t.rows), (8, 4, 2, 3));
//! ```

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};

/// A rectangle of cells in global grid coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileRect {
    /// First column.
    pub col0: usize,
    /// First row.
    pub row0: usize,
    /// Number of columns.
    pub cols: usize,
    /// Number of rows.
    pub rows: usize,
}

impl TileRect {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cols * self.rows
    }

    /// True for an empty rectangle.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when global cell `(col, row)` lies inside.
    #[inline]
    pub fn contains(&self, col: isize, row: isize) -> bool {
        col >= self.col0 as isize
            && row >= self.row0 as isize
            && col < (self.col0 + self.cols) as isize
            && row < (self.row0 + self.rows) as isize
    }

    /// Local index of global cell `(col, row)` (which must lie inside).
    #[inline]
    pub fn local(&self, col: usize, row: usize) -> usize {
        (row - self.row0) * self.cols + (col - self.col0)
    }

    /// Copies this rectangle out of a row-major grid of width `width`.
    pub fn extract<T: Copy>(&self, data: &[T], width: usize) -> Vec<T> {
        let mut v = Vec::with_capacity(self.len());
        for r in self.row0..self.row0 + self.rows {
            v.extend_from_slice(&data[r * width + self.col0..r * width + self.col0 + self.cols]);
        }
        v
    }

    /// Writes `values` (this rectangle, row-major) into a row-major grid of width `width`.
    pub fn insert<T: Copy>(&self, values: &[T], data: &mut [T], width: usize) {
        for (k, r) in (self.row0..self.row0 + self.rows).enumerate() {
            data[r * width + self.col0..r * width + self.col0 + self.cols]
                .copy_from_slice(&values[k * self.cols..(k + 1) * self.cols]);
        }
    }
}

/// How a `width × height` grid is cut into tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileLayout {
    /// Grid width (cells).
    pub width: usize,
    /// Grid height (cells).
    pub height: usize,
    /// Tile width (cells), the last column of tiles may be narrower.
    pub tile_width: usize,
    /// Tile height (cells), the last row of tiles may be lower.
    pub tile_height: usize,
}

impl TileLayout {
    /// A layout; errors on empty grids or tiles, and on grids of 2³² cells or more (global cell
    /// indices are stored as `u64`, but the single-machine reference is limited to 2³²).
    pub fn new(width: usize, height: usize, tile_width: usize, tile_height: usize) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::invalid(format!("cannot tile an empty grid of {width} × {height} cells")));
        }
        if tile_width == 0 || tile_height == 0 {
            return Err(Error::invalid(format!("tile size {tile_width} × {tile_height} must be at least 1 × 1")));
        }
        Ok(TileLayout { width, height, tile_width, tile_height })
    }

    /// An error unless the layout is for a grid of `width × height` cells.
    pub fn check_size(&self, width: usize, height: usize) -> Result<()> {
        if (self.width, self.height) != (width, height) {
            return Err(Error::invalid(format!(
                "tile layout is for {} × {} cells, the grid has {width} × {height}",
                self.width, self.height
            )));
        }
        Ok(())
    }

    /// Tiles per row.
    pub fn tiles_x(&self) -> usize {
        self.width.div_ceil(self.tile_width)
    }

    /// Tiles per column.
    pub fn tiles_y(&self) -> usize {
        self.height.div_ceil(self.tile_height)
    }

    /// Number of tiles.
    pub fn count(&self) -> usize {
        self.tiles_x() * self.tiles_y()
    }

    /// The cells of tile `id` (row-major tile number).
    pub fn tile(&self, id: usize) -> TileRect {
        let (tx, ty) = (id % self.tiles_x(), id / self.tiles_x());
        let (col0, row0) = (tx * self.tile_width, ty * self.tile_height);
        TileRect {
            col0,
            row0,
            cols: self.tile_width.min(self.width - col0),
            rows: self.tile_height.min(self.height - row0),
        }
    }

    /// Tile `id` grown by `halo` cells on every side, clipped to the grid.
    pub fn window(&self, id: usize, halo: usize) -> TileRect {
        let t = self.tile(id);
        let col0 = t.col0.saturating_sub(halo);
        let row0 = t.row0.saturating_sub(halo);
        let col1 = (t.col0 + t.cols + halo).min(self.width);
        let row1 = (t.row0 + t.rows + halo).min(self.height);
        TileRect { col0, row0, cols: col1 - col0, rows: row1 - row0 }
    }

    /// The tile holding global cell `(col, row)`.
    pub fn tile_of(&self, col: usize, row: usize) -> usize {
        (row / self.tile_height) * self.tiles_x() + col / self.tile_width
    }

    /// True when `(col, row)` is on the border of its tile (a cell whose 8-neighbourhood reaches
    /// into another tile or off the grid).
    #[inline]
    pub fn on_tile_border(&self, t: &TileRect, col: usize, row: usize) -> bool {
        col == t.col0 || row == t.row0 || col + 1 == t.col0 + t.cols || row + 1 == t.row0 + t.rows
    }

    /// Global cells of tile `id`'s border, in row-major order.
    pub fn border_cells(&self, id: usize) -> Vec<(usize, usize)> {
        let t = self.tile(id);
        let mut v = vec![];
        for r in t.row0..t.row0 + t.rows {
            for c in t.col0..t.col0 + t.cols {
                if self.on_tile_border(&t, c, r) {
                    v.push((c, r));
                }
            }
        }
        v
    }
}

/// True when `v` is NoData under the grid's NoData value (same rule as `Grid::is_nodata`).
#[inline]
pub fn is_nodata(v: f32, nodata: Option<f64>) -> bool {
    v.is_nan() || nodata.is_some_and(|nd| v as f64 == nd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_grid_once() {
        for (w, h, tw, th) in [(10, 7, 4, 4), (5, 5, 5, 5), (13, 1, 3, 2), (1, 9, 2, 2)] {
            let l = TileLayout::new(w, h, tw, th).unwrap();
            let mut hits = vec![0u8; w * h];
            for id in 0..l.count() {
                let t = l.tile(id);
                for r in t.row0..t.row0 + t.rows {
                    for c in t.col0..t.col0 + t.cols {
                        hits[r * w + c] += 1;
                        assert_eq!(l.tile_of(c, r), id);
                    }
                }
            }
            assert!(hits.iter().all(|&h| h == 1), "{w}×{h} by {tw}×{th}");
        }
        assert!(TileLayout::new(0, 3, 1, 1).is_err());
        assert!(TileLayout::new(3, 3, 0, 1).is_err());
    }

    #[test]
    fn extract_and_insert_round_trip() {
        let l = TileLayout::new(7, 5, 3, 2).unwrap();
        let data: Vec<u32> = (0..35).collect();
        let w = l.window(4, 1);
        assert_eq!((w.col0, w.row0, w.cols, w.rows), (2, 1, 5, 4));
        let v = w.extract(&data, 7);
        assert_eq!(v[0], 9);
        let mut back = vec![0u32; 35];
        w.insert(&v, &mut back, 7);
        assert_eq!(back[9], 9);
        assert_eq!(back[4 * 7 + 6], 34);
    }
}
