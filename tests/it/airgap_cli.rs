//! `chiron airgap build` and `airgap install` at the command line: a
//! bundle path that is (or is inside) the wheelhouse is a usage error, not
//! a wait on the wheelhouse's own lock; `airgap install --json` keeps pip's
//! output off stdout, which stays one JSON document.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::{self, chiron, write_files};

const PASSWORD: &str = "correct horse battery staple";

fn host_python() -> String {
    let output = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// The `.chiron-lock-*` files under `dir` (one level and `dir` itself).
fn locks(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for folder in [dir.to_path_buf(), dir.join("wh")] {
        for entry in std::fs::read_dir(folder).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with(".chiron-lock-") {
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn a_bundle_path_over_its_wheelhouse_is_a_usage_error_not_a_hang() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index =
        support::app_lib_wheelhouse(h, &["--python", "3.12", "--platform", "linux-x86_64"]);
    std::os::unix::fs::symlink(h.join("wh"), h.join("link")).unwrap();
    let up = format!("../{}/wh", h.file_name().unwrap().to_string_lossy());
    let cases = [
        ("wh", "is the wheelhouse"),
        ("wh/", "is the wheelhouse"),
        ("./wh", "is the wheelhouse"),
        (up.as_str(), "is the wheelhouse"),
        ("link", "is the wheelhouse"),
        ("wh/bundle.tar.gz", "is inside the wheelhouse"),
        ("wh/new/bundle.tar.gz", "is inside the wheelhouse"),
        ("link/bundle.tar.gz", "is inside the wheelhouse"),
        (".", "is a folder that holds the wheelhouse"),
    ];
    for (output, relation) in cases {
        // A key that does not exist: the paths are checked before it is read.
        let assert = chiron(h)
            .current_dir(h)
            .timeout(Duration::from_secs(30))
            .args([
                "airgap",
                "build",
                "wh",
                "--key",
                "missing.key",
                "-o",
                output,
            ])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        let expected = format!(
            "error: the bundle {} {relation} {}",
            h.join(output).display(),
            h.join("wh").display()
        );
        assert!(stderr.contains(&expected), "-o {output}: {stderr}");
        assert!(
            stderr.contains("hint: name a bundle file outside the wheelhouse"),
            "{stderr}"
        );
    }
    // With the wheelhouse from the configuration, and with --json.
    write_files(h, &[("chiron.toml", "[wheelhouse]\ndir = \"wh\"\n")]);
    let assert = chiron(h)
        .current_dir(h)
        .timeout(Duration::from_secs(30))
        .args(["--json", "airgap", "build", "--unsigned", "-o", "wh"])
        .assert()
        .code(2);
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(report["exit_code"], 2);
    let message = report["error"]["message"].as_str().unwrap();
    let expected = format!(
        "the bundle {} is the wheelhouse {}",
        h.join("wh").display(),
        h.join("wh").display()
    );
    assert_eq!(message, expected);
    assert!(report["error"]["hint"].as_str().unwrap().contains("-o"));

    // Nothing was written, no lock is left, and the wheelhouse verifies.
    assert_eq!(locks(h), Vec::<String>::new());
    assert!(!h.join("wh/bundle.tar.gz").exists() && !h.join("wh/new").exists());
    chiron(h)
        .current_dir(h)
        .args(["verify", "wh"])
        .assert()
        .success();
    // A bundle named after the wheelhouse, beside it, is fine.
    chiron(h)
        .current_dir(h)
        .timeout(Duration::from_secs(30))
        .args(["airgap", "build", "wh", "--unsigned", "-o", "wh.tar.gz"])
        .assert()
        .success();
    chiron(h)
        .current_dir(h)
        .args(["verify", "wh.tar.gz"])
        .assert()
        .success();
}

/// A signed bundle of app 1.0 -> lib 2.0 for the host's Python, and a
/// second key pair (`other`) it is not signed with.
fn signed_bundle(h: &Path) -> support::index::TestIndex {
    let index = support::app_lib_wheelhouse(
        h,
        &["--python", &host_python(), "--platform", "linux-x86_64"],
    );
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
            "bundle.tar.gz",
            "--key",
            "cosign.key",
        ])
        .assert()
        .success();
    index
}

/// `airgap install --json ARGS`: exit code, stdout as JSON (the test fails
/// when it is not one document), stderr.
fn install_json(h: &Path, args: &[&str]) -> (i32, Value, String) {
    let output = chiron(h)
        .current_dir(h)
        .args(["--json", "airgap", "install", "bundle.tar.gz"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("stdout is not one JSON document ({e}):\n{stdout}\nstderr:\n{stderr}")
    });
    (output.status.code().unwrap(), value, stderr)
}

#[test]
fn airgap_install_json_keeps_pip_output_off_stdout() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index = signed_bundle(h);
    let requirements = format!("requirements-{}-linux-x86_64.txt", host_python());

    // A fresh venv, then the same again (pip: already satisfied).
    for pip_says in [
        "Successfully installed app-1.0 lib-2.0",
        "Requirement already satisfied",
    ] {
        let (code, report, stderr) = install_json(h, &["--venv", "venv", "--key", "cosign.pub"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(report["installed"], requirements.as_str());
        assert_eq!(
            report["python"],
            h.join("venv/bin/python").to_str().unwrap()
        );
        assert!(
            stderr.contains(pip_says),
            "pip's output is on stderr: {stderr}"
        );
    }
    let listed = Command::new(h.join("venv/bin/python"))
        .args(["-m", "pip", "list", "--format=freeze"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("lib==2.0"));

    // Without --json, stdout holds chiron's one line, not pip's.
    let output = chiron(h)
        .current_dir(h)
        .args(["airgap", "install", "bundle.tar.gz", "--venv", "venv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("installed ") && stdout.lines().count() == 1,
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("Requirement already satisfied"));

    // pip fails (an interpreter without pip): still one JSON document.
    let bare = h.join("bare");
    assert!(
        Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&bare)
            .status()
            .unwrap()
            .success()
    );
    let target = format!("{}-linux-x86_64", host_python());
    let (code, report, stderr) =
        install_json(h, &["--python", "bare/bin/python", "--target", &target]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["installed"], Value::Null);
    assert_eq!(report["requirements"], requirements.as_str());
    assert_eq!(report["pip_exit_code"], 1);
    assert!(stderr.contains("No module named pip"), "{stderr}");

    // A bundle that does not verify (signed with another key): the report,
    // in one document, and nothing installed.
    let (code, report, stderr) = install_json(h, &["--venv", "venv-other", "--key", "other.pub"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["installed"], Value::Null);
    assert_eq!(report["passed"], false, "{report:#}");
    let problems = report["report"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["kind"] == "signature"),
        "{report:#}"
    );
    assert!(stderr.contains("nothing was installed"));
    assert!(!h.join("venv-other").exists());
}
