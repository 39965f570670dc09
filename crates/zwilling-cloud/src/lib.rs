//! Point-cloud algorithms for zwilling: noise, ground classification, gridding.
#![warn(missing_docs)]
