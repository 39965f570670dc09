//! Per-cell statistics of points: DSM (highest return), mean intensity, mean RGB, point density,
//! and the normalised DSM `nDSM = DSM − DTM`.
//!
//! Points are binned by the cell that contains them (see [`zwilling_core::Grid::cell_of`]); noise
//! (classes 7 and 18) and withheld points are skipped. Accumulation is streaming: feed any number
//! of [`PointBlock`]s; the cells live in sparse blocks ([`super::blocks`]) allocated where points
//! fall, at most a budgeted number in memory, the rest spilled and merged back when read. Sums are
//! integers or per-cell `max`, so the result does not depend on block order, budget or thread
//! count. Results are read window by window ([`CellStats::window`], e.g. one COG tile at a time).
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
//! dsm.add_block(&b).unwrap();
//! let g = dsm.finish().unwrap();
//! assert_eq!(g.data[0], 5.0);
//! assert!(g.data[1].is_nan());
//! ```

use super::blocks::{read_u32, read_u64, BlockData, MemorySpill, SparseBlocks, SpillStore, BLOCK};
use zwilling_core::points::flag;
use zwilling_core::{class, GeoTransform, Grid, PointBlock, Result};

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

impl Statistic {
    /// Integer sums kept per cell.
    fn sums(self) -> usize {
        match self {
            Statistic::MeanIntensity => 1,
            Statistic::MeanRgb => 3,
            Statistic::MaxZ | Statistic::Density => 0,
        }
    }
}

/// The statistics of one block of cells: point count, highest z (DSM only), integer sums.
#[derive(Debug, Clone, PartialEq)]
pub struct StatBlock {
    counts: Vec<u32>,
    max_z: Vec<f64>,
    sums: Vec<u64>,
}

impl BlockData for StatBlock {
    type Kind = Statistic;
    fn empty(kind: Statistic, cells: usize) -> Self {
        let max_z = if kind == Statistic::MaxZ { vec![f64::NEG_INFINITY; cells] } else { vec![] };
        StatBlock { counts: vec![0; cells], max_z, sums: vec![0; cells * kind.sums()] }
    }
    fn clear(&mut self) {
        self.counts.iter_mut().for_each(|v| *v = 0);
        self.max_z.iter_mut().for_each(|v| *v = f64::NEG_INFINITY);
        self.sums.iter_mut().for_each(|v| *v = 0);
    }
    fn merge(&mut self, o: &Self) {
        self.counts.iter_mut().zip(&o.counts).for_each(|(a, b)| *a += b);
        self.max_z.iter_mut().zip(&o.max_z).for_each(|(a, b)| *a = a.max(*b));
        self.sums.iter_mut().zip(&o.sums).for_each(|(a, b)| *a += b);
    }
    fn encode(&self, out: &mut Vec<u8>) {
        // Occupied cells only: index, count, [max z], [sums].
        let bands = self.sums.len() / self.counts.len().max(1);
        for (k, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            out.extend((k as u32).to_le_bytes());
            out.extend(n.to_le_bytes());
            if let Some(z) = self.max_z.get(k) {
                out.extend(z.to_bits().to_le_bytes());
            }
            for s in &self.sums[k * bands..(k + 1) * bands] {
                out.extend(s.to_le_bytes());
            }
        }
    }
    fn decode(kind: Statistic, b: &[u8], cells: usize) -> Option<Self> {
        let mut d = StatBlock::empty(kind, cells);
        let bands = kind.sums();
        let mut at = 0;
        while at < b.len() {
            let k = read_u32(b, &mut at)? as usize;
            *d.counts.get_mut(k)? = read_u32(b, &mut at)?;
            if kind == Statistic::MaxZ {
                d.max_z[k] = f64::from_bits(read_u64(b, &mut at)?);
            }
            for j in 0..bands {
                d.sums[k * bands + j] = read_u64(b, &mut at)?;
            }
        }
        Some(d)
    }
    fn bytes_per_cell(kind: Statistic) -> usize {
        4 + if kind == Statistic::MaxZ { 8 } else { 0 } + 8 * kind.sums()
    }
}

/// A streaming per-cell accumulator over a target grid, stored in sparse blocks.
pub struct CellStats {
    statistic: Statistic,
    transform: GeoTransform,
    blocks: SparseBlocks<StatBlock>,
    rgb_max: u16,
}

impl CellStats {
    /// An empty accumulator on the georeferencing of `target`, without a memory budget.
    pub fn new<T>(statistic: Statistic, target: &Grid<T>) -> Self {
        Self::with_budget(statistic, target, usize::MAX, Box::new(MemorySpill::default()))
    }

    /// An empty accumulator holding at most `max_resident` blocks in memory, spilling to `store`.
    pub fn with_budget<T>(
        statistic: Statistic,
        target: &Grid<T>,
        max_resident: usize,
        store: Box<dyn SpillStore>,
    ) -> Self {
        CellStats {
            statistic,
            transform: target.transform,
            blocks: SparseBlocks::new(statistic, target.width, target.height, max_resident, store),
            rgb_max: 0,
        }
    }

    /// Resident bytes of one block of this statistic (for budgets).
    pub fn block_bytes(statistic: Statistic) -> usize {
        BLOCK * BLOCK * StatBlock::bytes_per_cell(statistic)
    }

    /// Adds every usable point of `block` that falls into the grid. Errors come from the spill store.
    pub fn add_block(&mut self, block: &PointBlock) -> Result<()> {
        let rgb = self.statistic == Statistic::MeanRgb && block.layout.rgb;
        let (width, height) = self.blocks.size();
        for i in 0..block.len() {
            let c = block.classification[i];
            if c == class::LOW_NOISE || c == class::HIGH_NOISE || block.flags[i] & flag::WITHHELD != 0 {
                continue;
            }
            let (fc, fr) = self.transform.world_to_frac(block.x[i], block.y[i]);
            if !(fc >= 0.0 && fr >= 0.0) || fc as usize >= width || fr as usize >= height {
                continue;
            }
            let (d, k) = self.blocks.cell_mut(fc as usize, fr as usize)?;
            d.counts[k] += 1;
            match self.statistic {
                Statistic::MaxZ => d.max_z[k] = d.max_z[k].max(block.z[i]),
                Statistic::MeanIntensity => d.sums[k] += block.intensity[i] as u64,
                Statistic::MeanRgb if rgb => {
                    let p = block.rgb[i];
                    self.rgb_max = self.rgb_max.max(p[0]).max(p[1]).max(p[2]);
                    for (sum, v) in d.sums[3 * k..3 * k + 3].iter_mut().zip(p) {
                        *sum += v as u64;
                    }
                }
                _ => {}
            }
        }
        self.blocks.tick();
        Ok(())
    }

    /// Visits the merged blocks overlapping the window `cols × rows` at `(col0, row0)`: `f(block,
    /// window index, block cell index)` for every cell of the window inside the grid and a block
    /// that holds data.
    fn for_window(
        &self,
        (col0, row0, cols, rows): (usize, usize, usize, usize),
        mut f: impl FnMut(&StatBlock, usize, usize),
    ) -> Result<()> {
        let (width, height) = self.blocks.size();
        let (col1, row1) = ((col0 + cols).min(width), (row0 + rows).min(height));
        if col0 >= col1 || row0 >= row1 {
            return Ok(());
        }
        for br in row0 / BLOCK..=(row1 - 1) / BLOCK {
            for bc in col0 / BLOCK..=(col1 - 1) / BLOCK {
                self.blocks.with_block(bc, br, |d| {
                    for row in (br * BLOCK).max(row0)..((br + 1) * BLOCK).min(row1) {
                        for col in (bc * BLOCK).max(col0)..((bc + 1) * BLOCK).min(col1) {
                            f(d, (row - row0) * cols + col - col0, (row % BLOCK) * BLOCK + col % BLOCK);
                        }
                    }
                })?;
            }
        }
        Ok(())
    }

    /// The float product (DSM, intensity or density) of the window of `cols × rows` cells whose
    /// top-left cell is `(col0, row0)`, row-major; NaN where no point fell (0 for density, also
    /// outside the grid). For [`Statistic::MeanRgb`] this is the mean of the three bands (grey).
    pub fn window(&self, col0: usize, row0: usize, cols: usize, rows: usize) -> Result<Vec<f32>> {
        let area = self.transform.cell_x * self.transform.cell_y;
        let scale = self.rgb_scale();
        let empty = if self.statistic == Statistic::Density { 0.0 } else { f32::NAN };
        let mut out = vec![empty; cols * rows];
        self.for_window((col0, row0, cols, rows), |d, w, k| {
            let n = d.counts[k];
            out[w] = match self.statistic {
                Statistic::Density => (n as f64 / area) as f32,
                _ if n == 0 => f32::NAN,
                Statistic::MaxZ => d.max_z[k] as f32,
                Statistic::MeanIntensity => (d.sums[k] as f64 / n as f64) as f32,
                Statistic::MeanRgb => {
                    (d.sums[3 * k..3 * k + 3].iter().sum::<u64>() as f64 / (3.0 * n as f64) / scale) as f32
                }
            };
        })?;
        Ok(out)
    }

    /// Mean colour of a window (as [`CellStats::window`]) as pixel-interleaved red, green, blue u8;
    /// 0 where no point fell.
    pub fn window_rgb(&self, col0: usize, row0: usize, cols: usize, rows: usize) -> Result<Vec<u8>> {
        let scale = self.rgb_scale();
        let mut out = vec![0u8; 3 * cols * rows];
        self.for_window((col0, row0, cols, rows), |d, w, k| {
            if let n @ 1.. = d.counts[k] {
                for b in 0..3 {
                    out[3 * w + b] = (d.sums[3 * k + b] as f64 / n as f64 / scale).round().clamp(0.0, 255.0) as u8;
                }
            }
        })?;
        Ok(out)
    }

    /// The whole float product as a grid (see [`CellStats::window`]); NoData NaN except density.
    pub fn finish(&self) -> Result<Grid<f32>> {
        let (w, h) = self.blocks.size();
        let mut g = Grid::filled(w, h, self.transform, 0.0f32).with_data(self.window(0, 0, w, h)?);
        g.nodata = if self.statistic == Statistic::Density { None } else { Some(f64::NAN) };
        Ok(g)
    }

    /// The whole mean colour as three u8 bands (red, green, blue), NoData 0.
    pub fn finish_rgb(&self) -> Result<[Grid<u8>; 3]> {
        let (w, h) = self.blocks.size();
        let rgb = self.window_rgb(0, 0, w, h)?;
        Ok([0, 1, 2].map(|b| {
            let mut g =
                Grid::filled(w, h, self.transform, 0u8).with_data(rgb.iter().skip(b).step_by(3).copied().collect());
            g.nodata = Some(0.0);
            g
        }))
    }

    /// Blocks in memory and bytes spilled so far.
    pub fn usage(&self) -> (usize, u64) {
        self.blocks.usage()
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
            acc.add_block(&b).unwrap();
            acc
        };
        let dsm = run(Statistic::MaxZ).finish().unwrap();
        assert_eq!((dsm.data[0], dsm.data[3]), (12.0, 7.0), "noise is skipped");
        assert!(dsm.data[1].is_nan() && dsm.data[2].is_nan());
        let int = run(Statistic::MeanIntensity).finish().unwrap();
        assert_eq!(int.data[0], 200.0);
        let den = run(Statistic::Density).finish().unwrap();
        assert_eq!(den.data, vec![2.0, 0.0, 0.0, 1.0]);
        let [r, g, bl] = run(Statistic::MeanRgb).finish_rgb().unwrap();
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

    #[test]
    fn spilling_gives_identical_products() {
        // A pseudo-random cloud over a 3 × 2-block grid, fed in 8 batches.
        let (w, h) = (3 * BLOCK - 5, 2 * BLOCK - 9);
        let target = Grid::filled(w, h, GeoTransform::new(100.0, 200.0, 0.5), 0.0f32);
        let mut batches = vec![];
        let mut k = 99u64;
        let mut next = |m: u64| {
            k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (k >> 24) % m
        };
        for _ in 0..8 {
            let mut b = PointBlock::with_capacity(PointLayout::for_format(2, 0).unwrap(), 0);
            let (mut bx, mut by) = (0.0, 0.0);
            for i in 0..3000 {
                if i % 200 == 0 {
                    // Move to another block every 200 points (a drive revisiting places).
                    (bx, by) = (next(3) as f64 * 128.0, next(2) as f64 * 128.0);
                }
                let (x, y) = (100.0 + bx + next(1_280) as f64 * 0.1, 200.0 - by - next(1_280) as f64 * 0.1);
                b.push_xyz(x, y, next(10_000) as f64 * 0.01, class::GROUND);
            }
            b.intensity = (0..b.len()).map(|_| next(65_536) as u16).collect();
            b.rgb = (0..b.len()).map(|_| [next(65_536) as u16, next(256) as u16, 7]).collect();
            batches.push(b);
        }
        for st in [Statistic::MaxZ, Statistic::MeanIntensity, Statistic::MeanRgb, Statistic::Density] {
            let mut free = CellStats::new(st, &target);
            let mut tight = CellStats::with_budget(st, &target, 1, Box::new(MemorySpill::default()));
            for b in &batches {
                free.add_block(b).unwrap();
                tight.add_block(b).unwrap();
            }
            assert!(tight.usage().1 > 0, "{st:?} spilled");
            let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
            assert_eq!(bits(free.finish().unwrap().data), bits(tight.finish().unwrap().data), "{st:?}");
            if st == Statistic::MeanRgb {
                assert_eq!(free.window_rgb(0, 0, w, h).unwrap(), tight.window_rgb(0, 0, w, h).unwrap());
            }
            // A window straddling four blocks equals the same cells of the whole grid.
            let win = tight.window(250, 250, 20, 10).unwrap();
            let whole = free.finish().unwrap();
            for r in 0..10 {
                for c in 0..20 {
                    assert_eq!(win[r * 20 + c].to_bits(), whole.data[(250 + r) * w + 250 + c].to_bits());
                }
            }
        }
    }
}
