//! The build lock: `[build-system] requires` (and what the backend's
//! `get_requires_for_build_*` hooks add) resolved for the build
//! interpreter, hash-pinned in `build-requirements.txt` and
//! `pylock.build.toml` beside the project's locks, with the wheels in the
//! build wheelhouse. A lock that still satisfies the requirements is kept:
//! the same pins, the same wheels, no resolution and, once the wheelhouse
//! holds them, no network.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pep508_rs::Requirement;

use super::types::BuildDependency;
use crate::config::OnGap;
use crate::index::client::IndexClient;
use crate::manifest::Manifest;
use crate::python::target::Target;
use crate::resolve::ResolveOptions;
use crate::wheelhouse::Progress;
use crate::wheelhouse::build::{WheelhouseError, WheelhouseRequest, build_wheelhouse};

/// The hash-pinned requirements file of the build lock, in the project.
pub const REQUIREMENTS: &str = "build-requirements.txt";
/// The PEP 751 lock of the build requirements, in the project.
pub const PYLOCK: &str = crate::project::BUILD_PYLOCK;

/// What to lock, for which interpreter, and where.
#[derive(Debug, Clone)]
pub struct BuildLockRequest {
    pub project: PathBuf,
    /// The folder the wheels go to (a wheelhouse of its own).
    pub wheelhouse: PathBuf,
    pub requirements: Vec<Requirement>,
    /// The build interpreter's Python on this machine's platform.
    pub target: Target,
    /// No resolution: a lock that does not satisfy the requirements is an
    /// error, not resolved again.
    pub offline: bool,
    pub project_name: String,
}

/// The build lock in place, with its wheels in the wheelhouse.
#[derive(Debug, Clone)]
pub struct BuildLock {
    /// `build-requirements.txt` in the project.
    pub requirements_file: PathBuf,
    pub pylock: PathBuf,
    pub wheelhouse: PathBuf,
    pub dependencies: Vec<BuildDependency>,
    /// Whether the existing lock was kept (no resolution).
    pub reused: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildLockError {
    #[error(
        "the build lock {} does not satisfy {}, and --offline forbids resolving again",
        lock.display(), unmet.join(", ")
    )]
    Stale { lock: PathBuf, unmet: Vec<String> },
    #[error("there is no build lock ({}) to build from, and --offline forbids making one", lock.display())]
    NoLockOffline { lock: PathBuf },
    #[error("the build wheelhouse {} does not hold what the build lock pins: {problem}", wheelhouse.display())]
    WheelhouseDoesNotMatch {
        wheelhouse: PathBuf,
        problem: String,
    },
    #[error("locking the build requirements")]
    Wheelhouse(#[from] WheelhouseError),
    #[error("the build wheelhouse {} has no readable manifest.json after locking", wheelhouse.display())]
    NoManifest { wheelhouse: PathBuf },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Diagnose for BuildLockError {
    fn exit_class(&self) -> crate::error::ExitClass {
        match self {
            BuildLockError::Wheelhouse(inner) => inner.exit_class(),
            _ => crate::error::ExitClass::Problems,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            BuildLockError::Stale { .. } | BuildLockError::NoLockOffline { .. } => Some(
                "run chiron build once with the network (without --offline) to lock and fetch the build requirements".into(),
            ),
            BuildLockError::WheelhouseDoesNotMatch { .. } => Some(
                "the build wheelhouse was changed or is another project's: fetch it again (chiron build without --offline) or pass the right --build-wheelhouse".into(),
            ),
            BuildLockError::Wheelhouse(inner) => inner.hint(),
            BuildLockError::NoManifest { .. } => {
                Some("remove the build wheelhouse folder and build again".into())
            }
            BuildLockError::Write { .. } => Some("check the project folder's permissions".into()),
        }
    }
}

/// The requirements of `requirements` the lock at `pylock` does not pin a
/// matching version of for `target` (all of them when there is no
/// readable lock). Markers are evaluated for the target; a requirement
/// whose marker does not hold needs nothing.
pub fn unmet(pylock: &Path, requirements: &[Requirement], target: &Target) -> Vec<String> {
    let Ok(lock) = crate::lock::pylock::read_pylock(pylock) else {
        return requirements.iter().map(ToString::to_string).collect();
    };
    let locked = crate::lock::pylock::locked_versions(&lock, target);
    requirements
        .iter()
        .filter(|r| r.evaluate_markers(target.markers(), &[]))
        .filter(|r| {
            let Some(version) = locked.get(&r.name) else {
                return true;
            };
            match &r.version_or_url {
                None => false,
                Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                    !specifiers.contains(version)
                }
                // A URL requirement is never satisfied by an index pin.
                Some(pep508_rs::VersionOrUrl::Url(_)) => true,
            }
        })
        .map(ToString::to_string)
        .collect()
}

/// Locks the build requirements (keeping the lock when it satisfies
/// them) and fetches their wheels into the build wheelhouse.
pub async fn lock_and_fetch(
    client: Arc<IndexClient>,
    request: &BuildLockRequest,
    progress: &dyn Progress,
) -> Result<BuildLock, BuildLockError> {
    let pylock = request.project.join(PYLOCK);
    let requirements_file = request.project.join(REQUIREMENTS);
    let unmet = unmet(&pylock, &request.requirements, &request.target);
    let reused = unmet.is_empty() && requirements_file.is_file();
    if !reused && request.offline {
        if !pylock.is_file() || !requirements_file.is_file() {
            return Err(BuildLockError::NoLockOffline { lock: pylock });
        }
        return Err(BuildLockError::Stale {
            lock: pylock,
            unmet,
        });
    }
    let ready = if reused {
        in_wheelhouse(&pylock, &request.target, &request.wheelhouse)
    } else {
        Err(String::new())
    };
    if let Err(problem) = &ready
        && request.offline
    {
        return Err(BuildLockError::WheelhouseDoesNotMatch {
            wheelhouse: request.wheelhouse.clone(),
            problem: problem.clone(),
        });
    }
    if let Ok(dependencies) = ready {
        // Every pinned wheel is there with its hash: nothing to resolve or
        // fetch, whatever index (or none) this machine has.
        return Ok(BuildLock {
            requirements_file,
            pylock,
            wheelhouse: request.wheelhouse.clone(),
            dependencies,
            reused,
        });
    }
    let wheelhouse = WheelhouseRequest {
        requirements: request.requirements.clone(),
        constraints: Vec::new(),
        direct: Vec::new(),
        input_files: Vec::new(),
        targets: vec![request.target.clone()],
        out: request.wheelhouse.clone(),
        options: ResolveOptions::default(),
        locked: false,
        lock: reused.then(|| pylock.clone()),
        lock_extras: Vec::new(),
        lock_groups: Vec::new(),
        project: format!("{} (build requirements)", request.project_name),
        // Not stamped with the build's time: the same lock makes the same
        // build wheelhouse whenever it is built.
        source_date_epoch: None,
        on_gap: OnGap::Fail,
        hashes: Default::default(),
    };
    let built = build_wheelhouse(client, &wheelhouse, progress).await?;
    built.staged.publish().map_err(BuildLockError::Wheelhouse)?;
    let manifest =
        crate::wheelhouse::build::read_manifest(&request.wheelhouse).ok_or_else(|| {
            BuildLockError::NoManifest {
                wheelhouse: request.wheelhouse.clone(),
            }
        })?;
    if !reused {
        write_lock_files(request, &manifest, &pylock, &requirements_file)?;
    }
    Ok(BuildLock {
        requirements_file,
        pylock,
        wheelhouse: request.wheelhouse.clone(),
        dependencies: dependencies(&manifest),
        reused,
    })
}

/// The lock's pins for `target` when the wheelhouse folder holds each
/// one's wheel with the locked sha256 (checked, not trusted); else what is
/// missing or differs.
fn in_wheelhouse(
    pylock: &Path,
    target: &Target,
    wheelhouse: &Path,
) -> Result<Vec<BuildDependency>, String> {
    let lock = crate::lock::pylock::read_pylock(pylock).map_err(|e| e.to_string())?;
    let pins =
        crate::lock::pylock::pins_for_target(&lock, pylock, target).map_err(|e| e.to_string())?;
    pins.into_iter()
        .map(|pin| {
            let filename = &pin.file.filename;
            let expected: crate::digest::Sha256 = pin
                .file
                .sha256()
                .and_then(|h| h.parse().ok())
                .ok_or_else(|| format!("the lock has no sha256 for {filename}"))?;
            let (sha256, _) = crate::digest::digest_file(&wheelhouse.join(filename))
                .map_err(|e| format!("{filename}: {e}"))?;
            if sha256 != expected {
                return Err(format!(
                    "{filename} has sha256 {sha256}, the lock says {expected}"
                ));
            }
            Ok(BuildDependency {
                name: crate::python::NormalizedName::new(&pin.name),
                version: pin.version,
                filename: filename.clone(),
                sha256,
                url: crate::index::redact_url(&pin.file.url),
            })
        })
        .collect()
}

/// The build lock's two files, from the build wheelhouse's manifest: the
/// PEP 751 lock with the index URLs, and the wheelhouse's hash-pinned
/// requirements under a header of their own.
fn write_lock_files(
    request: &BuildLockRequest,
    manifest: &Manifest,
    pylock: &Path,
    requirements_file: &Path,
) -> Result<(), BuildLockError> {
    let lock =
        crate::lock::pylock::render_pylock(manifest, std::slice::from_ref(&request.target), None);
    let write = |path: &Path, text: &str| {
        crate::atomic::write_file(path, text.as_bytes(), crate::atomic::Overwrite::Replace).map_err(
            |source| BuildLockError::Write {
                path: path.to_path_buf(),
                source,
            },
        )
    };
    write(pylock, &lock)?;
    let pinned = manifest
        .targets
        .first()
        .map(|t| request.wheelhouse.join(&t.requirements_file))
        .and_then(|path| std::fs::read_to_string(path).ok())
        .ok_or_else(|| BuildLockError::NoManifest {
            wheelhouse: request.wheelhouse.clone(),
        })?;
    let header = format!(
        "# chiron build: the build requirements of {} for CPython {} on {}, hash-pinned\n\
         # kept while they satisfy [build-system] requires; remove this file to resolve again\n",
        request.project_name, request.target.python, request.target.platform
    );
    write(requirements_file, &format!("{header}{}", body(&pinned)))
}

/// A requirements file without its leading comment lines.
fn body(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    rest
}

/// Every file of the build wheelhouse as a build dependency.
fn dependencies(manifest: &Manifest) -> Vec<BuildDependency> {
    manifest
        .packages
        .iter()
        .filter_map(|package| {
            let used = package.targets.values().next()?;
            let file = manifest.files.iter().find(|f| f.filename == used.file)?;
            Some(BuildDependency {
                name: package.name.clone(),
                version: package.version.clone(),
                filename: file.filename.clone(),
                sha256: file.sha256?,
                url: file.url.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_of_a_requirements_file_is_dropped() {
        assert_eq!(
            body("# a\n# b\nx==1 \\\n    --hash=sha256:ab\n"),
            "x==1 \\\n    --hash=sha256:ab\n"
        );
        assert_eq!(body("# only\n"), "");
        assert_eq!(body("x==1\n# later\n"), "x==1\n# later\n");
    }
}
