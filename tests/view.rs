//! Conformance: `zwilling view` serves a tileset and the CesiumJS page; headless Chromium loads
//! it without errors and the screenshot is not blank. Needs CesiumJS (scripts/fetch-cesium.sh)
//! and Debian's chromium, which .ci/run installs.
#![cfg(feature = "conformance")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn viewer_loads_the_tileset_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let zw = env!("CARGO_BIN_EXE_zwilling");
    let survey = dir.path().join("survey");
    let ok = Command::new(zw).args(["-q", "synth", "--length", "60", "--no-images", "--out"]).arg(&survey).status().unwrap();
    assert!(ok.success());
    let tiles = dir.path().join("tiles");
    let ok = Command::new(zw).args(["-q", "tiles"]).arg(survey.join("scene.laz")).arg("-o").arg(&tiles).status().unwrap();
    assert!(ok.success());
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("chromium missing: apt-get install chromium (.ci/run does)");
    let mut server = Command::new(zw).args(["view", "--port", "0"]).arg(&tiles).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("server prints its URL").to_string();
    let profile = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-unsafe-swiftshader",
        "--use-angle=swiftshader",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1024,768",
        "--virtual-time-budget=60000",
    ];
    let dom = Command::new(chromium)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    let shot_ok = Command::new(chromium)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    server.kill().ok();
    assert!(html.contains("zwilling viewer: OK"), "page did not report a loaded tileset:\n{}", &html[..html.len().min(3000)]);
    assert!(shot_ok.status.success() && shot.exists(), "no screenshot");
    let img = image::open(&shot).unwrap().to_rgb8();
    let (mut lo, mut hi) = ([255u8; 3], [0u8; 3]);
    for p in img.pixels() {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    assert!((0..3).any(|k| hi[k] - lo[k] > 60), "screenshot is blank");
}
