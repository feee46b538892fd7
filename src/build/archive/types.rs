//! What an archive holds, at the bottom of `archive/`: the entries and
//! their headers, the content digests, the limits and the parts of an
//! entry's bytes. The readers ([`super::zip`], [`super::tar`]) and
//! `archive`'s root import them from here; this module imports none of them.

use std::collections::BTreeMap;
use std::io::Read;

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
    Zip(ZipHeader),
    Tar(TarHeader),
}

/// The fields of one entry, as its directory record and local header
/// store them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipHeader {
    /// The system (high byte: 3 is Unix, 0 MS-DOS) and the zip version.
    pub version_made_by: u16,
    pub version_needed: u16,
    pub flags: u16,
    pub method: u16,
    pub dos_time: u16,
    pub dos_date: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub internal_attributes: u16,
    pub external_attributes: u32,
    pub central_extra: Vec<u8>,
    pub local_extra: Vec<u8>,
    pub comment: Vec<u8>,
    /// The SHA-256 of the stored (compressed) bytes.
    pub stored_sha256: [u8; 32],
}

impl ZipHeader {
    /// The Unix mode (type and permission bits) in the high half of the
    /// external attributes, where pip and `zipfile` look for it; `None`
    /// when the writer left it empty (an MS-DOS-made zip).
    pub fn unix_mode(&self) -> Option<u32> {
        let mode = self.external_attributes >> 16;
        (mode != 0).then_some(mode)
    }

    pub(super) fn kind(&self, name: &str) -> EntryKind {
        let by_mode = self.unix_mode().map(|mode| mode & 0o170_000);
        match by_mode {
            _ if name.ends_with('/') => EntryKind::Dir,
            None | Some(0) | Some(0o100_000) => EntryKind::File,
            Some(0o040_000) => EntryKind::Dir,
            Some(0o120_000) => EntryKind::Symlink,
            Some(0o020_000) => EntryKind::Other('3'),
            Some(0o060_000) => EntryKind::Other('4'),
            Some(0o010_000) => EntryKind::Other('6'),
            Some(_) => EntryKind::Other('?'),
        }
    }
}

/// The fields of one tar entry, with the pax records and long names that
/// apply to it already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarHeader {
    /// The permission bits (with set-user-id, set-group-id and sticky).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    /// The modification time as stored: a pax `mtime` record's text, else
    /// the header's seconds.
    pub mtime: String,
    /// A link's target.
    pub link: Option<String>,
    /// `ustar` (POSIX), `gnu`, `v7`, or the magic bytes escaped.
    pub format: String,
    pub devmajor: u64,
    pub devminor: u64,
    /// The pax records that are not applied to the fields above.
    pub pax: BTreeMap<String, String>,
}

/// A part of an entry's bytes: `len` bytes from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub start: u64,
    pub len: u64,
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
    fn parts_are_cut_from_streams() {
        let bytes: Vec<u8> = (0..=255).collect();
        let part = |start, len| read_part(&mut bytes.as_slice(), Part { start, len }).unwrap();
        assert_eq!(part(10, 3), vec![10, 11, 12]);
        assert_eq!(part(250, 100), vec![250, 251, 252, 253, 254, 255]);
        assert!(part(300, 5).is_empty());
    }
}
