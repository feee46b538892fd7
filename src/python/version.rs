//! The CPython feature release a target names (`3.12`): parsing, naming,
//! and which releases a project's `requires-python` admits. Not the PEP 440
//! version of a package (`pep440_rs::Version`).
//!
//! The bottom of `python/`: the tag model and targets are built on it.

use std::fmt;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

/// A CPython feature release, `major.minor`, as used for `--python-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    pub major: u8,
    pub minor: u8,
}

/// CPython feature releases that still receive fixes (3.10 reached its end
/// of life in October 2026). `chiron init` proposes these, narrowed by the
/// project's `requires-python`.
pub const MAINTAINED_PYTHONS: &[PythonVersion] = &[
    PythonVersion::new(3, 11),
    PythonVersion::new(3, 12),
    PythonVersion::new(3, 13),
    PythonVersion::new(3, 14),
    PythonVersion::new(3, 15),
];

/// Every feature release chiron knows how to target, oldest first; used when
/// a project's `requires-python` excludes all maintained versions.
pub const KNOWN_PYTHONS: &[PythonVersion] = &[
    PythonVersion::new(3, 7),
    PythonVersion::new(3, 8),
    PythonVersion::new(3, 9),
    PythonVersion::new(3, 10),
    PythonVersion::new(3, 11),
    PythonVersion::new(3, 12),
    PythonVersion::new(3, 13),
    PythonVersion::new(3, 14),
    PythonVersion::new(3, 15),
];

impl PythonVersion {
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }

    /// The feature release as a PEP 440 version (`3.12`), to test it
    /// against a `requires-python`.
    pub fn release(self) -> Version {
        Version::new([u64::from(self.major), u64::from(self.minor)])
    }

    /// The interpreter's name on Unix, `python3.12`.
    pub fn executable_name(self) -> String {
        format!("python{}.{}", self.major, self.minor)
    }

    /// The versions among `candidates` that a `requires-python` specifier admits.
    /// A feature release is admitted when any of its patch releases is, which is
    /// how pip reads `>=3.11.4` for a 3.11 target.
    ///
    /// ```
    /// use chiron::python::version::{PythonVersion, MAINTAINED_PYTHONS};
    /// let spec = ">=3.11.4,<3.14".parse().unwrap();
    /// let admitted = PythonVersion::admitted_by(&spec, MAINTAINED_PYTHONS);
    /// let names: Vec<String> = admitted.iter().map(|v| v.to_string()).collect();
    /// assert_eq!(names, ["3.11", "3.12", "3.13"]);
    /// ```
    pub fn admitted_by(
        requires_python: &VersionSpecifiers,
        candidates: &[PythonVersion],
    ) -> Vec<PythonVersion> {
        candidates
            .iter()
            .copied()
            .filter(|python| {
                // Patch releases up to 99 cover every CPython release line so far.
                (0..100u64).any(|patch| {
                    let version =
                        Version::new([u64::from(python.major), u64::from(python.minor), patch]);
                    requires_python.contains(&version)
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PythonVersionError {
    #[error("`{0}` is not a Python version: expected MAJOR.MINOR such as `3.12`")]
    Malformed(String),
    #[error("`{0}` is not Python 3: chiron resolves wheels for Python 3 (such as `3.12`)")]
    NotPython3(String),
}

impl FromStr for PythonVersion {
    type Err = PythonVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || PythonVersionError::Malformed(s.to_string());
        let (major, minor) = s.trim().split_once('.').ok_or_else(error)?;
        let major: u8 = major.parse().map_err(|_| error())?;
        let minor: u8 = minor.parse().map_err(|_| error())?;
        if major != 3 {
            return Err(PythonVersionError::NotPython3(s.to_string()));
        }
        Ok(Self { major, minor })
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

string_serde!(
    PythonVersion,
    "A CPython feature release, MAJOR.MINOR (for example 3.12).",
    Some("^3\\.[0-9]+$")
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_versions_parse_and_print() {
        for (input, expected) in [("3.12", Some((3, 12))), (" 3.9 ", Some((3, 9)))] {
            let parsed: PythonVersion = input.parse().unwrap();
            assert_eq!(Some((parsed.major, parsed.minor)), expected);
        }
        for bad in ["3", "3.x", "2.7", "three", "3.12.1", ""] {
            assert!(bad.parse::<PythonVersion>().is_err(), "{bad} parsed");
        }
        assert_eq!(PythonVersion::new(3, 12).to_string(), "3.12");
        assert_eq!(PythonVersion::new(3, 12).executable_name(), "python3.12");
    }

    #[test]
    fn requires_python_narrows_candidates() {
        let cases = [
            (">=3.12", vec!["3.12", "3.13", "3.14", "3.15"]),
            (">=3.11.4,<3.13", vec!["3.11", "3.12"]),
            ("~=3.13.0", vec!["3.13"]),
            ("<3.8", vec![]),
            ("!=3.12.*", vec!["3.11", "3.13", "3.14", "3.15"]),
        ];
        for (spec, expected) in cases {
            let spec: VersionSpecifiers = spec.parse().unwrap();
            let admitted: Vec<String> = PythonVersion::admitted_by(&spec, MAINTAINED_PYTHONS)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(admitted, expected, "requires-python {spec}");
        }
    }
}
