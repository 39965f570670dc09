//! Point data records ⇄ [`PointBlock`] columns, parsed straight from the raw bytes.
//!
//! Record layouts from ASPRS LAS 1.4 R15, section 2.6 (formats 0–10). Formats 0–5 share a 20-byte
//! core: X, Y, Z as `i32` (real = int × scale + offset), intensity `u16`, a byte of return number
//! (bits 0–2), number of returns (3–5), scan direction (6), edge of flight line (7), a byte of
//! classification (bits 0–4) with synthetic/key-point/withheld flags (5–7), scan angle rank `i8`
//! in degrees, user data, point source id. Formats 6–10 have a 30-byte core: return number and
//! number of returns in 4 bits each, a flags byte (synthetic, key-point, withheld, overlap, 2-bit
//! scanner channel, scan direction, edge), a full classification byte, user data, scan angle `i16`
//! in 0.006° steps, point source id and GPS time. GPS time (`f64`), RGB (3 × `u16`), NIR (`u16`)
//! and the 29-byte wave packet follow at fixed offsets; extra bytes end the record.
//!
//! No per-point objects are built: each field is read at its fixed offset into its column.

use zwilling_core::points::flag;
use zwilling_core::{Error, PointBlock, PointLayout, Result};

/// Where each field of a point record format lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFormat {
    /// Point data format 0–10.
    pub format: u8,
    /// Record length in bytes, including extra bytes.
    pub len: usize,
    /// Length without extra bytes.
    pub base_len: usize,
    /// Optional columns present.
    pub layout: PointLayout,
    gps: Option<usize>,
    rgb: Option<usize>,
    nir: Option<usize>,
    wave: Option<usize>,
}

/// Record length of a point format without extra bytes (LAS 1.4 R15, tables 7–17).
pub fn base_record_len(format: u8) -> Option<usize> {
    Some(match format {
        0 => 20,
        1 => 28,
        2 => 26,
        3 => 34,
        4 => 57,
        5 => 63,
        6 => 30,
        7 => 36,
        8 => 38,
        9 => 59,
        10 => 67,
        _ => return None,
    })
}

impl RecordFormat {
    /// The layout of `format` with records of `record_len` bytes; errors when the length is
    /// shorter than the format needs.
    pub fn new(format: u8, record_len: usize) -> Result<Self> {
        let base_len =
            base_record_len(format).ok_or_else(|| Error::invalid(format!("unknown point data format {format}")))?;
        if record_len < base_len {
            return Err(Error::invalid(format!(
                "point record length {record_len} is shorter than point format {format} needs ({base_len})"
            )));
        }
        let layout = PointLayout::for_format(format, record_len - base_len)
            .ok_or_else(|| Error::invalid(format!("unknown point data format {format}")))?;
        let (gps, rgb, nir, wave) = match format {
            0 => (None, None, None, None),
            1 => (Some(20), None, None, None),
            2 => (None, Some(20), None, None),
            3 => (Some(20), Some(28), None, None),
            4 => (Some(20), None, None, Some(28)),
            5 => (Some(20), Some(28), None, Some(34)),
            6 => (Some(22), None, None, None),
            7 => (Some(22), Some(30), None, None),
            8 => (Some(22), Some(30), Some(36), None),
            9 => (Some(22), None, None, Some(30)),
            _ => (Some(22), Some(30), Some(36), Some(38)),
        };
        Ok(RecordFormat { format, len: record_len, base_len, layout, gps, rgb, nir, wave })
    }

    /// True for the 1.4 formats 6–10.
    pub fn is_extended(&self) -> bool {
        self.format >= 6
    }
}

#[inline(always)]
fn i32_at(r: &[u8], o: usize) -> i32 {
    i32::from_le_bytes([r[o], r[o + 1], r[o + 2], r[o + 3]])
}
#[inline(always)]
fn u16_at(r: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([r[o], r[o + 1]])
}

/// Records parsed per pass: a tile of records stays in the L1/L2 cache while every column is
/// taken from it.
const TILE: usize = 512;

/// Appends every record of `raw` (a whole number of records) to `out`. `decoded` holds the
/// `laz::DecompressionSelection` bits of the fields the caller wants: the columns of the other
/// fields are set to zero (not parsed), whatever the decoder left in the records — so a skipped
/// field reads as zero in every file, and the needed ones are exact (flags: the scanner channel,
/// decoded with the coordinates, is kept). Coordinates, returns and RGB are always parsed.
///
/// Tile by tile, column by column: each column is one pass over a cache-sized tile of records with
/// an exact-size iterator, so the loops have no per-point branches or capacity checks.
pub fn parse_records(
    raw: &[u8],
    f: &RecordFormat,
    scale: &[f64; 3],
    offset: &[f64; 3],
    decoded: u32,
    out: &mut PointBlock,
) {
    let n = raw.len() / f.len;
    reserve(out, n);
    for tile in raw[..n * f.len].chunks(TILE * f.len) {
        parse_tile(tile, f, scale, offset, decoded, out);
    }
}

/// The `n` new, defaulted elements at the end of `v`, to be overwritten.
#[inline(always)]
fn grow<T: Copy + Default>(v: &mut Vec<T>, n: usize) -> &mut [T] {
    let old = v.len();
    v.resize(old + n, T::default());
    &mut v[old..]
}

/// The core columns of a tile, as [`parse_tile`] grew them.
struct CoreColumns<'a> {
    x: &'a mut [f64],
    y: &'a mut [f64],
    z: &'a mut [f64],
    intensity: &'a mut [u16],
    return_number: &'a mut [u8],
    number_of_returns: &'a mut [u8],
    flags: &'a mut [u8],
    classification: &'a mut [u8],
    user_data: &'a mut [u8],
    scan_angle: &'a mut [f32],
    point_source_id: &'a mut [u16],
}

/// The core of every record in one pass, one record at a time into all core columns: point
/// formats 6–10 (`EXTENDED`, 22 core bytes) or 0–5 (20). Without `FULL` (a reader that skips user
/// data, scan angle and point source ID: a tiler, a viewer) the loop leaves those three columns
/// as they are (zero).
#[inline(always)]
fn parse_core<const EXTENDED: bool, const FULL: bool>(
    recs: std::slice::ChunksExact<'_, u8>,
    c: &mut CoreColumns,
    xyz: &impl Fn(&[u8], usize) -> f64,
) {
    for (k, r) in recs.enumerate() {
        if EXTENDED {
            let r: &[u8; 22] = r[..22].try_into().unwrap_or(&[0; 22]);
            (c.x[k], c.y[k], c.z[k]) = (xyz(r, 0), xyz(r, 1), xyz(r, 2));
            c.intensity[k] = u16_at(r, 12);
            c.return_number[k] = r[14] & 0x0F;
            c.number_of_returns[k] = r[14] >> 4;
            c.flags[k] = extended_flags(r[15]);
            c.classification[k] = r[16];
            if FULL {
                c.user_data[k] = r[17];
                c.scan_angle[k] = i16::from_le_bytes([r[18], r[19]]) as f32 * 0.006;
                c.point_source_id[k] = u16_at(r, 20);
            }
        } else {
            let r: &[u8; 20] = r[..20].try_into().unwrap_or(&[0; 20]);
            (c.x[k], c.y[k], c.z[k]) = (xyz(r, 0), xyz(r, 1), xyz(r, 2));
            c.intensity[k] = u16_at(r, 12);
            c.return_number[k] = r[14] & 0x07;
            c.number_of_returns[k] = (r[14] >> 3) & 0x07;
            c.flags[k] = legacy_flags(r[14], r[15]);
            c.classification[k] = r[15] & 0x1F;
            if FULL {
                c.scan_angle[k] = r[16] as i8 as f32;
                c.user_data[k] = r[17];
                c.point_source_id[k] = u16_at(r, 18);
            }
        }
    }
}

/// One tile: the 20/30-byte core of every record in one pass (one record at a time into all core
/// columns), then one pass per optional column.
fn parse_tile(raw: &[u8], f: &RecordFormat, scale: &[f64; 3], offset: &[f64; 3], decoded: u32, out: &mut PointBlock) {
    use laz::DecompressionSelection as D;
    let skipped = |bit: u32| decoded & bit == 0;
    let recs = raw.chunks_exact(f.len);
    let n = recs.len();
    let (x, y, z) = (grow(&mut out.x, n), grow(&mut out.y, n), grow(&mut out.z, n));
    let intensity = grow(&mut out.intensity, n);
    let return_number = grow(&mut out.return_number, n);
    let number_of_returns = grow(&mut out.number_of_returns, n);
    let flags = grow(&mut out.flags, n);
    let classification = grow(&mut out.classification, n);
    let user_data = grow(&mut out.user_data, n);
    let scan_angle = grow(&mut out.scan_angle, n);
    let point_source_id = grow(&mut out.point_source_id, n);
    let xyz = |r: &[u8], k: usize| i32_at(r, 4 * k) as f64 * scale[k] + offset[k];
    // A reader that skips user data, scan angle and point source ID (a tiler, a viewer) gets a
    // core loop without them: their columns stay as `grow` left them, zero.
    let lean = skipped(D::USER_DATA) && skipped(D::SCAN_ANGLE) && skipped(D::POINT_SOURCE_ID);
    let mut c = CoreColumns {
        x,
        y,
        z,
        intensity,
        return_number,
        number_of_returns,
        flags,
        classification,
        user_data,
        scan_angle,
        point_source_id,
    };
    match (f.is_extended(), lean) {
        (true, true) => parse_core::<true, false>(recs.clone(), &mut c, &xyz),
        (true, false) => parse_core::<true, true>(recs.clone(), &mut c, &xyz),
        (false, true) => parse_core::<false, false>(recs.clone(), &mut c, &xyz),
        (false, false) => parse_core::<false, true>(recs.clone(), &mut c, &xyz),
    }
    let CoreColumns { intensity, flags, classification, user_data, scan_angle, point_source_id, .. } = c;
    if skipped(D::INTENSITY) {
        intensity.fill(0);
    }
    if skipped(D::CLASSIFICATION) {
        classification.fill(0);
    }
    if skipped(D::FLAGS) {
        let channel = 0x03 << flag::SCANNER_CHANNEL_SHIFT;
        flags.iter_mut().for_each(|b| *b &= channel);
    }
    if skipped(D::USER_DATA) && !lean {
        user_data.fill(0);
    }
    if skipped(D::SCAN_ANGLE) && !lean {
        scan_angle.fill(0.0);
    }
    if skipped(D::POINT_SOURCE_ID) && !lean {
        point_source_id.fill(0);
    }
    match f.gps {
        Some(_) if skipped(D::GPS_TIME) => out.gps_time.resize(out.gps_time.len() + n, 0.0),
        Some(o) => {
            out.gps_time.extend(recs.clone().map(|r| f64::from_le_bytes(r[o..o + 8].try_into().unwrap_or_default())))
        }
        None => {}
    }
    if let Some(o) = f.rgb {
        out.rgb.extend(recs.clone().map(|r| [u16_at(r, o), u16_at(r, o + 2), u16_at(r, o + 4)]));
    }
    match f.nir {
        Some(_) if skipped(D::NIR) => out.nir.resize(out.nir.len() + n, 0),
        Some(o) => out.nir.extend(recs.clone().map(|r| u16_at(r, o))),
        None => {}
    }
    match f.wave {
        Some(_) if skipped(D::WAVEPACKET) => out.waveform.resize(out.waveform.len() + n, [0; 29]),
        Some(o) => out.waveform.extend(recs.clone().map(|r| r[o..o + 29].try_into().unwrap_or([0; 29]))),
        None => {}
    }
    if f.layout.extra_bytes > 0 {
        if skipped(D::ALL_EXTRA_BYTES) {
            out.extra.resize(out.extra.len() + n * f.layout.extra_bytes, 0);
        } else {
            for r in recs {
                out.extra.extend_from_slice(&r[f.base_len..]);
            }
        }
    }
}

/// [`flag`] bits from the flags byte of formats 6–10: synthetic, key-point, withheld, overlap
/// (bits 0–3, the same bits as `flag`), scanner channel (4–5), scan direction (6), edge (7).
#[inline(always)]
fn extended_flags(b: u8) -> u8 {
    let mut fl = b & 0x0F;
    fl |= ((b >> 4) & 0x03) << flag::SCANNER_CHANNEL_SHIFT;
    if b & 0x40 != 0 {
        fl |= flag::SCAN_DIRECTION;
    }
    if b & 0x80 != 0 {
        fl |= flag::EDGE_OF_FLIGHT_LINE;
    }
    fl
}

/// [`flag`] bits of formats 0–5: scan direction and edge from the return byte (bits 6, 7),
/// synthetic, key-point and withheld from the classification byte (bits 5–7).
#[inline(always)]
fn legacy_flags(returns: u8, class: u8) -> u8 {
    let mut fl = (class >> 5) & 0x07;
    if returns & 0x40 != 0 {
        fl |= flag::SCAN_DIRECTION;
    }
    if returns & 0x80 != 0 {
        fl |= flag::EDGE_OF_FLIGHT_LINE;
    }
    fl
}

fn reserve(out: &mut PointBlock, n: usize) {
    out.x.reserve(n);
    out.y.reserve(n);
    out.z.reserve(n);
    out.intensity.reserve(n);
    out.return_number.reserve(n);
    out.number_of_returns.reserve(n);
    out.classification.reserve(n);
    out.flags.reserve(n);
    out.scan_angle.reserve(n);
    out.user_data.reserve(n);
    out.point_source_id.reserve(n);
    let l = out.layout;
    out.gps_time.reserve(if l.gps_time { n } else { 0 });
    out.rgb.reserve(if l.rgb { n } else { 0 });
    out.nir.reserve(if l.nir { n } else { 0 });
    out.waveform.reserve(if l.waveform { n } else { 0 });
    out.extra.reserve(n * l.extra_bytes);
}

/// Checks that a block carries every column the record format needs.
pub fn check_block(block: &PointBlock, f: &RecordFormat) -> Result<()> {
    if !block.is_consistent() {
        return Err(Error::invalid("point block columns have different lengths"));
    }
    let need = f.layout;
    let have = block.layout;
    let missing: Vec<&str> = [
        (need.gps_time && !have.gps_time, "GPS time"),
        (need.rgb && !have.rgb, "RGB"),
        (need.nir && !have.nir, "NIR"),
        (need.waveform && !have.waveform, "waveform"),
    ]
    .iter()
    .filter(|(m, _)| *m)
    .map(|(_, s)| *s)
    .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!(
            "point format {} needs {} but the points have none",
            f.format,
            missing.join(", ")
        )));
    }
    if have.extra_bytes != need.extra_bytes {
        return Err(Error::invalid(format!(
            "the writer expects {} extra bytes per point, the points have {}",
            need.extra_bytes, have.extra_bytes
        )));
    }
    Ok(())
}

/// The integer a coordinate is stored as: `round((v − offset) / scale)`, or an error when it does
/// not fit in an `i32`.
#[inline(always)]
pub fn quantize(v: f64, scale: f64, offset: f64, axis: char) -> Result<i32> {
    let q = ((v - offset) / scale).round();
    if q.is_finite() && q >= i32::MIN as f64 && q <= i32::MAX as f64 {
        Ok(q as i32)
    } else {
        Err(Error::invalid(format!(
            "{axis} = {v} cannot be stored with scale {scale} and offset {offset} (outside the 32-bit range); \
             choose an offset near the data"
        )))
    }
}

/// Appends the records of points `range` of `block` to `out`. Returns the quantized coordinates'
/// bounds (as integers) and the count per return number (index 0 = return 1).
pub fn encode_records(
    block: &PointBlock,
    range: std::ops::Range<usize>,
    f: &RecordFormat,
    scale: &[f64; 3],
    offset: &[f64; 3],
    out: &mut Vec<u8>,
    stats: &mut EncodeStats,
) -> Result<()> {
    let ext = f.is_extended();
    let eb = f.layout.extra_bytes;
    out.reserve(range.len() * f.len);
    for i in range {
        let start = out.len();
        out.resize(start + f.len, 0);
        let r = &mut out[start..];
        let q = [
            quantize(block.x[i], scale[0], offset[0], 'x')?,
            quantize(block.y[i], scale[1], offset[1], 'y')?,
            quantize(block.z[i], scale[2], offset[2], 'z')?,
        ];
        stats.add(q, block.return_number[i]);
        r[0..4].copy_from_slice(&q[0].to_le_bytes());
        r[4..8].copy_from_slice(&q[1].to_le_bytes());
        r[8..12].copy_from_slice(&q[2].to_le_bytes());
        r[12..14].copy_from_slice(&block.intensity[i].to_le_bytes());
        let fl = block.flags[i];
        let dir_edge = (if fl & flag::SCAN_DIRECTION != 0 { 0x40 } else { 0 })
            | (if fl & flag::EDGE_OF_FLIGHT_LINE != 0 { 0x80 } else { 0 });
        let rn = block.return_number[i];
        let nr = block.number_of_returns[i];
        let class = block.classification[i];
        if ext {
            if rn > 15 || nr > 15 {
                return Err(Error::invalid(format!("return number {rn} of {nr} does not fit in 4 bits")));
            }
            r[14] = rn | (nr << 4);
            r[15] = (fl & 0x0F) | (((fl >> flag::SCANNER_CHANNEL_SHIFT) & 0x03) << 4) | dir_edge;
            r[16] = class;
            r[17] = block.user_data[i];
            let a = (block.scan_angle[i] / 0.006).round().clamp(-30000.0, 30000.0) as i16;
            r[18..20].copy_from_slice(&a.to_le_bytes());
            r[20..22].copy_from_slice(&block.point_source_id[i].to_le_bytes());
        } else {
            if rn > 7 || nr > 7 {
                return Err(Error::invalid(format!(
                    "return number {rn} of {nr} does not fit in point format {} (3 bits); use format 6 or higher",
                    f.format
                )));
            }
            if class > 31 {
                return Err(Error::invalid(format!(
                    "classification {class} does not fit in point format {} (0-31); use format 6 or higher",
                    f.format
                )));
            }
            r[14] = rn | (nr << 3) | dir_edge;
            r[15] = class | ((fl & 0x07) << 5);
            r[16] = block.scan_angle[i].round().clamp(-128.0, 127.0) as i8 as u8;
            r[17] = block.user_data[i];
            r[18..20].copy_from_slice(&block.point_source_id[i].to_le_bytes());
        }
        if let Some(o) = f.gps {
            r[o..o + 8].copy_from_slice(&block.gps_time[i].to_le_bytes());
        }
        if let Some(o) = f.rgb {
            for (k, c) in block.rgb[i].iter().enumerate() {
                r[o + 2 * k..o + 2 * k + 2].copy_from_slice(&c.to_le_bytes());
            }
        }
        if let Some(o) = f.nir {
            r[o..o + 2].copy_from_slice(&block.nir[i].to_le_bytes());
        }
        if let Some(o) = f.wave {
            r[o..o + 29].copy_from_slice(&block.waveform[i]);
        }
        if eb > 0 {
            r[f.base_len..].copy_from_slice(&block.extra[i * eb..(i + 1) * eb]);
        }
    }
    Ok(())
}

/// Running statistics of written records, for the header.
#[derive(Debug, Clone)]
pub struct EncodeStats {
    /// Points written.
    pub count: u64,
    /// Points per return number 1–15.
    pub by_return: [u64; 15],
    /// Minimum stored integer coordinates.
    pub min: [i32; 3],
    /// Maximum stored integer coordinates.
    pub max: [i32; 3],
}

impl Default for EncodeStats {
    fn default() -> Self {
        EncodeStats { count: 0, by_return: [0; 15], min: [i32::MAX; 3], max: [i32::MIN; 3] }
    }
}

impl EncodeStats {
    #[inline(always)]
    fn add(&mut self, q: [i32; 3], return_number: u8) {
        self.count += 1;
        if (1..=15).contains(&return_number) {
            self.by_return[return_number as usize - 1] += 1;
        }
        for (k, v) in q.into_iter().enumerate() {
            self.min[k] = self.min[k].min(v);
            self.max[k] = self.max[k].max(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format-0 record written by hand from the table in LAS 1.4 R15 (table 7).
    #[test]
    fn parses_a_hand_made_format0_record() {
        let mut r = vec![0u8; 20];
        r[0..4].copy_from_slice(&1234i32.to_le_bytes());
        r[4..8].copy_from_slice(&(-5i32).to_le_bytes());
        r[8..12].copy_from_slice(&700i32.to_le_bytes());
        r[12..14].copy_from_slice(&300u16.to_le_bytes());
        r[14] = 2 | (3 << 3) | 0x80; // return 2 of 3, edge of flight line
        r[15] = 2 | 0x20; // ground, synthetic
        r[16] = (-12i8) as u8;
        r[17] = 9;
        r[18..20].copy_from_slice(&77u16.to_le_bytes());
        let f = RecordFormat::new(0, 20).unwrap();
        let mut b = PointBlock::with_capacity(f.layout, 1);
        parse_records(&r, &f, &[0.01, 0.01, 0.1], &[100.0, 200.0, 0.0], laz::DecompressionSelection::ALL, &mut b);
        assert!((b.x[0] - 112.34).abs() < 1e-9 && (b.y[0] - 199.95).abs() < 1e-9 && (b.z[0] - 70.0).abs() < 1e-9);
        assert_eq!((b.intensity[0], b.return_number[0], b.number_of_returns[0]), (300, 2, 3));
        assert_eq!(b.classification[0], 2);
        assert_eq!(b.flags[0], flag::SYNTHETIC | flag::EDGE_OF_FLIGHT_LINE);
        assert_eq!((b.scan_angle[0], b.user_data[0], b.point_source_id[0]), (-12.0, 9, 77));
        let mut back = Vec::new();
        encode_records(&b, 0..1, &f, &[0.01, 0.01, 0.1], &[100.0, 200.0, 0.0], &mut back, &mut EncodeStats::default())
            .unwrap();
        assert_eq!(back, r);
    }

    /// Skipping user data, scan angle and point source ID (the lean core loop) gives exactly the
    /// full parse with those three columns zero, for a legacy and an extended format, over more
    /// than one tile of records.
    #[test]
    fn lean_parse_equals_the_full_parse_minus_the_skipped_columns() {
        use laz::DecompressionSelection as D;
        for (format, len) in [(1u8, 28usize), (7, 36)] {
            let f = RecordFormat::new(format, len).unwrap();
            let n = 3 * TILE / 2 + 7;
            let mut s = 0x9E37_79B9_7F4A_7C15u64;
            let raw: Vec<u8> = (0..n * len)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (s >> 56) as u8
                })
                .collect();
            let (scale, offset) = ([0.001, 0.002, 0.01], [5e5, 5.7e6, 0.0]);
            let mut full = PointBlock::with_capacity(f.layout, n);
            parse_records(&raw, &f, &scale, &offset, D::ALL, &mut full);
            let lean_bits = D::ALL & !(D::USER_DATA | D::SCAN_ANGLE | D::POINT_SOURCE_ID);
            let mut lean = PointBlock::with_capacity(f.layout, n);
            parse_records(&raw, &f, &scale, &offset, lean_bits, &mut lean);
            assert!(full.user_data.iter().any(|&u| u != 0) && full.point_source_id.iter().any(|&p| p != 0));
            full.user_data.fill(0);
            full.scan_angle.fill(0.0);
            full.point_source_id.fill(0);
            // Random GPS-time bytes may be NaN: compare them as bits.
            let bits = |b: &PointBlock| b.gps_time.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&lean), bits(&full));
            (lean.gps_time, full.gps_time) = (vec![], vec![]);
            assert!(lean == full, "format {format}");
        }
    }

    #[test]
    fn refuses_too_short_records_and_big_classes() {
        assert!(RecordFormat::new(3, 33).is_err());
        let f = RecordFormat::new(1, 28).unwrap();
        let mut b = PointBlock::with_capacity(f.layout, 1);
        b.push_xyz(0.0, 0.0, 0.0, 40);
        let e = encode_records(&b, 0..1, &f, &[1.0; 3], &[0.0; 3], &mut Vec::new(), &mut EncodeStats::default());
        assert!(e.unwrap_err().to_string().contains("classification 40"));
        assert!(quantize(3e9, 0.001, 0.0, 'x').is_err());
    }
}
