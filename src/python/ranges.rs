//! PEP 440 specifiers as version ranges for the resolver.
//!
//! pep440_rs converts a specifier to a range by the version's order alone,
//! so `==1.2.3` becomes the single point `1.2.3`, which leaves out
//! `1.2.3+cpu`. PEP 440 says a specifier without a local label ignores the
//! candidate's local label: `==1.2.3`, `<=1.2.3` match `1.2.3+cpu` and
//! `!=1.2.3` excludes it, as `VersionSpecifier::contains`, pip and uv all
//! do. This module widens exactly those operators; everything else is
//! pep440_rs's conversion, which already treats locals as PEP 440 says
//! (`>1.2.3` and `<1.2.3` exclude `1.2.3+cpu`; `>=`, `~=` and `==1.2.*`
//! include it).

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pubgrub::Ranges;

/// The smallest version above every `version+local`: no version lies
/// between the two but local variants of `version`.
///
/// In PEP 440 order a local label sorts right after its public version and
/// before anything else, so the bound is the next dev release of the same
/// version (`1.0.dev1` -> `1.0.dev2`), else the next post release's first dev
/// release (`1.0.post1` -> `1.0.post2.dev0`, `1.0` and `1.0a1` ->
/// `1.0.post0.dev0`, `1.0a1.post0.dev0`).
pub fn above_locals_of(version: &Version) -> Version {
    let public = version.clone().without_local();
    match (public.dev(), public.post()) {
        (Some(dev), _) => public.with_dev(Some(dev + 1)),
        (None, Some(post)) => public.with_post(Some(post + 1)).with_dev(Some(0)),
        (None, None) => public.with_post(Some(0)).with_dev(Some(0)),
    }
}

/// The versions one specifier admits.
pub fn specifier_range(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version();
    if !version.local().is_empty() {
        return Ranges::from(specifier.clone());
    }
    match specifier.operator() {
        Operator::Equal => Ranges::from_range_bounds(version.clone()..above_locals_of(version)),
        Operator::NotEqual => {
            Ranges::from_range_bounds(version.clone()..above_locals_of(version)).complement()
        }
        Operator::LessThanEqual => Ranges::strictly_lower_than(above_locals_of(version)),
        _ => Ranges::from(specifier.clone()),
    }
}

/// The versions every specifier of a set admits.
pub fn specifiers_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, s| {
        range.intersection(&specifier_range(s))
    })
}

/// Whether `pinned` (from a `==` or `===` specifier) names `version`: the
/// same version, or, for a pin without a local label, any local variant of
/// it (`==2.5.1` pins `2.5.1+cpu`).
pub fn pin_names(pinned: &Version, version: &Version) -> bool {
    pinned == version || (pinned.local().is_empty() && *pinned == version.clone().without_local())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    /// Each row: specifier, versions it admits, versions it does not. The
    /// range must agree with `VersionSpecifier::contains` (PEP 440's own
    /// wording, which pip and uv follow) on every version.
    #[test]
    fn ranges_agree_with_pep_440_on_local_versions() {
        let rows: &[(&str, &[&str], &[&str])] = &[
            (
                "==1.2.3",
                &["1.2.3", "1.2.3+cpu", "1.2.3+cu121.x", "1.2.3.0+a"],
                &["1.2.3.post1", "1.2.4", "1.2.3a1", "1.2.3.dev0"],
            ),
            ("==1.2.3+cpu", &["1.2.3+cpu"], &["1.2.3", "1.2.3+cu121"]),
            (
                "!=1.2.3",
                &["1.2.4", "1.2.3.post1", "1.2.2+x"],
                &["1.2.3", "1.2.3+cpu"],
            ),
            (
                "<=1.2.3",
                &["1.2.3", "1.2.3+cpu", "1.2.2", "1.2.3rc1"],
                &["1.2.3.post1", "1.2.4"],
            ),
            (
                ">1.2.3",
                &["1.2.4", "1.2.4+x"],
                &["1.2.3", "1.2.3+cpu", "1.2.3.post1"],
            ),
            (
                "<1.2.3",
                &["1.2.2", "1.2.2+x"],
                &["1.2.3", "1.2.3+cpu", "1.2.3rc1"],
            ),
            (
                ">=1.2.3",
                &["1.2.3", "1.2.3+cpu", "1.3"],
                &["1.2.2+x", "1.2.3rc1"],
            ),
            ("~=1.2.3", &["1.2.3+cpu", "1.2.9+x"], &["1.3", "1.2.2"]),
            ("==1.2.*", &["1.2.0+x", "1.2.7+cpu"], &["1.3.0+x"]),
            (
                "==1.0.post1",
                &["1.0.post1", "1.0.post1+x"],
                &["1.0.post2.dev0", "1.0.post2", "1.0"],
            ),
            (
                "==1.0.dev1",
                &["1.0.dev1", "1.0.dev1+x"],
                &["1.0.dev2", "1.0"],
            ),
            (
                "==1.0a1",
                &["1.0a1", "1.0a1+x"],
                &["1.0a1.post0.dev0", "1.0a2", "1.0"],
            ),
            ("==1!2.0", &["1!2.0", "1!2.0+x"], &["2.0", "2.0+x"]),
            ("<=1!2.0", &["1!2.0+x", "3.0"], &["1!2.0.post1"]),
        ];
        for (specifier, admitted, refused) in rows {
            let parsed: VersionSpecifier = specifier.parse().unwrap();
            let range = specifier_range(&parsed);
            for version in *admitted {
                assert!(
                    range.contains(&v(version)),
                    "{specifier} should admit {version}"
                );
                assert!(
                    parsed.contains(&v(version)),
                    "pep440_rs disagrees: {specifier} {version}"
                );
            }
            for version in *refused {
                assert!(
                    !range.contains(&v(version)),
                    "{specifier} should refuse {version}"
                );
                assert!(
                    !parsed.contains(&v(version)),
                    "pep440_rs disagrees: {specifier} {version}"
                );
            }
        }
    }

    #[test]
    fn sets_intersect_and_pins_name_local_variants() {
        let set: VersionSpecifiers = ">=1.0,<=2.5.1".parse().unwrap();
        let range = specifiers_range(&set);
        assert!(range.contains(&v("2.5.1+cpu")));
        assert!(!range.contains(&v("0.9+cpu")));
        assert!(pin_names(&v("2.5.1"), &v("2.5.1+cpu")));
        assert!(pin_names(&v("2.5.1+cpu"), &v("2.5.1+cpu")));
        assert!(!pin_names(&v("2.5.1+cpu"), &v("2.5.1")));
        assert!(!pin_names(&v("2.5.1"), &v("2.5.1.post1")));
    }
}
