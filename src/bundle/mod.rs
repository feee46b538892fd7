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
}

/// Packs `wheelhouse` into `out`.
pub fn build(
    wheelhouse: &Path,
    out: &Path,
    options: &BuildOptions,
) -> Result<BundleReport, BundleError> {
    let input = |message: String| BundleError::Input {
        path: wheelhouse.to_path_buf(),
        message,
    };
    let manifest: Manifest = crate::wheelhouse::build::read_manifest(wheelhouse)
        .ok_or_else(|| input("no readable manifest.json".into()))?;
    let mut files: BTreeMap<String, archive::Entry> = BTreeMap::new();
    let read = |name: &str| {
        std::fs::read(wheelhouse.join(name)).map_err(|e| input(format!("{name}: {e}")))
    };
    let small = |bytes: Vec<u8>, executable: bool| {
        let sha256 = sha256_hex(&bytes);
        archive::Entry {
            source: archive::Source::Bytes(bytes),
            sha256,
            executable,
        }
    };
    for file in &manifest.files {
        // Wheels are streamed from disk, never held whole.
        let path = wheelhouse.join(&file.filename);
        let (actual, _) = crate::digest::hash_file(&path)
            .map_err(|e| input(format!("{}: {e}", file.filename)))?;
        if actual != file.sha256 {
            return Err(input(format!(
                "{} has sha256 {actual}, the manifest says {}",
                file.filename, file.sha256
            )));
        }
        files.insert(
            format!("wheels/{}", file.filename),
            archive::Entry {
                source: archive::Source::File(path),
                sha256: actual,
                executable: false,
            },
        );
    }
    let mut top = vec![
        "manifest.json".to_string(),
        "pylock.toml".to_string(),
        "sbom.cdx.json".to_string(),
    ];
    top.extend(manifest.targets.iter().map(|t| t.requirements_file.clone()));
    for name in &top {
        let mut bytes = read(name)?;
        if name == "pylock.toml" {
            // The bundle's files are in wheels/: the lock says so, so
            // that pip and uv install from it offline.
            let text =
                String::from_utf8(bytes).map_err(|_| input("pylock.toml is not UTF-8".into()))?;
            bytes = crate::lock::pylock::relocate(&text, "wheels/")
                .map_err(|e| input(format!("pylock.toml: {e}")))?
                .into_bytes();
        }
        files.insert(name.clone(), small(bytes, false));
    }
    for optional in ["scan.json", "policy.json"] {
        if wheelhouse.join(optional).is_file() {
            files.insert(optional.to_string(), small(read(optional)?, false));
        }
    }
    files.insert(
        "install.sh".into(),
        small(scripts::INSTALL_SH.as_bytes().to_vec(), true),
    );
    files.insert(
        "install.ps1".into(),
        small(scripts::INSTALL_PS1.as_bytes().to_vec(), false),
    );
    files.insert(
        "select_target.py".into(),
        small(scripts::SELECT_TARGET_PY.as_bytes().to_vec(), false),
    );
    files.insert(
        "README.txt".into(),
        small(scripts::readme(&manifest).into_bytes(), false),
    );

    let statement = provenance(&manifest, &files, options);
    let envelope = Envelope::new(IN_TOTO, statement.as_bytes(), options.key)
        .map_err(|e| input(e.to_string()))?;
    let mut envelope_text =
        serde_json::to_string_pretty(&envelope).expect("an envelope serialises");
    envelope_text.push('\n');
    files.insert(PROVENANCE.into(), small(envelope_text.into_bytes(), false));

    let sums: String = files
        .iter()
        .map(|(name, entry)| format!("{}  {name}\n", entry.sha256))
        .collect();
    if let Some(key) = options.key {
        let signature = key
            .sign_blob(sums.as_bytes())
            .map_err(|e| input(e.to_string()))?;
        files.insert(
            SUMS_SIG.into(),
            small(format!("{signature}\n").into_bytes(), false),
        );
    }
    files.insert(SUMS.into(), small(sums.into_bytes(), false));

    let write_error = |message: String| BundleError::Write {
        path: out.to_path_buf(),
        message,
    };
    // `.chiron-tmp-NAME.XXXXXX` next to the bundle: the next build there
    // removes it if this one is killed.
    let mut temp = crate::atomic::temp_file_beside(out).map_err(|e| write_error(e.to_string()))?;
    let mut hashing = HashingWriter::new(std::io::BufWriter::new(temp.as_file_mut()));
    archive::write_tar_gz(&files, options.epoch, &mut hashing)
        .map_err(|e| write_error(e.to_string()))?;
    let (sha256, size, buffered) = hashing.finish();
    drop(buffered);
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    temp.persist(out)
        .map_err(|e| write_error(e.error.to_string()))?;
    Ok(BundleReport {
        bundle: out.to_path_buf(),
        sha256,
        size,
        files: files.len(),
        signed: options.key.is_some(),
    })
}

/// An in-toto Statement v1 with an SLSA Provenance v1 predicate: every
/// file of the bundle as a subject, the wheels' sources as resolved
/// dependencies, chiron's command, targets, indexes (no credentials) and
/// inputs as the build definition.
fn provenance(
    manifest: &Manifest,
    files: &BTreeMap<String, archive::Entry>,
    options: &BuildOptions,
) -> String {
    let subjects: Vec<_> = files
        .iter()
        .map(|(name, entry)| json!({ "name": name, "digest": { "sha256": entry.sha256 } }))
        .collect();
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
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
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
            },
            "runDetails": {
                "builder": {
                    "id": "https://chiron.invalid/builder",
                    "version": { "chiron": manifest.tool.version },
                },
                "metadata": {
                    "startedOn": crate::time::rfc3339(options.epoch as i64),
                },
            },
        },
    });
    let mut text = serde_json::to_string(&statement).expect("a statement serialises");
    text.push('\n');
    text
}
