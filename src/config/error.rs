//! The errors of loading configuration, with the file, line and column of
//! bad input and a hint.
//!
//! Below `load` and `pip`, which both build them. It must not read files.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use super::origin::Source;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: Arc<io::Error>,
    },
    #[error("{}:{line}:{column}: {message}\n{snippet}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        snippet: String,
        hint: Option<String>,
    },
    #[error("{origin} does not give a valid `{key}`: {message}")]
    Override {
        key: String,
        origin: Source,
        message: String,
    },
}

impl ConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::NotFound { .. } => Some(
                "check the path given to --config or CHIRON_CONFIG, or run `chiron init` to write one"
                    .into(),
            ),
            ConfigError::Read { .. } => Some("check the file's permissions".into()),
            ConfigError::Invalid { hint, .. } => hint.clone(),
            ConfigError::Override { origin, .. } => {
                Some(format!("fix or unset {origin}; see docs/configuration.md"))
            }
        }
    }
}

impl crate::diagnose::Diagnose for ConfigError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}
