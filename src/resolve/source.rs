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
    let python = target.python.release();
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
        if !crate::index::admit::file_admitted(
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
pub(crate) mod tests {
    use super::*;
    use crate::index::client::ClientSettings;

    /// One wheel of an in-memory index: `name-version-tag.whl`, its
    /// `Requires-Dist` and `Provides-Extra`.
    pub(crate) struct MemoryWheel<'a> {
        pub name: &'a str,
        pub version: &'a str,
        pub tag: &'a str,
        pub requires_dist: &'a [&'a str],
        pub extras: &'a [&'a str],
    }

    impl<'a> MemoryWheel<'a> {
        pub(crate) fn new(name: &'a str, version: &'a str) -> Self {
            Self {
                name,
                version,
                tag: "py3-none-any",
                requires_dist: &[],
                extras: &[],
            }
        }
    }

    pub(crate) fn index_file(filename: &str) -> IndexFile {
        IndexFile {
            filename: filename.into(),
            url: format!("https://example.invalid/files/{filename}"),
            hashes: [("sha256".to_string(), "00".repeat(32))].into(),
            requires_python: None,
            yanked: None,
            metadata: None,
            size: None,
            upload_time: None,
            source: "https://example.invalid/simple".into(),
        }
    }

    /// A source whose index pages and metadata are `wheels`, already
    /// fetched: a resolution over it reads nothing from the network. A
    /// package it lacks is not found: the client's only source is the
    /// empty find-links folder `scratch/find-links`.
    pub(crate) fn in_memory(scratch: &Path, wheels: &[MemoryWheel]) -> Arc<PackageSource> {
        in_memory_with(scratch, wheels, Vec::new())
    }

    /// As [`in_memory`], with more files (sdists, yanked files) on the pages.
    fn in_memory_with(
        scratch: &Path,
        wheels: &[MemoryWheel],
        more: Vec<IndexFile>,
    ) -> Arc<PackageSource> {
        let find_links = scratch.join("find-links");
        std::fs::create_dir_all(&find_links).expect("a scratch folder");
        let mut settings = ClientSettings::new(Vec::new(), scratch.join("cache"));
        settings.find_links = vec![find_links.display().to_string()];
        settings.netrc = None;
        settings.offline = true;
        let client = Arc::new(IndexClient::new(settings).expect("a client without indexes"));
        let source = PackageSource::new(client, scratch.join("scratch"));
        let mut pages: HashMap<PackageName, Vec<IndexFile>> = HashMap::new();
        for wheel in wheels {
            let filename = format!(
                "{}-{}-{}.whl",
                wheel.name.replace('-', "_"),
                wheel.version,
                wheel.tag
            );
            let mut text = format!(
                "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
                wheel.name, wheel.version
            );
            for extra in wheel.extras {
                text.push_str(&format!("Provides-Extra: {extra}\n"));
            }
            for requirement in wheel.requires_dist {
                text.push_str(&format!("Requires-Dist: {requirement}\n"));
            }
            let metadata = CoreMetadata::parse(&text, &filename).expect("valid test metadata");
            source.metadata.lock().expect("never poisoned").insert(
                filename.clone(),
                Arc::new(OnceCell::new_with(Some(Ok(Arc::new(metadata))))),
            );
            let name = PackageName::new(wheel.name.to_string()).expect("a valid test name");
            pages.entry(name).or_default().push(index_file(&filename));
        }
        for file in more {
            let parsed = crate::python::filename::DistFilename::parse(&file.filename, None)
                .expect("a distribution file name");
            pages.entry(parsed.name().clone()).or_default().push(file);
        }
        for (name, files) in pages {
            source.files.lock().expect("never poisoned").insert(
                name,
                Arc::new(OnceCell::new_with(Some(Ok(Arc::new(files))))),
            );
        }
        Arc::new(source)
    }

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

    /// A zip archive (a wheel, or a `.zip` sdist) holding `entries`.
    fn write_zip(path: &Path, entries: &[(&str, &str)]) {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, text) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }

    /// A `.tar.gz` sdist holding `entries`.
    fn write_tar_gz(path: &Path, entries: &[(&str, &str)]) {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        for (name, text) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, text.as_bytes()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }

    const STATIC_PKG_INFO: &str =
        "Metadata-Version: 2.2\nName: demo\nVersion: 1.0\nRequires-Dist: six\n";

    #[test]
    fn a_wheel_gives_the_metadata_of_its_dist_info() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo-1.0-py3-none-any.whl");
        write_zip(
            &path,
            &[
                ("demo/__init__.py", ""),
                // A METADATA deeper down is not the wheel's own.
                (
                    "demo/vendored/x-1.0.dist-info/METADATA",
                    "Name: x\nVersion: 9\n",
                ),
                (
                    "demo-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six>=1.16\n",
                ),
            ],
        );
        let metadata = read_wheel_metadata(&path, "demo-1.0-py3-none-any.whl").unwrap();
        assert_eq!(
            (metadata.name.as_str(), metadata.version.as_str()),
            ("demo", "1.0")
        );
        assert_eq!(metadata.requires_dist[0].to_string(), "six>=1.16");
    }

    #[test]
    fn a_broken_wheel_is_an_error_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let filename = "demo-1.0-py3-none-any.whl";
        let path = dir.path().join(filename);
        let read = |entries: &[(&str, &str)]| {
            write_zip(&path, entries);
            read_wheel_metadata(&path, filename).unwrap_err()
        };
        let error = read(&[(
            "demo-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six >=>= 1\n",
        )]);
        assert!(matches!(error, SourceError::Metadata(_)), "{error:?}");
        assert!(
            error.to_string().starts_with(
                "metadata of demo-1.0-py3-none-any.whl, line 4: bad Requires-Dist `six >=>= 1`"
            ),
            "{error}"
        );
        assert_eq!(
            error.hint().as_deref(),
            Some("the package's metadata is broken; exclude that version with a constraint (-c)")
        );
        let error = read(&[("demo/__init__.py", "")]);
        assert_eq!(
            error.to_string(),
            "demo-1.0-py3-none-any.whl: no .dist-info/METADATA inside"
        );
        std::fs::write(&path, b"not a zip").unwrap();
        let error = read_wheel_metadata(&path, filename).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("demo-1.0-py3-none-any.whl: not a zip archive: "),
            "{error}"
        );
    }

    #[test]
    fn sdist_metadata_is_taken_only_when_static() {
        let dir = tempfile::tempdir().unwrap();
        let tar_gz = dir.path().join("demo-1.0.tar.gz");
        write_tar_gz(
            &tar_gz,
            &[
                ("demo-1.0/setup.py", ""),
                ("demo-1.0/PKG-INFO", STATIC_PKG_INFO),
            ],
        );
        let metadata = read_sdist_metadata(&tar_gz, "demo-1.0.tar.gz").unwrap();
        assert_eq!(metadata.requires_dist[0].to_string(), "six");
        let zip = dir.path().join("demo-1.0.zip");
        write_zip(&zip, &[("demo-1.0/PKG-INFO", STATIC_PKG_INFO)]);
        assert_eq!(read_sdist_metadata(&zip, "demo-1.0.zip").unwrap(), metadata);

        let dynamic = |pkg_info: &str| {
            write_tar_gz(&tar_gz, &[("demo-1.0/PKG-INFO", pkg_info)]);
            match read_sdist_metadata(&tar_gz, "demo-1.0.tar.gz") {
                Err(SourceError::DynamicMetadata { filename, reason }) => {
                    assert_eq!(filename, "demo-1.0.tar.gz");
                    reason
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            dynamic("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
            "its PKG-INFO is metadata 2.1, older than 2.2, so its dependencies are only known after building it"
        );
        assert!(
            dynamic("Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nDynamic: requires-dist\n")
                .starts_with("its PKG-INFO declares Requires-Dist or Requires-Python dynamic"),
        );
        // A PKG-INFO of a nested folder is not the sdist's.
        write_tar_gz(&tar_gz, &[("demo-1.0/sub/PKG-INFO", STATIC_PKG_INFO)]);
        assert_eq!(
            read_sdist_metadata(&tar_gz, "demo-1.0.tar.gz")
                .unwrap_err()
                .to_string(),
            "demo-1.0.tar.gz: no PKG-INFO at the top of the archive"
        );
    }

    #[test]
    fn sdists_are_candidates_only_for_versions_without_a_wheel() {
        let scratch = tempfile::tempdir().unwrap();
        // Sdists for 1.0 (which has a wheel too), 2.1 and a yanked 3.0.
        let source = in_memory_with(
            scratch.path(),
            &[
                MemoryWheel::new("demo", "1.0"),
                MemoryWheel::new("demo", "2.0"),
            ],
            vec![
                index_file("demo-1.0.tar.gz"),
                index_file("demo-2.1.tar.gz"),
                IndexFile {
                    yanked: Some("broken".into()),
                    ..index_file("demo-3.0.tar.gz")
                },
            ],
        );
        let name = PackageName::new("demo".to_string()).unwrap();
        let target = crate::python::target::Target::new(
            crate::python::version::PythonVersion::new(3, 12),
            "linux-x86_64".parse().unwrap(),
            crate::python::target::Floors::default(),
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let candidates = |formats: (bool, bool)| -> Vec<String> {
            runtime
                .block_on(source.candidates(&name, &target, &BTreeSet::new(), None, formats))
                .unwrap()
                .iter()
                .map(|c| c.file.filename.clone())
                .collect()
        };
        assert_eq!(
            candidates((true, false)),
            ["demo-2.0-py3-none-any.whl", "demo-1.0-py3-none-any.whl"]
        );
        assert_eq!(
            candidates((true, true)),
            [
                "demo-2.1.tar.gz",
                "demo-2.0-py3-none-any.whl",
                "demo-1.0-py3-none-any.whl"
            ]
        );
        // `--no-binary demo` with sdists allowed: the sdists only.
        assert_eq!(
            candidates((false, true)),
            ["demo-2.1.tar.gz", "demo-1.0.tar.gz"]
        );
    }

    #[test]
    fn only_a_package_no_source_has_is_not_found() {
        let not_found = SourceError::from(IndexError::NotFound {
            package: "sixx".into(),
            sources: vec!["https://pypi.org/simple".into()],
        });
        assert!(not_found.is_not_found());
        assert_eq!(
            not_found.to_string(),
            "package `sixx` was not found on https://pypi.org/simple"
        );
        let dynamic = SourceError::DynamicMetadata {
            filename: "demo-1.0.tar.gz".into(),
            reason: "its PKG-INFO is metadata 1.0".into(),
        };
        assert!(!dynamic.is_not_found());
        assert_eq!(
            dynamic.to_string(),
            "demo-1.0.tar.gz: its PKG-INFO is metadata 1.0"
        );
        assert!(dynamic.hint().unwrap().contains("--find-links"));
    }
}
