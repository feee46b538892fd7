//! Bundles across the air gap: packing a wheelhouse that verifies into a
//! signed, reproducible bundle; opening and verifying one; installing it
//! with pip offline; pushing it to and pulling it from an OCI registry or
//! image layout.

use std::path::{Component, Path, PathBuf};
use std::process::ExitStatus;

use tracing::Instrument;

use super::{PlanError, Workspace};
use crate::atomic::OutputLock;
use crate::bundle::verify::VerifyReport;
use crate::bundle::{BundleReport, PROVENANCE};
use crate::error::{Result, ResultExt};
use crate::sign::{KeyPair, PublicKey};

/// A wheelhouse about to be packed: locked against a concurrent `chiron
/// wheelhouse`, cleaned of what killed runs left, and verified.
pub struct ReadyWheelhouse {
    pub dir: PathBuf,
    /// What killed writers left inside and was removed.
    pub removed: Vec<String>,
    /// The wheelhouse's own verification; packing refuses a failed one.
    pub check: VerifyReport,
    // Held until the bundle is written. `None` where the lock cannot be
    // made (a read-only place): the wheelhouse is packed as it is.
    _lock: Option<OutputLock>,
}

/// Locks, cleans and verifies `dir` before it is packed.
pub fn prepare_wheelhouse(dir: &Path) -> ReadyWheelhouse {
    let lock = OutputLock::acquire(dir).ok();
    let mut removed = Vec::new();
    if lock.is_some() && dir.is_dir() {
        // What a killed writer of an older chiron left inside is not part
        // of the wheelhouse: removed, not a reason to refuse it.
        removed = crate::atomic::remove_temp_files_in(dir).unwrap_or_default();
    }
    ReadyWheelhouse {
        dir: dir.to_path_buf(),
        removed,
        check: crate::bundle::verify::verify_dir(dir, false, None),
        _lock: lock,
    }
}

/// Refuses a bundle path that is the wheelhouse, inside it, or a folder
/// holding it, however spelled (`./wh`, `wh/`, a symbolic link): the
/// bundle would replace or join the files it packs, and a bundle named as
/// its wheelhouse would wait for the wheelhouse's own lock forever.
pub fn check_bundle_path(wheelhouse: &Path, bundle: &Path) -> Result<(), PlanError> {
    let (dir, out) = (resolved(wheelhouse), resolved(bundle));
    let relation = if out == dir {
        "is the wheelhouse"
    } else if out.starts_with(&dir) {
        "is inside the wheelhouse"
    } else if dir.starts_with(&out) {
        "is a folder that holds the wheelhouse"
    } else {
        return Ok(());
    };
    Err(PlanError::BundleOverWheelhouse {
        bundle: bundle.to_path_buf(),
        wheelhouse: wheelhouse.to_path_buf(),
        relation,
    })
}

/// `path` absolute, with symbolic links resolved as far as it exists and
/// `.` and `..` folded in the rest.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for existing in absolute.ancestors() {
        let Ok(mut out) = std::fs::canonicalize(existing) else {
            continue;
        };
        let rest = absolute.strip_prefix(existing).unwrap_or(Path::new(""));
        for part in rest.components() {
            match part {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(name) => out.push(name),
                _ => {}
            }
        }
        return out;
    }
    absolute
}

/// The entry time of a bundle: `SOURCE_DATE_EPOCH`, else a fixed one.
fn bundle_epoch(ws: &Workspace) -> Result<u64, PlanError> {
    match ws.source_date_epoch()? {
        Some(epoch) => u64::try_from(epoch).map_err(|_| PlanError::EpochBefore1970),
        None => Ok(crate::bundle::DEFAULT_EPOCH),
    }
}

/// Packs a verified wheelhouse into `out`, signed with `key` when given.
pub fn pack(
    ws: &Workspace,
    wheelhouse: ReadyWheelhouse,
    out: &Path,
    key: Option<&KeyPair>,
    build_wheelhouse: Option<&Path>,
) -> Result<BundleReport> {
    check_bundle_path(&wheelhouse.dir, out)?;
    if !wheelhouse.check.passed() {
        return Err(PlanError::WheelhouseDoesNotVerify {
            dir: wheelhouse.dir.clone(),
            problems: wheelhouse.check.problems.len(),
        }
        .into());
    }
    let epoch = bundle_epoch(ws)?;
    // One build at a time per bundle; then what killed builds left there
    // (`.chiron-tmp-NAME.XXXXXX`) goes.
    let _bundle_lock =
        OutputLock::acquire(out).with_context(|| format!("cannot lock {}", out.display()))?;
    crate::atomic::recover_and_clean(out).with_context(|| {
        format!(
            "cannot remove the leftovers of killed builds next to {}",
            out.display()
        )
    })?;
    let _span =
        tracing::info_span!("airgap.build", wheelhouse = %wheelhouse.dir.display()).entered();
    Ok(crate::bundle::build(
        &wheelhouse.dir,
        out,
        &crate::bundle::BuildOptions {
            key,
            epoch,
            command: "chiron airgap build".into(),
            build_wheelhouse,
        },
    )?)
}

/// A bundle unpacked into a temporary folder and verified; the folder
/// lives as long as this value.
pub struct OpenedBundle {
    _scratch: tempfile::TempDir,
    pub dir: PathBuf,
    pub report: VerifyReport,
}

/// Unpacks `bundle` (refusing more than `max_size` bytes) and verifies it,
/// against `key` when given.
pub fn open_bundle(
    bundle: &Path,
    key: Option<&PublicKey>,
    max_size: Option<u64>,
) -> Result<OpenedBundle> {
    let scratch = tempfile::Builder::new()
        .prefix("chiron-verify-")
        .tempdir()
        .context("cannot make a temporary folder")?;
    let dir = scratch.path().join("bundle");
    crate::bundle::archive::unpack(bundle, &dir, max_size)?;
    let report = crate::bundle::verify::verify_dir(&dir, true, key);
    Ok(OpenedBundle {
        _scratch: scratch,
        dir,
        report,
    })
}

/// Whether a folder is an unpacked bundle rather than a wheelhouse.
pub fn is_bundle_dir(dir: &Path) -> bool {
    dir.join(PROVENANCE).is_file() || dir.join("wheels").is_dir()
}

/// The interpreter to install with: the venv's (made with `python`, else
/// `python3`, when it does not exist), else `python`.
pub fn installer_python(cwd: &Path, python: Option<&Path>, venv: Option<&Path>) -> Result<PathBuf> {
    let base = python.map(|p| {
        if p.components().count() > 1 {
            cwd.join(p)
        } else {
            // A bare name (`python3`) is looked up on PATH.
            p.to_path_buf()
        }
    });
    let Some(venv) = venv else {
        return Ok(base.ok_or_else(|| std::io::Error::other("no interpreter given"))?);
    };
    let venv = cwd.join(venv);
    let bin = venv.join(if cfg!(windows) {
        "Scripts/python.exe"
    } else {
        "bin/python"
    });
    if !bin.exists() {
        let maker = base.unwrap_or_else(|| PathBuf::from("python3"));
        let status = std::process::Command::new(&maker)
            .args(["-m", "venv"])
            .arg(&venv)
            .stdout(std::io::stderr())
            .status()
            .with_context(|| format!("cannot run {}", maker.display()))?;
        if !status.success() {
            return Err(PlanError::Venv {
                python: maker,
                venv,
            }
            .into());
        }
    }
    Ok(bin)
}

/// The requirements file of the bundle to install: the named target's,
/// else the one the bundle's `select_target.py` picks for `python`.
pub fn requirements_for(
    opened: &OpenedBundle,
    python: &Path,
    target: Option<&str>,
) -> Result<String> {
    let dir = &opened.dir;
    let requirements = match target {
        Some(target) => format!("requirements-{target}.txt"),
        None => {
            let output = std::process::Command::new(python)
                .arg(dir.join("select_target.py"))
                .output()
                .with_context(|| format!("cannot run {}", python.display()))?;
            if !output.status.success() {
                return Err(PlanError::NoTargetFor {
                    message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
                }
                .into());
            }
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        }
    };
    if dir.join(&requirements).is_file() {
        return Ok(requirements);
    }
    let gap = target.and_then(|name| {
        crate::wheelhouse::build::read_manifest(dir)?
            .gaps
            .into_iter()
            .find(|g| g.name == name)
    });
    Err(match gap {
        Some(gap) => PlanError::TargetIsGap { gap: Box::new(gap) },
        None => PlanError::NoRequirementsFile { requirements },
    }
    .into())
}

/// Installs `requirements` of the opened bundle with `python -m pip`,
/// offline and hash-checked. pip's output, stdout too, goes to this
/// process's stderr: stdout carries chiron's result (one JSON document
/// with `--json`).
pub fn pip_install(opened: &OpenedBundle, python: &Path, requirements: &str) -> Result<ExitStatus> {
    std::process::Command::new(python)
        .args(["-m", "pip", "install", "--no-index", "--find-links"])
        .arg(opened.dir.join("wheels"))
        .arg("--require-hashes")
        .arg("-r")
        .arg(opened.dir.join(requirements))
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {} -m pip", python.display()))
}

/// Where a bundle goes or comes from: a registry reference, or an OCI
/// image layout folder and tag.
#[derive(Debug, Clone)]
pub enum OciPlace {
    Registry { reference: String, plain_http: bool },
    Layout { dir: PathBuf, tag: String },
}

/// A registry client for the reference `text`, with the index's CA bundle
/// and the Docker credentials of the environment; and the registry's
/// host, for the span of the transfer.
fn registry(
    ws: &Workspace,
    text: &str,
    plain_http: bool,
) -> Result<(crate::oci::Registry, String)> {
    let reference = crate::oci::Reference::parse(text)?;
    let host = reference.registry.clone();
    let client = super::gate::advisory_client(ws)?;
    let docker_config = ws.env.get("DOCKER_CONFIG").map(PathBuf::from);
    let home = ws.env.get("HOME").map(PathBuf::from);
    let credentials = crate::oci::docker_credentials(
        &reference.registry,
        docker_config.as_deref(),
        home.as_deref(),
    );
    let registry = crate::oci::Registry::new(client, reference, plain_http, credentials);
    Ok((registry, host))
}

/// A bundle pushed: where, its manifest digest, and its layers' titles.
pub struct Pushed {
    pub place: String,
    pub digest: String,
    pub layers: Vec<String>,
}

/// Transfer progress: what, bytes done, bytes in all when known.
pub type TransferProgress<'a> = &'a (dyn Fn(&str, u64, Option<u64>) + Sync);

/// Pushes `bundle` (with its SBOM and signature) to `place`.
pub async fn push(
    ws: &Workspace<'_>,
    bundle: &Path,
    place: &OciPlace,
    progress: TransferProgress<'_>,
) -> Result<Pushed> {
    let bundle = ws.path(bundle);
    let sbom =
        crate::bundle::archive::read_entry(&bundle, "sbom.cdx.json", 256 << 20).map_err(|e| {
            PlanError::NotABundle {
                bundle: bundle.clone(),
                message: e.to_string(),
            }
        })?;
    let created = ws.source_date_epoch()?.map(crate::time::rfc3339);
    let artifact = crate::oci::Artifact::from_bundle(&bundle, sbom, created)?;
    let (place, digest) = match place {
        OciPlace::Layout { dir, tag } => {
            let dir = ws.path(dir);
            let digest = artifact.write_layout(&dir, tag)?;
            (format!("{}:{tag}", dir.display()), digest)
        }
        OciPlace::Registry {
            reference: text,
            plain_http,
        } => {
            let (mut registry, host) = registry(ws, text, *plain_http)?;
            let digest = registry
                .push(&artifact, progress)
                .instrument(tracing::info_span!("airgap.push", registry = %host))
                .await?;
            (text.clone(), digest)
        }
    };
    Ok(Pushed {
        place,
        digest,
        layers: artifact.layers.iter().map(|l| l.title.clone()).collect(),
    })
}

/// Pulls the bundle at `place` into `out`; returns the files' titles.
pub async fn pull(
    ws: &Workspace<'_>,
    place: &OciPlace,
    out: &Path,
    progress: TransferProgress<'_>,
) -> Result<Vec<String>> {
    let out = ws.path(out);
    Ok(match place {
        OciPlace::Layout { dir, tag } => crate::oci::read_layout_to(&ws.path(dir), tag, &out)?,
        OciPlace::Registry {
            reference: text,
            plain_http,
        } => {
            let (mut registry, host) = registry(ws, text, *plain_http)?;
            registry
                .pull_to(&out, progress)
                .instrument(tracing::info_span!("airgap.pull", registry = %host))
                .await?
        }
    })
}
