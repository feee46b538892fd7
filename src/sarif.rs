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
        // `..` and links resolved, so that a file outside the folder is
        // not named relative to it.
        let absolute = std::fs::canonicalize(&absolute).unwrap_or(absolute);
        let cwd = &std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
        let bytes = std::fs::metadata(&absolute).map(|m| m.len()).unwrap_or(0);
        let text = std::fs::metadata(&absolute)
            .ok()
            .filter(|m| m.is_file() && m.len() <= 16 * 1024 * 1024)
            .and_then(|_| std::fs::read(&absolute).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let file = url::Url::from_file_path(&absolute).ok();
        let root = url::Url::from_directory_path(cwd).ok();
        match (&file, &root) {
            (Some(file), Some(root)) if absolute.starts_with(cwd) && absolute != *cwd => Self {
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

/// Every `key = "value"` (TOML) or `"key": "value"` (JSON) pair in a line,
/// at its start or after `{` or `,` (inline tables): the byte offsets of
/// the key's start and past the value's closing quote, and the value.
fn key_values<'a>(line: &'a str, key: &str) -> Vec<(usize, usize, &'a str)> {
    let mut starts = vec![line.len() - line.trim_start().len()];
    starts.extend(
        line.char_indices()
            .filter(|(_, c)| matches!(c, '{' | ','))
            .map(|(i, _)| i + 1 + (line[i + 1..].len() - line[i + 1..].trim_start().len())),
    );
    let mut found = Vec::new();
    for start in starts {
        let rest = &line[start..];
        let Some(after_key) = rest
            .strip_prefix('"')
            .and_then(|r| r.strip_prefix(key)?.strip_prefix('"'))
            .or_else(|| {
                rest.strip_prefix(key)
                    .filter(|r| r.starts_with([' ', '\t', '=', ':']))
            })
        else {
            continue;
        };
        let Some(value) = after_key
            .trim_start()
            .strip_prefix(['=', ':'])
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('"'))
        else {
            continue;
        };
        let Some(close) = value.find('"') else {
            continue;
        };
        let value_start = line.len() - value.len();
        found.push((start, value_start + close + 1, &value[..close]));
    }
    found
}

/// Whether a line opens a TOML table (`[x]`, `[[x]]`).
fn is_toml_header(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.starts_with('[') && trimmed.ends_with(']') && !trimmed.contains('=')
}

/// The `version` of the entry whose `name` is on line `at`: in the same
/// inline table, else in the lines of the same table or object (up to a
/// TOML header, another `name`, or the object's end).
fn entry_version<'a>(lines: &[&'a str], at: usize, name_start: usize) -> Option<&'a str> {
    let line = lines[at];
    let open = line[..name_start].rfind('{');
    if let Some(open) = open {
        let close = line[open..].find('}').map_or(line.len(), |c| open + c);
        return key_values(&line[..close], "version")
            .into_iter()
            .find(|(start, _, _)| *start > open)
            .map(|(_, _, v)| v);
    }
    let mut depth = 0i32;
    for next in &lines[at + 1..] {
        if is_toml_header(next) || !key_values(next, "name").is_empty() && depth == 0 {
            break;
        }
        if let Some((_, _, v)) = key_values(next, "version").first()
            && depth == 0
        {
            return Some(v);
        }
        depth += next.matches('{').count() as i32 - next.matches('}').count() as i32;
        if depth < 0 {
            break;
        }
    }
    for previous in lines[..at].iter().rev() {
        let trimmed = previous.trim_end();
        if is_toml_header(previous)
            || trimmed.ends_with('{')
            || !key_values(previous, "name").is_empty()
        {
            break;
        }
        if let Some((_, _, v)) = key_values(previous, "version").first() {
            return Some(v);
        }
    }
    None
}

fn utf16_column(line: &str, byte: usize) -> usize {
    line[..byte].chars().map(char::len_utf16).sum::<usize>() + 1
}

fn text_region(number: usize, line: &str, start: usize, end: usize) -> Region {
    Region::Text {
        line: number,
        start_column: utf16_column(line, start),
        end_column: utf16_column(line, end.max(start)),
    }
}

/// The end (a byte offset in `line`) of `name[extras] == version` that
/// starts at `start`, when it pins `version`.
fn requirement_pin_end(line: &str, start: usize, version: &str) -> Option<usize> {
    let token = name_token(&line[start..]);
    let mut at = start + token.len();
    let rest = &line[at..];
    at += rest.len() - rest.trim_start().len();
    if line[at..].starts_with('[') {
        at += line[at..].find(']')? + 1;
        let rest = &line[at..];
        at += rest.len() - rest.trim_start().len();
    }
    at += if line[at..].starts_with("===") {
        3
    } else if line[at..].starts_with("==") {
        2
    } else {
        return None;
    };
    let rest = &line[at..];
    at += rest.len() - rest.trim_start().len();
    let pinned = name_token(&line[at..]);
    (pinned == version).then_some(at + pinned.len())
}

/// Where a package is pinned in a requirements file (`name==version`), a
/// TOML lock (`name = "…"` with `version = "…"` in the same table:
/// pylock.toml, uv.lock, inline tables too) or a JSON manifest (`"name":
/// "…"` with `"version": "…"` in the same object). A `name` without a
/// version beside it (a dependency list) is not a pin.
pub fn pin_position(text: &str, name: &str, version: &str) -> Option<Region> {
    let wanted = crate::python::normalize(name);
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let token = name_token(&line[indent..]);
        if !token.is_empty()
            && crate::python::normalize(token) == wanted
            && let Some(end) = requirement_pin_end(line, indent, version)
        {
            return Some(text_region(i + 1, line, indent, end));
        }
        for (start, end, value) in key_values(line, "name") {
            if crate::python::normalize(value) == wanted
                && entry_version(&lines, i, start) == Some(version)
            {
                return Some(text_region(i + 1, line, start, end));
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
        // The region ends with the pin, before a comment.
        assert_eq!(
            pin_position("lib === 1.0  # why\n", "lib", "1.0"),
            Some(Region::Text {
                line: 1,
                start_column: 1,
                end_column: 12
            })
        );
        // chiron's own pylock: dependency tables name packages without a
        // version; the package's own entry is the pin.
        let pylock = "[[packages]]\nname = \"app\"\nversion = \"1.0\"\n\n[[packages.dependencies]]\nname = \"lib\"\n\n[[packages.wheels]]\nname = \"app-1.0-py3-none-any.whl\"\n\n[[packages]]\nname = \"lib\"\nversion = \"2.0\"\n";
        assert_eq!(at(pylock, "lib", "2.0"), Some((12, 1)));
        // Inline tables.
        let inline = "packages = [\n  { name = \"Foo_Bar\", version = \"1.1\" },\n  { name = \"x\", version = \"2\" },\n]\n";
        assert_eq!(at(inline, "foo-bar", "1.1"), Some((2, 5)));
        assert_eq!(at(inline, "x", "2"), Some((3, 5)));
        assert_eq!(at(inline, "x", "1.1"), None);
        assert_eq!(at(requirements, "lib", "1.0"), Some((4, 1)));
        assert_eq!(pin_position(requirements, "lib", "2.0"), None);
        let lock = "[[packages]]\nname = \"lib\"\nversion = \"0.9\"\n\n[[packages]]\n  name = \"Lib\"\n  version = \"1.0\"\n";
        assert_eq!(at(lock, "lib", "1.0"), Some((6, 3)));
        let manifest = "{\n  \"packages\": [\n    {\n      \"name\": \"app\",\n      \"version\": \"1.0\"\n    }\n  ]\n}\n";
        assert_eq!(at(manifest, "app", "1.0"), Some((4, 7)));
        // Columns count UTF-16 code units.
        assert_eq!(
            pin_position("\u{e9}\u{1F600} = 1\n  y==1 # \u{e9}\n", "y", "1"),
            Some(Region::Text {
                line: 2,
                start_column: 3,
                end_column: 7
            })
        );
        assert_eq!(
            pin_position(
                "x = [{ a = \"\u{1F600}\", name = \"y\", version = \"1\" }]\n",
                "y",
                "1"
            ),
            Some(Region::Text {
                line: 1,
                start_column: 18,
                end_column: 28
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
        // `..` that leaves the folder: an absolute URI, not a relative one.
        let inner = dir.path().join("a b");
        let up = Artifact::at(std::path::Path::new("../a b/req s.txt"), &inner);
        assert_eq!(
            up.uri,
            "a%20b/req%20s.txt".to_string().replace("a%20b/", "")
        );
        let sibling = tempfile::tempdir().unwrap();
        std::fs::write(sibling.path().join("r.txt"), "x==1\n").unwrap();
        let away = Artifact::at(
            &sibling
                .path()
                .join("../")
                .join(sibling.path().file_name().unwrap())
                .join("r.txt"),
            &inner,
        );
        assert!(
            away.uri.starts_with("file:///") && away.root.is_none(),
            "{}",
            away.uri
        );
    }
}
