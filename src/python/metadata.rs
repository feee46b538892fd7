//! Core metadata (`METADATA` in wheels, `PKG-INFO` in sdists, and PEP 658
//! `.metadata` files), versions 1.0 to 2.4.
//!
//! The format is RFC 822-style headers: `Key: value` lines, continuation
//! lines that start with white space, repeated keys for lists, and the long
//! description as the body after a blank line. It is parsed by hand because
//! e-mail crates decode headers as e-mail (RFC 2047, Latin-1), while core
//! metadata is plain UTF-8.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName, Requirement};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata of {subject}, line {line}: {message}")]
pub struct MetadataError {
    /// What the metadata belongs to (a file name or URL).
    pub subject: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CoreMetadata {
    pub metadata_version: String,
    pub name: String,
    pub version: String,
    pub summary: Option<String>,
    #[serde(serialize_with = "display_all")]
    pub requires_dist: Vec<Requirement>,
    #[serde(serialize_with = "display_opt")]
    pub requires_python: Option<VersionSpecifiers>,
    pub provides_extra: Vec<String>,
    pub license: Option<String>,
    /// PEP 639 SPDX expression.
    pub license_expression: Option<String>,
    pub license_files: Vec<String>,
    pub classifiers: Vec<String>,
    pub home_page: Option<String>,
    /// `Project-URL` entries as (label, URL).
    pub project_urls: Vec<(String, String)>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    /// Fields the sdist's build may change (metadata 2.2+).
    pub dynamic: Vec<String>,
}

fn display_all<S: serde::Serializer, T: std::fmt::Display>(
    items: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(items.iter().map(ToString::to_string))
}

fn display_opt<S: serde::Serializer, T: std::fmt::Display>(
    item: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match item {
        Some(item) => s.collect_str(item),
        None => s.serialize_none(),
    }
}

impl CoreMetadata {
    pub fn package_name(&self) -> Option<PackageName> {
        PackageName::from_str(&self.name).ok()
    }

    pub fn parsed_version(&self) -> Option<Version> {
        Version::from_str(&self.version).ok()
    }

    /// Who wrote the package, without e-mail addresses: `Author`, else the
    /// names in `Author-email` (`Jane Doe <jane@example.org>`), else the
    /// same from `Maintainer` and `Maintainer-email`.
    pub fn authors(&self) -> Option<String> {
        let names = |emails: &Option<String>| -> Option<String> {
            let names: Vec<String> = emails
                .as_deref()?
                .split(',')
                .filter_map(|entry| {
                    let name = entry.split('<').next()?.trim().trim_matches('"').trim();
                    (!name.is_empty() && !name.contains('@')).then(|| name.to_string())
                })
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        };
        let plain = |field: &Option<String>| {
            field
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("unknown") && !s.contains('@'))
                .map(str::to_string)
        };
        plain(&self.author)
            .or_else(|| names(&self.author_email))
            .or_else(|| plain(&self.maintainer))
            .or_else(|| names(&self.maintainer_email))
    }

    /// Whether a field is declared dynamic (case-insensitive, per PEP 643).
    pub fn is_dynamic(&self, field: &str) -> bool {
        self.dynamic.iter().any(|d| d.eq_ignore_ascii_case(field))
    }

    /// The requirements that apply with the given extras active, for any
    /// environment (markers are kept for the caller to evaluate).
    pub fn extras(&self) -> Vec<ExtraName> {
        self.provides_extra
            .iter()
            .filter_map(|e| ExtraName::from_str(e).ok())
            .collect()
    }

    /// Parses metadata text. `subject` names its origin in errors.
    pub fn parse(text: &str, subject: &str) -> Result<Self, MetadataError> {
        let error = |line: usize, message: String| MetadataError {
            subject: subject.to_string(),
            line,
            message,
        };
        let mut fields: Vec<(usize, String, String)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let number = number + 1;
            if line.is_empty() {
                break; // the body (long description) starts here
            }
            if line.starts_with([' ', '\t']) {
                match fields.last_mut() {
                    Some((_, _, value)) => {
                        value.push('\n');
                        value.push_str(line.trim());
                    }
                    None => return Err(error(number, "continuation line before any field".into())),
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(error(
                    number,
                    format!("expected `Key: value`, found `{line}`"),
                ));
            };
            fields.push((
                number,
                key.trim().to_ascii_lowercase(),
                value.trim().to_string(),
            ));
        }

        let mut meta = CoreMetadata::default();
        for (line, key, value) in fields {
            match key.as_str() {
                "metadata-version" => meta.metadata_version = value,
                "name" => meta.name = value,
                "version" => meta.version = value,
                "summary" => meta.summary = Some(value),
                "requires-dist" => {
                    let requirement = Requirement::from_str(&value)
                        .map_err(|e| error(line, format!("bad Requires-Dist `{value}`: {e}")))?;
                    meta.requires_dist.push(requirement);
                }
                "requires-python" => {
                    let specifiers = VersionSpecifiers::from_str(&value)
                        .map_err(|e| error(line, format!("bad Requires-Python `{value}`: {e}")))?;
                    meta.requires_python = Some(specifiers);
                }
                "provides-extra" => meta.provides_extra.push(value),
                "license" => meta.license = Some(value),
                "license-expression" => meta.license_expression = Some(value),
                "license-file" => meta.license_files.push(value),
                "classifier" => meta.classifiers.push(value),
                "home-page" => meta.home_page = Some(value),
                "project-url" => {
                    let (label, url) = value
                        .split_once(',')
                        .map(|(l, u)| (l.trim().to_string(), u.trim().to_string()))
                        .unwrap_or_else(|| (String::new(), value.clone()));
                    meta.project_urls.push((label, url));
                }
                "author" => meta.author = Some(value),
                "author-email" => meta.author_email = Some(value),
                "maintainer" => meta.maintainer = Some(value),
                "maintainer-email" => meta.maintainer_email = Some(value),
                "dynamic" => meta.dynamic.push(value),
                _ => {} // other fields (Platform, Keywords, ...) are not needed
            }
        }
        if meta.name.is_empty() {
            return Err(error(1, "no Name field".into()));
        }
        if meta.version.is_empty() {
            return Err(error(1, "no Version field".into()));
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUESTS: &str = "Metadata-Version: 2.1
Name: requests
Version: 2.32.3
Summary: Python HTTP for Humans.
Home-page: https://requests.readthedocs.io
Author: Kenneth Reitz
License: Apache-2.0
Project-URL: Source, https://github.com/psf/requests
Classifier: License :: OSI Approved :: Apache Software License
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.8
Description-Content-Type: text/markdown
License-File: LICENSE
Requires-Dist: charset-normalizer<4,>=2
Requires-Dist: idna<4,>=2.5
Requires-Dist: urllib3<3,>=1.21.1
Requires-Dist: certifi>=2017.4.17
Provides-Extra: socks
Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"
Provides-Extra: use-chardet-on-py3
Requires-Dist: chardet<6,>=3.0.2; extra == \"use-chardet-on-py3\"

# Requests

**Requests** is a simple, yet elegant, HTTP library.
Name: not-a-field
";

    #[test]
    fn authors_come_without_addresses() {
        let meta = |text: &str| {
            CoreMetadata::parse(
                &format!("Metadata-Version: 2.1\nName: x\nVersion: 1\n{text}"),
                "t",
            )
            .unwrap()
        };
        assert_eq!(
            meta("Author: Jane Doe\n").authors().as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            meta("Author-email: Jane Doe <jane@example.org>, \"Max M\" <max@example.org>\n")
                .authors()
                .as_deref(),
            Some("Jane Doe, Max M")
        );
        assert_eq!(
            meta("Author-email: jane@example.org\nMaintainer: The Team\n")
                .authors()
                .as_deref(),
            Some("The Team")
        );
        assert_eq!(meta("Author: UNKNOWN\n").authors(), None);
    }

    #[test]
    fn parses_real_metadata() {
        let meta = CoreMetadata::parse(REQUESTS, "requests").unwrap();
        assert_eq!(meta.name, "requests");
        assert_eq!(meta.parsed_version().unwrap().to_string(), "2.32.3");
        assert_eq!(meta.requires_dist.len(), 6);
        assert_eq!(meta.requires_dist[4].name.as_ref(), "pysocks");
        assert_eq!(meta.requires_python.as_ref().unwrap().to_string(), ">=3.8");
        assert_eq!(meta.provides_extra, ["socks", "use-chardet-on-py3"]);
        assert_eq!(meta.classifiers.len(), 2);
        assert_eq!(
            meta.project_urls,
            [("Source".into(), "https://github.com/psf/requests".into())]
        );
        assert_eq!(meta.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(meta.license_files, ["LICENSE"]);
    }

    #[test]
    fn pep639_and_dynamic_and_folded_lines() {
        let text = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\n\
                    Dynamic: Requires-Dist\nLicense: line one\n        line two\n";
        let meta = CoreMetadata::parse(text, "demo").unwrap();
        assert_eq!(
            meta.license_expression.as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert!(meta.is_dynamic("requires-dist"));
        assert_eq!(meta.license.as_deref(), Some("line one\nline two"));
    }

    #[test]
    fn errors_name_the_line() {
        let text = "Metadata-Version: 2.1\nName: bad\nVersion: 1\nRequires-Dist: foo (>=\n";
        let error = CoreMetadata::parse(text, "bad-1.whl").unwrap_err();
        assert_eq!(error.line, 4);
        assert!(
            error
                .to_string()
                .starts_with("metadata of bad-1.whl, line 4: bad Requires-Dist")
        );
        assert!(
            CoreMetadata::parse("Name: x\n", "x")
                .unwrap_err()
                .message
                .contains("Version")
        );
        assert!(CoreMetadata::parse("garbage\n", "x").is_err());
    }
}
