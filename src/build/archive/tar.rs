//! Gzip-compressed tar archives (sdists) read within bounds: the gzip
//! header as written, then every tar header with the pax records and GNU
//! long names that apply to it, and the bytes of each entry.
//!
//! Written by hand rather than with the `tar` crate, which reads a pax
//! header or a long name of any declared size into memory and hides the
//! header fields a comparison reports. Every gzip member is read, as GNU
//! tar and Python's `tarfile` read them. Refused rather than interpreted:
//! a header with a bad checksum, a name stored twice, a non-UTF-8 name,
//! two pax headers for one entry, and a folder, link or device that
//! declares data (tools disagree on whether to skip it).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::error::ReadError;
pub use super::types::TarHeader;
use super::types::{
    Content, ContentHasher, Entry, EntryKind, Header, Limits, Part, entry_key, pump, read_part,
};

const BLOCK: usize = 512;
/// The most bytes a gzip header's optional fields may take.
const MAX_GZIP_HEADER: u64 = 256 * 1024;

/// The gzip wrapper of a tar.gz: its first member's header and what it
/// compresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipInfo {
    pub flags: u8,
    pub mtime: u32,
    pub extra_flags: u8,
    pub os: u8,
    pub extra: Option<Vec<u8>>,
    pub filename: Option<Vec<u8>>,
    pub comment: Option<Vec<u8>>,
    /// The size of the whole file.
    pub compressed_size: u64,
    /// The tar stream inside, decompressed.
    pub tar: Content,
}

/// An entry's header, as [`visit`] hands it over with its bytes.
#[derive(Debug, Clone)]
pub struct Head {
    pub name: String,
    pub kind: EntryKind,
    pub size: u64,
    pub header: TarHeader,
}

/// The decompressed tar stream: hashed and counted as it is read, and
/// refused past the limit.
struct TarStream {
    inner: flate2::bufread::MultiGzDecoder<BufReader<File>>,
    hasher: ContentHasher,
    read: u64,
    limit: u64,
}

impl Read for TarStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(TooLarge(self.limit)));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The marker error of a stream that expands beyond the limit.
#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "it expands to more than {} bytes", self.0)
    }
}

impl std::error::Error for TooLarge {}

/// Pax records and GNU long names waiting for the entry they describe.
#[derive(Default)]
struct Pending {
    local: Option<BTreeMap<String, String>>,
    global: BTreeMap<String, String>,
    long_name: Option<String>,
    long_link: Option<String>,
}

/// Reads the tar.gz at `path`, calling `visit` with each entry and a
/// reader of its bytes (what it leaves unread is skipped).
pub fn visit(
    path: &Path,
    limits: &Limits,
    visit: &mut dyn FnMut(&Head, &mut dyn Read) -> Result<(), ReadError>,
) -> Result<GzipInfo, ReadError> {
    let mut reader = TarReader::open(path, limits)?;
    let mut pending = Pending::default();
    let mut seen = BTreeSet::new();
    while let Some(block) = reader.next_header()? {
        let Some(head) = reader.head(&block, &mut pending)? else {
            continue;
        };
        if !seen.insert(entry_key(&head.name).to_string()) {
            return Err(reader.ambiguous(format!(
                "{} is stored twice: tools would extract the last one",
                head.name
            )));
        }
        if seen.len() > limits.max_entries {
            return Err(ReadError::TooLarge {
                path: path.to_path_buf(),
                message: format!("it holds more than {} entries", limits.max_entries),
            });
        }
        reader.entry_data(&head, visit)?;
    }
    reader.finish()
}

/// Every entry of the tar.gz at `path` in stored order, its bytes hashed,
/// and the gzip header.
pub fn listing(path: &Path, limits: &Limits) -> Result<(Vec<Entry>, GzipInfo), ReadError> {
    let mut entries = Vec::new();
    let info = visit(path, limits, &mut |head, data| {
        let mut hasher = ContentHasher::default();
        pump(data, &mut |bytes| {
            hasher.update(bytes);
            Ok(())
        })
        .map_err(|e| stream_error(path, &head.name, e))?;
        entries.push(Entry {
            name: head.name.clone(),
            kind: head.kind,
            content: hasher.finish(),
            header: Header::Tar(head.header.clone()),
        });
        Ok(())
    })?;
    Ok((entries, info))
}

/// The parts of the entries `wanted` names.
pub fn parts(
    path: &Path,
    limits: &Limits,
    wanted: &BTreeMap<String, Part>,
) -> Result<BTreeMap<String, Vec<u8>>, ReadError> {
    let mut parts = BTreeMap::new();
    visit(path, limits, &mut |head, data| {
        if let Some(part) = wanted.get(&head.name) {
            let bytes = read_part(data, *part).map_err(|e| stream_error(path, &head.name, e))?;
            parts.insert(head.name.clone(), bytes);
        }
        Ok(())
    })?;
    Ok(parts)
}

/// A part of the decompressed tar stream itself.
pub fn stream_part(path: &Path, limits: &Limits, part: Part) -> Result<Vec<u8>, ReadError> {
    let mut reader = TarReader::open(path, limits)?;
    read_part(&mut reader.stream, part).map_err(|e| reader.stream_error(e))
}

/// The error of a failed read inside an entry's bytes: too large, or
/// corrupt.
pub fn stream_error(path: &Path, entry: &str, error: std::io::Error) -> ReadError {
    match error.get_ref().and_then(|e| e.downcast_ref::<TooLarge>()) {
        Some(too_large) => ReadError::TooLarge {
            path: path.to_path_buf(),
            message: too_large.to_string(),
        },
        None => ReadError::Corrupt {
            path: path.to_path_buf(),
            format: "tar.gz archive",
            message: format!("{entry}: {error}"),
        },
    }
}

struct TarReader {
    path: PathBuf,
    stream: TarStream,
    info: GzipInfo,
    limits: Limits,
}

impl TarReader {
    fn open(path: &Path, limits: &Limits) -> Result<Self, ReadError> {
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let compressed_size = file.metadata().map_err(io)?.len();
        let mut start = Vec::new();
        (&file)
            .take(MAX_GZIP_HEADER)
            .read_to_end(&mut start)
            .map_err(io)?;
        let info = gzip_header(&start, compressed_size).map_err(|message| ReadError::Corrupt {
            path: path.to_path_buf(),
            format: "gzip file",
            message,
        })?;
        let file = File::open(path).map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            stream: TarStream {
                inner: flate2::bufread::MultiGzDecoder::new(BufReader::new(file)),
                hasher: ContentHasher::default(),
                read: 0,
                limit: limits.max_total_bytes,
            },
            info,
            limits: *limits,
        })
    }

    fn corrupt(&self, message: impl Into<String>) -> ReadError {
        ReadError::Corrupt {
            path: self.path.clone(),
            format: "tar.gz archive",
            message: message.into(),
        }
    }

    fn ambiguous(&self, message: String) -> ReadError {
        ReadError::Ambiguous {
            path: self.path.clone(),
            message,
        }
    }

    fn stream_error(&self, error: std::io::Error) -> ReadError {
        stream_error(&self.path, "(archive)", error)
    }

    /// The next header block, or `None` at the end-of-archive marker (a
    /// zero block) or at the end of the stream.
    fn next_header(&mut self) -> Result<Option<[u8; BLOCK]>, ReadError> {
        let mut block = [0u8; BLOCK];
        let mut filled = 0;
        while filled < BLOCK {
            match self.stream.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.stream_error(e)),
            }
        }
        match filled {
            0 => Ok(None),
            BLOCK if block.iter().all(|&b| b == 0) => Ok(None),
            BLOCK => Ok(Some(block)),
            _ => Err(self.corrupt("the tar stream ends inside a header")),
        }
    }

    /// The entry a header block describes, or `None` when the block is a
    /// pax header or a long name (kept in `pending` for the next entry).
    fn head(
        &mut self,
        block: &[u8; BLOCK],
        pending: &mut Pending,
    ) -> Result<Option<Head>, ReadError> {
        check_checksum(block).map_err(|m| self.corrupt(m))?;
        let fields = RawFields::parse(block).map_err(|m| self.corrupt(m))?;
        match fields.typeflag {
            b'x' | b'g' | b'L' | b'K' => {
                self.metadata_entry(&fields, pending)?;
                Ok(None)
            }
            _ => self.apply_pending(fields, pending).map(Some),
        }
    }

    fn metadata_entry(
        &mut self,
        fields: &RawFields,
        pending: &mut Pending,
    ) -> Result<(), ReadError> {
        if fields.size > self.limits.max_metadata_bytes {
            return Err(ReadError::TooLarge {
                path: self.path.clone(),
                message: format!(
                    "a {} header holds {} bytes, more than {}",
                    char::from(fields.typeflag),
                    fields.size,
                    self.limits.max_metadata_bytes
                ),
            });
        }
        let data = self.read_data(fields.size)?;
        match fields.typeflag {
            b'x' if pending.local.is_some() => {
                Err(self.ambiguous("two pax headers describe one entry".into()))
            }
            b'x' => {
                pending.local = Some(parse_pax(&data).map_err(|m| self.corrupt(m))?);
                Ok(())
            }
            b'g' => {
                pending
                    .global
                    .extend(parse_pax(&data).map_err(|m| self.corrupt(m))?);
                Ok(())
            }
            flag => {
                let text = long_name(&data).map_err(|m| self.corrupt(m))?;
                if flag == b'L' {
                    pending.long_name = Some(text);
                } else {
                    pending.long_link = Some(text);
                }
                Ok(())
            }
        }
    }

    /// Reads `size` bytes of data and the padding after them.
    fn read_data(&mut self, size: u64) -> Result<Vec<u8>, ReadError> {
        let mut data = Vec::new();
        (&mut self.stream)
            .take(size)
            .read_to_end(&mut data)
            .map_err(|e| self.stream_error(e))?;
        if data.len() as u64 != size {
            return Err(self.corrupt("the tar stream ends inside an entry"));
        }
        self.skip_padding(size)?;
        Ok(data)
    }

    fn skip_padding(&mut self, size: u64) -> Result<(), ReadError> {
        let padding = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        let skipped = std::io::copy(&mut (&mut self.stream).take(padding), &mut std::io::sink())
            .map_err(|e| self.stream_error(e))?;
        if skipped != padding {
            return Err(self.corrupt("the tar stream ends inside an entry's padding"));
        }
        Ok(())
    }

    fn apply_pending(&self, fields: RawFields, pending: &mut Pending) -> Result<Head, ReadError> {
        let mut pax = pending.global.clone();
        pax.extend(pending.local.take().unwrap_or_default());
        let long_name = pending.long_name.take();
        let long_link = pending.long_link.take();
        let kind = kind_of(fields.typeflag);
        let name = match pax.remove("path").or(long_name) {
            Some(name) => name,
            None => utf8(&fields.name, "name").map_err(|m| self.corrupt(m))?,
        };
        let link_field = match pax.remove("linkpath").or(long_link) {
            Some(link) => link,
            None => utf8(&fields.link, "link name").map_err(|m| self.corrupt(m))?,
        };
        let number = |pax: &mut BTreeMap<String, String>, key: &str, header: u64| {
            pax.remove(key).map_or(Ok(header), |text| {
                text.parse::<u64>().map_err(|_| {
                    self.corrupt(format!("{name}: pax {key} {text:?} is not a number"))
                })
            })
        };
        let size = number(&mut pax, "size", fields.size)?;
        let uid = number(&mut pax, "uid", fields.uid)?;
        let gid = number(&mut pax, "gid", fields.gid)?;
        let text = |pax: &mut BTreeMap<String, String>, key: &str, header: &[u8]| {
            pax.remove(key)
                .map_or_else(|| utf8(header, key), Ok)
                .map_err(|m| self.corrupt(format!("{name}: {m}")))
        };
        let uname = text(&mut pax, "uname", &fields.uname)?;
        let gname = text(&mut pax, "gname", &fields.gname)?;
        let mtime = pax
            .remove("mtime")
            .unwrap_or_else(|| fields.mtime.to_string());
        let has_link = matches!(kind, EntryKind::Symlink | EntryKind::Hardlink);
        let header = TarHeader {
            mode: fields.mode & 0o7777,
            uid,
            gid,
            uname,
            gname,
            mtime,
            link: has_link.then_some(link_field),
            format: fields.format,
            devmajor: fields.devmajor,
            devminor: fields.devminor,
            pax,
        };
        self.check_entry(&name, kind, size)?;
        Ok(Head {
            name,
            kind,
            size,
            header,
        })
    }

    fn check_entry(&self, name: &str, kind: EntryKind, size: u64) -> Result<(), ReadError> {
        if name.is_empty() {
            return Err(self.corrupt("an entry has an empty name"));
        }
        let carries_data = matches!(kind, EntryKind::File | EntryKind::Other(_))
            && !matches!(kind, EntryKind::Other('3' | '4' | '6'));
        if !carries_data && size != 0 {
            return Err(self.ambiguous(format!(
                "{name} is a {} that declares {size} bytes of data: tools disagree on skipping them",
                kind.describe()
            )));
        }
        if size > self.limits.max_entry_bytes {
            return Err(ReadError::TooLarge {
                path: self.path.clone(),
                message: format!(
                    "{name} holds {size} bytes, more than {}",
                    self.limits.max_entry_bytes
                ),
            });
        }
        Ok(())
    }

    /// Hands the entry's bytes to `visit`, then skips what it left and the
    /// padding.
    fn entry_data(
        &mut self,
        head: &Head,
        visit: &mut dyn FnMut(&Head, &mut dyn Read) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        let unread = {
            let mut data = (&mut self.stream).take(head.size);
            visit(head, &mut data)?;
            std::io::copy(&mut data, &mut std::io::sink())
                .map_err(|e| stream_error(&self.path, &head.name, e))?;
            data.limit()
        };
        if unread != 0 {
            return Err(self.corrupt(format!("the tar stream ends inside {}", head.name)));
        }
        self.skip_padding(head.size)
    }

    /// Reads what follows the end marker, so that the stream's digest and
    /// every gzip member's checksum cover the whole file.
    fn finish(mut self) -> Result<GzipInfo, ReadError> {
        std::io::copy(&mut self.stream, &mut std::io::sink()).map_err(|e| self.stream_error(e))?;
        let mut info = self.info;
        info.tar = self.stream.hasher.finish();
        Ok(info)
    }
}

/// The fields of a header block, undecoded where decoding can fail.
struct RawFields {
    name: Vec<u8>,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: u64,
    typeflag: u8,
    link: Vec<u8>,
    format: String,
    uname: Vec<u8>,
    gname: Vec<u8>,
    devmajor: u64,
    devminor: u64,
}

impl RawFields {
    fn parse(block: &[u8; BLOCK]) -> Result<Self, String> {
        let number = |range: std::ops::Range<usize>, what: &str| {
            parse_number(&block[range])
                .ok_or_else(|| format!("the header's {what} is not a number"))
        };
        let format = match &block[257..265] {
            b"ustar\x0000" => "ustar".to_string(),
            b"ustar  \x00" => "gnu".to_string(),
            magic if magic.iter().all(|&b| b == 0) => "v7".to_string(),
            magic => magic.escape_ascii().to_string(),
        };
        let mut name = until_nul(&block[0..100]).to_vec();
        let prefix = until_nul(&block[345..500]);
        if format == "ustar" && !prefix.is_empty() {
            name = [prefix, b"/", &name].concat();
        }
        Ok(Self {
            name,
            mode: u32::try_from(number(100..108, "mode")?).map_err(|_| "the mode is too large")?,
            uid: number(108..116, "uid")?,
            gid: number(116..124, "gid")?,
            size: number(124..136, "size")?,
            mtime: number(136..148, "mtime")?,
            typeflag: block[156],
            link: until_nul(&block[157..257]).to_vec(),
            uname: until_nul(&block[265..297]).to_vec(),
            gname: until_nul(&block[297..329]).to_vec(),
            devmajor: number(329..337, "device major")?,
            devminor: number(337..345, "device minor")?,
            format,
        })
    }
}

fn kind_of(typeflag: u8) -> EntryKind {
    match typeflag {
        b'0' | b'\0' | b'7' => EntryKind::File,
        b'1' => EntryKind::Hardlink,
        b'2' => EntryKind::Symlink,
        b'5' => EntryKind::Dir,
        other => EntryKind::Other(char::from(other)),
    }
}

fn until_nul(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or_default()
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        format!(
            "the {what} {:?} is not UTF-8",
            bytes.escape_ascii().to_string()
        )
    })
}

/// A numeric header field: octal digits (spaces and NULs around them), or
/// GNU's base-256 (the first byte's high bit set); `None` when it is
/// neither, negative, or beyond 64 bits.
fn parse_number(field: &[u8]) -> Option<u64> {
    match field.first() {
        Some(&first) if first & 0x80 != 0 => {
            if first == 0xff {
                return None;
            }
            let mut rest = std::iter::once(first & 0x7f).chain(field[1..].iter().copied());
            rest.try_fold(0u64, |value, byte| {
                value.checked_mul(256)?.checked_add(u64::from(byte))
            })
        }
        _ => {
            let text = field.split(|&b| b == 0).next().unwrap_or_default();
            let digits = text.trim_ascii();
            if digits.is_empty() {
                return Some(0);
            }
            digits.iter().try_fold(0u64, |value, &byte| {
                let digit = (byte as char).to_digit(8)?;
                value.checked_mul(8)?.checked_add(u64::from(digit))
            })
        }
    }
}

/// Checks a header's checksum: the sum of its bytes with the checksum
/// field as spaces, unsigned (POSIX) or signed (old tars).
fn check_checksum(block: &[u8; BLOCK]) -> Result<(), String> {
    let stored = parse_number(&block[148..156]).ok_or("the header checksum is not a number")?;
    let spaces = 8 * u64::from(b' ');
    let (unsigned, signed) = block
        .iter()
        .enumerate()
        .filter(|(i, _)| !(148..156).contains(i))
        .fold((spaces, spaces as i64), |(u, s), (_, &b)| {
            (u + u64::from(b), s + i64::from(b as i8))
        });
    if stored == unsigned || i64::try_from(stored) == Ok(signed) {
        Ok(())
    } else {
        Err(format!(
            "a header's checksum is {stored:o}, its bytes sum to {unsigned:o}"
        ))
    }
}

/// The records of a pax header: `LENGTH KEY=VALUE\n`, LENGTH counting
/// the whole record.
fn parse_pax(data: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let mut records = BTreeMap::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or("a pax record has no length")?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or("a pax record's length is not a number")?;
        let record = rest
            .get(space + 1..len)
            .filter(|r| r.ends_with(b"\n"))
            .ok_or("a pax record's length does not match its text")?;
        let record = &record[..record.len() - 1];
        let equals = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or("a pax record has no `=`")?;
        let key = String::from_utf8_lossy(&record[..equals]).into_owned();
        let value = String::from_utf8_lossy(&record[equals + 1..]).into_owned();
        records.insert(key, value);
        rest = &rest[len..];
    }
    Ok(records)
}

/// A GNU long name's text, without the NULs that end it.
fn long_name(data: &[u8]) -> Result<String, String> {
    utf8(until_nul(data), "long name")
}

/// The header of a gzip file's first member (RFC 1952).
fn gzip_header(bytes: &[u8], compressed_size: u64) -> Result<GzipInfo, String> {
    if bytes.get(0..3) != Some(&[0x1f, 0x8b, 8]) {
        return Err("it does not start with a gzip header".into());
    }
    let byte = |at: usize| bytes.get(at).copied().ok_or("the gzip header is truncated");
    let flags = byte(3)?;
    let mtime = u32::from_le_bytes([byte(4)?, byte(5)?, byte(6)?, byte(7)?]);
    let mut info = GzipInfo {
        flags,
        mtime,
        extra_flags: byte(8)?,
        os: byte(9)?,
        extra: None,
        filename: None,
        comment: None,
        compressed_size,
        tar: Content::default(),
    };
    let mut at = 10;
    if flags & 4 != 0 {
        let len = usize::from(u16::from_le_bytes([byte(at)?, byte(at + 1)?]));
        let extra = bytes
            .get(at + 2..at + 2 + len)
            .ok_or("the gzip header's extra field is truncated")?;
        info.extra = Some(extra.to_vec());
        at += 2 + len;
    }
    for (flag, field) in [(8, &mut info.filename), (16, &mut info.comment)] {
        if flags & flag != 0 {
            let rest = bytes.get(at..).unwrap_or_default();
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or("a gzip header field has no end")?;
            *field = Some(rest[..end].to_vec());
            at += end + 1;
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_octal_or_base_256() {
        assert_eq!(parse_number(b"0000644\0"), Some(0o644));
        assert_eq!(parse_number(b" 644 \0\0\0"), Some(0o644));
        assert_eq!(parse_number(b"\0\0\0\0\0\0\0\0"), Some(0));
        assert_eq!(parse_number(b"00000000017\0"), Some(15));
        assert_eq!(parse_number(b"0009\0"), None);
        assert_eq!(
            parse_number(&[0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]),
            Some(2 << 32)
        );
        assert_eq!(parse_number(&[0xff; 12]), None);
        assert_eq!(
            parse_number(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(parse_number(b"77777777777777777777777777"), None);
    }

    #[test]
    fn pax_records_are_read_by_their_lengths() {
        let records = parse_pax(b"30 mtime=1700000000.123456789\n19 path=a b=c/d.py\n").unwrap();
        assert_eq!(records["mtime"], "1700000000.123456789");
        assert_eq!(records["path"], "a b=c/d.py");
        for bad in [
            &b"30 mtime=1\n"[..],
            b"x path=a\n",
            b"9 patha\n",
            b"7 path=a",
            b"1000000000000000000000000 p=a\n",
        ] {
            assert!(parse_pax(bad).is_err(), "{}", bad.escape_ascii());
        }
        assert!(parse_pax(b"").unwrap().is_empty());
    }

    #[test]
    fn checksums_are_checked() {
        let mut block = [0u8; BLOCK];
        block[..5].copy_from_slice(b"a.txt");
        block[156] = b'0';
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert!(check_checksum(&block).is_ok());
        block[0] = b'b';
        assert!(check_checksum(&block).is_err());
    }

    #[test]
    fn gzip_headers_are_read_field_by_field() {
        let mut header = vec![0x1f, 0x8b, 8, 8 | 16, 0x10, 0, 0, 0, 2, 3];
        header.extend_from_slice(b"six.tar\0hello\0rest");
        let info = gzip_header(&header, 99).unwrap();
        assert_eq!(info.mtime, 16);
        assert_eq!((info.extra_flags, info.os), (2, 3));
        assert_eq!(info.filename.as_deref(), Some(&b"six.tar"[..]));
        assert_eq!(info.comment.as_deref(), Some(&b"hello"[..]));
        assert!(gzip_header(b"PK\x03\x04", 4).is_err());
        assert!(gzip_header(&[0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3, b'a'], 11).is_err());
    }
}
