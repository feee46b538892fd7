//! `chiron airgap build` and `chiron airgap install`.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use tracing::Instrument;

use super::sign::{load_private_key, load_public_key, verify_bundle};
use super::{Context, Exit, UsageError, style};

#[derive(Debug, Subcommand)]
pub enum AirgapCommand {
    /// Pack a wheelhouse into a reproducible, signed bundle.tar.gz.
    Build(BuildArgs),
    /// Verify a bundle, then install it into a Python environment offline.
    Install(InstallArgs),
    /// Push a bundle to an OCI registry (or an OCI image layout folder).
    Push(PushArgs),
    /// Pull a bundle from an OCI registry (or an OCI image layout folder).
    Pull(PullArgs),
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The bundle (.tar.gz) to push, as `chiron airgap build` wrote it.
    pub bundle: PathBuf,
    /// oci://REGISTRY/REPOSITORY:TAG
    #[arg(required_unless_present = "oci_layout")]
    pub target: Option<String>,
    /// Write an OCI image layout in this folder instead of pushing.
    #[arg(long, value_name = "DIR", conflicts_with = "target")]
    pub oci_layout: Option<PathBuf>,
    /// The tag inside --oci-layout.
    #[arg(long, default_value = "latest", requires = "oci_layout")]
    pub tag: String,
    /// Talk HTTP, not HTTPS, to the registry (always so for localhost).
    #[arg(long)]
    pub plain_http: bool,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// oci://REGISTRY/REPOSITORY:TAG (or @sha256:DIGEST)
    #[arg(required_unless_present = "oci_layout")]
    pub source: Option<String>,
    /// Read from an OCI image layout folder instead of a registry.
    #[arg(long, value_name = "DIR", conflicts_with = "source")]
    pub oci_layout: Option<PathBuf>,
    /// The tag inside --oci-layout.
    #[arg(long, default_value = "latest", requires = "oci_layout")]
    pub tag: String,
    /// Where to write the pulled files.
    #[arg(long, short = 'o', default_value = ".", value_name = "DIR")]
    pub output: PathBuf,
    /// Talk HTTP, not HTTPS, to the registry (always so for localhost).
    #[arg(long)]
    pub plain_http: bool,
}

impl AirgapCommand {
    pub fn name(&self) -> &'static str {
        match self {
            AirgapCommand::Build(_) => "airgap build",
            AirgapCommand::Install(_) => "airgap install",
            AirgapCommand::Push(_) => "airgap push",
            AirgapCommand::Pull(_) => "airgap pull",
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The wheelhouse to pack as it is. Without it, the wheelhouse stage
    /// runs first (from -r/--lock, else [inputs]) into [wheelhouse] dir.
    #[arg(conflicts_with_all = ["requirement", "lock"])]
    pub wheelhouse: Option<PathBuf>,
    /// Build the wheelhouse from this requirements file first (repeatable).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement: Vec<PathBuf>,
    /// Build the wheelhouse from this lock (pylock.toml or uv.lock) first.
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    #[command(flatten)]
    pub targets: super::inputs::TargetArgs,
    /// The bundle to write.
    #[arg(
        long,
        short = 'o',
        default_value = "bundle.tar.gz",
        value_name = "FILE"
    )]
    pub output: PathBuf,
    /// The private key to sign with (default: [signing] key).
    #[arg(long, value_name = "KEY", conflicts_with = "unsigned")]
    pub key: Option<PathBuf>,
    /// Build without signatures (the provenance is still included).
    #[arg(long)]
    pub unsigned: bool,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The bundle (.tar.gz) to verify and install.
    pub bundle: PathBuf,
    /// The interpreter to install with (its environment receives the packages).
    #[arg(long, value_name = "PATH", required_unless_present = "venv")]
    pub python: Option<PathBuf>,
    /// A virtual environment to install into; made (with --python, else
    /// python3) when it does not exist.
    #[arg(long, value_name = "DIR")]
    pub venv: Option<PathBuf>,
    /// The public key the bundle must be signed with (default: [signing]
    /// public-key).
    #[arg(long, value_name = "PUB")]
    pub key: Option<PathBuf>,
    /// Install this target instead of the one matching the interpreter.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// Refuse a bundle that expands to more than this many bytes (default:
    /// the wheels its manifest lists plus 256 MiB, at most 16 GiB).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
}

pub async fn run(command: AirgapCommand, ctx: &Context) -> Result<Exit> {
    match command {
        AirgapCommand::Build(args) => build(args, ctx).await,
        AirgapCommand::Install(args) => install(args, ctx),
        AirgapCommand::Push(args) => push(args, ctx).await,
        AirgapCommand::Pull(args) => pull(args, ctx).await,
    }
}

fn registry(
    ctx: &Context,
    reference: &chiron::oci::Reference,
    plain_http: bool,
) -> Result<chiron::oci::Registry> {
    let loaded = ctx.require_config()?;
    let client = super::scan::advisory_client(loaded)?;
    let docker_config = ctx.env.get("DOCKER_CONFIG").map(PathBuf::from);
    let home = ctx.env.get("HOME").map(PathBuf::from);
    let credentials = chiron::oci::docker_credentials(
        &reference.registry,
        docker_config.as_deref(),
        home.as_deref(),
    );
    Ok(chiron::oci::Registry::new(
        client,
        reference.clone(),
        plain_http,
        credentials,
    ))
}

async fn push(args: PushArgs, ctx: &Context) -> Result<Exit> {
    let bundle = ctx.cwd.join(&args.bundle);
    let sbom =
        chiron::bundle::archive::read_entry(&bundle, "sbom.cdx.json", 256 << 20).map_err(|e| {
            UsageError {
                message: format!("{} is not a readable bundle: {e}", bundle.display()),
                hint: "build one with `chiron airgap build`".into(),
            }
        })?;
    let created = super::sbom::source_date_epoch(ctx)?.map(chiron::time::rfc3339);
    let artifact = chiron::oci::Artifact::from_bundle(&bundle, sbom, created)?;
    let (place, digest) = match (&args.oci_layout, &args.target) {
        (Some(dir), _) => {
            let dir = ctx.cwd.join(dir);
            let digest = artifact.write_layout(&dir, &args.tag)?;
            (format!("{}:{}", dir.display(), args.tag), digest)
        }
        (None, Some(target)) => {
            let reference = chiron::oci::Reference::parse(target)?;
            let mut registry = registry(ctx, &reference, args.plain_http)?;
            let bar = super::progress::ByteProgress::new(ctx.progress, "pushing");
            let update = |what: &str, done: u64, total: Option<u64>| bar.update(what, done, total);
            let digest = registry
                .push(&artifact, &update)
                .instrument(tracing::info_span!("airgap.push", registry = %reference.registry))
                .await?;
            (target.clone(), digest)
        }
        (None, None) => unreachable!("clap requires a target or --oci-layout"),
    };
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "pushed": place, "digest": digest, "layers": artifact.layers.iter().map(|l| &l.title).collect::<Vec<_>>() }))?;
    } else {
        ctx.out.text(&format!(
            "{}pushed{:#} {place}
digest {digest}
",
            style::OK,
            style::OK
        ))?;
    }
    Ok(Exit::Ok)
}

async fn pull(args: PullArgs, ctx: &Context) -> Result<Exit> {
    let out = ctx.cwd.join(&args.output);
    let titles = match (&args.oci_layout, &args.source) {
        (Some(dir), _) => chiron::oci::read_layout_to(&ctx.cwd.join(dir), &args.tag, &out)?,
        (None, Some(source)) => {
            let reference = chiron::oci::Reference::parse(source)?;
            let mut registry = registry(ctx, &reference, args.plain_http)?;
            let bar = super::progress::ByteProgress::new(ctx.progress, "pulling");
            let update = |what: &str, done: u64, total: Option<u64>| bar.update(what, done, total);
            registry
                .pull_to(&out, &update)
                .instrument(tracing::info_span!("airgap.pull", registry = %reference.registry))
                .await?
        }
        (None, None) => unreachable!("clap requires a source or --oci-layout"),
    };
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "files": titles, "output": out }))?;
    } else {
        let names: Vec<&str> = titles.iter().map(String::as_str).collect();
        ctx.out.text(&format!(
            "{}pulled{:#} {} into {}
check it before use: chiron verify {} --key cosign.pub
",
            style::OK,
            style::OK,
            names.join(", "),
            out.display(),
            out.join(
                names
                    .iter()
                    .find(|n| n.ends_with(".tar.gz"))
                    .copied()
                    .unwrap_or("bundle.tar.gz")
            )
            .display()
        ))?;
    }
    Ok(Exit::Ok)
}

async fn build(args: BuildArgs, ctx: &Context) -> Result<Exit> {
    let loaded = ctx.require_config()?;
    let inputs = &loaded.config.inputs;
    let configured =
        !inputs.requirements.is_empty() || inputs.pyproject.is_some() || inputs.lock.is_some();
    let wheelhouse = match &args.wheelhouse {
        Some(dir) => ctx.cwd.join(dir),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    if args.wheelhouse.is_none()
        && (!args.requirement.is_empty() || args.lock.is_some() || configured)
    {
        // Straight from requirements: the wheelhouse stage first (a no-op
        // when it is up to date), then the bundle.
        let stage_args = super::wheelhouse::WheelhouseArgs {
            inputs: super::inputs::InputArgs {
                requirements: Vec::new(),
                files: args.requirement.clone(),
                constraints: Vec::new(),
                ..Default::default()
            },
            targets: super::inputs::TargetArgs {
                python: args.targets.python.clone(),
                platforms: args.targets.platforms.clone(),
            },
            extras: Vec::new(),
            groups: Vec::new(),
            out: None,
            exclude_newer: None,
            locked: false,
            allow_sdist: false,
            lock: args.lock.clone(),
            no_gate: false,
            allow_gaps: false,
            sources: super::scan::SourceArgs::default(),
        };
        let stage = super::wheelhouse::stage(&stage_args, ctx).await?;
        eprintln!(
            "wheelhouse {}: {} file(s), {} downloaded",
            stage.report.wheelhouse.display(),
            stage.report.files,
            stage.report.downloaded
        );
    }
    let key = if args.unsigned {
        None
    } else if args.key.is_none() && loaded.config.signing.key.is_none() {
        return Err(UsageError {
            message: "no key to sign the bundle with".into(),
            hint: "pass --key (make one with `chiron keys generate`), set [signing] key, or pass --unsigned".into(),
        }
        .into());
    } else {
        Some(load_private_key(ctx, &args.key)?)
    };
    let epoch = match super::sbom::source_date_epoch(ctx)? {
        Some(epoch) if epoch >= 0 => epoch as u64,
        Some(_) => {
            return Err(UsageError {
                message: "SOURCE_DATE_EPOCH is before 1970".into(),
                hint: "set it to a Unix time, e.g. `git log -1 --format=%ct`".into(),
            }
            .into());
        }
        None => chiron::bundle::DEFAULT_EPOCH,
    };
    // No `chiron wheelhouse` replaces the wheelhouse while it is checked
    // and packed. Where its lock cannot be made (a read-only place), it is
    // packed as it is.
    let wheelhouse_lock = chiron::atomic::OutputLock::acquire(&wheelhouse).ok();
    if wheelhouse_lock.is_some() && wheelhouse.is_dir() {
        // What a killed writer of an older chiron left inside is not part
        // of the wheelhouse: removed, not a reason to refuse it.
        match chiron::atomic::remove_temp_files_in(&wheelhouse) {
            Ok(removed) if !removed.is_empty() => eprintln!(
                "removed what killed runs left in {}: {}",
                wheelhouse.display(),
                removed.join(", ")
            ),
            _ => {}
        }
    }
    // The wheelhouse must itself verify before it is packed.
    let check = chiron::bundle::verify::verify_dir(&wheelhouse, false, None);
    if !check.passed() {
        for problem in &check.problems {
            eprintln!("{}: {}: {}", problem.kind, problem.path, problem.message);
        }
        return Err(UsageError {
            message: format!("{} does not verify: {} problem(s)", wheelhouse.display(), check.problems.len()),
            hint: "rebuild it with `chiron wheelhouse` (a policy failure: fix it, or rebuild with a policy that allows it)".into(),
        }
        .into());
    }
    let out = ctx.cwd.join(&args.output);
    // One build at a time per bundle; then what killed builds left there
    // (`.chiron-tmp-NAME.XXXXXX`) goes.
    let _bundle_lock = chiron::atomic::OutputLock::acquire(&out)
        .with_context(|| format!("cannot lock {}", out.display()))?;
    chiron::atomic::recover_and_clean(&out).with_context(|| {
        format!(
            "cannot remove the leftovers of killed builds next to {}",
            out.display()
        )
    })?;
    let report = {
        let _span =
            tracing::info_span!("airgap.build", wheelhouse = %wheelhouse.display()).entered();
        chiron::bundle::build(
            &wheelhouse,
            &out,
            &chiron::bundle::BuildOptions {
                key: key.as_ref(),
                epoch,
                command: "chiron airgap build".into(),
            },
        )?
    };
    drop(wheelhouse_lock);
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        ctx.out.text(&format!(
            "{}wrote{:#} {}: {} file(s), {} bytes, {}\nsha256 {}\n",
            style::OK,
            style::OK,
            report.bundle.display(),
            report.files,
            report.size,
            if report.signed { "signed" } else { "unsigned" },
            report.sha256
        ))?;
    }
    Ok(Exit::Ok)
}

fn install(args: InstallArgs, ctx: &Context) -> Result<Exit> {
    let bundle = ctx.cwd.join(&args.bundle);
    let key = load_public_key(ctx, &args.key)?;
    let (_scratch, dir, report) = verify_bundle(&bundle, key.as_ref(), args.max_size)?;
    if !report.passed() {
        for problem in &report.problems {
            eprintln!("{}: {}: {}", problem.kind, problem.path, problem.message);
        }
        eprintln!("nothing was installed");
        return Ok(Exit::Problems);
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let base = args.python.as_ref().map(|p| {
        if p.components().count() > 1 {
            ctx.cwd.join(p)
        } else {
            p.clone()
        }
    });
    let python = match &args.venv {
        Some(venv) => {
            let venv = ctx.cwd.join(venv);
            let bin = venv.join(if cfg!(windows) {
                "Scripts/python.exe"
            } else {
                "bin/python"
            });
            if !bin.exists() {
                let maker = base.clone().unwrap_or_else(|| PathBuf::from("python3"));
                let status = std::process::Command::new(&maker)
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .with_context(|| format!("cannot run {}", maker.display()))?;
                if !status.success() {
                    return Err(UsageError {
                        message: format!("{} -m venv {} failed", maker.display(), venv.display()),
                        hint: "install the venv module (Debian: python3-venv), or pass --python"
                            .into(),
                    }
                    .into());
                }
            }
            bin
        }
        None => base.expect("clap requires --python without --venv"),
    };
    let requirements = match &args.target {
        Some(target) => format!("requirements-{target}.txt"),
        None => {
            let output = std::process::Command::new(&python)
                .arg(dir.join("select_target.py"))
                .output()
                .with_context(|| format!("cannot run {}", python.display()))?;
            if !output.status.success() {
                return Err(UsageError {
                    message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
                    hint: "pass --target NAME to choose one, or use an interpreter the bundle was built for".into(),
                }
                .into());
            }
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        }
    };
    if !dir.join(&requirements).is_file() {
        let gap = args.target.as_ref().and_then(|name| {
            chiron::wheelhouse::build::read_manifest(&dir)?
                .gaps
                .into_iter()
                .find(|g| &g.name == name)
        });
        if let Some(gap) = gap {
            return Err(UsageError {
                message: format!(
                    "the bundle does not serve {}: it was built with gaps allowed, and this target is one:\n{}",
                    gap.name, gap.reason
                ),
                hint: format!("where the bundle is built: {}", gap.hint),
            }
            .into());
        }
        return Err(UsageError {
            message: format!("the bundle has no {requirements}"),
            hint: "see README.txt in the bundle for its targets".into(),
        }
        .into());
    }
    eprintln!("installing {requirements} with {}", python.display());
    let status = std::process::Command::new(&python)
        .args(["-m", "pip", "install", "--no-index", "--find-links"])
        .arg(dir.join("wheels"))
        .arg("--require-hashes")
        .arg("-r")
        .arg(dir.join(&requirements))
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .status()
        .with_context(|| format!("cannot run {} -m pip", python.display()))?;
    if !status.success() {
        eprintln!("pip failed ({status})");
        return Ok(Exit::Problems);
    }
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "installed": requirements, "python": python }))?;
    } else {
        ctx.out.text(&format!(
            "{}installed{:#} {requirements} into {}\n",
            style::OK,
            style::OK,
            python.display()
        ))?;
    }
    Ok(Exit::Ok)
}
