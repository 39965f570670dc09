//! GeoJSON feature collections ↔ [`Layer`].
//!
//! Reads a `FeatureCollection` (or a single `Feature`) with `Point`, `LineString`, `Polygon` and
//! `MultiPolygon` geometries (2D or 3D coordinates) and typed properties: a column is `Int` when
//! every non-null value is an integer (booleans count as 0/1), `Real` when every value is a
//! number, otherwise `Text` (numbers written as text); a missing or `null` value is
//! [`Value::Null`]. Columns appear in first-seen order. The CRS comes from the (2008-spec) `crs`
//! member, e.g. `{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}`, which
//! GDAL and QGIS honour; without it the layer's CRS is unknown (RFC 7946 would imply WGS 84, but
//! projected coordinates are common in practice — the caller decides).
//!
//! Writes a `FeatureCollection` with `name`, the `crs` member when the EPSG code is known,
//! closed polygon rings, `null` for `Null` and NaN. Atomic (temporary file + rename).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{json, Value as J};
use std::path::Path;
use zwilling_core::{CrsInfo, Error, Feature, FieldType, Geometry, Layer, Polygon, Result, Value};

/// A JSON object's members in file order (serde_json's `Map` sorts keys).
#[derive(Debug, Default)]
struct Ordered(Vec<(String, J)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_unit<E>(self) -> std::result::Result<Ordered, E> {
                Ok(Ordered::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, J>()? {
                    v.push((k, x));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Property key order of every feature, in file order.
fn property_orders(text: &str) -> Vec<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default)]
        properties: Option<Ordered>,
    }
    #[derive(serde::Deserialize)]
    struct C {
        #[serde(default)]
        features: Option<Vec<F>>,
        #[serde(default)]
        properties: Option<Ordered>,
    }
    let keys = |o: Option<Ordered>| o.map(|o| o.0.into_iter().map(|(k, _)| k).collect()).unwrap_or_default();
    match serde_json::from_str::<C>(text) {
        Ok(C { features: Some(f), .. }) => f.into_iter().map(|f| keys(f.properties)).collect(),
        Ok(C { properties, .. }) => vec![keys(properties)],
        Err(_) => Vec::new(),
    }
}

/// Reads a GeoJSON file into a layer named after its `name` member or the file stem.
pub fn read_geojson(path: &Path) -> Result<Layer> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let root: J = serde_json::from_str(&text).map_err(|e| Error::bad_file(path, format!("not valid JSON: {e}")))?;
    let orders = property_orders(&text);
    let bad = |m: String| Error::bad_file(path, m);
    let feats: Vec<&J> = match root.get("type").and_then(J::as_str) {
        Some("FeatureCollection") => root
            .get("features")
            .and_then(J::as_array)
            .ok_or_else(|| bad("FeatureCollection without a 'features' array".into()))?
            .iter()
            .collect(),
        Some("Feature") => vec![&root],
        Some(t) => return Err(bad(format!("expected a FeatureCollection or Feature, found type '{t}'"))),
        None => return Err(bad("no 'type' member: not GeoJSON".into())),
    };
    let crs = root
        .get("crs")
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(J::as_str)
        .and_then(|n| {
            let code = n.rsplit(':').next()?;
            CrsInfo::parse(code)
        })
        .unwrap_or_default();
    let name = root
        .get("name")
        .and_then(J::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
    // columns and types
    let mut fields: Vec<(String, FieldType)> = Vec::new();
    for (i, f) in feats.iter().enumerate() {
        if let Some(props) = f.get("properties").and_then(J::as_object) {
            let order: Vec<&String> = match orders.get(i) {
                Some(o) if o.len() == props.len() => o.iter().collect(),
                _ => props.keys().collect(),
            };
            for k in order {
                let v = &props[k];
                let t = match v {
                    J::Null => continue,
                    J::Bool(_) => FieldType::Int,
                    J::Number(n) if n.is_i64() => FieldType::Int,
                    J::Number(_) => FieldType::Real,
                    _ => FieldType::Text,
                };
                match fields.iter_mut().find(|(n, _)| n == k) {
                    Some((_, old)) => {
                        *old = match (*old, t) {
                            (a, b) if a == b => a,
                            (FieldType::Text, _) | (_, FieldType::Text) => FieldType::Text,
                            _ => FieldType::Real,
                        }
                    }
                    None => fields.push((k.clone(), t)),
                }
            }
        }
    }
    // null-only columns: keep them (as Text) so the schema is complete
    for (i, f) in feats.iter().enumerate() {
        if let Some(props) = f.get("properties").and_then(J::as_object) {
            let order: Vec<&String> = match orders.get(i) {
                Some(o) if o.len() == props.len() => o.iter().collect(),
                _ => props.keys().collect(),
            };
            for k in order {
                if !fields.iter().any(|(n, _)| n == k) {
                    fields.push((k.clone(), FieldType::Text));
                }
            }
        }
    }
    let mut layer = Layer::new(name, crs, fields.clone());
    for (i, f) in feats.iter().enumerate() {
        let g = f.get("geometry").filter(|g| !g.is_null()).ok_or_else(|| bad(format!("feature {i}: no geometry")))?;
        let geometry = parse_geometry(g).map_err(|m| bad(format!("feature {i}: {m}")))?;
        let props = f.get("properties").and_then(J::as_object);
        let values = fields
            .iter()
            .map(|(k, t)| match (props.and_then(|p| p.get(k)), t) {
                (None | Some(J::Null), _) => Value::Null,
                (Some(J::Bool(b)), FieldType::Int) => Value::Int(i64::from(*b)),
                (Some(J::Bool(b)), FieldType::Real) => Value::Real(f64::from(u8::from(*b))),
                (Some(J::Number(n)), FieldType::Int) => Value::Int(n.as_i64().unwrap_or_default()),
                (Some(J::Number(n)), FieldType::Real) => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
                (Some(J::String(s)), _) => Value::Text(s.clone()),
                (Some(other), _) => Value::Text(other.to_string()),
            })
            .collect();
        layer.features.push(Feature { geometry, values });
    }
    Ok(layer)
}

fn coord(v: &J) -> std::result::Result<[f64; 3], String> {
    let a = v.as_array().ok_or("a coordinate is not an array")?;
    if a.len() < 2 {
        return Err("a coordinate has fewer than 2 numbers".into());
    }
    let n = |i: usize| a.get(i).and_then(J::as_f64);
    Ok([
        n(0).ok_or("a coordinate is not a number")?,
        n(1).ok_or("a coordinate is not a number")?,
        n(2).unwrap_or(f64::NAN),
    ])
}

fn ring(v: &J) -> std::result::Result<Vec<[f64; 2]>, String> {
    let pts = v.as_array().ok_or("a ring is not an array")?;
    let r: Vec<[f64; 2]> = pts.iter().map(|p| coord(p).map(|c| [c[0], c[1]])).collect::<Result<_, _>>()?;
    if r.len() < 4 {
        return Err(format!("a polygon ring has {} positions, at least 4 needed", r.len()));
    }
    Ok(r)
}

fn polygon(v: &J) -> std::result::Result<Polygon, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array")?;
    let mut it = rings.iter();
    let exterior = ring(it.next().ok_or("a polygon without rings")?)?;
    let holes = it.map(ring).collect::<Result<_, _>>()?;
    Ok(Polygon { exterior, holes })
}

fn parse_geometry(g: &J) -> std::result::Result<Geometry, String> {
    let c = g.get("coordinates").ok_or("geometry without coordinates")?;
    match g.get("type").and_then(J::as_str) {
        Some("Point") => Ok(Geometry::Point(coord(c)?)),
        Some("LineString") => {
            Ok(Geometry::LineString(c.as_array().ok_or("bad LineString")?.iter().map(coord).collect::<Result<_, _>>()?))
        }
        Some("Polygon") => Ok(Geometry::Polygon(polygon(c)?)),
        Some("MultiPolygon") => Ok(Geometry::MultiPolygon(
            c.as_array().ok_or("bad MultiPolygon")?.iter().map(polygon).collect::<Result<_, _>>()?,
        )),
        Some(t) => Err(format!("unsupported geometry type '{t}' (Point, LineString, Polygon, MultiPolygon are read)")),
        None => Err("geometry without type".into()),
    }
}

fn num(v: f64) -> J {
    serde_json::Number::from_f64(v).map_or(J::Null, J::Number)
}

fn pos(c: [f64; 3]) -> J {
    if c[2].is_nan() {
        json!([num(c[0]), num(c[1])])
    } else {
        json!([num(c[0]), num(c[1]), num(c[2])])
    }
}

fn closed(r: &[[f64; 2]]) -> J {
    let mut v: Vec<J> = r.iter().map(|p| json!([num(p[0]), num(p[1])])).collect();
    if let (Some(a), Some(b)) = (r.first(), r.last()) {
        if a != b {
            v.push(json!([num(a[0]), num(a[1])]));
        }
    }
    J::Array(v)
}

fn poly_json(p: &Polygon) -> J {
    J::Array(std::iter::once(&p.exterior).chain(&p.holes).map(|r| closed(r)).collect())
}

/// Writes a layer as a GeoJSON FeatureCollection (atomically). Properties keep the layer's
/// field order.
pub fn write_geojson(path: &Path, layer: &Layer) -> Result<()> {
    write_geojson_streamed(path, layer, |add| layer.features.iter().try_for_each(add))
}

/// Writes a GeoJSON FeatureCollection feature by feature (atomically), so that the features need
/// not be in memory at once: `schema` gives the name, fields and CRS (its features are ignored),
/// and `fill` passes every feature in order to the function it is given. The bytes are those
/// [`write_geojson`] writes for the same features. An error from `fill` (or a feature whose
/// values do not fit the fields) leaves no file.
///
/// ```
/// use zwilling_core::{CrsInfo, Feature, FieldType, Geometry, Layer, Value};
/// let dir = tempfile::tempdir().unwrap();
/// let schema = Layer { name: "pts".into(), fields: vec![("v".into(), FieldType::Int)], features: vec![], crs: CrsInfo::default() };
/// let p = dir.path().join("pts.geojson");
/// zwilling_io::geojson::write_geojson_streamed(&p, &schema, |add| {
///     (0..3).try_for_each(|i| add(&Feature { geometry: Geometry::Point([i as f64, 0.0, 0.0]), values: vec![Value::Int(i)] }))
/// })
/// .unwrap();
/// assert_eq!(zwilling_io::geojson::read_geojson(&p).unwrap().features.len(), 3);
/// ```
pub fn write_geojson_streamed(
    path: &Path,
    schema: &Layer,
    fill: impl FnOnce(&mut dyn FnMut(&Feature) -> Result<()>) -> Result<()>,
) -> Result<()> {
    use std::io::Write;
    let js = |v: &J| v.to_string();
    let mut failure: Option<Error> = None;
    let written = crate::write_atomic_with(path, |file| {
        let mut w = std::io::BufWriter::new(file);
        let mut head = String::from("{\"type\":\"FeatureCollection\",\"name\":");
        head.push_str(&js(&json!(schema.name)));
        if let Some(e) = schema.crs.epsg {
            head.push_str(&format!(
                ",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::{e}\"}}}}"
            ));
        }
        head.push_str(",\"features\":[");
        w.write_all(head.as_bytes())?;
        let mut i = 0usize;
        let mut out = String::new();
        let filled = fill(&mut |f: &Feature| {
            if f.values.len() != schema.fields.len() {
                return Err(Error::invalid(format!(
                    "feature {i} has {} values for {} fields",
                    f.values.len(),
                    schema.fields.len()
                ))
                .in_file(path));
            }
            let geometry = match &f.geometry {
                Geometry::Point(c) => json!({"type": "Point", "coordinates": pos(*c)}),
                Geometry::LineString(v) => {
                    json!({"type": "LineString", "coordinates": v.iter().map(|c| pos(*c)).collect::<Vec<_>>()})
                }
                Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": poly_json(p)}),
                Geometry::MultiPolygon(ps) => {
                    json!({"type": "MultiPolygon", "coordinates": ps.iter().map(poly_json).collect::<Vec<_>>()})
                }
            };
            out.clear();
            if i > 0 {
                out.push(',');
            }
            out.push_str("\n{\"type\":\"Feature\",\"properties\":{");
            for (k, ((name, _), v)) in schema.fields.iter().zip(&f.values).enumerate() {
                let j = match v {
                    Value::Null => J::Null,
                    Value::Int(i) => json!(i),
                    Value::Real(r) => num(*r),
                    Value::Text(s) => json!(s),
                };
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&js(&json!(name)));
                out.push(':');
                out.push_str(&js(&j));
            }
            out.push_str("},\"geometry\":");
            out.push_str(&js(&geometry));
            out.push('}');
            w.write_all(out.as_bytes()).map_err(|e| Error::io(path, e))?;
            i += 1;
            Ok(())
        });
        if let Err(e) = filled {
            failure = Some(e);
            return Err(std::io::Error::other("the features could not be written"));
        }
        w.write_all(b"\n]}\n")?;
        w.flush()
    });
    match failure {
        Some(e) => Err(e),
        None => written,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_stream_leaves_the_old_file_and_names_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("buildings.geojson");
        let l = layer();
        write_geojson(&p, &l).unwrap();
        let before = std::fs::read(&p).unwrap();
        // The source fails after two features: the error comes back, the old file stays whole.
        let e = write_geojson_streamed(&p, &l, |add| {
            l.features.iter().take(2).try_for_each(&mut *add)?;
            Err(Error::invalid("tile record 7 is damaged"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("tile record 7"), "{e}");
        // A feature that does not fit the fields is refused with its index.
        let mut bad = l.features[0].clone();
        bad.values.pop();
        let e = write_geojson_streamed(&p, &l, |add| add(&l.features[1]).and_then(|_| add(&bad))).unwrap_err();
        assert!(e.to_string().contains("feature 1 has 2 values for 3 fields"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), before);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["buildings.geojson"]);
    }

    fn layer() -> Layer {
        let mut l = Layer::new(
            "buildings",
            CrsInfo::from_epsg(25832),
            vec![("id".into(), FieldType::Int), ("height".into(), FieldType::Real), ("name".into(), FieldType::Text)],
        );
        let mut p = Polygon::new(vec![[0.0, 0.0], [10.0, 0.0], [10.0, 5.0], [0.0, 5.0]]);
        p.holes.push(vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]]);
        l.features.push(Feature {
            geometry: Geometry::Polygon(p.clone()),
            values: vec![Value::Int(1), Value::Real(12.5), Value::Text("a".into())],
        });
        l.features.push(Feature {
            geometry: Geometry::MultiPolygon(vec![p]),
            values: vec![Value::Int(2), Value::Null, Value::Null],
        });
        l.features.push(Feature {
            geometry: Geometry::Point([360_000.5, 5_700_000.25, 61.0]),
            values: vec![Value::Int(3), Value::Real(f64::NAN), Value::Text("ü".into())],
        });
        l.features.push(Feature {
            geometry: Geometry::LineString(vec![[0.0, 0.0, f64::NAN], [1.0, 1.0, f64::NAN]]),
            values: vec![Value::Int(4), Value::Real(1.0), Value::Text("x".into())],
        });
        l
    }

    #[test]
    fn round_trip_keeps_geometry_types_values_and_crs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.geojson");
        write_geojson(&path, &layer()).unwrap();
        let back = read_geojson(&path).unwrap();
        assert_eq!(back.name, "buildings");
        assert_eq!(back.crs.epsg, Some(25832));
        assert_eq!(back.fields, layer().fields);
        let Geometry::Polygon(p) = &back.features[0].geometry else { panic!() };
        assert_eq!(p.exterior.len(), 5); // closed on write
        assert_eq!(p.area(), 49.0);
        assert_eq!(back.features[1].values, vec![Value::Int(2), Value::Null, Value::Null]);
        assert_eq!(back.features[2].geometry, Geometry::Point([360_000.5, 5_700_000.25, 61.0]));
        assert_eq!(back.features[2].values[1], Value::Null); // NaN → null
        let Geometry::LineString(ls) = &back.features[3].geometry else { panic!() };
        assert!(ls[1][2].is_nan() && ls[1][0] == 1.0);
    }

    #[test]
    fn mixed_property_types_and_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.geojson");
        std::fs::write(
            &path,
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"a":1,"b":"x","c":true},"geometry":{"type":"Point","coordinates":[1,2]}},
              {"type":"Feature","properties":{"a":2.5,"b":3},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#,
        )
        .unwrap();
        let l = read_geojson(&path).unwrap();
        assert_eq!(l.name, "m");
        assert!(l.crs.is_unknown());
        assert_eq!(l.fields[0], ("a".into(), FieldType::Real));
        assert_eq!(l.fields[1], ("b".into(), FieldType::Text));
        assert_eq!(l.features[1].values, vec![Value::Real(2.5), Value::Text("3".into()), Value::Null]);
        assert_eq!(l.features[0].values[2], Value::Int(1));
        std::fs::write(
            &path,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
            "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}}]}"#,
        )
        .unwrap();
        let e = read_geojson(&path).unwrap_err().to_string();
        assert!(e.contains("m.geojson") && e.contains("feature 0") && e.contains("at least 4"), "{e}");
        std::fs::write(&path, "{").unwrap();
        assert!(read_geojson(&path).unwrap_err().to_string().contains("not valid JSON"));
        std::fs::write(&path, r#"{"type":"Feature","geometry":{"type":"GeometryCollection","coordinates":[]}}"#)
            .unwrap();
        assert!(read_geojson(&path).unwrap_err().to_string().contains("unsupported geometry type"));
    }
}
