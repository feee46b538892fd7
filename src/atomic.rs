//! Writing outputs so that readers see the old content or the new, never a
//! half-written one, and so that a killed run leaves nothing the next run
//! cannot recognise and remove.
//!
//! - A file is written to a temporary file next to it, flushed, then
//!   renamed over it ([`write_file`], [`temp_file_beside`]).
//! - A folder (a wheelhouse) is filled complete in a staging folder next to
//!   it, then exchanged with the old one in one `renameat2(RENAME_EXCHANGE)`
//!   ([`publish_dir`]); where the kernel or filesystem has no exchange, the
//!   old folder is renamed aside first and put back by the next run if the
//!   second rename never happened ([`recover_and_clean`]).
//! - Runs on one output take its lock ([`OutputLock`]) so they never
//!   interleave, and then remove what killed runs left ([`recover_and_clean`]).
//!
//! Every name chiron makes next to an output starts with `.chiron-`:
//! `.chiron-tmp-NAME.XXXXXX` (a file being written), `.chiron-staging-NAME-XXXXXX`
//! (a folder being filled, or the old one being removed), `.chiron-old-NAME`
//! (the old folder during the two-step swap) and `.chiron-lock-NAME` (the
//! lock, there while a run holds it).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The start of a temporary file's name next to the file it becomes.
pub const TEMP_PREFIX: &str = ".chiron-tmp-";
const STAGING_PREFIX: &str = ".chiron-staging-";
const OLD_PREFIX: &str = ".chiron-old-";
const LOCK_PREFIX: &str = ".chiron-lock-";
/// How many random characters a temporary name has (see [`is_random`]).
const RANDOM_CHARS: usize = 6;

/// How an existing destination is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    Replace,
    /// Fail with `AlreadyExists`, also when another process wins the race.
    Refuse,
}

/// The folder `path` is in (`.` for a bare name) and its file name.
fn parent_and_name(path: &Path) -> (PathBuf, String) {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (parent, name)
}

/// A temporary file in `dir` that becomes a file other people and tools
/// read (a wheel, a lock, an SBOM): created as `File::create` creates
/// files, 0666 less the umask. tempfile's default, 0600, would leave a
/// wheelhouse served by nginx, or shared with a CI job, unreadable to them.
/// Secrets (private keys) are written by [`write_private_file`].
pub fn shared_temp_file(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(prefix)
        .suffix(suffix)
        .rand_bytes(RANDOM_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// The temporary file that becomes `path` when persisted:
/// `.chiron-tmp-NAME.XXXXXX` in the same folder (a rename never crosses
/// filesystems), shared as [`shared_temp_file`] makes it.
pub fn temp_file_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let (dir, name) = parent_and_name(path);
    shared_temp_file(&dir, &format!("{TEMP_PREFIX}{name}."), "")
}

/// A temporary folder in `dir` that becomes a shared one (a wheelhouse, an
/// unpacked bundle): 0777 less the umask, as `create_dir` makes folders.
pub fn shared_temp_dir(dir: &Path, prefix: &str) -> io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).rand_bytes(RANDOM_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o777));
    }
    builder.tempdir_in(dir)
}

/// Writes `bytes` to `path` atomically.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: Overwrite) -> io::Result<()> {
    let mut temp = temp_file_beside(path)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    persist(temp, path, overwrite)
}

fn persist(temp: tempfile::NamedTempFile, path: &Path, overwrite: Overwrite) -> io::Result<()> {
    match overwrite {
        Overwrite::Replace => temp.persist(path).map(drop).map_err(|e| e.error),
        Overwrite::Refuse => temp.persist_noclobber(path).map(drop).map_err(|e| e.error),
    }
}

/// Writes a secret (a private key) atomically, readable by its owner only
/// from the moment it exists: 0600 whatever the umask.
pub fn write_private_file(path: &Path, bytes: &[u8], overwrite: Overwrite) -> io::Result<()> {
    let (dir, name) = parent_and_name(path);
    let prefix = format!("{TEMP_PREFIX}{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).rand_bytes(RANDOM_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut temp = builder.tempfile_in(&dir)?;
    #[cfg(unix)]
    {
        // The umask can only take bits away; this makes sure none is added.
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    persist(temp, path, overwrite)
}

/// Makes `to` a copy of `from` that shares no storage a write could reach:
/// a reflink (the filesystem shares blocks copy-on-write: instant, no
/// space) where it can make one, else a plain copy. Never a hard link: a
/// wheelhouse file edited in place must not change the cache's copy. The
/// copy is written beside `to` and renamed over it.
pub fn clone_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut temp = temp_file_beside(to)?;
    if reflink(&source, temp.as_file()).is_err() {
        temp.as_file().set_len(0)?;
        io::copy(&mut source, temp.as_file_mut())?;
    }
    temp.as_file().sync_all()?;
    persist(temp, to, Overwrite::Replace)
}

/// Makes `to` the reflink of `from` and nothing else: an error where the
/// filesystem cannot share blocks (ext4, tmpfs, another filesystem), so
/// the caller chooses its own copy.
pub fn reflink_file(from: &Path, to: &Path) -> io::Result<()> {
    let source = File::open(from)?;
    let temp = temp_file_beside(to)?;
    reflink(&source, temp.as_file())?;
    temp.as_file().sync_all()?;
    persist(temp, to, Overwrite::Replace)
}

#[cfg(all(
    target_os = "linux",
    not(any(target_arch = "sparc", target_arch = "sparc64"))
))]
fn reflink(source: &File, dest: &File) -> io::Result<()> {
    rustix::fs::ioctl_ficlone(dest, source).map_err(io::Error::from)
}

#[cfg(not(all(
    target_os = "linux",
    not(any(target_arch = "sparc", target_arch = "sparc64"))
)))]
fn reflink(_source: &File, _dest: &File) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Links `to` to `from` when `from` has no other name (a file of the
/// wheelhouse about to be replaced: the link costs nothing, and the old
/// name goes away with the old folder); otherwise, or where links fail,
/// [`clone_or_copy`], so that no two outputs share a file (an older
/// chiron hard-linked wheelhouse files to its cache). True when linked.
pub fn link_if_private(from: &Path, to: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if std::fs::metadata(from)?.nlink() == 1 && std::fs::hard_link(from, to).is_ok() {
            return Ok(true);
        }
    }
    clone_or_copy(from, to).map(|()| false)
}

/// The exclusive lock of one output (a wheelhouse folder, a bundle file):
/// the file `.chiron-lock-NAME` next to it, locked with `flock` while the
/// value lives, and removed when it is dropped. The kernel lets go when
/// the process dies, kill -9 included; the file it then leaves is taken
/// over by the next run.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Takes the lock, waiting for another run that holds it (and saying so
    /// on stderr: a silent wait looks like a hang).
    pub fn acquire(output: &Path) -> io::Result<Self> {
        let path = lock_path(output);
        let mut said = false;
        loop {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !said {
                        tracing::warn!(
                            "waiting for another chiron run on {} (it holds {})",
                            output.display(),
                            path.display()
                        );
                        said = true;
                    }
                    file.lock()?;
                }
                Err(std::fs::TryLockError::Error(error)) => return Err(error),
            }
            // The run waited for removes the file before it lets go: a lock
            // on a file no longer at `path` locks nothing, so open it anew.
            if still_at(&file, &path) {
                return Ok(Self { file, path });
            }
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked, so no run can lock this file after.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// `.chiron-lock-NAME` next to `output`.
pub fn lock_path(output: &Path) -> PathBuf {
    let (dir, name) = parent_and_name(output);
    dir.join(format!("{LOCK_PREFIX}{name}"))
}

/// `.chiron-old-NAME` next to `output`: the old folder between the two
/// renames of a swap without exchange.
fn old_path(output: &Path) -> PathBuf {
    let (dir, name) = parent_and_name(output);
    dir.join(format!("{OLD_PREFIX}{name}"))
}

/// The names earlier versions of chiron used next to an output.
fn legacy_backup(output: &Path) -> PathBuf {
    let (dir, name) = parent_and_name(output);
    dir.join(format!(".{name}.replaced"))
}

/// What [`recover_and_clean`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The old folder was put back: a run was killed between the two renames.
    pub restored: bool,
    /// Leftovers removed, by name.
    pub removed: Vec<String>,
}

/// Whether `entry_name`, found next to `output`, is a leftover of one of
/// chiron's own runs on that output (never the lock, never another name).
fn is_leftover(entry_name: &str, name: &str) -> bool {
    let ours = |prefix: &str, separator: &str| {
        entry_name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix(name))
            .and_then(|rest| rest.strip_prefix(separator))
            .is_some_and(is_random)
    };
    ours(TEMP_PREFIX, ".")
        || ours(STAGING_PREFIX, "-")
        || entry_name == format!("{OLD_PREFIX}{name}")
        // Earlier versions: the folder swap's backup and staging, and the
        // temporary files of `write_file` and of bundles.
        || entry_name == format!(".{name}.replaced")
        || ours(".", ".staging-")
        || legacy_temp(entry_name, name)
        || (name.ends_with(".tar.gz") && legacy_temp(entry_name, "bundle"))
}

/// `.NAME.XXXXXX.tmp`: what `write_file` and bundles made before the
/// `.chiron-` names (six random characters, as tempfile makes them).
fn legacy_temp(entry_name: &str, name: &str) -> bool {
    entry_name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(is_random)
}

/// The six random characters tempfile puts in a name: exactly six, so that
/// `.chiron-tmp-wh.txt.XXXXXX` (a file `wh.txt` being written) is never
/// taken for a leftover of `wh`.
fn is_random(text: &str) -> bool {
    text.len() == RANDOM_CHARS && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Puts back the old folder of a swap killed between its two renames
/// (`output` missing, `.chiron-old-NAME` there), then removes every
/// leftover of chiron's runs on `output`. Call it with the output's
/// [`OutputLock`] held: without it, another run's files in progress would
/// look like leftovers.
pub fn recover_and_clean(output: &Path) -> io::Result<Cleaned> {
    let (dir, name) = parent_and_name(output);
    let mut cleaned = Cleaned::default();
    if std::fs::symlink_metadata(output).is_err() {
        for backup in [old_path(output), legacy_backup(output)] {
            if backup.is_dir() {
                std::fs::rename(&backup, output)?;
                cleaned.restored = true;
                break;
            }
        }
    }
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(cleaned),
        Err(error) => return Err(error),
    };
    let mut leftovers = Vec::new();
    for entry in entries {
        let entry = entry?;
        if let Some(entry_name) = entry.file_name().to_str()
            && is_leftover(entry_name, &name)
        {
            leftovers.push((entry_name.to_string(), entry.path()));
        }
    }
    leftovers.sort();
    for (entry_name, path) in leftovers {
        let removed = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&path),
            Ok(_) => std::fs::remove_file(&path),
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error),
        };
        removed?;
        cleaned.removed.push(entry_name);
    }
    Ok(cleaned)
}

/// Removes, at the top of the folder `dir`, the temporary files chiron's
/// writers leave when killed: `.chiron-tmp-NAME.XXXXXX`, and the names of
/// earlier versions (`.NAME.XXXXXX.tmp`, `.NAME.XXXXXX.part`). Returns
/// their names. Call it with the folder's [`OutputLock`] held.
pub fn remove_temp_files_in(dir: &Path) -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let random_tail = |rest: &str| rest.rsplit_once('.').is_some_and(|(_, r)| is_random(r));
        let ours = name.strip_prefix(TEMP_PREFIX).is_some_and(random_tail)
            || [".tmp", ".part"].iter().any(|suffix| {
                name.strip_prefix('.')
                    .and_then(|rest| rest.strip_suffix(suffix))
                    .is_some_and(random_tail)
            });
        if ours && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// A fresh, empty staging folder for `output`: `.chiron-staging-NAME-XXXXXX`
/// next to it, so that [`publish_dir`] is a rename within one folder.
pub fn staging_dir_for(output: &Path) -> io::Result<PathBuf> {
    let (dir, name) = parent_and_name(output);
    std::fs::create_dir_all(&dir)?;
    Ok(shared_temp_dir(&dir, &format!("{STAGING_PREFIX}{name}-"))?.keep())
}

/// How [`publish_dir`] put the new folder in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// There was no folder before: one rename.
    Renamed,
    /// One `renameat2(RENAME_EXCHANGE)`: the path never went missing.
    Exchanged,
    /// Two renames (no exchange here): the path was missing between them,
    /// and a kill there is repaired by the next run's [`recover_and_clean`].
    TwoStep,
}

/// Puts the complete folder `staging` (made by [`staging_dir_for`]) at
/// `output`, replacing the folder there, then removes the old one. At
/// every instant `output` is the old folder or the new one.
pub fn publish_dir(staging: &Path, output: &Path) -> io::Result<Published> {
    let how = match std::fs::symlink_metadata(output) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            std::fs::rename(staging, output)?;
            Published::Renamed
        }
        Err(error) => return Err(error),
        Ok(meta) if !meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "exists and is not a folder; chiron replaces only a folder there",
            ));
        }
        Ok(_) => match exchange(staging, output) {
            Ok(()) => {
                // `staging` now holds the old folder. A kill while it is
                // removed leaves a `.chiron-staging-` name the next run removes.
                let _ = std::fs::remove_dir_all(staging);
                Published::Exchanged
            }
            Err(error) if exchange_unsupported(&error) => {
                two_step(staging, output)?;
                Published::TwoStep
            }
            Err(error) => return Err(error),
        },
    };
    sync_parent(output);
    Ok(how)
}

/// The fallback: `output` → `.chiron-old-NAME`, `staging` → `output`,
/// remove the old. A failure of the second rename puts the old back; a
/// kill between the two leaves `.chiron-old-NAME` for the next run.
fn two_step(staging: &Path, output: &Path) -> io::Result<()> {
    let old = old_path(output);
    if std::fs::symlink_metadata(&old).is_ok() {
        std::fs::remove_dir_all(&old)?;
    }
    std::fs::rename(output, &old)?;
    if let Err(error) = std::fs::rename(staging, output) {
        let _ = std::fs::rename(&old, output);
        return Err(error);
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    if std::env::var_os("CHIRON_TEST_NO_EXCHANGE").is_some() {
        // Lets tests exercise the two-step fallback on a kernel that has
        // the exchange.
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        a,
        rustix::fs::CWD,
        b,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Kernels before 3.15 say ENOSYS, filesystems without the exchange
/// (some FUSE and network ones) EINVAL or EOPNOTSUPP.
fn exchange_unsupported(error: &io::Error) -> bool {
    const ENOSYS: i32 = 38;
    const EINVAL: i32 = 22;
    const EOPNOTSUPP: i32 = 95;
    error.kind() == io::ErrorKind::Unsupported
        || matches!(error.raw_os_error(), Some(ENOSYS | EINVAL | EOPNOTSUPP))
}

/// Flushes the folder entry of a rename to disk, so a power loss right
/// after cannot bring back the old name. Best effort: a kill does not need it.
fn sync_parent(path: &Path) {
    let (dir, _) = parent_and_name(path);
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The names in `dir`, sorted, hidden ones included.
    pub(crate) fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_or_refuses_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chiron.toml");
        write_file(&path, b"one", Overwrite::Refuse).unwrap();
        let error = write_file(&path, b"two", Overwrite::Refuse).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_file(&path, b"three", Overwrite::Replace).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        assert_eq!(names(dir.path()), ["chiron.toml"]);
    }

    #[test]
    fn temporary_files_have_recognisable_names() {
        let dir = tempfile::tempdir().unwrap();
        let temp = temp_file_beside(&dir.path().join("bundle.tar.gz")).unwrap();
        let name = temp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(".chiron-tmp-bundle.tar.gz."), "{name}");
        assert!(is_leftover(&name, "bundle.tar.gz"));
        assert!(!is_leftover(&name, "bundle.tar"));
    }

    #[test]
    fn folders_are_replaced_whole_with_or_without_the_exchange() {
        for exchange in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let dest = dir.path().join("wheelhouse");
            let staging = staging_dir_for(&dest).unwrap();
            std::fs::write(staging.join("new"), "1").unwrap();
            assert_eq!(publish_dir(&staging, &dest).unwrap(), Published::Renamed);
            assert!(dest.join("new").is_file());

            let staging = staging_dir_for(&dest).unwrap();
            std::fs::write(staging.join("newer"), "2").unwrap();
            let how = if exchange {
                publish_dir(&staging, &dest).unwrap()
            } else {
                two_step(&staging, &dest).unwrap();
                Published::TwoStep
            };
            assert!(matches!(how, Published::Exchanged | Published::TwoStep));
            assert!(dest.join("newer").is_file() && !dest.join("new").exists());
            assert_eq!(names(dir.path()), ["wheelhouse"]);
        }
    }

    #[test]
    fn a_swap_killed_between_its_renames_is_undone_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("wh");
        // The state two_step leaves after its first rename.
        std::fs::create_dir(dir.path().join(".chiron-old-wh")).unwrap();
        std::fs::write(dir.path().join(".chiron-old-wh/SHA256SUMS"), "").unwrap();
        let staging = staging_dir_for(&dest).unwrap();
        std::fs::write(staging.join("half"), "").unwrap();
        let cleaned = recover_and_clean(&dest).unwrap();
        assert!(cleaned.restored);
        assert!(dest.join("SHA256SUMS").is_file());
        assert_eq!(names(dir.path()), ["wh"]);
    }

    #[test]
    fn only_chirons_own_leftovers_of_this_output_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("wh");
        std::fs::create_dir(&dest).unwrap();
        for name in [
            ".chiron-tmp-wh.a1b2c3",
            ".chiron-staging-wh-x1y2z3",
            ".chiron-old-wh",
            ".wh.replaced",
            ".wh.staging-abcdef",
            ".wh.Ab12Cd.tmp",
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        for name in [
            ".chiron-lock-wh",
            ".chiron-tmp-wh2.a1b2c3",
            ".chiron-staging-other-x1y2z3",
            ".wh.notes.tmp",
            "wh.replaced",
            ".chiron-tmp-wh.",
            ".chiron-tmp-wh.txt.a1b2c3",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let cleaned = recover_and_clean(&dest).unwrap();
        assert!(!cleaned.restored);
        assert_eq!(cleaned.removed.len(), 6, "{:?}", cleaned.removed);
        assert_eq!(
            names(dir.path()),
            [
                ".chiron-lock-wh",
                ".chiron-staging-other-x1y2z3",
                ".chiron-tmp-wh.",
                ".chiron-tmp-wh.txt.a1b2c3",
                ".chiron-tmp-wh2.a1b2c3",
                ".wh.notes.tmp",
                "wh",
                "wh.replaced",
            ]
        );
    }

    #[test]
    fn temporary_files_inside_a_wheelhouse_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            ".chiron-tmp-scan.json.Ab12Cd",
            ".scan.json.Ab12Cd.tmp",
            ".app-1.0-py3-none-any.whl.Ab12Cd.part",
            "app-1.0-py3-none-any.whl",
            "scan.json",
            ".notes.tmp",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let removed = remove_temp_files_in(dir.path()).unwrap();
        assert_eq!(removed.len(), 3, "{removed:?}");
        assert_eq!(
            names(dir.path()),
            [".notes.tmp", "app-1.0-py3-none-any.whl", "scan.json"]
        );
    }

    #[test]
    fn a_legacy_bundle_temp_file_is_a_leftover_of_a_bundle_only() {
        assert!(is_leftover(".bundle.Xy12ab.tmp", "b.tar.gz"));
        assert!(!is_leftover(".bundle.Xy12ab.tmp", "wheelhouse"));
    }

    #[test]
    fn a_copy_shares_nothing_with_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("cache-blob");
        let to = dir.path().join("a.whl");
        std::fs::write(&from, b"wheel bytes").unwrap();
        clone_or_copy(&from, &to).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&to)
            .unwrap()
            .write_all(b"WHEEL")
            .unwrap();
        assert_eq!(std::fs::read(&from).unwrap(), b"wheel bytes");
        assert_eq!(std::fs::read(&to).unwrap(), b"WHEEL bytes");
        assert_eq!(names(dir.path()), ["a.whl", "cache-blob"]);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only_and_shared_ones_follow_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("cosign.key");
        write_private_file(&private, b"secret", Overwrite::Refuse).unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // What File::create makes here is what a shared file must get.
        let reference = dir.path().join("reference");
        File::create(&reference).unwrap();
        let expected = std::fs::metadata(&reference).unwrap().permissions().mode();
        let public = dir.path().join("cosign.pub");
        write_file(&public, b"public", Overwrite::Refuse).unwrap();
        let mode = std::fs::metadata(&public).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, expected & 0o777);
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("wh");
        let first = OutputLock::acquire(&dest).unwrap();
        let other = File::open(lock_path(&dest)).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(first);
        assert!(!lock_path(&dest).exists(), "the lock file is removed");
        assert!(other.try_lock().is_ok());
        // A run that waited on the removed file locks a new one.
        let second = OutputLock::acquire(&dest).unwrap();
        assert!(lock_path(&dest).exists());
        drop(second);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/file");
        assert!(write_file(&path, b"x", Overwrite::Replace).is_err());
    }
}
