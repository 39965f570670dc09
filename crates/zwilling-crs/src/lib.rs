//! Coordinate reference systems for zwilling: projections, ECEF, quasigeoid heights (pure Rust).
#![warn(missing_docs)]
