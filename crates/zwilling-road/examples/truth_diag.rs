//! Diagnostics of the synth truth test: IRI of the exact wheel-path profiles (with and without
//! ruts) and of the measured ones against the truth, rut depth error per 10 m section.
//! `cargo run --release -p zwilling-road --example truth_diag -- SEED NOISE_SIGMA`; fit overrides
//! by environment: PA/PR/PQA/PQO/PF (wheel-path fit), TA/TR/TQA/TQO (transverse fit), PSC=0 (no
//! shape correction), Q=1 (no per-section rut lines).
#![allow(clippy::needless_range_loop)]
use zwilling_road::iri::{iri_sections, IriOptions};
use zwilling_road::profile::Profile;
use zwilling_road::survey::{RoadConfig, RoadSurvey};
use zwilling_road::Alignment;
use zwilling_synth::{Scene, SceneParams};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let seed: u64 = a.get(1).map_or(1, |v| v.parse().unwrap());
    let noise: f64 = a.get(2).map_or(0.005, |v| v.parse().unwrap());
    let scene = Scene::new(SceneParams { seed, length: 300.0, noise_sigma: noise, ..SceneParams::default() }).unwrap();
    let truth = scene.truth();
    let lane = &truth.lanes[0];
    let opts = IriOptions { start: Some(0.0), section_length: 100.0, partial: true, ..Default::default() };
    // exact profiles at 0.1 m, with and without ruts
    for (w, off) in [(0usize, lane.wheel_offsets.inner), (1, lane.wheel_offsets.outer)] {
        let n = 3001;
        let exact: Vec<f64> = (0..n).map(|i| scene.ground_sf(i as f64 * 0.1, off)).collect();
        let norut: Vec<f64> = (0..n)
            .map(|i| {
                let s = i as f64 * 0.1;
                scene.ground_sf(s, off) + scene.ruts.depth(0, w, s)
            })
            .collect();
        let e = iri_sections(&Profile::new(0.0, 0.1, exact), &opts).unwrap();
        let nr = iri_sections(&Profile::new(0.0, 0.1, norut), &opts).unwrap();
        for k in 0..3 {
            let t = if w == 0 {
                lane.sections_100m[k].iri_m_per_km.inner
            } else {
                lane.sections_100m[k].iri_m_per_km.outer
            };
            println!("wheel {w} sec {k}: truth {t:.3} exact0.1 {:.3} norut {:.3}", e[k].iri, nr[k].iri);
        }
    }
    let mut cfg = RoadConfig { lane_width: 3.0, wheel_path_offset: 0.85, ..RoadConfig::default() };
    let env = |k: &str, d: f64| std::env::var(k).map_or(d, |v| v.parse().unwrap());
    cfg.fit_profile.along = env("PA", cfg.fit_profile.along);
    cfg.fit_profile.radius = env("PR", cfg.fit_profile.radius);
    cfg.fit_profile.quadratic_along = env("PQA", f64::from(u8::from(cfg.fit_profile.quadratic_along))) > 0.0;
    cfg.fit_profile.quadratic_across = env("PQO", f64::from(u8::from(cfg.fit_profile.quadratic_across))) > 0.0;
    cfg.fit_transverse.along = env("TA", cfg.fit_transverse.along);
    cfg.fit_transverse.radius = env("TR", cfg.fit_transverse.radius);
    cfg.fit_transverse.quadratic_along = env("TQA", f64::from(u8::from(cfg.fit_transverse.quadratic_along))) > 0.0;
    cfg.fit_transverse.quadratic_across = env("TQO", f64::from(u8::from(cfg.fit_transverse.quadratic_across))) > 0.0;
    cfg.fit_profile.flat_across = env("PF", f64::from(u8::from(cfg.fit_profile.flat_across))) > 0.0;
    let quiet = env("Q", 0.0) > 0.0;
    cfg.profile_shape_correction = env("PSC", 1.0) > 0.0;
    let al = Alignment::from_trajectory(&scene.trajectory(), 1.0, cfg.trajectory_smoothing, 0.0, 2.5).unwrap();
    let mut s = RoadSurvey::new(al, cfg.clone());
    scene
        .generate_points(|b| {
            s.push(&b);
            Ok(())
        })
        .unwrap();
    let res = s.finish();
    let secs = zwilling_road::sections::evaluate(
        &res,
        &cfg,
        &[],
        &Default::default(),
        &zwilling_road::preset::Preset::ap9k_municipal(),
        (zwilling_road::preset::FunctionClass::B, zwilling_road::preset::Construction::Asphalt),
    );
    for (k, sec) in secs.iter().enumerate() {
        let t = &lane.sections_100m[k].iri_m_per_km;
        let (l, r) = (sec.measures.iri_left, sec.measures.iri_right);
        println!(
            "seed {seed} sec {k}: evaluated L {:+.1} %  R {:+.1} %  MRI {:+.1} %",
            100.0 * (l / t.inner - 1.0),
            100.0 * (r / t.outer - 1.0),
            100.0 * ((l + r) / (t.inner + t.outer) - 1.0)
        );
    }
    for (w, p) in res.profiles.iter().enumerate() {
        let mut p = p.clone();
        p.fill_gaps(0.5);
        let m = iri_sections(&p, &opts).unwrap();
        for k in 0..3 {
            let t = if w == 0 {
                lane.sections_100m[k].iri_m_per_km.inner
            } else {
                lane.sections_100m[k].iri_m_per_km.outer
            };
            println!(
                "wheel {w} sec {k}: measured {:.3} truth {t:.3} ({:+.1} %)",
                m[k].iri,
                100.0 * (m[k].iri / t - 1.0)
            );
        }
        // profile error stats vs exact
        let off = if w == 0 { lane.wheel_offsets.inner } else { lane.wheel_offsets.outer };
        let d: Vec<f64> =
            (0..p.len()).map(|i| p.z[i] - scene.ground_sf(p.station(i), off)).filter(|v| v.is_finite()).collect();
        let m0 = d.iter().sum::<f64>() / d.len() as f64;
        let sd = (d.iter().map(|v| (v - m0).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
        println!("wheel {w} profile err mean {:.2} mm sd {:.2} mm", m0 * 1e3, sd * 1e3);
    }
    let mut worst = (0.0f64, 0.0f64, 0.0f64);
    for (raw, t) in res.raw.iter().zip(&lane.sections_10m) {
        let n = raw.transverse.len() as f64;
        let left = 1000.0 * raw.transverse.iter().map(|m| m.rut_left).sum::<f64>() / n;
        let right = 1000.0 * raw.transverse.iter().map(|m| m.rut_right).sum::<f64>() / n;
        let (ti, to) = (t.rut_depth_mm.inner.mean, t.rut_depth_mm.outer.mean);
        if !t.has_pothole {
            worst.0 = worst.0.max((left - ti).abs()).max((right - to).abs());
            worst.1 = worst.1.max(left - ti).max(right - to);
            worst.2 = worst.2.min(left - ti).min(right - to);
        }
        if quiet {
            continue;
        }
        println!(
            "rut {:5.0}: L {left:5.2} vs {ti:5.2} ({:+.2})  R {right:5.2} vs {to:5.2} ({:+.2}) {}",
            raw.start,
            left - ti,
            right - to,
            if t.has_pothole { "P" } else { "" }
        );
    }
    println!("seed {seed} rut worst {:.2} (max {:+.2} min {:+.2})", worst.0, worst.1, worst.2);
}
