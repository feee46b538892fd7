//! `chiron serve` over HTTP (issue 16): the real binary on a free port of
//! 127.0.0.1. The oracles: pip (`--require-hashes`) and uv installing from
//! it, uv resolving from the PEP 658 files alone (chiron's access log shows
//! no wheel fetched), the static export's pages (the same bytes over
//! HTTP), the files' own bytes for ranges, flate2 for gzip, the exit status
//! after SIGTERM, and a loopback load test with zero errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::serve_static::{EPOCH, PASSWORD, everything, folder, pip_install_pinned, uv};
use crate::support::serve::{Reply, Server, get, request};
use crate::support::{HttpServer, chiron, oracle_tool};

/// `chiron serve dists --export-static site` in `home`, as a user runs it.
fn export_site(home: &Path) {
    chiron(home)
        .current_dir(home)
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["serve", "dists", "--export-static", "site"])
        .assert()
        .success();
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn pip_and_uv_install_from_chiron_serve_and_uv_resolves_from_metadata_alone() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let folder = folder(&h.join("dists"));
    // alpha 3.0 yanked by configuration; 2.0 needs Python 4 (said only in
    // its METADATA): resolvers take 1.0.
    std::fs::write(
        h.join("chiron.toml"),
        "[serve]\nyanked = { \"alpha==3.0\" = \"broken build\" }\n",
    )
    .unwrap();
    let server = Server::start(h, &["dists"]);
    let url = server.url();

    let pinned = h.join("pinned");
    let output = pip_install_pinned(&folder, &url, &pinned);
    assert!(output.status.success(), "{}", everything(&output));
    assert!(pinned.join("alpha-1.0.dist-info").is_dir());
    assert!(pinned.join("beta/__init__.py").is_file());

    // Resolution from the metadata files: no wheel is fetched.
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let before = server.accessed().len();
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
        "{}",
        everything(&output)
    );
    let resolved: Vec<(String, u16)> = server.accessed().split_off(before);
    for metadata in [
        "/simple/alpha/alpha-1.0-py3-none-any.whl.metadata",
        "/simple/beta/beta-1.0-py3-none-any.whl.metadata",
    ] {
        assert!(
            resolved.iter().any(|(p, s)| p == metadata && *s == 200),
            "{resolved:?}"
        );
    }
    let wheels: Vec<_> = resolved
        .iter()
        .filter(|(p, _)| p.ends_with(".whl"))
        .collect();
    assert!(wheels.is_empty(), "resolution fetched wheels: {wheels:?}");

    // uv installs into a fresh venv.
    crate::serve_static::uv_installs_alpha_and_beta(h, &url, &python);
    assert!(
        !server.stderr().iter().any(|l| l.contains("uthorization")),
        "credentials in the log"
    );
}

#[test]
fn pages_negotiate_revalidate_compress_and_files_serve_ranges_then_sigterm_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let folder = folder(&h.join("dists"));
    // The static export is the oracle for the pages' bytes.
    export_site(h);
    let site = h.join("site/simple");
    let server = Server::start(h, &["dists"]);
    let addr = server.addr.clone();
    let json = "application/vnd.pypi.simple.v1+json";

    assert_eq!(get(&addr, "/healthz", &[]).status, 200);
    let html = get(&addr, "/simple/alpha/", &[]);
    assert_eq!(html.status, 200);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        html.body,
        std::fs::read(site.join("alpha/index.html")).unwrap()
    );
    assert!(html.header("vary").unwrap().contains("Accept"));
    for (accept, query) in [
        (json, ""),
        ("text/html", "?format=application/vnd.pypi.simple.v1%2Bjson"),
        // A literal `+`, as links to PyPI write it.
        ("text/html", "?format=application/vnd.pypi.simple.v1+json"),
    ] {
        let reply = get(
            &addr,
            &format!("/simple/alpha/{query}"),
            &[("Accept", accept)],
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some(json));
        assert_eq!(
            reply.body,
            std::fs::read(site.join("alpha/index.json")).unwrap()
        );
    }
    let list = get(&addr, "/dists/simple/", &[("Accept", json)]);
    assert_eq!(list.body, std::fs::read(site.join("index.json")).unwrap());
    assert_eq!(
        get(&addr, "/simple/", &[("Accept", "image/png")]).status,
        406
    );

    // Non-normalised names move, permanently, to the normalised URL.
    let moved = get(&addr, "/simple/ALPHA/?format=text/html", &[]);
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        Some("/simple/alpha/?format=text/html")
    );
    assert_eq!(get(&addr, "/simple/alpha", &[]).status, 301);
    // No slash and not normalised: one redirect to the final URL.
    let once = get(&addr, "/dists/simple/ALPHA?x=1", &[]);
    assert_eq!(once.status, 301);
    assert_eq!(once.header("location"), Some("/dists/simple/alpha/?x=1"));
    assert_eq!(get(&addr, "/simple/nothing/", &[]).status, 404);

    // ETag and If-None-Match.
    let etag = html.header("etag").unwrap().to_string();
    let again = get(&addr, "/simple/alpha/", &[("If-None-Match", &etag)]);
    assert_eq!((again.status, again.body.len()), (304, 0));

    // gzip when accepted, the same page inside.
    let zipped = get(&addr, "/simple/alpha/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&zipped.body), html.body);

    // Files: whole, one range, a range past the end.
    let wheel = "alpha-1.0-py3-none-any.whl";
    let bytes = folder.bytes(wheel);
    let whole = get(&addr, &format!("/simple/alpha/{wheel}"), &[]);
    assert_eq!(whole.body, bytes);
    assert_eq!(
        whole.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let part = get(
        &addr,
        &format!("/simple/alpha/{wheel}"),
        &[("Range", "bytes=10-99")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &bytes[10..100]);
    let expected = format!("bytes 10-99/{}", bytes.len());
    assert_eq!(part.header("content-range"), Some(expected.as_str()));
    let tail = get(
        &addr,
        &format!("/simple/alpha/{wheel}"),
        &[("Range", "bytes=-7")],
    );
    assert_eq!(tail.body, &bytes[bytes.len() - 7..]);
    let past = format!("bytes={}-", bytes.len());
    let refused = get(
        &addr,
        &format!("/simple/alpha/{wheel}"),
        &[("Range", &past)],
    );
    assert_eq!(refused.status, 416);
    // If-Range: the file's own entity tag keeps the range; another tag,
    // or a date (files carry no Last-Modified), gets the whole file, as
    // nginx answers the same export.
    let etag = whole.header("etag").unwrap().to_string();
    for (if_range, status) in [
        (etag.as_str(), 206),
        ("\"zz\"", 200),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 200),
    ] {
        let answer = get(
            &addr,
            &format!("/simple/alpha/{wheel}"),
            &[("Range", "bytes=0-9"), ("If-Range", if_range)],
        );
        assert_eq!(answer.status, status, "If-Range: {if_range}");
        let expected: &[u8] = if status == 206 { &bytes[..10] } else { bytes };
        assert_eq!(answer.body, expected, "If-Range: {if_range}");
    }
    let metadata = get(&addr, &format!("/simple/alpha/{wheel}.metadata"), &[]);
    assert_eq!(
        metadata.body,
        std::fs::read(site.join(format!("alpha/{wheel}.metadata"))).unwrap()
    );
    let head = request(&addr, "HEAD", &format!("/simple/alpha/{wheel}"), &[]);
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(request(&addr, "POST", "/simple/", &[]).status, 405);

    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// The scale-out path of docs/serve.md: the static export of a folder,
/// served by nginx with the configuration the page gives, answers as
/// `chiron serve` on the same folder does — the same status, content type
/// and bytes for the project list and every project page (no Accept, HTML,
/// PEP 691 JSON, pip's own Accept), every metadata file, distribution and
/// provenance file — and pip installs the same files with
/// `--require-hashes` from both. (Not compared: ETag, Date, Server, and
/// `application/vnd.pypi.simple.v1+html`, which nginx answers as
/// `text/html`.)
#[test]
fn a_static_export_served_by_nginx_answers_as_chiron_serve_does() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let folder = folder(&h.join("dists"));
    export_site(h);
    let nginx = crate::serve_static::Nginx::start(&h.join("site"), &h.join("nginx"));
    let server = Server::start(h, &["dists"]);
    let servers = [server.addr.clone(), nginx.addr()];

    let pip_accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
    let mut compared = 0;
    for page in ["/simple/", "/simple/alpha/", "/simple/beta/"] {
        for accept in [None, Some("text/html"), Some(JSON_V1), Some(pip_accept)] {
            let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
            let [chiron, nginx] = servers.clone().map(|addr| get(&addr, page, &headers));
            assert_eq!(
                (chiron.status, nginx.status),
                (200, 200),
                "{page} {accept:?}"
            );
            assert_eq!(
                chiron.header("content-type"),
                nginx.header("content-type"),
                "{page} {accept:?}"
            );
            assert!(chiron.body == nginx.body, "{page} {accept:?}");
            for reply in [&chiron, &nginx] {
                let vary = reply.header("vary").unwrap_or_default();
                assert!(vary.contains("Accept"), "{page} {accept:?}: {vary}");
            }
            compared += 1;
        }
    }
    // Every file of every project page: distributions, metadata files,
    // provenance.
    for project in ["alpha", "beta"] {
        let dir = h.join("site/simple").join(project);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("index."))
            .collect();
        names.sort();
        assert!(names.iter().any(|n| n.ends_with(".metadata")), "{names:?}");
        for name in names {
            let path = format!("/simple/{project}/{name}");
            let [chiron, nginx] = servers.clone().map(|addr| get(&addr, &path, &[]));
            assert_eq!((chiron.status, nginx.status), (200, 200), "{path}");
            assert_eq!(
                chiron.header("content-type"),
                nginx.header("content-type"),
                "{path}"
            );
            assert!(chiron.body == nginx.body, "{path}");
            if name.ends_with(".whl") || name.ends_with(".tar.gz") {
                assert!(chiron.body == folder.bytes(&name), "{path}");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * 4 + 10);

    // pip, with hashes, from each: the same files installed.
    let installed = servers.clone().map(|addr| {
        let target = h.join(format!("target-{}", addr.replace([':', '.'], "-")));
        let output = pip_install_pinned(&folder, &format!("http://{addr}/simple/"), &target);
        assert!(output.status.success(), "{addr}: {}", everything(&output));
        let record =
            |dist: &str| std::fs::read_to_string(target.join(dist).join("RECORD")).unwrap();
        (record("alpha-1.0.dist-info"), record("beta-1.0.dist-info"))
    });
    assert_eq!(installed[0], installed[1]);
}

#[test]
fn traversal_and_odd_encodings_never_reach_a_file_outside_the_index() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    std::fs::write(h.join("secret.txt"), "TOP-SECRET\n").unwrap();
    let server = Server::start(h, &["dists"]);
    for target in [
        "/simple/../secret.txt",
        "/simple/alpha/../../secret.txt",
        "/simple/%2e%2e/secret.txt",
        "/simple/alpha/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/simple/alpha/..%2f..%2fsecret.txt",
        "/simple/alpha/..%5c..%5csecret.txt",
        "/simple/alpha/..\\..\\secret.txt",
        "/simple/alpha/secret.txt%00.whl",
        "/simple/alpha/%ff%fe",
        "/simple/alpha/%",
        "/dists/simple/alpha/%252e%252e%252fsecret.txt",
    ] {
        let reply = get(&server.addr, target, &[]);
        let leaked = String::from_utf8_lossy(&reply.body).contains("TOP-SECRET");
        assert!(!leaked, "{target}");
        assert!(
            matches!(reply.status, 400 | 404),
            "{target}: {}",
            reply.status
        );
    }
    // A request target past the limit.
    let long = format!("/simple/{}/", "a".repeat(10_000));
    assert_eq!(get(&server.addr, &long, &[]).status, 414);
}

#[test]
fn a_bundle_is_served_only_with_its_key_or_a_loud_no_verify() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index =
        crate::support::app_lib_wheelhouse(h, &["--python", "3.12", "--platform", "linux-x86_64"]);
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["keys", "generate", "--output-key-prefix", "cosign"])
        .assert()
        .success();
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

    let refused = chiron(h)
        .current_dir(h)
        .args(["serve", "offline.tar.gz", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", everything(&refused));
    assert!(
        everything(&refused).contains("--no-verify"),
        "{}",
        everything(&refused)
    );

    let loud = Server::start(h, &["offline.tar.gz", "--no-verify"]);
    assert!(
        loud.stderr()
            .iter()
            .any(|l| l.contains("WITHOUT verifying")),
        "{:?}",
        loud.stderr()
    );
    drop(loud);

    // The served bundle installs a fresh venv with its own pip, with
    // nothing but 127.0.0.1 reachable (every proxy a closed port).
    let server = Server::start(h, &["offline.tar.gz", "--key", "cosign.pub"]);
    let venv = h.join("venv");
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let made = Command::new(python)
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", everything(&made));
    let offline = |args: &[&str]| {
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "--disable-pip-version-check", "--no-cache-dir"])
            .args(args)
            .env_remove("PIP_INDEX_URL")
            .env_remove("PIP_EXTRA_INDEX_URL")
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("ALL_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", "127.0.0.1")
            .output()
            .unwrap()
    };
    let output = offline(&[
        "install",
        "--only-binary",
        ":all:",
        "--index-url",
        &server.url(),
        "app",
    ]);
    assert!(output.status.success(), "{}", everything(&output));
    let check = offline(&["check"]);
    assert!(check.status.success(), "{}", everything(&check));
    let versions = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "from importlib.metadata import version as v; print(v('app'), v('lib'))",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&versions.stdout).trim(), "1.0 2.0");
}

/// One kind of request in the load's mix, and the status it must get.
#[derive(Clone, Copy)]
enum Load {
    Get(&'static str, &'static str),
    Head(&'static str),
    /// A GET with `If-None-Match` naming the page's current ETag.
    Revalidate(&'static str, &'static str),
}

/// The mix: the project list, project pages in JSON and HTML, a metadata
/// file, files (GET and HEAD), and a conditional GET answered 304.
const LOAD_MIX: [Load; 8] = [
    Load::Get("/simple/", JSON_V1),
    Load::Get("/simple/alpha/", "text/html"),
    Load::Get("/simple/beta/", JSON_V1),
    Load::Get("/simple/alpha/alpha-1.0-py3-none-any.whl.metadata", "*/*"),
    Load::Get("/simple/beta/beta-1.0-py3-none-any.whl", "*/*"),
    Load::Head("/simple/alpha/alpha-1.0-py3-none-any.whl"),
    Load::Revalidate("/simple/alpha/", JSON_V1),
    Load::Get("/simple/", "text/html"),
];

const JSON_V1: &str = "application/vnd.pypi.simple.v1+json";

/// The bounded load: 64 concurrent clients, 20,000 requests in
/// all, zero errors; p50/p99 and requests per second printed, not
/// asserted. Meanwhile one client holds half a request open and another
/// stops reading a big file: both are served in full afterwards.
#[test]
fn a_loopback_load_has_no_errors_and_a_slow_client_stalls_no_one() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    // More than loopback's socket buffers hold: the server's write stalls.
    let (big, big_bytes) = big_wheel(&h.join("dists"), 24 << 20);
    // The slow clients must outlast the load, however slow the machine.
    let server = Server::start(h, &["dists", "--idle-timeout", "600"]);
    let addr = server.addr.clone();

    // Half a request, left open.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /simple/alpha/ HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // A big file asked for, its first bytes read, then nothing.
    let mut stalled = TcpStream::connect(&addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!("GET /simple/big/{big} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stalled.write_all(head.as_bytes()).unwrap();
    let mut first = vec![0u8; 64 * 1024];
    stalled.read_exact(&mut first).unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (clients, total) = (64usize, 20_000usize);
    chiron::index::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // The ETag the conditional GETs name.
    let etag = runtime.block_on(async {
        let page = client
            .get(format!("http://{addr}/simple/alpha/"))
            .header("Accept", JSON_V1)
            .send()
            .await
            .unwrap();
        page.headers()["etag"].to_str().unwrap().to_string()
    });
    let started = Instant::now();
    let results: Vec<(Vec<String>, Vec<Duration>)> = runtime.block_on(async {
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (client, addr, etag) = (client.clone(), addr.clone(), etag.clone());
            // 20,000 split as evenly as 64 clients allow.
            let each = total / clients + usize::from(c < total % clients);
            tasks.push(tokio::spawn(async move {
                let mut errors = Vec::new();
                let mut latencies = Vec::with_capacity(each);
                for i in 0..each {
                    let kind = LOAD_MIX[(c + i) % LOAD_MIX.len()];
                    let (request, expected) = match kind {
                        Load::Get(path, accept) => (
                            client
                                .get(format!("http://{addr}{path}"))
                                .header("Accept", accept),
                            200,
                        ),
                        Load::Head(path) => (client.head(format!("http://{addr}{path}")), 200),
                        Load::Revalidate(path, accept) => (
                            client
                                .get(format!("http://{addr}{path}"))
                                .header("Accept", accept)
                                .header("If-None-Match", &etag),
                            304,
                        ),
                    };
                    let at = Instant::now();
                    let outcome = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            match response.bytes().await {
                                Ok(_) if status == expected => None,
                                Ok(_) => Some(format!("status {status}")),
                                Err(error) => Some(error.to_string()),
                            }
                        }
                        Err(error) => Some(error.to_string()),
                    };
                    latencies.push(at.elapsed());
                    if let Some(error) = outcome {
                        errors.push(error);
                    }
                }
                (errors, latencies)
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    });
    let took = started.elapsed();
    let errors: Vec<String> = results.iter().flat_map(|(e, _)| e.clone()).collect();
    let mut latencies: Vec<Duration> = results.into_iter().flat_map(|(_, l)| l).collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    eprintln!(
        "load: {total} requests, {clients} clients, {} errors, p50 {:?}, p99 {:?}, max {:?}, {:.0} requests/s",
        errors.len(),
        at(0.50),
        at(0.99),
        latencies[latencies.len() - 1],
        total as f64 / took.as_secs_f64()
    );
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(latencies.len(), total);

    // The slow clients are still waiting; each finishes when it finishes.
    slow.write_all(b"\r\n").unwrap();
    let mut answer = [0u8; 12];
    slow.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let mut rest = Vec::new();
    stalled.read_to_end(&mut rest).unwrap();
    first.extend(rest);
    let split = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert!(
        first[split + 4..] == big_bytes[..],
        "the stalled download was cut"
    );
}

/// A wheel of `size` incompressible bytes, stored as they are.
fn big_wheel(dir: &Path, size: usize) -> (String, Vec<u8>) {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let files: [(&str, Vec<u8>); 3] = [
        (
            "big-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n".to_vec(),
        ),
        (
            "big-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
        ),
        ("big/data.bin", noise(size)),
    ];
    for (path, bytes) in &files {
        zip.start_file(*path, stored).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    let bytes = buffer.into_inner();
    let name = "big-1.0-py3-none-any.whl".to_string();
    std::fs::write(dir.join(&name), &bytes).unwrap();
    (name, bytes)
}

/// Bytes no compressor shrinks (xorshift).
fn noise(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// With `--grace 0` this test fails: the download is cut at SIGTERM.
#[test]
fn sigterm_lets_a_download_in_flight_finish() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join("dists")).unwrap();
    let (name, bytes) = big_wheel(&h.join("dists"), 24 << 20);
    let server = Server::start(h, &["dists"]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!("GET /simple/big/{name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut first = vec![0u8; 64 * 1024];
    stream.read_exact(&mut first).unwrap();
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(500));
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    first.extend(rest);
    let split = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert_eq!(first[split + 4..].len(), bytes.len());
    assert!(first[split + 4..] == bytes[..], "the download was cut");
    assert_eq!(server.terminate().code(), Some(0));
}

/// `chiron serve dists` of [`folder`] in `home`, exporting to a mock OTLP
/// collector, with `env` set too.
fn served_to_a_collector(home: &Path, env: &[(&str, &str)]) -> (Server, HttpServer) {
    folder(&home.join("dists"));
    let collector = crate::cli_telemetry::receiver();
    let endpoint = collector.url("");
    let mut env = env.to_vec();
    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()));
    (Server::start_with(home, &["dists"], &env), collector)
}

#[test]
fn every_request_is_a_span_sent_to_the_otlp_collector() {
    let home = tempfile::tempdir().unwrap();
    let (server, collector) = served_to_a_collector(home.path(), &[]);
    assert_eq!(get(&server.addr, "/simple/beta/", &[]).status, 200);
    assert_eq!(get(&server.addr, "/simple/nothing/", &[]).status, 404);
    assert_eq!(server.terminate().code(), Some(0));
    let (_, spans) = crate::cli_telemetry::received(&collector);
    let requests: Vec<(String, String)> = spans
        .iter()
        .filter(|s| s.name == "http.request")
        .map(|s| {
            (
                s.attributes.get("url.path").cloned().unwrap_or_default(),
                s.attributes
                    .get("http.response.status_code")
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    for expected in [("/simple/beta/", "200"), ("/simple/nothing/", "404")] {
        assert!(
            requests.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{requests:?}"
        );
    }
}

#[test]
fn connections_past_the_limit_wait_and_an_idle_half_request_is_closed() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    let server = Server::start(
        h,
        &["dists", "--max-connections", "1", "--idle-timeout", "2"],
    );
    // The one connection: half a request, then nothing.
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    slow.write_all(b"GET /simple/ HTTP/1.1\r\n").unwrap();
    let held = Instant::now();
    let waiting = {
        let addr = server.addr.clone();
        std::thread::spawn(move || (get(&addr, "/simple/alpha/", &[]).status, Instant::now()))
    };
    // Closed for idling: the server ends it without an answer.
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let closed = held.elapsed();
    assert!(
        closed >= Duration::from_millis(1500) && closed < Duration::from_secs(20),
        "{closed:?}"
    );
    assert!(!rest.starts_with(b"HTTP/1.1 200"), "{rest:?}");
    // The second client got in only then, and was served.
    let (status, answered) = waiting.join().unwrap();
    assert_eq!(status, 200);
    assert!(answered.duration_since(held) >= Duration::from_millis(1500));
}

#[test]
fn several_sources_are_each_at_their_own_name_only() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    std::fs::create_dir_all(h.join("empty")).unwrap();
    let server = Server::start(h, &["main=dists", "empty"]);
    let json = [("Accept", "application/vnd.pypi.simple.v1+json")];
    let names = |target: &str| -> Vec<String> {
        let reply = get(&server.addr, target, &json);
        assert_eq!(reply.status, 200, "{target}");
        let page: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        page["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("/main/simple/"), ["alpha", "beta"]);
    assert!(names("/empty/simple/").is_empty());
    assert_eq!(get(&server.addr, "/simple/", &[]).status, 404);
    assert_eq!(get(&server.addr, "/other/simple/", &[]).status, 404);
    assert_eq!(get(&server.addr, "/empty/simple/alpha/", &[]).status, 404);
    let wheel = "/main/simple/alpha/alpha-1.0-py3-none-any.whl";
    assert_eq!(get(&server.addr, wheel, &[]).status, 200);
}

/// One answer as `tests/data/openapi/check.py` reads it: the document's
/// path template it was asked under, and what came back.
fn exchange(template: &str, method: &str, reply: &Reply) -> serde_json::Value {
    use base64::Engine;
    serde_json::json!({
        "path": template,
        "method": method,
        "status": reply.status,
        "content_type": reply.header("content-type").unwrap_or_default(),
        "body_base64": base64::engine::general_purpose::STANDARD.encode(&reply.body),
    })
}

/// Runs the OpenAPI checker on `document` and `exchanges`: (problems,
/// JSON bodies validated).
fn check_openapi(
    dir: &Path,
    document: &[u8],
    exchanges: &[serde_json::Value],
) -> (Vec<String>, u64) {
    let python = oracle_tool("CHIRON_TEST_OPENAPI_PYTHON", "python");
    let (doc, list) = (dir.join("openapi.json"), dir.join("exchanges.json"));
    std::fs::write(&doc, document).unwrap();
    std::fs::write(&list, serde_json::to_vec(exchanges).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openapi/check.py");
    let output = Command::new(python)
        .arg(script)
        .arg(&doc)
        .arg(&list)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", everything(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let problems = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    (problems, report["validated"].as_u64().unwrap())
}

#[test]
fn the_openapi_document_is_valid_and_every_answer_of_the_server_is_one_it_describes() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    std::fs::write(
        h.join("chiron.toml"),
        "[serve]\nyanked = { \"alpha==3.0\" = \"broken build\" }\n",
    )
    .unwrap();
    let server = Server::start(h, &["dists"]);
    let addr = server.addr.clone();
    let json = "application/vnd.pypi.simple.v1+json";
    let wheel = "alpha-1.0-py3-none-any.whl";
    let beta = "beta-1.0-py3-none-any.whl";
    let mut exchanges = Vec::new();
    let mut ask = |template: &str, method: &str, target: &str, headers: &[(&str, &str)]| {
        let reply = request(&addr, method, target, headers);
        exchanges.push(exchange(template, method, &reply));
        reply
    };
    let document = ask("/openapi.json", "GET", "/openapi.json", &[]);
    assert_eq!(document.status, 200);
    let parsed: serde_json::Value = serde_json::from_slice(&document.body).unwrap();
    assert_eq!(parsed["info"]["version"], env!("CARGO_PKG_VERSION"));
    ask("/healthz", "GET", "/healthz", &[]);
    ask("/readyz", "GET", "/readyz", &[]);
    // Uploads are off: both upload paths answer, refusing.
    for (template, path) in [
        ("/", "/"),
        ("/legacy/", "/legacy/"),
        ("/{index}/", "/dists/"),
        ("/{index}/legacy/", "/dists/legacy/"),
    ] {
        let refused = ask(template, "POST", path, &[("Content-Length", "0")]);
        assert_eq!(refused.status, 405, "{path}");
    }
    let mut pages_json = 0;
    for (prefix, index) in [("", ""), ("/dists", "/{index}")] {
        let t = |template: &str| format!("{index}{template}");
        let list = ask(
            &t("/simple/"),
            "GET",
            &format!("{prefix}/simple/"),
            &[("Accept", json)],
        );
        let etag = list.header("etag").unwrap().to_string();
        let unchanged = ask(
            &t("/simple/"),
            "GET",
            &format!("{prefix}/simple/"),
            &[("Accept", json), ("If-None-Match", &etag)],
        );
        assert_eq!(unchanged.status, 304);
        for accept in [
            "text/html",
            "application/vnd.pypi.simple.v1+html",
            "image/png",
        ] {
            ask(
                &t("/simple/"),
                "GET",
                &format!("{prefix}/simple/"),
                &[("Accept", accept)],
            );
        }
        for project in ["alpha", "beta", "nothing", "ALPHA", "a%00b"] {
            let target = format!("{prefix}/simple/{project}/");
            ask(
                &t("/simple/{project}/"),
                "GET",
                &target,
                &[("Accept", json)],
            );
            ask(&t("/simple/{project}/"), "GET", &target, &[]);
        }
        let file = t("/simple/{project}/{file}");
        let target = format!("{prefix}/simple/alpha/{wheel}");
        let whole = ask(&file, "GET", &target, &[]);
        assert_eq!(whole.status, 200);
        let etag = whole.header("etag").unwrap().to_string();
        assert_eq!(
            ask(&file, "GET", &target, &[("If-None-Match", &etag)]).status,
            304
        );
        assert_eq!(
            ask(&file, "GET", &target, &[("Range", "bytes=0-9")]).status,
            206
        );
        assert_eq!(
            ask(&file, "GET", &target, &[("Range", "bytes=999999-")]).status,
            416
        );
        ask(
            &file,
            "GET",
            &format!("{prefix}/simple/alpha/nothing.whl"),
            &[],
        );
        let metadata = t("/simple/{project}/{file}.metadata");
        let target = format!("{prefix}/simple/alpha/{wheel}.metadata");
        assert_eq!(ask(&metadata, "GET", &target, &[]).status, 200);
        let provenance = t("/simple/{project}/{file}.provenance");
        let target = format!("{prefix}/simple/beta/{beta}.provenance");
        assert_eq!(ask(&provenance, "GET", &target, &[]).status, 200);
        // The JSON answers: both pages of each project found, the list, the
        // provenance file.
        pages_json += 4;
    }
    // And the document itself.
    pages_json += 1;
    let (problems, validated) = check_openapi(h, &document.body, &exchanges);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(validated, pages_json);

    // The checker is not blind: a page that drifted from the schemas fails.
    let alpha = request(&server.addr, "GET", "/simple/alpha/", &[("Accept", json)]);
    let mut drifted: serde_json::Value = serde_json::from_slice(&alpha.body).unwrap();
    drifted.as_object_mut().unwrap().remove("versions");
    drifted["files"][0]["yanked"] = 7.into();
    let mut tampered = exchange("/simple/{project}/", "GET", &alpha);
    tampered["body_base64"] = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&drifted).unwrap())
            .into()
    };
    let (problems, _) = check_openapi(h, &document.body, &[tampered]);
    for expected in ["'versions' is a required property", "$.files[0].yanked"] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:#?}"
        );
    }
}

#[test]
fn request_metrics_reach_the_otlp_collector_and_count_every_request_and_byte() {
    use std::collections::BTreeMap;
    let home = tempfile::tempdir().unwrap();
    let (server, collector) =
        served_to_a_collector(home.path(), &[("OTEL_METRIC_EXPORT_INTERVAL", "200")]);
    // (method, route, status, index) -> (requests, body bytes received).
    let mut expected: BTreeMap<(String, String, String, String), (u64, u64)> = BTreeMap::new();
    let wheel = "/simple/alpha/alpha-1.0-py3-none-any.whl";
    let secret = ("Authorization", "Basic dXNlcjpzM2NyM3Q=");
    for (method, target, route, headers) in [
        ("GET", "/simple/", "/simple/", vec![]),
        (
            "GET",
            "/simple/",
            "/simple/",
            vec![("Accept", "application/vnd.pypi.simple.v1+json")],
        ),
        ("GET", "/simple/beta/", "/simple/{project}/", vec![]),
        ("GET", "/simple/beta/", "/simple/{project}/", vec![secret]),
        (
            "GET",
            "/simple/beta/?token=s3cr3t",
            "/simple/{project}/",
            vec![],
        ),
        ("GET", "/simple/nothing/", "/simple/{project}/", vec![]),
        ("GET", wheel, "/simple/{project}/{file}", vec![]),
        ("HEAD", wheel, "/simple/{project}/{file}", vec![]),
        (
            "GET",
            "/simple/alpha/alpha-1.0-py3-none-any.whl.metadata",
            "/simple/{project}/{file}.metadata",
            vec![],
        ),
        (
            "GET",
            "/dists/simple/beta/",
            "/{index}/simple/{project}/",
            vec![],
        ),
        ("GET", "/openapi.json", "/openapi.json", vec![]),
        ("GET", "/healthz", "/healthz", vec![]),
        ("GET", "/nowhere/at/all", "", vec![]),
    ] {
        let reply = request(&server.addr, method, target, &headers);
        let index = if route.contains("simple") {
            "dists"
        } else {
            ""
        };
        let key = (
            method.to_string(),
            route.to_string(),
            reply.status.to_string(),
            index.to_string(),
        );
        let entry = expected.entry(key).or_default();
        entry.0 += 1;
        entry.1 += reply.body.len() as u64;
    }
    // Let at least one periodic export go out before the last one.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(server.terminate().code(), Some(0));

    let (resource, points) = crate::cli_telemetry::received_metrics(&collector);
    assert_eq!(resource["service.name"], "chiron");
    let exports = collector
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/metrics")
        .count();
    assert!(exports >= 2, "one periodic export and the last: {exports}");
    let key_of = |point: &crate::cli_telemetry::Point| {
        let a = &point.attributes;
        let get = |k: &str| a.get(k).cloned().unwrap_or_default();
        (
            get("http.request.method"),
            get("http.route"),
            get("http.response.status_code"),
            get("chiron.index"),
        )
    };
    // `/readyz` was polled until ready, a number of times no one knows.
    let observed = |name: &str, unit: &str| -> BTreeMap<_, _> {
        points
            .iter()
            .filter(|p| p.metric == name)
            .inspect(|p| {
                assert_eq!(p.unit, unit, "{name}");
                assert_eq!(p.attributes["url.scheme"], "http");
            })
            .filter(|p| p.attributes.get("http.route").map(String::as_str) != Some("/readyz"))
            .map(|p| (key_of(p), (p.count, p.sum)))
            .collect()
    };
    let sizes = observed("http.server.response.body.size", "By");
    let sizes: BTreeMap<_, _> = sizes
        .into_iter()
        .map(|(k, (count, sum))| (k, (count, sum as u64)))
        .collect();
    assert_eq!(sizes, expected);
    let durations = observed("http.server.request.duration", "s");
    let counts: BTreeMap<_, _> = durations
        .iter()
        .map(|(k, (c, _))| (k.clone(), *c))
        .collect();
    let wanted: BTreeMap<_, _> = expected.iter().map(|(k, (c, _))| (k.clone(), *c)).collect();
    assert_eq!(counts, wanted);
    assert!(
        durations
            .values()
            .all(|(_, seconds)| *seconds > 0.0 && *seconds < 60.0)
    );
    let active: Vec<_> = points
        .iter()
        .filter(|p| p.metric == "http.server.active_requests")
        .collect();
    assert!(!active.is_empty());
    assert!(active.iter().all(|p| p.value == 0), "{active:?}");
    // No credential, query or raw path in any attribute.
    for point in &points {
        for value in point.attributes.values() {
            for leak in ["dXNlcjpzM2NyM3Q", "s3cr3t", "nothing", "nowhere", "beta"] {
                assert!(!value.contains(leak), "{point:?}");
            }
        }
    }
}

#[test]
fn an_export_never_replaces_a_folder_of_the_users_and_writes_into_dot() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    // A folder holding the user's own files is refused, and left as it was.
    let project = h.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::write(project.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/main.py"), "print('mine')\n").unwrap();
    let refused = chiron(h)
        .current_dir(h)
        .args(["serve", "dists", "--export-static", "project"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", everything(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("not an export") && stderr.contains(".git") && stderr.contains("src"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(project.join("src/main.py")).unwrap(),
        "print('mine')\n"
    );
    assert!(project.join(".git/HEAD").is_file());

    // An empty folder, named as `.` from inside it, takes the export; a
    // second export replaces the first; nothing is left beside it.
    let site = h.join("site");
    std::fs::create_dir_all(&site).unwrap();
    for _ in 0..2 {
        chiron(h)
            .current_dir(&site)
            .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
            .args(["serve", "../dists", "--export-static", "."])
            .assert()
            .success();
    }
    assert!(site.join("simple/index.json").is_file());
    let beside: Vec<String> = std::fs::read_dir(h)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".chiron-staging") || n.starts_with(".chiron-old"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

#[test]
fn a_yank_that_names_no_served_file_is_warned_about() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    folder(&h.join("dists"));
    std::fs::write(
        h.join("chiron.toml"),
        "[serve]\nyanked = { \"nosuch==1.0\" = \"typo\", \"Alpha==1.0\" = \"\", \"beta-9.9.tar.gz\" = \"\" }\n",
    )
    .unwrap();
    let server = Server::start(h, &["dists"]);
    // Ready: the index (and its warnings) is loaded.
    assert_eq!(get(&server.addr, "/simple/alpha/", &[]).status, 200);
    let stderr = server.stderr().join("\n");
    assert!(stderr.contains("`nosuch==1.0` names no file"), "{stderr}");
    assert!(
        stderr.contains("`beta-9.9.tar.gz` names no file"),
        "{stderr}"
    );
    assert!(!stderr.contains("`Alpha==1.0`"), "{stderr}");
    assert!(server.terminate().success());
}
