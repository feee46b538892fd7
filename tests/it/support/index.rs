//! A package index for tests: wheels generated here (valid zips with
//! METADATA, WHEEL and RECORD), served on 127.0.0.1 as PEP 691 JSON or PEP
//! 503 HTML, with or without PEP 658 metadata files, and faults on demand.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{HttpServer, Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    Json,
    Html,
}

/// What goes wrong when a file is requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500 to the first N requests, then serve normally.
    FailFirst(usize),
    /// The page lists a sha256 that does not match the bytes.
    WrongHash,
    /// The page lists no hash.
    NoHash,
    /// The body stops half-way, every time.
    Truncate,
    /// Headers, then silence for this long.
    Stall(Duration),
    /// The page lists a wrong sha256 for the PEP 658 metadata file.
    WrongMetadataHash,
}

#[derive(Debug, Clone)]
pub struct ServedFile {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub metadata: String,
    pub requires_python: Option<String>,
    pub yanked: Option<String>,
    pub upload_time: Option<String>,
}

/// A wheel to build: `name`, `version`, `tag` (`py3-none-any`, ...).
pub struct WheelSpec<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub tag: &'a str,
    pub requires_python: Option<&'a str>,
    pub requires_dist: &'a [&'a str],
    pub yanked: Option<&'a str>,
    /// `License-Expression` (PEP 639) instead of the default `License: MIT`.
    pub license_expression: Option<&'a str>,
    /// PEP 700 `upload-time` on the JSON page.
    pub upload_time: Option<&'a str>,
}

impl<'a> WheelSpec<'a> {
    pub fn new(name: &'a str, version: &'a str, tag: &'a str) -> Self {
        Self {
            name,
            version,
            tag,
            requires_python: None,
            requires_dist: &[],
            yanked: None,
            license_expression: None,
            upload_time: None,
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn urlsafe_b64_nopad(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Builds an installable wheel; returns its file name, bytes and METADATA.
pub fn build_wheel(spec: &WheelSpec) -> (String, Vec<u8>, String) {
    let dist = spec.name.replace('-', "_");
    let filename = format!("{dist}-{}-{}.whl", spec.version, spec.tag);
    let dist_info = format!("{dist}-{}.dist-info", spec.version);
    let mut metadata = match spec.license_expression {
        None => format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\nSummary: test package\nAuthor-email: Jane Doe <jane@example.test>\nLicense: MIT\n",
            spec.name, spec.version
        ),
        Some(expression) => format!(
            "Metadata-Version: 2.4\nName: {}\nVersion: {}\nSummary: test package\nLicense-Expression: {expression}\n",
            spec.name, spec.version
        ),
    };
    if let Some(requires) = spec.requires_python {
        metadata.push_str(&format!("Requires-Python: {requires}\n"));
    }
    for requirement in spec.requires_dist {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let (python, abi, platform) = {
        let mut parts = spec.tag.splitn(3, '-');
        (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    let mut wheel_file = format!(
        "Wheel-Version: 1.0\nGenerator: chiron-tests\nRoot-Is-Purelib: {}\n",
        platform == "any"
    );
    for p in python.split('.') {
        for a in abi.split('.') {
            for pl in platform.split('.') {
                wheel_file.push_str(&format!("Tag: {p}-{a}-{pl}\n"));
            }
        }
    }
    let module = format!("{dist}/__init__.py");
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            module,
            format!("VERSION = \"{}\"\n", spec.version).into_bytes(),
        ),
        (
            format!("{dist_info}/METADATA"),
            metadata.clone().into_bytes(),
        ),
        (format!("{dist_info}/WHEEL"), wheel_file.into_bytes()),
    ];
    let mut record = String::new();
    for (path, bytes) in &files {
        record.push_str(&format!(
            "{path},sha256={},{}\n",
            urlsafe_b64_nopad(&Sha256::digest(bytes)),
            bytes.len()
        ));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (path, bytes) in files.iter().chain(std::iter::once(&(
            format!("{dist_info}/RECORD"),
            record.into_bytes(),
        ))) {
            zip.start_file(path.as_str(), options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }
    (filename, buffer.into_inner(), metadata)
}

#[derive(Default)]
struct State {
    projects: BTreeMap<String, Vec<ServedFile>>,
    faults: BTreeMap<String, Fault>,
    served: BTreeMap<String, usize>,
    /// Page requests answered 304 Not Modified.
    not_modified: usize,
    /// Range requests answered with 206, by file.
    ranged: BTreeMap<String, usize>,
    /// Answer Range requests with the whole file, as some servers do.
    ignore_ranges: bool,
    /// Leave `requires-python` off the pages, as pypiserver does: it is then
    /// only in each wheel's METADATA.
    hide_requires_python: bool,
}

/// The index. Pages live at `/simple/<name>/`, files at `/files/<filename>`.
pub struct TestIndex {
    pub server: HttpServer,
    state: Arc<Mutex<State>>,
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_ascii_lowercase().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl TestIndex {
    pub fn start(format: PageFormat, pep658: bool) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let server = HttpServer::start(move |request| respond(&shared, format, pep658, request));
        Self { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url("/simple")
    }

    pub fn add(&self, spec: &WheelSpec) -> ServedFile {
        let (filename, bytes, metadata) = build_wheel(spec);
        let file = ServedFile {
            sha256: sha256_hex(&bytes),
            filename,
            bytes,
            metadata,
            requires_python: spec.requires_python.map(str::to_string),
            yanked: spec.yanked.map(str::to_string),
            upload_time: spec.upload_time.map(str::to_string),
        };
        self.state
            .lock()
            .unwrap()
            .projects
            .entry(normalize(spec.name))
            .or_default()
            .push(file.clone());
        file
    }

    /// Adds a source distribution whose PKG-INFO has `metadata_version` and
    /// the given `Requires-Dist` and `Dynamic` lines.
    pub fn add_sdist(
        &self,
        name: &str,
        version: &str,
        metadata_version: &str,
        requires_dist: &[&str],
        dynamic: &[&str],
    ) -> ServedFile {
        let (filename, bytes, metadata) =
            build_sdist(name, version, metadata_version, requires_dist, dynamic);
        let file = ServedFile {
            sha256: sha256_hex(&bytes),
            filename,
            bytes,
            metadata,
            requires_python: None,
            yanked: None,
            upload_time: None,
        };
        self.state
            .lock()
            .unwrap()
            .projects
            .entry(normalize(name))
            .or_default()
            .push(file.clone());
        file
    }

    pub fn fault(&self, filename: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .insert(filename.to_string(), fault);
    }

    /// Serve whole files even when a range is asked for.
    pub fn ignore_ranges(&self) {
        self.state.lock().unwrap().ignore_ranges = true;
    }

    /// List no `requires-python` / `data-requires-python` on the pages: a
    /// client learns it only from the metadata, like on pypiserver.
    pub fn hide_requires_python(&self) {
        self.state.lock().unwrap().hide_requires_python = true;
    }

    /// How many range requests a file got.
    pub fn ranged(&self, filename: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .ranged
            .get(filename)
            .copied()
            .unwrap_or(0)
    }

    /// How many page requests were answered 304 (ETag revalidation).
    pub fn not_modified(&self) -> usize {
        self.state.lock().unwrap().not_modified
    }

    /// How many times a file's bytes were requested.
    pub fn downloads(&self, filename: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .served
            .get(filename)
            .copied()
            .unwrap_or(0)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Pages carry an ETag; a matching If-None-Match gets 304, as real indexes do.
fn respond(state: &Mutex<State>, format: PageFormat, pep658: bool, request: &Request) -> Response {
    let mut response = respond_fresh(state, format, pep658, request);
    if request.path.starts_with("/simple/") && response.status == 200 {
        let etag = format!("\"{}\"", &sha256_hex(&response.body)[..16]);
        if request.header("if-none-match") == Some(etag.as_str()) {
            state.lock().unwrap().not_modified += 1;
            let mut not_modified = Response::new(304, response.content_type, Vec::new());
            not_modified.headers.push(("ETag".into(), etag));
            return not_modified;
        }
        response.headers.push(("ETag".into(), etag));
    }
    response
}

fn respond_fresh(
    state: &Mutex<State>,
    format: PageFormat,
    pep658: bool,
    request: &Request,
) -> Response {
    let mut state = state.lock().unwrap();
    let path = request.path.split('?').next().unwrap_or_default();
    if let Some(name) = path
        .strip_prefix("/simple/")
        .map(|p| p.trim_end_matches('/'))
    {
        let Some(files) = state.projects.get(&normalize(name)) else {
            return Response::new(404, "text/plain", "no such project");
        };
        let listed_hash = |f: &ServedFile| match state.faults.get(&f.filename) {
            Some(Fault::WrongHash) => Some("0".repeat(64)),
            Some(Fault::NoHash) => None,
            _ => Some(f.sha256.clone()),
        };
        let wants_json = request
            .header("accept")
            .is_some_and(|a| a.contains("application/vnd.pypi.simple.v1+json"));
        if format == PageFormat::Json && wants_json {
            let entries: Vec<serde_json::Value> = files
                .iter()
                .map(|f| {
                    let mut entry = serde_json::json!({
                        "filename": f.filename,
                        "url": format!("../../files/{}", f.filename),
                        "hashes": listed_hash(f).map(|h| serde_json::json!({"sha256": h})).unwrap_or(serde_json::json!({})),
                        "size": f.bytes.len(),
                    });
                    if let (Some(requires), false) = (&f.requires_python, state.hide_requires_python) {
                        entry["requires-python"] = requires.clone().into();
                    }
                    if let Some(reason) = &f.yanked {
                        entry["yanked"] = reason.clone().into();
                    }
                    if let Some(time) = &f.upload_time {
                        entry["upload-time"] = time.clone().into();
                    }
                    if pep658 && f.filename.ends_with(".whl") {
                        let hash = if state.faults.get(&f.filename) == Some(&Fault::WrongMetadataHash) {
                            "0".repeat(64)
                        } else {
                            sha256_hex(f.metadata.as_bytes())
                        };
                        entry["core-metadata"] = serde_json::json!({"sha256": hash});
                    }
                    entry
                })
                .collect();
            let page =
                serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": entries});
            return Response::new(200, "application/vnd.pypi.simple.v1+json", page.to_string());
        }
        let mut html = String::from("<!DOCTYPE html><html><body>\n");
        for f in files {
            let hash = listed_hash(f)
                .map(|h| format!("#sha256={h}"))
                .unwrap_or_default();
            let mut attributes = String::new();
            if let (Some(requires), false) = (&f.requires_python, state.hide_requires_python) {
                attributes.push_str(&format!(" data-requires-python=\"{}\"", escape(requires)));
            }
            if let Some(reason) = &f.yanked {
                attributes.push_str(&format!(" data-yanked=\"{}\"", escape(reason)));
            }
            if pep658 && f.filename.ends_with(".whl") {
                attributes.push_str(&format!(
                    " data-core-metadata=\"sha256={}\"",
                    sha256_hex(f.metadata.as_bytes())
                ));
            }
            html.push_str(&format!(
                "<a href=\"../../files/{0}{hash}\"{attributes}>{0}</a><br/>\n",
                f.filename
            ));
        }
        html.push_str("</body></html>\n");
        return Response::new(200, "text/html", html);
    }
    if let Some(filename) = path.strip_prefix("/files/") {
        if let Some(real) = filename.strip_suffix(".metadata") {
            let found = state
                .projects
                .values()
                .flatten()
                .find(|f| f.filename == real)
                .cloned();
            return match found {
                Some(f) if pep658 => Response::new(200, "text/plain", f.metadata),
                _ => Response::new(404, "text/plain", "no metadata"),
            };
        }
        let Some(file) = state
            .projects
            .values()
            .flatten()
            .find(|f| f.filename == filename)
            .cloned()
        else {
            return Response::new(404, "text/plain", "no such file");
        };
        if let (Some(range), false) = (request.header("range"), state.ignore_ranges) {
            let len = file.bytes.len();
            let spec = range.trim_start_matches("bytes=");
            let (start, end) = match spec.split_once('-') {
                Some(("", suffix)) => (len.saturating_sub(suffix.parse().unwrap_or(len)), len - 1),
                Some((a, "")) => (a.parse().unwrap_or(0), len - 1),
                Some((a, b)) => (
                    a.parse().unwrap_or(0),
                    b.parse::<usize>().unwrap_or(len - 1).min(len - 1),
                ),
                None => (0, len - 1),
            };
            *state.ranged.entry(filename.to_string()).or_default() += 1;
            let mut partial = Response::new(
                206,
                "application/octet-stream",
                file.bytes[start..=end].to_vec(),
            );
            partial
                .headers
                .push(("Content-Range".into(), format!("bytes {start}-{end}/{len}")));
            return partial;
        }
        let count = state.served.entry(filename.to_string()).or_default();
        *count += 1;
        let count = *count;
        let mut response = Response::new(200, "application/octet-stream", file.bytes.clone());
        match state.faults.get(filename) {
            Some(Fault::FailFirst(n)) if count <= *n => {
                return Response::new(500, "text/plain", "try again");
            }
            Some(Fault::Truncate) => response.truncate_at = Some(file.bytes.len() / 2),
            Some(Fault::Stall(duration)) => response.stall = Some(*duration),
            _ => {}
        }
        return response;
    }
    Response::new(404, "text/plain", "not found")
}

/// A `.tar.gz` source distribution with `NAME-VERSION/PKG-INFO`.
pub fn build_sdist(
    name: &str,
    version: &str,
    metadata_version: &str,
    requires_dist: &[&str],
    dynamic: &[&str],
) -> (String, Vec<u8>, String) {
    let dist = name.replace('-', "_");
    let filename = format!("{dist}-{version}.tar.gz");
    let mut pkg_info = format!(
        "Metadata-Version: {metadata_version}\nName: {name}\nVersion: {version}\nLicense: MIT\n"
    );
    for requirement in requires_dist {
        pkg_info.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    for field in dynamic {
        pkg_info.push_str(&format!("Dynamic: {field}\n"));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    {
        let mut tar = tar::Builder::new(&mut gz);
        for (path, text) in [
            (format!("{dist}-{version}/PKG-INFO"), pkg_info.as_str()),
            (
                format!("{dist}-{version}/pyproject.toml"),
                "[build-system]\nrequires = [\"setuptools\"]\n",
            ),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, text.as_bytes()).unwrap();
        }
        tar.finish().unwrap();
    }
    (filename, gz.finish().unwrap(), pkg_info)
}

/// The kinds of package source users meet. A test that must hold wherever
/// chiron is pointed serves the same wheels in every flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// PEP 691 JSON with `requires-python` and PEP 658 metadata, as PyPI.
    Json,
    /// PEP 503 HTML with PEP 658 metadata but no `data-requires-python`:
    /// Requires-Python is only in the METADATA, as on pypiserver.
    HtmlNoRequiresPython,
    /// PEP 503 HTML with `data-requires-python` but no PEP 658 metadata
    /// files: dependencies are only inside the wheels.
    HtmlNoMetadata,
    /// A local folder of wheel files (`--find-links DIR`, no index).
    FindLinks,
}

impl Flavour {
    pub const ALL: [Flavour; 4] = [
        Flavour::Json,
        Flavour::HtmlNoRequiresPython,
        Flavour::HtmlNoMetadata,
        Flavour::FindLinks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flavour::Json => "pep691-json",
            Flavour::HtmlNoRequiresPython => "pep503-html-no-requires-python",
            Flavour::HtmlNoMetadata => "pep503-html-no-pep658",
            Flavour::FindLinks => "find-links-folder",
        }
    }
}

/// Wheels served in one [`Flavour`]: an index on 127.0.0.1, or a folder.
pub enum FlavouredSource {
    Index(TestIndex),
    Folder(std::path::PathBuf),
}

impl FlavouredSource {
    /// Starts the index, or creates the folder `dir` (used only by
    /// [`Flavour::FindLinks`]).
    pub fn start(flavour: Flavour, dir: &std::path::Path) -> Self {
        match flavour {
            Flavour::Json => Self::Index(TestIndex::start(PageFormat::Json, true)),
            Flavour::HtmlNoRequiresPython => {
                let index = TestIndex::start(PageFormat::Html, true);
                index.hide_requires_python();
                Self::Index(index)
            }
            Flavour::HtmlNoMetadata => Self::Index(TestIndex::start(PageFormat::Html, false)),
            Flavour::FindLinks => {
                std::fs::create_dir_all(dir).unwrap();
                Self::Folder(dir.to_path_buf())
            }
        }
    }

    /// Serves one wheel. A folder cannot say a file is yanked: the flag is
    /// lost there, as it is for users of `--find-links`.
    pub fn add(&self, spec: &WheelSpec) {
        match self {
            Self::Index(index) => {
                index.add(spec);
            }
            Self::Folder(dir) => {
                let (filename, bytes, _) = build_wheel(spec);
                std::fs::write(dir.join(filename), bytes).unwrap();
            }
        }
    }

    /// The simple-API root, for `--index-url`.
    pub fn index_url(&self) -> Option<String> {
        match self {
            Self::Index(index) => Some(index.url()),
            Self::Folder(_) => None,
        }
    }

    /// The folder, for `--find-links` with no index.
    pub fn folder(&self) -> Option<&std::path::Path> {
        match self {
            Self::Index(_) => None,
            Self::Folder(dir) => Some(dir),
        }
    }
}
