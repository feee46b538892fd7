//! Filling and describing a folder of wheels.
//!
//! `download_exact` takes named requirements (no dependencies: the resolver
//! comes later), picks each one's best wheel for every target, and only
//! when every pick succeeded downloads the distinct files, once each, then
//! writes `SHA256SUMS`. `list_packages` describes a folder against targets.

pub mod add;
pub mod build;
pub mod error;
pub mod lock;
pub mod stage;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use futures_util::future::join_all;
use pep440_rs::VersionSpecifiers;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use serde::Serialize;
use tracing::Instrument;

use crate::digest::{Sha256, digest_file};
use crate::index::client::{IndexClient, IndexError};
use crate::index::select::{NoWheel, select_wheel};
use crate::index::simple::IndexFile;
use crate::python::NormalizedName;
use crate::python::filename::DistFilename;
use crate::python::target::Target;
use crate::redact::redact_url;

/// Receives progress of long work; the CLI draws it, tests ignore it.
pub trait Progress: Send + Sync {
    /// `targets` resolutions start.
    fn resolutions_planned(&self, _targets: usize) {}
    fn resolution_done(&self, _target: &str) {}
    /// `files` will be fetched, `bytes` in all (0 when the index gives no sizes).
    fn downloads_planned(&self, _files: usize, _bytes: u64) {}
    fn download_done(&self, _filename: &str, _bytes: u64) {}
}

/// The total size of `files` when the index gave every size, else 0.
pub fn total_size<'a>(files: impl Iterator<Item = &'a IndexFile>) -> u64 {
    let mut total = 0;
    for file in files {
        match file.size {
            Some(size) => total += size,
            None => return 0,
        }
    }
    total
}

/// Progress that goes nowhere.
pub struct Quiet;

impl Progress for Quiet {}

/// What to download.
#[derive(Debug, Clone)]
pub struct ExactDownload {
    pub requirements: Vec<Requirement>,
    /// Extra version limits by package (pip's `-c`).
    pub constraints: Vec<Requirement>,
    pub targets: Vec<Target>,
    pub dest: PathBuf,
    pub allow_prereleases: bool,
    pub allow_unhashed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadedFile {
    pub filename: String,
    pub name: String,
    pub version: String,
    pub sha256: Sha256,
    pub size: u64,
    /// Where it came from, credentials removed.
    pub url: String,
    pub index: String,
    /// Target names this file serves.
    pub targets: Vec<String>,
    /// False when it was already in the folder or the cache.
    pub fetched: bool,
}

/// A requirement whose markers exclude a target: nothing to download there.
#[derive(Debug, Clone, Serialize)]
pub struct NotNeeded {
    pub package: String,
    pub target: String,
    pub marker: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadReport {
    pub files: Vec<DownloadedFile>,
    pub not_needed: Vec<NotNeeded>,
    pub sha256sums: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("{}", describe_missing(.0))]
    NoWheels(Vec<NoWheel>),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn describe_missing(missing: &[NoWheel]) -> String {
    let mut lines = vec![format!(
        "{} package/target pair(s) have no wheel; nothing was downloaded:",
        missing.len()
    )];
    for m in missing {
        lines.push(format!("  - {m}"));
        if let Some(fix) = &m.fix {
            lines.push(format!("    fix: {fix}"));
        }
    }
    lines.join("\n")
}

impl DownloadError {
    pub fn hint(&self) -> Option<String> {
        match self {
            DownloadError::NoWheels(missing) => missing.first().map(NoWheel::hint),
            DownloadError::Index(error) => error.hint(),
            DownloadError::Write { .. } => {
                Some("check the destination folder's permissions and free space".into())
            }
        }
    }
}

impl crate::diagnose::Diagnose for DownloadError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

fn specifiers(requirement: &Requirement) -> VersionSpecifiers {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.clone(),
        _ => VersionSpecifiers::empty(),
    }
}

/// Downloads the best wheel of every requirement for every target.
pub async fn download_exact(
    client: &IndexClient,
    request: &ExactDownload,
    progress: &dyn Progress,
) -> Result<DownloadReport, DownloadError> {
    let files_by_name = list_needed(client, request).await?;
    // Decide everything before writing anything.
    let (picks, not_needed) = pick_wheels(request, &files_by_name)?;
    std::fs::create_dir_all(&request.dest).map_err(|source| DownloadError::Write {
        path: request.dest.clone(),
        source,
    })?;
    let files = fetch_picks(client, request, &picks, progress).await?;
    let known: BTreeMap<String, Sha256> = files
        .iter()
        .map(|f| (f.filename.clone(), f.sha256))
        .collect();
    let sha256sums =
        write_sha256sums(&request.dest, &known).map_err(|source| DownloadError::Write {
            path: sha256sums_path(&request.dest),
            source,
        })?;
    Ok(DownloadReport {
        files,
        not_needed,
        sha256sums,
    })
}

/// The chosen files by URL, each with the targets it serves.
type Picks = BTreeMap<String, (IndexFile, BTreeSet<String>)>;

/// The index's files of every package some target needs. Only those are
/// looked up: `pywin32; sys_platform == 'win32'` costs nothing for
/// Linux-only targets.
async fn list_needed(
    client: &IndexClient,
    request: &ExactDownload,
) -> Result<BTreeMap<PackageName, Vec<IndexFile>>, DownloadError> {
    let names: BTreeSet<PackageName> = request
        .requirements
        .iter()
        .filter(|r| {
            request
                .targets
                .iter()
                .any(|t| r.marker.evaluate(t.markers(), &[]))
        })
        .map(|r| r.name.clone())
        .collect();
    let listings = join_all(names.iter().map(|name| client.project_files(name)))
        .instrument(tracing::info_span!("download.list", packages = names.len()))
        .await;
    let mut files_by_name = BTreeMap::new();
    for (name, listing) in names.into_iter().zip(listings) {
        files_by_name.insert(name, listing?);
    }
    Ok(files_by_name)
}

/// The best wheel of each requirement for each target whose markers admit
/// it, and the pairs the markers leave out; every requirement without a
/// wheel for some target at once, as an error.
fn pick_wheels(
    request: &ExactDownload,
    files_by_name: &BTreeMap<PackageName, Vec<IndexFile>>,
) -> Result<(Picks, Vec<NotNeeded>), DownloadError> {
    let mut picks = Picks::new();
    let mut missing = Vec::new();
    let mut not_needed = Vec::new();
    for requirement in &request.requirements {
        let allowed = allowed_versions(request, requirement);
        for target in &request.targets {
            if !requirement.marker.evaluate(target.markers(), &[]) {
                not_needed.push(NotNeeded {
                    package: requirement.name.to_string(),
                    target: target.name(),
                    marker: requirement.marker.try_to_string().unwrap_or_default(),
                });
                continue;
            }
            let Some(files) = files_by_name.get(&requirement.name) else {
                continue; // unreachable: listed for every needed name
            };
            match select_wheel(
                &requirement.name,
                files,
                &allowed,
                target,
                request.allow_prereleases,
            ) {
                Ok(selected) => {
                    picks
                        .entry(selected.file.url.clone())
                        .or_insert_with(|| (selected.file.clone(), BTreeSet::new()))
                        .1
                        .insert(target.name());
                }
                Err(no_wheel) => missing.push(no_wheel),
            }
        }
    }
    if missing.is_empty() {
        Ok((picks, not_needed))
    } else {
        Err(DownloadError::NoWheels(missing))
    }
}

/// A requirement's specifiers together with its constraints'.
fn allowed_versions(request: &ExactDownload, requirement: &Requirement) -> VersionSpecifiers {
    let mut allowed: Vec<_> = specifiers(requirement).into_iter().collect();
    for constraint in request
        .constraints
        .iter()
        .filter(|c| c.name == requirement.name)
    {
        allowed.extend(specifiers(constraint));
    }
    VersionSpecifiers::from_iter(allowed)
}

/// Downloads every picked file once, verified, into the destination;
/// the files sorted by name.
async fn fetch_picks(
    client: &IndexClient,
    request: &ExactDownload,
    picks: &Picks,
    progress: &dyn Progress,
) -> Result<Vec<DownloadedFile>, DownloadError> {
    let span = tracing::info_span!("download.files", files = picks.len());
    progress.downloads_planned(picks.len(), total_size(picks.values().map(|(f, _)| f)));
    let results = join_all(picks.values().map(|(file, _)| async move {
        let result = client
            .download(file, &request.dest, request.allow_unhashed)
            .await;
        if let Ok(done) = &result {
            progress.download_done(&file.filename, done.size);
        }
        result
    }))
    .instrument(span)
    .await;
    let mut files = Vec::new();
    for ((file, targets), result) in picks.values().zip(results) {
        let done = result?;
        let parsed = DistFilename::parse(&file.filename, None);
        files.push(DownloadedFile {
            filename: file.filename.clone(),
            name: parsed
                .as_ref()
                .map(|d| d.name().to_string())
                .unwrap_or_default(),
            version: parsed
                .as_ref()
                .map(|d| d.version().to_string())
                .unwrap_or_default(),
            sha256: done.sha256,
            size: done.size,
            url: redact_url(&file.url),
            index: file.source.clone(),
            targets: targets.iter().cloned().collect(),
            fetched: done.fetched,
        });
    }
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(files)
}

/// Whether a file name is a distribution (wheel or sdist).
fn is_distribution(name: &str) -> bool {
    name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip")
}

/// A package version's manifest entry from its core metadata, used by no
/// target yet.
pub(crate) fn package_entry(
    name: NormalizedName,
    version: String,
    metadata: &crate::python::metadata::CoreMetadata,
) -> crate::manifest::ManifestPackage {
    crate::manifest::ManifestPackage {
        name,
        version,
        license: crate::sbom::license::license_of(metadata).map(|l| l.as_str().to_string()),
        summary: metadata.summary.clone(),
        authors: metadata.authors(),
        requires_dist: metadata
            .requires_dist
            .iter()
            .map(ToString::to_string)
            .collect(),
        targets: BTreeMap::new(),
    }
}

/// Writes `SHA256SUMS` (`sha256sum -c` format, sorted) for every
/// distribution in `dir`; `known` hashes are not computed again.
/// The error names no path: it is always [`sha256sums_path`] of `dir`.
pub fn write_sha256sums(dir: &Path, known: &BTreeMap<String, Sha256>) -> std::io::Result<PathBuf> {
    let path = sha256sums_path(dir);
    let mut sums = BTreeMap::new();
    for name in distribution_names(dir)? {
        let sha256 = match known.get(&name) {
            Some(sha256) => *sha256,
            None => digest_file(&dir.join(&name))?.0,
        };
        sums.insert(name, sha256.to_string());
    }
    let text = sha256sums_text(&sums);
    crate::atomic::write_file(&path, text.as_bytes(), crate::atomic::Overwrite::Replace)?;
    Ok(path)
}

/// `SHA256SUMS` from file names to their lowercase hex sha256, sorted by
/// name, as `sha256sum` writes it.
pub fn sha256sums_text(sums: &BTreeMap<String, String>) -> String {
    sums.iter()
        .map(|(name, sha256)| format!("{sha256}  {name}\n"))
        .collect()
}

/// The file names and (lowercased) hashes of a `SHA256SUMS`, text or
/// binary mode (`HASH  NAME`, `HASH *NAME`); other lines are left out.
pub fn parse_sha256sums(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (hash, name) = line.split_once("  ").or_else(|| line.split_once(" *"))?;
            Some((name.trim().to_string(), hash.trim().to_ascii_lowercase()))
        })
        .collect()
}

/// Where [`write_sha256sums`] writes in `dir`.
pub fn sha256sums_path(dir: &Path) -> PathBuf {
    dir.join("SHA256SUMS")
}

fn distribution_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str()
            && is_distribution(name)
            && !name.starts_with('.')
            && entry.path().is_file()
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// One file of a wheelhouse, described.
#[derive(Debug, Clone, Serialize)]
pub struct ListedFile {
    pub filename: String,
    pub name: String,
    pub version: String,
    /// `py3-none-any` for wheels, `source` for sdists.
    pub tags: String,
    pub size: u64,
    pub sha256: Sha256,
    /// Target names the file can be installed on.
    pub targets: Vec<String>,
}

/// Describes every distribution in `dir`, and which of `targets` each serves.
pub fn list_packages(dir: &Path, targets: &[Target]) -> std::io::Result<Vec<ListedFile>> {
    let mut out = Vec::new();
    for name in distribution_names(dir)? {
        let Some(parsed) = DistFilename::parse(&name, None) else {
            continue;
        };
        let (sha256, size) = digest_file(&dir.join(&name))?;
        let (tags, serves) = match &parsed {
            DistFilename::Wheel(wheel) => {
                let tags = wheel.tags();
                let serves = targets
                    .iter()
                    .filter(|t| t.tags().best(tags.iter()).is_some())
                    .map(Target::name)
                    .collect();
                (wheel.tag_string(), serves)
            }
            DistFilename::Sdist(_) => ("source".to_string(), Vec::new()),
        };
        out.push(ListedFile {
            filename: name.clone(),
            name: parsed.name().to_string(),
            version: parsed.version().to_string(),
            tags,
            size,
            sha256,
            targets: serves,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::sync::Mutex;

    use super::*;
    use crate::index::client::ClientSettings;
    use crate::python::target::{Floors, Platform};
    use crate::python::version::PythonVersion;

    fn target(platform: &str) -> Target {
        Target::new(
            PythonVersion::new(3, 12),
            Platform::from_str(platform).unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    /// A folder with `files` (name, bytes) in it.
    fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        dir
    }

    /// Progress calls, in order.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<String>>);

    impl Progress for Recorded {
        fn downloads_planned(&self, files: usize, bytes: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("planned {files} {bytes}"));
        }
        fn download_done(&self, filename: &str, bytes: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("done {filename} {bytes}"));
        }
    }

    /// `download_exact` over a find-links folder: nothing leaves the machine.
    fn download(
        find_links: &Path,
        requirements: &[&str],
        targets: &[&str],
        dest: &Path,
        progress: &dyn Progress,
    ) -> Result<DownloadReport, DownloadError> {
        let mut settings = ClientSettings::new(Vec::new(), dest.with_extension("cache"));
        settings.find_links = vec![find_links.display().to_string()];
        settings.netrc = None;
        settings.offline = true;
        let client = IndexClient::new(settings).unwrap();
        let request = ExactDownload {
            requirements: requirements.iter().map(|r| r.parse().unwrap()).collect(),
            constraints: Vec::new(),
            targets: targets.iter().map(|t| target(t)).collect(),
            dest: dest.to_path_buf(),
            allow_prereleases: false,
            allow_unhashed: false,
        };
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(download_exact(&client, &request, progress))
    }

    const SIX: &str = "six-1.16.0-py2.py3-none-any.whl";
    const PYWIN32: &str = "pywin32-306-cp312-cp312-win_amd64.whl";

    #[test]
    fn each_file_is_downloaded_once_for_the_targets_its_markers_admit() {
        let links = folder(&[(SIX, b"six wheel"), (PYWIN32, b"pywin32 wheel")]);
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("wheels");
        let progress = Recorded::default();
        let report = download(
            links.path(),
            &["six>=1.15", "pywin32; sys_platform == 'win32'"],
            &["linux-x86_64", "windows-x86_64"],
            &dest,
            &progress,
        )
        .unwrap();

        let files: Vec<(&str, &str, &str, Vec<String>)> = report
            .files
            .iter()
            .map(|f| {
                (
                    f.filename.as_str(),
                    f.name.as_str(),
                    f.version.as_str(),
                    f.targets.clone(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                (
                    PYWIN32,
                    "pywin32",
                    "306",
                    vec!["3.12-windows-x86_64".to_string()]
                ),
                (
                    SIX,
                    "six",
                    "1.16.0",
                    vec![
                        "3.12-linux-x86_64".to_string(),
                        "3.12-windows-x86_64".to_string()
                    ]
                ),
            ]
        );
        assert!(report.files.iter().all(|f| !f.fetched && f.size > 0));
        let not_needed: Vec<(&str, &str, &str)> = report
            .not_needed
            .iter()
            .map(|n| (n.package.as_str(), n.target.as_str(), n.marker.as_str()))
            .collect();
        assert_eq!(
            not_needed,
            [("pywin32", "3.12-linux-x86_64", "sys_platform == 'win32'")]
        );

        let (six_sha, _) = crate::digest::hash_file(&links.path().join(SIX)).unwrap();
        let (pywin32_sha, _) = crate::digest::hash_file(&links.path().join(PYWIN32)).unwrap();
        assert_eq!(report.sha256sums, dest.join("SHA256SUMS"));
        assert_eq!(
            std::fs::read_to_string(&report.sha256sums).unwrap(),
            format!("{pywin32_sha}  {PYWIN32}\n{six_sha}  {SIX}\n")
        );
        assert_eq!(std::fs::read(dest.join(SIX)).unwrap(), b"six wheel");
        let mut calls = progress.0.into_inner().unwrap();
        calls[1..].sort();
        assert_eq!(
            calls,
            [
                "planned 2 22".to_string(),
                format!("done {PYWIN32} 13"),
                format!("done {SIX} 9"),
            ]
        );
    }

    #[test]
    fn a_target_without_a_wheel_stops_everything_before_any_download() {
        let links = folder(&[(SIX, b"six wheel"), (PYWIN32, b"pywin32 wheel")]);
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("wheels");
        let error = download(
            links.path(),
            &["six", "pywin32"],
            &["windows-x86_64", "linux-x86_64"],
            &dest,
            &Quiet,
        )
        .unwrap_err();
        let DownloadError::NoWheels(missing) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(missing.len(), 1);
        assert_eq!(
            (missing[0].package.as_str(), missing[0].target.as_str()),
            ("pywin32", "3.12-linux-x86_64")
        );
        assert!(
            error.to_string().starts_with(
                "1 package/target pair(s) have no wheel; nothing was downloaded:\n  \
                 - no wheel of pywin32 fits target 3.12-linux-x86_64: "
            ),
            "{error}"
        );
        assert_eq!(error.hint(), Some(missing[0].hint()));
        assert!(!dest.exists(), "nothing is written when a pick fails");
    }

    #[test]
    fn missing_wheels_are_listed_with_their_fixes() {
        let no_wheel = |package: &str, fix: Option<&str>| NoWheel {
            package: package.into(),
            specifier: ">=2".into(),
            target: "3.12-macos-arm64".into(),
            reason: "only win_amd64 wheels".into(),
            fix: fix.map(str::to_string),
        };
        let error = DownloadError::NoWheels(vec![
            no_wheel("native", Some("set [targets] min-macos = \"14.0\"")),
            no_wheel("other", None),
        ]);
        assert_eq!(
            error.to_string(),
            "2 package/target pair(s) have no wheel; nothing was downloaded:\n  \
             - no wheel of native>=2 fits target 3.12-macos-arm64: only win_amd64 wheels\n    \
             fix: set [targets] min-macos = \"14.0\"\n  \
             - no wheel of other>=2 fits target 3.12-macos-arm64: only win_amd64 wheels"
        );
        assert_eq!(
            error.hint().as_deref(),
            Some("set [targets] min-macos = \"14.0\"")
        );
        let write = DownloadError::Write {
            path: "wheels/SHA256SUMS".into(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        };
        assert_eq!(write.to_string(), "cannot write wheels/SHA256SUMS: denied");
        assert!(write.hint().unwrap().contains("permissions"));
    }

    #[test]
    fn sha256sums_list_the_distributions_only_sorted_and_reuse_known_hashes() {
        let dir = folder(&[
            (SIX, b"six wheel"),
            ("demo-1.0.tar.gz", b"sdist"),
            ("demo-1.0.zip", b"zip sdist"),
            (".six-1.16.0-py2.py3-none-any.whl.part", b"partial"),
            ("README.txt", b"not a distribution"),
        ]);
        std::fs::create_dir(dir.path().join("folder.whl")).unwrap();
        let known = BTreeMap::from([(SIX.to_string(), "ab".repeat(32).parse().unwrap())]);
        let path = write_sha256sums(dir.path(), &known).unwrap();
        let (tar_sha, _) = crate::digest::hash_file(&dir.path().join("demo-1.0.tar.gz")).unwrap();
        let (zip_sha, _) = crate::digest::hash_file(&dir.path().join("demo-1.0.zip")).unwrap();
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            format!(
                "{tar_sha}  demo-1.0.tar.gz\n{zip_sha}  demo-1.0.zip\n{}  {SIX}\n",
                "ab".repeat(32)
            )
        );
    }

    #[test]
    fn listed_files_name_the_targets_they_serve() {
        let dir = folder(&[
            (SIX, b"six wheel"),
            (PYWIN32, b"pywin32 wheel"),
            ("demo-1.0.tar.gz", b"sdist"),
            ("not-a-wheel.whl", b"?"),
        ]);
        let listed = list_packages(
            dir.path(),
            &[target("linux-x86_64"), target("windows-x86_64")],
        )
        .unwrap();
        let rows: Vec<(&str, &str, &str, Vec<String>)> = listed
            .iter()
            .map(|f| {
                (
                    f.filename.as_str(),
                    f.version.as_str(),
                    f.tags.as_str(),
                    f.targets.clone(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("demo-1.0.tar.gz", "1.0", "source", vec![]),
                (
                    PYWIN32,
                    "306",
                    "cp312-cp312-win_amd64",
                    vec!["3.12-windows-x86_64".to_string()]
                ),
                (
                    SIX,
                    "1.16.0",
                    "py2.py3-none-any",
                    vec![
                        "3.12-linux-x86_64".to_string(),
                        "3.12-windows-x86_64".to_string()
                    ]
                ),
            ]
        );
        assert_eq!(listed[2].size, 9);
        assert_eq!(
            listed[2].sha256,
            digest_file(&dir.path().join(SIX)).unwrap().0
        );
    }

    #[test]
    fn the_total_size_is_known_only_when_every_size_is() {
        let file = |size: Option<u64>| IndexFile {
            filename: SIX.into(),
            url: String::new(),
            hashes: BTreeMap::new(),
            requires_python: None,
            yanked: None,
            metadata: None,
            size,
            upload_time: None,
            source: String::new(),
        };
        let sized = [file(Some(10)), file(Some(32))];
        assert_eq!(total_size(sized.iter()), 42);
        let unsized_one = [file(Some(10)), file(None), file(Some(32))];
        assert_eq!(total_size(unsized_one.iter()), 0);
        assert_eq!(total_size([].iter()), 0);
    }
}
