//! GeoTIFF georeferencing: the GeoKey directory ↔ [`CrsInfo`], and the model tags ↔ [`GeoTransform`].
//!
//! Source: OGC GeoTIFF Standard 1.1 (OGC 19-008r4). The GeoKeyDirectoryTag (34735) is an array of
//! SHORTs: a header `(KeyDirectoryVersion = 1, KeyRevision = 1, MinorRevision 0|1, NumberOfKeys)`
//! followed by one `(KeyID, TIFFTagLocation, Count, Value_Offset)` quadruple per key, sorted by KeyID.
//! Keys written here: GTModelTypeGeoKey (1024: 1 projected, 2 geographic), GTRasterTypeGeoKey
//! (1025: 1 PixelIsArea), GeodeticCRSGeoKey (2048), ProjectedCRSGeoKey (3072), VerticalGeoKey
//! (4096) and VerticalUnitsGeoKey (4099, 9001 = metre). Minor revision 1 (GeoTIFF 1.1) is written
//! when a vertical CRS is present, as GDAL does.
//!
//! The raster-to-model transform (§B.6) is `x = X_tie + (i − I_tie)·Sx`, `y = Y_tie − (j − J_tie)·Sy`
//! from ModelTiepointTag (33922) and ModelPixelScaleTag (33550), or the 4 × 4 ModelTransformationTag
//! (34264) whose first two rows give `x = a·i + b·j + d`, `y = e·i + f·j + h`. With PixelIsPoint
//! the tie point refers to the pixel centre, so the corner lies half a cell up and left (GDAL's
//! default interpretation).

use zwilling_core::{CrsInfo, GeoTransform};

use zwilling_crs::geokeys::{
    short_key, GEOGRAPHIC_TYPE as GEODETIC_CRS, GT_MODEL_TYPE, GT_RASTER_TYPE, PROJECTED_CS_TYPE as PROJECTED_CRS,
    VERTICAL_CS_TYPE as VERTICAL_CRS, VERTICAL_UNITS,
};

/// "User-defined" key value: never written as a code.
const USER_DEFINED: u16 = 32767;

/// What the GeoKey directory says about a raster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoKeys {
    /// GTModelTypeGeoKey: 1 projected, 2 geographic, 3 geocentric.
    pub model_type: Option<u16>,
    /// GTRasterTypeGeoKey: 1 PixelIsArea, 2 PixelIsPoint.
    pub raster_type: Option<u16>,
    /// The CRS codes found.
    pub crs: CrsInfo,
}

/// True when an EPSG code denotes a geographic 2D CRS.
///
/// EPSG geographic 2D CRS codes lie in 4001–4999 (plus a few newer ones listed here); the
/// projected CRSs that also live in that range are excluded by range.
pub fn is_geographic_epsg(code: u32) -> bool {
    const PROJECTED_IN_4000S: [(u32, u32); 9] = [
        (4026, 4026),
        (4087, 4088),
        (4390, 4463),
        (4484, 4489),
        (4491, 4554),
        (4568, 4589),
        (4647, 4647),
        (4652, 4656),
        (4766, 4800),
    ];
    const OTHER_GEOGRAPHIC: [u32; 8] = [7844, 8086, 8232, 8237, 8240, 8246, 9057, 10671];
    ((4001..=4999).contains(&code) && !PROJECTED_IN_4000S.iter().any(|&(a, b)| (a..=b).contains(&code)))
        || OTHER_GEOGRAPHIC.contains(&code)
}

/// The GeoKeyDirectoryTag SHORT array for a CRS, or `None` when no EPSG code is known.
pub fn encode_geokeys(crs: &CrsInfo) -> Option<Vec<u16>> {
    let mut keys: Vec<[u16; 4]> = Vec::new();
    let h = crs.epsg.filter(|&c| c > 0 && c < USER_DEFINED as u32);
    let v = crs.vertical_epsg.filter(|&c| c > 0 && c < USER_DEFINED as u32);
    if h.is_none() && v.is_none() {
        return None;
    }
    if let Some(h) = h {
        let geographic = is_geographic_epsg(h);
        keys.push([GT_MODEL_TYPE, 0, 1, if geographic { 2 } else { 1 }]);
        keys.push([GT_RASTER_TYPE, 0, 1, 1]);
        keys.push([if geographic { GEODETIC_CRS } else { PROJECTED_CRS }, 0, 1, h as u16]);
    } else {
        keys.push([GT_RASTER_TYPE, 0, 1, 1]);
    }
    if let Some(v) = v {
        keys.push([VERTICAL_CRS, 0, 1, v as u16]);
        keys.push([VERTICAL_UNITS, 0, 1, 9001]);
    }
    keys.sort_by_key(|k| k[0]);
    let mut out = vec![1, 1, if v.is_some() { 1 } else { 0 }, keys.len() as u16];
    out.extend(keys.iter().flatten());
    Some(out)
}

/// Reads a GeoKey directory (only keys stored inline in the directory are interpreted); the CRS
/// codes are read by [`zwilling_crs::crs_from_geokeys`].
pub fn decode_geokeys(dir: &[u64]) -> Result<GeoKeys, String> {
    if dir.len() < 4 {
        return Err("GeoKeyDirectoryTag shorter than its header".into());
    }
    let n = dir[3] as usize;
    if dir.len() < 4 + 4 * n {
        return Err(format!("GeoKeyDirectoryTag announces {n} keys but holds {}", (dir.len() - 4) / 4));
    }
    let keys: Vec<u16> = dir[..4 + 4 * n].iter().map(|&w| w as u16).collect();
    Ok(GeoKeys {
        model_type: short_key(&keys, GT_MODEL_TYPE),
        raster_type: short_key(&keys, GT_RASTER_TYPE),
        // Only keys stored inline are interpreted: the citations in GeoAsciiParams are not needed
        // for the codes of the CRSs written by GDAL and zwilling.
        crs: zwilling_crs::crs_from_geokeys(&keys, &[], ""),
    })
}

/// The transform from ModelTransformationTag values (16 doubles).
pub fn transform_from_matrix(m: &[f64]) -> Result<GeoTransform, String> {
    if m.len() < 16 {
        return Err(format!("ModelTransformationTag has {} values instead of 16", m.len()));
    }
    let (a, b, d, e, f, h) = (m[0], m[1], m[3], m[4], m[5], m[7]);
    if b != 0.0 || e != 0.0 {
        return Err("rotated or sheared rasters (ModelTransformationTag with rotation terms) are not supported".into());
    }
    if !(a > 0.0 && f < 0.0) {
        return Err(format!("only north-up rasters are supported (cell size x {a}, y {f})"));
    }
    Ok(GeoTransform { origin_x: d, origin_y: h, cell_x: a, cell_y: -f })
}

/// The transform from ModelTiepointTag (6·n doubles) and ModelPixelScaleTag (3 doubles).
pub fn transform_from_tiepoint(tie: &[f64], scale: &[f64], pixel_is_point: bool) -> Result<GeoTransform, String> {
    if tie.len() < 6 || scale.len() < 2 {
        return Err("ModelTiepointTag or ModelPixelScaleTag too short".into());
    }
    let (sx, sy) = (scale[0], scale[1]);
    if !(sx > 0.0 && sy > 0.0) {
        return Err(format!("only north-up rasters are supported (ModelPixelScale {sx}, {sy})"));
    }
    let mut t = GeoTransform { origin_x: tie[3] - tie[0] * sx, origin_y: tie[4] + tie[1] * sy, cell_x: sx, cell_y: sy };
    if pixel_is_point {
        t.origin_x -= 0.5 * sx;
        t.origin_y += 0.5 * sy;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_and_dhhn_keys() {
        let k = encode_geokeys(&CrsInfo::compound(25832, 7837)).unwrap();
        // Header, then keys sorted by id: model=projected, raster=area, projected=25832,
        // vertical=7837, vertical units=metre (GeoTIFF 1.1 §7).
        assert_eq!(
            k,
            vec![1, 1, 1, 5, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 25832, 4096, 0, 1, 7837, 4099, 0, 1, 9001]
        );
        let back = decode_geokeys(&k.iter().map(|&x| x as u64).collect::<Vec<_>>()).unwrap();
        assert_eq!(back.crs, CrsInfo::compound(25832, 7837));
        assert_eq!(back.model_type, Some(1));
    }

    #[test]
    fn geographic_codes() {
        let k = encode_geokeys(&CrsInfo::from_epsg(4326)).unwrap();
        assert_eq!(k, vec![1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]);
        assert!(is_geographic_epsg(4258) && !is_geographic_epsg(25832) && !is_geographic_epsg(4647));
        assert!(!is_geographic_epsg(2154) && !is_geographic_epsg(3857) && is_geographic_epsg(7844));
        assert_eq!(encode_geokeys(&CrsInfo::default()), None);
        // A projected file that also names its base geographic CRS reports the projected code.
        let d = [1, 1, 0, 3, 1024, 0, 1, 1, 2048, 0, 1, 4258, 3072, 0, 1, 25832];
        assert_eq!(decode_geokeys(&d).unwrap().crs.epsg, Some(25832));
        // User-defined geographic CRS: no code.
        let d = [1, 1, 0, 2, 1024, 0, 1, 2, 2048, 0, 1, 32767];
        assert_eq!(decode_geokeys(&d).unwrap().crs.epsg, None);
        assert!(decode_geokeys(&[1, 1, 0, 5, 1024, 0, 1, 1]).is_err());
    }

    #[test]
    fn transforms() {
        // GeoTIFF 1.1 §B.6: tie point (0,0)->(X,Y) and scale give GDAL's [X, Sx, 0, Y, 0, -Sy].
        let t = transform_from_tiepoint(&[0.0, 0.0, 0.0, 350000.0, 5700000.0, 0.0], &[0.5, 0.5, 0.0], false).unwrap();
        assert_eq!(t.to_gdal(), [350000.0, 0.5, 0.0, 5700000.0, 0.0, -0.5]);
        let t = transform_from_tiepoint(&[10.0, 20.0, 0.0, 100.0, 200.0, 0.0], &[2.0, 3.0, 0.0], true).unwrap();
        assert_eq!(t.to_gdal(), [100.0 - 20.0 - 1.0, 2.0, 0.0, 200.0 + 60.0 + 1.5, 0.0, -3.0]);
        let m = [2.0, 0.0, 0.0, 10.0, 0.0, -2.0, 0.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(transform_from_matrix(&m).unwrap().to_gdal(), [10.0, 2.0, 0.0, 50.0, 0.0, -2.0]);
        let mut r = m;
        r[1] = 0.1;
        assert!(transform_from_matrix(&r).unwrap_err().contains("rotated"));
    }
}
