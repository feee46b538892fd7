//! `chiron publish` against a real index (pypiserver, with an htpasswd
//! file made by passlib), checked by pip installing what was uploaded; its
//! upload form against twine's (recorded on 127.0.0.1); trusted publishing
//! against a local mock of GitHub's token endpoint and the index's OIDC
//! endpoints; and hostile servers.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

use crate::support::index::{WheelSpec, build_sdist, build_wheel, sha256_hex};
use crate::support::{HttpServer, Request, Response, chiron, oracle_tool};

pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "correct-horse-battery";

/// pypiserver on 127.0.0.1, uploads protected by an htpasswd file; killed
/// when dropped.
pub(crate) struct Pypiserver {
    child: Child,
    port: u16,
    pub(crate) packages: PathBuf,
}

impl Pypiserver {
    pub(crate) fn start(dir: &Path) -> Self {
        let python = oracle_tool("CHIRON_TEST_PUBLISH_PYTHON", "python");
        std::fs::create_dir_all(dir).unwrap();
        let htpasswd = dir.join("htpasswd");
        let made = Command::new(&python)
            .args([
                "-c",
                "import sys; from passlib.apache import HtpasswdFile; \
                 h = HtpasswdFile(sys.argv[1], new=True); h.set_password(sys.argv[2], sys.argv[3]); h.save()",
            ])
            .arg(&htpasswd)
            .args([USER, PASSWORD])
            .status()
            .unwrap();
        assert!(made.success(), "passlib could not write the htpasswd file");
        let packages = dir.join("packages");
        std::fs::create_dir_all(&packages).unwrap();
        let port = free_port();
        let child = Command::new(oracle_tool("CHIRON_TEST_PYPISERVER", "pypi-server"))
            .args(["run", "-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-a", "update", "-P"])
            .arg(&htpasswd)
            .args(["--disable-fallback", "--backend", "simple-dir"])
            .arg(&packages)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            port,
            packages,
        };
        server.wait_ready();
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("pypiserver did not start on port {}", self.port);
    }

    pub(crate) fn held(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.packages)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Pypiserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `chiron publish` with no credentials or CI identity leaking in from
/// the machine running the tests.
pub(crate) fn publish(home: &Path) -> assert_cmd::Command {
    let mut command = chiron(home);
    command.current_dir(home);
    for var in [
        "TWINE_USERNAME",
        "TWINE_PASSWORD",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "NETRC",
    ] {
        command.env_remove(var);
    }
    command.arg("publish");
    command
}

/// Writes a file under `home/dist` and returns its relative path.
pub(crate) fn put(home: &Path, name: &str, bytes: &[u8]) -> String {
    std::fs::create_dir_all(home.join("dist")).unwrap();
    std::fs::write(home.join("dist").join(name), bytes).unwrap();
    format!("dist/{name}")
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn everything(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// (status, filename, sha256) of each file of a `--json` report.
fn statuses(report: &Value) -> Vec<(String, String, String)> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_string(),
                f["filename"].as_str().unwrap().to_string(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn pypiserver_takes_the_files_pip_installs_them_and_a_second_run_skips_them() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let server = Pypiserver::start(&home.join("server"));
    let (wheel_name, wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "1.0", "py3-none-any"));
    let (sdist_name, sdist, _) = build_sdist("demo-pkg", "1.0", "2.1", &[], &[]);
    let wheel_path = put(home, &wheel_name, &wheel);
    let sdist_path = put(home, &sdist_name, &sdist);
    let run = |files: &[&str]| {
        publish(home)
            .args(files)
            .args(["--repository-url", &server.url(), "--json"])
            .env("CHIRON_PUBLISH_USERNAME", USER)
            .env("CHIRON_PUBLISH_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    };
    let first = run(&[&wheel_path, &sdist_path]);
    assert!(first.status.success(), "{}", everything(&first));
    let report = json(&first);
    // The sdist first, whatever the order given.
    assert_eq!(
        statuses(&report),
        [
            ("uploaded".into(), sdist_name.clone(), sha256_hex(&sdist)),
            ("uploaded".into(), wheel_name.clone(), sha256_hex(&wheel)),
        ]
    );
    assert_eq!(report["credentials"], "chiron-password");
    assert!(!everything(&first).contains(PASSWORD));
    // What the index stored is byte for byte what was given.
    assert_eq!(server.held(), [wheel_name.clone(), sdist_name.clone()]);
    assert_eq!(
        std::fs::read(server.packages.join(&wheel_name)).unwrap(),
        wheel
    );

    // pip, from the index, installs it and Python imports it.
    let target = home.join("site");
    let pip = Command::new(oracle_tool("CHIRON_TEST_PIP", "pip"))
        .args(["install", "--no-deps", "--only-binary", ":all:", "--target"])
        .arg(&target)
        .args(["--index-url", &format!("{}simple/", server.url())])
        .arg("demo-pkg==1.0")
        .output()
        .unwrap();
    assert!(pip.status.success(), "{}", everything(&pip));
    let imported = Command::new(oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python"))
        .args(["-c", "import demo_pkg; print(demo_pkg.VERSION)"])
        .env("PYTHONPATH", &target)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "1.0");

    // Again: both are there with the same hash, so both are skipped.
    let second = run(&[&sdist_path, &wheel_path]);
    assert!(second.status.success(), "{}", everything(&second));
    assert_eq!(
        statuses(&json(&second)),
        [
            ("skipped".into(), sdist_name.clone(), sha256_hex(&sdist)),
            ("skipped".into(), wheel_name.clone(), sha256_hex(&wheel)),
        ]
    );
}

#[test]
fn another_file_of_the_same_name_stops_the_run_before_any_upload() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let server = Pypiserver::start(&home.join("server"));
    let spec = WheelSpec::new("demo-pkg", "1.0", "py3-none-any");
    let (name, original, _) = build_wheel(&spec);
    std::fs::write(server.packages.join(&name), &original).unwrap();
    // Same name, other bytes: a rebuild that differs.
    let (_, rebuilt, _) = build_wheel(&WheelSpec {
        requires_python: Some(">=3.8"),
        ..spec
    });
    let (new_name, new_wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "2.0", "py3-none-any"));
    let conflicting = put(home, &name, &rebuilt);
    let fresh = put(home, &new_name, &new_wheel);
    let output = publish(home)
        .args([&fresh, &conflicting])
        .args(["--repository-url", &server.url()])
        .env("CHIRON_PUBLISH_USERNAME", USER)
        .env("CHIRON_PUBLISH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", everything(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&name), "{stderr}");
    assert!(stderr.contains(&sha256_hex(&original)), "{stderr}");
    assert!(stderr.contains(&sha256_hex(&rebuilt)), "{stderr}");
    assert!(stderr.contains("bump the version"), "{stderr}");
    // Nothing was uploaded, not even the file that did not conflict.
    assert_eq!(server.held(), std::slice::from_ref(&name));
    assert_eq!(
        std::fs::read(server.packages.join(&name)).unwrap(),
        original
    );
}

#[test]
fn a_wrong_password_says_where_it_came_from_and_never_shows_it() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let server = Pypiserver::start(&home.join("server"));
    let (name, wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "3.0", "py3-none-any"));
    let path = put(home, &name, &wheel);
    let wrong = "not-the-password-xyz";
    for (vars, source) in [
        (
            [
                ("CHIRON_PUBLISH_USERNAME", USER),
                ("CHIRON_PUBLISH_PASSWORD", wrong),
            ],
            "CHIRON_PUBLISH_USERNAME and CHIRON_PUBLISH_PASSWORD",
        ),
        (
            [("TWINE_USERNAME", USER), ("TWINE_PASSWORD", wrong)],
            "TWINE_USERNAME and TWINE_PASSWORD",
        ),
    ] {
        let output = publish(home)
            .arg(&path)
            .args(["--repository-url", &server.url()])
            .envs(vars)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", everything(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("HTTP 401") || stderr.contains("HTTP 403"),
            "{stderr}"
        );
        assert!(stderr.contains(source), "{stderr}");
        assert!(stderr.contains("hint: check the credentials"), "{stderr}");
        assert!(!everything(&output).contains(wrong));
    }
    assert!(server.held().is_empty());
}

#[test]
fn files_that_are_not_what_their_name_says_are_refused_by_name() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (_, wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "1.0", "py3-none-any"));
    let renamed = put(home, "demo_pkg-9.0-py3-none-any.whl", &wheel);
    let (_, sdist, _) = build_sdist("other", "1.0", "2.1", &[], &[]);
    let sdist = put(home, "demo_pkg-1.0.tar.gz", &sdist);
    let text = put(home, "notes.txt", b"hello");
    let garbage = put(
        home,
        "demo_pkg-1.0-py3-none-any.whl",
        b"PK\x03\x04 not a zip",
    );
    // Nothing listens there: every refusal comes before the network.
    let nowhere = crate::support::closed_port_url("/");
    for (file, code, wanted) in [
        (
            &renamed,
            1,
            "the file name says demo-pkg 9.0, its metadata says demo-pkg 1.0",
        ),
        (&sdist, 1, "its metadata says other 1.0"),
        (&text, 2, "not a wheel (.whl) or an sdist (.tar.gz)"),
        (&garbage, 1, "demo_pkg-1.0-py3-none-any.whl"),
    ] {
        let output = publish(home)
            .arg(file)
            .args(["--repository-url", &nowhere])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{file}: {}",
            everything(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(wanted), "{file}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// The fields of a `multipart/form-data` body, in order (the file part by
/// its name, with its file name as the value).
fn form_fields(request: &Request) -> Vec<(String, String)> {
    let content_type = request.header("content-type").unwrap();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    let body = String::from_utf8_lossy(&request.body).into_owned();
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    for part in body.split(&delimiter).skip(1) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap();
        let name = disposition
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = match disposition.split("filename=\"").nth(1) {
            Some(file) => file.split('"').next().unwrap().to_string(),
            None => value.strip_suffix("\r\n").unwrap_or(value).to_string(),
        };
        fields.push((name.to_string(), value));
    }
    fields
}

#[test]
fn the_upload_form_is_twines() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let server = HttpServer::start(|request| match request.method.as_str() {
        "POST" => Response::new(200, "text/plain", "OK"),
        _ => Response::new(404, "text/plain", "not found"),
    });
    // A wheel with many-valued fields, and the sdist.
    let spec = WheelSpec {
        requires_python: Some(">=3.9"),
        requires_dist: &["requests>=2", "rich; extra == \"cli\""],
        license_expression: Some("MIT OR Apache-2.0"),
        ..WheelSpec::new("demo-pkg", "1.0", "py3-none-any")
    };
    let (wheel_name, wheel, _) = build_wheel(&spec);
    let (sdist_name, sdist, _) =
        build_sdist("demo-pkg", "1.0", "2.2", &["six"], &["Requires-Dist"]);
    let files = [
        put(home, &wheel_name, &wheel),
        put(home, &sdist_name, &sdist),
    ];
    let url = server.url("/legacy/");
    let twine = Command::new(oracle_tool("CHIRON_TEST_TWINE", "twine"))
        .args(["upload", "--non-interactive", "--disable-progress-bar"])
        .args(["--repository-url", &url, "-u", "someone", "-p", "secret"])
        .args(&files)
        .current_dir(home)
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(twine.status.success(), "{}", everything(&twine));
    let output = publish(home)
        .args(&files)
        .args(["--repository-url", &url])
        .env("CHIRON_PUBLISH_USERNAME", "someone")
        .env("CHIRON_PUBLISH_PASSWORD", "secret")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", everything(&output));
    let uploads: Vec<Request> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(uploads.len(), 4);
    let by_twine: Vec<_> = uploads[..2].iter().map(form_fields).collect();
    let by_chiron: Vec<_> = uploads[2..].iter().map(form_fields).collect();
    // twine uploads in the order given, chiron the sdist first.
    let (twine_wheel, twine_sdist) = (&by_twine[0], &by_twine[1]);
    let (chiron_sdist, chiron_wheel) = (&by_chiron[0], &by_chiron[1]);
    for (twine, chiron) in [(twine_wheel, chiron_wheel), (twine_sdist, chiron_sdist)] {
        // Digests chiron does not compute (md5 is not needed; blake2 has
        // no crate in chiron's tree), and twine's empty fields.
        let mut twine: Vec<_> = twine
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "md5_digest" | "blake2_256_digest"))
            .cloned()
            .collect();
        let mut chiron = chiron.clone();
        twine.sort();
        chiron.sort();
        assert_eq!(chiron, twine);
    }
    for field in [
        ("requires_dist", "requests>=2"),
        ("requires_dist", "rich; extra == \"cli\""),
        ("license_expression", "MIT OR Apache-2.0"),
        ("pyversion", "py3"),
        ("content", wheel_name.as_str()),
    ] {
        let field = (field.0.to_string(), field.1.to_string());
        assert!(
            chiron_wheel.contains(&field),
            "{field:?} in {chiron_wheel:?}"
        );
    }
    assert!(chiron_sdist.contains(&("dynamic".into(), "Requires-Dist".into())));
    assert!(chiron_sdist.contains(&("pyversion".into(), "source".into())));
    // The credentials went as basic auth, the same for both.
    assert_eq!(
        uploads[0].header("authorization"),
        uploads[2].header("authorization")
    );
}

/// A mock of GitHub's identity-token endpoint and an index's OIDC and
/// upload endpoints, on one server.
fn trusted_publishing_mock(
    mint: impl Fn(&Request) -> Response + Send + Sync + 'static,
) -> HttpServer {
    HttpServer::start(move |request| {
        let path = request.path.as_str();
        match (request.method.as_str(), path) {
            ("GET", "/_/oidc/audience") => {
                Response::new(200, "application/json", r#"{"audience": "test-aud"}"#)
            }
            ("GET", p) if p.starts_with("/gh-token?") => {
                let authorised =
                    request.header("authorization") == Some("bearer gh-request-token-123");
                if authorised && p.contains("audience=test-aud") {
                    Response::new(
                        200,
                        "application/json",
                        r#"{"count": 1, "value": "jwt.identity.456"}"#,
                    )
                } else {
                    Response::new(401, "text/plain", "no")
                }
            }
            ("POST", "/_/oidc/mint-token") => mint(request),
            ("POST", "/legacy/") => {
                let expected = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("__token__:pypi-minted-789")
                );
                if request.header("authorization") == Some(expected.as_str()) {
                    Response::new(200, "text/plain", "OK")
                } else {
                    Response::new(
                        403,
                        "text/plain",
                        "Invalid or non-existent authentication information.",
                    )
                }
            }
            _ => Response::new(404, "text/plain", "not found"),
        }
    })
}

fn mint_ok(request: &Request) -> Response {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
    if body["token"] == "jwt.identity.456" {
        Response::new(
            200,
            "application/json",
            r#"{"success": true, "token": "pypi-minted-789"}"#,
        )
    } else {
        Response::new(
            422,
            "application/json",
            r#"{"message": "Token request failed", "errors": []}"#,
        )
    }
}

fn run_trusted(home: &Path, server: &HttpServer, extra: &[&str]) -> std::process::Output {
    let (name, wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "1.0", "py3-none-any"));
    let path = put(home, &name, &wheel);
    publish(home)
        .arg(&path)
        .args(["--repository-url", &server.url("/legacy/"), "--json"])
        .args(extra)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            server.url("/gh-token?api-version=2.0"),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token-123")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn assert_no_token(output: &std::process::Output) {
    let text = everything(output);
    for token in [
        "gh-request-token-123",
        "jwt.identity.456",
        "pypi-minted-789",
    ] {
        assert!(!text.contains(token), "{token} leaked: {text}");
    }
}

#[test]
fn trusted_publishing_exchanges_the_ci_identity_for_an_upload_token() {
    let home = tempfile::tempdir().unwrap();
    let server = trusted_publishing_mock(mint_ok);
    let output = run_trusted(home.path(), &server, &[]);
    assert!(output.status.success(), "{}", everything(&output));
    let report = json(&output);
    assert_eq!(report["credentials"], "trusted-publishing");
    assert_eq!(report["files"][0]["status"], "uploaded");
    assert_no_token(&output);
    let requests = server.requests();
    let token_request = requests
        .iter()
        .find(|r| r.path.starts_with("/gh-token"))
        .unwrap();
    assert!(
        token_request.path.contains("api-version=2.0"),
        "{}",
        token_request.path
    );
    assert!(
        token_request.path.contains("audience=test-aud"),
        "{}",
        token_request.path
    );
    let mint = requests
        .iter()
        .find(|r| r.path == "/_/oidc/mint-token")
        .unwrap();
    let body: Value = serde_json::from_slice(&mint.body).unwrap();
    assert_eq!(body, serde_json::json!({"token": "jwt.identity.456"}));
    // The upload was made with the minted token (the mock refuses others).
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/legacy/" && r.method == "POST")
    );

    // `always` without the CI's variables is a usage error naming them.
    let output = publish(home.path())
        .arg(format!("dist/{}", "demo_pkg-1.0-py3-none-any.whl"))
        .args(["--repository-url", &server.url("/legacy/")])
        .args(["--trusted-publishing", "always"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", everything(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ACTIONS_ID_TOKEN_REQUEST_URL"));
}

type Handler = Box<dyn Fn(&Request) -> Response + Send + Sync>;

#[test]
fn hostile_mint_answers_are_errors_without_tokens() {
    let cases: [(Handler, &str); 4] = [
        (
            Box::new(|_| Response::new(200, "text/html", "<html>not json</html>")),
            "not the JSON expected",
        ),
        (
            Box::new(|_| Response::new(200, "application/json", vec![b'{'; 8 << 20])),
            "longer than a token can be",
        ),
        (
            Box::new(|_| {
                Response::new(
                    422,
                    "application/json",
                    r#"{"message": "Token request failed", "errors": [{"code": "invalid-publisher", "description": "no publisher for jwt.identity.456"}]}"#,
                )
            }),
            "invalid-publisher: no publisher for ****",
        ),
        (
            Box::new(|_| Response::new(200, "application/json", r#"{"token": "bad\u0000token"}"#)),
            "not printable",
        ),
    ];
    for (mint, wanted) in cases {
        let home = tempfile::tempdir().unwrap();
        let server = trusted_publishing_mock(mint);
        let output = run_trusted(home.path(), &server, &[]);
        assert_eq!(output.status.code(), Some(1), "{}", everything(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("trusted publishing"), "{stderr}");
        assert!(stderr.contains(wanted), "{wanted}: {stderr}");
        assert!(stderr.len() < 4000, "{} bytes of stderr", stderr.len());
        assert_no_token(&output);
        assert!(!server.requests().iter().any(|r| r.path == "/legacy/"));
    }
}

#[test]
fn an_upload_that_hangs_times_out() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    // Accepts, reads, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buffer = [0u8; 65536];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                }
            });
        }
    });
    let index = HttpServer::start(|_| Response::new(404, "text/plain", "not found"));
    let (name, wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "1.0", "py3-none-any"));
    let path = put(home, &name, &wheel);
    let started = Instant::now();
    let output = publish(home)
        .arg(&path)
        .args([
            "--repository-url",
            &format!("http://127.0.0.1:{port}/legacy/"),
        ])
        .args(["--index-url", &index.url("/simple/"), "--timeout", "2"])
        .env("CHIRON_PUBLISH_TOKEN", "pypi-secret-token")
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{}", everything(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(stderr.contains(&name), "{stderr}");
    assert!(!everything(&output).contains("pypi-secret-token"));
}

#[test]
fn an_index_answering_already_exists_is_asked_which_file_it_holds() {
    let (name, wheel, _) = build_wheel(&WheelSpec::new("demo-pkg", "1.0", "py3-none-any"));
    // The index lists nothing at first (a replica behind), then, after the
    // upload it refuses, the file: ours, or another.
    for (listed_hash, refusal, wanted) in [
        (sha256_hex(&wheel), (409, "Conflict"), None),
        (
            sha256_hex(&wheel),
            (400, "File already exists ('demo_pkg-1.0-py3-none-any.whl')"),
            None,
        ),
        ("0".repeat(64), (409, "Conflict"), Some("already on")),
    ] {
        let home = tempfile::tempdir().unwrap();
        let home = home.path();
        let path = put(home, &name, &wheel);
        let uploaded = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = uploaded.clone();
        let page = format!(
            "<html><body><a href=\"/files/{name}#sha256={listed_hash}\">{name}</a></body></html>"
        );
        let server = HttpServer::start(move |request| {
            match (request.method.as_str(), request.path.as_str()) {
                ("POST", "/legacy/") => {
                    seen.store(true, std::sync::atomic::Ordering::SeqCst);
                    Response::new(refusal.0, "text/html", refusal.1)
                }
                ("GET", "/legacy/simple/demo-pkg/")
                    if seen.load(std::sync::atomic::Ordering::SeqCst) =>
                {
                    Response::new(200, "text/html", page.clone())
                }
                _ => Response::new(404, "text/plain", "not found"),
            }
        });
        let output = publish(home)
            .arg(&path)
            .args(["--repository-url", &server.url("/legacy/"), "--json"])
            .env("CHIRON_PUBLISH_TOKEN", "pypi-token")
            .output()
            .unwrap();
        assert!(uploaded.load(std::sync::atomic::Ordering::SeqCst));
        match wanted {
            None => {
                assert!(output.status.success(), "{}", everything(&output));
                assert_eq!(json(&output)["files"][0]["status"], "skipped");
            }
            Some(wanted) => {
                assert_eq!(output.status.code(), Some(1), "{}", everything(&output));
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(stderr.contains(wanted), "{stderr}");
                assert!(stderr.contains(&sha256_hex(&wheel)), "{stderr}");
            }
        }
    }
}
