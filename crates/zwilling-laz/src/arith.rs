//! The LASzip range decoder: 32-bit interval, renormalised byte by byte.
//!
//! The state is a `value` inside an interval of `length` (≥ 2²⁴ after renormalisation). A symbol
//! of an adaptive [`Model`](crate::model::Model) is found by dividing the value by `length / 2¹⁵` and looking
//! the quotient up in the model's cumulative distribution (a table narrows the search, a short
//! bisection finishes it); raw bits are a plain division by `length / 2ᵇ`.
//!
//! Source: A. Said, "Introduction to arithmetic coding — theory and practice", HP Labs
//! HPL-2004-76 (2004), sections 2.3 (decoding), 3 (integer implementation); the LASzip layout
//! (M. Isenburg, PE&RS 79(2), 2013) keeps the 32-bit variables and 15-/13-bit model precision.
//!
//! Unlike a `Read`-based decoder this one works on a byte slice: the hot loop has no I/O error
//! path. Reading past the end yields zero bytes and marks the stream [`overrun`](Decoder::overrun);
//! the caller turns that into a "damaged chunk" error after the chunk, so damaged input can
//! give wrong points but never a panic.
//!
//! ```
//! use zwilling_laz::arith::Decoder;
//! // Two raw 8-bit values as LASzip writes them: the value is the 32-bit big-endian prefix.
//! let bytes = [0x12, 0x34, 0, 0, 0, 0];
//! let mut d = Decoder::new(&bytes);
//! assert_eq!(d.read_bits(8), 0x12);
//! assert_eq!(d.read_bits(8), 0x34);
//! assert!(!d.overrun());
//! ```

use crate::model::{BitModel, Model, BM_LENGTH_SHIFT, DM_LENGTH_SHIFT};

const AC_MIN_LENGTH: u32 = 0x0100_0000;

/// `i` as an index below `N` (only damaged input ever needs the clamp): a mask when `N` is a
/// power of two, so the bounds check folds away.
#[inline(always)]
fn clamp<const N: usize>(i: u32) -> usize {
    if N.is_power_of_two() {
        i as usize & (N - 1)
    } else {
        (i as usize).min(N - 1)
    }
}

/// A range decoder over one layer's bytes.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    value: u32,
    length: u32,
}

impl<'a> Decoder<'a> {
    /// Starts decoding `bytes` (reads the first four).
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut d = Decoder { bytes, pos: 0, value: 0, length: u32::MAX };
        for _ in 0..4 {
            d.value = (d.value << 8) | d.next_byte();
        }
        d
    }

    /// A decoder over no bytes, for layers that are not decoded.
    pub fn empty() -> Decoder<'static> {
        Decoder { bytes: &[], pos: 0, value: 0, length: u32::MAX }
    }

    /// True when decoding read past the end of the bytes (the stream is damaged).
    pub fn overrun(&self) -> bool {
        self.pos > self.bytes.len()
    }

    #[inline(always)]
    fn next_byte(&mut self) -> u32 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b as u32
    }

    #[inline(always)]
    fn renorm(&mut self) {
        while self.length < AC_MIN_LENGTH {
            self.value = (self.value << 8) | self.next_byte();
            self.length <<= 8;
        }
    }

    /// Decodes one symbol of `m` and adapts the model.
    #[inline(always)]
    pub fn decode_symbol<const N: usize, const T: usize>(&mut self, m: &mut Model<N, T>) -> u32 {
        let y0 = self.length;
        let len = self.length >> DM_LENGTH_SHIFT;
        let dv = self.value / len;
        let t = ((dv >> m.table_shift) as usize).min(m.table_size as usize);
        let mut s = m.table[t] as u32;
        let mut n = m.table[t + 1] as u32 + 1;
        while n > s + 1 {
            let k = (s + n) >> 1;
            if m.dc[clamp::<N>(k)][0] > dv {
                n = k;
            } else {
                s = k;
            }
        }
        let sym = clamp::<N>(s) as u32;
        let x = m.dc[sym as usize][0] * len;
        // The last symbol's interval ends at the full length: a branch-free select.
        let y1 = m.dc[clamp::<N>(sym + 1)][0].wrapping_mul(len);
        let last = 0u32.wrapping_sub((sym == m.last_symbol) as u32);
        let y = y1 ^ ((y1 ^ y0) & last);
        self.value = self.value.wrapping_sub(x);
        self.length = y.wrapping_sub(x);
        self.renorm();
        m.dc[sym as usize][1] += 1;
        m.until_update -= 1;
        if m.until_update == 0 {
            m.update();
        }
        sym
    }

    /// Decodes one bit of `m` and adapts the model.
    #[inline(always)]
    pub fn decode_bit(&mut self, m: &mut BitModel) -> u32 {
        let x = m.bit_0_prob * (self.length >> BM_LENGTH_SHIFT);
        let bit = self.value >= x;
        if bit {
            self.value -= x;
            self.length -= x;
        } else {
            self.length = x;
            m.bit_0_count += 1;
        }
        self.renorm();
        m.until_update -= 1;
        if m.until_update == 0 {
            m.update();
        }
        bit as u32
    }

    /// Reads `bits` (1..=32) raw bits.
    pub fn read_bits(&mut self, bits: u32) -> u32 {
        debug_assert!((1..=32).contains(&bits));
        if bits > 19 {
            let low = self.read_short() as u32;
            let high = self.read_bits(bits - 16);
            return (high << 16) | low;
        }
        self.length >>= bits;
        let sym = self.value / self.length;
        self.value = self.value.wrapping_sub(self.length.wrapping_mul(sym));
        self.renorm();
        sym
    }

    /// Reads 16 raw bits.
    pub fn read_short(&mut self) -> u16 {
        self.length >>= 16;
        let sym = self.value / self.length;
        self.value = self.value.wrapping_sub(self.length.wrapping_mul(sym));
        self.renorm();
        sym as u16
    }

    /// Reads 32 raw bits (low half first).
    pub fn read_int(&mut self) -> u32 {
        let low = self.read_short() as u32;
        let high = self.read_short() as u32;
        (high << 16) | low
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SymbolModel;
    use laz::encoders::ArithmeticEncoder;
    use laz::models::{ArithmeticBitModel, ArithmeticModelBuilder};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Symbols, bits and raw values written by the `laz` crate's encoder come back unchanged,
    /// with models of every table geometry and skewed statistics that force many updates.
    #[test]
    fn decodes_what_the_laz_encoder_wrote() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let sizes = [2u32, 3, 5, 16, 17, 33, 64, 128, 256];
        let mut ops = vec![];
        for _ in 0..40_000 {
            let op = rng.gen_range(0..12);
            let v = match op {
                0..=8 => {
                    let n = sizes[op];
                    // skewed: mostly small symbols
                    let r: f64 = rng.gen();
                    ((r * r * r) * n as f64) as u32 % n
                }
                9 => rng.gen_bool(0.8) as u32,
                10 => rng.gen_range(1..=31),
                _ => rng.gen(),
            };
            ops.push((op, v));
        }
        let mut enc = ArithmeticEncoder::new(std::io::Cursor::new(Vec::new()));
        let mut models: Vec<_> =
            sizes.iter().map(|&n| ArithmeticModelBuilder::new(n).with_compression(true).build()).collect();
        let mut bit = ArithmeticBitModel::new();
        let mut raw = vec![];
        for &(op, v) in &ops {
            match op {
                0..=8 => enc.encode_symbol(&mut models[op], v).unwrap(),
                9 => enc.encode_bit(&mut bit, v).unwrap(),
                10 => {
                    let bits = v;
                    let x: u32 = rng.gen_range(0..1u32 << bits);
                    enc.write_bits(bits, x).unwrap();
                    raw.push(x);
                }
                _ => enc.write_int(v).unwrap(),
            }
        }
        enc.done().unwrap();
        let bytes = enc.into_inner().into_inner();

        let mut dec = Decoder::new(&bytes);
        let mut models: Vec<_> = sizes.iter().map(|&n| SymbolModel::new(n)).collect();
        let mut bit = BitModel::default();
        let mut raw = raw.into_iter();
        for (i, &(op, v)) in ops.iter().enumerate() {
            let got = match op {
                0..=8 => dec.decode_symbol(&mut models[op]),
                9 => dec.decode_bit(&mut bit),
                10 => {
                    let want = raw.next().unwrap();
                    assert_eq!(dec.read_bits(v), want, "op {i}");
                    continue;
                }
                _ => dec.read_int(),
            };
            assert_eq!(got, v, "op {i} ({op})");
        }
        assert!(!dec.overrun());
    }

    #[test]
    fn garbage_never_panics_and_reports_overrun() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let bytes: Vec<u8> = (0..64).map(|_| rng.gen()).collect();
        let mut d = Decoder::new(&bytes);
        let mut m = SymbolModel::new(256);
        let mut s = SymbolModel::new(7);
        for _ in 0..1000 {
            d.decode_symbol(&mut m);
            d.decode_symbol(&mut s);
            d.read_bits(13);
        }
        assert!(d.overrun());
    }
}
