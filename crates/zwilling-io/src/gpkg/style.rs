//! QGIS layer styles stored in a GeoPackage (`layer_styles` table, the convention QGIS and GDAL
//! use: QGIS loads the row with `useAsDefault = 1` when the layer is opened).
//!
//! [`categorized_style`] builds a QML `categorizedSymbol` renderer (one colour per value, e.g.
//! ZEB classes blue / green / yellow / red) and [`graduated_style`] a `graduatedSymbol` renderer
//! (one colour per value range `lower < v ≤ upper`, QGIS's rule).
//!
//! ```
//! use zwilling_io::gpkg::{categorized_style, StyleGeometry};
//! let s = categorized_style("class", &[("1", "≤ 1.5", "#2b83ba"), ("4", "> 4.5", "#d7191c")], StyleGeometry::Line);
//! assert!(s.qml.contains("categorizedSymbol") && s.qml.contains("43,131,186,255"));
//! ```

use rusqlite::{params, Transaction};

/// A QGIS style (QML document) for a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct QgisStyle {
    /// Style name shown in QGIS.
    pub name: String,
    /// The QML document.
    pub qml: String,
    /// An SLD document (may be empty).
    pub sld: String,
    /// Description.
    pub description: String,
}

/// The symbol kind a style draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StyleGeometry {
    /// Circle markers.
    Point,
    /// Lines.
    Line,
    /// Filled polygons.
    Polygon,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `#rrggbb` → `r,g,b,255` (QGIS colour string); invalid colours become grey.
fn rgba(hex: &str) -> String {
    let h = hex.trim_start_matches('#');
    let c = |i: usize| h.get(i..i + 2).and_then(|s| u8::from_str_radix(s, 16).ok());
    match (h.len(), c(0), c(2), c(4)) {
        (6, Some(r), Some(g), Some(b)) => format!("{r},{g},{b},255"),
        _ => "128,128,128,255".into(),
    }
}

fn symbol(i: usize, geom: StyleGeometry, color: &str) -> String {
    let opt = |k: &str, v: &str| format!("<Option name=\"{k}\" type=\"QString\" value=\"{v}\"/>");
    let c = rgba(color);
    let (ty, class, opts) = match geom {
        StyleGeometry::Point => (
            "marker",
            "SimpleMarker",
            [opt("color", &c), opt("name", "circle"), opt("size", "2.6"), opt("outline_color", "35,35,35,255")]
                .concat(),
        ),
        StyleGeometry::Line => (
            "line",
            "SimpleLine",
            [opt("line_color", &c), opt("line_width", "1.2"), opt("line_style", "solid"), opt("capstyle", "round")]
                .concat(),
        ),
        StyleGeometry::Polygon => (
            "fill",
            "SimpleFill",
            [
                opt("color", &c),
                opt("style", "solid"),
                opt("outline_color", "35,35,35,255"),
                opt("outline_width", "0.26"),
            ]
            .concat(),
        ),
    };
    format!(
        "<symbol type=\"{ty}\" name=\"{i}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\"><layer class=\"{class}\" enabled=\"1\" pass=\"0\" locked=\"0\"><Option type=\"Map\">{opts}</Option></layer></symbol>"
    )
}

fn qml(renderer: String) -> String {
    format!("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.28.0\" styleCategories=\"Symbology\">\n{renderer}\n</qgis>\n")
}

/// A categorized renderer on `field`: `(value, label, "#rrggbb")` per category.
pub fn categorized_style(field: &str, categories: &[(&str, &str, &str)], geom: StyleGeometry) -> QgisStyle {
    let cats: String = categories
        .iter()
        .enumerate()
        .map(|(i, (v, l, _))| {
            format!("<category value=\"{}\" label=\"{}\" symbol=\"{i}\" render=\"true\"/>", esc(v), esc(l))
        })
        .collect();
    let syms: String = categories.iter().enumerate().map(|(i, (_, _, c))| symbol(i, geom, c)).collect();
    let r = format!(
        "<renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\"><categories>{cats}</categories><symbols>{syms}</symbols></renderer-v2>",
        esc(field)
    );
    QgisStyle {
        name: format!("{field} classes"),
        qml: qml(r),
        sld: String::new(),
        description: format!("categorized by {field}"),
    }
}

/// A graduated renderer on `field`: `(lower, upper, label, "#rrggbb")` per range.
pub fn graduated_style(field: &str, ranges: &[(f64, f64, &str, &str)], geom: StyleGeometry) -> QgisStyle {
    let rs: String = ranges
        .iter()
        .enumerate()
        .map(|(i, (lo, hi, l, _))| {
            format!("<range lower=\"{lo}\" upper=\"{hi}\" label=\"{}\" symbol=\"{i}\" render=\"true\"/>", esc(l))
        })
        .collect();
    let syms: String = ranges.iter().enumerate().map(|(i, (_, _, _, c))| symbol(i, geom, c)).collect();
    let r = format!(
        "<renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\"><ranges>{rs}</ranges><symbols>{syms}</symbols></renderer-v2>",
        esc(field)
    );
    QgisStyle {
        name: format!("{field} ranges"),
        qml: qml(r),
        sld: String::new(),
        description: format!("graduated by {field}"),
    }
}

/// Creates `layer_styles` when missing (registered as an attributes table) and inserts `style` as
/// the default style of `table` (its geometry column `geom`).
pub(crate) fn insert_style(
    tx: &Transaction<'_>,
    table: &str,
    style: &QgisStyle,
    timestamp: &str,
) -> rusqlite::Result<()> {
    let exists: i64 =
        tx.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'layer_styles'", [], |r| r.get(0))?;
    if exists == 0 {
        tx.execute_batch(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, f_table_catalog TEXT(256),
              f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30),
              styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
              update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));",
        )?;
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?1)",
            [timestamp],
        )?;
    }
    tx.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) VALUES ('', '', ?1, 'geom', ?2, ?3, ?4, 1, ?5, '', NULL, ?6)",
        params![table, style.name, style.qml, style.sld, style.description, timestamp],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_ranges() {
        assert_eq!(rgba("#ffff00"), "255,255,0,255");
        assert_eq!(rgba("bad"), "128,128,128,255");
        let s = graduated_style(
            "gw",
            &[(1.0, 1.5, "gut", "#0000ff"), (4.5, 5.0, "schlecht", "#ff0000")],
            StyleGeometry::Polygon,
        );
        assert!(s.qml.contains("<range lower=\"1\" upper=\"1.5\" label=\"gut\" symbol=\"0\""));
        assert!(s.qml.contains("class=\"SimpleFill\"") && s.qml.contains("255,0,0,255"));
        let c = categorized_style("a&b", &[("x", "<1", "#010203")], StyleGeometry::Point);
        assert!(c.qml.contains("attr=\"a&amp;b\"") && c.qml.contains("label=\"&lt;1\"") && c.qml.contains("1,2,3,255"));
    }
}
