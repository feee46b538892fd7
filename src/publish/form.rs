//! The text fields of one upload, as twine sends them to Warehouse's
//! legacy API: the action and protocol, every core-metadata field (many
//! values as many fields), and what the file itself says (`filetype`,
//! `pyversion`, `sha256_digest`). The file goes beside them as `content`.
//! Pure.

use super::dist::Distribution;
use super::metadata::FormField;

/// The form fields of `dist`, in a stable order: the action, the metadata
/// as written, then the file's own fields.
pub fn form_fields(dist: &Distribution) -> Vec<FormField> {
    let mut fields: Vec<FormField> = vec![
        (":action", "file_upload".into()),
        ("protocol_version", "1".into()),
    ];
    // License-File before metadata 2.4 is setuptools' own field, not
    // PEP 639's: Warehouse refuses it there, so twine drops it too.
    let pep639 = metadata_at_least(dist.metadata.get("metadata_version"), (2, 4));
    fields.extend(
        dist.metadata
            .fields
            .iter()
            .filter(|(name, _)| pep639 || *name != "license_file")
            .map(|(name, value)| match *name {
                // twine (packaging's metadata) sends the keywords as a
                // list joined with ", ".
                "keywords" => (*name, keywords(value)),
                _ => (*name, value.clone()),
            }),
    );
    fields.push(("filetype", dist.kind.filetype().into()));
    fields.push(("pyversion", dist.pyversion.clone()));
    fields.push(("sha256_digest", dist.sha256.clone()));
    fields
}

/// `a,b , c` as `a, b, c`.
fn keywords(value: &str) -> String {
    value
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a `Metadata-Version` is at least `wanted` (major, minor); an
/// unreadable one is not.
fn metadata_at_least(version: Option<&str>, wanted: (u32, u32)) -> bool {
    let Some((major, minor)) = version.and_then(|v| v.trim().split_once('.')) else {
        return false;
    };
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(major), Ok(minor)) => (major, minor) >= wanted,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::publish::dist::DistKind;
    use crate::publish::metadata::parse;

    fn dist(metadata: &str, kind: DistKind) -> Distribution {
        Distribution {
            path: "x".into(),
            filename: "x".into(),
            kind,
            name: pep508_rs::PackageName::from_str("demo").unwrap(),
            version: pep440_rs::Version::from_str("1.0").unwrap(),
            pyversion: "py3".into(),
            metadata: parse(metadata).unwrap(),
            sha256: "ab".repeat(32),
            size: 1,
        }
    }

    #[test]
    fn the_form_holds_the_action_metadata_and_file() {
        let fields = form_fields(&dist(
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\nClassifier: A\nClassifier: B\n",
            DistKind::Wheel,
        ));
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                ":action",
                "protocol_version",
                "metadata_version",
                "name",
                "version",
                "license_file",
                "classifiers",
                "classifiers",
                "filetype",
                "pyversion",
                "sha256_digest"
            ]
        );
        assert!(fields.contains(&("filetype", "bdist_wheel".into())));
    }

    #[test]
    fn setuptools_license_file_is_dropped_before_2_4() {
        let fields = form_fields(&dist(
            "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n",
            DistKind::Sdist,
        ));
        assert!(!fields.iter().any(|(n, _)| *n == "license_file"));
        assert!(fields.contains(&("filetype", "sdist".into())));
        for (version, at_least) in [("2.4", true), ("2.10", true), ("2.3", false), ("x", false)] {
            assert_eq!(
                metadata_at_least(Some(version), (2, 4)),
                at_least,
                "{version}"
            );
        }
    }
}
