//! The wheelhouse stage: the inputs and targets read once, resolve and
//! download for every target, then the gate over what was staged, its
//! reports written beside the manifest, and the new wheelhouse put in
//! place in one exchange.

use std::path::PathBuf;
use std::sync::Arc;

use super::gate::{Gate, SourceRequest, gate};
use super::inputs::{
    InputRequest, ProjectSelection, TargetRequest, check_lock_input, gather, normalize_time,
    targets, targets_of_lock,
};
use super::{PlanError, Workspace};
use crate::config::OnGap;
use crate::error::{Result, ResultExt};
use crate::index::client::{ClientSettings, IndexClient};
use crate::resolve::ResolveOptions;
use crate::wheelhouse::Progress;
use crate::wheelhouse::build::{Built, WheelhouseReport, WheelhouseRequest, build_wheelhouse};

/// What the caller asked of the stage; unset values fall back to the
/// configuration.
#[derive(Debug, Default, Clone)]
pub struct StageRequest {
    pub inputs: InputRequest,
    pub targets: TargetRequest,
    pub project: ProjectSelection,
    /// The wheelhouse folder (default: `[wheelhouse] dir`).
    pub out: Option<PathBuf>,
    /// Ignore files uploaded after this time (a date or RFC 3339).
    pub exclude_newer: Option<String>,
    /// Fail instead of resolving again when the inputs changed.
    pub locked: bool,
    /// Allow sdists with static metadata (or `[policy] allow-sdist`).
    pub allow_sdist: bool,
    /// A lock to install as it is (default: `[inputs] lock`).
    pub lock: Option<PathBuf>,
    /// Write what can be served and record gaps (or `[targets] on-gap`).
    pub allow_gaps: bool,
    pub sources: SourceRequest,
}

/// What one wheelhouse stage produced: the build, the gate and the gate's
/// scan report as written to `scan.json`.
pub struct Stage {
    pub report: WheelhouseReport,
    pub gate: Gate,
    pub scan_json: serde_json::Value,
}

/// The build request: inputs, targets and options resolved from the
/// request over the configuration.
fn plan(ws: &Workspace, request: &StageRequest) -> Result<(WheelhouseRequest, ClientSettings)> {
    let loaded = ws.config;
    let inputs = gather(ws, &request.inputs, Some(&request.project))?;
    let lock = match &request.lock {
        Some(lock) => Some(check_lock_input(&ws.path(lock))?),
        None => inputs.lock.clone(),
    };
    let targets = match lock
        .as_deref()
        .map(|lock| targets_of_lock(ws, &request.targets, lock))
        .transpose()?
        .flatten()
    {
        Some(recorded) => recorded,
        None => targets(ws, &request.targets)?,
    };
    let mut input_files = inputs.input_files;
    input_files.extend(lock.clone());
    if inputs.requirements.is_empty() && lock.is_none() {
        return Err(PlanError::NothingToResolve.into());
    }
    let exclude_newer = request
        .exclude_newer
        .as_deref()
        .map(normalize_time)
        .transpose()?;
    let out = match &request.out {
        Some(out) => ws.path(out),
        None => loaded.resolve(&loaded.config.wheelhouse.dir),
    };
    let project = request.project.effective(ws);
    let build = WheelhouseRequest {
        hashes: inputs.hashes,
        direct: inputs.direct,
        requirements: inputs.requirements,
        constraints: inputs.constraints,
        input_files,
        targets,
        out,
        options: ResolveOptions {
            allow_prereleases: inputs.pre,
            allow_sdist: request.allow_sdist || loaded.config.policy.allow_sdist,
            exclude_newer,
            formats: inputs.formats,
            ..Default::default()
        },
        locked: request.locked,
        lock,
        project: ws.project_name(),
        source_date_epoch: ws.source_date_epoch()?,
        lock_extras: project.extras,
        lock_groups: project.groups,
        on_gap: if request.allow_gaps {
            OnGap::Skip
        } else {
            loaded.config.targets.on_gap
        },
    };
    build
        .options
        .check_formats()
        .map_err(PlanError::SdistsNeeded)?;
    Ok((build, inputs.settings))
}

/// Builds the wheelhouse and runs the gate, writing `scan.json` and
/// `policy.json`, all in a staging folder that then replaces the
/// wheelhouse in one exchange.
pub async fn stage(
    ws: &Workspace<'_>,
    request: &StageRequest,
    progress: &dyn Progress,
) -> Result<Stage> {
    let (build, settings) = plan(ws, request)?;
    let out = build.out.clone();
    let client = Arc::new(IndexClient::new(settings)?);
    let Built { report, staged } = build_wheelhouse(client, &build, progress)
        .await
        .with_context(|| format!("building the wheelhouse {}", out.display()))?;

    // The gate: scan and policy over what was just staged, reported next
    // to the manifest every run (advisories change while inputs do not).
    let manifest = crate::wheelhouse::build::read_manifest(staged.path()).ok_or_else(|| {
        std::io::Error::other(format!(
            "reading back the manifest.json staged for {}",
            out.display()
        ))
    })?;
    let inventory = crate::inventory::Inventory {
        kind: crate::inventory::Kind::Wheelhouse,
        path: out.clone(),
        manifest,
    };
    let mut policy = ws.config.config.policy.clone();
    policy.allow_sdist |= request.allow_sdist;
    let gate = gate(ws, &inventory, &request.sources, &policy).await?;
    let scan_json = gate.scan_json()?;
    let write_report = |name: &str, value: &serde_json::Value| -> Result<()> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        staged
            .write_report(name, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.join(name).display()))
    };
    write_report("scan.json", &scan_json)?;
    write_report("policy.json", &serde_json::to_value(&gate.policy)?)?;
    staged
        .publish()
        .with_context(|| format!("cannot put the new wheelhouse at {}", out.display()))?;
    Ok(Stage {
        report,
        gate,
        scan_json,
    })
}
