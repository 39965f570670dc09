//! The TIN terrain model ([`super::tin`]) computed window by window from sparse, budgeted ground
//! centroids, so that neither the centroids nor the triangulation ever cover the whole grid.
//!
//! 1. **Centroids** ([`GroundCells`]): ground points (class 2) are summed per output cell in sparse
//!    blocks ([`super::blocks`]), as fixed-point integers (µm offsets from the cell centre, µm
//!    heights), so the centroid `(x̄, ȳ, z̄)` is exact and the same whatever the order, memory
//!    budget or spilling (the float sums of [`super::tin::GroundCentroids`] are not associative).
//! 2. **Window** ([`dtm_window`]): for a window (one COG tile), the region = window grown by
//!    [`INPAINT_MARGIN`] cells on each side (clipped to the grid) is triangulated from the centroids
//!    of the region grown by `2 · max_edge + cell` (the same buffer as the tiled TIN of
//!    [`super::tin::tin_dtm`], so every triangle with edges ≤ `max_edge` that covers the region is
//!    found), interpolated, its holes (triangles with an edge > `max_edge`) inpainted within the
//!    region, and the window cut out.
//!
//! Differences to one TIN over the whole grid: a hole's membrane fill sees only the region
//! (`INPAINT_MARGIN` cells around the window), and a cell farther than about
//! `INPAINT_MARGIN · cell + 2 · max_edge` from every ground centroid is NoData instead of being
//! filled across the global convex hull. Cells in triangles with all edges ≤ `max_edge` agree.
//!
//! ```
//! use zwilling_cloud::grid::tiled_dtm::{dtm_window, GroundCells};
//! use zwilling_cloud::grid::tin::TinParams;
//! use zwilling_core::{class, GeoTransform, Grid, PointBlock, PointLayout};
//! let target = Grid::filled(16, 16, GeoTransform::new(0.0, 9.0, 0.5), f32::NAN);
//! let mut b = PointBlock::with_capacity(PointLayout::default(), 0);
//! for i in 0..=40 { for j in 0..=40 { b.push_xyz(i as f64 * 0.25, j as f64 * 0.25, 2.0, class::GROUND); } }
//! let mut ground = GroundCells::new(&target);
//! ground.add_block(&b).unwrap();
//! let dtm = dtm_window(&ground, 0, 0, 16, 16, &TinParams::default()).unwrap();
//! let flat = dtm.iter().filter(|z| (**z - 2.0).abs() < 1e-5).count();
//! assert!(flat > 200 && dtm.iter().all(|z| z.is_nan() || (z - 2.0).abs() < 1e-5));
//! ```

use super::blocks::{read_u32, read_u64, BlockData, MemorySpill, SparseBlocks, SpillStore, BLOCK};
use super::tin::{tin_dtm, TinParams};
use zwilling_core::{class, GeoTransform, Grid, PointBlock, Result};

/// Cells of context on each side of a window for the triangulation and the hole filling.
pub const INPAINT_MARGIN: usize = 64;

/// Fixed-point unit of the centroid sums (metres).
const UNIT: f64 = 1e-6;

/// Ground point count and fixed-point sums `(Σ dx, Σ dy, Σ z)` per cell of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundBlock {
    counts: Vec<u32>,
    sums: Vec<[i64; 3]>,
}

impl BlockData for GroundBlock {
    type Kind = ();
    fn empty(_: (), cells: usize) -> Self {
        GroundBlock { counts: vec![0; cells], sums: vec![[0; 3]; cells] }
    }
    fn clear(&mut self) {
        self.counts.iter_mut().for_each(|v| *v = 0);
        self.sums.iter_mut().for_each(|v| *v = [0; 3]);
    }
    fn merge(&mut self, o: &Self) {
        self.counts.iter_mut().zip(&o.counts).for_each(|(a, b)| *a += b);
        for (a, b) in self.sums.iter_mut().zip(&o.sums) {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        for (k, &n) in self.counts.iter().enumerate() {
            if n > 0 {
                out.extend((k as u32).to_le_bytes());
                out.extend(n.to_le_bytes());
                self.sums[k].iter().for_each(|s| out.extend(s.to_le_bytes()));
            }
        }
    }
    fn decode(_: (), b: &[u8], cells: usize) -> Option<Self> {
        let mut d = GroundBlock::empty((), cells);
        let mut at = 0;
        while at < b.len() {
            let k = read_u32(b, &mut at)? as usize;
            *d.counts.get_mut(k)? = read_u32(b, &mut at)?;
            for j in 0..3 {
                d.sums[k][j] = read_u64(b, &mut at)? as i64;
            }
        }
        Some(d)
    }
    fn bytes_per_cell(_: ()) -> usize {
        28
    }
}

/// Per-cell ground centroids on a grid, in sparse budgeted blocks.
pub struct GroundCells {
    transform: GeoTransform,
    blocks: SparseBlocks<GroundBlock>,
}

impl GroundCells {
    /// Empty centroids on the cells of `target`, without a memory budget.
    pub fn new<T>(target: &Grid<T>) -> Self {
        Self::with_budget(target, usize::MAX, Box::new(MemorySpill::default()))
    }

    /// Empty centroids holding at most `max_resident` blocks in memory, spilling to `store`.
    pub fn with_budget<T>(target: &Grid<T>, max_resident: usize, store: Box<dyn SpillStore>) -> Self {
        GroundCells {
            transform: target.transform,
            blocks: SparseBlocks::new((), target.width, target.height, max_resident, store),
        }
    }

    /// Resident bytes of one block.
    pub fn block_bytes() -> usize {
        BLOCK * BLOCK * GroundBlock::bytes_per_cell(())
    }

    /// Adds the ground points (class 2) of `block` that fall into the grid.
    pub fn add_block(&mut self, block: &PointBlock) -> Result<()> {
        let (width, height) = self.blocks.size();
        let t = self.transform;
        for i in 0..block.len() {
            if block.classification[i] != class::GROUND {
                continue;
            }
            let (x, y, z) = (block.x[i], block.y[i], block.z[i]);
            let (fc, fr) = t.world_to_frac(x, y);
            if !(fc >= 0.0 && fr >= 0.0) || fc as usize >= width || fr as usize >= height {
                continue;
            }
            let (col, row) = (fc as usize, fr as usize);
            let (cx, cy) = t.cell_center(col, row);
            let (d, k) = self.blocks.cell_mut(col, row)?;
            d.counts[k] += 1;
            let s = &mut d.sums[k];
            s[0] += ((x - cx) / UNIT).round() as i64;
            s[1] += ((y - cy) / UNIT).round() as i64;
            s[2] += (z / UNIT).round() as i64;
        }
        self.blocks.tick();
        Ok(())
    }

    /// The centroids `[x, y, z]` of the cells of a window (clipped to the grid), ordered by block,
    /// then row and column inside the block.
    pub fn centroids_in(&self, col0: usize, row0: usize, cols: usize, rows: usize) -> Result<Vec<[f64; 3]>> {
        let (width, height) = self.blocks.size();
        let (col1, row1) = ((col0 + cols).min(width), (row0 + rows).min(height));
        let mut out = vec![];
        if col0 >= col1 || row0 >= row1 {
            return Ok(out);
        }
        let t = self.transform;
        for br in row0 / BLOCK..=(row1 - 1) / BLOCK {
            for bc in col0 / BLOCK..=(col1 - 1) / BLOCK {
                self.blocks.with_block(bc, br, |d| {
                    for row in (br * BLOCK).max(row0)..((br + 1) * BLOCK).min(row1) {
                        for col in (bc * BLOCK).max(col0)..((bc + 1) * BLOCK).min(col1) {
                            let k = (row % BLOCK) * BLOCK + col % BLOCK;
                            let n = d.counts[k];
                            if n > 0 {
                                let (cx, cy) = t.cell_center(col, row);
                                let m = |s: i64| s as f64 * UNIT / n as f64;
                                let s = d.sums[k];
                                out.push([cx + m(s[0]), cy + m(s[1]), m(s[2])]);
                            }
                        }
                    }
                })?;
            }
        }
        Ok(out)
    }

    /// Number of cells holding a ground point (reads every block).
    pub fn count_cells(&self) -> Result<usize> {
        let mut n = 0;
        for (bc, br) in self.blocks.occupied() {
            n += self.blocks.with_block(bc, br, |d| d.counts.iter().filter(|&&c| c > 0).count())?.unwrap_or(0);
        }
        Ok(n)
    }

    /// Blocks in memory and bytes spilled so far.
    pub fn usage(&self) -> (usize, u64) {
        self.blocks.usage()
    }

    /// Grid width and height in cells.
    pub fn size(&self) -> (usize, usize) {
        self.blocks.size()
    }

    /// The grid's georeferencing.
    pub fn transform(&self) -> GeoTransform {
        self.transform
    }
}

/// The TIN DTM of the window of `cols × rows` cells whose top-left cell is `(col0, row0)`,
/// row-major; NaN outside the (local) convex hull of the ground and outside the grid.
pub fn dtm_window(
    ground: &GroundCells,
    col0: usize,
    row0: usize,
    cols: usize,
    rows: usize,
    params: &TinParams,
) -> Result<Vec<f32>> {
    let mut out = vec![f32::NAN; cols * rows];
    let (width, height) = ground.size();
    if col0 >= width || row0 >= height {
        return Ok(out);
    }
    let t = ground.transform();
    let grow = |lo: usize, n: usize, by: usize, max: usize| (lo.saturating_sub(by), (lo + n + by).min(max));
    let (rc0, rc1) = grow(col0, cols, INPAINT_MARGIN, width);
    let (rr0, rr1) = grow(row0, rows, INPAINT_MARGIN, height);
    let buffer = ((2.0 * params.max_edge + t.cell_x) / t.cell_x.min(t.cell_y)).ceil() as usize;
    let (pc0, pc1) = grow(rc0, rc1 - rc0, buffer, width);
    let (pr0, pr1) = grow(rr0, rr1 - rr0, buffer, height);
    let centroids = ground.centroids_in(pc0, pr0, pc1 - pc0, pr1 - pr0)?;
    if centroids.len() < 3 {
        return Ok(out);
    }
    let origin = GeoTransform {
        origin_x: t.origin_x + rc0 as f64 * t.cell_x,
        origin_y: t.origin_y - rr0 as f64 * t.cell_y,
        ..t
    };
    let mut region = Grid::filled(rc1 - rc0, rr1 - rr0, origin, f32::NAN);
    tin_dtm(&centroids, &mut region, params);
    for row in row0..(row0 + rows).min(height) {
        for col in col0..(col0 + cols).min(width) {
            out[(row - row0) * cols + col - col0] = region.data[(row - rr0) * region.width + col - rc0];
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::tin::GroundCentroids;
    use zwilling_core::PointLayout;

    /// A gently curved terrain sampled on a 0.35 m lattice over 300 × 60 m, with a 14 × 14 m hole.
    fn scene() -> (Grid<f32>, PointBlock, impl Fn(f64, f64) -> f64) {
        let surface = |x: f64, y: f64| 40.0 + 2.0 * (x / 60.0).sin() + 0.02 * y;
        let mut b = PointBlock::with_capacity(PointLayout::default(), 0);
        for i in 0..=857 {
            for j in 0..=171 {
                let (x, y) = (i as f64 * 0.35 + 0.01, j as f64 * 0.35 + 0.02);
                if !((100.0..114.0).contains(&x) && (20.0..34.0).contains(&y)) {
                    b.push_xyz(x, y, surface(x, y), class::GROUND);
                }
            }
        }
        let target = Grid::filled(600, 121, GeoTransform::new(0.0, 60.5, 0.5), f32::NAN);
        (target, b, surface)
    }

    #[test]
    fn windows_match_one_global_tin_and_do_not_depend_on_the_budget() {
        let (target, b, surface) = scene();
        // Reference: the global TIN over all centroids (the pre-tiling method).
        let mut c = GroundCentroids::default();
        (0..b.len()).for_each(|i| c.add(b.x[i], b.y[i], b.z[i], 0.5));
        let mut global = target.clone();
        tin_dtm(&c.centroids(), &mut global, &TinParams::default());
        let params = TinParams::default();
        let tiles = |ground: &GroundCells| {
            let mut whole = vec![f32::NAN; 600 * 121];
            for (tc, tr) in [(0, 0), (1, 0), (2, 0)] {
                let w = dtm_window(ground, tc * 256, tr * 256, 256, 256, &params).unwrap();
                for row in 0..121 {
                    for col in tc * 256..(tc * 256 + 256).min(600) {
                        whole[row * 600 + col] = w[row * 256 + col - tc * 256];
                    }
                }
            }
            whole
        };
        let mut unlimited = GroundCells::new(&target);
        // Fed in 10 batches, with one block of memory: every block is spilled several times.
        let mut tight = GroundCells::with_budget(&target, 1, Box::new(MemorySpill::default()));
        for part in 0..10 {
            let mut piece = PointBlock::with_capacity(b.layout, 0);
            for i in (part..b.len()).step_by(10) {
                piece.push_xyz(b.x[i], b.y[i], b.z[i], class::GROUND);
            }
            unlimited.add_block(&piece).unwrap();
            tight.add_block(&piece).unwrap();
        }
        assert!(tight.usage().1 > 0, "the tight budget spilled");
        let (a, t) = (tiles(&unlimited), tiles(&tight));
        assert!(a.iter().zip(&t).all(|(x, y)| x.to_bits() == y.to_bits()), "spilling changed the DTM");
        let mut worst = 0.0f64;
        for row in 0..121 {
            for col in 0..600 {
                let (x, y) = target.transform.cell_center(col, row);
                let (v, g) = (a[row * 600 + col] as f64, global.data[row * 600 + col] as f64);
                if (1.0..299.0).contains(&x) && (1.0..59.0).contains(&y) {
                    worst = worst.max((v - g).abs());
                    if !(99.0..115.0).contains(&x) || !(19.0..35.0).contains(&y) {
                        // Linear interpolation between centroids 0.5 m apart errs by < 1e-4 m here.
                        assert!((v - surface(x, y)).abs() < 2e-3, "({x}, {y}): {v}");
                    }
                } else if !(0.0..=300.3).contains(&x) || !(0.0..=60.2).contains(&y) {
                    assert!(v.is_nan(), "({x}, {y}) outside the ground: {v}");
                }
            }
        }
        // The hole's membrane sees the whole hole and its rim in every window: same as global.
        assert!(worst < 1e-3, "tiled vs global TIN differ by {worst} m");
    }
}
