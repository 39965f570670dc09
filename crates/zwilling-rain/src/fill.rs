//! Depression filling by Priority-Flood.
//!
//! Raises every cell that has no downhill path to an outlet to the lowest elevation over which
//! its depression spills ("pit removal"). Algorithm: Priority-Flood (Barnes, Lehman & Mulla 2014,
//! *Computers & Geosciences* 62, 117–127) in the one-pass form of Zhou, Sun & Fu (2016,
//! *Computers & Geosciences* 90, 87–96): a neighbour not higher than the flood level is raised to
//! it and goes to a plain "pit" stack; a higher neighbour is a "slope" cell whose elevation is
//! already final, and slope cells climb uphill by another plain stack, entering the min-priority
//! queue only when they have a lower unreached neighbour. The priority queue is a monotone radix
//! heap over the elevations' order-preserving bit patterns ([`RadixQueue`]). Cell indices are
//! `u32`. With more than one rayon thread the grid is filled in parallel bands
//! (`fill_bands.rs`, Barnes 2016) with the same result.
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
//! The result is deterministic: unique as said above, so the same bits at any thread count.
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

use crate::neighbours::NeighbourIndex;

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

    /// Empties the queue for reuse (keeps the buckets' allocations).
    pub(crate) fn reset(&mut self) {
        self.buckets.iter_mut().for_each(Vec::clear);
        self.last = 0;
        self.len = 0;
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

/// Fewest rows per band of the band-parallel fill ([`crate::fill_bands`]).
const MIN_BAND_ROWS: usize = 64;
/// Cells per band of the band-parallel fill: elevation + label (8 bytes a cell) of a 400 k-cell
/// band (3.2 MB) stay in the last-level cache while the flood jumps around in it. Measured on the
/// 25 M-cell benchmark DEM at 2 threads (same run, interleaved): 625-row bands 4.75–5.00 s CPU,
/// 156 rows 4.39–4.47 s, 80 rows 4.19–4.25 s (docs/benchmarks/rain.md, Session 5).
const BAND_CELLS: usize = 400_000;
/// Most bands of the band-parallel fill (bounds the label graph's memory on large grids).
const MAX_BANDS: usize = 64;

/// Cell state during the flood: not yet reached.
const OPEN: u8 = 0;
/// Reached (its filled elevation is final), or NoData.
const CLOSED: u8 = 1;
/// Reached, and on the grid edge: its neighbours need bounds checks.
const CLOSED_EDGE: u8 = 2;

/// Fills all depressions of `dem` (exactly flat) so that every valid cell drains to an outlet.
///
/// Errors when the grid has 2³² − 1 cells or more.
pub fn fill_depressions(dem: &Grid<f32>) -> Result<Grid<f32>> {
    let (w, h) = (dem.width, dem.height);
    let n = w * h;
    if n >= u32::MAX as usize {
        return Err(Error::invalid(format!("DEM of {w} × {h} cells is too large to fill (limit 2^32 cells)")));
    }
    if n == 0 {
        return Ok(dem.with_data(Vec::new()));
    }
    let threads = rayon::current_num_threads();
    if threads > 1 && h >= 2 * MIN_BAND_ROWS {
        // 4 bands per thread or more when bands would outgrow the cache, but at most
        // MAX_BANDS (each adds about 2 labels per column to the global graph), ≥ MIN_BAND_ROWS rows.
        let cache_rows = (BAND_CELLS / w).max(h.div_ceil(MAX_BANDS));
        let band_rows = h.div_ceil(4 * threads).min(cache_rows).max(MIN_BAND_ROWS);
        return Ok(dem.with_data(crate::fill_bands::fill_bands(dem, band_rows)));
    }
    let mut z = dem.data.clone();
    let mut state: Vec<u8> = z.iter().map(|&v| if dem.is_nodata(v) { CLOSED } else { OPEN }).collect();
    let any_nodata = state.contains(&CLOSED);
    let mut open = RadixQueue::new();
    // Seeds: edge cells, then cells next to NoData.
    let seed = |i: usize, s: u8, state: &mut [u8], open: &mut RadixQueue| {
        if state[i] == OPEN {
            state[i] = s;
            open.push(order_key(z[i]), i as u32);
        }
    };
    for c in 0..w {
        seed(c, CLOSED_EDGE, &mut state, &mut open);
        seed((h - 1) * w + c, CLOSED_EDGE, &mut state, &mut open);
    }
    for r in 1..h.saturating_sub(1) {
        seed(r * w, CLOSED_EDGE, &mut state, &mut open);
        seed(r * w + w - 1, CLOSED_EDGE, &mut state, &mut open);
    }
    if any_nodata {
        for i in 0..n {
            if !dem.is_nodata(dem.data[i]) {
                continue;
            }
            let (r, c) = (i / w, i % w);
            for k in 0..8 {
                if let Some((cc, rr)) = crate::neighbours::neighbour(c, r, k, w, h) {
                    let j = rr * w + cc;
                    let s = if rr == 0 || cc == 0 || rr + 1 == h || cc + 1 == w { CLOSED_EDGE } else { CLOSED };
                    seed(j, s, &mut state, &mut open);
                }
            }
        }
    }
    // The neighbours of cell `i` (bounds-checked only for edge cells).
    let nb = NeighbourIndex::new(w, h);
    // pit: cells raised to (or equal to) the current flood level; slope: cells above it whose
    // elevation is final because they drain through the cell they were reached from.
    let mut pit: Vec<u32> = Vec::new();
    let mut slope: Vec<u32> = Vec::new();
    loop {
        let i = match pit.pop() {
            Some(i) => i as usize,
            None => {
                if let Some(i) = slope.pop() {
                    // Climbing: higher neighbours are final too; a lower open neighbour may spill
                    // elsewhere at a lower level, so this cell waits in the priority queue for it.
                    let i = i as usize;
                    let zi = z[i];
                    let mut lower = false;
                    for j in nb.of(i, state[i] == CLOSED_EDGE) {
                        if state[j] != OPEN {
                            continue;
                        }
                        if z[j] >= zi {
                            state[j] = CLOSED;
                            slope.push(j as u32);
                        } else {
                            lower = true;
                        }
                    }
                    if lower {
                        open.push(order_key(zi), i as u32);
                    }
                    continue;
                }
                match open.pop() {
                    Some(i) => i as usize,
                    None => break,
                }
            }
        };
        // Inside a depression (from `pit`) or at the flood level (from `open`): lower neighbours
        // are raised to this cell's level and join the depression, higher ones are slopes.
        let zi = z[i];
        for j in nb.of(i, state[i] == CLOSED_EDGE) {
            if state[j] != OPEN {
                continue;
            }
            state[j] = CLOSED;
            if z[j] <= zi {
                z[j] = zi;
                pit.push(j as u32);
            } else {
                slope.push(j as u32);
            }
        }
    }
    Ok(dem.with_data(z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neighbours::{DCOL, DROW};
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
