//! Trusted publishing: a short-lived upload token minted by the index for
//! this CI run, in exchange for the CI's OIDC identity token, as PyPI
//! documents it and `gh-action-pypi-publish` does. Three requests: the
//! index's audience, GitHub's identity token for that audience, and the
//! exchange.
//!
//! Owns the exchange. No token it sees (the request token, the identity
//! token, the minted one) appears in an error: what a server answers is
//! scrubbed of them.

use serde::Deserialize;
use url::Url;

use super::error::PublishError;
use super::http::{describe, read_limited, scrub};
use crate::config::Env;

/// GitHub Actions' variables that let a job ask for an identity token
/// (set with `permissions: id-token: write`).
pub const REQUEST_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub const REQUEST_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// Where a CI job asks for its identity token, and with what.
#[derive(Clone)]
pub struct IdentitySource {
    pub request_url: String,
    pub request_token: String,
}

impl IdentitySource {
    /// GitHub Actions' identity-token endpoint from `env`, when both
    /// variables are set; otherwise the name of the one missing.
    pub fn from_env(env: &Env) -> Result<Self, &'static str> {
        let request_url = env.get(REQUEST_URL_VAR).ok_or(REQUEST_URL_VAR)?;
        let request_token = env.get(REQUEST_TOKEN_VAR).ok_or(REQUEST_TOKEN_VAR)?;
        Ok(Self {
            request_url: request_url.to_string(),
            request_token: request_token.to_string(),
        })
    }
}

/// The index whose `/_/oidc/` endpoints mint tokens for `upload_url`:
/// PyPI's and TestPyPI's upload hosts map to their sites; any other index
/// is asked at its own origin.
pub fn index_base(upload_url: &Url) -> String {
    match upload_url.host_str() {
        Some("upload.pypi.org") => "https://pypi.org".into(),
        Some("test.pypi.org") => "https://test.pypi.org".into(),
        _ => upload_url.origin().ascii_serialization(),
    }
}

#[derive(Deserialize)]
struct Audience {
    audience: String,
}

#[derive(Deserialize)]
struct IdentityToken {
    value: String,
}

#[derive(Deserialize)]
struct Minted {
    token: String,
}

#[derive(Deserialize)]
struct MintFailure {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<MintErrorItem>,
}

#[derive(Deserialize)]
struct MintErrorItem {
    code: Option<String>,
    description: Option<String>,
}

/// One step's context: its name and URL, and the secrets to scrub.
struct Step<'a> {
    name: &'static str,
    url: String,
    secrets: Vec<&'a str>,
}

impl Step<'_> {
    fn fail(&self, message: &str) -> PublishError {
        PublishError::TrustedPublishing {
            step: self.name,
            url: crate::redact::redact_url(&self.url),
            message: scrub(message, &self.secrets),
        }
    }
}

/// Mints an upload token at `base` (an index's origin) with the identity
/// `source` gives: the token to send as `__token__`'s password.
pub async fn mint_token(
    client: &reqwest::Client,
    base: &str,
    source: &IdentitySource,
) -> Result<String, PublishError> {
    let base = base.trim_end_matches('/');
    let audience = audience(client, base, source).await?;
    let identity = identity_token(client, &audience, source).await?;
    exchange(client, base, &identity, source).await
}

async fn audience(
    client: &reqwest::Client,
    base: &str,
    source: &IdentitySource,
) -> Result<String, PublishError> {
    let step = Step {
        name: "asking the index for its audience",
        url: format!("{base}/_/oidc/audience"),
        secrets: vec![&source.request_token],
    };
    let request = client.get(&step.url);
    let body = answer(&step, request).await?;
    let parsed: Audience = parse(&step, &body)?;
    Ok(parsed.audience)
}

async fn identity_token(
    client: &reqwest::Client,
    audience: &str,
    source: &IdentitySource,
) -> Result<String, PublishError> {
    let mut url = Url::parse(&source.request_url).map_err(|e| PublishError::BadUrl {
        what: REQUEST_URL_VAR,
        url: crate::redact::redact_url(&source.request_url),
        message: e.to_string(),
    })?;
    url.query_pairs_mut().append_pair("audience", audience);
    let step = Step {
        name: "asking the CI for an identity token",
        url: url.to_string(),
        secrets: vec![&source.request_token],
    };
    let request = client
        .get(url)
        .header(
            reqwest::header::AUTHORIZATION,
            format!("bearer {}", source.request_token),
        )
        .header(reqwest::header::ACCEPT, "application/json");
    let body = answer(&step, request).await?;
    let parsed: IdentityToken = parse(&step, &body)?;
    Ok(parsed.value)
}

async fn exchange(
    client: &reqwest::Client,
    base: &str,
    identity: &str,
    source: &IdentitySource,
) -> Result<String, PublishError> {
    let step = Step {
        name: "exchanging the identity token for an upload token",
        url: format!("{base}/_/oidc/mint-token"),
        secrets: vec![identity, &source.request_token],
    };
    let request = client
        .post(&step.url)
        .json(&serde_json::json!({ "token": identity }));
    let response = request.send().await.map_err(|e| step.fail(&describe(&e)))?;
    let status = response.status();
    let (body, cut) = read_limited(response)
        .await
        .map_err(|e| step.fail(&describe(&e)))?;
    if !status.is_success() {
        return Err(step.fail(&mint_failure(status.as_u16(), &body)));
    }
    if cut {
        return Err(step.fail("the answer is longer than a token can be"));
    }
    let minted: Minted = parse(&step, &body)?;
    if minted.token.is_empty() || minted.token.chars().any(char::is_control) {
        return Err(step.fail("the minted token is empty or not printable"));
    }
    Ok(minted.token)
}

/// The body of a successful answer, within the limit.
async fn answer(
    step: &Step<'_>,
    request: reqwest::RequestBuilder,
) -> Result<Vec<u8>, PublishError> {
    let response = request.send().await.map_err(|e| step.fail(&describe(&e)))?;
    let status = response.status();
    let (body, cut) = read_limited(response)
        .await
        .map_err(|e| step.fail(&describe(&e)))?;
    if !status.is_success() {
        return Err(step.fail(&format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    if cut {
        return Err(step.fail("the answer is larger than the limit"));
    }
    Ok(body)
}

fn parse<T: serde::de::DeserializeOwned>(step: &Step<'_>, body: &[u8]) -> Result<T, PublishError> {
    serde_json::from_slice(body).map_err(|e| {
        step.fail(&format!(
            "the answer is not the JSON expected ({e}): {}",
            String::from_utf8_lossy(body)
        ))
    })
}

/// The mint endpoint's refusal in words: its `message` and each error's
/// code and description, else the body as it is.
fn mint_failure(status: u16, body: &[u8]) -> String {
    let Ok(failure) = serde_json::from_slice::<MintFailure>(body) else {
        return format!("HTTP {status}: {}", String::from_utf8_lossy(body));
    };
    let mut text = format!(
        "HTTP {status}: {}",
        failure.message.as_deref().unwrap_or("no message")
    );
    for item in failure.errors {
        text.push_str(&format!(
            "; {}: {}",
            item.code.as_deref().unwrap_or("error"),
            item.description.as_deref().unwrap_or("")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_and_testpypi_mint_at_their_sites() {
        for (upload, base) in [
            ("https://upload.pypi.org/legacy/", "https://pypi.org"),
            ("https://test.pypi.org/legacy/", "https://test.pypi.org"),
            ("http://127.0.0.1:8080/upload/", "http://127.0.0.1:8080"),
            (
                "https://pkgs.example.invalid/api/pypi/x",
                "https://pkgs.example.invalid",
            ),
        ] {
            assert_eq!(index_base(&Url::parse(upload).unwrap()), base, "{upload}");
        }
    }

    #[test]
    fn mint_refusals_are_told_in_the_index_words() {
        let body = br#"{"message": "Token request failed", "errors": [{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher"}]}"#;
        assert_eq!(
            mint_failure(422, body),
            "HTTP 422: Token request failed; invalid-publisher: valid token, but no corresponding publisher"
        );
        assert_eq!(mint_failure(500, b"oops"), "HTTP 500: oops");
    }

    #[test]
    fn both_variables_are_needed() {
        let env = Env::from_pairs([(REQUEST_URL_VAR, "https://x.invalid/?a=1")]);
        assert_eq!(
            IdentitySource::from_env(&env).err(),
            Some(REQUEST_TOKEN_VAR)
        );
        let env = Env::from_pairs([
            (REQUEST_URL_VAR, "https://x.invalid/?a=1"),
            (REQUEST_TOKEN_VAR, "t"),
        ]);
        assert!(IdentitySource::from_env(&env).is_ok());
    }
}
