//! What `sbom`, `scan` and `policy` look at: a path of any kind the
//! inventory reads, or an interpreter's environment, or by default the
//! configured wheelhouse.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use chiron::inventory::{self, Inventory};

use super::{Context, UsageError};

#[derive(Debug, Args)]
pub struct SubjectArgs {
    /// A wheelhouse (folder or manifest.json), pylock.toml, uv.lock, a
    /// requirements file with == pins, a folder of wheels, or a venv.
    /// Default: the configured wheelhouse.
    #[arg(value_name = "PATH", conflicts_with = "python")]
    pub path: Option<PathBuf>,
    /// The installed packages of this Python interpreter instead.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

impl SubjectArgs {
    pub fn load(&self, ctx: &Context) -> Result<Inventory> {
        let result = match (&self.path, &self.python) {
            (_, Some(python)) => {
                let python = if python.components().count() > 1 {
                    ctx.cwd.join(python)
                } else {
                    // A bare name (`python3`) is looked up on PATH.
                    python.clone()
                };
                let _span =
                    tracing::info_span!("inventory.python", python = %python.display()).entered();
                inventory::interpreter(&python)
            }
            (Some(path), None) => inventory::load(&ctx.cwd.join(path)),
            (None, None) => {
                let loaded = ctx.require_config()?;
                let dir = loaded.resolve(&loaded.config.wheelhouse.dir);
                if !dir.join("manifest.json").is_file() {
                    return Err(UsageError {
                        message: format!(
                            "{} is not a wheelhouse: no manifest.json",
                            dir.display()
                        ),
                        hint: "build one with `chiron wheelhouse`, or name what to read: a lock, a requirements file, a folder of wheels, a venv, or --python".into(),
                    }
                    .into());
                }
                inventory::load(&dir)
            }
        };
        result.map_err(|e| {
            UsageError {
                message: e.to_string(),
                hint: e.hint,
            }
            .into()
        })
    }
}
