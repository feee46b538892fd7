//! What a user names as a target: a Python version (`3.12`, see
//! [`super::version`]) and a platform (`linux-x86_64`, or a raw wheel
//! platform tag such as `manylinux_2_28_x86_64`).
//!
//! This module owns parsing and naming only. Which wheel tags a target
//! accepts is the job of the tag model ([`super::tags`]), which a target
//! uses and which knows nothing of targets.

use std::fmt;
use std::str::FromStr;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

use super::tags::{TagPriorities, mac_platforms, manylinux_platforms, musllinux_platforms};
use super::version::PythonVersion;

/// A platform a wheelhouse is built for: a friendly name, or a raw wheel
/// platform tag for full control.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    Named(NamedPlatform),
    Tag(String),
}

/// The platforms users can type by name; each maps to an OS, a libc and an
/// architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamedPlatform {
    LinuxX86_64,
    LinuxAarch64,
    LinuxI686,
    LinuxArmv7l,
    LinuxPpc64le,
    LinuxS390x,
    MusllinuxX86_64,
    MusllinuxAarch64,
    MacosX86_64,
    MacosArm64,
    WindowsX86_64,
    WindowsArm64,
    WindowsX86,
}

impl NamedPlatform {
    pub const ALL: &[NamedPlatform] = &[
        NamedPlatform::LinuxX86_64,
        NamedPlatform::LinuxAarch64,
        NamedPlatform::LinuxI686,
        NamedPlatform::LinuxArmv7l,
        NamedPlatform::LinuxPpc64le,
        NamedPlatform::LinuxS390x,
        NamedPlatform::MusllinuxX86_64,
        NamedPlatform::MusllinuxAarch64,
        NamedPlatform::MacosX86_64,
        NamedPlatform::MacosArm64,
        NamedPlatform::WindowsX86_64,
        NamedPlatform::WindowsArm64,
        NamedPlatform::WindowsX86,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NamedPlatform::LinuxX86_64 => "linux-x86_64",
            NamedPlatform::LinuxAarch64 => "linux-aarch64",
            NamedPlatform::LinuxI686 => "linux-i686",
            NamedPlatform::LinuxArmv7l => "linux-armv7l",
            NamedPlatform::LinuxPpc64le => "linux-ppc64le",
            NamedPlatform::LinuxS390x => "linux-s390x",
            NamedPlatform::MusllinuxX86_64 => "musllinux-x86_64",
            NamedPlatform::MusllinuxAarch64 => "musllinux-aarch64",
            NamedPlatform::MacosX86_64 => "macos-x86_64",
            NamedPlatform::MacosArm64 => "macos-arm64",
            NamedPlatform::WindowsX86_64 => "windows-x86_64",
            NamedPlatform::WindowsArm64 => "windows-arm64",
            NamedPlatform::WindowsX86 => "windows-x86",
        }
    }

    /// The platform of the machine chiron runs on, when it is one we name.
    pub fn host() -> Option<NamedPlatform> {
        let musl = cfg!(target_env = "musl");
        Some(match (std::env::consts::OS, std::env::consts::ARCH) {
            ("linux", "x86_64") if musl => NamedPlatform::MusllinuxX86_64,
            ("linux", "aarch64") if musl => NamedPlatform::MusllinuxAarch64,
            ("linux", "x86_64") => NamedPlatform::LinuxX86_64,
            ("linux", "aarch64") => NamedPlatform::LinuxAarch64,
            ("linux", "x86") => NamedPlatform::LinuxI686,
            ("linux", "arm") => NamedPlatform::LinuxArmv7l,
            ("linux", "powerpc64") => NamedPlatform::LinuxPpc64le,
            ("linux", "s390x") => NamedPlatform::LinuxS390x,
            ("macos", "x86_64") => NamedPlatform::MacosX86_64,
            ("macos", "aarch64") => NamedPlatform::MacosArm64,
            ("windows", "x86_64") => NamedPlatform::WindowsX86_64,
            ("windows", "aarch64") => NamedPlatform::WindowsArm64,
            ("windows", "x86") => NamedPlatform::WindowsX86,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a platform: {reason}")]
pub struct PlatformError {
    input: String,
    reason: String,
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(named) = NamedPlatform::ALL.iter().find(|p| p.name() == s) {
            return Ok(Platform::Named(*named));
        }
        if is_platform_tag(s) {
            return Ok(Platform::Tag(s.to_string()));
        }
        let names: Vec<&str> = NamedPlatform::ALL.iter().map(|p| p.name()).collect();
        let nearest = names
            .iter()
            .map(|name| (strsim::jaro_winkler(name, s), *name))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, name)| format!("did you mean `{name}`? "))
            .unwrap_or_default();
        Err(PlatformError {
            input: s.to_string(),
            reason: format!(
                "{nearest}use one of {} or a wheel platform tag such as \
                 `manylinux_2_28_x86_64`, `macosx_11_0_arm64`, `win_amd64`",
                names.join(", ")
            ),
        })
    }
}

/// Whether `s` has the shape of a wheel platform tag (PEP 425 / 600 / 656,
/// macOS and Windows forms). Only the shape: the tag model decides what a
/// tag means.
fn is_platform_tag(s: &str) -> bool {
    let valid_chars = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_chars {
        return false;
    }
    let versioned = |rest: &str, parts: usize| {
        let mut pieces = rest.splitn(parts + 1, '_');
        (0..parts).all(|_| {
            pieces
                .next()
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }) && pieces.next().is_some_and(|arch| !arch.is_empty())
    };
    if let Some(rest) = s.strip_prefix("manylinux_") {
        return versioned(rest, 2);
    }
    if let Some(rest) = s.strip_prefix("musllinux_") {
        return versioned(rest, 2);
    }
    if let Some(rest) = s.strip_prefix("macosx_") {
        return versioned(rest, 2);
    }
    for legacy in ["manylinux1_", "manylinux2010_", "manylinux2014_", "linux_"] {
        if let Some(arch) = s.strip_prefix(legacy) {
            return !arch.is_empty();
        }
    }
    matches!(s, "win32" | "win_amd64" | "win_arm64" | "any")
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Platform::Named(named) => f.write_str(named.name()),
            Platform::Tag(tag) => f.write_str(tag),
        }
    }
}

/// The oldest system versions targets must run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floors {
    pub glibc: (u32, u32),
    pub musl: (u32, u32),
    pub macos: (u32, u32),
}

impl Default for Floors {
    fn default() -> Self {
        Self {
            glibc: (2, 17),
            musl: (1, 2),
            macos: (11, 0),
        }
    }
}

/// One of the `[targets]` floors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorKey {
    Glibc,
    Musl,
    Macos,
}

impl FloorKey {
    /// The key in `[targets]`.
    pub fn key(self) -> &'static str {
        match self {
            FloorKey::Glibc => "min-glibc",
            FloorKey::Musl => "min-musl",
            FloorKey::Macos => "min-macos",
        }
    }

    /// The platform tag family whose version is this floor.
    pub fn tag_prefix(self) -> &'static str {
        match self {
            FloorKey::Glibc => "manylinux",
            FloorKey::Musl => "musllinux",
            FloorKey::Macos => "macosx",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("platform tag `{0}` names no operating system chiron can target")]
    UnknownTag(String),
}

/// The version of a system a floor names: glibc `2.17`, musl `1.2`,
/// macOS `11.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OsVersion {
    pub major: u32,
    pub minor: u32,
}

impl OsVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    fn pair(self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a system version: expected MAJOR.MINOR such as `2.17`")]
pub struct OsVersionError(pub String);

impl FromStr for OsVersion {
    type Err = OsVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || OsVersionError(s.to_string());
        let (major, minor) = s.trim().split_once('.').ok_or_else(bad)?;
        Ok(Self {
            major: major.parse().map_err(|_| bad())?,
            minor: minor.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Floors {
    /// The `min-glibc`, `min-musl` and `min-macos` floors.
    pub fn new(glibc: OsVersion, musl: OsVersion, macos: OsVersion) -> Self {
        Self {
            glibc: glibc.pair(),
            musl: musl.pair(),
            macos: macos.pair(),
        }
    }
}

/// The operating system family of a platform, for marker values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Linux,
    Macos,
    Windows,
}

/// One environment a wheelhouse serves: a CPython version on a platform,
/// with the wheel tags it accepts and its PEP 508 marker environment.
#[derive(Debug, Clone)]
pub struct Target {
    pub python: PythonVersion,
    pub platform: Platform,
    /// The floors the target was made with (a raw platform tag ignores them).
    floors: Floors,
    platform_tags: Vec<String>,
    tags: TagPriorities,
    markers: MarkerEnvironment,
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.python == other.python && self.platform == other.platform
    }
}

impl Target {
    pub fn new(
        python: PythonVersion,
        platform: Platform,
        floors: Floors,
    ) -> Result<Self, TargetError> {
        let (os, machine, platform_tags) = platform_facts(&platform, floors)?;
        let tags = TagPriorities::cpython(python, &platform_tags);
        let markers = marker_environment(python, os, &machine);
        Ok(Self {
            python,
            platform,
            floors,
            platform_tags,
            tags,
            markers,
        })
    }

    /// Every combination of `pythons` and `platforms`, pythons outermost.
    pub fn matrix(
        pythons: &[PythonVersion],
        platforms: &[Platform],
        floors: Floors,
    ) -> Result<Vec<Target>, TargetError> {
        let mut targets = Vec::new();
        for python in pythons {
            for platform in platforms {
                targets.push(Target::new(*python, platform.clone(), floors)?);
            }
        }
        Ok(targets)
    }

    /// A short stable name, `3.12-linux-x86_64`, used in file names and reports.
    pub fn name(&self) -> String {
        format!("{}-{}", self.python, self.platform)
    }

    /// The platform tags this target accepts, most preferred first.
    pub fn platform_tags(&self) -> &[String] {
        &self.platform_tags
    }

    pub fn tags(&self) -> &TagPriorities {
        &self.tags
    }

    pub fn floors(&self) -> Floors {
        self.floors
    }

    /// The `[targets]` key whose floor decides this target's platform
    /// tags (`min-glibc`, `min-musl`, `min-macos`), with its current
    /// value; `None` for Windows and raw platform tags, which carry their
    /// own floor.
    pub fn floor_key(&self) -> Option<(FloorKey, (u32, u32))> {
        use NamedPlatform as N;
        let Platform::Named(named) = &self.platform else {
            return None;
        };
        match named {
            N::LinuxX86_64
            | N::LinuxAarch64
            | N::LinuxI686
            | N::LinuxArmv7l
            | N::LinuxPpc64le
            | N::LinuxS390x => Some((FloorKey::Glibc, self.floors.glibc)),
            N::MusllinuxX86_64 | N::MusllinuxAarch64 => Some((FloorKey::Musl, self.floors.musl)),
            N::MacosX86_64 | N::MacosArm64 => Some((FloorKey::Macos, self.floors.macos)),
            N::WindowsX86_64 | N::WindowsArm64 | N::WindowsX86 => None,
        }
    }

    /// The same target with one floor changed.
    pub fn with_floor(&self, key: FloorKey, floor: (u32, u32)) -> Result<Target, TargetError> {
        let mut floors = self.floors;
        match key {
            FloorKey::Glibc => floors.glibc = floor,
            FloorKey::Musl => floors.musl = floor,
            FloorKey::Macos => floors.macos = floor,
        }
        Target::new(self.python, self.platform.clone(), floors)
    }

    pub fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }

    /// A PEP 508 marker that holds in this target's environment: Python
    /// version, OS and machine. Linux libc (glibc or musl) has no marker,
    /// so a manylinux and a musllinux target share one expression.
    pub fn marker_expression(&self) -> String {
        format!(
            "python_version == '{}' and sys_platform == '{}' and platform_machine == '{}'",
            self.python,
            self.markers.sys_platform(),
            self.markers.platform_machine()
        )
    }
}

/// The OS, `platform_machine` and accepted platform tags of a platform.
fn platform_facts(
    platform: &Platform,
    floors: Floors,
) -> Result<(Os, String, Vec<String>), TargetError> {
    use NamedPlatform as N;
    let linux = |arch: &str| {
        (
            Os::Linux,
            arch.to_string(),
            manylinux_platforms(floors.glibc, arch),
        )
    };
    let musl = |arch: &str| {
        (
            Os::Linux,
            arch.to_string(),
            musllinux_platforms(floors.musl, arch),
        )
    };
    let mac = |arch: &str| {
        (
            Os::Macos,
            arch.to_string(),
            mac_platforms(floors.macos, arch),
        )
    };
    let windows =
        |machine: &str, tag: &str| (Os::Windows, machine.to_string(), vec![tag.to_string()]);
    Ok(match platform {
        Platform::Named(named) => match named {
            N::LinuxX86_64 => linux("x86_64"),
            N::LinuxAarch64 => linux("aarch64"),
            N::LinuxI686 => linux("i686"),
            N::LinuxArmv7l => linux("armv7l"),
            N::LinuxPpc64le => linux("ppc64le"),
            N::LinuxS390x => linux("s390x"),
            N::MusllinuxX86_64 => musl("x86_64"),
            N::MusllinuxAarch64 => musl("aarch64"),
            N::MacosX86_64 => mac("x86_64"),
            N::MacosArm64 => mac("arm64"),
            N::WindowsX86_64 => windows("AMD64", "win_amd64"),
            N::WindowsArm64 => windows("ARM64", "win_arm64"),
            N::WindowsX86 => windows("x86", "win32"),
        },
        // A raw tag is the newest tag the target accepts; older compatible
        // tags come with it, as on a real machine of that platform.
        Platform::Tag(tag) => raw_tag_facts(tag)?,
    })
}

fn raw_tag_facts(tag: &str) -> Result<(Os, String, Vec<String>), TargetError> {
    let versioned = |rest: &str| -> Option<((u32, u32), String)> {
        let mut parts = rest.splitn(3, '_');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(((major, minor), parts.next()?.to_string()))
    };
    let unknown = || TargetError::UnknownTag(tag.to_string());
    if let Some(rest) = tag.strip_prefix("manylinux_") {
        let (floor, arch) = versioned(rest).ok_or_else(unknown)?;
        return Ok((Os::Linux, arch.clone(), manylinux_platforms(floor, &arch)));
    }
    for (legacy, floor) in [
        ("manylinux2014_", (2, 17)),
        ("manylinux2010_", (2, 12)),
        ("manylinux1_", (2, 5)),
    ] {
        if let Some(arch) = tag.strip_prefix(legacy) {
            return Ok((
                Os::Linux,
                arch.to_string(),
                manylinux_platforms(floor, arch),
            ));
        }
    }
    if let Some(rest) = tag.strip_prefix("musllinux_") {
        let (floor, arch) = versioned(rest).ok_or_else(unknown)?;
        return Ok((Os::Linux, arch.clone(), musllinux_platforms(floor, &arch)));
    }
    if let Some(rest) = tag.strip_prefix("macosx_") {
        let (floor, arch) = versioned(rest).ok_or_else(unknown)?;
        // A universal2 target runs on both; arm64 is the stricter choice.
        let machine = match arch.as_str() {
            "universal2" | "universal" => "arm64".to_string(),
            other => other.to_string(),
        };
        let formats_arch = if arch == "universal2" {
            "arm64"
        } else {
            arch.as_str()
        };
        return Ok((Os::Macos, machine, mac_platforms(floor, formats_arch)));
    }
    if let Some(arch) = tag.strip_prefix("linux_") {
        return Ok((Os::Linux, arch.to_string(), vec![tag.to_string()]));
    }
    match tag {
        "win_amd64" => Ok((Os::Windows, "AMD64".into(), vec![tag.into()])),
        "win_arm64" => Ok((Os::Windows, "ARM64".into(), vec![tag.into()])),
        "win32" => Ok((Os::Windows, "x86".into(), vec![tag.into()])),
        _ => Err(unknown()),
    }
}

/// The PEP 508 environment of a target. Patch level and OS release are not
/// part of a target, so `python_full_version` is `X.Y.0` and
/// `platform_release`/`platform_version` are empty.
fn marker_environment(python: PythonVersion, os: Os, machine: &str) -> MarkerEnvironment {
    let full = format!("{}.{}.0", python.major, python.minor);
    let short = python.to_string();
    let (os_name, sys_platform, platform_system) = match os {
        Os::Linux => ("posix", "linux", "Linux"),
        Os::Macos => ("posix", "darwin", "Darwin"),
        Os::Windows => ("nt", "win32", "Windows"),
    };
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: &full,
        os_name,
        platform_machine: machine,
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system,
        platform_version: "",
        python_full_version: &full,
        python_version: &short,
        sys_platform,
    })
    .expect("X.Y.0 and X.Y are valid versions")
}

string_serde!(
    Platform,
    "A platform name (linux-x86_64, linux-aarch64, linux-i686, linux-armv7l, linux-ppc64le, \
     linux-s390x, musllinux-x86_64, musllinux-aarch64, macos-x86_64, macos-arm64, \
     windows-x86_64, windows-arm64, windows-x86) or a wheel platform tag \
     (manylinux_2_28_x86_64, musllinux_1_2_aarch64, macosx_11_0_arm64, win_amd64, ...).",
    Some("^[a-z0-9_-]+$")
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_names_and_tags() {
        assert_eq!(
            "macos-arm64".parse::<Platform>().unwrap(),
            Platform::Named(NamedPlatform::MacosArm64)
        );
        for tag in [
            "manylinux_2_28_x86_64",
            "manylinux2014_aarch64",
            "manylinux1_i686",
            "musllinux_1_2_x86_64",
            "macosx_11_0_arm64",
            "macosx_10_9_universal2",
            "win_amd64",
            "win32",
            "linux_x86_64",
        ] {
            assert_eq!(
                tag.parse::<Platform>().unwrap(),
                Platform::Tag(tag.into()),
                "{tag}"
            );
        }
        for bad in [
            "",
            "linux",
            "manylinux_2_x86_64",
            "macosx_11_arm64",
            "Win_amd64",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad} parsed");
        }
        let error = "linux-x86-64".parse::<Platform>().unwrap_err().to_string();
        assert!(error.contains("did you mean `linux-x86_64`"), "{error}");
    }

    #[test]
    fn targets_know_their_tags_and_markers() {
        use pep508_rs::MarkerTree;
        let floors = Floors::default();
        let win = Target::new(
            PythonVersion::new(3, 10),
            "windows-x86_64".parse().unwrap(),
            floors,
        )
        .unwrap();
        assert_eq!(win.name(), "3.10-windows-x86_64");
        assert_eq!(win.platform_tags(), ["win_amd64"]);
        let marker = |m: &str| m.parse::<MarkerTree>().unwrap();
        assert!(
            marker("sys_platform == 'win32' and python_version < '3.11'")
                .evaluate(win.markers(), &[])
        );
        assert!(
            marker("platform_machine == 'AMD64' and os_name == 'nt'").evaluate(win.markers(), &[])
        );

        let mac = Target::new(
            PythonVersion::new(3, 12),
            "macos-arm64".parse().unwrap(),
            floors,
        )
        .unwrap();
        assert!(
            marker("sys_platform == 'darwin' and platform_machine == 'arm64'")
                .evaluate(mac.markers(), &[])
        );
        assert!(!marker("python_full_version >= '3.12.1'").evaluate(mac.markers(), &[]));

        let raw = Target::new(
            PythonVersion::new(3, 12),
            "manylinux_2_28_aarch64".parse().unwrap(),
            floors,
        )
        .unwrap();
        assert_eq!(raw.platform_tags()[0], "manylinux_2_28_aarch64");
        assert!(
            raw.platform_tags()
                .contains(&"manylinux2014_aarch64".to_string())
        );
        assert!(
            marker("platform_system == 'Linux' and platform_machine == 'aarch64'")
                .evaluate(raw.markers(), &[])
        );
    }

    #[test]
    fn floors_change_the_accepted_tags() {
        let floors = Floors::new(
            OsVersion::new(2, 28),
            OsVersion::new(1, 1),
            OsVersion::new(14, 0),
        );
        let linux = Target::new(
            PythonVersion::new(3, 12),
            "linux-x86_64".parse().unwrap(),
            floors,
        )
        .unwrap();
        assert_eq!(linux.platform_tags()[0], "manylinux_2_28_x86_64");
        let musl = Target::new(
            PythonVersion::new(3, 12),
            "musllinux-x86_64".parse().unwrap(),
            floors,
        )
        .unwrap();
        assert_eq!(
            musl.platform_tags(),
            ["musllinux_1_1_x86_64", "musllinux_1_0_x86_64"]
        );
        for (input, parsed) in [("2.28", Some((2, 28))), (" 11.0 ", Some((11, 0)))] {
            let version = input.parse::<OsVersion>().ok();
            assert_eq!(version.map(|v| (v.major, v.minor)), parsed, "{input}");
            assert_eq!(
                version.map(|v| v.to_string()).as_deref(),
                Some(input.trim())
            );
        }
        for bad in ["2", "2.x", "", "2.17.1", "-1.0"] {
            let error = bad.parse::<OsVersion>().unwrap_err().to_string();
            assert!(error.contains("expected MAJOR.MINOR"), "{error}");
        }
    }

    #[test]
    fn the_matrix_is_pythons_by_platforms() {
        let targets = Target::matrix(
            &[PythonVersion::new(3, 11), PythonVersion::new(3, 12)],
            &[
                "linux-x86_64".parse().unwrap(),
                "win_amd64".parse().unwrap(),
            ],
            Floors::default(),
        )
        .unwrap();
        let names: Vec<String> = targets.iter().map(Target::name).collect();
        assert_eq!(
            names,
            [
                "3.11-linux-x86_64",
                "3.11-win_amd64",
                "3.12-linux-x86_64",
                "3.12-win_amd64"
            ]
        );
    }

    #[test]
    fn every_named_platform_round_trips() {
        for named in NamedPlatform::ALL {
            let parsed: Platform = named.name().parse().unwrap();
            assert_eq!(parsed, Platform::Named(*named));
            assert_eq!(parsed.to_string(), named.name());
        }
    }
}
