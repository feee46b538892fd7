//! PEP 751 `pylock.toml`: written for every wheelhouse (all targets in one
//! file, each package guarded by the markers of the targets that need it),
//! and read back as an input that is installed as it is, without resolving.
//!
//! chiron keeps what PEP 751 has no field for (which target installs which
//! file, and why) in `[packages.tool.chiron]`, so a lock read back gives the
//! same wheelhouse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::LockedPin;
use crate::manifest::Manifest;
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
        self.name.clone().or_else(|| {
            let location = self.url.as_deref().or(self.path.as_deref())?;
            let last = location.rsplit(['/', '\\']).next()?;
            Some(crate::index::percent_decode(last.split(['#', '?']).next()?))
        })
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

impl crate::error::Diagnose for PylockError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        None
    }
}

/// The lock of a wheelhouse: one package entry per name and version, with
/// the wheels its targets install and the markers of those targets.
/// The lock of a wheelhouse. `files_at` says where its files are, relative
/// to the lock: `None` when they are only on the index (`chiron lock`),
/// else a folder prefix (`""` beside the lock in a wheelhouse, `"wheels/"`
/// in a bundle), written as PEP 751 `path` beside the original `url`, so
/// that pip and uv install from the unpacked wheelhouse or bundle offline.
pub fn render_pylock(manifest: &Manifest, targets: &[Target], files_at: Option<&str>) -> String {
    let markers: BTreeMap<String, String> = targets
        .iter()
        .map(|t| (t.name(), t.marker_expression()))
        .collect();
    let files: BTreeMap<&str, &crate::manifest::ManifestFile> = manifest
        .files
        .iter()
        .map(|f| (f.filename.as_str(), f))
        .collect();
    let all_markers: Vec<String> = {
        let mut list: Vec<String> = markers.values().cloned().collect();
        list.sort();
        list.dedup();
        list
    };
    let packages = manifest
        .packages
        .iter()
        .map(|package| {
            let mut used: Vec<String> = package
                .targets
                .keys()
                .filter_map(|t| markers.get(t).cloned())
                .collect();
            used.sort();
            used.dedup();
            let marker = (used != all_markers).then(|| {
                if used.len() == 1 {
                    used[0].clone()
                } else {
                    used.iter()
                        .map(|m| format!("({m})"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                }
            });
            let is_sdist = |name: &str| !name.ends_with(".whl");
            let sdist = package
                .targets
                .values()
                .filter_map(|u| files.get(u.file.as_str()))
                .find(|f| is_sdist(&f.filename))
                .map(|f| {
                    toml::Value::try_from(file_entry(f, files_at)).expect("a file entry serialises")
                });
            let mut wheels: Vec<LockedWheel> = package
                .targets
                .values()
                .filter_map(|u| files.get(u.file.as_str()))
                .filter(|f| !is_sdist(&f.filename))
                .map(|f| file_entry(f, files_at))
                .collect();
            wheels.sort_by(|a, b| a.name.cmp(&b.name));
            wheels.dedup();
            let index = package
                .targets
                .values()
                .find_map(|u| files.get(u.file.as_str()))
                .map(|f| f.index.clone());
            let mut dependencies: Vec<String> = manifest
                .packages
                .iter()
                .filter(|other| {
                    other
                        .targets
                        .values()
                        .any(|u| u.required_by.iter().any(|r| r == &package.name))
                })
                .map(|other| other.name.clone())
                .collect();
            dependencies.sort();
            dependencies.dedup();
            LockedPackage {
                name: package.name.clone(),
                version: Some(package.version.clone()),
                marker,
                index,
                dependencies: dependencies
                    .into_iter()
                    .map(|name| LockedDependency { name })
                    .collect(),
                wheels,
                sdist,
                tool: Some(PackageTool {
                    chiron: Some(ChironPackageInfo {
                        targets: package
                            .targets
                            .iter()
                            .map(|(target, u)| {
                                (
                                    target.clone(),
                                    ChironTargetUse {
                                        file: u.file.clone(),
                                        required_by: u.required_by.clone(),
                                        extras: u.extras.clone(),
                                    },
                                )
                            })
                            .collect(),
                    }),
                }),
            }
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
fn file_entry(f: &crate::manifest::ManifestFile, files_at: Option<&str>) -> LockedWheel {
    LockedWheel {
        name: Some(f.filename.clone()),
        url: Some(f.url.clone()),
        path: files_at.map(|prefix| format!("{prefix}{}", f.filename)),
        // 0 stands for "the index gave no size" (`chiron lock` does not
        // download to learn it); PEP 751 makes the field optional.
        size: (f.size > 0).then_some(f.size),
        hashes: BTreeMap::from([("sha256".to_string(), f.sha256.clone())]),
        upload_time: f
            .upload_time
            .as_deref()
            .and_then(|t| t.parse::<toml::value::Datetime>().ok())
            .map(toml::Value::Datetime),
    }
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
    use std::str::FromStr;
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
    use std::str::FromStr;
    let error = |message: String| PylockError {
        path: lock_path.to_path_buf(),
        message,
    };
    let lock_dir = lock_path.parent().unwrap_or(Path::new("."));
    check_lock_covers(lock, target).map_err(error)?;
    let mut pins = Vec::new();
    for package in &lock.packages {
        if let Some(marker) = &package.marker {
            let tree = pep508_rs::MarkerTree::from_str(marker).map_err(|e| {
                error(format!(
                    "package {}: bad marker `{marker}`: {e}",
                    package.name
                ))
            })?;
            if !tree.evaluate(target.markers(), &[]) {
                continue;
            }
        }
        let recorded = package
            .tool
            .as_ref()
            .and_then(|t| t.chiron.as_ref())
            .and_then(|c| c.targets.get(&target.name()));
        let mut best: Option<(usize, &LockedWheel, crate::python::filename::WheelFilename)> = None;
        for wheel in &package.wheels {
            let Some(filename) = wheel.filename() else {
                continue;
            };
            let Ok(parsed) = filename.parse::<crate::python::filename::WheelFilename>() else {
                continue;
            };
            if recorded.is_some_and(|r| r.file == filename) {
                best = Some((0, wheel, parsed));
                break;
            }
            if let Some(priority) = target.tags().best(parsed.tags().iter())
                && best.as_ref().is_none_or(|(p, _, _)| priority + 1 < *p)
            {
                best = Some((priority + 1, wheel, parsed));
            }
        }
        let sdist: Option<LockedWheel> = package
            .sdist
            .clone()
            .and_then(|value| LockedWheel::deserialize(value).ok());
        let (wheel, parsed, filename) = match (best, &sdist) {
            (Some((_, wheel, parsed)), _) => {
                let filename = parsed.as_str().to_string();
                (wheel, Some(parsed), filename)
            }
            (None, Some(sdist)) => {
                let filename = sdist
                    .filename()
                    .ok_or_else(|| error(format!("the sdist of {} has no name", package.name)))?;
                (sdist, None, filename)
            }
            (None, None) => {
                return Err(error(format!(
                    "the lock has no wheel of {} {} for target {}",
                    package.name,
                    package.version.as_deref().unwrap_or("?"),
                    target.name()
                )));
            }
        };
        let url = match (&wheel.url, &wheel.path) {
            (Some(url), _) => url.clone(),
            (None, Some(path)) => url::Url::from_file_path(
                std::path::absolute(lock_dir.join(path)).unwrap_or_default(),
            )
            .map(|u| u.to_string())
            .map_err(|_| error(format!("bad path {path}")))?,
            (None, None) => {
                return Err(error(format!(
                    "a wheel of {} has neither url nor path",
                    package.name
                )));
            }
        };
        if filename.contains(['/', '\\']) || filename.starts_with('.') {
            return Err(error(format!("refusing the file name `{filename}`")));
        }
        let file = crate::index::simple::IndexFile {
            filename,
            url,
            hashes: wheel.hashes.clone(),
            requires_python: None,
            yanked: None,
            metadata: None,
            size: wheel.size,
            upload_time: None,
            // A lock without `index` (pip lock, uv pip compile) leaves the
            // source empty: the policy then judges the file by its URL.
            source: package.index.clone().unwrap_or_default(),
        };
        let required_by = match recorded {
            Some(r) => r.required_by.clone(),
            None => lock
                .packages
                .iter()
                .filter(|p| p.dependencies.iter().any(|d| d.name == package.name))
                .map(|p| p.name.clone())
                .collect(),
        };
        pins.push(LockedPin {
            name: package.name.clone(),
            version: package.version.clone().unwrap_or_default(),
            file,
            wheel: parsed,
            required_by,
            extras: recorded.map(|r| r.extras.clone()).unwrap_or_default(),
        });
    }
    Ok(pins)
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
    use std::str::FromStr;
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
}
