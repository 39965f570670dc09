//! A chunk of LiDAR points as a struct of arrays.
//!
//! Readers fill [`PointBlock`]s chunk by chunk (memory stays bounded); algorithms read the columns
//! they need. Optional columns (GPS time, RGB, NIR, waveform, extra bytes) are empty when the
//! [`PointLayout`] says the source has none, otherwise they have one entry per point.

use crate::Bounds3;

/// ASPRS LAS classification codes used in zwilling.
pub mod class {
    /// Created, never classified.
    pub const CREATED: u8 = 0;
    /// Unclassified.
    pub const UNCLASSIFIED: u8 = 1;
    /// Ground.
    pub const GROUND: u8 = 2;
    /// Low vegetation.
    pub const LOW_VEGETATION: u8 = 3;
    /// Medium vegetation.
    pub const MEDIUM_VEGETATION: u8 = 4;
    /// High vegetation.
    pub const HIGH_VEGETATION: u8 = 5;
    /// Building.
    pub const BUILDING: u8 = 6;
    /// Low point (noise).
    pub const LOW_NOISE: u8 = 7;
    /// Water.
    pub const WATER: u8 = 9;
    /// Road surface (LAS 1.4).
    pub const ROAD_SURFACE: u8 = 11;
    /// High noise (LAS 1.4).
    pub const HIGH_NOISE: u8 = 18;
}

/// Bit flags stored per point in [`PointBlock::flags`].
pub mod flag {
    /// Synthetic point.
    pub const SYNTHETIC: u8 = 1;
    /// Key point.
    pub const KEY_POINT: u8 = 2;
    /// Withheld.
    pub const WITHHELD: u8 = 4;
    /// Overlap (LAS 1.4).
    pub const OVERLAP: u8 = 8;
    /// Scan direction flag.
    pub const SCAN_DIRECTION: u8 = 16;
    /// Edge of flight line.
    pub const EDGE_OF_FLIGHT_LINE: u8 = 32;
    /// Shift of the 2-bit scanner channel (LAS 1.4) in the flags byte.
    pub const SCANNER_CHANNEL_SHIFT: u8 = 6;
}

/// Which optional columns a point source has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PointLayout {
    /// GPS time present.
    pub gps_time: bool,
    /// RGB present.
    pub rgb: bool,
    /// Near infrared present.
    pub nir: bool,
    /// Waveform packet descriptors (29 bytes) present.
    pub waveform: bool,
    /// Bytes of extra (user-defined) data per point.
    pub extra_bytes: usize,
}

impl PointLayout {
    /// The layout of an ASPRS point data record format (0–10) with `extra_bytes` extra bytes.
    pub fn for_format(format: u8, extra_bytes: usize) -> Option<Self> {
        let (gps_time, rgb, nir, waveform) = match format {
            0 => (false, false, false, false),
            1 => (true, false, false, false),
            2 => (false, true, false, false),
            3 => (true, true, false, false),
            4 => (true, false, false, true),
            5 => (true, true, false, true),
            6 => (true, false, false, false),
            7 => (true, true, false, false),
            8 => (true, true, true, false),
            9 => (true, false, false, true),
            10 => (true, true, true, true),
            _ => return None,
        };
        Some(PointLayout { gps_time, rgb, nir, waveform, extra_bytes })
    }
}

/// Points as columns. All mandatory columns have `len()` entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointBlock {
    /// Which optional columns are filled.
    pub layout: PointLayout,
    /// Easting (scaled and offset, i.e. real coordinates).
    pub x: Vec<f64>,
    /// Northing.
    pub y: Vec<f64>,
    /// Height.
    pub z: Vec<f64>,
    /// Intensity.
    pub intensity: Vec<u16>,
    /// Return number (1-based).
    pub return_number: Vec<u8>,
    /// Number of returns of the pulse.
    pub number_of_returns: Vec<u8>,
    /// ASPRS classification (see [`class`]).
    pub classification: Vec<u8>,
    /// Bit flags (see [`flag`]).
    pub flags: Vec<u8>,
    /// Scan angle in degrees.
    pub scan_angle: Vec<f32>,
    /// User data byte.
    pub user_data: Vec<u8>,
    /// Point source ID.
    pub point_source_id: Vec<u16>,
    /// GPS time (empty unless `layout.gps_time`).
    pub gps_time: Vec<f64>,
    /// Red, green, blue (empty unless `layout.rgb`).
    pub rgb: Vec<[u16; 3]>,
    /// Near infrared (empty unless `layout.nir`).
    pub nir: Vec<u16>,
    /// Waveform packet bytes (empty unless `layout.waveform`).
    pub waveform: Vec<[u8; 29]>,
    /// Extra bytes, `layout.extra_bytes` per point, point after point.
    pub extra: Vec<u8>,
}

impl PointBlock {
    /// An empty block with room for `capacity` points.
    pub fn with_capacity(layout: PointLayout, capacity: usize) -> Self {
        let opt = |on: bool| if on { capacity } else { 0 };
        PointBlock {
            layout,
            x: Vec::with_capacity(capacity),
            y: Vec::with_capacity(capacity),
            z: Vec::with_capacity(capacity),
            intensity: Vec::with_capacity(capacity),
            return_number: Vec::with_capacity(capacity),
            number_of_returns: Vec::with_capacity(capacity),
            classification: Vec::with_capacity(capacity),
            flags: Vec::with_capacity(capacity),
            scan_angle: Vec::with_capacity(capacity),
            user_data: Vec::with_capacity(capacity),
            point_source_id: Vec::with_capacity(capacity),
            gps_time: Vec::with_capacity(opt(layout.gps_time)),
            rgb: Vec::with_capacity(opt(layout.rgb)),
            nir: Vec::with_capacity(opt(layout.nir)),
            waveform: Vec::with_capacity(opt(layout.waveform)),
            extra: Vec::with_capacity(capacity * layout.extra_bytes),
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when the block holds no point.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Appends a point with only position and classification set; other mandatory columns get
    /// neutral values (return 1 of 1), optional columns get zeros.
    pub fn push_xyz(&mut self, x: f64, y: f64, z: f64, classification: u8) {
        self.x.push(x);
        self.y.push(y);
        self.z.push(z);
        self.intensity.push(0);
        self.return_number.push(1);
        self.number_of_returns.push(1);
        self.classification.push(classification);
        self.flags.push(0);
        self.scan_angle.push(0.0);
        self.user_data.push(0);
        self.point_source_id.push(0);
        if self.layout.gps_time {
            self.gps_time.push(0.0);
        }
        if self.layout.rgb {
            self.rgb.push([0; 3]);
        }
        if self.layout.nir {
            self.nir.push(0);
        }
        if self.layout.waveform {
            self.waveform.push([0; 29]);
        }
        self.extra.extend(std::iter::repeat_n(0u8, self.layout.extra_bytes));
    }

    /// Appends point `i` of `other` (which must have the same layout).
    pub fn push_from(&mut self, other: &PointBlock, i: usize) {
        debug_assert_eq!(self.layout, other.layout);
        self.x.push(other.x[i]);
        self.y.push(other.y[i]);
        self.z.push(other.z[i]);
        self.intensity.push(other.intensity[i]);
        self.return_number.push(other.return_number[i]);
        self.number_of_returns.push(other.number_of_returns[i]);
        self.classification.push(other.classification[i]);
        self.flags.push(other.flags[i]);
        self.scan_angle.push(other.scan_angle[i]);
        self.user_data.push(other.user_data[i]);
        self.point_source_id.push(other.point_source_id[i]);
        if self.layout.gps_time {
            self.gps_time.push(other.gps_time[i]);
        }
        if self.layout.rgb {
            self.rgb.push(other.rgb[i]);
        }
        if self.layout.nir {
            self.nir.push(other.nir[i]);
        }
        if self.layout.waveform {
            self.waveform.push(other.waveform[i]);
        }
        let n = self.layout.extra_bytes;
        self.extra.extend_from_slice(&other.extra[i * n..(i + 1) * n]);
    }

    /// Appends all points of `other` (same layout).
    pub fn append(&mut self, other: &PointBlock) {
        for i in 0..other.len() {
            self.push_from(other, i);
        }
    }

    /// The bounds of all points.
    pub fn bounds(&self) -> Bounds3 {
        let mut b = Bounds3::EMPTY;
        for i in 0..self.len() {
            b.add(self.x[i], self.y[i], self.z[i]);
        }
        b
    }

    /// Checks that every column has the length the layout asks for.
    pub fn is_consistent(&self) -> bool {
        let n = self.len();
        let opt = |len: usize, on: bool| len == if on { n } else { 0 };
        [self.y.len(), self.z.len(), self.intensity.len(), self.return_number.len(), self.number_of_returns.len()]
            .iter()
            .chain(&[self.classification.len(), self.flags.len(), self.scan_angle.len(), self.user_data.len()])
            .all(|&l| l == n)
            && self.point_source_id.len() == n
            && opt(self.gps_time.len(), self.layout.gps_time)
            && opt(self.rgb.len(), self.layout.rgb)
            && opt(self.nir.len(), self.layout.nir)
            && opt(self.waveform.len(), self.layout.waveform)
            && self.extra.len() == n * self.layout.extra_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_follow_the_las_spec() {
        assert_eq!(PointLayout::for_format(0, 0), Some(PointLayout::default()));
        let f8 = PointLayout::for_format(8, 3).unwrap();
        assert!(f8.gps_time && f8.rgb && f8.nir && !f8.waveform && f8.extra_bytes == 3);
        assert!(PointLayout::for_format(10, 0).unwrap().waveform);
        assert_eq!(PointLayout::for_format(11, 0), None);
    }

    #[test]
    fn push_keeps_columns_consistent() {
        let layout = PointLayout::for_format(7, 2).unwrap();
        let mut a = PointBlock::with_capacity(layout, 4);
        a.push_xyz(1.0, 2.0, 3.0, class::GROUND);
        a.push_xyz(4.0, 5.0, 6.0, class::BUILDING);
        assert!(a.is_consistent());
        let mut b = PointBlock::with_capacity(layout, 4);
        b.push_from(&a, 1);
        assert_eq!(b.len(), 1);
        assert_eq!(b.classification, vec![class::BUILDING]);
        assert!(b.is_consistent());
        assert_eq!(a.bounds().max_z, 6.0);
    }
}
