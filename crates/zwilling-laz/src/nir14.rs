//! The NIR part of the LASzip RGB-NIR-14 item (LAS 1.4 point formats 8 and 10), versions 3 and 4.
//!
//! Per point a 2-bit symbol says which bytes of the 16-bit NIR value changed; each changed byte
//! is coded as a byte difference to the last value's byte. Contexts follow the RGB rule
//! ([`crate::switch`]).
//!
//! Source: LASzip 3 (rapidlasso), `LASreadItemCompressed_RGBNIR14_v3` (NIR layer); M. Isenburg,
//! "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013.

use crate::arith::Decoder;
use crate::model::LazyModel;
use crate::switch::PerContext;

#[derive(Clone)]
struct Models {
    used: LazyModel,
    low: LazyModel,
    high: LazyModel,
}

/// Decoder state of the NIR layer, reused from chunk to chunk.
pub struct Nir14 {
    last: PerContext<u16>,
    models: Vec<Models>,
    chunk: u64,
}

impl Nir14 {
    /// A decoder for item version 3 or 4 (`v4`).
    pub fn new(v4: bool) -> Self {
        let models = (0..4)
            .map(|_| Models { used: LazyModel::new(4), low: LazyModel::new(256), high: LazyModel::new(256) })
            .collect();
        Nir14 { last: PerContext::new(v4, 0), models, chunk: 0 }
    }

    /// Starts chunk `chunk` from the raw first NIR value, in context `context`.
    pub fn first(&mut self, raw: &[u8], context: usize, chunk: u64) {
        self.chunk = chunk;
        self.last.first(context, u16::from_le_bytes([raw[0], raw[1]]));
    }

    /// Decodes the next NIR value into `out` (2 bytes); `d` is `None` when the layer is not decoded.
    #[inline]
    pub fn next(&mut self, d: Option<&mut Decoder<'_>>, context: usize, out: &mut [u8]) {
        let (models, last) = self.last.enter(context);
        if let Some(d) = d {
            let m = &mut self.models[models];
            let used = d.decode_symbol(m.used.get(self.chunk));
            let low = if used & 1 != 0 {
                (d.decode_symbol(m.low.get(self.chunk)) as u8).wrapping_add(*last as u8)
            } else {
                *last as u8
            };
            let high = if used & 2 != 0 {
                (d.decode_symbol(m.high.get(self.chunk)) as u8).wrapping_add((*last >> 8) as u8)
            } else {
                (*last >> 8) as u8
            };
            *last = (high as u16) << 8 | low as u16;
        }
        out[..2].copy_from_slice(&last.to_le_bytes());
    }
}
