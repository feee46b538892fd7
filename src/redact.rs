//! Keeping credentials out of every message, log and report: URLs are
//! shown with their password (or a token used as user name) masked.
//!
//! A shared primitive at the bottom of the import graph: configuration,
//! indexes, OCI registries, telemetry and reports all show URLs. It must
//! not know about packages.

use url::Url;

/// `url` with any password (and a token used as user name) replaced by
/// `****`, for messages, logs and reports. Text that is not a URL is
/// returned with anything before an `@` masked, so a malformed URL with
/// credentials still does not leak them.
///
/// ```
/// use chiron::redact::redact_url;
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
