//! `manifest.json`: the spine of a wheelhouse. Every later stage (SBOM,
//! scan, policy, bundle, verify) reads it, and `verify` recomputes it from
//! the bytes. Sorted and free of timestamps, so the same inputs give the
//! same bytes.
//!
//! The bottom of the import graph: the types and their JSON form only,
//! built on std, serde and the pure models below it (`crate::digest`'s
//! `Sha256`, `crate::python`'s `NormalizedName`). Whoever produces or
//! consumes a manifest imports this module, never the other way round.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::digest::Sha256;
use crate::python::NormalizedName;

/// The manifest format's version; bumped on incompatible changes.
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "chiron wheelhouse manifest")]
pub struct Manifest {
    pub manifest_version: u32,
    pub tool: Tool,
    pub inputs: Inputs,
    /// The targets served: each has its requirements file.
    pub targets: Vec<ManifestTarget>,
    /// The declared targets that are not served (built with `--allow-gaps`
    /// or `[targets] on-gap = "skip"`), sorted by name: none has a
    /// requirements file. Absent when every target is served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<TargetGap>,
    /// One entry per package version, sorted by name then version.
    pub packages: Vec<ManifestPackage>,
    /// One entry per file in the wheelhouse, sorted by file name.
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// sha256 of everything that decides the resolution (requirements,
    /// constraints, targets, indexes, options), in a canonical form.
    pub fingerprint: String,
    /// The input files and their sha256.
    pub files: Vec<InputFile>,
    /// Requirements as resolved, after reading all inputs.
    pub requirements: Vec<String>,
    pub constraints: Vec<String>,
    /// Index URLs (credentials removed) and find-links sources.
    pub indexes: Vec<String>,
    pub find_links: Vec<String>,
    pub allow_prereleases: bool,
    pub exclude_newer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub path: String,
    #[schemars(with = "String")]
    pub sha256: Sha256,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestTarget {
    /// `3.12-linux-x86_64`.
    pub name: String,
    pub python: String,
    pub platform: String,
    /// The hash-pinned requirements file for this target.
    pub requirements_file: String,
    /// The platform tags this target accepts, most preferred first.
    pub platform_tags: Vec<String>,
}

/// A declared target the wheelhouse does not serve, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetGap {
    /// `3.12-macos-arm64`.
    pub name: String,
    pub python: String,
    pub platform: String,
    /// The platform tags this target accepts, most preferred first.
    pub platform_tags: Vec<String>,
    /// Why it cannot be served: the resolver's explanation.
    pub reason: String,
    /// What to change so that it can be.
    pub hint: String,
    /// The packages that have no wheel for this target; empty when its
    /// requirements conflict for another reason.
    pub packages: Vec<MissingWheel>,
}

/// A package a target cannot install, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingWheel {
    /// The package, as the index names it.
    pub package: String,
    /// What the index has instead, in words.
    pub reason: String,
    /// The exact change that would give the target a wheel, or what to do
    /// when none would.
    pub hint: String,
    /// The wheels the newest matching version does publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<Offer>,
}

/// The wheels one version publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub version: String,
    /// Python tags of its wheels (`cp312`, `py3`), sorted.
    pub python_tags: Vec<String>,
    /// Platform tags of its wheels (`macosx_12_0_arm64`, `any`), sorted.
    pub platform_tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestPackage {
    // Normalised (PEP 503). Not a doc comment: the committed schema has
    // no description here.
    #[schemars(with = "String")]
    pub name: NormalizedName,
    pub version: String,
    /// PEP 639 `License-Expression`, else the `License` field when short.
    pub license: Option<String>,
    pub summary: Option<String>,
    /// The authors' names from the core metadata (no e-mail addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authors: Option<String>,
    pub requires_dist: Vec<String>,
    /// Target name to how that target uses this package.
    #[schemars(with = "BTreeMap<String, PackageUse>")]
    pub targets: BTreeMap<TargetScope, PackageUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageUse {
    /// The file this target installs.
    pub file: String,
    /// `direct`, or the packages that require it on this target.
    #[schemars(with = "Vec<String>")]
    pub required_by: Vec<Parent>,
    /// Extras active on this target.
    pub extras: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub filename: String,
    // Absent (written `""`) when the input did not record one: a lock
    // without hashes. A plain comment, so the committed schema is unchanged.
    #[serde(with = "unhashed_as_empty")]
    #[schemars(with = "String")]
    pub sha256: Option<Sha256>,
    pub size: u64,
    /// Where it was downloaded from, credentials removed.
    pub url: String,
    /// The index or find-links source that listed it.
    pub index: String,
    pub yanked: bool,
    #[schemars(with = "Vec<String>")]
    pub targets: Vec<TargetScope>,
    /// When the index received the file (PEP 700), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_time: Option<String>,
}

impl ManifestFile {
    /// The sha256 as `manifest.json` spells it: hex, or empty when the
    /// file has none.
    pub fn sha256_text(&self) -> String {
        self.sha256.map(|s| s.to_string()).unwrap_or_default()
    }
}

impl Manifest {
    /// Stable, pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a manifest always serialises");
        text.push('\n');
        text
    }
}

/// What a package's use or a file is recorded for: one target, or every
/// target at once (`all`), for inputs that describe one set of packages
/// rather than targets (a lock, a folder of wheels, an environment).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TargetScope {
    All,
    Target(String),
}

impl TargetScope {
    /// The manifest's spelling: the target's name, or `all`.
    pub fn as_str(&self) -> &str {
        match self {
            TargetScope::All => "all",
            TargetScope::Target(name) => name,
        }
    }
}

/// What requires a package on a target: the user (`direct`), or another
/// package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parent {
    Direct,
    Package(NormalizedName),
}

impl Parent {
    /// The manifest's spelling: `direct`, or the package's name.
    pub fn as_str(&self) -> &str {
        match self {
            Parent::Direct => "direct",
            Parent::Package(name) => name.as_str(),
        }
    }
}

/// Both are ordered as they are spelled, so sorted maps and sets write
/// the same JSON as the strings did.
macro_rules! spelled_as_a_string {
    ($type:ty, $special:expr, $special_text:literal, $other:path) => {
        impl From<&str> for $type {
            fn from(text: &str) -> Self {
                if text == $special_text {
                    $special
                } else {
                    $other(text.into())
                }
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialOrd for $type {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $type {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
                to.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(from)?;
                Ok(Self::from(text.as_ref()))
            }
        }
    };
}

spelled_as_a_string!(TargetScope, TargetScope::All, "all", TargetScope::Target);
spelled_as_a_string!(Parent, Parent::Direct, "direct", Parent::Package);

impl From<NormalizedName> for Parent {
    fn from(name: NormalizedName) -> Self {
        Parent::Package(name)
    }
}

/// A file's sha256, or `""` for a file without one: the manifest's
/// spelling since its first version.
mod unhashed_as_empty {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::digest::Sha256;

    pub fn serialize<S: Serializer>(sha256: &Option<Sha256>, to: S) -> Result<S::Ok, S::Error> {
        match sha256 {
            Some(sha256) => to.collect_str(sha256),
            None => to.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Option<Sha256>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(from)?;
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// The JSON Schema of `manifest.json`, as committed in `schemas/`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Manifest);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wheelhouse of one package served on one target, with a second
    /// target left out for want of a wheel.
    fn sample() -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            tool: Tool {
                name: "chiron".into(),
                version: "0.1.0".into(),
            },
            inputs: Inputs {
                fingerprint: "ab".repeat(32),
                files: vec![InputFile {
                    path: "requirements.txt".into(),
                    sha256: "cd".repeat(32).parse().unwrap(),
                }],
                requirements: vec!["six>=1.16".into()],
                constraints: Vec::new(),
                indexes: vec!["https://pypi.org/simple".into()],
                find_links: Vec::new(),
                allow_prereleases: false,
                exclude_newer: None,
            },
            targets: vec![ManifestTarget {
                name: "3.12-linux-x86_64".into(),
                python: "3.12".into(),
                platform: "linux-x86_64".into(),
                requirements_file: "requirements-3.12-linux-x86_64.txt".into(),
                platform_tags: vec!["manylinux_2_17_x86_64".into(), "linux_x86_64".into()],
            }],
            gaps: vec![TargetGap {
                name: "3.12-macos-arm64".into(),
                python: "3.12".into(),
                platform: "macos-arm64".into(),
                platform_tags: vec!["macosx_11_0_arm64".into()],
                reason: "no wheel of native for this target".into(),
                hint: "set [targets] min-macos = \"14.0\" in chiron.toml".into(),
                packages: vec![MissingWheel {
                    package: "native".into(),
                    reason: "version 2.0 has no wheel for cp312 on macosx_11_0_arm64".into(),
                    hint: "set [targets] min-macos = \"14.0\" in chiron.toml".into(),
                    offered: Some(Offer {
                        version: "2.0".into(),
                        python_tags: vec!["cp312".into()],
                        platform_tags: vec!["macosx_14_0_arm64".into()],
                    }),
                }],
            }],
            packages: vec![ManifestPackage {
                name: "six".into(),
                version: "1.16.0".into(),
                license: Some("MIT".into()),
                summary: Some("Python 2 and 3 compatibility utilities".into()),
                authors: None,
                requires_dist: Vec::new(),
                targets: [(
                    TargetScope::Target("3.12-linux-x86_64".into()),
                    PackageUse {
                        file: "six-1.16.0-py2.py3-none-any.whl".into(),
                        required_by: vec![Parent::Direct],
                        extras: Vec::new(),
                    },
                )]
                .into(),
            }],
            files: vec![ManifestFile {
                filename: "six-1.16.0-py2.py3-none-any.whl".into(),
                sha256: Some(
                    "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
                        .parse()
                        .unwrap(),
                ),
                size: 11053,
                url:
                    "https://files.pythonhosted.org/packages/d9/5a/six-1.16.0-py2.py3-none-any.whl"
                        .into(),
                index: "https://pypi.org/simple".into(),
                yanked: false,
                targets: vec![TargetScope::Target("3.12-linux-x86_64".into())],
                upload_time: None,
            }],
        }
    }

    fn parse(text: &str) -> Result<Manifest, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn a_manifest_reads_back_as_written_and_writes_the_same_bytes() {
        let manifest = sample();
        let text = manifest.to_json();
        assert!(text.ends_with("}\n"), "{text}");
        let read = parse(&text).unwrap();
        assert_eq!(read, manifest);
        assert_eq!(read.to_json(), text);
    }

    #[test]
    fn optional_fields_are_left_out_when_empty_and_default_when_absent() {
        let mut manifest = sample();
        manifest.gaps.clear();
        let text = manifest.to_json();
        for absent in ["\"gaps\"", "\"authors\"", "\"upload_time\""] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        // `exclude_newer` is part of the inputs even when unset.
        assert!(text.contains("\"exclude_newer\": null"), "{text}");
        assert_eq!(parse(&text).unwrap(), manifest);

        let mut gap = sample().gaps.remove(0);
        gap.packages[0].offered = None;
        let text = serde_json::to_string(&gap).unwrap();
        assert!(!text.contains("offered"), "{text}");
        assert_eq!(serde_json::from_str::<TargetGap>(&text).unwrap(), gap);
    }

    #[test]
    fn an_unhashed_file_is_written_with_an_empty_sha256_and_read_back_unhashed() {
        let mut manifest = sample();
        manifest.files[0].sha256 = None;
        let text = manifest.to_json();
        assert!(text.contains("\"sha256\": \"\","), "{text}");
        assert_eq!(manifest.files[0].sha256_text(), "");
        let read = parse(&text).unwrap();
        assert_eq!(read.files[0].sha256, None);
        assert_eq!(read.to_json(), text);
        assert_eq!(
            sample().files[0].sha256_text(),
            "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
        );
    }

    #[test]
    fn the_sentinels_are_read_and_written_as_the_words_they_were() {
        let uses: BTreeMap<TargetScope, PackageUse> = serde_json::from_str(
            r#"{"all": {"file": "a.whl", "required_by": ["direct", "app"], "extras": []},
                "3.12-linux-x86_64": {"file": "a.whl", "required_by": ["directory"], "extras": []}}"#,
        )
        .unwrap();
        let all = &uses[&TargetScope::All];
        assert_eq!(
            all.required_by,
            [Parent::Direct, Parent::Package("app".into())]
        );
        let linux = &uses[&TargetScope::Target("3.12-linux-x86_64".into())];
        assert_eq!(linux.required_by, [Parent::Package("directory".into())]);
        // Keys keep the order of their spelling: digits before `all`.
        let keys: Vec<&str> = uses.keys().map(TargetScope::as_str).collect();
        assert_eq!(keys, ["3.12-linux-x86_64", "all"]);
        assert_eq!(
            serde_json::to_string(&uses).unwrap(),
            "{\"3.12-linux-x86_64\":{\"file\":\"a.whl\",\"required_by\":[\"directory\"],\"extras\":[]},\
             \"all\":{\"file\":\"a.whl\",\"required_by\":[\"direct\",\"app\"],\"extras\":[]}}"
        );
        for (scope, text) in [
            (TargetScope::All, "all"),
            (
                TargetScope::Target("3.12-macos-arm64".into()),
                "3.12-macos-arm64",
            ),
        ] {
            assert_eq!(TargetScope::from(text), scope);
            assert_eq!(scope.to_string(), text);
        }
        assert_eq!(Parent::from("direct"), Parent::Direct);
        assert_eq!(Parent::Package("six".into()).to_string(), "six");
        let mut parents = [
            Parent::Package("zeta".into()),
            Parent::Direct,
            Parent::Package("alpha".into()),
        ];
        parents.sort();
        let sorted: Vec<&str> = parents.iter().map(Parent::as_str).collect();
        assert_eq!(sorted, ["alpha", "direct", "zeta"]);
    }

    #[test]
    fn package_names_are_normalised_when_read_and_written_as_read() {
        let text = sample().to_json();
        assert!(text.contains("\"name\": \"six\""), "{text}");
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["packages"][0]["name"] = "Zope.Interface".into();
        value["packages"][0]["targets"]["3.12-linux-x86_64"]["required_by"] =
            serde_json::json!(["direct", "My_App"]);
        let read = parse(&value.to_string()).unwrap();
        let package = &read.packages[0];
        assert_eq!(package.name, NormalizedName::new("zope-interface"));
        assert_eq!(
            package.targets[&TargetScope::Target("3.12-linux-x86_64".into())].required_by,
            [
                Parent::Direct,
                Parent::Package(NormalizedName::new("my-app"))
            ]
        );
        let written = read.to_json();
        assert!(
            written.contains("\"name\": \"zope-interface\""),
            "{written}"
        );
        assert!(written.contains("\"my-app\""), "{written}");
    }

    #[test]
    fn fields_are_written_in_the_documented_order() {
        let text = sample().to_json();
        let at = |key: &str| {
            text.find(&format!("\n  \"{key}\""))
                .unwrap_or_else(|| panic!("no top-level {key}"))
        };
        let order = [
            "manifest_version",
            "tool",
            "inputs",
            "targets",
            "gaps",
            "packages",
            "files",
        ];
        for pair in order.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn malformed_manifests_are_refused_naming_the_field() {
        let good: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        /// A change to a good manifest's JSON.
        type Edit<'a> = &'a dyn Fn(&mut serde_json::Value);
        let edit = |change: Edit| {
            let mut value = good.clone();
            change(&mut value);
            parse(&value.to_string()).unwrap_err().to_string()
        };
        let cases: [(&str, Edit, &str); 8] = [
            (
                "an unknown top-level field",
                &|v| v["signature"] = "x".into(),
                "unknown field `signature`",
            ),
            (
                "an unknown field deep inside",
                &|v| v["files"][0]["md5"] = "x".into(),
                "unknown field `md5`",
            ),
            (
                "a missing field",
                &|v| {
                    v["files"][0].as_object_mut().unwrap().remove("sha256");
                },
                "missing field `sha256`",
            ),
            (
                "a size that is not a number",
                &|v| v["files"][0]["size"] = "11053".into(),
                "invalid type: string \"11053\", expected u64",
            ),
            (
                "a file hash that is not hex",
                &|v| v["files"][0]["sha256"] = "ab".into(),
                "\"ab\" is not a sha256",
            ),
            (
                "a file hash in upper case",
                &|v| v["files"][0]["sha256"] = "AB".repeat(32).into(),
                "'A' is not a lowercase hex digit",
            ),
            (
                "an empty input file hash",
                &|v| v["inputs"]["files"][0]["sha256"] = "".into(),
                "\"\" is not a sha256",
            ),
            (
                "a negative size",
                &|v| v["files"][0]["size"] = (-1).into(),
                "invalid value: integer `-1`, expected u64",
            ),
        ];
        for (what, change, expected) in cases {
            let error = edit(change);
            assert!(error.contains(expected), "{what}: {error}");
        }
        // Text that is not JSON says where it stopped.
        let error = parse("{\n  \"manifest_version\": 1,\n  \"tool\": ").unwrap_err();
        assert_eq!(
            (error.line(), error.classify()),
            (3, serde_json::error::Category::Eof)
        );
    }

    #[test]
    fn the_schema_names_every_type_and_forbids_unknown_fields() {
        let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
        assert_eq!(schema["title"], "chiron wheelhouse manifest");
        assert_eq!(schema["additionalProperties"], false);
        let definitions = schema["$defs"].as_object().unwrap();
        for name in [
            "Tool",
            "Inputs",
            "InputFile",
            "ManifestTarget",
            "TargetGap",
            "MissingWheel",
            "Offer",
            "ManifestPackage",
            "PackageUse",
            "ManifestFile",
        ] {
            let definition = &definitions[name];
            assert_eq!(definition["additionalProperties"], false, "{name}");
        }
        let required = schema["required"].as_array().unwrap();
        assert!(!required.contains(&"gaps".into()), "{required:?}");
        assert!(required.contains(&"files".into()), "{required:?}");
    }
}
