//! Choosing the file pip would choose: among an index's files for a
//! project, the highest version that matches the specifier, then the wheel
//! with the best tag for the target, then the highest build tag. Yanked files
//! only for exact pins (PEP 592); pre-releases only when asked, when the
//! specifier names one, or when nothing else matches (as pip does).

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::PackageName;

use super::admit::{excluding_python, file_admitted};
use super::simple::IndexFile;
use crate::python::filename::WheelFilename;
use crate::python::target::Target;

#[derive(Debug, Clone)]
pub struct Selected {
    pub file: IndexFile,
    pub wheel: WheelFilename,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no wheel of {package}{specifier} fits target {target}: {reason}")]
pub struct NoWheel {
    pub package: String,
    pub specifier: String,
    pub target: String,
    pub reason: String,
    /// The exact change that would give the target a wheel (see
    /// `index::gap`), when the index shows one.
    pub fix: Option<String>,
}

impl NoWheel {
    pub fn hint(&self) -> String {
        if let Some(fix) = &self.fix {
            return fix.clone();
        }
        format!(
            "check the versions and platforms {} publishes wheels for; change the target \
             (--python/--platform, or [targets] min-glibc/min-macos) or the version specifier",
            self.package
        )
    }
}

/// Whether a specifier pins one exact version (`==1.2.3` or `===1.2.3`),
/// which is what allows yanked files.
pub fn is_exact_pin(specifiers: &VersionSpecifiers) -> bool {
    specifiers
        .iter()
        .any(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual))
}

fn mentions_prerelease(specifiers: &VersionSpecifiers) -> bool {
    specifiers.iter().any(|s| s.version().any_prerelease())
}

/// One version of a project that a target can install: its best wheel.
#[derive(Debug, Clone)]
pub struct WheelCandidate {
    pub file: IndexFile,
    pub wheel: WheelFilename,
}

/// Every version of `project` that `target` can install, newest first, each
/// with the wheel pip would pick for it: the target's most preferred tag,
/// then the highest build tag. Yanked files count only for versions in
/// `exact_pins`; files uploaded after `exclude_newer` (RFC 3339) not at all.
pub fn wheel_candidates(
    project: &PackageName,
    files: &[IndexFile],
    target: &Target,
    exact_pins: &std::collections::BTreeSet<Version>,
    exclude_newer: Option<&str>,
) -> Vec<WheelCandidate> {
    let python = target.python.release();
    let mut best: std::collections::BTreeMap<Version, (usize, WheelCandidate)> =
        std::collections::BTreeMap::new();
    for file in files {
        let Ok(wheel) = file.filename.parse::<WheelFilename>() else {
            continue;
        };
        if &wheel.name != project {
            continue;
        }
        if !file_admitted(file, &wheel.version, &python, exact_pins, exclude_newer) {
            continue;
        }
        let Some(priority) = target.tags().best(wheel.tags().iter()) else {
            continue;
        };
        let better = match best.get(&wheel.version) {
            None => true,
            Some((p, current)) => {
                priority < *p || (priority == *p && wheel.build > current.wheel.build)
            }
        };
        if better {
            best.insert(
                wheel.version.clone(),
                (
                    priority,
                    WheelCandidate {
                        file: file.clone(),
                        wheel,
                    },
                ),
            );
        }
    }
    best.into_values()
        .rev()
        .map(|(_, candidate)| candidate)
        .collect()
}

/// Selects the best wheel of `project` for `target`.
pub fn select_wheel(
    project: &PackageName,
    files: &[IndexFile],
    specifiers: &VersionSpecifiers,
    target: &Target,
    allow_prereleases: bool,
) -> Result<Selected, NoWheel> {
    let sorted = Sorted::of(project, files, specifiers, target);
    let ask_pre = allow_prereleases || mentions_prerelease(specifiers);
    if let Some(selected) = sorted.best(ask_pre) {
        return Ok(selected);
    }
    Err(NoWheel {
        package: project.to_string(),
        specifier: specifiers.to_string(),
        target: target.name(),
        reason: sorted.reason(project, files, specifiers, target),
        fix: smallest_fix(project, files, specifiers, target),
    })
}

/// A project's files that match the specifier, sorted by why each can or
/// cannot serve the target.
struct Sorted<'f> {
    /// Wheels the target accepts: version, tag priority (lower is better).
    candidates: Vec<(usize, WheelFilename, &'f IndexFile)>,
    /// Wheels of matching versions whose tags the target does not accept:
    /// version and tag string.
    incompatible: Vec<(Version, String)>,
    /// The newest version whose `requires-python` excludes the target, with it.
    too_new_python: Option<(Version, String)>,
    /// Yanked files left out (the specifier is not an exact pin).
    yanked: usize,
    /// Whether any wheel matched the specifier and the target's Python.
    any_matching: bool,
}

impl<'f> Sorted<'f> {
    fn of(
        project: &PackageName,
        files: &'f [IndexFile],
        specifiers: &VersionSpecifiers,
        target: &Target,
    ) -> Self {
        let python = target.python.release();
        let exact = is_exact_pin(specifiers);
        let mut sorted = Sorted {
            candidates: Vec::new(),
            incompatible: Vec::new(),
            too_new_python: None,
            yanked: 0,
            any_matching: false,
        };
        for file in files {
            let Ok(wheel) = file.filename.parse::<WheelFilename>() else {
                continue; // sdists and other files are not candidates here
            };
            if &wheel.name != project || !specifiers.contains(&wheel.version) {
                continue;
            }
            if file.yanked.is_some() && !exact {
                sorted.yanked += 1;
                continue;
            }
            if let Some(requires) = excluding_python(file, &python) {
                if sorted
                    .too_new_python
                    .as_ref()
                    .is_none_or(|(v, _)| wheel.version > *v)
                {
                    sorted.too_new_python = Some((wheel.version.clone(), requires.to_string()));
                }
                continue;
            }
            sorted.any_matching = true;
            match target.tags().best(wheel.tags().iter()) {
                Some(priority) => sorted.candidates.push((priority, wheel, file)),
                None => sorted
                    .incompatible
                    .push((wheel.version.clone(), wheel.tag_string())),
            }
        }
        sorted
    }

    /// The highest version, then the best tag, then the highest build tag;
    /// pre-releases when asked for or when there is no final release.
    fn best(&self, ask_pre: bool) -> Option<Selected> {
        let finals_exist = self
            .candidates
            .iter()
            .any(|(_, w, _)| !w.version.any_prerelease());
        let allow_pre = ask_pre || !finals_exist;
        self.candidates
            .iter()
            .filter(|(_, w, _)| allow_pre || !w.version.any_prerelease())
            .max_by(|a, b| {
                a.1.version
                    .cmp(&b.1.version)
                    .then(b.0.cmp(&a.0)) // lower priority index is better
                    .then(a.1.build.cmp(&b.1.build))
            })
            .map(|(_, wheel, file)| Selected {
                file: (*file).clone(),
                wheel: wheel.clone(),
            })
    }

    /// Why no wheel was selected, most telling cause first.
    fn reason(
        &self,
        project: &PackageName,
        files: &[IndexFile],
        specifiers: &VersionSpecifiers,
        target: &Target,
    ) -> String {
        if let Some(newest) = self.incompatible.iter().map(|(v, _)| v).max() {
            no_tag_reason(&self.incompatible, newest, target)
        } else if let Some((version, requires)) = &self.too_new_python {
            format!("the newest matching version, {version}, requires Python {requires}")
        } else if self.yanked > 0 {
            format!(
                "the only matching files ({}) are yanked; pin an exact version with == to use one",
                self.yanked
            )
        } else if !self.any_matching {
            no_wheel_reason(project, files, specifiers)
        } else {
            "no compatible wheel".to_string()
        }
    }
}

/// The newest matching version has wheels, none for the target: name the
/// platforms it does have wheels for.
fn no_tag_reason(incompatible: &[(Version, String)], newest: &Version, target: &Target) -> String {
    let mut platforms: Vec<&str> = incompatible
        .iter()
        .filter(|(v, _)| v == newest)
        .flat_map(|(_, tags)| tags.rsplit('-').next().unwrap_or_default().split('.'))
        .collect();
    platforms.sort_unstable();
    platforms.dedup();
    let shown = if platforms.len() > 8 {
        format!(
            "{}, and {} more",
            platforms[..8].join(", "),
            platforms.len() - 8
        )
    } else {
        platforms.join(", ")
    };
    let wanted = target
        .platform_tags()
        .first()
        .map(String::as_str)
        .unwrap_or("any");
    format!(
        "version {newest} has no wheel for cp{}{} on {wanted} or a pure-Python wheel; it has wheels for {shown}",
        target.python.major, target.python.minor
    )
}

/// No wheel matches the specifier at all: say whether sdists do.
fn no_wheel_reason(
    project: &PackageName,
    files: &[IndexFile],
    specifiers: &VersionSpecifiers,
) -> String {
    let sdists = files
        .iter()
        .filter(|f| {
            crate::python::filename::SdistFilename::parse(&f.filename, Some(project))
                .is_ok_and(|s| specifiers.contains(&s.version))
        })
        .count();
    if sdists > 0 {
        format!(
            "no wheel matches that version specifier, only {sdists} source distribution(s); \
             pass --allow-sdist to use sdists whose metadata is static"
        )
    } else {
        "no wheel on the index matches that version specifier".to_string()
    }
}

/// The exact change that would give the target a wheel (`index::gap`).
fn smallest_fix(
    project: &PackageName,
    files: &[IndexFile],
    specifiers: &VersionSpecifiers,
    target: &Target,
) -> Option<String> {
    let in_range = |version: &Version| specifiers.contains(version);
    super::gap::explain_missing(
        project,
        files,
        target,
        &super::gap::Limits {
            in_range: &in_range,
            exact_pins: &std::collections::BTreeSet::new(),
            exclude_newer: None,
        },
    )
    .map(|gap| gap.hint)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::python::target::Floors;
    use crate::python::version::PythonVersion;

    fn file(name: &str) -> IndexFile {
        IndexFile {
            filename: name.into(),
            url: format!("https://example.invalid/{name}"),
            hashes: [("sha256".to_string(), "00".to_string())].into(),
            requires_python: None,
            yanked: None,
            metadata: None,
            size: None,
            upload_time: None,
            source: "https://example.invalid/simple".into(),
        }
    }

    fn target(python: (u8, u8), platform: &str) -> Target {
        Target::new(
            PythonVersion::new(python.0, python.1),
            platform.parse().unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    fn pick(files: &[IndexFile], spec: &str, target: &Target) -> Result<String, NoWheel> {
        let project = PackageName::from_str("demo").unwrap();
        let spec = VersionSpecifiers::from_str(spec).unwrap();
        select_wheel(&project, files, &spec, target, false).map(|s| s.file.filename)
    }

    #[test]
    fn highest_version_then_best_tag_then_build() {
        let files = [
            file("demo-1.0-py3-none-any.whl"),
            file("demo-2.0-py3-none-any.whl"),
            file("demo-2.0-cp312-cp312-win_amd64.whl"),
            file("demo-2.0-cp38-abi3-win_amd64.whl"),
            file("demo-2.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            file("demo-2.0-2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            file("demo-2.0.tar.gz"),
        ];
        assert_eq!(
            pick(&files, "", &target((3, 12), "windows-x86_64")).unwrap(),
            "demo-2.0-cp312-cp312-win_amd64.whl"
        );
        assert_eq!(
            pick(&files, "", &target((3, 13), "windows-x86_64")).unwrap(),
            "demo-2.0-cp38-abi3-win_amd64.whl"
        );
        assert_eq!(
            pick(&files, "", &target((3, 12), "linux-x86_64")).unwrap(),
            "demo-2.0-2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        assert_eq!(
            pick(&files, "", &target((3, 12), "macos-arm64")).unwrap(),
            "demo-2.0-py3-none-any.whl"
        );
        assert_eq!(
            pick(&files, "<2", &target((3, 12), "macos-arm64")).unwrap(),
            "demo-1.0-py3-none-any.whl"
        );
    }

    #[test]
    fn yanked_only_for_exact_pins() {
        let mut yanked = file("demo-2.0-py3-none-any.whl");
        yanked.yanked = Some("broken".into());
        let files = [file("demo-1.0-py3-none-any.whl"), yanked];
        let t = target((3, 12), "linux-x86_64");
        assert_eq!(
            pick(&files, ">=1", &t).unwrap(),
            "demo-1.0-py3-none-any.whl"
        );
        assert_eq!(
            pick(&files, "==2.0", &t).unwrap(),
            "demo-2.0-py3-none-any.whl"
        );
        let error = pick(&files, ">=2", &t).unwrap_err();
        assert!(error.reason.contains("yanked"), "{error}");
    }

    #[test]
    fn requires_python_excludes_per_target() {
        let mut new = file("demo-2.0-py3-none-any.whl");
        new.requires_python = Some(">=3.12".into());
        let files = [file("demo-1.0-py3-none-any.whl"), new];
        assert_eq!(
            pick(&files, "", &target((3, 12), "linux-x86_64")).unwrap(),
            "demo-2.0-py3-none-any.whl"
        );
        assert_eq!(
            pick(&files, "", &target((3, 11), "linux-x86_64")).unwrap(),
            "demo-1.0-py3-none-any.whl"
        );
        let error = pick(&files, ">=2", &target((3, 11), "linux-x86_64")).unwrap_err();
        assert!(error.reason.contains("requires Python >=3.12"), "{error}");
    }

    #[test]
    fn prereleases_only_when_asked_or_alone() {
        let files = [
            file("demo-1.0-py3-none-any.whl"),
            file("demo-2.0b1-py3-none-any.whl"),
        ];
        let t = target((3, 12), "linux-x86_64");
        assert_eq!(pick(&files, "", &t).unwrap(), "demo-1.0-py3-none-any.whl");
        assert_eq!(
            pick(&files, ">=2.0b1", &t).unwrap(),
            "demo-2.0b1-py3-none-any.whl"
        );
        assert_eq!(
            pick(&files, ">1.0", &t).unwrap(),
            "demo-2.0b1-py3-none-any.whl"
        );
        let project = PackageName::from_str("demo").unwrap();
        let chosen = select_wheel(&project, &files, &VersionSpecifiers::empty(), &t, true).unwrap();
        assert_eq!(chosen.file.filename, "demo-2.0b1-py3-none-any.whl");
    }

    #[test]
    fn no_wheel_explains_what_exists() {
        let files = [
            file("demo-2.0-cp312-cp312-win_amd64.whl"),
            file("demo-2.0-cp312-cp312-macosx_11_0_arm64.whl"),
        ];
        let error = pick(&files, "", &target((3, 12), "linux-x86_64")).unwrap_err();
        assert_eq!(error.target, "3.12-linux-x86_64");
        assert!(
            error
                .reason
                .contains("no wheel for cp312 on manylinux_2_17_x86_64"),
            "{error}"
        );
        assert!(
            error
                .reason
                .contains("it has wheels for macosx_11_0_arm64, win_amd64"),
            "{error}"
        );
        // The hint is the exact fix when the index shows one.
        assert!(
            error
                .hint()
                .starts_with("no release of demo has a wheel 3.12-linux-x86_64"),
            "{}",
            error.hint()
        );
        let files = [file("demo-2.0-cp312-cp312-macosx_12_0_arm64.whl")];
        let error = pick(&files, "", &target((3, 12), "macos-arm64")).unwrap_err();
        assert!(
            error.hint().contains("min-macos = \"12.0\""),
            "{}",
            error.hint()
        );
        let error = pick(&files, ">=3", &target((3, 12), "linux-x86_64")).unwrap_err();
        assert!(
            error.reason.contains("no wheel on the index matches"),
            "{error}"
        );
    }
}
