//! GeoTIFF GeoKeys ↔ EPSG codes (OGC GeoTIFF 1.1, OGC 19-008r4).
//!
//! The GeoKeyDirectoryTag (34735) is a list of `u16`: a header `[1, 1, minor, count]` and `count`
//! entries `[key, location, count, value]`; `location` 0 stores the value in place, 34736 points
//! into the GeoDoubleParamsTag, 34737 into the GeoAsciiParamsTag (strings end with `|`).
//! Keys used: GTModelType 1024 (1 projected, 2 geographic, 3 geocentric), GTRasterType 1025
//! (1 PixelIsArea, 2 PixelIsPoint), GTCitation 1026, GeographicType 2048, GeogAngularUnits 2054,
//! ProjectedCSType 3072, PCSCitation 3073, ProjLinearUnits 3076, VerticalCSType 4096,
//! VerticalUnits 4099. The value 32767 means user-defined: then the citation is matched against the
//! supported CRS names, otherwise the code is unknown.
//!
//! ```
//! use zwilling_core::CrsInfo;
//! let (dir, doubles, ascii) = zwilling_crs::geokeys_for(&CrsInfo::compound(25832, 7837)).unwrap();
//! assert_eq!(zwilling_crs::crs_from_geokeys(&dir, &doubles, &ascii), CrsInfo::compound(25832, 7837));
//! ```

use crate::registry::{self, Method};
use zwilling_core::CrsInfo;

/// GTModelTypeGeoKey.
pub const GT_MODEL_TYPE: u16 = 1024;
/// GTRasterTypeGeoKey.
pub const GT_RASTER_TYPE: u16 = 1025;
/// GTCitationGeoKey.
pub const GT_CITATION: u16 = 1026;
/// GeographicTypeGeoKey.
pub const GEOGRAPHIC_TYPE: u16 = 2048;
/// GeogCitationGeoKey.
pub const GEOG_CITATION: u16 = 2049;
/// GeogAngularUnitsGeoKey.
pub const GEOG_ANGULAR_UNITS: u16 = 2054;
/// ProjectedCSTypeGeoKey.
pub const PROJECTED_CS_TYPE: u16 = 3072;
/// PCSCitationGeoKey.
pub const PCS_CITATION: u16 = 3073;
/// ProjLinearUnitsGeoKey.
pub const PROJ_LINEAR_UNITS: u16 = 3076;
/// VerticalCSTypeGeoKey.
pub const VERTICAL_CS_TYPE: u16 = 4096;
/// VerticalUnitsGeoKey.
pub const VERTICAL_UNITS: u16 = 4099;
/// GTRasterType value PixelIsArea.
pub const RASTER_PIXEL_IS_AREA: u16 = 1;
/// GTRasterType value PixelIsPoint.
pub const RASTER_PIXEL_IS_POINT: u16 = 2;
/// Location value of keys stored in the GeoAsciiParamsTag.
pub const ASCII_PARAMS_TAG: u16 = 34737;
const USER_DEFINED: u16 = 32767;

/// One GeoKey entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key: u16,
    location: u16,
    count: u16,
    value: u16,
}

fn entries(dir: &[u16]) -> impl Iterator<Item = Entry> + '_ {
    let n = dir.get(3).copied().unwrap_or(0) as usize;
    dir.get(4..).unwrap_or(&[]).chunks_exact(4).take(n).map(|e| Entry {
        key: e[0],
        location: e[1],
        count: e[2],
        value: e[3],
    })
}

/// The in-place short value of `key`, if present.
pub fn short_key(dir: &[u16], key: u16) -> Option<u16> {
    entries(dir).find(|e| e.key == key && e.location == 0).map(|e| e.value)
}

/// The ASCII value of `key` (without the trailing `|`), if present.
pub fn ascii_key<'a>(dir: &[u16], ascii: &'a str, key: u16) -> Option<&'a str> {
    let e = entries(dir).find(|e| e.key == key && e.location == ASCII_PARAMS_TAG)?;
    let s = ascii.get(e.value as usize..(e.value as usize + e.count as usize).min(ascii.len()))?;
    Some(s.trim_end_matches(['|', '\0']))
}

fn code(v: Option<u16>) -> Option<u32> {
    v.filter(|&c| c != 0 && c != USER_DEFINED).map(u32::from)
}

/// The CRS described by a GeoKeyDirectory and its parameter tags. Unknown or user-defined
/// (32767) codes give `None` unless a citation names a supported CRS.
pub fn crs_from_geokeys(directory: &[u16], _doubles: &[f64], ascii: &str) -> CrsInfo {
    let model = short_key(directory, GT_MODEL_TYPE);
    let projected = code(short_key(directory, PROJECTED_CS_TYPE));
    let geographic = code(short_key(directory, GEOGRAPHIC_TYPE));
    let by_citation = |keys: &[u16]| {
        keys.iter().find_map(|&k| {
            let c = ascii_key(directory, ascii, k)?;
            crate::wkt_parse::code_from_citation(c)
        })
    };
    let epsg = match model {
        Some(1) => projected.or_else(|| by_citation(&[PCS_CITATION, GT_CITATION])),
        Some(2) => geographic.or_else(|| by_citation(&[GEOG_CITATION, GT_CITATION])),
        Some(3) => matches!(geographic, None | Some(4326)).then_some(4978),
        _ => projected.or(geographic),
    };
    let vertical = code(short_key(directory, VERTICAL_CS_TYPE));
    CrsInfo { epsg, vertical_epsg: vertical, wkt: None }
}

/// GeoKeys for writing a GeoTIFF in `crs` (PixelIsArea): the GeoKeyDirectory, the doubles (empty)
/// and the ASCII parameters. `None` when the horizontal code is missing or unsupported; an
/// unsupported vertical code is left out.
pub fn geokeys_for(crs: &CrsInfo) -> Option<(Vec<u16>, Vec<f64>, String)> {
    let def = registry::definition(crs.epsg?)?;
    let code = u16::try_from(def.epsg).ok()?;
    let citation = format!("{}|", def.name);
    let mut keys: Vec<[u16; 4]> = Vec::new();
    let model = match def.method {
        Method::Geographic => 2,
        Method::Geocentric => 3,
        _ => 1,
    };
    keys.push([GT_MODEL_TYPE, 0, 1, model]);
    keys.push([GT_RASTER_TYPE, 0, 1, RASTER_PIXEL_IS_AREA]);
    keys.push([GT_CITATION, ASCII_PARAMS_TAG, citation.len() as u16, 0]);
    match model {
        1 => {
            keys.push([PROJECTED_CS_TYPE, 0, 1, code]);
            keys.push([PROJ_LINEAR_UNITS, 0, 1, 9001]);
        }
        2 => {
            keys.push([GEOGRAPHIC_TYPE, 0, 1, code]);
            keys.push([GEOG_ANGULAR_UNITS, 0, 1, 9102]);
        }
        _ => keys.push([GEOGRAPHIC_TYPE, 0, 1, 4326]),
    }
    if let Some(v) = crs.vertical_epsg.filter(|&v| registry::vertical_definition(v).is_some()) {
        keys.push([VERTICAL_CS_TYPE, 0, 1, v as u16]);
        keys.push([VERTICAL_UNITS, 0, 1, 9001]);
    }
    keys.sort_by_key(|k| k[0]);
    let mut dir = vec![1, 1, 0, keys.len() as u16];
    dir.extend(keys.iter().flatten());
    Some((dir, Vec::new(), citation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_gdal_written_directory() {
        // Written by GDAL 3.6.2: `gdal_create -of GTiff -outsize 2 2 -a_srs EPSG:25832 ...`, tags read
        // back with a TIFF parser (34735 and 34737).
        let dir = [
            1, 1, 0, 7, 1024, 0, 1, 1, 1025, 0, 1, 1, 1026, 34737, 22, 0, 2049, 34737, 7, 22, 2054, 0, 1, 9102, 3072,
            0, 1, 25832, 3076, 0, 1, 9001,
        ];
        let ascii = "ETRS89 / UTM zone 32N|ETRS89|\0";
        assert_eq!(crs_from_geokeys(&dir, &[], ascii), CrsInfo::from_epsg(25832));
        assert_eq!(ascii_key(&dir, ascii, GT_CITATION), Some("ETRS89 / UTM zone 32N"));
        assert_eq!(ascii_key(&dir, ascii, GEOG_CITATION), Some("ETRS89"));
    }

    #[test]
    fn user_defined_codes() {
        let dir = [1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32767];
        assert_eq!(crs_from_geokeys(&dir, &[], "").epsg, None);
        let dir = [1, 1, 0, 3, 1024, 0, 1, 1, 3072, 0, 1, 32767, 3073, 34737, 23, 0];
        assert_eq!(crs_from_geokeys(&dir, &[], "ETRS89 / UTM zone 33N|").epsg, Some(25833));
        assert_eq!(crs_from_geokeys(&[1, 1, 0, 9], &[], "").epsg, None);
        assert_eq!(crs_from_geokeys(&[], &[], "").epsg, None);
    }

    #[test]
    fn writes_sorted_keys_for_every_supported_horizontal_code() {
        for &c in registry::supported().iter().filter(|&&c| registry::definition(c).is_some()) {
            let (dir, d, a) = geokeys_for(&CrsInfo::compound(c, 7837)).unwrap();
            assert_eq!(dir[3] as usize * 4 + 4, dir.len());
            let keys: Vec<u16> = dir[4..].chunks(4).map(|e| e[0]).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(short_key(&dir, GT_RASTER_TYPE), Some(RASTER_PIXEL_IS_AREA));
            assert_eq!(crs_from_geokeys(&dir, &d, &a), CrsInfo::compound(c, 7837), "{c}");
        }
        assert_eq!(geokeys_for(&CrsInfo::from_epsg(31467)), None);
    }
}
