//! Truth tests on `zwilling-synth` scenes: the road survey against the scene's exact truth.
//!
//! For several seeds a 300 m scene is generated in memory and streamed through [`RoadSurvey`]
//! exactly as the CLI does with files; the measures are compared with `Scene::truth()`:
//! RISS per 100 m section from the scene's crack polylines (within two 1 m cells of the truth),
//! every grade equal to the preset applied to the measures, no false potholes and every pothole
//! of the lane found, per 10 m section the rut depth of each half-lane within ±1.5 mm of the
//! truth, every pothole's max depth within ±3 mm, area and volume within ±10 % of the truth, and
//! per 100 m section the IRI (mean of both wheel paths, the `iri` the survey reports) within 5 %
//! of the truth; each wheel path's IRI within 7 % (5 mm point noise leaves a random error of
//! several per cent in a single wheel path, see docs/road.md "IRI error budget").

use zwilling_road::damage::{CrackLine, CrackObservations};
use zwilling_road::grades::grade;
use zwilling_road::preset::{Construction, FunctionClass, Preset};
use zwilling_road::sections::evaluate;
use zwilling_road::survey::{RoadConfig, RoadSurvey, SurveyResult};
use zwilling_road::Alignment;
use zwilling_synth::{Scene, SceneParams};

fn survey(seed: u64, length: f64) -> (Scene, RoadConfig, SurveyResult) {
    let scene = Scene::new(SceneParams { seed, length, ..SceneParams::default() }).unwrap();
    let cfg = RoadConfig {
        lane_width: scene.params.lane_width,
        wheel_path_offset: scene.params.wheel_offset,
        ..RoadConfig::default()
    };
    let reach = cfg.lane_width / 2.0 + 1.0;
    let alignment =
        Alignment::from_trajectory(&scene.trajectory(), 1.0, cfg.trajectory_smoothing, cfg.lane_offset, reach).unwrap();
    let mut s = RoadSurvey::new(alignment, cfg.clone());
    scene
        .generate_points(|b| {
            s.push(&b);
            Ok(())
        })
        .unwrap();
    (scene, cfg, s.finish())
}

/// Runs the survey, asserts what holds on every seed (RISS from the scene's cracks, grades =
/// preset applied to the measures, no false potholes, every pothole found) and returns the
/// worst accuracy errors (rut mm, IRI of a wheel path relative, pothole depth mm, area relative,
/// volume relative, section IRI = mean of both wheel paths relative).
fn check_seed(seed: u64) -> [f64; 6] {
    let (scene, cfg, res) = survey(seed, 300.0);
    let truth = scene.truth();
    let lane = &truth.lanes[0];
    assert_eq!(res.late_points, 0);
    // lane 1 falls to the right: inner wheel path (towards the crown) is left of travel
    assert!((lane.wheel_offsets.inner - lane.center_offset - cfg.wheel_path_offset).abs() < 1e-9);
    let mut worst = [0.0f64; 6];
    for (raw, t) in res.raw.iter().zip(&lane.sections_10m) {
        assert!((raw.start - t.start).abs() < 1e-6);
        if t.has_pothole {
            continue;
        }
        let n = raw.transverse.len() as f64;
        let left = 1000.0 * raw.transverse.iter().map(|m| m.rut_left).sum::<f64>() / n;
        let right = 1000.0 * raw.transverse.iter().map(|m| m.rut_right).sum::<f64>() / n;
        let (ti, to) = (t.rut_depth_mm.inner.mean, t.rut_depth_mm.outer.mean);
        worst[0] = worst[0].max((left - ti).abs()).max((right - to).abs());
    }
    // cracks: the scene's crack polylines (road frame → map) through the 1 m grid
    let cracks: Vec<CrackLine> = scene
        .cracks
        .iter()
        .map(|c| CrackLine {
            points: c.points.iter().map(|p| scene.frame.to_world(p[0], p[1])).map(|(x, y)| [x, y]).collect(),
            width: c.width,
        })
        .collect();
    let obs = CrackObservations { cracks: Some(cracks), ..CrackObservations::default() };
    let preset = Preset::ap9k_municipal();
    let secs = evaluate(&res, &cfg, &[], &obs, &preset, (FunctionClass::B, Construction::Asphalt));
    assert_eq!(secs.len(), lane.sections_100m.len());
    for (s, t) in secs.iter().zip(&lane.sections_100m) {
        for (m, tr) in [(s.measures.iri_left, t.iri_m_per_km.inner), (s.measures.iri_right, t.iri_m_per_km.outer)] {
            let rel = m / tr - 1.0;
            eprintln!("seed {seed} {:6.1} IRI {m:.3} vs {tr:.3} ({:+.1} %)", s.start, 100.0 * rel);
            worst[1] = worst[1].max(rel.abs());
        }
        let rel = s.measures.iri / t.iri_mean_m_per_km - 1.0;
        eprintln!(
            "seed {seed} {:6.1} IRI (both paths) {:.3} vs {:.3} ({:+.1} %)",
            s.start,
            s.measures.iri,
            t.iri_mean_m_per_km,
            100.0 * rel
        );
        worst[5] = worst[5].max(rel.abs());
        // RISS: the cells the cracks cross (truth) — sampling every 5 cm and the crack width
        // may add a cell where a crack grazes a cell corner
        let (riss, tr) = (s.measures.riss, t.riss_percent.unwrap());
        let cell = 100.0 / f64::from(t.cells.unwrap());
        eprintln!("seed {seed} {:6.1} RISS {riss:.2} vs {tr:.2} %", s.start);
        assert!((riss - tr).abs() <= 2.0 * cell + 1e-9, "seed {seed} at {}: RISS {riss} vs {tr}", s.start);
        let g = grade(&s.measures.grade_inputs(), s.fk, s.bw, &preset);
        assert_eq!(format!("{g:?}"), format!("{:?}", s.grades)); // NaN-aware equality
        assert!(g.zw_riss.is_finite());
    }
    // potholes: every detection is a truth pothole of lane 1 (no false positives), every truth
    // pothole of lane 1 is found
    let lane1: Vec<_> = truth.potholes.iter().filter(|p| p.lane == 1).collect();
    let centre = lane.center_offset;
    for h in &res.potholes {
        let m = lane1.iter().find(|p| {
            // offset o is to the right of travel = −(t − lane centre)
            (h.centroid[0] - p.station).hypot(h.centroid[1] + (p.offset - centre)) < p.diameter / 2.0
        });
        let Some(p) = m else {
            panic!(
                "seed {seed}: false pothole at s {:.2} o {:.2} depth {:.1} mm",
                h.centroid[0],
                h.centroid[1],
                h.max_depth * 1e3
            )
        };
        let (dd, da, dv) = (h.max_depth * 1e3 - p.max_depth_mm, h.area / p.area_m2 - 1.0, h.volume / p.volume_m3 - 1.0);
        eprintln!(
            "seed {seed} pothole d {:.2} m: depth {:.1} vs {:.1} mm, area {:+.1} %, volume {:+.1} %",
            p.diameter,
            h.max_depth * 1e3,
            p.max_depth_mm,
            100.0 * da,
            100.0 * dv
        );
        worst[2] = worst[2].max(dd.abs());
        worst[3] = worst[3].max(da.abs());
        worst[4] = worst[4].max(dv.abs());
    }
    for p in &lane1 {
        let found = res.potholes.iter().any(|h| (h.centroid[0] - p.station).abs() < p.diameter / 2.0);
        assert!(found, "seed {seed}: pothole d {:.2} at {:.1} not found", p.diameter, p.station);
    }
    worst
}

fn report(seed: u64, w: &[f64; 6]) {
    eprintln!(
        "seed {seed} worst: rut {:.2} mm, IRI {:.1} % (wheel path) {:.1} % (section), pothole depth {:.1} mm, \
         area {:.1} %, volume {:.1} %",
        w[0],
        100.0 * w[1],
        100.0 * w[5],
        w[2],
        100.0 * w[3],
        100.0 * w[4]
    );
}

#[test]
fn synth_scenes_match_truth_in_ruts_iri_potholes_cracks_and_grades() {
    for seed in [1, 2, 3] {
        let w = check_seed(seed);
        report(seed, &w);
        // rut depth (issue: ±1.5 mm per section against the straightedge truth)
        assert!(w[0] <= 1.5, "seed {seed}: rut depth off by {:.2} mm", w[0]);
        // potholes (issue: depth ±3 mm, area and volume ±10 % of the synth truth)
        assert!(w[2] <= 3.0, "seed {seed}: pothole depth off by {:.1} mm", w[2]);
        assert!(
            w[3] <= 0.10 && w[4] <= 0.10,
            "seed {seed}: pothole area/volume off by {:.0}/{:.0} %",
            100.0 * w[3],
            100.0 * w[4]
        );
        // IRI (issue: within 5 % of the truth) of every 100 m section; single wheel paths keep
        // the random error of the point noise (measured worst 6.6 %, docs/road.md)
        assert!(w[5] <= 0.05, "seed {seed}: section IRI off by {:.1} %", 100.0 * w[5]);
        assert!(w[1] <= 0.07, "seed {seed}: wheel-path IRI off by {:.1} %", 100.0 * w[1]);
    }
}
