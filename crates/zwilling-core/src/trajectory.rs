//! The survey vehicle's trajectory: timed positions and attitude.

/// One trajectory sample. Angles in degrees; heading clockwise from grid north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrajectoryPoint {
    /// GPS time (same time base as the point cloud's GPS time).
    pub time: f64,
    /// Easting.
    pub x: f64,
    /// Northing.
    pub y: f64,
    /// Height.
    pub z: f64,
    /// Heading, degrees clockwise from grid north.
    pub heading: f64,
    /// Pitch, degrees (nose up positive).
    pub pitch: f64,
    /// Roll, degrees (right side down positive).
    pub roll: f64,
}
