//! `manifest.json`: the spine of a wheelhouse. Every later stage (SBOM,
//! scan, policy, bundle, verify) reads it, and `verify` recomputes it from
//! the bytes. Sorted and free of timestamps, so the same inputs give the
//! same bytes.
//!
//! The bottom of the import graph: the types and their JSON form only,
//! built on std and serde. Whoever produces or consumes a manifest imports
//! this module, never the other way round.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The manifest format's version; bumped on incompatible changes.
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "chiron wheelhouse manifest")]
pub struct Manifest {
    pub manifest_version: u32,
    pub tool: Tool,
    pub inputs: Inputs,
    /// The targets served: each has its requirements file.
    pub targets: Vec<ManifestTarget>,
    /// The declared targets that are not served (built with `--allow-gaps`
    /// or `[targets] on-gap = "skip"`), sorted by name: none has a
    /// requirements file. Absent when every target is served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<TargetGap>,
    /// One entry per package version, sorted by name then version.
    pub packages: Vec<ManifestPackage>,
    /// One entry per file in the wheelhouse, sorted by file name.
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// sha256 of everything that decides the resolution (requirements,
    /// constraints, targets, indexes, options), in a canonical form.
    pub fingerprint: String,
    /// The input files and their sha256.
    pub files: Vec<InputFile>,
    /// Requirements as resolved, after reading all inputs.
    pub requirements: Vec<String>,
    pub constraints: Vec<String>,
    /// Index URLs (credentials removed) and find-links sources.
    pub indexes: Vec<String>,
    pub find_links: Vec<String>,
    pub allow_prereleases: bool,
    pub exclude_newer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestTarget {
    /// `3.12-linux-x86_64`.
    pub name: String,
    pub python: String,
    pub platform: String,
    /// The hash-pinned requirements file for this target.
    pub requirements_file: String,
    /// The platform tags this target accepts, most preferred first.
    pub platform_tags: Vec<String>,
}

/// A declared target the wheelhouse does not serve, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetGap {
    /// `3.12-macos-arm64`.
    pub name: String,
    pub python: String,
    pub platform: String,
    /// The platform tags this target accepts, most preferred first.
    pub platform_tags: Vec<String>,
    /// Why it cannot be served: the resolver's explanation.
    pub reason: String,
    /// What to change so that it can be.
    pub hint: String,
    /// The packages that have no wheel for this target; empty when its
    /// requirements conflict for another reason.
    pub packages: Vec<MissingWheel>,
}

/// A package a target cannot install, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingWheel {
    /// The package, as the index names it.
    pub package: String,
    /// What the index has instead, in words.
    pub reason: String,
    /// The exact change that would give the target a wheel, or what to do
    /// when none would.
    pub hint: String,
    /// The wheels the newest matching version does publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<Offer>,
}

/// The wheels one version publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub version: String,
    /// Python tags of its wheels (`cp312`, `py3`), sorted.
    pub python_tags: Vec<String>,
    /// Platform tags of its wheels (`macosx_12_0_arm64`, `any`), sorted.
    pub platform_tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestPackage {
    pub name: String,
    pub version: String,
    /// PEP 639 `License-Expression`, else the `License` field when short.
    pub license: Option<String>,
    pub summary: Option<String>,
    /// The authors' names from the core metadata (no e-mail addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authors: Option<String>,
    pub requires_dist: Vec<String>,
    /// Target name to how that target uses this package.
    pub targets: BTreeMap<String, PackageUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageUse {
    /// The file this target installs.
    pub file: String,
    /// `direct`, or the packages that require it on this target.
    pub required_by: Vec<String>,
    /// Extras active on this target.
    pub extras: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    /// Where it was downloaded from, credentials removed.
    pub url: String,
    /// The index or find-links source that listed it.
    pub index: String,
    pub yanked: bool,
    pub targets: Vec<String>,
    /// When the index received the file (PEP 700), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_time: Option<String>,
}

impl Manifest {
    /// Stable, pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a manifest always serialises");
        text.push('\n');
        text
    }
}

/// The JSON Schema of `manifest.json`, as committed in `schemas/`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Manifest);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}
