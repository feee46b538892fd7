//! `chiron init`: write a commented chiron.toml for the project.

use std::path::PathBuf;

use chiron::error::{Result, ResultExt};
use clap::Args;
use serde::Serialize;

use chiron::atomic::{self, Overwrite};
use chiron::config::template::{InitChoices, render_init};
use chiron::python::target::Platform;
use chiron::python::version::PythonVersion;

use super::{Context, Exit, UsageError};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project's folder (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Requirements files to use, relative to the project (repeatable);
    /// default: requirements.txt when present.
    #[arg(short = 'r', long = "requirements", value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// A pylock.toml or uv.lock to use as it is; default: the one found.
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Python versions to target, comma-separated (default: maintained
    /// CPython releases that requires-python admits).
    #[arg(long, value_delimiter = ',', value_name = "X.Y,...")]
    pub python: Vec<PythonVersion>,
    /// Platforms to target, comma-separated names or wheel platform tags
    /// (default: linux-x86_64, macos-arm64, windows-x86_64 and this machine's).
    #[arg(long = "platform", value_delimiter = ',', value_name = "NAME,...")]
    pub platforms: Vec<Platform>,
    /// Replace an existing chiron.toml.
    #[arg(long)]
    pub force: bool,
    /// Print the file instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Serialize)]
struct InitReport {
    path: PathBuf,
    written: bool,
    content: String,
}

pub fn run(args: InitArgs, ctx: &Context) -> Result<Exit> {
    let _span = tracing::info_span!("init").entered();
    let root = args
        .dir
        .map_or_else(|| ctx.cwd.clone(), |dir| ctx.cwd.join(dir));
    if !root.is_dir() {
        return Err(UsageError {
            message: format!("{} is not a folder", root.display()),
            hint: "pass the project's folder with --dir, or run chiron init inside it".into(),
        }
        .into());
    }
    for named in args.requirements.iter().chain(args.lock.iter()) {
        if !root.join(named).is_file() {
            return Err(UsageError {
                message: format!("{} does not exist in {}", named.display(), root.display()),
                hint: "paths given to --requirements and --lock are relative to the project folder"
                    .into(),
            }
            .into());
        }
    }
    let path = root.join("chiron.toml");
    if path.exists() && !args.force && !args.dry_run {
        return Err(UsageError {
            message: format!("{} already exists", path.display()),
            hint: "pass --force to replace it, or --dry-run to see what would be written".into(),
        }
        .into());
    }

    let scan = chiron::project::scan_project(&root)?;
    let choices = InitChoices {
        python: args.python,
        platforms: args.platforms,
        requirements: args.requirements,
        lock: args.lock,
    };
    let content = render_init(&scan, &choices)?;
    tracing::info!(path = %path.display(), "configuration rendered");

    if !args.dry_run {
        let overwrite = if args.force {
            Overwrite::Replace
        } else {
            Overwrite::Refuse
        };
        atomic::write_file(&path, content.as_bytes(), overwrite)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if ctx.out.json {
        ctx.out.json(&InitReport {
            path,
            written: !args.dry_run,
            content,
        })?;
    } else if args.dry_run {
        ctx.out.text(&content)?;
    } else {
        let ok = super::style::OK;
        ctx.out.text(&format!(
            "{ok}wrote{ok:#} {}\nnext: review it, then run `chiron doctor`\n",
            path.display()
        ))?;
    }
    Ok(Exit::Ok)
}
