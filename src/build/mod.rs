//! `chiron build`: the project's own sdist and wheels, built by its PEP 517
//! backend in an isolated environment installed from a hash-pinned build
//! lock, reproducibly, with the artifacts a release needs beside them.
//!
//! - [`system`]: the project's `[build-system]`;
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
pub mod normalize;
pub mod record;

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
