//! Why an archive cannot be read: the one error of `archive/`, at its
//! bottom, so that the readers do not import `archive`'s root.

use std::path::{Path, PathBuf};

/// Why an archive cannot be read, or cannot be read one way only.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a readable {format}: {message}", path.display())]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    TooLarge { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Ambiguous { path: PathBuf, message: String },
    #[error("{}: {entry}: {message}", path.display())]
    Unsupported {
        path: PathBuf,
        entry: String,
        message: String,
    },
}

impl ReadError {
    pub fn path(&self) -> &Path {
        match self {
            ReadError::Io { path, .. }
            | ReadError::Corrupt { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::Ambiguous { path, .. }
            | ReadError::Unsupported { path, .. } => path,
        }
    }

    pub fn hint(&self) -> String {
        match self {
            ReadError::Io { .. } => "check the path and that the file is readable".into(),
            ReadError::Corrupt { .. } => {
                "the file is damaged or not an archive: download or build it again".into()
            }
            ReadError::TooLarge { .. } => {
                "the archive expands beyond what a wheel or sdist holds (a zip or gzip bomb?): do not unpack it".into()
            }
            ReadError::Ambiguous { .. } => {
                "tools would unpack this archive differently: rebuild it with a standard backend".into()
            }
            ReadError::Unsupported { .. } => {
                "wheels and sdists hold regular files stored or deflated: rebuild it with a standard backend".into()
            }
        }
    }
}

impl crate::error::Diagnose for ReadError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}
