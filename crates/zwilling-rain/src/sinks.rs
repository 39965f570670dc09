//! Sinks (Senken): closed depressions of the terrain, their depth, area, volume and spill level.
//!
//! The depth raster is `d = z_filled − z` ([`crate::fill::fill_depressions`]). A sink is a
//! 4-connected region of cells with `d > min_depth`; per sink:
//! - maximum depth `max d`, area `N · Δx · Δy`, volume `V = Σ d · Δx · Δy` (the water a sink
//!   holds before it spills, midpoint rule on the cells); `Σ d` is the exact sum of the f32
//!   depths rounded once to f64 ([`ExactSum`]), so it does not depend on the order in which the
//!   cells are added — the tile-parallel sinks of `zwilling-tiled` give the same bits,
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

/// Depth of one cell, `max(filled − dem, 0)` in f32, NaN where either value is NoData (NaN, or
/// equal to the grid's NoData value, as [`Grid::is_nodata`]).
#[inline]
pub fn cell_depth(z: f32, f: f32, dem_nodata: Option<f64>, filled_nodata: Option<f64>) -> f32 {
    let nodata = |v: f32, nd: Option<f64>| v.is_nan() || nd.is_some_and(|nd| v as f64 == nd);
    if nodata(z, dem_nodata) || nodata(f, filled_nodata) {
        f32::NAN
    } else {
        (f - z).max(0.0)
    }
}

/// Depth of the filled depressions `filled − dem` (NaN where either is NoData).
pub fn sink_depth(dem: &Grid<f32>, filled: &Grid<f32>) -> Grid<f32> {
    let data = dem.data.iter().zip(&filled.data).map(|(&z, &f)| cell_depth(z, f, dem.nodata, filled.nodata)).collect();
    let mut g = dem.with_data(data);
    g.nodata = Some(f64::NAN);
    g
}

/// Limbs of [`ExactSum`]: 384 bits hold any f32 (bits 0 … 276 above 2⁻¹⁴⁹) with room for 2¹⁰⁷ terms.
const LIMBS: usize = 6;

/// The exact sum of non-negative f32 values in fixed point (units of 2⁻¹⁴⁹, the smallest f32),
/// rounded once to the nearest f64 (ties to even) by [`ExactSum::to_f64`]. Integer addition is
/// associative, so partial sums of any parts of a sink, merged in any order, give the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExactSum {
    /// The sum in units of 2⁻¹⁴⁹, little-endian 64-bit limbs.
    pub limbs: [u64; LIMBS],
    /// True once an infinite value was added.
    pub infinite: bool,
}

impl ExactSum {
    /// Adds `v`; values that are not positive (0, negative, NaN) add nothing.
    pub fn add(&mut self, v: f32) {
        if v.is_infinite() && v > 0.0 {
            self.infinite = true;
        }
        if v.is_nan() || v <= 0.0 || v.is_infinite() {
            return;
        }
        let bits = v.to_bits();
        let (e, m) = ((bits >> 23) & 0xff, (bits & 0x7f_ffff) as u64);
        // v = m · 2^(e − 150) for normal numbers (hidden bit set), m · 2^−149 for subnormals
        let (m, shift) = if e == 0 { (m, 0) } else { (m | 0x80_0000, e as usize - 1) };
        let wide = (m as u128) << (shift % 64);
        self.add_at(shift / 64, wide as u64);
        self.add_at(shift / 64 + 1, (wide >> 64) as u64);
    }

    fn add_at(&mut self, mut k: usize, mut v: u64) {
        while v != 0 && k < LIMBS {
            let (sum, carry) = self.limbs[k].overflowing_add(v);
            self.limbs[k] = sum;
            v = carry as u64;
            k += 1;
        }
    }

    /// Adds another sum.
    pub fn merge(&mut self, other: &ExactSum) {
        self.infinite |= other.infinite;
        for k in 0..LIMBS {
            self.add_at(k, other.limbs[k]);
        }
    }

    /// Bit `i` of the fixed-point sum.
    fn bit(&self, i: usize) -> u64 {
        (self.limbs[i / 64] >> (i % 64)) & 1
    }

    /// The sum rounded to the nearest f64, ties to even (∞ if an infinite value was added).
    pub fn to_f64(&self) -> f64 {
        if self.infinite {
            return f64::INFINITY;
        }
        let Some(top) = (0..LIMBS).rev().find(|&k| self.limbs[k] != 0) else {
            return 0.0;
        };
        let p = top * 64 + 63 - self.limbs[top].leading_zeros() as usize; // highest set bit
                                                                          // 2^e for a normal exponent e, exactly
        let pow2 = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
        if p < 53 {
            return self.limbs[0] as f64 * pow2(-149);
        }
        let low = p - 52; // the 53 bits p … low form the significand
        let mut q = 0u64;
        for i in (low..=p).rev() {
            q = (q << 1) | self.bit(i);
        }
        let round = self.bit(low - 1) == 1;
        let sticky = (0..low - 1).any(|i| self.bit(i) == 1);
        if round && (sticky || q & 1 == 1) {
            q += 1;
        }
        q as f64 * pow2(low as i64 - 149)
    }
}

/// The additive statistics of a sink (or of a part of one): cell count, exact depth sum, largest
/// depth and spill elevation. Parts merge exactly ([`SinkStats::merge`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkStats {
    /// Number of cells.
    pub cells: u64,
    /// Σ depth (m), exact.
    pub depth_sum: ExactSum,
    /// Largest depth (m), starting at 0.
    pub max_depth: f64,
    /// Largest filled elevation (m), starting at −∞.
    pub spill: f64,
}

impl Default for SinkStats {
    fn default() -> Self {
        SinkStats { cells: 0, depth_sum: ExactSum::default(), max_depth: 0.0, spill: f64::NEG_INFINITY }
    }
}

impl SinkStats {
    /// Adds a cell of depth `depth` and filled elevation `filled`.
    pub fn add_cell(&mut self, depth: f32, filled: f32) {
        self.cells += 1;
        self.depth_sum.add(depth);
        self.max_depth = self.max_depth.max(depth as f64);
        self.spill = self.spill.max(filled as f64);
    }

    /// Adds the statistics of another part of the same sink.
    pub fn merge(&mut self, other: &SinkStats) {
        self.cells += other.cells;
        self.depth_sum.merge(&other.depth_sum);
        self.max_depth = self.max_depth.max(other.max_depth);
        self.spill = self.spill.max(other.spill);
    }

    /// The sink `id` of cells of `cell_area` m² with outline `outline`.
    pub fn to_sink(&self, id: u32, cell_area: f64, outline: Vec<Polygon>) -> Sink {
        Sink {
            id,
            cells: self.cells as usize,
            area_m2: self.cells as f64 * cell_area,
            volume_m3: self.depth_sum.to_f64() * cell_area,
            max_depth_m: self.max_depth,
            spill_elevation_m: self.spill,
            outline,
        }
    }
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
            let mut stats = SinkStats::default();
            for &i in cells {
                stats.add_cell(depth.data[i], filled.data[i]);
            }
            let id = k as u32 + 1;
            stats.to_sink(id, cell_area, region_polygons(&labels, w, h, id, cells, &dem.transform))
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
    fn exact_sum_rounds_once() {
        // Sums that f64 holds exactly (24-bit significands within 2^29 of each other) agree with
        // the plain f64 sum.
        let v: Vec<f32> = (1..=1000).map(|k| (k as f32 * 0.618_034).fract() + 0.001).collect();
        let mut s = ExactSum::default();
        v.iter().for_each(|&x| s.add(x));
        assert_eq!(s.to_f64(), v.iter().map(|&x| x as f64).sum::<f64>());
        // 2^53 + 1 is a tie and rounds to even; 2^53 + 1 + 2^-20 rounds up to 2^53 + 2 (a
        // sequential f64 sum gives 2^53).
        let (big, one) = (2f32.powi(53), 1.0f32);
        let mut tie = ExactSum::default();
        [big, one].iter().for_each(|&x| tie.add(x));
        assert_eq!(tie.to_f64(), 9_007_199_254_740_992.0);
        tie.add(2f32.powi(-20));
        assert_eq!(tie.to_f64(), 9_007_199_254_740_994.0);
        // Subnormal f32: 3 · 2^-149; merging parts gives the same bits as adding in one go.
        let mut tiny = ExactSum::default();
        (0..3).for_each(|_| tiny.add(f32::from_bits(1)));
        assert_eq!(tiny.to_f64(), 3.0 * 2f64.powi(-149));
        let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
        v[..500].iter().for_each(|&x| a.add(x));
        v[500..].iter().for_each(|&x| b.add(x));
        b.merge(&a);
        assert_eq!(b, s);
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
