//! SPDX 2.3 JSON of a wheelhouse or any other inventory: one package per
//! package version (with its purl and declared licence), one package per
//! distribution file (with its sha256 and download location) related to
//! it by `VARIANT_OF` (one file per platform is a variant of the release),
//! and `DEPENDS_ON` edges from the resolution.
//! Written as plain JSON: no maintained Rust crate writes SPDX 2.3
//! documents (the `spdx` crate parses licence expressions only).

use std::collections::BTreeSet;

use serde_json::json;

use super::{SbomOptions, files_of, license::spdx_expression, purl};
use crate::manifest::Manifest;

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
    let mut packages = vec![json!({
        "SPDXID": root,
        "name": options.project,
        "versionInfo": options.project_version.clone().unwrap_or_else(|| "NOASSERTION".into()),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root,
    })];
    let ids: std::collections::BTreeMap<&str, String> = manifest
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                spdx_id("Package", &format!("{}-{}", p.name, p.version)),
            )
        })
        .collect();
    let mut edges = BTreeSet::new();
    let mut file_ids = BTreeSet::new();
    for package in &manifest.packages {
        let id = &ids[package.name.as_str()];
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
                "referenceLocator": purl(&package.name, &package.version),
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
        packages.push(entry);
        for file in files_of(manifest, package) {
            let file_id = spdx_id("File", &file.filename);
            if !file_ids.insert(file_id.clone()) {
                continue;
            }
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
            if !file.sha256.is_empty() {
                distribution["checksums"] =
                    json!([{ "algorithm": "SHA256", "checksumValue": file.sha256 }]);
            }
            packages.push(distribution);
            edges.insert((file_id, "VARIANT_OF", id.clone()));
        }
        for usage in package.targets.values() {
            for parent in &usage.required_by {
                let from = if parent == "direct" {
                    Some(&root)
                } else {
                    ids.get(parent.as_str())
                };
                if let Some(from) = from {
                    edges.insert((from.clone(), "DEPENDS_ON", id.clone()));
                }
            }
        }
    }
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
    // The namespace must be unique per document: derive it from the content.
    let hex = crate::digest::hex(&crate::digest::sha256(document.to_string().as_bytes())[..16]);
    let name: String = options
        .project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    document["documentNamespace"] = json!(format!("https://spdx.org/spdxdocs/chiron/{name}-{hex}"));
    let mut text: String =
        serde_json::to_string_pretty(&document).expect("a document always serialises");
    text.push('\n');
    text
}
