//! Binary glTF 2.0 (GLB) encoders for 3D Tiles content.
//!
//! - Point clouds: one `POINTS` primitive; `POSITION` as float32 relative to the tile centre (the
//!   centre goes into the node translation, so positions keep sub-millimetre precision), RGB as
//!   normalised `COLOR_0` (VEC4 unsigned byte), intensity (`_INTENSITY`, UINT16) and
//!   classification (`_CLASSIFICATION`, UINT8) as `EXT_structural_metadata` property attributes,
//!   and the classification also as `EXT_mesh_features` feature IDs so CesiumJS can style and pick
//!   by class.
//! - Meshes: indexed triangles with normals and per-vertex colours (terrain coloured by a raster).
//!
//! Coordinates come in the tile's local east-north-up frame; glTF is y-up, so `(e, n, u)` is
//! written as `(e, u, −n)` and 3D Tiles' default y-up → z-up rotation maps it back
//! (3D Tiles 1.1 §"glTF transforms"). Chunks are padded to 8 bytes as `EXT_structural_metadata`
//! requires. Sources: Khronos glTF 2.0 specification; EXT_structural_metadata and
//! EXT_mesh_features (Cesium, Khronos vendor extensions).

use serde_json::{json, Value};

/// Points of one tile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointContent {
    /// Tile centre in the local ENU frame; positions are relative to it.
    pub centre: [f64; 3],
    /// Positions (ENU, relative to `centre`).
    pub positions: Vec<[f32; 3]>,
    /// RGBA colours, or empty.
    pub colors: Vec<[u8; 4]>,
    /// Intensities, or empty.
    pub intensity: Vec<u16>,
    /// ASPRS classes, or empty.
    pub classification: Vec<u8>,
}

/// A coloured triangle mesh of one tile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshContent {
    /// Tile centre in the local ENU frame; positions are relative to it.
    pub centre: [f64; 3],
    /// Vertex positions (ENU, relative to `centre`).
    pub positions: Vec<[f32; 3]>,
    /// Unit normals (ENU), one per vertex.
    pub normals: Vec<[f32; 3]>,
    /// RGBA colour per vertex.
    pub colors: Vec<[u8; 4]>,
    /// Triangle vertex indices, counter-clockwise seen from above.
    pub indices: Vec<u32>,
}

const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;
const FLOAT: u32 = 5126;
const UNSIGNED_BYTE: u32 = 5121;
const UNSIGNED_SHORT: u32 = 5123;
const UNSIGNED_INT: u32 = 5125;

/// Collects buffer views and accessors for one binary buffer; the views' bytes are kept apart
/// and copied once, straight into the GLB container.
struct Bin {
    /// Each view's byte offset in the buffer and its bytes.
    parts: Vec<(usize, Vec<u8>)>,
    /// Buffer length so far.
    len: usize,
    views: Vec<Value>,
    accessors: Vec<Value>,
}

impl Bin {
    fn new() -> Self {
        Bin { parts: Vec::new(), len: 0, views: Vec::new(), accessors: Vec::new() }
    }

    /// Appends a buffer view (8-byte aligned) and one accessor on it; returns the accessor index.
    fn push(&mut self, bytes: Vec<u8>, stride: Option<usize>, target: u32, accessor: Value) -> usize {
        let (index, offset) = self.reserve(bytes.len(), stride, target, accessor);
        self.parts.push((offset, bytes));
        index
    }

    /// Like [`push`](Self::push) for a view of `len` bytes that the caller writes straight into
    /// the container (see [`container_into`]); returns the accessor index and the view's offset.
    fn reserve(&mut self, len: usize, stride: Option<usize>, target: u32, mut accessor: Value) -> (usize, usize) {
        let offset = self.len.next_multiple_of(8);
        let mut view = json!({"buffer": 0, "byteOffset": offset, "byteLength": len, "target": target});
        if let Some(s) = stride {
            view["byteStride"] = json!(s);
        }
        self.len = offset + len;
        self.views.push(view);
        accessor["bufferView"] = json!(self.views.len() - 1);
        self.accessors.push(accessor);
        (self.accessors.len() - 1, offset)
    }
}

/// y-up glTF coordinates of an ENU vector.
#[inline]
fn yup(p: [f32; 3]) -> [f32; 3] {
    [p[0], p[2], -p[1]]
}

fn positions_accessor(bin: &mut Bin, positions: &[[f32; 3]]) -> usize {
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    let mut bytes = vec![0u8; positions.len() * 12];
    for (p, b) in positions.iter().zip(bytes.chunks_exact_mut(12)) {
        let q = yup(*p);
        for k in 0..3 {
            min[k] = min[k].min(q[k]);
            max[k] = max[k].max(q[k]);
            b[4 * k..4 * k + 4].copy_from_slice(&q[k].to_le_bytes());
        }
    }
    let acc = json!({"componentType": FLOAT, "count": positions.len(), "type": "VEC3", "min": min, "max": max});
    bin.push(bytes, None, ARRAY_BUFFER, acc)
}

fn colors_accessor(bin: &mut Bin, colors: &[[u8; 4]]) -> usize {
    let bytes: Vec<u8> = colors.as_flattened().to_vec();
    let acc = json!({"componentType": UNSIGNED_BYTE, "normalized": true, "count": colors.len(), "type": "VEC4"});
    bin.push(bytes, None, ARRAY_BUFFER, acc)
}

/// Wraps the glTF JSON and binary buffer into a GLB container (chunks padded to 8 bytes).
fn container(gltf: Value, bin: Bin) -> Vec<u8> {
    let mut out = Vec::new();
    container_into(gltf, bin, &mut out, |_| {});
    out
}

/// [`container`] into `out` (cleared first; its capacity is reused), then `fill` writes the views
/// made with [`Bin::reserve`] into the binary chunk (`bin.len` rounded up to 8 bytes, views at
/// their offsets; the padding between views is zero, the views' own bytes must all be written).
fn container_into(mut gltf: Value, bin: Bin, out: &mut Vec<u8>, fill: impl FnOnce(&mut [u8])) {
    let data_len = bin.len.next_multiple_of(8);
    gltf["buffers"] = json!([{"byteLength": data_len}]);
    gltf["bufferViews"] = Value::Array(bin.views);
    gltf["accessors"] = Value::Array(bin.accessors);
    out.clear();
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // total length, set below
    out.extend_from_slice(&[0; 4]); // JSON length, set below
    out.extend_from_slice(b"JSON");
    serde_json::to_writer(&mut *out, &gltf).expect("JSON of plain values");
    while !(out.len() - 20).is_multiple_of(8) {
        out.push(b' ');
    }
    let js_len = out.len() - 20;
    let total = out.len() + 8 + data_len;
    out[8..12].copy_from_slice(&(total as u32).to_le_bytes());
    out[12..16].copy_from_slice(&(js_len as u32).to_le_bytes());
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    let base = out.len();
    out.resize(total, 0);
    let data = &mut out[base..];
    for (offset, bytes) in &bin.parts {
        data[*offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    fill(data);
}

fn node_translation(c: [f64; 3]) -> [f64; 3] {
    [c[0], c[2], -c[1]]
}

/// Encodes a point tile as GLB bytes.
pub fn encode_points(p: &PointContent) -> Vec<u8> {
    let mut out = Vec::new();
    encode_points_into(p, &mut out);
    out
}

/// [`encode_points`] into `out` (cleared first), so a caller writing many tiles reuses one buffer.
pub fn encode_points_into(p: &PointContent, out: &mut Vec<u8>) {
    let n = p.positions.len();
    // Every view is written straight into the container (no intermediate buffers).
    let mut bin = Bin::new();
    let mut attributes = serde_json::Map::new();
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    for q in p.positions.iter().map(|p| yup(*p)) {
        for k in 0..3 {
            min[k] = min[k].min(q[k]);
            max[k] = max[k].max(q[k]);
        }
    }
    let acc = json!({"componentType": FLOAT, "count": n, "type": "VEC3", "min": min, "max": max});
    let (acc, positions_at) = bin.reserve(n * 12, None, ARRAY_BUFFER, acc);
    attributes.insert("POSITION".into(), json!(acc));
    let mut colors_at = None;
    if p.colors.len() == n && n > 0 {
        let acc = json!({"componentType": UNSIGNED_BYTE, "normalized": true, "count": n, "type": "VEC4"});
        let (acc, at) = bin.reserve(n * 4, None, ARRAY_BUFFER, acc);
        attributes.insert("COLOR_0".into(), json!(acc));
        colors_at = Some(at);
    }
    let mut gltf = json!({
        "asset": {"version": "2.0", "generator": concat!("zwilling ", env!("CARGO_PKG_VERSION"))},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "translation": node_translation(p.centre)}],
    });
    let mut primitive = json!({"mode": 0});
    let mut props = serde_json::Map::new();
    let mut schema_props = serde_json::Map::new();
    let mut intensity_at = None;
    if p.intensity.len() == n && n > 0 {
        let (acc, at) = scalar_view(&mut bin, n, UNSIGNED_SHORT);
        intensity_at = Some(at);
        attributes.insert("_INTENSITY".into(), json!(acc));
        props.insert("intensity".into(), json!({"attribute": "_INTENSITY"}));
        schema_props.insert("intensity".into(), json!({"type": "SCALAR", "componentType": "UINT16"}));
    }
    let mut used = vec![];
    let mut classification_at = None;
    if p.classification.len() == n && n > 0 {
        let (acc, at) = scalar_view(&mut bin, n, UNSIGNED_BYTE);
        classification_at = Some(at);
        attributes.insert("_CLASSIFICATION".into(), json!(acc));
        attributes.insert("_FEATURE_ID_0".into(), json!(acc));
        props.insert("classification".into(), json!({"attribute": "_CLASSIFICATION"}));
        schema_props.insert("classification".into(), json!({"type": "SCALAR", "componentType": "UINT8"}));
        let mut distinct = [false; 256];
        p.classification.iter().for_each(|&c| distinct[c as usize] = true);
        let count = distinct.iter().filter(|&&d| d).count();
        primitive["extensions"] = json!({"EXT_mesh_features": {"featureIds": [{"featureCount": count, "attribute": 0, "label": "classification"}]}});
        used.push("EXT_mesh_features");
    }
    if !props.is_empty() {
        gltf["extensions"] = json!({"EXT_structural_metadata": {
            "schema": {"id": "zwilling_point", "classes": {"point": {"name": "LiDAR point", "properties": schema_props}}},
            "propertyAttributes": [{"class": "point", "properties": props}],
        }});
        let ext = primitive.get_mut("extensions").and_then(|e| e.as_object_mut());
        match ext {
            Some(e) => {
                e.insert("EXT_structural_metadata".into(), json!({"propertyAttributes": [0]}));
            }
            None => primitive["extensions"] = json!({"EXT_structural_metadata": {"propertyAttributes": [0]}}),
        }
        used.push("EXT_structural_metadata");
    }
    primitive["attributes"] = Value::Object(attributes);
    gltf["meshes"] = json!([{"primitives": [primitive]}]);
    if !used.is_empty() {
        used.sort_unstable();
        gltf["extensionsUsed"] = json!(used);
    }
    container_into(gltf, bin, out, |data| {
        for (q, b) in p.positions.iter().zip(data[positions_at..positions_at + n * 12].chunks_exact_mut(12)) {
            let q = yup(*q);
            for k in 0..3 {
                b[4 * k..4 * k + 4].copy_from_slice(&q[k].to_le_bytes());
            }
        }
        if let Some(at) = colors_at {
            data[at..at + n * 4].copy_from_slice(p.colors.as_flattened());
        }
        if let Some(at) = intensity_at {
            for (v, b) in p.intensity.iter().zip(data[at..at + n * 4].chunks_exact_mut(4)) {
                b[..2].copy_from_slice(&v.to_le_bytes());
            }
        }
        if let Some(at) = classification_at {
            for (&v, b) in p.classification.iter().zip(data[at..at + n * 4].chunks_exact_mut(4)) {
                b[0] = v;
            }
        }
    });
}

/// A scalar vertex attribute of `count` values padded to a 4-byte stride (glTF requires 4-byte
/// aligned elements), written later into the container; returns the accessor and the offset.
fn scalar_view(bin: &mut Bin, count: usize, component: u32) -> (usize, usize) {
    let acc = json!({"componentType": component, "count": count, "type": "SCALAR"});
    bin.reserve(count * 4, Some(4), ARRAY_BUFFER, acc)
}

/// Encodes a coloured triangle mesh as GLB bytes.
pub fn encode_mesh(m: &MeshContent) -> Vec<u8> {
    let mut bin = Bin::new();
    let pos = positions_accessor(&mut bin, &m.positions);
    let nbytes: Vec<u8> = m.normals.iter().flat_map(|n| yup(*n)).flat_map(f32::to_le_bytes).collect();
    let nor =
        bin.push(nbytes, None, ARRAY_BUFFER, json!({"componentType": FLOAT, "count": m.normals.len(), "type": "VEC3"}));
    let col = colors_accessor(&mut bin, &m.colors);
    let ibytes: Vec<u8> = m.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
    let idx = bin.push(
        ibytes,
        None,
        ELEMENT_ARRAY_BUFFER,
        json!({"componentType": UNSIGNED_INT, "count": m.indices.len(), "type": "SCALAR"}),
    );
    let gltf = json!({
        "asset": {"version": "2.0", "generator": concat!("zwilling ", env!("CARGO_PKG_VERSION"))},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "translation": node_translation(m.centre)}],
        "materials": [{"pbrMetallicRoughness": {"baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 1.0}, "doubleSided": true}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": pos, "NORMAL": nor, "COLOR_0": col}, "indices": idx, "material": 0, "mode": 4}]}],
    });
    container(gltf, bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(glb: &[u8]) -> (Value, Vec<u8>) {
        assert_eq!(&glb[0..4], b"glTF");
        assert_eq!(u32::from_le_bytes(glb[8..12].try_into().unwrap()) as usize, glb.len());
        let jl = u32::from_le_bytes(glb[12..16].try_into().unwrap()) as usize;
        assert_eq!(jl % 8, 0);
        let js: Value = serde_json::from_slice(&glb[20..20 + jl]).unwrap();
        let bl = u32::from_le_bytes(glb[20 + jl..24 + jl].try_into().unwrap()) as usize;
        assert_eq!(bl % 8, 0);
        (js, glb[28 + jl..28 + jl + bl].to_vec())
    }

    #[test]
    fn points_round_trip_through_the_container() {
        let p = PointContent {
            centre: [10.0, 20.0, 30.0],
            positions: vec![[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.0, 0.0, -2.0]],
            colors: vec![[255, 0, 0, 255]; 3],
            intensity: vec![100, 200, 65535],
            classification: vec![2, 6, 2],
        };
        let (js, bin) = parse(&encode_points(&p));
        assert_eq!(js["nodes"][0]["translation"], json!([10.0, 30.0, -20.0]));
        let prim = &js["meshes"][0]["primitives"][0];
        assert_eq!(prim["mode"], 0);
        assert_eq!(prim["extensions"]["EXT_mesh_features"]["featureIds"][0]["featureCount"], 2);
        // POSITION: first point (1,2,3) ENU → (1,3,-2) y-up.
        let view = &js["bufferViews"][js["accessors"][prim["attributes"]["POSITION"].as_u64().unwrap() as usize]
            ["bufferView"]
            .as_u64()
            .unwrap() as usize];
        let off = view["byteOffset"].as_u64().unwrap() as usize;
        let f = |k: usize| f32::from_le_bytes(bin[off + 4 * k..off + 4 * k + 4].try_into().unwrap());
        assert_eq!((f(0), f(1), f(2)), (1.0, 3.0, -2.0));
        // Intensity third value at stride 4.
        let acc = &js["accessors"][prim["attributes"]["_INTENSITY"].as_u64().unwrap() as usize];
        let v = &js["bufferViews"][acc["bufferView"].as_u64().unwrap() as usize];
        assert_eq!(v["byteStride"], 4);
        let o = v["byteOffset"].as_u64().unwrap() as usize + 8;
        assert_eq!(u16::from_le_bytes(bin[o..o + 2].try_into().unwrap()), 65535);
        assert_eq!(js["extensionsUsed"], json!(["EXT_mesh_features", "EXT_structural_metadata"]));
    }

    #[test]
    fn mesh_has_indices_and_normals() {
        let m = MeshContent {
            centre: [0.0; 3],
            positions: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            normals: vec![[0.0, 0.0, 1.0]; 3],
            colors: vec![[0, 255, 0, 255]; 3],
            indices: vec![0, 1, 2],
        };
        let (js, _) = parse(&encode_mesh(&m));
        let prim = &js["meshes"][0]["primitives"][0];
        assert_eq!(prim["mode"], 4);
        assert_eq!(js["accessors"][prim["indices"].as_u64().unwrap() as usize]["count"], 3);
    }
}
