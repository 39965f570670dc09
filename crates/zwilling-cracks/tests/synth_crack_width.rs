//! Crack widths measured in the synthetic survey's pavement images against the scene's cracks
//! (issue 6). The renderer (`zwilling_synth::images`, 4 mm pixels) paints a crack fully dark
//! within `max(w/2, g/√2)` of its centre line and half dark one pixel `g` beyond, so the width a
//! full-width-at-half-maximum measurement can see is the dark core `max(w, g·√2)` plus the
//! half-dark fringe, which lies exactly at half contrast and so counts for between 0 and `g`:
//! the measurable width is in `[max(w, g·√2), max(w, g·√2) + g]`. The test compares each measured
//! polyline with the scene crack it lies on: the length-weighted mean measured width must lie in
//! that interval (before session 3 it was 4.8 mm above its upper end: the detection mask, wider
//! than the crack, was taken as part of the crack).

mod common;

use rayon::prelude::*;
use zwilling_cracks::detect::{crack_mask, CrackParams};
use zwilling_cracks::georef::{georeferenced_cracks, Surface};
use zwilling_synth::{Scene, SceneParams};

fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

#[test]
fn measured_crack_widths_match_the_rendered_widths_of_the_scene_cracks() {
    let seeds: Vec<u64> = (1..40).filter(|&s| zwilling_synth::cracks::block_level(s, 0) >= 2).take(1).collect();
    let scene = Scene::new(SceneParams { seed: seeds[0], length: 31.0, ..SceneParams::default() }).unwrap();
    let p = &scene.params;
    let g = p.image_gsd;
    let params = CrackParams::default();
    let lines: Vec<(Vec<[f64; 3]>, f64, f64)> = scene
        .image_poses()
        .par_iter()
        .flat_map_iter(|ip| {
            let (img, _) = scene.render_image(ip);
            let (pose, cam) = common::pose_and_camera(ip);
            let mask = crack_mask(&img, None, &params);
            let surface = Surface::Plane { z: ip.z - p.camera_height };
            georeferenced_cracks(&img, None, &mask, &params, &pose, &cam, &surface)
                .into_iter()
                .map(|l| (l.points, l.width_m, l.length_m))
        })
        .collect();
    // Each polyline of ≥ 0.1 m whose vertices all lie within 1 cm of one scene crack.
    let (mut err_sum, mut true_err, mut len_sum, mut ratios) = (0.0, 0.0, 0.0, vec![]);
    for (pts, width, length) in &lines {
        if *length < 0.1 {
            continue;
        }
        let st: Vec<[f64; 2]> = pts
            .iter()
            .map(|q| {
                let (s, t) = scene.frame.to_frame(q[0], q[1]);
                [s, t]
            })
            .collect();
        let on = scene
            .cracks
            .iter()
            .find(|c| st.iter().all(|q| c.points.windows(2).any(|s| seg_dist(*q, s[0], s[1]) < 0.01)));
        let Some(crack) = on else { continue };
        let core = crack.width.max(g * std::f64::consts::SQRT_2);
        err_sum += (width - core) * length;
        true_err += (width - crack.width) * length;
        len_sum += length;
        ratios.push((*width / crack.width, crack.width, *width));
    }
    assert!(len_sum > 5.0, "too few matched cracks: {len_sum} m");
    let above_core = err_sum / len_sum;
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    eprintln!(
        "{} polylines, {len_sum:.1} m; mean width − rendered core {:.2} mm, − true width {:.2} mm; median ratio to the true width {:.2}",
        ratios.len(),
        above_core * 1e3,
        true_err / len_sum * 1e3,
        ratios[ratios.len() / 2].0
    );
    assert!(
        above_core >= 0.0 && above_core <= g,
        "mean width {:.2} mm above the rendered core, not in [0, {} mm]",
        above_core * 1e3,
        g * 1e3
    );
}
