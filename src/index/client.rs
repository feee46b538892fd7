//! The package index client: project pages from simple-API indexes and
//! find-links sources, PEP 658 metadata, and verified downloads.
//!
//! Every request goes through one place ([`IndexClient::get`]): credentials
//! from the URL or `.netrc` for that host only, a bounded number of requests
//! at once, retries with exponential backoff on connection errors, timeouts
//! and 5xx answers. Project pages are kept in an HTTP cache (ETag,
//! Last-Modified, Cache-Control max-age) under the cache folder; downloaded
//! files in a content-addressed store (by sha256). With `offline`, only the
//! caches answer, and a request they cannot serve is named in the error.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use pep508_rs::PackageName;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;

use super::auth::Credentials;
use super::redact_url;
use super::simple::{ACCEPT, IndexFile, PageError, parse_html, parse_json};
use crate::python::filename::DistFilename;
use crate::python::metadata::{CoreMetadata, MetadataError};

/// How the client reaches indexes.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The primary index first, then the extra ones.
    pub index_urls: Vec<String>,
    /// Local folders or flat HTML pages.
    pub find_links: Vec<String>,
    /// Normalised package name to the one index URL that serves it.
    pub pins: BTreeMap<String, String>,
    pub cache_dir: PathBuf,
    pub offline: bool,
    /// Per connection attempt and per stalled read.
    pub timeout: Duration,
    /// Extra attempts after a failure that may pass (connection, timeout, 5xx).
    pub retries: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Base delay of the exponential backoff.
    pub backoff: Duration,
    /// The `.netrc` to read, if any.
    pub netrc: Option<PathBuf>,
    /// Extra CA certificates (PEM bundle).
    pub cert: Option<PathBuf>,
    /// A PEM client certificate with its key, for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// Hosts reached over plain HTTP or without verifying certificates.
    pub trusted_hosts: Vec<String>,
    /// The largest project or find-links page read; a longer body is
    /// refused, not cached.
    pub max_page_bytes: u64,
}

/// `[index] max-page-bytes` when not set: the largest PyPI project pages
/// (thousands of files) are a few MiB, so this leaves room without letting
/// a hostile index fill memory.
pub const DEFAULT_MAX_PAGE_BYTES: u64 = 50 * 1024 * 1024;

/// The largest PEP 658 metadata file read (real ones are a few KiB).
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// The largest body of one HTTP range request (a zip's directory, or its
/// METADATA entry).
const MAX_RANGE_BYTES: u64 = 16 * 1024 * 1024;

/// The longest `Retry-After` chiron waits for; an index asking for longer
/// gets an error instead of a silent stall.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl ClientSettings {
    pub fn new(index_urls: Vec<String>, cache_dir: PathBuf) -> Self {
        Self {
            index_urls,
            find_links: Vec::new(),
            pins: BTreeMap::new(),
            cache_dir,
            offline: false,
            timeout: Duration::from_secs(30),
            retries: 3,
            concurrency: 8,
            backoff: Duration::from_millis(200),
            netrc: default_netrc(),
            cert: None,
            client_cert: None,
            trusted_hosts: Vec::new(),
            max_page_bytes: DEFAULT_MAX_PAGE_BYTES,
        }
    }
}

impl ClientSettings {
    /// Settings from the effective configuration: indexes (none with
    /// `no-index`), find-links (relative folders against the configuration's
    /// folder), pins, cache, TLS, offline and timeout.
    pub fn from_config(loaded: &crate::config::LoadedConfig) -> Self {
        let index = &loaded.config.index;
        let index_urls = if index.no_index {
            Vec::new()
        } else {
            std::iter::once(index.url.clone())
                .chain(index.extra_urls.iter().cloned())
                .collect()
        };
        let mut settings = Self::new(index_urls, loaded.cache_dir());
        settings.dedup_indexes();
        settings.find_links = index
            .find_links
            .iter()
            .map(|link| {
                if link.contains("://") {
                    link.clone()
                } else {
                    loaded.resolve(Path::new(link)).display().to_string()
                }
            })
            .collect();
        settings.pins = index
            .pin
            .iter()
            .map(|(name, url)| {
                let name = PackageName::new(name.clone())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| name.clone());
                (name, url.clone())
            })
            .collect();
        settings.cert = index.cert.as_ref().map(|cert| loaded.resolve(cert));
        settings.client_cert = index.client_cert.as_ref().map(|c| loaded.resolve(c));
        settings.trusted_hosts = index.trusted_hosts.clone();
        settings.offline = index.offline;
        settings.timeout = Duration::from_secs(index.timeout.max(1));
        settings.max_page_bytes = index.max_page_bytes;
        settings
    }
}

impl ClientSettings {
    /// One entry per index: the same URL given twice (a flag, a variable and
    /// a file, with or without the trailing slash) is asked once, in the
    /// place it was first given. Find-links likewise.
    pub fn dedup_indexes(&mut self) {
        dedup_urls(&mut self.index_urls);
        dedup_urls(&mut self.find_links);
    }

    /// The TLS part, for the HTTP clients.
    pub fn tls(&self) -> super::TlsSettings {
        super::TlsSettings {
            cert: self.cert.clone(),
            client_cert: self.client_cert.clone(),
            trusted_hosts: self.trusted_hosts.clone(),
        }
    }
}

/// The form all spellings of one index URL share: no trailing slash, the
/// scheme and host in lowercase, no default port, no credentials
/// (`HTTPS://ci:token@Example.org:443/simple/` and `https://example.org/simple`
/// are one index). The path keeps its case: servers may tell paths apart by it.
pub fn index_key(url: &str) -> String {
    let url = url.trim();
    match Url::parse(url) {
        // The url crate lowercases the scheme and host and drops a default port.
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.as_str().trim_end_matches('/').to_string()
        }
        _ => url.trim_end_matches('/').to_string(),
    }
}

/// Keeps the first spelling of each index, in its place; a later spelling
/// with credentials lends them to a first one without.
fn dedup_urls(urls: &mut Vec<String>) {
    let has_credentials =
        |url: &str| Url::parse(url.trim()).is_ok_and(|u| !u.username().is_empty());
    let mut kept: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for url in urls.drain(..) {
        let key = index_key(&url);
        match keys.iter().position(|k| *k == key) {
            Some(at) => {
                if has_credentials(&url) && !has_credentials(&kept[at]) {
                    kept[at] = url;
                }
            }
            None => {
                keys.push(key);
                kept.push(url);
            }
        }
    }
    *urls = kept;
}

/// `$NETRC`, else `~/.netrc` (`~/_netrc` on Windows), as pip and curl read it.
pub fn default_netrc() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NETRC") {
        return Some(PathBuf::from(path));
    }
    let home = dirs::home_dir()?;
    let name = if cfg!(windows) { "_netrc" } else { ".netrc" };
    Some(home.join(name))
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("cannot reach {url} after {attempts} attempt(s): {reason}")]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("{url} is plain HTTP to a host that is not trusted")]
    Insecure { url: String, host: String },
    #[error("{url}: {reason}")]
    Redirect { url: String, reason: String },
    #[error("{url}: the {what} is larger than the limit of {limit} bytes")]
    TooLarge {
        url: String,
        what: &'static str,
        limit: u64,
    },
    #[error("{url} answered HTTP {status} and asks to retry after {seconds} s, longer than chiron waits ({} s)", MAX_RETRY_AFTER.as_secs())]
    RetryAfterTooLong {
        url: String,
        status: u16,
        seconds: u64,
    },
    #[error("offline: no cached copy of {url}")]
    Offline { url: String },
    #[error("package `{package}` was not found on {}", sources.join(", "))]
    NotFound {
        package: String,
        sources: Vec<String>,
    },
    #[error("package `{package}` is served by more than one index ({}); refusing to guess which to trust", indexes.join(", "))]
    Ambiguous {
        package: String,
        indexes: Vec<String>,
    },
    #[error("sha256 mismatch for {url}: expected {expected}, got {actual}")]
    HashMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{url} has no sha256 on the index")]
    Unhashed { url: String },
    #[error("{url}: the body ended after {received} of {expected} bytes")]
    Truncated {
        url: String,
        received: u64,
        expected: u64,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Page(#[from] PageError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("{0}")]
    Setup(String),
}

impl IndexError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            IndexError::Status { status: 401 | 403, .. } => {
                "give credentials in the index URL (https://user:token@host/simple) or in ~/.netrc".into()
            }
            IndexError::Status { status: 404, .. } => "check the index URL".into(),
            IndexError::Status { status: 429, .. } => {
                "the index limits how fast it may be asked; retry later, or lower the load on it".into()
            }
            IndexError::RetryAfterTooLong { .. } => {
                "the index is rate limiting or down for maintenance; retry later".into()
            }
            IndexError::Redirect { .. } => {
                "an index may redirect only to https, or to plain http on the same, a loopback or a trusted host; use the final URL as the index URL if it is one you trust".into()
            }
            IndexError::TooLarge { what: "page", limit, .. } => format!(
                "a project page this large is unusual; if the index really serves it, raise [index] max-page-bytes (now {limit}) in chiron.toml"
            ),
            IndexError::TooLarge { .. } => {
                "the index serves a file far larger than this kind of file ever is; report it to the index".into()
            }
            IndexError::Status { .. } | IndexError::Unreachable { .. } => {
                "check the URL and the network (HTTPS_PROXY, SSL_CERT_FILE), or use --offline with a warm cache".into()
            }
            IndexError::Insecure { host, .. } => format!(
                "use https, or trust the host as pip does: --trusted-host {host} (or trusted-host in pip.conf, PIP_TRUSTED_HOST, [index] trusted-hosts)"
            ),
            IndexError::Offline { .. } => "run once with the network to fill the cache, or drop --offline".into(),
            IndexError::NotFound { .. } => {
                "check the name's spelling, and --index-url / --extra-index-url / --find-links".into()
            }
            IndexError::Ambiguous { package, .. } => format!(
                "pin it to the index you trust: [index.pin] {package} = \"https://...\" in chiron.toml"
            ),
            IndexError::HashMismatch { .. } => {
                "the file changed or was corrupted in transit; nothing was written. Retry, and report it to the index if it persists".into()
            }
            IndexError::Unhashed { .. } => {
                "use an index that publishes sha256 hashes, or pass --allow-unhashed to hash what is downloaded".into()
            }
            IndexError::Truncated { .. } => "the connection broke; nothing was written. Retry".into(),
            _ => return None,
        })
    }

    /// The same error, saying how many tries it took.
    fn after_attempts(self, attempts: u32) -> Self {
        match self {
            IndexError::Unreachable { url, reason, .. } => IndexError::Unreachable {
                url,
                attempts,
                reason,
            },
            // A server error that lasted through every retry.
            IndexError::Status { url, status } if attempts > 1 => IndexError::Unreachable {
                url,
                attempts,
                reason: format!("it answered HTTP {status} each time"),
            },
            other => other,
        }
    }

    fn retryable(&self) -> bool {
        matches!(
            self,
            IndexError::Unreachable { .. } | IndexError::Truncated { .. }
        ) || matches!(self, IndexError::Status { status, .. } if *status >= 500 || *status == 429)
    }
}

impl crate::error::Diagnose for IndexError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

/// A file on disk, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Downloaded {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// False when the file was already there, or came from the cache.
    pub fetched: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct CachedPage {
    url: String,
    content_type: String,
    etag: Option<String>,
    last_modified: Option<String>,
    max_age: Option<u64>,
    fetched_at: u64,
    body: String,
}

pub struct IndexClient {
    settings: ClientSettings,
    http: super::HttpClients,
    credentials: Credentials,
    limit: Arc<Semaphore>,
    /// Set once a server answered a range request with the whole file:
    /// later metadata is read from downloads instead.
    ranges_ignored: std::sync::atomic::AtomicBool,
    /// Files and bytes fetched from the network so far.
    fetched: std::sync::atomic::AtomicU64,
    fetched_bytes: std::sync::atomic::AtomicU64,
}

impl IndexClient {
    pub fn new(settings: ClientSettings) -> Result<Self, IndexError> {
        let http = super::HttpClients::new(settings.timeout, &settings.tls())
            .map_err(IndexError::Setup)?;
        let mut credentials = Credentials::default();
        for url in settings.index_urls.iter().chain(&settings.find_links) {
            credentials.learn_from_url(url);
        }
        if let Some(netrc) = &settings.netrc {
            credentials.load_netrc(netrc);
        }
        let limit = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        Ok(Self {
            settings,
            http,
            credentials,
            limit,
            ranges_ignored: Default::default(),
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
        use std::sync::atomic::Ordering::Relaxed;
        (self.fetched.load(Relaxed), self.fetched_bytes.load(Relaxed))
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
            files.extend(self.find_links_files(link, package).await?);
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
            .cached_get(&page_url, self.settings.max_page_bytes, "page")
            .await?
        else {
            return Ok(None);
        };
        let url = Url::parse(&page.url)
            .map_err(|e| IndexError::Setup(format!("bad URL {}: {e}", redact_url(&page.url))))?;
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

    async fn find_links_files(
        &self,
        link: &str,
        package: &PackageName,
    ) -> Result<Vec<IndexFile>, IndexError> {
        let is_url = link.contains("://") && !link.starts_with("file://");
        let mut files = if is_url {
            match self
                .cached_get(link, self.settings.max_page_bytes, "page")
                .await?
            {
                Some(page) => {
                    let url =
                        Url::parse(&page.url).map_err(|e| IndexError::Setup(e.to_string()))?;
                    own_scheme_only(&url, parse_html(&url, &redact_url(link), &page.body)?)
                }
                None => Vec::new(),
            }
        } else {
            let dir = super::file_url_path_str(link).unwrap_or_else(|| PathBuf::from(link));
            local_files(&dir, &redact_url(link), package)?
        };
        files.retain(|f| {
            DistFilename::parse(&f.filename, Some(package)).is_some_and(|d| d.name() == package)
        });
        Ok(files)
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
            .cached_get(&url, MAX_METADATA_BYTES, "metadata file")
            .await?
        else {
            return Ok(None);
        };
        if let Some(expected) = hashes.get("sha256") {
            let actual = hex(&Sha256::digest(page.body.as_bytes()));
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
    /// entry. `None` when the server ignores ranges or the archive is one
    /// this reader does not handle (ZIP64, unusual compression); the caller
    /// then downloads the wheel. Not hash-checked: it only guides the
    /// resolver, and the file installed is verified when downloaded.
    pub async fn wheel_metadata_by_range(
        &self,
        file: &IndexFile,
    ) -> Result<Option<String>, IndexError> {
        if self.settings.offline
            || !file.url.starts_with("http")
            || self
                .ranges_ignored
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(None);
        }
        const TAIL: u64 = 64 * 1024;
        let Some((tail_start, total, tail)) =
            self.get_range(&file.url, &format!("bytes=-{TAIL}")).await?
        else {
            return Ok(None);
        };
        let Some(directory) = zip_directory(&tail, tail_start) else {
            return Ok(None);
        };
        if directory.size == 0 || directory.size > MAX_RANGE_BYTES {
            return Ok(None);
        }
        let directory_bytes = if directory.offset >= tail_start {
            let from = usize::try_from(directory.offset - tail_start).unwrap_or(usize::MAX);
            match tail.get(from..) {
                Some(bytes) => bytes.to_vec(),
                None => return Ok(None),
            }
        } else {
            let end = directory.offset + directory.size - 1;
            match self
                .get_range(&file.url, &format!("bytes={}-{end}", directory.offset))
                .await?
            {
                Some((_, _, bytes)) => bytes,
                None => return Ok(None),
            }
        };
        let Some(entry) = find_metadata_entry(&directory_bytes) else {
            return Ok(None);
        };
        if entry.compressed_size > MAX_RANGE_BYTES / 2 || total == 0 {
            return Ok(None);
        }
        // The local header's extra field may differ from the directory's:
        // ask for some slack and read the real lengths from the header.
        let end = (entry.header_offset + 30 + 1024 + entry.compressed_size + entry.name_len)
            .min(total)
            - 1;
        let Some((_, _, local)) = self
            .get_range(&file.url, &format!("bytes={}-{end}", entry.header_offset))
            .await?
        else {
            return Ok(None);
        };
        Ok(inflate_local_entry(&local, &entry))
    }

    /// One ranged GET: `(first byte, total size, bytes)`, or `None` when the
    /// server answers with the whole file instead.
    async fn get_range(
        &self,
        url: &str,
        range: &str,
    ) -> Result<Option<(u64, u64, Vec<u8>)>, IndexError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::RANGE,
            range
                .parse()
                .map_err(|_| IndexError::Setup(format!("bad range {range}")))?,
        );
        let headers = &headers;
        self.with_retries(|| async move {
            let response = self.send_once(url, headers).await?;
            if response.status() != StatusCode::PARTIAL_CONTENT {
                // Dropped unread (the connection is closed); do not ask again.
                self.ranges_ignored
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                return Ok(None);
            }
            let Some((start, total)) = response
                .headers()
                .get(header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
            else {
                return Ok(None);
            };
            let bytes = self
                .read_body(response, url, MAX_RANGE_BYTES, "range response")
                .await?;
            Ok(Some((start, total, bytes)))
        })
        .await
    }

    /// The whole body, refused past `limit` bytes (counted as they arrive,
    /// so a missing or lying `Content-Length` changes nothing) and when a
    /// read stalls for longer than the timeout.
    async fn read_body(
        &self,
        response: reqwest::Response,
        url: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<Vec<u8>, IndexError> {
        let too_large = || IndexError::TooLarge {
            url: redact_url(url),
            what,
            limit,
        };
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        loop {
            match tokio::time::timeout(self.settings.timeout, stream.next()).await {
                Err(_) => return Err(self.stalled(url)),
                Ok(None) => return Ok(body),
                Ok(Some(Ok(chunk))) => {
                    if (body.len() + chunk.len()) as u64 > limit {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Some(Err(error))) => return Err(request_error(url, &error)),
            }
        }
    }

    /// GET through the page cache, at most `limit` bytes: `None` on 404.
    async fn cached_get(
        &self,
        url: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<Option<CachedPage>, IndexError> {
        let key = hex(&Sha256::digest(redact_url(url).as_bytes()));
        let path = self
            .settings
            .cache_dir
            .join("http-v1")
            .join(format!("{key}.json"));
        let cached: Option<CachedPage> = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if self.settings.offline {
            return cached.map(Some).ok_or_else(|| IndexError::Offline {
                url: redact_url(url),
            });
        }
        if let Some(page) = &cached {
            let age = now().saturating_sub(page.fetched_at);
            if page.max_age.is_some_and(|max| age < max) {
                return Ok(cached);
            }
        }
        let mut extra = HeaderMap::new();
        extra.insert(header::ACCEPT, header::HeaderValue::from_static(ACCEPT));
        if let Some(page) = &cached {
            if let Some(etag) = page.etag.as_deref().and_then(|v| v.parse().ok()) {
                extra.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = page.last_modified.as_deref().and_then(|v| v.parse().ok()) {
                extra.insert(header::IF_MODIFIED_SINCE, modified);
            }
        }
        let (extra, has_cached) = (&extra, cached.is_some());
        // The body is read inside the retries: a page that stalls half-way
        // is asked for again like one that never answered.
        let fetched = self
            .with_retries(|| async move {
                let response = self.send_once(url, extra).await?;
                let status = response.status();
                if status == StatusCode::NOT_FOUND {
                    return Ok(PageFetch::Missing);
                }
                let headers = response.headers().clone();
                let max_age = cache_max_age(&headers);
                if status == StatusCode::NOT_MODIFIED && has_cached {
                    return Ok(PageFetch::NotModified { max_age });
                }
                if !status.is_success() {
                    return Err(IndexError::Status {
                        url: redact_url(url),
                        status: status.as_u16(),
                    }
                    .into());
                }
                let final_url = response.url().to_string();
                let body = self.read_body(response, url, limit, what).await?;
                let body = String::from_utf8(body).map_err(|_| {
                    IndexError::Setup(format!("{} is not UTF-8 text", redact_url(url)))
                })?;
                let header = |name: header::HeaderName| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let page = CachedPage {
                    url: final_url,
                    content_type: header(header::CONTENT_TYPE)
                        .unwrap_or_else(|| "text/html".into()),
                    etag: header(header::ETAG),
                    last_modified: header(header::LAST_MODIFIED),
                    max_age,
                    fetched_at: now(),
                    body,
                };
                Ok(PageFetch::Fresh {
                    page,
                    store: !no_store(&headers),
                })
            })
            .await?;
        match fetched {
            PageFetch::Missing => Ok(None),
            PageFetch::NotModified { max_age } => {
                let Some(mut page) = cached else {
                    return Ok(None);
                };
                page.fetched_at = now();
                page.max_age = max_age.or(page.max_age);
                self.store_page(&path, &page);
                Ok(Some(page))
            }
            PageFetch::Fresh { page, store } => {
                if store {
                    self.store_page(&path, &page);
                }
                Ok(Some(page))
            }
        }
    }

    fn store_page(&self, path: &Path, page: &CachedPage) {
        // The cache is an optimisation: failing to write it is not an error.
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(path.parent().expect("cache files have a folder"))?;
            let bytes = serde_json::to_vec(page).map_err(std::io::Error::other)?;
            crate::atomic::write_file(path, &bytes, crate::atomic::Overwrite::Replace)
        };
        if let Err(error) = write() {
            tracing::debug!("cannot cache {}: {error}", path.display());
        }
    }

    fn stalled(&self, url: &str) -> IndexError {
        IndexError::Unreachable {
            url: redact_url(url),
            attempts: 1,
            reason: format!("no data for {} s", self.settings.timeout.as_secs()),
        }
    }

    /// Runs `attempt_once` until it succeeds, fails for good, or has been
    /// tried `retries + 1` times, waiting between tries with exponential
    /// backoff, or as long as the server's `Retry-After` asks (up to
    /// [`MAX_RETRY_AFTER`]). The one retry layer: callers do not retry.
    async fn with_retries<T, F, Fut>(&self, mut attempt_once: F) -> Result<T, IndexError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let attempts = self.settings.retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match attempt_once().await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            if let Some(wait) = failure.retry_after
                && wait > MAX_RETRY_AFTER
                && let IndexError::Status { url, status } = &failure.error
            {
                return Err(IndexError::RetryAfterTooLong {
                    url: url.clone(),
                    status: *status,
                    seconds: wait.as_secs(),
                });
            }
            if !failure.error.retryable() || attempt >= attempts {
                return Err(failure.error.after_attempts(attempt));
            }
            let delay = failure.retry_after.unwrap_or_else(|| {
                self.settings
                    .backoff
                    .saturating_mul(2u32.saturating_pow(attempt - 1))
            });
            let error = match failure.error {
                IndexError::Unreachable { url, reason, .. } => {
                    format!("cannot reach {url}: {reason}")
                }
                other => other.to_string(),
            };
            tracing::warn!(
                "{error}; retrying in {} ms (attempt {attempt} of {attempts})",
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One GET with credentials and the concurrency limit, no retry.
    /// Answers with a status below 500 (other than 429) are returned as
    /// they are; the others are failures, with the wait the server asked
    /// for (`Retry-After` on 429 and 503).
    async fn send_once(
        &self,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, Failure> {
        let (clean, auth) = self.credentials.for_url(url);
        let parsed = Url::parse(clean.as_str())
            .map_err(|e| IndexError::Setup(format!("bad URL {}: {e}", redact_url(url))))?;
        if !self.http.is_secure_origin(&parsed) {
            return Err(IndexError::Insecure {
                url: redact_url(url),
                host: parsed.host_str().unwrap_or_default().to_string(),
            }
            .into());
        }
        let client = self.http.for_url(&parsed);
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|e| IndexError::Setup(e.to_string()))?;
        let mut request = client.get(clean.as_str()).headers(headers.clone());
        if let Some((user, password)) = &auth {
            request = request.basic_auth(user, password.as_deref());
        }
        let response = request
            .send()
            .await
            .map_err(|error| request_error(url, &error))?;
        let status = response.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            // reqwest hands back, unfollowed, a redirect to a URL it cannot
            // request (`file:`, `data:`): say why rather than "HTTP 302".
            let target = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| response.url().join(v).ok());
            let reason = match &target {
                Some(to) => {
                    super::redirect_verdict(&self.settings.trusted_hosts, response.url(), to)
                        .err()
                        .unwrap_or_else(|| {
                            format!(
                                "a redirect to {} that was not followed",
                                redact_url(to.as_str())
                            )
                        })
                }
                None => format!("HTTP {} without a usable Location", status.as_u16()),
            };
            return Err(IndexError::Redirect {
                url: redact_url(url),
                reason,
            }
            .into());
        }
        if !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
            return Ok(response);
        }
        let retry_after = if matches!(status.as_u16(), 429 | 503) {
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()))
        } else {
            None
        };
        Err(Failure {
            error: IndexError::Status {
                url: redact_url(url),
                status: status.as_u16(),
            },
            retry_after,
        })
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
            .download_file(file, dest_dir, allow_unhashed)
            .instrument(span.clone())
            .await;
        if let Ok(done) = &result {
            span.record("bytes", done.size);
        }
        result
    }

    async fn download_file(
        &self,
        file: &IndexFile,
        dest_dir: &Path,
        allow_unhashed: bool,
    ) -> Result<Downloaded, IndexError> {
        let expected = file.sha256().map(str::to_string);
        if expected.is_none() && !allow_unhashed {
            return Err(IndexError::Unhashed {
                url: redact_url(&file.url),
            });
        }
        if file.filename.contains(['/', '\\']) || file.filename.starts_with('.') {
            return Err(IndexError::Setup(format!(
                "refusing the file name `{}`",
                file.filename
            )));
        }
        let dest = dest_dir.join(&file.filename);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IndexError::Io { path, source }
        };
        std::fs::create_dir_all(dest_dir).map_err(io(dest_dir))?;
        if let Some(expected) = &expected {
            if dest.is_file() {
                let (actual, size) = hash_file(&dest).map_err(io(&dest))?;
                if &actual == expected {
                    return Ok(Downloaded {
                        path: dest,
                        sha256: actual,
                        size,
                        fetched: false,
                    });
                }
            }
            let blob = self.blob_path(expected);
            if blob.is_file() {
                // A reflink costs no copy where the filesystem has them; never
                // a hard link, which an edit of the wheelhouse would reach
                // the cache through. The hash is checked either way.
                let _ = std::fs::remove_file(&dest);
                let linked = crate::atomic::reflink_file(&blob, &dest).is_ok();
                let (actual, size) = if linked {
                    hash_file(&dest).map_err(io(&dest))?
                } else {
                    copy_verified(&blob, &dest, dest_dir).map_err(io(&dest))?
                };
                if &actual == expected {
                    return Ok(Downloaded {
                        path: dest,
                        sha256: actual,
                        size,
                        fetched: false,
                    });
                }
                // A corrupt cache entry: drop it and download again.
                let _ = std::fs::remove_file(&blob);
                let _ = std::fs::remove_file(&dest);
            }
        }
        if let Some(local) = super::file_url_path_str(&file.url) {
            let (actual, size) = copy_verified(&local, &dest, dest_dir).map_err(io(&dest))?;
            return self.finish(file, dest, actual, size, expected);
        }
        if self.settings.offline {
            return Err(IndexError::Offline {
                url: redact_url(&file.url),
            });
        }
        let (temp, actual, size) = self.with_retries(|| self.fetch_to(file, dest_dir)).await?;
        if let Some(expected) = &expected
            && &actual != expected
        {
            return Err(IndexError::HashMismatch {
                url: redact_url(&file.url),
                expected: expected.clone(),
                actual,
            });
        }
        temp.persist(&dest).map_err(|e| IndexError::Io {
            path: dest.clone(),
            source: e.error,
        })?;
        let mut done = self.finish(file, dest, actual, size, expected)?;
        done.fetched = true;
        self.fetched
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.fetched_bytes
            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
        Ok(done)
    }

    fn finish(
        &self,
        file: &IndexFile,
        dest: PathBuf,
        actual: String,
        size: u64,
        expected: Option<String>,
    ) -> Result<Downloaded, IndexError> {
        if let Some(expected) = expected
            && actual != expected
        {
            let _ = std::fs::remove_file(&dest);
            return Err(IndexError::HashMismatch {
                url: redact_url(&file.url),
                expected,
                actual,
            });
        }
        self.remember_blob(&dest, &actual);
        Ok(Downloaded {
            path: dest,
            sha256: actual,
            size,
            fetched: false,
        })
    }

    /// Streams the file into a temporary file in `dir`; returns it with its
    /// sha256 and size. The temporary file is deleted if anything fails.
    async fn fetch_to(
        &self,
        file: &IndexFile,
        dir: &Path,
    ) -> Result<(tempfile::NamedTempFile, String, u64), Failure> {
        let response = self.send_once(&file.url, &HeaderMap::new()).await?;
        if !response.status().is_success() {
            return Err(IndexError::Status {
                url: redact_url(&file.url),
                status: response.status().as_u16(),
            }
            .into());
        }
        let expected_len = response.content_length();
        let mut temp =
            crate::atomic::shared_temp_file(dir, &format!(".{}.", file.filename), ".part")
                .map_err(|source| IndexError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut stream = response.bytes_stream();
        loop {
            let chunk = match tokio::time::timeout(self.settings.timeout, stream.next()).await {
                Err(_) => return Err(self.stalled(&file.url).into()),
                Ok(None) => break,
                Ok(Some(Ok(chunk))) => chunk,
                Ok(Some(Err(error))) if error.is_timeout() => {
                    return Err(self.stalled(&file.url).into());
                }
                Ok(Some(Err(_))) => {
                    return Err(IndexError::Truncated {
                        url: redact_url(&file.url),
                        received: size,
                        expected: expected_len.unwrap_or(size),
                    }
                    .into());
                }
            };
            hasher.update(&chunk);
            size += chunk.len() as u64;
            temp.write_all(&chunk).map_err(|source| IndexError::Io {
                path: temp.path().to_path_buf(),
                source,
            })?;
        }
        if let Some(expected) = expected_len
            && size != expected
        {
            return Err(IndexError::Truncated {
                url: redact_url(&file.url),
                received: size,
                expected,
            }
            .into());
        }
        temp.as_file().sync_all().map_err(|source| IndexError::Io {
            path: temp.path().to_path_buf(),
            source,
        })?;
        Ok((temp, hex(&hasher.finalize()), size))
    }

    fn blob_path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.settings
            .cache_dir
            .join("files-v1")
            .join(prefix)
            .join(sha256)
    }

    /// Keeps a verified file in the content-addressed cache (a reflink
    /// where possible, else a copy: never a link an edit could reach it
    /// through). Failure only costs a later download.
    fn remember_blob(&self, path: &Path, sha256: &str) {
        let blob = self.blob_path(sha256);
        if blob.exists() {
            return;
        }
        let Some(parent) = blob.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        if crate::atomic::reflink_file(path, &blob).is_err() {
            let _ = copy_verified(path, &blob, parent);
        }
    }
}

/// The files of a page fetched from `page_url` whose URLs keep to its
/// scheme family: http(s) links on an http(s) page, `file:` links only on a
/// local one. A remote index must not make chiron read local files, so any
/// other link is dropped with a warning naming it.
fn own_scheme_only(page_url: &Url, files: Vec<IndexFile>) -> Vec<IndexFile> {
    let (kept, dropped) = super::simple::split_by_scheme(page_url, files);
    for file in &dropped {
        tracing::warn!(
            "{}: skipping the link {} to {}: an index page may only link to http(s) files; local files come only from --find-links folders you give",
            redact_url(page_url.as_str()),
            file.filename,
            redact_url(&file.url)
        );
    }
    kept
}

/// Files of a local find-links folder whose names belong to `package`,
/// hashed from their bytes (the folder is the source of truth).
fn local_files(
    dir: &Path,
    source: &str,
    package: &PackageName,
) -> Result<Vec<IndexFile>, IndexError> {
    let io = |source| IndexError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let belongs =
            DistFilename::parse(&name, Some(package)).is_some_and(|d| d.name() == package);
        if !belongs || !entry.path().is_file() {
            continue;
        }
        let path = entry.path();
        let (sha256, size) = hash_file(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let url = Url::from_file_path(std::path::absolute(&path).unwrap_or(path.clone()))
            .map_err(|_| IndexError::Setup(format!("{} cannot be a file URL", path.display())))?;
        files.push(IndexFile {
            filename: name,
            url: url.to_string(),
            hashes: BTreeMap::from([("sha256".to_string(), sha256)]),
            requires_python: None,
            yanked: None,
            metadata: None,
            size: Some(size),
            upload_time: None,
            source: source.to_string(),
        });
    }
    Ok(files)
}

/// One failed try, and how long the server asked to wait before the next.
struct Failure {
    error: IndexError,
    retry_after: Option<Duration>,
}

impl From<IndexError> for Failure {
    fn from(error: IndexError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// How a project page request came out, inside the retries.
enum PageFetch {
    Missing,
    NotModified { max_age: Option<u64> },
    Fresh { page: CachedPage, store: bool },
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 10.2.3); a date in
/// the past is no wait. `None` for anything else.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A failed request as an index error: a refused redirect says why and is
/// final; anything else is a network failure that may pass.
fn request_error(url: &str, error: &reqwest::Error) -> IndexError {
    if error.is_redirect() {
        // The policy's own message is the innermost cause.
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        return IndexError::Redirect {
            url: redact_url(url),
            reason,
        };
    }
    unreachable(url, 1, error)
}

fn unreachable(url: &str, attempts: u32, error: &reqwest::Error) -> IndexError {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    let reason = if error.is_timeout() {
        "timed out".to_string()
    } else {
        reason.replace(url, &redact_url(url))
    };
    IndexError::Unreachable {
        url: redact_url(url),
        attempts,
        reason,
    }
}

/// `bytes START-END/TOTAL` to `(START, TOTAL)`.
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()?))
}

/// Where a zip's central directory is, from the end-of-directory record.
#[derive(Debug, PartialEq)]
struct ZipDirectory {
    offset: u64,
    size: u64,
}

fn le16(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le32(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        bytes.get(at..at + 4)?.try_into().ok()?,
    )))
}

/// Finds the end-of-central-directory record in the last bytes of a zip
/// (`tail` starts at `tail_start`). `None` for ZIP64 archives.
fn zip_directory(tail: &[u8], _tail_start: u64) -> Option<ZipDirectory> {
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let size = le32(tail, at + 12)?;
    let offset = le32(tail, at + 16)?;
    if size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        return None;
    }
    Some(ZipDirectory { offset, size })
}

#[derive(Debug, PartialEq)]
struct ZipEntry {
    header_offset: u64,
    compressed_size: u64,
    uncompressed_size: u64,
    method: u64,
    name_len: u64,
}

/// The central-directory entry of `*.dist-info/METADATA` at the top level.
fn find_metadata_entry(directory: &[u8]) -> Option<ZipEntry> {
    let mut at = 0;
    while directory.get(at..at + 4)? == b"PK\x01\x02" {
        let name_len = le16(directory, at + 28)?;
        let extra_len = le16(directory, at + 30)?;
        let comment_len = le16(directory, at + 32)?;
        let name_start = at + 46;
        let name = directory.get(name_start..name_start + usize::try_from(name_len).ok()?)?;
        let name = std::str::from_utf8(name).ok()?;
        if name.ends_with(".dist-info/METADATA") && name.matches('/').count() == 1 {
            return Some(ZipEntry {
                method: le16(directory, at + 10)?,
                compressed_size: le32(directory, at + 20)?,
                uncompressed_size: le32(directory, at + 24)?,
                name_len,
                header_offset: le32(directory, at + 42)?,
            });
        }
        at = name_start + usize::try_from(name_len + extra_len + comment_len).ok()?;
    }
    None
}

/// The entry's data, inflated, from bytes starting at its local header.
fn inflate_local_entry(local: &[u8], entry: &ZipEntry) -> Option<String> {
    use std::io::Read as _;
    if local.get(0..4)? != b"PK\x03\x04" || entry.uncompressed_size > 16 * 1024 * 1024 {
        return None;
    }
    let start = 30 + usize::try_from(le16(local, 26)? + le16(local, 28)?).ok()?;
    let data = local.get(start..start + usize::try_from(entry.compressed_size).ok()?)?;
    let mut text = String::new();
    match entry.method {
        0 => text = String::from_utf8(data.to_vec()).ok()?,
        8 => {
            flate2::read::DeflateDecoder::new(data)
                .take(entry.uncompressed_size)
                .read_to_string(&mut text)
                .ok()?;
        }
        _ => return None,
    }
    Some(text)
}

fn cache_max_age(headers: &HeaderMap) -> Option<u64> {
    let control = headers.get(header::CACHE_CONTROL)?.to_str().ok()?;
    if control
        .split(',')
        .any(|d| matches!(d.trim(), "no-cache" | "no-store"))
    {
        return Some(0);
    }
    control.split(',').find_map(|d| {
        d.trim()
            .strip_prefix("max-age=")
            .and_then(|v| v.parse().ok())
    })
}

fn no_store(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.split(',').any(|d| d.trim() == "no-store"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `reader` to the end, hashing every byte and handing it to `sink`.
fn hash_reader(
    reader: &mut impl std::io::Read,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        sink(&buffer[..read])?;
        size += read as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

/// The sha256 and size of a file, read in a stream.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    hash_reader(&mut std::fs::File::open(path)?, |_| Ok(()))
}

/// Copies `from` to `to` through a temporary file in `dir`, hashing on the
/// way, and renames it into place.
fn copy_verified(from: &Path, to: &Path, dir: &Path) -> std::io::Result<(String, u64)> {
    let mut temp = crate::atomic::shared_temp_file(dir, ".copy.", ".part")?;
    let digest = hash_reader(&mut std::fs::File::open(from)?, |chunk| {
        temp.write_all(chunk)
    })?;
    temp.as_file().sync_all()?;
    temp.persist(to).map_err(|e| e.error)?;
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_directories_and_entries_are_found() {
        let mut buffer = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buffer);
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("pkg/__init__.py", options).unwrap();
            zip.write_all(b"x = 1\n").unwrap();
            zip.start_file("pkg-1.0.dist-info/METADATA", options)
                .unwrap();
            zip.write_all(b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n")
                .unwrap();
            zip.finish().unwrap();
        }
        let bytes = buffer.into_inner();
        let directory = zip_directory(&bytes, 0).unwrap();
        let start = usize::try_from(directory.offset).unwrap();
        let entry = find_metadata_entry(&bytes[start..]).unwrap();
        let local = &bytes[usize::try_from(entry.header_offset).unwrap()..];
        let text = inflate_local_entry(local, &entry).unwrap();
        assert!(
            text.starts_with("Metadata-Version: 2.1\nName: pkg"),
            "{text}"
        );
        assert_eq!(parse_content_range("bytes 100-199/1000"), Some((100, 1000)));
        assert_eq!(zip_directory(b"not a zip", 0), None);
    }

    #[test]
    fn one_index_has_one_key_however_it_is_spelt() {
        let key = index_key("https://example.invalid/simple");
        for spelling in [
            "https://example.invalid/simple/",
            " https://EXAMPLE.invalid/simple ",
            "HTTPS://Example.Invalid:443/simple/",
        ] {
            assert_eq!(index_key(spelling), key, "{spelling}");
        }
        // The path keeps its case, another port or scheme is another index.
        assert_ne!(index_key("https://example.invalid/Simple"), key);
        assert_ne!(index_key("https://example.invalid:8443/simple"), key);
        assert_ne!(index_key("http://example.invalid/simple"), key);
        assert_eq!(index_key("https://ci:t0ken@example.invalid/simple/"), key);
        assert_eq!(index_key("./wheels/"), "./wheels");
        let mut settings = ClientSettings::new(
            vec![
                "http://127.0.0.1:9/simple".into(),
                "http://127.0.0.1:9/simple/".into(),
                "http://LOCALHOST:9/simple".into(),
                "http://localhost:9/simple/".into(),
            ],
            PathBuf::from("cache"),
        );
        settings.dedup_indexes();
        assert_eq!(
            settings.index_urls,
            ["http://127.0.0.1:9/simple", "http://LOCALHOST:9/simple"]
        );
        // The first place, the credentials of whichever spelling has them.
        let mut settings = ClientSettings::new(
            vec![
                "https://a.invalid/simple".into(),
                "https://b.invalid/simple".into(),
                "https://ci:t0ken@A.invalid/simple/".into(),
            ],
            PathBuf::from("cache"),
        );
        settings.dedup_indexes();
        assert_eq!(
            settings.index_urls,
            [
                "https://ci:t0ken@A.invalid/simple/",
                "https://b.invalid/simple"
            ]
        );
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let cases = [
            ("0", Some(0)),
            (" 7 ", Some(7)),
            ("3600", Some(3600)),
            ("Sun, 06 Nov 1994 08:50:07 GMT", Some(30)),
            ("Sunday, 06-Nov-94 08:49:47 GMT", Some(10)),
            ("Sun Nov  6 08:49:57 1994", Some(20)),
            ("Sun, 06 Nov 1994 08:00:00 GMT", Some(0)),
            ("-1", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_retry_after(value, now),
                expected.map(Duration::from_secs),
                "{value:?}"
            );
        }
    }

    #[test]
    fn cache_control_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            "max-age=600, public".parse().unwrap(),
        );
        assert_eq!(cache_max_age(&headers), Some(600));
        headers.insert(header::CACHE_CONTROL, "no-cache".parse().unwrap());
        assert_eq!(cache_max_age(&headers), Some(0));
        headers.insert(header::CACHE_CONTROL, "private, no-store".parse().unwrap());
        assert!(no_store(&headers));
        assert_eq!(cache_max_age(&HeaderMap::new()), None);
    }

    #[test]
    fn hashes_are_lowercase_hex() {
        assert_eq!(
            hex(&Sha256::digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn retry_only_what_may_pass() {
        let status = |status| IndexError::Status {
            url: "u".into(),
            status,
        };
        assert!(status(503).retryable());
        assert!(status(429).retryable());
        assert!(!status(404).retryable());
        assert!(
            !IndexError::HashMismatch {
                url: "u".into(),
                expected: "a".into(),
                actual: "b".into()
            }
            .retryable()
        );
        assert!(
            IndexError::Truncated {
                url: "u".into(),
                received: 1,
                expected: 2
            }
            .retryable()
        );
        assert!(status(401).hint().unwrap().contains("netrc"));
    }
}
