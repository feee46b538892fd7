//! Writing files so that readers see the old content or the new, never a
//! half-written file: write a temporary file next to the destination, flush
//! it to disk, then rename it over the destination.

use std::io::{self, Write};
use std::path::Path;

/// How an existing destination is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    Replace,
    /// Fail with `AlreadyExists`, also when another process wins the race.
    Refuse,
}

/// A temporary file in `dir` that becomes a file other people and tools
/// read (a wheel, a lock, an SBOM): created as `File::create` creates
/// files, 0666 less the umask. tempfile's default, 0600, would leave a
/// wheelhouse served by nginx, or shared with a CI job, unreadable to them.
/// Secrets (private keys) are written elsewhere, owner-only.
pub fn shared_temp_file(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// A temporary folder in `dir` that becomes a shared one (a wheelhouse, an
/// unpacked bundle): 0777 less the umask, as `create_dir` makes folders.
pub fn shared_temp_dir(dir: &Path, prefix: &str) -> io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o777));
    }
    builder.tempdir_in(dir)
}

/// Writes `bytes` to `path` atomically.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: Overwrite) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = shared_temp_file(dir, &format!(".{name}."), ".tmp")?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    match overwrite {
        Overwrite::Replace => temp.persist(path).map(drop).map_err(|e| e.error),
        Overwrite::Refuse => temp.persist_noclobber(path).map(drop).map_err(|e| e.error),
    }
}

/// Where `replace_dir` keeps the previous folder while it swaps.
fn backup_of(dest: &Path) -> std::path::PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.replaced"))
}

/// The backup a swap killed between its two renames left behind, if any.
pub fn replaced_dir_backup(dest: &Path) -> Option<std::path::PathBuf> {
    let backup = backup_of(dest);
    backup.is_dir().then_some(backup)
}

/// Replaces the folder `dest` with the folder `staging` (same parent). The
/// old folder is renamed aside first, so a failure puts it back, and a
/// kill between the two renames leaves it under `replaced_dir_backup`.
pub fn replace_dir(staging: &Path, dest: &Path) -> io::Result<()> {
    if !dest.exists() {
        return std::fs::rename(staging, dest);
    }
    let backup = backup_of(dest);
    if backup.exists() {
        std::fs::remove_dir_all(&backup)?;
    }
    std::fs::rename(dest, &backup)?;
    if let Err(error) = std::fs::rename(staging, dest) {
        let _ = std::fs::rename(&backup, dest);
        return Err(error);
    }
    // The new folder is in place; a leftover backup only costs space.
    let _ = std::fs::remove_dir_all(&backup);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["chiron.toml"]);
    }

    #[test]
    fn folders_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("wheelhouse");
        let staging = dir.path().join("staging");
        std::fs::create_dir(&staging).unwrap();
        std::fs::write(staging.join("new"), "1").unwrap();
        replace_dir(&staging, &dest).unwrap();
        assert!(dest.join("new").is_file());

        std::fs::create_dir(&staging).unwrap();
        std::fs::write(staging.join("newer"), "2").unwrap();
        replace_dir(&staging, &dest).unwrap();
        assert!(dest.join("newer").is_file() && !dest.join("new").exists());
        assert!(replaced_dir_backup(&dest).is_none());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["wheelhouse"]);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/file");
        assert!(write_file(&path, b"x", Overwrite::Replace).is_err());
    }
}
