//! Point density and mean point spacing of a cloud, for choosing cell sizes automatically.
//!
//! The density counts points per *occupied* area, so that a street corridor or an irregular survey
//! outline is not diluted by empty space: points are binned into 5 × 5 m cells, and
//! `ρ = n / (25 m² · occupied cells)`, `spacing = 1 / √ρ` (the side of the square each point
//! represents on average).
//!
//! ```
//! use zwilling_cloud::density::mean_spacing;
//! // A regular 0.5 m lattice over 20 × 20 m: 4 points per m², spacing 0.5 m.
//! let (mut x, mut y) = (vec![], vec![]);
//! for i in 0..40 { for j in 0..40 { x.push(i as f64 * 0.5); y.push(j as f64 * 0.5); } }
//! let s = mean_spacing(&x, &y, &vec![true; x.len()]);
//! assert!((s - 0.5).abs() < 0.01);
//! ```

use crate::cellhash::CellSet;

/// Side of the occupancy bins in metres.
const BIN: f64 = 5.0;

/// Mean point spacing (metres) of the points with `usable[i]`; `NaN` for an empty set.
pub fn mean_spacing(x: &[f64], y: &[f64], usable: &[bool]) -> f64 {
    let mut occupied = CellSet::default();
    let mut n = 0usize;
    for i in (0..x.len()).filter(|&i| usable[i]) {
        occupied.insert(((x[i] / BIN).floor() as i64, (y[i] / BIN).floor() as i64));
        n += 1;
    }
    if n == 0 {
        return f64::NAN;
    }
    let density = n as f64 / (occupied.len() as f64 * BIN * BIN);
    1.0 / density.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_sparse_sets() {
        assert!(mean_spacing(&[], &[], &[]).is_nan());
        // One point per 5 m bin: 1/25 per m², spacing 5 m.
        let x: Vec<f64> = (0..10).map(|i| i as f64 * 5.0 + 1.0).collect();
        let y = vec![1.0; 10];
        assert!((mean_spacing(&x, &y, &[true; 10]) - 5.0).abs() < 1e-9);
        assert!(mean_spacing(&x, &y, &[false; 10]).is_nan());
    }
}
