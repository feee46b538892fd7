//! `chiron policy check` and the gate `chiron wheelhouse` runs: licences,
//! denied packages, severity, release age, Rego policies, SARIF output.

use crate::support;

use std::path::Path;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;

const CRITICAL: &str = r#"{"id": "GHSA-7777-8888-9999", "aliases": ["CVE-2024-0007"],
  "summary": "lib runs code from headers",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
  "affected": [{"package": {"ecosystem": "PyPI", "name": "lib"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.1"}]}]}]}"#;

/// An upload time `seconds` ago, as an index writes it.
fn rfc3339_ago(seconds: i64) -> String {
    chiron::time::rfc3339(chiron::time::now() - seconds)
}

/// An index with app -> lib, gpl, fresh: lib is dual-licensed, gpl is
/// GPL-only, fresh was uploaded an hour ago.
fn index() -> TestIndex {
    let index = TestIndex::start(PageFormat::Json, true);
    let fresh_time = rfc3339_ago(3600);
    let old_time = rfc3339_ago(400 * 86_400);
    index.add(&WheelSpec {
        requires_dist: &["lib", "gpl", "fresh"],
        license_expression: Some("MIT"),
        upload_time: Some(&old_time),
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        license_expression: Some("GPL-3.0-only OR Apache-2.0"),
        upload_time: Some(&old_time),
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        license_expression: Some("GPL-3.0-only AND MIT"),
        upload_time: Some(&old_time),
        ..WheelSpec::new("gpl", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        upload_time: Some(&fresh_time),
        ..WheelSpec::new("fresh", "0.1", "py3-none-any")
    });
    index
}

const POLICY: &str = r#"
[scan]
osv-db = "osv"

[policy]
allow-licenses = ["MIT", "Apache-2.0"]
deny-licenses = ["GPL-3.0-only"]
deny-packages = ["fresh<1"]
min-release-age = "7d"
max-severity = "medium"
"#;

fn wheelhouse(home: &Path, index: &TestIndex, extra: &[&str]) -> (i32, Value) {
    let output = chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args([
            "wheelhouse",
            "app",
            "--python",
            "3.12",
            "--out",
            "wh",
            "--json",
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr))),
    )
}

fn rules_of(report: &Value) -> Vec<(String, String)> {
    let mut rules: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap_or("-").to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rules.sort();
    rules
}

#[test]
fn the_wheelhouse_gate_fails_on_policy_violations_and_reports_them() {
    let home = tempfile::tempdir().unwrap();
    let index = index();
    write_files(
        home.path(),
        &[
            ("chiron.toml", POLICY),
            ("osv/GHSA-7777-8888-9999.json", CRITICAL),
        ],
    );
    let (code, out) = wheelhouse(home.path(), &index, &[]);
    assert_eq!(code, 1, "{out:#}");
    // `fresh` declares `License: MIT`, which is allowed.
    let expected: Vec<(String, String)> = [
        ("fresh", "package-denied"),
        ("fresh", "release-too-new"),
        ("gpl", "license-denied"),
        ("lib", "vulnerability-severity"),
    ]
    .iter()
    .map(|(p, r)| (p.to_string(), r.to_string()))
    .collect();
    let found = rules_of(&out["policy"]);
    assert_eq!(found, expected);
    assert_eq!(out["policy"]["passed"], false);
    assert_eq!(out["scan"]["vulnerable"][0]["package"], "lib");
    // The reports are written next to the manifest, the wheelhouse is complete.
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("wh/policy.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk, out["policy"]);
    assert!(home.path().join("wh/scan.json").is_file());
    assert!(home.path().join("wh/manifest.json").is_file());
    let lib = out["policy"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "vulnerability-severity")
        .unwrap();
    assert!(
        lib["reason"]
            .as_str()
            .unwrap()
            .contains("critical GHSA-7777-8888-9999")
    );
    assert!(lib["hint"].as_str().unwrap().contains("upgrade to 2.1"));

    // --no-gate reports the same and succeeds.
    let (code, out) = wheelhouse(home.path(), &index, &["--no-gate"]);
    assert_eq!(code, 0);
    assert_eq!(rules_of(&out["policy"]), found);

    // The same check on its own, as a table and as SARIF.
    chiron(home.path())
        .current_dir(home.path())
        .args(["policy", "check", "wh"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("license-denied gpl 1.0"))
        .stdout(predicates::str::contains("hint:"))
        .stdout(predicates::str::contains("policy failed: 4 violation(s)"));
    chiron(home.path())
        .current_dir(home.path())
        .args([
            "policy",
            "check",
            "wh",
            "--format",
            "sarif",
            "-o",
            "policy.sarif",
        ])
        .assert()
        .code(1);
    let log: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("policy.sarif")).unwrap()).unwrap();
    support::schemas::assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|r| r["level"] == "error"));

    // A lock is checked the same way (it knows no licences: with an allow
    // list, those are unknown).
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["policy", "check", "wh/pylock.toml", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = rules_of(&report);
    assert!(
        found.contains(&("gpl".into(), "license-unknown".into())),
        "{found:?}"
    );
    assert!(found.contains(&("fresh".into(), "package-denied".into())));
    assert!(
        found.contains(&("fresh".into(), "release-too-new".into())),
        "upload-time travels in pylock.toml"
    );
}

#[test]
fn a_clean_wheelhouse_passes_and_a_missing_scan_is_a_warning_unless_required() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("app", "1.0", "py3-none-any"));
    let (code, out) = wheelhouse(home.path(), &index, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["policy"]["passed"], true);
    assert_eq!(
        rules_of(&out["policy"]),
        [("-".to_string(), "vulnerability-scan-missing".to_string())]
    );
    assert!(
        out["scan"]["skipped"]
            .as_str()
            .unwrap()
            .contains("no OSV database")
    );
    chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "app", "--python", "3.12", "--out", "wh"])
        .assert()
        .success()
        .stdout(predicates::str::contains("scan skipped").not())
        .stdout(predicates::str::contains("vulnerability-scan-missing").count(1))
        .stdout(predicates::str::contains("chiron scan --update-db"));
    write_files(
        home.path(),
        &[("chiron.toml", "[policy]\nrequire-scan = true\n")],
    );
    let (code, out) = wheelhouse(home.path(), &index, &[]);
    assert_eq!(code, 1);
    assert_eq!(out["policy"]["violations"], 1);
}

#[test]
fn rego_policies_run_natively_in_v1_and_v0_syntax() {
    let home = tempfile::tempdir().unwrap();
    let index = index();
    write_files(
        home.path(),
        &[
            (
                "chiron.toml",
                "[policy]\nmin-release-age = \"1h\"\nrego = [\"policy/v1.rego\", \"policy/v0.rego\"]\n",
            ),
            (
                "policy/v1.rego",
                r#"package main

deny contains msg if {
    some p in input.packages
    p.license == "GPL-3.0-only AND MIT"
    msg := sprintf("%s carries a GPL obligation", [p.name])
}

warn contains {"msg": msg} if {
    count(input.packages) > 3
    msg := sprintf("%d packages: consider trimming", [count(input.packages)])
}
"#,
            ),
            (
                "policy/v0.rego",
                r#"package legacy

violation[msg] {
    f := input.files[_]
    f.size > 100000000
    msg := sprintf("%s is huge", [f.filename])
}
"#,
            ),
        ],
    );
    let (code, out) = wheelhouse(home.path(), &index, &[]);
    assert_eq!(code, 1, "{out:#}");
    let findings = out["policy"]["findings"].as_array().unwrap();
    let rego: Vec<(&str, &str, &str)> = findings
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("rego:"))
        .map(|f| {
            (
                f["level"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rego,
        [
            ("warning", "rego:main.warn", "4 packages: consider trimming"),
            (
                "violation",
                "rego:main.deny",
                "gpl carries a GPL obligation"
            ),
        ]
    );

    // A broken policy is a configuration error naming the file.
    write_files(
        home.path(),
        &[("policy/v0.rego", "package broken\ndeny[msg {\n")],
    );
    chiron(home.path())
        .current_dir(home.path())
        .args(["policy", "check", "wh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("v0.rego"))
        .stderr(predicates::str::contains("hint:"));
}

#[test]
fn policy_mistakes_are_configuration_errors() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("app", "1.0", "py3-none-any"));
    let (code, _) = wheelhouse(home.path(), &index, &[]);
    assert_eq!(code, 0);
    for (config, message, hint) in [
        (
            "[policy]\nallow-licenses = [\"MTI\"]\n",
            "chiron.toml:2:19: `MTI` is not an SPDX licence id",
            "did you mean `MIT`?",
        ),
        (
            "[policy]\ndeny-packages = [\"a b c\"]\n",
            "chiron.toml:2:18: `a b c` is not a requirement",
            "pyyaml<6",
        ),
        (
            "[policy]\nmax-release-age = \"ancient\"\n",
            "chiron.toml:2:19: `ancient` is not an age",
            "48h, 7d",
        ),
    ] {
        write_files(home.path(), &[("chiron.toml", config)]);
        chiron(home.path())
            .current_dir(home.path())
            .args(["policy", "check", "wh"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message))
            .stderr(predicates::str::contains(hint));
    }
}
