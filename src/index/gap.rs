//! Why a target has no wheel of a package, and the smallest change that
//! would give it one: a higher `[targets]` floor, another platform tag,
//! another Python version, or an older release.
//!
//! Pure: index files and a target in, an explanation out. Every fix is
//! found by building the changed target and asking the tag model whether
//! it accepts a wheel the index has, so a hint never names a change that
//! would not work. The resolver calls this for packages it found no
//! candidate of; nothing here fetches or decides a resolution.

use std::collections::BTreeSet;

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::admit::{admits_python, file_offered};
use super::simple::IndexFile;
use crate::manifest::{MissingWheel, Offer};
use crate::python::filename::{SdistFilename, WheelFilename};
use crate::python::target::{Platform, Target};
use crate::python::version::KNOWN_PYTHONS;

/// Which versions count, as the resolver saw them.
pub struct Limits<'a> {
    /// Whether the requirements admit a version.
    pub in_range: &'a dyn Fn(&Version) -> bool,
    /// Versions pinned with `==`: their yanked files count (PEP 592).
    pub exact_pins: &'a BTreeSet<Version>,
    /// Files uploaded after this time (RFC 3339) do not count.
    pub exclude_newer: Option<&'a str>,
}

struct Wheel<'f> {
    wheel: WheelFilename,
    file: &'f IndexFile,
}

fn usable(target: &Target, wheel: &Wheel) -> bool {
    target.tags().best(wheel.wheel.tags().iter()).is_some()
        && admits_python(wheel.file, &target.python.release())
}

/// A platform tag family and the system version it needs.
type TagFloor = (&'static str, (u32, u32));

/// `manylinux_2_28_x86_64` is (manylinux, (2, 28)); legacy manylinux
/// names map to their glibc; `macosx_12_0_arm64` is (macosx, (12, 0)).
fn tag_floor(tag: &str) -> Option<TagFloor> {
    for (legacy, floor) in [
        ("manylinux2014_", (2, 17)),
        ("manylinux2010_", (2, 12)),
        ("manylinux1_", (2, 5)),
    ] {
        if tag.starts_with(legacy) {
            return Some(("manylinux", floor));
        }
    }
    for family in ["manylinux", "musllinux", "macosx"] {
        if let Some(rest) = tag.strip_prefix(family).and_then(|r| r.strip_prefix('_')) {
            let mut parts = rest.splitn(3, '_');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            return Some((family, (major, minor)));
        }
    }
    None
}

/// A list for a sentence, cut after eight items.
fn shown(items: &[String]) -> String {
    if items.len() > 8 {
        format!("{}, and {} more", items[..8].join(", "), items.len() - 8)
    } else {
        items.join(", ")
    }
}

/// Why `target` has no wheel of `project` among the versions `limits`
/// admits, with the fix; `None` when it has one, or when the index has no
/// file in that range at all (a requirement no target can meet, which
/// the resolver's own story explains).
pub fn explain_missing(
    project: &PackageName,
    files: &[IndexFile],
    target: &Target,
    limits: &Limits,
) -> Option<MissingWheel> {
    let wheels = offered_wheels(project, files, limits);
    let in_range: Vec<&Wheel> = wheels
        .iter()
        .filter(|w| (limits.in_range)(&w.wheel.version))
        .collect();
    if in_range.iter().any(|w| usable(target, w)) {
        return None;
    }
    let package = project.to_string();
    let older = newest_usable(&wheels, target);
    let pin_older = |version: &str| pin_older_fix(&package, version, target);
    if in_range.is_empty() {
        let sdists = sdists_in_range(project, files, limits);
        if sdists == 0 {
            return None;
        }
        let mut hints = vec![
            "pass --allow-sdist (or set [policy] allow-sdist = true) to use sdists whose metadata is static".to_string(),
        ];
        hints.extend(older.as_deref().map(pin_older));
        return Some(MissingWheel {
            package,
            reason: format!(
                "no wheel matches the requirements, only {sdists} source distribution(s)"
            ),
            hint: hints.join("; or "),
            offered: None,
        });
    }

    let newest = newest_version(&in_range)?;
    let of_newest: Vec<&Wheel> = in_range
        .iter()
        .copied()
        .filter(|w| w.wheel.version == newest)
        .collect();
    let offered = offer_of(&newest, &of_newest);
    let reason = reason_for(target, &newest, &of_newest, &offered);

    let gap = Gap {
        target,
        in_range: &in_range,
        package: &package,
        newest: &newest,
    };
    let mut fixes = Vec::new();
    fixes.extend(gap.higher_floor_fix());
    fixes.extend(gap.platform_tag_fix());
    if fixes.is_empty() {
        fixes.extend(gap.other_python_fix());
    }
    if let Some(version) = &older {
        fixes.push(pin_older(version));
    }
    if fixes.is_empty() {
        fixes.push(format!(
            "no release of {package} has a wheel {} can use: drop the target, or build \
             the wheel yourself and serve it with --find-links",
            target.name()
        ));
    }
    Some(MissingWheel {
        package,
        reason,
        hint: fixes.join("; or "),
        offered: Some(offered),
    })
}

/// The wheels of `project` the index offers (not yanked unless pinned, not
/// newer than `--exclude-newer`), in any version.
fn offered_wheels<'f>(
    project: &PackageName,
    files: &'f [IndexFile],
    limits: &Limits,
) -> Vec<Wheel<'f>> {
    files
        .iter()
        .filter_map(|file| {
            let wheel = file.filename.parse::<WheelFilename>().ok()?;
            (&wheel.name == project
                && file_offered(
                    file,
                    &wheel.version,
                    limits.exact_pins,
                    limits.exclude_newer,
                ))
            .then_some(Wheel { wheel, file })
        })
        .collect()
}

/// The newest release the target can install, range or not: final
/// releases first, as pip.
fn newest_usable(wheels: &[Wheel], target: &Target) -> Option<String> {
    let usable_versions: Vec<&Version> = wheels
        .iter()
        .filter(|w| usable(target, w))
        .map(|w| &w.wheel.version)
        .collect();
    usable_versions
        .iter()
        .filter(|v| !v.any_prerelease())
        .max()
        .or_else(|| usable_versions.iter().max())
        .map(|v| v.to_string())
}

/// The newest version among `wheels`: final releases first, as pip.
fn newest_version(wheels: &[&Wheel]) -> Option<Version> {
    let versions = || wheels.iter().map(|w| &w.wheel.version);
    versions()
        .filter(|v| !v.any_prerelease())
        .max()
        .or_else(|| versions().max())
        .cloned()
}

/// How many sdists of `project` the requirements admit.
fn sdists_in_range(project: &PackageName, files: &[IndexFile], limits: &Limits) -> usize {
    files
        .iter()
        .filter(|f| {
            SdistFilename::parse(&f.filename, Some(project))
                .is_ok_and(|s| (limits.in_range)(&s.version))
        })
        .count()
}

/// The tags the wheels of one version carry, sorted and each once.
fn offer_of(version: &Version, wheels: &[&Wheel]) -> Offer {
    let sorted = |tags: &mut dyn Iterator<Item = &String>| {
        let set: BTreeSet<String> = tags.cloned().collect();
        set.into_iter().collect::<Vec<_>>()
    };
    Offer {
        version: version.to_string(),
        python_tags: sorted(&mut wheels.iter().flat_map(|w| &w.wheel.python_tags)),
        platform_tags: sorted(&mut wheels.iter().flat_map(|w| &w.wheel.platform_tags)),
    }
}

/// Why the newest version's wheels do not fit: its `Requires-Python` when
/// no wheel of it admits the target's Python, else the tags it has.
fn reason_for(target: &Target, newest: &Version, of_newest: &[&Wheel], offered: &Offer) -> String {
    let python = target.python.release();
    let excluded_by_python = of_newest
        .iter()
        .find(|w| !admits_python(w.file, &python))
        .filter(|_| of_newest.iter().all(|w| !admits_python(w.file, &python)));
    match excluded_by_python {
        Some(w) => format!(
            "version {newest} requires Python {}",
            w.file.requires_python.as_deref().unwrap_or_default()
        ),
        None => format!(
            "version {newest} has no wheel for cp{}{} on {} or a pure-Python wheel; it has wheels for {}, with Python tags {}",
            target.python.major,
            target.python.minor,
            target
                .platform_tags()
                .first()
                .map(String::as_str)
                .unwrap_or("any"),
            shown(&offered.platform_tags),
            offered.python_tags.join(", ")
        ),
    }
}

/// A target without a wheel in range, and the newest version in range:
/// what each fix is looked for in.
struct Gap<'a, 'f> {
    target: &'a Target,
    in_range: &'a [&'a Wheel<'f>],
    package: &'a str,
    newest: &'a Version,
}

impl Gap<'_, '_> {
    /// Whether `target` takes a wheel in range.
    fn fits(&self, target: &Target) -> bool {
        self.in_range.iter().any(|w| usable(target, w))
    }

    /// A higher floor for this kind of platform: the lowest one with which
    /// the target takes a wheel in range.
    fn higher_floor_fix(&self) -> Option<String> {
        let (target, package, newest) = (self.target, self.package, self.newest);
        let (key, current) = target.floor_key()?;
        let floors: BTreeSet<(u32, u32)> = self
            .in_range
            .iter()
            .flat_map(|w| &w.wheel.platform_tags)
            .filter_map(|tag| tag_floor(tag))
            .filter(|(family, floor)| *family == key.tag_prefix() && *floor > current)
            .map(|(_, floor)| floor)
            .collect();
        let (major, minor) = floors
            .into_iter()
            .find(|floor| target.with_floor(key, *floor).is_ok_and(|t| self.fits(&t)))?;
        let os = match key.tag_prefix() {
            "macosx" => "macOS",
            "musllinux" => "musl",
            _ => "glibc",
        };
        Some(format!(
            "set [targets] {} = \"{major}.{minor}\" in chiron.toml: {package} {newest} has \
             wheels for {os} {major}.{minor} and later (the floor applies to every {os} target)",
            key.key(),
        ))
    }

    /// A raw platform tag carries its own floor: name the tag that works,
    /// on the same system and machine.
    fn platform_tag_fix(&self) -> Option<String> {
        let (target, package, newest) = (self.target, self.package, self.newest);
        let Platform::Tag(current) = &target.platform else {
            return None;
        };
        let mut candidates: Vec<(Option<TagFloor>, &String)> = self
            .in_range
            .iter()
            .flat_map(|w| &w.wheel.platform_tags)
            .filter(|tag| *tag != current)
            .map(|tag| (tag_floor(tag), tag))
            .collect();
        candidates.sort();
        candidates.dedup();
        let tag = candidates.into_iter().map(|(_, tag)| tag).find(|tag| {
            Target::new(
                target.python,
                Platform::Tag((*tag).clone()),
                target.floors(),
            )
            .is_ok_and(|t| {
                t.markers().sys_platform() == target.markers().sys_platform()
                    && t.markers().platform_machine() == target.markers().platform_machine()
                    && self.fits(&t)
            })
        })?;
        Some(format!(
            "target the platform tag {tag} instead of {current} ({package} {newest} has wheels for it)"
        ))
    }

    /// Another Python version on the same platform.
    fn other_python_fix(&self) -> Option<String> {
        let (target, package) = (self.target, self.package);
        let pythons: Vec<String> = KNOWN_PYTHONS
            .iter()
            .filter(|p| **p != target.python)
            .filter(|p| {
                Target::new(**p, target.platform.clone(), target.floors())
                    .is_ok_and(|t| self.fits(&t))
            })
            .map(ToString::to_string)
            .collect();
        if pythons.is_empty() {
            return None;
        }
        Some(format!(
            "drop Python {} from [targets] python ({package} has wheels for Python {} on {})",
            target.python,
            pythons.join(", "),
            target.platform
        ))
    }
}

/// An older release that has a wheel for the target.
fn pin_older_fix(package: &str, version: &str, target: &Target) -> String {
    format!(
        "pin the older release {package}=={version}, the newest with a wheel for {} \
         (as a requirement, or in a -c constraints file when it is a dependency)",
        target.name()
    )
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::python::target::Floors;

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

    fn target(python: &str, platform: &str) -> Target {
        Target::new(
            python.parse().unwrap(),
            platform.parse().unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    fn explain_in(files: &[IndexFile], target: &Target, range: &str) -> Option<MissingWheel> {
        let project = PackageName::from_str("demo").unwrap();
        let range = pep440_rs::VersionSpecifiers::from_str(range).unwrap();
        let in_range = |v: &Version| range.contains(v);
        explain_missing(
            &project,
            files,
            target,
            &Limits {
                in_range: &in_range,
                exact_pins: &BTreeSet::new(),
                exclude_newer: None,
            },
        )
    }

    fn explain(files: &[IndexFile], target: &Target) -> Option<MissingWheel> {
        explain_in(files, target, "")
    }

    #[test]
    fn a_target_with_a_wheel_has_no_gap() {
        let files = [file("demo-1.0-py3-none-any.whl")];
        assert_eq!(explain(&files, &target("3.12", "macos-arm64")), None);
    }

    #[test]
    fn a_newer_floor_is_named_with_its_key_and_value() {
        let cases = [
            (
                "demo-1.0-cp312-cp312-macosx_12_0_arm64.whl",
                "macos-arm64",
                "min-macos = \"12.0\"",
            ),
            (
                "demo-1.0-cp312-cp312-macosx_14_0_arm64.whl",
                "macos-arm64",
                "min-macos = \"14.0\"",
            ),
            (
                "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
                "linux-x86_64",
                "min-glibc = \"2.28\"",
            ),
            (
                "demo-1.0-cp312-cp312-musllinux_1_3_aarch64.whl",
                "musllinux-aarch64",
                "min-musl = \"1.3\"",
            ),
        ];
        for (wheel, platform, fix) in cases {
            let gap = explain(&[file(wheel)], &target("3.12", platform)).unwrap();
            assert!(
                gap.hint.starts_with(&format!("set [targets] {fix}")),
                "{wheel}: {gap:?}"
            );
            let offered = gap.offered.unwrap();
            assert_eq!(offered.version, "1.0");
            assert_eq!(offered.python_tags, ["cp312"]);
            assert!(gap.reason.contains("it has wheels for"), "{}", gap.reason);
        }
    }

    #[test]
    fn the_lowest_floor_that_works_is_chosen_and_other_arches_do_not_count() {
        let files = [
            file("demo-1.0-cp312-cp312-macosx_14_0_arm64.whl"),
            file("demo-1.0-cp312-cp312-macosx_13_0_arm64.whl"),
            file("demo-1.0-cp312-cp312-macosx_12_0_x86_64.whl"),
        ];
        let gap = explain(&files, &target("3.12", "macos-arm64")).unwrap();
        assert!(gap.hint.contains("min-macos = \"13.0\""), "{gap:?}");
        assert_eq!(
            gap.offered.unwrap().platform_tags,
            [
                "macosx_12_0_x86_64",
                "macosx_13_0_arm64",
                "macosx_14_0_arm64"
            ]
        );
    }

    #[test]
    fn a_raw_platform_tag_gets_the_tag_that_works() {
        let files = [file("demo-1.0-cp312-cp312-manylinux_2_28_aarch64.whl")];
        let gap = explain(&files, &target("3.12", "manylinux_2_17_aarch64")).unwrap();
        assert!(
            gap.hint.starts_with(
                "target the platform tag manylinux_2_28_aarch64 instead of manylinux_2_17_aarch64"
            ),
            "{gap:?}"
        );
        assert!(!gap.hint.contains("min-glibc"), "{gap:?}");
    }

    #[test]
    fn a_python_without_wheels_is_dropped_or_an_older_release_pinned() {
        let files = [
            file("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
            file("demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
            file("demo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
        ];
        let gap = explain_in(&files, &target("3.13", "linux-x86_64"), ">=2").unwrap();
        assert!(
            gap.reason.starts_with("version 2.0 has no wheel for cp313"),
            "{gap:?}"
        );
        assert!(
            gap.hint.starts_with(
                "drop Python 3.13 from [targets] python (demo has wheels for Python 3.11, 3.12 on linux-x86_64)"
            ),
            "{gap:?}"
        );
        assert!(
            gap.hint.contains("pin the older release demo==1.0"),
            "{gap:?}"
        );
        assert_eq!(gap.offered.unwrap().python_tags, ["cp311", "cp312"]);
    }

    #[test]
    fn requires_python_is_the_reason_when_it_excludes_the_target() {
        let mut new = file("demo-2.0-py3-none-any.whl");
        new.requires_python = Some(">=3.13".into());
        let gap = explain(&[new], &target("3.12", "linux-x86_64")).unwrap();
        assert_eq!(gap.reason, "version 2.0 requires Python >=3.13");
        assert!(gap.hint.starts_with("drop Python 3.12"), "{gap:?}");
    }

    #[test]
    fn the_range_decides_and_the_older_release_is_outside_it() {
        let files = [
            file("demo-1.0-py3-none-any.whl"),
            file("demo-2.0-cp312-cp312-win_amd64.whl"),
        ];
        let arm = target("3.12", "windows-arm64");
        assert_eq!(explain(&files, &arm), None);
        let gap = explain_in(&files, &arm, ">=2").unwrap();
        assert!(
            gap.reason.contains("it has wheels for win_amd64"),
            "{gap:?}"
        );
        assert!(
            gap.hint.starts_with("pin the older release demo==1.0"),
            "{gap:?}"
        );
        // Nothing at all in range is not this target's gap.
        assert_eq!(explain_in(&files, &arm, ">=3"), None);
    }

    #[test]
    fn no_fix_at_all_says_so() {
        let files = [file("demo-1.0-cp312-cp312-win_amd64.whl")];
        let gap = explain(&files, &target("3.12", "linux-s390x")).unwrap();
        assert!(
            gap.hint
                .starts_with("no release of demo has a wheel 3.12-linux-s390x can use"),
            "{gap:?}"
        );
    }

    #[test]
    fn sdists_only_point_at_allow_sdist() {
        let files = [file("demo-1.0.tar.gz")];
        let gap = explain(&files, &target("3.12", "linux-x86_64")).unwrap();
        assert!(gap.reason.contains("only 1 source distribution"), "{gap:?}");
        assert!(gap.hint.contains("--allow-sdist"), "{gap:?}");
    }
}
