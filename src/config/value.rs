//! The values of the configuration that are written as strings but mean
//! more: ages, dates, system versions, SPDX licence ids, requirements,
//! package names and service URLs. Each is parsed while the file is
//! loaded, so a bad one is reported with the file, line and column, what
//! was expected and a hint; the commands then take it parsed.
//!
//! serde carries a deserialisation error as text only, so the hint rides
//! after [`HINT_MARKER`] in that text and the loader splits it off again
//! (`split_hint`).

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use crate::python::target::{OsVersion, OsVersionError};
use crate::time::{Date, DateError};

/// Separates the message of a bad value from its hint inside a serde error.
const HINT_MARKER: &str = "\nhint: ";

/// A serde error's text, split into the message and the hint a value gave.
pub(super) fn split_hint(text: &str) -> (&str, Option<&str>) {
    match text.split_once(HINT_MARKER) {
        Some((message, hint)) => (message, Some(hint.trim())),
        None => (text, None),
    }
}

/// A string-written value of the configuration: parsed from its text,
/// printed back as (normalised) text, and with a hint for a bad one.
pub trait ConfigValue: FromStr + fmt::Display
where
    Self::Err: fmt::Display,
{
    /// What to write instead of a value that failed with `error`.
    fn hint(error: &Self::Err) -> String;
}

/// Why a value is not one of its kind: what was found and expected, and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub message: String,
    pub hint: String,
}

impl ValueError {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// serde (as a string) and a JSON Schema for a [`ConfigValue`], whose
/// parse errors carry the value's hint after [`HINT_MARKER`].
macro_rules! config_value_serde {
    ($ty:ty, $description:expr, $pattern:expr) => {
        crate::python::string_serde!(
            $ty,
            $description,
            $pattern,
            |error: <$ty as FromStr>::Err| format!(
                "{error}{HINT_MARKER}{}",
                <$ty as ConfigValue>::hint(&error)
            )
        );
    };
}

/// A length of time written as a number and a unit: `48h`, `7d`, `2w`,
/// `1y` (365 days). Printed as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Age {
    seconds: i64,
    text: String,
}

impl Age {
    pub fn seconds(&self) -> i64 {
        self.seconds
    }
}

impl FromStr for Age {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = || {
            ValueError::new(
                format!(
                    "`{}` is not an age: expected a number and a unit (h, d, w or y)",
                    shortened(s)
                ),
                "write a number and a unit: 48h, 7d, 2w, 1y",
            )
        };
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: i64 = number.parse().map_err(|_| bad())?;
        let unit = match unit.trim() {
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            "y" => 365 * 86_400,
            _ => return Err(bad()),
        };
        Ok(Self {
            seconds: number.checked_mul(unit).ok_or_else(bad)?,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl ConfigValue for Age {
    fn hint(error: &ValueError) -> String {
        error.hint.clone()
    }
}

config_value_serde!(
    Age,
    "A length of time: a number and a unit, h (hours), d (days), w (weeks) or y (365 days), such as 7d.",
    Some("^[0-9]+ *[hdwy]$")
);

/// An SPDX licence identifier (`MIT`, `Apache-2.0`) or a `LicenseRef-…`.
/// Printed as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseId {
    /// In the SPDX list's spelling (`GPL-2.0+` is `GPL-2.0`).
    id: String,
    written: String,
}

impl LicenseId {
    /// The id in the SPDX list's spelling.
    pub fn as_str(&self) -> &str {
        &self.id
    }
}

impl FromStr for LicenseId {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = match ::spdx::license_id(s) {
            Some(license) => Some(license.name.to_string()),
            None => s.starts_with("LicenseRef-").then(|| s.to_string()),
        };
        if let Some(id) = id {
            return Ok(Self {
                id,
                written: s.to_string(),
            });
        }
        let hint = match ::spdx::imprecise_license_id(s)
            .map(|(l, _)| l.name)
            .or_else(|| nearest_license(s))
        {
            Some(name) => format!("did you mean `{name}`?"),
            None => "use SPDX identifiers, as listed at spdx.org/licenses".into(),
        };
        Err(ValueError::new(
            format!(
                "`{}` is not an SPDX licence id: expected one from spdx.org/licenses or `LicenseRef-…`",
                shortened(s)
            ),
            hint,
        ))
    }
}

/// The SPDX id nearest to `id`, when one is near enough to suggest.
fn nearest_license(id: &str) -> Option<&'static str> {
    let lower = id.to_ascii_lowercase();
    // A distance costs length × length: only names whose length allows a
    // score of 0.6 (the distance is at least the difference in length)
    // are compared, so a huge id is refused in linear time.
    let length = lower.chars().count();
    ::spdx::identifiers::LICENSES
        .iter()
        .filter(|l| {
            let (short, long) = if l.name.len() < length {
                (l.name.len(), length)
            } else {
                (length, l.name.len())
            };
            short as f64 >= 0.6 * long as f64
        })
        .map(|l| {
            (
                strsim::normalized_damerau_levenshtein(&lower, &l.name.to_ascii_lowercase()),
                l.name,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.6)
        .map(|(_, name)| name)
}

impl fmt::Display for LicenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl ConfigValue for LicenseId {
    fn hint(error: &ValueError) -> String {
        error.hint.clone()
    }
}

config_value_serde!(
    LicenseId,
    "An SPDX licence identifier (MIT, Apache-2.0, ...; see spdx.org/licenses) or a LicenseRef-.",
    None
);

/// A PEP 508 requirement naming packages: `pyyaml` or `pyyaml<6`.
/// Printed as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRequirement {
    requirement: pep508_rs::Requirement,
    written: String,
}

impl PackageRequirement {
    pub fn requirement(&self) -> &pep508_rs::Requirement {
        &self.requirement
    }
}

impl FromStr for PackageRequirement {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        pep508_rs::Requirement::from_str(s)
            .map(|requirement| Self {
                requirement,
                written: s.to_string(),
            })
            .map_err(|error| {
                ValueError::new(
                    format!("`{}` is not a requirement: {}", shortened(s), error.message),
                    "write a name, optionally with a version specifier: `pyyaml<6`",
                )
            })
    }
}

impl fmt::Display for PackageRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl ConfigValue for PackageRequirement {
    fn hint(error: &ValueError) -> String {
        error.hint.clone()
    }
}

config_value_serde!(
    PackageRequirement,
    "A PEP 508 requirement: a package name, optionally with a version specifier (pyyaml<6).",
    None
);

/// A package name, compared normalised as PEP 503 says (`PyYAML` is
/// `pyyaml`) and printed as written. Borrows as the normalised `str`, so
/// a map keyed by names can be asked with a normalised name.
#[derive(Debug, Clone)]
pub struct NormalizedName {
    normalized: String,
    written: String,
}

impl NormalizedName {
    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.normalized
    }
}

impl PartialEq for NormalizedName {
    fn eq(&self, other: &Self) -> bool {
        self.normalized == other.normalized
    }
}

impl Eq for NormalizedName {}

impl PartialOrd for NormalizedName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NormalizedName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.normalized.cmp(&other.normalized)
    }
}

impl Borrow<str> for NormalizedName {
    fn borrow(&self) -> &str {
        &self.normalized
    }
}

impl FromStr for NormalizedName {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: String| {
            ValueError::new(
                format!("`{}` is not a package name: {why}", shortened(s)),
                "write the name as on the index: letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit",
            )
        };
        if s.is_empty() {
            return Err(bad("it is empty".into()));
        }
        let name = pep508_rs::PackageName::new(s.to_string()).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            normalized: crate::python::normalize(name.as_ref()),
            written: s.to_string(),
        })
    }
}

impl fmt::Display for NormalizedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl ConfigValue for NormalizedName {
    fn hint(error: &ValueError) -> String {
        error.hint.clone()
    }
}

config_value_serde!(
    NormalizedName,
    "A package name (compared normalised: PyYAML is pyyaml).",
    Some("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
);

/// The base URL of an HTTP service, kept as written (credentials and all;
/// output masks them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// A URL written in chiron's code (a default), taken as valid.
    pub(crate) fn known(url: &'static str) -> Self {
        Self(url.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for HttpUrl {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = |why: String| {
            // Credentials stay out of messages.
            let shown = if text.contains('@') {
                crate::redact::redact_url(text)
            } else {
                text.to_string()
            };
            ValueError::new(
                format!("`{}` is not an http(s) URL: {why}", shortened(&shown)),
                "write the service's base URL, such as `https://api.osv.dev`",
            )
        };
        let parsed = url::Url::parse(text).map_err(|error| bad(error.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad(format!("the scheme is `{}`", parsed.scheme())));
        }
        Ok(Self(text.to_string()))
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ConfigValue for HttpUrl {
    fn hint(error: &ValueError) -> String {
        error.hint.clone()
    }
}

config_value_serde!(HttpUrl, "An http:// or https:// URL.", Some("^https?://"));

impl ConfigValue for OsVersion {
    fn hint(_: &OsVersionError) -> String {
        "write the oldest version the targets must run on as MAJOR.MINOR: min-glibc = \"2.17\", min-musl = \"1.2\", min-macos = \"11.0\"".into()
    }
}

config_value_serde!(
    OsVersion,
    "A system version, MAJOR.MINOR (glibc 2.17, musl 1.2, macOS 11.0).",
    Some("^ *[0-9]+\\.[0-9]+ *$")
);

impl ConfigValue for Date {
    fn hint(_: &DateError) -> String {
        "write the day as YYYY-MM-DD, such as 2025-12-31".into()
    }
}

config_value_serde!(
    Date,
    "A calendar date, YYYY-MM-DD.",
    Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
);

/// `text` cut to its first 80 characters, for a message that quotes it.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_a_number_and_a_unit() {
        for (text, seconds) in [
            ("7d", 7 * 86_400),
            ("48h", 48 * 3600),
            ("2w", 14 * 86_400),
            ("1y", 365 * 86_400),
            (" 7 d ", 7 * 86_400),
        ] {
            let age: Age = text.parse().unwrap();
            assert_eq!(age.seconds(), seconds, "{text}");
            assert_eq!(age.to_string(), text.trim());
        }
        for bad in ["7", "d", "3m", "3 parsecs", "", "99999999999999999999y"] {
            let error = bad.parse::<Age>().unwrap_err();
            assert!(error.message.contains("is not an age"), "{bad}: {error}");
            assert!(error.hint.contains("48h"), "{bad}: {}", error.hint);
        }
    }

    #[test]
    fn licence_ids_are_spdx_and_near_misses_get_a_suggestion() {
        let id: LicenseId = "GPL-2.0+".parse().unwrap();
        assert_eq!(
            (id.as_str(), id.to_string().as_str()),
            ("GPL-2.0", "GPL-2.0+")
        );
        let id: LicenseId = "LicenseRef-Acme".parse().unwrap();
        assert_eq!(id.as_str(), "LicenseRef-Acme");
        let error = "MTI".parse::<LicenseId>().unwrap_err();
        assert!(error.message.contains("`MTI` is not an SPDX licence id"));
        assert_eq!(error.hint, "did you mean `MIT`?");
        let error = "zzzzzzzzzzzzzzzz".parse::<LicenseId>().unwrap_err();
        assert!(error.hint.contains("spdx.org/licenses"), "{}", error.hint);
        // A huge id is refused quickly, and quoted shortened.
        let huge = "x".repeat(100_000);
        let error = huge.parse::<LicenseId>().unwrap_err();
        assert!(error.message.len() < 300, "{}", error.message);
    }

    #[test]
    fn requirements_and_names_parse_and_print_as_written() {
        let denied: PackageRequirement = "PyYAML < 6".parse().unwrap();
        assert_eq!(denied.to_string(), "PyYAML < 6");
        assert_eq!(denied.requirement().name.as_ref(), "pyyaml");
        let error = "not a requirement!"
            .parse::<PackageRequirement>()
            .unwrap_err();
        assert!(error.message.contains("is not a requirement"), "{error}");
        assert!(error.hint.contains("pyyaml<6"));

        let name: NormalizedName = "Py_YAML".parse().unwrap();
        assert_eq!(
            (name.as_str(), name.to_string().as_str()),
            ("py-yaml", "Py_YAML")
        );
        assert_eq!(name, "py.yaml".parse().unwrap());
        for bad in ["-bad-", "", "a b"] {
            let error = bad.parse::<NormalizedName>().unwrap_err();
            assert!(error.message.contains("is not a package name"), "{error}");
        }
    }

    #[test]
    fn service_urls_are_http_and_keep_their_spelling() {
        let url: HttpUrl = " https://api.osv.dev ".parse().unwrap();
        assert_eq!(url.as_str(), "https://api.osv.dev");
        for (bad, why) in [
            ("api.osv.dev", "relative URL"),
            ("ftp://x.invalid", "the scheme is `ftp`"),
            ("", "relative URL"),
        ] {
            let error = bad.parse::<HttpUrl>().unwrap_err();
            assert!(error.message.contains(why), "{bad}: {error}");
        }
        let error = "file://u:secret@x/".parse::<HttpUrl>().unwrap_err();
        assert!(!error.message.contains("secret"), "{error}");
    }

    #[test]
    fn hints_ride_in_serde_errors_and_are_split_off() {
        assert_eq!(
            split_hint("`x` is bad\nhint: write y"),
            ("`x` is bad", Some("write y"))
        );
        assert_eq!(split_hint("invalid type"), ("invalid type", None));
    }
}
