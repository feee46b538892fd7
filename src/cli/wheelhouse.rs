//! `chiron wheelhouse`: resolve and download for every target, write locks,
//! checksums and the manifest.

use std::path::PathBuf;

use clap::Args;

use chiron::doctor::human_bytes;
use chiron::error::Result;
use chiron::workflow::wheelhouse::{Stage, StageRequest};

use super::context::{Context, Exit};
use super::inputs::{InputArgs, ProjectArgs, TargetArgs};
use super::progress::StageProgress;
use super::style;

#[derive(Debug, Args)]
pub struct WheelhouseArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Output folder (default: [wheelhouse] dir).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Ignore files uploaded after this time, for reproducible resolutions
    /// (RFC 3339, e.g. 2026-01-31T00:00:00Z, or a date).
    #[arg(long, value_name = "TIME")]
    pub exclude_newer: Option<String>,
    /// Fail instead of resolving again when the inputs changed since the
    /// wheelhouse was built.
    #[arg(long, alias = "frozen")]
    pub locked: bool,
    /// Use source distributions with static metadata (PKG-INFO 2.2+, no
    /// dynamic dependencies) for versions without a wheel for a target
    /// (default: [policy] allow-sdist).
    #[arg(long)]
    pub allow_sdist: bool,
    /// Install exactly what this lock lists, without resolving: a PEP 751
    /// pylock.toml or a uv.lock (default: [inputs] lock).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["requirements", "files"])]
    pub lock: Option<PathBuf>,
    /// Report the vulnerability scan and policy (scan.json, policy.json)
    /// without failing the run on violations.
    #[arg(long)]
    pub no_gate: bool,
    /// Write every target that can be served, and record each one that
    /// cannot (a package without a wheel for it) as a gap in manifest.json,
    /// the SBOM and policy.json, instead of failing and writing nothing
    /// (default: [targets] on-gap).
    #[arg(long)]
    pub allow_gaps: bool,
    #[command(flatten)]
    pub sources: super::scan::SourceArgs,
}

/// The gate's part of `--json`.
#[derive(serde::Serialize)]
struct WithGate<'a, T: serde::Serialize> {
    #[serde(flatten)]
    report: &'a T,
    scan: serde_json::Value,
    policy: &'a chiron::policy::PolicyReport,
}

impl WheelhouseArgs {
    pub fn request(&self) -> StageRequest {
        StageRequest {
            inputs: self.inputs.request(),
            targets: self.targets.request(),
            project: self.project.selection(),
            out: self.out.clone(),
            exclude_newer: self.exclude_newer.clone(),
            locked: self.locked,
            allow_sdist: self.allow_sdist,
            lock: self.lock.clone(),
            allow_gaps: self.allow_gaps,
            sources: self.sources.request(),
        }
    }
}

/// Runs the wheelhouse stage with progress on stderr, and says there
/// which targets it could not serve.
pub async fn stage(request: &StageRequest, ctx: &Context) -> Result<Stage> {
    let ws = ctx.workspace()?;
    let bar = StageProgress::new(ctx.progress);
    let stage = chiron::workflow::wheelhouse::stage(&ws, request, &bar).await?;
    drop(bar);
    let report = &stage.report;
    if !report.gaps.is_empty() {
        // Said on stderr whatever the output format: a run with gaps passes,
        // and nobody must miss that it did not serve everything.
        eprintln!(
            "warning: {} declared target(s) not served, gaps allowed (--allow-gaps / [targets] on-gap = \"skip\"); manifest.json records them:",
            report.gaps.len()
        );
        for gap in &report.gaps {
            if gap.packages.is_empty() {
                eprintln!("  {}: the requirements conflict; {}", gap.name, gap.hint);
            }
            for package in &gap.packages {
                eprintln!(
                    "  {}: no wheel of {}: {}\n    fix: {}",
                    gap.name, package.package, package.reason, package.hint
                );
            }
        }
    }
    Ok(stage)
}

pub async fn run(args: WheelhouseArgs, ctx: &Context) -> Result<Exit> {
    let Stage {
        report,
        gate,
        scan_json,
    } = stage(&args.request(), ctx).await?;
    let exit = if gate.policy.passed || args.no_gate {
        Exit::Ok
    } else {
        Exit::Problems
    };
    if ctx.out.json {
        ctx.out.json(&WithGate {
            report: &report,
            scan: scan_json,
            policy: &gate.policy,
        })?;
        return Ok(exit);
    }
    let mut text = String::new();
    let width = report
        .targets
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    let width = report
        .gaps
        .iter()
        .map(|g| g.name.len())
        .max()
        .unwrap_or(0)
        .max(width);
    for target in &report.targets {
        text.push_str(&format!(
            "{:<width$}  {:>3} package(s)  {}\n",
            target.name, target.packages, target.requirements_file
        ));
    }
    for gap in &report.gaps {
        let names: Vec<&str> = gap.packages.iter().map(|p| p.package.as_str()).collect();
        let what = if names.is_empty() {
            "the requirements conflict".to_string()
        } else {
            format!("no wheel of {}", names.join(", "))
        };
        text.push_str(&format!(
            "{:<width$}  {}gap{:#}: {what}\n",
            gap.name,
            style::WARN,
            style::WARN
        ));
    }
    let state = if report.up_to_date {
        format!("{}up to date{:#}", style::OK, style::OK)
    } else {
        format!("{}written{:#}", style::OK, style::OK)
    };
    text.push_str(&format!(
        "\n{state}: {} — {} file(s), {} ({} downloaded)\n",
        report.wheelhouse.display(),
        report.files,
        human_bytes(report.bytes),
        report.downloaded
    ));
    // A scan that could not run is said once, by the policy's
    // `vulnerability-scan-missing` below.
    if let Ok(scan) = &gate.scan {
        text.push_str(&format!(
            "scan: {} open vulnerabilit{} ({} ignored) from the {}\n",
            scan.open(),
            if scan.open() == 1 { "y" } else { "ies" },
            scan.vulnerable
                .iter()
                .map(|p| p.ignored.len())
                .sum::<usize>(),
            scan.source
        ));
    }
    if !gate.policy.findings.is_empty() {
        text.push('\n');
        text.push_str(&super::policy::table(&gate.policy));
    } else {
        text.push_str(&format!("{}policy passed{:#}\n", style::OK, style::OK));
    }
    if !gate.policy.passed && args.no_gate {
        text.push_str("--no-gate: the violations above are reported, not enforced\n");
    }
    ctx.out.text(&text)?;
    Ok(exit)
}
