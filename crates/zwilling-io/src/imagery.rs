//! Road images: reading JPEG / PNG / TIFF as grey or RGB, writing masks as PNG and photos as JPEG,
//! and listing the images of a folder.
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
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zwilling_core::{Error, Result};

/// File extensions (lower case) taken as images by [`list_images`].
pub const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "tif", "tiff"];

fn decode(path: &Path) -> Result<DynamicImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::bad_file(path, format!("cannot read image: {e}")))?;
    if reader.format().is_none() {
        return Err(Error::bad_file(path, "not a JPEG, PNG or TIFF image"));
    }
    reader.decode().map_err(|e| Error::bad_file(path, format!("cannot decode image: {e}")))
}

/// Reads an image as 8-bit grey (colour converted with the Rec. 709 luma weights, 16-bit scaled).
pub fn read_gray(path: &Path) -> Result<GrayImage> {
    Ok(decode(path)?.into_luma8())
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

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
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
