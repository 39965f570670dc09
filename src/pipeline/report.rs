//! `report.html`: one self-contained page (no network needed) for planners.
//!
//! Overview map (hazard raster with a colour ramp, road sections coloured by ZEB class, legend),
//! charts of IRI, rut depth and grade along the stationing, km per class, the 20 worst sections
//! with links to their location, potholes, buildings at risk, the rain mass balance and the
//! processing summary. The map is a PNG rendered here and embedded as a data URI; the charts are
//! inline SVG; print CSS makes it `report.pdf`-ready.

use std::fmt::Write as _;

use zwilling_core::{Geometry, Grid, Layer, Result, Value};

use super::{Config, Step, StepSummary};

/// A road section as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Label (road / station).
    pub label: String,
    /// Start station (m).
    pub from_m: f64,
    /// End station (m).
    pub to_m: f64,
    /// IRI (m/km).
    pub iri: f64,
    /// Mean rut depth (mm).
    pub rut: f64,
    /// Total value GW (1–5).
    pub gw: f64,
    /// Centre line (projected coordinates).
    pub line: Vec<[f64; 2]>,
    /// Longitude/latitude of the section's middle, for links.
    pub lonlat: Option<(f64, f64)>,
}

/// Everything the page shows.
#[derive(Debug, Clone, Default)]
pub struct ReportData {
    /// Page title.
    pub title: String,
    /// Road sections.
    pub sections: Vec<Section>,
    /// Pothole rows: label, max depth mm, area m², volume l, severity.
    pub potholes: Vec<[String; 5]>,
    /// Building rows: label, max depth m, max velocity m/s, risk class.
    pub buildings: Vec<[String; 4]>,
    /// Rain mass balance (as written by the simulation).
    pub mass_balance: Option<serde_json::Value>,
    /// Maximum water depth (m) for the map.
    pub hazard: Option<Grid<f32>>,
    /// Processing summary rows: step, status, seconds, throughput.
    pub steps: Vec<[String; 4]>,
    /// Road markings: count, total length (m), mean and lowest wear score (contrast 0–1).
    pub markings: Option<(usize, f64, f64, f64)>,
    /// 3D Tiles layers: what, tileset path relative to the output folder.
    pub tilesets: Vec<[String; 2]>,
    /// Real files processed next to the synthetic scene (`zwilling demo` with ../shared).
    pub real: Vec<super::report_shared::RealFile>,
}

/// ZEB class of a total value: 1 ≤ 1.5 (target), 2 ≤ 3.5, 3 ≤ 4.5 (warning), 4 > 4.5 (threshold).
pub fn zeb_class(gw: f64) -> Option<usize> {
    if gw.is_nan() {
        None
    } else if gw <= 1.5 {
        Some(1)
    } else if gw <= 3.5 {
        Some(2)
    } else if gw <= 4.5 {
        Some(3)
    } else {
        Some(4)
    }
}

/// Federal map colours of the four ZEB classes (blue, green, yellow, red); grey for no value.
pub fn class_colour(c: Option<usize>) -> [u8; 3] {
    match c {
        Some(1) => [0, 112, 192],
        Some(2) => [0, 176, 80],
        Some(3) => [255, 192, 0],
        Some(4) => [255, 0, 0],
        _ => [160, 160, 160],
    }
}

/// Depth classes of the hazard legend (m) with their colours.
pub const DEPTH_CLASSES: [(f64, [u8; 3]); 4] =
    [(0.10, [190, 230, 255]), (0.30, [100, 170, 240]), (0.50, [30, 90, 200]), (1.00, [90, 20, 140])];

fn depth_colour(d: f32) -> Option<[u8; 3]> {
    if d.is_nan() || (d as f64) < DEPTH_CLASSES[0].0 {
        return None;
    }
    DEPTH_CLASSES.iter().rev().find(|(t, _)| d as f64 >= *t).map(|(_, c)| *c)
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                s.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Renders the overview map: hazard depth classes over a light background, sections on top.
pub fn render_map(d: &ReportData, width: u32) -> Option<Vec<u8>> {
    let mut b = zwilling_core::Bounds2::EMPTY;
    if let Some(h) = &d.hazard {
        b = b.union(&h.bounds());
    }
    for s in &d.sections {
        s.line.iter().for_each(|p| b.add(p[0], p[1]));
    }
    if b.is_empty() {
        return None;
    }
    let b = b.buffer((0.02 * b.width().max(b.height())).max(10.0));
    let scale = width as f64 / b.width();
    let height = ((b.height() * scale).ceil() as u32).clamp(50, 4000);
    let mut img = image::RgbImage::from_pixel(width, height, image::Rgb([245, 245, 240]));
    if let Some(h) = &d.hazard {
        for py in 0..height {
            for px in 0..width {
                let x = b.min_x + (px as f64 + 0.5) / scale;
                let y = b.max_y - (py as f64 + 0.5) / scale;
                if let Some((c, r)) = h.cell_of(x, y) {
                    if let Some(col) = depth_colour(h.data[h.idx(c, r)]) {
                        img.put_pixel(px, py, image::Rgb(col));
                    }
                }
            }
        }
    }
    let to_px = |p: [f64; 2]| ((p[0] - b.min_x) * scale, (b.max_y - p[1]) * scale);
    for s in &d.sections {
        let col = class_colour(zeb_class(s.gw));
        for w in s.line.windows(2) {
            let ((x0, y0), (x1, y1)) = (to_px(w[0]), to_px(w[1]));
            let n = ((x1 - x0).abs().max((y1 - y0).abs()).ceil() as usize).max(1);
            for k in 0..=n {
                let t = k as f64 / n as f64;
                let (x, y) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
                for dy in -2i32..=2 {
                    for dx in -2i32..=2 {
                        let (u, v) = (x as i32 + dx, y as i32 + dy);
                        if u >= 0 && v >= 0 && (u as u32) < width && (v as u32) < height {
                            img.put_pixel(u as u32, v as u32, image::Rgb(col));
                        }
                    }
                }
            }
        }
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .ok()?;
    Some(png)
}

use image::ImageEncoder as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn fmt(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{v:.digits$}")
    }
}

/// An SVG line chart of `values` over stationing (km), with axes and a title.
pub fn svg_chart(title: &str, unit: &str, xs: &[f64], ys: &[f64], bands: &[(f64, &str)]) -> String {
    let (w, h, ml, mb) = (720.0, 220.0, 50.0, 30.0);
    let pts: Vec<(f64, f64)> = xs.iter().zip(ys).filter(|(_, y)| y.is_finite()).map(|(x, y)| (*x, *y)).collect();
    let mut s = format!("<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h}\" class=\"chart\" role=\"img\" aria-label=\"{}\">", esc(title), esc(title));
    if pts.is_empty() {
        s += "<text x=\"20\" y=\"40\">no values</text></svg></figure>";
        return s;
    }
    let (x0, x1) = pts.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let ymax = pts.iter().map(|p| p.1).chain(bands.iter().map(|b| b.0)).fold(0.0f64, f64::max).max(1e-9) * 1.1;
    let sx = |x: f64| ml + (x - x0) / (x1 - x0).max(1e-9) * (w - ml - 10.0);
    let sy = |y: f64| (h - mb) - y / ymax * (h - mb - 10.0);
    for (v, colour) in bands {
        let _ = write!(
            s,
            "<line x1=\"{ml}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-dasharray=\"4 3\"/>",
            w - 10.0,
            sy(*v),
            sy(*v)
        );
    }
    let _ = write!(s, "<line x1=\"{ml}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>", h - mb, w - 10.0, h - mb);
    let _ = write!(s, "<line x1=\"{ml}\" y1=\"10\" x2=\"{ml}\" y2=\"{}\" stroke=\"#333\"/>", h - mb);
    for k in 0..=4 {
        let y = ymax / 1.1 * k as f64 / 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>",
            ml - 4.0,
            sy(y) + 4.0,
            fmt(y, 1)
        );
        let x = x0 + (x1 - x0) * k as f64 / 4.0;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{} km</text>",
            sx(x),
            h - 10.0,
            fmt(x, 2)
        );
    }
    let path: Vec<String> = pts.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y))).collect();
    let _ = write!(s, "<polyline fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"2\" points=\"{}\"/>", path.join(" "));
    let _ = write!(s, "<text x=\"{ml}\" y=\"12\" class=\"tick\">{}</text></svg></figure>", esc(unit));
    s
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    head.iter().for_each(|h| s += &format!("<th>{}</th>", esc(h)));
    s += "</tr></thead><tbody>";
    for r in rows {
        s += "<tr>";
        r.iter().for_each(|c| s += &format!("<td>{c}</td>"));
        s += "</tr>";
    }
    if rows.is_empty() {
        s += &format!("<tr><td colspan=\"{}\">none</td></tr>", head.len());
    }
    s + "</tbody></table>"
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}h1{margin-bottom:0}
.sub{color:#666;margin-top:.2em}section{margin:2em 0}table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:right}th:first-child,td:first-child{text-align:left}
.chart{width:100%;height:auto;background:#fafafa}.tick{font-size:11px;fill:#555}figure{margin:1em 0}
figcaption{font-weight:600}.legend span{display:inline-block;margin-right:1.2em}.sw{display:inline-block;width:1em;height:1em;vertical-align:middle;margin-right:.3em;border:1px solid #999}
img.map{width:100%;border:1px solid #ccc}.bar{height:1em;display:inline-block}
@media print{body{margin:0;max-width:none}section{page-break-inside:avoid}a{color:inherit;text-decoration:none}}";

/// The page.
pub fn render(d: &ReportData) -> String {
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(&d.title)
    );
    let total_km: f64 = d.sections.iter().map(|s| (s.to_m - s.from_m) / 1000.0).sum();
    let _ = write!(h, "<h1>{}</h1><p class=\"sub\">Road condition (ZEB, AP 9 K grades) and heavy-rain hazard — {} sections, {:.2} km</p>", esc(&d.title), d.sections.len(), total_km);
    // Map.
    h += "<section><h2>Overview</h2>";
    match render_map(d, 960) {
        Some(png) => {
            let _ =
                write!(h, "<img class=\"map\" alt=\"overview map\" src=\"data:image/png;base64,{}\">", base64(&png));
        }
        None => h += "<p>No map: neither road sections nor a hazard raster were produced.</p>",
    }
    h += "<p class=\"legend\"><b>Road sections (ZEB class):</b> ";
    for (c, label) in [(1, "≤ 1.5 target"), (2, "≤ 3.5"), (3, "≤ 4.5 warning"), (4, "> 4.5 threshold")] {
        let [r, g, b] = class_colour(Some(c));
        let _ = write!(h, "<span><i class=\"sw\" style=\"background:rgb({r},{g},{b})\"></i>{label}</span>");
    }
    h += "<br><b>Max. water depth:</b> ";
    for (k, (t, [r, g, b])) in DEPTH_CLASSES.iter().enumerate() {
        let upper = DEPTH_CLASSES.get(k + 1).map(|n| format!("–{:.2} m", n.0)).unwrap_or_else(|| " m and more".into());
        let _ = write!(h, "<span><i class=\"sw\" style=\"background:rgb({r},{g},{b})\"></i>{t:.2}{upper}</span>");
    }
    h += "</p></section>";
    // Charts.
    let xs: Vec<f64> = d.sections.iter().map(|s| (s.from_m + s.to_m) / 2000.0).collect();
    h += "<section><h2>Along the road</h2>";
    h += &svg_chart("IRI", "m/km", &xs, &d.sections.iter().map(|s| s.iri).collect::<Vec<_>>(), &[]);
    h += &svg_chart(
        "Mean rut depth",
        "mm",
        &xs,
        &d.sections.iter().map(|s| s.rut).collect::<Vec<_>>(),
        &[(15.0, "#ffc000"), (25.0, "#ff0000")],
    );
    h += &svg_chart(
        "Total value GW",
        "grade 1–5",
        &xs,
        &d.sections.iter().map(|s| s.gw).collect::<Vec<_>>(),
        &[(3.5, "#ffc000"), (4.5, "#ff0000")],
    );
    h += "</section>";
    // Class distribution.
    let mut km = [0.0f64; 5];
    for s in &d.sections {
        km[zeb_class(s.gw).unwrap_or(0)] += (s.to_m - s.from_m) / 1000.0;
    }
    h += "<section><h2>Length per class</h2>";
    let rows: Vec<Vec<String>> =
        [(1, "1 (≤ 1.5)"), (2, "2 (≤ 3.5)"), (3, "3 (≤ 4.5)"), (4, "4 (> 4.5)"), (0, "no value")]
            .iter()
            .map(|(c, l)| {
                let [r, g, b] = class_colour(if *c == 0 { None } else { Some(*c) });
                let w = if total_km > 0.0 { 300.0 * km[*c] / total_km } else { 0.0 };
                vec![
                    l.to_string(),
                    format!("{:.3}", km[*c]),
                    format!("<i class=\"bar\" style=\"width:{w:.0}px;background:rgb({r},{g},{b})\"></i>"),
                ]
            })
            .collect();
    h += &table(&["class", "km", ""], &rows);
    h += "</section>";
    // Worst sections.
    let mut worst: Vec<&Section> = d.sections.iter().filter(|s| s.gw.is_finite()).collect();
    worst.sort_by(|a, b| b.gw.total_cmp(&a.gw).then(a.from_m.total_cmp(&b.from_m)));
    let rows: Vec<Vec<String>> = worst
        .iter()
        .take(20)
        .map(|s| {
            let loc = match s.lonlat {
                Some((lon, lat)) => format!("<a href=\"https://www.openstreetmap.org/?mlat={lat:.6}&amp;mlon={lon:.6}#map=19/{lat:.6}/{lon:.6}\">{lat:.5}, {lon:.5}</a>"),
                None => "–".into(),
            };
            vec![esc(&s.label), format!("{:.0}–{:.0}", s.from_m, s.to_m), fmt(s.iri, 2), fmt(s.rut, 1), fmt(s.gw, 2), loc]
        })
        .collect();
    h += "<section><h2>20 worst sections</h2>";
    h += &table(&["section", "station (m)", "IRI (m/km)", "rut (mm)", "GW", "location"], &rows);
    h += "</section><section><h2>Potholes</h2>";
    h += &table(
        &["pothole", "max depth (mm)", "area (m²)", "volume (l)", "severity"],
        &d.potholes.iter().map(|r| r.iter().map(|c| esc(c)).collect()).collect::<Vec<_>>(),
    );
    h += "</section><section><h2>Buildings at risk (heavy rain)</h2>";
    h += &table(
        &["building", "max depth (m)", "max velocity (m/s)", "risk class"],
        &d.buildings.iter().map(|r| r.iter().map(|c| esc(c)).collect()).collect::<Vec<_>>(),
    );
    h += "</section>";
    if let Some((n, len, mean, low)) = d.markings {
        h += "<section><h2>Road markings</h2><p>Found in the intensity ortho; the wear score is the Michelson \
              contrast of a marking against the asphalt around it (1 = fresh, towards 0 = worn away).</p>";
        h += &table(
            &["markings", "total length (m)", "mean wear score", "lowest wear score"],
            &[vec![n.to_string(), fmt(len, 1), fmt(mean, 2), fmt(low, 2)]],
        );
        h += "</section>";
    }
    h += "<section><h2>Rain simulation mass balance</h2>";
    match &d.mass_balance {
        Some(serde_json::Value::Object(m)) => {
            let rows: Vec<Vec<String>> = m
                .iter()
                .filter(|(_, v)| v.is_number() || v.is_string())
                .map(|(k, v)| {
                    vec![esc(k), esc(&v.as_f64().map(|f| format!("{f:.6}")).unwrap_or_else(|| v.to_string()))]
                })
                .collect();
            h += &table(&["quantity", "value"], &rows);
        }
        _ => h += "<p>No rain simulation in this run.</p>",
    }
    h += "</section>";
    if !d.tilesets.is_empty() {
        h += "<section><h2>3D views</h2><p>3D Tiles for CesiumJS; <code>zwilling view</code> on this folder shows \
              them together in a browser.</p>";
        h += &table(
            &["layer", "tileset"],
            &d.tilesets.iter().map(|r| r.iter().map(|c| esc(c)).collect()).collect::<Vec<_>>(),
        );
        h += "</section>";
    }
    if !d.real.is_empty() {
        h += "<section><h2>Real data</h2><p>Small real files from the shared test data, processed next to the \
              synthetic scene.</p>";
        let rows: Vec<Vec<String>> = d
            .real
            .iter()
            .map(|r| {
                vec![
                    esc(&r.file),
                    esc(&r.source),
                    esc(&r.work),
                    esc(&r.result),
                    format!("{:.1}", r.seconds),
                    esc(&r.outputs.join(", ")),
                ]
            })
            .collect();
        h += &table(&["file", "source, licence", "work", "result", "seconds", "outputs"], &rows);
        h += "</section>";
    }
    h += "<section><h2>Processing</h2>";
    h += &table(
        &["step", "status", "seconds", "throughput"],
        &d.steps.iter().map(|r| r.iter().map(|c| esc(c)).collect()).collect::<Vec<_>>(),
    );
    let _ = write!(
        h,
        "<p class=\"sub\">zwilling {} — section values from road.gpkg; hazard from rain/max_depth.tif.</p>",
        env!("CARGO_PKG_VERSION")
    );
    h + "</section></body></html>\n"
}

fn field(layer: &Layer, f: &zwilling_core::Feature, names: &[&str]) -> f64 {
    names.iter().find_map(|n| layer.field_index(n)).map(|i| f.values[i].as_f64()).unwrap_or(f64::NAN)
}

fn text_field(layer: &Layer, f: &zwilling_core::Feature, names: &[&str]) -> Option<String> {
    let i = names.iter().find_map(|n| layer.field_index(n))?;
    Some(match &f.values[i] {
        Value::Text(t) => t.clone(),
        Value::Int(v) => v.to_string(),
        Value::Real(v) => format!("{v:.3}"),
        Value::Null => "–".into(),
    })
}

fn line_of(g: &Geometry) -> Vec<[f64; 2]> {
    match g {
        Geometry::LineString(l) => l.iter().map(|p| [p[0], p[1]]).collect(),
        Geometry::Polygon(p) => p.exterior.clone(),
        Geometry::MultiPolygon(ps) => ps.first().map(|p| p.exterior.clone()).unwrap_or_default(),
        Geometry::Point(p) => vec![[p[0], p[1]]],
    }
}

/// Gathers the run's outputs and writes `report.html` atomically.
pub fn write(cfg: &Config, steps: &[Step], done: &[StepSummary]) -> Result<()> {
    let mut d = ReportData {
        title: cfg.stage("report").map(|s| s.str_or("title", "Street survey").to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let road = cfg.out.join("road.gpkg");
    if road.exists() {
        let tr = crate::cmd::tiles::dataset_crs(&cfg.input.clouds, cfg.input.crs.as_deref())
            .ok()
            .and_then(|c| zwilling_crs::Transformer::new(&c).ok());
        let layer = zwilling_io::gpkg::read_layer(&road, "sections")?;
        for f in &layer.features {
            let line = line_of(&f.geometry);
            let mid = line.get(line.len() / 2).copied();
            d.sections.push(Section {
                label: text_field(&layer, f, &["section"]).unwrap_or_default(),
                from_m: 1000.0 * field(&layer, f, &["km_from"]),
                to_m: 1000.0 * field(&layer, f, &["km_to"]),
                iri: field(&layer, f, &["iri"]),
                rut: field(&layer, f, &["mspt"]),
                gw: field(&layer, f, &["gw"]),
                lonlat: match (&tr, mid) {
                    (Some(t), Some(p)) => Some(t.to_wgs84(p[0], p[1])),
                    _ => None,
                },
                line,
            });
        }
        if let Ok(p) = zwilling_io::gpkg::read_layer(&road, "potholes") {
            for f in &p.features {
                d.potholes.push([
                    text_field(&p, f, &["pothole"]).unwrap_or_default(),
                    fmt(field(&p, f, &["max_depth_mm"]), 1),
                    fmt(field(&p, f, &["area_m2"]), 3),
                    fmt(1000.0 * field(&p, f, &["volume_m3"]), 2),
                    text_field(&p, f, &["severity"]).unwrap_or_default(),
                ]);
            }
        }
    }
    let rain = cfg.out.join("rain");
    if rain.join("max_depth.tif").exists() {
        d.hazard = Some(zwilling_io::raster::read_geotiff_f32(&rain.join("max_depth.tif"))?);
    }
    if let Ok(t) = std::fs::read_to_string(rain.join("mass_balance.json")) {
        d.mass_balance = serde_json::from_str(&t).ok();
    }
    for gp in [rain.join("rain.gpkg"), rain.join("risk.gpkg"), rain.join("hazard.gpkg")] {
        if let Ok(b) = zwilling_io::gpkg::read_layer(&gp, "buildings") {
            for f in &b.features {
                d.buildings.push([
                    text_field(&b, f, &["building_id", "id", "name"]).unwrap_or_default(),
                    fmt(field(&b, f, &["max_depth", "max_depth_m"]), 2),
                    fmt(field(&b, f, &["max_velocity", "max_velocity_ms"]), 2),
                    text_field(&b, f, &["risk_class", "risk"]).unwrap_or_default(),
                ]);
            }
            break;
        }
    }
    if let Ok(m) = zwilling_io::geojson::read_geojson(&cfg.out.join("cracks/markings.geojson")) {
        let len: Vec<f64> = m.features.iter().map(|f| field(&m, f, &["length_m"])).collect();
        let wear: Vec<f64> =
            m.features.iter().map(|f| field(&m, f, &["wear_score"])).filter(|w| w.is_finite()).collect();
        let mean = if wear.is_empty() { f64::NAN } else { wear.iter().sum::<f64>() / wear.len() as f64 };
        let low = wear.iter().copied().fold(f64::NAN, f64::min);
        d.markings = Some((m.features.len(), len.iter().filter(|l| l.is_finite()).sum(), mean, low));
    }
    for (what, rel) in [("point cloud", "tiles/tileset.json"), ("terrain by hazard class", "terrain/tileset.json")] {
        if cfg.out.join(rel).exists() {
            d.tilesets.push([what.to_string(), rel.to_string()]);
        }
    }
    d.real = super::report_shared::load(&cfg.out);
    for s in steps.iter().filter(|s| s.stage != "report") {
        let r = done.iter().find(|x| x.id == s.id);
        d.steps.push([
            s.id.clone(),
            r.map(|r| r.status.to_string()).unwrap_or_else(|| "–".into()),
            r.map(|r| format!("{:.1}", r.seconds)).unwrap_or_default(),
            r.and_then(|r| r.points_per_second).map(|p| format!("{:.2} M points/s", p / 1e6)).unwrap_or_default(),
        ]);
    }
    zwilling_io::write_atomic(&cfg.out.join("report.html"), render(&d).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        // RFC 4648 §10 test vectors.
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn classes_follow_the_zeb_thresholds() {
        assert_eq!(zeb_class(1.5), Some(1));
        assert_eq!(zeb_class(3.5), Some(2));
        assert_eq!(zeb_class(4.5), Some(3));
        assert_eq!(zeb_class(4.51), Some(4));
        assert_eq!(zeb_class(f64::NAN), None);
    }

    #[test]
    fn page_shows_sections_and_worst_first() {
        let s = |gw: f64, from: f64| Section {
            label: format!("s{from}"),
            from_m: from,
            to_m: from + 100.0,
            iri: 2.0,
            rut: 5.0,
            gw,
            line: vec![[from, 0.0], [from + 100.0, 0.0]],
            lonlat: Some((7.0, 51.0)),
        };
        let d = ReportData {
            title: "T".into(),
            sections: vec![s(1.2, 0.0), s(4.8, 100.0), s(2.0, 200.0)],
            ..Default::default()
        };
        let html = render(&d);
        assert!(html.contains("data:image/png;base64,"));
        let worst = html.find("20 worst").unwrap();
        let rest = &html[worst..];
        assert!(rest.find("s100").unwrap() < rest.find("s200").unwrap(), "GW 4.8 before 2.0");
        assert!(html.contains("3 sections, 0.30 km"), "0.3 km of sections in total");
    }
}
