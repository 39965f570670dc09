//! GeoPackage feature-layer reader: layer list, schema, CRS and features into a [`Layer`].
//!
//! Reads `gpkg_contents` (data_type `features`), `gpkg_geometry_columns` for the geometry column and
//! srs_id, `gpkg_spatial_ref_sys` for the CRS (organization EPSG → code, definition → WKT), and the
//! table's columns by declared type (INTEGER-like → Int, REAL/DOUBLE/FLOAT → Real, TEXT/DATE* →
//! Text, others skipped). Features without geometry are skipped with a warning (a [`Feature`]
//! always has one). Geometries are decoded by [`super::binary::decode`].

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use zwilling_core::{CrsInfo, Error, Feature, FieldType, Layer, Result, Value};

use super::binary;

/// An open GeoPackage (read-only).
pub struct GpkgReader {
    conn: Connection,
    path: PathBuf,
}

impl GpkgReader {
    /// Opens `path` read-only and checks it has GeoPackage tables.
    pub fn open(path: &Path) -> Result<GpkgReader> {
        if !path.exists() {
            return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| Error::bad_file(path, format!("cannot open as SQLite: {e}")))?;
        let r = GpkgReader { conn, path: path.to_path_buf() };
        let n: i64 = r
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('gpkg_contents', 'gpkg_geometry_columns')",
                [],
                |x| x.get(0),
            )
            .map_err(|e| r.err(format!("not a GeoPackage: {e}")))?;
        if n != 2 {
            return Err(r.err("not a GeoPackage: gpkg_contents or gpkg_geometry_columns missing"));
        }
        Ok(r)
    }

    fn err(&self, m: impl std::fmt::Display) -> Error {
        Error::bad_file(&self.path, m.to_string())
    }

    /// Names of the feature layers, in `gpkg_contents` order.
    pub fn list_layers(&self) -> Result<Vec<String>> {
        let mut s = self
            .conn
            .prepare("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let v = s.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?.collect::<rusqlite::Result<Vec<String>>>();
        v.map_err(|e| self.err(e))
    }

    /// Reads a whole feature layer.
    pub fn read_layer(&self, name: &str) -> Result<Layer> {
        let (geom_col, srs): (String, i64) = self
            .conn
            .query_row("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|_| {
                let have = self.list_layers().unwrap_or_default().join(", ");
                self.err(format!("no feature layer {name:?} (layers: {have})"))
            })?;
        let crs = self
            .conn
            .query_row(
                "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                [srs],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
            )
            .map(|(org, id, def)| CrsInfo {
                epsg: (org.eq_ignore_ascii_case("EPSG") && id > 0).then_some(id as u32),
                vertical_epsg: None,
                wkt: (def != "undefined" && !def.is_empty()).then_some(def),
            })
            .unwrap_or_default();
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut cols: Vec<(String, FieldType)> = Vec::new();
        let mut pk = None;
        {
            let mut s = self.conn.prepare(&format!("PRAGMA table_info({})", q(name))).map_err(|e| self.err(e))?;
            let rows = s
                .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(5)?)))
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (col, ty, is_pk) = row.map_err(|e| self.err(e))?;
                if is_pk > 0 {
                    pk = Some(col);
                    continue;
                }
                if col.eq_ignore_ascii_case(&geom_col) {
                    continue;
                }
                let t = ty.to_uppercase();
                let ft = if t.contains("INT") || t == "BOOLEAN" {
                    FieldType::Int
                } else if t.contains("REAL") || t.contains("DOUBLE") || t.contains("FLOAT") {
                    FieldType::Real
                } else if t.starts_with("TEXT") || t.starts_with("DATE") {
                    FieldType::Text
                } else {
                    continue;
                };
                cols.push((col, ft));
            }
        }
        let mut layer = Layer::new(name, crs, cols.clone());
        let select: Vec<String> = std::iter::once(q(&geom_col)).chain(cols.iter().map(|(c, _)| q(c))).collect();
        let order = pk.map(|p| format!(" ORDER BY {}", q(&p))).unwrap_or_default();
        let mut s = self
            .conn
            .prepare(&format!("SELECT {} FROM {}{order}", select.join(", "), q(name)))
            .map_err(|e| self.err(e))?;
        let mut rows = s.query([]).map_err(|e| self.err(e))?;
        let mut skipped = 0usize;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let geometry = match row.get_ref(0).map_err(|e| self.err(e))? {
                ValueRef::Blob(b) => match binary::header(b) {
                    Ok((true, _, _)) => {
                        skipped += 1;
                        continue;
                    }
                    _ => binary::decode(b).map_err(|m| self.err(format!("layer {name}: {m}")))?,
                },
                _ => {
                    skipped += 1;
                    continue;
                }
            };
            let mut values = Vec::with_capacity(cols.len());
            for (i, (_, ft)) in cols.iter().enumerate() {
                let v = row.get_ref(i + 1).map_err(|e| self.err(e))?;
                values.push(match (v, ft) {
                    (ValueRef::Null, _) => Value::Null,
                    (ValueRef::Integer(x), FieldType::Real) => Value::Real(x as f64),
                    (ValueRef::Integer(x), _) => Value::Int(x),
                    (ValueRef::Real(x), FieldType::Int) if x.fract() == 0.0 => Value::Int(x as i64),
                    (ValueRef::Real(x), _) => Value::Real(x),
                    (ValueRef::Text(t), _) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    (ValueRef::Blob(_), _) => Value::Null,
                });
            }
            layer.features.push(Feature { geometry, values });
        }
        if skipped > 0 {
            tracing::warn!("{}: layer {name}: skipped {skipped} features without geometry", self.path.display());
        }
        Ok(layer)
    }
}

/// Names of the feature layers of a GeoPackage.
pub fn list_layers(path: &Path) -> Result<Vec<String>> {
    GpkgReader::open(path)?.list_layers()
}

/// Reads feature layer `name` of a GeoPackage.
pub fn read_layer(path: &Path, name: &str) -> Result<Layer> {
    GpkgReader::open(path)?.read_layer(name)
}
