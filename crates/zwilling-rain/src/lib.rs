//! Heavy-rain analysis for zwilling: depression filling, flow routing, 2D rain-on-grid, hazard.
#![warn(missing_docs)]
