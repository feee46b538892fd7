//! The one way a request reaches an index: credentials from the URL or
//! `.netrc` for that host only, plain HTTP only to trusted or loopback
//! hosts, a bounded number of requests at once, redirects that may not
//! leave for a less safe place, and retries with exponential backoff (or
//! the server's `Retry-After`) on connection errors, timeouts, 429 and 5xx.
//!
//! Owns sending, retrying and reading bodies within a limit. It must not
//! cache, hash or interpret what it fetches (the page cache, the file store
//! and the range reader do), and nothing above it retries: this is the one
//! retry layer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::sync::Semaphore;
use url::Url;

use super::auth::Credentials;
use super::error::IndexError;
use super::settings::ClientSettings;
use crate::redact::redact_url;

/// The longest `Retry-After` chiron waits for; an index asking for longer
/// gets an error instead of a silent stall.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The HTTP clients with the credentials, concurrency limit and retry
/// policy every index request shares.
pub(super) struct Transport {
    clients: super::HttpClients,
    credentials: Credentials,
    limit: Arc<Semaphore>,
    trusted_hosts: Vec<String>,
    /// Per connection attempt and per stalled read.
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

/// One failed try, and how long the server asked to wait before the next.
pub(super) struct Failure {
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

impl Transport {
    pub(super) fn new(settings: &ClientSettings) -> Result<Self, IndexError> {
        let clients = super::HttpClients::new(settings.timeout, &settings.tls())
            .map_err(|message| IndexError::Tls { message })?;
        let mut credentials = Credentials::default();
        for url in settings.index_urls.iter().chain(&settings.find_links) {
            credentials.learn_from_url(url);
        }
        if let Some(netrc) = &settings.netrc {
            credentials.load_netrc(netrc);
        }
        Ok(Self {
            clients,
            credentials,
            limit: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            trusted_hosts: settings.trusted_hosts.clone(),
            timeout: settings.timeout,
            retries: settings.retries,
            backoff: settings.backoff,
        })
    }

    /// How long a read may stall before the request counts as failed.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The whole body, refused past `limit` bytes (counted as they arrive,
    /// so a missing or lying `Content-Length` changes nothing) and when a
    /// read stalls for longer than the timeout.
    pub(super) async fn read_body(
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
            match tokio::time::timeout(self.timeout, stream.next()).await {
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

    /// The error for a body that sent nothing for longer than the timeout.
    pub(super) fn stalled(&self, url: &str) -> IndexError {
        IndexError::Unreachable {
            url: redact_url(url),
            attempts: 1,
            reason: format!("no data for {} s", self.timeout.as_secs()),
        }
    }

    /// Runs `attempt_once` until it succeeds, fails for good, or has been
    /// tried `retries + 1` times, waiting between tries with exponential
    /// backoff, or as long as the server's `Retry-After` asks (up to
    /// [`MAX_RETRY_AFTER`]). The one retry layer: callers do not retry.
    pub(super) async fn with_retries<T, F, Fut>(&self, mut attempt_once: F) -> Result<T, IndexError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let attempts = self.retries.saturating_add(1);
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
                    limit: MAX_RETRY_AFTER.as_secs(),
                });
            }
            if !retryable(&failure.error) || attempt >= attempts {
                return Err(after_attempts(failure.error, attempt));
            }
            let delay = failure.retry_after.unwrap_or_else(|| {
                self.backoff
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
    pub(super) async fn send_once(
        &self,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, Failure> {
        let (clean, auth) = self.credentials.for_url(url);
        let parsed = Url::parse(clean.as_str()).map_err(|e| IndexError::BadUrl {
            url: redact_url(url),
            message: e.to_string(),
        })?;
        if !self.clients.is_secure_origin(&parsed) {
            return Err(IndexError::Insecure {
                url: redact_url(url),
                host: parsed.host_str().unwrap_or_default().to_string(),
            }
            .into());
        }
        let client = self.clients.for_url(&parsed);
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| IndexError::ShuttingDown)?;
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
            return Err(IndexError::Redirect {
                url: redact_url(url),
                reason: self.unfollowed_redirect(&response),
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

    /// Why reqwest handed back a redirect unfollowed: one to a URL it
    /// cannot request (`file:`, `data:`) or that the policy refused, said
    /// in words rather than "HTTP 302".
    fn unfollowed_redirect(&self, response: &reqwest::Response) -> String {
        let target = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| response.url().join(v).ok());
        match &target {
            Some(to) => super::redirect_verdict(&self.trusted_hosts, response.url(), to)
                .err()
                .unwrap_or_else(|| {
                    format!(
                        "a redirect to {} that was not followed",
                        redact_url(to.as_str())
                    )
                }),
            None => format!(
                "HTTP {} without a usable Location",
                response.status().as_u16()
            ),
        }
    }
}

/// Whether a failed try may pass when tried again: the network, a body cut
/// short, a server error or a rate limit.
fn retryable(error: &IndexError) -> bool {
    matches!(
        error,
        IndexError::Unreachable { .. } | IndexError::Truncated { .. }
    ) || matches!(error, IndexError::Status { status, .. } if *status >= 500 || *status == 429)
}

/// The same error, saying how many tries it took.
fn after_attempts(error: IndexError, attempts: u32) -> IndexError {
    match error {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

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
    fn retry_only_what_may_pass() {
        let status = |status| IndexError::Status {
            url: "u".into(),
            status,
        };
        assert!(retryable(&status(503)));
        assert!(retryable(&status(429)));
        assert!(!retryable(&status(404)));
        assert!(!retryable(&IndexError::HashMismatch {
            url: "u".into(),
            expected: "a".into(),
            actual: "b".into()
        }));
        assert!(retryable(&IndexError::Truncated {
            url: "u".into(),
            received: 1,
            expected: 2
        }));
        assert!(status(401).hint().unwrap().contains("netrc"));
    }
}
