//! Why a source could not be served or an index not exported: the one
//! error of `serve/`, at its bottom, so that the parts do not import its
//! root. A single unreadable distribution is not an error: it is skipped
//! and named ([`super::Skipped`]).

use std::path::PathBuf;

use crate::bundle::archive::ArchiveError;
use crate::diagnose::{Diagnose, ExitClass};

/// A source or an export that failed, with what is needed to explain it.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{}: no such file or folder", path.display())]
    Missing { path: PathBuf },
    #[error("{}: not a folder of distributions nor an air-gap bundle (.tar.gz)", path.display())]
    NotASource { path: PathBuf },
    #[error("{}: manifest.json is not a chiron manifest: {message}", path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("two sources are named `{name}`: {} and {}", first.display(), second.display())]
    DuplicateName {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("`{name}` cannot name an index: use letters, digits, `.`, `_` and `-`")]
    BadName { name: String },
    #[error("{}: a bundle is served only when verified with a key, or when told not to verify it", path.display())]
    NoTrust { path: PathBuf },
    #[error("{}: the bundle does not verify: {problems}", path.display())]
    Unverified { path: PathBuf, problems: String },
    #[error("{} already holds files that are not an export: {}", output.display(), found.join(", "))]
    OutputNotAnExport { output: PathBuf, found: Vec<String> },
    #[error(
        "{}: the export would replace or hold {}, where distributions are read from",
        output.display(),
        source_dir.display()
    )]
    OutputOverlaps {
        output: PathBuf,
        source_dir: PathBuf,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {source}")]
    Listen {
        #[source]
        source: std::io::Error,
    },
    #[error(
        "--allow-upload needs a token in [serve] tokens: an upload endpoint is never open to anyone"
    )]
    NoUploadTokens,
    #[error("cannot make a token: the system's random generator failed")]
    Random,
    /// An upload refused for what it holds (HTTP 400): one line.
    #[error("{reason}")]
    UploadRefused { reason: String },
    /// An upload larger than the limit (HTTP 413).
    #[error("the upload is larger than {limit} bytes (--max-upload-bytes)")]
    UploadTooLarge { limit: u64 },
    /// A file of that name with other bytes (HTTP 409); the message starts
    /// as twine's `--skip-existing` and pypiserver's expect.
    #[error("File already exists: {filename} is in {index} with sha256 {existing}")]
    FileExists {
        filename: String,
        index: String,
        existing: String,
    },
    /// A source uploads cannot go into (HTTP 403).
    #[error(
        "{name} is a bundle: it is verified and read-only, so uploads go into a wheelhouse or a folder"
    )]
    ReadOnlySource { name: String },
    #[error(transparent)]
    Wheelhouse(Box<crate::wheelhouse::error::WheelhouseError>),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<crate::wheelhouse::error::WheelhouseError> for ServeError {
    fn from(error: crate::wheelhouse::error::WheelhouseError) -> Self {
        ServeError::Wheelhouse(Box::new(error))
    }
}

impl ServeError {
    /// An I/O failure at `path`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| ServeError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl Diagnose for ServeError {
    fn exit_class(&self) -> ExitClass {
        match self {
            ServeError::Missing { .. }
            | ServeError::NotASource { .. }
            | ServeError::DuplicateName { .. }
            | ServeError::BadName { .. }
            | ServeError::NoTrust { .. }
            | ServeError::OutputOverlaps { .. }
            | ServeError::OutputNotAnExport { .. }
            | ServeError::NoUploadTokens
            | ServeError::UploadRefused { .. }
            | ServeError::UploadTooLarge { .. }
            | ServeError::FileExists { .. }
            | ServeError::ReadOnlySource { .. } => ExitClass::Usage,
            ServeError::Manifest { .. }
            | ServeError::Unverified { .. }
            | ServeError::Archive(_)
            | ServeError::Random
            | ServeError::Wheelhouse(_)
            | ServeError::Bind { .. }
            | ServeError::Listen { .. }
            | ServeError::Io { .. } => ExitClass::Problems,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ServeError::Missing { .. } | ServeError::NotASource { .. } => Some(
                "give a wheelhouse, a folder of .whl/.tar.gz files, or a bundle from `chiron airgap build`".into(),
            ),
            ServeError::Manifest { .. } => Some(
                "rebuild the wheelhouse with `chiron wheelhouse`, or remove manifest.json to serve the folder as plain files".into(),
            ),
            ServeError::DuplicateName { .. } | ServeError::BadName { .. } => {
                Some("name each source with NAME=PATH".into())
            }
            ServeError::NoTrust { .. } => Some(
                "give the bundle's public key (--key), or say --no-verify to serve it unchecked".into(),
            ),
            ServeError::Unverified { .. } => Some(
                "check the bundle with `chiron verify BUNDLE --key KEY`; serve it unverified only if you trust where it came from".into(),
            ),
            ServeError::OutputOverlaps { .. } => {
                Some("export into a folder of its own, outside the sources".into())
            }
            ServeError::OutputNotAnExport { .. } => Some(
                "the export replaces its folder whole: give a new or empty folder, or one an earlier export wrote (it holds only simple/)".into(),
            ),
            ServeError::NoUploadTokens => Some(
                "make one with `chiron serve --new-token NAME` and add the line it prints under [serve.tokens] in chiron.toml".into(),
            ),
            ServeError::Random => None,
            ServeError::UploadRefused { .. } => {
                Some("upload a wheel or .tar.gz sdist as twine sends it, with its own name, version and sha256".into())
            }
            ServeError::UploadTooLarge { .. } => {
                Some("start the server with a larger --max-upload-bytes".into())
            }
            ServeError::FileExists { .. } => Some(
                "a file name is never reused with other bytes: release a new version (twine --skip-existing skips files already there)".into(),
            ),
            ServeError::ReadOnlySource { .. } => Some(
                "serve a wheelhouse or folder to upload into; rebuild the bundle with `chiron airgap build` to change it".into(),
            ),
            ServeError::Wheelhouse(error) => error.hint(),
            ServeError::Archive(error) => Some(error.hint()),
            ServeError::Bind { .. } => Some(
                "another process may hold the port: choose another with --bind ADDR (port 0 picks a free one)".into(),
            ),
            ServeError::Listen { .. } => None,
            ServeError::Io { .. } => None,
        }
    }
}
