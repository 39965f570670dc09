//! Projection of crack pixels and polylines from an image onto the road surface.
//!
//! **Frames.** The pose `(x, y, z, heading ψ, pitch θ, roll φ)` is the camera's projection centre
//! in the map CRS (EPSG:25832: easting, northing, height) and the vehicle attitude (degrees;
//! heading clockwise from grid north, pitch nose up, roll right side down). The body frame is
//! forward–right–down; body → north–east–down is the aerospace sequence
//! `R = R_z(ψ) · R_y(θ) · R_x(φ)` (e.g. Titterton & Weston, *Strapdown Inertial Navigation
//! Technology*, 2nd ed., §3.6), and east–north–up follows as `(E, N, U) = (e, n, −d)`.
//!
//! **Cameras.** Image coordinates `(u, v)` are pixels, `u` right, `v` down, pixel centres at `+0.5`.
//! All cameras are mounted with the image top pointing forward and the image right pointing right.
//! * [`Camera::Ortho`] — a down-looking camera with a ground sample distance `g` (m/pixel): the
//!   pixel is the point `(fwd, right) = ((c_v − v)·g, (u − c_u)·g)` of the body's horizontal plane
//!   through the camera, viewed along body-down; `(c_u, c_v)` is the image centre.
//! * [`Camera::Pinhole`] — a nadir pinhole with focal length `f` (pixels): ray
//!   `(fwd, right, down) = (c_v − v, u − c_u, f)`.
//! * [`Camera::Equirectangular`] — a 360° panorama `W × H`: azimuth `λ = 2π·u/W − π` (0 = forward,
//!   positive to the right), elevation `ε = π/2 − π·v/H`; ray `(cos ε cos λ, cos ε sin λ, −sin ε)`.
//!
//! **Surface.** A horizontal plane `z = z₀` (exact intersection) or a DTM [`Grid<f32>`]: the
//! intersection is found by fixed-point iteration `z_{k+1} = DTM(ray ∩ {z = z_k})` from the
//! height below the camera, stopping at 1 mm; `None` when it does not converge in 50 steps,
//! leaves the DTM or meets NoData.
//!
//! **Width** of a projected polyline: `w_px · s`, `s` the mean ground size of a pixel at its
//! vertices (mean distance between the projections of `(u, v)`, `(u+1, v)` and `(u, v+1)`).
//!
//! ```
//! use zwilling_core::TrajectoryPoint;
//! use zwilling_cracks::georef::{project_pixel, Camera, Surface};
//! let pose = TrajectoryPoint { time: 0.0, x: 1000.0, y: 2000.0, z: 52.0, heading: 90.0, pitch: 0.0, roll: 0.0 };
//! let cam = Camera::Ortho { gsd: 0.001, width: 2000, height: 1000 };
//! // The top-centre pixel lies 0.4995 m ahead, i.e. east when heading east.
//! let p = project_pixel(1000.0, 0.5, &pose, &cam, &Surface::Plane { z: 50.0 }).unwrap();
//! assert!((p[0] - 1000.4995).abs() < 1e-9 && (p[1] - 2000.0).abs() < 1e-9 && p[2] == 50.0);
//! ```

use crate::polyline::CrackPolyline;
use zwilling_core::{Grid, TrajectoryPoint};

/// A camera model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Camera {
    /// Down-looking camera with a ground sample distance.
    Ortho {
        /// Ground sample distance, m/pixel.
        gsd: f64,
        /// Image width, pixels.
        width: u32,
        /// Image height, pixels.
        height: u32,
    },
    /// Nadir pinhole camera.
    Pinhole {
        /// Focal length, pixels (focal length / pixel pitch).
        focal_px: f64,
        /// Principal point column, pixels.
        cx: f64,
        /// Principal point row, pixels.
        cy: f64,
    },
    /// Equirectangular 360° panorama (width = 2 × height), centre column looking forward.
    Equirectangular {
        /// Image width, pixels.
        width: u32,
        /// Image height, pixels.
        height: u32,
    },
}

/// The road surface rays are intersected with.
#[derive(Debug, Clone, Copy)]
pub enum Surface<'a> {
    /// A horizontal plane at height `z`.
    Plane {
        /// Height of the plane.
        z: f64,
    },
    /// A terrain model (bilinear between cell centres).
    Dtm(&'a Grid<f32>),
}

/// A crack projected into the map: 3D vertices, length and mean width in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct LineString3 {
    /// Vertices `[x, y, z]` in the pose's CRS.
    pub points: Vec<[f64; 3]>,
    /// Length along the vertices (3D), metres.
    pub length_m: f64,
    /// Mean crack width, metres.
    pub width_m: f64,
}

impl Camera {
    /// The camera of a pose-file row: model `ortho` (needs `gsd`, `width`, `height`), `pinhole`
    /// (needs `focal_px`; principal point at the image centre from `width`, `height`) or
    /// `equirectangular`/`panorama` (needs `width`, `height`).
    pub fn from_model(
        model: &str,
        gsd: Option<f64>,
        width: Option<u32>,
        height: Option<u32>,
        focal_px: Option<f64>,
    ) -> zwilling_core::Result<Camera> {
        let need = |what: &str| zwilling_core::Error::invalid(format!("camera '{model}' needs the column {what}"));
        let (w, h) = (width.ok_or_else(|| need("width")), height.ok_or_else(|| need("height")));
        match model.to_ascii_lowercase().as_str() {
            "ortho" => {
                let gsd = gsd.filter(|g| *g > 0.0).ok_or_else(|| need("gsd (> 0)"))?;
                Ok(Camera::Ortho { gsd, width: w?, height: h? })
            }
            "pinhole" => {
                let f = focal_px.filter(|f| *f > 0.0).ok_or_else(|| need("focal_px (> 0)"))?;
                Ok(Camera::Pinhole { focal_px: f, cx: f64::from(w?) / 2.0, cy: f64::from(h?) / 2.0 })
            }
            "equirectangular" | "panorama" => Ok(Camera::Equirectangular { width: w?, height: h? }),
            other => Err(zwilling_core::Error::invalid(format!(
                "unknown camera model '{other}' (expected ortho, pinhole or equirectangular)"
            ))),
        }
    }

    /// The body attitude of a pose-file row for this camera. Down-looking cameras (`ortho`,
    /// `pinhole`) give the pitch of their optical axis (−90° = straight down, as `zwilling synth`
    /// writes), so the body pitch is `pitch + 90°`; panoramas give the vehicle attitude as is.
    pub fn body_pose(&self, pose: &TrajectoryPoint) -> TrajectoryPoint {
        match self {
            Camera::Ortho { .. } | Camera::Pinhole { .. } => TrajectoryPoint { pitch: pose.pitch + 90.0, ..*pose },
            Camera::Equirectangular { .. } => *pose,
        }
    }
}

/// Rotation body (forward, right, down) → NED, `R_z(ψ) R_y(θ) R_x(φ)`, applied to a vector.
fn body_to_enu(pose: &TrajectoryPoint, b: [f64; 3]) -> [f64; 3] {
    let (sp, cp) = pose.heading.to_radians().sin_cos();
    let (st, ct) = pose.pitch.to_radians().sin_cos();
    let (sr, cr) = pose.roll.to_radians().sin_cos();
    // R_x(φ)
    let x1 = [b[0], cr * b[1] - sr * b[2], sr * b[1] + cr * b[2]];
    // R_y(θ)
    let x2 = [ct * x1[0] + st * x1[2], x1[1], -st * x1[0] + ct * x1[2]];
    // R_z(ψ)
    let ned = [cp * x2[0] - sp * x2[1], sp * x2[0] + cp * x2[1], x2[2]];
    [ned[1], ned[0], -ned[2]]
}

/// Ray origin and direction (ENU) of pixel `(u, v)`; `None` when the ray cannot reach the ground.
fn ray(u: f64, v: f64, pose: &TrajectoryPoint, cam: &Camera) -> Option<([f64; 3], [f64; 3])> {
    let c = [pose.x, pose.y, pose.z];
    let (origin, dir) = match *cam {
        Camera::Ortho { gsd, width, height } => {
            let off = body_to_enu(pose, [(height as f64 / 2.0 - v) * gsd, (u - width as f64 / 2.0) * gsd, 0.0]);
            ([c[0] + off[0], c[1] + off[1], c[2] + off[2]], body_to_enu(pose, [0.0, 0.0, 1.0]))
        }
        Camera::Pinhole { focal_px, cx, cy } => (c, body_to_enu(pose, [cy - v, u - cx, focal_px])),
        Camera::Equirectangular { width, height } => {
            let lam = 2.0 * std::f64::consts::PI * u / width as f64 - std::f64::consts::PI;
            let eps = std::f64::consts::FRAC_PI_2 - std::f64::consts::PI * v / height as f64;
            (c, body_to_enu(pose, [eps.cos() * lam.cos(), eps.cos() * lam.sin(), -eps.sin()]))
        }
    };
    (dir[2] < -1e-12).then_some((origin, dir))
}

/// Point where the ray meets the plane `z`.
fn hit_plane(o: [f64; 3], d: [f64; 3], z: f64) -> Option<[f64; 3]> {
    let t = (z - o[2]) / d[2];
    (t > 0.0).then(|| [o[0] + t * d[0], o[1] + t * d[1], z])
}

/// The map position of image pixel `(u, v)` on the surface, or `None` (ray above the horizon,
/// surface behind the camera, outside the DTM or no convergence).
pub fn project_pixel(u: f64, v: f64, pose: &TrajectoryPoint, cam: &Camera, surface: &Surface) -> Option<[f64; 3]> {
    let (o, d) = ray(u, v, pose, cam)?;
    match surface {
        Surface::Plane { z } => hit_plane(o, d, *z),
        Surface::Dtm(g) => {
            let mut z = g.sample_bilinear(o[0], o[1])?;
            for _ in 0..50 {
                let p = hit_plane(o, d, z)?;
                let zn = g.sample_bilinear(p[0], p[1])?;
                if (zn - z).abs() < 1e-3 {
                    return Some([p[0], p[1], zn]);
                }
                z = zn;
            }
            None
        }
    }
}

/// Projects crack polylines (image pixels, see [`crate::polyline`]) onto the surface. A polyline
/// keeps the vertices that project; fewer than two make it disappear.
pub fn project_polylines(
    polylines: &[CrackPolyline],
    pose: &TrajectoryPoint,
    cam: &Camera,
    surface: &Surface,
) -> Vec<LineString3> {
    let dist =
        |a: [f64; 3], b: [f64; 3]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
    polylines
        .iter()
        .filter_map(|pl| {
            let mut points = Vec::with_capacity(pl.points.len());
            let (mut scale_sum, mut n_scale) = (0.0, 0usize);
            for &[u, v] in &pl.points {
                let Some(p) = project_pixel(u, v, pose, cam, surface) else { continue };
                for (du, dv) in [(1.0, 0.0), (0.0, 1.0)] {
                    if let Some(q) = project_pixel(u + du, v + dv, pose, cam, surface) {
                        scale_sum += dist(p, q);
                        n_scale += 1;
                    }
                }
                points.push(p);
            }
            if points.len() < 2 || n_scale == 0 {
                return None;
            }
            let length_m = points.windows(2).map(|s| dist(s[0], s[1])).sum();
            Some(LineString3 { points, length_m, width_m: pl.mean_width * scale_sum / n_scale as f64 })
        })
        .collect()
}

/// Vectorisation tolerance (Douglas–Peucker) of image crack polylines, pixels.
pub const POLYLINE_TOLERANCE_PX: f64 = 1.0;
/// Shortest image crack polyline kept for georeferencing, pixels.
pub const POLYLINE_MIN_LENGTH_PX: f64 = 10.0;
/// How far [`crate::detect::crack_extent`] may widen the detection to measure widths, pixels.
pub const EXTENT_REACH_PX: f32 = 3.0;

/// The cracks of one image in map coordinates: the detection `mask` (`true` = crack) widened to
/// its full width ([`crate::detect::crack_extent`]), vectorised ([`crate::polyline::crack_polylines`])
/// and projected with the pose-file row `pose` (attitude converted by [`Camera::body_pose`]).
pub fn georeferenced_cracks(
    img: &image::GrayImage,
    valid: Option<&[bool]>,
    mask: &[bool],
    params: &crate::detect::CrackParams,
    pose: &TrajectoryPoint,
    cam: &Camera,
    surface: &Surface,
) -> Vec<LineString3> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let extent = crate::detect::crack_extent(img, valid, params, mask, EXTENT_REACH_PX);
    let lines = crate::polyline::crack_polylines(&extent, w, h, POLYLINE_TOLERANCE_PX, POLYLINE_MIN_LENGTH_PX);
    project_polylines(&lines, &cam.body_pose(pose), cam, surface)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::GeoTransform;

    fn pose(heading: f64, pitch: f64, roll: f64) -> TrajectoryPoint {
        TrajectoryPoint { time: 0.0, x: 500.0, y: 800.0, z: 12.0, heading, pitch, roll }
    }

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        (0..3).all(|k| (a[k] - b[k]).abs() < 1e-6)
    }

    #[test]
    fn ortho_camera_maps_forward_and_right_by_heading() {
        let cam = Camera::Ortho { gsd: 0.002, width: 1000, height: 800 };
        let s = Surface::Plane { z: 10.0 };
        // Heading north: pixel 100 px right of centre is 0.2 m east; 100 px up is 0.2 m north.
        assert!(close(project_pixel(600.0, 400.0, &pose(0.0, 0.0, 0.0), &cam, &s).unwrap(), [500.2, 800.0, 10.0]));
        assert!(close(project_pixel(500.0, 300.0, &pose(0.0, 0.0, 0.0), &cam, &s).unwrap(), [500.0, 800.2, 10.0]));
        // Heading 90° (east): forward is east, right is south.
        assert!(close(project_pixel(600.0, 300.0, &pose(90.0, 0.0, 0.0), &cam, &s).unwrap(), [500.2, 799.8, 10.0]));
    }

    #[test]
    fn pinhole_scale_pitch_and_roll() {
        // 2 m above the road, f = 1000 px: 100 px = 0.2 m.
        let cam = Camera::Pinhole { focal_px: 1000.0, cx: 500.0, cy: 500.0 };
        let s = Surface::Plane { z: 10.0 };
        assert!(close(project_pixel(600.0, 500.0, &pose(0.0, 0.0, 0.0), &cam, &s).unwrap(), [500.2, 800.0, 10.0]));
        // Nose up 10°: the nadir ray tilts forward and meets the road 2·tan 10° ahead.
        let p = project_pixel(500.0, 500.0, &pose(0.0, 10.0, 0.0), &cam, &s).unwrap();
        assert!(close(p, [500.0, 800.0 + 2.0 * 10f64.to_radians().tan(), 10.0]), "{p:?}");
        // Right side down 5°: the nadir ray tilts left (west when heading north).
        let p = project_pixel(500.0, 500.0, &pose(0.0, 0.0, 5.0), &cam, &s).unwrap();
        assert!(close(p, [500.0 - 2.0 * 5f64.to_radians().tan(), 800.0, 10.0]), "{p:?}");
    }

    #[test]
    fn panorama_rays_at_minus_45_degrees_reach_the_camera_height() {
        let cam = Camera::Equirectangular { width: 4000, height: 2000 };
        let s = Surface::Plane { z: 10.0 };
        // Column 2000 looks forward; row 1500 is 45° below the horizon → 2 m ahead.
        let p = project_pixel(2000.0, 1500.0, &pose(0.0, 0.0, 0.0), &cam, &s).unwrap();
        assert!(close(p, [500.0, 802.0, 10.0]), "{p:?}");
        // Column 3000 looks right (east when heading north).
        let p = project_pixel(3000.0, 1500.0, &pose(0.0, 0.0, 0.0), &cam, &s).unwrap();
        assert!(close(p, [502.0, 800.0, 10.0]), "{p:?}");
        assert!(project_pixel(2000.0, 500.0, &pose(0.0, 0.0, 0.0), &cam, &s).is_none(), "sky");
    }

    #[test]
    fn dtm_slope_is_followed_and_polylines_get_metric_length_and_width() {
        // DTM z = 10 + 0.05·(x − 400): a 5 % slope rising east.
        let mut g = Grid::filled(200, 200, GeoTransform::new(400.0, 900.0, 1.0), 0.0f32);
        for r in 0..200 {
            for c in 0..200 {
                let (x, _) = g.transform.cell_center(c, r);
                let i = g.idx(c, r);
                g.data[i] = (10.0 + 0.05 * (x - 400.0)) as f32;
            }
        }
        let cam = Camera::Pinhole { focal_px: 1000.0, cx: 500.0, cy: 500.0 };
        let mut high = pose(0.0, 0.0, 0.0);
        high.z = 17.0;
        let p = project_pixel(500.0, 500.0, &high, &cam, &Surface::Dtm(&g)).unwrap();
        assert!((p[2] - 15.0).abs() < 2e-3 && (p[0] - 500.0).abs() < 1e-9, "{p:?}");
        // Rolled 5° the ray goes west, down the slope: the hit lies on the ray and on the DTM.
        high.roll = 5.0;
        let p = project_pixel(500.0, 500.0, &high, &cam, &Surface::Dtm(&g)).unwrap();
        assert!((p[2] - (10.0 + 0.05 * (p[0] - 400.0))).abs() < 2e-3, "{p:?}");
        assert!(((500.0 - p[0]) - (17.0 - p[2]) * 5f64.to_radians().tan()).abs() < 1e-4, "{p:?}");
        assert!(p[0] < 499.85 && p[0] > 499.8);
        // A 300 px horizontal crack 3 px wide under an ortho camera of 1 mm: 0.3 m long, 3 mm wide.
        let cam = Camera::Ortho { gsd: 0.001, width: 1000, height: 1000 };
        let pl = CrackPolyline { points: vec![[350.5, 500.5], [650.5, 500.5]], length: 300.0, mean_width: 3.0 };
        let out = project_polylines(&[pl], &pose(0.0, 0.0, 0.0), &cam, &Surface::Plane { z: 10.0 });
        assert_eq!(out.len(), 1);
        assert!((out[0].length_m - 0.3).abs() < 1e-9 && (out[0].width_m - 0.003).abs() < 1e-9);
    }
}
