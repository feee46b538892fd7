//! The HTTP client uploads and the trusted-publishing exchange go through:
//! no redirects followed (a POST redirected becomes a GET, and a token
//! must not follow a redirect elsewhere), bounded connect and read times,
//! bodies read within a limit, and secrets scrubbed from what a server
//! answers before it reaches a message.
//!
//! Owns sending. It must not decide what an answer means.

use std::path::Path;
use std::time::Duration;

/// The most of an answer's body read: index answers are short; a longer
/// one is cut, never held whole.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The most of an answer shown in a message.
const MAX_SHOWN_CHARS: usize = 500;

/// A client that follows no redirect. `timeout` bounds connecting and each
/// read (not a whole upload: a large file on a slow link must not fail
/// while data flows); `cert` adds CA certificates (a PEM bundle).
pub fn client(timeout: Duration, cert: Option<&Path>) -> Result<reqwest::Client, String> {
    crate::index::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(crate::index::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .read_timeout(timeout);
    if let Some(path) = cert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read the CA bundle {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("{} is not a PEM bundle: {e}", path.display()))?;
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {e}"))
}

/// The body of `response`, at most [`MAX_ANSWER_BYTES`] of it; `true`
/// when it was cut.
pub async fn read_limited(
    mut response: reqwest::Response,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// `text` with every secret replaced by `****`, on one line, cut to a
/// length a message can show.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut clean = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        clean = clean.replace(secret, "****");
    }
    let one_line: String = clean
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    match one_line.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// What went wrong with a request, in words, with the cause chain (the
/// URLs requested never hold credentials: they go in a header).
pub fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_survive_and_answers_stay_short() {
        assert_eq!(
            scrub("bad token eyJhbGciOi.x.y\r\n here", &["eyJhbGciOi.x.y"]),
            "bad token **** here"
        );
        let long = "x".repeat(10_000);
        assert_eq!(scrub(&long, &[]).chars().count(), MAX_SHOWN_CHARS + 1);
        assert_eq!(scrub("a\u{1b}[31mb", &[]), "a[31mb");
    }
}
