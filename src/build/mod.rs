//! `chiron build`: the project's own sdist and wheels, built by its PEP 517
//! backend in an isolated environment installed from a hash-pinned build
//! lock, reproducibly, with the artifacts a release needs beside them.
//!
//! - [`system`]: the project's `[build-system]`;
//! - [`lock`]: the build requirements, hash-pinned, and their wheels;
//! - [`env`]: the isolated environment installed from the build lock;
//! - [`hooks`]: calling the backend's PEP 517 hooks;
//! - [`source`]: git state, the build time, copies and unpacked sdists;
//! - [`normalize`]: removes what a backend leaves nondeterministic without
//!   meaning (entry order, timestamps, attributes), keeping RECORD true;
//! - [`compare`]: a wheel-aware and sdist-aware report of every difference
//!   between two builds (`--check`, `--compare`);
//! - [`archive`] and [`record`]: wheels and sdists read within bounds, and
//!   a wheel's RECORD, for the two above;
//! - [`artifacts`]: `SHA256SUMS`, an SBOM per wheel, signatures and an
//!   SLSA provenance statement in `dist/`.

pub mod archive;
pub mod artifacts;
pub mod compare;
pub mod env;
pub mod hooks;
pub mod lock;
pub mod normalize;
pub mod record;
pub mod repair;
pub mod source;
pub mod system;

use std::path::PathBuf;

use crate::digest::Sha256;
use crate::python::NormalizedName;

/// One pinned build dependency as the build lock records it: what was
/// installed into the isolated build environment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildDependency {
    pub name: NormalizedName,
    pub version: String,
    /// The wheel's file name.
    pub filename: String,
    pub sha256: Sha256,
    /// Where it came from (credentials removed); empty when unknown.
    pub url: String,
}

/// What a build made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistKind {
    Wheel,
    Sdist,
}

/// One file a build made, in the output folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuiltFile {
    pub path: PathBuf,
    pub kind: DistKind,
    pub sha256: Sha256,
    pub size: u64,
}

/// Where the built source came from, for the provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceInfo {
    /// The project's name and version, as the built metadata says.
    pub name: String,
    pub version: String,
    /// `git rev-parse HEAD` of the project folder, when it is a checkout.
    pub commit: Option<String>,
    /// The repository's `origin` URL (credentials removed), when known.
    pub repository: Option<String>,
    /// Whether the checkout had uncommitted changes.
    pub dirty: bool,
    /// SOURCE_DATE_EPOCH the build ran with.
    pub epoch: u64,
}

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
    #[error("the build requirements the backend asked for ({}) are not in the build lock, and --no-isolation installs nothing", unmet.join(", "))]
    MissingInEnvironment { unmet: Vec<String> },
    #[error("{what} is for a Python project folder; {} is not one", path.display())]
    NotAFolder { what: &'static str, path: PathBuf },
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
            BuildError::NotAFolder { .. } => ExitClass::Usage,
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
            BuildError::Write { .. } => {
                Some("check the output folder's permissions and free space".into())
            }
            BuildError::WrongKind { .. } => {
                Some("the backend does not follow PEP 517; try another version of it".into())
            }
        }
    }
}
