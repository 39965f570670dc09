//! The scene: layout of all objects and the exact bare-earth surface.
//!
//! Cross-section of the road (road frame, `t` to the left, `hw` = lane width = half carriageway):
//!
//! - carriageway `|t| ≤ hw`: crowned, `z = z_c(s) − q·|t| + R(s) − ruts − potholes` with crown
//!   height `z_c(s) = z₀ + g_s·s`, cross slope `q` (2.5 %) falling to both kerbs and the roughness
//!   profile `R(s)` ([`crate::roughness`]);
//! - kerb: a vertical step of `kerb_height` at `|t| = hw`;
//! - sidewalk `hw < |t| ≤ hw + w_s`: `z_c − q·hw + R + kerb + 0.02·(|t| − hw)`;
//! - terrain beyond: the plane `P = z₀ + g_s·s + g_t·t`, raised or lowered to meet the sidewalk
//!   edge with a half-cosine blend over [`CORRIDOR_BLEND`] m, then level terraces with cosine
//!   bowls ([`Depression`]).
//!
//! Every piece is monotone away from the road and along it (the roughness slope stays below the
//! grade), so the only closed depressions are the bowls, the potholes and the ruts.

use crate::cracks::{section_cracks, Crack};
use crate::features::{rut_profile, Building, Depression, Pothole, Ruts, Tree, SECTION};
use crate::params::SceneParams;
use crate::rng::{stream, Stream};
use crate::roughness::Roughness;
use crate::RoadFrame;
use std::f64::consts::PI;
use zwilling_core::{CrsInfo, Result};

/// Width of the blend between sidewalk edge and terrain plane (m).
pub const CORRIDOR_BLEND: f64 = 5.0;
/// Length of a layout block (m).
pub const BLOCK: f64 = 100.0;

/// What a surface point is made of (stored in the LAS user data byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Material {
    /// Asphalt of the carriageway.
    Asphalt = 1,
    /// Road marking paint.
    Marking = 2,
    /// Kerb (face and 15 cm top strip).
    Kerb = 3,
    /// Sidewalk.
    Sidewalk = 4,
    /// Open ground (grass).
    Grass = 5,
    /// Building wall.
    Wall = 6,
    /// Building roof.
    Roof = 7,
    /// Tree crown.
    Crown = 8,
    /// Tree trunk.
    Trunk = 9,
    /// Floor and walls of a pothole.
    Pothole = 10,
}

impl Material {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Material::Asphalt => "asphalt",
            Material::Marking => "marking",
            Material::Kerb => "kerb",
            Material::Sidewalk => "sidewalk",
            Material::Grass => "grass",
            Material::Wall => "wall",
            Material::Roof => "roof",
            Material::Crown => "crown",
            Material::Trunk => "trunk",
            Material::Pothole => "pothole",
        }
    }

    /// The ASPRS class of a material: ground 2 for every bare-earth surface (road included),
    /// building 6, high vegetation 5.
    pub fn class(self) -> u8 {
        use zwilling_core::class;
        match self {
            Material::Wall | Material::Roof => class::BUILDING,
            Material::Crown | Material::Trunk => class::HIGH_VEGETATION,
            _ => class::GROUND,
        }
    }
}

/// The CRS of every output: ETRS89 / UTM 32N + DHHN2016 height, with an OGC WKT 1 string.
pub fn scene_crs() -> CrsInfo {
    CrsInfo { epsg: Some(25832), vertical_epsg: Some(7837), wkt: Some(WKT.to_string()) }
}

const WKT: &str = concat!(
    r#"COMPD_CS["ETRS89 / UTM zone 32N + DHHN2016 height","#,
    r#"PROJCS["ETRS89 / UTM zone 32N",GEOGCS["ETRS89",DATUM["European_Terrestrial_Reference_System_1989","#,
    r#"SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],TOWGS84[0,0,0,0,0,0,0],"#,
    r#"AUTHORITY["EPSG","6258"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],"#,
    r#"UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4258"]],"#,
    r#"PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",9],"#,
    r#"PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],"#,
    r#"UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],"#,
    r#"AUTHORITY["EPSG","25832"]],VERT_CS["DHHN2016 height",VERT_DATUM["Deutsches Haupthoehennetz 2016",2005,"#,
    r#"AUTHORITY["EPSG","1170"]],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Gravity-related height",UP],"#,
    r#"AUTHORITY["EPSG","7837"]]]"#
);

/// A synthetic drive-through scene with known truth. See the crate documentation.
#[derive(Debug, Clone)]
pub struct Scene {
    /// The parameters it was built from.
    pub params: SceneParams,
    /// Road frame.
    pub frame: RoadFrame,
    /// Longitudinal roughness profile.
    pub roughness: Roughness,
    /// Design rut depths.
    pub ruts: Ruts,
    /// Potholes, sorted by station.
    pub potholes: Vec<Pothole>,
    /// Closed depressions (bowls on terraces), sorted by station.
    pub depressions: Vec<Depression>,
    /// Buildings, sorted by first station.
    pub buildings: Vec<Building>,
    /// Trees, sorted by station.
    pub trees: Vec<Tree>,
    /// Cracks in lane 1, section by section.
    pub cracks: Vec<Crack>,
    /// Index of the cracks of each 10 m section into `cracks`.
    pub crack_sections: Vec<std::ops::Range<usize>>,
}

impl Scene {
    /// Builds the scene (layout and truth; points and images are generated on demand).
    pub fn new(params: SceneParams) -> Result<Scene> {
        params.validate()?;
        let p = &params;
        let frame = RoadFrame::new(p.origin_x, p.origin_y, p.heading_deg);
        let roughness = Roughness::new(p.seed, p.length);
        let n_sec = (p.length / SECTION).ceil() as usize;
        let n_blocks = (p.length / BLOCK).ceil() as usize;
        let hw = p.lane_width;
        // ruts and potholes
        let mut depths = Vec::with_capacity(n_sec);
        let mut potholes = Vec::new();
        for b in 0..n_blocks {
            let mut r = Stream::new(p.seed, stream::RUTS, b as u64);
            let level: Vec<(f64, f64)> = (0..2).map(|_| (r.range(0.003, 0.030), r.range(0.5, 0.9))).collect();
            for _ in b * 10..((b + 1) * 10).min(n_sec) {
                let mut d = [[0.0; 2]; 2];
                for lane in 0..2 {
                    let (outer, f) = level[lane];
                    d[lane][1] = (outer + r.range(-0.003, 0.003)).max(0.0);
                    d[lane][0] = (outer * f + r.range(-0.003, 0.003)).max(0.0);
                }
                depths.push(d);
            }
            let mut r = Stream::new(p.seed, stream::POTHOLES, b as u64);
            let full: Vec<usize> = (b * 10..(b + 1) * 10).filter(|&k| (k + 1) as f64 * SECTION <= p.length).collect();
            let mut used = Vec::new();
            for (lane, count) in [(0usize, 2usize), (1, 1)] {
                for _ in 0..count {
                    if used.len() >= full.len() {
                        break;
                    }
                    let k = loop {
                        let k = full[r.index(full.len())];
                        if !used.contains(&k) {
                            break k;
                        }
                    };
                    used.push(k);
                    let wall = r.range(0.012, 0.045);
                    let centre = if lane == 0 { -hw / 2.0 } else { hw / 2.0 };
                    potholes.push(Pothole {
                        s: k as f64 * SECTION + r.range(2.5, 7.5),
                        t: centre + r.range(-0.05, 0.05),
                        radius: r.range(0.1, 0.3),
                        wall_depth: wall,
                        depth: wall + r.range(0.004, 0.03),
                    });
                }
            }
        }
        potholes.sort_by(|a, b| a.s.total_cmp(&b.s));
        // cracks
        let mut cracks = Vec::new();
        let mut crack_sections = Vec::with_capacity(n_sec);
        for k in 0..n_sec {
            let start = cracks.len();
            cracks.extend(section_cracks(p.seed, k as u64, hw, p.length));
            crack_sections.push(start..cracks.len());
        }
        let mut scene = Scene {
            params: params.clone(),
            frame,
            roughness,
            ruts: Ruts { depths },
            potholes,
            depressions: Vec::new(),
            buildings: Vec::new(),
            trees: Vec::new(),
            cracks,
            crack_sections,
        };
        scene.layout_blocks(n_blocks);
        Ok(scene)
    }

    fn layout_blocks(&mut self, n_blocks: usize) {
        let p = self.params.clone();
        let corridor = p.lane_width + p.sidewalk_width + CORRIDOR_BLEND;
        let mut houses = Vec::new(); // (side, s0, s1, a_front, depth, height, colour)
        let mut tree_spots = Vec::new(); // (s, t)
        for b in 0..n_blocks {
            let mut r = Stream::new(p.seed, stream::BLOCK, b as u64);
            let bs = b as f64 * BLOCK;
            let be = (bs + BLOCK).min(p.length);
            for side in [-1.0f64, 1.0] {
                let park = (b + usize::from(side < 0.0)) % 2 == 0;
                if park {
                    let radius = r.range(4.0, 6.0);
                    let depth = r.range(0.15, 0.05 * radius);
                    let terrace_radius = radius + 1.5;
                    let terrace_blend = 4.0;
                    let ext = terrace_radius + terrace_blend;
                    let s = bs + r.range(35.0, 65.0);
                    let t = side * (corridor + ext + 0.5 + r.range(0.0, 2.0));
                    if s - ext >= 0.0 && s + ext <= p.length {
                        let spill_height = p.base_height + p.longitudinal_grade * s + p.lateral_grade * t;
                        self.depressions.push(Depression {
                            s,
                            t,
                            radius,
                            depth,
                            terrace_radius,
                            terrace_blend,
                            spill_height,
                        });
                    }
                    for _ in 0..3 {
                        let dir = if r.chance(0.5) { 1.0 } else { -1.0 };
                        let ts = s + dir * r.range(ext + 4.0, 40.0);
                        let tt = side * r.range(12.0, 28.0);
                        if ts > bs + 2.0 && ts < be - 2.0 {
                            tree_spots.push((ts, tt));
                        }
                    }
                } else {
                    let mut s = bs + r.range(2.0, 6.0);
                    loop {
                        let w = r.range(12.0, 22.0);
                        if s + w > be - 1.0 {
                            break;
                        }
                        let front = r.range(9.0, 12.0);
                        let depth = r.range(8.0, 14.0);
                        let height = r.range(6.0, 16.0);
                        let c = [r.range(150.0, 235.0) as u8, r.range(120.0, 210.0) as u8, r.range(100.0, 190.0) as u8];
                        houses.push((side, s, s + w, front, depth, height, c));
                        s += w + r.range(4.0, 10.0);
                    }
                    let mut s = bs + r.range(3.0, 10.0);
                    while s < be - 2.0 {
                        tree_spots.push((s, side * (p.lane_width + p.sidewalk_width + 1.2 + r.range(-0.2, 0.2))));
                        s += r.range(12.0, 18.0);
                    }
                }
            }
        }
        self.depressions.sort_by(|a, b| a.s.total_cmp(&b.s));
        for (side, s0, s1, front, depth, height, colour) in houses {
            let (t0, t1) = if side < 0.0 { (-front - depth, -front) } else { (front, front + depth) };
            let corners = [(s0, t0), (s0, t1), (s1, t0), (s1, t1)].map(|(s, t)| self.ground_sf(s, t));
            let lo = corners.iter().cloned().fold(f64::MAX, f64::min);
            let hi = corners.iter().cloned().fold(f64::MIN, f64::max);
            self.buildings.push(Building { s0, s1, t0, t1, base: lo - 0.3, top: hi + height, colour });
        }
        self.buildings.sort_by(|a, b| a.s0.total_cmp(&b.s0));
        for (i, (s, t)) in tree_spots.into_iter().enumerate() {
            let mut r = Stream::new(p.seed, stream::BLOCK, 1_000_000 + i as u64);
            let g = self.ground_sf(s, t);
            let crown_half_height = r.range(2.0, 3.0);
            self.trees.push(Tree {
                s,
                t,
                crown_z: g + crown_half_height + r.range(2.5, 3.5),
                crown_radius: r.range(1.8, 3.0),
                crown_half_height,
                trunk_radius: r.range(0.12, 0.2),
            });
        }
        self.trees.sort_by(|a, b| a.s.total_cmp(&b.s));
    }

    /// The bare-earth height (road, kerbs, sidewalks, terrain; not buildings or trees) at a world
    /// position.
    pub fn ground_height(&self, x: f64, y: f64) -> f64 {
        let (s, t) = self.frame.to_frame(x, y);
        self.ground_sf(s, t)
    }

    /// The road surface height (carriageway only, ruts and potholes included) at a world
    /// position, `None` off the carriageway.
    pub fn road_surface(&self, x: f64, y: f64) -> Option<f64> {
        let (s, t) = self.frame.to_frame(x, y);
        (t.abs() <= self.params.lane_width).then(|| self.ground_sf(s, t))
    }

    /// Bare-earth height at station `s`, offset `t`.
    pub fn ground_sf(&self, s: f64, t: f64) -> f64 {
        CrossSection::new(self, s).ground(t)
    }

    /// Material of the bare earth at station `s`, offset `t`.
    pub fn material_sf(&self, s: f64, t: f64) -> Material {
        CrossSection::new(self, s).material(t)
    }

    /// The smooth road height at the centre of lane 1 (no roughness, ruts or potholes): what the
    /// vehicle's suspension follows.
    pub fn lane_reference_height(&self, s: f64) -> f64 {
        let p = &self.params;
        p.base_height + p.longitudinal_grade * s - p.cross_slope * p.lane_width / 2.0
    }

    /// Offset of wheel path `wheel` (0 inner, 1 outer) of lane `lane` (0 = lane 1, right).
    pub fn wheel_offset(&self, lane: usize, wheel: usize) -> f64 {
        let p = &self.params;
        let sign = if lane == 0 { -1.0 } else { 1.0 };
        sign * (p.lane_width / 2.0 + if wheel == 0 { -p.wheel_offset } else { p.wheel_offset })
    }

    /// Indices of the items of a station-sorted list whose extent `[s − e, s + e]` covers `s`.
    pub(crate) fn near<T>(items: &[T], s: f64, key: impl Fn(&T) -> (f64, f64) + Copy) -> impl Iterator<Item = &T> {
        // items sorted by centre station; extents are small, so scan from a lower bound
        let max_ext = 40.0;
        let lo = items.partition_point(|it| key(it).0 < s - max_ext);
        items[lo..].iter().take_while(move |it| key(it).0 <= s + max_ext).filter(move |it| {
            let (c, e) = key(it);
            (s - c).abs() <= e
        })
    }
}

/// Everything that depends only on the station, cached for evaluating a cross-section quickly.
pub struct CrossSection<'a> {
    scene: &'a Scene,
    /// Station.
    pub s: f64,
    zc: f64,
    rough: f64,
    rut: [[f64; 2]; 2],
    /// Potholes cut by this cross-section.
    pub potholes: Vec<&'a Pothole>,
    depressions: Vec<&'a Depression>,
}

impl<'a> CrossSection<'a> {
    /// The cross-section at station `s`.
    pub fn new(scene: &'a Scene, s: f64) -> Self {
        let p = &scene.params;
        let mut rut = [[0.0; 2]; 2];
        for (lane, r) in rut.iter_mut().enumerate() {
            for (wheel, v) in r.iter_mut().enumerate() {
                *v = scene.ruts.depth(lane, wheel, s);
            }
        }
        CrossSection {
            scene,
            s,
            zc: p.base_height + p.longitudinal_grade * s,
            rough: scene.roughness.height(s),
            rut,
            potholes: Scene::near(&scene.potholes, s, |h| (h.s, h.radius)).collect(),
            depressions: Scene::near(&scene.depressions, s, |d| (d.s, d.extent())).collect(),
        }
    }

    /// Half-width of the pothole `h` at this station (0 if not cut).
    pub fn pothole_half_chord(&self, h: &Pothole) -> f64 {
        let ds = self.s - h.s;
        (h.radius * h.radius - ds * ds).max(0.0).sqrt()
    }

    /// Half-width of the carriageway (the kerb offset).
    pub fn half_width(&self) -> f64 {
        self.scene.params.lane_width
    }

    /// Bare-earth height at offset `t`.
    pub fn ground(&self, t: f64) -> f64 {
        let p = &self.scene.params;
        let hw = p.lane_width;
        let a = t.abs();
        if a <= hw {
            let lane = usize::from(t >= 0.0);
            let mut z = self.zc - p.cross_slope * a + self.rough;
            for wheel in 0..2 {
                let wt = self.scene.wheel_offset(lane, wheel);
                z -= rut_profile(p.rut_shape, self.rut[lane][wheel], p.rut_half_width, t - wt);
            }
            for h in &self.potholes {
                let (ds, dt) = (self.s - h.s, t - h.t);
                z -= h.depth_at_r2(ds * ds + dt * dt);
            }
            z
        } else if a <= hw + p.sidewalk_width {
            self.zc - p.cross_slope * hw + self.rough + p.kerb_height + 0.02 * (a - hw)
        } else {
            let a0 = hw + p.sidewalk_width;
            let sign = t.signum();
            let plane = self.zc + p.lateral_grade * t;
            let edge = self.zc - p.cross_slope * hw + self.rough + p.kerb_height + 0.02 * p.sidewalk_width;
            let plane_edge = self.zc + p.lateral_grade * sign * a0;
            let b = if a >= a0 + CORRIDOR_BLEND { 0.0 } else { 0.5 * (1.0 + (PI * (a - a0) / CORRIDOR_BLEND).cos()) };
            let mut z = plane + (edge - plane_edge) * b;
            for d in &self.depressions {
                let r = (self.s - d.s).hypot(t - d.t);
                let w = d.terrace_weight(r);
                if w > 0.0 {
                    z += w * (d.spill_height - z);
                }
                z -= d.bowl_depth(r);
            }
            z
        }
    }

    /// Material of the bare earth at offset `t`.
    pub fn material(&self, t: f64) -> Material {
        let p = &self.scene.params;
        let hw = p.lane_width;
        let a = t.abs();
        if a <= hw {
            for h in &self.potholes {
                let (ds, dt) = (self.s - h.s, t - h.t);
                if ds * ds + dt * dt < h.radius * h.radius {
                    return Material::Pothole;
                }
            }
            if is_marking(self.s, a, hw) {
                Material::Marking
            } else {
                Material::Asphalt
            }
        } else if a <= hw + 0.15 {
            Material::Kerb
        } else if a <= hw + p.sidewalk_width {
            Material::Sidewalk
        } else {
            Material::Grass
        }
    }

    /// Offsets where the ground jumps (kerb faces, pothole walls) with the material of the
    /// vertical face, ascending.
    pub fn breakpoints(&self) -> Vec<(f64, Material)> {
        let hw = self.scene.params.lane_width;
        let mut b = vec![(-hw, Material::Kerb), (hw, Material::Kerb)];
        for h in &self.potholes {
            let c = self.pothole_half_chord(h);
            if c > 0.0 {
                b.push((h.t - c, Material::Pothole));
                b.push((h.t + c, Material::Pothole));
            }
        }
        b.sort_by(|a, b| a.0.total_cmp(&b.0));
        b
    }
}

/// Road markings: edge lines 0.12 m wide centred 0.25 m inside each kerb, and a dashed centre
/// line 0.12 m wide (3 m dash, 6 m gap, dashes start at stations 0, 9, 18, ...).
pub fn is_marking(s: f64, a: f64, hw: f64) -> bool {
    (a - (hw - 0.25)).abs() <= 0.06 || (a <= 0.06 && s.rem_euclid(9.0) < 3.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_section_shape() {
        let sc = Scene::new(SceneParams::default()).unwrap();
        let p = &sc.params;
        // crown is the highest point of the carriageway away from ruts/potholes; the kerb steps up
        let s = 333.3;
        let cs = CrossSection::new(&sc, s);
        let gutter = cs.ground(-p.lane_width);
        let kerb_top = cs.ground(-p.lane_width - 1e-9);
        assert!((kerb_top - gutter - p.kerb_height).abs() < 1e-9);
        // cross slope between the ruts: the lane centre lies q·hw/2 below the crown
        let z0 = cs.ground(0.0);
        let zc = cs.ground(-p.lane_width / 2.0);
        if cs.potholes.is_empty() {
            assert!((z0 - zc - p.cross_slope * p.lane_width / 2.0).abs() < 1e-12);
        }
        // terrain far away is the plane
        let far = cs.ground(40.0);
        let expect = p.base_height + p.longitudinal_grade * s + p.lateral_grade * 40.0;
        if cs.depressions.is_empty() {
            assert!((far - expect).abs() < 1e-9);
        }
    }

    #[test]
    fn depressions_sit_on_level_terraces() {
        let sc = Scene::new(SceneParams::default()).unwrap();
        assert!(sc.depressions.len() >= 4, "{}", sc.depressions.len());
        for d in &sc.depressions {
            for k in 0..36 {
                let a = k as f64 * 10f64.to_radians();
                for r in [d.radius, d.radius + 0.7, d.terrace_radius] {
                    let z = sc.ground_sf(d.s + r * a.cos(), d.t + r * a.sin());
                    assert!((z - d.spill_height).abs() < 1e-9);
                }
            }
            let bottom = sc.ground_sf(d.s, d.t);
            assert!((d.spill_height - bottom - d.depth).abs() < 1e-9);
        }
    }
}
