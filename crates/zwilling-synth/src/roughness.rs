//! The longitudinal roughness profile of the road: a sum of sines under a smooth envelope.
//!
//! `R(s) = e(s) · Σₖ aₖ sin(2π s/λₖ + φₖ)` with six wavelengths between 1.7 m and 19.7 m (the band
//! the IRI quarter car responds to), amplitudes `aₖ = σ·λₖ/(2π)` (equal slope amplitude σ per
//! component) and seeded phases. The envelope `e(s)` takes a seeded level in [0.3, 1] per 100 m
//! block and blends between neighbouring levels with a half cosine over ±5 m around block
//! boundaries, so the IRI differs from block to block. `R` is added across the whole carriageway,
//! gutters and sidewalks, so wheel paths see it fully.
//!
//! The slope bound `|R'(s)| ≤ Σ|aₖ|·(2π/λₖ) + max|e'|·Σ|aₖ|` is kept below the longitudinal grade
//! so gutters drain (no closed depressions on the road apart from potholes and ruts).

use crate::rng::{stream, Stream};
use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};

/// Wavelengths (m) of the components.
pub const WAVELENGTHS: [f64; 6] = [1.7, 2.9, 4.3, 7.1, 11.3, 19.7];
/// Slope amplitude of each component (m/m).
pub const SLOPE_AMPLITUDE: f64 = 0.0016;
/// Half-length of the envelope blend around a block boundary (m).
pub const BLEND: f64 = 5.0;
/// Length of an envelope block (m).
pub const BLOCK: f64 = 100.0;

/// One sine component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Amplitude (m).
    pub amplitude: f64,
    /// Wavelength (m).
    pub wavelength: f64,
    /// Phase (rad).
    pub phase: f64,
}

/// The roughness profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roughness {
    /// Sine components.
    pub components: Vec<Component>,
    /// Envelope level per 100 m block (block `k` covers `[100k, 100k+100)`).
    pub levels: Vec<f64>,
}

impl Roughness {
    /// The profile for a scene of `length` metres.
    pub fn new(seed: u64, length: f64) -> Self {
        let mut r = Stream::new(seed, stream::ROUGHNESS, 0);
        let components = WAVELENGTHS
            .iter()
            .map(|&l| Component { amplitude: SLOPE_AMPLITUDE * l / TAU, wavelength: l, phase: r.range(0.0, TAU) })
            .collect();
        let blocks = (length / BLOCK).ceil() as usize + 2;
        let levels = (0..blocks).map(|k| Stream::new(seed, stream::ROUGHNESS, 1 + k as u64).range(0.3, 1.0)).collect();
        Roughness { components, levels }
    }

    fn level(&self, k: i64) -> f64 {
        self.levels[k.clamp(0, self.levels.len() as i64 - 1) as usize]
    }

    /// Envelope `e(s)`.
    pub fn envelope(&self, s: f64) -> f64 {
        let k = (s / BLOCK).floor() as i64;
        let from_start = s - k as f64 * BLOCK;
        let (a, b, x) = if from_start < BLEND {
            (self.level(k - 1), self.level(k), from_start + BLEND)
        } else if from_start > BLOCK - BLEND {
            (self.level(k), self.level(k + 1), from_start - (BLOCK - BLEND))
        } else {
            return self.level(k);
        };
        let w = 0.5 * (1.0 - (PI * x / (2.0 * BLEND)).cos()); // 0 → 1 over 2·BLEND
        a + (b - a) * w
    }

    /// Roughness height `R(s)` (m).
    pub fn height(&self, s: f64) -> f64 {
        let sum: f64 = self.components.iter().map(|c| c.amplitude * (TAU * s / c.wavelength + c.phase).sin()).sum();
        self.envelope(s) * sum
    }

    /// An upper bound of `|R'(s)|`.
    pub fn slope_bound(&self) -> f64 {
        let amp: f64 = self.components.iter().map(|c| c.amplitude).sum();
        let slope: f64 = self.components.iter().map(|c| c.amplitude * TAU / c.wavelength).sum();
        let dmax = (self.levels.iter().cloned().fold(f64::MIN, f64::max)
            - self.levels.iter().cloned().fold(f64::MAX, f64::min))
            * PI
            / (4.0 * BLEND);
        slope + dmax * amp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_continuous_and_slope_bound_holds() {
        let r = Roughness::new(3, 1000.0);
        let dx = 0.001;
        let mut max_slope: f64 = 0.0;
        for i in 0..1_000_000 {
            let s = i as f64 * dx;
            let d = (r.height(s + dx) - r.height(s)) / dx;
            max_slope = max_slope.max(d.abs());
            assert!((r.envelope(s + dx) - r.envelope(s)).abs() < 1e-3);
        }
        assert!(max_slope <= r.slope_bound() * 1.0001, "{max_slope} > {}", r.slope_bound());
        assert!(r.slope_bound() < 0.012);
    }
}
