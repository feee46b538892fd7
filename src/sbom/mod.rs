//! Software bills of materials, computed from a wheelhouse's manifest.
//!
//! CycloneDX JSON (1.6, or 1.5 on request) is built as plain JSON here:
//! the `cyclonedx-bom` crate models the 1.3–1.5 specifications but not
//! 1.6, and the document chiron needs is small. Deterministic: keys sorted,
//! lists sorted, the timestamp only from `SOURCE_DATE_EPOCH`, and the
//! serial number derived from the content.

pub mod license;
pub mod spdx;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::manifest::{Manifest, ManifestFile, ManifestPackage, Parent};
use crate::python::NormalizedName;

/// The CycloneDX specification version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecVersion {
    V1_5,
    V1_6,
}

impl SpecVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
        }
    }
}

impl std::str::FromStr for SpecVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "1.5" => Ok(SpecVersion::V1_5),
            "1.6" => Ok(SpecVersion::V1_6),
            other => Err(format!(
                "CycloneDX {other} is not supported: use 1.6 or 1.5"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SbomOptions {
    pub spec: SpecVersion,
    /// The project the wheelhouse serves, for the root component.
    pub project: String,
    pub project_version: Option<String>,
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<i64>,
}

/// `pkg:pypi/<name>@<version>`, name normalised as the purl spec asks.
pub fn purl(name: &str, version: &str) -> String {
    let name = name.to_ascii_lowercase().replace('_', "-");
    let version = version.replace('+', "%2B");
    format!("pkg:pypi/{name}@{version}")
}

fn licenses(text: &Option<String>) -> Option<Value> {
    let text = text.as_deref()?;
    Some(match license::spdx_expression(text) {
        Some(expression) if ::spdx::license_id(&expression).is_some() => {
            json!([{ "license": { "id": expression } }])
        }
        Some(expression) => json!([{ "expression": expression }]),
        None => json!([{ "license": { "name": text } }]),
    })
}

/// The files of `package` in `manifest`: those a target installs, and any
/// other file whose name is a distribution of the same name and version
/// (a lock lists every wheel of a release).
pub fn files_of<'m>(manifest: &'m Manifest, package: &ManifestPackage) -> Vec<&'m ManifestFile> {
    let name = &package.name;
    let named: BTreeSet<&str> = package.targets.values().map(|u| u.file.as_str()).collect();
    let hashed_pin = format!("{name}-{}#", package.version);
    manifest
        .files
        .iter()
        .filter(|file| {
            named.contains(file.filename.as_str())
                || file.filename.starts_with(&hashed_pin)
                || crate::python::filename::DistFilename::parse(&file.filename, None).is_some_and(
                    |dist| {
                        NormalizedName::from(dist.name()) == *name
                            && dist.version().to_string() == package.version
                    },
                )
        })
        .collect()
}

/// One line per declared target the manifest does not serve and package
/// that has no wheel for it: `3.12-macos-arm64 scikit-learn: <reason>;
/// hint: <hint>`; a target whose requirements conflict has one line
/// without a package.
pub fn gap_lines(manifest: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    for gap in &manifest.gaps {
        if gap.packages.is_empty() {
            let first = gap.reason.lines().next().unwrap_or_default();
            out.push(format!("{}: {first}; hint: {}", gap.name, gap.hint));
        }
        for package in &gap.packages {
            out.push(format!(
                "{} {}: {}; hint: {}",
                gap.name, package.package, package.reason, package.hint
            ));
        }
    }
    out
}

/// A CycloneDX SBOM of the wheelhouse, as pretty JSON with a newline.
pub fn cyclonedx(manifest: &Manifest, options: &SbomOptions) -> String {
    cyclonedx_with(manifest, options, None)
}

/// A CycloneDX SBOM with, when `scan` is given, a `vulnerabilities`
/// section (VEX): each finding with its ids, ratings, fix and the component
/// it affects; ignored findings carry the ignore's reason as analysis.
pub fn cyclonedx_with(
    manifest: &Manifest,
    options: &SbomOptions,
    scan: Option<&[crate::vuln::PackageReport]>,
) -> String {
    bom_text(cyclonedx_document(manifest, options, scan))
}

/// The BOM [`cyclonedx_with`] writes, as JSON to add to before it is
/// written with [`bom_text`]: the root component's `bom-ref` is
/// `project`.
pub fn cyclonedx_document(
    manifest: &Manifest,
    options: &SbomOptions,
    scan: Option<&[crate::vuln::PackageReport]>,
) -> Value {
    let root = "project".to_string();
    let declared_targets: BTreeSet<&str> =
        manifest.targets.iter().map(|t| t.name.as_str()).collect();
    let refs: BTreeMap<&str, String> = manifest
        .packages
        .iter()
        .map(|p| (p.name.as_str(), purl(p.name.as_str(), &p.version)))
        .collect();
    let mut components = Vec::new();
    let mut depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for package in &manifest.packages {
        let reference = purl(package.name.as_str(), &package.version);
        components.push(component(
            manifest,
            package,
            &declared_targets,
            options.spec,
        ));
        depends.entry(reference.clone()).or_default();
        for from in parent_refs(package, &root, &refs) {
            depends
                .entry(from.clone())
                .or_default()
                .insert(reference.clone());
        }
    }
    depends.entry(root.clone()).or_default();
    let mut bom = json!({
        "$schema": format!("http://cyclonedx.org/schema/bom-{}.schema.json", options.spec.as_str()),
        "bomFormat": "CycloneDX",
        "specVersion": options.spec.as_str(),
        "version": 1,
        "metadata": bom_metadata(manifest, options, &root),
        "components": components,
        "dependencies": depends
            .into_iter()
            .map(|(reference, on)| json!({ "ref": reference, "dependsOn": on.into_iter().collect::<Vec<_>>() }))
            .collect::<Vec<_>>(),
    });
    if let Some(reports) = scan {
        bom["vulnerabilities"] = json!(vulnerabilities(reports));
    }
    bom
}

/// A finished BOM: its serial number set from its content, as pretty
/// JSON with a newline.
pub fn bom_text(mut bom: Value) -> String {
    bom["serialNumber"] = json!(serial_number(&bom));
    let mut text = serde_json::to_string_pretty(&bom).expect("a BOM always serialises");
    text.push('\n');
    text
}

/// `bom` (a CycloneDX SBOM chiron wrote) with `package`'s component as
/// `manifest` now describes it: added when the SBOM has none with its
/// purl, else replaced (so a new file's hash joins it). A new component
/// gets an empty entry in `dependencies`; nothing else is touched (a
/// `vulnerabilities` section stays). Components stay sorted by name and
/// version, dependencies by `ref`; the serial number is set anew from the
/// content.
pub fn with_component(
    bom: &str,
    manifest: &Manifest,
    package: &ManifestPackage,
) -> Result<String, String> {
    let mut bom: Value = serde_json::from_str(bom).map_err(|e| format!("not JSON: {e}"))?;
    let spec = bom["specVersion"]
        .as_str()
        .unwrap_or_default()
        .parse::<SpecVersion>()?;
    let declared_targets: BTreeSet<&str> =
        manifest.targets.iter().map(|t| t.name.as_str()).collect();
    let reference = purl(package.name.as_str(), &package.version);
    let fresh = component(manifest, package, &declared_targets, spec);
    let Some(components) = bom["components"].as_array_mut() else {
        return Err("it has no `components` list".into());
    };
    components.retain(|c| c["bom-ref"].as_str() != Some(reference.as_str()));
    components.push(fresh);
    components.sort_by(|a, b| {
        let key = |c: &Value| {
            let text = |field: &str| c[field].as_str().unwrap_or_default().to_string();
            (text("name"), text("version"))
        };
        key(a).cmp(&key(b))
    });
    if let Some(dependencies) = bom["dependencies"].as_array_mut() {
        if !dependencies
            .iter()
            .any(|d| d["ref"].as_str() == Some(reference.as_str()))
        {
            dependencies.push(json!({ "ref": reference, "dependsOn": [] }));
        }
        dependencies.sort_by(|a, b| a["ref"].as_str().cmp(&b["ref"].as_str()));
    }
    if let Some(object) = bom.as_object_mut() {
        object.remove("serialNumber");
    }
    Ok(bom_text(bom))
}

/// The references of what requires `package` on some target: packages by
/// their id in `ids`, and `root` for a direct requirement.
fn parent_refs<'a>(
    package: &'a ManifestPackage,
    root: &'a String,
    ids: &'a BTreeMap<&str, String>,
) -> impl Iterator<Item = &'a String> + 'a {
    package
        .targets
        .values()
        .flat_map(|usage| &usage.required_by)
        .filter_map(move |parent| match parent {
            Parent::Direct => Some(root),
            Parent::Package(name) => ids.get(name.as_str()),
        })
}

/// A package version as a library component: its files' hashes and
/// download locations, the declared targets that install it, description,
/// authors (as the spec version writes them) and licences.
fn component(
    manifest: &Manifest,
    package: &ManifestPackage,
    declared_targets: &BTreeSet<&str>,
    spec: SpecVersion,
) -> Value {
    let reference = purl(package.name.as_str(), &package.version);
    let mut hashes = Vec::new();
    let mut references = Vec::new();
    for file in files_of(manifest, package) {
        if let Some(sha256) = file.sha256 {
            hashes.push(json!({ "alg": "SHA-256", "content": sha256 }));
        }
        if !file.url.is_empty() {
            references.push(json!({
                "type": "distribution",
                "url": file.url,
                "comment": file.filename,
                "hashes": [{ "alg": "SHA-256", "content": file.sha256_text() }],
            }));
        }
    }
    let mut component = json!({
        "type": "library",
        "bom-ref": reference,
        "name": package.name,
        "version": package.version,
        "purl": reference,
        "hashes": hashes,
        "externalReferences": references,
        "properties": package.targets.keys().filter(|t| declared_targets.contains(t.as_str())).map(|t| json!({ "name": "chiron:target", "value": t })).collect::<Vec<_>>(),
    });
    if let Some(summary) = package.summary.as_ref().filter(|s| !s.is_empty()) {
        component["description"] = json!(summary);
    }
    if let Some(authors) = &package.authors {
        match spec {
            SpecVersion::V1_5 => component["author"] = json!(authors),
            SpecVersion::V1_6 => component["authors"] = json!([{ "name": authors }]),
        }
    }
    if let Some(licenses) = licenses(&package.license) {
        component["licenses"] = licenses;
    }
    component
}

/// The BOM's metadata: the tool, the project as the root component, the
/// time when `SOURCE_DATE_EPOCH` gives one, and the declared targets the
/// BOM does not cover.
fn bom_metadata(manifest: &Manifest, options: &SbomOptions, root: &str) -> Value {
    let mut project = json!({ "type": "application", "bom-ref": root, "name": options.project });
    if let Some(version) = &options.project_version {
        project["version"] = json!(version);
    }
    let mut metadata = json!({
        "tools": { "components": [{ "type": "application", "name": "chiron", "version": manifest.tool.version }] },
        "component": project,
    });
    if let Some(epoch) = options.source_date_epoch {
        metadata["timestamp"] = json!(crate::time::rfc3339(epoch));
    }
    let gaps = gap_lines(manifest);
    if !gaps.is_empty() {
        // A declared target this BOM does not cover is part of what it says.
        metadata["properties"] = json!(
            gaps.iter()
                .map(|line| json!({ "name": "chiron:gap", "value": line }))
                .collect::<Vec<_>>()
        );
    }
    metadata
}

/// The serial number names the content (before it is set): same
/// wheelhouse, same number. A UUID of version 5's shape.
fn serial_number(bom: &Value) -> String {
    let digest = crate::digest::sha256(bom.to_string().as_bytes());
    let hex = crate::digest::hex(&digest[..16]);
    let variant = ["8", "9", "a", "b"][usize::from(digest[8] & 3)];
    format!(
        "urn:uuid:{}-{}-5{}-{variant}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The CycloneDX `vulnerabilities` of a scan, one per advisory and
/// package version, sorted.
fn vulnerabilities(reports: &[crate::vuln::PackageReport]) -> Vec<Value> {
    let mut out = Vec::new();
    for report in reports {
        let reference = purl(&report.package, &report.version);
        let ignored: BTreeMap<&str, &crate::vuln::IgnoredFinding> = report
            .ignored
            .iter()
            .map(|i| (i.finding.id.as_str(), i))
            .collect();
        for finding in report
            .findings
            .iter()
            .chain(report.ignored.iter().map(|i| &i.finding))
        {
            let source = |id: &str| {
                if id.starts_with("GHSA-") {
                    json!({ "name": "GitHub Advisories", "url": format!("https://github.com/advisories/{id}") })
                } else if id.starts_with("CVE-") {
                    json!({ "name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}") })
                } else {
                    json!({ "name": "OSV", "url": format!("https://osv.dev/vulnerability/{id}") })
                }
            };
            let mut vulnerability = json!({
                "bom-ref": format!("{}/{reference}", finding.id),
                "id": finding.id,
                "source": source(&finding.id),
                "references": finding.aliases.iter().filter(|a| **a != finding.id).map(|a| json!({ "id": a, "source": source(a) })).collect::<Vec<_>>(),
                "affects": [{ "ref": reference }],
            });
            if let Some(severity) = finding.severity {
                let mut rating = json!({ "severity": format!("{severity:?}").to_lowercase() });
                if let Some(score) = finding.cvss_score {
                    rating["score"] = json!(score);
                }
                vulnerability["ratings"] = json!([rating]);
            }
            if let Some(summary) = &finding.summary {
                vulnerability["description"] = json!(summary);
            }
            if let Some(fix) = &report.upgrade_to {
                vulnerability["recommendation"] =
                    json!(format!("Upgrade {} to {fix} or later", report.package));
            }
            if let Some(rule) = ignored.get(finding.id.as_str()) {
                vulnerability["analysis"] = json!({
                    "state": "in_triage",
                    "response": ["will_not_fix"],
                    "detail": format!("ignored in the chiron configuration: {}", rule.reason),
                });
            }
            out.push(vulnerability);
        }
    }
    out.sort_by(|a, b| a["bom-ref"].as_str().cmp(&b["bom-ref"].as_str()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_the_pypi_rules() {
        assert_eq!(
            purl("Typing_Extensions", "4.12.2"),
            "pkg:pypi/typing-extensions@4.12.2"
        );
        assert_eq!(purl("torch", "2.5.1+cpu"), "pkg:pypi/torch@2.5.1%2Bcpu");
    }

    #[test]
    fn spec_versions_parse() {
        assert_eq!("1.5".parse::<SpecVersion>().unwrap(), SpecVersion::V1_5);
        assert!(
            "1.4"
                .parse::<SpecVersion>()
                .unwrap_err()
                .contains("1.6 or 1.5")
        );
    }
    #[test]
    fn the_serial_number_is_a_version_5_uuid_of_the_content() {
        let serial = serial_number(&json!({ "components": [] }));
        let uuid = serial.strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&uuid[14..15], "5");
        assert!("89ab".contains(&uuid[19..20]), "{uuid}");
        assert_eq!(serial, serial_number(&json!({ "components": [] })));
        assert_ne!(serial, serial_number(&json!({ "components": [1] })));
    }

    #[test]
    fn parents_are_packages_by_reference_and_the_project_for_direct() {
        let package: ManifestPackage = serde_json::from_value(json!({
            "name": "lib", "version": "1.0", "license": null, "summary": null, "requires_dist": [],
            "targets": {
                "a": { "file": "lib.whl", "required_by": ["direct", "app"], "extras": [] },
                "b": { "file": "lib.whl", "required_by": ["unknown"], "extras": [] },
            },
        }))
        .unwrap();
        let root = "project".to_string();
        let ids = BTreeMap::from([("app", "pkg:pypi/app@2.0".to_string())]);
        let parents: Vec<&String> = parent_refs(&package, &root, &ids).collect();
        assert_eq!(parents, ["project", "pkg:pypi/app@2.0"]);
    }
}
