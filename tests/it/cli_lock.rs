//! `chiron lock` end to end on a local index: no wheel downloads where the
//! index offers PEP 658 files or ranges, pins kept across runs, `--check`,
//! and checked against uv (the pins) and pip (installing the lock).

use crate::support;

use std::path::{Path, PathBuf};

use crate::support::index::{Fault, PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use serde_json::Value;

/// A pinned oracle tool: its env var, else the CI venv, else a failure.
fn tool(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let fallback = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cache/chiron-ci/tools/bin")
        .join(name);
    assert!(
        fallback.is_file(),
        "{name} is missing: set {var} or run `bash .ci/test`, which installs the pinned tools"
    );
    fallback
}

fn run_lock(home: &Path, index_url: &str, args: &[&str]) -> (i32, Value, String) {
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index_url)
        .args(["lock", "--json"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `name==version` of every package of one target in a `--json` report.
fn pins(report: &Value, target: &str) -> Vec<String> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == target)
        .unwrap_or_else(|| panic!("no target {target} in {report}"))["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}=={}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

/// app -> lib -> helper, app needs winonly on Windows and oldonly below
/// 3.11; lib 2.0 has a newer Windows-only build (3.0) and needs 3.11+.
fn graph(index: &TestIndex) -> Vec<String> {
    let mut files = Vec::new();
    let mut add = |spec: WheelSpec| files.push(index.add(&spec).filename);
    add(WheelSpec {
        requires_dist: &[
            "lib>=1",
            "winonly; sys_platform == 'win32'",
            "oldonly; python_version < '3.11'",
        ],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    add(WheelSpec {
        requires_dist: &["helper"],
        ..WheelSpec::new("lib", "1.0", "py3-none-any")
    });
    add(WheelSpec {
        requires_dist: &["helper>=1.1"],
        requires_python: Some(">=3.11"),
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    add(WheelSpec {
        requires_dist: &["helper>=1.1"],
        ..WheelSpec::new("lib", "3.0", "cp312-cp312-win_amd64")
    });
    add(WheelSpec::new("helper", "1.0", "py3-none-any"));
    add(WheelSpec::new("helper", "1.1", "py3-none-any"));
    add(WheelSpec::new("winonly", "1.0", "py3-none-any"));
    add(WheelSpec::new("oldonly", "1.0", "py3-none-any"));
    files
}

const TARGETS: [&str; 4] = [
    "--python",
    "3.10,3.12",
    "--platform",
    "linux-x86_64,windows-x86_64",
];

#[test]
fn pep658_files_and_range_requests_lock_without_downloading_a_wheel() {
    for (format, pep658) in [(PageFormat::Json, true), (PageFormat::Html, false)] {
        let home = tempfile::tempdir().unwrap();
        let index = TestIndex::start(format, pep658);
        let files = graph(&index);
        let (code, report, stderr) = run_lock(
            home.path(),
            &index.url(),
            &[&["app"], &TARGETS[..]].concat(),
        );
        assert_eq!(code, 0, "{format:?}: {stderr}");
        for file in &files {
            assert_eq!(
                index.downloads(file),
                0,
                "{format:?}: {file} was downloaded"
            );
        }
        assert_eq!(report["downloaded"], 0, "{report}");
        let ranged: usize = files.iter().map(|f| index.ranged(f)).sum();
        if pep658 {
            assert_eq!(ranged, 0, "PEP 658 files make range requests needless");
        } else {
            assert!(
                index.ranged("app-1.0-py3-none-any.whl") > 0,
                "no range request for app"
            );
        }
        assert_eq!(
            pins(&report, "3.12-windows-x86_64"),
            ["app==1.0", "helper==1.1", "lib==3.0", "winonly==1.0"]
        );
        assert_eq!(
            pins(&report, "3.10-linux-x86_64"),
            ["app==1.0", "helper==1.1", "lib==1.0", "oldonly==1.0"]
        );
        // The hashes are the index's, and the files are written.
        let text = std::fs::read_to_string(home.path().join("requirements-3.12-linux-x86_64.txt"))
            .unwrap();
        let lib = support::index::sha256_hex(
            &support::index::build_wheel(&WheelSpec {
                requires_dist: &["helper>=1.1"],
                requires_python: Some(">=3.11"),
                ..WheelSpec::new("lib", "2.0", "py3-none-any")
            })
            .1,
        );
        assert!(
            text.contains(&format!("lib==2.0 \\\n    --hash=sha256:{lib}")),
            "{text}"
        );
        assert!(home.path().join("pylock.toml").is_file());
    }
}

#[test]
fn a_server_that_ignores_ranges_costs_one_download_per_locked_file() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Html, false);
    let files = graph(&index);
    index.ignore_ranges();
    let (code, report, stderr) = run_lock(
        home.path(),
        &index.url(),
        &["app", "--python", "3.12", "--platform", "linux-x86_64"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        pins(&report, "3.12-linux-x86_64"),
        ["app==1.0", "helper==1.1", "lib==2.0"]
    );
    let locked = [
        "app-1.0-py3-none-any.whl",
        "helper-1.1-py3-none-any.whl",
        "lib-2.0-py3-none-any.whl",
    ];
    for file in &files {
        let locked = locked.contains(&file.as_str());
        let served = index.downloads(file);
        assert!(
            if locked {
                (1..=2).contains(&served)
            } else {
                served == 0
            },
            "{file} served {served} time(s)"
        );
    }
    // The first range request is how chiron learns that the server ignores
    // ranges: that answer (the whole file) is dropped unread, and never
    // asked for again.
    let served: usize = files.iter().map(|f| index.downloads(f)).sum();
    assert_eq!(served, locked.len() + 1);
    assert_eq!(report["downloaded"], 3, "{report}");
}

#[test]
fn a_find_links_folder_is_read_from_disk_with_no_index() {
    let home = tempfile::tempdir().unwrap();
    let vendor = home.path().join("vendor");
    std::fs::create_dir_all(&vendor).unwrap();
    for spec in [
        WheelSpec {
            requires_dist: &["lib"],
            ..WheelSpec::new("app", "1.0", "py3-none-any")
        },
        WheelSpec::new("lib", "1.0", "py3-none-any"),
    ] {
        let (name, bytes, _) = support::index::build_wheel(&spec);
        std::fs::write(vendor.join(name), bytes).unwrap();
    }
    write_files(
        home.path(),
        &[("requirements.in", "--no-index\n-f ./vendor\napp\n")],
    );
    let (code, report, stderr) = run_lock(
        home.path(),
        &support::closed_port_url("/simple"),
        &[
            "-r",
            "requirements.in",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
            "-o",
            "locks",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(pins(&report, "3.12-linux-x86_64"), ["app==1.0", "lib==1.0"]);
    let lock = std::fs::read_to_string(home.path().join("locks/pylock.toml")).unwrap();
    assert!(
        lock.contains("size = "),
        "sizes of local files are known: {lock}"
    );
}

#[test]
fn a_link_without_a_hash_is_downloaded_to_hash_it_and_the_report_says_so() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Html, false);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    let lib = index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    index.fault(&lib.filename, Fault::NoHash);
    let (code, report, stderr) = run_lock(
        home.path(),
        &index.url(),
        &["app", "--python", "3.12", "--platform", "linux-x86_64"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        report["hashed_by_download"],
        serde_json::json!([lib.filename])
    );
    assert_eq!(index.downloads(&lib.filename), 1);
    assert_eq!(index.downloads("app-1.0-py3-none-any.whl"), 0);
    let text =
        std::fs::read_to_string(home.path().join("requirements-3.12-linux-x86_64.txt")).unwrap();
    assert!(
        text.contains(&format!("--hash=sha256:{}", lib.sha256)),
        "{text}"
    );

    // Also when only a whole download could read its metadata.
    let plain = TestIndex::start(PageFormat::Html, false);
    plain.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    plain.fault(&lib.filename, Fault::NoHash);
    plain.ignore_ranges();
    let other = tempfile::tempdir().unwrap();
    let (code, report, stderr) = run_lock(
        other.path(),
        &plain.url(),
        &["lib", "--python", "3.12", "--platform", "linux-x86_64"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        report["hashed_by_download"],
        serde_json::json!([lib.filename])
    );
    let text =
        std::fs::read_to_string(other.path().join("requirements-3.12-linux-x86_64.txt")).unwrap();
    assert!(
        text.contains(&format!("--hash=sha256:{}", lib.sha256)),
        "{text}"
    );

    // People are told too.
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args([
            "lock",
            "app",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("no sha256 for {}", lib.filename)),
        "{stdout}"
    );
}

#[test]
fn existing_pins_are_kept_until_an_upgrade_is_asked_for() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("tool", "1.0", "py3-none-any"));
    let targets = ["--python", "3.11,3.12", "--platform", "linux-x86_64"];
    let lock = |args: &[&str]| {
        let (code, report, stderr) = run_lock(
            home.path(),
            &index.url(),
            &[&["-r", "requirements.in"], args, &targets[..]].concat(),
        );
        assert_eq!(code, 0, "{args:?}: {stderr}");
        report
    };
    let both = |report: &Value| {
        let a = pins(report, "3.11-linux-x86_64");
        assert_eq!(a, pins(report, "3.12-linux-x86_64"));
        a
    };
    write_files(home.path(), &[("requirements.in", "app\n")]);
    let first = lock(&[]);
    assert_eq!(both(&first), ["app==1.0", "lib==1.0"]);
    assert_eq!(
        first["changes"],
        serde_json::json!([]),
        "nothing to compare with"
    );

    // Newer versions appear: the lock stays as it is, byte for byte.
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.1", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "1.1", "py3-none-any"));
    index.add(&WheelSpec::new("lib", "1.2", "py3-none-any"));
    index.add(&WheelSpec::new("tool", "1.1", "py3-none-any"));
    let before = std::fs::read(home.path().join("pylock.toml")).unwrap();
    let again = lock(&[]);
    assert_eq!(both(&again), ["app==1.0", "lib==1.0"]);
    assert_eq!(again["up_to_date"], true);
    assert_eq!(again["written"], false);
    assert_eq!(
        std::fs::read(home.path().join("pylock.toml")).unwrap(),
        before
    );

    // One package may move; the others stay.
    let moved = lock(&["--upgrade-package", "lib"]);
    assert_eq!(both(&moved), ["app==1.0", "lib==1.2"]);
    let changes: Vec<(String, String, String)> = moved["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["package"].as_str().unwrap().to_string(),
                c["old"].as_str().unwrap().to_string(),
                c["new"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("lib".into(), "1.0".into(), "1.2".into()),
            ("lib".into(), "1.0".into(), "1.2".into())
        ]
    );
    // ... to the version asked for.
    let asked = lock(&["--upgrade-package", "lib==1.1"]);
    assert_eq!(both(&asked), ["app==1.0", "lib==1.1"]);

    // A new requirement: the old pins stay, the new package gets its newest.
    write_files(home.path(), &[("requirements.in", "app\ntool\n")]);
    let added = lock(&[]);
    assert_eq!(both(&added), ["app==1.0", "lib==1.1", "tool==1.1"]);
    assert_eq!(added["changes"][0]["package"], "tool");
    assert_eq!(added["changes"][0]["old"], Value::Null);

    // A pin the inputs no longer allow moves, alone.
    write_files(home.path(), &[("requirements.in", "app\ntool\nlib!=1.1\n")]);
    let excluded = lock(&[]);
    assert_eq!(both(&excluded), ["app==1.0", "lib==1.2", "tool==1.1"]);

    // --upgrade: everything newest.
    let upgraded = lock(&["--upgrade"]);
    assert_eq!(both(&upgraded), ["app==1.1", "lib==1.2", "tool==1.1"]);
}

#[test]
fn check_exits_1_naming_what_would_change_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    let targets = ["--python", "3.12", "--platform", "linux-x86_64"];
    let check = |requirements: &str| {
        chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", index.url())
            .args(["lock", "--check", requirements])
            .args(targets)
            .output()
            .unwrap()
    };
    // No lock yet: stale, and still nothing written.
    let missing = check("app");
    assert_eq!(missing.status.code(), Some(1));
    assert!(!home.path().join("pylock.toml").exists());
    assert!(
        !home
            .path()
            .join("requirements-3.12-linux-x86_64.txt")
            .exists()
    );

    let (code, _, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["app"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let current = check("app");
    assert_eq!(
        current.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&current.stdout)
    );
    assert!(String::from_utf8_lossy(&current.stdout).contains("up to date"));

    index.add(&WheelSpec::new("lib", "1.1", "py3-none-any"));
    let files = ["pylock.toml", "requirements-3.12-linux-x86_64.txt"];
    let read = || files.map(|f| std::fs::read(home.path().join(f)).unwrap());
    let before = read();
    assert_eq!(
        check("app").status.code(),
        Some(0),
        "a newer version alone is no reason"
    );
    let stale = check("lib>=1.1");
    assert_eq!(stale.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&stale.stdout);
    assert!(stdout.contains("would change"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("lib"))
        .unwrap_or_default();
    assert!(
        line.contains("1.0 -> 1.1") && line.contains("3.12-linux-x86_64"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("app") && l.contains("(removed)")),
        "{stdout}"
    );
    assert_eq!(read(), before, "--check wrote something");

    let (code, report, _) = run_lock(
        home.path(),
        &index.url(),
        &[&["--check", "lib>=1.1"], &targets[..]].concat(),
    );
    assert_eq!(code, 1);
    assert_eq!(report["up_to_date"], false);
    assert_eq!(report["written"], false);
    assert!(
        report["changes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"package": "lib", "old": "1.0", "new": "1.1", "target": "3.12-linux-x86_64"})),
        "{report}"
    );
    assert_eq!(read(), before);
}

#[test]
fn bad_input_is_a_usage_error_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    for args in [
        &["lib", "--upgrade-package", "not a name!"][..],
        &["lib", "--lock", "missing/pylock.toml"][..],
        &[][..],
    ] {
        let output = chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", index.url())
            .arg("lock")
            .args(args)
            .args(["--python", "3.12", "--platform", "linux-x86_64"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("hint:"), "{stderr}");
    }
    // A broken lock on disk is named, not overwritten.
    write_files(home.path(), &[("pylock.toml", "this is not toml [")]);
    let (code, _, stderr) = run_lock(
        home.path(),
        &index.url(),
        &["lib", "--python", "3.12", "--platform", "linux-x86_64"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("pylock.toml") && stderr.contains("--upgrade"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("pylock.toml")).unwrap(),
        "this is not toml ["
    );
}

/// `uv pip compile` for one target on the same index: `name==version` lines.
fn uv_pins(home: &Path, index: &TestIndex, python: &str, platform: &str) -> Vec<String> {
    let uv_platform = match platform {
        "linux-x86_64" => "x86_64-unknown-linux-gnu",
        "windows-x86_64" => "x86_64-pc-windows-msvc",
        other => panic!("no uv platform for {other}"),
    };
    let output = std::process::Command::new(tool("CHIRON_TEST_UV", "uv"))
        .current_dir(home)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .args([
            "pip",
            "compile",
            "requirements.in",
            "--only-binary",
            ":all:",
        ])
        .args(["--python-version", python, "--python-platform", uv_platform])
        .args(["--index-url", &index.url(), "--no-header", "--no-annotate"])
        .arg("--cache-dir")
        .arg(home.join("uv-cache"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "uv pip compile: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_pins_equal_uv_pip_compile_for_every_target() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    write_files(home.path(), &[("requirements.in", "app\n")]);
    let (code, report, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[
            "-r",
            "requirements.in",
            "--python",
            "3.10,3.12",
            "--platform",
            "linux-x86_64,windows-x86_64",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    for (python, platform) in [
        ("3.10", "linux-x86_64"),
        ("3.12", "linux-x86_64"),
        ("3.12", "windows-x86_64"),
    ] {
        let target = format!("{python}-{platform}");
        assert_eq!(
            pins(&report, &target),
            uv_pins(home.path(), &index, python, platform),
            "{target}"
        );
    }
}

#[test]
fn the_wheelhouse_installs_exactly_the_lock_and_pip_installs_it_with_hashes() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    let files = graph(&index);
    let python_bin = tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let version = std::process::Command::new(&python_bin)
        .args([
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ])
        .output()
        .unwrap();
    let python = String::from_utf8(version.stdout)
        .unwrap()
        .trim()
        .to_string();
    let host = chiron::python::target::NamedPlatform::host()
        .unwrap()
        .name();
    let platforms = format!("{host},windows-x86_64");
    let targets = ["--python", &python, "--platform", &platforms];
    let (code, report, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["app", "-o", "locks"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let locked: std::collections::BTreeSet<String> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["packages"].as_array().unwrap())
        .map(|p| p["file"].as_str().unwrap().to_string())
        .collect();

    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args([
            "wheelhouse",
            "--json",
            "--lock",
            "locks/pylock.toml",
            "-o",
            "wh",
        ])
        // No target flags: the command the lock's header prints takes the
        // targets the lock records.
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in &files {
        assert_eq!(
            index.downloads(file),
            usize::from(locked.contains(file)),
            "{file}: the wheelhouse downloads each locked file once, nothing else"
        );
    }
    // The wheelhouse's lock is the lock it was built from, with each
    // file's `path` naming the copy beside it (so pip and uv install from
    // the wheelhouse offline); `chiron lock`'s own lock has no paths.
    let wh = home.path().join("wh");
    let built = std::fs::read_to_string(wh.join("pylock.toml")).unwrap();
    let source = std::fs::read_to_string(home.path().join("locks/pylock.toml")).unwrap();
    assert!(!source.contains("\npath = "), "{source}");
    let without_paths: String = built
        .lines()
        .filter(|line| !line.starts_with("path = "))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        without_paths, source,
        "the wheelhouse's lock is the lock it was built from"
    );
    let paths = built.lines().filter(|l| l.starts_with("path = ")).count();
    assert_eq!(paths, built.matches("[[packages.wheels]]").count());

    let venv = home.path().join("venv");
    let made = std::process::Command::new(&python_bin)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success());
    let requirements = home
        .path()
        .join("locks")
        .join(format!("requirements-{python}-{host}.txt"));
    let pip = |args: &[&str]| {
        std::process::Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "--disable-pip-version-check"])
            .args(args)
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_INDEX_URL")
            .output()
            .unwrap()
    };
    let install = pip(&[
        "install",
        "--no-index",
        "--find-links",
        wh.to_str().unwrap(),
        "--require-hashes",
        "-r",
        requirements.to_str().unwrap(),
    ]);
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let freeze = pip(&["freeze"]);
    let frozen: Vec<String> = String::from_utf8_lossy(&freeze.stdout)
        .lines()
        .map(|l| l.to_lowercase())
        .collect();
    assert_eq!(frozen, pins(&report, &format!("{python}-{host}")));
    let check = pip(&["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn the_configured_lock_is_written_and_then_installed_by_the_wheelhouse() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    let files = graph(&index);
    write_files(
        home.path(),
        &[
            (
                "chiron.toml",
                "[inputs]\nrequirements = [\"requirements.in\"]\nlock = \"locks/pylock.toml\"\n\n\
                 [targets]\npython = [\"3.12\"]\nplatforms = [\"linux-x86_64\"]\n",
            ),
            ("requirements.in", "app\n"),
        ],
    );
    // The lock need not exist before the first `chiron lock`.
    let (code, report, stderr) = run_lock(home.path(), &index.url(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        pins(&report, "3.12-linux-x86_64"),
        ["app==1.0", "helper==1.1", "lib==2.0"]
    );
    let locks = home.path().join("locks");
    assert!(locks.join("pylock.toml").is_file());
    assert!(locks.join("requirements-3.12-linux-x86_64.txt").is_file());
    assert!(!home.path().join("pylock.toml").exists());

    // `chiron wheelhouse` installs the configured lock: each file once.
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "--json", "-o", "wh"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in &files {
        let locked = [
            "app-1.0-py3-none-any.whl",
            "helper-1.1-py3-none-any.whl",
            "lib-2.0-py3-none-any.whl",
        ]
        .contains(&file.as_str());
        assert_eq!(index.downloads(file), usize::from(locked), "{file}");
    }
}

#[test]
fn lock_names_another_lock_to_keep_the_pins_of() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    let targets = ["--python", "3.12", "--platform", "linux-x86_64"];
    let (code, _, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["lib", "-o", "old"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    index.add(&WheelSpec::new("lib", "1.1", "py3-none-any"));
    let (code, kept, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[
            &["lib", "-o", "new", "--lock", "old/pylock.toml"],
            &targets[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(pins(&kept, "3.12-linux-x86_64"), ["lib==1.0"]);
    assert!(kept["previous"].as_str().unwrap().ends_with("pylock.toml"));
    assert_eq!(
        std::fs::read(home.path().join("new/pylock.toml")).unwrap(),
        std::fs::read(home.path().join("old/pylock.toml")).unwrap()
    );
    let (code, fresh, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["lib", "-o", "fresh"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(pins(&fresh, "3.12-linux-x86_64"), ["lib==1.1"]);
    assert_eq!(fresh["previous"], Value::Null);
}

#[test]
fn the_pins_of_a_uv_lock_written_by_uv_are_kept() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["helper"],
        ..WheelSpec::new("lib", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("helper", "1.0", "py3-none-any"));
    write_files(
        home.path(),
        &[(
            "pyproject.toml",
            "[project]\nname = \"demo\"\nversion = \"0.1\"\nrequires-python = \">=3.11\"\ndependencies = [\"lib\"]\n",
        )],
    );
    let uv = std::process::Command::new(tool("CHIRON_TEST_UV", "uv"))
        .current_dir(home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .args(["lock", "--index-url", &index.url(), "--python"])
        .arg(tool("CHIRON_TEST_TOOLS_PYTHON", "python"))
        .arg("--cache-dir")
        .arg(home.path().join("uv-cache"))
        .output()
        .unwrap();
    assert!(
        uv.status.success(),
        "uv lock: {}",
        String::from_utf8_lossy(&uv.stderr)
    );
    index.add(&WheelSpec {
        requires_dist: &["helper"],
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("helper", "2.0", "py3-none-any"));
    let targets = [
        "--python",
        "3.12",
        "--platform",
        "linux-x86_64,windows-x86_64",
    ];
    let (code, report, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["lib", "--lock", "uv.lock", "-o", "locks"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    for target in ["3.12-linux-x86_64", "3.12-windows-x86_64"] {
        assert_eq!(
            pins(&report, target),
            ["helper==1.0", "lib==1.0"],
            "{target}"
        );
    }
    assert_eq!(report["changes"], serde_json::json!([]), "{report}");
    // Without the uv.lock, the newest.
    let (code, fresh, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["lib", "-o", "fresh"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        pins(&fresh, "3.12-linux-x86_64"),
        ["helper==2.0", "lib==2.0"]
    );
}

/// The `# via` comments name the input file of each top-level requirement
/// as pip-compile does (`-r requirements.in`, the nested file for a
/// nested `-r`, `name (pyproject.toml)` for a project), several sources
/// each on a line of its own; uv pip compile, which writes pip-compile's
/// format, writes the same lines.
#[test]
fn via_comments_name_the_input_files_as_pip_compile_does() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    write_files(
        home.path(),
        &[
            ("requirements.in", "app\n-r reqs/extra.in\n"),
            ("reqs/extra.in", "lib>=1\n"),
        ],
    );
    let target = ["--python", "3.12", "--platform", "linux-x86_64"];
    let (code, _, stderr) = run_lock(
        home.path(),
        &index.url(),
        &[&["-r", "requirements.in"][..], &target].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let written =
        std::fs::read_to_string(home.path().join("requirements-3.12-linux-x86_64.txt")).unwrap();
    let body: String = written
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let hash = |name: &str, version: &str| {
        let spec = match name {
            "app" => WheelSpec {
                requires_dist: &[
                    "lib>=1",
                    "winonly; sys_platform == 'win32'",
                    "oldonly; python_version < '3.11'",
                ],
                ..WheelSpec::new("app", "1.0", "py3-none-any")
            },
            "lib" => WheelSpec {
                requires_dist: &["helper>=1.1"],
                requires_python: Some(">=3.11"),
                ..WheelSpec::new("lib", version, "py3-none-any")
            },
            _ => WheelSpec::new(name, version, "py3-none-any"),
        };
        support::index::sha256_hex(&support::index::build_wheel(&spec).1)
    };
    assert_eq!(
        body,
        format!(
            "app==1.0 \\\n    --hash=sha256:{}\n    # via -r requirements.in\n\
             helper==1.1 \\\n    --hash=sha256:{}\n    # via lib\n\
             lib==2.0 \\\n    --hash=sha256:{}\n    # via\n    #   -r reqs/extra.in\n    #   app\n",
            hash("app", "1.0"),
            hash("helper", "1.1"),
            hash("lib", "2.0"),
        )
    );

    // uv pip compile writes the same pins, hashes and comments.
    let output = std::process::Command::new(tool("CHIRON_TEST_UV", "uv"))
        .current_dir(home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .args([
            "pip",
            "compile",
            "requirements.in",
            "--only-binary",
            ":all:",
        ])
        .args(["--python-version", "3.12"])
        .args(["--python-platform", "x86_64-unknown-linux-gnu"])
        .args([
            "--index-url",
            &index.url(),
            "--no-header",
            "--generate-hashes",
        ])
        .arg("--cache-dir")
        .arg(home.path().join("uv-cache"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "uv pip compile: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), body);

    // A project's dependencies are named after the project; requirements
    // from the command line are named by nothing.
    write_files(
        home.path(),
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"demo-app\"\nversion = \"1\"\ndependencies = [\"app\"]\n",
            ),
            ("chiron.toml", "[inputs]\npyproject = \"pyproject.toml\"\n"),
        ],
    );
    let (code, _, stderr) = run_lock(home.path(), &index.url(), &target);
    assert_eq!(code, 0, "{stderr}");
    let written =
        std::fs::read_to_string(home.path().join("requirements-3.12-linux-x86_64.txt")).unwrap();
    assert!(
        written.contains("app==1.0 \\\n    --hash=sha256:")
            && written.contains("    # via demo-app (pyproject.toml)\n"),
        "{written}"
    );
    let (code, _, stderr) = run_lock(home.path(), &index.url(), &[&["app"][..], &target].concat());
    assert_eq!(code, 0, "{stderr}");
    let written =
        std::fs::read_to_string(home.path().join("requirements-3.12-linux-x86_64.txt")).unwrap();
    let app = written
        .split("app==1.0")
        .nth(1)
        .and_then(|rest| rest.split("helper==").next())
        .unwrap_or_default();
    assert!(!app.contains("# via"), "{written}");
    assert!(written.contains("    # via app\n"), "{written}");
}
