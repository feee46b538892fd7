//! `chiron lock` as a workflow: the inputs read without `[inputs] lock`
//! (which is this workflow's output), the previous pins to keep, and every
//! target resolved without downloading.

use std::path::PathBuf;
use std::sync::Arc;

use pep508_rs::Requirement;

use super::inputs::{
    InputRequest, ProjectSelection, TargetRequest, gather, normalize_time, targets,
};
use super::{PlanError, Workspace};
use crate::error::{Result, ResultExt};
use crate::index::client::IndexClient;
use crate::resolve::ResolveOptions;
use crate::wheelhouse::Progress;
use crate::wheelhouse::lock::{LOCK_FILE, LockReport, LockRequest, Upgrade, lock};

/// What the caller asked of the lock; unset values fall back to the
/// configuration.
#[derive(Debug, Default, Clone)]
pub struct LockPlanRequest {
    pub inputs: InputRequest,
    pub targets: TargetRequest,
    pub project: ProjectSelection,
    /// The folder of `pylock.toml` (default: where `[inputs] lock` is, else
    /// the project folder).
    pub out: Option<PathBuf>,
    /// The lock whose pins to keep (default: the one being written).
    pub previous: Option<PathBuf>,
    pub upgrade: bool,
    /// `NAME` or `NAME==VERSION` (any specifier).
    pub upgrade_packages: Vec<String>,
    pub check: bool,
    pub exclude_newer: Option<String>,
    pub allow_sdist: bool,
}

/// The lock file a request writes.
fn lock_file(ws: &Workspace, request: &LockPlanRequest) -> PathBuf {
    let loaded = ws.config;
    // `[inputs] lock` is what this workflow writes (and what `chiron
    // wheelhouse` then installs), not an input: it need not exist yet.
    let configured = loaded
        .config
        .inputs
        .lock
        .as_ref()
        .map(|path| loaded.resolve(path))
        .filter(|path| path.extension().is_some_and(|e| e == "toml"));
    match (&request.out, configured) {
        (Some(out), _) => ws.path(out).join(LOCK_FILE),
        (None, Some(configured)) => configured,
        (None, None) => loaded.root.join(LOCK_FILE),
    }
}

fn upgrade_packages(texts: &[String]) -> Result<Vec<Requirement>, PlanError> {
    texts
        .iter()
        .map(|text| {
            text.parse()
                .map_err(|e: pep508_rs::Pep508Error| PlanError::UpgradePackage {
                    text: text.clone(),
                    message: e.message.to_string(),
                })
        })
        .collect()
}

/// Resolves every target and writes (or, with `check`, compares) the lock.
pub async fn run(
    ws: &Workspace<'_>,
    request: &LockPlanRequest,
    progress: &dyn Progress,
) -> Result<LockReport> {
    let loaded = ws.config;
    let targets = targets(ws, &request.targets)?;
    let mut without_lock = loaded.clone();
    without_lock.config.inputs.lock = None;
    let inputs = gather(
        &Workspace {
            config: &without_lock,
            ..*ws
        },
        &request.inputs,
        Some(&request.project),
    )?;
    if inputs.requirements.is_empty() {
        return Err(PlanError::NothingToLock.into());
    }
    let upgrade_packages = upgrade_packages(&request.upgrade_packages)?;
    let previous = match &request.previous {
        Some(path) => {
            let path = ws.path(path);
            if !path.is_file() {
                return Err(PlanError::NoPreviousLock { path }.into());
            }
            Some(path)
        }
        None => None,
    };
    let exclude_newer = request
        .exclude_newer
        .as_deref()
        .map(normalize_time)
        .transpose()?;
    let lock_file = lock_file(ws, request);
    let client = Arc::new(IndexClient::new(inputs.settings)?);
    let lock_request = LockRequest {
        requirements: inputs.requirements,
        constraints: inputs.constraints,
        targets,
        lock_file: lock_file.clone(),
        previous,
        options: ResolveOptions {
            allow_prereleases: inputs.pre,
            allow_sdist: request.allow_sdist || loaded.config.policy.allow_sdist,
            exclude_newer,
            formats: inputs.formats,
            ..Default::default()
        },
        upgrade: Upgrade {
            all: request.upgrade,
            packages: upgrade_packages,
        },
        check: request.check,
        hashes: inputs.hashes,
        direct: inputs.direct,
    };
    lock_request
        .options
        .check_formats()
        .map_err(PlanError::SdistsToLock)?;
    lock(client, &lock_request, progress)
        .await
        .with_context(|| format!("locking into {}", lock_file.display()))
}
