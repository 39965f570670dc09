//! Drainage of flats for D8, in parallel with the result of the serial breadth-first search.
//!
//! A **flat** is an 8-connected set of cells marked [`FLAT`] by the direction pass: cells without
//! a lower neighbour that are neither on the grid edge nor next to NoData (those are outlets).
//! Two adjacent flat cells have equal elevation (otherwise the higher one had a lower
//! neighbour), so a flat is simply a connected component of flat cells. Its **seeds** are the
//! draining cells (a direction, or an outlet) of equal elevation next to it. The flat drains by a
//! breadth-first search that starts at the seeds in row-major order and walks into the flat,
//! every reached cell pointing back to the cell it was reached from (Garbrecht & Martz 1997,
//! "gradient towards lower terrain"; Barnes, Lehman & Mulla 2014): each flat cell drains along a
//! shortest path in cell steps to an exit, ties broken by seed order and then direction index.
//!
//! The search restricted to one flat depends only on that flat and its seeds: in the one global
//! search over all seeds, the cells of one flat are queued in the same relative order as in the
//! flat's own search, because only its own seeds and cells ever queue its cells. So flats are
//! independent and are drained in parallel with the same result bits as one serial search:
//! 1. per band of [`FLAT_BAND_ROWS`] rows (parallel): each flat piece inside the band is found by
//!    a depth-first flood, collecting its seeds with a mask of the directions from the seed into
//!    the flat (a seed may touch several flats, and must only walk into the current one); a piece
//!    with no flat neighbour in another band is a whole flat and is drained at once;
//! 2. pieces that touch flat cells in other bands are joined by union-find over their border
//!    cells (serial, small), and every joined flat is drained from its pieces' seeds (parallel
//!    over flats).
//!
//! During the resolution a flat cell holds [`FLAT`] (not yet seen), `VISITING` (seen, in a
//! piece) or `RESOLVED + k` (drains in direction `k`), all told apart from the immutable codes of
//! draining cells (0–7 and [`NO_DIRECTION`]); a last pass writes plain directions, and
//! [`NO_DIRECTION`] for flats without seeds (pits of an unfilled DEM). Threads only write cells of
//! the flats they drain, through atomic byte views (relaxed, plain loads and stores on x86), and
//! read other bands' cells only to ask "is this a flat cell", which no write changes.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use rayon::prelude::*;

use crate::d8::FLAT;
use crate::neighbours::{DCOL, DROW, NO_DIRECTION};

/// Rows per band of the parallel flat search (fixed; the result does not depend on it).
pub(crate) const FLAT_BAND_ROWS: usize = 128;

/// A flat cell already taken into a piece and not yet drained.
const VISITING: u8 = 253;
/// `RESOLVED + k`: a flat cell that drains in direction `k`.
const RESOLVED: u8 = 16;

/// Whether a working code belongs to a flat cell (not seen, seen or resolved).
#[inline(always)]
fn is_flat(d: u8) -> bool {
    d >= RESOLVED && d != NO_DIRECTION
}

/// Whether a working code belongs to a flat cell that has no direction yet.
#[inline(always)]
fn unresolved(d: u8) -> bool {
    d >= VISITING && d != NO_DIRECTION
}

/// A seed packed as `cell << 8 | mask` (mask bit `k`: the neighbour in direction `k` is a cell
/// of the flat), so that sorting orders seeds by cell.
type Seed = u64;

/// A flat piece that touches flat cells of other bands.
struct Piece {
    seeds: Vec<Seed>,
    /// Flat cells in other bands next to the piece.
    links: Vec<u32>,
}

/// What one band leaves for the join: its crossing pieces and their cells on the band's first
/// and last row, `(cell, piece)` sorted by cell.
#[derive(Default)]
struct Band {
    pieces: Vec<Piece>,
    border: Vec<(u32, u32)>,
}

/// Replaces every [`FLAT`] code in `dir` (directions of the `w`-wide DEM `z`, see
/// [`crate::d8::flow_directions_d8`]) by the direction of the breadth-first drainage described in
/// the module doc, or [`NO_DIRECTION`] for flats without seeds.
pub(crate) fn resolve_flats(z: &[f32], w: usize, dir: &mut [u8]) {
    resolve_flats_in_bands(z, w, dir, FLAT_BAND_ROWS);
}

/// [`resolve_flats`] with bands of `band_rows` rows (tests use small bands to force joins).
pub(crate) fn resolve_flats_in_bands(z: &[f32], w: usize, dir: &mut [u8], band_rows: usize) {
    if w == 0 || !dir.par_chunks(1 << 16).any(|c| c.contains(&FLAT)) {
        return;
    }
    let off: [isize; 8] = std::array::from_fn(|k| DROW[k] * w as isize + DCOL[k]);
    let band = band_rows.max(1) * w;
    {
        // SAFETY: AtomicU8 has the size, alignment and bit validity of u8, and `dir` is borrowed
        // mutably for the whole block, so every access goes through this view.
        let cells: &[AtomicU8] = unsafe { &*(dir as *mut [u8] as *const [AtomicU8]) };
        let bands: Vec<Band> = (0..dir.len().div_ceil(band))
            .into_par_iter()
            .map(|b| flood_band(z, w, cells, &off, b * band, ((b + 1) * band).min(cells.len())))
            .collect();
        join_and_drain(&bands, band, cells, &off);
    }
    dir.par_chunks_mut(1 << 16).for_each(|c| {
        for d in c {
            if is_flat(*d) {
                *d = if *d < RESOLVED + 8 { *d - RESOLVED } else { NO_DIRECTION };
            }
        }
    });
}

/// Step 1: finds the flat pieces of the band of cells `lo..hi`, drains those that lie wholly
/// inside it and returns the others.
fn flood_band(z: &[f32], w: usize, dir: &[AtomicU8], off: &[isize; 8], lo: usize, hi: usize) -> Band {
    let mut out = Band::default();
    let (mut stack, mut seeds, mut links, mut queue) = (vec![], vec![], vec![], vec![]);
    for start in lo..hi {
        if dir[start].load(Relaxed) != FLAT {
            continue;
        }
        dir[start].store(VISITING, Relaxed);
        stack.push(start);
        let border_from = out.border.len();
        let piece = out.pieces.len() as u32;
        while let Some(p) = stack.pop() {
            let zp = z[p];
            if p < lo + w || p + w >= hi {
                out.border.push((p as u32, piece));
            }
            // flat cells are never on the grid edge, so all eight neighbours exist
            for (k, o) in off.iter().enumerate() {
                let j = (p as isize + o) as usize;
                let d = dir[j].load(Relaxed);
                if is_flat(d) {
                    if j < lo || j >= hi {
                        links.push(j as u32);
                    } else if d == FLAT {
                        dir[j].store(VISITING, Relaxed);
                        stack.push(j);
                    }
                } else if z[j] == zp {
                    seeds.push(((j as u64) << 8) | (1 << ((k + 4) % 8)));
                }
            }
        }
        if links.is_empty() {
            out.border.truncate(border_from);
            drain(&mut seeds, dir, off, &mut queue);
        } else {
            out.pieces.push(Piece { seeds: std::mem::take(&mut seeds), links: std::mem::take(&mut links) });
        }
        seeds.clear();
    }
    out.border.sort_unstable();
    out
}

/// Step 2: joins the pieces of flats that cross band borders and drains each whole flat.
fn join_and_drain(bands: &[Band], band: usize, dir: &[AtomicU8], off: &[isize; 8]) {
    let first: Vec<usize> = bands
        .iter()
        .scan(0, |n, b| {
            let f = *n;
            *n += b.pieces.len();
            Some(f)
        })
        .collect();
    let pieces: Vec<&Piece> = bands.iter().flat_map(|b| &b.pieces).collect();
    if pieces.is_empty() {
        return;
    }
    let mut parent: Vec<u32> = (0..pieces.len() as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for (g, piece) in pieces.iter().enumerate() {
        for &j in &piece.links {
            let b = j as usize / band;
            let k = bands[b].border.partition_point(|&(c, _)| c < j);
            let (c, q) = bands[b].border[k];
            debug_assert_eq!(c, j, "a linked flat cell is on a crossing piece's border");
            let (ra, rb) = (find(&mut parent, g as u32), find(&mut parent, (first[b] + q as usize) as u32));
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    // flats in the order of their first piece, each with its pieces' seeds
    let mut flat_of = vec![u32::MAX; pieces.len()];
    let mut flats: Vec<Vec<Seed>> = vec![];
    for (g, piece) in pieces.iter().enumerate() {
        let r = find(&mut parent, g as u32) as usize;
        if flat_of[r] == u32::MAX {
            flat_of[r] = flats.len() as u32;
            flats.push(vec![]);
        }
        flats[flat_of[r] as usize].extend_from_slice(&piece.seeds);
    }
    flats.into_par_iter().for_each_init(Vec::new, |queue, mut seeds| drain(&mut seeds, dir, off, queue));
}

/// The breadth-first search of one flat from its `seeds` (any order, repeats allowed: sorted and
/// merged here): seeds in cell order, each walking into the flat in direction order, then the
/// reached cells first in, first out.
fn drain(seeds: &mut [Seed], dir: &[AtomicU8], off: &[isize; 8], queue: &mut Vec<u32>) {
    seeds.sort_unstable();
    queue.clear();
    let mut s = 0;
    while s < seeds.len() {
        let cell = seeds[s] >> 8;
        let mut mask = 0u8;
        while s < seeds.len() && seeds[s] >> 8 == cell {
            mask |= seeds[s] as u8;
            s += 1;
        }
        for (k, o) in off.iter().enumerate() {
            if mask & (1 << k) != 0 {
                let j = (cell as isize + o) as usize;
                if unresolved(dir[j].load(Relaxed)) {
                    dir[j].store(RESOLVED + ((k + 4) % 8) as u8, Relaxed);
                    queue.push(j as u32);
                }
            }
        }
    }
    // the neighbours of a flat cell that are unresolved flat cells belong to the same flat
    let mut head = 0;
    while head < queue.len() {
        let i = queue[head] as isize;
        for (k, o) in off.iter().enumerate() {
            let j = (i + o) as usize;
            if unresolved(dir[j].load(Relaxed)) {
                dir[j].store(RESOLVED + ((k + 4) % 8) as u8, Relaxed);
                queue.push(j as u32);
            }
        }
        head += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::d8::directions_with_flats;
    use crate::fill::fill_depressions;
    use crate::testdem::grid;
    use zwilling_core::Grid;

    /// The serial reference: one breadth-first search over all flats from all seeds in row-major
    /// order (the code of Sessions 1–6), written with bounds checks everywhere.
    fn serial_reference(dem: &Grid<f32>, mut dir: Vec<u8>) -> Vec<u8> {
        let (w, h) = (dem.width, dem.height);
        let z = &dem.data;
        let nb = |i: usize, k: usize| crate::neighbours::neighbour(i % w, i / w, k, w, h).map(|(c, r)| r * w + c);
        let mut queue: Vec<usize> = (0..w * h)
            .filter(|&i| {
                dir[i] != FLAT
                    && !dem.is_nodata(z[i])
                    && (0..8).any(|k| nb(i, k).is_some_and(|j| dir[j] == FLAT && z[j] == z[i]))
            })
            .collect();
        let mut head = 0;
        while head < queue.len() {
            let i = queue[head];
            for k in 0..8 {
                if let Some(j) = nb(i, k) {
                    if dir[j] == FLAT && z[j] == z[i] {
                        dir[j] = ((k + 4) % 8) as u8;
                        queue.push(j);
                    }
                }
            }
            head += 1;
        }
        dir.iter().map(|&d| if d == FLAT { NO_DIRECTION } else { d }).collect()
    }

    /// Terraces: a smooth surface rounded down to 0.5 m steps gives large flats that touch each
    /// other diagonally at different heights, reach the grid edge and cross band borders; hash
    /// pits (one cell lowered) make flats with an exit in their middle; NoData holes (a 3 × 3
    /// block and single cells, also on the edge) make outlets inside the grid.
    fn terraces(w: usize, h: usize, nodata: f32) -> Grid<f32> {
        let mut g = grid(w, h, |c, r| {
            let (x, y) = (c as f32, r as f32);
            let s = 2.0 * (x * 0.21).sin() * (y * 0.17).cos() + 0.05 * y + 0.03 * x;
            let hash = (c as u32).wrapping_mul(73856093) ^ (r as u32).wrapping_mul(19349663);
            (s * 2.0).floor() * 0.5 - if hash.is_multiple_of(97) { 0.25 } else { 0.0 }
        });
        g.nodata = Some(nodata as f64);
        for (c, r) in [(10, 10), (11, 10), (12, 10), (10, 11), (11, 11), (12, 11), (10, 12), (11, 12), (12, 12)] {
            g.data[r * w + c] = nodata;
        }
        for i in (0..w * h).filter(|i| i % 211 == 5) {
            g.data[i] = nodata;
        }
        g
    }

    fn check(dem: &Grid<f32>, what: &str) -> usize {
        let raw = directions_with_flats(dem);
        let flats = raw.iter().filter(|&&d| d == FLAT).count();
        let want = serial_reference(dem, raw.clone());
        for rows in [1, 2, 3, 7, FLAT_BAND_ROWS] {
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let mut got = raw.clone();
                pool.install(|| resolve_flats_in_bands(&dem.data, dem.width, &mut got, rows));
                let diff = got.iter().zip(&want).position(|(a, b)| a != b);
                assert_eq!(diff, None, "{what}: {rows} rows per band, {threads} threads, first difference");
            }
        }
        flats
    }

    #[test]
    fn parallel_drainage_equals_the_serial_search() {
        // Unfilled terraces (flats without an exit too), with NaN and with a NoData value.
        for nodata in [f32::NAN, -9999.0] {
            let dem = terraces(61, 47, nodata);
            let raw = directions_with_flats(&dem);
            let flats = check(&dem, "terraces");
            let resolved = serial_reference(&dem, raw.clone());
            let pits = raw.iter().zip(&resolved).filter(|(&a, &b)| a == FLAT && b == NO_DIRECTION).count();
            assert!(flats > 500 && pits > 0, "{flats} flat cells, {pits} undrained: the scene must exercise both");
        }
        // Filled: every flat drains.
        let filled = fill_depressions(&terraces(61, 47, -9999.0)).unwrap();
        let flats = check(&filled, "filled terraces");
        assert!(flats > 500, "{flats} flat cells after filling");
        assert!(flow_all_reach_outlets(&filled));
    }

    /// Every valid cell of the resolved directions reaches an outlet without loops.
    fn flow_all_reach_outlets(dem: &Grid<f32>) -> bool {
        let d = crate::d8::flow_directions_d8(dem).data;
        (0..d.len()).filter(|&i| !dem.is_nodata(dem.data[i])).all(|s| {
            let mut i = s;
            for _ in 0..d.len() {
                match crate::accumulation::downstream(i, d[i], dem.width) {
                    Some(j) => i = j,
                    None => return true,
                }
            }
            false
        })
    }

    #[test]
    fn one_flat_across_many_bands_with_a_shared_seed() {
        // A U-shaped flat at 5 m (arms in columns 1 and 4 joined in row 10, so with small bands
        // its pieces only meet in a lower band) and a flat at 5 m in column 6; between them the
        // draining cell S = (5, 5) at 5 m (it drains south into L = (5, 6) at 4 m) seeds both
        // flats and must walk into each only from that flat's own search.
        let (w, h) = (9, 12);
        let mut dem = grid(w, h, |_, _| 9.0);
        for r in 1..11 {
            for c in [1, 4, 6] {
                dem.data[r * w + c] = 5.0;
            }
        }
        dem.data[10 * w + 2] = 5.0;
        dem.data[10 * w + 3] = 5.0;
        dem.data[5 * w + 5] = 5.0; // S
        dem.data[6 * w + 5] = 4.0; // L
        dem.data[5 * w] = 3.0; // the U's exit on the west edge
        dem.data[6 * w + 7] = 3.0; // the second flat's exit next to it
        dem.data[6 * w + 8] = 3.0;
        let raw = directions_with_flats(&dem);
        assert_eq!(raw[5 * w + 5], 6, "S drains south into L");
        assert_eq!((raw[4 * w + 4], raw[4 * w + 6], raw[10 * w + 2]), (FLAT, FLAT, FLAT));
        check(&dem, "U and shared seed");
        let d = crate::d8::flow_directions_d8(&dem).data;
        // (4, 4) is reached first from the seed (4, 5) (index 49 < 50 of S): it drains south;
        // (6, 4) is reached first from S: it drains south-west into S.
        assert_eq!((d[4 * w + 4], d[4 * w + 6]), (6, 5));
    }
}
