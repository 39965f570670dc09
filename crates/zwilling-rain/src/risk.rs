//! Risk = hazard × exposure for buildings, roads and critical objects (DWA-M 119 style).
//!
//! - **Buildings** (polygons): the largest depth and velocity in the cells along the footprint's
//!   outline — the cells the outline touches (cell centre within half a cell diagonal of a ring),
//!   dilated by one cell (8-neighbourhood), so the water standing against the wall counts even
//!   when buildings are closed cells in the simulation. Hazard class by the [`HazardPreset`];
//!   risk class from a configurable 4 × 4 matrix `risk = M[hazard − 1][exposure − 1]` (hazard
//!   and exposure 1–4; 0 = no hazard). The exposure (damage potential / vulnerability, e.g.
//!   1 garage … 4 hospital) comes from an attribute or a default.
//! - **Roads** (line strings or polygons): the same statistics over the cells the geometry
//!   touches (polygons: also the cells whose centre is inside), dilated by one cell.
//! - **Critical objects** (points): the largest values in the 3 × 3 cells around the point.
//!
//! The default matrix (rows hazard low → very high, columns exposure low → very high):
//! ```text
//! 1 1 2 2
//! 1 2 2 3
//! 2 2 3 4
//! 2 3 4 4
//! ```
//!
//! ```
//! use zwilling_rain::risk::RiskMatrix;
//! let m = RiskMatrix::default();
//! assert_eq!(m.risk(4, 4), 4);
//! assert_eq!(m.risk(0, 4), 0);
//! ```

use zwilling_core::{Error, Feature, FieldType, Geometry, Grid, Layer, Result, Value};

use crate::hazard::HazardPreset;

/// A 4 × 4 risk matrix: `classes[hazard − 1][exposure − 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskMatrix {
    /// Risk class per hazard (row) and exposure (column).
    pub classes: [[u8; 4]; 4],
}

impl Default for RiskMatrix {
    fn default() -> Self {
        RiskMatrix { classes: [[1, 1, 2, 2], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]] }
    }
}

impl RiskMatrix {
    /// Risk class for hazard and exposure classes (0 when either is 0).
    pub fn risk(&self, hazard: u8, exposure: u8) -> u8 {
        if hazard == 0 || exposure == 0 {
            return 0;
        }
        self.classes[(hazard.min(4) - 1) as usize][(exposure.min(4) - 1) as usize]
    }
}

/// Depth and velocity maxima over a set of cells.
fn maxima(cells: &[usize], depth: &Grid<f32>, velocity: &Grid<f32>) -> (f64, f64) {
    let ok = |v: f32, g: &Grid<f32>| if g.is_nodata(v) { 0.0 } else { v as f64 };
    cells
        .iter()
        .fold((0.0f64, 0.0f64), |(d, v), &i| (d.max(ok(depth.data[i], depth)), v.max(ok(velocity.data[i], velocity))))
}

fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    ((p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)).sqrt()
}

/// Cells touched by the polylines (closed when `closed`), plus cells inside `area` if given,
/// dilated by one cell. Sorted cell indices.
fn touched_cells<T>(
    grid: &Grid<T>,
    lines: &[Vec<[f64; 2]>],
    closed: bool,
    area: Option<&zwilling_core::Polygon>,
) -> Vec<usize> {
    let t = grid.transform;
    let (w, h) = (grid.width as isize, grid.height as isize);
    let half_diag = 0.5 * (t.cell_x.powi(2) + t.cell_y.powi(2)).sqrt();
    let mut hit = std::collections::BTreeSet::new();
    for line in lines {
        let n = line.len();
        let segs = if closed { n } else { n.saturating_sub(1) };
        for s in 0..segs {
            let (a, b) = (line[s], line[(s + 1) % n]);
            let (c0, r0) = t.world_to_frac(a[0].min(b[0]) - half_diag, a[1].max(b[1]) + half_diag);
            let (c1, r1) = t.world_to_frac(a[0].max(b[0]) + half_diag, a[1].min(b[1]) - half_diag);
            for r in (r0.floor() as isize).max(0)..=(r1.floor() as isize).min(h - 1) {
                for c in (c0.floor() as isize).max(0)..=(c1.floor() as isize).min(w - 1) {
                    let (x, y) = t.cell_center(c as usize, r as usize);
                    if seg_dist([x, y], a, b) <= half_diag {
                        hit.insert((r * w + c) as usize);
                    }
                }
            }
        }
    }
    if let Some(p) = area {
        let xs = p.exterior.iter().map(|v| v[0]);
        let ys = p.exterior.iter().map(|v| v[1]);
        let (minx, maxx) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |a, x| (a.0.min(x), a.1.max(x)));
        let (miny, maxy) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |a, y| (a.0.min(y), a.1.max(y)));
        let (c0, r0) = t.world_to_frac(minx, maxy);
        let (c1, r1) = t.world_to_frac(maxx, miny);
        for r in (r0.floor() as isize).max(0)..=(r1.floor() as isize).min(h - 1) {
            for c in (c0.floor() as isize).max(0)..=(c1.floor() as isize).min(w - 1) {
                let (x, y) = t.cell_center(c as usize, r as usize);
                if p.contains(x, y) {
                    hit.insert((r * w + c) as usize);
                }
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for &i in &hit {
        let (r, c) = ((i / grid.width) as isize, (i % grid.width) as isize);
        for dr in -1..=1 {
            for dc in -1..=1 {
                let (rr, cc) = (r + dr, c + dc);
                if rr >= 0 && cc >= 0 && rr < h && cc < w {
                    out.insert((rr * w + cc) as usize);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Rings (or the line) of a geometry, whether they are closed, and the polygon for insideness.
type Parts = Vec<(Vec<Vec<[f64; 2]>>, bool, Option<zwilling_core::Polygon>)>;

fn rings_of(g: &Geometry) -> Parts {
    let poly = |p: &zwilling_core::Polygon| {
        let mut rings = vec![p.exterior.clone()];
        rings.extend(p.holes.iter().cloned());
        (rings, true, Some(p.clone()))
    };
    match g {
        Geometry::Point(p) => vec![(vec![vec![[p[0], p[1]]]], false, None)],
        Geometry::LineString(l) => vec![(vec![l.iter().map(|v| [v[0], v[1]]).collect()], false, None)],
        Geometry::Polygon(p) => vec![poly(p)],
        Geometry::MultiPolygon(ps) => ps.iter().map(poly).collect(),
    }
}

fn check_shape(depth: &Grid<f32>, velocity: &Grid<f32>) -> Result<()> {
    if (depth.width, depth.height, depth.transform) != (velocity.width, velocity.height, velocity.transform) {
        return Err(Error::invalid("depth and velocity grids must have the same size and georeferencing"));
    }
    Ok(())
}

/// Settings of the exposure of buildings.
#[derive(Debug, Clone)]
pub struct Exposure {
    /// Integer attribute holding the exposure class 1–4, if any.
    pub field: Option<String>,
    /// Exposure class where the attribute is missing (default 2).
    pub default_class: u8,
}

impl Default for Exposure {
    fn default() -> Self {
        Exposure { field: None, default_class: 2 }
    }
}

/// The `buildings` layer: the input footprints with `max_depth_m`, `max_velocity_m_s`,
/// `hazard_class`, `exposure_class`, `risk_class`; and the risk grid (each cell along a building
/// outline holds the highest risk class of the buildings it belongs to, 0 elsewhere).
pub fn building_risk(
    buildings: &Layer,
    depth: &Grid<f32>,
    velocity: &Grid<f32>,
    preset: &HazardPreset,
    matrix: &RiskMatrix,
    exposure: &Exposure,
) -> Result<(Layer, Grid<u8>)> {
    check_shape(depth, velocity)?;
    let field = match &exposure.field {
        Some(f) => {
            Some(buildings.field_index(f).ok_or_else(|| Error::invalid(format!("buildings have no attribute '{f}'")))?)
        }
        None => None,
    };
    let mut out = buildings.clone();
    out.name = "buildings".into();
    for (n, t) in [("max_depth_m", FieldType::Real), ("max_velocity_m_s", FieldType::Real)] {
        out.fields.push((n.into(), t));
    }
    for n in ["hazard_class", "exposure_class", "risk_class"] {
        out.fields.push((n.into(), FieldType::Int));
    }
    let mut risk = depth.with_data(vec![0u8; depth.len()]);
    risk.nodata = None;
    for f in out.features.iter_mut() {
        let mut cells = vec![];
        for (rings, closed, _) in rings_of(&f.geometry) {
            cells.extend(touched_cells(depth, &rings, closed, None));
        }
        let (d, v) = maxima(&cells, depth, velocity);
        let hz = preset.hazard_class(d, v);
        let ex = field
            .map(|k| f.values[k].as_f64())
            .filter(|x| x.is_finite())
            .map_or(exposure.default_class, |x| x.clamp(1.0, 4.0) as u8);
        let rk = matrix.risk(hz, ex);
        for &i in &cells {
            risk.data[i] = risk.data[i].max(rk);
        }
        f.values.extend([
            Value::Real(d),
            Value::Real(v),
            Value::Int(hz as i64),
            Value::Int(ex as i64),
            Value::Int(rk as i64),
        ]);
    }
    Ok((out, risk))
}

/// The `roads` layer (or any line / polygon / point layer, renamed `name`): each feature with
/// `max_depth_m`, `max_velocity_m_s`, `hazard_class`.
pub fn feature_hazard(
    features: &Layer,
    name: &str,
    depth: &Grid<f32>,
    velocity: &Grid<f32>,
    preset: &HazardPreset,
) -> Result<Layer> {
    check_shape(depth, velocity)?;
    let mut out = features.clone();
    out.name = name.into();
    out.fields.push(("max_depth_m".into(), FieldType::Real));
    out.fields.push(("max_velocity_m_s".into(), FieldType::Real));
    out.fields.push(("hazard_class".into(), FieldType::Int));
    for f in out.features.iter_mut() {
        let mut cells = vec![];
        for (rings, closed, area) in rings_of(&f.geometry) {
            cells.extend(touched_cells(depth, &rings, closed, area.as_ref()));
        }
        let (d, v) = maxima(&cells, depth, velocity);
        f.values.extend([Value::Real(d), Value::Real(v), Value::Int(preset.hazard_class(d, v) as i64)]);
    }
    Ok(out)
}

/// Flow arrows (Fließrichtung) as points: one per `step`-th cell where the maximum velocity is at
/// least `min_velocity`, with `direction_deg` (compass degrees the water flows to) from the ESRI
/// D8 code at peak and `velocity_m_s`.
pub fn flow_arrows(dir_at_peak: &Grid<u8>, max_velocity: &Grid<f32>, step: usize, min_velocity: f64) -> Layer {
    let mut layer = Layer::new(
        "flow_arrows",
        dir_at_peak.crs.clone(),
        vec![("direction_deg".into(), FieldType::Real), ("velocity_m_s".into(), FieldType::Real)],
    );
    let step = step.max(1);
    for r in (step / 2..dir_at_peak.height).step_by(step) {
        for c in (step / 2..dir_at_peak.width).step_by(step) {
            let i = r * dir_at_peak.width + c;
            let (d, v) = (dir_at_peak.data[i], max_velocity.data[i] as f64);
            if d == 0 || !(v >= min_velocity) {
                continue;
            }
            // ESRI code → compass bearing: E 1 → 90°, SE 2 → 135°, … N 64 → 0°, NE 128 → 45°.
            let bearing = (90.0 + 45.0 * d.trailing_zeros() as f64) % 360.0;
            let (x, y) = dir_at_peak.transform.cell_center(c, r);
            layer.features.push(Feature {
                geometry: Geometry::Point([x, y, f64::NAN]),
                values: vec![Value::Real(bearing), Value::Real(v)],
            });
        }
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::{CrsInfo, GeoTransform, Polygon};

    #[test]
    fn building_takes_the_water_along_its_wall() {
        // 20 × 20 grid of 1 m; water 0.6 m deep at one cell next to the east wall of a 4 × 4 m
        // building at x 5..9, y 5..9 (rows 11..14, cols 5..8); 2 m/s somewhere far away.
        let t = GeoTransform::new(0.0, 20.0, 1.0);
        let mut depth = Grid::filled(20, 20, t, 0.0f32);
        let mut vel = Grid::filled(20, 20, t, 0.0f32);
        depth.data[12 * 20 + 10] = 0.6; // cell x 10..11: one cell beyond the wall's own cells
        vel.data[2 * 20 + 2] = 2.0;
        let mut layer = Layer::new("b", CrsInfo::default(), vec![("use".into(), FieldType::Int)]);
        let sq = Polygon::new(vec![[5.0, 5.0], [9.0, 5.0], [9.0, 9.0], [5.0, 9.0]]);
        layer.features.push(Feature { geometry: Geometry::Polygon(sq), values: vec![Value::Int(4)] });
        let preset = HazardPreset::builtin("nrw-default").unwrap();
        let exp = Exposure { field: Some("use".into()), default_class: 2 };
        let (out, risk) = building_risk(&layer, &depth, &vel, &preset, &RiskMatrix::default(), &exp).unwrap();
        let v = &out.features[0].values;
        assert_eq!(v[1], Value::Real(0.6f32 as f64));
        assert_eq!(v[2], Value::Real(0.0));
        assert_eq!(v[3], Value::Int(3)); // 0.6 m → high
        assert_eq!(v[5], Value::Int(4)); // M[3][3]
        assert_eq!(risk.data[12 * 20 + 10], 4);
        assert_eq!(risk.data[0], 0);
        // two cells beyond the wall no longer counts
        depth.data[12 * 20 + 10] = 0.0;
        depth.data[12 * 20 + 11] = 0.6;
        let (out, _) = building_risk(&layer, &depth, &vel, &preset, &RiskMatrix::default(), &exp).unwrap();
        assert_eq!(out.features[0].values[1], Value::Real(0.0));
    }

    #[test]
    fn road_line_hazard_and_arrows() {
        let t = GeoTransform::new(0.0, 10.0, 1.0);
        let mut depth = Grid::filled(10, 10, t, 0.0f32);
        let vel = Grid::filled(10, 10, t, 0.6f32);
        depth.data[5 * 10 + 3] = 0.35;
        let mut roads = Layer::new("r", CrsInfo::default(), vec![]);
        roads
            .features
            .push(Feature { geometry: Geometry::LineString(vec![[0.5, 4.5, 0.0], [9.5, 4.5, 0.0]]), values: vec![] });
        let preset = HazardPreset::builtin("nrw-default").unwrap();
        let out = feature_hazard(&roads, "roads", &depth, &vel, &preset).unwrap();
        assert_eq!(out.features[0].values[2], Value::Int(2));
        let mut dir = Grid::filled(10, 10, t, 4u8); // south
        dir.data[0] = 0;
        let arrows = flow_arrows(&dir, &vel, 3, 0.1);
        assert_eq!(arrows.features.len(), 9);
        assert_eq!(arrows.features[0].values[0], Value::Real(180.0));
    }
}
