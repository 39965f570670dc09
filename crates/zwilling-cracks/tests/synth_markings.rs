//! Road markings from the intensity ortho of the synthetic survey (issue 6): the scene's LiDAR
//! points are gridded (mean intensity per 0.1 m cell, as `zwilling grid --product intensity`),
//! the road corridor is the band between the kerbs measured from the trajectory, and the
//! markings found are compared with the scene's paint (`zwilling_synth::scene::is_marking`:
//! edge lines 0.12 m wide 0.25 m inside each kerb, a dashed centre line with 3 m dashes every 9 m).

use zwilling_core::{GeoTransform, Grid};
use zwilling_cracks::corridor::corridor_mask;
use zwilling_cracks::markings::{find_markings_on_road, Marking, MarkingParams};
use zwilling_synth::{Scene, SceneParams};

#[test]
fn lane_lines_and_dashes_of_the_synthetic_scene_are_found_with_their_length() {
    let scene = Scene::new(SceneParams { seed: 1, length: 30.0, ..SceneParams::default() }).unwrap();
    let p = scene.params.clone();
    let traj = scene.trajectory();
    // Grid over the scene's road (0.1 m cells), mean intensity of the points near the road surface.
    let res = 0.1;
    let corners = [(0.0, -6.0), (0.0, 6.0), (p.length, -6.0), (p.length, 6.0)].map(|(s, t)| scene.frame.to_world(s, t));
    let (x0, x1) = (
        corners.iter().map(|c| c.0).fold(f64::INFINITY, f64::min),
        corners.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max),
    );
    let (y0, y1) = (
        corners.iter().map(|c| c.1).fold(f64::INFINITY, f64::min),
        corners.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max),
    );
    let (w, h) = (((x1 - x0) / res).ceil() as usize, ((y1 - y0) / res).ceil() as usize);
    let transform = GeoTransform::new(x0, y1, res);
    let (mut sum, mut cnt) = (vec![0.0f64; w * h], vec![0u32; w * h]);
    let z_sensor = traj[0].z;
    scene
        .generate_points(|b| {
            for k in 0..b.len() {
                let (s, _) = scene.frame.to_frame(b.x[k], b.y[k]);
                // Road surface returns: well below the sensor (not trees, walls or roofs).
                if b.z[k] > z_sensor - 1.5 + p.longitudinal_grade * s {
                    continue;
                }
                let c = ((b.x[k] - x0) / res).floor();
                let r = ((y1 - b.y[k]) / res).floor();
                if c >= 0.0 && r >= 0.0 && (c as usize) < w && (r as usize) < h {
                    let i = r as usize * w + c as usize;
                    sum[i] += f64::from(b.intensity[k]);
                    cnt[i] += 1;
                }
            }
            Ok(())
        })
        .unwrap();
    let data = sum.iter().zip(&cnt).map(|(&s, &n)| if n > 0 { (s / f64::from(n)) as f32 } else { f32::NAN }).collect();
    let ortho = Grid { data, ..Grid::filled(w, h, transform, 0.0f32) };
    // The trajectory runs in lane 1 (offset −1.5 m): the kerbs are 1.5 m right and 4.5 m left of
    // it; the corridor stops 0.1 m short of them.
    let path: Vec<[f64; 2]> = traj.iter().map(|q| [q.x, q.y]).collect();
    let hw = p.lane_width;
    let lane = p.lane1_center();
    let (left, right) = (hw - lane - 0.1, hw + lane - 0.1);
    let road = corridor_mask(&transform, w, h, &path, left, right);
    let found = find_markings_on_road(&ortho, Some(&road), &MarkingParams::default());
    // Classify each marking by its mean road-frame offset.
    let frame_of = |m: &Marking| {
        let st: Vec<(f64, f64)> = m.points.iter().map(|q| scene.frame.to_frame(q[0], q[1])).collect();
        let t = st.iter().map(|q| q.1).sum::<f64>() / st.len() as f64;
        let (s0, s1) = st.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, q| (a.0.min(q.0), a.1.max(q.0)));
        (t, s0, s1)
    };
    let edge = hw - 0.25;
    let mut left_len = 0.0;
    let mut right_len = 0.0;
    let mut dashes = vec![];
    for m in &found {
        let (t, s0, s1) = frame_of(m);
        if (t - edge).abs() < 0.15 {
            left_len += m.length_m;
        } else if (t + edge).abs() < 0.15 {
            right_len += m.length_m;
        } else if t.abs() < 0.15 {
            dashes.push((s0, s1, m.length_m, m.wear_score));
        } else {
            panic!("marking at offset {t:.2} m (stations {s0:.1}–{s1:.1}) is not paint of the scene: {m:?}");
        }
    }
    eprintln!("left edge {left_len:.2} m, right edge {right_len:.2} m, dashes {dashes:?}");
    // Edge lines: 30 m of paint each (the scan starts at station 0), ≥ 90 % found as line.
    assert!(left_len > 27.0 && left_len < 30.5, "left edge line {left_len} m");
    assert!(right_len > 27.0 && right_len < 30.5, "right edge line {right_len} m");
    // Dashes at 0–3, 9–12, 18–21, 27–30 m: each found once, 3 m ± 0.3 m (3 cells).
    assert_eq!(dashes.len(), 4, "{dashes:?}");
    dashes.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (k, (s0, s1, len, score)) in dashes.iter().enumerate() {
        let start = 9.0 * k as f64;
        assert!((len - 3.0).abs() < 0.3, "dash {k}: {len} m");
        assert!(*s0 > start - 0.3 && *s1 < start + 3.3, "dash {k} at {s0:.2}–{s1:.2} m");
        // Fresh paint: Michelson contrast of 42 000 vs 9 000 is 0.647; mixed edge cells lower it.
        assert!(*score > 0.5 && *score < 0.66, "dash {k} wear score {score}");
    }
}
