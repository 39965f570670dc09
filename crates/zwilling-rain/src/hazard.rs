//! Hazard classes from flood depth and flow velocity, and the DEFRA hazard rating.
//!
//! **Classes** come from named, versioned presets (TOML data files in `presets/`, built in):
//! class `k` (1–4) when the value reaches the k-th lower bound, 0 below the first. The default
//! `nrw-default` v1 uses depth 0.10 / 0.30 / 0.50 / 1.00 m and velocity 0.2 / 0.5 / 1.0 / 2.0 m/s
//! (NRW Arbeitshilfe 2018 and published NRW Starkregengefahrenkarten; municipalities vary —
//! load your own with [`HazardPreset::from_toml`]). The combined class is the larger of both.
//!
//! **DEFRA hazard rating** (HR Wallingford, FD2320 *Flood Risks to People* Phase 2, 2005;
//! FD2321/TR2 2006): `HR = d · (v + 0.5) + DF` with the debris factor DF from depth and land use
//! (FD2320 Table 3.2: 0 for d ≤ 0.25 m; 0.25 < d ≤ 0.75 m: 0 pasture, 0.5 woodland, 1 urban;
//! d > 0.75 m: 0.5 pasture, 1 woodland and urban). Classes: HR < 0.75 low (caution),
//! 0.75–1.25 danger for some, 1.25–2.0 danger for most, > 2.0 danger for all.
//!
//! ```
//! use zwilling_rain::hazard::{defra_hazard_rating, DebrisFactor, HazardPreset};
//! let p = HazardPreset::builtin("nrw-default").unwrap();
//! assert_eq!(p.depth_class(0.35), 2);
//! assert_eq!(p.velocity_class(2.5), 4);
//! // d = 0.5 m, v = 1 m/s, urban: 0.5 · 1.5 + 1.0 = 1.75
//! assert!((defra_hazard_rating(0.5, 1.0, DebrisFactor::Urban) - 1.75).abs() < 1e-12);
//! ```

use serde::Deserialize;
use zwilling_core::{Error, Grid, Result};

/// Built-in presets: (name, TOML text).
pub const BUILTIN_PRESETS: [(&str, &str); 2] = [
    ("nrw-default", include_str!("../presets/hazard_nrw_default.toml")),
    ("dwa-m119", include_str!("../presets/hazard_dwa_m119.toml")),
];

/// A named, versioned set of class bounds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HazardPreset {
    /// Preset name.
    pub name: String,
    /// Version of the preset data.
    pub version: String,
    /// One line description.
    pub description: String,
    /// Where the thresholds come from.
    pub source: String,
    /// Lower bounds (m) of depth classes 1–4.
    pub depth_m: [f64; 4],
    /// Lower bounds (m/s) of velocity classes 1–4.
    pub velocity_m_s: [f64; 4],
    /// Names of classes 0–4.
    pub class_names: [String; 5],
}

impl HazardPreset {
    /// Parses a preset from TOML; bounds must increase.
    pub fn from_toml(text: &str) -> Result<Self> {
        let p: HazardPreset = toml::from_str(text).map_err(|e| Error::invalid(format!("hazard preset: {e}")))?;
        for b in [&p.depth_m, &p.velocity_m_s] {
            if b.windows(2).any(|w| !(w[1] > w[0])) || !(b[0] >= 0.0) {
                return Err(Error::invalid(format!(
                    "hazard preset '{}': class bounds must increase, got {b:?}",
                    p.name
                )));
            }
        }
        Ok(p)
    }

    /// A built-in preset by name (`nrw-default`, `dwa-m119`).
    pub fn builtin(name: &str) -> Result<Self> {
        let (_, text) = BUILTIN_PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<_> = BUILTIN_PRESETS.iter().map(|p| p.0).collect();
            Error::invalid(format!("unknown hazard preset '{name}' (built in: {})", names.join(", ")))
        })?;
        HazardPreset::from_toml(text)
    }

    /// Depth class 0–4.
    pub fn depth_class(&self, d: f64) -> u8 {
        classify(d, &self.depth_m)
    }

    /// Velocity class 0–4.
    pub fn velocity_class(&self, v: f64) -> u8 {
        classify(v, &self.velocity_m_s)
    }

    /// Combined class: the larger of depth and velocity class.
    pub fn hazard_class(&self, d: f64, v: f64) -> u8 {
        self.depth_class(d).max(self.velocity_class(v))
    }

    /// Per-cell combined hazard class of depth and velocity grids (same shape).
    pub fn classify_grids(&self, depth: &Grid<f32>, velocity: &Grid<f32>) -> Result<Grid<u8>> {
        if (depth.width, depth.height) != (velocity.width, velocity.height) {
            return Err(Error::invalid(format!(
                "depth grid {}×{} and velocity grid {}×{} differ in size",
                depth.width, depth.height, velocity.width, velocity.height
            )));
        }
        let data = depth
            .data
            .iter()
            .zip(&velocity.data)
            .map(|(&d, &v)| {
                let d = if depth.is_nodata(d) { 0.0 } else { d as f64 };
                let v = if velocity.is_nodata(v) { 0.0 } else { v as f64 };
                self.hazard_class(d, v)
            })
            .collect();
        let mut g = depth.with_data(data);
        g.nodata = None;
        Ok(g)
    }
}

/// Number of bounds reached (0–4); NaN gives 0.
pub fn classify(value: f64, bounds: &[f64; 4]) -> u8 {
    bounds.iter().filter(|&&b| value >= b).count() as u8
}

/// Land use for the debris factor of FD2320.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DebrisFactor {
    /// Pasture / arable land.
    Pasture,
    /// Woodland.
    Woodland,
    /// Urban.
    Urban,
    /// A fixed DF.
    Constant(f64),
}

impl DebrisFactor {
    /// DF for depth `d` (m).
    pub fn at(self, d: f64) -> f64 {
        match self {
            DebrisFactor::Constant(v) => v,
            _ if d <= 0.25 => 0.0,
            DebrisFactor::Pasture => {
                if d <= 0.75 {
                    0.0
                } else {
                    0.5
                }
            }
            DebrisFactor::Woodland => {
                if d <= 0.75 {
                    0.5
                } else {
                    1.0
                }
            }
            DebrisFactor::Urban => 1.0,
        }
    }
}

/// DEFRA hazard rating `HR = d (v + 0.5) + DF`.
pub fn defra_hazard_rating(depth: f64, velocity: f64, df: DebrisFactor) -> f64 {
    if !(depth > 0.0) {
        return 0.0;
    }
    depth * (velocity + 0.5) + df.at(depth)
}

/// DEFRA class of a hazard rating: 0 low (< 0.75), 1 danger for some, 2 danger for most
/// (1.25–2.0), 3 danger for all (> 2.0).
pub fn defra_class(hr: f64) -> u8 {
    if hr < 0.75 {
        0
    } else if hr < 1.25 {
        1
    } else if hr <= 2.0 {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_classify_at_bounds() {
        for (name, _) in BUILTIN_PRESETS {
            let p = HazardPreset::builtin(name).unwrap();
            assert_eq!(p.name, name);
            assert_eq!(p.version, "1");
        }
        let p = HazardPreset::builtin("nrw-default").unwrap();
        assert_eq!(p.depth_m, [0.10, 0.30, 0.50, 1.00]);
        assert_eq!(p.velocity_m_s, [0.2, 0.5, 1.0, 2.0]);
        assert_eq!([0.05, 0.10, 0.29, 0.30, 0.99, 1.0, 3.0].map(|d| p.depth_class(d)), [0, 1, 1, 2, 3, 4, 4]);
        assert_eq!(p.hazard_class(0.05, 1.2), 3);
        assert!(HazardPreset::builtin("nope").is_err());
        assert!(HazardPreset::from_toml(&BUILTIN_PRESETS[0].1.replace("0.30, 0.50", "0.50, 0.30")).is_err());
    }

    #[test]
    fn defra_rating_examples() {
        // FD2321 worked values: d = 0.25 m, v = 0.5 m/s → HR = 0.25 (no debris) → low.
        assert!((defra_hazard_rating(0.25, 0.5, DebrisFactor::Urban) - 0.25).abs() < 1e-12);
        // d = 1.0 m, v = 2.0 m/s, pasture: 1·2.5 + 0.5 = 3.0 → danger for all
        let hr = defra_hazard_rating(1.0, 2.0, DebrisFactor::Pasture);
        assert!((hr - 3.0).abs() < 1e-12);
        assert_eq!(defra_class(hr), 3);
        assert_eq!(defra_class(0.8), 1);
        assert_eq!(defra_class(1.5), 2);
        assert_eq!(defra_hazard_rating(0.0, 3.0, DebrisFactor::Constant(1.0)), 0.0);
    }
}
