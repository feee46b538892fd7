//! Where the resolver gets packages from: index pages, per-target
//! candidates and core metadata, each fetched once and shared by every
//! target's resolution.
//!
//! Metadata comes from the PEP 658 file when the index offers one, and
//! otherwise from the wheel itself, which is downloaded into the
//! content-addressed cache (the wheelhouse copies it from there, so a
//! chosen wheel is never fetched twice).

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

/// A version a target can install, with the wheel it would install.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: Version,
    pub file: IndexFile,
    pub wheel: WheelFilename,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Index(Arc<IndexError>),
    #[error("{0}")]
    Metadata(#[from] MetadataError),
    #[error("{filename}: {message}")]
    Wheel { filename: String, message: String },
}

impl SourceError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SourceError::Index(error) => error.hint(),
            SourceError::Metadata(_) | SourceError::Wheel { .. } => Some(
                "the package's metadata is broken; exclude that version with a constraint (-c)"
                    .into(),
            ),
        }
    }
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
        }
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
        cell.get_or_init(|| async {
            self.client
                .project_files(name)
                .await
                .map(Arc::new)
                .map_err(SourceError::from)
        })
        .await
        .clone()
    }

    /// The versions `target` can install, newest first (see `wheel_candidates`).
    pub async fn candidates(
        &self,
        name: &PackageName,
        target: &Target,
        exact_pins: &BTreeSet<Version>,
        exclude_newer: Option<&str>,
    ) -> Result<Arc<Vec<Arc<Candidate>>>, SourceError> {
        let key = (
            name.clone(),
            format!("{}|{exact_pins:?}|{exclude_newer:?}", target.name()),
        );
        if let Some(found) = self.candidates.lock().expect("never poisoned").get(&key) {
            return Ok(Arc::clone(found));
        }
        let files = self.files(name).await?;
        let list: Vec<Arc<Candidate>> =
            wheel_candidates(name, &files, target, exact_pins, exclude_newer)
                .into_iter()
                .map(|c| {
                    Arc::new(Candidate {
                        version: c.wheel.version.clone(),
                        file: c.file,
                        wheel: c.wheel,
                    })
                })
                .collect();
        let list = Arc::new(list);
        self.candidates
            .lock()
            .expect("never poisoned")
            .insert(key, Arc::clone(&list));
        Ok(list)
    }

    /// The core metadata of a candidate's wheel, fetched once per file.
    pub async fn metadata(&self, candidate: &Candidate) -> Result<Arc<CoreMetadata>, SourceError> {
        let cell = {
            let mut metadata = self.metadata.lock().expect("never poisoned");
            Arc::clone(metadata.entry(candidate.file.filename.clone()).or_default())
        };
        let span = tracing::debug_span!("resolve.metadata", file = %candidate.file.filename);
        cell.get_or_init(|| {
            async {
                if let Some(metadata) = self.client.file_metadata(&candidate.file).await? {
                    return Ok(Arc::new(metadata));
                }
                let done = self
                    .client
                    .download(&candidate.file, &self.scratch, false)
                    .await?;
                read_wheel_metadata(&done.path, &candidate.file.filename).map(Arc::new)
            }
            .instrument(span)
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
