//! Checks of the catchment-group decomposition against whole-grid runs.

use super::grouped::{merge_groups, simulate_group, simulate_grouped};
use super::groups::partition_catchments;
use super::*;
use crate::testdem::grid;

/// A roof: two 40 m planes falling 5 % east and west from a ridge on column 40, 1 % to the south.
fn roof() -> zwilling_core::Grid<f32> {
    grid(81, 10, |c, r| 5.0 - 0.05 * (c as f32 - 40.0).abs() - 0.01 * r as f32)
}

fn config(minutes: f64) -> SimulationConfig {
    let mut cfg = SimulationConfig::new(crate::storm::Hyetograph::parse("90mm/1h").unwrap());
    cfg.duration_s = minutes * 60.0;
    cfg.snapshot_times = vec![300.0];
    cfg
}

#[test]
fn groups_add_up_to_the_whole_rain_and_close_their_mass_balance() {
    let dem = crate::testdem::rolling_dem(48, 40);
    let cfg = config(10.0);
    let p = partition_catchments(&dem, 3).unwrap();
    assert!(p.windows.len() >= 2);
    let runs: Vec<SimulationResult> =
        (0..p.windows.len()).map(|g| simulate_group(&dem, &p, &cfg, g).unwrap()).collect();
    for r in &runs {
        assert!(r.mass_balance.relative_error < 1e-6, "{:?}", r.mass_balance);
    }
    let merged = merge_groups(&dem, &p.labels.data, &p.windows, &runs).unwrap();
    assert!(merged.mass_balance.relative_error < 1e-6, "{:?}", merged.mass_balance);
    // rain falls on every cell exactly once: 90 mm/h for 10 min on 48 × 40 cells of 1 m²
    let exact = 0.015 * 48.0 * 40.0;
    assert!((merged.mass_balance.rain_in_m3 - exact).abs() < 1e-9 * exact, "{}", merged.mass_balance.rain_in_m3);
    let whole = simulate(&dem, &cfg).unwrap();
    assert!((whole.mass_balance.rain_in_m3 - merged.mass_balance.rain_in_m3).abs() < 1e-9 * exact);
    // the hydrograph is the sum of the groups'
    let sum: f64 = runs.iter().map(|r| r.outflow_hydrograph[3].1).sum();
    assert_eq!(merged.outflow_hydrograph[3].1, sum);
    assert_eq!(merged.snapshots.len(), 1);
}

#[test]
fn a_roof_split_at_its_ridge_matches_the_whole_grid_run() {
    // Water never crosses the ridge of a roof, so the grouped run differs from the whole-grid
    // run only through the ridge column, which drains to both sides in the whole run and to one
    // side (the other is a wall) in the grouped run: at most one cell (Δx) of contributing
    // length moves between the sides. On a kinematic plane the depth at distance x from the
    // divide is h(x) = (r x n / √S)^{3/5}, concave in x, so one extra Δx raises a depth by at
    // most h(Δx) = (2.5e-5 · 1 · 0.2 / √0.05)^{0.6} = 1.6 mm (n = 0.2, dense vegetation, so that
    // the sheet is deep compared with the threshold); below the 1 mm wet/dry threshold the scheme
    // stores water up to the threshold instead: bound h(Δx) + threshold = 2.6 mm. The planes'
    // foot is at steady state after 20 min (kinematic time of concentration ≈ 10 min), over 3× deeper.
    let dem = roof();
    let mut cfg = config(20.0);
    cfg.manning = 0.2;
    let p = partition_catchments(&dem, 2).unwrap();
    assert_eq!(p.windows.len(), 2);
    let whole = simulate(&dem, &cfg).unwrap();
    let grouped = simulate_grouped(&dem, &cfg, 2).unwrap();
    let h_dx = (2.5e-5f64 * 1.0 * 0.2 / 0.05f64.sqrt()).powf(0.6);
    let bound = (h_dx + cfg.depth_threshold) as f32;
    let diff = whole.max_depth.data.iter().zip(&grouped.max_depth.data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    let deepest = whole.max_depth.data.iter().fold(0.0f32, |a, &b| a.max(b));
    eprintln!("roof: max |Δ max depth| = {diff:.5} m (bound {bound:.5} m), deepest {deepest:.4} m");
    assert!(diff <= bound, "max depth differs by {diff} m, bound {bound} m");
    assert!(deepest > 3.0 * bound, "the scene must be wet enough for the bound to mean something");
    // rain volume exactly the same (to float summation), the outflow within 1 %
    let (a, b) = (whole.mass_balance, grouped.mass_balance);
    assert!((a.rain_in_m3 - b.rain_in_m3).abs() < 1e-9 * a.rain_in_m3);
    assert!((a.outflow_m3 - b.outflow_m3).abs() < 0.01 * a.outflow_m3, "{} vs {}", a.outflow_m3, b.outflow_m3);
}

#[test]
fn one_group_is_the_whole_grid_run() {
    // K = 1 on a DEM without NoData: one window = the grid, no extra walls, the same edges.
    let dem = roof();
    let cfg = config(5.0);
    let whole = simulate(&dem, &cfg).unwrap();
    let one = simulate_grouped(&dem, &cfg, 1).unwrap();
    assert_eq!(whole.max_depth.data, one.max_depth.data);
    assert_eq!(whole.outflow_hydrograph, one.outflow_hydrograph);
    assert_eq!(whole.mass_balance.final_storage_m3, one.mass_balance.final_storage_m3);
}

#[test]
fn grouped_results_do_not_depend_on_thread_count() {
    let dem = crate::testdem::rolling_dem(40, 32);
    let cfg = config(5.0);
    let run =
        |t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| simulate_grouped(&dem, &cfg, 3));
    let (a, b) = (run(1).unwrap(), run(2).unwrap());
    assert_eq!(a.max_depth.data, b.max_depth.data);
    assert_eq!(a.mass_balance, b.mass_balance);
}
