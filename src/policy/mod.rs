//! `[policy]` rules over an inventory and, when there is one, its scan:
//! licences (SPDX expressions evaluated, not string-matched), denied
//! packages, vulnerability severity, sdists, yanked files, sources, hashes
//! and release age, plus Rego policies (`rego`). Each finding has a stable
//! rule id, the package, the reason and a hint.

pub mod rego;

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use serde::Serialize;

use crate::config::{Age, LicenseId, PolicyConfig, Severity};
use crate::inventory::{Inventory, Kind};
use crate::manifest::{ManifestFile, ManifestPackage, TargetGap};
use crate::python::NormalizedName;
use crate::vuln::{PackageReport, ScanReport};

/// The package a file belongs to, as (name, version), when known.
type Owner<'a> = Option<(&'a str, &'a str)>;

/// Whether a finding fails the gate or is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Violation,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyFinding {
    pub level: Level,
    /// Stable: `license-denied`, `package-denied`, `rego:<package>.deny`, ...
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub reason: String,
    pub hint: String,
}

/// The built-in policy rules. Each has a stable kebab-case code (in
/// `policy.json`, the table and SARIF) and one line saying when it is
/// reported; the rule table of docs/cli.md is generated from these (a test
/// keeps it so). Rego findings carry `rego:<package>.<rule>` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleCode {
    LicenseDenied,
    LicenseNotAllowed,
    LicenseUnknown,
    PackageDenied,
    VulnerabilitySeverity,
    VulnerabilityExpiredIgnore,
    VulnerabilityScanMissing,
    VulnerabilityScanUnchecked,
    TargetGap,
    SdistForbidden,
    YankedForbidden,
    IndexNotAllowed,
    FileUnhashed,
    ReleaseTooNew,
    ReleaseTooOld,
}

impl RuleCode {
    pub const ALL: [RuleCode; 15] = [
        RuleCode::LicenseDenied,
        RuleCode::LicenseNotAllowed,
        RuleCode::LicenseUnknown,
        RuleCode::PackageDenied,
        RuleCode::VulnerabilitySeverity,
        RuleCode::VulnerabilityExpiredIgnore,
        RuleCode::VulnerabilityScanMissing,
        RuleCode::VulnerabilityScanUnchecked,
        RuleCode::TargetGap,
        RuleCode::SdistForbidden,
        RuleCode::YankedForbidden,
        RuleCode::IndexNotAllowed,
        RuleCode::FileUnhashed,
        RuleCode::ReleaseTooNew,
        RuleCode::ReleaseTooOld,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RuleCode::LicenseDenied => "license-denied",
            RuleCode::LicenseNotAllowed => "license-not-allowed",
            RuleCode::LicenseUnknown => "license-unknown",
            RuleCode::PackageDenied => "package-denied",
            RuleCode::VulnerabilitySeverity => "vulnerability-severity",
            RuleCode::VulnerabilityExpiredIgnore => "vulnerability-expired-ignore",
            RuleCode::VulnerabilityScanMissing => "vulnerability-scan-missing",
            RuleCode::VulnerabilityScanUnchecked => "vulnerability-scan-unchecked",
            RuleCode::TargetGap => "target-gap",
            RuleCode::SdistForbidden => "sdist-forbidden",
            RuleCode::YankedForbidden => "yanked-forbidden",
            RuleCode::IndexNotAllowed => "index-not-allowed",
            RuleCode::FileUnhashed => "file-unhashed",
            RuleCode::ReleaseTooNew => "release-too-new",
            RuleCode::ReleaseTooOld => "release-too-old",
        }
    }

    /// The rule with this code, if it is a built-in one.
    pub fn of(code: &str) -> Option<RuleCode> {
        RuleCode::ALL.into_iter().find(|r| r.code() == code)
    }

    /// When the rule is reported.
    pub fn summary(self) -> &'static str {
        match self {
            RuleCode::LicenseDenied => {
                "every way to satisfy the licence expression needs a denied licence (`MIT AND GPL-3.0-only` with GPL denied); names that only loosely read as SPDX (`GPLv3`) are judged on this side too"
            }
            RuleCode::LicenseNotAllowed => {
                "with `allow-licenses`, no way to satisfy the expression uses allowed licences only (`MIT OR GPL-3.0-only` passes when MIT is allowed)"
            }
            RuleCode::LicenseUnknown => {
                "with `allow-licenses`, the licence is missing or not an SPDX expression (unless `allow-unknown-licenses`); `[policy.license-exceptions]` exempts a package, with the reason"
            }
            RuleCode::PackageDenied => {
                "a package matches a `deny-packages` requirement (`pyyaml<6`)"
            }
            RuleCode::VulnerabilitySeverity => {
                "an open advisory above `max-severity`; one without a rating counts as critical"
            }
            RuleCode::VulnerabilityExpiredIgnore => "an ignore has expired",
            RuleCode::VulnerabilityScanMissing => {
                "no scan could run (no database, offline, service down): a warning, a violation with `require-scan = true`"
            }
            RuleCode::VulnerabilityScanUnchecked => {
                "the source could not answer for some packages (an index without the per-release JSON API answers 404): they are named; a warning, a violation with `require-scan = true`"
            }
            RuleCode::TargetGap => {
                "a declared target the wheelhouse does not serve (built with `--allow-gaps`), one finding per package without a wheel: a warning, a violation with `require-all-targets = true`"
            }
            RuleCode::SdistForbidden => "a source distribution, unless `allow-sdist`",
            RuleCode::YankedForbidden => "a yanked file, unless `allow-yanked`",
            RuleCode::IndexNotAllowed => {
                "a file from an index not in `allowed-indexes` (default: the configured index, extra indexes and find-links, and those the wheelhouse was built from); for a lock entry that names no index (`pip lock`, `uv pip compile`), a file whose URL is on none of them (not under its URL, not on its host and port, not `files.pythonhosted.org` for PyPI)"
            }
            RuleCode::FileUnhashed => {
                "a file without a sha256, or a locked package with no hashed file"
            }
            RuleCode::ReleaseTooNew => {
                "a file uploaded more recently than `min-release-age` (from the index's PEP 700 `upload-time`, kept in the manifest and in `pylock.toml`)"
            }
            RuleCode::ReleaseTooOld => {
                "a file uploaded longer ago than `max-release-age` (from the index's PEP 700 `upload-time`)"
            }
        }
    }
}

/// The rule table of docs/cli.md, as generated from `RuleCode`.
pub fn rule_table() -> String {
    let mut out = String::from("| rule | when |\n| --- | --- |\n");
    for rule in RuleCode::ALL {
        out.push_str(&format!("| `{}` | {} |\n", rule.code(), rule.summary()));
    }
    out.push_str("| `rego:<package>.deny`, `.violation`, `.warn` | messages of Rego policies (`[policy] rego`) |\n");
    out
}

/// What `policy.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    pub passed: bool,
    pub packages_checked: usize,
    pub files_checked: usize,
    pub violations: usize,
    pub warnings: usize,
    pub findings: Vec<PolicyFinding>,
}

fn normalize_url(url: &str) -> String {
    crate::redact::redact_url(url.trim())
        .trim_end_matches('/')
        .to_string()
}

/// Whether a file URL is served by an index: under the index's URL, or on
/// the same host and port (indexes serve files beside their pages, as
/// `/simple/` and `/files/`), or on PyPI's file host for PyPI.
fn url_is_on_index(url: &str, index: &str) -> bool {
    if url.starts_with(index) {
        return true;
    }
    let (Ok(url), Ok(index)) = (url::Url::parse(url), url::Url::parse(index)) else {
        return false;
    };
    if !matches!(index.scheme(), "http" | "https") {
        return false;
    }
    let same_origin = url.scheme() == index.scheme()
        && url.host_str() == index.host_str()
        && url.port_or_known_default() == index.port_or_known_default();
    let pypi = matches!(index.host_str(), Some("pypi.org" | "pypi.python.org"))
        && url.scheme() == "https"
        && url.host_str() == Some("files.pythonhosted.org");
    same_origin || pypi
}

/// Findings being collected.
#[derive(Default)]
struct Findings(Vec<PolicyFinding>);

impl Findings {
    fn add(
        &mut self,
        level: Level,
        rule: RuleCode,
        package: Option<(&str, &str)>,
        file: Option<&str>,
        reason: String,
        hint: &str,
    ) {
        self.0.push(PolicyFinding {
            level,
            rule: rule.code().to_string(),
            package: package.map(|p| p.0.to_string()),
            version: package.map(|p| p.1.to_string()),
            file: file.map(str::to_string),
            reason,
            hint: hint.to_string(),
        });
    }
}

/// The rules of `[policy]`, ready to check.
pub struct Rules<'c> {
    config: &'c PolicyConfig,
    allowed: BTreeSet<String>,
    denied: BTreeSet<String>,
    indexes: Vec<String>,
}

impl<'c> Rules<'c> {
    /// The rules of `config`; `configured_indexes` are the index URLs and
    /// find-links allowed when `allowed-indexes` is empty.
    pub fn new(config: &'c PolicyConfig, configured_indexes: &[String]) -> Self {
        let indexes = if config.allowed_indexes.is_empty() {
            configured_indexes
        } else {
            &config.allowed_indexes
        };
        let ids = |ids: &[LicenseId]| ids.iter().map(|id| id.as_str().to_string()).collect();
        Self {
            config,
            allowed: ids(&config.allow_licenses),
            denied: ids(&config.deny_licenses),
            indexes: indexes.iter().map(|u| normalize_url(u)).collect(),
        }
    }

    /// Every finding for `inventory` (and its `scan`, when one ran; `None`
    /// with the reason when it could not), at time `now`.
    pub fn check(
        &self,
        inventory: &Inventory,
        scan: Result<&ScanReport, &str>,
        now: i64,
    ) -> Vec<PolicyFinding> {
        let manifest = &inventory.manifest;
        let mut out = Findings::default();
        // Each file's package, found once (the file rules need it).
        let mut owners: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for package in &manifest.packages {
            if !self
                .config
                .license_exceptions
                .contains_key(package.name.as_str())
            {
                self.check_license(package, &mut out);
            }
            self.check_package_denied(package, &mut out);
            let files = crate::sbom::files_of(manifest, package);
            for file in &files {
                owners
                    .entry(file.filename.as_str())
                    .or_insert((package.name.as_str(), package.version.as_str()));
            }
            self.check_package_hashed(inventory.kind, package, &files, &mut out);
        }
        for file in &manifest.files {
            let owner = owners.get(file.filename.as_str()).copied();
            self.check_sdist(file, owner, &mut out);
            self.check_yanked(file, owner, &mut out);
            self.check_file_hashed(file, owner, &mut out);
            self.check_index(file, owner, &mut out);
            let age = file
                .upload_time
                .as_deref()
                .and_then(crate::time::parse)
                .map(|uploaded| now - uploaded);
            if let Some(age) = age {
                self.check_release_too_new(file, owner, age, &mut out);
                self.check_release_too_old(file, owner, age, &mut out);
            }
        }
        for gap in &manifest.gaps {
            self.check_target_gap(gap, &mut out);
        }
        match scan {
            Ok(report) => {
                for package in &report.vulnerable {
                    self.check_vulnerability_severity(package, &mut out);
                }
                self.check_scan_unchecked(report, &mut out);
                check_expired_ignores(report, &mut out);
            }
            Err(reason) => self.check_scan_missing(reason, &mut out),
        }
        let mut out = out.0;
        out.sort();
        out.dedup();
        out
    }

    /// The level of a finding that fails the gate only when `required`.
    fn required(required: bool) -> Level {
        if required {
            Level::Violation
        } else {
            Level::Warning
        }
    }

    /// `package-denied`: the package matches a `deny-packages` requirement.
    fn check_package_denied(&self, package: &ManifestPackage, out: &mut Findings) {
        let who = Some((package.name.as_str(), package.version.as_str()));
        let version = pep440_rs::Version::from_str(&package.version).ok();
        for denied in &self.config.deny_packages {
            let denied = denied.requirement();
            if NormalizedName::from(&denied.name) != package.name {
                continue;
            }
            let matches = match &denied.version_or_url {
                Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                    version.as_ref().is_some_and(|v| specifiers.contains(v))
                }
                _ => true,
            };
            if matches {
                out.add(
                    Level::Violation,
                    RuleCode::PackageDenied,
                    who,
                    None,
                    format!(
                        "{} {} is denied by `{denied}`",
                        package.name, package.version
                    ),
                    "remove it or pin a version the policy allows",
                );
            }
        }
    }

    /// `file-unhashed` for a package: a lock must pin each package to
    /// hashed files (an environment records none, and is not judged).
    fn check_package_hashed(
        &self,
        kind: Kind,
        package: &ManifestPackage,
        files: &[&ManifestFile],
        out: &mut Findings,
    ) {
        if self.config.require_hashes
            && !matches!(kind, Kind::Environment)
            && !files.iter().any(|f| f.sha256.is_some())
        {
            out.add(
                Level::Violation,
                RuleCode::FileUnhashed,
                Some((package.name.as_str(), package.version.as_str())),
                None,
                format!(
                    "{} {} is not pinned to any file hash",
                    package.name, package.version
                ),
                "lock with hashes (`chiron wheelhouse` writes --hash for every file)",
            );
        }
    }

    /// `sdist-forbidden`.
    fn check_sdist(&self, file: &ManifestFile, owner: Owner, out: &mut Findings) {
        let is_sdist = !file.filename.ends_with(".whl") && !file.filename.contains('#');
        if is_sdist && !self.config.allow_sdist {
            out.add(
                Level::Violation,
                RuleCode::SdistForbidden,
                owner,
                Some(&file.filename),
                format!(
                    "{} is a source distribution: installing it runs its build",
                    file.filename
                ),
                "find a wheel for it, or set [policy] allow-sdist = true",
            );
        }
    }

    /// `yanked-forbidden`.
    fn check_yanked(&self, file: &ManifestFile, owner: Owner, out: &mut Findings) {
        if file.yanked && !self.config.allow_yanked {
            out.add(
                Level::Violation,
                RuleCode::YankedForbidden,
                owner,
                Some(&file.filename),
                format!("{} was yanked by its maintainers", file.filename),
                "move to a release that is not yanked",
            );
        }
    }

    /// `file-unhashed` for a file.
    fn check_file_hashed(&self, file: &ManifestFile, owner: Owner, out: &mut Findings) {
        if self.config.require_hashes && file.sha256.is_none() {
            out.add(
                Level::Violation,
                RuleCode::FileUnhashed,
                owner,
                Some(&file.filename),
                format!("{} has no sha256", file.filename),
                "lock with hashes",
            );
        }
    }

    /// `index-not-allowed`: the file's index is not allowed or, for a lock
    /// entry that names no index, its URL is on none of the allowed ones.
    fn check_index(&self, file: &ManifestFile, owner: Owner, out: &mut Findings) {
        if self.indexes.is_empty() {
            return;
        }
        let hint = "get it from an allowed index, or add that index to [policy] allowed-indexes";
        let remote_url = file.url.starts_with("https://") || file.url.starts_with("http://");
        if file.index.is_empty() && remote_url {
            // A lock written by another tool (pip lock, uv pip compile)
            // may name no index: the file's own URL must then be on one.
            let url = normalize_url(&file.url);
            if !self
                .indexes
                .iter()
                .any(|allowed| url_is_on_index(&url, allowed))
            {
                out.add(
                    Level::Violation,
                    RuleCode::IndexNotAllowed,
                    owner,
                    Some(&file.filename),
                    format!(
                        "{} comes from {url}, which is on no allowed index (the lock names no index for it)",
                        file.filename
                    ),
                    hint,
                );
            }
        }
        if !file.index.is_empty() {
            let index = normalize_url(&file.index);
            if !self
                .indexes
                .iter()
                .any(|allowed| index.starts_with(allowed.as_str()))
            {
                out.add(
                    Level::Violation,
                    RuleCode::IndexNotAllowed,
                    owner,
                    Some(&file.filename),
                    format!(
                        "{} comes from {index}, which the policy does not allow",
                        file.filename
                    ),
                    hint,
                );
            }
        }
    }

    /// `release-too-new`: uploaded `age` seconds ago, less than `min-release-age`.
    fn check_release_too_new(
        &self,
        file: &ManifestFile,
        owner: Owner,
        age: i64,
        out: &mut Findings,
    ) {
        let min = self.config.min_release_age.as_ref().map(Age::seconds);
        if let Some(min) = min.filter(|min| age < *min) {
            out.add(
                Level::Violation,
                RuleCode::ReleaseTooNew,
                owner,
                Some(&file.filename),
                format!(
                    "{} was uploaded {} ago, less than the {} the policy asks",
                    file.filename,
                    human_age(age),
                    human_age(min)
                ),
                "wait, or pin the previous release",
            );
        }
    }

    /// `release-too-old`: uploaded `age` seconds ago, more than `max-release-age`.
    fn check_release_too_old(
        &self,
        file: &ManifestFile,
        owner: Owner,
        age: i64,
        out: &mut Findings,
    ) {
        let max = self.config.max_release_age.as_ref().map(Age::seconds);
        if let Some(max) = max.filter(|max| age > *max) {
            out.add(
                Level::Violation,
                RuleCode::ReleaseTooOld,
                owner,
                Some(&file.filename),
                format!(
                    "{} was uploaded {} ago, more than the {} the policy allows",
                    file.filename,
                    human_age(age),
                    human_age(max)
                ),
                "upgrade to a maintained release, or replace the package",
            );
        }
    }

    /// `target-gap`: a declared target the wheelhouse does not serve, once
    /// for the target when nothing solves it, else once per package.
    fn check_target_gap(&self, gap: &TargetGap, out: &mut Findings) {
        let level = Self::required(self.config.require_all_targets);
        if gap.packages.is_empty() {
            out.add(
                level,
                RuleCode::TargetGap,
                None,
                None,
                format!(
                    "target {} is not served: its requirements have no solution",
                    gap.name
                ),
                &gap.hint,
            );
        }
        for package in &gap.packages {
            out.0.push(PolicyFinding {
                level,
                rule: RuleCode::TargetGap.code().into(),
                package: Some(package.package.clone()),
                version: package.offered.as_ref().map(|o| o.version.clone()),
                file: None,
                reason: format!(
                    "target {} is not served: no wheel of {} fits it ({})",
                    gap.name, package.package, package.reason
                ),
                hint: package.hint.clone(),
            });
        }
    }

    /// `vulnerability-severity`: an open advisory above `max-severity`.
    fn check_vulnerability_severity(&self, package: &PackageReport, out: &mut Findings) {
        for finding in &package.findings {
            let severity = finding.severity.unwrap_or(Severity::Critical);
            if severity <= self.config.max_severity {
                continue;
            }
            let rating = match finding.severity {
                Some(s) => format!("{s:?}").to_lowercase(),
                None => "unrated (counted as critical)".into(),
            };
            let hint = match &package.upgrade_to {
                Some(v) => {
                    format!("upgrade to {v} (`chiron scan --emit-overlay` writes the constraints)")
                }
                None => "no fixed version: replace the package, or accept it in [[scan.ignore]] with a reason".into(),
            };
            out.add(
                Level::Violation,
                RuleCode::VulnerabilitySeverity,
                Some((&package.package, &package.version)),
                None,
                format!(
                    "{} {} has {rating} {}: {}",
                    package.package,
                    package.version,
                    finding.id,
                    finding.summary.as_deref().unwrap_or("no summary")
                ),
                &hint,
            );
        }
    }

    /// `vulnerability-scan-unchecked`: the source had no answer for some packages.
    fn check_scan_unchecked(&self, report: &ScanReport, out: &mut Findings) {
        if report.not_checked.is_empty() {
            return;
        }
        let names = report.not_checked_names();
        out.add(
            Self::required(self.config.require_scan),
            RuleCode::VulnerabilityScanUnchecked,
            None,
            None,
            format!(
                "{} of {} package(s) not checked: the {} had no answer for {}",
                names.len(),
                report.packages_scanned,
                report.source,
                names.join(", ")
            ),
            "scan with the offline database (`chiron scan --update-db`) or the OSV API ([scan] source = \"osv-api\"), which answer for every package",
        );
    }

    /// `vulnerability-scan-missing`: no scan could run, for `reason`.
    fn check_scan_missing(&self, reason: &str, out: &mut Findings) {
        out.add(
            Self::required(self.config.require_scan),
            RuleCode::VulnerabilityScanMissing,
            None,
            None,
            format!("no vulnerability scan: {reason}"),
            "fetch the database with `chiron scan --update-db`, or set [scan] source",
        );
    }

    /// `license-denied`, `license-not-allowed` and `license-unknown`: one
    /// decision over the package's licence expression.
    fn check_license(&self, package: &ManifestPackage, out: &mut Findings) {
        if self.allowed.is_empty() && self.denied.is_empty() {
            return;
        }
        let who = Some((package.name.as_str(), package.version.as_str()));
        let text = package.license.as_deref().unwrap_or_default();
        let strict = crate::sbom::license::spdx_expression(text)
            .and_then(|e| ::spdx::Expression::parse(&e).ok());
        // A licence name that only loosely reads as SPDX (`GPLv3`, `MIT/X11`)
        // may still be denied, but never allowed: leniency on the deny side.
        let lenient = match strict {
            Some(_) => None,
            None => ::spdx::Expression::parse_mode(text, ::spdx::ParseMode::LAX).ok(),
        };
        let unknown = |out: &mut Findings| {
            if !self.allowed.is_empty() && !self.config.allow_unknown_licenses {
                let said = if text.is_empty() {
                    String::new()
                } else {
                    format!(" (it says `{text}`)")
                };
                out.add(
                    Level::Violation,
                    RuleCode::LicenseUnknown,
                    who,
                    None,
                    format!(
                        "{} {} declares no SPDX licence{said}",
                        package.name, package.version
                    ),
                    "check its licence by hand, then add it to [policy.license-exceptions] with the reason",
                );
            }
        };
        let id_of = |req: &::spdx::LicenseReq| match &req.license {
            ::spdx::LicenseItem::Spdx { id, .. } => id.name.to_string(),
            ::spdx::LicenseItem::Other(other) => format!("LicenseRef-{}", other.lic_ref),
        };
        let Some(expression) = strict.as_ref().or(lenient.as_ref()) else {
            unknown(out);
            return;
        };
        if !self.denied.is_empty() && !expression.evaluate(|req| !self.denied.contains(&id_of(req)))
        {
            out.add(
                Level::Violation,
                RuleCode::LicenseDenied,
                who,
                None,
                format!(
                    "{} {} is licensed `{text}`, and the policy denies that",
                    package.name, package.version
                ),
                "replace the package, or add it to [policy.license-exceptions] with the reason",
            );
        } else if lenient.is_some() {
            unknown(out);
        } else if !self.allowed.is_empty()
            && !expression.evaluate(|req| {
                self.allowed.contains(&id_of(req)) && !self.denied.contains(&id_of(req))
            })
        {
            out.add(
                Level::Violation,
                RuleCode::LicenseNotAllowed,
                who,
                None,
                format!(
                    "{} {} is licensed `{text}`, which [policy] allow-licenses does not cover",
                    package.name, package.version
                ),
                "replace the package, allow the licence, or add it to [policy.license-exceptions] with the reason",
            );
        }
    }
}

/// `vulnerability-expired-ignore`: an ignore past its date.
fn check_expired_ignores(report: &ScanReport, out: &mut Findings) {
    for expired in &report.expired_ignores {
        out.add(
            Level::Violation,
            RuleCode::VulnerabilityExpiredIgnore,
            None,
            None,
            format!(
                "the ignore of {} expired on {}",
                expired.id, expired.expired
            ),
            "review the advisory, then renew or remove the [[scan.ignore]] entry",
        );
    }
}

fn human_age(seconds: i64) -> String {
    let days = seconds / 86_400;
    if days >= 730 {
        format!("{} years", days / 365)
    } else if days >= 2 {
        format!("{days} days")
    } else {
        format!("{} hours", seconds / 3600)
    }
}

/// The report of `findings` over `inventory`.
pub fn report(inventory: &Inventory, findings: Vec<PolicyFinding>) -> PolicyReport {
    let violations = findings
        .iter()
        .filter(|f| f.level == Level::Violation)
        .count();
    PolicyReport {
        passed: violations == 0,
        packages_checked: inventory.manifest.packages.len(),
        files_checked: inventory.manifest.files.len(),
        violations,
        warnings: findings.len() - violations,
        findings,
    }
}

/// The policy report as a SARIF 2.1.0 log: one rule per rule id.
pub fn sarif(report: &PolicyReport, artifact: &crate::sarif::Artifact) -> String {
    use crate::sarif::{Finding, Rule};
    let level = |l: Level| {
        if l == Level::Violation {
            "error"
        } else {
            "warning"
        }
    };
    let rules: Vec<Rule> = report
        .findings
        .iter()
        .map(|f| Rule {
            id: f.rule.clone(),
            name: crate::sarif::pascal_case(&f.rule),
            short: RuleCode::of(&f.rule)
                .map(|r| r.summary().to_string())
                .unwrap_or_else(|| format!("chiron policy rule {}", f.rule)),
            full: Some(f.hint.clone()),
            help: f.hint.clone(),
            help_uri: None,
            level: level(f.level),
            security_severity: None,
        })
        .collect();
    let results: Vec<Finding> = report
        .findings
        .iter()
        .map(|f| Finding {
            rule_id: f.rule.clone(),
            level: level(f.level),
            message: format!("{} (hint: {})", f.reason, f.hint),
            region: match (&f.package, &f.version) {
                (Some(package), Some(version)) => artifact.locate(package, version),
                _ => artifact.whole(),
            },
            fingerprint: format!(
                "{}/{}/{}/{}",
                f.rule,
                f.package.as_deref().unwrap_or(""),
                f.version.as_deref().unwrap_or(""),
                f.file.as_deref().unwrap_or("")
            ),
            properties: serde_json::json!({ "package": f.package, "version": f.version, "file": f.file }),
        })
        .collect();
    crate::sarif::render("chiron policy", artifact, &rules, &results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_codes_are_unique_kebab_case_and_documented() {
        let codes: std::collections::BTreeSet<&str> =
            RuleCode::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), RuleCode::ALL.len(), "codes are unique");
        for code in &codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{code} is kebab-case"
            );
        }
        let docs = include_str!("../../docs/cli.md");
        let table = rule_table();
        assert!(
            docs.contains(&table),
            "docs/cli.md's policy rule table is not the generated one; replace it with:\n{table}"
        );
    }

    #[test]
    fn file_urls_are_on_the_index_that_serves_them() {
        for (url, index, on) in [
            (
                "https://files.pythonhosted.org/packages/ab/x-1.0-py3-none-any.whl",
                "https://pypi.org/simple",
                true,
            ),
            (
                "http://127.0.0.1:8/files/x.whl",
                "http://127.0.0.1:8/simple",
                true,
            ),
            (
                "http://127.0.0.1:9/files/x.whl",
                "http://127.0.0.1:8/simple",
                false,
            ),
            (
                "https://mirror.invalid/x.whl",
                "http://mirror.invalid/simple",
                false,
            ),
            (
                "https://evil.invalid/simple/x.whl",
                "https://pypi.org/simple",
                false,
            ),
            (
                "https://a.invalid/wheels/x.whl",
                "https://a.invalid/wheels",
                true,
            ),
        ] {
            assert_eq!(url_is_on_index(url, index), on, "{url} on {index}");
        }
    }
    use crate::manifest::{ManifestFile, ManifestPackage, PackageUse, Parent, TargetScope};

    fn inventory(packages: &[(&str, Option<&str>)]) -> Inventory {
        let mut manifest = empty();
        for (name, license) in packages {
            let file = format!("{name}-1.0-py3-none-any.whl");
            manifest.packages.push(ManifestPackage {
                name: NormalizedName::new(name),
                version: "1.0".into(),
                license: license.map(str::to_string),
                summary: None,
                authors: None,
                requires_dist: Vec::new(),
                targets: [(
                    TargetScope::All,
                    PackageUse {
                        file: file.clone(),
                        required_by: vec![Parent::Direct],
                        extras: Vec::new(),
                    },
                )]
                .into(),
            });
            manifest.files.push(ManifestFile {
                filename: file,
                sha256: Some("ab".repeat(32).parse().unwrap()),
                size: 1,
                url: String::new(),
                index: String::new(),
                yanked: false,
                targets: vec![TargetScope::All],
                upload_time: None,
            });
        }
        Inventory {
            kind: Kind::Pylock,
            path: "pylock.toml".into(),
            manifest,
        }
    }

    fn empty() -> crate::manifest::Manifest {
        serde_json::from_value(serde_json::json!({
            "manifest_version": 1,
            "tool": { "name": "chiron", "version": "0" },
            "inputs": { "fingerprint": "", "files": [], "requirements": [], "constraints": [],
                        "indexes": [], "find_links": [], "allow_prereleases": false, "exclude_newer": null },
            "targets": [], "packages": [], "files": []
        }))
        .unwrap()
    }

    /// The rule ids raised per package for licences `allow` / `deny`.
    fn license_rules(
        allow: &[&str],
        deny: &[&str],
        packages: &[(&str, Option<&str>)],
    ) -> Vec<(String, String)> {
        let config = PolicyConfig {
            allow_licenses: allow.iter().map(|s| s.parse().unwrap()).collect(),
            deny_licenses: deny.iter().map(|s| s.parse().unwrap()).collect(),
            ..PolicyConfig::default()
        };
        let rules = Rules::new(&config, &[]);
        let mut found: Vec<(String, String)> = rules
            .check(&inventory(packages), Err("not scanned"), 0)
            .into_iter()
            .filter(|f| f.rule.starts_with("license"))
            .map(|f| (f.package.unwrap_or_default(), f.rule))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn licence_expressions_are_evaluated_not_matched() {
        let packages = [
            ("either", Some("MIT OR GPL-3.0-only")),
            ("both", Some("MIT AND GPL-3.0-only")),
            ("with", Some("Apache-2.0 WITH LLVM-exception")),
            ("nested", Some("(GPL-2.0-only OR BSD-3-Clause) AND MIT")),
            ("legacy", Some("GPLv3")),
            ("none", None),
            ("custom", Some("LicenseRef-Acme")),
        ];
        assert_eq!(
            license_rules(
                &["MIT", "Apache-2.0", "BSD-3-Clause"],
                &["GPL-3.0-only"],
                &packages
            ),
            [
                ("both", "license-denied"),
                ("custom", "license-not-allowed"),
                ("legacy", "license-denied"),
                ("none", "license-unknown"),
            ]
            .map(|(p, r)| (p.to_string(), r.to_string()))
        );
        // Deny only: unknown licences cannot be judged, and pass.
        assert_eq!(
            license_rules(&[], &["GPL-3.0-only", "GPL-2.0-only"], &packages),
            [("both", "license-denied"), ("legacy", "license-denied")]
                .map(|(p, r)| (p.to_string(), r.to_string()))
        );
        // No licence rules, no licence findings.
        assert!(license_rules(&[], &[], &packages).is_empty());
    }
}
