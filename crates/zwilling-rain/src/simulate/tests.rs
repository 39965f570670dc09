//! Checks of the 2D solver against analytic cases and published benchmarks.

use super::*;
use crate::testdem::grid_res as grid;
use zwilling_core::Grid;

/// Bumpy terrain: a gentle slope to the south, sinusoidal bumps and a few pits.
fn bumpy(w: usize, h: usize) -> Grid<f32> {
    grid(w, h, 2.0, |c, r| {
        let (x, y) = (c as f32, r as f32);
        0.3 * (x * 0.7).sin() * (y * 0.45).cos() + 0.02 * (h as f32 - y) + 0.1 * ((c * 31 + r * 17) % 7) as f32 * 0.1
    })
}

#[test]
fn time_step_of_the_issue() {
    // Δx = 1 m, h_max = 0.406 m, cfl 0.7: 0.7 / √(9.81 · 0.406) = 0.3508 s.
    let dt = cfl_time_step(0.7, 1.0, 0.406, 100.0);
    assert!((dt - 0.351).abs() < 5e-4, "{dt}");
    assert_eq!(cfl_time_step(0.7, 1.0, 0.0, 5.0), 5.0);
}

#[test]
fn lake_at_rest_over_bumpy_terrain() {
    // Still water at η = 0.35 m over terrain that partly rises above it (dry islands): nothing
    // may move (well-balancedness).
    let dem = bumpy(40, 30);
    let eta = 0.35f64;
    let depth: Vec<f64> = dem.data.iter().map(|&z| (eta - z as f64).max(0.0)).collect();
    assert!(depth.contains(&0.0) && depth.iter().any(|&d| d > 0.1));
    let mut cfg = SimulationConfig::new(crate::storm::Hyetograph::block(0.0, 600.0).unwrap());
    cfg.edges = Edges::all(Boundary::Closed);
    let mut sim = Simulation::new(&dem, cfg, Some(depth.clone())).unwrap();
    sim.run_until(600.0, |_| {});
    assert!(sim.max_abs_discharge() < 1e-9, "max |q| = {}", sim.max_abs_discharge());
    for (a, b) in sim.depth().iter().zip(&depth) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn mass_balance_closes() {
    // Rain, a point inflow, constant infiltration and a free south edge on bumpy terrain.
    let dem = bumpy(60, 50);
    let mut cfg = SimulationConfig::new(crate::storm::Hyetograph::parse("90mm/1h").unwrap());
    cfg.duration_s = 1800.0;
    cfg.edges =
        Edges { south: Boundary::Critical, east: Boundary::Normal { slope: 0.01 }, ..Edges::all(Boundary::Closed) };
    cfg.infiltration = Infiltration::Constant { rate: 5e-6 };
    cfg.inflows = vec![PointInflow { col: 30, row: 3, hydrograph: vec![(0.0, 0.0), (600.0, 0.5), (1200.0, 0.0)] }];
    let r = simulate(&dem, &cfg).unwrap();
    let mb = r.mass_balance;
    assert!(mb.rain_in_m3 > 0.0 && mb.outflow_m3 > 0.0 && mb.infiltration_m3 > 0.0 && mb.inflow_m3 > 0.0, "{mb:?}");
    // rain volume is known exactly: 90 mm/h for 30 min over 60 × 50 cells of 4 m²
    assert!((mb.rain_in_m3 - 0.045 * 60.0 * 50.0 * 4.0).abs() < 1e-6);
    // inflow: triangle of 0.5 m³/s peak over 1200 s = 300 m³
    assert!((mb.inflow_m3 - 300.0).abs() < 0.5, "{}", mb.inflow_m3);
    assert!(mb.relative_error < 1e-6, "{mb:?}");
    assert!(r.max_depth.data.iter().all(|&d| d >= 0.0));
}

#[test]
fn tilted_v_catchment_reaches_steady_discharge() {
    // Di Giammarco, Todini & Lamberti (1996): two 800 m × 1000 m planes, lateral slope 0.05,
    // longitudinal slope 0.02, a 20 m channel between them, Manning 0.015 planes / 0.15
    // channel, 10.8 mm/h for 90 min on 20 m cells. Steady outflow = 10.8 mm/h · 1.62 km² =
    // 4.86 m³/s.
    let (w, h, res) = (81usize, 50usize, 20.0);
    let dem = grid(w, h, res, |c, r| {
        let along = 0.02 * ((h - 1 - r) as f32 * 20.0 + 10.0);
        let lateral = if c == 40 { 0.0 } else { 0.05 * ((c as f32 - 40.0).abs() * 20.0 - 10.0) };
        along + lateral
    });
    let mut manning = vec![0.015f32; w * h];
    for r in 0..h {
        manning[r * w + 40] = 0.15;
    }
    let mut cfg = SimulationConfig::new(crate::storm::Hyetograph::block(16.2, 5400.0).unwrap());
    cfg.manning_grid = Some(manning);
    cfg.edges = Edges { south: Boundary::Normal { slope: 0.02 }, ..Edges::all(Boundary::Closed) };
    cfg.report_interval_s = 60.0;
    let r = simulate(&dem, &cfg).unwrap();
    let (t, q) = *r.outflow_hydrograph.last().unwrap();
    assert!((t - 5400.0).abs() < 1e-6);
    assert!((q - 4.86).abs() / 4.86 < 0.02, "outflow at 90 min {q} m³/s");
    assert!(r.mass_balance.relative_error < 1e-6, "{:?}", r.mass_balance);
}

#[test]
fn extreme_rain_floods_at_least_as_deep_as_t100() {
    // Same terrain and duration: 90 mm/1 h (NRW extreme) against a T100-like 48.5 mm/1 h.
    let dem = bumpy(40, 30);
    let run = |spec: &str| {
        let mut cfg = SimulationConfig::new(crate::storm::Hyetograph::parse(spec).unwrap());
        cfg.duration_s = 3600.0;
        simulate(&dem, &cfg).unwrap()
    };
    let extreme = run("90mm/1h");
    let t100 = run("48.5mm/1h");
    // Below the wet/dry threshold (1 mm) depths are not resolved: there a tolerance of the
    // threshold; wherever the T100 run is wet (≥ 1 cm) strictly ≥.
    let mut wet = 0;
    for (i, (e, t)) in extreme.max_depth.data.iter().zip(&t100.max_depth.data).enumerate() {
        assert!(e + 1e-3 >= *t, "cell {i}: extreme {e} < T100 {t}");
        if *t >= 0.01 {
            wet += 1;
            assert!(e >= t, "wet cell {i}: extreme {e} < T100 {t}");
        }
    }
    assert!(wet > 50, "{wet}");
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let dem = bumpy(50, 70);
    let mut cfg = SimulationConfig::new(crate::storm::Hyetograph::parse("60mm/20min").unwrap());
    cfg.duration_s = 900.0;
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| simulate(&dem, &cfg).unwrap());
    let two = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| simulate(&dem, &cfg).unwrap());
    assert_eq!(one.max_depth.data, two.max_depth.data);
    assert_eq!(one.mass_balance, two.mass_balance);
}

#[test]
fn fast_friction_power_matches_libm() {
    // h^(−7/3) over the depths the solver meets (1 mm … 20 m), against f64 powf.
    let mut h = 1e-3f32;
    while h < 20.0 {
        let exact = (h as f64).powf(-7.0 / 3.0);
        let fast = super::solver::pow_minus_7_3(h) as f64;
        assert!((fast - exact).abs() / exact < 2e-6, "h = {h}: {fast} vs {exact}");
        h *= 1.01;
    }
}

#[test]
fn octant_matches_atan2() {
    // Away from the 22.5° sector borders the comparison octant equals round(atan2 / 45°) mod 8.
    for i in 0..3600 {
        let a = (i as f32 * 0.1 + 0.05).to_radians();
        let (x, y) = (2.5 * a.cos(), 2.5 * a.sin());
        let expect = (((y.atan2(x)) / std::f32::consts::FRAC_PI_4).round() as i32).rem_euclid(8) as usize;
        let border = ((i as f32 * 0.1 + 0.05 - 22.5) / 45.0).fract().abs();
        if border > 1e-3 && border < 1.0 - 1e-3 {
            assert_eq!(super::solver::octant(x, y), expect, "angle {}", i as f32 * 0.1 + 0.05);
        }
    }
}
