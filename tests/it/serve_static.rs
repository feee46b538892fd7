//! `chiron serve`'s index model and static export (issue 16), through the
//! library: a folder of real wheels and sdists (Requires-Python only in
//! their metadata, a yanked release, a provenance file, a non-ASCII
//! description, broken and lying files) exported as static pages, then
//! served by `python3 -m http.server` on 127.0.0.1 to pip and uv. The
//! oracles: pip and uv installing and resolving from it (uv from the PEP
//! 658 files alone, as the server's log shows), a JSON Schema of PEP 691's
//! shapes, Python's `html.parser` reading the HTML pages, and a second
//! export's bytes. Bundles: signed by `chiron airgap build`, served only
//! when their key verifies them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use chiron::serve::{
    BundleTrust, Index, IndexOptions, OpenedSource, ServeError, SourceKind, SourceSpec,
    export_static, open_source, read_index,
};
use serde_json::Value;

use crate::support::index::{WheelSpec, build_sdist, build_wheel, sha256_hex};
use crate::support::{chiron, oracle_tool};

pub(crate) use crate::support::serve::EPOCH;

const BETA_METADATA: &str = "Metadata-Version: 2.1\nName: beta\nVersion: 1.0\n\
Summary: Ünïcødé ☃ summary\nRequires-Python: >=3.8, <4\nDescription-Content-Type: text/markdown\n\n\
# bêta ☃\n\nA description in ελληνικά and 日本語.\n";

const PROVENANCE: &str = "{\"version\": 1, \"attestation_bundles\": []}\n";

/// A wheel whose METADATA is `metadata`, with a RECORD that hashes it.
fn wheel_with_metadata(name: &str, version: &str, metadata: &str) -> (String, Vec<u8>) {
    let dist_info = format!("{name}-{version}.dist-info");
    let files = [
        (format!("{name}/__init__.py"), format!("VERSION = \"{version}\"\n")),
        (format!("{dist_info}/METADATA"), metadata.to_string()),
        (
            format!("{dist_info}/WHEEL"),
            "Wheel-Version: 1.0\nGenerator: chiron-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_string(),
        ),
    ];
    let mut record = String::new();
    for (path, text) in &files {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes());
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        record.push_str(&format!("{path},sha256={hash},{}\n", text.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default();
    for (path, text) in files
        .iter()
        .chain([(format!("{dist_info}/RECORD"), record)].iter())
    {
        zip.start_file(path.as_str(), options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    (
        format!("{name}-{version}-py3-none-any.whl"),
        buffer.into_inner(),
    )
}

/// The folder served: file name to (bytes, the metadata put inside).
pub(crate) struct Folder {
    pub(crate) dir: PathBuf,
    files: BTreeMap<String, (Vec<u8>, String)>,
}

impl Folder {
    fn put(&mut self, filename: &str, bytes: Vec<u8>, metadata: String) {
        std::fs::write(self.dir.join(filename), &bytes).unwrap();
        self.files.insert(filename.to_string(), (bytes, metadata));
    }

    pub(crate) fn bytes(&self, filename: &str) -> &[u8] {
        &self.files[filename].0
    }
}

/// alpha 1.0 (wheel and sdist) needs beta; alpha 2.0 needs Python 4;
/// alpha 3.0 is yanked; beta 1.0 has a non-ASCII description and a
/// provenance file; `broken` is a truncated zip, `impostor` a wheel whose
/// METADATA names another project, and a README is no distribution.
pub(crate) fn folder(dir: &Path) -> Folder {
    std::fs::create_dir_all(dir).unwrap();
    let mut folder = Folder {
        dir: dir.to_path_buf(),
        files: BTreeMap::new(),
    };
    for (version, requires_python) in [("1.0", ">=3.8"), ("2.0", ">=4"), ("3.0", ">=3.8")] {
        let (name, bytes, metadata) = build_wheel(&WheelSpec {
            requires_python: Some(requires_python),
            requires_dist: &["beta"],
            ..WheelSpec::new("alpha", version, "py3-none-any")
        });
        folder.put(&name, bytes, metadata);
    }
    let (name, bytes, pkg_info) = build_sdist("alpha", "1.0", "2.2", &["beta"], &[]);
    folder.put(&name, bytes, pkg_info);
    let (name, bytes) = wheel_with_metadata("beta", "1.0", BETA_METADATA);
    folder.put(&name, bytes, BETA_METADATA.to_string());
    std::fs::write(dir.join(format!("{name}.provenance")), PROVENANCE).unwrap();

    let (_, alpha, _) = build_wheel(&WheelSpec::new("alpha", "9.0", "py3-none-any"));
    std::fs::write(dir.join("impostor-9.0-py3-none-any.whl"), &alpha).unwrap();
    std::fs::write(
        dir.join("broken-1.0-py3-none-any.whl"),
        &alpha[..alpha.len() / 2],
    )
    .unwrap();
    // A METADATA of 17 MiB that deflates to a few KiB: refused unread.
    let bomb = format!(
        "Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n\n{}",
        "a".repeat(17 << 20)
    );
    let (name, bytes) = wheel_with_metadata("bomb", "1.0", &bomb);
    assert!(bytes.len() < 1 << 20);
    std::fs::write(dir.join(name), bytes).unwrap();
    std::fs::write(dir.join("README.txt"), "not a distribution\n").unwrap();
    folder
}

fn yanked() -> BTreeMap<String, String> {
    BTreeMap::from([("alpha==3.0".to_string(), "broken build".to_string())])
}

fn read(source: &OpenedSource, cache: &Path) -> (Index, Vec<chiron::serve::Skipped>) {
    let yanked = yanked();
    read_index(
        source,
        &IndexOptions {
            cache_dir: cache,
            epoch: Some(EPOCH),
            yanked: &yanked,
        },
    )
    .unwrap()
}

fn open_folder(dir: &Path, cache: &Path) -> OpenedSource {
    open_source(&SourceSpec::parse(dir.to_str().unwrap()), None, cache).unwrap()
}

/// Every file under `root`, by relative path, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn schema_errors(schema: &str, document: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pep691")
        .join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// What Python's html.parser reads in a page.
fn parse_html(page: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pep691/html_links.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(page)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", everything(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

pub(crate) fn everything(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_model_reads_metadata_from_the_files_and_skips_what_lies() {
    let home = tempfile::tempdir().unwrap();
    let folder = folder(&home.path().join("dists"));
    let cache = home.path().join("cache");
    let source = open_folder(&folder.dir, &cache);
    assert_eq!(source.kind, SourceKind::Folder);
    assert_eq!(source.name, "dists");
    let (index, skipped) = read(&source, &cache);

    let skipped: BTreeMap<String, String> = skipped
        .into_iter()
        .map(|s| {
            (
                s.path.file_name().unwrap().to_string_lossy().into_owned(),
                s.reason,
            )
        })
        .collect();
    assert_eq!(
        skipped.keys().collect::<Vec<_>>(),
        [
            "bomb-1.0-py3-none-any.whl",
            "broken-1.0-py3-none-any.whl",
            "impostor-9.0-py3-none-any.whl"
        ]
    );
    assert!(
        skipped["bomb-1.0-py3-none-any.whl"].contains("larger than"),
        "{skipped:?}"
    );
    assert!(
        skipped["broken-1.0-py3-none-any.whl"].contains("zip"),
        "{skipped:?}"
    );
    assert!(
        skipped["impostor-9.0-py3-none-any.whl"]
            .contains("the file name says impostor 9.0, its metadata says alpha 9.0"),
        "{skipped:?}"
    );
    let names: Vec<&str> = index.projects.keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["alpha", "beta"]);

    let alpha = &index.projects[&chiron::python::NormalizedName::new("alpha")];
    assert_eq!(alpha.versions(), ["1.0", "2.0", "3.0"]);
    let two = alpha.file("alpha-2.0-py3-none-any.whl").unwrap();
    assert_eq!(two.requires_python.as_deref(), Some(">=4"));
    let three = alpha.file("alpha-3.0-py3-none-any.whl").unwrap();
    assert_eq!(three.yanked.as_deref(), Some("broken build"));
    let sdist = alpha.file("alpha-1.0.tar.gz").unwrap();
    assert!(sdist.core_metadata.is_none());
    assert_eq!(sdist.requires_python, None);
    assert_eq!(
        sdist.sha256.to_string(),
        sha256_hex(folder.bytes("alpha-1.0.tar.gz"))
    );

    // The metadata file is the wheel's METADATA, extracted once.
    let beta = &index.projects[&chiron::python::NormalizedName::new("beta")];
    let file = beta.file("beta-1.0-py3-none-any.whl").unwrap();
    let metadata = file.core_metadata.as_ref().unwrap();
    assert_eq!(
        std::fs::read_to_string(&metadata.path).unwrap(),
        BETA_METADATA
    );
    assert_eq!(
        metadata.sha256.to_string(),
        sha256_hex(BETA_METADATA.as_bytes())
    );
    assert!(metadata.path.starts_with(&cache));
    let extracted = std::fs::metadata(&metadata.path)
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let (again, _) = read(&source, &cache);
    assert_eq!(again, index);
    assert_eq!(
        std::fs::metadata(&metadata.path)
            .unwrap()
            .modified()
            .unwrap(),
        extracted,
        "the METADATA is extracted once"
    );
    assert_eq!(file.upload_time, "2023-11-14T22:13:20Z");
    assert!(file.provenance.is_some());
}

#[test]
fn the_export_matches_pep_691_its_html_matches_its_json_and_is_reproducible() {
    let home = tempfile::tempdir().unwrap();
    let folder = folder(&home.path().join("dists"));
    let cache = home.path().join("cache");
    let (index, _) = read(&open_folder(&folder.dir, &cache), &cache);
    let out = home.path().join("site");
    let report = export_static(&index, &out).unwrap();
    assert_eq!((report.projects, report.files), (2, 5));
    let first = tree(&out);

    // Again in place, and elsewhere: the same bytes.
    export_static(&index, &out).unwrap();
    assert_eq!(tree(&out), first);
    let (reread, _) = read(&open_folder(&folder.dir, &cache), &cache);
    export_static(&reread, &home.path().join("site2")).unwrap();
    assert_eq!(tree(&home.path().join("site2")), first);
    let leftovers: Vec<String> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".chiron"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());

    let list = json(&out.join("simple/index.json"));
    assert_eq!(
        schema_errors("project-list.schema.json", &list),
        Vec::<String>::new()
    );
    assert_eq!(
        list["projects"],
        serde_json::json!([{"name": "alpha"}, {"name": "beta"}])
    );
    let html_list = parse_html(&out.join("simple/index.html"));
    assert_eq!(html_list["meta"]["pypi:repository-version"], "1.1");
    let hrefs: Vec<&str> = html_list["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["attrs"]["href"].as_str().unwrap())
        .collect();
    assert_eq!(hrefs, ["alpha/", "beta/"]);

    for project in ["alpha", "beta"] {
        let dir = out.join("simple").join(project);
        let page = json(&dir.join("index.json"));
        assert_eq!(
            schema_errors("project.schema.json", &page),
            Vec::<String>::new(),
            "{project}"
        );
        assert_eq!(page["name"], project);
        assert_eq!(page["meta"]["api-version"], "1.1");
        let html = parse_html(&dir.join("index.html"));
        assert_eq!(html["meta"]["pypi:repository-version"], "1.1");
        let files = page["files"].as_array().unwrap();
        let links = html["links"].as_array().unwrap();
        assert_eq!(files.len(), links.len(), "{project}");
        for (file, link) in files.iter().zip(links) {
            check_file(&folder, &dir, file, link);
        }
    }
    let alpha = json(&out.join("simple/alpha/index.json"));
    assert_eq!(alpha["versions"], serde_json::json!(["1.0", "2.0", "3.0"]));
    let by_name = |name: &str| {
        alpha["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filename"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_name("alpha-3.0-py3-none-any.whl")["yanked"],
        "broken build"
    );
    assert_eq!(by_name("alpha-1.0-py3-none-any.whl")["yanked"], false);
    assert_eq!(
        by_name("alpha-2.0-py3-none-any.whl")["requires-python"],
        ">=4"
    );
    assert_eq!(by_name("alpha-1.0.tar.gz")["core-metadata"], false);
    let beta = json(&out.join("simple/beta/index.json"));
    assert_eq!(
        beta["files"][0]["provenance"],
        "beta-1.0-py3-none-any.whl.provenance"
    );
    assert_eq!(beta["files"][0]["requires-python"], ">=3.8, <4");
    // The raw HTML escapes what html.parser decoded above.
    let raw = std::fs::read_to_string(out.join("simple/beta/index.html")).unwrap();
    assert!(
        raw.contains("data-requires-python=\"&gt;=3.8, &lt;4\""),
        "{raw}"
    );
    assert_eq!(
        std::fs::read(out.join("simple/beta/beta-1.0-py3-none-any.whl.provenance")).unwrap(),
        PROVENANCE.as_bytes()
    );
}

/// One file of a project page: the JSON entry and the HTML link say the
/// same, and both say what the bytes served are.
fn check_file(folder: &Folder, dir: &Path, file: &Value, link: &Value) {
    let filename = file["filename"].as_str().unwrap();
    let attrs = &link["attrs"];
    let (bytes, metadata) = &folder.files[filename];
    let sha256 = sha256_hex(bytes);
    assert_eq!(link["text"], filename);
    assert_eq!(file["url"], filename);
    assert_eq!(attrs["href"], format!("{filename}#sha256={sha256}"));
    assert_eq!(file["hashes"]["sha256"], sha256.as_str());
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["upload-time"], "2023-11-14T22:13:20Z");
    assert_eq!(
        std::fs::read(dir.join(filename)).unwrap(),
        *bytes,
        "{filename}"
    );
    assert_eq!(
        attrs.get("data-requires-python").unwrap_or(&Value::Null),
        file.get("requires-python").unwrap_or(&Value::Null),
        "{filename}"
    );
    let declared = metadata
        .lines()
        .find_map(|l| l.strip_prefix("Requires-Python: "))
        .map(|r| Value::from(r.trim()));
    assert_eq!(file.get("requires-python").cloned(), declared, "{filename}");
    match &file["core-metadata"] {
        Value::Bool(false) => {
            assert!(attrs.get("data-core-metadata").is_none());
            assert!(attrs.get("data-dist-info-metadata").is_none());
            assert!(!dir.join(format!("{filename}.metadata")).exists());
        }
        hashes => {
            let served = std::fs::read(dir.join(format!("{filename}.metadata"))).unwrap();
            assert_eq!(served, metadata.as_bytes(), "{filename}");
            let wanted = format!("sha256={}", sha256_hex(&served));
            assert_eq!(hashes["sha256"], sha256_hex(&served).as_str());
            assert_eq!(file["dist-info-metadata"], *hashes);
            assert_eq!(attrs["data-core-metadata"], wanted.as_str());
            assert_eq!(attrs["data-dist-info-metadata"], wanted.as_str());
        }
    }
    match &file["yanked"] {
        Value::Bool(false) => assert!(attrs.get("data-yanked").is_none()),
        Value::String(reason) => assert_eq!(attrs["data-yanked"], reason.as_str()),
        other => assert_eq!(attrs["data-yanked"], "", "{other}"),
    }
    match &file["provenance"] {
        Value::Null => assert!(attrs.get("data-provenance").is_none()),
        url => {
            assert_eq!(attrs["data-provenance"], *url);
            assert!(dir.join(url.as_str().unwrap()).is_file());
        }
    }
}

/// `python3 -m http.server` on 127.0.0.1 over a folder; its access log
/// goes to a file. Killed when dropped.
struct StaticServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl StaticServer {
    fn start(root: &Path, log: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            log: log.to_path_buf(),
        }
    }

    fn index_url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    /// The paths requested so far, in order.
    fn requested(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter_map(|line| line.split("\"GET ").nth(1)?.split(' ').next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// pip with no configuration or environment of the machine's.
pub(crate) fn pip(args: &[&str]) -> Output {
    Command::new(oracle_tool("CHIRON_TEST_PIP", "pip"))
        .args([
            "--isolated",
            "--disable-pip-version-check",
            "--no-cache-dir",
        ])
        .args(args)
        .output()
        .unwrap()
}

/// pip installing wheels only of `requirement` from `index_url` into
/// `target`.
pub(crate) fn pip_install(index_url: &str, target: &Path, requirement: &str) -> Output {
    pip_install_args(index_url, target, &[requirement])
}

/// pip installs alpha 1.0 and beta 1.0 from `index_url` into `target` with
/// `--require-hashes`, pinned to the hashes of the folder's own files.
pub(crate) fn pip_install_pinned(folder: &Folder, index_url: &str, target: &Path) -> Output {
    let pins = folder.dir.with_file_name("pins.txt");
    let text = format!(
        "alpha==1.0 --hash=sha256:{}\nbeta==1.0 --hash=sha256:{}\n",
        sha256_hex(folder.bytes("alpha-1.0-py3-none-any.whl")),
        sha256_hex(folder.bytes("beta-1.0-py3-none-any.whl")),
    );
    std::fs::write(&pins, text).unwrap();
    let pins = pins.to_str().unwrap();
    pip_install_args(index_url, target, &["--require-hashes", "-r", pins])
}

/// `pip install` of wheels only from `index_url` into `target`, then `rest`.
fn pip_install_args(index_url: &str, target: &Path, rest: &[&str]) -> Output {
    let mut args = vec![
        "install",
        "--only-binary",
        ":all:",
        "--index-url",
        index_url,
        "--target",
        target.to_str().unwrap(),
    ];
    args.extend_from_slice(rest);
    pip(&args)
}

pub(crate) fn uv(home: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(oracle_tool("CHIRON_TEST_UV", "uv"));
    for (key, _) in std::env::vars() {
        if key.starts_with("UV_") || key.starts_with("PIP_") {
            command.env_remove(key);
        }
    }
    command
        .env("UV_CACHE_DIR", home.join("uv-cache"))
        .env("UV_NO_CONFIG", "1")
        .env("UV_PYTHON_DOWNLOADS", "never")
        .args(args)
        .output()
        .unwrap()
}

fn exported_site(home: &Path) -> (Folder, PathBuf) {
    let folder = folder(&home.join("dists"));
    let cache = home.join("cache");
    let (index, _) = read(&open_folder(&folder.dir, &cache), &cache);
    let out = home.join("site");
    export_static(&index, &out).unwrap();
    (folder, out)
}

#[test]
fn pip_installs_from_the_export_with_hashes_requires_python_and_yanks() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (folder, site) = exported_site(h);
    let server = StaticServer::start(&site, &h.join("access.log"));
    let url = server.index_url();

    // --require-hashes against the hashes of the files themselves.
    let pinned = h.join("pinned");
    let output = pip_install_pinned(&folder, &url, &pinned);
    assert!(output.status.success(), "{}", everything(&output));
    assert!(pinned.join("alpha-1.0.dist-info").is_dir());
    assert!(pinned.join("beta/__init__.py").is_file());

    // Unpinned: 2.0 needs Python 4 (said only in its METADATA), 3.0 is
    // yanked, so pip takes 1.0.
    let latest = h.join("latest");
    let output = pip(&[
        "install",
        "--only-binary",
        ":all:",
        "--index-url",
        &url,
        "--target",
        latest.to_str().unwrap(),
        "alpha",
    ]);
    assert!(output.status.success(), "{}", everything(&output));
    assert!(
        latest.join("alpha-1.0.dist-info").is_dir(),
        "{}",
        everything(&output)
    );

    // Pinned to the yanked release: allowed, with the reason (PEP 592).
    let output = pip(&[
        "install",
        "--no-deps",
        "--index-url",
        &url,
        "--target",
        h.join("yanked").to_str().unwrap(),
        "alpha==3.0",
    ]);
    assert!(output.status.success(), "{}", everything(&output));
    assert!(
        everything(&output).contains("broken build"),
        "{}",
        everything(&output)
    );

    // pip download: the wheel, byte for byte.
    let downloads = h.join("downloads");
    let output = pip(&[
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--index-url",
        &url,
        "-d",
        downloads.to_str().unwrap(),
        "alpha",
    ]);
    assert!(output.status.success(), "{}", everything(&output));
    assert_eq!(
        std::fs::read(downloads.join("alpha-1.0-py3-none-any.whl")).unwrap(),
        folder.bytes("alpha-1.0-py3-none-any.whl")
    );
}

#[test]
fn uv_resolves_from_metadata_files_and_installs_from_the_export() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (_, site) = exported_site(h);
    let server = StaticServer::start(&site, &h.join("access.log"));
    let url = server.index_url();
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");

    // Resolution only: the metadata files, never a wheel.
    std::fs::write(h.join("in.txt"), "alpha\n").unwrap();
    let output = uv(
        h,
        &[
            "pip",
            "compile",
            "--index-url",
            &url,
            "--python",
            python.to_str().unwrap(),
            "--no-header",
            h.join("in.txt").to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", everything(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("alpha==1.0") && stdout.contains("beta==1.0"),
        "{stdout}"
    );
    let fetched = server.requested();
    for metadata in [
        "/simple/alpha/alpha-1.0-py3-none-any.whl.metadata",
        "/simple/beta/beta-1.0-py3-none-any.whl.metadata",
    ] {
        assert!(fetched.iter().any(|p| p == metadata), "{fetched:?}");
    }
    let wheels: Vec<&String> = fetched.iter().filter(|p| p.ends_with(".whl")).collect();
    assert!(
        wheels.is_empty(),
        "resolution downloaded wheels: {wheels:?}"
    );

    // Install into a fresh venv.
    uv_installs_alpha_and_beta(h, &url, &python);
}

pub(crate) const PASSWORD: &str = "correct horse battery staple";

fn public_key(path: &Path) -> chiron::sign::PublicKey {
    chiron::sign::PublicKey::from_pem(&std::fs::read_to_string(path).unwrap(), "key").unwrap()
}

#[test]
fn a_bundle_is_served_verified_unpacked_once_and_installs() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index =
        crate::support::app_lib_wheelhouse(h, &["--python", "3.12", "--platform", "linux-x86_64"]);
    for prefix in ["cosign", "other"] {
        chiron(h)
            .current_dir(h)
            .env("CHIRON_PASSWORD", PASSWORD)
            .args(["keys", "generate", "--output-key-prefix", prefix])
            .assert()
            .success();
    }
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args([
            "airgap",
            "build",
            "wh",
            "-o",
            "offline.tar.gz",
            "--key",
            "cosign.key",
        ])
        .assert()
        .success();
    let cache = h.join("cache");
    let spec = SourceSpec::parse(h.join("offline.tar.gz").to_str().unwrap());

    // No key and no explicit --no-verify: refused. The wrong key: refused.
    let error = open_source(&spec, None, &cache).unwrap_err();
    assert!(matches!(error, ServeError::NoTrust { .. }), "{error}");
    let other = public_key(&h.join("other.pub"));
    let error = open_source(&spec, Some(BundleTrust::Key(&other)), &cache).unwrap_err();
    assert!(matches!(error, ServeError::Unverified { .. }), "{error}");

    let key = public_key(&h.join("cosign.pub"));
    let source = open_source(&spec, Some(BundleTrust::Key(&key)), &cache).unwrap();
    assert_eq!(source.name, "offline");
    let SourceKind::Bundle { sha256, verified } = &source.kind else {
        panic!("{:?}", source.kind);
    };
    assert!(verified);
    let unpacked = chiron::serve::source::bundle_cache_dir(&cache, sha256);
    assert_eq!(source.dist_dir, unpacked.join("wheels"));
    let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let first = inode(&unpacked);
    let again = open_source(&spec, Some(BundleTrust::Unverified), &cache).unwrap();
    assert_eq!(inode(&unpacked), first, "unpacked once");
    assert!(matches!(
        again.kind,
        SourceKind::Bundle {
            verified: false,
            ..
        }
    ));

    // Hashes and sizes are the manifest's, which chiron verify checked.
    let (index, skipped) = read(&source, &cache);
    assert!(skipped.is_empty(), "{skipped:?}");
    let manifest = source.manifest.as_ref().unwrap();
    let served: Vec<(String, String, u64)> = index
        .projects
        .values()
        .flat_map(|p| &p.files)
        .map(|f| (f.filename.clone(), f.sha256.to_string(), f.size))
        .collect();
    let recorded: Vec<(String, String, u64)> = manifest
        .files
        .iter()
        .map(|f| (f.filename.clone(), f.sha256_text(), f.size))
        .collect();
    assert_eq!(served, recorded);

    // Its export installs into a fresh venv with nothing but 127.0.0.1.
    let site = h.join("site");
    export_static(&index, &site).unwrap();
    let server = StaticServer::start(&site, &h.join("access.log"));
    let target = h.join("target");
    let output = pip_install(&server.index_url(), &target, "app");
    assert!(output.status.success(), "{}", everything(&output));
    assert!(target.join("app-1.0.dist-info").is_dir() && target.join("lib-2.0.dist-info").is_dir());
}

#[test]
fn a_wheelhouse_file_changed_since_its_manifest_is_skipped_and_exports_stay_out_of_sources() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index =
        crate::support::app_lib_wheelhouse(h, &["--python", "3.12", "--platform", "linux-x86_64"]);
    let wh = h.join("wh");
    let source = open_folder(&wh, &h.join("cache"));
    assert_eq!(source.kind, SourceKind::Wheelhouse);
    let lib = std::fs::read_dir(&wh)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("lib-2.0"))
        .unwrap();
    // Another lib 2.0, rebuilt with a dependency more: a valid wheel of
    // another size than the manifest records.
    let (_, rebuilt, _) = build_wheel(&WheelSpec {
        requires_dist: &["six"],
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    std::fs::write(&lib, rebuilt).unwrap();
    let (index, skipped) = read(&source, &h.join("cache"));
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].path, lib);
    assert!(
        skipped[0].reason.contains("manifest.json says"),
        "{}",
        skipped[0].reason
    );
    assert_eq!(index.projects.len(), 1);

    for output in [wh.clone(), wh.join("site"), h.to_path_buf()] {
        let error = export_static(&index, &output).unwrap_err();
        assert!(
            matches!(error, ServeError::OutputOverlaps { .. }),
            "{error}"
        );
    }
    assert!(
        wh.join("manifest.json").is_file(),
        "the wheelhouse is untouched"
    );
}

/// nginx on 127.0.0.1 running the configuration block of docs/serve.md,
/// with only its port and root replaced: one process (no master, so no
/// worker outlives it), killed when dropped.
pub(crate) struct Nginx {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Nginx {
    pub(crate) fn start(site: &Path, prefix: &Path) -> Self {
        let doc =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/serve.md"))
                .unwrap();
        let block = doc
            .split("```nginx\n")
            .nth(1)
            .and_then(|rest| rest.split("\n```").next())
            .expect("docs/serve.md has an nginx block");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(block.contains("listen 8080;") && block.contains("root /srv/pypi/site;"));
        let block = block
            .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
            .replace("root /srv/pypi/site;", &format!("root {};", site.display()));
        std::fs::create_dir_all(prefix.join("tmp")).unwrap();
        let p = prefix.display();
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\n\
events {{}}\nhttp {{\n  access_log {p}/access.log;\n  client_body_temp_path {p}/tmp/body;\n\
  proxy_temp_path {p}/tmp/proxy;\n  fastcgi_temp_path {p}/tmp/fastcgi;\n\
  uwsgi_temp_path {p}/tmp/uwsgi;\n  scgi_temp_path {p}/tmp/scgi;\n{block}\n}}\n"
        );
        std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let child = Command::new(oracle_tool("CHIRON_TEST_NGINX", "nginx"))
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .arg("-e")
            .arg(prefix.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            port,
            log: prefix.join("access.log"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let errors = std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "nginx did not start: {errors}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub(crate) fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// GET `path` with `accept`: the status line, the headers (names in
    /// lower case) and the body.
    fn get(&self, path: &str, accept: Option<&str>) -> (String, BTreeMap<String, String>, Vec<u8>) {
        use std::io::Read;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let accept = accept
            .map(|a| format!("Accept: {a}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{accept}\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines.next().unwrap_or_default().to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, answer[split + 4..].to_vec())
    }

    fn requested(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split("\"GET ").nth(1)?.split(' ').next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn nginx_configured_as_docs_serve_md_says_serves_json_to_pep_691_clients() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (folder, site) = exported_site(h);
    let nginx = Nginx::start(&site, &h.join("nginx"));
    let pip_accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
    for path in ["/simple/", "/simple/alpha/", "/simple/beta/"] {
        let dir = site.join(path.trim_start_matches('/'));
        for (accept, page, content_type) in [
            (None, "index.html", "text/html; charset=utf-8"),
            (Some("text/html"), "index.html", "text/html; charset=utf-8"),
            (
                Some(pip_accept),
                "index.json",
                "application/vnd.pypi.simple.v1+json",
            ),
        ] {
            let (status, headers, body) = nginx.get(path, accept);
            assert!(status.contains(" 200 "), "{path} {accept:?}: {status}");
            assert_eq!(headers["content-type"], content_type, "{path} {accept:?}");
            assert_eq!(headers.get("vary").map(String::as_str), Some("Accept"));
            assert_eq!(
                body,
                std::fs::read(dir.join(page)).unwrap(),
                "{path} {accept:?}"
            );
        }
    }
    let (status, _, body) = nginx.get("/simple/beta/beta-1.0-py3-none-any.whl.metadata", None);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, BETA_METADATA.as_bytes());

    // uv reads the JSON pages through nginx and resolves from the
    // metadata files alone; pip installs with hashes.
    let url = format!("http://127.0.0.1:{}/simple/", nginx.port);
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    std::fs::write(h.join("in.txt"), "alpha\n").unwrap();
    let output = uv(
        h,
        &[
            "pip",
            "compile",
            "--index-url",
            &url,
            "--python",
            python.to_str().unwrap(),
            "--no-header",
            h.join("in.txt").to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", everything(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("alpha==1.0") && stdout.contains("beta==1.0"),
        "{stdout}"
    );
    let fetched = nginx.requested();
    assert!(
        fetched
            .iter()
            .any(|p| p == "/simple/alpha/alpha-1.0-py3-none-any.whl.metadata"),
        "{fetched:?}"
    );
    assert!(!fetched.iter().any(|p| p.ends_with(".whl")), "{fetched:?}");

    let target = h.join("target");
    let output = pip_install_pinned(&folder, &url, &target);
    assert!(output.status.success(), "{}", everything(&output));
    assert!(
        target.join("alpha-1.0.dist-info").is_dir() && target.join("beta-1.0.dist-info").is_dir()
    );
}

/// uv installs `alpha` (and its dependency `beta`) from `url` into a fresh
/// venv of `python` in `home`, and both import at 1.0.
pub(crate) fn uv_installs_alpha_and_beta(home: &Path, url: &str, python: &Path) {
    let venv = home.join("venv");
    let output = uv(
        home,
        &[
            "venv",
            venv.to_str().unwrap(),
            "--python",
            python.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", everything(&output));
    let output = uv(
        home,
        &[
            "pip",
            "install",
            "--index-url",
            url,
            "--python",
            venv.join("bin/python").to_str().unwrap(),
            "alpha",
        ],
    );
    assert!(output.status.success(), "{}", everything(&output));
    let imported = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import alpha, beta; print(alpha.VERSION, beta.VERSION)",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "1.0 1.0");
}
