//! `chiron scan` against offline OSV databases (a folder and a zip).

mod support;

use std::io::Write;
use std::path::Path;

use serde_json::Value;
use support::index::{PageFormat, TestIndex, WheelSpec};
use support::{chiron, write_files};

const PYSEC: &str = r#"{"id": "PYSEC-2024-7", "aliases": ["CVE-2024-0007"], "summary": "lib parses headers badly",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "lib"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.1"}]}]}]}"#;
const GHSA: &str = r#"{"id": "GHSA-7777-8888-9999", "aliases": ["CVE-2024-0007"],
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
  "affected": [{"package": {"ecosystem": "PyPI", "name": "lib"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "2.1"}]}]}]}"#;
const LATER: &str = r#"{"id": "PYSEC-2024-9", "summary": "another one",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "lib"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.2"}]}]}]}"#;
const WITHDRAWN: &str = r#"{"id": "PYSEC-2024-1", "withdrawn": "2024-02-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "app"}, "versions": ["1.0"]}]}"#;

fn wheelhouse(home: &Path) {
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "2.0", "py3-none-any"));
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "app", "--python", "3.12", "--out", "wh"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn scan(home: &Path, db: &str) -> (i32, Value) {
    let output = chiron(home)
        .current_dir(home)
        .args(["scan", "wh", "--json", "--osv-db", db])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
    )
}

#[test]
fn known_advisories_are_found_merged_and_fail_the_scan() {
    let home = tempfile::tempdir().unwrap();
    wheelhouse(home.path());
    write_files(
        home.path(),
        &[
            ("osv/PYSEC-2024-7.json", PYSEC),
            ("osv/ghsa/GHSA-7777-8888-9999.json", GHSA),
            ("osv/PYSEC-2024-9.json", LATER),
            ("osv/PYSEC-2024-1.json", WITHDRAWN),
            ("osv/notes.json", "{\"not\": \"osv\"}"),
        ],
    );
    let (code, report) = scan(home.path(), "osv");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["packages_scanned"], 2);
    let vulnerable = report["vulnerable"].as_array().unwrap();
    assert_eq!(vulnerable.len(), 1, "app's only advisory is withdrawn");
    let lib = &vulnerable[0];
    assert_eq!(lib["package"], "lib");
    assert_eq!(
        lib["upgrade_to"], "2.2",
        "2.1 fixes one advisory, 2.2 fixes both"
    );
    let findings = lib["findings"].as_array().unwrap();
    assert_eq!(
        findings.len(),
        2,
        "PYSEC-2024-7 and GHSA-7777-8888-9999 are one advisory"
    );
    let merged = findings
        .iter()
        .find(|f| f["id"] == "GHSA-7777-8888-9999")
        .unwrap();
    assert_eq!(
        merged["aliases"],
        serde_json::json!(["CVE-2024-0007", "GHSA-7777-8888-9999", "PYSEC-2024-7"])
    );
    assert_eq!(merged["severity"], "critical");
    assert_eq!(merged["summary"], "lib parses headers badly");

    // The same records as the zip osv.dev exports.
    let zip_path = home.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for (name, text) in [
        ("PYSEC-2024-7.json", PYSEC),
        ("GHSA-7777-8888-9999.json", GHSA),
        ("PYSEC-2024-9.json", LATER),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let (code, from_zip) = scan(home.path(), "all.zip");
    assert_eq!(code, 1);
    assert_eq!(from_zip["vulnerable"], report["vulnerable"]);

    // The overlay raises lib to the fix, and the wheelhouse built with it is clean.
    chiron(home.path())
        .current_dir(home.path())
        .args([
            "scan",
            "wh",
            "--osv-db",
            "osv",
            "--emit-overlay",
            "overlay.txt",
        ])
        .assert()
        .code(1);
    let overlay = std::fs::read_to_string(home.path().join("overlay.txt")).unwrap();
    assert!(
        overlay.contains("\nlib>=2.2  # GHSA-7777-8888-9999, PYSEC-2024-9\n"),
        "{overlay}"
    );
    let read = chiron::lock::requirements_txt::read_requirements(
        &home.path().join("overlay.txt"),
        &|_| None,
    )
    .unwrap();
    assert_eq!(read.requirements[0].requirement.to_string(), "lib>=2.2");

    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--osv-db", "osv"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("lib 2.0"))
        .stdout(predicates::str::contains("upgrade to 2.2"))
        .stdout(predicates::str::contains(
            "2 known vulnerabilities in 1 of 2 package(s)",
        ));
}

#[test]
fn a_clean_wheelhouse_passes_and_a_missing_database_is_explained() {
    let home = tempfile::tempdir().unwrap();
    wheelhouse(home.path());
    write_files(home.path(), &[("osv/PYSEC-2024-1.json", WITHDRAWN)]);
    let (code, report) = scan(home.path(), "osv");
    assert_eq!(code, 0);
    assert_eq!(report["vulnerable"], serde_json::json!([]));
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--osv-db", "missing"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no OSV database to scan against"))
        .stderr(predicates::str::contains("hint:"));
}

#[test]
fn ignores_need_a_reason_and_expire() {
    let home = tempfile::tempdir().unwrap();
    wheelhouse(home.path());
    write_files(
        home.path(),
        &[
            ("osv/PYSEC-2024-7.json", PYSEC),
            ("osv/GHSA-7777-8888-9999.json", GHSA),
            ("osv/PYSEC-2024-9.json", LATER),
            (
                "chiron.toml",
                "[scan]\nosv-db = \"osv\"\n\n[[scan.ignore]]\nid = \"CVE-2024-0007\"\nreason = \"only reachable through a feature we disable\"\nexpires = \"2999-01-01\"\n\n[[scan.ignore]]\nid = \"PYSEC-2024-9\"\nreason = \"fixed upstream soon\"\nexpires = \"2001-01-01\"\n",
            ),
        ],
    );
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let lib = &report["vulnerable"][0];
    // The merged advisory is ignored through its CVE alias ...
    assert_eq!(lib["ignored"][0]["id"], "GHSA-7777-8888-9999");
    assert_eq!(
        lib["ignored"][0]["reason"],
        "only reachable through a feature we disable"
    );
    // ... the expired ignore does not hide its advisory, and is a finding itself.
    assert_eq!(lib["findings"].as_array().unwrap().len(), 1);
    assert_eq!(lib["findings"][0]["id"], "PYSEC-2024-9");
    assert_eq!(report["expired_ignores"][0]["id"], "PYSEC-2024-9");

    // An ignore without a reason is a configuration error.
    write_files(
        home.path(),
        &[("chiron.toml", "[[scan.ignore]]\nid = \"X\"\n")],
    );
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--osv-db", "osv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing field `reason`"));
}
