//! The workflows a run performs, as library functions: reading the inputs
//! and the target matrix once from flags over configuration, building a
//! wheelhouse and gating it, scanning, building, verifying and installing
//! a bundle, pushing and pulling it.
//!
//! A front end (the `chiron` binary) maps its flags to the plain request
//! types here, calls one function and renders what it returns. This layer
//! owns the precedence of flags over configuration (so it is decided in one
//! place) and the order of the stages; it must not print, draw progress
//! (it takes a reporter) or choose exit codes.

pub mod airgap;
pub mod build;
pub mod gate;
pub mod inputs;
pub mod lock;
pub mod publish;
pub mod release;
pub mod serve;
pub mod signing;
pub mod wheelhouse;

use std::path::{Path, PathBuf};

use crate::config::{Env, LoadedConfig};

/// The workflows' own error, defined below both them and `crate::error`
/// (which gathers every error), so neither imports the other's parent.
pub use crate::plan_error::PlanError;

/// Where a run happens: the working folder, the environment and the
/// loaded configuration. Paths given by the caller are relative to `cwd`;
/// paths in the configuration to its own folder.
#[derive(Clone, Copy)]
pub struct Workspace<'a> {
    pub cwd: &'a Path,
    pub env: &'a Env,
    pub config: &'a LoadedConfig,
}

impl Workspace<'_> {
    /// A path the caller gave, made absolute.
    pub fn path(&self, given: &Path) -> PathBuf {
        self.cwd.join(given)
    }

    /// `SOURCE_DATE_EPOCH`, checked.
    pub fn source_date_epoch(&self) -> Result<Option<i64>, PlanError> {
        source_date_epoch(self.env)
    }

    /// The project's name: `[project] name` of pyproject.toml, else the
    /// folder's.
    pub fn project_name(&self) -> String {
        crate::project::scan_project(&self.config.root)
            .ok()
            .and_then(|scan| scan.name)
            .or_else(|| {
                self.config
                    .root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| self.cwd.display().to_string())
    }
}

/// `SOURCE_DATE_EPOCH` of `env`, checked.
pub fn source_date_epoch(env: &Env) -> Result<Option<i64>, PlanError> {
    match env.get("SOURCE_DATE_EPOCH") {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| PlanError::SourceDateEpoch {
                text: text.to_string(),
            }),
    }
}
