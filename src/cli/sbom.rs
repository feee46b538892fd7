//! `chiron sbom`: a CycloneDX (or SPDX 2.3) SBOM of a wheelhouse, a lock,
//! a folder of wheels or an installed environment.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use chiron::config::LoadedConfig;
use chiron::sbom::{SbomOptions, SpecVersion, cyclonedx};

use super::{Context, Exit, UsageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX JSON (1.6 by default, see --spec-version).
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    #[command(flatten)]
    pub subject: super::subject::SubjectArgs,
    /// The document format.
    #[arg(long, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormat,
    /// The CycloneDX version to write.
    #[arg(long, default_value = "1.6", value_name = "1.6|1.5")]
    pub spec_version: SpecVersion,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The name of the root component (default: the project's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// The project's name: `[project] name` of pyproject.toml, else the folder's.
pub fn project_name(ctx: &Context, loaded: &LoadedConfig) -> String {
    chiron::project::scan_project(&loaded.root)
        .ok()
        .and_then(|scan| scan.name)
        .or_else(|| {
            loaded
                .root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| ctx.cwd.display().to_string())
}

/// `SOURCE_DATE_EPOCH`, checked.
pub fn source_date_epoch(ctx: &Context) -> Result<Option<i64>> {
    match ctx.env.get("SOURCE_DATE_EPOCH") {
        None => Ok(None),
        Some(text) => Ok(Some(text.trim().parse().map_err(|_| UsageError {
            message: format!("SOURCE_DATE_EPOCH=`{text}` is not a number of seconds"),
            hint: "set it to a Unix time, e.g. `git log -1 --format=%ct`".into(),
        })?)),
    }
}

pub fn run(args: SbomArgs, ctx: &Context) -> Result<Exit> {
    let inventory = args.subject.load(ctx)?;
    let project = match (&args.name, ctx.config.as_ref()) {
        (Some(name), _) => name.clone(),
        (None, Ok(loaded)) => project_name(ctx, loaded),
        (None, Err(_)) => ctx
            .cwd
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into()),
    };
    let options = SbomOptions {
        spec: args.spec_version,
        project,
        project_version: None,
        source_date_epoch: source_date_epoch(ctx)?,
    };
    let text = match args.format {
        SbomFormat::Cyclonedx => cyclonedx(&inventory.manifest, &options),
        SbomFormat::Spdx => {
            chiron::sbom::spdx::spdx_json(&inventory.manifest, &options, chiron::time::now())
        }
    };
    match &args.output {
        Some(file) => {
            let file = ctx.cwd.join(file);
            chiron::atomic::write_file(&file, text.as_bytes(), chiron::atomic::Overwrite::Replace)
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        None => ctx.out.text(&text)?,
    }
    Ok(Exit::Ok)
}
