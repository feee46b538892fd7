//! `chiron doctor` against real situations: a missing interpreter, an
//! unwritable cache, a key readable by others, indexes that are down or
//! refuse, and a broken configuration.

use crate::support::{HttpServer, Response, chiron, closed_port_url, write_files};
use predicates::prelude::*;
use serde_json::Value;

fn doctor_json(command: &mut assert_cmd::Command) -> (i32, Value) {
    let output = command
        .args(["doctor", "--json", "--timeout", "3"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), report)
}

fn checks<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .collect()
}

fn local_index() -> HttpServer {
    HttpServer::start(|request| {
        if request.path.starts_with("/simple/pip/") {
            Response::new(
                200,
                "application/vnd.pypi.simple.v1+json",
                r#"{"meta":{"api-version":"1.1"},"name":"pip","files":[]}"#,
            )
        } else {
            Response::new(404, "text/plain", "not found")
        }
    })
}

#[test]
fn a_healthy_setup_passes() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[targets]\nplatforms = [\"linux-x86_64\"]\n")],
    );
    let index = local_index();
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(project.path())
            .env("PIP_INDEX_URL", index.url("/simple")),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(checks(&report, "config")[0]["status"], "ok");
    assert_eq!(checks(&report, "index")[0]["status"], "ok");
    assert_eq!(checks(&report, "cache")[0]["status"], "ok");
    assert_eq!(checks(&report, "disk")[0]["status"], "ok");
    assert_eq!(report["summary"]["passed"], true);
    // The probe asks for one small project page, in PEP 691 JSON first.
    let probe = index
        .requests()
        .into_iter()
        .find(|r| r.path == "/simple/pip/")
        .unwrap();
    assert!(
        probe
            .header("accept")
            .unwrap()
            .starts_with("application/vnd.pypi.simple.v1+json")
    );
    assert!(probe.header("user-agent").unwrap().starts_with("chiron/"));
}

#[test]
fn a_missing_interpreter_is_a_warning_and_fails_strict() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[targets]\npython = [\"3.99\"]\n")],
    );
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(project.path())
            .arg("--offline"),
    );
    let python = checks(&report, "python");
    assert_eq!(python[0]["subject"], "python 3.99");
    assert_eq!(python[0]["status"], "warn");
    assert!(
        python[0]["finding"]
            .as_str()
            .unwrap()
            .contains("no python3.99 on PATH")
    );
    assert!(
        python[0]["hint"]
            .as_str()
            .unwrap()
            .contains("install CPython 3.99")
    );
    assert_eq!(code, 0);

    chiron(home.path())
        .current_dir(project.path())
        .args(["--offline", "doctor", "--strict"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not ready"));
}

#[test]
fn an_unwritable_cache_fails() {
    let home = tempfile::tempdir().unwrap();
    let blocker = home.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    // A folder below a regular file cannot be created, even by root.
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env("CHIRON_CACHE_DIR", blocker.join("cache"))
            .arg("--offline"),
    );
    assert_eq!(code, 1);
    let cache = checks(&report, "cache")[0];
    assert_eq!(cache["status"], "fail");
    assert!(
        cache["finding"]
            .as_str()
            .unwrap()
            .starts_with("cannot create")
    );
    assert!(cache["hint"].as_str().unwrap().contains("CHIRON_CACHE_DIR"));
}

#[cfg(unix)]
#[test]
fn a_signing_key_readable_by_others_fails() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[
            ("chiron.toml", "[signing]\nkey = \"keys/cosign.key\"\n"),
            (
                "keys/cosign.key",
                "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            ),
        ],
    );
    let key = project.path().join("keys/cosign.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(project.path())
            .arg("--offline"),
    );
    assert_eq!(code, 1);
    let check = checks(&report, "signing-key")[0];
    assert_eq!(check["status"], "fail");
    assert!(check["finding"].as_str().unwrap().starts_with("mode 0644"));
    assert_eq!(check["hint"], format!("chmod 600 {}", key.display()));

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(project.path())
            .arg("--offline"),
    );
    assert_eq!(checks(&report, "signing-key")[0]["status"], "ok");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn an_unreachable_index_fails_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let url = closed_port_url("/simple");
    chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", &url)
        .args(["doctor", "--timeout", "3"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(&url))
        .stdout(predicate::str::contains("unreachable"))
        .stdout(predicate::str::contains("hint: check the URL and network"));
}

#[test]
fn an_index_that_refuses_credentials_fails_and_hides_them() {
    let home = tempfile::tempdir().unwrap();
    let index = HttpServer::start(|_| Response::new(401, "text/plain", "who are you"));
    let (user, password) = ("bob", "t0ps3cret");
    let url = index
        .url("/simple")
        .replace("http://", &format!("http://{user}:{password}@"));
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", &url),
    );
    assert_eq!(code, 1);
    let check = checks(&report, "index")[0];
    assert_eq!(check["status"], "fail");
    assert!(check["finding"].as_str().unwrap().contains("HTTP 401"));
    assert!(!report.to_string().contains("t0ps3cret"));
    // The credentials were sent (as basic auth), only never shown.
    let sent = index.requests();
    assert!(
        sent[0]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
}

/// An index that wants `alice:s3cret` as basic auth, and 401 otherwise.
fn index_wanting_alice() -> HttpServer {
    use base64::Engine as _;
    let wanted = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:s3cret")
    );
    HttpServer::start(move |request| {
        if request.header("authorization") != Some(wanted.as_str()) {
            return Response::new(401, "text/plain", "who are you");
        }
        Response::new(
            200,
            "application/vnd.pypi.simple.v1+json",
            r#"{"meta":{"api-version":"1.1"},"name":"pip","files":[]}"#,
        )
    })
}

#[test]
fn the_probe_sends_netrc_credentials_as_the_index_client_does() {
    let home = tempfile::tempdir().unwrap();
    let index = index_wanting_alice();
    let netrc = |password: &str| {
        write_files(
            home.path(),
            &[(
                ".netrc",
                &format!("machine 127.0.0.1 login alice password {password}\n"),
            )],
        )
    };
    netrc("s3cret");
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env_remove("NETRC")
            .env("PIP_INDEX_URL", index.url("/simple")),
    );
    let check = checks(&report, "index")[0];
    assert_eq!(check["status"], "ok", "{report:#}");
    assert_eq!(code, 0, "{report:#}");
    // $NETRC names another file, as for the index client.
    let elsewhere = home.path().join("other-netrc");
    std::fs::rename(home.path().join(".netrc"), &elsewhere).unwrap();
    let (_, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env("NETRC", &elsewhere)
            .env("PIP_INDEX_URL", index.url("/simple")),
    );
    assert_eq!(checks(&report, "index")[0]["status"], "ok", "{report:#}");
    // Wrong credentials: the finding says they were sent and refused, and
    // does not tell the user to add what is already there.
    netrc("Wr0ngPw");
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env_remove("NETRC")
            .env("PIP_INDEX_URL", index.url("/simple")),
    );
    assert_eq!(code, 1);
    let check = checks(&report, "index")[0];
    assert_eq!(check["status"], "fail");
    let finding = check["finding"].as_str().unwrap();
    assert!(
        finding.contains("refused the credentials sent: HTTP 401"),
        "{finding}"
    );
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .contains("check the user and token")
    );
    assert!(!report.to_string().contains("Wr0ngPw"), "{report:#}");
}

#[test]
fn offline_skips_the_index() {
    let home = tempfile::tempdir().unwrap();
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", closed_port_url("/simple"))
            .arg("--offline"),
    );
    assert_eq!(code, 0, "{report:#}");
    let index = checks(&report, "index")[0];
    assert_eq!(index["status"], "skip");
    assert_eq!(index["finding"], "offline: not contacted");
}

#[test]
fn a_missing_find_links_folder_fails() {
    let home = tempfile::tempdir().unwrap();
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env("PIP_FIND_LINKS", home.path().join("no-such-wheels"))
            .arg("--offline"),
    );
    assert_eq!(code, 1);
    let link = checks(&report, "index")
        .into_iter()
        .find(|c| c["finding"].as_str().unwrap().contains("find-links"))
        .unwrap();
    assert_eq!(link["status"], "fail");
}

#[test]
fn a_broken_config_is_a_failed_check_not_a_crash() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[targets]\npython = 3\n")],
    );
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(project.path())
            .arg("--offline"),
    );
    assert_eq!(code, 1);
    let config = checks(&report, "config")[0];
    assert_eq!(config["status"], "fail");
    assert!(
        config["finding"]
            .as_str()
            .unwrap()
            .contains("chiron.toml:2:10")
    );
    // The other checks still ran.
    assert_eq!(checks(&report, "cache")[0]["status"], "ok");
}

#[test]
fn no_config_is_a_warning_with_a_way_forward() {
    let home = tempfile::tempdir().unwrap();
    chiron(home.path())
        .current_dir(home.path())
        .args(["--offline", "doctor"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warn  configuration"))
        .stdout(predicate::str::contains("hint: run `chiron init`"));
}

#[test]
fn an_unreachable_collector_fails() {
    let home = tempfile::tempdir().unwrap();
    let (code, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", closed_port_url(""))
            .arg("--offline"),
    );
    assert_eq!(code, 1);
    let telemetry = checks(&report, "telemetry")[0];
    assert_eq!(telemetry["status"], "fail");
    assert!(
        telemetry["finding"]
            .as_str()
            .unwrap()
            .contains("unreachable")
    );
}

/// A private CA named by PIP_CERT is trusted, on top of the system's: a
/// real TLS handshake with `openssl s_server` using a certificate that
/// `openssl` issued from a throwaway CA.
#[test]
fn a_private_ca_from_pip_cert_is_trusted() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .status();
        assert!(
            status.expect("openssl is installed by .ci/run").success(),
            "openssl {args:?}"
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"],
        &ec[..],
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=chiron test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"],
        &ec[..],
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    std::fs::write(
        dir.path().join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-accept",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("https://127.0.0.1:{port}/simple");
    let home = tempfile::tempdir().unwrap();
    let outcome = std::panic::catch_unwind(|| {
        assert!(ready, "openssl s_server did not start");
        let (_, report) = doctor_json(
            chiron(home.path())
                .current_dir(home.path())
                .env("PIP_INDEX_URL", &url)
                .env("PIP_CERT", dir.path().join("ca.pem")),
        );
        let index = checks(&report, "index")[0];
        assert_eq!(index["status"], "ok", "{index}");
        assert!(
            index["finding"].as_str().unwrap().contains("HTTP 200"),
            "{index}"
        );

        let (_, report) = doctor_json(
            chiron(home.path())
                .current_dir(home.path())
                .env("PIP_INDEX_URL", &url),
        );
        let index = checks(&report, "index")[0];
        assert_eq!(
            index["status"], "fail",
            "an unknown CA must not be trusted: {index}"
        );

        let (_, report) = doctor_json(
            chiron(home.path())
                .current_dir(home.path())
                .env("PIP_INDEX_URL", &url)
                .env("PIP_CERT", dir.path().join("ext.cnf")),
        );
        let index = checks(&report, "index")[0];
        assert!(
            index["finding"].as_str().unwrap().contains("PEM"),
            "{index}"
        );
    });
    let _ = server.kill();
    let _ = server.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn the_vulnerability_database_is_checked() {
    let home = tempfile::tempdir().unwrap();
    let (_, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .arg("--offline"),
    );
    let db = checks(&report, "vulnerability-db");
    assert_eq!(db[0]["status"], "warn");
    assert!(
        db[0]["hint"]
            .as_str()
            .unwrap()
            .contains("chiron scan --update-db")
    );
    write_files(home.path(), &[("cache/chiron/osv/PyPI-all.zip", "zip")]);
    let (_, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .arg("--offline"),
    );
    let db = checks(&report, "vulnerability-db");
    assert_eq!(db[0]["status"], "ok", "{db:?}");
    write_files(
        home.path(),
        &[("chiron.toml", "[scan]\nsource = \"osv-api\"\n")],
    );
    let (_, report) = doctor_json(
        chiron(home.path())
            .current_dir(home.path())
            .arg("--offline"),
    );
    let db = checks(&report, "vulnerability-db");
    assert_eq!(db[0]["status"], "warn");
    assert!(db[0]["finding"].as_str().unwrap().contains("offline"));
}
