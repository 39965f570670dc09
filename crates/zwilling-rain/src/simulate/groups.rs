//! Partition of a DEM into catchment groups for a decomposed rain simulation.
//!
//! A rain-on-grid run can be split where water does not cross: along drainage divides. The DEM is
//! filled (Priority-Flood, [`crate::fill::fill_depressions`]) and routed with D8 on the filled
//! surface ([`crate::d8::flow_directions_d8`]), so every valid cell drains to exactly one
//! **outlet**: a cell on the DEM edge or next to NoData without a lower neighbour. Every cell is
//! labelled with the outlet its flow path reaches (its D8 catchment). The outlets are ordered
//! around the DEM by the pseudo-angle of their cell centre seen from the grid centre (a
//! monotonic, trigonometry-free stand-in for `atan2`, counter-clockwise from east; ties by cell
//! index), which for edge outlets is their order along the perimeter. The ordered outlets are cut
//! into `K` contiguous runs of about equal cell count: outlet `i` with `n_i` cells and `c_i` cells
//! before it in the order (total `N`) goes to group
//!
//! ```text
//! g_i = min(K − 1, ⌊(2 c_i + n_i) · K / (2 N)⌋)        (integer arithmetic, deterministic)
//! ```
//!
//! i.e. the group its catchment's midpoint falls in. Groups that receive no outlet (one catchment
//! larger than N/K) are dropped and the rest renumbered, so there may be fewer than `K` groups.
//! A group is the union of the catchments of its outlets: every valid cell belongs to exactly one
//! group, including cells a building mask will later close (they are labelled by the terrain under
//! them); NoData cells belong to none ([`NO_GROUP`]).
//!
//! Each group has a bounding window (the smallest rectangle of cells that holds it), on which its
//! simulation runs with every cell outside the group closed ([`super::grouped`]).
//!
//! ```
//! use zwilling_rain::simulate::groups::partition_catchments;
//! use zwilling_rain::testdem::grid;
//! // A ridge along column 5 of an 11 × 6 grid: every row half drains to its end on the west or
//! // east edge, so the catchments are row halves and each lies in one group.
//! let dem = grid(11, 6, |c, _| 10.0 - (c as f32 - 5.0).abs());
//! let p = partition_catchments(&dem, 2).unwrap();
//! assert_eq!(p.windows.len(), 2);
//! assert_eq!(p.windows.iter().map(|w| w.cells).sum::<usize>(), 66);
//! let west_half_of_row_2 = &p.labels.data[22..27];
//! assert!(west_half_of_row_2.iter().all(|&g| g == west_half_of_row_2[0]));
//! ```

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Grid, Result};

use crate::d8::{flow_directions_d8, NO_DIRECTION};
use crate::neighbours::{DCOL, DROW};

/// Label of cells that belong to no group (NoData).
pub const NO_GROUP: i32 = -1;

/// The bounding window of one group, in cells of the whole DEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupWindow {
    /// First column.
    pub col0: usize,
    /// First row.
    pub row0: usize,
    /// Width in cells.
    pub cols: usize,
    /// Height in cells.
    pub rows: usize,
    /// Cells of the group.
    pub cells: usize,
    /// Outlets (catchments) in the group.
    pub outlets: usize,
}

impl GroupWindow {
    /// Cells of the window (the work of its simulation per step).
    pub fn area(&self) -> usize {
        self.cols * self.rows
    }

    /// The window cut out of a row-major whole-DEM array of `width` columns.
    pub fn cut<T: Copy>(&self, data: &[T], width: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(self.area());
        for r in self.row0..self.row0 + self.rows {
            out.extend_from_slice(&data[r * width + self.col0..r * width + self.col0 + self.cols]);
        }
        out
    }

    /// The window of a whole-DEM grid, georeferenced as a windowed GeoTIFF read gives it
    /// (origin shifted by `col0 · cell_x`, `−row0 · cell_y`).
    pub fn crop<T: Copy>(&self, grid: &Grid<T>) -> Grid<T> {
        let mut transform = grid.transform;
        transform.origin_x += self.col0 as f64 * transform.cell_x;
        transform.origin_y -= self.row0 as f64 * transform.cell_y;
        Grid {
            width: self.cols,
            height: self.rows,
            data: self.cut(&grid.data, grid.width),
            transform,
            crs: grid.crs.clone(),
            nodata: grid.nodata,
        }
    }
}

/// The windows of groups from their cell bounds `(col0, row0, col1, row1, cells)` (inclusive) and
/// their outlet counts, in group order.
pub fn group_windows(bounds: &[(usize, usize, usize, usize, usize)], outlets: &[usize]) -> Vec<GroupWindow> {
    bounds
        .iter()
        .zip(outlets)
        .map(|(&(c0, r0, c1, r1, cells), &outlets)| GroupWindow {
            col0: c0,
            row0: r0,
            cols: c1 - c0 + 1,
            rows: r1 - r0 + 1,
            cells,
            outlets,
        })
        .collect()
}

/// Catchment groups of a DEM.
#[derive(Debug, Clone)]
pub struct Partition {
    /// Group of every cell (0-based), [`NO_GROUP`] for NoData; georeferenced like the DEM.
    pub labels: Grid<i32>,
    /// Bounding window of each group, in group order.
    pub windows: Vec<GroupWindow>,
}

/// Pseudo-angle of `(dx, dy)` in `[0, 4)`, counter-clockwise from east, monotonic in the true
/// angle (the "diamond angle"); 0 for the origin.
fn pseudo_angle(dx: f64, dy: f64) -> f64 {
    let s = dx.abs() + dy.abs();
    if s == 0.0 {
        return 0.0;
    }
    match (dx >= 0.0, dy >= 0.0) {
        (true, true) => dy / s,
        (false, true) => 1.0 - dx / s,
        (false, false) => 2.0 - dy / s,
        (true, false) => 3.0 + dx / s,
    }
}

/// A cell index stored per cell: `u32` while the grid has fewer than 2³² − 1 cells (4 bytes per
/// cell), `u64` beyond.
trait CellIndex: Copy + Eq {
    const NONE: Self;
    fn from_index(i: usize) -> Self;
    fn index(self) -> u64;
}

impl CellIndex for u32 {
    const NONE: Self = u32::MAX;
    fn from_index(i: usize) -> Self {
        i as u32
    }
    fn index(self) -> u64 {
        self as u64
    }
}

impl CellIndex for u64 {
    const NONE: Self = u64::MAX;
    fn from_index(i: usize) -> Self {
        i as u64
    }
    fn index(self) -> u64 {
        self
    }
}

/// The outlet (cell index) each cell's D8 path reaches; `L::NONE` for NoData. A cell is an outlet
/// when it has no direction (or one ≥ 8), or its downstream neighbour is off the grid or NoData.
fn outlet_labels<L: CellIndex>(dir: &Grid<u8>, valid: &[bool]) -> Vec<L> {
    let (w, h) = (dir.width, dir.height);
    let mut label = vec![L::NONE; w * h];
    let mut path: Vec<usize> = vec![];
    for start in 0..w * h {
        if !valid[start] || label[start] != L::NONE {
            continue;
        }
        let mut i = start;
        let found = loop {
            if label[i] != L::NONE {
                break label[i];
            }
            path.push(i);
            let d = dir.data[i];
            if d == NO_DIRECTION || d as usize >= 8 {
                break L::from_index(i);
            }
            let (c, r) = ((i % w) as isize + DCOL[d as usize], (i / w) as isize + DROW[d as usize]);
            if c < 0 || r < 0 || c >= w as isize || r >= h as isize || !valid[r as usize * w + c as usize] {
                break L::from_index(i);
            }
            i = r as usize * w + c as usize;
        };
        for &p in &path {
            label[p] = found;
        }
        path.clear();
    }
    label
}

/// The groups of a DEM's outlets ([`assign_groups`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletGroups {
    /// Group (0-based) of each outlet, in the order of the input.
    pub group: Vec<i32>,
    /// Number of outlets in each group, in group order; its length is the number of groups.
    pub outlets_per_group: Vec<usize>,
}

/// Checks the requested group count `k` (1 ≤ k < 2³¹).
pub fn check_group_count(k: usize) -> Result<()> {
    if k == 0 || k > i32::MAX as usize {
        return Err(Error::invalid(format!("catchment groups: need 1 ≤ K < 2^31, got {k}")));
    }
    Ok(())
}

/// Assigns the outlets of a `width × height` DEM to at most `k` groups (see the module doc):
/// `outlets` holds `(outlet cell, catchment cells)` pairs, the cell as the row-major index
/// `row · width + col` (any order). The outlets are ordered by the pseudo-angle of their cell
/// centre around the grid centre (ties by cell index) and cut into `k` runs of about equal cell
/// count by catchment midpoints; groups without an outlet are dropped. Errors for a bad `k`, no
/// cells at all, an outlet outside the grid or listed twice.
///
/// Both [`partition_catchments`] and the tile-parallel partition (`zwilling_tiled::catchments`)
/// call this, so they assign identically.
///
/// ```
/// use zwilling_rain::simulate::groups::assign_groups;
/// // Three outlets on a 4 × 4 grid: east edge (cell 7, 10 cells), north edge (cell 1, 3 cells),
/// // west edge (cell 8, 3 cells). Counter-clockwise from east: 7, 1, 8; midpoints 5, 11.5, 14.5
/// // of 16 cells, so with K = 2 the east outlet is group 0 and the others group 1.
/// let g = assign_groups(&[(1, 3), (7, 10), (8, 3)], 4, 4, 2).unwrap();
/// assert_eq!(g.group, [1, 0, 1]);
/// assert_eq!(g.outlets_per_group, [1, 2]);
/// ```
pub fn assign_groups(outlets: &[(u64, u64)], width: usize, height: usize, k: usize) -> Result<OutletGroups> {
    check_group_count(k)?;
    let cells = width as u128 * height as u128;
    let total: u128 = outlets.iter().map(|&(_, n)| n as u128).sum();
    if total == 0 {
        return Err(Error::invalid("catchment groups: the DEM has no valid cells"));
    }
    if let Some(&(o, _)) = outlets.iter().find(|&&(o, _)| o as u128 >= cells) {
        return Err(Error::invalid(format!(
            "catchment groups: outlet cell {o} is outside the {width} × {height} grid"
        )));
    }
    // Outlets in the order around the grid centre.
    let (w, cx, cy) = (width as u64, width as f64 / 2.0, height as f64 / 2.0);
    let mut order: Vec<(f64, u64, usize)> = outlets
        .iter()
        .enumerate()
        .map(|(k, &(o, _))| {
            let (c, r) = ((o % w) as f64 + 0.5, (o / w) as f64 + 0.5);
            (pseudo_angle(c - cx, cy - r), o, k)
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if let Some(p) = order.windows(2).find(|p| p[0].1 == p[1].1) {
        return Err(Error::invalid(format!("catchment groups: outlet cell {} is listed twice", p[0].1)));
    }
    // Cut into K runs by catchment midpoints; drop empty groups.
    let mut group = vec![0i32; outlets.len()];
    let mut outlets_per_group: Vec<usize> = vec![];
    let mut before = 0u128;
    let mut last = usize::MAX;
    for &(_, _, idx) in &order {
        let n = outlets[idx].1 as u128;
        let g = (((2 * before + n) * k as u128) / (2 * total)).min(k as u128 - 1) as usize;
        if g != last {
            last = g;
            outlets_per_group.push(0);
        }
        *outlets_per_group.last_mut().expect("a group was started") += 1;
        group[idx] = (outlets_per_group.len() - 1) as i32;
        before += n;
    }
    Ok(OutletGroups { group, outlets_per_group })
}

/// Splits `dem` into at most `k` catchment groups (see the module doc). Errors for `k = 0`, more
/// than 2³¹ groups or a DEM without valid cells.
pub fn partition_catchments(dem: &Grid<f32>, k: usize) -> Result<Partition> {
    check_group_count(k)?;
    if dem.len() < u32::MAX as usize {
        partition_with::<u32>(dem, k)
    } else {
        partition_with::<u64>(dem, k)
    }
}

fn partition_with<L: CellIndex>(dem: &Grid<f32>, k: usize) -> Result<Partition> {
    let (w, h) = (dem.width, dem.height);
    let valid: Vec<bool> = dem.data.iter().map(|&v| !dem.is_nodata(v)).collect();
    if !valid.contains(&true) {
        return Err(Error::invalid("catchment groups: the DEM has no valid cells"));
    }
    let filled = crate::fill::fill_depressions(dem)?;
    let dir = flow_directions_d8(&filled);
    drop(filled);
    let outlet_of = outlet_labels::<L>(&dir, &valid);
    drop(dir);
    // Outlets with their catchment sizes.
    let mut size = std::collections::BTreeMap::<u64, u64>::new();
    for &o in outlet_of.iter().filter(|&&o| o != L::NONE) {
        *size.entry(o.index()).or_default() += 1;
    }
    let outlets: Vec<(u64, u64)> = size.into_iter().collect();
    let groups = assign_groups(&outlets, w, h, k)?;
    let group_of_outlet: std::collections::HashMap<u64, i32> =
        outlets.iter().zip(&groups.group).map(|(&(o, _), &g)| (o, g)).collect();
    let mut labels = dem.with_data(vec![NO_GROUP; w * h]);
    labels.nodata = Some(NO_GROUP as f64);
    let mut bounds = vec![(usize::MAX, usize::MAX, 0usize, 0usize, 0usize); groups.outlets_per_group.len()];
    for (i, &o) in outlet_of.iter().enumerate() {
        if o == L::NONE {
            continue;
        }
        let g = group_of_outlet[&o.index()];
        labels.data[i] = g;
        let b = &mut bounds[g as usize];
        let (c, r) = (i % w, i / w);
        *b = (b.0.min(c), b.1.min(r), b.2.max(c), b.3.max(r), b.4 + 1);
    }
    let windows = group_windows(&bounds, &groups.outlets_per_group);
    Ok(Partition { labels, windows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid;

    #[test]
    fn pseudo_angle_is_monotonic_counter_clockwise() {
        let pts =
            [(1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (-1.0, 1.0), (-1.0, 0.0), (-1.0, -1.0), (0.0, -1.0), (1.0, -1.0)];
        let a: Vec<f64> = pts.iter().map(|&(x, y)| pseudo_angle(x, y)).collect();
        assert_eq!(a, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]);
    }

    #[test]
    fn a_ridge_splits_the_groups_where_the_divide_is() {
        // Two planes meeting in a ridge on column 12 of 30, tilted a little to the south so that
        // there are no flats: truth is that columns 0–11 drain to the west edge and columns 13–29
        // to the east edge (the ridge column itself is a tie, left to D8's tie rule).
        let (w, h) = (30usize, 20usize);
        let dem = grid(w, h, |c, r| 20.0 - 0.5 * (c as f32 - 12.0).abs() - 0.01 * r as f32);
        let p = partition_catchments(&dem, 2).unwrap();
        assert_eq!(p.windows.len(), 2);
        for r in 0..h {
            for c in 0..w {
                let g = p.labels.data[r * w + c];
                let west = p.labels.data[r * w];
                let east = p.labels.data[r * w + w - 1];
                if c < 12 {
                    assert_eq!(g, west, "cell ({c}, {r}) is west of the ridge");
                } else if c > 12 {
                    assert_eq!(g, east, "cell ({c}, {r}) is east of the ridge");
                }
            }
        }
        assert_ne!(p.labels.data[0], p.labels.data[w - 1]);
        // every cell in exactly one group, windows hold their cells
        let total: usize = p.windows.iter().map(|g| g.cells).sum();
        assert_eq!(total, w * h);
        for (g, win) in p.windows.iter().enumerate() {
            let n = p.labels.data.iter().filter(|&&l| l == g as i32).count();
            assert_eq!(n, win.cells);
            for (i, &l) in p.labels.data.iter().enumerate() {
                if l == g as i32 {
                    let (c, r) = (i % w, i / w);
                    assert!(c >= win.col0 && c < win.col0 + win.cols && r >= win.row0 && r < win.row0 + win.rows);
                }
            }
        }
    }

    #[test]
    fn groups_drain_to_disjoint_contiguous_outlet_runs() {
        // Rolling terrain with many catchments: each group's outlets form one run of the
        // perimeter order, the runs do not overlap, and sizes are near N/K.
        let dem = crate::testdem::rolling_dem(80, 60);
        let k = 4;
        let p = partition_catchments(&dem, k).unwrap();
        assert!(p.windows.len() <= k && p.windows.len() >= 2);
        assert!(p.labels.data.iter().all(|&l| l >= 0 && (l as usize) < p.windows.len()));
        let total: usize = p.windows.iter().map(|g| g.cells).sum();
        assert_eq!(total, 80 * 60);
        // the outlets (cells without a D8 direction on the filled DEM), walked counter-clockwise
        // from the east-edge midpoint, carry ascending group labels: contiguous, disjoint runs
        let (w, h) = (80usize, 60usize);
        let dir = flow_directions_d8(&crate::fill::fill_depressions(&dem).unwrap());
        let mut ring: Vec<(f64, usize)> = (0..w * h)
            .filter(|&i| dir.data[i] == NO_DIRECTION)
            .map(|i| {
                let (c, r) = ((i % w) as f64 + 0.5, (i / w) as f64 + 0.5);
                (pseudo_angle(c - w as f64 / 2.0, h as f64 / 2.0 - r), i)
            })
            .collect();
        assert!(ring.len() > 8, "the scene should have many outlets");
        ring.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut seq: Vec<i32> = ring.iter().map(|&(_, i)| p.labels.data[i]).collect();
        seq.dedup();
        assert_eq!(seq, (0..p.windows.len() as i32).collect::<Vec<_>>());
        // about equal sizes: no group above twice the mean unless it is a single catchment
        for g in &p.windows {
            assert!(g.cells <= 2 * total / k || g.outlets == 1, "{:?}", p.windows);
        }
    }

    #[test]
    fn wide_cell_indices_label_like_narrow_ones() {
        // Grids of 2³² cells and more store u64 outlet indices; the labelling must not depend on it.
        let mut dem = crate::testdem::rolling_dem(37, 23);
        dem.nodata = Some(-9999.0);
        dem.data[5 * 37 + 9] = -9999.0;
        let dir = flow_directions_d8(&crate::fill::fill_depressions(&dem).unwrap());
        let valid: Vec<bool> = dem.data.iter().map(|&v| !dem.is_nodata(v)).collect();
        let narrow = outlet_labels::<u32>(&dir, &valid);
        let wide = outlet_labels::<u64>(&dir, &valid);
        assert!(narrow.iter().zip(&wide).all(|(&a, &b)| if a == u32::MAX { b == u64::MAX } else { a as u64 == b }));
        assert_eq!(wide[5 * 37 + 9], u64::MAX);
    }

    #[test]
    fn assign_groups_rejects_bad_outlets() {
        assert!(assign_groups(&[(3, 2), (3, 1)], 4, 4, 2).is_err(), "duplicate outlet");
        assert!(assign_groups(&[(16, 2)], 4, 4, 2).is_err(), "outlet outside the grid");
        assert!(assign_groups(&[(3, 0)], 4, 4, 2).is_err(), "no cells");
        assert!(assign_groups(&[(3, 2)], 4, 4, 0).is_err(), "K = 0");
        // Beyond 2³² cells: outlet indices above u32::MAX are kept apart. On a 100 000²-cell grid
        // the east-edge outlet (row 49 999, just above the centre) comes before the north-west corner counter-clockwise.
        let east = 49_999u64 * 100_000 + 99_999;
        let g = assign_groups(&[(0, 10), (east, 10)], 100_000, 100_000, 2).unwrap();
        assert!(east > u32::MAX as u64);
        assert_eq!(g.group, [1, 0]);
    }

    #[test]
    fn nodata_cells_belong_to_no_group_and_k1_is_one_group() {
        let mut dem = crate::testdem::rolling_dem(40, 30);
        dem.nodata = Some(-9999.0);
        for c in 10..20 {
            dem.data[15 * 40 + c] = -9999.0;
        }
        let p = partition_catchments(&dem, 1).unwrap();
        assert_eq!(p.windows.len(), 1);
        assert_eq!(p.windows[0].cells, 40 * 30 - 10);
        assert_eq!(p.labels.data[15 * 40 + 12], NO_GROUP);
        assert!(partition_catchments(&dem, 0).is_err());
    }
}
