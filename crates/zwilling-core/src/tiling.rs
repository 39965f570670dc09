//! Splitting an area into square tiles with an overlap buffer, for parallel and bounded-memory work.
//!
//! Each [`Tile`] has a *core* (the area it owns: every location belongs to exactly one core) and a
//! *buffered* area (core plus overlap) whose data it may read so that results near the core's
//! border are as good as inside. Tile order is row-major from the south-west, and deterministic.

use crate::{Bounds2, Error, Result};

/// One tile of a [`TilePlan`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tile {
    /// Column index (west to east).
    pub col: usize,
    /// Row index (south to north).
    pub row: usize,
    /// The area this tile owns (half-open: `[min, max)` in x and y).
    pub core: Bounds2,
    /// Core plus the overlap buffer.
    pub buffered: Bounds2,
}

impl Tile {
    /// True when `(x, y)` lies in this tile's core (half-open, so each point has one owner).
    pub fn owns(&self, x: f64, y: f64) -> bool {
        x >= self.core.min_x && x < self.core.max_x && y >= self.core.min_y && y < self.core.max_y
    }

    /// A stable identifier such as `r0003_c0012`.
    pub fn id(&self) -> String {
        format!("r{:04}_c{:04}", self.row, self.col)
    }
}

/// A regular grid of tiles covering an extent, aligned to multiples of the tile size.
#[derive(Debug, Clone, PartialEq)]
pub struct TilePlan {
    /// Tile edge length.
    pub size: f64,
    /// Overlap buffer on every side.
    pub overlap: f64,
    /// Tiles in row-major order (south to north, west to east).
    pub tiles: Vec<Tile>,
    /// Number of tile columns.
    pub cols: usize,
    /// Number of tile rows.
    pub rows: usize,
}

impl TilePlan {
    /// Tiles of edge `size` (aligned to multiples of `size`) over `extent`, each buffered by `overlap`.
    pub fn new(extent: &Bounds2, size: f64, overlap: f64) -> Result<Self> {
        if size.is_nan() || size <= 0.0 || overlap.is_nan() || overlap < 0.0 {
            return Err(Error::invalid(format!("tile size must be > 0 and overlap ≥ 0 (got {size}, {overlap})")));
        }
        if extent.is_empty() {
            return Ok(TilePlan { size, overlap, tiles: vec![], cols: 0, rows: 0 });
        }
        let x0 = (extent.min_x / size).floor() * size;
        let y0 = (extent.min_y / size).floor() * size;
        let cols = ((extent.max_x - x0) / size).floor() as usize + 1;
        let rows = ((extent.max_y - y0) / size).floor() as usize + 1;
        let mut tiles = Vec::with_capacity(cols * rows);
        for row in 0..rows {
            for col in 0..cols {
                let core = Bounds2::new(
                    x0 + col as f64 * size,
                    y0 + row as f64 * size,
                    x0 + (col + 1) as f64 * size,
                    y0 + (row + 1) as f64 * size,
                );
                tiles.push(Tile { col, row, core, buffered: core.buffer(overlap) });
            }
        }
        Ok(TilePlan { size, overlap, tiles, cols, rows })
    }

    /// Index of the tile whose core owns `(x, y)`, if any.
    pub fn tile_of(&self, x: f64, y: f64) -> Option<usize> {
        let first = self.tiles.first()?;
        let c = ((x - first.core.min_x) / self.size).floor();
        let r = ((y - first.core.min_y) / self.size).floor();
        if c < 0.0 || r < 0.0 || c as usize >= self.cols || r as usize >= self.rows {
            return None;
        }
        Some(r as usize * self.cols + c as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_has_one_owner() {
        let plan = TilePlan::new(&Bounds2::new(5.0, 5.0, 250.0, 120.0), 100.0, 10.0).unwrap();
        assert_eq!((plan.cols, plan.rows), (3, 2));
        for &(x, y) in &[(5.0, 5.0), (100.0, 100.0), (99.999, 50.0), (250.0, 120.0)] {
            let owners: Vec<_> = plan.tiles.iter().filter(|t| t.owns(x, y)).collect();
            assert_eq!(owners.len(), 1, "({x},{y})");
            assert_eq!(plan.tile_of(x, y).map(|i| plan.tiles[i].id()), Some(owners[0].id()));
        }
        assert_eq!(plan.tiles[0].buffered, Bounds2::new(-10.0, -10.0, 110.0, 110.0));
        assert!(TilePlan::new(&Bounds2::new(0.0, 0.0, 1.0, 1.0), 0.0, 0.0).is_err());
    }
}
