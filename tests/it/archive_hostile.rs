//! Bundles that `tar` and `chiron verify` could read differently. Each
//! hostile variant is written by Python's own `tarfile` and `gzip` (as an
//! attacker would), and the oracle is what GNU tar and `tarfile` extract:
//! `verify` refuses every variant that would extract to something it did
//! not check, and whatever it accepts, both extract to exactly the files
//! and bytes its SHA256SUMS lists.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{chiron, write_files};

const PASSWORD: &str = "correct horse battery staple";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hostile_tar.py");

/// A signed bundle of app 1.0 -> lib 2.0, at `h/bundle.tar.gz`.
fn signed_bundle(h: &Path) -> support::index::TestIndex {
    let index = support::app_lib_wheelhouse(h, &["--python", "3.11", "--platform", "linux-x86_64"]);
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["keys", "generate"])
        .assert()
        .success();
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args([
            "airgap",
            "build",
            "wh",
            "-o",
            "bundle.tar.gz",
            "--key",
            "cosign.key",
        ])
        .assert()
        .success();
    index
}

fn python(args: &[&str]) {
    let output = Command::new("python3")
        .arg(SCRIPT)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Path to sha256 of every file under `dir`.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let bytes = std::fs::read(&path).unwrap();
                out.insert(rel, chiron::digest::sha256_hex(&bytes));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// What GNU tar extracts (None when it fails).
fn gnu_tar_tree(archive: &Path, dest: &Path) -> Option<BTreeMap<String, String>> {
    gnu_tar_tree_with(archive, dest, "xzf")
}

fn gnu_tar_tree_with(archive: &Path, dest: &Path, flags: &str) -> Option<BTreeMap<String, String>> {
    std::fs::create_dir_all(dest).unwrap();
    let ok = Command::new("tar")
        .arg(flags)
        .arg(archive)
        .current_dir(dest)
        .output()
        .unwrap()
        .status
        .success();
    ok.then(|| tree(dest))
}

/// What Python's tarfile extracts (None when it fails).
fn tarfile_tree(archive: &Path, dest: &Path) -> Option<BTreeMap<String, String>> {
    let ok = Command::new("python3")
        .arg(SCRIPT)
        .arg("tree")
        .arg(archive)
        .arg(dest)
        .output()
        .unwrap()
        .status
        .success();
    ok.then(|| tree(dest))
}

/// The files a verified bundle vouches for: SHA256SUMS' lines, and the
/// two files that carry them.
fn vouched(verified: &BTreeMap<String, String>, dir: &Path) -> BTreeMap<String, String> {
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut out: BTreeMap<String, String> = sums
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(hash, name)| (name.to_string(), hash.to_string()))
        .collect();
    for name in ["SHA256SUMS", "SHA256SUMS.sig"] {
        out.insert(name.to_string(), verified[name].clone());
    }
    out
}

fn verify(h: &Path, archive: &Path, extra: &[&str]) -> (i32, String) {
    let output = chiron(h)
        .current_dir(h)
        .env("TMPDIR", h.join("tmp"))
        .arg("verify")
        .arg(archive)
        .args(["--key", "cosign.pub"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "{}: {stderr}",
        archive.display()
    );
    (output.status.code().unwrap(), stderr)
}

/// Whatever `verify` accepts, GNU tar and tarfile extract to the vouched
/// files exactly.
fn assert_extracts_as_verified(h: &Path, archive: &Path, reference: &BTreeMap<String, String>) {
    let name = archive.file_stem().unwrap().to_string_lossy().into_owned();
    let gnu = gnu_tar_tree(archive, &h.join("x-gnu").join(&name))
        .unwrap_or_else(|| panic!("{name}: verified, but GNU tar fails on it"));
    let py = tarfile_tree(archive, &h.join("x-py").join(&name))
        .unwrap_or_else(|| panic!("{name}: verified, but tarfile fails on it"));
    assert_eq!(
        &gnu, reference,
        "{name}: GNU tar extracts other files than verified"
    );
    assert_eq!(
        &py, reference,
        "{name}: tarfile extracts other files than verified"
    );
}

#[test]
fn hostile_archives_are_refused_and_what_verifies_is_what_tar_extracts() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir(h.join("tmp")).unwrap();
    let _index = signed_bundle(h);
    let good = h.join("bundle.tar.gz");
    let (code, stderr) = verify(h, &good, &[]);
    assert_eq!(code, 0, "{stderr}");
    let gnu = gnu_tar_tree(&good, &h.join("good")).unwrap();
    let reference = vouched(&gnu, &h.join("good"));
    assert_extracts_as_verified(h, &good, &reference);

    let variants = h.join("variants");
    std::fs::create_dir(&variants).unwrap();
    python(&["make", good.to_str().unwrap(), variants.to_str().unwrap()]);
    let refused = [
        ("second_member", "second gzip member"),
        ("trailing_bytes", "after its gzip stream"),
        ("after_marker", "after the end-of-archive marker"),
        ("pax_size", "pax extended header with the records [size]"),
        ("pax_two_paths", "with the records [path, path]"),
        ("pax_path_and_mtime", "with the records [path, mtime]"),
        ("pax_linkpath", "with the records [linkpath]"),
        (
            "pax_dotdot",
            r#"unsafe path "../install.sh" (from a pax extended header)"#,
        ),
        ("pax_not_utf8", "is not UTF-8"),
        (
            "pax_before_link",
            "(symbolic link): chiron reads a pax `path` only before a regular file",
        ),
        (
            "pax_before_folder",
            "(folder): chiron reads a pax `path` only before a regular file",
        ),
        ("pax_at_end", "ends right after the pax extended header"),
        ("pax_global", "is a pax global header"),
        (
            "pax_bad_length",
            "malformed pax extended header: record 1 claims 99 bytes",
        ),
        ("pax_bomb", "decompression bomb"),
        ("gnu_longname", "GNU long-name entry"),
        ("base256_bomb", "decompression bomb"),
        ("gnu_prefix", "name prefix"),
        ("hardlink", "hard link"),
        ("symlink", "symbolic link"),
        ("setuid", "mode 4755"),
        ("owner_uid", "owned by uid 1000"),
        ("owner_name", "(alice:)"),
        ("owner_dot", "owned by uid 1000 gid 1000"),
        ("file_with_slash", "trailing /"),
        ("duplicate_manifest", "manifest.json appears twice"),
        ("file_then_folder", "a/b is inside a, which is a file"),
        ("backslash", r#""..\..\x""#),
        ("control_char", r#""a\u{1b}[2Jb""#),
        ("bad_checksum", "checksum"),
        ("truncated", "truncated"),
        ("split_members", "more than one gzip member"),
    ];
    for (variant, message) in refused {
        let archive = variants.join(format!("{variant}.tar.gz"));
        let (code, stderr) = verify(h, &archive, &[]);
        assert_eq!(code, 1, "{variant}: {stderr}");
        assert!(stderr.contains(message), "{variant}: {stderr}");
        // airgap install refuses it too, and leaves nothing.
        let output = chiron(h)
            .current_dir(h)
            .env("TMPDIR", h.join("tmp"))
            .args(["airgap", "install"])
            .arg(&archive)
            .args(["--venv", "never", "--key", "cosign.pub"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{variant}");
        assert!(!h.join("never").exists(), "{variant}");
        let left: Vec<_> = std::fs::read_dir(h.join("tmp")).unwrap().collect();
        assert!(left.is_empty(), "{variant}: {left:?}");
    }
    // The attacks are real, not test artefacts: tar reading past zero
    // blocks (`-i`, as when archives are concatenated) takes the appended
    // install.sh, and tarfile follows the pax size.
    let evil = gnu_tar_tree_with(
        &variants.join("second_member.tar.gz"),
        &h.join("evil"),
        "xzif",
    )
    .unwrap();
    assert_ne!(evil["install.sh"], reference["install.sh"]);
    let evil = tarfile_tree(&variants.join("pax_size.tar.gz"), &h.join("evil-pax")).unwrap();
    assert_ne!(evil["pylock.toml"], reference["pylock.toml"]);
    // Of two pax paths, both tools take the last one.
    let two = variants.join("pax_two_paths.tar.gz");
    for evil in [
        gnu_tar_tree(&two, &h.join("evil-two-gnu")).unwrap(),
        tarfile_tree(&two, &h.join("evil-two-py")).unwrap(),
    ] {
        assert_eq!(evil.get("evil.sh"), reference.get("install.sh"));
        assert!(!evil.contains_key("install.sh"));
    }

    // Harmless variants verify, and extract as verified.
    for variant in ["ok_padding", "ok_recompressed", "ok_pax_path"] {
        let archive = variants.join(format!("{variant}.tar.gz"));
        let (code, stderr) = verify(h, &archive, &[]);
        assert_eq!(code, 0, "{variant}: {stderr}");
        assert_extracts_as_verified(h, &archive, &reference);
    }

    // `sbom` and `scan` read a bundle with the same reader: a duplicate
    // manifest is refused there too.
    let dup = variants.join("duplicate_manifest.tar.gz");
    for command in [&["sbom"][..], &["scan"][..]] {
        let output = chiron(h)
            .current_dir(h)
            .args(command)
            .arg(&dup)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{command:?}");
        assert!(stderr.contains("appears twice"), "{command:?}: {stderr}");
    }
}

#[test]
fn corrupted_headers_never_verify_to_something_tar_extracts_differently() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir(h.join("tmp")).unwrap();
    let _index = signed_bundle(h);
    let good = h.join("bundle.tar.gz");
    let gnu = gnu_tar_tree(&good, &h.join("good")).unwrap();
    let reference = vouched(&gnu, &h.join("good"));
    let mutants = h.join("mutants");
    std::fs::create_dir(&mutants).unwrap();
    let count = 60;
    python(&[
        "mutate",
        good.to_str().unwrap(),
        mutants.to_str().unwrap(),
        &count.to_string(),
        "11",
    ]);
    let mut accepted = 0;
    for i in 0..count {
        let archive: PathBuf = mutants.join(format!("m{i:03}.tar.gz"));
        let (code, stderr) = verify(h, &archive, &[]);
        assert!(code == 0 || code == 1, "m{i:03}: exit {code}: {stderr}");
        if code == 0 {
            accepted += 1;
            assert_extracts_as_verified(h, &archive, &reference);
        }
    }
    // Most corruptions are caught; some (a mode's read bit, say) change
    // nothing tar extracts.
    assert!(
        accepted < count,
        "every mutant verified: the mutations do nothing"
    );
}

#[test]
fn a_bomb_is_refused_by_the_size_its_manifest_declares() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir(h.join("tmp")).unwrap();
    // 300 MiB of zeros after a manifest that lists one small wheel: over
    // the default bound (the wheels' size plus 256 MiB), with no flag.
    let script = r#"
import gzip, io, sys, tarfile
out = sys.argv[1]
manifest = b'{"files": [{"filename": "a-1-py3-none-any.whl", "size": 1000}]}'
with gzip.GzipFile(out, "wb", 1, mtime=0) as g:
    with tarfile.open(fileobj=g, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("manifest.json"); info.size = len(manifest)
        t.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo("wheels/a-1-py3-none-any.whl"); info.size = 300 << 20
        class Zeros(io.RawIOBase):
            left = 300 << 20
            def readinto(self, b):
                n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
        t.addfile(info, Zeros())
"#;
    let archive = h.join("bomb.tar.gz");
    assert!(
        Command::new("python3")
            .args(["-c", script])
            .arg(&archive)
            .status()
            .unwrap()
            .success()
    );
    write_files(h, &[("cosign.pub", "unused\n")]);
    let output = chiron(h)
        .current_dir(h)
        .env("TMPDIR", h.join("tmp"))
        .arg("verify")
        .arg(&archive)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("decompression bomb"), "{stderr}");
    assert!(stderr.contains("--max-size"), "{stderr}");
    // Nothing of it was written: the size was refused from the header.
    assert_eq!(std::fs::read_dir(h.join("tmp")).unwrap().count(), 0);
    // `sbom` of the bundle reads it with the same bound.
    let output = chiron(h)
        .current_dir(h)
        .arg("sbom")
        .arg(&archive)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("decompression bomb"), "{stderr}");
}

/// `cpXY` of the host's python3.
fn host_cpython_tag() -> String {
    let output = Command::new("python3")
        .args(["-c", "import sys; print('cp%d%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn a_wheel_name_longer_than_ustar_holds_is_bundled_verified_and_installed() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir(h.join("tmp")).unwrap();
    // The shape of a real charset_normalizer wheel: 106 characters, more
    // than ustar's 100-byte name field holds without a folder to split at.
    let cp = host_cpython_tag();
    let tag = format!("{cp}-{cp}-manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64");
    let index = support::index::TestIndex::start(support::index::PageFormat::Json, true);
    let wheel = index.add(&support::index::WheelSpec::new(
        "charset-normalizer",
        "3.5.3",
        &tag,
    ));
    assert!(wheel.filename.len() > 100, "{}", wheel.filename);
    let python = format!("{}.{}", &cp[2..3], &cp[3..]);
    chiron(h)
        .current_dir(h)
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "charset-normalizer", "--out", "wh"])
        .args(["--python", &python, "--platform", "linux-x86_64"])
        .assert()
        .success();
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["keys", "generate"])
        .assert()
        .success();
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["airgap", "build", "wh", "-o", "bundle.tar.gz"])
        .args(["--key", "cosign.key"])
        .assert()
        .success();
    let bundle = h.join("bundle.tar.gz");
    let (code, stderr) = verify(h, &bundle, &[]);
    assert_eq!(code, 0, "{stderr}");

    // GNU tar lists the full name, and nothing of GNU's own extensions or
    // of the pax header; both extractors give the verified files.
    let listing = Command::new("tar")
        .arg("tzf")
        .arg(&bundle)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    let long = format!("wheels/{}", wheel.filename);
    assert!(listing.lines().any(|l| l == long), "{listing}");
    assert!(
        !listing.contains("LongLink") && !listing.contains("PaxHeader"),
        "{listing}"
    );
    let gnu = gnu_tar_tree(&bundle, &h.join("good")).unwrap();
    let reference = vouched(&gnu, &h.join("good"));
    assert_eq!(reference[&long], wheel.sha256);
    assert_extracts_as_verified(h, &bundle, &reference);

    // pip installs it offline from the bundle; the OCI push reads it too.
    let output = chiron(h)
        .current_dir(h)
        .env("TMPDIR", h.join("tmp"))
        .args(["airgap", "install", "bundle.tar.gz", "--venv", "venv"])
        .args(["--key", "cosign.pub"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = Command::new(h.join("venv/bin/python"))
        .args(["-m", "pip", "list", "--format=freeze"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("charset-normalizer==3.5.3"), "{listed}");
    chiron(h)
        .current_dir(h)
        .args(["airgap", "push", "bundle.tar.gz", "--oci-layout", "layout"])
        .assert()
        .success();
}
