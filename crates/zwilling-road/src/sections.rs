//! Evaluation sections: raw sections (10 m) aggregated to evaluation sections (100 m) with all
//! measures (Zustandsgrößen) and grades.
//!
//! Without aggregation polygons the drive is cut every `eval_section` metres of station (the
//! last section may be shorter). With polygons, each raw section belongs to the polygon that
//! contains its mid-point on the lane centre; consecutive raw sections of the same polygon form
//! evaluation sections of at most `eval_section` metres, and the polygon's FK/BW attributes
//! select the grading tables. Raw sections outside every polygon use the default FK/BW.
//!
//! Aggregation per evaluation section:
//! - IRI of each wheel path: mean of the quarter-car rates of all 0.10 m steps in the section
//!   (state carried over the whole drive, [`crate::iri`]); IRI = mean of both paths (MRI).
//! - SM4L_M: largest straightedge gap of both wheel paths; SM4L_A: the larger of the two
//!   paths' mean gaps ([`crate::straightedge`]).
//! - MSPT / SPTMAX: mean / max of the per-profile rut depth (larger half-lane); MSPH: mean of
//!   the per-profile water depth; QN: mean cross slope; LN: mean longitudinal slope.
//! - RISS / AFLI / OFS from [`crate::damage`]; NaN (NULL) until observed.

use crate::alignment::Alignment;
use crate::damage::{damage_shares, CrackObservations};
use crate::grades::{grade, GradeInputs, Grades};
use crate::iri::{mean_iri, suspension_rates, IriOptions};
use crate::preset::{Construction, FunctionClass, Preset};
use crate::straightedge::{straightedge_gaps, summarise};
use crate::survey::{RoadConfig, SurveyResult};
use zwilling_core::Polygon;

/// An aggregation polygon with its function class and construction.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaPolygon {
    /// Area (map CRS).
    pub polygon: Polygon,
    /// Function class FK.
    pub fk: FunctionClass,
    /// Construction BW.
    pub bw: Construction,
    /// Identifier of the area (for the output), if any.
    pub id: Option<String>,
}

/// Measures of an evaluation section (IRI m/km, depths mm, slopes and shares %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SectionMeasures {
    /// IRI left wheel path.
    pub iri_left: f64,
    /// IRI right wheel path.
    pub iri_right: f64,
    /// Mean IRI of both wheel paths.
    pub iri: f64,
    /// SM4L_M (mm).
    pub sm4l_m: f64,
    /// SM4L_A (mm).
    pub sm4l_a: f64,
    /// MSPT (mm).
    pub mspt: f64,
    /// SPTMAX (mm).
    pub sptmax: f64,
    /// MSPH (mm).
    pub msph: f64,
    /// QN (%).
    pub qn: f64,
    /// LN (%).
    pub ln: f64,
    /// RISS (%).
    pub riss: f64,
    /// AFLI (%).
    pub afli: f64,
    /// OFS (%).
    pub ofs: f64,
    /// Fraction of surface nodes with data.
    pub coverage: f64,
}

impl SectionMeasures {
    /// The inputs of the grading.
    pub fn grade_inputs(&self) -> GradeInputs {
        GradeInputs {
            mspt: self.mspt,
            msph: self.msph,
            sm4l_m: self.sm4l_m,
            sm4l_a: self.sm4l_a,
            riss: self.riss,
            afli: self.afli,
            ofs: self.ofs,
        }
    }
}

/// An evaluation section.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalSection {
    /// Start station (m).
    pub start: f64,
    /// End station (m).
    pub end: f64,
    /// Function class.
    pub fk: FunctionClass,
    /// Construction.
    pub bw: Construction,
    /// Aggregation area id.
    pub area: Option<String>,
    /// Measures.
    pub measures: SectionMeasures,
    /// Grades.
    pub grades: Grades,
}

/// Aggregates the survey into evaluation sections and grades them.
pub fn evaluate(
    res: &SurveyResult,
    cfg: &RoadConfig,
    areas: &[AreaPolygon],
    damage: &CrackObservations,
    preset: &Preset,
    default_class: (FunctionClass, Construction),
) -> Vec<EvalSection> {
    let groups = group_raw(res, cfg, areas, default_class);
    // quarter-car rates and straightedge gaps of both wheel paths over the whole drive
    let iri_opts = IriOptions { start: Some(0.0), section_length: cfg.raw_section, ..Default::default() };
    let mut profiles = res.profiles.clone();
    let rates: Vec<(f64, Vec<f64>)> = profiles
        .iter_mut()
        .map(|p| {
            p.fill_gaps(0.5);
            suspension_rates(p, &iri_opts).unwrap_or((0.0, vec![]))
        })
        .collect();
    let gaps: Vec<Vec<f64>> = profiles.iter().map(|p| straightedge_gaps(p, 4.0)).collect();
    let step = cfg.profile_step;
    let idx = |s: f64| (s / step).round().max(0.0) as usize;
    let spans: Vec<(f64, f64)> = groups.iter().map(|g| (res.raw[g.first].start, res.raw[g.last].end)).collect();
    let half = cfg.lane_width / 2.0;
    let shares = damage_shares(damage, &res.alignment, &spans, (-half, half), 1.0);
    let mut out = Vec::with_capacity(groups.len());
    for (g, share) in groups.iter().zip(shares) {
        let (a, b) = (res.raw[g.first].start, res.raw[g.last].end);
        let iri_path = |k: usize| {
            let (x0, r) = &rates[k];
            let i0 = (((a - x0) / step).round().max(0.0) as usize).min(r.len());
            let i1 = (((b - x0) / step).round().max(0.0) as usize).min(r.len());
            mean_iri(&r[i0..i1])
        };
        let (iri_left, iri_right) = (iri_path(0), iri_path(1));
        let se: Vec<_> =
            gaps.iter().map(|gp| summarise(&gp[idx(a).min(gp.len())..idx(b).min(gp.len())], 0.5)).collect();
        let transverse: Vec<_> = res.raw[g.first..=g.last].iter().flat_map(|r| r.transverse.iter()).collect();
        let ruts: Vec<f64> = transverse.iter().map(|t| t.rut()).filter(|v| v.is_finite()).collect();
        let waters: Vec<f64> = transverse.iter().map(|t| t.water()).filter(|v| v.is_finite()).collect();
        let qns: Vec<f64> = transverse.iter().map(|t| t.cross_slope).filter(|v| v.is_finite()).collect();
        let raws = &res.raw[g.first..=g.last];
        let lns: Vec<f64> = raws.iter().map(|r| r.ln).filter(|v| v.is_finite()).collect();
        let coverage = raws.iter().map(|r| r.coverage * (r.end - r.start)).sum::<f64>() / (b - a).max(1e-9);
        let measures = SectionMeasures {
            iri_left,
            iri_right,
            iri: mean_of(&[iri_left, iri_right].into_iter().filter(|v| v.is_finite()).collect::<Vec<_>>()),
            sm4l_m: 1000.0 * max_of(&se.iter().map(|s| s.max).filter(|v| v.is_finite()).collect::<Vec<_>>()),
            sm4l_a: 1000.0 * max_of(&se.iter().map(|s| s.mean).filter(|v| v.is_finite()).collect::<Vec<_>>()),
            mspt: 1000.0 * mean_of(&ruts),
            sptmax: 1000.0 * max_of(&ruts),
            msph: 1000.0 * mean_of(&waters),
            qn: mean_of(&qns),
            ln: mean_of(&lns),
            riss: share.riss,
            afli: share.afli,
            ofs: share.ofs,
            coverage,
        };
        let grades = grade(&measures.grade_inputs(), g.fk, g.bw, preset);
        out.push(EvalSection { start: a, end: b, fk: g.fk, bw: g.bw, area: g.area.clone(), measures, grades });
    }
    out
}

struct Group {
    first: usize,
    last: usize,
    fk: FunctionClass,
    bw: Construction,
    area: Option<String>,
}

fn group_raw(
    res: &SurveyResult,
    cfg: &RoadConfig,
    areas: &[AreaPolygon],
    default_class: (FunctionClass, Construction),
) -> Vec<Group> {
    let al: &Alignment = &res.alignment;
    let per = (cfg.eval_section / cfg.raw_section).round().max(1.0) as usize;
    let area_of = |k: usize| -> Option<usize> {
        let r = &res.raw[k];
        let p = al.point(0.5 * (r.start + r.end), 0.0);
        areas.iter().position(|a| a.polygon.contains(p[0], p[1]))
    };
    let mut out: Vec<Group> = Vec::new();
    let mut count = 0;
    let mut current: Option<Option<usize>> = None;
    for k in 0..res.raw.len() {
        let a = area_of(k);
        if current != Some(a) || count == per {
            let (fk, bw, id) = match a {
                Some(i) => (areas[i].fk, areas[i].bw, areas[i].id.clone().or(Some(i.to_string()))),
                None => (default_class.0, default_class.1, None),
            };
            out.push(Group { first: k, last: k, fk, bw, area: id });
            current = Some(a);
            count = 0;
        }
        out.last_mut().unwrap().last = k;
        count += 1;
    }
    out
}

fn mean_of(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iri::iri_sections;
    use crate::output::{regrade, road_layers};
    use crate::profile::Profile;
    use crate::survey::tests::{blocks, straight};
    use crate::survey::RoadSurvey;
    use zwilling_core::CrsInfo;

    fn road(s: f64, o: f64) -> f64 {
        let rough = 0.004 * (s / 12.0 * std::f64::consts::TAU).sin() + 0.0015 * (s / 3.1 * std::f64::consts::TAU).sin();
        let rut = |c: f64| 0.010 * (1.0 - (o - c).abs() / 0.5).max(0.0);
        let hole = if (s - 55.0).hypot(o + 0.3) <= 0.25 { 0.04 } else { 0.0 };
        0.01 * s - 0.02 * o + rough - rut(-0.85) - rut(0.85) - hole
    }

    #[test]
    fn analytic_road_end_to_end() {
        let mut survey = RoadSurvey::new(straight(200.0), RoadConfig::default());
        for b in blocks(200.0, 1000.0, 0.002, 11, road) {
            survey.push(&b);
        }
        let res = survey.finish();
        let cfg = RoadConfig::default();
        let preset = Preset::ap9k_municipal();
        let secs = evaluate(
            &res,
            &cfg,
            &[],
            &CrackObservations::default(),
            &preset,
            (FunctionClass::B, Construction::Asphalt),
        );
        assert_eq!(secs.len(), 2);
        // truth IRI from the exact wheel-path profiles
        let opts = IriOptions { start: Some(0.0), section_length: 100.0, partial: true, ..Default::default() };
        for (k, o) in [-0.85, 0.85].into_iter().enumerate() {
            let exact = Profile::new(0.0, 0.1, (0..2000).map(|i| road(i as f64 * 0.1, o)).collect());
            let truth = iri_sections(&exact, &opts).unwrap();
            for (s, t) in secs.iter().zip(&truth) {
                let got = if k == 0 { s.measures.iri_left } else { s.measures.iri_right };
                assert!(((got - t.iri) / t.iri).abs() < 0.05, "IRI {got} vs truth {}", t.iri);
            }
        }
        for s in &secs {
            let m = &s.measures;
            assert!((m.mspt - 10.0).abs() < 1.5, "MSPT {}", m.mspt);
            assert!(m.riss.is_nan() && s.grades.twsub.is_nan() && s.grades.gw == s.grades.twgeb);
            assert!((m.qn - 2.0).abs() < 0.1 && (m.ln - 1.0).abs() < 0.1, "{m:?}");
            assert!(m.sm4l_m > 0.0 && m.coverage > 0.99);
        }
        assert_eq!(res.potholes.len(), 1, "{:?}", res.potholes);
        let p = &res.potholes[0];
        assert!((p.max_depth - 0.04).abs() < 0.003, "depth {}", p.max_depth);
        let area = std::f64::consts::PI * 0.25 * 0.25;
        assert!((p.area / area - 1.0).abs() < 0.10, "area {} vs {area}", p.area);
        assert!((p.volume / (area * 0.04) - 1.0).abs() < 0.10, "volume {}", p.volume);
        // layers and re-grading with the same preset reproduce the stored grades
        let layers = road_layers(&res, &secs, &cfg, &preset, &CrsInfo::from_epsg(25832));
        assert_eq!(layers.iter().map(|l| l.features.len()).collect::<Vec<_>>(), vec![2, 1, 4, 1]);
        let mut sections = layers[0].clone();
        let gw = sections.field_index("gw").unwrap();
        let before: Vec<_> = sections.features.iter().map(|f| f.values[gw].clone()).collect();
        regrade(&mut sections, &preset).unwrap();
        assert_eq!(before, sections.features.iter().map(|f| f.values[gw].clone()).collect::<Vec<_>>());
        assert_eq!(sections.features[0].values[sections.field_index("riss").unwrap()], zwilling_core::Value::Null);
    }
}
