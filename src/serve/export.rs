//! The index as static files any web server or object store can host:
//! `simple/index.html` and `index.json`, and per project
//! `simple/PROJECT/index.html`, `index.json`, its distributions, their
//! `.metadata` and `.provenance` files, all beside the pages that link
//! them by relative URL.
//!
//! Owns writing the tree: built in a staging folder beside the output,
//! then swapped in whole (`crate::atomic`), under the output's lock. The
//! same index gives the same bytes. It must not decide what the pages say
//! (that is [`super::render`]'s).

use std::path::{Path, PathBuf};

use super::error::ServeError;
use super::model::{Index, Project};
use super::render::{Format, project_list, project_page};
use crate::atomic::{OutputLock, Overwrite};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub output: PathBuf,
    pub projects: usize,
    /// Distributions copied.
    pub files: usize,
    /// Pages, metadata and provenance files, distributions: every file.
    pub written: usize,
}

/// Writes `index` as a static tree at `output`, replacing what is there
/// in one swap. Refused when `output` is, holds or lies inside a folder a
/// distribution comes from (the swap would remove it).
pub fn export_static(index: &Index, asked: &Path) -> Result<ExportReport, ServeError> {
    // `.` or `dir/.` cannot be renamed; the folder they name can.
    let output = &resolved(asked);
    check_output(index, output)?;
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent).map_err(ServeError::io(parent))?;
    }
    let _lock = OutputLock::acquire(output).map_err(ServeError::io(output))?;
    crate::atomic::recover_and_clean(output).map_err(ServeError::io(output))?;
    check_earlier_export(output)?;
    let staging = crate::atomic::staging_dir_for(output).map_err(ServeError::io(output))?;
    let published = write_tree(index, &staging).and_then(|counts| {
        crate::atomic::publish_dir(&staging, output).map_err(ServeError::io(output))?;
        Ok(counts)
    });
    match published {
        Ok((files, written)) => Ok(ExportReport {
            output: asked.to_path_buf(),
            projects: index.projects.len(),
            files,
            written,
        }),
        Err(error) => {
            // Best effort: the next run's clean-up removes what is left.
            let _ = std::fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

/// Every file of the tree under `root`; returns (distributions, files).
fn write_tree(index: &Index, root: &Path) -> Result<(usize, usize), ServeError> {
    let simple = root.join("simple");
    create_dir(&simple)?;
    write(
        &simple.join("index.html"),
        &project_list(index, Format::LegacyHtml),
    )?;
    write(
        &simple.join("index.json"),
        &project_list(index, Format::JsonV1),
    )?;
    let (mut files, mut written) = (0, 2);
    for project in index.projects.values() {
        let (project_files, project_written) = write_project(project, &simple)?;
        files += project_files;
        written += project_written;
    }
    Ok((files, written))
}

fn write_project(project: &Project, simple: &Path) -> Result<(usize, usize), ServeError> {
    let dir = simple.join(project.name.as_str());
    create_dir(&dir)?;
    write(
        &dir.join("index.html"),
        &project_page(project, Format::LegacyHtml),
    )?;
    write(
        &dir.join("index.json"),
        &project_page(project, Format::JsonV1),
    )?;
    let mut written = 2;
    for file in &project.files {
        copy(&file.path, &dir.join(&file.filename))?;
        written += 1;
        if let Some(metadata) = &file.core_metadata {
            copy(
                &metadata.path,
                &dir.join(format!("{}.metadata", file.filename)),
            )?;
            written += 1;
        }
        if let Some(provenance) = &file.provenance {
            copy(
                provenance,
                &dir.join(format!("{}.provenance", file.filename)),
            )?;
            written += 1;
        }
    }
    Ok((project.files.len(), written))
}

/// The swap replaces `output` whole: it must be missing, empty, or what
/// an earlier export wrote (only `simple/`), never a folder of the user's.
fn check_earlier_export(output: &Path) -> Result<(), ServeError> {
    let entries = match std::fs::read_dir(output) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(ServeError::Io {
                path: output.to_path_buf(),
                source,
            });
        }
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(ServeError::io(output))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !(name == "simple" && is_dir) {
            found.push(name);
        }
    }
    found.sort();
    found.truncate(5);
    match found.is_empty() {
        true => Ok(()),
        false => Err(ServeError::OutputNotAnExport {
            output: output.to_path_buf(),
            found,
        }),
    }
}

/// The output must not overlap a folder the index reads from.
fn check_output(index: &Index, output: &Path) -> Result<(), ServeError> {
    let out = resolved(output);
    for file in index.projects.values().flat_map(|p| &p.files) {
        let Some(dir) = file.path.parent() else {
            continue;
        };
        let dir = resolved(dir);
        if dir.starts_with(&out) || out.starts_with(&dir) {
            return Err(ServeError::OutputOverlaps {
                output: output.to_path_buf(),
                source_dir: dir,
            });
        }
    }
    Ok(())
}

/// The path with its existing part resolved (symbolic links, `..`).
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            resolved(parent).join(name)
        }
        _ => path.to_path_buf(),
    }
}

fn create_dir(dir: &Path) -> Result<(), ServeError> {
    std::fs::create_dir_all(dir).map_err(ServeError::io(dir))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    crate::atomic::write_file(path, bytes, Overwrite::Refuse).map_err(ServeError::io(path))
}

fn copy(from: &Path, to: &Path) -> Result<(), ServeError> {
    crate::atomic::clone_or_copy(from, to).map_err(ServeError::io(from))
}
