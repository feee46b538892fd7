//! `chiron sbom`: a CycloneDX (or SPDX 2.3) SBOM of a wheelhouse, a lock,
//! a folder of wheels or an installed environment.

use std::path::PathBuf;

use clap::Args;

use chiron::error::{Result, ResultExt};
use chiron::sbom::{SbomOptions, SpecVersion, cyclonedx};
use chiron::workflow::source_date_epoch;

use super::context::{Context, Exit};

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

pub fn run(args: SbomArgs, ctx: &Context) -> Result<Exit> {
    let inventory = args.subject.load(ctx)?;
    let project = match (&args.name, ctx.config.as_ref()) {
        (Some(name), _) => name.clone(),
        (None, Ok(_)) => ctx.workspace()?.project_name(),
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
        source_date_epoch: source_date_epoch(&ctx.env)?,
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
