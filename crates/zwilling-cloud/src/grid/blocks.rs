//! Sparse, budgeted per-cell accumulators: the grid is cut into square blocks of
//! [`BLOCK`] × [`BLOCK`] cells (aligned with the grid's top-left corner) and a block's storage is
//! allocated only when a point falls into it, so memory follows the cells that hold data (a drive's
//! thin corridor), not the bounding box.
//!
//! **Budget and spill.** At most `max_resident` blocks are held in memory. When a new block is
//! needed and the budget is full, the least recently touched block (ties: lowest block index) is
//! encoded — only its occupied cells — and handed to a [`SpillStore`] (a temporary file in the
//! `grid` command), and its slot is reused. A block touched again later starts empty; reading a
//! block ([`SparseBlocks::with_block`]) merges the resident part with every spilled part. The
//! statistics are mergeable exactly (counts and integer sums add, `max` is associative), so the
//! result does not depend on the budget; the touch order depends only on the order the points
//! are fed in, so spilling is deterministic at any thread count.
//!
//! Memory: `max_resident · BLOCK² · bytes_per_cell` plus `4 B` per block of the bounding box for
//! the index (a 100 × 100 km box at 0.5 m cells: 2.4 MB).
//!
//! ```
//! use zwilling_cloud::grid::blocks::{BlockData, MemorySpill, SparseBlocks, BLOCK};
//! /// A point count per cell.
//! #[derive(Clone)]
//! struct Count(Vec<u32>);
//! impl BlockData for Count {
//!     type Kind = ();
//!     fn empty(_: (), cells: usize) -> Self { Count(vec![0; cells]) }
//!     fn clear(&mut self) { self.0.iter_mut().for_each(|c| *c = 0) }
//!     fn merge(&mut self, o: &Self) { self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a += b) }
//!     fn encode(&self, out: &mut Vec<u8>) { self.0.iter().for_each(|c| out.extend(c.to_le_bytes())) }
//!     fn decode(_: (), b: &[u8], cells: usize) -> Option<Self> {
//!         (b.len() == 4 * cells).then(|| Count(b.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()))
//!     }
//!     fn bytes_per_cell(_: ()) -> usize { 4 }
//! }
//! // A 3-block-wide grid that may hold only one block in memory.
//! let mut g = SparseBlocks::<Count>::new((), 3 * BLOCK, BLOCK, 1, Box::new(MemorySpill::default()));
//! for col in [0, 2 * BLOCK, 5, 0] {
//!     let (data, k) = g.cell_mut(col, 0).unwrap();
//!     data.0[k] += 1;
//!     g.tick();
//! }
//! let zero = g.with_block(0, 0, |d| d.0[0]).unwrap();
//! assert_eq!(zero, Some(2)); // one count spilled, one resident: merged
//! assert_eq!(g.with_block(0, 0, |d| d.0[5]).unwrap(), Some(1));
//! assert_eq!(g.with_block(1, 0, |d| d.0[0]).unwrap(), None); // never touched
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;
use zwilling_core::{Error, Result};

/// Edge of a block in cells (a COG tile of 512 pixels covers 2 × 2 blocks).
pub const BLOCK: usize = 256;

/// Per-block statistics that can be merged and (de)serialised.
pub trait BlockData: Sized + Send + Sync {
    /// What kind of statistic (fixed for a whole grid), passed to constructors.
    type Kind: Copy + Send + Sync;
    /// Storage for `cells` empty cells.
    fn empty(kind: Self::Kind, cells: usize) -> Self;
    /// Resets every cell to empty (reuses the allocation).
    fn clear(&mut self);
    /// Adds the statistics of `other` (same kind and size) cell by cell.
    fn merge(&mut self, other: &Self);
    /// Appends the block's bytes to `out` (any compact encoding).
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads what [`BlockData::encode`] wrote; `None` when the bytes do not fit.
    fn decode(kind: Self::Kind, bytes: &[u8], cells: usize) -> Option<Self>;
    /// Resident bytes per cell (for the memory budget).
    fn bytes_per_cell(kind: Self::Kind) -> usize;
}

/// Where evicted blocks go: append-only, read back by id from any thread.
pub trait SpillStore: Send + Sync {
    /// Stores `bytes`, returning an id for [`SpillStore::get`].
    fn put(&mut self, bytes: &[u8]) -> Result<u64>;
    /// The bytes stored under `id`.
    fn get(&self, id: u64) -> Result<Vec<u8>>;
    /// Bytes stored so far.
    fn stored_bytes(&self) -> u64;
}

/// A [`SpillStore`] in memory (tests, small grids).
#[derive(Debug, Default)]
pub struct MemorySpill {
    parts: Mutex<Vec<Vec<u8>>>,
    bytes: u64,
}

impl SpillStore for MemorySpill {
    fn put(&mut self, bytes: &[u8]) -> Result<u64> {
        let parts = self.parts.get_mut().map_err(|_| Error::invalid("spill store poisoned"))?;
        parts.push(bytes.to_vec());
        self.bytes += bytes.len() as u64;
        Ok(parts.len() as u64 - 1)
    }
    fn get(&self, id: u64) -> Result<Vec<u8>> {
        let parts = self.parts.lock().map_err(|_| Error::invalid("spill store poisoned"))?;
        parts.get(id as usize).cloned().ok_or_else(|| Error::invalid(format!("spill part {id} missing")))
    }
    fn stored_bytes(&self) -> u64 {
        self.bytes
    }
}

const NONE: u32 = u32::MAX;

struct Slot<D> {
    block: u32,
    touched: u64,
    data: D,
}

/// A grid of `width × height` cells with block storage allocated on demand (see the module docs).
pub struct SparseBlocks<D: BlockData> {
    kind: D::Kind,
    width: usize,
    height: usize,
    cols: usize,
    /// Slot index per block of the grid, [`NONE`] when not resident.
    index: Vec<u32>,
    slots: Vec<Slot<D>>,
    spilled: BTreeMap<u32, Vec<u64>>,
    max_resident: usize,
    clock: u64,
    last: (u32, u32),
    store: Box<dyn SpillStore>,
    scratch: Vec<u8>,
}

impl<D: BlockData> SparseBlocks<D> {
    /// An empty grid holding at most `max_resident` (≥ 1) blocks in memory, spilling to `store`.
    pub fn new(kind: D::Kind, width: usize, height: usize, max_resident: usize, store: Box<dyn SpillStore>) -> Self {
        let cols = width.div_ceil(BLOCK);
        let rows = height.div_ceil(BLOCK);
        SparseBlocks {
            kind,
            width,
            height,
            cols,
            index: vec![NONE; cols * rows],
            slots: vec![],
            spilled: BTreeMap::new(),
            max_resident: max_resident.max(1),
            clock: 0,
            last: (NONE, NONE),
            store,
            scratch: vec![],
        }
    }

    /// The block count that fits `budget` bytes (at least 1).
    pub fn blocks_in_budget(kind: D::Kind, budget: usize) -> usize {
        (budget / (BLOCK * BLOCK * D::bytes_per_cell(kind)).max(1)).max(1)
    }

    /// Grid width and height in cells.
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The statistic kind.
    pub fn kind(&self) -> D::Kind {
        self.kind
    }

    /// Advances the touch clock (call once per batch of points, e.g. per point block).
    pub fn tick(&mut self) {
        if self.last.0 != NONE {
            // The cached block was used up to now without a lookup.
            self.slots[self.last.1 as usize].touched = self.clock;
        }
        self.clock += 1;
    }

    /// The storage of the block holding cell `(col, row)` and the cell's index inside it,
    /// allocating (and, over budget, spilling another block) as needed. Errors come from the store.
    pub fn cell_mut(&mut self, col: usize, row: usize) -> Result<(&mut D, usize)> {
        debug_assert!(col < self.width && row < self.height);
        let block = ((row / BLOCK) * self.cols + col / BLOCK) as u32;
        let k = (row % BLOCK) * BLOCK + col % BLOCK;
        let slot = if self.last.0 == block {
            self.last.1
        } else {
            let s = match self.index[block as usize] {
                NONE => self.allocate(block)?,
                s => s,
            };
            self.slots[s as usize].touched = self.clock;
            self.last = (block, s);
            s
        };
        Ok((&mut self.slots[slot as usize].data, k))
    }

    fn allocate(&mut self, block: u32) -> Result<u32> {
        if self.slots.len() < self.max_resident {
            self.slots.push(Slot { block, touched: self.clock, data: D::empty(self.kind, BLOCK * BLOCK) });
            let s = self.slots.len() as u32 - 1;
            self.index[block as usize] = s;
            return Ok(s);
        }
        // Evict the least recently touched block (ties: lowest block index): deterministic.
        let s = (0..self.slots.len()).min_by_key(|&s| (self.slots[s].touched, self.slots[s].block)).unwrap_or(0);
        let old = self.slots[s].block;
        self.scratch.clear();
        self.slots[s].data.encode(&mut self.scratch);
        let id = self.store.put(&self.scratch)?;
        self.spilled.entry(old).or_default().push(id);
        self.index[old as usize] = NONE;
        let slot = &mut self.slots[s];
        slot.data.clear();
        slot.block = block;
        slot.touched = self.clock;
        self.index[block as usize] = s as u32;
        Ok(s as u32)
    }

    /// Calls `f` with the merged statistics of block `(block_col, block_row)` (resident part plus
    /// every spilled part); `None` when no point ever fell into it.
    pub fn with_block<R>(&self, block_col: usize, block_row: usize, f: impl FnOnce(&D) -> R) -> Result<Option<R>> {
        let block = (block_row * self.cols + block_col) as u32;
        let resident = match self.index.get(block as usize) {
            Some(&s) if s != NONE => Some(&self.slots[s as usize].data),
            _ => None,
        };
        let Some(parts) = self.spilled.get(&block) else { return Ok(resident.map(f)) };
        let mut merged: Option<D> = None;
        for &id in parts {
            let bytes = self.store.get(id)?;
            let part = D::decode(self.kind, &bytes, BLOCK * BLOCK)
                .ok_or_else(|| Error::invalid(format!("spilled block {block} (part {id}) is corrupt")))?;
            match &mut merged {
                Some(m) => m.merge(&part),
                None => merged = Some(part),
            }
        }
        let mut merged = merged.expect("spilled blocks have parts");
        if let Some(r) = resident {
            merged.merge(r);
        }
        Ok(Some(f(&merged)))
    }

    /// Blocks that hold data (resident or spilled), as `(block_col, block_row)` in index order.
    pub fn occupied(&self) -> Vec<(usize, usize)> {
        let mut ids: Vec<u32> = self.slots.iter().map(|s| s.block).chain(self.spilled.keys().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().map(|b| (b as usize % self.cols, b as usize / self.cols)).collect()
    }

    /// Blocks in memory now, and bytes handed to the spill store.
    pub fn usage(&self) -> (usize, u64) {
        (self.slots.len(), self.store.stored_bytes())
    }
}

/// Reads a little-endian `u32` at `*at`, advancing it.
pub(crate) fn read_u32(b: &[u8], at: &mut usize) -> Option<u32> {
    let v = u32::from_le_bytes(b.get(*at..*at + 4)?.try_into().ok()?);
    *at += 4;
    Some(v)
}

/// Reads a little-endian `u64` at `*at`, advancing it.
pub(crate) fn read_u64(b: &[u8], at: &mut usize) -> Option<u64> {
    let v = u64::from_le_bytes(b.get(*at..*at + 8)?.try_into().ok()?);
    *at += 8;
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Sum(Vec<u64>);
    impl BlockData for Sum {
        type Kind = ();
        fn empty(_: (), cells: usize) -> Self {
            Sum(vec![0; cells])
        }
        fn clear(&mut self) {
            self.0.iter_mut().for_each(|c| *c = 0)
        }
        fn merge(&mut self, o: &Self) {
            self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a += b)
        }
        fn encode(&self, out: &mut Vec<u8>) {
            for (k, c) in self.0.iter().enumerate().filter(|(_, c)| **c != 0) {
                out.extend((k as u32).to_le_bytes());
                out.extend(c.to_le_bytes());
            }
        }
        fn decode(_: (), b: &[u8], cells: usize) -> Option<Self> {
            let (mut s, mut at) = (Sum::empty((), cells), 0);
            while at < b.len() {
                let k = read_u32(b, &mut at)? as usize;
                *s.0.get_mut(k)? = read_u64(b, &mut at)?;
            }
            Some(s)
        }
        fn bytes_per_cell(_: ()) -> usize {
            8
        }
    }

    /// Feeds a pseudo-random walk over a 5 × 3-block grid and returns every block's sums.
    fn run(max_resident: usize) -> (Vec<Option<Sum>>, usize) {
        let (w, h) = (5 * BLOCK - 7, 3 * BLOCK - 100);
        let mut g = SparseBlocks::<Sum>::new((), w, h, max_resident, Box::new(MemorySpill::default()));
        let mut k = 12345u64;
        let (mut bc, mut br) = (0, 0);
        for i in 0..20_000u64 {
            k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if i % 50 == 0 {
                // Jump to another block every 50 points (a drive revisiting places).
                (bc, br) = ((k >> 50) as usize % 5, (k >> 45) as usize % 3);
            }
            let col = (bc * BLOCK + (k >> 33) as usize % BLOCK).min(w - 1);
            let row = (br * BLOCK + (k >> 13) as usize % BLOCK).min(h - 1);
            let (d, c) = g.cell_mut(col, row).unwrap();
            d.0[c] += i;
            if i % 7 == 0 {
                g.tick();
            }
        }
        let blocks = (0..3).flat_map(|r| (0..5).map(move |c| (c, r)));
        let out = blocks.map(|(c, r)| g.with_block(c, r, |d| d.clone()).unwrap()).collect();
        (out, g.usage().0)
    }

    #[test]
    fn spilling_does_not_change_the_sums() {
        let (all, resident) = run(1000);
        assert_eq!(resident, 15, "every block touched, none spilled");
        // The exact total Σ i over 0..20000 must survive any budget.
        let total = |v: &[Option<Sum>]| v.iter().flatten().map(|s| s.0.iter().sum::<u64>()).sum::<u64>();
        assert_eq!(total(&all), 19_999 * 20_000 / 2);
        for budget in [1, 2, 4] {
            let (spilled, resident) = run(budget);
            assert_eq!(resident, budget);
            assert_eq!(spilled, all, "budget {budget}");
        }
    }
}
