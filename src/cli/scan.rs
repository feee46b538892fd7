//! `chiron scan`: known vulnerabilities of a wheelhouse, a lock, a folder
//! of wheels or an installed environment, from an offline OSV database,
//! the OSV API or the index's JSON API.

use std::path::{Path, PathBuf};

use clap::Args;

use chiron::config::ScanSource;
use chiron::error::Result;
use chiron::vuln::ScanReport;
use chiron::workflow::gate::{SourceChoice, SourceRequest, choose_source};

use super::context::{Context, Exit};
use super::style;

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub subject: super::subject::SubjectArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Download the PyPI OSV database ([scan] db-url) into the cache first,
    /// for this and later offline scans.
    #[arg(long)]
    pub update_db: bool,
    /// Output format (`--json` is `--format json`).
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The CycloneDX version of `--format cyclonedx` (VEX), as `chiron sbom`.
    #[arg(long, default_value = "1.6", value_name = "1.6|1.5")]
    pub spec_version: chiron::sbom::SpecVersion,
    /// Also write a constraints file raising each vulnerable package to its
    /// smallest fixed version (for `chiron wheelhouse -c`).
    #[arg(long, value_name = "FILE")]
    pub emit_overlay: Option<PathBuf>,
    /// Pass even when the source could not answer for some packages (they
    /// are still listed as not checked). Without it such a scan exits 1,
    /// or 2 when no package at all could be checked.
    #[arg(long)]
    pub allow_unchecked: bool,
}

/// Where a scan reads advisories, over [scan] in the configuration.
#[derive(Debug, Default, Args)]
pub struct SourceArgs {
    /// Where advisories come from. Default: [scan] source (db).
    #[arg(long, value_enum)]
    pub source: Option<ScanSource>,
    /// An offline OSV database: a folder of OSV JSON files, or the zip
    /// osv.dev exports per ecosystem (PyPI `all.zip`). Implies
    /// `--source db`. Default: [scan] osv-db, else the cached copy.
    #[arg(long, value_name = "PATH")]
    pub osv_db: Option<PathBuf>,
    /// The OSV API's base URL. Implies `--source osv-api`.
    #[arg(long, value_name = "URL")]
    pub osv_api: Option<chiron::config::HttpUrl>,
    /// The index JSON API's base URL. Implies `--source pypi`.
    #[arg(long, value_name = "URL")]
    pub pypi_api: Option<chiron::config::HttpUrl>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// The CycloneDX SBOM with a `vulnerabilities` section (VEX).
    Cyclonedx,
}

impl SourceArgs {
    pub fn request(&self) -> SourceRequest {
        SourceRequest {
            source: self.source,
            osv_db: self.osv_db.clone(),
            osv_api: self.osv_api.clone(),
            pypi_api: self.pypi_api.clone(),
        }
    }
}

/// The file a report names its findings against (a wheelhouse by its
/// manifest), relative to the working folder when inside it.
pub fn sarif_artifact(ctx: &Context, path: &Path) -> chiron::sarif::Artifact {
    let path = if path.is_dir() && path.join("manifest.json").is_file() {
        path.join("manifest.json")
    } else {
        path.to_path_buf()
    };
    chiron::sarif::Artifact::at(&path, &ctx.cwd)
}

pub async fn run(args: ScanArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let loaded = ws.config;
    if args.update_db {
        let bar = super::progress::ByteProgress::new(ctx.progress, "downloading");
        let update = |done: u64, total: Option<u64>| bar.update("OSV database", done, total);
        let (outcome, dest) = chiron::workflow::gate::update_database(&ws, &update).await?;
        drop(bar);
        match outcome {
            chiron::vuln::api::Update::Downloaded(records) => eprintln!(
                "updated the OSV database: {records} records in {}",
                dest.display()
            ),
            chiron::vuln::api::Update::Unchanged => {
                eprintln!("the OSV database is up to date: {}", dest.display())
            }
        }
        // Nothing named and no wheelhouse: updating was the whole job.
        let default = loaded.resolve(&loaded.config.wheelhouse.dir);
        if args.subject.path.is_none()
            && args.subject.python.is_none()
            && !default.join("manifest.json").is_file()
        {
            return Ok(Exit::Ok);
        }
    }
    let inventory = args.subject.load(ctx)?;
    let source = match choose_source(&ws, &args.sources.request())? {
        SourceChoice::Ready(source) => source,
        SourceChoice::Unavailable(error) => return Err(error.into()),
    };
    let report = chiron::workflow::gate::scan(&ws, &inventory.manifest, &source).await?;
    let exit = if report.checked_nothing() && !args.allow_unchecked {
        Exit::Usage
    } else if report.passed_allowing_unchecked(args.allow_unchecked) {
        Exit::Ok
    } else {
        Exit::Problems
    };
    if let Some(file) = &args.emit_overlay {
        let file = ctx.cwd.join(file);
        super::context::write_output(&file, chiron::vuln::overlay(&report.vulnerable).as_bytes())?;
    }
    let format = if ctx.out.json {
        ScanFormat::Json
    } else {
        args.format
    };
    let text = match format {
        ScanFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            text
        }
        ScanFormat::Sarif => chiron::vuln::sarif(&report, &sarif_artifact(ctx, &inventory.path)),
        ScanFormat::Cyclonedx => {
            let options = chiron::sbom::SbomOptions {
                spec: args.spec_version,
                project: ws.project_name(),
                project_version: None,
                source_date_epoch: ws.source_date_epoch()?,
            };
            chiron::sbom::cyclonedx_with(&inventory.manifest, &options, Some(&report.vulnerable))
        }
        ScanFormat::Table => table(&report),
    };
    match &args.output {
        Some(file) => {
            let file = ctx.cwd.join(file);
            super::context::write_output(&file, text.as_bytes())?;
            // stdout stays empty; one line says what was written.
            ctx.out
                .note(&format!("wrote {}: {}", file.display(), summary(&report)));
        }
        None => ctx.out.text(&text)?,
    }
    Ok(exit)
}

/// The human report.
pub fn table(report: &ScanReport) -> String {
    let mut out = String::new();
    for package in &report.vulnerable {
        let upgrade = package
            .upgrade_to
            .as_deref()
            .map(|v| format!("upgrade to {v}"))
            .unwrap_or_else(|| "no fixed version".into());
        out.push_str(&format!(
            "{}{} {}{:#}  {upgrade}\n",
            style::BOLD,
            package.package,
            package.version,
            style::BOLD
        ));
        for finding in &package.findings {
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
            let others = if others.is_empty() {
                String::new()
            } else {
                format!(" ({})", others.join(", "))
            };
            out.push_str(&format!(
                "  {paint}{severity:<8}{paint:#} {}{others}  {}\n",
                finding.id,
                finding.summary.as_deref().unwrap_or("")
            ));
        }
    }
    for package in &report.vulnerable {
        for ignored in &package.ignored {
            out.push_str(&format!(
                "{}ignored{:#} {} in {} {}: {}\n",
                style::DIM,
                style::DIM,
                ignored.finding.id,
                package.package,
                package.version,
                ignored.reason
            ));
        }
    }
    for rule in &report.expired_ignores {
        out.push_str(&format!(
            "{}expired ignore{:#} {} (expired {}): {}\n",
            style::FAIL,
            style::FAIL,
            rule.id,
            rule.expired,
            rule.reason
        ));
    }
    if !report.not_checked.is_empty() {
        let names = report.not_checked_names();
        out.push_str(&format!(
            "{}not checked{:#} (the {} had no answer): {}\n",
            style::FAIL,
            style::FAIL,
            report.source,
            names.join(", ")
        ));
    }
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// The closing line of a scan.
pub fn summary(report: &ScanReport) -> String {
    let open = report.open();
    let vulnerable = report
        .vulnerable
        .iter()
        .filter(|r| !r.findings.is_empty())
        .count();
    format!(
        "{open} known vulnerabilit{} in {vulnerable} of {} package(s) ({} OSV records from the {}){}",
        if open == 1 { "y" } else { "ies" },
        report.packages_scanned,
        report.records,
        report.source,
        if report.not_checked.is_empty() {
            String::new()
        } else {
            format!(
                "; {} of {} package(s) not checked",
                report.not_checked.len(),
                report.packages_scanned
            )
        }
    )
}
