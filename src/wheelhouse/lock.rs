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
use super::build::{WheelhouseError, WheelhouseRequest, requirements_file_name, resolve_all};
use super::manifest::{
    Inputs, MANIFEST_VERSION, Manifest, ManifestFile, ManifestPackage, ManifestTarget, PackageUse,
    Tool,
};
use crate::index::client::IndexClient;
use crate::index::redact_url;
use crate::index::simple::IndexFile;
use crate::lock::pylock::{PylockError, locked_versions, read_pylock, render_pylock};
use crate::lock::requirements_txt::{DirectRequirement, PinnedLine, render_pinned, via};
use crate::python::target::Target;
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
    pub sha256: String,
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
        }
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

/// Resolves every target and writes (or, with `check`, compares) the lock.
pub async fn lock(
    client: Arc<IndexClient>,
    request: &LockRequest,
    progress: &dyn Progress,
) -> Result<LockReport, LockError> {
    let lock_path = request.lock_file.clone();
    let out = lock_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let previous_path = request
        .previous
        .clone()
        .or_else(|| lock_path.is_file().then(|| lock_path.clone()));
    let previous = match &previous_path {
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
    let old_pins: BTreeMap<String, BTreeMap<PackageName, Version>> = request
        .targets
        .iter()
        .map(|t| {
            let pins = previous
                .as_ref()
                .and_then(|p| p.get(&t.name()).cloned())
                .unwrap_or_default();
            (t.name(), pins)
        })
        .collect();

    let mut options = request.options.clone();
    if !request.upgrade.all {
        let moving: BTreeSet<&PackageName> =
            request.upgrade.packages.iter().map(|r| &r.name).collect();
        options.preferences = old_pins
            .iter()
            .map(|(target, pins)| {
                let kept = pins
                    .iter()
                    .filter(|(name, _)| !moving.contains(name))
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect();
                (target.clone(), kept)
            })
            .collect();
    }
    let mut constraints = request.constraints.clone();
    constraints.extend(
        request
            .upgrade
            .packages
            .iter()
            .filter(|r| matches!(r.version_or_url, Some(VersionOrUrl::VersionSpecifier(_))))
            .cloned(),
    );

    let settings = client.settings().clone();
    let source = Arc::new(
        PackageSource::new(
            Arc::clone(&client),
            settings.cache_dir.join("resolve-wheels"),
        )
        .without_wheel_downloads(),
    );
    let resolve_request = WheelhouseRequest {
        requirements: request.requirements.clone(),
        constraints,
        direct: request.direct.clone(),
        input_files: Vec::new(),
        targets: request.targets.clone(),
        out: out.clone(),
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
    };
    let resolutions = resolve_all(&source, &resolve_request, progress, &|_| {})
        .await?
        .resolutions;

    // One entry per distinct file, with the targets that install it.
    let mut plan: BTreeMap<String, (IndexFile, BTreeSet<String>)> = BTreeMap::new();
    for resolution in &resolutions {
        for candidate in resolution.candidates.values() {
            plan.entry(candidate.file.filename.clone())
                .or_insert_with(|| (candidate.file.clone(), BTreeSet::new()))
                .1
                .insert(resolution.target.clone());
        }
    }
    let (hashes, hashed_by_download) = file_hashes(&client, &plan).await?;
    crate::wheelhouse::build::check_hash_pins(
        &request.hashes,
        hashes.iter().map(|(f, (h, _))| (f.as_str(), h.as_str())),
    )?;

    let manifest = lock_manifest(request, &source, &resolutions, &plan, &hashes).await?;
    let mut outputs: Vec<(PathBuf, String)> = Vec::new();
    let mut targets = Vec::new();
    for target in &request.targets {
        // By name, not by position: the order resolutions come back in is
        // `resolve_all`'s business.
        let resolution = resolutions
            .iter()
            .find(|r| r.target == target.name())
            .ok_or_else(|| {
                WheelhouseError::Internal(format!("target {} was not resolved", target.name()))
            })?;
        let file_name = requirements_file_name(target);
        let lines: Vec<PinnedLine> = resolution
            .pins
            .values()
            .map(|pin| PinnedLine {
                name: pin.name.clone(),
                extras: pin.extras.iter().cloned().collect(),
                version: pin.version.clone(),
                hashes: vec![hashes[&pin.filename].0.clone()],
                via: via(
                    &pin.name,
                    &pin.required_by,
                    &request.direct,
                    target.markers(),
                ),
            })
            .collect();
        let lock_name = lock_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| LOCK_FILE.into());
        let header = format!(
            "chiron lock: requirements for {} (CPython {} on {})\n\
             install: pip install --require-hashes -r {file_name}\n\
             offline: chiron wheelhouse --lock {lock_name}, then pip install --no-index --find-links WHEELHOUSE --require-hashes -r {file_name}",
            target.name(),
            target.python,
            target.platform
        );
        outputs.push((out.join(&file_name), render_pinned(&header, &lines)));
        targets.push(LockedTarget {
            name: target.name(),
            requirements_file: file_name,
            packages: resolution
                .pins
                .values()
                .map(|pin| LockedPackage {
                    name: pin.name.clone(),
                    version: pin.version.clone(),
                    file: pin.filename.clone(),
                    sha256: hashes[&pin.filename].0.clone(),
                })
                .collect(),
        });
    }
    // The pylock is written last: it is what the next run keeps pins from.
    outputs.push((
        lock_path.clone(),
        render_pylock(&manifest, &request.targets, None),
    ));

    let stale: Vec<&(PathBuf, String)> = outputs
        .iter()
        .filter(|(path, text)| std::fs::read(path).ok().as_deref() != Some(text.as_bytes()))
        .collect();
    let stale_files: Vec<String> = stale
        .iter()
        .filter_map(|(path, _)| path.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let written = !request.check && !stale.is_empty();
    if written {
        std::fs::create_dir_all(&out).map_err(io_error(&out))?;
        for (path, text) in &stale {
            crate::atomic::write_file(path, text.as_bytes(), crate::atomic::Overwrite::Replace)
                .map_err(io_error(path))?;
        }
    }

    let new_pins: BTreeMap<String, BTreeMap<String, String>> = resolutions
        .iter()
        .map(|r| {
            let pins = r
                .pins
                .iter()
                .map(|(n, p)| (n.to_string(), p.version.clone()))
                .collect();
            (r.target.clone(), pins)
        })
        .collect();
    let changes = match &previous {
        Some(_) => pin_changes(&old_pins, &new_pins),
        None => Vec::new(),
    };
    Ok(LockReport {
        lock: lock_path,
        previous: previous_path.filter(|_| previous.is_some()),
        up_to_date: stale_files.is_empty(),
        written,
        stale_files,
        targets,
        changes,
        hashed_by_download,
        downloaded: client.fetched().0,
    })
}

/// The pins of a previous lock per target name: a `pylock.toml`, or a
/// `uv.lock` (to move from uv keeping its pins).
fn read_previous(
    path: &Path,
    targets: &[Target],
) -> Result<BTreeMap<String, BTreeMap<PackageName, Version>>, PylockError> {
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
    plan: &BTreeMap<String, (IndexFile, BTreeSet<String>)>,
) -> Result<(BTreeMap<String, (String, u64)>, Vec<String>), LockError> {
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
                hashes.insert(filename.clone(), (sha256.to_string(), size));
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
    plan: &BTreeMap<String, (IndexFile, BTreeSet<String>)>,
    hashes: &BTreeMap<String, (String, u64)>,
) -> Result<Manifest, LockError> {
    let mut packages: BTreeMap<(String, String), ManifestPackage> = BTreeMap::new();
    for resolution in resolutions {
        for (name, pin) in &resolution.pins {
            // Cached by the resolution: no request.
            let metadata = source
                .metadata(&resolution.candidates[name])
                .await
                .map_err(|e| WheelhouseError::Internal(e.to_string()))?;
            packages
                .entry((pin.name.clone(), pin.version.clone()))
                .or_insert_with(|| ManifestPackage {
                    name: pin.name.clone(),
                    version: pin.version.clone(),
                    license: crate::sbom::license::license_of(&metadata)
                        .map(|l| l.as_str().to_string()),
                    summary: metadata.summary.clone(),
                    authors: metadata.authors(),
                    requires_dist: metadata
                        .requires_dist
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    targets: BTreeMap::new(),
                })
                .targets
                .insert(
                    resolution.target.clone(),
                    PackageUse {
                        file: pin.filename.clone(),
                        required_by: pin.required_by.iter().cloned().collect(),
                        extras: pin.extras.iter().cloned().collect(),
                    },
                );
        }
    }
    let files = plan
        .iter()
        .map(|(filename, (file, serves))| ManifestFile {
            filename: filename.clone(),
            sha256: hashes[filename].0.clone(),
            size: hashes[filename].1,
            url: redact_url(&file.url),
            index: file.source.clone(),
            yanked: file.yanked.is_some(),
            targets: serves.iter().cloned().collect(),
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
        packages: packages.into_values().collect(),
        files,
        gaps: Vec::new(),
    })
}

/// Every pin that is new, gone or moved between two locks, per target.
pub fn pin_changes(
    old: &BTreeMap<String, BTreeMap<PackageName, Version>>,
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
}
