//! What a Python project folder contains, as far as chiron's inputs go:
//! `pyproject.toml` (name, requires-python, dependencies, extras, groups),
//! requirements and constraints files, and existing locks.
//!
//! Reads files; decides nothing about what to write (that is `config::template`).

use std::path::{Path, PathBuf};

use pep440_rs::VersionSpecifiers;

/// The inputs found in a project folder, with paths relative to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectScan {
    pub root: PathBuf,
    /// `[project] name`.
    pub name: Option<String>,
    /// `[project] requires-python`, parsed.
    pub requires_python: Option<VersionSpecifiers>,
    /// Whether `pyproject.toml` exists.
    pub has_pyproject: bool,
    /// Whether `[project] dependencies` is declared statically (non-empty
    /// list, not listed in `dynamic`).
    pub has_static_dependencies: bool,
    /// Whether `dependencies` is listed in `[project] dynamic`.
    pub dynamic_dependencies: bool,
    /// Names of `[project.optional-dependencies]`, sorted.
    pub extras: Vec<String>,
    /// Names of PEP 735 `[dependency-groups]`, sorted.
    pub groups: Vec<String>,
    /// `requirements*.txt` at the root and `*.txt` under `requirements/`, sorted.
    pub requirements: Vec<PathBuf>,
    /// `constraints*.txt` at the root, sorted.
    pub constraints: Vec<PathBuf>,
    /// `pylock.toml`, `pylock.*.toml` and `uv.lock`, PEP 751 locks first.
    pub locks: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{}: `requires-python = \"{value}\"` is not a PEP 440 specifier: {message}", path.display())]
    RequiresPython {
        path: PathBuf,
        value: String,
        message: String,
    },
}

impl crate::diagnose::Diagnose for ProjectError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some("fix pyproject.toml, or name the inputs with --requirements / --lock".into())
    }
}

impl ProjectScan {
    /// Whether anything chiron can read as requirements was found.
    pub fn has_inputs(&self) -> bool {
        self.has_static_dependencies
            || !self.requirements.is_empty()
            || !self.locks.is_empty()
            || !self.groups.is_empty()
    }
}

/// The lock `chiron build` keeps of its backends (PEP 751 names a lock
/// `pylock.NAME.toml`): not an input of the project's dependencies.
pub const BUILD_PYLOCK: &str = "pylock.build.toml";

/// Scans `root` for a Python project's inputs.
pub fn scan_project(root: &Path) -> Result<ProjectScan, ProjectError> {
    let mut scan = ProjectScan {
        root: root.to_path_buf(),
        ..ProjectScan::default()
    };
    let pyproject = root.join("pyproject.toml");
    if pyproject.is_file() {
        scan.has_pyproject = true;
        read_pyproject(&pyproject, &mut scan)?;
    }
    let entries = list_dir(root)?;
    for name in &entries {
        let is_txt = name.ends_with(".txt");
        if is_txt && name.starts_with("requirements") {
            scan.requirements.push(PathBuf::from(name));
        } else if is_txt && name.starts_with("constraints") {
            scan.constraints.push(PathBuf::from(name));
        } else if name == "pylock.toml"
            || (name.starts_with("pylock.") && name.ends_with(".toml") && name != BUILD_PYLOCK)
        {
            // `pylock.build.toml` locks `chiron build`'s backends, not the
            // project's dependencies.
            scan.locks.push(PathBuf::from(name));
        }
    }
    if root.join("uv.lock").is_file() {
        scan.locks.push(PathBuf::from("uv.lock"));
    }
    let nested = root.join("requirements");
    if nested.is_dir() {
        for name in list_dir(&nested)? {
            if name.ends_with(".txt") {
                scan.requirements.push(Path::new("requirements").join(name));
            }
        }
    }
    Ok(scan)
}

/// File names in `dir`, sorted, so scans are deterministic.
fn list_dir(dir: &Path) -> Result<Vec<String>, ProjectError> {
    let read = |source| ProjectError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        if entry.path().is_file()
            && let Some(name) = entry.file_name().to_str()
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

fn read_pyproject(path: &Path, scan: &mut ProjectScan) -> Result<(), ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| ProjectError::Toml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if let Some(project) = doc.get("project").and_then(toml::Value::as_table) {
        scan.name = project
            .get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_string);
        if let Some(value) = project.get("requires-python").and_then(toml::Value::as_str) {
            let parsed =
                value
                    .parse::<VersionSpecifiers>()
                    .map_err(|e| ProjectError::RequiresPython {
                        path: path.to_path_buf(),
                        value: value.to_string(),
                        message: e.to_string(),
                    })?;
            scan.requires_python = Some(parsed);
        }
        scan.dynamic_dependencies = project
            .get("dynamic")
            .and_then(toml::Value::as_array)
            .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("dependencies")));
        scan.has_static_dependencies = !scan.dynamic_dependencies
            && project
                .get("dependencies")
                .and_then(toml::Value::as_array)
                .is_some_and(|d| !d.is_empty());
        scan.extras = table_keys(project.get("optional-dependencies"));
    }
    scan.groups = table_keys(doc.get("dependency-groups"));
    Ok(())
}

fn table_keys(value: Option<&toml::Value>) -> Vec<String> {
    // toml::Table is ordered by key, so this is already sorted.
    value
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// PEP 517 backends that compile native code.
const NATIVE_BACKENDS: &[&str] = &[
    "maturin",
    "mesonpy",
    "scikit_build_core.build",
    "setuptools_rust.build_meta",
];
/// Build files at a project's root that mean native code is compiled.
const NATIVE_BUILD_FILES: &[&str] = &["Cargo.toml", "CMakeLists.txt", "meson.build"];
/// What a `setup.py` that compiles extension modules says.
const SETUP_PY_EXTENSIONS: &[&str] = &["ext_modules", "Extension(", "cythonize("];

/// Whether the project in `root` compiles native code, so that its wheels
/// are per platform: a `[build-system] build-backend` that compiles
/// (maturin, meson-python, scikit-build-core), a Cargo, CMake or Meson
/// build at the root, or a `setup.py` that declares extension modules.
pub fn builds_native_code(root: &Path) -> Result<bool, ProjectError> {
    let pyproject = root.join("pyproject.toml");
    if let Some(text) = read_optional(&pyproject)? {
        let doc: toml::Table = toml::from_str(&text).map_err(|e| ProjectError::Toml {
            path: pyproject.clone(),
            message: e.to_string(),
        })?;
        let backend = doc
            .get("build-system")
            .and_then(|b| b.get("build-backend"))
            .and_then(toml::Value::as_str);
        if backend.is_some_and(|b| NATIVE_BACKENDS.contains(&b)) {
            return Ok(true);
        }
    }
    if NATIVE_BUILD_FILES.iter().any(|f| root.join(f).is_file()) {
        return Ok(true);
    }
    let setup = read_optional(&root.join("setup.py"))?.unwrap_or_default();
    Ok(SETUP_PY_EXTENSIONS.iter().any(|s| setup.contains(s)))
}

/// A text file's contents, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, ProjectError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProjectError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_a_typical_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("pyproject.toml"),
            r#"
[project]
name = "demo-app"
requires-python = ">=3.12"
dependencies = ["requests>=2"]
[project.optional-dependencies]
socks = ["pysocks"]
cli = ["click"]
[dependency-groups]
dev = ["pytest"]
"#,
        )
        .unwrap();
        for name in [
            "requirements.txt",
            "requirements-dev.txt",
            "constraints.txt",
            "uv.lock",
            "pylock.toml",
            "README.md",
        ] {
            std::fs::write(root.join(name), "").unwrap();
        }
        std::fs::create_dir(root.join("requirements")).unwrap();
        std::fs::write(root.join("requirements/docs.txt"), "").unwrap();

        let scan = scan_project(root).unwrap();
        assert_eq!(scan.name.as_deref(), Some("demo-app"));
        assert_eq!(scan.requires_python.unwrap().to_string(), ">=3.12");
        assert!(scan.has_static_dependencies && !scan.dynamic_dependencies);
        assert_eq!(scan.extras, ["cli", "socks"]);
        assert_eq!(scan.groups, ["dev"]);
        let paths = |v: &[PathBuf]| {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            paths(&scan.requirements),
            [
                "requirements-dev.txt",
                "requirements.txt",
                "requirements/docs.txt"
            ]
        );
        assert_eq!(paths(&scan.constraints), ["constraints.txt"]);
        assert_eq!(paths(&scan.locks), ["pylock.toml", "uv.lock"]);
    }

    #[test]
    fn dynamic_dependencies_are_not_static() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n",
        )
        .unwrap();
        let scan = scan_project(dir.path()).unwrap();
        assert!(scan.dynamic_dependencies);
        assert!(!scan.has_static_dependencies);
        assert!(!scan.has_inputs());
    }

    #[test]
    fn bad_requires_python_names_the_file_and_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\nrequires-python = \"3.12+\"\n",
        )
        .unwrap();
        let error = scan_project(dir.path()).unwrap_err().to_string();
        assert!(error.contains("pyproject.toml"), "{error}");
        assert!(error.contains("3.12+"), "{error}");
    }
}

/// What a `pyproject.toml` declares for `pyproject_requirements`.
#[derive(Debug, Clone)]
pub struct DeclaredRequirements {
    /// `[project] name`, as written.
    pub project: Option<String>,
    pub requirements: Vec<pep508_rs::Requirement>,
}

/// The requirements a `pyproject.toml` declares: `[project] dependencies`,
/// the named `optional-dependencies` (extras), and the named PEP 735
/// `[dependency-groups]` (following `{include-group = "..."}`).
pub fn pyproject_requirements(
    path: &Path,
    extras: &[String],
    groups: &[String],
) -> Result<DeclaredRequirements, ProjectError> {
    use std::str::FromStr;
    let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| ProjectError::Toml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let invalid = |message: String| ProjectError::Toml {
        path: path.to_path_buf(),
        message,
    };
    let parse =
        |value: &toml::Value, context: &str| -> Result<pep508_rs::Requirement, ProjectError> {
            let text = value
                .as_str()
                .ok_or_else(|| invalid(format!("{context}: `{value}` is not a string")))?;
            pep508_rs::Requirement::from_str(text).map_err(|e| {
                invalid(format!(
                    "{context}: `{text}` is not a valid requirement: {}",
                    e.message
                ))
            })
        };
    let project = doc.get("project").and_then(toml::Value::as_table);
    let dynamic = project
        .and_then(|p| p.get("dynamic"))
        .and_then(toml::Value::as_array)
        .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("dependencies")));
    if dynamic {
        return Err(invalid(
            "[project] dependencies are dynamic: chiron cannot read them without building the project; list them in a requirements file".into(),
        ));
    }
    let mut out = Vec::new();
    for value in project
        .and_then(|p| p.get("dependencies"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push(parse(value, "[project] dependencies")?);
    }
    let optional = project
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(toml::Value::as_table);
    for extra in extras {
        let normalized = extra.replace(['_', '.'], "-").to_ascii_lowercase();
        let list = optional
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.replace(['_', '.'], "-").to_ascii_lowercase() == normalized)
            })
            .and_then(|(_, v)| v.as_array())
            .ok_or_else(|| invalid(format!("no optional-dependencies named `{extra}`")))?;
        for value in list {
            out.push(parse(value, &format!("optional-dependencies.{extra}"))?);
        }
    }
    let all_groups = doc.get("dependency-groups").and_then(toml::Value::as_table);
    for group in groups {
        collect_group(
            all_groups,
            group,
            &mut Vec::new(),
            &mut out,
            &parse,
            &invalid,
        )?;
    }
    Ok(DeclaredRequirements {
        project: project
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .map(str::to_string),
        requirements: out,
    })
}

fn collect_group(
    groups: Option<&toml::Table>,
    name: &str,
    stack: &mut Vec<String>,
    out: &mut Vec<pep508_rs::Requirement>,
    parse: &dyn Fn(&toml::Value, &str) -> Result<pep508_rs::Requirement, ProjectError>,
    invalid: &dyn Fn(String) -> ProjectError,
) -> Result<(), ProjectError> {
    // PEP 735: group names compare normalised, like package names.
    let normalize = |s: &str| s.replace(['_', '.'], "-").to_ascii_lowercase();
    if stack.iter().any(|s| normalize(s) == normalize(name)) {
        return Err(invalid(format!(
            "dependency group `{name}` includes itself ({} -> {name})",
            stack.join(" -> ")
        )));
    }
    let entries = groups
        .and_then(|g| g.iter().find(|(k, _)| normalize(k) == normalize(name)))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| invalid(format!("no [dependency-groups] entry named `{name}`")))?;
    stack.push(name.to_string());
    for entry in entries {
        match entry.as_table().and_then(|t| t.get("include-group")) {
            Some(included) => {
                let included = included.as_str().ok_or_else(|| {
                    invalid(format!("group `{name}`: include-group must be a string"))
                })?;
                collect_group(groups, included, stack, out, parse, invalid)?;
            }
            None => out.push(parse(entry, &format!("dependency-groups.{name}"))?),
        }
    }
    stack.pop();
    Ok(())
}

#[cfg(test)]
mod pyproject_tests {
    use super::*;

    fn names(requirements: &[pep508_rs::Requirement]) -> Vec<String> {
        requirements.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn dependencies_extras_and_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            r#"
[project]
name = "demo"
dependencies = ["requests>=2"]
[project.optional-dependencies]
Socks_Proxy = ["pysocks"]
[dependency-groups]
test = ["pytest", {include-group = "lint"}]
lint = ["ruff"]
loop-a = [{include-group = "loop-b"}]
loop-b = [{include-group = "loop-a"}]
"#,
        )
        .unwrap();
        let all = pyproject_requirements(&path, &["socks-proxy".into()], &["test".into()]).unwrap();
        assert_eq!(all.project.as_deref(), Some("demo"));
        assert_eq!(
            names(&all.requirements),
            ["requests>=2", "pysocks", "pytest", "ruff"]
        );
        let error = pyproject_requirements(&path, &[], &["loop-a".into()])
            .unwrap_err()
            .to_string();
        assert!(error.contains("includes itself"), "{error}");
        let error = pyproject_requirements(&path, &["nope".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("no optional-dependencies named `nope`"),
            "{error}"
        );
    }
}

#[cfg(test)]
mod native_tests {
    use super::*;

    #[test]
    fn native_code_is_told_by_the_backend_build_files_or_setup_py() {
        let cases: [(&[(&str, &str)], bool); 7] = [
            (
                &[(
                    "pyproject.toml",
                    "[build-system]\nbuild-backend = \"hatchling.build\"\n",
                )],
                false,
            ),
            (
                &[(
                    "pyproject.toml",
                    "[build-system]\nbuild-backend = \"maturin\"\n",
                )],
                true,
            ),
            (
                &[(
                    "pyproject.toml",
                    "[build-system]\nbuild-backend = \"scikit_build_core.build\"\n",
                )],
                true,
            ),
            (
                &[
                    ("pyproject.toml", "[project]\nname = \"x\"\n"),
                    ("CMakeLists.txt", ""),
                ],
                true,
            ),
            (
                &[(
                    "setup.py",
                    "from setuptools import setup\nsetup(name='x')\n",
                )],
                false,
            ),
            (
                &[("setup.py", "setup(ext_modules=[Extension('x', ['x.c'])])\n")],
                true,
            ),
            (&[], false),
        ];
        for (files, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            assert_eq!(
                builds_native_code(dir.path()).unwrap(),
                expected,
                "{files:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), "[build-system\n").unwrap();
        assert!(matches!(
            builds_native_code(dir.path()),
            Err(ProjectError::Toml { .. })
        ));
    }
}
