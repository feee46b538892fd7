//! `chiron publish`: built distributions uploaded to a package index,
//! idempotently. Every file is read and checked first; then the index's
//! simple API is asked which of them it holds: the same file (same name,
//! same sha256) is skipped, another file of the same name stops the run
//! before anything is uploaded. The rest is uploaded in a stable order
//! (sdists, then wheels, each sorted by name), and an index answering
//! "already exists" is asked again which file it holds.
//!
//! `chiron release --publish` calls [`publish`] with the files it built.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use super::Workspace;
use crate::index::client::{ClientSettings, IndexClient, IndexError};
use crate::index::simple::IndexFile;
use crate::publish::credentials::{
    CredentialSource, Credentials, TOKEN_USER, find_credentials, strip_user_info,
};
use crate::publish::dist::{DistKind, Distribution};
use crate::publish::oidc::{IdentitySource, index_base, mint_token};
use crate::publish::upload::{UploadOutcome, Uploader};
use crate::publish::{PublishError, http};

/// PyPI's upload URL, the default.
pub const PYPI_UPLOAD_URL: &str = "https://upload.pypi.org/legacy/";

/// When to mint an upload token by trusted publishing (OIDC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustedPublishing {
    /// When no credentials are set and the CI offers an identity token.
    #[default]
    Auto,
    /// Always; an error without an identity token.
    Always,
    /// Never.
    Never,
}

/// What the caller asked to publish, and where.
#[derive(Debug, Clone, Default)]
pub struct PublishRequest {
    /// Wheels and sdists, relative to the working folder.
    pub files: Vec<PathBuf>,
    /// The legacy upload URL (default: [`PYPI_UPLOAD_URL`]).
    pub repository_url: Option<String>,
    /// The simple API that lists what the index holds (default: PyPI's
    /// for PyPI, else `{repository URL}/simple/`).
    pub index_url: Option<String>,
    pub trusted_publishing: TrustedPublishing,
    /// The index whose `/_/oidc/` endpoints mint tokens (default: derived
    /// from the upload URL).
    pub trusted_publishing_index: Option<String>,
    /// Per connection and per stalled read (default: `[index] timeout`).
    pub timeout: Option<Duration>,
}

/// Reports while files are checked and uploaded.
pub trait PublishProgress {
    /// A step begins or ends (`uploading x.whl`, `skipped x.whl: ...`).
    fn step(&self, message: &str);
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    Uploaded,
    /// The index holds this very file already.
    Skipped,
}

/// One file of a publication.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedFile {
    pub path: PathBuf,
    pub filename: String,
    pub name: String,
    pub version: String,
    pub kind: DistKind,
    pub sha256: String,
    pub size: u64,
    pub status: FileStatus,
}

/// What a publication did, file by file, in upload order.
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// Without credentials.
    pub repository_url: String,
    pub index_url: String,
    /// Where the credentials came from (never their value); `none` when
    /// nothing had to be uploaded.
    pub credentials: CredentialSource,
    pub files: Vec<PublishedFile>,
}

/// The request resolved against the workspace, once.
struct Plan {
    /// Without user info.
    upload_url: String,
    index_url: String,
    mint_base: String,
    timeout: Duration,
    cert: Option<PathBuf>,
    credentials: Option<Credentials>,
    identity: Result<IdentitySource, &'static str>,
}

/// Publishes `request.files`: checks them all, skips what the index holds
/// already, uploads the rest. Nothing is uploaded when any file is refused
/// or conflicts with the index.
pub async fn publish(
    ws: &Workspace<'_>,
    request: &PublishRequest,
    progress: &dyn PublishProgress,
) -> Result<PublishReport, PublishError> {
    let plan = plan(ws, request)?;
    let dists = read_distributions(ws, &request.files)?;
    let client = http::client(plan.timeout, plan.cert.as_deref()).map_err(|message| {
        PublishError::BadUrl {
            what: "TLS set-up",
            url: crate::redact::redact_url(&plan.upload_url),
            message,
        }
    })?;
    let statuses = check_index(ws, &plan, &dists, progress).await?;
    let to_upload = statuses.values().any(|s| *s == FileStatus::Uploaded);
    let credentials = if to_upload {
        authenticate(&plan, request.trusted_publishing, &client, progress).await?
    } else {
        None
    };
    let uploader = Uploader {
        client: &client,
        url: &plan.upload_url,
        credentials: credentials.as_ref(),
    };
    let mut files = Vec::new();
    for dist in &dists {
        let status = match statuses[&dist.filename] {
            FileStatus::Skipped => {
                progress.step(&format!(
                    "skipped {}: the index holds it already (sha256 {})",
                    dist.filename, dist.sha256
                ));
                FileStatus::Skipped
            }
            FileStatus::Uploaded => upload_one(ws, &plan, &uploader, dist, progress).await?,
        };
        files.push(published(dist, status));
    }
    Ok(PublishReport {
        repository_url: crate::redact::redact_url(&plan.upload_url),
        index_url: crate::redact::redact_url(&plan.index_url),
        // With nothing to upload no credential was needed, but the ones
        // set are still the ones the run would have used.
        credentials: credentials
            .as_ref()
            .or(plan.credentials.as_ref())
            .map_or(CredentialSource::None, |c| c.source),
        files,
    })
}

/// What can be checked before there is anything to upload: the URLs,
/// `--offline`, the credentials' form, and an identity token when trusted
/// publishing is required. `chiron release` asks this before it writes.
pub fn preflight(ws: &Workspace<'_>, request: &PublishRequest) -> Result<(), PublishError> {
    let plan = plan(ws, request)?;
    match (request.trusted_publishing, &plan.identity) {
        (TrustedPublishing::Always, Err(missing)) => Err(PublishError::NoIdentityToken { missing }),
        _ => Ok(()),
    }
}

fn plan(ws: &Workspace<'_>, request: &PublishRequest) -> Result<Plan, PublishError> {
    if ws.config.config.index.offline {
        return Err(PublishError::Offline);
    }
    let given = request.repository_url.as_deref().unwrap_or(PYPI_UPLOAD_URL);
    let trusted = &ws.config.config.index.trusted_hosts;
    let upload = checked_url("repository URL", given, trusted)?;
    let upload_url = strip_user_info(upload.as_str());
    let index_url = match &request.index_url {
        Some(url) => checked_url("index URL", url, trusted)?.to_string(),
        None => default_index_url(&upload),
    };
    let mint_base = match &request.trusted_publishing_index {
        Some(url) => checked_url("trusted publishing index", url, trusted)?.to_string(),
        None => index_base(&upload),
    };
    let netrc = netrc_path(ws);
    Ok(Plan {
        credentials: find_credentials(ws.env, given, netrc.as_deref())?,
        identity: IdentitySource::from_env(ws.env),
        timeout: request
            .timeout
            .unwrap_or(Duration::from_secs(ws.config.config.index.timeout.max(1))),
        cert: ws
            .config
            .config
            .index
            .cert
            .as_ref()
            .map(|c| ws.config.resolve(c)),
        upload_url,
        index_url,
        mint_base,
    })
}

/// `text` as an http(s) URL; plain http only to loopback and trusted
/// hosts, where credentials may travel in clear.
fn checked_url(what: &'static str, text: &str, trusted: &[String]) -> Result<Url, PublishError> {
    let bad = |message: String| PublishError::BadUrl {
        what,
        url: crate::redact::redact_url(text),
        message,
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported".into()));
    }
    if !crate::index::is_secure_origin(trusted, &url) {
        return Err(bad(
            "plain http to a host that is neither loopback nor a trusted host: credentials would travel in clear".into(),
        ));
    }
    Ok(url)
}

/// The simple API that lists what an upload URL's index holds.
fn default_index_url(upload: &Url) -> String {
    match upload.host_str() {
        Some("upload.pypi.org") => "https://pypi.org/simple/".into(),
        Some("test.pypi.org") => "https://test.pypi.org/simple/".into(),
        _ => format!(
            "{}/simple/",
            strip_user_info(upload.as_str()).trim_end_matches('/')
        ),
    }
}

/// `$NETRC`, else `~/.netrc`, from the environment snapshot.
fn netrc_path(ws: &Workspace<'_>) -> Option<PathBuf> {
    if let Some(path) = ws.env.get("NETRC") {
        return Some(PathBuf::from(path));
    }
    ws.env
        .get("HOME")
        .map(|home| PathBuf::from(home).join(".netrc"))
}

/// The files given, a folder standing for the wheels and sdists in it
/// (`chiron publish dist/`, or a release folder beside its sums and
/// signatures).
fn expand_folders(ws: &Workspace<'_>, given: &[PathBuf]) -> Result<Vec<PathBuf>, PublishError> {
    let mut files = Vec::new();
    for path in given.iter().map(|p| ws.path(p)) {
        if !path.is_dir() {
            files.push(path);
            continue;
        }
        let entries = std::fs::read_dir(&path).map_err(|source| PublishError::Io {
            path: path.clone(),
            source,
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                p.is_file() && (name.ends_with(".whl") || name.ends_with(".tar.gz"))
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Every file read and checked, in upload order: sdists first, then
/// wheels, each by file name; a file name given twice is refused.
fn read_distributions(
    ws: &Workspace<'_>,
    files: &[PathBuf],
) -> Result<Vec<Distribution>, PublishError> {
    let files = expand_folders(ws, files)?;
    if files.is_empty() {
        return Err(PublishError::NoFiles);
    }
    let mut dists: Vec<Distribution> = Vec::new();
    for file in &files {
        let dist = Distribution::read(file)?;
        if let Some(first) = dists.iter().find(|d| d.filename == dist.filename) {
            return Err(PublishError::Duplicate {
                file: dist.filename.clone(),
                first: first.path.clone(),
                second: dist.path,
            });
        }
        dists.push(dist);
    }
    dists.sort_by(|a, b| (a.kind, &a.filename).cmp(&(b.kind, &b.filename)));
    Ok(dists)
}

/// Whether each file is to be uploaded or skipped, by file name, from what
/// the index lists (each project asked once); a conflict stops here.
async fn check_index(
    ws: &Workspace<'_>,
    plan: &Plan,
    dists: &[Distribution],
    progress: &dyn PublishProgress,
) -> Result<BTreeMap<String, FileStatus>, PublishError> {
    let mut listings: BTreeMap<String, Vec<IndexFile>> = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    for dist in dists {
        let project = dist.name.to_string();
        if !listings.contains_key(&project) {
            progress.step(&format!("checking {project} on {}", plan.index_url));
            listings.insert(project.clone(), list_project(ws, plan, dist).await?);
        }
        let listed = listings.get(&project).map_or(&[][..], Vec::as_slice);
        statuses.insert(dist.filename.clone(), judge(dist, listed, &plan.index_url)?);
    }
    Ok(statuses)
}

/// The files the index lists for `dist`'s project, asked afresh (a
/// private, empty page cache), with the upload's user and password when
/// the index is on the same host. A project the index does not have lists
/// nothing.
async fn list_project(
    ws: &Workspace<'_>,
    plan: &Plan,
    dist: &Distribution,
) -> Result<Vec<IndexFile>, PublishError> {
    let cache = tempfile::tempdir().map_err(|source| PublishError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let mut settings = ClientSettings::from_config(ws.config);
    settings.index_urls = vec![index_url_with_credentials(plan)];
    settings.find_links = Vec::new();
    settings.pins = BTreeMap::new();
    settings.cache_dir = cache.path().to_path_buf();
    settings.netrc = netrc_path(ws);
    settings.timeout = plan.timeout;
    let client = IndexClient::new(settings)?;
    match client.project_files(&dist.name).await {
        Ok(files) => Ok(files),
        Err(IndexError::NotFound { .. }) => Ok(Vec::new()),
        Err(IndexError::Status {
            url,
            status: status @ (401 | 403),
        }) => Err(PublishError::ListingRefused {
            url,
            status,
            source_name: plan
                .credentials
                .as_ref()
                .map_or(CredentialSource::None, |c| c.source)
                .describe()
                .to_string(),
        }),
        Err(error) => Err(error.into()),
    }
}

fn index_url_with_credentials(plan: &Plan) -> String {
    let (Ok(mut index), Ok(upload)) = (Url::parse(&plan.index_url), Url::parse(&plan.upload_url))
    else {
        return plan.index_url.clone();
    };
    let same_host = index.host_str() == upload.host_str()
        && index.port_or_known_default() == upload.port_or_known_default();
    if let Some(credentials) = plan.credentials.as_ref().filter(|_| same_host) {
        let _ = index.set_username(&credentials.username);
        let _ = index.set_password(Some(&credentials.password));
    }
    index.to_string()
}

/// Whether `dist` is to be uploaded or skipped, from what the index lists.
fn judge(
    dist: &Distribution,
    listed: &[IndexFile],
    index: &str,
) -> Result<FileStatus, PublishError> {
    let Some(found) = listed.iter().find(|f| f.filename == dist.filename) else {
        return Ok(FileStatus::Uploaded);
    };
    match found.sha256() {
        Some(remote) if remote.eq_ignore_ascii_case(&dist.sha256) => Ok(FileStatus::Skipped),
        Some(remote) => Err(PublishError::Conflict {
            file: dist.filename.clone(),
            index: crate::redact::redact_url(index),
            local: dist.sha256.clone(),
            remote: remote.to_ascii_lowercase(),
        }),
        None => Err(PublishError::Unhashed {
            file: dist.filename.clone(),
            index: crate::redact::redact_url(index),
        }),
    }
}

/// The credentials to upload with: those found, or a token minted by
/// trusted publishing, as `mode` says.
async fn authenticate(
    plan: &Plan,
    mode: TrustedPublishing,
    client: &reqwest::Client,
    progress: &dyn PublishProgress,
) -> Result<Option<Credentials>, PublishError> {
    let identity = match (mode, &plan.credentials, &plan.identity) {
        (TrustedPublishing::Never, found, _) | (TrustedPublishing::Auto, found @ Some(_), _) => {
            return Ok(found.clone());
        }
        (TrustedPublishing::Auto, None, Err(_)) => return Ok(None),
        (TrustedPublishing::Always, _, Err(missing)) => {
            return Err(PublishError::NoIdentityToken { missing });
        }
        (_, _, Ok(identity)) => identity,
    };
    progress.step(&format!(
        "trusted publishing: minting an upload token at {}",
        plan.mint_base
    ));
    let token = mint_token(client, &plan.mint_base, identity).await?;
    Ok(Some(Credentials {
        username: TOKEN_USER.into(),
        password: token,
        source: CredentialSource::TrustedPublishing,
    }))
}

/// Uploads one file; an index that says it holds the name already is
/// asked again which file it holds.
async fn upload_one(
    ws: &Workspace<'_>,
    plan: &Plan,
    uploader: &Uploader<'_>,
    dist: &Distribution,
    progress: &dyn PublishProgress,
) -> Result<FileStatus, PublishError> {
    progress.step(&format!(
        "uploading {} ({} bytes)",
        dist.filename, dist.size
    ));
    match uploader.upload(dist).await? {
        UploadOutcome::Uploaded => {
            progress.step(&format!("uploaded {}", dist.filename));
            Ok(FileStatus::Uploaded)
        }
        UploadOutcome::AlreadyExists => {
            let listed = list_project(ws, plan, dist).await?;
            match judge(dist, &listed, &plan.index_url)? {
                FileStatus::Skipped => {
                    progress.step(&format!(
                        "skipped {}: the index says it holds it already, with the same sha256",
                        dist.filename
                    ));
                    Ok(FileStatus::Skipped)
                }
                FileStatus::Uploaded => Err(PublishError::Rejected {
                    file: dist.filename.clone(),
                    url: crate::redact::redact_url(&plan.upload_url),
                    status: 409,
                    message: format!(
                        "the index says the file exists, but {} does not list it",
                        crate::redact::redact_url(&plan.index_url)
                    ),
                }),
            }
        }
    }
}

fn published(dist: &Distribution, status: FileStatus) -> PublishedFile {
    PublishedFile {
        path: dist.path.clone(),
        filename: dist.filename.clone(),
        name: dist.name.to_string(),
        version: dist.version.to_string(),
        kind: dist.kind,
        sha256: dist.sha256.clone(),
        size: dist.size,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_url_follows_the_upload_url() {
        for (upload, index) in [
            (
                "https://upload.pypi.org/legacy/",
                "https://pypi.org/simple/",
            ),
            (
                "https://test.pypi.org/legacy/",
                "https://test.pypi.org/simple/",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
            (
                "https://me:pw@art.example.invalid/api/pypi/local",
                "https://art.example.invalid/api/pypi/local/simple/",
            ),
        ] {
            assert_eq!(default_index_url(&Url::parse(upload).unwrap()), index);
        }
    }

    #[test]
    fn credentials_never_travel_in_clear() {
        let trusted = vec!["mirror.invalid".to_string()];
        for (url, ok) in [
            ("https://x.invalid/legacy/", true),
            ("http://127.0.0.1:9/", true),
            ("http://mirror.invalid/", true),
            ("http://x.invalid/legacy/", false),
            ("ftp://x.invalid/", false),
            ("not a url", false),
        ] {
            assert_eq!(
                checked_url("repository URL", url, &trusted).is_ok(),
                ok,
                "{url}"
            );
        }
    }
}
