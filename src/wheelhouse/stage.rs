//! A wheelhouse on its way to its folder: a staging folder next to the
//! output (`.chiron-staging-NAME-XXXXXX`) that holds the complete new
//! wheelhouse — wheels, locks, `SHA256SUMS`, `manifest.json`, the SBOM and
//! the gate's `scan.json` and `policy.json` — before [`StagedWheelhouse::publish`]
//! exchanges it with the old one in one rename (see [`crate::atomic`]).
//! The output's lock is held from the first look at the old wheelhouse to
//! the exchange, so two runs on one output never interleave; dropped
//! unpublished, the staging folder is removed.
//!
//! What this module must not do: write into the published folder. Every
//! byte of a wheelhouse reaches its path through the exchange.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::error::WheelhouseError;
use crate::atomic::{OutputLock, Published};
use crate::digest::digest_file;
use crate::manifest::Manifest;

#[derive(Debug)]
pub struct StagedWheelhouse {
    out: PathBuf,
    staging: PathBuf,
    /// The staging folder started as the old wheelhouse's files (it was up
    /// to date): when the reports come out the same, nothing is published.
    from_existing: bool,
    published: bool,
    _lock: OutputLock,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> WheelhouseError + '_ {
    move |source| WheelhouseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl StagedWheelhouse {
    /// Takes the lock of `out`, repairs what a killed run left (an old
    /// folder renamed aside is put back; staging folders and temporary
    /// files of chiron's are removed), and makes an empty staging folder.
    pub fn begin(out: &Path) -> Result<Self, WheelhouseError> {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        let lock = OutputLock::acquire(out).map_err(io_error(out))?;
        let cleaned = crate::atomic::recover_and_clean(out).map_err(io_error(out))?;
        if cleaned.restored {
            tracing::warn!(
                "restored {} from a run killed while it replaced it",
                out.display()
            );
        }
        if !cleaned.removed.is_empty() {
            tracing::info!(
                "removed what killed runs left next to {}: {}",
                out.display(),
                cleaned.removed.join(", ")
            );
        }
        if std::fs::symlink_metadata(out).is_ok_and(|m| !m.is_dir()) {
            return Err(WheelhouseError::Io {
                path: out.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "exists and is not a folder",
                ),
            });
        }
        let staging = crate::atomic::staging_dir_for(out).map_err(io_error(out))?;
        Ok(Self {
            out: out.to_path_buf(),
            staging,
            from_existing: false,
            published: false,
            _lock: lock,
        })
    }

    /// The folder being filled.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Where it will be published.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Starts from the files of the wheelhouse at `out` (every visible
    /// top-level file: a `SHA256SUMS.sig` made by `chiron sign` stays;
    /// hidden names, such as an older chiron's temporary files, do not).
    /// Linked, not copied: the old names go away with the old folder. A
    /// file that has another name too (an older chiron linked wheelhouse
    /// files to its cache) is copied, and the copy published.
    pub fn start_from_existing(&mut self) -> Result<(), WheelhouseError> {
        let mut all_linked = true;
        for name in visible_files(&self.out).map_err(io_error(&self.out))? {
            let to = self.staging.join(&name);
            all_linked &= crate::atomic::link_if_private(&self.out.join(&name), &to)
                .map_err(io_error(&to))?;
        }
        self.from_existing = all_linked;
        Ok(())
    }

    /// Writes one report (`scan.json`, `policy.json`) into the staging folder.
    pub fn write_report(&self, name: &str, bytes: &[u8]) -> Result<(), WheelhouseError> {
        let path = self.staging.join(name);
        crate::atomic::write_file(&path, bytes, crate::atomic::Overwrite::Replace)
            .map_err(io_error(&path))
    }

    /// Puts the staged wheelhouse at its path in one exchange and removes
    /// the old one. Returns false when it started from an up-to-date
    /// wheelhouse and no file came out different: the folder is left alone.
    pub fn publish(mut self) -> Result<bool, WheelhouseError> {
        if self.from_existing && same_files(&self.staging, &self.out).unwrap_or(false) {
            return Ok(false);
        }
        let how =
            crate::atomic::publish_dir(&self.staging, &self.out).map_err(io_error(&self.out))?;
        if how == Published::TwoStep {
            tracing::debug!(
                "{}: this filesystem has no atomic exchange; replaced in two renames",
                self.out.display()
            );
        }
        self.published = true;
        Ok(true)
    }
}

impl Drop for StagedWheelhouse {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// The visible regular files at the top of `dir`, sorted.
fn visible_files(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str()
            && !name.starts_with('.')
            && entry.file_type()?.is_file()
        {
            names.insert(name.to_string());
        }
    }
    Ok(names)
}

/// Whether `a` and `b` hold the same names with the same bytes (files
/// linked from one to the other are the same without reading them), and
/// `b` nothing hidden that publishing `a` would remove.
fn same_files(a: &Path, b: &Path) -> std::io::Result<bool> {
    let names = visible_files(a)?;
    let all_of_b: usize = std::fs::read_dir(b)?.count();
    if names != visible_files(b)? || all_of_b != names.len() {
        return Ok(false);
    }
    for name in &names {
        let (left, right) = (a.join(name), b.join(name));
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let (l, r) = (std::fs::metadata(&left)?, std::fs::metadata(&right)?);
            if l.dev() == r.dev() && l.ino() == r.ino() {
                continue;
            }
        }
        if !same_bytes(&left, &right)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether two files hold the same bytes, compared in chunks (a wheel can
/// be large: neither is read whole).
fn same_bytes(left: &Path, right: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    if std::fs::metadata(left)?.len() != std::fs::metadata(right)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (std::fs::File::open(left)?, std::fs::File::open(right)?);
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            // Same length: b is at its end too.
            return Ok(true);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

/// The first way the wheelhouse at `dir` differs from its `manifest`: a
/// file missing, of another size or another sha256 (each wheel is hashed:
/// a file edited in place is found), a report missing, or a `SHA256SUMS`
/// that lists other files or hashes. `None` when it is intact.
pub fn damage(dir: &Path, manifest: &Manifest) -> Option<String> {
    for file in &manifest.files {
        let path = dir.join(&file.filename);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == file.size => {}
            Ok(meta) if meta.is_file() => {
                return Some(format!(
                    "{} has {} bytes, manifest.json says {}",
                    file.filename,
                    meta.len(),
                    file.size
                ));
            }
            _ => return Some(format!("{} is missing", file.filename)),
        }
        match digest_file(&path) {
            Ok((sha256, _)) if Some(sha256) == file.sha256 => {}
            Ok((sha256, _)) => {
                return Some(format!(
                    "{} has sha256 {sha256}, manifest.json says {}",
                    file.filename,
                    file.sha256_text()
                ));
            }
            Err(error) => return Some(format!("{}: {error}", file.filename)),
        }
    }
    let reports = manifest
        .targets
        .iter()
        .map(|t| t.requirements_file.as_str())
        .chain(["SHA256SUMS", "pylock.toml", "sbom.cdx.json"]);
    for name in reports {
        if !dir.join(name).is_file() {
            return Some(format!("{name} is missing"));
        }
    }
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap_or_default();
    let listed: BTreeSet<(String, String)> = sums
        .lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(sha256, name)| (name.to_string(), sha256.to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = manifest
        .files
        .iter()
        .map(|f| (f.filename.clone(), f.sha256_text()))
        .collect();
    if listed != expected {
        return Some("SHA256SUMS does not list the files of manifest.json".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::tests::names as listing;

    #[test]
    fn files_are_compared_by_their_bytes_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut changed = big.clone();
        changed[150_000] ^= 1;
        let a = write("a", &big);
        let b = write("b", &big);
        let c = write("c", &changed);
        let d = write("d", &big[..199_999]);
        assert!(same_bytes(&a, &b).unwrap());
        assert!(!same_bytes(&a, &c).unwrap());
        assert!(!same_bytes(&a, &d).unwrap());
    }

    #[test]
    fn a_staged_wheelhouse_is_published_whole_or_not_at_all() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("wheelhouse");
        {
            let staged = StagedWheelhouse::begin(&out).unwrap();
            assert_eq!(staged.out(), out);
            assert_eq!(staged.path().parent(), Some(root.path()));
            staged.write_report("scan.json", b"{}").unwrap();
            assert!(staged.path().join("scan.json").is_file());
            assert!(
                !out.exists(),
                "nothing reaches the output before publishing"
            );
        }
        // Dropped unpublished: the staging folder is gone, the output untouched.
        assert!(!out.exists());
        assert!(
            listing(root.path())
                .iter()
                .all(|name| !name.starts_with(".chiron-staging")),
            "{:?}",
            listing(root.path())
        );

        let staged = StagedWheelhouse::begin(&out).unwrap();
        staged.write_report("scan.json", b"{}").unwrap();
        let staging = staged.path().to_path_buf();
        assert!(staged.publish().unwrap());
        assert_eq!(listing(&out), ["scan.json"]);
        assert!(!staging.exists());
    }

    #[test]
    fn an_unchanged_wheelhouse_is_left_alone_and_a_changed_one_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("wheelhouse");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("SHA256SUMS"), "sums\n").unwrap();
        std::fs::write(out.join("SHA256SUMS.sig"), "signature\n").unwrap();
        std::fs::write(out.join(".leftover.tmp"), "hidden\n").unwrap();

        // The same files, and a hidden one the publication would remove:
        // it is published (the hidden file goes).
        let mut staged = StagedWheelhouse::begin(&out).unwrap();
        staged.start_from_existing().unwrap();
        assert_eq!(listing(staged.path()), ["SHA256SUMS", "SHA256SUMS.sig"]);
        assert!(staged.publish().unwrap());
        assert_eq!(listing(&out), ["SHA256SUMS", "SHA256SUMS.sig"]);

        // Now nothing differs: nothing is published.
        let mut staged = StagedWheelhouse::begin(&out).unwrap();
        staged.start_from_existing().unwrap();
        staged.write_report("SHA256SUMS", b"sums\n").unwrap();
        assert!(!staged.publish().unwrap());
        assert_eq!(
            std::fs::read_to_string(out.join("SHA256SUMS")).unwrap(),
            "sums\n"
        );

        // One report differs: the whole folder is exchanged.
        let mut staged = StagedWheelhouse::begin(&out).unwrap();
        staged.start_from_existing().unwrap();
        staged.write_report("scan.json", b"{}").unwrap();
        assert!(staged.publish().unwrap());
        assert_eq!(listing(&out), ["SHA256SUMS", "SHA256SUMS.sig", "scan.json"]);
    }

    #[test]
    fn an_output_that_is_a_file_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("wheelhouse");
        std::fs::write(&out, "a file").unwrap();
        let error = StagedWheelhouse::begin(&out).unwrap_err();
        let WheelhouseError::Io { path, source } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(path, &out);
        assert_eq!(source.to_string(), "exists and is not a folder");
    }

    /// A wheelhouse with one wheel, its lock and reports, and its manifest.
    fn intact() -> (tempfile::TempDir, Manifest) {
        let dir = tempfile::tempdir().unwrap();
        let wheel = "six-1.16.0-py2.py3-none-any.whl";
        std::fs::write(dir.path().join(wheel), b"six wheel").unwrap();
        let (sha256, size) = digest_file(&dir.path().join(wheel)).unwrap();
        for report in [
            "requirements-3.12-linux-x86_64.txt",
            "pylock.toml",
            "sbom.cdx.json",
        ] {
            std::fs::write(dir.path().join(report), "").unwrap();
        }
        std::fs::write(
            dir.path().join("SHA256SUMS"),
            format!("{sha256}  {wheel}\n"),
        )
        .unwrap();
        let manifest: Manifest = serde_json::from_value(serde_json::json!({
            "manifest_version": 1,
            "tool": { "name": "chiron", "version": "0" },
            "inputs": { "fingerprint": "", "files": [], "requirements": ["six"], "constraints": [],
                        "indexes": [], "find_links": [], "allow_prereleases": false, "exclude_newer": null },
            "targets": [{ "name": "3.12-linux-x86_64", "python": "3.12", "platform": "linux-x86_64",
                          "requirements_file": "requirements-3.12-linux-x86_64.txt",
                          "platform_tags": ["manylinux_2_17_x86_64"] }],
            "packages": [],
            "files": [{ "filename": wheel, "sha256": sha256, "size": size, "url": "", "index": "",
                        "yanked": false, "targets": ["3.12-linux-x86_64"] }]
        }))
        .unwrap();
        (dir, manifest)
    }

    #[test]
    fn damage_names_the_first_difference_from_the_manifest() {
        let (dir, manifest) = intact();
        assert_eq!(damage(dir.path(), &manifest), None);
        let wheel = dir.path().join("six-1.16.0-py2.py3-none-any.whl");
        let sha256 = manifest.files[0].sha256_text();

        // Same size, other bytes: found by hashing.
        std::fs::write(&wheel, b"six wheeL").unwrap();
        let (edited, _) = digest_file(&wheel).unwrap();
        assert_eq!(
            damage(dir.path(), &manifest).unwrap(),
            format!(
                "six-1.16.0-py2.py3-none-any.whl has sha256 {edited}, manifest.json says {sha256}"
            )
        );
        std::fs::write(&wheel, b"six").unwrap();
        assert_eq!(
            damage(dir.path(), &manifest).unwrap(),
            "six-1.16.0-py2.py3-none-any.whl has 3 bytes, manifest.json says 9"
        );
        std::fs::remove_file(&wheel).unwrap();
        assert_eq!(
            damage(dir.path(), &manifest).unwrap(),
            "six-1.16.0-py2.py3-none-any.whl is missing"
        );

        let (dir, manifest) = intact();
        std::fs::remove_file(dir.path().join("requirements-3.12-linux-x86_64.txt")).unwrap();
        assert_eq!(
            damage(dir.path(), &manifest).unwrap(),
            "requirements-3.12-linux-x86_64.txt is missing"
        );

        let (dir, manifest) = intact();
        std::fs::write(dir.path().join("SHA256SUMS"), "").unwrap();
        assert_eq!(
            damage(dir.path(), &manifest).unwrap(),
            "SHA256SUMS does not list the files of manifest.json"
        );
    }
}
