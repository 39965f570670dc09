//! LASzip decoding of LAS 1.4 point records straight from one chunk's bytes.
//!
//! LAZ files of point formats 6–8 store each chunk as layers (one range-coded stream per field
//! group), so a reader that needs only some fields skips the others' bytes entirely. This crate
//! decodes the layered items of LASzip 3 (versions 3 and 4): the point-14 core (coordinates,
//! returns, channel, Z, class, flags, intensity, scan angle, user data, point source, GPS time),
//! RGB, NIR and extra bytes, into LAS record bytes. Other layouts (point formats 0–5, wave
//! packets) are refused by [`ChunkDecoder::new`] so the caller can use a complete decoder
//! instead; fields that are not selected keep the chunk's first point's values, as in any
//! selective LASzip reader.
//!
//! The decoder is written for throughput: every layer is read from the chunk's slice without
//! copying, models are allocated on first use and reset lazily per chunk, the symbol search
//! uses a finer table than LASzip's (four cells per symbol, so it mostly ends at once), and the
//! hot path has no I/O error branches (a damaged chunk is reported after decoding it).
//!
//! Source: M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013, and the
//! LAZ 1.4 layered chunk layout of LASzip 3 (rapidlasso): first point raw, point count, one
//! byte size per layer, the layers.
//!
//! ```
//! use zwilling_laz::{ChunkDecoder, Item, ItemKind, Selection};
//! let items = [Item { kind: ItemKind::Point14, size: 30, version: 3 }, Item { kind: ItemKind::Rgb14, size: 6, version: 3 }];
//! let sel = Selection { z: true, rgb: true, ..Selection::default() };
//! let dec = ChunkDecoder::new(&items, sel).unwrap();
//! assert_eq!(dec.record_len(), 36);
//! // LAS 1.2 records are not layered:
//! let old = [Item { kind: ItemKind::Other, size: 20, version: 2 }];
//! assert!(ChunkDecoder::new(&old, sel).is_err());
//! ```

#![warn(missing_docs)]

pub mod arith;
pub mod bytes14;
pub mod gps14;
pub mod integer;
pub mod median;
pub mod model;
pub mod nir14;
pub mod point14;
pub mod rgb14;
pub mod switch;

use arith::Decoder;
use bytes14::Bytes14;
use nir14::Nir14;
use point14::{Layers, Point14, Step, POINT14_LEN};
use rgb14::{Rgb14, RGB_LEN};

/// The kinds of LASzip items this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// LAS 1.4 point core (30 bytes).
    Point14,
    /// LAS 1.4 RGB (6 bytes).
    Rgb14,
    /// LAS 1.4 RGB + NIR (8 bytes).
    RgbNir14,
    /// LAS 1.4 extra bytes (one layer per byte).
    Byte14,
    /// Anything else (older point formats, wave packets).
    Other,
}

/// One item of the LASzip VLR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// What the item holds.
    pub kind: ItemKind,
    /// Its bytes in the record.
    pub size: u16,
    /// Its compression version (3 or 4 for the layered items).
    pub version: u16,
}

impl Item {
    /// An item from its LASzip VLR entry: item type code (LASzip's numbering: 10 point 14,
    /// 11 RGB 14, 12 RGB + NIR 14, 14 extra bytes 14; others are not layered), size and version.
    pub fn from_vlr(code: u16, size: u16, version: u16) -> Self {
        let kind = match code {
            10 => ItemKind::Point14,
            11 => ItemKind::Rgb14,
            12 => ItemKind::RgbNir14,
            14 => ItemKind::Byte14,
            _ => ItemKind::Other,
        };
        Item { kind, size, version }
    }
}

/// The fields to decode; coordinates, returns and scanner channel always are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    /// Z.
    pub z: bool,
    /// Classification.
    pub classification: bool,
    /// Classification flags, scan direction, edge of flight line.
    pub flags: bool,
    /// Intensity.
    pub intensity: bool,
    /// Scan angle.
    pub scan_angle: bool,
    /// User data.
    pub user_data: bool,
    /// Point source ID.
    pub point_source: bool,
    /// GPS time.
    pub gps_time: bool,
    /// RGB.
    pub rgb: bool,
    /// NIR.
    pub nir: bool,
    /// Extra bytes.
    pub extra_bytes: bool,
}

/// Why a chunk could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LazError {
    /// The items or the selection need a decoder this crate does not have.
    Unsupported(String),
    /// The chunk's bytes are inconsistent.
    Damaged(String),
}

impl std::fmt::Display for LazError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LazError::Unsupported(s) => write!(f, "unsupported LAZ layout: {s}"),
            LazError::Damaged(s) => write!(f, "damaged LAZ chunk: {s}"),
        }
    }
}

impl std::error::Error for LazError {}

/// Decodes chunks of one file's layout; keep one per thread and reuse it for every chunk.
pub struct ChunkDecoder {
    items: Vec<Item>,
    selection: Selection,
    record_len: usize,
    point: Point14,
    rgb: Option<Rgb14>,
    nir: Option<Nir14>,
    extra: Option<Bytes14>,
    /// Layer 1's result per point of the chunk being decoded.
    steps: Vec<Step>,
    chunk: u64,
}

/// Layers per item in a chunk.
fn layer_count(item: &Item) -> usize {
    match item.kind {
        ItemKind::Point14 => 9,
        ItemKind::Rgb14 => 1,
        ItemKind::RgbNir14 => 2,
        ItemKind::Byte14 => item.size as usize,
        ItemKind::Other => 0,
    }
}

impl ChunkDecoder {
    /// A decoder for records made of `items` that decodes the fields of `selection`. Refused
    /// (`Unsupported`) for anything but a point-14 core optionally followed by RGB or RGB + NIR
    /// and extra bytes, all of version 3 or 4.
    pub fn new(items: &[Item], selection: Selection) -> Result<Self, LazError> {
        Self::check(items)?;
        let (mut rgb, mut nir, mut extra) = (None, None, None);
        for (i, it) in items.iter().enumerate().skip(1) {
            let v4 = it.version == 4;
            match it.kind {
                ItemKind::Rgb14 | ItemKind::RgbNir14 => {
                    rgb = Some(Rgb14::new(v4));
                    nir = (it.kind == ItemKind::RgbNir14).then(|| Nir14::new(v4));
                }
                _ => extra = (i == items.len() - 1).then(|| Bytes14::new(it.size as usize, v4)),
            }
        }
        let record_len = items.iter().map(|i| i.size as usize).sum();
        Ok(ChunkDecoder {
            items: items.to_vec(),
            selection,
            record_len,
            point: Point14::new(items[0].version == 4),
            rgb,
            nir,
            extra,
            steps: Vec::new(),
            chunk: 0,
        })
    }

    /// True when [`ChunkDecoder::new`] accepts records made of `items`.
    pub fn supports(items: &[Item]) -> bool {
        Self::check(items).is_ok()
    }

    fn check(items: &[Item]) -> Result<(), LazError> {
        let unsupported = |s: &str| Err(LazError::Unsupported(s.to_string()));
        let Some(first) = items.first() else { return unsupported("no items") };
        if first.kind != ItemKind::Point14 || first.size as usize != POINT14_LEN {
            return unsupported("the first item is not a LAS 1.4 point");
        }
        if !items.iter().all(|i| i.version == 3 || i.version == 4) {
            return unsupported("item versions other than 3 and 4");
        }
        for (i, it) in items.iter().enumerate().skip(1) {
            match it.kind {
                ItemKind::Rgb14 | ItemKind::RgbNir14 if i == 1 => {
                    let with_nir = it.kind == ItemKind::RgbNir14;
                    if it.size as usize != RGB_LEN + 2 * with_nir as usize {
                        return unsupported("a colour item of unusual size");
                    }
                }
                ItemKind::Byte14 if i == items.len() - 1 && it.size > 0 => {}
                _ => return unsupported("an item layout other than point, colour, extra bytes"),
            }
        }
        Ok(())
    }

    /// True when this decoder decodes `selection` of records made of `items`.
    pub fn serves(&self, items: &[Item], selection: Selection) -> bool {
        self.items == items && self.selection == selection
    }

    /// Bytes per decoded record.
    pub fn record_len(&self) -> usize {
        self.record_len
    }

    /// Decodes the `points` points of one chunk (`bytes`, exactly the chunk) into `out`
    /// (`points × record_len` bytes) as LAS records. Fields not selected hold the chunk's first
    /// point's values.
    pub fn decode(&mut self, bytes: &[u8], points: usize, out: &mut [u8]) -> Result<(), LazError> {
        let damaged = |s: String| Err(LazError::Damaged(s));
        let len = self.record_len;
        if out.len() < points * len {
            return damaged(format!("output of {} bytes for {points} points", out.len()));
        }
        if points == 0 {
            return Ok(());
        }
        if bytes.len() < len {
            return damaged(format!("{} bytes, less than one point", bytes.len()));
        }
        self.chunk += 1;
        let chunk = self.chunk;
        out[..len].copy_from_slice(&bytes[..len]);
        let rgb_at = POINT14_LEN;
        let nir_at = rgb_at + RGB_LEN * self.rgb.is_some() as usize;
        let extra_at = nir_at + 2 * self.nir.is_some() as usize;
        let context = self.point.first(&bytes[..POINT14_LEN], chunk);
        if let Some(r) = &mut self.rgb {
            r.first(&bytes[rgb_at..], context, chunk);
        }
        if let Some(n) = &mut self.nir {
            n.first(&bytes[nir_at..], context, chunk);
        }
        if let Some(e) = &mut self.extra {
            e.first(&bytes[extra_at..], context, chunk);
        }
        if points == 1 {
            return Ok(());
        }
        // Point count, then one u32 size per layer, then the layers.
        let n_layers: usize = self.items.iter().map(layer_count).sum();
        let head = len + 4 + 4 * n_layers;
        if bytes.len() < head {
            return damaged(format!("{} bytes, too short for the layer sizes", bytes.len()));
        }
        let sizes: Vec<usize> = bytes[len + 4..head]
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .collect();
        let total: usize = sizes.iter().sum();
        if head + total > bytes.len() {
            return damaged(format!("layers of {total} bytes in a chunk of {}", bytes.len()));
        }
        let mut layers = Vec::with_capacity(sizes.len());
        let mut at = head;
        for s in &sizes {
            layers.push(&bytes[at..at + s]);
            at += s;
        }
        // A layer is decoded when asked for and not empty (empty: the value never changes).
        let open = |i: usize, wanted: bool| (wanted && !layers[i].is_empty()).then(|| Decoder::new(layers[i]));
        let sel = self.selection;
        let wanted = [
            true,
            sel.z,
            sel.classification,
            sel.flags,
            sel.intensity,
            sel.scan_angle,
            sel.user_data,
            sel.point_source,
            sel.gps_time,
        ];
        let mut on = [false; 9];
        let d: [Decoder<'_>; 9] = std::array::from_fn(|i| match open(i, wanted[i]) {
            Some(d) => {
                on[i] = true;
                d
            }
            None => Decoder::empty(),
        });
        // The XY layer is decoded even when empty (a chunk of identical points has none).
        on[0] = true;
        let mut point_layers = Layers { d, on };
        let mut next = 9;
        let mut rgb_dec = self.rgb.as_ref().and_then(|_| {
            next += 1;
            open(next - 1, sel.rgb)
        });
        let mut nir_dec = self.nir.as_ref().and_then(|_| {
            next += 1;
            open(next - 1, sel.nir)
        });
        let mut extra_dec: Vec<Option<Decoder<'_>>> = match &self.extra {
            Some(_) => (next..layers.len()).map(|i| open(i, sel.extra_bytes)).collect(),
            None => vec![],
        };
        // Layer 1 of every point, then the other point layers, then each following item: tight
        // loops over one or a few streams each.
        let records = &mut out[len..points * len];
        self.steps.clear();
        for out in records.chunks_exact_mut(len) {
            self.steps.push(self.point.next_xy(&mut point_layers.d[point14::XY], out));
        }
        for (out, step) in records.chunks_exact_mut(len).zip(&self.steps) {
            self.point.next_rest(&mut point_layers, *step, out);
        }
        if let Some(r) = &mut self.rgb {
            for (out, step) in records.chunks_exact_mut(len).zip(&self.steps) {
                r.next(rgb_dec.as_mut(), step.item_context as usize, &mut out[rgb_at..]);
            }
        }
        for (out, step) in records.chunks_exact_mut(len).zip(&self.steps) {
            let context = step.item_context as usize;
            if let Some(n) = &mut self.nir {
                n.next(nir_dec.as_mut(), context, &mut out[nir_at..]);
            }
            if let Some(e) = &mut self.extra {
                e.next(&mut extra_dec, context, &mut out[extra_at..]);
            }
        }
        let mut all =
            point_layers.d.iter().chain(rgb_dec.iter()).chain(nir_dec.iter()).chain(extra_dec.iter().flatten());
        if all.any(|d| d.overrun()) {
            return damaged("a layer ends before its points".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
