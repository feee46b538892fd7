//! One package's plan: its tags, the commits that count for it, its next
//! version, its changelog section and the files that carry its version.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;

use super::types::{FileChange, IgnoredCommit, PackagePlan, PlannedCommit, VersionSource, summary};
use crate::config::BumpLevel;
use crate::error::Result;
use crate::release::ReleaseError;
use crate::release::changelog;
use crate::release::commits::{self, Conventional};
use crate::release::git::{Commit, Head, Repo, Tag};
use crate::release::tags::TagPattern;
use crate::release::version::{self, Bump, BumpRules, PreKind};
use crate::release::version_files::{self, Locator, ProjectVersion, Scm, VersionFile};
use crate::workflow::Workspace;

/// A package as the configuration names it.
pub(super) struct PackageSpec {
    name: String,
    dir: PathBuf,
    /// Repository-relative folder, `""` for the root.
    rel: String,
    pattern: TagPattern,
    version_files: Vec<String>,
    changelog: Option<PathBuf>,
}

/// The packages to plan: `[[release.package]]` (those named by
/// `--package`), else the project itself.
pub(super) fn specs(ws: &Workspace, workdir: &Path, only: &[String]) -> Result<Vec<PackageSpec>> {
    let release = &ws.config.config.release;
    let mut specs = Vec::new();
    if release.packages.is_empty() {
        let name = ws.project_name();
        if let Some(other) = only
            .iter()
            .find(|o| crate::python::normalize(o) != crate::python::normalize(&name))
        {
            return Err(ReleaseError::NotThisProject {
                name: other.clone(),
                project: name,
            }
            .into());
        }
        let dir = ws.config.root.clone();
        specs.push(spec(
            ws,
            workdir,
            &name,
            dir,
            &release.tag_pattern,
            &release.version_files,
            None,
        )?);
        return Ok(specs);
    }
    let known: Vec<String> = release.packages.iter().map(|p| p.name.clone()).collect();
    check_known(only, &known)?;
    for package in &release.packages {
        let wanted = only.is_empty()
            || only
                .iter()
                .any(|o| crate::python::normalize(o) == crate::python::normalize(&package.name));
        if !wanted {
            continue;
        }
        let pattern = package
            .tag_pattern
            .as_deref()
            .unwrap_or("{name}-v{version}");
        let dir = ws.config.resolve(&package.path);
        specs.push(spec(
            ws,
            workdir,
            &package.name,
            dir,
            pattern,
            &package.version_files,
            package.changelog.as_deref(),
        )?);
    }
    Ok(specs)
}

/// A path of the configuration that must stay inside the package's folder
/// (and so inside the repository): relative, without `..`.
fn inside_package(path: &Path, what: &str) -> Result<()> {
    let escapes = path.components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir
                | std::path::Component::RootDir
                | std::path::Component::Prefix(_)
        )
    });
    if escapes {
        return Err(ReleaseError::Outside {
            what: what.to_string(),
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(())
}

fn check_known(only: &[String], known: &[String]) -> Result<()> {
    for name in only {
        let found = known
            .iter()
            .any(|k| crate::python::normalize(k) == crate::python::normalize(name));
        if !found {
            return Err(ReleaseError::UnknownPackage {
                name: name.clone(),
                known: known.join(", "),
            }
            .into());
        }
    }
    Ok(())
}

fn spec(
    ws: &Workspace,
    workdir: &Path,
    name: &str,
    dir: PathBuf,
    pattern: &str,
    version_files: &[String],
    changelog: Option<&Path>,
) -> Result<PackageSpec> {
    let rel = dir
        .strip_prefix(workdir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .map_err(|_| ReleaseError::Outside {
            what: format!("the package `{name}`'s folder"),
            path: dir.clone(),
        })?;
    let changelog = changelog.unwrap_or(&ws.config.config.release.changelog);
    inside_package(changelog, "the changelog")?;
    Ok(PackageSpec {
        name: name.to_string(),
        pattern: TagPattern::new(pattern, name)?,
        version_files: version_files.to_vec(),
        changelog: (!changelog.as_os_str().is_empty()).then(|| dir.join(changelog)),
        dir,
        rel,
    })
}

/// `[release] changelog-template`, read.
pub(super) fn template(ws: &Workspace) -> Result<Option<(PathBuf, String)>> {
    let Some(path) = &ws.config.config.release.changelog_template else {
        return Ok(None);
    };
    let path = ws.config.resolve(path);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(e) => Err({
            ReleaseError::Template {
                path,
                message: e.to_string(),
            }
            .into()
        }),
    }
}

pub(super) fn bump_of_level(level: BumpLevel) -> Option<Bump> {
    match level {
        BumpLevel::None => None,
        BumpLevel::Patch => Some(Bump::Patch),
        BumpLevel::Minor => Some(Bump::Minor),
        BumpLevel::Major => Some(Bump::Major),
    }
}

fn bump_name(bump: Option<Bump>) -> &'static str {
    match bump {
        None => "none",
        Some(Bump::Patch) => "patch",
        Some(Bump::Minor) => "minor",
        Some(Bump::Major) => "major",
    }
}

/// What every package's plan reads.
pub(super) struct PlanContext<'a> {
    pub ws: &'a Workspace<'a>,
    pub state: &'a RepoState,
    pub rules: &'a BumpRules,
    pub pre: Option<PreKind>,
    pub template: Option<(&'a Path, &'a str)>,
}

/// A package's releases so far.
struct History {
    last: Option<(String, Version, String)>,
    last_final: Option<(String, Version, String)>,
}

/// The package's version as its files say.
struct Current {
    source: VersionSource,
    version: Option<Version>,
    files: Vec<Carrier>,
}

/// A file that carries the version, as read.
struct Carrier {
    path: PathBuf,
    /// `project.version`, `__version__`, ...
    what: String,
    file: VersionFile,
    text: String,
    found: String,
}

impl Carrier {
    fn read(spec: &PackageSpec, file: VersionFile) -> Result<Carrier> {
        let path = spec.dir.join(&file.path);
        let text = read(&path)?;
        let found = file.read(&text)?;
        let what = match &file.locator {
            Locator::TomlKey(keys) => keys.join("."),
            Locator::Assignment(name) => name.clone(),
        };
        Ok(Carrier {
            path,
            what,
            file,
            text,
            found,
        })
    }
}

/// Every version file must hold the version `[project] version` holds
/// (or, for a dynamic version, the same as each other).
fn check_agree(files: &[Carrier], version: Option<&Version>) -> Result<()> {
    let Some(first) = files.first() else {
        return Ok(());
    };
    let reference = version.map(|v| v.to_string());
    let same = |found: &str| match (&reference, Version::from_str(found)) {
        (Some(_), Ok(v)) => Some(&v) == version,
        (None, _) => found == first.found,
        _ => false,
    };
    for carrier in files {
        if !same(&carrier.found) {
            return Err(ReleaseError::VersionsDisagree {
                file: format!("{} ({})", carrier.path.display(), carrier.what),
                found: carrier.found.clone(),
                reference: format!("{} ({})", first.path.display(), first.what),
                expected: reference.clone().unwrap_or_else(|| first.found.clone()),
            }
            .into());
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        ReleaseError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
        .into()
    })
}

fn scm_name(scm: Option<Scm>) -> &'static str {
    match scm {
        Some(Scm::SetuptoolsScm) => "setuptools-scm",
        Some(Scm::HatchVcs) => "hatch-vcs",
        Some(Scm::PdmBackend) => "pdm-backend",
        None => "the build backend",
    }
}

/// What a package's plan is assembled from.
struct Found {
    history: History,
    current: Current,
    /// The last final release, which a breaking change's bump depends on.
    base: Option<Version>,
    next: Option<Version>,
    bump: Option<Bump>,
    since_final: Counted,
    since_last: Counted,
}

impl Found {
    /// The last release: the newest tag, else the version files' version.
    fn last(&self) -> Option<Version> {
        self.history
            .last
            .as_ref()
            .map(|l| l.1.clone())
            .or_else(|| self.current.version.clone())
    }

    /// The last final release (no pre-release suffix).
    fn last_final(&self) -> Option<Version> {
        self.history
            .last_final
            .as_ref()
            .map(|l| l.1.clone())
            .or_else(|| self.current.version.clone().filter(|v| !v.any_prerelease()))
    }
}

/// The commits since a release, parsed and filtered for one package.
struct Counted {
    commits: Vec<(Commit, Conventional)>,
    ignored: Vec<IgnoredCommit>,
}

impl PlanContext<'_> {
    /// The package's plan with the version computed from its commits.
    pub(super) fn plan(&self, spec: &PackageSpec) -> Result<PackagePlan> {
        let mut found = self.gather(spec)?;
        let (last, last_final) = (found.last(), found.last_final());
        let nothing_new = found.since_last.commits.is_empty()
            && last
                .as_ref()
                .is_some_and(|l| !l.any_prerelease() || self.pre.is_some());
        found.next = if nothing_new {
            None
        } else {
            version::next_version(last_final.as_ref(), last.as_ref(), found.bump, self.pre)?
        };
        self.assemble(spec, found)
    }

    /// The package's plan for a version the caller chose.
    pub(super) fn plan_version(&self, spec: &PackageSpec, wanted: &Version) -> Result<PackagePlan> {
        let mut found = self.gather(spec)?;
        // With no tag yet, the version files' version itself may be the
        // first release (`--version 0.1.0` on a new project at 0.1.0).
        let first = found.history.last.is_none() && found.current.version.as_ref() == Some(wanted);
        let last = if first { None } else { found.last() };
        version::check_override(last.as_ref(), wanted)?;
        found.next = Some(wanted.clone());
        found.bump = None;
        self.assemble(spec, found)
    }

    /// The package's releases, files and commits, and the bump they make.
    fn gather(&self, spec: &PackageSpec) -> Result<Found> {
        let history = self.history(spec)?;
        let current = self.current(spec)?;
        let since_final = self.counted(spec, history.last_final.as_ref().map(|l| l.2.as_str()))?;
        let since_last = self.counted(spec, history.last.as_ref().map(|l| l.2.as_str()))?;
        let mut found = Found {
            history,
            current,
            base: None,
            next: None,
            bump: None,
            since_final,
            since_last,
        };
        found.base = found.last_final();
        found.bump = found
            .since_final
            .commits
            .iter()
            .filter_map(|(_, c)| self.rules.bump_for(c, found.base.as_ref()))
            .max();
        Ok(found)
    }

    fn assemble(&self, spec: &PackageSpec, found: Found) -> Result<PackagePlan> {
        let Found {
            history,
            current,
            base,
            next,
            bump,
            since_final,
            since_last,
        } = found;
        let tag = next.as_ref().map(|v| spec.pattern.tag(v));
        let mut files = Vec::new();
        let mut section = String::new();
        if let (Some(next), Some(tag)) = (&next, &tag) {
            files = self.version_changes(&current, next)?;
            let listed = if next.any_prerelease() {
                &since_last
            } else {
                &since_final
            };
            let previous = if next.any_prerelease() {
                history.last.as_ref()
            } else {
                history.last_final.as_ref()
            };
            section = self.section(next, tag, previous.map(|p| p.0.as_str()), listed)?;
            if let Some(change) = self.changelog_change(spec, next, &section)? {
                files.push(change);
            }
        }
        Ok(PackagePlan {
            name: spec.name.clone(),
            path: if spec.rel.is_empty() {
                ".".into()
            } else {
                spec.rel.clone()
            },
            version_source: current.source,
            last_tag: history.last.as_ref().map(|l| l.0.clone()),
            last_version: history
                .last
                .as_ref()
                .map(|l| l.1.to_string())
                .or(current.version.map(|v| v.to_string())),
            next_version: next.map(|v| v.to_string()),
            tag,
            bump: bump.map(Some).map(bump_name),
            commits: since_final
                .commits
                .iter()
                .map(|(commit, c)| PlannedCommit {
                    id: commit.id.clone(),
                    summary: summary(commit),
                    kind: c.kind.clone(),
                    scope: c.scope.clone(),
                    breaking: c.breaking,
                    bump: bump_name(self.rules.bump_for(c, base.as_ref())),
                })
                .collect(),
            ignored: since_final.ignored,
            changelog: section,
            files,
            dir: spec.dir.clone(),
        })
    }

    /// The package's tags reachable from HEAD: the last one, and the last
    /// final one.
    fn history(&self, spec: &PackageSpec) -> Result<History> {
        let head = match &self.state.head {
            Head::Branch(_) | Head::Detached(_) => self.state.repo.head_commit()?,
            Head::Unborn(_) => None,
        };
        let mut releases: Vec<(String, Version, String)> = Vec::new();
        for tag in &self.state.tags {
            // A `.devN` or `+local` tag is not a release to count from.
            let Some(version) = spec
                .pattern
                .version_of(&tag.name)
                .filter(|v| !v.is_dev() && !v.is_local())
            else {
                continue;
            };
            let reachable = match &head {
                Some(head) => self
                    .state
                    .repo
                    .is_ancestor(&tag.commit, head)
                    .map_err(|e| self.shallow(e))?,
                None => false,
            };
            if reachable {
                releases.push((tag.name.clone(), version, tag.commit.clone()));
            }
        }
        releases.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        Ok(History {
            last_final: releases
                .iter()
                .rev()
                .find(|r| !r.1.any_prerelease())
                .cloned(),
            last: releases.last().cloned(),
        })
    }

    /// The version in the package's pyproject.toml and version files,
    /// which must agree.
    fn current(&self, spec: &PackageSpec) -> Result<Current> {
        let path = spec.dir.join("pyproject.toml");
        if !path.is_file() {
            return Err(ReleaseError::NoPyproject {
                name: spec.name.clone(),
                path: spec.dir.clone(),
            }
            .into());
        }
        let text = read(&path)?;
        let (source, version) = match version_files::project_version(&path, &text)? {
            ProjectVersion::Static(found) => {
                let version = Version::from_str(&found).map_err(|_| ReleaseError::BadVersion {
                    path: path.clone(),
                    text: found.clone(),
                })?;
                (VersionSource::Static, Some(version))
            }
            ProjectVersion::Dynamic(scm) => (
                VersionSource::Dynamic {
                    backend: scm_name(scm).to_string(),
                },
                None,
            ),
            ProjectVersion::Missing => return Err(ReleaseError::NoVersion { path }.into()),
        };
        let mut files = Vec::new();
        if version.is_some() {
            let file = VersionFile::from_str("pyproject.toml")?;
            files.push(Carrier::read(spec, file)?);
        }
        for given in &spec.version_files {
            let file = VersionFile::from_str(given)?;
            inside_package(&file.path, "a version file")?;
            files.push(Carrier::read(spec, file)?);
        }
        check_agree(&files, version.as_ref())?;
        Ok(Current {
            source,
            version,
            files,
        })
    }

    /// Each version file rewritten to `next`.
    fn version_changes(&self, current: &Current, next: &Version) -> Result<Vec<FileChange>> {
        let next = next.to_string();
        let mut changes: Vec<(PathBuf, FileChange)> = Vec::new();
        for carrier in &current.files {
            // Two places in one file (`project.version` and
            // `tool.poetry.version`): the second edit applies to the first's
            // result.
            if let Some((_, change)) = changes.iter_mut().find(|(path, _)| path == &carrier.path) {
                change.content = carrier.file.rewrite(&change.content, &next)?;
                change.what = format!("{}, {}", change.what, carrier.what);
                continue;
            }
            let change = FileChange {
                path: self.repo_relative(&carrier.path),
                what: carrier.what.clone(),
                from: Some(carrier.found.clone()),
                to: Some(next.clone()),
                content: carrier.file.rewrite(&carrier.text, &next)?,
            };
            changes.push((carrier.path.clone(), change));
        }
        // A first release at the version the files hold already changes
        // nothing in them.
        Ok(changes
            .into_iter()
            .filter(|(path, change)| {
                current
                    .files
                    .iter()
                    .find(|c| &c.path == path)
                    .is_none_or(|c| c.text != change.content)
            })
            .map(|(_, change)| change)
            .collect())
    }

    /// The changelog section of `next`, rendered.
    fn section(
        &self,
        next: &Version,
        tag: &str,
        previous: Option<&str>,
        listed: &Counted,
    ) -> Result<String> {
        let epoch = self
            .ws
            .source_date_epoch()?
            .unwrap_or_else(crate::time::now);
        let info = changelog::ReleaseInfo {
            version: next.to_string(),
            tag: tag.to_string(),
            previous_tag: previous.map(str::to_string),
            date: crate::time::Date::of_epoch(epoch).to_string(),
        };
        let commits: Vec<(String, Conventional)> = listed
            .commits
            .iter()
            .map(|(commit, c)| (commit.id.clone(), c.clone()))
            .collect();
        let release = &self.ws.config.config.release;
        let section = changelog::section(info, &commits, release.repository_url.as_deref());
        let template = self
            .template
            .map(|(path, text)| changelog::UserTemplate { path, text });
        Ok(changelog::render(&section, template)?)
    }

    /// The package's changelog with the new section on top, when it has one.
    fn changelog_change(
        &self,
        spec: &PackageSpec,
        next: &Version,
        section: &str,
    ) -> Result<Option<FileChange>> {
        let Some(path) = &spec.changelog else {
            return Ok(None);
        };
        let existing = if path.is_file() {
            Some(read(path)?)
        } else {
            None
        };
        let content =
            changelog::prepend(existing.as_deref(), section, &next.to_string()).map_err(|e| {
                ReleaseError::Changelog {
                    path: path.clone(),
                    message: e.to_string(),
                }
            })?;
        Ok(Some(FileChange {
            path: self.repo_relative(path),
            what: if existing.is_some() {
                "changelog".into()
            } else {
                "new changelog".into()
            },
            from: None,
            to: None,
            content,
        }))
    }

    /// A history read that failed in a shallow clone says so: the commits
    /// since the last release are cut off, not broken.
    fn shallow(&self, error: crate::release::git::GitError) -> crate::error::Error {
        if self.state.repo.is_shallow().unwrap_or(false) {
            ReleaseError::Shallow {
                repo: self.state.repo.workdir().to_path_buf(),
                message: error.to_string(),
            }
            .into()
        } else {
            error.into()
        }
    }

    fn repo_relative(&self, path: &Path) -> String {
        path.strip_prefix(self.state.repo.workdir())
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// The commits since `since` (all, without) that count for the
    /// package: touching its folder, or scoped to its name.
    fn counted(&self, spec: &PackageSpec, since: Option<&str>) -> Result<Counted> {
        let mut counted = Counted {
            commits: Vec::new(),
            ignored: Vec::new(),
        };
        let template = &self.ws.config.config.release.commit_message;
        let ours = template.split("{tags}").next().unwrap_or("").trim_end();
        for commit in self
            .state
            .repo
            .commits_since(since)
            .map_err(|e| self.shallow(e))?
        {
            // chiron's own release commits are neither changes nor bumps.
            if !ours.is_empty() && summary(&commit).starts_with(ours) {
                continue;
            }
            let parsed = commits::parse(&commit.message);
            let touches = spec.rel.is_empty()
                || commit
                    .paths
                    .iter()
                    .any(|p| p == &spec.rel || p.starts_with(&format!("{}/", spec.rel)));
            let scoped = parsed.as_ref().is_ok_and(|c| scope_names(c, &spec.name));
            if !(touches || scoped) {
                continue;
            }
            match parsed {
                Ok(conventional) => counted.commits.push((commit, conventional)),
                Err(_) if commit.parents > 1 => {}
                Err(reason) => counted.ignored.push(IgnoredCommit {
                    id: commit.id.clone(),
                    summary: summary(&commit),
                    reason: reason.reason,
                }),
            }
        }
        Ok(counted)
    }
}

/// The repository state every package's plan reads.
pub(super) struct RepoState {
    pub(super) repo: Repo,
    pub(super) head: Head,
    pub(super) tags: Vec<Tag>,
}

/// Whether a conventional commit's scope names the package.
fn scope_names(conventional: &Conventional, name: &str) -> bool {
    conventional.scope.as_deref().is_some_and(|scope| {
        scope
            .split(',')
            .any(|s| crate::python::normalize(s.trim()) == crate::python::normalize(name))
    })
}
