//! Shared pieces of the integration tests: the chiron binary with a clean
//! environment, a small HTTP server on 127.0.0.1 that records requests, and
//! a package index built on it (`index`).
#![allow(dead_code)]

pub mod index;
pub mod plain;
pub mod schemas;
pub mod serve;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The chiron binary, isolated from the developer's environment: no pip,
/// chiron, OpenTelemetry or XDG variables leak in, and the cache lives in
/// `home`.
pub fn chiron(home: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("chiron").expect("the chiron binary is built");
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        let leaks = [
            "PIP_", "CHIRON_", "OTEL_", "XDG_", "UV_", "RUST_LOG", "NO_COLOR",
        ]
        .iter()
        .any(|prefix| key.starts_with(prefix));
        if leaks {
            command.env_remove(&key);
        }
    }
    command
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        // Tests never reach the internet: an index must be named explicitly.
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        // Nor does the machine's pip.conf (/etc/pip.conf, ...) leak in.
        .env(
            "PIP_CONFIG_FILE",
            if cfg!(windows) { "nul" } else { "/dev/null" },
        )
        .timeout(Duration::from_secs(60));
    command
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Send only this many bytes of the body, then close the connection.
    pub truncate_at: Option<usize>,
    /// Wait this long after the headers before sending the body.
    pub stall: Option<Duration>,
    pub headers: Vec<(String, String)>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
            truncate_at: None,
            stall: None,
            headers: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// An HTTP/1.1 server on a random local port, one thread per connection,
/// keep-alive supported; it lives as long as the test process.
pub struct HttpServer {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl HttpServer {
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = Arc::clone(&handler);
                let recorded = Arc::clone(&recorded);
                thread::spawn(move || serve_connection(stream, &*handler, &recorded));
            }
        });
        Self { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve_connection(stream: TcpStream, handler: &Handler, recorded: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    // Head and body go out in two writes: without this, Nagle's algorithm
    // holds the body until the client's delayed ACK, 40 ms per response.
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Request {
            method,
            path,
            headers,
            body,
        };
        let response = handler(&request);
        recorded.lock().unwrap().push(request);
        let extra: String = response
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n{extra}\r\n",
            response.status,
            response.content_type,
            response.body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        if let Some(stall) = response.stall {
            let _ = writer.flush();
            thread::sleep(stall);
        }
        if let Some(cut) = response.truncate_at {
            let _ = writer.write_all(&response.body[..cut.min(response.body.len())]);
            let _ = writer.flush();
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return;
        }
        if writer.write_all(&response.body).is_err() {
            return;
        }
    }
}

/// A URL on 127.0.0.1 where nothing listens.
pub fn closed_port_url(path: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

/// Writes `files` (relative path, content) under `root`.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A wheelhouse of `app 1.0 -> lib 2.0` in `home/wh`, built by chiron from
/// a fresh test index with `targets` (`--python ...`, `--platform ...`).
/// The index is returned so it can outlive the build when needed.
pub fn app_lib_wheelhouse(home: &Path, targets: &[&str]) -> index::TestIndex {
    let index = index::TestIndex::start(index::PageFormat::Json, true);
    index.add(&index::WheelSpec {
        requires_dist: &["lib"],
        ..index::WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&index::WheelSpec::new("lib", "2.0", "py3-none-any"));
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "app", "--out", "wh"])
        .args(targets)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    index
}

/// A pinned oracle tool: `$var` (exported by `.ci/tools.sh`), else its
/// place in `~/.cache/chiron-ci/tools/bin/`. A missing tool fails the test.
pub fn oracle_tool(var: &str, name: &str) -> std::path::PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return path.into();
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let fallback = home.map(|h| h.join(".cache/chiron-ci/tools/bin").join(name));
    match fallback {
        Some(path) if path.exists() => path,
        _ => panic!(
            "{name} is missing: set {var}, or run `bash .ci/test` to install the pinned tools"
        ),
    }
}
