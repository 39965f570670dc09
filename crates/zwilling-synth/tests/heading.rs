//! `SceneParams::heading_deg` (`zwilling synth --heading`): the drive runs in the given direction
//! (degrees clockwise from grid north), so at 90° the trajectory runs east and the scene's north
//! extent does not grow with the length (what makes the pipeline's scale benchmark linear).

use zwilling_synth::{Scene, SceneParams};

/// A sparse scan (few scan lines, coarse angle step) so the test runs in a fraction of a second.
fn scene(length: f64, heading_deg: f64) -> Scene {
    Scene::new(SceneParams { length, heading_deg, line_rate: 2.0, angle_step_deg: 2.0, ..SceneParams::default() })
        .unwrap()
}

/// Bounding box `[xmin, ymin, xmax, ymax]` of all points of the scene.
fn point_bounds(s: &Scene) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    s.generate_points(|block| {
        for i in 0..block.len() {
            b = [b[0].min(block.x[i]), b[1].min(block.y[i]), b[2].max(block.x[i]), b[3].max(block.y[i])];
        }
        Ok(())
    })
    .unwrap();
    b
}

#[test]
fn heading_90_drives_east() {
    let s = scene(200.0, 90.0);
    let p = &s.params;
    let t = s.trajectory();
    // Vehicle in lane 1, 1.5 m right of the centre line: right of east is south.
    for w in t.windows(2) {
        assert!(w[1].x > w[0].x, "trajectory must run east");
        assert!((w[1].y - (p.origin_y - 1.5)).abs() < 1e-6, "northing must stay on the lane: {}", w[1].y);
        assert_eq!(w[1].heading, 90.0);
    }
    let last = t.last().unwrap();
    assert!((last.x - (p.origin_x + 200.0)).abs() < 1e-6, "ends 200 m east of station 0: {}", last.x);
}

#[test]
fn north_extent_does_not_grow_with_length_at_heading_90() {
    let (short, long) = (point_bounds(&scene(100.0, 90.0)), point_bounds(&scene(400.0, 90.0)));
    let north = |b: &[f64; 4]| b[3] - b[1];
    let east = |b: &[f64; 4]| b[2] - b[0];
    // The scanner sees at most `max_range` (60 m) either side, so the north extent is bounded by
    // 120 m at any length, while the east extent grows by the 300 m of extra road.
    for b in [&short, &long] {
        assert!(north(b) <= 2.0 * 60.0 + 1.0, "north extent {:.1} m", north(b));
    }
    assert!((east(&long) - east(&short) - 300.0).abs() < 20.0, "{:.1} vs {:.1}", east(&long), east(&short));
    // At the default heading (68°) the 400 m drive alone spans 400·cos 68° ≈ 150 m north.
    let diagonal = point_bounds(&scene(400.0, 68.0));
    assert!(north(&diagonal) > 400.0 * 68f64.to_radians().cos(), "north extent {:.1} m", north(&diagonal));
}

#[test]
fn heading_must_be_finite() {
    let p = SceneParams { heading_deg: f64::NAN, ..SceneParams::default() };
    assert!(Scene::new(p).unwrap_err().to_string().contains("heading"));
}
