//! Multiple flow direction (MFD) accumulation: Freeman (1991) and Quinn et al. (1991).
//!
//! Each cell passes its accumulated flow to all lower neighbours in proportion to
//! `f_k = L_k · (tan β_k)^p / Σ_j L_j · (tan β_j)^p`, with `tan β_k = (z − z_k) / d_k`:
//! - Freeman (1991, *Computers & Geosciences* 17, 413–422): `p = 1.1`, `L_k = 1`;
//! - Quinn, Beven, Chevallier & Planchon (1991, *Hydrol. Process.* 5, 59–79): `p = 1`,
//!   contour lengths `L_k = 0.5` (edge) and `0.354` (corner) cell sizes.
//!
//! A cell without lower neighbours (a flat of a filled DEM) passes everything along its
//! flat-resolved D8 direction ([`crate::d8::flow_directions_d8`]); outlets keep theirs.
//! Cells are processed in topological order (each after all its donors), sequentially in a fixed
//! order, so the result is deterministic. The accumulation summed over the outlets equals the
//! number of cells (test `mfd_conserves_flow`).
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::{d8::flow_directions_d8, mfd::{flow_accumulation_mfd, MfdMethod}};
//! let mut dem = Grid::filled(4, 1, GeoTransform::new(0.0, 1.0, 1.0), 0.0f32);
//! for (i, z) in dem.data.iter_mut().enumerate() { *z = 4.0 - i as f32; }
//! let acc = flow_accumulation_mfd(&dem, &flow_directions_d8(&dem), MfdMethod::Freeman { exponent: 1.1 });
//! assert!((acc.data[3] - 4.0).abs() < 1e-12);
//! ```

use zwilling_core::Grid;

use crate::accumulation::downstream;
use crate::neighbours::distance;

/// How flow is shared among lower neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MfdMethod {
    /// Freeman (1991): `(tan β)^p`, usually `p = 1.1`.
    Freeman {
        /// Exponent p.
        exponent: f64,
    },
    /// Quinn et al. (1991): `L · tan β` with contour lengths 0.5 / 0.354.
    Quinn,
}

/// Receivers of cell i with weights (unnormalised).
fn shares(
    z: &[f32],
    valid: &dyn Fn(usize) -> bool,
    w: usize,
    h: usize,
    i: usize,
    m: MfdMethod,
    out: &mut Vec<(usize, f64)>,
) {
    out.clear();
    let (r, c) = (i / w, i % w);
    for k in 0..8 {
        let Some((cc, rr)) = crate::neighbours::neighbour(c, r, k, w, h) else {
            continue;
        };
        let j = rr * w + cc;
        if !valid(j) || z[j] >= z[i] {
            continue;
        }
        let tan = (z[i] - z[j]) as f64 / distance(k);
        let weight = match m {
            MfdMethod::Freeman { exponent } => tan.powf(exponent),
            MfdMethod::Quinn => tan * if k % 2 == 0 { 0.5 } else { 0.354 },
        };
        out.push((j, weight));
    }
}

/// MFD flow accumulation in cells over the filled DEM `dem` with its D8 directions `dir`.
pub fn flow_accumulation_mfd(dem: &Grid<f32>, dir: &Grid<u8>, method: MfdMethod) -> Grid<f64> {
    let (w, h) = (dem.width, dem.height);
    let z = &dem.data;
    let valid = |i: usize| !dem.is_nodata(z[i]);
    let mut buf = vec![];
    // donor counts
    let mut donors = vec![0u8; w * h];
    for i in 0..w * h {
        if !valid(i) {
            continue;
        }
        shares(z, &valid, w, h, i, method, &mut buf);
        if buf.is_empty() {
            if let Some(j) = downstream(i, dir.data[i], w) {
                donors[j] += 1;
            }
        } else {
            for &(j, _) in &buf {
                donors[j] += 1;
            }
        }
    }
    let mut acc: Vec<f64> = (0..w * h).map(|i| if valid(i) { 1.0 } else { f64::NAN }).collect();
    let mut stack = vec![];
    for start in 0..w * h {
        if donors[start] != 0 || !valid(start) {
            continue;
        }
        donors[start] = u8::MAX;
        stack.push(start);
        while let Some(i) = stack.pop() {
            shares(z, &valid, w, h, i, method, &mut buf);
            let a = acc[i];
            let mut pass = |j: usize, f: f64, stack: &mut Vec<usize>| {
                acc[j] += a * f;
                donors[j] -= 1;
                if donors[j] == 0 {
                    donors[j] = u8::MAX;
                    stack.push(j);
                }
            };
            if buf.is_empty() {
                if let Some(j) = downstream(i, dir.data[i], w) {
                    pass(j, 1.0, &mut stack);
                }
            } else {
                let total: f64 = buf.iter().map(|s| s.1).sum();
                for &(j, s) in &buf {
                    pass(j, s / total, &mut stack);
                }
            }
        }
    }
    let mut g = dem.with_data(acc);
    g.nodata = Some(f64::NAN);
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid;
    use crate::{d8::flow_directions_d8, fill::fill_depressions, neighbours::NO_DIRECTION};

    #[test]
    fn mfd_conserves_flow() {
        let dem = grid(31, 27, |c, r| {
            let i = r * 31 + c;
            ((i * 7919) % 101) as f32 * 0.05 + r as f32 * 0.02
        });
        let f = fill_depressions(&dem).unwrap();
        let dir = flow_directions_d8(&f);
        for m in [MfdMethod::Freeman { exponent: 1.1 }, MfdMethod::Quinn] {
            let acc = flow_accumulation_mfd(&f, &dir, m);
            // outlets: cells that pass nothing on
            let mut buf = vec![];
            let valid = |_: usize| true;
            let total: f64 = (0..31 * 27)
                .filter(|&i| {
                    shares(&f.data, &valid, 31, 27, i, m, &mut buf);
                    buf.is_empty() && dir.data[i] == NO_DIRECTION
                })
                .map(|i| acc.data[i])
                .sum();
            assert!((total - (31.0 * 27.0)).abs() < 1e-9, "{m:?}: {total}");
        }
    }

    #[test]
    fn tilted_plane_spreads_like_d8_on_rows() {
        // A plane falling east: the three eastward neighbours are lower, but the cardinal one is
        // steepest; interior rows still carry (c + 1) cells on average.
        let dem = grid(10, 12, |c, _| 50.0 - c as f32);
        let acc = flow_accumulation_mfd(&dem, &flow_directions_d8(&dem), MfdMethod::Freeman { exponent: 1.1 });
        // column sums: every column collects all cells west of it (flow only moves east)
        for c in 0..10 {
            let s: f64 = (0..12).map(|r| acc.data[r * 10 + c]).sum();
            assert!((s - 12.0 * (c + 1) as f64).abs() < 1e-9, "column {c}: {s}");
        }
    }
}
