//! Reproducible tar.gz writing and safe extraction.
//!
//! Writing: entries sorted by path, regular files only, mtime fixed, uid and
//! gid 0 with no names, modes 0644 (0755 for scripts), and a gzip header
//! without file name or time: the same contents give the same bytes.
//!
//! Reading: every entry is checked before anything is written (no absolute
//! paths, no `..`, no links, devices or FIFOs, a bounded count and expanded
//! size), so a malicious archive leaves nothing behind.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// The most an archive may expand to (gzip bombs): 16 GiB.
pub const MAX_EXPANDED_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// The most entries an archive may hold.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{archive}: {message}")]
    Unsafe { archive: String, message: String },
    #[error("{archive}: {message}")]
    Io { archive: String, message: String },
}

impl ArchiveError {
    pub fn hint(&self) -> String {
        match self {
            ArchiveError::Unsafe { .. } => {
                "the archive is not a chiron bundle, or it was tampered with: do not extract it by hand".into()
            }
            ArchiveError::Io { .. } => "check the path and the free space".into(),
        }
    }
}

/// Where an entry's bytes come from.
pub enum Source {
    Bytes(Vec<u8>),
    /// Streamed from disk when the archive is written.
    File(PathBuf),
}

/// One file of an archive being written.
pub struct Entry {
    pub source: Source,
    pub sha256: String,
    pub executable: bool,
}

/// Writes `files` (archive path to entry) as a reproducible tar.gz with
/// every mtime at `mtime`.
pub fn write_tar_gz(
    files: &BTreeMap<String, Entry>,
    mtime: u64,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(out, flate2::Compression::new(6));
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, entry) in files {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(if entry.executable { 0o755 } else { 0o644 });
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_username("")?;
        header.set_groupname("")?;
        match &entry.source {
            Source::Bytes(bytes) => {
                header.set_size(bytes.len() as u64);
                tar.append_data(&mut header, path, bytes.as_slice())?;
            }
            Source::File(file) => {
                let reader = std::fs::File::open(file)?;
                header.set_size(reader.metadata()?.len());
                tar.append_data(&mut header, path, reader)?;
            }
        }
    }
    let gzip = tar.into_inner()?;
    gzip.finish()?.flush()
}

/// A path inside an archive, checked: relative, no `..`, no root, no
/// drive, not empty.
pub fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Unpacks a tar.gz into `dest` (which must not exist): entries are
/// streamed into a temporary folder beside it, each checked before it is
/// written (regular files with safe relative paths only, no duplicates, at
/// most `max_bytes` in all), and the folder is renamed into place only when
/// the whole archive passed. On any failure nothing is left behind.
/// Returns the files' relative paths, sorted.
pub fn unpack(archive: &Path, dest: &Path, max_bytes: u64) -> Result<Vec<PathBuf>, ArchiveError> {
    let name = archive.display().to_string();
    let unsafe_ = |message: String| ArchiveError::Unsafe {
        archive: name.clone(),
        message,
    };
    let io = |message: String| ArchiveError::Io {
        archive: name.clone(),
        message,
    };
    if dest.exists() {
        return Err(io(format!("{} already exists", dest.display())));
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(format!("{}: {e}", parent.display())))?;
    let staging = crate::atomic::shared_temp_dir(parent, ".chiron-unpack-")
        .map_err(|e| io(format!("{}: {e}", parent.display())))?;
    let file = std::fs::File::open(archive).map_err(|e| io(e.to_string()))?;
    // Bound what decompression may produce, whatever the headers say.
    let limited = flate2::read::GzDecoder::new(file).take(max_bytes.saturating_add(1 << 20));
    let mut tar = tar::Archive::new(limited);
    let mut seen = std::collections::BTreeSet::new();
    let mut total: u64 = 0;
    let entries = tar
        .entries()
        .map_err(|e| unsafe_(format!("not a tar.gz archive: {e}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| unsafe_(format!("not a readable tar.gz archive: {e}")))?;
        if seen.len() >= MAX_ENTRIES {
            return Err(unsafe_(format!("more than {MAX_ENTRIES} entries")));
        }
        let raw = entry
            .path()
            .map_err(|e| unsafe_(format!("unreadable path: {e}")))?
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            // `./` itself is fine; anything leaving the folder is not.
            let inside = raw
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
            if !inside {
                return Err(unsafe_(format!("unsafe path {}", raw.display())));
            }
            continue;
        }
        if !kind.is_file() {
            let what = match kind {
                tar::EntryType::Symlink => "symbolic link",
                tar::EntryType::Link => "hard link",
                tar::EntryType::Char | tar::EntryType::Block => "device",
                tar::EntryType::Fifo => "FIFO",
                _ => "special entry",
            };
            return Err(unsafe_(format!(
                "{} is a {what}, not a regular file",
                raw.display()
            )));
        }
        let path =
            safe_relative(&raw).ok_or_else(|| unsafe_(format!("unsafe path {}", raw.display())))?;
        let size = entry.header().size().unwrap_or(u64::MAX);
        total = total.saturating_add(size);
        if total > max_bytes {
            return Err(unsafe_(format!(
                "expands to more than {max_bytes} bytes (a decompression bomb?)"
            )));
        }
        if !seen.insert(path.clone()) {
            return Err(unsafe_(format!("{} appears twice", path.display())));
        }
        let target = staging.path().join(&path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(e.to_string()))?;
        }
        let mut out = std::fs::File::create(&target).map_err(|e| io(e.to_string()))?;
        let copied = std::io::copy(&mut (&mut entry).take(size), &mut out)
            .map_err(|e| unsafe_(format!("{}: {e}", path.display())))?;
        if copied != size {
            return Err(unsafe_(format!("{} is truncated", path.display())));
        }
        #[cfg(unix)]
        if entry.header().mode().is_ok_and(|m| m & 0o111 != 0) {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755));
        }
    }
    std::fs::rename(staging.keep(), dest).map_err(|e| io(format!("{}: {e}", dest.display())))?;
    Ok(seen.into_iter().collect())
}

/// The bytes of one regular file of a tar.gz (at most `max_bytes`),
/// read without unpacking anything else.
pub fn read_entry(archive: &Path, name: &str, max_bytes: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(archive)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries()? {
        let entry = entry?;
        let path = entry.path()?.into_owned();
        if entry.header().entry_type().is_file()
            && safe_relative(&path).is_some_and(|p| p == Path::new(name))
        {
            let mut bytes = Vec::new();
            entry.take(max_bytes).read_to_end(&mut bytes)?;
            return Ok(Some(bytes));
        }
    }
    Ok(None)
}
