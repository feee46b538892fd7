//! `chiron policy check`: the `[policy]` rules (and Rego policies) over a
//! wheelhouse, a lock, a folder of wheels or an environment, with a
//! vulnerability scan from the configured source; also the gate
//! `chiron wheelhouse` runs.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use chiron::error::Result;
use chiron::policy::{Level, PolicyReport};

use super::context::{Context, Exit};
use super::scan::{SourceArgs, sarif_artifact};
use super::style;

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
    let ws = ctx.workspace()?;
    let inventory = args.subject.load(ctx)?;
    let gate = chiron::workflow::gate::gate(
        &ws,
        &inventory,
        &args.sources.request(),
        &ws.config.config.policy,
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
            super::context::write_output(&file, text.as_bytes())?;
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
