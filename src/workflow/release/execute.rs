//! `chiron release --execute`: the gate first (nothing is written when it
//! fails), then the version files and changelogs, the release commit and
//! the annotated tags, then each package's build (`--check` by default),
//! SBOMs, signatures and provenance in `OUTPUT/VERSION/`, the scan and
//! policy reports beside them, and the check that the built version is the
//! released one.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::types::{PackagePlan, ReleasePlan};
use crate::atomic::Overwrite;
use crate::error::{Result, ResultExt};
use crate::release::ReleaseError;
use crate::release::git::Repo;
use crate::sign::KeyPair;
use crate::wheelhouse::Progress;
use crate::workflow::Workspace;
use crate::workflow::build::{BuildOutput, BuildReport, BuildRequest};
use crate::workflow::gate::{Gate, SourceRequest, gate};
use crate::workflow::publish::{PublishProgress, PublishReport, PublishRequest};

/// How `--execute` builds and gates.
#[derive(Debug, Clone, Default)]
pub struct ExecuteRequest {
    /// The build of each package: its `project` and `outdir` are set per
    /// package; `check` is `--check` (default on, `--no-check` off).
    pub build: BuildRequest,
    /// Where the gate reads advisories.
    pub sources: SourceRequest,
    /// `--publish`: where to upload each package's sdist and wheels (the
    /// files are set per package).
    pub publish: Option<PublishRequest>,
}

/// One released package.
#[derive(Debug, Serialize)]
pub struct PackageResult {
    pub name: String,
    pub version: String,
    pub tag: String,
    pub outdir: PathBuf,
    pub build: BuildReport,
    /// The lock the gate checked; `None`: the package has no lock, and the
    /// gate checked nothing.
    pub gated_lock: Option<PathBuf>,
}

/// What `--execute` did.
#[derive(Debug, Serialize)]
pub struct ReleaseOutcome {
    /// The release commit, when files changed.
    pub commit: Option<String>,
    pub tags: Vec<String>,
    pub packages: Vec<PackageResult>,
    /// With `--publish`: each package's upload.
    pub published: Vec<PublishReport>,
}

/// Where a package's release goes: `OUTPUT/VERSION/`, or
/// `OUTPUT/NAME/VERSION/` in a monorepo.
pub fn release_dir(ws: &Workspace, package: &PackagePlan, version: &str) -> PathBuf {
    let release = &ws.config.config.release;
    let output = ws.config.resolve(&release.output);
    if release.packages.is_empty() {
        output.join(version)
    } else {
        output.join(&package.name).join(version)
    }
}

/// Carries out `plan`: refuses as the plan says, gates, writes, commits,
/// tags and builds.
pub async fn execute(
    ws: &Workspace<'_>,
    plan: &ReleasePlan,
    request: &ExecuteRequest,
    key: Option<&KeyPair>,
    progress: &dyn Progress,
    output: &dyn BuildOutput,
) -> Result<ReleaseOutcome> {
    if let Some(refusal) = plan.refusal() {
        return Err(refusal.into());
    }
    let releasing: Vec<&PackagePlan> = plan.releasing().collect();
    if let Some(publish) = &request.publish {
        crate::workflow::publish::preflight(ws, publish)?;
    }
    let mut gates = Vec::new();
    for package in &releasing {
        output.step(&format!(
            "gate: scanning and checking the policy of {}",
            package.name
        ));
        gates.push(gate_package(ws, package, &request.sources).await?);
    }
    let repo = Repo::discover(&plan.repository)?;
    let commit = write_and_commit(&repo, plan, &releasing)?;
    let target = match &commit {
        Some(id) => id.clone(),
        None => repo.head_commit()?.ok_or_else(|| ReleaseError::Unborn {
            repo: plan.repository.clone(),
            branch: plan.branch.clone().unwrap_or_default(),
        })?,
    };
    let mut tags = Vec::new();
    for package in &releasing {
        let (Some(tag), Some(version)) = (&package.tag, &package.next_version) else {
            continue;
        };
        let message = format!("{} {version}\n\n{}", package.name, package.changelog);
        repo.create_annotated_tag(tag, &target, message.trim_end())?;
        tags.push(tag.clone());
    }
    let mut packages = Vec::new();
    let undo = match &commit {
        Some(_) => format!(
            "`git tag -d {}` and `git reset --hard HEAD~1`",
            tags.join(" ")
        ),
        None => format!("`git tag -d {}`", tags.join(" ")),
    };
    for (package, gated) in releasing.iter().zip(gates) {
        let built = build_package(ws, package, gated, request, key, progress, output).await;
        packages.push(built.with_context(|| {
            format!(
                "the release of {} stopped after its tag {} was made (locally, not pushed); fix the cause and build the tag, or undo with {undo}",
                package.name,
                package.tag.as_deref().unwrap_or(""),
            )
        })?);
    }
    let mut published = Vec::new();
    if let Some(publish) = &request.publish {
        for package in &packages {
            let report = upload(ws, package, publish, output).await;
            published.push(report.with_context(|| {
                format!(
                    "the release of {} {} is tagged and built in {}, but not uploaded; run `chiron publish` on its files once the cause is fixed",
                    package.name,
                    package.version,
                    package.outdir.display()
                )
            })?);
        }
    }
    Ok(ReleaseOutcome {
        commit,
        tags,
        packages,
        published,
    })
}

/// Uploads the package's sdist and wheels.
async fn upload(
    ws: &Workspace<'_>,
    package: &PackageResult,
    publish: &PublishRequest,
    output: &dyn BuildOutput,
) -> Result<PublishReport> {
    let mut request = publish.clone();
    request.files = package.build.files.iter().map(|f| f.path.clone()).collect();
    output.step(&format!("uploading {} {}", package.name, package.version));
    Ok(crate::workflow::publish::publish(ws, &request, &Steps(output)).await?)
}

/// The build's reporter, for the upload's steps.
struct Steps<'a>(&'a dyn BuildOutput);

impl PublishProgress for Steps<'_> {
    fn step(&self, message: &str) {
        self.0.step(message);
    }
}

/// The package's lock scanned and checked against `[policy]`; an error
/// when the gate fails.
async fn gate_package(
    ws: &Workspace<'_>,
    package: &PackagePlan,
    sources: &SourceRequest,
) -> Result<Option<(PathBuf, Gate)>> {
    let lock = package.dir.join(crate::wheelhouse::lock::LOCK_FILE);
    if !lock.is_file() {
        return Ok(None);
    }
    let inventory =
        crate::inventory::load(&lock).map_err(crate::plan_error::PlanError::Inventory)?;
    let result = gate(ws, &inventory, sources, &ws.config.config.policy).await?;
    if !result.policy.passed {
        let summary = result
            .policy
            .findings
            .iter()
            .filter(|f| f.level == crate::policy::Level::Violation)
            .map(|f| match &f.package {
                Some(package) => format!("{package}: {} ({})", f.reason, f.rule),
                None => format!("{} ({})", f.reason, f.rule),
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ReleaseError::Gate {
            package: package.name.clone(),
            summary,
        }
        .into());
    }
    Ok(Some((lock, result)))
}

/// Writes every changed file, then makes the release commit of them.
fn write_and_commit(
    repo: &Repo,
    plan: &ReleasePlan,
    releasing: &[&PackagePlan],
) -> Result<Option<String>> {
    let mut paths = Vec::new();
    for change in releasing.iter().flat_map(|p| &p.files) {
        let path = plan.repository.join(&change.path);
        crate::atomic::write_file(&path, change.content.as_bytes(), Overwrite::Replace).map_err(
            |e| ReleaseError::Write {
                path: path.clone(),
                message: e.to_string(),
            },
        )?;
        paths.push(path);
    }
    match (&plan.commit_message, paths.is_empty()) {
        (Some(message), false) => Ok(Some(repo.commit_paths(&paths, message)?)),
        _ => Ok(None),
    }
}

/// Builds one package into its release folder, checks the built version
/// and writes the gate's reports beside the distributions.
async fn build_package(
    ws: &Workspace<'_>,
    package: &PackagePlan,
    gated: Option<(PathBuf, Gate)>,
    request: &ExecuteRequest,
    key: Option<&KeyPair>,
    progress: &dyn Progress,
    output: &dyn BuildOutput,
) -> Result<PackageResult> {
    let version = package.next_version.clone().unwrap_or_default();
    let outdir = release_dir(ws, package, &version);
    let mut build = request.build.clone();
    build.project = Some(package.dir.clone());
    build.outdir = Some(outdir.clone());
    output.step(&format!(
        "building {} {version} into {}",
        package.name,
        outdir.display()
    ));
    let report = crate::workflow::build::build(ws, &build, key, progress, output).await?;
    if !report.reproducible() {
        return Err(ReleaseError::NotReproducible {
            package: package.name.clone(),
        }
        .into());
    }
    check_built_version(&report, &version)?;
    let gated_lock = match gated {
        Some((lock, gate)) => {
            write_reports(&outdir, &gate)?;
            Some(lock)
        }
        None => None,
    };
    Ok(PackageResult {
        name: package.name.clone(),
        tag: package.tag.clone().unwrap_or_default(),
        version,
        outdir,
        build: report,
        gated_lock,
    })
}

/// `found` (what the backend says) must be `expected` (the release).
fn check_version(found: &str, expected: &str, file: &str) -> Result<()> {
    use std::str::FromStr;
    let same = match (
        pep440_rs::Version::from_str(found),
        pep440_rs::Version::from_str(expected),
    ) {
        (Ok(built), Ok(wanted)) => built == wanted,
        _ => found == expected,
    };
    if same {
        return Ok(());
    }
    Err(ReleaseError::BuiltVersion {
        file: file.to_string(),
        found: found.to_string(),
        expected: expected.to_string(),
    }
    .into())
}

/// The built metadata's version must be the release's (setuptools-scm and
/// hatch-vcs read it from the tag; a static version from the files
/// written).
fn check_built_version(report: &BuildReport, expected: &str) -> Result<()> {
    let file = report
        .files
        .first()
        .and_then(|f| f.path.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| report.source.name.clone());
    check_version(&report.source.version, expected, &file)
}

fn write_reports(outdir: &Path, gate: &Gate) -> Result<()> {
    let reports = [
        ("scan.json", gate.scan_json()?),
        ("policy.json", serde_json::to_value(&gate.policy)?),
    ];
    for (name, value) in reports {
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        let path = outdir.join(name);
        crate::atomic::write_file(&path, text.as_bytes(), Overwrite::Replace).map_err(|e| {
            ReleaseError::Write {
                path: path.clone(),
                message: e.to_string(),
            }
        })?;
    }
    Ok(())
}
