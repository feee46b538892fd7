//! PEP 751 `pylock.toml`: written for every wheelhouse (all targets in one
//! file, each package guarded by the markers of the targets that need it),
//! and read back as an input that is installed as it is, without resolving.
//!
//! chiron keeps what PEP 751 has no field for (which target installs which
//! file, and why) in `[packages.tool.chiron]`, so a lock read back gives the
//! same wheelhouse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::LockedPin;
use crate::manifest::{Manifest, ManifestFile, ManifestPackage, Parent};
use crate::python::filename::WheelFilename;
use crate::python::target::Target;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Pylock {
    pub lock_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// The Python versions the lock was made for (uv writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub packages: Vec<LockedPackage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LockedPackage {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<LockedDependency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wheels: Vec<LockedWheel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdist: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<PackageTool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedDependency {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LockedWheel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    /// A TOML date-time (PEP 751 `upload-time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_time: Option<toml::Value>,
}

impl LockedWheel {
    /// The file name: `name`, else the last segment of the URL or path.
    pub fn filename(&self) -> Option<String> {
        self.name
            .clone()
            .or_else(|| super::location_file_name(self.url.as_deref().or(self.path.as_deref())?))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageTool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chiron: Option<ChironPackageInfo>,
}

/// Per target: the file installed, extras, and who requires the package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChironPackageInfo {
    pub targets: BTreeMap<String, ChironTargetUse>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ChironTargetUse {
    pub file: String,
    #[serde(default)]
    pub required_by: Vec<String>,
    #[serde(default)]
    pub extras: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct PylockError {
    pub path: PathBuf,
    pub message: String,
}

impl crate::diagnose::Diagnose for PylockError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        None
    }
}

/// The lock of a wheelhouse: one package entry per name and version, with
/// the wheels its targets install and the markers of those targets.
/// `files_at` says where its files are, relative
/// to the lock: `None` when they are only on the index (`chiron lock`),
/// else a folder prefix (`""` beside the lock in a wheelhouse, `"wheels/"`
/// in a bundle), written as PEP 751 `path` beside the original `url`, so
/// that pip and uv install from the unpacked wheelhouse or bundle offline.
pub fn render_pylock(manifest: &Manifest, targets: &[Target], files_at: Option<&str>) -> String {
    let markers: BTreeMap<String, String> = targets
        .iter()
        .map(|t| (t.name(), t.marker_expression()))
        .collect();
    let mut all_markers: Vec<String> = markers.values().cloned().collect();
    all_markers.sort();
    all_markers.dedup();
    let wheelhouse = LockedWheelhouse {
        manifest,
        files: manifest
            .files
            .iter()
            .map(|f| (f.filename.as_str(), f))
            .collect(),
        markers,
        files_at,
    };
    let packages = manifest
        .packages
        .iter()
        .map(|package| LockedPackage {
            name: package.name.to_string(),
            version: Some(package.version.clone()),
            marker: package_marker(&wheelhouse.markers_of(package), &all_markers),
            index: wheelhouse.index_of(package),
            dependencies: wheelhouse.dependencies_of(package),
            wheels: wheelhouse.wheels_of(package),
            sdist: wheelhouse.sdist_of(package),
            tool: Some(chiron_info(package)),
        })
        .collect();
    let lock = Pylock {
        lock_version: "1.0".into(),
        environments: all_markers,
        requires_python: None,
        created_by: Some("chiron".into()),
        packages,
    };
    render(&lock)
}

/// What a wheelhouse's lock is rendered from: its manifest, its files by
/// name, the marker expression of each target, and where the files are.
struct LockedWheelhouse<'m> {
    manifest: &'m Manifest,
    files: BTreeMap<&'m str, &'m ManifestFile>,
    markers: BTreeMap<String, String>,
    files_at: Option<&'m str>,
}

impl LockedWheelhouse<'_> {
    /// The markers of the targets that install the package, sorted.
    fn markers_of(&self, package: &ManifestPackage) -> Vec<String> {
        let mut used: Vec<String> = package
            .targets
            .keys()
            .filter_map(|t| self.markers.get(t.as_str()).cloned())
            .collect();
        used.sort();
        used.dedup();
        used
    }

    /// The files the package's targets install.
    fn files_of<'a>(
        &'a self,
        package: &'a ManifestPackage,
    ) -> impl Iterator<Item = &'a ManifestFile> + 'a {
        package
            .targets
            .values()
            .filter_map(|u| self.files.get(u.file.as_str()).copied())
    }

    /// The index of the first file a target installs.
    fn index_of(&self, package: &ManifestPackage) -> Option<String> {
        self.files_of(package).next().map(|f| f.index.clone())
    }

    fn wheels_of(&self, package: &ManifestPackage) -> Vec<LockedWheel> {
        let mut wheels: Vec<LockedWheel> = self
            .files_of(package)
            .filter(|f| !is_sdist(&f.filename))
            .map(|f| file_entry(f, self.files_at))
            .collect();
        wheels.sort_by(|a, b| a.name.cmp(&b.name));
        wheels.dedup();
        wheels
    }

    fn sdist_of(&self, package: &ManifestPackage) -> Option<toml::Value> {
        self.files_of(package)
            .find(|f| is_sdist(&f.filename))
            .map(|f| {
                toml::Value::try_from(file_entry(f, self.files_at))
                    .expect("a file entry serialises")
            })
    }

    /// The packages `package` requires on some target: those that name it
    /// among their `required_by`.
    fn dependencies_of(&self, package: &ManifestPackage) -> Vec<LockedDependency> {
        let mut names: Vec<String> = self
            .manifest
            .packages
            .iter()
            .filter(|other| {
                other.targets.values().any(|u| {
                    u.required_by
                        .contains(&Parent::Package(package.name.clone()))
                })
            })
            .map(|other| other.name.to_string())
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| LockedDependency { name })
            .collect()
    }
}

fn is_sdist(filename: &str) -> bool {
    !filename.ends_with(".whl")
}

/// A package's marker: none when every target installs it, else the
/// markers of its targets (sorted), joined with `or`.
fn package_marker(used: &[String], all_markers: &[String]) -> Option<String> {
    if used == all_markers {
        return None;
    }
    Some(match used {
        [only] => only.clone(),
        several => several
            .iter()
            .map(|m| format!("({m})"))
            .collect::<Vec<_>>()
            .join(" or "),
    })
}

/// What PEP 751 has no field for: the file, extras and parents per target.
fn chiron_info(package: &ManifestPackage) -> PackageTool {
    PackageTool {
        chiron: Some(ChironPackageInfo {
            targets: package
                .targets
                .iter()
                .map(|(target, u)| {
                    (
                        target.to_string(),
                        ChironTargetUse {
                            file: u.file.clone(),
                            required_by: u.required_by.iter().map(ToString::to_string).collect(),
                            extras: u.extras.clone(),
                        },
                    )
                })
                .collect(),
        }),
    }
}

const HEADER: &str = "# PEP 751 lock written by chiron: every target of the wheelhouse, each package\n\
                      # guarded by the markers of the targets that install it.\n";

fn render(lock: &Pylock) -> String {
    let mut text = String::from(HEADER);
    text.push_str(&toml::to_string(lock).expect("a lock always serialises"));
    text
}

/// A lock chiron wrote, with every file's `path` now under `files_at`
/// (a bundle keeps its wheels in `wheels/`).
pub fn relocate(text: &str, files_at: &str) -> Result<String, toml::de::Error> {
    let mut lock: Pylock = toml::from_str(text)?;
    for package in &mut lock.packages {
        for wheel in &mut package.wheels {
            wheel.path = wheel.filename().map(|name| format!("{files_at}{name}"));
        }
        if let Some(toml::Value::Table(sdist)) = &mut package.sdist
            && let Some(name) = sdist
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
        {
            sdist.insert(
                "path".into(),
                toml::Value::from(format!("{files_at}{name}")),
            );
        }
    }
    Ok(render(&lock))
}

/// A wheel or sdist entry of the lock for a wheelhouse file.
fn file_entry(f: &ManifestFile, files_at: Option<&str>) -> LockedWheel {
    LockedWheel {
        name: Some(f.filename.clone()),
        url: Some(f.url.clone()),
        path: files_at.map(|prefix| format!("{prefix}{}", f.filename)),
        // 0 stands for "the index gave no size" (`chiron lock` does not
        // download to learn it); PEP 751 makes the field optional.
        size: (f.size > 0).then_some(f.size),
        hashes: BTreeMap::from([("sha256".to_string(), f.sha256_text())]),
        upload_time: f
            .upload_time
            .as_deref()
            .and_then(|t| t.parse::<toml::value::Datetime>().ok())
            .map(toml::Value::Datetime),
    }
}

/// A lock chiron wrote, with `file` (a distribution of `name` `version`)
/// among that package's files: a wheel joins its `wheels`, an sdist
/// becomes its `sdist` when it has none. `None` when the lock pins no such
/// package version, or already lists the file: a lock is a resolution, and
/// a file of another version is no reason to change it. The file's `path`
/// is put where the package's other files are.
pub fn add_file(
    text: &str,
    name: &pep508_rs::PackageName,
    version: &pep440_rs::Version,
    file: &ManifestFile,
) -> Result<Option<String>, toml::de::Error> {
    let mut lock: Pylock = toml::from_str(text)?;
    let Some(package) = lock.packages.iter_mut().find(|p| {
        pep508_rs::PackageName::from_str(&p.name).ok().as_ref() == Some(name)
            && p.version
                .as_deref()
                .and_then(|v| pep440_rs::Version::from_str(v).ok())
                .as_ref()
                == Some(version)
    }) else {
        return Ok(None);
    };
    let listed = package
        .wheels
        .iter()
        .filter_map(LockedWheel::filename)
        .chain(sdist_name(package.sdist.as_ref()))
        .any(|listed| listed == file.filename);
    if listed {
        return Ok(None);
    }
    let files_at = package
        .wheels
        .iter()
        .filter_map(|w| w.path.as_deref())
        .chain(package.sdist.as_ref().and_then(|s| s.get("path")?.as_str()))
        .next()
        .map(|path| path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string())
        .map(|dir| {
            if dir.is_empty() {
                dir
            } else {
                format!("{dir}/")
            }
        });
    let mut entry = file_entry(file, files_at.as_deref().or(Some("")));
    entry.url = entry.url.filter(|url| !url.is_empty());
    if file.filename.ends_with(".whl") {
        package.wheels.push(entry);
        package.wheels.sort_by(|a, b| a.name.cmp(&b.name));
    } else if package.sdist.is_none() {
        package.sdist = Some(toml::Value::try_from(entry).expect("a file entry serialises"));
    } else {
        return Ok(None);
    }
    Ok(Some(render(&lock)))
}

/// The file name of a package's `sdist` entry.
fn sdist_name(sdist: Option<&toml::Value>) -> Option<String> {
    let sdist = sdist?;
    if let Some(name) = sdist.get("name").and_then(|n| n.as_str()) {
        return Some(name.to_string());
    }
    let location = sdist.get("path").or_else(|| sdist.get("url"))?.as_str()?;
    super::location_file_name(location)
}

/// Reads and checks a `pylock.toml`.
pub fn read_pylock(path: &Path) -> Result<Pylock, PylockError> {
    let error = |message: String| PylockError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    let lock: Pylock =
        toml::from_str(&text).map_err(|e| error(format!("not a PEP 751 lock: {}", e.message())))?;
    if !lock.lock_version.starts_with("1.") {
        return Err(error(format!(
            "lock-version {} is not supported (chiron reads 1.x)",
            lock.lock_version
        )));
    }
    for package in &lock.packages {
        if package.version.is_none() {
            return Err(error(format!("package {} has no version", package.name)));
        }
        for wheel in &package.wheels {
            if !wheel.hashes.contains_key("sha256") {
                return Err(error(format!(
                    "a wheel of {} has no sha256 hash",
                    package.name
                )));
            }
        }
    }
    Ok(lock)
}

/// The version `lock` pins for every package `target` installs: where
/// chiron recorded targets, those; else where the package's marker holds.
/// For keeping pins, not installing: files are not looked at.
pub fn locked_versions(
    lock: &Pylock,
    target: &Target,
) -> BTreeMap<pep508_rs::PackageName, pep440_rs::Version> {
    let mut out = BTreeMap::new();
    for package in &lock.packages {
        let recorded = package
            .tool
            .as_ref()
            .and_then(|t| t.chiron.as_ref())
            .map(|c| c.targets.contains_key(&target.name()));
        let installed = match (recorded, &package.marker) {
            (Some(recorded), _) => recorded,
            (None, None) => true,
            (None, Some(marker)) => pep508_rs::MarkerTree::from_str(marker)
                .is_ok_and(|tree| tree.evaluate(target.markers(), &[])),
        };
        let name = pep508_rs::PackageName::from_str(&package.name);
        let version = package.version.as_deref().map(pep440_rs::Version::from_str);
        if let (true, Ok(name), Some(Ok(version))) = (installed, name, version) {
            out.insert(name, version);
        }
    }
    out
}

/// The packages `target` installs from `lock`: those whose marker holds
/// there, each with the file chiron recorded for the target or else the
/// wheel the target prefers. `lock_dir` anchors relative `path` entries.
pub fn pins_for_target(
    lock: &Pylock,
    lock_path: &Path,
    target: &Target,
) -> Result<Vec<LockedPin>, PylockError> {
    let error = |message: String| PylockError {
        path: lock_path.to_path_buf(),
        message,
    };
    let lock_dir = lock_path.parent().unwrap_or(Path::new("."));
    check_lock_covers(lock, target).map_err(error)?;
    let mut pins = Vec::new();
    for package in &lock.packages {
        if installed_on(package, target).map_err(error)? {
            pins.push(locked_pin(lock, package, target, lock_dir).map_err(error)?);
        }
    }
    Ok(pins)
}

/// Whether the package's marker holds on the target (without one, it is
/// installed everywhere).
fn installed_on(package: &LockedPackage, target: &Target) -> Result<bool, String> {
    let Some(marker) = &package.marker else {
        return Ok(true);
    };
    let tree = pep508_rs::MarkerTree::from_str(marker)
        .map_err(|e| format!("package {}: bad marker `{marker}`: {e}", package.name))?;
    Ok(tree.evaluate(target.markers(), &[]))
}

/// What chiron recorded of the package on this target, in a lock it wrote.
fn recorded_use<'l>(package: &'l LockedPackage, target: &Target) -> Option<&'l ChironTargetUse> {
    package
        .tool
        .as_ref()
        .and_then(|t| t.chiron.as_ref())
        .and_then(|c| c.targets.get(&target.name()))
}

/// One package's pin on the target.
fn locked_pin(
    lock: &Pylock,
    package: &LockedPackage,
    target: &Target,
    lock_dir: &Path,
) -> Result<LockedPin, String> {
    let recorded = recorded_use(package, target);
    let chosen = choose_file(package, recorded, target)?;
    let url = match (&chosen.entry.url, &chosen.entry.path) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => super::path_url(lock_dir, path)?,
        (None, None) => {
            return Err(format!(
                "a wheel of {} has neither url nor path",
                package.name
            ));
        }
    };
    super::check_file_name(&chosen.filename)?;
    let file = crate::index::simple::IndexFile {
        filename: chosen.filename,
        url,
        hashes: chosen.entry.hashes,
        requires_python: None,
        yanked: None,
        metadata: None,
        size: chosen.entry.size,
        upload_time: None,
        // A lock without `index` (pip lock, uv pip compile) leaves the
        // source empty: the policy then judges the file by its URL.
        source: package.index.clone().unwrap_or_default(),
    };
    Ok(LockedPin {
        name: package.name.clone(),
        version: package.version.clone().unwrap_or_default(),
        file,
        wheel: chosen.wheel,
        required_by: required_by(lock, package, recorded),
        extras: recorded.map(|r| r.extras.clone()).unwrap_or_default(),
    })
}

/// The file of a package a target installs, and its name.
struct ChosenFile {
    entry: LockedWheel,
    filename: String,
    /// `None` for the sdist.
    wheel: Option<WheelFilename>,
}

/// The wheel chiron recorded for the target, else the wheel the target's
/// tags prefer, else the sdist.
fn choose_file(
    package: &LockedPackage,
    recorded: Option<&ChironTargetUse>,
    target: &Target,
) -> Result<ChosenFile, String> {
    if let Some((wheel, parsed)) = best_wheel(package, recorded, target) {
        return Ok(ChosenFile {
            entry: wheel.clone(),
            filename: parsed.as_str().to_string(),
            wheel: Some(parsed),
        });
    }
    let sdist = package
        .sdist
        .clone()
        .and_then(|value| LockedWheel::deserialize(value).ok());
    let Some(sdist) = sdist else {
        return Err(format!(
            "the lock has no wheel of {} {} for target {}",
            package.name,
            package.version.as_deref().unwrap_or("?"),
            target.name()
        ));
    };
    let filename = sdist
        .filename()
        .ok_or_else(|| format!("the sdist of {} has no name", package.name))?;
    Ok(ChosenFile {
        entry: sdist,
        filename,
        wheel: None,
    })
}

/// The wheel chiron recorded for the target, else the one whose tags the
/// target prefers most (the first of equals); wheels with unreadable
/// names are passed over.
fn best_wheel<'l>(
    package: &'l LockedPackage,
    recorded: Option<&ChironTargetUse>,
    target: &Target,
) -> Option<(&'l LockedWheel, WheelFilename)> {
    let mut best: Option<(usize, &LockedWheel, WheelFilename)> = None;
    for wheel in &package.wheels {
        let Some(filename) = wheel.filename() else {
            continue;
        };
        let Ok(parsed) = filename.parse::<WheelFilename>() else {
            continue;
        };
        if recorded.is_some_and(|r| r.file == filename) {
            return Some((wheel, parsed));
        }
        if let Some(priority) = target.tags().best(parsed.tags().iter())
            && best.as_ref().is_none_or(|(p, _, _)| priority < *p)
        {
            best = Some((priority, wheel, parsed));
        }
    }
    best.map(|(_, wheel, parsed)| (wheel, parsed))
}

/// Who requires the package: as chiron recorded it for the target, else
/// every package that lists it among its dependencies.
fn required_by(
    lock: &Pylock,
    package: &LockedPackage,
    recorded: Option<&ChironTargetUse>,
) -> Vec<String> {
    match recorded {
        Some(r) => r.required_by.clone(),
        None => lock
            .packages
            .iter()
            .filter(|p| p.dependencies.iter().any(|d| d.name == package.name))
            .map(|p| p.name.clone())
            .collect(),
    }
}

/// The names of the targets chiron recorded in a lock it wrote
/// (`3.12-linux-x86_64`, ...), sorted; empty for a lock another tool wrote.
pub fn recorded_targets(lock: &Pylock) -> Vec<String> {
    let names: std::collections::BTreeSet<String> = lock
        .packages
        .iter()
        .filter_map(|p| p.tool.as_ref()?.chiron.as_ref())
        .flat_map(|c| c.targets.keys().cloned())
        .collect();
    names.into_iter().collect()
}

/// A target outside the lock's `requires-python` or `environments` is an
/// error: the lock says nothing about what it would install.
fn check_lock_covers(lock: &Pylock, target: &Target) -> Result<(), String> {
    if let Some(requires) = &lock.requires_python {
        let specifiers = pep440_rs::VersionSpecifiers::from_str(requires)
            .map_err(|e| format!("bad requires-python `{requires}`: {e}"))?;
        let python = pep440_rs::Version::from_str(&target.python.to_string())
            .map_err(|e| format!("bad Python version: {e}"))?;
        if !specifiers.contains(&python) {
            return Err(format!(
                "the lock is for Python {requires}, not target {}",
                target.name()
            ));
        }
    }
    if !lock.environments.is_empty() {
        let mut covered = false;
        for environment in &lock.environments {
            let tree = pep508_rs::MarkerTree::from_str(environment)
                .map_err(|e| format!("bad environment marker `{environment}`: {e}"))?;
            covered |= tree.evaluate(target.markers(), &[]);
        }
        if !covered {
            return Err(format!(
                "no environment of the lock ({}) matches target {}",
                lock.environments.join("; "),
                target.name()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploaded_file_joins_only_the_release_the_lock_pins() {
        let text = format!(
            "lock-version = \"1.0\"\ncreated-by = \"chiron\"\n\n[[packages]]\nname = \"Lib\"\nversion = \"2.0\"\n\n[[packages.wheels]]\nname = \"lib-2.0-py3-none-any.whl\"\npath = \"wheels/lib-2.0-py3-none-any.whl\"\nhashes = {{ sha256 = \"{}\" }}\n",
            "a".repeat(64)
        );
        let name = pep508_rs::PackageName::from_str("lib").unwrap();
        let file = |filename: &str| ManifestFile {
            filename: filename.into(),
            sha256: Some(crate::digest::Sha256::of(filename.as_bytes())),
            size: 3,
            url: String::new(),
            index: "upload".into(),
            yanked: false,
            targets: Vec::new(),
            upload_time: None,
        };
        let version = |v: &str| pep440_rs::Version::from_str(v).unwrap();
        let sdist = file("lib-2.0.tar.gz");
        let added = add_file(&text, &name, &version("2.0.0"), &sdist)
            .unwrap()
            .expect("lib 2.0 is pinned");
        let lock: Pylock = toml::from_str(&added).unwrap();
        let table = lock.packages[0].sdist.as_ref().unwrap();
        assert_eq!(table["path"].as_str(), Some("wheels/lib-2.0.tar.gz"));
        assert_eq!(
            table["hashes"]["sha256"].as_str(),
            Some(sdist.sha256_text().as_str())
        );
        assert!(table.get("url").is_none());
        // Listed already, another version, another project: unchanged.
        assert_eq!(
            add_file(&added, &name, &version("2.0"), &sdist).unwrap(),
            None
        );
        assert_eq!(
            add_file(&text, &name, &version("2.1"), &sdist).unwrap(),
            None
        );
        let other = pep508_rs::PackageName::from_str("other").unwrap();
        assert_eq!(
            add_file(&text, &other, &version("2.0"), &sdist).unwrap(),
            None
        );
        // A wheel for another platform joins the wheels, sorted.
        let wheel = file("lib-2.0-cp312-cp312-manylinux_2_17_x86_64.whl");
        let added = add_file(&text, &name, &version("2.0"), &wheel)
            .unwrap()
            .unwrap();
        let lock: Pylock = toml::from_str(&added).unwrap();
        let names: Vec<String> = lock.packages[0]
            .wheels
            .iter()
            .filter_map(LockedWheel::filename)
            .collect();
        assert_eq!(names, [wheel.filename.as_str(), "lib-2.0-py3-none-any.whl"]);
    }
    use crate::python::target::Floors;
    use crate::python::version::PythonVersion;

    fn target(minor: u8, platform: &str) -> Target {
        Target::new(
            PythonVersion::new(3, minor),
            platform.parse().unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_lock_covers_only_its_pythons_and_environments() {
        let mut lock: Pylock = toml::from_str(
            "lock-version = \"1.0\"\nrequires-python = \">=3.11\"\n\
             environments = [\"sys_platform == 'linux'\", \"sys_platform == 'darwin'\"]\n",
        )
        .unwrap();
        assert!(check_lock_covers(&lock, &target(12, "linux-x86_64")).is_ok());
        assert!(check_lock_covers(&lock, &target(12, "macos-arm64")).is_ok());
        let error = check_lock_covers(&lock, &target(10, "linux-x86_64")).unwrap_err();
        assert!(
            error.contains(">=3.11") && error.contains("3.10"),
            "{error}"
        );
        let error = check_lock_covers(&lock, &target(12, "windows-x86_64")).unwrap_err();
        assert!(error.contains("no environment"), "{error}");
        lock.environments = vec!["python_version >".into()];
        assert!(check_lock_covers(&lock, &target(12, "linux-x86_64")).is_err());
    }

    #[test]
    fn locked_versions_follow_recorded_targets_then_markers() {
        let lock: Pylock = toml::from_str(
            r#"
lock-version = "1.0"

[[packages]]
name = "Recorded_Pkg"
version = "1.0"
marker = "sys_platform == 'win32'"
[packages.tool.chiron.targets."3.12-linux-x86_64"]
file = "recorded_pkg-1.0-py3-none-any.whl"

[[packages]]
name = "winonly"
version = "2.0"
marker = "sys_platform == 'win32'"

[[packages]]
name = "everywhere"
version = "3.0"

[[packages]]
name = "bad-version"
version = "not a version"
"#,
        )
        .unwrap();
        let linux = locked_versions(&lock, &target(12, "linux-x86_64"));
        let names: Vec<String> = linux.iter().map(|(n, v)| format!("{n}=={v}")).collect();
        // The recorded target wins over the marker; unparsable pins are no preference.
        assert_eq!(names, ["everywhere==3.0", "recorded-pkg==1.0"]);
        let windows = locked_versions(&lock, &target(12, "windows-x86_64"));
        let names: Vec<String> = windows.iter().map(|(n, v)| format!("{n}=={v}")).collect();
        assert_eq!(names, ["everywhere==3.0", "winonly==2.0"]);
    }
    /// Writes `text` as a `pylock.toml` in a fresh folder and reads it.
    fn read(text: &str) -> (tempfile::TempDir, Result<Pylock, PylockError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pylock.toml");
        std::fs::write(&path, text).unwrap();
        let read = read_pylock(&path);
        (dir, read)
    }

    #[test]
    fn malformed_locks_are_refused_naming_the_file_and_package() {
        let cases = [
            ("lock-version = ", "not a PEP 751 lock: "),
            (
                "lock-version = \"2.0\"\n",
                "lock-version 2.0 is not supported (chiron reads 1.x)",
            ),
            (
                "lock-version = \"1.0\"\n[[packages]]\nname = \"demo\"\n",
                "package demo has no version",
            ),
            (
                "lock-version = \"1.0\"\n[[packages]]\nname = \"demo\"\nversion = \"1.0\"\n\
                 [[packages.wheels]]\nname = \"demo-1.0-py3-none-any.whl\"\nhashes = { md5 = \"x\" }\n",
                "a wheel of demo has no sha256 hash",
            ),
        ];
        for (text, expected) in cases {
            let (dir, read) = read(text);
            let error = read.unwrap_err();
            assert_eq!(error.path, dir.path().join("pylock.toml"));
            assert!(error.message.starts_with(expected), "{}", error.message);
        }
        let error = read_pylock(Path::new("/nonexistent/pylock.toml")).unwrap_err();
        assert!(
            error.message.starts_with("cannot read: "),
            "{}",
            error.message
        );
    }

    const FOREIGN: &str = r#"
lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "winonly"
version = "1.0"
marker = "sys_platform == 'win32'"
wheels = [{ name = "winonly-1.0-py3-none-any.whl", url = "https://example.test/winonly-1.0-py3-none-any.whl", hashes = { sha256 = "aa" } }]

[[packages]]
name = "native"
version = "2.0"
index = "https://example.test/simple"
dependencies = [{ name = "local" }]
wheels = [
    { name = "native-2.0-py3-none-any.whl", url = "https://example.test/native-2.0-py3-none-any.whl", hashes = { sha256 = "bb" } },
    { name = "native-2.0-cp312-cp312-manylinux_2_17_x86_64.whl", url = "https://example.test/native-2.0-cp312-cp312-manylinux_2_17_x86_64.whl", hashes = { sha256 = "cc" } },
    { name = "native-2.0-cp312-cp312-win_amd64.whl", url = "https://example.test/native-2.0-cp312-cp312-win_amd64.whl", hashes = { sha256 = "dd" } },
]

[[packages]]
name = "local"
version = "3.0"
wheels = [{ path = "files/local-3.0-py3-none-any.whl", hashes = { sha256 = "ee" }, size = 12 }]

[[packages]]
name = "source-only"
version = "4.0"
sdist = { url = "https://example.test/source_only-4.0.tar.gz", hashes = { sha256 = "ff" } }
"#;

    #[test]
    fn a_target_gets_the_packages_whose_markers_hold_and_the_wheel_it_prefers() {
        let lock: Pylock = toml::from_str(FOREIGN).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let lock_path = dir.path().join("pylock.toml");
        let pins = pins_for_target(&lock, &lock_path, &target(12, "linux-x86_64")).unwrap();
        let summary: Vec<(&str, &str, bool, &str)> = pins
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.file.filename.as_str(),
                    p.wheel.is_some(),
                    p.file.source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "native",
                    "native-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                    true,
                    "https://example.test/simple"
                ),
                ("local", "local-3.0-py3-none-any.whl", true, ""),
                ("source-only", "source_only-4.0.tar.gz", false, ""),
            ]
        );
        assert_eq!(pins[0].file.sha256(), Some("cc"));
        assert!(pins[0].required_by.is_empty());
        // Without chiron's record, the parents come from `dependencies`.
        assert_eq!(pins[1].required_by, ["native"]);
        let local = url::Url::parse(&pins[1].file.url).unwrap();
        assert_eq!(
            local.to_file_path().unwrap(),
            std::path::absolute(dir.path().join("files/local-3.0-py3-none-any.whl")).unwrap()
        );
        assert_eq!(pins[1].file.size, Some(12));
        let windows = pins_for_target(&lock, &lock_path, &target(12, "windows-x86_64")).unwrap();
        let files: Vec<&str> = windows.iter().map(|p| p.file.filename.as_str()).collect();
        assert_eq!(
            files,
            [
                "winonly-1.0-py3-none-any.whl",
                "native-2.0-cp312-cp312-win_amd64.whl",
                "local-3.0-py3-none-any.whl",
                "source_only-4.0.tar.gz",
            ]
        );
    }

    #[test]
    fn a_pin_that_cannot_be_installed_is_an_error_naming_the_package() {
        let base = "lock-version = \"1.0\"\n[[packages]]\nname = \"demo\"\nversion = \"1.0\"\n";
        let cases = [
            (
                "marker = \"python_version >\"\n",
                "package demo: bad marker `python_version >`: ",
            ),
            (
                "wheels = [{ name = \"demo-1.0-cp312-cp312-win_amd64.whl\", url = \"https://x.test/a\", hashes = { sha256 = \"aa\" } }]\n",
                "the lock has no wheel of demo 1.0 for target 3.12-linux-x86_64",
            ),
            (
                "wheels = [{ name = \"demo-1.0-py3-none-any.whl\", hashes = { sha256 = \"aa\" } }]\n",
                "a wheel of demo has neither url nor path",
            ),
            (
                "sdist = { url = \"https://x.test/..\", hashes = { sha256 = \"aa\" } }\n",
                "refusing the file name `..`",
            ),
        ];
        for (extra, expected) in cases {
            let lock: Pylock = toml::from_str(&format!("{base}{extra}")).unwrap();
            let error = pins_for_target(
                &lock,
                Path::new("/locks/pylock.toml"),
                &target(12, "linux-x86_64"),
            )
            .unwrap_err();
            assert_eq!(error.path, Path::new("/locks/pylock.toml"));
            assert!(error.message.starts_with(expected), "{}", error.message);
        }
    }

    #[test]
    fn a_package_is_marked_with_the_targets_that_install_it() {
        let all: Vec<String> = ["a", "b", "c"].iter().map(|m| m.to_string()).collect();
        assert_eq!(package_marker(&all, &all), None);
        assert_eq!(package_marker(&all[1..2], &all), Some("b".into()));
        assert_eq!(package_marker(&all[..2], &all), Some("(a) or (b)".into()));
    }

    /// A wheelhouse for Linux and Windows: `app` on both, and `winlib`,
    /// which `app` requires, only on Windows and from its sdist.
    fn two_target_manifest(linux: &Target, windows: &Target) -> Manifest {
        let file = |name: &str, sha256: &str| {
            serde_json::json!({
                "filename": name, "sha256": sha256, "size": 0,
                "url": format!("https://example.test/{name}"),
                "index": "https://example.test/simple", "yanked": false, "targets": [],
                "upload_time": "2024-05-01T10:00:00Z",
            })
        };
        let app = serde_json::json!({ "file": "app-1.0-py3-none-any.whl", "required_by": ["direct"], "extras": [] });
        let winlib = serde_json::json!({ "file": "winlib-1.0.tar.gz", "required_by": ["app"], "extras": [] });
        let package = |name: &str, targets: serde_json::Value| {
            serde_json::json!({
                "name": name, "version": "1.0", "license": null, "summary": null,
                "requires_dist": [], "targets": targets,
            })
        };
        serde_json::from_value(serde_json::json!({
            "manifest_version": 1,
            "tool": { "name": "chiron", "version": "0" },
            "inputs": {
                "fingerprint": "", "files": [], "requirements": [], "constraints": [],
                "indexes": [], "find_links": [], "allow_prereleases": false, "exclude_newer": null,
            },
            "targets": [],
            "packages": [
                package("app", serde_json::json!({ linux.name(): app, windows.name(): app })),
                package("winlib", serde_json::json!({ windows.name(): winlib })),
            ],
            "files": [file("app-1.0-py3-none-any.whl", &"aa".repeat(32)), file("winlib-1.0.tar.gz", &"bb".repeat(32))],
        }))
        .unwrap()
    }

    #[test]
    fn a_rendered_lock_reads_back_to_the_same_files_per_target() {
        let (linux, windows) = (target(12, "linux-x86_64"), target(12, "windows-x86_64"));
        let manifest = two_target_manifest(&linux, &windows);
        let text = render_pylock(&manifest, &[linux.clone(), windows.clone()], None);
        let lock: Pylock = toml::from_str(&text).unwrap();
        assert_eq!(lock.environments.len(), 2);
        assert_eq!(lock.packages[0].marker, None);
        assert_eq!(
            lock.packages[1].marker.as_deref(),
            Some(windows.marker_expression().as_str())
        );
        let dependencies: Vec<&str> = lock.packages[0]
            .dependencies
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(dependencies, ["winlib"]);
        let pins = |t: &Target| -> Vec<String> {
            pins_for_target(&lock, Path::new("pylock.toml"), t)
                .unwrap()
                .into_iter()
                .map(|p| format!("{} via {}", p.file.filename, p.required_by.join(",")))
                .collect()
        };
        assert_eq!(pins(&linux), ["app-1.0-py3-none-any.whl via direct"]);
        assert_eq!(
            pins(&windows),
            [
                "app-1.0-py3-none-any.whl via direct",
                "winlib-1.0.tar.gz via app"
            ]
        );
    }

    #[test]
    fn a_relocated_lock_points_every_file_into_the_folder() {
        let (linux, windows) = (target(12, "linux-x86_64"), target(12, "windows-x86_64"));
        let text = render_pylock(
            &two_target_manifest(&linux, &windows),
            &[linux, windows],
            Some(""),
        );
        let lock: Pylock = toml::from_str(&text).unwrap();
        assert_eq!(
            lock.packages[0].wheels[0].path.as_deref(),
            Some("app-1.0-py3-none-any.whl")
        );
        let relocated: Pylock = toml::from_str(&relocate(&text, "wheels/").unwrap()).unwrap();
        assert_eq!(
            relocated.packages[0].wheels[0].path.as_deref(),
            Some("wheels/app-1.0-py3-none-any.whl")
        );
        assert_eq!(
            relocated.packages[1].sdist.as_ref().unwrap()["path"].as_str(),
            Some("wheels/winlib-1.0.tar.gz")
        );
        assert_eq!(
            relocated.packages[0].wheels[0].url,
            lock.packages[0].wheels[0].url
        );
    }
}
