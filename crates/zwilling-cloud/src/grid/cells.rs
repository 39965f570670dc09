//! Per-cell statistics of points: DSM (highest return), mean intensity, mean RGB, point density,
//! and the normalised DSM `nDSM = DSM − DTM`.
//!
//! Points are binned by the cell that contains them (see [`zwilling_core::Grid::cell_of`]); noise
//! (classes 7 and 18) and withheld points are skipped. Accumulation is streaming: feed any number
//! of [`PointBlock`]s, memory is one accumulator per cell. Sums are integers or per-cell `max`,
//! so the result does not depend on block order or thread count.
//!
//! - DSM: `max z` of the points in the cell.
//! - Intensity: `Σ intensity / n`.
//! - RGB: `Σ rgb / n` per band; LAS stores 16-bit colour, but many writers put 8-bit values in it,
//!   so when every value is ≤ 255 the values are taken as 8-bit, otherwise divided by 257.
//! - Density: `n / cell area` in points per m².
//!
//! ```
//! use zwilling_cloud::grid::cells::{CellStats, Statistic};
//! use zwilling_core::{GeoTransform, Grid, PointBlock, PointLayout};
//! let target = Grid::filled(2, 1, GeoTransform::new(0.0, 1.0, 1.0), f32::NAN);
//! let mut b = PointBlock::with_capacity(PointLayout::default(), 3);
//! b.push_xyz(0.2, 0.5, 3.0, 1);
//! b.push_xyz(0.7, 0.5, 5.0, 1);
//! let mut dsm = CellStats::new(Statistic::MaxZ, &target);
//! dsm.add_block(&b);
//! let g = dsm.finish();
//! assert_eq!(g.data[0], 5.0);
//! assert!(g.data[1].is_nan());
//! ```

use zwilling_core::points::flag;
use zwilling_core::{class, GeoTransform, Grid, PointBlock};

/// What a [`CellStats`] accumulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Highest point (DSM).
    MaxZ,
    /// Mean intensity.
    MeanIntensity,
    /// Mean RGB (three bands).
    MeanRgb,
    /// Points per m².
    Density,
}

/// A streaming per-cell accumulator over a target grid.
#[derive(Debug, Clone)]
pub struct CellStats {
    statistic: Statistic,
    transform: GeoTransform,
    width: usize,
    height: usize,
    counts: Vec<u32>,
    max_z: Vec<f64>,
    sums: Vec<[u64; 3]>,
    rgb_max: u16,
}

impl CellStats {
    /// An empty accumulator on the georeferencing of `target`.
    pub fn new<T>(statistic: Statistic, target: &Grid<T>) -> Self {
        let n = target.width * target.height;
        let (max_z, sums) = match statistic {
            Statistic::MaxZ => (vec![f64::NEG_INFINITY; n], vec![]),
            Statistic::MeanIntensity | Statistic::MeanRgb => (vec![], vec![[0; 3]; n]),
            Statistic::Density => (vec![], vec![]),
        };
        CellStats {
            statistic,
            transform: target.transform,
            width: target.width,
            height: target.height,
            counts: vec![0; n],
            max_z,
            sums,
            rgb_max: 0,
        }
    }

    /// Adds every usable point of `block` that falls into the grid.
    pub fn add_block(&mut self, block: &PointBlock) {
        let rgb = self.statistic == Statistic::MeanRgb && block.layout.rgb;
        for i in 0..block.len() {
            let c = block.classification[i];
            if c == class::LOW_NOISE || c == class::HIGH_NOISE || block.flags[i] & flag::WITHHELD != 0 {
                continue;
            }
            let (fc, fr) = self.transform.world_to_frac(block.x[i], block.y[i]);
            if !(fc >= 0.0 && fr >= 0.0) || fc as usize >= self.width || fr as usize >= self.height {
                continue;
            }
            let k = fr as usize * self.width + fc as usize;
            self.counts[k] += 1;
            match self.statistic {
                Statistic::MaxZ => self.max_z[k] = self.max_z[k].max(block.z[i]),
                Statistic::MeanIntensity => self.sums[k][0] += block.intensity[i] as u64,
                Statistic::MeanRgb if rgb => {
                    let p = block.rgb[i];
                    self.rgb_max = self.rgb_max.max(p[0]).max(p[1]).max(p[2]);
                    for (sum, v) in self.sums[k].iter_mut().zip(p) {
                        *sum += v as u64;
                    }
                }
                _ => {}
            }
        }
    }

    /// The float product (DSM, intensity or density); NaN where no point fell. For
    /// [`Statistic::MeanRgb`] this is the mean of the three bands (grey).
    pub fn finish(&self) -> Grid<f32> {
        let area = self.transform.cell_x * self.transform.cell_y;
        let scale = self.rgb_scale();
        let data = (0..self.counts.len())
            .map(|k| {
                let n = self.counts[k];
                match self.statistic {
                    Statistic::Density => (n as f64 / area) as f32,
                    _ if n == 0 => f32::NAN,
                    Statistic::MaxZ => self.max_z[k] as f32,
                    Statistic::MeanIntensity => (self.sums[k][0] as f64 / n as f64) as f32,
                    Statistic::MeanRgb => (self.sums[k].iter().sum::<u64>() as f64 / (3.0 * n as f64) / scale) as f32,
                }
            })
            .collect();
        let mut g = Grid::filled(self.width, self.height, self.transform, 0.0f32).with_data(data);
        g.nodata = if self.statistic == Statistic::Density { None } else { Some(f64::NAN) };
        g
    }

    /// Three u8 bands (red, green, blue) of the mean colour; 0 where no point fell.
    pub fn finish_rgb(&self) -> [Grid<u8>; 3] {
        let scale = self.rgb_scale();
        let band = |b: usize| {
            let data = (0..self.counts.len())
                .map(|k| match self.counts[k] {
                    0 => 0,
                    n => (self.sums[k][b] as f64 / n as f64 / scale).round().clamp(0.0, 255.0) as u8,
                })
                .collect();
            let mut g = Grid::filled(self.width, self.height, self.transform, 0u8).with_data(data);
            g.nodata = Some(0.0);
            g
        };
        [band(0), band(1), band(2)]
    }

    /// Number of points per cell.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    fn rgb_scale(&self) -> f64 {
        if self.rgb_max > 255 {
            257.0
        } else {
            1.0
        }
    }
}

/// `nDSM = DSM − DTM` cell by cell (same georeferencing); NaN where either is NaN.
pub fn ndsm(dsm: &Grid<f32>, dtm: &Grid<f32>) -> Grid<f32> {
    assert_eq!((dsm.width, dsm.height), (dtm.width, dtm.height), "DSM and DTM must share the grid");
    let data = dsm.data.iter().zip(&dtm.data).map(|(&s, &t)| s - t).collect();
    let mut g = dsm.with_data(data);
    g.nodata = Some(f64::NAN);
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use zwilling_core::PointLayout;

    fn block() -> PointBlock {
        let mut b = PointBlock::with_capacity(PointLayout::for_format(2, 0).unwrap(), 4);
        b.push_xyz(0.5, 1.5, 10.0, class::GROUND);
        b.push_xyz(0.6, 1.4, 12.0, class::BUILDING);
        b.push_xyz(0.6, 1.4, 99.0, class::HIGH_NOISE);
        b.push_xyz(1.5, 0.5, 7.0, class::GROUND);
        b.intensity = vec![100, 300, 5000, 50];
        b.rgb = vec![[65535, 0, 257], [0, 0, 257], [9, 9, 9], [257 * 10, 257 * 20, 257 * 30]];
        b
    }

    #[test]
    fn statistics_per_cell() {
        let target = Grid::filled(2, 2, GeoTransform::new(0.0, 2.0, 1.0), 0.0f32);
        let b = block();
        let run = |s| {
            let mut acc = CellStats::new(s, &target);
            acc.add_block(&b);
            acc
        };
        let dsm = run(Statistic::MaxZ).finish();
        assert_eq!((dsm.data[0], dsm.data[3]), (12.0, 7.0), "noise is skipped");
        assert!(dsm.data[1].is_nan() && dsm.data[2].is_nan());
        let int = run(Statistic::MeanIntensity).finish();
        assert_eq!(int.data[0], 200.0);
        let den = run(Statistic::Density).finish();
        assert_eq!(den.data, vec![2.0, 0.0, 0.0, 1.0]);
        let [r, g, bl] = run(Statistic::MeanRgb).finish_rgb();
        assert_eq!((r.data[0], g.data[0], bl.data[0]), (128, 0, 1));
        assert_eq!((r.data[3], g.data[3], bl.data[3]), (10, 20, 30));
        assert_eq!(r.data[1], 0);
    }

    #[test]
    fn ndsm_is_the_difference() {
        let t = GeoTransform::new(0.0, 1.0, 1.0);
        let dsm = Grid::filled(2, 1, t, 0.0f32).with_data(vec![12.0, f32::NAN]);
        let dtm = Grid::filled(2, 1, t, 0.0f32).with_data(vec![10.5, 3.0]);
        let n = ndsm(&dsm, &dtm);
        assert_eq!(n.data[0], 1.5);
        assert!(n.data[1].is_nan());
    }
}
