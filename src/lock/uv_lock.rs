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
    let graph = Graph { lock, target };
    let roots = graph.member_edges(extras, groups).map_err(error)?;
    let reached = graph.walk(roots).map_err(error)?;
    let choice = FileChoice {
        target,
        allow_sdist,
        lock_path: path,
    };
    reached
        .into_iter()
        .map(|(i, reach)| choice.pin(&lock.packages[i], reach).map_err(error))
        .collect()
}

/// The lock's packages as a graph, seen from one target: an edge is
/// followed where its marker holds there.
struct Graph<'l> {
    lock: &'l UvLock,
    target: &'l Target,
}

/// An edge to follow: the package it leads to (by index), the extras it
/// asks for, and who asks (`direct` for a workspace member).
struct Step {
    package: usize,
    extras: BTreeSet<String>,
    from: String,
}

/// A package reached: its extras and the packages that require it.
#[derive(Default)]
struct Reach {
    extras: BTreeSet<String>,
    required_by: BTreeSet<String>,
}

impl Graph<'_> {
    fn holds(&self, marker: Option<&str>) -> Result<bool, String> {
        match marker {
            None => Ok(true),
            Some(text) => pep508_rs::MarkerTree::from_str(text)
                .map(|tree| tree.evaluate(self.target.markers(), &[]))
                .map_err(|e| format!("bad marker `{text}`: {e}")),
        }
    }

    /// The package an edge points to: by name, then version, then the
    /// resolution markers of a forked package.
    fn find(&self, dependency: &UvDependency) -> Result<usize, String> {
        let packages = &self.lock.packages;
        let named: Vec<usize> = (0..packages.len())
            .filter(|&i| normalize(&packages[i].name) == normalize(&dependency.name))
            .filter(|&i| dependency.version.is_none() || packages[i].version == dependency.version)
            .collect();
        if named.len() <= 1 {
            return named
                .first()
                .copied()
                .ok_or_else(|| format!("the lock has no package {}", dependency.name));
        }
        for &i in &named {
            for marker in &packages[i].resolution_markers {
                if self.holds(Some(marker))? {
                    return Ok(i);
                }
            }
        }
        Err(format!(
            "several versions of {} are locked and none is marked for target {}",
            dependency.name,
            self.target.name()
        ))
    }

    /// The steps along `edges` whose markers hold, to packages that are
    /// not workspace members.
    fn follow(
        &self,
        edges: &[&UvDependency],
        from: &str,
        queue: &mut VecDeque<Step>,
    ) -> Result<(), String> {
        for edge in edges {
            if self.holds(edge.marker.as_deref())? {
                let to = self.find(edge)?;
                if !self.lock.packages[to].is_member() {
                    queue.push_back(Step {
                        package: to,
                        extras: edge.extra.iter().cloned().collect(),
                        from: from.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The first steps: the workspace members' dependencies, with the
    /// requested extras and dependency groups.
    fn member_edges(&self, extras: &[String], groups: &[String]) -> Result<VecDeque<Step>, String> {
        let wanted_extras: BTreeSet<String> = extras.iter().map(|e| normalize(e)).collect();
        let wanted_groups: BTreeSet<String> = groups.iter().map(|g| normalize(g)).collect();
        let mut queue = VecDeque::new();
        for member in self.lock.packages.iter().filter(|p| p.is_member()) {
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
            self.follow(&edges, "direct", &mut queue)?;
        }
        Ok(queue)
    }

    /// Every package reached from the first steps, by index; each
    /// package's dependencies, and those of each of its extras, are
    /// followed once.
    fn walk(&self, mut queue: VecDeque<Step>) -> Result<BTreeMap<usize, Reach>, String> {
        let mut reached: BTreeMap<usize, Reach> = BTreeMap::new();
        let mut expanded: BTreeSet<(usize, String)> = BTreeSet::new();
        while let Some(step) = queue.pop_front() {
            let entry = reached.entry(step.package).or_default();
            entry.required_by.insert(step.from);
            entry.extras.extend(step.extras.iter().cloned());
            let package = &self.lock.packages[step.package];
            let mut edges: Vec<&UvDependency> = Vec::new();
            if expanded.insert((step.package, String::new())) {
                edges.extend(&package.dependencies);
            }
            for extra in &step.extras {
                if expanded.insert((step.package, normalize(extra)))
                    && let Some(list) = package
                        .optional_dependencies
                        .iter()
                        .find(|(k, _)| normalize(k) == normalize(extra))
                        .map(|(_, v)| v)
                {
                    edges.extend(list);
                }
            }
            self.follow(&edges, &package.name, &mut queue)?;
        }
        Ok(reached)
    }
}

/// How a reached package's file is chosen, and where relative paths are.
struct FileChoice<'a> {
    target: &'a Target,
    allow_sdist: bool,
    lock_path: &'a Path,
}

impl FileChoice<'_> {
    /// The pin of a reached package: the wheel the target's tags prefer
    /// (or its sdist, when allowed), with its sha256 and location.
    fn pin(&self, package: &UvPackage, reach: Reach) -> Result<LockedPin, String> {
        let version = package
            .version
            .clone()
            .ok_or_else(|| format!("package {} has no version", package.name))?;
        let (file, wheel) = match (self.best_wheel(package), &package.sdist) {
            (Some((file, parsed)), _) => (file, Some(parsed)),
            (None, Some(sdist)) if self.allow_sdist => (sdist, None),
            _ => {
                return Err(format!(
                    "the lock has no wheel of {} {version} for target {}{}",
                    package.name,
                    self.target.name(),
                    if package.sdist.is_some() {
                        " (only its sdist: pass --allow-sdist)"
                    } else {
                        ""
                    }
                ));
            }
        };
        let filename =
            file_name(file).ok_or_else(|| format!("a file of {} has no name", package.name))?;
        super::check_file_name(&filename)?;
        let sha256 = file
            .hash
            .as_deref()
            .and_then(|h| h.strip_prefix("sha256:"))
            .ok_or_else(|| format!("{filename} has no sha256 hash in the lock"))?;
        let lock_dir = self.lock_path.parent().unwrap_or(Path::new("."));
        let url = match (&file.url, &file.path) {
            (Some(url), _) => url.clone(),
            (None, Some(relative)) => super::path_url(lock_dir, relative)?,
            (None, None) => return Err(format!("{filename} has neither url nor path")),
        };
        Ok(LockedPin {
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
                    .unwrap_or_else(|| self.lock_path.display().to_string()),
            },
            wheel,
            required_by: reach.required_by.into_iter().collect(),
            extras: reach.extras.into_iter().collect(),
        })
    }

    /// The wheel whose tags the target prefers most (the first of equals).
    fn best_wheel<'p>(&self, package: &'p UvPackage) -> Option<(&'p UvFile, WheelFilename)> {
        let mut best: Option<(usize, &UvFile, WheelFilename)> = None;
        for wheel in &package.wheels {
            let Some(filename) = file_name(wheel) else {
                continue;
            };
            let Ok(parsed) = filename.parse::<WheelFilename>() else {
                continue;
            };
            if let Some(priority) = self.target.tags().best(parsed.tags().iter())
                && best.as_ref().is_none_or(|(p, _, _)| priority < *p)
            {
                best = Some((priority, wheel, parsed));
            }
        }
        best.map(|(_, wheel, parsed)| (wheel, parsed))
    }
}

fn file_name(file: &UvFile) -> Option<String> {
    file.filename
        .clone()
        .or_else(|| super::location_file_name(file.url.as_deref().or(file.path.as_deref())?))
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
    fn target(python: &str, platform: &str) -> Target {
        use crate::python::target::{Floors, Platform};
        use crate::python::version::PythonVersion;
        Target::new(
            PythonVersion::from_str(python).unwrap(),
            Platform::from_str(platform).unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    #[test]
    fn malformed_uv_locks_are_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uv.lock");
        for (text, expected) in [
            ("version = ", "not a uv.lock: "),
            (
                "[[package]]\nname = \"x\"\n",
                "not a uv.lock: missing field `version`",
            ),
            (
                "version = 2\n",
                "uv.lock version 2 is not supported (chiron reads 1)",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let error = read_uv_lock(&path).unwrap_err();
            assert_eq!(error.path, path);
            assert!(error.message.starts_with(expected), "{}", error.message);
        }
    }

    const WORKSPACE: &str = r#"
version = 1

[[package]]
name = "app"
version = "0.1"
source = { editable = "." }
dependencies = [
    { name = "winonly", marker = "sys_platform == 'win32'" },
    { name = "lib", extra = ["fast"] },
    { name = "numpy" },
]
[package.dev-dependencies]
dev = [{ name = "tester" }]

[[package]]
name = "winonly"
version = "1.0"
source = { registry = "https://example.test/simple" }
wheels = [{ url = "https://example.test/winonly-1.0-py3-none-any.whl", hash = "sha256:AA" }]

[[package]]
name = "lib"
version = "2.0"
source = { registry = "https://example.test/simple" }
wheels = [
    { url = "https://example.test/lib-2.0-py3-none-any.whl", hash = "sha256:bb" },
    { url = "https://example.test/lib-2.0-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "sha256:cc" },
]
[package.optional-dependencies]
fast = [{ name = "speedup" }]

[[package]]
name = "speedup"
version = "3.0"
source = { path = "vendor" }
wheels = [{ path = "vendor/speedup-3.0-py3-none-any.whl", hash = "sha256:dd", size = 7 }]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://example.test/simple" }
resolution-markers = ["python_full_version < '3.12'"]
wheels = [{ url = "https://example.test/numpy-1.26.4-py3-none-any.whl", hash = "sha256:ee" }]

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://example.test/simple" }
resolution-markers = ["python_full_version >= '3.12'"]
sdist = { url = "https://example.test/numpy-2.1.0.tar.gz", hash = "sha256:ff" }

[[package]]
name = "tester"
version = "5.0"
source = { registry = "https://example.test/simple" }
wheels = [{ url = "https://example.test/tester-5.0-py3-none-any.whl", hash = "sha256:11" }]
"#;

    /// (name, file, required by, extras) of a pin.
    type PinView = (String, String, Vec<String>, Vec<String>);

    fn pins(
        lock: &UvLock,
        target: &Target,
        groups: &[&str],
        allow_sdist: bool,
    ) -> Result<Vec<PinView>, String> {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        pins_for_target(
            lock,
            Path::new("/work/uv.lock"),
            target,
            &[],
            &groups,
            allow_sdist,
        )
        .map(|pins| {
            pins.into_iter()
                .map(|p| (p.name, p.file.filename, p.required_by, p.extras))
                .collect()
        })
        .map_err(|e| {
            assert_eq!(e.path, Path::new("/work/uv.lock"));
            e.message
        })
    }

    #[test]
    fn the_graph_is_walked_along_the_edges_whose_markers_hold() {
        let lock: UvLock = toml::from_str(WORKSPACE).unwrap();
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pins(&lock, &target("3.11", "linux-x86_64"), &["dev"], false).unwrap(),
            [
                (
                    "lib".to_string(),
                    "lib-2.0-py3-none-any.whl".to_string(),
                    strings(&["direct"]),
                    strings(&["fast"])
                ),
                (
                    "speedup".to_string(),
                    "speedup-3.0-py3-none-any.whl".to_string(),
                    strings(&["lib"]),
                    Vec::new()
                ),
                (
                    "numpy".to_string(),
                    "numpy-1.26.4-py3-none-any.whl".to_string(),
                    strings(&["direct"]),
                    Vec::new()
                ),
                (
                    "tester".to_string(),
                    "tester-5.0-py3-none-any.whl".to_string(),
                    strings(&["direct"]),
                    Vec::new()
                ),
            ]
        );
        // Python 3.12 on Linux: the manylinux wheel, the other numpy fork
        // (only an sdist), no dev group.
        let error = pins(&lock, &target("3.12", "linux-x86_64"), &[], false).unwrap_err();
        assert_eq!(
            error,
            "the lock has no wheel of numpy 2.1.0 for target 3.12-linux-x86_64 (only its sdist: pass --allow-sdist)"
        );
        let files: Vec<String> = pins(&lock, &target("3.12", "linux-x86_64"), &[], true)
            .unwrap()
            .into_iter()
            .map(|p| p.1)
            .collect();
        assert_eq!(
            files,
            [
                "lib-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                "speedup-3.0-py3-none-any.whl",
                "numpy-2.1.0.tar.gz",
            ]
        );
        let windows: Vec<String> = pins(&lock, &target("3.11", "windows-x86_64"), &[], false)
            .unwrap()
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(windows, ["winonly", "lib", "speedup", "numpy"]);
    }

    #[test]
    fn a_pin_carries_its_hash_location_and_source() {
        let lock: UvLock = toml::from_str(WORKSPACE).unwrap();
        let pins = pins_for_target(
            &lock,
            Path::new("/work/uv.lock"),
            &target("3.11", "windows-x86_64"),
            &[],
            &[],
            false,
        )
        .unwrap();
        let winonly = &pins[0].file;
        assert_eq!(winonly.sha256(), Some("aa"), "lowercased");
        assert_eq!(winonly.source, "https://example.test/simple");
        let speedup = &pins[2].file;
        assert_eq!(
            speedup.url,
            "file:///work/vendor/speedup-3.0-py3-none-any.whl"
        );
        assert_eq!(speedup.size, Some(7));
        assert_eq!(speedup.source, "/work/uv.lock", "no registry: the lock");
    }

    #[test]
    fn a_lock_that_cannot_serve_the_target_is_an_error() {
        let base = "version = 1\n[[package]]\nname = \"app\"\nversion = \"0.1\"\nsource = { virtual = \".\" }\n";
        let linux = target("3.12", "linux-x86_64");
        let cases = [
            (
                "dependencies = [{ name = \"gone\" }]\n",
                "the lock has no package gone",
            ),
            (
                "dependencies = [{ name = \"x\", marker = \"python_version >\" }]\n",
                "bad marker `python_version >`: ",
            ),
            (
                "dependencies = [{ name = \"x\" }]\n[[package]]\nname = \"x\"\nversion = \"1\"\n\
                 resolution-markers = [\"sys_platform == 'win32'\"]\n\
                 [[package]]\nname = \"x\"\nversion = \"2\"\nresolution-markers = [\"sys_platform == 'darwin'\"]\n",
                "several versions of x are locked and none is marked for target 3.12-linux-x86_64",
            ),
            (
                "dependencies = [{ name = \"x\" }]\n[[package]]\nname = \"x\"\nversion = \"1\"\n\
                 wheels = [{ url = \"https://x.test/x-1-py3-none-any.whl\" }]\n",
                "x-1-py3-none-any.whl has no sha256 hash in the lock",
            ),
            (
                "dependencies = [{ name = \"x\" }]\n[[package]]\nname = \"x\"\nversion = \"1\"\n\
                 wheels = [{ filename = \"x-1-py3-none-any.whl\", hash = \"sha256:aa\" }]\n",
                "x-1-py3-none-any.whl has neither url nor path",
            ),
            (
                "dependencies = [{ name = \"x\" }]\n[[package]]\nname = \"x\"\n",
                "package x has no version",
            ),
        ];
        for (extra, expected) in cases {
            let lock: UvLock = toml::from_str(&format!("{base}{extra}")).unwrap();
            let error = pins(&lock, &linux, &[], true).unwrap_err();
            assert!(error.starts_with(expected), "{error}");
        }
    }
}
