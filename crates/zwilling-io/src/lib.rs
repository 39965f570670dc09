//! Readers and writers.
mod atomic;
pub mod exif;
pub mod geojson;
pub mod gpkg;
pub mod imagery;
pub mod las;
mod positioned;
pub mod raster;
mod spill_file;
pub mod tiles3d;
pub mod trajectory;

pub use atomic::{write_atomic, write_atomic_with};
pub use spill_file::SpillFile;
