//! GeoPackage 1.4 writer: feature tables, srs rows, contents with bounds, R-tree spatial index with
//! the 1.4 triggers, QGIS styles; built in a temporary file renamed on [`GpkgWriter::finish`].
//!
//! Source: OGC GeoPackage Encoding Standard 1.4.0 (OGC 12-128r19): `application_id` 0x47504B47
//! ("GPKG") and `user_version` 10400 (§1.1.1), the mandatory `gpkg_spatial_ref_sys` rows −1, 0 and
//! 4326 (Req. 11), `gpkg_contents`, `gpkg_geometry_columns`, and the RTree Spatial Index extension
//! (Annex F.3) whose triggers in 1.4 are `_insert`, `_update2`, `_update4`, `_update5`,
//! `_update6`, `_update7` and `_delete` (`_update1`/`_update3` of earlier versions were replaced).
//! The triggers call `ST_IsEmpty`, `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY`, registered here on
//! the connection from the blob header. Styles go to QGIS's `layer_styles` table.
//!
//! All features of a layer are inserted in one transaction through a prepared statement, from a
//! [`Layer`] in memory ([`GpkgWriter::add_layer`]) or one by one from a producer
//! ([`GpkgWriter::add_layer_streamed`]), which give the same bytes.
//! Timestamps are "now", or `SOURCE_DATE_EPOCH` when set, for reproducible files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::functions::FunctionFlags;
use rusqlite::{params, Connection};
use zwilling_core::{CrsInfo, Error, Feature, FieldType, Geometry, Layer, Result, Value};

use super::binary::{self, encode};
use super::style::QgisStyle;

/// Declared geometry type of a layer's geometry column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryType {
    /// Points.
    Point,
    /// Line strings.
    LineString,
    /// Polygons.
    Polygon,
    /// Multi-polygons (single polygons are written as one-part multi-polygons).
    MultiPolygon,
    /// Any geometry.
    Geometry,
}

impl GeometryType {
    /// The GeoPackage type name.
    pub fn name(self) -> &'static str {
        match self {
            GeometryType::Point => "POINT",
            GeometryType::LineString => "LINESTRING",
            GeometryType::Polygon => "POLYGON",
            GeometryType::MultiPolygon => "MULTIPOLYGON",
            GeometryType::Geometry => "GEOMETRY",
        }
    }

    fn of(g: &Geometry) -> GeometryType {
        match g {
            Geometry::Point(_) => GeometryType::Point,
            Geometry::LineString(_) => GeometryType::LineString,
            Geometry::Polygon(_) => GeometryType::Polygon,
            Geometry::MultiPolygon(_) => GeometryType::MultiPolygon,
        }
    }

    /// The type of all features (Polygon + MultiPolygon → MultiPolygon, other mixes → Geometry).
    pub fn infer(layer: &Layer) -> GeometryType {
        let kinds: BTreeSet<&'static str> =
            layer.features.iter().map(|f| GeometryType::of(&f.geometry).name()).collect();
        match kinds.len() {
            0 => GeometryType::Geometry,
            1 => GeometryType::of(&layer.features[0].geometry),
            2 if kinds.contains("POLYGON") && kinds.contains("MULTIPOLYGON") => GeometryType::MultiPolygon,
            _ => GeometryType::Geometry,
        }
    }
}

/// Options of [`GpkgWriter::add_layer`].
#[derive(Debug, Clone, PartialEq)]
pub struct LayerOptions {
    /// Declared geometry type; `None` infers it from the features.
    pub geometry_type: Option<GeometryType>,
    /// Write points and line strings with z (3D); polygons are always 2D.
    pub has_z: bool,
    /// Build the R-tree spatial index (default true).
    pub spatial_index: bool,
    /// A QGIS style stored as the layer's default style.
    pub style: Option<QgisStyle>,
}

impl Default for LayerOptions {
    fn default() -> Self {
        LayerOptions { geometry_type: None, has_z: false, spatial_index: true, style: None }
    }
}

impl LayerOptions {
    /// Options inferred from a layer: its geometry type and z when any point or line vertex has z.
    pub fn for_layer(layer: &Layer) -> Self {
        let has_z = layer.features.iter().any(|f| match &f.geometry {
            Geometry::Point(p) => !p[2].is_nan(),
            Geometry::LineString(l) => l.iter().any(|p| !p[2].is_nan()),
            _ => false,
        });
        LayerOptions { geometry_type: Some(GeometryType::infer(layer)), has_z, ..Default::default() }
    }
}

/// Builds a GeoPackage in a temporary file beside the target; [`GpkgWriter::finish`] renames it
/// into place. Dropping the writer without finishing removes the temporary file.
pub struct GpkgWriter {
    conn: Option<Connection>,
    tmp: Option<tempfile::TempPath>,
    path: PathBuf,
    timestamp: String,
}

const WKT_4326: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]";

const SCHEMA: &str = "
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
";

/// Registers `ST_IsEmpty`, `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` (on GeoPackage blobs) so the
/// R-tree triggers work on this connection.
pub fn register_spatial_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        Ok(ctx
            .get_raw(0)
            .as_blob_or_null()?
            .map(|b| binary::header(b).map(|h| h.0 || envelope_of(b).is_none()).unwrap_or(true)))
    })?;
    for (name, i) in [("ST_MinX", 0usize), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)] {
        conn.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(ctx.get_raw(0).as_blob_or_null()?.and_then(envelope_of).map(|e| e[i]))
        })?;
    }
    Ok(())
}

fn envelope_of(b: &[u8]) -> Option<[f64; 4]> {
    match binary::header(b).ok()? {
        (true, _, _) => None,
        (false, Some(e), _) => Some(e),
        (false, None, _) => binary::decode(b).ok().as_ref().and_then(binary::envelope),
    }
}

fn quote(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

fn now_timestamp(conn: &Connection) -> rusqlite::Result<String> {
    let epoch: Option<i64> = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse().ok());
    match epoch {
        Some(e) => conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, 'unixepoch')", [e], |r| r.get(0)),
        None => conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| r.get(0)),
    }
}

impl GpkgWriter {
    /// Starts a new GeoPackage that will replace `path` on [`GpkgWriter::finish`].
    pub fn create(path: &Path) -> Result<GpkgWriter> {
        let mut w = Self::open_temp(path, None)?;
        let io = |e: rusqlite::Error| Error::bad_file(path, format!("SQLite: {e}"));
        let conn = w.conn.as_mut().expect("connection open");
        conn.execute_batch("PRAGMA application_id = 1196444487; PRAGMA user_version = 10400;").map_err(io)?;
        conn.execute_batch(SCHEMA).map_err(io)?;
        let srs = "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        conn.execute(
            srs,
            params![
                "Undefined cartesian SRS",
                -1,
                "NONE",
                -1,
                "undefined",
                "undefined cartesian coordinate reference system"
            ],
        )
        .map_err(io)?;
        conn.execute(
            srs,
            params![
                "Undefined geographic SRS",
                0,
                "NONE",
                0,
                "undefined",
                "undefined geographic coordinate reference system"
            ],
        )
        .map_err(io)?;
        conn.execute(
            srs,
            params![
                "WGS 84 geodetic",
                4326,
                "EPSG",
                4326,
                WKT_4326,
                "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
            ],
        )
        .map_err(io)?;
        Ok(w)
    }

    /// Opens a copy of an existing GeoPackage for changes ([`GpkgWriter::replace_layer`], more
    /// layers); [`GpkgWriter::finish`] replaces the original atomically.
    pub fn update(path: &Path) -> Result<GpkgWriter> {
        Self::open_temp(path, Some(path))
    }

    fn open_temp(path: &Path, copy_from: Option<&Path>) -> Result<GpkgWriter> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".gpkg-")
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(|e| Error::io(path, e))?;
        let tmp = tmp.into_temp_path();
        if let Some(src) = copy_from {
            std::fs::copy(src, &tmp).map_err(|e| Error::io(src, e))?;
        }
        let io = |e: rusqlite::Error| Error::bad_file(path, format!("SQLite: {e}"));
        let conn = Connection::open(&tmp).map_err(io)?;
        conn.execute_batch("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON;")
            .map_err(io)?;
        register_spatial_functions(&conn).map_err(io)?;
        let timestamp = now_timestamp(&conn).map_err(io)?;
        Ok(GpkgWriter { conn: Some(conn), tmp: Some(tmp), path: path.to_path_buf(), timestamp })
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::bad_file(&self.path, e.to_string())
    }
}

/// The srs_id for a CRS, adding its `gpkg_spatial_ref_sys` row when missing.
fn srs_id(conn: &Connection, crs: &CrsInfo, path: &Path) -> Result<i32> {
    {
        let err = |e: rusqlite::Error| Error::bad_file(path, format!("SQLite: {e}"));
        let wkt = |code: u32| zwilling_crs::wkt_for(code).or_else(|| crs.wkt.clone());
        let (id, org, org_id, name, def) = match crs.epsg {
            Some(code) => {
                let name = zwilling_crs::crs_name(code).unwrap_or_else(|| format!("EPSG:{code}"));
                (code as i64, "EPSG", code as i64, name, wkt(code).unwrap_or_else(|| "undefined".into()))
            }
            None => match &crs.wkt {
                Some(w) => {
                    let id: i64 = conn
                        .query_row(
                            "SELECT max(100000, coalesce(max(srs_id), 0) + 1) FROM gpkg_spatial_ref_sys",
                            [],
                            |r| r.get(0),
                        )
                        .map_err(err)?;
                    let existing: Option<i64> = conn
                        .query_row("SELECT srs_id FROM gpkg_spatial_ref_sys WHERE definition = ?1", [w], |r| r.get(0))
                        .ok();
                    if let Some(e) = existing {
                        return Ok(e as i32);
                    }
                    (id, "NONE", id, "custom".to_string(), w.clone())
                }
                None => return Ok(-1),
            },
        };
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
            params![name, id, org, org_id, def],
        )
        .map_err(err)?;
        Ok(id as i32)
    }
}

impl GpkgWriter {
    /// Adds a feature layer (table named like the layer, `fid` primary key, `geom` column).
    ///
    /// The same as [`GpkgWriter::add_layer_streamed`] with the layer's features in order (and the
    /// geometry type inferred when `opts` leaves it open): both give the same bytes.
    pub fn add_layer(&mut self, layer: &Layer, opts: &LayerOptions) -> Result<()> {
        let opts = LayerOptions {
            geometry_type: Some(opts.geometry_type.unwrap_or_else(|| GeometryType::infer(layer))),
            ..opts.clone()
        };
        self.add_layer_streamed(layer, &opts, |add| layer.features.iter().try_for_each(add))
    }

    /// Adds a feature layer whose features are produced one by one, so that they never need to be
    /// in memory together: `schema` gives the name, fields and CRS (its features are ignored),
    /// `opts.geometry_type` must be set, and `fill` passes every feature, in order, to the function
    /// it is given. The rows go into one transaction; an error from `fill` or a feature that does
    /// not fit the schema (values count, geometry type) rolls the layer back.
    ///
    /// ```
    /// use zwilling_core::{CrsInfo, Feature, FieldType, Geometry, Layer, Value};
    /// use zwilling_io::gpkg::*;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("points.gpkg");
    /// let schema = Layer::new("points", CrsInfo::from_epsg(25832), vec![("k".into(), FieldType::Int)]);
    /// let opts = LayerOptions { geometry_type: Some(GeometryType::Point), ..Default::default() };
    /// let mut w = GpkgWriter::create(&path).unwrap();
    /// w.add_layer_streamed(&schema, &opts, |add| {
    ///     for k in 0..3 {
    ///         let p = Geometry::Point([k as f64, 0.0, f64::NAN]);
    ///         add(&Feature { geometry: p, values: vec![Value::Int(k)] })?;
    ///     }
    ///     Ok(())
    /// })
    /// .unwrap();
    /// w.finish().unwrap();
    /// assert_eq!(read_layer(&path, "points").unwrap().features[2].values, vec![Value::Int(2)]);
    /// ```
    pub fn add_layer_streamed(
        &mut self,
        schema: &Layer,
        opts: &LayerOptions,
        fill: impl FnOnce(&mut dyn FnMut(&Feature) -> Result<()>) -> Result<()>,
    ) -> Result<()> {
        let layer = schema;
        let bad = |m: String| Error::invalid(format!("{}: layer {:?}: {m}", self.path.display(), layer.name));
        if layer.name.is_empty()
            || layer.name.starts_with("gpkg_")
            || layer.name.starts_with("rtree_")
            || layer.name.chars().any(char::is_control)
        {
            return Err(bad("invalid table name".into()));
        }
        let mut seen = BTreeSet::new();
        for (f, _) in &layer.fields {
            let l = f.to_lowercase();
            if l == "fid" || l == "geom" || !seen.insert(l) {
                return Err(bad(format!("field name {f:?} is reserved or repeated")));
            }
        }
        let Some(gtype) = opts.geometry_type else {
            return Err(bad("a streamed layer needs its geometry type".into()));
        };
        let z = opts.has_z && matches!(gtype, GeometryType::Point | GeometryType::LineString | GeometryType::Geometry);
        let conn = self.conn.as_mut().expect("connection open");
        let tx = conn.transaction().map_err(|e| Error::bad_file(&self.path, e.to_string()))?;
        let path = self.path.clone();
        let err = |e: rusqlite::Error| Error::bad_file(&path, format!("layer {:?}: SQLite: {e}", layer.name));
        let exists: bool = tx
            .query_row("SELECT count(*) FROM sqlite_master WHERE lower(name) = lower(?1)", [&layer.name], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(err)?
            > 0;
        if exists {
            return Err(bad("a table of that name exists already".into()));
        }
        let srs = srs_id(&tx, &layer.crs, &path)?;
        let t = quote(&layer.name);
        let mut cols = format!("fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {}", gtype.name());
        for (name, ft) in &layer.fields {
            let ty = match ft {
                FieldType::Int => "INTEGER",
                FieldType::Real => "REAL",
                FieldType::Text => "TEXT",
            };
            cols.push_str(&format!(", {} {ty}", quote(name)));
        }
        tx.execute_batch(&format!("CREATE TABLE {t} ({cols});")).map_err(err)?;
        let mut bounds = [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY];
        {
            let placeholders: Vec<String> = (1..=layer.fields.len() + 1).map(|i| format!("?{i}")).collect();
            let names: Vec<String> =
                std::iter::once("geom".to_string()).chain(layer.fields.iter().map(|(n, _)| quote(n))).collect();
            let sql = format!("INSERT INTO {t} ({}) VALUES ({})", names.join(", "), placeholders.join(", "));
            let mut stmt = tx.prepare(&sql).map_err(err)?;
            let mut i = 0usize;
            let mut add = |f: &Feature| -> Result<()> {
                if f.values.len() != layer.fields.len() {
                    return Err(bad(format!(
                        "feature {i} has {} values for {} fields",
                        f.values.len(),
                        layer.fields.len()
                    )));
                }
                i += 1;
                let g = match (&f.geometry, gtype) {
                    (Geometry::Polygon(p), GeometryType::MultiPolygon) => Geometry::MultiPolygon(vec![p.clone()]),
                    (g, GeometryType::Geometry) => g.clone(),
                    (g, want) if GeometryType::of(g) == want => g.clone(),
                    (g, want) => {
                        return Err(bad(format!("a {} in a {} layer", GeometryType::of(g).name(), want.name())))
                    }
                };
                if let Some(e) = binary::envelope(&g) {
                    bounds = [bounds[0].min(e[0]), bounds[1].max(e[1]), bounds[2].min(e[2]), bounds[3].max(e[3])];
                }
                let blob = encode(&g, srs, z);
                let mut vals: Vec<rusqlite::types::Value> = vec![rusqlite::types::Value::Blob(blob)];
                for v in &f.values {
                    vals.push(match v {
                        Value::Null => rusqlite::types::Value::Null,
                        Value::Int(i) => rusqlite::types::Value::Integer(*i),
                        Value::Real(r) if r.is_nan() => rusqlite::types::Value::Null,
                        Value::Real(r) => rusqlite::types::Value::Real(*r),
                        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
                    });
                }
                stmt.execute(rusqlite::params_from_iter(vals)).map_err(err)?;
                Ok(())
            };
            fill(&mut add)?;
        }
        let b = bounds[0].is_finite().then_some(bounds);
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, '', ?2, ?3, ?4, ?5, ?6, ?7)",
            params![layer.name, self.timestamp, b.map(|b| b[0]), b.map(|b| b[2]), b.map(|b| b[1]), b.map(|b| b[3]), srs],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, ?4, 0)",
            params![layer.name, gtype.name(), srs, z as i32],
        )
        .map_err(err)?;
        if opts.spatial_index {
            tx.execute_batch(&rtree_sql(&layer.name)).map_err(err)?;
            tx.execute(
                "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
                [&layer.name],
            )
            .map_err(err)?;
        }
        if let Some(style) = &opts.style {
            super::style::insert_style(&tx, &layer.name, style, &self.timestamp).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Drops a layer (its table, index, metadata rows and styles) and adds `layer` in its place.
    pub fn replace_layer(&mut self, layer: &Layer, opts: &LayerOptions) -> Result<()> {
        self.drop_layer(&layer.name)?;
        self.add_layer(layer, opts)
    }

    /// [`GpkgWriter::replace_layer`] with the features streamed as in
    /// [`GpkgWriter::add_layer_streamed`].
    pub fn replace_layer_streamed(
        &mut self,
        schema: &Layer,
        opts: &LayerOptions,
        fill: impl FnOnce(&mut dyn FnMut(&Feature) -> Result<()>) -> Result<()>,
    ) -> Result<()> {
        self.drop_layer(&schema.name)?;
        self.add_layer_streamed(schema, opts, fill)
    }

    /// Drops the layer `n` (its table, index, metadata rows and styles), if there is one.
    fn drop_layer(&mut self, n: &str) -> Result<()> {
        let path = self.path.clone();
        let conn = self.conn.as_mut().expect("connection open");
        let err = |e: rusqlite::Error| Error::bad_file(&path, format!("layer {n:?}: SQLite: {e}"));
        let t = quote(n);
        let r = quote(&format!("rtree_{n}_geom"));
        let tx = conn.transaction().map_err(err)?;
        let triggers: Vec<String> = {
            let mut s =
                tx.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1").map_err(err)?;
            let v = s.query_map([n], |row| row.get(0)).map_err(err)?.collect::<rusqlite::Result<_>>().map_err(err)?;
            v
        };
        for trg in triggers {
            tx.execute_batch(&format!("DROP TRIGGER {};", quote(&trg))).map_err(err)?;
        }
        tx.execute_batch(&format!("DROP TABLE IF EXISTS {r}; DROP TABLE IF EXISTS {t};")).map_err(err)?;
        tx.execute("DELETE FROM gpkg_extensions WHERE table_name = ?1", [n]).map_err(err)?;
        tx.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?1", [n]).map_err(err)?;
        tx.execute("DELETE FROM gpkg_contents WHERE table_name = ?1", [n]).map_err(err)?;
        let has_styles: bool = tx
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'layer_styles'", [], |r| r.get::<_, i64>(0))
            .map_err(err)?
            > 0;
        if has_styles {
            tx.execute("DELETE FROM layer_styles WHERE f_table_name = ?1", [n]).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Closes the database and renames the temporary file onto the target path.
    pub fn finish(mut self) -> Result<()> {
        let conn = self.conn.take().expect("connection open");
        conn.execute_batch("PRAGMA foreign_key_check;").map_err(|e| self.err(e))?;
        conn.close().map_err(|(_, e)| self.err(e))?;
        let tmp = self.tmp.take().expect("temporary file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644));
        }
        tmp.persist(&self.path).map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

/// The R-tree table, its initial fill and the GeoPackage 1.4 triggers for table `t`, column `geom`.
fn rtree_sql(t: &str) -> String {
    let tq = quote(t);
    let r = quote(&format!("rtree_{t}_geom"));
    let tn = |s: &str| quote(&format!("rtree_{t}_geom_{s}"));
    let vals = "NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)";
    format!(
        "CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO {r} SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM {tq} WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER {ins} AFTER INSERT ON {tq} WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO {r} VALUES ({vals}); END;
CREATE TRIGGER {u2} AFTER UPDATE OF geom ON {tq} WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {r} WHERE id = OLD.fid; END;
CREATE TRIGGER {u4} AFTER UPDATE ON {tq} WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {r} WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER {u5} AFTER UPDATE ON {tq} WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM {r} WHERE id = OLD.fid; INSERT OR REPLACE INTO {r} VALUES ({vals}); END;
CREATE TRIGGER {u6} AFTER UPDATE OF geom ON {tq} WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) AND (OLD.geom NOTNULL AND NOT ST_IsEmpty(OLD.geom))
BEGIN UPDATE {r} SET minx = ST_MinX(NEW.geom), maxx = ST_MaxX(NEW.geom), miny = ST_MinY(NEW.geom), maxy = ST_MaxY(NEW.geom) WHERE id = NEW.fid; END;
CREATE TRIGGER {u7} AFTER UPDATE OF geom ON {tq} WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) AND (OLD.geom ISNULL OR ST_IsEmpty(OLD.geom))
BEGIN INSERT INTO {r} VALUES ({vals}); END;
CREATE TRIGGER {del} AFTER DELETE ON {tq} WHEN old.geom NOT NULL
BEGIN DELETE FROM {r} WHERE id = OLD.fid; END;",
        ins = tn("insert"),
        u2 = tn("update2"),
        u4 = tn("update4"),
        u5 = tn("update5"),
        u6 = tn("update6"),
        u7 = tn("update7"),
        del = tn("delete"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::Polygon;

    /// Polygons (written as multi-polygons) with Int, Real (NaN → NULL), Text and Null values.
    fn parcels() -> Layer {
        let mut l = Layer::new(
            "parcels",
            CrsInfo::from_epsg(25832),
            vec![("n".into(), FieldType::Int), ("area".into(), FieldType::Real), ("use".into(), FieldType::Text)],
        );
        for k in 0..10 {
            let (x, y) = (350_000.0 + 7.5 * k as f64, 5_700_000.0 - 3.25 * k as f64);
            let ring = vec![[x, y], [x + 5.0, y], [x + 5.0, y + 4.0], [x, y + 4.0]];
            l.features.push(Feature {
                geometry: Geometry::Polygon(Polygon { exterior: ring, holes: vec![] }),
                values: vec![
                    Value::Int(k),
                    if k % 4 == 1 { Value::Real(f64::NAN) } else { Value::Real(20.0 + k as f64) },
                    if k % 3 == 0 { Value::Null } else { Value::Text(format!("use {k}")) },
                ],
            });
        }
        l
    }

    /// A writer for `path` with a fixed timestamp (the files are compared byte for byte).
    fn writer(path: &Path) -> GpkgWriter {
        let mut w = GpkgWriter::create(path).unwrap();
        w.timestamp = "2026-01-01T00:00:00.000Z".into();
        w
    }

    #[test]
    fn a_layer_streamed_in_batches_is_the_layer_added_whole_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let l = parcels();
        let opts = LayerOptions { geometry_type: Some(GeometryType::MultiPolygon), ..Default::default() };
        let whole = dir.path().join("whole.gpkg");
        let mut w = writer(&whole);
        w.add_layer(&l, &opts).unwrap();
        w.finish().unwrap();
        let streamed = dir.path().join("streamed.gpkg");
        let mut w = writer(&streamed);
        let schema = Layer { features: vec![], ..l.clone() };
        w.add_layer_streamed(&schema, &opts, |add| {
            // Batches of 3 features, each built and dropped before the next.
            for start in (0..l.features.len()).step_by(3) {
                let batch: Vec<Feature> = l.features[start..(start + 3).min(l.features.len())].to_vec();
                batch.iter().try_for_each(&mut *add)?;
            }
            Ok(())
        })
        .unwrap();
        w.finish().unwrap();
        let (a, b) = (std::fs::read(&whole).unwrap(), std::fs::read(&streamed).unwrap());
        assert!(a.len() > 4096, "a real file: {} bytes", a.len());
        assert!(a == b, "the streamed layer must give the same bytes");
        let back = crate::gpkg::read_layer(&streamed, "parcels").unwrap();
        assert_eq!(back.features.len(), 10);
        assert_eq!(back.features[3].values[0], Value::Int(3));
    }

    #[test]
    fn a_streamed_feature_that_does_not_fit_rolls_the_layer_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gpkg");
        let l = parcels();
        let schema = Layer { features: vec![], ..l.clone() };
        let opts = LayerOptions { geometry_type: Some(GeometryType::MultiPolygon), ..Default::default() };
        let mut w = writer(&path);
        let e = w
            .add_layer_streamed(&schema, &opts, |add| {
                add(&l.features[0])?;
                add(&Feature { values: vec![Value::Int(1)], ..l.features[1].clone() })
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.gpkg") && e.contains("feature 1 has 1 values for 3 fields"), "{e}");
        let point = Feature { geometry: Geometry::Point([0.0, 0.0, f64::NAN]), ..l.features[0].clone() };
        let e = w.add_layer_streamed(&schema, &opts, |add| add(&point)).unwrap_err().to_string();
        assert!(e.contains("a POINT in a MULTIPOLYGON layer"), "{e}");
        let no_type = LayerOptions::default();
        assert!(w.add_layer_streamed(&schema, &no_type, |_| Ok(())).is_err());
        // Nothing of the failed attempts is left: the layer can be added afresh.
        w.add_layer(&l, &opts).unwrap();
        w.finish().unwrap();
        assert_eq!(crate::gpkg::list_layers(&path).unwrap(), vec!["parcels".to_string()]);
    }
}
