//! `pylock.toml` files written by other tools, made in the test by the real
//! tools against the local index: `pip lock` (pip 26.3), `uv pip compile
//! --format pylock.toml` and `uv export --format pylock.toml` (uv 0.13.9).
//! chiron installs exactly the locked files for each target, and its
//! policy judges a file with no `index` by its URL.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, oracle_tool, write_files};
use serde_json::Value;

/// A clean environment for the real tools: nothing of the developer's,
/// no pip configuration, no uv cache outside `home`.
fn tool(program: &Path, home: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("UV_CACHE_DIR", home.join("uv-cache"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .current_dir(home);
    command
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `app 1.0 -> lib 2.0 -> helper 1.0`, all pure Python.
fn index() -> TestIndex {
    let index = TestIndex::start(PageFormat::Html, false);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        requires_dist: &["helper"],
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("helper", "1.0", "py3-none-any"));
    index
}

/// The locks the three ways, each in its own folder of `home`.
fn foreign_locks(home: &Path, index: &TestIndex) -> Vec<(&'static str, String)> {
    let pip = oracle_tool("CHIRON_TEST_PIP", "pip");
    let uv = oracle_tool("CHIRON_TEST_UV", "uv");
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    write_files(
        home,
        &[
            ("reqs.txt", "app\n"),
            (
                "uvproject/pyproject.toml",
                "[project]\nname = \"svc\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = [\"app\"]\n",
            ),
        ],
    );
    std::fs::create_dir_all(home.join("pip")).unwrap();
    run(tool(&pip, home)
        .args(["lock", "-q", "--disable-pip-version-check", "-r"])
        .arg("reqs.txt")
        .args(["--index-url", &index.url(), "-o", "pip/pylock.toml"]));
    std::fs::create_dir_all(home.join("uvpip")).unwrap();
    run(tool(&uv, home).args([
        "pip",
        "compile",
        "-q",
        "reqs.txt",
        "--universal",
        "--format",
        "pylock.toml",
        "--index-url",
        &index.url(),
        "-o",
        "uvpip/pylock.toml",
    ]));
    run(tool(&uv, &home.join("uvproject"))
        .args(["lock", "-q", "--index-url", &index.url(), "--python"])
        .arg(&python));
    run(tool(&uv, &home.join("uvproject")).args([
        "export",
        "-q",
        "--format",
        "pylock.toml",
        "--no-emit-project",
        "-o",
        "pylock.toml",
    ]));
    vec![
        ("pip/pylock.toml", read(&home.join("pip/pylock.toml"))),
        ("uvpip/pylock.toml", read(&home.join("uvpip/pylock.toml"))),
        (
            "uvproject/pylock.toml",
            read(&home.join("uvproject/pylock.toml")),
        ),
    ]
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// File name to sha256 of every wheel a lock names.
fn locked_files(text: &str) -> BTreeMap<String, String> {
    let lock: toml::Table = toml::from_str(text).unwrap();
    let mut out = BTreeMap::new();
    for package in lock["packages"].as_array().unwrap() {
        for wheel in package.get("wheels").and_then(|w| w.as_array()).unwrap() {
            let url = wheel["url"].as_str().unwrap();
            let name = url.rsplit('/').next().unwrap().to_string();
            out.insert(
                name,
                wheel["hashes"]["sha256"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

fn policy_check(home: &Path, index_url: &str, lock: &str) -> (i32, Value) {
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index_url)
        .args(["policy", "check", lock, "--json"])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr))),
    )
}

/// One test, so the three tools lock once: installing exactly the locked
/// files, the index rule passing them, naming files on no configured
/// index, and refusing a target outside the lock's Python.
#[test]
fn locks_from_pip_and_uv_install_exactly_their_files_and_pass_the_policy() {
    let home = tempfile::tempdir().unwrap();
    let index = index();
    let locks = foreign_locks(home.path(), &index);
    // What the tools wrote: pip and `uv pip compile` name no index.
    assert!(!locks[0].1.contains("index ="), "{}", locks[0].1);
    assert!(!locks[1].1.contains("index ="), "{}", locks[1].1);
    assert!(locks[2].1.contains("requires-python"), "{}", locks[2].1);

    for (path, text) in &locks {
        let expected = locked_files(text);
        assert_eq!(expected.len(), 3, "{path}: {text}");
        let before = index.requests().len();
        let out = format!("wh-{}", path.split('/').next().unwrap());
        let output = chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", index.url())
            .args(["wheelhouse", "--lock", path, "--out", &out])
            .args([
                "--python",
                "3.12",
                "--platform",
                "linux-x86_64,windows-x86_64",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{path}: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        let wheels: BTreeMap<String, String> = std::fs::read_dir(home.path().join(&out))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    support::index::sha256_hex(&bytes),
                )
            })
            .collect();
        assert_eq!(wheels, expected, "{path}");
        for target in ["3.12-linux-x86_64", "3.12-windows-x86_64"] {
            let pins = read(
                &home
                    .path()
                    .join(&out)
                    .join(format!("requirements-{target}.txt")),
            );
            for (file, sha) in &expected {
                assert!(
                    pins.contains(&format!("--hash=sha256:{sha}")),
                    "{file}: {pins}"
                );
            }
        }
        // Installed as locked: no project page was asked for.
        assert!(
            index.requests()[before..]
                .iter()
                .all(|r| !r.path.starts_with("/simple/")),
            "{path}"
        );
        // Files on the configured index pass its index rule.
        let (code, report) = policy_check(home.path(), &index.url(), path);
        assert_eq!(code, 0, "{path}: {report}");
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["rule"] != "index-not-allowed"),
            "{path}: {report}"
        );
    }

    a_lock_without_index_whose_files_are_on_no_configured_index_is_a_violation(
        home.path(),
        &index,
        &locks,
    );
    a_target_outside_the_locks_requires_python_is_refused(home.path(), &index, &locks);
}

fn a_lock_without_index_whose_files_are_on_no_configured_index_is_a_violation(
    home: &Path,
    index: &TestIndex,
    locks: &[(&str, String)],
) {
    let other = TestIndex::start(PageFormat::Json, false);
    for (path, _) in &locks[..2] {
        let (code, report) = policy_check(home, &other.url(), path);
        assert_eq!(code, 1, "{path}: {report}");
        let violations: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "index-not-allowed")
            .collect();
        assert_eq!(violations.len(), 3, "{path}: {report}");
        let message = violations[0].to_string();
        assert!(
            message.contains(&index.server.url("/files/")) && message.contains("no allowed index"),
            "{message}"
        );
    }
}

fn a_target_outside_the_locks_requires_python_is_refused(
    home: &Path,
    index: &TestIndex,
    locks: &[(&str, String)],
) {
    let (path, _) = &locks[2];
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args([
            "wheelhouse",
            "--lock",
            path,
            "--out",
            "wh",
            "--python",
            "3.9",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(">=3.10") && stderr.contains("3.9"),
        "{stderr}"
    );
}
