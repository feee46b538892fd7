//! `chiron wheelhouse`: resolve and download for every target, write locks,
//! checksums and the manifest.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::Args;

use chiron::config::OnGap;
use chiron::doctor::human_bytes;
use chiron::index::client::IndexClient;
use chiron::resolve::ResolveOptions;
use chiron::wheelhouse::build::{Built, WheelhouseRequest, build_wheelhouse};

use super::inputs::{ConfigInputs, InputArgs, TargetArgs, gather, targets};
use super::progress::StageProgress;
use super::{Context, Exit, UsageError, style};

#[derive(Debug, Args)]
pub struct WheelhouseArgs {
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

/// What one wheelhouse stage produced: the build, the gate and the gate's
/// scan report as written to `scan.json`.
pub struct Stage {
    pub report: chiron::wheelhouse::build::WheelhouseReport,
    pub gate: super::policy::Gate,
    pub scan_json: serde_json::Value,
}

/// Builds the wheelhouse and runs the gate, writing `scan.json` and
/// `policy.json`, all in a staging folder that then replaces the
/// wheelhouse in one exchange; prints nothing on stdout.
pub async fn stage(args: &WheelhouseArgs, ctx: &Context) -> Result<Stage> {
    let loaded = ctx.require_config()?;
    let gathered = gather(
        &args.inputs,
        ctx,
        loaded,
        Some(ConfigInputs {
            extras: &args.extras,
            groups: &args.groups,
        }),
    )?;
    let lock = match &args.lock {
        Some(lock) => Some(super::inputs::check_lock_input(&ctx.cwd.join(lock))?),
        None => gathered.lock.clone(),
    };
    let targets = match lock
        .as_deref()
        .map(|lock| super::inputs::targets_of_lock(&args.targets, loaded, lock))
        .transpose()?
        .flatten()
    {
        Some(recorded) => recorded,
        None => targets(&args.targets, loaded)?,
    };
    let mut input_files = gathered.input_files;
    input_files.extend(lock.clone());
    if gathered.requirements.is_empty() && lock.is_none() {
        return Err(UsageError {
            message: "no requirements to resolve".into(),
            hint: "name them (`chiron wheelhouse requests`), pass -r requirements.txt, or set [inputs] in chiron.toml (`chiron init`)".into(),
        }
        .into());
    }
    let exclude_newer = args
        .exclude_newer
        .as_deref()
        .map(normalize_time)
        .transpose()?;
    let out = match &args.out {
        Some(out) => ctx.cwd.join(out),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    let client = Arc::new(IndexClient::new(gathered.settings)?);
    let request = WheelhouseRequest {
        hashes: gathered.hashes,
        requirements: gathered.requirements,
        constraints: gathered.constraints,
        direct: gathered.direct,
        input_files,
        targets,
        out: out.clone(),
        options: ResolveOptions {
            allow_prereleases: gathered.pre,
            allow_sdist: args.allow_sdist || loaded.config.policy.allow_sdist,
            exclude_newer,
            formats: gathered.formats,
            ..Default::default()
        },
        locked: args.locked,
        lock,
        project: super::sbom::project_name(ctx, loaded),
        source_date_epoch: super::sbom::source_date_epoch(ctx)?,
        lock_extras: if args.extras.is_empty() {
            loaded.config.inputs.extras.clone()
        } else {
            args.extras.clone()
        },
        lock_groups: if args.groups.is_empty() {
            loaded.config.inputs.groups.clone()
        } else {
            args.groups.clone()
        },
        on_gap: if args.allow_gaps {
            OnGap::Skip
        } else {
            loaded.config.targets.on_gap
        },
    };
    request.options.check_formats().map_err(|e| UsageError {
        message: e.to_string(),
        hint: "pass --allow-sdist to build the wheelhouse from those sdists, or drop --no-binary"
            .into(),
    })?;
    let bar = StageProgress::new(ctx.progress);
    let Built { report, staged } = build_wheelhouse(client, &request, &bar)
        .await
        .with_context(|| format!("building the wheelhouse {}", out.display()))?;
    drop(bar);
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

    // The gate: scan and policy over what was just staged, reported next
    // to the manifest every run (advisories change while inputs do not).
    let manifest = chiron::wheelhouse::build::read_manifest(staged.path()).with_context(|| {
        format!(
            "reading back the manifest.json staged for {}",
            out.display()
        )
    })?;
    let inventory = chiron::inventory::Inventory {
        kind: chiron::inventory::Kind::Wheelhouse,
        path: out.clone(),
        manifest,
    };
    let mut policy = loaded.config.policy.clone();
    policy.allow_sdist |= args.allow_sdist;
    let gate = super::policy::gate(&inventory, &args.sources, &policy, loaded, ctx).await?;
    let scan_json = match &gate.scan {
        Ok(scan) => serde_json::to_value(scan)?,
        Err(reason) => serde_json::json!({ "skipped": reason }),
    };
    let write_report = |name: &str, value: serde_json::Value| -> Result<()> {
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        staged
            .write_report(name, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.join(name).display()))
    };
    write_report("scan.json", scan_json.clone())?;
    write_report("policy.json", serde_json::to_value(&gate.policy)?)?;
    staged
        .publish()
        .with_context(|| format!("cannot put the new wheelhouse at {}", out.display()))?;
    Ok(Stage {
        report,
        gate,
        scan_json,
    })
}

pub async fn run(args: WheelhouseArgs, ctx: &Context) -> Result<Exit> {
    let Stage {
        report,
        gate,
        scan_json,
    } = stage(&args, ctx).await?;
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

/// `2026-01-31` or an RFC 3339 time (offsets converted), as
/// `YYYY-MM-DDTHH:MM:SS` in UTC.
pub(super) fn normalize_time(text: &str) -> Result<String> {
    let epoch = chiron::time::parse(text).ok_or_else(|| UsageError {
        message: format!("`{}` is not a date or an RFC 3339 time", text.trim()),
        hint: "write --exclude-newer 2026-01-31 or 2026-01-31T12:00:00Z".into(),
    })?;
    Ok(chiron::time::rfc3339(epoch)
        .trim_end_matches('Z')
        .to_string())
}
