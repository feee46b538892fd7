//! The commented `chiron.toml` that `chiron init` writes for a project.
//!
//! Pure: takes what was found in the project and what the user chose, and
//! returns the text. The result always parses as a valid configuration.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::project::ProjectScan;
use crate::python::target::{NamedPlatform, Platform};
use crate::python::version::{KNOWN_PYTHONS, MAINTAINED_PYTHONS, PythonVersion};

/// What the user asked `chiron init` for, over what it detects.
#[derive(Debug, Clone, Default)]
pub struct InitChoices {
    pub python: Vec<PythonVersion>,
    pub platforms: Vec<Platform>,
    pub requirements: Vec<PathBuf>,
    pub lock: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InitError {
    #[error("{} does not look like a Python project: no pyproject.toml dependencies, requirements*.txt, pylock.toml or uv.lock", root.display())]
    NoInputs { root: PathBuf },
    #[error(
        "requires-python `{requires_python}` admits no CPython release chiron can target ({})",
        known(KNOWN_PYTHONS)
    )]
    NoPython { requires_python: String },
}

impl InitError {
    pub fn hint(&self) -> String {
        match self {
            InitError::NoInputs { .. } => "run it in the project's folder, or name the inputs: \
                 `chiron init --requirements requirements.txt` or `--lock pylock.toml`"
                .into(),
            InitError::NoPython { .. } => {
                "fix requires-python in pyproject.toml, or choose versions with `--python 3.12,3.13`"
                    .into()
            }
        }
    }
}

impl crate::error::Diagnose for InitError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

fn known(versions: &[PythonVersion]) -> String {
    versions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The platforms a new configuration serves unless told otherwise: the
/// three most common desktop and server platforms, plus the host's.
pub fn default_platforms() -> Vec<Platform> {
    let mut platforms = vec![
        Platform::Named(NamedPlatform::LinuxX86_64),
        Platform::Named(NamedPlatform::MacosArm64),
        Platform::Named(NamedPlatform::WindowsX86_64),
    ];
    if let Some(host) = NamedPlatform::host() {
        let host = Platform::Named(host);
        if !platforms.contains(&host) {
            platforms.push(host);
        }
    }
    platforms
}

/// Renders the configuration file for `scan` and `choices`.
pub fn render_init(scan: &ProjectScan, choices: &InitChoices) -> Result<String, InitError> {
    let lock = choices.lock.clone().or_else(|| scan.locks.first().cloned());
    let requirements = if choices.requirements.is_empty() {
        default_requirements(&scan.requirements)
    } else {
        choices.requirements.clone()
    };
    if lock.is_none() && requirements.is_empty() && !scan.has_inputs() {
        return Err(InitError::NoInputs {
            root: scan.root.clone(),
        });
    }
    let (python, python_note) = choose_pythons(scan, &choices.python)?;
    let platforms = if choices.platforms.is_empty() {
        default_platforms()
    } else {
        choices.platforms.clone()
    };
    let mut out = header(scan);
    inputs_section(&mut out, scan, lock.as_ref(), &requirements);
    targets_section(&mut out, &python, &python_note, &platforms);
    fixed_sections(&mut out);
    Ok(out)
}

/// The file's title and what it is.
fn header(scan: &ProjectScan) -> String {
    let mut out = String::new();
    let title = scan
        .name
        .as_deref()
        .map(|name| format!("chiron configuration for {name}."))
        .unwrap_or_else(|| "chiron configuration.".into());
    let _ = writeln!(out, "# {title}");
    out.push_str(
        "# Written by `chiron init`. Every key is optional; relative paths are relative\n\
         # to this file. `chiron config show` prints the effective values and where each\n\
         # comes from, `chiron config schema` the JSON Schema of this file.\n\n",
    );
    out
}

/// `[inputs]`: the lock (used as it is) or the requirements, and what else
/// the project has, commented.
fn inputs_section(
    out: &mut String,
    scan: &ProjectScan,
    lock: Option<&PathBuf>,
    requirements: &[PathBuf],
) {
    out.push_str("[inputs]\n");
    let locked = lock.is_some();
    let active = |on: bool| if on { "" } else { "# " };
    if let Some(lock) = lock {
        out.push_str(
            "# A lock (pylock.toml or uv.lock) is used as it is, without re-resolving;\n\
             # while it is set, the requirement inputs below are not read.\n",
        );
        let _ = writeln!(out, "lock = {}", quote_path(lock));
        for other in scan.locks.iter().filter(|l| *l != lock) {
            let _ = writeln!(out, "# lock = {}", quote_path(other));
        }
    }
    out.push_str("# Requirements files (pip's -r).\n");
    if requirements.is_empty() {
        out.push_str("# requirements = [\"requirements.txt\"]\n");
    } else {
        let _ = writeln!(
            out,
            "{}requirements = {}",
            active(!locked),
            quote_paths(requirements)
        );
    }
    let unused: Vec<PathBuf> = scan
        .requirements
        .iter()
        .filter(|r| !requirements.contains(r))
        .cloned()
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(out, "# Also found, not used: {}", quote_paths(&unused));
    }
    if !scan.constraints.is_empty() {
        out.push_str("# Constraints files (pip's -c).\n");
        let _ = writeln!(out, "# constraints = {}", quote_paths(&scan.constraints));
    }
    if scan.has_static_dependencies {
        out.push_str("# The [project] dependencies of pyproject.toml.\n");
        let _ = writeln!(out, "{}pyproject = \"pyproject.toml\"", active(!locked));
    } else if scan.dynamic_dependencies {
        out.push_str(
            "# pyproject.toml declares its dependencies dynamic; chiron cannot read them\n\
             # without building the project, so list them in a requirements file.\n",
        );
    }
    if !scan.extras.is_empty() {
        out.push_str("# Optional dependencies ([project.optional-dependencies]) to include.\n");
        let _ = writeln!(out, "# extras = {}", quote_strs(&scan.extras));
    }
    if !scan.groups.is_empty() {
        out.push_str("# Dependency groups (PEP 735 [dependency-groups]) to include.\n");
        let _ = writeln!(out, "# groups = {}", quote_strs(&scan.groups));
    }
}

/// `[targets]`: the Python versions (and why), platforms and OS floors.
fn targets_section<P: std::fmt::Display, Q: std::fmt::Display>(
    out: &mut String,
    python: &[P],
    python_note: &str,
    platforms: &[Q],
) {
    out.push_str("\n[targets]\n");
    let _ = writeln!(out, "# {python_note}");
    let _ = writeln!(out, "python = {}", quote_display(python));
    out.push_str(
        "# Names: linux-x86_64, linux-aarch64, musllinux-x86_64, macos-x86_64, macos-arm64,\n\
         # windows-x86_64, windows-arm64, ... or raw tags such as manylinux_2_28_x86_64.\n",
    );
    let _ = writeln!(out, "platforms = {}", quote_display(platforms));
    out.push_str(
        "# The oldest systems the wheels must run on.\n\
         min-glibc = \"2.17\"\n\
         min-musl = \"1.2\"\n\
         min-macos = \"11.0\"\n",
    );
}

/// The sections whose text does not depend on the project: index,
/// wheelhouse, policy, scan, signing and telemetry, with their defaults.
fn fixed_sections(out: &mut String) {
    out.push_str(
        "\n[index]\n\
         # Unset, chiron uses PIP_INDEX_URL (as pip does), else PyPI. Setting it here\n\
         # overrides pip's environment for this project; CHIRON_INDEX_URL overrides this.\n\
         # url = \"https://pypi.org/simple\"\n\
         # A package found on two indexes is an error unless it is pinned to one.\n\
         # extra-urls = []\n\
         # find-links = [\"./vendor-wheels\"]\n",
    );

    out.push_str(
        "\n[wheelhouse]\n\
         dir = \"wheelhouse\"\n",
    );

    out.push_str(
        "\n[policy]\n\
         # The highest advisory severity that still passes: none, low, medium, high, critical.\n\
         max-severity = \"medium\"\n\
         allow-sdist = false\n\
         allow-yanked = false\n\
         # allow-licenses = [\"MIT\", \"Apache-2.0\", \"BSD-3-Clause\"]\n\
         # deny-licenses = [\"AGPL-3.0-only\"]\n\
                  # deny-packages = [\"insecure-package<2\"]\n\
         # Refuse releases younger than this (time for a bad upload to be caught).\n\
         # min-release-age = \"7d\"\n\
         # Fail the gate when no vulnerability scan could run.\n\
         # require-scan = true\n\
         # OPA/conftest-style Rego policies over manifest.json.\n\
         # rego = [\"policy.rego\"]\n",
    );

    out.push_str(
        "\n[scan]\n\
         # Where advisories come from: db (offline; fill it with `chiron scan --update-db`),\n\
         # osv-api or pypi.\n\
         source = \"db\"\n\
         # osv-db = \"osv/PyPI-all.zip\"\n",
    );

    out.push_str(
        "\n[signing]\n\
         # A cosign-format key pair; the private key must be mode 0600.\n\
         # key = \"cosign.key\"\n\
         # public-key = \"cosign.pub\"\n",
    );

    out.push_str(
        "\n[telemetry]\n\
         # OTLP/HTTP collector for traces; OTEL_EXPORTER_OTLP_ENDPOINT overrides it.\n\
         # otlp-endpoint = \"http://127.0.0.1:4318\"\n",
    );
}

/// `requirements.txt` when present (other files are often dev or docs
/// extras); otherwise every requirements file found.
fn default_requirements(found: &[PathBuf]) -> Vec<PathBuf> {
    let main = Path::new("requirements.txt");
    if found.iter().any(|r| r == main) {
        vec![main.to_path_buf()]
    } else {
        found.to_vec()
    }
}

pub(super) fn choose_pythons(
    scan: &ProjectScan,
    chosen: &[PythonVersion],
) -> Result<(Vec<PythonVersion>, String), InitError> {
    if !chosen.is_empty() {
        return Ok((chosen.to_vec(), "Chosen with --python.".into()));
    }
    let Some(requires) = &scan.requires_python else {
        return Ok((
            MAINTAINED_PYTHONS.to_vec(),
            "The CPython releases that still receive fixes; pyproject.toml sets no requires-python."
                .into(),
        ));
    };
    let maintained = PythonVersion::admitted_by(requires, MAINTAINED_PYTHONS);
    if !maintained.is_empty() {
        return Ok((
            maintained,
            format!("Maintained CPython releases that requires-python \"{requires}\" admits."),
        ));
    }
    let known = PythonVersion::admitted_by(requires, KNOWN_PYTHONS);
    if !known.is_empty() {
        return Ok((
            known,
            format!(
                "requires-python \"{requires}\" admits only CPython releases past their end of life."
            ),
        ));
    }
    Err(InitError::NoPython {
        requires_python: requires.to_string(),
    })
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn quote_path(path: &Path) -> String {
    // Forward slashes keep the file portable between Windows and Unix.
    quote(&path.to_string_lossy().replace('\\', "/"))
}

fn quote_paths(paths: &[PathBuf]) -> String {
    let items: Vec<String> = paths.iter().map(|p| quote_path(p)).collect();
    format!("[{}]", items.join(", "))
}

fn quote_strs(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", items.join(", "))
}

fn quote_display<T: std::fmt::Display>(items: &[T]) -> String {
    let items: Vec<String> = items.iter().map(|s| quote(&s.to_string())).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigFileKind, load::parse_file};

    fn scan() -> ProjectScan {
        ProjectScan {
            root: PathBuf::from("/p"),
            name: Some("demo".into()),
            requires_python: Some(">=3.12".parse().unwrap()),
            has_pyproject: true,
            has_static_dependencies: true,
            extras: vec!["cli".into()],
            groups: vec!["dev".into()],
            requirements: vec!["requirements-dev.txt".into(), "requirements.txt".into()],
            constraints: vec!["constraints.txt".into()],
            ..ProjectScan::default()
        }
    }

    fn parse(text: &str) -> crate::config::Config {
        let table = parse_file(Path::new("chiron.toml"), text, ConfigFileKind::ChironToml)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        toml::Value::Table(table).try_into().unwrap()
    }

    #[test]
    fn renders_a_valid_config_from_the_project() {
        let text = render_init(&scan(), &InitChoices::default()).unwrap();
        let config = parse(&text);
        assert!(text.starts_with("# chiron configuration for demo."));
        assert_eq!(
            config.inputs.requirements,
            [PathBuf::from("requirements.txt")]
        );
        assert_eq!(
            config.inputs.pyproject,
            Some(PathBuf::from("pyproject.toml"))
        );
        let python: Vec<String> = config
            .targets
            .python
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(python, ["3.12", "3.13", "3.14", "3.15"]);
        assert!(config.targets.platforms.len() >= 3);
        // pip's environment must keep working: the index URL stays commented.
        assert_eq!(config.index, crate::config::IndexConfig::default());
        assert!(text.contains("# Also found, not used: [\"requirements-dev.txt\"]"));
        assert!(text.contains("# groups = [\"dev\"]"));
    }

    #[test]
    fn a_lock_wins_and_requirements_are_commented() {
        let mut scan = scan();
        scan.locks = vec!["pylock.toml".into(), "uv.lock".into()];
        let text = render_init(&scan, &InitChoices::default()).unwrap();
        let config = parse(&text);
        assert_eq!(config.inputs.lock, Some(PathBuf::from("pylock.toml")));
        assert!(config.inputs.requirements.is_empty());
        assert!(text.contains("# lock = \"uv.lock\""));
    }

    #[test]
    fn choices_override_detection() {
        let choices = InitChoices {
            python: vec![PythonVersion::new(3, 11)],
            platforms: vec!["manylinux_2_28_aarch64".parse().unwrap()],
            requirements: vec!["deps/prod.txt".into()],
            lock: None,
        };
        let config = parse(&render_init(&scan(), &choices).unwrap());
        assert_eq!(config.targets.python, [PythonVersion::new(3, 11)]);
        assert_eq!(
            config.targets.platforms,
            [Platform::Tag("manylinux_2_28_aarch64".into())]
        );
        assert_eq!(config.inputs.requirements, [PathBuf::from("deps/prod.txt")]);
    }

    #[test]
    fn old_requires_python_falls_back_to_known_releases() {
        let mut scan = scan();
        scan.requires_python = Some("<3.10".parse().unwrap());
        let config = parse(&render_init(&scan, &InitChoices::default()).unwrap());
        let python: Vec<String> = config
            .targets
            .python
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(python, ["3.7", "3.8", "3.9"]);

        scan.requires_python = Some("<3.0".parse().unwrap());
        let error = render_init(&scan, &InitChoices::default()).unwrap_err();
        assert!(matches!(error, InitError::NoPython { .. }));
    }

    #[test]
    fn an_empty_folder_is_not_a_project() {
        let scan = ProjectScan {
            root: PathBuf::from("/empty"),
            ..ProjectScan::default()
        };
        let error = render_init(&scan, &InitChoices::default()).unwrap_err();
        assert_eq!(
            error,
            InitError::NoInputs {
                root: "/empty".into()
            }
        );
        // Naming inputs makes it work anywhere.
        let choices = InitChoices {
            requirements: vec!["reqs.in".into()],
            ..InitChoices::default()
        };
        let config = parse(&render_init(&scan, &choices).unwrap());
        assert_eq!(config.inputs.requirements, [PathBuf::from("reqs.in")]);
    }
}
