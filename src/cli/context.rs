//! What every subcommand shares: its context (environment, configuration,
//! where results go), the exit codes, and writing results. At the bottom
//! of `cli`: the subcommands import it, and it imports none of them.

use std::io::Write;
use std::path::PathBuf;

use chiron::config::{ConfigError, Env, LoadOptions, LoadedConfig};
use chiron::error::Result;
use chiron::workflow::Workspace;

/// Everything a subcommand may need besides its own arguments.
pub struct Context {
    pub env: Env,
    /// Draw progress on stderr: a terminal, no `--no-progress`, not in CI.
    pub progress: bool,
    pub cwd: PathBuf,
    pub load_options: LoadOptions,
    /// The configuration as loaded before the command started.
    pub config: Result<LoadedConfig, ConfigError>,
    pub out: Printer,
}

impl Context {
    /// The configuration, or the error that stops commands needing it.
    pub fn require_config(&self) -> Result<&LoadedConfig, ConfigError> {
        self.config.as_ref().map_err(Clone::clone)
    }

    /// The working folder, environment and configuration the workflows
    /// run in; the configuration must have loaded.
    pub fn workspace(&self) -> Result<Workspace<'_>, ConfigError> {
        Ok(Workspace {
            cwd: &self.cwd,
            env: &self.env,
            config: self.require_config()?,
        })
    }
}

/// Exit codes, as documented in docs/cli.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// All is well.
    Ok = 0,
    /// A check or gate found problems (or the work itself failed).
    Problems = 1,
    /// Usage or configuration error.
    Usage = 2,
}

/// Writes results to stdout: plain or coloured text, or JSON.
pub struct Printer {
    pub json: bool,
    /// `-q`: only errors on stderr.
    pub quiet: bool,
}

impl Printer {
    /// A one-line note on stderr (a summary beside a report written to a
    /// file), unless `-q` or `--json`.
    pub fn note(&self, line: &str) {
        if !self.quiet && !self.json {
            eprintln!("{line}");
        }
    }

    pub fn json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.text(&text)
    }

    pub fn text(&self, text: &str) -> Result<()> {
        let mut stdout = anstream::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // A closed pipe (`chiron ... | head`) is not an error.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }
}

/// Writes a report the user named with `-o`, whole or not at all.
pub fn write_output(file: &std::path::Path, bytes: &[u8]) -> Result<()> {
    chiron::atomic::write_file(file, bytes, chiron::atomic::Overwrite::Replace).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", file.display())).into()
    })
}
