//! Floats in the tile summaries, serialised by their IEEE-754 bit pattern.
//!
//! The summaries carry ±∞ (spill elevations of labels that never spill, the outside label),
//! NaN (NoData cells on tile borders) and accumulation sums that must come back bit for bit,
//! because the tiled results have to equal the single-machine ones byte for byte. JSON has no
//! ∞ or NaN (serde_json writes them as `null` and cannot read that back), and decimal text
//! round-trips floats exactly only with a correctly rounding parser. The bit pattern (an
//! unsigned integer in any serde format) is exact in every format: `f32::to_bits` /
//! `f32::from_bits`, `f64::to_bits` / `f64::from_bits` (IEEE 754-2008, §3.4 binary interchange
//! formats).
//!
//! Use with `#[serde(with = "zwilling_tiled::exact::f32_bits")]` and the other modules here.
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Spill {
//!     #[serde(with = "zwilling_tiled::exact::vec_f32_bits")]
//!     z: Vec<f32>,
//! }
//! let json = serde_json::to_string(&Spill { z: vec![1.5, f32::INFINITY] }).unwrap();
//! assert_eq!(json, r#"{"z":[1069547520,2139095040]}"#);
//! let back: Spill = serde_json::from_str(&json).unwrap();
//! assert_eq!(back.z, [1.5, f32::INFINITY]);
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One `f32` as its bits (`u32`).
pub mod f32_bits {
    use super::*;
    /// Serialises `v.to_bits()`.
    pub fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        v.to_bits().serialize(s)
    }
    /// Reads the bits back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        u32::deserialize(d).map(f32::from_bits)
    }
}

/// One `f64` as its bits (`u64`).
pub mod f64_bits {
    use super::*;
    /// Serialises `v.to_bits()`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        v.to_bits().serialize(s)
    }
    /// Reads the bits back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        u64::deserialize(d).map(f64::from_bits)
    }
}

/// An optional `f64` (a NoData value, which may be NaN) as its bits.
pub mod option_f64_bits {
    use super::*;
    /// Serialises `v.map(f64::to_bits)`.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(f64::to_bits).serialize(s)
    }
    /// Reads the bits back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<u64>::deserialize(d).map(|v| v.map(f64::from_bits))
    }
}

/// A `Vec<f32>` as bits.
pub mod vec_f32_bits {
    use super::*;
    /// Serialises every value's bits.
    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.to_bits()))
    }
    /// Reads the bits back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        Vec::<u32>::deserialize(d).map(|v| v.into_iter().map(f32::from_bits).collect())
    }
}

/// `(cell, value)` pairs with the `f64` as bits.
pub mod pairs_f64_bits {
    use super::*;
    /// Serialises `(cell, value.to_bits())` pairs.
    pub fn serialize<S: Serializer>(v: &[(u64, f64)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|(c, x)| (c, x.to_bits())))
    }
    /// Reads the pairs back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u64, f64)>, D::Error> {
        Vec::<(u64, u64)>::deserialize(d).map(|v| v.into_iter().map(|(c, x)| (c, f64::from_bits(x))).collect())
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct All {
        #[serde(with = "super::f32_bits")]
        a: f32,
        #[serde(with = "super::f64_bits")]
        b: f64,
        #[serde(with = "super::option_f64_bits")]
        c: Option<f64>,
        #[serde(with = "super::vec_f32_bits")]
        d: Vec<f32>,
        #[serde(with = "super::pairs_f64_bits")]
        e: Vec<(u64, f64)>,
    }

    #[test]
    fn non_finite_and_awkward_values_survive_json() {
        // 0.1 + 0.2 = 0.30000000000000004 and f32 subnormals are the classic decimal round-trip
        // traps; ∞ and NaN are not JSON at all.
        let v = All {
            a: f32::NEG_INFINITY,
            b: 0.1 + 0.2,
            c: Some(f64::NAN),
            d: vec![f32::INFINITY, f32::MIN_POSITIVE / 3.0, -0.0, 1e-3],
            e: vec![(7, f64::MAX), (9, 0.1 + 0.2)],
        };
        let json = serde_json::to_string(&v).unwrap();
        let back: All = serde_json::from_str(&json).unwrap();
        assert_eq!(back.a, f32::NEG_INFINITY);
        assert_eq!(back.b.to_bits(), (0.1f64 + 0.2).to_bits());
        assert!(back.c.unwrap().is_nan());
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.d), bits(&v.d));
        assert_eq!(back.e, v.e);
        // IEEE 754 binary32: +∞ = 0x7f800000, 1.5 = 0x3fc00000.
        assert!(json.contains(&0x7f80_0000u32.to_string()));
        let none: All =
            serde_json::from_str(&json.replace(&format!("\"c\":{}", f64::NAN.to_bits()), "\"c\":null")).unwrap();
        assert_eq!(none.c, None);
    }
}
