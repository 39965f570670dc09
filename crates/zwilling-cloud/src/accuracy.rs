//! Accuracy of a ground filter against reference labels: type I, type II and total error and
//! Cohen's kappa, as defined by Sithole & Vosselman (2004), "Experimental comparison of filter
//! algorithms for bare-Earth extraction from airborne laser scanning point clouds",
//! ISPRS J. Photogramm. 59(1–2):85–101, Table 4.
//!
//! With `a` = ground classified as ground, `b` = ground rejected as object (type I),
//! `c` = object accepted as ground (type II), `d` = object classified as object, `n = a+b+c+d`:
//! type I = `b / (a + b)`, type II = `c / (c + d)`, total = `(b + c) / n`, and Cohen's kappa
//! `κ = (p_o − p_e) / (1 − p_e)` with `p_o = (a + d) / n` and
//! `p_e = ((a + b)(a + c) + (c + d)(b + d)) / n²`.
//!
//! ```
//! use zwilling_cloud::accuracy::FilterAccuracy;
//! let acc = FilterAccuracy::from_labels(&[true, true, false, false], &[true, false, false, true]);
//! assert_eq!((acc.type1(), acc.type2(), acc.total()), (0.5, 0.5, 0.5));
//! assert_eq!(acc.kappa(), 0.0);
//! ```

/// The confusion counts of a ground filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterAccuracy {
    /// Reference ground classified as ground.
    pub ground_ok: u64,
    /// Reference ground classified as object (type I errors).
    pub ground_rejected: u64,
    /// Reference object classified as ground (type II errors).
    pub object_accepted: u64,
    /// Reference object classified as object.
    pub object_ok: u64,
}

impl FilterAccuracy {
    /// Counts from per-point reference and predicted ground flags (same length).
    pub fn from_labels(reference: &[bool], predicted: &[bool]) -> Self {
        assert_eq!(reference.len(), predicted.len(), "label lengths differ");
        let mut acc = FilterAccuracy::default();
        for (&r, &p) in reference.iter().zip(predicted) {
            match (r, p) {
                (true, true) => acc.ground_ok += 1,
                (true, false) => acc.ground_rejected += 1,
                (false, true) => acc.object_accepted += 1,
                (false, false) => acc.object_ok += 1,
            }
        }
        acc
    }

    /// Number of points.
    pub fn total_points(&self) -> u64 {
        self.ground_ok + self.ground_rejected + self.object_accepted + self.object_ok
    }

    /// Type I error: share of reference ground rejected.
    pub fn type1(&self) -> f64 {
        ratio(self.ground_rejected, self.ground_ok + self.ground_rejected)
    }

    /// Type II error: share of reference objects accepted as ground.
    pub fn type2(&self) -> f64 {
        ratio(self.object_accepted, self.object_accepted + self.object_ok)
    }

    /// Total error: share of all points misclassified.
    pub fn total(&self) -> f64 {
        ratio(self.ground_rejected + self.object_accepted, self.total_points())
    }

    /// Cohen's kappa.
    pub fn kappa(&self) -> f64 {
        let n = self.total_points() as f64;
        let (a, b, c, d) =
            (self.ground_ok as f64, self.ground_rejected as f64, self.object_accepted as f64, self.object_ok as f64);
        let po = (a + d) / n;
        let pe = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n);
        if pe == 1.0 {
            return 1.0;
        }
        (po - pe) / (1.0 - pe)
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_a_hand_computed_table() {
        // a=40, b=10, c=5, d=45: po = 0.85, pe = (50·45 + 50·55)/100² = 0.5, κ = 0.7.
        let acc = FilterAccuracy { ground_ok: 40, ground_rejected: 10, object_accepted: 5, object_ok: 45 };
        assert!((acc.kappa() - 0.7).abs() < 1e-12);
        assert!((acc.type1() - 0.2).abs() < 1e-12);
        assert!((acc.type2() - 0.1).abs() < 1e-12);
        assert!((acc.total() - 0.15).abs() < 1e-12);
        let perfect = FilterAccuracy::from_labels(&[true, false], &[true, false]);
        assert_eq!((perfect.total(), perfect.kappa()), (0.0, 1.0));
    }
}
