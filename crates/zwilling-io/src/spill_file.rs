//! An append-only scratch file for data that does not fit a memory budget.
//!
//! [`SpillFile`] stores byte parts and reads them back by id from any thread. The file is created
//! on the first [`SpillFile::append`] as an unnamed temporary file in the given folder: it has no
//! name, so the system removes it when the process ends, also when the process is killed, and a
//! resumed batch never finds a stale spill. Reads are positioned (`pread`), so concurrent readers
//! share no file cursor and need no lock.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let mut spill = zwilling_io::SpillFile::new(dir.path());
//! let a = spill.append(b"first block").unwrap();
//! let b = spill.append(b"second").unwrap();
//! assert_eq!(spill.read(b).unwrap(), b"second");
//! assert_eq!(spill.read(a).unwrap(), b"first block");
//! assert_eq!(spill.stored_bytes(), 17);
//! assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0); // no name in the folder
//! ```

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use zwilling_core::{Error, Result};

use crate::positioned::read_exact_at;

/// Append-only parts in an unnamed temporary file (see the module documentation).
#[derive(Debug)]
pub struct SpillFile {
    dir: PathBuf,
    file: Option<File>,
    parts: Vec<(u64, usize)>,
    len: u64,
}

impl SpillFile {
    /// A spill store whose file will be created in `dir` when the first part is appended.
    pub fn new(dir: &Path) -> Self {
        SpillFile { dir: dir.to_path_buf(), file: None, parts: vec![], len: 0 }
    }

    /// Appends `bytes` as a new part and returns its id (0, 1, 2, … in order).
    pub fn append(&mut self, bytes: &[u8]) -> Result<u64> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile_in(&self.dir).map_err(|e| Error::io(&self.dir, e))?);
        }
        let f = self.file.as_mut().expect("opened above");
        // the cursor stays at the end: every write appends
        f.write_all(bytes).map_err(|e| Error::io(&self.dir, e))?;
        self.parts.push((self.len, bytes.len()));
        self.len += bytes.len() as u64;
        Ok(self.parts.len() as u64 - 1)
    }

    /// The bytes of part `id`.
    pub fn read(&self, id: u64) -> Result<Vec<u8>> {
        let &(at, len) = self
            .parts
            .get(usize::try_from(id).unwrap_or(usize::MAX))
            .ok_or_else(|| Error::invalid(format!("spill part {id} missing")))?;
        let f = self.file.as_ref().ok_or_else(|| Error::invalid("spill file not open"))?;
        let mut buf = vec![0; len];
        read_exact_at(f, &mut buf, at).map_err(|e| Error::io(&self.dir, e))?;
        Ok(buf)
    }

    /// Bytes stored so far.
    pub fn stored_bytes(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_back_from_several_threads() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SpillFile::new(dir.path());
        let parts: Vec<Vec<u8>> = (0..64u8).map(|k| vec![k; 1 + k as usize * 37]).collect();
        let ids: Vec<u64> = parts.iter().map(|p| s.append(p).unwrap()).collect();
        assert_eq!(ids, (0..64).collect::<Vec<u64>>());
        std::thread::scope(|sc| {
            for t in 0..4 {
                let (s, parts) = (&s, &parts);
                sc.spawn(move || {
                    for k in (t..64).step_by(4).rev() {
                        assert_eq!(&s.read(k as u64).unwrap(), &parts[k]);
                    }
                });
            }
        });
        assert_eq!(s.stored_bytes(), parts.iter().map(|p| p.len() as u64).sum::<u64>());
    }

    #[test]
    fn a_missing_part_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SpillFile::new(dir.path());
        assert!(s.read(0).is_err());
        s.append(b"x").unwrap();
        assert!(s.read(1).unwrap_err().to_string().contains("part 1 missing"));
    }

    #[test]
    fn an_unwritable_folder_is_named_in_the_error() {
        let mut s = SpillFile::new(Path::new("/nonexistent/zwilling-spill"));
        let e = s.append(b"x").unwrap_err().to_string();
        assert!(e.contains("/nonexistent/zwilling-spill"), "{e}");
    }
}
