//! `chiron doctor`: run the checks and render them as a table or JSON.

use std::time::Duration;

use chiron::error::Result;
use clap::Args;
use serde::Serialize;
use tracing::Instrument;

use chiron::config::load_without_file;
use chiron::doctor::{Check, DoctorOptions, DoctorReport, Status, run_doctor};

use super::context::{Context, Exit};
use super::style;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Count warnings as failures (exit 1).
    #[arg(long)]
    pub strict: bool,
    /// Seconds to wait for each network probe or interpreter.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Serialize)]
struct Summary {
    ok: usize,
    skip: usize,
    warn: usize,
    fail: usize,
    passed: bool,
}

#[derive(Serialize)]
struct DoctorJson<'a> {
    checks: &'a [Check],
    summary: Summary,
}

pub async fn run(args: DoctorArgs, ctx: &Context) -> Result<Exit> {
    let options = DoctorOptions {
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let fallback = load_without_file(&ctx.load_options, &ctx.env)?;
    let report = run_doctor(ctx.config.as_ref(), &fallback, &ctx.env, &options)
        .instrument(tracing::info_span!("doctor"))
        .await;
    let passed = report.passed(args.strict);
    if ctx.out.json {
        ctx.out.json(&DoctorJson {
            checks: &report.checks,
            summary: Summary {
                ok: report.count(Status::Ok),
                skip: report.count(Status::Skip),
                warn: report.count(Status::Warn),
                fail: report.count(Status::Fail),
                passed,
            },
        })?;
    } else {
        ctx.out.text(&render(&report, passed))?;
    }
    Ok(if passed { Exit::Ok } else { Exit::Problems })
}

fn render(report: &DoctorReport, passed: bool) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.subject.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    let mut out = String::new();
    for check in &report.checks {
        let status = match check.status {
            Status::Ok => style::OK,
            Status::Skip => style::DIM,
            Status::Warn => style::WARN,
            Status::Fail => style::FAIL,
        };
        let label = check.status.label();
        out.push_str(&format!(
            "{status}{label:<4}{status:#}  {:<width$}  {}\n",
            check.subject, check.finding
        ));
        if let Some(hint) = &check.hint {
            let h = style::HINT;
            out.push_str(&format!("{:<6}{:<width$}  {h}hint:{h:#} {hint}\n", "", ""));
        }
    }
    let (ok, warn, fail, skip) = (
        report.count(Status::Ok),
        report.count(Status::Warn),
        report.count(Status::Fail),
        report.count(Status::Skip),
    );
    let verdict = if passed {
        format!("{}ready{:#}", style::OK, style::OK)
    } else {
        format!("{}not ready{:#}", style::FAIL, style::FAIL)
    };
    out.push_str(&format!(
        "\n{verdict}: {ok} ok, {warn} warning(s), {fail} failure(s), {skip} skipped\n"
    ));
    out
}
