//! The SBOM of a wheelhouse validates against the official CycloneDX
//! schemas (committed in schemas/cyclonedx/) and is deterministic.

use crate::support;

use std::path::Path;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use serde_json::Value;

fn errors(bom: &Value, version: &str) -> Vec<String> {
    support::schemas::cyclonedx_errors(bom, version)
}

/// Validates `bom` against the official schema of `version`, and checks
/// that the validator does reject a broken copy (an unknown licence id).
fn validate(bom: &Value, version: &str) {
    let found = errors(bom, version);
    assert!(found.is_empty(), "CycloneDX {version}: {found:#?}");
    let mut broken = bom.clone();
    broken["components"][0]["licenses"] =
        serde_json::json!([{ "license": { "id": "Not-A-License" } }]);
    broken["bomFormat"] = serde_json::json!("SPDX");
    assert!(
        errors(&broken, version).len() >= 2,
        "the validator accepted a broken BOM"
    );
}

#[test]
fn the_wheelhouse_sbom_is_valid_cyclonedx_and_deterministic() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "2.0+local", "py3-none-any"));
    write_files(
        home.path(),
        &[("pyproject.toml", "[project]\nname = \"shop\"\n")],
    );
    let run = |out: &str| {
        let output = chiron(home.path())
            .current_dir(home.path())
            .env("PIP_INDEX_URL", index.url())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args([
                "wheelhouse",
                "app",
                "--python",
                "3.12",
                "--platform",
                "linux-x86_64,windows-x86_64",
                "--out",
                out,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(home.path().join(out).join("sbom.cdx.json")).unwrap()
    };
    let first = run("a");
    assert_eq!(first, run("b"), "same inputs, same bytes");
    let bom: Value = serde_json::from_slice(&first).unwrap();
    validate(&bom, "1.6");
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(bom["metadata"]["component"]["name"], "shop");
    let components = bom["components"].as_array().unwrap();
    let lib = components.iter().find(|c| c["name"] == "lib").unwrap();
    assert_eq!(lib["purl"], "pkg:pypi/lib@2.0%2Blocal");
    assert_eq!(lib["authors"], serde_json::json!([{ "name": "Jane Doe" }]));
    assert_eq!(
        lib["licenses"],
        serde_json::json!([{ "license": { "id": "MIT" } }])
    );
    assert_eq!(
        lib["externalReferences"][0]["comment"],
        "lib-2.0+local-py3-none-any.whl"
    );
    assert_eq!(lib["hashes"][0]["alg"], "SHA-256");
    let deps = bom["dependencies"].as_array().unwrap();
    let of = |r: &str| deps.iter().find(|d| d["ref"] == r).unwrap()["dependsOn"].clone();
    assert_eq!(of("project"), serde_json::json!(["pkg:pypi/app@1.0"]));
    assert_eq!(
        of("pkg:pypi/app@1.0"),
        serde_json::json!(["pkg:pypi/lib@2.0%2Blocal"])
    );

    // CycloneDX 1.5 on request, from the same wheelhouse.
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["sbom", "a", "--spec-version", "1.5"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bom15: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(bom15["specVersion"], "1.5");
    validate(&bom15, "1.5");
    assert!(
        bom15.get("metadata").unwrap().get("timestamp").is_none(),
        "no SOURCE_DATE_EPOCH, no timestamp"
    );
}

#[test]
fn sbom_names_what_is_not_a_wheelhouse() {
    let home = tempfile::tempdir().unwrap();
    chiron(home.path())
        .current_dir(home.path())
        .args(["sbom", "nowhere"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no such file or folder"))
        .stderr(predicates::str::contains("hint:"));
    chiron(home.path())
        .current_dir(home.path())
        .args(["sbom", "x", "--spec-version", "1.4"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("1.6 or 1.5"));
}

fn sbom_of(home: &Path, args: &[&str]) -> Value {
    let output = chiron(home)
        .current_dir(home)
        .arg("sbom")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sbom {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// (name, version, has a sha256) of each component, and the edges.
type Components = Vec<(String, String, bool)>;
type Edges = Vec<(String, Vec<String>)>;

fn summary(bom: &Value) -> (Components, Edges) {
    let components = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
                !c["hashes"].as_array().unwrap().is_empty(),
            )
        })
        .collect();
    let edges = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["ref"].as_str().unwrap().to_string(),
                d["dependsOn"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    (components, edges)
}

#[test]
fn locks_wheel_folders_and_environments_give_the_same_packages() {
    let home = tempfile::tempdir().unwrap();
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    let expected_edges = vec![
        (
            "pkg:pypi/app@1.0".to_string(),
            vec!["pkg:pypi/lib@2.0".to_string()],
        ),
        ("pkg:pypi/lib@2.0".to_string(), vec![]),
        ("project".to_string(), vec!["pkg:pypi/app@1.0".to_string()]),
    ];
    let hashed = vec![
        ("app".to_string(), "1.0".to_string(), true),
        ("lib".to_string(), "2.0".to_string(), true),
    ];
    for input in [
        "wh",
        "wh/manifest.json",
        "wh/pylock.toml",
        "wh/requirements-3.12-linux-x86_64.txt",
    ] {
        let bom = sbom_of(home.path(), &[input]);
        validate(&bom, "1.6");
        let (components, edges) = summary(&bom);
        assert_eq!(components, hashed, "{input}");
        if input != "wh/requirements-3.12-linux-x86_64.txt" {
            assert_eq!(edges, expected_edges, "{input}");
        }
    }
    // A bare folder of wheels: metadata (licence, requirements) read from each wheel.
    std::fs::create_dir(home.path().join("wheels")).unwrap();
    for entry in std::fs::read_dir(home.path().join("wh")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "whl") {
            std::fs::copy(
                &path,
                home.path().join("wheels").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    let bom = sbom_of(home.path(), &["wheels"]);
    validate(&bom, "1.6");
    assert_eq!(summary(&bom), (hashed.clone(), expected_edges.clone()));
    let lib = &bom["components"][1];
    assert_eq!(
        lib["licenses"],
        serde_json::json!([{ "license": { "id": "MIT" } }])
    );

    // An installed environment: pip installs the wheelhouse into a venv,
    // and chiron reads its dist-info (no file hashes: an environment has none).
    let venv = home.path().join("venv");
    let status = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("python3 is installed by .ci/run");
    assert!(status.success());
    let status = std::process::Command::new("python3")
        .args(["-m", "pip", "--python"])
        .arg(venv.join("bin/python"))
        .args(["install", "-q", "--no-index", "--find-links"])
        .arg(home.path().join("wh"))
        .arg("app")
        .env_remove("PIP_FIND_LINKS")
        .status()
        .unwrap();
    assert!(status.success(), "pip install into the venv");
    let not_hashed = vec![
        ("app".to_string(), "1.0".to_string(), false),
        ("lib".to_string(), "2.0".to_string(), false),
    ];
    for args in [vec!["venv"], vec!["--python", "venv/bin/python"]] {
        let bom = sbom_of(home.path(), &args);
        validate(&bom, "1.6");
        assert_eq!(
            summary(&bom),
            (not_hashed.clone(), expected_edges.clone()),
            "{args:?}"
        );
    }

    // What cannot be read is named with a hint, and nothing is written.
    write_files(home.path(), &[("loose.txt", "app>=1\n")]);
    chiron(home.path())
        .current_dir(home.path())
        .args(["sbom", "loose.txt", "-o", "out.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "line 1: app>=1 is not pinned with ==",
        ))
        .stderr(predicates::str::contains("hint:"));
    assert!(!home.path().join("out.json").exists());
}

#[test]
fn a_uv_lock_lists_its_packages_not_the_workspace() {
    let home = tempfile::tempdir().unwrap();
    write_files(
        home.path(),
        &[(
            "uv.lock",
            r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "shop"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "requests" }]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.example.invalid/simple" }
dependencies = [{ name = "idna" }]
sdist = { url = "https://files.example/requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760", size = 131218 }
wheels = [{ url = "https://files.example/requests-2.32.3-py3-none-any.whl", hash = "sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6", size = 64928 }]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.example.invalid/simple" }
wheels = [{ url = "https://files.example/idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3", size = 70442 }]
"#,
        )],
    );
    let bom = sbom_of(home.path(), &["uv.lock"]);
    validate(&bom, "1.6");
    let (components, edges) = summary(&bom);
    assert_eq!(
        components,
        vec![
            ("idna".to_string(), "3.10".to_string(), true),
            ("requests".to_string(), "2.32.3".to_string(), true),
        ]
    );
    assert!(edges.contains(&(
        "pkg:pypi/requests@2.32.3".to_string(),
        vec!["pkg:pypi/idna@3.10".to_string()]
    )));
    let requests = &bom["components"][1];
    assert_eq!(
        requests["hashes"].as_array().unwrap().len(),
        2,
        "wheel and sdist"
    );
}

#[test]
fn spdx_documents_pass_the_spdx_validator() {
    let home = tempfile::tempdir().unwrap();
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    let write = |out: &str| {
        chiron(home.path())
            .current_dir(home.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["sbom", "wh", "--format", "spdx", "-o", out])
            .assert()
            .success();
        std::fs::read(home.path().join(out)).unwrap()
    };
    let first = write("a.spdx.json");
    assert_eq!(first, write("b.spdx.json"), "same inputs, same bytes");
    let doc: Value = serde_json::from_slice(&first).unwrap();
    // spdx-tools' URL pattern wants a domain with a TLD, which the test
    // index on 127.0.0.1 has not: validate a copy whose loopback download
    // locations name a reserved `.test` domain instead.
    let text = String::from_utf8(first.clone()).unwrap();
    let at = text.find("http://127.0.0.1:").unwrap();
    let end = at + text[at..].find("/files/").unwrap();
    let portable = text.replace(&text[at..end], "https://files.pypi.test");
    std::fs::write(home.path().join("portable.spdx.json"), portable).unwrap();
    if let Some(complaints) =
        support::schemas::spdx_tools_errors(&home.path().join("portable.spdx.json"))
    {
        panic!("pyspdxtools rejects the document:\n{complaints}");
    }
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let packages = doc["packages"].as_array().unwrap();
    let lib = packages
        .iter()
        .find(|p| p["name"] == "lib" && p["primaryPackagePurpose"] == "LIBRARY")
        .unwrap();
    assert_eq!(lib["licenseDeclared"], "MIT");
    assert_eq!(lib["originator"], "Person: Jane Doe");
    assert_eq!(
        lib["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/lib@2.0"
    );
    let wheel = packages
        .iter()
        .find(|p| p["packageFileName"] == "lib-2.0-py3-none-any.whl")
        .unwrap();
    assert_eq!(wheel["checksums"][0]["algorithm"], "SHA256");
    let relationships = doc["relationships"].as_array().unwrap();
    assert!(
        relationships
            .iter()
            .any(|r| r["relationshipType"] == "DEPENDS_ON"
                && r["spdxElementId"] == "SPDXRef-Package-app-1.0"
                && r["relatedSpdxElement"] == "SPDXRef-Package-lib-2.0")
    );

    // The validator does catch a broken document.
    let mut broken = doc.clone();
    broken["packages"][1]["licenseDeclared"] = Value::from("MIT AND (");
    std::fs::write(home.path().join("broken.spdx.json"), broken.to_string()).unwrap();
    assert!(support::schemas::spdx_tools_errors(&home.path().join("broken.spdx.json")).is_some());
}
