//! D8 flow accumulation: the number of cells (or the weighted sum, e.g. upstream area in m²)
//! draining through each cell, the cell itself included.
//!
//! `A(i) = w(i) + Σ_{j → i} A(j)`. Computed in one pass without recursion or sorting: every cell
//! counts its donors (parallel), then each source cell (no donors) passes its total downstream
//! and the walk continues while the receiving cell has received from all of its donors
//! (topological order, Kahn 1962). Sums over integers stay exact in f64 up to 2⁵³ cells;
//! the processing order is fixed, so results are deterministic at any thread count.
//!
//! Conservation: the accumulation summed over all outlets equals the total weight
//! (see the test `outlets_collect_every_cell`).
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::{accumulation::flow_accumulation_d8, d8::flow_directions_d8};
//! let mut dem = Grid::filled(5, 1, GeoTransform::new(0.0, 1.0, 1.0), 0.0f32);
//! for (i, z) in dem.data.iter_mut().enumerate() { *z = 10.0 - i as f32; }
//! let acc = flow_accumulation_d8(&flow_directions_d8(&dem), None);
//! assert_eq!(acc.data, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
//! ```

use rayon::prelude::*;
use zwilling_core::Grid;

use crate::neighbours::{DCOL, DROW, NO_DIRECTION};

/// The downstream cell index of `i` under direction `d`, or `None` when `d` is no direction.
#[inline]
pub(crate) fn downstream(i: usize, d: u8, w: usize) -> Option<usize> {
    if d as usize >= 8 {
        return None;
    }
    let k = d as usize;
    Some((i as isize + DROW[k] * w as isize + DCOL[k]) as usize)
}

/// D8 flow accumulation over `dir` ([`crate::d8::flow_directions_d8`]). `weight` per cell
/// (e.g. cell area, or rain excess) defaults to 1 per cell; NoData cells (`valid == false` via
/// NaN weight or no direction and no donors) count with their weight as well, so pass NaN weights
/// where there is no data. The result holds NaN where the weight is NaN.
pub fn flow_accumulation_d8(dir: &Grid<u8>, weight: Option<&Grid<f32>>) -> Grid<f64> {
    let (w, h) = (dir.width, dir.height);
    let d = &dir.data;
    // Donor counts: neighbour in direction k drains here when its direction is the opposite of k.
    let mut donors = vec![0u8; w * h];
    let off: [isize; 8] = std::array::from_fn(|k| DROW[k] * w as isize + DCOL[k]);
    donors.par_chunks_mut(w.max(1)).enumerate().for_each(|(r, row)| {
        let inner_row = r > 0 && r + 1 < h;
        for (c, n) in row.iter_mut().enumerate() {
            let i = r * w + c;
            let mut count = 0u8;
            if inner_row && c > 0 && c + 1 < w {
                for k in 0..8 {
                    count += u8::from(d[(i as isize + off[k]) as usize] as usize == (k + 4) % 8);
                }
            } else {
                for k in 0..8 {
                    let (cc, rr) = (c as isize + DCOL[k], r as isize + DROW[k]);
                    if cc < 0 || rr < 0 || cc >= w as isize || rr >= h as isize {
                        continue;
                    }
                    count += u8::from(d[rr as usize * w + cc as usize] as usize == (k + 4) % 8);
                }
            }
            *n = count;
        }
    });
    let mut acc: Vec<f64> = match weight {
        Some(wg) => wg.data.iter().map(|&v| v as f64).collect(),
        None => vec![1.0; w * h],
    };
    for start in 0..w * h {
        if donors[start] != 0 {
            continue;
        }
        let mut i = start;
        donors[i] = u8::MAX; // done
        while let Some(j) = downstream(i, d[i], w) {
            acc[j] += acc[i];
            donors[j] -= 1;
            if donors[j] != 0 {
                break;
            }
            donors[j] = u8::MAX;
            i = j;
        }
    }
    let mut g = dir.with_data(acc);
    g.nodata = Some(f64::NAN);
    g
}

/// Cells that drain off the grid or into a pit: valid cells with [`NO_DIRECTION`].
pub fn outlets(dir: &Grid<u8>) -> impl Iterator<Item = usize> + '_ {
    dir.data.iter().enumerate().filter(|(_, &d)| d == NO_DIRECTION).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid;
    use crate::{d8::flow_directions_d8, fill::fill_depressions};

    #[test]
    fn tilted_plane_accumulates_along_rows() {
        // Plane falling east: cell (c, r) collects the c+1 cells west of it in its row.
        let g = grid(20, 10, |c, _| 100.0 - 0.5 * c as f32);
        let acc = flow_accumulation_d8(&flow_directions_d8(&g), None);
        for r in 1..9 {
            for c in 0..20 {
                assert_eq!(acc.data[r * 20 + c], (c + 1) as f64, "cell {c},{r}");
            }
        }
    }

    #[test]
    fn cone_catchment_is_a_sector() {
        // Inverted cone (funnel) draining to its centre, which sits on the south edge: the outlet
        // collects every cell of the grid.
        let g = grid(21, 11, |c, r| ((c as f32 - 10.0).powi(2) + (r as f32 - 10.0).powi(2)).sqrt());
        let f = fill_depressions(&g).unwrap();
        let acc = flow_accumulation_d8(&flow_directions_d8(&f), None);
        let total: f64 = outlets(&flow_directions_d8(&f)).map(|i| acc.data[i]).sum();
        assert_eq!(total, 21.0 * 11.0);
        assert!(acc.data[10 * 21 + 10] > 0.5 * 21.0 * 11.0, "centre collects the bulk: {}", acc.data[10 * 21 + 10]);
    }

    #[test]
    fn outlets_collect_every_cell() {
        let g = grid(37, 23, |c, r| ((c * 7919 + r * 104729) % 89) as f32 * 0.07 + r as f32 * 0.01);
        let f = fill_depressions(&g).unwrap();
        let dir = flow_directions_d8(&f);
        let acc = flow_accumulation_d8(&dir, None);
        let total: f64 = outlets(&dir).map(|i| acc.data[i]).sum();
        assert_eq!(total, (37 * 23) as f64);
        // every outlet is on the edge
        for i in outlets(&dir) {
            let (r, c) = (i / 37, i % 37);
            assert!(r == 0 || c == 0 || r == 22 || c == 36);
        }
    }
}
