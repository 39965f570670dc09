//! Optional vector inputs of the road survey, converted from generic [`Layer`]s (read by
//! `zwilling-io` from GeoPackage or GeoJSON): aggregation areas and crack polylines.
//!
//! - **Areas** (`--areas`): polygons or multipolygons with a text (or integer-coded) attribute
//!   `FK` — function class `A` main road, `B` side road, `N` secondary area — and `BW` —
//!   construction `A` asphalt, `P` paving (attribute names case-insensitive, as in the abs /
//!   AP 9 K aggregation layers). An optional `id` / `ID` / `fid_area` attribute names the area in
//!   the output. Each part of a multipolygon becomes its own [`AreaPolygon`] with the same
//!   attributes.
//! - **Cracks** (`--cracks`): the agreed exchange format of the crack detection: a GeoJSON
//!   FeatureCollection (or GeoPackage layer) of `LineString` features in the map CRS
//!   (EPSG:25832) with a real property `width_m` (crack width, m, ≥ 0). A missing or negative
//!   width is an error naming the feature.
//!
//! Example: a GeoJSON feature
//! `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[x0,y0],[x1,y1]]},
//! "properties":{"width_m":0.004}}` becomes `CrackLine { points: [[x0,y0],[x1,y1]], width: 0.004 }`.

use crate::damage::CrackLine;
use crate::preset::{Construction, FunctionClass};
use crate::sections::AreaPolygon;
use zwilling_core::{Error, Geometry, Layer, Result, Value};

fn field(layer: &Layer, names: &[&str]) -> Option<usize> {
    layer.fields.iter().position(|(n, _)| names.iter().any(|m| n.eq_ignore_ascii_case(m)))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.trim().to_ascii_uppercase()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Aggregation areas of a polygon layer with `FK` and `BW` attributes.
pub fn areas_from_layer(layer: &Layer) -> Result<Vec<AreaPolygon>> {
    let fk_i = field(layer, &["FK"])
        .ok_or_else(|| Error::invalid(format!("areas layer '{}' has no FK attribute (A, B or N)", layer.name)))?;
    let bw_i = field(layer, &["BW"])
        .ok_or_else(|| Error::invalid(format!("areas layer '{}' has no BW attribute (A or P)", layer.name)))?;
    let id_i = field(layer, &["id", "fid_area", "name"]);
    let mut out = Vec::new();
    for (n, f) in layer.features.iter().enumerate() {
        let fk = match text(&f.values[fk_i]).as_deref() {
            Some("A") => FunctionClass::A,
            Some("B") => FunctionClass::B,
            Some("N") => FunctionClass::N,
            other => {
                return Err(Error::invalid(format!("area feature {}: FK {:?}, expected A, B or N", n + 1, other)));
            }
        };
        let bw = match text(&f.values[bw_i]).as_deref() {
            Some("A") => Construction::Asphalt,
            Some("P") => Construction::Paving,
            other => return Err(Error::invalid(format!("area feature {}: BW {:?}, expected A or P", n + 1, other))),
        };
        let id = id_i.and_then(|i| match &f.values[i] {
            Value::Text(t) => Some(t.clone()),
            Value::Int(v) => Some(v.to_string()),
            _ => None,
        });
        let parts = match &f.geometry {
            Geometry::Polygon(p) => vec![p.clone()],
            Geometry::MultiPolygon(ps) => ps.clone(),
            _ => return Err(Error::invalid(format!("area feature {}: not a polygon", n + 1))),
        };
        for polygon in parts {
            out.push(AreaPolygon { polygon, fk, bw, id: id.clone() });
        }
    }
    Ok(out)
}

/// Crack polylines of a line-string layer with a `width_m` attribute (m).
pub fn cracks_from_layer(layer: &Layer) -> Result<Vec<CrackLine>> {
    if layer.features.is_empty() {
        // No crack found: a GeoJSON without features carries no attribute names either.
        return Ok(Vec::new());
    }
    let w_i = field(layer, &["width_m"])
        .ok_or_else(|| Error::invalid(format!("cracks layer '{}' has no width_m attribute", layer.name)))?;
    let mut out = Vec::with_capacity(layer.features.len());
    for (n, f) in layer.features.iter().enumerate() {
        let width = f.values[w_i].as_f64();
        if width.is_nan() || width < 0.0 {
            return Err(Error::invalid(format!("crack feature {}: width_m must be a number >= 0", n + 1)));
        }
        let Geometry::LineString(pts) = &f.geometry else {
            return Err(Error::invalid(format!("crack feature {}: not a LineString", n + 1)));
        };
        if pts.len() < 2 {
            return Err(Error::invalid(format!("crack feature {}: a crack needs two vertices", n + 1)));
        }
        out.push(CrackLine { points: pts.iter().map(|p| [p[0], p[1]]).collect(), width });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::{CrsInfo, Feature, FieldType, Polygon};

    fn square(x0: f64) -> Polygon {
        Polygon::new(vec![[x0, -5.0], [x0 + 10.0, -5.0], [x0 + 10.0, 5.0], [x0, 5.0], [x0, -5.0]])
    }

    #[test]
    fn areas_take_fk_and_bw_case_insensitively() {
        let mut l = Layer::new(
            "areas",
            CrsInfo::from_epsg(25832),
            vec![("fk".into(), FieldType::Text), ("Bw".into(), FieldType::Text), ("id".into(), FieldType::Int)],
        );
        l.features.push(Feature {
            geometry: Geometry::Polygon(square(0.0)),
            values: vec![Value::Text("a".into()), Value::Text("P".into()), Value::Int(7)],
        });
        l.features.push(Feature {
            geometry: Geometry::MultiPolygon(vec![square(10.0), square(30.0)]),
            values: vec![Value::Text("N".into()), Value::Text("A".into()), Value::Null],
        });
        let a = areas_from_layer(&l).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!((a[0].fk, a[0].bw, a[0].id.as_deref()), (FunctionClass::A, Construction::Paving, Some("7")));
        assert_eq!((a[2].fk, a[2].bw, a[2].id.as_deref()), (FunctionClass::N, Construction::Asphalt, None));
        l.features[1].values[0] = Value::Text("X".into());
        assert!(areas_from_layer(&l).unwrap_err().to_string().contains("feature 2"));
    }

    #[test]
    fn cracks_need_line_strings_with_a_width() {
        let mut l = Layer::new("cracks", CrsInfo::from_epsg(25832), vec![("width_m".into(), FieldType::Real)]);
        l.features.push(Feature {
            geometry: Geometry::LineString(vec![[1.0, 2.0, f64::NAN], [3.0, 4.0, f64::NAN]]),
            values: vec![Value::Real(0.004)],
        });
        let c = cracks_from_layer(&l).unwrap();
        assert_eq!(c, vec![CrackLine { points: vec![[1.0, 2.0], [3.0, 4.0]], width: 0.004 }]);
        l.features[0].values[0] = Value::Null;
        assert!(cracks_from_layer(&l).is_err());
        // An empty detection (no attributes known) is no crack, not an error.
        let empty = Layer::new("cracks", CrsInfo::from_epsg(25832), vec![]);
        assert_eq!(cracks_from_layer(&empty).unwrap(), vec![]);
    }
}
