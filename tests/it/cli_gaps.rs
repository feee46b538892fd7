//! A target that cannot be served (a package without a wheel for it):
//! by default every gap is named with its fix and nothing is written;
//! with `--allow-gaps` the other targets are written and each gap is
//! recorded in the manifest, the SBOM and the policy report. pip is the
//! oracle for "this target really has no wheel" and for the install.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use serde_json::Value;

fn host_python() -> String {
    let output = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3 is installed by .ci/run");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// `cp312` for `3.12`.
fn cp(python: &str) -> String {
    format!("cp{}", python.replace('.', ""))
}

/// This machine's Linux platform and the other Linux architecture.
fn linux_platforms() -> (String, String) {
    let host = chiron::python::target::NamedPlatform::host()
        .expect("tests run on a platform chiron names")
        .name()
        .to_string();
    let other = if host == "linux-aarch64" {
        "linux-x86_64"
    } else {
        "linux-aarch64"
    };
    (host, other.to_string())
}

fn run(home: &Path, index: &TestIndex, args: &[&str]) -> (i32, Value, String) {
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "--json"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
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

fn read_json(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// `app` (pure Python) needs `native`, which has Linux wheels for both
/// architectures but, for macOS, only `macosx_12_0_arm64`.
fn mac12_index(python: &str) -> TestIndex {
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["native"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    let cp = cp(python);
    for platform in [
        "manylinux_2_17_x86_64",
        "manylinux_2_17_aarch64",
        "macosx_12_0_arm64",
    ] {
        index.add(&WheelSpec::new(
            "native",
            "1.0",
            &format!("{cp}-{cp}-{platform}"),
        ));
    }
    index
}

/// `pip download` of exactly one target, as the oracle for "no wheel".
fn pip_download(home: &Path, index: &TestIndex, python: &str, platform: &str) -> bool {
    let pip = std::env::var("CHIRON_TEST_PIP").unwrap_or_else(|_| "pip".into());
    let dest = home.join(format!("pip-{platform}"));
    let output = Command::new(&pip)
        .args([
            "download",
            "native",
            "--only-binary",
            ":all:",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--python-version",
            python,
            "--platform",
            platform,
            "--index-url",
            &index.url(),
            "--dest",
        ])
        .arg(&dest)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .output()
        .unwrap_or_else(|e| panic!("{pip} (installed by .ci/run) cannot run: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        assert!(
            stderr.contains("No matching distribution") || stderr.contains("from versions: none"),
            "pip failed for another reason: {stderr}"
        );
    }
    output.status.success()
}

#[test]
fn a_gap_fails_the_run_names_the_fix_and_keeps_the_previous_wheelhouse() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let python = host_python();
    let index = mac12_index(&python);
    let (host, other) = linux_platforms();

    // A previous wheelhouse, for the host only.
    let (code, _, stderr) = run(
        h,
        &index,
        &[
            "app",
            "--python",
            &python,
            "--platform",
            &host,
            "--out",
            "wh",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let before = snapshot(&h.join("wh"));

    let platforms = format!("macos-arm64,{host},{other}");
    let (code, report, stderr) = run(
        h,
        &index,
        &[
            "app",
            "--python",
            &python,
            "--platform",
            &platforms,
            "--out",
            "wh",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let mac = format!("{python}-macos-arm64");
    assert!(
        stderr.contains("1 of the 3 declared targets cannot be served; nothing was written"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "on target {mac} (CPython {python} on macos-arm64): no wheel of native fits"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("app depends on native"), "{stderr}");
    assert!(
        stderr.contains("it has wheels for macosx_12_0_arm64"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix native: set [targets] min-macos = \"12.0\""),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(stderr.contains("--allow-gaps"), "{stderr}");
    // The same gap, for machines.
    let gaps = report["error"]["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{report:#}");
    assert_eq!(gaps[0]["name"], mac.as_str());
    assert_eq!(gaps[0]["packages"][0]["package"], "native");
    assert_eq!(
        gaps[0]["packages"][0]["offered"]["platform_tags"],
        serde_json::json!([
            "macosx_12_0_arm64",
            "manylinux_2_17_aarch64",
            "manylinux_2_17_x86_64"
        ])
    );

    // Nothing written: the previous wheelhouse is intact, no staging left.
    assert_eq!(snapshot(&h.join("wh")), before);
    let leftovers: Vec<_> = std::fs::read_dir(h)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // pip agrees that macOS 11 has no wheel, and that the hinted floor does.
    assert!(!pip_download(h, &index, &python, "macosx_11_0_arm64"));
    assert!(pip_download(h, &index, &python, "macosx_12_0_arm64"));
}

#[test]
fn allow_gaps_writes_the_servable_targets_and_records_the_gap() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let python = host_python();
    let index = mac12_index(&python);
    let (host, other) = linux_platforms();
    let platforms = format!("macos-arm64,{host},{other}");
    let (code, report, stderr) = run(
        h,
        &index,
        &[
            "app",
            "--python",
            &python,
            "--platform",
            &platforms,
            "--out",
            "wh",
            "--allow-gaps",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: 1 declared target(s) not served, gaps allowed"),
        "{stderr}"
    );
    let mac = format!("{python}-macos-arm64");
    assert!(
        stderr.contains(&format!("{mac}: no wheel of native")),
        "{stderr}"
    );
    assert_eq!(report["gaps"][0]["name"], mac.as_str(), "{report:#}");
    assert_eq!(report["targets"].as_array().unwrap().len(), 2);

    // The manifest alone says, for every declared target, where its
    // requirements are or why there are none.
    let wh = h.join("wh");
    let manifest = read_json(&wh.join("manifest.json"));
    let schema =
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/manifest.schema.json"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    for platform in ["macos-arm64", host.as_str(), other.as_str()] {
        let name = format!("{python}-{platform}");
        let served = manifest["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name.as_str());
        let gap = manifest["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name.as_str());
        match (served, gap) {
            (Some(target), None) => {
                let file = target["requirements_file"].as_str().unwrap();
                let text = std::fs::read_to_string(wh.join(file)).unwrap();
                assert!(text.contains("native==1.0"), "{text}");
            }
            (None, Some(gap)) => {
                assert_eq!(name, mac);
                assert_eq!(gap["platform"], "macos-arm64");
                let package = &gap["packages"][0];
                assert_eq!(package["package"], "native");
                assert_eq!(package["offered"]["version"], "1.0");
                assert!(
                    package["hint"]
                        .as_str()
                        .unwrap()
                        .contains("min-macos = \"12.0\""),
                    "{gap:#}"
                );
                assert!(
                    gap["reason"]
                        .as_str()
                        .unwrap()
                        .contains("app depends on native"),
                    "{gap:#}"
                );
            }
            other => panic!("{name}: served and gap {other:?}"),
        }
    }
    assert!(!wh.join(format!("requirements-{mac}.txt")).exists());
    // The lock covers the served targets only.
    let pylock = std::fs::read_to_string(wh.join("pylock.toml")).unwrap();
    assert!(!pylock.contains("darwin"), "{pylock}");

    // The SBOM says what it does not cover, valid against both schemas.
    let gap_of = |bom: &Value| -> Vec<String> {
        bom["metadata"]["properties"]
            .as_array()
            .unwrap_or_else(|| panic!("no metadata properties: {bom:#}"))
            .iter()
            .filter(|p| p["name"] == "chiron:gap")
            .map(|p| p["value"].as_str().unwrap().to_string())
            .collect()
    };
    let bom = read_json(&wh.join("sbom.cdx.json"));
    let found = support::schemas::cyclonedx_errors(&bom, "1.6");
    assert!(found.is_empty(), "CycloneDX 1.6: {found:#?}");
    let lines = gap_of(&bom);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("{mac} native: ")),
        "{lines:?}"
    );
    assert!(lines[0].contains("min-macos = \"12.0\""), "{lines:?}");
    let output = chiron(h)
        .current_dir(h)
        .args(["sbom", "wh", "--spec-version", "1.5"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bom15: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = support::schemas::cyclonedx_errors(&bom15, "1.5");
    assert!(found.is_empty(), "CycloneDX 1.5: {found:#?}");
    assert_eq!(gap_of(&bom15), lines);

    // SPDX says it in the document's comment, and the SPDX tools accept it.
    let output = chiron(h)
        .current_dir(h)
        .args(["sbom", "wh", "--format", "spdx", "-o", "wh.spdx.json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let spdx = read_json(&h.join("wh.spdx.json"));
    assert!(
        spdx["comment"]
            .as_str()
            .unwrap_or_default()
            .contains(&lines[0]),
        "{spdx:#}"
    );
    // spdx-tools wants a domain with a TLD (see tests/it/sbom.rs): validate a
    // copy whose loopback download locations name a `.test` domain.
    let text = std::fs::read_to_string(h.join("wh.spdx.json")).unwrap();
    let portable = text.replace(&index.server.url(""), "https://files.pypi.test");
    std::fs::write(h.join("portable.spdx.json"), portable).unwrap();
    if let Some(complaints) = support::schemas::spdx_tools_errors(&h.join("portable.spdx.json")) {
        panic!("pyspdxtools rejects the document:\n{complaints}");
    }

    // The gate reports the gap as a warning, and passes.
    let policy = read_json(&wh.join("policy.json"));
    assert_eq!(policy["passed"], true, "{policy:#}");
    let finding = policy["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "target-gap")
        .unwrap_or_else(|| panic!("no target-gap finding: {policy:#}"));
    assert_eq!(finding["level"], "warning");
    assert_eq!(finding["package"], "native");
    assert!(
        finding["reason"].as_str().unwrap().contains(&mac),
        "{finding:#}"
    );

    // A gapped wheelhouse is resolved again, to the same bytes.
    let first = std::fs::read(wh.join("manifest.json")).unwrap();
    let (code, report, stderr) = run(
        h,
        &index,
        &[
            "app",
            "--python",
            &python,
            "--platform",
            &platforms,
            "--out",
            "wh",
            "--allow-gaps",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["up_to_date"], false);
    assert_eq!(std::fs::read(wh.join("manifest.json")).unwrap(), first);

    // The missing target is not tampering.
    chiron(h)
        .current_dir(h)
        .args(["verify", "wh"])
        .assert()
        .success();

    // Real pip installs the host's target offline, every hash checked.
    let venv = h.join("venv");
    assert!(
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    let install = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
            ".",
            "--require-hashes",
            "-r",
        ])
        .arg(format!("requirements-{python}-{host}.txt"))
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .current_dir(&wh)
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let listed = Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "list", "--format=freeze"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("native==1.0") && listed.contains("app==1.0"),
        "{listed}"
    );
}

#[test]
fn every_gap_of_every_target_is_named_in_one_run() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = TestIndex::start(PageFormat::Html, false);
    // native: macOS wheels from 12.0 only. pyonly 2.0: no wheel for 3.13,
    // but 1.0 is pure Python.
    for cp in ["cp312", "cp313"] {
        for platform in ["manylinux_2_17_x86_64", "macosx_12_0_arm64"] {
            index.add(&WheelSpec::new(
                "native",
                "1.0",
                &format!("{cp}-{cp}-{platform}"),
            ));
        }
    }
    index.add(&WheelSpec::new("pyonly", "1.0", "py3-none-any"));
    for platform in ["manylinux_2_17_x86_64", "macosx_11_0_arm64"] {
        index.add(&WheelSpec::new(
            "pyonly",
            "2.0",
            &format!("cp312-cp312-{platform}"),
        ));
    }
    let args = [
        "native",
        "pyonly>=2",
        "--python",
        "3.12,3.13",
        "--platform",
        "linux-x86_64,macos-arm64",
        "--out",
        "wh",
    ];
    let (code, report, stderr) = run(h, &index, &args);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("3 of the 4 declared targets cannot be served"),
        "{stderr}"
    );
    let named: Vec<(String, Vec<String>)> = report["error"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["package"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let expected = |name: &str, packages: &[&str]| {
        (
            name.to_string(),
            packages.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        named,
        [
            expected("3.12-macos-arm64", &["native"]),
            expected("3.13-linux-x86_64", &["pyonly"]),
            expected("3.13-macos-arm64", &["native", "pyonly"]),
        ]
    );
    for target in ["3.12-macos-arm64", "3.13-linux-x86_64", "3.13-macos-arm64"] {
        assert!(stderr.contains(&format!("on target {target} ")), "{stderr}");
    }
    assert!(
        stderr.contains("fix native: set [targets] min-macos = \"12.0\""),
        "{stderr}"
    );
    // A Python without wheels: drop it, or pin the older release that has one.
    assert!(
        stderr.contains(
            "fix pyonly: drop Python 3.13 from [targets] python (pyonly has wheels for Python 3.12 on linux-x86_64)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "pin the older release pyonly==1.0, the newest with a wheel for 3.13-linux-x86_64"
        ),
        "{stderr}"
    );
    assert!(!h.join("wh").exists());

    // Allowed, the one servable target is written and the three recorded.
    let mut allowed = args.to_vec();
    allowed.push("--allow-gaps");
    let (code, report, stderr) = run(h, &index, &allowed);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["targets"][0]["name"], "3.12-linux-x86_64");
    let manifest = read_json(&h.join("wh/manifest.json"));
    let gaps: Vec<&str> = manifest["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        gaps,
        ["3.12-macos-arm64", "3.13-linux-x86_64", "3.13-macos-arm64"]
    );
    let policy = read_json(&h.join("wh/policy.json"));
    let gap_findings = policy["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "target-gap")
        .count();
    assert_eq!(gap_findings, 4, "{policy:#}");
}

#[test]
fn the_flag_wins_over_on_gap_fail_and_the_policy_can_fail_gaps() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = mac12_index("3.12");
    let config = |on_gap: &str, require: bool| {
        format!(
            "[inputs]\nrequirements = [\"requirements.txt\"]\n\
             [targets]\npython = [\"3.12\"]\nplatforms = [\"linux-x86_64\", \"macos-arm64\"]\non-gap = \"{on_gap}\"\n\
             [policy]\nrequire-all-targets = {require}\n"
        )
    };
    write_files(
        h,
        &[
            ("requirements.txt", "app\n"),
            ("chiron.toml", &config("fail", false)),
        ],
    );
    let (code, _, stderr) = run(h, &index, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!h.join("wheelhouse").exists());
    let (code, _, stderr) = run(h, &index, &["--allow-gaps"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        h.join("wheelhouse/requirements-3.12-linux-x86_64.txt")
            .is_file()
    );

    // on-gap = "skip" writes it too; require-all-targets fails the gate.
    write_files(h, &[("chiron.toml", &config("skip", true))]);
    let (code, report, stderr) = run(h, &index, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["policy"]["passed"], false, "{report:#}");
    let policy = read_json(&h.join("wheelhouse/policy.json"));
    let finding = policy["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "target-gap")
        .unwrap();
    assert_eq!(finding["level"], "violation");

    // A bad value names the key.
    write_files(h, &[("chiron.toml", &config("maybe", false))]);
    let (code, _, stderr) = run(h, &index, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("on-gap"), "{stderr}");
}

#[test]
fn a_gapped_bundle_verifies_and_install_sh_names_the_gap() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let python = host_python();
    let (host, _) = linux_platforms();
    let arch = host.trim_start_matches("linux-");
    // The host's target has a gap: native needs glibc 2.99 there.
    let index = TestIndex::start(PageFormat::Json, true);
    let cp = cp(&python);
    for platform in [format!("manylinux_2_99_{arch}"), "win_amd64".to_string()] {
        index.add(&WheelSpec::new(
            "native",
            "1.0",
            &format!("{cp}-{cp}-{platform}"),
        ));
    }
    let platforms = format!("{host},windows-x86_64");
    let (code, _, stderr) = run(
        h,
        &index,
        &[
            "native",
            "--python",
            &python,
            "--platform",
            &platforms,
            "--out",
            "wh",
            "--allow-gaps",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("min-glibc = \"2.99\""), "{stderr}");
    let gapped = format!("{python}-{host}");

    let output = chiron(h)
        .current_dir(h)
        .args(["airgap", "build", "wh", "-o", "bundle.tar.gz", "--unsigned"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    chiron(h)
        .current_dir(h)
        .args(["verify", "bundle.tar.gz"])
        .assert()
        .success();
    let unpacked = h.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    assert!(
        Command::new("tar")
            .args(["xzf", h.join("bundle.tar.gz").to_str().unwrap()])
            .current_dir(&unpacked)
            .status()
            .unwrap()
            .success()
    );
    let manifest = read_json(&unpacked.join("manifest.json"));
    assert_eq!(manifest["gaps"][0]["name"], gapped.as_str());
    let readme = std::fs::read_to_string(unpacked.join("README.txt")).unwrap();
    assert!(readme.contains("Not served"), "{readme}");
    assert!(readme.contains(&gapped), "{readme}");

    // install.sh on the gapped target: a clear message, no pip run.
    let venv = h.join("venv");
    assert!(
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    let output = Command::new("sh")
        .arg(unpacked.join("install.sh"))
        .arg(venv.join("bin/python"))
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("this bundle does not serve {gapped}")),
        "{stderr}"
    );
    assert!(stderr.contains("no wheel of native"), "{stderr}");
    assert!(stderr.contains("min-glibc = \"2.99\""), "{stderr}");
    assert!(!stdout.contains("installing"), "{stdout}");

    // chiron airgap install says the same, found or named.
    for extra in [&[][..], &["--target", gapped.as_str()][..]] {
        chiron(h)
            .current_dir(h)
            .args(["airgap", "install", "bundle.tar.gz", "--python"])
            .arg(venv.join("bin/python"))
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "does not serve {gapped}"
            )))
            .stderr(predicates::str::contains("min-glibc"));
    }
}

#[test]
fn with_no_servable_target_gaps_allowed_still_fail() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = mac12_index("3.12");
    let (code, report, stderr) = run(
        h,
        &index,
        &[
            "app",
            "--python",
            "3.12",
            "--platform",
            "macos-arm64",
            "--out",
            "wh",
            "--allow-gaps",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("no target of the 1 declared can be served; nothing was written"),
        "{stderr}"
    );
    assert!(
        !report["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--allow-gaps"),
        "{report:#}"
    );
    assert!(!h.join("wh").exists());
}
