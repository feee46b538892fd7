//! `chiron sbom`: a CycloneDX SBOM of a wheelhouse.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use chiron::config::LoadedConfig;
use chiron::sbom::{SbomOptions, SpecVersion, cyclonedx};
use chiron::wheelhouse::build::read_manifest;

use super::{Context, Exit, UsageError};

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// A wheelhouse folder, or its manifest.json (default: [wheelhouse] dir).
    pub path: Option<PathBuf>,
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
    let options = SbomOptions {
        spec: args.spec_version,
        project: args
            .name
            .clone()
            .unwrap_or_else(|| project_name(ctx, loaded)),
        project_version: None,
        source_date_epoch: source_date_epoch(ctx)?,
    };
    let text = cyclonedx(&manifest, &options);
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
