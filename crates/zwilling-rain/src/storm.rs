//! Design storms: piecewise-constant rain intensities (hyetographs).
//!
//! - **Block rain** `"90mm/1h"`: constant intensity `P / D` for the duration `D` (the NRW
//!   "extreme" scenario of the Arbeitshilfe kommunales Starkregenrisikomanagement 2018 is
//!   90 mm in 1 h).
//! - **Euler type II** (DWA-A 118; Schmitt 2000) from a KOSTRA-DWD-2020 depth–duration table
//!   `P(d)` of one return period: the duration `D` is cut into 5-minute intervals `k = 1..N`;
//!   the increments `ΔP_k = P(5k) − P(5(k−1))` (with `P(d)` linearly interpolated between the
//!   table's durations, `P(0) = 0`) decrease with `k`. The largest, `ΔP_1`, is placed in the
//!   interval that contains 30 % of the duration (index `m = floor(0.3·N)`), the following
//!   `ΔP_2, ΔP_3, …` after it in decreasing order, and the `m` smallest increments before it in
//!   increasing order. So every window that starts at the peak holds exactly the KOSTRA depth of
//!   its duration, and the total is `P(D)`.
//! - **Series**: given depths per fixed step (e.g. a measured event or a CSV).
//!
//! ```
//! use zwilling_rain::storm::Hyetograph;
//! let h = Hyetograph::parse("90mm/1h").unwrap();
//! assert!((h.total_depth_m() - 0.090).abs() < 1e-12);
//! assert!((h.rate_at(1800.0) - 0.090 / 3600.0).abs() < 1e-15);
//! assert_eq!(h.rate_at(3600.0), 0.0);
//! ```

use zwilling_core::{Error, Result};

/// Rain intensities constant over steps of `step_s` seconds, starting at t = 0; zero afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyetograph {
    /// Step length in seconds.
    pub step_s: f64,
    /// Intensity of each step in m/s.
    pub intensity: Vec<f64>,
}

impl Hyetograph {
    /// Constant rain of `depth_mm` over `duration_s`.
    pub fn block(depth_mm: f64, duration_s: f64) -> Result<Self> {
        if !(depth_mm >= 0.0 && duration_s > 0.0 && depth_mm.is_finite() && duration_s.is_finite()) {
            return Err(Error::invalid(format!(
                "block rain needs depth ≥ 0 and duration > 0, got {depth_mm} mm / {duration_s} s"
            )));
        }
        Ok(Hyetograph { step_s: duration_s, intensity: vec![depth_mm / 1000.0 / duration_s] })
    }

    /// Parses a block rain `"<depth>mm/<duration><unit>"`, unit `h`, `min` or `s`
    /// (e.g. `90mm/1h`, `45.5mm/90min`).
    pub fn parse(spec: &str) -> Result<Self> {
        let bad = || Error::invalid(format!("rain '{spec}': expected e.g. 90mm/1h, 45mm/90min or 20mm/600s"));
        let (depth, dur) = spec.trim().split_once('/').ok_or_else(bad)?;
        let depth: f64 = depth.trim().strip_suffix("mm").ok_or_else(bad)?.trim().parse().map_err(|_| bad())?;
        let dur = dur.trim();
        let (num, factor) = if let Some(v) = dur.strip_suffix("min") {
            (v, 60.0)
        } else if let Some(v) = dur.strip_suffix('h') {
            (v, 3600.0)
        } else if let Some(v) = dur.strip_suffix('s') {
            (v, 1.0)
        } else {
            return Err(bad());
        };
        let d: f64 = num.trim().parse().map_err(|_| bad())?;
        Hyetograph::block(depth, d * factor)
    }

    /// Euler type II hyetograph of `duration_min` minutes in `step_min`-minute steps (usually 5)
    /// from a depth–duration table `(duration_min, depth_mm)` of one return period (KOSTRA-DWD-2020).
    pub fn euler_type2(table: &[(f64, f64)], duration_min: f64, step_min: f64) -> Result<Self> {
        if table.is_empty() || !(step_min > 0.0) || !(duration_min >= step_min) {
            return Err(Error::invalid("Euler type II needs a depth–duration table and duration ≥ step > 0"));
        }
        let mut t = table.to_vec();
        t.sort_by(|a, b| a.0.total_cmp(&b.0));
        if t.windows(2).any(|p| p[1].1 < p[0].1) || t[0].0 <= 0.0 {
            return Err(Error::invalid("depth–duration table must have durations > 0 and depths not decreasing"));
        }
        if duration_min > t[t.len() - 1].0 + 1e-9 {
            return Err(Error::invalid(format!(
                "duration {duration_min} min exceeds the depth–duration table (up to {} min)",
                t[t.len() - 1].0
            )));
        }
        let depth_at = |d: f64| -> f64 {
            let mut prev = (0.0, 0.0);
            for &(td, tp) in &t {
                if d <= td {
                    return prev.1 + (tp - prev.1) * (d - prev.0) / (td - prev.0);
                }
                prev = (td, tp);
            }
            prev.1
        };
        let n = (duration_min / step_min).round() as usize;
        let inc: Vec<f64> =
            (1..=n).map(|k| depth_at(k as f64 * step_min) - depth_at((k - 1) as f64 * step_min)).collect();
        let m = (0.3 * n as f64).floor() as usize;
        let mut blocks = vec![0.0; n];
        // peak and the following ones in decreasing order
        for (j, v) in inc.iter().take(n - m).enumerate() {
            blocks[m + j] = *v;
        }
        // the m smallest before the peak, increasing towards it
        for j in 0..m {
            blocks[j] = inc[n - 1 - j];
        }
        let step_s = step_min * 60.0;
        Ok(Hyetograph { step_s, intensity: blocks.iter().map(|p| p / 1000.0 / step_s).collect() })
    }

    /// A series of rain depths (mm) per step of `step_s` seconds.
    pub fn series(step_s: f64, depths_mm: &[f64]) -> Result<Self> {
        if !(step_s > 0.0) || depths_mm.iter().any(|d| !(d.is_finite() && *d >= 0.0)) {
            return Err(Error::invalid("rain series needs step > 0 and finite depths ≥ 0"));
        }
        Ok(Hyetograph { step_s, intensity: depths_mm.iter().map(|p| p / 1000.0 / step_s).collect() })
    }

    /// Scales all intensities by `factor` (e.g. an areal reduction).
    pub fn scaled(&self, factor: f64) -> Self {
        Hyetograph { step_s: self.step_s, intensity: self.intensity.iter().map(|i| i * factor).collect() }
    }

    /// Intensity (m/s) at time `t` seconds.
    pub fn rate_at(&self, t: f64) -> f64 {
        if t < 0.0 {
            return 0.0;
        }
        self.intensity.get((t / self.step_s).floor() as usize).copied().unwrap_or(0.0)
    }

    /// The first time after `t` at which the intensity may change.
    pub fn next_change_after(&self, t: f64) -> f64 {
        let k = (t / self.step_s).floor() + 1.0;
        if k as usize > self.intensity.len() {
            f64::INFINITY
        } else {
            k * self.step_s
        }
    }

    /// Duration of the storm in seconds.
    pub fn duration_s(&self) -> f64 {
        self.step_s * self.intensity.len() as f64
    }

    /// Total depth in metres.
    pub fn total_depth_m(&self) -> f64 {
        self.intensity.iter().map(|i| i * self.step_s).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_block_rains() {
        let h = Hyetograph::parse("45.5mm/90min").unwrap();
        assert!((h.duration_s() - 5400.0).abs() < 1e-9);
        assert!((h.total_depth_m() - 0.0455).abs() < 1e-12);
        assert!(Hyetograph::parse("90/1h").is_err());
        assert!(Hyetograph::parse("90mm/1day").is_err());
        assert!(Hyetograph::parse("-3mm/1h").is_err());
    }

    #[test]
    fn euler_type2_windows_from_the_peak_hold_kostra_depths() {
        // A KOSTRA-like table (duration min, depth mm), T = 100 a.
        let table = [(5.0, 16.0), (10.0, 24.0), (15.0, 29.5), (20.0, 33.5), (30.0, 39.0), (45.0, 44.5), (60.0, 48.5)];
        let h = Hyetograph::euler_type2(&table, 60.0, 5.0).unwrap();
        assert_eq!(h.intensity.len(), 12);
        let mm: Vec<f64> = h.intensity.iter().map(|i| i * 300.0 * 1000.0).collect();
        // peak at index floor(0.3·12) = 3 holds P(5) = 16 mm
        assert!((mm[3] - 16.0).abs() < 1e-9);
        assert!(mm.iter().all(|&v| v <= 16.0 + 1e-9));
        // windows from the peak: 10 min → 24 mm, 30 min → 39 mm
        assert!((mm[3] + mm[4] - 24.0).abs() < 1e-9);
        assert!((mm[3..9].iter().sum::<f64>() - 39.0).abs() < 1e-9);
        // total = P(60)
        assert!((h.total_depth_m() * 1000.0 - 48.5).abs() < 1e-9);
        // before the peak: increasing
        assert!(mm[0] <= mm[1] + 1e-9 && mm[1] <= mm[2] + 1e-9 && mm[2] <= mm[3] + 1e-9);
        assert!(Hyetograph::euler_type2(&table, 90.0, 5.0).is_err());
    }
}
