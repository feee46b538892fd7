//! `chiron manage download` and `chiron manage list-packages`.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use pep508_rs::Requirement;
use serde::Serialize;

use chiron::config::LoadedConfig;
use chiron::doctor::human_bytes;
use chiron::index::client::{ClientSettings, IndexClient};
use chiron::lock::requirements_txt::read_requirements;
use chiron::python::target::{Floors, NamedPlatform, Platform, PythonVersion, Target};
use chiron::wheelhouse::{ExactDownload, download_exact, list_packages};

use super::{Context, Exit, UsageError, style};

#[derive(Debug, Subcommand)]
pub enum ManageCommand {
    /// Download the best wheel of each named package for every target, with
    /// hash verification, into a folder; write SHA256SUMS there.
    Download(DownloadArgs),
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
pub struct TargetArgs {
    /// Python versions, comma-separated (default: [targets] python).
    #[arg(long, value_delimiter = ',', value_name = "X.Y,...")]
    pub python: Vec<PythonVersion>,
    /// Platforms, comma-separated names or wheel platform tags (default:
    /// [targets] platforms, else this machine's).
    #[arg(long = "platform", value_delimiter = ',', value_name = "NAME,...")]
    pub platforms: Vec<Platform>,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Requirements such as `requests==2.32.3` or `numpy>=2`.
    #[arg(value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,
    /// Read requirements from a file (repeatable).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Limit versions with a constraints file (repeatable).
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Destination folder (default: [wheelhouse] dir).
    #[arg(long, short = 'd', value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Download only the named packages, not their dependencies. Required
    /// until the resolver (chiron wheelhouse) resolves dependencies.
    #[arg(long)]
    pub no_deps: bool,
    /// Allow pre-releases.
    #[arg(long)]
    pub pre: bool,
    /// Accept files the index lists without a sha256 (the hash is computed
    /// from the download instead).
    #[arg(long)]
    pub allow_unhashed: bool,
    /// The index to use instead of [index] url / PIP_INDEX_URL.
    #[arg(long, short = 'i', value_name = "URL")]
    pub index_url: Option<String>,
    /// Further indexes (repeatable).
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// Local folders or pages of files (repeatable).
    #[arg(long, short = 'f', value_name = "PATH|URL")]
    pub find_links: Vec<String>,
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
        ManageCommand::Download(args) => download(args, ctx).await,
        ManageCommand::ListPackages(args) => list(args, ctx),
    }
}

/// The targets named by flags, else by the configuration; the platform
/// defaults to this machine's.
fn targets(args: &TargetArgs, loaded: &LoadedConfig) -> Result<Vec<Target>> {
    let config = &loaded.config.targets;
    let python = if args.python.is_empty() {
        config.python.clone()
    } else {
        args.python.clone()
    };
    if python.is_empty() {
        return Err(UsageError {
            message: "no Python version to target".into(),
            hint: "pass --python 3.12 (comma-separated for several), or set [targets] python in chiron.toml".into(),
        }
        .into());
    }
    let mut platforms = if args.platforms.is_empty() {
        config.platforms.clone()
    } else {
        args.platforms.clone()
    };
    if platforms.is_empty() {
        let host = NamedPlatform::host().ok_or_else(|| UsageError {
            message: "this machine's platform has no name chiron knows".into(),
            hint: "pass --platform with a wheel platform tag".into(),
        })?;
        platforms.push(Platform::Named(host));
    }
    let floors =
        Floors::parse(&config.min_glibc, &config.min_musl, &config.min_macos).map_err(|e| {
            UsageError {
                message: e.to_string(),
                hint: "fix [targets] in chiron.toml".into(),
            }
        })?;
    Ok(
        Target::matrix(&python, &platforms, floors).map_err(|e| UsageError {
            message: e.to_string(),
            hint: "use a platform name (linux-x86_64, ...) or a manylinux/musllinux/macosx/win tag"
                .into(),
        })?,
    )
}

async fn download(args: DownloadArgs, ctx: &Context) -> Result<Exit> {
    let loaded = ctx.require_config()?;
    if !args.no_deps {
        return Err(UsageError {
            message:
                "`manage download` fetches exactly the named packages, without their dependencies"
                    .into(),
            hint: "pass --no-deps to confirm; `chiron wheelhouse` resolves dependencies".into(),
        }
        .into());
    }
    let targets = targets(&args.targets, loaded)?;
    let mut settings = ClientSettings::from_config(loaded);
    let mut requirements = Vec::new();
    let mut constraints = Vec::new();
    let mut pre = args.pre;
    let env = |name: &str| ctx.env.get(name).map(str::to_string);
    for text in &args.requirements {
        let requirement: Requirement =
            text.parse()
                .map_err(|e: pep508_rs::Pep508Error| UsageError {
                    message: format!("`{text}` is not a valid requirement: {}", e.message),
                    hint: "requirements are PEP 508: name[extras] specifiers ; markers".into(),
                })?;
        requirements.push(requirement);
    }
    for file in &args.files {
        let parsed = read_requirements(&ctx.cwd.join(file), &env)?;
        requirements.extend(parsed.requirements.into_iter().map(|r| r.requirement));
        constraints.extend(parsed.constraints.into_iter().map(|r| r.requirement));
        pre |= parsed.pre;
        if let Some(url) = parsed.index_url {
            settings.index_urls[0] = url;
        }
        settings.index_urls.extend(parsed.extra_index_urls);
        settings.find_links.extend(parsed.find_links);
        if parsed.no_index {
            settings.index_urls.clear();
        }
    }
    for file in &args.constraints {
        let parsed = read_requirements(&ctx.cwd.join(file), &env)?;
        constraints.extend(
            parsed
                .requirements
                .into_iter()
                .chain(parsed.constraints)
                .map(|r| r.requirement),
        );
    }
    if requirements.is_empty() {
        return Err(UsageError {
            message: "nothing to download".into(),
            hint: "name packages (`chiron manage download --no-deps requests==2.32.3`) or pass -r requirements.txt".into(),
        }
        .into());
    }
    if let Some(url) = args.index_url {
        match settings.index_urls.first_mut() {
            Some(first) => *first = url,
            None => settings.index_urls.push(url),
        }
    }
    settings.index_urls.extend(args.extra_index_url);
    settings
        .find_links
        .extend(args.find_links.into_iter().map(|link| {
            if link.contains("://") {
                link
            } else {
                ctx.cwd.join(link).display().to_string()
            }
        }));
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
    let bar = DownloadBar::new(ctx.progress);
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
            &file.sha256[..12],
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
/// Download progress on stderr, drawn only when asked for.
struct DownloadBar(Option<indicatif::ProgressBar>);

impl DownloadBar {
    fn new(enabled: bool) -> Self {
        Self(enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} downloading [{bar:30}] {pos}/{len} files {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        }))
    }
}

impl Drop for DownloadBar {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl chiron::wheelhouse::Progress for DownloadBar {
    fn downloads_planned(&self, files: usize, _bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(files as u64);
        }
    }

    fn download_done(&self, filename: &str, _bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_message(filename.to_string());
            bar.inc(1);
        }
    }
}

#[derive(Serialize)]
struct ListJson<'a> {
    dir: String,
    files: &'a [chiron::wheelhouse::ListedFile],
    total_size: u64,
    packages: usize,
}

fn list(args: ListArgs, ctx: &Context) -> Result<Exit> {
    let loaded = ctx.require_config()?;
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
    let targets = match targets(&args.targets, loaded) {
        Ok(targets) => targets,
        // Without targets, still describe the files.
        Err(_) if args.targets.python.is_empty() => Vec::new(),
        Err(error) => return Err(error),
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
            &file.sha256[..12],
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
