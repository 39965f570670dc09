//! Gridding point clouds into rasters: DTM (TIN of ground points), DSM (highest return), nDSM,
//! intensity and RGB orthophotos (mean per cell) and point density.
//!
//! All products use the cell-centre convention of [`zwilling_core::Grid`]: the origin is the outer
//! top-left corner, a cell covers `[x0 + c·r, x0 + (c+1)·r) × (y0 − (row+1)·r, y0 − row·r]`, and
//! its value stands for its centre. Cells without data are NoData (NaN for float products, 0 with
//! an alpha-free NoData of 0 for RGB).
//!
//! Memory does not depend on the bounding box: per-cell statistics live in sparse blocks
//! ([`blocks`]) under a budget, spilled to a store and merged back when read, and every product is
//! computed window by window ([`cells::CellStats::window`], [`tiled_dtm::dtm_window`]).

pub mod blocks;
pub mod cells;
pub mod tiled_dtm;
pub mod tin;
