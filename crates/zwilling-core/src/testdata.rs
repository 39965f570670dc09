//! Locating the real test data and validators in `../shared/` for the conformance suite.
//!
//! `../shared/` lies beside the repository on developer machines and in CI, never on a user's
//! machine. Conformance tests call [`shared_path`], which fails loudly, naming the file, when it
//! is missing, so a missing file never lets a test pass silently. `ZW_SHARED` overrides the folder.

use std::path::PathBuf;

/// The `shared/` folder: `$ZW_SHARED`, or `shared/` beside the repository root.
pub fn shared_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("ZW_SHARED") {
        return PathBuf::from(p);
    }
    // crates/zwilling-core -> repo root -> its parent
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// A file below `shared/` (e.g. `data/iri/profile_1.txt`, `tools/validate-cog`).
///
/// # Panics
/// When the file does not exist: conformance tests must fail loudly, naming what is missing.
pub fn shared_path(rel: &str) -> PathBuf {
    let p = shared_dir().join(rel);
    assert!(
        p.exists(),
        "conformance data missing: {} (expected ../shared/{rel} beside the repository, or set ZW_SHARED)",
        p.display()
    );
    p
}

/// The repository root (for tests that read `data-samples/`).
pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
