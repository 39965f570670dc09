//! Synthetic drive-through survey with known truth for zwilling.
//!
//! [`Scene::new`] builds a deterministic street scene from [`SceneParams`] (seed, length ...):
//! a straight crowned two-lane road with kerbs, sidewalks, ruts, potholes, markings and a
//! roughness profile, sloping terrain with closed depressions on level terraces, buildings and
//! trees. Every true value is exact (analytic functions): [`Scene::ground_height`],
//! [`Scene::road_surface`], [`Scene::truth`] (rut depths, water depths, IRI, potholes,
//! depressions, crack shares per section). [`Scene::generate_points`] streams the mobile-mapping
//! scan as [`zwilling_core::PointBlock`]s (LAS point format 7), [`Scene::render_image`] the
//! pavement images with crack masks, [`Scene::trajectory`] the vehicle trajectory.
//!
//! ```
//! use zwilling_synth::{Scene, SceneParams};
//! let scene = Scene::new(SceneParams { length: 40.0, ..SceneParams::default() })?;
//! let (x, y) = scene.frame.to_world(20.0, -1.5);
//! let z = scene.road_surface(x, y).unwrap();
//! assert!((z - scene.ground_height(x, y)).abs() < 1e-12);
//! # Ok::<(), zwilling_core::Error>(())
//! ```
//!
//! The scene is described with all formulas in docs/synth.md.
#![warn(missing_docs)]

pub mod cracks;
pub mod features;
pub mod frame;
pub mod images;
pub mod iri;
pub mod params;
pub mod rng;
pub mod roughness;
pub mod scan;
pub mod scene;
pub mod truth;

pub use frame::RoadFrame;
pub use image;
pub use images::ImagePose;
pub use params::{RutShape, SceneParams};
pub use scan::{point_layout, ScanStats, LINES_PER_CHUNK};
pub use scene::{scene_crs, CrossSection, Material, Scene};
pub use truth::Truth;
