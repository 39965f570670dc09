//! D8 flow directions with flats resolved (O'Callaghan & Mark 1984; flats after Garbrecht &
//! Martz 1997, "towards lower terrain" gradient).
//!
//! Each valid cell drains to the one of its eight neighbours with the steepest descent
//! `(z − z_k) / d_k`, `d_k` = 1 for edge and √2 for corner neighbours (ties: lowest direction
//! index, see [`crate::neighbours`]). A cell without a lower neighbour:
//! - on the grid edge or next to NoData is an **outlet** ([`NO_DIRECTION`]): water leaves there,
//!   the same edge rule as [`crate::fill`];
//! - otherwise lies on a flat. Flats are resolved by a breadth-first search that starts at the
//!   flat's draining cells (cells of equal elevation that have a direction or are outlets) and
//!   walks into the flat, each reached cell pointing back to the cell it was reached from: every
//!   flat cell drains along the shortest path (in cell steps) to the flat's exit, as in the
//!   "gradient towards lower terrain" of Garbrecht & Martz (1997) and Barnes, Lehman & Mulla
//!   (2014, "An efficient assignment of drainage direction over flat surfaces"), without their
//!   second gradient away from higher terrain. Flats are drained in parallel (bands of rows,
//!   then flats that cross band borders), with the same result bits as one serial search over
//!   all flats at any thread count (see `flats.rs`);
//! - flats that have no exit (pits of an unfilled DEM) stay [`NO_DIRECTION`].
//!
//! Run it on a filled DEM ([`crate::fill::fill_depressions`]): then every cell reaches an outlet.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::d8::flow_directions_d8;
//! // A plane falling to the east: every cell drains east (direction 0).
//! let mut dem = Grid::filled(4, 3, GeoTransform::new(0.0, 3.0, 1.0), 0.0f32);
//! for (i, z) in dem.data.iter_mut().enumerate() { *z = 10.0 - (i % 4) as f32; }
//! let dir = flow_directions_d8(&dem);
//! assert_eq!(dir.data[0], 0);
//! ```

use rayon::prelude::*;
use zwilling_core::Grid;

pub use crate::neighbours::NO_DIRECTION;
use crate::neighbours::{distance, ESRI_CODE};

/// Working direction code of a cell with no lower neighbour that does not drain off the grid; flats are
/// resolved to real directions before [`flow_directions_d8`] returns.
pub const FLAT: u8 = 254;

/// The D8 choice for one cell of elevation `zi`: the neighbour `k` of steepest descent
/// `(zi − z_k) · inv[k % 2]` (first of equal slopes in the fixed neighbour order), [`FLAT`] when no
/// neighbour is lower, or [`NO_DIRECTION`] for a flat cell that drains off the grid (`on_edge`) or
/// into NoData. `neighbour(k)` gives neighbour k's elevation, `None` outside the grid; `inv` holds
/// the reciprocal cardinal and diagonal distances. Shared with the tile-parallel D8 of
/// `zwilling-tiled`, which must choose exactly as this does.
#[inline]
pub fn steepest_descent(
    zi: f32,
    on_edge: bool,
    inv: &[f32; 2],
    is_nodata: impl Fn(f32) -> bool,
    neighbour: impl Fn(usize) -> Option<f32>,
) -> u8 {
    let mut best = 0.0f32;
    let mut best_k = FLAT;
    let mut outlet = on_edge;
    for k in 0..8 {
        let Some(zj) = neighbour(k) else { continue };
        if is_nodata(zj) {
            outlet = true;
            continue;
        }
        let s = (zi - zj) * inv[k % 2];
        if s > best {
            best = s;
            best_k = k as u8;
        }
    }
    if best_k == FLAT && outlet {
        NO_DIRECTION
    } else {
        best_k
    }
}

/// D8 direction index (0 E … 7 SE, see [`crate::neighbours`]) of every cell, or [`NO_DIRECTION`]
/// for NoData, outlets and undrained pits.
pub fn flow_directions_d8(dem: &Grid<f32>) -> Grid<u8> {
    let mut dir = directions_with_flats(dem);
    crate::flats::resolve_flats(&dem.data, dem.width, &mut dir);
    dem.with_data(dir)
}

/// The D8 choice of every cell ([`steepest_descent`]), [`FLAT`] where a flat is still to be
/// resolved, [`NO_DIRECTION`] for NoData and outlets.
pub(crate) fn directions_with_flats(dem: &Grid<f32>) -> Vec<u8> {
    let (w, h) = (dem.width, dem.height);
    let z = &dem.data;
    let nd = |v: f32| dem.is_nodata(v);
    let inv = [1.0 / distance(0) as f32, 1.0 / distance(1) as f32];
    let off: [isize; 8] = std::array::from_fn(|k| DROW[k] * w as isize + DCOL[k]);
    // rows holding NoData: their neighbour rows take the general path
    let nodata_row: Vec<bool> = z.par_chunks(w.max(1)).map(|row| row.iter().any(|&v| nd(v))).collect();
    let general = |r: usize, c: usize| {
        let i = r * w + c;
        let zi = z[i];
        if nd(zi) {
            return NO_DIRECTION;
        }
        let edge = r == 0 || c == 0 || r + 1 == h || c + 1 == w;
        steepest_descent(zi, edge, &inv, nd, |k| {
            if !edge {
                return Some(z[(i as isize + off[k]) as usize]);
            }
            let (cc, rr) = (c as isize + DCOL[k], r as isize + DROW[k]);
            (cc >= 0 && rr >= 0 && cc < w as isize && rr < h as isize).then(|| z[rr as usize * w + cc as usize])
        })
    };
    // zeroed allocation: its pages are first touched (and faulted in) by the parallel row loop
    let mut dir = vec![0u8; w * h];
    dir.par_chunks_mut(w.max(1)).enumerate().for_each(|(r, row)| {
        if r > 0 && r + 1 < h && w > 2 && !nodata_row[r - 1] && !nodata_row[r] && !nodata_row[r + 1] {
            // interior of a row without NoData around: the same choice as `steepest_descent`
            // (same slopes, same order, same strict comparison) without its checks
            let (up, mid, down) = (&z[(r - 1) * w..r * w], &z[r * w..(r + 1) * w], &z[(r + 1) * w..(r + 2) * w]);
            let cells = up.windows(3).zip(mid.windows(3)).zip(down.windows(3)).zip(&mut row[1..w - 1]);
            for (((u, m), d), out) in cells {
                let zi = m[1];
                let nb = [m[2], u[2], u[1], u[0], m[0], d[0], d[1], d[2]];
                let mut best = 0.0f32;
                let mut best_k = FLAT;
                for (k, &zj) in nb.iter().enumerate() {
                    let s = (zi - zj) * inv[k % 2];
                    if s > best {
                        best = s;
                        best_k = k as u8;
                    }
                }
                *out = best_k;
            }
            for c in [0, w - 1] {
                row[c] = general(r, c);
            }
        } else {
            for (c, d) in row.iter_mut().enumerate() {
                *d = general(r, c);
            }
        }
    });
    dir
}

use crate::neighbours::{DCOL, DROW};

/// The directions as ESRI D8 codes (E 1, SE 2, S 4, SW 8, W 16, NW 32, N 64, NE 128; 0 = none).
pub fn to_esri(dir: &Grid<u8>) -> Grid<u8> {
    let mut g = dir.map(|&d| if (d as usize) < 8 { ESRI_CODE[d as usize] } else { 0 });
    g.nodata = None;
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fill::fill_depressions;
    use crate::testdem::grid;

    #[test]
    fn cone_drains_radially_outwards() {
        // A cone peaked at the centre: each cell drains away from the centre.
        let g = grid(11, 11, |c, r| 100.0 - ((c as f32 - 5.0).powi(2) + (r as f32 - 5.0).powi(2)).sqrt());
        let d = flow_directions_d8(&g);
        assert_eq!(d.data[5 * 11 + 8], 0); // east of the peak drains east
        assert_eq!(d.data[2 * 11 + 5], 2); // north of the peak drains north
        assert_eq!(d.data[8 * 11 + 8], 7); // south-east diagonal drains south-east
    }

    #[test]
    fn filled_pit_drains_across_the_flat() {
        // A flat-bottomed basin with one exit in the west rim; after filling, every flat cell
        // must get a direction and the chain must reach the exit.
        let g = grid(9, 7, |c, r| {
            if (c, r) == (0, 3) {
                1.0
            } else if c == 0 || r == 0 || c == 8 || r == 6 {
                9.0
            } else {
                2.0 + ((c * 13 + r * 7) % 5) as f32 * -0.1
            }
        });
        let f = fill_depressions(&g).unwrap();
        let d = flow_directions_d8(&f);
        for r in 1..6 {
            for c in 1..8 {
                let (mut cc, mut rr) = (c, r);
                let mut steps = 0;
                while d.data[rr * 9 + cc] != NO_DIRECTION {
                    let k = d.data[rr * 9 + cc] as usize;
                    cc = (cc as isize + DCOL[k]) as usize;
                    rr = (rr as isize + DROW[k]) as usize;
                    steps += 1;
                    assert!(steps < 100, "loop from {c},{r}");
                }
                assert_eq!((cc, rr), (0, 3), "cell {c},{r} ends elsewhere");
            }
        }
        assert_eq!(to_esri(&d).data[3 * 9 + 1], 16); // next to the exit: drains west
    }
}
