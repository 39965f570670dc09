//! Road images: reading JPEG / PNG / TIFF as grey or RGB, writing masks as PNG and photos as JPEG,
//! and listing the images of a folder.
//!
//! Grey from a JPEG is its luma channel as stored: a YCbCr (JFIF) or greyscale JPEG is decoded
//! straight to Y (zune-jpeg with luma output: no chroma IDCT, upsampling or colour conversion, about
//! twice as fast as decoding to RGB and converting back). JFIF defines Y = 0.299 R + 0.587 G +
//! 0.114 B (ITU-T T.871, the Rec. 601 weights), so a colour JPEG's grey differs slightly from the
//! Rec. 709 weights used for PNG / TIFF / RGB-coded JPEG; for a grey picture both are the grey.
//!
//! Formats are recognised by content (magic bytes), not by extension. Every error names the file
//! and says what is wrong (missing, unreadable, not an image, truncated). Writes are atomic: the
//! encoded bytes go to a temporary file in the target folder, which is then renamed over the
//! target, so an interrupted batch never leaves a half-written mask.
//!
//! ```no_run
//! use zwilling_io::imagery::{read_gray, write_png_gray};
//! let img = read_gray("images/001.jpg".as_ref())?;
//! write_png_gray("masks/001.png".as_ref(), &img)?;
//! # Ok::<(), zwilling_core::Error>(())
//! ```

use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};

use crate::write_atomic;

/// File extensions (lower case) taken as images by [`list_images`].
pub const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "tif", "tiff"];

fn decode(path: &Path) -> Result<DynamicImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_bytes(path, bytes)
}

fn decode_bytes(path: &Path, bytes: Vec<u8>) -> Result<DynamicImage> {
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::bad_file(path, format!("cannot read image: {e}")))?;
    if reader.format().is_none() {
        return Err(Error::bad_file(path, "not a JPEG, PNG or TIFF image"));
    }
    reader.decode().map_err(|e| Error::bad_file(path, format!("cannot decode image: {e}")))
}

/// Reads an image as 8-bit grey: the Y channel of a YCbCr or greyscale JPEG (see the module
/// docs), otherwise colour converted with the Rec. 709 luma weights.
pub fn read_gray(path: &Path) -> Result<GrayImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if let Some(g) = jpeg_luma(path, &bytes)? {
            return Ok(g);
        }
    }
    Ok(decode_bytes(path, bytes)?.into_luma8())
}

/// Decodes a YCbCr or greyscale JPEG straight to its Y channel; `None` for other colour spaces
/// (RGB-coded, CMYK, YCCK), which go through the generic decoder.
fn jpeg_luma(path: &Path, bytes: &[u8]) -> Result<Option<GrayImage>> {
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let bad = |e: zune_jpeg::errors::DecodeErrors| Error::bad_file(path, format!("cannot decode JPEG: {e}"));
    // The same leniency as the `image` crate's JPEG decoder (no strict mode, no size limit).
    let options = DecoderOptions::default().set_strict_mode(false).set_max_width(usize::MAX).set_max_height(usize::MAX);
    let mut dec = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    dec.decode_headers().map_err(bad)?;
    if !matches!(dec.input_colorspace(), Some(ColorSpace::YCbCr | ColorSpace::Luma)) {
        return Ok(None);
    }
    dec.set_options(dec.options().jpeg_set_out_colorspace(ColorSpace::Luma));
    let (w, h) = dec.dimensions().ok_or_else(|| Error::bad_file(path, "JPEG without a frame header"))?;
    let mut luma = vec![0u8; w * h];
    dec.decode_into(&mut luma).map_err(bad)?;
    let img = GrayImage::from_raw(w as u32, h as u32, luma);
    Ok(Some(img.ok_or_else(|| Error::bad_file(path, "JPEG size does not fit its pixels"))?))
}

/// Reads an image as 8-bit RGB.
pub fn read_rgb(path: &Path) -> Result<RgbImage> {
    Ok(decode(path)?.into_rgb8())
}

/// Writes a grey image as 8-bit PNG (atomically).
pub fn write_png_gray(path: &Path, img: &GrayImage) -> Result<()> {
    let mut buf = Vec::new();
    img.write_to(&mut Cursor::new(&mut buf), ImageFormat::Png)
        .map_err(|e| Error::bad_file(path, format!("cannot encode PNG: {e}")))?;
    write_atomic(path, &buf)
}

/// Writes an RGB image as JPEG of `quality` 1–100 (atomically).
pub fn write_jpeg_rgb(path: &Path, img: &RgbImage, quality: u8) -> Result<()> {
    let mut buf = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100));
    img.write_with_encoder(enc).map_err(|e| Error::bad_file(path, format!("cannot encode JPEG: {e}")))?;
    write_atomic(path, &buf)
}

/// The image files (by extension, see [`IMAGE_EXTENSIONS`]) directly in `dir`, sorted by name.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let p = e.map_err(|e| Error::io(dir, e))?.path();
        let ext = p.extension().and_then(|x| x.to_str()).map(|x| x.to_ascii_lowercase());
        if p.is_file() && ext.is_some_and(|x| IMAGE_EXTENSIONS.contains(&x.as_str())) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_is_lossless_and_jpeg_is_close() {
        let dir = tempfile::tempdir().unwrap();
        let g = GrayImage::from_fn(37, 21, |x, y| image::Luma([(x * 5 + y * 3) as u8]));
        let p = dir.path().join("m.png");
        write_png_gray(&p, &g).unwrap();
        assert_eq!(read_gray(&p).unwrap(), g);
        let rgb = RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 128]));
        let j = dir.path().join("photo.jpg");
        write_jpeg_rgb(&j, &rgb, 95).unwrap();
        let back = read_rgb(&j).unwrap();
        let max_err = back.as_raw().iter().zip(rgb.as_raw()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(max_err <= 12, "JPEG error {max_err}");
        // Grey from RGB uses the luma weights: pure 128 grey stays 128.
        let grey_rgb = RgbImage::from_pixel(4, 4, image::Rgb([128, 128, 128]));
        write_jpeg_rgb(&j, &grey_rgb, 100).unwrap();
        assert!(read_gray(&j).unwrap().as_raw().iter().all(|&v| v.abs_diff(128) <= 1));
        let listed = list_images(dir.path()).unwrap();
        assert_eq!(listed, vec![p.clone(), j.clone()], "sorted by path");
    }

    #[test]
    fn colour_jpeg_grey_is_its_jfif_luma() {
        // T.871: Y = 0.299 R + 0.587 G + 0.114 B of the decoded colour, up to the rounding of the
        // decoder's colour conversion and chroma upsampling (strong colour gradients: a few levels).
        let dir = tempfile::tempdir().unwrap();
        let rgb = RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, (x + y) as u8]));
        let j = dir.path().join("colour.jpg");
        write_jpeg_rgb(&j, &rgb, 95).unwrap();
        let (grey, back) = (read_gray(&j).unwrap(), read_rgb(&j).unwrap());
        assert_eq!(grey.dimensions(), (96, 64));
        let mut worst = 0.0f64;
        for (g, c) in grey.pixels().zip(back.pixels()) {
            let y = 0.299 * c[0] as f64 + 0.587 * c[1] as f64 + 0.114 * c[2] as f64;
            worst = worst.max((g[0] as f64 - y).abs());
        }
        assert!(worst <= 3.0, "luma differs from 0.299 R + 0.587 G + 0.114 B by {worst}");
        // A truncated JPEG is an error naming the file, not a panic.
        let bytes = std::fs::read(&j).unwrap();
        let t = dir.path().join("cut.jpg");
        std::fs::write(&t, &bytes[..300]).unwrap();
        if let Err(e) = read_gray(&t) {
            assert!(e.to_string().contains("cut.jpg"), "{e}");
        }
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.png");
        assert!(read_gray(&missing).unwrap_err().to_string().contains("none.png"));
        let junk = dir.path().join("junk.jpg");
        std::fs::write(&junk, b"this is not an image").unwrap();
        let e = read_gray(&junk).unwrap_err().to_string();
        assert!(e.contains("junk.jpg") && e.contains("not a JPEG"), "{e}");
        let trunc = dir.path().join("trunc.png");
        let mut buf = Vec::new();
        GrayImage::new(50, 50).write_to(&mut Cursor::new(&mut buf), ImageFormat::Png).unwrap();
        std::fs::write(&trunc, &buf[..buf.len() / 2]).unwrap();
        assert!(read_gray(&trunc).unwrap_err().to_string().contains("trunc.png"));
    }
}
