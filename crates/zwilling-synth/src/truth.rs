//! The truth of a scene: every value a measurement must reproduce, as plain serialisable data
//! (written as `truth.json` by `zwilling synth`; schema in docs/synth.md).
//!
//! Per-section values (10 m raw and 100 m evaluation sections, per lane):
//! - rut depth per wheel path (1.2 m straightedge principle): the design depth `d`, and the mean
//!   and maximum of `d(s)` over the standard transverse profiles at `s₀ + 0.25 + 0.5·j` (the depth
//!   ramps over 2 m around section boundaries). On a planar lane with the rut narrower than the
//!   straightedge, the straightedge rests on the plane and the maximum gap is exactly `d`
//!   (tested in `tests/truth.rs`).
//! - fictitious water depth: water held by the rut up to its lower rim: for a V rut of half-width
//!   `w` on cross slope `q`, `max(0, d − q·w)`; for a cosine rut the maximum over the profile of
//!   `q·v + D(v) − q·w`, attained at `v* = (w/π)·asin(2qw/(πd))`.
//! - IRI per wheel path: [`crate::iri`] on the true profile sampled every 0.05 m from station 0.
//! - RISS (lane 1 only): see [`crate::cracks`].

use crate::cracks::affected_cells;
use crate::features::{rut_profile, SECTION};
use crate::iri::iri_sections;
use crate::params::{RutShape, SceneParams};
use crate::roughness::Roughness;
use crate::scene::{CrossSection, Scene};
use serde::Serialize;
use std::f64::consts::PI;

/// Sampling interval of the true profiles for the IRI truth (m).
pub const IRI_DX: f64 = 0.05;

/// Design, mean and max of a per-profile quantity over a section (mm).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stat {
    /// Design value (the section's plateau value; for 100 m sections the mean of the ten raw
    /// sections' design values).
    pub design: f64,
    /// Mean over the standard profiles.
    pub mean: f64,
    /// Maximum over the standard profiles.
    pub max: f64,
}

/// A pair of values for the inner (towards the crown) and outer (towards the kerb) wheel path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WheelPaths<T> {
    /// Inner wheel path.
    pub inner: T,
    /// Outer wheel path.
    pub outer: T,
}

/// Truth of one section of one lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionTruth {
    /// Start station (m).
    pub start: f64,
    /// End station (m).
    pub end: f64,
    /// Rut depth (mm).
    pub rut_depth_mm: WheelPaths<Stat>,
    /// Fictitious water depth (mm).
    pub water_depth_mm: WheelPaths<Stat>,
    /// IRI (m/km).
    pub iri_m_per_km: WheelPaths<f64>,
    /// Mean IRI of both wheel paths (m/km).
    pub iri_mean_m_per_km: f64,
    /// True when a pothole lies in the section (its transverse profiles are then not pure ruts).
    pub has_pothole: bool,
    /// Crack share RISS (%), lane 1 only.
    pub riss_percent: Option<f64>,
    /// Crack-affected 1 m cells, lane 1 only.
    pub crack_cells: Option<u32>,
    /// All 1 m cells of the section's lane area, lane 1 only.
    pub cells: Option<u32>,
}

/// Truth of one lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneTruth {
    /// 1 = right lane (driven by the survey vehicle, images), 2 = left lane.
    pub lane: u8,
    /// Offset of the lane centre (m, negative = right of the road direction).
    pub center_offset: f64,
    /// Offsets of the wheel paths (inner, outer).
    pub wheel_offsets: WheelPaths<f64>,
    /// 10 m raw sections.
    pub sections_10m: Vec<SectionTruth>,
    /// 100 m evaluation sections.
    pub sections_100m: Vec<SectionTruth>,
}

/// A pothole's truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PotholeTruth {
    /// Index.
    pub id: usize,
    /// Lane (1 or 2).
    pub lane: u8,
    /// Centre easting.
    pub x: f64,
    /// Centre northing.
    pub y: f64,
    /// Station of the centre.
    pub station: f64,
    /// Offset of the centre.
    pub offset: f64,
    /// Diameter (m).
    pub diameter: f64,
    /// Depth at the wall (mm).
    pub wall_depth_mm: f64,
    /// Maximum depth (mm).
    pub max_depth_mm: f64,
    /// Mean depth = volume / area (mm).
    pub mean_depth_mm: f64,
    /// Area (m²).
    pub area_m2: f64,
    /// Volume (m³).
    pub volume_m3: f64,
    /// Severity by max depth: "low" ≤ 25 mm, "medium" 25–50 mm, "high" > 50 mm.
    pub severity: &'static str,
}

/// A depression's truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepressionTruth {
    /// Index.
    pub id: usize,
    /// Centre easting.
    pub x: f64,
    /// Centre northing.
    pub y: f64,
    /// Station of the centre.
    pub station: f64,
    /// Offset of the centre.
    pub offset: f64,
    /// Bowl radius (m).
    pub radius: f64,
    /// Depth below the spill elevation (m).
    pub depth: f64,
    /// Spill elevation = terrace height (m).
    pub spill_elevation: f64,
    /// Lowest point (m).
    pub bottom_elevation: f64,
    /// Area of the bowl (m²).
    pub area_m2: f64,
    /// Fill volume (m³).
    pub volume_m3: f64,
    /// Terrace radius (m).
    pub terrace_radius: f64,
    /// Terrace blend width (m).
    pub terrace_blend: f64,
}

/// A building's truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildingTruth {
    /// Index.
    pub id: usize,
    /// Footprint corners (counter-clockwise, not closed).
    pub footprint: Vec<[f64; 2]>,
    /// Wall foot height.
    pub base_elevation: f64,
    /// Roof height.
    pub roof_elevation: f64,
}

/// Terrain and road-surface function parameters (enough to evaluate the true height anywhere
/// with the formulas of docs/synth.md; in Rust use [`Scene::ground_height`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurfaceTruth {
    /// Corridor blend width (m).
    pub corridor_blend: f64,
    /// Roughness profile.
    pub roughness: Roughness,
    /// Design rut depths per 10 m section `[lane][wheel]` (m).
    pub rut_depths_m: Vec<[[f64; 2]; 2]>,
}

/// Everything true about a scene.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    /// Schema name and version.
    pub schema: &'static str,
    /// Scene parameters.
    pub params: SceneParams,
    /// EPSG code of the horizontal CRS.
    pub epsg: u32,
    /// EPSG code of the vertical CRS.
    pub vertical_epsg: u32,
    /// Surface function parameters.
    pub surface: SurfaceTruth,
    /// Lanes with their section truth.
    pub lanes: Vec<LaneTruth>,
    /// Potholes.
    pub potholes: Vec<PotholeTruth>,
    /// Closed depressions.
    pub depressions: Vec<DepressionTruth>,
    /// Buildings.
    pub buildings: Vec<BuildingTruth>,
    /// Number of trees.
    pub tree_count: usize,
    /// Number of cracks (polylines) in lane 1.
    pub crack_count: usize,
    /// LAS user-data byte → material name.
    pub materials: Vec<(u8, &'static str)>,
}

/// Fictitious water depth of a rut of depth `d` (m).
pub fn water_depth(shape: RutShape, d: f64, half_width: f64, q: f64) -> f64 {
    match shape {
        RutShape::V => (d - q * half_width).max(0.0),
        RutShape::Cosine => {
            if d <= 0.0 {
                return 0.0;
            }
            let x = 2.0 * q * half_width / (PI * d);
            if x >= 1.0 {
                return 0.0;
            }
            let v = half_width / PI * x.asin();
            (q * v + rut_profile(shape, d, half_width, v) - q * half_width).max(0.0)
        }
    }
}

fn stat(design: f64, values: &[f64]) -> Stat {
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    Stat { design: design * 1e3, mean: mean * 1e3, max: values.iter().cloned().fold(0.0, f64::max) * 1e3 }
}

impl Scene {
    /// Computes the truth (IRI profiles included; cost ~ length / 0.05 m cross-sections).
    pub fn truth(&self) -> Truth {
        let p = &self.params;
        // true wheel-path profiles
        let n = (p.length / IRI_DX).floor() as usize + 1;
        let mut prof = vec![vec![0.0; n]; 4];
        for j in 0..n {
            let cs = CrossSection::new(self, j as f64 * IRI_DX);
            for (k, pr) in prof.iter_mut().enumerate() {
                pr[j] = cs.ground(self.wheel_offset(k / 2, k % 2));
            }
        }
        let iri10: Vec<_> = prof.iter().map(|y| iri_sections(y, IRI_DX, 0.0, SECTION)).collect();
        let iri100: Vec<_> = prof.iter().map(|y| iri_sections(y, IRI_DX, 0.0, 100.0)).collect();
        let cells = affected_cells(&self.cracks, p.lane_width);
        let across = p.lane_width.ceil() as u32;
        let mut lanes = Vec::new();
        for lane in 0..2usize {
            let make = |len: f64, iri: &[Vec<crate::iri::IriSection>]| {
                let count = (p.length / len).ceil() as usize;
                (0..count)
                    .map(|k| {
                        let start = k as f64 * len;
                        let end = (start + len).min(p.length);
                        let stations: Vec<f64> =
                            (0..).map(|j| start + 0.25 + 0.5 * j as f64).take_while(|s| *s < end).collect();
                        let secs = (start / SECTION).round() as usize..((end / SECTION).ceil() as usize);
                        let wheel = |w: usize| {
                            let d: Vec<f64> = stations.iter().map(|&s| self.ruts.depth(lane, w, s)).collect();
                            let design = secs.clone().map(|i| self.ruts.depths[i][lane][w]).sum::<f64>()
                                / secs.len().max(1) as f64;
                            let wd = |x: f64| water_depth(p.rut_shape, x, p.rut_half_width, p.cross_slope);
                            let water: Vec<f64> = d.iter().map(|&x| wd(x)).collect();
                            let wdesign = secs.clone().map(|i| wd(self.ruts.depths[i][lane][w])).sum::<f64>()
                                / secs.len().max(1) as f64;
                            (stat(design, &d), stat(wdesign, &water))
                        };
                        let (ri, wi) = wheel(0);
                        let (ro, wo) = wheel(1);
                        let get = |w: usize| iri[lane * 2 + w].get(k).map_or(f64::NAN, |s| s.iri);
                        let has_pothole = self
                            .potholes
                            .iter()
                            .any(|h| (h.t < 0.0) == (lane == 0) && h.s + h.radius > start && h.s - h.radius < end);
                        let (riss, cc, all) = if lane == 0 {
                            let rows = (end.ceil() - start.floor()) as u32;
                            let hit = cells
                                .range((start.floor() as i64, i64::MIN)..(end.ceil() as i64, i64::MIN))
                                .filter(|c| c.1 >= 0 && (c.1 as u32) < across)
                                .count() as u32;
                            let all = rows * across;
                            (Some(100.0 * f64::from(hit) / f64::from(all)), Some(hit), Some(all))
                        } else {
                            (None, None, None)
                        };
                        SectionTruth {
                            start,
                            end,
                            rut_depth_mm: WheelPaths { inner: ri, outer: ro },
                            water_depth_mm: WheelPaths { inner: wi, outer: wo },
                            iri_m_per_km: WheelPaths { inner: get(0), outer: get(1) },
                            iri_mean_m_per_km: 0.5 * (get(0) + get(1)),
                            has_pothole,
                            riss_percent: riss,
                            crack_cells: cc,
                            cells: all,
                        }
                    })
                    .collect::<Vec<_>>()
            };
            let sections_10m = make(SECTION, &iri10);
            let sections_100m = make(100.0, &iri100);
            lanes.push(LaneTruth {
                lane: lane as u8 + 1,
                center_offset: if lane == 0 { -p.lane_width / 2.0 } else { p.lane_width / 2.0 },
                wheel_offsets: WheelPaths { inner: self.wheel_offset(lane, 0), outer: self.wheel_offset(lane, 1) },
                sections_10m,
                sections_100m,
            });
        }
        let potholes = self
            .potholes
            .iter()
            .enumerate()
            .map(|(id, h)| {
                let (x, y) = self.frame.to_world(h.s, h.t);
                let max = h.depth * 1e3;
                PotholeTruth {
                    id,
                    lane: if h.t < 0.0 { 1 } else { 2 },
                    x,
                    y,
                    station: h.s,
                    offset: h.t,
                    diameter: 2.0 * h.radius,
                    wall_depth_mm: h.wall_depth * 1e3,
                    max_depth_mm: max,
                    mean_depth_mm: h.volume() / h.area() * 1e3,
                    area_m2: h.area(),
                    volume_m3: h.volume(),
                    severity: if max <= 25.0 {
                        "low"
                    } else if max <= 50.0 {
                        "medium"
                    } else {
                        "high"
                    },
                }
            })
            .collect();
        let depressions = self
            .depressions
            .iter()
            .enumerate()
            .map(|(id, d)| {
                let (x, y) = self.frame.to_world(d.s, d.t);
                DepressionTruth {
                    id,
                    x,
                    y,
                    station: d.s,
                    offset: d.t,
                    radius: d.radius,
                    depth: d.depth,
                    spill_elevation: d.spill_height,
                    bottom_elevation: d.spill_height - d.depth,
                    area_m2: d.area(),
                    volume_m3: d.volume(),
                    terrace_radius: d.terrace_radius,
                    terrace_blend: d.terrace_blend,
                }
            })
            .collect();
        let buildings = self
            .buildings
            .iter()
            .enumerate()
            .map(|(id, b)| BuildingTruth {
                id,
                footprint: self.footprint(b),
                base_elevation: b.base,
                roof_elevation: b.top,
            })
            .collect();
        use crate::scene::Material as M;
        let materials =
            [M::Asphalt, M::Marking, M::Kerb, M::Sidewalk, M::Grass, M::Wall, M::Roof, M::Crown, M::Trunk, M::Pothole]
                .map(|m| (m as u8, m.name()))
                .to_vec();
        Truth {
            schema: "zwilling-synth-truth/1",
            params: p.clone(),
            epsg: 25832,
            vertical_epsg: 7837,
            surface: SurfaceTruth {
                corridor_blend: crate::scene::CORRIDOR_BLEND,
                roughness: self.roughness.clone(),
                rut_depths_m: self.ruts.depths.clone(),
            },
            lanes,
            potholes,
            depressions,
            buildings,
            tree_count: self.trees.len(),
            crack_count: self.cracks.len(),
            materials,
        }
    }

    /// World footprint of a building, counter-clockwise.
    pub fn footprint(&self, b: &crate::features::Building) -> Vec<[f64; 2]> {
        [(b.s0, b.t0), (b.s1, b.t0), (b.s1, b.t1), (b.s0, b.t1)]
            .map(|(s, t)| {
                let (x, y) = self.frame.to_world(s, t);
                [x, y]
            })
            .to_vec()
    }
}
