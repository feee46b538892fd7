//! The library's one error type.
//!
//! Each module keeps its own specific error enum, and implements
//! [`Diagnose`] (from [`crate::diagnose`], at the bottom of the import
//! graph) next to its definition. [`Error`] gathers them, so a front end
//! renders any error without knowing the modules: a new error type cannot
//! reach it without a variant here, and the `match` below does not compile
//! until that variant is classified. Only the workflows and the binary
//! import this module; the error types it gathers import only
//! `crate::diagnose`.
//!
//! This module must not format for a terminal or choose exit codes'
//! numbers: that is the binary's job.

use std::fmt::Display;

pub use crate::diagnose::{Diagnose, ExitClass};

/// A mistake in how a front end was called, found by the front end itself
/// (a flag combination, a file it was told to read): its words and a hint.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: String,
}

impl Diagnose for UsageError {
    fn exit_class(&self) -> ExitClass {
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
}

/// Any error of the library, with the context its callers added.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Plan(#[from] crate::plan_error::PlanError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Init(#[from] crate::config::template::InitError),
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error(transparent)]
    Requirements(#[from] crate::lock::requirements_txt::RequirementsError),
    #[error(transparent)]
    Pylock(#[from] crate::lock::pylock::PylockError),
    #[error(transparent)]
    Index(#[from] crate::index::client::IndexError),
    #[error(transparent)]
    Download(#[from] crate::wheelhouse::DownloadError),
    #[error(transparent)]
    Wheelhouse(#[from] crate::wheelhouse::build::WheelhouseError),
    #[error(transparent)]
    Lock(#[from] crate::wheelhouse::lock::LockError),
    #[error(transparent)]
    Vuln(#[from] crate::vuln::VulnError),
    #[error(transparent)]
    Rego(#[from] crate::policy::rego::RegoError),
    #[error(transparent)]
    Sign(#[from] crate::sign::SignError),
    #[error(transparent)]
    Sigstore(#[from] crate::sign::sigstore::SigstoreError),
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    #[error(transparent)]
    Archive(#[from] crate::bundle::archive::ArchiveError),
    #[error(transparent)]
    Oci(#[from] crate::oci::OciError),
    #[error(transparent)]
    Build(#[from] crate::build::BuildError),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    #[error(transparent)]
    Release(#[from] crate::release::ReleaseError),
    #[error(transparent)]
    Git(#[from] crate::release::git::GitError),
    #[error(transparent)]
    ReleaseVersion(#[from] crate::release::version::VersionError),
    #[error(transparent)]
    Changelog(#[from] crate::release::changelog::ChangelogError),
    #[error(transparent)]
    VersionFile(#[from] crate::release::version_files::VersionFileError),
    /// A file or stream the work itself needed (say which with context).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// The error as this module's [`Diagnose`] sees it: the innermost one
    /// under the context callers added.
    fn diagnosed(&self) -> Option<&dyn Diagnose> {
        Some(match self {
            Error::Context { source, .. } => return source.diagnosed(),
            Error::Usage(e) => e,
            Error::Plan(e) => e,
            Error::Config(e) => e,
            Error::Init(e) => e,
            Error::Project(e) => e,
            Error::Requirements(e) => e,
            Error::Pylock(e) => e,
            Error::Index(e) => e,
            Error::Download(e) => e,
            Error::Wheelhouse(e) => e,
            Error::Lock(e) => e,
            Error::Vuln(e) => e,
            Error::Rego(e) => e,
            Error::Sign(e) => e,
            Error::Sigstore(e) => e,
            Error::Bundle(e) => e,
            Error::Archive(e) => e,
            Error::Oci(e) => e,
            Error::Build(e) => e,
            Error::Serve(e) => e,
            Error::Publish(e) => e,
            Error::Release(e) => e,
            Error::Git(e) => e,
            Error::ReleaseVersion(e) => e,
            Error::VersionFile(e) => e,
            Error::Changelog(e) => e,
            Error::Io(_) | Error::Json(_) => return None,
        })
    }

    pub fn exit_class(&self) -> ExitClass {
        self.diagnosed()
            .map_or(ExitClass::Problems, Diagnose::exit_class)
    }

    pub fn hint(&self) -> Option<String> {
        self.diagnosed().and_then(Diagnose::hint)
    }

    /// The error under the context callers added.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            other => other,
        }
    }

    /// Adds what was being done when the error happened.
    pub fn context(self, context: impl Display) -> Error {
        Error::Context {
            context: context.to_string(),
            source: Box::new(self),
        }
    }
}

/// `.context(...)` on any result whose error the library knows.
pub trait ResultExt<T> {
    fn context(self, context: impl Display) -> Result<T>;
    fn with_context<D: Display>(self, context: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl Display) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }
    fn with_context<D: Display>(self, context: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| e.into().context(context()))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_class_and_hint_of_the_error_under_it() {
        let error: Error = UsageError {
            message: "no requirements".into(),
            hint: "name some".into(),
        }
        .into();
        let error = error.context("building the wheelhouse").context("running");
        assert_eq!(error.to_string(), "running");
        assert_eq!(error.exit_class(), ExitClass::Usage);
        assert_eq!(error.hint().as_deref(), Some("name some"));
        let chain: Vec<String> =
            std::iter::successors(std::error::Error::source(&error), |e| e.source())
                .map(ToString::to_string)
                .collect();
        assert_eq!(chain, ["building the wheelhouse", "no requirements"]);
    }

    #[test]
    fn an_io_error_is_a_problem_without_a_hint() {
        let error: Error = std::io::Error::other("disk full").into();
        assert_eq!(error.exit_class(), ExitClass::Problems);
        assert_eq!(error.hint(), None);
    }
}
