//! IRI error budget on a synth scene: which part of the wheel-path profile error moves the IRI.
//!
//! `cargo run --release -p zwilling-road --example iri_budget -- SEED [NOISE]`
//!
//! The scene is generated twice, without and with point noise (the same scan, the noise is drawn
//! either way), and streamed through [`RoadSurvey`]. Per 100 m section and wheel path it prints
//! the IRI of
//! - `truth`: the scene truth (exact profile, 0.05 m);
//! - `clean` / `noisy`: the measured profile without / with point noise;
//! - `t+nz`: the exact profile plus the noise part of the measured profile (noisy − clean);
//! - `orc0` / `orcN`: profiles fitted like the survey's but shape-corrected by the *exact*
//!   transverse shape of the scene (an oracle), without / with noise: what the profile fit alone
//!   loses (footprint low-pass, noise) when the transverse shape is perfect;
//! - `orcHm` / `orcH`: the oracle profile measured from two disjoint halves of the noisy points
//!   (split by a hash of the position), their mean, and the split-half extrapolation
//!   `2·IRI(mean) − (IRI(half 1) + IRI(half 2))/2` that removes the noise bias to first order.
//!
//! Prints the profile error (mean, sd) against the exact profile and, per section, each IRI as %
//! of the truth. Results and their reading: docs/road.md, "IRI error budget".
//!
//! Fit overrides by environment: PA/PR (profile footprint along/across).
use rayon::prelude::*;
use zwilling_road::iri::{iri_sections, IriOptions};
use zwilling_road::profile::Profile;
use zwilling_road::surface::PointGrid;
use zwilling_road::survey::{RoadConfig, RoadSurvey};
use zwilling_road::Alignment;
use zwilling_synth::{Scene, SceneParams};

fn iri(z: &[f64]) -> Vec<f64> {
    let opts = IriOptions { start: Some(0.0), section_length: 100.0, partial: true, ..Default::default() };
    let mut p = Profile::new(0.0, 0.1, z.to_vec());
    p.fill_gaps(0.5);
    iri_sections(&p, &opts).unwrap().iter().map(|s| s.iri).collect()
}

struct Run {
    survey: [Vec<f64>; 2],
    oracle: [Vec<f64>; 2],
    halves: [[Vec<f64>; 2]; 2],
}

fn half_of(p: &[f64; 3]) -> usize {
    let h = (p[0].to_bits() ^ p[1].to_bits().rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 63) as usize
}

fn run(seed: u64, noise: f64, cfg: &RoadConfig) -> (Scene, Run) {
    let scene = Scene::new(SceneParams { seed, length: 300.0, noise_sigma: noise, ..SceneParams::default() }).unwrap();
    let al = Alignment::from_trajectory(&scene.trajectory(), 1.0, cfg.trajectory_smoothing, 0.0, 2.5).unwrap();
    let mut s = RoadSurvey::new(al.clone(), cfg.clone());
    let mut pts = Vec::new();
    scene
        .generate_points(|b| {
            s.push(&b);
            for i in 0..b.len() {
                if b.classification[i] == 2 {
                    if let Some((st, o)) = al.project(b.x[i], b.y[i]) {
                        if o.abs() < 2.7 {
                            pts.push([st, o, b.z[i]]);
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let res = s.finish();
    let grid = PointGrid::new(&pts, -2.0, 302.0, -2.7, 2.7, 0.1);
    // o is to the right of travel; lane 1 centre at t = −1.5 → t = −1.5 − o
    let exact = |st: f64, o: f64| scene.ground_sf(st, -1.5 - o);
    let n = res.profiles[0].len();
    let split: [Vec<[f64; 3]>; 2] = [0, 1].map(|k| pts.iter().filter(|p| half_of(p) == k).copied().collect());
    let grids = [0, 1].map(|k| PointGrid::new(&split[k], -2.0, 302.0, -2.7, 2.7, 0.1));
    // The wheel-path profile of one side fitted with the scene's exact cross-section as the shape.
    let oracle_fit = |g: &PointGrid, side: f64| {
        let ow = side * cfg.wheel_path_offset;
        (0..n)
            .into_par_iter()
            .map(|i| {
                let st = i as f64 * 0.1;
                let zw = exact(st, ow);
                g.height_with_shape(st, ow, &cfg.fit_profile, |o| exact(st, o) - zw)
            })
            .collect::<Vec<f64>>()
    };
    let halves = [0, 1].map(|h| [-1.0, 1.0].map(|side| oracle_fit(&grids[h], side)));
    let oracle = [-1.0, 1.0].map(|side| oracle_fit(&grid, side));
    let survey = [res.profiles[0].z.clone(), res.profiles[1].z.clone()];
    (scene, Run { survey, oracle, halves })
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let seed: u64 = a.get(1).map_or(1, |v| v.parse().unwrap());
    let noise: f64 = a.get(2).map_or(0.005, |v| v.parse().unwrap());
    let env = |k: &str, d: f64| std::env::var(k).map_or(d, |v| v.parse().unwrap());
    let mut cfg = RoadConfig { lane_width: 3.0, wheel_path_offset: 0.85, ..RoadConfig::default() };
    cfg.fit_profile.along = env("PA", cfg.fit_profile.along);
    cfg.fit_profile.radius = env("PR", cfg.fit_profile.radius);
    let (scene, clean) = run(seed, 0.0, &cfg);
    let (_, noisy) = run(seed, noise, &cfg);
    let truth = scene.truth();
    let lane = &truth.lanes[0];
    // survey profile side 0 = left of travel = inner wheel path of lane 1
    for w in 0..2 {
        let ow = if w == 0 { -cfg.wheel_path_offset } else { cfg.wheel_path_offset };
        let n = clean.survey[w].len();
        let exact: Vec<f64> = (0..n).map(|i| scene.ground_sf(i as f64 * 0.1, -1.5 - ow)).collect();
        let tn: Vec<f64> = (0..n).map(|i| exact[i] + noisy.survey[w][i] - clean.survey[w][i]).collect();
        let rows = [
            ("exact0.1", iri(&exact)),
            ("clean", iri(&clean.survey[w])),
            ("noisy", iri(&noisy.survey[w])),
            ("t+nz", iri(&tn)),
            ("orc0", iri(&clean.oracle[w])),
            ("orcN", iri(&noisy.oracle[w])),
            ("orcH", {
                let (a, b) = (&noisy.halves[0][w], &noisy.halves[1][w]);
                let m: Vec<f64> = a.iter().zip(b).map(|(x, y)| 0.5 * (x + y)).collect();
                let (im, ia, ib) = (iri(&m), iri(a), iri(b));
                (0..im.len()).map(|k| 2.0 * im[k] - 0.5 * (ia[k] + ib[k])).collect()
            }),
            ("orcHm", {
                let (a, b) = (&noisy.halves[0][w], &noisy.halves[1][w]);
                let m: Vec<f64> = a.iter().zip(b).map(|(x, y)| 0.5 * (x + y)).collect();
                iri(&m)
            }),
        ];
        let sd = |v: &[f64]| {
            let d: Vec<f64> = v.iter().zip(&exact).map(|(a, b)| a - b).filter(|x| x.is_finite()).collect();
            let m = d.iter().sum::<f64>() / d.len() as f64;
            (m * 1e3, 1e3 * (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / d.len() as f64).sqrt())
        };
        for (name, v) in [
            ("clean", &clean.survey[w]),
            ("noisy", &noisy.survey[w]),
            ("orc0", &clean.oracle[w]),
            ("orcN", &noisy.oracle[w]),
        ] {
            let (m, s) = sd(v);
            println!("seed {seed} wheel {w} {name:6} profile error mean {m:+.2} mm sd {s:.2} mm");
        }
        for k in 0..3 {
            let t = if w == 0 {
                lane.sections_100m[k].iri_m_per_km.inner
            } else {
                lane.sections_100m[k].iri_m_per_km.outer
            };
            let mut line = format!("seed {seed} wheel {w} sec {k} truth {t:.3}");
            for (name, v) in &rows {
                line += &format!("  {name} {:+.1}%", 100.0 * (v[k] / t - 1.0));
            }
            println!("{line}");
        }
    }
}
