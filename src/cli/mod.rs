//! The command line: clap definitions, one file per subcommand, and the one
//! place where errors and results are rendered for people or machines.

mod airgap;
mod build;
mod config;
pub mod context;
mod doctor;
mod init;
mod inputs;
mod lock;
mod manage;
mod policy;
mod progress;
mod publish;
mod release;
mod sbom;
mod scan;
mod serve;
mod sign;
pub mod style;
mod subject;
mod wheelhouse;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anstream::ColorChoice;
use clap::{Args, Parser, Subcommand, ValueEnum};

use chiron::error::{ExitClass, Result};

// For the subcommands that still name these through `super::`.
pub use chiron::error::UsageError;
use context::Printer;
pub use context::{Context, Exit};

/// chiron: resolve, download, lock, scan, sign and bundle Python wheels for
/// every target you ship to, and verify them on the other side of an air gap.
#[derive(Debug, Parser)]
#[command(
    name = "chiron",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// More output on stderr (-v: info, -vv: debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Machine-readable JSON on stdout, and nothing else on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorMode::Auto, global = true, value_name = "WHEN")]
    pub color: ColorMode,
    /// Never draw progress bars (they are drawn only when stderr is a terminal).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Use this configuration file instead of searching for chiron.toml or
    /// [tool.chiron] in pyproject.toml.
    #[arg(long, global = true, value_name = "PATH", env = "CHIRON_CONFIG")]
    pub config: Option<PathBuf>,
    /// Use only the local cache; never contact an index.
    #[arg(long, global = true)]
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented chiron.toml for the Python project in this folder.
    Init(init::InitArgs),
    /// Check configuration, interpreters, indexes, cache, keys, telemetry and disk.
    Doctor(doctor::DoctorArgs),
    /// Show the effective configuration or its JSON Schema.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Resolve the requirements for every target, download every wheel once
    /// with hash verification, and write locks, SHA256SUMS and a manifest.
    Wheelhouse(Box<wheelhouse::WheelhouseArgs>),
    /// Resolve every target without downloading wheels and write pylock.toml
    /// and hash-pinned requirements per target, keeping existing pins unless
    /// asked to upgrade; --check for CI.
    Lock(Box<lock::LockArgs>),
    /// Download exact packages into a folder, or list a folder's packages.
    #[command(subcommand)]
    Manage(manage::ManageCommand),
    /// Write an SBOM (CycloneDX 1.6/1.5, or SPDX 2.3) of a wheelhouse, a
    /// lock, a folder of wheels or an installed environment.
    Sbom(sbom::SbomArgs),
    /// Find known vulnerabilities (OSV database, OSV API or the index's
    /// JSON API); exit 1 when there are any.
    Scan(scan::ScanArgs),
    /// Check licences, packages, vulnerabilities, sources, hashes and
    /// release age against [policy] (and Rego policies).
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Make cosign-compatible signing keys.
    #[command(subcommand)]
    Keys(sign::KeysCommand),
    /// Sign a file with a cosign-format key (FILE.sig, as `cosign sign-blob`).
    Sign(sign::SignArgs),
    /// Verify a bundle, a wheelhouse folder, or a signed file; exit 1 when
    /// anything does not match.
    Verify(sign::VerifyArgs),
    /// Build the project's sdist and wheel with its PEP 517 backend, from
    /// hash-pinned build requirements, reproducibly; --check builds twice
    /// and compares.
    Build(Box<build::BuildArgs>),
    /// Next version from Conventional Commits, changelog, version files,
    /// commit and tag, then a checked, gated, signed build: a dry run
    /// unless --execute.
    #[command(disable_version_flag = true)]
    Release(Box<release::ReleaseArgs>),
    /// Upload wheels and sdists to a package index (PyPI, pypiserver,
    /// devpi, Artifactory), skipping files it holds already; trusted
    /// publishing in GitHub Actions.
    Publish(Box<publish::PublishArgs>),
    /// Build and install air-gap bundles.
    #[command(subcommand)]
    Airgap(airgap::AirgapCommand),
    /// Serve a wheelhouse, a folder or a bundle as a package index (PEP
    /// 503 HTML, PEP 691 JSON, PEP 658 metadata) on 127.0.0.1:8080, or
    /// export it as static files.
    Serve(Box<serve::ServeArgs>),
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Init(_) => "init",
            Command::Doctor(_) => "doctor",
            Command::Config(command) => command.name(),
            Command::Manage(command) => command.name(),
            Command::Wheelhouse(_) => "wheelhouse",
            Command::Lock(_) => "lock",
            Command::Sbom(_) => "sbom",
            Command::Scan(_) => "scan",
            Command::Policy(_) => "policy check",
            Command::Keys(_) => "keys generate",
            Command::Sign(_) => "sign",
            Command::Verify(_) => "verify",
            Command::Build(_) => "build",
            Command::Release(_) => "release",
            Command::Publish(_) => "publish",
            Command::Airgap(command) => command.name(),
            Command::Serve(_) => "serve",
        }
    }
}

pub async fn run(command: Command, ctx: &Context) -> Result<Exit> {
    match command {
        Command::Init(args) => init::run(args, ctx),
        Command::Doctor(args) => doctor::run(args, ctx).await,
        Command::Config(command) => config::run(command, ctx),
        Command::Manage(command) => manage::run(command, ctx).await,
        Command::Wheelhouse(args) => wheelhouse::run(*args, ctx).await,
        Command::Lock(args) => lock::run(*args, ctx).await,
        Command::Sbom(args) => sbom::run(args, ctx),
        Command::Scan(args) => scan::run(args, ctx).await,
        Command::Policy(command) => policy::run(command, ctx).await,
        Command::Keys(sign::KeysCommand::Generate(args)) => sign::generate(args, ctx),
        Command::Sign(args) => sign::sign(args, ctx),
        Command::Verify(args) => sign::verify(args, ctx),
        Command::Build(args) => build::run(*args, ctx).await,
        Command::Release(args) => release::run(*args, ctx).await,
        Command::Publish(args) => publish::run(*args, ctx).await,
        Command::Airgap(command) => airgap::run(command, ctx).await,
        Command::Serve(args) => serve::run(*args, ctx).await,
    }
}

/// Applies `--color` to everything written through anstream, and says
/// whether stderr should be coloured.
pub fn apply_color(mode: ColorMode) -> bool {
    let choice = match mode {
        ColorMode::Auto => ColorChoice::Auto,
        ColorMode::Always => ColorChoice::Always,
        ColorMode::Never => ColorChoice::Never,
    };
    choice.write_global();
    match mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// The exit code an error maps to: its class, as the error says.
pub fn exit_for(error: &chiron::Error) -> Exit {
    match error.exit_class() {
        ExitClass::Usage => Exit::Usage,
        ExitClass::Problems => Exit::Problems,
    }
}

/// Renders an error once: on stderr for people, plus a JSON object on
/// stdout with `--json`.
pub fn report_error(error: &chiron::Error, json: bool, exit: Exit) {
    let hint = error.hint();
    let causes: Vec<String> =
        std::iter::successors(std::error::Error::source(error), |cause| cause.source())
            .map(ToString::to_string)
            .collect();
    if json {
        let mut value = serde_json::json!({
            "error": {
                "message": error.to_string(),
                "causes": causes,
                "hint": hint,
            },
            "exit_code": exit as u8,
        });
        // Targets that cannot be served, as manifest.json would record them.
        if let chiron::Error::Wheelhouse(chiron::wheelhouse::build::WheelhouseError::Gaps {
            gaps,
            ..
        }) = error.root()
        {
            value["error"]["gaps"] = serde_json::json!(gaps);
        }
        let _ = Printer { json, quiet: false }.json(&value);
    }
    let mut stderr = anstream::stderr().lock();
    let fail = style::FAIL;
    let _ = writeln!(stderr, "{fail}error{fail:#}: {error}");
    for cause in &causes {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    if let Some(hint) = hint {
        let h = style::HINT;
        let _ = writeln!(stderr, "{h}hint{h:#}: {hint}");
    }
}
