//! The `tileset.json` document of 3D Tiles 1.1.
//!
//! Bounding volumes are oriented boxes in the root's local frame (`[cx, cy, cz, hx,0,0, 0,hy,0,
//! 0,0,hz]`), the root carries the local → ECEF `transform`; `geometricError` never grows from a
//! parent to its children (3D Tiles 1.1 specification, §Tiles, §Bounding volumes, §Geometric error).

use serde_json::{json, Value};

/// One tile of the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct TileNode {
    /// Axis-aligned box in the root frame: minimum corner.
    pub min: [f64; 3],
    /// Maximum corner.
    pub max: [f64; 3],
    /// Geometric error (m).
    pub geometric_error: f64,
    /// Content URI relative to the tileset, if the tile has content.
    pub content: Option<String>,
    /// Children.
    pub children: Vec<TileNode>,
}

impl TileNode {
    /// The `box` bounding volume (centre and half axes), with a 1 cm minimum half size so a flat
    /// or single-point tile still has a valid, non-degenerate box.
    pub fn bounding_box(&self) -> [f64; 12] {
        let c = |k: usize| 0.5 * (self.min[k] + self.max[k]);
        let h = |k: usize| (0.5 * (self.max[k] - self.min[k])).max(0.01);
        [c(0), c(1), c(2), h(0), 0.0, 0.0, 0.0, h(1), 0.0, 0.0, 0.0, h(2)]
    }

    fn to_json(&self) -> Value {
        let mut t = json!({"boundingVolume": {"box": self.bounding_box()}, "geometricError": self.geometric_error});
        if let Some(uri) = &self.content {
            t["content"] = json!({"uri": uri});
        }
        if !self.children.is_empty() {
            t["children"] = Value::Array(self.children.iter().map(TileNode::to_json).collect());
        }
        t
    }

    /// Grows this node's box to contain all children's boxes (so a child is never outside its parent).
    pub fn enclose_children(&mut self) {
        for c in &mut self.children {
            c.enclose_children();
            for k in 0..3 {
                self.min[k] = self.min[k].min(c.min[k]);
                self.max[k] = self.max[k].max(c.max[k]);
            }
        }
    }

    /// Number of tiles in this subtree.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(TileNode::count).sum::<usize>()
    }
}

/// A tileset: root tile plus its transform and refinement.
#[derive(Debug, Clone, PartialEq)]
pub struct Tileset {
    /// Root tile.
    pub root: TileNode,
    /// Column-major local → ECEF transform of the root.
    pub transform: [f64; 16],
    /// `ADD` for point clouds, `REPLACE` for terrain levels of detail.
    pub refine: &'static str,
    /// Free-form properties for `asset.extras` (e.g. the source CRS and height handling).
    pub extras: Value,
}

impl Tileset {
    /// The JSON document (pretty-printed, stable key order).
    pub fn to_json(&self) -> String {
        let mut root = self.root.to_json();
        root["transform"] = json!(self.transform);
        root["refine"] = json!(self.refine);
        let doc = json!({
            "asset": {"version": "1.1", "generator": concat!("zwilling ", env!("CARGO_PKG_VERSION")), "extras": self.extras},
            "geometricError": 2.0 * self.root.geometric_error,
            "root": root,
        });
        serde_json::to_string_pretty(&doc).expect("JSON of plain values")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_enclosed_and_errors_do_not_grow() {
        let child = TileNode {
            min: [0.0, 0.0, 0.0],
            max: [5.0, 5.0, 1.0],
            geometric_error: 1.0,
            content: Some("a.glb".into()),
            children: vec![],
        };
        let mut root = TileNode {
            min: [1.0, 1.0, 0.0],
            max: [4.0, 4.0, 0.5],
            geometric_error: 2.0,
            content: None,
            children: vec![child],
        };
        root.enclose_children();
        assert_eq!((root.min, root.max), ([0.0, 0.0, 0.0], [5.0, 5.0, 1.0]));
        let ts = Tileset {
            root,
            transform: [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            refine: "ADD",
            extras: json!({}),
        };
        let v: Value = serde_json::from_str(&ts.to_json()).unwrap();
        assert_eq!(v["asset"]["version"], "1.1");
        assert_eq!(v["root"]["refine"], "ADD");
        assert_eq!(v["geometricError"], 4.0);
        assert_eq!(v["root"]["children"][0]["content"]["uri"], "a.glb");
        assert_eq!(v["root"]["boundingVolume"]["box"][3], 2.5);
    }
}
