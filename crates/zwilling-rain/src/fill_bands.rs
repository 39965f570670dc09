//! Band-parallel depression filling (in memory), after Barnes (2016), "Parallel Priority-Flood
//! depression filling for trillion cell digital elevation models", *Computers & Geosciences* 96,
//! 56–68.
//!
//! The filled elevation is the minimax ("spill") elevation
//! `F(c) = min over paths P from c to an outlet of max_{p ∈ P} z(p)` (outlets: the DEM edge and
//! the cells next to NoData, as in [`crate::fill`]). The grid is cut into horizontal bands:
//!
//! 1. per band (parallel): the flood of [`crate::fill`] with the band's top and bottom rows as
//!    extra seeds. It gives the local fill `Fₗ(c)` and a **label** per cell: the label of the seed
//!    the cell was flooded from (every band-border seed gets its own label, real outlets share
//!    label `OUTLET`), and the spill edges `(label a, label b, max(Fₗ(a), Fₗ(b)))` between
//!    adjacent cells of different labels (minimum per pair kept);
//! 2. once: edges across band borders (`max(z(a), z(b))`) are added and a minimax Dijkstra from
//!    the outlet label gives every label its spill elevation `S(l)` (the graph has about two
//!    labels per border cell, so this step is small);
//! 3. per band (parallel): `F(c) = max(Fₗ(c), S(label c))`.
//!
//! Exact because `Fₗ ≤ F` and the labels a globally optimal path crosses form a graph path of
//! weight ≤ `F(c)`, while each cell reaches its label's seed through cells not higher than `Fₗ(c)`
//! (see the proof in Barnes 2016, and `zwilling-tiled`'s fill, which does the same for tiles on
//! a cluster). Values are copies of input elevations, so the result equals the serial
//! [`crate::fill::fill_depressions`] bit for bit and does not depend on the number of bands.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;
use zwilling_core::Grid;

use crate::fill::{order_key, RadixQueue};
use crate::neighbours::{NeighbourIndex, DCOL, DROW};

/// Label word of an open (not yet reached) cell.
const OPEN: u32 = 0;
/// Label of NoData cells (never part of an edge).
const NODATA: u32 = 1;
/// Label of cells that drain to a real outlet.
const OUTLET: u32 = 2;
/// First label given to a band-border seed.
const FIRST: u32 = 3;
/// Label of a band-border seed not popped yet (it gets a fresh label when popped).
const PENDING: u32 = 0x7FFF_FFFF;
/// Flag bit: the cell is on the band's rim, its neighbours need bounds checks.
const RIM: u32 = 0x8000_0000;

/// Multiplicative hash of a label pair (the keys are two small integers; no DoS concern).
#[derive(Default)]
struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// What the flood of one band hands to the global step.
struct BandFlood {
    /// Labels given (`FIRST..FIRST + labels`).
    labels: u32,
    /// Spill edges `(a, b, elevation)` between local labels, `a < b`.
    edges: Vec<(u32, u32, f32)>,
}

/// Fills `dem` band-parallel into `z` (a copy of the DEM data); `band_rows` rows per band.
pub(crate) fn fill_bands(dem: &Grid<f32>, z: &mut [f32], band_rows: usize) {
    let (w, h) = (dem.width, dem.height);
    let mut lab = vec![OPEN; w * h];
    let floods: Vec<BandFlood> = z
        .par_chunks_mut(band_rows * w)
        .zip(lab.par_chunks_mut(band_rows * w))
        .enumerate()
        .map(|(b, (zb, lb))| flood_band(dem, b * band_rows, zb, lb))
        .collect();
    // Global label ids: 0 = outlet, band b's label l ≥ FIRST → base[b] + l − FIRST + 1.
    let mut base = Vec::with_capacity(floods.len());
    let mut total = 1usize;
    for f in &floods {
        base.push(total);
        total += f.labels as usize;
    }
    let global = |b: usize, l: u32| if l == OUTLET { 0 } else { base[b] + (l - FIRST) as usize };
    let mut adj: Vec<Vec<(u32, f32)>> = vec![Vec::new(); total];
    let mut link = |a: usize, b: usize, e: f32| {
        adj[a].push((b as u32, e));
        adj[b].push((a as u32, e));
    };
    for (b, f) in floods.iter().enumerate() {
        for &(la, lb, e) in &f.edges {
            link(global(b, la), global(b, lb), e);
        }
    }
    // Edges across band borders: last row of band b − 1 against the first row of band b.
    for b in 1..floods.len() {
        let (ra, rb) = (b * band_rows - 1, b * band_rows);
        for c in 0..w {
            let ia = ra * w + c;
            let la = lab[ia] & !RIM;
            if la == NODATA {
                continue;
            }
            for cb in c.saturating_sub(1)..(c + 2).min(w) {
                let ib = rb * w + cb;
                let lb = lab[ib] & !RIM;
                if lb == NODATA || (la == OUTLET && lb == OUTLET) {
                    continue;
                }
                link(global(b - 1, la), global(b, lb), z[ia].max(z[ib]));
            }
        }
    }
    // Minimax Dijkstra from the outlet label.
    let mut spill = vec![f32::INFINITY; total];
    spill[0] = f32::NEG_INFINITY;
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((order_key(f32::NEG_INFINITY), 0u32)));
    let mut done = vec![false; total];
    while let Some(Reverse((_, l))) = heap.pop() {
        let l = l as usize;
        if std::mem::replace(&mut done[l], true) {
            continue;
        }
        for &(m, e) in &adj[l] {
            let s = spill[l].max(e);
            if s < spill[m as usize] {
                spill[m as usize] = s;
                heap.push(Reverse((order_key(s), m)));
            }
        }
    }
    // Finalise: raise each cell to its label's spill elevation.
    z.par_chunks_mut(band_rows * w).zip(lab.par_chunks(band_rows * w)).enumerate().for_each(|(b, (zb, lb))| {
        for (v, &l) in zb.iter_mut().zip(lb) {
            let l = l & !RIM;
            if l >= FIRST {
                let s = spill[global(b, l)];
                if s > *v && s.is_finite() {
                    *v = s;
                }
            }
        }
    });
}

/// Step 1 for the band whose first row is `r0`: `z` and `lab` are the band's rows.
fn flood_band(dem: &Grid<f32>, r0: usize, z: &mut [f32], lab: &mut [u32]) -> BandFlood {
    let (w, h) = (dem.width, dem.height);
    let rows = z.len() / w;
    let r1 = r0 + rows;
    let mut open = RadixQueue::new();
    for (l, &v) in lab.iter_mut().zip(z.iter()) {
        if dem.is_nodata(v) {
            *l = NODATA;
        }
    }
    let rim_row = |r: usize| r == r0 || r + 1 == r1;
    let seed = |li: usize, label: u32, lab: &mut [u32], open: &mut RadixQueue| {
        if lab[li] == OPEN {
            let (r, c) = (r0 + li / w, li % w);
            let rim = if rim_row(r) || c == 0 || c + 1 == w { RIM } else { 0 };
            lab[li] = label | rim;
            open.push(order_key(z[li]), li as u32);
        }
    };
    // Real outlets: cells next to NoData (also NoData just outside the band), then the DEM edge.
    for r in r0.saturating_sub(1)..(r1 + 1).min(h) {
        for c in 0..w {
            if !dem.is_nodata(dem.data[r * w + c]) {
                continue;
            }
            for k in 0..8 {
                let (rr, cc) = (r as isize + DROW[k], c as isize + DCOL[k]);
                if rr >= r0 as isize && (rr as usize) < r1 && cc >= 0 && (cc as usize) < w {
                    seed((rr as usize - r0) * w + cc as usize, OUTLET, lab, &mut open);
                }
            }
        }
    }
    for lr in 0..rows {
        let r = r0 + lr;
        let outlet_row = r == 0 || r + 1 == h;
        if rim_row(r) {
            for c in 0..w {
                let edge = outlet_row || c == 0 || c + 1 == w;
                seed(lr * w + c, if edge { OUTLET } else { PENDING }, lab, &mut open);
            }
        } else {
            seed(lr * w, OUTLET, lab, &mut open);
            seed(lr * w + w - 1, OUTLET, lab, &mut open);
        }
    }
    let nb = NeighbourIndex::new(w, rows);
    let mut next = FIRST;
    let mut edges: HashMap<u64, f32, BuildHasherDefault<PairHasher>> = HashMap::default();
    let mut pit: Vec<u32> = Vec::new();
    let mut slope: Vec<u32> = Vec::new();
    loop {
        // (cell, may raise lower neighbours); see crate::fill for the three kinds of cells.
        let (i, flood) = if let Some(i) = pit.pop() {
            (i as usize, true)
        } else if let Some(i) = slope.pop() {
            (i as usize, false)
        } else if let Some(i) = open.pop() {
            let i = i as usize;
            if lab[i] & !RIM == PENDING {
                lab[i] = (lab[i] & RIM) | next;
                next += 1;
            }
            (i, true)
        } else {
            break;
        };
        let zi = z[i];
        let (li, rim) = (lab[i] & !RIM, lab[i] & RIM != 0);
        let mut lower = false;
        for j in nb.of(i, rim) {
            let lj = lab[j];
            if lj != OPEN {
                let lj = lj & !RIM;
                if lj != li && lj != NODATA && lj != PENDING {
                    let (a, b) = if li < lj { (li, lj) } else { (lj, li) };
                    let pair = ((a as u64) << 32) | b as u64;
                    let e = zi.max(z[j]);
                    edges.entry(pair).and_modify(|v| *v = v.min(e)).or_insert(e);
                }
                continue;
            }
            if z[j] <= zi && flood {
                lab[j] = li;
                z[j] = zi;
                pit.push(j as u32);
            } else if z[j] >= zi {
                lab[j] = li;
                slope.push(j as u32);
            } else {
                lower = true;
            }
        }
        if lower {
            open.push(order_key(zi), i as u32);
        }
    }
    let mut edges: Vec<(u32, u32, f32)> = edges.into_iter().map(|(p, e)| ((p >> 32) as u32, p as u32, e)).collect();
    edges.sort_unstable_by_key(|&(a, b, _)| (a, b));
    BandFlood { labels: next - FIRST, edges }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid;

    /// Textbook Priority-Flood (Barnes, Lehman & Mulla 2014, Algorithm 1: binary heap, every cell
    /// through the heap) with the same edge rule, as an independent reference.
    fn reference_fill(dem: &Grid<f32>) -> Vec<f32> {
        let (w, h) = (dem.width as isize, dem.height as isize);
        let mut z = dem.data.clone();
        let mut closed: Vec<bool> = z.iter().map(|&v| dem.is_nodata(v)).collect();
        let mut heap = BinaryHeap::new();
        for r in 0..h {
            for c in 0..w {
                let i = (r * w + c) as usize;
                let next_to_nodata = (0..8).any(|k| {
                    let (rr, cc) = (r + DROW[k], c + DCOL[k]);
                    rr >= 0 && cc >= 0 && rr < h && cc < w && dem.is_nodata(dem.data[(rr * w + cc) as usize])
                });
                if !closed[i] && (r == 0 || c == 0 || r == h - 1 || c == w - 1 || next_to_nodata) {
                    closed[i] = true;
                    heap.push(Reverse((order_key(z[i]), i)));
                }
            }
        }
        while let Some(Reverse((_, i))) = heap.pop() {
            let (r, c) = (i as isize / w, i as isize % w);
            for k in 0..8 {
                let (rr, cc) = (r + DROW[k], c + DCOL[k]);
                if rr < 0 || cc < 0 || rr >= h || cc >= w {
                    continue;
                }
                let j = (rr * w + cc) as usize;
                if !closed[j] {
                    closed[j] = true;
                    z[j] = z[j].max(z[i]);
                    heap.push(Reverse((order_key(z[j]), j)));
                }
            }
        }
        z
    }

    /// Terrain with pits, plateaus (values rounded to 0.25 m), a basin across many bands and
    /// NoData holes (one touching the grid edge).
    fn test_dem(w: usize, h: usize, seed: u32) -> Grid<f32> {
        let mut g = grid(w, h, |c, r| {
            let hash = ((c as u32).wrapping_mul(73856093) ^ (r as u32).wrapping_mul(19349663) ^ seed) % 17;
            let basin = ((c as f32 - w as f32 / 2.0).powi(2) + (r as f32 - h as f32 / 2.0).powi(2)).sqrt() * 0.3;
            ((basin + hash as f32 * 0.2) * 4.0).round() / 4.0
        });
        for (c, r) in [(5, 6), (6, 6), (6, 7), (0, h / 2), (1, h / 2), (w - 4, h - 9)] {
            g.data[r * w + c] = f32::NAN;
        }
        g
    }

    #[test]
    fn bands_equal_textbook_priority_flood() {
        for (w, h, seed) in [(37, 41, 1u32), (50, 23, 7), (16, 64, 99)] {
            let dem = test_dem(w, h, seed);
            let want = reference_fill(&dem);
            assert!(want.iter().zip(&dem.data).filter(|(a, b)| a > b).count() > 20, "the DEM has depressions");
            for band_rows in [1, 2, 3, 5, 8, 13, h] {
                let mut z = dem.data.clone();
                fill_bands(&dem, &mut z, band_rows);
                for (i, (a, b)) in z.iter().zip(&want).enumerate() {
                    assert_eq!(a.to_bits(), b.to_bits(), "{w}x{h}, {band_rows} rows per band, cell {i}");
                }
            }
            let serial = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let got = serial.install(|| crate::fill::fill_depressions(&dem).unwrap());
            for (i, (a, b)) in got.data.iter().zip(&want).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{w}x{h} serial, cell {i}");
            }
        }
    }
}
