//! `chiron verify` of a folder: an unpacked bundle or a wheelhouse. Every
//! file against `SHA256SUMS` and the manifest (nothing missing, nothing
//! added), every wheel's `RECORD` against its contents, the signature of
//! `SHA256SUMS` and of the provenance, the provenance's subjects against
//! the bytes, the SBOM's components against the manifest's packages, and
//! the policy verdict recorded at build time. Each problem names the file.
//! A build's output folder is checked by [`verify_dist`] with the same
//! checks and problem kinds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

mod dist;

pub use dist::{is_dist_dir, verify_dist};

use super::{PROVENANCE, SUMS, SUMS_SIG};
use crate::manifest::Manifest;
use crate::sign::PublicKey;
use crate::sign::dsse::Envelope;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub path: String,
    pub message: String,
}

/// What `verify` can find wrong. Each has a stable kebab-case code (in the
/// JSON report and the human lines) and one line saying when; the table in
/// docs/cli.md is generated from these (a test keeps it so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    Modified,
    Missing,
    Added,
    Record,
    Signature,
    Provenance,
    Sbom,
    Policy,
    Manifest,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 9] = [
        ProblemKind::Modified,
        ProblemKind::Missing,
        ProblemKind::Added,
        ProblemKind::Record,
        ProblemKind::Signature,
        ProblemKind::Provenance,
        ProblemKind::Sbom,
        ProblemKind::Policy,
        ProblemKind::Manifest,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Modified => "modified",
            ProblemKind::Missing => "missing",
            ProblemKind::Added => "added",
            ProblemKind::Record => "record",
            ProblemKind::Signature => "signature",
            ProblemKind::Provenance => "provenance",
            ProblemKind::Sbom => "sbom",
            ProblemKind::Policy => "policy",
            ProblemKind::Manifest => "manifest",
        }
    }

    /// When it is reported.
    pub fn summary(self) -> &'static str {
        match self {
            ProblemKind::Modified => {
                "a file's bytes are not those SHA256SUMS or the manifest records"
            }
            ProblemKind::Missing => "a file SHA256SUMS or the manifest lists is not there",
            ProblemKind::Added => "a file that nothing lists (SHA256SUMS, the manifest) is there",
            ProblemKind::Record => {
                "a wheel's RECORD is missing, unreadable or does not match the wheel's contents"
            }
            ProblemKind::Signature => {
                "a signature (SHA256SUMS.sig, the provenance's, a distribution's DIST.sig) is missing with --key, unreadable or not by that key"
            }
            ProblemKind::Provenance => {
                "the provenance is missing or unreadable, or its subjects are not exactly the files (in a build's dist folder, the distributions) with their sha256"
            }
            ProblemKind::Sbom => {
                "the SBOM is missing or its components are not exactly the manifest's packages; in a build's dist folder, a wheel's SBOM is missing or does not name the wheel's sha256"
            }
            ProblemKind::Policy => {
                "the policy verdict recorded when the wheelhouse was built failed"
            }
            ProblemKind::Manifest => "the manifest is missing or unreadable",
        }
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.code())
    }
}

/// The table of problem kinds in docs/cli.md.
pub fn problem_table() -> String {
    let mut out = String::from("| problem | when |\n| --- | --- |\n");
    for kind in ProblemKind::ALL {
        out.push_str(&format!("| `{}` | {} |\n", kind.code(), kind.summary()));
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub kind: &'static str,
    pub files_checked: usize,
    pub wheels_checked: usize,
    /// Whether a signature was checked with a key (and held).
    pub signature_checked: bool,
    pub problems: Vec<Problem>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

fn problem(kind: ProblemKind, path: &str, message: impl Into<String>) -> Problem {
    Problem {
        kind,
        path: path.to_string(),
        message: message.into(),
    }
}

/// Every regular file under `dir`, as `/`-separated relative paths.
fn walk(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                let relative = entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap_or(&entry.path())
                    .to_path_buf();
                out.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(out)
}

/// A wheel's `RECORD`: its name in the wheel and, per listed file, the
/// hash it records (empty when it records none).
struct WheelRecord {
    name: String,
    hashes: BTreeMap<String, String>,
}

impl WheelRecord {
    /// `RECORD.jws` and `RECORD.p7s` sign the RECORD and cannot be listed
    /// in it.
    fn is_signature(&self, inner: &str) -> bool {
        inner.starts_with(self.name.trim_end_matches("RECORD"))
            && (inner.ends_with("RECORD.jws") || inner.ends_with("RECORD.p7s"))
    }
}

/// The listed files of a RECORD and their hashes. RECORD is CSV: a path
/// with a comma is quoted, and a quote in it doubled.
fn parse_record(text: &str) -> BTreeMap<String, String> {
    let mut listed = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (path, rest) = if let Some(stripped) = line.strip_prefix('"') {
            match stripped.split_once("\",") {
                Some((path, rest)) => (path.replace("\"\"", "\""), rest),
                None => continue,
            }
        } else {
            match line.split_once(',') {
                Some((path, rest)) => (path.to_string(), rest),
                None => continue,
            }
        };
        let hash = rest.split(',').next().unwrap_or_default().to_string();
        listed.insert(path, hash);
    }
    listed
}

type Wheel = zip::ZipArchive<std::fs::File>;

/// Opens a wheel and reads its top-level `.dist-info/RECORD`; the error
/// says why it cannot be checked.
fn read_record(path: &Path) -> Result<(Wheel, WheelRecord), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    let name = (0..archive.len())
        .find_map(|i| {
            let entry = archive.by_index(i).ok()?;
            let n = entry.name().ok()?.to_string();
            (n.ends_with(".dist-info/RECORD") && n.matches('/').count() == 1).then_some(n)
        })
        .ok_or("has no .dist-info/RECORD")?;
    let mut text = String::new();
    archive
        .by_name(&name)
        .map_err(|e| e.to_string())
        .and_then(|entry| {
            entry
                .take(64 << 20)
                .read_to_string(&mut text)
                .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("unreadable RECORD: {e}"))?;
    let hashes = parse_record(&text);
    Ok((archive, WheelRecord { name, hashes }))
}

/// The unpadded urlsafe base64 sha256 RECORD uses, streamed; a read
/// error is returned with the digest of what was read before it.
fn record_digest(reader: &mut impl Read) -> (String, Option<std::io::Error>) {
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut error = None;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => sha2::Digest::update(&mut hasher, &buffer[..n]),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let digest =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Digest::finalize(hasher));
    (digest, error)
}

/// What is wrong with entry `i` of a wheel against its RECORD: unlisted,
/// not sha256, unreadable, or another hash.
fn check_wheel_entry(archive: &mut Wheel, i: usize, record: &WheelRecord) -> Vec<String> {
    let Ok(mut entry) = archive.by_index(i) else {
        return vec![format!("entry {i} is unreadable")];
    };
    if entry.is_dir() {
        return Vec::new();
    }
    let Ok(inner) = entry.name().map(|n| n.to_string()) else {
        return vec![format!("entry {i} has an unreadable name")];
    };
    let Some(expected) = record.hashes.get(&inner) else {
        if record.is_signature(&inner) {
            return Vec::new();
        }
        return vec![format!("{inner} is not listed in RECORD")];
    };
    if inner == record.name || expected.is_empty() {
        return Vec::new();
    }
    let Some(digest) = expected.strip_prefix("sha256=") else {
        return vec![format!("{inner}: RECORD uses {expected}, not sha256")];
    };
    let mut messages = Vec::new();
    let (actual, error) = record_digest(&mut entry);
    if let Some(e) = error {
        messages.push(format!("{inner}: {e}"));
    }
    if actual != digest.trim_end_matches('=') {
        messages.push(format!("{inner} does not match its RECORD hash"));
    }
    messages
}

/// Checks a wheel's RECORD: every listed file with a hash matches, and no
/// file is in the wheel but missing from RECORD.
pub fn check_record(path: &Path, name: &str) -> Vec<Problem> {
    let (mut archive, record) = match read_record(path) {
        Ok(read) => read,
        Err(message) => return vec![problem(ProblemKind::Record, name, message)],
    };
    (0..archive.len())
        .flat_map(|i| check_wheel_entry(&mut archive, i, &record))
        .map(|message| problem(ProblemKind::Record, name, message))
        .collect()
}

/// What `verify` found so far: the problems, the notes on what was not
/// checked, and whether a signature held under the given key.
#[derive(Default)]
struct Findings {
    problems: Vec<Problem>,
    notes: Vec<String>,
    signature_checked: bool,
}

impl Findings {
    fn push(&mut self, kind: ProblemKind, path: &str, message: impl Into<String>) {
        self.problems.push(problem(kind, path, message));
    }

    fn into_report(self, kind: &'static str, files: usize, wheels: usize) -> VerifyReport {
        let mut problems = self.problems;
        problems.sort();
        problems.dedup();
        VerifyReport {
            kind,
            files_checked: files,
            wheels_checked: wheels,
            signature_checked: self.signature_checked,
            problems,
            notes: self.notes,
        }
    }
}

/// A folder's files, read once: each with its sha256, and its
/// `SHA256SUMS`.
struct Listing<'a> {
    dir: &'a Path,
    /// Every regular file, `/`-separated and relative.
    present: BTreeSet<String>,
    /// The sha256 of every file that could be read.
    hashes: BTreeMap<String, String>,
    /// `SHA256SUMS` as written (empty when missing), and as read.
    sums_bytes: Vec<u8>,
    sums: BTreeMap<String, String>,
}

impl<'a> Listing<'a> {
    /// Reads the folder; the problem says why it cannot be.
    fn read(dir: &'a Path) -> Result<Listing<'a>, Problem> {
        let present = walk(dir).map_err(|e| {
            problem(
                ProblemKind::Missing,
                &dir.display().to_string(),
                e.to_string(),
            )
        })?;
        let sums_bytes = std::fs::read(dir.join(SUMS)).unwrap_or_default();
        let sums = crate::wheelhouse::parse_sha256sums(&String::from_utf8_lossy(&sums_bytes));
        // Streamed: a wheel of a gigabyte is not held in memory.
        let hashes = present
            .iter()
            .filter_map(|name| {
                let (sha256, _) = crate::digest::hash_file(&dir.join(name)).ok()?;
                Some((name.clone(), sha256))
            })
            .collect();
        Ok(Listing {
            dir,
            present,
            hashes,
            sums_bytes,
            sums,
        })
    }
}

/// The bundle or wheelhouse being verified: its files and its manifest.
struct Folder<'a> {
    files: Listing<'a>,
    /// An unpacked bundle (wheels under `wheels/`), else a wheelhouse.
    bundle: bool,
    manifest: Manifest,
}

impl<'a> Folder<'a> {
    /// Reads the folder; without a readable manifest nothing else can be
    /// checked, and the problem says so.
    fn read(dir: &'a Path, bundle: bool) -> Result<Folder<'a>, Problem> {
        let files = Listing::read(dir)?;
        let Ok(manifest_text) = std::fs::read_to_string(dir.join("manifest.json")) else {
            return Err(problem(
                ProblemKind::Missing,
                "manifest.json",
                "there is no manifest.json",
            ));
        };
        let manifest: Manifest = serde_json::from_str(&manifest_text).map_err(|e| {
            problem(
                ProblemKind::Manifest,
                "manifest.json",
                format!("not a chiron manifest: {e}"),
            )
        })?;
        Ok(Folder {
            files,
            bundle,
            manifest,
        })
    }

    /// Where the distributions are: `wheels/` in a bundle, the top of a
    /// wheelhouse.
    fn wheel_dir(&self) -> &'static str {
        if self.bundle { "wheels/" } else { "" }
    }

    /// The manifest's distributions, as paths in the folder.
    fn manifest_paths(&self) -> BTreeSet<String> {
        self.manifest
            .files
            .iter()
            .map(|f| format!("{}{}", self.wheel_dir(), f.filename))
            .collect()
    }
}

/// Every file `SHA256SUMS` lists is there with its hash.
fn check_sums(files: &Listing, findings: &mut Findings) {
    if files.sums.is_empty() {
        findings.push(
            ProblemKind::Missing,
            SUMS,
            "there is no SHA256SUMS (or it is empty)",
        );
    }
    for (name, expected) in &files.sums {
        match files.hashes.get(name) {
            None => findings.push(
                ProblemKind::Missing,
                name,
                "listed in SHA256SUMS but not there",
            ),
            Some(actual) if actual != expected => findings.push(
                ProblemKind::Modified,
                name,
                format!("sha256 is {actual}, SHA256SUMS says {expected}"),
            ),
            Some(_) => {}
        }
    }
}

/// The files a folder holds that `SHA256SUMS` does not list: its
/// signature, and in a wheelhouse what the bundle's sums are written
/// from (the manifest, lock, reports and requirements files).
fn unlisted_files(folder: &Folder) -> BTreeSet<String> {
    let mut unlisted: BTreeSet<String> = [SUMS, SUMS_SIG].iter().map(|s| s.to_string()).collect();
    if !folder.bundle {
        unlisted.extend(
            [
                "manifest.json",
                "pylock.toml",
                "sbom.cdx.json",
                "scan.json",
                "policy.json",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        unlisted.extend(
            folder
                .manifest
                .targets
                .iter()
                .map(|t| t.requirements_file.clone()),
        );
    }
    unlisted
}

/// Nothing is there that `SHA256SUMS` should list and does not: every
/// file is listed but those `unlisted`.
fn check_added(files: &Listing, unlisted: &BTreeSet<String>, findings: &mut Findings) {
    for name in &files.present {
        if !files.sums.contains_key(name) && !unlisted.contains(name) {
            findings.push(ProblemKind::Added, name, "not listed in SHA256SUMS");
        }
    }
}

/// The manifest's files are there, with their hashes and sizes.
fn check_manifest_files(folder: &Folder, findings: &mut Findings) {
    for file in &folder.manifest.files {
        let name = format!("{}{}", folder.wheel_dir(), file.filename);
        match folder.files.hashes.get(&name) {
            None => findings.push(
                ProblemKind::Missing,
                &name,
                "named in manifest.json but not there",
            ),
            Some(actual) if *actual != file.sha256_text() => findings.push(
                ProblemKind::Modified,
                &name,
                format!(
                    "sha256 is {actual}, manifest.json says {}",
                    file.sha256_text()
                ),
            ),
            Some(_) => {
                let size = std::fs::metadata(folder.files.dir.join(&name))
                    .map(|m| m.len())
                    .unwrap_or(0);
                if size != file.size {
                    findings.push(
                        ProblemKind::Modified,
                        &name,
                        format!("{size} bytes, manifest.json says {}", file.size),
                    );
                }
            }
        }
    }
}

/// No distribution is there that the manifest does not name.
fn check_unnamed_distributions(folder: &Folder, findings: &mut Findings) {
    let named = folder.manifest_paths();
    for name in &folder.files.present {
        let is_distribution =
            name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip");
        if is_distribution && name.starts_with(folder.wheel_dir()) && !named.contains(name) {
            findings.push(
                ProblemKind::Added,
                name,
                "a distribution manifest.json does not name",
            );
        }
    }
}

/// Each wheel's RECORD; returns how many wheels were checked.
fn check_records(folder: &Folder, findings: &mut Findings) -> usize {
    let mut wheels = 0;
    for name in folder
        .manifest_paths()
        .iter()
        .filter(|n| n.ends_with(".whl"))
    {
        if folder.files.present.contains(name) {
            wheels += 1;
            findings
                .problems
                .extend(check_record(&folder.files.dir.join(name), name));
        }
    }
    wheels
}

/// `SHA256SUMS.sig` under the key; without a key, a note on what was not
/// checked.
fn check_sums_signature(files: &Listing, key: Option<&PublicKey>, findings: &mut Findings) {
    let signature = std::fs::read_to_string(files.dir.join(SUMS_SIG)).ok();
    match (key, &signature) {
        (Some(key), Some(signature)) => match key.verify_blob(&files.sums_bytes, signature, SUMS) {
            Ok(()) => findings.signature_checked = true,
            Err(e) => findings.push(ProblemKind::Signature, SUMS_SIG, e.to_string()),
        },
        (Some(_), None) => findings.push(
            ProblemKind::Signature,
            SUMS_SIG,
            "a key was given but SHA256SUMS is not signed",
        ),
        (None, Some(_)) => findings
            .notes
            .push("SHA256SUMS is signed, but no key was given to check it (--key)".into()),
        (None, None) => findings.notes.push("not signed".into()),
    }
}

/// The provenance: a DSSE envelope (signed by the key, when one is given)
/// whose in-toto subjects are exactly the files that `is_subject` names.
fn check_provenance(
    files: &Listing,
    key: Option<&PublicKey>,
    is_subject: &dyn Fn(&str) -> bool,
    findings: &mut Findings,
) {
    let Some(envelope) = std::fs::read_to_string(files.dir.join(PROVENANCE))
        .ok()
        .and_then(|t| serde_json::from_str::<Envelope>(&t).ok())
    else {
        findings.push(
            ProblemKind::Provenance,
            PROVENANCE,
            "missing or not a DSSE envelope",
        );
        return;
    };
    if let Some(key) = key
        && let Err(e) = envelope.verify(key, PROVENANCE)
    {
        findings.push(ProblemKind::Signature, PROVENANCE, e.to_string());
    }
    let statement: Option<serde_json::Value> = envelope
        .payload()
        .and_then(|p| serde_json::from_slice(&p).ok());
    match statement.as_ref().and_then(|s| s["subject"].as_array()) {
        None => findings.push(
            ProblemKind::Provenance,
            PROVENANCE,
            "its payload is not an in-toto statement",
        ),
        Some(subjects) => check_provenance_subjects(files, subjects, is_subject, findings),
    }
}

/// Every subject is a file with its sha256, and every file `is_subject`
/// names is a subject.
fn check_provenance_subjects(
    files: &Listing,
    subjects: &[serde_json::Value],
    is_subject: &dyn Fn(&str) -> bool,
    findings: &mut Findings,
) {
    let mut named = BTreeSet::new();
    for subject in subjects {
        let name = subject["name"].as_str().unwrap_or_default().to_string();
        let digest = subject["digest"]["sha256"].as_str().unwrap_or_default();
        match files.hashes.get(&name) {
            None => findings.push(
                ProblemKind::Provenance,
                &name,
                "a provenance subject that is not there",
            ),
            Some(actual) if actual != digest => findings.push(
                ProblemKind::Provenance,
                &name,
                "does not match its provenance subject",
            ),
            Some(_) => {}
        }
        named.insert(name);
    }
    for name in &files.present {
        if is_subject(name) && !named.contains(name) {
            findings.push(
                ProblemKind::Provenance,
                name,
                "not a subject of the provenance",
            );
        }
    }
}

/// The SBOM lists exactly the manifest's packages, by purl.
fn check_sbom(folder: &Folder, findings: &mut Findings) {
    let Some(bom) = std::fs::read_to_string(folder.files.dir.join("sbom.cdx.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        findings.push(ProblemKind::Sbom, "sbom.cdx.json", "missing or not JSON");
        return;
    };
    let listed: BTreeSet<String> = bom["components"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["purl"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let packages: BTreeSet<String> = folder
        .manifest
        .packages
        .iter()
        .map(|p| crate::sbom::purl(p.name.as_str(), &p.version))
        .collect();
    for missing in packages.difference(&listed) {
        findings.push(
            ProblemKind::Sbom,
            "sbom.cdx.json",
            format!("{missing} is in the manifest but not in the SBOM"),
        );
    }
    for extra in listed.difference(&packages) {
        findings.push(
            ProblemKind::Sbom,
            "sbom.cdx.json",
            format!("{extra} is in the SBOM but not in the manifest"),
        );
    }
}

/// The policy verdict recorded when the wheelhouse was built.
fn check_policy(folder: &Folder, findings: &mut Findings) {
    match std::fs::read_to_string(folder.files.dir.join("policy.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        Some(policy) if policy["passed"] == serde_json::Value::Bool(false) => findings.push(
            ProblemKind::Policy,
            "policy.json",
            format!(
                "the policy failed when it was built ({} violation(s))",
                policy["violations"]
            ),
        ),
        Some(_) => {}
        None => findings
            .notes
            .push("no policy.json: the policy was not checked when it was built".into()),
    }
}

fn folder_kind(bundle: bool) -> &'static str {
    if bundle { "bundle" } else { "wheelhouse" }
}

/// Verifies an unpacked bundle (`bundle = true`) or a wheelhouse folder.
pub fn verify_dir(dir: &Path, bundle: bool, key: Option<&PublicKey>) -> VerifyReport {
    let mut findings = Findings::default();
    let folder = match Folder::read(dir, bundle) {
        Ok(folder) => folder,
        Err(problem) => {
            findings.problems.push(problem);
            return findings.into_report(folder_kind(bundle), 0, 0);
        }
    };
    check_sums(&folder.files, &mut findings);
    check_added(&folder.files, &unlisted_files(&folder), &mut findings);
    check_manifest_files(&folder, &mut findings);
    check_unnamed_distributions(&folder, &mut findings);
    let wheels = check_records(&folder, &mut findings);
    check_sums_signature(&folder.files, key, &mut findings);
    if bundle {
        let is_subject = |name: &str| ![PROVENANCE, SUMS, SUMS_SIG].contains(&name);
        check_provenance(&folder.files, key, &is_subject, &mut findings);
    }
    check_sbom(&folder, &mut findings);
    check_policy(&folder, &mut findings);
    findings.into_report(folder_kind(bundle), folder.files.present.len(), wheels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::{WHEEL, demo_wheel, record_hash, wheel_bytes, wheelhouse};

    #[test]
    fn problem_kinds_are_unique_and_documented() {
        let codes: BTreeSet<&str> = ProblemKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), ProblemKind::ALL.len());
        for kind in ProblemKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.code()),
                "JSON says the same code"
            );
            assert_eq!(format!("{kind:<10}|").len(), 11, "the table pads it");
        }
        let docs = include_str!("../../docs/cli.md");
        let table = problem_table();
        assert!(
            docs.contains(&table),
            "docs/cli.md's table of verify problems is not the generated one; replace it with:\n{table}"
        );
    }
    fn kinds_and_paths(report: &VerifyReport) -> Vec<(ProblemKind, &str)> {
        report
            .problems
            .iter()
            .map(|p| (p.kind, p.path.as_str()))
            .collect()
    }

    #[test]
    fn an_intact_wheelhouse_passes_with_a_note_on_what_was_not_checked() {
        let dir = tempfile::tempdir().unwrap();
        wheelhouse(dir.path());
        let report = verify_dir(dir.path(), false, None);
        assert_eq!(report.problems, Vec::<Problem>::new());
        assert_eq!((report.files_checked, report.wheels_checked), (7, 1));
        assert_eq!(report.kind, "wheelhouse");
        assert!(!report.signature_checked);
        assert_eq!(report.notes, ["not signed"]);
    }

    #[test]
    fn each_check_names_the_file_it_finds_wrong() {
        let dir = tempfile::tempdir().unwrap();
        wheelhouse(dir.path());
        // Same size, other bytes: modified for both SHA256SUMS and the manifest.
        let mut wheel = demo_wheel();
        let last = wheel.len() - 1;
        wheel[last] ^= 1;
        std::fs::write(dir.path().join(WHEEL), &wheel).unwrap();
        std::fs::write(dir.path().join("extra.whl"), b"x").unwrap();
        std::fs::write(dir.path().join("sbom.cdx.json"), r#"{"components": []}"#).unwrap();
        std::fs::write(
            dir.path().join("policy.json"),
            r#"{"passed": false, "violations": 2}"#,
        )
        .unwrap();
        let report = verify_dir(dir.path(), false, None);
        assert_eq!(
            kinds_and_paths(&report),
            [
                (ProblemKind::Modified, WHEEL),
                (ProblemKind::Modified, WHEEL),
                (ProblemKind::Added, "extra.whl"),
                (ProblemKind::Added, "extra.whl"),
                // The flipped byte is in the zip's directory.
                (ProblemKind::Record, WHEEL),
                (ProblemKind::Sbom, "sbom.cdx.json"),
                (ProblemKind::Policy, "policy.json"),
            ]
        );
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages[0].starts_with("sha256 is "), "{}", messages[0]);
        assert!(
            messages[4].starts_with("not a zip archive"),
            "{}",
            messages[4]
        );
        assert_eq!(
            [&messages[2..4], &messages[5..]].concat(),
            [
                "a distribution manifest.json does not name",
                "not listed in SHA256SUMS",
                "pkg:pypi/demo@1.0 is in the manifest but not in the SBOM",
                "the policy failed when it was built (2 violation(s))",
            ]
        );
    }

    #[test]
    fn without_a_manifest_nothing_else_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        wheelhouse(dir.path());
        std::fs::write(dir.path().join("manifest.json"), "{}").unwrap();
        let report = verify_dir(dir.path(), true, None);
        assert_eq!(
            kinds_and_paths(&report),
            [(ProblemKind::Manifest, "manifest.json")]
        );
        assert_eq!((report.files_checked, report.kind), (0, "bundle"));
        std::fs::remove_file(dir.path().join("manifest.json")).unwrap();
        let report = verify_dir(dir.path(), false, None);
        assert_eq!(report.problems[0].message, "there is no manifest.json");
    }

    #[test]
    fn a_bundle_without_provenance_or_sums_is_named_so() {
        let dir = tempfile::tempdir().unwrap();
        wheelhouse(dir.path());
        std::fs::create_dir(dir.path().join("wheels")).unwrap();
        std::fs::rename(
            dir.path().join(WHEEL),
            dir.path().join("wheels").join(WHEEL),
        )
        .unwrap();
        std::fs::remove_file(dir.path().join(SUMS)).unwrap();
        let report = verify_dir(dir.path(), true, None);
        let provenance: Vec<&Problem> = report
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Provenance)
            .collect();
        assert_eq!(provenance.len(), 1);
        assert_eq!(provenance[0].message, "missing or not a DSSE envelope");
        assert!(report.problems.contains(&problem(
            ProblemKind::Missing,
            SUMS,
            "there is no SHA256SUMS (or it is empty)"
        )));
        // In a bundle, the top-level files must be listed too.
        assert!(report.problems.contains(&problem(
            ProblemKind::Added,
            "manifest.json",
            "not listed in SHA256SUMS"
        )));
        assert_eq!(report.wheels_checked, 1);
    }

    #[test]
    fn a_record_is_checked_entry_by_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WHEEL);
        let record = format!(
            "demo/a.py,{},1\ndemo/b.py,sha256=AAAA,1\ndemo/c.py,md5=abc,1\ndemo-1.0.dist-info/RECORD,,\n",
            record_hash(b"a")
        );
        std::fs::write(
            &path,
            wheel_bytes(&[
                ("demo/a.py", b"a"),
                ("demo/b.py", b"b"),
                ("demo/c.py", b"c"),
                ("demo/unlisted.py", b""),
                ("demo-1.0.dist-info/RECORD", record.as_bytes()),
                ("demo-1.0.dist-info/RECORD.jws", b"{}"),
            ]),
        )
        .unwrap();
        let messages: Vec<String> = check_record(&path, WHEEL)
            .into_iter()
            .map(|p| {
                assert_eq!((p.kind, p.path.as_str()), (ProblemKind::Record, WHEEL));
                p.message
            })
            .collect();
        assert_eq!(
            messages,
            [
                "demo/b.py does not match its RECORD hash",
                "demo/c.py: RECORD uses md5=abc, not sha256",
                "demo/unlisted.py is not listed in RECORD",
            ]
        );
        std::fs::write(&path, wheel_bytes(&[("demo/a.py", b"a")])).unwrap();
        assert_eq!(
            check_record(&path, WHEEL)[0].message,
            "has no .dist-info/RECORD"
        );
        std::fs::write(&path, b"not a zip").unwrap();
        assert!(
            check_record(&path, WHEEL)[0]
                .message
                .starts_with("not a zip archive: ")
        );
    }

    #[test]
    fn records_and_sums_parse_as_their_tools_write_them() {
        let record = parse_record(
            "plain.py,sha256=abc,3\n\"with,comma \"\"quoted\"\".py\",sha256=def,4\n\nbroken\n\"unterminated,x\n",
        );
        assert_eq!(
            record,
            BTreeMap::from([
                ("plain.py".to_string(), "sha256=abc".to_string()),
                (
                    "with,comma \"quoted\".py".to_string(),
                    "sha256=def".to_string()
                ),
            ])
        );
        let sums =
            crate::wheelhouse::parse_sha256sums("ABC  wheels/a.whl\ndef *b.whl\nno separator\n");
        assert_eq!(
            sums,
            BTreeMap::from([
                ("wheels/a.whl".to_string(), "abc".to_string()),
                ("b.whl".to_string(), "def".to_string()),
            ])
        );
    }
}
