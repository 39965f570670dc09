//! Heavy-rain analysis for zwilling: depression filling, flow routing, 2D rain-on-grid, hazard.
//!
//! Everything works on in-memory [`zwilling_core::Grid`]s and [`zwilling_core::Layer`]s; readers
//! and writers live in `zwilling-io`. The chain, as NRW practice does it (Arbeitshilfe
//! kommunales Starkregenrisikomanagement 2018; DWA-M 119):
//!
//! 1. topographic analysis: [`fill::fill_depressions`], [`sinks::find_sinks`],
//!    [`d8::flow_directions_d8`], [`accumulation`], [`mfd`], [`flowpaths::flow_paths`];
//! 2. 2D rain-on-grid: [`simulate::simulate`] (local inertial shallow water) driven by a
//!    [`storm::Hyetograph`];
//! 3. hazard and risk: [`hazard`], [`risk`].
#![warn(missing_docs)]
// `!(x > 0.0)` is used on purpose: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod accumulation;
pub mod d8;
pub mod fill;
mod fill_bands;
mod flats;
pub mod flowpaths;
pub mod hazard;
pub mod mfd;
pub mod neighbours;
pub mod polygonize;
pub mod risk;
pub mod simulate;
pub mod sinks;
pub mod spill_graph;
pub mod storm;
#[doc(hidden)]
pub mod testdem;
