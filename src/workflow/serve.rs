//! `chiron serve`: the sources a run serves (the configured wheelhouse by
//! default), how bundles among them are trusted, the indexes read from
//! them, and either the HTTP server on a bound address or a static export.
//!
//! Owns the precedence of flags over configuration for serving. It must
//! not print: the server's access log is the server's.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::Workspace;
use crate::error::Result;
use crate::serve::{
    BundleTrust, ExportReport, Index, IndexOptions, OpenedSource, ServeError, ServerOptions,
    SourceSpec, Tokens, UploadSettings, Uploads, export_static, read_index,
};
use crate::sign::PublicKey;

/// What to serve and how, as the flags say.
#[derive(Debug, Clone, Default)]
pub struct ServeRequest {
    /// The sources (`PATH` or `NAME=PATH`); none: `[wheelhouse] dir`.
    pub sources: Vec<String>,
    /// Serve bundles without checking them.
    pub no_verify: bool,
    /// Accept uploads (`--allow-upload`) with the tokens of `[serve]`.
    pub allow_upload: bool,
    /// The largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
}

/// The sources opened: bundles verified (or, when asked, not) and
/// unpacked into the cache.
pub struct Opened {
    pub sources: Vec<OpenedSource>,
    /// Whether any bundle is served unverified.
    pub unverified: bool,
}

/// Opens the sources of `request`; a bundle needs `key` unless
/// `no_verify`.
pub fn open(ws: &Workspace, request: &ServeRequest, key: Option<&PublicKey>) -> Result<Opened> {
    let specs = source_specs(ws, request);
    let trust = match (key, request.no_verify) {
        (Some(key), _) => Some(BundleTrust::Key(key)),
        (None, true) => Some(BundleTrust::Unverified),
        (None, false) => None,
    };
    let cache = ws.config.cache_dir();
    let sources = crate::serve::source::open_sources(&specs, trust, &cache)?;
    let unverified = sources.iter().any(|s| {
        matches!(
            s.kind,
            crate::serve::SourceKind::Bundle {
                verified: false,
                ..
            }
        )
    });
    Ok(Opened {
        sources,
        unverified,
    })
}

fn source_specs(ws: &Workspace, request: &ServeRequest) -> Vec<SourceSpec> {
    if request.sources.is_empty() {
        let dir = ws.config.resolve(&ws.config.config.wheelhouse.dir);
        return vec![SourceSpec {
            path: dir,
            name: None,
        }];
    }
    request
        .sources
        .iter()
        .map(|text| {
            let mut spec = SourceSpec::parse(text);
            spec.path = ws.path(&spec.path);
            spec
        })
        .collect()
}

/// What reading the indexes needs, owned so that it can move onto the
/// server's loading thread.
#[derive(Debug, Clone)]
pub struct IndexInputs {
    pub cache_dir: PathBuf,
    pub epoch: Option<i64>,
    pub yanked: std::collections::BTreeMap<String, String>,
}

impl IndexInputs {
    /// From the workspace: its cache, `SOURCE_DATE_EPOCH` and `[serve]`.
    pub fn from_workspace(ws: &Workspace) -> Result<Self> {
        Ok(Self {
            cache_dir: ws.config.cache_dir(),
            epoch: ws.source_date_epoch()?,
            yanked: ws.config.config.serve.yanked.clone(),
        })
    }

    /// Reads every source into an index; files that cannot be served are
    /// logged (by [`read_index`]) and left out.
    pub fn read(&self, sources: &[OpenedSource]) -> std::result::Result<Vec<Index>, ServeError> {
        let options = IndexOptions {
            cache_dir: &self.cache_dir,
            epoch: self.epoch,
            yanked: &self.yanked,
        };
        let indexes = sources
            .iter()
            .map(|source| read_index(source, &options).map(|(index, _)| index))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for key in crate::serve::model::unmatched_yanks(&self.yanked, &indexes) {
            tracing::warn!(
                "[serve] yanked: `{key}` names no file served (a file name, or NAME==VERSION of a release): nothing is yanked by it"
            );
        }
        Ok(indexes)
    }
}

/// Where uploads go when `request` allows them (`None` otherwise): an
/// error when `[serve] tokens` has none, so an upload endpoint is never
/// open to anyone.
pub fn uploads(
    ws: &Workspace,
    request: &ServeRequest,
    inputs: &IndexInputs,
    sources: &[OpenedSource],
) -> Result<Option<Uploads>> {
    if !request.allow_upload {
        return Ok(None);
    }
    let settings = UploadSettings {
        tokens: Tokens::new(&ws.config.config.serve.tokens),
        max_bytes: request.max_upload_bytes,
        cache_dir: inputs.cache_dir.clone(),
        epoch: inputs.epoch,
        yanked: inputs.yanked.clone(),
    };
    Ok(Some(Uploads::new(settings, sources)?))
}

/// A fresh upload token for `[serve.tokens]`.
pub struct NewToken {
    pub name: String,
    /// The secret, shown once.
    pub token: zeroize::Zeroizing<String>,
    /// The line to add under `[serve.tokens]`.
    pub config_line: String,
}

/// Makes an upload token named `name` (a TOML bare key: letters, digits,
/// `-` and `_`, so the line pastes as it is).
pub fn new_token(name: &str) -> Result<NewToken> {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !bare {
        return Err(crate::error::UsageError {
            message: format!("`{name}` cannot name a token"),
            hint: "name it with letters, digits, `-` and `_` (it is a key of [serve.tokens])"
                .into(),
        }
        .into());
    }
    let (token, hash) = crate::serve::new_token()?;
    Ok(NewToken {
        name: name.to_string(),
        token,
        config_line: format!("{name} = \"{hash}\""),
    })
}

/// Writes the indexes as static trees: one source at `output`, several
/// at `output/NAME/`.
pub fn export(indexes: &[Index], output: &std::path::Path) -> Result<Vec<ExportReport>> {
    let mut reports = Vec::new();
    for index in indexes {
        let dir = match indexes {
            [_] => output.to_path_buf(),
            _ => output.join(&index.name),
        };
        reports.push(export_static(index, &dir)?);
    }
    Ok(reports)
}

/// Binds `addr` and serves `sources` until SIGTERM/SIGINT; the indexes are
/// read after the socket is bound. `on_bound` is told the address actually
/// bound (port 0 picks a free one).
pub async fn run(
    addr: SocketAddr,
    options: ServerOptions,
    sources: Vec<OpenedSource>,
    inputs: IndexInputs,
    uploads: Option<Uploads>,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServeError::Listen { source })?;
    on_bound(bound);
    crate::serve::serve(listener, options, move || inputs.read(&sources), uploads).await?;
    Ok(())
}
