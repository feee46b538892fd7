//! The HTTP cache of project pages, find-links pages and PEP 658 metadata
//! files: one JSON file a URL under `<cache>/http-v1/`, revalidated with
//! ETag and Last-Modified, fresh for the `Cache-Control` max-age, never
//! kept when the server says `no-store`. Offline, only this cache answers.
//!
//! Owns when a cached page may be used and how it is stored. It must not
//! parse pages (`simple` does) nor retry (`http` does); failing to write
//! the cache is never an error, it only costs a later request.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde::{Deserialize, Serialize};

use super::error::IndexError;
use super::http::Transport;
use super::simple::ACCEPT;
use crate::redact::redact_url;

/// A page as it was fetched, with what is needed to revalidate it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct CachedPage {
    /// Where the page was in the end, after redirects: links are relative
    /// to it.
    pub(super) url: String,
    pub(super) content_type: String,
    etag: Option<String>,
    last_modified: Option<String>,
    max_age: Option<u64>,
    fetched_at: u64,
    pub(super) body: String,
}

/// How a page request came out, inside the retries.
enum PageFetch {
    Missing,
    NotModified { max_age: Option<u64> },
    Fresh { page: CachedPage, store: bool },
}

/// The page cache in one cache folder.
pub(super) struct PageCache {
    cache_dir: PathBuf,
    offline: bool,
}

impl PageCache {
    pub(super) fn new(cache_dir: PathBuf, offline: bool) -> Self {
        Self { cache_dir, offline }
    }

    /// GET through the page cache, at most `limit` bytes: `None` on 404.
    pub(super) async fn get(
        &self,
        transport: &Transport,
        url: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<Option<CachedPage>, IndexError> {
        let key = crate::digest::sha256_hex(redact_url(url).as_bytes());
        let path = self.cache_dir.join("http-v1").join(format!("{key}.json"));
        let cached: Option<CachedPage> = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if self.offline {
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
        let extra = revalidation_headers(cached.as_ref());
        let (extra, has_cached) = (&extra, cached.is_some());
        // The body is read inside the retries: a page that stalls half-way
        // is asked for again like one that never answered.
        let fetched = transport
            .with_retries(|| async move {
                let response = transport.send_once(url, extra).await?;
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
                let body = transport.read_body(response, url, limit, what).await?;
                let body = String::from_utf8(body).map_err(|_| IndexError::NotText {
                    url: redact_url(url),
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
                store_page(&path, &page);
                Ok(Some(page))
            }
            PageFetch::Fresh { page, store } => {
                if store {
                    store_page(&path, &page);
                }
                Ok(Some(page))
            }
        }
    }
}

/// The request headers: the page formats chiron reads, and the validators
/// of the cached copy, if any.
fn revalidation_headers(cached: Option<&CachedPage>) -> HeaderMap {
    let mut extra = HeaderMap::new();
    extra.insert(header::ACCEPT, header::HeaderValue::from_static(ACCEPT));
    if let Some(page) = cached {
        if let Some(etag) = page.etag.as_deref().and_then(|v| v.parse().ok()) {
            extra.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(modified) = page.last_modified.as_deref().and_then(|v| v.parse().ok()) {
            extra.insert(header::IF_MODIFIED_SINCE, modified);
        }
    }
    extra
}

fn store_page(path: &Path, page: &CachedPage) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
