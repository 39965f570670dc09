//! Decodes every chunk of a LAS 1.4 LAZ file on one thread with zwilling-laz and with the `laz`
//! crate (same layers, chosen with `ZW_LAYERS`), checks that the records agree byte for byte and
//! prints the time per point of each.
//!
//! `cargo run --release -p zwilling-laz --example decode_file -- FILE.laz [CHUNKS]`

use std::io::Cursor;
use std::time::Instant;

use laz::laszip::{ChunkTable, ChunkTableEntry};
use laz::{DecompressionSelection as D, LazVlr};
use zwilling_laz::{ChunkDecoder, Item, Selection};

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("read the file");
    let max_chunks: usize = args.get(2).map_or(usize::MAX, |s| s.parse().unwrap());
    let header_size = u16::from_le_bytes([bytes[94], bytes[95]]) as usize;
    let data_at = u32_at(&bytes, 96) as usize;
    let n_vlrs = u32_at(&bytes, 100) as usize;
    let total = u64::from_le_bytes(bytes[247..255].try_into().unwrap());
    let mut at = header_size;
    let mut vlr = None;
    for _ in 0..n_vlrs {
        let id = u16::from_le_bytes([bytes[at + 18], bytes[at + 19]]);
        let len = u16::from_le_bytes([bytes[at + 20], bytes[at + 21]]) as usize;
        if id == 22204 {
            vlr = Some(LazVlr::from_buffer(&bytes[at + 54..at + 54 + len]).unwrap());
        }
        at += 54 + len;
    }
    let vlr = vlr.expect("a laszip VLR");
    let mut cursor = Cursor::new(&bytes[..]);
    cursor.set_position(data_at as u64);
    let mut table: Vec<ChunkTableEntry> = ChunkTable::read_from(&mut cursor, &vlr).unwrap().as_ref().to_vec();
    let counted: u64 = table[..table.len() - 1].iter().map(|e| e.point_count).sum();
    table.last_mut().unwrap().point_count = total - counted;
    let items: Vec<Item> =
        vlr.items().iter().map(|i| Item::from_vlr(u16::from(i.item_type()), i.size(), i.version())).collect();
    // ZW_LAYERS: letters of the layers to decode besides X/Y: z (Z), c (class), i (intensity),
    // r (RGB), f (flags), s (scan angle), u (user data), p (point source), g (GPS time), n (NIR),
    // e (extra bytes); default "zcir", as `zwilling tiles` reads.
    let layers = std::env::var("ZW_LAYERS").unwrap_or_else(|_| "zcir".into());
    let has = |c: char| layers.contains(c);
    let sel = Selection {
        z: has('z'),
        classification: has('c'),
        flags: has('f'),
        intensity: has('i'),
        scan_angle: has('s'),
        user_data: has('u'),
        point_source: has('p'),
        gps_time: has('g'),
        rgb: has('r'),
        nir: has('n'),
        extra_bytes: has('e'),
    };
    let bits = [
        (sel.z, D::Z),
        (sel.classification, D::CLASSIFICATION),
        (sel.flags, D::FLAGS),
        (sel.intensity, D::INTENSITY),
        (sel.scan_angle, D::SCAN_ANGLE),
        (sel.user_data, D::USER_DATA),
        (sel.point_source, D::POINT_SOURCE_ID),
        (sel.gps_time, D::GPS_TIME),
        (sel.rgb, D::RGB),
        (sel.nir, D::NIR),
        (sel.extra_bytes, D::ALL_EXTRA_BYTES),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0, |b, (_, bit)| b | bit);
    let len = vlr.items_size() as usize;
    let mut dec = ChunkDecoder::new(&items, sel).unwrap();
    let (mut t_ours, mut t_laz, mut points) = (0.0, 0.0, 0u64);
    let mut pos = data_at + 8;
    let (mut a, mut b) = (vec![], vec![]);
    for e in table.iter().take(max_chunks) {
        let chunk = &bytes[pos..pos + e.byte_count as usize];
        pos += e.byte_count as usize;
        let n = e.point_count as usize;
        a.resize(n * len, 0);
        b.resize(n * len, 0);
        let t = Instant::now();
        dec.decode(chunk, n, &mut a).unwrap();
        t_ours += t.elapsed().as_secs_f64();
        let t = Instant::now();
        laz::laszip::parallel::par_decompress_selective(chunk, &mut b, &vlr, &[*e], D(bits)).unwrap();
        t_laz += t.elapsed().as_secs_f64();
        assert_eq!(a, b);
        points += n as u64;
    }
    let ns = |t: f64| t * 1e9 / points as f64;
    println!(
        "{points} points: zwilling-laz {:.1} ns/point, laz {:.1} ns/point, ratio {:.2}",
        ns(t_ours),
        ns(t_laz),
        t_laz / t_ours
    );
}
