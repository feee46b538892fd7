//! SARIF 2.1.0 logs for findings of `chiron scan` and `chiron policy`, so
//! code-scanning dashboards (GitHub, GitLab, Azure DevOps) show them.
//! Written as plain JSON: the SARIF crates on crates.io generate the whole
//! object model from the schema, far more than the one run chiron writes.
//!
//! Every result points at the file that was scanned (a requirements file,
//! `pylock.toml`, `uv.lock`, a wheelhouse's `manifest.json`), relative to
//! `%SRCROOT%` (the folder chiron ran in) when it lies inside it, at the
//! line and column where the package is pinned.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Where to learn about chiron (SARIF `tool.driver.informationUri`): under
/// `chiron.invalid`, as the provenance's builder id, until the project has
/// a public home.
pub const INFORMATION_URI: &str = "https://chiron.invalid/";

/// The base id of artifact locations inside the working folder.
pub const SRCROOT: &str = "%SRCROOT%";

/// A kind of finding: one per advisory, or per policy rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    /// A friendly name in PascalCase (SARIF `name`).
    pub name: String,
    pub short: String,
    pub full: Option<String>,
    /// What to do about it (SARIF `help`).
    pub help: String,
    pub help_uri: Option<String>,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// CVSS base score as GitHub reads it (`security-severity`).
    pub security_severity: Option<f64>,
}

/// The scanned file, as the log names it.
#[derive(Debug, Clone, Default)]
pub struct Artifact {
    /// Relative to `root` (forward slashes, percent-encoded) when `root`
    /// is set, else an absolute `file:` URI.
    pub uri: String,
    /// The `file:` URI of the working folder (ending in `/`).
    pub root: Option<String>,
    /// The file's text, to find the lines of pins in (none for archives).
    pub text: Option<String>,
    /// The file's size, for a finding about a whole binary file.
    pub bytes: u64,
}

/// Where in the artifact a finding is (SARIF §3.30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Line and columns (1-based; UTF-16 code units; end exclusive).
    Text {
        line: usize,
        start_column: usize,
        end_column: usize,
    },
    /// The whole text file: its lines.
    Lines(usize),
    /// The whole binary file: its bytes.
    Bytes(u64),
}

impl Region {
    fn to_json(self) -> Value {
        match self {
            Region::Text {
                line,
                start_column,
                end_column,
            } => json!({
                "startLine": line,
                "startColumn": start_column,
                "endLine": line,
                "endColumn": end_column,
            }),
            Region::Lines(lines) => json!({ "startLine": 1, "endLine": lines.max(1) }),
            Region::Bytes(bytes) => json!({ "byteOffset": 0, "byteLength": bytes }),
        }
    }
}

impl Artifact {
    /// The artifact at `path`, relative to `cwd` when inside it.
    pub fn at(path: &std::path::Path, cwd: &std::path::Path) -> Self {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            cwd.join(path)
        };
        let bytes = std::fs::metadata(&absolute).map(|m| m.len()).unwrap_or(0);
        let text = std::fs::metadata(&absolute)
            .ok()
            .filter(|m| m.is_file() && m.len() <= 16 * 1024 * 1024)
            .and_then(|_| std::fs::read(&absolute).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let file = url::Url::from_file_path(&absolute).ok();
        let root = url::Url::from_directory_path(cwd).ok();
        match (&file, &root) {
            (Some(file), Some(root)) if absolute.starts_with(cwd) && absolute != cwd => Self {
                uri: root.make_relative(file).unwrap_or_else(|| file.to_string()),
                root: Some(root.to_string()),
                text,
                bytes,
            },
            _ => Self {
                uri: file
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| absolute.display().to_string()),
                root: None,
                text,
                bytes,
            },
        }
    }

    /// Where `name` (at `version`) is pinned in the file, else the whole
    /// file.
    pub fn locate(&self, name: &str, version: &str) -> Region {
        self.text
            .as_deref()
            .and_then(|text| pin_position(text, name, version))
            .unwrap_or_else(|| self.whole())
    }

    /// The whole file.
    pub fn whole(&self) -> Region {
        match &self.text {
            Some(text) => Region::Lines(text.lines().count()),
            None => Region::Bytes(self.bytes),
        }
    }
}

/// The start of a project name at the beginning of `text`.
fn name_token(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(text.len());
    &text[..end]
}

/// The quoted value of `key = "…"` (TOML) or `"key": "…"` (JSON) on a
/// line, if the line is that key.
fn key_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.trim_start();
    let rest = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_prefix(key)?.strip_prefix('"'))
        .or_else(|| rest.strip_prefix(key))?;
    let rest = rest.trim_start().strip_prefix(['=', ':'])?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

fn utf16_column(line: &str, byte: usize) -> usize {
    line[..byte].chars().map(char::len_utf16).sum::<usize>() + 1
}

/// The pin from `start` (a byte offset in `line`) to the end of the line's
/// content.
fn pin_region(number: usize, line: &str, start: usize) -> Region {
    let content = line.trim_end().trim_end_matches('\\').trim_end();
    Region::Text {
        line: number,
        start_column: utf16_column(line, start),
        end_column: utf16_column(line, content.len().max(start)),
    }
}

/// Where a package is pinned in a requirements file (`name==version`), a
/// TOML lock (`name = "…"` followed by `version = "…"`: pylock.toml,
/// uv.lock) or a JSON manifest (`"name": "…"`, `"version": "…"`).
pub fn pin_position(text: &str, name: &str, version: &str) -> Option<Region> {
    let wanted = crate::python::normalize(name);
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        // requirements: `name[extras] == version ...`
        let token = name_token(trimmed);
        if !token.is_empty() && crate::python::normalize(token) == wanted {
            let rest = trimmed[token.len()..].trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(r) => r.split_once(']').map_or("", |(_, r)| r).trim_start(),
                None => rest,
            };
            if let Some(pinned) = rest.strip_prefix("==") {
                let pinned = pinned.trim_start();
                if name_token(pinned.trim_start_matches('=')) == version
                    || pinned.starts_with(&format!("{version} "))
                    || pinned.starts_with(&format!("{version};"))
                {
                    return Some(pin_region(i + 1, line, indent));
                }
            }
        }
        // locks and manifests: a `name` key, then its `version` nearby.
        if let Some(value) = key_value(line, "name")
            && crate::python::normalize(value) == wanted
        {
            let same_version = lines
                .iter()
                .skip(i + 1)
                .take(8)
                .find_map(|l| key_value(l, "version"))
                .is_none_or(|v| v == version);
            if same_version {
                return Some(pin_region(i + 1, line, indent));
            }
        }
    }
    None
}

/// One occurrence of a rule.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub level: &'static str,
    pub message: String,
    /// Where in the artifact.
    pub region: Region,
    /// Keeps findings apart across runs (package, rule).
    pub fingerprint: String,
    pub properties: Value,
}

/// The SARIF log, as pretty JSON with a newline.
pub fn render(tool: &str, artifact: &Artifact, rules: &[Rule], findings: &[Finding]) -> String {
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
                "name": rule.name,
                "shortDescription": { "text": rule.short },
                "fullDescription": { "text": rule.full.clone().unwrap_or_else(|| rule.short.clone()) },
                "help": { "text": rule.help, "markdown": rule.help },
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
    let mut location = json!({ "uri": artifact.uri });
    if artifact.root.is_some() {
        location["uriBaseId"] = json!(SRCROOT);
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let physical = json!({
                "artifactLocation": location,
                "region": finding.region.to_json(),
            });
            let mut value = json!({
                "ruleId": finding.rule_id,
                "level": finding.level,
                "message": { "text": finding.message },
                "locations": [{ "physicalLocation": physical }],
                "partialFingerprints": { "chiron/v1": finding.fingerprint },
                "properties": finding.properties,
            });
            if let Some(i) = index.get(finding.rule_id.as_str()) {
                value["ruleIndex"] = json!(i);
            }
            value
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": tool,
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules_json,
            }
        },
        "artifacts": [{ "location": location }],
        "results": results,
        "columnKind": "utf16CodeUnits",
    });
    if let Some(root) = &artifact.root {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": root } });
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run]
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a log always serialises");
    text.push('\n');
    text
}

/// A PascalCase name of a kebab-case id (`license-denied` is
/// `LicenseDenied`).
pub fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_found_where_they_are_written() {
        let at = |text: &str, name: &str, version: &str| match pin_position(text, name, version) {
            Some(Region::Text {
                line, start_column, ..
            }) => Some((line, start_column)),
            _ => None,
        };
        let requirements = "# top\nRequests[socks] == 2.0.0 \\\n    --hash=sha256:aa\nlib==1.0 ; python_version >= \"3.8\"\nlibx==1.0\n";
        assert_eq!(
            pin_position(requirements, "requests", "2.0.0"),
            Some(Region::Text {
                line: 2,
                start_column: 1,
                end_column: 25
            })
        );
        assert_eq!(at(requirements, "lib", "1.0"), Some((4, 1)));
        assert_eq!(pin_position(requirements, "lib", "2.0"), None);
        let lock = "[[packages]]\nname = \"lib\"\nversion = \"0.9\"\n\n[[packages]]\n  name = \"Lib\"\n  version = \"1.0\"\n";
        assert_eq!(at(lock, "lib", "1.0"), Some((6, 3)));
        let manifest = "{\n  \"packages\": [\n    {\n      \"name\": \"app\",\n      \"version\": \"1.0\"\n    }\n  ]\n}\n";
        assert_eq!(at(manifest, "app", "1.0"), Some((4, 7)));
        // Columns count UTF-16 code units.
        assert_eq!(
            pin_position("y==1 # \u{e9}\u{1F600}\n", "y", "1"),
            Some(Region::Text {
                line: 1,
                start_column: 1,
                end_column: 11
            })
        );
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("license-denied"), "LicenseDenied");
        assert_eq!(pascal_case("chiron/not-checked"), "ChironNotChecked");
    }

    #[test]
    fn artifacts_inside_the_folder_are_relative_to_srcroot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a b")).unwrap();
        std::fs::write(dir.path().join("a b/req s.txt"), "x==1\n").unwrap();
        let artifact = Artifact::at(std::path::Path::new("a b/req s.txt"), dir.path());
        assert_eq!(artifact.uri, "a%20b/req%20s.txt");
        assert!(artifact.root.as_deref().unwrap().starts_with("file:///"));
        assert!(artifact.root.as_deref().unwrap().ends_with('/'));
        assert_eq!(
            artifact.locate("x", "1"),
            Region::Text {
                line: 1,
                start_column: 1,
                end_column: 5
            }
        );
        assert_eq!(artifact.locate("y", "1"), Region::Lines(1));
        let outside = Artifact::at(std::path::Path::new("/etc/hostname"), dir.path());
        assert!(outside.uri.starts_with("file:///") && outside.root.is_none());
    }
}
