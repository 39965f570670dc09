//! GPS time of the LASzip point-14 item: four interleaved time sequences.
//!
//! GPS times are coded on their IEEE-754 bit patterns read as 64-bit integers. Each context keeps
//! up to four sequences (a scanner alternating between flight lines or mirror facets makes
//! several); each remembers its last time and its typical difference. A symbol per changed time
//! says how the new time relates: a multiple (−10…500) of the typical difference plus a small
//! corrector, a new typical difference, a switch to another sequence, or a full new time (upper
//! 32 bits predicted from the current sequence, lower 32 bits raw) that starts a sequence.
//!
//! Source: M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013,
//! section on GPS time, with the multi-sequence extension of LASzip 2/3 (rapidlasso,
//! `LASreadItemCompressed_GPSTIME11_v2` and `_POINT14_v3::read_gps_time`).
//!
//! ```
//! use zwilling_laz::gps14::{MULTI_CODE_FULL, MULTI_TOTAL};
//! // 500 multiples, 10 negative ones, the zero and full codes, three sequence switches.
//! assert_eq!((MULTI_CODE_FULL, MULTI_TOTAL), (511, 515));
//! ```

use crate::arith::Decoder;
use crate::integer::IntegerDecoder;
use crate::model::LazyModel;

const MULTI: i32 = 500;
const MULTI_MINUS: i32 = -10;
/// The symbol of a full new time.
pub const MULTI_CODE_FULL: u32 = (MULTI - MULTI_MINUS + 1) as u32;
/// Symbols of the multiplier model.
pub const MULTI_TOTAL: u32 = (MULTI - MULTI_MINUS + 5) as u32;

/// The time sequences and models of one context.
#[derive(Clone)]
pub(crate) struct GpsTime {
    last: usize,
    next: usize,
    times: [i64; 4],
    diffs: [i32; 4],
    extreme: [i32; 4],
    multi: LazyModel<515, 4098>,
    no_diff: LazyModel,
    ic: IntegerDecoder,
}

impl GpsTime {
    pub(crate) fn new() -> Self {
        GpsTime {
            last: 0,
            next: 0,
            times: [0; 4],
            diffs: [0; 4],
            extreme: [0; 4],
            multi: LazyModel::new(MULTI_TOTAL),
            no_diff: LazyModel::new(5),
            ic: IntegerDecoder::new(32, 9),
        }
    }

    /// Starts the sequences from a point's time (bit pattern).
    pub(crate) fn start(&mut self, bits: i64) {
        self.last = 0;
        self.next = 0;
        self.times = [bits, 0, 0, 0];
        self.diffs = [0; 4];
        self.extreme = [0; 4];
    }

    /// Counts an extreme multiplier; the fourth in a row becomes the sequence's difference.
    fn extreme(&mut self, diff: i32) {
        let l = self.last;
        self.extreme[l] += 1;
        if self.extreme[l] > 3 {
            self.diffs[l] = diff;
            self.extreme[l] = 0;
        }
    }

    /// A full time: upper half predicted from the current sequence, lower half raw; it starts
    /// the next sequence.
    fn full(&mut self, d: &mut Decoder<'_>, chunk: u64) {
        self.next = (self.next + 1) & 3;
        let high = self.ic.decode(d, (self.times[self.last] >> 32) as i32, 8, chunk) as i64;
        let low = d.read_int() as i64;
        self.times[self.next] = (high << 32) | low;
        self.last = self.next;
        self.diffs[self.last] = 0;
        self.extreme[self.last] = 0;
    }

    /// Decodes the next changed time; returns its bit pattern.
    pub(crate) fn decode(&mut self, d: &mut Decoder<'_>, chunk: u64) -> i64 {
        loop {
            let l = self.last;
            if self.diffs[l] == 0 {
                let multi = d.decode_symbol(self.no_diff.get(chunk));
                match multi {
                    0 => {
                        self.diffs[l] = self.ic.decode(d, 0, 0, chunk);
                        self.times[l] = self.times[l].wrapping_add(self.diffs[l] as i64);
                        self.extreme[l] = 0;
                    }
                    1 => self.full(d, chunk),
                    _ => {
                        self.last = (l + multi as usize - 1) & 3;
                        continue;
                    }
                }
            } else {
                let multi = d.decode_symbol(self.multi.get(chunk));
                let last_diff = self.diffs[l];
                if multi == 1 {
                    let v = self.ic.decode(d, last_diff, 1, chunk);
                    self.times[l] = self.times[l].wrapping_add(v as i64);
                    self.extreme[l] = 0;
                } else if multi < MULTI_CODE_FULL {
                    let m = multi as i32;
                    let diff = if multi == 0 {
                        let v = self.ic.decode(d, 0, 7, chunk);
                        self.extreme(v);
                        v
                    } else if m < MULTI {
                        let ctx = if m < 10 { 2 } else { 3 };
                        self.ic.decode(d, m.wrapping_mul(last_diff), ctx, chunk)
                    } else if m == MULTI {
                        let v = self.ic.decode(d, MULTI.wrapping_mul(last_diff), 4, chunk);
                        self.extreme(v);
                        v
                    } else {
                        let m = MULTI - m;
                        if m > MULTI_MINUS {
                            self.ic.decode(d, m.wrapping_mul(last_diff), 5, chunk)
                        } else {
                            let v = self.ic.decode(d, MULTI_MINUS.wrapping_mul(last_diff), 6, chunk);
                            self.extreme(v);
                            v
                        }
                    };
                    self.times[l] = self.times[l].wrapping_add(diff as i64);
                } else if multi == MULTI_CODE_FULL {
                    self.full(d, chunk);
                } else {
                    self.last = (l + (multi - MULTI_CODE_FULL) as usize) & 3;
                    continue;
                }
            }
            return self.times[self.last];
        }
    }
}
