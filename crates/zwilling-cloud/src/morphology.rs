//! Grey-scale morphology on raster surfaces: erosion, dilation and the progressive opening of SMRF.
//!
//! Erosion replaces every cell by the minimum over a structuring element, dilation by the maximum;
//! an opening (erosion, then dilation with the same element) removes bumps narrower than the
//! element and keeps the rest of the surface (Serra 1982; used for ground filtering by Zhang et al.
//! 2003, "A progressive morphological filter for removing nonground measurements from airborne
//! LIDAR data", IEEE TGRS 41(4)).
//!
//! The structuring element of radius `r` cells is built by `r` elementary steps that alternate a
//! 3 × 3 square (odd steps) and a 4-neighbour diamond (even steps): an **octagon**, the usual
//! discrete approximation of a disk (PDAL's `filters.smrf` uses pure diamonds). Because erosion by
//! a chain of elements is the chain of erosions, an opening of radius `r` costs `2r` cheap passes,
//! and the progressive filter reuses the erosion of radius `r − 1`.
//!
//! Cells outside the grid are ignored (the element is clipped at the border). NaN cells must be
//! filled first (see [`crate::inpaint`]).
//!
//! ```
//! use zwilling_cloud::morphology::opening;
//! // A one-cell spike on a flat plane disappears under an opening of radius 1.
//! let mut z = vec![0.0; 25];
//! z[12] = 5.0;
//! let opened = opening(&z, 5, 5, 1);
//! assert!(opened.iter().all(|&v| v == 0.0));
//! ```

use rayon::prelude::*;

/// Grids at least this large are processed row-parallel.
const PARALLEL_CELLS: usize = 1 << 16;

/// One elementary min (`erode = true`) or max filter step: step `k` (1-based) uses a 3 × 3 square
/// when odd and a 4-neighbour diamond when even.
fn step(src: &[f64], width: usize, height: usize, k: usize, erode: bool) -> Vec<f64> {
    let square = k % 2 == 1;
    let pick = |a: f64, b: f64| if erode { a.min(b) } else { a.max(b) };
    let row_fn = |row: usize, out: &mut [f64]| {
        let r0 = row.saturating_sub(1);
        let r1 = (row + 1).min(height - 1);
        for (col, o) in out.iter_mut().enumerate() {
            let c0 = col.saturating_sub(1);
            let c1 = (col + 1).min(width - 1);
            let mut v = src[row * width + col];
            if square {
                for r in r0..=r1 {
                    for c in c0..=c1 {
                        v = pick(v, src[r * width + c]);
                    }
                }
            } else {
                v = pick(v, src[r0 * width + col]);
                v = pick(v, src[r1 * width + col]);
                v = pick(v, src[row * width + c0]);
                v = pick(v, src[row * width + c1]);
            }
            *o = v;
        }
    };
    let mut out = vec![0.0; src.len()];
    if src.len() >= PARALLEL_CELLS {
        out.par_chunks_mut(width).enumerate().for_each(|(row, o)| row_fn(row, o));
    } else {
        out.chunks_mut(width).enumerate().for_each(|(row, o)| row_fn(row, o));
    }
    out
}

/// Erosion (minimum filter) by the octagon of radius `radius` cells.
pub fn erosion(z: &[f64], width: usize, height: usize, radius: usize) -> Vec<f64> {
    (1..=radius).fold(z.to_vec(), |acc, k| step(&acc, width, height, k, true))
}

/// Dilation (maximum filter) by the octagon of radius `radius` cells.
pub fn dilation(z: &[f64], width: usize, height: usize, radius: usize) -> Vec<f64> {
    (1..=radius).fold(z.to_vec(), |acc, k| step(&acc, width, height, k, false))
}

/// Opening (erosion then dilation) by the octagon of radius `radius` cells.
pub fn opening(z: &[f64], width: usize, height: usize, radius: usize) -> Vec<f64> {
    dilation(&erosion(z, width, height, radius), width, height, radius)
}

/// The progressive morphological filter of SMRF (Pingel et al. 2013, eq. 1–2).
///
/// For window radii `r = 1, 2, …, max_radius` cells the surface is opened with radius `r`; a cell
/// is flagged as object when the previous surface rises above the new opening by more than
/// `slope · r · cell` (the height a slope of `slope` gains over the window radius). The next step
/// opens the already opened surface (progressive). Returns `true` for object cells.
pub fn progressive_filter(
    z: &[f64],
    width: usize,
    height: usize,
    cell: f64,
    slope: f64,
    max_radius: usize,
) -> Vec<bool> {
    let mut object = vec![false; z.len()];
    let mut previous = z.to_vec();
    let mut eroded = z.to_vec();
    for r in 1..=max_radius {
        eroded = step(&eroded, width, height, r, true);
        let opened = dilation(&eroded, width, height, r);
        let threshold = slope * r as f64 * cell;
        for ((o, &p), &q) in object.iter_mut().zip(&previous).zip(&opened) {
            if p - q > threshold {
                *o = true;
            }
        }
        previous = opened;
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_removes_narrow_blocks_and_keeps_wide_ones() {
        let (w, h) = (30, 30);
        let mut z = vec![0.0; w * h];
        // 3 × 3 block (removed by radius 2) and a 11 × 11 block (kept by radius 2).
        for r in 2..5 {
            for c in 2..5 {
                z[r * w + c] = 4.0;
            }
        }
        for r in 12..23 {
            for c in 12..23 {
                z[r * w + c] = 7.0;
            }
        }
        let o = opening(&z, w, h, 2);
        assert_eq!(o[3 * w + 3], 0.0);
        assert_eq!(o[17 * w + 17], 7.0);
        assert_eq!(o[12 * w + 17], 7.0, "the middle of an edge is kept");
        assert_eq!(o[12 * w + 12], 0.0, "an octagon does not reach into a square corner");
    }

    #[test]
    fn octagon_radius_two_matches_its_definition() {
        // Dilating a single spike by radius 2 = square then diamond: the 5 × 5 square minus its corners.
        let (w, h) = (7, 7);
        let mut z = vec![0.0; w * h];
        z[3 * w + 3] = 1.0;
        let d = dilation(&z, w, h, 2);
        let ones: usize = d.iter().filter(|&&v| v == 1.0).count();
        assert_eq!(ones, 25 - 4);
        assert_eq!(d[w + 1], 0.0);
        assert_eq!(d[w + 2], 1.0);
    }

    #[test]
    fn progressive_filter_keeps_a_plane_within_the_slope() {
        // A plane rising 0.1 per cell is never cut with slope 0.15; a 2 m house on it is.
        let (w, h) = (40, 40);
        let mut z: Vec<f64> = (0..w * h).map(|i| 0.1 * (i % w) as f64).collect();
        for r in 15..25 {
            for c in 15..25 {
                z[r * w + c] += 2.0;
            }
        }
        let obj = progressive_filter(&z, w, h, 1.0, 0.15, 8);
        assert!(obj[20 * w + 20]);
        assert!(!obj[5 * w + 5] && !obj[35 * w + 35] && !obj[20 * w + 35]);
        assert_eq!(obj.iter().filter(|&&o| o).count(), 100);
    }
}
