//! Keys, signatures, provenance, reproducible bundles, verification and
//! offline installation. `openssl` checks the signatures as an independent
//! implementation; real pip installs the bundle into a fresh venv.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, write_files};
use base64::Engine as _;
use serde_json::Value;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn keys(home: &Path) {
    chiron(home)
        .current_dir(home)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["keys", "generate"])
        .assert()
        .success();
}

/// openssl's verdict on a cosign blob signature.
pub(crate) fn openssl_verifies(
    public: &Path,
    file: &Path,
    signature_b64: &str,
    scratch: &Path,
) -> bool {
    let der = base64::engine::general_purpose::STANDARD
        .decode(signature_b64.trim())
        .unwrap();
    let sig = scratch.join("signature.der");
    std::fs::write(&sig, der).unwrap();
    Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(&sig)
        .arg(file)
        .output()
        .expect("openssl is installed by .ci/run")
        .status
        .success()
}

/// Signs `file` with chiron (password in `variable`), checks the signature
/// with openssl and with `chiron verify`; returns it.
fn sign_and_check(h: &Path, file: &str, private: &str, public: &str, variable: &str) -> String {
    chiron(h)
        .current_dir(h)
        .env(variable, PASSWORD)
        .args(["sign", file, "--key", private])
        .assert()
        .success();
    let signature = std::fs::read_to_string(h.join(format!("{file}.sig"))).unwrap();
    assert!(openssl_verifies(
        &h.join(public),
        &h.join(file),
        &signature,
        h
    ));
    chiron(h)
        .current_dir(h)
        .args(["verify", file, "--key", public])
        .assert()
        .success()
        .stdout(predicates::str::contains("verified"));
    signature
}

#[test]
fn cosign_keys_sign_blobs_that_openssl_verifies() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    keys(h);
    let private = std::fs::read_to_string(h.join("cosign.key")).unwrap();
    assert!(private.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(h.join("cosign.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never overwritten without --force.
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["keys", "generate"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force"));

    write_files(h, &[("artifact.txt", "release 1.0\n")]);
    let signature = sign_and_check(
        h,
        "artifact.txt",
        "cosign.key",
        "cosign.pub",
        "COSIGN_PASSWORD",
    );

    // A changed file, another key, a corrupt signature, a wrong password:
    // each its own error.
    write_files(h, &[("artifact.txt", "release 1.1\n")]);
    assert!(!openssl_verifies(
        &h.join("cosign.pub"),
        &h.join("artifact.txt"),
        &signature,
        h
    ));
    chiron(h)
        .current_dir(h)
        .args(["verify", "artifact.txt", "--key", "cosign.pub"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("does not match"));
    write_files(h, &[("artifact.txt", "release 1.0\n")]);
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", "other")
        .args(["keys", "generate", "--output-key-prefix", "other"])
        .assert()
        .success();
    chiron(h)
        .current_dir(h)
        .args(["verify", "artifact.txt", "--key", "other.pub"])
        .assert()
        .code(1);
    write_files(h, &[("artifact.txt.sig", "this is not base64!\n")]);
    chiron(h)
        .current_dir(h)
        .args(["verify", "artifact.txt", "--key", "cosign.pub"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is unreadable"));
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", "wrong")
        .args(["sign", "artifact.txt", "--key", "cosign.key"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("wrong password"));
    chiron(h)
        .current_dir(h)
        .args(["sign", "artifact.txt", "--key", "cosign.key"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("CHIRON_PASSWORD"));
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["sign", "artifact.txt", "--key", "cosign.pub"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a cosign private key"));
}

/// A cosign-format key made by an independent implementation of the format
/// (Python's cryptography for scrypt and the key, PyNaCl for the
/// secretbox), as cosign writes it: chiron must read it and sign with it.
#[test]
fn keys_written_by_another_implementation_of_the_format_are_read() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let python = std::env::var("CHIRON_TEST_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import base64, json, os, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
import nacl.secret

password = sys.argv[1].encode()
key = ec.generate_private_key(ec.SECP256R1())
der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
salt, nonce = os.urandom(32), os.urandom(24)
box = nacl.secret.SecretBox(Scrypt(salt=salt, length=32, n=32768, r=8, p=1).derive(password))
sealed = box.encrypt(der, nonce).ciphertext
body = json.dumps({"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
                   "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
                   "ciphertext": base64.b64encode(sealed).decode()}).encode()
b64 = base64.b64encode(body).decode()
with open("py.key", "w") as f:
    f.write("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n")
    f.write("\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)))
    f.write("\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n")
with open("py.pub", "wb") as f:
    f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
"#;
    let status = Command::new(&python)
        .args(["-c", script, PASSWORD])
        .current_dir(h)
        .status()
        .expect("the tools venv (cryptography, pynacl) is installed by .ci/run");
    assert!(
        status.success(),
        "{python} needs cryptography and pynacl (.ci/run installs them)"
    );
    write_files(h, &[("blob.bin", "payload")]);
    sign_and_check(h, "blob.bin", "py.key", "py.pub", "CHIRON_PASSWORD");
}

/// A wheelhouse of app 1.0 -> lib 2.0 for the host's Python on Linux, in `h/wh`.
fn wheelhouse(h: &Path) -> TestIndex {
    support::app_lib_wheelhouse(
        h,
        &[
            "--python",
            &host_python(),
            "--platform",
            "linux-x86_64,linux-aarch64,windows-x86_64",
        ],
    )
}
fn host_python() -> String {
    let output = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3 is installed by .ci/run");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn build(h: &Path, wheelhouse: &str, out: &str, extra: &[&str]) -> String {
    let output = chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["airgap", "build", wheelhouse, "-o", out, "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["sha256"].as_str().unwrap().to_string()
}

fn tar(args: &[&str], dir: &Path) {
    let status = Command::new("tar")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "tar {args:?}");
}

/// Unpacks `bundle` into `dir`, applies `change`, packs it as `out`.
fn tampered(h: &Path, bundle: &str, name: &str, change: impl FnOnce(&Path)) -> PathBuf {
    let dir = h.join(format!("t-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    tar(&["xzf", h.join(bundle).to_str().unwrap()], &dir);
    change(&dir);
    let out = h.join(format!("{name}.tar.gz"));
    tar(
        &[
            "czf",
            out.to_str().unwrap(),
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            ".",
        ],
        &dir,
    );
    out
}

fn verify(h: &Path, path: &Path, key: &str) -> (i32, Value) {
    let output = chiron(h)
        .current_dir(h)
        .arg("verify")
        .arg(path)
        .args(["--key", key, "--json"])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr))),
    )
}

fn kinds(report: &Value) -> Vec<(String, String)> {
    report["report"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems listed: {report:#}"))
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn bundles_are_reproducible_verified_and_install_offline() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index = wheelhouse(h);
    keys(h);

    // The same wheelhouse, in another folder, bundled later: the same bytes.
    let first = build(h, "wh", "bundle.tar.gz", &["--key", "cosign.key"]);
    let copy = h.join("elsewhere/wh");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(h.join("wh")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = build(
        h,
        "elsewhere/wh",
        "elsewhere/bundle.tar.gz",
        &["--key", "cosign.key"],
    );
    assert_eq!(first, second, "byte-identical bundles");
    assert_eq!(
        std::fs::read(h.join("bundle.tar.gz")).unwrap(),
        std::fs::read(h.join("elsewhere/bundle.tar.gz")).unwrap()
    );
    // SOURCE_DATE_EPOCH sets the entry times (and so the bytes).
    let output = chiron(h)
        .current_dir(h)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["airgap", "build", "wh", "-o", "sde.tar.gz", "--unsigned"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let listing = Command::new("tar")
        .args(["tzvf", "sde.tar.gz"])
        .current_dir(h)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("2023-11-14"), "{listing}");
    assert!(
        listing.lines().all(|l| l.contains("0/0")),
        "uid/gid 0: {listing}"
    );

    // Verified, signature and provenance included.
    let (code, report) = verify(h, &h.join("bundle.tar.gz"), "cosign.pub");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["report"]["signature_checked"], true);
    assert_eq!(report["report"]["wheels_checked"], 2);

    // The provenance: an in-toto statement with SLSA provenance, every
    // file a subject, its DSSE signature checked by openssl over the PAE.
    let unpacked = h.join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    tar(
        &["xzf", h.join("bundle.tar.gz").to_str().unwrap()],
        &unpacked,
    );
    let envelope: Value =
        serde_json::from_slice(&std::fs::read(unpacked.join("provenance.intoto.json")).unwrap())
            .unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    let subjects: Vec<&str> = statement["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(subjects.contains(&"wheels/lib-2.0-py3-none-any.whl"));
    assert!(subjects.contains(&"install.sh"));
    let indexes =
        statement["predicate"]["buildDefinition"]["externalParameters"]["indexes"].to_string();
    assert!(indexes.contains("127.0.0.1"));
    let mut pae = format!("DSSEv1 28 application/vnd.in-toto+json {} ", payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    std::fs::write(h.join("pae.bin"), &pae).unwrap();
    assert!(openssl_verifies(
        &h.join("cosign.pub"),
        &h.join("pae.bin"),
        envelope["signatures"][0]["sig"].as_str().unwrap(),
        h
    ));
    // The unpacked folder verifies too, and so does the wheelhouse.
    assert_eq!(verify(h, &unpacked, "cosign.pub").0, 0);
    chiron(h)
        .current_dir(h)
        .args(["verify", "wh"])
        .assert()
        .success();

    // install.sh into a fresh venv, no index anywhere, then pip check.
    let venv = h.join("venv");
    assert!(
        Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    let python = venv.join("bin/python");
    let output = Command::new("sh")
        .arg(unpacked.join("install.sh"))
        .arg(&python)
        .env_remove("PIP_FIND_LINKS")
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let check = Command::new(&python)
        .args(["-m", "pip", "check"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let listed = Command::new(&python)
        .args(["-m", "pip", "list", "--format=freeze"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("app==1.0") && listed.contains("lib==2.0"),
        "{listed}"
    );

    // chiron airgap install: verifies, then installs into a new venv.
    chiron(h)
        .current_dir(h)
        .env("PIP_FIND_LINKS", "/nonexistent")
        .args([
            "airgap",
            "install",
            "bundle.tar.gz",
            "--venv",
            "venv2",
            "--key",
            "cosign.pub",
        ])
        .assert()
        .success();
    let listed = Command::new(h.join("venv2/bin/python"))
        .args(["-m", "pip", "list", "--format=freeze"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("lib==2.0"));

    // An existing interpreter, with the target named; an unknown target is
    // named with a hint, and nothing is installed.
    let venv3 = h.join("venv3");
    assert!(
        Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv3)
            .status()
            .unwrap()
            .success()
    );
    let target = format!("{}-linux-x86_64", host_python());
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "install",
            "bundle.tar.gz",
            "--python",
            "venv3/bin/python",
            "--target",
            &target,
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains(format!(
            "requirements-{target}.txt"
        )));
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "install",
            "bundle.tar.gz",
            "--python",
            "venv3/bin/python",
            "--target",
            "2.7-os2",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has no requirements-2.7-os2.txt"))
        .stderr(predicates::str::contains("hint:"));
}

#[test]
fn every_kind_of_tampering_is_detected_and_named() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index = wheelhouse(h);
    keys(h);
    build(h, "wh", "bundle.tar.gz", &["--key", "cosign.key"]);
    let wheel = "wheels/lib-2.0-py3-none-any.whl";

    // A flipped byte in a wheel.
    let flipped = tampered(h, "bundle.tar.gz", "flipped", |d| {
        let path = d.join(wheel);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        std::fs::write(&path, bytes).unwrap();
    });
    let (code, report) = verify(h, &flipped, "cosign.pub");
    assert_eq!(code, 1);
    let found = kinds(&report);
    assert!(
        found.contains(&("modified".into(), wheel.into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("provenance".into(), wheel.into())),
        "{found:?}"
    );

    // A file added; a file removed.
    let added = tampered(h, "bundle.tar.gz", "added", |d| {
        std::fs::write(d.join("wheels/evil-1.0-py3-none-any.whl"), b"PK").unwrap();
    });
    let found = kinds(&verify(h, &added, "cosign.pub").1);
    assert!(
        found.contains(&("added".into(), "wheels/evil-1.0-py3-none-any.whl".into())),
        "{found:?}"
    );
    let removed = tampered(h, "bundle.tar.gz", "removed", |d| {
        std::fs::remove_file(d.join("README.txt")).unwrap();
    });
    let found = kinds(&verify(h, &removed, "cosign.pub").1);
    assert!(
        found.contains(&("missing".into(), "README.txt".into())),
        "{found:?}"
    );

    // The sums rewritten to match a changed file: only the signature can tell.
    let resummed = tampered(h, "bundle.tar.gz", "resummed", |d| {
        std::fs::write(d.join("README.txt"), "trust me\n").unwrap();
        let sums = std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
        let new_hash = support::index::sha256_hex(b"trust me\n");
        let sums: String = sums
            .lines()
            .map(|l| {
                if l.ends_with("  README.txt") {
                    format!("{new_hash}  README.txt\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(d.join("SHA256SUMS"), sums).unwrap();
    });
    let found = kinds(&verify(h, &resummed, "cosign.pub").1);
    assert!(
        found.contains(&("signature".into(), "SHA256SUMS.sig".into())),
        "{found:?}"
    );

    // A damaged signature names the signature file, not SHA256SUMS, as
    // what is unreadable.
    let flipped_sig = tampered(h, "bundle.tar.gz", "flipped-sig", |d| {
        let sig = std::fs::read_to_string(d.join("SHA256SUMS.sig")).unwrap();
        std::fs::write(d.join("SHA256SUMS.sig"), format!("!{}", &sig[1..])).unwrap();
    });
    let (code, report) = verify(h, &flipped_sig, "cosign.pub");
    assert_eq!(code, 1);
    let problem = report["report"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "SHA256SUMS.sig")
        .unwrap_or_else(|| panic!("{report:#}"));
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.contains("the signature of SHA256SUMS is unreadable"),
        "{message}"
    );
    assert!(
        !message.contains("SHA256SUMS is not a signature"),
        "{message}"
    );

    // A signature swapped for one made with another key.
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", "x")
        .args(["keys", "generate", "--output-key-prefix", "other"])
        .assert()
        .success();
    let swapped = tampered(h, "bundle.tar.gz", "swapped", |d| {
        let sums = std::fs::read(d.join("SHA256SUMS")).unwrap();
        std::fs::write(d.join("sums"), sums).unwrap();
    });
    // Sign the same SHA256SUMS with the other key and put it in.
    let dir = h.join("t-swapped");
    chiron(h)
        .current_dir(&dir)
        .env("CHIRON_PASSWORD", "x")
        .args(["sign", "sums", "--key"])
        .arg(h.join("other.key"))
        .args(["--output-signature", "SHA256SUMS.sig"])
        .assert()
        .success();
    std::fs::remove_file(dir.join("sums")).unwrap();
    std::fs::remove_file(&swapped).unwrap();
    tar(
        &[
            "czf",
            swapped.to_str().unwrap(),
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            ".",
        ],
        &dir,
    );
    let found = kinds(&verify(h, &swapped, "cosign.pub").1);
    assert!(
        found.contains(&("signature".into(), "SHA256SUMS.sig".into())),
        "{found:?}"
    );

    // A wheel whose RECORD does not match its contents (re-zipped
    // consistently with the sums): the RECORD check names the entry.
    let doctored = tampered(h, "bundle.tar.gz", "doctored", |d| {
        let path = d.join(wheel);
        let script = "import sys, zipfile\nsrc = sys.argv[1]\nitems = [(i, zipfile.ZipFile(src).read(i.filename)) for i in zipfile.ZipFile(src).infolist()]\nwith zipfile.ZipFile(src, 'w') as z:\n    for info, data in items:\n        if info.filename.endswith('__init__.py'):\n            data = data + b'\\nimport os\\n'\n        z.writestr(info, data)\n";
        assert!(
            Command::new("python3")
                .args(["-c", script])
                .arg(&path)
                .status()
                .unwrap()
                .success()
        );
    });
    let found = kinds(&verify(h, &doctored, "cosign.pub").1);
    assert!(
        found.iter().any(|(k, p)| k == "record" && p == wheel),
        "{found:?}"
    );

    // Nothing was installed from a tampered bundle.
    chiron(h)
        .current_dir(h)
        .args(["airgap", "install"])
        .arg(&flipped)
        .args(["--venv", "never", "--key", "cosign.pub"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("nothing was installed"));
    assert!(!h.join("never").exists());
}

#[test]
fn malicious_archives_are_refused_before_anything_is_written() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let scratch = h.join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let make = r#"
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w:gz") as t:
    def add(name, data=b"x", **kw):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        for k, v in kw.items():
            setattr(info, k, v)
        t.addfile(info, io.BytesIO(data))
    add("manifest.json", b"{}")
    if kind == "traversal":
        add("../../escaped.txt")
    elif kind == "absolute":
        add("/tmp/chiron-absolute.txt")
    elif kind == "symlink":
        info = tarfile.TarInfo("wheels/link")
        info.type = tarfile.SYMTYPE
        info.linkname = "../../../etc/passwd"
        t.addfile(info)
    elif kind == "device":
        info = tarfile.TarInfo("dev")
        info.type = tarfile.CHRTYPE
        t.addfile(info)
    elif kind == "bomb":
        add("zeros.bin", b"\0" * (8 * 1024 * 1024))
"#;
    for (kind, message) in [
        ("traversal", "unsafe path"),
        ("absolute", "unsafe path"),
        ("symlink", "symbolic link"),
        ("device", "device"),
        ("bomb", "decompression bomb"),
    ] {
        let archive = h.join(format!("{kind}.tar.gz"));
        assert!(
            Command::new("python3")
                .args(["-c", make, kind])
                .arg(&archive)
                .status()
                .unwrap()
                .success()
        );
        chiron(h)
            .current_dir(h)
            .env("TMPDIR", &scratch)
            .arg("verify")
            .arg(&archive)
            .args(["--max-size", "1000000"])
            .assert()
            .code(1)
            .stderr(predicates::str::contains(message));
        chiron(h)
            .current_dir(h)
            .env("TMPDIR", &scratch)
            .args(["airgap", "install"])
            .arg(&archive)
            .args(["--venv", "never", "--max-size", "1000000"])
            .assert()
            .code(1)
            .stderr(predicates::str::contains(message));
        assert!(!h.join("never").exists(), "{kind}");
        let left: Vec<_> = std::fs::read_dir(&scratch).unwrap().collect();
        assert!(left.is_empty(), "{kind}: {left:?}");
        assert!(!h.join("escaped.txt").exists() && !Path::new("/tmp/chiron-absolute.txt").exists());
    }
}

/// A real registry (Debian's docker-registry, installed by .ci/run) on a
/// free port of 127.0.0.1, for as long as the guard lives.
struct RealRegistry {
    child: std::process::Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for RealRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry() -> RealRegistry {
    start_registry_with(None)
}

/// With `htpasswd`, the registry wants HTTP basic credentials.
fn start_registry_with(htpasswd: Option<&Path>) -> RealRegistry {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n{}",
            dir.path().join("data").display(),
            htpasswd
                .map(|p| format!("auth:\n  htpasswd:\n    realm: test\n    path: {}\n", p.display()))
                .unwrap_or_default()
        ),
    )
    .unwrap();
    let binary =
        std::env::var("CHIRON_TEST_REGISTRY").unwrap_or_else(|_| "/usr/bin/docker-registry".into());
    let child = Command::new(&binary)
        .arg("serve")
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{binary} (Debian's docker-registry, installed by .ci/run): {e}")
        });
    for _ in 0..100 {
        if std::net::TcpStream::connect(&address).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    RealRegistry {
        child,
        address,
        _dir: dir,
    }
}

#[test]
fn bundles_travel_through_a_real_registry_and_an_oci_layout() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index = wheelhouse(h);
    keys(h);
    build(h, "wh", "bundle.tar.gz", &["--key", "cosign.key"]);
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", PASSWORD)
        .args(["sign", "bundle.tar.gz", "--key", "cosign.key"])
        .assert()
        .success();
    let registry = start_registry();
    let target = format!("oci://{}/team/bundle:1.0", registry.address);
    let output = chiron(h)
        .current_dir(h)
        .args(["airgap", "push", "bundle.tar.gz", &target, "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pushed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        pushed["layers"],
        serde_json::json!(["bundle.tar.gz", "sbom.cdx.json", "bundle.tar.gz.sig"])
    );

    // A second client, ORAS (Python), pulls what chiron pushed.
    let python = std::env::var("CHIRON_TEST_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let oras_dir = h.join("oras");
    let script = "import sys, oras.client\nc = oras.client.OrasClient(hostname=sys.argv[1], insecure=True)\nprint(c.pull(target=sys.argv[2], outdir=sys.argv[3]))\n";
    let output = Command::new(&python)
        .args([
            "-c",
            script,
            &registry.address,
            &format!("{}/team/bundle:1.0", registry.address),
        ])
        .arg(&oras_dir)
        .output()
        .expect("the tools venv (oras) is installed by .ci/run");
    assert!(
        output.status.success(),
        "oras: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read(oras_dir.join("bundle.tar.gz")).unwrap(),
        std::fs::read(h.join("bundle.tar.gz")).unwrap()
    );
    assert!(oras_dir.join("sbom.cdx.json").is_file());

    // ORAS pushes a bundle with no artifactType (oras-py cannot set one):
    // as a bare upload (its generic config type) and with the chiron type
    // as the config media type (OCI 1.1: then that is the artifact type).
    // chiron pulls both, and they verify; a generic artifact without a
    // bundle is refused, naming the type and where it came from.
    let push = "import os, sys, oras.client\nc = oras.client.OrasClient(hostname=sys.argv[1], insecure=True)\nos.chdir(sys.argv[3])\nconfig = sys.argv[4] or None\nprint(c.push(files=sys.argv[5:], target=sys.argv[2], manifest_config=config))\n";
    write_files(h, &[("config.json", "{}"), ("notes.txt", "not a bundle\n")]);
    for (tag, config, files) in [
        (
            "bare",
            String::new(),
            &["bundle.tar.gz", "bundle.tar.gz.sig"][..],
        ),
        (
            "typed",
            format!("config.json:{}", chiron::oci::ARTIFACT_TYPE),
            &["bundle.tar.gz"][..],
        ),
        ("other", String::new(), &["notes.txt"][..]),
    ] {
        let output = Command::new(&python)
            .args([
                "-c",
                push,
                &registry.address,
                &format!("{}/team/oras:{tag}", registry.address),
            ])
            .arg(h)
            .arg(&config)
            .args(files)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "oras push {tag}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let out = format!("from-oras-{tag}");
        let output = chiron(h)
            .current_dir(h)
            .args(["airgap", "pull"])
            .arg(format!("oci://{}/team/oras:{tag}", registry.address))
            .args(["-o", &out])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if tag == "other" {
            assert!(!output.status.success(), "{stderr}");
            assert!(
                stderr.contains("(from the config media type)")
                    && stderr.contains("no bundle.tar.gz layer"),
                "{stderr}"
            );
            continue;
        }
        assert!(output.status.success(), "pull {tag}: {stderr}");
        assert_eq!(
            verify(h, &h.join(&out).join("bundle.tar.gz"), "cosign.pub").0,
            0,
            "{tag}"
        );
    }

    // chiron pulls it back, and it verifies.
    chiron(h)
        .current_dir(h)
        .args(["airgap", "pull", &target, "-o", "pulled"])
        .assert()
        .success()
        .stdout(predicates::str::contains("chiron verify"));
    assert_eq!(
        verify(h, &h.join("pulled/bundle.tar.gz"), "cosign.pub").0,
        0
    );
    chiron(h)
        .current_dir(h)
        .args([
            "verify",
            "pulled/bundle.tar.gz",
            "--key",
            "cosign.pub",
            "--signature",
            "pulled/bundle.tar.gz.sig",
        ])
        .assert()
        .success();

    // An OCI image layout, for a transfer with no registry at all.
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "push",
            "bundle.tar.gz",
            "--oci-layout",
            "layout",
            "--tag",
            "1.0",
        ])
        .assert()
        .success();
    let index: Value =
        serde_json::from_slice(&std::fs::read(h.join("layout/index.json")).unwrap()).unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "1.0"
    );
    assert!(h.join("layout/oci-layout").is_file());
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "pull",
            "--oci-layout",
            "layout",
            "--tag",
            "1.0",
            "-o",
            "from-layout",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(h.join("from-layout/bundle.tar.gz")).unwrap(),
        std::fs::read(h.join("bundle.tar.gz")).unwrap()
    );
    // A changed blob in the layout is caught by its digest.
    let blobs = h.join("layout/blobs/sha256");
    let bundle_digest =
        support::index::sha256_hex(&std::fs::read(h.join("bundle.tar.gz")).unwrap());
    std::fs::write(blobs.join(&bundle_digest), b"tampered").unwrap();
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "pull",
            "--oci-layout",
            "layout",
            "--tag",
            "1.0",
            "-o",
            "bad",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("does not match its digest"));

    // A registry that is not there is named.
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "pull",
            &support::closed_port_url("/team/bundle:1.0").replace("http://", "oci://"),
            "-o",
            "x",
        ])
        .assert()
        .code(1);
}

/// A registry that wants a bearer token, given for the docker config's
/// credentials: chiron follows the challenge.
#[test]
fn registry_credentials_come_from_the_docker_config() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let payload = b"bundle bytes".to_vec();
    let digest = format!("sha256:{}", support::index::sha256_hex(&payload));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.chiron.bundle.v1",
        "config": { "mediaType": "application/vnd.oci.empty.v1+json", "digest": format!("sha256:{}", support::index::sha256_hex(b"{}")), "size": 2 },
        "layers": [{ "mediaType": "application/vnd.chiron.bundle.v1.tar+gzip", "digest": digest, "size": payload.len(),
                     "annotations": { "org.opencontainers.image.title": "bundle.tar.gz" } }],
    })
    .to_string();
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
    let seen_port = port.clone();
    let (blob_digest, blob) = (digest.clone(), payload.clone());
    let server = support::HttpServer::start(move |request| {
        let port = seen_port.load(std::sync::atomic::Ordering::SeqCst);
        if request.path.starts_with("/token") {
            // user:secret
            return if request.header("authorization") == Some("Basic dXNlcjpzZWNyZXQ=") {
                support::Response::new(200, "application/json", r#"{"token": "t0k3n"}"#)
            } else {
                support::Response::new(401, "application/json", "{}")
            };
        }
        if request.header("authorization") != Some("Bearer t0k3n") {
            let mut response = support::Response::new(401, "application/json", "{}");
            response.headers.push((
                "WWW-Authenticate".into(),
                format!("Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"test\",scope=\"repository:team/bundle:pull\""),
            ));
            return response;
        }
        if request.path == "/v2/team/bundle/manifests/1.0" {
            return support::Response::new(
                200,
                "application/vnd.oci.image.manifest.v1+json",
                manifest.clone(),
            );
        }
        if request.path == format!("/v2/team/bundle/blobs/{blob_digest}") {
            return support::Response::new(200, "application/octet-stream", blob.clone());
        }
        support::Response::new(404, "application/json", "{}")
    });
    port.store(server.port, std::sync::atomic::Ordering::SeqCst);
    let registry = format!("127.0.0.1:{}", server.port);
    write_files(
        h,
        &[(
            "docker/config.json",
            &format!(r#"{{"auths": {{"{registry}": {{"auth": "dXNlcjpzZWNyZXQ="}}}}}}"#),
        )],
    );
    chiron(h)
        .current_dir(h)
        .env("DOCKER_CONFIG", h.join("docker"))
        .args([
            "airgap",
            "pull",
            &format!("oci://{registry}/team/bundle:1.0"),
            "-o",
            "out",
        ])
        .assert()
        .success();
    assert_eq!(std::fs::read(h.join("out/bundle.tar.gz")).unwrap(), payload);
    let tokens = server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/token"))
        .count();
    assert_eq!(tokens, 1, "one token for the whole pull");
    // Without credentials, the registry's refusal is named.
    chiron(h)
        .current_dir(h)
        .args([
            "airgap",
            "pull",
            &format!("oci://{registry}/team/bundle:1.0"),
            "-o",
            "out2",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("token request: HTTP 401"));
}

const IDENTITY: &str =
    "https://github.example.invalid/acme/app/.github/workflows/release.yml@refs/tags/v1.0";
const ISSUER: &str = "https://token.actions.example.invalid";

fn sigstore_verify(
    h: &Path,
    artifact: &str,
    bundle: &str,
    root: &str,
    identity: &str,
    issuer: &str,
) -> assert_cmd::assert::Assert {
    chiron(h)
        .current_dir(h)
        .args([
            "verify",
            artifact,
            "--bundle",
            bundle,
            "--trusted-root",
            root,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ])
        .assert()
}

/// Keyless signatures: a Sigstore bundle verified offline against a trusted
/// root, here of a private instance built by Python's cryptography.
#[test]
fn sigstore_bundles_verify_offline_against_a_trusted_root() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write_files(h, &[("artifact.whl", "the released bytes")]);
    let python = std::env::var("CHIRON_TEST_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let maker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore/make_instance.py");
    let output = Command::new(&python)
        .arg(&maker)
        .arg(h)
        .arg(h.join("artifact.whl"))
        .output()
        .expect("the tools venv (cryptography) is installed by .ci/run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "trusted_root.json",
        IDENTITY,
        ISSUER,
    )
    .success()
    .stdout(predicates::str::contains(format!("signed by {IDENTITY}")));

    // Another signer, another issuer, another trust root, another artifact.
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "trusted_root.json",
        "https://github.example.invalid/evil/app/.github/workflows/x.yml@refs/heads/main",
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains(
        "signed by \"https://github.example.invalid/acme/app",
    ));
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "trusted_root.json",
        IDENTITY,
        "https://accounts.example.invalid",
    )
    .code(1)
    .stderr(predicates::str::contains("issued by"));
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "other_root.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains(
        "does not chain to the trusted root",
    ));
    write_files(h, &[("artifact.whl", "other bytes")]);
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "trusted_root.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains("another artifact"));
    write_files(h, &[("artifact.whl", "the released bytes")]);

    // A forged log promise, and a log the trusted root does not know.
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(h.join("artifact.sigstore.json")).unwrap()).unwrap();
    let mut forged = bundle.clone();
    forged["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = Value::from("1700000001");
    std::fs::write(h.join("forged.json"), forged.to_string()).unwrap();
    sigstore_verify(
        h,
        "artifact.whl",
        "forged.json",
        "trusted_root.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains("signed entry timestamp"));
    let mut other_log: Value =
        serde_json::from_slice(&std::fs::read(h.join("trusted_root.json")).unwrap()).unwrap();
    other_log["tlogs"][0]["logId"]["keyId"] = Value::from("b3RoZXIgbG9n");
    std::fs::write(h.join("other_log.json"), other_log.to_string()).unwrap();
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "other_log.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains(
        "log the trusted root does not name",
    ));
    // The certificate transparency proof: a root without the CT log, and
    // a CT log entry whose key is not the one that signed.
    let mut no_ct: Value =
        serde_json::from_slice(&std::fs::read(h.join("trusted_root.json")).unwrap()).unwrap();
    no_ct["ctlogs"] = serde_json::json!([]);
    std::fs::write(h.join("no_ct.json"), no_ct.to_string()).unwrap();
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "no_ct.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains(
        "no certificate transparency timestamp comes from a log",
    ));
    let mut wrong_ct = no_ct.clone();
    let mut ct =
        serde_json::from_slice::<Value>(&std::fs::read(h.join("trusted_root.json")).unwrap())
            .unwrap()["ctlogs"][0]
            .clone();
    ct["publicKey"]["rawBytes"] = no_ct["tlogs"][0]["publicKey"]["rawBytes"].clone();
    wrong_ct["ctlogs"] = serde_json::json!([ct]);
    std::fs::write(h.join("wrong_ct.json"), wrong_ct.to_string()).unwrap();
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.sigstore.json",
        "wrong_ct.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains(
        "does not verify with its log's key",
    ));
    // An attestation (DSSE bundle) about the artifact verifies the same way,
    // and not for another artifact.
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.attestation.json",
        "trusted_root.json",
        IDENTITY,
        ISSUER,
    )
    .success();
    write_files(h, &[("other.whl", "not the released bytes")]);
    sigstore_verify(
        h,
        "other.whl",
        "artifact.attestation.json",
        "trusted_root.json",
        IDENTITY,
        ISSUER,
    )
    .code(1)
    .stderr(predicates::str::contains("not about this artifact"));
    // Not a bundle at all: a usage error.
    sigstore_verify(
        h,
        "artifact.whl",
        "artifact.whl",
        "trusted_root.json",
        IDENTITY,
        ISSUER,
    )
    .code(2)
    .stderr(predicates::str::contains("not a Sigstore bundle"));
}

#[test]
fn a_bundle_can_be_built_straight_from_requirements() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("lib", "2.0", "py3-none-any"));
    write_files(h, &[("requirements.txt", "lib==2.0\n")]);
    chiron(h)
        .current_dir(h)
        .env("PIP_INDEX_URL", index.url())
        .args([
            "airgap",
            "build",
            "-r",
            "requirements.txt",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
            "--unsigned",
            "-o",
            "b.tar.gz",
        ])
        .assert()
        .success()
        .stderr(predicates::str::contains("wheelhouse"));
    assert!(h.join("wheelhouse/manifest.json").is_file());
    // sbom, scan and policy read a bundle as they read a wheelhouse.
    let output = chiron(h)
        .current_dir(h)
        .args(["sbom", "b.tar.gz"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bom: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(bom["components"][0]["purl"], "pkg:pypi/lib@2.0");
    write_files(
        h,
        &[(
            "osv/x.json",
            r#"{"id": "PYSEC-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "lib"}, "versions": ["2.0"]}]}"#,
        )],
    );
    chiron(h)
        .current_dir(h)
        .args(["scan", "b.tar.gz", "--osv-db", "osv"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("PYSEC-1"));
    chiron(h)
        .current_dir(h)
        .args(["verify", "b.tar.gz"])
        .assert()
        .success()
        .stdout(predicates::str::contains("verified"));
}

/// A real registry that wants credentials: chiron takes them from the
/// docker configuration, and says so when they are missing or wrong.
#[test]
fn a_registry_with_basic_auth_takes_docker_config_credentials() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let python = std::env::var("CHIRON_TEST_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let htpasswd = h.join("htpasswd");
    let status = Command::new(&python)
        .args([
            "-c",
            "import bcrypt, sys; open(sys.argv[1], 'w').write('user:' + bcrypt.hashpw(b'secret', bcrypt.gensalt(rounds=5)).decode() + '\\n')",
        ])
        .arg(&htpasswd)
        .status()
        .expect("the tools venv (bcrypt) is installed by .ci/run");
    assert!(status.success());
    let registry = start_registry_with(Some(&htpasswd));
    let _index = wheelhouse(h);
    build(h, "wh", "bundle.tar.gz", &["--unsigned"]);
    let target = format!("oci://{}/team/bundle:1.0", registry.address);
    let config = |auth: &str| {
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
            registry.address
        )
    };
    // No credentials, then wrong ones: each named.
    chiron(h)
        .current_dir(h)
        .args(["airgap", "push", "bundle.tar.gz", &target])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("needs credentials"));
    write_files(h, &[("docker/config.json", &config("dXNlcjp3cm9uZw=="))]);
    chiron(h)
        .current_dir(h)
        .env("DOCKER_CONFIG", h.join("docker"))
        .args(["airgap", "push", "bundle.tar.gz", &target])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("refused the credentials"));
    // user:secret
    write_files(h, &[("docker/config.json", &config("dXNlcjpzZWNyZXQ="))]);
    chiron(h)
        .current_dir(h)
        .env("DOCKER_CONFIG", h.join("docker"))
        .args(["airgap", "push", "bundle.tar.gz", &target])
        .assert()
        .success();
    chiron(h)
        .current_dir(h)
        .env("DOCKER_CONFIG", h.join("docker"))
        .args(["airgap", "pull", &target, "-o", "pulled"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(h.join("pulled/bundle.tar.gz")).unwrap(),
        std::fs::read(h.join("bundle.tar.gz")).unwrap()
    );
}

/// On a terminal (a pseudo-terminal from util-linux's `script`), the
/// password is asked twice; the key then opens with what was typed.
#[test]
fn the_password_is_asked_on_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let binary = assert_cmd::cargo::cargo_bin("chiron");
    let run = |first: &str, second: &str, prefix: &str| {
        let mut child = Command::new("script")
            .args(["-qec"])
            .arg(format!(
                "{} keys generate --output-key-prefix {prefix}",
                binary.display()
            ))
            .arg("/dev/null")
            .current_dir(h)
            .env_remove("CHIRON_PASSWORD")
            .env_remove("COSIGN_PASSWORD")
            .env("HOME", h)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux) is installed by .ci/run");
        let mut stdin = child.stdin.take().unwrap();
        for line in [first, second] {
            std::thread::sleep(std::time::Duration::from_millis(700));
            std::io::Write::write_all(&mut stdin, format!("{line}\n").as_bytes()).unwrap();
        }
        drop(stdin);
        let output = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let shown = run("typed secret", "typed secret", "tty");
    assert!(shown.contains("Password for the private key"), "{shown}");
    assert!(
        !shown.contains("typed secret"),
        "the password is not echoed"
    );
    write_files(h, &[("file.txt", "x")]);
    chiron(h)
        .current_dir(h)
        .env("CHIRON_PASSWORD", "typed secret")
        .args(["sign", "file.txt", "--key", "tty.key"])
        .assert()
        .success();
    let shown = run("one", "two", "differ");
    assert!(shown.contains("the passwords differ"), "{shown}");
    assert!(!h.join("differ.key").exists());
}

/// A wheelhouse's and a bundle's `pylock.toml` name their files by path
/// (PEP 751 `path`, beside the original `url`), so pip and uv install from
/// the unpacked bundle or the wheelhouse with no index at all.
#[test]
fn the_pylock_of_a_bundle_and_of_a_wheelhouse_installs_offline_with_pip_and_uv() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = wheelhouse(h);
    build(h, "wh", "bundle.tar.gz", &["--unsigned"]);
    let again = build(h, "wh", "again.tar.gz", &["--unsigned"]);
    assert_eq!(
        std::fs::read(h.join("bundle.tar.gz")).unwrap(),
        std::fs::read(h.join("again.tar.gz")).unwrap(),
        "still byte-reproducible ({again})"
    );
    std::fs::create_dir(h.join("unpacked")).unwrap();
    tar(&["xzf", "../bundle.tar.gz"], &h.join("unpacked"));
    drop(index); // nothing may be fetched from here on

    let lock_of = |path: &str| -> toml::Table {
        toml::from_str(&std::fs::read_to_string(h.join(path)).unwrap()).unwrap()
    };
    for (lock, prefix) in [("wh/pylock.toml", ""), ("unpacked/pylock.toml", "wheels/")] {
        for package in lock_of(lock)["packages"].as_array().unwrap() {
            for wheel in package["wheels"].as_array().unwrap() {
                let name = wheel["name"].as_str().unwrap();
                assert_eq!(
                    wheel["path"].as_str(),
                    Some(format!("{prefix}{name}").as_str())
                );
                assert!(
                    wheel["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("http://127.0.0.1")
                );
            }
        }
    }

    let pip = std::env::var("CHIRON_TEST_PIP").unwrap_or_else(|_| "pip3".into());
    let uv = std::env::var("CHIRON_TEST_UV").unwrap_or_else(|_| "uv".into());
    for (n, lock) in ["wh/pylock.toml", "unpacked/pylock.toml"]
        .iter()
        .enumerate()
    {
        let target = h.join(format!("pip-target-{n}"));
        let output = Command::new(&pip)
            .args([
                "install",
                "--no-index",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&target)
            .arg("-r")
            .arg(h.join(lock))
            .env("PIP_CONFIG_FILE", "/dev/null")
            .output()
            .expect("pip is installed by .ci/test");
        assert!(
            output.status.success(),
            "pip -r {lock}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for dist in ["app-1.0.dist-info", "lib-2.0.dist-info"] {
            assert!(
                target.join(dist).is_dir(),
                "pip installed {dist} from {lock}"
            );
        }

        let venv = h.join(format!("uv-venv-{n}"));
        let status = Command::new(&uv)
            .args(["venv", "-q", "--python", "python3"])
            .arg(&venv)
            .env("UV_CACHE_DIR", h.join("uv-cache"))
            .status()
            .expect("uv is installed by .ci/test");
        assert!(status.success());
        let output = Command::new(&uv)
            .args(["pip", "install", "--offline", "--python"])
            .arg(venv.join("bin/python"))
            .arg("-r")
            .arg(h.join(lock))
            .env("UV_CACHE_DIR", h.join("uv-cache"))
            .env_remove("UV_INDEX_URL")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "uv pip install -r {lock}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listed = Command::new(&uv)
            .args(["pip", "list", "--python"])
            .arg(venv.join("bin/python"))
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&listed.stdout);
        assert!(listed.contains("app") && listed.contains("lib"), "{listed}");
    }
}
