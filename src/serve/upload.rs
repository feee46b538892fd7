//! Uploads into a served source (`chiron serve --allow-upload`), as twine
//! sends them to Warehouse's legacy API: who may upload (tokens, HTTP
//! Basic), the `multipart/form-data` form read as a stream within a size
//! limit (the file goes straight into a temporary file beside the
//! source's files, hashed on the way), what is refused (a file name that
//! is no distribution's or holds a path, `name`/`version` fields or
//! digests that disagree with the file, a distribution whose own metadata
//! cannot be read or disagrees with its name), and the commit: the same
//! file again changes nothing, another file of that name is refused, and
//! a new one is renamed into place, recorded by the wheelhouse
//! ([`crate::wheelhouse::add`]) and read into the served index.
//!
//! Owns the form and its checks. It must not speak HTTP beyond reading a
//! body stream and an `Authorization` value: statuses and routes are
//! [`super::server`]'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine;
use blake2::Digest;
use pep440_rs::Version;
use pep508_rs::PackageName;
use subtle::ConstantTimeEq;

use super::error::ServeError;
use super::model::{Index, IndexOptions, add_distribution, read_inside};
use super::source::{OpenedSource, SourceKind};
use crate::config::TokenHash;
use crate::digest::{Sha256, Sha256Hasher};
use crate::python::NormalizedName;
use crate::python::filename::DistFilename;
use crate::python::metadata::CoreMetadata;

/// `--max-upload-bytes` when not given: larger than nearly every wheel on
/// PyPI, small enough that a runaway client cannot fill the disk quickly.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// The largest text field of the form (a long description is a few
/// hundred KiB; METADATA itself is capped at 16 MiB).
const MAX_TEXT_FIELD_BYTES: u64 = 16 * 1024 * 1024;

/// The upload tokens, by name, as `[serve] tokens` holds them.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    hashes: Vec<(String, TokenHash)>,
}

/// Who an `Authorization` header says the client is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// No Basic credentials: the client is asked for them (401).
    Missing,
    /// A password that is no configured token (403).
    Refused,
    /// The token of this name.
    Token(String),
}

impl Tokens {
    pub fn new(configured: &BTreeMap<String, TokenHash>) -> Self {
        Self {
            hashes: configured
                .iter()
                .map(|(name, hash)| (name.clone(), *hash))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Checks HTTP Basic credentials as twine sends them (user `__token__`,
    /// though any user is accepted, and the token as the password): the
    /// password's sha256 is compared with every configured hash in
    /// constant time, all of them, whichever matches.
    pub fn authenticate(&self, authorization: Option<&[u8]>) -> Credential {
        let Some(password) = authorization.and_then(basic_password) else {
            return Credential::Missing;
        };
        let presented = crate::digest::sha256(password.as_bytes());
        let mut found: Option<&str> = None;
        for (name, hash) in &self.hashes {
            let equal = bool::from(presented.ct_eq(&hash.0));
            if equal && found.is_none() {
                found = Some(name);
            }
        }
        match found {
            Some(name) => Credential::Token(name.to_string()),
            None => Credential::Refused,
        }
    }
}

/// The password of `Basic BASE64(user:password)`; none for another
/// scheme or an undecodable value.
fn basic_password(header: &[u8]) -> Option<zeroize::Zeroizing<String>> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?,
    );
    let text = std::str::from_utf8(&decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    // `__token__:` is twine with no token: asked for one, not refused.
    (!password.is_empty()).then(|| zeroize::Zeroizing::new(password.to_string()))
}

/// A fresh upload token and its hash: 32 bytes from the operating
/// system's random generator, URL-safe base64 after a `chiron-` prefix
/// (so secret scanners can tell what it is).
pub fn new_token() -> Result<(zeroize::Zeroizing<String>, TokenHash), ServeError> {
    use ring::rand::SecureRandom;
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    ring::rand::SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| ServeError::Random)?;
    let token = zeroize::Zeroizing::new(format!(
        "chiron-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref())
    ));
    let hash = TokenHash(crate::digest::sha256(token.as_bytes()));
    Ok((token, hash))
}

/// A writable source behind its lock: one upload at a time goes into it.
pub type LockedSource = Arc<tokio::sync::Mutex<OpenedSource>>;

/// Where uploads may go: every served source by index name, the
/// writable ones behind their own lock (uploads into one source are
/// serialised), and what reading a new file into an index needs.
pub struct Uploads {
    tokens: Tokens,
    max_bytes: u64,
    targets: BTreeMap<String, Option<LockedSource>>,
    single: Option<String>,
    cache_dir: PathBuf,
    epoch: Option<i64>,
    yanked: BTreeMap<String, String>,
}

/// What reading the served indexes needs, owned.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    pub tokens: Tokens,
    pub max_bytes: u64,
    pub cache_dir: PathBuf,
    pub epoch: Option<i64>,
    pub yanked: BTreeMap<String, String>,
}

/// Removes what uploads cut off by a killed server left in `dir` (their
/// temporary files), under the folder's lock, naming each.
fn remove_cut_off_uploads(dir: &std::path::Path) -> Result<(), ServeError> {
    let _lock = crate::atomic::OutputLock::acquire(dir).map_err(ServeError::io(dir))?;
    let removed = crate::atomic::remove_temp_files_in(dir).map_err(ServeError::io(dir))?;
    for name in removed {
        tracing::warn!(
            "{}: removed {name}, left by an upload that was cut off",
            dir.display()
        );
    }
    Ok(())
}

impl Uploads {
    /// Refuses to exist without a token: an upload endpoint is never open.
    pub fn new(settings: UploadSettings, sources: &[OpenedSource]) -> Result<Self, ServeError> {
        if settings.tokens.is_empty() {
            return Err(ServeError::NoUploadTokens);
        }
        let targets = sources
            .iter()
            .map(|source| {
                let writable = match source.kind {
                    SourceKind::Bundle { .. } => None,
                    SourceKind::Wheelhouse | SourceKind::Folder => {
                        Some(Arc::new(tokio::sync::Mutex::new(source.clone())))
                    }
                };
                (source.name.clone(), writable)
            })
            .collect::<BTreeMap<_, _>>();
        // An upload endpoint where no source takes uploads would only
        // ever answer 403: refuse to start with it.
        if let Some(bundle) = sources
            .first()
            .filter(|_| targets.values().all(Option::is_none))
        {
            return Err(ServeError::ReadOnlySource {
                name: bundle.name.clone(),
            });
        }
        for source in sources {
            if targets.get(&source.name).is_some_and(Option::is_some) {
                remove_cut_off_uploads(&source.dist_dir)?;
            }
        }
        let single = match sources {
            [only] => Some(only.name.clone()),
            _ => None,
        };
        Ok(Self {
            tokens: settings.tokens,
            max_bytes: settings.max_bytes,
            targets,
            single,
            cache_dir: settings.cache_dir,
            epoch: settings.epoch,
            yanked: settings.yanked,
        })
    }

    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The index an upload to `index` (none: the lone source) goes into:
    /// its name and lock; `None` when there is no such index.
    pub fn target(
        &self,
        index: Option<&str>,
    ) -> Option<Result<(String, LockedSource), ServeError>> {
        let name = index.or(self.single.as_deref())?;
        let writable = self.targets.get(name)?;
        Some(match writable {
            Some(source) => Ok((name.to_string(), source.clone())),
            None => Err(ServeError::ReadOnlySource {
                name: name.to_string(),
            }),
        })
    }

    fn index_options(&self) -> IndexOptions<'_> {
        IndexOptions {
            cache_dir: &self.cache_dir,
            epoch: self.epoch,
            yanked: &self.yanked,
        }
    }
}

/// An upload as received: its text fields and its file, still in a
/// temporary file beside the source's files (removed when dropped).
pub struct Received {
    fields: BTreeMap<String, Vec<String>>,
    file: Option<ReceivedFile>,
}

struct ReceivedFile {
    filename: String,
    temp: tempfile::NamedTempFile,
    sha256: Sha256,
    md5: String,
    blake2_256: String,
    size: u64,
}

/// Reads the form from `body` (`content_type` is the request's), writing
/// the `content` part into a temporary file in `dir` as it arrives. More
/// than `max_bytes` in all stops the reading with
/// [`ServeError::UploadTooLarge`]: nothing past the limit is buffered.
pub async fn receive<S, O, E>(
    body: S,
    content_type: Option<&str>,
    dir: &Path,
    max_bytes: u64,
) -> Result<Received, ServeError>
where
    S: futures_util::Stream<Item = Result<O, E>> + Send + 'static,
    O: Into<multer::bytes::Bytes> + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let boundary = content_type
        .and_then(|value| multer::parse_boundary(value).ok())
        .ok_or_else(|| refused("the upload is not multipart/form-data, as twine sends it"))?;
    let limits = multer::SizeLimit::new()
        .whole_stream(max_bytes)
        .per_field(MAX_TEXT_FIELD_BYTES)
        .for_field("content", max_bytes);
    let constraints = multer::Constraints::new().size_limit(limits);
    let mut form = multer::Multipart::with_constraints(body, boundary, constraints);
    let mut received = Received {
        fields: BTreeMap::new(),
        file: None,
    };
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| form_error(e, max_bytes))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "content" {
            if received.file.is_some() {
                return Err(refused("the form has two `content` files"));
            }
            let filename = field.file_name().unwrap_or_default().to_string();
            check_filename(&filename)?;
            received.file = Some(receive_file(&mut field, filename, dir, max_bytes).await?);
        } else if field.file_name().is_some() {
            // A file part other than the distribution (twine's
            // `gpg_signature`): read past, kept nowhere.
            while field
                .chunk()
                .await
                .map_err(|e| form_error(e, max_bytes))?
                .is_some()
            {}
        } else {
            let value = field.text().await.map_err(|e| form_error(e, max_bytes))?;
            received.fields.entry(name).or_default().push(value);
        }
    }
    Ok(received)
}

/// Streams the `content` part into a temporary file in `dir`, hashing it.
async fn receive_file(
    field: &mut multer::Field<'static>,
    filename: String,
    dir: &Path,
    max_bytes: u64,
) -> Result<ReceivedFile, ServeError> {
    use tokio::io::AsyncWriteExt;
    let path = dir.join(&filename);
    let temp = crate::atomic::temp_file_beside(&path).map_err(ServeError::io(dir))?;
    let handle = temp.as_file().try_clone().map_err(ServeError::io(dir))?;
    let mut out = tokio::fs::File::from_std(handle);
    let mut sha256 = Sha256Hasher::new();
    let mut md5 = md5::Md5::new();
    let mut blake2 = blake2::Blake2b256::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, max_bytes))? {
        sha256.update(&chunk);
        md5.update(&chunk);
        blake2.update(&chunk);
        out.write_all(&chunk)
            .await
            .map_err(ServeError::io(temp.path()))?;
    }
    out.flush().await.map_err(ServeError::io(temp.path()))?;
    out.sync_all().await.map_err(ServeError::io(temp.path()))?;
    let (sha256, size) = sha256.finish_digest();
    Ok(ReceivedFile {
        filename,
        temp,
        sha256,
        md5: crate::digest::hex(&md5.finalize()),
        blake2_256: crate::digest::hex(&blake2.finalize()),
        size,
    })
}

fn form_error(error: multer::Error, max_bytes: u64) -> ServeError {
    match error {
        multer::Error::StreamSizeExceeded { .. } => ServeError::UploadTooLarge { limit: max_bytes },
        multer::Error::FieldSizeExceeded { field_name, .. }
            if field_name.as_deref() == Some("content") =>
        {
            ServeError::UploadTooLarge { limit: max_bytes }
        }
        other => refused(&format!("the upload form cannot be read: {other}")),
    }
}

fn refused(reason: &str) -> ServeError {
    ServeError::UploadRefused {
        reason: reason.to_string(),
    }
}

/// A file name an upload may have: one path segment, a wheel or a
/// `.tar.gz` sdist, nothing hidden or odd.
fn check_filename(filename: &str) -> Result<(), ServeError> {
    if filename.is_empty() {
        return Err(refused("the form's `content` part has no file name"));
    }
    let odd = filename.contains(['/', '\\'])
        || filename.starts_with('.')
        || filename.chars().any(char::is_control)
        || filename.len() > 255;
    if odd {
        return Err(refused(&format!(
            "`{}` is not a plain file name (a path, a hidden or odd name)",
            filename.escape_default()
        )));
    }
    if !(filename.ends_with(".whl") || filename.ends_with(".tar.gz")) {
        return Err(refused(&format!(
            "{filename} is not a wheel (.whl) or an sdist (.tar.gz)"
        )));
    }
    Ok(())
}

/// An upload whose form and file agree with each other and with the
/// file's own metadata.
pub struct Checked {
    pub filename: String,
    pub name: PackageName,
    pub version: Version,
    pub sha256: Sha256,
    pub size: u64,
    metadata: CoreMetadata,
    temp: tempfile::NamedTempFile,
}

impl Received {
    /// The first value of a text field, trimmed; none when absent or empty.
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|values| values.first())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Checks the form against its file and the file against its
    /// metadata, as Warehouse does; every refusal is one line.
    pub fn check(self) -> Result<Checked, ServeError> {
        if let Some(action) = self.field(":action")
            && action != "file_upload"
        {
            return Err(refused(&format!(
                "`:action` {action} is not supported: only file_upload"
            )));
        }
        if let Some(protocol) = self.field("protocol_version")
            && protocol != "1"
        {
            return Err(refused(&format!(
                "protocol_version {protocol} is not supported: only 1"
            )));
        }
        let Some(file) = &self.file else {
            return Err(refused("the form has no file in its `content` field"));
        };
        let filename = file.filename.clone();
        let form_name = self
            .field("name")
            .ok_or_else(|| refused("the form has no `name`"))?;
        let name = PackageName::from_str(form_name)
            .map_err(|e| refused(&format!("`name` {form_name} is not a project name: {e}")))?;
        let form_version = self
            .field("version")
            .ok_or_else(|| refused("the form has no `version`"))?;
        let version = Version::from_str(form_version)
            .map_err(|e| refused(&format!("`version` {form_version} is not PEP 440: {e}")))?;
        let named = DistFilename::parse(&filename, Some(&name)).ok_or_else(|| {
            refused(&format!(
                "{filename} is not a valid name for a distribution of {name} {version}"
            ))
        })?;
        if named.name() != &name || named.version() != &version {
            return Err(refused(&format!(
                "{filename} is {} {}, but the form says {name} {version}",
                named.name(),
                named.version()
            )));
        }
        if let Some(filetype) = self.field("filetype") {
            let expected = match named {
                DistFilename::Wheel(_) => "bdist_wheel",
                DistFilename::Sdist(_) => "sdist",
            };
            if filetype != expected {
                return Err(refused(&format!(
                    "`filetype` {filetype} does not fit {filename}: {expected} expected"
                )));
            }
        }
        self.check_digests(file)?;
        // The reason names the file as the client sent it, never the
        // server's temporary path.
        let temp = file.temp.path().display().to_string();
        let inside = read_inside(file.temp.path(), &filename).map_err(|reason| {
            refused(&format!(
                "{filename}: {}",
                reason.replace(&temp, "the upload")
            ))
        })?;
        let metadata = CoreMetadata::parse(&inside.metadata, &filename)
            .map_err(|e| refused(&format!("{filename}: {e}")))?;
        let Some(file) = self.file else {
            return Err(refused("the form has no file in its `content` field"));
        };
        Ok(Checked {
            filename,
            name,
            version,
            sha256: file.sha256,
            size: file.size,
            metadata,
            temp: file.temp,
        })
    }

    /// `sha256_digest` is required and must be the file's; `md5_digest`
    /// and `blake2_256_digest` are checked when given.
    fn check_digests(&self, file: &ReceivedFile) -> Result<(), ServeError> {
        let given = self
            .field("sha256_digest")
            .ok_or_else(|| refused("the form has no `sha256_digest`"))?;
        let matches = Sha256::parse_any_case(given).is_ok_and(|given| given == file.sha256);
        if !matches {
            return Err(refused(&format!(
                "`sha256_digest` {given} is not the sha256 of {} ({})",
                file.filename, file.sha256
            )));
        }
        for (field, actual) in [
            ("md5_digest", &file.md5),
            ("blake2_256_digest", &file.blake2_256),
        ] {
            if let Some(given) = self.field(field)
                && !given.eq_ignore_ascii_case(actual)
            {
                return Err(refused(&format!(
                    "`{field}` {given} does not match {} ({actual})",
                    file.filename
                )));
            }
        }
        Ok(())
    }
}

/// What committing an upload did.
#[derive(Debug)]
pub enum Committed {
    /// The file was there already with the same sha256: nothing written.
    Unchanged,
    /// The file was added; `project` is the page that changed.
    Added {
        project: NormalizedName,
        /// Signatures over `SHA256SUMS` removed (re-sign with `chiron sign`).
        stale_signatures: Vec<PathBuf>,
        lock_updated: bool,
    },
}

impl Uploads {
    /// Puts `upload` into `source` (whose lock the caller holds) and into
    /// `index`, its served index: the same file again changes nothing,
    /// another file of that name is refused, a new one is renamed into
    /// place, then recorded by the folder (manifest last) and read into
    /// `index`. Blocking: call it off the async threads.
    pub fn commit(
        &self,
        source: &mut OpenedSource,
        index: &mut Index,
        upload: Checked,
    ) -> Result<Committed, ServeError> {
        let dir = source.dist_dir.clone();
        // Runs of `chiron wheelhouse` on the same folder wait, and so do we.
        let _lock = crate::atomic::OutputLock::acquire(&dir).map_err(ServeError::io(&dir))?;
        let dest = dir.join(&upload.filename);
        if dest.exists() {
            let (existing, _) = crate::digest::digest_file(&dest).map_err(ServeError::io(&dest))?;
            if existing == upload.sha256 {
                return Ok(Committed::Unchanged);
            }
            return Err(ServeError::FileExists {
                filename: upload.filename,
                index: source.name.clone(),
                existing: existing.to_string(),
            });
        }
        let new_file = crate::wheelhouse::add::NewFile {
            filename: &upload.filename,
            name: &upload.name,
            version: &upload.version,
            sha256: upload.sha256,
            size: upload.size,
            metadata: &upload.metadata,
        };
        let addition = crate::wheelhouse::add::plan(&dir, &new_file)?;
        upload
            .temp
            .persist_noclobber(&dest)
            .map_err(|e| ServeError::io(&dest)(e.error))?;
        addition.apply()?;
        if let Some(manifest) = addition.manifest {
            source.manifest = Some(manifest);
        }
        let project =
            add_distribution(index, source, &dest, &self.index_options()).map_err(|reason| {
                ServeError::Io {
                    path: dest.clone(),
                    source: std::io::Error::other(reason),
                }
            })?;
        Ok(Committed::Added {
            project,
            stale_signatures: addition.stale_signatures,
            lock_updated: addition.lock_updated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> Vec<u8> {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}").into_bytes()
    }

    #[test]
    fn tokens_are_checked_by_their_hash_whatever_the_user() {
        let (token, hash) = new_token().unwrap();
        assert!(token.starts_with("chiron-") && token.len() == "chiron-".len() + 43);
        let (other, _) = new_token().unwrap();
        assert_ne!(*token, *other);
        let tokens = Tokens::new(&BTreeMap::from([("ci".to_string(), hash)]));
        for user in ["__token__", "anyone", ""] {
            assert_eq!(
                tokens.authenticate(Some(&basic(user, &token))),
                Credential::Token("ci".into())
            );
        }
        assert_eq!(
            tokens.authenticate(Some(&basic("__token__", &other))),
            Credential::Refused
        );
        for missing in [
            None,
            Some(b"Bearer abc".as_slice()),
            Some(b"Basic !!!".as_slice()),
            Some(basic("__token__", "").as_slice()),
        ] {
            assert_eq!(tokens.authenticate(missing), Credential::Missing);
        }
    }

    /// A source named `name` in its own folder under `root`.
    fn source(root: &std::path::Path, name: &str, kind: SourceKind) -> OpenedSource {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        OpenedSource {
            name: name.into(),
            kind,
            origin: dir.clone(),
            dist_dir: dir,
            manifest: None,
        }
    }

    fn settings(tokens: Tokens) -> UploadSettings {
        UploadSettings {
            tokens,
            max_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            cache_dir: PathBuf::from("cache"),
            epoch: None,
            yanked: BTreeMap::new(),
        }
    }

    #[test]
    fn uploads_need_a_token_and_never_go_into_a_bundle() {
        let root = tempfile::tempdir().unwrap();
        let sources = [
            source(root.path(), "wh", SourceKind::Folder),
            source(
                root.path(),
                "offline",
                SourceKind::Bundle {
                    sha256: Sha256::of(b"bundle"),
                    verified: true,
                },
            ),
        ];
        let error = Uploads::new(settings(Tokens::default()), &sources).err();
        assert!(
            matches!(error, Some(ServeError::NoUploadTokens)),
            "{error:?}"
        );
        let (_, hash) = new_token().unwrap();
        let tokens = Tokens::new(&BTreeMap::from([("ci".to_string(), hash)]));
        let uploads = Uploads::new(settings(tokens.clone()), &sources).unwrap();
        assert!(matches!(uploads.target(Some("wh")), Some(Ok((name, _))) if name == "wh"));
        assert!(matches!(
            uploads.target(Some("offline")),
            Some(Err(ServeError::ReadOnlySource { .. }))
        ));
        // Only a bundle: no source would take an upload, so no endpoint.
        let error = Uploads::new(settings(tokens.clone()), &sources[1..]).err();
        assert!(
            matches!(error, Some(ServeError::ReadOnlySource { .. })),
            "{error:?}"
        );
        // Two sources: `/` names none of them.
        assert!(uploads.target(None).is_none());
        assert!(uploads.target(Some("other")).is_none());
        let single = Uploads::new(settings(tokens), &sources[..1]).unwrap();
        assert!(matches!(single.target(None), Some(Ok((name, _))) if name == "wh"));
    }

    #[test]
    fn only_plain_distribution_names_are_accepted() {
        for fine in ["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"] {
            assert!(check_filename(fine).is_ok(), "{fine}");
        }
        for bad in [
            "",
            "../demo-1.0.tar.gz",
            "a/demo-1.0.tar.gz",
            "a\\demo-1.0.tar.gz",
            ".demo-1.0.tar.gz",
            "demo-1.0.zip",
            "demo-1.0.egg",
            "demo\n-1.0.tar.gz",
        ] {
            assert!(check_filename(bad).is_err(), "{bad}");
        }
    }
}
