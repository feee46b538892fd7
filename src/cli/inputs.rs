//! The flags `manage download`, `lock` and `wheelhouse` share: requirement
//! inputs, index options and the target matrix, mapped to the workflow
//! layer's requests (which reads them: `chiron::workflow::inputs`).

use std::path::PathBuf;

use clap::Args;

use chiron::python::target::Platform;
use chiron::python::version::PythonVersion;
use chiron::workflow::inputs::{InputRequest, ProjectSelection, TargetRequest};

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Python versions, comma-separated (default: [targets] python).
    #[arg(long, value_delimiter = ',', value_name = "X.Y,...")]
    pub python: Vec<PythonVersion>,
    /// Platforms, comma-separated names or wheel platform tags (default:
    /// [targets] platforms, else this machine's).
    #[arg(long = "platform", value_delimiter = ',', value_name = "NAME,...")]
    pub platforms: Vec<Platform>,
}

/// What of pyproject.toml to install besides its dependencies.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Optional-dependency groups of pyproject.toml to include (default: [inputs] extras).
    #[arg(long = "extra", value_name = "NAME")]
    pub extras: Vec<String>,
    /// PEP 735 dependency groups to include (default: [inputs] groups).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
}

impl ProjectArgs {
    pub fn selection(&self) -> ProjectSelection {
        ProjectSelection {
            extras: self.extras.clone(),
            groups: self.groups.clone(),
        }
    }
}

/// Where packages come from, over [index] and pip's configuration.
#[derive(Debug, Default, Args)]
pub struct IndexArgs {
    /// The index to use instead of [index] url / PIP_INDEX_URL.
    #[arg(long, short = 'i', value_name = "URL")]
    pub index_url: Option<String>,
    /// Further indexes (repeatable).
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// Local folders or pages of files (repeatable).
    #[arg(long, short = 'f', value_name = "PATH|URL")]
    pub find_links: Vec<String>,
    /// Ask no index, only --find-links (pip's `--no-index`).
    #[arg(long)]
    pub no_index: bool,
    /// A host (`host` or `host:port`) reached over plain HTTP or without
    /// verifying its certificate (repeatable; pip's `--trusted-host`).
    #[arg(long, value_name = "HOST")]
    pub trusted_host: Vec<String>,
}

impl IndexArgs {
    /// The index part of an input request.
    pub fn request(&self) -> InputRequest {
        InputRequest {
            index_url: self.index_url.clone(),
            extra_index_urls: self.extra_index_url.clone(),
            find_links: self.find_links.clone(),
            no_index: self.no_index,
            trusted_hosts: self.trusted_host.clone(),
            ..InputRequest::default()
        }
    }
}

#[derive(Debug, Default, Args)]
pub struct InputArgs {
    /// Requirements such as `requests==2.32.3` or `numpy>=2`.
    #[arg(value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,
    /// Read requirements from a file (repeatable).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Limit versions with a constraints file (repeatable).
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// Allow pre-releases.
    #[arg(long)]
    pub pre: bool,
    #[command(flatten)]
    pub index: IndexArgs,
    /// Packages (comma-separated, `:all:` or `:none:`) taken from their
    /// source distributions only; needs --allow-sdist (pip's `--no-binary`).
    #[arg(long, value_name = "NAMES")]
    pub no_binary: Vec<String>,
    /// Packages (comma-separated, `:all:` or `:none:`) taken as wheels only,
    /// even with --allow-sdist (pip's `--only-binary`).
    #[arg(long, value_name = "NAMES")]
    pub only_binary: Vec<String>,
}

impl TargetArgs {
    pub fn request(&self) -> TargetRequest {
        TargetRequest {
            python: self.python.clone(),
            platforms: self.platforms.clone(),
        }
    }
}

impl InputArgs {
    pub fn request(&self) -> InputRequest {
        InputRequest {
            requirements: self.requirements.clone(),
            files: self.files.clone(),
            constraints: self.constraints.clone(),
            pre: self.pre,
            no_binary: self.no_binary.clone(),
            only_binary: self.only_binary.clone(),
            ..self.index.request()
        }
    }
}
