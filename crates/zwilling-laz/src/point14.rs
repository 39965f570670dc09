//! The LASzip point-14 item (LAS 1.4 point formats 6–10), layered versions 3 and 4.
//!
//! A chunk keeps nine layers, each with its own range decoder: (1) scanner channel, returns, X
//! and Y; (2) Z; (3) classification; (4) flags; (5) intensity; (6) scan angle; (7) user data;
//! (8) point source; (9) GPS time. Layer 1 is always decoded: its first symbol per point says
//! which fields changed (bit 6 scanner channel, 5 point source, 4 GPS time, 3 scan angle, 2
//! number of returns, 1–0 return number +1/−1/other) and sets the contexts of the other layers.
//! Up to four contexts (one per scanner channel) keep their own last point and models. X and Y
//! are predicted by the streaming median of recent differences of the same return type, Z by
//! the last Z at the same return level, intensity by the last intensity of the same return class.
//!
//! Versions 3 and 4 differ only in the context they hand the following items (RGB, NIR, extra
//! bytes): version 3 only on the point where the scanner channel changed, otherwise 0; version 4
//! always the current channel.
//!
//! The decoder runs two passes over a chunk: [`Point14::next_xy`] decodes layer 1 for every point
//! and leaves a [`Step`] per point (context, context start, changed bits, return class), then
//! [`Point14::next_rest`] decodes the other layers from those steps. Each pass is a tight loop
//! over one or a few streams, which measured faster than one loop over all of them.
//!
//! Source: M. Isenburg, "LASzip: lossless compression of LiDAR data", PE&RS 79(2), 2013; the
//! LAS 1.4 "native extension" of LASzip 3 (rapidlasso, 2017, `LASreadItemCompressed_POINT14_v3`).
//! The field layout is ASPRS LAS 1.4 R15, table 13.

use crate::arith::Decoder;
use crate::gps14::GpsTime;
use crate::integer::IntegerDecoder;
use crate::median::Median5;
use crate::model::LazyModel;

/// Bytes of a point-14 record core.
pub const POINT14_LEN: usize = 30;

/// Return map of the X/Y difference medians (number of returns × return number → 0..=5).
const RETURN_MAP_6: [[u8; 16]; 16] = [
    [0, 1, 2, 3, 4, 5, 3, 4, 4, 5, 5, 5, 5, 5, 5, 5],
    [1, 0, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    [2, 1, 2, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3],
    [3, 3, 4, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    [4, 3, 4, 4, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    [5, 3, 4, 4, 4, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    [3, 3, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    [4, 3, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 4, 4, 4],
    [4, 3, 4, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 4, 4],
    [5, 3, 4, 4, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 4],
    [5, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4],
    [5, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 4, 4, 4],
    [5, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 4, 4],
    [5, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 4],
    [5, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5],
    [5, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5],
];

/// Return level of the Z predictions: |n − r| capped at 7.
const fn return_level(n: usize, r: usize) -> u8 {
    let d = n.abs_diff(r);
    if d > 7 {
        7
    } else {
        d as u8
    }
}

/// The nine layers of a point-14 item in one chunk; a layer not decoded has no bytes.
pub struct Layers<'a> {
    /// One decoder per layer, in chunk order.
    pub d: [Decoder<'a>; 9],
    /// Which layers are decoded (requested and not empty).
    pub on: [bool; 9],
}

/// Layer indices.
pub(crate) const XY: usize = 0;
const Z: usize = 1;
const CLASS: usize = 2;
const FLAGS: usize = 3;
const INTENSITY: usize = 4;
const SCAN_ANGLE: usize = 5;
const USER_DATA: usize = 6;
const SOURCE: usize = 7;
const GPS: usize = 8;

/// What the first layer says about a point, for the other layers and the following items.
#[derive(Clone, Copy, Debug, Default)]
pub struct Step {
    /// The point's context (scanner channel).
    channel: u8,
    /// 1 + the context this point's context starts from (it was not used in the chunk yet); 0 if none.
    start_from: u8,
    /// Bit 3 scan angle, bit 4 GPS time, bit 5 point source changed.
    changed: u8,
    /// Single (3) / first (2) / last (1) / intermediate (0) return.
    cpr: u8,
    /// Return level of the Z prediction.
    level: u8,
    /// Context of the Z corrector.
    ctx_z: u8,
    /// The context the items after the core use for this point.
    pub item_context: u8,
}

/// The fields of a stored point-14 core.
#[derive(Clone, Copy, Default)]
struct Last {
    x: i32,
    y: i32,
    z: i32,
    intensity: u16,
    /// Return number (bits 0–3) and number of returns (4–7).
    returns: u8,
    /// Classification flags (0–3), scanner channel (4–5), scan direction (6), edge (7).
    flags: u8,
    class: u8,
    user_data: u8,
    scan_angle: i16,
    source: u16,
    gps: [u8; 8],
}

impl Last {
    fn read(b: &[u8]) -> Last {
        let i32_at = |o: usize| i32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        Last {
            x: i32_at(0),
            y: i32_at(4),
            z: i32_at(8),
            intensity: u16::from_le_bytes([b[12], b[13]]),
            returns: b[14],
            flags: b[15],
            class: b[16],
            user_data: b[17],
            scan_angle: i16::from_le_bytes([b[18], b[19]]),
            source: u16::from_le_bytes([b[20], b[21]]),
            gps: [b[22], b[23], b[24], b[25], b[26], b[27], b[28], b[29]],
        }
    }
}

/// What one context remembers for layer 1: last X, Y, returns, predictions and models.
#[derive(Clone)]
struct XyContext {
    unused: bool,
    x: i32,
    y: i32,
    returns: u8,
    gps_change: bool,
    last_x_diff: [Median5; 12],
    last_y_diff: [Median5; 12],
    changed_values: [LazyModel; 8],
    scanner_channel: LazyModel,
    number_of_returns: Vec<LazyModel>,
    return_number: Vec<LazyModel>,
    return_number_gps_same: LazyModel,
    dx: IntegerDecoder,
    dy: IntegerDecoder,
}

impl XyContext {
    fn new() -> Self {
        XyContext {
            unused: true,
            x: 0,
            y: 0,
            returns: 0,
            gps_change: false,
            last_x_diff: [Median5::default(); 12],
            last_y_diff: [Median5::default(); 12],
            changed_values: std::array::from_fn(|_| LazyModel::new(128)),
            scanner_channel: LazyModel::new(3),
            number_of_returns: (0..16).map(|_| LazyModel::new(16)).collect(),
            return_number: (0..16).map(|_| LazyModel::new(16)).collect(),
            return_number_gps_same: LazyModel::new(13),
            dx: IntegerDecoder::new(32, 2),
            dy: IntegerDecoder::new(32, 22),
        }
    }

    /// Starts the context (its models are reset lazily) from another context's last point.
    fn start(&mut self, x: i32, y: i32, returns: u8) {
        self.unused = false;
        (self.x, self.y, self.returns, self.gps_change) = (x, y, returns, false);
        self.last_x_diff = [Median5::default(); 12];
        self.last_y_diff = [Median5::default(); 12];
    }
}

/// What one context remembers for layers 2–9.
#[derive(Clone)]
struct RestContext {
    last: Last,
    last_intensity: [u16; 8],
    last_z: [i32; 8],
    classification: Vec<LazyModel>,
    flags: Vec<LazyModel>,
    user_data: Vec<LazyModel>,
    z: IntegerDecoder,
    intensity: IntegerDecoder,
    scan_angle: IntegerDecoder,
    source: IntegerDecoder,
    gps: GpsTime,
}

impl RestContext {
    fn new() -> Self {
        let models = |n: usize, symbols: u32| (0..n).map(|_| LazyModel::new(symbols)).collect::<Vec<_>>();
        RestContext {
            last: Last::default(),
            last_intensity: [0; 8],
            last_z: [0; 8],
            classification: models(64, 256),
            flags: models(64, 64),
            user_data: models(64, 256),
            z: IntegerDecoder::new(32, 20),
            intensity: IntegerDecoder::new(16, 4),
            scan_angle: IntegerDecoder::new(16, 2),
            source: IntegerDecoder::new(16, 1),
            gps: GpsTime::new(),
        }
    }

    /// Starts the context (its models are reset lazily) from the point `p`.
    fn start(&mut self, p: &Last) {
        self.last = *p;
        self.last_intensity = [p.intensity; 8];
        self.last_z = [p.z; 8];
        self.gps.start(i64::from_le_bytes(p.gps));
    }
}

/// Decoder state of the point-14 item, reused from chunk to chunk.
pub struct Point14 {
    v4: bool,
    current: usize,
    xy: Vec<XyContext>,
    rest: Vec<RestContext>,
    chunk: u64,
}

impl Point14 {
    /// A decoder for item version 3 or 4 (`v4`).
    pub fn new(v4: bool) -> Self {
        Point14 {
            v4,
            current: 0,
            xy: (0..4).map(|_| XyContext::new()).collect(),
            rest: (0..4).map(|_| RestContext::new()).collect(),
            chunk: 0,
        }
    }

    /// Starts chunk number `chunk` (≥ 1, new for every chunk) from its raw first point; returns
    /// the context the following items start with (the point's scanner channel).
    pub fn first(&mut self, raw: &[u8], chunk: u64) -> usize {
        self.chunk = chunk;
        for c in &mut self.xy {
            c.unused = true;
        }
        let p = Last::read(raw);
        self.current = ((p.flags >> 4) & 3) as usize;
        self.xy[self.current].start(p.x, p.y, p.returns);
        self.rest[self.current].start(&p);
        self.current
    }

    /// Decodes layer 1 of the next point: X, Y and the returns into `out` (the record), the rest
    /// into the returned step.
    #[inline]
    pub fn next_xy(&mut self, d: &mut Decoder<'_>, out: &mut [u8]) -> Step {
        let chunk = self.chunk;
        let mut step = Step::default();
        let c = &mut self.xy[self.current];
        let (last_n, last_r) = ((c.returns >> 4) as u32, (c.returns & 15) as u32);
        let lpr = (last_r == 1) as usize + 2 * (last_r >= last_n) as usize + 4 * c.gps_change as usize;
        let changed = d.decode_symbol(c.changed_values[lpr].get(chunk));
        if changed & (1 << 6) != 0 {
            let diff = d.decode_symbol(c.scanner_channel.get(chunk)) as usize;
            let channel = (self.current + diff + 1) % 4;
            if self.xy[channel].unused {
                let from = &self.xy[self.current];
                let (x, y, returns) = (from.x, from.y, from.returns);
                self.xy[channel].start(x, y, returns);
                step.start_from = self.current as u8 + 1;
            }
            self.current = channel;
            step.item_context = channel as u8;
        }
        if self.v4 {
            step.item_context = self.current as u8;
        }
        step.channel = self.current as u8;
        step.changed = changed as u8 & 0x38;
        let c = &mut self.xy[self.current];
        let gps_changed = changed & (1 << 4) != 0;
        let (last_n, last_r) = ((c.returns >> 4) as u32, (c.returns & 15) as u32);
        let n = if changed & (1 << 2) != 0 {
            d.decode_symbol(c.number_of_returns[last_n as usize].get(chunk))
        } else {
            last_n
        };
        let r = match changed & 3 {
            0 => last_r,
            1 => (last_r + 1) % 16,
            2 => (last_r + 15) % 16,
            _ if gps_changed => d.decode_symbol(c.return_number[last_r as usize].get(chunk)),
            _ => (last_r + d.decode_symbol(c.return_number_gps_same.get(chunk)) + 2) % 16,
        };
        c.returns = ((n as u8) << 4) | (r as u8 & 15);
        c.gps_change = gps_changed;
        let (n, r) = (n as usize & 15, r as usize & 15);
        let m = RETURN_MAP_6[n][r] as usize;
        step.level = return_level(n, r);
        step.cpr = 2 * (r == 1) as u8 + (r >= n) as u8;
        let single = (n == 1) as u32;

        let idx = (m << 1) | gps_changed as usize;
        let diff = c.dx.decode(d, c.last_x_diff[idx].get(), single, chunk);
        c.x = c.x.wrapping_add(diff);
        c.last_x_diff[idx].add(diff);
        let kx = c.dx.k();
        let ctx_y = single + if kx < 20 { kx & !1 } else { 20 };
        let diff = c.dy.decode(d, c.last_y_diff[idx].get(), ctx_y, chunk);
        c.y = c.y.wrapping_add(diff);
        c.last_y_diff[idx].add(diff);
        let k = (c.dx.k() + c.dy.k()) / 2;
        step.ctx_z = (single + if k < 18 { k & !1 } else { 18 }) as u8;

        out[0..4].copy_from_slice(&c.x.to_le_bytes());
        out[4..8].copy_from_slice(&c.y.to_le_bytes());
        out[14] = c.returns;
        step
    }

    /// Decodes layers 2–9 of the point whose layer 1 gave `step` into `out` (the record).
    #[inline]
    pub fn next_rest(&mut self, l: &mut Layers<'_>, step: Step, out: &mut [u8]) {
        let chunk = self.chunk;
        let channel = step.channel as usize & 3;
        if step.start_from != 0 {
            let from = self.rest[(step.start_from as usize - 1) & 3].last;
            self.rest[channel].start(&from);
        }
        let c = &mut self.rest[channel];
        let cpr = step.cpr as u32;
        let gps_changed = step.changed & (1 << 4) != 0;
        if l.on[Z] {
            let level = step.level as usize & 7;
            c.last.z = c.z.decode(&mut l.d[Z], c.last_z[level], step.ctx_z as u32, chunk);
            c.last_z[level] = c.last.z;
        }
        if l.on[CLASS] {
            let ccc = (((c.last.class & 0x1F) as usize) << 1) + (cpr == 3) as usize;
            c.last.class = l.d[CLASS].decode_symbol(c.classification[ccc].get(chunk)) as u8;
        }
        if l.on[FLAGS] {
            let f = c.last.flags;
            let last_flags = (((f >> 7) & 1) << 5 | ((f >> 6) & 1) << 4 | (f & 15)) as usize;
            let s = l.d[FLAGS].decode_symbol(c.flags[last_flags].get(chunk)) as u8;
            c.last.flags = ((s >> 5) & 1) << 7 | ((s >> 4) & 1) << 6 | (s & 15);
        }
        if l.on[INTENSITY] {
            let i = ((cpr << 1) | gps_changed as u32) as usize;
            let v = c.intensity.decode(&mut l.d[INTENSITY], c.last_intensity[i] as i32, cpr, chunk) as u16;
            c.last.intensity = v;
            c.last_intensity[i] = v;
        }
        if l.on[SCAN_ANGLE] && step.changed & (1 << 3) != 0 {
            let v = c.scan_angle.decode(&mut l.d[SCAN_ANGLE], c.last.scan_angle as i32, gps_changed as u32, chunk);
            c.last.scan_angle = v as i16;
        }
        if l.on[USER_DATA] {
            let i = (c.last.user_data / 4) as usize;
            c.last.user_data = l.d[USER_DATA].decode_symbol(c.user_data[i].get(chunk)) as u8;
        }
        if l.on[SOURCE] && step.changed & (1 << 5) != 0 {
            c.last.source = c.source.decode(&mut l.d[SOURCE], c.last.source as i32, 0, chunk) as u16;
        }
        if l.on[GPS] && gps_changed {
            c.last.gps = c.gps.decode(&mut l.d[GPS], chunk).to_le_bytes();
        }
        let p = &c.last;
        out[8..12].copy_from_slice(&p.z.to_le_bytes());
        out[12..14].copy_from_slice(&p.intensity.to_le_bytes());
        // The flags byte carries the scanner channel, which is the point's context.
        out[15] = (p.flags & !0x30) | ((channel as u8) << 4);
        out[16] = p.class;
        out[17] = p.user_data;
        out[18..20].copy_from_slice(&p.scan_angle.to_le_bytes());
        out[20..22].copy_from_slice(&p.source.to_le_bytes());
        out[22..30].copy_from_slice(&p.gps);
    }
}
