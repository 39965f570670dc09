//! OGC WKT1 (in GDAL's flavour, with `AUTHORITY` nodes) for every supported EPSG code.
//!
//! The text follows what PROJ 9 / GDAL 3 export as `WKT1_GDAL` for the same code (tests compare
//! byte for byte with strings printed by pyproj 3.7.2 / PROJ 9.5.1), so GeoPackage `gpkg_spatial_ref_sys`
//! rows and LAS OGC WKT VLRs read back as the same CRS in GDAL, QGIS and PDAL. Numbers are printed
//! with 15 significant digits as GDAL does. Compound CRSs are written as `COMPD_CS`.
//!
//! ```
//! let w = zwilling_crs::wkt_for(25832).unwrap();
//! assert!(w.starts_with("PROJCS[\"ETRS89 / UTM zone 32N\"") && w.ends_with("AUTHORITY[\"EPSG\",\"25832\"]]"));
//! ```

use crate::registry::{self, CrsDef, Datum, Method};
use zwilling_core::CrsInfo;

/// `v` with 15 significant digits and no trailing zeros (C's `%.15g` without exponent for the
/// magnitudes that occur here).
pub(crate) fn g15(v: f64) -> String {
    let rounded: f64 = format!("{v:.14e}").parse().unwrap_or(v);
    format!("{rounded}")
}

fn auth(code: u32) -> String {
    format!("AUTHORITY[\"EPSG\",\"{code}\"]")
}

fn datum_wkt(d: Datum) -> String {
    let e = d.ellipsoid();
    format!(
        "DATUM[\"{}\",SPHEROID[\"{}\",{},{},{}],{}],PRIMEM[\"Greenwich\",0,{}]",
        d.wkt_name(),
        e.name,
        g15(e.a),
        g15(e.inv_f),
        auth(e.epsg),
        auth(d.epsg()),
        auth(8901)
    )
}

fn geogcs(d: Datum) -> String {
    let (code, name) = d.geographic();
    format!("GEOGCS[\"{name}\",{},UNIT[\"degree\",0.0174532925199433,{}],{}]", datum_wkt(d), auth(9122), auth(code))
}

fn params(list: &[(&str, f64)]) -> String {
    list.iter().map(|(k, v)| format!(",PARAMETER[\"{k}\",{}]", g15(*v))).collect()
}

fn horizontal(def: &CrsDef) -> String {
    let code = def.epsg;
    let (projection, p, extension) = match def.method {
        Method::Geographic => return geogcs(def.datum),
        Method::Geocentric => {
            return format!(
                "GEOCCS[\"{}\",{},UNIT[\"metre\",1,{}],AXIS[\"Geocentric X\",OTHER],AXIS[\"Geocentric Y\",OTHER],\
                 AXIS[\"Geocentric Z\",NORTH],{}]",
                def.name,
                datum_wkt(def.datum),
                auth(9001),
                auth(code)
            )
        }
        Method::TransverseMercator { lat0, lon0, k0, fe, fn_ } => (
            "Transverse_Mercator",
            params(&[
                ("latitude_of_origin", lat0),
                ("central_meridian", lon0),
                ("scale_factor", k0),
                ("false_easting", fe),
                ("false_northing", fn_),
            ]),
            "",
        ),
        Method::LambertConic2SP { lat0, lon0, lat1, lat2, fe, fn_ } => (
            "Lambert_Conformal_Conic_2SP",
            params(&[
                ("latitude_of_origin", lat0),
                ("central_meridian", lon0),
                ("standard_parallel_1", lat1),
                ("standard_parallel_2", lat2),
                ("false_easting", fe),
                ("false_northing", fn_),
            ]),
            "",
        ),
        Method::ObliqueStereographic { lat0, lon0, k0, fe, fn_ } => (
            "Oblique_Stereographic",
            params(&[
                ("latitude_of_origin", lat0),
                ("central_meridian", lon0),
                ("scale_factor", k0),
                ("false_easting", fe),
                ("false_northing", fn_),
            ]),
            "",
        ),
        Method::WebMercator => (
            "Mercator_1SP",
            params(&[
                ("central_meridian", 0.0),
                ("scale_factor", 1.0),
                ("false_easting", 0.0),
                ("false_northing", 0.0),
            ]),
            ",EXTENSION[\"PROJ4\",\"+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 \
             +units=m +nadgrids=@null +wktext +no_defs\"]",
        ),
    };
    format!(
        "PROJCS[\"{}\",{},PROJECTION[\"{projection}\"]{p},UNIT[\"metre\",1,{}],AXIS[\"Easting\",EAST],\
         AXIS[\"Northing\",NORTH]{extension},{}]",
        def.name,
        geogcs(def.datum),
        auth(9001),
        auth(code)
    )
}

fn vertical(code: u32) -> Option<String> {
    let v = registry::vertical_definition(code)?;
    Some(format!(
        "VERT_CS[\"{}\",VERT_DATUM[\"{}\",2005,{}],UNIT[\"metre\",1,{}],AXIS[\"Gravity-related height\",UP],{}]",
        v.name,
        v.datum_name,
        auth(v.datum_epsg),
        auth(9001),
        auth(code)
    ))
}

fn compound(h: u32, v: u32, code: Option<u32>) -> Option<String> {
    let hd = registry::definition(h)?;
    let vd = registry::vertical_definition(v)?;
    let code =
        code.or_else(|| registry::supported().iter().copied().find(|&c| registry::compound_parts(c) == Some((h, v))));
    let tail = code.map(|c| format!(",{}", auth(c))).unwrap_or_default();
    Some(format!("COMPD_CS[\"{} + {}\",{},{}{tail}]", hd.name, vd.name, horizontal(&hd), vertical(v)?))
}

/// OGC WKT1 (GDAL flavour, with AUTHORITY nodes) of a supported EPSG code — horizontal, vertical
/// or compound. `None` for unsupported codes.
pub fn wkt_for(epsg: u32) -> Option<String> {
    if let Some(def) = registry::definition(epsg) {
        return Some(horizontal(&def));
    }
    if let Some((h, v)) = registry::compound_parts(epsg) {
        return compound(h, v, Some(epsg));
    }
    vertical(epsg)
}

/// OGC WKT1 of a [`CrsInfo`]: a `COMPD_CS` when a vertical code is set, else [`wkt_for`] of the
/// horizontal code. `None` when a code is missing or unsupported.
pub fn wkt_for_crs(crs: &CrsInfo) -> Option<String> {
    match (crs.epsg, crs.vertical_epsg) {
        (Some(h), Some(v)) => compound(h, v, None),
        (Some(h), None) => wkt_for(h),
        (None, Some(v)) => vertical(v),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_significant_digits_like_gdal() {
        assert_eq!(g15(std::f64::consts::PI / 180.0), "0.0174532925199433");
        assert_eq!(g15(52.0 + 9.0 / 60.0 + 22.178 / 3600.0), "52.1561605555556");
        assert_eq!(g15(500_000.0), "500000");
        assert_eq!(g15(-15.0), "-15");
        assert_eq!(g15(298.257222101), "298.257222101");
    }

    #[test]
    fn every_supported_code_has_wkt_that_reads_back() {
        for &c in registry::supported() {
            let w = wkt_for(c).unwrap_or_else(|| panic!("no WKT for {c}"));
            let info = crate::crs_from_wkt(&w);
            match registry::compound_parts(c) {
                Some((h, v)) => assert_eq!((info.epsg, info.vertical_epsg), (Some(h), Some(v)), "{c}"),
                None if registry::vertical_definition(c).is_some() => assert_eq!(info.vertical_epsg, Some(c)),
                None => assert_eq!(info.epsg, Some(c), "{c}: {w}"),
            }
        }
        let w = wkt_for_crs(&CrsInfo::compound(25832, 7837)).unwrap();
        assert!(w.starts_with("COMPD_CS[\"ETRS89 / UTM zone 32N + DHHN2016 height\",PROJCS["), "{w}");
        assert!(!w.ends_with("AUTHORITY[\"EPSG\",\"5555\"]]"));
        assert_eq!(wkt_for(31467), None);
    }
}
