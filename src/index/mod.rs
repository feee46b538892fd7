//! Talking to package indexes: the HTTP client every command shares, and
//! keeping credentials out of every message.

pub mod admit;
pub mod auth;
pub mod client;
pub mod error;
mod find_links;
pub mod gap;
mod http;
mod page_cache;
mod remote_zip;
pub mod select;
pub mod settings;
pub mod simple;
pub mod store;

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use url::Url;

// Still named here by the build modules.
pub use crate::redact::redact_url;

/// The `User-Agent` chiron sends, so index operators can tell it apart.
pub const USER_AGENT: &str = concat!("chiron/", env!("CARGO_PKG_VERSION"));

/// Makes ring rustls's process-wide crypto provider. Every HTTP client
/// (ours and the trace exporter's) needs one before it is built; ring
/// builds with a plain C compiler, unlike aws-lc-rs.
pub fn install_crypto_provider() {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Fails only when a provider is installed already, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An HTTP client with rustls (ring) over the platform's trust store, plus
/// the CA certificates of `cert` (a PEM bundle) when given. The timeout
/// bounds connecting and each read, not a whole transfer: a large wheel on a
/// slow link must not fail while data still flows.
pub fn http_client(timeout: Duration, cert: Option<&Path>) -> Result<reqwest::Client, String> {
    build_client(timeout, cert, None, false, &[])
}

/// How TLS is set up for indexes, from pip's `cert`, `client-cert` and
/// `trusted-host`.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Extra CA certificates (PEM bundle).
    pub cert: Option<std::path::PathBuf>,
    /// A PEM file with a client certificate and its private key (mutual TLS).
    pub client_cert: Option<std::path::PathBuf>,
    /// `host` or `host:port`: plain HTTP allowed, certificates not verified.
    pub trusted_hosts: Vec<String>,
}

/// The clients every index request goes through: one that verifies
/// certificates, and for trusted hosts one that does not (as pip's
/// `--trusted-host`).
#[derive(Debug, Clone)]
pub struct HttpClients {
    verified: reqwest::Client,
    unverified: Option<reqwest::Client>,
    trusted_hosts: Vec<String>,
}

impl HttpClients {
    pub fn new(timeout: Duration, tls: &TlsSettings) -> Result<Self, String> {
        let identity = match &tls.client_cert {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    format!("cannot read the client certificate {}: {e}", path.display())
                })?;
                Some(reqwest::Identity::from_pem(&pem).map_err(|e| {
                    format!(
                        "{} is not a PEM client certificate with its private key: {e}",
                        path.display()
                    )
                })?)
            }
            None => None,
        };
        let trusted = &tls.trusted_hosts;
        let verified = build_client(
            timeout,
            tls.cert.as_deref(),
            identity.clone(),
            false,
            trusted,
        )?;
        let unverified = if trusted.is_empty() {
            None
        } else {
            Some(build_client(
                timeout,
                tls.cert.as_deref(),
                identity,
                true,
                trusted,
            )?)
        };
        Ok(Self {
            verified,
            unverified,
            trusted_hosts: tls.trusted_hosts.clone(),
        })
    }

    /// The client for `url`: the unverified one for a trusted host.
    pub fn for_url(&self, url: &Url) -> &reqwest::Client {
        match &self.unverified {
            Some(unverified) if is_trusted_host(&self.trusted_hosts, url) => unverified,
            _ => &self.verified,
        }
    }

    /// Whether `url` may be fetched: HTTPS and file URLs, loopback hosts
    /// and trusted hosts, as pip's secure origins.
    pub fn is_secure_origin(&self, url: &Url) -> bool {
        is_secure_origin(&self.trusted_hosts, url)
    }
}

/// pip's `--trusted-host` match: `host` matches any port, `host:port` that port.
pub fn is_trusted_host(trusted: &[String], url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default();
    trusted.iter().any(|entry| {
        let entry = entry.trim();
        let (name, entry_port) = split_host_port(entry);
        name.eq_ignore_ascii_case(host) && entry_port.is_none_or(|p| Some(p) == port)
    })
}

fn split_host_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        // [::1]:8080
        if let Some((host, tail)) = rest.split_once(']') {
            return (host, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// pip's `SECURE_ORIGINS`: https, file, localhost and loopback addresses,
/// plus the trusted hosts.
pub fn is_secure_origin(trusted: &[String], url: &Url) -> bool {
    match url.scheme() {
        "https" | "file" => return true,
        "http" => {}
        _ => return false,
    }
    is_loopback(url) || is_trusted_host(trusted, url)
}

/// Redirects followed in a row before giving up, as browsers and pip do.
const MAX_REDIRECTS: usize = 10;

/// Whether a redirect from `from` to `to` may be followed: to https always,
/// to plain http only from plain http and only to a loopback address, the
/// same host or a trusted host; never to any other scheme (`file:`, `ftp:`)
/// and never down from https to http. An index must not be able to send
/// chiron to a local file, or strip TLS off the next request. Pure.
pub fn redirect_verdict(trusted: &[String], from: &Url, to: &Url) -> Result<(), String> {
    match (from.scheme(), to.scheme()) {
        (_, "https") => Ok(()),
        ("https", "http") => Err(format!(
            "refusing the redirect from https to plain http ({})",
            redact_url(to.as_str())
        )),
        ("http", "http") => {
            let same_host = from.host_str().is_some()
                && from.host_str().map(str::to_ascii_lowercase)
                    == to.host_str().map(str::to_ascii_lowercase);
            if same_host || is_loopback(to) || is_trusted_host(trusted, to) {
                Ok(())
            } else {
                Err(format!(
                    "refusing the redirect to {}: plain http to another host that is not trusted",
                    redact_url(to.as_str())
                ))
            }
        }
        (_, scheme) => Err(format!(
            "refusing the redirect to {}: an index may only redirect to http(s), not to `{scheme}:`",
            redact_url(to.as_str())
        )),
    }
}

/// The local path of a `file:` URL; `None` for every other scheme.
/// `Url::to_file_path` alone does not look at the scheme: it would turn
/// `http://localhost/tmp/x.whl` into `/tmp/x.whl`, so that a web page
/// could make chiron read a local file.
pub fn file_url_path(url: &Url) -> Option<std::path::PathBuf> {
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// [`file_url_path`] of a URL given as text.
pub fn file_url_path_str(url: &str) -> Option<std::path::PathBuf> {
    Url::parse(url).ok().as_ref().and_then(file_url_path)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn redirect_policy(trusted: &[String]) -> reqwest::redirect::Policy {
    let trusted = trusted.to_vec();
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        let verdict = match attempt.previous().last() {
            Some(from) => redirect_verdict(&trusted, from, attempt.url()),
            None => Ok(()),
        };
        match verdict {
            Ok(()) => attempt.follow(),
            Err(reason) => attempt.error(reason),
        }
    })
}

fn build_client(
    timeout: Duration,
    cert: Option<&Path>,
    identity: Option<reqwest::Identity>,
    accept_invalid_certs: bool,
    trusted_hosts: &[String],
) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(redirect_policy(trusted_hosts))
        .connect_timeout(timeout)
        .read_timeout(timeout);
    if let Some(path) = cert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read the CA bundle {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "{} is not a PEM bundle of certificates: {e}",
                path.display()
            )
        })?;
        if certs.is_empty() {
            return Err(format!("{} holds no PEM certificate", path.display()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    if let Some(identity) = identity {
        builder = builder.identity(identity);
    }
    if accept_invalid_certs {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {e}"))
}

/// Decodes `%XX` escapes (URL paths and user info); malformed escapes are
/// kept as written, and invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_hosts_and_secure_origins_follow_pip() {
        let trusted = vec![
            "mirror.invalid".to_string(),
            "other.invalid:8080".to_string(),
        ];
        let cases = [
            ("https://anything.invalid/simple", true, false),
            ("http://127.0.0.1:9/simple", true, false),
            ("http://localhost/simple", true, false),
            ("http://[::1]:80/simple", true, false),
            ("http://mirror.invalid:1234/simple", true, true),
            ("https://MIRROR.invalid/simple", true, true),
            ("http://other.invalid:8080/simple", true, true),
            ("http://other.invalid/simple", false, false),
            ("http://plain.invalid/simple", false, false),
        ];
        for (url, secure, is_trusted) in cases {
            let url = Url::parse(url).unwrap();
            assert_eq!(is_secure_origin(&trusted, &url), secure, "{url}");
            assert_eq!(is_trusted_host(&trusted, &url), is_trusted, "{url}");
        }
    }

    #[test]
    fn redirects_stay_on_http_and_never_downgrade() {
        let trusted = vec!["mirror.invalid".to_string()];
        let cases = [
            ("https://a.invalid/simple/x/", "https://b.invalid/x/", true),
            ("http://127.0.0.1:9/simple/", "https://b.invalid/x/", true),
            ("http://127.0.0.1:9/simple/", "http://127.0.0.1:10/x/", true),
            (
                "http://plain.invalid/simple/",
                "http://PLAIN.invalid/x/",
                true,
            ),
            (
                "http://plain.invalid/simple/",
                "http://mirror.invalid/x/",
                true,
            ),
            (
                "http://plain.invalid/simple/",
                "http://other.invalid/x/",
                false,
            ),
            ("https://a.invalid/simple/", "http://a.invalid/x/", false),
            ("https://a.invalid/simple/", "http://127.0.0.1/x/", false),
            (
                "https://a.invalid/simple/",
                "http://mirror.invalid/x/",
                false,
            ),
            ("http://127.0.0.1:9/simple/", "file:///etc/passwd", false),
            ("https://a.invalid/simple/", "file:///etc/passwd", false),
            ("https://a.invalid/simple/", "ftp://a.invalid/x.whl", false),
            ("http://127.0.0.1:9/simple/", "data:text/plain,x", false),
        ];
        for (from, to, allowed) in cases {
            let verdict = redirect_verdict(
                &trusted,
                &Url::parse(from).unwrap(),
                &Url::parse(to).unwrap(),
            );
            assert_eq!(verdict.is_ok(), allowed, "{from} -> {to}: {verdict:?}");
        }
    }
}
