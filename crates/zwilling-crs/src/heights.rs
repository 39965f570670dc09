//! Which heights go into ECEF: the decision between ellipsoidal, quasigeoid-converted and
//! unconverted (flagged) heights.
//!
//! ECEF (EPSG:4978) needs ellipsoidal heights. Survey data carries normal heights (DHHN2016 in
//! Germany, NAP in the Netherlands, NGF-IGN69 in France) that differ from ellipsoidal heights by
//! the height anomaly, ≈ 36–50 m in Germany, ≈ 40–47 m in the Netherlands, ≈ 45–55 m in France.
//! [`decide`] returns:
//!
//! * [`Heights::Ellipsoidal`] for geocentric input;
//! * [`Heights::Quasigeoid`] when the data's vertical CRS is the one the given grid converts
//!   (DHHN2016 + GCG2016), or DHHN92 with GCG2016 flagged `approximate` (DHHN92 and DHHN2016 heights
//!   differ by a few centimetres; GCG2016 is defined for DHHN2016 only);
//! * [`Heights::NotEllipsoidal`] when no grid is given: heights are used unchanged and the caller
//!   must warn (the 3D Tiles writer does);
//! * an error when a grid is given but does not fit the data's vertical CRS, or the vertical CRS is
//!   unknown (assign one with `--crs EPSG:25832+7837`): a wrong grid would silently shift heights.
//!
//! ```
//! use zwilling_crs::heights::{decide, Heights};
//! let h = decide(25832, Some(7837), None).unwrap();
//! assert!(matches!(h, Heights::NotEllipsoidal { vertical_epsg: Some(7837), .. }));
//! assert!(h.warning().unwrap().contains("DHHN2016"));
//! ```

use crate::{registry, Quasigeoid};
use zwilling_core::{Error, Result};

/// What the heights passed to ECEF are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heights {
    /// The input is already ellipsoidal (geocentric input).
    Ellipsoidal,
    /// Normal heights converted with a quasigeoid grid: `h = H + ζ`.
    Quasigeoid {
        /// Vertical CRS of the input heights.
        vertical_epsg: u32,
        /// Name of the grid (e.g. `GCG2016`).
        model: String,
        /// True when the grid belongs to a slightly different height system (DHHN92 data with
        /// GCG2016): errors of a few centimetres.
        approximate: bool,
    },
    /// Heights used unchanged although they are not ellipsoidal: positions in ECEF are too low
    /// by the height anomaly (tens of metres).
    NotEllipsoidal {
        /// Vertical CRS of the input heights, when known.
        vertical_epsg: Option<u32>,
        /// Why, for the user.
        reason: String,
    },
}

impl Heights {
    /// True when ECEF positions are exact in height (ellipsoidal or converted).
    pub fn is_ellipsoidal(&self) -> bool {
        !matches!(self, Heights::NotEllipsoidal { .. })
    }

    /// The message to show the user when heights are not (exactly) ellipsoidal.
    pub fn warning(&self) -> Option<String> {
        match self {
            Heights::NotEllipsoidal { reason, .. } => Some(reason.clone()),
            Heights::Quasigeoid { vertical_epsg, model, approximate: true } => Some(format!(
                "heights in {} converted with quasigeoid {model}, which is defined for DHHN2016: errors of a few \
                 centimetres",
                name(Some(*vertical_epsg))
            )),
            _ => None,
        }
    }
}

fn name(v: Option<u32>) -> String {
    match v {
        Some(c) => match registry::crs_name(c) {
            Some(n) => format!("EPSG:{c} ({n})"),
            None => format!("EPSG:{c}"),
        },
        None => "an unknown vertical CRS".to_string(),
    }
}

/// Decides how heights of data in horizontal CRS `epsg` and vertical CRS `vertical` reach ECEF,
/// given an optional quasigeoid.
pub fn decide(epsg: u32, vertical: Option<u32>, geoid: Option<&Quasigeoid>) -> Result<Heights> {
    if matches!(registry::definition(epsg).map(|d| d.method), Some(registry::Method::Geocentric)) {
        return Ok(Heights::Ellipsoidal);
    }
    match (vertical, geoid) {
        (None, Some(g)) => Err(Error::crs(format!(
            "the vertical CRS of the data is unknown, so quasigeoid {} (for {}) cannot be applied safely; assign \
             it, e.g. --crs EPSG:{epsg}+{}",
            g.name(),
            name(Some(g.vertical_epsg())),
            g.vertical_epsg()
        ))),
        (Some(v), Some(g)) if v == g.vertical_epsg() => {
            Ok(Heights::Quasigeoid { vertical_epsg: v, model: g.name().to_string(), approximate: false })
        }
        (Some(5783), Some(g)) if g.vertical_epsg() == zwilling_core::crs::EPSG_DHHN2016 => {
            Ok(Heights::Quasigeoid { vertical_epsg: 5783, model: g.name().to_string(), approximate: true })
        }
        (Some(v), Some(g)) => Err(Error::crs(format!(
            "heights in {} cannot be converted with quasigeoid {}, which is for {}",
            name(Some(v)),
            g.name(),
            name(Some(g.vertical_epsg()))
        ))),
        (v, None) => {
            let grid = match v {
                Some(7837) | Some(5783) => "the GCG2016 quasigeoid (de_bkg_gcg2016.tif)",
                Some(5709) => "the NLGEO2018 geoid (not supported yet)",
                Some(5720) => "the RAF20 grid (not supported yet)",
                _ => "a geoid model",
            };
            Ok(Heights::NotEllipsoidal {
                vertical_epsg: v,
                reason: format!(
                    "heights in {} are used as ellipsoidal heights without conversion, so positions are tens of \
                     metres too low on the globe; converting them needs {grid}",
                    name(v)
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::{GeoTransform, Grid};

    fn gcg() -> Quasigeoid {
        Quasigeoid::gcg2016(&Grid::filled(3, 3, GeoTransform::new(5.0, 56.0, 1.0), 48.0f32)).unwrap()
    }

    #[test]
    fn decisions() {
        let g = gcg();
        assert_eq!(decide(4978, None, None).unwrap(), Heights::Ellipsoidal);
        let q = decide(25832, Some(7837), Some(&g)).unwrap();
        assert!(q.is_ellipsoidal() && q.warning().is_none());
        let q92 = decide(25833, Some(5783), Some(&g)).unwrap();
        assert!(matches!(q92, Heights::Quasigeoid { approximate: true, .. }) && q92.warning().is_some());
        let e = decide(25832, None, Some(&g)).unwrap_err().to_string();
        assert!(e.contains("--crs EPSG:25832+7837"), "{e}");
        let e = decide(28992, Some(5709), Some(&g)).unwrap_err().to_string();
        assert!(e.contains("NAP height") && e.contains("GCG2016"), "{e}");
        let n = decide(2154, Some(5720), None).unwrap();
        assert!(!n.is_ellipsoidal() && n.warning().unwrap().contains("NGF-IGN69"));
        let n = decide(25832, None, None).unwrap();
        assert!(n.warning().unwrap().contains("unknown vertical CRS"));
    }
}
