//! Why two files cannot be compared: the one error of `compare/`, at its
//! bottom, so that its parts do not import `compare`'s root.

use std::path::PathBuf;

use crate::build::archive::{Format, ReadError};

/// Why two files cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{} is not a wheel or an sdist: its name does not end in .whl, .zip, .tar.gz or .tgz", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{} is {}, {} is {}", left.display(), left_format.describe(), right.display(), right_format.describe())]
    DifferentFormats {
        left: PathBuf,
        left_format: Format,
        right: PathBuf,
        right_format: Format,
    },
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Diagnose for CompareError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        match self {
            CompareError::Read(e) => e.exit_class(),
            CompareError::UnknownFormat { .. } | CompareError::DifferentFormats { .. } => {
                ExitClass::Usage
            }
            // A file that is not there was named wrongly: the call.
            CompareError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ExitClass::Usage
            }
            CompareError::Io { .. } => ExitClass::Problems,
        }
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            CompareError::Read(e) => e.hint(),
            CompareError::UnknownFormat { .. } => {
                "give a wheel (.whl) or an sdist (.tar.gz), named as the build made it".into()
            }
            CompareError::DifferentFormats { .. } => {
                "compare a wheel with a wheel and an sdist with an sdist".into()
            }
            CompareError::Io { .. } => "check the path and that the file is readable".into(),
        })
    }
}
