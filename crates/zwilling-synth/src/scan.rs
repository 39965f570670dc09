//! The mobile-mapping scan: a 2D profiler rotating in the vertical plane perpendicular to the
//! road, cast against the analytic scene.
//!
//! The scanner sits `sensor_height` above the centre of lane 1 and moves at `speed`; each
//! rotation (`line_rate` per second) is one scan line at station `sᵢ = i·speed/line_rate`
//! (the line is planar: motion during the rotation is ignored for the geometry, the GPS time of a
//! pulse is `t(sᵢ) + θ/360°/line_rate` with θ the rotation angle from nadir over the left side).
//! Pulses leave every `angle_step_deg`, so point spacing grows with range.
//!
//! Ray casting, per line: the cross-section of the bare earth plus building boxes (a 2D
//! "skyline", walls and kerbs and pothole walls as vertical segments) is sampled densely (1 cm on
//! the road, 3 cm to 15 m, 8 cm beyond) and swept once per side: the first crossing of a ray with
//! the skyline moves outward monotonically with the angle from nadir, so the sweep is linear in
//! pulses + samples. A ground hit is then moved onto the exact surface: `z = ground(s, t_hit)`.
//! Tree crowns (ellipsoids) and trunks (cylinders) are intersected analytically; a crown hit is
//! semi-transparent: with probability ½ the pulse also returns from the surface behind
//! (return 2 of 2). Finally each coordinate gets independent Gaussian noise `N(0, noise_sigma²)`.

use crate::features::{Building, Tree};
use crate::rng::{stream, Stream};
use crate::scene::{CrossSection, Material, Scene};
use rayon::prelude::*;
use zwilling_core::{PointBlock, PointLayout, Result, TrajectoryPoint};

/// Scan lines per generated chunk (the unit of parallel work and of random streams).
pub const LINES_PER_CHUNK: u64 = 200;

/// What a generation run produced.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScanStats {
    /// Points.
    pub points: u64,
    /// Scan lines.
    pub lines: u64,
    /// Chunks.
    pub chunks: u64,
}

#[derive(Clone, Copy)]
struct Knot {
    t: f64,
    z: f64,
    face: u8, // material of the vertical segment this knot belongs to, 0 if none
}

struct Hit {
    t: f64,
    z: f64,
    mat: Material,
    ret: u8,
    nret: u8,
    theta: f64,
    range: f64,
    cos_inc: f64,
    colour: [u8; 3],
}

/// Point data record format of the scene's points (LAS 1.4 format 7: GPS time and RGB).
pub fn point_layout() -> PointLayout {
    PointLayout::for_format(7, 0).expect("format 7 exists")
}

impl Scene {
    /// Number of chunks of [`LINES_PER_CHUNK`] scan lines.
    pub fn chunk_count(&self) -> u64 {
        self.params.line_count().div_ceil(LINES_PER_CHUNK)
    }

    /// The vehicle trajectory at `trajectory_rate`: the scanner position above the centre of
    /// lane 1 (`lane_reference_height + sensor_height`), heading of the road, pitch
    /// `atan(longitudinal_grade)`, roll `atan(cross_slope)` (lane 1 falls to the right).
    pub fn trajectory(&self) -> Vec<TrajectoryPoint> {
        let p = &self.params;
        let n = (p.length / p.speed * p.trajectory_rate).floor() as u64 + 1;
        (0..n)
            .map(|i| {
                let s = i as f64 * p.speed / p.trajectory_rate;
                let (x, y) = self.frame.to_world(s, p.lane1_center());
                TrajectoryPoint {
                    time: p.start_time + s / p.speed,
                    x,
                    y,
                    z: self.lane_reference_height(s) + p.sensor_height,
                    heading: p.heading_deg,
                    pitch: p.longitudinal_grade.atan().to_degrees(),
                    roll: p.cross_slope.atan().to_degrees(),
                }
            })
            .collect()
    }

    /// Generates all points chunk by chunk, in parallel (rayon) but handed to `sink` in chunk
    /// order; memory holds only a few chunks at a time. Same parameters → same blocks at any
    /// thread count.
    pub fn generate_points(&self, mut sink: impl FnMut(PointBlock) -> Result<()>) -> Result<ScanStats> {
        let n = self.chunk_count();
        let batch = (rayon::current_num_threads() * 2).max(2) as u64;
        let mut stats = ScanStats { lines: self.params.line_count(), chunks: n, points: 0 };
        let mut c = 0;
        while c < n {
            let hi = (c + batch).min(n);
            let blocks: Vec<PointBlock> = (c..hi).into_par_iter().map(|k| self.generate_chunk(k)).collect();
            for b in blocks {
                stats.points += b.len() as u64;
                sink(b)?;
            }
            c = hi;
        }
        Ok(stats)
    }

    /// The points of chunk `k` (scan lines `k·LINES_PER_CHUNK ..`, then the roof points of the
    /// buildings whose centre falls in the chunk's stations).
    pub fn generate_chunk(&self, k: u64) -> PointBlock {
        let p = &self.params;
        let lines = k * LINES_PER_CHUNK..((k + 1) * LINES_PER_CHUNK).min(p.line_count());
        let mut rng = Stream::new(p.seed, stream::SCAN, k);
        let mut block = PointBlock::with_capacity(point_layout(), lines.clone().count() * 700);
        for i in lines {
            self.scan_line(i, &mut rng, &mut block);
        }
        if p.roof_points {
            self.roof_points(k, &mut block);
        }
        block
    }

    fn scan_line(&self, i: u64, rng: &mut Stream, block: &mut PointBlock) {
        let p = &self.params;
        let s = p.line_station(i);
        let time0 = p.start_time + s / p.speed;
        let cs = CrossSection::new(self, s);
        let t0 = p.lane1_center();
        let z0 = self.lane_reference_height(s) + p.sensor_height;
        let lo = self.buildings.partition_point(|b| b.s1 < s - 40.0);
        let blds: Vec<&Building> =
            self.buildings[lo..].iter().take_while(|b| b.s0 <= s).filter(|b| b.s0 <= s && s <= b.s1).collect();
        let trees: Vec<&Tree> = Scene::near(&self.trees, s, |t| (t.s, t.crown_radius.max(t.trunk_radius))).collect();
        let knots = skyline(&cs, &blds, t0, p.max_range);
        let i0 = knots.partition_point(|k| k.t < t0);
        let step = p.angle_step_deg.to_radians();
        let n_half = (180.0 / p.angle_step_deg).round() as usize;
        let mut hits: Vec<Hit> = Vec::with_capacity(n_half * 2);
        for side in [1.0f64, -1.0] {
            let count = if side > 0.0 { knots.len() - i0 } else { i0 + 1 };
            let at = |j: usize| if side > 0.0 { knots[i0 + j] } else { knots[i0 - j] };
            let uw = |k: Knot| (side * (k.t - t0), k.z - z0);
            // suffix maximum of the angle from nadir of the knots
            let mut sufmax = vec![f64::MIN; count + 1];
            for j in (0..count).rev() {
                let (u, w) = uw(at(j));
                sufmax[j] = sufmax[j + 1].max(u.max(0.0).atan2(-w));
            }
            let first = hits.len();
            let mut ptr = 0usize;
            let mut exhausted = count < 2;
            for k in 0..n_half {
                let alpha = (k as f64 + 0.5) * step;
                let (sa, ca) = alpha.sin_cos();
                let g = |kn: Knot| {
                    let (u, w) = uw(kn);
                    sa * w + ca * u
                };
                let mut ground: Option<Hit> = None;
                if !exhausted && sufmax[ptr + 1] < alpha {
                    exhausted = true;
                }
                if !exhausted {
                    while ptr + 1 < count && g(at(ptr + 1)) < 0.0 {
                        ptr += 1;
                    }
                    if ptr + 1 >= count {
                        exhausted = true;
                    } else {
                        let (a, b) = (at(ptr), at(ptr + 1));
                        let (g0, g1) = (g(a), g(b));
                        let tau = if g0 < 0.0 { g0 / (g0 - g1) } else { 0.0 };
                        let (ua, wa) = uw(a);
                        let (ub, wb) = uw(b);
                        let (u, w) = (ua + tau * (ub - ua), wa + tau * (wb - wa));
                        let range = u.hypot(w);
                        if u > p.max_range {
                            exhausted = true;
                        } else if range <= p.max_range {
                            let t = t0 + side * u;
                            let vertical = a.t == b.t;
                            let (z, mat) = if vertical {
                                (z0 + w, face_material(a.face.max(b.face)))
                            } else if blds.iter().any(|bl| t > bl.t0 && t < bl.t1) {
                                (z0 + w, Material::Roof)
                            } else {
                                (cs.ground(t), cs.material(t))
                            };
                            let colour = if mat == Material::Wall {
                                blds.iter()
                                    .find(|bl| (t - bl.t0).abs() < 1e-6 || (t - bl.t1).abs() < 1e-6)
                                    .map_or([200; 3], |bl| bl.colour)
                            } else {
                                [0; 3]
                            };
                            let cos_inc = if vertical { sa } else { ca.abs() };
                            ground = Some(Hit { t, z, mat, ret: 1, nret: 1, theta: 0.0, range, cos_inc, colour });
                        }
                    }
                }
                let tree = tree_hit(&trees, s, t0, z0, side * sa, -ca);
                let theta = if side > 0.0 { alpha } else { std::f64::consts::TAU - alpha }.to_degrees();
                match (tree, ground) {
                    (Some((lam, mat)), g) if lam <= p.max_range && g.as_ref().is_none_or(|g| lam < g.range) => {
                        let second = mat == Material::Crown && g.is_some() && rng.chance(0.5);
                        let nret = if second { 2 } else { 1 };
                        let (t, z) = (t0 + side * sa * lam, z0 - ca * lam);
                        let cos_inc = 0.5 + 0.5 * rng.uniform();
                        hits.push(Hit { t, z, mat, ret: 1, nret, theta, range: lam, cos_inc, colour: [0; 3] });
                        if let (true, Some(mut g)) = (second, g) {
                            g.ret = 2;
                            g.nret = 2;
                            g.theta = theta;
                            hits.push(g);
                        }
                    }
                    (_, Some(mut g)) => {
                        g.theta = theta;
                        hits.push(g);
                    }
                    _ => {}
                }
            }
            if side < 0.0 {
                hits[first..].reverse();
                // keep returns of a pulse in order after reversing
                let mut j = first;
                while j + 1 < hits.len() {
                    if hits[j].ret == 2 && hits[j + 1].ret == 1 && hits[j].theta == hits[j + 1].theta {
                        hits.swap(j, j + 1);
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
            }
        }
        for h in &hits {
            let (x, y) = self.frame.to_world(s, h.t);
            let sig = p.noise_sigma;
            let (nx, ny, nz) = (rng.normal() * sig, rng.normal() * sig, rng.normal() * sig);
            let base = intensity_of(h.mat);
            let i = base * (0.55 + 0.45 * h.cos_inc) / (1.0 + h.range / 80.0) * (1.0 + 0.04 * rng.normal());
            block.push_xyz(x + nx, y + ny, h.z + nz, h.mat.class());
            let n = block.len() - 1;
            block.intensity[n] = i.clamp(0.0, 65535.0) as u16;
            block.return_number[n] = h.ret;
            block.number_of_returns[n] = h.nret;
            block.scan_angle[n] = if h.theta <= 180.0 { h.theta } else { h.theta - 360.0 } as f32;
            block.user_data[n] = h.mat as u8;
            block.point_source_id[n] = 1;
            block.gps_time[n] = time0 + h.theta / 360.0 / p.line_rate;
            let c = colour_of(h.mat, h.colour, rng);
            block.rgb[n] = c.map(|v| u16::from(v) * 257);
        }
    }

    fn roof_points(&self, k: u64, block: &mut PointBlock) {
        let p = &self.params;
        let ds = p.speed / p.line_rate * LINES_PER_CHUNK as f64;
        let (sa, sb) = (k as f64 * ds, (k + 1) as f64 * ds);
        let mut rng = Stream::new(p.seed, stream::ROOF, k);
        let spacing = 0.35;
        for b in &self.buildings {
            let sc = 0.5 * (b.s0 + b.s1);
            if sc < sa || sc >= sb {
                continue;
            }
            let time = p.start_time + sc / p.speed;
            let (ni, nj) = (((b.s1 - b.s0) / spacing) as usize, ((b.t1 - b.t0) / spacing) as usize);
            for i in 0..ni {
                for j in 0..nj {
                    let s = b.s0 + (i as f64 + 0.5 + 0.3 * rng.range(-1.0, 1.0)) * spacing;
                    let t = b.t0 + (j as f64 + 0.5 + 0.3 * rng.range(-1.0, 1.0)) * spacing;
                    let (x, y) = self.frame.to_world(s, t);
                    let sig = p.noise_sigma;
                    block.push_xyz(x + sig * rng.normal(), y + sig * rng.normal(), b.top + sig * rng.normal(), 6);
                    let n = block.len() - 1;
                    block.intensity[n] = (intensity_of(Material::Roof) * (1.0 + 0.04 * rng.normal())) as u16;
                    block.flags[n] = 1 << zwilling_core::points::flag::SCANNER_CHANNEL_SHIFT;
                    block.user_data[n] = Material::Roof as u8;
                    block.point_source_id[n] = 2;
                    block.gps_time[n] = time;
                    block.rgb[n] = colour_of(Material::Roof, [0; 3], &mut rng).map(|v| u16::from(v) * 257);
                }
            }
        }
    }
}

fn face_material(code: u8) -> Material {
    match code {
        6 => Material::Wall,
        10 => Material::Pothole,
        _ => Material::Kerb,
    }
}

/// The dense 2D skyline (bare earth + building boxes) across the road at one station, ascending
/// in `t`, with doubled knots at jumps.
fn skyline(cs: &CrossSection, blds: &[&Building], t0: f64, max_range: f64) -> Vec<Knot> {
    let p_hw = cs.half_width();
    let dsm = |t: f64| {
        for b in blds {
            if t > b.t0 && t < b.t1 {
                return b.top;
            }
        }
        cs.ground(t)
    };
    let mut breaks: Vec<(f64, u8)> = cs.breakpoints().into_iter().map(|(b, m)| (b, m as u8)).collect();
    for b in blds {
        breaks.push((b.t0, 6));
        breaks.push((b.t1, 6));
    }
    breaks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (lo, hi) = (t0 - max_range - 0.5, t0 + max_range + 0.5);
    let spacing = |t: f64| {
        let a = t.abs();
        if a <= p_hw + 2.6 {
            0.01
        } else if a <= 15.0 {
            0.03
        } else {
            0.08
        }
    };
    let mut knots = Vec::with_capacity(4000);
    let mut t = lo;
    let mut bi = breaks.partition_point(|b| b.0 < lo);
    let mut t0_done = false;
    while t <= hi {
        while bi < breaks.len() && breaks[bi].0 <= t {
            let (b, face) = breaks[bi];
            let eps = 1e-7;
            knots.push(Knot { t: b, z: dsm(b - eps), face });
            knots.push(Knot { t: b, z: dsm(b + eps), face });
            bi += 1;
        }
        if !t0_done && t >= t0 {
            knots.push(Knot { t: t0, z: dsm(t0), face: 0 });
            t0_done = true;
        }
        if knots.last().is_none_or(|k| k.t < t) {
            knots.push(Knot { t, z: dsm(t), face: 0 });
        }
        t += spacing(t);
    }
    knots
}

/// The nearest tree hit of a ray from `(t0, z0)` in direction `(dt, dz)` (unit) in the plane
/// at station `s`: `(distance, material)`.
fn tree_hit(trees: &[&Tree], s: f64, t0: f64, z0: f64, dt: f64, dz: f64) -> Option<(f64, Material)> {
    let mut best: Option<(f64, Material)> = None;
    for tr in trees {
        let q = 1.0 - ((s - tr.s) / tr.crown_radius).powi(2);
        if q > 0.0 {
            let (a, b) = (tr.crown_radius * q.sqrt(), tr.crown_half_height * q.sqrt());
            // ((t0 + λdt − tc)/a)² + ((z0 + λdz − zc)/b)² = 1
            let (ot, oz) = ((t0 - tr.t) / a, (z0 - tr.crown_z) / b);
            let (vt, vz) = (dt / a, dz / b);
            let qa = vt * vt + vz * vz;
            let qb = 2.0 * (ot * vt + oz * vz);
            let qc = ot * ot + oz * oz - 1.0;
            let disc = qb * qb - 4.0 * qa * qc;
            if disc >= 0.0 {
                let lam = (-qb - disc.sqrt()) / (2.0 * qa);
                if lam > 0.0 && best.is_none_or(|b| lam < b.0) {
                    best = Some((lam, Material::Crown));
                }
            }
        }
        let ds = s - tr.s;
        let r2 = tr.trunk_radius * tr.trunk_radius - ds * ds;
        if r2 > 0.0 && dt.abs() > 1e-12 {
            let half = r2.sqrt();
            let face = if dt > 0.0 { tr.t - half } else { tr.t + half };
            let lam = (face - t0) / dt;
            let top = tr.crown_z - 0.5 * tr.crown_half_height;
            if lam > 0.0 && z0 + lam * dz <= top && best.is_none_or(|b| lam < b.0) {
                best = Some((lam, Material::Trunk));
            }
        }
    }
    best
}

/// Base intensity of a material (16-bit scale).
pub fn intensity_of(m: Material) -> f64 {
    match m {
        Material::Asphalt => 9_000.0,
        Material::Marking => 42_000.0,
        Material::Kerb => 20_000.0,
        Material::Sidewalk => 16_000.0,
        Material::Grass => 12_000.0,
        Material::Wall => 22_000.0,
        Material::Roof => 18_000.0,
        Material::Crown => 8_000.0,
        Material::Trunk => 10_000.0,
        Material::Pothole => 6_500.0,
    }
}

fn colour_of(m: Material, wall: [u8; 3], rng: &mut Stream) -> [u8; 3] {
    let base = match m {
        Material::Asphalt => [72, 72, 75],
        Material::Marking => [235, 235, 230],
        Material::Kerb => [170, 168, 165],
        Material::Sidewalk => [150, 145, 140],
        Material::Grass => [86, 128, 60],
        Material::Wall => wall,
        Material::Roof => [150, 70, 55],
        Material::Crown => [60, 105, 45],
        Material::Trunk => [95, 75, 55],
        Material::Pothole => [45, 43, 42],
    };
    let n = rng.range(-8.0, 8.0);
    base.map(|v| (f64::from(v) + n).clamp(0.0, 255.0) as u8)
}

impl Scene {
    /// An estimate of the number of points [`Scene::generate_points`] will produce, from 64 scan
    /// lines spread along the road (for `--points N`).
    pub fn estimate_points(&self) -> u64 {
        let p = &self.params;
        let n = p.line_count();
        let samples = 64.min(n);
        let mut rng = Stream::new(p.seed, stream::SCAN, u64::MAX);
        let mut block = PointBlock::with_capacity(point_layout(), 0);
        for k in 0..samples {
            self.scan_line(k * n / samples, &mut rng, &mut block);
        }
        let roofs: f64 = if p.roof_points {
            self.buildings.iter().map(|b| (b.s1 - b.s0) * (b.t1 - b.t0) / (0.35 * 0.35)).sum()
        } else {
            0.0
        };
        (block.len() as f64 / samples as f64 * n as f64 + roofs) as u64
    }
}
