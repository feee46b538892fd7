//! `chiron wheelhouse`: resolve every target, download every needed file
//! once, and write the wheelhouse (wheels, `requirements-<target>.txt`,
//! `SHA256SUMS`, `manifest.json`) into a staging folder next to the
//! destination ([`StagedWheelhouse`]); the caller adds the gate's reports
//! and publishes it. A killed run leaves the previous wheelhouse as it was,
//! and never a manifest that lies.
//!
//! With unchanged inputs and an intact wheelhouse (every file hashed),
//! nothing is resolved or downloaded: the manifest's fingerprint of the
//! inputs decides.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::join_all;
use pep508_rs::Requirement;
use serde::Serialize;
use tracing::Instrument;

pub use super::error::{HashMismatch, WheelhouseError};
use super::stage::{StagedWheelhouse, damage};
use super::{Progress, sha256sums_path, total_size, write_sha256sums};
use crate::config::OnGap;
use crate::digest::{Sha256, digest_file};
use crate::index::client::{IndexClient, IndexError};
use crate::index::simple::IndexFile;
use crate::index::store::Downloaded;
use crate::lock::requirements_txt::{DirectRequirement, PinnedLine, render_pinned, via};
use crate::manifest::MissingWheel;
use crate::manifest::{
    InputFile, Inputs, MANIFEST_VERSION, Manifest, ManifestFile, ManifestPackage, ManifestTarget,
    PackageUse, Parent, TargetGap, TargetScope, Tool,
};
use crate::python::NormalizedName;
use crate::python::target::Target;
use crate::redact::redact_url;
use crate::resolve::{
    PackageSource, Pin, Resolution, ResolveError, ResolveOptions, resolve_target,
};

/// What `chiron wheelhouse` builds.
#[derive(Debug, Clone)]
pub struct WheelhouseRequest {
    pub requirements: Vec<Requirement>,
    pub constraints: Vec<Requirement>,
    /// The requirements that came from files, with the file (`# via -r`).
    pub direct: Vec<DirectRequirement>,
    /// Files the requirements came from (hashed into the manifest).
    pub input_files: Vec<PathBuf>,
    pub targets: Vec<Target>,
    pub out: PathBuf,
    pub options: ResolveOptions,
    /// Fail instead of resolving when the inputs changed since the manifest.
    pub locked: bool,
    /// A `pylock.toml` or `uv.lock` to install as it is, instead of resolving.
    pub lock: Option<PathBuf>,
    /// Extras and dependency groups of the project, for a `uv.lock`.
    pub lock_extras: Vec<String>,
    pub lock_groups: Vec<String>,
    /// The project's name for the SBOM's root component.
    pub project: String,
    /// `SOURCE_DATE_EPOCH`, for the SBOM's timestamp.
    pub source_date_epoch: Option<i64>,
    /// Whether a target that cannot be served fails the run (nothing is
    /// written) or is skipped and recorded as a gap.
    pub on_gap: OnGap,
    /// `--hash` pins of the requirements files: normalised name to the
    /// allowed `sha256:HEX` values. As in pip, once one requirement has
    /// hashes every file must be pinned by one.
    pub hashes: BTreeMap<String, BTreeSet<String>>,
}

/// Checks `--hash` pins as pip's hash-checking mode does: when any
/// requirement carries hashes, every file (dependencies too) must belong
/// to a pinned package and have one of its hashes. `files` are filename
/// and sha256.
pub fn check_hash_pins<'a>(
    pins: &BTreeMap<String, BTreeSet<String>>,
    files: impl IntoIterator<Item = (&'a str, &'a Sha256)>,
) -> Result<(), WheelhouseError> {
    if pins.is_empty() {
        return Ok(());
    }
    let mut unpinned = BTreeSet::new();
    let mut mismatched = Vec::new();
    for (filename, sha256) in files {
        let Some(name) = crate::python::filename::DistFilename::parse(filename, None)
            .map(|d| crate::python::normalize(d.name().as_ref()))
        else {
            continue;
        };
        match pins.get(&name) {
            None => {
                unpinned.insert(name);
            }
            Some(allowed) if !allowed.contains(&format!("sha256:{sha256}")) => {
                mismatched.push(HashMismatch {
                    filename: filename.to_string(),
                    sha256: *sha256,
                    pinned: allowed.iter().cloned().collect(),
                });
            }
            Some(_) => {}
        }
    }
    if mismatched.is_empty() && unpinned.is_empty() {
        Ok(())
    } else {
        Err(WheelhouseError::HashPins {
            mismatched,
            unpinned: unpinned.into_iter().collect(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    pub name: String,
    pub packages: usize,
    pub requirements_file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WheelhouseReport {
    pub wheelhouse: PathBuf,
    /// Nothing had to change.
    pub up_to_date: bool,
    pub targets: Vec<TargetSummary>,
    pub files: usize,
    /// Files fetched from the network in this run.
    pub downloaded: usize,
    pub bytes: u64,
    /// Declared targets not served, as `manifest.json` records them.
    pub gaps: Vec<TargetGap>,
}

/// What [`resolve_all`] found: a resolution for every target it could
/// serve, in the order of the request, and a gap for every other one
/// (only with [`OnGap::Skip`]; with [`OnGap::Fail`] gaps are an error).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub resolutions: Vec<Resolution>,
    /// Sorted by target name.
    pub gaps: Vec<TargetGap>,
}

/// A target whose resolution found no solution, as a gap.
fn target_gap(target: &Target, explanation: String, mut missing: Vec<MissingWheel>) -> TargetGap {
    missing.sort_by(|a, b| a.package.cmp(&b.package));
    let hint = if missing.is_empty() {
        "loosen one of the requirements named above, or drop the target".to_string()
    } else {
        missing
            .iter()
            .map(|m| format!("{}: {}", m.package, m.hint))
            .collect::<Vec<_>>()
            .join("\n")
    };
    TargetGap {
        name: target.name(),
        python: target.python.to_string(),
        platform: target.platform.to_string(),
        platform_tags: target.platform_tags().to_vec(),
        reason: explanation,
        hint,
        packages: missing,
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> WheelhouseError + '_ {
    move |source| WheelhouseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `requirements-3.12-linux-x86_64.txt`.
pub fn requirements_file_name(target: &Target) -> String {
    format!("requirements-{}.txt", target.name())
}

/// The requirements and constraints as sorted strings: their order does not
/// change a resolution, so it must not change the fingerprint either.
fn sorted_inputs(request: &WheelhouseRequest) -> (Vec<String>, Vec<String>) {
    let sorted = |list: &[Requirement]| {
        let mut out: Vec<String> = list.iter().map(ToString::to_string).collect();
        out.sort();
        out
    };
    (sorted(&request.requirements), sorted(&request.constraints))
}

/// The fingerprint of everything that decides the result.
fn fingerprint(
    request: &WheelhouseRequest,
    client: &IndexClient,
    input_files: &[InputFile],
) -> String {
    let (requirements, constraints) = sorted_inputs(request);
    let targets: Vec<(String, Vec<String>)> = request
        .targets
        .iter()
        .map(|t| (t.name(), t.platform_tags().to_vec()))
        .collect();
    let settings = client.settings();
    let canonical = serde_json::json!({
        "manifest_version": MANIFEST_VERSION,
        "requirements": requirements,
        "constraints": constraints,
        "targets": targets,
        "indexes": settings.index_urls.iter().map(|u| redact_url(u)).collect::<Vec<_>>(),
        "find_links": settings.find_links,
        "pins": settings.pins,
        "allow_prereleases": request.options.allow_prereleases,
        "exclude_newer": request.options.exclude_newer,
                "input_files": input_files,
                "from_lock": request.lock.is_some(),
        "lock_extras": request.lock_extras,
        "lock_groups": request.lock_groups,
        "project": request.project,
        "source_date_epoch": request.source_date_epoch,
    });
    crate::digest::sha256_hex(canonical.to_string().as_bytes())
}

/// Reads the manifest of an existing wheelhouse, if it is one.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// A wheelhouse built (or found up to date) and staged, not yet published.
#[derive(Debug)]
pub struct Built {
    pub report: WheelhouseReport,
    /// The complete wheelhouse in its staging folder: add the reports, then
    /// [`StagedWheelhouse::publish`] it.
    pub staged: StagedWheelhouse,
}

/// Builds or updates the wheelhouse, in a staging folder next to
/// `request.out`; nothing at `request.out` changes until the caller
/// publishes it.
pub async fn build_wheelhouse(
    client: Arc<IndexClient>,
    request: &WheelhouseRequest,
    progress: &dyn Progress,
) -> Result<Built, WheelhouseError> {
    let mut staged = StagedWheelhouse::begin(&request.out)?;
    let input_files = hash_input_files(request)?;
    let fingerprint = fingerprint(request, &client, &input_files);
    if let Some(existing) = up_to_date(request, &fingerprint)? {
        tracing::info!("wheelhouse is up to date");
        staged.start_from_existing()?;
        return Ok(Built {
            report: summary(&request.out, &existing, true, 0),
            staged,
        });
    }

    let source = Arc::new(PackageSource::new(
        Arc::clone(&client),
        client.settings().cache_dir.join("resolve-wheels"),
    ));
    let staging = staged.path().to_path_buf();
    let downloads = EarlyDownloads::new(Arc::clone(&client), staging.clone(), request.out.clone());
    let resolved = match &request.lock {
        Some(lock) => resolutions_from_lock(lock, request).map(|resolutions| Resolved {
            resolutions,
            gaps: Vec::new(),
        }),
        None => {
            resolve_all(&source, request, progress, &|resolution| {
                downloads.start_resolution(resolution);
            })
            .await
        }
    };
    let Resolved { resolutions, gaps } = match resolved {
        Ok(resolved) => resolved,
        Err(error) => {
            // Stopped before the staging folder is removed with `staged`.
            downloads.cancel().await;
            return Err(error);
        }
    };

    let plan = plan_downloads(&resolutions);
    let fill = Fill {
        request,
        source: &source,
        resolutions: &resolutions,
        plan: &plan,
        staging: &staging,
        input_files: &input_files,
        fingerprint: &fingerprint,
    };
    let result = fill_staging(&client, &downloads, &fill, gaps, progress).await;
    let (manifest, downloaded) = match result {
        Ok(done) => done,
        Err(error) => {
            // Stopped before the staging folder is removed with `staged`.
            downloads.cancel().await;
            return Err(error);
        }
    };
    // Wheels fetched to read their metadata count as downloads too.
    let downloaded = usize::try_from(client.fetched().0).unwrap_or(downloaded);
    Ok(Built {
        report: summary(&request.out, &manifest, false, downloaded),
        staged,
    })
}

/// The requirements, constraints and lock files the run reads, hashed for
/// the manifest and the fingerprint.
fn hash_input_files(request: &WheelhouseRequest) -> Result<Vec<InputFile>, WheelhouseError> {
    request
        .input_files
        .iter()
        .map(|path| {
            let (sha256, _) = digest_file(path).map_err(io_error(path))?;
            Ok(InputFile {
                path: path.display().to_string(),
                sha256,
            })
        })
        .collect()
}

/// The existing wheelhouse's manifest when it is up to date: built from
/// the same inputs, undamaged, and without gaps (or `--locked` with gaps
/// allowed). A damaged one is repaired, unless `--locked`, which also
/// refuses changed inputs and gaps that could now be filled.
fn up_to_date(
    request: &WheelhouseRequest,
    fingerprint: &str,
) -> Result<Option<Manifest>, WheelhouseError> {
    if let Some(existing) = read_manifest(&request.out)
        && existing.inputs.fingerprint == fingerprint
    {
        match damage(&request.out, &existing) {
            None => {
                // A wheelhouse with gaps is resolved again (the index may
                // have the wheels by now), unless --locked forbids it.
                let gaps_allowed = request.on_gap == OnGap::Skip;
                if existing.gaps.is_empty() || (request.locked && gaps_allowed) {
                    return Ok(Some(existing));
                }
                if request.locked {
                    return Err(WheelhouseError::Gaps {
                        servable: existing.targets.len(),
                        gaps: existing.gaps,
                    });
                }
            }
            Some(problem) if request.locked => {
                return Err(WheelhouseError::Damaged {
                    wheelhouse: request.out.clone(),
                    problem,
                });
            }
            Some(problem) => {
                // Built again: each file comes from the cache (a copy, so
                // the edit never reached it) or the index.
                tracing::warn!(
                    "{}: {problem}; repairing the wheelhouse",
                    request.out.display()
                );
            }
        }
    }
    if request.locked {
        return Err(WheelhouseError::InputsChanged {
            manifest: request.out.join("manifest.json"),
        });
    }
    Ok(None)
}

/// One entry per distinct file, with the targets that install it.
fn plan_downloads(resolutions: &[Resolution]) -> DownloadPlan {
    let mut plan = DownloadPlan::new();
    for resolution in resolutions {
        for candidate in resolution.candidates.values() {
            plan.entry(candidate.file.filename.clone())
                .or_insert_with(|| (candidate.file.clone(), BTreeSet::new()))
                .1
                .insert(resolution.target.clone());
        }
    }
    plan
}

fn summary(
    dir: &Path,
    manifest: &Manifest,
    up_to_date: bool,
    downloaded: usize,
) -> WheelhouseReport {
    WheelhouseReport {
        wheelhouse: dir.to_path_buf(),
        up_to_date,
        targets: manifest
            .targets
            .iter()
            .map(|t| TargetSummary {
                name: t.name.clone(),
                packages: manifest
                    .packages
                    .iter()
                    .filter(|p| p.targets.contains_key(&TargetScope::Target(t.name.clone())))
                    .count(),
                requirements_file: t.requirements_file.clone(),
            })
            .collect(),
        files: manifest.files.len(),
        downloaded,
        bytes: manifest.files.iter().map(|f| f.size).sum(),
        gaps: manifest.gaps.clone(),
    }
}

/// What a lock says each target installs, as resolutions.
fn resolutions_from_lock(
    path: &Path,
    request: &WheelhouseRequest,
) -> Result<Vec<Resolution>, WheelhouseError> {
    use crate::resolve::Candidate;
    let is_uv = path.file_name().is_some_and(|n| n == "uv.lock");
    let pylock = if is_uv {
        None
    } else {
        Some(crate::lock::pylock::read_pylock(path)?)
    };
    let uv = if is_uv {
        Some(crate::lock::uv_lock::read_uv_lock(path)?)
    } else {
        None
    };
    let mut out = Vec::new();
    for target in &request.targets {
        let locked = match (&pylock, &uv) {
            (Some(lock), _) => crate::lock::pylock::pins_for_target(lock, path, target)?,
            (_, Some(lock)) => crate::lock::uv_lock::pins_for_target(
                lock,
                path,
                target,
                &request.lock_extras,
                &request.lock_groups,
                request.options.allow_sdist,
            )?,
            (None, None) => unreachable!("one of the two locks was read"),
        };
        let mut pins = BTreeMap::new();
        let mut candidates = BTreeMap::new();
        for locked in locked {
            let name = pep508_rs::PackageName::new(locked.name.clone()).map_err(|e| {
                WheelhouseError::Lock(crate::lock::pylock::PylockError {
                    path: path.to_path_buf(),
                    message: format!("`{}` is not a package name: {e}", locked.name),
                })
            })?;
            let version =
                locked
                    .version
                    .parse()
                    .map_err(|source| WheelhouseError::LockedVersion {
                        lock: path.to_path_buf(),
                        package: locked.name.clone(),
                        source,
                    })?;
            pins.insert(
                name.clone(),
                Pin {
                    name: locked.name,
                    version: locked.version.clone(),
                    filename: locked.file.filename.clone(),
                    required_by: locked.required_by.into_iter().collect(),
                    extras: locked.extras.into_iter().collect(),
                },
            );
            candidates.insert(
                name,
                Arc::new(Candidate {
                    version,
                    file: locked.file,
                    wheel: locked.wheel,
                }),
            );
        }
        out.push(Resolution {
            target: target.name(),
            pins,
            candidates,
        });
    }
    Ok(out)
}

/// Downloads into the staging folder that start as soon as one target's
/// resolution pins a file, while the other targets are still resolving, so
/// the transfer overlaps resolution. Each file is fetched once, however
/// many targets install it; a file the previous wheelhouse has is linked
/// from there first (the download checks its hash and replaces a bad one,
/// leaving the old wheelhouse untouched).
struct EarlyDownloads {
    client: Arc<IndexClient>,
    staging: PathBuf,
    previous: PathBuf,
    started:
        std::sync::Mutex<BTreeMap<String, tokio::task::JoinHandle<Result<Downloaded, IndexError>>>>,
}

impl EarlyDownloads {
    fn new(client: Arc<IndexClient>, staging: PathBuf, previous: PathBuf) -> Self {
        Self {
            client,
            staging,
            previous,
            started: std::sync::Mutex::default(),
        }
    }

    /// Starts every file of `resolution` not started yet whose metadata
    /// came from a PEP 658 file. Without one, another target's resolver may
    /// still be downloading that wheel whole to read its METADATA (and keeps
    /// it in the cache): starting it here too could fetch it twice, and on
    /// such indexes resolution already overlaps the transfer.
    fn start_resolution(&self, resolution: &Resolution) {
        for candidate in resolution.candidates.values() {
            if candidate.file.metadata.is_some() {
                self.start(&candidate.file);
            }
        }
    }

    fn start(&self, file: &IndexFile) {
        let mut started = self.started.lock().expect("never poisoned");
        if started.contains_key(&file.filename) {
            return;
        }
        let client = Arc::clone(&self.client);
        let file = file.clone();
        let staging = self.staging.clone();
        let old = self.previous.join(&file.filename);
        let name = file.filename.clone();
        let task = tokio::spawn(async move {
            if old.is_file() {
                let new = staging.join(&file.filename);
                crate::atomic::link_if_private(&old, &new)
                    .map_err(|source| IndexError::Io { path: new, source })?;
            }
            client.download(&file, &staging, false).await
        });
        started.insert(name, task);
    }

    /// The finished download of `file` (started now if it was not).
    async fn finish(&self, file: &IndexFile) -> Result<Downloaded, WheelhouseError> {
        self.start(file);
        let task = self
            .started
            .lock()
            .expect("never poisoned")
            .remove(&file.filename);
        let Some(task) = task else {
            return Err(WheelhouseError::DownloadAwaitedTwice {
                filename: file.filename.clone(),
            });
        };
        let outcome = task.await.map_err(|source| WheelhouseError::DownloadTask {
            filename: file.filename.clone(),
            source,
        })?;
        Ok(outcome?)
    }

    /// Stops every download still running and waits until each has let go
    /// of the staging folder, so that it can be removed.
    async fn cancel(&self) {
        let tasks: Vec<_> = std::mem::take(&mut *self.started.lock().expect("never poisoned"))
            .into_values()
            .collect();
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// The manifest's packages, by name and version.
pub(super) type ManifestPackages = BTreeMap<(String, String), ManifestPackage>;

/// Records that `resolution`'s target installs `pin`: its package's entry
/// (made from its metadata, cached by the resolution: no request) gains
/// the target.
pub(super) async fn record_package(
    packages: &mut ManifestPackages,
    source: &PackageSource,
    resolution: &Resolution,
    name: &pep508_rs::PackageName,
    pin: &Pin,
) -> Result<(), WheelhouseError> {
    let metadata = source
        .metadata(&resolution.candidates[name])
        .await
        .map_err(WheelhouseError::PinnedMetadata)?;
    packages
        .entry((pin.name.clone(), pin.version.clone()))
        .or_insert_with(|| {
            super::package_entry(
                NormalizedName::new(&pin.name),
                pin.version.clone(),
                &metadata,
            )
        })
        .targets
        .insert(
            TargetScope::Target(resolution.target.clone()),
            PackageUse {
                file: pin.filename.clone(),
                required_by: pin
                    .required_by
                    .iter()
                    .map(|p| Parent::from(p.as_str()))
                    .collect(),
                extras: pin.extras.iter().cloned().collect(),
            },
        );
    Ok(())
}

/// Resolves every target, in parallel. A target without a solution is a
/// gap: with `request.on_gap` = skip the others are returned with the
/// gaps, otherwise every gap is named in one [`WheelhouseError::Gaps`].
/// Any other failure (the index, broken metadata) fails the whole run,
/// all failures together: a gap must never come from a flaky network.
/// Also used by `chiron lock`, which reads only the requirements,
/// constraints, targets, options and `on_gap` of `request`.
///
/// `resolved` is called with each target's resolution as soon as it is
/// done, while the others go on (the wheelhouse starts its downloads there).
pub async fn resolve_all(
    source: &Arc<PackageSource>,
    request: &WheelhouseRequest,
    progress: &dyn Progress,
    resolved: &(dyn Fn(&Resolution) + Sync),
) -> Result<Resolved, WheelhouseError> {
    progress.resolutions_planned(request.targets.len());
    let jobs = request.targets.iter().map(|target| {
        let source = Arc::clone(source);
        let target = target.clone();
        let requirements = request.requirements.clone();
        let constraints = request.constraints.clone();
        let options = request.options.clone();
        let name = target.name();
        let span = tracing::info_span!("resolve", target = %name, packages = tracing::field::Empty);
        let inner = span.clone();
        async move {
            let resolution = tokio::task::spawn_blocking(move || {
                inner.in_scope(|| {
                    resolve_target(&source, &target, &requirements, &constraints, &options)
                })
            })
            .await
            .map_err(|source| WheelhouseError::ResolveTask {
                target: name.clone(),
                source,
            })?;
            if let Ok(resolution) = &resolution {
                span.record("packages", resolution.pins.len());
                resolved(resolution);
            }
            progress.resolution_done(&name);
            Ok::<_, WheelhouseError>(resolution)
        }
    });
    let mut resolutions = Vec::new();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    for (target, outcome) in request.targets.iter().zip(join_all(jobs).await) {
        match outcome? {
            Ok(resolution) => resolutions.push(resolution),
            Err(ResolveError::Conflict {
                explanation,
                missing,
                ..
            }) => gaps.push(target_gap(target, explanation, missing)),
            Err(error) => failures.push(error),
        }
    }
    if !failures.is_empty() {
        // The gaps are reported with the failures, in the resolver's words.
        for gap in &gaps {
            failures.push(ResolveError::Conflict {
                target: gap.name.clone(),
                explanation: gap.reason.clone(),
                missing: gap.packages.clone(),
            });
        }
        return Err(WheelhouseError::Resolve(failures));
    }
    gaps.sort_by(|a, b| a.name.cmp(&b.name));
    if !gaps.is_empty() && (request.on_gap == OnGap::Fail || resolutions.is_empty()) {
        return Err(WheelhouseError::Gaps {
            gaps,
            servable: resolutions.len(),
        });
    }
    Ok(Resolved { resolutions, gaps })
}

/// Every distinct file a run installs, with the targets that install it.
type DownloadPlan = BTreeMap<String, (IndexFile, BTreeSet<String>)>;

/// What the staging steps share: the run's request and what was decided
/// before any file was fetched.
struct Fill<'a> {
    request: &'a WheelhouseRequest,
    source: &'a PackageSource,
    resolutions: &'a [Resolution],
    plan: &'a DownloadPlan,
    staging: &'a Path,
    input_files: &'a [InputFile],
    fingerprint: &'a str,
}

/// Downloads the plan into the staging folder and writes the wheelhouse
/// there: one requirements file per served target, `SHA256SUMS`,
/// `pylock.toml`, the SBOM and, last, the manifest. Returns the manifest
/// and how many files came from the network.
async fn fill_staging(
    client: &IndexClient,
    downloads: &EarlyDownloads,
    fill: &Fill<'_>,
    gaps: Vec<TargetGap>,
    progress: &dyn Progress,
) -> Result<(Manifest, usize), WheelhouseError> {
    let (downloaded, fetched) = download_plan(downloads, fill.plan, progress).await?;
    let served = served_targets(fill.request, fill.resolutions);
    let mut targets = Vec::new();
    let mut packages = ManifestPackages::new();
    for &(target, resolution) in &served {
        targets.push(write_requirements(fill, target, resolution, &downloaded)?);
        for (name, pin) in &resolution.pins {
            record_package(&mut packages, fill.source, resolution, name, pin).await?;
        }
    }
    let files = manifest_files(fill.plan, &downloaded);
    let known: BTreeMap<String, Sha256> = files
        .iter()
        .filter_map(|f| Some((f.filename.clone(), f.sha256?)))
        .collect();
    check_hash_pins(
        &fill.request.hashes,
        known
            .iter()
            .map(|(filename, sha256)| (filename.as_str(), sha256)),
    )?;
    write_sha256sums(fill.staging, &known).map_err(|source| WheelhouseError::Sha256Sums {
        path: sha256sums_path(fill.staging),
        source,
    })?;
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        tool: Tool {
            name: "chiron".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        inputs: manifest_inputs(client, fill, &files),
        targets,
        gaps,
        packages: packages.into_values().collect(),
        files,
    };
    // The lock's environments are the served targets: an installer on a
    // gapped one is told the lock is not for it.
    let served: Vec<Target> = served.iter().map(|(t, _)| (*t).clone()).collect();
    write_reports(fill, &manifest, &served)?;
    Ok((manifest, fetched))
}

/// Waits for every planned download (most were started while resolving),
/// reporting each as it lands. Returns the files by name and how many came
/// from the network rather than the cache.
async fn download_plan(
    downloads: &EarlyDownloads,
    plan: &DownloadPlan,
    progress: &dyn Progress,
) -> Result<(BTreeMap<String, Downloaded>, usize), WheelhouseError> {
    progress.downloads_planned(plan.len(), total_size(plan.values().map(|(f, _)| f)));
    let results = join_all(plan.values().map(|(file, _)| async move {
        let result = downloads.finish(file).await;
        if let Ok(done) = &result {
            progress.download_done(&file.filename, done.size);
        }
        result
    }))
    .instrument(tracing::info_span!("download", files = plan.len()))
    .await;
    let mut downloaded = BTreeMap::new();
    let mut fetched = 0;
    for (filename, result) in plan.keys().zip(results) {
        let done = result?;
        fetched += usize::from(done.fetched);
        downloaded.insert(filename.clone(), done);
    }
    Ok((downloaded, fetched))
}

/// The served targets (those with a resolution), in the order they were
/// declared.
fn served_targets<'a>(
    request: &'a WheelhouseRequest,
    resolutions: &'a [Resolution],
) -> Vec<(&'a Target, &'a Resolution)> {
    request
        .targets
        .iter()
        .filter_map(|t| {
            let name = t.name();
            resolutions
                .iter()
                .find(|r| r.target == name)
                .map(|r| (t, r))
        })
        .collect()
}

/// The lines of a target's hash-pinned requirements file: every pin with
/// the sha256 of its file and what requires it (`# via`).
pub(super) fn pinned_lines(
    resolution: &Resolution,
    target: &Target,
    direct: &[DirectRequirement],
    sha256_of: impl Fn(&str) -> Sha256,
) -> Vec<PinnedLine> {
    resolution
        .pins
        .values()
        .map(|pin| PinnedLine {
            name: pin.name.clone(),
            extras: pin.extras.iter().cloned().collect(),
            version: pin.version.clone(),
            hashes: vec![sha256_of(&pin.filename).to_string()],
            via: via(&pin.name, &pin.required_by, direct, target.markers()),
        })
        .collect()
}

/// Writes the hash-pinned requirements file of one served target and
/// returns its manifest entry.
fn write_requirements(
    fill: &Fill<'_>,
    target: &Target,
    resolution: &Resolution,
    downloaded: &BTreeMap<String, Downloaded>,
) -> Result<ManifestTarget, WheelhouseError> {
    let lines = pinned_lines(resolution, target, &fill.request.direct, |filename| {
        downloaded[filename].sha256
    });
    let file_name = requirements_file_name(target);
    let header = format!(
        "chiron wheelhouse: requirements for {} (CPython {} on {})\n\
         install offline: pip install --no-index --find-links . --require-hashes -r {file_name}",
        target.name(),
        target.python,
        target.platform
    );
    let path = fill.staging.join(&file_name);
    crate::atomic::write_file(
        &path,
        render_pinned(&header, &lines).as_bytes(),
        crate::atomic::Overwrite::Replace,
    )
    .map_err(io_error(&path))?;
    Ok(ManifestTarget {
        name: target.name(),
        python: target.python.to_string(),
        platform: target.platform.to_string(),
        requirements_file: file_name,
        platform_tags: target.platform_tags().to_vec(),
    })
}

/// The manifest's file list: every planned file with its hash, size and
/// the targets it serves.
fn manifest_files(
    plan: &DownloadPlan,
    downloaded: &BTreeMap<String, Downloaded>,
) -> Vec<ManifestFile> {
    plan.iter()
        .map(|(filename, (file, serves))| ManifestFile {
            filename: filename.clone(),
            sha256: Some(downloaded[filename].sha256),
            size: downloaded[filename].size,
            url: redact_url(&file.url),
            index: file.source.clone(),
            yanked: file.yanked.is_some(),
            targets: serves.iter().cloned().map(TargetScope::Target).collect(),
            upload_time: file.upload_time.clone(),
        })
        .collect()
}

/// What the wheelhouse was built from, as the manifest records it.
fn manifest_inputs(client: &IndexClient, fill: &Fill<'_>, files: &[ManifestFile]) -> Inputs {
    let settings = client.settings();
    let (requirements, constraints) = sorted_inputs(fill.request);
    Inputs {
        fingerprint: fill.fingerprint.to_string(),
        files: fill.input_files.to_vec(),
        requirements,
        constraints,
        indexes: settings.index_urls.iter().map(|u| redact_url(u)).collect(),
        // Only the find-links that supplied a file: an ambient
        // PIP_FIND_LINKS or pip.conf entry that served nothing is no
        // input of this wheelhouse (docs/robustness/net.md).
        find_links: settings
            .find_links
            .iter()
            .map(|u| redact_url(u))
            .filter(|link| files.iter().any(|f| &f.index == link))
            .collect(),
        allow_prereleases: fill.request.options.allow_prereleases,
        exclude_newer: fill.request.options.exclude_newer.clone(),
    }
}

/// Writes `pylock.toml` (for the served targets, files beside it), the
/// CycloneDX SBOM and, last, `manifest.json`: a staging folder without a
/// manifest is not a wheelhouse.
fn write_reports(
    fill: &Fill<'_>,
    manifest: &Manifest,
    served: &[Target],
) -> Result<(), WheelhouseError> {
    let lock = crate::lock::pylock::render_pylock(manifest, served, Some(""));
    let sbom = crate::sbom::cyclonedx(
        manifest,
        &crate::sbom::SbomOptions {
            spec: crate::sbom::SpecVersion::V1_6,
            project: fill.request.project.clone(),
            project_version: None,
            source_date_epoch: fill.request.source_date_epoch,
        },
    );
    for (name, text) in [
        ("pylock.toml", lock),
        ("sbom.cdx.json", sbom),
        ("manifest.json", manifest.to_json()),
    ] {
        let path = fill.staging.join(name);
        crate::atomic::write_file(&path, text.as_bytes(), crate::atomic::Overwrite::Replace)
            .map_err(io_error(&path))?;
    }
    Ok(())
}
