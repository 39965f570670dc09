//! Linear least squares by the normal equations, shared by the road surface, pothole and
//! pothole-outline fits.
//!
//! For rows `tᵢ` (the basis functions evaluated at a point) with observations `zᵢ` and weights
//! `wᵢ`, the coefficients `x` minimising `Σ wᵢ (zᵢ − tᵢ·x)²` solve `(Σ wᵢ tᵢ tᵢᵀ) x = Σ wᵢ tᵢ zᵢ`
//! (Björck, *Numerical Methods for Least Squares Problems*, SIAM 1996, §2.2). The system is solved
//! by Gaussian elimination with partial pivoting (Golub & Van Loan, *Matrix Computations*, 4th ed.,
//! §3.4). The fits here have at most six well-scaled terms (coordinates are centred, and scaled
//! where the caller needs it), where the normal equations are accurate enough.
//!
//! ```
//! use zwilling_road::lsq::{NormalEquations, Singular};
//! // z = 2 + 3·u through three points
//! let mut ne = NormalEquations::<2>::new();
//! for (u, z) in [(0.0, 2.0), (1.0, 5.0), (2.0, 8.0)] {
//!     ne.add(&[1.0, u], z);
//! }
//! let x = ne.solve(2, Singular::Below(1e-12)).unwrap();
//! assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12);
//! ```

/// When a pivot counts as zero (the system as singular).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Singular {
    /// A pivot with absolute value below this.
    Below(f64),
    /// A pivot with absolute value at or below this fraction of the largest diagonal entry.
    RelativeToDiagonal(f64),
}

/// Accumulated normal equations `AᵀWA x = AᵀWz` of up to `N` terms.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalEquations<const N: usize> {
    ata: [[f64; N]; N],
    atb: [f64; N],
    rows: usize,
}

impl<const N: usize> Default for NormalEquations<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> NormalEquations<N> {
    /// No rows yet.
    pub fn new() -> Self {
        NormalEquations { ata: [[0.0; N]; N], atb: [0.0; N], rows: 0 }
    }

    /// Adds the row `t` with observation `z` and weight 1.
    pub fn add(&mut self, t: &[f64; N], z: f64) {
        for a in 0..N {
            self.atb[a] += t[a] * z;
            for b in 0..N {
                self.ata[a][b] += t[a] * t[b];
            }
        }
        self.rows += 1;
    }

    /// Adds the row `t` with observation `z` and weight `w`.
    pub fn add_weighted(&mut self, t: &[f64; N], z: f64, w: f64) {
        for a in 0..N {
            let wt = w * t[a];
            self.atb[a] += wt * z;
            for b in 0..N {
                self.ata[a][b] += wt * t[b];
            }
        }
        self.rows += 1;
    }

    /// Number of rows added.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Solves for the first `m ≤ N` terms (the others must be zero in every row); `None` when the
    /// system is singular by `singular`.
    pub fn solve(&self, m: usize, singular: Singular) -> Option<[f64; N]> {
        let (mut a, mut b) = (self.ata, self.atb);
        let m = m.min(N);
        let tol = match singular {
            Singular::Below(t) => t,
            Singular::RelativeToDiagonal(f) => f * (0..m).map(|i| a[i][i].abs()).fold(0.0, f64::max),
        };
        for c in 0..m {
            let p = (c..m).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))?;
            let zero = match singular {
                Singular::Below(_) => a[p][c].abs() < tol,
                Singular::RelativeToDiagonal(_) => a[p][c].abs() <= tol,
            };
            if zero {
                return None;
            }
            a.swap(c, p);
            b.swap(c, p);
            for r in c + 1..m {
                let f = a[r][c] / a[c][c];
                for k in c..m {
                    a[r][k] -= f * a[c][k];
                }
                b[r] -= f * b[c];
            }
        }
        let mut x = [0.0; N];
        for r in (0..m).rev() {
            let s: f64 = (r + 1..m).map(|k| a[r][k] * x[k]).sum();
            x[r] = (b[r] - s) / a[r][r];
        }
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_quadric_is_recovered() {
        // z = 1 − 2u + 0.5v + 0.3u² − 0.1uv + 0.2v² on a 5 × 5 lattice: the fit is exact.
        let c = [1.0, -2.0, 0.5, 0.3, -0.1, 0.2];
        let mut ne = NormalEquations::<6>::new();
        for i in -2..=2 {
            for j in -2..=2 {
                let (u, v) = (i as f64 * 0.4, j as f64 * 0.3);
                let t = [1.0, u, v, u * u, u * v, v * v];
                ne.add(&t, t.iter().zip(&c).map(|(a, b)| a * b).sum());
            }
        }
        assert_eq!(ne.rows(), 25);
        let x = ne.solve(6, Singular::Below(1e-14)).unwrap();
        for (xi, ci) in x.iter().zip(&c) {
            assert!((xi - ci).abs() < 1e-10, "{x:?}");
        }
    }

    #[test]
    fn weights_pick_the_weighted_mean_and_leading_block_ignores_unused_terms() {
        // Constant fit with weights 1 and 3 on z = 0 and 4: the weighted mean 3.
        let mut ne = NormalEquations::<3>::new();
        ne.add_weighted(&[1.0, 0.0, 0.0], 0.0, 1.0);
        ne.add_weighted(&[1.0, 0.0, 0.0], 4.0, 3.0);
        let x = ne.solve(1, Singular::RelativeToDiagonal(1e-10)).unwrap();
        assert_eq!(x, [3.0, 0.0, 0.0]);
        // The full 3-term system is singular (two unused terms).
        assert!(ne.solve(3, Singular::RelativeToDiagonal(1e-10)).is_none());
    }

    #[test]
    fn collinear_rows_are_singular() {
        // All points at u = 1: intercept and slope cannot be separated.
        let mut ne = NormalEquations::<2>::new();
        for z in [1.0, 2.0, 3.0] {
            ne.add(&[1.0, 1.0], z);
        }
        assert!(ne.solve(2, Singular::Below(1e-12)).is_none());
    }
}
