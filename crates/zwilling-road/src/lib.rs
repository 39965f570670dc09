//! Road condition measures and ZEB grades for zwilling.
//!
//! Algorithms on in-memory data (no file I/O): longitudinal profiles and IRI ([`iri`]), the 4 m
//! rolling straightedge ([`straightedge`]), transverse measures ([`transverse`]), grades
//! ([`grades`], presets in `presets/*.toml`), surface sampling from point blocks and the section
//! pipeline ([`survey`]), potholes ([`potholes`] detection, [`pothole_measure`] measurement from
//! the points) and output layers ([`output`]).
#![warn(missing_docs)]
// Numeric kernels index several arrays in step; range loops read clearer there.
#![allow(clippy::needless_range_loop)]

pub mod alignment;
pub mod damage;
pub mod grades;
pub mod inputs;
pub mod iri;
pub mod lsq;
pub mod output;
pub mod pothole_measure;
pub mod potholes;
pub mod preset;
pub mod profile;
pub mod sections;
pub mod straightedge;
pub mod surface;
pub mod survey;
pub mod transverse;

pub use alignment::Alignment;
pub use iri::{iri_sections, mean_iri, suspension_rates, IriFilter, IriOptions, IriSection, QuarterCar};
pub use profile::Profile;
