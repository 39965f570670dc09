//! Reading the EPSG code(s) of an OGC WKT coordinate reference system (WKT1 and WKT2).
//!
//! The WKT is parsed into a tree (OGC 01-009 / ISO 19162 syntax: `KEYWORD[arg, ...]` or with
//! round brackets; quoted strings with `""` escapes). The code is the authority of the
//! **top-level** CRS: WKT1 `AUTHORITY["EPSG","25832"]`, WKT2 `ID["EPSG",25832]` as a direct child.
//! `COMPD_CS` / `COMPOUNDCRS` yield horizontal + vertical codes from their components (or from a
//! known compound code), `BOUNDCRS` its source CRS. Without an authority, the CRS name is matched
//! against the supported names (also ESRI spellings such as `ETRS_1989_UTM_Zone_32N`).
//!
//! ```
//! let wkt = r#"COMPD_CS["x",PROJCS["ETRS89 / UTM zone 32N",GEOGCS["ETRS89",AUTHORITY["EPSG","4258"]],AUTHORITY["EPSG","25832"]],VERT_CS["DHHN2016 height",AUTHORITY["EPSG","7837"]]]"#;
//! let crs = zwilling_crs::crs_from_wkt(wkt);
//! assert_eq!((crs.epsg, crs.vertical_epsg), (Some(25832), Some(7837)));
//! assert_eq!(zwilling_crs::epsg_from_wkt(wkt), Some(25832));
//! ```

use crate::registry;
use zwilling_core::CrsInfo;

/// One argument of a WKT node.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Number(String),
    Word(String),
    Node(Node),
}

/// A WKT node: keyword and arguments.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    keyword: String,
    args: Vec<Arg>,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn node(&mut self) -> Option<Node> {
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
            self.i += 1;
        }
        let keyword = std::str::from_utf8(&self.s[start..self.i]).ok()?.to_ascii_uppercase();
        self.skip_ws();
        let close = match self.s.get(self.i)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            let c = *self.s.get(self.i)?;
            if c == close && args.is_empty() {
                self.i += 1;
                break;
            }
            args.push(self.arg()?);
            self.skip_ws();
            match *self.s.get(self.i)? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(Node { keyword, args })
    }

    fn arg(&mut self) -> Option<Arg> {
        let c = *self.s.get(self.i)?;
        if c == b'"' {
            self.i += 1;
            let mut out = Vec::new();
            loop {
                let c = *self.s.get(self.i)?;
                self.i += 1;
                if c == b'"' {
                    if self.s.get(self.i) == Some(&b'"') {
                        out.push(b'"');
                        self.i += 1;
                    } else {
                        break;
                    }
                } else {
                    out.push(c);
                }
            }
            return Some(Arg::Text(String::from_utf8_lossy(&out).into_owned()));
        }
        if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() {
            let start = self.i;
            while self.i < self.s.len() && matches!(self.s[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            }
            return Some(Arg::Number(String::from_utf8_lossy(&self.s[start..self.i]).into_owned()));
        }
        // A keyword node or a bare word (e.g. EAST).
        let start = self.i;
        let mut j = self.i;
        while j < self.s.len() && (self.s[j].is_ascii_alphanumeric() || self.s[j] == b'_') {
            j += 1;
        }
        let mut k = j;
        while k < self.s.len() && self.s[k].is_ascii_whitespace() {
            k += 1;
        }
        if matches!(self.s.get(k), Some(b'[') | Some(b'(')) {
            return self.node().map(Arg::Node);
        }
        if j == start {
            return None;
        }
        self.i = j;
        Some(Arg::Word(String::from_utf8_lossy(&self.s[start..j]).into_owned()))
    }
}

fn parse(wkt: &str) -> Option<Node> {
    let mut p = Parser { s: wkt.as_bytes(), i: 0, depth: 0 };
    p.node()
}

impl Node {
    fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|a| if let Arg::Node(n) = a { Some(n) } else { None })
    }

    fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(Arg::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The EPSG code of this node's own AUTHORITY / ID child.
    fn epsg(&self) -> Option<u32> {
        self.children().filter(|c| c.keyword == "AUTHORITY" || c.keyword == "ID").find_map(|c| {
            let auth = match c.args.first()? {
                Arg::Text(t) => t,
                _ => return None,
            };
            if !auth.eq_ignore_ascii_case("EPSG") {
                return None;
            }
            match c.args.get(1)? {
                Arg::Text(t) | Arg::Number(t) => t.trim().parse().ok(),
                _ => None,
            }
        })
    }

    fn is_vertical(&self) -> bool {
        matches!(self.keyword.as_str(), "VERT_CS" | "VERTCRS" | "VERTICALCRS")
    }

    fn is_crs(&self) -> bool {
        matches!(
            self.keyword.as_str(),
            "PROJCS"
                | "GEOGCS"
                | "GEOCCS"
                | "VERT_CS"
                | "PROJCRS"
                | "PROJECTEDCRS"
                | "GEOGCRS"
                | "GEOGRAPHICCRS"
                | "GEODCRS"
                | "GEODETICCRS"
                | "BASEGEOGCRS"
                | "VERTCRS"
                | "VERTICALCRS"
                | "COMPD_CS"
                | "COMPOUNDCRS"
                | "BOUNDCRS"
        )
    }
}

/// Normalised name for matching: lower-case alphanumerics, ESRI spellings mapped to EPSG ones.
fn normalise(name: &str) -> String {
    let s: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    s.replace("etrs1989", "etrs89").replace("wgs1984", "wgs84")
}

fn code_from_name(name: &str, vertical: bool) -> Option<u32> {
    let n = normalise(name);
    let alias = match n.as_str() {
        "gcswgs84" => Some(4326),
        "gcsetrs89" => Some(4258),
        "gcsrgf1993" | "rgf93" => Some(4171),
        "rgf1993lambert93" | "rgf93lambert93" => Some(2154),
        "rdnew" => Some(28992),
        "wgs84webmercatorauxiliarysphere" => Some(3857),
        "dhhn2016" => Some(7837),
        "dhhn92" => Some(5783),
        "nap" => Some(5709),
        "ngfign69" => Some(5720),
        _ => None,
    };
    if alias.is_some() {
        return alias;
    }
    registry::supported().iter().copied().find(|&c| {
        let is_v = registry::vertical_definition(c).is_some();
        is_v == vertical && registry::crs_name(c).is_some_and(|cn| normalise(&cn) == n)
    })
}

/// The supported code whose name matches a GeoTIFF citation (e.g. `ETRS89 / UTM zone 32N`).
pub(crate) fn code_from_citation(citation: &str) -> Option<u32> {
    code_from_name(citation, false)
}

fn code_of(node: &Node) -> Option<u32> {
    node.epsg().or_else(|| code_from_name(node.name()?, node.is_vertical()))
}

fn info_of(node: &Node) -> CrsInfo {
    match node.keyword.as_str() {
        "COMPD_CS" | "COMPOUNDCRS" => {
            let mut info = CrsInfo::default();
            for child in node.children().filter(|c| c.is_crs()) {
                if child.is_vertical() {
                    info.vertical_epsg = info.vertical_epsg.or_else(|| code_of(child));
                } else if info.epsg.is_none() {
                    info.epsg = info_of(child).epsg;
                }
            }
            if let Some((h, v)) = node.epsg().and_then(registry::compound_parts) {
                info.epsg = info.epsg.or(Some(h));
                info.vertical_epsg = info.vertical_epsg.or(Some(v));
            }
            info
        }
        "BOUNDCRS" => node
            .children()
            .find(|c| c.keyword == "SOURCECRS")
            .and_then(|s| s.children().find(|c| c.is_crs()))
            .map(info_of)
            .unwrap_or_default(),
        _ if node.is_vertical() => CrsInfo { epsg: None, vertical_epsg: code_of(node), wkt: None },
        _ => match code_of(node) {
            Some(c) => match registry::compound_parts(c) {
                Some((h, v)) => CrsInfo::compound(h, v),
                None => CrsInfo::from_epsg(c),
            },
            None => CrsInfo::default(),
        },
    }
}

/// The EPSG code of the horizontal part of a WKT CRS (WKT1 or WKT2), or `None` when it has none
/// and its name is not one of the supported CRSs.
pub fn epsg_from_wkt(wkt: &str) -> Option<u32> {
    info_of(&parse(wkt)?).epsg
}

/// The CRS described by a WKT string: horizontal and vertical EPSG codes as far as they can be
/// determined, and the WKT itself (kept even when no code is found).
pub fn crs_from_wkt(wkt: &str) -> CrsInfo {
    let wkt_text = wkt.trim_end_matches('\0').trim();
    let mut info = parse(wkt_text).map(|n| info_of(&n)).unwrap_or_default();
    info.wkt = (!wkt_text.is_empty()).then(|| wkt_text.to_string());
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkt2_and_esri_and_bound_crs() {
        let wkt2 = r#"PROJCRS["ETRS89 / UTM zone 33N",BASEGEOGCRS["ETRS89",ID["EPSG",4258]],
            CONVERSION["UTM zone 33N",METHOD["Transverse Mercator",ID["EPSG",9807]]],ID["EPSG",25833]]"#;
        assert_eq!(epsg_from_wkt(wkt2), Some(25833));
        let esri = r#"PROJCS["ETRS_1989_UTM_Zone_32N",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",
            SPHEROID["GRS_1980",6378137.0,298.257222101]]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]"#;
        assert_eq!(epsg_from_wkt(esri), Some(25832));
        let bound = r#"BOUNDCRS[SOURCECRS[PROJCRS["Amersfoort / RD New",ID["EPSG",28992]]],
            TARGETCRS[GEOGCRS["WGS 84",ID["EPSG",4326]]],ABRIDGEDTRANSFORMATION["x"]]"#;
        assert_eq!(epsg_from_wkt(bound), Some(28992));
        let compound2 = r#"COMPOUNDCRS["RD + NAP",PROJCRS["Amersfoort / RD New",ID["EPSG",28992]],
            VERTCRS["NAP height",VDATUM["Normaal Amsterdams Peil"],ID["EPSG",5709]]]"#;
        let c = crs_from_wkt(compound2);
        assert_eq!((c.epsg, c.vertical_epsg), (Some(28992), Some(5709)));
    }

    #[test]
    fn compound_code_without_children_codes_and_bad_input() {
        let c = crs_from_wkt(r#"COMPD_CS["ETRS89 / UTM zone 32N + DHHN92 height",AUTHORITY["EPSG","5555"]]"#);
        assert_eq!((c.epsg, c.vertical_epsg), (Some(25832), Some(5783)));
        assert_eq!(epsg_from_wkt("PROJCS[\"unknown\",UNIT[\"metre\",1]]"), None);
        assert_eq!(epsg_from_wkt("garbage"), None);
        assert_eq!(epsg_from_wkt("PROJCS[\"a\",AUTHORITY[\"EPSG\",\"25832\"]"), None);
        assert_eq!(crs_from_wkt("").wkt, None);
        let deep = "A[".repeat(10_000);
        assert_eq!(epsg_from_wkt(&deep), None);
    }
}
