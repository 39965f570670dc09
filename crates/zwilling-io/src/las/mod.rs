//! LAS/LAZ point clouds (ASPRS LAS 1.2–1.4, point formats 0–10, LASzip-compressed LAZ, COPC read
//! as LAZ): streaming reader, atomic writer, header summary and CRS detection.
//!
//! - [`LasReader`] streams a file as [`PointBlock`](zwilling_core::PointBlock)s in file order,
//!   decoding LAZ chunks in parallel; memory is bounded by the block size.
//! - [`LasWriter`] writes LAS or LAZ through a temporary file renamed on [`LasWriter::finish`];
//!   [`WriterOptions::like`] reproduces an input file's header and records.
//! - [`expand_inputs`] turns files and directories into the list of point cloud files of one
//!   dataset.
//!
//! See `docs/ingest.md` for the format details, sources and tests.

mod chunks;
mod class_patch;
mod crs;
mod header;
mod info;
mod reader;
mod record;
mod spill;
mod writer;

use std::path::{Path, PathBuf};

use zwilling_core::{Error, Result};

pub use class_patch::{ChunkPoints, LazClassPatcher};
pub use crs::{crs_from_vlrs, crs_vlrs, epsg_from_geokeys, epsg_from_wkt, CrsSource};
pub use header::{Vlr, MAX_LOADED_VLR};
pub use info::LasInfo;
pub use reader::{read_all, LasReader, SkipAttributes, SkipFields, DEFAULT_BLOCK, MAX_PARALLEL_CHUNK};
pub use record::base_record_len;
pub use spill::{RecordSpill, RecordSpillReader};
pub use writer::{LasWriter, WriterOptions, GLOBAL_ENCODING_WKT};

/// True when the path's extension is `las` or `laz` (any case).
pub fn is_point_cloud(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("las") || e.eq_ignore_ascii_case("laz"))
}

/// The point cloud files of a dataset given as files and/or directories. A directory stands for
/// its `*.las` / `*.laz` files (not recursive, sorted by name so the order is deterministic);
/// files are kept as given. A directory without point clouds or a missing path is an error that
/// names it.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| Error::io(input, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_point_cloud(p) && p.is_file())
                .collect();
            if found.is_empty() {
                return Err(Error::bad_file(input, "directory holds no point clouds (*.las, *.laz)"));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::invalid("no input point clouds given"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_expand_sorted_and_empty_ones_fail() {
        let d = tempfile::tempdir().unwrap();
        for n in ["b.LAZ", "a.las", "c.txt", "d.laz"] {
            std::fs::write(d.path().join(n), b"x").unwrap();
        }
        let got = expand_inputs(&[d.path().to_path_buf()]).unwrap();
        let names: Vec<_> = got.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_string()).collect();
        assert_eq!(names, ["a.las", "b.LAZ", "d.laz"]);
        let empty = tempfile::tempdir().unwrap();
        let e = expand_inputs(&[empty.path().to_path_buf()]).unwrap_err().to_string();
        assert!(e.contains(&empty.path().display().to_string()) && e.contains("no point clouds"), "{e}");
        assert!(expand_inputs(&[d.path().join("missing.laz")]).is_err());
    }
}
