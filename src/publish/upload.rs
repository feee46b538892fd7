//! One upload: a `multipart/form-data` POST of the form fields and the
//! file (`content`) to the legacy upload URL, with HTTP basic auth, and
//! what the index's answer means. Never retried: a second POST of a file
//! that reached the index is answered "already exists", which the workflow
//! settles by the file's hash.
//!
//! Owns sending one file and reading the answer. It must not decide
//! whether a file should be sent.

use super::credentials::{CredentialSource, Credentials};
use super::dist::Distribution;
use super::error::PublishError;
use super::form::form_fields;
use super::http::{describe, read_limited, scrub};

/// What the index said to an upload it did not refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// It took the file.
    Uploaded,
    /// It holds a file of that name already (PyPI's 400 "File already
    /// exists", pypiserver's 409): which one must be asked.
    AlreadyExists,
}

/// Where and as whom files are uploaded.
pub struct Uploader<'a> {
    pub client: &'a reqwest::Client,
    /// The upload URL, without user info.
    pub url: &'a str,
    pub credentials: Option<&'a Credentials>,
}

impl Uploader<'_> {
    /// Uploads `dist` (its bytes are read again here, so that what is sent
    /// is what was hashed just before) and says what the index answered.
    pub async fn upload(&self, dist: &Distribution) -> Result<UploadOutcome, PublishError> {
        let bytes = std::fs::read(&dist.path).map_err(|source| PublishError::Io {
            path: dist.path.clone(),
            source,
        })?;
        if crate::digest::sha256_hex(&bytes) != dist.sha256 {
            return Err(PublishError::Metadata {
                path: dist.path.clone(),
                message: "the file changed while it was being published".into(),
            });
        }
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in form_fields(dist) {
            form = form.text(name, value);
        }
        let content = reqwest::multipart::Part::bytes(bytes)
            .file_name(dist.filename.clone())
            .mime_str("application/octet-stream")
            .map_err(|e| self.transport(dist, &describe(&e)))?;
        form = form.part("content", content);
        let mut request = self.client.post(self.url).multipart(form);
        if let Some(credentials) = self.credentials {
            request = request.basic_auth(&credentials.username, Some(&credentials.password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport(dist, &describe(&e)))?;
        self.outcome(dist, response).await
    }

    fn transport(&self, dist: &Distribution, reason: &str) -> PublishError {
        PublishError::Transport {
            file: dist.filename.clone(),
            url: crate::redact::redact_url(self.url),
            reason: self.scrub(reason),
        }
    }

    fn scrub(&self, text: &str) -> String {
        let secrets: Vec<&str> = self
            .credentials
            .map(|c| vec![c.password.as_str()])
            .unwrap_or_default();
        scrub(text, &secrets)
    }

    async fn outcome(
        &self,
        dist: &Distribution,
        response: reqwest::Response,
    ) -> Result<UploadOutcome, PublishError> {
        let status = response.status();
        let reason = status.canonical_reason().unwrap_or_default().to_string();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let (body, _) = read_limited(response)
            .await
            .map_err(|e| self.transport(dist, &describe(&e)))?;
        let message = self.scrub(&format!(
            "{reason}: {}",
            brief(&String::from_utf8_lossy(&body))
        ));
        let code = status.as_u16();
        match code {
            200..=299 => Ok(UploadOutcome::Uploaded),
            300..=399 => Err(PublishError::Redirected {
                url: crate::redact::redact_url(self.url),
                location: crate::redact::redact_url(location.as_deref().unwrap_or("nowhere")),
            }),
            409 => Ok(UploadOutcome::AlreadyExists),
            400 if message.to_ascii_lowercase().contains("already exist") => {
                Ok(UploadOutcome::AlreadyExists)
            }
            401 | 403 => Err(PublishError::Unauthorized {
                file: dist.filename.clone(),
                url: crate::redact::redact_url(self.url),
                status: code,
                source_name: self
                    .credentials
                    .map_or(CredentialSource::None, |c| c.source)
                    .describe()
                    .to_string(),
                message,
            }),
            _ => Err(PublishError::Rejected {
                file: dist.filename.clone(),
                url: crate::redact::redact_url(self.url),
                status: code,
                message,
            }),
        }
    }
}

/// An index's answer in a line: an HTML page's text without its markup,
/// whitespace collapsed, at most 300 characters.
fn brief(body: &str) -> String {
    let mut text = String::new();
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let tag = &rest[start..];
        let lower = tag.get(..7).unwrap_or(tag).to_ascii_lowercase();
        // What a page's <style> and <script> hold is not its message.
        let skip_to = ["<style", "<script"]
            .iter()
            .find(|open| lower.starts_with(*open))
            .map(|open| format!("</{}", &open[1..]));
        let end = match skip_to {
            Some(close) => tag
                .to_ascii_lowercase()
                .find(&close)
                .and_then(|at| tag[at..].find('>').map(|gt| at + gt + 1)),
            None => tag.find('>').map(|gt| gt + 1),
        };
        text.push(' ');
        match end {
            Some(end) => rest = &tag[end..],
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(300) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[cfg(test)]
mod brief_tests {
    #[test]
    fn html_pages_become_one_short_line() {
        let page = "<html><head><title>403 Forbidden</title></head>\n<body><h1>Forbidden</h1>\n<p>No   access.</p></body></html>";
        assert_eq!(super::brief(page), "403 Forbidden Forbidden No access.");
        assert_eq!(super::brief(&"x ".repeat(400)).chars().count(), 301);
        assert_eq!(super::brief("plain text"), "plain text");
        let styled = "<html><head><style>html {background: #eee}</style><script>x()</script></head><body>It&#039;s &lt;denied&gt; &amp; gone</body></html>";
        assert_eq!(super::brief(styled), "It's <denied> & gone");
        assert_eq!(super::brief("a <b"), "a");
    }
}
