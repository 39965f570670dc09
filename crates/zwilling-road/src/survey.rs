//! The streaming road survey: point blocks in, raw-section measures out, memory flat in the
//! drive length.
//!
//! Points arrive in [`PointBlock`]s in file order (for a drive roughly time order). Each road
//! point (ground / road-surface class) is projected on the [`Alignment`]: station s, offset o.
//! Points with |o| beyond the lane are dropped; the others wait in 1 m station buckets. When the
//! largest station seen is `lookahead` metres past the end of the next raw section (10 m), that
//! window is processed and the buckets behind it are freed, so only about
//! `raw_section + 2·margin + lookahead` metres of points are ever held.
//!
//! Raw sections are processed `batch` (5) at a time. Per window [s0, s1) with a margin of 2 m:
//! 1. a [`PointGrid`] of the points and a [`SurfaceWindow`] of robust local plane fits every
//!    `node_along` (10 cm) along and `node_across` (5 cm) across the lane
//!    ([`crate::surface`]), rows in parallel;
//! 2. transverse profiles every `transverse_step` (0.5 m), sampled every `node_across` by local
//!    fits with a footprint ±2.0 m along × ±0.12 m across, quadratic across: rut depth, water
//!    depth, cross slope ([`crate::transverse`]); the longitudinal slope LN from the profiles'
//!    centre heights;
//! 3. longitudinal profiles in both wheel paths (±0.85 m) every `profile_step` (0.10 m), each
//!    sample its own fit over ±0.60 m along × ±0.55 m across of points corrected by the transverse
//!    shape (z − (T(o) − T(o_wheel)), T interpolated between neighbouring transverse profiles);
//! 4. potholes detected on the surface grid ([`crate::potholes`]) whose centroid lies in the
//!    window, each measured again from the points near it ([`crate::pothole_measure`]).
//!
//! Points arriving for a window already processed (a drive that revisits a place, or files not in
//! drive order) are counted in [`SurveyResult::late_points`] and ignored.

use crate::alignment::Alignment;
use crate::pothole_measure;
use crate::potholes::{self, Pothole, PotholeOptions, SurfaceWindow};
use crate::profile::Profile;
use crate::surface::{FitOptions, PointGrid};
use crate::transverse::{self, TransverseMeasures};
use rayon::prelude::*;
use std::collections::BTreeMap;
use zwilling_core::{class, PointBlock};

/// Parameters of the road survey.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadConfig {
    /// Lane width (m); measures use offsets within ±width/2 of the lane centre.
    pub lane_width: f64,
    /// Lane centre to the right of the trajectory (m).
    pub lane_offset: f64,
    /// Wheel paths at ±this offset from the lane centre (m).
    pub wheel_path_offset: f64,
    /// Surface grid (pothole detection) node spacing along the road (m).
    pub node_along: f64,
    /// Surface grid node spacing across the road, also the transverse profile spacing (m).
    pub node_across: f64,
    /// Longitudinal profile sample interval (m).
    pub profile_step: f64,
    /// Distance between transverse profiles (m).
    pub transverse_step: f64,
    /// Straightedge for rut depth (m).
    pub rut_straightedge: f64,
    /// Transverse profiles stop this far inside the lane edges (kerbs, joints) (m).
    pub edge_margin: f64,
    /// Local surface fit of the surface grid.
    pub fit: FitOptions,
    /// Local surface fit of transverse profile samples (longer along the road).
    pub fit_transverse: FitOptions,
    /// Local surface fit of wheel-path profile samples (wider across the road).
    pub fit_profile: FitOptions,
    /// Correct the wheel-path profile points by the transverse shape (ruts, cross slope) measured
    /// by the neighbouring transverse profiles, so `fit_profile` may be wide across.
    pub profile_shape_correction: bool,
    /// Raw sections processed together in one window (fewer margins to recompute).
    pub batch: usize,
    /// Raw section length (m).
    pub raw_section: f64,
    /// Evaluation section length (m).
    pub eval_section: f64,
    /// How far past a window's end the stream must be before the window is processed (m).
    pub lookahead: f64,
    /// Classes used as road surface; empty = every point.
    pub classes: Vec<u8>,
    /// Trajectory smoothing half-window (m).
    pub trajectory_smoothing: f64,
    /// Pothole detection.
    pub potholes: PotholeOptions,
}

impl Default for RoadConfig {
    fn default() -> Self {
        RoadConfig {
            lane_width: 3.0,
            lane_offset: 0.0,
            wheel_path_offset: 0.85,
            node_along: 0.10,
            node_across: 0.05,
            profile_step: 0.10,
            transverse_step: 0.5,
            rut_straightedge: 1.2,
            edge_margin: 0.10,
            fit: FitOptions::default(),
            fit_transverse: FitOptions { radius: 0.12, along: 2.0, quadratic_across: true, ..FitOptions::default() },
            fit_profile: FitOptions {
                radius: 0.55,
                along: 0.60,
                quadratic_along: true,
                flat_across: true,
                ..FitOptions::default()
            },
            profile_shape_correction: true,
            batch: 5,
            raw_section: 10.0,
            eval_section: 100.0,
            lookahead: 40.0,
            classes: vec![class::GROUND, class::ROAD_SURFACE],
            trajectory_smoothing: 5.0,
            potholes: PotholeOptions::default(),
        }
    }
}

/// Measures of one raw section (SI units).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSection {
    /// Start station (m).
    pub start: f64,
    /// End station (m).
    pub end: f64,
    /// Transverse profile measures, one per transverse profile.
    pub transverse: Vec<TransverseMeasures>,
    /// Longitudinal slope (%), positive uphill in driving direction.
    pub ln: f64,
    /// Fraction of surface nodes with a height.
    pub coverage: f64,
}

/// Everything the survey measured.
#[derive(Debug, Clone)]
pub struct SurveyResult {
    /// The stationed lane centre line.
    pub alignment: Alignment,
    /// Raw sections in station order.
    pub raw: Vec<RawSection>,
    /// Longitudinal profiles of the left and right wheel path.
    pub profiles: [Profile; 2],
    /// Potholes (road frame).
    pub potholes: Vec<Pothole>,
    /// Road points used.
    pub used_points: u64,
    /// Points that arrived after their window was processed.
    pub late_points: u64,
    /// Points seen in total.
    pub seen_points: u64,
}

/// The streaming survey.
#[derive(Debug)]
pub struct RoadSurvey {
    cfg: RoadConfig,
    alignment: Alignment,
    buckets: BTreeMap<i64, Vec<[f64; 3]>>,
    next_window: usize,
    max_station: f64,
    raw: Vec<RawSection>,
    profiles: [Vec<f64>; 2],
    potholes: Vec<Pothole>,
    used: u64,
    late: u64,
    seen: u64,
}

const MARGIN: f64 = 2.0;

impl RoadSurvey {
    /// A survey along `alignment` (build it with [`Alignment::from_trajectory`], reach ≥ lane).
    pub fn new(alignment: Alignment, cfg: RoadConfig) -> Self {
        RoadSurvey {
            cfg,
            alignment,
            buckets: BTreeMap::new(),
            next_window: 0,
            max_station: f64::MIN,
            raw: vec![],
            profiles: [vec![], vec![]],
            potholes: vec![],
            used: 0,
            late: 0,
            seen: 0,
        }
    }

    /// The alignment.
    pub fn alignment(&self) -> &Alignment {
        &self.alignment
    }

    /// Number of points currently buffered.
    pub fn buffered_points(&self) -> usize {
        self.buckets.values().map(Vec::len).sum()
    }

    /// Feeds a block of points; processes every window the stream has passed.
    pub fn push(&mut self, block: &PointBlock) {
        self.seen += block.len() as u64;
        let half = self.cfg.lane_width / 2.0 + self.reach_across();
        let classes = &self.cfg.classes;
        let projected: Vec<Option<[f64; 3]>> = (0..block.len())
            .into_par_iter()
            .map(|i| {
                if !classes.is_empty() && !classes.contains(&block.classification[i]) {
                    return None;
                }
                let (s, o) = self.alignment.project(block.x[i], block.y[i])?;
                (o.abs() <= half).then_some([s, o, block.z[i]])
            })
            .collect();
        let done_until = self.window_start(self.next_window) - MARGIN - self.reach() - 1.0;
        for p in projected.into_iter().flatten() {
            if p[0] < done_until {
                self.late += 1;
                continue;
            }
            self.used += 1;
            self.max_station = self.max_station.max(p[0]);
            self.buckets.entry(p[0].floor() as i64).or_default().push(p);
        }
        while self.window_end(self.next_window) + MARGIN + self.cfg.lookahead < self.max_station
            && self.window_start(self.next_window) < self.alignment.length()
        {
            self.process_next();
        }
    }

    fn window_len(&self) -> f64 {
        self.cfg.raw_section * self.cfg.batch.max(1) as f64
    }

    fn window_start(&self, k: usize) -> f64 {
        k as f64 * self.window_len()
    }

    fn window_end(&self, k: usize) -> f64 {
        ((k + 1) as f64 * self.window_len()).min(self.alignment.length())
    }

    /// Largest footprint extent along the road (a fit may double its footprint).
    fn reach(&self) -> f64 {
        let c = &self.cfg;
        2.0 * [c.fit, c.fit_transverse, c.fit_profile].iter().map(|f| f.along).fold(0.0, f64::max)
    }

    /// Largest footprint extent across the road.
    fn reach_across(&self) -> f64 {
        let c = &self.cfg;
        2.0 * [c.fit, c.fit_transverse, c.fit_profile].iter().map(|f| f.radius).fold(0.0, f64::max)
    }

    /// Processes the remaining windows and returns the result.
    pub fn finish(mut self) -> SurveyResult {
        while self.window_start(self.next_window) < self.alignment.length() - 1e-6 {
            self.process_next();
        }
        let step = self.cfg.profile_step;
        let [l, r] = self.profiles;
        SurveyResult {
            alignment: self.alignment,
            raw: self.raw,
            profiles: [Profile::new(0.0, step, l), Profile::new(0.0, step, r)],
            potholes: self.potholes,
            used_points: self.used,
            late_points: self.late,
            seen_points: self.seen,
        }
    }

    fn process_next(&mut self) {
        let k = self.next_window;
        let (w0, w1) = (self.window_start(k), self.window_end(k));
        let r = self.reach();
        let cfg = &self.cfg;
        let (g0, g1) = (w0 - MARGIN - r, w1 + MARGIN + r);
        let mut pts = Vec::new();
        for (_, v) in self.buckets.range((g0.floor() as i64)..=(g1.floor() as i64)) {
            pts.extend_from_slice(v);
        }
        let half = cfg.lane_width / 2.0;
        let ra = self.reach_across();
        let grid = PointGrid::new(&pts, g0, g1, -half - ra, half + ra, 0.1);
        drop(pts);
        // surface grid for potholes, rows in parallel
        let (ds, d_o) = (cfg.node_along, cfg.node_across);
        let rows = ((w1 - w0 + 2.0 * MARGIN) / ds).round() as usize + 1;
        let cols = (cfg.lane_width / d_o).round() as usize + 1;
        let ws0 = w0 - MARGIN;
        let mut z = vec![f64::NAN; rows * cols];
        z.par_chunks_mut(cols).enumerate().for_each(|(i, row)| {
            let s = ws0 + i as f64 * ds;
            for (j, v) in row.iter_mut().enumerate() {
                *v = grid.height(s, -half + j as f64 * d_o, &cfg.fit);
            }
        });
        let win = SurfaceWindow { s0: ws0, o0: -half, cell_s: ds, cell_o: d_o, rows, cols, z };
        // transverse profiles every `transverse_step`, each sample its own fit; one extra profile
        // before and after the window serves the wheel-path shape correction
        let edge = half - cfg.edge_margin + 1e-9;
        let offsets: Vec<f64> = (0..cols).map(|j| win.offset(j)).filter(|o| o.abs() <= edge).collect();
        let n_tp = ((w1 - w0) / cfg.transverse_step).round() as usize;
        let tprof: Vec<(f64, Vec<f64>)> = (-1..=n_tp as i64)
            .into_par_iter()
            .map(|t| {
                let s = w0 + (t as f64 + 0.5) * cfg.transverse_step;
                (s, offsets.iter().map(|&o| grid.height(s, o, &cfg.fit_transverse)).collect())
            })
            .collect();
        let transverse: Vec<(f64, TransverseMeasures, f64)> = tprof[1..=n_tp]
            .par_iter()
            .map(|(s, zs)| (*s, transverse::evaluate(&offsets, zs, cfg.rut_straightedge), zs[offsets.len() / 2]))
            .collect();
        // longitudinal profiles: points corrected by the transverse shape (interpolated between
        // the neighbouring transverse profiles) relative to the wheel path
        let first = (w0 / cfg.profile_step).round() as usize;
        let last = ((w1 / cfg.profile_step).round() as usize).max(first);
        let (o_first, d_off) = (offsets[0], cfg.node_across);
        let shape_at = |zs: &[f64], o: f64| -> f64 {
            let f = (o - o_first) / d_off;
            if f < 0.0 || f > (zs.len() - 1) as f64 {
                return f64::NAN;
            }
            let i = (f.floor() as usize).min(zs.len() - 2);
            zs[i] + (f - i as f64) * (zs[i + 1] - zs[i])
        };
        let samples: Vec<[f64; 2]> = (first..last)
            .into_par_iter()
            .map(|i| {
                let s = i as f64 * cfg.profile_step;
                let f = ((s - w0) / cfg.transverse_step - 0.5 + 1.0).clamp(0.0, n_tp as f64);
                let k = (f.floor() as usize).min(n_tp);
                let (za, zb, t) = (&tprof[k].1, &tprof[(k + 1).min(n_tp + 1)].1, f - k as f64);
                let tz = |o: f64| shape_at(za, o) + t * (shape_at(zb, o) - shape_at(za, o));
                [-1.0, 1.0].map(|side| {
                    let ow = side * cfg.wheel_path_offset;
                    let zw = tz(ow);
                    if cfg.profile_shape_correction && zw.is_finite() {
                        grid.height_with_shape(s, ow, &cfg.fit_profile, |o| tz(o) - zw)
                    } else {
                        grid.height(s, ow, &cfg.fit_profile)
                    }
                })
            })
            .collect();
        for v in samples {
            self.profiles[0].push(v[0]);
            self.profiles[1].push(v[1]);
        }
        // raw sections of this window
        let row_of = |s: f64| ((s - ws0) / ds).round() as usize;
        let mut a = w0;
        while a < w1 - 1e-9 {
            let b = (a + cfg.raw_section).min(w1);
            let tps: Vec<&(f64, TransverseMeasures, f64)> = transverse.iter().filter(|t| t.0 >= a && t.0 < b).collect();
            let (ra, rb) = (row_of(a), row_of(b).min(rows));
            let known = win.z[ra * cols..rb * cols].iter().filter(|v| v.is_finite()).count();
            let coverage = known as f64 / ((rb - ra) * cols).max(1) as f64;
            let centre: Vec<(f64, f64)> = tps.iter().filter(|t| t.2.is_finite()).map(|t| (t.0, t.2)).collect();
            let ln = 100.0 * transverse::line_slope(centre.into_iter());
            self.raw.push(RawSection { start: a, end: b, transverse: tps.iter().map(|t| t.1).collect(), ln, coverage });
            a = b;
        }
        // potholes
        // potholes: found on the surface grid, measured again from the points
        let m = &cfg.potholes.measure;
        let reach = m.rim_gap + m.ring_width + 0.15;
        for p in potholes::detect(&win, &cfg.potholes) {
            if p.centroid[0] >= w0 && p.centroid[0] < w1 {
                let (hs, ho) = (p.length + reach, p.width + reach);
                let (s, o) = (p.centroid[0], p.centroid[1]);
                let near = grid.points_in(s - hs, s + hs, o - ho, o + ho);
                self.potholes.push(pothole_measure::measure(&near, &p, m).unwrap_or(p));
            }
        }
        // free buckets that no later window needs
        let keep_from = (w1 - MARGIN - r - 1.0).floor() as i64;
        self.buckets = self.buckets.split_off(&keep_from);
        self.next_window += 1;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Points of an analytic road along the x axis, in blocks of 1 m of road, with `noise` (m,
    /// uniform ±√3σ) and `density` points per m² over ±2 m.
    pub(crate) fn blocks(
        length: f64,
        density: f64,
        noise: f64,
        seed: u64,
        surface: impl Fn(f64, f64) -> f64,
    ) -> impl Iterator<Item = PointBlock> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let per_block = (density * 4.0) as usize;
        (0..length as usize).map(move |m| {
            let mut b = PointBlock::default();
            for _ in 0..per_block {
                let x = m as f64 + rng.gen::<f64>();
                let y = rng.gen_range(-2.0..2.0);
                let e = noise * 3f64.sqrt() * rng.gen_range(-1.0..1.0);
                // offset o = −y (right of +x travel is −y)
                b.push_xyz(x, y, surface(x, -y) + e, class::GROUND);
            }
            b
        })
    }

    pub(crate) fn straight(length: f64) -> Alignment {
        let pts: Vec<[f64; 3]> = (0..=length as usize).map(|i| [i as f64, 0.0, 0.0]).collect();
        Alignment::from_points(&pts, 1.0, 5.0, 0.0, 3.0).unwrap()
    }

    #[test]
    fn ruts_with_noise_stay_within_tolerance_and_memory_is_bounded() {
        // V ruts 12 mm deep, half-width 0.5 m at ±0.85 m, 2.5 % cross slope, 1 % grade, 2 mm noise
        let rut = 0.012;
        let surface = move |s: f64, o: f64| {
            let v = |c: f64| rut * (1.0 - (o - c).abs() / 0.5).max(0.0);
            0.01 * s - 0.025 * o - v(-0.85) - v(0.85)
        };
        let mut survey = RoadSurvey::new(straight(120.0), RoadConfig::default());
        let mut peak = 0;
        for b in blocks(120.0, 1500.0, 0.002, 7, surface) {
            survey.push(&b);
            peak = peak.max(survey.buffered_points());
        }
        let res = survey.finish();
        assert_eq!(res.raw.len(), 12);
        // at most (window + 2·(margin + fit reach + 1 m) + lookahead + 2 m) of road is buffered
        let cfg = RoadConfig::default();
        let reach = RoadSurvey::new(straight(10.0), cfg.clone()).reach();
        let bound = cfg.raw_section * cfg.batch as f64 + 2.0 * (MARGIN + reach + 1.0) + cfg.lookahead + 2.0;
        assert!(peak < (bound * 4.0 * 1500.0) as usize, "peak {peak}");
        for sec in &res.raw {
            assert!(sec.coverage > 0.99);
            let mean = sec.transverse.iter().map(|t| t.rut()).sum::<f64>() / sec.transverse.len() as f64;
            assert!((mean - rut).abs() < 0.0015, "rut {mean}");
            let qn = sec.transverse.iter().map(|t| t.cross_slope).sum::<f64>() / sec.transverse.len() as f64;
            assert!((qn - 2.5).abs() < 0.05, "qn {qn}");
            assert!((sec.ln - 1.0).abs() < 0.05, "ln {}", sec.ln);
        }
        // wheel paths run along the rut bottoms: with the transverse shape correction the
        // profile is the rut bottom (grade − 0.85·2.5 % − rut), not an average over the V
        let p = &res.profiles[1];
        let i = 500;
        let expect = 0.01 * p.station(i) - 0.025 * 0.85 - rut;
        assert!((p.z[i] - expect).abs() < 0.001, "{} vs {expect}", p.z[i]);
        assert!(res.potholes.is_empty());
    }
}
