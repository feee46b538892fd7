//! pip.conf's TLS settings reach the HTTP client: `client-cert` (mutual
//! TLS) and `trusted-host` (certificate not verified), against a real TLS
//! server (`openssl s_server`, which requires a client certificate from a
//! throwaway CA), with pip under the same pip.conf as the oracle of whether
//! the handshake passes.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::{chiron, oracle_tool, write_files};
use serde_json::Value;

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::null())
        .status();
    assert!(
        status.expect("openssl is installed by .ci/test").success(),
        "openssl {args:?}"
    );
}

const EC: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all
/// from it; `client.pem` holds the client's certificate and key.
fn make_pki(dir: &Path) {
    let ca = [
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=chiron test CA",
    ];
    openssl(dir, &[&["req", "-x509"], &EC[..], &ca[..]].concat());
    for (who, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        ),
        (
            "client",
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        ),
    ] {
        let key = format!("{who}.key");
        let csr = format!("{who}.csr");
        let cert = format!("{who}.crt");
        let subject = format!("/CN={who}");
        let req = ["-keyout", &key, "-out", &csr, "-subj", &subject];
        openssl(dir, &[&["req"], &EC[..], &req[..]].concat());
        let ext_file = format!("{who}.cnf");
        std::fs::write(dir.join(&ext_file), ext).unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &cert,
                "-days",
                "2",
                "-extfile",
                &ext_file,
            ],
        );
    }
    let mut pem = std::fs::read(dir.join("client.crt")).unwrap();
    pem.extend(std::fs::read(dir.join("client.key")).unwrap());
    std::fs::write(dir.join("client.pem"), pem).unwrap();
}

/// `openssl s_server` that requires a client certificate from the CA.
fn mtls_server(dir: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-cert",
            "server.crt",
            "-key",
            "server.key",
            "-CAfile",
            "ca.pem",
            "-Verify",
            "1",
            "-accept",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "openssl s_server did not start");
    (server, port)
}

/// The index check of `chiron doctor` under `pip.conf`.
fn doctor_index(home: &Path, url: &str, pip_conf: &str) -> Value {
    write_files(home, &[("pip.conf", pip_conf)]);
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", url)
        .env("PIP_CONFIG_FILE", home.join("pip.conf"))
        .env_remove("SSL_CERT_FILE")
        .args(["doctor", "--json", "--timeout", "5"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "index")
        .cloned()
        .unwrap()
}

/// Whether pip, under the same pip.conf, gets through the TLS handshake
/// (the server's page lists no files, so pip then finds nothing).
fn pip_handshake_passes(home: &Path, url: &str) -> bool {
    let pip = oracle_tool("CHIRON_TEST_PIP", "pip");
    let output = Command::new(pip)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("PIP_CONFIG_FILE", home.join("pip.conf"))
        .args([
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--retries",
            "0",
            "-i",
            url,
            "-d",
        ])
        .arg(home.join("pip-dl"))
        .arg("nothing-here")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    !text.contains("SSL")
}

#[test]
fn client_cert_and_trusted_host_from_pip_conf_reach_the_client() {
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let (mut server, port) = mtls_server(pki.path());
    let url = format!("https://127.0.0.1:{port}/simple");
    let home = tempfile::tempdir().unwrap();
    let ca = pki.path().join("ca.pem").display().to_string();
    let client = pki.path().join("client.pem").display().to_string();
    let outcome = std::panic::catch_unwind(|| {
        // (pip.conf, the handshake passes)
        let cases = [
            // The CA alone: the server wants a client certificate.
            (format!("[global]\ncert = {ca}\n"), false),
            // The CA and the client certificate.
            (
                format!("[global]\ncert = {ca}\n[download]\nclient-cert = {client}\n"),
                true,
            ),
            // No CA: the server's certificate is unknown ...
            (format!("[global]\nclient-cert = {client}\n"), false),
            // ... unless the host is trusted, with or without the port.
            (
                format!("[global]\nclient-cert = {client}\ntrusted-host = 127.0.0.1:{port}\n"),
                true,
            ),
            (
                format!("[global]\nclient-cert = {client}\ntrusted-host = 127.0.0.1:1\n"),
                false,
            ),
        ];
        for (pip_conf, passes) in cases {
            let check = doctor_index(home.path(), &url, &pip_conf);
            assert_eq!(check["status"] == "ok", passes, "{pip_conf}: {check}");
            assert_eq!(
                pip_handshake_passes(home.path(), &url),
                passes,
                "pip disagrees on {pip_conf}"
            );
        }
        // A client certificate without its key is named.
        let bare = pki.path().join("client.crt").display().to_string();
        let check = doctor_index(
            home.path(),
            &url,
            &format!("[global]\ncert = {ca}\nclient-cert = {bare}\n"),
        );
        assert_eq!(check["status"], "fail");
        assert!(
            check["finding"].as_str().unwrap().contains("client.crt"),
            "{check}"
        );
    });
    let _ = server.kill();
    let _ = server.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
