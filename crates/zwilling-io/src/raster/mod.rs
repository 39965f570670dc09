//! Rasters: GeoTIFF / Cloud-Optimised GeoTIFF reading and writing (pure Rust), ESRI ASCII grids.
//!
//! - [`write_cog`] / [`write_cog_bands`]: tiled 512 × 512, Deflate + predictor, internal overviews,
//!   GeoKeys (EPSG horizontal + vertical), GDAL NoData, BigTIFF when needed, atomic; valid for
//!   GDAL's COG validator and rio-cogeo strict (see `docs/formats.md`).
//! - [`write_cog_streamed`]: the same COG from tiles supplied one at a time ([`StreamedRaster`]);
//!   memory independent of the raster size.
//! - [`read_geotiff`] ([`RasterData`] in the file's sample type), [`read_geotiff_f32`],
//!   [`read_geotiff_f64`], [`read_geotiff_bands`], [`read_geotiff_overview`] and
//!   [`read_geotiff_info`]: strips or tiles, none / Deflate / LZW / PackBits, predictors 1–3,
//!   8–64-bit samples, BigTIFF, GeoKeys → [`CrsInfo`](zwilling_core::CrsInfo).
//! - [`read_geotiff_window`] / [`read_geotiff_window_f32`]: a rectangle of cells, reading only the
//!   tiles or strips that intersect it (memory grows with the window, not the file).
//! - [`read_ascii_grid`] / [`write_ascii_grid`]: ESRI ASCII grids.
//! - [`write_vrt_mosaic`]: a GDAL VRT mosaic of GeoTIFF tiles (XML only, no pixels).

mod ascii_grid;
mod codec;
mod cog;
mod cog_stream;
mod geokeys;
mod overview;
mod read;
mod sample;
mod tiff_ifd;
mod vrt;
mod window;

use std::fs::File;
use std::path::Path;

use zwilling_core::{CrsInfo, Error, Result};

pub use ascii_grid::{read_ascii_grid, write_ascii_grid};
pub use codec::compression_name;
pub use cog::{format_nodata, write_cog, write_cog_bands, BigTiff, CogOptions};
pub use cog_stream::{write_cog_streamed, StreamedRaster};
pub use geokeys::{decode_geokeys, encode_geokeys, is_geographic_epsg, GeoKeys};
pub use overview::Resampling;
pub use read::{
    read_geotiff, read_geotiff_bands, read_geotiff_f32, read_geotiff_f64, read_geotiff_info, read_geotiff_overview,
    GeoTiffInfo, RasterData,
};
pub use sample::{Sample, SampleType};
pub use vrt::{vrt_mosaic_xml, write_vrt_mosaic, VrtMosaic, VrtTile};
pub use window::{read_geotiff_window, read_geotiff_window_f32};

/// True when the path's extension is `tif` or `tiff` (any case).
pub fn is_geotiff(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
}

/// The CRS with EPSG codes filled in from its WKT when only the WKT is known.
pub(crate) fn crs_with_codes(crs: &CrsInfo) -> CrsInfo {
    let mut c = crs.clone();
    if let (None, Some(wkt)) = (c.epsg, &c.wkt) {
        let (h, v) = crate::las::epsg_from_wkt(wkt);
        c.epsg = h;
        c.vertical_epsg = c.vertical_epsg.or(v);
    }
    c
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which is then renamed onto
/// `path`. On any error the temporary file is removed and `path` is left as it was.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&mut File) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    write(tmp.as_file_mut()).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_nothing_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.tif");
        std::fs::write(&p, b"old").unwrap();
        let e = write_atomic(&p, |f| {
            use std::io::Write;
            f.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(e.unwrap_err().to_string().contains("out.tif"));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temporary file removed");
        write_atomic(&p, |f| std::io::Write::write_all(f, b"new")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }
}
