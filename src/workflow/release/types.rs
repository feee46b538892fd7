//! The plan of a release as `chiron release` shows it and `--execute`
//! carries it out.

use std::path::PathBuf;

use serde::Serialize;

use crate::release::ReleaseError;
use crate::release::git::Commit;

/// What the caller asked of `chiron release`.
#[derive(Debug, Clone, Default)]
pub struct ReleaseRequest {
    /// `--package`: only these packages (default: every package with
    /// releasable commits).
    pub packages: Vec<String>,
    /// `--pre a|b|rc`.
    pub pre: Option<String>,
    /// `--version`: this version rather than the computed one.
    pub version: Option<String>,
    /// `--strict`: commits that are not Conventional Commits are an error.
    pub strict: bool,
}

/// A commit as the plan counts it for one package.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedCommit {
    pub id: String,
    pub summary: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub breaking: bool,
    /// How much it bumps (`none`, `patch`, `minor`, `major`).
    pub bump: &'static str,
}

/// A commit that is not a Conventional Commit: listed, and ignored for the
/// bump.
#[derive(Debug, Clone, Serialize)]
pub struct IgnoredCommit {
    pub id: String,
    pub summary: String,
    pub reason: String,
}

/// A file the release changes.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// Relative to the repository.
    pub path: String,
    /// `project.version`, `__version__`, or `changelog`.
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The complete new content (not shown in the plan).
    #[serde(skip)]
    pub content: String,
}

/// Where a package's version lives.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum VersionSource {
    /// `[project] version`, kept in step with the other version files.
    Static,
    /// `dynamic = ["version"]`: the tag carries it (setuptools-scm,
    /// hatch-vcs, ...), and the built wheel's version is checked.
    Dynamic { backend: String },
}

/// One package's part of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PackagePlan {
    pub name: String,
    /// Its folder, relative to the repository (`.` for the root).
    pub path: String,
    pub version_source: VersionSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_tag: Option<String>,
    /// The last release (or the version file's version when there is no
    /// tag yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_version: Option<String>,
    /// `None`: nothing to release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bump: Option<&'static str>,
    pub commits: Vec<PlannedCommit>,
    pub ignored: Vec<IgnoredCommit>,
    /// The new changelog section (empty when nothing is released).
    pub changelog: String,
    pub files: Vec<FileChange>,
    /// Its folder, absolute (for the build).
    #[serde(skip)]
    pub dir: PathBuf,
}

/// Why `--execute` would stop before changing anything.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub message: String,
    pub hint: String,
    #[serde(skip)]
    pub(super) kind: RefusalKind,
}

#[derive(Debug, Clone)]
pub(super) enum RefusalKind {
    Dirty(Vec<String>),
    Detached(String),
    Unborn(String),
    Branch { branch: String, allowed: String },
    TagExists(String),
    OutputNotIgnored(PathBuf),
    NoBuildLock(String),
}

/// The whole plan: what `chiron release` prints, and what `--execute`
/// carries out.
#[derive(Debug, Clone, Serialize)]
pub struct ReleasePlan {
    pub repository: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub packages: Vec<PackagePlan>,
    /// The release commit's message, when files change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
    pub tags: Vec<String>,
    pub refusals: Vec<Refusal>,
}

impl ReleasePlan {
    /// The packages that would be released.
    pub fn releasing(&self) -> impl Iterator<Item = &PackagePlan> {
        self.packages.iter().filter(|p| p.next_version.is_some())
    }

    /// Whether a refusal is about the repository's state (HEAD, branch,
    /// working tree) rather than about what would be released.
    pub fn refuses_state(&self) -> bool {
        self.refusals.iter().any(|r| {
            matches!(
                r.kind,
                RefusalKind::Dirty(_)
                    | RefusalKind::Detached(_)
                    | RefusalKind::Unborn(_)
                    | RefusalKind::Branch { .. }
            )
        })
    }

    /// The first refusal, as an error.
    pub fn refusal(&self) -> Option<ReleaseError> {
        let refusal = self.refusals.first()?;
        let repo = self.repository.clone();
        Some(match &refusal.kind {
            RefusalKind::Dirty(paths) => ReleaseError::Dirty {
                repo,
                paths: paths.clone(),
            },
            RefusalKind::Detached(commit) => ReleaseError::Detached {
                repo,
                commit: commit.clone(),
            },
            RefusalKind::Unborn(branch) => ReleaseError::Unborn {
                repo,
                branch: branch.clone(),
            },
            RefusalKind::Branch { branch, allowed } => ReleaseError::Branch {
                branch: branch.clone(),
                allowed: allowed.clone(),
            },
            RefusalKind::TagExists(tag) => ReleaseError::TagExists { tag: tag.clone() },
            RefusalKind::OutputNotIgnored(path) => {
                ReleaseError::OutputNotIgnored { path: path.clone() }
            }
            RefusalKind::NoBuildLock(package) => ReleaseError::NoBuildLock {
                package: package.clone(),
                dir: self
                    .packages
                    .iter()
                    .find(|p| &p.name == package)
                    .map(|p| p.dir.clone())
                    .unwrap_or_default(),
            },
        })
    }
}

/// The first line of a commit message.
pub(super) fn summary(commit: &Commit) -> String {
    commit
        .message
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

pub(super) fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}
