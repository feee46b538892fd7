//! Reading uv's `uv.lock` (lock version 1) as an input installed as it is.
//!
//! A `uv.lock` is universal: it holds every package any environment needs,
//! with markers on the dependency edges. For a target, chiron walks the
//! graph from the workspace members (`source = { editable | virtual |
//! directory }`), following the edges whose markers hold in the target's
//! environment, plus the requested extras and dependency groups of the
//! members. Each package reached gets the wheel the target's tags prefer
//! (or its sdist, when allowed). The members themselves are the project,
//! not dependencies, and are left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use super::LockedPin;
use super::pylock::PylockError as LockError;
use crate::index::simple::IndexFile;
use crate::python::filename::WheelFilename;
use crate::python::target::Target;

#[derive(Debug, Deserialize)]
pub struct UvLock {
    pub version: u32,
    #[serde(default, rename = "package")]
    pub packages: Vec<UvPackage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UvPackage {
    pub name: String,
    pub version: Option<String>,
    #[serde(default)]
    pub source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub resolution_markers: Vec<String>,
    #[serde(default)]
    pub dependencies: Vec<UvDependency>,
    #[serde(default)]
    pub optional_dependencies: BTreeMap<String, Vec<UvDependency>>,
    #[serde(default)]
    pub dev_dependencies: BTreeMap<String, Vec<UvDependency>>,
    #[serde(default)]
    pub wheels: Vec<UvFile>,
    pub sdist: Option<UvFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UvDependency {
    pub name: String,
    pub version: Option<String>,
    #[serde(default)]
    pub extra: Vec<String>,
    pub marker: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UvFile {
    #[serde(default, rename = "upload-time")]
    pub upload_time: Option<toml::Value>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub filename: Option<String>,
    pub hash: Option<String>,
    pub size: Option<u64>,
}

impl UvPackage {
    fn is_member(&self) -> bool {
        ["editable", "virtual", "directory"]
            .iter()
            .any(|k| self.source.contains_key(*k))
    }

    fn registry(&self) -> Option<String> {
        self.source
            .get("registry")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }
}

use crate::python::normalize;

/// Reads a `uv.lock`.
pub fn read_uv_lock(path: &Path) -> Result<UvLock, LockError> {
    let error = |message: String| LockError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    let lock: UvLock =
        toml::from_str(&text).map_err(|e| error(format!("not a uv.lock: {}", e.message())))?;
    if lock.version != 1 {
        return Err(error(format!(
            "uv.lock version {} is not supported (chiron reads 1)",
            lock.version
        )));
    }
    Ok(lock)
}

/// The version the lock pins for every package `target` may install (for
/// keeping pins, not installing): a package locked once, at that version;
/// one locked in several versions, at the one whose resolution markers
/// hold for the target. Workspace members are not pins.
pub fn locked_versions(
    lock: &UvLock,
    target: &Target,
) -> BTreeMap<pep508_rs::PackageName, pep440_rs::Version> {
    let mut by_name: BTreeMap<String, Vec<&UvPackage>> = BTreeMap::new();
    for package in lock.packages.iter().filter(|p| !p.is_member()) {
        by_name
            .entry(normalize(&package.name))
            .or_default()
            .push(package);
    }
    let mut out = BTreeMap::new();
    for (name, versions) in by_name {
        let chosen = match versions.as_slice() {
            [only] => Some(*only),
            several => several.iter().copied().find(|p| {
                p.resolution_markers.iter().any(|m| {
                    pep508_rs::MarkerTree::from_str(m)
                        .is_ok_and(|tree| tree.evaluate(target.markers(), &[]))
                })
            }),
        };
        let version = chosen
            .and_then(|p| p.version.as_deref())
            .and_then(|v| pep440_rs::Version::from_str(v).ok());
        if let (Ok(name), Some(version)) = (pep508_rs::PackageName::from_str(&name), version) {
            out.insert(name, version);
        }
    }
    out
}

/// What `target` installs from the lock, with `extras` and `groups` of the
/// workspace members.
pub fn pins_for_target(
    lock: &UvLock,
    path: &Path,
    target: &Target,
    extras: &[String],
    groups: &[String],
    allow_sdist: bool,
) -> Result<Vec<LockedPin>, LockError> {
    let error = |message: String| LockError {
        path: path.to_path_buf(),
        message,
    };
    let holds = |marker: &Option<String>| -> Result<bool, LockError> {
        match marker {
            None => Ok(true),
            Some(text) => pep508_rs::MarkerTree::from_str(text)
                .map(|tree| tree.evaluate(target.markers(), &[]))
                .map_err(|e| error(format!("bad marker `{text}`: {e}"))),
        }
    };
    // The package an edge points to: by name, then version, then the
    // resolution markers of a forked package.
    let find = |dependency: &UvDependency| -> Result<usize, LockError> {
        let named: Vec<usize> = (0..lock.packages.len())
            .filter(|&i| normalize(&lock.packages[i].name) == normalize(&dependency.name))
            .filter(|&i| {
                dependency.version.is_none() || lock.packages[i].version == dependency.version
            })
            .collect();
        if named.len() <= 1 {
            return named
                .first()
                .copied()
                .ok_or_else(|| error(format!("the lock has no package {}", dependency.name)));
        }
        for &i in &named {
            let markers = &lock.packages[i].resolution_markers;
            if markers.is_empty() {
                continue;
            }
            for marker in markers {
                if holds(&Some(marker.clone()))? {
                    return Ok(i);
                }
            }
        }
        Err(error(format!(
            "several versions of {} are locked and none is marked for target {}",
            dependency.name,
            target.name()
        )))
    };

    let mut queue: VecDeque<(usize, BTreeSet<String>, String)> = VecDeque::new();
    let wanted_extras: BTreeSet<String> = extras.iter().map(|e| normalize(e)).collect();
    let wanted_groups: BTreeSet<String> = groups.iter().map(|g| normalize(g)).collect();
    for member in &lock.packages {
        if member.is_member() {
            let mut edges: Vec<&UvDependency> = member.dependencies.iter().collect();
            for (extra, list) in &member.optional_dependencies {
                if wanted_extras.contains(&normalize(extra)) {
                    edges.extend(list);
                }
            }
            for (group, list) in &member.dev_dependencies {
                if wanted_groups.contains(&normalize(group)) {
                    edges.extend(list);
                }
            }
            for edge in edges {
                if holds(&edge.marker)? {
                    let to = find(edge)?;
                    if !lock.packages[to].is_member() {
                        queue.push_back((
                            to,
                            edge.extra.iter().cloned().collect(),
                            "direct".into(),
                        ));
                    }
                }
            }
        }
    }
    // package index -> (extras, required_by)
    let mut reached: BTreeMap<usize, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut expanded: BTreeSet<(usize, String)> = BTreeSet::new();
    while let Some((i, extras, from)) = queue.pop_front() {
        let entry = reached.entry(i).or_default();
        entry.1.insert(from);
        entry.0.extend(extras.iter().cloned());
        let package = &lock.packages[i];
        let mut edges: Vec<&UvDependency> = Vec::new();
        if expanded.insert((i, String::new())) {
            edges.extend(&package.dependencies);
        }
        for extra in &extras {
            if expanded.insert((i, normalize(extra)))
                && let Some(list) = package
                    .optional_dependencies
                    .iter()
                    .find(|(k, _)| normalize(k) == normalize(extra))
                    .map(|(_, v)| v)
            {
                edges.extend(list);
            }
        }
        for edge in edges {
            if holds(&edge.marker)? {
                let to = find(edge)?;
                if !lock.packages[to].is_member() {
                    queue.push_back((
                        to,
                        edge.extra.iter().cloned().collect(),
                        package.name.clone(),
                    ));
                }
            }
        }
    }

    let lock_dir = path.parent().unwrap_or(Path::new("."));
    let mut pins = Vec::new();
    for (i, (extras, required_by)) in reached {
        let package = &lock.packages[i];
        let version = package
            .version
            .clone()
            .ok_or_else(|| error(format!("package {} has no version", package.name)))?;
        let mut best: Option<(usize, &UvFile, WheelFilename)> = None;
        for wheel in &package.wheels {
            let Some(filename) = file_name(wheel) else {
                continue;
            };
            let Ok(parsed) = filename.parse::<WheelFilename>() else {
                continue;
            };
            if let Some(priority) = target.tags().best(parsed.tags().iter())
                && best.as_ref().is_none_or(|(p, _, _)| priority < *p)
            {
                best = Some((priority, wheel, parsed));
            }
        }
        let (file, wheel) = match (best, &package.sdist) {
            (Some((_, file, parsed)), _) => (file, Some(parsed)),
            (None, Some(sdist)) if allow_sdist => (sdist, None),
            _ => {
                return Err(error(format!(
                    "the lock has no wheel of {} {version} for target {}{}",
                    package.name,
                    target.name(),
                    if package.sdist.is_some() {
                        " (only its sdist: pass --allow-sdist)"
                    } else {
                        ""
                    }
                )));
            }
        };
        let filename = file_name(file)
            .ok_or_else(|| error(format!("a file of {} has no name", package.name)))?;
        if filename.contains(['/', '\\']) || filename.starts_with('.') {
            return Err(error(format!("refusing the file name `{filename}`")));
        }
        let sha256 = file
            .hash
            .as_deref()
            .and_then(|h| h.strip_prefix("sha256:"))
            .ok_or_else(|| error(format!("{filename} has no sha256 hash in the lock")))?;
        let url = match (&file.url, &file.path) {
            (Some(url), _) => url.clone(),
            (None, Some(relative)) => url::Url::from_file_path(
                std::path::absolute(lock_dir.join(relative)).unwrap_or_default(),
            )
            .map(|u| u.to_string())
            .map_err(|_| error(format!("bad path {relative}")))?,
            (None, None) => return Err(error(format!("{filename} has neither url nor path"))),
        };
        pins.push(LockedPin {
            name: package.name.clone(),
            version,
            file: IndexFile {
                filename,
                url,
                hashes: BTreeMap::from([("sha256".to_string(), sha256.to_ascii_lowercase())]),
                requires_python: None,
                yanked: None,
                metadata: None,
                size: file.size,
                upload_time: None,
                source: package
                    .registry()
                    .unwrap_or_else(|| path.display().to_string()),
            },
            wheel,
            required_by: required_by.into_iter().collect(),
            extras: extras.into_iter().collect(),
        });
    }
    Ok(pins)
}

fn file_name(file: &UvFile) -> Option<String> {
    file.filename.clone().or_else(|| {
        let location = file.url.as_deref().or(file.path.as_deref())?;
        let last = location.rsplit(['/', '\\']).next()?;
        Some(crate::index::percent_decode(last.split(['#', '?']).next()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_versions_pick_the_fork_whose_markers_hold() {
        let lock: UvLock = toml::from_str(
            r#"
version = 1

[[package]]
name = "demo"
version = "0.1"
source = { editable = "." }

[[package]]
name = "Lib"
version = "1.0"
source = { registry = "https://example.test/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://example.test/simple" }
resolution-markers = ["python_full_version < '3.12'"]

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://example.test/simple" }
resolution-markers = ["python_full_version >= '3.12'"]
"#,
        )
        .unwrap();
        let target = |python: &str| {
            use crate::python::target::{Floors, Platform};
            use crate::python::version::PythonVersion;
            Target::new(
                PythonVersion::from_str(python).unwrap(),
                Platform::from_str("linux-x86_64").unwrap(),
                Floors::default(),
            )
            .unwrap()
        };
        let pins = |python: &str| -> Vec<String> {
            locked_versions(&lock, &target(python))
                .iter()
                .map(|(n, v)| format!("{n}=={v}"))
                .collect()
        };
        assert_eq!(pins("3.11"), ["lib==1.0", "numpy==1.26.4"]);
        assert_eq!(pins("3.12"), ["lib==1.0", "numpy==2.1.0"]);
    }
}
