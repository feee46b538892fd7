//! `chiron scan` against offline OSV databases (a folder and a zip).

use crate::support;

use std::io::Write;
use std::path::Path;

use crate::support::{chiron, write_files};
use serde_json::Value;

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

/// The advisories on `lib` in `home/osv`, and a chiron.toml.
fn database_and_config(home: &Path, config: &str) {
    write_files(
        home,
        &[
            ("osv/PYSEC-2024-7.json", PYSEC),
            ("osv/GHSA-7777-8888-9999.json", GHSA),
            ("osv/PYSEC-2024-9.json", LATER),
            ("chiron.toml", config),
        ],
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
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
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
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
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
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    database_and_config(
        home.path(),
        "[scan]\nosv-db = \"osv\"\n\n[[scan.ignore]]\nid = \"CVE-2024-0007\"\nreason = \"only reachable through a feature we disable\"\nexpires = \"2999-01-01\"\n\n[[scan.ignore]]\nid = \"PYSEC-2024-9\"\nreason = \"fixed upstream soon\"\nexpires = \"2001-01-01\"\n",
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

/// A mock of the OSV API: `/v1/querybatch` answers from the fixtures by
/// package name (all versions of `lib` affected, as the fixtures say), and
/// `/v1/vulns/{id}` serves each record.
fn osv_api() -> support::HttpServer {
    support::HttpServer::start(|request| {
        let records = [
            ("PYSEC-2024-7", PYSEC),
            ("GHSA-7777-8888-9999", GHSA),
            ("PYSEC-2024-9", LATER),
        ];
        if request.method == "POST" && request.path == "/v1/querybatch" {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let results: Vec<Value> = body["queries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| {
                    if q["package"]["name"] == "lib" && q["package"]["ecosystem"] == "PyPI" {
                        serde_json::json!({ "vulns": records.iter().map(|(id, _)| serde_json::json!({ "id": id, "modified": "2024-01-01T00:00:00Z" })).collect::<Vec<_>>() })
                    } else {
                        serde_json::json!({})
                    }
                })
                .collect();
            return support::Response::new(
                200,
                "application/json",
                serde_json::json!({ "results": results }).to_string(),
            );
        }
        match records
            .iter()
            .find(|(id, _)| request.path == format!("/v1/vulns/{id}"))
        {
            Some((_, text)) if request.method == "GET" => {
                support::Response::new(200, "application/json", *text)
            }
            _ => support::Response::new(404, "application/json", "{}"),
        }
    })
}

#[test]
fn the_osv_api_is_asked_in_one_batch_then_per_advisory() {
    let home = tempfile::tempdir().unwrap();
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    let api = osv_api();
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--json", "--osv-api", &api.url("")])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        report["source"]
            .as_str()
            .unwrap()
            .starts_with("OSV API http://127.0.0.1:")
    );
    let lib = &report["vulnerable"][0];
    assert_eq!(lib["package"], "lib");
    let ids: Vec<&str> = lib["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["GHSA-7777-8888-9999", "PYSEC-2024-9"],
        "merged by alias"
    );
    assert_eq!(lib["upgrade_to"], "2.2");
    let requests = api.requests();
    let batches: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/v1/querybatch")
        .collect();
    assert_eq!(batches.len(), 1, "one batch for every package");
    let body: Value = serde_json::from_slice(&batches[0].body).unwrap();
    assert_eq!(body["queries"].as_array().unwrap().len(), 2);
    assert!(
        body["queries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["version"] == "2.0" && q["package"]["name"] == "lib")
    );
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path.starts_with("/v1/vulns/"))
            .count(),
        3,
        "each record once"
    );

    // Offline, an online source is refused with a way out; a dead API is named.
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--offline", "--osv-api", &api.url("")])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--offline: the osv-api source needs the network",
        ))
        .stderr(predicates::str::contains("hint:"));
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--osv-api", &support::closed_port_url("")])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("/v1/querybatch"))
        .stderr(predicates::str::contains("hint:"));
}

#[test]
fn the_index_json_api_vulnerabilities_are_read_as_pip_audit_does() {
    let home = tempfile::tempdir().unwrap();
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    let api = support::HttpServer::start(|request| match request.path.as_str() {
        "/pypi/lib/2.0/json" => support::Response::new(
            200,
            "application/json",
            r#"{"info": {"name": "lib", "version": "2.0"}, "urls": [],
               "vulnerabilities": [
                 {"id": "GHSA-7777-8888-9999", "aliases": ["CVE-2024-0007", "PYSEC-2024-7"],
                  "summary": "lib parses headers badly", "details": "...", "fixed_in": ["1.9.9", "2.1", "3.0"],
                  "link": "https://osv.example.invalid/vulnerability/GHSA-7777-8888-9999", "source": "osv", "withdrawn": null},
                 {"id": "PYSEC-2020-1", "aliases": [], "details": "old", "fixed_in": [], "withdrawn": "2021-01-01T00:00:00Z"}
               ]}"#,
        ),
        "/pypi/app/1.0/json" => support::Response::new(
            200,
            "application/json",
            r#"{"info": {}, "urls": [], "vulnerabilities": []}"#,
        ),
        _ => support::Response::new(404, "text/plain", "not found"),
    });
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--json", "--pypi-api", &api.url("/pypi")])
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
    let findings = lib["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "the withdrawn one is skipped");
    assert_eq!(findings[0]["id"], "GHSA-7777-8888-9999");
    assert_eq!(
        findings[0]["aliases"],
        serde_json::json!(["CVE-2024-0007", "GHSA-7777-8888-9999", "PYSEC-2024-7"])
    );
    assert_eq!(lib["upgrade_to"], "2.1", "the smallest fix above 2.0");
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    for (name, text) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    buffer.into_inner()
}

#[test]
fn update_db_keeps_a_verified_copy_for_offline_scans() {
    let home = tempfile::tempdir().unwrap();
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    let good = zip_of(&[
        ("PYSEC-2024-7.json", PYSEC),
        ("GHSA-7777-8888-9999.json", GHSA),
    ]);
    let serve_good = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = serve_good.clone();
    let server = support::HttpServer::start(move |request| {
        if request.path != "/PyPI/all.zip" {
            return support::Response::new(404, "text/plain", "");
        }
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            if request.header("if-none-match") == Some("\"v1\"") {
                return support::Response::new(304, "application/zip", "");
            }
            let mut response = support::Response::new(200, "application/zip", good.clone());
            response.headers.push(("ETag".into(), "\"v1\"".into()));
            response
        } else {
            support::Response::new(200, "text/html", "<html>maintenance</html>")
        }
    });
    write_files(
        home.path(),
        &[(
            "chiron.toml",
            &format!("[scan]\ndb-url = \"{}\"\n", server.url("/PyPI/all.zip")),
        )],
    );
    // No wheelhouse named and none at the default place: update only.
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "--update-db"])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "updated the OSV database: 2 records",
        ));
    let cached = home.path().join("cache/chiron/osv/PyPI-all.zip");
    assert!(cached.is_file());
    // The server's ETag is sent back: an unchanged database is not fetched.
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "--update-db"])
        .assert()
        .success()
        .stderr(predicates::str::contains("up to date"));
    // Later scans use the cached copy, offline.
    let output = chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--offline", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["vulnerable"][0]["findings"][0]["id"],
        "GHSA-7777-8888-9999"
    );
    // A broken download never replaces the good copy.
    serve_good.store(false, std::sync::atomic::Ordering::SeqCst);
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "--update-db"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not an OSV database"));
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        zip_of(&[
            ("PYSEC-2024-7.json", PYSEC),
            ("GHSA-7777-8888-9999.json", GHSA),
        ])
    );
    let mut leftovers: Vec<String> = std::fs::read_dir(cached.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        ["PyPI-all.zip", "PyPI-all.zip.etag"],
        "the copy and its ETag, no temporary file"
    );
    // Without a database at all, the way to get one is named.
    std::fs::remove_file(&cached).unwrap();
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("chiron scan --update-db"));
}

#[test]
fn sarif_and_vex_reports_validate_against_their_schemas() {
    let home = tempfile::tempdir().unwrap();
    support::app_lib_wheelhouse(home.path(), &["--python", "3.12"]);
    database_and_config(
        home.path(),
        "[scan]\nosv-db = \"osv\"\n\n[[scan.ignore]]\nid = \"PYSEC-2024-9\"\nreason = \"not reachable\"\n",
    );
    // With -o, stdout stays empty and one line goes to stderr.
    chiron(home.path())
        .current_dir(home.path())
        .args(["scan", "wh", "--format", "sarif", "-o", "scan.sarif"])
        .assert()
        .code(1)
        .stdout(predicates::str::is_empty())
        .stderr(predicates::str::contains("1 known vulnerability"));
    let log: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("scan.sarif")).unwrap()).unwrap();
    support::schemas::assert_valid_sarif(&log);
    let complaints = support::schemas::sarif_multitool_findings(&home.path().join("scan.sarif"));
    assert!(complaints.is_empty(), "SARIF multitool: {complaints:#?}");
    // The multitool does complain about what the review found before.
    let mut older = log.clone();
    older["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("informationUri");
    std::fs::write(home.path().join("older.sarif"), older.to_string()).unwrap();
    let complaints = support::schemas::sarif_multitool_findings(&home.path().join("older.sarif"));
    assert!(
        complaints.iter().any(|c| c.starts_with("SARIF2005")),
        "{complaints:#?}"
    );
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "chiron scan");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "the ignored advisory is not a result");
    assert_eq!(results[0]["ruleId"], "GHSA-7777-8888-9999");
    assert_eq!(results[0]["level"], "error", "CVSS 9.1 is critical");
    // Relative to the folder chiron ran in, at the line of lib's entry.
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "wh/manifest.json");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let manifest = std::fs::read_to_string(home.path().join("wh/manifest.json")).unwrap();
    let line = location["region"]["startLine"].as_u64().unwrap() as usize;
    let pinned = manifest.lines().nth(line - 1).unwrap();
    assert!(
        pinned.contains("\"name\": \"lib\""),
        "line {line}: {pinned}"
    );
    assert!(
        run["tool"]["driver"]["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rule = &run["tool"]["driver"]["rules"][results[0]["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "GHSA-7777-8888-9999");
    assert_eq!(rule["properties"]["security-severity"], "9.1");
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("--emit-overlay")
    );

    // A requirements file and a pylock.toml: the line of the pin.
    write_files(
        home.path(),
        &[(
            "requirements.txt",
            "# pinned by hand\napp==1.0\n\nlib==2.0 \\\n    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
        )],
    );
    for (input, line, column) in [("requirements.txt", 4, 1), ("wh/pylock.toml", 0, 1)] {
        let out = format!("{}.sarif", input.replace('/', "-"));
        chiron(home.path())
            .current_dir(home.path())
            .args(["scan", input, "--format", "sarif", "-o", &out])
            .assert()
            .code(1)
            .stdout(predicates::str::is_empty());
        let log: Value =
            serde_json::from_slice(&std::fs::read(home.path().join(&out)).unwrap()).unwrap();
        support::schemas::assert_valid_sarif(&log);
        let complaints = support::schemas::sarif_multitool_findings(&home.path().join(&out));
        assert!(complaints.is_empty(), "{input}: {complaints:#?}");
        let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        let text = std::fs::read_to_string(home.path().join(input)).unwrap();
        let expected_line = if line > 0 {
            line
        } else {
            // lib's own entry, not the dependency table of app that names it
            let lines: Vec<&str> = text.lines().collect();
            1 + lines
                .windows(2)
                .position(|w| w[0] == "name = \"lib\"" && w[1] == "version = \"2.0\"")
                .unwrap()
        };
        assert_eq!(region["startLine"], expected_line, "{input}: {region}");
        assert_eq!(region["startColumn"], column, "{input}: {region}");
    }

    // The policy's SARIF passes the multitool too.
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
        .stdout(predicates::str::is_empty());
    let complaints = support::schemas::sarif_multitool_findings(&home.path().join("policy.sarif"));
    assert!(complaints.is_empty(), "policy SARIF: {complaints:#?}");

    let output = chiron(home.path())
        .current_dir(home.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["scan", "wh", "--format", "cyclonedx"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let bom: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = support::schemas::cyclonedx_errors(&bom, "1.6");
    assert!(found.is_empty(), "VEX: {found:#?}");
    // The version is chosen as for `chiron sbom`, and 1.5 is valid 1.5.
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "scan",
            "wh",
            "--format",
            "cyclonedx",
            "--spec-version",
            "1.5",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let bom15: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(bom15["specVersion"], "1.5");
    let found = support::schemas::cyclonedx_errors(&bom15, "1.5");
    assert!(found.is_empty(), "VEX 1.5: {found:#?}");
    assert_eq!(
        bom15["vulnerabilities"].as_array().map(Vec::len),
        Some(2),
        "{bom15:#}"
    );
    let vulnerabilities = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities.len(), 2);
    let open = vulnerabilities
        .iter()
        .find(|v| v["id"] == "GHSA-7777-8888-9999")
        .unwrap();
    assert_eq!(open["affects"][0]["ref"], "pkg:pypi/lib@2.0");
    assert_eq!(open["ratings"][0]["severity"], "critical");
    assert_eq!(open["references"][0]["id"], "CVE-2024-0007");
    assert!(open.get("analysis").is_none());
    let ignored = vulnerabilities
        .iter()
        .find(|v| v["id"] == "PYSEC-2024-9")
        .unwrap();
    assert_eq!(
        ignored["analysis"]["response"],
        serde_json::json!(["will_not_fix"])
    );
    assert!(
        ignored["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains("not reachable")
    );
}

/// A source that could not answer is not a pass: an index whose
/// per-release JSON API answers 404 (as many private indexes do) checks
/// nothing, and the scan and the gate say so.
#[test]
fn a_scan_that_checked_nothing_does_not_pass() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    support::app_lib_wheelhouse(h, &["--python", "3.12"]);
    let api = support::HttpServer::start(|request| match request.path.as_str() {
        "/half/app/1.0/json" => support::Response::new(
            200,
            "application/json",
            r#"{"info": {}, "urls": [], "vulnerabilities": []}"#,
        ),
        _ => support::Response::new(404, "text/plain", "not found"),
    });
    let scan = |base: &str, extra: &[&str]| {
        chiron(h)
            .current_dir(h)
            .args(["scan", "wh", "--pypi-api", &api.url(base)])
            .args(extra)
            .output()
            .unwrap()
    };
    // Nothing answered: exit 2, every package named as not checked.
    let output = scan("/none", &[]);
    assert_eq!(output.status.code(), Some(2));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("not checked"), "{table}");
    assert!(
        table.contains("app 1.0") && table.contains("lib 2.0"),
        "{table}"
    );
    assert!(table.contains("2 of 2 package(s) not checked"), "{table}");
    let output = scan("/none", &["--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["not_checked"],
        serde_json::json!([{"package": "app", "version": "1.0"}, {"package": "lib", "version": "2.0"}])
    );
    // Some answered: exit 1, the rest named; --allow-unchecked passes and
    // still names them.
    let output = scan("/half", &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["not_checked"],
        serde_json::json!([{"package": "lib", "version": "2.0"}])
    );
    let output = scan("/half", &["--allow-unchecked"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("lib 2.0"));
    // With -o, one line on stderr: the packages are in the report, not
    // repeated as warnings.
    let output = scan("/half", &["--format", "sarif", "-o", "half.sarif"]);
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).lines().count(),
        1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The SARIF names the package not checked, at its entry in the
    // manifest, and the SARIF multitool accepts it.
    let log: Value = serde_json::from_slice(&std::fs::read(h.join("half.sarif")).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let unchecked: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "chiron/not-checked")
        .collect();
    assert_eq!(unchecked.len(), 1, "{results:#?}");
    assert_eq!(unchecked[0]["properties"]["package"], "lib");
    let line = unchecked[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .unwrap() as usize;
    let manifest = std::fs::read_to_string(h.join("wh/manifest.json")).unwrap();
    assert!(
        manifest
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("\"name\": \"lib\"")
    );
    let complaints = support::schemas::sarif_multitool_findings(&h.join("half.sarif"));
    assert!(complaints.is_empty(), "{complaints:#?}");

    // The gate: a warning that names the packages, an error with
    // require-scan.
    let gate = || {
        chiron(h)
            .current_dir(h)
            .args([
                "policy",
                "check",
                "wh",
                "--json",
                "--pypi-api",
                &api.url("/half"),
            ])
            .output()
            .unwrap()
    };
    let output = gate();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("vulnerability-scan-unchecked"), "{text}");
    assert!(text.contains("lib 2.0"), "{text}");
    write_files(h, &[("chiron.toml", "[policy]\nrequire-scan = true\n")]);
    let output = gate();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("vulnerability-scan-unchecked"));
}

/// A lock may pin one name at two versions under different markers (a
/// requirements file, pylock.toml, uv.lock): each version is scanned, in
/// either order. Found by the outside review: only the last one was.
#[test]
fn every_version_of_a_package_pinned_twice_is_scanned() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // PYSEC-2024-9 affects lib 2.0 only (fixed in 2.2), not 2.2.
    write_files(
        h,
        &[
            ("osv/PYSEC-2024-9.json", LATER),
            (
                "a.txt",
                "lib==2.0 ; sys_platform == \"linux\"\nLib==2.2 ; sys_platform == \"win32\"\n",
            ),
            (
                "b.txt",
                "lib==2.2 ; sys_platform == \"win32\"\nlib==2.0 ; sys_platform == \"linux\"\n",
            ),
            (
                "pylock.toml",
                "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"lib\"\nversion = \"2.0\"\nmarker = \"sys_platform == 'linux'\"\n\n[[packages]]\nname = \"lib\"\nversion = \"2.2\"\nmarker = \"sys_platform == 'win32'\"\n",
            ),
            (
                "uv.lock",
                "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"lib\"\nversion = \"2.0\"\nsource = { registry = \"https://pypi.example.invalid/simple\" }\nresolution-markers = [\"sys_platform == 'linux'\"]\n\n[[package]]\nname = \"lib\"\nversion = \"2.2\"\nsource = { registry = \"https://pypi.example.invalid/simple\" }\nresolution-markers = [\"sys_platform == 'win32'\"]\n",
            ),
        ],
    );
    for input in ["a.txt", "b.txt", "pylock.toml", "uv.lock"] {
        let output = chiron(h)
            .current_dir(h)
            .args(["scan", input, "--osv-db", "osv", "--json"])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{input}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["packages_scanned"], 2, "{input}: {report:#}");
        assert_eq!(report["vulnerable"][0]["version"], "2.0", "{input}");
    }
    // A database with no PyPI record checks nothing: an error, not a pass.
    std::fs::create_dir(h.join("empty")).unwrap();
    chiron(h)
        .current_dir(h)
        .args(["scan", "a.txt", "--osv-db", "empty"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("holds no OSV record for PyPI"));
}
