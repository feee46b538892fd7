//! `chiron lock`: resolve every target and write `pylock.toml` and one
//! hash-pinned `requirements-<target>.txt` per target, without downloading
//! the wheels (hashes come from the index's links, metadata from PEP 658
//! files or range requests). The files are the ones a wheelhouse writes,
//! so `chiron wheelhouse --lock pylock.toml` installs exactly them.
//!
//! The pins of an existing lock are kept while they still satisfy the
//! inputs (they are the resolver's preferences), unless an upgrade is asked
//! for. `check` compares what would be written with what is on disk and
//! writes nothing.
//!
//! What this module must not do: download a wheel it could avoid (only a
//! link without a hash, or a server that ignores ranges, costs a download),
//! or leave a half-written file (every file is replaced atomically, the
//! `pylock.toml` last).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use serde::Serialize;

use super::Progress;
use super::build::{
    ManifestPackages, WheelhouseRequest, pinned_lines, record_package, requirements_file_name,
    resolve_all,
};
use super::error::WheelhouseError;
use crate::digest::{Sha256, Sha256Error};
use crate::index::client::IndexClient;
use crate::index::simple::IndexFile;
use crate::lock::pylock::{PylockError, locked_versions, read_pylock, render_pylock};
use crate::lock::requirements_txt::{DirectRequirement, render_pinned};
use crate::manifest::{
    Inputs, MANIFEST_VERSION, Manifest, ManifestFile, ManifestPackage, ManifestTarget, TargetScope,
    Tool,
};
use crate::python::target::Target;
use crate::redact::redact_url;
use crate::resolve::{PackageSource, Resolution, ResolveOptions};

/// The lock file `chiron lock` writes and reads back, unless `[inputs] lock`
/// names another.
pub const LOCK_FILE: &str = "pylock.toml";

/// Which pins of the existing lock may move.
#[derive(Debug, Clone, Default)]
pub struct Upgrade {
    /// Ignore every old pin.
    pub all: bool,
    /// Ignore the old pins of these packages; a version specifier
    /// (`lib==2.1`, `lib<3`) also limits the package to it.
    pub packages: Vec<Requirement>,
}

/// What `chiron lock` locks, and where.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub requirements: Vec<Requirement>,
    pub constraints: Vec<Requirement>,
    /// The requirements that came from files, with the file (`# via -r`).
    pub direct: Vec<DirectRequirement>,
    pub targets: Vec<Target>,
    /// The `pylock.toml` to write; the requirements files go next to it.
    pub lock_file: PathBuf,
    /// The lock whose pins are kept; `None`: `lock_file` when it exists.
    pub previous: Option<PathBuf>,
    pub options: ResolveOptions,
    pub upgrade: Upgrade,
    /// Compare with the files on disk and write nothing.
    pub check: bool,
    /// `--hash` pins of the requirements files (see
    /// [`WheelhouseRequest::hashes`]).
    pub hashes: BTreeMap<String, BTreeSet<String>>,
}

/// One pin of a target, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub file: String,
    pub sha256: Sha256,
}

#[derive(Debug, Clone, Serialize)]
pub struct LockedTarget {
    pub name: String,
    pub requirements_file: String,
    /// Sorted by name.
    pub packages: Vec<LockedPackage>,
}

/// A pin that differs from the previous lock on one target; `old` is
/// `None` for a package that is new there, `new` for one that is gone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PinChange {
    pub package: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub target: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LockReport {
    /// The `pylock.toml` written (or checked).
    pub lock: PathBuf,
    /// The lock whose pins were kept, when there was one.
    pub previous: Option<PathBuf>,
    /// Every file on disk already has the content this run computed.
    pub up_to_date: bool,
    /// Files were written (never with `check`).
    pub written: bool,
    /// Files that differ from (or are missing on) disk, by name.
    pub stale_files: Vec<String>,
    pub targets: Vec<LockedTarget>,
    /// Pins that differ from the previous lock, by package then target.
    pub changes: Vec<PinChange>,
    /// Files whose link had no sha256: downloaded to hash them.
    pub hashed_by_download: Vec<String>,
    /// Whole files fetched from the network (to hash them, or to read
    /// metadata from a server that ignores range requests).
    pub downloaded: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Build(#[from] WheelhouseError),
    #[error("cannot keep the pins of the existing lock: {0}")]
    Previous(#[source] PylockError),
    #[error("{index} lists {filename} with a malformed hash: {error}")]
    PublishedHash {
        index: String,
        filename: String,
        #[source]
        error: Sha256Error,
    },
}

impl LockError {
    pub fn hint(&self) -> Option<String> {
        match self {
            // A lock has no --allow-gaps: a lock with a hole would install
            // nothing on that target, so only the fix is hinted.
            LockError::Build(WheelhouseError::Gaps { gaps, .. }) => Some(match gaps.as_slice() {
                [only] if only.packages.is_empty() => only.hint.clone(),
                _ => "make the change each `fix` line names, or drop the targets that cannot be served"
                    .to_string(),
            }),
            LockError::Build(error) => error.hint(),
            LockError::Previous(_) => {
                Some("fix or delete the lock, or pass --upgrade to resolve from scratch".into())
            }
            LockError::PublishedHash { .. } => {
                Some("report it to the index's operators; a sha256 is 64 hex digits".into())
            }
        }
    }
}

impl crate::diagnose::Diagnose for LockError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

impl From<crate::index::client::IndexError> for LockError {
    fn from(error: crate::index::client::IndexError) -> Self {
        LockError::Build(WheelhouseError::Index(error))
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LockError + '_ {
    move |source| {
        LockError::Build(WheelhouseError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The pins of a lock per target name.
type TargetPins = BTreeMap<String, BTreeMap<PackageName, Version>>;

/// One entry per distinct file, with the targets that install it.
type FilePlan = BTreeMap<String, (IndexFile, BTreeSet<String>)>;

/// The sha256 and size of each planned file, by file name.
type FileHashes = BTreeMap<String, (Sha256, u64)>;

/// Resolves every target and writes (or, with `check`, compares) the lock.
pub async fn lock(
    client: Arc<IndexClient>,
    request: &LockRequest,
    progress: &dyn Progress,
) -> Result<LockReport, LockError> {
    let lock_path = request.lock_file.clone();
    let out = output_dir(&lock_path);
    let previous = read_previous_lock(request)?;
    let old_pins = previous.pins_per_target(&request.targets);

    let source = Arc::new(
        PackageSource::new(
            Arc::clone(&client),
            client.settings().cache_dir.join("resolve-wheels"),
        )
        .without_wheel_downloads(),
    );
    let resolve_request = resolve_request(request, &out, &old_pins);
    let resolutions = resolve_all(&source, &resolve_request, progress, &|_| {})
        .await?
        .resolutions;

    let plan = file_plan(&resolutions);
    let (hashes, hashed_by_download) = file_hashes(&client, &plan).await?;
    crate::wheelhouse::build::check_hash_pins(
        &request.hashes,
        hashes.iter().map(|(f, (h, _))| (f.as_str(), h)),
    )?;

    let manifest = lock_manifest(request, &source, &resolutions, &plan, &hashes).await?;
    let lock_name = lock_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| LOCK_FILE.into());
    let mut outputs: Vec<(PathBuf, String)> = Vec::new();
    let mut targets = Vec::new();
    for target in &request.targets {
        // By name, not by position: the order resolutions come back in is
        // `resolve_all`'s business.
        let resolution = resolutions
            .iter()
            .find(|r| r.target == target.name())
            .ok_or_else(|| WheelhouseError::Unresolved {
                target: target.name(),
            })?;
        let (text, locked) = lock_target(target, resolution, &hashes, &request.direct, &lock_name);
        outputs.push((out.join(&locked.requirements_file), text));
        targets.push(locked);
    }
    // The pylock is written last: it is what the next run keeps pins from.
    outputs.push((
        lock_path.clone(),
        render_pylock(&manifest, &request.targets, None),
    ));
    let disk = write_stale_outputs(&outputs, &out, request.check)?;

    let changes = match &previous.pins {
        Some(_) => pin_changes(&old_pins, &resolved_pins(&resolutions)),
        None => Vec::new(),
    };
    Ok(LockReport {
        lock: lock_path,
        previous: previous.path.filter(|_| previous.pins.is_some()),
        up_to_date: disk.stale_files.is_empty(),
        written: disk.written,
        stale_files: disk.stale_files,
        targets,
        changes,
        hashed_by_download,
        downloaded: client.fetched().0,
    })
}

/// The folder the requirements files go to: the lock's.
fn output_dir(lock_path: &Path) -> PathBuf {
    lock_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// The lock whose pins are kept: its path, and its pins when it could be
/// read.
struct PreviousLock {
    path: Option<PathBuf>,
    pins: Option<TargetPins>,
}

impl PreviousLock {
    /// The old pins of every target (none for a target the lock lacks).
    fn pins_per_target(&self, targets: &[Target]) -> TargetPins {
        targets
            .iter()
            .map(|t| {
                let pins = self
                    .pins
                    .as_ref()
                    .and_then(|p| p.get(&t.name()).cloned())
                    .unwrap_or_default();
                (t.name(), pins)
            })
            .collect()
    }
}

/// `--previous`, else the lock file when it exists. An unreadable lock is
/// an error, unless `--upgrade` keeps nothing of it anyway.
fn read_previous_lock(request: &LockRequest) -> Result<PreviousLock, LockError> {
    let path = request.previous.clone().or_else(|| {
        request
            .lock_file
            .is_file()
            .then(|| request.lock_file.clone())
    });
    let pins = match &path {
        None => None,
        Some(path) => match read_previous(path, &request.targets) {
            Ok(pins) => Some(pins),
            // Nothing of it is kept anyway.
            Err(error) if request.upgrade.all => {
                tracing::warn!("{error}; --upgrade resolves without it");
                None
            }
            Err(error) => return Err(LockError::Previous(error)),
        },
    };
    Ok(PreviousLock { path, pins })
}

/// The resolution of every target: the old pins as preferences (but for
/// the packages being upgraded), and an upgrade's version specifiers as
/// constraints.
fn resolve_request(request: &LockRequest, out: &Path, old_pins: &TargetPins) -> WheelhouseRequest {
    let mut options = request.options.clone();
    if !request.upgrade.all {
        options.preferences = kept_pins(old_pins, &request.upgrade.packages);
    }
    let mut constraints = request.constraints.clone();
    constraints.extend(upgrade_constraints(&request.upgrade.packages));
    WheelhouseRequest {
        requirements: request.requirements.clone(),
        constraints,
        input_files: Vec::new(),
        targets: request.targets.clone(),
        out: out.to_path_buf(),
        options,
        locked: false,
        lock: None,
        lock_extras: Vec::new(),
        lock_groups: Vec::new(),
        project: String::new(),
        source_date_epoch: None,
        // A lock with a hole would install nothing on that target: every
        // gap is named and nothing is written.
        on_gap: crate::config::OnGap::Fail,
        hashes: request.hashes.clone(),
        direct: request.direct.clone(),
    }
}

/// The old pins but those of the packages being upgraded.
fn kept_pins(old_pins: &TargetPins, upgrading: &[Requirement]) -> TargetPins {
    let moving: BTreeSet<&PackageName> = upgrading.iter().map(|r| &r.name).collect();
    old_pins
        .iter()
        .map(|(target, pins)| {
            let kept = pins
                .iter()
                .filter(|(name, _)| !moving.contains(name))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            (target.clone(), kept)
        })
        .collect()
}

/// `--upgrade-package lib<3` limits the package to that range.
fn upgrade_constraints(upgrading: &[Requirement]) -> Vec<Requirement> {
    upgrading
        .iter()
        .filter(|r| matches!(r.version_or_url, Some(VersionOrUrl::VersionSpecifier(_))))
        .cloned()
        .collect()
}

/// Every distinct file the resolutions install, with the targets that
/// install it.
fn file_plan(resolutions: &[Resolution]) -> FilePlan {
    let mut plan = FilePlan::new();
    for resolution in resolutions {
        for candidate in resolution.candidates.values() {
            plan.entry(candidate.file.filename.clone())
                .or_insert_with(|| (candidate.file.clone(), BTreeSet::new()))
                .1
                .insert(resolution.target.clone());
        }
    }
    plan
}

/// A target's hash-pinned requirements file, and the report's view of it.
fn lock_target(
    target: &Target,
    resolution: &Resolution,
    hashes: &FileHashes,
    direct: &[DirectRequirement],
    lock_name: &str,
) -> (String, LockedTarget) {
    let file_name = requirements_file_name(target);
    let lines = pinned_lines(resolution, target, direct, |filename| hashes[filename].0);
    let header = format!(
        "chiron lock: requirements for {} (CPython {} on {})\n\
         install: pip install --require-hashes -r {file_name}\n\
         offline: chiron wheelhouse --lock {lock_name}, then pip install --no-index --find-links WHEELHOUSE --require-hashes -r {file_name}",
        target.name(),
        target.python,
        target.platform
    );
    let text = render_pinned(&header, &lines);
    let locked = LockedTarget {
        name: target.name(),
        requirements_file: file_name,
        packages: resolution
            .pins
            .values()
            .map(|pin| LockedPackage {
                name: pin.name.clone(),
                version: pin.version.clone(),
                file: pin.filename.clone(),
                sha256: hashes[&pin.filename].0,
            })
            .collect(),
    };
    (text, locked)
}

/// Which outputs differ from what is on disk, and whether they were
/// written.
struct DiskState {
    stale_files: Vec<String>,
    written: bool,
}

/// Writes the outputs that differ from the disk (each atomically, in
/// order), unless only checking.
fn write_stale_outputs(
    outputs: &[(PathBuf, String)],
    out: &Path,
    check: bool,
) -> Result<DiskState, LockError> {
    let stale: Vec<&(PathBuf, String)> = outputs
        .iter()
        .filter(|(path, text)| std::fs::read(path).ok().as_deref() != Some(text.as_bytes()))
        .collect();
    let stale_files: Vec<String> = stale
        .iter()
        .filter_map(|(path, _)| path.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let written = !check && !stale.is_empty();
    if written {
        std::fs::create_dir_all(out).map_err(io_error(out))?;
        for (path, text) in &stale {
            crate::atomic::write_file(path, text.as_bytes(), crate::atomic::Overwrite::Replace)
                .map_err(io_error(path))?;
        }
    }
    Ok(DiskState {
        stale_files,
        written,
    })
}

/// The pins of the resolutions, as text, per target.
fn resolved_pins(resolutions: &[Resolution]) -> BTreeMap<String, BTreeMap<String, String>> {
    resolutions
        .iter()
        .map(|r| {
            let pins = r
                .pins
                .iter()
                .map(|(n, p)| (n.to_string(), p.version.clone()))
                .collect();
            (r.target.clone(), pins)
        })
        .collect()
}

/// The pins of a previous lock per target name: a `pylock.toml`, or a
/// `uv.lock` (to move from uv keeping its pins).
fn read_previous(path: &Path, targets: &[Target]) -> Result<TargetPins, PylockError> {
    if path.file_name().is_some_and(|n| n == "uv.lock") {
        let lock = crate::lock::uv_lock::read_uv_lock(path)?;
        return Ok(targets
            .iter()
            .map(|t| (t.name(), crate::lock::uv_lock::locked_versions(&lock, t)))
            .collect());
    }
    let lock = read_pylock(path)?;
    Ok(targets
        .iter()
        .map(|t| (t.name(), locked_versions(&lock, t)))
        .collect())
}

/// The sha256 and size of every planned file: from its link, else by
/// downloading it (as pip-compile does), which the report says.
async fn file_hashes(
    client: &IndexClient,
    plan: &FilePlan,
) -> Result<(FileHashes, Vec<String>), LockError> {
    let mut hashes = BTreeMap::new();
    let mut hashed_by_download = Vec::new();
    let mut scratch: Option<tempfile::TempDir> = None;
    for (filename, (file, _)) in plan {
        let local_size = || {
            crate::index::file_url_path_str(&file.url)
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
        };
        match file.sha256() {
            Some(sha256) => {
                let size = file.size.or_else(local_size).unwrap_or(0);
                let sha256 =
                    Sha256::parse_any_case(sha256).map_err(|error| LockError::PublishedHash {
                        index: file.source.clone(),
                        filename: filename.clone(),
                        error,
                    })?;
                hashes.insert(filename.clone(), (sha256, size));
            }
            None => {
                let dir = match &scratch {
                    Some(dir) => dir.path().to_path_buf(),
                    None => {
                        let parent = client.settings().cache_dir.join("lock-hashing");
                        std::fs::create_dir_all(&parent).map_err(io_error(&parent))?;
                        let dir = tempfile::tempdir_in(&parent).map_err(io_error(&parent))?;
                        let path = dir.path().to_path_buf();
                        scratch = Some(dir);
                        path
                    }
                };
                tracing::warn!(
                    "{} lists {filename} without a sha256: downloading it to hash it",
                    file.source
                );
                let done = client.download(file, &dir, true).await?;
                let _ = std::fs::remove_file(&done.path);
                hashes.insert(filename.clone(), (done.sha256, done.size));
                hashed_by_download.push(filename.clone());
            }
        }
    }
    Ok((hashes, hashed_by_download))
}

/// The manifest a wheelhouse of these resolutions would have, which the
/// `pylock.toml` is rendered from.
async fn lock_manifest(
    request: &LockRequest,
    source: &PackageSource,
    resolutions: &[Resolution],
    plan: &FilePlan,
    hashes: &FileHashes,
) -> Result<Manifest, LockError> {
    let packages = lock_packages(source, resolutions).await?;
    let files = plan
        .iter()
        .map(|(filename, (file, serves))| ManifestFile {
            filename: filename.clone(),
            sha256: Some(hashes[filename].0),
            size: hashes[filename].1,
            url: redact_url(&file.url),
            index: file.source.clone(),
            yanked: file.yanked.is_some(),
            targets: serves.iter().cloned().map(TargetScope::Target).collect(),
            upload_time: file.upload_time.clone(),
        })
        .collect();
    let sorted = |list: &[Requirement]| {
        let mut out: Vec<String> = list.iter().map(ToString::to_string).collect();
        out.sort();
        out
    };
    Ok(Manifest {
        manifest_version: MANIFEST_VERSION,
        tool: Tool {
            name: "chiron".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        inputs: Inputs {
            fingerprint: String::new(),
            files: Vec::new(),
            requirements: sorted(&request.requirements),
            constraints: sorted(&request.constraints),
            indexes: Vec::new(),
            find_links: Vec::new(),
            allow_prereleases: request.options.allow_prereleases,
            exclude_newer: request.options.exclude_newer.clone(),
        },
        targets: request
            .targets
            .iter()
            .map(|target| ManifestTarget {
                name: target.name(),
                python: target.python.to_string(),
                platform: target.platform.to_string(),
                requirements_file: requirements_file_name(target),
                platform_tags: target.platform_tags().to_vec(),
            })
            .collect(),
        packages,
        files,
        gaps: Vec::new(),
    })
}

/// Every pinned package version with its metadata (cached by the
/// resolution: no request) and the targets that install it.
async fn lock_packages(
    source: &PackageSource,
    resolutions: &[Resolution],
) -> Result<Vec<ManifestPackage>, LockError> {
    let mut packages = ManifestPackages::new();
    for resolution in resolutions {
        for (name, pin) in &resolution.pins {
            record_package(&mut packages, source, resolution, name, pin).await?;
        }
    }
    Ok(packages.into_values().collect())
}

/// Every pin that is new, gone or moved between two locks, per target.
pub fn pin_changes(
    old: &TargetPins,
    new: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<PinChange> {
    let mut changes = Vec::new();
    for (target, new_pins) in new {
        let old_pins: BTreeMap<String, String> = old
            .get(target)
            .into_iter()
            .flatten()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let names: BTreeSet<&String> = old_pins.keys().chain(new_pins.keys()).collect();
        for name in names {
            let (before, after) = (old_pins.get(name), new_pins.get(name));
            if before != after {
                changes.push(PinChange {
                    package: name.clone(),
                    old: before.cloned(),
                    new: after.cloned(),
                    target: target.clone(),
                });
            }
        }
    }
    changes.sort();
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn pin_changes_name_new_gone_and_moved_pins_per_target() {
        let name = |n: &str| PackageName::from_str(n).unwrap();
        let version = |v: &str| Version::from_str(v).unwrap();
        let old = BTreeMap::from([(
            "3.12-linux-x86_64".to_string(),
            BTreeMap::from([
                (name("lib"), version("1.0")),
                (name("gone"), version("1.0")),
                (name("same"), version("2.0")),
            ]),
        )]);
        let new = BTreeMap::from([
            (
                "3.12-linux-x86_64".to_string(),
                BTreeMap::from([
                    ("lib".to_string(), "1.1".to_string()),
                    ("same".to_string(), "2.0".to_string()),
                    ("fresh".to_string(), "0.1".to_string()),
                ]),
            ),
            (
                "3.11-linux-x86_64".to_string(),
                BTreeMap::from([("same".to_string(), "2.0".to_string())]),
            ),
        ]);
        let change =
            |package: &str, old: Option<&str>, new: Option<&str>, target: &str| PinChange {
                package: package.into(),
                old: old.map(Into::into),
                new: new.map(Into::into),
                target: target.into(),
            };
        assert_eq!(
            pin_changes(&old, &new),
            vec![
                change("fresh", None, Some("0.1"), "3.12-linux-x86_64"),
                change("gone", Some("1.0"), None, "3.12-linux-x86_64"),
                change("lib", Some("1.0"), Some("1.1"), "3.12-linux-x86_64"),
                change("same", None, Some("2.0"), "3.11-linux-x86_64"),
            ]
        );
    }
    fn linux() -> Target {
        use crate::python::target::Floors;
        use crate::python::version::PythonVersion;
        Target::new(
            PythonVersion::new(3, 12),
            "linux-x86_64".parse().unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    fn index_file(filename: &str) -> IndexFile {
        IndexFile {
            filename: filename.into(),
            url: format!("https://example.test/{filename}"),
            hashes: BTreeMap::new(),
            requires_python: None,
            yanked: None,
            metadata: None,
            size: None,
            upload_time: None,
            source: "https://example.test/simple".into(),
        }
    }

    /// A resolution of `target` pinning (name, version, file, required by).
    fn resolution(target: &str, pins: &[(&str, &str, &str, &str)]) -> Resolution {
        let mut resolution = Resolution {
            target: target.into(),
            pins: BTreeMap::new(),
            candidates: BTreeMap::new(),
        };
        for (name, version, file, parent) in pins {
            let key = PackageName::from_str(name).unwrap();
            resolution.pins.insert(
                key.clone(),
                crate::resolve::Pin {
                    name: name.to_string(),
                    version: version.to_string(),
                    filename: file.to_string(),
                    required_by: BTreeSet::from([parent.to_string()]),
                    extras: BTreeSet::new(),
                },
            );
            resolution.candidates.insert(
                key,
                Arc::new(crate::resolve::source::Candidate {
                    version: Version::from_str(version).unwrap(),
                    file: index_file(file),
                    wheel: None,
                }),
            );
        }
        resolution
    }

    #[test]
    fn old_pins_are_preferences_but_for_the_packages_upgraded() {
        let name = |n: &str| PackageName::from_str(n).unwrap();
        let version = |v: &str| Version::from_str(v).unwrap();
        let old = TargetPins::from([(
            "3.12-linux-x86_64".to_string(),
            BTreeMap::from([
                (name("lib"), version("1.0")),
                (name("keep"), version("2.0")),
            ]),
        )]);
        let upgrading: Vec<Requirement> = ["lib<3", "other"]
            .iter()
            .map(|r| Requirement::from_str(r).unwrap())
            .collect();
        assert_eq!(
            kept_pins(&old, &upgrading),
            TargetPins::from([(
                "3.12-linux-x86_64".to_string(),
                BTreeMap::from([(name("keep"), version("2.0"))]),
            )])
        );
        let constraints: Vec<String> = upgrade_constraints(&upgrading)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(constraints, ["lib<3"]);
        assert_eq!(output_dir(Path::new("pylock.toml")), Path::new("."));
        assert_eq!(
            output_dir(Path::new("locks/pylock.toml")),
            Path::new("locks")
        );
    }

    #[test]
    fn each_file_is_planned_once_with_the_targets_that_install_it() {
        let plan = file_plan(&[
            resolution("a", &[("lib", "1.0", "lib-1.0-py3-none-any.whl", "direct")]),
            resolution(
                "b",
                &[
                    ("lib", "1.0", "lib-1.0-py3-none-any.whl", "direct"),
                    ("dep", "2.0", "dep-2.0.tar.gz", "lib"),
                ],
            ),
        ]);
        let targets: Vec<(&str, Vec<&str>)> = plan
            .iter()
            .map(|(file, (_, targets))| {
                (file.as_str(), targets.iter().map(String::as_str).collect())
            })
            .collect();
        assert_eq!(
            targets,
            [
                ("dep-2.0.tar.gz", vec!["b"]),
                ("lib-1.0-py3-none-any.whl", vec!["a", "b"]),
            ]
        );
    }

    #[test]
    fn a_target_is_locked_as_hash_pinned_requirements() {
        let target = linux();
        let resolved = resolution(
            &target.name(),
            &[
                ("lib", "1.0", "lib-1.0-py3-none-any.whl", "direct"),
                ("dep", "2.0", "dep-2.0.tar.gz", "lib"),
            ],
        );
        let (aa, bb) = ("aa".repeat(32), "bb".repeat(32));
        let hashes = FileHashes::from([
            (
                "lib-1.0-py3-none-any.whl".to_string(),
                (aa.parse().unwrap(), 1),
            ),
            ("dep-2.0.tar.gz".to_string(), (bb.parse().unwrap(), 2)),
        ]);
        let (text, locked) = lock_target(&target, &resolved, &hashes, &[], "my.lock.toml");
        assert_eq!(
            text,
            format!(
                "# chiron lock: requirements for 3.12-linux-x86_64 (CPython 3.12 on linux-x86_64)\n\
             # install: pip install --require-hashes -r requirements-3.12-linux-x86_64.txt\n\
             # offline: chiron wheelhouse --lock my.lock.toml, then pip install --no-index --find-links WHEELHOUSE --require-hashes -r requirements-3.12-linux-x86_64.txt\n\
             dep==2.0 \\\n    --hash=sha256:{bb}\n    # via lib\n\
             lib==1.0 \\\n    --hash=sha256:{aa}\n"
            )
        );
        assert_eq!(
            locked.requirements_file,
            "requirements-3.12-linux-x86_64.txt"
        );
        assert_eq!(
            locked.packages[1],
            LockedPackage {
                name: "lib".into(),
                version: "1.0".into(),
                file: "lib-1.0-py3-none-any.whl".into(),
                sha256: aa.parse().unwrap(),
            }
        );
    }

    #[test]
    fn only_files_that_differ_are_written_and_never_when_checking() {
        let dir = tempfile::tempdir().unwrap();
        let same = dir.path().join("same.txt");
        let stale = dir.path().join("stale.txt");
        std::fs::write(&same, "same\n").unwrap();
        std::fs::write(&stale, "old\n").unwrap();
        let outputs = vec![
            (same.clone(), "same\n".to_string()),
            (stale.clone(), "new\n".to_string()),
            (dir.path().join("fresh.txt"), "fresh\n".to_string()),
        ];
        let checked = write_stale_outputs(&outputs, dir.path(), true).unwrap();
        assert_eq!(
            (checked.stale_files.as_slice(), checked.written),
            (
                &["stale.txt".to_string(), "fresh.txt".to_string()][..],
                false
            )
        );
        assert_eq!(std::fs::read_to_string(&stale).unwrap(), "old\n");
        let written = write_stale_outputs(&outputs, dir.path(), false).unwrap();
        assert!(written.written);
        assert_eq!(std::fs::read_to_string(&stale).unwrap(), "new\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("fresh.txt")).unwrap(),
            "fresh\n"
        );
        let again = write_stale_outputs(&outputs, dir.path(), false).unwrap();
        assert_eq!((again.stale_files.len(), again.written), (0, false));
    }

    #[test]
    fn an_unreadable_previous_lock_is_an_error_unless_upgrading_everything() {
        let dir = tempfile::tempdir().unwrap();
        let lock_file = dir.path().join("pylock.toml");
        std::fs::write(&lock_file, "not toml =").unwrap();
        let mut request = LockRequest {
            requirements: Vec::new(),
            constraints: Vec::new(),
            targets: vec![linux()],
            lock_file: lock_file.clone(),
            previous: None,
            options: ResolveOptions::default(),
            upgrade: Upgrade::default(),
            check: false,
            hashes: BTreeMap::new(),
            direct: Vec::new(),
        };
        match read_previous_lock(&request) {
            Err(LockError::Previous(error)) => assert_eq!(error.path, lock_file),
            other => panic!("{:?}", other.map(|p| p.path)),
        }
        request.upgrade.all = true;
        let previous = read_previous_lock(&request).unwrap();
        assert_eq!(
            (previous.path, previous.pins),
            (Some(lock_file.clone()), None)
        );
        std::fs::write(
            &lock_file,
            "lock-version = \"1.0\"\n[[packages]]\nname = \"lib\"\nversion = \"1.0\"\n",
        )
        .unwrap();
        let previous = read_previous_lock(&request).unwrap();
        let pins = previous.pins_per_target(&request.targets);
        assert_eq!(pins["3.12-linux-x86_64"].len(), 1);
    }
}
