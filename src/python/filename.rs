//! Distribution filenames: wheels (PEP 427, with build tags and compressed
//! tag sets) and source distributions (PEP 625 `.tar.gz`, legacy `.zip`).
//! Parsed once at the boundary, then trusted.

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::tags::Tag;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{filename}` is not a valid {kind} filename: {reason}")]
pub struct FilenameError {
    filename: String,
    kind: &'static str,
    reason: String,
}

fn error(filename: &str, kind: &'static str, reason: impl Into<String>) -> FilenameError {
    FilenameError {
        filename: filename.to_string(),
        kind,
        reason: reason.into(),
    }
}

/// A wheel's build tag: a number, then an optional string, compared as a
/// pair (PEP 427).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildTag(pub u64, pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    pub name: PackageName,
    pub version: Version,
    pub build: Option<BuildTag>,
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<String>,
    original: String,
}

impl WheelFilename {
    /// Every tag the wheel declares, with compressed tag sets expanded.
    pub fn tags(&self) -> Vec<Tag> {
        let mut tags = Vec::new();
        for python in &self.python_tags {
            for abi in &self.abi_tags {
                for platform in &self.platform_tags {
                    tags.push(Tag {
                        python: python.clone(),
                        abi: abi.clone(),
                        platform: platform.clone(),
                    });
                }
            }
        }
        tags
    }

    /// The tag triple as written in the filename, e.g. `cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64`.
    pub fn tag_string(&self) -> String {
        format!(
            "{}-{}-{}",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            self.platform_tags.join(".")
        )
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }
}

impl FromStr for WheelFilename {
    type Err = FilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        const KIND: &str = "wheel";
        let stem = filename
            .strip_suffix(".whl")
            .ok_or_else(|| error(filename, KIND, "it does not end in .whl"))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, python, abi, platform) = match parts.as_slice() {
            [name, version, python, abi, platform] => {
                (*name, *version, None, *python, *abi, *platform)
            }
            [name, version, build, python, abi, platform] => {
                (*name, *version, Some(*build), *python, *abi, *platform)
            }
            _ => {
                return Err(error(
                    filename,
                    KIND,
                    "expected NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl",
                ));
            }
        };
        let name = PackageName::from_str(name)
            .map_err(|e| error(filename, KIND, format!("bad name: {e}")))?;
        let version = Version::from_str(version)
            .map_err(|e| error(filename, KIND, format!("bad version: {e}")))?;
        let build = build
            .map(|build| {
                let digits: String = build.chars().take_while(char::is_ascii_digit).collect();
                let number = digits
                    .parse()
                    .map_err(|_| error(filename, KIND, "the build tag must start with a digit"))?;
                Ok(BuildTag(number, build[digits.len()..].to_string()))
            })
            .transpose()?;
        let split = |set: &str| -> Result<Vec<String>, FilenameError> {
            let tags: Vec<String> = set.split('.').map(str::to_string).collect();
            if tags.iter().any(String::is_empty) {
                return Err(error(filename, KIND, "empty tag"));
            }
            Ok(tags)
        };
        Ok(Self {
            name,
            version,
            build,
            python_tags: split(python)?,
            abi_tags: split(abi)?,
            platform_tags: split(platform)?,
            original: filename.to_string(),
        })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdistFilename {
    pub name: PackageName,
    pub version: Version,
    original: String,
}

impl SdistFilename {
    /// Parses a source distribution filename. Legacy sdists may have dashes
    /// in the name, so when `project` is known the name is matched against it.
    pub fn parse(filename: &str, project: Option<&PackageName>) -> Result<Self, FilenameError> {
        const KIND: &str = "source distribution";
        let stem = [".tar.gz", ".zip"]
            .iter()
            .find_map(|ext| filename.strip_suffix(ext))
            .ok_or_else(|| error(filename, KIND, "it does not end in .tar.gz or .zip"))?;
        if let Some(project) = project {
            // Try every dash: the name part must normalise to the project.
            for (i, _) in stem.match_indices('-') {
                let (name, version) = (&stem[..i], &stem[i + 1..]);
                if PackageName::from_str(name).ok().as_ref() == Some(project)
                    && let Ok(version) = Version::from_str(version)
                {
                    return Ok(Self {
                        name: project.clone(),
                        version,
                        original: filename.to_string(),
                    });
                }
            }
            return Err(error(
                filename,
                KIND,
                format!("it is not a release of {project}"),
            ));
        }
        let (name, version) = stem
            .rsplit_once('-')
            .ok_or_else(|| error(filename, KIND, "expected NAME-VERSION"))?;
        Ok(Self {
            name: PackageName::from_str(name)
                .map_err(|e| error(filename, KIND, format!("bad name: {e}")))?,
            version: Version::from_str(version)
                .map_err(|e| error(filename, KIND, format!("bad version: {e}")))?,
            original: filename.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }
}

/// A file an index lists: a wheel or a source distribution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DistFilename {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
}

impl DistFilename {
    /// Parses `filename`; `None` for files that are neither (eggs, .exe, ...).
    pub fn parse(filename: &str, project: Option<&PackageName>) -> Option<Self> {
        if filename.ends_with(".whl") {
            filename.parse().ok().map(DistFilename::Wheel)
        } else {
            SdistFilename::parse(filename, project)
                .ok()
                .map(DistFilename::Sdist)
        }
    }

    pub fn name(&self) -> &PackageName {
        match self {
            DistFilename::Wheel(w) => &w.name,
            DistFilename::Sdist(s) => &s.name,
        }
    }

    pub fn version(&self) -> &Version {
        match self {
            DistFilename::Wheel(w) => &w.version,
            DistFilename::Sdist(s) => &s.version,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DistFilename::Wheel(w) => w.as_str(),
            DistFilename::Sdist(s) => s.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_wheel_names_parse() {
        let wheel: WheelFilename =
            "numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
                .parse()
                .unwrap();
        assert_eq!(wheel.name.as_ref(), "numpy");
        assert_eq!(wheel.version.to_string(), "2.1.3");
        assert_eq!(
            wheel.platform_tags,
            ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        );
        assert_eq!(wheel.tags().len(), 2);

        let wheel: WheelFilename = "Pillow_SIMD-9.0.0.post1-1foo-cp311-cp311-win_amd64.whl"
            .parse()
            .unwrap();
        assert_eq!(wheel.name.as_ref(), "pillow-simd");
        assert_eq!(wheel.build, Some(BuildTag(1, "foo".into())));

        let wheel: WheelFilename = "six-1.16.0-py2.py3-none-any.whl".parse().unwrap();
        assert_eq!(wheel.tags().len(), 2);
        assert_eq!(wheel.tag_string(), "py2.py3-none-any");
    }

    #[test]
    fn bad_wheel_names_say_why() {
        for (name, reason) in [
            ("numpy-2.1.3.tar.gz", "does not end in .whl"),
            ("numpy-2.1.3-cp312.whl", "expected NAME-VERSION"),
            ("numpy-x.y-cp312-cp312-any.whl", "bad version"),
            (
                "numpy-1.0-x1-cp312-cp312-any.whl",
                "build tag must start with a digit",
            ),
            ("numpy-1.0-cp312..cp311-cp312-any.whl", "empty tag"),
        ] {
            let error = name.parse::<WheelFilename>().unwrap_err().to_string();
            assert!(error.contains(reason), "{name}: {error}");
        }
    }

    #[test]
    fn sdists_with_dashes_need_the_project() {
        let project = PackageName::from_str("foo-bar").unwrap();
        let sdist = SdistFilename::parse("foo-bar-1.0.tar.gz", Some(&project)).unwrap();
        assert_eq!(sdist.version.to_string(), "1.0");
        let sdist = SdistFilename::parse("foo_bar-2.0rc1.zip", None).unwrap();
        assert_eq!(sdist.name, project);
        assert!(SdistFilename::parse("other-1.0.tar.gz", Some(&project)).is_err());
        assert!(SdistFilename::parse("foo-1.0.exe", None).is_err());
    }

    #[test]
    fn dist_filenames_skip_other_files() {
        assert!(DistFilename::parse("foo-1.0-py2.7.egg", None).is_none());
        let sdist = DistFilename::parse("foo-1.0.tar.gz", None).unwrap();
        assert_eq!(sdist.version().to_string(), "1.0");
    }
}
