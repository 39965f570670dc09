//! COG writer ↔ GeoTIFF reader round trips, checked against an independent decoder (the `tiff`
//! crate) and analytic overview values; reader paths for strips, LZW, PackBits, BigTIFF written
//! by the `tiff` crate's encoder; determinism, atomicity and clear errors.

use std::path::Path;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::encoder::{colortype, compression::DeflateLevel, Compression, TiffEncoder};
use tiff::tags::{Predictor, Tag};
use zwilling_core::{CrsInfo, GeoTransform, Grid};
use zwilling_io::raster::*;

/// 700 × 600 cells: two tile columns and rows with partial edge tiles and one overview level.
const W: usize = 700;
const H: usize = 600;

fn grid<T: Sample>(f: impl Fn(usize, usize) -> T, nodata: Option<f64>) -> Grid<T> {
    let mut g = Grid::filled(W, H, GeoTransform::new(350_000.25, 5_700_100.5, 0.5), T::default());
    for r in 0..H {
        for c in 0..W {
            g.data[r * W + c] = f(c, r);
        }
    }
    g.crs = CrsInfo::compound(25832, 7837);
    g.nodata = nodata;
    g
}

/// Decodes the first image with the `tiff` crate (independent of our reader).
fn tiff_crate_decode(path: &Path) -> DecodingResult {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    Decoder::new(f).unwrap().with_limits(Limits::unlimited()).read_image().unwrap()
}

fn round_trip<T: Sample>(name: &str, g: &Grid<T>, predictor: u16) -> Vec<T> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    write_cog(&p, g, &CogOptions::default()).unwrap();
    let info = read_geotiff_info(&p).unwrap();
    assert_eq!((info.width, info.height, info.bands, info.sample_type), (W, H, 1, T::TYPE));
    assert!(info.tiled && info.cog_layout && !info.bigtiff);
    assert_eq!((info.block_size, info.compression, info.predictor), ((512, 512), 8, predictor));
    assert_eq!(info.overviews, vec![(350, 300)]);
    assert_eq!(info.transform, g.transform);
    assert_eq!(info.crs, CrsInfo::compound(25832, 7837));
    assert_eq!(info.model_type, Some(1));
    assert_eq!(info.nodata, g.nodata);
    let back = read_geotiff(&p).unwrap();
    assert_eq!(back.sample_type(), T::TYPE);
    let back_f64 = back.to_f64();
    assert_eq!(back_f64.data, g.data.iter().map(|v| v.to_f64()).collect::<Vec<_>>(), "{name}");
    assert_eq!((back_f64.transform, &back_f64.crs, back_f64.nodata), (g.transform, &g.crs, g.nodata));
    // The tiff crate decodes the same samples.
    let bits: Vec<u64> = match tiff_crate_decode(&p) {
        DecodingResult::U8(v) => v.into_iter().map(|x| x as u64).collect(),
        DecodingResult::U16(v) => v.into_iter().map(|x| x as u64).collect(),
        DecodingResult::I16(v) => v.into_iter().map(|x| x as u16 as u64).collect(),
        DecodingResult::I32(v) => v.into_iter().map(|x| x as u32 as u64).collect(),
        DecodingResult::F32(v) => v.into_iter().map(|x| x.to_bits() as u64).collect(),
        DecodingResult::F64(v) => v.into_iter().map(|x| x.to_bits()).collect(),
        _ => panic!("unexpected type"),
    };
    let ours: Vec<u64> = g
        .data
        .iter()
        .map(|v| {
            let mut b = Vec::new();
            v.put_le(&mut b);
            b.resize(8, 0);
            u64::from_le_bytes(b.try_into().unwrap())
        })
        .collect();
    assert_eq!(bits, ours, "{name}: tiff crate disagrees");
    match read_geotiff_overview(&p, 0).unwrap().remove(0) {
        RasterData::F64(o) => o.data,
        other => other.to_f64().data,
    }
    .into_iter()
    .map(T::from_f64)
    .collect()
}

#[test]
fn every_sample_type_round_trips() {
    round_trip("u8.tif", &grid(|c, r| ((c * 7 + r * 3) % 256) as u8, Some(255.0)), 2);
    round_trip("u16.tif", &grid(|c, r| (c * 90 + r) as u16, None), 2);
    round_trip("i16.tif", &grid(|c, r| (c as i16) - (r as i16) * 3, Some(-32768.0)), 2);
    round_trip("i32.tif", &grid(|c, r| (c * r) as i32 - 100_000, Some(-9999.0)), 2);
    let f32g =
        grid(|c, r| if (c + r) % 97 == 0 { -9999.0 } else { (c as f32 * 0.37).sin() * 40.0 + r as f32 }, Some(-9999.0));
    round_trip("f32.tif", &f32g, 3);
    let nan = grid(|c, r| if c == r { f32::NAN } else { c as f32 }, Some(f64::NAN));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nan.tif");
    write_cog(&p, &nan, &CogOptions::default()).unwrap();
    let back = read_geotiff_f32(&p).unwrap();
    assert!(back.nodata.unwrap().is_nan());
    assert!(back.data.iter().zip(&nan.data).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn average_overview_of_a_plane_is_the_plane_at_the_overview_cell_centre() {
    // The mean of a 2 × 2 block of a linear function equals its value at the block centre, which
    // is the overview cell centre: an analytic truth for the AVERAGE overview.
    let plane = |x: f64, y: f64| 0.25 * (x - 350_000.0) - 0.5 * (y - 5_700_000.0) + 100.0;
    let mut g = grid(|_, _| 0.0f64, None);
    for r in 0..H {
        for c in 0..W {
            let (x, y) = g.transform.cell_center(c, r);
            g.data[r * W + c] = plane(x, y);
        }
    }
    let ov = round_trip("plane.tif", &g, 3);
    let t = GeoTransform { cell_x: 1.0, cell_y: 1.0, ..g.transform };
    for (i, v) in ov.iter().enumerate() {
        let (x, y) = t.cell_center(i % 350, i / 350);
        assert!((v - plane(x, y)).abs() < 1e-9, "overview cell {i}: {v} vs {}", plane(x, y));
    }
}

#[test]
fn nodata_is_skipped_by_average_and_nearest_keeps_classes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cls.tif");
    // Classes 1..4 in 2 × 2 blocks except one NoData cell per block: nearest must return a class.
    let g = grid(|c, r| if c % 2 == 0 && r % 2 == 0 { 0u8 } else { ((c / 2 + r / 2) % 4 + 1) as u8 }, Some(0.0));
    let opts = CogOptions { resampling: Resampling::Nearest, ..Default::default() };
    write_cog(&p, &g, &opts).unwrap();
    let o = read_geotiff_overview(&p, 0).unwrap().remove(0).to_f64();
    assert!(o.data.iter().enumerate().all(|(i, &v)| v == (((i % 350) + (i / 350)) % 4 + 1) as f64));
    write_cog(&p, &g, &CogOptions::default()).unwrap();
    let o = read_geotiff_overview(&p, 0).unwrap().remove(0).to_f64();
    // Average of the three valid equal cells is that class: NoData (0) does not pull it down.
    assert!(o.data.iter().enumerate().all(|(i, &v)| v == (((i % 350) + (i / 350)) % 4 + 1) as f64));
}

#[test]
fn rgb_bands_and_forced_bigtiff() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rgb.tif");
    let bands: Vec<Grid<u8>> = (0..3).map(|b| grid(move |c, r| ((c + 2 * r + 50 * b) % 251) as u8, None)).collect();
    write_cog_bands(&p, &bands, &CogOptions { bigtiff: BigTiff::Always, ..Default::default() }).unwrap();
    let info = read_geotiff_info(&p).unwrap();
    assert!(info.bigtiff && info.cog_layout);
    assert_eq!((info.bands, info.overviews.len()), (3, 1));
    let back = read_geotiff_bands(&p).unwrap();
    for (b, band) in back.iter().enumerate() {
        assert_eq!(band, &RasterData::U8(bands[b].clone()));
    }
    // The tiff crate reads BigTIFF + RGB interleaved the same.
    match tiff_crate_decode(&p) {
        DecodingResult::U8(v) => {
            assert_eq!(v.len(), W * H * 3);
            assert!((0..W * H).all(|i| (0..3).all(|b| v[i * 3 + b] == bands[b].data[i])));
        }
        _ => panic!("expected u8"),
    }
    assert!(read_geotiff(&p).unwrap_err().to_string().contains("3 bands"));
}

#[test]
fn output_bytes_do_not_depend_on_thread_count() {
    let g = grid(|c, r| ((c * c + r) % 1000) as f32 * 0.01, Some(-1.0));
    let dir = tempfile::tempdir().unwrap();
    let write_with = |threads: usize, name: &str| {
        let p = dir.path().join(name);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| write_cog(&p, &g, &CogOptions::default())).unwrap();
        std::fs::read(p).unwrap()
    };
    assert_eq!(write_with(1, "a.tif"), write_with(3, "b.tif"));
}

#[test]
fn small_raster_has_no_overviews_and_metadata_survives() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.tif");
    let mut g = Grid::filled(5, 3, GeoTransform::new(-97.5, 32.8, 0.001), 7i16);
    g.crs = CrsInfo::from_epsg(4326);
    let opts = CogOptions { metadata: vec![("PRODUCT".into(), "dtm <0.5 m>".into())], ..Default::default() };
    write_cog(&p, &g, &opts).unwrap();
    let info = read_geotiff_info(&p).unwrap();
    assert!(info.overviews.is_empty());
    assert_eq!((info.model_type, info.crs.epsg), (Some(2), Some(4326)));
    assert_eq!(info.metadata, vec![("PRODUCT".to_string(), "dtm <0.5 m>".to_string())]);
    assert_eq!(read_geotiff(&p).unwrap(), RasterData::I16(g));
}

#[test]
fn write_errors_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("missing-dir/out.tif");
    let g = grid(|_, _| 1u8, None);
    let e = write_cog(&p, &g, &CogOptions::default()).unwrap_err().to_string();
    assert!(e.contains("out.tif"), "{e}");
    let p = dir.path().join("bad.tif");
    let mut bad = g.clone();
    bad.data.pop();
    assert!(write_cog(&p, &bad, &CogOptions::default()).is_err());
    assert!(write_cog(&p, &g, &CogOptions { tile_size: 100, ..Default::default() }).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn corrupt_files_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.tif");
    write_cog(&p, &grid(|c, r| (c + r) as f32, None), &CogOptions::default()).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_geotiff(&p).unwrap_err().to_string();
    assert!(e.contains("cut.tif") && e.contains("beyond the end"), "{e}");
    // Flip bytes inside the last tile's Deflate stream.
    let mut b = bytes.clone();
    let n = b.len();
    for x in &mut b[n - 2000..n - 1000] {
        *x ^= 0x5A;
    }
    std::fs::write(&p, &b).unwrap();
    let e = read_geotiff(&p).unwrap_err().to_string();
    assert!(e.contains("cut.tif") && e.contains("block"), "{e}");
    std::fs::write(&p, b"GIF89a").unwrap();
    assert!(read_geotiff(&p).unwrap_err().to_string().contains("not a TIFF"));
    assert!(read_geotiff(&dir.path().join("none.tif")).unwrap_err().to_string().contains("none.tif"));
}

/// Writes a strip GeoTIFF with the `tiff` crate's encoder and the GeoTIFF/GDAL tags.
fn tiff_crate_strips(p: &Path, big: bool, compression: Compression, predictor: Predictor, data: &[i16], w: u32) {
    let f = std::fs::File::create(p).unwrap();
    let h = data.len() as u32 / w;
    macro_rules! body {
        ($enc:expr) => {{
            let mut enc = $enc.with_compression(compression).with_predictor(predictor);
            let mut img = enc.new_image::<colortype::GrayI16>(w, h).unwrap();
            img.rows_per_strip(7).unwrap();
            let e = img.encoder();
            e.write_tag(Tag::ModelPixelScaleTag, &[10.0f64, 10.0, 0.0][..]).unwrap();
            e.write_tag(Tag::ModelTiepointTag, &[0.0f64, 0.0, 0.0, 273028.5, 7537249.5, 0.0][..]).unwrap();
            e.write_tag(Tag::GeoKeyDirectoryTag, &[1u16, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32612][..]).unwrap();
            e.write_tag(Tag::GdalNodata, "-32768").unwrap();
            img.write_data(data).unwrap();
        }};
    }
    if big {
        body!(TiffEncoder::new_big(f).unwrap())
    } else {
        body!(TiffEncoder::new(f).unwrap())
    }
}

#[test]
fn reads_strips_with_lzw_packbits_deflate_and_bigtiff_from_another_writer() {
    let (w, h) = (53u32, 30u32);
    let data: Vec<i16> = (0..w * h).map(|i| ((i * 37) % 2000) as i16 - 1000).collect();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (false, Compression::Lzw, Predictor::Horizontal),
        (false, Compression::Packbits, Predictor::None),
        (false, Compression::Deflate(DeflateLevel::Fast), Predictor::Horizontal),
        (true, Compression::Uncompressed, Predictor::None),
        (true, Compression::Lzw, Predictor::None),
    ];
    for (i, (big, comp, pred)) in cases.into_iter().enumerate() {
        let p = dir.path().join(format!("s{i}.tif"));
        tiff_crate_strips(&p, big, comp, pred, &data, w);
        let info = read_geotiff_info(&p).unwrap();
        assert!(!info.tiled && info.bigtiff == big, "case {i}");
        assert_eq!(info.block_size, (w as usize, 7));
        assert_eq!(info.crs.epsg, Some(32612));
        assert_eq!(info.transform.to_gdal(), [273028.5, 10.0, 0.0, 7537249.5, 0.0, -10.0]);
        match read_geotiff(&p).unwrap() {
            RasterData::I16(g) => {
                assert_eq!(g.data, data, "case {i}");
                assert_eq!(g.nodata, Some(-32768.0));
            }
            other => panic!("case {i}: {:?}", other.sample_type()),
        }
    }
}
