//! Readers and writers.
pub mod exif;
pub mod geojson;
pub mod gpkg;
pub mod imagery;
pub mod las;
mod positioned;
pub mod raster;
pub mod tiles3d;
pub mod trajectory;
