//! The eight neighbours of a raster cell, their distances and the ESRI D8 direction codes.
//!
//! Direction index `k` runs counter-clockwise from east: 0 E, 1 NE, 2 N, 3 NW, 4 W, 5 SW, 6 S, 7 SE.
//! Rows grow southwards, so north is `drow = -1`. [`ESRI_CODE`] maps `k` to the codes ArcGIS,
//! WhiteboxTools (`esri_pntr`) and GDAL users expect: E 1, SE 2, S 4, SW 8, W 16, NW 32, N 64, NE 128.

/// Column offsets of the eight neighbours.
pub const DCOL: [isize; 8] = [1, 1, 0, -1, -1, -1, 0, 1];
/// Row offsets of the eight neighbours (rows grow southwards).
pub const DROW: [isize; 8] = [0, -1, -1, -1, 0, 1, 1, 1];
/// ESRI D8 code of each direction index.
pub const ESRI_CODE: [u8; 8] = [1, 128, 64, 32, 16, 8, 4, 2];
/// Marker for "no direction": NoData, or an outlet that drains off the grid.
pub const NO_DIRECTION: u8 = 255;

/// Distance factor of direction `k` in cell units (1 or √2).
#[inline]
pub fn distance(k: usize) -> f64 {
    if k.is_multiple_of(2) {
        1.0
    } else {
        std::f64::consts::SQRT_2
    }
}

/// Index of the opposite direction.
#[inline]
pub fn opposite(k: usize) -> usize {
    (k + 4) % 8
}

/// The neighbour of `(col, row)` in direction `k`, or `None` outside a `width × height` grid.
#[inline]
pub fn neighbour(col: usize, row: usize, k: usize, width: usize, height: usize) -> Option<(usize, usize)> {
    let c = col as isize + DCOL[k];
    let r = row as isize + DROW[k];
    (c >= 0 && r >= 0 && (c as usize) < width && (r as usize) < height).then_some((c as usize, r as usize))
}

/// The eight neighbours of a cell by its row-major index in a `width × height` grid: interior
/// cells add precomputed index offsets, cells on the grid's rim go through [`neighbour`] with
/// bounds checks (the hot loop of the Priority-Flood fills).
#[derive(Clone, Copy, Debug)]
pub struct NeighbourIndex {
    offsets: [isize; 8],
    width: usize,
    height: usize,
}

impl NeighbourIndex {
    /// Neighbour lookup for a `width × height` grid.
    pub fn new(width: usize, height: usize) -> Self {
        NeighbourIndex { offsets: std::array::from_fn(|k| DROW[k] * width as isize + DCOL[k]), width, height }
    }

    /// Indices of the in-grid neighbours of cell `i` in direction order `k = 0..8`; `rim` must be
    /// `true` when `i` is on the first or last row or column (only then are bounds checked).
    #[inline(always)]
    pub fn of(&self, i: usize, rim: bool) -> impl Iterator<Item = usize> + '_ {
        let (r, c) = if rim { (i / self.width, i % self.width) } else { (0, 0) };
        (0..8).filter_map(move |k| {
            if !rim {
                return Some((i as isize + self.offsets[k]) as usize);
            }
            neighbour(c, r, k, self.width, self.height).map(|(cc, rr)| rr * self.width + cc)
        })
    }
}

/// NoData mask of a DEM: `true` where the cell holds NoData (NaN or the grid's NoData value).
pub fn nodata_mask(dem: &zwilling_core::Grid<f32>) -> Vec<bool> {
    dem.data.iter().map(|&v| dem.is_nodata(v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_are_consistent() {
        for k in 0..8 {
            let o = opposite(k);
            assert_eq!(DCOL[k], -DCOL[o]);
            assert_eq!(DROW[k], -DROW[o]);
        }
        // ESRI: east 1, south 4, north 64.
        assert_eq!(ESRI_CODE[0], 1);
        assert_eq!(ESRI_CODE[6], 4);
        assert_eq!(ESRI_CODE[2], 64);
        assert_eq!(neighbour(0, 0, 2, 3, 3), None);
        assert_eq!(neighbour(1, 1, 7, 3, 3), Some((2, 2)));
    }

    #[test]
    fn neighbour_index_matches_neighbour() {
        // Every cell of a 4 × 3 grid: the same neighbours, in the same order, as `neighbour`.
        let (w, h) = (4, 3);
        let nb = NeighbourIndex::new(w, h);
        for r in 0..h {
            for c in 0..w {
                let want: Vec<usize> =
                    (0..8).filter_map(|k| neighbour(c, r, k, w, h)).map(|(cc, rr)| rr * w + cc).collect();
                assert_eq!(nb.of(r * w + c, true).collect::<Vec<_>>(), want, "rim path at {c},{r}");
                if r > 0 && c > 0 && r + 1 < h && c + 1 < w {
                    assert_eq!(nb.of(r * w + c, false).collect::<Vec<_>>(), want, "interior path at {c},{r}");
                }
            }
        }
        assert_eq!(nb.of(0, true).count(), 3);
        assert_eq!(nb.of(5, true).count(), 8);
    }
}
