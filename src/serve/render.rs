//! The simple API's pages, as bytes: the project list and each project's
//! page in PEP 503 HTML (with PEP 629's repository version) and PEP 691
//! JSON (API 1.1: PEP 700's `versions`, `size` and `upload-time`), and the
//! choice between them by content negotiation.
//!
//! File links are relative to the project's page (`FILENAME`, with
//! `FILENAME.metadata` and `FILENAME.provenance` beside it), so the same
//! bytes work under any prefix: `/NAME/simple/`, a static host, a CDN.
//! Pure: an index in, bytes out, sorted, the same every time.

use serde::Serialize;

use super::model::{File, Index, Project};
use crate::diagnose::{Diagnose, ExitClass};

/// The simple API version the pages declare (PEP 629, PEP 700).
pub const API_VERSION: &str = "1.1";

/// PEP 691's JSON.
pub const JSON_V1: &str = "application/vnd.pypi.simple.v1+json";
/// PEP 691's name for the PEP 503 HTML.
pub const HTML_V1: &str = "application/vnd.pypi.simple.v1+html";
/// The HTML every client since PEP 503 reads.
pub const LEGACY_HTML: &str = "text/html";

/// A form of the simple API's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PEP 691 JSON.
    JsonV1,
    /// PEP 503 HTML, asked for by PEP 691's name.
    HtmlV1,
    /// PEP 503 HTML as `text/html`: the default.
    LegacyHtml,
}

impl Format {
    /// Every format, in the order preferred when a client ranks them equal.
    pub const ALL: [Format; 3] = [Format::JsonV1, Format::HtmlV1, Format::LegacyHtml];

    /// The `Content-Type` of a page in this format (HTML in UTF-8).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::JsonV1 => JSON_V1,
            Format::HtmlV1 => "application/vnd.pypi.simple.v1+html; charset=utf-8",
            Format::LegacyHtml => "text/html; charset=utf-8",
        }
    }

    /// The media types a client may ask this format by (PEP 691's
    /// `latest` aliases included).
    fn media_types(self) -> &'static [&'static str] {
        match self {
            Format::JsonV1 => &[JSON_V1, "application/vnd.pypi.simple.latest+json"],
            Format::HtmlV1 => &[HTML_V1, "application/vnd.pypi.simple.latest+html"],
            Format::LegacyHtml => &[LEGACY_HTML],
        }
    }

    fn is_json(self) -> bool {
        self == Format::JsonV1
    }
}

/// No format the client accepts is served (HTTP 406).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("none of `{asked}` is served: the simple API is {JSON_V1}, {HTML_V1} or {LEGACY_HTML}")]
pub struct NotAcceptable {
    /// What the client asked for.
    pub asked: String,
}

impl Diagnose for NotAcceptable {
    fn exit_class(&self) -> ExitClass {
        ExitClass::Usage
    }

    fn hint(&self) -> Option<String> {
        Some(format!("ask for {JSON_V1}, {HTML_V1} or {LEGACY_HTML}"))
    }
}

/// One media range of an `Accept` header.
struct Range {
    kind: String,
    subtype: String,
    q: f32,
}

/// Chooses a page's format as PEP 691 says: `?format=` when given (read
/// as an `Accept` value), else the `Accept` header; the highest q-value
/// wins, each format taking the q of the most specific range it matches;
/// at equal q, the more specific match, then JSON before HTML. A bare
/// `*/*`, like no header at all, gets `text/html`, which every client
/// reads. Nothing acceptable with a q above 0 is [`NotAcceptable`].
pub fn negotiate(
    accept: Option<&str>,
    format_query: Option<&str>,
) -> Result<Format, NotAcceptable> {
    let asked = format_query
        .filter(|q| !q.trim().is_empty())
        .or(accept)
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let Some(asked) = asked else {
        return Ok(Format::LegacyHtml);
    };
    let ranges = parse_accept(asked);
    let mut best: Option<(f32, u8, usize, Format)> = None;
    for (position, format) in Format::ALL.into_iter().enumerate() {
        let Some((q, specificity)) = quality(&ranges, format) else {
            continue;
        };
        // At a bare wildcard the default (text/html) comes first.
        let preference = if specificity == 0 {
            2 - position
        } else {
            position
        };
        let better = best.is_none_or(|(bq, bs, bp, _)| {
            q > bq || (q == bq && (specificity > bs || (specificity == bs && preference < bp)))
        });
        if q > 0.0 && better {
            best = Some((q, specificity, preference, format));
        }
    }
    best.map(|(_, _, _, format)| format).ok_or(NotAcceptable {
        asked: asked.to_string(),
    })
}

/// The media ranges of an `Accept` value; a range with a malformed q is
/// ignored, as RFC 9110 lets a server do.
fn parse_accept(text: &str) -> Vec<Range> {
    text.split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let (kind, subtype) = media.split_once('/')?;
            let mut q = 1.0;
            for param in parts {
                if let Some((key, value)) = param.split_once('=')
                    && key.trim().eq_ignore_ascii_case("q")
                {
                    q = value
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))?;
                }
            }
            Some(Range {
                kind: kind.trim().to_string(),
                subtype: subtype.trim().to_string(),
                q,
            })
        })
        .collect()
}

/// The q of the most specific range `format` matches, with that
/// specificity (2 exact, 1 `type/*`, 0 `*/*`).
fn quality(ranges: &[Range], format: Format) -> Option<(f32, u8)> {
    let mut best: Option<(f32, u8)> = None;
    for range in ranges {
        for media in format.media_types() {
            let Some((kind, subtype)) = media.split_once('/') else {
                continue;
            };
            let specificity = match (range.kind.as_str(), range.subtype.as_str()) {
                (k, s) if k == kind && s == subtype => 2,
                (k, "*") if k == kind => 1,
                ("*", "*") => 0,
                _ => continue,
            };
            let wins =
                best.is_none_or(|(bq, bs)| specificity > bs || (specificity == bs && range.q > bq));
            if wins {
                best = Some((range.q, specificity));
            }
        }
    }
    best
}

/// The project list (`/simple/`) in `format`.
pub fn project_list(index: &Index, format: Format) -> Vec<u8> {
    if format.is_json() {
        let page = JsonList {
            meta: Meta::default(),
            projects: index
                .projects
                .keys()
                .map(|name| JsonName {
                    name: name.as_str(),
                })
                .collect(),
        };
        return json_bytes(&page);
    }
    let mut body = String::new();
    for name in index.projects.keys() {
        let name = name.as_str();
        body.push_str(&format!(
            "    <a href=\"{}/\">{}</a><br>\n",
            escape(&url_segment(name)),
            escape(name)
        ));
    }
    html_page("Simple index", "", &body)
}

/// A project's page (`/simple/NAME/`) in `format`.
pub fn project_page(project: &Project, format: Format) -> Vec<u8> {
    if format.is_json() {
        return json_bytes(&JsonProject {
            meta: Meta::default(),
            name: project.name.as_str(),
            versions: project.versions(),
            files: project.files.iter().map(json_file).collect(),
        });
    }
    let title = format!("Links for {}", project.name);
    let heading = format!("    <h1>{}</h1>\n", escape(&title));
    let body: String = project.files.iter().map(html_link).collect();
    html_page(&title, &heading, &body)
}

/// A distribution's URL, relative to its project's page.
pub fn file_url(filename: &str) -> String {
    url_segment(filename)
}

/// Its PEP 658 metadata file's URL: the file's, plus `.metadata`.
pub fn metadata_url(filename: &str) -> String {
    url_segment(&format!("{filename}.metadata"))
}

/// Its PEP 740 provenance's URL: the file's, plus `.provenance`.
pub fn provenance_url(filename: &str) -> String {
    url_segment(&format!("{filename}.provenance"))
}

fn html_page(title: &str, heading: &str, body: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset=\"utf-8\">\n    \
<meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n    \
<title>{}</title>\n  </head>\n  <body>\n{heading}{body}  </body>\n</html>\n",
        escape(title)
    )
    .into_bytes()
}

/// One `<a>` of a project page, with every attribute the file has.
fn html_link(file: &File) -> String {
    let mut attributes = format!(
        "href=\"{}#sha256={}\"",
        escape(&file_url(&file.filename)),
        file.sha256
    );
    if let Some(requires) = &file.requires_python {
        attributes.push_str(&format!(" data-requires-python=\"{}\"", escape(requires)));
    }
    if let Some(metadata) = &file.core_metadata {
        let value = format!("sha256={}", metadata.sha256);
        attributes.push_str(&format!(
            " data-dist-info-metadata=\"{value}\" data-core-metadata=\"{value}\""
        ));
    }
    if let Some(reason) = &file.yanked {
        attributes.push_str(&format!(" data-yanked=\"{}\"", escape(reason)));
    }
    if file.provenance.is_some() {
        attributes.push_str(&format!(
            " data-provenance=\"{}\"",
            escape(&provenance_url(&file.filename))
        ));
    }
    format!("    <a {attributes}>{}</a><br>\n", escape(&file.filename))
}

#[derive(Serialize)]
struct Meta {
    #[serde(rename = "api-version")]
    api_version: &'static str,
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            api_version: API_VERSION,
        }
    }
}

#[derive(Serialize)]
struct JsonList<'a> {
    meta: Meta,
    projects: Vec<JsonName<'a>>,
}

#[derive(Serialize)]
struct JsonName<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonProject<'a> {
    meta: Meta,
    name: &'a str,
    versions: Vec<String>,
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct JsonFile<'a> {
    filename: &'a str,
    url: String,
    hashes: std::collections::BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requires_python: Option<&'a str>,
    core_metadata: CoreMetadataValue,
    dist_info_metadata: CoreMetadataValue,
    yanked: Yanked<'a>,
    size: u64,
    upload_time: &'a str,
    provenance: Option<String>,
}

/// `false`, or the metadata file's hashes (PEP 714).
#[derive(Serialize, Clone)]
#[serde(untagged)]
enum CoreMetadataValue {
    Absent(bool),
    Hashes(std::collections::BTreeMap<&'static str, String>),
}

/// `false`, `true` (no reason) or the reason (PEP 592 in PEP 691).
#[derive(Serialize)]
#[serde(untagged)]
enum Yanked<'a> {
    Flag(bool),
    Reason(&'a str),
}

fn json_file(file: &File) -> JsonFile<'_> {
    let metadata = match &file.core_metadata {
        Some(metadata) => {
            CoreMetadataValue::Hashes([("sha256", metadata.sha256.to_string())].into())
        }
        None => CoreMetadataValue::Absent(false),
    };
    JsonFile {
        filename: &file.filename,
        url: file_url(&file.filename),
        hashes: [("sha256", file.sha256.to_string())].into(),
        requires_python: file.requires_python.as_deref(),
        core_metadata: metadata.clone(),
        dist_info_metadata: metadata,
        yanked: match file.yanked.as_deref() {
            None => Yanked::Flag(false),
            Some("") => Yanked::Flag(true),
            Some(reason) => Yanked::Reason(reason),
        },
        size: file.size,
        upload_time: &file.upload_time,
        provenance: file
            .provenance
            .as_ref()
            .map(|_| provenance_url(&file.filename)),
    }
}

fn json_bytes(page: &impl Serialize) -> Vec<u8> {
    // Serialising these plain structs (strings, numbers, maps with string
    // keys) cannot fail; an empty page would be refused by every client.
    let mut bytes = serde_json::to_vec(page).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// One URL path segment: unreserved characters and `+` as they are,
/// every other byte percent-encoded.
fn url_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'+' | b'!') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PEP 691's own example headers, what pip and uv send, and the edges.
    #[test]
    fn accept_headers_choose_as_pep_691_says() {
        use Format::*;
        let cases: &[(Option<&str>, Option<&str>, Option<Format>)] = &[
            (None, None, Some(LegacyHtml)),
            (Some(""), None, Some(LegacyHtml)),
            (Some("*/*"), None, Some(LegacyHtml)),
            (Some("text/html"), None, Some(LegacyHtml)),
            (
                Some("application/vnd.pypi.simple.v1+json"),
                None,
                Some(JsonV1),
            ),
            (
                Some("application/vnd.pypi.simple.latest+json"),
                None,
                Some(JsonV1),
            ),
            (
                Some("application/vnd.pypi.simple.v1+html"),
                None,
                Some(HtmlV1),
            ),
            (
                Some("application/vnd.pypi.simple.latest+html"),
                None,
                Some(HtmlV1),
            ),
            // PEP 691, "Clients": prefer JSON, then HTML, then legacy.
            (
                Some(
                    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01",
                ),
                None,
                Some(JsonV1),
            ),
            // PEP 691: a client that only wants HTML.
            (
                Some("application/vnd.pypi.simple.v1+html, text/html;q=0.01"),
                None,
                Some(HtmlV1),
            ),
            // pip 22.2+ (spaces around parameters).
            (
                Some(
                    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
                ),
                None,
                Some(JsonV1),
            ),
            // Legacy preferred by q.
            (
                Some("application/vnd.pypi.simple.v1+json;q=0.5, text/html"),
                None,
                Some(LegacyHtml),
            ),
            // Case does not matter.
            (
                Some("Application/VND.PyPI.Simple.V1+JSON"),
                None,
                Some(JsonV1),
            ),
            // A browser.
            (
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                None,
                Some(LegacyHtml),
            ),
            (Some("application/*"), None, Some(JsonV1)),
            (Some("text/*"), None, Some(LegacyHtml)),
            // The most specific range decides a format's q.
            (
                Some("*/*;q=0.1, application/vnd.pypi.simple.v1+json;q=0.05"),
                None,
                Some(LegacyHtml),
            ),
            (Some("*/*, text/html;q=0"), None, Some(HtmlV1)),
            // Nothing served.
            (Some("application/vnd.pypi.simple.v2+json"), None, None),
            (Some("application/json"), None, None),
            (Some("text/html;q=0"), None, None),
            (Some("text/html;q=2"), None, None),
            (Some("garbage"), None, None),
            // ?format= wins over Accept.
            (
                Some("text/html"),
                Some("application/vnd.pypi.simple.v1+json"),
                Some(JsonV1),
            ),
            (
                Some("application/vnd.pypi.simple.v1+json"),
                Some("text/html"),
                Some(LegacyHtml),
            ),
            (
                Some("application/vnd.pypi.simple.v1+json"),
                Some(""),
                Some(JsonV1),
            ),
            (None, Some("application/vnd.pypi.simple.v3+json"), None),
        ];
        for (accept, query, wanted) in cases {
            let got = negotiate(*accept, *query).ok();
            assert_eq!(got, *wanted, "Accept: {accept:?}, ?format={query:?}");
        }
    }

    #[test]
    fn not_acceptable_names_what_was_asked() {
        let error = negotiate(Some("application/json"), None).unwrap_err();
        assert!(error.to_string().contains("`application/json`"), "{error}");
        assert_eq!(error.exit_class(), ExitClass::Usage);
    }

    #[test]
    fn urls_and_text_are_escaped() {
        assert_eq!(
            file_url("demo-1.0+local-py3-none-any.whl"),
            "demo-1.0+local-py3-none-any.whl"
        );
        assert_eq!(file_url("a b#?.whl"), "a%20b%23%3F.whl");
        assert_eq!(file_url("é.whl"), "%C3%A9.whl");
        assert_eq!(
            escape(">=3.8,<4 & \"x\" 'y'"),
            "&gt;=3.8,&lt;4 &amp; &quot;x&quot; &#x27;y&#x27;"
        );
    }

    #[test]
    fn content_types_are_the_peps() {
        assert_eq!(
            Format::JsonV1.content_type(),
            "application/vnd.pypi.simple.v1+json"
        );
        assert!(
            Format::HtmlV1
                .content_type()
                .starts_with("application/vnd.pypi.simple.v1+html")
        );
        assert!(Format::LegacyHtml.content_type().starts_with("text/html"));
    }
}
