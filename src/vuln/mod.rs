//! Vulnerability scanning against OSV records.
//!
//! The matching is pure (`osv`); this module picks the source of records
//! (an offline database: a folder of OSV JSON files or the zip osv.dev
//! exports per ecosystem; the OSV API; an index's JSON API), loads them,
//! and scans an inventory's packages into one report.

pub mod api;
pub mod database;
pub mod osv;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::manifest::Manifest;
use crate::time::Date;
use database::{DatabaseError, load_database_for};
use osv::{Finding, OsvIndex, findings_for, smallest_fix};

#[derive(Debug, thiserror::Error)]
pub enum VulnError {
    #[error("cannot read the OSV database {}: {message}", path.display())]
    Database { path: PathBuf, message: String },
    #[error("no OSV database to scan against: {} does not exist", path.display())]
    NoDatabase { path: PathBuf },
    #[error("--offline: the {0} source needs the network")]
    Offline(&'static str),
    #[error(transparent)]
    Api(#[from] api::ApiError),
}

impl From<DatabaseError> for VulnError {
    fn from(error: DatabaseError) -> Self {
        VulnError::Database {
            path: error.path,
            message: error.message,
        }
    }
}

impl VulnError {
    pub fn hint(&self) -> Option<String> {
        match self {
            VulnError::Database { .. } => Some("--osv-db takes a folder of OSV JSON files or the ecosystem zip osv.dev exports (PyPI all.zip)".into()),
            VulnError::NoDatabase { .. } => Some("fetch it once with `chiron scan --update-db`, pass --osv-db, or scan online with --source osv-api".into()),
            VulnError::Offline(_) => Some("scan the offline database instead (--source db, filled by `chiron scan --update-db`)".into()),
            VulnError::Api(e) => e.hint(),
        }
    }
}

impl crate::diagnose::Diagnose for VulnError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        if matches!(self, VulnError::Api(_)) {
            ExitClass::Problems
        } else {
            ExitClass::Usage
        }
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

/// Where the records of one scan come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Database(PathBuf),
    OsvApi(String),
    PypiApi(String),
}

impl Source {
    /// The source as reports name it: URLs without credentials; a
    /// database by its name and content digest, not by where it lies, so
    /// reports (and the bundles that carry them) do not depend on paths.
    pub fn describe(&self) -> String {
        match self {
            Source::Database(path) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match crate::digest::hash_file(path) {
                    Ok((sha256, _)) => format!("OSV database {name} (sha256:{})", &sha256[..16]),
                    // A folder: named only.
                    Err(_) => format!("OSV database {name}/"),
                }
            }
            Source::OsvApi(url) => format!("OSV API {}", crate::redact::redact_url(url)),
            Source::PypiApi(url) => format!("JSON API {}", crate::redact::redact_url(url)),
        }
    }

    /// The source `config` asks for; `db` is the database to use when
    /// none is configured (the cached copy).
    pub fn from_config(
        config: &crate::config::ScanConfig,
        source: crate::config::ScanSource,
        database: PathBuf,
        offline: bool,
    ) -> Result<Source, VulnError> {
        use crate::config::ScanSource;
        match source {
            ScanSource::Db => {
                if database.exists() {
                    Ok(Source::Database(database))
                } else {
                    Err(VulnError::NoDatabase { path: database })
                }
            }
            ScanSource::OsvApi if offline => Err(VulnError::Offline("osv-api")),
            ScanSource::Pypi if offline => Err(VulnError::Offline("pypi")),
            ScanSource::OsvApi => Ok(Source::OsvApi(config.osv_api.to_string())),
            ScanSource::Pypi => Ok(Source::PypiApi(config.pypi_api.to_string())),
        }
    }

    /// Every record the source has for `packages` (name, version).
    pub async fn records(
        &self,
        packages: &[(String, String)],
        client: &reqwest::Client,
    ) -> Result<OsvIndex, VulnError> {
        match self {
            Source::Database(path) => {
                let path = path.clone();
                let names: std::collections::BTreeSet<String> = packages
                    .iter()
                    .map(|(name, _)| crate::python::normalize(name))
                    .collect();
                let shown = path.clone();
                let index =
                    tokio::task::spawn_blocking(move || load_database_for(&path, Some(&names)))
                        .await
                        .unwrap_or_else(|e| {
                            Err(DatabaseError {
                                path: PathBuf::new(),
                                message: e.to_string(),
                            })
                        })?;
                // A database with no PyPI record at all checks nothing: it
                // is the wrong file or folder, not a clean result.
                if index.len() + index.skipped == 0 {
                    return Err(VulnError::Database {
                        path: shown,
                        message: "it holds no OSV record for PyPI, so nothing could be checked"
                            .into(),
                    });
                }
                Ok(index)
            }
            Source::OsvApi(url) => Ok(api::osv_api(client, url, packages).await?),
            Source::PypiApi(url) => Ok(api::pypi_api(client, url, packages).await?),
        }
    }
}

/// Where `--update-db` keeps the PyPI database, under the cache folder.
pub fn cached_database(cache_dir: &Path) -> PathBuf {
    cache_dir.join("osv").join("PyPI-all.zip")
}

/// The outcome of one scan: what `scan.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub source: String,
    pub packages_scanned: usize,
    pub records: usize,
    /// Packages with open or ignored findings, sorted.
    pub vulnerable: Vec<PackageReport>,
    pub expired_ignores: Vec<ExpiredIgnore>,
    /// Packages the source could not answer for (sorted): nothing is
    /// known about them, so a scan with any is not a pass.
    pub not_checked: Vec<Unchecked>,
}

/// A package the advisory source did not answer for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unchecked {
    pub package: String,
    pub version: String,
}

impl ScanReport {
    /// "name version" of each package not checked.
    pub fn not_checked_names(&self) -> Vec<String> {
        self.not_checked
            .iter()
            .map(|u| format!("{} {}", u.package, u.version))
            .collect()
    }

    /// Not a single package could be checked.
    pub fn checked_nothing(&self) -> bool {
        self.packages_scanned > 0 && self.not_checked.len() >= self.packages_scanned
    }

    /// Findings not ignored.
    pub fn open(&self) -> usize {
        self.vulnerable.iter().map(|r| r.findings.len()).sum()
    }

    /// No open finding, no expired ignore, and every package checked.
    pub fn passed(&self) -> bool {
        self.passed_allowing_unchecked(false)
    }

    /// As `passed`, with packages the source could not answer for
    /// accepted when `allow_unchecked` (`scan --allow-unchecked`).
    pub fn passed_allowing_unchecked(&self, allow_unchecked: bool) -> bool {
        self.open() == 0
            && self.expired_ignores.is_empty()
            && (self.not_checked.is_empty() || allow_unchecked)
    }

    /// The highest severity among open findings (unknown counts as none).
    pub fn max_severity(&self) -> Option<crate::config::Severity> {
        self.vulnerable
            .iter()
            .flat_map(|r| &r.findings)
            .filter_map(|f| f.severity)
            .max()
    }
}

/// Scans `manifest`'s packages against `index`, applying `ignores`.
pub fn scan(
    manifest: &Manifest,
    index: &OsvIndex,
    source: &Source,
    ignores: &[crate::config::IgnoreRule],
    today: Date,
) -> ScanReport {
    let (vulnerable, expired_ignores) =
        apply_ignores(scan_manifest(manifest, index), ignores, today);
    ScanReport {
        source: source.describe(),
        packages_scanned: manifest.packages.len(),
        records: index.len() + index.skipped,
        vulnerable,
        expired_ignores,
        not_checked: {
            let mut unchecked: Vec<Unchecked> = index
                .unchecked
                .iter()
                .map(|(package, version)| Unchecked {
                    package: crate::python::normalize(package),
                    version: version.clone(),
                })
                .collect();
            unchecked.sort();
            unchecked.dedup();
            unchecked
        },
    }
}

/// (name, version) of every package of `manifest`, for online sources.
pub fn packages_of(manifest: &Manifest) -> Vec<(String, String)> {
    manifest
        .packages
        .iter()
        .map(|p| (p.name.to_string(), p.version.clone()))
        .collect()
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
    #[serde(flatten)]
    pub finding: Finding,
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

/// Moves findings an unexpired rule matches (by id or alias) to `ignored`;
/// returns the rules that have expired. Packages left with no finding are
/// dropped from the reports.
pub fn apply_ignores(
    reports: Vec<PackageReport>,
    rules: &[crate::config::IgnoreRule],
    today: Date,
) -> (Vec<PackageReport>, Vec<ExpiredIgnore>) {
    let expired: Vec<ExpiredIgnore> = rules
        .iter()
        .filter_map(|rule| {
            let date = rule.expires?;
            (date < today).then(|| ExpiredIgnore {
                id: rule.id.clone(),
                reason: rule.reason.clone(),
                expired: date.to_string(),
            })
        })
        .collect();
    let active: Vec<&crate::config::IgnoreRule> = rules
        .iter()
        .filter(|r| r.expires.is_none_or(|date| date >= today))
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
                    finding: f.clone(),
                    reason: rule.reason.clone(),
                    expires: rule.expires.map(|date| date.to_string()),
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
            let records = index.records(package.name.as_str());
            let findings = findings_for(&records, package.name.as_str(), &package.version);
            (!findings.is_empty()).then(|| PackageReport {
                package: package.name.to_string(),
                version: package.version.clone(),
                upgrade_to: smallest_fix(&records, package.name.as_str(), &package.version),
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

/// The scan as a SARIF 2.1.0 log: one rule per advisory, one result per
/// affected package version, and expired ignores as their own rule.
pub fn sarif(report: &ScanReport, artifact: &crate::sarif::Artifact) -> String {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    for package in &report.vulnerable {
        for finding in &package.findings {
            rules.push(advisory_rule(finding));
            results.push(advisory_result(package, finding, artifact));
        }
    }
    if !report.expired_ignores.is_empty() {
        rules.push(expired_ignore_rule());
    }
    results.extend(
        report
            .expired_ignores
            .iter()
            .map(|expired| expired_ignore_result(expired, artifact)),
    );
    if !report.not_checked.is_empty() {
        rules.push(not_checked_rule(&report.source));
    }
    results.extend(
        report
            .not_checked
            .iter()
            .map(|unchecked| not_checked_result(unchecked, &report.source, artifact)),
    );
    crate::sarif::render("chiron scan", artifact, &rules, &results)
}

const EXPIRED_IGNORE: &str = "chiron/expired-ignore";
const NOT_CHECKED: &str = "chiron/not-checked";

/// The rule of one advisory: its summary, aliases, fixes and severity.
fn advisory_rule(finding: &Finding) -> crate::sarif::Rule {
    let aliases: Vec<&str> = finding
        .aliases
        .iter()
        .map(String::as_str)
        .filter(|a| *a != finding.id)
        .collect();
    crate::sarif::Rule {
        id: finding.id.clone(),
        name: "KnownVulnerability".into(),
        short: finding
            .summary
            .clone()
            .unwrap_or_else(|| format!("Known vulnerability {}", finding.id)),
        full: (!aliases.is_empty()).then(|| format!("Also known as {}", aliases.join(", "))),
        help: format!(
            "Upgrade the affected package to a version that fixes {}{}; `chiron scan --emit-overlay FILE` writes the constraints for `chiron wheelhouse -c FILE`. To accept the risk, add a [[scan.ignore]] entry with this id, a reason and an expiry date.",
            finding.id,
            if finding.fixed.is_empty() {
                " (none is known yet)".to_string()
            } else {
                format!(" ({})", finding.fixed.join(", "))
            }
        ),
        help_uri: Some(format!("https://osv.dev/vulnerability/{}", finding.id)),
        level: crate::sarif::level_of(finding.severity),
        security_severity: finding.cvss_score,
    }
}

/// A package version an advisory affects, at its pin in the artifact.
fn advisory_result(
    package: &PackageReport,
    finding: &Finding,
    artifact: &crate::sarif::Artifact,
) -> crate::sarif::Finding {
    let fix = match &package.upgrade_to {
        Some(version) => format!("upgrade to {version}"),
        None => "no fixed version yet".into(),
    };
    crate::sarif::Finding {
        rule_id: finding.id.clone(),
        level: crate::sarif::level_of(finding.severity),
        message: format!(
            "{} {} is affected by {}{}: {fix}",
            package.package,
            package.version,
            finding.id,
            finding
                .summary
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        region: artifact.locate(&package.package, &package.version),
        fingerprint: format!("{}/{}/{}", package.package, package.version, finding.id),
        properties: serde_json::json!({
            "package": package.package,
            "version": package.version,
            "aliases": finding.aliases,
            "fixed": finding.fixed,
        }),
    }
}

fn expired_ignore_rule() -> crate::sarif::Rule {
    crate::sarif::Rule {
        id: EXPIRED_IGNORE.into(),
        name: "ExpiredIgnore".into(),
        short: "An ignored advisory's acceptance has expired".into(),
        full: Some("Review the advisory and renew or remove the [[scan.ignore]] entry".into()),
        help: "Review the advisory again; then renew the [[scan.ignore]] entry with a new expiry date, or remove it and upgrade.".into(),
        help_uri: None,
        level: "error",
        security_severity: None,
    }
}

/// An expired ignore, on the whole artifact (it is in the configuration).
fn expired_ignore_result(
    expired: &ExpiredIgnore,
    artifact: &crate::sarif::Artifact,
) -> crate::sarif::Finding {
    crate::sarif::Finding {
        rule_id: EXPIRED_IGNORE.into(),
        level: "error",
        message: format!(
            "the ignore of {} expired on {}: {}",
            expired.id, expired.expired, expired.reason
        ),
        region: artifact.whole(),
        fingerprint: format!("expired/{}", expired.id),
        properties: serde_json::json!({ "id": expired.id }),
    }
}

fn not_checked_rule(source: &str) -> crate::sarif::Rule {
    crate::sarif::Rule {
        id: NOT_CHECKED.into(),
        name: "NotChecked".into(),
        short: "The advisory source had no answer for a package".into(),
        full: Some(format!(
            "Nothing is known about these packages from the {source}: not checked is not safe"
        )),
        help: "Scan with the offline database (`chiron scan --update-db`) or the OSV API, which answer for every package.".into(),
        help_uri: None,
        level: "warning",
        security_severity: None,
    }
}

/// A package the source had no answer for, at its pin.
fn not_checked_result(
    unchecked: &Unchecked,
    source: &str,
    artifact: &crate::sarif::Artifact,
) -> crate::sarif::Finding {
    crate::sarif::Finding {
        rule_id: NOT_CHECKED.into(),
        level: "warning",
        message: format!(
            "{} {} was not checked: the {source} had no answer for it",
            unchecked.package, unchecked.version
        ),
        region: artifact.locate(&unchecked.package, &unchecked.version),
        fingerprint: format!("not-checked/{}/{}", unchecked.package, unchecked.version),
        properties: serde_json::json!({ "package": unchecked.package, "version": unchecked.version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(aliases: &[&str], fixed: &[&str]) -> Finding {
        Finding {
            package: "jinja2".into(),
            version: "3.1.2".into(),
            id: "GHSA-h5c8-rqwp-cp95".into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            summary: None,
            severity: Some(crate::config::Severity::Medium),
            cvss_score: Some(5.4),
            fixed: fixed.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn an_advisory_rule_names_its_aliases_and_fixes() {
        let rule = advisory_rule(&finding(
            &["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"],
            &["3.1.3"],
        ));
        assert_eq!(rule.short, "Known vulnerability GHSA-h5c8-rqwp-cp95");
        assert_eq!(rule.full.as_deref(), Some("Also known as CVE-2024-22195"));
        assert!(
            rule.help.starts_with(
                "Upgrade the affected package to a version that fixes GHSA-h5c8-rqwp-cp95 (3.1.3);"
            ),
            "{}",
            rule.help
        );
        assert_eq!((rule.level, rule.security_severity), ("warning", Some(5.4)));
        let unfixed = advisory_rule(&finding(&["GHSA-h5c8-rqwp-cp95"], &[]));
        assert_eq!(unfixed.full, None);
        assert!(
            unfixed
                .help
                .contains("GHSA-h5c8-rqwp-cp95 (none is known yet);")
        );
        assert_eq!(
            not_checked_rule("PyPI JSON API").full.as_deref(),
            Some(
                "Nothing is known about these packages from the PyPI JSON API: not checked is not safe"
            )
        );
    }
}
