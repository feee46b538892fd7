//! Air-gap bundles: a wheelhouse packed as one reproducible `tar.gz` with
//! its locks, manifest, SBOM, scan and policy reports, SLSA provenance in
//! a DSSE envelope, cosign signatures, install scripts and a README; and
//! the verification of a bundle, a wheelhouse folder or one artifact.

pub mod archive;
pub mod scripts;
pub mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::digest::{HashingWriter, sha256_hex};
use crate::manifest::Manifest;
use crate::sign::KeyPair;
use crate::sign::dsse::{Envelope, IN_TOTO};

/// Files every bundle carries beside `wheels/`.
pub const PROVENANCE: &str = "provenance.intoto.json";
pub const SUMS: &str = "SHA256SUMS";
pub const SUMS_SIG: &str = "SHA256SUMS.sig";

/// The mtime of every entry when `SOURCE_DATE_EPOCH` is not set:
/// 1980-01-01, the earliest time zip and most tools handle.
pub const DEFAULT_EPOCH: u64 = 315_532_800;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

impl BundleError {
    pub fn hint(&self) -> String {
        match self {
            BundleError::Input { .. } => {
                "build the wheelhouse first (`chiron wheelhouse`), and check it with `chiron verify`".into()
            }
            BundleError::Write { .. } => "check the output path and the free space".into(),
        }
    }
}

impl crate::error::Diagnose for BundleError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

/// What went into a bundle.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BundleReport {
    pub bundle: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub files: usize,
    pub signed: bool,
}

pub struct BuildOptions<'a> {
    pub key: Option<&'a KeyPair>,
    /// Entry times: `SOURCE_DATE_EPOCH`, else `DEFAULT_EPOCH`.
    pub epoch: u64,
    /// The command line that built it, for the provenance.
    pub command: String,
    /// A build wheelhouse (`chiron build`'s) to carry under
    /// `build-wheelhouse/`, so the project can be rebuilt offline there.
    pub build_wheelhouse: Option<&'a Path>,
}

/// Where a bundle carries the build wheelhouse.
pub const BUILD_WHEELHOUSE: &str = "build-wheelhouse/";

/// Packs `wheelhouse` into `out`.
pub fn build(
    wheelhouse: &Path,
    out: &Path,
    options: &BuildOptions,
) -> Result<BundleReport, BundleError> {
    let manifest: Manifest = crate::wheelhouse::build::read_manifest(wheelhouse)
        .ok_or_else(|| input_error(wheelhouse, "no readable manifest.json".into()))?;
    let mut files = wheel_entries(wheelhouse, &manifest, "wheels/")?;
    files.extend(report_entries(wheelhouse, &manifest)?);
    if let Some(build) = options.build_wheelhouse {
        files.extend(build_wheelhouse_entries(build)?);
    }
    files.extend(script_entries(&manifest));
    let provenance = provenance_entry(&manifest, &files, options)
        .map_err(|message| input_error(wheelhouse, message))?;
    files.insert(PROVENANCE.into(), provenance);
    add_sums(&mut files, options.key).map_err(|message| input_error(wheelhouse, message))?;
    let (sha256, size) = write_bundle(&files, out, options.epoch)?;
    Ok(BundleReport {
        bundle: out.to_path_buf(),
        sha256,
        size,
        files: files.len(),
        signed: options.key.is_some(),
    })
}

fn input_error(wheelhouse: &Path, message: String) -> BundleError {
    BundleError::Input {
        path: wheelhouse.to_path_buf(),
        message,
    }
}

/// An entry held in memory, with its sha256.
fn in_memory(bytes: Vec<u8>, executable: bool) -> archive::Entry {
    let sha256 = sha256_hex(&bytes);
    archive::Entry {
        source: archive::Source::Bytes(bytes),
        sha256,
        executable,
    }
}

/// The manifest's wheels under `prefix`, each checked against the
/// manifest's sha256; streamed from disk, never held whole.
fn wheel_entries(
    wheelhouse: &Path,
    manifest: &Manifest,
    prefix: &str,
) -> Result<BTreeMap<String, archive::Entry>, BundleError> {
    let mut files = BTreeMap::new();
    for file in &manifest.files {
        let path = wheelhouse.join(&file.filename);
        let (actual, _) = crate::digest::digest_file(&path)
            .map_err(|e| input_error(wheelhouse, format!("{}: {e}", file.filename)))?;
        if Some(actual) != file.sha256 {
            return Err(input_error(
                wheelhouse,
                format!(
                    "{} has sha256 {actual}, the manifest says {}",
                    file.filename,
                    file.sha256_text()
                ),
            ));
        }
        files.insert(
            format!("{prefix}{}", file.filename),
            archive::Entry {
                source: archive::Source::File(path),
                sha256: actual.to_string(),
                executable: false,
            },
        );
    }
    Ok(files)
}

/// A build wheelhouse as it is, flat under [`BUILD_WHEELHOUSE`]: its
/// wheels (checked against its manifest), manifest, lock, sums and
/// requirements, so that `chiron build --offline --build-wheelhouse` reads
/// it where the bundle is unpacked.
fn build_wheelhouse_entries(dir: &Path) -> Result<BTreeMap<String, archive::Entry>, BundleError> {
    let manifest = crate::wheelhouse::build::read_manifest(dir).ok_or_else(|| {
        input_error(
            dir,
            "no readable manifest.json: run chiron build in the project first".into(),
        )
    })?;
    let mut files = wheel_entries(dir, &manifest, BUILD_WHEELHOUSE)?;
    let mut top = vec![
        "manifest.json".to_string(),
        "pylock.toml".to_string(),
        "SHA256SUMS".to_string(),
    ];
    top.extend(manifest.targets.iter().map(|t| t.requirements_file.clone()));
    for name in top {
        let bytes =
            std::fs::read(dir.join(&name)).map_err(|e| input_error(dir, format!("{name}: {e}")))?;
        files.insert(format!("{BUILD_WHEELHOUSE}{name}"), in_memory(bytes, false));
    }
    Ok(files)
}

/// The wheelhouse's own files: manifest, lock (pointed at `wheels/`),
/// SBOM, requirements files, and the scan and policy reports when there.
fn report_entries(
    wheelhouse: &Path,
    manifest: &Manifest,
) -> Result<BTreeMap<String, archive::Entry>, BundleError> {
    let read = |name: &str| {
        std::fs::read(wheelhouse.join(name))
            .map_err(|e| input_error(wheelhouse, format!("{name}: {e}")))
    };
    let mut files = BTreeMap::new();
    let mut top = vec![
        "manifest.json".to_string(),
        "pylock.toml".to_string(),
        "sbom.cdx.json".to_string(),
    ];
    top.extend(manifest.targets.iter().map(|t| t.requirements_file.clone()));
    for name in &top {
        let mut bytes = read(name)?;
        if name == "pylock.toml" {
            bytes = relocated_lock(bytes).map_err(|message| input_error(wheelhouse, message))?;
        }
        files.insert(name.clone(), in_memory(bytes, false));
    }
    for optional in ["scan.json", "policy.json"] {
        if wheelhouse.join(optional).is_file() {
            files.insert(optional.to_string(), in_memory(read(optional)?, false));
        }
    }
    Ok(files)
}

/// The bundle's files are in `wheels/`: the lock says so, so that pip and
/// uv install from it offline.
fn relocated_lock(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let text = String::from_utf8(bytes).map_err(|_| "pylock.toml is not UTF-8".to_string())?;
    crate::lock::pylock::relocate(&text, "wheels/")
        .map(String::into_bytes)
        .map_err(|e| format!("pylock.toml: {e}"))
}

/// The install scripts and the README.
fn script_entries(manifest: &Manifest) -> BTreeMap<String, archive::Entry> {
    BTreeMap::from([
        (
            "install.sh".into(),
            in_memory(scripts::INSTALL_SH.as_bytes().to_vec(), true),
        ),
        (
            "install.ps1".into(),
            in_memory(scripts::INSTALL_PS1.as_bytes().to_vec(), false),
        ),
        (
            "select_target.py".into(),
            in_memory(scripts::SELECT_TARGET_PY.as_bytes().to_vec(), false),
        ),
        (
            "README.txt".into(),
            in_memory(scripts::readme(manifest).into_bytes(), false),
        ),
    ])
}

/// The provenance of `files` in a DSSE envelope, signed with the key when
/// there is one.
fn provenance_entry(
    manifest: &Manifest,
    files: &BTreeMap<String, archive::Entry>,
    options: &BuildOptions,
) -> Result<archive::Entry, String> {
    let statement = provenance(manifest, files, options);
    let text = provenance_envelope(&statement, options.key).map_err(|e| e.to_string())?;
    Ok(in_memory(text.into_bytes(), false))
}

/// `statement` in a DSSE envelope (`application/vnd.in-toto+json`),
/// signed with `key` when given: pretty JSON with a newline.
pub fn provenance_envelope(
    statement: &str,
    key: Option<&KeyPair>,
) -> Result<String, crate::sign::SignError> {
    let envelope = Envelope::new(IN_TOTO, statement.as_bytes(), key)?;
    let mut text = serde_json::to_string_pretty(&envelope).expect("an envelope serialises");
    text.push('\n');
    Ok(text)
}

/// `SHA256SUMS` of every file so far, and its signature with the key.
fn add_sums(
    files: &mut BTreeMap<String, archive::Entry>,
    key: Option<&KeyPair>,
) -> Result<(), String> {
    let sums = sums_text(files);
    if let Some(key) = key {
        let signature = key.sign_blob(sums.as_bytes()).map_err(|e| e.to_string())?;
        files.insert(
            SUMS_SIG.into(),
            in_memory(format!("{signature}\n").into_bytes(), false),
        );
    }
    files.insert(SUMS.into(), in_memory(sums.into_bytes(), false));
    Ok(())
}

/// `sha256sum`'s format: `HASH  NAME`, one line per file, by name.
fn sums_text(files: &BTreeMap<String, archive::Entry>) -> String {
    sums_lines(
        files
            .iter()
            .map(|(name, entry)| (name.as_str(), entry.sha256.as_str())),
    )
}

/// `sha256sum`'s format of `(name, sha256)` pairs, in the order given.
pub fn sums_lines<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    files
        .into_iter()
        .map(|(name, sha256)| format!("{sha256}  {name}\n"))
        .collect()
}

/// Writes the archive to `out` in one step; its sha256 and size.
fn write_bundle(
    files: &BTreeMap<String, archive::Entry>,
    out: &Path,
    epoch: u64,
) -> Result<(String, u64), BundleError> {
    let write_error = |message: String| BundleError::Write {
        path: out.to_path_buf(),
        message,
    };
    // `.chiron-tmp-NAME.XXXXXX` next to the bundle: the next build there
    // removes it if this one is killed.
    let mut temp = crate::atomic::temp_file_beside(out).map_err(|e| write_error(e.to_string()))?;
    let mut hashing = HashingWriter::new(std::io::BufWriter::new(temp.as_file_mut()));
    archive::write_tar_gz(files, epoch, &mut hashing).map_err(|e| write_error(e.to_string()))?;
    let (sha256, size, buffered) = hashing.finish();
    drop(buffered);
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    temp.persist(out)
        .map_err(|e| write_error(e.error.to_string()))?;
    Ok((sha256, size))
}

/// The SLSA provenance of a bundle: every file of the bundle as a
/// subject, the wheels' sources as resolved dependencies, chiron's
/// command, targets, indexes (no credentials) and inputs as the build
/// definition.
fn provenance(
    manifest: &Manifest,
    files: &BTreeMap<String, archive::Entry>,
    options: &BuildOptions,
) -> String {
    let subjects = files
        .iter()
        .map(|(name, entry)| (name.as_str(), entry.sha256.as_str()));
    let dependencies: Vec<_> = manifest
        .files
        .iter()
        .filter(|f| !f.url.is_empty())
        .map(|f| {
            json!({
                "uri": crate::index::redact_url(&f.url),
                "digest": { "sha256": f.sha256 },
                "name": f.filename,
            })
        })
        .collect();
    let build_definition = json!({
        "buildType": "https://chiron.invalid/airgap-bundle/v1",
        "externalParameters": {
            "command": options.command,
            "targets": manifest.targets.iter().map(|t| &t.name).collect::<Vec<_>>(),
            "gaps": manifest.gaps.iter().map(|g| &g.name).collect::<Vec<_>>(),
            "requirements": manifest.inputs.requirements,
            "constraints": manifest.inputs.constraints,
            "indexes": manifest.inputs.indexes.iter().map(|u| crate::index::redact_url(u)).collect::<Vec<_>>(),
            "findLinks": manifest.inputs.find_links,
            "inputs": manifest.inputs.files.iter().map(|f| json!({ "path": f.path, "digest": { "sha256": f.sha256 } })).collect::<Vec<_>>(),
            "inputsFingerprint": manifest.inputs.fingerprint,
        },
        "internalParameters": {
            "allowPrereleases": manifest.inputs.allow_prereleases,
            "excludeNewer": manifest.inputs.exclude_newer,
        },
        "resolvedDependencies": dependencies,
    });
    slsa_statement(
        subjects,
        build_definition,
        &manifest.tool.version,
        options.epoch,
    )
}

/// An in-toto Statement v1 of `subjects` (name, sha256) with an SLSA
/// Provenance v1 predicate: `build_definition` as given, run by chiron
/// `version` at `epoch` (`SOURCE_DATE_EPOCH`, so the same build gives the
/// same bytes). One line of JSON with a newline.
pub fn slsa_statement<'a>(
    subjects: impl IntoIterator<Item = (&'a str, &'a str)>,
    build_definition: serde_json::Value,
    version: &str,
    epoch: u64,
) -> String {
    let subjects: Vec<_> = subjects
        .into_iter()
        .map(|(name, sha256)| json!({ "name": name, "digest": { "sha256": sha256 } }))
        .collect();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": build_definition,
            "runDetails": {
                "builder": {
                    "id": "https://chiron.invalid/builder",
                    "version": { "chiron": version },
                },
                "metadata": {
                    "startedOn": crate::time::rfc3339(epoch as i64),
                },
            },
        },
    });
    let mut text = serde_json::to_string(&statement).expect("a statement serialises");
    text.push('\n');
    text
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A wheel whose zip holds `entries` (name, bytes) in that order.
    pub(super) fn wheel_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut buffer = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buffer);
        for (name, bytes) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        buffer.into_inner()
    }

    pub(super) fn record_hash(bytes: &[u8]) -> String {
        use base64::Engine as _;
        let digest =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::digest::sha256(bytes));
        format!("sha256={digest}")
    }

    /// A good wheel of `demo 1.0`: one module and its RECORD.
    pub(super) fn demo_wheel() -> Vec<u8> {
        let module = b"x = 1\n";
        let record = format!(
            "demo/__init__.py,{},6\ndemo-1.0.dist-info/RECORD,,\n",
            record_hash(module)
        );
        wheel_bytes(&[
            ("demo/__init__.py", module),
            ("demo-1.0.dist-info/RECORD", record.as_bytes()),
        ])
    }

    pub(super) const WHEEL: &str = "demo-1.0-py3-none-any.whl";

    /// A wheelhouse of one wheel that passes every check.
    pub(super) fn wheelhouse(dir: &Path) {
        let wheel = demo_wheel();
        let sha256 = crate::bundle::sha256_hex(&wheel);
        std::fs::write(dir.join(WHEEL), &wheel).unwrap();
        let manifest = serde_json::json!({
            "manifest_version": 1,
            "tool": { "name": "chiron", "version": "0" },
            "inputs": {
                "fingerprint": "", "files": [], "requirements": ["demo"], "constraints": [],
                "indexes": [], "find_links": [], "allow_prereleases": false, "exclude_newer": null,
            },
            "targets": [{
                "name": "3.12-linux-x86_64", "python": "3.12", "platform": "linux-x86_64",
                "requirements_file": "requirements-3.12-linux-x86_64.txt", "platform_tags": [],
            }],
            "packages": [{
                "name": "demo", "version": "1.0", "license": null, "summary": null,
                "requires_dist": [], "targets": {},
            }],
            "files": [{
                "filename": WHEEL, "sha256": sha256, "size": wheel.len(), "url": "",
                "index": "", "yanked": false, "targets": [],
            }],
        });
        std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
        std::fs::write(dir.join(SUMS), format!("{sha256}  {WHEEL}\n")).unwrap();
        std::fs::write(
            dir.join("requirements-3.12-linux-x86_64.txt"),
            "demo==1.0\n",
        )
        .unwrap();
        let bom = serde_json::json!({ "components": [{ "purl": "pkg:pypi/demo@1.0" }] });
        std::fs::write(dir.join("sbom.cdx.json"), bom.to_string()).unwrap();
        std::fs::write(dir.join("policy.json"), r#"{"passed": true}"#).unwrap();
        let lock = format!(
            "lock-version = \"1.0\"\n\n[[packages]]\nname = \"demo\"\nversion = \"1.0\"\n\n\
             [[packages.wheels]]\nname = \"{WHEEL}\"\nurl = \"https://example.test/{WHEEL}\"\n\
             hashes = {{ sha256 = \"{sha256}\" }}\n"
        );
        std::fs::write(dir.join("pylock.toml"), lock).unwrap();
    }

    fn options() -> BuildOptions<'static> {
        BuildOptions {
            key: None,
            epoch: DEFAULT_EPOCH,
            command: "chiron airgap build".into(),
            build_wheelhouse: None,
        }
    }

    #[test]
    fn a_built_bundle_unpacks_to_a_folder_that_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let house = dir.path().join("house");
        std::fs::create_dir(&house).unwrap();
        wheelhouse(&house);
        let out = dir.path().join("bundle.tar.gz");
        let report = build(&house, &out, &options()).unwrap();
        assert_eq!((report.files, report.signed), (12, false));
        assert_eq!(report.sha256, sha256_hex(&std::fs::read(&out).unwrap()));
        let unpacked = dir.path().join("unpacked");
        let files = archive::unpack(&out, &unpacked, None).unwrap();
        assert_eq!(
            files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>(),
            [
                "README.txt",
                SUMS,
                "install.ps1",
                "install.sh",
                "manifest.json",
                "policy.json",
                PROVENANCE,
                "pylock.toml",
                "requirements-3.12-linux-x86_64.txt",
                "sbom.cdx.json",
                "select_target.py",
                &format!("wheels/{WHEEL}"),
            ]
        );
        let verified = verify::verify_dir(&unpacked, true, None);
        assert_eq!(verified.problems, Vec::new());
        assert_eq!(verified.wheels_checked, 1);
        let lock = std::fs::read_to_string(unpacked.join("pylock.toml")).unwrap();
        assert!(
            lock.contains(&format!("path = \"wheels/{WHEEL}\"")),
            "{lock}"
        );
        // The same wheelhouse gives the same bytes.
        let again = dir.path().join("again.tar.gz");
        assert_eq!(
            build(&house, &again, &options()).unwrap().sha256,
            report.sha256
        );
    }

    #[test]
    fn a_wheel_that_is_not_the_manifests_is_not_packed() {
        let dir = tempfile::tempdir().unwrap();
        wheelhouse(dir.path());
        std::fs::write(dir.path().join(WHEEL), b"other bytes").unwrap();
        let out = dir.path().join("bundle.tar.gz");
        let error = build(dir.path(), &out, &options()).unwrap_err().to_string();
        assert!(
            error.contains(&format!(
                "{WHEEL} has sha256 {}",
                sha256_hex(b"other bytes")
            )),
            "{error}"
        );
        assert!(!out.exists());
        assert_eq!(
            relocated_lock(vec![0xff]).unwrap_err(),
            "pylock.toml is not UTF-8"
        );
    }

    #[test]
    fn sums_and_provenance_name_every_file_with_its_hash() {
        let files = BTreeMap::from([
            ("b.txt".to_string(), in_memory(b"b".to_vec(), false)),
            ("a.txt".to_string(), in_memory(b"a".to_vec(), true)),
        ]);
        assert_eq!(
            sums_text(&files),
            format!("{}  a.txt\n{}  b.txt\n", sha256_hex(b"a"), sha256_hex(b"b"))
        );
        let dir = tempfile::tempdir().unwrap();
        wheelhouse(dir.path());
        let manifest = crate::wheelhouse::build::read_manifest(dir.path()).unwrap();
        let statement: serde_json::Value =
            serde_json::from_str(&provenance(&manifest, &files, &options())).unwrap();
        assert_eq!(
            statement["subject"],
            serde_json::json!([
                { "name": "a.txt", "digest": { "sha256": sha256_hex(b"a") } },
                { "name": "b.txt", "digest": { "sha256": sha256_hex(b"b") } },
            ])
        );
        assert_eq!(
            statement["predicate"]["runDetails"]["metadata"]["startedOn"],
            "1980-01-01T00:00:00Z"
        );
    }
}
