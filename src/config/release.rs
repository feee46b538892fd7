//! `[release]`: how `chiron release` finds the last release, bumps, writes
//! the changelog and where it allows releasing from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much a commit type moves the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BumpLevel {
    /// Listed in the changelog, but no release on its own.
    None,
    Patch,
    Minor,
    Major,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseConfig {
    /// Branches a release may be made from (`*` matches any run of
    /// characters but `/`: `release/*`).
    pub branches: Vec<String>,
    /// The tag of a release; `{version}` (and `{name}`, the package's
    /// name) are replaced.
    pub tag_pattern: String,
    /// How much each Conventional Commits type bumps, over the defaults
    /// (`feat` minor, `fix` and `perf` patch, every other type none).
    pub bump_types: BTreeMap<String, BumpLevel>,
    /// Whether a breaking change below 1.0 bumps the major (1.0.0) rather
    /// than the minor.
    pub major_on_zero: bool,
    /// The changelog the new section is prepended to, relative to the
    /// package's folder; empty: no changelog.
    pub changelog: PathBuf,
    /// A minijinja template of the changelog section (default: Keep a
    /// Changelog style, built in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changelog_template: Option<PathBuf>,
    /// The repository's web address, for commit, issue and compare links
    /// (`https://github.com/OWNER/REPO`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    /// Other files that carry the version, as `PATH:VARIABLE`
    /// (`src/pkg/__init__.py:__version__`,
    /// `pyproject.toml:tool.poetry.version`), relative to the package's
    /// folder. `[project] version` is always kept in step when static.
    pub version_files: Vec<String>,
    /// The release commit's message; `{tags}` is replaced by the tags made.
    pub commit_message: String,
    /// Where each release's distributions and artifacts go:
    /// `OUTPUT/VERSION/` (`OUTPUT/NAME/VERSION/` for `[[release.package]]`).
    pub output: PathBuf,
    /// The packages of a monorepo, each with its own version, changelog and
    /// tag; empty: the project itself is the one package.
    #[serde(rename = "package")]
    pub packages: Vec<ReleasePackage>,
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        Self {
            branches: vec!["main".into(), "master".into()],
            tag_pattern: "v{version}".into(),
            bump_types: BTreeMap::new(),
            major_on_zero: false,
            changelog: PathBuf::from("CHANGELOG.md"),
            changelog_template: None,
            repository_url: None,
            version_files: Vec::new(),
            commit_message: "chore(release): {tags}".into(),
            output: PathBuf::from("release"),
            packages: Vec::new(),
        }
    }
}

/// One package of a monorepo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleasePackage {
    /// The package's name, as a commit scope names it.
    pub name: String,
    /// Its folder (holding its pyproject.toml), relative to the
    /// configuration file: a commit touching it counts for the package.
    pub path: PathBuf,
    /// Its tag (default `{name}-v{version}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_pattern: Option<String>,
    /// Other files carrying its version, relative to its folder.
    #[serde(default)]
    pub version_files: Vec<String>,
    /// Its changelog, relative to its folder (default: `[release]
    /// changelog`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changelog: Option<PathBuf>,
}
