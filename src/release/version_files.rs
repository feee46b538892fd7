//! Where a project's version lives, and changing it there: the
//! `[project] version` of `pyproject.toml` or the tool that computes it
//! (`project_version`), and the files named `path:variable` that carry it
//! (`VersionFile`), read and rewritten so that only the characters of the
//! version change.
//!
//! Pure: text in, text out. The caller reads and (atomically) writes the
//! files.
//!
//! A TOML file is rewritten through `toml_edit`'s spans: the bytes between
//! the quotes of the string are replaced, so comments, quote style and
//! whitespace stay as they were. Any other file is searched for one
//! top-level assignment `NAME = "x"`, `NAME = 'x'` or `NAME: str = "x"`
//! (at the start of a line, a plain one-line string, an optional
//! trailing comment); none or several are refused, naming the lines.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where `pyproject.toml` says the version comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectVersion {
    /// `[project] version = "..."`.
    Static(String),
    /// `dynamic = ["version"]`, with the tool that computes it from git
    /// when one is recognised.
    Dynamic(Option<Scm>),
    /// Neither (no `[project]` table, or no version in it).
    Missing,
}

/// The build plugins that take the version from git tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scm {
    /// setuptools-scm (`[tool.setuptools_scm]` or in `build-system.requires`).
    SetuptoolsScm,
    /// hatch-vcs (`[tool.hatch.version] source = "vcs"` or in `requires`).
    HatchVcs,
    /// pdm-backend (`[tool.pdm.version] source = "scm"`).
    PdmBackend,
}

/// A file that carries the version and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFile {
    /// The file, as given (relative to the project root).
    pub path: PathBuf,
    /// Where the version is in it.
    pub locator: Locator,
}

/// Where the version is inside a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// A string at this key path of a TOML file (`["project", "version"]`).
    TomlKey(Vec<String>),
    /// The string assigned to this top-level name (`__version__`).
    Assignment(String),
}

/// Why a version file cannot be named, read or rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionFileError {
    /// A `path:variable` spec that does not say where the version is.
    #[error("`{spec}` does not name a version file: {reason}")]
    Spec { spec: String, reason: String },
    /// The TOML file does not parse.
    #[error("{}:{line}:{column}: not valid TOML: {message}", path.display())]
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The TOML key is absent.
    #[error("{} has no `{key}`", path.display())]
    KeyMissing { path: PathBuf, key: String },
    /// The TOML key holds something other than a string.
    #[error("{}:{line}: `{key}` is not a string", path.display())]
    NotAString {
        path: PathBuf,
        key: String,
        line: usize,
    },
    /// `[project]` has both a version and `dynamic = ["version"]`.
    #[error("{}: [project] has a version and lists it in `dynamic`", path.display())]
    StaticAndDynamic { path: PathBuf },
    /// No assignment of the name.
    #[error("{} assigns no `{name}` at the start of a line", path.display())]
    AssignmentMissing { path: PathBuf, name: String },
    /// Several assignments of the name.
    #[error("{} assigns `{name}` more than once (lines {})", path.display(), join_lines(lines))]
    AssignmentAmbiguous {
        path: PathBuf,
        name: String,
        lines: Vec<usize>,
    },
    /// The assignment's value is not a plain one-line string.
    #[error("{}:{line}: `{name}` is not assigned a plain string literal", path.display())]
    NotALiteral {
        path: PathBuf,
        name: String,
        line: usize,
    },
    /// The new version has characters a version cannot have.
    #[error("`{version}` is not a version to write")]
    BadNewVersion { version: String },
}

fn join_lines(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl crate::diagnose::Diagnose for VersionFileError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        match self {
            Self::BadNewVersion { .. } => crate::diagnose::ExitClass::Problems,
            _ => crate::diagnose::ExitClass::Usage,
        }
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Spec { .. } => "name a version file as `path:variable`, e.g. `src/pkg/__init__.py:__version__` or `pyproject.toml:tool.poetry.version`".into(),
            Self::Toml { .. } => "fix the TOML syntax at that position".into(),
            Self::KeyMissing { .. } => "name the key that holds the version; when the version is dynamic, name the file that holds it".into(),
            Self::NotAString { .. } => "the version must be a quoted string".into(),
            Self::StaticAndDynamic { .. } => "remove `version` from `dynamic`, or remove `[project] version` (PEP 621 forbids both)".into(),
            Self::AssignmentMissing { name, .. } => format!("add a line `{name} = \"0.0.0\"` at the top level, or name another file"),
            Self::AssignmentAmbiguous { .. } => "keep one top-level assignment of the version, or name another variable".into(),
            Self::NotALiteral { name, .. } => format!("assign `{name}` a plain string (`{name} = \"1.2.3\"`)"),
            Self::BadNewVersion { .. } => "a version has letters, digits and `.+!_-` only".into(),
        })
    }
}

/// Where `pyproject.toml` (at `path`, named in errors) takes the version from.
pub fn project_version(path: &Path, text: &str) -> Result<ProjectVersion, VersionFileError> {
    let document = parse_toml(path, text)?;
    let Some(project) = document.get("project") else {
        return Ok(ProjectVersion::Missing);
    };
    let dynamic = project
        .get("dynamic")
        .and_then(|item| item.as_array())
        .is_some_and(|array| array.iter().any(|v| v.as_str() == Some("version")));
    match (project.get("version"), dynamic) {
        (Some(_), true) => Err(VersionFileError::StaticAndDynamic {
            path: path.to_path_buf(),
        }),
        (Some(item), false) => match item.as_str() {
            Some(version) => Ok(ProjectVersion::Static(version.to_string())),
            None => Err(VersionFileError::NotAString {
                path: path.to_path_buf(),
                key: "project.version".into(),
                line: item.span().map_or(0, |span| position(text, span.start).0),
            }),
        },
        (None, true) => Ok(ProjectVersion::Dynamic(scm(&document))),
        (None, false) => Ok(ProjectVersion::Missing),
    }
}

/// The git-tag version plugin the project configures or requires.
fn scm(document: &toml_edit::Document<&str>) -> Option<Scm> {
    let tool = document.get("tool");
    let source = |table: &str| {
        tool.and_then(|t| t.get(table))
            .and_then(|t| t.get("version"))
            .and_then(|v| v.get("source"))
            .and_then(|s| s.as_str())
            .map(str::to_string)
    };
    if tool.and_then(|t| t.get("setuptools_scm")).is_some() {
        return Some(Scm::SetuptoolsScm);
    }
    if source("hatch").as_deref() == Some("vcs") {
        return Some(Scm::HatchVcs);
    }
    if source("pdm").as_deref() == Some("scm") {
        return Some(Scm::PdmBackend);
    }
    let requires = document
        .get("build-system")
        .and_then(|b| b.get("requires"))
        .and_then(|r| r.as_array());
    requires
        .into_iter()
        .flat_map(|array| array.iter())
        .filter_map(|requirement| requirement.as_str())
        .find_map(|requirement| match requirement_name(requirement).as_str() {
            "setuptools-scm" => Some(Scm::SetuptoolsScm),
            "hatch-vcs" => Some(Scm::HatchVcs),
            _ => None,
        })
}

/// The normalised project name at the start of a requirement.
fn requirement_name(requirement: &str) -> String {
    let requirement = requirement.trim_start();
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .unwrap_or(requirement.len());
    requirement[..end]
        .to_ascii_lowercase()
        .replace(['_', '.'], "-")
}

impl std::str::FromStr for VersionFile {
    type Err = VersionFileError;

    /// `path:variable`: `src/pkg/__init__.py:__version__`,
    /// `pyproject.toml:tool.poetry.version`, or `pyproject.toml` alone for
    /// `project.version`. A `.toml` file takes a dotted key, any other file
    /// a variable name.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: &str| VersionFileError::Spec {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = spec.trim();
        let (path, variable) = match trimmed.rsplit_once(':') {
            // `C:\project\pyproject.toml` has a colon but no variable.
            Some((path, variable)) if !variable.contains(['/', '\\']) => (path, Some(variable)),
            _ => (trimmed, None),
        };
        if path.is_empty() {
            return Err(refuse("the path is empty"));
        }
        // Either separator: the spec may come from a Windows user's config.
        let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let path = PathBuf::from(path);
        let is_toml = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("toml"));
        let locator = match (is_toml, variable) {
            (_, Some("")) => return Err(refuse("nothing after `:`")),
            (true, Some(key)) => Locator::TomlKey(
                toml_key(key)
                    .ok_or_else(|| refuse("a TOML key is dotted names (`tool.poetry.version`)"))?,
            ),
            (true, None) if file_name == "pyproject.toml" => {
                Locator::TomlKey(vec!["project".into(), "version".into()])
            }
            (true, None) => return Err(refuse("name the key after `:`")),
            (false, Some(name)) if is_identifier(name) => Locator::Assignment(name.to_string()),
            (false, Some(_)) => return Err(refuse("the variable is not a Python identifier")),
            (false, None) => return Err(refuse("name the variable after `:` (`__version__`)")),
        };
        Ok(Self { path, locator })
    }
}

fn toml_key(key: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = key.split('.').map(|part| part.trim().to_string()).collect();
    let bare = |part: &String| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    parts.iter().all(bare).then_some(parts)
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl VersionFile {
    /// The version the file holds; `text` is the file's content.
    pub fn read(&self, text: &str) -> Result<String, VersionFileError> {
        match &self.locator {
            // The string's decoded value (escapes included).
            Locator::TomlKey(key) => toml_string(&self.path, text, key).map(|(value, _)| value),
            Locator::Assignment(name) => {
                assignment(&self.path, text, name).map(|range| text[range].to_string())
            }
        }
    }

    /// `text` with the version replaced by `new_version`, every other byte
    /// unchanged.
    pub fn rewrite(&self, text: &str, new_version: &str) -> Result<String, VersionFileError> {
        let is_version_text = !new_version.is_empty()
            && new_version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+!_-".contains(c));
        if !is_version_text {
            return Err(VersionFileError::BadNewVersion {
                version: new_version.to_string(),
            });
        }
        let range = self.locate(text)?;
        let mut rewritten = String::with_capacity(text.len() + new_version.len());
        rewritten.push_str(&text[..range.start]);
        rewritten.push_str(new_version);
        rewritten.push_str(&text[range.end..]);
        Ok(rewritten)
    }

    /// The bytes of `text` between the quotes of the version string.
    fn locate(&self, text: &str) -> Result<Range<usize>, VersionFileError> {
        match &self.locator {
            Locator::TomlKey(key) => {
                let (_, span) = toml_string(&self.path, text, key)?;
                let literal = &text[span.clone()];
                let quotes = if literal.starts_with("\"\"\"") || literal.starts_with("'''") {
                    3
                } else {
                    1
                };
                Ok(span.start + quotes..span.end - quotes)
            }
            Locator::Assignment(name) => assignment(&self.path, text, name),
        }
    }
}

fn parse_toml<'a>(
    path: &Path,
    text: &'a str,
) -> Result<toml_edit::Document<&'a str>, VersionFileError> {
    toml_edit::Document::parse(text).map_err(|error| {
        let (line, column) = error
            .span()
            .map_or((1, 1), |span| position(text, span.start));
        VersionFileError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: error.message().trim().to_string(),
        }
    })
}

/// The string at `key` and the span of its literal, quotes included.
fn toml_string(
    path: &Path,
    text: &str,
    key: &[String],
) -> Result<(String, Range<usize>), VersionFileError> {
    let document = parse_toml(path, text)?;
    let mut item = document.as_item();
    for part in key {
        item = item
            .get(part.as_str())
            .ok_or_else(|| VersionFileError::KeyMissing {
                path: path.to_path_buf(),
                key: key.join("."),
            })?;
    }
    let not_a_string = || VersionFileError::NotAString {
        path: path.to_path_buf(),
        key: key.join("."),
        line: item.span().map_or(0, |span| position(text, span.start).0),
    };
    match item.as_value() {
        Some(toml_edit::Value::String(string)) => {
            let span = string.span().ok_or_else(not_a_string)?;
            Ok((string.value().clone(), span))
        }
        _ => Err(not_a_string()),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The bytes between the quotes of the one top-level assignment of `name`.
fn assignment(path: &Path, text: &str, name: &str) -> Result<Range<usize>, VersionFileError> {
    let mut found = Vec::new();
    let mut line_start = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if let Some(value_start) = assigned_value(line, name) {
            found.push((index + 1, line_start + value_start, &line[value_start..]));
        }
        line_start += line.len();
    }
    match found.as_slice() {
        [] => Err(VersionFileError::AssignmentMissing {
            path: path.to_path_buf(),
            name: name.to_string(),
        }),
        [(line, value_start, value)] => {
            let inner = string_literal(value).ok_or_else(|| VersionFileError::NotALiteral {
                path: path.to_path_buf(),
                name: name.to_string(),
                line: *line,
            })?;
            Ok(value_start + inner.start..value_start + inner.end)
        }
        _ => Err(VersionFileError::AssignmentAmbiguous {
            path: path.to_path_buf(),
            name: name.to_string(),
            lines: found.iter().map(|(line, _, _)| *line).collect(),
        }),
    }
}

/// Where the assigned value starts in `line`, when the line assigns `name`
/// at the top level (`NAME = ...` or `NAME: annotation = ...`).
fn assigned_value(line: &str, name: &str) -> Option<usize> {
    let rest = line.strip_prefix(name)?;
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let after_equals = if let Some(annotation) = rest.strip_prefix(':') {
        let equals = annotation.find('=')?;
        &annotation[equals + 1..]
    } else {
        rest.strip_prefix('=')
            .filter(|after| !after.starts_with('='))?
    };
    let value = after_equals.trim_start_matches([' ', '\t']);
    Some(line.len() - value.len())
}

/// The bytes between the quotes when `value` is a plain one-line string
/// literal, followed by nothing but an optional comment.
fn string_literal(value: &str) -> Option<Range<usize>> {
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    if value.starts_with(&quote.to_string().repeat(3)) {
        return None;
    }
    let close = value[1..].find(quote)? + 1;
    let content = &value[1..close];
    if content.contains(['\\', '\n', '\r']) {
        return None;
    }
    let after = value[close + 1..].trim();
    (after.is_empty() || after.starts_with('#')).then_some(1..close)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(spec: &str) -> VersionFile {
        spec.parse().unwrap()
    }

    #[test]
    fn specs() {
        let cases: &[(&str, &str, Locator)] = &[
            (
                "pyproject.toml",
                "pyproject.toml",
                Locator::TomlKey(vec!["project".into(), "version".into()]),
            ),
            (
                "sub/pyproject.toml:tool.poetry.version",
                "sub/pyproject.toml",
                Locator::TomlKey(vec!["tool".into(), "poetry".into(), "version".into()]),
            ),
            (
                "src/pkg/__init__.py:__version__",
                "src/pkg/__init__.py",
                Locator::Assignment("__version__".into()),
            ),
            (
                "C:\\p\\pyproject.toml",
                "C:\\p\\pyproject.toml",
                Locator::TomlKey(vec!["project".into(), "version".into()]),
            ),
            (
                "VERSION.txt:VERSION",
                "VERSION.txt",
                Locator::Assignment("VERSION".into()),
            ),
        ];
        for (spec, path, locator) in cases {
            let parsed = file(spec);
            assert_eq!(parsed.path, Path::new(path), "{spec}");
            assert_eq!(&parsed.locator, locator, "{spec}");
        }
        for bad in [
            "",
            ":x",
            "pkg/__init__.py",
            "pkg/__init__.py:",
            "a.py:1abc",
            "a.py:a.b",
            "Cargo.toml",
            "x.toml:a..b",
            "x.toml:",
        ] {
            assert!(
                matches!(
                    bad.parse::<VersionFile>(),
                    Err(VersionFileError::Spec { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn toml_rewrite_changes_only_the_version() {
        let text = "# top\n[project]\nname = \"x\"\nversion   =   '1.2.3'   # the version\n\n[tool.poetry]\nversion = \"\"\"0.1\"\"\"\n";
        let project = file("pyproject.toml");
        assert_eq!(project.read(text).unwrap(), "1.2.3");
        assert_eq!(
            project.rewrite(text, "1.3.0rc1").unwrap(),
            text.replace("'1.2.3'", "'1.3.0rc1'")
        );
        let poetry = file("pyproject.toml:tool.poetry.version");
        assert_eq!(poetry.read(text).unwrap(), "0.1");
        assert_eq!(
            poetry.rewrite(text, "0.2").unwrap(),
            text.replace("\"\"\"0.1\"\"\"", "\"\"\"0.2\"\"\"")
        );
        let dotted = "project.version = \"1\" # c\r\nproject.name = 'x'\r\n";
        assert_eq!(
            project.rewrite(dotted, "2").unwrap(),
            "project.version = \"2\" # c\r\nproject.name = 'x'\r\n"
        );
        let inline = "tool = { pkg = { version = \"1.0\" } }\n";
        assert_eq!(
            file("a.toml:tool.pkg.version")
                .rewrite(inline, "1.1")
                .unwrap(),
            inline.replace("1.0", "1.1")
        );
    }

    #[test]
    fn toml_errors_name_file_line_and_column() {
        let project = file("pyproject.toml");
        let error = project
            .read("[project]\nname = \"x\"\nversion = 1.2.3.4\n")
            .unwrap_err();
        assert!(
            matches!(&error, VersionFileError::Toml { line: 3, column, .. } if *column > 1),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with("pyproject.toml:3:"),
            "{error}"
        );
        let error = project.read("[project]\nversion = 1\n").unwrap_err();
        assert_eq!(
            error,
            VersionFileError::NotAString {
                path: "pyproject.toml".into(),
                key: "project.version".into(),
                line: 2
            }
        );
        let error = project.read("[project]\nname = 'x'\n").unwrap_err();
        assert!(matches!(error, VersionFileError::KeyMissing { .. }));
        let error = project.read("[project]\nversion = \"ü\n").unwrap_err();
        assert!(
            matches!(error, VersionFileError::Toml { line: 2, .. }),
            "{error:?}"
        );
        assert!(matches!(
            project.rewrite("[project]\nversion = '1'\n", "1 2"),
            Err(VersionFileError::BadNewVersion { .. })
        ));
        assert!(matches!(
            project.rewrite("[project]\nversion = '1'\n", "1\"x"),
            Err(VersionFileError::BadNewVersion { .. })
        ));
    }

    #[test]
    fn python_assignments() {
        let init = file("src/pkg/__init__.py:__version__");
        let cases = [
            ("__version__ = \"1.2.3\"\n", "1.2.3"),
            (
                "\"\"\"Doc.\"\"\"\n__version_info__ = (1, 2)\n__version__: str = '1.2.3'  # bumped\r\nx = 1\n",
                "1.2.3",
            ),
            ("__version__=\"ü1\"", "ü1"),
            (
                "def f():\n    __version__ = 'inner'\n__version__ = '9'\n",
                "9",
            ),
            ("__version__: Final[str]='0.1'\n", "0.1"),
        ];
        for (text, version) in cases {
            assert_eq!(init.read(text).unwrap(), version, "{text:?}");
            let rewritten = init.rewrite(text, "2.0.0").unwrap();
            assert_eq!(rewritten, text.replacen(version, "2.0.0", 1), "{text:?}");
        }
    }

    #[test]
    fn python_refusals_name_lines() {
        let init = file("pkg/__init__.py:__version__");
        let missing = init
            .read("version = '1'\n__version_info__ = '1'\n")
            .unwrap_err();
        assert!(matches!(
            missing,
            VersionFileError::AssignmentMissing { .. }
        ));
        let twice = init
            .read("__version__ = '1'\nx = 2\n__version__ = '2'\n")
            .unwrap_err();
        assert_eq!(
            twice.to_string(),
            "pkg/__init__.py assigns `__version__` more than once (lines 1, 3)"
        );
        for (text, line) in [
            ("\n__version__ = get_version()\n", 2),
            ("__version__ = '1' + '2'\n", 1),
            ("__version__ = \"\"\"1\"\"\"\n", 1),
            ("__version__ = '1\\n'\n", 1),
            ("__version__ = '1\n", 1),
            ("__version__: str\n__version__ = f'{x}'\n", 2),
        ] {
            let error = init.read(text).unwrap_err();
            assert_eq!(
                error,
                VersionFileError::NotALiteral {
                    path: "pkg/__init__.py".into(),
                    name: "__version__".into(),
                    line
                },
                "{text:?}"
            );
        }
        assert!(init.read("__version__ == '1'\n").is_err());
    }

    #[test]
    fn project_versions() {
        let path = Path::new("pyproject.toml");
        let cases: &[(&str, ProjectVersion)] = &[
            (
                "[project]\nname='x'\nversion='1.0'\n",
                ProjectVersion::Static("1.0".into()),
            ),
            ("[project]\nname='x'\n", ProjectVersion::Missing),
            ("[tool.poetry]\nversion='1'\n", ProjectVersion::Missing),
            (
                "[project]\ndynamic=['version']\n",
                ProjectVersion::Dynamic(None),
            ),
            (
                "[build-system]\nrequires=['setuptools>=64', 'setuptools_scm[toml]>=8']\n[project]\ndynamic=['version']\n",
                ProjectVersion::Dynamic(Some(Scm::SetuptoolsScm)),
            ),
            (
                "[project]\ndynamic=['version']\n[tool.setuptools_scm]\n",
                ProjectVersion::Dynamic(Some(Scm::SetuptoolsScm)),
            ),
            (
                "[build-system]\nrequires=['hatchling', 'Hatch.VCS']\n[project]\ndynamic=['version']\n",
                ProjectVersion::Dynamic(Some(Scm::HatchVcs)),
            ),
            (
                "[project]\ndynamic=['version']\n[tool.hatch.version]\nsource='vcs'\n",
                ProjectVersion::Dynamic(Some(Scm::HatchVcs)),
            ),
            (
                "[project]\ndynamic=['version']\n[tool.hatch.version]\npath='src/x/__about__.py'\n",
                ProjectVersion::Dynamic(None),
            ),
            (
                "[project]\ndynamic=['version']\n[tool.pdm.version]\nsource='scm'\n",
                ProjectVersion::Dynamic(Some(Scm::PdmBackend)),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&project_version(path, text).unwrap(), expected, "{text}");
        }
        assert!(matches!(
            project_version(path, "[project]\nversion='1'\ndynamic=['version']\n"),
            Err(VersionFileError::StaticAndDynamic { .. })
        ));
        assert!(matches!(
            project_version(path, "[project]\nversion=[1]\n"),
            Err(VersionFileError::NotAString { line: 2, .. })
        ));
        assert!(matches!(
            project_version(path, "[project\n"),
            Err(VersionFileError::Toml { line: 1, .. })
        ));
    }
}

#[cfg(test)]
mod dotted_tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn dotted_keys_at_the_top_level_are_the_project_table() {
        let text = "project.name = \"demo\"\nproject.version = \"1.2.3\"\n";
        let path = Path::new("pyproject.toml");
        assert_eq!(
            project_version(path, text).unwrap(),
            ProjectVersion::Static("1.2.3".into())
        );
        let file = VersionFile::from_str("pyproject.toml").unwrap();
        assert_eq!(file.read(text).unwrap(), "1.2.3");
        assert_eq!(
            file.rewrite(text, "1.3.0").unwrap(),
            "project.name = \"demo\"\nproject.version = \"1.3.0\"\n"
        );
    }
}
