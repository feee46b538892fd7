//! `chiron scan`: known vulnerabilities of a wheelhouse's packages, from an
//! offline OSV database.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use chiron::vuln::{PackageReport, load_database, scan_manifest};
use chiron::wheelhouse::build::read_manifest;

use super::{Context, Exit, UsageError, style};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A wheelhouse folder, or its manifest.json (default: [wheelhouse] dir).
    pub path: Option<PathBuf>,
    /// An offline OSV database: a folder of OSV JSON files, or the zip
    /// osv.dev exports per ecosystem (PyPI `all.zip`). Default: [scan] osv-db.
    #[arg(long, value_name = "PATH")]
    pub osv_db: Option<PathBuf>,
    /// Also write a constraints file raising each vulnerable package to its
    /// smallest fixed version (for `chiron wheelhouse -c`).
    #[arg(long, value_name = "FILE")]
    pub emit_overlay: Option<PathBuf>,
}

#[derive(Serialize)]
struct ScanJson<'a> {
    packages_scanned: usize,
    records: usize,
    vulnerable: &'a [PackageReport],
    expired_ignores: &'a [chiron::vuln::ExpiredIgnore],
}

pub fn run(args: ScanArgs, ctx: &Context) -> Result<Exit> {
    let loaded = ctx.require_config()?;
    let path = match &args.path {
        Some(path) => ctx.cwd.join(path),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    let dir = if path.file_name().is_some_and(|n| n == "manifest.json") {
        path.parent().map(PathBuf::from).unwrap_or_default()
    } else {
        path.clone()
    };
    let manifest = read_manifest(&dir).ok_or_else(|| UsageError {
        message: format!(
            "{} is not a wheelhouse: no readable manifest.json",
            path.display()
        ),
        hint: "build one with `chiron wheelhouse`, or name its folder".into(),
    })?;
    let database = match &args.osv_db {
        Some(db) => ctx.cwd.join(db),
        None => loaded
            .config
            .scan
            .osv_db
            .as_ref()
            .map(|db| loaded.resolve(db))
            .ok_or_else(|| UsageError {
                message: "no OSV database to scan against".into(),
                hint: "pass --osv-db (a folder of OSV JSON files or PyPI all.zip), or set [scan] osv-db".into(),
            })?,
    };
    let index = {
        let _span = tracing::info_span!("scan.load", db = %database.display()).entered();
        load_database(&database)?
    };
    let (reports, expired) = {
        let _span = tracing::info_span!("scan.match", packages = manifest.packages.len()).entered();
        chiron::vuln::apply_ignores(
            scan_manifest(&manifest, &index),
            &loaded.config.scan.ignore,
            &chiron::vuln::today(),
        )
    };
    let open: usize = reports.iter().map(|r| r.findings.len()).sum();
    let exit = if open == 0 && expired.is_empty() {
        Exit::Ok
    } else {
        Exit::Problems
    };
    if let Some(file) = &args.emit_overlay {
        let file = ctx.cwd.join(file);
        chiron::atomic::write_file(
            &file,
            chiron::vuln::overlay(&reports).as_bytes(),
            chiron::atomic::Overwrite::Replace,
        )
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
    }
    if ctx.out.json {
        ctx.out.json(&ScanJson {
            packages_scanned: manifest.packages.len(),
            records: index.len(),
            vulnerable: &reports,
            expired_ignores: &expired,
        })?;
        return Ok(exit);
    }
    let mut out = String::new();
    for report in &reports {
        let upgrade = report
            .upgrade_to
            .as_deref()
            .map(|v| format!("upgrade to {v}"))
            .unwrap_or_else(|| "no fixed version".into());
        out.push_str(&format!(
            "{}{} {}{:#}  {upgrade}\n",
            style::BOLD,
            report.package,
            report.version,
            style::BOLD
        ));
        for finding in &report.findings {
            let severity = finding
                .severity
                .map(|s| format!("{s:?}").to_lowercase())
                .unwrap_or_else(|| "unknown".into());
            let paint = match severity.as_str() {
                "critical" | "high" => style::FAIL,
                "medium" => style::WARN,
                _ => style::DIM,
            };
            let others: Vec<&str> = finding
                .aliases
                .iter()
                .map(String::as_str)
                .filter(|a| *a != finding.id)
                .collect();
            out.push_str(&format!(
                "  {paint}{severity:<8}{paint:#} {} ({})  {}\n",
                finding.id,
                others.join(", "),
                finding.summary.as_deref().unwrap_or("")
            ));
        }
    }
    for report in &reports {
        for ignored in &report.ignored {
            out.push_str(&format!(
                "{}ignored{:#} {} in {} {}: {}\n",
                style::DIM,
                style::DIM,
                ignored.id,
                report.package,
                report.version,
                ignored.reason
            ));
        }
    }
    for rule in &expired {
        out.push_str(&format!(
            "{}expired ignore{:#} {} (expired {}): {}\n",
            style::FAIL,
            style::FAIL,
            rule.id,
            rule.expired,
            rule.reason
        ));
    }
    let vulnerable = reports.iter().filter(|r| !r.findings.is_empty()).count();
    out.push_str(&format!(
        "\n{open} known vulnerabilit{} in {vulnerable} of {} package(s) ({} OSV records)\n",
        if open == 1 { "y" } else { "ies" },
        manifest.packages.len(),
        index.len()
    ));
    ctx.out.text(&out)?;
    Ok(exit)
}
