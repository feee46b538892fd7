//! `chiron lock`: resolve every target without downloading, write
//! `pylock.toml` and hash-pinned requirements per target; `--check` for CI.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::Args;
use pep508_rs::Requirement;

use chiron::index::client::IndexClient;
use chiron::resolve::ResolveOptions;
use chiron::wheelhouse::lock::{LOCK_FILE, LockReport, LockRequest, PinChange, Upgrade, lock};

use super::inputs::{ConfigInputs, InputArgs, TargetArgs, gather, targets};
use super::progress::StageProgress;
use super::{Context, Exit, UsageError, style};

#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Optional-dependency groups of pyproject.toml to include (default: [inputs] extras).
    #[arg(long = "extra", value_name = "NAME")]
    pub extras: Vec<String>,
    /// PEP 735 dependency groups to include (default: [inputs] groups).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
    /// Folder for pylock.toml and requirements-<target>.txt (default: where
    /// [inputs] lock is, else the project folder, where chiron.toml is).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Keep the pins of this lock, a pylock.toml or a uv.lock (default: the
    /// lock being written, when it exists).
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Ignore the existing pins: resolve every package to its newest version.
    #[arg(long, short = 'U')]
    pub upgrade: bool,
    /// Let this package move (repeatable); `NAME==VERSION` (or any
    /// specifier) also asks for that version.
    #[arg(long, short = 'P', value_name = "NAME[SPEC]")]
    pub upgrade_package: Vec<String>,
    /// Write nothing; exit 1 when the lock on disk would change.
    #[arg(long)]
    pub check: bool,
    /// Ignore files uploaded after this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME")]
    pub exclude_newer: Option<String>,
    /// Use source distributions with static metadata for versions without a
    /// wheel for a target (default: [policy] allow-sdist).
    #[arg(long)]
    pub allow_sdist: bool,
}

pub async fn run(args: LockArgs, ctx: &Context) -> Result<Exit> {
    let loaded = ctx.require_config()?;
    let targets = targets(&args.targets, loaded)?;
    // `[inputs] lock` is what this command writes (and what `chiron
    // wheelhouse` then installs), not an input: it need not exist yet.
    let mut without_lock = loaded.clone();
    let configured_lock = without_lock
        .config
        .inputs
        .lock
        .take()
        .map(|path| loaded.resolve(&path))
        .filter(|path| path.extension().is_some_and(|e| e == "toml"));
    let gathered = gather(
        &args.inputs,
        ctx,
        &without_lock,
        Some(ConfigInputs {
            extras: &args.extras,
            groups: &args.groups,
        }),
    )?;
    if gathered.requirements.is_empty() {
        return Err(UsageError {
            message: "no requirements to lock".into(),
            hint: "name them (`chiron lock requests`), pass -r requirements.txt, or set [inputs] in chiron.toml (`chiron init`)".into(),
        }
        .into());
    }
    let mut upgrade_packages = Vec::new();
    for text in &args.upgrade_package {
        let requirement: Requirement =
            text.parse()
                .map_err(|e: pep508_rs::Pep508Error| UsageError {
                    message: format!(
                        "--upgrade-package `{text}` is not a package name or requirement: {}",
                        e.message
                    ),
                    hint: "write --upgrade-package NAME or --upgrade-package NAME==VERSION".into(),
                })?;
        upgrade_packages.push(requirement);
    }
    let previous = match &args.lock {
        Some(path) => {
            let path = ctx.cwd.join(path);
            if !path.is_file() {
                return Err(UsageError {
                    message: format!("the lock {} does not exist", path.display()),
                    hint: "name an existing pylock.toml with --lock, or leave it out".into(),
                }
                .into());
            }
            Some(path)
        }
        None => None,
    };
    let exclude_newer = args
        .exclude_newer
        .as_deref()
        .map(super::wheelhouse::normalize_time)
        .transpose()?;
    let lock_file = match (&args.out, configured_lock) {
        (Some(out), _) => ctx.cwd.join(out).join(LOCK_FILE),
        (None, Some(configured)) => configured,
        (None, None) => loaded.root.join(LOCK_FILE),
    };
    let client = Arc::new(IndexClient::new(gathered.settings)?);
    let request = LockRequest {
        requirements: gathered.requirements,
        constraints: gathered.constraints,
        direct: gathered.direct,
        targets,
        lock_file: lock_file.clone(),
        previous,
        options: ResolveOptions {
            allow_prereleases: gathered.pre,
            allow_sdist: args.allow_sdist || loaded.config.policy.allow_sdist,
            exclude_newer,
            formats: gathered.formats,
            ..Default::default()
        },
        upgrade: Upgrade {
            all: args.upgrade,
            packages: upgrade_packages,
        },
        check: args.check,
        hashes: gathered.hashes,
    };
    request.options.check_formats().map_err(|e| UsageError {
        message: e.to_string(),
        hint: "pass --allow-sdist to lock those sdists, or drop --no-binary".into(),
    })?;
    let bar = StageProgress::new(ctx.progress);
    let report = lock(client, &request, &bar)
        .await
        .with_context(|| format!("locking into {}", lock_file.display()))?;
    drop(bar);
    let exit = if args.check && !report.up_to_date {
        Exit::Problems
    } else {
        Exit::Ok
    };
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        ctx.out.text(&human(&report, args.check))?;
    }
    Ok(exit)
}

/// Targets, moved pins, then one line on what happened.
fn human(report: &LockReport, check: bool) -> String {
    let mut text = String::new();
    let width = report
        .targets
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    for target in &report.targets {
        text.push_str(&format!(
            "{:<width$}  {:>3} package(s)  {}\n",
            target.name,
            target.packages.len(),
            target.requirements_file
        ));
    }
    if !report.changes.is_empty() {
        text.push_str(if check {
            "\nwould change:\n"
        } else {
            "\nchanged:\n"
        });
        text.push_str(&changes_table(&report.changes));
    }
    for file in &report.hashed_by_download {
        text.push_str(&format!(
            "{}warning{:#}: the index gave no sha256 for {file}: downloaded it to hash it\n",
            style::WARN,
            style::WARN
        ));
    }
    let lock = report.lock.display();
    let line = match (report.up_to_date, check) {
        (true, _) => format!("{}up to date{:#}: {lock}\n", style::OK, style::OK),
        (false, true) => format!(
            "{}stale{:#}: {lock} ({} would change)\nrun `chiron lock` to update it\n",
            style::FAIL,
            style::FAIL,
            report.stale_files.join(", ")
        ),
        (false, false) => format!("{}written{:#}: {lock}\n", style::OK, style::OK),
    };
    text.push('\n');
    text.push_str(&line);
    if report.downloaded > 0 {
        text.push_str(&format!(
            "{} whole file(s) downloaded: the index offers no PEP 658 metadata and ignores range requests, or lists no hash\n",
            report.downloaded
        ));
    }
    text
}

/// `lib  1.0 -> 1.1  3.11-linux-x86_64, 3.12-linux-x86_64`: one line per
/// package move, with the targets it happens on.
fn changes_table(changes: &[PinChange]) -> String {
    let mut moves: BTreeMap<(&str, String), Vec<&str>> = BTreeMap::new();
    for change in changes {
        let arrow = format!(
            "{} -> {}",
            change.old.as_deref().unwrap_or("(new)"),
            change.new.as_deref().unwrap_or("(removed)")
        );
        moves
            .entry((change.package.as_str(), arrow))
            .or_default()
            .push(change.target.as_str());
    }
    let name_width = moves.keys().map(|(n, _)| n.len()).max().unwrap_or(0);
    let arrow_width = moves.keys().map(|(_, a)| a.len()).max().unwrap_or(0);
    moves
        .iter()
        .map(|((name, arrow), targets)| {
            format!(
                "  {name:<name_width$}  {arrow:<arrow_width$}  {}\n",
                targets.join(", ")
            )
        })
        .collect()
}
