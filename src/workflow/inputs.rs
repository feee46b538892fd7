//! The inputs of a run and its target matrix, read once: requirements from
//! the command line, requirement files and the configuration; index
//! settings from the configuration, then the files, then the flags; the
//! targets from the flags, else the configuration, else a lock's own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pep508_rs::Requirement;

use super::{PlanError, Workspace};
use crate::error::Result;
use crate::index::client::ClientSettings;
use crate::lock::requirements_txt::{DirectRequirement, read_requirements, shown_path};
use crate::python::target::{NamedPlatform, Platform, Target};
use crate::python::version::PythonVersion;
use crate::resolve::formats::FormatControl;

/// What the caller asked for: requirements, files and index options, as
/// given (paths relative to the working folder).
#[derive(Debug, Default, Clone)]
pub struct InputRequest {
    /// Requirements such as `requests==2.32.3`.
    pub requirements: Vec<String>,
    /// Requirement files (`-r`).
    pub files: Vec<PathBuf>,
    /// Constraint files (`-c`).
    pub constraints: Vec<PathBuf>,
    pub pre: bool,
    /// Replaces the first index (`--index-url`).
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    /// Folders (relative to the working folder) or URLs.
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub trusted_hosts: Vec<String>,
    /// `--no-binary` values, in order.
    pub no_binary: Vec<String>,
    /// `--only-binary` values, in order.
    pub only_binary: Vec<String>,
}

impl InputRequest {
    /// Whether the caller named requirements itself, so the
    /// configuration's inputs are not read.
    fn names_requirements(&self) -> bool {
        !self.requirements.is_empty() || !self.files.is_empty()
    }
}

/// The project's extras and dependency groups the caller chose; empty
/// means the configuration's (`[inputs] extras` / `groups`).
#[derive(Debug, Default, Clone)]
pub struct ProjectSelection {
    pub extras: Vec<String>,
    pub groups: Vec<String>,
}

impl ProjectSelection {
    /// The extras and groups in effect: the caller's, else the
    /// configuration's.
    pub fn effective(&self, ws: &Workspace) -> ProjectSelection {
        let inputs = &ws.config.config.inputs;
        let pick = |given: &[String], configured: &[String]| {
            if given.is_empty() {
                configured.to_vec()
            } else {
                given.to_vec()
            }
        };
        ProjectSelection {
            extras: pick(&self.extras, &inputs.extras),
            groups: pick(&self.groups, &inputs.groups),
        }
    }
}

/// The inputs of a run, read.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub requirements: Vec<Requirement>,
    pub constraints: Vec<Requirement>,
    /// The files they came from.
    pub input_files: Vec<PathBuf>,
    pub settings: ClientSettings,
    pub pre: bool,
    /// A lock named by `[inputs] lock`.
    pub lock: Option<PathBuf>,
    /// `--no-binary` / `--only-binary` from requirement files, then flags.
    pub formats: FormatControl,
    /// `--hash` pins of the requirements files, by normalised name.
    pub hashes: BTreeMap<String, BTreeSet<String>>,
    /// The requirements that came from files, with the file, for the
    /// `# via` comments of the requirements files written.
    pub direct: Vec<DirectRequirement>,
}

/// Reads the inputs: the request's requirements and files; when it names
/// none and `project` is given, the configuration's inputs (`[inputs]`,
/// with those extras and groups); then index options from the
/// configuration, the files and the request, in that order of precedence.
pub fn gather(
    ws: &Workspace,
    request: &InputRequest,
    project: Option<&ProjectSelection>,
) -> Result<Inputs> {
    let mut inputs = Inputs {
        requirements: parse_requirements(&request.requirements)?,
        constraints: Vec::new(),
        input_files: Vec::new(),
        settings: ClientSettings::from_config(ws.config),
        pre: request.pre,
        lock: None,
        formats: FormatControl::default(),
        hashes: BTreeMap::new(),
        direct: Vec::new(),
    };
    // Each file with whether it was named by an absolute path, which
    // `# via -r` comments then keep.
    let mut files: Vec<(PathBuf, bool)> = request
        .files
        .iter()
        .map(|f| (ws.path(f), f.is_absolute()))
        .collect();
    let mut constraint_files: Vec<PathBuf> =
        request.constraints.iter().map(|f| ws.path(f)).collect();
    if let (Some(project), false) = (project, request.names_requirements()) {
        let configured = &ws.config.config.inputs;
        if let Some(lock) = &configured.lock {
            inputs.lock = Some(check_lock_input(&ws.config.resolve(lock))?);
        }
        files.extend(
            configured
                .requirements
                .iter()
                .map(|f| (ws.config.resolve(f), f.is_absolute())),
        );
        constraint_files.extend(configured.constraints.iter().map(|f| ws.config.resolve(f)));
        if let Some(pyproject) = &configured.pyproject {
            let path = ws.config.resolve(pyproject);
            let chosen = project.effective(ws);
            let declared =
                crate::project::pyproject_requirements(&path, &chosen.extras, &chosen.groups)?;
            // pip-compile's words for a project's dependencies.
            let shown = shown_path(&path, ws.cwd, pyproject.is_absolute());
            let via = match &declared.project {
                Some(name) => format!("{name} ({shown})"),
                None => format!("({shown})"),
            };
            inputs
                .direct
                .extend(declared.requirements.iter().map(|r| DirectRequirement {
                    requirement: r.clone(),
                    via: via.clone(),
                }));
            inputs.requirements.extend(declared.requirements);
            inputs.input_files.push(path);
        }
    }
    let env = |name: &str| ws.env.get(name).map(str::to_string);
    let mut no_index = request.no_index;
    for (file, absolute) in &files {
        no_index |= read_requirement_file(&mut inputs, file, *absolute, ws.cwd, &env)?;
    }
    for file in &constraint_files {
        let parsed = read_requirements(file, &env)?;
        inputs.constraints.extend(
            parsed
                .requirements
                .into_iter()
                .chain(parsed.constraints)
                .map(|r| r.requirement),
        );
        inputs.input_files.push(file.clone());
    }
    apply_index_flags(&mut inputs.settings, ws, request);
    for value in &request.no_binary {
        inputs
            .formats
            .no_binary(value)
            .map_err(PlanError::FormatOption)?;
    }
    for value in &request.only_binary {
        inputs
            .formats
            .only_binary(value)
            .map_err(PlanError::FormatOption)?;
    }
    if no_index {
        inputs.settings.index_urls.clear();
    }
    inputs.settings.dedup_indexes();
    Ok(inputs)
}

fn parse_requirements(texts: &[String]) -> Result<Vec<Requirement>, PlanError> {
    texts
        .iter()
        .map(|text| {
            text.parse()
                .map_err(|e: pep508_rs::Pep508Error| PlanError::Requirement {
                    text: text.clone(),
                    message: e.message.to_string(),
                })
        })
        .collect()
}

/// Reads one requirements file into `inputs`, its index options into the
/// settings; says whether it asks for `--no-index`.
fn read_requirement_file(
    inputs: &mut Inputs,
    file: &Path,
    absolute: bool,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<bool> {
    let parsed = read_requirements(file, env)?;
    inputs
        .direct
        .extend(parsed.requirements.iter().map(|r| DirectRequirement {
            requirement: r.requirement.clone(),
            via: format!("-r {}", shown_path(&r.origin.path, cwd, absolute)),
        }));
    for line in &parsed.requirements {
        if !line.hashes.is_empty() {
            inputs
                .hashes
                .entry(crate::python::normalize(line.requirement.name.as_ref()))
                .or_default()
                .extend(line.hashes.iter().cloned());
        }
    }
    inputs
        .requirements
        .extend(parsed.requirements.into_iter().map(|r| r.requirement));
    inputs
        .constraints
        .extend(parsed.constraints.into_iter().map(|r| r.requirement));
    inputs.pre |= parsed.pre;
    let settings = &mut inputs.settings;
    if let Some(url) = parsed.index_url {
        replace_first_index(settings, url);
    }
    settings.index_urls.extend(parsed.extra_index_urls);
    settings.find_links.extend(parsed.find_links);
    for (no_binary, value) in &parsed.format_options {
        // Checked when the file was read.
        let _ = if *no_binary {
            inputs.formats.no_binary(value)
        } else {
            inputs.formats.only_binary(value)
        };
    }
    settings.trusted_hosts.extend(parsed.trusted_hosts);
    inputs.input_files.push(file.to_path_buf());
    Ok(parsed.no_index)
}

fn replace_first_index(settings: &mut ClientSettings, url: String) {
    match settings.index_urls.first_mut() {
        Some(first) => *first = url,
        None => settings.index_urls.push(url),
    }
}

/// The index settings of the configuration with the request's index
/// options over them (for runs that read no requirements files).
pub fn index_settings(ws: &Workspace, request: &InputRequest) -> ClientSettings {
    let mut settings = ClientSettings::from_config(ws.config);
    apply_index_flags(&mut settings, ws, request);
    if request.no_index {
        settings.index_urls.clear();
    }
    settings.dedup_indexes();
    settings
}

/// The request's index options over what the configuration and the files
/// said.
fn apply_index_flags(settings: &mut ClientSettings, ws: &Workspace, request: &InputRequest) {
    if let Some(url) = &request.index_url {
        replace_first_index(settings, url.clone());
    }
    settings
        .index_urls
        .extend(request.extra_index_urls.iter().cloned());
    settings
        .find_links
        .extend(request.find_links.iter().map(|link| {
            if link.contains("://") {
                link.clone()
            } else {
                ws.cwd.join(link).display().to_string()
            }
        }));
    settings
        .trusted_hosts
        .extend(request.trusted_hosts.iter().cloned());
}

/// A lock chiron can install from as it is: a PEP 751 `pylock.toml` or a
/// `uv.lock`, which exists.
pub fn check_lock_input(path: &Path) -> Result<PathBuf, PlanError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name != "uv.lock" && !name.ends_with(".toml") {
        return Err(PlanError::NotALock {
            path: path.to_path_buf(),
        });
    }
    if !path.is_file() {
        return Err(PlanError::NoLock {
            path: path.to_path_buf(),
        });
    }
    Ok(path.to_path_buf())
}

/// The Python versions and platforms the caller named; empty means the
/// configuration's.
#[derive(Debug, Default, Clone)]
pub struct TargetRequest {
    pub python: Vec<PythonVersion>,
    pub platforms: Vec<Platform>,
}

/// The targets a lock chiron wrote records, when neither the request nor
/// the configuration names a Python version: `chiron wheelhouse --lock
/// pylock.toml` then serves what `chiron lock` locked. `None` when the
/// targets are named elsewhere, or the lock records none (pip's and uv's).
pub fn targets_of_lock(
    ws: &Workspace,
    request: &TargetRequest,
    lock: &Path,
) -> Result<Option<Vec<Target>>> {
    if !request.python.is_empty() || !ws.config.config.targets.python.is_empty() {
        return Ok(None);
    }
    let is_pylock = lock.extension().is_some_and(|e| e == "toml");
    if !is_pylock {
        return Ok(None);
    }
    let read = crate::lock::pylock::read_pylock(lock)?;
    let floors = ws.config.config.targets.floors();
    let mut found = Vec::new();
    for name in crate::lock::pylock::recorded_targets(&read) {
        let unreadable = || PlanError::LockTarget {
            lock: lock.to_path_buf(),
            name: name.to_string(),
        };
        let (python, platform) = name.split_once('-').ok_or_else(unreadable)?;
        let python: PythonVersion = python.parse().map_err(|_| unreadable())?;
        let platform: Platform = platform.parse().map_err(|_| unreadable())?;
        found.push(Target::new(python, platform, floors).map_err(|_| unreadable())?);
    }
    Ok((!found.is_empty()).then_some(found))
}

/// The targets named by the request, else by the configuration; the
/// platform defaults to this machine's.
pub fn targets(ws: &Workspace, request: &TargetRequest) -> Result<Vec<Target>, PlanError> {
    let config = &ws.config.config.targets;
    let python = if request.python.is_empty() {
        config.python.clone()
    } else {
        request.python.clone()
    };
    if python.is_empty() {
        return Err(PlanError::NoPython);
    }
    let mut platforms = if request.platforms.is_empty() {
        config.platforms.clone()
    } else {
        request.platforms.clone()
    };
    if platforms.is_empty() {
        platforms.push(Platform::Named(
            NamedPlatform::host().ok_or(PlanError::UnknownHost)?,
        ));
    }
    Target::matrix(&python, &platforms, config.floors()).map_err(PlanError::Target)
}

/// `2026-01-31` or an RFC 3339 time (offsets converted), as
/// `YYYY-MM-DDTHH:MM:SS` in UTC.
pub fn normalize_time(text: &str) -> Result<String, PlanError> {
    let epoch = crate::time::parse(text).ok_or_else(|| PlanError::Time {
        text: text.to_string(),
    })?;
    Ok(crate::time::rfc3339(epoch)
        .trim_end_matches('Z')
        .to_string())
}
