//! Sinks (Senken): closed depressions of the terrain, their depth, area, volume and spill level.
//!
//! The depth raster is `d = z_filled − z` ([`crate::fill::fill_depressions`]). A sink is a
//! 4-connected region of cells with `d > min_depth`; per sink:
//! - maximum depth `max d`, area `N · Δx · Δy`, volume `V = Σ d · Δx · Δy` (the water a sink
//!   holds before it spills, midpoint rule on the cells),
//! - spill elevation = the filled surface of the sink (its lowest outlet),
//! - the outline polygon (cells merged, holes kept) by [`crate::polygonize`].
//!
//! Accuracy: for a paraboloid bowl `z = a r²` filled to `H` the closed form is
//! `V = π H² / (2a)`; for a cone of radius `R` and depth `H` it is `π R² H / 3`. The tests check
//! both within 2 % on 0.5 m cells.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::{fill::fill_depressions, sinks::find_sinks};
//! let mut dem = Grid::filled(5, 5, GeoTransform::new(0.0, 5.0, 2.0), 10.0f32);
//! dem.data[12] = 9.0;
//! let filled = fill_depressions(&dem).unwrap();
//! let sinks = find_sinks(&dem, &filled, 0.0);
//! assert_eq!(sinks.len(), 1);
//! assert_eq!(sinks[0].volume_m3, 4.0);
//! ```

use zwilling_core::{FieldType, Geometry, Grid, Layer, Polygon, Value};

use crate::polygonize::{label_components, region_polygons};

/// One sink.
#[derive(Debug, Clone, PartialEq)]
pub struct Sink {
    /// 1-based id in scan order of the first cell.
    pub id: u32,
    /// Number of cells.
    pub cells: usize,
    /// Area (m²).
    pub area_m2: f64,
    /// Volume below the spill level (m³).
    pub volume_m3: f64,
    /// Largest depth (m).
    pub max_depth_m: f64,
    /// Elevation of the filled surface (m).
    pub spill_elevation_m: f64,
    /// Outline (normally one polygon).
    pub outline: Vec<Polygon>,
}

/// Depth of the filled depressions `filled − dem` (NaN where either is NoData).
pub fn sink_depth(dem: &Grid<f32>, filled: &Grid<f32>) -> Grid<f32> {
    let data = dem
        .data
        .iter()
        .zip(&filled.data)
        .map(|(&z, &f)| if dem.is_nodata(z) || filled.is_nodata(f) { f32::NAN } else { (f - z).max(0.0) })
        .collect();
    let mut g = dem.with_data(data);
    g.nodata = Some(f64::NAN);
    g
}

/// The sinks of `dem` given its filled version, keeping regions deeper than `min_depth` (m).
pub fn find_sinks(dem: &Grid<f32>, filled: &Grid<f32>, min_depth: f64) -> Vec<Sink> {
    let (w, h) = (dem.width, dem.height);
    let depth = sink_depth(dem, filled);
    let mask: Vec<bool> = depth.data.iter().map(|&d| d as f64 > min_depth).collect();
    let (labels, regions) = label_components(&mask, w, h);
    let cell_area = dem.transform.cell_x * dem.transform.cell_y;
    regions
        .iter()
        .enumerate()
        .map(|(k, cells)| {
            let mut volume = 0.0f64;
            let mut max_depth = 0.0f64;
            let mut spill = f64::NEG_INFINITY;
            for &i in cells {
                let d = depth.data[i] as f64;
                volume += d;
                max_depth = max_depth.max(d);
                spill = spill.max(filled.data[i] as f64);
            }
            let id = k as u32 + 1;
            Sink {
                id,
                cells: cells.len(),
                area_m2: cells.len() as f64 * cell_area,
                volume_m3: volume * cell_area,
                max_depth_m: max_depth,
                spill_elevation_m: spill,
                outline: region_polygons(&labels, w, h, id, cells, &dem.transform),
            }
        })
        .collect()
}

/// The sinks as a polygon layer `sinks` (id, max_depth_m, area_m2, volume_m3, spill_elev_m, cells).
pub fn sinks_layer(sinks: &[Sink], crs: &zwilling_core::CrsInfo) -> Layer {
    let mut layer = Layer::new(
        "sinks",
        crs.clone(),
        vec![
            ("id".into(), FieldType::Int),
            ("max_depth_m".into(), FieldType::Real),
            ("area_m2".into(), FieldType::Real),
            ("volume_m3".into(), FieldType::Real),
            ("spill_elev_m".into(), FieldType::Real),
            ("cells".into(), FieldType::Int),
        ],
    );
    for s in sinks {
        let geometry = if s.outline.len() == 1 {
            Geometry::Polygon(s.outline[0].clone())
        } else {
            Geometry::MultiPolygon(s.outline.clone())
        };
        layer.features.push(zwilling_core::Feature {
            geometry,
            values: vec![
                Value::Int(s.id as i64),
                Value::Real(s.max_depth_m),
                Value::Real(s.area_m2),
                Value::Real(s.volume_m3),
                Value::Real(s.spill_elevation_m),
                Value::Int(s.cells as i64),
            ],
        });
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fill::fill_depressions;
    use crate::testdem::grid_res;
    use std::f64::consts::PI;

    /// A DEM of radial profile `f(r)` around the centre, 0.5 m cells, 100 × 100.
    fn radial(f: impl Fn(f64) -> f64) -> Grid<f32> {
        grid_res(100, 100, 0.5, |c, r| {
            // cell centres: x = (c + ½) · 0.5, y = 50 − (r + ½) · 0.5
            let (x, y) = ((c as f64 + 0.5) * 0.5, 50.0 - (r as f64 + 0.5) * 0.5);
            f(((x - 25.0).powi(2) + (y - 25.0).powi(2)).sqrt()) as f32
        })
    }

    #[test]
    fn paraboloid_bowl_volume() {
        // z = a r² up to the rim r = 20 m (H = 4 m), flat beyond: V = π H² / (2a) = 2513.3 m³.
        let a = 0.01;
        let dem = radial(|r| (a * r * r).min(4.0));
        let filled = fill_depressions(&dem).unwrap();
        let sinks = find_sinks(&dem, &filled, 0.0);
        assert_eq!(sinks.len(), 1);
        let s = &sinks[0];
        let truth = PI * 16.0 / (2.0 * a);
        assert!((s.volume_m3 - truth).abs() / truth < 0.02, "{} vs {truth}", s.volume_m3);
        assert!((s.area_m2 - PI * 400.0).abs() / (PI * 400.0) < 0.02, "{}", s.area_m2);
        assert!((s.max_depth_m - 4.0).abs() < 0.01);
        assert_eq!(s.spill_elevation_m, 4.0);
        assert_eq!(s.outline[0].area(), s.area_m2);
        let layer = sinks_layer(&sinks, &dem.crs);
        assert_eq!(layer.features.len(), 1);
    }

    #[test]
    fn cone_volume_and_min_depth() {
        // Cone of radius 15 m and depth 3 m: V = π R² H / 3 = 706.9 m³.
        let dem = radial(|r| (r / 5.0).min(3.0));
        let filled = fill_depressions(&dem).unwrap();
        let sinks = find_sinks(&dem, &filled, 0.0);
        let truth = PI * 225.0 * 3.0 / 3.0;
        assert!((sinks[0].volume_m3 - truth).abs() / truth < 0.02, "{} vs {truth}", sinks[0].volume_m3);
        // keeping only cells deeper than 1 m leaves the disc of radius 10 m
        let deep = find_sinks(&dem, &filled, 1.0);
        assert!((deep[0].area_m2 - PI * 100.0).abs() / (PI * 100.0) < 0.03, "{}", deep[0].area_m2);
    }
}
