//! Project pages of the simple repository API: PEP 691 JSON and PEP 503
//! HTML, with PEP 592 yanking, `requires-python`, and PEP 658/714 metadata
//! files. Also flat `--find-links` HTML pages. Pure: text in, files out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use super::percent_decode;

/// The media types chiron asks for, best first (PEP 691 content negotiation).
pub const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// One file an index lists for a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFile {
    pub filename: String,
    /// Absolute URL, without the hash fragment.
    pub url: String,
    /// Hash name (`sha256`, ...) to lowercase hex digest.
    pub hashes: BTreeMap<String, String>,
    pub requires_python: Option<String>,
    /// `Some(reason)` when yanked (the reason may be empty).
    pub yanked: Option<String>,
    /// PEP 658/714: a `.metadata` file is offered, with these hashes.
    pub metadata: Option<BTreeMap<String, String>>,
    pub size: Option<u64>,
    pub upload_time: Option<String>,
    /// The index (or find-links source) that listed the file, without credentials.
    pub source: String,
}

impl IndexFile {
    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get("sha256").map(String::as_str)
    }

    /// The URL of the PEP 658 metadata file.
    pub fn metadata_url(&self) -> Option<String> {
        self.metadata
            .as_ref()
            .map(|_| format!("{}.metadata", self.url))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {message}")]
pub struct PageError {
    pub url: String,
    pub message: String,
}

#[derive(Deserialize)]
struct JsonPage {
    meta: JsonMeta,
    #[serde(default)]
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrString {
    Bool(bool),
    String(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrHashes {
    Bool(bool),
    Hashes(BTreeMap<String, String>),
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(rename = "requires-python")]
    requires_python: Option<String>,
    yanked: Option<BoolOrString>,
    #[serde(rename = "core-metadata")]
    core_metadata: Option<BoolOrHashes>,
    /// The name PEP 658 used before PEP 714 renamed it.
    #[serde(rename = "dist-info-metadata")]
    dist_info_metadata: Option<BoolOrHashes>,
    size: Option<u64>,
    #[serde(rename = "upload-time")]
    upload_time: Option<String>,
}

fn metadata_hashes(value: Option<BoolOrHashes>) -> Option<BTreeMap<String, String>> {
    match value? {
        BoolOrHashes::Bool(true) => Some(BTreeMap::new()),
        BoolOrHashes::Bool(false) => None,
        BoolOrHashes::Hashes(hashes) => Some(lowercase(hashes)),
    }
}

fn lowercase(hashes: BTreeMap<String, String>) -> BTreeMap<String, String> {
    hashes
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
        .collect()
}

/// Parses a PEP 691 JSON project page fetched from `page_url`.
pub fn parse_json(page_url: &Url, source: &str, body: &str) -> Result<Vec<IndexFile>, PageError> {
    let error = |message: String| PageError {
        url: crate::redact::redact_url(page_url.as_str()),
        message,
    };
    let page: JsonPage =
        serde_json::from_str(body).map_err(|e| error(format!("not a PEP 691 page: {e}")))?;
    if !page.meta.api_version.starts_with("1.") {
        return Err(error(format!(
            "simple API version {} is not supported (chiron speaks 1.x)",
            page.meta.api_version
        )));
    }
    page.files
        .into_iter()
        .map(|file| {
            let url = page_url
                .join(&file.url)
                .map_err(|e| error(format!("bad URL `{}` for {}: {e}", file.url, file.filename)))?;
            let yanked = match file.yanked {
                Some(BoolOrString::Bool(true)) => Some(String::new()),
                Some(BoolOrString::String(reason)) => Some(reason),
                _ => None,
            };
            let metadata = metadata_hashes(file.core_metadata.or(file.dist_info_metadata));
            Ok(IndexFile {
                filename: file.filename,
                url: without_fragment(url),
                hashes: lowercase(file.hashes),
                requires_python: file.requires_python.filter(|r| !r.trim().is_empty()),
                yanked,
                metadata,
                size: file.size,
                upload_time: file.upload_time,
                source: source.to_string(),
            })
        })
        .collect()
}

/// Splits `files` listed on the page at `page_url` into those whose URL
/// scheme the page may link to (http and https from an http(s) page, the
/// page's own scheme otherwise) and the rest. Pure.
pub fn split_by_scheme(page_url: &Url, files: Vec<IndexFile>) -> (Vec<IndexFile>, Vec<IndexFile>) {
    let web = |scheme: &str| matches!(scheme, "http" | "https");
    files.into_iter().partition(|file| {
        let scheme = Url::parse(&file.url)
            .map(|u| u.scheme().to_string())
            .unwrap_or_default();
        if web(page_url.scheme()) {
            web(&scheme)
        } else {
            scheme == page_url.scheme()
        }
    })
}

fn without_fragment(mut url: Url) -> String {
    url.set_fragment(None);
    url.to_string()
}

/// Parses a PEP 503 HTML project page, or a flat find-links page: every
/// anchor is a file, its hash in the URL fragment (`#sha256=...`).
pub fn parse_html(page_url: &Url, source: &str, body: &str) -> Result<Vec<IndexFile>, PageError> {
    let base = base_href(body)
        .and_then(|href| page_url.join(&href).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut files = Vec::new();
    for attributes in anchors(body) {
        let Some(href) = attributes.get("href") else {
            continue;
        };
        let Ok(url) = base.join(href) else {
            continue;
        };
        let mut hashes = BTreeMap::new();
        if let Some((name, value)) = url.fragment().and_then(|f| f.split_once('=')) {
            hashes.insert(name.to_ascii_lowercase(), value.to_ascii_lowercase());
        }
        let filename = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(percent_decode)
            .unwrap_or_default();
        if filename.is_empty() {
            continue;
        }
        let metadata = attributes
            .get("data-core-metadata")
            .or_else(|| attributes.get("data-dist-info-metadata"))
            .and_then(|value| match value.as_str() {
                "true" | "" => Some(BTreeMap::new()),
                "false" => None,
                hashed => hashed.split_once('=').map(|(name, digest)| {
                    BTreeMap::from([(name.to_ascii_lowercase(), digest.to_ascii_lowercase())])
                }),
            });
        files.push(IndexFile {
            filename,
            url: without_fragment(url),
            hashes,
            requires_python: attributes
                .get("data-requires-python")
                .filter(|r| !r.trim().is_empty())
                .cloned(),
            yanked: attributes.get("data-yanked").cloned(),
            metadata,
            size: None,
            upload_time: None,
            source: source.to_string(),
        });
    }
    Ok(files)
}

fn base_href(body: &str) -> Option<String> {
    tags_named(body, "base")
        .into_iter()
        .find_map(|mut a| a.remove("href"))
}

fn anchors(body: &str) -> Vec<BTreeMap<String, String>> {
    tags_named(body, "a")
}

/// The attributes of every `<name ...>` start tag in `body`. A small
/// scanner, not an HTML parser: simple pages are machine-written lists of
/// anchors, and a full HTML5 parser would be a large dependency for that.
fn tags_named(body: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let lower = body.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut at = 0;
    while let Some(found) = lower[at..].find(&open) {
        let start = at + found + open.len();
        at = start;
        // `<a` must be followed by white space, `>` or `/` (not `<abbr`).
        match body[start..].chars().next() {
            Some(c) if c.is_whitespace() || c == '>' || c == '/' => {}
            _ => continue,
        }
        let Some(end) = tag_end(&body[start..]) else {
            break;
        };
        out.push(parse_attributes(&body[start..start + end]));
        at = start + end;
    }
    out
}

/// The index of the `>` closing a start tag, skipping quoted values.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_attributes(text: &str) -> BTreeMap<String, String> {
    let mut attributes = BTreeMap::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' && chars[i] != '/' {
            i += 1;
        }
        let key: String = chars[start..i]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let quote = chars[i];
                i += 1;
                let value_start = i;
                while i < chars.len() && chars[i] != quote {
                    i += 1;
                }
                value = chars[value_start..i].iter().collect();
                i += 1;
            } else {
                let value_start = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                value = chars[value_start..i].iter().collect();
            }
        }
        if !key.is_empty() {
            attributes.insert(key, decode_entities(&value));
        }
    }
    attributes
}

/// Decodes the character references pages use in attributes (`&lt;` in
/// `data-requires-python="&lt;4,&gt;=3.8"`, numeric references).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&s| s <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://example.invalid/simple/demo/").unwrap()
    }

    #[test]
    fn web_pages_keep_only_web_links() {
        let body = r#"<a href="a-1.0-py3-none-any.whl">a</a>
            <a href="http://mirror.invalid/a-1.1-py3-none-any.whl">a</a>
            <a href="file:///etc/a-1.2-py3-none-any.whl">a</a>
            <a href="FILE:/home/me/a-1.3-py3-none-any.whl">a</a>
            <a href="ftp://mirror.invalid/a-1.4-py3-none-any.whl">a</a>
            <a href="data:,a-1.5-py3-none-any.whl">a</a>"#;
        let names = |files: &[IndexFile]| -> Vec<String> {
            files.iter().map(|f| f.filename.clone()).collect()
        };
        let files = parse_html(&page(), "s", body).unwrap();
        let (kept, dropped) = split_by_scheme(&page(), files);
        assert_eq!(
            names(&kept),
            ["a-1.0-py3-none-any.whl", "a-1.1-py3-none-any.whl"]
        );
        // file:, FILE: and ftp: (a data: URL names no file and is no link at all).
        assert_eq!(dropped.len(), 3, "{dropped:?}");
        // A `<base href="file:...">` cannot turn relative links local either.
        let based = r#"<base href="file:///srv/"><a href="a-1.0-py3-none-any.whl">a</a>"#;
        let files = parse_html(&page(), "s", based).unwrap();
        assert!(split_by_scheme(&page(), files).0.is_empty());
        // A local page (a file: URL) keeps its own file links.
        let local = Url::parse("file:///srv/links.html").unwrap();
        let files = parse_html(&local, "s", body).unwrap();
        let (kept, _) = split_by_scheme(&local, files);
        assert_eq!(
            names(&kept),
            [
                "a-1.0-py3-none-any.whl",
                "a-1.2-py3-none-any.whl",
                "a-1.3-py3-none-any.whl"
            ]
        );
    }

    #[test]
    fn json_pages_give_absolute_urls_and_all_fields() {
        let body = r#"{
          "meta": {"api-version": "1.1"},
          "name": "demo",
          "files": [
            {"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",
             "hashes": {"sha256": "ABC"}, "requires-python": ">=3.8", "core-metadata": {"sha256": "def"},
             "size": 10, "upload-time": "2024-01-01T00:00:00Z"},
            {"filename": "demo-0.9.tar.gz", "url": "https://files.example.invalid/demo-0.9.tar.gz#sha256=x",
             "hashes": {}, "yanked": "broken build", "dist-info-metadata": true},
            {"filename": "demo-0.8.tar.gz", "url": "demo-0.8.tar.gz", "hashes": {}, "yanked": false, "requires-python": ""}
          ]
        }"#;
        let files = parse_json(&page(), "https://example.invalid/simple", body).unwrap();
        assert_eq!(
            files[0].url,
            "https://example.invalid/files/demo-1.0-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256(), Some("abc"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(files[0].metadata.as_ref().unwrap()["sha256"], "def");
        assert_eq!(
            files[0].metadata_url().unwrap(),
            "https://example.invalid/files/demo-1.0-py3-none-any.whl.metadata"
        );
        assert_eq!(files[0].size, Some(10));
        assert_eq!(files[1].yanked.as_deref(), Some("broken build"));
        assert_eq!(
            files[1].url,
            "https://files.example.invalid/demo-0.9.tar.gz"
        );
        assert!(files[1].metadata.as_ref().unwrap().is_empty());
        assert_eq!(files[2].yanked, None);
        assert_eq!(files[2].requires_python, None);
        assert_eq!(
            files[2].url,
            "https://example.invalid/simple/demo/demo-0.8.tar.gz"
        );
    }

    #[test]
    fn json_pages_of_another_major_version_are_refused() {
        let error = parse_json(
            &page(),
            "s",
            r#"{"meta": {"api-version": "2.0"}, "files": []}"#,
        )
        .unwrap_err();
        assert!(error.message.contains("2.0"));
        assert!(parse_json(&page(), "s", "<html>").is_err());
    }

    #[test]
    fn html_pages_decode_attributes() {
        let body = r#"<!DOCTYPE html><html><body><h1>Links for demo</h1>
          <a href="../../files/demo-1.0-py3-none-any.whl#sha256=AbC" data-requires-python="&gt;=3.8,&lt;4"
             data-core-metadata="sha256=DEF">demo-1.0-py3-none-any.whl</a><br/>
          <A HREF='demo-0.9.tar.gz' data-yanked>demo-0.9.tar.gz</A>
          <a href="demo%2B-0.8.tar.gz" data-yanked="bad &amp; broken" data-dist-info-metadata="true">x</a>
          <abbr href="nope">no</abbr>
        </body></html>"#;
        let files = parse_html(&page(), "s", body).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].filename, "demo-1.0-py3-none-any.whl");
        assert_eq!(
            files[0].url,
            "https://example.invalid/files/demo-1.0-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256(), Some("abc"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8,<4"));
        assert_eq!(files[0].metadata.as_ref().unwrap()["sha256"], "def");
        assert_eq!(files[1].yanked.as_deref(), Some(""));
        assert_eq!(files[1].metadata, None);
        assert_eq!(files[2].filename, "demo+-0.8.tar.gz");
        assert_eq!(files[2].yanked.as_deref(), Some("bad & broken"));
        assert!(files[2].metadata.is_some());
    }

    #[test]
    fn html_base_href_is_honoured() {
        let body = r#"<html><head><base href="https://mirror.example.invalid/pkgs/"></head>
            <a href="demo-1.0.tar.gz">demo</a></html>"#;
        let files = parse_html(&page(), "s", body).unwrap();
        assert_eq!(
            files[0].url,
            "https://mirror.example.invalid/pkgs/demo-1.0.tar.gz"
        );
    }

    #[test]
    fn entities_and_percent_escapes() {
        assert_eq!(
            decode_entities("a &amp; b &#60; &#x3E; &bogus; &"),
            "a & b < > &bogus; &"
        );
        assert_eq!(percent_decode("a%20b%zz%"), "a b%zz%");
        assert_eq!(percent_decode("é%C3%A9%é"), "éé%é");
    }
}
