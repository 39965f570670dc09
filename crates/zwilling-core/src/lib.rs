//! Core types shared by every zwilling crate.
//!
//! Plain data, no file I/O: [`Grid`] (a north-up georeferenced raster with NoData),
//! [`PointBlock`] (a chunk of LiDAR points as a struct of arrays), [`Bounds2`] / [`Bounds3`],
//! [`TilePlan`] (spatial tiles with overlap for parallel work), [`CrsInfo`] (what is known of a
//! dataset's coordinate reference system) and the single [`Error`] type.
#![warn(missing_docs)]

pub mod bounds;
pub mod crs;
pub mod error;
pub mod grid;
pub mod num;
pub mod points;
pub mod testdata;
pub mod tiling;
pub mod trajectory;
pub mod vector;

pub use bounds::{Bounds2, Bounds3};
pub use crs::CrsInfo;
pub use error::{Error, Result};
pub use grid::{GeoTransform, Grid};
pub use points::{class, PointBlock, PointLayout};
pub use tiling::{Tile, TilePlan};
pub use trajectory::TrajectoryPoint;
pub use vector::{Feature, FieldType, Geometry, Layer, Polygon, Value};
