//! Which wheel tags a target accepts, in the priority order pip uses.
//!
//! This follows `packaging.tags` as pip calls it for a foreign target
//! (`pip download --platform P... --python-version X.Y`): `cpython_tags`
//! then `compatible_tags`, over platform lists that `_manylinux`,
//! `_musllinux` and `mac_platforms` would produce on a machine at the
//! target's floor. It is written here rather than taken from uv's
//! `uv-platform-tags` because that crate models a running interpreter, has
//! no stability promise, and the whole algorithm is small; the test table in
//! `tests/data/tags/` (produced by running pip) keeps it honest.

use std::collections::HashMap;

use super::version::PythonVersion;

/// One (python, abi, platform) triple.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    pub python: String,
    pub abi: String,
    pub platform: String,
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// The tags a target accepts; lower index means preferred.
#[derive(Debug, Clone)]
pub struct TagPriorities {
    ordered: Vec<Tag>,
    index: HashMap<Tag, usize>,
}

impl TagPriorities {
    /// Tags for CPython `python` on `platforms` (most preferred first).
    pub fn cpython(python: PythonVersion, platforms: &[String]) -> Self {
        let ordered = cpython_tags(python, platforms);
        let mut index = HashMap::with_capacity(ordered.len());
        for (i, tag) in ordered.iter().enumerate() {
            index.entry(tag.clone()).or_insert(i);
        }
        Self { ordered, index }
    }

    /// The priority of the best of `tags` (lower is better), or `None` when
    /// the target accepts none of them.
    pub fn best<'a>(&self, tags: impl IntoIterator<Item = &'a Tag>) -> Option<usize> {
        tags.into_iter()
            .filter_map(|tag| self.index.get(tag).copied())
            .min()
    }

    pub fn tags(&self) -> &[Tag] {
        &self.ordered
    }
}

fn tag(python: &str, abi: &str, platform: &str) -> Tag {
    Tag {
        python: python.to_string(),
        abi: abi.to_string(),
        platform: platform.to_string(),
    }
}

/// `packaging.tags.cpython_tags` followed by `compatible_tags`, with pip's
/// cross-target choices: the ABI is `cpXY` (no debug or free-threaded
/// variants; `cpXYm` before 3.8).
fn cpython_tags(python: PythonVersion, platforms: &[String]) -> Vec<Tag> {
    let (major, minor) = (python.major, python.minor);
    let interpreter = format!("cp{major}{minor}");
    let abi = if (major, minor) < (3, 8) {
        format!("cp{major}{minor}m")
    } else {
        interpreter.clone()
    };
    let abi3 = (major, minor) >= (3, 2);
    let mut tags = Vec::new();
    for platform in platforms {
        tags.push(tag(&interpreter, &abi, platform));
    }
    if abi3 {
        for platform in platforms {
            tags.push(tag(&interpreter, "abi3", platform));
        }
    }
    for platform in platforms {
        tags.push(tag(&interpreter, "none", platform));
    }
    if abi3 {
        for older in (2..minor).rev() {
            for platform in platforms {
                tags.push(tag(&format!("cp{major}{older}"), "abi3", platform));
            }
        }
    }
    // compatible_tags
    let py_range = py_interpreter_range(major, minor);
    for version in &py_range {
        for platform in platforms {
            tags.push(tag(version, "none", platform));
        }
    }
    tags.push(tag(&interpreter, "none", "any"));
    for version in &py_range {
        tags.push(tag(version, "none", "any"));
    }
    tags
}

/// `py312`, `py3`, `py311`, ..., `py30`.
fn py_interpreter_range(major: u8, minor: u8) -> Vec<String> {
    let mut out = vec![format!("py{major}{minor}"), format!("py{major}")];
    for older in (0..minor).rev() {
        out.push(format!("py{major}{older}"));
    }
    out
}

/// `_LAST_GLIBC_MINOR` of packaging: the last minor of each glibc major
/// before the next one; glibc 2 is open-ended.
fn last_glibc_minor(major: u32) -> u32 {
    if major == 1 { 0 } else { 50 }
}

/// manylinux platforms accepted by a glibc `floor` machine of `arch`, newest
/// first, with the legacy aliases (manylinux2014, 2010, 1) after their
/// PEP 600 equivalents, as `packaging._manylinux.platform_tags`.
pub fn manylinux_platforms(floor: (u32, u32), arch: &str) -> Vec<String> {
    let too_old = if arch == "x86_64" || arch == "i686" {
        (2, 4)
    } else {
        (2, 16)
    };
    let mut maxima = vec![floor];
    for major in (2..floor.0).rev() {
        maxima.push((major, last_glibc_minor(major)));
    }
    let mut out = Vec::new();
    for (major, max_minor) in maxima {
        let min_minor: i64 = if major == too_old.0 {
            i64::from(too_old.1)
        } else {
            -1
        };
        let mut minor = i64::from(max_minor);
        while minor > min_minor {
            out.push(format!("manylinux_{major}_{minor}_{arch}"));
            let legacy = match (major, minor) {
                (2, 17) => Some("manylinux2014"),
                (2, 12) => Some("manylinux2010"),
                (2, 5) => Some("manylinux1"),
                _ => None,
            };
            if let Some(legacy) = legacy {
                out.push(format!("{legacy}_{arch}"));
            }
            minor -= 1;
        }
    }
    out
}

/// musllinux platforms for a musl `floor` machine, as
/// `packaging._musllinux.platform_tags`.
pub fn musllinux_platforms(floor: (u32, u32), arch: &str) -> Vec<String> {
    (0..=floor.1)
        .rev()
        .map(|minor| format!("musllinux_{}_{minor}_{arch}", floor.0))
        .collect()
}

/// `packaging.tags._mac_binary_formats`. Current packaging (pip 26) names
/// the three-way fat binary `fat3`, as Apple does; older pips said `fat32`.
fn mac_binary_formats(version: (u32, u32), arch: &str) -> Vec<&'static str> {
    let mut formats: Vec<&'static str> = match arch {
        "x86_64" => {
            if version < (10, 4) {
                return Vec::new();
            }
            vec!["x86_64", "intel", "fat64", "fat3"]
        }
        "arm64" => vec!["arm64"],
        "i386" => {
            if version < (10, 4) {
                return Vec::new();
            }
            vec!["i386", "intel", "fat3", "fat"]
        }
        // PowerPC Macs predate wheels that anyone still publishes.
        _ => return Vec::new(),
    };
    if arch == "arm64" || arch == "x86_64" {
        formats.push("universal2");
    }
    if arch == "x86_64" || arch == "i386" {
        formats.push("universal");
    }
    formats
}

/// macOS platforms accepted by a macOS `floor` machine of `arch`, as
/// `packaging.tags.mac_platforms`.
pub fn mac_platforms(floor: (u32, u32), arch: &str) -> Vec<String> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<String>, version: (u32, u32), format: &str| {
        out.push(format!("macosx_{}_{}_{format}", version.0, version.1));
    };
    if floor >= (11, 0) {
        // From macOS 11, each yearly release bumps the major version.
        for major in (11..=floor.0).rev() {
            for format in mac_binary_formats((major, 0), arch) {
                push(&mut out, (major, 0), format);
            }
        }
        // 11 runs 10.x binaries; arm64 only through universal2.
        for minor in (4..=16).rev() {
            if arch == "x86_64" {
                for format in mac_binary_formats((10, minor), arch) {
                    push(&mut out, (10, minor), format);
                }
            } else {
                push(&mut out, (10, minor), "universal2");
            }
        }
    } else {
        for minor in (0..=floor.1).rev() {
            for format in mac_binary_formats((10, minor), arch) {
                push(&mut out, (10, minor), format);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manylinux_follows_packaging() {
        let tags = manylinux_platforms((2, 17), "x86_64");
        assert_eq!(
            &tags[..4],
            [
                "manylinux_2_17_x86_64",
                "manylinux2014_x86_64",
                "manylinux_2_16_x86_64",
                "manylinux_2_15_x86_64"
            ]
        );
        assert!(tags.contains(&"manylinux2010_x86_64".to_string()));
        assert_eq!(tags.last().unwrap(), "manylinux1_x86_64");
        assert_eq!(tags.len(), 13 + 3);
        // aarch64 has no manylinux before 2.17.
        assert_eq!(
            manylinux_platforms((2, 17), "aarch64"),
            ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]
        );
        let newer = manylinux_platforms((2, 28), "aarch64");
        assert_eq!(newer.first().unwrap(), "manylinux_2_28_aarch64");
        assert_eq!(newer.len(), 12 + 1);
    }

    #[test]
    fn mac_follows_packaging() {
        let arm = mac_platforms((11, 0), "arm64");
        assert_eq!(
            &arm[..3],
            [
                "macosx_11_0_arm64",
                "macosx_11_0_universal2",
                "macosx_10_16_universal2"
            ]
        );
        assert_eq!(arm.last().unwrap(), "macosx_10_4_universal2");
        let arm14 = mac_platforms((14, 0), "arm64");
        assert_eq!(&arm14[..2], ["macosx_14_0_arm64", "macosx_14_0_universal2"]);
        assert!(arm14.contains(&"macosx_12_0_arm64".to_string()));
        let intel = mac_platforms((10, 9), "x86_64");
        assert_eq!(
            &intel[..6],
            [
                "macosx_10_9_x86_64",
                "macosx_10_9_intel",
                "macosx_10_9_fat64",
                "macosx_10_9_fat3",
                "macosx_10_9_universal2",
                "macosx_10_9_universal"
            ]
        );
        assert_eq!(intel.last().unwrap(), "macosx_10_4_universal");
    }

    #[test]
    fn cpython_order_matches_packaging() {
        let tags = TagPriorities::cpython(PythonVersion::new(3, 12), &["win_amd64".into()]);
        let names: Vec<String> = tags.tags().iter().map(ToString::to_string).collect();
        assert_eq!(
            &names[..4],
            [
                "cp312-cp312-win_amd64",
                "cp312-abi3-win_amd64",
                "cp312-none-win_amd64",
                "cp311-abi3-win_amd64"
            ]
        );
        assert!(names.contains(&"cp32-abi3-win_amd64".to_string()));
        assert!(!names.contains(&"cp31-abi3-win_amd64".to_string()));
        let tail: Vec<&str> = names.iter().rev().take(3).map(String::as_str).collect();
        assert_eq!(tail, ["py30-none-any", "py31-none-any", "py32-none-any"]);
        let any = names.iter().position(|n| n == "cp312-none-any").unwrap();
        assert_eq!(names[any + 1], "py312-none-any");
        assert_eq!(names[any + 2], "py3-none-any");
        // Python 3.7 has the pymalloc ABI suffix.
        let old = TagPriorities::cpython(PythonVersion::new(3, 7), &["win32".into()]);
        assert_eq!(old.tags()[0].to_string(), "cp37-cp37m-win32");
    }

    #[test]
    fn best_picks_the_lowest_index() {
        let tags = TagPriorities::cpython(PythonVersion::new(3, 11), &["win_amd64".into()]);
        let any = tag("py3", "none", "any");
        let abi3 = tag("cp38", "abi3", "win_amd64");
        let linux = tag("cp311", "cp311", "manylinux1_x86_64");
        assert!(tags.best([&any, &abi3]) == tags.best([&abi3]));
        assert!(tags.best([&abi3]).unwrap() < tags.best([&any]).unwrap());
        assert_eq!(tags.best([&linux]), None);
    }
}
