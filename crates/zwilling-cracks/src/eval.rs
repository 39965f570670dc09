//! Precision, recall and F1 of a crack mask against a reference mask with a distance tolerance.
//!
//! The usual protocol of crack-detection benchmarks (CrackTree, Zou et al. 2012; CrackForest,
//! Shi et al. 2016, IEEE T-ITS 17(12)): a predicted crack pixel is a true positive when a reference
//! crack pixel lies within Euclidean distance `t` (pixel centres), and a reference pixel is found
//! when a predicted pixel lies within `t`:
//!
//! ```text
//! P = |{p ∈ Pred : d(p, Truth) ≤ t}| / |Pred|
//! R = |{q ∈ Truth : d(q, Pred) ≤ t}| / |Truth|
//! F1 = 2PR / (P + R)
//! ```
//!
//! Distances come from the exact Euclidean distance transform ([`crate::distance`]). Over a set of
//! images the counts are summed first (micro average over all pixels, as the CrackForest table is
//! computed), [`Scores::mean_of`] gives the per-image mean as a second view. Conventions for empty
//! sets: an empty prediction has precision 1, an empty reference recall 1; F1 is 0 when P + R = 0.
//!
//! ```
//! use zwilling_cracks::eval::match_counts;
//! // One reference pixel, one prediction two pixels to the right.
//! let mut truth = vec![false; 25];
//! let mut pred = vec![false; 25];
//! truth[12] = true;
//! pred[14] = true;
//! assert_eq!(match_counts(&pred, &truth, 5, 5, &[1.0, 2.0])[0].scores().f1, 0.0);
//! assert_eq!(match_counts(&pred, &truth, 5, 5, &[1.0, 2.0])[1].scores().f1, 1.0);
//! ```

use crate::distance::squared_edt;
use serde::Serialize;

/// Pixel counts of one comparison at one tolerance; add them over images for the micro average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MatchCounts {
    /// Predicted crack pixels.
    pub predicted: u64,
    /// Predicted pixels with a reference pixel within the tolerance.
    pub predicted_matched: u64,
    /// Reference crack pixels.
    pub truth: u64,
    /// Reference pixels with a predicted pixel within the tolerance.
    pub truth_matched: u64,
}

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Precision (share of predicted pixels that are correct).
    pub precision: f64,
    /// Recall (share of reference pixels that are found).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Scores {
    /// Scores from a precision and a recall.
    pub fn new(precision: f64, recall: f64) -> Self {
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        Scores { precision, recall, f1 }
    }

    /// The per-image mean of precision, recall and F1 (each averaged separately); zeros when empty.
    pub fn mean_of(all: &[Scores]) -> Scores {
        if all.is_empty() {
            return Scores::default();
        }
        let n = all.len() as f64;
        Scores {
            precision: all.iter().map(|s| s.precision).sum::<f64>() / n,
            recall: all.iter().map(|s| s.recall).sum::<f64>() / n,
            f1: all.iter().map(|s| s.f1).sum::<f64>() / n,
        }
    }
}

impl MatchCounts {
    /// Precision, recall and F1 of these counts.
    pub fn scores(&self) -> Scores {
        let p = if self.predicted == 0 { 1.0 } else { self.predicted_matched as f64 / self.predicted as f64 };
        let r = if self.truth == 0 { 1.0 } else { self.truth_matched as f64 / self.truth as f64 };
        Scores::new(p, r)
    }
}

impl std::ops::AddAssign for MatchCounts {
    fn add_assign(&mut self, o: MatchCounts) {
        self.predicted += o.predicted;
        self.predicted_matched += o.predicted_matched;
        self.truth += o.truth;
        self.truth_matched += o.truth_matched;
    }
}

/// Compares a predicted and a reference `w × h` crack mask at each of `tolerances` (pixels),
/// computing each distance transform once.
pub fn match_counts(pred: &[bool], truth: &[bool], w: usize, h: usize, tolerances: &[f64]) -> Vec<MatchCounts> {
    assert_eq!(pred.len(), w * h, "prediction must be w*h long");
    assert_eq!(truth.len(), w * h, "reference must be w*h long");
    let to_truth = squared_edt(truth, w, h);
    let to_pred = squared_edt(pred, w, h);
    let predicted = pred.iter().filter(|&&b| b).count() as u64;
    let n_truth = truth.iter().filter(|&&b| b).count() as u64;
    tolerances
        .iter()
        .map(|&t| {
            // Compare squared integer-lattice distances with a tiny slack against rounding.
            let t2 = (t * t) as f32 + 1e-3;
            let predicted_matched = pred.iter().zip(&to_truth).filter(|(&p, &d)| p && d <= t2).count() as u64;
            let truth_matched = truth.iter().zip(&to_pred).filter(|(&q, &d)| q && d <= t2).count() as u64;
            MatchCounts { predicted, predicted_matched, truth: n_truth, truth_matched }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a mask drawn with `#` (crack) and `.`.
    fn mask(rows: &[&str]) -> (Vec<bool>, usize, usize) {
        let w = rows[0].len();
        (rows.iter().flat_map(|r| r.chars().map(|c| c == '#')).collect(), w, rows.len())
    }

    #[test]
    fn hand_computed_tolerances_0_1_2() {
        // Reference: a horizontal line of 5 pixels on row 1. Prediction: the same line shifted
        // down by 2 rows, plus one stray pixel at (0, 4) and a 6th pixel at (6, 3).
        let (truth, w, h) = mask(&[".......", ".#####.", ".......", ".......", "......."]);
        let (pred, _, _) = mask(&[".......", ".......", ".......", ".######", "#......"]);
        let c = match_counts(&pred, &truth, w, h, &[0.0, 1.0, 2.0, 3.0]);
        // t = 0: nothing coincides.
        assert_eq!(c[0], MatchCounts { predicted: 7, predicted_matched: 0, truth: 5, truth_matched: 0 });
        // t = 1: still nothing (the lines are 2 apart).
        assert_eq!(c[1].predicted_matched, 0);
        // t = 2: prediction pixels (1..5, 3) are 2 away; (6, 3) is √(1+4) = 2.24 away from (5, 1);
        // (0, 4) is √(1+9) away. All 5 reference pixels have a prediction 2 below.
        assert_eq!(c[2], MatchCounts { predicted: 7, predicted_matched: 5, truth: 5, truth_matched: 5 });
        let s = c[2].scores();
        assert!((s.precision - 5.0 / 7.0).abs() < 1e-12);
        assert_eq!(s.recall, 1.0);
        assert!((s.f1 - 2.0 * (5.0 / 7.0) / (5.0 / 7.0 + 1.0)).abs() < 1e-12);
        // t = 3: (6, 3) now counts, (0, 4) is √10 = 3.16 away, still wrong.
        assert_eq!(c[3].predicted_matched, 6);
    }

    #[test]
    fn exact_overlap_at_zero_tolerance() {
        let (truth, w, h) = mask(&["##..", "..#.", "...."]);
        let (pred, _, _) = mask(&["#...", "..##", "...."]);
        let c = match_counts(&pred, &truth, w, h, &[0.0, 1.0])[0];
        assert_eq!(c, MatchCounts { predicted: 3, predicted_matched: 2, truth: 3, truth_matched: 2 });
        // At t = 1 every pixel has a partner one step away.
        let c1 = match_counts(&pred, &truth, w, h, &[1.0])[0];
        assert_eq!(c1.scores(), Scores::new(1.0, 1.0));
    }

    #[test]
    fn micro_average_sums_counts_and_empty_sets_follow_the_convention() {
        let mut a = MatchCounts { predicted: 10, predicted_matched: 5, truth: 4, truth_matched: 4 };
        a += MatchCounts { predicted: 0, predicted_matched: 0, truth: 6, truth_matched: 0 };
        let s = a.scores();
        assert_eq!((s.precision, s.recall), (0.5, 0.4));
        let empty = MatchCounts::default().scores();
        assert_eq!((empty.precision, empty.recall, empty.f1), (1.0, 1.0, 1.0));
        let m = Scores::mean_of(&[Scores::new(1.0, 1.0), Scores::new(0.0, 0.0)]);
        assert_eq!((m.precision, m.f1), (0.5, 0.5));
    }
}
