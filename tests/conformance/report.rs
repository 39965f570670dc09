//! The report in a real browser: a small pipeline's `report.html` is opened in headless Chromium;
//! the screenshot must not be blank (pixel variance of the rendered page) and the page must log no
//! JavaScript errors. Conformance suite (needs /usr/bin/chromium or $CHROMIUM); fails loudly without it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn zw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zwilling"))
}

fn chromium() -> PathBuf {
    let p = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(p.exists(), "{} missing: install it (apt-get install chromium) or set CHROMIUM", p.display());
    p
}

fn small_report(dir: &Path) -> PathBuf {
    let survey = dir.join("survey");
    let o = zw().args(["-q", "synth", "--length", "120", "--seed", "5", "--out"]).arg(&survey).output().unwrap();
    assert!(o.status.success(), "synth failed: {}", String::from_utf8_lossy(&o.stderr));
    let cfg = dir.join("pipeline.toml");
    std::fs::write(
        &cfg,
        "[input]\nclouds = ['survey/scene.laz']\ntrajectory = 'survey/trajectory.csv'\n[output]\ndir = 'out'\n\
         [ground]\n[grid]\nres = 1.0\nproducts = ['dtm']\n[road]\n[rain]\nrain = '30mm/10min'\n[report]\n",
    )
    .unwrap();
    let o = zw().args(["-q", "run"]).arg(&cfg).output().unwrap();
    assert!(o.status.success(), "run failed: {}", String::from_utf8_lossy(&o.stderr));
    dir.join("out/report.html")
}

#[test]
fn report_renders_in_chromium_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let html = small_report(dir.path());
    let text = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing fetched (links to a section's map location and SVG namespace URIs are not loads).
    for fetch in ["src=\"http", "<link", "url(http", "@import"] {
        assert!(!text.contains(fetch), "the report loads from the network ({fetch}…)");
    }
    let shot = dir.path().join("shot.png");
    let o = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=1280,2000"])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "chromium failed: {log}");
    // Chromium logs page console messages as `... CONSOLE(line)] "message", source: ...`; errors
    // thrown by scripts appear as "Uncaught ...".
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(errors.is_empty(), "console output from the report:\n{}", errors.join("\n"));
    let img = image::open(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display())).to_luma8();
    assert_eq!(img.dimensions().0, 1280);
    let n = img.pixels().len() as f64;
    let mean = img.pixels().map(|p| p.0[0] as f64).sum::<f64>() / n;
    let var = img.pixels().map(|p| (p.0[0] as f64 - mean).powi(2)).sum::<f64>() / n;
    // A blank page is one grey level (variance 0); text, map and charts give a spread of levels.
    assert!(var > 100.0, "screenshot looks blank: mean {mean:.1}, variance {var:.1}");
    let dark = img.pixels().filter(|p| p.0[0] < 128).count() as f64 / n;
    assert!(dark > 0.005, "hardly any dark (text) pixels: {:.4}", dark);
}
