//! chiron's configuration: the typed sections of `chiron.toml` (or
//! `[tool.chiron]` in `pyproject.toml`), with documented defaults.
//!
//! Loading, layering (defaults, pip's files and environment, the file, chiron's
//! environment, flags) live in `load`, over `origin` (the environment
//! snapshot and the source of each value) and `error`; the text `chiron
//! init` writes lives in `template`. This module does no I/O.

mod error;
pub mod github_ci;
mod load;
mod origin;
pub mod pip;
mod release;
mod serve;
pub mod template;
mod value;

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::python::target::{Floors, OsVersion, Platform};
use crate::python::version::PythonVersion;
use crate::time::Date;

pub use error::ConfigError;
pub use load::{
    ConfigFile, ConfigFileKind, LoadOptions, LoadedConfig, discover, load, load_without_file,
    parse_file,
};
pub use origin::{Env, Source};
pub use release::{BumpLevel, ReleaseConfig, ReleasePackage};
pub use serve::{ServeConfig, TokenHash};
pub use value::{
    Age, ConfigValue, HttpUrl, LicenseId, NormalizedName, PackageRequirement, ValueError,
};

/// The default index, as pip's.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// `[index] max-page-bytes` when not set: the largest PyPI project pages
/// (thousands of files) are a few MiB, so this leaves room without letting
/// a hostile index fill memory.
pub const DEFAULT_MAX_PAGE_BYTES: u64 = 50 * 1024 * 1024;

/// The whole configuration. Every section and key is optional in the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "chiron configuration")]
pub struct Config {
    /// Where the project's requirements come from.
    pub inputs: InputsConfig,
    /// The environments the wheelhouse must serve: Python versions x platforms.
    pub targets: TargetsConfig,
    /// Package indexes and local wheel folders.
    pub index: IndexConfig,
    /// The download and metadata cache shared by all commands.
    pub cache: CacheConfig,
    /// Where `chiron wheelhouse` writes its output.
    pub wheelhouse: WheelhouseConfig,
    /// Rules that gate a wheelhouse or bundle.
    pub policy: PolicyConfig,
    /// Keys used to sign and verify artifacts.
    pub signing: SigningConfig,
    /// OpenTelemetry trace export.
    pub telemetry: TelemetryConfig,
    /// Vulnerability scanning.
    pub scan: ScanConfig,
    /// `chiron release`: versions, changelog, tags.
    pub release: ReleaseConfig,
    /// `chiron serve`: what the index says of the files it serves.
    pub serve: ServeConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScanConfig {
    /// Where advisories come from: the offline database (`db`), the OSV
    /// API (`osv-api`), or the index's JSON API (`pypi`).
    pub source: ScanSource,
    /// The offline OSV database: a folder of OSV JSON files or an
    /// ecosystem zip, relative to the configuration file. Default: the
    /// copy `chiron scan --update-db` keeps in the cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub osv_db: Option<PathBuf>,
    /// Base URL of the OSV API.
    pub osv_api: HttpUrl,
    /// Base URL of the index's JSON API (`<url>/<name>/<version>/json`).
    pub pypi_api: HttpUrl,
    /// Where `chiron scan --update-db` downloads the database zip from.
    pub db_url: HttpUrl,
    /// Advisories to ignore, each with a reason and optionally an expiry.
    pub ignore: Vec<IgnoreRule>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            source: ScanSource::Db,
            osv_db: None,
            osv_api: HttpUrl::known("https://api.osv.dev"),
            pypi_api: HttpUrl::known("https://pypi.org/pypi"),
            db_url: HttpUrl::known(
                "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
            ),
            ignore: Vec::new(),
        }
    }
}

/// Where `chiron scan` reads advisories from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum ScanSource {
    /// An offline OSV database (folder or zip).
    Db,
    /// The OSV API (`/v1/querybatch`, `/v1/vulns/{id}`).
    OsvApi,
    /// The index's JSON API `vulnerabilities` field, as pip-audit reads it.
    Pypi,
}

/// An advisory accepted for a reason. After `expires` (YYYY-MM-DD), the
/// ignore itself is reported as a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IgnoreRule {
    /// An advisory id or any of its aliases (GHSA, PYSEC, CVE).
    pub id: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct InputsConfig {
    /// Requirements files (pip's `-r`), relative to the configuration file.
    pub requirements: Vec<PathBuf>,
    /// Constraints files (pip's `-c`), relative to the configuration file.
    pub constraints: Vec<PathBuf>,
    /// A `pyproject.toml` whose `[project] dependencies` are requirements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pyproject: Option<PathBuf>,
    /// Optional-dependency groups (`[project.optional-dependencies]`) to include.
    pub extras: Vec<String>,
    /// PEP 735 dependency groups (`[dependency-groups]`) to include.
    pub groups: Vec<String>,
    /// An existing lock (`pylock.toml` or `uv.lock`) used as it is, without re-resolving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetsConfig {
    /// CPython feature releases to serve, such as ["3.11", "3.12"].
    pub python: Vec<PythonVersion>,
    /// Platforms to serve: names such as "linux-x86_64" or raw wheel platform tags.
    pub platforms: Vec<Platform>,
    /// The Python implementation; only CPython is supported.
    pub implementation: Implementation,
    /// The oldest glibc the linux targets must run on (manylinux floor).
    pub min_glibc: OsVersion,
    /// The oldest musl the musllinux targets must run on.
    pub min_musl: OsVersion,
    /// The oldest macOS the macOS targets must run on.
    pub min_macos: OsVersion,
    /// What `chiron wheelhouse` does when a target cannot be served (a
    /// package has no wheel for it): `fail` and write nothing, or `skip`
    /// it, write the other targets and record the gap in the manifest,
    /// SBOM and policy report. `--allow-gaps` means `skip`.
    pub on_gap: OnGap,
}

/// What to do with a target that cannot be served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnGap {
    /// Name every gap and write nothing: a release must not ship a hole.
    #[default]
    Fail,
    /// Write the servable targets and record each gap.
    Skip,
}

impl Default for TargetsConfig {
    fn default() -> Self {
        Self {
            python: Vec::new(),
            platforms: Vec::new(),
            implementation: Implementation::Cpython,
            min_glibc: OsVersion::new(2, 17),
            min_musl: OsVersion::new(1, 2),
            min_macos: OsVersion::new(11, 0),
            on_gap: OnGap::Fail,
        }
    }
}

impl TargetsConfig {
    /// The floors `min-glibc`, `min-musl` and `min-macos` set.
    pub fn floors(&self) -> Floors {
        Floors::new(self.min_glibc, self.min_musl, self.min_macos)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Implementation {
    Cpython,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct IndexConfig {
    /// The primary simple-API index (pip's `--index-url`).
    pub url: String,
    /// Further indexes (pip's `--extra-index-url`). A name found on more than
    /// one index is an error unless the package is pinned to one index.
    pub extra_urls: Vec<String>,
    /// Local folders or flat HTML pages of files (pip's `--find-links`).
    pub find_links: Vec<String>,
    /// Packages pinned to one index URL: for these names only that index is
    /// asked, so the same name elsewhere is not an error.
    pub pin: std::collections::BTreeMap<String, String>,
    /// A PEM bundle of CA certificates trusted in addition to the system's
    /// (pip's `--cert`; also `PIP_CERT` and `SSL_CERT_FILE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// A PEM file holding a client certificate and its private key, for
    /// indexes that require mutual TLS (pip's `--client-cert`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    /// Hosts (`host` or `host:port`) reached over plain HTTP or with TLS
    /// certificates that are not verified (pip's `--trusted-host`).
    pub trusted_hosts: Vec<String>,
    /// Ask no index: only `find-links` are used (pip's `--no-index`).
    pub no_index: bool,
    /// Use only the cache; never touch the network.
    pub offline: bool,
    /// Seconds to wait for an index before giving up on a request.
    pub timeout: u64,
    /// The largest project or find-links page chiron reads, in bytes
    /// (default 50 MiB). A longer page is refused with an error, and not
    /// cached.
    pub max_page_bytes: u64,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_INDEX_URL.into(),
            extra_urls: Vec::new(),
            find_links: Vec::new(),
            pin: std::collections::BTreeMap::new(),
            cert: None,
            client_cert: None,
            trusted_hosts: Vec::new(),
            no_index: false,
            offline: false,
            timeout: 30,
            max_page_bytes: DEFAULT_MAX_PAGE_BYTES,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CacheConfig {
    /// The cache folder. Default: `$CHIRON_CACHE_DIR`, else the platform cache
    /// folder (`$XDG_CACHE_HOME/chiron` or `~/.cache/chiron` on Linux).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct WheelhouseConfig {
    /// Output folder of `chiron wheelhouse`, relative to the configuration file.
    pub dir: PathBuf,
}

impl Default for WheelhouseConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("wheelhouse"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyConfig {
    /// SPDX licence ids allowed; empty allows any licence not denied. A
    /// package's expression passes when some way of satisfying it uses
    /// allowed licences only (`MIT OR GPL-3.0-only` passes if MIT is allowed).
    pub allow_licenses: Vec<LicenseId>,
    /// SPDX licence ids denied: a package fails when every way of
    /// satisfying its expression needs a denied licence.
    pub deny_licenses: Vec<LicenseId>,
    /// With `allow-licenses`, whether packages whose licence is unknown (or
    /// not an SPDX expression) pass.
    pub allow_unknown_licenses: bool,
    /// Packages whose licence is not checked, each with the reason.
    pub license_exceptions: std::collections::BTreeMap<NormalizedName, String>,
    /// Packages denied, as PEP 508 requirements (`name` or `name<2.0`).
    pub deny_packages: Vec<PackageRequirement>,
    /// The highest vulnerability severity that still passes the gate. An
    /// advisory without a severity counts as critical.
    pub max_severity: Severity,
    /// Whether a gate without a vulnerability scan (no database, offline)
    /// fails, rather than only warning.
    pub require_scan: bool,
    /// Whether a wheelhouse that leaves a declared target unserved (built
    /// with `--allow-gaps`) fails the gate, rather than only warning.
    pub require_all_targets: bool,
    /// Whether source distributions may enter a wheelhouse.
    pub allow_sdist: bool,
    /// Whether yanked files may enter a wheelhouse.
    pub allow_yanked: bool,
    /// Index URLs (prefixes) files may come from; empty allows the
    /// configured indexes and find-links.
    pub allowed_indexes: Vec<String>,
    /// Whether every file must carry a sha256.
    pub require_hashes: bool,
    /// Files uploaded more recently than this are refused (`7d`, `48h`,
    /// `2w`): time for a malicious release to be caught.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_release_age: Option<Age>,
    /// Files uploaded longer ago than this are refused (`3y`): abandoned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_release_age: Option<Age>,
    /// Rego policies (OPA/conftest style: `deny`, `violation` and `warn`
    /// rules) evaluated over the manifest JSON, relative to the
    /// configuration file.
    pub rego: Vec<PathBuf>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            allow_licenses: Vec::new(),
            deny_licenses: Vec::new(),
            allow_unknown_licenses: false,
            license_exceptions: std::collections::BTreeMap::new(),
            deny_packages: Vec::new(),
            max_severity: Severity::Medium,
            require_scan: false,
            require_all_targets: false,
            allow_sdist: false,
            allow_yanked: false,
            allowed_indexes: Vec::new(),
            require_hashes: true,
            min_release_age: None,
            max_release_age: None,
            rego: Vec::new(),
        }
    }
}

/// Vulnerability severities, lowest first (CVSS qualitative ratings).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SigningConfig {
    /// Private key (cosign format) used to sign; must not be readable by others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// Public key used to verify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TelemetryConfig {
    /// Export traces (and `chiron serve`'s metrics) when an endpoint is set; `false` turns export off.
    pub enabled: bool,
    /// OTLP/HTTP base endpoint (as `OTEL_EXPORTER_OTLP_ENDPOINT`); `/v1/traces` and `/v1/metrics` are appended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp_endpoint: Option<String>,
    /// Full OTLP/HTTP traces URL (as `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); wins over `otlp-endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp_traces_endpoint: Option<String>,
    /// Full OTLP/HTTP metrics URL (as `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`); wins over `otlp-endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp_metrics_endpoint: Option<String>,
    /// Milliseconds between metric exports (as `OTEL_METRIC_EXPORT_INTERVAL`); the last export is at exit.
    pub metric_export_interval: u64,
    /// The `service.name` resource attribute.
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            otlp_endpoint: None,
            otlp_traces_endpoint: None,
            otlp_metrics_endpoint: None,
            metric_export_interval: 60_000,
            service_name: "chiron".into(),
        }
    }
}

impl TelemetryConfig {
    /// The URL spans are posted to, if export is on.
    pub fn traces_endpoint(&self) -> Option<String> {
        self.signal_endpoint(self.otlp_traces_endpoint.as_ref(), "traces")
    }

    /// The URL metrics are posted to, if export is on.
    pub fn metrics_endpoint(&self) -> Option<String> {
        self.signal_endpoint(self.otlp_metrics_endpoint.as_ref(), "metrics")
    }

    /// The signal's own full URL, else `/v1/SIGNAL` under the base endpoint.
    fn signal_endpoint(&self, full: Option<&String>, signal: &str) -> Option<String> {
        if !self.enabled {
            return None;
        }
        if let Some(full) = full {
            return Some(full.clone());
        }
        self.otlp_endpoint
            .as_ref()
            .map(|base| format!("{}/v1/{signal}", base.trim_end_matches('/')))
    }
}

/// The JSON Schema of the configuration, as committed in `schemas/`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Config);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_endpoint_prefers_the_full_url() {
        let mut telemetry = TelemetryConfig::default();
        assert_eq!(telemetry.traces_endpoint(), None);
        telemetry.otlp_endpoint = Some("http://127.0.0.1:4318/".into());
        assert_eq!(
            telemetry.traces_endpoint().as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        telemetry.otlp_traces_endpoint = Some("http://collector/traces".into());
        assert_eq!(
            telemetry.traces_endpoint().as_deref(),
            Some("http://collector/traces")
        );
        assert_eq!(
            telemetry.metrics_endpoint().as_deref(),
            Some("http://127.0.0.1:4318/v1/metrics")
        );
        telemetry.otlp_metrics_endpoint = Some("http://collector/metrics".into());
        assert_eq!(
            telemetry.metrics_endpoint().as_deref(),
            Some("http://collector/metrics")
        );
        telemetry.enabled = false;
        assert_eq!(telemetry.traces_endpoint(), None);
        assert_eq!(telemetry.metrics_endpoint(), None);
    }

    #[test]
    fn severities_order_from_none_to_critical() {
        assert!(Severity::None < Severity::Low);
        assert!(Severity::High < Severity::Critical);
    }
}
