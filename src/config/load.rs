//! Finding the configuration file, layering the sources of each value and
//! explaining bad input with the file, line and column.
//!
//! Layers, lowest first: defaults, `SSL_CERT_FILE`, pip's configuration
//! files (in pip's order, see `pip`), pip's environment (`PIP_INDEX_URL`,
//! ...), the file, chiron's and OpenTelemetry's environment (`CHIRON_*`, `OTEL_*`),
//! then command-line flags. pip's settings sit below the file because they
//! describe the user's machine in general, while the file describes this
//! project; `CHIRON_*` variables are the way to override a project for one run.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::Config;
use super::error::ConfigError;
use super::origin::{Env, Source};
use super::pip::parse_seconds;

/// What the command line says about configuration.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config PATH` (or `CHIRON_CONFIG`, read by the CLI): use this file, do not search.
    pub explicit: Option<PathBuf>,
    /// Where the search for a configuration file starts.
    pub cwd: PathBuf,
    /// `--offline`.
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFileKind {
    /// A `chiron.toml`, or any other file named with `--config`.
    ChironToml,
    /// The `[tool.chiron]` table of a `pyproject.toml`.
    Pyproject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub kind: ConfigFileKind,
}

/// The effective configuration and where each of its values came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub file: Option<ConfigFile>,
    /// The folder relative paths in the file are resolved against: the
    /// file's folder, or the working folder when there is no file.
    pub root: PathBuf,
    /// Dotted key (`index.url`) to the source of its value, for every leaf.
    pub sources: BTreeMap<String, Source>,
}

impl LoadedConfig {
    /// A path from the configuration, made absolute against its root.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.root.join(path)
    }

    /// The cache folder; always set once loaded.
    pub fn cache_dir(&self) -> PathBuf {
        self.config
            .cache
            .dir
            .clone()
            .map(|dir| self.resolve(&dir))
            .unwrap_or_else(|| self.root.join(".chiron-cache"))
    }

    pub fn source(&self, key: &str) -> Source {
        self.sources.get(key).cloned().unwrap_or(Source::Default)
    }
}

/// Loads the effective configuration: finds the file (unless one is given),
/// parses it strictly and layers the environment and flags over it.
pub fn load(options: &LoadOptions, env: &Env) -> Result<LoadedConfig, ConfigError> {
    let file = match options.explicit.clone() {
        Some(path) => {
            let path = options.cwd.join(path);
            if !path.is_file() {
                return Err(ConfigError::NotFound { path });
            }
            let kind = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
                ConfigFileKind::Pyproject
            } else {
                ConfigFileKind::ChironToml
            };
            Some(ConfigFile { path, kind })
        }
        None => discover(&options.cwd)?,
    };
    layer(options, env, file)
}

/// The configuration from defaults, environment and flags alone, for when
/// the file cannot be used (so `chiron doctor` can still check the rest).
pub fn load_without_file(options: &LoadOptions, env: &Env) -> Result<LoadedConfig, ConfigError> {
    layer(options, env, None)
}

fn layer(
    options: &LoadOptions,
    env: &Env,
    file: Option<ConfigFile>,
) -> Result<LoadedConfig, ConfigError> {
    let root = file
        .as_ref()
        .and_then(|f| f.path.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| options.cwd.clone());

    let mut layers = Layers::new(&env_default_cache_dir(env));
    layers.extend(pip_layers(env, &options.cwd)?);
    if let Some(file) = &file {
        let text = std::fs::read_to_string(&file.path).map_err(|source| ConfigError::Read {
            path: file.path.clone(),
            source: Arc::new(source),
        })?;
        let table = parse_file(&file.path, &text, file.kind)?;
        layers.push(Layer {
            source: Source::File(file.path.clone()),
            values: table,
        });
    }
    layers.extend(chiron_env_layers(env, &options.cwd)?);
    if options.offline {
        let mut values = toml::Table::new();
        insert_dotted(&mut values, "index.offline", toml::Value::Boolean(true));
        layers.push(Layer {
            source: Source::Flag("--offline".into()),
            values,
        });
    }
    let (merged, sources) = layers.merge();
    let config = Config::deserialize(merged).map_err(|error| {
        // The file was checked on its own, so a failure here comes from a
        // variable or flag; name the first one that set anything.
        let (key, origin) = sources
            .iter()
            .find(|(_, s)| matches!(s, Source::Env(_) | Source::Flag(_)))
            .map(|(k, s)| (k.clone(), s.clone()))
            .unwrap_or_else(|| (String::new(), Source::Default));
        let text = error.to_string();
        let (message, _) = super::value::split_hint(&text);
        ConfigError::Override {
            key,
            origin,
            message: message.trim().to_string(),
        }
    })?;
    Ok(LoadedConfig {
        config,
        file,
        root,
        sources,
    })
}

/// Searches `start` and its parents for the project's configuration: the
/// first folder with a `chiron.toml` or a `pyproject.toml` ends the search.
pub fn discover(start: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    for dir in start.ancestors() {
        let chiron = dir.join("chiron.toml");
        if chiron.is_file() {
            return Ok(Some(ConfigFile {
                path: chiron,
                kind: ConfigFileKind::ChironToml,
            }));
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file() {
            let text = std::fs::read_to_string(&pyproject).map_err(|source| ConfigError::Read {
                path: pyproject.clone(),
                source: Arc::new(source),
            })?;
            let has_tool_chiron = toml::from_str::<toml::Table>(&text).is_ok_and(|doc| {
                doc.get("tool")
                    .and_then(|tool| tool.get("chiron"))
                    .is_some()
            });
            // A pyproject.toml marks the project root even without [tool.chiron].
            return Ok(has_tool_chiron.then_some(ConfigFile {
                path: pyproject,
                kind: ConfigFileKind::Pyproject,
            }));
        }
    }
    Ok(None)
}

/// Parses a configuration file strictly (unknown keys and wrong types are
/// errors) and returns the keys it sets.
pub fn parse_file(
    path: &Path,
    text: &str,
    kind: ConfigFileKind,
) -> Result<toml::Table, ConfigError> {
    // Deserialised only to check `[tool.chiron]` with spans into the whole file.
    #[derive(Deserialize)]
    struct Pyproject {
        #[serde(default)]
        #[expect(dead_code, reason = "parsed to validate only")]
        tool: Tool,
    }
    #[derive(Deserialize, Default)]
    struct Tool {
        #[serde(default)]
        #[expect(dead_code, reason = "parsed to validate only")]
        chiron: Config,
    }

    let invalid = |error: toml::de::Error| {
        let span = error.span().unwrap_or(0..0);
        invalid_at(path, text, span, error.message())
    };
    match kind {
        ConfigFileKind::ChironToml => {
            toml::from_str::<Config>(text).map_err(invalid)?;
            toml::from_str::<toml::Table>(text).map_err(invalid)
        }
        ConfigFileKind::Pyproject => {
            toml::from_str::<Pyproject>(text).map_err(invalid)?;
            let doc = toml::from_str::<toml::Table>(text).map_err(invalid)?;
            Ok(doc
                .get("tool")
                .and_then(|tool| tool.get("chiron"))
                .and_then(|chiron| chiron.as_table())
                .cloned()
                .unwrap_or_default())
        }
    }
}

/// Builds the error for a problem at `span` of `text`, with a snippet and
/// a hint: the one a bad value gave, or for an unknown key the nearest
/// valid one.
fn invalid_at(path: &Path, text: &str, span: Range<usize>, message: &str) -> ConfigError {
    let (message, value_hint) = super::value::split_hint(message);
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    let width = text[start..span.end.clamp(start, line_end)]
        .chars()
        .count()
        .max(1);
    let snippet = snippet(line, line_text, column, width);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message: message.trim().to_string(),
        snippet,
        hint: value_hint.map(str::to_string).or_else(|| hint_for(message)),
    }
}

/// The longest part of a line a snippet shows: a value of 200 KB must not
/// fill the terminal.
const SNIPPET_CHARS: usize = 100;

/// The line with `width` carets under it from `column` (1-based, in
/// characters); a long line is cut to a window around the carets.
fn snippet(line: usize, line_text: &str, column: usize, width: usize) -> String {
    let chars: Vec<char> = line_text.chars().collect();
    let (from, to) = if chars.len() <= SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let from = (column - 1).saturating_sub(20).min(chars.len());
        (from, (from + SNIPPET_CHARS).min(chars.len()))
    };
    let before = if from > 0 { "…" } else { "" };
    let after = if to < chars.len() { "…" } else { "" };
    let shown: String = chars[from..to].iter().collect();
    let offset = (column - 1 - from) + before.chars().count();
    let carets = width.min(to.saturating_sub(column - 1)).max(1);
    let gutter = " ".repeat(line.to_string().len());
    format!(
        "{gutter} |\n{line} | {before}{shown}{after}\n{gutter} | {}{}",
        " ".repeat(offset),
        "^".repeat(carets)
    )
}

/// A hint for a serde/toml error message. serde words an unknown field as
/// "unknown field `x`, expected one of `a`, `b`"; the quoted names give the
/// valid keys to suggest from.
fn hint_for(message: &str) -> Option<String> {
    if message.starts_with("TOML parse error") || message.contains("expected `=`") {
        return Some("see https://toml.io for the syntax".into());
    }
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    if message.starts_with("unknown field") {
        let (unknown, valid) = quoted.split_first()?;
        let nearest = valid
            .iter()
            .map(|candidate| (strsim::jaro_winkler(unknown, candidate), *candidate))
            .filter(|(score, _)| *score >= 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        return Some(match nearest {
            Some((_, name)) => format!("did you mean `{name}`?"),
            None => format!("valid keys here: {}", valid.join(", ")),
        });
    }
    if message.starts_with("unknown variant") {
        let (_, valid) = quoted.split_first()?;
        return Some(format!("use one of: {}", valid.join(", ")));
    }
    Some("`chiron config schema` prints every key with its type; docs/configuration.md explains them".into())
}

struct Layer {
    source: Source,
    values: toml::Table,
}

impl Layer {
    /// One variable setting one key.
    fn single(var: &str, key: &str, value: toml::Value) -> Self {
        let mut values = toml::Table::new();
        insert_dotted(&mut values, key, value);
        Self {
            source: Source::Env(var.into()),
            values,
        }
    }
}

struct Layers {
    layers: Vec<Layer>,
}

impl Layers {
    fn new(default_cache: &(PathBuf, Source)) -> Self {
        let toml::Value::Table(mut defaults) =
            toml::Value::try_from(Config::default()).expect("defaults serialise to a table")
        else {
            unreachable!("Config serialises to a table")
        };
        let (cache_dir, cache_source) = default_cache;
        let mut cache = toml::Table::new();
        insert_dotted(
            &mut cache,
            "cache.dir",
            toml::Value::String(cache_dir.display().to_string()),
        );
        merge_into(&mut defaults, &cache);
        let first = Layer {
            source: Source::Default,
            values: defaults,
        };
        let cache_layer = Layer {
            source: cache_source.clone(),
            values: cache,
        };
        Self {
            layers: vec![first, cache_layer],
        }
    }

    fn push(&mut self, layer: Layer) {
        self.layers.push(layer);
    }

    fn extend(&mut self, layers: impl IntoIterator<Item = Layer>) {
        self.layers.extend(layers);
    }

    fn merge(self) -> (toml::Value, BTreeMap<String, Source>) {
        let mut merged = toml::Table::new();
        let mut sources = BTreeMap::new();
        for layer in self.layers {
            let mut keys = Vec::new();
            leaf_keys("", &layer.values, &mut keys);
            for key in keys {
                sources.insert(key, layer.source.clone());
            }
            merge_into(&mut merged, &layer.values);
        }
        (toml::Value::Table(merged), sources)
    }
}

/// Deep-merges `over` into `base`: tables merge, anything else (arrays
/// included) replaces.
fn merge_into(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(over_table)) => {
                merge_into(base_table, over_table);
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

fn leaf_keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (key, value) in table {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => leaf_keys(&dotted, inner, out),
            _ => out.push(dotted),
        }
    }
}

fn insert_dotted(table: &mut toml::Table, dotted: &str, value: toml::Value) {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop().expect("a dotted key has a last part");
    let mut current = table;
    for part in parts {
        current = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("config keys nest tables only");
    }
    current.insert(last.to_string(), value);
}

fn env_default_cache_dir(env: &Env) -> (PathBuf, Source) {
    if let Some(xdg) = env.get("XDG_CACHE_HOME").map(PathBuf::from) {
        // The XDG spec says relative values are to be ignored.
        if xdg.is_absolute() {
            return (
                xdg.join("chiron"),
                Source::DefaultFrom("XDG_CACHE_HOME".into()),
            );
        }
    }
    let base = dirs::cache_dir()
        .or_else(|| env.get("HOME").map(|home| Path::new(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    (base.join("chiron"), Source::Default)
}

/// pip's settings, so chiron works wherever pip is set up: OpenSSL's
/// `SSL_CERT_FILE` lowest, then pip's configuration files in pip's order,
/// then pip's `PIP_*` variables, which beat the files as in pip. Each
/// variable and each file value is its own layer so that `config show` can
/// name it.
fn pip_layers(env: &Env, cwd: &Path) -> Result<Vec<Layer>, ConfigError> {
    let mut layers = Vec::new();
    if let Some(path) = env.get("SSL_CERT_FILE") {
        layers.push(Layer::single(
            "SSL_CERT_FILE",
            "index.cert",
            path.trim().into(),
        ));
    }
    for value in super::pip::pip_file_values(env, cwd)? {
        let mut values = toml::Table::new();
        insert_dotted(&mut values, value.key, value.value);
        layers.push(Layer {
            source: value.source,
            values,
        });
    }
    if let Some(url) = env.get("PIP_INDEX_URL") {
        layers.push(Layer::single(
            "PIP_INDEX_URL",
            "index.url",
            url.trim().into(),
        ));
    }
    for (var, key) in [
        ("PIP_EXTRA_INDEX_URL", "index.extra-urls"),
        ("PIP_FIND_LINKS", "index.find-links"),
        ("PIP_TRUSTED_HOST", "index.trusted-hosts"),
    ] {
        if let Some(list) = env.get(var) {
            let items = list.split_whitespace().map(toml::Value::from).collect();
            layers.push(Layer::single(var, key, toml::Value::Array(items)));
        }
    }
    for (var, key) in [
        ("PIP_CERT", "index.cert"),
        ("PIP_CLIENT_CERT", "index.client-cert"),
    ] {
        if let Some(path) = env.get(var) {
            layers.push(Layer::single(var, key, path.trim().into()));
        }
    }
    // pip reads both; `--default-timeout` is the older name of `--timeout`.
    for var in ["PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT"] {
        if let Some(timeout) = env.get(var) {
            let seconds = parse_seconds(timeout).ok_or_else(|| ConfigError::Override {
                key: "index.timeout".into(),
                origin: Source::Env(var.into()),
                message: format!("`{timeout}` is not a number of seconds"),
            })?;
            layers.push(Layer::single(var, "index.timeout", seconds.into()));
        }
    }
    if let Some(flag) = env.get("PIP_NO_INDEX") {
        let flag = super::pip::strtobool(flag).ok_or_else(|| ConfigError::Override {
            key: "index.no-index".into(),
            origin: Source::Env("PIP_NO_INDEX".into()),
            message: format!("`{flag}` is not a boolean (use yes/no, true/false, 1/0)"),
        })?;
        layers.push(Layer::single("PIP_NO_INDEX", "index.no-index", flag.into()));
    }
    Ok(layers)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// chiron's and OpenTelemetry's variables, each its own layer.
fn chiron_env_layers(env: &Env, cwd: &Path) -> Result<Vec<Layer>, ConfigError> {
    let mut layers = Vec::new();
    let mut set = |var: &str, key: &str, value: toml::Value| {
        layers.push(Layer::single(var, key, value));
    };
    let bad = |var: &str, key: &str, message: String| ConfigError::Override {
        key: key.into(),
        origin: Source::Env(var.into()),
        message,
    };
    if let Some(url) = env.get("CHIRON_INDEX_URL") {
        set("CHIRON_INDEX_URL", "index.url", url.trim().into());
    }
    if let Some(dir) = env.get("CHIRON_CACHE_DIR") {
        let dir = cwd.join(dir.trim());
        set(
            "CHIRON_CACHE_DIR",
            "cache.dir",
            dir.display().to_string().into(),
        );
    }
    if let Some(offline) = env.get("CHIRON_OFFLINE") {
        let offline = parse_bool(offline).ok_or_else(|| {
            bad(
                "CHIRON_OFFLINE",
                "index.offline",
                format!("`{offline}` is not a boolean (use 1/0, true/false)"),
            )
        })?;
        set("CHIRON_OFFLINE", "index.offline", offline.into());
    }
    for (var, key) in [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "telemetry.otlp-endpoint"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "telemetry.otlp-traces-endpoint",
        ),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "telemetry.otlp-metrics-endpoint",
        ),
        ("OTEL_SERVICE_NAME", "telemetry.service-name"),
    ] {
        if let Some(value) = env.get(var) {
            set(var, key, value.trim().into());
        }
    }
    if let Some(interval) = env.get("OTEL_METRIC_EXPORT_INTERVAL") {
        let millis = interval.trim().parse::<i64>().ok().filter(|ms| *ms > 0);
        let millis = millis.ok_or_else(|| {
            bad(
                "OTEL_METRIC_EXPORT_INTERVAL",
                "telemetry.metric-export-interval",
                format!("`{interval}` is not a number of milliseconds above 0"),
            )
        })?;
        set(
            "OTEL_METRIC_EXPORT_INTERVAL",
            "telemetry.metric-export-interval",
            millis.into(),
        );
    }
    if let Some(disabled) = env.get("OTEL_SDK_DISABLED") {
        // The OpenTelemetry spec: only a case-insensitive "true" disables.
        if disabled.trim().eq_ignore_ascii_case("true") {
            set("OTEL_SDK_DISABLED", "telemetry.enabled", false.into());
        }
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Age, LicenseId};
    use crate::python::version::PythonVersion;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn options(dir: &Path) -> LoadOptions {
        LoadOptions {
            explicit: None,
            cwd: dir.to_path_buf(),
            offline: false,
        }
    }

    fn invalid(error: ConfigError) -> (usize, usize, String, Option<String>) {
        match error {
            ConfigError::Invalid {
                line,
                column,
                message,
                hint,
                ..
            } => (line, column, message, hint),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn unknown_keys_point_at_the_key_and_suggest_the_nearest() {
        let dir = project(&[(
            "chiron.toml",
            "[index]\nurl = \"https://x.invalid\"\nextra-url = []\n",
        )]);
        let error = load(&options(dir.path()), &Env::default()).unwrap_err();
        let (line, column, message, hint) = invalid(error);
        assert_eq!((line, column), (3, 1));
        assert!(
            message.starts_with("unknown field `extra-url`"),
            "{message}"
        );
        assert_eq!(hint.as_deref(), Some("did you mean `extra-urls`?"));
    }

    #[test]
    fn unknown_sections_list_the_valid_ones() {
        let dir = project(&[("chiron.toml", "[zzz]\n")]);
        let (_, _, _, hint) = invalid(load(&options(dir.path()), &Env::default()).unwrap_err());
        assert!(
            hint.unwrap()
                .starts_with("valid keys here: inputs, targets")
        );
    }

    #[test]
    fn wrong_types_and_values_point_at_the_value() {
        let dir = project(&[("chiron.toml", "[targets]\npython = [\"3.12\", \"3.x\"]\n")]);
        let (line, column, message, _) =
            invalid(load(&options(dir.path()), &Env::default()).unwrap_err());
        // The bad element, not the array holding it.
        assert_eq!((line, column), (2, 19));
        assert!(
            message.contains("`3.x` is not a Python version"),
            "{message}"
        );

        let dir = project(&[("chiron.toml", "[index]\noffline = \"yes\"\n")]);
        let (line, column, message, hint) =
            invalid(load(&options(dir.path()), &Env::default()).unwrap_err());
        assert_eq!((line, column), (2, 11));
        assert!(message.starts_with("invalid type"), "{message}");
        assert!(hint.unwrap().contains("chiron config schema"));
    }

    /// Every value written as a string but meaning more is parsed at load:
    /// a bad one points at itself (line, column), says what was expected
    /// and gives its own hint.
    #[test]
    fn typed_values_are_parsed_at_load_with_their_position_and_hint() {
        for (text, at, message, hint) in [
            (
                "[targets]\nmin-glibc = \"2\"\n",
                (2, 13),
                "`2` is not a system version: expected MAJOR.MINOR",
                "min-glibc = \"2.17\"",
            ),
            (
                "[targets]\nmin-musl = \"1.2\"\nmin-macos = \"eleven\"\n",
                (3, 13),
                "`eleven` is not a system version",
                "MAJOR.MINOR",
            ),
            (
                "[policy]\nmin-release-age = \"3 parsecs\"\n",
                (2, 19),
                "`3 parsecs` is not an age: expected a number and a unit",
                "48h, 7d, 2w, 1y",
            ),
            (
                "[policy]\nmax-release-age = \"7\"\n",
                (2, 19),
                "`7` is not an age",
                "48h, 7d, 2w, 1y",
            ),
            (
                "[policy]\nallow-licenses = [\"MIT\", \"MTI\"]\n",
                (2, 26),
                "`MTI` is not an SPDX licence id",
                "did you mean `MIT`?",
            ),
            (
                "[policy]\ndeny-licenses = [\"GPL-9.0-only\"]\n",
                (2, 18),
                "`GPL-9.0-only` is not an SPDX licence id",
                "did you mean",
            ),
            (
                "[policy]\ndeny-packages = [\"pyyaml<6\", \"not a requirement!\"]\n",
                (2, 30),
                "`not a requirement!` is not a requirement",
                "`pyyaml<6`",
            ),
            (
                "[policy.license-exceptions]\nok = \"fine\"\n\"-bad-\" = \"reason\"\n",
                (3, 1),
                "`-bad-` is not a package name",
                "letters, digits",
            ),
            (
                "[scan]\nosv-api = \"api.osv.dev\"\n",
                (2, 11),
                "`api.osv.dev` is not an http(s) URL",
                "https://api.osv.dev",
            ),
            (
                "[scan]\npypi-api = \"ftp://x.invalid/pypi\"\n",
                (2, 12),
                "is not an http(s) URL: the scheme is `ftp`",
                "base URL",
            ),
            (
                "[scan]\ndb-url = \"all.zip\"\n",
                (2, 10),
                "`all.zip` is not an http(s) URL",
                "base URL",
            ),
            (
                "[[scan.ignore]]\nid = \"PYSEC-1\"\nreason = \"r\"\nexpires = \"2025-02-30\"\n",
                (4, 11),
                "`2025-02-30` is not a date: expected YYYY-MM-DD",
                "YYYY-MM-DD",
            ),
        ] {
            let dir = project(&[("chiron.toml", text)]);
            let error = load(&options(dir.path()), &Env::default()).unwrap_err();
            let shown = error.to_string();
            let (line, column, found, given) = invalid(error);
            assert_eq!((line, column), at, "{shown}");
            assert!(found.contains(message), "{found}");
            assert!(!found.contains("hint:"), "the hint is split off: {found}");
            let given = given.unwrap_or_default();
            assert!(given.contains(hint), "{text}: {given}");
        }
    }

    #[test]
    fn typed_values_in_tool_chiron_point_into_the_pyproject() {
        let dir = project(&[(
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.chiron.policy]\nmin-release-age = \"3 parsecs\"\n",
        )]);
        let error = load(&options(dir.path()), &Env::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("pyproject.toml:5:19: `3 parsecs` is not an age"),
            "{error}"
        );
        assert!(error.hint().unwrap().contains("48h, 7d"));
    }

    #[test]
    fn good_typed_values_load_parsed_and_keep_their_sources() {
        let dir = project(&[(
            "chiron.toml",
            "[targets]\nmin-glibc = \"2.28\"\n\n[policy]\nallow-licenses = [\"MIT\", \"GPL-2.0+\"]\n\
             deny-packages = [\"PyYAML < 6\"]\nmin-release-age = \"7d\"\nmax-release-age = \"3y\"\n\n\
             [policy.license-exceptions]\nPy_YAML = \"checked by hand\"\n\n\
             [scan]\nosv-api = \"http://127.0.0.1:1\"\n\n\
             [[scan.ignore]]\nid = \"PYSEC-1\"\nreason = \"r\"\nexpires = \"2999-01-01\"\n",
        )]);
        let loaded = load(&options(dir.path()), &Env::default()).unwrap();
        let config = &loaded.config;
        assert_eq!(config.targets.floors().glibc, (2, 28));
        assert_eq!(config.targets.floors().musl, (1, 2));
        let policy = &config.policy;
        let ids: Vec<&str> = policy
            .allow_licenses
            .iter()
            .map(LicenseId::as_str)
            .collect();
        assert_eq!(ids, ["MIT", "GPL-2.0"]);
        assert_eq!(
            policy.deny_packages[0].requirement().name.as_ref(),
            "pyyaml"
        );
        assert_eq!(
            policy.min_release_age.as_ref().map(Age::seconds),
            Some(7 * 86_400)
        );
        assert_eq!(
            policy.max_release_age.as_ref().map(Age::seconds),
            Some(3 * 365 * 86_400)
        );
        assert!(policy.license_exceptions.contains_key("py-yaml"));
        assert_eq!(config.scan.osv_api.as_str(), "http://127.0.0.1:1");
        assert_eq!(
            config.scan.ignore[0].expires,
            Some("2999-01-01".parse().unwrap())
        );
        // `config show` prints them as written, each with its source.
        let file = Source::File(dir.path().join("chiron.toml"));
        let shown = toml::Value::try_from(config).unwrap();
        assert_eq!(
            shown["policy"]["deny-packages"][0].as_str(),
            Some("PyYAML < 6")
        );
        assert_eq!(
            shown["policy"]["allow-licenses"][1].as_str(),
            Some("GPL-2.0+")
        );
        assert!(
            shown["policy"]["license-exceptions"]
                .get("Py_YAML")
                .is_some()
        );
        for key in [
            "targets.min-glibc",
            "policy.allow-licenses",
            "policy.min-release-age",
            "policy.license-exceptions.Py_YAML",
            "scan.osv-api",
            "scan.ignore",
        ] {
            assert_eq!(loaded.source(key), file, "{key}");
        }
        assert_eq!(loaded.source("targets.min-musl"), Source::Default);
        assert_eq!(shown["targets"]["min-musl"].as_str(), Some("1.2"));
    }

    #[test]
    fn a_long_line_is_shown_cut_around_the_problem() {
        let short = snippet(2, "a = \"x\"", 5, 3);
        assert_eq!(short, "  |\n2 | a = \"x\"\n  |     ^^^");
        let long = format!("allow-licenses = [\"{}\"]", "x".repeat(10_000));
        let cut = snippet(12, &long, 19, 10_004);
        assert!(cut.len() < 400, "{cut}");
        let lines: Vec<&str> = cut.lines().collect();
        assert!(
            lines[1].starts_with("12 | allow-licenses = [\"xxx"),
            "{cut}"
        );
        assert!(lines[1].ends_with("x…"), "{cut}");
        assert!(lines[2].starts_with("   |                   ^^^"), "{cut}");
        let late = snippet(1, &long, 5_000, 1);
        let lines: Vec<&str> = late.lines().collect();
        assert!(lines[1].starts_with("1 | …xxx"), "{late}");
        assert_eq!(lines[2], format!("  | {}^", " ".repeat(21)));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let dir = project(&[("chiron.toml", "[targets]\npython = [\"3.12\"\n")]);
        let error = load(&options(dir.path()), &Env::default()).unwrap_err();
        let text = error.to_string();
        let (line, _, _, _) = invalid(error);
        assert!(line >= 2, "{text}");
        assert!(text.contains("chiron.toml:"), "{text}");
    }

    #[test]
    fn tool_chiron_in_pyproject_reports_lines_of_the_pyproject() {
        let dir = project(&[(
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.chiron.targets]\npython = [\"3.12\"]\nplatform = []\n",
        )]);
        let error = load(&options(dir.path()), &Env::default()).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("pyproject.toml:6:1"), "{text}");
        let (_, _, _, hint) = invalid(error);
        assert_eq!(hint.as_deref(), Some("did you mean `platforms`?"));
    }

    #[test]
    fn discovery_walks_up_and_stops_at_the_project_root() {
        let dir = project(&[
            ("chiron.toml", "[targets]\npython = [\"3.11\"]\n"),
            ("sub/pkg/README", ""),
        ]);
        let loaded = load(&options(&dir.path().join("sub/pkg")), &Env::default()).unwrap();
        assert_eq!(loaded.file.unwrap().path, dir.path().join("chiron.toml"));
        assert_eq!(loaded.config.targets.python, [PythonVersion::new(3, 11)]);
        assert_eq!(loaded.root, dir.path());

        // A pyproject.toml without [tool.chiron] is the root: nothing above it is used.
        let dir = project(&[
            ("chiron.toml", "[targets]\npython = [\"3.11\"]\n"),
            ("inner/pyproject.toml", "[project]\nname = \"inner\"\n"),
        ]);
        let loaded = load(&options(&dir.path().join("inner")), &Env::default()).unwrap();
        assert!(loaded.file.is_none());
        assert!(loaded.config.targets.python.is_empty());
    }

    #[test]
    fn chiron_toml_wins_over_tool_chiron_in_the_same_folder() {
        let dir = project(&[
            ("chiron.toml", "[wheelhouse]\ndir = \"from-chiron\"\n"),
            (
                "pyproject.toml",
                "[tool.chiron.wheelhouse]\ndir = \"from-pyproject\"\n",
            ),
        ]);
        let loaded = load(&options(dir.path()), &Env::default()).unwrap();
        assert_eq!(loaded.config.wheelhouse.dir, PathBuf::from("from-chiron"));
    }

    #[test]
    fn explicit_files_must_exist_and_may_be_a_pyproject() {
        let dir = project(&[(
            "custom/pyproject.toml",
            "[tool.chiron.index]\ntimeout = 7\n",
        )]);
        let mut opts = options(dir.path());
        opts.explicit = Some("custom/pyproject.toml".into());
        let loaded = load(&opts, &Env::default()).unwrap();
        assert_eq!(loaded.config.index.timeout, 7);
        assert_eq!(loaded.file.unwrap().kind, ConfigFileKind::Pyproject);

        opts.explicit = Some("missing.toml".into());
        let error = load(&opts, &Env::default()).unwrap_err();
        assert!(matches!(error, ConfigError::NotFound { .. }));
        assert!(error.hint().unwrap().contains("--config"));
    }

    #[test]
    fn layers_apply_in_order_and_record_their_source() {
        let dir = project(&[(
            "chiron.toml",
            "[index]\nurl = \"https://file.invalid/simple\"\ntimeout = 9\n",
        )]);
        let env = Env::from_pairs([
            ("PIP_INDEX_URL", "https://pip.invalid/simple"),
            (
                "PIP_EXTRA_INDEX_URL",
                "https://a.invalid/simple https://b.invalid/simple",
            ),
            ("PIP_TIMEOUT", "2.5"),
            ("CHIRON_CACHE_DIR", "rel-cache"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_SERVICE_NAME", "ci-gate"),
        ]);
        let mut opts = options(dir.path());
        opts.offline = true;
        let loaded = load(&opts, &env).unwrap();
        let config = &loaded.config;
        // The file beats pip's environment ...
        assert_eq!(config.index.url, "https://file.invalid/simple");
        assert_eq!(
            loaded.source("index.url"),
            Source::File(dir.path().join("chiron.toml"))
        );
        assert_eq!(config.index.timeout, 9);
        // ... which still fills what the file leaves out.
        assert_eq!(
            config.index.extra_urls,
            ["https://a.invalid/simple", "https://b.invalid/simple"]
        );
        assert_eq!(
            loaded.source("index.extra-urls"),
            Source::Env("PIP_EXTRA_INDEX_URL".into())
        );
        // chiron's variables and flags beat the file.
        assert_eq!(loaded.cache_dir(), dir.path().join("rel-cache"));
        assert_eq!(
            loaded.source("cache.dir"),
            Source::Env("CHIRON_CACHE_DIR".into())
        );
        assert!(config.index.offline);
        assert_eq!(
            loaded.source("index.offline"),
            Source::Flag("--offline".into())
        );
        assert_eq!(
            config.telemetry.traces_endpoint().as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        assert_eq!(config.telemetry.service_name, "ci-gate");
        assert_eq!(loaded.source("targets.min-glibc"), Source::Default);

        let env = Env::from_pairs([("CHIRON_INDEX_URL", "https://chiron.invalid/simple")]);
        let loaded = load(&options(dir.path()), &env).unwrap();
        assert_eq!(loaded.config.index.url, "https://chiron.invalid/simple");
    }

    #[test]
    fn pip_timeout_wins_over_its_older_name() {
        let env = Env::from_pairs([("PIP_DEFAULT_TIMEOUT", "100"), ("PIP_TIMEOUT", "3")]);
        let dir = project(&[]);
        let loaded = load(&options(dir.path()), &env).unwrap();
        assert_eq!(loaded.config.index.timeout, 3);
        assert_eq!(
            loaded.source("index.timeout"),
            Source::Env("PIP_TIMEOUT".into())
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_follows_xdg_and_ignores_relative_xdg() {
        let dir = project(&[]);
        let env = Env::from_pairs([("XDG_CACHE_HOME", "/xdg/cache")]);
        let loaded = load(&options(dir.path()), &env).unwrap();
        assert_eq!(loaded.cache_dir(), PathBuf::from("/xdg/cache/chiron"));
        assert_eq!(
            loaded.source("cache.dir"),
            Source::DefaultFrom("XDG_CACHE_HOME".into())
        );
        let env = Env::from_pairs([("XDG_CACHE_HOME", "relative")]);
        let loaded = load(&options(dir.path()), &env).unwrap();
        assert!(loaded.cache_dir().is_absolute());
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let dir = project(&[]);
        for (var, value) in [
            ("CHIRON_OFFLINE", "maybe"),
            ("PIP_TIMEOUT", "soon"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "0"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1s"),
        ] {
            let error = load(&options(dir.path()), &Env::from_pairs([(var, value)])).unwrap_err();
            let text = error.to_string();
            assert!(text.contains(var) && text.contains(value), "{text}");
            assert!(error.hint().unwrap().contains(var));
        }
    }

    #[test]
    fn otel_sdk_disabled_turns_export_off() {
        let dir = project(&[(
            "chiron.toml",
            "[telemetry]\notlp-endpoint = \"http://127.0.0.1:1\"\n",
        )]);
        let env = Env::from_pairs([("OTEL_SDK_DISABLED", "TRUE")]);
        let loaded = load(&options(dir.path()), &env).unwrap();
        assert_eq!(loaded.config.telemetry.traces_endpoint(), None);
        let env = Env::from_pairs([("OTEL_SDK_DISABLED", "1")]);
        let loaded = load(&options(dir.path()), &env).unwrap();
        assert!(loaded.config.telemetry.traces_endpoint().is_some());
    }

    #[test]
    fn otel_metrics_variables_set_the_metrics_endpoint_and_interval() {
        let dir = project(&[]);
        let env = Env::from_pairs([
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://collector/m"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1500"),
        ]);
        let telemetry = load(&options(dir.path()), &env).unwrap().config.telemetry;
        assert_eq!(
            telemetry.metrics_endpoint().as_deref(),
            Some("http://collector/m")
        );
        assert_eq!(telemetry.traces_endpoint(), None);
        assert_eq!(telemetry.metric_export_interval, 1500);
    }

    #[test]
    fn load_without_file_ignores_a_broken_file() {
        let dir = project(&[("chiron.toml", "this is not toml")]);
        assert!(load(&options(dir.path()), &Env::default()).is_err());
        let loaded = load_without_file(&options(dir.path()), &Env::default()).unwrap();
        assert!(loaded.file.is_none());
    }
}
