//! The generated points: deterministic at any thread count, on the true surface within the noise,
//! density falling with range, the true classes.

use zwilling_core::{class, PointBlock};
use zwilling_synth::{Material, Scene, SceneParams};

fn scene() -> Scene {
    Scene::new(SceneParams { length: 60.0, seed: 11, ..SceneParams::default() }).unwrap()
}

fn all_points(sc: &Scene, threads: usize) -> Vec<PointBlock> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut v = Vec::new();
        sc.generate_points(|b| {
            v.push(b);
            Ok(())
        })
        .unwrap();
        v
    })
}

#[test]
fn same_seed_same_points_at_any_thread_count() {
    let sc = scene();
    let a = all_points(&sc, 1);
    let b = all_points(&sc, 3);
    assert_eq!(a, b);
    let other = Scene::new(SceneParams { seed: 12, ..sc.params.clone() }).unwrap();
    assert_ne!(a[0].z, other.generate_chunk(0).z);
    assert!(a.iter().all(|b| b.is_consistent()));
}

#[test]
fn points_lie_on_the_true_surface_within_the_noise() {
    let sc = scene();
    let blocks = all_points(&sc, 2);
    let mut res = Vec::new();
    for b in &blocks {
        for i in 0..b.len() {
            if b.user_data[i] == Material::Asphalt as u8 && b.return_number[i] == 1 {
                res.push(b.z[i] - sc.ground_height(b.x[i], b.y[i]));
            }
        }
    }
    let n = res.len() as f64;
    assert!(n > 50_000.0, "{n}");
    let mean = res.iter().sum::<f64>() / n;
    let sd = (res.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    // σ_z = 5 mm, plus the horizontal noise times the local slope (≤ 6 %: ≤ 0.3 mm) and
    // 1 mm LAS quantisation is not applied here
    assert!(mean.abs() < 0.0003, "mean {mean}");
    assert!((sd - 0.005).abs() < 0.0003, "sd {sd}");
}

#[test]
fn density_falls_with_range_and_classes_are_true() {
    let sc = scene();
    let blocks = all_points(&sc, 2);
    let (mut near, mut far) = (0usize, 0usize);
    let mut classes = [0usize; 32];
    let mut wall_ok = 0usize;
    let mut walls = 0usize;
    for b in &blocks {
        for i in 0..b.len() {
            classes[b.classification[i] as usize] += 1;
            let (s, t) = sc.frame.to_frame(b.x[i], b.y[i]);
            if b.classification[i] == class::GROUND && (5.0..55.0).contains(&s) {
                let d = (t + 1.5).abs();
                if d < 2.0 {
                    near += 1;
                } else if (12.0..16.0).contains(&d) {
                    far += 1;
                }
            }
            if b.user_data[i] == Material::Wall as u8 {
                walls += 1;
                if sc.buildings.iter().any(|bl| (t - bl.t0).abs() < 0.03 || (t - bl.t1).abs() < 0.03) {
                    wall_ok += 1;
                }
            }
        }
    }
    // equal strip widths (4 m): near strip much denser than far strip
    assert!(near > 5 * far, "near {near} far {far}");
    assert!(classes[2] > 0 && classes[6] > 0 && classes[5] > 0, "{classes:?}");
    assert!(walls > 1000 && wall_ok == walls, "{wall_ok}/{walls}");
}

#[test]
fn trajectory_follows_lane_one() {
    let sc = scene();
    let tr = sc.trajectory();
    assert_eq!(tr.len(), 301); // 60 m at 10 m/s, 50 Hz
    for p in &tr {
        let (_, t) = sc.frame.to_frame(p.x, p.y);
        assert!((t + 1.5).abs() < 1e-9);
    }
    assert!((tr[1].time - tr[0].time - 0.02).abs() < 1e-6);
}
