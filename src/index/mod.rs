//! Talking to package indexes: the HTTP client every command shares, and
//! keeping credentials out of every message.

pub mod auth;
pub mod client;
pub mod gap;
pub mod select;
pub mod simple;

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use url::Url;

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
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
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
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {e}"))
}

/// `url` with any password (and a token used as user name) replaced by
/// `****`, for messages, logs and reports. Text that is not a URL is
/// returned with anything before an `@` masked, so a malformed URL with
/// credentials still does not leak them.
///
/// ```
/// use chiron::index::redact_url;
/// assert_eq!(
///     redact_url("https://ci:s3cret@example.invalid/simple"),
///     "https://ci:****@example.invalid/simple"
/// );
/// assert_eq!(redact_url("https://pypi.org/simple"), "https://pypi.org/simple");
/// ```
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("****"));
            } else if !parsed.username().is_empty() {
                // A lone user name is often a token (`https://TOKEN@host/`).
                let _ = parsed.set_username("****");
            }
            parsed.to_string()
        }
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("****@{host}"),
            None => url.to_string(),
        },
    }
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
    fn credentials_never_survive() {
        let cases = [
            ("https://pypi.org/simple", "https://pypi.org/simple"),
            (
                "https://user:s3cret@example.invalid/simple/",
                "https://user:****@example.invalid/simple/",
            ),
            (
                "https://ghp_token@example.invalid/simple",
                "https://****@example.invalid/simple",
            ),
            ("not a url:pw@host", "****@host"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_url(input), expected);
        }
    }
}
