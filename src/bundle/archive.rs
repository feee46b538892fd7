//! Reproducible tar.gz writing and safe extraction.
//!
//! Writing: entries sorted by path, regular files only, mtime fixed, uid and
//! gid 0 with no names, modes 0644 (0755 for scripts), and a gzip header
//! without file name or time: the same contents give the same bytes.
//!
//! Reading: every entry is checked before anything is written (no absolute
//! paths, no `..`, no links, devices or FIFOs, a bounded count and expanded
//! size), so a malicious archive leaves nothing behind.

use std::collections::{BTreeMap, BTreeSet};
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

impl crate::error::Diagnose for ArchiveError {
    fn exit_class(&self) -> crate::error::ExitClass {
        use crate::error::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
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
        let mut header = entry_header(entry.executable, mtime)?;
        if header.set_path(path).is_err() && path.len() > USTAR_NAME_BYTES {
            // Too long for ustar's name and prefix (a wheel name over 100
            // characters): a pax `path` record, which GNU tar, `tarfile`
            // and `read_bundle` all apply, where the tar crate would write
            // a GNU long-name entry.
            let (pax, records) = pax_path_header(path, mtime)?;
            tar.append(&pax, records.as_slice())?;
            set_fallback_name(&mut header, path)?;
        }
        match &entry.source {
            Source::Bytes(bytes) => {
                header.set_size(bytes.len() as u64);
                header.set_cksum();
                tar.append(&header, bytes.as_slice())?;
            }
            Source::File(file) => {
                let reader = std::fs::File::open(file)?;
                header.set_size(reader.metadata()?.len());
                header.set_cksum();
                tar.append(&header, reader)?;
            }
        }
    }
    let gzip = tar.into_inner()?;
    gzip.finish()?.flush()
}

/// The length of ustar's name field.
const USTAR_NAME_BYTES: usize = 100;

/// A regular file's header, all but its name and size: root's, no owner
/// names, the bundle's time.
fn entry_header(executable: bool, mtime: u64) -> std::io::Result<tar::Header> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(if executable { 0o755 } else { 0o644 });
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_username("")?;
    header.set_groupname("")?;
    Ok(header)
}

/// A pax extended header (`x`) holding one record, `path`, and its data.
fn pax_path_header(path: &str, mtime: u64) -> std::io::Result<(tar::Header, Vec<u8>)> {
    if let Err(why) = checked_name(path, false) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("cannot write {}: {why}", quoted(path)),
        ));
    }
    let records = pax_record("path", path);
    let mut header = entry_header(false, mtime)?;
    header.set_entry_type(tar::EntryType::XHeader);
    header.as_old_mut().name[..PAX_HEADER_NAME.len()].copy_from_slice(PAX_HEADER_NAME);
    header.set_size(records.len() as u64);
    header.set_cksum();
    Ok((header, records))
}

/// The name of a pax header entry, as Python's `tarfile` writes it (tools
/// that apply pax records never extract it).
const PAX_HEADER_NAME: &[u8] = b"././@PaxHeader";

/// One pax record, `LEN key=value\n`, where LEN counts the whole record,
/// its own digits included.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let rest = key.len() + value.len() + 3; // ' ', '=' and '\n'
    let mut len = rest + 1;
    while rest + len.to_string().len() != len {
        len = rest + len.to_string().len();
    }
    format!("{len} {key}={value}\n").into_bytes()
}

/// The ustar name under a pax `path`, for tools that ignore pax: the path
/// cut to the name field, on a character boundary, with no trailing `/`
/// or `.` (which would make it a folder or a `..`), checked like any name.
fn set_fallback_name(header: &mut tar::Header, path: &str) -> std::io::Result<()> {
    let mut end = path.len().min(USTAR_NAME_BYTES);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    let name = path[..end].trim_end_matches(['/', '.']);
    if checked_name(name, false).is_err() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("cannot shorten {} to a ustar name", quoted(path)),
        ));
    }
    let fields = header
        .as_ustar_mut()
        .ok_or_else(|| std::io::Error::other("not a ustar header"))?;
    fields.prefix.fill(0);
    fields.name.fill(0);
    fields.name[..name.len()].copy_from_slice(name.as_bytes());
    Ok(())
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

/// What a bundle may expand to when `--max-size` is not given, beyond the
/// wheels its manifest lists: the locks, reports, SBOM and scripts.
pub const SLACK_BYTES: u64 = 256 * 1024 * 1024;
/// The most a pax extended header may hold: a path, with room to spare.
const MAX_PAX_BYTES: u64 = 64 * 1024;
/// The most the small files read whole (the manifest) may hold.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;
/// Zero padding allowed after the end-of-archive marker: tar pads the
/// archive to its record size (20 blocks by default).
const MAX_ZERO_PADDING: u64 = 1024 * 1024;

/// One regular file of a bundle, as the reader hands it over.
pub struct FileEntry<'a> {
    /// The normalised relative path (`/`-separated).
    pub path: &'a str,
    pub size: u64,
    pub executable: bool,
}

/// Reads a chiron bundle strictly, calling `visit` with each regular file
/// and a reader of exactly its bytes.
///
/// The tar crate reads what it is given leniently (it takes the first gzip
/// member and stops, and it follows the ustar size where GNU tar follows a
/// pax `size`), and the point here is to accept only archives that GNU
/// tar, Python's `tarfile` and chiron extract to the same files. Written by
/// hand because no crate offers that check. Chiron writes plain ustar
/// entries (regular files with modes 0644 or 0755, names in the ustar name
/// and prefix fields), a POSIX pax extended header before a file whose
/// name does not fit those fields, one gzip member, and two zero blocks at
/// the end, so anything else is refused rather than interpreted:
///
/// - a second gzip member, or any byte after the first member: `tar xzf`
///   and `tarfile` read every member, so it would be extracted unverified;
/// - anything but zero padding after the end-of-archive marker;
/// - a pax extended header (`x`) unless its records parse strictly (each
///   `LEN key=value\n`, LEN the record's exact length in plain decimal),
///   it holds exactly one record, `path` (UTF-8, checked as any name
///   below), and the header after it is a regular file (whose own ustar
///   name is checked too, for tools that ignore pax); so no `size`,
///   `linkpath`, owner or charset record, whose values tools apply
///   differently;
/// - pax global headers (`g`) and GNU long names (`L`, `K`);
/// - links, devices, FIFOs, sparse and other entry types;
/// - a header whose checksum does not match (tar skips or stops);
/// - names that are absolute, hold `..`, empty or `.` parts (a leading
///   `./` aside), a backslash,
///   control characters or invalid UTF-8, or a regular file whose name ends
///   in `/` (which tar and `tarfile` make a folder);
/// - set-user-id, set-group-id and sticky bits, and world-writable modes,
///   and an owner other than root (uid or gid not 0, a user or group name
///   other than `root`): tar as root restores them;
/// - the same path twice, and a path that is both a file and a folder.
///
/// `max_bytes` bounds the expanded size; without it the bound is the size
/// of the wheels in the bundle's own `manifest.json` plus [`SLACK_BYTES`]
/// (at most [`MAX_EXPANDED_BYTES`]), and before the manifest is read,
/// [`SLACK_BYTES`]. Returns the files' paths, sorted.
pub fn read_bundle(
    archive: &Path,
    max_bytes: Option<u64>,
    visit: &mut dyn FnMut(&FileEntry, &mut dyn Read) -> Result<(), ArchiveError>,
) -> Result<Vec<String>, ArchiveError> {
    let mut reader = BundleReader::open(archive, max_bytes)?;
    while let Some(header) = reader.next_entry()? {
        match header.kind {
            Kind::Pax => {
                return Err(reader.refuse(format!(
                    "{} is a pax extended header after another one",
                    quoted(&header.name)
                )));
            }
            Kind::Other(what) => {
                return Err(reader.refuse(format!(
                    "{} is a {what}, not a regular file",
                    quoted(&header.name)
                )));
            }
            Kind::Folder | Kind::File => {}
        }
        let path = checked_name(&header.name, header.kind == Kind::Folder)
            .map_err(|why| reader.refuse(format!("unsafe path {}: {why}", quoted(&header.name))))?;
        if header.kind == Kind::Folder {
            reader.add_folder(path, &header)?;
            continue;
        }
        reader.add_file(&path, header.size)?;
        let entry = FileEntry {
            path: &path,
            size: header.size,
            executable: header.mode & 0o100 != 0,
        };
        reader.visit_file(&entry, visit)?;
    }
    reader.finish()
}

type Gzip = flate2::bufread::GzDecoder<std::io::BufReader<std::fs::File>>;

/// A bundle being read: the gzip stream, the bound on what it may expand
/// to, and the paths seen so far.
struct BundleReader {
    /// The archive's path, for messages.
    archive: String,
    gzip: Gzip,
    /// `--max-size`; without it the bound comes from the manifest.
    max_bytes: Option<u64>,
    /// The most the files may expand to, and what they declared so far.
    limit: u64,
    total: u64,
    tree: Tree,
}

impl BundleReader {
    fn open(archive: &Path, max_bytes: Option<u64>) -> Result<BundleReader, ArchiveError> {
        let name = archive.display().to_string();
        let file = std::fs::File::open(archive).map_err(|e| ArchiveError::Io {
            archive: name.clone(),
            message: e.to_string(),
        })?;
        Ok(BundleReader {
            archive: name,
            gzip: flate2::bufread::GzDecoder::new(std::io::BufReader::with_capacity(1 << 16, file)),
            max_bytes,
            limit: max_bytes.unwrap_or(SLACK_BYTES),
            total: 0,
            tree: Tree::default(),
        })
    }

    fn refuse(&self, message: String) -> ArchiveError {
        ArchiveError::Unsafe {
            archive: self.archive.clone(),
            message,
        }
    }

    fn unreadable(&self, error: impl std::fmt::Display) -> ArchiveError {
        self.refuse(format!("not a readable tar.gz archive: {error}"))
    }

    fn bomb(&self) -> ArchiveError {
        self.refuse(format!(
            "expands to more than {} bytes (a decompression bomb?); pass --max-size BYTES if the bundle is meant to be that large",
            self.limit
        ))
    }

    /// The stream ended early: `message`, unless a second gzip member
    /// follows.
    fn truncated(&mut self, message: String) -> ArchiveError {
        let message = truncated(&mut self.gzip, message);
        self.refuse(message)
    }

    /// The next entry's header; `None` at the end-of-archive marker.
    fn next_header(&mut self) -> Result<Option<Header>, ArchiveError> {
        let mut block = [0u8; 512];
        match read_block(&mut self.gzip, &mut block) {
            Ok(()) => {}
            Err(BlockError::Eof) => {
                return Err(
                    self.truncated("ends without the end-of-archive marker (truncated?)".into())
                );
            }
            Err(BlockError::Io(e)) => return Err(self.unreadable(e)),
        }
        if block.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        Header::parse(&block)
            .map(Some)
            .map_err(|message| self.refuse(message))
    }

    /// The next entry, with the `path` of a pax header applied to the
    /// regular file it precedes; `None` at the end-of-archive marker.
    fn next_entry(&mut self) -> Result<Option<Header>, ArchiveError> {
        let Some(pax) = self.next_header()? else {
            return Ok(None);
        };
        if pax.kind != Kind::Pax {
            return Ok(Some(pax));
        }
        let path = self.read_pax_path(&pax)?;
        let Some(mut header) = self.next_header()? else {
            return Err(self.refuse(format!(
                "ends right after the pax extended header {}, which names {}",
                quoted(&pax.name),
                quoted(&path)
            )));
        };
        if header.kind != Kind::File {
            let what = match header.kind {
                Kind::Other(what) => what,
                Kind::Folder => "folder",
                Kind::Pax | Kind::File => "pax extended header",
            };
            return Err(self.refuse(format!(
                "the pax extended header naming {} is followed by {} ({what}): chiron reads a pax `path` only before a regular file",
                quoted(&path),
                quoted(&header.name)
            )));
        }
        checked_name(&header.name, false).map_err(|why| {
            self.refuse(format!(
                "unsafe path {} (under the pax path {}): {why}",
                quoted(&header.name),
                quoted(&path)
            ))
        })?;
        header.name = path;
        Ok(Some(header))
    }

    /// The `path` a pax extended header gives the next entry. Anything but
    /// one strictly written `path` record is refused; a `size` in it that
    /// goes past the bound is called a bomb.
    fn read_pax_path(&mut self, header: &Header) -> Result<String, ArchiveError> {
        let name = quoted(&header.name);
        if header.size > MAX_PAX_BYTES {
            return Err(self.refuse(format!(
                "{name} is a pax extended header of {} bytes: chiron writes one only to hold a long path",
                header.size
            )));
        }
        let data = self.read_small(&header.name, header.size)?;
        let records = pax_records(&data).map_err(|why| {
            self.refuse(format!("{name} is a malformed pax extended header: {why}"))
        })?;
        let size = records.iter().find(|(key, _)| *key == "size");
        let declared =
            size.and_then(|(_, value)| std::str::from_utf8(value).ok()?.parse::<u64>().ok());
        if declared.is_some_and(|size| self.total.saturating_add(size) > self.limit) {
            return Err(self.bomb());
        }
        let [("path", value)] = records.as_slice() else {
            let keys: Vec<&str> = records.iter().map(|(key, _)| *key).collect();
            return Err(self.refuse(format!(
                "{name} is a pax extended header with the records [{}]: chiron accepts one `path` record and nothing else, since tar and chiron could read a different size or name from it",
                keys.join(", ")
            )));
        };
        let path = std::str::from_utf8(value).map_err(|_| {
            self.refuse(format!(
                "{name} is a pax extended header whose path {} is not UTF-8",
                quoted(&String::from_utf8_lossy(value))
            ))
        })?;
        checked_name(path, false).map_err(|why| {
            self.refuse(format!(
                "unsafe path {} (from a pax extended header): {why}",
                quoted(path)
            ))
        })
    }

    /// The data of a small entry (a pax header), and its padding.
    fn read_small(&mut self, name: &str, size: u64) -> Result<Vec<u8>, ArchiveError> {
        let padded = size.div_ceil(512) * 512;
        let mut data = Vec::new();
        let read = (&mut self.gzip).take(padded).read_to_end(&mut data);
        read.map_err(|e| self.refuse(format!("{}: {e}", quoted(name))))?;
        if (data.len() as u64) < padded {
            return Err(self.truncated(format!("{} is truncated", quoted(name))));
        }
        data.truncate(size as usize);
        Ok(data)
    }

    /// A folder entry: no size, not a file's path. The top folder itself
    /// is skipped.
    fn add_folder(&mut self, path: String, header: &Header) -> Result<(), ArchiveError> {
        if path.is_empty() {
            return Ok(());
        }
        if header.size != 0 {
            return Err(self.refuse(format!("folder {} has a size", quoted(&header.name))));
        }
        self.tree
            .add_folder(path)
            .map_err(|message| self.refuse(message))
    }

    /// A file entry, counted against the bounds and checked against the
    /// paths seen.
    fn add_file(&mut self, path: &str, size: u64) -> Result<(), ArchiveError> {
        if self.tree.files.len() >= MAX_ENTRIES {
            return Err(self.refuse(format!("more than {MAX_ENTRIES} entries")));
        }
        self.total = self.total.saturating_add(size);
        if self.total > self.limit {
            return Err(self.bomb());
        }
        self.tree
            .add_file(path)
            .map_err(|message| self.refuse(message))
    }

    /// Hands a file's bytes to `visit`, then reads what it left and the
    /// padding to the next header.
    fn visit_file(
        &mut self,
        entry: &FileEntry,
        visit: &mut dyn FnMut(&FileEntry, &mut dyn Read) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let path = entry.path;
        if path == "manifest.json" && self.max_bytes.is_none() && entry.size <= MAX_MANIFEST_BYTES {
            let bytes = self.read_manifest(entry)?;
            visit(entry, &mut bytes.as_slice())?;
        } else {
            let mut data = (&mut self.gzip).take(entry.size);
            visit(entry, &mut data)?;
            // Whatever the visitor left unread.
            let drained = std::io::copy(&mut data, &mut std::io::sink());
            let short = data.limit() != 0;
            drained.map_err(|e| self.refuse(format!("{path}: {e}")))?;
            if short {
                return Err(self.truncated(format!("{path} is truncated")));
            }
        }
        let padding = (512 - entry.size % 512) % 512;
        let skipped = std::io::copy(&mut (&mut self.gzip).take(padding), &mut std::io::sink())
            .map_err(|e| self.refuse(format!("{path}: {e}")))?;
        if skipped != padding {
            return Err(self.truncated(format!("{path} is truncated")));
        }
        Ok(())
    }

    /// The bundle's own manifest, read whole: the size of the wheels it
    /// lists bounds the rest of the archive.
    fn read_manifest(&mut self, entry: &FileEntry) -> Result<Vec<u8>, ArchiveError> {
        let path = entry.path;
        let mut bytes = Vec::with_capacity(entry.size as usize);
        let read = (&mut self.gzip).take(entry.size).read_to_end(&mut bytes);
        read.map_err(|e| self.refuse(format!("{path}: {e}")))?;
        if bytes.len() as u64 != entry.size {
            return Err(self.truncated(format!("{path} is truncated")));
        }
        if let Some(wheels) = manifest_total(&bytes) {
            self.limit = wheels
                .saturating_add(SLACK_BYTES)
                .min(MAX_EXPANDED_BYTES)
                .max(self.total);
        }
        Ok(bytes)
    }

    /// After the end-of-archive marker, only zero padding, then nothing:
    /// no second gzip member. Returns the files' paths, sorted.
    fn finish(mut self) -> Result<Vec<String>, ArchiveError> {
        let mut zeros: u64 = 0;
        let mut buf = [0u8; 8192];
        loop {
            let n = self.gzip.read(&mut buf).map_err(|e| self.unreadable(e))?;
            if n == 0 {
                break;
            }
            zeros += n as u64;
            if buf[..n].iter().any(|&b| b != 0) || zeros > MAX_ZERO_PADDING {
                return Err(self.refuse(
                    "holds data after the end-of-archive marker, which some tools extract and chiron does not check".into(),
                ));
            }
        }
        let more = std::io::BufRead::fill_buf(self.gzip.get_mut())
            .map(|rest| !rest.is_empty())
            .map_err(|e| self.unreadable(e))?;
        if more {
            return Err(self.refuse(
                "holds data after its gzip stream (a second gzip member?): tar and Python would extract it, unverified".into(),
            ));
        }
        Ok(self.tree.files.into_iter().collect())
    }
}

/// The paths of an archive so far: a path may appear once, as a file or
/// as a folder, and no file may hold another path.
#[derive(Debug, Default)]
struct Tree {
    files: BTreeSet<String>,
    folders: BTreeSet<String>,
}

impl Tree {
    fn add_folder(&mut self, path: String) -> Result<(), String> {
        if self.files.contains(&path) {
            return Err(format!("{path} is both a file and a folder"));
        }
        self.folders.insert(path);
        Ok(())
    }

    fn add_file(&mut self, path: &str) -> Result<(), String> {
        if self.files.contains(path) {
            return Err(format!("{path} appears twice"));
        }
        if self.folders.contains(path) {
            return Err(format!("{path} is both a file and a folder"));
        }
        for (i, _) in path.match_indices('/') {
            let parent = &path[..i];
            if self.files.contains(parent) {
                return Err(format!("{path} is inside {parent}, which is a file"));
            }
            self.folders.insert(parent.to_string());
        }
        self.files.insert(path.to_string());
        Ok(())
    }
}

/// Why the tar stream ended early: the first gzip member ended and another
/// follows (bgzip, `cat a.gz b.gz`), or the file is cut short.
fn truncated(gzip: &mut Gzip, message: String) -> String {
    let more = std::io::BufRead::fill_buf(gzip.get_mut()).is_ok_and(|b| !b.is_empty());
    if more {
        "holds more than one gzip member (as bgzip or concatenated gzip files make): chiron reads a bundle as it writes it, one member; recompress it as one (`gzip -dc in.tar.gz | gzip > out.tar.gz`) and verify that".into()
    } else {
        message
    }
}

enum BlockError {
    Eof,
    Io(std::io::Error),
}

fn read_block(reader: &mut impl Read, block: &mut [u8; 512]) -> Result<(), BlockError> {
    let mut filled = 0;
    while filled < block.len() {
        match reader.read(&mut block[filled..]) {
            Ok(0) => return Err(BlockError::Eof),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BlockError::Io(e)),
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Folder,
    Pax,
    Other(&'static str),
}

impl Kind {
    /// The entry type a ustar typeflag names.
    fn of(typeflag: u8) -> Kind {
        match typeflag {
            b'0' | 0 => Kind::File,
            b'5' => Kind::Folder,
            b'x' => Kind::Pax,
            b'g' => Kind::Other("pax global header"),
            b'1' => Kind::Other("hard link"),
            b'2' => Kind::Other("symbolic link"),
            b'3' | b'4' => Kind::Other("device"),
            b'6' => Kind::Other("FIFO"),
            b'L' | b'K' => Kind::Other("GNU long-name entry"),
            b'S' => Kind::Other("sparse file"),
            b'7' => Kind::Other("contiguous file"),
            _ => Kind::Other("special entry"),
        }
    }
}

/// The fields of a ustar (or GNU) header that decide what tar extracts.
struct Header {
    /// As written (prefix and name joined), lossily decoded for messages.
    name: String,
    size: u64,
    mode: u32,
    kind: Kind,
}

impl Header {
    fn parse(block: &[u8; 512]) -> Result<Header, String> {
        check_checksum(block)?;
        check_format(block)?;
        let name = entry_name(block)?;
        let size = size_field(&block[124..136])
            .ok_or_else(|| format!("{} has an unreadable size", quoted(&name)))?;
        let mode = octal(&block[100..108])
            .and_then(|m| u32::try_from(m).ok())
            .ok_or_else(|| format!("{} has an unreadable mode", quoted(&name)))?;
        let kind = Kind::of(block[156]);
        if matches!(kind, Kind::File | Kind::Folder) {
            check_mode(&name, mode)?;
            check_owner(block, &name)?;
        }
        Ok(Header {
            name,
            size,
            mode,
            kind,
        })
    }
}

/// The stored checksum is the sum of the header's bytes (the checksum
/// field counted as spaces), unsigned as POSIX says or signed as old tars
/// wrote it.
fn check_checksum(block: &[u8; 512]) -> Result<(), String> {
    let stored = octal(&block[148..156]).ok_or("a header with an unreadable checksum")?;
    let sum = |byte: fn(u8) -> i64| -> i64 {
        block
            .iter()
            .enumerate()
            .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { byte(b) })
            .sum()
    };
    let unsigned = sum(i64::from);
    let signed = sum(|b| i64::from(b as i8));
    let stored = i64::try_from(stored).ok();
    if stored != Some(unsigned) && stored != Some(signed) {
        return Err("a header whose checksum does not match (corrupt or crafted)".into());
    }
    Ok(())
}

/// POSIX ustar or GNU: any other format, and a GNU header with data where
/// ustar keeps a name prefix, are refused.
fn check_format(block: &[u8; 512]) -> Result<(), String> {
    let ustar = &block[257..263] == b"ustar\0" && &block[263..265] == b"00";
    let gnu = &block[257..265] == b"ustar  \0";
    if !ustar && !gnu {
        return Err("an entry that is not in ustar format".into());
    }
    if gnu && block[345..500].iter().any(|&b| b != 0) {
        // GNU tar reads times there, `tarfile` a name prefix.
        return Err("a GNU header with data where ustar keeps a name prefix".into());
    }
    Ok(())
}

/// A NUL-terminated text field of a header.
fn field(block: &[u8; 512], range: std::ops::Range<usize>) -> &[u8] {
    let raw = &block[range];
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    &raw[..end]
}

/// The entry's name: the ustar prefix and name joined, as UTF-8.
fn entry_name(block: &[u8; 512]) -> Result<String, String> {
    let mut raw_name = Vec::new();
    if block[345] != 0 {
        raw_name.extend_from_slice(field(block, 345..500));
        raw_name.push(b'/');
    }
    raw_name.extend_from_slice(field(block, 0..100));
    String::from_utf8(raw_name).map_err(|e| {
        format!(
            "the name {} is not UTF-8",
            quoted(&String::from_utf8_lossy(e.as_bytes()))
        )
    })
}

/// Set-id, sticky and world-writable modes are refused: tar restores them.
fn check_mode(name: &str, mode: u32) -> Result<(), String> {
    if mode & 0o7002 != 0 {
        return Err(format!(
            "{} has mode {mode:o}: set-id, sticky and world-writable modes are refused (tar restores them)",
            quoted(name)
        ));
    }
    Ok(())
}

/// tar run as root restores the owner: by name first (uname and gname),
/// else by number. A bundle's files belong to root, as chiron writes them
/// (uid and gid 0, no names).
fn check_owner(block: &[u8; 512], name: &str) -> Result<(), String> {
    let uid = octal(&block[108..116]);
    let gid = octal(&block[116..124]);
    let uname = field(block, 265..297);
    let gname = field(block, 297..329);
    let root_name = |n: &[u8]| n.is_empty() || n == b"root";
    if uid != Some(0) || gid != Some(0) || !root_name(uname) || !root_name(gname) {
        return Err(format!(
            "{} is owned by uid {} gid {} ({}:{}): tar run as root would give it to that user; bundle files belong to root (uid and gid 0)",
            quoted(name),
            uid.map_or("?".into(), |u| u.to_string()),
            gid.map_or("?".into(), |g| g.to_string()),
            String::from_utf8_lossy(uname),
            String::from_utf8_lossy(gname),
        ));
    }
    Ok(())
}

/// A name as written, in quotes, with control characters escaped (they
/// could rewrite the terminal) and nothing else changed: `..\\x` stays so.
fn quoted(name: &str) -> String {
    let mut out = String::from("\"");
    for c in name.chars() {
        if c.is_control() || c == '"' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// An octal field: digits, optionally surrounded by spaces, ended by NUL
/// or space.
fn octal(field: &[u8]) -> Option<u64> {
    let text = field.split(|&b| b == 0).next().unwrap_or(&[]);
    let text = std::str::from_utf8(text).ok()?.trim_matches(' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// A size field: octal, or GNU base-256 for huge sizes (read, so that a
/// bomb is called one).
fn size_field(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        if field[0] & 0x40 != 0 {
            return None; // negative
        }
        let mut value: u64 = u64::from(field[0] & 0x3f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    octal(field)
}

/// The records of pax extended header data, each `LEN key=value\n` with
/// LEN the record's length in bytes (its own digits included) in plain
/// decimal: no leading zero, no slack, nothing after the last record.
fn pax_records(mut data: &[u8]) -> Result<Vec<(&str, &[u8])>, String> {
    let mut records = Vec::new();
    while !data.is_empty() {
        let digits = data.iter().take(21).position(|&b| b == b' ').unwrap_or(0);
        let length = std::str::from_utf8(&data[..digits])
            .ok()
            .filter(|d| !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<usize>().ok())
            .ok_or_else(|| {
                format!(
                    "record {} does not start with its length",
                    records.len() + 1
                )
            })?;
        if length > data.len() || length < digits + 2 {
            return Err(format!(
                "record {} claims {length} bytes, but {} are left",
                records.len() + 1,
                data.len()
            ));
        }
        let body = data[digits + 1..length]
            .strip_suffix(b"\n")
            .ok_or_else(|| {
                format!(
                    "record {} does not end with a newline at its length",
                    records.len() + 1
                )
            })?;
        let equals = body.iter().position(|&b| b == b'=');
        let key = equals
            .and_then(|at| std::str::from_utf8(&body[..at]).ok())
            .filter(|k| !k.is_empty());
        let (Some(key), Some(at)) = (key, equals) else {
            return Err(format!("record {} is not `key=value`", records.len() + 1));
        };
        records.push((key, &body[at + 1..]));
        data = &data[length..];
    }
    Ok(records)
}

/// A name as the file it extracts to: relative, `/`-separated parts that
/// are neither empty, `.` nor `..` (but for a leading `./`, which every
/// extractor reads alike), printable, no backslash. A folder may end in
/// `/`; a file may not (tar would make it a folder). The top folder itself
/// (`.`, `./`) is the empty string.
fn checked_name(name: &str, folder: bool) -> Result<String, &'static str> {
    let mut trimmed = name;
    while let Some(rest) = trimmed.strip_prefix("./") {
        trimmed = rest;
    }
    if folder {
        trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        if trimmed.is_empty() || trimmed == "." {
            return Ok(String::new());
        }
    }
    if trimmed.is_empty() {
        return Err("empty");
    }
    if trimmed.starts_with('/') {
        return Err("absolute");
    }
    if trimmed.contains('\\') {
        return Err("a backslash, which Windows tools read as a separator");
    }
    if trimmed.chars().any(char::is_control) {
        return Err("control characters");
    }
    for part in trimmed.split('/') {
        match part {
            "" if !folder && trimmed.ends_with('/') => {
                return Err("a trailing /, which makes tar extract a folder");
            }
            "" => return Err("an empty part"),
            "." => return Err("a `.` part"),
            ".." => return Err("a `..` part, leaving the folder"),
            _ => {}
        }
    }
    Ok(trimmed.to_string())
}

/// The total size of the wheels a bundle's manifest lists.
fn manifest_total(bytes: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    value
        .get("files")?
        .as_array()?
        .iter()
        .map(|f| f.get("size").and_then(serde_json::Value::as_u64))
        .try_fold(0u64, |sum, size| Some(sum.saturating_add(size?)))
}

/// Unpacks a bundle into `dest` (which must not exist) with
/// [`read_bundle`]'s checks: files are streamed into a temporary folder
/// beside it, and the folder is renamed into place only when the whole
/// archive passed. On any failure nothing is left behind. Returns the
/// files' relative paths, sorted.
pub fn unpack(
    archive: &Path,
    dest: &Path,
    max_bytes: Option<u64>,
) -> Result<Vec<PathBuf>, ArchiveError> {
    let name = archive.display().to_string();
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
    let root = staging.path().to_path_buf();
    let files = read_bundle(archive, max_bytes, &mut |entry, data| {
        let target = root.join(entry.path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(format!("{}: {e}", dir.display())))?;
        }
        let mut out =
            std::fs::File::create(&target).map_err(|e| io(format!("{}: {e}", entry.path)))?;
        std::io::copy(data, &mut out).map_err(|e| ArchiveError::Unsafe {
            archive: name.clone(),
            message: format!("{}: {e}", entry.path),
        })?;
        #[cfg(unix)]
        if entry.executable {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755));
        }
        Ok(())
    })?;
    std::fs::rename(staging.keep(), dest).map_err(|e| io(format!("{}: {e}", dest.display())))?;
    Ok(files.into_iter().map(PathBuf::from).collect())
}

/// The bytes of one regular file of a bundle (at most `max_bytes`), after
/// checking the whole archive as [`read_bundle`] does, with its default
/// size bound (from the manifest): what `sbom` and `scan` read is what
/// `verify` checks, and a bomb is refused there too.
pub fn read_entry(
    archive: &Path,
    name: &str,
    max_bytes: u64,
) -> Result<Option<Vec<u8>>, ArchiveError> {
    let mut found = None;
    read_bundle(archive, None, &mut |entry, data| {
        if entry.path == name {
            let mut bytes = Vec::new();
            data.take(max_bytes)
                .read_to_end(&mut bytes)
                .map_err(|e| ArchiveError::Unsafe {
                    archive: archive.display().to_string(),
                    message: format!("{name}: {e}"),
                })?;
            found = Some(bytes);
        }
        Ok(())
    })?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry of a hand-written archive: a ustar header and its data.
    struct Raw {
        name: &'static str,
        typeflag: u8,
        mode: u32,
        uid: u32,
        data: &'static [u8],
    }

    fn file(name: &'static str, data: &'static [u8]) -> Raw {
        Raw {
            name,
            typeflag: b'0',
            mode: 0o644,
            uid: 0,
            data,
        }
    }

    fn header(raw: &Raw) -> [u8; 512] {
        let mut block = [0u8; 512];
        let mut put = |at: usize, text: &[u8]| block[at..at + text.len()].copy_from_slice(text);
        put(0, raw.name.as_bytes());
        put(100, format!("{:07o}\0", raw.mode).as_bytes());
        put(108, format!("{:07o}\0", raw.uid).as_bytes());
        put(116, b"0000000\0");
        put(124, format!("{:011o}\0", raw.data.len()).as_bytes());
        put(136, b"00000000000\0");
        put(148, b"        ");
        put(156, &[raw.typeflag]);
        put(257, b"ustar\x0000");
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
        block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        block
    }

    /// The tar stream of `entries`, ended by two zero blocks.
    fn tar(entries: &[Raw]) -> Vec<u8> {
        let mut out = Vec::new();
        for raw in entries {
            out.extend_from_slice(&header(raw));
            out.extend_from_slice(raw.data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// What `read_bundle` says of these archive bytes: the files it
    /// handed over (path, bytes, executable), or why it refused.
    fn read(bytes: &[u8], max_bytes: Option<u64>) -> Result<Vec<(String, Vec<u8>, bool)>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.tar.gz");
        std::fs::write(&path, bytes).unwrap();
        let mut seen = Vec::new();
        let listed = read_bundle(&path, max_bytes, &mut |entry, data| {
            let mut bytes = Vec::new();
            data.read_to_end(&mut bytes).unwrap();
            seen.push((entry.path.to_string(), bytes, entry.executable));
            Ok(())
        });
        match listed {
            Ok(listed) => {
                let mut paths: Vec<String> = seen.iter().map(|(p, _, _)| p.clone()).collect();
                paths.sort();
                assert_eq!(listed, paths, "the sorted list is what was visited");
                Ok(seen)
            }
            Err(ArchiveError::Unsafe { message, archive }) => {
                assert_eq!(archive, path.display().to_string());
                Err(message)
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_written_archive_is_reproducible_and_reads_back() {
        let files = BTreeMap::from([
            (
                "install.sh".to_string(),
                Entry {
                    source: Source::Bytes(b"#!/bin/sh\n".to_vec()),
                    sha256: String::new(),
                    executable: true,
                },
            ),
            (
                "wheels/a.whl".to_string(),
                Entry {
                    source: Source::Bytes(vec![7u8; 700]),
                    sha256: String::new(),
                    executable: false,
                },
            ),
        ]);
        let (mut first, mut second) = (Vec::new(), Vec::new());
        write_tar_gz(&files, super::super::DEFAULT_EPOCH, &mut first).unwrap();
        write_tar_gz(&files, super::super::DEFAULT_EPOCH, &mut second).unwrap();
        assert_eq!(first, second);
        assert_eq!(
            read(&first, None).unwrap(),
            [
                ("install.sh".to_string(), b"#!/bin/sh\n".to_vec(), true),
                ("wheels/a.whl".to_string(), vec![7u8; 700], false),
            ]
        );
    }

    #[test]
    fn hostile_entries_are_refused_with_the_reason() {
        let link = Raw {
            typeflag: b'2',
            ..file("link", b"")
        };
        let setuid = Raw {
            mode: 0o4755,
            ..file("run", b"")
        };
        let owned = Raw {
            uid: 1000,
            ..file("mine", b"")
        };
        let folder = Raw {
            typeflag: b'5',
            mode: 0o755,
            ..file("a/", b"")
        };
        let pax = |data: &'static [u8]| Raw {
            typeflag: b'x',
            ..file("PaxHeader", data)
        };
        let global = Raw {
            typeflag: b'g',
            ..file("PaxHeader", b"15 path=a/long\n")
        };
        let cases: Vec<(Vec<Raw>, &str)> = vec![
            (
                vec![file("/etc/passwd", b"x")],
                "unsafe path \"/etc/passwd\": absolute",
            ),
            (
                vec![file("a/../../x", b"x")],
                "unsafe path \"a/../../x\": a `..` part, leaving the folder",
            ),
            (
                vec![file("a\\b", b"x")],
                "unsafe path \"a\\b\": a backslash, which Windows tools read as a separator",
            ),
            (vec![file("a", b"1"), file("./a", b"2")], "a appears twice"),
            (
                vec![file("a", b"1"), file("a/b", b"2")],
                "a/b is inside a, which is a file",
            ),
            (
                vec![file("a", b"1"), folder],
                "a is both a file and a folder",
            ),
            (
                vec![link],
                "\"link\" is a symbolic link, not a regular file",
            ),
            (
                vec![setuid],
                "\"run\" has mode 4755: set-id, sticky and world-writable modes are refused (tar restores them)",
            ),
            (
                vec![owned],
                "\"mine\" is owned by uid 1000 gid 0 (:): tar run as root would give it to that user; bundle files belong to root (uid and gid 0)",
            ),
            (
                vec![pax(b"20 path=other/name\n"), file("a", b"")],
                "\"PaxHeader\" is a malformed pax extended header: record 1 claims 20 bytes, but 19 are left",
            ),
            (
                vec![pax(b"10 size=5\n"), file("a", b"")],
                "\"PaxHeader\" is a pax extended header with the records [size]: chiron accepts one `path` record and nothing else, since tar and chiron could read a different size or name from it",
            ),
            (
                vec![pax(b"15 path=a/long\n15 path=a/long\n"), file("a", b"")],
                "\"PaxHeader\" is a pax extended header with the records [path, path]: chiron accepts one `path` record and nothing else, since tar and chiron could read a different size or name from it",
            ),
            (
                vec![pax(b"16 path=../evil\n"), file("a", b"")],
                "unsafe path \"../evil\" (from a pax extended header): a `..` part, leaving the folder",
            ),
            (
                vec![pax(b"15 path=a/long\n"), file("../a", b"")],
                "unsafe path \"../a\" (under the pax path \"a/long\"): a `..` part, leaving the folder",
            ),
            (
                vec![
                    pax(b"15 path=a/long\n"),
                    Raw {
                        typeflag: b'2',
                        ..file("link", b"")
                    },
                ],
                "the pax extended header naming \"a/long\" is followed by \"link\" (symbolic link): chiron reads a pax `path` only before a regular file",
            ),
            (
                vec![
                    pax(b"15 path=a/long\n"),
                    pax(b"15 path=a/long\n"),
                    file("a", b""),
                ],
                "the pax extended header naming \"a/long\" is followed by \"PaxHeader\" (pax extended header): chiron reads a pax `path` only before a regular file",
            ),
            (
                vec![pax(b"15 path=a/long\n")],
                "ends right after the pax extended header \"PaxHeader\", which names \"a/long\"",
            ),
            (
                vec![global, file("a", b"")],
                "\"PaxHeader\" is a pax global header, not a regular file",
            ),
        ];
        for (entries, expected) in cases {
            assert_eq!(read(&gzip(&tar(&entries)), None).unwrap_err(), expected);
        }
    }

    #[test]
    fn a_pax_path_names_the_regular_file_after_it() {
        let pax = Raw {
            typeflag: b'x',
            ..file("././@PaxHeader", b"15 path=a/long\n")
        };
        let read = read(&gzip(&tar(&[pax, file("a/lo", b"data")])), None).unwrap();
        assert_eq!(read, [("a/long".to_string(), b"data".to_vec(), false)]);
    }

    #[test]
    fn names_longer_than_ustar_holds_are_written_with_a_pax_path() {
        let long = format!("wheels/{}-1.0-py3-none-any.whl", "a_long_name".repeat(12));
        let files = BTreeMap::from([(
            long.clone(),
            Entry {
                source: Source::Bytes(b"wheel".to_vec()),
                sha256: String::new(),
                executable: false,
            },
        )]);
        let mut bytes = Vec::new();
        write_tar_gz(&files, super::super::DEFAULT_EPOCH, &mut bytes).unwrap();
        assert_eq!(
            read(&bytes, None).unwrap(),
            [(long.clone(), b"wheel".to_vec(), false)]
        );
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw[156], b'x', "a pax header first");
        assert_eq!(&raw[..14], PAX_HEADER_NAME);
        let record = pax_record("path", &long);
        assert_eq!(&raw[512..512 + record.len()], record.as_slice());
        assert!(
            !raw.windows(9).any(|w| w == b"LongLink"),
            "no GNU extension"
        );
    }

    #[test]
    fn pax_records_are_read_strictly() {
        type Records = Vec<(&'static str, &'static [u8])>;
        let cases: [(&[u8], Result<Records, &str>); 9] = [
            (b"", Ok(vec![])),
            (b"10 size=5\n", Ok(vec![("size", b"5")])),
            (b"9 a=b\n=c\n", Ok(vec![("a", b"b\n=c")])),
            (
                b"12 size=5\n",
                Err("record 1 claims 12 bytes, but 10 are left"),
            ),
            (
                b"010 size=5\n",
                Err("record 1 does not start with its length"),
            ),
            (
                b"9 size=55\n",
                Err("record 1 does not end with a newline at its length"),
            ),
            (b"6 =ab\n", Err("record 1 is not `key=value`")),
            (b"6 abc\n", Err("record 1 is not `key=value`")),
            (
                b"10 size=5\nxx",
                Err("record 2 does not start with its length"),
            ),
        ];
        for (data, expected) in cases {
            assert_eq!(
                pax_records(data),
                expected.map_err(str::to_string),
                "{}",
                String::from_utf8_lossy(data)
            );
        }
        // Lengths whose digits change the length: 9 -> 10 -> 11 bytes, 99 -> 100...
        for n in 0..1100 {
            let value = "v".repeat(n);
            let record = pax_record("path", &value);
            let digits = record.iter().position(|&b| b == b' ').unwrap();
            let stated: usize = std::str::from_utf8(&record[..digits])
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(stated, record.len(), "{n}");
            assert_eq!(pax_records(&record), Ok(vec![("path", value.as_bytes())]));
        }
    }

    #[test]
    fn corrupt_truncated_and_trailing_data_are_refused() {
        let good = tar(&[file("a", b"data")]);
        let mut corrupt = good.clone();
        corrupt[0] = b'b';
        assert_eq!(
            read(&gzip(&corrupt), None).unwrap_err(),
            "a header whose checksum does not match (corrupt or crafted)"
        );
        assert_eq!(
            read(&gzip(&good[..512]), None).unwrap_err(),
            "a is truncated"
        );
        assert_eq!(
            read(&gzip(&good[..1024]), None).unwrap_err(),
            "ends without the end-of-archive marker (truncated?)"
        );
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"more");
        assert!(
            read(&gzip(&trailing), None)
                .unwrap_err()
                .starts_with("holds data after the end-of-archive marker")
        );
        let mut two_members = gzip(&good);
        two_members.extend(gzip(&tar(&[file("hidden", b"x")])));
        assert!(
            read(&two_members, None)
                .unwrap_err()
                .starts_with("holds data after its gzip stream (a second gzip member?)")
        );
        let mut split = gzip(&good[..512]);
        split.extend(gzip(&good[512..]));
        assert!(
            read(&split, None)
                .unwrap_err()
                .starts_with("holds more than one gzip member")
        );
    }

    #[test]
    fn the_expanded_size_is_bounded() {
        let archive = gzip(&tar(&[file("a", b"0123456789"), file("b", b"0123456789")]));
        assert_eq!(read(&archive, Some(20)).unwrap().len(), 2);
        assert!(
            read(&archive, Some(19))
                .unwrap_err()
                .starts_with("expands to more than 19 bytes (a decompression bomb?)")
        );
    }

    #[test]
    fn names_are_checked_as_extractors_read_them() {
        let cases: [(&str, bool, Result<&str, &str>); 10] = [
            ("./a/b", false, Ok("a/b")),
            ("././a", false, Ok("a")),
            ("./", true, Ok("")),
            ("a/", true, Ok("a")),
            (
                "a/",
                false,
                Err("a trailing /, which makes tar extract a folder"),
            ),
            ("a//b", false, Err("an empty part")),
            ("a/./b", false, Err("a `.` part")),
            ("", false, Err("empty")),
            ("a\u{1b}[2J", false, Err("control characters")),
            ("..", false, Err("a `..` part, leaving the folder")),
        ];
        for (name, folder, expected) in cases {
            assert_eq!(
                checked_name(name, folder).as_deref(),
                expected.map(str::to_string).as_deref(),
                "{name:?}"
            );
        }
        assert_eq!(quoted("a\"\u{1b}b"), "\"a\\\"\\u{1b}b\"");
    }

    #[test]
    fn numeric_fields_read_octal_and_base_256() {
        assert_eq!(octal(b"0000644\0"), Some(0o644));
        assert_eq!(octal(b"  755 \0"), Some(0o755));
        assert_eq!(octal(b"\0\0\0"), Some(0));
        assert_eq!(octal(b"0009\0"), None);
        let mut huge = [0u8; 12];
        huge[0] = 0x80;
        huge[11] = 1;
        huge[10] = 2;
        assert_eq!(size_field(&huge), Some(0x0201));
        huge[0] = 0xc0;
        assert_eq!(size_field(&huge), None, "negative");
        assert_eq!(
            manifest_total(br#"{"files": [{"size": 3}, {"size": 4}]}"#),
            Some(7)
        );
        assert_eq!(manifest_total(br#"{"files": [{"size": 3}, {}]}"#), None);
    }
}
