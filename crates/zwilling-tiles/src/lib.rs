//! 3D Tiles 1.1 building blocks for zwilling (no file I/O; the writer in `zwilling-io` puts the
//! pieces on disk).
//!
//! - [`frame`]: a local east-north-up frame at a point of the ellipsoid and its 4 × 4 tileset transform.
//! - [`lod`]: level of detail by spatially uniform subsampling into an octree; every point lands in
//!   exactly one node (refine `ADD`).
//! - [`glb`]: binary glTF encoders for point clouds (POINTS, RGB, intensity and classification as
//!   `EXT_structural_metadata` property attributes) and coloured triangle meshes (terrain).
//! - [`tileset`]: the `tileset.json` document.
//! - [`palette`]: hillshade and colour maps for terrain tiles (hazard classes, ramp).
//! - [`placement`]: source coordinates → tileset frame by bilinear cells of the exact transform.
#![warn(missing_docs)]

pub mod frame;
pub mod glb;
pub mod lod;
pub mod palette;
pub mod placement;
pub mod tileset;

pub use frame::LocalFrame;
pub use glb::{encode_mesh, encode_points, MeshContent, PointContent};
pub use lod::{LodParams, NodeKey};
pub use tileset::{TileNode, Tileset};
