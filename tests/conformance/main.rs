//! The conformance suite: zwilling against real public data in `../shared/` and against the
//! external validators and reference tools (GDAL, TauDEM, laspy, the Khronos glTF validator,
//! 3d-tiles-tools, headless Chromium). One test binary, built only with the `conformance` feature:
//!
//! ```text
//! cargo test --features conformance --test conformance
//! ```
//!
//! Every test fails loudly, naming the path, when a file or validator is missing
//! (`zwilling_core::testdata::shared_path`). The self-contained suite (`cargo test`) does not
//! need any of this.

mod cog_stream;
mod cracks_crackforest;
mod gpkg_validator;
mod ground_amsterdam_mls;
mod ground_isprs;
mod hydro_vrt;
mod iri_reference;
mod las_laspy;
mod laz_decoder;
mod rain_validators;
mod raster_gdal;
mod report;
mod taudem_fill;
mod tiles3d_validator;
mod tiles_validator;
mod view;
