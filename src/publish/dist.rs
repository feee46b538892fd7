//! A distribution to publish, read once: its kind from its name, its core
//! metadata from inside it (a wheel's `*.dist-info/METADATA`, an sdist's
//! `NAME-VERSION/PKG-INFO`, through the bounded archive readers), checked
//! against its name, and its SHA-256.
//!
//! Owns what a file to upload is. It must not reach the network.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use serde::Serialize;

use super::error::PublishError;
use super::metadata::{UploadMetadata, parse};
use crate::build::archive::{Limits, Part, ReadError, pump, tar, zip};
use crate::python::filename::{SdistFilename, WheelFilename};

/// The largest METADATA or PKG-INFO read (real ones are a few KiB; a long
/// description a few hundred).
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// What a distribution is, as the upload form's `filetype` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistKind {
    /// Sorted first: an sdist is uploaded before the wheels built from it.
    Sdist,
    Wheel,
}

impl DistKind {
    /// The form's `filetype`.
    pub fn filetype(self) -> &'static str {
        match self {
            DistKind::Sdist => "sdist",
            DistKind::Wheel => "bdist_wheel",
        }
    }
}

/// A wheel or an sdist, read and checked.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub path: PathBuf,
    /// The file name, as uploaded.
    pub filename: String,
    pub kind: DistKind,
    pub name: PackageName,
    pub version: Version,
    /// The form's `pyversion`: a wheel's python tag (`py3`, `cp312`), or
    /// `source`.
    pub pyversion: String,
    pub metadata: UploadMetadata,
    pub sha256: String,
    pub size: u64,
}

impl Distribution {
    /// Reads the file at `path`: refused when it is not a wheel or a
    /// `.tar.gz` sdist, when its metadata cannot be read, or when its name
    /// and version disagree with its metadata.
    pub fn read(path: &Path) -> Result<Self, PublishError> {
        let filename = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::read_as(path, filename)
    }

    /// Reads the file at `path` as if it were named `filename` (an upload
    /// still in its temporary file).
    pub fn read_as(path: &Path, filename: String) -> Result<Self, PublishError> {
        let limits = Limits::default();
        let (kind, text) = if filename.ends_with(".whl") {
            (DistKind::Wheel, wheel_metadata(path, &limits)?)
        } else if filename.ends_with(".tar.gz") {
            (DistKind::Sdist, sdist_metadata(path, &limits)?)
        } else {
            return Err(PublishError::NotADistribution {
                path: path.to_path_buf(),
            });
        };
        let metadata = parse(&text).map_err(|message| PublishError::Metadata {
            path: path.to_path_buf(),
            message: format!("{}: {message}", metadata_file(kind)),
        })?;
        let (name, version, pyversion) = named(path, &filename, kind, &metadata)?;
        let (sha256, size) = crate::digest::hash_file(path).map_err(|source| PublishError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            filename,
            kind,
            name,
            version,
            pyversion,
            metadata,
            sha256,
            size,
        })
    }
}

fn metadata_file(kind: DistKind) -> &'static str {
    match kind {
        DistKind::Wheel => "METADATA",
        DistKind::Sdist => "PKG-INFO",
    }
}

/// The name, version and `pyversion` the file name says, checked against
/// the metadata's `Name` and `Version`.
fn named(
    path: &Path,
    filename: &str,
    kind: DistKind,
    metadata: &UploadMetadata,
) -> Result<(PackageName, Version, String), PublishError> {
    let meta_name = metadata.get("name").unwrap_or_default();
    let meta_version = metadata.get("version").unwrap_or_default();
    let bad = |message: String| PublishError::BadFilename {
        path: path.to_path_buf(),
        message,
    };
    let mismatch = |file_name: String, file_version: String| PublishError::NameMismatch {
        path: path.to_path_buf(),
        file_name,
        file_version,
        meta_name: meta_name.to_string(),
        meta_version: meta_version.to_string(),
    };
    let project = PackageName::from_str(meta_name).map_err(|e| PublishError::Metadata {
        path: path.to_path_buf(),
        message: format!("bad Name `{meta_name}`: {e}"),
    })?;
    let declared = Version::from_str(meta_version).map_err(|e| PublishError::Metadata {
        path: path.to_path_buf(),
        message: format!("bad Version `{meta_version}`: {e}"),
    })?;
    let (name, version, pyversion) = match kind {
        DistKind::Wheel => {
            let wheel = WheelFilename::from_str(filename).map_err(|e| bad(e.to_string()))?;
            let pyversion = wheel.python_tags.join(".");
            (wheel.name, wheel.version, pyversion)
        }
        DistKind::Sdist => match SdistFilename::parse(filename, Some(&project)) {
            Ok(sdist) => (sdist.name, sdist.version, "source".to_string()),
            Err(_) => {
                let plain = SdistFilename::parse(filename, None).map_err(|e| bad(e.to_string()))?;
                return Err(mismatch(plain.name.to_string(), plain.version.to_string()));
            }
        },
    };
    if name != project || version != declared {
        return Err(mismatch(name.to_string(), version.to_string()));
    }
    Ok((name, version, pyversion))
}

/// The text of a wheel's one `NAME-VERSION.dist-info/METADATA`.
pub fn wheel_metadata(path: &Path, limits: &Limits) -> Result<String, PublishError> {
    let mut reader = zip::ZipReader::open(path, limits)?;
    let names: Vec<String> = reader
        .headers()
        .map(|(_, name, _, _)| name.to_string())
        .filter(|name| is_dist_info_metadata(name))
        .collect();
    let name = one_entry(path, names, ".dist-info/METADATA")?;
    let wanted = BTreeMap::from([(
        name.clone(),
        Part {
            start: 0,
            len: MAX_METADATA_BYTES + 1,
        },
    )]);
    let mut parts = reader.parts(&wanted)?;
    let bytes = parts.remove(&name).unwrap_or_default();
    text(path, &name, bytes)
}

fn is_dist_info_metadata(name: &str) -> bool {
    name.strip_suffix("/METADATA")
        .is_some_and(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
}

/// The text of an sdist's one top-level `PKG-INFO`.
pub fn sdist_metadata(path: &Path, limits: &Limits) -> Result<String, PublishError> {
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    tar::visit(path, limits, &mut |head, data| {
        let top_level = head
            .name
            .strip_suffix("/PKG-INFO")
            .is_some_and(|dir| !dir.is_empty() && !dir.contains('/'));
        if top_level {
            let mut bytes = Vec::new();
            let mut limited = Read::take(&mut *data, MAX_METADATA_BYTES + 1);
            pump(&mut limited, &mut |chunk| {
                bytes.extend_from_slice(chunk);
                Ok(())
            })
            .map_err(|e| tar::stream_error(path, &head.name, e))?;
            found.push((head.name.clone(), bytes));
        }
        Ok::<(), ReadError>(())
    })?;
    let name = one_entry(
        path,
        found.iter().map(|(name, _)| name.clone()).collect(),
        "NAME-VERSION/PKG-INFO",
    )?;
    let bytes = found
        .into_iter()
        .find(|(entry, _)| *entry == name)
        .map(|(_, bytes)| bytes)
        .unwrap_or_default();
    text(path, &name, bytes)
}

fn one_entry(path: &Path, mut names: Vec<String>, what: &str) -> Result<String, PublishError> {
    match names.len() {
        1 => Ok(names.remove(0)),
        0 => Err(PublishError::Metadata {
            path: path.to_path_buf(),
            message: format!("it holds no {what}"),
        }),
        _ => Err(PublishError::Metadata {
            path: path.to_path_buf(),
            message: format!("it holds more than one {what}: {}", names.join(", ")),
        }),
    }
}

fn text(path: &Path, entry: &str, bytes: Vec<u8>) -> Result<String, PublishError> {
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(PublishError::Metadata {
            path: path.to_path_buf(),
            message: format!("{entry} is larger than {MAX_METADATA_BYTES} bytes"),
        });
    }
    String::from_utf8(bytes).map_err(|_| PublishError::Metadata {
        path: path.to_path_buf(),
        message: format!("{entry} is not UTF-8"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_top_level_dist_info_metadata_counts() {
        for (name, counts) in [
            ("demo-1.0.dist-info/METADATA", true),
            ("demo/vendored-1.0.dist-info/METADATA", false),
            ("demo-1.0.data/METADATA", false),
            ("demo-1.0.dist-info/METADATA.bak", false),
        ] {
            assert_eq!(is_dist_info_metadata(name), counts, "{name}");
        }
    }

    #[test]
    fn sdists_sort_before_wheels() {
        assert!(DistKind::Sdist < DistKind::Wheel);
        assert_eq!(DistKind::Wheel.filetype(), "bdist_wheel");
    }
}
