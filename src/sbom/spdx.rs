//! SPDX 2.3 JSON of a wheelhouse or any other inventory: one package per
//! package version (with its purl and declared licence), one package per
//! distribution file (with its sha256 and download location) related to
//! it by `VARIANT_OF` (one file per platform is a variant of the release),
//! and `DEPENDS_ON` edges from the resolution.
//! Written as plain JSON: no maintained Rust crate writes SPDX 2.3
//! documents (the `spdx` crate parses licence expressions only).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{SbomOptions, files_of, license::spdx_expression, parent_refs, purl};
use crate::manifest::{Manifest, ManifestFile, ManifestPackage};

/// An SPDX identifier: letters, digits, `.` and `-` only.
fn spdx_id(prefix: &str, text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{prefix}-{clean}")
}

/// A licence field as SPDX wants it: a valid expression, else
/// `NOASSERTION` (a name that is not an SPDX id is never turned into one).
fn declared(license: &Option<String>) -> String {
    license
        .as_deref()
        .and_then(spdx_expression)
        .filter(|e| ::spdx::Expression::parse(e).is_ok())
        .unwrap_or_else(|| "NOASSERTION".into())
}

/// The document; `now` is used for `created` when `SOURCE_DATE_EPOCH` is
/// not set, as SPDX requires a creation time.
pub fn spdx_json(manifest: &Manifest, options: &SbomOptions, now: i64) -> String {
    let root = "SPDXRef-Project".to_string();
    let ids: BTreeMap<&str, String> = manifest
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                spdx_id("Package", &format!("{}-{}", p.name, p.version)),
            )
        })
        .collect();
    let mut packages = vec![project_package(&root, options)];
    let mut edges = BTreeSet::new();
    let mut file_ids = BTreeSet::new();
    for package in &manifest.packages {
        let id = &ids[package.name.as_str()];
        packages.push(package_entry(id, package));
        for file in files_of(manifest, package) {
            let file_id = spdx_id("File", &file.filename);
            if !file_ids.insert(file_id.clone()) {
                continue;
            }
            packages.push(distribution_entry(&file_id, package, file));
            edges.insert((file_id, "VARIANT_OF", id.clone()));
        }
        for from in parent_refs(package, &root, &ids) {
            edges.insert((from.clone(), "DEPENDS_ON", id.clone()));
        }
    }
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root,
    })];
    relationships.extend(edges.into_iter().map(|(from, kind, to)| {
        json!({ "spdxElementId": from, "relationshipType": kind, "relatedSpdxElement": to })
    }));
    let created = crate::time::rfc3339(options.source_date_epoch.unwrap_or(now));
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{} (chiron)", options.project),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: chiron-{}", manifest.tool.version)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    let gaps = super::gap_lines(manifest);
    if !gaps.is_empty() {
        document["comment"] = json!(format!(
            "Declared targets not covered (chiron:gap):\n{}",
            gaps.join("\n")
        ));
    }
    document["documentNamespace"] = json!(document_namespace(&document, &options.project));
    let mut text: String =
        serde_json::to_string_pretty(&document).expect("a document always serialises");
    text.push('\n');
    text
}

/// The project the document describes: the root of the dependency edges.
fn project_package(root: &str, options: &SbomOptions) -> Value {
    json!({
        "SPDXID": root,
        "name": options.project,
        "versionInfo": options.project_version.clone().unwrap_or_else(|| "NOASSERTION".into()),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
    })
}

/// A package version: its purl, declared licence (or what was declared,
/// as a comment, when it is no SPDX expression), summary and authors.
fn package_entry(id: &str, package: &ManifestPackage) -> Value {
    let mut entry = json!({
        "SPDXID": id,
        "name": package.name,
        "versionInfo": package.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": declared(&package.license),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": purl(package.name.as_str(), &package.version),
        }],
    });
    if let Some(summary) = package.summary.as_ref().filter(|s| !s.is_empty()) {
        entry["summary"] = json!(summary);
    }
    if let Some(authors) = &package.authors {
        entry["originator"] = json!(format!("Person: {authors}"));
    }
    if let Some(text) = &package.license
        && declared(&package.license) == "NOASSERTION"
    {
        entry["licenseComments"] = json!(format!("declared as: {text}"));
    }
    entry
}

/// A distribution file of a package: its name, download location and
/// sha256.
fn distribution_entry(file_id: &str, package: &ManifestPackage, file: &ManifestFile) -> Value {
    let mut distribution = json!({
        "SPDXID": file_id,
        "name": package.name,
        "versionInfo": package.version,
        "packageFileName": file.filename.split('#').next().unwrap_or_default(),
        "downloadLocation": if file.url.is_empty() { "NOASSERTION".to_string() } else { file.url.clone() },
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": declared(&package.license),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "ARCHIVE",
    });
    if let Some(sha256) = file.sha256 {
        distribution["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": sha256 }]);
    }
    distribution
}

/// The namespace must be unique per document: derived from the content
/// (before the namespace is set) and the project's name.
fn document_namespace(document: &Value, project: &str) -> String {
    let digest = crate::digest::sha256(document.to_string().as_bytes());
    let hex = crate::digest::hex(&digest[..16]);
    let name: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("https://spdx.org/spdxdocs/chiron/{name}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_the_namespace_keep_to_the_characters_spdx_allows() {
        assert_eq!(
            spdx_id("File", "torch-2.5.1+cpu-cp312-cp312-linux_x86_64.whl"),
            "SPDXRef-File-torch-2.5.1-cpu-cp312-cp312-linux-x86-64.whl"
        );
        let namespace = document_namespace(&json!({ "name": "x" }), "My App/2");
        let (prefix, hex) = namespace.rsplit_once('-').unwrap();
        assert_eq!(prefix, "https://spdx.org/spdxdocs/chiron/My-App-2");
        assert_eq!(hex.len(), 32);
        assert_ne!(
            namespace,
            document_namespace(&json!({ "name": "y" }), "My App/2")
        );
    }

    #[test]
    fn a_licence_that_is_no_spdx_expression_is_noassertion_with_a_comment() {
        let package: ManifestPackage = serde_json::from_value(json!({
            "name": "demo", "version": "1.0", "license": "Some custom licence",
            "summary": "", "authors": "Jane Doe", "requires_dist": [], "targets": {},
        }))
        .unwrap();
        let entry = package_entry("SPDXRef-Package-demo-1.0", &package);
        assert_eq!(entry["licenseDeclared"], "NOASSERTION");
        assert_eq!(entry["licenseComments"], "declared as: Some custom licence");
        assert_eq!(entry["originator"], "Person: Jane Doe");
        assert_eq!(entry.get("summary"), None, "an empty summary is left out");
        let mit = ManifestPackage {
            license: Some("MIT".into()),
            ..package
        };
        let entry = package_entry("SPDXRef-Package-demo-1.0", &mit);
        assert_eq!(entry["licenseDeclared"], "MIT");
        assert_eq!(entry.get("licenseComments"), None);
    }
}
