//! What is known about a dataset's coordinate reference system (a descriptor, no maths).
//!
//! Transformations live in the `zwilling-crs` crate; this type only carries the codes and the
//! WKT as read from a file or given by the user (`--crs EPSG:25832`).

use serde::{Deserialize, Serialize};

/// EPSG code of DHHN2016 normal heights (German height system).
pub const EPSG_DHHN2016: u32 = 7837;

/// The CRS of a dataset as far as it is known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrsInfo {
    /// EPSG code of the horizontal (projected or geographic) CRS, when known.
    pub epsg: Option<u32>,
    /// EPSG code of the vertical CRS (e.g. 7837 = DHHN2016 height), when known.
    pub vertical_epsg: Option<u32>,
    /// The OGC WKT as found in the file, when there is one.
    pub wkt: Option<String>,
}

impl CrsInfo {
    /// A CRS known only by its EPSG code.
    pub fn from_epsg(epsg: u32) -> Self {
        CrsInfo { epsg: Some(epsg), vertical_epsg: None, wkt: None }
    }

    /// A compound horizontal + vertical CRS.
    pub fn compound(epsg: u32, vertical_epsg: u32) -> Self {
        CrsInfo { epsg: Some(epsg), vertical_epsg: Some(vertical_epsg), wkt: None }
    }

    /// True when nothing is known.
    pub fn is_unknown(&self) -> bool {
        self.epsg.is_none() && self.wkt.is_none()
    }

    /// Parses `EPSG:25832`, `epsg:25832`, `25832` or a compound `EPSG:25832+7837`.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        let t = t.strip_prefix("EPSG:").or_else(|| t.strip_prefix("epsg:")).unwrap_or(t);
        let mut parts = t.split('+');
        let h: u32 = parts.next()?.trim().parse().ok()?;
        let v = match parts.next() {
            Some(p) => Some(p.trim().parse::<u32>().ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(CrsInfo { epsg: Some(h), vertical_epsg: v, wkt: None })
    }
}

impl std::fmt::Display for CrsInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.epsg, self.vertical_epsg) {
            (Some(h), Some(v)) => write!(f, "EPSG:{h}+{v}"),
            (Some(h), None) => write!(f, "EPSG:{h}"),
            (None, _) if self.wkt.is_some() => write!(f, "WKT without EPSG code"),
            _ => write!(f, "unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(CrsInfo::parse("EPSG:25832"), Some(CrsInfo::from_epsg(25832)));
        assert_eq!(CrsInfo::parse("25833"), Some(CrsInfo::from_epsg(25833)));
        assert_eq!(CrsInfo::parse("EPSG:25832+7837"), Some(CrsInfo::compound(25832, 7837)));
        assert_eq!(CrsInfo::parse("EPSG:abc"), None);
        assert_eq!(CrsInfo::compound(25832, 7837).to_string(), "EPSG:25832+7837");
    }
}
