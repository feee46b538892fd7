//! The scan and the policy gate: the advisory source chosen from the
//! request over `[scan]`, a scan of an inventory, and the `[policy]` rules
//! (and Rego policies) over the inventory and that scan.

use std::path::PathBuf;
use std::time::Duration;

use tracing::Instrument;

use super::{PlanError, Workspace};
use crate::config::{PolicyConfig, ScanSource};
use crate::error::Result;
use crate::inventory::Inventory;
use crate::policy::rego::RegoPolicies;
use crate::policy::{PolicyReport, Rules};
use crate::vuln::{ScanReport, Source, VulnError};

/// Where the caller wants advisories read; unset fields fall back to
/// `[scan]`.
#[derive(Debug, Default, Clone)]
pub struct SourceRequest {
    pub source: Option<ScanSource>,
    /// An OSV database (relative to the working folder); implies `db`.
    pub osv_db: Option<PathBuf>,
    /// Implies `osv-api`.
    pub osv_api: Option<crate::config::HttpUrl>,
    /// Implies `pypi`.
    pub pypi_api: Option<crate::config::HttpUrl>,
}

/// The source a scan reads, or why the chosen one cannot be read now (no
/// database, offline): the gate reports that rather than stop on it.
pub enum SourceChoice {
    Ready(Source),
    Unavailable(VulnError),
}

/// The HTTP client for advisory services and registries, with the
/// index's CA bundle.
pub fn advisory_client(ws: &Workspace) -> Result<reqwest::Client, PlanError> {
    let index = &ws.config.config.index;
    let cert = index.cert.as_ref().map(|c| ws.config.resolve(c));
    crate::index::http_client(Duration::from_secs(index.timeout.max(1)), cert.as_deref())
        .map_err(|message| PlanError::HttpSetup { message })
}

/// The source a scan reads, from the request over the configuration.
pub fn choose_source(ws: &Workspace, request: &SourceRequest) -> Result<SourceChoice, PlanError> {
    let chosen = [
        request.osv_db.is_some(),
        request.osv_api.is_some(),
        request.pypi_api.is_some(),
    ];
    if chosen.iter().filter(|c| **c).count() > 1 {
        return Err(PlanError::ScanSources);
    }
    let mut config = ws.config.config.scan.clone();
    let mut source = request.source.unwrap_or(config.source);
    let mut database = config
        .osv_db
        .as_ref()
        .map(|db| ws.config.resolve(db))
        .unwrap_or_else(|| crate::vuln::cached_database(&ws.config.cache_dir()));
    if let Some(db) = &request.osv_db {
        database = ws.path(db);
        source = ScanSource::Db;
    }
    if let Some(url) = &request.osv_api {
        config.osv_api = url.clone();
        source = ScanSource::OsvApi;
    }
    if let Some(url) = &request.pypi_api {
        config.pypi_api = url.clone();
        source = ScanSource::Pypi;
    }
    let offline = ws.config.config.index.offline;
    Ok(
        match Source::from_config(&config, source, database, offline) {
            Ok(source) => SourceChoice::Ready(source),
            Err(unavailable) => SourceChoice::Unavailable(unavailable),
        },
    )
}

/// Scans `manifest` from `source`, as the scan command and the gate do.
pub async fn scan(
    ws: &Workspace<'_>,
    manifest: &crate::manifest::Manifest,
    source: &Source,
) -> Result<ScanReport> {
    let client = advisory_client(ws)?;
    let packages = crate::vuln::packages_of(manifest);
    let index = source
        .records(&packages, &client)
        .instrument(tracing::info_span!("scan.load", source = %source.describe(), packages = packages.len()))
        .await?;
    let _span = tracing::info_span!(
        "scan.match",
        packages = packages.len(),
        records = index.len()
    )
    .entered();
    Ok(crate::vuln::scan(
        manifest,
        &index,
        source,
        &ws.config.config.scan.ignore,
        crate::time::today(),
    ))
}

/// Downloads the OSV database (`[scan] db-url`) into the cache, for this
/// and later offline scans; an unchanged one is touched, so its age says
/// when it was last confirmed current. Returns what happened and where.
pub async fn update_database(
    ws: &Workspace<'_>,
    progress: &(dyn Fn(u64, Option<u64>) + Sync),
) -> Result<(crate::vuln::api::Update, PathBuf)> {
    let loaded = ws.config;
    if loaded.config.index.offline {
        return Err(PlanError::UpdateOffline.into());
    }
    let dest = crate::vuln::cached_database(&loaded.cache_dir());
    let url = loaded.config.scan.db_url.as_str();
    let client = advisory_client(ws)?;
    let outcome = crate::vuln::api::download_database(&client, url, &dest, progress)
        .instrument(tracing::info_span!("scan.update_db", url = %crate::redact::redact_url(url)))
        .await
        .map_err(VulnError::from)?;
    if let crate::vuln::api::Update::Unchanged = outcome
        && let Ok(file) = std::fs::File::options().append(true).open(&dest)
    {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
    Ok((outcome, dest))
}

/// The outcome of the gate: the scan (or why there is none) and the policy.
pub struct Gate {
    pub scan: Result<ScanReport, String>,
    pub policy: PolicyReport,
}

impl Gate {
    /// The scan as `scan.json` records it.
    pub fn scan_json(&self) -> Result<serde_json::Value> {
        Ok(match &self.scan {
            Ok(scan) => serde_json::to_value(scan)?,
            Err(reason) => serde_json::json!({ "skipped": reason }),
        })
    }
}

/// Index URLs and find-links files may come from when `[policy]
/// allowed-indexes` is empty: the configured ones and, for a wheelhouse,
/// those it was built from.
fn configured_indexes(ws: &Workspace, inventory: &Inventory) -> Vec<String> {
    let index = &ws.config.config.index;
    let mut out = vec![index.url.clone()];
    out.extend(index.extra_urls.iter().cloned());
    out.extend(index.find_links.iter().cloned());
    out.extend(inventory.manifest.inputs.indexes.iter().cloned());
    out.extend(inventory.manifest.inputs.find_links.iter().cloned());
    out
}

/// Scans `inventory` and checks `policy` over it and the scan.
pub async fn gate(
    ws: &Workspace<'_>,
    inventory: &Inventory,
    sources: &SourceRequest,
    policy: &PolicyConfig,
) -> Result<Gate> {
    let rules = Rules::new(policy, &configured_indexes(ws, inventory));
    let scan = match choose_source(ws, sources)? {
        SourceChoice::Ready(source) => scan(ws, &inventory.manifest, &source)
            .await
            .map_err(|e| chain_text(&e)),
        SourceChoice::Unavailable(unavailable) => Err(unavailable.to_string()),
    };
    let _span =
        tracing::info_span!("policy.check", packages = inventory.manifest.packages.len()).entered();
    let mut findings = rules.check(
        inventory,
        scan.as_ref().map_err(String::as_str),
        crate::time::now(),
    );
    if !policy.rego.is_empty() {
        let paths: Vec<PathBuf> = policy.rego.iter().map(|p| ws.config.resolve(p)).collect();
        let mut policies = RegoPolicies::load(&paths)?;
        findings.extend(policies.evaluate(&inventory.manifest.to_json(), &inventory.path)?);
        findings.sort();
    }
    Ok(Gate {
        policy: crate::policy::report(inventory, findings),
        scan,
    })
}

/// An error and its causes on one line, `outer: inner: ...`.
pub fn chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// What a scan or a policy check looks at, as the caller named it.
#[derive(Debug, Default, Clone)]
pub struct SubjectRequest {
    /// A wheelhouse, lock, requirements file, folder of wheels or venv.
    pub path: Option<PathBuf>,
    /// An interpreter whose installed packages to read instead.
    pub python: Option<PathBuf>,
}

/// Reads the subject: the named path or interpreter, else the configured
/// wheelhouse.
pub fn load_subject(
    cwd: &std::path::Path,
    config: std::result::Result<&crate::config::LoadedConfig, crate::config::ConfigError>,
    request: &SubjectRequest,
) -> Result<Inventory> {
    let result = match (&request.path, &request.python) {
        (_, Some(python)) => {
            let python = if python.components().count() > 1 {
                cwd.join(python)
            } else {
                // A bare name (`python3`) is looked up on PATH.
                python.clone()
            };
            let _span =
                tracing::info_span!("inventory.python", python = %python.display()).entered();
            crate::inventory::interpreter(&python)
        }
        (Some(path), None) => crate::inventory::load(&cwd.join(path)),
        (None, None) => {
            let loaded = config?;
            let dir = loaded.resolve(&loaded.config.wheelhouse.dir);
            if !dir.join("manifest.json").is_file() {
                return Err(PlanError::NotAWheelhouse { dir }.into());
            }
            crate::inventory::load(&dir)
        }
    };
    Ok(result.map_err(PlanError::Inventory)?)
}
