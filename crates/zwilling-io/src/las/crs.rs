//! The CRS of a LAS/LAZ file from its `LASF_Projection` records, and those records for writing.
//!
//! Two encodings exist (ASPRS LAS 1.4 R15, section 2.5):
//! - OGC WKT (record 2112, WKT 1 or WKT 2 text). The EPSG code is the top-level
//!   `AUTHORITY["EPSG","N"]` (WKT 1) or `ID["EPSG",N]` (WKT 2); for a compound CRS
//!   (`COMPD_CS` / `COMPOUNDCRS`) the horizontal and vertical parts' codes are taken.
//!   Parsed by [`zwilling_crs::crs_from_wkt`].
//! - GeoTIFF keys (record 34735, the GeoKeyDirectoryTag of GeoTIFF 1.0 section 2.4: a header of
//!   four `u16` then entries `KeyID, TIFFTagLocation, Count, Value`); the EPSG code comes from
//!   ProjectedCSTypeGeoKey (3072) or else GeographicTypeGeoKey (2048), the vertical code from
//!   VerticalCSTypeGeoKey (4096). 32767 means "user-defined" and gives no code unless a citation
//!   in the GeoAsciiParamsTag record (34737) names a supported CRS. Parsed by
//!   [`zwilling_crs::crs_from_geokeys`].

use super::header::Vlr;
use zwilling_core::CrsInfo;

/// Where a file's CRS came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrsSource {
    /// The OGC WKT record.
    Wkt,
    /// GeoTIFF keys.
    GeoTiff,
    /// Assigned by the user (`--crs`).
    Override,
    /// Nothing usable in the file.
    None,
}

/// EPSG codes (horizontal, vertical) named by a WKT 1 or WKT 2 string, as
/// [`zwilling_crs::crs_from_wkt`] reads them (top-level authority, compound parts, bound CRS
/// source, supported CRS names without authority).
pub fn epsg_from_wkt(wkt: &str) -> (Option<u32>, Option<u32>) {
    let crs = zwilling_crs::crs_from_wkt(wkt);
    (crs.epsg, crs.vertical_epsg)
}

/// The `u16` words of a little-endian GeoTIFF key record payload.
fn words(data: &[u8]) -> Vec<u16> {
    data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}

/// EPSG codes (horizontal, vertical) from a GeoKeyDirectoryTag payload (record 34735), read by
/// [`zwilling_crs::crs_from_geokeys`] without the ASCII parameters.
pub fn epsg_from_geokeys(data: &[u8]) -> (Option<u32>, Option<u32>) {
    let crs = zwilling_crs::crs_from_geokeys(&words(data), &[], "");
    (crs.epsg, crs.vertical_epsg)
}

/// The CRS described by a file's VLRs: the WKT record wins over GeoTIFF keys (LAS 1.4 R15, 2.5).
/// Returns the CRS, where it came from, and a warning when the records exist but are unreadable.
pub fn crs_from_vlrs(vlrs: &[Vlr]) -> (CrsInfo, CrsSource, Option<String>) {
    let proj = |id: u16| vlrs.iter().find(|v| v.is_projection() && v.record_id == id && !v.data.is_empty());
    if let Some(v) = proj(2112) {
        let crs = zwilling_crs::crs_from_wkt(&String::from_utf8_lossy(&v.data));
        let warn = (crs.epsg.is_none() && crs.vertical_epsg.is_none())
            .then(|| "the OGC WKT record names no EPSG code".to_string());
        return (crs, CrsSource::Wkt, warn);
    }
    if let Some(v) = proj(34735) {
        // GeoAsciiParamsTag (34737) holds the citations a user-defined CRS is recognised by.
        let ascii = proj(34737).map(|a| String::from_utf8_lossy(&a.data).into_owned()).unwrap_or_default();
        let crs = zwilling_crs::crs_from_geokeys(&words(&v.data), &[], &ascii);
        let warn = crs
            .epsg
            .is_none()
            .then(|| "GeoTIFF keys give no EPSG code (user-defined CRS); use --crs EPSG:N".to_string());
        return (crs, CrsSource::GeoTiff, warn);
    }
    (CrsInfo::default(), CrsSource::None, Some("no CRS in the file; use --crs EPSG:N to assign one".into()))
}

/// The `LASF_Projection` records that describe `crs`: an OGC WKT record when the WKT is known,
/// otherwise GeoTIFF keys naming the EPSG code(s). Empty when nothing is known.
pub fn crs_vlrs(crs: &CrsInfo) -> Vec<Vlr> {
    if let Some(wkt) = &crs.wkt {
        let mut data = wkt.as_bytes().to_vec();
        data.push(0);
        return vec![Vlr::new("LASF_Projection", 2112, "OGC WKT coordinate system", data)];
    }
    let Some(epsg) = crs.epsg else {
        return Vec::new();
    };
    let geographic = (4000..5000).contains(&epsg) && epsg != 4978;
    // GTModelTypeGeoKey (1024): 1 projected, 2 geographic; GTRasterTypeGeoKey (1025): 1 PixelIsArea.
    let mut keys: Vec<[u16; 4]> = vec![[1024, 0, 1, if geographic { 2 } else { 1 }], [1025, 0, 1, 1]];
    keys.push([if geographic { 2048 } else { 3072 }, 0, 1, epsg.min(65535) as u16]);
    if let Some(v) = crs.vertical_epsg {
        keys.push([4096, 0, 1, v.min(65535) as u16]);
    }
    let mut words = vec![1u16, 1, 0, keys.len() as u16];
    words.extend(keys.iter().flatten());
    let data = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    vec![Vlr::new("LASF_Projection", 34735, "GeoTIFF GeoKeyDirectoryTag", data)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_top_level_authority_in_wkt1() {
        // Abridged from EPSG:2154 as written by PDAL: the nested GEOGCS has its own authority.
        let wkt = r#"PROJCS["RGF93 v1 / Lambert-93",GEOGCS["RGF93 v1",DATUM["Reseau_Geodesique_Francais_1993_v1",
            SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6171"]],
            AUTHORITY["EPSG","4171"]],PROJECTION["Lambert_Conformal_Conic_2SP"],UNIT["metre",1,
            AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AUTHORITY["EPSG","2154"]]"#;
        assert_eq!(epsg_from_wkt(wkt), (Some(2154), None));
    }

    #[test]
    fn splits_compound_wkt1_and_wkt2() {
        let w1 = r#"COMPD_CS["ETRS89 / UTM 32N + DHHN2016",PROJCS["ETRS89 / UTM zone 32N",GEOGCS["ETRS89",
            AUTHORITY["EPSG","4258"]],AUTHORITY["EPSG","25832"]],VERT_CS["DHHN2016 height",
            VERT_DATUM["DHHN2016",2005],AUTHORITY["EPSG","7837"]]]"#;
        assert_eq!(epsg_from_wkt(w1), (Some(25832), Some(7837)));
        let w2 = r#"COMPOUNDCRS["x",PROJCRS["ETRS89 / UTM zone 33N",BASEGEOGCRS["ETRS89",ID["EPSG",4258]],
            ID["EPSG",25833]],VERTCRS["DHHN2016 height",ID["EPSG",7837]]]"#;
        assert_eq!(epsg_from_wkt(w2), (Some(25833), Some(7837)));
        assert_eq!(epsg_from_wkt("garbage [[["), (None, None));
        assert_eq!(epsg_from_wkt(r#"GEOGCRS["WGS 84",ID["EPSG",4326]]"#), (Some(4326), None));
    }

    #[test]
    fn geokeys_round_trip() {
        let vlrs = crs_vlrs(&CrsInfo::compound(25832, 7837));
        assert_eq!(vlrs[0].record_id, 34735);
        assert_eq!(epsg_from_geokeys(&vlrs[0].data), (Some(25832), Some(7837)));
        let (crs, src, warn) = crs_from_vlrs(&vlrs);
        assert_eq!((crs, src, warn), (CrsInfo::compound(25832, 7837), CrsSource::GeoTiff, None));
        // GeoTIFF 1.0: 4326 is a geographic CRS, stored under GeographicTypeGeoKey (2048).
        let g = crs_vlrs(&CrsInfo::from_epsg(4326));
        assert_eq!(&g[0].data[8 + 16..8 + 18], &2048u16.to_le_bytes());
        assert_eq!(epsg_from_geokeys(&g[0].data), (Some(4326), None));
    }
}
