//! A fast, fixed (unkeyed) hasher for integer grid-cell keys such as `(i64, i64)` voxel indices.
//!
//! Each written 64-bit word is folded in as `h = mix(h ^ word)`, where `mix` is the bijective
//! finaliser of SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
//! generators", OOPSLA): `x ^= x >> 30; x *= 0xbf58476d1ce4e5b9; x ^= x >> 27;
//! x *= 0x94d049bb133111eb; x ^= x >> 31`. Two multiplications per word: several times faster than
//! the standard SipHash-1-3 for small integer keys, and unlike a bare multiply–rotate (FxHash) it
//! does not collide on small signed cell pairs. Being unkeyed, it gives the same table layout on
//! every run. Not DoS-resistant: use it only for keys derived from coordinates.
//!
//! ```
//! use zwilling_cloud::cellhash::CellMap;
//! let mut m: CellMap<(i64, i64), u32> = CellMap::default();
//! *m.entry((3, -4)).or_insert(0) += 1;
//! assert_eq!(m[&(3, -4)], 1);
//! ```

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// SplitMix64's finaliser, a bijection of `u64` with full avalanche.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The word-mixing hasher (see the module documentation).
#[derive(Debug, Default, Clone, Copy)]
pub struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = mix(self.0 ^ word);
    }
    fn write_i64(&mut self, word: i64) {
        self.write_u64(word as u64);
    }
    fn write_u32(&mut self, word: u32) {
        self.write_u64(word as u64);
    }
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

/// A `HashMap` keyed by grid cells with [`CellHasher`].
pub type CellMap<K, V> = HashMap<K, V, BuildHasherDefault<CellHasher>>;
/// A `HashSet` of grid cells with [`CellHasher`].
pub type CellSet<K> = HashSet<K, BuildHasherDefault<CellHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(v: T) -> u64 {
        BuildHasherDefault::<CellHasher>::default().hash_one(v)
    }

    #[test]
    fn fixed_and_spreading() {
        // Unkeyed: the same key hashes the same in every process.
        assert_eq!(hash((1i64, 2i64)), hash((1i64, 2i64)));
        // One word from the zero state is SplitMix64's finaliser of it; SplitMix64 with seed 0
        // returns mix(0x9e3779b97f4a7c15) = 0xe220a8397b1dcdaf as its first output (published
        // reference value of the generator).
        let mut h = CellHasher::default();
        h.write_u64(0x9e37_79b9_7f4a_7c15);
        assert_eq!(h.finish(), 0xe220_a839_7b1d_cdaf);
        // Neighbouring cells differ and a 100 × 100 block has no collisions of the full hash.
        let set: CellSet<u64> = (-50..50i64).flat_map(|i| (-50..50i64).map(move |j| hash((i, j)))).collect();
        assert_eq!(set.len(), 10_000);
        assert_ne!(hash((1i64, 2i64)), hash((2i64, 1i64)));
    }
}
