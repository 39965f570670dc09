//! Conformance: `zwilling view` serves a run folder (point tiles, terrain tiles, road sections) and
//! the CesiumJS page; headless Chromium loads it, the page reports every layer loaded without
//! error, and its screenshot shows the scene (not a blank canvas).
//!
//! Needs Debian's `chromium` and CesiumJS from npm (`scripts/fetch-cesium.sh`); fails loudly when
//! either is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ZW: &str = env!("CARGO_BIN_EXE_zwilling");

/// Runs `zwilling -q ARGS`, with `paths` put where `{}` stands in `args`.
fn zw(args: &[&str], paths: &[&Path]) {
    let mut paths = paths.iter();
    let argv: Vec<std::ffi::OsString> =
        args.iter().map(|a| if *a == "{}" { paths.next().unwrap().as_os_str().to_owned() } else { a.into() }).collect();
    let o = Command::new(ZW).arg("-q").args(&argv).output().unwrap();
    assert!(o.status.success(), "zwilling {argv:?} failed:\n{}", String::from_utf8_lossy(&o.stderr));
}

/// Kills the child when dropped (also when an assertion fails).
struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    r.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
}

fn chromium() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("chromium missing: apt-get install chromium (see docs/tiles.md, Viewer)")
}

fn cesium() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let c = std::env::var_os("ZW_CESIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cache/zwilling/cesium/node_modules/cesium/Build/Cesium"));
    assert!(c.join("Cesium.js").exists(), "CesiumJS missing at {}: run scripts/fetch-cesium.sh", c.display());
    c
}

/// A run folder: point tiles of a short synthetic street, its DTM as terrain tiles coloured by a
/// ramp, and two road sections (ZEB classes 1 and 4) as GeoJSON.
fn run_folder(dir: &Path) -> PathBuf {
    let survey = dir.join("survey");
    zw(&["synth", "--length", "60", "--no-images", "-o", "{}"], &[&survey]);
    let laz = survey.join("scene.laz");
    let run = dir.join("run");
    zw(&["tiles", "{}", "-o", "{}"], &[&laz, &run.join("tiles")]);
    let dtm = dir.join("dtm.tif");
    zw(&["grid", "{}", "--product", "dtm", "--res", "1", "-o", "{}"], &[&laz, &dtm]);
    zw(
        &["tiles", "--dtm", "{}", "--color", "{}", "--palette", "ramp", "-o", "{}"],
        &[&dtm, &dtm, &run.join("terrain")],
    );
    // Two sections at the tileset's centre (the root transform's origin, ECEF → lon/lat on GRS80).
    let ts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("tiles/tileset.json")).unwrap()).unwrap();
    let m: Vec<f64> = ts["root"]["transform"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (x, y, z) = (m[12], m[13], m[14]);
    let lon = y.atan2(x).to_degrees();
    let lat = z.atan2((x * x + y * y).sqrt() * (1.0 - 0.006_694_38)).to_degrees();
    let d = 0.0002;
    let sections = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"section": "1", "gw": 1.2, "stroke": "#0070c0"},
         "geometry": {"type": "LineString", "coordinates": [[lon - d, lat], [lon, lat]]}},
        {"type": "Feature", "properties": {"section": "2", "gw": 4.8, "stroke": "#ff0000"},
         "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + d, lat]]}},
    ]});
    std::fs::write(run.join("sections.geojson"), sections.to_string()).unwrap();
    run
}

#[test]
fn viewer_loads_every_layer_in_headless_chromium() {
    let chromium = chromium();
    let cesium = cesium();
    let dir = tempfile::tempdir().unwrap();
    let run = run_folder(dir.path());

    let mut server = Command::new(ZW)
        .args(["view", "--port", "0", "--cesium"])
        .arg(&cesium)
        .arg(&run)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Guard(server);
    assert!(line.contains("point cloud, terrain, sections"), "server found the layers: {line}");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("server prints its URL").to_string();
    let port: u16 = url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();

    // The page holds its load event until it has reported, so --screenshot shows the loaded layers.
    let profile = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let browser = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--enable-unsafe-swiftshader",
            "--use-angle=swiftshader",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1024,768",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut browser = Guard(browser);
    // A guard against a hung browser (not a performance limit): the page gives up after 90 s itself.
    let t0 = Instant::now();
    let exited = loop {
        if let Some(s) = browser.0.try_wait().unwrap() {
            break Some(s);
        }
        if t0.elapsed() > Duration::from_secs(300) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let status = http_get(port, "/__status");
    let mut err = String::new();
    if let Some(mut e) = browser.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert_eq!(status, "ok", "the page reported: {status}\nchromium: {exited:?}\n{err}");
    assert!(exited.is_some_and(|s| s.success()), "chromium did not finish: {exited:?}\n{err}");

    // Not blank: inside the map area (right of the layer panel) the picture has structure — many
    // pixels far from the background colour and a clear spread of brightness.
    let img = image::open(&shot).unwrap_or_else(|e| panic!("no screenshot {}: {e}", shot.display())).to_rgb8();
    let (w, h) = img.dimensions();
    assert!(w >= 800 && h >= 600, "screenshot is {w}×{h}");
    let bg = [0xdd_i32, 0xe4, 0xea]; // the globe colour the page sets
    let (mut n, mut far, mut sum, mut sum2) = (0u64, 0u64, 0f64, 0f64);
    for y in h / 4..h * 7 / 8 {
        for x in w * 3 / 10..w {
            let p = img.get_pixel(x, y).0;
            let d: i32 = (0..3).map(|k| (p[k] as i32 - bg[k]).abs()).sum();
            let l = 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
            n += 1;
            far += (d > 60) as u64;
            sum += l;
            sum2 += l * l;
        }
    }
    let sd = (sum2 / n as f64 - (sum / n as f64).powi(2)).max(0.0).sqrt();
    let frac = far as f64 / n as f64;
    assert!(
        frac > 0.02 && sd > 8.0,
        "screenshot looks blank: {:.1} % non-background pixels, brightness sd {sd:.1}",
        100.0 * frac
    );
}
