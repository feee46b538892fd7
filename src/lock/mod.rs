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
