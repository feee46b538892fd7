//! `chiron build`: flags to a build request, the backend's output on
//! stderr, the report on stdout.

use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use chiron::build::hooks::{Hook, HookOutput, Stream};
use chiron::error::Result;
use chiron::workflow::build::{BuildOutput, BuildReport, BuildRequest, Dists, Isolation};

use super::inputs::IndexArgs;
use super::progress::StageProgress;
use super::sign::load_private_key;
use super::{Context, Exit, style};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The project's folder (default: the current folder).
    #[arg(value_name = "SRCDIR")]
    pub srcdir: Option<PathBuf>,
    /// Build the sdist (alone, or with --wheel: both from the source).
    #[arg(long, short = 's')]
    pub sdist: bool,
    /// Build the wheel (alone from the source, or with --sdist). Without
    /// either flag: the sdist, then the wheel from the unpacked sdist.
    #[arg(long, short = 'w')]
    pub wheel: bool,
    /// Where the distributions and their artifacts go (default: dist/ in
    /// the project).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub outdir: Option<PathBuf>,
    /// The interpreter to build with (default: python3).
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// Build in the interpreter as it is: no build environment, no build
    /// lock (the build requirements must be installed already).
    #[arg(long, short = 'n')]
    pub no_isolation: bool,
    /// A setting passed to the backend's hooks (repeatable; a key given
    /// twice becomes a list).
    #[arg(long, short = 'C', value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub config_setting: Vec<(String, String)>,
    /// Build twice (two folders, two times, two umasks) and compare; write
    /// the distributions only when identical, exit 1 when they differ.
    #[arg(long, conflicts_with = "compare")]
    pub check: bool,
    /// Compare two wheels or two sdists (a local build and, say, the one on
    /// the index) and name every difference; exit 1 when they differ.
    #[arg(long, num_args = 2, value_names = ["DIST", "FILE"])]
    pub compare: Vec<PathBuf>,
    /// Write the wheel's metadata alone (NAME-VERSION.dist-info) into the
    /// output folder: the backend's prepare_metadata_for_build_wheel, else
    /// the .dist-info of a built wheel.
    #[arg(long, conflicts_with_all = ["check", "compare", "sdist", "wheel", "repair", "embed_sbom"])]
    pub metadata: bool,
    /// Run auditwheel on binary wheels and check the repaired wheel's tags
    /// (Linux).
    #[arg(long)]
    pub repair: bool,
    /// Put each wheel's CycloneDX SBOM inside it, in .dist-info/sboms/
    /// (PEP 770).
    #[arg(long)]
    pub embed_sbom: bool,
    /// The folder of the build requirements' wheels (default:
    /// a folder per project in chiron's cache).
    #[arg(long, value_name = "DIR")]
    pub build_wheelhouse: Option<PathBuf>,
    /// The private key to sign with (default: [signing] key; without
    /// either the build is not signed).
    #[arg(long, value_name = "FILE", conflicts_with = "unsigned")]
    pub key: Option<PathBuf>,
    /// Do not sign, even with [signing] key set.
    #[arg(long)]
    pub unsigned: bool,
    #[command(flatten)]
    pub index: IndexArgs,
}

/// `KEY=VALUE`, or `KEY` for an empty value (as `python -m build`); the
/// key not empty.
fn parse_setting(text: &str) -> std::result::Result<(String, String), String> {
    let (key, value) = text.split_once('=').unwrap_or((text, ""));
    if key.is_empty() {
        return Err(format!("`{text}` has no key: KEY=VALUE"));
    }
    Ok((key.to_string(), value.to_string()))
}

impl BuildArgs {
    fn request(&self) -> BuildRequest {
        BuildRequest {
            project: self.srcdir.clone(),
            outdir: self.outdir.clone(),
            dists: Dists::from_flags(self.sdist, self.wheel),
            python: self.python.clone(),
            no_isolation: self.no_isolation,
            config_settings: self.config_setting.clone(),
            build_wheelhouse: self.build_wheelhouse.clone(),
            index: self.index.request(),
            check: self.check,
            repair: self.repair,
            pep770: self.embed_sbom,
            command: std::env::args().collect(),
        }
    }
}

pub async fn run(args: BuildArgs, ctx: &Context) -> Result<Exit> {
    if let [left, right] = args.compare.as_slice() {
        return compare(ctx, &ctx.cwd.join(left), &ctx.cwd.join(right));
    }
    let ws = ctx.workspace()?;
    let key = if args.unsigned || (args.key.is_none() && ws.config.config.signing.key.is_none()) {
        None
    } else {
        Some(load_private_key(ctx, &args.key)?)
    };
    let log = BuildLog::new(ctx);
    let bar = StageProgress::new(ctx.progress);
    if args.metadata {
        let result = chiron::workflow::build::metadata(&ws, &args.request(), &bar, &log).await;
        drop(bar);
        let report = result.inspect_err(|_| log.replay())?;
        drop(log);
        if ctx.out.json {
            ctx.out.json(&report)?;
        } else {
            ctx.out.text(&format!("{}\n", report.dist_info.display()))?;
        }
        return Ok(Exit::Ok);
    }
    let result =
        chiron::workflow::build::build(&ws, &args.request(), key.as_ref(), &bar, &log).await;
    drop(bar);
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            log.replay();
            return Err(error);
        }
    };
    drop(log);
    let wheels = report
        .files
        .iter()
        .any(|f| f.kind == chiron::build::DistKind::Wheel);
    if wheels && report.runtime_lock.is_none() && report.reproducible() {
        ctx.out.note(&format!(
            "note: {} has no pylock.toml, so the wheels' SBOMs list no runtime dependencies; run `chiron lock` there and build again",
            report.project.display()
        ));
    }
    if !report.stale.is_empty() {
        let names: Vec<String> = report
            .stale
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        ctx.out.note(&format!(
            "warning: {} holds distributions from earlier builds ({}); they are not in this build's SHA256SUMS and `chiron verify` will report them: remove them before publishing",
            report.outdir.display(),
            names.join(", ")
        ));
    }
    let exit = if report.reproducible() {
        Exit::Ok
    } else {
        Exit::Problems
    };
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        ctx.out.text(&render(&report))?;
    }
    Ok(exit)
}

/// `--compare DIST FILE`.
fn compare(ctx: &Context, left: &std::path::Path, right: &std::path::Path) -> Result<Exit> {
    let comparison =
        chiron::build::compare::compare(left, right).map_err(chiron::build::BuildError::from)?;
    if ctx.out.json {
        ctx.out.json(&comparison)?;
    } else {
        ctx.out.text(&comparison.render())?;
    }
    Ok(if comparison.identical() {
        Exit::Ok
    } else {
        Exit::Problems
    })
}

fn render(report: &BuildReport) -> String {
    let mut text = String::new();
    if let Some(comparisons) = &report.check {
        for comparison in comparisons {
            text.push_str(&comparison.render());
        }
        if !report.reproducible() {
            text.push_str(&format!(
                "{}not reproducible{:#}: the two builds differ; nothing was written to {}\n",
                style::FAIL,
                style::FAIL,
                report.outdir.display()
            ));
            return text;
        }
        text.push_str(&format!(
            "{}reproducible{:#}: two builds, byte for byte the same\n",
            style::OK,
            style::OK
        ));
    }
    for file in &report.files {
        text.push_str(&format!(
            "{}built{:#} {}  sha256:{}  {} bytes\n",
            style::OK,
            style::OK,
            file.path.display(),
            file.sha256,
            file.size
        ));
    }
    for artifact in &report.artifacts {
        text.push_str(&format!("wrote {}\n", artifact.display()));
    }
    match &report.isolation {
        Isolation::Locked {
            requirements_file,
            reused,
            installer,
            ..
        } => text.push_str(&format!(
            "build requirements: {} packages from {} ({}), installed with {installer}\n",
            report.build_dependencies.len(),
            requirements_file.display(),
            if *reused { "kept" } else { "locked now" },
        )),
        Isolation::None { python } => text.push_str(&format!(
            "built without isolation in {}\n",
            python.display()
        )),
    }
    text.push_str(&format!(
        "SOURCE_DATE_EPOCH={} (from {})\n",
        report.source.epoch,
        match report.epoch_source {
            chiron::build::source::EpochSource::Environment => "the environment",
            chiron::build::source::EpochSource::LastCommit => "the last commit",
            chiron::build::source::EpochSource::Default => "the default: 1980-01-01",
        }
    ));
    text
}

/// The backend's output on stderr as it comes, each line under the step
/// it belongs to (also with `--json`, whose report is on stdout); with
/// `-q` kept, and shown only when the build fails.
pub(super) struct BuildLog {
    bar: Option<ProgressBar>,
    quiet: bool,
    kept: Mutex<Vec<String>>,
}

impl BuildLog {
    pub(super) fn new(ctx: &Context) -> Self {
        let quiet = ctx.out.quiet;
        let bar = (ctx.progress && !quiet).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        BuildLog {
            bar,
            quiet,
            kept: Mutex::new(Vec::new()),
        }
    }

    fn say(&self, line: String) {
        if self.quiet {
            self.kept.lock().expect("never poisoned").push(line);
        } else if let Some(bar) = &self.bar {
            bar.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    /// What `-q` kept, after a failure.
    pub(super) fn replay(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        for line in self.kept.lock().expect("never poisoned").drain(..) {
            eprintln!("{line}");
        }
    }
}

impl Drop for BuildLog {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl HookOutput for BuildLog {
    fn started(&self, hook: Hook, backend: &str) {
        let message = format!("{} ({backend})", hook.name());
        if let Some(bar) = &self.bar {
            bar.set_message(message.clone());
        }
        self.say(format!("» {message}"));
    }

    fn line(&self, _stream: Stream, text: &str) {
        self.say(format!("  │ {text}"));
    }
}

impl BuildOutput for BuildLog {
    fn step(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
        self.say(format!("» {message}"));
    }
}
