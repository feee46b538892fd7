//! One distribution added to a folder that is served, after it was
//! written there (an upload to `chiron serve`): what the folder records of
//! its files follows. A wheelhouse (a folder with `manifest.json`) gets
//! the file in `SHA256SUMS`, in the manifest (with its package version
//! when it is new), in the CycloneDX SBOM and, when the lock pins its
//! package version already, in `pylock.toml`; a plain folder only in its
//! `SHA256SUMS`, when it has one. A signature over `SHA256SUMS` can no
//! longer verify and is removed first.
//!
//! Everything is read and computed before anything is written ([`plan`]),
//! so an unreadable manifest, SBOM or lock refuses the addition with the
//! folder untouched; then each file is replaced atomically, the manifest
//! last ([`Addition::apply`]), as the wheelhouse builder stages it. It
//! must not resolve: a lock is a resolution, and a new file is no reason
//! to make another one.

use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::error::WheelhouseError;
use crate::digest::Sha256;
use crate::manifest::{Manifest, ManifestFile, ManifestPackage};
use crate::python::NormalizedName;
use crate::python::metadata::CoreMetadata;

/// What the manifest records as the `index` of a file added by upload.
pub const UPLOADED: &str = "upload";

/// The names of signatures over `SHA256SUMS` that an addition makes stale:
/// `chiron sign`'s `.sig`, and what other signers write beside it.
const SUMS_SIGNATURES: [&str; 7] = [
    "SHA256SUMS.sig",
    "SHA256SUMS.asc",
    "SHA256SUMS.minisig",
    "SHA256SUMS.p7s",
    "SHA256SUMS.bundle",
    "SHA256SUMS.sigstore",
    "SHA256SUMS.sigstore.json",
];

/// The distribution added, as read and checked by the caller.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    pub filename: &'a str,
    pub name: &'a PackageName,
    pub version: &'a Version,
    pub sha256: Sha256,
    pub size: u64,
    /// Its core metadata (a wheel's METADATA, an sdist's PKG-INFO).
    pub metadata: &'a CoreMetadata,
}

/// The writes an addition makes, computed and not yet done.
#[derive(Debug)]
pub struct Addition {
    /// Signatures over `SHA256SUMS` to remove, before it changes.
    pub stale_signatures: Vec<PathBuf>,
    /// Files to replace, in order; `manifest.json` last.
    writes: Vec<(PathBuf, String)>,
    /// Whether `pylock.toml` is among them.
    pub lock_updated: bool,
    /// The manifest as it will be, for a wheelhouse.
    pub manifest: Option<Manifest>,
}

/// Reads what `dir` records and computes what adding `file` changes.
/// Writes nothing.
pub fn plan(dir: &Path, file: &NewFile) -> Result<Addition, WheelhouseError> {
    let mut writes = Vec::new();
    let sums_path = super::sha256sums_path(dir);
    let sums = read_optional(&sums_path)?;
    if let Some(text) = &sums {
        let mut listed = super::parse_sha256sums(text);
        listed.insert(file.filename.to_string(), file.sha256.to_string());
        writes.push((sums_path, super::sha256sums_text(&listed)));
    }
    let stale_signatures = match sums {
        Some(_) => SUMS_SIGNATURES
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| path.is_file())
            .collect(),
        None => Vec::new(),
    };
    let manifest_path = dir.join("manifest.json");
    let Some(text) = read_optional(&manifest_path)? else {
        return Ok(Addition {
            stale_signatures,
            writes,
            lock_updated: false,
            manifest: None,
        });
    };
    let mut manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| unreadable(&manifest_path, e.to_string()))?;
    let entry = record(&mut manifest, file);
    let package = manifest
        .packages
        .iter()
        .find(|p| is_release(p, file.name, file.version))
        .cloned()
        .expect("record() adds the package version when it is missing");
    let lock_path = dir.join(super::lock::LOCK_FILE);
    let mut lock_updated = false;
    if let Some(text) = read_optional(&lock_path)? {
        let updated = crate::lock::pylock::add_file(&text, file.name, file.version, &entry)
            .map_err(|e| unreadable(&lock_path, e.message().to_string()))?;
        if let Some(updated) = updated {
            writes.push((lock_path, updated));
            lock_updated = true;
        }
    }
    let sbom_path = dir.join("sbom.cdx.json");
    if let Some(text) = read_optional(&sbom_path)? {
        let updated = crate::sbom::with_component(&text, &manifest, &package)
            .map_err(|message| unreadable(&sbom_path, message))?;
        writes.push((sbom_path, updated));
    }
    writes.push((manifest_path, manifest.to_json()));
    Ok(Addition {
        stale_signatures,
        writes,
        lock_updated,
        manifest: Some(manifest),
    })
}

impl Addition {
    /// Removes the stale signatures, then replaces each file atomically,
    /// the manifest last.
    pub fn apply(&self) -> Result<(), WheelhouseError> {
        for path in &self.stale_signatures {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(path, error)),
            }
        }
        for (path, text) in &self.writes {
            crate::atomic::write_file(path, text.as_bytes(), crate::atomic::Overwrite::Replace)
                .map_err(|error| io_error(path, error))?;
        }
        Ok(())
    }
}

/// Adds `file` to the manifest's files (sorted by name) and its package
/// version to its packages when missing; returns the file's entry. An
/// uploaded file serves no target: no target's resolution chose it.
fn record(manifest: &mut Manifest, file: &NewFile) -> ManifestFile {
    let entry = ManifestFile {
        filename: file.filename.to_string(),
        sha256: Some(file.sha256),
        size: file.size,
        url: String::new(),
        index: UPLOADED.to_string(),
        yanked: false,
        targets: Vec::new(),
        upload_time: None,
    };
    manifest.files.retain(|f| f.filename != file.filename);
    manifest.files.push(entry.clone());
    manifest.files.sort_by(|a, b| a.filename.cmp(&b.filename));
    if !manifest
        .packages
        .iter()
        .any(|p| is_release(p, file.name, file.version))
    {
        manifest.packages.push(super::package_entry(
            NormalizedName::new(file.name.as_ref()),
            file.version.to_string(),
            file.metadata,
        ));
        manifest.packages.sort_by(|a, b| {
            (a.name.as_str(), a.version.as_str()).cmp(&(b.name.as_str(), b.version.as_str()))
        });
    }
    entry
}

/// Whether `package` is release `version` of `name` (PEP 503 / PEP 440
/// equality).
fn is_release(package: &ManifestPackage, name: &PackageName, version: &Version) -> bool {
    package.name == NormalizedName::new(name.as_ref())
        && package.version.parse::<Version>().ok().as_ref() == Some(version)
}

fn read_optional(path: &Path) -> Result<Option<String>, WheelhouseError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error(path, error)),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> WheelhouseError {
    WheelhouseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn unreadable(path: &Path, message: String) -> WheelhouseError {
    WheelhouseError::Unreadable {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn metadata() -> CoreMetadata {
        CoreMetadata::parse(
            "Metadata-Version: 2.4\nName: Demo_Pkg\nVersion: 1.0\nSummary: a demo\nLicense-Expression: MIT\nRequires-Dist: lib>=1\n",
            "METADATA",
        )
        .unwrap()
    }

    #[test]
    fn a_plain_folder_changes_only_an_existing_sha256sums_and_its_signature_goes() {
        let dir = tempfile::tempdir().unwrap();
        let meta = metadata();
        let name = PackageName::from_str("demo-pkg").unwrap();
        let version = Version::from_str("1.0").unwrap();
        let file = NewFile {
            filename: "demo_pkg-1.0-py3-none-any.whl",
            name: &name,
            version: &version,
            sha256: Sha256::of(b"wheel"),
            size: 5,
            metadata: &meta,
        };
        let addition = plan(dir.path(), &file).unwrap();
        assert!(addition.writes.is_empty() && addition.manifest.is_none());

        let other = Sha256::of(b"other");
        std::fs::write(
            dir.path().join("SHA256SUMS"),
            format!("{other}  zeta-1.0.tar.gz\n"),
        )
        .unwrap();
        std::fs::write(dir.path().join("SHA256SUMS.sig"), "sig").unwrap();
        let addition = plan(dir.path(), &file).unwrap();
        addition.apply().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap(),
            format!(
                "{}  demo_pkg-1.0-py3-none-any.whl\n{other}  zeta-1.0.tar.gz\n",
                Sha256::of(b"wheel")
            )
        );
        assert!(!dir.path().join("SHA256SUMS.sig").exists());
        assert!(!dir.path().join("manifest.json").exists());
    }

    #[test]
    fn a_new_release_enters_the_manifest_with_its_metadata_and_no_target() {
        let mut manifest: Manifest = serde_json::from_value(serde_json::json!({
            "manifest_version": 1,
            "tool": { "name": "chiron", "version": "0" },
            "inputs": { "fingerprint": "", "files": [], "requirements": [], "constraints": [],
                        "indexes": [], "find_links": [], "allow_prereleases": false, "exclude_newer": null },
            "targets": [], "packages": [], "files": []
        }))
        .unwrap();
        let meta = metadata();
        let name = PackageName::from_str("Demo_Pkg").unwrap();
        let version = Version::from_str("1.0.0").unwrap();
        let file = NewFile {
            filename: "demo_pkg-1.0.0.tar.gz",
            name: &name,
            version: &version,
            sha256: Sha256::of(b"sdist"),
            size: 5,
            metadata: &meta,
        };
        let entry = record(&mut manifest, &file);
        assert_eq!(entry.index, UPLOADED);
        assert!(entry.targets.is_empty());
        assert_eq!(manifest.files, [entry]);
        let package = &manifest.packages[0];
        assert_eq!(package.name.as_str(), "demo-pkg");
        assert_eq!(package.version, "1.0.0");
        assert_eq!(package.license.as_deref(), Some("MIT"));
        assert_eq!(package.requires_dist, ["lib>=1"]);
        // The same release again (1.0 == 1.0.0): one package entry.
        record(&mut manifest, &file);
        assert_eq!(manifest.packages.len(), 1);
        assert_eq!(manifest.files.len(), 1);
    }
}
