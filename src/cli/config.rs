//! `chiron config show` and `chiron config schema`.

use std::collections::BTreeMap;

use chiron::error::Result;
use clap::Subcommand;
use serde::Serialize;

use chiron::config::{LoadedConfig, json_schema};
use chiron::redact::redact_url;

use super::context::{Context, Exit};
use super::style;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration and where each value comes from
    /// (default, file, environment variable or flag). Credentials are masked.
    Show,
    /// Print the JSON Schema of chiron.toml.
    Schema,
}

impl ConfigCommand {
    pub fn name(&self) -> &'static str {
        match self {
            ConfigCommand::Show => "config show",
            ConfigCommand::Schema => "config schema",
        }
    }
}

pub fn run(command: ConfigCommand, ctx: &Context) -> Result<Exit> {
    match command {
        ConfigCommand::Schema => ctx.out.text(&json_schema())?,
        ConfigCommand::Show => show(ctx.require_config()?, ctx)?,
    }
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct ShowJson {
    file: Option<String>,
    root: String,
    config: serde_json::Value,
    sources: BTreeMap<String, String>,
}

fn show(loaded: &LoadedConfig, ctx: &Context) -> Result<()> {
    let effective = redact(
        toml::Value::try_from(&loaded.config)
            .map_err(|e| std::io::Error::other(format!("cannot show the configuration: {e}")))?,
    );
    let mut rows = Vec::new();
    flatten("", &effective, &mut rows);
    if ctx.out.json {
        let sources = rows
            .iter()
            .map(|(key, _)| (key.clone(), loaded.source(key).to_string()))
            .collect();
        return ctx.out.json(&ShowJson {
            file: loaded.file.as_ref().map(|f| f.path.display().to_string()),
            root: loaded.root.display().to_string(),
            config: serde_json::to_value(&effective)?,
            sources,
        });
    }
    let key_width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    let mut out = String::new();
    let file = match &loaded.file {
        Some(file) => file.path.display().to_string(),
        None => "none found (defaults, pip's files, environment and flags only)".into(),
    };
    out.push_str(&format!("{}file{:#}: {file}\n\n", style::BOLD, style::BOLD));
    for (key, value) in &rows {
        let source = loaded.source(key);
        let dim = style::DIM;
        out.push_str(&format!(
            "{key:<key_width$}  {value:<value_width$}  {dim}{source}{dim:#}\n"
        ));
    }
    ctx.out.text(&out)
}

/// Masks credentials in every string that holds a URL.
fn redact(value: toml::Value) -> toml::Value {
    match value {
        toml::Value::String(s) if s.contains("://") || s.contains('@') => {
            toml::Value::String(redact_url(&s))
        }
        toml::Value::Array(items) => toml::Value::Array(items.into_iter().map(redact).collect()),
        toml::Value::Table(table) => {
            toml::Value::Table(table.into_iter().map(|(k, v)| (k, redact(v))).collect())
        }
        other => other,
    }
}

fn flatten(prefix: &str, value: &toml::Value, rows: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                let dotted = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&dotted, inner, rows);
            }
        }
        other => rows.push((prefix.to_string(), other.to_string())),
    }
}
