//! Down-looking pavement images of lane 1 with synthetic cracks, and their crack masks.
//!
//! Camera model `ortho`: a nadir orthographic image (rendered from the analytic road surface, no
//! lens distortion) of `width × height` pixels at `gsd` metres per pixel, centred on the centre of
//! lane 1 at station `sᶜ`. Pixel `(c, r)` (0-based, centre at `c + ½, r + ½`) shows the ground at
//! `forward·(H/2 − r − ½)·gsd + right·(c + ½ − W/2)·gsd` from the image centre, `forward` being the
//! heading direction and `right` its clockwise normal (image top = driving direction). Image `i`
//! has `sᶜ = i·spacing + H·gsd/2`, so the images tile lane 1 from station 0.
//!
//! Mask pixels (255) are those whose centre lies within `max(w/2, gsd/√2)` of a crack centre
//! line (`w` the crack width; the floor keeps cracks thinner than a pixel 8-connected).
//! Images are 8-bit grey. The grey value: asphalt ≈ 92 with value noise on a 12 mm lattice (fixed to the ground, so
//! overlapping images agree) and per-pixel grain, markings 215, kerb 175, sidewalk 160, pothole
//! 55; crack pixels ≈ 35, with a one-pixel half-dark fringe.

use crate::rng::{hash3, splitmix64, unit};
use crate::scene::{CrossSection, Material, Scene};
use image::{GrayImage, Luma};

/// Pose of one pavement image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePose {
    /// File name (`img_00000.jpg`).
    pub file: String,
    /// GPS time when the vehicle passed the image centre.
    pub time: f64,
    /// Easting of the image centre.
    pub x: f64,
    /// Northing of the image centre.
    pub y: f64,
    /// Camera height (road surface at the lane centre + camera height).
    pub z: f64,
    /// Heading of the image top, degrees clockwise from north.
    pub heading: f64,
    /// Camera pitch: −90 = looking straight down.
    pub pitch: f64,
    /// Camera roll.
    pub roll: f64,
    /// Camera model: `ortho`.
    pub camera: String,
    /// Ground sample distance (m/pixel).
    pub gsd: f64,
    /// Width (pixels).
    pub width: u32,
    /// Height (pixels).
    pub height: u32,
    /// Station of the image centre.
    pub station: f64,
    /// Offset of the image centre.
    pub offset: f64,
}

impl Scene {
    /// Poses of all pavement images.
    pub fn image_poses(&self) -> Vec<ImagePose> {
        let p = &self.params;
        let along = f64::from(p.image_height) * p.image_gsd;
        if along > p.length {
            return Vec::new();
        }
        let n = ((p.length - along) / p.image_spacing).floor() as usize + 1;
        (0..n)
            .map(|i| {
                let s = i as f64 * p.image_spacing + along / 2.0;
                let t = p.lane1_center();
                let (x, y) = self.frame.to_world(s, t);
                ImagePose {
                    file: format!("img_{i:05}.jpg"),
                    time: p.start_time + s / p.speed,
                    x,
                    y,
                    z: self.lane_reference_height(s) + p.camera_height,
                    heading: p.heading_deg,
                    pitch: -90.0,
                    roll: 0.0,
                    camera: "ortho".into(),
                    gsd: p.image_gsd,
                    width: p.image_width,
                    height: p.image_height,
                    station: s,
                    offset: t,
                }
            })
            .collect()
    }

    /// Road-frame `(s, t)` of the centre of pixel `(col, row)` of an image.
    pub fn pixel_to_frame(&self, pose: &ImagePose, col: f64, row: f64) -> (f64, f64) {
        let g = pose.gsd;
        (
            pose.station + (f64::from(pose.height) / 2.0 - row - 0.5) * g,
            pose.offset - (col + 0.5 - f64::from(pose.width) / 2.0) * g,
        )
    }

    /// Renders one image (8-bit grey) and its crack mask.
    pub fn render_image(&self, pose: &ImagePose) -> (GrayImage, GrayImage) {
        let (w, h) = (pose.width, pose.height);
        let g = pose.gsd;
        let seed = self.params.seed;
        // value-noise lattice covering the image, fixed to the ground
        let (s_hi, t_hi) = self.pixel_to_frame(pose, -1.0, -1.0);
        let (s_lo, t_lo) = self.pixel_to_frame(pose, f64::from(w), f64::from(h));
        let lattice = Lattice::new(seed, s_lo.min(s_hi), t_lo.min(t_hi), s_lo.max(s_hi), t_lo.max(t_hi));
        let mut grey = vec![0.0f32; (w * h) as usize];
        for r in 0..h {
            let (s, _) = self.pixel_to_frame(pose, 0.0, f64::from(r));
            let cs = CrossSection::new(self, s);
            let is = (s / g).round() as i64 as u64;
            for c in 0..w {
                let (_, t) = self.pixel_to_frame(pose, f64::from(c), f64::from(r));
                let base = match cs.material(t) {
                    Material::Asphalt => 92.0 + 14.0 * (lattice.at(s, t) - 0.5),
                    Material::Marking => 215.0,
                    Material::Kerb => 175.0,
                    Material::Sidewalk => 160.0,
                    Material::Pothole => 55.0 + 10.0 * (lattice.at(s, t) - 0.5),
                    _ => 120.0,
                };
                let it = (t / g).round() as i64 as u64;
                let grain = 16.0 * (unit(splitmix64(seed ^ (is << 24) ^ it.wrapping_mul(0x9e37_79b9))) - 0.5);
                grey[(r * w + c) as usize] = (base + grain) as f32;
            }
        }
        let mut mask = GrayImage::new(w, h);
        let half_len = f64::from(h) * g / 2.0 + 0.05;
        let k0 = ((pose.station - half_len) / crate::features::SECTION).floor().max(0.0) as usize;
        let k1 = ((pose.station + half_len) / crate::features::SECTION).floor() as usize;
        for k in k0..=k1.min(self.crack_sections.len().saturating_sub(1)) {
            for crack in &self.cracks[self.crack_sections[k].clone()] {
                let core = (crack.width / 2.0).max(g / std::f64::consts::SQRT_2);
                let fringe = core + g;
                for seg in crack.points.windows(2) {
                    let (a, b) = (seg[0], seg[1]);
                    // pixel bounding box
                    let to_px = |s: f64, t: f64| {
                        (
                            (pose.offset - t) / g + f64::from(w) / 2.0 - 0.5,
                            f64::from(h) / 2.0 - (s - pose.station) / g - 0.5,
                        )
                    };
                    let (ca, ra) = to_px(a[0], a[1]);
                    let (cb, rb) = to_px(b[0], b[1]);
                    let m = fringe / g + 1.0;
                    let c_lo = (ca.min(cb) - m).floor().max(0.0) as u32;
                    let c_hi = (ca.max(cb) + m).ceil().min(f64::from(w) - 1.0);
                    let r_lo = (ra.min(rb) - m).floor().max(0.0) as u32;
                    let r_hi = (ra.max(rb) + m).ceil().min(f64::from(h) - 1.0);
                    if c_hi < 0.0 || r_hi < 0.0 {
                        continue;
                    }
                    for r in r_lo..=r_hi as u32 {
                        for c in c_lo..=c_hi as u32 {
                            let (s, t) = self.pixel_to_frame(pose, f64::from(c), f64::from(r));
                            let d = seg_dist(s, t, a, b);
                            let i = (r * w + c) as usize;
                            if d <= core {
                                mask.put_pixel(c, r, Luma([255]));
                                grey[i] = 35.0 + 8.0 * (unit(hash3(seed, u64::from(c), u64::from(r))) as f32 - 0.5);
                            } else if d <= fringe {
                                grey[i] = grey[i].min(0.5 * (grey[i] + 35.0));
                            }
                        }
                    }
                }
            }
        }
        let img = GrayImage::from_fn(w, h, |c, r| Luma([grey[(r * w + c) as usize].clamp(0.0, 255.0) as u8]));
        (img, mask)
    }
}

fn seg_dist(s: f64, t: f64, a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let u = if l2 > 0.0 { (((s - a[0]) * dx + (t - a[1]) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    (s - a[0] - u * dx).hypot(t - a[1] - u * dy)
}

/// Bilinear value noise on a 12 mm lattice fixed to the road frame, values in [0, 1).
struct Lattice {
    i0: i64,
    j0: i64,
    nj: usize,
    v: Vec<f64>,
}

const CELL: f64 = 0.012;

impl Lattice {
    fn new(seed: u64, s0: f64, t0: f64, s1: f64, t1: f64) -> Self {
        let (i0, j0) = ((s0 / CELL).floor() as i64 - 1, (t0 / CELL).floor() as i64 - 1);
        let (i1, j1) = ((s1 / CELL).ceil() as i64 + 2, (t1 / CELL).ceil() as i64 + 2);
        let nj = (j1 - j0) as usize;
        let mut v = Vec::with_capacity((i1 - i0) as usize * nj);
        for i in i0..i1 {
            for j in j0..j1 {
                v.push(unit(hash3(seed ^ 0x7e11, i as u64, j as u64)));
            }
        }
        Lattice { i0, j0, nj, v }
    }

    fn at(&self, s: f64, t: f64) -> f64 {
        let (fs, ft) = (s / CELL, t / CELL);
        let (i, j) = (fs.floor(), ft.floor());
        let (u, w) = (fs - i, ft - j);
        let k = (i as i64 - self.i0) as usize * self.nj + (j as i64 - self.j0) as usize;
        let a = self.v[k] * (1.0 - u) + self.v[k + self.nj] * u;
        let b = self.v[k + 1] * (1.0 - u) + self.v[k + self.nj + 1] * u;
        a * (1.0 - w) + b * w
    }
}
