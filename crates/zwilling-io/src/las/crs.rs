//! The CRS of a LAS/LAZ file from its `LASF_Projection` records, and those records for writing.
//!
//! Two encodings exist (ASPRS LAS 1.4 R15, section 2.5):
//! - OGC WKT (record 2112, WKT 1 or WKT 2 text). The EPSG code is the top-level
//!   `AUTHORITY["EPSG","N"]` (WKT 1) or `ID["EPSG",N]` (WKT 2); for a compound CRS
//!   (`COMPD_CS` / `COMPOUNDCRS`) the horizontal and vertical parts' codes are taken.
//! - GeoTIFF keys (record 34735, the GeoKeyDirectoryTag of GeoTIFF 1.0 section 2.4: a header of
//!   four `u16` then entries `KeyID, TIFFTagLocation, Count, Value`); the EPSG code comes from
//!   ProjectedCSTypeGeoKey (3072) or else GeographicTypeGeoKey (2048), the vertical code from
//!   VerticalCSTypeGeoKey (4096). 32767 means "user-defined" and gives no code.

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

/// A node of a WKT tree: `KEYWORD[child, child, ...]`.
#[derive(Debug, Clone, PartialEq)]
enum Wkt {
    Node(String, Vec<Wkt>),
    Text(String),
}

struct WktParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl WktParser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<Wkt> {
        self.skip_ws();
        if self.depth > 64 {
            return None;
        }
        if *self.s.get(self.i)? == b'"' {
            self.i += 1;
            let mut t = Vec::new();
            loop {
                let c = *self.s.get(self.i)?;
                self.i += 1;
                if c == b'"' {
                    if self.s.get(self.i) == Some(&b'"') {
                        t.push(b'"');
                        self.i += 1;
                        continue;
                    }
                    break;
                }
                t.push(c);
            }
            return Some(Wkt::Text(String::from_utf8_lossy(&t).into_owned()));
        }
        let start = self.i;
        while self.i < self.s.len() && !b"[](),\"".contains(&self.s[self.i]) {
            self.i += 1;
        }
        let word = String::from_utf8_lossy(&self.s[start..self.i]).trim().to_string();
        self.skip_ws();
        if matches!(self.s.get(self.i), Some(b'[') | Some(b'(')) {
            self.i += 1;
            self.depth += 1;
            let mut kids = Vec::new();
            loop {
                self.skip_ws();
                match self.s.get(self.i)? {
                    b']' | b')' => {
                        self.i += 1;
                        break;
                    }
                    b',' => self.i += 1,
                    _ => kids.push(self.value()?),
                }
            }
            self.depth -= 1;
            return Some(Wkt::Node(word.to_ascii_uppercase(), kids));
        }
        if word.is_empty() {
            None
        } else {
            Some(Wkt::Text(word))
        }
    }
}

fn parse_wkt(s: &str) -> Option<Wkt> {
    WktParser { s: s.as_bytes(), i: 0, depth: 0 }.value()
}

/// The EPSG code in the node's own `AUTHORITY`/`ID` child (not a nested one).
fn own_epsg(kids: &[Wkt]) -> Option<u32> {
    kids.iter().rev().find_map(|k| match k {
        Wkt::Node(name, args) if name == "AUTHORITY" || name == "ID" => match (args.first(), args.get(1)) {
            (Some(Wkt::Text(auth)), Some(Wkt::Text(code))) if auth.eq_ignore_ascii_case("EPSG") => {
                code.trim().parse().ok()
            }
            _ => None,
        },
        _ => None,
    })
}

fn is_vertical(name: &str) -> bool {
    matches!(name, "VERT_CS" | "VERTCRS" | "VERTICALCRS")
}

/// EPSG codes (horizontal, vertical) named by a WKT 1 or WKT 2 string.
pub fn epsg_from_wkt(wkt: &str) -> (Option<u32>, Option<u32>) {
    let Some(Wkt::Node(name, kids)) = parse_wkt(wkt) else {
        return (None, None);
    };
    if name == "COMPD_CS" || name == "COMPOUNDCRS" {
        let mut h = None;
        let mut v = None;
        for k in &kids {
            if let Wkt::Node(n, args) = k {
                if is_vertical(n) {
                    v = v.or(own_epsg(args));
                } else if n != "AUTHORITY" && n != "ID" {
                    h = h.or(own_epsg(args));
                }
            }
        }
        return (h, v);
    }
    if is_vertical(&name) {
        return (None, own_epsg(&kids));
    }
    (own_epsg(&kids), None)
}

/// EPSG codes (horizontal, vertical) from a GeoKeyDirectoryTag payload.
pub fn epsg_from_geokeys(data: &[u8]) -> (Option<u32>, Option<u32>) {
    let words: Vec<u16> = data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    if words.len() < 4 {
        return (None, None);
    }
    let n = words[3] as usize;
    let (mut projected, mut geographic, mut vertical) = (None, None, None);
    for e in words[4..].chunks_exact(4).take(n) {
        let (key, location, value) = (e[0], e[1], e[3]);
        if location != 0 || value == 0 || value == 32767 {
            continue;
        }
        match key {
            3072 => projected = Some(value as u32),
            2048 => geographic = Some(value as u32),
            4096 => vertical = Some(value as u32),
            _ => {}
        }
    }
    (projected.or(geographic), vertical)
}

/// The CRS described by a file's VLRs: the WKT record wins over GeoTIFF keys (LAS 1.4 R15, 2.5).
/// Returns the CRS, where it came from, and a warning when the records exist but are unreadable.
pub fn crs_from_vlrs(vlrs: &[Vlr]) -> (CrsInfo, CrsSource, Option<String>) {
    let proj = |id: u16| vlrs.iter().find(|v| v.is_projection() && v.record_id == id && !v.data.is_empty());
    if let Some(v) = proj(2112) {
        let text = String::from_utf8_lossy(&v.data).trim_end_matches('\0').trim().to_string();
        let (h, vert) = epsg_from_wkt(&text);
        let warn = if h.is_none() && vert.is_none() {
            Some("the OGC WKT record names no EPSG code".to_string())
        } else {
            None
        };
        return (CrsInfo { epsg: h, vertical_epsg: vert, wkt: Some(text) }, CrsSource::Wkt, warn);
    }
    if let Some(v) = proj(34735) {
        let (h, vert) = epsg_from_geokeys(&v.data);
        if h.is_none() {
            return (
                CrsInfo { epsg: None, vertical_epsg: vert, wkt: None },
                CrsSource::GeoTiff,
                Some("GeoTIFF keys give no EPSG code (user-defined CRS); use --crs EPSG:N".into()),
            );
        }
        return (CrsInfo { epsg: h, vertical_epsg: vert, wkt: None }, CrsSource::GeoTiff, None);
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
