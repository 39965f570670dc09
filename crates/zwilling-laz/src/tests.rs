//! Bit-for-bit agreement with the `laz` crate (an independent LASzip implementation): points
//! compressed by its encoder decode to the same record bytes, for every selection, both item
//! versions, and adversarial fields (channel switches, odd return numbers, huge jumps).

use super::*;
use laz::las::{Point6, Point7, Point8};
use laz::{DecompressionSelection as D, LasZipCompressor, LasZipDecompressor, LazItem, LazVlr};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Cursor;

/// `n` random LAS 1.4 records of `len` bytes (point core, then colour and NIR if room).
fn records(seed: u64, n: usize, len: usize, channels: u8) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = vec![0u8; n * len];
    let (mut x, mut y, mut z) = (1_000_000i32, -2_000_000i32, 5_000i32);
    let (mut ch, mut src, mut angle) = (0u8, 17u16, 0i16);
    // Interleaved GPS time sequences (as from two flight lines), regular pulse steps, jumps.
    let mut seqs = [1.0e8f64, 1.0e8 + 3600.0, 2.5e8];
    let (mut seq, mut gps) = (0usize, 1.0e8f64);
    let mut rgb = [30000u16, 20000, 10000];
    let (mut n_ret, mut r_ret) = (1u8, 1u8);
    for rec in out.chunks_exact_mut(len) {
        let big = rng.gen_bool(0.02);
        let step = if big { 1 << 24 } else { 300 };
        x = x.wrapping_add(rng.gen_range(-step..=step));
        y = y.wrapping_add(rng.gen_range(-step..=step));
        z = z.wrapping_add(rng.gen_range(-step / 3..=step / 3));
        if rng.gen_bool(0.05) {
            ch = rng.gen_range(0..channels);
        }
        if r_ret >= n_ret || rng.gen_bool(0.1) {
            n_ret = if rng.gen_bool(0.02) { rng.gen_range(0..16) } else { rng.gen_range(1..6) };
            r_ret = if rng.gen_bool(0.02) { rng.gen_range(0..16) } else { 1 };
            if rng.gen_bool(0.03) {
                seq = rng.gen_range(0..3);
            }
            seqs[seq] += match rng.gen_range(0..20) {
                0 => rng.gen_range(-5.0..5000.0),
                1 => 0.0,
                2..=5 => 1.0e-5 * rng.gen_range(2..600) as f64,
                _ => 1.0e-5,
            };
            gps = seqs[seq];
        } else {
            r_ret += 1;
        }
        if rng.gen_bool(0.01) {
            src = rng.gen();
        }
        if rng.gen_bool(0.1) {
            angle = rng.gen_range(-15000..15000);
        }
        rec[0..4].copy_from_slice(&x.to_le_bytes());
        rec[4..8].copy_from_slice(&y.to_le_bytes());
        rec[8..12].copy_from_slice(&z.to_le_bytes());
        let intensity: u16 = if rng.gen_bool(0.9) { rng.gen_range(100..400) } else { rng.gen() };
        rec[12..14].copy_from_slice(&intensity.to_le_bytes());
        rec[14] = (n_ret << 4) | (r_ret & 15);
        let flags = if rng.gen_bool(0.05) { rng.gen_range(0..16u8) } else { 0 };
        let dir = rng.gen_bool(0.5) as u8;
        rec[15] = flags | (ch << 4) | (dir << 6) | ((rng.gen_bool(0.01) as u8) << 7);
        rec[16] = [2u8, 2, 2, 5, 6, 6, 9, rng.gen()][rng.gen_range(0..8)];
        rec[17] = if rng.gen_bool(0.9) { 0 } else { rng.gen() };
        rec[18..20].copy_from_slice(&angle.to_le_bytes());
        rec[20..22].copy_from_slice(&src.to_le_bytes());
        rec[22..30].copy_from_slice(&gps.to_le_bytes());
        if len >= 36 {
            match rng.gen_range(0..10) {
                0 => rgb = [rng.gen(), rng.gen(), rng.gen()],
                1 => {
                    let g = rng.gen_range(0..256u16) * 257;
                    rgb = [g, g, g];
                }
                2..=6 => {
                    for c in &mut rgb {
                        *c = c.wrapping_add(rng.gen_range(0..600)).wrapping_sub(300);
                    }
                }
                _ => {}
            }
            for (k, c) in rgb.iter().enumerate() {
                rec[30 + 2 * k..32 + 2 * k].copy_from_slice(&c.to_le_bytes());
            }
        }
        for b in rec.iter_mut().skip(36) {
            *b = rng.gen_range(0..4);
        }
    }
    out
}

/// The compressed stream of one chunk and the `laz` VLR.
fn compress(items: Vec<LazItem>, recs: &[u8]) -> (Vec<u8>, LazVlr) {
    let vlr = LazVlr::from_laz_items(items);
    let mut c = LasZipCompressor::new(Cursor::new(Vec::new()), vlr.clone()).unwrap();
    c.compress_many(recs).unwrap();
    c.done().unwrap();
    (c.into_inner().into_inner(), vlr)
}

fn ours(items: &[LazItem]) -> Vec<Item> {
    items.iter().map(|i| Item::from_vlr(u16::from(i.item_type()), i.size(), i.version())).collect()
}

fn laz_bits(s: &Selection) -> u32 {
    let mut b = 0;
    for (on, bit) in [
        (s.z, D::Z),
        (s.classification, D::CLASSIFICATION),
        (s.flags, D::FLAGS),
        (s.intensity, D::INTENSITY),
        (s.scan_angle, D::SCAN_ANGLE),
        (s.user_data, D::USER_DATA),
        (s.point_source, D::POINT_SOURCE_ID),
        (s.gps_time, D::GPS_TIME),
        (s.rgb, D::RGB),
        (s.nir, D::NIR),
        (s.extra_bytes, D::ALL_EXTRA_BYTES),
    ] {
        if on {
            b |= bit;
        }
    }
    b
}

/// Decodes `recs` compressed with `items` both ways and compares every record.
fn agree(items: Vec<LazItem>, recs: &[u8], sel: Selection) {
    let len: usize = items.iter().map(|i| i.size() as usize).sum();
    let n = recs.len() / len;
    let (stream, vlr) = compress(items.clone(), recs);
    let table_at = i64::from_le_bytes(stream[..8].try_into().unwrap()) as usize;
    let chunk = &stream[8..table_at];
    let mut want = vec![0u8; recs.len()];
    let mut d = LasZipDecompressor::selective(Cursor::new(&stream), vlr, D(laz_bits(&sel))).unwrap();
    d.decompress_many(&mut want).unwrap();
    let mut got = vec![0u8; recs.len()];
    let mut dec = ChunkDecoder::new(&ours(&items), sel).unwrap();
    // Twice: the second run reuses the decoder (lazy model resets).
    for _ in 0..2 {
        got.fill(0xAA);
        dec.decode(chunk, n, &mut got).unwrap();
        for (i, (g, w)) in got.chunks_exact(len).zip(want.chunks_exact(len)).enumerate() {
            assert_eq!(g, w, "record {i} of {n}, selection {sel:?}");
        }
    }
    // Every selected field also matches the original points.
    if sel == ALL {
        for (i, (g, r)) in got.chunks_exact(len).zip(recs.chunks_exact(len)).enumerate() {
            assert_eq!(g, r, "record {i}");
        }
    }
}

const ALL: Selection = Selection {
    z: true,
    classification: true,
    flags: true,
    intensity: true,
    scan_angle: true,
    user_data: true,
    point_source: true,
    gps_time: true,
    rgb: true,
    nir: true,
    extra_bytes: true,
};

#[test]
fn point7_v3_all_fields_and_subsets() {
    let items = LazItemRecordBuilderShim::v3::<Point7>();
    let recs = records(1, 6000, 36, 1);
    agree(items.clone(), &recs, ALL);
    agree(
        items.clone(),
        &recs,
        Selection { z: true, classification: true, intensity: true, rgb: true, ..Default::default() },
    );
    agree(items, &recs, Selection::default());
}

#[test]
fn point7_v3_and_v4_with_four_scanner_channels() {
    let recs = records(2, 8000, 36, 4);
    agree(LazItemRecordBuilderShim::v3::<Point7>(), &recs, ALL);
    agree(LazItemRecordBuilderShim::v4::<Point7>(), &recs, ALL);
    agree(LazItemRecordBuilderShim::v4::<Point7>(), &recs, Selection { rgb: true, z: true, ..Default::default() });
}

#[test]
fn point6_and_point8_and_extra_bytes() {
    agree(LazItemRecordBuilderShim::v3::<Point6>(), &records(3, 5000, 30, 2), ALL);
    let items = laz::LazItemRecordBuilder::default_version_of::<Point8>(0);
    agree(items, &records(4, 5000, 38, 2), ALL);
    let items = laz::LazItemRecordBuilder::default_version_of::<Point7>(3);
    agree(items, &records(5, 3000, 39, 1), ALL);
}

#[test]
fn tiny_chunks() {
    for n in [1usize, 2, 3] {
        agree(LazItemRecordBuilderShim::v3::<Point7>(), &records(6, n, 36, 1), ALL);
    }
}

#[test]
fn truncated_chunk_is_an_error_not_a_panic() {
    let items = LazItemRecordBuilderShim::v3::<Point7>();
    let recs = records(7, 4000, 36, 2);
    let (stream, _) = compress(items.clone(), &recs);
    let table_at = i64::from_le_bytes(stream[..8].try_into().unwrap()) as usize;
    let chunk = &stream[8..table_at];
    let mut dec = ChunkDecoder::new(&ours(&items), ALL).unwrap();
    let mut out = vec![0u8; recs.len()];
    for cut in [10, 80, chunk.len() / 2, chunk.len() - 3] {
        assert!(matches!(dec.decode(&chunk[..cut], 4000, &mut out), Err(LazError::Damaged(_))), "cut {cut}");
    }
    // Flipped bytes inside the layers: wrong points maybe, but no panic.
    let mut bad = chunk.to_vec();
    for i in (200..bad.len()).step_by(97) {
        bad[i] ^= 0x5A;
    }
    let _ = dec.decode(&bad, 4000, &mut out);
}

#[test]
fn refuses_what_it_cannot_decode() {
    let waves = ours(&laz::LazItemRecordBuilder::default_version_of::<laz::las::Point9>(0));
    assert!(ChunkDecoder::new(&waves, ALL).is_err());
    let old = ours(&laz::LazItemRecordBuilder::default_version_of::<laz::las::Point3>(0));
    assert!(ChunkDecoder::new(&old, ALL).is_err());
}

/// Item lists of a given version.
struct LazItemRecordBuilderShim;

impl LazItemRecordBuilderShim {
    fn v3<P: laz::laszip::Version3>() -> Vec<LazItem> {
        laz::LazItemRecordBuilder::version_3_of::<P>(0)
    }
    fn v4<P: laz::laszip::Version4>() -> Vec<LazItem> {
        laz::LazItemRecordBuilder::version_4_of::<P>(0)
    }
}
