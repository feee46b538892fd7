//! Lock and requirement files: pip's requirements format (read, and
//! written hash-pinned), PEP 751 `pylock.toml` (written and read), and
//! uv's `uv.lock` (read).

pub mod pylock;
pub mod requirements_txt;
pub mod uv_lock;

/// What a lock says one target installs.
#[derive(Debug, Clone)]
pub struct LockedPin {
    pub name: String,
    pub version: String,
    pub file: crate::index::simple::IndexFile,
    /// `None` when the package is installed from its sdist.
    pub wheel: Option<crate::python::filename::WheelFilename>,
    pub required_by: Vec<String>,
    pub extras: Vec<String>,
}

/// A lock's relative `path`, anchored at the lock's folder, as a file URL.
fn path_url(lock_dir: &std::path::Path, relative: &str) -> Result<String, String> {
    url::Url::from_file_path(std::path::absolute(lock_dir.join(relative)).unwrap_or_default())
        .map(|u| u.to_string())
        .map_err(|_| format!("bad path {relative}"))
}

/// A file name a lock gives is a name, never a path (it is joined to the
/// wheelhouse folder).
fn check_file_name(filename: &str) -> Result<(), String> {
    if filename.contains(['/', '\\']) || filename.starts_with('.') {
        return Err(format!("refusing the file name `{filename}`"));
    }
    Ok(())
}

/// The file name a URL or path ends in, without query or fragment,
/// percent-decoded.
fn location_file_name(location: &str) -> Option<String> {
    let last = location.rsplit(['/', '\\']).next()?;
    Some(crate::index::percent_decode(last.split(['#', '?']).next()?))
}
