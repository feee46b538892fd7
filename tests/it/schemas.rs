//! The committed JSON Schemas must match what the code generates.
//! Regenerate with: CHIRON_UPDATE_SCHEMAS=1 cargo test --test schemas

use std::path::Path;

#[test]
fn config_schema_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/chiron.schema.json");
    let generated = chiron::config::json_schema();
    if std::env::var_os("CHIRON_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/chiron.schema.json is out of date: run CHIRON_UPDATE_SCHEMAS=1 cargo test --test schemas"
    );
}

#[test]
fn config_schema_describes_every_section() {
    let schema: serde_json::Value = serde_json::from_str(&chiron::config::json_schema()).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for section in [
        "inputs",
        "targets",
        "index",
        "cache",
        "wheelhouse",
        "policy",
        "signing",
        "telemetry",
    ] {
        assert!(
            properties.contains_key(section),
            "no {section} in the schema"
        );
    }
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn manifest_schema_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/manifest.schema.json");
    let generated = chiron::manifest::json_schema();
    if std::env::var_os("CHIRON_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/manifest.schema.json is out of date: run CHIRON_UPDATE_SCHEMAS=1 cargo test --test schemas"
    );
}
