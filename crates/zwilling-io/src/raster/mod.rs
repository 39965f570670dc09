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

use std::path::Path;

use zwilling_core::CrsInfo;

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

pub(crate) use crate::atomic::write_atomic_with as write_atomic;
