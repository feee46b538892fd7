//! Why a distribution could not be published: the one error of
//! `publish/`, at its bottom, so that the parts do not import its root.
//! URLs are shown without credentials, and no message holds a password or
//! a token (the parts scrub what a server echoes back).

use std::path::PathBuf;

use crate::build::archive::ReadError;
use crate::diagnose::{Diagnose, ExitClass};
use crate::index::error::IndexError;

/// A publication that failed, with what is needed to explain it.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("no files to publish")]
    NoFiles,
    #[error("{}: not a wheel (.whl) or an sdist (.tar.gz)", path.display())]
    NotADistribution { path: PathBuf },
    #[error("{}: {message}", path.display())]
    BadFilename { path: PathBuf, message: String },
    #[error("{file} is given twice ({} and {})", first.display(), second.display())]
    Duplicate {
        file: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Archive(#[from] ReadError),
    #[error("{}: {message}", path.display())]
    Metadata { path: PathBuf, message: String },
    #[error(
        "{}: the file name says {file_name} {file_version}, its metadata says {meta_name} {meta_version}",
        path.display()
    )]
    NameMismatch {
        path: PathBuf,
        file_name: String,
        file_version: String,
        meta_name: String,
        meta_version: String,
    },
    #[error("bad {what} `{url}`: {message}")]
    BadUrl {
        what: &'static str,
        url: String,
        message: String,
    },
    #[error("{variable} is set but {missing} is not")]
    HalfCredentials {
        variable: &'static str,
        missing: &'static str,
    },
    #[error("publishing needs the network, and --offline was given")]
    Offline,
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(
        "{file} is already on {index} with sha256 {remote}, but the local file's sha256 is {local}"
    )]
    Conflict {
        file: String,
        index: String,
        local: String,
        remote: String,
    },
    #[error("{file} is listed on {index} without a sha256: cannot tell whether it is this file")]
    Unhashed { file: String, index: String },
    #[error(
        "{url} refused the upload of {file}: HTTP {status} {message} (credentials: {source_name})"
    )]
    Unauthorized {
        file: String,
        url: String,
        status: u16,
        source_name: String,
        message: String,
    },
    #[error(
        "{url} refused to list the project's files (HTTP {status}) with the credentials from {source_name}"
    )]
    ListingRefused {
        url: String,
        status: u16,
        source_name: String,
    },
    #[error("{url} did not take {file}: HTTP {status} {message}")]
    Rejected {
        file: String,
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url} redirects uploads to {location}")]
    Redirected { url: String, location: String },
    #[error("uploading {file} to {url} failed: {reason}")]
    Transport {
        file: String,
        url: String,
        reason: String,
    },
    #[error("trusted publishing was asked for, but {missing} is not set")]
    NoIdentityToken { missing: &'static str },
    #[error("trusted publishing: {step} ({url}) failed: {message}")]
    TrustedPublishing {
        step: &'static str,
        url: String,
        message: String,
    },
}

impl Diagnose for PublishError {
    fn exit_class(&self) -> ExitClass {
        match self {
            PublishError::NoFiles
            | PublishError::NotADistribution { .. }
            | PublishError::BadFilename { .. }
            | PublishError::Duplicate { .. }
            | PublishError::BadUrl { .. }
            | PublishError::HalfCredentials { .. }
            | PublishError::Offline
            | PublishError::NoIdentityToken { .. } => ExitClass::Usage,
            PublishError::Archive(e) => e.exit_class(),
            PublishError::Index(e) => e.exit_class(),
            _ => ExitClass::Problems,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            PublishError::NoFiles => "name the wheels and sdists to upload, e.g. dist/*".into(),
            PublishError::NotADistribution { .. } | PublishError::BadFilename { .. } => {
                "publish the files `chiron build` writes: NAME-VERSION-TAGS.whl and NAME-VERSION.tar.gz".into()
            }
            PublishError::Duplicate { .. } => "name each distribution once".into(),
            PublishError::Io { .. } => "check the path and that the file is readable".into(),
            PublishError::Archive(e) => return Diagnose::hint(e),
            PublishError::Metadata { .. } | PublishError::NameMismatch { .. } => {
                "the file was renamed or built wrongly: build it again with `chiron build`".into()
            }
            PublishError::BadUrl { .. } => {
                "give an https URL, e.g. https://upload.pypi.org/legacy/ (plain http only to loopback addresses and [index] trusted-hosts)".into()
            }
            PublishError::HalfCredentials { missing, .. } => {
                format!("set {missing} too, or use CHIRON_PUBLISH_TOKEN for an API token")
            }
            PublishError::Offline => "run without --offline".into(),
            PublishError::Index(e) => return Diagnose::hint(e),
            PublishError::Conflict { .. } => {
                "a published file cannot be replaced: bump the version and build again".into()
            }
            PublishError::Unhashed { .. } => {
                "point --index-url at the index's simple API, which lists each file's sha256".into()
            }
            PublishError::Unauthorized { source_name, .. }
            | PublishError::ListingRefused { source_name, .. } => unauthorized_hint(source_name),
            PublishError::Rejected { .. } => {
                "read the index's message above; `chiron build` writes files indexes accept".into()
            }
            PublishError::Redirected { .. } => {
                "give the upload URL itself (PyPI's is https://upload.pypi.org/legacy/, with the trailing slash)".into()
            }
            PublishError::Transport { .. } => {
                "check the URL, the network, and --timeout; nothing was retried, to upload each file once".into()
            }
            PublishError::NoIdentityToken { .. } => {
                "in GitHub Actions, give the job `permissions: id-token: write`; elsewhere use --trusted-publishing never and a token".into()
            }
            PublishError::TrustedPublishing { .. } => {
                "check the trusted publisher configured on the index (owner, repository, workflow, environment) matches this run".into()
            }
        })
    }
}

fn unauthorized_hint(source_name: &str) -> String {
    if source_name == "no credentials" {
        return "set CHIRON_PUBLISH_TOKEN (an API token), or CHIRON_PUBLISH_USERNAME and CHIRON_PUBLISH_PASSWORD, or a .netrc entry for the host".into();
    }
    format!(
        "check the credentials from {source_name}: the password or token may be wrong, expired, or not allowed to upload to this project"
    )
}
