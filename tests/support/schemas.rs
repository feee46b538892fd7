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
