//! Rego policies, as teams write them for OPA and conftest, evaluated by
//! a native engine (`regorus`) over the manifest JSON: every `deny` and
//! `violation` rule's messages fail the gate, every `warn` is reported.
//! Rego v1 syntax first, then v0 (`deny[msg] { ... }`) for older files.

use std::path::{Path, PathBuf};

use super::{Level, PolicyFinding};

#[derive(Debug, thiserror::Error)]
#[error("Rego policy {}: {message}", path.display())]
pub struct RegoError {
    pub path: PathBuf,
    pub message: String,
}

impl RegoError {
    pub fn hint(&self) -> String {
        "check the policy with `opa check` or `conftest verify`; rules chiron reads are deny, violation and warn".into()
    }
}

impl crate::diagnose::Diagnose for RegoError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

/// Loaded policies, ready to evaluate.
pub struct RegoPolicies {
    engine: regorus::Engine,
    packages: Vec<String>,
}

impl RegoPolicies {
    pub fn load(paths: &[PathBuf]) -> Result<Self, RegoError> {
        let mut engine = regorus::Engine::new();
        let mut packages = Vec::new();
        for path in paths {
            let error = |message: String| RegoError {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
            let name = path.display().to_string();
            engine.set_rego_v0(false);
            let package = match engine.add_policy(name.clone(), text.clone()) {
                Ok(package) => package,
                Err(v1) => {
                    engine.set_rego_v0(true);
                    engine
                        .add_policy(name, text)
                        .map_err(|_| error(v1.to_string()))?
                }
            };
            if !packages.contains(&package) {
                packages.push(package);
            }
        }
        Ok(Self { engine, packages })
    }

    /// The findings of every `deny`, `violation` and `warn` rule over `input`.
    pub fn evaluate(&mut self, input: &str, path: &Path) -> Result<Vec<PolicyFinding>, RegoError> {
        let error = |message: String| RegoError {
            path: path.to_path_buf(),
            message,
        };
        let value = regorus::Value::from_json_str(input).map_err(|e| error(e.to_string()))?;
        self.engine.set_input(value);
        let mut out = Vec::new();
        for package in &self.packages {
            for (rule, level) in [
                ("deny", Level::Violation),
                ("violation", Level::Violation),
                ("warn", Level::Warning),
            ] {
                let query = format!("{package}.{rule}");
                // A package without this rule is fine.
                let Ok(result) = self.engine.eval_rule(query.clone()) else {
                    continue;
                };
                for message in messages(&result) {
                    out.push(PolicyFinding {
                        level,
                        rule: format!("rego:{}.{rule}", package.trim_start_matches("data.")),
                        package: None,
                        version: None,
                        file: None,
                        reason: message,
                        hint: format!("raised by the Rego rule {query}"),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// The messages of a rule's value: a set or array of strings, or of
/// objects with a `msg` (conftest's structured form), or a bare string.
fn messages(value: &regorus::Value) -> Vec<String> {
    let text = |v: &regorus::Value| -> Option<String> {
        match v {
            regorus::Value::String(s) => Some(s.to_string()),
            regorus::Value::Object(map) => map
                .get(&regorus::Value::from("msg"))
                .and_then(|m| m.as_string().ok().map(|s| s.to_string())),
            regorus::Value::Undefined | regorus::Value::Null => None,
            regorus::Value::Bool(false) => None,
            other => Some(other.to_string()),
        }
    };
    match value {
        regorus::Value::Set(items) => items.iter().filter_map(text).collect(),
        regorus::Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}
