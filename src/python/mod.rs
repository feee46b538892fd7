//! The Python packaging model: pure types for what users and indexes write
//! (versions, targets, tags, filenames, core metadata). No I/O here.

/// `Serialize`, `Deserialize` and a JSON schema (`string`, with the
/// pattern when there is one) for a type through its `Display` and
/// `FromStr`. The optional last argument turns a parse error into the text
/// serde carries (the configuration's values add their hint there).
macro_rules! string_serde {
    ($ty:ty, $description:expr, $pattern:expr) => {
        $crate::python::string_serde!($ty, $description, $pattern, |error| error);
    };
    ($ty:ty, $description:expr, $pattern:expr, $describe_error:expr) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Parsed inside the visitor, so that the deserialiser
                // places an error at this value, not at what holds it.
                struct Visitor;

                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$ty, E> {
                        text.parse::<$ty>()
                            .map_err(|error| E::custom(($describe_error)(error)))
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let mut schema = schemars::json_schema!({
                    "type": "string",
                    "description": $description,
                });
                let pattern: Option<&str> = $pattern;
                if let Some(pattern) = pattern {
                    schema.insert("pattern".into(), pattern.into());
                }
                schema
            }
        }
    };
}
pub(crate) use string_serde;

pub mod filename;
pub mod metadata;
pub mod ranges;
pub mod tags;
pub mod target;
pub mod version;

/// A project name in PEP 503 normal form: lower case, with every run of
/// `-`, `_` and `.` as one `-`.
///
/// ```
/// assert_eq!(chiron::python::normalize("Typing__Extensions.x"), "typing-extensions-x");
/// ```
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A project name normalised once (PEP 503, as [`normalize`]), so that
/// names compare equal exactly when they name the same project. Written
/// and read as the normalised string; any text is accepted and
/// normalised, as `normalize` accepts any text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct NormalizedName(String);

impl NormalizedName {
    pub fn new(name: &str) -> Self {
        Self(normalize(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NormalizedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NormalizedName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Maps keyed by name can be looked up with the normalised text.
impl std::borrow::Borrow<str> for NormalizedName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for NormalizedName {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

impl From<&pep508_rs::PackageName> for NormalizedName {
    fn from(name: &pep508_rs::PackageName) -> Self {
        Self::new(name.as_ref())
    }
}

impl<'de> serde::Deserialize<'de> for NormalizedName {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(from)?;
        Ok(Self::new(&text))
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn a_name_is_normalised_once_when_made_or_read() {
        for (written, normal) in [
            ("six", "six"),
            ("Typing__Extensions.x", "typing-extensions-x"),
            ("zope.interface", "zope-interface"),
            ("PyYAML", "pyyaml"),
            ("a-_.b", "a-b"),
        ] {
            let name = NormalizedName::new(written);
            assert_eq!(name.as_str(), normal);
            assert_eq!(name.to_string(), normal);
            assert_eq!(NormalizedName::new(normal), name, "idempotent");
            let read: NormalizedName =
                serde_json::from_value(serde_json::Value::from(written)).unwrap();
            assert_eq!(read, name);
            assert_eq!(serde_json::to_value(&read).unwrap(), normal);
        }
        let parsed: pep508_rs::PackageName = "Foo_Bar".parse().unwrap();
        assert_eq!(NormalizedName::from(&parsed).as_str(), "foo-bar");
        let keyed = std::collections::BTreeMap::from([(NormalizedName::new("Six"), 1)]);
        assert_eq!(keyed.get("six"), Some(&1));
        assert!(serde_json::from_str::<NormalizedName>("12").is_err());
    }
}
