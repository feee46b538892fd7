//! `chiron verify` of a folder: an unpacked bundle or a wheelhouse. Every
//! file against `SHA256SUMS` and the manifest (nothing missing, nothing
//! added), every wheel's `RECORD` against its contents, the signature of
//! `SHA256SUMS` and of the provenance, the provenance's subjects against
//! the bytes, the SBOM's components against the manifest's packages, and
//! the policy verdict recorded at build time. Each problem names the file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

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
                "a signature (SHA256SUMS.sig, the provenance's) is missing with --key, unreadable or not by that key"
            }
            ProblemKind::Provenance => {
                "the provenance is missing or unreadable, or its subjects are not exactly the files with their sha256"
            }
            ProblemKind::Sbom => {
                "the SBOM is missing or its components are not exactly the manifest's packages"
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

fn parse_sums(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (hash, name) = line.split_once("  ").or_else(|| line.split_once(" *"))?;
            Some((name.trim().to_string(), hash.trim().to_ascii_lowercase()))
        })
        .collect()
}

/// Checks a wheel's RECORD: every listed file with a hash matches, and no
/// file is in the wheel but missing from RECORD.
pub fn check_record(path: &Path, name: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return vec![problem(ProblemKind::Record, name, e.to_string())],
    };
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(archive) => archive,
        Err(e) => {
            return vec![problem(
                ProblemKind::Record,
                name,
                format!("not a zip archive: {e}"),
            )];
        }
    };
    let record_name = (0..archive.len()).find_map(|i| {
        let entry = archive.by_index(i).ok()?;
        let n = entry.name().ok()?.to_string();
        (n.ends_with(".dist-info/RECORD") && n.matches('/').count() == 1).then_some(n)
    });
    let Some(record_name) = record_name else {
        return vec![problem(
            ProblemKind::Record,
            name,
            "has no .dist-info/RECORD",
        )];
    };
    let mut record = String::new();
    if let Err(e) = archive
        .by_name(&record_name)
        .map_err(|e| e.to_string())
        .and_then(|entry| {
            entry
                .take(64 << 20)
                .read_to_string(&mut record)
                .map_err(|e| e.to_string())
        })
    {
        return vec![problem(
            ProblemKind::Record,
            name,
            format!("unreadable RECORD: {e}"),
        )];
    }
    let mut listed = BTreeMap::new();
    for line in record.lines().filter(|l| !l.trim().is_empty()) {
        // RECORD is CSV; paths with commas are quoted.
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
    for i in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(i) else {
            problems.push(problem(
                ProblemKind::Record,
                name,
                format!("entry {i} is unreadable"),
            ));
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let Ok(inner) = entry.name().map(|n| n.to_string()) else {
            problems.push(problem(
                ProblemKind::Record,
                name,
                format!("entry {i} has an unreadable name"),
            ));
            continue;
        };
        let Some(expected) = listed.get(&inner) else {
            let signature_file = inner.starts_with(record_name.trim_end_matches("RECORD"))
                && (inner.ends_with("RECORD.jws") || inner.ends_with("RECORD.p7s"));
            if !signature_file {
                problems.push(problem(
                    ProblemKind::Record,
                    name,
                    format!("{inner} is not listed in RECORD"),
                ));
            }
            continue;
        };
        if inner == record_name || expected.is_empty() {
            continue;
        }
        let Some(digest) = expected.strip_prefix("sha256=") else {
            problems.push(problem(
                ProblemKind::Record,
                name,
                format!("{inner}: RECORD uses {expected}, not sha256"),
            ));
            continue;
        };
        let mut hasher = crate::digest::Sha256Hasher::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match entry.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buffer[..n]),
                Err(e) => {
                    problems.push(problem(ProblemKind::Record, name, format!("{inner}: {e}")));
                    break;
                }
            }
        }
        let actual = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hasher.finish());
        if actual != digest.trim_end_matches('=') {
            problems.push(problem(
                ProblemKind::Record,
                name,
                format!("{inner} does not match its RECORD hash"),
            ));
        }
    }
    problems
}

/// Verifies an unpacked bundle (`bundle = true`) or a wheelhouse folder.
pub fn verify_dir(dir: &Path, bundle: bool, key: Option<&PublicKey>) -> VerifyReport {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut signature_checked = false;
    let report =
        |problems: Vec<Problem>, notes: Vec<String>, files: usize, wheels: usize, signed: bool| {
            let mut problems = problems;
            problems.sort();
            problems.dedup();
            VerifyReport {
                kind: if bundle { "bundle" } else { "wheelhouse" },
                files_checked: files,
                wheels_checked: wheels,
                signature_checked: signed,
                problems,
                notes,
            }
        };
    let present = match walk(dir) {
        Ok(present) => present,
        Err(e) => {
            return report(
                vec![problem(
                    ProblemKind::Missing,
                    &dir.display().to_string(),
                    e.to_string(),
                )],
                notes,
                0,
                0,
                false,
            );
        }
    };
    let Ok(manifest_text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return report(
            vec![problem(
                ProblemKind::Missing,
                "manifest.json",
                "there is no manifest.json",
            )],
            notes,
            0,
            0,
            false,
        );
    };
    let manifest: Manifest = match serde_json::from_str(&manifest_text) {
        Ok(manifest) => manifest,
        Err(e) => {
            return report(
                vec![problem(
                    ProblemKind::Manifest,
                    "manifest.json",
                    format!("not a chiron manifest: {e}"),
                )],
                notes,
                0,
                0,
                false,
            );
        }
    };
    let sums_bytes = std::fs::read(dir.join(SUMS)).unwrap_or_default();
    let sums = parse_sums(&String::from_utf8_lossy(&sums_bytes));
    if sums.is_empty() {
        problems.push(problem(
            ProblemKind::Missing,
            SUMS,
            "there is no SHA256SUMS (or it is empty)",
        ));
    }
    // Every listed file is there with its hash.
    let mut hashes = BTreeMap::new();
    for name in &present {
        // Streamed: a wheel of a gigabyte is not held in memory.
        if let Ok((sha256, _)) = crate::digest::hash_file(&dir.join(name)) {
            hashes.insert(name.clone(), sha256);
        }
    }
    for (name, expected) in &sums {
        match hashes.get(name) {
            None => problems.push(problem(
                ProblemKind::Missing,
                name,
                "listed in SHA256SUMS but not there",
            )),
            Some(actual) if actual != expected => problems.push(problem(
                ProblemKind::Modified,
                name,
                format!("sha256 is {actual}, SHA256SUMS says {expected}"),
            )),
            Some(_) => {}
        }
    }
    // Nothing is there that should not be.
    let wheel_dir = if bundle { "wheels/" } else { "" };
    let mut expected_unlisted: BTreeSet<String> =
        [SUMS, SUMS_SIG].iter().map(|s| s.to_string()).collect();
    if !bundle {
        expected_unlisted.extend(
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
        expected_unlisted.extend(manifest.targets.iter().map(|t| t.requirements_file.clone()));
    }
    for name in &present {
        if !sums.contains_key(name) && !expected_unlisted.contains(name) {
            problems.push(problem(
                ProblemKind::Added,
                name,
                "not listed in SHA256SUMS",
            ));
        }
    }
    // The manifest's files, with their sizes and hashes; no other wheels.
    let manifest_files: BTreeSet<String> = manifest
        .files
        .iter()
        .map(|f| format!("{wheel_dir}{}", f.filename))
        .collect();
    for file in &manifest.files {
        let name = format!("{wheel_dir}{}", file.filename);
        match hashes.get(&name) {
            None => problems.push(problem(
                ProblemKind::Missing,
                &name,
                "named in manifest.json but not there",
            )),
            Some(actual) if *actual != file.sha256 => problems.push(problem(
                ProblemKind::Modified,
                &name,
                format!("sha256 is {actual}, manifest.json says {}", file.sha256),
            )),
            Some(_) => {
                let size = std::fs::metadata(dir.join(&name))
                    .map(|m| m.len())
                    .unwrap_or(0);
                if size != file.size {
                    problems.push(problem(
                        ProblemKind::Modified,
                        &name,
                        format!("{size} bytes, manifest.json says {}", file.size),
                    ));
                }
            }
        }
    }
    for name in &present {
        let is_distribution =
            name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip");
        if is_distribution && name.starts_with(wheel_dir) && !manifest_files.contains(name) {
            problems.push(problem(
                ProblemKind::Added,
                name,
                "a distribution manifest.json does not name",
            ));
        }
    }
    // Each wheel's RECORD.
    let mut wheels = 0;
    for name in manifest_files.iter().filter(|n| n.ends_with(".whl")) {
        if present.contains(name) {
            wheels += 1;
            problems.extend(check_record(&dir.join(name), name));
        }
    }
    // Signatures.
    let signature = std::fs::read_to_string(dir.join(SUMS_SIG)).ok();
    match (key, &signature) {
        (Some(key), Some(signature)) => match key.verify_blob(&sums_bytes, signature, SUMS) {
            Ok(()) => signature_checked = true,
            Err(e) => problems.push(problem(ProblemKind::Signature, SUMS_SIG, e.to_string())),
        },
        (Some(_), None) => problems.push(problem(
            ProblemKind::Signature,
            SUMS_SIG,
            "a key was given but SHA256SUMS is not signed",
        )),
        (None, Some(_)) => {
            notes.push("SHA256SUMS is signed, but no key was given to check it (--key)".into())
        }
        (None, None) => notes.push("not signed".into()),
    }
    // Provenance (bundles).
    if bundle {
        match std::fs::read_to_string(dir.join(PROVENANCE))
            .ok()
            .and_then(|t| serde_json::from_str::<Envelope>(&t).ok())
        {
            None => problems.push(problem(
                ProblemKind::Provenance,
                PROVENANCE,
                "missing or not a DSSE envelope",
            )),
            Some(envelope) => {
                if let Some(key) = key
                    && let Err(e) = envelope.verify(key, PROVENANCE)
                {
                    problems.push(problem(ProblemKind::Signature, PROVENANCE, e.to_string()));
                }
                let statement: Option<serde_json::Value> = envelope
                    .payload()
                    .and_then(|p| serde_json::from_slice(&p).ok());
                match statement.as_ref().and_then(|s| s["subject"].as_array()) {
                    None => problems.push(problem(
                        ProblemKind::Provenance,
                        PROVENANCE,
                        "its payload is not an in-toto statement",
                    )),
                    Some(subjects) => {
                        let mut named = BTreeSet::new();
                        for subject in subjects {
                            let name = subject["name"].as_str().unwrap_or_default().to_string();
                            let digest = subject["digest"]["sha256"].as_str().unwrap_or_default();
                            match hashes.get(&name) {
                                None => problems.push(problem(
                                    ProblemKind::Provenance,
                                    &name,
                                    "a provenance subject that is not in the bundle",
                                )),
                                Some(actual) if actual != digest => problems.push(problem(
                                    ProblemKind::Provenance,
                                    &name,
                                    "does not match its provenance subject",
                                )),
                                Some(_) => {}
                            }
                            named.insert(name);
                        }
                        for name in &present {
                            if ![PROVENANCE, SUMS, SUMS_SIG].contains(&name.as_str())
                                && !named.contains(name)
                            {
                                problems.push(problem(
                                    ProblemKind::Provenance,
                                    name,
                                    "not a subject of the provenance",
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    // The SBOM lists exactly the manifest's packages.
    match std::fs::read_to_string(dir.join("sbom.cdx.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        None => problems.push(problem(
            ProblemKind::Sbom,
            "sbom.cdx.json",
            "missing or not JSON",
        )),
        Some(bom) => {
            let listed: BTreeSet<String> = bom["components"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|c| c["purl"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let packages: BTreeSet<String> = manifest
                .packages
                .iter()
                .map(|p| crate::sbom::purl(&p.name, &p.version))
                .collect();
            for missing in packages.difference(&listed) {
                problems.push(problem(
                    ProblemKind::Sbom,
                    "sbom.cdx.json",
                    format!("{missing} is in the manifest but not in the SBOM"),
                ));
            }
            for extra in listed.difference(&packages) {
                problems.push(problem(
                    ProblemKind::Sbom,
                    "sbom.cdx.json",
                    format!("{extra} is in the SBOM but not in the manifest"),
                ));
            }
        }
    }
    // The policy verdict recorded when the wheelhouse was built.
    match std::fs::read_to_string(dir.join("policy.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        Some(policy) if policy["passed"] == serde_json::Value::Bool(false) => {
            problems.push(problem(
                ProblemKind::Policy,
                "policy.json",
                format!(
                    "the policy failed when it was built ({} violation(s))",
                    policy["violations"]
                ),
            ))
        }
        Some(_) => {}
        None => notes.push("no policy.json: the policy was not checked when it was built".into()),
    }
    let files = present.len();
    report(problems, notes, files, wheels, signature_checked)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
