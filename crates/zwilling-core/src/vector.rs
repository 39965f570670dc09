//! Plain vector features: what readers of GeoJSON / GeoPackage produce and what the analyses hand
//! to the GeoPackage writer (sections, potholes, sinks, flow paths, buildings, cracks ...).
//!
//! Coordinates are `[x, y]` or `[x, y, z]` in the layer's CRS. Attribute values are typed so the
//! writer can declare columns; a missing measurement is [`Value::Null`], never zero.

use crate::CrsInfo;

/// A polygon: an exterior ring and holes, each ring closed or not (writers close them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Polygon {
    /// Exterior ring.
    pub exterior: Vec<[f64; 2]>,
    /// Interior rings (holes).
    pub holes: Vec<Vec<[f64; 2]>>,
}

impl Polygon {
    /// A polygon without holes.
    pub fn new(exterior: Vec<[f64; 2]>) -> Self {
        Polygon { exterior, holes: vec![] }
    }

    /// Signed-free area (exterior minus holes) by the shoelace formula.
    pub fn area(&self) -> f64 {
        ring_area(&self.exterior).abs() - self.holes.iter().map(|h| ring_area(h).abs()).sum::<f64>()
    }

    /// True when `(x, y)` lies inside the exterior and outside every hole (even-odd rule).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        ring_contains(&self.exterior, x, y) && !self.holes.iter().any(|h| ring_contains(h, x, y))
    }
}

/// Signed area of a ring (positive counter-clockwise), shoelace formula.
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        s += a[0] * b[1] - b[0] * a[1];
    }
    0.5 * s
}

/// Even-odd point-in-ring test.
pub fn ring_contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let n = ring.len();
    let mut inside = false;
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// A geometry.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// A point `[x, y, z]` (z NaN when 2D).
    Point([f64; 3]),
    /// A line string of `[x, y, z]` vertices (z NaN when 2D).
    LineString(Vec<[f64; 3]>),
    /// A polygon.
    Polygon(Polygon),
    /// Several polygons.
    MultiPolygon(Vec<Polygon>),
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (e.g. a measure that could not be computed).
    Null,
    /// Integer.
    Int(i64),
    /// Floating point.
    Real(f64),
    /// Text.
    Text(String),
}

impl Value {
    /// A real, or `Null` when `v` is NaN.
    pub fn real_or_null(v: f64) -> Value {
        if v.is_nan() {
            Value::Null
        } else {
            Value::Real(v)
        }
    }

    /// The value as f64 (`Int` converted; `Null`/`Text` → NaN).
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Int(i) => *i as f64,
            Value::Real(r) => *r,
            _ => f64::NAN,
        }
    }

    /// The value as text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Declared type of an attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Real,
    /// UTF-8 text.
    Text,
}

/// One feature: a geometry and its attribute values, in the order of the layer's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Geometry.
    pub geometry: Geometry,
    /// Values, one per field of the layer, same order.
    pub values: Vec<Value>,
}

/// A named layer of features with a fixed schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Table / layer name.
    pub name: String,
    /// CRS of all geometries.
    pub crs: CrsInfo,
    /// Column names and types.
    pub fields: Vec<(String, FieldType)>,
    /// Features.
    pub features: Vec<Feature>,
}

impl Layer {
    /// An empty layer.
    pub fn new(name: impl Into<String>, crs: CrsInfo, fields: Vec<(String, FieldType)>) -> Self {
        Layer { name: name.into(), crs, fields, features: vec![] }
    }

    /// Index of a field by name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|(n, _)| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_area_and_containment() {
        let mut p = Polygon::new(vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]]);
        p.holes.push(vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]]);
        assert_eq!(p.area(), 15.0);
        assert!(p.contains(3.0, 3.0));
        assert!(!p.contains(1.5, 1.5));
        assert!(!p.contains(5.0, 1.0));
        assert_eq!(Value::real_or_null(f64::NAN), Value::Null);
    }
}
