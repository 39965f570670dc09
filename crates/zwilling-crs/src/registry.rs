//! The coordinate reference systems zwilling supports, by EPSG code, with their defining parameters.
//!
//! Parameters are those of the EPSG dataset (as in PROJ 9.5's `proj.db`). Horizontal CRSs:
//! WGS 84 (4326), ETRS89 (4258), RGF93 v1 (4171), Amersfoort (4289), WGS 84 geocentric (4978),
//! ETRS89 / UTM zones 28N–38N (25828–25838) and the zone-prefixed 32N/33N variants (4647, 5650),
//! WGS 84 / UTM zones 1N–60N (32601–32660) and 1S–60S (32701–32760), RGF93 v1 / Lambert-93
//! (2154), Amersfoort / RD New (28992), WGS 84 / Pseudo-Mercator (3857). Vertical CRSs: DHHN2016
//! (7837), DHHN92 (5783), NAP (5709), NGF-IGN69 (5720). Compound codes 5554–5556, 5698 and 7415
//! are split into their parts.
//!
//! ```
//! assert_eq!(zwilling_crs::crs_name(25832).as_deref(), Some("ETRS89 / UTM zone 32N"));
//! assert!(zwilling_crs::supported().contains(&28992));
//! ```

use crate::ellipsoid::Ellipsoid;
use crate::helmert::Helmert;
use std::sync::OnceLock;

/// A geodetic datum zwilling knows, with its relation to ETRS89/WGS 84.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    /// World Geodetic System 1984.
    Wgs84,
    /// European Terrestrial Reference System 1989 (taken as identical to WGS 84, as PROJ's
    /// "ETRS89 to WGS 84 (1)" null transformation does; the two differ by < 1 m).
    Etrs89,
    /// Réseau Géodésique Français 1993 v1 (ETRS89 realisation; null transformation to WGS 84).
    Rgf93,
    /// Amersfoort (Netherlands, Bessel 1841), shifted to ETRS89 by a Helmert transformation.
    Amersfoort,
}

impl Datum {
    /// The datum's ellipsoid.
    pub fn ellipsoid(self) -> Ellipsoid {
        match self {
            Datum::Wgs84 => Ellipsoid::WGS84,
            Datum::Etrs89 | Datum::Rgf93 => Ellipsoid::GRS80,
            Datum::Amersfoort => Ellipsoid::BESSEL,
        }
    }

    /// Datum name as GDAL writes it in WKT1.
    pub fn wkt_name(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS_1984",
            Datum::Etrs89 => "European_Terrestrial_Reference_System_1989",
            Datum::Rgf93 => "Reseau_Geodesique_Francais_1993_v1",
            Datum::Amersfoort => "Amersfoort",
        }
    }

    /// EPSG code of the datum.
    pub fn epsg(self) -> u32 {
        match self {
            Datum::Wgs84 => 6326,
            Datum::Etrs89 => 6258,
            Datum::Rgf93 => 6171,
            Datum::Amersfoort => 6289,
        }
    }

    /// EPSG code and name of the geographic 2D CRS on this datum.
    pub fn geographic(self) -> (u32, &'static str) {
        match self {
            Datum::Wgs84 => (4326, "WGS 84"),
            Datum::Etrs89 => (4258, "ETRS89"),
            Datum::Rgf93 => (4171, "RGF93 v1"),
            Datum::Amersfoort => (4289, "Amersfoort"),
        }
    }

    /// The Helmert transformation from this datum to ETRS89, or `None` for ETRS89-equivalent datums.
    pub fn to_etrs89(self) -> Option<Helmert> {
        match self {
            Datum::Amersfoort => Some(Helmert::AMERSFOORT_TO_ETRS89_8),
            _ => None,
        }
    }
}

/// How coordinates of a CRS are defined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Geographic 2D: x = longitude, y = latitude in degrees.
    Geographic,
    /// Geocentric (ECEF) X, Y, Z in metres.
    Geocentric,
    /// Transverse Mercator (EPSG 9807).
    TransverseMercator {
        /// Latitude of natural origin, degrees.
        lat0: f64,
        /// Longitude of natural origin (central meridian), degrees.
        lon0: f64,
        /// Scale factor at natural origin.
        k0: f64,
        /// False easting, metres.
        fe: f64,
        /// False northing, metres.
        fn_: f64,
    },
    /// Lambert Conic Conformal 2SP (EPSG 9802).
    LambertConic2SP {
        /// Latitude of false origin, degrees.
        lat0: f64,
        /// Longitude of false origin, degrees.
        lon0: f64,
        /// First standard parallel, degrees.
        lat1: f64,
        /// Second standard parallel, degrees.
        lat2: f64,
        /// Easting at false origin, metres.
        fe: f64,
        /// Northing at false origin, metres.
        fn_: f64,
    },
    /// Oblique Stereographic (EPSG 9809).
    ObliqueStereographic {
        /// Latitude of natural origin, degrees.
        lat0: f64,
        /// Longitude of natural origin, degrees.
        lon0: f64,
        /// Scale factor at natural origin.
        k0: f64,
        /// False easting, metres.
        fe: f64,
        /// False northing, metres.
        fn_: f64,
    },
    /// Popular Visualisation Pseudo Mercator (EPSG 1024).
    WebMercator,
}

/// A supported horizontal CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct CrsDef {
    /// EPSG code.
    pub epsg: u32,
    /// EPSG name, e.g. `ETRS89 / UTM zone 32N`.
    pub name: String,
    /// Geodetic datum.
    pub datum: Datum,
    /// Coordinate definition.
    pub method: Method,
}

/// What a vertical CRS's heights are and how they relate to ellipsoidal heights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerticalDef {
    /// EPSG code of the vertical CRS.
    pub epsg: u32,
    /// EPSG name, e.g. `DHHN2016 height`.
    pub name: &'static str,
    /// Vertical datum name as in WKT1.
    pub datum_name: &'static str,
    /// EPSG code of the vertical datum.
    pub datum_epsg: u32,
}

const fn tm(lon0: f64, fe: f64, fn_: f64) -> Method {
    Method::TransverseMercator { lat0: 0.0, lon0, k0: 0.9996, fe, fn_ }
}

fn utm_lon0(zone: u32) -> f64 {
    zone as f64 * 6.0 - 183.0
}

/// The definition of a supported horizontal (geographic, geocentric or projected) CRS.
pub fn definition(epsg: u32) -> Option<CrsDef> {
    let def = |name: &str, datum, method| Some(CrsDef { epsg, name: name.to_string(), datum, method });
    match epsg {
        4326 => def("WGS 84", Datum::Wgs84, Method::Geographic),
        4258 => def("ETRS89", Datum::Etrs89, Method::Geographic),
        4171 => def("RGF93 v1", Datum::Rgf93, Method::Geographic),
        4289 => def("Amersfoort", Datum::Amersfoort, Method::Geographic),
        4978 => def("WGS 84", Datum::Wgs84, Method::Geocentric),
        25828..=25838 => {
            let z = epsg - 25800;
            def(&format!("ETRS89 / UTM zone {z}N"), Datum::Etrs89, tm(utm_lon0(z), 500_000.0, 0.0))
        }
        4647 => def("ETRS89 / UTM zone 32N (zE-N)", Datum::Etrs89, tm(9.0, 32_500_000.0, 0.0)),
        5650 => def("ETRS89 / UTM zone 33N (zE-N)", Datum::Etrs89, tm(15.0, 33_500_000.0, 0.0)),
        32601..=32660 => {
            let z = epsg - 32600;
            def(&format!("WGS 84 / UTM zone {z}N"), Datum::Wgs84, tm(utm_lon0(z), 500_000.0, 0.0))
        }
        32701..=32760 => {
            let z = epsg - 32700;
            def(&format!("WGS 84 / UTM zone {z}S"), Datum::Wgs84, tm(utm_lon0(z), 500_000.0, 10_000_000.0))
        }
        2154 => def(
            "RGF93 v1 / Lambert-93",
            Datum::Rgf93,
            Method::LambertConic2SP { lat0: 46.5, lon0: 3.0, lat1: 49.0, lat2: 44.0, fe: 700_000.0, fn_: 6_600_000.0 },
        ),
        28992 => def(
            "Amersfoort / RD New",
            Datum::Amersfoort,
            Method::ObliqueStereographic {
                // 52°09'22.178"N, 5°23'15.500"E
                lat0: 52.0 + 9.0 / 60.0 + 22.178 / 3600.0,
                lon0: 5.0 + 23.0 / 60.0 + 15.5 / 3600.0,
                k0: 0.9999079,
                fe: 155_000.0,
                fn_: 463_000.0,
            },
        ),
        3857 => def("WGS 84 / Pseudo-Mercator", Datum::Wgs84, Method::WebMercator),
        _ => None,
    }
}

/// The definition of a supported vertical CRS.
pub fn vertical_definition(epsg: u32) -> Option<VerticalDef> {
    let (name, datum_name, datum_epsg) = match epsg {
        7837 => ("DHHN2016 height", "Deutsches Haupthoehennetz 2016", 1170),
        5783 => ("DHHN92 height", "Deutsches Haupthoehennetz 1992", 5181),
        5709 => ("NAP height", "Normaal Amsterdams Peil", 5109),
        5720 => ("NGF-IGN69 height", "Nivellement General de la France - IGN69", 5119),
        _ => return None,
    };
    Some(VerticalDef { epsg, name, datum_name, datum_epsg })
}

/// The (horizontal, vertical) parts of a supported compound EPSG code.
pub fn compound_parts(epsg: u32) -> Option<(u32, u32)> {
    match epsg {
        5554 => Some((25831, 5783)),
        5555 => Some((25832, 5783)),
        5556 => Some((25833, 5783)),
        5698 => Some((2154, 5720)),
        7415 => Some((28992, 5709)),
        _ => None,
    }
}

/// The EPSG name of a supported code (horizontal, vertical or compound).
pub fn crs_name(epsg: u32) -> Option<String> {
    if let Some(d) = definition(epsg) {
        return Some(d.name);
    }
    if let Some(v) = vertical_definition(epsg) {
        return Some(v.name.to_string());
    }
    let (h, v) = compound_parts(epsg)?;
    Some(format!("{} + {}", crs_name(h)?, crs_name(v)?))
}

/// Every supported EPSG code (horizontal, vertical and compound), ascending.
pub fn supported() -> &'static [u32] {
    static CODES: OnceLock<Vec<u32>> = OnceLock::new();
    CODES.get_or_init(|| {
        let mut v: Vec<u32> = (1..=100_000).filter(|&c| is_supported(c)).collect();
        v.sort_unstable();
        v
    })
}

/// True for every code in [`supported`].
pub fn is_supported(epsg: u32) -> bool {
    definition(epsg).is_some() || vertical_definition(epsg).is_some() || compound_parts(epsg).is_some()
}

/// A short human-readable summary of [`supported`] for error messages.
pub fn supported_summary() -> &'static str {
    "EPSG:4326 (WGS 84), 4258 (ETRS89), 4171 (RGF93 v1), 4289 (Amersfoort), 4978 (WGS 84 geocentric), \
     25828–25838 (ETRS89 / UTM 28N–38N), 4647 and 5650 (ETRS89 / UTM 32N/33N zE-N), 32601–32660 and \
     32701–32760 (WGS 84 / UTM), 2154 (RGF93 v1 / Lambert-93), 28992 (Amersfoort / RD New), 3857 \
     (WGS 84 / Pseudo-Mercator); vertical 7837 (DHHN2016), 5783 (DHHN92), 5709 (NAP), 5720 (NGF-IGN69); \
     compound 5554–5556, 5698, 7415, or any horizontal+vertical pair written EPSG:H+V"
}

/// A [`zwilling_core::Error::crs`] saying that `what` is not supported and listing what is.
pub fn unsupported(what: impl std::fmt::Display) -> zwilling_core::Error {
    zwilling_core::Error::crs(format!("{what} is not supported; supported are {}", supported_summary()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_zones_follow_the_epsg_pattern() {
        // EPSG: zone z has central meridian 6z − 183 (zone 32 → 9°E, zone 1 → 177°W, 60 → 177°E).
        let lon0 = |c| match definition(c).unwrap().method {
            Method::TransverseMercator { lon0, .. } => lon0,
            _ => panic!(),
        };
        assert_eq!(lon0(25832), 9.0);
        assert_eq!(lon0(25833), 15.0);
        assert_eq!(lon0(32601), -177.0);
        assert_eq!(lon0(32760), 177.0);
        assert_eq!(crs_name(32733).as_deref(), Some("WGS 84 / UTM zone 33S"));
        assert_eq!(crs_name(5555).as_deref(), Some("ETRS89 / UTM zone 32N + DHHN92 height"));
        assert_eq!(crs_name(31467), None);
    }

    #[test]
    fn supported_list_is_complete_and_consistent() {
        let s = supported();
        assert_eq!(s.len(), 5 + 11 + 2 + 60 + 60 + 3 + 4 + 5);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(s.iter().all(|&c| crs_name(c).is_some()));
        let e = unsupported("EPSG:31467").to_string();
        assert!(e.contains("EPSG:31467 is not supported") && e.contains("25828–25838") && e.contains("28992"), "{e}");
    }
}
