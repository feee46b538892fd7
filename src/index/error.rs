//! What can go wrong between chiron and a package index, each case with
//! the data to explain it (URLs without credentials) and a hint.
//!
//! Owns [`IndexError`] and its hints. It must not decide what is retried
//! (`http` does) nor render anything: messages are rendered once, at the
//! command line's edge.

use std::path::PathBuf;

use super::simple::PageError;
use crate::python::metadata::MetadataError;

/// An index request, listing or download that failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("cannot reach {url} after {attempts} attempt(s): {reason}")]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("{url} is plain HTTP to a host that is not trusted")]
    Insecure { url: String, host: String },
    #[error("{url}: {reason}")]
    Redirect { url: String, reason: String },
    #[error("{url}: the {what} is larger than the limit of {limit} bytes")]
    TooLarge {
        url: String,
        what: &'static str,
        limit: u64,
    },
    #[error(
        "{url} answered HTTP {status} and asks to retry after {seconds} s, longer than chiron waits ({limit} s)"
    )]
    RetryAfterTooLong {
        url: String,
        status: u16,
        seconds: u64,
        /// The longest wait chiron accepts, in seconds.
        limit: u64,
    },
    #[error("offline: no cached copy of {url}")]
    Offline { url: String },
    #[error("package `{package}` was not found on {}", sources.join(", "))]
    NotFound {
        package: String,
        sources: Vec<String>,
    },
    #[error("package `{package}` is served by more than one index ({}); refusing to guess which to trust", indexes.join(", "))]
    Ambiguous {
        package: String,
        indexes: Vec<String>,
    },
    #[error("sha256 mismatch for {url}: expected {expected}, got {actual}")]
    HashMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{url} has no sha256 on the index")]
    Unhashed { url: String },
    #[error("{url}: the body ended after {received} of {expected} bytes")]
    Truncated {
        url: String,
        received: u64,
        expected: u64,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Page(#[from] PageError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("bad URL {url}: {message}")]
    BadUrl { url: String, message: String },
    #[error("{url} is not UTF-8 text")]
    NotText { url: String },
    #[error("bad range {range}")]
    BadRange { range: String },
    #[error("{} cannot be a file URL", path.display())]
    NotAFileUrl { path: std::path::PathBuf },
    /// The HTTP client could not be made (an unreadable CA bundle, say).
    #[error("{message}")]
    Tls { message: String },
    #[error("the download limit was closed: chiron is shutting down")]
    ShuttingDown,
    #[error("refusing the file name `{filename}`")]
    UnsafeFileName { filename: String },
}

impl IndexError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            IndexError::Status { status: 401 | 403, .. } => {
                "give credentials in the index URL (https://user:token@host/simple) or in ~/.netrc".into()
            }
            IndexError::Status { status: 404, .. } => "check the index URL".into(),
            IndexError::Status { status: 429, .. } => {
                "the index limits how fast it may be asked; retry later, or lower the load on it".into()
            }
            IndexError::RetryAfterTooLong { .. } => {
                "the index is rate limiting or down for maintenance; retry later".into()
            }
            IndexError::Redirect { .. } => {
                "an index may redirect only to https, or to plain http on the same, a loopback or a trusted host; use the final URL as the index URL if it is one you trust".into()
            }
            IndexError::TooLarge { what: "page", limit, .. } => format!(
                "a project page this large is unusual; if the index really serves it, raise [index] max-page-bytes (now {limit}) in chiron.toml"
            ),
            IndexError::TooLarge { .. } => {
                "the index serves a file far larger than this kind of file ever is; report it to the index".into()
            }
            IndexError::Status { .. } | IndexError::Unreachable { .. } => {
                "check the URL and the network (HTTPS_PROXY, SSL_CERT_FILE), or use --offline with a warm cache".into()
            }
            IndexError::Insecure { host, .. } => format!(
                "use https, or trust the host as pip does: --trusted-host {host} (or trusted-host in pip.conf, PIP_TRUSTED_HOST, [index] trusted-hosts)"
            ),
            IndexError::Offline { .. } => "run once with the network to fill the cache, or drop --offline".into(),
            IndexError::NotFound { .. } => {
                "check the name's spelling, and --index-url / --extra-index-url / --find-links".into()
            }
            IndexError::Ambiguous { package, .. } => format!(
                "pin it to the index you trust: [index.pin] {package} = \"https://...\" in chiron.toml"
            ),
            IndexError::HashMismatch { .. } => {
                "the file changed or was corrupted in transit; nothing was written. Retry, and report it to the index if it persists".into()
            }
            IndexError::Unhashed { .. } => {
                "use an index that publishes sha256 hashes, or pass --allow-unhashed to hash what is downloaded".into()
            }
            IndexError::Truncated { .. } => "the connection broke; nothing was written. Retry".into(),
            _ => return None,
        })
    }
}

impl crate::diagnose::Diagnose for IndexError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        crate::diagnose::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}
