//! Keys and signatures as workflows: finding and reading the keys named by
//! the caller or `[signing]`, signing a file as `cosign sign-blob` does,
//! and verifying a file against a cosign signature or a Sigstore bundle.
//! Asking for a password is the front end's job: it is passed in.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::PlanError;
use crate::config::{ConfigError, LoadedConfig};
use crate::error::Result;
use crate::sign::sigstore::{Expected, Signer, TrustedRoot};
use crate::sign::{KeyPair, PublicKey, SignError};

/// An encrypted private key, read but not yet opened.
pub struct SealedKey {
    path: PathBuf,
    text: String,
}

impl SealedKey {
    /// Reads the key `given` (relative to `cwd`), else `[signing] key`.
    pub fn read(
        cwd: &Path,
        config: std::result::Result<&LoadedConfig, ConfigError>,
        given: Option<&Path>,
    ) -> Result<SealedKey> {
        let path = match given {
            Some(path) => cwd.join(path),
            None => {
                let loaded = config?;
                let configured = loaded.config.signing.key.as_ref();
                loaded.resolve(configured.ok_or(PlanError::NoPrivateKey)?)
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| PlanError::PrivateKeyUnreadable {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(SealedKey { path, text })
    }

    /// Decrypts the key with its password.
    pub fn open(&self, password: &[u8]) -> Result<KeyPair, SignError> {
        KeyPair::from_encrypted_pem(&self.text, password, &self.path.display().to_string())
    }
}

/// Reads the public key `given` (relative to `cwd`), else `[signing]
/// public-key`; `None` when neither is set.
pub fn load_public_key(
    cwd: &Path,
    config: Option<&LoadedConfig>,
    given: Option<&Path>,
) -> Result<Option<PublicKey>> {
    let path = match given {
        Some(path) => cwd.join(path),
        None => {
            match config.and_then(|l| l.config.signing.public_key.as_ref().map(|k| l.resolve(k))) {
                Some(path) => path,
                None => return Ok(None),
            }
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| PlanError::PublicKeyUnreadable {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(Some(PublicKey::from_pem(
        &text,
        &path.display().to_string(),
    )?))
}

/// The digest of the file to sign or check, or why it cannot be read.
fn digest_of(file: &Path, hint: &'static str) -> Result<[u8; 32], PlanError> {
    crate::digest::sha256_file(file).map_err(|e| PlanError::FileUnreadable {
        path: file.to_path_buf(),
        message: e.to_string(),
        hint,
    })
}

/// Signs `file` with `pair`, writing the signature to `out` (default:
/// `FILE.sig`); returns where it was written.
pub fn sign_file(file: &Path, pair: &KeyPair, out: Option<&Path>) -> Result<PathBuf> {
    let digest = digest_of(file, "name an existing file")?;
    let signature = pair.sign_blob_digest(&digest)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{}.sig", file.display())));
    crate::atomic::write_file(
        &out,
        format!("{signature}\n").as_bytes(),
        crate::atomic::Overwrite::Replace,
    )
    .map_err(|e| crate::Error::from(e).context(format!("cannot write {}", out.display())))?;
    Ok(out)
}

/// Checks `file` against its cosign signature (default: `FILE.sig`) and
/// `key`; returns the signature's path.
pub fn verify_file(file: &Path, signature: Option<&Path>, key: &PublicKey) -> Result<PathBuf> {
    let name = file.display().to_string();
    let digest = digest_of(file, "name a bundle, a wheelhouse folder or a signed file")?;
    let signature_path = signature
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{name}.sig")));
    let signature =
        read_signature(&signature_path).map_err(|e| PlanError::SignatureUnreadable {
            path: signature_path.clone(),
            message: e.to_string(),
        })?;
    key.verify_blob_digest(&digest, &signature, &name)?;
    Ok(signature_path)
}

/// A cosign signature file: base64 of a DER signature, a few hundred bytes.
fn read_signature(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(64 * 1024)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Who must have signed, for a Sigstore bundle.
pub enum ExpectedSigner<'a> {
    /// A managed key's PEM file.
    Key(&'a Path),
    Identity {
        identity: &'a str,
        issuer: &'a str,
    },
}

/// Reads a file the caller named for a Sigstore check.
fn read_named(path: &Path) -> Result<Vec<u8>, PlanError> {
    std::fs::read(path).map_err(|e| PlanError::FileUnreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
        hint: "check the path",
    })
}

/// Verifies `file` against the Sigstore `bundle`, offline, with the
/// trusted root `root`.
pub fn verify_sigstore(
    file: &Path,
    bundle: &Path,
    root: &Path,
    expected: &ExpectedSigner,
) -> Result<Signer> {
    let artifact = read_named(file)?;
    let bundle_text = String::from_utf8_lossy(&read_named(bundle)?).into_owned();
    let root = TrustedRoot::parse(&String::from_utf8_lossy(&read_named(root)?))?;
    let key_der;
    let expected = match expected {
        ExpectedSigner::Key(key_path) => {
            key_der = match crate::sign::parse_pem(&String::from_utf8_lossy(&read_named(key_path)?))
            {
                Some((label, der)) if label == "PUBLIC KEY" => der,
                _ => return Err(SignError::NotAPublicKey(key_path.display().to_string()).into()),
            };
            Expected::Key(&key_der)
        }
        ExpectedSigner::Identity { identity, issuer } => Expected::Identity { identity, issuer },
    };
    Ok(crate::sign::sigstore::verify_bundle(
        &bundle_text,
        &artifact,
        &root,
        &expected,
    )?)
}
