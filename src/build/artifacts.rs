//! What a build leaves in `dist/` beside the wheels and the sdist, for a
//! release to publish and `chiron verify dist/` to check:
//!
//! | file | what |
//! | --- | --- |
//! | `WHEEL.cdx.json` | the CycloneDX 1.6 SBOM of each wheel ([`sbom`]): its runtime dependencies from the project's lock, the build environment apart in `formulation`, the wheel's sha256 on the root component |
//! | `DIST.sig` | with a key: each wheel's and sdist's cosign blob signature (`cosign verify-blob --key cosign.pub --signature DIST.sig DIST`) |
//! | `provenance.intoto.json` | an in-toto Statement v1 with an SLSA Provenance v1 predicate in a DSSE envelope (signed with the key): the distributions as subjects, the build lock's files and the source commit as resolved dependencies |
//! | `SHA256SUMS` | every distribution, SBOM and the provenance |
//! | `SHA256SUMS.sig` | with a key: its cosign blob signature |
//!
//! With `pep770`, the SBOM also goes inside each wheel at
//! `.dist-info/sboms/chiron.cdx.json` ([`pep770`]), first: the wheel's
//! sha256 changes, and everything after names the final bytes. Times come
//! from `SourceInfo::epoch`, lists are sorted: the same build gives the
//! same files. This module does not build anything and does not remove
//! files it did not write (but the signatures a keyless run would leave
//! stale).

pub mod pep770;
pub mod sbom;

use std::path::{Path, PathBuf};

use serde_json::json;

use super::types::{BuildDependency, BuiltFile, DistKind, SourceInfo};
use crate::bundle::{PROVENANCE, SUMS, SUMS_SIG};
use crate::digest::Sha256;
use crate::manifest::Manifest;
use crate::sign::{KeyPair, SignError};

/// The provenance's `buildType`: a URI under `chiron.invalid` until the
/// project has a home, as the bundle's.
pub const BUILD_TYPE: &str = "https://chiron.invalid/build/v1";

/// What to write the artifacts of.
pub struct ArtifactRequest<'a> {
    /// The output folder, which holds the built files.
    pub dist: &'a Path,
    pub built: &'a [BuiltFile],
    pub source: &'a SourceInfo,
    /// What the isolated build environment was installed from.
    pub build_dependencies: &'a [BuildDependency],
    /// The project's lock (`pylock.toml`, or `uv.lock`): the wheels'
    /// runtime dependencies.
    pub runtime_lock: Option<&'a Path>,
    pub key: Option<&'a KeyPair>,
    /// Put the SBOM inside each wheel too (PEP 770).
    pub pep770: bool,
    /// The command line of the build, for the provenance.
    pub command: &'a [String],
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Artifacts {
    /// The distributions as they are now, by file name: a wheel the SBOM
    /// was put into has its new sha256 and size.
    pub built: Vec<BuiltFile>,
    /// Every file written beside them, sorted.
    pub written: Vec<PathBuf>,
    pub signed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{}: not in the output folder {}", path.display(), dist.display())]
    NotInDist { path: PathBuf, dist: PathBuf },
    #[error("{}: not a wheel or sdist file name ({kind:?} expected)", path.display())]
    NotADistribution { path: PathBuf, kind: DistKind },
    #[error("{} is named twice among the built files", path.display())]
    Duplicate { path: PathBuf },
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: sha256 is {actual}, the build recorded {expected}", path.display())]
    Changed {
        path: PathBuf,
        expected: Sha256,
        actual: Sha256,
    },
    #[error("{}: {message}", path.display())]
    Wheel { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Lock {
        path: PathBuf,
        message: String,
        hint: String,
    },
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

impl crate::error::Diagnose for ArtifactError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        match self {
            ArtifactError::Sign(e) => e.exit_class(),
            ArtifactError::Changed { .. } | ArtifactError::Wheel { .. } => ExitClass::Problems,
            _ => ExitClass::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            ArtifactError::NotInDist { .. } | ArtifactError::Duplicate { .. } => {
                "pass the files the build wrote into the output folder, once each".into()
            }
            ArtifactError::NotADistribution { .. } => {
                "a wheel is NAME-VERSION-TAGS.whl (PEP 427), an sdist NAME-VERSION.tar.gz (PEP 625)"
                    .into()
            }
            ArtifactError::Unreadable { .. } | ArtifactError::Changed { .. } => {
                "something changed the output folder during the build: build again".into()
            }
            ArtifactError::Wheel { .. } => {
                "the build backend wrote a wheel that cannot be read; check it with `python -m zipfile -l`"
                    .into()
            }
            ArtifactError::Lock { hint, .. } => hint.clone(),
            ArtifactError::Sign(e) => return crate::error::Diagnose::hint(e),
            ArtifactError::Write { .. } => "check the output folder's permissions and free space".into(),
        })
    }
}

/// A distribution in the output folder: its file name and the file.
struct Dist {
    name: String,
    file: BuiltFile,
}

impl Dist {
    fn path(&self, dist: &Path) -> PathBuf {
        dist.join(&self.name)
    }
}

/// Writes the artifacts of `request.built` into `request.dist`.
pub fn write_artifacts(request: &ArtifactRequest) -> Result<Artifacts, ArtifactError> {
    let mut built = checked_distributions(request)?;
    let lock = request.runtime_lock.map(read_lock).transpose()?;
    let mut written = Vec::new();
    for wheel in built.iter_mut().filter(|d| d.file.kind == DistKind::Wheel) {
        written.push(write_wheel_sbom(request, lock.as_ref(), wheel)?);
    }
    written.extend(write_signatures(request, &built)?);
    written.push(write_provenance(request, &built)?);
    written.extend(write_sums(request, &built, &written)?);
    written.sort();
    Ok(Artifacts {
        built: built.into_iter().map(|d| d.file).collect(),
        written,
        signed: request.key.is_some(),
    })
}

/// The built files, sorted by name, each in the output folder with the
/// name its kind has and the bytes the build recorded.
fn checked_distributions(request: &ArtifactRequest) -> Result<Vec<Dist>, ArtifactError> {
    let mut built = Vec::new();
    for file in request.built {
        let name = distribution_name(request.dist, file)?;
        let path = request.dist.join(&name);
        let (actual, size) =
            crate::digest::digest_file(&path).map_err(|e| ArtifactError::Unreadable {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if actual != file.sha256 {
            return Err(ArtifactError::Changed {
                path,
                expected: file.sha256,
                actual,
            });
        }
        let mut file = file.clone();
        (file.path, file.size) = (path, size);
        built.push(Dist { name, file });
    }
    built.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(twice) = built.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(ArtifactError::Duplicate {
            path: twice[0].file.path.clone(),
        });
    }
    Ok(built)
}

/// The file name of a built file, which must be in `dist` (given by its
/// name or a path there) and be named as its kind is.
fn distribution_name(dist: &Path, file: &BuiltFile) -> Result<String, ArtifactError> {
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = file.path.parent().filter(|p| !p.as_os_str().is_empty());
    if parent.is_some_and(|p| !same_folder(p, dist)) {
        return Err(ArtifactError::NotInDist {
            path: file.path.clone(),
            dist: dist.to_path_buf(),
        });
    }
    let parsed = crate::python::filename::DistFilename::parse(&name, None);
    let fits = matches!(
        (&parsed, file.kind),
        (
            Some(crate::python::filename::DistFilename::Wheel(_)),
            DistKind::Wheel
        ) | (
            Some(crate::python::filename::DistFilename::Sdist(_)),
            DistKind::Sdist
        )
    );
    if !fits {
        return Err(ArtifactError::NotADistribution {
            path: file.path.clone(),
            kind: file.kind,
        });
    }
    Ok(name)
}

/// Whether two spellings name one folder (`dist` and `./dist`, a link).
fn same_folder(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// The project's lock in the manifest's shape.
fn read_lock(path: &Path) -> Result<Manifest, ArtifactError> {
    crate::inventory::load(path)
        .map(|inventory| inventory.manifest)
        .map_err(|e| ArtifactError::Lock {
            path: path.to_path_buf(),
            message: e.message,
            hint: e.hint,
        })
}

/// Writes `bytes` to `dist/name` atomically; its path.
fn write(dist: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, ArtifactError> {
    let path = dist.join(name);
    crate::atomic::write_file(&path, bytes, crate::atomic::Overwrite::Replace).map_err(|e| {
        ArtifactError::Write {
            path: path.clone(),
            message: e.to_string(),
        }
    })?;
    Ok(path)
}

/// Removes `dist/name` if it is there: a signature this run does not
/// write would otherwise vouch for other bytes.
fn remove_stale(dist: &Path, name: &str) -> Result<(), ArtifactError> {
    let path = dist.join(name);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ArtifactError::Write {
            path,
            message: e.to_string(),
        }),
        _ => Ok(()),
    }
}

/// The wheel's SBOM: put inside the wheel first when asked (the wheel's
/// sha256 and size are then the new ones), then beside it with the final
/// sha256.
fn write_wheel_sbom(
    request: &ArtifactRequest,
    lock: Option<&Manifest>,
    wheel: &mut Dist,
) -> Result<PathBuf, ArtifactError> {
    let path = wheel.path(request.dist);
    let wheel_error = |message: String| ArtifactError::Wheel {
        path: path.clone(),
        message,
    };
    let metadata = crate::resolve::source::read_wheel_metadata(&path, &wheel.name)
        .map_err(|e| wheel_error(e.to_string()))?;
    let sbom = sbom::WheelSbom {
        filename: &wheel.name,
        metadata: &metadata,
        lock,
        build: request.build_dependencies,
        epoch: request.source.epoch,
    };
    if request.pep770 {
        pep770::inject(&path, sbom.text(None).as_bytes()).map_err(wheel_error)?;
        let (sha256, size) =
            crate::digest::digest_file(&path).map_err(|e| wheel_error(e.to_string()))?;
        (wheel.file.sha256, wheel.file.size) = (sha256, size);
    }
    let text = sbom.text(Some(&wheel.file.sha256));
    write(
        request.dist,
        &format!("{}.cdx.json", wheel.name),
        text.as_bytes(),
    )
}

/// `DIST.sig` for each distribution with the key; without one, removes
/// those an earlier run left.
fn write_signatures(
    request: &ArtifactRequest,
    built: &[Dist],
) -> Result<Vec<PathBuf>, ArtifactError> {
    let mut written = Vec::new();
    for dist in built {
        let name = format!("{}.sig", dist.name);
        match request.key {
            Some(key) => {
                let signature = key.sign_blob_digest(dist.file.sha256.as_bytes())?;
                written.push(write(
                    request.dist,
                    &name,
                    format!("{signature}\n").as_bytes(),
                )?);
            }
            None => remove_stale(request.dist, &name)?,
        }
    }
    Ok(written)
}

/// `provenance.intoto.json`: the distributions as subjects, in a DSSE
/// envelope signed with the key when there is one.
fn write_provenance(request: &ArtifactRequest, built: &[Dist]) -> Result<PathBuf, ArtifactError> {
    let digests: Vec<(&str, String)> = built
        .iter()
        .map(|d| (d.name.as_str(), d.file.sha256.to_string()))
        .collect();
    let statement = crate::bundle::slsa_statement(
        digests
            .iter()
            .map(|(name, sha256)| (*name, sha256.as_str())),
        build_definition(request),
        env!("CARGO_PKG_VERSION"),
        request.source.epoch,
    );
    let text = crate::bundle::provenance_envelope(&statement, request.key)?;
    write(request.dist, PROVENANCE, text.as_bytes())
}

/// The SLSA build definition: the command and the source as external
/// parameters, the epoch and PEP 770 as internal ones, the source commit
/// and every file of the build lock as resolved dependencies.
fn build_definition(request: &ArtifactRequest) -> serde_json::Value {
    let source = request.source;
    let mut dependencies: Vec<serde_json::Value> = source_dependency(source).into_iter().collect();
    let mut build: Vec<&BuildDependency> = request.build_dependencies.iter().collect();
    build.sort_by(|a, b| a.filename.cmp(&b.filename));
    dependencies.extend(build.into_iter().map(|d| {
        let mut descriptor = json!({ "name": d.filename, "digest": { "sha256": d.sha256 } });
        if !d.url.is_empty() {
            descriptor["uri"] = json!(crate::index::redact_url(&d.url));
        }
        descriptor
    }));
    json!({
        "buildType": BUILD_TYPE,
        "externalParameters": {
            "command": request.command,
            "source": {
                "name": source.name,
                "version": source.version,
                "repository": source.repository.as_deref().map(crate::index::redact_url),
                "commit": source.commit,
                "dirty": source.dirty,
            },
        },
        "internalParameters": {
            "sourceDateEpoch": source.epoch,
            "pep770": request.pep770,
        },
        "resolvedDependencies": dependencies,
    })
}

/// The source checkout as SLSA names one: `git+REPOSITORY` and its
/// commit; none when the project is not a checkout.
fn source_dependency(source: &SourceInfo) -> Option<serde_json::Value> {
    let commit = source.commit.as_ref()?;
    let mut descriptor = json!({ "name": "source", "digest": { "gitCommit": commit } });
    if let Some(repository) = &source.repository {
        descriptor["uri"] = json!(format!("git+{}", crate::index::redact_url(repository)));
    }
    Some(descriptor)
}

/// `SHA256SUMS` of the distributions and every file written so far, and
/// with the key its signature (else a stale one is removed).
fn write_sums(
    request: &ArtifactRequest,
    built: &[Dist],
    written: &[PathBuf],
) -> Result<Vec<PathBuf>, ArtifactError> {
    let mut listed: Vec<(String, String)> = built
        .iter()
        .map(|d| (d.name.clone(), d.file.sha256.to_string()))
        .collect();
    for path in written
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".sig"))
    {
        let (sha256, _) =
            crate::digest::hash_file(path).map_err(|e| ArtifactError::Unreadable {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        listed.push((name.unwrap_or_default(), sha256));
    }
    listed.sort();
    let sums = crate::bundle::sums_lines(listed.iter().map(|(n, h)| (n.as_str(), h.as_str())));
    let mut out = vec![write(request.dist, SUMS, sums.as_bytes())?];
    match request.key {
        Some(key) => {
            let signature = key.sign_blob(sums.as_bytes())?;
            out.push(write(
                request.dist,
                SUMS_SIG,
                format!("{signature}\n").as_bytes(),
            )?);
        }
        None => remove_stale(request.dist, SUMS_SIG)?,
    }
    Ok(out)
}
