//! `chiron wheelhouse` end to end on a local index, checked by real pip.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::support::index::{Fault, PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use serde_json::Value;

fn host_python() -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ])
        .output()
        .expect("python3 is installed by .ci/run");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn host_platform() -> String {
    chiron::python::target::NamedPlatform::host()
        .unwrap()
        .name()
        .to_string()
}

/// app -> lib -> helper; app needs winonly on Windows and oldonly below 3.11.
fn graph(index: &TestIndex) {
    index.add(&WheelSpec {
        requires_dist: &[
            "lib>=1",
            "winonly; sys_platform == 'win32'",
            "oldonly; python_version < '3.11'",
            "extra-dep; extra == 'fancy'",
        ],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        requires_dist: &["helper"],
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("helper", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("winonly", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("oldonly", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("extra-dep", "1.0", "py3-none-any"));
}

fn wheelhouse(home: &Path, index: &TestIndex, args: &[&str]) -> (i32, Value, String) {
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "--json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        stderr,
    )
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn pip_installs_the_host_lock_offline_with_hashes_and_pip_check_is_clean() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    graph(&index);
    let python = host_python();
    let platforms = format!("{},windows-x86_64", host_platform());
    let (code, report, stderr) = wheelhouse(
        home.path(),
        &index,
        &[
            "app[fancy]",
            "--python",
            &python,
            "--platform",
            &platforms,
            "--out",
            "wh",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["up_to_date"], false);
    let wh = home.path().join("wh");
    let host_lock = format!("requirements-{python}-{}.txt", host_platform());
    let windows_lock = format!("requirements-{python}-windows-x86_64.txt");
    let host_text = std::fs::read_to_string(wh.join(&host_lock)).unwrap();
    let windows_text = std::fs::read_to_string(wh.join(&windows_lock)).unwrap();
    assert!(host_text.contains("app[fancy]==1.0"), "{host_text}");
    assert!(host_text.contains("extra-dep==1.0"), "{host_text}");
    assert!(host_text.contains("    # via lib"), "{host_text}");
    assert!(
        !host_text.contains("winonly"),
        "a Windows-only dependency on {host_lock}"
    );
    assert!(windows_text.contains("winonly==1.0"), "{windows_text}");

    let venv = home.path().join("venv");
    assert!(
        std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    let pip = |args: &[&str]| {
        std::process::Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "--disable-pip-version-check"])
            .args(args)
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_INDEX_URL")
            .current_dir(&wh)
            .output()
            .unwrap()
    };
    let install = pip(&[
        "install",
        "--no-index",
        "--find-links",
        ".",
        "--require-hashes",
        "-r",
        &host_lock,
    ]);
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let check = pip(&["check"]);
    assert!(
        check.status.success(),
        "pip check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn an_unchanged_wheelhouse_is_up_to_date_without_touching_the_index() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    let args = [
        "app",
        "--python",
        "3.12",
        "--platform",
        "linux-x86_64,macos-arm64",
        "--out",
        "wh",
    ];
    assert_eq!(wheelhouse(home.path(), &index, &args).0, 0);
    let before = snapshot(&home.path().join("wh"));
    let requests = index.requests().len();
    let started = std::time::Instant::now();
    let (code, report, _) = wheelhouse(home.path(), &index, &args);
    assert_eq!(code, 0);
    assert_eq!(report["up_to_date"], true);
    assert_eq!(report["downloaded"], 0);
    assert_eq!(index.requests().len(), requests, "the index was contacted");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(snapshot(&home.path().join("wh")), before);
    // A pure wheel shared by both targets was downloaded once.
    assert_eq!(index.downloads("helper-1.0-py3-none-any.whl"), 1);
}

#[test]
fn locked_refuses_changed_inputs() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    assert_eq!(
        wheelhouse(
            home.path(),
            &index,
            &["app", "--python", "3.12", "--out", "wh", "--locked"]
        )
        .0,
        1,
        "nothing to be locked to yet"
    );
    assert_eq!(
        wheelhouse(
            home.path(),
            &index,
            &["app", "--python", "3.12", "--out", "wh"]
        )
        .0,
        0
    );
    let (code, _, _) = wheelhouse(
        home.path(),
        &index,
        &["app", "--python", "3.12", "--out", "wh", "--locked"],
    );
    assert_eq!(code, 0);
    let (code, _, stderr) = wheelhouse(
        home.path(),
        &index,
        &["app", "lib", "--python", "3.12", "--out", "wh", "--locked"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("the inputs changed"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn a_run_killed_during_download_leaves_the_previous_wheelhouse_intact() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    index.add(&WheelSpec::new("slow", "1.0", "py3-none-any"));
    index.fault(
        "slow-1.0-py3-none-any.whl",
        Fault::Stall(Duration::from_secs(60)),
    );
    assert_eq!(
        wheelhouse(
            home.path(),
            &index,
            &["app", "--python", "3.12", "--out", "wh"]
        )
        .0,
        0
    );
    let before = snapshot(&home.path().join("wh"));

    let binary = assert_cmd::cargo::cargo_bin("chiron");
    // Killed below: its coverage counts (possibly truncated) go to a
    // scratch folder, never into the coverage merge.
    let scratch = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(binary);
    if std::env::var_os("LLVM_PROFILE_FILE").is_some() {
        command.env("LLVM_PROFILE_FILE", scratch.path().join("%p-%m.profraw"));
    }
    let mut child = command
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .env("CHIRON_CACHE_DIR", home.path().join("cache"))
        .env("PIP_TIMEOUT", "120")
        .args([
            "wheelhouse",
            "app",
            "slow",
            "--python",
            "3.12",
            "--out",
            "wh",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the stalled download has started, then kill.
    let started = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        index.downloads("slow-1.0-py3-none-any.whl") > 0
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started, "the slow download never started");
    assert_eq!(
        snapshot(&home.path().join("wh")),
        before,
        "the wheelhouse changed"
    );
}

#[test]
fn conflicts_are_explained_and_nothing_is_written() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Html, false);
    index.add(&WheelSpec {
        requires_dist: &["common<2"],
        ..WheelSpec::new("left", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        requires_dist: &["common>=2"],
        ..WheelSpec::new("right", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("common", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("common", "2.0", "py3-none-any"));
    let (code, _, stderr) = wheelhouse(
        home.path(),
        &index,
        &[
            "left",
            "right",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
            "--out",
            "wh",
        ],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("on target 3.12-linux-x86_64"), "{stderr}");
    assert!(stderr.contains("left depends on common <2"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!home.path().join("wh").exists());
    let leftovers: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_manifest_matches_its_schema_and_the_files() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    write_files(home.path(), &[("requirements.txt", "app\n")]);
    assert_eq!(
        wheelhouse(
            home.path(),
            &index,
            &[
                "-r",
                "requirements.txt",
                "--python",
                "3.10,3.12",
                "--platform",
                "linux-x86_64",
                "--out",
                "wh"
            ]
        )
        .0,
        0
    );
    let wh = home.path().join("wh");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(wh.join("manifest.json")).unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/manifest.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Every file is listed with its real hash; every listed file exists.
    let files = manifest["files"].as_array().unwrap();
    for file in files {
        let bytes = std::fs::read(wh.join(file["filename"].as_str().unwrap())).unwrap();
        assert_eq!(file["sha256"], support::index::sha256_hex(&bytes));
    }
    let sums = std::fs::read_to_string(wh.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), files.len());
    // oldonly is needed only below 3.11, and the manifest says why.
    let oldonly = manifest["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "oldonly")
        .unwrap();
    assert_eq!(
        oldonly["targets"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["3.10-linux-x86_64"]
    );
    assert_eq!(
        oldonly["targets"]["3.10-linux-x86_64"]["required_by"],
        serde_json::json!(["app"])
    );
    assert_eq!(
        manifest["inputs"]["files"][0]["path"].as_str().unwrap(),
        home.path().join("requirements.txt").display().to_string()
    );
    // Same inputs, same bytes.
    let first = std::fs::read(wh.join("manifest.json")).unwrap();
    std::fs::remove_dir_all(&wh).unwrap();
    assert_eq!(
        wheelhouse(
            home.path(),
            &index,
            &[
                "-r",
                "requirements.txt",
                "--python",
                "3.10,3.12",
                "--platform",
                "linux-x86_64",
                "--out",
                "wh"
            ]
        )
        .0,
        0
    );
    assert_eq!(std::fs::read(wh.join("manifest.json")).unwrap(), first);
}

#[test]
fn the_configuration_names_inputs_and_targets() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    write_files(
        home.path(),
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"svc\"\ndependencies = [\"lib\"]\n[dependency-groups]\nops = [\"app\"]\n",
            ),
            (
                "chiron.toml",
                "[inputs]\npyproject = \"pyproject.toml\"\ngroups = [\"ops\"]\n[targets]\npython = [\"3.12\"]\nplatforms = [\"windows-x86_64\"]\n[wheelhouse]\ndir = \"dist/wheels\"\n",
            ),
        ],
    );
    let (code, report, stderr) = wheelhouse(home.path(), &index, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["targets"][0]["name"], "3.12-windows-x86_64");
    let lock = std::fs::read_to_string(
        home.path()
            .join("dist/wheels/requirements-3.12-windows-x86_64.txt"),
    )
    .unwrap();
    for name in ["app==1.0", "lib==2.0", "helper==1.0", "winonly==1.0"] {
        assert!(lock.contains(name), "{name} missing: {lock}");
    }
}

#[test]
fn the_pylock_read_back_gives_the_same_wheelhouse() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    graph(&index);
    let targets = [
        "--python",
        "3.10,3.12",
        "--platform",
        "linux-x86_64,windows-x86_64",
    ];
    let (code, _, stderr) = wheelhouse(
        home.path(),
        &index,
        &[&["app[fancy]", "--out", "first"], &targets[..]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let first = home.path().join("first");
    let lock_text = std::fs::read_to_string(first.join("pylock.toml")).unwrap();
    assert!(lock_text.contains("lock-version = \"1.0\""), "{lock_text}");
    let lock: toml::Table = toml::from_str(&lock_text).unwrap();
    let packages = lock["packages"].as_array().unwrap();
    let marker_of = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .unwrap()
            .get("marker")
            .map(|m| m.as_str().unwrap().to_string())
    };
    assert_eq!(marker_of("lib"), None, "lib is needed everywhere");
    let winonly = marker_of("winonly").unwrap();
    assert!(
        winonly.contains("sys_platform == 'win32'") && !winonly.contains("linux"),
        "{winonly}"
    );
    assert!(
        marker_of("oldonly")
            .unwrap()
            .contains("python_version == '3.10'")
    );

    // Read back: no resolution, the files come from the URLs in the lock.
    let (code, report, stderr) = wheelhouse(
        home.path(),
        &index,
        &[
            &["--lock", "first/pylock.toml", "--out", "second"],
            &targets[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["up_to_date"], false);
    let second = home.path().join("second");
    let mut a = snapshot(&first);
    let mut b = snapshot(&second);
    // The inputs differ (requirements vs the lock), so the manifests differ there only.
    let manifest_a: Value = serde_json::from_slice(&a.remove("manifest.json").unwrap()).unwrap();
    let manifest_b: Value = serde_json::from_slice(&b.remove("manifest.json").unwrap()).unwrap();
    for key in ["targets", "packages", "files"] {
        assert_eq!(manifest_a[key], manifest_b[key], "manifest {key}");
    }
    assert_eq!(a, b, "wheels, locks and checksums must be identical");
}

#[test]
fn a_uv_lock_is_installed_as_it_is_per_target() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    let mut files = BTreeMap::new();
    for (name, version) in [
        ("app", "1.0"),
        ("lib", "2.0"),
        ("helper", "1.0"),
        ("winonly", "1.0"),
        ("oldonly", "1.0"),
        ("extra-dep", "1.0"),
    ] {
        let served = index.add(&WheelSpec::new(name, version, "py3-none-any"));
        files.insert(name, served);
    }
    let wheel = |name: &str| {
        let f = &files[name];
        format!(
            "wheels = [{{ url = \"{}\", hash = \"sha256:{}\", size = {} }}]",
            index.server.url(&format!("/files/{}", f.filename)),
            f.sha256,
            f.bytes.len()
        )
    };
    let registry = index.url();
    let lock = format!(
        r#"version = 1
revision = 2
requires-python = ">=3.10"

[[package]]
name = "svc"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [
    {{ name = "app" }},
    {{ name = "winonly", marker = "sys_platform == 'win32'" }},
]

[package.dev-dependencies]
ops = [{{ name = "extra-dep" }}]

[[package]]
name = "app"
version = "1.0"
source = {{ registry = "{registry}" }}
dependencies = [
    {{ name = "lib" }},
    {{ name = "oldonly", marker = "python_full_version < '3.11'" }},
]
{app}

[[package]]
name = "lib"
version = "2.0"
source = {{ registry = "{registry}" }}
dependencies = [{{ name = "helper" }}]
{lib}

[[package]]
name = "helper"
version = "1.0"
source = {{ registry = "{registry}" }}
{helper}

[[package]]
name = "winonly"
version = "1.0"
source = {{ registry = "{registry}" }}
{winonly}

[[package]]
name = "oldonly"
version = "1.0"
source = {{ registry = "{registry}" }}
{oldonly}

[[package]]
name = "extra-dep"
version = "1.0"
source = {{ registry = "{registry}" }}
{extra}
"#,
        app = wheel("app"),
        lib = wheel("lib"),
        helper = wheel("helper"),
        winonly = wheel("winonly"),
        oldonly = wheel("oldonly"),
        extra = wheel("extra-dep"),
    );
    write_files(home.path(), &[("uv.lock", &lock)]);
    let (code, _, stderr) = wheelhouse(
        home.path(),
        &index,
        &[
            "--lock",
            "uv.lock",
            "--group",
            "ops",
            "--python",
            "3.10,3.12",
            "--platform",
            "linux-x86_64,windows-x86_64",
            "--out",
            "wh",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let names = |target: &str| -> Vec<String> {
        std::fs::read_to_string(home.path().join(format!("wh/requirements-{target}.txt")))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with([' ', '#']))
            .map(|l| l.split("==").next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("3.10-linux-x86_64"),
        ["app", "extra-dep", "helper", "lib", "oldonly"]
    );
    assert_eq!(
        names("3.12-windows-x86_64"),
        ["app", "extra-dep", "helper", "lib", "winonly"]
    );
    let lock_text =
        std::fs::read_to_string(home.path().join("wh/requirements-3.12-windows-x86_64.txt"))
            .unwrap();
    assert!(
        lock_text.contains("helper==1.0 \\\n    --hash=sha256:") && lock_text.contains("# via lib"),
        "{lock_text}"
    );
    // Nothing was resolved: no index page was read.
    assert!(
        index
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/simple/"))
    );
}

#[test]
fn sdists_with_static_metadata_need_allow_sdist() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    graph(&index);
    let sdist = index.add_sdist("pure-src", "1.0", "2.2", &["helper"], &[]);
    let args = [
        "pure-src",
        "--python",
        "3.12",
        "--platform",
        "linux-x86_64",
        "--out",
        "wh",
    ];
    let (code, _, stderr) = wheelhouse(home.path(), &index, &args);
    assert_eq!(code, 1);
    assert!(stderr.contains("--allow-sdist"), "{stderr}");

    let (code, _, stderr) = wheelhouse(
        home.path(),
        &index,
        &[&args[..], &["--allow-sdist"]].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    let lock =
        std::fs::read_to_string(home.path().join("wh/requirements-3.12-linux-x86_64.txt")).unwrap();
    assert!(
        lock.contains(&format!(
            "pure-src==1.0 \\\n    --hash=sha256:{}",
            sdist.sha256
        )),
        "{lock}"
    );
    assert!(
        lock.contains("helper==1.0"),
        "the sdist's static Requires-Dist was followed: {lock}"
    );
    let pylock = std::fs::read_to_string(home.path().join("wh/pylock.toml")).unwrap();
    assert!(pylock.contains("[packages.sdist]"), "{pylock}");
}

#[test]
fn sdists_with_dynamic_metadata_are_explained() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    index.add_sdist("old-src", "1.0", "2.1", &[], &[]);
    index.add_sdist("dyn-src", "1.0", "2.2", &[], &["Requires-Dist"]);
    for (name, reason) in [
        ("old-src", "older than 2.2"),
        (
            "dyn-src",
            "declares Requires-Dist or Requires-Python dynamic",
        ),
    ] {
        let (code, _, stderr) = wheelhouse(
            home.path(),
            &index,
            &[name, "--python", "3.12", "--allow-sdist", "--out", "wh"],
        );
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("cannot be used without building"),
            "{stderr}"
        );
        assert!(stderr.contains(reason), "{stderr}");
    }
}

/// `--hash` pins in a requirements file are enforced as pip's
/// hash-checking mode does: a file whose hash is not pinned, or a package
/// without a pin once others have one, fails the run and writes nothing.
/// pip, given the same file and index, agrees on each verdict.
#[test]
fn hash_pins_in_requirements_files_are_enforced_as_pip_does() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = TestIndex::start(PageFormat::Json, false);
    graph(&index);
    let python = host_python();
    let platform = host_platform();
    let (code, _, stderr) = wheelhouse(
        h,
        &index,
        &[
            "app",
            "--python",
            &python,
            "--platform",
            &platform,
            "--out",
            "wh",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let pinned =
        std::fs::read_to_string(h.join(format!("wh/requirements-{python}-{platform}.txt")))
            .unwrap();
    let lib_hash = pinned
        .split("lib==2.0")
        .nth(1)
        .and_then(|rest| rest.split("--hash=sha256:").nth(1))
        .map(|rest| rest[..64].to_string())
        .unwrap();
    let wrong = pinned.replace(&lib_hash, &"0".repeat(64));
    let unpinned_helper: String = {
        // helper's line and its hash continuation removed, then pinned by name only.
        let mut out = String::new();
        let mut skipping = false;
        for line in pinned.lines() {
            if line.starts_with("helper==") {
                skipping = true;
                out.push_str("helper==1.0\n");
                continue;
            }
            if skipping && line.starts_with("    --hash") {
                continue;
            }
            skipping = false;
            out.push_str(line);
            out.push('\n');
        }
        out
    };
    write_files(
        h,
        &[
            ("good.txt", &pinned),
            ("wrong.txt", &wrong),
            ("partial.txt", &unpinned_helper),
        ],
    );
    let pip = support::oracle_tool("CHIRON_TEST_PIP", "pip");
    for (file, ok, message) in [
        ("good.txt", true, ""),
        ("wrong.txt", false, "not one of the pinned"),
        ("partial.txt", false, "none pin helper"),
    ] {
        let out = format!("out-{file}");
        let (code, _, stderr) = wheelhouse(
            h,
            &index,
            &[
                "-r",
                file,
                "--python",
                &python,
                "--platform",
                &platform,
                "--out",
                &out,
            ],
        );
        assert_eq!(code == 0, ok, "{file}: {stderr}");
        assert!(stderr.contains(message), "{file}: {stderr}");
        assert_eq!(h.join(&out).exists(), ok, "{file}");
        let pip_ok = std::process::Command::new(&pip)
            .args([
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
            ])
            .arg(h.join(format!("pip-{file}")))
            .args(["--index-url", &index.url(), "-r"])
            .arg(h.join(file))
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_FIND_LINKS")
            .output()
            .unwrap()
            .status
            .success();
        assert_eq!(pip_ok, ok, "pip's verdict on {file}");
        // chiron lock checks the same pins.
        let output = chiron(h)
            .current_dir(h)
            .env("PIP_INDEX_URL", index.url())
            .args([
                "lock",
                "-r",
                file,
                "--python",
                &python,
                "--platform",
                &platform,
            ])
            .args(["-o", &format!("lock-{file}")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.success(), ok, "lock {file}: {stderr}");
    }
}
