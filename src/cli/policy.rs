//! `chiron policy check`: the `[policy]` rules (and Rego policies) over a
//! wheelhouse, a lock, a folder of wheels or an environment, with a
//! vulnerability scan from the configured source; also the gate
//! `chiron wheelhouse` runs.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use chiron::config::LoadedConfig;
use chiron::inventory::Inventory;
use chiron::policy::{Level, PolicyReport, Rules, rego::RegoPolicies};
use chiron::vuln::ScanReport;

use super::scan::{SourceArgs, choose_source, sarif_artifact, scan_with};
use super::{Context, Exit, style};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check the policy; exit 1 on any violation.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub subject: super::subject::SubjectArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Output format (`--json` is `--format json`).
    #[arg(long, value_enum, default_value = "table")]
    pub format: PolicyFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyFormat {
    Table,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// The outcome of the gate: the scan (or why there is none) and the policy.
pub struct Gate {
    pub scan: Result<ScanReport, String>,
    pub policy: PolicyReport,
}

/// Index URLs and find-links files may come from when `[policy]
/// allowed-indexes` is empty: the configured ones and, for a wheelhouse,
/// those it was built from.
fn configured_indexes(loaded: &LoadedConfig, inventory: &Inventory) -> Vec<String> {
    let index = &loaded.config.index;
    let mut out = vec![index.url.clone()];
    out.extend(index.extra_urls.iter().cloned());
    out.extend(index.find_links.iter().cloned());
    out.extend(inventory.manifest.inputs.indexes.iter().cloned());
    out.extend(inventory.manifest.inputs.find_links.iter().cloned());
    out
}

/// Scans `inventory` and checks the policy over it and the scan.
pub async fn gate(
    inventory: &Inventory,
    sources: &SourceArgs,
    policy: &chiron::config::PolicyConfig,
    loaded: &LoadedConfig,
    ctx: &Context,
) -> Result<Gate> {
    let rules = Rules::new(policy, &configured_indexes(loaded, inventory));
    let scan = match choose_source(sources, loaded, ctx)? {
        Ok(source) => scan_with(&inventory.manifest, &source, loaded)
            .await
            .map_err(|e| format!("{e:#}")),
        Err(unavailable) => Err(unavailable.to_string()),
    };
    let _span =
        tracing::info_span!("policy.check", packages = inventory.manifest.packages.len()).entered();
    let mut findings = rules.check(
        inventory,
        scan.as_ref().map_err(String::as_str),
        chiron::time::now(),
    );
    if !policy.rego.is_empty() {
        let paths: Vec<PathBuf> = policy.rego.iter().map(|p| loaded.resolve(p)).collect();
        let mut policies = RegoPolicies::load(&paths)?;
        findings.extend(policies.evaluate(&inventory.manifest.to_json(), &inventory.path)?);
        findings.sort();
    }
    Ok(Gate {
        policy: chiron::policy::report(inventory, findings),
        scan,
    })
}

/// The human report of a policy check.
pub fn table(report: &PolicyReport) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let (paint, word) = match finding.level {
            Level::Violation => (style::FAIL, "violation"),
            Level::Warning => (style::WARN, "warning"),
        };
        let subject = match (&finding.package, &finding.version) {
            (Some(p), Some(v)) => format!(" {p} {v}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{paint}{word:<9}{paint:#} {}{subject}: {}\n          {}hint:{:#} {}\n",
            finding.rule,
            finding.reason,
            style::HINT,
            style::HINT,
            finding.hint
        ));
    }
    let verdict = if report.passed {
        format!("{}policy passed{:#}", style::OK, style::OK)
    } else {
        format!("{}policy failed{:#}", style::FAIL, style::FAIL)
    };
    out.push_str(&format!(
        "\n{verdict}: {} violation(s), {} warning(s) over {} package(s) and {} file(s)\n",
        report.violations, report.warnings, report.packages_checked, report.files_checked
    ));
    out
}

pub async fn run(command: PolicyCommand, ctx: &Context) -> Result<Exit> {
    let PolicyCommand::Check(args) = command;
    let loaded = ctx.require_config()?;
    let inventory = args.subject.load(ctx)?;
    let gate = gate(
        &inventory,
        &args.sources,
        &loaded.config.policy,
        loaded,
        ctx,
    )
    .await?;
    let report = &gate.policy;
    let format = if ctx.out.json {
        PolicyFormat::Json
    } else {
        args.format
    };
    let text = match format {
        PolicyFormat::Json => {
            let mut text = serde_json::to_string_pretty(report)?;
            text.push('\n');
            text
        }
        PolicyFormat::Sarif => chiron::policy::sarif(report, &sarif_artifact(ctx, &inventory.path)),
        PolicyFormat::Table => table(report),
    };
    match &args.output {
        Some(file) => {
            let file = ctx.cwd.join(file);
            chiron::atomic::write_file(&file, text.as_bytes(), chiron::atomic::Overwrite::Replace)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
            ctx.out.note(&format!(
                "wrote {}: policy {}, {} violation(s), {} warning(s)",
                file.display(),
                if report.passed { "passed" } else { "failed" },
                report.violations,
                report.warnings
            ));
        }
        None => ctx.out.text(&text)?,
    }
    Ok(if report.passed {
        Exit::Ok
    } else {
        Exit::Problems
    })
}
