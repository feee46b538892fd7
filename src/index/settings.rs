//! How the index client is set up: the indexes, find-links sources and
//! pins to ask, the cache folder, TLS, timeouts, retries and limits, read
//! from the effective configuration; and the one spelling of an index URL
//! by which two spellings are known to be one index.
//!
//! Owns turning configuration into [`ClientSettings`]. It must not reach
//! the network or the cache folder: the settings only say where they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pep508_rs::PackageName;
use url::Url;

use crate::config::DEFAULT_MAX_PAGE_BYTES;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
