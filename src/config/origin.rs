//! Where configuration comes from: the snapshot of the environment that
//! loading reads ([`Env`]), and the source of each effective value
//! ([`Source`]), which `config show` prints.
//!
//! The bottom of `config`: `load` and `pip` both import it. It must not
//! read files or the process environment (only `Env::from_process` does,
//! once, for the binary).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A snapshot of the environment variables chiron reads, so that loading is
/// a pure function of its inputs.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_pairs(
            std::env::vars_os().filter_map(|(key, value)| {
                Some((key.into_string().ok()?, value.into_string().ok()?))
            }),
        )
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The variable's value; an empty value counts as unset, as in pip.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    /// A default computed from the environment, e.g. `XDG_CACHE_HOME`.
    DefaultFrom(String),
    File(PathBuf),
    /// A pip configuration file and the section the value is in.
    PipFile {
        path: PathBuf,
        section: String,
    },
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::DefaultFrom(var) => write!(f, "default (from {var})"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::PipFile { path, section } => write!(f, "{} [{section}]", path.display()),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}
