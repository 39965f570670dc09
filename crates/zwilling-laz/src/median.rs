//! The streaming "median of five" LASzip predicts X and Y differences with.
//!
//! Five sorted values; a new value replaces, alternately, the largest or the smallest one after
//! being inserted in order, so the middle value follows the recent differences while one
//! outlier cannot move it far. It is not the exact median of the last five values, and must not
//! be: the encoder uses this very rule.
//!
//! Source: M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013, and the
//! LAS 1.4 point-14 item of LASzip 3 (`StreamingMedian5`).
//!
//! ```
//! use zwilling_laz::median::Median5;
//! let mut m = Median5::default();
//! for v in [4, 8, 6] {
//!     m.add(v);
//! }
//! assert_eq!(m.get(), 4);
//! ```

/// Five ordered values and which end the next value replaces.
#[derive(Clone, Copy, Debug)]
pub struct Median5 {
    v: [i32; 5],
    high: bool,
}

impl Default for Median5 {
    fn default() -> Self {
        Median5 { v: [0; 5], high: true }
    }
}

impl Median5 {
    /// The middle value.
    #[inline(always)]
    pub fn get(&self) -> i32 {
        self.v[2]
    }

    /// Inserts `x`, dropping the largest value (after a `high` turn) or the smallest one.
    ///
    /// Branch-free: the four kept values are merged with `x` by min/max, which gives the same
    /// sorted values as inserting by comparisons (equal values are indistinguishable).
    #[inline(always)]
    pub fn add(&mut self, x: i32) {
        let v = self.v;
        let a = if self.high { [v[0], v[1], v[2], v[3]] } else { [v[1], v[2], v[3], v[4]] };
        self.high = if self.high { x < v[2] } else { x <= v[2] };
        self.v = [a[0].min(x), a[0].max(a[1].min(x)), a[1].max(a[2].min(x)), a[2].max(a[3].min(x)), a[3].max(x)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_constant_run_and_resists_one_outlier() {
        let mut m = Median5::default();
        for _ in 0..6 {
            m.add(10);
        }
        assert_eq!(m.get(), 10);
        m.add(1_000_000);
        assert_eq!(m.get(), 10);
        m.add(-1_000_000);
        assert_eq!(m.get(), 10);
    }

    #[test]
    fn values_stay_sorted() {
        let mut m = Median5::default();
        let mut x = 12345i32;
        for _ in 0..1000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            m.add(x >> 20);
            assert!(m.v.windows(2).all(|w| w[0] <= w[1]), "{:?}", m.v);
        }
    }
}
