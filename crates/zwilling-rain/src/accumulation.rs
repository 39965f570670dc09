//! D8 flow accumulation: the number of cells (or the weighted sum, e.g. upstream area in m²)
//! draining through each cell, the cell itself included.
//!
//! `A(i) = w(i) + Σ_{j → i} A(j)`. Computed without recursion or sorting in topological order
//! (Kahn 1962): every cell counts its donors, then each source cell (no donors) passes its total
//! downstream and the walk continues while the receiving cell has received from all of its
//! donors ([`accumulate_window`]).
//!
//! In parallel, the grid is cut into bands of [`BAND_ROWS`] rows and accumulation being linear
//! in the weights is used as in Barnes (2017, "Parallel non-divergent flow accumulation for
//! trillion cell digital elevation models on desktops or clusters", *Environmental Modelling &
//! Software* 92, 202–212):
//! 1. per band (parallel): local accumulation `Aₗ`, donors in other bands ignored;
//! 2. per band (parallel): from every **entry** cell (entered by a flow from another band) the
//!    flow path through the band to its **exit** (the cell whose direction leaves the band), as
//!    a forest of the cells on these paths;
//! 3. once: the inflow `I(e)` of every entry, `I(e) = Σ_{x → e} (Aₗ(x) + Σ_{e' ⇝ x} I(e'))`,
//!    a topological pass over the exits (acyclic because D8 paths are);
//! 4. per band (parallel): each inflow added along its path (Kahn again, on the path forest only).
//!
//! The bands do not depend on the thread count and steps 3–4 add in a fixed order, so results
//! are the same bits at any thread count. With integer (or dyadic) weights every sum is exact
//! (up to 2⁵³), and the result equals the single-pass walk bit for bit.
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

use std::collections::{HashMap, VecDeque};

use rayon::prelude::*;
use zwilling_core::Grid;

use crate::neighbours::{DCOL, DROW, NO_DIRECTION};

/// Rows per band of the parallel accumulation (fixed, so results do not depend on the thread
/// count).
pub const BAND_ROWS: usize = 256;

/// No slot / no exit.
const NONE: u32 = u32::MAX;

/// The downstream cell index of `i` under direction `d`, or `None` when `d` is no direction.
#[inline]
pub(crate) fn downstream(i: usize, d: u8, w: usize) -> Option<usize> {
    if d as usize >= 8 {
        return None;
    }
    let k = d as usize;
    Some((i as isize + DROW[k] * w as isize + DCOL[k]) as usize)
}

/// The downstream cell of `(c, r)` inside a `w × h` window, or `None` (no direction, or the
/// direction leaves the window).
#[inline(always)]
fn downstream_in(c: usize, r: usize, d: u8, w: usize, h: usize) -> Option<(usize, usize)> {
    if d as usize >= 8 {
        return None;
    }
    let (cc, rr) = (c.wrapping_add(DCOL[d as usize] as usize), r.wrapping_add(DROW[d as usize] as usize));
    (cc < w && rr < h).then_some((cc, rr))
}

/// Donor counts of a `w`-wide window of directions: for each cell, the neighbours inside the
/// window that drain into it. Row by row and direction by direction, so the loops vectorise.
fn count_donors(dir: &[u8], w: usize, donors: &mut [u8]) {
    let h = dir.len() / w;
    donors.fill(0);
    for r in 0..h {
        let row = &mut donors[r * w..(r + 1) * w];
        for k in 0..8 {
            // the neighbour of (c, r) in direction k drains here when its direction is opposite
            let rr = r as isize + DROW[k];
            if rr < 0 || rr >= h as isize {
                continue;
            }
            let opp = ((k + 4) % 8) as u8;
            let src = &dir[rr as usize * w..(rr as usize + 1) * w];
            match DCOL[k] {
                0 => row.iter_mut().zip(src).for_each(|(n, &d)| *n += u8::from(d == opp)),
                1 => row[..w - 1].iter_mut().zip(&src[1..]).for_each(|(n, &d)| *n += u8::from(d == opp)),
                _ => row[1..].iter_mut().zip(&src[..w - 1]).for_each(|(n, &d)| *n += u8::from(d == opp)),
            }
        }
    }
}

/// Flow accumulation inside one `width`-wide window of a direction grid (row-major `dir`, D8
/// indices as [`crate::neighbours`]), as if the window were the whole grid: donors outside it
/// are ignored and paths stop where they leave it. `acc` holds each cell's weight on entry and
/// its accumulation on return. The kernel of [`flow_accumulation_d8`]; a tile-parallel
/// accumulation can call it per tile, adding a tile's inflows to the entry cells' weights first.
pub fn accumulate_window(dir: &[u8], width: usize, acc: &mut [f64]) {
    assert_eq!(dir.len(), acc.len(), "direction and accumulation windows differ in size");
    if width == 0 || dir.is_empty() {
        return;
    }
    let h = dir.len() / width;
    let mut donors = vec![0u8; dir.len()];
    count_donors(dir, width, &mut donors);
    for r0 in 0..h {
        for c0 in 0..width {
            let start = r0 * width + c0;
            if donors[start] != 0 {
                continue;
            }
            let (mut i, mut c, mut r) = (start, c0, r0);
            donors[i] = u8::MAX; // done
                                 // the running total stays in a register (no store-to-load round trip per step)
            let mut total = acc[i];
            while let Some((cc, rr)) = downstream_in(c, r, dir[i], width, h) {
                let j = rr * width + cc;
                total += acc[j];
                acc[j] = total;
                donors[j] -= 1;
                if donors[j] != 0 {
                    break;
                }
                donors[j] = u8::MAX;
                (i, c, r) = (j, cc, rr);
            }
        }
    }
}

/// The cells of one band on the flow paths from its entry cells: a forest of slots (cell index
/// within the band, next slot downstream, donors on the forest, the exit the path reaches).
#[derive(Default)]
struct PathForest {
    slot_of: HashMap<u32, u32, std::hash::BuildHasherDefault<CellHasher>>,
    cell: Vec<u32>,
    next: Vec<u32>,
    donors: Vec<u8>,
    exit: Vec<u32>,
}

/// A multiplicative hash for cell indices (the std SipHash is needlessly slow here).
#[derive(Default)]
struct CellHasher(u64);

impl std::hash::Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl PathForest {
    fn slot(&mut self, cell: u32, donors: u8) -> u32 {
        let s = self.cell.len() as u32;
        self.slot_of.insert(cell, s);
        self.cell.push(cell);
        self.next.push(NONE);
        self.donors.push(donors);
        self.exit.push(NONE);
        s
    }

    /// Follows the paths from `entries` (band-relative cell indices, ascending) through a band of
    /// directions `dir`, `w` wide.
    fn build(dir: &[u8], w: usize, entries: &[u32]) -> Self {
        let h = dir.len() / w;
        let mut f = PathForest::default();
        let mut path = vec![];
        for &e in entries {
            if f.slot_of.contains_key(&e) {
                continue;
            }
            let s = f.slot(e, 0);
            path.clear();
            path.push(s);
            let mut i = e as usize;
            let exit = loop {
                let (c, r) = (i % w, i / w);
                let d = dir[i];
                if d as usize >= 8 {
                    break NONE;
                }
                let Some((cc, rr)) = downstream_in(c, r, d, w, h) else {
                    // leaves the band (it cannot leave the grid: no D8 direction points off it)
                    break i as u32;
                };
                let j = (rr * w + cc) as u32;
                let cur = *path.last().unwrap();
                if let Some(&sj) = f.slot_of.get(&j) {
                    f.donors[sj as usize] += 1;
                    f.next[cur as usize] = sj;
                    break f.exit[sj as usize];
                }
                let sj = f.slot(j, 1);
                f.next[cur as usize] = sj;
                path.push(sj);
                i = j as usize;
            };
            for &p in &path {
                f.exit[p as usize] = exit;
            }
        }
        f
    }

    /// Adds the inflows (`v`, per slot: nonzero at entries) along the paths to the band's `acc`.
    fn add_inflows(&mut self, mut v: Vec<f64>, acc: &mut [f64]) {
        for s0 in 0..self.cell.len() {
            if self.donors[s0] != 0 {
                continue;
            }
            let mut s = s0;
            self.donors[s] = u8::MAX;
            loop {
                acc[self.cell[s] as usize] += v[s];
                let n = self.next[s];
                if n == NONE {
                    break;
                }
                let n = n as usize;
                v[n] += v[s];
                self.donors[n] -= 1;
                if self.donors[n] != 0 {
                    break;
                }
                self.donors[n] = u8::MAX;
                s = n;
            }
        }
    }
}

/// D8 flow accumulation over `dir` ([`crate::d8::flow_directions_d8`]). `weight` per cell
/// (e.g. cell area, or rain excess) defaults to 1 per cell; NoData cells (`valid == false` via
/// NaN weight or no direction and no donors) count with their weight as well, so pass NaN weights
/// where there is no data. The result holds NaN where the weight is NaN.
pub fn flow_accumulation_d8(dir: &Grid<u8>, weight: Option<&Grid<f32>>) -> Grid<f64> {
    let (w, h) = (dir.width, dir.height);
    let n = w * h;
    let d = &dir.data;
    let mut acc = vec![0.0f64; n];
    if n > 0 {
        let band = BAND_ROWS * w;
        // 1. local accumulation per band
        acc.par_chunks_mut(band).zip(d.par_chunks(band)).enumerate().for_each(|(b, (a, db))| {
            match weight {
                Some(wg) => a.iter_mut().zip(&wg.data[b * band..]).for_each(|(a, &v)| *a = v as f64),
                None => a.fill(1.0),
            }
            accumulate_window(db, w, a);
        });
        if h > BAND_ROWS {
            join_bands(d, w, h, &mut acc);
        }
    }
    let mut g = dir.with_data(acc);
    g.nodata = Some(f64::NAN);
    g
}

/// Steps 2–4 of the module doc: carries the flows between bands of locally accumulated `acc`.
fn join_bands(d: &[u8], w: usize, h: usize, acc: &mut [f64]) {
    let band = BAND_ROWS * w;
    let nb = h.div_ceil(BAND_ROWS);
    // Exits: cells in a band's first or last row whose direction leads into another band, in
    // index order; their entry cells (global index).
    let exits: Vec<(usize, usize)> = (0..nb)
        .into_par_iter()
        .map(|b| {
            let (top, bottom) = (b * BAND_ROWS, ((b + 1) * BAND_ROWS).min(h) - 1);
            let mut out = vec![];
            for r in if top == bottom { vec![top] } else { vec![top, bottom] } {
                for c in 0..w {
                    let i = r * w + c;
                    let dd = d[i];
                    if (dd as usize) < 8 {
                        let rr = r as isize + DROW[dd as usize];
                        if (rr < top as isize && rr >= 0) || (rr > bottom as isize && rr < h as isize) {
                            out.push((i, downstream(i, dd, w).unwrap()));
                        }
                    }
                }
            }
            out
        })
        .flatten()
        .collect();
    // Entry cells per band, ascending and without repeats (band-relative).
    let mut entries: Vec<Vec<u32>> = vec![vec![]; nb];
    for &(_, e) in &exits {
        entries[e / band].push((e % band) as u32);
    }
    for e in &mut entries {
        e.sort_unstable();
        e.dedup();
    }
    // 2. path forests
    let mut forests: Vec<PathForest> = entries
        .par_iter()
        .enumerate()
        .map(|(b, e)| PathForest::build(&d[b * band..(b * band + band).min(d.len())], w, e))
        .collect();
    // 3. exits in topological order: exit x feeds entry e = down(x), whose path reaches exit y.
    let exit_id: HashMap<usize, usize> = exits.iter().enumerate().map(|(k, &(x, _))| (x, k)).collect();
    let mut feeds: Vec<(usize, u32)> = Vec::with_capacity(exits.len()); // (band of entry, slot of entry)
    let mut target: Vec<usize> = Vec::with_capacity(exits.len()); // exit id reached, or usize::MAX
    let mut indeg = vec![0u32; exits.len()];
    for &(_, e) in &exits {
        let b = e / band;
        let f = &forests[b];
        let s = f.slot_of[&((e % band) as u32)];
        feeds.push((b, s));
        let y = f.exit[s as usize];
        let t = if y == NONE { usize::MAX } else { exit_id[&(b * band + y as usize)] };
        if t != usize::MAX {
            indeg[t] += 1;
        }
        target.push(t);
    }
    let mut via = vec![0.0f64; exits.len()]; // Σ inflows of the entries whose path reaches the exit
    let mut inflow: Vec<Vec<f64>> = forests.iter().map(|f| vec![0.0; f.cell.len()]).collect(); // per slot
    let mut queue: VecDeque<usize> = (0..exits.len()).filter(|&k| indeg[k] == 0).collect();
    while let Some(k) = queue.pop_front() {
        let total = acc[exits[k].0] + via[k];
        let (b, s) = feeds[k];
        inflow[b][s as usize] += total;
        let t = target[k];
        if t != usize::MAX {
            via[t] += total;
            indeg[t] -= 1;
            if indeg[t] == 0 {
                queue.push_back(t);
            }
        }
    }
    // 4. inflows along the paths
    acc.par_chunks_mut(band).zip(forests.par_iter_mut()).zip(inflow).for_each(|((a, f), q)| f.add_inflows(q, a));
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

    /// Accumulation by brute force, independent of the topological walk: every cell adds its
    /// weight to each cell on its downstream path.
    fn by_path_walks(dir: &Grid<u8>, weight: &[f64]) -> Vec<f64> {
        let mut acc = vec![0.0; dir.len()];
        for (s, &wt) in weight.iter().enumerate() {
            let mut i = Some(s);
            while let Some(j) = i {
                acc[j] += wt;
                i = downstream(j, dir.data[j], dir.width);
            }
        }
        acc
    }

    /// A rough DEM taller than two bands, so flows cross band borders both ways.
    fn banded_dem() -> Grid<f32> {
        let h = 2 * BAND_ROWS + 77;
        let g = grid(53, h, |c, r| {
            let (x, y) = (c as f32, r as f32);
            3.0 * (x * 0.21).sin() * (y * 0.037).cos() + 0.004 * y + ((c * 7919 + r * 104729) % 89) as f32 * 0.01
        });
        fill_depressions(&g).unwrap()
    }

    #[test]
    fn bands_equal_path_walks() {
        let dir = flow_directions_d8(&banded_dem());
        let n = dir.len();
        // unit weights: exact
        let acc = flow_accumulation_d8(&dir, None);
        assert_eq!(acc.data, by_path_walks(&dir, &vec![1.0; n]));
        // crossings of band borders really happen in both directions
        let crosses = |r: usize, up: bool| {
            (0..dir.width).any(|c| {
                let d = dir.data[r * dir.width + c] as usize;
                d < 8 && if up { DROW[d] < 0 } else { DROW[d] > 0 }
            })
        };
        assert!(crosses(BAND_ROWS, true) && crosses(BAND_ROWS - 1, false));
        // float weights: equal up to rounding
        let wg = dir.with_data((0..n).map(|i| 0.1 + (i % 13) as f32 * 0.37).collect::<Vec<f32>>());
        let acc = flow_accumulation_d8(&dir, Some(&wg));
        let truth = by_path_walks(&dir, &wg.data.iter().map(|&v| v as f64).collect::<Vec<_>>());
        for (a, t) in acc.data.iter().zip(&truth) {
            assert!((a - t).abs() <= 1e-9 * t.abs(), "{a} vs {t}");
        }
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let dir = flow_directions_d8(&banded_dem());
        let wg = dir.with_data((0..dir.len()).map(|i| 0.1 + (i % 13) as f32 * 0.37).collect::<Vec<f32>>());
        let run = |t: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
            pool.install(|| flow_accumulation_d8(&dir, Some(&wg))).data
        };
        let one = run(1);
        for t in [2, 3] {
            assert!(one.iter().zip(run(t)).all(|(a, b)| a.to_bits() == b.to_bits()), "{t} threads");
        }
    }

    #[test]
    fn window_stops_at_its_border() {
        // Three cells draining east, the window holds the first two: the second collects both,
        // the third (outside) is untouched; a weight added to the first (an inflow) is carried on.
        let dir = [0u8, 0, 255];
        let mut acc = [5.0, 1.0];
        accumulate_window(&dir[..2], 2, &mut acc);
        assert_eq!(acc, [5.0, 6.0]);
    }
}
