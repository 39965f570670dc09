//! `zwilling view DIR`: serves a run's 3D layers and a CesiumJS page on localhost.
//!
//! CesiumJS comes from the npm registry through `scripts/fetch-cesium.sh` (run once); nothing is
//! fetched at run time. Layers found in `DIR` (each optional, at least one needed):
//! - point cloud: `DIR/tileset.json` or `DIR/tiles/tileset.json` (`zwilling tiles IN -o DIR/tiles`),
//! - terrain by hazard: `DIR/terrain/tileset.json` (`zwilling tiles --dtm … --color … -o DIR/terrain`),
//! - road sections: `DIR/sections.geojson` (EPSG:4326, `stroke` colour per feature), else the
//!   `sections` layer of `DIR/road.gpkg` converted on start (WGS 84, coloured by ZEB class).
//!
//! The page reports its state to `GET /__status?ok` or `/__status?error=…`; `GET /__status` answers
//! the last report (`pending` before), so tests can wait for it. The page also loads `/__gate`,
//! which the server holds until that report, so the window's `load` event — and with it headless
//! Chromium's `--screenshot` and `--dump-dom` — comes only after the layers are on screen.

use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use zwilling_core::{Error, Geometry, Result, Value};

const PAGE: &str = include_str!("../view.html");

/// A transparent 1 × 1 GIF (the page's load gate).
const GIF_1X1: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

#[derive(Args, Debug)]
pub struct ViewArgs {
    /// Run folder holding tiles/tileset.json, terrain/tileset.json, sections.geojson or road.gpkg
    /// (or a tileset folder holding tileset.json).
    pub dir: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8088)]
    pub port: u16,
    /// Folder holding Cesium.js (default: $ZW_CESIUM, then ~/.cache/zwilling/cesium/...).
    #[arg(long, value_name = "DIR")]
    pub cesium: Option<PathBuf>,
}

/// Where CesiumJS's `Build/Cesium` folder is.
pub fn find_cesium(given: Option<&Path>) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = given.map(Path::to_path_buf).into_iter().collect();
    if let Some(p) = std::env::var_os("ZW_CESIUM") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(h) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(h).join(".cache/zwilling/cesium/node_modules/cesium/Build/Cesium"));
    }
    candidates.into_iter().find(|c| c.join("Cesium.js").exists()).ok_or_else(|| {
        Error::invalid(
            "CesiumJS not found: run scripts/fetch-cesium.sh once (npm), or pass --cesium DIR / set ZW_CESIUM",
        )
    })
}

/// The layers of a run folder, as URLs below the server root.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Layers {
    /// Point-cloud tileset.
    pub points: Option<String>,
    /// Terrain tileset.
    pub terrain: Option<String>,
    /// Road sections GeoJSON.
    pub sections: Option<String>,
}

/// Finds the layers in `dir`; sections from `road.gpkg` are converted to GeoJSON (returned).
pub fn find_layers(dir: &Path) -> Result<(Layers, Option<Vec<u8>>)> {
    let first = |c: &[&str]| c.iter().find(|p| dir.join(p).is_file()).map(|p| p.to_string());
    let mut l = Layers {
        points: first(&["tileset.json", "tiles/tileset.json"]),
        terrain: first(&["terrain/tileset.json"]),
        sections: first(&["sections.geojson"]),
    };
    let mut generated = None;
    let gpkg = dir.join("road.gpkg");
    if l.sections.is_none() && gpkg.is_file() {
        generated = Some(sections_geojson(&gpkg)?);
        l.sections = Some("__sections.geojson".into());
    }
    Ok((l, generated))
}

/// The `sections` layer of a road GeoPackage as GeoJSON in WGS 84, each feature with a `stroke`
/// colour by ZEB class of its total value `gw` (grey without). Heights become ellipsoidal with
/// GCG2016 for ETRS89/UTM data (whose heights are DHHN normal heights); 2D lines stay 2D.
pub fn sections_geojson(gpkg: &Path) -> Result<Vec<u8>> {
    let layer = zwilling_io::gpkg::read_layer(gpkg, "sections")?;
    let tr = zwilling_crs::Transformer::new(&layer.crs).map_err(|e| e.in_file(gpkg))?;
    let dhhn = matches!(layer.crs.vertical_epsg, Some(7837) | Some(5783))
        || (layer.crs.vertical_epsg.is_none() && matches!(layer.crs.epsg, Some(25832) | Some(25833)));
    let geoid = if dhhn { crate::geoid::load(None).ok() } else { None };
    let gw_at = layer.fields.iter().position(|(n, _)| n == "gw");
    let mut features = vec![];
    for f in &layer.features {
        let line: Vec<[f64; 3]> = match &f.geometry {
            Geometry::LineString(l) => l.clone(),
            Geometry::Polygon(p) => p.exterior.iter().map(|q| [q[0], q[1], f64::NAN]).collect(),
            Geometry::MultiPolygon(ps) => {
                ps.first().map(|p| p.exterior.iter().map(|q| [q[0], q[1], f64::NAN]).collect()).unwrap_or_default()
            }
            Geometry::Point(_) => continue,
        };
        let coords: Vec<serde_json::Value> = line
            .iter()
            .map(|p| {
                let (lon, lat) = tr.to_wgs84(p[0], p[1]);
                let zeta = match &geoid {
                    Some(g) => g.anomaly(lon, lat),
                    None => Some(0.0),
                };
                match zeta {
                    Some(z) if p[2].is_finite() => serde_json::json!([lon, lat, p[2] + z + 0.3]),
                    _ => serde_json::json!([lon, lat]),
                }
            })
            .collect();
        let mut props = serde_json::Map::new();
        for ((name, _), v) in layer.fields.iter().zip(&f.values) {
            props.insert(
                name.clone(),
                match v {
                    Value::Null => serde_json::Value::Null,
                    Value::Int(i) => serde_json::json!(i),
                    Value::Real(r) => serde_json::json!(r),
                    Value::Text(t) => serde_json::json!(t),
                },
            );
        }
        let gw = gw_at.and_then(|i| match f.values.get(i) {
            Some(Value::Real(r)) => Some(*r),
            Some(Value::Int(i)) => Some(*i as f64),
            _ => None,
        });
        let c = crate::pipeline::report::class_colour(gw.and_then(crate::pipeline::report::zeb_class));
        props.insert("stroke".into(), serde_json::json!(format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])));
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "LineString", "coordinates": coords},
        }));
    }
    Ok(serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features})).expect("plain JSON"))
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "css" => "text/css",
        "json" | "geojson" => "application/json",
        "glb" => "model/gltf-binary",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// A request path below `root`, refusing `..` and absolute components.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next()?.trim_start_matches('/');
    let decoded = path.replace("%20", " ");
    let rel = Path::new(&decoded);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

/// Decodes `%XX` escapes and `+` of a query value.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server shares between connections.
struct Site {
    root: PathBuf,
    cesium: PathBuf,
    layers_json: String,
    sections: Option<Vec<u8>>,
    status: Mutex<String>,
}

fn respond(mut s: TcpStream, site: &Site) {
    let mut line = String::new();
    let mut r = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    if r.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers.
    let mut h = String::new();
    while r.read_line(&mut h).map(|n| n > 2).unwrap_or(false) {
        h.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, url) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let text = |b: &str| b.as_bytes().to_vec();
    let (status, ctype, body): (&str, &str, Vec<u8>) = if url == "/" || url == "/index.html" {
        ("200 OK", "text/html; charset=utf-8", text(PAGE))
    } else if url == "/__layers.json" {
        ("200 OK", "application/json", text(&site.layers_json))
    } else if url == "/__sections.geojson" && site.sections.is_some() {
        ("200 OK", "application/json", site.sections.clone().unwrap_or_default())
    } else if url == "/__gate" {
        // Held until the page reports (at most 2 minutes), so the load event waits for the layers.
        let t0 = std::time::Instant::now();
        while t0.elapsed() < std::time::Duration::from_secs(120)
            && *site.status.lock().unwrap_or_else(|e| e.into_inner()) == "pending"
        {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        ("200 OK", "image/gif", GIF_1X1.to_vec())
    } else if let Some(q) = url.strip_prefix("/__status") {
        let mut st = site.status.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = q.strip_prefix('?') {
            *st = if q == "ok" { "ok".into() } else { format!("error: {}", unescape(q.trim_start_matches("error="))) };
            eprintln!("viewer: {st}");
        }
        ("200 OK", "text/plain; charset=utf-8", text(&st))
    } else {
        let file = match url.strip_prefix("/cesium/") {
            Some(rest) => resolve(&site.cesium, rest),
            None => resolve(&site.root, url),
        };
        match file.filter(|f| f.is_file()).and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) {
            Some((f, b)) => ("200 OK", content_type(&f), b),
            None => ("404 Not Found", "text/plain", b"not found".to_vec()),
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = s.write_all(&body);
    }
}

pub fn run(a: ViewArgs) -> Result<()> {
    if !a.dir.is_dir() {
        return Err(Error::bad_file(&a.dir, "is not a folder (give a run folder or a folder holding tileset.json)"));
    }
    let (layers, sections) = find_layers(&a.dir)?;
    if layers == Layers::default() {
        return Err(Error::bad_file(
            &a.dir,
            "holds no layer: expected tileset.json, tiles/tileset.json, terrain/tileset.json, sections.geojson or road.gpkg",
        ));
    }
    let cesium = find_cesium(a.cesium.as_deref())?;
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .map_err(|e| Error::invalid(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)))?;
    let port = listener.local_addr().map(|l| l.port()).unwrap_or(a.port);
    let layers_json = serde_json::json!({
        "points": layers.points, "terrain": layers.terrain, "sections": layers.sections,
    })
    .to_string();
    let site =
        Arc::new(Site { root: a.dir.clone(), cesium, layers_json, sections, status: Mutex::new("pending".into()) });
    let found: Vec<&str> =
        [("point cloud", &layers.points), ("terrain", &layers.terrain), ("sections", &layers.sections)]
            .iter()
            .filter(|(_, l)| l.is_some())
            .map(|(n, _)| *n)
            .collect();
    println!("serving {} ({}) on http://127.0.0.1:{port}/ (Ctrl-C stops)", a.dir.display(), found.join(", "));
    let _ = std::io::stdout().flush();
    for stream in listener.incoming().flatten() {
        let site = Arc::clone(&site);
        std::thread::spawn(move || respond(stream, &site));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_below_the_root() {
        let root = Path::new("/srv/tiles");
        assert_eq!(resolve(root, "/tiles/0-0-0-0.glb?x=1"), Some(root.join("tiles/0-0-0-0.glb")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../b"), None);
        assert_eq!(content_type(Path::new("a.glb")), "model/gltf-binary");
        assert_eq!(unescape("error=no%20tileset+here"), "error=no tileset here");
    }

    #[test]
    fn layers_are_found_by_layout() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(find_layers(d.path()).unwrap().0, Layers::default());
        std::fs::create_dir_all(d.path().join("tiles")).unwrap();
        std::fs::create_dir_all(d.path().join("terrain")).unwrap();
        std::fs::write(d.path().join("tiles/tileset.json"), "{}").unwrap();
        std::fs::write(d.path().join("terrain/tileset.json"), "{}").unwrap();
        std::fs::write(d.path().join("sections.geojson"), "{}").unwrap();
        let (l, gen) = find_layers(d.path()).unwrap();
        assert_eq!(l.points.as_deref(), Some("tiles/tileset.json"));
        assert_eq!(l.terrain.as_deref(), Some("terrain/tileset.json"));
        assert_eq!(l.sections.as_deref(), Some("sections.geojson"));
        assert!(gen.is_none());
        // A tileset folder itself.
        let (l, _) = find_layers(&d.path().join("tiles")).unwrap();
        assert_eq!(l.points.as_deref(), Some("tileset.json"));
    }
}
