//! The objects of the scene and their exact geometry: ruts, potholes, depressions (bowls on
//! terraces), buildings and trees. Positions are in the road frame (`s` station, `t` offset to
//! the left, see [`crate::RoadFrame`]).

use crate::params::RutShape;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Length of a raw road section (m).
pub const SECTION: f64 = 10.0;
/// Length over which the rut depth changes from one section's value to the next, centred on the
/// boundary (m).
pub const RUT_RAMP: f64 = 2.0;

/// Rut depth of a cross-section shape at offset `u` from the rut centre.
pub fn rut_profile(shape: RutShape, depth: f64, half_width: f64, u: f64) -> f64 {
    let a = u.abs();
    if a >= half_width {
        return 0.0;
    }
    match shape {
        RutShape::V => depth * (1.0 - a / half_width),
        RutShape::Cosine => depth * 0.5 * (1.0 + (PI * a / half_width).cos()),
    }
}

/// Design rut depths per 10 m section: `depths[k][lane][wheel]` in metres, lane 0 = lane 1
/// (right of the road direction, driven by the survey vehicle), lane 1 = lane 2; wheel 0 = inner
/// (towards the crown), wheel 1 = outer (towards the kerb).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ruts {
    /// Depth per section, lane and wheel path (m).
    pub depths: Vec<[[f64; 2]; 2]>,
}

impl Ruts {
    /// Rut depth at station `s`: the section's value, blended with a half cosine over
    /// [`RUT_RAMP`] around each section boundary.
    pub fn depth(&self, lane: usize, wheel: usize, s: f64) -> f64 {
        let n = self.depths.len() as i64;
        let k = ((s / SECTION).floor() as i64).clamp(0, n - 1);
        let x = s - k as f64 * SECTION;
        let d = |i: i64| self.depths[i.clamp(0, n - 1) as usize][lane][wheel];
        let h = RUT_RAMP / 2.0;
        if x < h && k > 0 {
            let w = 0.5 * (1.0 - (PI * (x + h) / RUT_RAMP).cos());
            d(k - 1) + (d(k) - d(k - 1)) * w
        } else if x > SECTION - h && k + 1 < n {
            let w = 0.5 * (1.0 - (PI * (x - (SECTION - h)) / RUT_RAMP).cos());
            d(k) + (d(k + 1) - d(k)) * w
        } else {
            d(k)
        }
    }
}

/// A pothole: a vertical-walled hole of radius `R` whose floor is a paraboloid:
/// depth `D_w + (D − D_w)·(1 − r²/R²)` for `r < R` below the surrounding surface.
///
/// Exact: area `πR²`, volume `πR²·(D_w + (D − D_w)/2)`, max depth `D` (at the centre), mean
/// depth = volume / area, and the depth exceeds any threshold below `D_w` over the whole disc.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pothole {
    /// Station of the centre.
    pub s: f64,
    /// Offset of the centre.
    pub t: f64,
    /// Radius `R` (m).
    pub radius: f64,
    /// Wall height `D_w` (m): the depth at the rim.
    pub wall_depth: f64,
    /// Maximum depth `D` (m).
    pub depth: f64,
}

impl Pothole {
    /// Depth below the surrounding surface at distance² `r2` from the centre (0 outside).
    pub fn depth_at_r2(&self, r2: f64) -> f64 {
        let rr = self.radius * self.radius;
        if r2 >= rr {
            0.0
        } else {
            self.wall_depth + (self.depth - self.wall_depth) * (1.0 - r2 / rr)
        }
    }
    /// Area πR² (m²).
    pub fn area(&self) -> f64 {
        PI * self.radius * self.radius
    }
    /// Volume (m³).
    pub fn volume(&self) -> f64 {
        self.area() * (self.wall_depth + 0.5 * (self.depth - self.wall_depth))
    }
}

/// A closed depression: a cosine bowl of radius `R` and depth `D`, depth
/// `D·(1 + cos(πr/R))/2`, sunk into a level terrace at height `H` of radius `R_T > R`; the
/// terrace blends into the sloping terrain with a half cosine over `B` metres.
///
/// Because the terrace is level all round the bowl and the terrain falls away from it on the
/// downhill side, a depression-filling algorithm fills the bowl exactly to the spill elevation
/// `H` and nowhere else: fill volume `∫ D(r) 2πr dr = D·R²·(π/2 − 2/π)`, area `πR²`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Depression {
    /// Station of the centre.
    pub s: f64,
    /// Offset of the centre.
    pub t: f64,
    /// Bowl radius `R` (m).
    pub radius: f64,
    /// Bowl depth `D` (m).
    pub depth: f64,
    /// Terrace radius `R_T` (m).
    pub terrace_radius: f64,
    /// Terrace blend width `B` (m).
    pub terrace_blend: f64,
    /// Terrace height = spill elevation `H`.
    pub spill_height: f64,
}

impl Depression {
    /// Fill volume below the spill elevation (m³).
    pub fn volume(&self) -> f64 {
        self.depth * self.radius * self.radius * (PI / 2.0 - 2.0 / PI)
    }
    /// Area of the bowl (m²).
    pub fn area(&self) -> f64 {
        PI * self.radius * self.radius
    }
    /// Bowl depth at distance `r` from the centre.
    pub fn bowl_depth(&self, r: f64) -> f64 {
        if r >= self.radius {
            0.0
        } else {
            self.depth * 0.5 * (1.0 + (PI * r / self.radius).cos())
        }
    }
    /// Terrace weight: 1 on the terrace, half-cosine falling to 0 over the blend.
    pub fn terrace_weight(&self, r: f64) -> f64 {
        if r <= self.terrace_radius {
            1.0
        } else if r >= self.terrace_radius + self.terrace_blend {
            0.0
        } else {
            0.5 * (1.0 + (PI * (r - self.terrace_radius) / self.terrace_blend).cos())
        }
    }
    /// Outer radius of the influence.
    pub fn extent(&self) -> f64 {
        self.terrace_radius + self.terrace_blend
    }
}

/// A building: a box on a rectangular footprint aligned with the road, flat roof.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Building {
    /// First station of the footprint.
    pub s0: f64,
    /// Last station.
    pub s1: f64,
    /// Smaller offset.
    pub t0: f64,
    /// Larger offset.
    pub t1: f64,
    /// Height of the wall foot (below the lowest terrain point of the footprint).
    pub base: f64,
    /// Roof height.
    pub top: f64,
    /// Facade colour.
    pub colour: [u8; 3],
}

/// A tree: a vertical cylindrical trunk and an ellipsoidal crown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Station of the trunk axis.
    pub s: f64,
    /// Offset of the trunk axis.
    pub t: f64,
    /// Crown centre height.
    pub crown_z: f64,
    /// Horizontal crown radius.
    pub crown_radius: f64,
    /// Vertical crown half-axis.
    pub crown_half_height: f64,
    /// Trunk radius.
    pub trunk_radius: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bowl_volume_closed_form_equals_numeric_integration() {
        let d = Depression {
            s: 0.0,
            t: 0.0,
            radius: 5.3,
            depth: 0.21,
            terrace_radius: 6.8,
            terrace_blend: 4.0,
            spill_height: 0.0,
        };
        // midpoint rule on a 1 mm grid over the square
        let h = 0.001;
        let n = (2.0 * d.radius / h) as i64;
        let mut v = 0.0;
        for i in 0..n {
            let x = -d.radius + (i as f64 + 0.5) * h;
            let mut row = 0.0;
            for j in 0..n {
                let y = -d.radius + (j as f64 + 0.5) * h;
                row += d.bowl_depth((x * x + y * y).sqrt());
            }
            v += row * h * h;
        }
        assert!((v / d.volume() - 1.0).abs() < 1e-5, "{v} vs {}", d.volume());
    }

    #[test]
    fn pothole_volume_and_area() {
        let p = Pothole { s: 0.0, t: 0.0, radius: 0.25, wall_depth: 0.03, depth: 0.05 };
        let h = 0.0005;
        let (mut v, mut a) = (0.0, 0.0);
        for i in 0..1000 {
            for j in 0..1000 {
                let (x, y) = (-0.25 + (i as f64 + 0.5) * h, -0.25 + (j as f64 + 0.5) * h);
                let d = p.depth_at_r2(x * x + y * y);
                v += d * h * h;
                if d > 0.005 {
                    a += h * h;
                }
            }
        }
        assert!((v / p.volume() - 1.0).abs() < 1e-3);
        assert!((a / p.area() - 1.0).abs() < 1e-3);
        assert!((p.depth_at_r2(0.0) - 0.05).abs() < 1e-15);
    }

    #[test]
    fn rut_depth_ramps_between_sections() {
        let ruts = Ruts { depths: vec![[[0.01, 0.02]; 2], [[0.03, 0.04]; 2]] };
        assert_eq!(ruts.depth(0, 0, 5.0), 0.01);
        assert!((ruts.depth(0, 0, 10.0) - 0.02).abs() < 1e-12);
        assert!((ruts.depth(0, 0, 11.0) - 0.03).abs() < 1e-12);
        assert!((ruts.depth(0, 0, 9.0) - 0.01).abs() < 1e-12);
        assert!(ruts.depth(0, 0, 9.5) > 0.01 && ruts.depth(0, 0, 9.5) < 0.02);
    }
}
