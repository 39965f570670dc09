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
}
