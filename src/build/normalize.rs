//! Removes from a built wheel or sdist the nondeterminism a backend leaves
//! that does not change what the archive means: the order of entries,
//! their times, their attributes and owners, extra fields and comments,
//! and how they are compressed. Entry names and bytes are kept as they
//! are, so a wheel's RECORD stays true; it is checked against every entry
//! while the wheel is rewritten, and a wheel whose RECORD is already false
//! is refused rather than rewritten.
//!
//! - Wheel: entries sorted, the `.dist-info/` folder last and RECORD last
//!   of all (as the wheel spec recommends); DOS times from the epoch
//!   (clamped to 1980-01-01 and 2107, UTC); Unix modes 0644, or 0755 when
//!   any execute bit was set, folders 0755; no extra fields, no comments;
//!   every file deflated at level 6.
//! - Sdist: entries sorted (a folder before what it holds); times the
//!   epoch; uid and gid 0 without names; modes 0644 or 0755, folders 0755;
//!   ustar headers, with a pax `path` or `linkpath` record for a name
//!   ustar cannot hold (long or not ASCII); a hard link becomes a copy of
//!   its target; gzip level 9 with no time and no file name.
//!
//! The file is rewritten in place, atomically, only when this changes a
//! byte. It must not change an entry's name or bytes, nor repair RECORD.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::archive::zip::ZipReader;
use super::archive::{self, EntryKind, Format, Limits, ReadError};
use super::compare::{self, CompareError, Difference};
use super::record::{self, Record, RecordHasher, RecordSyntaxError};

/// 1980-01-01T00:00:00Z, the first time a zip entry can hold.
const ZIP_FIRST: u64 = 315_532_800;
/// 2107-12-31T23:59:58Z, the last.
const ZIP_LAST: u64 = 4_354_819_198;
/// The last time a ustar header holds in its 11 octal digits.
const USTAR_LAST: u64 = 0o77_777_777_777;
/// The size from which a wheel entry is written with ZIP64 fields.
const ZIP64_FROM: u64 = u32::MAX as u64 - (64 << 20);
/// The deflate level of wheel entries (zlib's default, as `zipfile`'s).
const WHEEL_LEVEL: i64 = 6;
/// The gzip level of sdists (`tarfile`'s default).
const SDIST_LEVEL: u32 = 9;
/// The name of a pax header entry, as Python's `tarfile` writes it.
const PAX_HEADER_NAME: &[u8] = b"././@PaxHeader";

/// What normalising did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Normalized {
    pub path: PathBuf,
    /// Whether the file was rewritten.
    pub changed: bool,
    /// What changed, as a comparison of the file before and after names
    /// it (empty when nothing did).
    pub changes: Vec<Difference>,
}

/// Why a file cannot be normalised.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{} has no .dist-info/RECORD: it is not a wheel", wheel.display())]
    NoRecord { wheel: PathBuf },
    #[error("{} holds two RECORDs: {first} and {second}", wheel.display())]
    TwoRecords {
        wheel: PathBuf,
        first: String,
        second: String,
    },
    #[error("{}: {record}: {source}", wheel.display())]
    RecordSyntax {
        wheel: PathBuf,
        record: String,
        #[source]
        source: RecordSyntaxError,
    },
    #[error("{}: RECORD is false for {entry}: {message}", wheel.display())]
    RecordFalse {
        wheel: PathBuf,
        entry: String,
        message: String,
    },
    #[error("{}: {entry} is a {kind}, which a {format} should not hold", archive.display())]
    UnsupportedEntry {
        archive: PathBuf,
        entry: String,
        kind: String,
        format: &'static str,
    },
    #[error("SOURCE_DATE_EPOCH {epoch} is after the last time a tar header holds ({USTAR_LAST})")]
    Epoch { epoch: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Compare(#[from] CompareError),
}

impl crate::error::Diagnose for NormalizeError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        match self {
            NormalizeError::Read(e) => e.exit_class(),
            NormalizeError::Compare(e) => e.exit_class(),
            NormalizeError::Epoch { .. } => ExitClass::Usage,
            _ => ExitClass::Problems,
        }
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            NormalizeError::Read(e) => e.hint(),
            NormalizeError::Compare(e) => return e.hint(),
            NormalizeError::NoRecord { .. } | NormalizeError::TwoRecords { .. } => {
                "a wheel holds exactly one NAME-VERSION.dist-info/RECORD: check the build backend".into()
            }
            NormalizeError::RecordSyntax { .. } | NormalizeError::RecordFalse { .. } => {
                "the backend wrote a RECORD that does not describe the wheel; chiron does not repair it: report it to the backend".into()
            }
            NormalizeError::UnsupportedEntry { .. } => {
                "keep links, devices and FIFOs out of the package's files".into()
            }
            NormalizeError::Epoch { .. } => {
                "set SOURCE_DATE_EPOCH to the time of the last commit (`git log -1 --format=%ct`)".into()
            }
            NormalizeError::Write { .. } => "check the folder's permissions and free space".into(),
        })
    }
}

/// Normalises the wheel at `path` in place (see the module's words),
/// with entry times from `epoch` (seconds since 1970, UTC).
pub fn normalize_wheel(path: &Path, epoch: u64) -> Result<Normalized, NormalizeError> {
    normalize_wheel_with_limits(path, epoch, &Limits::default())
}

/// Normalises the sdist (tar.gz) at `path` in place, with entry times
/// `epoch`.
pub fn normalize_sdist(path: &Path, epoch: u64) -> Result<Normalized, NormalizeError> {
    normalize_sdist_with_limits(path, epoch, &Limits::default())
}

pub fn normalize_wheel_with_limits(
    path: &Path,
    epoch: u64,
    limits: &Limits,
) -> Result<Normalized, NormalizeError> {
    let mut temp = temp_beside(path)?;
    WheelWriter::new(path, limits)?.write(temp.as_file_mut(), epoch)?;
    publish(path, temp, Format::Zip, limits)
}

pub fn normalize_sdist_with_limits(
    path: &Path,
    epoch: u64,
    limits: &Limits,
) -> Result<Normalized, NormalizeError> {
    if epoch > USTAR_LAST {
        return Err(NormalizeError::Epoch { epoch });
    }
    let mut temp = temp_beside(path)?;
    let sdist = SdistContents::read(path, limits)?;
    sdist.write(temp.as_file_mut(), epoch)?;
    publish(path, temp, Format::TarGz, limits)
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, NormalizeError> {
    crate::atomic::temp_file_beside(path).map_err(|source| NormalizeError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Puts the normalised file in place of the original when they differ,
/// saying what changed.
fn publish(
    path: &Path,
    temp: tempfile::NamedTempFile,
    format: Format,
    limits: &Limits,
) -> Result<Normalized, NormalizeError> {
    let write_error = |source| NormalizeError::Write {
        path: path.to_path_buf(),
        source,
    };
    temp.as_file().sync_all().map_err(write_error)?;
    let comparison = compare::compare_as(path, temp.path(), format, limits)?;
    if comparison.identical() {
        return Ok(Normalized {
            path: path.to_path_buf(),
            changed: false,
            changes: Vec::new(),
        });
    }
    temp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(Normalized {
        path: path.to_path_buf(),
        changed: true,
        changes: comparison.differences,
    })
}

/// The DOS date and time of `epoch`, clamped to what a zip can hold, with
/// seconds rounded down to even (DOS keeps two-second steps).
fn zip_time(epoch: u64) -> zip::DateTime {
    let clamped = epoch.clamp(ZIP_FIRST, ZIP_LAST);
    let text = crate::time::rfc3339(clamped as i64);
    let field = |range: std::ops::Range<usize>| -> u16 {
        text.get(range)
            .and_then(|part| part.parse().ok())
            .unwrap_or(0)
    };
    zip::DateTime::from_date_and_time(
        field(0..4),
        field(5..7) as u8,
        field(8..10) as u8,
        field(11..13) as u8,
        field(14..16) as u8,
        (field(17..19) as u8) & !1,
    )
    .unwrap_or_default()
}

/// Where an entry goes in a normalised wheel: other files first, then the
/// `.dist-info/` folder's, then RECORD; by path within each.
fn wheel_order(name: &str) -> (u8, Vec<&str>) {
    let group = if record::is_record(name) {
        2
    } else if name
        .split_once('/')
        .is_some_and(|(top, _)| top.ends_with(".dist-info"))
    {
        1
    } else {
        0
    };
    (group, name.split('/').collect())
}

/// The permission bits a normalised entry gets.
fn normal_mode(kind: EntryKind, mode: Option<u32>) -> u32 {
    match kind {
        EntryKind::Dir => 0o755,
        EntryKind::Symlink => 0o777,
        _ if mode.is_some_and(|m| m & 0o111 != 0) => 0o755,
        _ => 0o644,
    }
}

/// A wheel being rewritten: its reader and RECORD.
struct WheelWriter {
    path: PathBuf,
    reader: ZipReader,
    record: Record,
    /// Entry indexes in the normalised order.
    order: Vec<usize>,
}

impl WheelWriter {
    fn new(path: &Path, limits: &Limits) -> Result<Self, NormalizeError> {
        let mut reader = ZipReader::open(path, limits)?;
        let mut order: Vec<(usize, String)> = reader
            .headers()
            .map(|(index, name, _, _)| (index, name.to_string()))
            .collect();
        order.sort_by(|(_, a), (_, b)| wheel_order(a).cmp(&wheel_order(b)));
        let records: Vec<&(usize, String)> = order
            .iter()
            .filter(|(_, name)| record::is_record(name))
            .collect();
        let (record_index, record_name) = match records.as_slice() {
            [] => {
                return Err(NormalizeError::NoRecord {
                    wheel: path.to_path_buf(),
                });
            }
            [one] => (one.0, one.1.clone()),
            [first, second, ..] => {
                return Err(NormalizeError::TwoRecords {
                    wheel: path.to_path_buf(),
                    first: first.1.clone(),
                    second: second.1.clone(),
                });
            }
        };
        let record = read_record(path, &mut reader, record_index, &record_name, limits)?;
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            record,
            order: order.into_iter().map(|(index, _)| index).collect(),
        })
    }

    fn record_false(&self, entry: &str, message: impl Into<String>) -> NormalizeError {
        NormalizeError::RecordFalse {
            wheel: self.path.clone(),
            entry: entry.to_string(),
            message: message.into(),
        }
    }

    /// Writes the normalised wheel to `out`, checking RECORD on the way.
    fn write(mut self, out: &mut std::fs::File, epoch: u64) -> Result<(), NormalizeError> {
        let write_error = |path: &Path, e: &dyn std::fmt::Display| NormalizeError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        };
        let mut zip = zip::ZipWriter::new(out);
        let time = zip_time(epoch);
        let mut listed = Vec::new();
        for position in 0..self.order.len() {
            let index = self.order[position];
            let (name, kind, mode, size) = {
                let (name, header, kind, size) = self
                    .reader
                    .header(index)
                    .ok_or_else(|| write_error(&self.path, &"an entry vanished"))?;
                (name.to_string(), kind, header.unix_mode(), size)
            };
            let options = zip::write::SimpleFileOptions::default()
                .system(zip::System::Unix)
                .last_modified_time(time)
                .unix_permissions(normal_mode(kind, mode));
            match kind {
                EntryKind::Dir => zip
                    .add_directory(name.as_str(), options)
                    .map_err(|e| write_error(&self.path, &e))?,
                EntryKind::File => {
                    // ZIP64 fields where the sizes may not fit 32 bits
                    // (deflate can grow incompressible bytes a little).
                    let options = options.large_file(size >= ZIP64_FROM);
                    self.copy_file(&mut zip, index, &name, options)?;
                    listed.push(name);
                }
                other => {
                    return Err(NormalizeError::UnsupportedEntry {
                        archive: self.path.clone(),
                        entry: name,
                        kind: other.describe(),
                        format: "wheel",
                    });
                }
            }
        }
        self.check_all_present(&listed)?;
        zip.finish().map_err(|e| write_error(&self.path, &e))?;
        Ok(())
    }

    /// Copies one file, deflated, checking its bytes against RECORD.
    fn copy_file(
        &mut self,
        zip: &mut zip::ZipWriter<&mut std::fs::File>,
        index: usize,
        name: &str,
        options: zip::write::SimpleFileOptions,
    ) -> Result<(), NormalizeError> {
        let mut hasher = self.hasher_for(name)?;
        let options = options
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(WHEEL_LEVEL));
        zip.start_file(name, options)
            .map_err(|e| NormalizeError::Write {
                path: self.path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
        let mut size = 0u64;
        let mut write_failure = None;
        let streamed = self.reader.stream(index, &mut |bytes| {
            size += bytes.len() as u64;
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(bytes);
            }
            zip.write_all(bytes).inspect_err(|e| {
                write_failure = Some(std::io::Error::new(e.kind(), e.to_string()));
            })
        });
        if let Some(source) = write_failure {
            return Err(NormalizeError::Write {
                path: self.path.clone(),
                source,
            });
        }
        streamed?;
        self.check_row(name, hasher, size)
    }

    /// The hasher for an entry's RECORD row; `None` for RECORD itself and
    /// for a signature RECORD does not list.
    fn hasher_for(&self, name: &str) -> Result<Option<RecordHasher>, NormalizeError> {
        if record::is_record(name) {
            return Ok(None);
        }
        let Some(row) = self.record.get(name) else {
            if record::is_record_signature(name) {
                return Ok(None);
            }
            return Err(self.record_false(name, "the wheel holds it, RECORD does not list it"));
        };
        match RecordHasher::for_row(row) {
            Ok(Some(hasher)) => Ok(Some(hasher)),
            Ok(None) if record::is_record_signature(name) => Ok(None),
            Ok(None) => Err(self.record_false(name, "RECORD lists it without a hash")),
            Err(message) => Err(self.record_false(name, message)),
        }
    }

    fn check_row(
        &self,
        name: &str,
        hasher: Option<RecordHasher>,
        size: u64,
    ) -> Result<(), NormalizeError> {
        let Some(row) = self.record.get(name) else {
            return Ok(());
        };
        if !row.size.is_empty() && row.size != size.to_string() {
            return Err(self.record_false(
                name,
                format!("RECORD says {} bytes, it holds {size}", row.size),
            ));
        }
        if let Some(actual) = hasher.and_then(RecordHasher::mismatch) {
            return Err(self.record_false(
                name,
                format!("RECORD says {}, its bytes hash to {actual}", row.hash),
            ));
        }
        Ok(())
    }

    /// Every row of RECORD names a file the wheel holds.
    fn check_all_present(&self, files: &[String]) -> Result<(), NormalizeError> {
        let files: std::collections::BTreeSet<&str> = files.iter().map(String::as_str).collect();
        match self
            .record
            .rows()
            .find(|row| !files.contains(row.path.as_str()))
        {
            Some(row) => Err(self.record_false(
                &row.path,
                format!(
                    "RECORD lists it (line {}), the wheel does not hold it",
                    row.line
                ),
            )),
            None => Ok(()),
        }
    }
}

fn read_record(
    path: &Path,
    reader: &mut ZipReader,
    index: usize,
    name: &str,
    limits: &Limits,
) -> Result<Record, NormalizeError> {
    let mut bytes = Vec::new();
    let max = limits.max_metadata_bytes;
    reader.stream(index, &mut |chunk| {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(std::io::Error::other(format!(
                "RECORD holds more than {max} bytes"
            )));
        }
        bytes.extend_from_slice(chunk);
        Ok(())
    })?;
    let syntax = |source| NormalizeError::RecordSyntax {
        wheel: path.to_path_buf(),
        record: name.to_string(),
        source,
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        syntax(RecordSyntaxError {
            line: 1,
            message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })
    })?;
    Record::parse(&text).map_err(syntax)
}

/// One entry of an sdist, its bytes set aside in the spill file.
struct SdistItem {
    name: String,
    kind: EntryKind,
    mode: u32,
    link: Option<String>,
    offset: u64,
    size: u64,
}

/// An sdist read whole: its entries, and their bytes in a spill file
/// (a tar.gz cannot be read out of order).
struct SdistContents {
    path: PathBuf,
    items: Vec<SdistItem>,
    spill: std::fs::File,
}

impl SdistContents {
    fn read(path: &Path, limits: &Limits) -> Result<Self, NormalizeError> {
        let write_error = |source| NormalizeError::Write {
            path: path.to_path_buf(),
            source,
        };
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        let mut spill =
            tempfile::tempfile_in(folder.unwrap_or(Path::new("."))).map_err(write_error)?;
        let mut items = Vec::new();
        let mut offset = 0u64;
        let mut spill_failure = None;
        let visited = archive::tar::visit(path, limits, &mut |head, data| {
            let mut size = 0u64;
            archive::pump(data, &mut |bytes| {
                size += bytes.len() as u64;
                spill.write_all(bytes).inspect_err(|e| {
                    spill_failure = Some(std::io::Error::new(e.kind(), e.to_string()));
                })
            })
            .map_err(|e| archive::tar::stream_error(path, &head.name, e))?;
            items.push(SdistItem {
                name: head.name.clone(),
                kind: head.kind,
                mode: head.header.mode,
                link: head.header.link.clone(),
                offset,
                size,
            });
            offset += size;
            Ok(())
        });
        if let Some(source) = spill_failure {
            return Err(write_error(source));
        }
        visited?;
        let mut contents = Self {
            path: path.to_path_buf(),
            items,
            spill,
        };
        contents.resolve_hardlinks()?;
        contents
            .items
            .sort_by(|a, b| sdist_order(&a.name).cmp(&sdist_order(&b.name)));
        Ok(contents)
    }

    /// Makes each hard link a copy of the file it links to.
    fn resolve_hardlinks(&mut self) -> Result<(), NormalizeError> {
        let files: BTreeMap<String, (u64, u64, u32)> = self
            .items
            .iter()
            .filter(|item| item.kind == EntryKind::File)
            .map(|item| (item.name.clone(), (item.offset, item.size, item.mode)))
            .collect();
        for item in &mut self.items {
            if item.kind != EntryKind::Hardlink {
                continue;
            }
            let target = item.link.clone().unwrap_or_default();
            let Some(&(offset, size, mode)) = files.get(&target) else {
                return Err(NormalizeError::UnsupportedEntry {
                    archive: self.path.clone(),
                    entry: item.name.clone(),
                    kind: format!("hard link to {target}, which the sdist does not hold"),
                    format: "sdist",
                });
            };
            *item = SdistItem {
                name: item.name.clone(),
                kind: EntryKind::File,
                mode,
                link: None,
                offset,
                size,
            };
        }
        Ok(())
    }

    fn write(mut self, out: &mut std::fs::File, epoch: u64) -> Result<(), NormalizeError> {
        let write_error = |source| NormalizeError::Write {
            path: self.path.clone(),
            source,
        };
        let gzip = flate2::GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(out, flate2::Compression::new(SDIST_LEVEL));
        let mut tar = tar::Builder::new(gzip);
        for item in &self.items {
            let entry_type = match item.kind {
                EntryKind::File => tar::EntryType::Regular,
                EntryKind::Dir => tar::EntryType::Directory,
                EntryKind::Symlink => tar::EntryType::Symlink,
                other => {
                    return Err(NormalizeError::UnsupportedEntry {
                        archive: self.path.clone(),
                        entry: item.name.clone(),
                        kind: other.describe(),
                        format: "sdist",
                    });
                }
            };
            let header = TarEntryHeader {
                name: sdist_name(item),
                link: item.link.as_deref(),
                entry_type,
                mode: normal_mode(item.kind, Some(item.mode)),
                size: if item.kind == EntryKind::File {
                    item.size
                } else {
                    0
                },
                mtime: epoch,
            };
            self.spill
                .seek(SeekFrom::Start(item.offset))
                .map_err(&write_error)?;
            let data = (&self.spill).take(header.size);
            header.append(&mut tar, data).map_err(&write_error)?;
        }
        let gzip = tar.into_inner().map_err(&write_error)?;
        gzip.finish().map_err(&write_error)?;
        Ok(())
    }
}

/// Where an entry goes in a normalised sdist: by path components, so a
/// folder comes before what it holds.
fn sdist_order(name: &str) -> Vec<&str> {
    archive::entry_key(name).split('/').collect()
}

/// The name an entry is written with: a folder's ends with `/`.
fn sdist_name(item: &SdistItem) -> String {
    let bare = archive::entry_key(&item.name);
    if item.kind == EntryKind::Dir {
        format!("{bare}/")
    } else {
        bare.to_string()
    }
}

/// The normalised fields of one tar entry.
struct TarEntryHeader<'a> {
    name: String,
    link: Option<&'a str>,
    entry_type: tar::EntryType,
    mode: u32,
    size: u64,
    mtime: u64,
}

impl TarEntryHeader<'_> {
    /// Appends the entry, preceded by a pax header when its name or link
    /// does not fit ustar.
    fn append<W: Write>(&self, tar: &mut tar::Builder<W>, data: impl Read) -> std::io::Result<()> {
        let mut records = Vec::new();
        let mut header = self.header(self.entry_type, self.size)?;
        let Some(ustar) = header.as_ustar_mut() else {
            return Err(std::io::Error::other("a ustar header is not ustar"));
        };
        if !set_ustar_name(ustar, self.name.as_bytes()) {
            records.push(pax_record("path", &self.name));
            copy_truncated(&mut ustar.name, self.name.as_bytes());
        }
        if let Some(link) = self.link {
            if link.is_ascii() && link.len() <= ustar.linkname.len() {
                copy_truncated(&mut ustar.linkname, link.as_bytes());
            } else {
                records.push(pax_record("linkpath", link));
                copy_truncated(&mut ustar.linkname, link.as_bytes());
            }
        }
        header.set_cksum();
        if !records.is_empty() {
            let body = records.concat();
            let mut pax = self.header(tar::EntryType::XHeader, body.len() as u64)?;
            if let Some(ustar) = pax.as_ustar_mut() {
                copy_truncated(&mut ustar.name, PAX_HEADER_NAME);
            }
            pax.set_mode(0o644);
            pax.set_cksum();
            tar.append(&pax, body.as_slice())?;
        }
        tar.append(&header, data)
    }

    fn header(&self, entry_type: tar::EntryType, size: u64) -> std::io::Result<tar::Header> {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(entry_type);
        header.set_mode(self.mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("")?;
        header.set_groupname("")?;
        header.set_mtime(self.mtime);
        header.set_size(size);
        Ok(header)
    }
}

/// Puts `name` in a ustar header's name and prefix fields when it fits
/// there as ASCII; `false` when it needs a pax record.
fn set_ustar_name(ustar: &mut tar::UstarHeader, name: &[u8]) -> bool {
    if !name.is_ascii() {
        return false;
    }
    if name.len() <= ustar.name.len() {
        copy_truncated(&mut ustar.name, name);
        return true;
    }
    // The prefix holds the folders, the name field the rest.
    let split = name.iter().enumerate().rev().find(|&(at, &b)| {
        b == b'/' && at <= ustar.prefix.len() && name.len() - at - 1 <= ustar.name.len()
    });
    match split {
        Some((at, _)) if at > 0 && at + 1 < name.len() => {
            copy_truncated(&mut ustar.prefix, &name[..at]);
            copy_truncated(&mut ustar.name, &name[at + 1..]);
            true
        }
        _ => false,
    }
}

/// Copies `bytes` into a fixed field, cut to its size, the rest NUL.
fn copy_truncated(field: &mut [u8], bytes: &[u8]) {
    field.fill(0);
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// A pax record, `LENGTH KEY=VALUE\n`, its length counting itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut length = body.len() + 1;
    while (length.to_string().len() + body.len()) != length {
        length = length.to_string().len() + body.len();
    }
    format!("{length}{body}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_entries_end_with_dist_info_and_record() {
        let mut names = vec![
            "six-1.0.dist-info/RECORD",
            "six-1.0.dist-info/METADATA",
            "six.py",
            "six-1.0.data/scripts/run",
            "pkg/sub/b.py",
            "pkg/",
            "pkg-a.py",
            "pkg/a.py",
            "six-1.0.dist-info/WHEEL",
            "six-1.0.dist-info/RECORD.jws",
        ];
        names.sort_by_key(|n| wheel_order(n));
        assert_eq!(
            names,
            [
                "pkg/",
                "pkg/a.py",
                "pkg/sub/b.py",
                "pkg-a.py",
                "six-1.0.data/scripts/run",
                "six.py",
                "six-1.0.dist-info/METADATA",
                "six-1.0.dist-info/RECORD.jws",
                "six-1.0.dist-info/WHEEL",
                "six-1.0.dist-info/RECORD",
            ]
        );
    }

    #[test]
    fn zip_times_come_from_the_epoch_clamped() {
        let parts = |t: zip::DateTime| {
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            )
        };
        assert_eq!(parts(zip_time(1_700_000_001)), (2023, 11, 14, 22, 13, 20));
        assert_eq!(parts(zip_time(0)), (1980, 1, 1, 0, 0, 0));
        assert_eq!(parts(zip_time(u64::MAX)), (2107, 12, 31, 23, 59, 58));
    }

    #[test]
    fn modes_keep_only_whether_anything_could_execute() {
        assert_eq!(normal_mode(EntryKind::File, Some(0o100_600)), 0o644);
        assert_eq!(normal_mode(EntryKind::File, Some(0o100_700)), 0o755);
        assert_eq!(normal_mode(EntryKind::File, Some(0o100_601)), 0o755);
        assert_eq!(normal_mode(EntryKind::File, None), 0o644);
        assert_eq!(normal_mode(EntryKind::Dir, Some(0o040_700)), 0o755);
        assert_eq!(normal_mode(EntryKind::Symlink, Some(0o120_700)), 0o777);
    }

    #[test]
    fn pax_records_count_their_own_length() {
        assert_eq!(pax_record("path", "a"), b"9 path=a\n");
        let record = pax_record("path", &"x".repeat(95));
        assert_eq!(record.len(), 105);
        assert!(record.starts_with(b"105 path="));
        // 98 bytes after the length: two digits would make 100, so three.
        for n in [90, 91, 92, 93] {
            let record = pax_record("path", &"y".repeat(n));
            let text = String::from_utf8(record.clone()).unwrap();
            assert_eq!(
                text.split(' ').next().unwrap(),
                record.len().to_string(),
                "{n}"
            );
        }
    }

    #[test]
    fn ustar_names_split_at_a_slash_or_need_pax() {
        let mut header = tar::Header::new_ustar();
        let ustar = header.as_ustar_mut().unwrap();
        assert!(set_ustar_name(ustar, b"six-1.0/six.py"));
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        assert!(set_ustar_name(ustar, long.as_bytes()));
        assert_eq!(&ustar.prefix[..120], "d".repeat(120).as_bytes());
        assert_eq!(&ustar.name[..90], "f".repeat(90).as_bytes());
        assert!(!set_ustar_name(ustar, "f".repeat(101).as_bytes()));
        assert!(!set_ustar_name(ustar, "été.py".as_bytes()));
        assert!(!set_ustar_name(
            ustar,
            format!("{}/x", "d".repeat(156)).as_bytes()
        ));
    }

    #[test]
    fn sdist_folders_come_before_what_they_hold() {
        let mut names = vec![
            "six-1.0/a-b.py",
            "six-1.0/a/x.py",
            "six-1.0/a/",
            "six-1.0/",
            "six-1.0/PKG-INFO",
        ];
        names.sort_by_key(|n| sdist_order(n));
        assert_eq!(
            names,
            [
                "six-1.0/",
                "six-1.0/PKG-INFO",
                "six-1.0/a/",
                "six-1.0/a/x.py",
                "six-1.0/a-b.py"
            ]
        );
    }
}
