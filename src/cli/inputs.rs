//! What `manage download` and `wheelhouse` share: reading requirement
//! inputs (arguments, requirement files, the configuration's inputs),
//! index flags, and the target matrix.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use pep508_rs::Requirement;

use chiron::config::LoadedConfig;
use chiron::index::client::ClientSettings;
use chiron::lock::requirements_txt::{DirectRequirement, read_requirements, shown_path};
use chiron::python::target::{NamedPlatform, Platform, PythonVersion, Target};
use chiron::resolve::formats::FormatControl;

use super::{Context, UsageError};

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
    /// Packages (comma-separated, `:all:` or `:none:`) taken from their
    /// source distributions only; needs --allow-sdist (pip's `--no-binary`).
    #[arg(long, value_name = "NAMES")]
    pub no_binary: Vec<String>,
    /// Packages (comma-separated, `:all:` or `:none:`) taken as wheels only,
    /// even with --allow-sdist (pip's `--only-binary`).
    #[arg(long, value_name = "NAMES")]
    pub only_binary: Vec<String>,
}

/// The inputs of a run, read.
pub struct Gathered {
    pub requirements: Vec<Requirement>,
    pub constraints: Vec<Requirement>,
    /// The requirements that came from files, with the file, for the
    /// `# via` comments of the requirements files written.
    pub direct: Vec<DirectRequirement>,
    /// The files they came from.
    pub input_files: Vec<PathBuf>,
    pub settings: ClientSettings,
    pub pre: bool,
    /// A `pylock.toml` named by `[inputs] lock`.
    pub lock: Option<PathBuf>,
    /// `--no-binary` / `--only-binary` from requirement files, then flags.
    pub formats: FormatControl,
    /// `--hash` pins of the requirements files, by normalised name.
    pub hashes: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Project inputs from the configuration, used when the command line names none.
pub struct ConfigInputs<'a> {
    pub extras: &'a [String],
    pub groups: &'a [String],
}

pub fn gather(
    args: &InputArgs,
    ctx: &Context,
    loaded: &LoadedConfig,
    config_inputs: Option<ConfigInputs>,
) -> Result<Gathered> {
    let mut gathered = Gathered {
        requirements: Vec::new(),
        constraints: Vec::new(),
        direct: Vec::new(),
        input_files: Vec::new(),
        settings: ClientSettings::from_config(loaded),
        pre: args.pre,
        lock: None,
        formats: FormatControl::default(),
        hashes: Default::default(),
    };
    // Index options from requirement files and flags adjust these below.
    let mut settings = gathered.settings.clone();
    let mut no_index = args.no_index;
    let env = |name: &str| ctx.env.get(name).map(str::to_string);
    for text in &args.requirements {
        let requirement: Requirement =
            text.parse()
                .map_err(|e: pep508_rs::Pep508Error| UsageError {
                    message: format!("`{text}` is not a valid requirement: {}", e.message),
                    hint: "requirements are PEP 508: name[extras] specifiers ; markers".into(),
                })?;
        gathered.requirements.push(requirement);
    }
    // Each file with whether it was named by an absolute path, which
    // `# via -r` comments then keep.
    let mut files: Vec<(PathBuf, bool)> = args
        .files
        .iter()
        .map(|f| (ctx.cwd.join(f), f.is_absolute()))
        .collect();
    let mut constraint_files: Vec<PathBuf> =
        args.constraints.iter().map(|f| ctx.cwd.join(f)).collect();
    let named_on_command_line = !args.requirements.is_empty() || !args.files.is_empty();
    if let (Some(project), false) = (config_inputs, named_on_command_line) {
        let inputs = &loaded.config.inputs;
        if let Some(lock) = &inputs.lock {
            gathered.lock = Some(check_lock_input(&loaded.resolve(lock))?);
        }
        files.extend(
            inputs
                .requirements
                .iter()
                .map(|f| (loaded.resolve(f), f.is_absolute())),
        );
        constraint_files.extend(inputs.constraints.iter().map(|f| loaded.resolve(f)));
        if let Some(pyproject) = &inputs.pyproject {
            let path = loaded.resolve(pyproject);
            let extras = if project.extras.is_empty() {
                &inputs.extras[..]
            } else {
                project.extras
            };
            let groups = if project.groups.is_empty() {
                &inputs.groups[..]
            } else {
                project.groups
            };
            let declared = chiron::project::pyproject_requirements(&path, extras, groups)?;
            // pip-compile's words for a project's dependencies.
            let shown = shown_path(&path, &ctx.cwd, pyproject.is_absolute());
            let via = match &declared.project {
                Some(name) => format!("{name} ({shown})"),
                None => format!("({shown})"),
            };
            gathered
                .direct
                .extend(declared.requirements.iter().map(|r| DirectRequirement {
                    requirement: r.clone(),
                    via: via.clone(),
                }));
            gathered.requirements.extend(declared.requirements);
            gathered.input_files.push(path);
        }
    }
    for (file, absolute) in &files {
        let parsed = read_requirements(file, &env)?;
        for line in &parsed.requirements {
            if !line.hashes.is_empty() {
                gathered
                    .hashes
                    .entry(chiron::python::normalize(line.requirement.name.as_ref()))
                    .or_default()
                    .extend(line.hashes.iter().cloned());
            }
        }
        gathered
            .direct
            .extend(parsed.requirements.iter().map(|r| DirectRequirement {
                requirement: r.requirement.clone(),
                via: format!("-r {}", shown_path(&r.origin.path, &ctx.cwd, *absolute)),
            }));
        gathered
            .requirements
            .extend(parsed.requirements.into_iter().map(|r| r.requirement));
        gathered
            .constraints
            .extend(parsed.constraints.into_iter().map(|r| r.requirement));
        gathered.pre |= parsed.pre;
        if let Some(url) = parsed.index_url {
            match settings.index_urls.first_mut() {
                Some(first) => *first = url,
                None => settings.index_urls.push(url),
            }
        }
        settings.index_urls.extend(parsed.extra_index_urls);
        settings.find_links.extend(parsed.find_links);
        no_index |= parsed.no_index;
        for (no_binary, value) in &parsed.format_options {
            // Checked when the file was read.
            let _ = if *no_binary {
                gathered.formats.no_binary(value)
            } else {
                gathered.formats.only_binary(value)
            };
        }
        settings.trusted_hosts.extend(parsed.trusted_hosts);
        gathered.input_files.push(file.clone());
    }
    for file in &constraint_files {
        let parsed = read_requirements(file, &env)?;
        gathered.constraints.extend(
            parsed
                .requirements
                .into_iter()
                .chain(parsed.constraints)
                .map(|r| r.requirement),
        );
        gathered.input_files.push(file.clone());
    }
    if let Some(url) = &args.index_url {
        match settings.index_urls.first_mut() {
            Some(first) => *first = url.clone(),
            None => settings.index_urls.push(url.clone()),
        }
    }
    settings
        .index_urls
        .extend(args.extra_index_url.iter().cloned());
    settings
        .find_links
        .extend(args.find_links.iter().map(|link| {
            if link.contains("://") {
                link.clone()
            } else {
                ctx.cwd.join(link).display().to_string()
            }
        }));
    settings
        .trusted_hosts
        .extend(args.trusted_host.iter().cloned());
    // clap keeps each option's values in order but not the order between
    // the two options: all --no-binary, then all --only-binary.
    let format_error = |e: chiron::resolve::formats::FormatError| UsageError {
        message: e.to_string(),
        hint: "give package names separated by commas, :all: or :none:".into(),
    };
    for value in &args.no_binary {
        gathered.formats.no_binary(value).map_err(format_error)?;
    }
    for value in &args.only_binary {
        gathered.formats.only_binary(value).map_err(format_error)?;
    }
    if no_index {
        settings.index_urls.clear();
    }
    settings.dedup_indexes();
    gathered.settings = settings;
    Ok(gathered)
}

/// A lock chiron can install from as it is: a PEP 751 `pylock.toml` or a `uv.lock`.
pub fn check_lock_input(path: &std::path::Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name != "uv.lock" && !name.ends_with(".toml") {
        return Err(UsageError {
            message: format!(
                "{}: a lock is a PEP 751 pylock.toml or a uv.lock",
                path.display()
            ),
            hint: "name the lock file with --lock / [inputs] lock".into(),
        }
        .into());
    }
    if !path.is_file() {
        return Err(UsageError {
            message: format!("the lock {} does not exist", path.display()),
            hint: "check --lock / [inputs] lock".into(),
        }
        .into());
    }
    Ok(path.to_path_buf())
}

/// The targets a lock chiron wrote records, when neither the flags nor the
/// configuration name a Python version: `chiron wheelhouse --lock
/// pylock.toml` then serves what `chiron lock` locked. `None` when the
/// targets are named elsewhere, or the lock records none (pip's and uv's).
pub fn targets_of_lock(
    args: &TargetArgs,
    loaded: &LoadedConfig,
    lock: &std::path::Path,
) -> Result<Option<Vec<Target>>> {
    if !args.python.is_empty() || !loaded.config.targets.python.is_empty() {
        return Ok(None);
    }
    let is_pylock = lock.extension().is_some_and(|e| e == "toml");
    if !is_pylock {
        return Ok(None);
    }
    let read = chiron::lock::pylock::read_pylock(lock)?;
    let config = &loaded.config.targets;
    let floors = config.floors();
    let mut found = Vec::new();
    for name in chiron::lock::pylock::recorded_targets(&read) {
        let unreadable = || UsageError {
            message: format!(
                "{} records the target `{name}`, which chiron cannot read",
                lock.display()
            ),
            hint: "pass --python and --platform to name the targets".into(),
        };
        let (python, platform) = name.split_once('-').ok_or_else(unreadable)?;
        let python: PythonVersion = python.parse().map_err(|_| unreadable())?;
        let platform: Platform = platform.parse().map_err(|_| unreadable())?;
        found.push(Target::new(python, platform, floors).map_err(|_| unreadable())?);
    }
    Ok((!found.is_empty()).then_some(found))
}

/// The targets named by flags, else by the configuration; the platform
/// defaults to this machine's.
pub fn targets(args: &TargetArgs, loaded: &LoadedConfig) -> Result<Vec<Target>> {
    let config = &loaded.config.targets;
    let python = if args.python.is_empty() {
        config.python.clone()
    } else {
        args.python.clone()
    };
    if python.is_empty() {
        return Err(UsageError {
            message: "no Python version to target".into(),
            hint: "pass --python 3.12 (comma-separated for several), or set [targets] python in chiron.toml".into(),
        }
        .into());
    }
    let mut platforms = if args.platforms.is_empty() {
        config.platforms.clone()
    } else {
        args.platforms.clone()
    };
    if platforms.is_empty() {
        let host = NamedPlatform::host().ok_or_else(|| UsageError {
            message: "this machine's platform has no name chiron knows".into(),
            hint: "pass --platform with a wheel platform tag".into(),
        })?;
        platforms.push(Platform::Named(host));
    }
    let floors = config.floors();
    Ok(
        Target::matrix(&python, &platforms, floors).map_err(|e| UsageError {
            message: e.to_string(),
            hint: "use a platform name (linux-x86_64, ...) or a manylinux/musllinux/macosx/win tag"
                .into(),
        })?,
    )
}
