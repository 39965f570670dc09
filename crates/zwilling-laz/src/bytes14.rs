//! The LASzip extra-bytes item of LAS 1.4 records (BYTE14), versions 3 and 4.
//!
//! Every extra byte has its own layer; each is coded as a byte difference to the same byte of
//! the last record, with one 256-symbol model per byte and context. Contexts follow the RGB rule
//! ([`crate::switch`]).
//!
//! Source: LASzip 3 (rapidlasso), `LASreadItemCompressed_BYTE14_v3`; M. Isenburg, "LASzip:
//! lossless compression of LiDAR data", PE&RS 79(2), 2013.

use crate::arith::Decoder;
use crate::model::LazyModel;
use crate::switch::PerContext;

/// Decoder state of the extra bytes, reused from chunk to chunk.
pub struct Bytes14 {
    last: PerContext<Vec<u8>>,
    /// Per context, one model per byte.
    models: Vec<Vec<LazyModel>>,
    chunk: u64,
}

impl Bytes14 {
    /// A decoder for `n` extra bytes, item version 3 or 4 (`v4`).
    pub fn new(n: usize, v4: bool) -> Self {
        let models = (0..4).map(|_| (0..n).map(|_| LazyModel::new(256)).collect()).collect();
        Bytes14 { last: PerContext::new(v4, vec![0; n]), models, chunk: 0 }
    }

    /// Starts chunk `chunk` from the raw first bytes, in context `context`.
    pub fn first(&mut self, raw: &[u8], context: usize, chunk: u64) {
        self.chunk = chunk;
        let n = self.models[0].len();
        self.last.first(context, raw[..n].to_vec());
    }

    /// Decodes the next bytes into `out`; `layers[i]` is the decoder of byte `i` (`None`: not
    /// decoded, the byte keeps its last value).
    #[inline]
    pub fn next(&mut self, layers: &mut [Option<Decoder<'_>>], context: usize, out: &mut [u8]) {
        let (models, values) = self.last.enter(context);
        for ((v, d), m) in values.iter_mut().zip(layers.iter_mut()).zip(self.models[models].iter_mut()) {
            if let Some(d) = d {
                *v = v.wrapping_add(d.decode_symbol(m.get(self.chunk)) as u8);
            }
        }
        out[..values.len()].copy_from_slice(values);
    }
}
