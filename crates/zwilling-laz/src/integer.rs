//! LASzip's integer corrector: an integer coded as the difference to a prediction.
//!
//! The corrector `c = real − pred` is split into `k`, the number of its significant bits (coded
//! with an adaptive model per context), and its position inside the interval of correctors with
//! `k` bits: directly with a model of 2ᵏ symbols for `k ≤ 8`, otherwise the top 8 bits with a
//! 256-symbol model and the `k − 8` low bits raw. `k = 0` means `c ∈ {0, 1}` (one adaptive bit).
//! Correctors with `k` bits lie in `[−(2ᵏ − 1), −2ᵏ⁻¹] ∪ [2ᵏ⁻¹ + 1, 2ᵏ]`. For fields of fewer
//! than 32 bits the result wraps into `[0, 2^bits)`.
//!
//! Source: M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013,
//! section "Compressing integers" (after Isenburg & Lindstrom & Snoeyink, "Lossless compression
//! of predicted floating-point geometry", CAD 37(8), 2005).
//!
//! ```
//! use zwilling_laz::integer::corrector_from_interval;
//! // k = 3: the 8 positions map to −7..=−4 and 5..=8.
//! assert_eq!(corrector_from_interval(0, 3), -7);
//! assert_eq!(corrector_from_interval(3, 3), -4);
//! assert_eq!(corrector_from_interval(4, 3), 5);
//! assert_eq!(corrector_from_interval(7, 3), 8);
//! ```

use crate::arith::Decoder;
use crate::model::{LazyBitModel, LazyModel};

const BITS_HIGH: u32 = 8;

/// The corrector at position `c` of the interval of `k`-bit correctors (1 ≤ k ≤ 31).
#[inline(always)]
pub fn corrector_from_interval(c: i32, k: u32) -> i32 {
    // Branch-free (the sign is a coin toss for the predictor): c + 1, minus 2^k when negative.
    let negative = (c < (1u32 << (k - 1)) as i32) as u32;
    c.wrapping_add(1).wrapping_sub((negative << k) as i32)
}

/// Decodes integers of `bits` bits predicted per context.
#[derive(Clone)]
pub struct IntegerDecoder {
    k: u32,
    corr_range: u32,
    corr_min: i32,
    by_context: Vec<LazyModel>,
    corrector0: LazyBitModel,
    corrector: Vec<LazyModel>,
}

impl IntegerDecoder {
    /// A decoder for `bits`-bit integers (1..=32) with `contexts` prediction contexts.
    pub fn new(bits: u32, contexts: u32) -> Self {
        let (corr_bits, corr_range, corr_min) = match bits {
            1..=31 => (bits, 1u32 << bits, -((1i64 << bits) / 2) as i32),
            _ => (32, 0, i32::MIN),
        };
        let by_context = (0..contexts).map(|_| LazyModel::new(corr_bits + 1)).collect();
        let corrector = (1..=corr_bits).map(|i| LazyModel::new(1 << i.min(BITS_HIGH))).collect();
        IntegerDecoder { k: 0, corr_range, corr_min, by_context, corrector0: LazyBitModel::default(), corrector }
    }

    /// The significant bits `k` of the last corrector (a context for other fields).
    #[inline(always)]
    pub fn k(&self) -> u32 {
        self.k
    }

    /// Decodes the integer predicted as `pred` in context `context` of chunk `chunk`.
    #[inline(always)]
    pub fn decode(&mut self, d: &mut Decoder<'_>, pred: i32, context: u32, chunk: u64) -> i32 {
        let k = d.decode_symbol(self.by_context[context as usize].get(chunk));
        self.k = k;
        let c = if k == 0 {
            d.decode_bit(self.corrector0.get(chunk)) as i32
        } else if k < 32 {
            let m = self.corrector[(k - 1) as usize].get(chunk);
            let c = if k <= BITS_HIGH {
                d.decode_symbol(m) as i32
            } else {
                let k1 = k - BITS_HIGH;
                let high = d.decode_symbol(m) as i32;
                let low = d.read_bits(k1) as i32;
                (high << k1) | low
            };
            corrector_from_interval(c, k)
        } else {
            self.corr_min
        };
        let range = self.corr_range as i32;
        let real = pred.wrapping_add(c);
        if real < 0 {
            real.wrapping_add(range)
        } else if real >= range {
            real.wrapping_sub(range)
        } else {
            real
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use laz::compressors::IntegerCompressorBuilder;
    use laz::encoders::ArithmeticEncoder;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Integers of 16 and 32 bits written by the `laz` crate's integer compressor, over several
    /// contexts and spreads (small, medium, huge correctors, wrap-around), decode unchanged.
    #[test]
    fn decodes_what_the_laz_integer_compressor_wrote() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for bits in [16u32, 32] {
            let contexts = 4;
            let mut vals = vec![];
            for _ in 0..20_000 {
                let ctx = rng.gen_range(0..contexts);
                let pred: i32 = if bits == 16 { rng.gen_range(0..65536) } else { rng.gen() };
                let spread = [1i64, 30, 5000, 1 << 20, 1 << 31][rng.gen_range(0..5)];
                let real = if bits == 16 {
                    (pred as i64 + rng.gen_range(-spread..=spread)).rem_euclid(65536) as i32
                } else {
                    (pred as i64 + rng.gen_range(-spread..=spread)) as i32
                };
                vals.push((pred, real, ctx));
            }
            let mut enc = ArithmeticEncoder::new(std::io::Cursor::new(Vec::new()));
            let mut ic = IntegerCompressorBuilder::new().bits(bits).contexts(contexts).build_initialized();
            let mut ks = vec![];
            for &(pred, real, ctx) in &vals {
                ic.compress(&mut enc, pred, real, ctx).unwrap();
                ks.push(ic.k());
            }
            enc.done().unwrap();
            let bytes = enc.into_inner().into_inner();
            let mut d = Decoder::new(&bytes);
            let mut id = IntegerDecoder::new(bits, contexts);
            for (i, &(pred, real, ctx)) in vals.iter().enumerate() {
                assert_eq!(id.decode(&mut d, pred, ctx, 1), real, "bits {bits} value {i}");
                assert_eq!(id.k(), ks[i], "k after value {i}");
            }
            assert!(!d.overrun());
        }
    }
}
