//! `chiron doctor`: checks that the configuration, interpreters, indexes,
//! cache, signing key, telemetry collector and disk are ready for work, and
//! says how to fix each problem.
//!
//! Each check is a function that returns one or more [`Check`]s; the checks
//! touch the machine (processes, network, files) but never change anything
//! except a probe file in the cache folder, which they remove again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{Instrument, info_span};

use crate::config::{ConfigError, Env, LoadedConfig};
use crate::index::{HttpClients, TlsSettings};
use crate::python::version::PythonVersion;
use crate::redact::redact_url;

/// How a check came out. Only `Fail` makes `chiron doctor` exit 1, unless
/// `--strict` makes warnings count too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// What a check looks at. Each has a stable kebab-case code (the `id` of
/// `--json` and of the trace spans), one line saying what it checks and one
/// saying when it fails; the table of docs/cli.md is generated from these
/// (a test keeps it so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckCode {
    Config,
    Python,
    Pip,
    Index,
    Cache,
    VulnerabilityDb,
    SigningKey,
    Telemetry,
    Disk,
}

impl CheckCode {
    /// In the order `chiron doctor` runs them.
    pub const ALL: [CheckCode; 9] = [
        CheckCode::Config,
        CheckCode::Python,
        CheckCode::Pip,
        CheckCode::Index,
        CheckCode::Cache,
        CheckCode::VulnerabilityDb,
        CheckCode::SigningKey,
        CheckCode::Telemetry,
        CheckCode::Disk,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CheckCode::Config => "config",
            CheckCode::Python => "python",
            CheckCode::Pip => "pip",
            CheckCode::Index => "index",
            CheckCode::Cache => "cache",
            CheckCode::VulnerabilityDb => "vulnerability-db",
            CheckCode::SigningKey => "signing-key",
            CheckCode::Telemetry => "telemetry",
            CheckCode::Disk => "disk",
        }
    }

    /// What the check looks at.
    pub fn summary(self) -> &'static str {
        match self {
            CheckCode::Config => "the configuration file parses and validates",
            CheckCode::Python => {
                "an interpreter for each configured version (`python3.X` on PATH, run to confirm its version); `python3` when none is configured"
            }
            CheckCode::Pip => "`python -m pip --version` for each interpreter found",
            CheckCode::Index => {
                "each index URL answers a request for one small project page (`/pip/`) within the timeout; `find-links` folders exist"
            }
            CheckCode::Cache => "the cache folder can be created and written",
            CheckCode::VulnerabilityDb => {
                "the scan source: the offline OSV database exists and is at most 7 days old, or an online source while not `--offline`"
            }
            CheckCode::SigningKey => {
                "the configured private key exists and is not readable by group or others (Unix)"
            }
            CheckCode::Telemetry => {
                "the OTLP endpoint, when configured, accepts connections and uses HTTP/protobuf"
            }
            CheckCode::Disk => "free space where the wheelhouse and cache go",
        }
    }

    /// When the check fails (a failure makes `chiron doctor` exit 1).
    pub fn fails_when(self) -> &'static str {
        match self {
            CheckCode::Config => {
                "it does not (the other checks still run, on the defaults); no file at all is a warning"
            }
            CheckCode::Python => {
                "never: a missing interpreter is a warning, since building a wheelhouse does not need one"
            }
            CheckCode::Pip => "never: a warning",
            CheckCode::Index => "unreachable, 401/403, 5xx; skipped with `--offline`",
            CheckCode::Cache => "it cannot",
            CheckCode::VulnerabilityDb => "never: a warning, with the command that fixes it",
            CheckCode::SigningKey => "missing, or mode wider than 0600",
            CheckCode::Telemetry => "unreachable, or another protocol asked for",
            CheckCode::Disk => "under 500 MiB (a warning under 5 GiB)",
        }
    }
}

impl std::fmt::Display for CheckCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.code())
    }
}

/// The table of checks in docs/cli.md, as generated from `CheckCode`.
pub fn check_table() -> String {
    let mut out = String::from("| id | checks | fails when |\n| --- | --- | --- |\n");
    for check in CheckCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            check.code(),
            check.summary(),
            check.fails_when()
        ));
    }
    out
}

/// One finding: which check, what was checked, the outcome, a one-line
/// finding and, unless all is well, how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: CheckCode,
    pub subject: String,
    pub status: Status,
    pub finding: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    fn new(
        id: CheckCode,
        subject: impl Into<String>,
        status: Status,
        finding: impl Into<String>,
    ) -> Self {
        Self {
            id,
            subject: subject.into(),
            status,
            finding: finding.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// Whether the machine is ready: no failure (and, when strict, no warning).
    pub fn passed(&self, strict: bool) -> bool {
        self.checks.iter().all(|c| match c.status {
            Status::Fail => false,
            Status::Warn => !strict,
            Status::Ok | Status::Skip => true,
        })
    }
}

#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// How long one network probe or interpreter may take.
    pub timeout: Duration,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
        }
    }
}

/// Free space below which the disk check warns, and fails.
const DISK_WARN_BYTES: u64 = 5 * 1024 * 1024 * 1024;
const DISK_FAIL_BYTES: u64 = 500 * 1024 * 1024;

/// Runs every check. `config` is what loading produced: with an error, the
/// other checks run against `fallback` (the configuration without the file).
pub async fn run_doctor(
    config: Result<&LoadedConfig, &ConfigError>,
    fallback: &LoadedConfig,
    env: &Env,
    options: &DoctorOptions,
) -> DoctorReport {
    let mut checks = Vec::new();
    checks.push(traced(check_config(config)));
    let loaded = config.unwrap_or(fallback);

    let interpreters = find_interpreters(&loaded.config.targets.python, options.timeout).await;
    checks.extend(interpreters.iter().map(|found| traced(found.check.clone())));
    for found in &interpreters {
        if let Some(path) = &found.path {
            checks.push(traced(
                check_pip(found.version, path, options.timeout).await,
            ));
        }
    }
    for check in check_indexes(loaded, options).await {
        checks.push(traced(check));
    }
    checks.push(traced(check_cache(&loaded.cache_dir())));
    checks.push(traced(check_vulnerability_source(loaded)));
    checks.extend(check_signing_key(loaded).into_iter().map(traced));
    checks.push(traced(check_telemetry(loaded, env, options.timeout).await));
    checks.push(traced(check_disk(loaded)));
    DoctorReport { checks }
}

/// Records a finished check as a span, so traces show every outcome.
fn traced(check: Check) -> Check {
    let span = info_span!(
        "doctor.check",
        check = check.id.code(),
        subject = %check.subject,
        status = check.status.label(),
    );
    span.in_scope(|| tracing::debug!(finding = %check.finding, "checked"));
    check
}

fn check_config(config: Result<&LoadedConfig, &ConfigError>) -> Check {
    match config {
        Ok(loaded) => match &loaded.file {
            Some(file) => {
                let targets = &loaded.config.targets;
                Check::new(
                    CheckCode::Config,
                    "configuration",
                    Status::Ok,
                    format!(
                        "{} is valid: {} Python version(s) x {} platform(s)",
                        file.path.display(),
                        targets.python.len(),
                        targets.platforms.len()
                    ),
                )
            }
            None => Check::new(
                CheckCode::Config,
                "configuration",
                Status::Warn,
                "no chiron.toml or [tool.chiron] in pyproject.toml; using defaults",
            )
            .hint("run `chiron init` in the project's folder"),
        },
        Err(error) => {
            let first_line = error
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            let check = Check::new(CheckCode::Config, "configuration", Status::Fail, first_line);
            match error.hint() {
                Some(hint) => check.hint(hint),
                None => check,
            }
        }
    }
}

struct FoundInterpreter {
    version: Option<PythonVersion>,
    path: Option<PathBuf>,
    check: Check,
}

/// Looks for an interpreter for each configured version, or for the host's
/// `python3` when no versions are configured.
async fn find_interpreters(versions: &[PythonVersion], timeout: Duration) -> Vec<FoundInterpreter> {
    if versions.is_empty() {
        let name = if cfg!(windows) { "python" } else { "python3" };
        return vec![probe_interpreter(None, name, timeout).await];
    }
    let mut found = Vec::new();
    for version in versions {
        found.push(probe_interpreter(Some(*version), &version.executable_name(), timeout).await);
    }
    found
}

async fn probe_interpreter(
    version: Option<PythonVersion>,
    name: &str,
    timeout: Duration,
) -> FoundInterpreter {
    let subject = match version {
        Some(v) => format!("python {v}"),
        None => "python".to_string(),
    };
    let missing = |finding: String| FoundInterpreter {
        version,
        path: None,
        check: Check::new(CheckCode::Python, subject.clone(), Status::Warn, finding).hint(
            match version {
                Some(v) => format!(
                    "install CPython {v} to test or install this target here; \
                 building its wheelhouse does not need it"
                ),
                None => "install CPython 3 to install wheelhouses on this machine".into(),
            },
        ),
    };
    let Ok(path) = which::which(name) else {
        return missing(format!("no {name} on PATH"));
    };
    let output = run_with_timeout(
        &path,
        &["-c", "import platform; print(platform.python_version())"],
        timeout,
    )
    .await;
    let reported = match output {
        Ok(stdout) => stdout.trim().to_string(),
        Err(reason) => {
            return missing(format!("{} does not run: {reason}", path.display()));
        }
    };
    let matches = version
        .is_none_or(|v| reported.split('.').take(2).collect::<Vec<_>>().join(".") == v.to_string());
    if !matches {
        return missing(format!("{} reports Python {reported}", path.display()));
    }
    FoundInterpreter {
        version,
        check: Check::new(
            CheckCode::Python,
            subject,
            Status::Ok,
            format!("{} (Python {reported})", path.display()),
        ),
        path: Some(path),
    }
}

async fn check_pip(version: Option<PythonVersion>, python: &Path, timeout: Duration) -> Check {
    let subject = match version {
        Some(v) => format!("pip {v}"),
        None => "pip".into(),
    };
    match run_with_timeout(python, &["-m", "pip", "--version"], timeout).await {
        Ok(stdout) => {
            let version = stdout.split_whitespace().nth(1).unwrap_or("?");
            Check::new(
                CheckCode::Pip,
                subject,
                Status::Ok,
                format!("pip {version} ({})", python.display()),
            )
        }
        Err(reason) => Check::new(
            CheckCode::Pip,
            subject,
            Status::Warn,
            format!("{} has no working pip: {reason}", python.display()),
        )
        .hint(format!("{} -m ensurepip --upgrade", python.display())),
    }
}

/// Runs a program and returns its stdout, or why it failed.
async fn run_with_timeout(
    program: &Path,
    args: &[&str],
    timeout: Duration,
) -> Result<String, String> {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    let output = match tokio::time::timeout(timeout, command.output()).await {
        Err(_) => return Err(format!("no answer within {} s", timeout.as_secs())),
        Ok(Err(error)) => return Err(error.to_string()),
        Ok(Ok(output)) => output,
    };
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The first line says what went wrong (pyenv shims add advice after it).
        let reason = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        Err(format!(
            "exit {}: {reason}",
            output.status.code().unwrap_or(-1)
        ))
    }
}

async fn check_indexes(loaded: &LoadedConfig, options: &DoctorOptions) -> Vec<Check> {
    let index = &loaded.config.index;
    let settings = crate::index::client::ClientSettings::from_config(loaded);
    let urls = settings.index_urls.clone();
    let tls = settings.tls();
    // The credentials the index client would send: from the URLs, then
    // `.netrc` (a probe without them would report a 401 that a real run
    // never sees).
    let mut credentials = crate::index::auth::Credentials::default();
    for url in settings.index_urls.iter().chain(&settings.find_links) {
        credentials.learn_from_url(url);
    }
    if let Some(netrc) = &settings.netrc {
        credentials.load_netrc(netrc);
    }
    let mut checks = Vec::new();
    if index.offline {
        for url in &urls {
            checks.push(Check::new(
                CheckCode::Index,
                redact_url(url),
                Status::Skip,
                "offline: not contacted",
            ));
        }
    } else {
        let timeout = options
            .timeout
            .min(Duration::from_secs(index.timeout.max(1)));
        for url in &urls {
            let span = info_span!("doctor.probe", url = %redact_url(url));
            checks.push(
                probe_index(url, timeout, &tls, &credentials)
                    .instrument(span)
                    .await,
            );
        }
    }
    for link in &index.find_links {
        checks.push(check_find_links(loaded, link));
    }
    checks
}

/// Probes an index by asking for one small project page (`pip`), as a real
/// lookup would; the root page of a large index can be tens of megabytes.
async fn probe_index(
    url: &str,
    timeout: Duration,
    tls: &TlsSettings,
    credentials: &crate::index::auth::Credentials,
) -> Check {
    let shown = redact_url(url);
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Check::new(CheckCode::Index, shown, Status::Fail, format!("not a URL: {error}"))
                .hint("set [index] url (or PIP_INDEX_URL) to the index's simple API, e.g. https://pypi.org/simple");
        }
    };
    if parsed.scheme() == "file" {
        return check_local_index(&parsed, shown);
    }
    let clients = match HttpClients::new(timeout, tls) {
        Ok(clients) => clients,
        Err(error) => {
            return Check::new(CheckCode::Index, shown, Status::Fail, error).hint(
                "fix cert / client-cert (pip.conf, PIP_CERT, PIP_CLIENT_CERT, SSL_CERT_FILE, [index]), or unset it",
            );
        }
    };
    if !clients.is_secure_origin(&parsed) {
        let host = parsed.host_str().unwrap_or_default();
        return Check::new(
            CheckCode::Index,
            shown,
            Status::Fail,
            "plain HTTP to a host that is not trusted",
        )
        .hint(format!(
            "use https, or trust the host as pip does: trusted-host = {host}"
        ));
    }
    let probe = format!("{}/pip/", url.trim_end_matches('/'));
    let (probe, auth) = credentials.for_url(&probe);
    let mut request = clients.for_url(&parsed).get(&probe);
    if let Some((user, password)) = &auth {
        request = request.basic_auth(user, password.as_deref());
    }
    let started = Instant::now();
    let response = request
        .timeout(timeout)
        .header(
            reqwest::header::ACCEPT,
            "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01",
        )
        .send()
        .await;
    let elapsed = started.elapsed().as_millis();
    match response {
        Ok(response) => judge_index_answer(shown, response.status(), elapsed, auth.is_some()),
        Err(error) => {
            let reason = if error.is_timeout() {
                format!("no answer within {} s", timeout.as_secs())
            } else {
                error_chain(&error)
            };
            Check::new(CheckCode::Index, shown, Status::Fail, format!("unreachable: {reason}")).hint(
                "check the URL and network (HTTPS_PROXY, SSL_CERT_FILE), or use --offline with a warm cache",
            )
        }
    }
}

/// An index given as a `file:` URL: a folder that must exist.
fn check_local_index(parsed: &url::Url, shown: String) -> Check {
    match parsed.to_file_path() {
        Ok(path) if path.is_dir() => Check::new(
            CheckCode::Index,
            shown,
            Status::Ok,
            format!("local folder {}", path.display()),
        ),
        _ => Check::new(
            CheckCode::Index,
            shown,
            Status::Fail,
            "local index folder does not exist",
        )
        .hint("create it or fix [index] url"),
    }
}

/// What an index's answer to the probe says: a page or a 404 is a working
/// index; a refusal is told apart by whether credentials were sent.
fn judge_index_answer(
    shown: String,
    status: reqwest::StatusCode,
    elapsed_ms: u128,
    sent_credentials: bool,
) -> Check {
    let finding = format!("HTTP {} in {elapsed_ms} ms", status.as_u16());
    let refused =
        status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN;
    if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
        Check::new(
            CheckCode::Index,
            shown,
            Status::Ok,
            format!("reachable: {finding}"),
        )
    } else if refused && sent_credentials {
        Check::new(
            CheckCode::Index,
            shown,
            Status::Fail,
            format!("refused the credentials sent: {finding}"),
        )
        .hint("check the user and token in the index URL or in ~/.netrc ($NETRC): the index does not accept them")
    } else if refused {
        Check::new(
            CheckCode::Index,
            shown,
            Status::Fail,
            format!("refused: {finding}"),
        )
        .hint("give credentials in the URL (https://user:token@host/simple) or in ~/.netrc")
    } else {
        Check::new(
            CheckCode::Index,
            shown,
            Status::Fail,
            format!("answered with an error: {finding}"),
        )
        .hint("the index is unwell; retry later or use --offline with a warm cache")
    }
}

/// An error and its causes on one line, credentials removed.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    let joined = parts.join(": ");
    // reqwest names the URL, which may hold credentials.
    joined
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c| c == '(' || c == ')');
            if bare.contains("://") {
                word.replace(bare, &redact_url(bare))
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_find_links(loaded: &LoadedConfig, link: &str) -> Check {
    if link.contains("://") && !link.starts_with("file://") {
        return Check::new(
            CheckCode::Index,
            redact_url(link),
            Status::Skip,
            "find-links page: read when resolving",
        );
    }
    let path =
        crate::index::file_url_path_str(link).unwrap_or_else(|| loaded.resolve(Path::new(link)));
    if path.is_dir() {
        Check::new(
            CheckCode::Index,
            link,
            Status::Ok,
            format!("find-links folder {}", path.display()),
        )
    } else {
        Check::new(
            CheckCode::Index,
            link,
            Status::Fail,
            format!("find-links folder {} does not exist", path.display()),
        )
        .hint("create it or remove it from [index] find-links / PIP_FIND_LINKS")
    }
}

fn check_cache(dir: &Path) -> Check {
    let subject = dir.display().to_string();
    let fix = "set CHIRON_CACHE_DIR or [cache] dir to a writable folder";
    if let Err(error) = std::fs::create_dir_all(dir) {
        return Check::new(
            CheckCode::Cache,
            subject,
            Status::Fail,
            format!("cannot create: {error}"),
        )
        .hint(fix);
    }
    match tempfile::Builder::new()
        .prefix(".doctor-probe")
        .tempfile_in(dir)
    {
        Ok(probe) => {
            drop(probe);
            Check::new(CheckCode::Cache, subject, Status::Ok, "writable")
        }
        Err(error) => Check::new(
            CheckCode::Cache,
            subject,
            Status::Fail,
            format!("not writable: {error}"),
        )
        .hint(fix),
    }
}

/// An offline OSV database older than this is reported as stale.
const STALE_DATABASE_DAYS: u64 = 7;

/// Whether `chiron scan` and the wheelhouse gate have advisories to read:
/// the offline database present and fresh, or an online source while not
/// offline.
fn check_vulnerability_source(loaded: &LoadedConfig) -> Check {
    use crate::config::ScanSource;
    let scan = &loaded.config.scan;
    match scan.source {
        ScanSource::OsvApi | ScanSource::Pypi => {
            let url = if scan.source == ScanSource::OsvApi {
                &scan.osv_api
            } else {
                &scan.pypi_api
            };
            let subject = crate::redact::redact_url(url.as_str());
            if loaded.config.index.offline {
                Check::new(CheckCode::VulnerabilityDb, subject, Status::Warn, "an online source, and chiron is offline: scans will be skipped")
                    .hint("set [scan] source = \"db\" and fetch it with `chiron scan --update-db` while online")
            } else {
                Check::new(
                    CheckCode::VulnerabilityDb,
                    subject,
                    Status::Ok,
                    "scans ask this service",
                )
            }
        }
        ScanSource::Db => {
            let path = scan
                .osv_db
                .as_ref()
                .map(|db| loaded.resolve(db))
                .unwrap_or_else(|| crate::vuln::cached_database(&loaded.cache_dir()));
            let subject = path.display().to_string();
            let Ok(metadata) = std::fs::metadata(&path) else {
                return Check::new(
                    CheckCode::VulnerabilityDb,
                    subject,
                    Status::Warn,
                    "no OSV database: scans and the wheelhouse gate cannot check advisories",
                )
                .hint("run `chiron scan --update-db` (or set [scan] osv-db)");
            };
            let age_days = metadata
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .map(|d| d.as_secs() / 86_400)
                .unwrap_or(0);
            if age_days > STALE_DATABASE_DAYS {
                Check::new(
                    CheckCode::VulnerabilityDb,
                    subject,
                    Status::Warn,
                    format!("{age_days} days old: newer advisories are missing"),
                )
                .hint("run `chiron scan --update-db`")
            } else {
                Check::new(
                    CheckCode::VulnerabilityDb,
                    subject,
                    Status::Ok,
                    format!("updated {age_days} day(s) ago"),
                )
            }
        }
    }
}

fn check_signing_key(loaded: &LoadedConfig) -> Vec<Check> {
    let signing = &loaded.config.signing;
    let Some(key) = &signing.key else {
        return vec![Check::new(
            CheckCode::SigningKey,
            "signing key",
            Status::Skip,
            "no [signing] key configured",
        )];
    };
    let path = loaded.resolve(key);
    let subject = path.display().to_string();
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(error) => {
            return vec![
                Check::new(
                    CheckCode::SigningKey,
                    subject,
                    Status::Fail,
                    format!("cannot read: {error}"),
                )
                .hint("fix [signing] key in the configuration"),
            ];
        }
    };
    let mut checks = vec![key_permissions(&path, &metadata)];
    if let Some(public) = &signing.public_key {
        let public = loaded.resolve(public);
        if !public.is_file() {
            checks.push(
                Check::new(
                    CheckCode::SigningKey,
                    public.display().to_string(),
                    Status::Fail,
                    "public key does not exist",
                )
                .hint("fix [signing] public-key in the configuration"),
            );
        }
    }
    checks
}

#[cfg(unix)]
fn key_permissions(path: &Path, metadata: &std::fs::Metadata) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    let subject = path.display().to_string();
    if mode & 0o077 == 0 {
        Check::new(
            CheckCode::SigningKey,
            subject,
            Status::Ok,
            format!("mode {mode:04o}"),
        )
    } else {
        Check::new(
            CheckCode::SigningKey,
            subject,
            Status::Fail,
            format!("mode {mode:04o}: the private key is readable by other users"),
        )
        .hint(format!("chmod 600 {}", path.display()))
    }
}

#[cfg(not(unix))]
fn key_permissions(path: &Path, _metadata: &std::fs::Metadata) -> Check {
    Check::new(
        CheckCode::SigningKey,
        path.display().to_string(),
        Status::Ok,
        "present (file modes are not checked on this platform)",
    )
}

async fn check_telemetry(loaded: &LoadedConfig, env: &Env, timeout: Duration) -> Check {
    let Some(endpoint) = loaded.config.telemetry.traces_endpoint() else {
        return Check::new(
            CheckCode::Telemetry,
            "OTLP export",
            Status::Skip,
            "off: no OTEL_EXPORTER_OTLP_ENDPOINT or [telemetry] otlp-endpoint",
        );
    };
    let shown = redact_url(&endpoint);
    if let Some(protocol) = env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        && protocol != "http/protobuf"
    {
        return Check::new(
                CheckCode::Telemetry,
                shown,
                Status::Fail,
                format!("OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported"),
            )
            .hint("chiron exports OTLP over HTTP/protobuf: set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf and use the collector's HTTP port (4318)");
    }
    let Some((host, port)) = url::Url::parse(&endpoint)
        .ok()
        .and_then(|u| Some((u.host_str()?.to_string(), u.port_or_known_default()?)))
    else {
        return Check::new(
            CheckCode::Telemetry,
            shown,
            Status::Fail,
            "not an http(s) URL",
        )
        .hint("set OTEL_EXPORTER_OTLP_ENDPOINT to e.g. http://127.0.0.1:4318");
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Check::new(
            CheckCode::Telemetry,
            shown,
            Status::Ok,
            "collector accepts connections",
        ),
        Ok(Err(error)) => Check::new(
            CheckCode::Telemetry,
            shown,
            Status::Fail,
            format!("collector unreachable: {error}"),
        )
        .hint("start the collector, fix the endpoint, or set OTEL_SDK_DISABLED=true"),
        Err(_) => Check::new(
            CheckCode::Telemetry,
            shown,
            Status::Fail,
            format!(
                "collector unreachable: no answer within {} s",
                timeout.as_secs()
            ),
        )
        .hint("start the collector, fix the endpoint, or set OTEL_SDK_DISABLED=true"),
    }
}

fn check_disk(loaded: &LoadedConfig) -> Check {
    let places = [
        ("wheelhouse", loaded.resolve(&loaded.config.wheelhouse.dir)),
        ("cache", loaded.cache_dir()),
    ];
    let mut lowest: Option<(u64, &str, PathBuf)> = None;
    for (what, path) in &places {
        // The folder may not exist yet: measure the nearest existing parent.
        let Some(existing) = path.ancestors().find(|p| p.exists()) else {
            continue;
        };
        match fs4::available_space(existing) {
            Ok(free) => {
                if lowest.as_ref().is_none_or(|(l, _, _)| free < *l) {
                    lowest = Some((free, what, existing.to_path_buf()));
                }
            }
            Err(error) => {
                return Check::new(
                    CheckCode::Disk,
                    existing.display().to_string(),
                    Status::Warn,
                    format!("cannot measure free space: {error}"),
                );
            }
        }
    }
    let Some((free, what, path)) = lowest else {
        return Check::new(
            CheckCode::Disk,
            "free space",
            Status::Skip,
            "no folder to measure",
        );
    };
    let (status, hint) = classify_free_space(free);
    let check = Check::new(
        CheckCode::Disk,
        format!("{what} ({})", path.display()),
        status,
        format!("{} free", human_bytes(free)),
    );
    match hint {
        Some(hint) => check.hint(hint),
        None => check,
    }
}

/// Pure: how much free space is enough for a wheelhouse.
pub fn classify_free_space(free: u64) -> (Status, Option<&'static str>) {
    if free < DISK_FAIL_BYTES {
        (
            Status::Fail,
            Some("free space: wheelhouses of compiled packages take gigabytes"),
        )
    } else if free < DISK_WARN_BYTES {
        (
            Status::Warn,
            Some("a multi-target wheelhouse may need several GiB; free some space"),
        )
    } else {
        (Status::Ok, None)
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_codes_are_unique_kebab_case_and_documented() {
        let codes: std::collections::BTreeSet<&str> =
            CheckCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), CheckCode::ALL.len(), "codes are unique");
        for check in CheckCode::ALL {
            let code = check.code();
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{code} is kebab-case"
            );
            assert_eq!(
                serde_json::to_value(check).unwrap(),
                serde_json::Value::from(code),
                "JSON says the same code"
            );
        }
        let docs = include_str!("../docs/cli.md");
        let table = check_table();
        assert!(
            docs.contains(&table),
            "docs/cli.md's table of doctor checks is not the generated one; replace it with:\n{table}"
        );
    }

    #[test]
    fn free_space_thresholds() {
        assert_eq!(classify_free_space(100 * 1024 * 1024).0, Status::Fail);
        assert_eq!(classify_free_space(2 * 1024 * 1024 * 1024).0, Status::Warn);
        assert_eq!(classify_free_space(50 * 1024 * 1024 * 1024).0, Status::Ok);
    }

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }

    #[test]
    fn strict_counts_warnings() {
        let report = DoctorReport {
            checks: vec![
                Check::new(CheckCode::Python, "python 3.13", Status::Warn, "missing"),
                Check::new(CheckCode::Cache, "c", Status::Ok, "writable"),
            ],
        };
        assert!(report.passed(false));
        assert!(!report.passed(true));
        assert_eq!(report.count(Status::Warn), 1);
    }

    #[test]
    fn error_chains_hide_credentials() {
        #[derive(Debug)]
        struct Fake;
        impl std::fmt::Display for Fake {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "error sending request for url (https://u:pw@example.invalid/simple/pip/)",
                )
            }
        }
        impl std::error::Error for Fake {}
        let text = error_chain(&Fake);
        assert!(!text.contains("pw"), "{text}");
        assert!(text.contains("u:****@example.invalid"), "{text}");
    }
}
