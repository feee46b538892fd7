//! SARIF 2.1.0 logs for findings of `chiron scan` and `chiron policy`, so
//! code-scanning dashboards (GitHub, GitLab, Azure DevOps) show them.
//! Written as plain JSON: the SARIF crates on crates.io generate the whole
//! object model from the schema, far more than the one run chiron writes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// A kind of finding: one per advisory, or per policy rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub short: String,
    pub full: Option<String>,
    pub help_uri: Option<String>,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// CVSS base score as GitHub reads it (`security-severity`).
    pub security_severity: Option<f64>,
}

/// One occurrence of a rule.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub level: &'static str,
    pub message: String,
    /// The file the finding is reported against (manifest, lock, ...),
    /// relative to the working folder when possible.
    pub artifact: String,
    /// Keeps findings apart across runs (package, rule).
    pub fingerprint: String,
    pub properties: Value,
}

/// The SARIF log, as pretty JSON with a newline.
pub fn render(tool: &str, rules: &[Rule], findings: &[Finding]) -> String {
    let mut rules: Vec<&Rule> = rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let mut value = json!({
                "id": rule.id,
                "shortDescription": { "text": rule.short },
                "fullDescription": { "text": rule.full.clone().unwrap_or_else(|| rule.short.clone()) },
                "defaultConfiguration": { "level": rule.level },
                "properties": { "tags": ["security", "supply-chain"] },
            });
            if let Some(uri) = &rule.help_uri {
                value["helpUri"] = json!(uri);
            }
            if let Some(score) = rule.security_severity {
                value["properties"]["security-severity"] = json!(format!("{score:.1}"));
            }
            value
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let mut value = json!({
                "ruleId": finding.rule_id,
                "level": finding.level,
                "message": { "text": finding.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": finding.artifact },
                        "region": { "startLine": 1 },
                    }
                }],
                "partialFingerprints": { "chiron/v1": finding.fingerprint },
                "properties": finding.properties,
            });
            if let Some(i) = index.get(finding.rule_id.as_str()) {
                value["ruleIndex"] = json!(i);
            }
            value
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": tool,
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules_json,
                }
            },
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a log always serialises");
    text.push('\n');
    text
}

/// The level a severity maps to.
pub fn level_of(severity: Option<crate::config::Severity>) -> &'static str {
    use crate::config::Severity;
    match severity {
        Some(Severity::Critical | Severity::High) | None => "error",
        Some(Severity::Medium) => "warning",
        Some(Severity::Low | Severity::None) => "note",
    }
}
