//! Depression filling by Priority-Flood.
//!
//! Raises every cell that has no downhill path to an outlet to the lowest elevation over which
//! its depression spills ("pit removal"). Algorithm: Priority-Flood (Barnes, Lehman & Mulla 2014,
//! *Computers & Geosciences* 62, 117–127) in its improved form (their Algorithm 3): cells are
//! taken from a min-priority queue keyed by elevation; a neighbour that is not higher than the
//! cell it was reached from is raised to that elevation and goes to a plain "pit" stack that is
//! drained before the priority queue again, so the cells inside depressions and on flats never
//! pay for the priority queue. The priority queue is a monotone radix heap over the elevations'
//! order-preserving bit patterns ([`RadixQueue`]): Priority-Flood pops elevations in
//! non-decreasing order, which is all a radix heap needs. Cell indices are `u32`.
//!
//! The filled surface is unique (the lowest surface ≥ the DEM on which every cell has a
//! non-ascending path to an outlet), so neither the queue order nor ties change the result.
//!
//! **Edge rule** (as TauDEM `pitremove` and RichDEM): every cell on the grid edge and every cell
//! next to a NoData cell is an outlet — water may leave the DEM there — and seeds the queue with
//! its own elevation. NoData cells are never changed.
//!
//! **Flat filling**: depressions are filled *exactly flat* (no ε gradient), as TauDEM does — its
//! reference output for `MED_01_01` holds the exact spill elevations. Flow routing across the
//! resulting flats is done by [`crate::d8::flow_directions_d8`].
//!
//! The result is deterministic (single-threaded, and unique as said above).
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::fill::fill_depressions;
//! let mut dem = Grid::filled(3, 3, GeoTransform::new(0.0, 3.0, 1.0), 5.0f32);
//! dem.data[4] = 1.0; // a one-cell pit in the middle
//! let filled = fill_depressions(&dem).unwrap();
//! assert_eq!(filled.data[4], 5.0);
//! ```

use zwilling_core::{Error, Grid, Result};

use crate::neighbours::{DCOL, DROW};

/// Maps an f32 to a u32 whose unsigned order equals the float's total order (the priority key of
/// Priority-Flood here and in the tile-parallel fill of `zwilling-tiled`).
#[inline]
pub fn order_key(v: f32) -> u32 {
    let b = v.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Monotone priority queue of `(key, cell)` pairs (a radix heap, Ahuja, Mehlhorn, Orlin & Tarjan
/// 1990): valid because Priority-Flood never pushes a key below the last one popped. Bucket `b`
/// holds the entries whose key first differs from the last popped key in bit `b − 1`; popping
/// empties the lowest non-empty bucket into the lower ones, so every entry moves at most 32 times
/// and mostly far fewer — much cheaper than a binary heap's `log n` comparisons per operation.
pub(crate) struct RadixQueue {
    buckets: Vec<Vec<u64>>,
    last: u32,
    len: usize,
}

impl RadixQueue {
    pub(crate) fn new() -> Self {
        RadixQueue { buckets: (0..33).map(|_| Vec::new()).collect(), last: 0, len: 0 }
    }

    #[inline]
    fn bucket(&self, key: u32) -> usize {
        (32 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Adds `cell` with `key` (≥ the last popped key).
    #[inline]
    pub(crate) fn push(&mut self, key: u32, cell: u32) {
        debug_assert!(key >= self.last);
        let b = self.bucket(key);
        self.buckets[b].push(((key as u64) << 32) | cell as u64);
        self.len += 1;
    }

    /// Removes a cell of the smallest key.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<u32> {
        if self.buckets[0].is_empty() {
            if self.len == 0 {
                return None;
            }
            let b = (1..33).find(|&b| !self.buckets[b].is_empty())?;
            let moved = std::mem::take(&mut self.buckets[b]);
            self.last = moved.iter().map(|&e| (e >> 32) as u32).min().unwrap_or(self.last);
            for &e in &moved {
                let nb = self.bucket((e >> 32) as u32);
                self.buckets[nb].push(e);
            }
            // keep the allocation of the emptied bucket
            let mut moved = moved;
            moved.clear();
            self.buckets[b] = moved;
        }
        self.len -= 1;
        self.buckets[0].pop().map(|e| e as u32)
    }
}

/// Fills all depressions of `dem` (exactly flat) so that every valid cell drains to an outlet.
///
/// Errors when the grid has 2³² − 1 cells or more.
pub fn fill_depressions(dem: &Grid<f32>) -> Result<Grid<f32>> {
    let (w, h) = (dem.width, dem.height);
    let n = w * h;
    if n >= u32::MAX as usize {
        return Err(Error::invalid(format!("DEM of {w} × {h} cells is too large to fill (limit 2^32 cells)")));
    }
    let mut z = dem.data.clone();
    if n == 0 {
        return Ok(dem.with_data(z));
    }
    // closed: already in a queue (or NoData).
    let mut closed: Vec<bool> = z.iter().map(|&v| dem.is_nodata(v)).collect();
    let any_nodata = closed.iter().any(|&c| c);
    let mut open = RadixQueue::new();
    // Seeds: edge cells, then cells next to NoData.
    let seed = |i: usize, closed: &mut [bool], open: &mut RadixQueue| {
        if !closed[i] {
            closed[i] = true;
            open.push(order_key(z[i]), i as u32);
        }
    };
    for c in 0..w {
        seed(c, &mut closed, &mut open);
        seed((h - 1) * w + c, &mut closed, &mut open);
    }
    for r in 1..h.saturating_sub(1) {
        seed(r * w, &mut closed, &mut open);
        seed(r * w + w - 1, &mut closed, &mut open);
    }
    if any_nodata {
        for i in 0..n {
            if !dem.is_nodata(dem.data[i]) {
                continue;
            }
            let (r, c) = (i / w, i % w);
            for k in 0..8 {
                let (rr, cc) = (r as isize + DROW[k], c as isize + DCOL[k]);
                if rr >= 0 && cc >= 0 && (rr as usize) < h && (cc as usize) < w {
                    seed(rr as usize * w + cc as usize, &mut closed, &mut open);
                }
            }
        }
    }
    // Neighbour offsets of interior cells.
    let off: [isize; 8] = std::array::from_fn(|k| DROW[k] * w as isize + DCOL[k]);
    let mut pit: Vec<u32> = Vec::new();
    loop {
        let i = if let Some(i) = pit.pop() {
            i as usize
        } else if let Some(i) = open.pop() {
            i as usize
        } else {
            break;
        };
        let zi = z[i];
        let (r, c) = (i / w, i % w);
        let interior = r > 0 && c > 0 && r + 1 < h && c + 1 < w;
        for k in 0..8 {
            let j = if interior {
                (i as isize + off[k]) as usize
            } else {
                let (rr, cc) = (r as isize + DROW[k], c as isize + DCOL[k]);
                if rr < 0 || cc < 0 || rr >= h as isize || cc >= w as isize {
                    continue;
                }
                rr as usize * w + cc as usize
            };
            if closed[j] {
                continue;
            }
            closed[j] = true;
            if z[j] <= zi {
                z[j] = zi;
                pit.push(j as u32);
            } else {
                open.push(order_key(z[j]), j as u32);
            }
        }
    }
    Ok(dem.with_data(z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid;

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
