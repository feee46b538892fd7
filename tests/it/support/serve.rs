//! `chiron serve` run as a child on a free port of 127.0.0.1, and HTTP
//! requests written by hand (no client normalises them), for the tests of
//! the server (`serve_http`) and of uploads (`serve_upload`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::chiron;

/// SOURCE_DATE_EPOCH of every server and export in the tests:
/// 2023-11-14T22:13:20Z.
pub const EPOCH: i64 = 1_700_000_000;

/// A running `chiron serve` and everything it wrote on stderr.
pub struct Server {
    pub child: Child,
    pub addr: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `chiron serve ARGS --bind 127.0.0.1:0` in `home`, reads the
    /// address from its `listening on` line, and waits
    /// until `/readyz` answers 200.
    pub fn start(home: &Path, args: &[&str]) -> Server {
        Server::start_with(home, args, &[])
    }

    /// The same, with `env` set.
    pub fn start_with(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = server_command(home, args);
        command.envs(env.iter().copied());
        let mut child = command.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(rest.trim_end_matches('/').to_string());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("chiron serve did not start: {:?}", stderr.lock().unwrap());
        };
        let server = Server {
            child,
            addr,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while get(&server.addr, "/readyz", &[]).status != 200 {
            assert!(Instant::now() < deadline, "{:?}", server.stderr());
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}/simple/", self.addr)
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The paths of the access log's lines, with their status.
    pub fn accessed(&self) -> Vec<(String, u16)> {
        self.stderr()
            .iter()
            .filter(|l| l.starts_with("access "))
            .map(|line| {
                let field = |key: &str| {
                    line.split(' ')
                        .find_map(|f| f.strip_prefix(key))
                        .unwrap_or_default()
                        .to_string()
                };
                (field("path="), field("status=").parse().unwrap_or(0))
            })
            .collect()
    }

    /// SIGTERM, then its exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary as `support::chiron` isolates it, as a child that runs on.
pub fn server_command(home: &Path, args: &[&str]) -> Command {
    let built = chiron(home);
    let mut command = Command::new(built.get_program());
    for (key, value) in built.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .current_dir(home)
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .arg("serve")
        .args(args)
        .args(["--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// An HTTP answer read off the socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// GET `target` exactly as written (no client normalises it), one request
/// per connection.
pub fn get(addr: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", target, headers)
}

pub fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    send(addr, method, target, headers, b"")
}

/// `method` with `body` (its `Content-Length` added, unless `headers`
/// set a `Transfer-Encoding` the body is already in). A server that
/// answers before reading the whole body (413) may close the connection
/// under the write: the answer is read all the same.
pub fn send(
    addr: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let chunked = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("Transfer-Encoding"));
    if !body.is_empty() && !chunked {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    if let Err(error) = stream.read_to_end(&mut raw) {
        assert!(!raw.is_empty(), "no answer: {error}");
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
