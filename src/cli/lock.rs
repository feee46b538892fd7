//! `chiron lock`: resolve every target without downloading, write
//! `pylock.toml` and hash-pinned requirements per target; `--check` for CI.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use chiron::error::Result;
use chiron::wheelhouse::lock::{LockReport, PinChange};
use chiron::workflow::lock::LockPlanRequest;

use super::context::{Context, Exit};
use super::inputs::{InputArgs, ProjectArgs, TargetArgs};
use super::progress::StageProgress;
use super::style;

#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
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

impl LockArgs {
    fn request(&self) -> LockPlanRequest {
        LockPlanRequest {
            inputs: self.inputs.request(),
            targets: self.targets.request(),
            project: self.project.selection(),
            out: self.out.clone(),
            previous: self.lock.clone(),
            upgrade: self.upgrade,
            upgrade_packages: self.upgrade_package.clone(),
            check: self.check,
            exclude_newer: self.exclude_newer.clone(),
            allow_sdist: self.allow_sdist,
        }
    }
}

pub async fn run(args: LockArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let bar = StageProgress::new(ctx.progress);
    let report = chiron::workflow::lock::run(&ws, &args.request(), &bar).await?;
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
