//! Atomic file writes: a file appears complete under its name or not at all.
//!
//! Every writer of zwilling goes through [`write_atomic_with`]: the content is written to a
//! temporary file in the target's folder (`.NAME.XXXXXX.part`), flushed to disk, given the usual
//! `rw-r--r--` permissions and renamed over the target. A rename within one folder is atomic on
//! POSIX file systems, so a reader (or a resumed batch) sees either the old file or the new one,
//! never a half-written one. On any error the temporary file is removed and the target is left as
//! it was.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let p = dir.path().join("plan.json");
//! zwilling_io::write_atomic(&p, b"{}").unwrap();
//! assert_eq!(std::fs::read(&p).unwrap(), b"{}");
//! ```

use std::fs::File;
use std::io::Write;
use std::path::Path;

use zwilling_core::{Error, Result};

/// Writes `bytes` to `path` atomically (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which is then renamed
/// onto `path`. On any error the temporary file is removed and `path` is left as it was.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&mut File) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    write(tmp.as_file_mut()).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    {
        // temporary files are private (0600); outputs get the usual rw-r--r--
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(|e| Error::io(path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.tif");
        std::fs::write(&p, b"old").unwrap();
        let e = write_atomic_with(&p, |f| {
            f.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("out.tif"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_written_file_replaces_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        std::fs::write(&p, b"old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
