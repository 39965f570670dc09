//! International Roughness Index (IRI) by the quarter-car simulation of ASTM E1926.
//!
//! The golden car (sprung mass normalised to 1): tyre stiffness k1 = 653 s⁻², suspension
//! stiffness k2 = 63.3 s⁻², damping c = 6.0 s⁻¹, unsprung/sprung mass ratio µ = 0.15, driven at
//! 80 km/h. With the state z = (zs, żs, zu, żu) the car obeys
//!
//! ```text
//! z̈s = −k2 (zs − zu) − c (żs − żu)
//! µ z̈u =  k2 (zs − zu) + c (żs − żu) − k1 (zu − y)
//! ```
//!
//! Fed with the profile *slope* instead of its elevation (Sayers' formulation), the states are
//! slopes, and IRI = (1/L) ∫ |ż_s − ż_u| dt = mean over the distance of |z1 − z3| (m/m, ×1000 for
//! m/km). The slope is held constant over each sample step, so the exact discrete update is
//! `z ← ST·z + PR·slope` with `ST = e^{A·dt}`, `PR = ∫₀^dt e^{Aτ} dτ · B`, dt = dx / V (the
//! state-transition method of Sayers 1995, "On the calculation of IRI from longitudinal road
//! profile", TRR 1501). Both matrices come from one 5×5 matrix exponential of `[[A, B], [0, 0]]·dt`.
//!
//! - **250 mm moving average**: the slope of step i is `(y(xᵢ + b) − y(xᵢ)) / b` with b = 0.25 m,
//!   y linearly interpolated between samples. For dx = b/k (k integer) this is exactly the
//!   ASTM smoothing `(y[i+k] − y[i]) / (k·dx)`; for dx ≥ b it is the plain step slope.
//! - **11 m initialisation**: z1 = z3 = (y(x₀ + 11) − y(x₀)) / 11, z2 = z4 = 0.
//! - **Start convention**: by default the simulation starts at the first station + 2·b (0.5 m).
//!   This reproduces the reference values of Šroubek, Šorel & Žák (2021), whose sections for a
//!   profile beginning at 478.0 m start at 478.5 m; starting at 478.0 instead changes the first
//!   100 m section by 0.25 % and later sections by < 1e-5 (the car forgets its initial state).
//! - **Sections**: consecutive sections of `section_length` from the start; a section's IRI is
//!   the mean of |z1 − z3| over the steps that begin inside it. The state carries across sections.
//! - **Gaps**: a NaN slope skips the step; the next valid step re-initialises the car with the
//!   11 m slope that follows. Sections with less than 80 % valid steps get NaN.
//!
//! Example: a sine of amplitude a and wavelength λ gives IRI = (2/π)·a·(2π/λ)·|H(2πV/λ)|·sinc(πb/λ)
//! where H is the stroke response of the car (checked in the tests against the simulation).

use crate::profile::Profile;
use zwilling_core::{Error, Result};

/// Quarter-car parameters (sprung mass normalised to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuarterCar {
    /// Tyre stiffness k1 / ms (s⁻²).
    pub k1: f64,
    /// Suspension stiffness k2 / ms (s⁻²).
    pub k2: f64,
    /// Suspension damping c / ms (s⁻¹).
    pub c: f64,
    /// Unsprung / sprung mass ratio.
    pub mu: f64,
    /// Simulated speed (m/s).
    pub speed: f64,
}

impl QuarterCar {
    /// The ASTM E1926 golden car at 80 km/h.
    pub const GOLDEN: QuarterCar = QuarterCar { k1: 653.0, k2: 63.3, c: 6.0, mu: 0.15, speed: 80.0 / 3.6 };

    /// System matrix A and input vector B of the state (zs, żs, zu, żu).
    fn system(&self) -> ([[f64; 4]; 4], [f64; 4]) {
        let QuarterCar { k1, k2, c, mu, .. } = *self;
        let a =
            [[0.0, 1.0, 0.0, 0.0], [-k2, -c, k2, c], [0.0, 0.0, 0.0, 1.0], [k2 / mu, c / mu, -(k1 + k2) / mu, -c / mu]];
        (a, [0.0, 0.0, 0.0, k1 / mu])
    }
}

/// Options of the IRI computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IriOptions {
    /// The quarter car.
    pub car: QuarterCar,
    /// Moving-average base length b (m), 0.25 by ASTM E1926.
    pub base: f64,
    /// Initialisation length (m), 11 by ASTM E1926.
    pub init_length: f64,
    /// Section length (m).
    pub section_length: f64,
    /// Station where the simulation starts; `None` = first station + 2·base.
    pub start: Option<f64>,
    /// Also report a last, shorter section.
    pub partial: bool,
}

impl Default for IriOptions {
    fn default() -> Self {
        IriOptions {
            car: QuarterCar::GOLDEN,
            base: 0.25,
            init_length: 11.0,
            section_length: 100.0,
            start: None,
            partial: false,
        }
    }
}

/// IRI of one section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IriSection {
    /// Start station (m).
    pub start: f64,
    /// End station (m).
    pub end: f64,
    /// IRI (m/km); NaN when too little of the section has data.
    pub iri: f64,
}

/// The discrete quarter-car filter: carries its state from step to step.
#[derive(Debug, Clone)]
pub struct IriFilter {
    st: [[f64; 4]; 4],
    pr: [f64; 4],
    z: [f64; 4],
}

impl IriFilter {
    /// A filter for steps of `dx` metres, at rest on a level road.
    pub fn new(car: &QuarterCar, dx: f64) -> Self {
        let (a, b) = car.system();
        let dt = dx / car.speed;
        let mut m = [[0.0; 5]; 5];
        for i in 0..4 {
            for j in 0..4 {
                m[i][j] = a[i][j] * dt;
            }
            m[i][4] = b[i] * dt;
        }
        let e = expm5(&m);
        let mut st = [[0.0; 4]; 4];
        let mut pr = [0.0; 4];
        for i in 0..4 {
            st[i].copy_from_slice(&e[i][..4]);
            pr[i] = e[i][4];
        }
        IriFilter { st, pr, z: [0.0; 4] }
    }

    /// Puts the car in steady state on a constant grade `slope`.
    pub fn initialise(&mut self, slope: f64) {
        self.z = [slope, 0.0, slope, 0.0];
    }

    /// Advances one step under `slope`; returns the rectified suspension rate |z1 − z3| (m/m).
    pub fn step(&mut self, slope: f64) -> f64 {
        let z = self.z;
        for i in 0..4 {
            self.z[i] = self.st[i][0] * z[0]
                + self.st[i][1] * z[1]
                + self.st[i][2] * z[2]
                + self.st[i][3] * z[3]
                + self.pr[i] * slope;
        }
        (self.z[0] - self.z[2]).abs()
    }
}

/// 5×5 matrix exponential by scaling and squaring of a 20-term Taylor series.
fn expm5(m: &[[f64; 5]; 5]) -> [[f64; 5]; 5] {
    let norm = m.iter().map(|r| r.iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max);
    let squarings = if norm > 0.5 { (norm / 0.5).log2().ceil() as i32 } else { 0 };
    let scale = 0.5f64.powi(squarings);
    let mut term = identity5();
    let mut sum = identity5();
    for k in 1..=20 {
        term = mul5(&term, m);
        for row in term.iter_mut() {
            for v in row.iter_mut() {
                *v *= scale / k as f64;
            }
        }
        for i in 0..5 {
            for j in 0..5 {
                sum[i][j] += term[i][j];
            }
        }
    }
    for _ in 0..squarings {
        sum = mul5(&sum, &sum);
    }
    sum
}

fn identity5() -> [[f64; 5]; 5] {
    let mut e = [[0.0; 5]; 5];
    for (i, row) in e.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    e
}

fn mul5(a: &[[f64; 5]; 5], b: &[[f64; 5]; 5]) -> [[f64; 5]; 5] {
    let mut c = [[0.0; 5]; 5];
    for i in 0..5 {
        for k in 0..5 {
            for j in 0..5 {
                c[i][j] += a[i][k] * b[k][j];
            }
        }
    }
    c
}

/// Rectified suspension rates |z1 − z3| (m/m) of every step from the start station on, NaN for
/// skipped steps; returns the station of the first step and the rates (step i begins at
/// `x0 + i·dx`). IRI of any stretch = 1000 × mean of its rates.
pub fn suspension_rates(profile: &Profile, opts: &IriOptions) -> Result<(f64, Vec<f64>)> {
    if [profile.dx, opts.base, opts.section_length].iter().any(|v| v.is_nan() || *v <= 0.0) {
        return Err(Error::invalid("sample interval, base and section length must be > 0"));
    }
    let start = opts.start.unwrap_or(profile.start + 2.0 * opts.base);
    let first = ((start - profile.start) / profile.dx - 1e-9).ceil().max(0.0) as usize;
    let n_steps = profile.len().saturating_sub(first);
    if (n_steps as f64) * profile.dx < opts.init_length + opts.base {
        return Err(Error::invalid(format!(
            "profile too short for IRI: {:.2} m from the start at {:.3} m (needs > {} m)",
            n_steps as f64 * profile.dx,
            start,
            opts.init_length + opts.base
        )));
    }
    let x0 = profile.station(first);
    let slope_at = |x: f64| (profile.at(x + opts.base) - profile.at(x)) / opts.base;
    let init_slope = |x: f64| {
        let s = (profile.at(x + opts.init_length) - profile.at(x)) / opts.init_length;
        if s.is_nan() {
            slope_at(x)
        } else {
            s
        }
    };
    let mut filter = IriFilter::new(&opts.car, profile.dx);
    let mut need_init = true;
    let mut rates = Vec::with_capacity(n_steps);
    for j in 0.. {
        let x = x0 + j as f64 * profile.dx;
        if x + opts.base > profile.end() + 1e-9 {
            break;
        }
        let slope = slope_at(x);
        if slope.is_nan() {
            need_init = true;
            rates.push(f64::NAN);
            continue;
        }
        if need_init {
            filter.initialise(init_slope(x));
            need_init = false;
        }
        rates.push(filter.step(slope));
    }
    Ok((x0, rates))
}

/// IRI (m/km) of a run of rates: NaN when fewer than 80 % are known.
pub fn mean_iri(rates: &[f64]) -> f64 {
    let known: Vec<f64> = rates.iter().copied().filter(|v| v.is_finite()).collect();
    if rates.is_empty() || (known.len() as f64) < 0.8 * rates.len() as f64 {
        return f64::NAN;
    }
    1000.0 * known.iter().sum::<f64>() / known.len() as f64
}

/// IRI (m/km) per section of a profile.
pub fn iri_sections(profile: &Profile, opts: &IriOptions) -> Result<Vec<IriSection>> {
    let (x0, rates) = suspension_rates(profile, opts)?;
    let per = (opts.section_length / profile.dx).round().max(1.0) as usize;
    let mut out = Vec::new();
    for (k, chunk) in rates.chunks(per).enumerate() {
        let start = x0 + (k * per) as f64 * profile.dx;
        let full = chunk.len() == per;
        if !full && !opts.partial {
            break;
        }
        let end = if full { x0 + (k + 1) as f64 * opts.section_length } else { profile.end() };
        out.push(IriSection { start, end, iri: mean_iri(chunk) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn read_reference() -> Profile {
        let path = zwilling_core::testdata::repo_dir().join("data-samples/iri/profile_1.txt");
        let text = std::fs::read_to_string(&path).expect("data-samples/iri/profile_1.txt");
        let (mut s, mut z) = (vec![], vec![]);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let mut it = line.split_whitespace().map(|v| v.parse::<f64>().unwrap());
            s.push(it.next().unwrap());
            z.push(it.next().unwrap());
        }
        Profile::from_pairs(&s, &z).unwrap()
    }

    #[test]
    fn reproduces_sorel_reference_sections() {
        // Šroubek, Šorel, Žák (2021), data-samples/iri/README.md.
        let reference = [3.2898, 2.4396, 3.5671, 4.0826, 2.7246];
        let got = iri_sections(&read_reference(), &IriOptions::default()).unwrap();
        assert_eq!(got.len(), 5);
        for (k, (g, r)) in got.iter().zip(reference).enumerate() {
            assert!((g.start - (478.5 + 100.0 * k as f64)).abs() < 1e-9, "start {}", g.start);
            assert!((g.end - g.start - 100.0).abs() < 1e-9);
            assert!(((g.iri - r) / r).abs() < 1e-4, "section {k}: {} vs {r}", g.iri);
        }
    }

    #[test]
    fn flat_and_constant_grade_profiles_give_zero() {
        for grade in [0.0, 0.03, -0.07] {
            let z: Vec<f64> = (0..2000).map(|i| 100.0 + grade * i as f64 * 0.1).collect();
            let got = iri_sections(&Profile::new(0.0, 0.1, z), &IriOptions::default()).unwrap();
            assert!(got.iter().all(|s| s.iri.abs() < 1e-9), "{got:?}");
        }
    }

    fn rough(amplitude: f64) -> Profile {
        // Deterministic pseudo-random roughness: a sum of sines with incommensurate wavelengths.
        let z = (0..6000)
            .map(|i| {
                let x = i as f64 * 0.05;
                amplitude
                    * ((x / 0.7).sin() + 0.6 * (x / 2.9 + 1.0).sin() + 0.3 * (x / 13.0).cos() + 0.2 * (x / 0.19).sin())
            })
            .collect();
        Profile::new(0.0, 0.05, z)
    }

    #[test]
    fn iri_scales_linearly_with_amplitude() {
        let opts = IriOptions::default();
        let a = iri_sections(&rough(0.002), &opts).unwrap();
        let b = iri_sections(&rough(0.006), &opts).unwrap();
        assert!(a[0].iri > 0.5);
        for (x, y) in a.iter().zip(&b) {
            assert!((y.iri / x.iri - 3.0).abs() < 1e-9);
        }
    }

    /// Complex stroke response |Zs − Zu| / |Y| of the car at angular frequency w.
    fn stroke_response(car: &QuarterCar, w: f64) -> f64 {
        // complex numbers as (re, im)
        let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let div = |a: (f64, f64), b: (f64, f64)| {
            let d = b.0 * b.0 + b.1 * b.1;
            ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
        };
        let cs_k2 = (car.k2, car.c * w);
        let g = div(cs_k2, (car.k2 - w * w, car.c * w)); // Zs / Zu
        let unsprung = (car.k1 + car.k2 - car.mu * w * w, car.c * w);
        let denom = (unsprung.0 - mul(cs_k2, g).0, unsprung.1 - mul(cs_k2, g).1);
        let zu = div((car.k1, 0.0), denom); // Zu / Y
        let stroke = mul((g.0 - 1.0, g.1), zu);
        stroke.0.hypot(stroke.1)
    }

    #[test]
    fn sinusoid_matches_analytic_frequency_response() {
        let car = QuarterCar::GOLDEN;
        let (dx, a) = (0.01, 0.004);
        for lambda in [1.0, 2.0, 5.0, 20.0] {
            let z = (0..=60000).map(|i| a * (2.0 * PI * i as f64 * dx / lambda).sin()).collect();
            let opts = IriOptions { section_length: 100.0, start: Some(0.0), ..Default::default() };
            let got = iri_sections(&Profile::new(0.0, dx, z), &opts).unwrap();
            let k = 2.0 * PI / lambda;
            let sinc = (k * opts.base / 2.0).sin() / (k * opts.base / 2.0);
            let expected = 1000.0 * (2.0 / PI) * a * k * sinc * stroke_response(&car, k * car.speed);
            // sections after the transient has died out
            for s in &got[3..] {
                assert!(((s.iri - expected) / expected).abs() < 0.002, "λ {lambda}: {} vs {expected}", s.iri);
            }
        }
    }

    #[test]
    fn gaps_are_skipped_and_thin_sections_are_nan() {
        let mut p = rough(0.003);
        for v in &mut p.z[100..200] {
            *v = f64::NAN; // 5 m gap in the first section
        }
        for v in &mut p.z[2200..4000] {
            *v = f64::NAN; // all of the second section
        }
        let got = iri_sections(&p, &IriOptions::default()).unwrap();
        assert!(got[0].iri.is_finite());
        assert!(got[1].iri.is_nan());
    }

    #[test]
    fn short_profile_is_an_error() {
        assert!(iri_sections(&Profile::new(0.0, 0.25, vec![0.0; 20]), &IriOptions::default()).is_err());
    }
}
