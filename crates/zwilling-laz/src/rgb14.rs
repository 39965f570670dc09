//! The LASzip RGB-14 item (colours of LAS 1.4 point formats 7, 8 and 10), layered versions 3
//! and 4.
//!
//! Per point one 7-bit symbol says which of the six colour bytes differ from the last colour
//! (bits 0–5: red low, red high, green low, green high, blue low, blue high) and whether green
//! and blue differ from red at all (bit 6). Each changed byte is coded as a byte difference to a
//! prediction: red to the last red; green and blue to their last value plus the change of red
//! (blue: the mean change of red and green), clamped to a byte. Four contexts (scanner
//! channels) keep their own models; which last colour predicts is the version's rule: version 3
//! switches to a context's own last colour only when that context is first used, version 4
//! always.
//!
//! Source: M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013
//! (RGB item, version 2 models), and LASzip 3's `LASreadItemCompressed_RGB14_v3`/`_v4`.

use crate::arith::Decoder;
use crate::model::LazyModel;
use crate::switch::PerContext;

/// Bytes of an RGB record part.
pub const RGB_LEN: usize = 6;

#[derive(Clone)]
struct Models {
    byte_used: LazyModel,
    /// Red low, red high, green low, green high, blue low, blue high.
    bytes: [LazyModel; 6],
}

/// Decoder state of the RGB-14 item, reused from chunk to chunk.
pub struct Rgb14 {
    last: PerContext<[u16; 3]>,
    models: Vec<Models>,
    chunk: u64,
}

impl Rgb14 {
    /// A decoder for item version 3 or 4 (`v4`).
    pub fn new(v4: bool) -> Self {
        let models = (0..4)
            .map(|_| Models { byte_used: LazyModel::new(128), bytes: std::array::from_fn(|_| LazyModel::new(256)) })
            .collect();
        Rgb14 { last: PerContext::new(v4, [0; 3]), models, chunk: 0 }
    }

    /// Starts chunk `chunk` from the raw first colour, in context `context`.
    pub fn first(&mut self, raw: &[u8], context: usize, chunk: u64) {
        self.chunk = chunk;
        let u = |o: usize| u16::from_le_bytes([raw[o], raw[o + 1]]);
        self.last.first(context, [u(0), u(2), u(4)]);
    }

    /// Decodes the next colour into `out` (6 bytes) in context `context`; `d` is `None` when the
    /// layer is not decoded (every point keeps the last colour).
    #[inline]
    pub fn next(&mut self, d: Option<&mut Decoder<'_>>, context: usize, out: &mut [u8]) {
        let (models, last) = self.last.enter(context);
        if let Some(d) = d {
            *last = decode_rgb(d, &mut self.models[models], *last, self.chunk);
        }
        out[0..2].copy_from_slice(&last[0].to_le_bytes());
        out[2..4].copy_from_slice(&last[1].to_le_bytes());
        out[4..6].copy_from_slice(&last[2].to_le_bytes());
    }
}

#[inline(always)]
fn clamp_byte(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// One colour from its byte-change symbol and byte differences: red's bytes to the last red,
/// then the low and the high byte lanes of green and blue (see [`lane`]).
#[inline(always)]
fn decode_rgb(d: &mut Decoder<'_>, m: &mut Models, last: [u16; 3], chunk: u64) -> [u16; 3] {
    let used = d.decode_symbol(m.byte_used.get(chunk));
    let [r0, r1, g0, g1, b0, b1] = &mut m.bytes;
    let red_lo = byte_if(d, used & 1 != 0, r0, last[0] as u8, chunk);
    let red_hi = byte_if(d, used & 2 != 0, r1, (last[0] >> 8) as u8, chunk);
    let red = (red_hi as u16) << 8 | red_lo as u16;
    if used & (1 << 6) == 0 {
        return [red, red, red];
    }
    // Lane 0: the low bytes (change bits 2 green, 4 blue), lane 1: the high bytes (3, 5).
    let mut green_blue = [[0u8; 2]; 2];
    for (lane_no, (mg, mb)) in [(g0, b0), (g1, b1)].into_iter().enumerate() {
        let byte = |v: u16| (v >> (8 * lane_no)) as u8;
        let changed = [used & (4 << lane_no) != 0, used & (16 << lane_no) != 0];
        let red_diff = [red_lo, red_hi][lane_no] as i32 - byte(last[0]) as i32;
        green_blue[lane_no] = lane(d, changed, [mg, mb], red_diff, [byte(last[1]), byte(last[2])], chunk);
    }
    let [[green_lo, blue_lo], [green_hi, blue_hi]] = green_blue;
    [red, (green_hi as u16) << 8 | green_lo as u16, (blue_hi as u16) << 8 | blue_lo as u16]
}

/// A byte: the last one plus a decoded difference if it `changed`.
#[inline(always)]
fn byte_if(d: &mut Decoder<'_>, changed: bool, m: &mut LazyModel, last: u8, chunk: u64) -> u8 {
    if changed {
        (d.decode_symbol(m.get(chunk)) as u8).wrapping_add(last)
    } else {
        last
    }
}

/// Green and blue bytes of one lane (low or high): green predicted by its last byte plus red's
/// change `red_diff`, blue by its last byte plus the mean change of red and green, both clamped
/// to a byte.
#[inline(always)]
fn lane(
    d: &mut Decoder<'_>,
    changed: [bool; 2],
    [mg, mb]: [&mut LazyModel; 2],
    red_diff: i32,
    [last_g, last_b]: [u8; 2],
    chunk: u64,
) -> [u8; 2] {
    let green = if changed[0] { byte_if(d, true, mg, clamp_byte(red_diff + last_g as i32), chunk) } else { last_g };
    let blue_pred = clamp_byte((red_diff + green as i32 - last_g as i32) / 2 + last_b as i32);
    let blue = if changed[1] { byte_if(d, true, mb, blue_pred, chunk) } else { last_b };
    [green, blue]
}
