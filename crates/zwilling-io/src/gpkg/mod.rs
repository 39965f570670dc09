//! OGC GeoPackage 1.4 vector layers (pure Rust: rusqlite with bundled SQLite).
//!
//! - [`GpkgWriter`]: `create` → `add_layer`(s) → `finish` (atomic: a temporary file renamed into
//!   place); `update` + `replace_layer` re-writes one layer of an existing file, keeping the others;
//!   `add_layer_streamed` / `replace_layer_streamed` take the features one by one from a producer
//!   (same bytes, without the layer in memory).
//! - [`GpkgReader`], [`read_layer`], [`list_layers`]: feature layers back into [`zwilling_core::Layer`].
//! - [`categorized_style`], [`graduated_style`]: QGIS styles stored in `layer_styles`.
//!
//! ```
//! use zwilling_core::{CrsInfo, Feature, FieldType, Geometry, Layer, Value};
//! use zwilling_io::gpkg::*;
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("road.gpkg");
//! let mut l = Layer::new("sections", CrsInfo::from_epsg(25832), vec![("gw".into(), FieldType::Real)]);
//! l.features.push(Feature { geometry: Geometry::LineString(vec![[0.0, 0.0, f64::NAN], [10.0, 0.0, f64::NAN]]), values: vec![Value::Real(2.3)] });
//! let style = categorized_style("gw", &[("1", "good", "#2b83ba")], StyleGeometry::Line);
//! let mut w = GpkgWriter::create(&path).unwrap();
//! w.add_layer(&l, &LayerOptions { style: Some(style), ..LayerOptions::for_layer(&l) }).unwrap();
//! w.finish().unwrap();
//! assert_eq!(read_layer(&path, "sections").unwrap().features[0].values, vec![Value::Real(2.3)]);
//! ```

mod binary;
mod reader;
mod style;
mod writer;

pub use binary::{decode as decode_geometry, encode as encode_geometry, envelope};
pub use reader::{list_layers, read_layer, GpkgReader};
pub use style::{categorized_style, graduated_style, QgisStyle, StyleGeometry};
pub use writer::{register_spatial_functions, GeometryType, GpkgWriter, LayerOptions};
