//! Readers and writers.
pub mod las;
pub mod tiles3d;
pub mod raster;
pub mod gpkg;
pub mod trajectory;
pub mod geojson;
pub mod imagery;
