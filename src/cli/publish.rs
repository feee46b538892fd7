//! `chiron publish`: flags to a publish request, progress on stderr, the
//! report on stdout.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use chiron::error::Result;
use chiron::workflow::publish::{
    FileStatus, PYPI_UPLOAD_URL, PublishProgress, PublishReport, PublishRequest, TrustedPublishing,
};

use super::{Context, Exit, style};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The wheels and sdists to upload, or folders holding them (sdists go
    /// first, then wheels).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The index's upload URL (legacy API).
    #[arg(long, value_name = "URL", default_value = PYPI_UPLOAD_URL)]
    pub repository_url: String,
    /// The index's simple API, asked which files it holds already
    /// (default: https://pypi.org/simple/ for PyPI, else the repository
    /// URL + /simple/).
    #[arg(long, value_name = "URL")]
    pub index_url: Option<String>,
    /// Mint an upload token from the CI's OIDC identity (GitHub Actions):
    /// auto = when no credentials are set and the CI offers one.
    #[arg(long, value_enum, default_value_t = TrustedPublishingArg::Auto, value_name = "WHEN")]
    pub trusted_publishing: TrustedPublishingArg,
    /// The index whose /_/oidc/ endpoints mint tokens (default: pypi.org
    /// for PyPI, else the repository URL's origin).
    #[arg(long, value_name = "URL")]
    pub trusted_publishing_index: Option<String>,
    /// Seconds to wait to connect and for each read (default: [index]
    /// timeout).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrustedPublishingArg {
    Auto,
    Always,
    Never,
}

impl From<TrustedPublishingArg> for TrustedPublishing {
    fn from(arg: TrustedPublishingArg) -> Self {
        match arg {
            TrustedPublishingArg::Auto => TrustedPublishing::Auto,
            TrustedPublishingArg::Always => TrustedPublishing::Always,
            TrustedPublishingArg::Never => TrustedPublishing::Never,
        }
    }
}

impl PublishArgs {
    fn request(&self) -> PublishRequest {
        PublishRequest {
            files: self.files.clone(),
            repository_url: Some(self.repository_url.clone()),
            index_url: self.index_url.clone(),
            trusted_publishing: self.trusted_publishing.into(),
            trusted_publishing_index: self.trusted_publishing_index.clone(),
            timeout: self.timeout.map(|s| Duration::from_secs(s.max(1))),
        }
    }
}

pub async fn run(args: PublishArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let log = PublishLog {
        quiet: ctx.out.quiet,
    };
    let report = chiron::workflow::publish::publish(&ws, &args.request(), &log).await?;
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        ctx.out.text(&render(&report))?;
    }
    Ok(Exit::Ok)
}

fn render(report: &PublishReport) -> String {
    let mut text = String::new();
    for file in &report.files {
        let (word, colour) = match file.status {
            FileStatus::Uploaded => ("uploaded", style::OK),
            FileStatus::Skipped => ("skipped ", style::DIM),
        };
        text.push_str(&format!(
            "{colour}{word}{colour:#} {}  sha256:{}\n",
            file.filename, file.sha256
        ));
    }
    text.push_str(&format!(
        "to {} as {}\n",
        report.repository_url,
        report.credentials.describe()
    ));
    text
}

/// Progress lines on stderr, unless `-q`.
pub(super) struct PublishLog {
    pub(super) quiet: bool,
}

impl PublishProgress for PublishLog {
    fn step(&self, message: &str) {
        if !self.quiet {
            eprintln!("» {message}");
        }
    }
}
