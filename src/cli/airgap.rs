//! `chiron airgap build` and `chiron airgap install`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use chiron::error::Result;
use chiron::workflow::PlanError;
use chiron::workflow::airgap::{OciPlace, open_bundle};
use chiron::workflow::wheelhouse::StageRequest;

use super::sign::{load_private_key, load_public_key};
use super::{Context, Exit, style};

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
    /// Carry the project's build wheelhouse too (what `chiron build`
    /// locked and fetched), under build-wheelhouse/, so the project can be
    /// rebuilt there with `chiron build --offline --build-wheelhouse`.
    #[arg(long)]
    pub with_build_deps: bool,
    /// The build wheelhouse to carry (default: the project's, in the cache).
    #[arg(long, value_name = "DIR", requires = "with_build_deps")]
    pub build_wheelhouse: Option<PathBuf>,
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

impl PushArgs {
    fn place(&self) -> OciPlace {
        match (&self.oci_layout, &self.target) {
            (Some(dir), _) => OciPlace::Layout {
                dir: dir.clone(),
                tag: self.tag.clone(),
            },
            (None, target) => OciPlace::Registry {
                // clap requires a target without --oci-layout.
                reference: target.clone().unwrap_or_default(),
                plain_http: self.plain_http,
            },
        }
    }
}

impl PullArgs {
    fn place(&self) -> OciPlace {
        match (&self.oci_layout, &self.source) {
            (Some(dir), _) => OciPlace::Layout {
                dir: dir.clone(),
                tag: self.tag.clone(),
            },
            (None, source) => OciPlace::Registry {
                // clap requires a source without --oci-layout.
                reference: source.clone().unwrap_or_default(),
                plain_http: self.plain_http,
            },
        }
    }
}

async fn push(args: PushArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let bar = super::progress::ByteProgress::new(ctx.progress, "pushing");
    let update = |what: &str, done: u64, total: Option<u64>| bar.update(what, done, total);
    let pushed = chiron::workflow::airgap::push(&ws, &args.bundle, &args.place(), &update).await?;
    drop(bar);
    let (place, digest) = (&pushed.place, &pushed.digest);
    if ctx.out.json {
        ctx.out.json(
            &serde_json::json!({ "pushed": place, "digest": digest, "layers": pushed.layers }),
        )?;
    } else {
        ctx.out.text(&format!(
            "{}pushed{:#} {place}\ndigest {digest}\n",
            style::OK,
            style::OK
        ))?;
    }
    Ok(Exit::Ok)
}

async fn pull(args: PullArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let out = ctx.cwd.join(&args.output);
    let bar = super::progress::ByteProgress::new(ctx.progress, "pulling");
    let update = |what: &str, done: u64, total: Option<u64>| bar.update(what, done, total);
    let titles = chiron::workflow::airgap::pull(&ws, &args.place(), &out, &update).await?;
    drop(bar);
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "files": titles, "output": out }))?;
    } else {
        let names: Vec<&str> = titles.iter().map(String::as_str).collect();
        let bundle = names
            .iter()
            .find(|n| n.ends_with(".tar.gz"))
            .copied()
            .unwrap_or("bundle.tar.gz");
        ctx.out.text(&format!(
            "{}pulled{:#} {} into {}\ncheck it before use: chiron verify {} --key cosign.pub\n",
            style::OK,
            style::OK,
            names.join(", "),
            out.display(),
            out.join(bundle).display()
        ))?;
    }
    Ok(Exit::Ok)
}

impl BuildArgs {
    /// The wheelhouse stage to run first, when the bundle is built
    /// straight from requirements (or the configuration's inputs).
    fn stage(&self, ctx: &Context) -> Result<Option<StageRequest>> {
        let inputs = &ctx.require_config()?.config.inputs;
        let configured =
            !inputs.requirements.is_empty() || inputs.pyproject.is_some() || inputs.lock.is_some();
        let from_inputs = !self.requirement.is_empty() || self.lock.is_some() || configured;
        if self.wheelhouse.is_some() || !from_inputs {
            return Ok(None);
        }
        let mut request = StageRequest {
            targets: self.targets.request(),
            lock: self.lock.clone(),
            ..StageRequest::default()
        };
        request.inputs.files = self.requirement.clone();
        Ok(Some(request))
    }
}

async fn build(args: BuildArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let loaded = ws.config;
    let wheelhouse = match &args.wheelhouse {
        Some(dir) => ctx.cwd.join(dir),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    let output = ctx.cwd.join(&args.output);
    // Before any work or password prompt: a bundle over its wheelhouse.
    chiron::workflow::airgap::check_bundle_path(&wheelhouse, &output)?;
    if let Some(request) = args.stage(ctx)? {
        // Straight from requirements: the wheelhouse stage first (a no-op
        // when it is up to date), then the bundle.
        let stage = super::wheelhouse::stage(&request, ctx).await?;
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
        return Err(PlanError::NoSigningKey.into());
    } else {
        Some(load_private_key(ctx, &args.key)?)
    };
    let ready = chiron::workflow::airgap::prepare_wheelhouse(&wheelhouse);
    if !ready.removed.is_empty() {
        eprintln!(
            "removed what killed runs left in {}: {}",
            wheelhouse.display(),
            ready.removed.join(", ")
        );
    }
    for problem in &ready.check.problems {
        eprintln!("{}: {}: {}", problem.kind, problem.path, problem.message);
    }
    let build_wheelhouse = args.with_build_deps.then(|| match &args.build_wheelhouse {
        Some(dir) => ctx.cwd.join(dir),
        None => chiron::workflow::build::default_build_wheelhouse(&ws, &ctx.cwd),
    });
    let report = chiron::workflow::airgap::pack(
        &ws,
        ready,
        &output,
        key.as_ref(),
        build_wheelhouse.as_deref(),
    )?;
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
    let opened = open_bundle(&bundle, key.as_ref(), args.max_size)?;
    if !opened.report.passed() {
        for problem in &opened.report.problems {
            eprintln!("{}: {}: {}", problem.kind, problem.path, problem.message);
        }
        eprintln!("nothing was installed");
        if ctx.out.json {
            ctx.out.json(&serde_json::json!({
                "installed": null,
                "bundle": bundle,
                "passed": false,
                "report": opened.report,
            }))?;
        }
        return Ok(Exit::Problems);
    }
    for note in &opened.report.notes {
        eprintln!("note: {note}");
    }
    let python = chiron::workflow::airgap::installer_python(
        &ctx.cwd,
        args.python.as_deref(),
        args.venv.as_deref(),
    )?;
    let requirements =
        chiron::workflow::airgap::requirements_for(&opened, &python, args.target.as_deref())?;
    eprintln!("installing {requirements} with {}", python.display());
    let status = chiron::workflow::airgap::pip_install(&opened, &python, &requirements)?;
    if !status.success() {
        eprintln!("pip failed ({status})");
        if ctx.out.json {
            ctx.out.json(&serde_json::json!({
                "installed": null,
                "requirements": requirements,
                "python": python,
                "pip_exit_code": status.code(),
            }))?;
        }
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
