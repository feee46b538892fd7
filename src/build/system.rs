//! The project's `[build-system]` table (PEP 517, PEP 518): what to
//! install before building, and which backend object to call.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::Requirement;

/// What `[build-system]` says, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSystem {
    /// `requires`, in the order written.
    pub requires: Vec<Requirement>,
    /// `build-backend` as `module` or `module:object`.
    pub backend: String,
    /// `backend-path`: folders of the project (absolute) the backend is
    /// imported from, for in-tree backends.
    pub backend_path: Vec<PathBuf>,
    /// Whether the table was absent and PEP 517's fallback applies.
    pub fallback: bool,
}

/// What PEP 517 prescribes when `pyproject.toml` names no backend:
/// setuptools' legacy backend, as pip and `python -m build` use it.
const FALLBACK_BACKEND: &str = "setuptools.build_meta:__legacy__";
const FALLBACK_REQUIRES: &str = "setuptools>=40.8.0";

#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("{} has no pyproject.toml or setup.py: it is not a Python project", dir.display())]
    NotAProject { dir: PathBuf },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{}: `build-system.{key}` {problem}", path.display())]
    Field {
        path: PathBuf,
        key: String,
        problem: String,
    },
}

impl crate::error::Diagnose for SystemError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            SystemError::NotAProject { .. } => {
                "run chiron build in the project's folder, or pass it as the argument".into()
            }
            SystemError::Read { .. } => "check the file's permissions".into(),
            SystemError::Field { key, .. } if key == "backend-path" => {
                "backend-path names folders inside the project that hold the in-tree backend; an sdist must ship them".into()
            }
            SystemError::Toml { .. } | SystemError::Field { .. } => {
                "see PEP 518 and PEP 517: requires = [\"setuptools>=61\"], build-backend = \"setuptools.build_meta\"".into()
            }
        })
    }
}

impl BuildSystem {
    /// Reads `[build-system]` of the project in `dir`. A project with only
    /// `setup.py`, or a `pyproject.toml` without the table, gets PEP 517's
    /// fallback; a table with `requires` but no backend gets the legacy
    /// setuptools backend with those requirements, as pip does.
    pub fn read(dir: &Path) -> Result<BuildSystem, SystemError> {
        let path = dir.join("pyproject.toml");
        if !path.is_file() {
            if dir.join("setup.py").is_file() {
                return Ok(BuildSystem::fallback(None));
            }
            return Err(SystemError::NotAProject {
                dir: dir.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| SystemError::Read {
            path: path.clone(),
            source,
        })?;
        let doc: toml::Table = toml::from_str(&text).map_err(|e| SystemError::Toml {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let Some(table) = doc.get("build-system") else {
            return Ok(BuildSystem::fallback(None));
        };
        let field = |key: &str, problem: String| SystemError::Field {
            path: path.clone(),
            key: key.to_string(),
            problem,
        };
        let table = table
            .as_table()
            .ok_or_else(|| field("", "is not a table".into()))?;
        let requires = read_requires(table).map_err(|(key, problem)| field(&key, problem))?;
        let Some(backend) = table.get("build-backend") else {
            return Ok(BuildSystem::fallback(Some(requires)));
        };
        let backend = backend
            .as_str()
            .filter(|b| is_backend_reference(b))
            .ok_or_else(|| {
                field(
                    "build-backend",
                    "must be a `module` or `module:object` name".into(),
                )
            })?
            .to_string();
        let backend_path = read_backend_path(dir, table).map_err(|p| field("backend-path", p))?;
        Ok(BuildSystem {
            requires,
            backend,
            backend_path,
            fallback: false,
        })
    }

    fn fallback(requires: Option<Vec<Requirement>>) -> BuildSystem {
        let requires = requires.unwrap_or_else(|| {
            vec![Requirement::from_str(FALLBACK_REQUIRES).expect("a valid requirement")]
        });
        BuildSystem {
            requires,
            backend: FALLBACK_BACKEND.into(),
            backend_path: Vec::new(),
            fallback: true,
        }
    }
}

/// `requires`: a list of PEP 508 strings (PEP 518 makes it mandatory).
fn read_requires(table: &toml::Table) -> Result<Vec<Requirement>, (String, String)> {
    let Some(value) = table.get("requires") else {
        return Err(("requires".into(), "is missing (PEP 518 requires it)".into()));
    };
    let list = value.as_array().ok_or_else(|| {
        (
            "requires".to_string(),
            "must be a list of strings".to_string(),
        )
    })?;
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let key = format!("requires[{i}]");
            let text = item
                .as_str()
                .ok_or_else(|| (key.clone(), "must be a string".to_string()))?;
            Requirement::from_str(text)
                .map_err(|e| (key, format!("= {text:?} is not a PEP 508 requirement: {e}")))
        })
        .collect()
}

/// `module` or `module:object`, each a dotted Python identifier.
fn is_backend_reference(text: &str) -> bool {
    let dotted = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|part| {
                let mut chars = part.chars();
                chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                    && chars.all(|c| c.is_alphanumeric() || c == '_')
            })
    };
    match text.split_once(':') {
        Some((module, object)) => dotted(module) && dotted(object),
        None => dotted(text),
    }
}

/// `backend-path`: relative folders inside the project (PEP 517 forbids
/// leaving it), made absolute.
fn read_backend_path(dir: &Path, table: &toml::Table) -> Result<Vec<PathBuf>, String> {
    let Some(value) = table.get("backend-path") else {
        return Ok(Vec::new());
    };
    let list = value.as_array().ok_or("must be a list of strings")?;
    list.iter()
        .map(|item| {
            let text = item.as_str().ok_or("must be a list of strings")?;
            let relative = crate::bundle::archive::safe_relative(Path::new(text))
                .or_else(|| (text == ".").then(PathBuf::new))
                .ok_or_else(|| format!("entry {text:?} leaves the project folder"))?;
            let path = dir.join(relative);
            if !path.is_dir() {
                return Err(format!(
                    "entry {text:?} does not exist in {}",
                    dir.display()
                ));
            }
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pyproject: Option<&str>, setup_py: bool) -> Result<BuildSystem, SystemError> {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = pyproject {
            std::fs::write(dir.path().join("pyproject.toml"), text).unwrap();
        }
        if setup_py {
            std::fs::write(dir.path().join("setup.py"), "").unwrap();
        }
        BuildSystem::read(dir.path())
    }

    #[test]
    fn a_declared_backend_is_read_with_its_requirements() {
        let system = read(
            Some(
                "[build-system]\nrequires = [\"hatchling>=1.20\", \"hatch-vcs; python_version >= '3.8'\"]\nbuild-backend = \"hatchling.build\"\n",
            ),
            false,
        )
        .unwrap();
        assert_eq!(system.backend, "hatchling.build");
        assert_eq!(system.requires.len(), 2);
        assert_eq!(system.requires[0].name.as_ref(), "hatchling");
        assert!(!system.fallback);
    }

    #[test]
    fn without_a_backend_pep_517_falls_back_to_legacy_setuptools() {
        let only_setup = read(None, true).unwrap();
        assert_eq!(only_setup.backend, FALLBACK_BACKEND);
        assert_eq!(only_setup.requires[0].to_string(), "setuptools>=40.8.0");
        let no_table = read(Some("[project]\nname = \"x\"\n"), false).unwrap();
        assert!(no_table.fallback);
        let requires_only = read(
            Some("[build-system]\nrequires = [\"setuptools>=70\", \"cython\"]\n"),
            false,
        )
        .unwrap();
        assert_eq!(requires_only.backend, FALLBACK_BACKEND);
        assert_eq!(requires_only.requires.len(), 2);
    }

    #[test]
    fn a_backend_path_stays_inside_the_project() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("_build")).unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\"_build\", \".\"]\n",
        )
        .unwrap();
        let system = BuildSystem::read(dir.path()).unwrap();
        assert!(system.backend_path[0].ends_with("_build"));
        // An sdist that does not ship its in-tree backend is refused, as
        // python -m build refuses it.
        let error = read(
            Some("[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\"_b\"]\n"),
            false,
        )
        .unwrap_err();
        assert!(error.to_string().contains("does not exist"), "{error}");
        let hint = crate::error::Diagnose::hint(&error).unwrap_or_default();
        assert!(hint.contains("in-tree backend"), "{hint}");
        let error = read(
            Some(
                "[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\"../x\"]\n",
            ),
            false,
        )
        .unwrap_err();
        assert!(error.to_string().contains("leaves the project"), "{error}");
    }

    #[test]
    fn bad_tables_are_named_with_the_key() {
        let cases = [
            (
                "[build-system]\nbuild-backend = \"x\"\n",
                "`build-system.requires` is missing",
            ),
            (
                "[build-system]\nrequires = \"setuptools\"\n",
                "must be a list",
            ),
            (
                "[build-system]\nrequires = [\"set tools!!\"]\n",
                "requires[0]",
            ),
            (
                "[build-system]\nrequires = []\nbuild-backend = \"a b\"\n",
                "build-backend",
            ),
            ("[build-system\n", "not valid TOML"),
        ];
        for (text, expected) in cases {
            let error = read(Some(text), false).unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
        assert!(matches!(
            read(None, false),
            Err(SystemError::NotAProject { .. })
        ));
    }
}
