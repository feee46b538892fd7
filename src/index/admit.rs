//! Which of an index's files count at all, before any tag or version is
//! preferred: yanked files only for exact pins (PEP 592), nothing uploaded
//! after an `--exclude-newer` cutoff, and a `requires-python` that admits
//! the target's Python.
//!
//! Pure, and below `select` (choosing a wheel) and `gap` (explaining why
//! there is none), which both filter files the same way. It must not
//! prefer one file over another.

use std::collections::BTreeSet;

use pep440_rs::{Version, VersionSpecifiers};

use super::simple::IndexFile;

/// Whether a file may be a candidate at all: not yanked (unless its version
/// is pinned exactly, PEP 592), not uploaded after `exclude_newer`, and with
/// a `requires-python` that admits `python` (one pip cannot parse is
/// ignored, as pip does).
pub fn file_admitted(
    file: &IndexFile,
    version: &Version,
    python: &Version,
    exact_pins: &BTreeSet<Version>,
    exclude_newer: Option<&str>,
) -> bool {
    file_offered(file, version, exact_pins, exclude_newer) && admits_python(file, python)
}

/// Whether a file is on offer at all, whatever the Python: not yanked
/// (unless pinned exactly), not uploaded after `exclude_newer` (and, with a
/// cutoff, with an upload time at all).
pub fn file_offered(
    file: &IndexFile,
    version: &Version,
    exact_pins: &BTreeSet<Version>,
    exclude_newer: Option<&str>,
) -> bool {
    if file.yanked.is_some()
        && !exact_pins
            .iter()
            .any(|pinned| crate::python::ranges::pin_names(pinned, version))
    {
        return false;
    }
    match (exclude_newer, file.upload_time.as_deref()) {
        (None, _) => true,
        (Some(cutoff), Some(uploaded)) => {
            uploaded.get(..19).unwrap_or(uploaded) <= cutoff.get(..19).unwrap_or(cutoff)
        }
        // A file whose upload time the index does not state (pypiserver,
        // find-links) cannot be shown to be older than the cutoff: it is
        // left out, as uv leaves it out, rather than silently letting a
        // "frozen" resolution take today's files.
        (Some(_), None) => false,
    }
}

/// Whether a file's `requires-python` admits `python` (one pip cannot
/// parse is ignored, as pip does).
pub fn admits_python(file: &IndexFile, python: &Version) -> bool {
    excluding_python(file, python).is_none()
}

/// The `requires-python` of a file when it excludes `python`; one pip
/// cannot parse is ignored, as pip does.
pub fn excluding_python(file: &IndexFile, python: &Version) -> Option<VersionSpecifiers> {
    file.requires_python
        .as_deref()
        .and_then(|r| r.parse::<VersionSpecifiers>().ok())
        .filter(|requires| !requires.contains(python))
}
