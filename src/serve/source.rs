//! What is served: a wheelhouse (a folder with `manifest.json`, whose
//! hashes and sizes are taken from it), a plain folder of wheels and
//! sdists (hashed when read), or an air-gap bundle (`.tar.gz`), verified
//! with a public key (or, when the caller says so, not at all) and
//! unpacked once into the cache, under the bundle's sha256, by the
//! bundle's own safe unpacker.
//!
//! Owns finding and opening sources. It must not read distributions: that
//! is [`super::model`]'s.

use std::path::{Path, PathBuf};

use super::error::ServeError;
use crate::bundle::verify::VerifyReport;
use crate::digest::Sha256;
use crate::manifest::Manifest;
use crate::sign::PublicKey;

/// A source as the caller names it: `PATH`, or `NAME=PATH` to choose the
/// index's name (by default the folder's name, or the bundle's without
/// `.tar.gz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub path: PathBuf,
    pub name: Option<String>,
}

impl SourceSpec {
    /// Reads `NAME=PATH` or `PATH`; a `=` after a `/` belongs to the path.
    pub fn parse(text: &str) -> Self {
        match text.split_once('=') {
            Some((name, path)) if !name.is_empty() && !name.contains('/') => Self {
                path: PathBuf::from(path),
                name: Some(name.to_string()),
            },
            _ => Self {
                path: PathBuf::from(text),
                name: None,
            },
        }
    }
}

/// How a bundle is trusted: checked against the key that signed it, or
/// served unchecked because the caller said so.
#[derive(Clone, Copy)]
pub enum BundleTrust<'a> {
    Key(&'a PublicKey),
    /// No signature, checksum or provenance is checked; only the unpacking
    /// is safe.
    Unverified,
}

/// What kind of source an index comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A folder with a chiron `manifest.json`.
    Wheelhouse,
    /// A folder of distributions and nothing else known.
    Folder,
    /// An air-gap bundle: its sha256, and whether its signature was
    /// checked with a key.
    Bundle { sha256: Sha256, verified: bool },
}

/// A source ready to read: where its distributions are and what its
/// manifest says about them.
#[derive(Debug, Clone)]
pub struct OpenedSource {
    /// The index's name (`/NAME/simple/`).
    pub name: String,
    pub kind: SourceKind,
    /// The path the caller gave.
    pub origin: PathBuf,
    /// The folder holding the distributions (`wheels/` of an unpacked
    /// bundle).
    pub dist_dir: PathBuf,
    pub manifest: Option<Manifest>,
}

/// Opens each source, refusing two with the same name.
pub fn open_sources(
    specs: &[SourceSpec],
    trust: Option<BundleTrust>,
    cache_dir: &Path,
) -> Result<Vec<OpenedSource>, ServeError> {
    let mut opened: Vec<OpenedSource> = Vec::new();
    for spec in specs {
        let source = open_source(spec, trust, cache_dir)?;
        if let Some(first) = opened.iter().find(|s| s.name == source.name) {
            return Err(ServeError::DuplicateName {
                name: source.name,
                first: first.origin.clone(),
                second: source.origin,
            });
        }
        opened.push(source);
    }
    Ok(opened)
}

/// Opens one source. A bundle needs `trust` (its key, or an explicit
/// [`BundleTrust::Unverified`]); it is unpacked into
/// `CACHE/serve/bundles/SHA256/` the first time and verified every time.
pub fn open_source(
    spec: &SourceSpec,
    trust: Option<BundleTrust>,
    cache_dir: &Path,
) -> Result<OpenedSource, ServeError> {
    let path = &spec.path;
    let meta = std::fs::metadata(path).map_err(|_| ServeError::Missing { path: path.clone() })?;
    let name = match &spec.name {
        Some(name) => name.clone(),
        None => default_name(path),
    };
    check_name(&name)?;
    if meta.is_dir() {
        let manifest = read_manifest(path)?;
        let kind = match manifest {
            Some(_) => SourceKind::Wheelhouse,
            None => SourceKind::Folder,
        };
        return Ok(OpenedSource {
            name,
            kind,
            origin: path.clone(),
            dist_dir: path.clone(),
            manifest,
        });
    }
    if !is_bundle_name(path) {
        return Err(ServeError::NotASource { path: path.clone() });
    }
    let Some(trust) = trust else {
        return Err(ServeError::NoTrust { path: path.clone() });
    };
    open_bundle(path, name, trust, cache_dir)
}

fn open_bundle(
    path: &Path,
    name: String,
    trust: BundleTrust,
    cache_dir: &Path,
) -> Result<OpenedSource, ServeError> {
    let (sha256, _) = crate::digest::digest_file(path).map_err(ServeError::io(path))?;
    let dir = bundle_cache_dir(cache_dir, &sha256);
    if !dir.is_dir() {
        crate::bundle::archive::unpack(path, &dir, None)?;
    }
    let verified = match trust {
        BundleTrust::Key(key) => {
            let report = crate::bundle::verify::verify_dir(&dir, true, Some(key));
            check_report(path, &report)?;
            true
        }
        BundleTrust::Unverified => false,
    };
    Ok(OpenedSource {
        name,
        kind: SourceKind::Bundle { sha256, verified },
        origin: path.to_path_buf(),
        dist_dir: dir.join("wheels"),
        manifest: read_manifest(&dir)?,
    })
}

/// Where a bundle is unpacked: one folder per bundle content.
pub fn bundle_cache_dir(cache_dir: &Path, sha256: &Sha256) -> PathBuf {
    cache_dir
        .join("serve")
        .join("bundles")
        .join(sha256.to_string())
}

fn check_report(path: &Path, report: &VerifyReport) -> Result<(), ServeError> {
    if report.passed() && report.signature_checked {
        return Ok(());
    }
    let mut problems: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    if problems.is_empty() {
        problems.push("its signature was not checked".into());
    }
    Err(ServeError::Unverified {
        path: path.to_path_buf(),
        problems: problems.join("; "),
    })
}

/// The folder's `manifest.json`, when it has one.
fn read_manifest(dir: &Path) -> Result<Option<Manifest>, ServeError> {
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(ServeError::io(&path)(error)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ServeError::Manifest {
            path,
            message: e.to_string(),
        })
}

fn is_bundle_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// The folder's name, or the bundle's without `.tar.gz` / `.tgz`.
fn default_name(path: &Path) -> String {
    // Canonical first: `.` and `wh/..` name the folder they are.
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [".tar.gz", ".tgz"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    name
}

/// An index name is one URL path segment anyone can type.
fn check_name(name: &str) -> Result<(), ServeError> {
    let fine = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if fine {
        Ok(())
    } else {
        Err(ServeError::BadName {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_may_prefix_the_path() {
        for (text, path, name) in [
            ("wh", "wh", None),
            ("prod=wh", "wh", Some("prod")),
            ("./a=b/wh", "./a=b/wh", None),
            ("=wh", "=wh", None),
        ] {
            let spec = SourceSpec::parse(text);
            assert_eq!(spec.path, PathBuf::from(path), "{text}");
            assert_eq!(spec.name.as_deref(), name, "{text}");
        }
    }

    #[test]
    fn names_are_one_plain_path_segment() {
        for (name, fine) in [
            ("wheelhouse", true),
            ("bundle-1.2_x", true),
            ("", false),
            ("..", false),
            ("a/b", false),
            ("a b", false),
            ("é", false),
        ] {
            assert_eq!(check_name(name).is_ok(), fine, "{name}");
        }
    }

    #[test]
    fn bundle_names_lose_their_extension() {
        assert_eq!(default_name(Path::new("/x/offline-1.tar.gz")), "offline-1");
        assert_eq!(default_name(Path::new("/x/b.tgz")), "b");
    }

    #[test]
    fn a_bundle_without_trust_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("b.tar.gz");
        std::fs::write(&bundle, b"not read").unwrap();
        let error = open_source(
            &SourceSpec::parse(bundle.to_str().unwrap()),
            None,
            dir.path(),
        )
        .unwrap_err();
        assert!(matches!(error, ServeError::NoTrust { .. }), "{error}");
    }

    #[test]
    fn two_sources_of_one_name_need_names() {
        let dir = tempfile::tempdir().unwrap();
        for side in ["a", "b"] {
            std::fs::create_dir_all(dir.path().join(side).join("wh")).unwrap();
        }
        let path = |side: &str| dir.path().join(side).join("wh").display().to_string();
        let cache = dir.path().join("cache");
        let specs = [SourceSpec::parse(&path("a")), SourceSpec::parse(&path("b"))];
        let error = open_sources(&specs, None, &cache).unwrap_err();
        assert!(
            matches!(error, ServeError::DuplicateName { ref name, .. } if name == "wh"),
            "{error}"
        );
        let specs = [
            SourceSpec::parse(&path("a")),
            SourceSpec::parse(&format!("other={}", path("b"))),
        ];
        let names: Vec<String> = open_sources(&specs, None, &cache)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["wh", "other"]);
    }
}
