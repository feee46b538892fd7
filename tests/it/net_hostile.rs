//! A hostile or unwell index, on 127.0.0.1: pages that link to local files,
//! redirects to other schemes, pages too large to hold, rate limits with
//! `Retry-After`, stalls that exhaust every retry, the same index named
//! twice, and an ambient `PIP_FIND_LINKS` that must not leak into manifests.

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::index::{Fault, PageFormat, TestIndex, WheelSpec, build_wheel, sha256_hex};
use crate::support::{HttpServer, Response, chiron, write_files};
use chiron::index::client::{ClientSettings, IndexClient, IndexError};
use pep508_rs::PackageName;
use serde_json::Value;

const TARGET: [&str; 4] = ["--python", "3.12", "--platform", "linux-x86_64"];

fn client_with(settings: impl FnOnce(&mut ClientSettings), cache: &Path) -> IndexClient {
    let mut base = ClientSettings::new(vec![], cache.to_path_buf());
    base.netrc = None;
    base.backoff = Duration::from_millis(1);
    settings(&mut base);
    IndexClient::new(base).unwrap()
}

fn name(text: &str) -> PackageName {
    PackageName::from_str(text).unwrap()
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// A server that answers every request with `head` then `body` and closes
/// the connection: no Content-Length, so only counting what arrives can
/// bound it.
fn close_delimited_server(head: &'static str, body: Vec<u8>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let body = Arc::new(body);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = Arc::clone(&body);
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let mut stream = stream;
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
                let _ = stream.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (port, served)
}

// --- Item 3: an index page cannot make chiron read local files ---------

/// The page of `evil` lists 0.9 over http, and two newer "releases" as
/// `file:` links: 1.0 a real wheel on this machine with its sha256, 1.1 a
/// FIFO without a hash (opening it for reading would hang chiron).
#[cfg(unix)]
/// `http://localhost/PATH` is a web address like any other: `Url::to_file_path`
/// alone would take it for the local file PATH (it does not check the
/// scheme), and the outside review found chiron copying that file.
#[test]
fn an_http_link_to_localhost_is_fetched_over_http_not_read_from_disk() {
    let home = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (real_name, real_bytes, _) = build_wheel(&WheelSpec::new("evil", "1.0", "py3-none-any"));
    let real = local.path().join(&real_name);
    std::fs::write(&real, &real_bytes).unwrap();
    let hash = sha256_hex(&real_bytes);
    let listed = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let page_link = listed.clone();
    let server = HttpServer::start(move |request| {
        if request.path.starts_with("/simple/evil/") {
            Response::new(200, "text/html", page_link.lock().unwrap().clone())
        } else {
            Response::new(404, "text/plain", "no")
        }
    });
    let port = server
        .url("/")
        .split(':')
        .nth(2)
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    *listed.lock().unwrap() = format!(
        "<html><a href=\"http://localhost:{port}{}#sha256={hash}\">{real_name}</a></html>",
        real.display()
    );
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", server.url("/simple"))
        .args(["wheelhouse", "evil", "--out", "wh"])
        .args(TARGET)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!home.path().join("wh").exists(), "{stderr}");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == real.display().to_string()),
        "the file was asked for over HTTP"
    );
}

#[test]
fn file_links_on_an_http_index_are_never_followed() {
    let home = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (real_name, real_bytes, _) = build_wheel(&WheelSpec::new("evil", "1.0", "py3-none-any"));
    let real = local.path().join(&real_name);
    std::fs::write(&real, &real_bytes).unwrap();
    let fifo = local.path().join("evil-1.1-py3-none-any.whl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (good_name, good_bytes, _) = build_wheel(&WheelSpec::new("evil", "0.9", "py3-none-any"));
    let page = format!(
        "<html><body>\n\
         <a href=\"/files/{good_name}#sha256={}\">{good_name}</a>\n\
         <a href=\"file://{}#sha256={}\">{real_name}</a>\n\
         <a href=\"file://{}\">evil-1.1-py3-none-any.whl</a>\n\
         </body></html>\n",
        sha256_hex(&good_bytes),
        real.display(),
        sha256_hex(&real_bytes),
        fifo.display(),
    );
    let server = HttpServer::start(move |request| {
        if request.path.starts_with("/simple/evil/") {
            Response::new(200, "text/html", page.clone())
        } else if request.path == format!("/files/{good_name}") {
            Response::new(200, "application/octet-stream", good_bytes.clone())
        } else {
            Response::new(404, "text/plain", "no")
        }
    });
    // `wheelhouse` resolves and downloads; `manage download
    // --allow-unhashed` takes files without a listed hash.
    let runs: [(&str, &[&str]); 2] = [
        (
            "wheelhouse",
            &["wheelhouse", "evil", "--out", "wh-wheelhouse"],
        ),
        (
            "download",
            &[
                "manage",
                "download",
                "evil",
                "--no-deps",
                "--allow-unhashed",
                "--dest",
                "wh-download",
            ],
        ),
    ];
    for (run, args) in runs {
        let output = chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", server.url("/simple"))
            .args(args)
            .args(TARGET)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{run}: {stderr}");
        assert!(
            stderr.contains("skipping the link") && stderr.contains(&real_name),
            "{run}: the skipped link is named: {stderr}"
        );
        let wheelhouse = home.path().join(format!("wh-{run}"));
        let mut names: Vec<String> = std::fs::read_dir(&wheelhouse)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".whl"))
            .collect();
        names.sort();
        assert_eq!(names, ["evil-0.9-py3-none-any.whl"], "{run}");
        let sums = std::fs::read_to_string(wheelhouse.join("SHA256SUMS")).unwrap();
        assert_eq!(sums.lines().count(), 1, "{run}: {sums}");
        if run == "wheelhouse" {
            let files = manifest(&wheelhouse)["files"].clone();
            assert_eq!(files.as_array().unwrap().len(), 1, "{files:#}");
            assert!(
                files[0]["url"]
                    .as_str()
                    .unwrap()
                    .starts_with("http://127.0.0.1:"),
                "{files:#}"
            );
        }
    }
    // Not one byte of the local wheel reached the content-addressed cache.
    let blob = home
        .path()
        .join("cache/chiron/files-v1")
        .join(&sha256_hex(&real_bytes)[..2])
        .join(sha256_hex(&real_bytes));
    assert!(!blob.exists(), "{} was cached", blob.display());
}

/// Local files still come from the --find-links folders the user names.
#[test]
fn find_links_folders_are_still_read() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("vendor");
    std::fs::create_dir(&folder).unwrap();
    let (filename, bytes, _) = build_wheel(&WheelSpec::new("local-only", "1.0", "py3-none-any"));
    std::fs::write(folder.join(&filename), bytes).unwrap();
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["wheelhouse", "local-only", "--out", "wh", "--no-index"])
        .args(["--find-links", "vendor"])
        .args(TARGET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(home.path().join("wh").join(&filename).is_file());
}

// --- Redirects -----------------------------------------------------------

fn redirecting_to(location: String) -> HttpServer {
    HttpServer::start(move |request| {
        if request.path.starts_with("/simple/") {
            let mut response = Response::new(302, "text/plain", "moved");
            response.headers.push(("Location".into(), location.clone()));
            response
        } else {
            Response::new(404, "text/plain", "no")
        }
    })
}

#[tokio::test]
async fn redirects_to_other_schemes_or_hosts_are_refused_and_not_retried() {
    let cache = tempfile::tempdir().unwrap();
    let secret = tempfile::NamedTempFile::new().unwrap();
    let cases = [
        (format!("file://{}", secret.path().display()), "file:"),
        ("ftp://127.0.0.1/simple/demo/".to_string(), "ftp:"),
        (
            "http://index.example.invalid/simple/demo/".to_string(),
            "not trusted",
        ),
    ];
    for (location, says) in cases {
        let server = redirecting_to(location.clone());
        let client = client_with(|s| s.index_urls = vec![server.url("/simple")], cache.path());
        let error = client.project_files(&name("demo")).await.unwrap_err();
        assert!(
            matches!(error, IndexError::Redirect { .. }),
            "{location}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("refusing the redirect") && message.contains(says),
            "{location}: {message}"
        );
        assert!(error.hint().is_some());
        // A refusal is final: asked once, not four times.
        assert_eq!(server.requests().len(), 1, "{location}");
    }
}

#[tokio::test]
async fn redirects_to_a_loopback_index_are_followed() {
    let cache = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    let file = index.add(&WheelSpec::new("demo", "1.0", "py3-none-any"));
    let moved = redirecting_to(format!(
        "http://localhost:{}/simple/demo/",
        index.server.port
    ));
    let client = client_with(|s| s.index_urls = vec![moved.url("/simple")], cache.path());
    let files = client.project_files(&name("demo")).await.unwrap();
    assert_eq!(files.len(), 1);
    // Relative links resolve against where the page really came from.
    assert_eq!(
        files[0].url,
        format!(
            "http://localhost:{}/files/{}",
            index.server.port, file.filename
        )
    );
}

// --- Bounded pages ---------------------------------------------------------

fn big_page(links: usize) -> String {
    let mut page = String::from("<html><body>\n");
    for i in 0..links {
        page.push_str(&format!(
            "<a href=\"/files/big-0.{i}-py3-none-any.whl\">big-0.{i}-py3-none-any.whl</a>\n"
        ));
    }
    page
}

#[tokio::test]
async fn a_page_over_the_limit_is_refused_and_not_cached() {
    let cache = tempfile::tempdir().unwrap();
    let page = big_page(20_000);
    assert!(page.len() > 1024 * 1024);
    // With a Content-Length (refused before reading) and without one
    // (refused while streaming).
    let sized = HttpServer::start(move |_| Response::new(200, "text/html", page.clone()));
    let (port, _) = close_delimited_server(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
        big_page(20_000).into_bytes(),
    );
    for url in [
        sized.url("/simple"),
        format!("http://127.0.0.1:{port}/simple"),
    ] {
        let client = client_with(
            |s| {
                s.index_urls = vec![url.clone()];
                s.max_page_bytes = 1024 * 1024;
            },
            cache.path(),
        );
        let error = client.project_files(&name("big")).await.unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, IndexError::TooLarge { .. })
                && message.contains(&format!("{url}/big/"))
                && message.contains("1048576"),
            "{message}"
        );
        assert!(error.hint().unwrap().contains("max-page-bytes"));
    }
    let cached = cache.path().join("http-v1");
    let entries = std::fs::read_dir(&cached).map(|d| d.count()).unwrap_or(0);
    assert_eq!(entries, 0, "a refused page was cached");
    // The same page under the default limit is read.
    let client = client_with(
        |s| s.index_urls = vec![format!("http://127.0.0.1:{port}/simple")],
        cache.path(),
    );
    assert_eq!(
        client.project_files(&name("big")).await.unwrap().len(),
        20_000
    );
}

#[test]
fn max_page_bytes_is_read_from_chiron_toml() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Html, false);
    for i in 0..40 {
        index.add(&WheelSpec::new("wide", &format!("1.{i}"), "py3-none-any"));
    }
    write_files(
        home.path(),
        &[("chiron.toml", "[index]\nmax-page-bytes = 1000\n")],
    );
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "wide", "--out", "wh"])
        .args(TARGET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{}/wide/", index.url()))
            && stderr.contains("larger than the limit of 1000 bytes")
            && stderr.contains("max-page-bytes"),
        "{stderr}"
    );
    assert!(!home.path().join("wh").exists());
}

#[tokio::test]
async fn metadata_files_are_capped() {
    let cache = tempfile::tempdir().unwrap();
    let mut body = b"Metadata-Version: 2.1\nName: fat\nVersion: 1.0\n".to_vec();
    body.resize(17 * 1024 * 1024, b'x');
    let (port, _) = close_delimited_server(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
        body,
    );
    let client = client_with(|_| {}, cache.path());
    let file = chiron::index::simple::IndexFile {
        filename: "fat-1.0-py3-none-any.whl".into(),
        url: format!("http://127.0.0.1:{port}/files/fat-1.0-py3-none-any.whl"),
        hashes: Default::default(),
        requires_python: None,
        yanked: None,
        metadata: Some(Default::default()),
        size: None,
        upload_time: None,
        source: "test".into(),
    };
    let error = client.file_metadata(&file).await.unwrap_err();
    assert!(
        matches!(
            error,
            IndexError::TooLarge {
                what: "metadata file",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains(".whl.metadata"), "{error}");
}

#[tokio::test]
async fn range_responses_are_capped() {
    let cache = tempfile::tempdir().unwrap();
    let (port, served) = close_delimited_server(
        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-65535/65536\r\nConnection: close\r\n\r\n",
        vec![b'P'; 17 * 1024 * 1024],
    );
    let client = client_with(|_| {}, cache.path());
    let file = chiron::index::simple::IndexFile {
        filename: "wide-1.0-py3-none-any.whl".into(),
        url: format!("http://127.0.0.1:{port}/files/wide-1.0-py3-none-any.whl"),
        hashes: Default::default(),
        requires_python: None,
        yanked: None,
        metadata: None,
        size: None,
        upload_time: None,
        source: "test".into(),
    };
    let error = client.wheel_metadata_by_range(&file).await.unwrap_err();
    assert!(
        matches!(error, IndexError::TooLarge { what: "range response", limit, .. } if limit == 16 * 1024 * 1024),
        "{error:?}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1, "not retried");
}

// --- Retries: the real count, one layer, Retry-After ----------------------

#[tokio::test]
async fn stalls_report_every_attempt_made_and_retry_once_per_attempt() {
    let cache = tempfile::tempdir().unwrap();
    let dest = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    let file = index.add(&WheelSpec::new("slow", "1.0", "py3-none-any"));
    index.fault(&file.filename, Fault::Stall(Duration::from_secs(5)));
    let client = client_with(
        |s| {
            s.index_urls = vec![index.url()];
            s.timeout = Duration::from_secs(1);
            s.retries = 3;
        },
        cache.path(),
    );
    let files = client.project_files(&name("slow")).await.unwrap();
    let error = client
        .download(&files[0], dest.path(), false)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("after 4 attempt(s)"), "{message}");
    assert_eq!(index.downloads(&file.filename), 4, "one retry layer");
    // Nothing is left behind in the destination.
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    // A page that stalls half-way is retried as well, and counted.
    let stalling = HttpServer::start(|_| {
        let mut response = Response::new(200, "text/html", "<a href=\"x-1.0.tar.gz\">x</a>");
        response.stall = Some(Duration::from_secs(5));
        response
    });
    let client = client_with(
        |s| {
            s.index_urls = vec![stalling.url("/simple")];
            s.timeout = Duration::from_secs(1);
            s.retries = 2;
        },
        cache.path(),
    );
    let message = client
        .project_files(&name("x"))
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("after 3 attempt(s)"), "{message}");
    assert_eq!(stalling.requests().len(), 3);
}

#[tokio::test]
async fn refused_connections_report_every_attempt() {
    let cache = tempfile::tempdir().unwrap();
    let client = client_with(
        |s| {
            s.index_urls = vec![support::closed_port_url("/simple")];
            s.retries = 3;
        },
        cache.path(),
    );
    let message = client
        .project_files(&name("x"))
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("after 4 attempt(s)"), "{message}");
}

/// An index that answers `status` with `Retry-After: <value>` to the first
/// request, then serves an empty JSON page.
fn throttling(status: u16, value: String) -> HttpServer {
    let asked = AtomicUsize::new(0);
    HttpServer::start(move |_| {
        if asked.fetch_add(1, Ordering::SeqCst) == 0 {
            let mut response = Response::new(status, "text/plain", "slow down");
            response.headers.push(("Retry-After".into(), value.clone()));
            response
        } else {
            Response::new(
                200,
                "application/vnd.pypi.simple.v1+json",
                r#"{"meta":{"api-version":"1.1"},"name":"x","files":[{"filename":"x-1.0.tar.gz","url":"x-1.0.tar.gz","hashes":{}}]}"#,
            )
        }
    })
}

#[tokio::test]
async fn retry_after_sets_the_wait() {
    let cache = tempfile::tempdir().unwrap();
    let in_three_seconds =
        || httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    for (status, date, at_least) in [
        (429, false, Duration::from_secs(2)),
        (503, false, Duration::from_secs(2)),
        // An HTTP date has whole seconds: at least 2 s of the 3 remain.
        (429, true, Duration::from_secs(2)),
    ] {
        let value = if date {
            in_three_seconds()
        } else {
            "2".to_string()
        };
        let server = throttling(status, value.clone());
        let client = client_with(|s| s.index_urls = vec![server.url("/simple")], cache.path());
        let started = Instant::now();
        let files = client.project_files(&name("x")).await.unwrap();
        let waited = started.elapsed();
        assert_eq!(files.len(), 1);
        assert_eq!(server.requests().len(), 2);
        // The backoff alone would be 1 ms.
        assert!(waited >= at_least, "{status} {value}: waited {waited:?}");
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_an_error_at_once() {
    let cache = tempfile::tempdir().unwrap();
    let server = throttling(429, "3600".into());
    let client = client_with(|s| s.index_urls = vec![server.url("/simple")], cache.path());
    let started = Instant::now();
    let error = client.project_files(&name("x")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = error.to_string();
    assert!(
        matches!(error, IndexError::RetryAfterTooLong { seconds: 3600, .. })
            && message.contains("HTTP 429")
            && message.contains("3600 s")
            && message.contains("60 s"),
        "{message}"
    );
    assert!(error.hint().unwrap().contains("retry later"));
    assert_eq!(server.requests().len(), 1);
}

// --- The same index named twice is one index ------------------------------

#[test]
fn the_same_index_as_index_url_and_extra_index_url_is_one_index() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("twice", "1.0", "py3-none-any"));
    let url = index.url();
    let spellings = [
        url.clone(),
        format!("{url}/"),
        url.replacen("http://", "HTTP://", 1),
    ];
    for (run, extra) in spellings.iter().enumerate() {
        let out = format!("wh{run}");
        let output = chiron(home.path())
            .current_dir(home.path())
            .args(["wheelhouse", "twice", "--out", &out, "-i", &url])
            .args(["--extra-index-url", extra])
            .args(TARGET)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{extra}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let indexes = manifest(&home.path().join(&out))["inputs"]["indexes"].clone();
        assert_eq!(indexes, serde_json::json!([url]), "{extra}");
    }
}

// --- An ambient PIP_FIND_LINKS is no input unless it supplied a file -------

#[test]
fn an_ambient_find_links_is_recorded_only_when_it_supplied_a_file() {
    let home = tempfile::tempdir().unwrap();
    let ambient = home.path().join("ambient-wheels");
    std::fs::create_dir(&ambient).unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("plain", "1.0", "py3-none-any"));
    let run = |out: &str, package: &str| {
        let output = chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", index.url())
            .env("PIP_FIND_LINKS", &ambient)
            .args(["wheelhouse", package, "--out", out])
            .args(TARGET)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        manifest(&home.path().join(out))
    };
    // The folder supplies nothing for `plain`: not in the manifest.
    let manifest_plain = run("wh-plain", "plain");
    assert_eq!(
        manifest_plain["inputs"]["find_links"],
        serde_json::json!([])
    );
    let text = std::fs::read_to_string(home.path().join("wh-plain/manifest.json")).unwrap();
    assert!(!text.contains("ambient-wheels"), "{text}");
    // Once it supplies a file, it is an input, named like the file's source.
    let (filename, bytes, _) = build_wheel(&WheelSpec::new("vendored", "2.0", "py3-none-any"));
    std::fs::write(ambient.join(&filename), bytes).unwrap();
    let manifest_vendored = run("wh-vendored", "vendored");
    let recorded = manifest_vendored["inputs"]["find_links"].clone();
    assert_eq!(recorded, serde_json::json!([ambient.display().to_string()]));
    assert_eq!(manifest_vendored["files"][0]["index"], recorded[0]);
}

/// `openssl s_server -HTTP` in `dir` (files there are whole HTTP
/// responses), with a throwaway self-signed certificate for 127.0.0.1.
fn tls_server(dir: &Path) -> (std::process::Child, u16) {
    use std::process::{Command, Stdio};
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args([
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed by .ci/test");
    assert!(made.success());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new("openssl")
        .args(["s_server", "-quiet", "-HTTP", "-cert", "cert.pem", "-key"])
        .args(["key.pem", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "openssl s_server did not start");
    (server, port)
}

/// From https, not even a loopback host chiron trusts may take the next
/// request to plain http.
#[tokio::test]
async fn an_https_index_cannot_redirect_down_to_http() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let plain = HttpServer::start(|_| Response::new(200, "text/plain", "Name: x\n"));
    let target = plain.url("/demo-1.0-py3-none-any.whl.metadata");
    std::fs::write(
        dir.path().join("demo-1.0-py3-none-any.whl.metadata"),
        format!("HTTP/1.0 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ok-1.0-py3-none-any.whl.metadata"),
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nMetadata-Version: 2.1\nName: ok\nVersion: 1.0\n",
    )
    .unwrap();
    let (mut server, port) = tls_server(dir.path());
    // Trusted: its certificate is not checked, and plain http to it is allowed.
    let client = client_with(|s| s.trusted_hosts = vec!["127.0.0.1".into()], cache.path());
    let file = |name: &str| chiron::index::simple::IndexFile {
        filename: format!("{name}-1.0-py3-none-any.whl"),
        url: format!("https://127.0.0.1:{port}/{name}-1.0-py3-none-any.whl"),
        hashes: Default::default(),
        requires_python: None,
        yanked: None,
        metadata: Some(Default::default()),
        size: None,
        upload_time: None,
        source: "test".into(),
    };
    // The server and the client speak TLS to each other.
    let metadata = client.file_metadata(&file("ok")).await;
    let error = client.file_metadata(&file("demo")).await.unwrap_err();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(metadata.unwrap().unwrap().version, "1.0");
    assert!(matches!(error, IndexError::Redirect { .. }), "{error:?}");
    assert!(
        error.to_string().contains("from https to plain http"),
        "{error}"
    );
    assert!(plain.requests().is_empty(), "the plain http URL was asked");
}

/// A find-links page on the web is held to the same rule as an index page.
#[tokio::test]
async fn a_find_links_page_cannot_link_local_files_either() {
    let cache = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (filename, bytes, _) = build_wheel(&WheelSpec::new("near", "1.0", "py3-none-any"));
    let path = local.path().join(&filename);
    std::fs::write(&path, bytes).unwrap();
    let page = format!("<a href=\"file://{}\">{filename}</a>", path.display());
    let server = HttpServer::start(move |_| Response::new(200, "text/html", page.clone()));
    let client = client_with(
        |s| s.find_links = vec![server.url("/links.html")],
        cache.path(),
    );
    let error = client.project_files(&name("near")).await.unwrap_err();
    assert!(matches!(error, IndexError::NotFound { .. }), "{error:?}");
}
