//! Coordinate reference systems for zwilling: projections, ECEF, quasigeoid heights (pure Rust).
//!
//! * Identification: [`epsg_from_wkt`], [`crs_from_wkt`] (WKT1/WKT2, compound), [`crs_from_geokeys`]
//!   and [`geokeys_for`] (GeoTIFF), [`wkt_for`] / [`wkt_for_crs`] (WKT1 for GeoPackage and LAS),
//!   [`crs_name`], [`supported`].
//! * Transformations: [`Transformer`] converts projected/geographic/geocentric coordinates of a
//!   supported CRS to geographic coordinates and to ECEF (EPSG:4978), one point or slices at a time,
//!   without allocation; datum shifts (RD New's Amersfoort → ETRS89) by Helmert.
//! * Heights: [`Quasigeoid`] (a height-anomaly grid such as GCG2016) and
//!   [`Transformer::to_ecef_with_heights`], which says which kind of height went into ECEF.
//! * Big batches: [`patches::EcefPatches`] — the exact transform at the nodes of 512 m cells and
//!   second-order Taylor patches inside them (< 1 µm from exact, several times faster).
//!
//! Projections are implemented here from EPSG Guidance Note 7-2 and Karney (2011); see
//! `docs/crs.md` for the formulas, the choice over `proj4rs`/`geodesy`, and measured accuracy
//! against PROJ.
#![warn(missing_docs)]

pub mod ellipsoid;
pub mod geoid;
pub mod geokeys;
pub mod heights;
pub mod helmert;
pub mod lcc;
pub mod patches;
pub mod registry;
pub mod sterea;
pub mod tmerc;
pub mod transform;
pub mod webmerc;
mod wkt_parse;
mod wkt_write;

pub use geoid::Quasigeoid;
pub use geokeys::{crs_from_geokeys, geokeys_for};
pub use heights::Heights;
pub use patches::EcefPatches;
pub use registry::{crs_name, is_supported, supported, unsupported};
pub use transform::Transformer;
pub use wkt_parse::{crs_from_wkt, epsg_from_wkt};
pub use wkt_write::{wkt_for, wkt_for_crs};
