//! `chiron manage download` and `chiron manage list-packages`.

use std::path::PathBuf;

use chiron::error::{Result, ResultExt};
use clap::{Args, Subcommand};
use serde::Serialize;

use chiron::doctor::human_bytes;
use chiron::index::client::IndexClient;
use chiron::wheelhouse::{ExactDownload, download_exact, list_packages};

use chiron::workflow::inputs::{gather, targets};

use super::context::{Context, Exit};
use super::inputs::{InputArgs, TargetArgs};
use super::progress::StageProgress;
use super::style;
use chiron::error::UsageError;

#[derive(Debug, Subcommand)]
pub enum ManageCommand {
    /// Download the best wheel of each named package for every target, with
    /// hash verification, into a folder; write SHA256SUMS there.
    Download(Box<DownloadArgs>),
    /// Describe a folder of wheels: name, version, targets served, tags, size, sha256.
    ListPackages(ListArgs),
}

impl ManageCommand {
    pub fn name(&self) -> &'static str {
        match self {
            ManageCommand::Download(_) => "manage download",
            ManageCommand::ListPackages(_) => "manage list-packages",
        }
    }
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Destination folder (default: [wheelhouse] dir).
    #[arg(long, short = 'd', value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Download only the named packages, not their dependencies (to
    /// resolve dependencies, use `chiron wheelhouse`).
    #[arg(long)]
    pub no_deps: bool,
    /// Accept files the index lists without a sha256 (the hash is computed
    /// from the download instead).
    #[arg(long)]
    pub allow_unhashed: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The folder (default: [wheelhouse] dir).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub targets: TargetArgs,
}

pub async fn run(command: ManageCommand, ctx: &Context) -> Result<Exit> {
    match command {
        ManageCommand::Download(args) => download(*args, ctx).await,
        ManageCommand::ListPackages(args) => list(args, ctx),
    }
}

async fn download(args: DownloadArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let loaded = ws.config;
    if !args.no_deps {
        return Err(UsageError {
            message:
                "`manage download` fetches exactly the named packages, without their dependencies"
                    .into(),
            hint: "pass --no-deps to confirm; `chiron wheelhouse` resolves dependencies".into(),
        }
        .into());
    }
    let targets = targets(&ws, &args.targets.request())?;
    let gathered = gather(&ws, &args.inputs.request(), None)?;
    if gathered.requirements.is_empty() {
        return Err(UsageError {
            message: "nothing to download".into(),
            hint: "name packages (`chiron manage download --no-deps requests==2.32.3`) or pass -r requirements.txt".into(),
        }
        .into());
    }
    if gathered.formats.wants_sources() {
        return Err(UsageError {
            message: format!(
                "--no-binary {}: `manage download` fetches wheels only",
                gathered.formats.source_only().join(",")
            ),
            hint:
                "use `chiron wheelhouse --allow-sdist --no-binary ...` to take source distributions"
                    .into(),
        }
        .into());
    }
    let (requirements, constraints, pre, settings) = (
        gathered.requirements,
        gathered.constraints,
        gathered.pre,
        gathered.settings,
    );
    let client = IndexClient::new(settings)?;
    let dest = match args.dest {
        Some(dest) => ctx.cwd.join(dest),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    let request = ExactDownload {
        requirements,
        constraints,
        targets,
        dest: dest.clone(),
        allow_prereleases: pre,
        allow_unhashed: args.allow_unhashed,
    };
    let bar = StageProgress::new(ctx.progress);
    let report = download_exact(&client, &request, &bar)
        .await
        .with_context(|| format!("downloading into {}", dest.display()))?;
    if ctx.out.json {
        ctx.out.json(&report)?;
        return Ok(Exit::Ok);
    }
    let name_width = report
        .files
        .iter()
        .map(|f| f.filename.len())
        .max()
        .unwrap_or(4)
        .min(70);
    let mut out = String::new();
    for file in &report.files {
        let how = if file.fetched { "" } else { "  (cached)" };
        out.push_str(&format!(
            "{:<name_width$}  {:>10}  {}  {}{}\n",
            file.filename,
            human_bytes(file.size),
            &file.sha256.to_string()[..12],
            file.targets.join(", "),
            how
        ));
    }
    for skipped in &report.not_needed {
        out.push_str(&format!(
            "{}not needed:{:#} {} on {} ({})\n",
            style::DIM,
            style::DIM,
            skipped.package,
            skipped.target,
            skipped.marker
        ));
    }
    let total: u64 = report.files.iter().map(|f| f.size).sum();
    let fetched = report.files.iter().filter(|f| f.fetched).count();
    out.push_str(&format!(
        "\n{} file(s), {} ({fetched} downloaded); checksums in {}\n",
        report.files.len(),
        human_bytes(total),
        report.sha256sums.display()
    ));
    ctx.out.text(&out)?;
    Ok(Exit::Ok)
}
#[derive(Serialize)]
struct ListJson<'a> {
    dir: String,
    files: &'a [chiron::wheelhouse::ListedFile],
    total_size: u64,
    packages: usize,
}

fn list(args: ListArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let loaded = ws.config;
    let dir = match args.dir {
        Some(dir) => ctx.cwd.join(dir),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    if !dir.is_dir() {
        return Err(UsageError {
            message: format!("{} is not a folder", dir.display()),
            hint: "name the wheelhouse folder, or fill it with `chiron manage download`".into(),
        }
        .into());
    }
    let targets = match targets(&ws, &args.targets.request()) {
        Ok(targets) => targets,
        // Without targets, still describe the files.
        Err(_) if args.targets.python.is_empty() => Vec::new(),
        Err(error) => return Err(error.into()),
    };
    let files =
        list_packages(&dir, &targets).with_context(|| format!("reading {}", dir.display()))?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let packages = files
        .iter()
        .map(|f| &f.name)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if ctx.out.json {
        ctx.out.json(&ListJson {
            dir: dir.display().to_string(),
            files: &files,
            total_size: total,
            packages,
        })?;
        return Ok(Exit::Ok);
    }
    let width = |f: &dyn Fn(&chiron::wheelhouse::ListedFile) -> usize, min: usize| {
        files.iter().map(f).max().unwrap_or(0).max(min)
    };
    let (name_w, version_w, tags_w) = (
        width(&|f| f.name.len(), 4),
        width(&|f| f.version.len(), 7),
        width(&|f| f.tags.len(), 4).min(48),
    );
    let bold = style::BOLD;
    let mut out = format!(
        "{bold}{:<name_w$}  {:<version_w$}  {:<tags_w$}  {:>10}  {:<12}  TARGETS{bold:#}\n",
        "NAME", "VERSION", "TAGS", "SIZE", "SHA256"
    );
    for file in &files {
        let served = if file.targets.is_empty() {
            if targets.is_empty() {
                "(no targets given)".to_string()
            } else {
                "-".to_string()
            }
        } else {
            file.targets.join(", ")
        };
        out.push_str(&format!(
            "{:<name_w$}  {:<version_w$}  {:<tags_w$}  {:>10}  {:<12}  {served}\n",
            file.name,
            file.version,
            file.tags,
            human_bytes(file.size),
            &file.sha256.to_string()[..12],
        ));
    }
    out.push_str(&format!(
        "\n{} file(s), {packages} package(s), {}\n",
        files.len(),
        human_bytes(total)
    ));
    ctx.out.text(&out)?;
    Ok(Exit::Ok)
}
