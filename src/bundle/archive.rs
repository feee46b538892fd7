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

/// What a bundle may expand to when `--max-size` is not given, beyond the
/// wheels its manifest lists: the locks, reports, SBOM and scripts.
pub const SLACK_BYTES: u64 = 256 * 1024 * 1024;
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
/// and prefix fields), one gzip member, and two zero blocks at the end, so
/// anything else is refused rather than interpreted:
///
/// - a second gzip member, or any byte after the first member: `tar xzf`
///   and `tarfile` read every member, so it would be extracted unverified;
/// - anything but zero padding after the end-of-archive marker;
/// - pax extended headers (`x`, `g`) and GNU long names (`L`, `K`), whose
///   sizes and names tools apply differently;
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
    let name = archive.display().to_string();
    let unsafe_ = |message: String| ArchiveError::Unsafe {
        archive: name.clone(),
        message,
    };
    let file = std::fs::File::open(archive).map_err(|e| ArchiveError::Io {
        archive: name.clone(),
        message: e.to_string(),
    })?;
    let mut gzip =
        flate2::bufread::GzDecoder::new(std::io::BufReader::with_capacity(1 << 16, file));
    let mut limit = max_bytes.unwrap_or(SLACK_BYTES);
    let mut total: u64 = 0;
    let mut files: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut folders: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let bomb = |limit: u64| {
        format!(
            "expands to more than {limit} bytes (a decompression bomb?); pass --max-size BYTES if the bundle is meant to be that large"
        )
    };
    let mut block = [0u8; 512];
    loop {
        read_block(&mut gzip, &mut block).map_err(|e| match e {
            BlockError::Eof => unsafe_(truncated(
                &mut gzip,
                "ends without the end-of-archive marker (truncated?)".into(),
            )),
            BlockError::Io(e) => unsafe_(format!("not a readable tar.gz archive: {e}")),
        })?;
        if block.iter().all(|&b| b == 0) {
            break;
        }
        let header = Header::parse(&block).map_err(&unsafe_)?;
        let shown = quoted(&header.name);
        let declared = header.size;
        match header.kind {
            Kind::Pax => {
                // Read it only to say "bomb" when it claims a huge size.
                if declared <= 1 << 20 {
                    let mut records = Vec::new();
                    (&mut gzip)
                        .take(declared)
                        .read_to_end(&mut records)
                        .map_err(|e| unsafe_(format!("not a readable tar.gz archive: {e}")))?;
                    if let Some(size) = pax_size(&records)
                        && total.saturating_add(size) > limit
                    {
                        return Err(unsafe_(bomb(limit)));
                    }
                }
                return Err(unsafe_(format!(
                    "{shown} is a pax extended header: tar and chiron could read a different size or name from it"
                )));
            }
            Kind::Other(what) => {
                return Err(unsafe_(format!("{shown} is a {what}, not a regular file")));
            }
            Kind::Folder | Kind::File => {}
        }
        let path = checked_name(&header.name, header.kind == Kind::Folder)
            .map_err(|why| unsafe_(format!("unsafe path {shown}: {why}")))?;
        if header.kind == Kind::Folder {
            if path.is_empty() {
                continue;
            }
            if declared != 0 {
                return Err(unsafe_(format!("folder {shown} has a size")));
            }
            if files.contains(&path) {
                return Err(unsafe_(format!("{path} is both a file and a folder")));
            }
            folders.insert(path);
            continue;
        }
        if files.len() >= MAX_ENTRIES {
            return Err(unsafe_(format!("more than {MAX_ENTRIES} entries")));
        }
        total = total.saturating_add(declared);
        if total > limit {
            return Err(unsafe_(bomb(limit)));
        }
        if files.contains(&path) {
            return Err(unsafe_(format!("{path} appears twice")));
        }
        if folders.contains(&path) {
            return Err(unsafe_(format!("{path} is both a file and a folder")));
        }
        for (i, _) in path.match_indices('/') {
            let parent = &path[..i];
            if files.contains(parent) {
                return Err(unsafe_(format!(
                    "{path} is inside {parent}, which is a file"
                )));
            }
            folders.insert(parent.to_string());
        }
        files.insert(path.clone());
        let entry = FileEntry {
            path: &path,
            size: declared,
            executable: header.mode & 0o100 != 0,
        };
        let mut data = (&mut gzip).take(declared);
        if path == "manifest.json" && max_bytes.is_none() && declared <= MAX_MANIFEST_BYTES {
            let mut bytes = Vec::with_capacity(declared as usize);
            data.read_to_end(&mut bytes)
                .map_err(|e| unsafe_(format!("{path}: {e}")))?;
            if bytes.len() as u64 != declared {
                return Err(unsafe_(truncated(
                    &mut gzip,
                    format!("{path} is truncated"),
                )));
            }
            if let Some(wheels) = manifest_total(&bytes) {
                limit = wheels
                    .saturating_add(SLACK_BYTES)
                    .min(MAX_EXPANDED_BYTES)
                    .max(total);
            }
            visit(&entry, &mut bytes.as_slice())?;
        } else {
            visit(&entry, &mut data)?;
            // Whatever the visitor left unread.
            std::io::copy(&mut data, &mut std::io::sink())
                .map_err(|e| unsafe_(format!("{path}: {e}")))?;
            if data.limit() != 0 {
                return Err(unsafe_(truncated(
                    &mut gzip,
                    format!("{path} is truncated"),
                )));
            }
        }
        let padding = (512 - declared % 512) % 512;
        let skipped = std::io::copy(&mut (&mut gzip).take(padding), &mut std::io::sink())
            .map_err(|e| unsafe_(format!("{path}: {e}")))?;
        if skipped != padding {
            return Err(unsafe_(truncated(
                &mut gzip,
                format!("{path} is truncated"),
            )));
        }
    }
    // After the marker, only zeros, then nothing: no second member.
    let mut zeros: u64 = 0;
    let mut buf = [0u8; 8192];
    loop {
        let n = gzip
            .read(&mut buf)
            .map_err(|e| unsafe_(format!("not a readable tar.gz archive: {e}")))?;
        if n == 0 {
            break;
        }
        zeros += n as u64;
        if buf[..n].iter().any(|&b| b != 0) || zeros > MAX_ZERO_PADDING {
            return Err(unsafe_(
                "holds data after the end-of-archive marker, which some tools extract and chiron does not check".into(),
            ));
        }
    }
    let mut rest = gzip.into_inner();
    let more = std::io::BufRead::fill_buf(&mut rest)
        .map_err(|e| unsafe_(format!("not a readable tar.gz archive: {e}")))?;
    if !more.is_empty() {
        return Err(unsafe_(
            "holds data after its gzip stream (a second gzip member?): tar and Python would extract it, unverified".into(),
        ));
    }
    Ok(files.into_iter().collect())
}

type Gzip = flate2::bufread::GzDecoder<std::io::BufReader<std::fs::File>>;

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
        let stored = octal(&block[148..156]).ok_or("a header with an unreadable checksum")?;
        let unsigned: u64 = block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        let signed: i64 = block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    i64::from(b as i8)
                }
            })
            .sum();
        if stored != unsigned && i64::try_from(stored).ok() != Some(signed) {
            return Err("a header whose checksum does not match (corrupt or crafted)".into());
        }
        let ustar = &block[257..263] == b"ustar\0" && &block[263..265] == b"00";
        let gnu = &block[257..265] == b"ustar  \0";
        if !ustar && !gnu {
            return Err("an entry that is not in ustar format".into());
        }
        let field = |range: std::ops::Range<usize>| {
            let raw = &block[range];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            &raw[..end]
        };
        if gnu && block[345..500].iter().any(|&b| b != 0) {
            // GNU tar reads times there, `tarfile` a name prefix.
            return Err("a GNU header with data where ustar keeps a name prefix".into());
        }
        let mut raw_name = Vec::new();
        if block[345] != 0 {
            raw_name.extend_from_slice(field(345..500));
            raw_name.push(b'/');
        }
        raw_name.extend_from_slice(field(0..100));
        let name = match String::from_utf8(raw_name) {
            Ok(name) => name,
            Err(e) => {
                return Err(format!(
                    "the name {} is not UTF-8",
                    quoted(&String::from_utf8_lossy(e.as_bytes()))
                ));
            }
        };
        let size = size_field(&block[124..136])
            .ok_or_else(|| format!("{} has an unreadable size", quoted(&name)))?;
        let mode = octal(&block[100..108])
            .and_then(|m| u32::try_from(m).ok())
            .ok_or_else(|| format!("{} has an unreadable mode", quoted(&name)))?;
        let kind = match block[156] {
            b'0' | 0 => Kind::File,
            b'5' => Kind::Folder,
            b'x' | b'g' => Kind::Pax,
            b'1' => Kind::Other("hard link"),
            b'2' => Kind::Other("symbolic link"),
            b'3' | b'4' => Kind::Other("device"),
            b'6' => Kind::Other("FIFO"),
            b'L' | b'K' => Kind::Other("GNU long-name entry"),
            b'S' => Kind::Other("sparse file"),
            b'7' => Kind::Other("contiguous file"),
            _ => Kind::Other("special entry"),
        };
        if matches!(kind, Kind::File | Kind::Folder) && mode & 0o7002 != 0 {
            return Err(format!(
                "{} has mode {mode:o}: set-id, sticky and world-writable modes are refused (tar restores them)",
                quoted(&name)
            ));
        }
        // tar run as root restores the owner: by name first (uname and
        // gname), else by number. A bundle's files belong to root, as
        // chiron writes them (uid and gid 0, no names).
        if matches!(kind, Kind::File | Kind::Folder) {
            let uid = octal(&block[108..116]);
            let gid = octal(&block[116..124]);
            let uname = field(265..297);
            let gname = field(297..329);
            let root_name = |n: &[u8]| n.is_empty() || n == b"root";
            if uid != Some(0) || gid != Some(0) || !root_name(uname) || !root_name(gname) {
                return Err(format!(
                    "{} is owned by uid {} gid {} ({}:{}): tar run as root would give it to that user; bundle files belong to root (uid and gid 0)",
                    quoted(&name),
                    uid.map_or("?".into(), |u| u.to_string()),
                    gid.map_or("?".into(), |g| g.to_string()),
                    String::from_utf8_lossy(uname),
                    String::from_utf8_lossy(gname),
                ));
            }
        }
        Ok(Header {
            name,
            size,
            mode,
            kind,
        })
    }
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

/// A `size` record in pax extended header data.
fn pax_size(records: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(records);
    text.lines()
        .filter_map(|line| line.split_once(' ').map(|(_, kv)| kv))
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "size")
        .filter_map(|(_, v)| v.trim().parse::<u64>().ok())
        .next_back()
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
