//! The Python packaging model: pure types for what users and indexes write
//! (versions, targets, tags, filenames, core metadata). No I/O here.

/// `Serialize`, `Deserialize` and a JSON schema (`string`, with a pattern)
/// for a type through its `Display` and `FromStr`.
macro_rules! string_serde {
    ($ty:ty, $description:expr, $pattern:expr) => {
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Parsed inside the visitor, so that a TOML error points at
                // this value, not at the array holding it.
                struct Visitor;

                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$ty, E> {
                        text.parse().map_err(E::custom)
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
                schemars::json_schema!({
                    "type": "string",
                    "description": $description,
                    "pattern": $pattern,
                })
            }
        }
    };
}

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
