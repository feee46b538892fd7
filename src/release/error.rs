//! What stops a release plan: configuration that names nothing usable,
//! versions that disagree, and the state of the repository that
//! `--execute` refuses.

use std::path::PathBuf;

use crate::diagnose::{Diagnose, ExitClass};

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("the tag pattern `{pattern}` is not usable: {reason}")]
    TagPattern { pattern: String, reason: String },
    #[error(
        "no package `{name}` here: this project is `{project}`, and no [[release.package]] is configured"
    )]
    NotThisProject { name: String, project: String },
    #[error("no package `{name}` in [[release.package]] (known: {known})")]
    UnknownPackage { name: String, known: String },
    #[error("{what} {} is outside the package's folder or the repository", path.display())]
    Outside { what: String, path: PathBuf },
    #[error("{}: the package `{name}` has no pyproject.toml", path.display())]
    NoPyproject { name: String, path: PathBuf },
    #[error("{}: cannot read: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: [project] has no version, and `version` is not in `dynamic`", path.display())]
    NoVersion { path: PathBuf },
    #[error("{}: the version `{text}` is not a PEP 440 version", path.display())]
    BadVersion { path: PathBuf, text: String },
    #[error("{file} says {found}, but {reference} says {expected}")]
    VersionsDisagree {
        file: String,
        found: String,
        reference: String,
        expected: String,
    },
    #[error("--version `{text}` is not a PEP 440 version")]
    OverrideVersion { text: String },
    #[error("--version names one version, but {count} packages would be released")]
    OverrideNeedsOnePackage { count: usize },
    #[error("--pre `{text}` is not a pre-release kind: a, b or rc")]
    PreKind { text: String },
    #[error("{}: {message}", path.display())]
    Changelog { path: PathBuf, message: String },
    #[error("{}: cannot read the changelog template: {message}", path.display())]
    Template { path: PathBuf, message: String },
    #[error("{} commit(s) are not Conventional Commits (--strict): {list}", count)]
    NotConventional { count: usize, list: String },
    #[error("the release would tag `{tag}`, which exists already")]
    TagExists { tag: String },
    #[error("git does not ignore the release folder {}", path.display())]
    OutputNotIgnored { path: PathBuf },
    #[error("{package} has no committed build lock in {}", dir.display())]
    NoBuildLock { package: String, dir: PathBuf },
    #[error("{}: the clone is shallow, and its history stops before the last release: {message}", repo.display())]
    Shallow { repo: PathBuf, message: String },
    #[error("{}: the working tree has changes: {}", repo.display(), paths.join(", "))]
    Dirty { repo: PathBuf, paths: Vec<String> },
    #[error("{}: HEAD is detached at {commit}", repo.display())]
    Detached { repo: PathBuf, commit: String },
    #[error("{}: the branch `{branch}` has no commits yet", repo.display())]
    Unborn { repo: PathBuf, branch: String },
    #[error("releases are made from {allowed}, not from the branch `{branch}`")]
    Branch { branch: String, allowed: String },
    #[error("{}: could not write: {message}", path.display())]
    Write { path: PathBuf, message: String },
    #[error("the built {file} says version {found}, but the release is {expected}")]
    BuiltVersion {
        file: String,
        found: String,
        expected: String,
    },
    #[error("the two builds of {package} differ: the release is not reproducible")]
    NotReproducible { package: String },
    #[error("the policy gate failed for {package}: {summary}")]
    Gate { package: String, summary: String },
}

impl Diagnose for ReleaseError {
    fn exit_class(&self) -> ExitClass {
        match self {
            ReleaseError::Read { .. }
            | ReleaseError::Write { .. }
            | ReleaseError::BuiltVersion { .. }
            | ReleaseError::Gate { .. }
            | ReleaseError::NotReproducible { .. } => ExitClass::Problems,
            _ => ExitClass::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            ReleaseError::TagPattern { .. } => {
                "write it like `v{version}` or `{name}-v{version}`".into()
            }
            ReleaseError::NotThisProject { .. } => {
                "leave out --package, or list the packages of a monorepo as [[release.package]]".into()
            }
            ReleaseError::UnknownPackage { .. } => {
                "name a package as [[release.package]] name spells it".into()
            }
            ReleaseError::Outside { .. } => {
                "paths in [release] are relative to the package's folder and stay inside it (no `..`, not absolute)".into()
            }
            ReleaseError::NoPyproject { .. } => {
                "[[release.package]] path is the folder holding the package's pyproject.toml".into()
            }
            ReleaseError::NoVersion { .. } => {
                "set [project] version, or list it in `dynamic` with setuptools-scm or hatch-vcs"
                    .into()
            }
            ReleaseError::BadVersion { .. } | ReleaseError::OverrideVersion { .. } => {
                "versions are PEP 440: 1.3.0, 1.3.0rc1, 2.0.0b2".into()
            }
            ReleaseError::VersionsDisagree { .. } => {
                "set every file that carries the version to the last release's version, then run again".into()
            }
            ReleaseError::OverrideNeedsOnePackage { .. } => {
                "choose the package with --package NAME".into()
            }
            ReleaseError::PreKind { .. } => "--pre rc gives 1.3.0rc1, then 1.3.0rc2".into(),
            ReleaseError::NotConventional { .. } => {
                "write commits as `type(scope): description`, or drop --strict to ignore them"
                    .into()
            }
            ReleaseError::Changelog { .. } => {
                "release a new version, or remove that section from the changelog first".into()
            }
            ReleaseError::TagExists { .. } => {
                "the version was released already: check `git tag`, or choose --version".into()
            }
            ReleaseError::OutputNotIgnored { .. } => {
                "add it to .gitignore: a backend such as hatchling packs every file git does not ignore, earlier releases included, into the sdist".into()
            }
            ReleaseError::NoBuildLock { .. } => {
                "run `chiron build` there once and commit build-requirements.txt and pylock.build.toml: the release then builds from the same pinned wheels and leaves the tree clean".into()
            }
            ReleaseError::Shallow { .. } => {
                "fetch the whole history: `git fetch --unshallow --tags` (in GitHub Actions, `fetch-depth: 0` on actions/checkout)".into()
            }
            ReleaseError::Dirty { .. } => {
                "commit or stash the changes (`git stash -u`), then run again".into()
            }
            ReleaseError::Detached { .. } => {
                "check out a release branch: `git switch main`".into()
            }
            ReleaseError::Unborn { .. } => "commit the project first".into(),
            ReleaseError::Branch { .. } => {
                "switch to a release branch, or add this one to [release] branches".into()
            }
            ReleaseError::BuiltVersion { .. } => {
                "the build backend takes its version elsewhere: check [project] version or the setuptools-scm/hatch-vcs settings".into()
            }
            ReleaseError::Gate { .. } => {
                "fix what the policy report names (`chiron policy check pylock.toml` shows it), then run again"
                    .into()
            }
            ReleaseError::NotReproducible { .. } => {
                "`chiron build --check` names each difference; --no-check releases anyway".into()
            }
            ReleaseError::Template { .. }
            | ReleaseError::Read { .. }
            | ReleaseError::Write { .. } => return None,
        })
    }
}
