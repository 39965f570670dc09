//! Tile-parallel hydrology for DEMs larger than one machine (or its memory).
//!
//! Every algorithm here has the same three-step shape, so that separate processes (Slurm array
//! tasks, Kubernetes indexed pods) can run the per-tile steps and only small summaries travel:
//!
//! 1. **per tile**: work on the tile (plus a one-cell halo) alone and write a small summary
//!    (size ∝ the tile perimeter, not its area);
//! 2. **global**: solve a small graph built from all summaries once;
//! 3. **per tile, finalise**: redo the tile's work with the few values the global step gave it.
//!
//! - [`fill`]: depression filling after Barnes (2016), "Parallel Priority-Flood depression
//!   filling for trillion cell digital elevation models", *Computers & Geosciences* 96, 56–68;
//! - [`directions`]: D8 flow directions whose flats may cross tile borders (flat cells touching a
//!   tile border are resolved in the global step);
//! - [`accumulation`]: D8 flow accumulation after Barnes (2017), "Parallel non-divergent flow
//!   accumulation for trillion cell digital elevation models on desktops or clusters",
//!   *Environmental Modelling & Software* 92, 202–212;
//! - [`catchments`]: the catchment-group partition of the rain simulation (each cell labelled by
//!   the outlet its D8 path reaches, outlets cut into groups), equal to
//!   `zwilling_rain::simulate::groups::partition_catchments`.
//!
//! Results equal those of `zwilling_rain::fill::fill_depressions`,
//! `zwilling_rain::d8::flow_directions_d8` and `zwilling_rain::accumulation::flow_accumulation_d8`
//! on the whole grid, bit for bit (tests in each module). [`run`] chains all steps in memory.
//!
//! The topographic layers need no finalise step (per tile → global only): [`sinks_tiled`] (the
//! `sinks` layer, equal to `zwilling_rain::sinks::find_sinks` + `sinks_layer`) and
//! [`flowpaths_tiled`] (the `flow_paths` layer, equal to `zwilling_rain::flowpaths::flow_paths`).
#![warn(missing_docs)]
// Grid code indexes several parallel arrays by cell index; iterator chains would obscure it.
#![allow(clippy::needless_range_loop)]

pub mod accumulation;
pub mod catchments;
pub mod directions;
pub mod exact;
pub mod fill;
pub mod flowpaths_tiled;
pub mod layout;
pub mod run;
pub mod sinks_tiled;

pub use layout::{TileLayout, TileRect};
