//! What the SBOM, scan and policy stages look at: a wheelhouse's
//! `manifest.json`, a lock (`pylock.toml`, `uv.lock`, a requirements file
//! with `==` pins), a folder of wheels, or an installed environment (a venv
//! or an interpreter's `*.dist-info`, as pip-audit and cyclonedx-py read
//! by default). Every kind is read into the manifest's shape, so each stage
//! has one input type. What a kind does not record stays empty rather than
//! guessed: a lock names no licences, an environment no file hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::digest::Sha256;
use crate::manifest::{
    Inputs, Manifest, ManifestFile, ManifestPackage, PackageUse, Parent, TargetScope, Tool,
};
use crate::python::filename::DistFilename;
use crate::python::metadata::CoreMetadata;
use crate::wheelhouse::build::read_manifest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Wheelhouse,
    Pylock,
    UvLock,
    Requirements,
    WheelFolder,
    Environment,
    Bundle,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Wheelhouse => "wheelhouse",
            Kind::Pylock => "pylock.toml",
            Kind::UvLock => "uv.lock",
            Kind::Requirements => "requirements file",
            Kind::WheelFolder => "folder of wheels",
            Kind::Environment => "Python environment",
            Kind::Bundle => "air-gap bundle",
        }
    }
}

/// Packages and files read from one input.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub kind: Kind,
    pub path: PathBuf,
    pub manifest: Manifest,
}

#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct InventoryError {
    pub path: PathBuf,
    pub message: String,
    pub hint: String,
}

impl InventoryError {
    fn new(path: &Path, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

const INPUT_HINT: &str = "name a wheelhouse folder, manifest.json, pylock.toml, uv.lock, a requirements file with == pins, a folder of wheels, a bundle.tar.gz, or a venv (or --python PATH)";

/// The manifest inside an air-gap bundle, read without unpacking the rest.
fn bundle(path: &Path) -> Result<Inventory, InventoryError> {
    let text = crate::bundle::archive::read_entry(path, "manifest.json", 64 << 20)
        .map_err(|e| {
            InventoryError::new(
                path,
                format!("not a readable bundle: {e}"),
                "build one with `chiron airgap build`",
            )
        })?
        .ok_or_else(|| {
            InventoryError::new(
                path,
                "holds no manifest.json",
                "build bundles with `chiron airgap build`",
            )
        })?;
    let manifest = serde_json::from_slice(&text).map_err(|e| {
        InventoryError::new(
            path,
            format!("its manifest.json is not a chiron manifest: {e}"),
            "rebuild the bundle with this chiron",
        )
    })?;
    Ok(Inventory {
        kind: Kind::Bundle,
        path: path.to_path_buf(),
        manifest,
    })
}

/// Reads whatever `path` is.
pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if path.is_dir() {
        if path.join("manifest.json").is_file() {
            return wheelhouse(path);
        }
        if path.join("pyvenv.cfg").is_file() {
            return environment(path, &venv_site_packages(path)?);
        }
        if has_wheels(path) {
            return wheel_folder(path);
        }
        if path.join("uv.lock").is_file() {
            return uv_lock(&path.join("uv.lock"));
        }
        if path.join("pylock.toml").is_file() {
            return pylock(&path.join("pylock.toml"));
        }
        return Err(InventoryError::new(
            path,
            "holds no manifest.json, venv, wheels or lock",
            INPUT_HINT,
        ));
    }
    if !path.is_file() {
        return Err(InventoryError::new(
            path,
            "no such file or folder",
            INPUT_HINT,
        ));
    }
    if name == "manifest.json" {
        return wheelhouse(path.parent().unwrap_or(Path::new(".")));
    }
    if name == "uv.lock" {
        return uv_lock(path);
    }
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        return bundle(path);
    }
    if name.starts_with("pylock.") && name.ends_with(".toml") {
        return pylock(path);
    }
    if name.ends_with(".txt") || name.ends_with(".in") {
        return requirements(path);
    }
    Err(InventoryError::new(
        path,
        "is not an input chiron can read",
        INPUT_HINT,
    ))
}

fn has_wheels(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".whl"))
    })
}

/// A manifest of nothing, made by this chiron: what a reader fills.
pub fn empty_manifest() -> Manifest {
    Manifest {
        manifest_version: crate::manifest::MANIFEST_VERSION,
        tool: Tool {
            name: "chiron".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        inputs: Inputs {
            fingerprint: String::new(),
            files: Vec::new(),
            requirements: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
            find_links: Vec::new(),
            allow_prereleases: false,
            exclude_newer: None,
        },
        targets: Vec::new(),
        gaps: Vec::new(),
        packages: Vec::new(),
        files: Vec::new(),
    }
}

fn wheelhouse(dir: &Path) -> Result<Inventory, InventoryError> {
    let manifest = read_manifest(dir).ok_or_else(|| {
        InventoryError::new(
            &dir.join("manifest.json"),
            "is not a readable chiron manifest",
            "rebuild the wheelhouse with `chiron wheelhouse`",
        )
    })?;
    Ok(Inventory {
        kind: Kind::Wheelhouse,
        path: dir.to_path_buf(),
        manifest,
    })
}

/// A package being assembled: its files and whom it is required by.
#[derive(Default)]
struct Entry {
    version: String,
    metadata: Option<CoreMetadata>,
    files: Vec<ManifestFile>,
    depends_on: BTreeSet<String>,
}

use crate::python::{NormalizedName, normalize};

/// The project name of an entry's key (`name`, or `name==version` when a
/// lock pins one name at several versions, e.g. under other markers).
fn key_name(key: &str) -> &str {
    key.split("==").next().unwrap_or(key)
}

/// The key of a pinned entry: its version is part of it, so two pins of
/// one name (under different markers) stay two packages; `by_name` then
/// drops the version where the name is unique.
fn pin_key(name: &str, version: &str) -> String {
    format!("{}=={version}", normalize(name))
}

/// Turns entries into a manifest: packages nothing depends on are `direct`.
fn assemble(entries: BTreeMap<String, Entry>) -> Manifest {
    let names: BTreeSet<&str> = entries.keys().map(|k| key_name(k)).collect();
    let mut required_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (key, entry) in &entries {
        let name = key_name(key);
        for dependency in &entry.depends_on {
            if names.contains(dependency.as_str()) && dependency != name {
                required_by
                    .entry(dependency.clone())
                    .or_default()
                    .insert(name.to_string());
            }
        }
    }
    let mut manifest = empty_manifest();
    for (key, entry) in entries {
        let name = key_name(&key).to_string();
        let parents: Vec<Parent> = match required_by.get(&name) {
            Some(parents) => parents
                .iter()
                .map(|p| Parent::Package(NormalizedName::new(p)))
                .collect(),
            None => vec![Parent::Direct],
        };
        let metadata = entry.metadata.as_ref();
        let file = entry
            .files
            .first()
            .map(|f| f.filename.clone())
            .unwrap_or_default();
        manifest.packages.push(ManifestPackage {
            name: NormalizedName::new(metadata.map_or(&name, |m| &m.name)),
            version: entry.version.clone(),
            license: metadata
                .and_then(crate::sbom::license::license_of)
                .map(|l| l.as_str().to_string()),
            summary: metadata.and_then(|m| m.summary.clone()),
            authors: metadata.and_then(CoreMetadata::authors),
            requires_dist: metadata
                .map(|m| m.requires_dist.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            // These inputs describe one set of packages, not targets: the
            // use is recorded for all of them.
            targets: BTreeMap::from([(
                TargetScope::All,
                PackageUse {
                    file,
                    required_by: parents,
                    extras: Vec::new(),
                },
            )]),
        });
        manifest.files.extend(entry.files);
    }
    manifest
        .packages
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    manifest.files.sort_by(|a, b| a.filename.cmp(&b.filename));
    manifest.files.dedup_by(|a, b| a.filename == b.filename);
    manifest
}

/// A lock's sha256 of `filename`, in either case as pip and uv accept it;
/// none when the lock records none (or an empty one).
fn lock_sha256(
    path: &Path,
    filename: &str,
    text: Option<&(impl AsRef<str> + ?Sized)>,
) -> Result<Option<Sha256>, InventoryError> {
    let Some(text) = text.map(AsRef::as_ref).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    Sha256::parse_any_case(text).map(Some).map_err(|error| {
        InventoryError::new(
            path,
            format!("{filename}: {error}"),
            "a sha256 is 64 hex digits: fix or regenerate the lock",
        )
    })
}

/// A TOML date-time or string as RFC 3339 text.
fn time_text(value: Option<&toml::Value>) -> Option<String> {
    match value? {
        toml::Value::Datetime(time) => Some(time.to_string()),
        toml::Value::String(text) => Some(text.clone()),
        _ => None,
    }
}

fn lock_file(
    filename: String,
    sha256: Option<Sha256>,
    size: u64,
    url: String,
    index: String,
) -> ManifestFile {
    ManifestFile {
        upload_time: None,
        filename,
        sha256,
        size,
        url,
        index,
        yanked: false,
        targets: vec![TargetScope::All],
    }
}

fn pylock(path: &Path) -> Result<Inventory, InventoryError> {
    let lock = crate::lock::pylock::read_pylock(path)
        .map_err(|e| InventoryError::new(path, e.message, "check that it is a PEP 751 lock"))?;
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for package in &lock.packages {
        let version = package.version.clone().unwrap_or_default();
        let entry = entries.entry(pin_key(&package.name, &version)).or_default();
        entry.version = version;
        entry
            .depends_on
            .extend(package.dependencies.iter().map(|d| normalize(&d.name)));
        let index = package.index.clone().unwrap_or_default();
        for wheel in &package.wheels {
            let Some(filename) = wheel.filename() else {
                continue;
            };
            let sha256 = lock_sha256(path, &filename, wheel.hashes.get("sha256"))?;
            entry.files.push(lock_file(
                filename,
                sha256,
                wheel.size.unwrap_or(0),
                wheel
                    .url
                    .clone()
                    .or_else(|| wheel.path.clone())
                    .unwrap_or_default(),
                index.clone(),
            ));
            if let Some(file) = entry.files.last_mut() {
                file.upload_time = time_text(wheel.upload_time.as_ref());
            }
        }
        if let Some(sdist) = &package.sdist {
            let field = |key: &str| sdist.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let location = field("url").or_else(|| field("path")).unwrap_or_default();
            let filename = field("name").or_else(|| {
                location
                    .rsplit('/')
                    .next()
                    .map(str::to_string)
                    .filter(|s| !s.is_empty())
            });
            if let Some(filename) = filename {
                let sha256 = sdist
                    .get("hashes")
                    .and_then(|h| h.get("sha256"))
                    .and_then(|v| v.as_str());
                let sha256 = lock_sha256(path, &filename, sha256)?;
                let size = sdist.get("size").and_then(|v| v.as_integer()).unwrap_or(0);
                entry.files.push(lock_file(
                    filename,
                    sha256,
                    size.max(0) as u64,
                    location,
                    index.clone(),
                ));
                if let Some(file) = entry.files.last_mut() {
                    file.upload_time = time_text(sdist.get("upload-time"));
                }
            }
        }
    }
    Ok(Inventory {
        kind: Kind::Pylock,
        path: path.to_path_buf(),
        manifest: assemble(by_name(entries)),
    })
}

fn uv_lock(path: &Path) -> Result<Inventory, InventoryError> {
    let lock = crate::lock::uv_lock::read_uv_lock(path)
        .map_err(|e| InventoryError::new(path, e.message, "check that uv wrote it (`uv lock`)"))?;
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for package in &lock.packages {
        // Workspace members are the project, not its dependencies.
        if ["editable", "virtual", "directory"]
            .iter()
            .any(|k| package.source.contains_key(*k))
        {
            continue;
        }
        let Some(version) = &package.version else {
            continue;
        };
        let entry = entries.entry(pin_key(&package.name, version)).or_default();
        entry.version = version.clone();
        let optional = package.optional_dependencies.values().flatten();
        entry.depends_on.extend(
            package
                .dependencies
                .iter()
                .chain(optional)
                .map(|d| normalize(&d.name)),
        );
        let index = package
            .source
            .get("registry")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        for file in package.wheels.iter().chain(package.sdist.as_ref()) {
            let location = file
                .url
                .clone()
                .or_else(|| file.path.clone())
                .unwrap_or_default();
            let Some(filename) = file.filename.clone().or_else(|| {
                location
                    .rsplit('/')
                    .next()
                    .map(str::to_string)
                    .filter(|s| !s.is_empty())
            }) else {
                continue;
            };
            let sha256 = file.hash.as_deref().and_then(|h| h.strip_prefix("sha256:"));
            let sha256 = lock_sha256(path, &filename, sha256)?;
            entry.files.push(lock_file(
                filename,
                sha256,
                file.size.unwrap_or(0),
                location,
                index.clone(),
            ));
            if let Some(last) = entry.files.last_mut() {
                last.upload_time = time_text(file.upload_time.as_ref());
            }
        }
    }
    Ok(Inventory {
        kind: Kind::UvLock,
        path: path.to_path_buf(),
        manifest: assemble(by_name(entries)),
    })
}

fn requirements(path: &Path) -> Result<Inventory, InventoryError> {
    let file =
        crate::lock::requirements_txt::read_requirements(path, &|name| std::env::var(name).ok())
            .map_err(|e| {
                InventoryError::new(
                    &e.origin.path,
                    format!("line {}: {}", e.origin.line, e.message),
                    e.hint,
                )
            })?;
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for line in &file.requirements {
        let requirement = &line.requirement;
        let pinned = match &requirement.version_or_url {
            Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => specifiers
                .iter()
                .find(|s| {
                    matches!(
                        s.operator(),
                        pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
                    )
                })
                .map(|s| s.version().to_string()),
            _ => None,
        };
        let Some(version) = pinned else {
            return Err(InventoryError::new(
                &line.origin.path,
                format!(
                    "line {}: {requirement} is not pinned with ==",
                    line.origin.line
                ),
                "scan a lock: compile the requirements first (`chiron wheelhouse` writes requirements-<target>.txt)",
            ));
        };
        let entry = entries
            .entry(pin_key(requirement.name.as_ref(), &version))
            .or_default();
        entry.version = version;
        for hash in &line.hashes {
            if let Some(text) = hash.strip_prefix("sha256:") {
                let sha256 = lock_sha256(path, text, Some(text))?;
                // A hash names a file without its name: record it so the
                // policy sees the pin is hashed, and the SBOM lists it.
                entry.files.push(lock_file(
                    format!(
                        "{}-{}#sha256:{text}",
                        normalize(requirement.name.as_ref()),
                        entry.version
                    ),
                    sha256,
                    0,
                    String::new(),
                    String::new(),
                ));
            }
        }
    }
    Ok(Inventory {
        kind: Kind::Requirements,
        path: path.to_path_buf(),
        manifest: assemble(by_name(entries)),
    })
}

fn wheel_folder(dir: &Path) -> Result<Inventory, InventoryError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| InventoryError::new(dir, e.to_string(), INPUT_HINT))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".whl"))
        .collect();
    names.sort();
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for name in names {
        let path = dir.join(&name);
        let Some(DistFilename::Wheel(wheel)) = DistFilename::parse(&name, None) else {
            return Err(InventoryError::new(
                &path,
                "is not a valid wheel file name (PEP 427)",
                "rename or remove it",
            ));
        };
        let metadata = crate::resolve::source::read_wheel_metadata(&path, &name).map_err(|e| {
            InventoryError::new(
                &path,
                e.to_string(),
                "the wheel looks damaged; download it again",
            )
        })?;
        let (sha256, size) = crate::digest::digest_file(&path).map_err(|e| {
            InventoryError::new(&path, e.to_string(), "check the file's permissions")
        })?;
        let entry = entries
            .entry(pin_key(wheel.name.as_ref(), &wheel.version.to_string()))
            .or_default();
        entry.version = wheel.version.to_string();
        entry.depends_on.extend(
            metadata
                .requires_dist
                .iter()
                .map(|r| normalize(r.name.as_ref())),
        );
        entry.metadata = Some(metadata);
        entry.files.push(ManifestFile {
            filename: name.clone(),
            sha256: Some(sha256),
            size,
            url: String::new(),
            index: String::new(),
            yanked: false,
            targets: vec![TargetScope::All],
            upload_time: None,
        });
    }
    Ok(Inventory {
        kind: Kind::WheelFolder,
        path: dir.to_path_buf(),
        manifest: assemble(by_name(entries)),
    })
}

/// Entries keyed `name==version` (a folder may hold two versions) keyed by
/// name when unique, else by `name==version`.
fn by_name(entries: BTreeMap<String, Entry>) -> BTreeMap<String, Entry> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for key in entries.keys() {
        *count.entry(key_name(key).to_string()).or_default() += 1;
    }
    entries
        .into_iter()
        .map(|(key, entry)| {
            let name = key_name(&key).to_string();
            if count[&name] == 1 {
                (name, entry)
            } else {
                (key, entry)
            }
        })
        .collect()
}

/// The site-packages folders of a venv, found without running it.
fn venv_site_packages(venv: &Path) -> Result<Vec<PathBuf>, InventoryError> {
    let mut found = Vec::new();
    for lib in ["lib", "lib64", "Lib"] {
        let Ok(entries) = std::fs::read_dir(venv.join(lib)) else {
            continue;
        };
        for entry in entries.flatten() {
            let site = if lib == "Lib" {
                venv.join(lib).join("site-packages")
            } else {
                entry.path().join("site-packages")
            };
            if site.is_dir() && !found.contains(&site) {
                found.push(site);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(InventoryError::new(
            venv,
            "is a venv without a site-packages folder",
            "recreate it with `python -m venv`",
        ));
    }
    Ok(found)
}

/// The environment of an interpreter: the site-packages folders on its
/// `sys.path`, asked from the interpreter itself.
pub fn interpreter(python: &Path) -> Result<Inventory, InventoryError> {
    let output = std::process::Command::new(python)
        .args([
            "-I",
            "-c",
            "import site, sys, sysconfig\n\
             paths = {sysconfig.get_path('purelib'), sysconfig.get_path('platlib')}\n\
             paths.update(p for p in sys.path if p.endswith('-packages'))\n\
             print('\\n'.join(sorted(paths)))",
        ])
        .output()
        .map_err(|e| {
            InventoryError::new(
                python,
                format!("cannot run: {e}"),
                "pass the path of a Python interpreter",
            )
        })?;
    if !output.status.success() {
        return Err(InventoryError::new(
            python,
            format!("failed: {}", String::from_utf8_lossy(&output.stderr).trim()),
            "pass the path of a working Python interpreter",
        ));
    }
    let sites: Vec<PathBuf> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    environment(python, &sites)
}

fn environment(path: &Path, sites: &[PathBuf]) -> Result<Inventory, InventoryError> {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for site in sites {
        let Ok(listing) = std::fs::read_dir(site) else {
            continue;
        };
        let mut infos: Vec<PathBuf> = listing
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "dist-info"))
            .collect();
        infos.sort();
        for info in infos {
            let metadata_path = info.join("METADATA");
            let Ok(text) = std::fs::read_to_string(&metadata_path) else {
                tracing::warn!("{} has no readable METADATA; skipped", info.display());
                continue;
            };
            let metadata = CoreMetadata::parse(&text, &metadata_path.display().to_string())
                .map_err(|e| {
                    InventoryError::new(&metadata_path, e.to_string(), "reinstall the package")
                })?;
            let key = normalize(&metadata.name);
            // The first folder on the path wins, as for the interpreter.
            if entries.contains_key(&key) {
                continue;
            }
            let entry = entries.entry(key).or_default();
            entry.version = metadata.version.clone();
            entry.depends_on.extend(
                metadata
                    .requires_dist
                    .iter()
                    .filter(|r| r.marker.evaluate_optional_environment(None, &[]))
                    .map(|r| normalize(r.name.as_ref())),
            );
            entry.metadata = Some(metadata);
        }
    }
    if entries.is_empty() {
        return Err(InventoryError::new(
            path,
            "has no installed distributions (*.dist-info)",
            "point at the venv or interpreter the project runs in",
        ));
    }
    Ok(Inventory {
        kind: Kind::Environment,
        path: path.to_path_buf(),
        manifest: assemble(entries),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: &str, depends_on: &[&str]) -> Entry {
        Entry {
            version: version.into(),
            depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
            ..Entry::default()
        }
    }

    /// `name version <- parents` of each package, in the manifest's order.
    fn uses(manifest: &Manifest) -> Vec<String> {
        manifest
            .packages
            .iter()
            .map(|p| {
                format!(
                    "{} {} <- {}",
                    p.name,
                    p.version,
                    p.targets[&TargetScope::All]
                        .required_by
                        .iter()
                        .map(Parent::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect()
    }

    #[test]
    fn a_name_pinned_at_two_versions_stays_two_packages() {
        assert_eq!(
            pin_key("Typing_Extensions", "4.12.2"),
            "typing-extensions==4.12.2"
        );
        assert_eq!(key_name("typing-extensions==4.12.2"), "typing-extensions");
        assert_eq!(key_name("numpy"), "numpy");
        let entries = BTreeMap::from([
            (pin_key("numpy", "1.26.4"), entry("1.26.4", &[])),
            (pin_key("numpy", "2.1.0"), entry("2.1.0", &[])),
            (pin_key("lib", "1.0"), entry("1.0", &["numpy"])),
        ]);
        let keys: Vec<String> = by_name(entries).into_keys().collect();
        assert_eq!(keys, ["lib", "numpy==1.26.4", "numpy==2.1.0"]);
    }

    #[test]
    fn packages_nothing_requires_are_direct() {
        let entries = BTreeMap::from([
            ("app".to_string(), entry("1.0", &["lib", "app", "absent"])),
            ("lib".to_string(), entry("2.0", &["numpy"])),
            ("numpy==1.26.4".to_string(), entry("1.26.4", &[])),
            ("numpy==2.1.0".to_string(), entry("2.1.0", &[])),
        ]);
        assert_eq!(
            uses(&assemble(entries)),
            [
                "app 1.0 <- direct",
                "lib 2.0 <- app",
                "numpy 1.26.4 <- lib",
                "numpy 2.1.0 <- lib",
            ]
        );
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_pylock_is_read_into_the_manifests_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "pylock.toml",
            r#"
lock-version = "1.0"

[[packages]]
name = "App"
version = "1.0"
index = "https://example.test/simple"
dependencies = [{ name = "lib" }]
wheels = [{ url = "https://example.test/app-1.0-py3-none-any.whl", hashes = { sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, size = 5, upload-time = 2024-05-01T10:00:00Z }]

[[packages]]
name = "lib"
version = "2.0"
sdist = { url = "https://example.test/lib-2.0.tar.gz", hashes = { sha256 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" }, size = 9 }
"#,
        );
        let inventory = load(&path).unwrap();
        assert_eq!(inventory.kind, Kind::Pylock);
        assert_eq!(
            uses(&inventory.manifest),
            ["app 1.0 <- direct", "lib 2.0 <- app"]
        );
        let files: Vec<(&str, String, u64, &str, Option<&str>)> = inventory
            .manifest
            .files
            .iter()
            .map(|f| {
                (
                    f.filename.as_str(),
                    f.sha256_text(),
                    f.size,
                    f.index.as_str(),
                    f.upload_time.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                (
                    "app-1.0-py3-none-any.whl",
                    "aa".repeat(32),
                    5,
                    "https://example.test/simple",
                    Some("2024-05-01T10:00:00Z")
                ),
                ("lib-2.0.tar.gz", "bb".repeat(32), 9, "", None),
            ]
        );
        assert_eq!(
            inventory.manifest.packages[0].targets[&TargetScope::All].file,
            "app-1.0-py3-none-any.whl"
        );
    }

    #[test]
    fn lock_hashes_are_read_in_either_case_and_malformed_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lock = |hash: &str| {
            format!(
                "version = 1\n\n[[package]]\nname = \"lib\"\nversion = \"2.0\"\n\
                 source = {{ registry = \"https://example.test/simple\" }}\n\
                 wheels = [{{ url = \"https://example.test/lib-2.0-py3-none-any.whl\", hash = \"{hash}\" }}]\n"
            )
        };
        let path = write(
            dir.path(),
            "uv.lock",
            &lock(&format!("sha256:{}", "AB".repeat(32))),
        );
        let inventory = load(&path).unwrap();
        assert_eq!(inventory.manifest.files[0].sha256_text(), "ab".repeat(32));

        write(dir.path(), "uv.lock", &lock("sha256:ab"));
        let error = load(&path).unwrap_err();
        assert_eq!(
            error.message,
            "lib-2.0-py3-none-any.whl: \"ab\" is not a sha256: it has 2 characters, not 64 hex digits"
        );

        // A lock that records no hash leaves the file unhashed.
        write(dir.path(), "uv.lock", &lock("md5:00"));
        let inventory = load(&path).unwrap();
        assert_eq!(inventory.manifest.files[0].sha256, None);
    }

    #[test]
    fn a_uv_lock_leaves_out_the_workspace_members() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "uv.lock",
            r#"
version = 1

[[package]]
name = "demo"
version = "0.1"
source = { editable = "." }
dependencies = [{ name = "lib" }]

[[package]]
name = "lib"
version = "2.0"
source = { registry = "https://example.test/simple" }
wheels = [{ url = "https://example.test/lib-2.0-py3-none-any.whl", hash = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", size = 3 }]
"#,
        );
        let inventory = load(dir.path()).unwrap();
        assert_eq!(
            (inventory.kind, inventory.path.clone()),
            (Kind::UvLock, path)
        );
        assert_eq!(uses(&inventory.manifest), ["lib 2.0 <- direct"]);
        let file = &inventory.manifest.files[0];
        assert_eq!(
            (
                file.filename.as_str(),
                file.sha256_text(),
                file.index.as_str()
            ),
            (
                "lib-2.0-py3-none-any.whl",
                "cc".repeat(32),
                "https://example.test/simple"
            )
        );
    }

    #[test]
    fn a_requirements_file_must_pin_every_line_and_its_hashes_name_files() {
        let dir = tempfile::tempdir().unwrap();
        let sha256 = "d".repeat(64);
        let path = write(
            dir.path(),
            "requirements.txt",
            &format!("lib==1.0 --hash=sha256:{sha256}\nother>=2\n"),
        );
        let error = load(&path).unwrap_err();
        assert_eq!(error.path, path);
        assert_eq!(error.message, "line 2: other>=2 is not pinned with ==");
        std::fs::write(&path, format!("Lib_X==1.0 --hash=sha256:{sha256}\n")).unwrap();
        let inventory = load(&path).unwrap();
        assert_eq!(inventory.kind, Kind::Requirements);
        assert_eq!(uses(&inventory.manifest), ["lib-x 1.0 <- direct"]);
        let file = &inventory.manifest.files[0];
        assert_eq!(file.filename, format!("lib-x-1.0#sha256:{sha256}"));
        assert_eq!(file.sha256_text(), sha256);
    }

    #[test]
    fn a_venv_is_read_from_its_dist_info_folders() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pyvenv.cfg", "home = /usr/bin\n");
        let site = "lib/python3.12/site-packages";
        write(
            dir.path(),
            &format!("{site}/demo-1.0.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\nRequires-Dist: lib\nRequires-Dist: winlib; sys_platform == 'win32'\n",
        );
        write(
            dir.path(),
            &format!("{site}/lib-2.0.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: lib\nVersion: 2.0\nLicense: MIT\n",
        );
        let inventory = load(dir.path()).unwrap();
        assert_eq!(inventory.kind, Kind::Environment);
        assert_eq!(
            uses(&inventory.manifest),
            ["demo 1.0 <- direct", "lib 2.0 <- demo"]
        );
        assert_eq!(
            inventory.manifest.packages[1].license.as_deref(),
            Some("MIT")
        );
        assert!(
            inventory.manifest.files.is_empty(),
            "an environment has no files"
        );
    }

    #[test]
    fn what_cannot_be_read_is_named_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let error = load(dir.path()).unwrap_err();
        assert_eq!(
            error.message,
            "holds no manifest.json, venv, wheels or lock"
        );
        assert_eq!(error.hint, INPUT_HINT);
        let other = write(dir.path(), "notes.json", "{}");
        assert_eq!(
            load(&other).unwrap_err().message,
            "is not an input chiron can read"
        );
        let missing = dir.path().join("missing.txt");
        assert_eq!(
            load(&missing).unwrap_err().message,
            "no such file or folder"
        );
        write(dir.path(), "not-a-wheel.whl", "");
        let error = load(dir.path()).unwrap_err();
        assert_eq!(
            (error.path, error.message.as_str()),
            (
                dir.path().join("not-a-wheel.whl"),
                "is not a valid wheel file name (PEP 427)"
            )
        );
    }
}
