//! Online sources of OSV records: the OSV API (`/v1/querybatch` says which
//! advisories concern each package version, then `/v1/vulns/{id}` gives
//! each record once), an index's JSON API (`/pypi/<name>/<version>/json`,
//! as pip-audit's "pypi" service reads it), and the ecosystem zip osv.dev
//! exports, downloaded into the cache for offline scans. Records from every
//! source are matched locally, the same way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::database::load_database;
use super::osv::{Affected, AffectedPackage, AffectedRange, Event, OsvIndex, OsvRecord};
use crate::redact::redact_url;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{url}: {message}")]
    Request { url: String, message: String },
}

impl ApiError {
    pub fn hint(&self) -> Option<String> {
        Some(
            "check the network and the source's URL, or scan offline with --osv-db \
             (or a database fetched earlier with `chiron scan --update-db`)"
                .into(),
        )
    }
}

fn fail(url: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::Request {
        url: redact_url(url),
        message: message.to_string(),
    }
}

/// Requests at once against an advisory service.
const CONCURRENCY: usize = 8;

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Deserialize)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<VulnRef>,
}

#[derive(Deserialize)]
struct VulnRef {
    id: String,
}

/// The API allows 1000 queries per batch.
const BATCH: usize = 1000;

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<Option<T>, ApiError> {
    let response = client.get(url).send().await.map_err(|e| fail(url, e))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(fail(url, format!("HTTP {}", response.status().as_u16())));
    }
    let bytes = response.bytes().await.map_err(|e| fail(url, e))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| fail(url, format!("unexpected answer: {e}")))
}

/// Records of every advisory the OSV API at `base` lists for `packages`
/// (name, version).
pub async fn osv_api(
    client: &reqwest::Client,
    base: &str,
    packages: &[(String, String)],
) -> Result<OsvIndex, ApiError> {
    let base = base.trim_end_matches('/');
    let mut ids = BTreeSet::new();
    let batch_url = format!("{base}/v1/querybatch");
    for chunk in packages.chunks(BATCH) {
        let queries: Vec<_> = chunk
            .iter()
            .map(|(name, version)| {
                json!({ "package": { "name": name, "ecosystem": "PyPI" }, "version": version })
            })
            .collect();
        let response = client
            .post(&batch_url)
            .json(&json!({ "queries": queries }))
            .send()
            .await
            .map_err(|e| fail(&batch_url, e))?;
        if !response.status().is_success() {
            return Err(fail(
                &batch_url,
                format!("HTTP {}", response.status().as_u16()),
            ));
        }
        let bytes = response.bytes().await.map_err(|e| fail(&batch_url, e))?;
        let body: BatchResponse = serde_json::from_slice(&bytes)
            .map_err(|e| fail(&batch_url, format!("unexpected answer: {e}")))?;
        if body.results.len() != chunk.len() {
            return Err(fail(
                &batch_url,
                format!("{} answers to {} queries", body.results.len(), chunk.len()),
            ));
        }
        ids.extend(body.results.into_iter().flat_map(|r| r.vulns).map(|v| v.id));
    }
    let limit = Semaphore::new(CONCURRENCY);
    let fetches = ids.iter().map(|id| {
        let limit = &limit;
        async move {
            let _permit = limit.acquire().await.map_err(|e| fail(base, e))?;
            let url = format!("{base}/v1/vulns/{id}");
            get_json::<OsvRecord>(client, &url)
                .await?
                .ok_or_else(|| fail(&url, "the API listed this advisory but has no record of it"))
        }
    });
    let mut index = OsvIndex::default();
    for record in join_all(fetches).await {
        index.insert(record?);
    }
    Ok(index)
}

#[derive(Deserialize)]
struct ReleaseJson {
    #[serde(default)]
    vulnerabilities: Vec<PypiVuln>,
}

#[derive(Deserialize)]
struct PypiVuln {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default)]
    fixed_in: Vec<String>,
    withdrawn: Option<String>,
}

/// Records built from the `vulnerabilities` field of an index's JSON API
/// for each package version. That field says only that the version is
/// affected and which versions fix it, so each becomes a record affecting
/// exactly that version, fixed by the smallest fix above it.
pub async fn pypi_api(
    client: &reqwest::Client,
    base: &str,
    packages: &[(String, String)],
) -> Result<OsvIndex, ApiError> {
    let base = base.trim_end_matches('/');
    let limit = Semaphore::new(CONCURRENCY);
    let fetches = packages.iter().map(|(name, version)| {
        let limit = &limit;
        async move {
            let _permit = limit.acquire().await.map_err(|e| fail(base, e))?;
            let url = format!("{base}/{name}/{version}/json");
            let release = get_json::<ReleaseJson>(client, &url).await?;
            Ok::<_, ApiError>((name, version, release))
        }
    });
    let mut index = OsvIndex::default();
    for result in join_all(fetches).await {
        let (name, version, release) = result?;
        // A release the index does not know (a local build, or an index
        // without the per-release JSON API) was not checked at all.
        let Some(release) = release else {
            // Named in the report's "not checked" list; a warning each
            // would only repeat it.
            tracing::info!("{name} {version} is unknown to {base}: not checked");
            index.unchecked.push((name.clone(), version.clone()));
            continue;
        };
        for vuln in release.vulnerabilities {
            index.insert(record_from_pypi(name, version, vuln));
        }
    }
    Ok(index)
}

fn record_from_pypi(name: &str, version: &str, vuln: PypiVuln) -> OsvRecord {
    use std::str::FromStr;
    let current = pep440_rs::Version::from_str(version).ok();
    let fix = vuln
        .fixed_in
        .iter()
        .filter_map(|v| pep440_rs::Version::from_str(v).ok())
        .filter(|v| current.as_ref().is_some_and(|c| v > c))
        .min();
    let ranges = fix
        .map(|fix| {
            vec![AffectedRange {
                kind: "ECOSYSTEM".into(),
                events: vec![
                    Event {
                        introduced: Some(version.to_string()),
                        ..Event::default()
                    },
                    Event {
                        fixed: Some(fix.to_string()),
                        ..Event::default()
                    },
                ],
            }]
        })
        .unwrap_or_default();
    OsvRecord {
        id: vuln.id,
        aliases: vuln.aliases,
        summary: vuln.summary,
        details: vuln.details,
        withdrawn: vuln.withdrawn,
        severity: Vec::new(),
        affected: vec![Affected {
            package: Some(AffectedPackage {
                ecosystem: "PyPI".into(),
                name: name.to_string(),
            }),
            ranges,
            versions: vec![version.to_string()],
            severity: Vec::new(),
        }],
        database_specific: None,
    }
}

/// What `download_database` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// A new copy with this many records.
    Downloaded(usize),
    /// The server says the copy we have is current (HTTP 304).
    Unchanged,
}

/// Downloads the database zip at `url` to `dest`: streamed to a temporary
/// file beside it, checked to be a readable zip of OSV records, then
/// renamed over the previous copy. The server's `ETag` is kept beside the
/// copy (`dest.etag`) and sent back next time, so an unchanged database is
/// not downloaded again.
pub async fn download_database(
    client: &reqwest::Client,
    url: &str,
    dest: &Path,
    progress: &(dyn Fn(u64, Option<u64>) + Sync),
) -> Result<Update, ApiError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(url, format!("{}: {e}", dir.display())))?;
    let etag_path = PathBuf::from(format!("{}.etag", dest.display()));
    let mut request = client.get(url);
    if dest.is_file()
        && let Ok(etag) = std::fs::read_to_string(&etag_path)
    {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag.trim());
    }
    let response = request.send().await.map_err(|e| fail(url, e))?;
    if response.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Update::Unchanged);
    }
    let etag = response
        .headers()
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if !response.status().is_success() {
        return Err(fail(url, format!("HTTP {}", response.status().as_u16())));
    }
    let temp = crate::atomic::temp_file_beside(dest)
        .map_err(|e| fail(url, format!("{}: {e}", dir.display())))?;
    let mut file = tokio::fs::File::from_std(
        temp.reopen()
            .map_err(|e| fail(url, format!("{}: {e}", temp.path().display())))?,
    );
    let total = response.content_length();
    let mut done = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail(url, format!("download interrupted: {e}")))?;
        done += chunk.len() as u64;
        progress(done, total);
        file.write_all(&chunk)
            .await
            .map_err(|e| fail(url, format!("{}: {e}", temp.path().display())))?;
    }
    file.flush()
        .await
        .map_err(|e| fail(url, format!("{}: {e}", temp.path().display())))?;
    drop(file);
    let records = load_database(temp.path())
        .map_err(|e| fail(url, format!("not an OSV database: {e}")))?
        .len();
    temp.persist(dest)
        .map_err(|e| fail(url, format!("{}: {}", dest.display(), e.error)))?;
    match etag {
        Some(etag) => {
            let _ = crate::atomic::write_file(
                &etag_path,
                etag.as_bytes(),
                crate::atomic::Overwrite::Replace,
            );
        }
        None => {
            let _ = std::fs::remove_file(&etag_path);
        }
    }
    Ok(Update::Downloaded(records))
}
