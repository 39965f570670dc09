//! Adaptive probability models of the LASzip arithmetic coder.
//!
//! A [`SymbolModel`] keeps a count per symbol and, every `update_cycle` decoded symbols, turns
//! the counts into a cumulative distribution scaled to 2¹⁵ (halving all counts once their sum
//! passes 2¹⁵). Models of more than 16 symbols also keep a decoder table that maps the top bits
//! of a scaled value to a small range of candidate symbols. A [`BitModel`] is the two-symbol
//! special case with counts capped at 2¹³. The update schedule starts at `(n + 6) / 2` symbols and
//! grows by 5/4 per update up to `8 (n + 6)`.
//!
//! Source: A. Said, "Introduction to arithmetic coding — theory and practice", HP Labs
//! HPL-2004-76 (2004), section 3 (adaptive models with periodic updates and table look-up), as
//! used by LASzip (M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013).
//! The decoder must reproduce the encoder's model states exactly, so every constant here is the
//! format's.
//!
//! ```
//! use zwilling_laz::model::SymbolModel;
//! let m = SymbolModel::new(4);
//! // A fresh model is uniform: symbol k starts at k/4 of the 2^15 scale.
//! assert_eq!(m.distribution()[..4], [0, 8192, 16384, 24576]);
//! ```

/// Bits of the interval length discarded before the product with a symbol model's distribution.
pub const DM_LENGTH_SHIFT: u32 = 15;
const DM_MAX_COUNT: u32 = 1 << DM_LENGTH_SHIFT;
/// Bits of the interval length discarded before the product with a bit model's probability.
pub const BM_LENGTH_SHIFT: u32 = 13;
const BM_MAX_COUNT: u32 = 1 << BM_LENGTH_SHIFT;

use std::sync::OnceLock;

/// A model of up to 256 symbols (bytes and everything smaller) with its table of 4 × 256 cells.
pub type SymbolModel = Model<256, 1026>;
/// The GPS-time multiplier model of the point-14 item (515 symbols).
pub type GpsModel = Model<515, 4098>;

/// An adaptive model over `symbols` (2..=N) symbols; `T` is the decoder table size, four cells
/// per symbol of `N` rounded up to a power of two, plus two sentinels.
///
/// Laid out for the decoder's accesses: the scalars first, then each symbol's distribution value
/// next to its count (one cache line serves both), then the decoder table.
#[derive(Clone)]
#[repr(C)]
pub struct Model<const N: usize, const T: usize> {
    /// The chunk the model was last reset for (see [`LazyModel`]).
    stamp: u64,
    pub(crate) symbols: u32,
    pub(crate) last_symbol: u32,
    pub(crate) table_size: u32,
    pub(crate) table_shift: u32,
    pub(crate) until_update: u32,
    total_count: u32,
    update_cycle: u32,
    /// Per symbol: cumulative distribution (scaled to 2¹⁵) and count.
    pub(crate) dc: [[u32; 2]; N],
    /// Cell → first symbol whose interval reaches into the cell.
    pub(crate) table: [u16; T],
}

impl<const N: usize, const T: usize> Model<N, T> {
    /// A fresh model with all counts 1, as every LASzip chunk starts.
    ///
    /// # Panics
    /// When `symbols` is not in 2..=N (a programming error: the item layouts fix them).
    pub fn new(symbols: u32) -> Self {
        assert!((2..=N as u32).contains(&symbols), "model of {symbols} symbols");
        assert!(T >= 4 * N.next_power_of_two() + 2, "table of {T} cells for {N} symbols");
        // The decoder table only speeds up the search (the distribution decides the symbol), so
        // its size is ours to choose: four cells per symbol make most searches end at once.
        let bits = (symbols.next_power_of_two() * 4).trailing_zeros();
        let (table_size, table_shift) = (1 << bits, DM_LENGTH_SHIFT - bits);
        let mut m = Model {
            stamp: 0,
            dc: [[0; 2]; N],
            table: [0; T],
            symbols,
            last_symbol: symbols - 1,
            table_size,
            table_shift,
            total_count: 0,
            update_cycle: symbols,
            until_update: 0,
        };
        for e in &mut m.dc[..symbols as usize] {
            e[1] = 1;
        }
        m.update();
        m.update_cycle = (symbols + 6) >> 1;
        m.until_update = m.update_cycle;
        m
    }

    /// The cumulative distribution (scaled to 2¹⁵) of the model's symbols.
    pub fn distribution(&self) -> Vec<u32> {
        self.dc[..self.symbols as usize].iter().map(|e| e[0]).collect()
    }

    /// Recomputes the distribution (and decoder table) from the counts.
    #[cold]
    pub(crate) fn update(&mut self) {
        let n = self.symbols as usize;
        self.total_count = self.total_count.wrapping_add(self.update_cycle);
        if self.total_count > DM_MAX_COUNT {
            self.total_count = 0;
            for e in &mut self.dc[..n] {
                e[1] = (e[1] + 1) >> 1;
                self.total_count += e[1];
            }
        }
        let scale = 0x8000_0000u32 / self.total_count;
        let mut sum = 0u32;
        for e in &mut self.dc[..n] {
            e[0] = scale.wrapping_mul(sum) >> (31 - DM_LENGTH_SHIFT);
            sum = sum.wrapping_add(e[1]);
        }
        // Cell c holds the last symbol k with F(k) < c·2^shift, i.e. the number of symbols k ≥ 1
        // whose cell F(k) >> shift lies below c: a histogram and its prefix sum, without the
        // data-dependent branches of filling runs.
        let cells = self.table_size as usize + 2;
        let table = &mut self.table[..cells];
        table.fill(0);
        for e in &self.dc[1..n] {
            table[((e[0] >> self.table_shift) as usize + 1).min(cells - 1)] += 1;
        }
        let mut acc = 0u16;
        for c in table.iter_mut() {
            acc += *c;
            *c = acc;
        }
        self.update_cycle = ((5 * self.update_cycle) >> 2).min((self.symbols + 6) << 3);
        self.until_update = self.update_cycle;
    }
}

/// An adaptive model of one bit.
#[derive(Clone, Copy)]
pub struct BitModel {
    pub(crate) bit_0_count: u32,
    bit_count: u32,
    pub(crate) bit_0_prob: u32,
    pub(crate) until_update: u32,
    update_cycle: u32,
}

impl Default for BitModel {
    fn default() -> Self {
        BitModel {
            bit_0_count: 1,
            bit_count: 2,
            bit_0_prob: 1 << (BM_LENGTH_SHIFT - 1),
            until_update: 4,
            update_cycle: 4,
        }
    }
}

impl BitModel {
    /// Recomputes the probability of a 0 from the counts.
    #[cold]
    pub(crate) fn update(&mut self) {
        self.bit_count += self.update_cycle;
        if self.bit_count > BM_MAX_COUNT {
            self.bit_count = (self.bit_count + 1) >> 1;
            self.bit_0_count = (self.bit_0_count + 1) >> 1;
            if self.bit_0_count == self.bit_count {
                self.bit_count += 1;
            }
        }
        let scale = 0x8000_0000u32 / self.bit_count;
        self.bit_0_prob = self.bit_0_count.wrapping_mul(scale) >> (31 - BM_LENGTH_SHIFT);
        self.update_cycle = ((5 * self.update_cycle) >> 2).min(64);
        self.until_update = self.update_cycle;
    }
}

/// The fresh byte-sized model of `symbols` symbols, computed once per process.
fn fresh(symbols: u32) -> &'static SymbolModel {
    static FRESH: [OnceLock<SymbolModel>; 257] = [const { OnceLock::new() }; 257];
    FRESH[symbols as usize].get_or_init(|| SymbolModel::new(symbols))
}

/// A model that is allocated on first use and reset to its fresh state lazily: on first use
/// after the chunk counter moved on. Byte-sized models are reset by copying a fresh one; models a
/// file never uses take no memory (a point-14 decoder has ~1 900 of them, mostly for rare
/// contexts), models a chunk never uses cost no time.
#[derive(Clone)]
pub(crate) struct LazyModel<const N: usize = 256, const T: usize = 1026> {
    model: Option<Box<Model<N, T>>>,
    symbols: u32,
}

impl<const N: usize, const T: usize> LazyModel<N, T> {
    pub(crate) fn new(symbols: u32) -> Self {
        assert!((2..=N as u32).contains(&symbols), "model of {symbols} symbols");
        LazyModel { model: None, symbols }
    }

    /// The model, fresh if it was last used in another chunk than `chunk` (chunks count from 1).
    #[inline(always)]
    pub(crate) fn get(&mut self, chunk: u64) -> &mut Model<N, T> {
        if !matches!(&self.model, Some(m) if m.stamp == chunk) {
            self.reset(chunk);
        }
        self.model.as_deref_mut().expect("reset allocates")
    }

    #[cold]
    #[inline(never)]
    fn reset(&mut self, chunk: u64) {
        let symbols = self.symbols;
        let template = (symbols <= 256).then(|| fresh(symbols) as &dyn std::any::Any);
        let m = match (template.and_then(|f| f.downcast_ref::<Model<N, T>>()), &mut self.model) {
            (Some(f), Some(m)) => {
                (**m).clone_from(f);
                m
            }
            (Some(f), None) => self.model.insert(Box::new(f.clone())),
            (None, _) => self.model.insert(Box::new(Model::new(symbols))),
        };
        m.stamp = chunk;
    }
}

/// A bit model reset lazily like [`LazyModel`].
#[derive(Clone, Copy, Default)]
pub(crate) struct LazyBitModel {
    model: BitModel,
    chunk: u64,
}

impl LazyBitModel {
    #[inline(always)]
    pub(crate) fn get(&mut self, chunk: u64) -> &mut BitModel {
        if self.chunk != chunk {
            self.model = BitModel::default();
            self.chunk = chunk;
        }
        &mut self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_geometry_follows_the_alphabet() {
        // Four cells per symbol (rounded up to a power of two).
        let m = SymbolModel::new(33);
        assert_eq!((m.table_size, m.table_shift), (256, 7));
        let m = SymbolModel::new(256);
        assert_eq!((m.table_size, m.table_shift), (1024, 5));
        assert_eq!(SymbolModel::new(3).table_size, 16);
    }

    #[test]
    fn fresh_model_is_uniform_and_table_points_at_symbols() {
        let m = SymbolModel::new(256);
        assert_eq!(m.distribution()[1], 128);
        assert_eq!(m.distribution()[255], 255 * 128);
        // Each of the 1024 table cells covers 32 scaled units = 1/4 symbol.
        assert_eq!(m.table[4], 0);
        assert_eq!(m.table[5], 1);
        assert_eq!(m.table[1024], 255);
        assert_eq!(m.until_update, 131);
    }

    #[test]
    fn bit_model_update_caps_cycle() {
        let mut b = BitModel::default();
        for _ in 0..20 {
            b.update();
        }
        assert_eq!(b.until_update, 64);
        assert!(b.bit_0_prob > 0 && b.bit_0_prob < 1 << BM_LENGTH_SHIFT);
    }
}
