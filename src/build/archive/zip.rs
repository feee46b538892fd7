//! Zip archives (wheels) read strictly: the end record and the central
//! directory, each entry's local header, and its data inflated within
//! bounds, with its CRC and size checked.
//!
//! Refused rather than interpreted: an archive split over disks, a name
//! stored twice, a local header whose name or method differs from the
//! directory's, entries whose data overlap (the layout of zip bombs),
//! bytes between the directory and its end record, encryption, and
//! compression other than stored and deflate (the two wheels use).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::error::ReadError;
pub use super::types::ZipHeader;
use super::types::{ContentHasher, Entry, EntryKind, Header, Limits, Part, pump};
use crate::digest::Sha256Hasher;

const END_RECORD: &[u8; 4] = b"PK\x05\x06";
const ZIP64_LOCATOR: &[u8; 4] = b"PK\x06\x07";
const ZIP64_END_RECORD: &[u8; 4] = b"PK\x06\x06";
const DIRECTORY_ENTRY: &[u8; 4] = b"PK\x01\x02";
const LOCAL_HEADER: &[u8; 4] = b"PK\x03\x04";
const END_RECORD_LEN: usize = 22;
const DIRECTORY_ENTRY_LEN: usize = 46;
const LOCAL_HEADER_LEN: usize = 30;
const ZIP64_EXTRA: u16 = 0x0001;
pub const STORED: u16 = 0;
pub const DEFLATED: u16 = 8;
/// The general-purpose flag of an encrypted entry.
const FLAG_ENCRYPTED: u16 = 1;

/// What a zip stores after its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZipTrailer {
    pub comment: Vec<u8>,
    /// Whether the end record has a ZIP64 companion.
    pub zip64: bool,
}

/// An entry located: its header fields, where its data is, how big it is.
struct Located {
    name: String,
    header: ZipHeader,
    header_offset: u64,
    data_start: u64,
    size: u64,
}

/// A zip opened: its directory read and every local header checked.
pub struct ZipReader {
    path: PathBuf,
    file: File,
    entries: Vec<Located>,
    trailer: ZipTrailer,
    limits: Limits,
    expanded: u64,
}

/// Where the central directory is, from the end record(s).
struct Directory {
    offset: u64,
    size: u64,
    count: u64,
    trailer: ZipTrailer,
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The name of a compression method, as APPNOTE numbers them.
pub fn method_name(method: u16) -> String {
    match method {
        STORED => "stored".into(),
        DEFLATED => "deflate".into(),
        9 => "deflate64".into(),
        12 => "bzip2".into(),
        14 => "lzma".into(),
        93 => "zstd".into(),
        95 => "xz".into(),
        other => format!("method {other}"),
    }
}

impl ZipReader {
    /// Opens the zip at `path`: the end record, the directory, and every
    /// local header, within `limits`.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self, ReadError> {
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut reader = Self {
            path: path.to_path_buf(),
            file: file.try_clone().map_err(io)?,
            entries: Vec::new(),
            trailer: ZipTrailer::default(),
            limits: *limits,
            expanded: 0,
        };
        let directory = reader.directory(&mut file, len)?;
        reader.trailer = directory.trailer.clone();
        let bytes = reader.read_at(directory.offset, directory.size)?;
        reader.entries = reader.parse_directory(&bytes, directory.count)?;
        reader.check_names()?;
        reader.locate_data(directory.offset)?;
        Ok(reader)
    }

    pub fn trailer(&self) -> &ZipTrailer {
        &self.trailer
    }

    fn corrupt(&self, message: impl Into<String>) -> ReadError {
        ReadError::Corrupt {
            path: self.path.clone(),
            format: "zip archive",
            message: message.into(),
        }
    }

    fn io(&self, source: std::io::Error) -> ReadError {
        ReadError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn read_at(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(|e| self.io(e))?;
        (&mut self.file)
            .take(len)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io(e))?;
        if bytes.len() as u64 != len {
            return Err(self.corrupt(format!(
                "{len} bytes at offset {offset} run past the end of the file"
            )));
        }
        Ok(bytes)
    }

    /// Finds the end record: the last one whose comment ends the file.
    fn directory(&mut self, file: &mut File, len: u64) -> Result<Directory, ReadError> {
        let tail_len = len.min((END_RECORD_LEN + usize::from(u16::MAX)) as u64);
        let tail_start = len - tail_len;
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(tail_start))
            .and_then(|_| file.take(tail_len).read_to_end(&mut tail))
            .map_err(|e| self.io(e))?;
        let at = (0..tail.len().saturating_sub(END_RECORD_LEN - 1))
            .rev()
            .find(|&at| {
                tail[at..].starts_with(END_RECORD)
                    && le16(&tail, at + 20)
                        .is_some_and(|n| at + END_RECORD_LEN + usize::from(n) == tail.len())
            })
            .ok_or_else(|| self.corrupt("no end of central directory record"))?;
        let record = &tail[at..];
        let end_offset = tail_start + at as u64;
        let field16 = |i| u64::from(le16(record, i).unwrap_or(0));
        let field32 = |i| u64::from(le32(record, i).unwrap_or(0));
        if field16(4) != 0 || field16(6) != 0 || field16(8) != field16(10) {
            return Err(ReadError::Unsupported {
                path: self.path.clone(),
                entry: "(archive)".into(),
                message: "the archive spans several disks".into(),
            });
        }
        let mut directory = Directory {
            count: field16(10),
            size: field32(12),
            offset: field32(16),
            trailer: ZipTrailer {
                comment: record[END_RECORD_LEN..].to_vec(),
                zip64: false,
            },
        };
        let mut directory_end = end_offset;
        if end_offset >= 20 {
            let locator = self.read_at(end_offset - 20, 20)?;
            if locator.starts_with(ZIP64_LOCATOR) {
                directory_end = self.zip64_directory(&locator, &mut directory)?;
            }
        }
        self.check_directory_bounds(&directory, directory_end)?;
        Ok(directory)
    }

    /// Reads the ZIP64 end record the locator points to into `directory`;
    /// returns where that record starts (the directory must end there).
    fn zip64_directory(
        &mut self,
        locator: &[u8],
        directory: &mut Directory,
    ) -> Result<u64, ReadError> {
        let offset = le64(locator, 8).unwrap_or(u64::MAX);
        if le32(locator, 4) != Some(0) || le32(locator, 16) != Some(1) {
            return Err(ReadError::Unsupported {
                path: self.path.clone(),
                entry: "(archive)".into(),
                message: "the archive spans several disks".into(),
            });
        }
        let record = self.read_at(offset, 56)?;
        if !record.starts_with(ZIP64_END_RECORD) {
            return Err(self.corrupt("the ZIP64 locator points to no ZIP64 end record"));
        }
        let field = |i| le64(&record, i).unwrap_or(u64::MAX);
        if field(24) != field(32) {
            return Err(self.corrupt("the ZIP64 end record counts entries twice differently"));
        }
        directory.count = field(32);
        directory.size = field(40);
        directory.offset = field(48);
        directory.trailer.zip64 = true;
        Ok(offset)
    }

    fn check_directory_bounds(&self, directory: &Directory, end: u64) -> Result<(), ReadError> {
        if directory.count > self.limits.max_entries as u64 {
            return Err(ReadError::TooLarge {
                path: self.path.clone(),
                message: format!(
                    "its directory lists {} entries, more than {}",
                    directory.count, self.limits.max_entries
                ),
            });
        }
        if directory.size > self.limits.max_metadata_bytes {
            return Err(ReadError::TooLarge {
                path: self.path.clone(),
                message: format!(
                    "its central directory holds {} bytes, more than {}",
                    directory.size, self.limits.max_metadata_bytes
                ),
            });
        }
        if directory.offset.checked_add(directory.size) != Some(end) {
            return Err(self.corrupt(format!(
                "the central directory ({} bytes at offset {}) does not end where its end record starts ({end})",
                directory.size, directory.offset
            )));
        }
        Ok(())
    }

    fn parse_directory(&self, bytes: &[u8], count: u64) -> Result<Vec<Located>, ReadError> {
        let mut entries = Vec::new();
        let mut at = 0;
        for index in 0..count {
            let (entry, next) = self
                .parse_directory_entry(bytes, at)
                .ok_or_else(|| self.corrupt(format!("directory entry {index} is malformed")))??;
            entries.push(entry);
            at = next;
        }
        if at != bytes.len() {
            return Err(self.corrupt(format!(
                "the directory holds {} bytes after its {count} entries",
                bytes.len() - at
            )));
        }
        Ok(entries)
    }

    /// One directory record at `at`: the entry and where the next starts;
    /// `None` when the record runs past the directory.
    fn parse_directory_entry(
        &self,
        bytes: &[u8],
        at: usize,
    ) -> Option<Result<(Located, usize), ReadError>> {
        if !bytes.get(at..)?.starts_with(DIRECTORY_ENTRY) {
            return None;
        }
        let name_len = usize::from(le16(bytes, at + 28)?);
        let extra_len = usize::from(le16(bytes, at + 30)?);
        let comment_len = usize::from(le16(bytes, at + 32)?);
        let name_start = at + DIRECTORY_ENTRY_LEN;
        let extra_start = name_start + name_len;
        let comment_start = extra_start + extra_len;
        let next = comment_start + comment_len;
        let name_bytes = bytes.get(name_start..extra_start)?;
        let extra = bytes.get(extra_start..comment_start)?.to_vec();
        let comment = bytes.get(comment_start..next)?.to_vec();
        let Ok(name) = String::from_utf8(name_bytes.to_vec()) else {
            return Some(Err(ReadError::Unsupported {
                path: self.path.clone(),
                entry: String::from_utf8_lossy(name_bytes).into_owned(),
                message: "the name is not UTF-8".into(),
            }));
        };
        let mut sizes = [
            u64::from(le32(bytes, at + 24)?),
            u64::from(le32(bytes, at + 20)?),
            u64::from(le32(bytes, at + 42)?),
        ];
        if let Err(message) = apply_zip64(&extra, &mut sizes) {
            return Some(Err(self.corrupt(format!("{name}: {message}"))));
        }
        let header = ZipHeader {
            version_made_by: le16(bytes, at + 4)?,
            version_needed: le16(bytes, at + 6)?,
            flags: le16(bytes, at + 8)?,
            method: le16(bytes, at + 10)?,
            dos_time: le16(bytes, at + 12)?,
            dos_date: le16(bytes, at + 14)?,
            crc32: le32(bytes, at + 16)?,
            compressed_size: sizes[1],
            internal_attributes: le16(bytes, at + 36)?,
            external_attributes: le32(bytes, at + 38)?,
            central_extra: extra,
            local_extra: Vec::new(),
            comment,
            stored_sha256: [0; 32],
        };
        let entry = Located {
            name,
            header,
            header_offset: sizes[2],
            data_start: 0,
            size: sizes[0],
        };
        Some(Ok((entry, next)))
    }

    fn check_names(&self) -> Result<(), ReadError> {
        let mut seen = BTreeSet::new();
        for entry in &self.entries {
            if !seen.insert(entry.name.as_str()) {
                return Err(ReadError::Ambiguous {
                    path: self.path.clone(),
                    message: format!(
                        "{} is stored twice: tools would extract one or the other",
                        entry.name
                    ),
                });
            }
            if entry.header.flags & FLAG_ENCRYPTED != 0 {
                return Err(self.unsupported(&entry.name, "the entry is encrypted"));
            }
            if !matches!(entry.header.method, STORED | DEFLATED) {
                let method = method_name(entry.header.method);
                return Err(self.unsupported(
                    &entry.name,
                    &format!("compressed with {method}, not stored or deflate"),
                ));
            }
        }
        Ok(())
    }

    fn unsupported(&self, entry: &str, message: &str) -> ReadError {
        ReadError::Unsupported {
            path: self.path.clone(),
            entry: entry.to_string(),
            message: message.to_string(),
        }
    }

    /// Reads every local header, and checks that the entries' data lie
    /// apart, before the directory.
    fn locate_data(&mut self, directory_offset: u64) -> Result<(), ReadError> {
        for index in 0..self.entries.len() {
            self.read_local_header(index)?;
        }
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| self.entries[i].header_offset);
        let mut free_from = 0u64;
        for &i in &order {
            let entry = &self.entries[i];
            if entry.header_offset < free_from {
                return Err(ReadError::Ambiguous {
                    path: self.path.clone(),
                    message: format!(
                        "the data of {} overlaps another entry's (the layout of a zip bomb)",
                        entry.name
                    ),
                });
            }
            free_from = entry
                .data_start
                .checked_add(entry.header.compressed_size)
                .ok_or_else(|| self.corrupt(format!("{}: impossible size", entry.name)))?;
        }
        if free_from > directory_offset {
            return Err(self.corrupt("entry data runs into the central directory"));
        }
        Ok(())
    }

    fn read_local_header(&mut self, index: usize) -> Result<(), ReadError> {
        let (offset, name) = {
            let entry = &self.entries[index];
            (entry.header_offset, entry.name.clone())
        };
        let fixed = self.read_at(offset, LOCAL_HEADER_LEN as u64)?;
        if !fixed.starts_with(LOCAL_HEADER) {
            return Err(self.corrupt(format!("{name}: no local header at offset {offset}")));
        }
        let name_len = u64::from(le16(&fixed, 26).unwrap_or(0));
        let extra_len = u64::from(le16(&fixed, 28).unwrap_or(0));
        let variable = self.read_at(offset + LOCAL_HEADER_LEN as u64, name_len + extra_len)?;
        let (local_name, local_extra) = variable.split_at(name_len as usize);
        if local_name != name.as_bytes() {
            return Err(ReadError::Ambiguous {
                path: self.path.clone(),
                message: format!(
                    "the directory names {name}, its local header {}",
                    String::from_utf8_lossy(local_name)
                ),
            });
        }
        let entry = &mut self.entries[index];
        if le16(&fixed, 8) != Some(entry.header.method) {
            return Err(ReadError::Ambiguous {
                path: self.path.clone(),
                message: format!(
                    "{name}: the local header's compression method differs from the directory's"
                ),
            });
        }
        entry.header.local_extra = local_extra.to_vec();
        entry.data_start = offset + LOCAL_HEADER_LEN as u64 + name_len + extra_len;
        Ok(())
    }

    /// Every entry in directory order, its bytes hashed.
    pub fn listing(&mut self) -> Result<Vec<Entry>, ReadError> {
        let mut entries = Vec::with_capacity(self.entries.len());
        for index in 0..self.entries.len() {
            let mut hasher = ContentHasher::default();
            let stored_sha256 = self.stream(index, &mut |bytes| {
                hasher.update(bytes);
                Ok(())
            })?;
            let located = &self.entries[index];
            let mut header = located.header.clone();
            header.stored_sha256 = stored_sha256;
            entries.push(Entry {
                name: located.name.clone(),
                kind: header.kind(&located.name),
                content: hasher.finish(),
                header: Header::Zip(header),
            });
        }
        Ok(entries)
    }

    /// The entries' names and headers, in directory order, without reading
    /// their data.
    pub fn headers(&self) -> impl Iterator<Item = (usize, &str, &ZipHeader, EntryKind)> {
        self.entries.iter().enumerate().map(|(index, located)| {
            let kind = located.header.kind(&located.name);
            (index, located.name.as_str(), &located.header, kind)
        })
    }

    /// Entry `index`'s name, header, kind and size, without reading its data.
    pub fn header(&self, index: usize) -> Option<(&str, &ZipHeader, EntryKind, u64)> {
        let located = self.entries.get(index)?;
        let kind = located.header.kind(&located.name);
        Some((located.name.as_str(), &located.header, kind, located.size))
    }

    /// The parts of the entries `wanted` names.
    pub fn parts(
        &mut self,
        wanted: &BTreeMap<String, Part>,
    ) -> Result<BTreeMap<String, Vec<u8>>, ReadError> {
        let mut parts = BTreeMap::new();
        for index in 0..self.entries.len() {
            let Some(part) = wanted.get(&self.entries[index].name).copied() else {
                continue;
            };
            let mut kept = Vec::new();
            let mut position = 0u64;
            let end = part.start.saturating_add(part.len);
            self.stream(index, &mut |bytes| {
                let from = part.start.saturating_sub(position).min(bytes.len() as u64);
                let to = end.saturating_sub(position).min(bytes.len() as u64);
                if from < to {
                    kept.extend_from_slice(&bytes[from as usize..to as usize]);
                }
                position += bytes.len() as u64;
                Ok(())
            })?;
            parts.insert(self.entries[index].name.clone(), kept);
        }
        Ok(parts)
    }

    /// Streams entry `index`'s bytes to `sink`, checking its size and CRC
    /// against the directory and the limits; returns the SHA-256 of its
    /// stored bytes.
    pub fn stream(
        &mut self,
        index: usize,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<[u8; 32], ReadError> {
        let (name, method, start, stored_len, size, crc32) = {
            let e = &self.entries[index];
            let h = &e.header;
            (
                e.name.clone(),
                h.method,
                e.data_start,
                h.compressed_size,
                e.size,
                h.crc32,
            )
        };
        self.check_size(&name, size)?;
        self.file
            .seek(SeekFrom::Start(start))
            .map_err(|e| self.io(e))?;
        let mut raw = StoredReader {
            inner: std::io::BufReader::new((&self.file).take(stored_len)),
            hasher: Sha256Hasher::new(),
        };
        let mut crc = flate2::Crc::new();
        let mut total = 0u64;
        let bound = size.saturating_add(1);
        let result = {
            let mut decoded: Box<dyn Read + '_> = match method {
                DEFLATED => Box::new(flate2::read::DeflateDecoder::new(&mut raw).take(bound)),
                _ => Box::new((&mut raw).take(bound)),
            };
            pump(&mut decoded, &mut |bytes| {
                crc.update(bytes);
                total += bytes.len() as u64;
                sink(bytes)
            })
        };
        result.map_err(|e| self.corrupt(format!("{name}: {e}")))?;
        if total != size || crc.sum() != crc32 {
            return Err(self.corrupt(format!(
                "{name}: its data expands to {} bytes with CRC {:08x}, its header says {size} bytes with CRC {crc32:08x}",
                if total > size {
                    format!("more than {size}")
                } else {
                    total.to_string()
                },
                crc.sum()
            )));
        }
        let drained = std::io::copy(&mut raw, &mut std::io::sink());
        let stored_sha256 = raw.hasher.finish();
        drained.map_err(|e| self.io(e))?;
        self.expanded += total;
        Ok(stored_sha256)
    }

    fn check_size(&self, name: &str, size: u64) -> Result<(), ReadError> {
        let too_large = |message: String| ReadError::TooLarge {
            path: self.path.clone(),
            message,
        };
        if size > self.limits.max_entry_bytes {
            return Err(too_large(format!(
                "{name} expands to {size} bytes, more than {}",
                self.limits.max_entry_bytes
            )));
        }
        if self.expanded.saturating_add(size) > self.limits.max_total_bytes {
            return Err(too_large(format!(
                "its entries expand to more than {} bytes",
                self.limits.max_total_bytes
            )));
        }
        Ok(())
    }
}

/// An entry's stored bytes, hashed as the decoder reads them.
struct StoredReader<R: Read> {
    inner: R,
    hasher: Sha256Hasher,
}

impl<R: Read> Read for StoredReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Replaces the sizes and offset a ZIP64 extra field holds for those
/// that are `0xFFFFFFFF` (uncompressed size, compressed size, offset).
fn apply_zip64(extra: &[u8], sizes: &mut [u64; 3]) -> Result<(), String> {
    let mut fields = extra_fields(extra)?.into_iter();
    let Some((_, data)) = fields.find(|(id, _)| *id == ZIP64_EXTRA) else {
        return Ok(());
    };
    let mut at = 0;
    for size in sizes.iter_mut().filter(|s| **s == u64::from(u32::MAX)) {
        *size = le64(data, at).ok_or("its ZIP64 extra field is too short")?;
        at += 8;
    }
    Ok(())
}

/// The (id, data) blocks of an extra field.
pub fn extra_fields(extra: &[u8]) -> Result<Vec<(u16, &[u8])>, String> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < extra.len() {
        let (Some(id), Some(len)) = (le16(extra, at), le16(extra, at + 2)) else {
            return Err(format!(
                "its extra field ends inside a block header at {at}"
            ));
        };
        let data = extra
            .get(at + 4..at + 4 + usize::from(len))
            .ok_or_else(|| format!("its extra field block {id:#06x} runs past the field"))?;
        fields.push((id, data));
        at += 4 + usize::from(len);
    }
    Ok(fields)
}

/// A DOS date and time as written, or what is wrong with it.
pub fn dos_datetime(date: u16, time: u16) -> String {
    let (year, month, day) = (1980 + (date >> 9), (date >> 5) & 0xf, date & 0x1f);
    let (hour, minute, second) = (time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2);
    if !(1..=12).contains(&month) || day == 0 || hour > 23 || minute > 59 || second > 59 {
        return format!("invalid DOS time (date {date:#06x}, time {time:#06x})");
    }
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times_are_spelled_or_refused() {
        // 2023-11-14 22:13:20, as Python's zipfile packs it.
        let date = ((2023 - 1980) << 9) | (11 << 5) | 14;
        let time = (22 << 11) | (13 << 5) | (20 / 2);
        assert_eq!(dos_datetime(date, time), "2023-11-14 22:13:20");
        assert_eq!(dos_datetime(0x21, 0), "1980-01-01 00:00:00");
        assert!(dos_datetime(0, 0).starts_with("invalid DOS time"));
    }

    #[test]
    fn extra_fields_are_split_into_blocks() {
        let extra = [0x55, 0x54, 5, 0, 1, 2, 3, 4, 5, 0x75, 0x78, 0, 0];
        let fields = extra_fields(&extra).unwrap();
        assert_eq!(
            fields,
            vec![(0x5455, &[1u8, 2, 3, 4, 5][..]), (0x7875, &[][..])]
        );
        assert!(extra_fields(&[0x55, 0x54, 9, 0, 1]).is_err());
        assert!(extra_fields(&[0x55]).is_err());
    }

    #[test]
    fn zip64_fields_replace_only_the_saturated_sizes() {
        let mut extra = vec![1, 0, 16, 0];
        extra.extend_from_slice(&(5u64 << 32).to_le_bytes());
        extra.extend_from_slice(&77u64.to_le_bytes());
        let mut sizes = [u64::from(u32::MAX), 10, u64::from(u32::MAX)];
        apply_zip64(&extra, &mut sizes).unwrap();
        assert_eq!(sizes, [5 << 32, 10, 77]);
        let mut sizes = [u64::from(u32::MAX); 3];
        assert!(apply_zip64(&extra, &mut sizes).is_err());
    }

    #[test]
    fn kinds_come_from_the_mode_and_the_name() {
        let header = |external_attributes| ZipHeader {
            version_made_by: 0x031e,
            version_needed: 20,
            flags: 0,
            method: DEFLATED,
            dos_time: 0,
            dos_date: 0x21,
            crc32: 0,
            compressed_size: 0,
            internal_attributes: 0,
            external_attributes,
            central_extra: Vec::new(),
            local_extra: Vec::new(),
            comment: Vec::new(),
            stored_sha256: [0; 32],
        };
        assert_eq!(header(0o100_644 << 16).kind("a.py"), EntryKind::File);
        assert_eq!(header(0).kind("a.py"), EntryKind::File);
        assert_eq!(header(0o644 << 16).kind("a.py"), EntryKind::File);
        assert_eq!(header(0x10).kind("pkg/"), EntryKind::Dir);
        assert_eq!(header(0o040_755 << 16).kind("pkg"), EntryKind::Dir);
        assert_eq!(header(0o120_777 << 16).kind("link"), EntryKind::Symlink);
        assert_eq!(header(0o010_644 << 16).kind("fifo"), EntryKind::Other('6'));
        assert_eq!(header(0o100_755 << 16).unix_mode(), Some(0o100_755));
        assert_eq!(header(0x20).unix_mode(), None);
    }
}
