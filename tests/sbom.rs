//! The SBOM of a wheelhouse validates against the official CycloneDX
//! schemas (committed in schemas/cyclonedx/) and is deterministic.

mod support;

use std::path::Path;

use serde_json::Value;
use support::index::{PageFormat, TestIndex, WheelSpec};
use support::{chiron, write_files};

fn schema_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/cyclonedx")
}

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(schema_dir().join(name)).unwrap()).unwrap()
}

/// Serves the schemas' `$ref`s from the committed copies, never the network.
struct Committed;

impl jsonschema::Retrieve for Committed {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let path = schema_dir().join(&name);
        Ok(serde_json::from_str(
            &std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        )?)
    }
}

fn errors(bom: &Value, version: &str) -> Vec<String> {
    let schema = load(&format!("bom-{version}.SNAPSHOT.schema.json"));
    let validator = jsonschema::options()
        .with_retriever(Committed)
        .build(&schema)
        .expect("the official schema compiles");
    validator
        .iter_errors(bom)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
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
