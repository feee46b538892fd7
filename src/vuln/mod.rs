//! Vulnerability scanning against OSV records.
//!
//! The matching is pure (`osv`); this module loads records from an offline
//! database (a folder of OSV JSON files, or the zip osv.dev exports per
//! ecosystem) and scans a wheelhouse's packages.

pub mod osv;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::wheelhouse::manifest::Manifest;
use osv::{Finding, OsvIndex, OsvRecord, findings_for, smallest_fix};

#[derive(Debug, thiserror::Error)]
pub enum VulnError {
    #[error("cannot read the OSV database {}: {message}", path.display())]
    Database { path: PathBuf, message: String },
}

impl VulnError {
    pub fn hint(&self) -> Option<String> {
        Some("--osv-db takes a folder of OSV JSON files or the ecosystem zip osv.dev exports (PyPI all.zip)".into())
    }
}

/// The most one record may expand to (zip bombs).
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Loads every OSV record of a folder (recursively) or of a zip export.
/// Files that are not OSV records are skipped with a warning.
pub fn load_database(path: &Path) -> Result<OsvIndex, VulnError> {
    let error = |message: String| VulnError::Database {
        path: path.to_path_buf(),
        message,
    };
    let mut index = OsvIndex::default();
    let mut add = |name: &str, text: &str| match serde_json::from_str::<OsvRecord>(text) {
        Ok(record) => index.insert(record),
        Err(e) => tracing::warn!("{name} is not an OSV record: {e}"),
    };
    if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        let mut files = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| error(e.to_string()))? {
                let entry = entry.map_err(|e| error(e.to_string()))?;
                let entry_path = entry.path();
                if entry_path.is_dir() {
                    stack.push(entry_path);
                } else if entry_path.extension().is_some_and(|e| e == "json") {
                    files.push(entry_path);
                }
            }
        }
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| error(format!("{}: {e}", file.display())))?;
            add(&file.display().to_string(), &text);
        }
    } else if path.is_file() {
        let file = std::fs::File::open(path).map_err(|e| error(e.to_string()))?;
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| error(format!("not a zip archive: {e}")))?;
        for i in 0..archive.len() {
            let entry = archive.by_index(i).map_err(|e| error(e.to_string()))?;
            let Ok(name) = entry.name().map(|n| n.into_owned()) else {
                continue;
            };
            if !name.ends_with(".json") {
                continue;
            }
            let mut text = String::new();
            entry
                .take(MAX_RECORD_BYTES)
                .read_to_string(&mut text)
                .map_err(|e| error(format!("{name}: {e}")))?;
            add(&name, &text);
        }
    } else {
        return Err(error("no such file or folder".into()));
    }
    Ok(index)
}

/// A package's findings and the smallest upgrade that fixes them all.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub package: String,
    pub version: String,
    pub findings: Vec<Finding>,
    /// Findings an ignore rule accepted, with its reason.
    pub ignored: Vec<IgnoredFinding>,
    pub upgrade_to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IgnoredFinding {
    pub id: String,
    pub reason: String,
    pub expires: Option<String>,
}

/// An ignore rule past its expiry date: a finding in itself.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredIgnore {
    pub id: String,
    pub reason: String,
    pub expired: String,
}

/// Today as `YYYY-MM-DD` (UTC), for ignore expiry.
pub fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    crate::sbom::rfc3339(now)[..10].to_string()
}

/// Moves findings an unexpired rule matches (by id or alias) to `ignored`;
/// returns the rules that have expired. Packages left with no finding are
/// dropped from the reports.
pub fn apply_ignores(
    reports: Vec<PackageReport>,
    rules: &[crate::config::IgnoreRule],
    today: &str,
) -> (Vec<PackageReport>, Vec<ExpiredIgnore>) {
    let expired: Vec<ExpiredIgnore> = rules
        .iter()
        .filter_map(|rule| {
            let date = rule.expires.as_deref()?;
            (date < today).then(|| ExpiredIgnore {
                id: rule.id.clone(),
                reason: rule.reason.clone(),
                expired: date.to_string(),
            })
        })
        .collect();
    let active: Vec<&crate::config::IgnoreRule> = rules
        .iter()
        .filter(|r| r.expires.as_deref().is_none_or(|date| date >= today))
        .collect();
    let mut kept = Vec::new();
    for mut report in reports {
        let (ignored, findings): (Vec<Finding>, Vec<Finding>) =
            report.findings.into_iter().partition(|f| {
                active
                    .iter()
                    .any(|r| f.aliases.iter().any(|a| a.eq_ignore_ascii_case(&r.id)))
            });
        report.ignored = ignored
            .iter()
            .filter_map(|f| {
                let rule = active
                    .iter()
                    .find(|r| f.aliases.iter().any(|a| a.eq_ignore_ascii_case(&r.id)))?;
                Some(IgnoredFinding {
                    id: f.id.clone(),
                    reason: rule.reason.clone(),
                    expires: rule.expires.clone(),
                })
            })
            .collect();
        report.findings = findings;
        if !report.findings.is_empty() || !report.ignored.is_empty() {
            kept.push(report);
        }
    }
    (kept, expired)
}

/// Scans every package version of a wheelhouse.
pub fn scan_manifest(manifest: &Manifest, index: &OsvIndex) -> Vec<PackageReport> {
    manifest
        .packages
        .iter()
        .filter_map(|package| {
            let records = index.records(&package.name);
            let findings = findings_for(&records, &package.name, &package.version);
            (!findings.is_empty()).then(|| PackageReport {
                package: package.name.clone(),
                version: package.version.clone(),
                upgrade_to: smallest_fix(&records, &package.name, &package.version),
                findings,
                ignored: Vec::new(),
            })
        })
        .collect()
}

/// A constraints file (pip's `-c` format) raising each vulnerable package
/// to the smallest version that fixes all its findings: the security
/// overlay `chiron wheelhouse -c` consumes.
pub fn overlay(reports: &[PackageReport]) -> String {
    let mut out = String::from(
        "# Security overlay written by `chiron scan --emit-overlay`: the smallest\n\
         # versions that fix every known advisory. Use with `chiron wheelhouse -c`.\n",
    );
    let mut lines: Vec<String> = reports
        .iter()
        .filter(|r| !r.findings.is_empty())
        .map(|r| match &r.upgrade_to {
            Some(version) => {
                let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
                format!("{}>={version}  # {}\n", r.package, ids.join(", "))
            }
            None => format!(
                "# {} {}: no version fixes every advisory yet\n",
                r.package, r.version
            ),
        })
        .collect();
    lines.sort();
    out.extend(lines);
    out
}
