//! The wheels (zip) and sdists (tar.gz) a build makes, read within bounds:
//! every entry with the fields it is stored with, exactly as written, and
//! the bytes it holds, read once in a stream.
//!
//! Both readers are written by hand ([`zip`], [`tar`]): a comparison must
//! see what the `zip` and `tar` crates smooth over (a name stored twice,
//! the general-purpose flags, the local header's extra field, the tar
//! format's magic, pax records), and the bounds must hold before anything
//! is allocated (the entry count of the end record, a pax header of 8 GiB).
//!
//! Owns reading. It must not judge what it reads beyond what makes an
//! archive unreadable or ambiguous (a corrupt header, entries that overlap,
//! the same name twice): differences are [`super::compare`]'s, RECORD is
//! [`super::record`]'s.

pub mod tar;
pub mod zip;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::digest::Sha256Hasher;

/// How much of a file one content digest covers: a difference is located
/// by the first chunk whose digests differ, then by reading that chunk.
pub const CHUNK: u64 = 64 * 1024;

/// How far a hostile archive may make a reader go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in one archive (a zip's directory may claim millions).
    pub max_entries: usize,
    /// Bytes one entry may expand to.
    pub max_entry_bytes: u64,
    /// Bytes all entries together may expand to (zip and gzip bombs).
    pub max_total_bytes: u64,
    /// Bytes of one piece of metadata read whole: a pax header, a GNU long
    /// name, a zip's central directory.
    pub max_metadata_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            max_entry_bytes: 4 << 30,
            max_total_bytes: 16 << 30,
            max_metadata_bytes: 64 << 20,
        }
    }
}

/// The two kinds of archive a build makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A wheel, or any zip.
    Zip,
    /// An sdist: a gzip-compressed tar.
    TarGz,
}

impl Format {
    /// The format a file's name says: `.whl` and `.zip`, `.tar.gz` and
    /// `.tgz` (case-insensitive).
    pub fn of_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".whl") || name.ends_with(".zip") {
            Some(Format::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Format::TarGz)
        } else {
            None
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Format::Zip => "a wheel (zip)",
            Format::TarGz => "an sdist (tar.gz)",
        }
    }
}

/// Why an archive cannot be read, or cannot be read one way only.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a readable {format}: {message}", path.display())]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    TooLarge { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Ambiguous { path: PathBuf, message: String },
    #[error("{}: {entry}: {message}", path.display())]
    Unsupported {
        path: PathBuf,
        entry: String,
        message: String,
    },
}

impl ReadError {
    pub fn path(&self) -> &Path {
        match self {
            ReadError::Io { path, .. }
            | ReadError::Corrupt { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::Ambiguous { path, .. }
            | ReadError::Unsupported { path, .. } => path,
        }
    }

    pub fn hint(&self) -> String {
        match self {
            ReadError::Io { .. } => "check the path and that the file is readable".into(),
            ReadError::Corrupt { .. } => {
                "the file is damaged or not an archive: download or build it again".into()
            }
            ReadError::TooLarge { .. } => {
                "the archive expands beyond what a wheel or sdist holds (a zip or gzip bomb?): do not unpack it".into()
            }
            ReadError::Ambiguous { .. } => {
                "tools would unpack this archive differently: rebuild it with a standard backend".into()
            }
            ReadError::Unsupported { .. } => {
                "wheels and sdists hold regular files stored or deflated: rebuild it with a standard backend".into()
            }
        }
    }
}

impl crate::error::Diagnose for ReadError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

/// What an entry's bytes are, without holding them: the size and the
/// SHA-256 of each [`CHUNK`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    pub size: u64,
    chunks: Vec<[u8; 32]>,
}

impl Content {
    /// Where the first chunk that differs starts, or `None` when the two
    /// hold the same bytes.
    pub fn first_different_chunk(&self, other: &Content) -> Option<u64> {
        if self == other {
            return None;
        }
        let same = self
            .chunks
            .iter()
            .zip(&other.chunks)
            .take_while(|(a, b)| a == b)
            .count() as u64;
        Some(same * CHUNK)
    }
}

/// Hashes bytes as they pass, one digest per [`CHUNK`].
#[derive(Default)]
pub struct ContentHasher {
    chunk: Option<Sha256Hasher>,
    in_chunk: u64,
    content: Content,
}

impl ContentHasher {
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = usize::try_from(CHUNK - self.in_chunk).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.chunk.get_or_insert_with(Sha256Hasher::new).update(now);
            self.in_chunk += now.len() as u64;
            self.content.size += now.len() as u64;
            if self.in_chunk == CHUNK {
                self.close_chunk();
            }
            bytes = rest;
        }
    }

    fn close_chunk(&mut self) {
        if let Some(hasher) = self.chunk.take() {
            self.content.chunks.push(hasher.finish());
        }
        self.in_chunk = 0;
    }

    pub fn finish(mut self) -> Content {
        self.close_chunk();
        self.content
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// A device, a FIFO, or a type the reader does not know, by its tar
    /// type flag (a zip's Unix file type is mapped to the same flags).
    Other(char),
}

impl EntryKind {
    pub fn describe(self) -> String {
        match self {
            EntryKind::File => "regular file".into(),
            EntryKind::Dir => "directory".into(),
            EntryKind::Symlink => "symbolic link".into(),
            EntryKind::Hardlink => "hard link".into(),
            EntryKind::Other('3') => "character device".into(),
            EntryKind::Other('4') => "block device".into(),
            EntryKind::Other('6') => "FIFO".into(),
            EntryKind::Other(flag) => format!("entry of type {flag:?}"),
        }
    }
}

/// One entry as the archive stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name as stored (a folder's ends with `/` when it was so written).
    pub name: String,
    pub kind: EntryKind,
    pub content: Content,
    pub header: Header,
}

impl Entry {
    /// The name two archives' entries are matched by: without the `/` a
    /// folder's name may end with.
    pub fn key(&self) -> &str {
        entry_key(&self.name)
    }
}

/// The name entries are matched by.
pub fn entry_key(name: &str) -> &str {
    name.strip_suffix('/').unwrap_or(name)
}

/// The format-specific fields of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Zip(zip::ZipHeader),
    Tar(tar::TarHeader),
}

/// What a whole archive is stored with, besides its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveHeader {
    Zip(zip::ZipTrailer),
    TarGz(tar::GzipInfo),
}

/// An archive read whole: its entries in stored order and its own header.
#[derive(Debug, Clone)]
pub struct Listing {
    pub path: PathBuf,
    pub format: Format,
    pub entries: Vec<Entry>,
    pub header: ArchiveHeader,
}

/// Reads every entry of the archive at `path`, hashing its bytes.
pub fn read_listing(path: &Path, format: Format, limits: &Limits) -> Result<Listing, ReadError> {
    let (entries, header) = match format {
        Format::Zip => {
            let mut archive = zip::ZipReader::open(path, limits)?;
            let entries = archive.listing()?;
            (entries, ArchiveHeader::Zip(archive.trailer().clone()))
        }
        Format::TarGz => {
            let (entries, info) = tar::listing(path, limits)?;
            (entries, ArchiveHeader::TarGz(info))
        }
    };
    Ok(Listing {
        path: path.to_path_buf(),
        format,
        entries,
        header,
    })
}

/// A part of an entry's bytes: `len` bytes from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub start: u64,
    pub len: u64,
}

/// The parts of the entries named in `wanted` (by stored name), as far as
/// each entry holds them.
pub fn read_parts(
    path: &Path,
    format: Format,
    limits: &Limits,
    wanted: &BTreeMap<String, Part>,
) -> Result<BTreeMap<String, Vec<u8>>, ReadError> {
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    match format {
        Format::Zip => zip::ZipReader::open(path, limits)?.parts(wanted),
        Format::TarGz => tar::parts(path, limits, wanted),
    }
}

/// Reads a reader to its end in pieces, handing each to `sink`.
pub fn pump(
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => sink(&buffer[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads `part` of `reader`: skips to its start, then keeps what is there.
pub fn read_part(reader: &mut dyn Read, part: Part) -> std::io::Result<Vec<u8>> {
    std::io::copy(&mut reader.take(part.start), &mut std::io::sink())?;
    let mut bytes = Vec::new();
    reader.take(part.len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(bytes: &[u8]) -> Content {
        let mut hasher = ContentHasher::default();
        // Fed in odd pieces: the chunks must not depend on them.
        for piece in bytes.chunks(7919) {
            hasher.update(piece);
        }
        hasher.finish()
    }

    #[test]
    fn a_difference_is_found_in_its_chunk() {
        let chunk = CHUNK as usize;
        let left = vec![7u8; 3 * chunk + 10];
        let mut right = left.clone();
        right[2 * chunk + 5] = 8;
        assert_eq!(content(&left).size, left.len() as u64);
        assert_eq!(content(&left), content(&left.clone()));
        assert_eq!(
            content(&left).first_different_chunk(&content(&right)),
            Some(2 * CHUNK)
        );
        // One a prefix of the other: the first chunk that is not whole in both.
        assert_eq!(
            content(&left[..chunk]).first_different_chunk(&content(&left)),
            Some(CHUNK)
        );
        assert_eq!(
            content(&left[..chunk + 1]).first_different_chunk(&content(&left)),
            Some(CHUNK)
        );
        assert_eq!(content(b"").first_different_chunk(&content(b"a")), Some(0));
        assert_eq!(content(b"a").first_different_chunk(&content(b"a")), None);
    }

    #[test]
    fn formats_come_from_names() {
        for (name, format) in [
            ("six-1.0-py3-none-any.whl", Some(Format::Zip)),
            ("x.ZIP", Some(Format::Zip)),
            ("six-1.0.tar.gz", Some(Format::TarGz)),
            ("six-1.0.tgz", Some(Format::TarGz)),
            ("six-1.0.tar.bz2", None),
            ("six-1.0.tar", None),
        ] {
            assert_eq!(Format::of_path(Path::new(name)), format, "{name}");
        }
    }

    #[test]
    fn parts_are_cut_from_streams() {
        let bytes: Vec<u8> = (0..=255).collect();
        let part = |start, len| read_part(&mut bytes.as_slice(), Part { start, len }).unwrap();
        assert_eq!(part(10, 3), vec![10, 11, 12]);
        assert_eq!(part(250, 100), vec![250, 251, 252, 253, 254, 255]);
        assert!(part(300, 5).is_empty());
    }
}
