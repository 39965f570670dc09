//! Parameters of a synthetic scene, with the defaults of the demo scene.

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};

/// Cross-section shape of a wheel-path rut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RutShape {
    /// Depth `d·(1 − |u|/w)` for `|u| < w` (`u` offset from the rut centre, `w` half-width).
    V,
    /// Depth `d·(1 + cos(π·u/w))/2` for `|u| < w`.
    Cosine,
}

/// Everything that defines a scene. Same parameters → same scene, bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneParams {
    /// Random seed.
    pub seed: u64,
    /// Length of the surveyed road (m), stations `0 ..= length`.
    pub length: f64,
    /// Easting of station 0 on the road centre line (EPSG:25832).
    pub origin_x: f64,
    /// Northing of station 0.
    pub origin_y: f64,
    /// Road direction, degrees clockwise from grid north.
    pub heading_deg: f64,
    /// Height (DHHN2016) of the crown at station 0.
    pub base_height: f64,
    /// Longitudinal grade of road and terrain (rising with the station), m/m.
    pub longitudinal_grade: f64,
    /// Lateral terrain grade (rising to the left of the road direction), m/m.
    pub lateral_grade: f64,
    /// Lane width (m); two lanes, the crown between them.
    pub lane_width: f64,
    /// Cross slope of each lane, falling from the crown to the kerb (m/m).
    pub cross_slope: f64,
    /// Kerb height above the gutter (m).
    pub kerb_height: f64,
    /// Sidewalk width (m); it rises 2 % away from the kerb.
    pub sidewalk_width: f64,
    /// Wheel paths lie this far either side of the lane centre (m).
    pub wheel_offset: f64,
    /// Half-width of a rut (m).
    pub rut_half_width: f64,
    /// Rut cross-section shape.
    pub rut_shape: RutShape,
    /// Vehicle speed (m/s).
    pub speed: f64,
    /// Scan lines (profiler rotations) per second.
    pub line_rate: f64,
    /// Angle between consecutive pulses of a scan line (degrees).
    pub angle_step_deg: f64,
    /// Maximum range of the scanner (m).
    pub max_range: f64,
    /// Scanner height above the road surface at the lane centre (m).
    pub sensor_height: f64,
    /// Standard deviation of the Gaussian noise added to each coordinate (m).
    pub noise_sigma: f64,
    /// GPS time of station 0 (adjusted standard GPS time, s).
    pub start_time: f64,
    /// Pavement image width (pixels, across the road).
    pub image_width: u32,
    /// Pavement image height (pixels, along the road).
    pub image_height: u32,
    /// Ground sample distance of the pavement images (m per pixel).
    pub image_gsd: f64,
    /// Distance between consecutive pavement images (m).
    pub image_spacing: f64,
    /// Height of the pavement camera above the road (m).
    pub camera_height: f64,
    /// Trajectory samples per second.
    pub trajectory_rate: f64,
    /// Add roof points (a sparse airborne-like pass, scanner channel 1): a street-level scanner
    /// never sees flat roofs.
    pub roof_points: bool,
}

impl Default for SceneParams {
    fn default() -> Self {
        SceneParams {
            seed: 1,
            length: 500.0,
            origin_x: 360_000.0,
            origin_y: 5_700_000.0,
            heading_deg: 68.0,
            base_height: 62.0,
            longitudinal_grade: 0.015,
            lateral_grade: 0.015,
            lane_width: 3.0,
            cross_slope: 0.025,
            kerb_height: 0.12,
            sidewalk_width: 2.0,
            wheel_offset: 0.85,
            rut_half_width: 0.5,
            rut_shape: RutShape::V,
            speed: 10.0,
            line_rate: 80.0,
            angle_step_deg: 0.2,
            max_range: 60.0,
            sensor_height: 2.2,
            noise_sigma: 0.005,
            start_time: 400_000_000.0,
            image_width: 1024,
            image_height: 768,
            image_gsd: 0.004,
            image_spacing: 3.0,
            camera_height: 2.5,
            trajectory_rate: 50.0,
            roof_points: true,
        }
    }
}

impl SceneParams {
    /// Checks that the parameters describe a scene this generator can build.
    pub fn validate(&self) -> Result<()> {
        let pos = |v: f64, what: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(format!("synth: {what} must be > 0, got {v}")))
            }
        };
        pos(self.length, "length")?;
        pos(self.speed, "speed")?;
        pos(self.line_rate, "line rate")?;
        pos(self.angle_step_deg, "angle step")?;
        pos(self.max_range, "max range")?;
        pos(self.sensor_height, "sensor height")?;
        pos(self.image_gsd, "image gsd")?;
        pos(self.image_spacing, "image spacing")?;
        pos(self.trajectory_rate, "trajectory rate")?;
        if self.length < 20.0 {
            return Err(Error::invalid(format!("synth: length must be at least 20 m, got {}", self.length)));
        }
        if !self.heading_deg.is_finite() {
            return Err(Error::invalid(format!(
                "synth: heading must be a finite angle in degrees, got {}",
                self.heading_deg
            )));
        }
        if self.noise_sigma.is_nan() || self.noise_sigma < 0.0 {
            return Err(Error::invalid("synth: noise sigma must be >= 0"));
        }
        if (self.lane_width - 3.0).abs() > 1.0 || self.wheel_offset + self.rut_half_width > self.lane_width / 2.0 {
            return Err(Error::invalid(
                "synth: lane width must be 2–4 m and the ruts (wheel offset + half-width) must fit in the half-lane",
            ));
        }
        if self.longitudinal_grade < 0.012 {
            return Err(Error::invalid(
                "synth: longitudinal grade must be >= 0.012 so that gutters drain (roughness slope stays below it)",
            ));
        }
        if self.angle_step_deg > 5.0 || 180.0 / self.angle_step_deg > 1.0e6 {
            return Err(Error::invalid("synth: angle step must be in (0.00018, 5] degrees"));
        }
        if self.image_width == 0 || self.image_height == 0 {
            return Err(Error::invalid("synth: image size must be > 0"));
        }
        Ok(())
    }

    /// Number of scan lines.
    pub fn line_count(&self) -> u64 {
        (self.length / self.speed * self.line_rate).floor() as u64 + 1
    }

    /// Station of scan line `i`.
    pub fn line_station(&self, i: u64) -> f64 {
        i as f64 * self.speed / self.line_rate
    }

    /// Half-width of the carriageway (crown to gutter) = one lane.
    pub fn half_carriageway(&self) -> f64 {
        self.lane_width
    }

    /// Offset of the centre of lane 1 (the right lane, the one the vehicle drives in): negative =
    /// right of the road direction.
    pub fn lane1_center(&self) -> f64 {
        -self.lane_width / 2.0
    }
}
