//! `zwilling info`: a summary of LAS/LAZ files, read to the end.
//!
//! Point count, bounds (computed from the points; the header's are shown too when they differ),
//! CRS, version and point format, class histogram, density, GPS-time range and VLRs. Density is
//! given two ways: points per m² of the 2D bounds, and points per m² of the occupied 1 m × 1 m
//! cells (cells holding at least one point), which fits corridor-shaped mobile-mapping data far
//! better than the bounding box. Both assume metre units (a projected CRS).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Value};
use zwilling_core::{Bounds3, CrsInfo, Error, PointBlock, Result};
use zwilling_io::las::{expand_inputs, LasInfo, LasReader, DEFAULT_BLOCK};

use crate::progress;

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// LAS/LAZ files or directories of them.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Print a JSON array, one object per file.
    #[arg(long)]
    pub json: bool,
    /// Assign this CRS (e.g. EPSG:25832 or EPSG:25832+7837), replacing what the files say.
    #[arg(long, value_name = "EPSG:N")]
    pub crs: Option<String>,
}

/// Occupancy bitmap of 1 m cells over the header's 2D bounds.
struct Cells {
    min_x: f64,
    min_y: f64,
    nx: u64,
    ny: u64,
    bits: Vec<u64>,
}

/// Bitmaps above this many cells (10⁹ m² = 1000 km², 125 MB) are not kept.
const MAX_CELLS: u64 = 1 << 30;

impl Cells {
    fn new(b: &Bounds3) -> Option<Cells> {
        if b.is_empty() || !b.min_x.is_finite() || !b.max_x.is_finite() || !b.min_y.is_finite() || !b.max_y.is_finite()
        {
            return None;
        }
        let (min_x, min_y) = (b.min_x.floor(), b.min_y.floor());
        let nx = (b.max_x - min_x).floor() as u64 + 1;
        let ny = (b.max_y - min_y).floor() as u64 + 1;
        let n = nx.checked_mul(ny)?;
        if n > MAX_CELLS {
            return None;
        }
        Some(Cells { min_x, min_y, nx, ny, bits: vec![0; n.div_ceil(64) as usize] })
    }

    /// Marks the cell of (x, y); false when the point lies outside the header bounds.
    fn mark(&mut self, x: f64, y: f64) -> bool {
        let (cx, cy) = ((x - self.min_x).floor(), (y - self.min_y).floor());
        if cx < 0.0 || cy < 0.0 || cx >= self.nx as f64 || cy >= self.ny as f64 {
            return false;
        }
        let i = cy as u64 * self.nx + cx as u64;
        self.bits[(i / 64) as usize] |= 1 << (i % 64);
        true
    }

    fn count(&self) -> u64 {
        self.bits.iter().map(|w| w.count_ones() as u64).sum()
    }
}

/// What reading all points of one file found.
struct Summary {
    info: LasInfo,
    points: u64,
    bounds: Bounds3,
    classes: BTreeMap<u8, u64>,
    gps: Option<(f64, f64)>,
    occupied_m2: Option<u64>,
}

fn summarize(path: &Path, crs: Option<&CrsInfo>, bar: &indicatif::ProgressBar) -> Result<Summary> {
    let mut r = LasReader::open(path)?;
    if let Some(c) = crs {
        r.set_crs_override(c.clone());
    }
    let mut cells = Cells::new(&r.info().bounds);
    let mut outside = false;
    let mut bounds = Bounds3::EMPTY;
    let mut hist = [0u64; 256];
    let mut gps = (f64::INFINITY, f64::NEG_INFINITY);
    let mut points = 0u64;
    let mut b = PointBlock::with_capacity(r.info().layout, DEFAULT_BLOCK.min(r.remaining() as usize));
    while r.read_block_into(&mut b, DEFAULT_BLOCK)? {
        bounds = bounds.union(&b.bounds());
        for &c in &b.classification {
            hist[c as usize] += 1;
        }
        for &t in &b.gps_time {
            gps.0 = gps.0.min(t);
            gps.1 = gps.1.max(t);
        }
        if let Some(c) = cells.as_mut() {
            for i in 0..b.len() {
                outside |= !c.mark(b.x[i], b.y[i]);
            }
        }
        points += b.len() as u64;
        bar.inc(b.len() as u64);
    }
    let mut info = r.info().clone();
    if outside {
        info.warnings.push("points lie outside the header bounds".into());
        cells = None;
    }
    Ok(Summary {
        points,
        bounds,
        classes: hist.iter().enumerate().filter(|(_, &n)| n > 0).map(|(c, &n)| (c as u8, n)).collect(),
        gps: (points > 0 && info.layout.gps_time).then_some(gps),
        occupied_m2: cells.map(|c| c.count()),
        info,
    })
}

/// ASPRS standard class names (LAS 1.4 R15, table 17).
fn class_name(c: u8) -> &'static str {
    match c {
        0 => "created, never classified",
        1 => "unclassified",
        2 => "ground",
        3 => "low vegetation",
        4 => "medium vegetation",
        5 => "high vegetation",
        6 => "building",
        7 => "low point (noise)",
        8 => "model key point",
        9 => "water",
        10 => "rail",
        11 => "road surface",
        12 => "overlap",
        13 => "wire guard",
        14 => "wire conductor",
        15 => "transmission tower",
        16 => "wire connector",
        17 => "bridge deck",
        18 => "high noise",
        _ => "user defined",
    }
}

fn bounds_json(b: &Bounds3) -> Value {
    if b.is_empty() {
        return Value::Null;
    }
    json!({"min_x": b.min_x, "min_y": b.min_y, "min_z": b.min_z, "max_x": b.max_x, "max_y": b.max_y, "max_z": b.max_z})
}

fn area_2d(b: &Bounds3) -> f64 {
    if b.is_empty() {
        0.0
    } else {
        (b.max_x - b.min_x) * (b.max_y - b.min_y)
    }
}

fn density(points: u64, area: f64) -> Option<f64> {
    (area > 0.0).then(|| points as f64 / area)
}

fn to_json(s: &Summary) -> Value {
    let i = &s.info;
    let classes: serde_json::Map<String, Value> = s.classes.iter().map(|(c, n)| (c.to_string(), json!(n))).collect();
    json!({
        "path": i.path.display().to_string(),
        "point_count": s.points,
        "header_point_count": i.point_count,
        "bounds": bounds_json(&s.bounds),
        "header_bounds": bounds_json(&i.bounds),
        "crs": i.crs.epsg,
        "vertical_crs": i.crs.vertical_epsg,
        "crs_source": i.crs_source,
        "crs_wkt": i.crs.wkt,
        "version": format!("{}.{}", i.version.0, i.version.1),
        "point_format": i.point_format,
        "record_length": i.record_length,
        "extra_bytes": i.layout.extra_bytes,
        "compressed": i.is_compressed,
        "copc": i.is_copc,
        "scale": i.scale,
        "offset": i.offset,
        "classification": classes,
        "density": {
            "points_per_m2_bounds": density(s.points, area_2d(&s.bounds)),
            "points_per_m2_occupied": s.occupied_m2.and_then(|a| density(s.points, a as f64)),
            "occupied_area_m2": s.occupied_m2,
            "cell_size_m": 1.0,
        },
        "gps_time": s.gps.map(|(a, b)| json!({"min": a, "max": b})),
        "system_identifier": i.system_identifier,
        "generating_software": i.generating_software,
        "vlrs": i.vlrs,
        "warnings": i.warnings,
    })
}

/// `1234567` → `1 234 567`.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (k, ch) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

fn print_text(s: &Summary) {
    let i = &s.info;
    println!("{}", i.path.display());
    let kind = if i.is_copc {
        "COPC (LAZ)"
    } else if i.is_compressed {
        "LAZ"
    } else {
        "LAS"
    };
    println!(
        "  format     {kind}, LAS {}.{}, point format {} ({} bytes/point, {} extra)",
        i.version.0, i.version.1, i.point_format, i.record_length, i.layout.extra_bytes
    );
    print!("  points     {}", grouped(s.points));
    if s.points != i.point_count {
        print!(" (header says {})", grouped(i.point_count));
    }
    println!();
    let b = &s.bounds;
    if !b.is_empty() {
        println!("  bounds     x {:.3} .. {:.3}  ({:.2} m)", b.min_x, b.max_x, b.max_x - b.min_x);
        println!("             y {:.3} .. {:.3}  ({:.2} m)", b.min_y, b.max_y, b.max_y - b.min_y);
        println!("             z {:.3} .. {:.3}  ({:.2} m)", b.min_z, b.max_z, b.max_z - b.min_z);
        let h = &i.bounds;
        let tol = i.scale.iter().cloned().fold(0.0, f64::max) * 0.5 + 1e-9;
        let differ = [
            (h.min_x, b.min_x),
            (h.min_y, b.min_y),
            (h.min_z, b.min_z),
            (h.max_x, b.max_x),
            (h.max_y, b.max_y),
            (h.max_z, b.max_z),
        ]
        .iter()
        .any(|(a, c)| (a - c).abs() > tol);
        if differ {
            println!(
                "  header     x {:.3} .. {:.3}, y {:.3} .. {:.3}, z {:.3} .. {:.3} (differs from the points)",
                h.min_x, h.max_x, h.min_y, h.max_y, h.min_z, h.max_z
            );
        }
    }
    let src = match i.crs_source {
        zwilling_io::las::CrsSource::Wkt => "from the WKT record",
        zwilling_io::las::CrsSource::GeoTiff => "from GeoTIFF keys",
        zwilling_io::las::CrsSource::Override => "assigned with --crs",
        zwilling_io::las::CrsSource::None => "not in the file",
    };
    println!("  CRS        {} ({src})", i.crs);
    if let Some(d) = s.occupied_m2.and_then(|a| density(s.points, a as f64)) {
        println!(
            "  density    {d:.1} pts/m² over occupied 1 m cells ({} m²); {:.1} pts/m² over the bounds",
            grouped(s.occupied_m2.unwrap_or(0)),
            density(s.points, area_2d(b)).unwrap_or(0.0)
        );
    } else if let Some(d) = density(s.points, area_2d(b)) {
        println!("  density    {d:.1} pts/m² over the bounds");
    }
    if let Some((a, z)) = s.gps {
        println!("  GPS time   {a:.6} .. {z:.6}  ({:.1} s)", z - a);
    }
    if !s.classes.is_empty() {
        println!("  classes");
        for (c, n) in &s.classes {
            let pct = 100.0 * *n as f64 / s.points.max(1) as f64;
            println!("    {c:>3} {:<26} {:>14} {pct:>6.2} %", class_name(*c), grouped(*n));
        }
    }
    if !i.vlrs.is_empty() {
        println!("  VLRs");
        for v in &i.vlrs {
            let e = if v.extended { " (extended)" } else { "" };
            println!("    {:<16} {:>5}  {:<32} {:>9} bytes{e}", v.user_id, v.record_id, v.description, grouped(v.len));
        }
    }
    for w in &i.warnings {
        println!("  warning    {w}");
    }
}

pub fn run(a: InfoArgs) -> Result<()> {
    let crs = match &a.crs {
        Some(s) => Some(CrsInfo::parse(s).ok_or_else(|| {
            Error::invalid(format!("--crs {s}: expected EPSG:N or EPSG:N+M (e.g. EPSG:25832 or EPSG:25832+7837)"))
        })?),
        None => None,
    };
    let files = expand_inputs(&a.inputs)?;
    let mut total = 0u64;
    for f in &files {
        total += LasReader::open(f)?.info().point_count;
    }
    let bar = progress::bar(total, "reading");
    let mut summaries = Vec::with_capacity(files.len());
    for f in &files {
        let s = summarize(f, crs.as_ref(), &bar)?;
        for w in &s.info.warnings {
            tracing::warn!("{}: {w}", f.display());
        }
        summaries.push(s);
    }
    bar.finish_and_clear();
    if a.json {
        let arr: Vec<Value> = summaries.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&arr).map_err(|e| Error::invalid(e.to_string()))?);
        return Ok(());
    }
    for (k, s) in summaries.iter().enumerate() {
        if k > 0 {
            println!();
        }
        print_text(s);
    }
    if summaries.len() > 1 {
        let pts: u64 = summaries.iter().map(|s| s.points).sum();
        let b = summaries.iter().fold(Bounds3::EMPTY, |acc, s| acc.union(&s.bounds));
        println!();
        println!("{} files, {} points", summaries.len(), grouped(pts));
        if !b.is_empty() {
            println!(
                "  bounds     x {:.3} .. {:.3}, y {:.3} .. {:.3}, z {:.3} .. {:.3}",
                b.min_x, b.max_x, b.min_y, b.max_y, b.min_z, b.max_z
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupied_cells_count_distinct_square_metres() {
        let b = Bounds3 { min_x: 10.2, min_y: 20.0, min_z: 0.0, max_x: 13.9, max_y: 21.5, max_z: 1.0 };
        let mut c = Cells::new(&b).unwrap();
        // cells (10,20), (10,20) again, (13,21): two distinct 1 m cells
        assert!(c.mark(10.3, 20.1) && c.mark(10.9, 20.9) && c.mark(13.9, 21.5));
        assert!(!c.mark(9.0, 20.0));
        assert_eq!(c.count(), 2);
        assert_eq!(grouped(1234567), "1 234 567");
        assert_eq!(grouped(12), "12");
    }
}
