//! Out-of-core 3D Tiles writer for point clouds (and terrain meshes, see [`terrain`]).
//!
//! One streaming pass over the input, then parallel tile building, with memory bounded by the
//! chunk size, never by the number of points:
//! 1. **Stream**: every point is read once (LAZ decoded on all cores), converted to ECEF and to the
//!    tileset's local east-north-up frame, counted per octree node of level [`COUNT_LEVEL`] and
//!    appended to that node's bin (24-byte records: float32 position relative to the node corner,
//!    RGB as stored, intensity, class, source file), spilled to disk in large files with every
//!    octree node one contiguous range of each (Morton order).
//! 2. **Chunks**: the shallowest octree level whose nodes hold at most `chunk_points` points
//!    becomes the chunk level; a chunk is the concatenation of its level-[`COUNT_LEVEL`] bins in
//!    key order.
//! 3. **Build** (rayon, one chunk at a time per worker): the chunk's share of the levels above it
//!    is selected inside the chunk ([`zwilling_tiles::lod::select_upper`]), its own subtree is
//!    built ([`zwilling_tiles::lod::build_subtree`]) and written as GLB tiles. A finished chunk
//!    leaves a marker, so a stopped run resumes where it stopped; then its records are cut from
//!    the spill files where they form the files' tails, giving their page cache back.
//! 4. The upper nodes are written one by one (each gathers its chunks' selections) and
//!    `tileset.json` last, atomically.
//!
//! The result is the same bytes at any thread count: the input order decides which point a
//! lattice cell keeps, each bin keeps its records in input order, chunks are independent, and
//! upper nodes gather chunks in key order.

mod bins;
mod build;
pub mod terrain;

use std::path::{Path, PathBuf};

use zwilling_core::{Error, PointBlock, Result};

pub use build::{write_point_tileset, write_point_tileset_from};

/// Level at which pass 1 counts points (chunks are chosen at this level or above).
pub const COUNT_LEVEL: u8 = 7;

/// Converts a block of points (in the source CRS) to ECEF, one `[x, y, z]` per point.
pub type ToEcef<'a> = dyn Fn(&PointBlock, &mut Vec<[f64; 3]>) -> Result<()> + Sync + 'a;

/// Which per-point attributes go into the tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    /// RGB colours (`COLOR_0`); points without RGB get a colour from their height.
    pub rgb: bool,
    /// Intensity (`_INTENSITY`).
    pub intensity: bool,
    /// Classification (`_CLASSIFICATION`, also feature IDs).
    pub classification: bool,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes { rgb: true, intensity: true, classification: true }
    }
}

impl Attributes {
    /// Parses a comma-separated list such as `rgb,intensity,classification`.
    pub fn parse(s: &str) -> Result<Self> {
        let mut a = Attributes { rgb: false, intensity: false, classification: false };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "rgb" => a.rgb = true,
                "intensity" => a.intensity = true,
                "classification" => a.classification = true,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown attribute '{other}' (choose from rgb, intensity, classification)"
                    )))
                }
            }
        }
        Ok(a)
    }
}

/// Options of the point-cloud tileset writer.
#[derive(Debug, Clone, PartialEq)]
pub struct TilesOptions {
    /// A tile with at most this many points is a leaf.
    pub max_points_per_tile: usize,
    /// Cells per edge of each node's sampling lattice (power of two, 2^COUNT_LEVEL ≤ grid ≤ 256).
    pub grid: u32,
    /// Points per chunk held in memory by one worker while building (bounds memory).
    pub chunk_points: u64,
    /// Attributes to write.
    pub attributes: Attributes,
    /// Extra JSON put into `asset.extras` (source CRS, height handling ...).
    pub extras: serde_json::Value,
}

impl Default for TilesOptions {
    fn default() -> Self {
        TilesOptions {
            max_points_per_tile: 100_000,
            grid: 128,
            chunk_points: 2_000_000,
            attributes: Attributes::default(),
            extras: serde_json::json!({}),
        }
    }
}

/// What a tileset run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TilesReport {
    /// Points written.
    pub points: u64,
    /// Tiles (GLB files) written.
    pub tiles: usize,
    /// Octree depth.
    pub depth: u8,
    /// Chunks built in this run (the rest were finished by an earlier run).
    pub chunks_built: usize,
    /// Chunks in total.
    pub chunks: usize,
    /// The tileset file.
    pub tileset: PathBuf,
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", path.extension().and_then(|e| e.to_str()).unwrap_or("part")));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
