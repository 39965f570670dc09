//! The German quasigeoid GCG2016 shipped inside the binary (CC-BY-4.0, © BKG), so DHHN2016 normal
//! heights become ellipsoidal heights for 3D Tiles without any download.

use std::path::Path;
use zwilling_core::{Error, Result};
use zwilling_crs::Quasigeoid;

/// GCG2016 height-anomaly grid (GeoTIFF from PROJ-data `de_bkg/de_bkg_gcg2016.tif`).
static GCG2016: &[u8] = include_bytes!("../data-samples/geoid/de_bkg_gcg2016.tif");

/// Loads a quasigeoid: from `path` when given, otherwise the embedded GCG2016.
pub fn load(path: Option<&Path>) -> Result<Quasigeoid> {
    let grid = match path {
        Some(p) => zwilling_io::raster::read_geotiff_f32(p)?,
        None => {
            let tmp = std::env::temp_dir().join(format!("zwilling-gcg2016-{}.tif", GCG2016.len()));
            if std::fs::metadata(&tmp).map(|m| m.len() != GCG2016.len() as u64).unwrap_or(true) {
                let part = tmp.with_extension(format!("tif.{}.part", std::process::id()));
                std::fs::write(&part, GCG2016).map_err(|e| Error::io(&part, e))?;
                std::fs::rename(&part, &tmp).map_err(|e| Error::io(&tmp, e))?;
            }
            zwilling_io::raster::read_geotiff_f32(&tmp)?
        }
    };
    Quasigeoid::gcg2016(&grid)
}
