//! A longitudinal elevation profile sampled at a constant interval.
//!
//! Road measures (IRI, rolling straightedge) need elevations at a constant station interval.
//! [`Profile::from_pairs`] accepts any `(station, elevation)` list in increasing station order;
//! when the spacing is not constant (relative deviation above 1e-6 of the median interval) the
//! profile is resampled by linear interpolation at the median interval, starting at the first
//! station. Missing elevations are NaN; [`Profile::fill_gaps`] bridges short gaps linearly.
//!
//! Example: `Profile::from_pairs(&[0.0, 0.25, 0.5], &[1.0, 1.1, 1.0])` gives `dx = 0.25`.

use zwilling_core::{Error, Result};

/// Elevations at `start + i·dx`, in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Station of the first sample (m).
    pub start: f64,
    /// Sample interval (m), > 0.
    pub dx: f64,
    /// Elevations (m); NaN where unknown.
    pub z: Vec<f64>,
}

impl Profile {
    /// A profile from its start, interval and elevations.
    pub fn new(start: f64, dx: f64, z: Vec<f64>) -> Self {
        Profile { start, dx, z }
    }

    /// A profile from station/elevation pairs (stations strictly increasing); resampled at the
    /// median interval when the spacing is irregular.
    pub fn from_pairs(stations: &[f64], elevations: &[f64]) -> Result<Self> {
        if stations.len() != elevations.len() {
            return Err(Error::invalid("stations and elevations differ in length"));
        }
        if stations.len() < 2 {
            return Err(Error::invalid("a profile needs at least two samples"));
        }
        let mut steps = Vec::with_capacity(stations.len() - 1);
        for (i, w) in stations.windows(2).enumerate() {
            let d = w[1] - w[0];
            if d.is_nan() || d <= 0.0 {
                return Err(Error::invalid(format!(
                    "stations must increase: sample {} at {} follows {}",
                    i + 2,
                    w[1],
                    w[0]
                )));
            }
            steps.push(d);
        }
        let mut sorted = steps.clone();
        sorted.sort_by(f64::total_cmp);
        let dx = sorted[sorted.len() / 2];
        let regular = steps.iter().all(|d| ((d - dx) / dx).abs() <= 1e-6);
        if regular {
            return Ok(Profile::new(stations[0], dx, elevations.to_vec()));
        }
        let n = ((stations[stations.len() - 1] - stations[0]) / dx + 1e-9).floor() as usize + 1;
        let mut z = Vec::with_capacity(n);
        let mut j = 0;
        for i in 0..n {
            let s = stations[0] + i as f64 * dx;
            while j + 2 < stations.len() && stations[j + 1] < s {
                j += 1;
            }
            let t = ((s - stations[j]) / (stations[j + 1] - stations[j])).clamp(0.0, 1.0);
            z.push(elevations[j] + t * (elevations[j + 1] - elevations[j]));
        }
        Ok(Profile::new(stations[0], dx, z))
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.z.len()
    }

    /// True without samples.
    pub fn is_empty(&self) -> bool {
        self.z.is_empty()
    }

    /// Station of sample `i`.
    pub fn station(&self, i: usize) -> f64 {
        self.start + i as f64 * self.dx
    }

    /// Station of the last sample.
    pub fn end(&self) -> f64 {
        self.station(self.z.len().saturating_sub(1))
    }

    /// Elevation at station `s` by linear interpolation (NaN outside or next to a gap).
    pub fn at(&self, s: f64) -> f64 {
        let f = (s - self.start) / self.dx;
        if f < -1e-9 || self.z.is_empty() {
            return f64::NAN;
        }
        let i = f.floor().max(0.0) as usize;
        let t = f - i as f64;
        if i + 1 >= self.z.len() {
            return if i + 1 == self.z.len() && t < 1e-9 { self.z[i] } else { f64::NAN };
        }
        if t < 1e-12 {
            return self.z[i];
        }
        self.z[i] + t * (self.z[i + 1] - self.z[i])
    }

    /// Replaces runs of NaN no longer than `max_gap` metres between two known samples by linear
    /// interpolation; returns the number of samples still NaN.
    pub fn fill_gaps(&mut self, max_gap: f64) -> usize {
        let n = self.z.len();
        let mut i = 0;
        while i < n {
            if !self.z[i].is_nan() {
                i += 1;
                continue;
            }
            let a = i;
            while i < n && self.z[i].is_nan() {
                i += 1;
            }
            if a == 0 || i == n || (i - a + 1) as f64 * self.dx > max_gap + 1e-9 {
                continue;
            }
            let (za, zb) = (self.z[a - 1], self.z[i]);
            let span = (i - a + 1) as f64;
            for k in a..i {
                self.z[k] = za + (zb - za) * (k - a + 1) as f64 / span;
            }
        }
        self.z.iter().filter(|v| v.is_nan()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_pairs_keep_their_samples() {
        let p = Profile::from_pairs(&[10.0, 10.25, 10.5, 10.75], &[1.0, 2.0, 3.0, 5.0]).unwrap();
        assert_eq!((p.start, p.dx, p.len()), (10.0, 0.25, 4));
        assert_eq!(p.at(10.625), 4.0);
        assert!(p.at(10.8).is_nan());
    }

    #[test]
    fn irregular_pairs_are_resampled_linearly() {
        // z = 2·s sampled irregularly: the median step is 0.1, resampling is exact for a line.
        let s = [0.0, 0.1, 0.2, 0.35, 0.4, 0.5];
        let z: Vec<f64> = s.iter().map(|v| 2.0 * v).collect();
        let p = Profile::from_pairs(&s, &z).unwrap();
        assert_eq!(p.len(), 6);
        assert!((p.dx - 0.1).abs() < 1e-12);
        assert!((p.z[3] - 0.6).abs() < 1e-12);
    }

    #[test]
    fn bad_pairs_are_rejected() {
        assert!(Profile::from_pairs(&[0.0, 0.0], &[1.0, 1.0]).is_err());
        assert!(Profile::from_pairs(&[0.0], &[1.0]).is_err());
    }

    #[test]
    fn short_gaps_are_bridged() {
        let mut p = Profile::new(0.0, 0.1, vec![0.0, f64::NAN, f64::NAN, 3.0, f64::NAN, f64::NAN, f64::NAN, 0.0]);
        // first gap spans 0.3 m (bridged), second 0.4 m (left)
        assert_eq!(p.fill_gaps(0.3), 3);
        assert!((p.z[1] - 1.0).abs() < 1e-12 && (p.z[2] - 2.0).abs() < 1e-12);
    }
}
