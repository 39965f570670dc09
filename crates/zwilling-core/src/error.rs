//! The one error type of zwilling: every failure names the file (when there is one) and what is wrong.

use std::path::{Path, PathBuf};

/// Result alias with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error zwilling reports. Messages are written for the user: they name the file and say
/// what is wrong with it, never just an internal code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system I/O error on a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file whose content is wrong (bad signature, truncated, inconsistent header, ...).
    #[error("{}: {message}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A coordinate reference system that is missing, unreadable or unsupported.
    #[error("CRS: {0}")]
    Crs(String),
    /// An invalid parameter or argument.
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), source }
    }

    /// A content error in `path`.
    pub fn bad_file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::BadFile { path: path.as_ref().to_path_buf(), message: message.into() }
    }

    /// An invalid argument or parameter.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    /// A CRS problem.
    pub fn crs(message: impl Into<String>) -> Self {
        Error::Crs(message.into())
    }

    /// Attaches a file name to an error that has none (`Invalid`, `Crs`), keeping the message.
    pub fn in_file(self, path: impl AsRef<Path>) -> Self {
        match self {
            Error::Invalid(m) | Error::Crs(m) => Error::bad_file(path, m),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file() {
        let e = Error::bad_file("/data/a.laz", "truncated: 10 of 100 points");
        assert_eq!(e.to_string(), "/data/a.laz: truncated: 10 of 100 points");
        let e = Error::invalid("resolution must be > 0").in_file("cfg.toml");
        assert_eq!(e.to_string(), "cfg.toml: resolution must be > 0");
    }
}
