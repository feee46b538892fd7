//! `chiron build`: the project's sdist and wheel, built by its PEP 517
//! backend in a fresh environment installed from the hash-pinned build
//! lock, with a reproducible environment and normalised outputs; with
//! `--check`, built twice and compared; then the artifacts of a release
//! beside them in the output folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pep508_rs::Requirement;
use serde_json::Value;

use super::Workspace;
use super::inputs::{InputRequest, index_settings};
use crate::build::compare::Comparison;
use crate::build::env::Installer;
use crate::build::hooks::{Hook, HookOutput, HookRunner};
use crate::build::lock::{BuildLock, BuildLockRequest};
use crate::build::source::EpochSource;
use crate::build::system::BuildSystem;
use crate::build::{BuildDependency, BuildError, BuiltFile, DistKind, SourceInfo};
use crate::error::{Result, ResultExt};
use crate::index::client::IndexClient;
use crate::python::target::{NamedPlatform, Platform, Target};
use crate::sign::KeyPair;
use crate::wheelhouse::Progress;

/// Which distributions to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dists {
    /// The sdist, then the wheel from the unpacked sdist (as `python -m
    /// build` does): the wheel is what users of the sdist would get.
    #[default]
    SdistThenWheel,
    Sdist,
    Wheel,
    /// Both, each from the source folder.
    Both,
}

impl Dists {
    /// `--sdist` and `--wheel` as `python -m build` reads them.
    pub fn from_flags(sdist: bool, wheel: bool) -> Dists {
        match (sdist, wheel) {
            (false, false) => Dists::SdistThenWheel,
            (true, false) => Dists::Sdist,
            (false, true) => Dists::Wheel,
            (true, true) => Dists::Both,
        }
    }
}

/// What the caller asked of a build.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// The project folder (default: the working folder).
    pub project: Option<PathBuf>,
    /// Where the distributions go (default: `dist/` in the project).
    pub outdir: Option<PathBuf>,
    pub dists: Dists,
    /// The interpreter to build with (default: `python3`).
    pub python: Option<PathBuf>,
    /// Build in `python` as it is: no build environment, no build lock.
    pub no_isolation: bool,
    /// `--config-setting KEY=VALUE`, in order; a key given twice becomes a
    /// list, as in `python -m build`.
    pub config_settings: Vec<(String, String)>,
    /// The build wheelhouse (default: [`default_build_wheelhouse`]).
    pub build_wheelhouse: Option<PathBuf>,
    /// The index options (only the index fields are read).
    pub index: InputRequest,
    /// Build twice and compare; publish only when identical.
    pub check: bool,
    /// Run auditwheel on binary wheels (Linux).
    pub repair: bool,
    /// Put the wheel's SBOM inside it (PEP 770).
    pub pep770: bool,
    /// The command line, for the provenance.
    pub command: Vec<String>,
}

/// Where the backend ran.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Isolation {
    /// A fresh environment with the build lock's wheels.
    Locked {
        requirements_file: PathBuf,
        pylock: PathBuf,
        wheelhouse: PathBuf,
        /// Whether the lock was kept as it was (no resolution).
        reused: bool,
        installer: &'static str,
    },
    /// `--no-isolation`: the interpreter as it is.
    None { python: PathBuf },
}

/// What one build made and how.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildReport {
    pub project: PathBuf,
    pub outdir: PathBuf,
    pub backend: String,
    pub files: Vec<BuiltFile>,
    /// Everything else written to the output folder (sums, SBOMs,
    /// signatures, provenance).
    pub artifacts: Vec<PathBuf>,
    pub source: SourceInfo,
    pub epoch_source: EpochSource,
    pub isolation: Isolation,
    pub build_dependencies: Vec<BuildDependency>,
    /// The project's lock the wheels' SBOMs took their runtime
    /// dependencies from; `None`: the SBOMs list none.
    pub runtime_lock: Option<PathBuf>,
    /// Distributions in the output folder from earlier builds: not in this
    /// build's `SHA256SUMS`, so `chiron verify` reports them.
    pub stale: Vec<PathBuf>,
    /// With `--check`: the comparison of the two builds, file by file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Vec<Comparison>>,
}

impl BuildReport {
    /// Whether `--check` found the two builds identical (true without it).
    pub fn reproducible(&self) -> bool {
        self.check
            .as_ref()
            .is_none_or(|comparisons| comparisons.iter().all(Comparison::identical))
    }
}

/// The request resolved against the workspace, once.
struct Plan {
    project: PathBuf,
    outdir: PathBuf,
    system: BuildSystem,
    dists: Dists,
    python: PathBuf,
    config_settings: Value,
    epoch: u64,
    epoch_source: EpochSource,
    wheelhouse: PathBuf,
    offline: bool,
    no_isolation: bool,
}

fn plan(ws: &Workspace, request: &BuildRequest) -> Result<Plan> {
    let project = match &request.project {
        Some(dir) => ws.path(dir),
        None => ws.cwd.to_path_buf(),
    };
    if !project.is_dir() {
        return Err(BuildError::NotAFolder {
            what: "chiron build",
            path: project,
        }
        .into());
    }
    let system = BuildSystem::read(&project).map_err(BuildError::from)?;
    let from_env = ws.source_date_epoch()?;
    if let Some(value) = from_env.filter(|e| !(0..=MAX_ZIP_EPOCH).contains(e)) {
        return Err(BuildError::Epoch { value }.into());
    }
    let (epoch, epoch_source) = crate::build::source::epoch(from_env, &project);
    if request.repair {
        crate::build::repair::check_available().map_err(BuildError::from)?;
    }
    Ok(Plan {
        outdir: request
            .outdir
            .as_ref()
            .map_or_else(|| project.join("dist"), |dir| ws.path(dir)),
        wheelhouse: request.build_wheelhouse.as_ref().map_or_else(
            || default_build_wheelhouse(ws, &project),
            |dir| ws.path(dir),
        ),
        python: request
            .python
            .as_ref()
            .map_or_else(|| PathBuf::from("python3"), |p| interpreter(ws, p)),
        config_settings: config_settings(&request.config_settings),
        offline: ws.config.config.index.offline,
        no_isolation: request.no_isolation,
        dists: request.dists,
        project,
        system,
        epoch,
        epoch_source,
    })
}

/// The last second a zip entry can hold (2107-12-31T23:59:58Z).
const MAX_ZIP_EPOCH: i64 = 4_354_819_198;

/// Where a project's build requirements' wheels are kept when not named:
/// in chiron's cache, one folder per project folder, never inside the
/// project (a backend that packs every file not ignored by git would put
/// them in the sdist).
pub fn default_build_wheelhouse(ws: &Workspace, project: &Path) -> PathBuf {
    let settings = crate::index::client::ClientSettings::from_config(ws.config);
    let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
    let name = project
        .file_name()
        .map(|n| crate::python::normalize(&n.to_string_lossy()))
        .unwrap_or_default();
    let place = crate::digest::sha256_hex(project.to_string_lossy().as_bytes());
    settings
        .cache_dir
        .join("build-wheelhouses")
        .join(format!("{name}-{}", &place[..12]))
}

/// A bare name (`python3.12`) is looked up on `PATH`; a path is relative
/// to the working folder.
fn interpreter(ws: &Workspace, given: &Path) -> PathBuf {
    if given.components().count() > 1 {
        ws.path(given)
    } else {
        given.to_path_buf()
    }
}

/// `--config-setting` pairs as the dictionary the hooks get.
fn config_settings(pairs: &[(String, String)]) -> Value {
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        let value = Value::String(value.clone());
        match map.get_mut(key) {
            Some(Value::Array(list)) => list.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                map.insert(key.clone(), value);
            }
        }
    }
    Value::Object(map)
}

/// The environment the backend runs in.
struct Environment {
    python: PathBuf,
    /// The isolated environment's folder (removed when dropped).
    _dir: Option<tempfile::TempDir>,
    lock: Option<BuildLock>,
    installer: Installer,
    /// What the lock was made for and the index client, to lock again
    /// with what the hooks add.
    relock: Option<(BuildLockRequest, Arc<IndexClient>)>,
    /// The interpreter's marker environment, to judge requirements.
    target: Target,
}

/// Reports while a build runs.
pub trait BuildOutput: HookOutput {
    /// A step begins (`locking the build requirements`, ...).
    fn step(&self, message: &str);
}

/// A private temporary folder for the run and the build environment in it.
async fn prepare(
    ws: &Workspace<'_>,
    plan: &Plan,
    request: &BuildRequest,
    progress: &dyn Progress,
    output: &dyn BuildOutput,
) -> Result<(tempfile::TempDir, Environment)> {
    let scratch = tempfile::Builder::new()
        .prefix("chiron-build-")
        .tempdir()
        .context("cannot make a temporary folder for the build")?;
    let env = environment(ws, plan, request, scratch.path(), progress, output).await?;
    Ok((scratch, env))
}

/// Builds the project: the distributions in the output folder with their
/// artifacts, or, with `--check`, nothing written when the two builds
/// differ (the report says how).
pub async fn build(
    ws: &Workspace<'_>,
    request: &BuildRequest,
    key: Option<&KeyPair>,
    progress: &dyn Progress,
    output: &dyn BuildOutput,
) -> Result<BuildReport> {
    let plan = plan(ws, request)?;
    let (scratch, env) = prepare(ws, &plan, request, progress, output).await?;
    let mut builder = Builder {
        plan: &plan,
        env,
        progress,
        output,
        found_env: Vec::new(),
    };
    let (built, check) = if request.check {
        builder.check(scratch.path()).await?
    } else {
        let files = builder
            .build_dists(&plan.project, &scratch.path().join("out"), "022")
            .await?;
        (files, None)
    };
    let Builder { env, .. } = builder;
    let mut report = BuildReport {
        project: plan.project.clone(),
        outdir: plan.outdir.clone(),
        backend: plan.system.backend.clone(),
        files: Vec::new(),
        artifacts: Vec::new(),
        source: source_info(&plan, &built),
        epoch_source: plan.epoch_source,
        isolation: isolation(&plan, &env),
        stale: Vec::new(),
        runtime_lock: None,
        build_dependencies: env
            .lock
            .as_ref()
            .map(|lock| lock.dependencies.clone())
            .unwrap_or_default(),
        check,
    };
    if !report.reproducible() {
        return Ok(report);
    }
    let built = if request.repair {
        output.step("repairing binary wheels with auditwheel");
        crate::build::repair::repair(&built, &scratch.path().join("repaired"), plan.epoch)
            .map_err(BuildError::from)?
    } else {
        built
    };
    let published = publish(&built, &plan.outdir)?;
    output.step("writing SHA256SUMS, SBOMs, signatures and provenance");
    let runtime_lock = runtime_lock(&plan.project);
    let artifacts =
        crate::build::artifacts::write_artifacts(&crate::build::artifacts::ArtifactRequest {
            dist: &plan.outdir,
            built: &published,
            source: &report.source,
            build_dependencies: &report.build_dependencies,
            runtime_lock: runtime_lock.as_deref(),
            key,
            pep770: request.pep770,
            command: &request.command,
        })
        .map_err(BuildError::from)?;
    report.files = artifacts.built;
    report.artifacts = artifacts.written;
    report.stale = stale_dists(&plan.outdir, &report.files);
    report.runtime_lock = runtime_lock;
    Ok(report)
}

/// What `--metadata` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MetadataReport {
    /// The `NAME-VERSION.dist-info` folder, in the output folder.
    pub dist_info: PathBuf,
    /// Whether the backend's `prepare_metadata_for_build_wheel` made it
    /// (else a wheel was built and its `.dist-info` taken, as PEP 517 says).
    pub prepared: bool,
}

/// The wheel's metadata alone (`--metadata`): the backend's
/// `prepare_metadata_for_build_wheel`, else the `.dist-info` of a built
/// wheel; written into the output folder, replacing one of the same name.
pub async fn metadata(
    ws: &Workspace<'_>,
    request: &BuildRequest,
    progress: &dyn Progress,
    output: &dyn BuildOutput,
) -> Result<MetadataReport> {
    let plan = plan(ws, request)?;
    let (scratch, env) = prepare(ws, &plan, request, progress, output).await?;
    let mut builder = Builder {
        plan: &plan,
        env,
        progress,
        output,
        found_env: Vec::new(),
    };
    let (made, was_prepared) = builder.dist_info(&plan.project, scratch.path()).await?;
    let name = made.file_name().unwrap_or_default().to_os_string();
    let dist_info = plan.outdir.join(&name);
    crate::build::source::replace_dir(&made, &dist_info).map_err(|source| BuildError::Write {
        path: dist_info.clone(),
        source,
    })?;
    Ok(MetadataReport {
        dist_info,
        prepared: was_prepared,
    })
}

/// The distributions in `outdir` this build did not make, sorted.
fn stale_dists(outdir: &Path, built: &[BuiltFile]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(outdir) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.to_string_lossy();
            (name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip"))
                && !built.iter().any(|b| &b.path == path)
        })
        .collect();
    stale.sort();
    stale
}

/// The project's own lock, when it has one, for the wheels' runtime
/// dependencies in their SBOMs.
fn runtime_lock(project: &Path) -> Option<PathBuf> {
    let lock = project.join("pylock.toml");
    lock.is_file().then_some(lock)
}

/// The build environment: with isolation, the build lock made or kept,
/// its wheels fetched, and a fresh venv installed from them.
async fn environment(
    ws: &Workspace<'_>,
    plan: &Plan,
    request: &BuildRequest,
    scratch: &Path,
    progress: &dyn Progress,
    output: &dyn BuildOutput,
) -> Result<Environment> {
    let version = crate::build::env::python_version(&plan.python).map_err(BuildError::from)?;
    let host = NamedPlatform::host().ok_or(super::PlanError::UnknownHost)?;
    let target = Target::new(
        version,
        Platform::Named(host),
        ws.config.config.targets.floors(),
    )
    .map_err(super::PlanError::Target)?;
    if plan.no_isolation {
        let env = Environment {
            python: plan.python.clone(),
            _dir: None,
            lock: None,
            installer: Installer::Pip,
            relock: None,
            target,
        };
        check_installed(&env, &plan.system.requires)?;
        return Ok(env);
    }
    let lock_request = BuildLockRequest {
        project: plan.project.clone(),
        wheelhouse: plan.wheelhouse.clone(),
        requirements: plan.system.requires.clone(),
        target,
        offline: plan.offline,
        project_name: ws.project_name(),
    };
    let client = Arc::new(IndexClient::new(index_settings(ws, &request.index))?);
    output.step("locking the build requirements");
    let lock = crate::build::lock::lock_and_fetch(Arc::clone(&client), &lock_request, progress)
        .await
        .map_err(BuildError::from)?;
    let installer = Installer::detect(ws.env.get("PATH"), &plan.python);
    let dir = tempfile::Builder::new()
        .prefix("env-")
        .tempdir_in(scratch)
        .context("cannot make the build environment's folder")?;
    output.step(&format!(
        "installing {} build requirements with {}",
        lock.dependencies.len(),
        installer.name()
    ));
    let python = crate::build::env::create(&plan.python, dir.path(), &installer)
        .map_err(BuildError::from)?;
    crate::build::env::install(
        &python,
        &installer,
        &lock.wheelhouse,
        &lock.requirements_file,
    )
    .map_err(BuildError::from)?;
    Ok(Environment {
        python,
        _dir: Some(dir),
        lock: Some(lock),
        installer,
        relock: Some((lock_request.clone(), client)),
        target: lock_request.target,
    })
}

/// One run's builds: the plan, the environment (which a hook's extra
/// requirements may grow) and where to report.
struct Builder<'a> {
    plan: &'a Plan,
    env: Environment,
    progress: &'a dyn Progress,
    output: &'a dyn BuildOutput,
    /// Variables for the hooks found while building (the version a
    /// setuptools-scm or hatch-vcs project has in its repository, for
    /// `--check`'s copies without `.git`).
    found_env: Vec<(String, String)>,
}

impl Builder<'_> {
    /// The wheel's `.dist-info` for the project in `source`: the backend's
    /// `prepare_metadata_for_build_wheel`, else a built wheel's; and
    /// whether the hook made it.
    async fn dist_info(&mut self, source: &Path, scratch: &Path) -> Result<(PathBuf, bool)> {
        let out = scratch.join("metadata");
        std::fs::create_dir_all(&out).with_context(|| format!("cannot make {}", out.display()))?;
        let runner = self.runner(&self.plan.system, &scratch.join("hooks"), "022");
        let settings = &self.plan.config_settings;
        let extra = runner
            .requirements(
                Hook::GetRequiresForBuildWheel,
                source,
                settings,
                self.output,
            )
            .map_err(BuildError::from)?;
        self.ensure(&extra).await?;
        let prepared = runner
            .build(
                Hook::PrepareMetadataForBuildWheel,
                source,
                &out,
                settings,
                self.output,
            )
            .map_err(BuildError::from)?;
        Ok(match prepared {
            Some(dir) => (dir, true),
            None => {
                let wheel = self
                    .build_one(&runner, source, &scratch.join("wheel"), DistKind::Wheel)
                    .await?;
                (
                    crate::build::source::extract_dist_info(&wheel, &out)
                        .map_err(BuildError::from)?,
                    false,
                )
            }
        })
    }

    /// For a project whose version a git plugin computes (setuptools-scm,
    /// hatch-vcs, pdm-backend's scm), the version it computes in the
    /// project itself, set for the builds in copies, which have no `.git`
    /// (`SETUPTOOLS_SCM_PRETEND_VERSION`, `PDM_BUILD_SCM_VERSION`).
    async fn pin_scm_version(&mut self, scratch: &Path) -> Result<()> {
        let pyproject = self.plan.project.join("pyproject.toml");
        let Ok(text) = std::fs::read_to_string(&pyproject) else {
            return Ok(());
        };
        let scm = matches!(
            crate::release::version_files::project_version(&pyproject, &text),
            Ok(crate::release::version_files::ProjectVersion::Dynamic(
                Some(_)
            ))
        );
        if !scm {
            return Ok(());
        }
        self.output
            .step("asking the backend for the version git gives (the copies have no .git)");
        let (dist_info, _) = self
            .dist_info(&self.plan.project.clone(), &scratch.join("scm"))
            .await?;
        let name = dist_info
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((_, version)) = name.trim_end_matches(".dist-info").rsplit_once('-') else {
            return Ok(());
        };
        for variable in ["SETUPTOOLS_SCM_PRETEND_VERSION", "PDM_BUILD_SCM_VERSION"] {
            self.found_env.push((variable.into(), version.to_string()));
        }
        Ok(())
    }

    /// Installs what a `get_requires_for_build_*` hook asked for: when the
    /// lock already pins it, nothing to do; else the lock is made again
    /// with it (not offline) and the environment brought up to the new
    /// lock. Without isolation nothing is installed: the backend fails
    /// clearly when the interpreter lacks something.
    async fn ensure(&mut self, extra: &[String]) -> Result<()> {
        let extra = parse_requirements(extra)?;
        let env = &mut self.env;
        let (Some(lock), Some((lock_request, client))) = (&env.lock, &mut env.relock) else {
            return check_installed(env, &extra);
        };
        let mut all = lock_request.requirements.clone();
        for requirement in extra {
            if !all.contains(&requirement) {
                all.push(requirement);
            }
        }
        let unmet = crate::build::lock::unmet(&lock.pylock, &all, &lock_request.target);
        if unmet.is_empty() {
            return Ok(());
        }
        self.output.step(&format!(
            "locking what the backend also needs: {}",
            unmet.join(", ")
        ));
        lock_request.requirements = all;
        let relocked =
            crate::build::lock::lock_and_fetch(Arc::clone(client), lock_request, self.progress)
                .await
                .map_err(BuildError::from)?;
        crate::build::env::install(
            &env.python,
            &env.installer,
            &relocked.wheelhouse,
            &relocked.requirements_file,
        )
        .map_err(BuildError::from)?;
        env.lock = Some(relocked);
        Ok(())
    }

    /// The hook runner for one build: the environment's interpreter, the
    /// variables that make the backend's output depend on the source
    /// alone, and `umask`.
    fn runner(&self, system: &BuildSystem, scratch: &Path, umask: &str) -> HookRunner {
        let (plan, env) = (self.plan, &self.env);
        let mut runner = HookRunner::new(env.python.clone(), system, scratch.to_path_buf());
        runner.umask = umask.to_string();
        runner.env = vec![
            ("SOURCE_DATE_EPOCH".into(), plan.epoch.to_string()),
            ("PYTHONHASHSEED".into(), "0".into()),
            ("TZ".into(), "UTC".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
        ];
        runner.env.extend(self.found_env.iter().cloned());
        runner.env_remove = [
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
            "PYTHONUSERBASE",
        ]
        .map(String::from)
        .to_vec();
        if env.lock.is_some() {
            // Isolated: nothing from the user's site, the environment's
            // scripts first, and a backend that calls pip finds no index.
            runner.env.push(("PYTHONNOUSERSITE".into(), "1".into()));
            runner.env.push(("PIP_NO_INDEX".into(), "1".into()));
            if let Some(bin) = env.python.parent() {
                runner.env.push(("PATH".into(), path_with(bin)));
                if let Some(venv) = bin.parent() {
                    runner
                        .env
                        .push(("VIRTUAL_ENV".into(), venv.display().to_string()));
                    runner
                        .prefix_maps
                        .push((venv.to_path_buf(), "/build-env".into()));
                }
            }
        }
        runner
    }

    /// Builds the distributions of `source` into `out`, normalised, with
    /// the hooks run under `umask`.
    async fn build_dists(
        &mut self,
        source: &Path,
        out: &Path,
        umask: &str,
    ) -> Result<Vec<BuiltFile>> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot make {}", out.display()))?;
        let work = out.with_extension("work");
        let runner = self.runner(&self.plan.system, &work.join("hooks"), umask);
        let mut made = Vec::new();
        match self.plan.dists {
            Dists::SdistThenWheel => {
                let sdist = self
                    .build_one(&runner, source, out, DistKind::Sdist)
                    .await?;
                let unpacked = crate::build::source::unpack_sdist(&sdist, &work.join("sdist"))
                    .map_err(BuildError::from)?;
                made.push(sdist);
                // The wheel is built as a user of the sdist would build it:
                // with the sdist's own [build-system] (its backend-path
                // inside the sdist, its requirements installed too).
                let system = BuildSystem::read(&unpacked).map_err(BuildError::from)?;
                let requires: Vec<String> =
                    system.requires.iter().map(ToString::to_string).collect();
                self.ensure(&requires).await?;
                let from_sdist = self.runner(&system, &work.join("hooks-sdist"), umask);
                made.push(
                    self.build_one(&from_sdist, &unpacked, out, DistKind::Wheel)
                        .await?,
                );
            }
            Dists::Sdist => made.push(
                self.build_one(&runner, source, out, DistKind::Sdist)
                    .await?,
            ),
            Dists::Wheel => made.push(
                self.build_one(&runner, source, out, DistKind::Wheel)
                    .await?,
            ),
            Dists::Both => {
                made.push(
                    self.build_one(&runner, source, out, DistKind::Sdist)
                        .await?,
                );
                made.push(
                    self.build_one(&runner, source, out, DistKind::Wheel)
                        .await?,
                );
            }
        }
        made.iter()
            .map(|path| normalized(path, self.plan.epoch))
            .collect()
    }

    /// One distribution: the backend's extra requirements installed, then
    /// its build hook; the path of what it made.
    async fn build_one(
        &mut self,
        runner: &HookRunner,
        source: &Path,
        out: &Path,
        kind: DistKind,
    ) -> Result<PathBuf> {
        let (requires_hook, build_hook, expected) = match kind {
            DistKind::Sdist => (Hook::GetRequiresForBuildSdist, Hook::BuildSdist, ".tar.gz"),
            DistKind::Wheel => (Hook::GetRequiresForBuildWheel, Hook::BuildWheel, ".whl"),
        };
        let settings = &self.plan.config_settings;
        let extra = runner
            .requirements(requires_hook, source, settings, self.output)
            .map_err(BuildError::from)?;
        self.ensure(&extra).await?;
        std::fs::create_dir_all(out).with_context(|| format!("cannot make {}", out.display()))?;
        let made = runner
            .build(build_hook, source, out, settings, self.output)
            .map_err(BuildError::from)?
            .ok_or(BuildError::Hook(crate::build::hooks::HookError::Missing {
                backend: self.plan.system.backend.clone(),
                hook: build_hook.name(),
            }))?;
        if !made.to_string_lossy().ends_with(expected) {
            return Err(BuildError::WrongKind {
                made,
                expected: if kind == DistKind::Sdist {
                    "sdist (.tar.gz)"
                } else {
                    "wheel (.whl)"
                },
            }
            .into());
        }
        Ok(made)
    }

    /// `--check`: two builds of two copies of the project, in different
    /// folders, at least two seconds apart (zip times have a two-second
    /// resolution) and under different umasks, compared file by file.
    async fn check(&mut self, scratch: &Path) -> Result<(Vec<BuiltFile>, Option<Vec<Comparison>>)> {
        self.pin_scm_version(scratch).await?;
        let mut builds = Vec::new();
        for (side, umask) in [("a", "022"), ("b", "077")] {
            let started = Instant::now();
            let copy = scratch.join(format!("source-{side}"));
            crate::build::source::copy_project(&self.plan.project, &copy)
                .map_err(BuildError::from)?;
            self.output.step(&format!(
                "build {} of 2 (umask {umask}) in {}",
                builds.len() + 1,
                copy.display()
            ));
            let files = self
                .build_dists(&copy, &scratch.join(format!("out-{side}")), umask)
                .await?;
            builds.push(files);
            let rest = Duration::from_secs(2).saturating_sub(started.elapsed());
            if side == "a" && !rest.is_zero() {
                tokio::time::sleep(rest).await;
            }
        }
        let second = builds.pop().unwrap_or_default();
        let first = builds.pop().unwrap_or_default();
        let comparisons = compare_builds(&first, &second)?;
        Ok((first, Some(comparisons)))
    }
}

fn parse_requirements(texts: &[String]) -> Result<Vec<Requirement>> {
    texts
        .iter()
        .map(|text| {
            text.parse().map_err(|e: pep508_rs::Pep508Error| {
                super::PlanError::Requirement {
                    text: text.clone(),
                    message: e.message.to_string(),
                }
                .into()
            })
        })
        .collect()
}

/// Without isolation nothing is installed: what the build needs must be
/// in the interpreter already, at a version the requirement admits (as
/// `python -m build --no-isolation` checks).
fn check_installed(env: &Environment, requirements: &[Requirement]) -> Result<()> {
    if requirements.is_empty() {
        return Ok(());
    }
    let installed = crate::build::env::installed(&env.python).map_err(BuildError::from)?;
    let unmet: Vec<String> = requirements
        .iter()
        .filter(|r| r.evaluate_markers(env.target.markers(), &[]))
        .filter(|r| {
            let Some(version) = installed.get(&r.name) else {
                return true;
            };
            match &r.version_or_url {
                Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                    !specifiers.contains(version)
                }
                _ => false,
            }
        })
        .map(ToString::to_string)
        .collect();
    if unmet.is_empty() {
        return Ok(());
    }
    Err(BuildError::MissingInEnvironment {
        python: env.python.clone(),
        unmet,
    }
    .into())
}

/// `PATH` with `bin` first.
fn path_with(bin: &Path) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&path)))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compares the two builds' files by kind (the names hold the version,
/// which a non-reproducible build may change too).
fn compare_builds(first: &[BuiltFile], second: &[BuiltFile]) -> Result<Vec<Comparison>> {
    let mut comparisons = Vec::new();
    for (a, b) in first.iter().zip(second) {
        let comparison =
            crate::build::compare::compare(&a.path, &b.path).map_err(BuildError::from)?;
        comparisons.push(comparison);
    }
    Ok(comparisons)
}

/// Normalises a built file and describes it.
fn normalized(path: &Path, epoch: u64) -> Result<BuiltFile> {
    let kind = if path.to_string_lossy().ends_with(".whl") {
        crate::build::normalize::normalize_wheel(path, epoch).map_err(BuildError::from)?;
        DistKind::Wheel
    } else {
        crate::build::normalize::normalize_sdist(path, epoch).map_err(BuildError::from)?;
        DistKind::Sdist
    };
    let (sha256, size) = crate::digest::digest_file(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(BuiltFile {
        path: path.to_path_buf(),
        kind,
        sha256,
        size,
    })
}

/// Copies the built files into the output folder, each in one step; the
/// files as they are there.
fn publish(built: &[BuiltFile], outdir: &Path) -> Result<Vec<BuiltFile>> {
    std::fs::create_dir_all(outdir).map_err(|source| BuildError::Write {
        path: outdir.to_path_buf(),
        source,
    })?;
    built
        .iter()
        .map(|file| {
            let name = file.path.file_name().unwrap_or_default();
            let to = outdir.join(name);
            crate::atomic::clone_or_copy(&file.path, &to).map_err(|source| BuildError::Write {
                path: to.clone(),
                source,
            })?;
            Ok(BuiltFile {
                path: to,
                ..file.clone()
            })
        })
        .collect()
}

/// Where the source came from, and the name and version the build gave
/// it (from the first file's name).
fn source_info(plan: &Plan, built: &[BuiltFile]) -> SourceInfo {
    let (commit, repository, dirty) = crate::build::source::git_state(&plan.project);
    let (name, version) = built
        .first()
        .and_then(|file| {
            let filename = file.path.file_name()?.to_string_lossy().into_owned();
            let parsed = crate::python::filename::DistFilename::parse(&filename, None)?;
            Some((parsed.name().to_string(), parsed.version().to_string()))
        })
        .unwrap_or_default();
    SourceInfo {
        name,
        version,
        commit,
        repository,
        dirty,
        epoch: plan.epoch,
    }
}

fn isolation(plan: &Plan, env: &Environment) -> Isolation {
    match &env.lock {
        Some(lock) => Isolation::Locked {
            requirements_file: lock.requirements_file.clone(),
            pylock: lock.pylock.clone(),
            wheelhouse: lock.wheelhouse.clone(),
            reused: lock.reused,
            installer: env.installer.name(),
        },
        None => Isolation::None {
            python: plan.python.clone(),
        },
    }
}
