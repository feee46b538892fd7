//! Release tags: a pattern such as `v{version}` or `{name}-v{version}`
//! turned into the tag of a version, and back.

use std::str::FromStr;

use pep440_rs::Version;

use super::error::ReleaseError;

/// A package's tag pattern, with `{name}` already replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern {
    prefix: String,
    suffix: String,
}

impl TagPattern {
    /// `pattern` for the package `name`: `{version}` must appear exactly
    /// once, and nothing else in braces.
    pub fn new(pattern: &str, name: &str) -> Result<TagPattern, ReleaseError> {
        let invalid = |reason: &str| ReleaseError::TagPattern {
            pattern: pattern.to_string(),
            reason: reason.to_string(),
        };
        let filled = pattern.replace("{name}", name);
        let (prefix, suffix) = filled
            .split_once("{version}")
            .ok_or_else(|| invalid("it has no `{version}`"))?;
        if suffix.contains("{version}") {
            return Err(invalid("`{version}` appears twice"));
        }
        if [prefix, suffix]
            .iter()
            .any(|part| part.contains(['{', '}']))
        {
            return Err(invalid(
                "only `{name}` and `{version}` may appear in braces",
            ));
        }
        Ok(TagPattern {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        })
    }

    /// The tag of `version`.
    pub fn tag(&self, version: &Version) -> String {
        format!("{}{version}{}", self.prefix, self.suffix)
    }

    /// The version a tag names, when it matches the pattern and the middle
    /// is a PEP 440 version.
    pub fn version_of(&self, tag: &str) -> Option<Version> {
        let middle = tag.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)?;
        if middle.is_empty() || !middle.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        Version::from_str(middle).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    #[test]
    fn single_package_tags() {
        let pattern = TagPattern::new("v{version}", "demo").unwrap();
        assert_eq!(pattern.tag(&v("1.3.0rc1")), "v1.3.0rc1");
        assert_eq!(pattern.version_of("v1.2.3"), Some(v("1.2.3")));
        assert_eq!(pattern.version_of("v1.2.3-rc.1"), Some(v("1.2.3rc1")));
        assert_eq!(pattern.version_of("1.2.3"), None);
        assert_eq!(pattern.version_of("v"), None);
        assert_eq!(pattern.version_of("vnext"), None);
    }

    #[test]
    fn monorepo_tags_do_not_match_each_other() {
        let a = TagPattern::new("{name}-v{version}", "pkg-a").unwrap();
        let ab = TagPattern::new("{name}-v{version}", "pkg").unwrap();
        assert_eq!(a.version_of("pkg-a-v1.0.0"), Some(v("1.0.0")));
        assert_eq!(ab.version_of("pkg-a-v1.0.0"), None);
        assert_eq!(a.tag(&v("2.0")), "pkg-a-v2.0");
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in ["v", "{version}-{version}", "{nme}-{version}", "x{version}}"] {
            assert!(TagPattern::new(bad, "n").is_err(), "{bad}");
        }
    }
}
