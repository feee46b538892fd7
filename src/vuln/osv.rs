//! OSV records and matching, as the OSV schema specifies: `ECOSYSTEM`
//! ranges evaluated with PEP 440 ordering (`introduced`, `fixed`,
//! `last_affected`, `limit`), explicit `versions`, withdrawn records
//! skipped, and records known under several ids (PYSEC, GHSA, CVE) merged
//! into one finding. Pure: records in, findings out.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::config::Severity;

#[derive(Debug, Clone, Deserialize)]
pub struct OsvRecord {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    pub package: Option<AffectedPackage>,
    #[serde(default)]
    pub ranges: Vec<AffectedRange>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AffectedPackage {
    pub ecosystem: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AffectedRange {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

use crate::python::normalize;

/// Whether `version` is in an `ECOSYSTEM` range, by the OSV algorithm:
/// events in version order; `introduced` opens, `fixed` closes at the
/// version, `last_affected` closes after it; any `limit` caps the range.
pub fn in_range(version: &Version, range: &AffectedRange) -> bool {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Introduced,
        Fixed,
        LastAffected,
    }
    let mut events: Vec<(Version, Kind)> = Vec::new();
    let mut limits: Vec<Version> = Vec::new();
    let zero = Version::new([0]);
    for event in &range.events {
        let parse = |text: &str| {
            if text == "0" {
                Some(zero.clone())
            } else {
                Version::from_str(text).ok()
            }
        };
        if let Some(v) = event.introduced.as_deref().and_then(parse) {
            events.push((v, Kind::Introduced));
        }
        if let Some(v) = event.fixed.as_deref().and_then(parse) {
            events.push((v, Kind::Fixed));
        }
        if let Some(v) = event.last_affected.as_deref().and_then(parse) {
            events.push((v, Kind::LastAffected));
        }
        if let Some(v) = event.limit.as_deref().and_then(parse) {
            limits.push(v);
        }
    }
    if !limits.is_empty() && limits.iter().all(|limit| version >= limit) {
        return false;
    }
    events.sort();
    let mut affected = false;
    for (at, kind) in &events {
        match kind {
            Kind::Introduced if version >= at => affected = true,
            Kind::Fixed if version >= at => affected = false,
            Kind::LastAffected if version > at => affected = false,
            _ => {}
        }
    }
    affected
}

/// The parts of a record that concern one package: does this version fall
/// in, and which versions fix it.
fn affects(record: &OsvRecord, name: &str, version: &Version) -> Option<BTreeSet<Version>> {
    let mut hit = false;
    let mut fixed = BTreeSet::new();
    for affected in &record.affected {
        let Some(package) = &affected.package else {
            continue;
        };
        if !package.ecosystem.eq_ignore_ascii_case("PyPI")
            || normalize(&package.name) != normalize(name)
        {
            continue;
        }
        if affected
            .versions
            .iter()
            .any(|v| Version::from_str(v).is_ok_and(|v| &v == version))
        {
            hit = true;
        }
        for range in affected.ranges.iter().filter(|r| r.kind == "ECOSYSTEM") {
            if in_range(version, range) {
                hit = true;
            }
            for event in &range.events {
                if let Some(v) = event
                    .fixed
                    .as_deref()
                    .and_then(|f| Version::from_str(f).ok())
                {
                    fixed.insert(v);
                }
            }
        }
    }
    hit.then_some(fixed)
}

/// The severity of a record: the highest of its CVSS vectors' base
/// ratings, else the rating the database gives (GHSA's `severity`).
pub fn severity_of(record: &OsvRecord) -> Option<(Severity, Option<f64>)> {
    let mut best: Option<(Severity, Option<f64>)> = None;
    let vectors = record
        .severity
        .iter()
        .chain(record.affected.iter().flat_map(|a| a.severity.iter()));
    for severity in vectors.filter(|s| s.kind.starts_with("CVSS_V")) {
        if let Ok(cvss) = cvss::Cvss::from_str(severity.score.trim()) {
            let score = cvss.score();
            let rating = match cvss.severity() {
                cvss::Severity::None => Severity::None,
                cvss::Severity::Low => Severity::Low,
                cvss::Severity::Medium => Severity::Medium,
                cvss::Severity::High => Severity::High,
                cvss::Severity::Critical => Severity::Critical,
            };
            if best.as_ref().is_none_or(|(b, _)| rating > *b) {
                best = Some((rating, Some(score)));
            }
        }
    }
    if best.is_some() {
        return best;
    }
    let text = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())?;
    let rating = match text.to_ascii_uppercase().as_str() {
        "CRITICAL" => Severity::Critical,
        "HIGH" => Severity::High,
        "MODERATE" | "MEDIUM" => Severity::Medium,
        "LOW" => Severity::Low,
        _ => return None,
    };
    Some((rating, None))
}

/// One advisory affecting one package version, all its ids merged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub package: String,
    pub version: String,
    /// The id shown first: GHSA, else PYSEC, else the first id.
    pub id: String,
    /// Every id and alias, sorted.
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: Option<Severity>,
    pub cvss_score: Option<f64>,
    /// Versions that fix it, sorted.
    pub fixed: Vec<String>,
}

fn preferred_id(ids: &BTreeSet<String>) -> String {
    ["GHSA-", "PYSEC-", "CVE-"]
        .iter()
        .find_map(|prefix| ids.iter().find(|id| id.starts_with(prefix)))
        .or_else(|| ids.iter().next())
        .cloned()
        .unwrap_or_default()
}

/// The findings for one package version among `records`, with records
/// that share an id or alias merged.
pub fn findings_for(records: &[&OsvRecord], name: &str, version: &str) -> Vec<Finding> {
    let Ok(parsed) = Version::from_str(version) else {
        return Vec::new();
    };
    // Each group: every id and alias it is known by, and its records with
    // the versions that fix them.
    type Group<'r> = (BTreeSet<String>, Vec<(&'r OsvRecord, BTreeSet<Version>)>);
    let mut groups: Vec<Group> = Vec::new();
    for record in records.iter().filter(|r| r.withdrawn.is_none()) {
        let Some(fixed) = affects(record, name, &parsed) else {
            continue;
        };
        let ids: BTreeSet<String> = std::iter::once(record.id.clone())
            .chain(record.aliases.iter().cloned())
            .collect();
        let mut merged = (ids, vec![(*record, fixed)]);
        // Merge every group that shares an id with this record.
        let mut rest = Vec::new();
        for group in groups.drain(..) {
            if group.0.is_disjoint(&merged.0) {
                rest.push(group);
            } else {
                merged.0.extend(group.0);
                merged.1.extend(group.1);
            }
        }
        rest.push(merged);
        groups = rest;
    }
    let mut out: Vec<Finding> = groups
        .into_iter()
        .map(|(ids, members)| {
            let severity = members
                .iter()
                .filter_map(|(r, _)| severity_of(r))
                .max_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then(a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
                });
            let fixed: BTreeSet<Version> = members
                .iter()
                .flat_map(|(_, f)| f.iter().cloned())
                .collect();
            let summary = members
                .iter()
                .find_map(|(r, _)| r.summary.clone().filter(|s| !s.is_empty()));
            Finding {
                package: name.to_string(),
                version: version.to_string(),
                id: preferred_id(&ids),
                aliases: ids.into_iter().collect(),
                summary,
                severity: severity.as_ref().map(|s| s.0),
                cvss_score: severity.and_then(|s| s.1),
                fixed: fixed.iter().map(ToString::to_string).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The smallest version above `version` that none of `records` affects,
/// among the versions they name as fixed: the upgrade that fixes all.
pub fn smallest_fix(records: &[&OsvRecord], name: &str, version: &str) -> Option<String> {
    let current = Version::from_str(version).ok()?;
    let mut candidates: BTreeSet<Version> = BTreeSet::new();
    for record in records.iter().filter(|r| r.withdrawn.is_none()) {
        if let Some(fixed) = affects(record, name, &current) {
            candidates.extend(fixed.into_iter().filter(|v| v > &current));
        }
    }
    candidates
        .into_iter()
        .find(|candidate| {
            records
                .iter()
                .filter(|r| r.withdrawn.is_none())
                .all(|r| affects(r, name, candidate).is_none())
        })
        .map(|v| v.to_string())
}

/// Records indexed by normalised package name.
#[derive(Debug, Default)]
pub struct OsvIndex {
    by_package: BTreeMap<String, Vec<OsvRecord>>,
    /// Records read but not kept: they concern none of the packages asked.
    pub skipped: usize,
    /// Packages (name, version) the source could not answer for: not
    /// checked, which is not the same as "no advisory".
    pub unchecked: Vec<(String, String)>,
}

impl OsvIndex {
    pub fn insert(&mut self, record: OsvRecord) {
        let names: BTreeSet<String> = record
            .affected
            .iter()
            .filter_map(|a| a.package.as_ref())
            .filter(|p| p.ecosystem.eq_ignore_ascii_case("PyPI"))
            .map(|p| normalize(&p.name))
            .collect();
        for name in names {
            self.by_package
                .entry(name)
                .or_default()
                .push(record.clone());
        }
    }

    pub fn records(&self, name: &str) -> Vec<&OsvRecord> {
        self.by_package
            .get(&normalize(name))
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.by_package.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_package.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> OsvRecord {
        serde_json::from_str(json).unwrap()
    }

    const PYSEC: &str = r#"{
      "id": "PYSEC-2023-100", "aliases": ["CVE-2023-1111"], "summary": "bad parsing",
      "affected": [{"package": {"ecosystem": "PyPI", "name": "Demo_Lib"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}, {"introduced": "2.0.0a1"}, {"fixed": "2.0.3"}]}],
        "versions": ["1.0", "1.1"]}]
    }"#;
    const GHSA: &str = r#"{
      "id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2023-1111"],
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
      "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-lib"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]
    }"#;

    fn range(events: &str) -> AffectedRange {
        serde_json::from_str(&format!(r#"{{"type": "ECOSYSTEM", "events": {events}}}"#)).unwrap()
    }

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_follow_the_osv_algorithm() {
        let two = range(
            r#"[{"introduced": "0"}, {"fixed": "1.2.0"}, {"introduced": "2.0.0a1"}, {"fixed": "2.0.3"}]"#,
        );
        for (version, expected) in [
            ("0.9", true),
            ("1.2.0", false),
            ("1.9", false),
            ("2.0.0a1", true),
            ("2.0.2", true),
            ("2.0.3", false),
        ] {
            assert_eq!(in_range(&v(version), &two), expected, "{version}");
        }
        let last = range(r#"[{"introduced": "1.0"}, {"last_affected": "1.4"}]"#);
        assert!(in_range(&v("1.4"), &last));
        assert!(!in_range(&v("1.4.1"), &last));
        assert!(!in_range(&v("0.9"), &last));
        let limited = range(r#"[{"introduced": "0"}, {"limit": "3.0"}]"#);
        assert!(in_range(&v("2.9"), &limited));
        assert!(!in_range(&v("3.0"), &limited));
        // A pre-release sorts before its release, as PEP 440 says.
        let pre = range(r#"[{"introduced": "2.0"}, {"fixed": "2.1"}]"#);
        assert!(!in_range(&v("2.0rc1"), &pre));
        assert!(in_range(&v("2.1.dev0"), &pre));
    }

    #[test]
    fn aliases_merge_and_the_worst_severity_wins() {
        let (a, b) = (record(PYSEC), record(GHSA));
        let records = [&a, &b];
        let findings = findings_for(&records, "demo-lib", "1.1");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = &findings[0];
        assert_eq!(finding.id, "GHSA-aaaa-bbbb-cccc");
        assert_eq!(
            finding.aliases,
            ["CVE-2023-1111", "GHSA-aaaa-bbbb-cccc", "PYSEC-2023-100"]
        );
        assert_eq!(finding.severity, Some(Severity::Critical));
        assert_eq!(finding.cvss_score, Some(9.8));
        assert_eq!(finding.fixed, ["1.2.0", "2.0.3"]);
        assert_eq!(finding.summary.as_deref(), Some("bad parsing"));
        assert!(findings_for(&records, "demo-lib", "1.5").is_empty());
        assert_eq!(findings_for(&records, "DEMO.LIB", "2.0.1").len(), 1);
    }

    #[test]
    fn withdrawn_records_and_other_ecosystems_do_not_count() {
        let withdrawn = record(
            r#"{"id": "PYSEC-1", "withdrawn": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0"]}]}"#,
        );
        let npm = record(
            r#"{"id": "GHSA-npm", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "versions": ["1.0"]}]}"#,
        );
        assert!(findings_for(&[&withdrawn, &npm], "x", "1.0").is_empty());
    }

    #[test]
    fn the_smallest_upgrade_fixes_every_finding() {
        let first = record(
            r#"{"id": "A", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}]}"#,
        );
        let second = record(
            r#"{"id": "B", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.3"}]}]}]}"#,
        );
        assert_eq!(
            smallest_fix(&[&first, &second], "x", "1.0").as_deref(),
            Some("1.3")
        );
        assert_eq!(smallest_fix(&[&first], "x", "1.0").as_deref(), Some("1.1"));
        assert_eq!(smallest_fix(&[&first], "x", "2.0"), None);
    }

    #[test]
    fn database_severity_is_the_fallback() {
        let r = record(
            r#"{"id": "GHSA-x", "database_specific": {"severity": "MODERATE"}, "affected": []}"#,
        );
        assert_eq!(severity_of(&r), Some((Severity::Medium, None)));
        let v4 = record(
            r#"{"id": "GHSA-y", "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}], "affected": []}"#,
        );
        assert_eq!(severity_of(&v4).unwrap().0, Severity::Critical);
    }
}
