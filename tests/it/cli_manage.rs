//! `chiron manage download` / `list-packages` against a local index: the
//! right file per target, both page formats, faults with nothing
//! half-written, caches, offline, credentials, and real pip installing the
//! result with --require-hashes.

use crate::support;

use std::path::Path;
use std::time::Duration;

use crate::support::index::{Fault, PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use predicates::prelude::*;
use serde_json::Value;

/// A project with compiled wheels for many platforms, and a pure one.
fn populated(format: PageFormat, pep658: bool) -> TestIndex {
    let index = TestIndex::start(format, pep658);
    for tag in [
        "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64",
        "cp312-cp312-musllinux_1_2_x86_64",
        "cp312-cp312-macosx_11_0_arm64",
        "cp312-cp312-macosx_10_9_x86_64",
        "cp312-cp312-win_amd64",
        "cp38-abi3-win_arm64",
    ] {
        index.add(&WheelSpec::new("alpha", "1.5", tag));
    }
    index.add(&WheelSpec::new("alpha", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("beta", "2.0", "py3-none-any"));
    index
}

fn download(home: &Path, index: &TestIndex, dest: &Path, args: &[&str]) -> (i32, Value, String) {
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args(["manage", "download", "--no-deps", "--json", "--dest"])
        .arg(dest)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap(), json, stderr)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

const SIX_PLATFORMS: &str = "linux-x86_64,linux-aarch64,musllinux-x86_64,macos-arm64,macos-x86_64,windows-x86_64,windows-arm64";

fn check_six_targets(format: PageFormat, pep658: bool) {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(format, pep658);
    let (code, report, stderr) = download(
        home.path(),
        &index,
        &dest,
        &[
            "alpha",
            "beta",
            "--python",
            "3.12",
            "--platform",
            SIX_PLATFORMS,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let by_target = |target: &str| -> Vec<String> {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["targets"].as_array().unwrap().iter().any(|t| t == target))
            .map(|f| f["filename"].as_str().unwrap().to_string())
            .collect()
    };
    let expect = [
        (
            "3.12-linux-x86_64",
            "alpha-1.5-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
        (
            "3.12-linux-aarch64",
            "alpha-1.5-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        ),
        (
            "3.12-musllinux-x86_64",
            "alpha-1.5-cp312-cp312-musllinux_1_2_x86_64.whl",
        ),
        (
            "3.12-macos-arm64",
            "alpha-1.5-cp312-cp312-macosx_11_0_arm64.whl",
        ),
        (
            "3.12-macos-x86_64",
            "alpha-1.5-cp312-cp312-macosx_10_9_x86_64.whl",
        ),
        ("3.12-windows-x86_64", "alpha-1.5-cp312-cp312-win_amd64.whl"),
        ("3.12-windows-arm64", "alpha-1.5-cp38-abi3-win_arm64.whl"),
    ];
    for (target, alpha) in expect {
        assert_eq!(
            by_target(target),
            [alpha.to_string(), "beta-2.0-py3-none-any.whl".to_string()],
            "{target}"
        );
    }
    // The pure wheel serves all seven targets and was fetched once.
    assert_eq!(index.downloads("beta-2.0-py3-none-any.whl"), 1);
    let files = files_in(&dest);
    assert_eq!(files.len(), 9, "{files:?}");
    // SHA256SUMS is what sha256sum -c reads.
    let sums = std::fs::read_to_string(dest.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 8);
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(dest.join(name)).unwrap();
        assert_eq!(hash, support::index::sha256_hex(&bytes), "{name}");
    }
    if Path::new("/usr/bin/sha256sum").exists() {
        let status = std::process::Command::new("sha256sum")
            .args(["-c", "--quiet", "SHA256SUMS"])
            .current_dir(&dest)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

#[test]
fn json_index_with_metadata_files_serves_every_target() {
    check_six_targets(PageFormat::Json, true);
}

#[test]
fn html_index_without_metadata_files_serves_every_target() {
    check_six_targets(PageFormat::Html, false);
}

#[test]
fn list_packages_shows_which_targets_each_file_serves() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, false);
    let (code, _, stderr) = download(
        home.path(),
        &index,
        &dest,
        &[
            "alpha",
            "beta",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64,windows-x86_64",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let output = chiron(home.path())
        .current_dir(home.path())
        .args([
            "manage",
            "list-packages",
            "--json",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64,windows-x86_64",
        ])
        .arg(&dest)
        .output()
        .unwrap();
    assert!(output.status.success());
    let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listing["packages"], 2);
    let files = listing["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let beta = files.iter().find(|f| f["name"] == "beta").unwrap();
    assert_eq!(
        beta["targets"],
        serde_json::json!(["3.12-linux-x86_64", "3.12-windows-x86_64"])
    );
    assert_eq!(beta["tags"], "py3-none-any");
    assert_eq!(beta["sha256"].as_str().unwrap().len(), 64);

    chiron(home.path())
        .current_dir(home.path())
        .args([
            "manage",
            "list-packages",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
        ])
        .arg(&dest)
        .assert()
        .success()
        .stdout(predicate::str::contains("NAME"))
        .stdout(predicate::str::contains("3 file(s), 2 package(s)"));
}

#[test]
fn a_second_run_downloads_nothing_and_offline_uses_the_cache() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, true);
    let args = ["beta", "--python", "3.12", "--platform", "linux-x86_64"];
    assert_eq!(download(home.path(), &index, &dest, &args).0, 0);
    let (code, report, _) = download(home.path(), &index, &dest, &args);
    assert_eq!(code, 0);
    assert_eq!(report["files"][0]["fetched"], false);
    assert_eq!(index.downloads("beta-2.0-py3-none-any.whl"), 1);

    // A new folder, offline: the page cache and the file store answer.
    let other = home.path().join("other");
    let (code, report, stderr) = download(
        home.path(),
        &index,
        &other,
        &[&args[..], &["--offline"]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["files"][0]["filename"], "beta-2.0-py3-none-any.whl");
    assert_eq!(index.downloads("beta-2.0-py3-none-any.whl"), 1);

    // Offline with a cold cache names what it could not serve.
    let cold = tempfile::tempdir().unwrap();
    let (code, _, stderr) = download(
        cold.path(),
        &index,
        &cold.path().join("w"),
        &[&args[..], &["--offline"]].concat(),
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("offline: no cached copy of"), "{stderr}");
    assert!(stderr.contains("/simple/beta/"), "{stderr}");
}

#[test]
fn a_server_error_is_retried() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, false);
    index.fault("beta-2.0-py3-none-any.whl", Fault::FailFirst(1));
    let (code, _, stderr) = download(home.path(), &index, &dest, &["beta", "--python", "3.12"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(index.downloads("beta-2.0-py3-none-any.whl"), 2);
    assert!(stderr.contains("retrying"), "{stderr}");
}

fn assert_nothing_written(dest: &Path) {
    let leftovers: Vec<String> = files_in(dest)
        .into_iter()
        .filter(|n| n.ends_with(".whl") || n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_wrong_hash_is_refused_and_nothing_is_left() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, false);
    let beta = "beta-2.0-py3-none-any.whl";
    index.fault(beta, Fault::WrongHash);
    let (code, _, stderr) = download(home.path(), &index, &dest, &["beta", "--python", "3.12"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("sha256 mismatch"), "{stderr}");
    assert!(stderr.contains(&format!("/files/{beta}")), "{stderr}");
    assert!(stderr.contains(&"0".repeat(64)), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_nothing_written(&dest);
}

#[test]
fn a_truncated_body_fails_after_retries_and_nothing_is_left() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, false);
    index.fault("beta-2.0-py3-none-any.whl", Fault::Truncate);
    let (code, _, stderr) = download(home.path(), &index, &dest, &["beta", "--python", "3.12"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the body ended after"), "{stderr}");
    assert_eq!(
        index.downloads("beta-2.0-py3-none-any.whl"),
        4,
        "one try and three retries"
    );
    assert_nothing_written(&dest);
}

#[test]
fn a_stall_past_the_timeout_fails_and_nothing_is_left() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, false);
    index.fault(
        "beta-2.0-py3-none-any.whl",
        Fault::Stall(Duration::from_secs(20)),
    );
    let started = std::time::Instant::now();
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .env("PIP_TIMEOUT", "1")
        .args([
            "manage",
            "download",
            "--no-deps",
            "beta",
            "--python",
            "3.12",
            "--dest",
        ])
        .arg(&dest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no data for 1 s") || stderr.contains("timed out"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout was not honoured"
    );
    assert_nothing_written(&dest);
}

#[test]
fn files_without_a_hash_need_allow_unhashed() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Html, false);
    index.fault("beta-2.0-py3-none-any.whl", Fault::NoHash);
    let (code, _, stderr) = download(home.path(), &index, &dest, &["beta", "--python", "3.12"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("has no sha256 on the index"), "{stderr}");
    assert!(stderr.contains("--allow-unhashed"), "{stderr}");
    let (code, report, stderr) = download(
        home.path(),
        &index,
        &dest,
        &["beta", "--python", "3.12", "--allow-unhashed"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["files"][0]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn yanked_files_are_skipped_unless_pinned() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    index.add(&WheelSpec::new("gamma", "1.0", "py3-none-any"));
    index.add(&WheelSpec {
        yanked: Some("broken"),
        ..WheelSpec::new("gamma", "1.1", "py3-none-any")
    });
    let (code, report, _) = download(
        home.path(),
        &index,
        &home.path().join("a"),
        &["gamma", "--python", "3.12"],
    );
    assert_eq!(code, 0);
    assert_eq!(report["files"][0]["filename"], "gamma-1.0-py3-none-any.whl");
    let (code, report, _) = download(
        home.path(),
        &index,
        &home.path().join("b"),
        &["gamma==1.1", "--python", "3.12"],
    );
    assert_eq!(code, 0);
    assert_eq!(report["files"][0]["filename"], "gamma-1.1-py3-none-any.whl");
}

#[test]
fn requires_python_picks_per_target() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Html, false);
    index.add(&WheelSpec::new("delta", "1.0", "py3-none-any"));
    index.add(&WheelSpec {
        requires_python: Some(">=3.13"),
        ..WheelSpec::new("delta", "2.0", "py3-none-any")
    });
    let (code, report, stderr) = download(
        home.path(),
        &index,
        &home.path().join("w"),
        &["delta", "--python", "3.12,3.13"],
    );
    assert_eq!(code, 0, "{stderr}");
    let files = report["files"].as_array().unwrap();
    let target_of =
        |name: &str| files.iter().find(|f| f["filename"] == name).unwrap()["targets"].clone();
    assert_eq!(
        target_of("delta-1.0-py3-none-any.whl")[0].as_str().unwrap(),
        format!("3.12-{}", host_platform())
    );
    assert_eq!(
        target_of("delta-2.0-py3-none-any.whl")[0].as_str().unwrap(),
        format!("3.13-{}", host_platform())
    );

    let (code, _, stderr) = download(
        home.path(),
        &index,
        &home.path().join("x"),
        &["delta>=2", "--python", "3.12"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("requires Python >=3.13"), "{stderr}");
    assert!(stderr.contains("nothing was downloaded"), "{stderr}");
}

fn host_platform() -> String {
    chiron::python::target::NamedPlatform::host()
        .unwrap()
        .name()
        .to_string()
}

#[test]
fn a_missing_wheel_for_one_target_stops_everything() {
    let home = tempfile::tempdir().unwrap();
    let dest = home.path().join("wheels");
    let index = populated(PageFormat::Json, false);
    let (code, _, stderr) = download(
        home.path(),
        &index,
        &dest,
        &[
            "alpha==1.5",
            "beta",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64,linux-ppc64le",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no wheel of alpha==1.5 fits target 3.12-linux-ppc64le"),
        "{stderr}"
    );
    assert!(stderr.contains("it has wheels for"), "{stderr}");
    assert_nothing_written(&dest);
}

#[test]
fn the_same_name_on_two_indexes_is_an_error_unless_pinned() {
    let home = tempfile::tempdir().unwrap();
    let public = populated(PageFormat::Json, false);
    let private = TestIndex::start(PageFormat::Json, false);
    private.add(&WheelSpec::new("beta", "99.0", "py3-none-any"));
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", public.url())
        .env("PIP_EXTRA_INDEX_URL", private.url())
        .args([
            "manage",
            "download",
            "--no-deps",
            "beta",
            "--python",
            "3.12",
            "--dest",
            "w",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("served by more than one index"), "{stderr}");
    assert!(stderr.contains("[index.pin]"), "{stderr}");

    write_files(
        home.path(),
        &[(
            "chiron.toml",
            &format!("[index.pin]\nbeta = \"{}\"\n", public.url()),
        )],
    );
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", public.url())
        .env("PIP_EXTRA_INDEX_URL", private.url())
        .args([
            "manage",
            "download",
            "--no-deps",
            "--json",
            "beta",
            "--python",
            "3.12",
            "--dest",
            "w",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files"][0]["filename"], "beta-2.0-py3-none-any.whl");
}

#[test]
fn credentials_are_sent_but_never_shown() {
    let home = tempfile::tempdir().unwrap();
    let index = populated(PageFormat::Json, false);
    let (user, password) = ("deploy", "s3cr3t");
    let url = index
        .url()
        .replace("http://", &format!("http://{user}:{password}@"));
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", &url)
        .args([
            "manage",
            "download",
            "--no-deps",
            "--json",
            "beta",
            "--python",
            "3.12",
            "--dest",
            "w",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("s3cr3t"), "{all}");
    let requests = index.requests();
    assert!(
        requests.iter().all(|r| r.header("authorization").is_some()),
        "every request carries the credentials"
    );
}

#[test]
fn requirements_files_and_find_links_folders_work() {
    let home = tempfile::tempdir().unwrap();
    let index = populated(PageFormat::Json, false);
    let local = home.path().join("vendor");
    std::fs::create_dir_all(&local).unwrap();
    let (name, bytes, _) =
        support::index::build_wheel(&WheelSpec::new("vendored", "0.1", "py3-none-any"));
    std::fs::write(local.join(&name), bytes).unwrap();
    write_files(
        home.path(),
        &[(
            "requirements.txt",
            "-f ./vendor\nbeta>=2  # from the index\nvendored==0.1\npywin32; sys_platform == 'win32'\n",
        )],
    );
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args([
            "manage",
            "download",
            "--no-deps",
            "--json",
            "-r",
            "requirements.txt",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
            "--dest",
            "w",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["beta-2.0-py3-none-any.whl", "vendored-0.1-py3-none-any.whl"]
    );
    assert_eq!(report["not_needed"][0]["package"], "pywin32");
}

#[test]
fn usage_mistakes_exit_2_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    chiron(home.path())
        .current_dir(home.path())
        .args(["manage", "download", "beta", "--python", "3.12"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-deps"));
    chiron(home.path())
        .current_dir(home.path())
        .args(["manage", "download", "--no-deps", "beta"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hint: pass --python"));
    write_files(home.path(), &[("bad.txt", "-e ./src\n")]);
    chiron(home.path())
        .current_dir(home.path())
        .args([
            "manage",
            "download",
            "--no-deps",
            "-r",
            "bad.txt",
            "--python",
            "3.12",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.txt:1: editable requirement"));
}

/// The real test of a download: pip installs it, offline, with hashes required.
#[test]
fn pip_installs_what_chiron_downloaded_with_require_hashes() {
    let home = tempfile::tempdir().unwrap();
    let python = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ])
        .output()
        .expect("python3 is installed by .ci/run");
    let version = String::from_utf8(python.stdout).unwrap().trim().to_string();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("epsilon", "1.2.3", "py3-none-any"));
    let dest = home.path().join("wheels");
    let (code, report, stderr) = download(
        home.path(),
        &index,
        &dest,
        &["epsilon==1.2.3", "--python", &version],
    );
    assert_eq!(code, 0, "{stderr}");
    let sha = report["files"][0]["sha256"].as_str().unwrap();
    std::fs::write(
        home.path().join("lock.txt"),
        format!("epsilon==1.2.3 --hash=sha256:{sha}\n"),
    )
    .unwrap();

    let venv = home.path().join("venv");
    let status = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "python3 -m venv failed (.ci/run installs python3-venv)"
    );
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let install = std::process::Command::new(bin.join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--require-hashes",
            "--find-links",
        ])
        .arg(&dest)
        .arg("-r")
        .arg(home.path().join("lock.txt"))
        .env_remove("PIP_FIND_LINKS")
        .env_remove("PIP_INDEX_URL")
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "pip install failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let check = std::process::Command::new(bin.join("python"))
        .args(["-c", "import epsilon; print(epsilon.VERSION)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "1.2.3");
}

#[test]
fn stale_pages_are_revalidated_with_their_etag() {
    let home = tempfile::tempdir().unwrap();
    let index = populated(PageFormat::Json, false);
    let args = ["beta", "--python", "3.12"];
    assert_eq!(
        download(home.path(), &index, &home.path().join("a"), &args).0,
        0
    );
    assert_eq!(index.not_modified(), 0);
    let (code, report, _) = download(home.path(), &index, &home.path().join("b"), &args);
    assert_eq!(code, 0);
    assert_eq!(
        index.not_modified(),
        1,
        "the cached page was revalidated, not fetched again"
    );
    assert_eq!(
        report["files"][0]["fetched"], false,
        "the file came from the content-addressed cache"
    );
    assert_eq!(index.downloads("beta-2.0-py3-none-any.whl"), 1);
}
