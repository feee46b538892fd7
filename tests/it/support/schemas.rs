//! Validation against the official schemas committed under `schemas/`,
//! with every `$ref` served from the committed copies, never the network.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn schema_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(kind)
}

struct Committed(&'static str);

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
        let path = schema_dir(self.0).join(&name);
        Ok(serde_json::from_str(
            &std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        )?)
    }
}

fn errors(kind: &'static str, schema: &str, document: &Value) -> Vec<String> {
    let mut text = std::fs::read_to_string(schema_dir(kind).join(schema)).unwrap();
    if kind == "sarif" {
        // The SARIF 2.1.0 schema as published has a stray `]` in the
        // `language` patterns (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`),
        // which the meta-schema rejects as a regex. The committed file is
        // kept unchanged; its intent (`en` or `en-US`) is patched in here.
        text = text.replace(
            r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
            r#"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"#,
        );
    }
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::options()
        .with_retriever(Committed(kind))
        .build(&schema)
        .expect("the official schema compiles");
    validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Errors of a CycloneDX BOM against the official schema of `version`.
pub fn cyclonedx_errors(bom: &Value, version: &str) -> Vec<String> {
    errors(
        "cyclonedx",
        &format!("bom-{version}.SNAPSHOT.schema.json"),
        bom,
    )
}

/// Errors of a SARIF log against the SARIF 2.1.0 schema.
pub fn sarif_errors(log: &Value) -> Vec<String> {
    errors("sarif", "sarif-2.1.0-rtm.5.json", log)
}

/// Asserts `log` is valid SARIF, and that the validator does catch a
/// broken copy (a result without a message).
pub fn assert_valid_sarif(log: &Value) {
    let found = sarif_errors(log);
    assert!(found.is_empty(), "SARIF: {found:#?}");
    let mut broken = log.clone();
    broken["version"] = Value::from("2.0.0");
    assert!(
        !sarif_errors(&broken).is_empty(),
        "the validator must reject a wrong version"
    );
}

/// Runs the SPDX project's own validator (`pyspdxtools`, from spdx-tools,
/// installed by .ci/run) on a document; returns its complaints.
pub fn spdx_tools_errors(document: &Path) -> Option<String> {
    let tool = std::env::var("CHIRON_TEST_PYSPDXTOOLS").unwrap_or_else(|_| "pyspdxtools".into());
    let output = std::process::Command::new(&tool)
        .arg("--infile")
        .arg(document)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (spdx-tools, installed by .ci/run) cannot run: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (!output.status.success()
        || text.contains("ValidationMessage")
        || text.to_lowercase().contains("invalid"))
    .then_some(text)
}

/// Microsoft's SARIF multitool (`validate`, from npm, installed by
/// .ci/test) on a log: every error or warning it reports (its notes are
/// suggestions such as embedding file contents), as "RULE: message" lines.
pub fn sarif_multitool_findings(log: &Path) -> Vec<String> {
    let tool = std::env::var("CHIRON_TEST_SARIF_MULTITOOL").unwrap_or_else(|_| "sarif".into());
    let out = log.with_extension("validation.sarif");
    let _ = std::fs::remove_file(&out);
    let output = std::process::Command::new(&tool)
        .arg("validate")
        .arg(log)
        .arg("--output")
        .arg(&out)
        .args(["--level", "Error;Warning"])
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} (the SARIF multitool, installed by .ci/test) cannot run: {e}")
        });
    let text = std::fs::read(&out).unwrap_or_else(|_| {
        panic!(
            "the SARIF multitool wrote no report: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let report: Value = serde_json::from_slice(&text).unwrap();
    let mut found = Vec::new();
    for run in report["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            let message = result["message"]["text"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| result["message"].to_string());
            found.push(format!(
                "{} ({}): {message}",
                result["ruleId"].as_str().unwrap_or_default(),
                result["level"].as_str().unwrap_or("warning")
            ));
        }
        for notification in run["invocations"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| {
                i["toolExecutionNotifications"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
        {
            found.push(format!("notification: {}", notification["message"]["text"]));
        }
    }
    found
}
