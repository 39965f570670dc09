//! Grading presets: the normalisation anchors and value weights as versioned TOML data files.
//!
//! The shipped preset `presets/ap9k-municipal.toml` (FGSV AP 9 K municipal grading, anchors as
//! documented by abs) is embedded in the binary; [`Preset::from_toml`] loads any other file's
//! text (the caller reads the file). Every measure has, per function class FK (A main road,
//! B side road, N secondary area), the anchors `[target, warning, threshold]` at which the
//! condition value is 1.5, 3.5 and 4.5 (see [`crate::grades::normalise`]).

use serde::Deserialize;
use std::collections::BTreeMap;
use zwilling_core::{Error, Result};

/// The AP 9 K municipal preset text (embedded).
pub const AP9K_MUNICIPAL: &str = include_str!("../presets/ap9k-municipal.toml");

/// Measures a preset must define.
pub const MEASURES: [&str; 8] = ["MSPT", "MSPH", "SM4L_M", "SM4L_A", "RISS", "AFLI", "OFS", "OFS_P"];

/// Function class of a road (FK attribute of aggregation polygons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FunctionClass {
    /// A: main road.
    A,
    /// B: side road.
    B,
    /// N: secondary area.
    N,
}

impl FunctionClass {
    /// Parses `A`, `B` or `N` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Some(FunctionClass::A),
            "B" => Some(FunctionClass::B),
            "N" => Some(FunctionClass::N),
            _ => None,
        }
    }

    /// The letter.
    pub fn as_str(&self) -> &'static str {
        match self {
            FunctionClass::A => "A",
            FunctionClass::B => "B",
            FunctionClass::N => "N",
        }
    }
}

/// Construction of the surface (BW attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Construction {
    /// A: asphalt.
    Asphalt,
    /// P: paving (Pflaster).
    Paving,
}

impl Construction {
    /// Parses `A` or `P` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Some(Construction::Asphalt),
            "P" => Some(Construction::Paving),
            _ => None,
        }
    }

    /// The letter.
    pub fn as_str(&self) -> &'static str {
        match self {
            Construction::Asphalt => "A",
            Construction::Paving => "P",
        }
    }
}

/// Anchors of one measure: values at which the condition value is 1.5, 3.5 and 4.5.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(from = "[f64; 3]")]
pub struct Anchors {
    /// Target value (ZW 1.5).
    pub target: f64,
    /// Warning value (ZW 3.5).
    pub warning: f64,
    /// Threshold value (ZW 4.5).
    pub threshold: f64,
}

impl From<[f64; 3]> for Anchors {
    fn from(a: [f64; 3]) -> Self {
        Anchors { target: a[0], warning: a[1], threshold: a[2] }
    }
}

/// Anchors of one measure per function class.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByClass {
    /// FK A.
    #[serde(rename = "A")]
    pub a: Anchors,
    /// FK B.
    #[serde(rename = "B")]
    pub b: Anchors,
    /// FK N.
    #[serde(rename = "N")]
    pub n: Anchors,
}

/// Weights of the use value TWGEB.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseWeights {
    /// Weight of ZW(SM4L).
    pub w_sm4l: f64,
    /// Weight of ZW(MSPT).
    pub w_rut: f64,
    /// Weight of ZW(MSPH).
    pub w_water: f64,
    /// max(ZW(SM4L), ZW(MSPT)) replaces the weighted sum above this value.
    pub override_above: f64,
}

/// Weights of the substance value TWSUB (asphalt).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstanceWeights {
    /// Weight of ZW(RISS).
    pub w_riss: f64,
    /// Weight of ZW(AFLI).
    pub w_afli: f64,
    /// Weight of ZW(OFS).
    pub w_ofs: f64,
    /// max(ZW(RISS), ZW(OFS)) replaces the weighted sum above this value.
    pub override_above: f64,
}

/// Which straightedge measure enters the use value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Sm4lRule {
    /// The worse of ZW(SM4L_M) and ZW(SM4L_A).
    #[serde(rename = "max")]
    Max,
    /// ZW(SM4L_M).
    #[serde(rename = "M")]
    M,
    /// ZW(SM4L_A).
    #[serde(rename = "A")]
    A,
}

/// A grading preset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Short name.
    pub name: String,
    /// Version of the table.
    pub version: String,
    /// Description and source.
    #[serde(default)]
    pub description: String,
    /// Straightedge rule.
    pub sm4l: Sm4lRule,
    /// Use value weights.
    pub use_value: UseWeights,
    /// Substance value weights.
    pub substance_value: SubstanceWeights,
    /// Anchors per measure name (see [`MEASURES`]).
    pub measures: BTreeMap<String, ByClass>,
}

impl Preset {
    /// The embedded AP 9 K municipal preset.
    pub fn ap9k_municipal() -> Preset {
        Preset::from_toml(AP9K_MUNICIPAL).expect("embedded preset is valid")
    }

    /// Parses and checks a preset (anchors increasing, all measures present).
    pub fn from_toml(text: &str) -> Result<Preset> {
        let p: Preset = toml::from_str(text).map_err(|e| Error::invalid(format!("grading preset: {e}")))?;
        for m in MEASURES {
            let by = p.measures.get(m).ok_or_else(|| Error::invalid(format!("grading preset: measure {m} missing")))?;
            for (fk, a) in [("A", by.a), ("B", by.b), ("N", by.n)] {
                if !(a.target > 0.0 && a.target < a.warning && a.warning < a.threshold) {
                    return Err(Error::invalid(format!(
                        "grading preset: {m} FK {fk}: anchors must satisfy 0 < target < warning < threshold, got {:?}",
                        [a.target, a.warning, a.threshold]
                    )));
                }
            }
        }
        if let Some(extra) = p.measures.keys().find(|k| !MEASURES.contains(&k.as_str())) {
            return Err(Error::invalid(format!("grading preset: unknown measure {extra}")));
        }
        Ok(p)
    }

    /// Anchors of `measure` for function class `fk`.
    pub fn anchors(&self, measure: &str, fk: FunctionClass) -> Anchors {
        let by = &self.measures[measure];
        match fk {
            FunctionClass::A => by.a,
            FunctionClass::B => by.b,
            FunctionClass::N => by.n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_preset_has_the_issue_tables() {
        let p = Preset::ap9k_municipal();
        let t = |m: &str, fk| {
            let a = p.anchors(m, fk);
            [a.target, a.warning, a.threshold]
        };
        use FunctionClass::*;
        assert_eq!(t("MSPT", A), [4.0, 15.0, 25.0]);
        assert_eq!(t("MSPH", B), [0.1, 4.0, 6.0]);
        assert_eq!(t("SM4L_M", A), [4.0, 12.0, 16.0]);
        assert_eq!(t("SM4L_M", B), [4.0, 16.0, 25.0]);
        assert_eq!(t("SM4L_A", A), [1.0, 2.5, 3.5]);
        assert_eq!(t("SM4L_A", B), [1.0, 3.5, 5.0]);
        assert_eq!(t("RISS", A), [1.0, 15.0, 25.0]);
        assert_eq!(t("AFLI", N), [5.0, 20.0, 33.0]);
        assert_eq!(t("OFS", B), [10.0, 33.0, 50.0]);
        assert_eq!(t("OFS_P", A), [1.0, 15.0, 25.0]);
        assert_eq!(t("OFS_P", N), [5.0, 25.0, 40.0]);
        assert_eq!(p.use_value.w_rut, 0.5);
        assert_eq!(p.substance_value.w_riss, 0.56);
    }

    #[test]
    fn bad_presets_are_rejected_with_a_reason() {
        let broken = AP9K_MUNICIPAL.replace("A = [4.0, 15.0, 25.0]", "A = [4.0, 25.0, 15.0]");
        let e = Preset::from_toml(&broken).unwrap_err().to_string();
        assert!(e.contains("MSPT FK A"), "{e}");
        let missing = AP9K_MUNICIPAL.replace("[measures.OFS_P]", "[measures.XYZ]");
        assert!(Preset::from_toml(&missing).is_err());
        assert!(Preset::from_toml("name = 1").is_err());
    }
}
