//! Depression filling by Priority-Flood.
//!
//! Raises every cell that has no downhill path to an outlet to the lowest elevation over which
//! its depression spills ("pit removal"). Algorithm: Priority-Flood (Barnes, Lehman & Mulla 2014,
//! *Computers & Geosciences* 62, 117–127) in its improved form (their Algorithm 3): cells are
//! taken from a min-priority queue keyed by elevation; a neighbour that is not higher than the
//! cell it was reached from is raised to that elevation and goes to a plain FIFO "pit" queue that
//! is drained before the priority queue again, so the cells inside depressions and on flats never
//! pay the `log n` of the heap.
//!
//! **Edge rule** (as TauDEM `pitremove` and RichDEM): every cell on the grid edge and every cell
//! next to a NoData cell is an outlet — water may leave the DEM there — and seeds the queue with
//! its own elevation. NoData cells are never changed.
//!
//! **Flat filling**: depressions are filled *exactly flat* (no ε gradient), as TauDEM does — its
//! reference output for `MED_01_01` holds the exact spill elevations. Flow routing across the
//! resulting flats is done by [`crate::d8::flow_directions_d8`].
//!
//! Ties in the queue are broken by cell index, so the result is deterministic.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::fill::fill_depressions;
//! let mut dem = Grid::filled(3, 3, GeoTransform::new(0.0, 3.0, 1.0), 5.0f32);
//! dem.data[4] = 1.0; // a one-cell pit in the middle
//! let filled = fill_depressions(&dem).unwrap();
//! assert_eq!(filled.data[4], 5.0);
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use zwilling_core::{Error, Grid, Result};

use crate::neighbours::{DCOL, DROW};

/// Maps an f32 to a u32 whose unsigned order equals the float's total order.
#[inline]
pub(crate) fn order_key(v: f32) -> u32 {
    let b = v.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Fills all depressions of `dem` (exactly flat) so that every valid cell drains to an outlet.
///
/// Errors when the grid has more than 2³² − 1 cells.
pub fn fill_depressions(dem: &Grid<f32>) -> Result<Grid<f32>> {
    let (w, h) = (dem.width, dem.height);
    let n = w * h;
    if n >= u32::MAX as usize {
        return Err(Error::invalid(format!("DEM of {w} × {h} cells is too large to fill (limit 2^32 cells)")));
    }
    let mut z = dem.data.clone();
    // closed: 1 = already in a queue (or NoData).
    let mut closed = vec![false; n];
    for (i, &v) in z.iter().enumerate() {
        if dem.is_nodata(v) {
            closed[i] = true;
        }
    }
    let mut open: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let push = |open: &mut BinaryHeap<Reverse<u64>>, v: f32, i: usize| {
        open.push(Reverse(((order_key(v) as u64) << 32) | i as u64));
    };
    // Seeds: edge cells and cells next to NoData.
    for r in 0..h {
        for c in 0..w {
            let i = r * w + c;
            if closed[i] {
                continue;
            }
            let edge = r == 0 || c == 0 || r == h - 1 || c == w - 1;
            let by_nodata = !edge
                && (0..8).any(|k| {
                    let j = ((r as isize + DROW[k]) as usize) * w + (c as isize + DCOL[k]) as usize;
                    dem.is_nodata(z[j])
                });
            if edge || by_nodata {
                closed[i] = true;
                push(&mut open, z[i], i);
            }
        }
    }
    let mut pit: VecDeque<usize> = VecDeque::new();
    loop {
        let i = if let Some(i) = pit.pop_front() {
            i
        } else if let Some(Reverse(key)) = open.pop() {
            (key & 0xFFFF_FFFF) as usize
        } else {
            break;
        };
        let (r, c) = (i / w, i % w);
        let zi = z[i];
        for k in 0..8 {
            let rr = r as isize + DROW[k];
            let cc = c as isize + DCOL[k];
            if rr < 0 || cc < 0 || rr >= h as isize || cc >= w as isize {
                continue;
            }
            let j = rr as usize * w + cc as usize;
            if closed[j] {
                continue;
            }
            closed[j] = true;
            if z[j] <= zi {
                z[j] = zi;
                pit.push_back(j);
            } else {
                push(&mut open, z[j], j);
            }
        }
    }
    Ok(dem.with_data(z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    fn grid(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Grid<f32> {
        let mut g = Grid::filled(w, h, GeoTransform::new(0.0, h as f64, 1.0), 0.0f32);
        for r in 0..h {
            for c in 0..w {
                g.data[r * w + c] = f(c, r);
            }
        }
        g
    }

    #[test]
    fn order_key_preserves_order() {
        let v = [-1e30f32, -2.5, -0.0, 0.0, 1e-30, 3.0, 1e30];
        for p in v.windows(2) {
            assert!(order_key(p[0]) <= order_key(p[1]), "{p:?}");
        }
    }

    #[test]
    fn bowl_fills_to_its_rim_spill() {
        // A 9 × 9 bowl z = distance² from the centre, with a notch on the east rim at 10.0.
        let g = grid(9, 9, |c, r| {
            let (dx, dy) = (c as f32 - 4.0, r as f32 - 4.0);
            if c == 8 && r == 4 {
                10.0
            } else {
                (dx * dx + dy * dy).max(0.0) + if c == 8 || r == 0 || r == 8 || c == 0 { 20.0 } else { 0.0 }
            }
        });
        let f = fill_depressions(&g).unwrap();
        // Interior cells below 10 are raised to exactly 10 (the notch), higher ones untouched.
        for r in 1..8 {
            for c in 1..8 {
                let i = r * 9 + c;
                assert_eq!(f.data[i], g.data[i].max(10.0), "cell {c},{r}");
            }
        }
        // Edge cells never change.
        assert_eq!(f.data[4 * 9 + 8], 10.0);
        assert_eq!(f.data[0], g.data[0]);
    }

    #[test]
    fn nodata_neighbours_are_outlets() {
        // A pit next to a NoData hole drains into the hole: nothing is filled.
        let mut g = grid(7, 7, |c, r| if (c, r) == (3, 3) { 1.0 } else { 5.0 });
        g.data[3 * 7 + 4] = f32::NAN;
        let f = fill_depressions(&g).unwrap();
        assert_eq!(f.data[3 * 7 + 3], 1.0);
        assert!(f.data[3 * 7 + 4].is_nan());
        // Same pit without the hole is filled to 5.
        let g2 = grid(7, 7, |c, r| if (c, r) == (3, 3) { 1.0 } else { 5.0 });
        assert_eq!(fill_depressions(&g2).unwrap().data[3 * 7 + 3], 5.0);
    }

    #[test]
    fn filled_dem_has_no_interior_pits() {
        // Pseudo-random terrain: after filling, every interior cell has a neighbour not higher
        // than itself with a path to the edge, i.e. no strict local minimum remains.
        let g = grid(40, 30, |c, r| ((c * 7919 + r * 104729) % 97) as f32 * 0.1 + (c as f32 * 0.05));
        let f = fill_depressions(&g).unwrap();
        for r in 1..29 {
            for c in 1..39 {
                let i = r * 40 + c;
                assert!(f.data[i] >= g.data[i]);
                let lowest = (0..8)
                    .map(|k| f.data[((r as isize + DROW[k]) as usize) * 40 + (c as isize + DCOL[k]) as usize])
                    .fold(f32::INFINITY, f32::min);
                assert!(lowest <= f.data[i], "strict pit at {c},{r}");
            }
        }
    }
}
