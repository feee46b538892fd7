//! Where the resolver gets packages from: index pages, per-target
//! candidates and core metadata, each fetched once and shared by every
//! target's resolution.
//!
//! Metadata comes from the PEP 658 file when the index offers one, and
//! otherwise from the wheel itself, which is downloaded into the
//! content-addressed cache (the wheelhouse copies it from there, so a
//! chosen wheel is never fetched twice). A source made
//! [`PackageSource::without_wheel_downloads`] (for `chiron lock`, which
//! installs nothing) reads every wheel's METADATA with range requests, and
//! downloads a wheel only when the server ignores ranges or the file is on
//! disk anyway.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pep440_rs::Version;
use pep508_rs::PackageName;
use tokio::sync::OnceCell;
use tracing::Instrument;

use crate::index::client::{IndexClient, IndexError};
use crate::index::select::wheel_candidates;
use crate::index::simple::IndexFile;
use crate::python::filename::WheelFilename;
use crate::python::metadata::{CoreMetadata, MetadataError};
use crate::python::target::Target;

/// A version a target can install, with the file it would install: a
/// wheel, or (with `--allow-sdist`) a source distribution.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: Version,
    pub file: IndexFile,
    /// `None` for a source distribution.
    pub wheel: Option<WheelFilename>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Index(Arc<IndexError>),
    #[error("{0}")]
    Metadata(#[from] MetadataError),
    #[error("{filename}: {message}")]
    Wheel { filename: String, message: String },
    /// An sdist whose dependencies are only known after building it.
    #[error("{filename}: {reason}")]
    DynamicMetadata { filename: String, reason: String },
    /// Reading `what` (a package's page, a file's metadata) stopped on a
    /// bug instead of returning an error: the run fails naming it.
    #[error("{what}: reading it failed on an internal error: {message}")]
    Crashed { what: String, message: String },
}

impl SourceError {
    /// No index or find-links source has the package at all.
    pub fn is_not_found(&self) -> bool {
        matches!(self, SourceError::Index(error) if matches!(**error, IndexError::NotFound { .. }))
    }

    pub fn hint(&self) -> Option<String> {
        const BROKEN: &str =
            "the package's metadata is broken; exclude that version with a constraint (-c)";
        match self {
            // A PEP 658 metadata file is read by the index client.
            SourceError::Index(error) if matches!(**error, IndexError::Metadata(_)) => {
                Some(BROKEN.into())
            }
            SourceError::Index(error) => error.hint(),
            SourceError::DynamicMetadata { .. } => Some(
                "use a version that publishes wheels, or build the wheel yourself and serve it with --find-links"
                    .into(),
            ),
            SourceError::Metadata(_) | SourceError::Wheel { .. } => Some(BROKEN.into()),
            SourceError::Crashed { .. } => Some(
                "this is a bug in chiron, please report it with that file; meanwhile exclude that version with a constraint (-c)"
                    .into(),
            ),
        }
    }
}

/// Runs `work` as its own task, so that a bug that panics while reading
/// `what` ends as an error naming it rather than taking the resolution
/// thread down with an unexplained "task failed".
async fn in_task<T: Send + 'static>(
    what: String,
    work: impl Future<Output = Result<T, SourceError>> + Send + 'static,
) -> Result<T, SourceError> {
    tokio::spawn(work)
        .await
        .unwrap_or_else(|error| Err(crashed(what, error)))
}

/// The error for a task that did not finish: its panic message, or that it
/// was cancelled.
fn crashed(what: String, error: tokio::task::JoinError) -> SourceError {
    let message = match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into()),
        Err(error) => error.to_string(),
    };
    SourceError::Crashed { what, message }
}

impl From<IndexError> for SourceError {
    fn from(error: IndexError) -> Self {
        SourceError::Index(Arc::new(error))
    }
}

type Shared<T> = Arc<OnceCell<Result<T, SourceError>>>;

/// A target's candidates for one package, newest first.
pub type Candidates = Arc<Vec<Arc<Candidate>>>;

/// Packages, candidates and metadata, cached for the whole run.
pub struct PackageSource {
    client: Arc<IndexClient>,
    /// Where wheels fetched for their metadata are kept.
    scratch: PathBuf,
    files: Mutex<HashMap<PackageName, Shared<Arc<Vec<IndexFile>>>>>,
    candidates: Mutex<HashMap<(PackageName, String), Candidates>>,
    metadata: Mutex<HashMap<String, Shared<Arc<CoreMetadata>>>>,
    /// Download the wheel a resolution will likely install to read its
    /// metadata (the wheelhouse needs it anyway), rather than range requests.
    download_likely_installed: bool,
}

/// The most a METADATA file may expand to before we call it a zip bomb.
const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

impl PackageSource {
    pub fn new(client: Arc<IndexClient>, scratch: PathBuf) -> Self {
        Self {
            client,
            scratch,
            files: Mutex::default(),
            candidates: Mutex::default(),
            metadata: Mutex::default(),
            download_likely_installed: true,
        }
    }

    /// Metadata from PEP 658 files or range requests only, for a run that
    /// installs nothing: a wheel is downloaded whole only when neither works.
    pub fn without_wheel_downloads(mut self) -> Self {
        self.download_likely_installed = false;
        self
    }

    pub fn client(&self) -> &IndexClient {
        &self.client
    }

    /// The folder holding wheels downloaded for their metadata.
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// Every file the sources list for `name`, fetched once.
    pub async fn files(&self, name: &PackageName) -> Result<Arc<Vec<IndexFile>>, SourceError> {
        let cell = {
            let mut files = self.files.lock().expect("the lock is never poisoned");
            Arc::clone(files.entry(name.clone()).or_default())
        };
        if let Some(done) = cell.get() {
            return done.clone();
        }
        let client = Arc::clone(&self.client);
        let owned = name.clone();
        cell.get_or_init(|| {
            in_task(format!("the index page of {name}"), async move {
                client
                    .project_files(&owned)
                    .await
                    .map(Arc::new)
                    .map_err(SourceError::from)
            })
        })
        .await
        .clone()
    }

    /// The versions `target` can install, newest first (see
    /// `wheel_candidates`): wheels unless the package is source-only, and
    /// sdists when they are allowed for it.
    pub async fn candidates(
        &self,
        name: &PackageName,
        target: &Target,
        exact_pins: &BTreeSet<Version>,
        exclude_newer: Option<&str>,
        (wheels, allow_sdist): (bool, bool),
    ) -> Result<Arc<Vec<Arc<Candidate>>>, SourceError> {
        let key = (
            name.clone(),
            format!(
                "{}|{exact_pins:?}|{exclude_newer:?}|{wheels}|{allow_sdist}",
                target.name()
            ),
        );
        if let Some(found) = self.candidates.lock().expect("never poisoned").get(&key) {
            return Ok(Arc::clone(found));
        }
        let files = self.files(name).await?;
        let mut list: Vec<Arc<Candidate>> =
            wheel_candidates(name, &files, target, exact_pins, exclude_newer)
                .into_iter()
                .map(|c| {
                    Arc::new(Candidate {
                        version: c.wheel.version.clone(),
                        file: c.file,
                        wheel: Some(c.wheel),
                    })
                })
                .collect();
        if !wheels {
            list.clear();
        }
        if allow_sdist {
            list.extend(
                sdist_candidates(name, &files, target, exact_pins, exclude_newer, &list)
                    .into_iter()
                    .map(Arc::new),
            );
            list.sort_by(|a, b| b.version.cmp(&a.version));
        }
        let list = Arc::new(list);
        self.candidates
            .lock()
            .expect("never poisoned")
            .insert(key, Arc::clone(&list));
        Ok(list)
    }

    /// The core metadata of a candidate, fetched once per file: from its PEP
    /// 658 file when offered; else from the file itself, downloaded whole
    /// (it will be installed anyway).
    pub async fn metadata(&self, candidate: &Candidate) -> Result<Arc<CoreMetadata>, SourceError> {
        self.metadata_with(candidate, true).await
    }

    /// As [`Self::metadata`]; with `likely_installed` false (a candidate the
    /// resolver is only considering), a wheel's metadata is read with HTTP
    /// range requests when the server allows them, not by downloading it.
    pub async fn metadata_with(
        &self,
        candidate: &Candidate,
        likely_installed: bool,
    ) -> Result<Arc<CoreMetadata>, SourceError> {
        let cell = {
            let mut metadata = self.metadata.lock().expect("never poisoned");
            Arc::clone(metadata.entry(candidate.file.filename.clone()).or_default())
        };
        if let Some(done) = cell.get() {
            return done.clone();
        }
        let likely_installed = likely_installed && self.download_likely_installed;
        let span = tracing::debug_span!("resolve.metadata", file = %candidate.file.filename);
        let client = Arc::clone(&self.client);
        let scratch = self.scratch.clone();
        let downloads = self.download_likely_installed;
        let candidate = candidate.clone();
        let what = format!(
            "the metadata of {} (version {}, from {})",
            candidate.file.filename, candidate.version, candidate.file.source
        );
        cell.get_or_init(|| {
            in_task(
                what,
                async move {
                    if let Some(metadata) = client.file_metadata(&candidate.file).await? {
                        return match candidate.wheel {
                            Some(_) => Ok(Arc::new(metadata)),
                            None => {
                                require_static(metadata, &candidate.file.filename).map(Arc::new)
                            }
                        };
                    }
                    if !likely_installed
                        && candidate.wheel.is_some()
                        && let Some(text) = client.wheel_metadata_by_range(&candidate.file).await?
                    {
                        return CoreMetadata::parse(&text, &candidate.file.filename)
                            .map(Arc::new)
                            .map_err(SourceError::from);
                    }
                    // Without downloads for installing, a file is fetched only
                    // to be read, as range requests read it: unverified, like
                    // them (the lock hashes what it pins on its own).
                    let allow_unhashed = !downloads;
                    let done = client
                        .download(&candidate.file, &scratch, allow_unhashed)
                        .await?;
                    if candidate.wheel.is_some() {
                        read_wheel_metadata(&done.path, &candidate.file.filename).map(Arc::new)
                    } else {
                        read_sdist_metadata(&done.path, &candidate.file.filename).map(Arc::new)
                    }
                }
                .instrument(span),
            )
        })
        .await
        .clone()
    }
}

/// Reads `*.dist-info/METADATA` from a wheel, refusing absurd sizes.
pub fn read_wheel_metadata(path: &Path, filename: &str) -> Result<CoreMetadata, SourceError> {
    let wheel_error = |message: String| SourceError::Wheel {
        filename: filename.to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| wheel_error(e.to_string()))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| wheel_error(format!("not a zip archive: {e}")))?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .map(|n| n.into_owned())
        .ok_or_else(|| wheel_error("no .dist-info/METADATA inside".into()))?;
    let entry = archive
        .by_name(&name)
        .map_err(|e| wheel_error(e.to_string()))?;
    let mut text = String::new();
    entry
        .take(MAX_METADATA_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| wheel_error(format!("unreadable METADATA: {e}")))?;
    Ok(CoreMetadata::parse(&text, filename)?)
}

/// Sdist candidates for the versions that have no wheel for the target
/// (one sdist per version; yanked, too-new and requires-python rules as for
/// wheels).
fn sdist_candidates(
    name: &PackageName,
    files: &[IndexFile],
    target: &Target,
    exact_pins: &BTreeSet<Version>,
    exclude_newer: Option<&str>,
    wheels: &[Arc<Candidate>],
) -> Vec<Candidate> {
    use crate::python::filename::SdistFilename;
    let python = Version::new([
        u64::from(target.python.major),
        u64::from(target.python.minor),
    ]);
    let mut out: Vec<Candidate> = Vec::new();
    for file in files {
        let Ok(sdist) = SdistFilename::parse(&file.filename, Some(name)) else {
            continue;
        };
        if wheels.iter().any(|w| w.version == sdist.version)
            || out.iter().any(|c| c.version == sdist.version)
        {
            continue;
        }
        if !crate::index::select::file_admitted(
            file,
            &sdist.version,
            &python,
            exact_pins,
            exclude_newer,
        ) {
            continue;
        }
        out.push(Candidate {
            version: sdist.version.clone(),
            file: file.clone(),
            wheel: None,
        });
    }
    out
}

/// Reads `PKG-INFO` from a source distribution (`.tar.gz` or `.zip`) and
/// accepts it only when it is reliable without building: metadata 2.2 or
/// newer (PEP 643) with `Requires-Dist` and `Requires-Python` not dynamic.
pub fn read_sdist_metadata(path: &Path, filename: &str) -> Result<CoreMetadata, SourceError> {
    let broken = |message: String| SourceError::Wheel {
        filename: filename.to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| broken(e.to_string()))?;
    // PKG-INFO sits at the top of the one folder the archive holds.
    let is_pkg_info = |name: &str| {
        let parts: Vec<&str> = name.trim_start_matches("./").split('/').collect();
        parts.len() == 2 && parts[1] == "PKG-INFO"
    };
    let mut text = None;
    if filename.ends_with(".zip") {
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| broken(format!("not a zip archive: {e}")))?;
        let name = archive
            .file_names()
            .filter_map(Result::ok)
            .find(|n| is_pkg_info(n))
            .map(|n| n.into_owned());
        if let Some(name) = name {
            let mut content = String::new();
            archive
                .by_name(&name)
                .map_err(|e| broken(e.to_string()))?
                .take(MAX_METADATA_BYTES)
                .read_to_string(&mut content)
                .map_err(|e| broken(format!("unreadable PKG-INFO: {e}")))?;
            text = Some(content);
        }
    } else {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let entries = archive
            .entries()
            .map_err(|e| broken(format!("not a .tar.gz: {e}")))?;
        for entry in entries {
            let entry = entry.map_err(|e| broken(format!("broken archive: {e}")))?;
            let name = entry
                .path()
                .map_err(|e| broken(e.to_string()))?
                .to_string_lossy()
                .into_owned();
            if is_pkg_info(&name) {
                let mut content = String::new();
                entry
                    .take(MAX_METADATA_BYTES)
                    .read_to_string(&mut content)
                    .map_err(|e| broken(format!("unreadable PKG-INFO: {e}")))?;
                text = Some(content);
                break;
            }
        }
    }
    let text = text.ok_or_else(|| broken("no PKG-INFO at the top of the archive".into()))?;
    let metadata = CoreMetadata::parse(&text, filename)?;
    require_static(metadata, filename)
}

/// Sdist metadata is only trusted when PEP 643 says it is final: metadata
/// 2.2 or newer, with `Requires-Dist` and `Requires-Python` not dynamic.
fn require_static(metadata: CoreMetadata, filename: &str) -> Result<CoreMetadata, SourceError> {
    let version: Vec<u32> = metadata
        .metadata_version
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    let dynamic_reason = if version < vec![2, 2] {
        Some(format!(
            "its PKG-INFO is metadata {}, older than 2.2, so its dependencies are only known after building it",
            metadata.metadata_version
        ))
    } else if metadata.is_dynamic("Requires-Dist") || metadata.is_dynamic("Requires-Python") {
        Some("its PKG-INFO declares Requires-Dist or Requires-Python dynamic, so they are only known after building it".into())
    } else {
        None
    };
    match dynamic_reason {
        Some(reason) => Err(SourceError::DynamicMetadata {
            filename: filename.to_string(),
            reason,
        }),
        None => Ok(metadata),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_that_panics_is_an_error_naming_what_it_read() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let what = "the metadata of app-1.0-py3-none-any.whl".to_string();
        let outcome: Result<(), SourceError> = runtime.block_on(in_task(what, async {
            panic!("PackageName validation should match");
        }));
        let error = outcome.unwrap_err();
        assert!(matches!(error, SourceError::Crashed { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "the metadata of app-1.0-py3-none-any.whl: reading it failed on an internal error: \
             PackageName validation should match"
        );
        assert!(error.hint().unwrap().contains("report"));
        // A task that finishes gives its own result.
        let ok = runtime.block_on(in_task("x".into(), async { Ok(7) }));
        assert_eq!(ok.unwrap(), 7);
    }
}
