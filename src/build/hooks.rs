//! Calling a PEP 517 backend: a small runner script (`hooks.py`) written
//! beside the build and run by the build environment's interpreter, one
//! process per hook, as pyproject-hooks does. The backend's output is
//! streamed line by line to the caller; its exceptions come back with the
//! hook's name.
//!
//! Written here rather than shelling out to pyproject-hooks: that package
//! would itself have to be installed into every build environment, from
//! outside the build lock.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::system::BuildSystem;

/// The runner, embedded in the binary.
const RUNNER: &str = include_str!("hooks.py");

/// The PEP 517 hooks chiron calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    GetRequiresForBuildSdist,
    GetRequiresForBuildWheel,
    PrepareMetadataForBuildWheel,
    BuildSdist,
    BuildWheel,
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::GetRequiresForBuildSdist => "get_requires_for_build_sdist",
            Hook::GetRequiresForBuildWheel => "get_requires_for_build_wheel",
            Hook::PrepareMetadataForBuildWheel => "prepare_metadata_for_build_wheel",
            Hook::BuildSdist => "build_sdist",
            Hook::BuildWheel => "build_wheel",
        }
    }

    /// Whether PEP 517 lets a backend leave the hook out.
    fn optional(self) -> bool {
        !matches!(self, Hook::BuildSdist | Hook::BuildWheel)
    }
}

/// Which stream of the backend a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where the backend's output goes while a hook runs.
pub trait HookOutput {
    fn started(&self, hook: Hook, backend: &str);
    fn line(&self, stream: Stream, text: &str);
}

/// Output nobody reads.
pub struct Discard;

impl HookOutput for Discard {
    fn started(&self, _: Hook, _: &str) {}
    fn line(&self, _: Stream, _: &str) {}
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("cannot run {} for the {hook} hook", python.display())]
    Spawn {
        python: PathBuf,
        hook: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the hook runner's files in {}", dir.display())]
    Scratch {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the build backend {backend} cannot be imported: {kind}: {message}")]
    BackendUnavailable {
        backend: String,
        kind: String,
        message: String,
    },
    #[error("{hook} of {backend} failed: {kind}: {message}")]
    Failed {
        backend: String,
        hook: &'static str,
        kind: String,
        message: String,
    },
    #[error("the build backend {backend} has no {hook} hook")]
    Missing { backend: String, hook: &'static str },
    #[error("{hook} of {backend}: the backend process exited ({status}) without a result")]
    Died {
        backend: String,
        hook: &'static str,
        status: String,
    },
    #[error("{hook} of {backend} returned {value}, not {expected}")]
    Unexpected {
        backend: String,
        hook: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl crate::error::Diagnose for HookError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            HookError::Spawn { .. } | HookError::Scratch { .. } => {
                "check the interpreter (--python) and the temporary folder".into()
            }
            HookError::BackendUnavailable { .. } => {
                "the backend must be installed by [build-system] requires (or, with backend-path, live in the project)".into()
            }
            HookError::Failed { .. } | HookError::Died { .. } => {
                "the backend's traceback is above; `python -m build` would fail the same way".into()
            }
            HookError::Missing { .. } | HookError::Unexpected { .. } => {
                "the backend does not implement PEP 517 correctly; try another version of it".into()
            }
        })
    }
}

/// One backend in one environment: the interpreter, the project folder
/// the hooks run in, and the environment variables that make a build
/// reproducible.
pub struct HookRunner {
    pub python: PathBuf,
    pub backend: String,
    pub backend_path: Vec<PathBuf>,
    /// Variables set for the backend (over this process's environment).
    pub env: Vec<(String, String)>,
    /// Variables removed, so that nothing from outside leaks into the build.
    pub env_remove: Vec<String>,
    /// The umask the backend runs with, as octal text.
    pub umask: String,
    /// A private folder for the runner and its request and result files.
    pub scratch: PathBuf,
    /// Folders whose names must not reach compiled code (the build
    /// environment), each with the name the compiler writes instead.
    pub prefix_maps: Vec<(PathBuf, String)>,
}

impl HookRunner {
    pub fn new(python: PathBuf, system: &BuildSystem, scratch: PathBuf) -> Self {
        HookRunner {
            python,
            backend: system.backend.clone(),
            backend_path: system.backend_path.clone(),
            env: Vec::new(),
            env_remove: Vec::new(),
            umask: "022".into(),
            scratch,
            prefix_maps: Vec::new(),
        }
    }

    /// Calls `hook` in `source` with `args`, by position as PEP 517's
    /// reference frontend does; `None` when an optional hook is not
    /// implemented.
    pub fn call(
        &self,
        hook: Hook,
        source: &Path,
        args: Value,
        output: &dyn HookOutput,
    ) -> Result<Option<Value>, HookError> {
        let files = self.write_request(hook, &args)?;
        output.started(hook, &self.backend);
        let status = self.run(hook, source, &files, output)?;
        let result: Option<Value> = std::fs::read(&files.result)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let Some(result) = result else {
            return Err(HookError::Died {
                backend: self.backend.clone(),
                hook: hook.name(),
                status: status.to_string(),
            });
        };
        self.outcome(hook, result)
    }

    /// Calls a hook that returns a list of PEP 508 strings
    /// (`get_requires_for_build_*`); an absent hook returns none.
    pub fn requirements(
        &self,
        hook: Hook,
        source: &Path,
        config_settings: &Value,
        output: &dyn HookOutput,
    ) -> Result<Vec<String>, HookError> {
        let Some(value) = self.call(hook, source, json!([config_settings]), output)? else {
            return Ok(Vec::new());
        };
        let list = value.as_array().and_then(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        });
        list.ok_or_else(|| self.unexpected(hook, &value, "a list of requirement strings"))
    }

    /// Calls a hook that returns the base name of a file or folder it
    /// made in `directory` (`build_*`, `prepare_metadata_for_build_wheel`).
    pub fn build(
        &self,
        hook: Hook,
        source: &Path,
        directory: &Path,
        config_settings: &Value,
        output: &dyn HookOutput,
    ) -> Result<Option<PathBuf>, HookError> {
        // (directory, config_settings): build_wheel's third argument,
        // metadata_directory, is left to its default.
        let args = json!([directory, config_settings]);
        let Some(value) = self.call(hook, source, args, output)? else {
            return Ok(None);
        };
        let name = value
            .as_str()
            .filter(|name| is_base_name(name) && directory.join(name).exists())
            .ok_or_else(|| {
                self.unexpected(hook, &value, "the base name of what it made in the folder")
            })?;
        Ok(Some(directory.join(name)))
    }

    fn unexpected(&self, hook: Hook, value: &Value, expected: &'static str) -> HookError {
        let mut value = value.to_string();
        if value.len() > 200 {
            value.truncate(200);
            value.push('…');
        }
        HookError::Unexpected {
            backend: self.backend.clone(),
            hook: hook.name(),
            value,
            expected,
        }
    }

    fn write_request(&self, hook: Hook, args: &Value) -> Result<RunnerFiles, HookError> {
        let scratch_error = |source| HookError::Scratch {
            dir: self.scratch.clone(),
            source,
        };
        std::fs::create_dir_all(&self.scratch).map_err(scratch_error)?;
        let files = RunnerFiles {
            runner: self.scratch.join("chiron_hooks.py"),
            request: self.scratch.join(format!("{}.request.json", hook.name())),
            result: self.scratch.join(format!("{}.result.json", hook.name())),
        };
        let request = json!({
            "hook": hook.name(),
            "backend": self.backend,
            "backend_path": self.backend_path,
            "args": args,
            "umask": self.umask,
        });
        std::fs::write(&files.runner, RUNNER).map_err(scratch_error)?;
        std::fs::write(&files.request, request.to_string()).map_err(scratch_error)?;
        match std::fs::remove_file(&files.result) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(scratch_error(e)),
            _ => {}
        }
        Ok(files)
    }

    /// Runs the runner, handing each line of the backend's output to
    /// `output` as it comes.
    fn run(
        &self,
        hook: Hook,
        source: &Path,
        files: &RunnerFiles,
        output: &dyn HookOutput,
    ) -> Result<std::process::ExitStatus, HookError> {
        let spawn_error = |source| HookError::Spawn {
            python: self.python.clone(),
            hook: hook.name(),
            source,
        };
        let mut command = Command::new(&self.python);
        command
            .arg(&files.runner)
            .arg(&files.request)
            .arg(&files.result)
            .current_dir(source)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for key in &self.env_remove {
            command.env_remove(key);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.envs(self.compiler_flags(source));
        let mut child = command.spawn().map_err(spawn_error)?;
        let (sender, lines) = std::sync::mpsc::channel();
        let readers = [
            child
                .stdout
                .take()
                .map(|out| forward(out, Stream::Stdout, sender.clone())),
            child
                .stderr
                .take()
                .map(|err| forward(err, Stream::Stderr, sender)),
        ];
        for (stream, text) in lines {
            output.line(stream, &text);
        }
        for reader in readers.into_iter().flatten() {
            let _ = reader.join();
        }
        child.wait().map_err(spawn_error)
    }

    /// `CFLAGS` and `CXXFLAGS` (the caller's, then) with
    /// `-ffile-prefix-map` for the source folder and the build
    /// environment: a temporary folder's name in the debug information
    /// changes a compiled extension's bytes (and its GNU build id) from one
    /// build to the next. GCC 8+ and Clang 10+ read it; MSVC does not use
    /// these variables.
    fn compiler_flags(&self, source: &Path) -> Vec<(String, String)> {
        if cfg!(windows) {
            return Vec::new();
        }
        let mut maps = vec![format!("-ffile-prefix-map={}=.", source.display())];
        maps.extend(
            self.prefix_maps
                .iter()
                .map(|(from, to)| format!("-ffile-prefix-map={}={to}", from.display())),
        );
        ["CFLAGS", "CXXFLAGS"]
            .into_iter()
            .map(|key| {
                let given = self
                    .env
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .or_else(|| std::env::var(key).ok())
                    .unwrap_or_default();
                let value = std::iter::once(given.as_str())
                    .filter(|g| !g.is_empty())
                    .chain(maps.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ");
                (key.to_string(), value)
            })
            .collect()
    }

    fn outcome(&self, hook: Hook, result: Value) -> Result<Option<Value>, HookError> {
        if let Some(error) = result.get("error") {
            let text = |key: &str| {
                error
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            if text("kind") == "backend-unavailable" {
                return Err(HookError::BackendUnavailable {
                    backend: self.backend.clone(),
                    kind: text("type"),
                    message: text("message"),
                });
            }
            return Err(HookError::Failed {
                backend: self.backend.clone(),
                hook: hook.name(),
                kind: text("type"),
                message: text("message"),
            });
        }
        if result.get("missing").is_some() {
            if hook.optional() {
                return Ok(None);
            }
            return Err(HookError::Missing {
                backend: self.backend.clone(),
                hook: hook.name(),
            });
        }
        Ok(Some(result.get("result").cloned().unwrap_or(Value::Null)))
    }
}

struct RunnerFiles {
    runner: PathBuf,
    request: PathBuf,
    result: PathBuf,
}

/// Reads `pipe` line by line (lossily: a backend may print any bytes) on
/// a thread of its own, sending each line.
fn forward(
    pipe: impl std::io::Read + Send + 'static,
    stream: Stream,
    sender: std::sync::mpsc::Sender<(Stream, String)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(pipe);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\n', '\r']).to_string();
            if sender.send((stream, text)).is_err() {
                break;
            }
            line.clear();
        }
    })
}

/// A plain file name, not a path: what a hook may return.
fn is_base_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}
