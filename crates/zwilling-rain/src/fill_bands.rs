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

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use rayon::prelude::*;
use zwilling_core::Grid;

use crate::fill::{order_key, RadixQueue};
use crate::neighbours::{DCOL, DROW};

/// Label word of an open (not yet reached) cell.
const OPEN: u32 = 0;
/// Label of NoData cells and of the frame around a band's buffer (never part of an edge).
const NODATA: u32 = 1;
/// Label of cells that drain to a real outlet.
const OUTLET: u32 = 2;
/// First label given to a band-border seed.
const FIRST: u32 = 3;
/// Label of a band-border seed not popped yet (it gets a fresh label when popped).
const PENDING: u32 = u32::MAX;

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

/// One cell of a band's working buffer: elevation and label side by side, so that looking at a
/// neighbour touches one cache line, not two.
#[derive(Clone, Copy)]
struct Cell {
    z: f32,
    label: u32,
}

/// The frame cell around a band's buffer: closed, never raised, never part of an edge.
const FRAME: Cell = Cell { z: 0.0, label: NODATA };

/// Slots of the direct-mapped cache in front of a band's spill-edge map.
const EDGE_CACHE: usize = 1024;

/// Working memory of one thread, reused from band to band (no page faults or allocator traffic
/// per band).
struct Scratch {
    /// The band with a one-cell frame: `(rows + 2) × (width + 2)` cells.
    cells: Vec<Cell>,
    open: RadixQueue,
    pit: Vec<u32>,
    slope: Vec<u32>,
    /// Spill edges by label pair `(a << 32) | b`, `a < b`.
    edges: HashMap<u64, f32, BuildHasherDefault<PairHasher>>,
    /// Most recent edges (pair, elevation); pair 0 = empty. Neighbouring cells mostly repeat
    /// the same label pair, so most edges end here instead of in the map.
    cache: Vec<(u64, f32)>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            cells: Vec::new(),
            open: RadixQueue::new(),
            pit: Vec::new(),
            slope: Vec::new(),
            edges: HashMap::default(),
            cache: vec![(0, 0.0); EDGE_CACHE],
        }
    }
}

/// What the flood of one band hands to the global step.
struct BandFlood {
    /// Labels given (`FIRST..FIRST + labels`).
    labels: u32,
    /// Spill edges `(a, b, elevation)` between local labels, `a < b`.
    edges: Vec<(u32, u32, f32)>,
}

/// Fills `dem` band-parallel, `band_rows` rows per band; returns the filled elevations.
pub(crate) fn fill_bands(dem: &Grid<f32>, band_rows: usize) -> Vec<f32> {
    let (w, h) = (dem.width, dem.height);
    // Every cell of both arrays is written by its band's flood: zeroed pages from the allocator
    // are never initialised twice, and the first touch happens on the thread that uses them.
    let mut z = vec![0.0f32; w * h];
    let mut lab = vec![OPEN; w * h];
    let scratch: Vec<Mutex<Scratch>> = (0..rayon::current_num_threads()).map(|_| Mutex::new(Scratch::new())).collect();
    let floods: Vec<BandFlood> = z
        .par_chunks_mut(band_rows * w)
        .zip(lab.par_chunks_mut(band_rows * w))
        .enumerate()
        .map(|(b, (zb, lb))| {
            // Each worker thread uses its own slot (the lock is never contended).
            match rayon::current_thread_index().and_then(|t| scratch.get(t)) {
                Some(s) => flood_band(dem, b * band_rows, zb, lb, &mut s.lock().unwrap_or_else(|e| e.into_inner())),
                None => flood_band(dem, b * band_rows, zb, lb, &mut Scratch::new()),
            }
        })
        .collect();
    drop(scratch);
    // Global label ids: 0 = outlet, band b's label l ≥ FIRST → base[b] + l − FIRST + 1.
    let mut base = Vec::with_capacity(floods.len());
    let mut total = 1usize;
    for f in &floods {
        base.push(total);
        total += f.labels as usize;
    }
    let global = |b: usize, l: u32| if l == OUTLET { 0 } else { base[b] + (l - FIRST) as usize };
    let mut links: Vec<(u32, u32, f32)> = Vec::new();
    for (b, f) in floods.iter().enumerate() {
        links.extend(f.edges.iter().map(|&(la, lb, e)| (global(b, la) as u32, global(b, lb) as u32, e)));
    }
    // Edges across band borders: last row of band b − 1 against the first row of band b.
    for b in 1..floods.len() {
        let (ra, rb) = (b * band_rows - 1, b * band_rows);
        for c in 0..w {
            let ia = ra * w + c;
            let la = lab[ia];
            if la == NODATA {
                continue;
            }
            for cb in c.saturating_sub(1)..(c + 2).min(w) {
                let ib = rb * w + cb;
                let lb = lab[ib];
                if lb == NODATA || (la == OUTLET && lb == OUTLET) {
                    continue;
                }
                links.push((global(b - 1, la) as u32, global(b, lb) as u32, z[ia].max(z[ib])));
            }
        }
    }
    let spill = crate::spill_graph::spill_elevations(total, &links);
    drop(links);
    // Finalise: raise each cell to its label's spill elevation.
    z.par_chunks_mut(band_rows * w).zip(lab.par_chunks(band_rows * w)).enumerate().for_each(|(b, (zb, lb))| {
        for (v, &l) in zb.iter_mut().zip(lb) {
            if l >= FIRST {
                let s = spill[global(b, l)];
                if s > *v && s.is_finite() {
                    *v = s;
                }
            }
        }
    });
    z
}

/// Step 1 for the band whose first row is `r0`: writes the band's local fill into `z` and its
/// labels into `lab` (both the band's rows of the grid).
fn flood_band(dem: &Grid<f32>, r0: usize, z: &mut [f32], lab: &mut [u32], s: &mut Scratch) -> BandFlood {
    let (w, h) = (dem.width, dem.height);
    let rows = z.len() / w;
    let r1 = r0 + rows;
    // Buffer position of band cell (local row lr, column c); the frame makes every neighbour of
    // a band cell a valid position, so the flood needs no bounds logic.
    let pw = w + 2;
    let pos = |lr: usize, c: usize| (lr + 1) * pw + c + 1;
    let need = pw * (rows + 2);
    if s.cells.len() < need {
        s.cells.resize(need, FRAME);
    }
    let Scratch { cells, open, pit, slope, edges, cache } = s;
    let buf = &mut cells[..need];
    buf[..pw].fill(FRAME);
    buf[need - pw..].fill(FRAME);
    let mut any_nodata = false;
    for lr in 0..rows {
        let src = &dem.data[(r0 + lr) * w..][..w];
        let row = &mut buf[(lr + 1) * pw..][..pw];
        row[0] = FRAME;
        row[pw - 1] = FRAME;
        for (cell, &v) in row[1..=w].iter_mut().zip(src) {
            let nd = dem.is_nodata(v);
            any_nodata |= nd;
            *cell = Cell { z: v, label: if nd { NODATA } else { OPEN } };
        }
    }
    for r in [r0.wrapping_sub(1), r1] {
        if r < h {
            any_nodata |= dem.data[r * w..][..w].iter().any(|&v| dem.is_nodata(v));
        }
    }
    open.reset();
    let seed = |p: usize, label: u32, buf: &mut [Cell], open: &mut RadixQueue| {
        if buf[p].label == OPEN {
            buf[p].label = label;
            open.push(order_key(buf[p].z), p as u32);
        }
    };
    // Real outlets: cells next to NoData (also NoData just outside the band), then the DEM edge.
    if any_nodata {
        for r in r0.saturating_sub(1)..(r1 + 1).min(h) {
            for c in 0..w {
                if !dem.is_nodata(dem.data[r * w + c]) {
                    continue;
                }
                for k in 0..8 {
                    let (rr, cc) = (r as isize + DROW[k], c as isize + DCOL[k]);
                    if rr >= r0 as isize && (rr as usize) < r1 && cc >= 0 && (cc as usize) < w {
                        seed(pos(rr as usize - r0, cc as usize), OUTLET, buf, open);
                    }
                }
            }
        }
    }
    for lr in 0..rows {
        let r = r0 + lr;
        if r == r0 || r + 1 == r1 {
            let outlet_row = r == 0 || r + 1 == h;
            for c in 0..w {
                let edge = outlet_row || c == 0 || c + 1 == w;
                seed(pos(lr, c), if edge { OUTLET } else { PENDING }, buf, open);
            }
        } else {
            seed(pos(lr, 0), OUTLET, buf, open);
            seed(pos(lr, w - 1), OUTLET, buf, open);
        }
    }
    let off: [isize; 8] = std::array::from_fn(|k| DROW[k] * pw as isize + DCOL[k]);
    let mut next = FIRST;
    edges.clear();
    cache.fill((0, 0.0));
    let mut note_edge = |a: u32, b: u32, e: f32| {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let pair = ((a as u64) << 32) | b as u64;
        let slot = &mut cache[(pair.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize % EDGE_CACHE];
        if slot.0 == pair {
            slot.1 = slot.1.min(e);
        } else {
            if slot.0 != 0 {
                edges.entry(slot.0).and_modify(|v| *v = v.min(slot.1)).or_insert(slot.1);
            }
            *slot = (pair, e);
        }
    };
    pit.clear();
    slope.clear();
    loop {
        // (cell, may raise lower neighbours); see crate::fill for the three kinds of cells.
        let (i, flood) = if let Some(i) = pit.pop() {
            (i as usize, true)
        } else if let Some(i) = slope.pop() {
            (i as usize, false)
        } else if let Some(i) = open.pop() {
            let i = i as usize;
            if buf[i].label == PENDING {
                buf[i].label = next;
                next += 1;
            }
            (i, true)
        } else {
            break;
        };
        let Cell { z: zi, label: li } = buf[i];
        let mut lower = false;
        for o in off {
            let j = (i as isize + o) as usize;
            let Cell { z: zj, label: lj } = buf[j];
            if lj != OPEN {
                if lj != li && lj != NODATA && lj != PENDING {
                    note_edge(li, lj, zi.max(zj));
                }
                continue;
            }
            if zj <= zi && flood {
                buf[j] = Cell { z: zi, label: li };
                pit.push(j as u32);
            } else if zj >= zi {
                buf[j].label = li;
                slope.push(j as u32);
            } else {
                lower = true;
            }
        }
        if lower {
            open.push(order_key(zi), i as u32);
        }
    }
    for &(pair, e) in cache.iter().filter(|s| s.0 != 0) {
        edges.entry(pair).and_modify(|v| *v = v.min(e)).or_insert(e);
    }
    for lr in 0..rows {
        let src = &buf[pos(lr, 0)..][..w];
        for ((zo, lo), cell) in z[lr * w..][..w].iter_mut().zip(&mut lab[lr * w..][..w]).zip(src) {
            *zo = cell.z;
            *lo = cell.label;
        }
    }
    let mut out: Vec<(u32, u32, f32)> = edges.iter().map(|(&p, &e)| ((p >> 32) as u32, p as u32, e)).collect();
    out.sort_unstable_by_key(|&(a, b, _)| (a, b));
    BandFlood { labels: next - FIRST, edges: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

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
                let z = fill_bands(&dem, band_rows);
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
