//! Real files processed next to the synthetic scene, for the report's "Real data" section.
//!
//! `zwilling demo` also runs a few small real files when the shared test data (`../shared/data`)
//! is present — a LiDAR tile through info, DTM and 3D Tiles, a DEM through depression filling
//! compared with the reference result that ships with it — and records what it did in
//! `OUT/real/real.json`. The report lists these rows; without the file the section is left out.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zwilling_core::{Error, Result};

/// Where the rows are kept, relative to the output folder.
pub const FILE_NAME: &str = "real/real.json";

/// One real file and what was done with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RealFile {
    /// The file, as a path relative to the shared data folder (e.g. `pdal/autzen_trim.laz`).
    pub file: String,
    /// Source and licence in a few words.
    pub source: String,
    /// What ran, e.g. `info, grid dtm 0.5 m, tiles`.
    pub work: String,
    /// The outcome in numbers, e.g. `60 653 points, EPSG:2154; 1 tile`.
    pub result: String,
    /// Wall time of the work (s).
    pub seconds: f64,
    /// Outputs, relative to the output folder.
    pub outputs: Vec<String>,
}

/// The path of the rows file in output folder `out`.
pub fn path(out: &Path) -> PathBuf {
    out.join(FILE_NAME)
}

/// The rows recorded in `out` (none when the file is missing or unreadable).
pub fn load(out: &Path) -> Vec<RealFile> {
    std::fs::read_to_string(path(out)).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// Writes the rows to `out` atomically (temporary file, then rename).
pub fn save(out: &Path, rows: &[RealFile]) -> Result<()> {
    let p = path(out);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    zwilling_io::write_atomic(&p, serde_json::to_string_pretty(rows).expect("plain JSON").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_missing_file_gives_none() {
        let d = tempfile::tempdir().unwrap();
        assert!(load(d.path()).is_empty());
        let rows = vec![RealFile {
            file: "dem/taudem/MED_01_01.tif".into(),
            source: "TauDEM test suite (GPL-3)".into(),
            work: "rain fill".into(),
            result: "1527 cells raised".into(),
            seconds: 0.25,
            outputs: vec!["real/MED_01_01_filled.tif".into()],
        }];
        save(d.path(), &rows).unwrap();
        assert_eq!(load(d.path()), rows);
        // Nothing but the file itself: the temporary file was renamed onto it.
        let names: Vec<_> = std::fs::read_dir(d.path().join("real")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["real.json"]);
    }
}
