//! Windowed GeoTIFF reads against full reads and against the known cell values, for strip files
//! written by another encoder (the `tiff` crate: LZW, Deflate + predictor, PackBits, BigTIFF) and
//! for our tiled COGs, with windows inside, across blocks and at every edge; and proof that only
//! the intersecting blocks are read (a damaged tile outside the window does not matter).

use std::path::Path;

use tiff::encoder::{colortype, compression::DeflateLevel, Compression, TiffEncoder};
use tiff::tags::Predictor;
use zwilling_core::{GeoTransform, Grid};
use zwilling_io::raster::*;

const W: usize = 53;
const H: usize = 30;

/// Cell value naming its position: 100·row + col − 1000 (fits i16 and f32 exactly).
fn value(c: usize, r: usize) -> i16 {
    (100 * r + c) as i16 - 1000
}

/// Windows inside, spanning blocks, at each edge and corner, one cell, the whole image.
fn windows(w: usize, h: usize) -> Vec<(usize, usize, usize, usize)> {
    vec![
        (3, 2, 5, 4),
        (10, 5, 20, 15),
        (0, 0, 7, 3),
        (w - 6, 0, 6, 9),
        (0, h - 4, 11, 4),
        (w - 9, h - 8, 9, 8),
        (w - 1, h - 1, 1, 1),
        (0, 0, w, h),
    ]
}

fn check(p: &Path, what: &str) {
    let full = read_geotiff_f32(p).unwrap();
    assert_eq!((full.width, full.height), (W, H), "{what}");
    for (c0, r0, cols, rows) in windows(W, H) {
        let g = read_geotiff_window_f32(p, c0, r0, cols, rows).unwrap();
        let cut: Vec<f32> = (r0..r0 + rows).flat_map(|r| full.data[r * W + c0..r * W + c0 + cols].to_vec()).collect();
        assert_eq!(g.data, cut, "{what}: window {c0},{r0} {cols}×{rows} against the full read");
        let truth: Vec<f32> = (r0..r0 + rows).flat_map(|r| (c0..c0 + cols).map(move |c| value(c, r) as f32)).collect();
        assert_eq!(g.data, truth, "{what}: window {c0},{r0} against the cell values");
        assert_eq!(g.transform.cell_center(0, 0), full.transform.cell_center(c0, r0), "{what}");
        assert_eq!(g.nodata, full.nodata);
    }
}

#[test]
fn strip_windows_equal_the_cut_of_a_full_read() {
    let data: Vec<i16> = (0..W * H).map(|i| value(i % W, i / W)).collect();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (false, Compression::Lzw, Predictor::Horizontal),
        (false, Compression::Deflate(DeflateLevel::Fast), Predictor::Horizontal),
        (false, Compression::Packbits, Predictor::None),
        (true, Compression::Uncompressed, Predictor::None),
    ];
    for (i, (big, comp, pred)) in cases.into_iter().enumerate() {
        let p = dir.path().join(format!("s{i}.tif"));
        let f = std::fs::File::create(&p).unwrap();
        macro_rules! body {
            ($enc:expr) => {{
                let mut enc = $enc.with_compression(comp).with_predictor(pred);
                let mut img = enc.new_image::<colortype::GrayI16>(W as u32, H as u32).unwrap();
                img.rows_per_strip(7).unwrap(); // 5 strips, the last of 2 rows
                img.write_data(&data).unwrap();
            }};
        }
        if big {
            body!(TiffEncoder::new_big(f).unwrap())
        } else {
            body!(TiffEncoder::new(f).unwrap())
        }
        assert!(!read_geotiff_info(&p).unwrap().tiled);
        check(&p, &format!("strips case {i}"));
        match read_geotiff_window(&p, 4, 6, 3, 2).unwrap() {
            RasterData::I16(g) => {
                assert_eq!(g.data, vec![value(4, 6), value(5, 6), value(6, 6), value(4, 7), value(5, 7), value(6, 7)])
            }
            other => panic!("sample type {:?}", other.sample_type()),
        }
    }
}

#[test]
fn tiled_windows_equal_the_cut_and_skip_other_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = Grid::filled(W, H, GeoTransform::new(500.0, 800.0, 2.0), 0f32);
    for (i, v) in g.data.iter_mut().enumerate() {
        *v = value(i % W, i / W) as f32;
    }
    g.nodata = Some(-9999.0);
    let p = dir.path().join("t.tif");
    // 16 × 16 tiles: 4 × 2 tiles, partial at the right and bottom.
    write_cog(&p, &g, &CogOptions { tile_size: 16, overviews: false, ..Default::default() }).unwrap();
    assert!(read_geotiff_info(&p).unwrap().tiled);
    check(&p, "tiles");

    // Damage the last tile (bottom-right, written last): a full read fails naming a block, a
    // window in the first tile does not touch it.
    let mut dec = tiff::decoder::Decoder::new(std::fs::File::open(&p).unwrap()).unwrap();
    let offsets = dec.get_tag_u64_vec(tiff::tags::Tag::TileOffsets).unwrap();
    let counts = dec.get_tag_u64_vec(tiff::tags::Tag::TileByteCounts).unwrap();
    let last = offsets.len() - 1;
    let mut bytes = std::fs::read(&p).unwrap();
    for b in &mut bytes[offsets[last] as usize..(offsets[last] + counts[last]) as usize] {
        *b ^= 0xA5;
    }
    std::fs::write(&p, &bytes).unwrap();
    let e = read_geotiff_f32(&p).unwrap_err().to_string();
    assert!(e.contains("t.tif") && e.contains("block"), "{e}");
    let w = read_geotiff_window_f32(&p, 2, 3, 14, 13).unwrap();
    assert_eq!(w.data[0], value(2, 3) as f32);
    assert_eq!(w.data[13 * 14 - 1], value(15, 15) as f32);
    assert!(read_geotiff_window_f32(&p, 40, 20, 13, 10).unwrap_err().to_string().contains("t.tif"));
}

#[test]
fn bad_windows_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.tif");
    write_cog(&p, &Grid::filled(20, 10, GeoTransform::new(0.0, 0.0, 1.0), 1f32), &CogOptions::default()).unwrap();
    for (c0, r0, cols, rows) in [(0, 0, 21, 1), (15, 0, 6, 1), (0, 10, 1, 1), (0, 0, 5, 0), (0, usize::MAX, 1, 2)] {
        let e = read_geotiff_window_f32(&p, c0, r0, cols, rows).unwrap_err().to_string();
        assert!(e.contains("small.tif") && e.contains("20 × 10"), "{c0},{r0} {cols}×{rows}: {e}");
    }
    let missing = read_geotiff_window_f32(&dir.path().join("none.tif"), 0, 0, 1, 1).unwrap_err().to_string();
    assert!(missing.contains("none.tif"), "{missing}");
}
