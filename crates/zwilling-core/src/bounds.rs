//! Axis-aligned bounding boxes in 2D and 3D.

use serde::{Deserialize, Serialize};

/// A 2D axis-aligned bounding box. An empty box has `min > max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds2 {
    /// Minimum x (easting).
    pub min_x: f64,
    /// Minimum y (northing).
    pub min_y: f64,
    /// Maximum x.
    pub max_x: f64,
    /// Maximum y.
    pub max_y: f64,
}

/// A 3D axis-aligned bounding box. An empty box has `min > max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds3 {
    /// Minimum x.
    pub min_x: f64,
    /// Minimum y.
    pub min_y: f64,
    /// Minimum z.
    pub min_z: f64,
    /// Maximum x.
    pub max_x: f64,
    /// Maximum y.
    pub max_y: f64,
    /// Maximum z.
    pub max_z: f64,
}

impl Default for Bounds2 {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Default for Bounds3 {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Bounds2 {
    /// The empty box (contains nothing, grows to the first point added).
    pub const EMPTY: Bounds2 =
        Bounds2 { min_x: f64::INFINITY, min_y: f64::INFINITY, max_x: f64::NEG_INFINITY, max_y: f64::NEG_INFINITY };

    /// A box from its corners.
    pub fn new(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Self {
        Bounds2 { min_x, min_y, max_x, max_y }
    }

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        !(self.min_x <= self.max_x && self.min_y <= self.max_y)
    }

    /// Grows the box to include a point.
    pub fn add(&mut self, x: f64, y: f64) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
    }

    /// The union of two boxes.
    pub fn union(&self, o: &Bounds2) -> Bounds2 {
        Bounds2::new(self.min_x.min(o.min_x), self.min_y.min(o.min_y), self.max_x.max(o.max_x), self.max_y.max(o.max_y))
    }

    /// True when the point lies inside or on the border.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y
    }

    /// True when the two boxes share any area or border.
    pub fn intersects(&self, o: &Bounds2) -> bool {
        self.min_x <= o.max_x && o.min_x <= self.max_x && self.min_y <= o.max_y && o.min_y <= self.max_y
    }

    /// The box grown by `d` on every side.
    pub fn buffer(&self, d: f64) -> Bounds2 {
        Bounds2::new(self.min_x - d, self.min_y - d, self.max_x + d, self.max_y + d)
    }

    /// Width (x extent).
    pub fn width(&self) -> f64 {
        self.max_x - self.min_x
    }

    /// Height (y extent).
    pub fn height(&self) -> f64 {
        self.max_y - self.min_y
    }
}

impl Bounds3 {
    /// The empty box.
    pub const EMPTY: Bounds3 = Bounds3 {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        min_z: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
        max_z: f64::NEG_INFINITY,
    };

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        !(self.min_x <= self.max_x && self.min_y <= self.max_y && self.min_z <= self.max_z)
    }

    /// Grows the box to include a point.
    pub fn add(&mut self, x: f64, y: f64, z: f64) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.min_z = self.min_z.min(z);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
        self.max_z = self.max_z.max(z);
    }

    /// The union of two boxes.
    pub fn union(&self, o: &Bounds3) -> Bounds3 {
        Bounds3 {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            min_z: self.min_z.min(o.min_z),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
            max_z: self.max_z.max(o.max_z),
        }
    }

    /// The 2D footprint.
    pub fn to_2d(&self) -> Bounds2 {
        Bounds2::new(self.min_x, self.min_y, self.max_x, self.max_y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_intersects() {
        let mut b = Bounds2::EMPTY;
        assert!(b.is_empty());
        b.add(1.0, 2.0);
        b.add(3.0, -1.0);
        assert_eq!(b, Bounds2::new(1.0, -1.0, 3.0, 2.0));
        assert!(b.contains(2.0, 0.0));
        assert!(!b.contains(0.0, 0.0));
        assert!(b.intersects(&Bounds2::new(3.0, 2.0, 4.0, 4.0)));
        assert!(!b.intersects(&Bounds2::new(3.1, 2.0, 4.0, 4.0)));
        let mut c = Bounds3::EMPTY;
        c.add(0.0, 0.0, 5.0);
        c.add(1.0, 1.0, -5.0);
        assert_eq!(c.min_z, -5.0);
        assert_eq!(c.to_2d().width(), 1.0);
    }
}
