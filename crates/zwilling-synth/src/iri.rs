//! Reference International Roughness Index (IRI) of a longitudinal profile, ASTM E1926.
//!
//! The scene's IRI truth is what this quarter car computes on the true analytic wheel-path
//! profile, sampled densely: a measurement must reproduce it.
//!
//! Method (ASTM E1926-08; Sayers 1995, "On the calculation of IRI from longitudinal road
//! profile", TRR 1501): the golden quarter car (per unit sprung mass k1 = 653, k2 = 63.3,
//! c = 6.0 s⁻¹, µ = 0.15) runs at 80 km/h over the profile. The input is the profile slope over a
//! 250 mm base, `(y[i+b] − y[i]) / (b·dx)` with `b = max(1, round(0.25/dx))` (this equals the
//! slope of the 250 mm moving average). The state `z = (zs, żs, zu, żu)` (in slope units) is
//! advanced exactly for a piecewise-constant input: `z ← S·z + P·slope` with `S = exp(A·dt)`,
//! `P = A⁻¹(S − I)B`, `dt = dx/V`; with a slope input the first and third states are the
//! slopes of the sprung and unsprung masses. The state is initialised from the mean slope of the
//! first 11 m: `z₁ = z₃ = (y(11 m) − y(0))/11`, `z₂ = z₄ = 0`. The IRI of a stretch is the mean of
//! `|z₁ − z₃|` (the suspension rate divided by the speed, m/m) over the steps in it, ×1000 for
//! m/km; step `i` (driven by the slope from sample `i` to `i + b`) belongs to the station of
//! sample `i`. The state is carried across sections. This reproduces the published reference
//! values of Šroubek, Šorel & Žák (2021) within 0.3 % (conformance suite:
//! `tests/conformance/iri_reference.rs` at the workspace root).
//!
//! ```
//! use zwilling_synth::iri::iri_sections;
//! // a flat and a constant-grade profile have IRI 0
//! let y: Vec<f64> = (0..4001).map(|i| 0.02 * i as f64 * 0.05).collect();
//! let s = iri_sections(&y, 0.05, 0.0, 100.0);
//! assert!(s.iter().all(|x| x.iri.abs() < 1e-9));
//! ```

// Small dense matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use serde::{Deserialize, Serialize};

/// Golden car: tyre spring rate k1 / sprung mass (s⁻²).
pub const K1: f64 = 653.0;
/// Suspension spring rate k2 / sprung mass (s⁻²).
pub const K2: f64 = 63.3;
/// Damper rate c / sprung mass (s⁻¹).
pub const C: f64 = 6.0;
/// Unsprung / sprung mass ratio.
pub const MU: f64 = 0.15;
/// Simulated speed (m/s) = 80 km/h.
pub const SPEED: f64 = 80.0 / 3.6;
/// Moving-average base length (m).
pub const BASE: f64 = 0.25;
/// Initialisation length (m).
pub const INIT: f64 = 11.0;

type M4 = [[f64; 4]; 4];

/// The continuous system matrix `A` and input vector `B` of the golden car.
pub fn system() -> (M4, [f64; 4]) {
    let a = [[0.0, 1.0, 0.0, 0.0], [-K2, -C, K2, C], [0.0, 0.0, 0.0, 1.0], [K2 / MU, C / MU, -(K1 + K2) / MU, -C / MU]];
    (a, [0.0, 0.0, 0.0, K1 / MU])
}

fn mul(a: &M4, b: &M4) -> M4 {
    let mut r = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            r[i][j] = (0..4).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    r
}

/// `exp(M)` by scaling and squaring with a 24-term Taylor series.
fn expm(m: &M4) -> M4 {
    let norm = m.iter().map(|r| r.iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max);
    let mut k = 0;
    while norm / f64::from(1u32 << k) > 0.25 && k < 30 {
        k += 1;
    }
    let scale = 1.0 / f64::from(1u32 << k);
    let ms: M4 = m.map(|r| r.map(|v| v * scale));
    let mut result = [[0.0; 4]; 4];
    let mut term = [[0.0; 4]; 4];
    for i in 0..4 {
        result[i][i] = 1.0;
        term[i][i] = 1.0;
    }
    for n in 1..24 {
        term = mul(&term, &ms).map(|r| r.map(|v| v / n as f64));
        for i in 0..4 {
            for j in 0..4 {
                result[i][j] += term[i][j];
            }
        }
    }
    for _ in 0..k {
        result = mul(&result, &result);
    }
    result
}

/// Solves `A x = b` (Gaussian elimination with partial pivoting).
fn solve(mut a: M4, mut b: [f64; 4]) -> [f64; 4] {
    for c in 0..4 {
        let p = (c..4).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap_or(c);
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..4 {
            let f = a[r][c] / a[c][c];
            for k in c..4 {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 4];
    for r in (0..4).rev() {
        x[r] = (b[r] - (r + 1..4).map(|k| a[r][k] * x[k]).sum::<f64>()) / a[r][r];
    }
    x
}

/// The discrete golden car for sample interval `dx` (m).
#[derive(Debug, Clone, Copy)]
pub struct QuarterCar {
    st: M4,
    pr: [f64; 4],
}

impl QuarterCar {
    /// State-transition matrix and input vector for steps of `dx` metres at 80 km/h.
    pub fn golden(dx: f64) -> Self {
        let (a, b) = system();
        let dt = dx / SPEED;
        let st = expm(&a.map(|r| r.map(|v| v * dt)));
        let mut rhs = [0.0; 4];
        for i in 0..4 {
            rhs[i] = (0..4).map(|k| (st[i][k] - if i == k { 1.0 } else { 0.0 }) * b[k]).sum();
        }
        QuarterCar { st, pr: solve(a, rhs) }
    }
}

/// `|zs' − zu'|` (m/m: the suspension rate divided by the speed) after each step: entry `i` is the step driven by the slope from sample `i`
/// to `i + b`; there are `n − b` entries.
pub fn rectified_slopes(y: &[f64], dx: f64) -> Vec<f64> {
    let base = ((BASE / dx).round() as usize).max(1);
    if y.len() <= base {
        return Vec::new();
    }
    let car = QuarterCar::golden(dx);
    let i11 = ((INIT / dx).round() as usize).min(y.len() - 1).max(1);
    let z0 = (y[i11] - y[0]) / (i11 as f64 * dx);
    let mut z = [z0, 0.0, z0, 0.0];
    let bl = base as f64 * dx;
    let mut out = Vec::with_capacity(y.len() - base);
    for i in 0..y.len() - base {
        let slope = (y[i + base] - y[i]) / bl;
        let mut n = [0.0; 4];
        for (r, nr) in n.iter_mut().enumerate() {
            *nr = (0..4).map(|k| car.st[r][k] * z[k]).sum::<f64>() + car.pr[r] * slope;
        }
        z = n;
        out.push((z[0] - z[2]).abs());
    }
    out
}

/// IRI of one stretch of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IriSection {
    /// Start station (m).
    pub start: f64,
    /// End station (m).
    pub end: f64,
    /// IRI (m/km).
    pub iri: f64,
}

/// IRI per section of `section_len` metres of a profile sampled every `dx` from station
/// `start_station`. Step `i` (see [`rectified_slopes`]) belongs to the section holding station
/// `start_station + i·dx`; the last section ends at the last station with a step.
pub fn iri_sections(y: &[f64], dx: f64, start_station: f64, section_len: f64) -> Vec<IriSection> {
    let rs = rectified_slopes(y, dx);
    let mut out: Vec<IriSection> = Vec::new();
    let mut sum = 0.0;
    let mut count = 0usize;
    let mut current = 0usize;
    let per = (section_len / dx).round() as usize;
    for (i, r) in rs.iter().enumerate() {
        let k = i / per.max(1);
        if k != current && count > 0 {
            let start = start_station + current as f64 * section_len;
            out.push(IriSection { start, end: start + section_len, iri: 1000.0 * sum / count as f64 });
            sum = 0.0;
            count = 0;
        }
        current = k;
        sum += r;
        count += 1;
    }
    if count > 0 {
        let start = start_station + current as f64 * section_len;
        let end = (start + section_len).min(start_station + (rs.len() - 1) as f64 * dx + dx);
        out.push(IriSection { start, end, iri: 1000.0 * sum / count as f64 });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |H(jω)| from slope input to z₁ − z₃ of the continuous golden car, by a complex solve of
    /// (jωI − A) x = B.
    fn gain(omega: f64) -> f64 {
        let (a, b) = system();
        // complex matrix as (re, im)
        let mut m = [[(0.0, 0.0); 4]; 4];
        let mut v = [(0.0, 0.0); 4];
        for i in 0..4 {
            for j in 0..4 {
                m[i][j] = (-a[i][j], if i == j { omega } else { 0.0 });
            }
            v[i] = (b[i], 0.0);
        }
        let cmul = |p: (f64, f64), q: (f64, f64)| (p.0 * q.0 - p.1 * q.1, p.0 * q.1 + p.1 * q.0);
        let cdiv = |p: (f64, f64), q: (f64, f64)| {
            let d = q.0 * q.0 + q.1 * q.1;
            ((p.0 * q.0 + p.1 * q.1) / d, (p.1 * q.0 - p.0 * q.1) / d)
        };
        for c in 0..4 {
            for r in c + 1..4 {
                let f = cdiv(m[r][c], m[c][c]);
                for k in c..4 {
                    let t = cmul(f, m[c][k]);
                    m[r][k] = (m[r][k].0 - t.0, m[r][k].1 - t.1);
                }
                let t = cmul(f, v[c]);
                v[r] = (v[r].0 - t.0, v[r].1 - t.1);
            }
        }
        let mut x = [(0.0, 0.0); 4];
        for r in (0..4).rev() {
            let mut acc = v[r];
            for k in r + 1..4 {
                let t = cmul(m[r][k], x[k]);
                acc = (acc.0 - t.0, acc.1 - t.1);
            }
            x[r] = cdiv(acc, m[r][r]);
        }
        let y = (x[0].0 - x[2].0, x[0].1 - x[2].1);
        (y.0 * y.0 + y.1 * y.1).sqrt()
    }

    #[test]
    fn sinusoid_matches_the_analytic_frequency_response() {
        // y = a sin(2πx/λ): base-b slope amplitude 2a·sin(kB/2)/B, steady-state response |H(kV)|,
        // mean of a rectified sinusoid = 2/π of its amplitude.
        let dx = 0.01;
        for &(a, lambda) in &[(0.002, 2.4), (0.003, 5.0), (0.005, 15.0), (0.001, 1.0)] {
            let k = std::f64::consts::TAU / lambda;
            let y: Vec<f64> = (0..(600.0 / dx) as usize).map(|i| a * (k * i as f64 * dx).sin()).collect();
            let rs = rectified_slopes(&y, dx);
            let bl = (BASE / dx).round() * dx;
            let slope_amp = 2.0 * a * (k * bl / 2.0).sin() / bl;
            let expect = 1000.0 * 2.0 / std::f64::consts::PI * slope_amp * gain(k * SPEED);
            // mean over a whole number of periods after 300 m (transients gone)
            let per = (lambda / dx).round() as usize;
            let n = (200.0 / lambda).floor() as usize * per;
            let start = (300.0 / dx) as usize;
            let got = 1000.0 * rs[start..start + n].iter().sum::<f64>() / n as f64;
            assert!((got / expect - 1.0).abs() < 0.005, "λ {lambda}: {got} vs {expect}");
        }
    }

    #[test]
    fn iri_is_linear_in_amplitude_and_zero_for_a_grade() {
        let dx = 0.05;
        let y: Vec<f64> = (0..6000).map(|i| 0.002 * (i as f64 * dx * 1.3).sin()).collect();
        let y3: Vec<f64> = y.iter().map(|v| 3.0 * v).collect();
        let a = iri_sections(&y, dx, 0.0, 100.0);
        let b = iri_sections(&y3, dx, 0.0, 100.0);
        for (p, q) in a.iter().zip(&b) {
            assert!((q.iri - 3.0 * p.iri).abs() < 1e-9 * q.iri.max(1.0));
        }
        let g: Vec<f64> = (0..6000).map(|i| -0.03 * i as f64 * dx).collect();
        assert!(iri_sections(&g, dx, 0.0, 100.0).iter().all(|s| s.iri < 1e-9));
    }
}
