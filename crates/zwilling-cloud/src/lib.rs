//! Point-cloud algorithms for zwilling: noise, ground classification, gridding.
//!
//! All algorithms work on in-memory columns ([`zwilling_core::PointBlock`] or coordinate slices);
//! file I/O lives in `zwilling-io`.
#![warn(missing_docs)]

pub mod accuracy;
pub mod cellhash;
pub mod density;
pub mod grid;
pub mod ground;
pub mod inpaint;
pub mod morphology;
pub mod noise;
pub mod smrf;
