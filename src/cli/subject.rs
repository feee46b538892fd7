//! What `sbom`, `scan` and `policy` look at: a path of any kind the
//! inventory reads, or an interpreter's environment, or by default the
//! configured wheelhouse.

use std::path::PathBuf;

use clap::Args;

use chiron::error::Result;
use chiron::inventory::Inventory;
use chiron::workflow::gate::SubjectRequest;

use super::context::Context;

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
        chiron::workflow::gate::load_subject(
            &ctx.cwd,
            ctx.require_config(),
            &SubjectRequest {
                path: self.path.clone(),
                python: self.python.clone(),
            },
        )
    }
}
