//! `zwilling view DIR`: serves a tileset folder and a CesiumJS page on localhost.
//!
//! CesiumJS comes from the npm registry through `scripts/fetch-cesium.sh` (run once); nothing is
//! fetched at run time. The page shows the point cloud (`tileset.json`), the terrain coloured by
//! hazard (`terrain/tileset.json`) and road sections (`sections.geojson`) with layer toggles.

use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use zwilling_core::{Error, Result};

const PAGE: &str = include_str!("../view.html");

#[derive(Args, Debug)]
pub struct ViewArgs {
    /// Folder with tileset.json (e.g. the `tiles` folder of a run).
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

fn respond(mut s: TcpStream, root: &Path, cesium: &Path) {
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
    let (status, ctype, body): (&str, &str, Vec<u8>) = if url == "/" || url == "/index.html" {
        ("200 OK", "text/html; charset=utf-8", PAGE.as_bytes().to_vec())
    } else {
        let file = match url.strip_prefix("/cesium/") {
            Some(rest) => resolve(cesium, rest),
            None => resolve(root, url),
        };
        match file.filter(|f| f.is_file()).and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) {
            Some((f, b)) => ("200 OK", content_type(&f), b),
            None => ("404 Not Found", "text/plain", b"not found".to_vec()),
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = s.write_all(&body);
    }
}

pub fn run(a: ViewArgs) -> Result<()> {
    if !a.dir.is_dir() {
        return Err(Error::bad_file(&a.dir, "is not a folder (give the folder holding tileset.json)"));
    }
    let cesium = find_cesium(a.cesium.as_deref())?;
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .map_err(|e| Error::invalid(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)))?;
    let port = listener.local_addr().map(|l| l.port()).unwrap_or(a.port);
    println!("serving {} on http://127.0.0.1:{port}/ (Ctrl-C stops)", a.dir.display());
    let _ = std::io::stdout().flush();
    let root = a.dir.clone();
    for stream in listener.incoming().flatten() {
        let (root, cesium) = (root.clone(), cesium.clone());
        std::thread::spawn(move || respond(stream, &root, &cesium));
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
    }
}
