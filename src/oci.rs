//! Bundles as OCI artifacts: pushed to and pulled from any registry that
//! speaks the OCI distribution API, or written as an OCI image layout
//! folder for fully offline transfer.
//!
//! The artifact: an OCI image manifest with `artifactType`
//! `application/vnd.chiron.bundle.v1`, the empty config
//! (`application/vnd.oci.empty.v1+json`), and one layer per file, each
//! named by its `org.opencontainers.image.title` annotation as ORAS does:
//! the bundle (`application/vnd.chiron.bundle.v1.tar+gzip`), its SBOM
//! (`application/vnd.cyclonedx+json`) and, when present beside the bundle,
//! its cosign signature `bundle.tar.gz.sig`
//! (`application/vnd.chiron.signature.v1`).
//!
//! Written here on the shared HTTP client: the OCI client crates on
//! crates.io bring their own HTTP and TLS stacks; the part of the
//! distribution API a push and a pull need is small.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::digest::sha256_hex;

pub const ARTIFACT_TYPE: &str = "application/vnd.chiron.bundle.v1";
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.chiron.bundle.v1.tar+gzip";
pub const SBOM_MEDIA_TYPE: &str = "application/vnd.cyclonedx+json";
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.chiron.signature.v1";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const TITLE: &str = "org.opencontainers.image.title";

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("`{0}` is not an OCI reference")]
    Reference(String),
    #[error("{url}: {message}")]
    Registry { url: String, message: String },
    #[error("the manifest at {url} does not match its digest")]
    ManifestDigest { url: String },
    #[error("{title} does not match its digest {digest}")]
    Digest { title: String, digest: String },
    #[error("not an OCI manifest: {message}")]
    NotAManifest { message: String },
    #[error("the manifest has no layers")]
    NoLayers,
    #[error(
        "the artifact type is {kind} (from {from}), not {ARTIFACT_TYPE}, and it has no bundle.tar.gz layer"
    )]
    NotABundleArtifact { kind: String, from: String },
    #[error("a layer named `{title}` ({digest}) is not a plain file")]
    LayerNotAFile { title: String, digest: String },
    #[error("{}: {message}", path.display())]
    LayoutIndex { path: PathBuf, message: String },
    #[error("{} has no artifact tagged {tag}", dir.display())]
    NoSuchTag { dir: PathBuf, tag: String },
    #[error("bad digest {digest}")]
    BadDigest { digest: String },
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
}

impl OciError {
    pub fn hint(&self) -> String {
        match self {
            OciError::Reference(_) => "write oci://REGISTRY/REPOSITORY:TAG, e.g. oci://registry.example.org/team/bundle:1.0".into(),
            OciError::Registry { .. } => "check the registry address, that it is up, and the credentials in ~/.docker/config.json (or DOCKER_CONFIG)".into(),
            OciError::ManifestDigest { .. }
            | OciError::Digest { .. }
            | OciError::NotAManifest { .. }
            | OciError::NoLayers
            | OciError::NotABundleArtifact { .. }
            | OciError::LayerNotAFile { .. }
            | OciError::LayoutIndex { .. }
            | OciError::NoSuchTag { .. }
            | OciError::BadDigest { .. } => "the artifact is not a chiron bundle, or it changed in the registry".into(),
            OciError::Io { .. } => "check the path and the free space".into(),
        }
    }
}

impl crate::diagnose::Diagnose for OciError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        if matches!(self, OciError::Reference(_)) {
            ExitClass::Usage
        } else {
            ExitClass::Problems
        }
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

/// `oci://host[:port]/repo/path:tag` (or `@sha256:...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    /// A tag or a digest.
    pub reference: String,
}

impl Reference {
    pub fn parse(text: &str) -> Result<Self, OciError> {
        let bad = || OciError::Reference(text.to_string());
        let rest = text.strip_prefix("oci://").unwrap_or(text);
        let (registry, path) = rest.split_once('/').ok_or_else(bad)?;
        let (repository, reference) = match path.split_once('@') {
            Some((repo, digest)) => (repo, digest.to_string()),
            None => match path.rsplit_once(':') {
                Some((repo, tag)) if !tag.contains('/') => (repo, tag.to_string()),
                _ => (path, "latest".to_string()),
            },
        };
        let valid_repo = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if registry.is_empty() || !valid_repo || reference.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            registry: registry.to_string(),
            repository: repository.to_string(),
            reference,
        })
    }

    fn base(&self, plain_http: bool) -> String {
        let local = self.registry.starts_with("127.0.0.1")
            || self.registry.starts_with("localhost")
            || self.registry.starts_with("[::1]");
        let scheme = if plain_http || local { "http" } else { "https" };
        format!("{scheme}://{}/v2/{}", self.registry, self.repository)
    }
}

/// Credentials for `registry` from the docker configuration
/// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): `auths`
/// entries with `auth` (base64 of `user:password`) or username/password.
pub fn docker_credentials(
    registry: &str,
    docker_config: Option<&Path>,
    home: Option<&Path>,
) -> Option<(String, String)> {
    let path = match docker_config {
        Some(dir) => dir.join("config.json"),
        None => home?.join(".docker/config.json"),
    };
    let config: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let auths = config["auths"].as_object()?;
    let entry = auths.iter().find_map(|(key, value)| {
        let host = key
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        (host == registry).then_some(value)
    })?;
    if let Some(auth) = entry["auth"].as_str() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return Some((user.to_string(), password.to_string()));
    }
    Some((
        entry["username"].as_str()?.to_string(),
        entry["password"].as_str()?.to_string(),
    ))
}

/// A registry session: basic credentials, and a bearer token once the
/// registry asks for one.
pub struct Registry {
    client: reqwest::Client,
    reference: Reference,
    base: String,
    credentials: Option<(String, String)>,
    token: Option<String>,
}

fn registry_error(url: &str, message: impl std::fmt::Display) -> OciError {
    OciError::Registry {
        url: crate::redact::redact_url(url),
        message: message.to_string(),
    }
}

impl Registry {
    pub fn new(
        client: reqwest::Client,
        reference: Reference,
        plain_http: bool,
        credentials: Option<(String, String)>,
    ) -> Self {
        let base = reference.base(plain_http);
        Self {
            client,
            reference,
            base,
            credentials,
            token: None,
        }
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.token, &self.credentials) {
            (Some(token), _) => request.bearer_auth(token),
            (None, Some((user, password))) => request.basic_auth(user, Some(password)),
            (None, None) => request,
        }
    }

    /// Fetches a bearer token as the `WWW-Authenticate` challenge says.
    async fn login(&mut self, challenge: &str, url: &str) -> Result<(), OciError> {
        let Some(params) = challenge
            .strip_prefix("Bearer ")
            .or_else(|| challenge.strip_prefix("bearer "))
        else {
            return Err(registry_error(
                url,
                "authentication failed (check the credentials in the docker configuration)",
            ));
        };
        let mut fields = BTreeMap::new();
        for part in params.split(',') {
            if let Some((key, value)) = part.trim().split_once('=') {
                fields.insert(key.to_string(), value.trim_matches('"').to_string());
            }
        }
        let realm = fields
            .get("realm")
            .ok_or_else(|| registry_error(url, "a bearer challenge without a realm"))?;
        let mut query = Vec::new();
        if let Some(service) = fields.get("service") {
            query.push(("service", service.clone()));
        }
        query.push((
            "scope",
            fields
                .get("scope")
                .cloned()
                .unwrap_or_else(|| format!("repository:{}:pull,push", self.reference.repository)),
        ));
        let token_url =
            url::Url::parse_with_params(realm, &query).map_err(|e| registry_error(realm, e))?;
        let mut request = self.client.get(token_url);
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(|e| registry_error(realm, e))?;
        if !response.status().is_success() {
            return Err(registry_error(
                realm,
                format!("token request: HTTP {}", response.status().as_u16()),
            ));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| registry_error(realm, e))?;
        let token = body["token"]
            .as_str()
            .or_else(|| body["access_token"].as_str())
            .ok_or_else(|| registry_error(realm, "no token in the answer"))?;
        self.token = Some(token.to_string());
        Ok(())
    }

    /// Sends a request built by `make`, logging in once on a 401.
    async fn send(
        &mut self,
        url: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OciError> {
        self.send_with(url, |c| Ok(make(c))).await
    }

    /// `send` for requests whose building can fail (a body read from disk
    /// again for the attempt after a login).
    async fn send_with(
        &mut self,
        url: &str,
        make: impl Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, OciError>,
    ) -> Result<reqwest::Response, OciError> {
        for attempt in 0..2 {
            let response = self
                .authorize(make(&self.client)?)
                .send()
                .await
                .map_err(|e| registry_error(url, e))?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                let challenge = response
                    .headers()
                    .get(reqwest::header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                if challenge.to_ascii_lowercase().starts_with("basic")
                    && self.credentials.is_some()
                    && self.token.is_none()
                {
                    return Err(registry_error(url, "the registry refused the credentials"));
                }
                if challenge.to_ascii_lowercase().starts_with("basic") {
                    return Err(registry_error(
                        url,
                        "the registry needs credentials (docker login)",
                    ));
                }
                self.login(&challenge, url).await?;
                continue;
            }
            return Ok(response);
        }
        Err(registry_error(url, "authentication failed"))
    }

    async fn push_blob(&mut self, source: &Source, digest: &str) -> Result<(), OciError> {
        let head = format!("{}/blobs/{digest}", self.base);
        let exists = self.send(&head, |c| c.head(&head)).await?;
        if exists.status().is_success() {
            return Ok(());
        }
        let start = format!("{}/blobs/uploads/", self.base);
        let response = self.send(&start, |c| c.post(&start)).await?;
        if response.status() != reqwest::StatusCode::ACCEPTED {
            return Err(registry_error(
                &start,
                format!("upload not accepted: HTTP {}", response.status().as_u16()),
            ));
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| registry_error(&start, "no upload location"))?
            .to_string();
        let location = if location.starts_with('/') {
            let origin = self.base.split("/v2/").next().unwrap_or_default();
            format!("{origin}{location}")
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        // A file is streamed from disk, opened again for each attempt, and
        // sent with its length (registries may refuse chunked uploads).
        let body = || -> Result<(reqwest::Body, u64), OciError> {
            Ok(match source {
                Source::Bytes(bytes) => (reqwest::Body::from(bytes.clone()), bytes.len() as u64),
                Source::File(path) => {
                    let io = |e: std::io::Error| OciError::Io {
                        path: path.clone(),
                        message: e.to_string(),
                    };
                    let file = std::fs::File::open(path).map_err(io)?;
                    let size = file.metadata().map_err(io)?.len();
                    (reqwest::Body::from(tokio::fs::File::from_std(file)), size)
                }
            })
        };
        let response = self
            .send_with(&url, |c| {
                let (body, size) = body()?;
                Ok(c.put(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .header(reqwest::header::CONTENT_LENGTH, size)
                    .body(body))
            })
            .await?;
        if response.status() != reqwest::StatusCode::CREATED {
            return Err(registry_error(
                &location,
                format!("upload failed: HTTP {}", response.status().as_u16()),
            ));
        }
        Ok(())
    }

    /// Pushes the layers and the manifest; returns the manifest's digest.
    pub async fn push(
        &mut self,
        artifact: &Artifact,
        progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
    ) -> Result<String, OciError> {
        let total: u64 = artifact.layers.iter().map(|l| l.size).sum();
        let mut done = 0;
        for layer in &artifact.layers {
            progress(&layer.title, done, Some(total));
            self.push_blob(&layer.source, &layer.digest).await?;
            done += layer.size;
            progress(&layer.title, done, Some(total));
        }
        self.push_blob(
            &Source::Bytes(b"{}".to_vec()),
            &format!("sha256:{}", sha256_hex(b"{}")),
        )
        .await?;
        let manifest = artifact.manifest();
        let url = format!("{}/manifests/{}", self.base, self.reference.reference);
        let response = self
            .send(&url, |c| {
                c.put(&url)
                    .header(reqwest::header::CONTENT_TYPE, MANIFEST_MEDIA_TYPE)
                    .body(manifest.clone())
            })
            .await?;
        if response.status() != reqwest::StatusCode::CREATED {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            return Err(registry_error(
                &url,
                format!("manifest refused: HTTP {status} {}", text.trim()),
            ));
        }
        Ok(format!("sha256:{}", sha256_hex(&manifest)))
    }

    async fn get(&mut self, url: &str, accept: &str) -> Result<Vec<u8>, OciError> {
        let owned = url.to_string();
        let accept = accept.to_string();
        let response = self
            .send(url, |c| {
                c.get(&owned)
                    .header(reqwest::header::ACCEPT, accept.clone())
            })
            .await?;
        if !response.status().is_success() {
            return Err(registry_error(
                url,
                format!("HTTP {}", response.status().as_u16()),
            ));
        }
        Ok(response
            .bytes()
            .await
            .map_err(|e| registry_error(url, e))?
            .to_vec())
    }

    /// Pulls the artifact's files (title to bytes), every digest checked.
    /// Pulls the artifact's files into `out` (named by their titles),
    /// each streamed to a temporary file, checked against its digest, then
    /// renamed into place. Returns the titles.
    pub async fn pull_to(
        &mut self,
        out: &Path,
        progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
    ) -> Result<Vec<String>, OciError> {
        use futures_util::StreamExt;
        use std::io::Write;
        let url = format!("{}/manifests/{}", self.base, self.reference.reference);
        let manifest = self.get(&url, MANIFEST_MEDIA_TYPE).await?;
        if let Some(expected) = self.reference.reference.strip_prefix("sha256:")
            && sha256_hex(&manifest) != expected
        {
            return Err(OciError::ManifestDigest {
                url: url.to_string(),
            });
        }
        let io = |path: &Path, e: std::io::Error| OciError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
        let mut titles = Vec::new();
        for (digest, title) in layers_of(&manifest)? {
            let blob_url = format!("{}/blobs/{digest}", self.base);
            let owned = blob_url.clone();
            let response = self.send(&blob_url, |c| c.get(&owned)).await?;
            if !response.status().is_success() {
                return Err(registry_error(
                    &blob_url,
                    format!("HTTP {}", response.status().as_u16()),
                ));
            }
            let mut temp =
                crate::atomic::shared_temp_file(out, ".pull.", ".tmp").map_err(|e| io(out, e))?;
            let mut hasher = crate::digest::Sha256Hasher::new();
            let total = response.content_length();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| registry_error(&blob_url, e))?;
                hasher.update(&chunk);
                progress(&title, hasher.size(), total);
                temp.write_all(&chunk).map_err(|e| io(temp.path(), e))?;
            }
            let actual = format!("sha256:{}", hasher.finish_hex().0);
            if actual != digest {
                return Err(OciError::Digest {
                    title: title.to_string(),
                    digest: digest.to_string(),
                });
            }
            let target = out.join(&title);
            temp.persist(&target).map_err(|e| io(&target, e.error))?;
            titles.push(title);
        }
        Ok(titles)
    }
}

fn check_digest(bytes: &[u8], digest: &str, title: &str) -> Result<(), OciError> {
    if digest != format!("sha256:{}", sha256_hex(bytes)) {
        return Err(OciError::Digest {
            title: title.to_string(),
            digest: digest.to_string(),
        });
    }
    Ok(())
}

/// (digest, title) of each layer of a chiron manifest; titles must be
/// plain file names.
fn layers_of(manifest: &[u8]) -> Result<Vec<(String, String)>, OciError> {
    let manifest: Value = serde_json::from_slice(manifest).map_err(|e| OciError::NotAManifest {
        message: e.to_string(),
    })?;
    let layers = manifest["layers"].as_array().ok_or(OciError::NoLayers)?;
    // OCI image-spec 1.1: without `artifactType`, the config's media type
    // is the artifact's type. Clients that cannot set either (ORAS without
    // `--artifact-type`) leave a generic config type; such an artifact is
    // taken when it carries a `bundle.tar.gz` layer, which `verify` then
    // checks like any other bundle.
    let (kind, from) = match manifest["artifactType"].as_str() {
        Some(kind) => (kind, "artifactType"),
        None => (
            manifest["config"]["mediaType"].as_str().unwrap_or("none"),
            "the config media type",
        ),
    };
    const GENERIC: [&str; 3] = [
        EMPTY_MEDIA_TYPE,
        "application/vnd.unknown.config.v1+json",
        "application/vnd.oci.image.config.v1+json",
    ];
    let has_bundle = layers
        .iter()
        .any(|layer| layer["annotations"][TITLE] == "bundle.tar.gz");
    if kind != ARTIFACT_TYPE && !(GENERIC.contains(&kind) && has_bundle) {
        return Err(OciError::NotABundleArtifact {
            kind: kind.to_string(),
            from: from.to_string(),
        });
    }
    layers
        .iter()
        .map(|layer| {
            let digest = layer["digest"].as_str().unwrap_or_default().to_string();
            let title = layer["annotations"][TITLE]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let plain =
                !title.is_empty() && !title.contains(['/', '\\']) && title != "." && title != "..";
            if !plain || !digest.starts_with("sha256:") {
                return Err(OciError::LayerNotAFile {
                    title: title.to_string(),
                    digest: digest.to_string(),
                });
            }
            Ok((digest, title))
        })
        .collect()
}

/// Where a layer's bytes come from (a bundle is streamed from disk).
pub use crate::bundle::archive::Source;

/// One file of an artifact.
pub struct Layer {
    pub source: Source,
    pub media_type: &'static str,
    pub title: String,
    pub digest: String,
    pub size: u64,
}

impl Layer {
    fn bytes(bytes: Vec<u8>, media_type: &'static str, title: String) -> Self {
        Self {
            digest: format!("sha256:{}", sha256_hex(&bytes)),
            size: bytes.len() as u64,
            source: Source::Bytes(bytes),
            media_type,
            title,
        }
    }
}

/// The files of an artifact.
pub struct Artifact {
    pub layers: Vec<Layer>,
    /// `org.opencontainers.image.created`, from `SOURCE_DATE_EPOCH`.
    pub created: Option<String>,
}

impl Artifact {
    /// The bundle, its SBOM (read from inside it) and `BUNDLE.sig` when
    /// present beside it.
    pub fn from_bundle(
        bundle: &Path,
        sbom: Option<Vec<u8>>,
        created: Option<String>,
    ) -> Result<Self, OciError> {
        let io = |path: &Path, e: std::io::Error| OciError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let (sha256, size) = crate::digest::hash_file(bundle).map_err(|e| io(bundle, e))?;
        let title = bundle
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bundle.tar.gz".into());
        let mut layers = vec![Layer {
            source: Source::File(bundle.to_path_buf()),
            media_type: BUNDLE_MEDIA_TYPE,
            title: title.clone(),
            digest: format!("sha256:{sha256}"),
            size,
        }];
        if let Some(sbom) = sbom {
            layers.push(Layer::bytes(sbom, SBOM_MEDIA_TYPE, "sbom.cdx.json".into()));
        }
        let signature = PathBuf::from(format!("{}.sig", bundle.display()));
        if signature.is_file() {
            let bytes = std::fs::read(&signature).map_err(|e| io(&signature, e))?;
            layers.push(Layer::bytes(
                bytes,
                SIGNATURE_MEDIA_TYPE,
                format!("{title}.sig"),
            ));
        }
        Ok(Self { layers, created })
    }

    /// The image manifest bytes (stable key order).
    pub fn manifest(&self) -> Vec<u8> {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|layer| {
                json!({
                    "mediaType": layer.media_type,
                    "digest": layer.digest,
                    "size": layer.size,
                    "annotations": { TITLE: layer.title },
                })
            })
            .collect();
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "artifactType": ARTIFACT_TYPE,
            "config": { "mediaType": EMPTY_MEDIA_TYPE, "digest": format!("sha256:{}", sha256_hex(b"{}")), "size": 2, "data": "e30=" },
            "layers": layers,
        });
        if let Some(created) = &self.created {
            manifest["annotations"] = json!({ "org.opencontainers.image.created": created });
        }
        serde_json::to_vec(&manifest).expect("a manifest serialises")
    }

    /// Writes an OCI image layout in `dir`, the manifest tagged `tag`.
    pub fn write_layout(&self, dir: &Path, tag: &str) -> Result<String, OciError> {
        let io = |path: &Path, e: std::io::Error| OciError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).map_err(|e| io(&blobs, e))?;
        let manifest = self.manifest();
        for layer in &self.layers {
            let path = blobs.join(layer.digest.trim_start_matches("sha256:"));
            match &layer.source {
                Source::Bytes(bytes) => {
                    crate::atomic::write_file(&path, bytes, crate::atomic::Overwrite::Replace)
                        .map_err(|e| io(&path, e))?
                }
                Source::File(file) => {
                    // Copied to a temporary name, then renamed: a blob is
                    // never seen half-written.
                    let temp = crate::atomic::temp_file_beside(&path).map_err(|e| io(&blobs, e))?;
                    std::fs::copy(file, temp.path()).map_err(|e| io(file, e))?;
                    temp.persist(&path).map_err(|e| io(&path, e.error))?;
                }
            }
        }
        for bytes in [b"{}".as_slice(), manifest.as_slice()] {
            let path = blobs.join(sha256_hex(bytes));
            crate::atomic::write_file(&path, bytes, crate::atomic::Overwrite::Replace)
                .map_err(|e| io(&path, e))?;
        }
        let digest = format!("sha256:{}", sha256_hex(&manifest));
        let layout = dir.join("oci-layout");
        crate::atomic::write_file(
            &layout,
            br#"{"imageLayoutVersion":"1.0.0"}"#,
            crate::atomic::Overwrite::Replace,
        )
        .map_err(|e| io(&layout, e))?;
        // Keep other tags already in the index.
        let index_path = dir.join("index.json");
        let mut manifests: Vec<Value> = std::fs::read(&index_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["manifests"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["annotations"]["org.opencontainers.image.ref.name"] != tag)
            .collect();
        manifests.push(json!({
            "mediaType": MANIFEST_MEDIA_TYPE,
            "artifactType": ARTIFACT_TYPE,
            "digest": digest,
            "size": manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": tag },
        }));
        let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests });
        crate::atomic::write_file(
            &index_path,
            serde_json::to_string_pretty(&index)
                .expect("serialises")
                .as_bytes(),
            crate::atomic::Overwrite::Replace,
        )
        .map_err(|e| io(&index_path, e))?;
        Ok(digest)
    }
}

/// Copies the files of the artifact tagged `tag` in an OCI image layout
/// into `out`, each checked against its digest first. Returns the titles.
pub fn read_layout_to(dir: &Path, tag: &str, out: &Path) -> Result<Vec<String>, OciError> {
    let io = |path: &Path, e: std::io::Error| OciError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let index_path = dir.join("index.json");
    let index: Value =
        serde_json::from_slice(&std::fs::read(&index_path).map_err(|e| io(&index_path, e))?)
            .map_err(|e| OciError::LayoutIndex {
                path: index_path.clone(),
                message: e.to_string(),
            })?;
    let digest = index["manifests"]
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        })
        .and_then(|m| m["digest"].as_str())
        .ok_or_else(|| OciError::NoSuchTag {
            dir: dir.to_path_buf(),
            tag: tag.to_string(),
        })?
        .to_string();
    let blob_path = |digest: &str| -> Result<PathBuf, OciError> {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| OciError::BadDigest {
                digest: digest.to_string(),
            })?;
        Ok(dir.join("blobs/sha256").join(hex))
    };
    let manifest_path = blob_path(&digest)?;
    let manifest = std::fs::read(&manifest_path).map_err(|e| io(&manifest_path, e))?;
    check_digest(&manifest, &digest, "the manifest")?;
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let mut titles = Vec::new();
    for (layer, title) in layers_of(&manifest)? {
        let path = blob_path(&layer)?;
        let (actual, _) = crate::digest::hash_file(&path).map_err(|e| io(&path, e))?;
        if format!("sha256:{actual}") != layer {
            return Err(OciError::Digest {
                title: title.to_string(),
                digest: layer.to_string(),
            });
        }
        let target = out.join(&title);
        let temp =
            crate::atomic::shared_temp_file(out, ".pull.", ".tmp").map_err(|e| io(out, e))?;
        std::fs::copy(&path, temp.path()).map_err(|e| io(&path, e))?;
        temp.persist(&target).map_err(|e| io(&target, e.error))?;
        titles.push(title);
    }
    Ok(titles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = Reference::parse("oci://127.0.0.1:5000/team/bundle:1.0").unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.reference.as_str()
            ),
            ("127.0.0.1:5000", "team/bundle", "1.0")
        );
        assert_eq!(r.base(false), "http://127.0.0.1:5000/v2/team/bundle");
        let r = Reference::parse("oci://registry.example.org/bundle").unwrap();
        assert_eq!(r.reference, "latest");
        assert_eq!(r.base(false), "https://registry.example.org/v2/bundle");
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            Reference::parse(&format!("oci://r.example.org/b@{digest}"))
                .unwrap()
                .reference,
            digest
        );
        for bad in [
            "oci://noslash",
            "oci://r.example.org/Upper:1",
            "oci://r.example.org//x:1",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_credentials_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths": {"https://r.example.org": {"auth": "dXNlcjpwYXNz"}, "other.example.org": {"username": "u", "password": "p"}}}"#,
        )
        .unwrap();
        assert_eq!(
            docker_credentials("r.example.org", Some(dir.path()), None),
            Some(("user".into(), "pass".into()))
        );
        assert_eq!(
            docker_credentials("other.example.org", Some(dir.path()), None),
            Some(("u".into(), "p".into()))
        );
        assert_eq!(
            docker_credentials("none.example.org", Some(dir.path()), None),
            None
        );
    }
}
