//! `chiron verify` of a build's output folder (`dist/`, written by
//! `crate::build::artifacts`): every file against `SHA256SUMS` (nothing
//! missing, nothing added but the signatures), every wheel's `RECORD`,
//! with a key the signatures of `SHA256SUMS`, of each distribution
//! (`DIST.sig`) and of the provenance, the provenance's subjects against
//! the distributions, and each wheel's SBOM (`WHEEL.cdx.json`) against
//! the wheel's sha256.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Findings, Listing, ProblemKind, VerifyReport, check_record};
use super::{check_added, check_provenance, check_sums, check_sums_signature};
use crate::bundle::{SUMS, SUMS_SIG};
use crate::digest::Sha256;
use crate::sign::PublicKey;

const KIND: &str = "dist";

/// A wheel or an sdist at the top of the folder, by its name.
fn is_distribution(name: &str) -> bool {
    !name.contains('/')
        && (name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip"))
}

/// Whether `dir` is a build's output folder: distributions and
/// `SHA256SUMS`, and no `manifest.json` (a wheelhouse has one).
pub fn is_dist_dir(dir: &Path) -> bool {
    let has_distributions = std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| is_distribution(&e.file_name().to_string_lossy()))
    });
    has_distributions && dir.join(SUMS).is_file() && !dir.join("manifest.json").exists()
}

/// Verifies a build's output folder, against `key` when given.
pub fn verify_dist(dir: &Path, key: Option<&PublicKey>) -> VerifyReport {
    let mut findings = Findings::default();
    let files = match Listing::read(dir) {
        Ok(files) => files,
        Err(problem) => {
            findings.problems.push(problem);
            return findings.into_report(KIND, 0, 0);
        }
    };
    check_sums(&files, &mut findings);
    check_added(&files, &unlisted(&files), &mut findings);
    let wheels = check_wheel_records(&files, &mut findings);
    check_sums_signature(&files, key, &mut findings);
    check_distribution_signatures(&files, key, &mut findings);
    check_provenance(&files, key, &is_distribution, &mut findings);
    check_wheel_sboms(&files, &mut findings);
    findings.into_report(KIND, files.present.len(), wheels)
}

fn distributions<'a>(files: &'a Listing) -> impl Iterator<Item = &'a String> + 'a {
    files.present.iter().filter(|name| is_distribution(name))
}

/// What `SHA256SUMS` does not list: itself, its signature and the
/// signatures of the distributions.
fn unlisted(files: &Listing) -> BTreeSet<String> {
    let mut unlisted: BTreeSet<String> = [SUMS, SUMS_SIG].iter().map(|s| s.to_string()).collect();
    unlisted.extend(distributions(files).map(|name| format!("{name}.sig")));
    unlisted
}

/// Each wheel's RECORD; returns how many wheels were checked.
fn check_wheel_records(files: &Listing, findings: &mut Findings) -> usize {
    let wheels: Vec<&String> = distributions(files)
        .filter(|n| n.ends_with(".whl"))
        .collect();
    for name in &wheels {
        findings
            .problems
            .extend(check_record(&files.dir.join(name), name));
    }
    wheels.len()
}

/// With a key, every distribution's `DIST.sig` (a cosign blob signature);
/// without one, a note when there are signatures left unchecked.
fn check_distribution_signatures(
    files: &Listing,
    key: Option<&PublicKey>,
    findings: &mut Findings,
) {
    let Some(key) = key else {
        let signed = distributions(files)
            .filter(|name| files.present.contains(&format!("{name}.sig")))
            .count();
        if signed > 0 {
            findings.notes.push(format!(
                "{signed} distribution signature(s) not checked: no key was given (--key)"
            ));
        }
        return;
    };
    for name in distributions(files) {
        let signature_name = format!("{name}.sig");
        let Ok(signature) = std::fs::read_to_string(files.dir.join(&signature_name)) else {
            findings.push(
                ProblemKind::Signature,
                &signature_name,
                format!("a key was given but {name} is not signed"),
            );
            continue;
        };
        let digest = files
            .hashes
            .get(name)
            .and_then(|hex| Sha256::parse_any_case(hex).ok());
        let Some(digest) = digest else {
            findings.push(ProblemKind::Signature, name, "unreadable, so not checked");
            continue;
        };
        if let Err(e) = key.verify_blob_digest(digest.as_bytes(), &signature, name) {
            findings.push(ProblemKind::Signature, &signature_name, e.to_string());
        }
    }
}

/// Every wheel has its SBOM, whose root component names the wheel's
/// sha256; no SBOM is there without its wheel.
fn check_wheel_sboms(files: &Listing, findings: &mut Findings) {
    for wheel in distributions(files).filter(|n| n.ends_with(".whl")) {
        let name = format!("{wheel}.cdx.json");
        if let Err(message) = check_wheel_sbom(files, wheel, &name) {
            findings.push(ProblemKind::Sbom, &name, message);
        }
    }
    for name in &files.present {
        let wheel = name.strip_suffix(".cdx.json").unwrap_or_default();
        if wheel.ends_with(".whl") && !files.present.contains(wheel) {
            findings.push(
                ProblemKind::Sbom,
                name,
                format!("the SBOM of {wheel}, which is not there"),
            );
        }
    }
}

/// What is wrong with `wheel`'s SBOM `name`, if anything.
fn check_wheel_sbom(files: &Listing, wheel: &str, name: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(files.dir.join(name))
        .map_err(|_| format!("{wheel} has no SBOM"))?;
    let bom: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let named = bom["metadata"]["component"]["hashes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["alg"] == "SHA-256")
        .and_then(|h| h["content"].as_str())
        .ok_or("its root component names no SHA-256 of the wheel")?;
    match files.hashes.get(wheel) {
        Some(actual) if actual.eq_ignore_ascii_case(named) => Ok(()),
        Some(actual) => Err(format!(
            "names sha256 {named}, but {wheel} has sha256 {actual}"
        )),
        None => Err(format!("{wheel} is unreadable, so not checked")),
    }
}
