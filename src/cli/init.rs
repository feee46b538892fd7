//! `chiron init`: write a commented chiron.toml for the project, or with
//! `--ci github` its GitHub Actions workflow.

use std::path::{Path, PathBuf};

use chiron::error::{Result, ResultExt};
use clap::Args;
use serde::Serialize;

use chiron::atomic::{self, Overwrite};
use chiron::config::github_ci::{self, CiRequest, WheelKind};
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
    /// Replace an existing chiron.toml (with --ci, the workflow).
    #[arg(long)]
    pub force: bool,
    /// Print the file instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the CI workflow (.github/workflows/chiron.yml) instead of
    /// chiron.toml.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub ci: Option<CiProvider>,
    /// With --ci: how the project's wheels are built (default: `compiled`
    /// when it compiles native code, else `pure`).
    #[arg(long, value_enum, requires = "ci")]
    pub wheels: Option<WheelKind>,
    /// With --ci: no signing job; the air-gap bundle is built --unsigned.
    #[arg(long, requires = "ci")]
    pub unsigned: bool,
}

/// The CI systems `--ci` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CiProvider {
    Github,
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
        .as_ref()
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
    if args.ci.is_some() {
        return write_workflow(&args, ctx, &root);
    }
    let path = root.join("chiron.toml");
    refuse_existing(&path, &args)?;

    let scan = chiron::project::scan_project(&root)?;
    let choices = InitChoices {
        python: args.python.clone(),
        platforms: args.platforms.clone(),
        requirements: args.requirements.clone(),
        lock: args.lock.clone(),
    };
    let content = render_init(&scan, &choices)?;
    tracing::info!(path = %path.display(), "configuration rendered");
    let next = "review it, then run `chiron doctor`";
    write_and_report(&args, ctx, path, content, next)
}

/// An existing file is replaced only with --force (--dry-run writes nothing).
fn refuse_existing(path: &Path, args: &InitArgs) -> Result<()> {
    if path.exists() && !args.force && !args.dry_run {
        return Err(UsageError {
            message: format!("{} already exists", path.display()),
            hint: "pass --force to replace it, or --dry-run to see what would be written".into(),
        }
        .into());
    }
    Ok(())
}

/// `chiron init --ci github`: the workflow for the project in `root`.
fn write_workflow(args: &InitArgs, ctx: &Context, root: &Path) -> Result<Exit> {
    let path = root.join(github_ci::WORKFLOW_PATH);
    refuse_existing(&path, args)?;
    let scan = chiron::project::scan_project(root)?;
    let native = chiron::project::builds_native_code(root)?;
    let request = CiRequest {
        wheels: args.wheels,
        unsigned: args.unsigned,
        python: args.python.clone(),
    };
    let choices = github_ci::ci_choices(&scan, native, &configured_pythons(ctx, root), &request)?;
    let content = github_ci::render_workflow(&choices);
    let mut next = String::new();
    if !root.join("chiron.toml").is_file() {
        next.push_str("run `chiron init` for the chiron.toml its jobs read, then ");
    }
    if choices.signed {
        next.push_str(&format!(
            "add the repository secrets {} (the contents of cosign.key) and {} (its password)",
            github_ci::KEY_SECRET,
            github_ci::PASSWORD_SECRET
        ));
    } else {
        next.push_str("commit it");
    }
    if let Some(dir) = path.parent().filter(|_| !args.dry_run) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_and_report(args, ctx, path, content, &next)
}

/// The `[targets] python` of the configuration loaded for `root`, if it
/// is that project's.
fn configured_pythons(ctx: &Context, root: &Path) -> Vec<PythonVersion> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    match &ctx.config {
        Ok(loaded) if loaded.file.is_some() && same(&loaded.root, root) => {
            loaded.config.targets.python.clone()
        }
        _ => Vec::new(),
    }
}

/// Writes `content` to `path` atomically (unless --dry-run) and says so.
fn write_and_report(
    args: &InitArgs,
    ctx: &Context,
    path: PathBuf,
    content: String,
    next: &str,
) -> Result<Exit> {
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
            "{ok}wrote{ok:#} {}\nnext: {next}\n",
            path.display()
        ))?;
    }
    Ok(Exit::Ok)
}
