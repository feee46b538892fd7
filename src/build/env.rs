//! The isolated build environment: a fresh virtual environment with
//! exactly the build lock's wheels, installed offline and hash-checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::python::version::PythonVersion;

/// What installs the build lock into the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `uv pip install`, with this uv.
    Uv(PathBuf),
    /// The base interpreter's pip (22.3 or later), told to install into
    /// the environment with `--python`: no pip inside the venv to make.
    OuterPip(PathBuf),
    /// The environment's own pip (the venv is made with it).
    Pip,
}

impl Installer {
    /// uv when it is on `PATH`; else the base interpreter's pip when it can
    /// install into another environment (as `python -m build` does); else
    /// a pip inside the environment.
    pub fn detect(path: Option<&str>, base: &Path) -> Installer {
        let name = if cfg!(windows) { "uv.exe" } else { "uv" };
        let uv = path
            .into_iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file());
        match uv {
            Some(uv) => Installer::Uv(uv),
            None if outer_pip_works(base) => Installer::OuterPip(base.to_path_buf()),
            None => Installer::Pip,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Installer::Uv(_) => "uv",
            Installer::OuterPip(_) | Installer::Pip => "pip",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("cannot run {}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed ({status}):\n{output}")]
    Failed {
        what: String,
        status: String,
        output: String,
    },
    #[error("{} does not say which Python it is: {output}", python.display())]
    Version { python: PathBuf, output: String },
}

impl crate::error::Diagnose for EnvError {
    fn exit_class(&self) -> crate::error::ExitClass {
        match self {
            // The interpreter named (or python3) does not run: the call.
            EnvError::Spawn { .. } | EnvError::Version { .. } => crate::error::ExitClass::Usage,
            EnvError::Failed { .. } => crate::error::ExitClass::Problems,
        }
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            EnvError::Spawn { .. } | EnvError::Version { .. } => {
                "pass a working CPython 3 with --python (it needs the venv module)".into()
            }
            EnvError::Failed { .. } => {
                "the build lock and the build wheelhouse disagree: run chiron build once with the network to refresh them".into()
            }
        })
    }
}

/// Whether `base -m pip` is pip 22.3 or later (which has `--python`).
fn outer_pip_works(base: &Path) -> bool {
    let Ok(output) = Command::new(base)
        .args(["-m", "pip", "--version"])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.split_whitespace().nth(1).unwrap_or_default();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    output.status.success() && (major, minor) >= (22, 3)
}

/// The distributions installed in an interpreter's environment, by
/// normalised name (the first one found on `sys.path` wins, as import
/// does).
pub fn installed(
    python: &Path,
) -> Result<std::collections::BTreeMap<pep508_rs::PackageName, pep440_rs::Version>, EnvError> {
    let script = "import importlib.metadata as m, json\n\
                  print(json.dumps([[d.metadata['Name'] or '', d.version or ''] for d in m.distributions()]))";
    let output = run(Command::new(python).args(["-c", script]), python)?;
    let text = String::from_utf8_lossy(&output.stdout);
    let pairs: Vec<(String, String)> =
        serde_json::from_str(text.trim()).map_err(|_| EnvError::Version {
            python: python.to_path_buf(),
            output: text.trim().to_string(),
        })?;
    let mut found = std::collections::BTreeMap::new();
    for (name, version) in pairs {
        if let (Ok(name), Ok(version)) = (name.parse(), version.parse()) {
            found.entry(name).or_insert(version);
        }
    }
    Ok(found)
}

/// The `X.Y` of an interpreter.
pub fn python_version(python: &Path) -> Result<PythonVersion, EnvError> {
    let output = run(
        Command::new(python).args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]),
        python,
    )?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    text.parse().map_err(|_| EnvError::Version {
        python: python.to_path_buf(),
        output: text,
    })
}

/// Makes a virtual environment at `dir` with `base` and returns its
/// interpreter. With uv as the installer it has no pip of its own.
pub fn create(base: &Path, dir: &Path, installer: &Installer) -> Result<PathBuf, EnvError> {
    let mut command = Command::new(base);
    command.args(["-m", "venv"]);
    if !matches!(installer, Installer::Pip) {
        command.arg("--without-pip");
    }
    command.arg(dir);
    checked(&mut command, base, "creating the build environment")?;
    Ok(dir.join(if cfg!(windows) {
        "Scripts/python.exe"
    } else {
        "bin/python"
    }))
}

/// Installs `requirements` (hash-pinned) from the `wheelhouse` folder
/// alone into the environment of `python`: no index, no configuration
/// files or variables of pip and uv.
pub fn install(
    python: &Path,
    installer: &Installer,
    wheelhouse: &Path,
    requirements: &Path,
) -> Result<(), EnvError> {
    let mut command = match installer {
        Installer::Uv(uv) => {
            let mut command = Command::new(uv);
            command
                .args(["pip", "install", "--no-config", "--python"])
                .arg(python);
            command
        }
        Installer::OuterPip(base) => {
            let mut command = Command::new(base);
            command
                .args([
                    "-m",
                    "pip",
                    "--isolated",
                    "--disable-pip-version-check",
                    "--python",
                ])
                .arg(python)
                .arg("install");
            command
        }
        Installer::Pip => {
            let mut command = Command::new(python);
            command.args([
                "-m",
                "pip",
                "--isolated",
                "--disable-pip-version-check",
                "install",
            ]);
            command
        }
    };
    command
        .args([
            "--no-index",
            "--require-hashes",
            "--no-deps",
            "--find-links",
        ])
        .arg(wheelhouse)
        .arg("-r")
        .arg(requirements);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("PIP_") || key.starts_with("UV_") {
            command.env_remove(key.as_ref());
        }
    }
    let program = match installer {
        Installer::Uv(uv) => uv.clone(),
        Installer::OuterPip(base) => base.clone(),
        Installer::Pip => python.to_path_buf(),
    };
    checked(
        &mut command,
        &program,
        &format!(
            "installing the build requirements with {}",
            installer.name()
        ),
    )
    .map(drop)
}

fn run(command: &mut Command, program: &Path) -> Result<Output, EnvError> {
    command.output().map_err(|source| EnvError::Spawn {
        program: program.to_path_buf(),
        source,
    })
}

fn checked(command: &mut Command, program: &Path, what: &str) -> Result<Output, EnvError> {
    let output = run(command, program)?;
    if output.status.success() {
        return Ok(output);
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(EnvError::Failed {
        what: what.to_string(),
        status: output.status.to_string(),
        output: text.trim_end().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uv_is_found_on_path_else_pip() {
        let dir = tempfile::tempdir().unwrap();
        let no_python = dir.path().join("no-python");
        assert_eq!(
            Installer::detect(Some(&dir.path().display().to_string()), &no_python),
            Installer::Pip
        );
        std::fs::write(dir.path().join("uv"), "").unwrap();
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).unwrap();
        assert_eq!(
            Installer::detect(path.to_str(), &no_python),
            Installer::Uv(dir.path().join("uv"))
        );
        assert_eq!(Installer::detect(None, &no_python), Installer::Pip);
    }
}
