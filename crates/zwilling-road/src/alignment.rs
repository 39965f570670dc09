//! Stationing along the vehicle trajectory: a smoothed centre line with station s (m) and signed
//! lateral offset o (m, positive to the right in driving direction).
//!
//! The trajectory positions are resampled every `step` metres of travelled distance (a standing
//! vehicle adds nothing), smoothed by a moving average over ±`smoothing` metres (removes GNSS
//! jitter and lane-keeping wiggles), shifted sideways by the lane-centre offset, and stationed by
//! cumulative chord length. A point (x, y) is projected on the nearest segment: s = station of
//! the foot point, o = signed distance ((p − a) × t with t the unit tangent; right is positive).
//! Segments are kept in a uniform grid of `cell` metres for fast candidate look-up.
//!
//! Example: a straight trajectory from (0, 0) to (100, 0) puts (30, −2) at s = 30, o = +2.

use std::collections::HashMap;
use zwilling_core::{Error, Result, TrajectoryPoint};

/// A stationed, smoothed centre line.
#[derive(Debug, Clone)]
pub struct Alignment {
    /// Vertices (x, y).
    pub xy: Vec<[f64; 2]>,
    /// Heights of the vertices (trajectory height, smoothed).
    pub z: Vec<f64>,
    /// Station of each vertex (m), starting at 0.
    pub station: Vec<f64>,
    cell: f64,
    reach: f64,
    index: HashMap<(i64, i64), Vec<u32>>,
}

impl Alignment {
    /// Builds the alignment from trajectory samples (in time order). `lateral` shifts the line to
    /// the right (m), `reach` is the largest |offset| that [`Alignment::project`] will return.
    pub fn from_trajectory(
        traj: &[TrajectoryPoint],
        step: f64,
        smoothing: f64,
        lateral: f64,
        reach: f64,
    ) -> Result<Self> {
        let pts: Vec<[f64; 3]> = traj.iter().map(|p| [p.x, p.y, p.z]).collect();
        Self::from_points(&pts, step, smoothing, lateral, reach)
    }

    /// As [`Alignment::from_trajectory`] from plain `[x, y, z]` positions.
    pub fn from_points(pts: &[[f64; 3]], step: f64, smoothing: f64, lateral: f64, reach: f64) -> Result<Self> {
        if pts.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
            return Err(Error::invalid("trajectory has non-finite coordinates"));
        }
        // resample by travelled distance
        let mut cum = vec![0.0];
        for w in pts.windows(2) {
            cum.push(cum.last().unwrap() + (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]));
        }
        let total = *cum.last().unwrap_or(&0.0);
        if total < 2.0 * step {
            return Err(Error::invalid(format!("trajectory too short: {total:.1} m travelled")));
        }
        let n = (total / step).floor() as usize + 1;
        let mut raw = Vec::with_capacity(n);
        let mut j = 0;
        for i in 0..n {
            let d = i as f64 * step;
            while j + 2 < cum.len() && cum[j + 1] < d {
                j += 1;
            }
            let span = cum[j + 1] - cum[j];
            let t = if span > 0.0 { ((d - cum[j]) / span).clamp(0.0, 1.0) } else { 0.0 };
            raw.push([0, 1, 2].map(|k| pts[j][k] + t * (pts[j + 1][k] - pts[j][k])));
        }
        if total - (n - 1) as f64 * step > 1e-6 * step {
            raw.push(pts[pts.len() - 1]);
        }
        let n = raw.len();
        // moving average (window shrinks symmetrically at the ends, so the ends stay put)
        let h = (smoothing / step).round() as usize;
        let smooth: Vec<[f64; 3]> = (0..n)
            .map(|i| {
                let k = h.min(i).min(n - 1 - i);
                let mut s = [0.0; 3];
                for p in &raw[i - k..=i + k] {
                    for c in 0..3 {
                        s[c] += p[c];
                    }
                }
                s.map(|v| v / (2 * k + 1) as f64)
            })
            .collect();
        // lateral shift along the right normal
        let mut xy = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (smooth[i.saturating_sub(1)], smooth[(i + 1).min(n - 1)]);
            let (tx, ty) = (b[0] - a[0], b[1] - a[1]);
            let len = tx.hypot(ty).max(1e-12);
            // right normal of (tx, ty) is (ty, −tx)
            xy.push([smooth[i][0] + lateral * ty / len, smooth[i][1] - lateral * tx / len]);
        }
        let mut station = vec![0.0];
        for w in xy.windows(2) {
            station.push(station.last().unwrap() + (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]));
        }
        let cell = reach.max(2.0 * step);
        let mut a =
            Alignment { xy, z: smooth.iter().map(|p| p[2]).collect(), station, cell, reach, index: HashMap::new() };
        for i in 0..a.xy.len() - 1 {
            let (p, q) = (a.xy[i], a.xy[i + 1]);
            let (x0, x1) = (p[0].min(q[0]) - reach, p[0].max(q[0]) + reach);
            let (y0, y1) = (p[1].min(q[1]) - reach, p[1].max(q[1]) + reach);
            for cx in (x0 / cell).floor() as i64..=(x1 / cell).floor() as i64 {
                for cy in (y0 / cell).floor() as i64..=(y1 / cell).floor() as i64 {
                    a.index.entry((cx, cy)).or_default().push(i as u32);
                }
            }
        }
        Ok(a)
    }

    /// Total length (m).
    pub fn length(&self) -> f64 {
        *self.station.last().unwrap_or(&0.0)
    }

    /// (station, offset) of (x, y), or `None` when farther than `reach` from the line.
    pub fn project(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let key = ((x / self.cell).floor() as i64, (y / self.cell).floor() as i64);
        let mut best: Option<(f64, f64, f64)> = None; // (distance², s, o)
        for &i in self.index.get(&key)? {
            let i = i as usize;
            let (a, b) = (self.xy[i], self.xy[i + 1]);
            let (tx, ty) = (b[0] - a[0], b[1] - a[1]);
            let len2 = tx * tx + ty * ty;
            if len2 <= 0.0 {
                continue;
            }
            let t = (((x - a[0]) * tx + (y - a[1]) * ty) / len2).clamp(0.0, 1.0);
            let (fx, fy) = (a[0] + t * tx, a[1] + t * ty);
            let d2 = (x - fx).powi(2) + (y - fy).powi(2);
            if best.is_none_or(|b| d2 < b.0) {
                let len = len2.sqrt();
                let o = ((x - a[0]) * ty - (y - a[1]) * tx) / len;
                best = Some((d2, self.station[i] + t * len, o));
            }
        }
        best.filter(|b| b.0 <= self.reach * self.reach + 1e-9).map(|b| (b.1, b.2))
    }

    /// Position (x, y) at station s and offset o (right positive); s is clamped to the line.
    pub fn point(&self, s: f64, o: f64) -> [f64; 2] {
        let s = s.clamp(0.0, self.length());
        let i = self.station.partition_point(|&v| v <= s).clamp(1, self.station.len() - 1) - 1;
        let (a, b) = (self.xy[i], self.xy[i + 1]);
        let len = (self.station[i + 1] - self.station[i]).max(1e-12);
        let t = (s - self.station[i]) / len;
        let (tx, ty) = ((b[0] - a[0]) / len, (b[1] - a[1]) / len);
        [a[0] + t * (b[0] - a[0]) + o * ty, a[1] + t * (b[1] - a[1]) - o * tx]
    }

    /// Height of the (smoothed) trajectory at station s.
    pub fn height(&self, s: f64) -> f64 {
        let s = s.clamp(0.0, self.length());
        let i = self.station.partition_point(|&v| v <= s).clamp(1, self.station.len() - 1) - 1;
        let t = (s - self.station[i]) / (self.station[i + 1] - self.station[i]).max(1e-12);
        self.z[i] + t * (self.z[i + 1] - self.z[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_line_projection() {
        let pts: Vec<[f64; 3]> = (0..=100).map(|i| [i as f64, 0.0, 10.0]).collect();
        let a = Alignment::from_points(&pts, 1.0, 5.0, 0.0, 3.0).unwrap();
        assert!((a.length() - 100.0).abs() < 1e-9);
        let (s, o) = a.project(30.0, -2.0).unwrap();
        assert!((s - 30.0).abs() < 1e-9 && (o - 2.0).abs() < 1e-9, "{s} {o}");
        assert!(a.project(30.0, 5.0).is_none());
        let p = a.point(30.0, 2.0);
        assert!((p[0] - 30.0).abs() < 1e-9 && (p[1] + 2.0).abs() < 1e-9);
    }

    #[test]
    fn lateral_shift_and_circle_stationing() {
        // quarter circle of radius 100 m, counter-clockwise: right of travel is outward
        let pts: Vec<[f64; 3]> = (0..=900)
            .map(|i| {
                let t = i as f64 / 900.0 * std::f64::consts::FRAC_PI_2;
                [100.0 * t.cos(), 100.0 * t.sin(), 0.0]
            })
            .collect();
        let a = Alignment::from_points(&pts, 0.5, 2.0, 1.0, 3.0).unwrap();
        // shifted 1 m outward: radius 101, length ≈ π/2·101
        assert!((a.length() - std::f64::consts::FRAC_PI_2 * 101.0).abs() < 0.05, "{}", a.length());
        let (s, o) = a.project(0.0, 101.5).unwrap();
        assert!((o - 0.5).abs() < 0.01 && (s - a.length()).abs() < 0.05, "{s} {o}");
    }

    #[test]
    fn standing_vehicle_and_short_tracks() {
        let mut pts = vec![[0.0, 0.0, 0.0]; 50];
        pts.push([1.0, 0.0, 0.0]);
        assert!(Alignment::from_points(&pts, 1.0, 5.0, 0.0, 3.0).is_err());
    }
}
