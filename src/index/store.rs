//! Verified downloads and the content-addressed file store.
//!
//! A file is streamed into a temporary file beside its destination, hashed
//! on the way, compared with the index's sha256, and only then renamed into
//! place. Verified files are kept under `<cache>/files-v1/<ab>/<sha256>`
//! and reused from there (a reflink or a copy, hashed again, never a link
//! an edit of the destination could reach the store through).
//!
//! Owns where a verified file comes from (already there, the store, a
//! local find-links file, the network) and that nothing unverified is left
//! in place. It must not choose files (`select` does) nor retry by itself
//! (`http` does).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use reqwest::header::HeaderMap;
use serde::Serialize;

use super::error::IndexError;
use super::http::{Failure, Transport};
use super::simple::IndexFile;
use crate::digest::{Sha256, Sha256Hasher, digest_file, hash_reader};
use crate::redact::redact_url;

/// A file on disk, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Downloaded {
    pub path: PathBuf,
    pub sha256: Sha256,
    pub size: u64,
    /// False when the file was already there, or came from the cache.
    pub fetched: bool,
}

/// The file store of one cache folder.
pub(super) struct FileStore {
    cache_dir: PathBuf,
    offline: bool,
}

impl FileStore {
    pub(super) fn new(cache_dir: PathBuf, offline: bool) -> Self {
        Self { cache_dir, offline }
    }

    /// Puts `file` into `dest_dir` under its own name, verified. A file
    /// already there with the right hash, or one in the store, is not
    /// downloaded again; `fetched` says whether it came from the network.
    pub(super) async fn download(
        &self,
        transport: &Transport,
        file: &IndexFile,
        dest_dir: &Path,
        allow_unhashed: bool,
    ) -> Result<Downloaded, IndexError> {
        let expected = file.sha256().map(str::to_string);
        if expected.is_none() && !allow_unhashed {
            return Err(IndexError::Unhashed {
                url: redact_url(&file.url),
            });
        }
        if file.filename.contains(['/', '\\']) || file.filename.starts_with('.') {
            return Err(IndexError::UnsafeFileName {
                filename: file.filename.clone(),
            });
        }
        let dest = dest_dir.join(&file.filename);
        std::fs::create_dir_all(dest_dir).map_err(io(dest_dir))?;
        if let Some(expected) = &expected
            && let Some(done) = self.reuse(expected, &dest, dest_dir)?
        {
            return Ok(done);
        }
        if let Some(local) = super::file_url_path_str(&file.url) {
            let (actual, size) = copy_verified(&local, &dest, dest_dir).map_err(io(&dest))?;
            return self.finish(file, dest, actual, size, expected);
        }
        if self.offline {
            return Err(IndexError::Offline {
                url: redact_url(&file.url),
            });
        }
        let (temp, actual, size) = transport
            .with_retries(|| fetch_to(transport, file, dest_dir))
            .await?;
        if let Some(expected) = &expected
            && actual.to_string() != *expected
        {
            return Err(IndexError::HashMismatch {
                url: redact_url(&file.url),
                expected: expected.clone(),
                actual: actual.to_string(),
            });
        }
        temp.persist(&dest).map_err(|e| IndexError::Io {
            path: dest.clone(),
            source: e.error,
        })?;
        let mut done = self.finish(file, dest, actual, size, expected)?;
        done.fetched = true;
        Ok(done)
    }

    /// The file with the `expected` hash at `dest`, when it is there
    /// already or the store has it; `None` when it must be fetched.
    fn reuse(
        &self,
        expected: &str,
        dest: &Path,
        dest_dir: &Path,
    ) -> Result<Option<Downloaded>, IndexError> {
        let verified = |(sha256, size): (Sha256, u64)| {
            (sha256.to_string() == expected).then(|| Downloaded {
                path: dest.to_path_buf(),
                sha256,
                size,
                fetched: false,
            })
        };
        if dest.is_file()
            && let Some(done) = verified(digest_file(dest).map_err(io(dest))?)
        {
            return Ok(Some(done));
        }
        let blob = self.blob_path(expected);
        if !blob.is_file() {
            return Ok(None);
        }
        // A reflink costs no copy where the filesystem has them; never a
        // hard link, which an edit of the wheelhouse would reach the cache
        // through. The hash is checked either way.
        let _ = std::fs::remove_file(dest);
        let linked = crate::atomic::reflink_file(&blob, dest).is_ok();
        let digest = if linked {
            digest_file(dest).map_err(io(dest))?
        } else {
            copy_verified(&blob, dest, dest_dir).map_err(io(dest))?
        };
        if let Some(done) = verified(digest) {
            return Ok(Some(done));
        }
        // A corrupt cache entry: drop it and download again.
        let _ = std::fs::remove_file(&blob);
        let _ = std::fs::remove_file(dest);
        Ok(None)
    }

    fn finish(
        &self,
        file: &IndexFile,
        dest: PathBuf,
        actual: Sha256,
        size: u64,
        expected: Option<String>,
    ) -> Result<Downloaded, IndexError> {
        if let Some(expected) = expected
            && actual.to_string() != expected
        {
            let _ = std::fs::remove_file(&dest);
            return Err(IndexError::HashMismatch {
                url: redact_url(&file.url),
                expected,
                actual: actual.to_string(),
            });
        }
        self.remember_blob(&dest, &actual.to_string());
        Ok(Downloaded {
            path: dest,
            sha256: actual,
            size,
            fetched: false,
        })
    }

    fn blob_path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.cache_dir.join("files-v1").join(prefix).join(sha256)
    }

    /// Keeps a verified file in the content-addressed cache (a reflink
    /// where possible, else a copy: never a link an edit could reach it
    /// through). Failure only costs a later download.
    fn remember_blob(&self, path: &Path, sha256: &str) {
        let blob = self.blob_path(sha256);
        if blob.exists() {
            return;
        }
        let Some(parent) = blob.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        if crate::atomic::reflink_file(path, &blob).is_err() {
            let _ = copy_verified(path, &blob, parent);
        }
    }
}

/// An I/O error at `path`, as an index error.
fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError {
    let path = path.to_path_buf();
    move |source| IndexError::Io { path, source }
}

/// Streams the file into a temporary file in `dir`; returns it with its
/// sha256 and size. The temporary file is deleted if anything fails.
async fn fetch_to(
    transport: &Transport,
    file: &IndexFile,
    dir: &Path,
) -> Result<(tempfile::NamedTempFile, Sha256, u64), Failure> {
    let response = transport.send_once(&file.url, &HeaderMap::new()).await?;
    if !response.status().is_success() {
        return Err(IndexError::Status {
            url: redact_url(&file.url),
            status: response.status().as_u16(),
        }
        .into());
    }
    let expected_len = response.content_length();
    let mut temp = crate::atomic::shared_temp_file(dir, &format!(".{}.", file.filename), ".part")
        .map_err(io(dir))?;
    let mut hasher = Sha256Hasher::new();
    let mut stream = response.bytes_stream();
    loop {
        let chunk = match tokio::time::timeout(transport.timeout(), stream.next()).await {
            Err(_) => return Err(transport.stalled(&file.url).into()),
            Ok(None) => break,
            Ok(Some(Ok(chunk))) => chunk,
            Ok(Some(Err(error))) if error.is_timeout() => {
                return Err(transport.stalled(&file.url).into());
            }
            Ok(Some(Err(_))) => {
                return Err(IndexError::Truncated {
                    url: redact_url(&file.url),
                    received: hasher.size(),
                    expected: expected_len.unwrap_or(hasher.size()),
                }
                .into());
            }
        };
        hasher.update(&chunk);
        temp.write_all(&chunk).map_err(|source| IndexError::Io {
            path: temp.path().to_path_buf(),
            source,
        })?;
    }
    if let Some(expected) = expected_len
        && hasher.size() != expected
    {
        return Err(IndexError::Truncated {
            url: redact_url(&file.url),
            received: hasher.size(),
            expected,
        }
        .into());
    }
    temp.as_file().sync_all().map_err(io(temp.path()))?;
    let (sha256, size) = hasher.finish_digest();
    Ok((temp, sha256, size))
}

/// Copies `from` to `to` through a temporary file in `dir`, hashing on the
/// way, and renames it into place.
fn copy_verified(from: &Path, to: &Path, dir: &Path) -> std::io::Result<(Sha256, u64)> {
    let mut temp = crate::atomic::shared_temp_file(dir, ".copy.", ".part")?;
    let digest = hash_reader(&mut std::fs::File::open(from)?, |chunk| {
        temp.write_all(chunk)
    })?;
    temp.as_file().sync_all()?;
    temp.persist(to).map_err(|e| e.error)?;
    Ok(digest)
}
