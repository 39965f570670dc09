//! Flow paths (Fließwege): D8 channels whose upstream area reaches a threshold, as line strings.
//!
//! A cell is on a flow path when its D8 accumulation times the cell area is at least
//! `threshold_m2`. Paths are cut at heads (no upstream path cell) and junctions (two or more
//! upstream path cells), so each line string runs from a head or junction to the next junction
//! or an outlet, through the cell centres; a segment ending at a junction ends on the junction
//! cell so the network is connected. Attributes: `id`, `upstream_area_m2` (at the last cell),
//! `length_m`, `cells`.
//!
//! ```
//! use zwilling_core::{GeoTransform, Grid};
//! use zwilling_rain::{accumulation::flow_accumulation_d8, d8::flow_directions_d8, flowpaths::flow_paths};
//! let mut dem = Grid::filled(6, 3, GeoTransform::new(0.0, 3.0, 1.0), 0.0f32);
//! for (i, z) in dem.data.iter_mut().enumerate() { *z = 10.0 - (i % 6) as f32; }
//! let dir = flow_directions_d8(&dem);
//! let acc = flow_accumulation_d8(&dir, None);
//! let layer = flow_paths(&dir, &acc, 3.0, &dem.crs);
//! assert_eq!(layer.features.len(), 3); // one per row, from column 2 to the east edge
//! ```

use zwilling_core::{CrsInfo, Feature, FieldType, GeoTransform, Geometry, Grid, Layer, Value};

use crate::accumulation::downstream;
use crate::neighbours::{DCOL, DROW};

/// The empty `flow_paths` layer: fields `id`, `upstream_area_m2`, `length_m`, `cells`.
pub fn empty_flow_paths_layer(crs: &CrsInfo) -> Layer {
    Layer::new(
        "flow_paths",
        crs.clone(),
        vec![
            ("id".into(), FieldType::Int),
            ("upstream_area_m2".into(), FieldType::Real),
            ("length_m".into(), FieldType::Real),
            ("cells".into(), FieldType::Int),
        ],
    )
}

/// Length (m) of one D8 step of `(dcol, drow)` cells: `√((dcol·Δx)² + (drow·Δy)²)`.
#[inline]
pub fn step_length(t: &GeoTransform, dcol: isize, drow: isize) -> f64 {
    ((dcol as f64 * t.cell_x).powi(2) + (drow as f64 * t.cell_y).powi(2)).sqrt()
}

/// Flow paths of upstream area ≥ `threshold_m2` as the line layer `flow_paths`.
pub fn flow_paths(dir: &Grid<u8>, acc_cells: &Grid<f64>, threshold_m2: f64, crs: &CrsInfo) -> Layer {
    let (w, h) = (dir.width, dir.height);
    let t = dir.transform;
    let cell_area = t.cell_x * t.cell_y;
    let on_path: Vec<bool> = acc_cells.data.iter().map(|&a| a * cell_area >= threshold_m2).collect();
    // upstream path cells per path cell
    let mut up = vec![0u8; w * h];
    for i in 0..w * h {
        if on_path[i] {
            if let Some(j) = downstream(i, dir.data[i], w) {
                if on_path[j] {
                    up[j] = up[j].saturating_add(1);
                }
            }
        }
    }
    let mut layer = empty_flow_paths_layer(crs);
    let centre = |i: usize| {
        let (x, y) = t.cell_center(i % w, i / w);
        [x, y, f64::NAN]
    };
    for start in 0..w * h {
        if !on_path[start] || up[start] == 1 {
            continue;
        }
        let mut line = vec![centre(start)];
        let mut length = 0.0;
        let mut i = start;
        let mut cells = 1;
        while let Some(j) = downstream(i, dir.data[i], w) {
            if !on_path[j] {
                break;
            }
            let k = dir.data[i] as usize;
            length += step_length(&t, DCOL[k], DROW[k]);
            line.push(centre(j));
            i = j;
            if up[j] != 1 {
                break;
            }
            cells += 1;
        }
        if line.len() < 2 {
            continue;
        }
        let id = layer.features.len() as i64 + 1;
        layer.features.push(Feature {
            geometry: Geometry::LineString(line),
            values: vec![
                Value::Int(id),
                Value::Real(acc_cells.data[i] * cell_area),
                Value::Real(length),
                Value::Int(cells),
            ],
        });
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdem::grid_res;
    use crate::{accumulation::flow_accumulation_d8, d8::flow_directions_d8};

    #[test]
    fn v_valley_has_one_trunk_and_tributaries() {
        // V-shaped valley draining south along column 10: side slopes feed the trunk.
        let dem = grid_res(21, 30, 2.0, |c, r| 0.5 * (c as f32 - 10.0).abs() + 0.1 * (30 - r) as f32);
        let dir = flow_directions_d8(&dem);
        let acc = flow_accumulation_d8(&dir, None);
        // Threshold 200 m² = 50 cells: only the trunk qualifies.
        let layer = flow_paths(&dir, &acc, 200.0, &dem.crs);
        assert_eq!(layer.features.len(), 1);
        let Geometry::LineString(l) = &layer.features[0].geometry else { panic!() };
        assert!(l.iter().all(|p| (p[0] - 21.0).abs() < 1e-9), "trunk on column 10");
        // the last cell collects the whole grid
        assert_eq!(layer.features[0].values[1], Value::Real(21.0 * 30.0 * 4.0));
        // A tiny threshold splits the network at junctions: every segment has ≥ 2 vertices.
        let fine = flow_paths(&dir, &acc, 4.0, &dem.crs);
        assert!(fine.features.len() > 20);
    }
}
