//! The source a build reads: where it came from (git), the time it is
//! stamped with, a copy of it for a second build, and a built sdist
//! unpacked to build the wheel from.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `SOURCE_DATE_EPOCH` when nothing gives one: 1980-01-01T00:00:00Z, the
/// earliest time a zip entry can hold.
pub const DEFAULT_EPOCH: u64 = 315_532_800;

/// Where a build's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EpochSource {
    Environment,
    LastCommit,
    Default,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read the built sdist {}: {message}", sdist.display())]
    Sdist { sdist: PathBuf, message: String },
    #[error("cannot copy the project to {}", dest.display())]
    Copy {
        dest: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Diagnose for SourceError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            SourceError::Sdist { .. } => {
                "the backend wrote an sdist chiron cannot unpack safely; build with --sdist and --wheel separately to see".into()
            }
            SourceError::Copy { .. } => "check the free space of the temporary folder".into(),
        })
    }
}

/// The build's time: `SOURCE_DATE_EPOCH` (checked by the caller), else the
/// last commit's, else [`DEFAULT_EPOCH`].
pub fn epoch(from_env: Option<i64>, dir: &Path) -> (u64, EpochSource) {
    if let Some(epoch) = from_env.and_then(|e| u64::try_from(e).ok()) {
        return (epoch, EpochSource::Environment);
    }
    let committed = git(dir, &["log", "-1", "--format=%ct"]).and_then(|t| t.parse::<u64>().ok());
    match committed {
        Some(epoch) => (epoch, EpochSource::LastCommit),
        None => (DEFAULT_EPOCH, EpochSource::Default),
    }
}

/// The commit, the `origin` URL (credentials removed) and whether the
/// checkout has changes or files git does not ignore but does not track,
/// when `dir` is in a git checkout.
pub fn git_state(dir: &Path) -> (Option<String>, Option<String>, bool) {
    let commit = git(dir, &["rev-parse", "HEAD"]);
    if commit.is_none() {
        return (None, None, false);
    }
    let origin = git(dir, &["remote", "get-url", "origin"]).map(|u| crate::index::redact_url(&u));
    // Untracked files count: a backend packs what git does not ignore.
    let dirty = git(dir, &["status", "--porcelain", "."]).is_some_and(|status| !status.is_empty());
    (commit, origin, dirty)
}

/// `git -C dir ARGS`' trimmed output, when git runs and succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Folders a copy of the project leaves out: version control, build
/// outputs, environments and caches, none of which a build should read.
const NOT_SOURCE: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".chiron",
    "dist",
    "build",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
];

/// Copies the project's source to `dest`: the files git tracks or would
/// track (ignored ones left out) in a checkout, else every file outside
/// [`NOT_SOURCE`] folders and `*.egg-info`.
pub fn copy_project(dir: &Path, dest: &Path) -> Result<(), SourceError> {
    let copy_error = |source| SourceError::Copy {
        dest: dest.to_path_buf(),
        source,
    };
    let files = match git(
        dir,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            ".",
        ],
    ) {
        Some(listed) => listed
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .filter(|f| dir.join(f).is_file())
            .collect(),
        None => walk(dir, Path::new("")).map_err(copy_error)?,
    };
    for file in files {
        let to = dest.join(&file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(copy_error)?;
        }
        std::fs::copy(dir.join(&file), &to).map_err(copy_error)?;
    }
    Ok(())
}

/// The files under `dir/relative`, outside [`NOT_SOURCE`], sorted.
fn walk(dir: &Path, relative: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(relative))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    let mut files = Vec::new();
    for entry in entries {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let path = relative.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !NOT_SOURCE.contains(&text.as_ref()) && !text.ends_with(".egg-info") {
                files.extend(walk(dir, &path)?);
            }
        } else if kind.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

/// The most a built sdist may expand to.
const MAX_SDIST_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Unpacks a built sdist into `dest` and returns its top folder (where its
/// `pyproject.toml` is). Only files and folders with safe relative names
/// are accepted.
pub fn unpack_sdist(sdist: &Path, dest: &Path) -> Result<PathBuf, SourceError> {
    let fail = |message: String| SourceError::Sdist {
        sdist: sdist.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(sdist).map_err(|e| fail(e.to_string()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut total: u64 = 0;
    let mut tops = std::collections::BTreeSet::new();
    for entry in archive.entries().map_err(|e| fail(e.to_string()))? {
        let mut entry = entry.map_err(|e| fail(e.to_string()))?;
        let name = entry.path().map_err(|e| fail(e.to_string()))?.into_owned();
        let relative = crate::bundle::archive::safe_relative(&name)
            .ok_or_else(|| fail(format!("unsafe path {}", name.display())))?;
        if let Some(top) = relative.components().next() {
            tops.insert(PathBuf::from(top.as_os_str()));
        }
        let to = dest.join(&relative);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&to).map_err(|e| fail(e.to_string()))?
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                total = total.saturating_add(entry.size());
                if total > MAX_SDIST_BYTES {
                    return Err(fail(format!(
                        "expands to more than {MAX_SDIST_BYTES} bytes"
                    )));
                }
                write_entry(&mut entry, &to)
                    .map_err(|e| fail(format!("{}: {e}", name.display())))?;
            }
            other => {
                return Err(fail(format!("{} is a {other:?} entry", name.display())));
            }
        }
    }
    let top = match tops.len() {
        1 => dest.join(tops.pop_first().unwrap_or_default()),
        _ => return Err(fail("has no single top folder".into())),
    };
    if !top.join("pyproject.toml").is_file() && !top.join("setup.py").is_file() {
        return Err(fail(
            "has neither pyproject.toml nor setup.py in its top folder".into(),
        ));
    }
    Ok(top)
}

/// Extracts the wheel's top-level `NAME-VERSION.dist-info/` into `dest`
/// and returns it (PEP 517's fallback for a backend without
/// `prepare_metadata_for_build_wheel`).
pub fn extract_dist_info(wheel: &Path, dest: &Path) -> Result<PathBuf, SourceError> {
    let fail = |message: String| SourceError::Sdist {
        sdist: wheel.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(wheel).map_err(|e| fail(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| fail(e.to_string()))?;
    let mut folder = None;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| fail(e.to_string()))?;
        let Some(name) = entry.enclosed_name() else {
            return Err(fail(format!(
                "unsafe path {}",
                String::from_utf8_lossy(entry.name_raw())
            )));
        };
        let Some(top) = name
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
        else {
            continue;
        };
        if !top.ends_with(".dist-info") || entry.is_dir() {
            continue;
        }
        folder = Some(dest.join(&top));
        write_entry(&mut entry, &dest.join(&name))
            .map_err(|e| fail(format!("{}: {e}", name.display())))?;
    }
    folder.ok_or_else(|| fail("has no .dist-info folder".into()))
}

/// Puts the folder `from` at `to` (replacing what is there), by a copy
/// into a temporary folder beside `to` and a rename.
pub fn replace_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    let parent = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let staging = crate::atomic::shared_temp_dir(parent, ".chiron-tmp-metadata.")?;
    for file in walk(from, Path::new(""))? {
        let target = staging.path().join(&file);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(from.join(&file), target)?;
    }
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    std::fs::rename(staging.keep(), to)
}

fn write_entry(entry: &mut impl Read, to: &Path) -> std::io::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut out = std::fs::File::create(to)?;
    std::io::copy(entry, &mut out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdist(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let gz = flate2::write::GzEncoder::new(file.reopen().unwrap(), Default::default());
        let mut tar = tar::Builder::new(gz);
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Raw names: set_path would refuse the hostile ones.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            tar.append(&header, *data).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
        file
    }

    #[test]
    fn an_sdist_unpacks_to_its_top_folder() {
        let archive = sdist(&[
            ("demo-1.0/pyproject.toml", b"[project]\n"),
            ("demo-1.0/src/demo/__init__.py", b""),
        ]);
        let dest = tempfile::tempdir().unwrap();
        let top = unpack_sdist(archive.path(), dest.path()).unwrap();
        assert_eq!(top, dest.path().join("demo-1.0"));
        assert!(top.join("src/demo/__init__.py").is_file());
    }

    #[test]
    fn hostile_or_odd_sdists_are_refused() {
        let cases: [&[(&str, &[u8])]; 3] = [
            &[("../evil", b"x")],
            &[("a-1/pyproject.toml", b""), ("b-1/pyproject.toml", b"")],
            &[("a-1/README", b"")],
        ];
        for entries in cases {
            let archive = sdist(entries);
            let dest = tempfile::tempdir().unwrap();
            let error = unpack_sdist(archive.path(), dest.path()).unwrap_err();
            assert!(matches!(error, SourceError::Sdist { .. }), "{error}");
        }
    }

    #[test]
    fn the_epoch_comes_from_the_environment_first() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            epoch(Some(1_700_000_000), dir.path()),
            (1_700_000_000, EpochSource::Environment)
        );
        assert_eq!(
            epoch(None, dir.path()),
            (DEFAULT_EPOCH, EpochSource::Default)
        );
    }

    #[test]
    fn a_copy_leaves_build_outputs_and_environments_out() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "pyproject.toml",
            "src/a.py",
            "dist/old.whl",
            ".venv/bin/python",
            "x.egg-info/PKG-INFO",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let dest = tempfile::tempdir().unwrap();
        copy_project(dir.path(), dest.path()).unwrap();
        assert!(dest.path().join("src/a.py").is_file());
        assert!(dest.path().join("pyproject.toml").is_file());
        assert!(!dest.path().join("dist").exists());
        assert!(!dest.path().join(".venv").exists());
        assert!(!dest.path().join("x.egg-info").exists());
    }
}
