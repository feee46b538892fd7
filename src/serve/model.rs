//! The index a source serves: its projects (by PEP 503 normalised name),
//! each with its files and what the simple API says of each file (sha256,
//! size, upload time, Requires-Python from the file's own metadata, its
//! PEP 658 metadata file, PEP 592 yank, PEP 740 provenance).
//!
//! Owns reading distributions into the model, through the bounded archive
//! readers `crate::publish::dist` uses. A file that cannot be read, or
//! whose metadata contradicts its name, is skipped and named
//! ([`Skipped`]); it never stops the others. It must not render pages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;

use super::error::ServeError;
use super::source::OpenedSource;
use crate::build::archive::Limits;
use crate::digest::Sha256;
use crate::python::NormalizedName;
use crate::python::filename::DistFilename;

/// What reading an index needs besides the source.
#[derive(Debug, Clone, Copy)]
pub struct IndexOptions<'a> {
    /// Where wheels' METADATA are extracted (`CACHE/serve/metadata/`).
    pub cache_dir: &'a Path,
    /// `SOURCE_DATE_EPOCH`: every file's upload time when set; else each
    /// file's modification time.
    pub epoch: Option<i64>,
    /// `[serve] yanked`: a file name, or `NAME==VERSION` for every file
    /// of a release, to the reason it is yanked (may be empty).
    pub yanked: &'a BTreeMap<String, String>,
}

/// One named index: its projects by normalised name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub projects: BTreeMap<NormalizedName, Project>,
}

/// One project and its files, sorted by file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub name: NormalizedName,
    pub files: Vec<File>,
}

impl Project {
    /// Its versions (PEP 700), lowest first, each once.
    pub fn versions(&self) -> Vec<String> {
        let versions: BTreeSet<&Version> = self.files.iter().map(|f| &f.version).collect();
        versions.into_iter().map(ToString::to_string).collect()
    }

    /// The file called `filename`, if the project has it.
    pub fn file(&self, filename: &str) -> Option<&File> {
        self.files.iter().find(|f| f.filename == filename)
    }

    /// What a name beside the project's page serves: a distribution, its
    /// `.metadata` or its `.provenance`; none for anything else.
    pub fn asset(&self, name: &str) -> Option<Asset<'_>> {
        if let Some(file) = self.file(name) {
            return Some(Asset::Distribution(file));
        }
        if let Some(file) = name.strip_suffix(".metadata").and_then(|n| self.file(n)) {
            return file.core_metadata.as_ref().map(Asset::Metadata);
        }
        let file = name
            .strip_suffix(".provenance")
            .and_then(|n| self.file(n))?;
        file.provenance.as_deref().map(Asset::Provenance)
    }
}

/// A file served beside a project's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset<'a> {
    Distribution(&'a File),
    /// PEP 658: the wheel's METADATA.
    Metadata(&'a CoreMetadataFile),
    /// PEP 740: the provenance object, as the source holds it.
    Provenance(&'a Path),
}

impl Asset<'_> {
    /// Where its bytes are.
    pub fn path(&self) -> &Path {
        match self {
            Asset::Distribution(file) => &file.path,
            Asset::Metadata(metadata) => &metadata.path,
            Asset::Provenance(path) => path,
        }
    }

    /// Its `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        match self {
            Asset::Distribution(_) | Asset::Metadata(_) => "application/octet-stream",
            Asset::Provenance(_) => "application/vnd.pypi.integrity.v1+json",
        }
    }
}

/// One distribution as the simple API describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub filename: String,
    /// The distribution on disk.
    pub path: PathBuf,
    pub version: Version,
    pub sha256: Sha256,
    pub size: u64,
    /// RFC 3339 UTC (PEP 700).
    pub upload_time: String,
    /// `Requires-Python` as the file's metadata writes it.
    pub requires_python: Option<String>,
    /// A wheel's METADATA, extracted (PEP 658/714); none for sdists.
    pub core_metadata: Option<CoreMetadataFile>,
    /// Yanked (PEP 592), with its reason (possibly empty).
    pub yanked: Option<String>,
    /// `FILENAME.provenance` beside it (PEP 740), served as it is.
    pub provenance: Option<PathBuf>,
}

/// A wheel's METADATA, extracted once into the cache as
/// `FILENAME.metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreMetadataFile {
    pub path: PathBuf,
    pub sha256: Sha256,
}

/// A file left out of the index, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// The metadata read from inside one distribution, checked against its
/// name.
#[derive(Debug, Clone)]
pub struct Inside {
    pub version: Version,
    pub project: PackageName,
    pub requires_python: Option<String>,
    /// The METADATA (wheel) or PKG-INFO (sdist) text.
    pub metadata: String,
    pub is_wheel: bool,
}

/// Reads every distribution at the top of the source's folder into an
/// index; the files it cannot serve are returned beside it, each named
/// with why (and logged as warnings).
pub fn read_index(
    source: &OpenedSource,
    options: &IndexOptions,
) -> Result<(Index, Vec<Skipped>), ServeError> {
    let mut projects: BTreeMap<NormalizedName, Project> = BTreeMap::new();
    let mut skipped = Vec::new();
    for path in distributions(&source.dist_dir)? {
        match read_file(source, &path, options) {
            Ok((project, file)) => {
                let name = NormalizedName::new(project.as_ref());
                projects
                    .entry(name.clone())
                    .or_insert_with(|| Project {
                        name,
                        files: Vec::new(),
                    })
                    .files
                    .push(file);
            }
            Err(reason) => {
                tracing::warn!(file = %path.display(), %reason, "skipped: not served");
                skipped.push(Skipped { path, reason });
            }
        }
    }
    Ok((
        Index {
            name: source.name.clone(),
            projects,
        },
        skipped,
    ))
}

/// Reads the distribution at `path` (in the source's folder) into
/// `index`, replacing a file of the same name; returns its project.
pub fn add_distribution(
    index: &mut Index,
    source: &OpenedSource,
    path: &Path,
    options: &IndexOptions,
) -> Result<NormalizedName, String> {
    let (project, file) = read_file(source, path, options)?;
    let name = NormalizedName::new(project.as_ref());
    let project = index
        .projects
        .entry(name.clone())
        .or_insert_with(|| Project {
            name: name.clone(),
            files: Vec::new(),
        });
    project.files.retain(|f| f.filename != file.filename);
    project.files.push(file);
    project.files.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(name)
}

/// The wheels and `.tar.gz` sdists at the top of `dir`, sorted.
fn distributions(dir: &Path) -> Result<Vec<PathBuf>, ServeError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(ServeError::io(dir))? {
        let entry = entry.map_err(ServeError::io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dist = name.ends_with(".whl") || name.ends_with(".tar.gz");
        if is_dist && !name.starts_with(crate::atomic::TEMP_PREFIX) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// One distribution, or why it is not served.
fn read_file(
    source: &OpenedSource,
    path: &Path,
    options: &IndexOptions,
) -> Result<(PackageName, File), String> {
    let filename = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("its name is not UTF-8")?
        .to_string();
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let inside = read_inside(path, &filename)?;
    let (sha256, size) = digest(source, path, &filename, meta.len())?;
    let core_metadata = match inside.is_wheel.then_some(&inside.metadata) {
        Some(text) => Some(extract_metadata(
            options.cache_dir,
            &filename,
            &sha256,
            text,
        )?),
        None => None,
    };
    let provenance = path.with_file_name(format!("{filename}.provenance"));
    let file = File {
        yanked: yank(source, options.yanked, &filename, &inside),
        upload_time: upload_time(options.epoch, &meta),
        path: path.to_path_buf(),
        version: inside.version,
        sha256,
        size,
        requires_python: inside.requires_python,
        core_metadata,
        provenance: provenance.is_file().then_some(provenance),
        filename,
    };
    Ok((inside.project, file))
}

/// The metadata of the distribution at `path`, named `filename`, checked
/// against that name; or why it cannot be served.
pub fn read_inside(path: &Path, filename: &str) -> Result<Inside, String> {
    let limits = Limits::default();
    let is_wheel = filename.ends_with(".whl");
    let text = if is_wheel {
        crate::publish::dist::wheel_metadata(path, &limits)
    } else {
        crate::publish::dist::sdist_metadata(path, &limits)
    }
    .map_err(|e| e.to_string())?;
    let fields = crate::publish::metadata::parse(&text)
        .map_err(|e| format!("{}: {e}", if is_wheel { "METADATA" } else { "PKG-INFO" }))?;
    let meta_name = fields.get("name").unwrap_or_default();
    let project = PackageName::from_str(meta_name)
        .map_err(|e| format!("bad Name `{meta_name}` in its metadata: {e}"))?;
    let meta_version = fields.get("version").unwrap_or_default();
    let version = Version::from_str(meta_version)
        .map_err(|e| format!("bad Version `{meta_version}` in its metadata: {e}"))?;
    let named = DistFilename::parse(filename, Some(&project))
        .ok_or_else(|| format!("its name is not a release of {project}, its metadata's Name"))?;
    if named.name() != &project || named.version() != &version {
        return Err(format!(
            "the file name says {} {}, its metadata says {project} {version}",
            named.name(),
            named.version()
        ));
    }
    let requires_python = requires_python(fields.get("requires_python"))?;
    Ok(Inside {
        version,
        project,
        requires_python,
        metadata: text,
        is_wheel,
    })
}

/// `Requires-Python` as written, refused when no installer could read it.
fn requires_python(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    VersionSpecifiers::from_str(value)
        .map_err(|e| format!("bad Requires-Python `{value}`: {e}"))?;
    Ok(Some(value.to_string()))
}

/// The sha256 and size the wheelhouse manifest records (when its size
/// still matches the file), else computed from the bytes.
fn digest(
    source: &OpenedSource,
    path: &Path,
    filename: &str,
    len: u64,
) -> Result<(Sha256, u64), String> {
    let recorded = source
        .manifest
        .as_ref()
        .and_then(|m| m.files.iter().find(|f| f.filename == filename));
    if let Some(entry) = recorded
        && let Some(sha256) = entry.sha256
    {
        if entry.size != len {
            return Err(format!(
                "manifest.json says {} bytes, the file has {len}: it changed after the wheelhouse was built",
                entry.size
            ));
        }
        return Ok((sha256, len));
    }
    crate::digest::digest_file(path).map_err(|e| e.to_string())
}

/// Writes the wheel's METADATA once as `CACHE/serve/metadata/SHA256/
/// FILENAME.metadata` (keyed by the wheel's sha256, so a changed wheel
/// never meets an old extract).
fn extract_metadata(
    cache_dir: &Path,
    filename: &str,
    wheel_sha256: &Sha256,
    text: &str,
) -> Result<CoreMetadataFile, String> {
    let path = cache_dir
        .join("serve")
        .join("metadata")
        .join(wheel_sha256.to_string())
        .join(format!("{filename}.metadata"));
    let sha256 = Sha256::of(text.as_bytes());
    let fresh = crate::digest::digest_file(&path).is_ok_and(|(have, _)| have == sha256);
    if !fresh {
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            crate::atomic::write_file(&path, text.as_bytes(), crate::atomic::Overwrite::Replace)
        };
        write().map_err(|e| format!("cannot extract its METADATA to {}: {e}", path.display()))?;
    }
    Ok(CoreMetadataFile { path, sha256 })
}

/// The keys of `[serve] yanked` that name no file of `indexes`: a file
/// name none has, or a `NAME==VERSION` no release matches. A typo there
/// would leave a release installable that was meant to be yanked.
pub fn unmatched_yanks<'a>(
    configured: &'a BTreeMap<String, String>,
    indexes: &[Index],
) -> Vec<&'a str> {
    let files = || {
        indexes
            .iter()
            .flat_map(|index| index.projects.values())
            .flat_map(|project| project.files.iter().map(move |file| (project, file)))
    };
    configured
        .keys()
        .filter(|key| {
            let release = key.split_once("==").and_then(|(name, version)| {
                let name = PackageName::from_str(name.trim()).ok()?;
                let version = Version::from_str(version.trim()).ok()?;
                Some((NormalizedName::new(name.as_ref()), version))
            });
            !files().any(|(project, file)| {
                file.filename == **key
                    || release.as_ref().is_some_and(|(name, version)| {
                        project.name == *name && file.version == *version
                    })
            })
        })
        .map(String::as_str)
        .collect()
}

/// The yank reason: `[serve] yanked` by file name, then by
/// `NAME==VERSION`, then the manifest's record (no reason).
fn yank(
    source: &OpenedSource,
    configured: &BTreeMap<String, String>,
    filename: &str,
    inside: &Inside,
) -> Option<String> {
    if let Some(reason) = configured.get(filename) {
        return Some(reason.clone());
    }
    let release = configured.iter().find(|(key, _)| {
        key.split_once("==").is_some_and(|(name, version)| {
            PackageName::from_str(name.trim()).ok().as_ref() == Some(&inside.project)
                && Version::from_str(version.trim()).ok().as_ref() == Some(&inside.version)
        })
    });
    if let Some((_, reason)) = release {
        return Some(reason.clone());
    }
    let manifest = source.manifest.as_ref()?;
    manifest
        .files
        .iter()
        .any(|f| f.filename == filename && f.yanked)
        .then(String::new)
}

/// `SOURCE_DATE_EPOCH` when given, else the file's modification time.
fn upload_time(epoch: Option<i64>, meta: &std::fs::Metadata) -> String {
    let seconds = epoch.unwrap_or_else(|| {
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .unwrap_or(0)
    });
    crate::time::rfc3339(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python_is_kept_as_written_or_refused() {
        assert_eq!(requires_python(None), Ok(None));
        assert_eq!(requires_python(Some("  ")), Ok(None));
        assert_eq!(
            requires_python(Some(">=3.8, <4")),
            Ok(Some(">=3.8, <4".into()))
        );
        assert!(
            requires_python(Some(">=three"))
                .unwrap_err()
                .contains(">=three")
        );
    }

    fn file(filename: &str, version: &str) -> File {
        File {
            filename: filename.into(),
            path: PathBuf::from(filename),
            version: Version::from_str(version).unwrap(),
            sha256: Sha256::of(filename.as_bytes()),
            size: 1,
            upload_time: crate::time::rfc3339(0),
            requires_python: None,
            core_metadata: None,
            yanked: None,
            provenance: None,
        }
    }

    #[test]
    fn versions_are_sorted_by_pep_440_and_unique() {
        let project = Project {
            name: NormalizedName::new("demo"),
            files: vec![
                file("demo-1.10.tar.gz", "1.10"),
                file("demo-1.10-py3-none-any.whl", "1.10"),
                file("demo-1.9.tar.gz", "1.9"),
                file("demo-1.0rc1.tar.gz", "1.0rc1"),
            ],
        };
        assert_eq!(project.versions(), ["1.0rc1", "1.9", "1.10"]);
    }

    #[test]
    fn assets_are_the_files_their_metadata_and_provenance() {
        let mut wheel = file("demo-1.0-py3-none-any.whl", "1.0");
        wheel.core_metadata = Some(CoreMetadataFile {
            path: PathBuf::from("cache/demo-1.0-py3-none-any.whl.metadata"),
            sha256: Sha256::of(b"m"),
        });
        wheel.provenance = Some(PathBuf::from("demo-1.0-py3-none-any.whl.provenance"));
        let project = Project {
            name: NormalizedName::new("demo"),
            files: vec![wheel, file("demo-1.0.tar.gz", "1.0")],
        };
        for (name, path, content_type) in [
            (
                "demo-1.0-py3-none-any.whl",
                Some("demo-1.0-py3-none-any.whl"),
                "application/octet-stream",
            ),
            (
                "demo-1.0-py3-none-any.whl.metadata",
                Some("cache/demo-1.0-py3-none-any.whl.metadata"),
                "application/octet-stream",
            ),
            (
                "demo-1.0-py3-none-any.whl.provenance",
                Some("demo-1.0-py3-none-any.whl.provenance"),
                "application/vnd.pypi.integrity.v1+json",
            ),
            (
                "demo-1.0.tar.gz",
                Some("demo-1.0.tar.gz"),
                "application/octet-stream",
            ),
            ("demo-1.0.tar.gz.metadata", None, ""),
            ("demo-1.0.tar.gz.provenance", None, ""),
            ("index.html", None, ""),
            ("../demo-1.0.tar.gz", None, ""),
        ] {
            let asset = project.asset(name);
            assert_eq!(
                asset.map(|a| a.path().to_path_buf()),
                path.map(PathBuf::from),
                "{name}"
            );
            if let Some(asset) = asset {
                assert_eq!(asset.content_type(), content_type, "{name}");
            }
        }
    }
}
