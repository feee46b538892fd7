//! pip's configuration files, found and read as pip 26 reads them, so that
//! chiron works wherever pip already works.
//!
//! Files, lowest first (pip's `OVERRIDE_ORDER`): the global files
//! (`$XDG_CONFIG_DIRS/pip/pip.conf` for each absolute entry, default
//! `/etc/xdg`, then `/etc/pip.conf`), the user files (`~/.pip/pip.conf`, then
//! `$XDG_CONFIG_HOME/pip/pip.conf`, default `~/.config`; skipped when
//! `PIP_CONFIG_FILE` names an existing file), the site file
//! (`$VIRTUAL_ENV/pip.conf`), then `PIP_CONFIG_FILE`. `PIP_CONFIG_FILE` set
//! to `/dev/null` turns every file off. Within the files, every `[global]`
//! value comes before every `[download]` value (a `[download]` key of a
//! global file beats a `[global]` key of a user file, as in pip), and pip's
//! `PIP_*` variables, read in `load`, beat all of them.
//!
//! chiron reads the `[download]` section because a wheelhouse is what
//! `pip download` makes: the values pip uses for `pip download` are the
//! values chiron uses. This module reads files and returns values; it does
//! not merge them with chiron's own layers.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::origin::{Env, Source};

/// The section of a pip file chiron reads after `[global]`.
pub const PIP_COMMAND_SECTION: &str = "download";

/// pip's name for `os.devnull`, which turns every file off.
const DEVNULL: &str = if cfg!(windows) { "nul" } else { "/dev/null" };

/// Which of pip's kinds of file a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipFileKind {
    Global,
    User,
    Site,
    /// Named by `PIP_CONFIG_FILE`.
    Env,
}

/// The files pip would read, lowest precedence first, whether they exist or not.
pub fn pip_config_files(env: &Env) -> Vec<(PipFileKind, PathBuf)> {
    let explicit = env.get("PIP_CONFIG_FILE").map(PathBuf::from);
    if explicit.as_deref() == Some(Path::new(DEVNULL)) {
        return Vec::new();
    }
    let name = if cfg!(windows) { "pip.ini" } else { "pip.conf" };
    let home = env.get("HOME").map(PathBuf::from).or_else(dirs::home_dir);
    let mut files = Vec::new();

    let xdg_dirs = env.get("XDG_CONFIG_DIRS").unwrap_or("/etc/xdg");
    for dir in xdg_dirs.split(':').map(Path::new) {
        // platformdirs drops empty and relative entries.
        if dir.is_absolute() {
            files.push((PipFileKind::Global, dir.join("pip").join(name)));
        }
    }
    files.push((PipFileKind::Global, Path::new("/etc").join(name)));

    let skip_user = explicit.as_deref().is_some_and(Path::is_file);
    if !skip_user && let Some(home) = &home {
        files.push((PipFileKind::User, home.join(".pip").join(name)));
        let config_home = env
            .get("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        files.push((PipFileKind::User, config_home.join("pip").join(name)));
    }
    if let Some(venv) = env.get("VIRTUAL_ENV") {
        files.push((PipFileKind::Site, Path::new(venv).join(name)));
    }
    if let Some(explicit) = explicit {
        files.push((PipFileKind::Env, explicit));
    }
    files
}

/// One value a pip file sets, as the chiron key it maps to.
#[derive(Debug, Clone, PartialEq)]
pub struct PipValue {
    /// The dotted chiron key, such as `index.url`.
    pub key: &'static str,
    pub value: toml::Value,
    /// The file and section.
    pub source: Source,
}

/// Every value pip's files set for the keys chiron understands, in the
/// order pip applies them (later wins). Relative paths are made absolute
/// against `cwd`, as pip opens them.
pub fn pip_file_values(env: &Env, cwd: &Path) -> Result<Vec<PipValue>, ConfigError> {
    let mut parsed = Vec::new();
    for (_, path) in pip_config_files(env) {
        // configparser skips a file it cannot open, and so does pip.
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                tracing::debug!("pip config {} not read: {error}", path.display());
                continue;
            }
        };
        let sections = parse_ini(&path, &text)?;
        parsed.push((path, sections));
    }
    let mut values = Vec::new();
    for section in ["global", PIP_COMMAND_SECTION] {
        for (path, sections) in &parsed {
            for entry in sections.iter().filter(|e| e.section == section) {
                if let Some(value) = convert(path, entry, cwd)? {
                    values.push(value);
                }
            }
        }
    }
    Ok(values)
}

/// One `name = value` of an INI file, its name normalised as pip does.
#[derive(Debug, Clone, PartialEq)]
struct IniEntry {
    section: String,
    name: String,
    value: String,
    line: usize,
}

/// pip's spelling of a name: lower case, `-` for `_`, no leading `--`.
fn normalize_name(name: &str) -> String {
    let name = name.trim().to_lowercase().replace('_', "-");
    name.strip_prefix("--").map(str::to_string).unwrap_or(name)
}

/// Python's `RawConfigParser` with its defaults: `[section]` headers,
/// `name = value` or `name: value`, full-line `#`/`;` comments, indented
/// continuation lines, `[DEFAULT]` values in every section, and a name
/// repeated in one section an error.
fn parse_ini(path: &Path, text: &str) -> Result<Vec<IniEntry>, ConfigError> {
    let mut parser = IniParser {
        path,
        text,
        entries: Vec::new(),
        defaults: Vec::new(),
        section: None,
        open: None,
    };
    for (index, raw) in text.lines().enumerate() {
        parser.line(index + 1, raw)?;
    }
    let IniParser {
        mut entries,
        mut defaults,
        ..
    } = parser;
    for entry in entries.iter_mut().chain(defaults.iter_mut()) {
        entry.value = entry.value.trim_end().to_string();
    }
    Ok(with_defaults(&entries, &defaults))
}

/// The state of [`parse_ini`] between lines.
struct IniParser<'a> {
    path: &'a Path,
    text: &'a str,
    entries: Vec<IniEntry>,
    /// The `[DEFAULT]` section's entries.
    defaults: Vec<IniEntry>,
    section: Option<String>,
    /// The entry whose value indented lines continue, and its indent.
    open: Option<(usize, usize)>,
}

impl IniParser<'_> {
    fn line(&mut self, line_no: usize, raw: &str) -> Result<(), ConfigError> {
        let raw = raw.trim_end_matches('\r');
        let trimmed = raw.trim();
        let indent = raw.len() - raw.trim_start().len();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            return Ok(());
        }
        if trimmed.is_empty() {
            // Empty lines belong to an open value until a non-indented line.
            if let Some(value) = self.open_value(None) {
                value.push('\n');
            }
            return Ok(());
        }
        if let Some(value) = self.open_value(Some(indent)) {
            value.push('\n');
            value.push_str(trimmed);
            return Ok(());
        }
        self.open = None;
        if trimmed.starts_with('[') {
            let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
                return Err(self.invalid(
                    line_no,
                    format!("`{trimmed}` is not a section header"),
                    "write a section as [global] or [download]",
                ));
            };
            self.section = Some(name.to_string());
            return Ok(());
        }
        self.entry(line_no, trimmed, indent)
    }

    /// The value of the open entry, when a line indented by `indent`
    /// (any, for `None`) continues it.
    fn open_value(&mut self, indent: Option<usize>) -> Option<&mut String> {
        let (entry, key_indent) = self.open?;
        if indent.is_some_and(|indent| indent <= key_indent) {
            return None;
        }
        let list = if self.section.as_deref() == Some("DEFAULT") {
            &mut self.defaults
        } else {
            &mut self.entries
        };
        Some(&mut list[entry].value)
    }

    /// A `name = value` line of the current section.
    fn entry(&mut self, line_no: usize, trimmed: &str, indent: usize) -> Result<(), ConfigError> {
        let Some(current) = self.section.clone() else {
            return Err(self.invalid(
                line_no,
                "a value before any [section] header".into(),
                "pip's files start with a section such as [global]",
            ));
        };
        let split = trimmed
            .find(['=', ':'])
            .filter(|&at| !trimmed[..at].trim().is_empty());
        let Some(at) = split else {
            return Err(self.invalid(
                line_no,
                format!("`{trimmed}` is not `name = value`"),
                "write each setting as `name = value`, e.g. `index-url = https://host/simple`",
            ));
        };
        let entry = IniEntry {
            section: current.clone(),
            name: normalize_name(&trimmed[..at]),
            value: trimmed[at + 1..].trim().to_string(),
            line: line_no,
        };
        let list = if current == "DEFAULT" {
            &self.defaults
        } else {
            &self.entries
        };
        if list
            .iter()
            .any(|e| e.section == entry.section && e.name == entry.name)
        {
            return Err(self.invalid(
                line_no,
                format!("`{}` is set twice in [{current}]", entry.name),
                "pip refuses a file that sets a name twice in one section; keep one",
            ));
        }
        let list = if current == "DEFAULT" {
            &mut self.defaults
        } else {
            &mut self.entries
        };
        list.push(entry);
        self.open = Some((list.len() - 1, indent));
        Ok(())
    }

    fn invalid(&self, line: usize, message: String, hint: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column: 1,
            message,
            snippet: self
                .text
                .lines()
                .nth(line.saturating_sub(1))
                .map(|l| format!("{line} | {l}"))
                .unwrap_or_default(),
            hint: Some(hint.into()),
        }
    }
}

/// Every section's entries, followed by the `[DEFAULT]` values it does not
/// set itself.
fn with_defaults(entries: &[IniEntry], defaults: &[IniEntry]) -> Vec<IniEntry> {
    let mut sections: Vec<String> = entries.iter().map(|e| e.section.clone()).collect();
    sections.dedup();
    let mut out = Vec::new();
    for name in sections {
        if out.iter().any(|e: &IniEntry| e.section == name) {
            continue;
        }
        let own: Vec<&IniEntry> = entries.iter().filter(|e| e.section == name).collect();
        out.extend(own.iter().map(|e| (*e).clone()));
        for default in defaults {
            if !own.iter().any(|e| e.name == default.name) {
                out.push(IniEntry {
                    section: name.clone(),
                    ..default.clone()
                });
            }
        }
    }
    out
}

/// The chiron key and value of one pip setting; `None` for names chiron
/// does not use and for empty values (pip drops those too).
fn convert(path: &Path, entry: &IniEntry, cwd: &Path) -> Result<Option<PipValue>, ConfigError> {
    if entry.value.trim().is_empty() {
        return Ok(None);
    }
    let source = Source::PipFile {
        path: path.to_path_buf(),
        section: entry.section.clone(),
    };
    let bad = |message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: entry.line,
        column: 1,
        message,
        snippet: format!("{} | {} = {}", entry.line, entry.name, entry.value),
        hint: Some("fix the value, or run `pip config debug` to see every file pip reads".into()),
    };
    let absolute = |text: &str| -> String {
        if text.contains("://") {
            text.to_string()
        } else {
            cwd.join(text).display().to_string()
        }
    };
    let list = |absolutize: bool| {
        toml::Value::Array(
            entry
                .value
                .split_whitespace()
                .map(|item| {
                    if absolutize {
                        absolute(item).into()
                    } else {
                        item.into()
                    }
                })
                .collect(),
        )
    };
    let (key, value): (&'static str, toml::Value) = match entry.name.as_str() {
        "index-url" => ("index.url", entry.value.trim().into()),
        "extra-index-url" => ("index.extra-urls", list(false)),
        "find-links" => ("index.find-links", list(true)),
        "trusted-host" => ("index.trusted-hosts", list(false)),
        "cert" => ("index.cert", absolute(entry.value.trim()).into()),
        "client-cert" => ("index.client-cert", absolute(entry.value.trim()).into()),
        "timeout" | "default-timeout" => {
            let seconds = parse_seconds(&entry.value).ok_or_else(|| {
                bad(format!(
                    "`{}` is not a number of seconds for `{}`",
                    entry.value, entry.name
                ))
            })?;
            ("index.timeout", seconds.into())
        }
        "no-index" => {
            let flag = strtobool(&entry.value).ok_or_else(|| {
                bad(format!(
                    "`{}` is not a boolean for `no-index` (use yes/no, true/false, 1/0)",
                    entry.value
                ))
            })?;
            ("index.no-index", flag.into())
        }
        _ => return Ok(None),
    };
    Ok(Some(PipValue { key, value, source }))
}

/// Seconds as pip's float option reads them, rounded up to whole seconds.
pub(super) fn parse_seconds(text: &str) -> Option<i64> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0).then(|| seconds.ceil() as i64)
}

/// Python's `strtobool`, which pip uses for flags in files and variables.
pub(super) fn strtobool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, String)> {
        parse_ini(Path::new("pip.conf"), text)
            .unwrap()
            .into_iter()
            .map(|e| (e.section, e.name, e.value))
            .collect()
    }

    #[test]
    fn ini_files_read_as_configparser_reads_them() {
        let text = "# comment\n[global]\nIndex_URL = https://a.invalid/simple\n\
                    extra-index-url =\n    https://b.invalid/simple\n\n    https://c.invalid/simple\n\
                    ; other comment\n[download]\n--timeout: 7\n";
        assert_eq!(
            entries(text),
            [
                (
                    "global".into(),
                    "index-url".into(),
                    "https://a.invalid/simple".into()
                ),
                (
                    "global".into(),
                    "extra-index-url".into(),
                    "\nhttps://b.invalid/simple\n\nhttps://c.invalid/simple".into()
                ),
                ("download".into(), "timeout".into(), "7".into()),
            ]
        );
        let defaults = entries("[DEFAULT]\ntimeout = 3\n[global]\ncert = x\n");
        assert!(defaults.contains(&("global".into(), "timeout".into(), "3".into())));
    }

    #[test]
    fn bad_ini_names_the_line() {
        for (text, line, needle) in [
            ("index-url = x\n", 1, "before any [section]"),
            ("[global]\ntimeout = 1\nTIMEOUT = 2\n", 3, "set twice"),
            ("[global]\njust words\n", 2, "not `name = value`"),
            ("[global\n", 1, "section header"),
        ] {
            match parse_ini(Path::new("pip.conf"), text).unwrap_err() {
                ConfigError::Invalid {
                    line: got, message, ..
                } => {
                    assert_eq!(got, line, "{text}");
                    assert!(message.contains(needle), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn file_list_follows_pip() {
        let env = Env::from_pairs([
            ("HOME", "/h"),
            ("XDG_CONFIG_DIRS", "/a::rel:/b"),
            ("XDG_CONFIG_HOME", "relative"),
            ("VIRTUAL_ENV", "/v"),
        ]);
        let files: Vec<PathBuf> = pip_config_files(&env).into_iter().map(|f| f.1).collect();
        let expected: Vec<PathBuf> = [
            "/a/pip/pip.conf",
            "/b/pip/pip.conf",
            "/etc/pip.conf",
            "/h/.pip/pip.conf",
            "/h/.config/pip/pip.conf",
            "/v/pip.conf",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(files, expected);
        let env = Env::from_pairs([("PIP_CONFIG_FILE", DEVNULL)]);
        assert!(pip_config_files(&env).is_empty());
    }

    #[test]
    fn sections_order_beats_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("xdg/pip/pip.conf");
        std::fs::create_dir_all(global.parent().unwrap()).unwrap();
        std::fs::write(
            &global,
            "[download]\nindex-url = https://download.invalid/simple\n",
        )
        .unwrap();
        let user = dir.path().join(".config/pip/pip.conf");
        std::fs::create_dir_all(user.parent().unwrap()).unwrap();
        std::fs::write(
            &user,
            "[global]\nindex-url = https://user.invalid/simple\nno-index = off\n\
             [install]\nindex-url = https://install.invalid/simple\n",
        )
        .unwrap();
        let env = Env::from_pairs([
            ("HOME", dir.path().to_str().unwrap()),
            ("XDG_CONFIG_DIRS", dir.path().join("xdg").to_str().unwrap()),
        ]);
        let values = pip_file_values(&env, dir.path()).unwrap();
        let urls: Vec<(&str, &toml::Value)> = values
            .iter()
            .filter(|v| v.key == "index.url")
            .map(|v| (v.key, &v.value))
            .collect();
        assert_eq!(urls.len(), 2, "[install] is not read: {values:?}");
        let last = values.iter().rfind(|v| v.key == "index.url").unwrap();
        assert_eq!(last.value.as_str(), Some("https://download.invalid/simple"));
        assert_eq!(
            last.source,
            Source::PipFile {
                path: global,
                section: "download".into()
            }
        );
        assert!(values.iter().any(|v| v.key == "index.no-index"));
    }
}
