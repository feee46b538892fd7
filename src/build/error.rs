//! Any error of a build: the parts' errors gathered, each with its hint.

use std::path::PathBuf;

use super::{artifacts, compare, env, hooks, lock, normalize, repair, source, system};

/// Any error of a build, each with its own hint.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    System(#[from] system::SystemError),
    #[error(transparent)]
    Lock(#[from] lock::BuildLockError),
    #[error(transparent)]
    Env(#[from] env::EnvError),
    #[error(transparent)]
    Hook(#[from] hooks::HookError),
    #[error(transparent)]
    Source(#[from] source::SourceError),
    #[error(transparent)]
    Repair(#[from] repair::RepairError),
    #[error(transparent)]
    Normalize(#[from] normalize::NormalizeError),
    #[error(transparent)]
    Compare(#[from] compare::CompareError),
    #[error(transparent)]
    Artifact(#[from] artifacts::ArtifactError),
    #[error("{} lacks what the build needs: {} (--no-isolation installs nothing)", python.display(), unmet.join(", "))]
    MissingInEnvironment { python: PathBuf, unmet: Vec<String> },
    #[error("{what} is for a Python project folder; {} is not one", path.display())]
    NotAFolder { what: &'static str, path: PathBuf },
    #[error(
        "SOURCE_DATE_EPOCH={value} is outside what a wheel can hold (1980 to 2107 in a zip; a negative time is none)"
    )]
    Epoch { value: i64 },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the backend made {} but no {expected}", made.display())]
    WrongKind {
        made: PathBuf,
        expected: &'static str,
    },
}

impl crate::error::Diagnose for BuildError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        match self {
            BuildError::System(e) => e.exit_class(),
            BuildError::Lock(e) => e.exit_class(),
            BuildError::Env(e) => e.exit_class(),
            BuildError::Hook(e) => e.exit_class(),
            BuildError::Source(e) => e.exit_class(),
            BuildError::Repair(e) => e.exit_class(),
            BuildError::Normalize(e) => e.exit_class(),
            BuildError::Compare(e) => e.exit_class(),
            BuildError::Artifact(e) => e.exit_class(),
            BuildError::NotAFolder { .. } | BuildError::Epoch { .. } => ExitClass::Usage,
            BuildError::MissingInEnvironment { .. }
            | BuildError::Write { .. }
            | BuildError::WrongKind { .. } => ExitClass::Problems,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            BuildError::System(e) => e.hint(),
            BuildError::Lock(e) => e.hint(),
            BuildError::Env(e) => e.hint(),
            BuildError::Hook(e) => e.hint(),
            BuildError::Source(e) => e.hint(),
            BuildError::Repair(e) => e.hint(),
            BuildError::Normalize(e) => e.hint(),
            BuildError::Compare(e) => e.hint(),
            BuildError::Artifact(e) => e.hint(),
            BuildError::MissingInEnvironment { .. } => {
                Some("install them into the interpreter, or build without --no-isolation".into())
            }
            BuildError::NotAFolder { .. } => {
                Some("pass the project's folder (the one with pyproject.toml)".into())
            }
            BuildError::Epoch { .. } => Some(
                "set SOURCE_DATE_EPOCH to seconds since 1970 (git log -1 --format=%ct), or unset it".into(),
            ),
            BuildError::Write { .. } => {
                Some("check the output folder's permissions and free space".into())
            }
            BuildError::WrongKind { .. } => {
                Some("the backend does not follow PEP 517; try another version of it".into())
            }
        }
    }
}
