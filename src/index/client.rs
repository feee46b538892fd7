//! The package index client: project pages from simple-API indexes and
//! find-links sources, PEP 658 metadata, and verified downloads.
//!
//! [`IndexClient`] is the façade the rest of chiron talks to; it composes
//! the parts, each with one job: the settings (`settings`), the one
//! retrying request path with credentials and the concurrency limit
//! (`http`), the page cache (`page_cache`), find-links sources
//! (`find_links`), verified downloads and the content-addressed file
//! store (`store`), and METADATA read by range requests (`remote_zip`).
//! With `offline`, only the caches answer, and a request they cannot serve
//! is named in the error.
//!
//! Owns which sources are asked for a package (pins, several indexes,
//! find-links) and what the answers mean together. It must not send a
//! request, touch the caches or parse pages itself: the parts do.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use pep508_rs::PackageName;
use tracing::Instrument;
use url::Url;

pub use super::error::IndexError;
use super::find_links::{self, own_scheme_only};
use super::http::Transport;
use super::page_cache::PageCache;
use super::remote_zip::RangeReader;
pub use super::settings::ClientSettings;
use super::simple::{IndexFile, parse_html, parse_json};
use super::store::{Downloaded, FileStore};
use crate::python::metadata::CoreMetadata;
use crate::redact::redact_url;

/// The largest PEP 658 metadata file read (real ones are a few KiB).
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

pub struct IndexClient {
    settings: ClientSettings,
    transport: Transport,
    pages: PageCache,
    store: FileStore,
    ranges: RangeReader,
    /// Files and bytes fetched from the network so far.
    fetched: AtomicU64,
    fetched_bytes: AtomicU64,
}

impl IndexClient {
    pub fn new(settings: ClientSettings) -> Result<Self, IndexError> {
        let transport = Transport::new(&settings)?;
        Ok(Self {
            pages: PageCache::new(settings.cache_dir.clone(), settings.offline),
            store: FileStore::new(settings.cache_dir.clone(), settings.offline),
            ranges: RangeReader::default(),
            settings,
            transport,
            fetched: Default::default(),
            fetched_bytes: Default::default(),
        })
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// Files and bytes downloaded from the network by this client so far
    /// (cache hits and files already present do not count).
    pub fn fetched(&self) -> (u64, u64) {
        (
            self.fetched.load(Ordering::Relaxed),
            self.fetched_bytes.load(Ordering::Relaxed),
        )
    }

    /// Every file of `package` the configured sources list. A name found on
    /// two indexes is an error unless pinned; find-links files are added.
    pub async fn project_files(&self, package: &PackageName) -> Result<Vec<IndexFile>, IndexError> {
        let span = tracing::info_span!("index.project", package = %package);
        self.list_project(package).instrument(span).await
    }

    async fn list_project(&self, package: &PackageName) -> Result<Vec<IndexFile>, IndexError> {
        let indexes: Vec<String> = match self.settings.pins.get(package.as_ref()) {
            Some(pinned) => vec![pinned.clone()],
            None => self.settings.index_urls.clone(),
        };
        let pages = futures_util::future::join_all(
            indexes.iter().map(|index| self.index_page(index, package)),
        )
        .await;
        let mut found: Vec<(String, Vec<IndexFile>)> = Vec::new();
        for (index, page) in indexes.iter().zip(pages) {
            if let Some(files) = page?
                && !files.is_empty()
            {
                found.push((redact_url(index), files));
            }
        }
        if found.len() > 1 {
            return Err(IndexError::Ambiguous {
                package: package.to_string(),
                indexes: found.into_iter().map(|(index, _)| index).collect(),
            });
        }
        let mut files: Vec<IndexFile> = found.pop().map(|(_, files)| files).unwrap_or_default();
        for link in &self.settings.find_links {
            files.extend(
                find_links::files(
                    &self.pages,
                    &self.transport,
                    link,
                    package,
                    self.settings.max_page_bytes,
                )
                .await?,
            );
        }
        if files.is_empty() {
            let mut sources: Vec<String> = indexes.iter().map(|i| redact_url(i)).collect();
            sources.extend(self.settings.find_links.iter().map(|l| redact_url(l)));
            return Err(IndexError::NotFound {
                package: package.to_string(),
                sources,
            });
        }
        tracing::debug!(files = files.len(), "project files listed");
        Ok(files)
    }

    /// The project's page on one index: `None` when the index does not have it.
    async fn index_page(
        &self,
        index: &str,
        package: &PackageName,
    ) -> Result<Option<Vec<IndexFile>>, IndexError> {
        let base = index.trim_end_matches('/');
        let page_url = format!("{base}/{package}/");
        let Some(page) = self
            .pages
            .get(
                &self.transport,
                &page_url,
                self.settings.max_page_bytes,
                "page",
            )
            .await?
        else {
            return Ok(None);
        };
        let url = Url::parse(&page.url).map_err(|e| IndexError::BadUrl {
            url: redact_url(&page.url),
            message: e.to_string(),
        })?;
        let source = redact_url(base);
        let files = if page
            .content_type
            .starts_with("application/vnd.pypi.simple.v1+json")
        {
            parse_json(&url, &source, &page.body)?
        } else {
            parse_html(&url, &source, &page.body)?
        };
        Ok(Some(own_scheme_only(&url, files)))
    }

    /// The PEP 658 metadata of a file, verified against its published hash.
    pub async fn file_metadata(
        &self,
        file: &IndexFile,
    ) -> Result<Option<CoreMetadata>, IndexError> {
        let (Some(url), Some(hashes)) = (file.metadata_url(), file.metadata.as_ref()) else {
            return Ok(None);
        };
        let Some(page) = self
            .pages
            .get(&self.transport, &url, MAX_METADATA_BYTES, "metadata file")
            .await?
        else {
            return Ok(None);
        };
        if let Some(expected) = hashes.get("sha256") {
            let actual = crate::digest::sha256_hex(page.body.as_bytes());
            if &actual != expected {
                return Err(IndexError::HashMismatch {
                    url: redact_url(&url),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        Ok(Some(CoreMetadata::parse(&page.body, &file.filename)?))
    }

    /// A wheel's METADATA read with HTTP range requests, without downloading
    /// the wheel: the end of the file for the zip directory, then the one
    /// entry. `None` offline, when the server ignores ranges or the archive
    /// is one this reader does not handle (ZIP64, unusual compression); the
    /// caller then downloads the wheel. Not hash-checked: it only guides the
    /// resolver, and the file installed is verified when downloaded.
    pub async fn wheel_metadata_by_range(
        &self,
        file: &IndexFile,
    ) -> Result<Option<String>, IndexError> {
        if self.settings.offline {
            return Ok(None);
        }
        self.ranges.wheel_metadata(&self.transport, &file.url).await
    }

    /// Downloads `file` into `dest_dir` under its own name: streamed into a
    /// temporary file there, hashed on the way, compared with the index's
    /// sha256, then renamed. A file already there with the right hash, or
    /// one in the content-addressed cache, is not downloaded again.
    pub async fn download(
        &self,
        file: &IndexFile,
        dest_dir: &Path,
        allow_unhashed: bool,
    ) -> Result<Downloaded, IndexError> {
        let span = tracing::info_span!("index.download", file = %file.filename, bytes = tracing::field::Empty);
        let result = self
            .store
            .download(&self.transport, file, dest_dir, allow_unhashed)
            .instrument(span.clone())
            .await;
        if let Ok(done) = &result {
            if done.fetched {
                self.fetched.fetch_add(1, Ordering::Relaxed);
                self.fetched_bytes.fetch_add(done.size, Ordering::Relaxed);
            }
            span.record("bytes", done.size);
        }
        result
    }
}
