//! The rain simulation decomposed into catchment groups ([`super::groups`]): every group runs
//! alone on its bounding window, the results are merged cell by cell.
//!
//! A group's run ([`group_config`]) is the whole-grid run restricted to the group: cells of the
//! window outside the group are closed (walls, no rain, no flow); window edges that are DEM edges
//! keep the configured [`Boundary`], the others are closed (the cells beyond them belong to other
//! groups). The solver puts rain on active cells only, so the rain volume of the groups adds up
//! to the whole-grid rain volume; each group keeps its own mass balance and its own adaptive time
//! step `Δt = cfl Δx / √(g h_max)` (from the group's deepest cell).
//!
//! Merge ([`merge_groups`]): every cell's maxima, time of maximum, flow direction at the peak,
//! final depth and snapshots come from the cell's group; NoData cells keep the values of an
//! inactive cell (0, NaN time of maximum). The outflow hydrograph and every volume of the mass
//! balance are summed over the groups in group order (fixed order: the same bytes at any thread
//! count); `steps` is the total over groups, the time steps of the first group's records are used.
//!
//! This is a **modelling choice**, not an exact rewrite of the whole-grid run: divides of the
//! filled DEM's D8 become walls. Water that in the 2D run would spill over a divide (a full sink
//! overflowing into the neighbour catchment, a sheet wider than the D8 divide suggests, backwater
//! at a junction of two catchments) stays in its group. Where the terrain is steep compared with
//! the water depth, the difference is small (see the tests below and docs/rain.md); on flat
//! terrain with ponding across divides it is not. Its gain: groups are independent, so they run
//! on different machines without any halo exchange, and each group's time step follows its own
//! deepest water instead of the whole grid's.
//!
//! ```
//! use zwilling_rain::simulate::{grouped, SimulationConfig};
//! use zwilling_rain::storm::Hyetograph;
//! let dem = zwilling_rain::testdem::grid(12, 6, |c, _| 10.0 - (c as f32 - 6.0).abs());
//! let mut cfg = SimulationConfig::new(Hyetograph::parse("30mm/10min").unwrap());
//! cfg.duration_s = 600.0;
//! let r = grouped::simulate_grouped(&dem, &cfg, 2).unwrap();
//! assert!(r.mass_balance.relative_error < 1e-6);
//! ```

use zwilling_core::{Error, Grid, Result};

use super::groups::{partition_catchments, GroupWindow, Partition, NO_GROUP};
use super::{Boundary, Edges, MassBalance, SimulationConfig, SimulationResult};

/// The configuration of group `group`'s run on `window` of a DEM of `dem_width × dem_height`
/// cells. `window_labels` is the group raster cut to the window; `base.closed` and
/// `base.manning_grid`, if given, are already window-sized (cut them with [`GroupWindow::cut`]);
/// point inflows are in whole-DEM cells and are kept (shifted) only where they fall in the group.
pub fn group_config(
    base: &SimulationConfig,
    window: &GroupWindow,
    dem_width: usize,
    dem_height: usize,
    window_labels: &[i32],
    group: usize,
) -> Result<SimulationConfig> {
    let n = window.area();
    if window_labels.len() != n {
        return Err(Error::invalid(format!("group labels have {} cells, the window {n}", window_labels.len())));
    }
    let g = group as i32;
    let mut closed: Vec<bool> = window_labels.iter().map(|&l| l != g).collect();
    if let Some(c) = &base.closed {
        if c.len() != n {
            return Err(Error::invalid(format!("closed-cell mask has {} cells, the window {n}", c.len())));
        }
        for (a, &b) in closed.iter_mut().zip(c) {
            *a |= b;
        }
    }
    let keep = |edge: bool, b: Boundary| if edge { b } else { Boundary::Closed };
    let e = base.edges;
    let edges = Edges {
        north: keep(window.row0 == 0, e.north),
        south: keep(window.row0 + window.rows == dem_height, e.south),
        west: keep(window.col0 == 0, e.west),
        east: keep(window.col0 + window.cols == dem_width, e.east),
    };
    let inflows = base
        .inflows
        .iter()
        .filter(|p| {
            let inside = p.col >= window.col0
                && p.col < window.col0 + window.cols
                && p.row >= window.row0
                && p.row < window.row0 + window.rows;
            inside && window_labels[(p.row - window.row0) * window.cols + p.col - window.col0] == g
        })
        .map(|p| super::PointInflow { col: p.col - window.col0, row: p.row - window.row0, ..p.clone() })
        .collect();
    Ok(SimulationConfig { closed: Some(closed), edges, inflows, ..base.clone() })
}

/// Runs group `group` of `partition` on its window of `dem` (whole DEM in memory; a cluster task
/// reads only the window and calls [`group_config`] and [`super::simulate`] itself).
/// `base.closed` / `base.manning_grid` are whole-DEM sized here.
pub fn simulate_group(
    dem: &Grid<f32>,
    partition: &Partition,
    base: &SimulationConfig,
    group: usize,
) -> Result<SimulationResult> {
    let win = partition
        .windows
        .get(group)
        .ok_or_else(|| Error::invalid(format!("group {group} does not exist ({} groups)", partition.windows.len())))?;
    let mut cut = base.clone();
    cut.closed = base.closed.as_ref().map(|c| win.cut(c, dem.width));
    cut.manning_grid = base.manning_grid.as_ref().map(|m| win.cut(m, dem.width));
    let labels = win.cut(&partition.labels.data, dem.width);
    let cfg = group_config(&cut, win, dem.width, dem.height, &labels, group)?;
    super::simulate(&win.crop(dem), &cfg)
}

/// Partitions `dem` into at most `k` catchment groups, runs every group and merges them: the
/// in-process form of the decomposed run (`k = 1` is one group spanning all valid cells, which
/// equals [`super::simulate`] on a DEM without NoData border effects).
pub fn simulate_grouped(dem: &Grid<f32>, config: &SimulationConfig, k: usize) -> Result<SimulationResult> {
    let p = partition_catchments(dem, k)?;
    let runs: Vec<SimulationResult> =
        (0..p.windows.len()).map(|g| simulate_group(dem, &p, config, g)).collect::<Result<_>>()?;
    merge_groups(dem, &p.labels.data, &p.windows, &runs)
}

/// Merges the results of every group (in group order, `runs[g]` on `windows[g]`) into whole-DEM
/// results georeferenced like `template` (see the module doc).
pub fn merge_groups<T: Clone>(
    template: &Grid<T>,
    labels: &[i32],
    windows: &[GroupWindow],
    runs: &[SimulationResult],
) -> Result<SimulationResult> {
    let (w, n) = (template.width, template.len());
    if labels.len() != n || windows.len() != runs.len() || runs.is_empty() {
        return Err(Error::invalid(format!(
            "merge: {} labels for {n} cells, {} windows, {} group results",
            labels.len(),
            windows.len(),
            runs.len()
        )));
    }
    let first = &runs[0];
    for (g, r) in runs.iter().enumerate() {
        if r.snapshots.len() != first.snapshots.len() || r.outflow_hydrograph.len() != first.outflow_hydrograph.len() {
            return Err(Error::invalid(format!("merge: group {g} has other snapshot or report times than group 0")));
        }
        if r.max_depth.width != windows[g].cols || r.max_depth.height != windows[g].rows {
            return Err(Error::invalid(format!("merge: group {g}'s result does not match its window")));
        }
    }
    let mut hmax = vec![0.0f32; n];
    let mut vmax = vec![0.0f32; n];
    let mut tmax = vec![f32::NAN; n];
    let mut dir = vec![0u8; n];
    let mut fin = vec![0.0f32; n];
    let mut snaps: Vec<Vec<f32>> = vec![vec![0.0f32; n]; first.snapshots.len()];
    for (g, (win, r)) in windows.iter().zip(runs).enumerate() {
        for wr in 0..win.rows {
            for wc in 0..win.cols {
                let i = (win.row0 + wr) * w + win.col0 + wc;
                if labels[i] != g as i32 {
                    continue;
                }
                let j = wr * win.cols + wc;
                hmax[i] = r.max_depth.data[j];
                vmax[i] = r.max_velocity.data[j];
                tmax[i] = r.time_of_max.data[j];
                dir[i] = r.flow_dir_at_peak.data[j];
                fin[i] = r.final_depth.data[j];
                for (s, (_, sg)) in snaps.iter_mut().zip(&r.snapshots) {
                    s[i] = sg.data[j];
                }
            }
        }
    }
    debug_assert!(labels.iter().all(|&l| l == NO_GROUP || (l as usize) < windows.len()));
    let mut mb = MassBalance::default();
    let mut outflow: Vec<(f64, f64)> = first.outflow_hydrograph.iter().map(|&(t, _)| (t, 0.0)).collect();
    for r in runs {
        let m = &r.mass_balance;
        mb.rain_in_m3 += m.rain_in_m3;
        mb.inflow_m3 += m.inflow_m3;
        mb.outflow_m3 += m.outflow_m3;
        mb.infiltration_m3 += m.infiltration_m3;
        mb.initial_storage_m3 += m.initial_storage_m3;
        mb.final_storage_m3 += m.final_storage_m3;
        mb.steps += m.steps;
        mb.simulated_s = mb.simulated_s.max(m.simulated_s);
        for (o, &(_, q)) in outflow.iter_mut().zip(&r.outflow_hydrograph) {
            o.1 += q;
        }
    }
    mb.close();
    let grid = |nodata: Option<f64>, data: Vec<f32>| {
        let mut g = template.with_data(data);
        g.nodata = nodata;
        g
    };
    let mut flow_dir_at_peak = template.with_data(dir);
    flow_dir_at_peak.nodata = None;
    Ok(SimulationResult {
        max_depth: grid(None, hmax),
        max_velocity: grid(None, vmax),
        time_of_max: grid(Some(f64::NAN), tmax),
        flow_dir_at_peak,
        final_depth: grid(None, fin),
        snapshots: first.snapshots.iter().zip(snaps).map(|((t, _), s)| (*t, grid(template.nodata, s))).collect(),
        outflow_hydrograph: outflow,
        mass_balance: mb,
    })
}
