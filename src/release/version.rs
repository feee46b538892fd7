//! The next version: what each commit is worth (`BumpRules`), and the
//! version that follows the last release for a bump and an optional
//! pre-release kind (`next_version`), PEP 440 throughout.
//!
//! Pure: versions and commits in, a version out. It does not read tags
//! (the caller finds the last releases) nor write files.
//!
//! Rules:
//! - A bump sets the release to three parts, `major.minor.patch`: a patch
//!   bump of `1.2` is `1.2.1`, of `1.2.3.4` is `1.2.4`; the epoch is kept,
//!   and a post segment of the last release is dropped (a patch bump of
//!   `1.2.3.post1` is `1.2.4`).
//! - With nothing released yet the base is `0.0.0` (`feat` gives `0.1.0`).
//! - A pre-release newer than the last final release is "in flight": asking
//!   for a pre-release continues its series (`rc1` → `rc2`, `a1` → `b1`;
//!   going back, `rc` → `a`, is refused), asking for none finalises it (the
//!   suffix is dropped, even without a new bumping commit). When the commits
//!   since the last final release need a larger release than the series
//!   aims at, a new series starts (`1.3.0rc2` + major → `2.0.0rc1`).
//! - A last release with a `.devN` or `+local` segment is refused: neither
//!   is a release a next version can be counted from.

use std::collections::BTreeMap;

use pep440_rs::{Prerelease, PrereleaseKind, Version};

use super::commits::Conventional;

/// How much a release changes the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    /// `1.2.3` → `1.2.4`.
    Patch,
    /// `1.2.3` → `1.3.0`.
    Minor,
    /// `1.2.3` → `2.0.0`.
    Major,
}

/// What each commit type is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpRules {
    /// The bump of each type (lowercase); a type not listed bumps nothing.
    pub types: BTreeMap<String, Option<Bump>>,
    /// Whether a breaking change below 1.0 bumps the major version (to
    /// 1.0.0); by default it bumps the minor one, as SemVer allows for 0.x.
    pub major_on_zero: bool,
}

impl Default for BumpRules {
    /// `feat` → minor, `fix` and `perf` → patch, other types → nothing.
    fn default() -> Self {
        let types = [
            ("feat", Bump::Minor),
            ("fix", Bump::Patch),
            ("perf", Bump::Patch),
        ]
        .into_iter()
        .map(|(kind, bump)| (kind.to_string(), Some(bump)))
        .collect();
        Self {
            types,
            major_on_zero: false,
        }
    }
}

impl BumpRules {
    /// The bump one commit asks for, given `current`, the last final
    /// release (`None`: nothing released yet, counted as 0.0.0). A breaking
    /// change asks for a major bump, or a minor one below 1.0 unless
    /// `major_on_zero`.
    pub fn bump_for(&self, commit: &Conventional, current: Option<&Version>) -> Option<Bump> {
        if commit.breaking {
            let below_one = current.is_none_or(|v| v.release().first().is_none_or(|&m| m == 0));
            return Some(if below_one && !self.major_on_zero {
                Bump::Minor
            } else {
                Bump::Major
            });
        }
        self.types.get(&commit.kind).copied().flatten()
    }

    /// The largest bump any of the commits asks for.
    pub fn bump_for_all<'a>(
        &self,
        commits: impl IntoIterator<Item = &'a Conventional>,
        current: Option<&Version>,
    ) -> Option<Bump> {
        commits
            .into_iter()
            .filter_map(|commit| self.bump_for(commit, current))
            .max()
    }
}

/// The kind of a pre-release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    /// `a`.
    Alpha,
    /// `b`.
    Beta,
    /// `rc`.
    Rc,
}

impl std::str::FromStr for PreKind {
    type Err = VersionError;

    /// `a`/`alpha`, `b`/`beta` or `rc`, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "a" | "alpha" => Ok(Self::Alpha),
            "b" | "beta" => Ok(Self::Beta),
            "rc" => Ok(Self::Rc),
            _ => Err(VersionError::UnknownPreKind {
                text: text.to_string(),
            }),
        }
    }
}

impl std::fmt::Display for PreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Alpha => "a",
            Self::Beta => "b",
            Self::Rc => "rc",
        })
    }
}

impl PreKind {
    fn pep440(self) -> PrereleaseKind {
        match self {
            Self::Alpha => PrereleaseKind::Alpha,
            Self::Beta => PrereleaseKind::Beta,
            Self::Rc => PrereleaseKind::Rc,
        }
    }

    fn from_pep440(kind: PrereleaseKind) -> Self {
        match kind {
            PrereleaseKind::Alpha => Self::Alpha,
            PrereleaseKind::Beta => Self::Beta,
            PrereleaseKind::Rc => Self::Rc,
        }
    }
}

/// Why no next version can be computed or accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The last release has a `.devN` or `+local` segment.
    #[error("the last release {version} is a {segment} version, not a release to count from")]
    NotARelease {
        version: String,
        segment: &'static str,
    },
    /// The version given as the last final release is a pre-release.
    #[error("{version} is a pre-release, not a final release")]
    FinalIsPre { version: String },
    /// The pre-release kind would go back (`rc` → `a`).
    #[error(
        "cannot make a pre-release of kind `{wanted}` after {last}: pre-releases go a → b → rc"
    )]
    PreBackwards { last: String, wanted: PreKind },
    /// A version part would not fit in 64 bits.
    #[error(
        "the next version after {version} does not fit: a part exceeds {}",
        u64::MAX
    )]
    Overflow { version: String },
    /// A version asked for is not greater than the last release.
    #[error("{wanted} is not greater than the last release {last}")]
    NotGreater { last: String, wanted: String },
    /// A version asked for has a local segment.
    #[error("{wanted} has a local segment (`+...`), which package indexes refuse")]
    LocalOverride { wanted: String },
    /// A version asked for is a development release.
    #[error(
        "{wanted} is a development release (`.devN`), which chiron does not count releases from"
    )]
    DevOverride { wanted: String },
    /// Not a pre-release kind.
    #[error("`{text}` is not a pre-release kind")]
    UnknownPreKind { text: String },
}

impl crate::diagnose::Diagnose for VersionError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        match self {
            Self::NotARelease { .. } | Self::Overflow { .. } | Self::FinalIsPre { .. } => {
                ExitClass::Problems
            }
            Self::PreBackwards { .. }
            | Self::NotGreater { .. }
            | Self::LocalOverride { .. }
            | Self::DevOverride { .. }
            | Self::UnknownPreKind { .. } => ExitClass::Usage,
        }
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NotARelease { .. } => "tag releases with public versions (no `.devN`, no `+local`), or give the version to release explicitly".into(),
            Self::FinalIsPre { .. } => "pass the last release without a/b/rc suffix as the final one".into(),
            Self::PreBackwards { last, .. } => format!("release {last}'s series as rc (or final) first, or give the version to release explicitly"),
            Self::Overflow { .. } => "give the version to release explicitly".into(),
            Self::NotGreater { .. } => "a release must sort after every earlier one (PEP 440 ordering)".into(),
            Self::LocalOverride { .. } => "drop the `+...` part".into(),
            Self::DevOverride { .. } => {
                "release a final version or a pre-release (`--pre a|b|rc`)".into()
            }
            Self::UnknownPreKind { .. } => "use a (alpha), b (beta) or rc".into(),
        })
    }
}

/// The version to release after `last_final` (the last final release)
/// and `last` (the last release of any kind), for `bump` (the largest bump
/// of the commits since `last_final`, pre-releases' commits included) and
/// `pre` (the pre-release kind asked for, `None` for a final release).
///
/// `Ok(None)`: nothing to release (no bump, and no pre-release in flight
/// to finalise). Whether commits arrived since an in-flight pre-release
/// is the caller's to check before asking for the next one.
pub fn next_version(
    last_final: Option<&Version>,
    last: Option<&Version>,
    bump: Option<Bump>,
    pre: Option<PreKind>,
) -> Result<Option<Version>, VersionError> {
    for version in last_final.into_iter().chain(last) {
        check_counts(version)?;
    }
    if let Some(version) = last_final.filter(|v| v.is_pre()) {
        return Err(VersionError::FinalIsPre {
            version: version.to_string(),
        });
    }
    let base = last_final
        .cloned()
        .unwrap_or_else(|| Version::new([0, 0, 0]).with_epoch(last.map_or(0, Version::epoch)));
    let target = bump.map(|bump| bumped(&base, bump)).transpose()?;
    match last.filter(|last| last.is_pre() && **last > base) {
        None => Ok(target.map(|target| with_pre(target, pre, 1))),
        Some(_) if bump.is_none() && pre.is_some() => Ok(None),
        Some(in_flight) => continue_series(in_flight, target, pre).map(Some),
    }
}

/// Refuses versions a next version cannot be counted from.
fn check_counts(version: &Version) -> Result<(), VersionError> {
    let segment = if version.is_dev() {
        "dev"
    } else if version.is_local() {
        "local"
    } else {
        return Ok(());
    };
    Err(VersionError::NotARelease {
        version: version.to_string(),
        segment,
    })
}

/// `base` bumped, as `major.minor.patch` with `base`'s epoch.
fn bumped(base: &Version, bump: Bump) -> Result<Version, VersionError> {
    let mut parts = [0u64; 3];
    for (part, number) in parts.iter_mut().zip(base.release()) {
        *part = *number;
    }
    let index = match bump {
        Bump::Major => 0,
        Bump::Minor => 1,
        Bump::Patch => 2,
    };
    parts[index] = parts[index]
        .checked_add(1)
        .ok_or_else(|| VersionError::Overflow {
            version: base.to_string(),
        })?;
    for part in &mut parts[index + 1..] {
        *part = 0;
    }
    Ok(Version::new(parts).with_epoch(base.epoch()))
}

fn with_pre(version: Version, pre: Option<PreKind>, number: u64) -> Version {
    version.with_pre(pre.map(|kind| Prerelease {
        kind: kind.pep440(),
        number,
    }))
}

/// The version after the pre-release `in_flight`: the next of its series,
/// its final release, or a new series when `target` is beyond it.
fn continue_series(
    in_flight: &Version,
    target: Option<Version>,
    pre: Option<PreKind>,
) -> Result<Version, VersionError> {
    let series = Version::new(in_flight.release()).with_epoch(in_flight.epoch());
    if let Some(target) = target.filter(|target| *target > series) {
        return Ok(with_pre(target, pre, 1));
    }
    let (Some(wanted), Some(current)) = (pre, in_flight.pre()) else {
        return Ok(series);
    };
    let current_kind = PreKind::from_pep440(current.kind);
    if wanted < current_kind {
        return Err(VersionError::PreBackwards {
            last: in_flight.to_string(),
            wanted,
        });
    }
    let number = if wanted == current_kind {
        current
            .number
            .checked_add(1)
            .ok_or_else(|| VersionError::Overflow {
                version: in_flight.to_string(),
            })?
    } else {
        1
    };
    Ok(with_pre(series, Some(wanted), number))
}

/// Accepts `wanted` as the version to release after `last`: it must sort
/// after it and have no local segment.
pub fn check_override(last: Option<&Version>, wanted: &Version) -> Result<(), VersionError> {
    if wanted.is_local() {
        return Err(VersionError::LocalOverride {
            wanted: wanted.to_string(),
        });
    }
    if wanted.is_dev() {
        return Err(VersionError::DevOverride {
            wanted: wanted.to_string(),
        });
    }
    match last {
        Some(last) if wanted <= last => Err(VersionError::NotGreater {
            last: last.to_string(),
            wanted: wanted.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    fn next(
        last_final: Option<&str>,
        last: Option<&str>,
        bump: Option<Bump>,
        pre: Option<&str>,
    ) -> Result<Option<String>, VersionError> {
        let last_final = last_final.map(v);
        let last = last.map(v);
        let pre = pre.map(|p| p.parse::<PreKind>().unwrap());
        next_version(last_final.as_ref(), last.as_ref(), bump, pre)
            .map(|next| next.map(|n| n.to_string()))
    }

    /// Last final, last, bump, pre-release kind, expected.
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        Option<Bump>,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn next_versions() {
        use Bump::*;
        let cases: &[Case] = &[
            (
                Some("1.2.3"),
                Some("1.2.3"),
                Some(Minor),
                None,
                Some("1.3.0"),
            ),
            (
                Some("1.2.3"),
                Some("1.2.3"),
                Some(Patch),
                None,
                Some("1.2.4"),
            ),
            (
                Some("1.2.3"),
                Some("1.2.3"),
                Some(Major),
                None,
                Some("2.0.0"),
            ),
            (
                Some("1.2.3"),
                Some("1.2.3"),
                Some(Minor),
                Some("rc"),
                Some("1.3.0rc1"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0rc1"),
                Some(Minor),
                Some("rc"),
                Some("1.3.0rc2"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0rc1"),
                Some(Patch),
                Some("rc"),
                Some("1.3.0rc2"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0rc2"),
                Some(Minor),
                None,
                Some("1.3.0"),
            ),
            (Some("1.2.3"), Some("1.3.0rc2"), None, None, Some("1.3.0")),
            (
                Some("1.2.3"),
                Some("1.3.0rc2"),
                Some(Major),
                Some("rc"),
                Some("2.0.0rc1"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0rc2"),
                Some(Major),
                None,
                Some("2.0.0"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0a1"),
                Some(Minor),
                Some("b"),
                Some("1.3.0b1"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0a3"),
                Some(Minor),
                Some("alpha"),
                Some("1.3.0a4"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0b1"),
                Some(Minor),
                Some("rc"),
                Some("1.3.0rc1"),
            ),
            (Some("1.2.3"), Some("1.2.3"), None, None, None),
            (Some("1.2.3"), Some("1.2.3"), None, Some("rc"), None),
            (Some("1.2.3"), Some("1.3.0rc1"), None, Some("rc"), None),
            (None, None, Some(Minor), None, Some("0.1.0")),
            (None, None, Some(Patch), Some("a"), Some("0.0.1a1")),
            (None, None, None, None, None),
            (
                None,
                Some("1.0.0rc1"),
                Some(Minor),
                Some("rc"),
                Some("1.0.0rc2"),
            ),
            (None, Some("1.0.0rc1"), None, None, Some("1.0.0")),
            (Some("1.2"), Some("1.2"), Some(Patch), None, Some("1.2.1")),
            (
                Some("1.2.3.4"),
                Some("1.2.3.4"),
                Some(Patch),
                None,
                Some("1.2.4"),
            ),
            (
                Some("1!1.2.3"),
                Some("1!1.2.3"),
                Some(Minor),
                None,
                Some("1!1.3.0"),
            ),
            (
                Some("1.2.3.post2"),
                Some("1.2.3.post2"),
                Some(Patch),
                None,
                Some("1.2.4"),
            ),
            (
                Some("1.2.3"),
                Some("1.3rc1"),
                Some(Minor),
                Some("rc"),
                Some("1.3rc2"),
            ),
            (
                Some("1.2.3"),
                Some("1.3rc1"),
                Some(Minor),
                None,
                Some("1.3"),
            ),
            (
                Some("1.2.3"),
                Some("1.3.0rc1.post1"),
                Some(Minor),
                Some("rc"),
                Some("1.3.0rc2"),
            ),
            // A stale pre-release older than the last final one is ignored.
            (
                Some("1.3.0"),
                Some("1.3.0rc1"),
                Some(Patch),
                None,
                Some("1.3.1"),
            ),
            // Below 1.0 a series aiming at 1.0.0 stays when the bump is smaller.
            (
                Some("0.9.0"),
                Some("1.0.0rc1"),
                Some(Minor),
                Some("rc"),
                Some("1.0.0rc2"),
            ),
        ];
        for (last_final, last, bump, pre, expected) in cases {
            let got = next(*last_final, *last, *bump, *pre);
            assert_eq!(
                got,
                Ok(expected.map(str::to_string)),
                "{last_final:?} {last:?} {bump:?} {pre:?}"
            );
        }
    }

    #[test]
    fn refusals() {
        let backwards = next(
            Some("1.2.3"),
            Some("1.3.0rc1"),
            Some(Bump::Minor),
            Some("a"),
        );
        assert!(matches!(
            backwards,
            Err(VersionError::PreBackwards { ref last, wanted: PreKind::Alpha }) if last == "1.3.0rc1"
        ));
        for (last, segment) in [("1.3.0.dev1", "dev"), ("1.3.0+local", "local")] {
            let error = next(Some("1.2.3"), Some(last), Some(Bump::Patch), None).unwrap_err();
            assert_eq!(
                error,
                VersionError::NotARelease {
                    version: last.to_string(),
                    segment
                }
            );
        }
        assert!(matches!(
            next(Some("1.3.0rc1"), None, Some(Bump::Patch), None),
            Err(VersionError::FinalIsPre { .. })
        ));
        let huge = format!("1.2.{}", u64::MAX);
        assert!(matches!(
            next(Some(&huge), Some(&huge), Some(Bump::Patch), None),
            Err(VersionError::Overflow { .. })
        ));
        let huge_rc = format!("1.3.0rc{}", u64::MAX);
        assert!(matches!(
            next(Some("1.2.3"), Some(&huge_rc), Some(Bump::Patch), Some("rc")),
            Err(VersionError::Overflow { .. })
        ));
        assert!("gamma".parse::<PreKind>().is_err());
        assert_eq!("RC".parse::<PreKind>(), Ok(PreKind::Rc));
        assert_eq!("Beta".parse::<PreKind>(), Ok(PreKind::Beta));
    }

    #[test]
    fn overrides() {
        assert!(check_override(Some(&v("1.2.3")), &v("1.2.4")).is_ok());
        assert!(check_override(None, &v("0.0.1")).is_ok());
        assert!(check_override(Some(&v("1.3.0rc1")), &v("1.3.0")).is_ok());
        for wanted in ["1.2.3", "1.2.3.0", "1.2.2", "1.2.3rc1"] {
            assert!(
                matches!(
                    check_override(Some(&v("1.2.3")), &v(wanted)),
                    Err(VersionError::NotGreater { .. })
                ),
                "{wanted}"
            );
        }
        assert!(matches!(
            check_override(Some(&v("1.2.3")), &v("1.2.4+x")),
            Err(VersionError::LocalOverride { .. })
        ));
    }

    fn commit(message: &str) -> Conventional {
        super::super::commits::parse(message).unwrap()
    }

    #[test]
    fn bumps() {
        let rules = BumpRules::default();
        let one = v("1.4.0");
        let zero = v("0.4.0");
        let cases: &[(&str, Option<&Version>, Option<Bump>)] = &[
            ("feat: x", Some(&one), Some(Bump::Minor)),
            ("fix: x", Some(&one), Some(Bump::Patch)),
            ("perf: x", Some(&one), Some(Bump::Patch)),
            ("docs: x", Some(&one), None),
            ("chore!: x", Some(&one), Some(Bump::Major)),
            (
                "docs: x\n\nBREAKING CHANGE: y",
                Some(&one),
                Some(Bump::Major),
            ),
            ("feat!: x", Some(&zero), Some(Bump::Minor)),
            ("feat!: x", None, Some(Bump::Minor)),
        ];
        for (message, current, expected) in cases {
            assert_eq!(
                rules.bump_for(&commit(message), *current),
                *expected,
                "{message}"
            );
        }
        let major_on_zero = BumpRules {
            major_on_zero: true,
            ..BumpRules::default()
        };
        assert_eq!(
            major_on_zero.bump_for(&commit("feat!: x"), Some(&zero)),
            Some(Bump::Major)
        );
        let commits = [commit("docs: a"), commit("fix: b"), commit("feat: c")];
        assert_eq!(rules.bump_for_all(&commits, Some(&one)), Some(Bump::Minor));
        assert_eq!(rules.bump_for_all(&commits[..1], Some(&one)), None);
        let mut custom = BumpRules::default();
        custom.types.insert("docs".into(), Some(Bump::Patch));
        custom.types.insert("perf".into(), None);
        assert_eq!(
            custom.bump_for(&commit("docs: a"), Some(&one)),
            Some(Bump::Patch)
        );
        assert_eq!(custom.bump_for(&commit("perf: a"), Some(&one)), None);
    }
}
