//! The simple API over HTTP: routes a request to a page of [`super::render`]
//! or a file of an [`Index`], with content negotiation, `ETag` /
//! `If-None-Match`, gzip for pages, single-range requests for files,
//! `/healthz`, `/readyz` and `/openapi.json`, a connection limit, graceful
//! shutdown, one access-log line and one set of request metrics per
//! request; with `--allow-upload`, `POST` uploads: the token checked
//! before the body is read, the body handed to [`super::upload`], its
//! refusal as a status and reason phrase, and the index swapped whole once
//! the upload is committed.
//!
//! Owns the socket and the HTTP rules. It must not read distributions nor
//! decide what a page says: the index is loaded by the caller's loader
//! (after the socket is bound, so `/readyz` says when it is ready), and
//! every file it serves is one the index names — a URL is never joined
//! onto a folder.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::error::ServeError;
use super::metrics::{Finished, RequestMetrics};
use super::model::{Asset, Index};
use super::render::{Format, negotiate, project_list, project_page};
use super::upload::{Committed, Credential, Uploads};
use crate::digest::Sha256;
use crate::python::NormalizedName;

/// How the server listens and what it bounds.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// The longest request target (path and query) accepted, in bytes.
    pub max_uri_bytes: usize,
    /// How long in-flight requests may finish after SIGTERM/SIGINT.
    pub grace: Duration,
    /// A connection on which no byte moves either way for this long is
    /// closed: a client that sends half a request, or stops reading, does
    /// not keep its place for ever.
    pub idle_timeout: Duration,
    /// One line per request on stderr.
    pub access_log: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_connections: 256,
            max_uri_bytes: 8 * 1024,
            grace: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            access_log: true,
        }
    }
}

/// The indexes served: one at `/simple/` (and `/NAME/simple/`), or
/// several, each at `/NAME/simple/` only. Never changed in place: an
/// upload makes a new catalog that shares every page it does not change,
/// and swaps it in whole.
#[derive(Clone)]
struct Catalog {
    indexes: BTreeMap<String, Arc<Served>>,
    single: Option<String>,
}

/// One index with its pages rendered once.
struct Served {
    index: Index,
    list: Pages,
    projects: BTreeMap<NormalizedName, Pages>,
}

/// A page in each format.
#[derive(Clone)]
struct Pages([Page; 3]);

/// A page's bytes, compressed once, and its entity tag.
#[derive(Clone)]
struct Page {
    body: Bytes,
    gzip: Bytes,
    etag: String,
}

impl Pages {
    fn render(render: impl Fn(Format) -> Vec<u8>) -> Self {
        Self(Format::ALL.map(|format| Page::new(render(format))))
    }

    fn get(&self, format: Format) -> &Page {
        let position = Format::ALL
            .iter()
            .position(|f| *f == format)
            .unwrap_or_default();
        &self.0[position]
    }
}

impl Page {
    fn new(body: Vec<u8>) -> Self {
        let etag = format!("\"{}\"", Sha256::of(&body));
        let gzip = gzip(&body);
        Self {
            body: Bytes::from(body),
            gzip: Bytes::from(gzip),
            etag,
        }
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

impl Catalog {
    fn new(indexes: Vec<Index>) -> Self {
        let single = match indexes.as_slice() {
            [only] => Some(only.name.clone()),
            _ => None,
        };
        let indexes = indexes
            .into_iter()
            .map(|index| (index.name.clone(), Arc::new(Served::new(index))))
            .collect();
        Self { indexes, single }
    }
}

impl Served {
    fn new(index: Index) -> Self {
        let list = Pages::render(|format| project_list(&index, format));
        let projects = index
            .projects
            .iter()
            .map(|(name, project)| {
                let pages = Pages::render(|format| project_page(project, format));
                (name.clone(), pages)
            })
            .collect();
        Self {
            index,
            list,
            projects,
        }
    }

    /// `index`, which differs from this one's only in `project`: the
    /// list and that project's pages rendered anew, the others shared.
    fn with_project(&self, index: Index, project: &NormalizedName) -> Self {
        let list = Pages::render(|format| project_list(&index, format));
        let mut projects = self.projects.clone();
        match index.projects.get(project) {
            Some(changed) => {
                let pages = Pages::render(|format| project_page(changed, format));
                projects.insert(project.clone(), pages);
            }
            None => {
                projects.remove(project);
            }
        }
        Self {
            index,
            list,
            projects,
        }
    }
}

/// What every request reads: the catalog once loaded (swapped whole by
/// uploads), and where uploads go when they are allowed.
struct State {
    catalog: RwLock<Option<Arc<Catalog>>>,
    options: ServerOptions,
    metrics: RequestMetrics,
    uploads: Option<Arc<Uploads>>,
}

impl State {
    /// The catalog as it is now; none while loading.
    fn catalog(&self) -> Option<Arc<Catalog>> {
        match self.catalog.read() {
            Ok(catalog) => catalog.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the catalog's index `name` with `served`.
    fn swap_index(&self, name: &str, served: Served) {
        let mut slot = match self.catalog.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(current) = slot.as_ref() {
            let mut next = Catalog::clone(current);
            next.indexes.insert(name.to_string(), Arc::new(served));
            *slot = Some(Arc::new(next));
        }
    }
}

/// Serves on `listener` until SIGTERM or SIGINT: binds first, then loads
/// the indexes with `load` (on a blocking thread; `/readyz` answers 503
/// until they are loaded). A failed load stops the server with its error.
/// With `uploads`, `POST` accepts uploads into the sources it names.
pub async fn serve<L>(
    listener: TcpListener,
    options: ServerOptions,
    load: L,
    uploads: Option<Uploads>,
) -> Result<(), ServeError>
where
    L: FnOnce() -> Result<Vec<Index>, ServeError> + Send + 'static,
{
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Listen { source })?;
    let state = Arc::new(State {
        catalog: RwLock::new(None),
        options: options.clone(),
        metrics: RequestMetrics::new(),
        uploads: uploads.map(Arc::new),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let loader = tokio::spawn(load_catalog(state.clone(), load, stop_tx.clone()));
    tokio::spawn(forward_signals(stop_tx));
    let app = axum::Router::new().fallback({
        let state = state.clone();
        move |request: Request<Body>| answer(state.clone(), request)
    });
    let limited = Limited {
        inner: listener,
        permits: Arc::new(Semaphore::new(options.max_connections.max(1))),
        idle_timeout: options.idle_timeout,
    };
    tracing::info!("serving on http://{addr}/");
    let server = axum::serve(limited, app).with_graceful_shutdown(stopped(stop_rx.clone()));
    let grace = options.grace;
    tokio::select! {
        result = async move { server.await } => result.map_err(|source| ServeError::Listen { source })?,
        () = async { stopped(stop_rx).await; tokio::time::sleep(grace).await } => {
            tracing::warn!("requests still in flight after {grace:?}: stopping anyway");
        }
    }
    match loader.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

async fn load_catalog<L>(
    state: Arc<State>,
    load: L,
    stop: watch::Sender<bool>,
) -> Result<(), ServeError>
where
    L: FnOnce() -> Result<Vec<Index>, ServeError> + Send + 'static,
{
    let loaded = tokio::task::spawn_blocking(load)
        .await
        .unwrap_or_else(|error| {
            Err(ServeError::Listen {
                source: std::io::Error::other(error.to_string()),
            })
        });
    match loaded {
        Ok(indexes) => {
            let catalog = Arc::new(Catalog::new(indexes));
            match state.catalog.write() {
                Ok(mut slot) => *slot = Some(catalog),
                Err(poisoned) => *poisoned.into_inner() = Some(catalog),
            }
            tracing::info!("index loaded: ready");
            Ok(())
        }
        Err(error) => {
            let _ = stop.send(true);
            Err(error)
        }
    }
}

/// Waits until the stop flag is raised.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Raises the stop flag on SIGTERM or SIGINT.
async fn forward_signals(stop: watch::Sender<bool>) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping: finishing the requests in flight");
    let _ = stop.send(true);
}

/// Answers one request inside its span, then writes its access-log line
/// and records its metrics.
async fn answer(state: Arc<State>, request: Request<Body>) -> Response<Body> {
    use tracing::Instrument;
    let started = Instant::now();
    let (request, body) = request.into_parts();
    let method = request.method.clone();
    let active = state.metrics.start(&method);
    let path = request.uri.path().to_string();
    let span = tracing::info_span!(
        "http.request",
        http.request.method = %method,
        url.path = %path,
        http.response.status_code = tracing::field::Empty,
    );
    let response = route(&state, &request, body).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let bytes = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    let took = started.elapsed();
    let token = response
        .extensions()
        .get::<TokenName>()
        .map(|t| t.0.clone());
    let line = AccessLine {
        method: &method,
        path: &path,
        status,
        bytes: &bytes,
        took,
        token: token.as_deref(),
    };
    if state.options.access_log {
        access_log(&line);
    }
    let parsed = parse_route(&path);
    let catalog = state.catalog();
    state.metrics.finish(&Finished {
        method: &method,
        status,
        route: match method {
            Method::POST => upload_template(&path),
            _ => parsed.template(),
        },
        index: catalog.as_deref().and_then(|c| c.index_name(&parsed)),
        body_bytes: match method {
            Method::HEAD => 0,
            _ => bytes.parse().unwrap_or(0),
        },
        took,
    });
    drop(active);
    response
}

/// The name of the token an upload came with, for the access log.
#[derive(Clone)]
struct TokenName(String);

/// What the access log says of one request.
struct AccessLine<'a> {
    method: &'a Method,
    path: &'a str,
    status: u16,
    bytes: &'a str,
    took: Duration,
    /// The upload token's name (never the token).
    token: Option<&'a str>,
}

/// One line per request on stderr, whatever the log level: never a
/// header, so never a credential; an upload names its token's name.
fn access_log(line: &AccessLine) {
    use std::io::Write;
    let token = line
        .token
        .map(|name| format!(" token={}", escape_log(name)))
        .unwrap_or_default();
    let line = format!(
        "access method={} path={} status={} bytes={} duration_ms={:.3}{token}\n",
        line.method,
        escape_log(line.path),
        line.status,
        line.bytes,
        line.took.as_secs_f64() * 1000.0
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// A path as it can be printed on one line: controls and spaces escaped.
fn escape_log(path: &str) -> String {
    path.chars()
        .flat_map(|c| {
            if c.is_control() || c == ' ' || c == '"' {
                format!("\\x{:02x}", u32::from(c))
                    .chars()
                    .collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Where a request goes, decided from its path alone.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Health,
    Ready,
    OpenApi,
    /// `index` is `None` for the lone index at `/simple/`.
    List {
        index: Option<String>,
    },
    Project {
        index: Option<String>,
        project: String,
    },
    Asset {
        index: Option<String>,
        project: String,
        name: String,
    },
    /// The same place with a trailing slash.
    AddSlash,
    NotFound,
    /// A segment that decodes to `.`, `..`, a slash, a backslash, a
    /// control character, or not to UTF-8.
    Refused,
}

impl Route {
    /// The route's template as the OpenAPI document lists it: the
    /// `http.route` of the request metrics, never the raw path.
    fn template(&self) -> Option<&'static str> {
        const TEMPLATES: [[&str; 5]; 2] = [
            [
                "/simple/",
                "/simple/{project}/",
                "/simple/{project}/{file}",
                "/simple/{project}/{file}.metadata",
                "/simple/{project}/{file}.provenance",
            ],
            [
                "/{index}/simple/",
                "/{index}/simple/{project}/",
                "/{index}/simple/{project}/{file}",
                "/{index}/simple/{project}/{file}.metadata",
                "/{index}/simple/{project}/{file}.provenance",
            ],
        ];
        let (index, kind) = match self {
            Route::Health => return Some("/healthz"),
            Route::Ready => return Some("/readyz"),
            Route::OpenApi => return Some("/openapi.json"),
            Route::List { index } => (index, 0),
            Route::Project { index, .. } => (index, 1),
            Route::Asset { index, name, .. } if name.ends_with(".metadata") => (index, 3),
            Route::Asset { index, name, .. } if name.ends_with(".provenance") => (index, 4),
            Route::Asset { index, .. } => (index, 2),
            Route::AddSlash | Route::NotFound | Route::Refused => return None,
        };
        Some(TEMPLATES[usize::from(index.is_some())][kind])
    }
}

impl Catalog {
    /// The name of the index `route` goes to, if the server has it (a
    /// name it does not have is not one to label metrics with).
    fn index_name(&self, route: &Route) -> Option<&str> {
        let (Route::List { index } | Route::Project { index, .. } | Route::Asset { index, .. }) =
            route
        else {
            return None;
        };
        match index {
            Some(name) => self.indexes.get_key_value(name).map(|(k, _)| k.as_str()),
            None => self.single.as_deref(),
        }
    }
}

/// Reads the raw (still percent-encoded) path into a [`Route`].
fn parse_route(raw: &str) -> Route {
    let Some(rest) = raw.strip_prefix('/') else {
        return Route::Refused;
    };
    let mut segments = Vec::new();
    for raw_segment in rest.split('/') {
        match decode_segment(raw_segment) {
            Some(segment) => segments.push(segment),
            None => return Route::Refused,
        }
    }
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["healthz"] => Route::Health,
        ["readyz"] => Route::Ready,
        ["openapi.json"] => Route::OpenApi,
        ["simple", rest @ ..] => simple_route(None, rest),
        [index, "simple", rest @ ..] if !index.is_empty() => {
            simple_route(Some(index.to_string()), rest)
        }
        _ => Route::NotFound,
    }
}

/// The route under an index's `simple/`.
fn simple_route(index: Option<String>, rest: &[&str]) -> Route {
    match rest {
        [] => Route::AddSlash,
        [""] => Route::List { index },
        [project] => match *project {
            "" => Route::NotFound,
            _ => Route::AddSlash,
        },
        [project, ""] if !project.is_empty() => Route::Project {
            index,
            project: project.to_string(),
        },
        [project, name] if !project.is_empty() && !name.is_empty() => Route::Asset {
            index,
            project: project.to_string(),
            name: name.to_string(),
        },
        _ => Route::NotFound,
    }
}

/// A percent-decoded path segment, or none when it is one no file of an
/// index can be named by.
fn decode_segment(raw: &str) -> Option<String> {
    if raw.contains('\\') {
        return None;
    }
    let bytes: Vec<u8> = percent_decode(raw)?;
    let text = String::from_utf8(bytes).ok()?;
    let odd = text == "."
        || text == ".."
        || text
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    (!odd).then_some(text)
}

/// `%XX` decoded; none for a `%` not followed by two hex digits.
fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

async fn route(state: &State, request: &Parts, body: Body) -> Response<Body> {
    let uri = &request.uri;
    let target_len = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > state.options.max_uri_bytes {
        return text(StatusCode::URI_TOO_LONG, "request target too long\n");
    }
    if request.method == Method::POST
        && let Some(uploads) = &state.uploads
    {
        return upload(state, uploads, request, body).await;
    }
    if !matches!(request.method, Method::GET | Method::HEAD) {
        let (message, allow) = match state.uploads {
            Some(_) => ("uploads are POSTed\n", "GET, HEAD, POST"),
            None => ("read-only index\n", "GET, HEAD"),
        };
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, message);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    let route = parse_route(uri.path());
    let response = match route {
        Route::Health => text(StatusCode::OK, "ok\n"),
        Route::Ready => match state.catalog() {
            Some(_) => text(StatusCode::OK, "ready\n"),
            None => text(StatusCode::SERVICE_UNAVAILABLE, "loading the index\n"),
        },
        Route::OpenApi => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, super::openapi::document().len())
            .body(Body::from(super::openapi::document()))
            .unwrap_or_else(|_| internal()),
        Route::Refused => text(StatusCode::BAD_REQUEST, "refused path\n"),
        Route::NotFound => not_found(),
        Route::AddSlash => redirect(&with_slash(uri.path()), uri.query()),
        other => match state.catalog() {
            None => text(StatusCode::SERVICE_UNAVAILABLE, "loading the index\n"),
            Some(catalog) => index_route(&catalog, other, request).await,
        },
    };
    if request.method == Method::HEAD {
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    response
}

/// Where an upload goes, from its path alone: `/` and `/legacy/` are the
/// lone source, `/NAME/` and `/NAME/legacy/` source `NAME`; `None` for
/// any other path. Segments are decoded and refused as [`parse_route`]
/// does.
fn upload_route(raw: &str) -> Option<Option<String>> {
    let rest = raw.strip_prefix('/')?;
    let segments: Vec<String> = rest.split('/').map(decode_segment).collect::<Option<_>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        [""] | ["legacy"] | ["legacy", ""] => Some(None),
        [name] | [name, ""] | [name, "legacy"] | [name, "legacy", ""] if !name.is_empty() => {
            Some(Some(name.to_string()))
        }
        _ => None,
    }
}

/// The metrics' route of an upload's path: the template the OpenAPI
/// document lists it under; none for a path that is no upload endpoint.
fn upload_template(raw: &str) -> Option<&'static str> {
    let legacy = raw.trim_end_matches('/').ends_with("/legacy");
    match (upload_route(raw)?, legacy) {
        (None, false) => Some("/"),
        (None, true) => Some("/legacy/"),
        (Some(_), false) => Some("/{index}/"),
        (Some(_), true) => Some("/{index}/legacy/"),
    }
}

/// How long a refused upload's body is read (and thrown away, up to
/// `--max-upload-bytes`) before the refusal is sent: like nginx's
/// lingering close (30 s), so that a client still sending its file reads
/// the 401/403 rather than a reset connection. Reading and dropping costs
/// little; the connection limit bounds how many do it at once.
const REFUSED_BODY_TIME: Duration = Duration::from_secs(30);

/// Reads and drops up to `limit` bytes of `body`, for [`REFUSED_BODY_TIME`]
/// at most.
async fn drain(body: Body, limit: u64) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    let reading = async {
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len() as u64;
            if read >= limit {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(REFUSED_BODY_TIME, reading).await;
}

/// An upload (`POST`): its token checked before a byte of the body is
/// read (a refused one's body is then drained, bounded, before the
/// refusal), then received, checked and committed; the answer carries the
/// token's name for the access log.
async fn upload(
    state: &State,
    uploads: &Arc<Uploads>,
    request: &Parts,
    body: Body,
) -> Response<Body> {
    let Some(index) = upload_route(request.uri.path()) else {
        return not_found();
    };
    let authorization = request
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let credential = uploads.tokens().authenticate(authorization);
    let body = match credential {
        Credential::Token(_) => body,
        _ => {
            // Answered without reading the body, the refusal would often
            // be lost: the client, still sending, sees a reset connection.
            drain(body, uploads.max_bytes()).await;
            Body::empty()
        }
    };
    let token = match credential {
        Credential::Missing => {
            let mut response = text(StatusCode::UNAUTHORIZED, "an upload token is needed\n");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"chiron\""),
            );
            return response;
        }
        Credential::Refused => {
            return refusal(
                StatusCode::FORBIDDEN,
                "Invalid or non-existent authentication information",
            );
        }
        Credential::Token(name) => name,
    };
    let mut response =
        match receive_and_commit(state, uploads, index.as_deref(), request, body).await {
            Ok(response) => response,
            Err(error) => upload_error(&error),
        };
    response.extensions_mut().insert(TokenName(token));
    response
}

async fn receive_and_commit(
    state: &State,
    uploads: &Arc<Uploads>,
    index: Option<&str>,
    request: &Parts,
    body: Body,
) -> Result<Response<Body>, ServeError> {
    let Some(target) = uploads.target(index) else {
        return Ok(not_found());
    };
    let (name, source) = target?;
    let max_bytes = uploads.max_bytes();
    let declared = request
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes) {
        return Err(ServeError::UploadTooLarge { limit: max_bytes });
    }
    let content_type = request
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let dir = source.lock().await.dist_dir.clone();
    let received =
        super::upload::receive(body.into_data_stream(), content_type, &dir, max_bytes).await?;
    let checked = received.check()?;
    // One upload into a source at a time, from reading its index to
    // swapping the new one in.
    let mut guard = source.clone().lock_owned().await;
    let Some(catalog) = state.catalog() else {
        return Ok(text(StatusCode::SERVICE_UNAVAILABLE, "loading the index\n"));
    };
    let Some(served) = catalog.indexes.get(&name).cloned() else {
        return Ok(not_found());
    };
    let committer = uploads.clone();
    let filename = checked.filename.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut index = served.index.clone();
        let committed = committer.commit(&mut guard, &mut index, checked)?;
        let served = match &committed {
            Committed::Added { project, .. } => Some(served.with_project(index, project)),
            Committed::Unchanged => None,
        };
        Ok::<_, ServeError>((committed, served, guard))
    })
    .await
    .map_err(|error| ServeError::Io {
        path: dir.join(&filename),
        source: std::io::Error::other(error.to_string()),
    })?;
    let (committed, served, guard) = done?;
    if let Some(served) = served {
        state.swap_index(&name, served);
    }
    drop(guard);
    Ok(match committed {
        Committed::Unchanged => text(
            StatusCode::OK,
            &format!("{filename} is already in {name} with this sha256: nothing changed\n"),
        ),
        Committed::Added {
            stale_signatures,
            lock_updated,
            ..
        } => {
            for signature in &stale_signatures {
                tracing::warn!(
                    "{}: removed, it signed the SHA256SUMS this upload changed: re-sign it with `chiron sign`",
                    signature.display()
                );
            }
            tracing::info!(file = %filename, index = %name, lock_updated, "uploaded");
            text(StatusCode::OK, &format!("{filename} added to {name}\n"))
        }
    })
}

/// An upload refused or failed: its status, and its one-line reason as
/// the body and as the reason phrase, which is what twine shows.
fn upload_error(error: &ServeError) -> Response<Body> {
    let status = match error {
        ServeError::UploadRefused { .. } => StatusCode::BAD_REQUEST,
        ServeError::UploadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ServeError::FileExists { .. } => StatusCode::CONFLICT,
        ServeError::ReadOnlySource { .. } => StatusCode::FORBIDDEN,
        other => {
            tracing::error!("an upload could not be recorded: {other}");
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the upload could not be recorded: see the server's log",
            );
        }
    };
    refusal(status, &error.to_string())
}

/// `status` with `reason` (its first line) as body and reason phrase.
fn refusal(status: StatusCode, reason: &str) -> Response<Body> {
    let line = reason.lines().next().unwrap_or_default();
    let mut response = text(status, &format!("{line}\n"));
    let printable: String = line
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(printable) {
        response.extensions_mut().insert(phrase);
    }
    response
}

/// A route into an index: its list, a project's page or one of its files.
async fn index_route(catalog: &Catalog, route: Route, request: &Parts) -> Response<Body> {
    let (index, project, asset) = match route {
        Route::List { index } => (index, None, None),
        Route::Project { index, project } => (index, Some(project), None),
        Route::Asset {
            index,
            project,
            name,
        } => (index, Some(project), Some(name)),
        _ => return not_found(),
    };
    let Some(served) = index
        .as_deref()
        .or(catalog.single.as_deref())
        .and_then(|name| catalog.indexes.get(name))
    else {
        return not_found();
    };
    let Some(project) = project else {
        return page(&served.list, request);
    };
    let normalized = NormalizedName::new(&project);
    if normalized.as_str() != project {
        return redirect_project(request, normalized.as_str());
    }
    let Some(pages) = served.projects.get(normalized.as_str()) else {
        return not_found();
    };
    match asset {
        None => page(pages, request),
        Some(name) => {
            let Some(found) = served
                .index
                .projects
                .get(normalized.as_str())
                .and_then(|p| p.asset(&name))
            else {
                return not_found();
            };
            file(found, &request.headers).await
        }
    }
}

/// The path with a trailing slash, and a project segment right after
/// `simple/` normalised too: one redirect, not two.
fn with_slash(path: &str) -> String {
    match path.rsplit_once("/simple/") {
        Some((head, project)) if !project.is_empty() && !project.contains('/') => {
            match decode_segment(project) {
                Some(name) => format!("{head}/simple/{}/", NormalizedName::new(&name).as_str()),
                None => format!("{path}/"),
            }
        }
        _ => format!("{path}/"),
    }
}

/// 301 to the same URL with the project's normalised name.
fn redirect_project(request: &Parts, normalized: &str) -> Response<Body> {
    let path = request.uri.path();
    // The project segment is the one after `simple/`; rebuild from it.
    let Some(at) = path.find("/simple/") else {
        return not_found();
    };
    let (head, tail) = path.split_at(at + "/simple/".len());
    let rest = tail.split_once('/').map_or("", |(_, rest)| rest);
    redirect(&format!("{head}{normalized}/{rest}"), request.uri.query())
}

fn redirect(path: &str, query: Option<&str>) -> Response<Body> {
    let location = match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    let mut response = text(StatusCode::MOVED_PERMANENTLY, "moved\n");
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A page in the format the client asks for, compressed when it accepts
/// gzip, or 304 when it holds it already.
fn page(pages: &Pages, request: &Parts) -> Response<Body> {
    let headers = &request.headers;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let query = format_query(request.uri.query());
    let format = match negotiate(accept, query.as_deref()) {
        Ok(format) => format,
        Err(error) => {
            let mut response = text(StatusCode::NOT_ACCEPTABLE, &format!("{error}\n"));
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            return response;
        }
    };
    let page = pages.get(format);
    let gzipped = accepts_gzip(headers);
    let etag = if gzipped {
        format!("{}-gzip\"", page.etag.trim_end_matches('"'))
    } else {
        page.etag.clone()
    };
    let fresh = if_none_match(headers, &[&etag, &page.etag]);
    let mut builder = Response::builder()
        .header(header::VARY, "Accept, Accept-Encoding")
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, "max-age=600");
    if fresh {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| internal());
    }
    builder = builder.header(header::CONTENT_TYPE, format.content_type());
    let body = if gzipped {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        page.gzip.clone()
    } else {
        page.body.clone()
    };
    builder
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap_or_else(|_| internal())
}

/// `format=` of the query string, decoded. A literal `+` stays a `+`, as
/// PyPI reads it: `?format=application/vnd.pypi.simple.v1+json` is how
/// the type is written in links, and no media type holds a space.
fn format_query(query: Option<&str>) -> Option<String> {
    let query = query?.replace('+', "%2B");
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "format")
        .map(|(_, value)| value.into_owned())
}

/// Whether `Accept-Encoding` allows gzip (a q of 0 refuses it).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let q_zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
}

/// Whether `If-None-Match` names one of `etags` (or is `*`).
fn if_none_match(headers: &HeaderMap, etags: &[&str]) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || etags.contains(&tag))
}

/// A byte range asked for, resolved against the file's length.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    Whole,
    Part { start: u64, end: u64 },
    Unsatisfiable,
}

/// Reads `Range: bytes=...`; one range is served, several (or another
/// unit) get the whole file, as RFC 9110 allows.
fn parse_range(value: Option<&str>, len: u64) -> RangeAsk {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsk::Unsatisfiable;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = if first.is_empty() {
        // The last N bytes.
        match last.parse::<u64>() {
            Ok(0) | Err(_) => None,
            Ok(n) => Some((len.saturating_sub(n), len.saturating_sub(1))),
        }
    } else {
        let start = first.parse::<u64>().ok();
        let end = match last {
            "" => Some(len.saturating_sub(1)),
            last => last
                .parse::<u64>()
                .ok()
                .map(|e| e.min(len.saturating_sub(1))),
        };
        start.zip(end)
    };
    match parsed {
        Some((start, end)) if start <= end && start < len => RangeAsk::Part { start, end },
        _ => RangeAsk::Unsatisfiable,
    }
}

/// Files up to this size (every `.metadata` file, most wheels of pure
/// Python) are read in one blocking step and sent from memory; larger ones
/// are streamed in chunks of this size. Each tokio file operation is a hop
/// to the blocking pool, so fewer, larger reads are what makes small files
/// fast.
const CHUNK: usize = 256 * 1024;

/// A file opened for sending: its length, and its bytes when it is small.
struct Opened {
    handle: std::fs::File,
    len: u64,
    whole: Option<Bytes>,
}

/// Opens `path`, and reads it whole when it is at most [`CHUNK`] bytes, in
/// one step of the blocking pool.
async fn open_file(path: std::path::PathBuf) -> std::io::Result<Opened> {
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut handle = std::fs::File::open(&path)?;
        let len = handle.metadata()?.len();
        let whole = match usize::try_from(len) {
            Ok(small) if small <= CHUNK => {
                let mut bytes = Vec::with_capacity(small);
                (&mut handle).take(len).read_to_end(&mut bytes)?;
                // A file that shrank since is sent as it is now.
                Some(Bytes::from(bytes))
            }
            _ => None,
        };
        let len = whole.as_ref().map_or(len, |bytes| bytes.len() as u64);
        Ok(Opened { handle, len, whole })
    })
    .await
    .unwrap_or_else(|error| Err(std::io::Error::other(error.to_string())))
}

/// Whether a `Range` may be honoured: no `If-Range`, or one naming the
/// file's strong entity tag. A date never matches (files carry no
/// `Last-Modified`), so the whole file is sent, as RFC 9110 asks.
fn if_range_holds(headers: &HeaderMap, etag: Option<&str>) -> bool {
    match headers.get(header::IF_RANGE) {
        None => true,
        Some(value) => etag.is_some_and(|etag| value.as_bytes() == etag.as_bytes()),
    }
}

/// A file of the index, whole or one range of it.
async fn file(asset: Asset<'_>, headers: &HeaderMap) -> Response<Body> {
    let path = asset.path().to_path_buf();
    let Ok(opened) = open_file(path.clone()).await else {
        tracing::warn!(
            "{}: listed in the index but cannot be opened",
            path.display()
        );
        return not_found();
    };
    let len = opened.len;
    let etag = match asset {
        Asset::Distribution(file) => Some(format!("\"{}\"", file.sha256)),
        Asset::Metadata(metadata) => Some(format!("\"{}\"", metadata.sha256)),
        Asset::Provenance(_) => None,
    };
    // A distribution's name is never reused with other bytes (an upload
    // of other bytes is refused), nor is its metadata's; a provenance file
    // may be re-made, so it is kept as long as a page.
    let cache = match asset {
        Asset::Distribution(_) | Asset::Metadata(_) => "public, max-age=31536000, immutable",
        Asset::Provenance(_) => "max-age=600",
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, asset.content_type())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, cache);
    if let Some(etag) = &etag {
        builder = builder.header(header::ETAG, etag);
        if if_none_match(headers, &[etag]) {
            return builder
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
                .unwrap_or_else(|_| internal());
        }
    }
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_holds(headers, etag.as_deref()));
    let (start, count) = match parse_range(range, len) {
        RangeAsk::Whole => (0, len),
        RangeAsk::Part { start, end } => {
            builder = builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
            (start, end - start + 1)
        }
        RangeAsk::Unsatisfiable => {
            return builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .header(header::CONTENT_LENGTH, 0)
                .body(Body::empty())
                .unwrap_or_else(|_| internal());
        }
    };
    let builder = builder.header(header::CONTENT_LENGTH, count);
    let body = match opened.whole {
        // Both fit in memory: `start + count <= len <= CHUNK`.
        Some(bytes) => Body::from(bytes.slice(start as usize..(start + count) as usize)),
        None => {
            let mut handle = tokio::fs::File::from_std(opened.handle);
            if start > 0 && handle.seek(std::io::SeekFrom::Start(start)).await.is_err() {
                return internal();
            }
            Body::from_stream(read_chunks(handle.take(count)))
        }
    };
    builder.body(body).unwrap_or_else(|_| internal())
}

/// A reader as a stream of chunks of at most [`CHUNK`] bytes.
fn read_chunks<R: AsyncRead + Unpin + Send + 'static>(
    reader: R,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::try_unfold(reader, |mut reader| async move {
        let mut buffer = vec![0u8; CHUNK];
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.truncate(read);
        Ok(Some((Bytes::from(buffer), reader)))
    })
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| internal())
}

fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn internal() -> Response<Body> {
    let mut response = Response::new(Body::from("internal error\n"));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// A listener that accepts a connection only while fewer than the limit
/// are open: each connection holds a permit until it closes.
struct Limited {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle_timeout: Duration,
}

/// A connection, its permit, and when it is closed for idling.
struct Permitted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    idle_timeout: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// Bytes moved since the deadline was last set.
    moved: bool,
}

impl Permitted {
    fn new(stream: TcpStream, permit: OwnedSemaphorePermit, idle_timeout: Duration) -> Self {
        Self {
            stream,
            _permit: permit,
            idle_timeout,
            deadline: Box::pin(tokio::time::sleep(idle_timeout)),
            moved: false,
        }
    }

    /// Pending reads end in `TimedOut` once nothing has moved for the
    /// idle timeout; the deadline moves on lazily, when bytes have moved.
    fn poll_idle(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Error> {
        if self.moved {
            self.moved = false;
            let next = tokio::time::Instant::now() + self.idle_timeout;
            self.deadline.as_mut().reset(next);
        }
        match self.deadline.as_mut().poll(cx) {
            std::task::Poll::Ready(()) => std::task::Poll::Ready(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection idle",
            )),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

impl axum::serve::Listener for Limited {
    type Io = Permitted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                // The semaphore is never closed; wait as if full.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            // A file's head and body leave in separate writes: with Nagle's
            // algorithm the body waits for the client's delayed ACK (40 ms
            // on Linux) on every file of a kept-alive connection.
            let _ = stream.set_nodelay(true);
            return (Permitted::new(stream, permit, self.idle_timeout), addr);
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for Permitted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match std::pin::Pin::new(&mut self.stream).poll_read(cx, buf) {
            std::task::Poll::Ready(result) => {
                self.moved |= buf.filled().len() > before;
                std::task::Poll::Ready(result)
            }
            std::task::Poll::Pending => self.poll_idle(cx).map(Err),
        }
    }
}

impl AsyncWrite for Permitted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = written {
            self.moved |= n > 0;
        }
        written
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_paths_are_refused() {
        for raw in [
            "/simple/../etc/passwd",
            "/simple/%2e%2e/x",
            "/simple/%2E%2e/",
            "/simple/demo/%2e%2e%2fsecret",
            "/simple/demo/a%2fb",
            "/simple/demo/a%5cb",
            "/simple/demo/a\\b",
            "/simple/demo/a%00b",
            "/simple/demo/%zz",
            "/simple/demo/%ff",
            "/simple/./",
        ] {
            assert_eq!(parse_route(raw), Route::Refused, "{raw}");
        }
    }

    #[test]
    fn routes_under_one_or_named_indexes() {
        assert_eq!(parse_route("/simple/"), Route::List { index: None });
        assert_eq!(parse_route("/simple"), Route::AddSlash);
        assert_eq!(parse_route("/simple/demo"), Route::AddSlash);
        assert_eq!(
            parse_route("/wh/simple/Demo_X/"),
            Route::Project {
                index: Some("wh".into()),
                project: "Demo_X".into()
            }
        );
        assert_eq!(
            parse_route("/simple/demo/demo-1.0-py3-none-any.whl.metadata"),
            Route::Asset {
                index: None,
                project: "demo".into(),
                name: "demo-1.0-py3-none-any.whl.metadata".into()
            }
        );
        assert_eq!(parse_route("/simple/a/b/c"), Route::NotFound);
        assert_eq!(parse_route("/other"), Route::NotFound);
        assert_eq!(parse_route("/healthz"), Route::Health);
    }

    #[test]
    fn ranges_resolve_against_the_length() {
        assert_eq!(parse_range(None, 10), RangeAsk::Whole);
        assert_eq!(
            parse_range(Some("bytes=2-4"), 10),
            RangeAsk::Part { start: 2, end: 4 }
        );
        assert_eq!(
            parse_range(Some("bytes=7-"), 10),
            RangeAsk::Part { start: 7, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            RangeAsk::Part { start: 7, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=5-100"), 10),
            RangeAsk::Part { start: 5, end: 9 }
        );
        assert_eq!(parse_range(Some("bytes=10-"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=4-2"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=x-2"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10), RangeAsk::Whole);
    }

    #[test]
    fn every_route_template_is_a_path_of_the_openapi_document() {
        let document: serde_json::Value =
            serde_json::from_slice(super::super::openapi::document()).unwrap();
        let paths = document["paths"].as_object().unwrap();
        let mut templates = std::collections::BTreeSet::new();
        for raw in [
            "/healthz",
            "/readyz",
            "/openapi.json",
            "/simple/",
            "/simple/demo/",
            "/simple/demo/demo-1.0-py3-none-any.whl",
            "/simple/demo/demo-1.0-py3-none-any.whl.metadata",
            "/simple/demo/demo-1.0-py3-none-any.whl.provenance",
            "/wh/simple/",
            "/wh/simple/demo/",
            "/wh/simple/demo/demo-1.0.tar.gz",
            "/wh/simple/demo/demo-1.0-py3-none-any.whl.metadata",
            "/wh/simple/demo/demo-1.0-py3-none-any.whl.provenance",
        ] {
            let template = parse_route(raw).template().unwrap();
            assert!(paths.contains_key(template), "{raw}: {template}");
            templates.insert(template);
        }
        // Every GET path of the document is a route's template.
        let gets = paths.iter().filter(|(_, item)| item.get("get").is_some());
        assert_eq!(gets.count(), templates.len());
        for raw in ["/other", "/simple", "/simple/%2e%2e/"] {
            assert_eq!(parse_route(raw).template(), None, "{raw}");
        }
        // Every upload path is a POST path of the document.
        let posts: std::collections::BTreeSet<&str> = paths
            .iter()
            .filter(|(_, item)| item.get("post").is_some() || item.get("$ref").is_some())
            .map(|(path, _)| path.as_str())
            .collect();
        let uploads: std::collections::BTreeSet<&str> = ["/", "/legacy/", "/wh/", "/wh/legacy"]
            .into_iter()
            .map(|raw| upload_template(raw).unwrap())
            .collect();
        assert_eq!(uploads, posts);
        assert_eq!(upload_template("/wh/simple/"), None);
    }

    /// GET `target` on `addr`: the status code.
    async fn status_of(addr: SocketAddr, target: &str) -> u16 {
        use tokio::io::AsyncWriteExt;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw);
        text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readyz_is_503_until_the_held_loader_finishes_and_healthz_is_200_throughout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            ServerOptions::default(),
            move || {
                held.recv().map_err(|error| ServeError::Listen {
                    source: std::io::Error::other(error.to_string()),
                })?;
                Ok(vec![Index {
                    name: "wh".into(),
                    projects: BTreeMap::new(),
                }])
            },
            None,
        ));
        for _ in 0..3 {
            assert_eq!(status_of(addr, "/healthz").await, 200);
            assert_eq!(status_of(addr, "/readyz").await, 503);
            assert_eq!(status_of(addr, "/simple/").await, 503);
            assert_eq!(status_of(addr, "/wh/simple/demo/").await, 503);
            assert_eq!(status_of(addr, "/openapi.json").await, 200);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        release.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while status_of(addr, "/readyz").await != 200 {
            assert_eq!(status_of(addr, "/healthz").await, 200);
            assert!(Instant::now() < deadline, "never ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status_of(addr, "/healthz").await, 200);
        assert_eq!(status_of(addr, "/simple/").await, 200);
        assert_eq!(status_of(addr, "/wh/simple/demo/").await, 404);
        server.abort();
    }

    #[test]
    fn gzip_is_accepted_unless_refused() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0"),
        );
        assert!(!accepts_gzip(&headers));
    }
}
