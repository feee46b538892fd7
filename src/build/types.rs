//! The build's shared types, at the bottom of `build/`: every part
//! imports them from here, none from `build`'s root.

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
