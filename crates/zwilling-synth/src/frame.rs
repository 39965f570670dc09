//! The road frame: station `s` along the straight centre line and offset `t` to the left.
//!
//! With heading `h` (clockwise from grid north) the road direction is `u = (sin h, cos h)` and
//! the left normal `n = (−cos h, sin h)`; a point is `origin + s·u + t·n`.
//!
//! ```
//! use zwilling_synth::RoadFrame;
//! let f = RoadFrame::new(360_000.0, 5_700_000.0, 90.0); // road pointing east
//! let (x, y) = f.to_world(10.0, 2.0); // 10 m along, 2 m to the left (north)
//! assert!((x - 360_010.0).abs() < 1e-9 && (y - 5_700_002.0).abs() < 1e-9);
//! ```

use serde::{Deserialize, Serialize};

/// World ↔ road-frame transform.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoadFrame {
    /// Easting of station 0.
    pub origin_x: f64,
    /// Northing of station 0.
    pub origin_y: f64,
    /// Heading, degrees clockwise from grid north.
    pub heading_deg: f64,
    ux: f64,
    uy: f64,
}

impl RoadFrame {
    /// The frame with origin and heading.
    pub fn new(origin_x: f64, origin_y: f64, heading_deg: f64) -> Self {
        let h = heading_deg.to_radians();
        RoadFrame { origin_x, origin_y, heading_deg, ux: h.sin(), uy: h.cos() }
    }

    /// `(s, t)` of a world point.
    pub fn to_frame(&self, x: f64, y: f64) -> (f64, f64) {
        let (dx, dy) = (x - self.origin_x, y - self.origin_y);
        (dx * self.ux + dy * self.uy, -dx * self.uy + dy * self.ux)
    }

    /// World point of `(s, t)`.
    pub fn to_world(&self, s: f64, t: f64) -> (f64, f64) {
        (self.origin_x + s * self.ux - t * self.uy, self.origin_y + s * self.uy + t * self.ux)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_left_is_left() {
        let f = RoadFrame::new(360_000.0, 5_700_000.0, 68.0);
        let (x, y) = f.to_world(123.4, -5.6);
        let (s, t) = f.to_frame(x, y);
        assert!((s - 123.4).abs() < 1e-9 && (t + 5.6).abs() < 1e-9);
        // heading 0 = north: left is west
        let n = RoadFrame::new(0.0, 0.0, 0.0);
        let (x, y) = n.to_world(0.0, 1.0);
        assert!((x + 1.0).abs() < 1e-12 && y.abs() < 1e-12);
    }
}
