//! Pavement imagery for zwilling: training-free crack detection, its evaluation, crack polylines
//! and their projection onto the road surface.
//!
//! Everything works on in-memory images ([`image::GrayImage`]); reading and writing files is done
//! by `zwilling-io`. The pipeline: [`detect::detect_cracks`] (mask) → [`polyline::crack_polylines`]
//! (vectorised cracks with length and width) → [`georef::project_polylines`] (EPSG:25832 line
//! strings). [`eval`] scores masks against references with the usual distance tolerance.
#![warn(missing_docs)]

pub mod corridor;
pub mod crack_share;
pub mod detect;
pub mod distance;
pub mod eval;
pub mod georef;
pub mod hysteresis;
pub mod line_filter;
pub mod markings;
pub mod ortho_source;
pub mod plane;
pub mod polyline;
pub mod shape;
pub mod skeleton;
pub mod synthetic;
pub mod track_heading;

pub use detect::{detect_cracks, CrackParams};
pub use eval::{match_counts, MatchCounts, Scores};
pub use georef::{project_polylines, Camera, LineString3, Surface};
pub use polyline::{crack_polylines, CrackPolyline};
