//! Core metadata (`METADATA`, `PKG-INFO`) as the upload form wants it:
//! every field in the order written, under the form's name for it, a
//! field used many times sent many times, and the long description from
//! the body. Pure: text in, fields out.
//!
//! `crate::python::metadata` reads the fields chiron decides with; this
//! reader keeps them all, as written, because the index stores them.

/// One form field: its name in the upload form and its value.
pub type FormField = (&'static str, String);

/// The form name of each core-metadata field (header names compared
/// case-insensitively), as Warehouse's legacy upload API reads them.
const FIELDS: &[(&str, &str)] = &[
    ("metadata-version", "metadata_version"),
    ("name", "name"),
    ("version", "version"),
    ("platform", "platform"),
    ("supported-platform", "supported_platform"),
    ("summary", "summary"),
    ("description", "description"),
    ("description-content-type", "description_content_type"),
    ("keywords", "keywords"),
    ("home-page", "home_page"),
    ("download-url", "download_url"),
    ("author", "author"),
    ("author-email", "author_email"),
    ("maintainer", "maintainer"),
    ("maintainer-email", "maintainer_email"),
    ("license", "license"),
    ("license-expression", "license_expression"),
    ("license-file", "license_file"),
    ("classifier", "classifiers"),
    ("requires-dist", "requires_dist"),
    ("requires-python", "requires_python"),
    ("requires-external", "requires_external"),
    ("project-url", "project_urls"),
    ("provides-extra", "provides_extra"),
    ("provides-dist", "provides_dist"),
    ("obsoletes-dist", "obsoletes_dist"),
    ("requires", "requires"),
    ("provides", "provides"),
    ("obsoletes", "obsoletes"),
    ("dynamic", "dynamic"),
];

/// The metadata of one distribution, as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadMetadata {
    /// Every known field, in the order written (the body's description last).
    pub fields: Vec<FormField>,
    /// Header names the form has no field for (sent nowhere).
    pub unknown: Vec<String>,
}

impl UploadMetadata {
    /// The first value of a form field.
    pub fn get(&self, form_name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| *name == form_name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a form field.
    pub fn all(&self, form_name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(name, _)| *name == form_name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// Parses metadata text: `Key: value` headers, continuation lines, and the
/// body after the first blank line as the description. The error says the
/// line and what is wrong.
pub fn parse(text: &str) -> Result<UploadMetadata, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut lines = text.split('\n').enumerate();
    let mut body = None;
    for (number, line) in lines.by_ref() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            body = Some(number + 1);
            break;
        }
        if line.starts_with([' ', '\t']) {
            let Some((key, value)) = headers.last_mut() else {
                return Err(format!(
                    "line {}: continuation line before any field",
                    number + 1
                ));
            };
            value.push('\n');
            value.push_str(&continuation(key, line));
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!(
                "line {}: expected `Key: value`, found `{line}`",
                number + 1
            ));
        };
        headers.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut metadata = UploadMetadata::default();
    for (key, value) in headers {
        match FIELDS.iter().find(|(header, _)| *header == key) {
            Some((_, form)) => metadata.fields.push((form, value)),
            None => metadata.unknown.push(key),
        }
    }
    if body.is_some() {
        let rest: Vec<&str> = lines
            .map(|(_, line)| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        let description = rest.join("\n");
        if !description.trim().is_empty() && metadata.get("description").is_none() {
            metadata.fields.push(("description", description));
        }
    }
    for required in ["metadata_version", "name", "version"] {
        if metadata.get(required).is_none_or(str::is_empty) {
            return Err(format!("no {} field", header_name(required)));
        }
    }
    Ok(metadata)
}

/// A continuation line's text: the description's old folded form keeps its
/// indentation after the 8 spaces and `|` setuptools wrote; other fields
/// lose the leading white space.
fn continuation(key: &str, line: &str) -> String {
    if key == "description" {
        let unindented = line.strip_prefix("        ").unwrap_or(line.trim_start());
        return unindented
            .strip_prefix('|')
            .unwrap_or(unindented)
            .to_string();
    }
    line.trim().to_string()
}

/// The header a form field comes from, for messages.
fn header_name(form: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(_, name)| *name == form)
        .map_or("?", |(header, _)| header)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETUPTOOLS: &str = "Metadata-Version: 2.4\r\nName: demo-pkg\r\nVersion: 1.0\r\n\
Summary: A demo\r\nAuthor-email: Jane <jane@example.test>\r\nLicense-Expression: MIT\r\n\
License-File: LICENSE\r\nClassifier: Programming Language :: Python :: 3\r\n\
Classifier: Typing :: Typed\r\nRequires-Python: >=3.9\r\nRequires-Dist: requests>=2\r\n\
Requires-Dist: rich; extra == \"cli\"\r\nProvides-Extra: cli\r\n\
Project-URL: Homepage, https://example.test\r\nKeywords: a,b\r\nDynamic: license-file\r\n\
Description-Content-Type: text/markdown\r\nX-Unknown: yes\r\n\r\n# Demo\r\n\r\nLong text.\r\n";

    #[test]
    fn every_field_is_kept_in_order_and_repeated() {
        let metadata = parse(SETUPTOOLS).unwrap();
        assert_eq!(metadata.get("name"), Some("demo-pkg"));
        assert_eq!(
            metadata.all("classifiers"),
            ["Programming Language :: Python :: 3", "Typing :: Typed"]
        );
        assert_eq!(
            metadata.all("requires_dist"),
            ["requests>=2", "rich; extra == \"cli\""]
        );
        assert_eq!(
            metadata.get("project_urls"),
            Some("Homepage, https://example.test")
        );
        assert_eq!(metadata.get("keywords"), Some("a,b"));
        assert_eq!(metadata.get("license_file"), Some("LICENSE"));
        assert_eq!(metadata.get("dynamic"), Some("license-file"));
        assert_eq!(metadata.get("description"), Some("# Demo\n\nLong text.\n"));
        assert_eq!(metadata.unknown, ["x-unknown"]);
        let names: Vec<&str> = metadata.fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(&names[..3], ["metadata_version", "name", "version"]);
    }

    #[test]
    fn the_old_folded_description_is_unfolded() {
        let text = "Metadata-Version: 1.1\nName: old\nVersion: 0.1\nDescription: first\n        |  indented\n        last\n";
        let metadata = parse(text).unwrap();
        assert_eq!(metadata.get("description"), Some("first\n  indented\nlast"));
    }

    #[test]
    fn malformed_metadata_says_where() {
        for (text, wanted) in [
            ("Name: x\n", "no metadata-version field"),
            ("Metadata-Version: 2.1\nVersion: 1\n", "no name field"),
            (
                "Metadata-Version: 2.1\nName: x\nVersion: 1\nnot a header\n",
                "line 4",
            ),
            (" leading\n", "line 1: continuation"),
            ("", "no metadata-version field"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(wanted), "{text:?}: {error}");
        }
    }
}
