//! Keys and signatures in cosign's formats, so `cosign verify-blob --key`
//! accepts what chiron signs and chiron verifies what cosign signs:
//!
//! - the private key is cosign's encrypted PEM (`ENCRYPTED SIGSTORE
//!   PRIVATE KEY`, older `ENCRYPTED COSIGN PRIVATE KEY`): JSON with scrypt
//!   key derivation and a NaCl secretbox around the PKCS#8 DER of an ECDSA
//!   P-256 key;
//! - the public key is a PEM `PUBLIC KEY` (SubjectPublicKeyInfo);
//! - a blob signature is the base64 of the DER ECDSA-SHA256 signature.
//!
//! Written here with `p256` (ECDSA with deterministic RFC 6979 nonces, so
//! the same bundle signed twice is the same bytes), `scrypt` and
//! `crypto_secretbox`: the `sigstore` crate has these formats only behind
//! its `sign` feature, which also builds its Fulcio, Rekor and OAuth
//! clients (a second HTTP stack and OpenID Connect) that chiron does not
//! use.

pub mod dsse;
pub mod sigstore;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{0} is not a cosign private key (expected an ENCRYPTED SIGSTORE PRIVATE KEY PEM)")]
    NotAPrivateKey(String),
    #[error("{0} is not an ECDSA P-256 public key PEM")]
    NotAPublicKey(String),
    #[error("wrong password for {0}")]
    WrongPassword(String),
    #[error("{what}: unsupported key: {detail}")]
    Unsupported { what: String, detail: String },
    #[error(
        "the signature of {0} does not match: the file changed, or it was signed with another key"
    )]
    BadSignature(String),
    #[error(
        "the signature of {0} is unreadable: it is not the base64 of a DER ECDSA signature (damaged or replaced)"
    )]
    NotASignature(String),
    #[error("cannot make a key: {0}")]
    Random(String),
}

impl SignError {
    pub fn hint(&self) -> String {
        match self {
            SignError::NotAPrivateKey(_) | SignError::Unsupported { .. } => {
                "make one with `chiron keys generate` (or `cosign generate-key-pair`)".into()
            }
            SignError::NotAPublicKey(_) => "pass the .pub file of the key pair".into(),
            SignError::WrongPassword(_) => {
                "set CHIRON_PASSWORD (or COSIGN_PASSWORD) to the key's password".into()
            }
            SignError::BadSignature(_) => {
                "check the file against its source; if it is right, check which key signed it"
                    .into()
            }
            SignError::NotASignature(_) => {
                "pass the .sig file written by `chiron sign` or `cosign sign-blob`".into()
            }
            SignError::Random(_) => "the system's random source failed; try again".into(),
        }
    }
}

impl crate::diagnose::Diagnose for SignError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        if matches!(self, SignError::BadSignature(_)) {
            ExitClass::Problems
        } else {
            ExitClass::Usage
        }
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

/// An ECDSA P-256 key pair.
pub struct KeyPair {
    inner: SigningKey,
}

const PRIVATE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
const OLD_PRIVATE_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// cosign's (securesystemslib's) defaults: scrypt N=2^15, r=8, p=1.
const SCRYPT_LOG_N: u8 = 15;

#[derive(Serialize, Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct ScryptParams {
    N: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// PEM with 64-column lines.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The label and DER of the first PEM block of `text`.
pub fn parse_pem(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_and_end = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    // The end is looked for after the label: with an empty label, the
    // "-----END -----" could otherwise be found before the body starts.
    let body_end = body_and_end.find(&end_marker)?;
    let body: String = body_and_end[..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some((label, STANDARD.decode(body).ok()?))
}

fn scrypt_key(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32], String> {
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| e.to_string())?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key).map_err(|e| e.to_string())?;
    Ok(key)
}

impl KeyPair {
    /// A new random key pair.
    pub fn generate() -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        loop {
            let mut secret = zeroize::Zeroizing::new([0u8; 32]);
            rng.fill(secret.as_mut())
                .map_err(|e| SignError::Random(e.to_string()))?;
            // Out-of-range scalars are rare (about 2^-32): draw again.
            if let Ok(inner) = SigningKey::from_slice(secret.as_ref()) {
                return Ok(Self { inner });
            }
        }
    }

    fn from_pkcs8(pkcs8: &[u8], what: &str) -> Result<Self, SignError> {
        let inner = SigningKey::from_pkcs8_der(pkcs8).map_err(|e| SignError::Unsupported {
            what: what.to_string(),
            detail: format!("not an ECDSA P-256 PKCS#8 key ({e})"),
        })?;
        Ok(Self { inner })
    }

    /// Reads cosign's encrypted private key PEM; `what` names it in errors.
    pub fn from_encrypted_pem(text: &str, password: &[u8], what: &str) -> Result<Self, SignError> {
        let (_, body) = parse_pem(text)
            .filter(|(label, _)| label == PRIVATE_LABEL || label == OLD_PRIVATE_LABEL)
            .ok_or_else(|| SignError::NotAPrivateKey(what.to_string()))?;
        let encrypted: Encrypted = serde_json::from_slice(&body)
            .map_err(|_| SignError::NotAPrivateKey(what.to_string()))?;
        let unsupported = |detail: String| SignError::Unsupported {
            what: what.to_string(),
            detail,
        };
        if encrypted.kdf.name != "scrypt" || encrypted.cipher.name != "nacl/secretbox" {
            return Err(unsupported(format!(
                "{} with {}",
                encrypted.kdf.name, encrypted.cipher.name
            )));
        }
        let n = encrypted.kdf.params.N;
        if !n.is_power_of_two() || !(2..=1 << 20).contains(&n) {
            return Err(unsupported(format!("scrypt N={n}")));
        }
        // scrypt takes 128 * N * r bytes and p times the work: a key file
        // must not make chiron allocate terabytes (cosign writes r=8, p=1).
        let (r, p) = (encrypted.kdf.params.r, encrypted.kdf.params.p);
        // 256 MiB of memory and 2^24 block mixes at most: eight times
        // cosign's own N=32768, r=8, p=1 (32 MiB, under a second).
        let memory = 128u64.saturating_mul(n).saturating_mul(u64::from(r));
        let work = n.saturating_mul(u64::from(r)).saturating_mul(u64::from(p));
        if r == 0 || p == 0 || memory > 256 << 20 || work > 1 << 24 {
            return Err(unsupported(format!(
                "scrypt N={n}, r={r}, p={p} (it would take {} MiB and {work} block mixes; at most 256 MiB and 2^24 are read)",
                memory >> 20
            )));
        }
        let key = scrypt_key(
            password,
            &encrypted.kdf.salt,
            n.trailing_zeros() as u8,
            encrypted.kdf.params.r,
            encrypted.kdf.params.p,
        )
        .map_err(unsupported)?;
        use crypto_secretbox::aead::{Aead, KeyInit};
        let nonce: [u8; 24] = encrypted
            .cipher
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| unsupported("a nonce that is not 24 bytes".into()))?;
        let cipher = crypto_secretbox::XSalsa20Poly1305::new(&key.into());
        let pkcs8 = cipher
            .decrypt(&nonce.into(), encrypted.ciphertext.as_slice())
            .map_err(|_| SignError::WrongPassword(what.to_string()))?;
        let pkcs8 = zeroize::Zeroizing::new(pkcs8);
        Self::from_pkcs8(&pkcs8, what)
    }

    /// cosign's encrypted private key PEM.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, SignError> {
        let rng = SystemRandom::new();
        let mut salt = [0u8; 32];
        let mut nonce = [0u8; 24];
        rng.fill(&mut salt)
            .map_err(|e| SignError::Random(e.to_string()))?;
        rng.fill(&mut nonce)
            .map_err(|e| SignError::Random(e.to_string()))?;
        let key = scrypt_key(password, &salt, SCRYPT_LOG_N, 8, 1).map_err(SignError::Random)?;
        use crypto_secretbox::aead::{Aead, KeyInit};
        let cipher = crypto_secretbox::XSalsa20Poly1305::new(&key.into());
        let pkcs8 = self
            .inner
            .to_pkcs8_der()
            .map_err(|e| SignError::Random(e.to_string()))?;
        let ciphertext = cipher
            .encrypt(&nonce.into(), pkcs8.as_bytes())
            .map_err(|e| SignError::Random(e.to_string()))?;
        let encrypted = Encrypted {
            kdf: Kdf {
                name: "scrypt".into(),
                params: ScryptParams {
                    N: 1 << SCRYPT_LOG_N,
                    r: 8,
                    p: 1,
                },
                salt: salt.to_vec(),
            },
            cipher: Cipher {
                name: "nacl/secretbox".into(),
                nonce: nonce.to_vec(),
            },
            ciphertext,
        };
        let json = serde_json::to_vec(&encrypted).expect("the key serialises");
        Ok(pem(PRIVATE_LABEL, &json))
    }

    /// The public key as a PEM SubjectPublicKeyInfo.
    pub fn public_pem(&self) -> String {
        let der = VerifyingKey::from(&self.inner)
            .to_public_key_der()
            .expect("a P-256 public key encodes");
        pem("PUBLIC KEY", der.as_bytes())
    }

    /// The DER ECDSA-SHA256 signature of `message` (RFC 6979: the same
    /// message and key give the same signature).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature: EcdsaSignature = self.inner.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }

    /// cosign's blob signature: base64 of the DER signature.
    pub fn sign_blob(&self, message: &[u8]) -> Result<String, SignError> {
        Ok(STANDARD.encode(self.sign(message)?))
    }

    /// The same signature as [`Self::sign_blob`] of a message given by its
    /// SHA-256 digest (ECDSA-SHA256 signs the digest), so that a large file
    /// is hashed as a stream rather than held in memory.
    pub fn sign_blob_digest(&self, digest: &[u8; 32]) -> Result<String, SignError> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let signature: EcdsaSignature = self
            .inner
            .sign_prehash(digest)
            .map_err(|e| SignError::Random(e.to_string()))?;
        Ok(STANDARD.encode(signature.to_der().as_bytes()))
    }
}

/// A public key read from PEM.
pub struct PublicKey {
    inner: VerifyingKey,
}

impl PublicKey {
    pub fn from_pem(text: &str, what: &str) -> Result<Self, SignError> {
        let not = || SignError::NotAPublicKey(what.to_string());
        let (label, der) = parse_pem(text).ok_or_else(not)?;
        if label != "PUBLIC KEY" {
            return Err(not());
        }
        let inner = VerifyingKey::from_public_key_der(&der).map_err(|_| not())?;
        Ok(Self { inner })
    }

    /// Checks a DER ECDSA-SHA256 signature; `subject` names the signed
    /// thing in the error.
    pub fn verify(&self, message: &[u8], der: &[u8], subject: &str) -> Result<(), SignError> {
        let signature = EcdsaSignature::from_der(der)
            .map_err(|_| SignError::NotASignature(subject.to_string()))?;
        self.inner
            .verify(message, &signature)
            .map_err(|_| SignError::BadSignature(subject.to_string()))
    }

    /// [`Self::verify_blob`] of a message given by its SHA-256 digest.
    pub fn verify_blob_digest(
        &self,
        digest: &[u8; 32],
        signature_text: &str,
        subject: &str,
    ) -> Result<(), SignError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let der = blob_signature_der(signature_text, subject)?;
        let signature = EcdsaSignature::from_der(&der)
            .map_err(|_| SignError::NotASignature(subject.to_string()))?;
        self.inner
            .verify_prehash(digest, &signature)
            .map_err(|_| SignError::BadSignature(subject.to_string()))
    }

    /// Checks a cosign blob signature (base64 of DER; whitespace ignored).
    pub fn verify_blob(
        &self,
        message: &[u8],
        signature_text: &str,
        subject: &str,
    ) -> Result<(), SignError> {
        let der = blob_signature_der(signature_text, subject)?;
        self.verify(message, &der, subject)
    }
}

/// The DER inside a cosign blob signature: base64, whitespace ignored.
fn blob_signature_der(signature_text: &str, subject: &str) -> Result<Vec<u8>, SignError> {
    let compact: String = signature_text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(compact)
        .map_err(|_| SignError::NotASignature(subject.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_signatures_are_message_signatures() {
        let pair = KeyPair::generate().unwrap();
        let message = b"release 1.0\n";
        let digest = crate::digest::sha256(message);
        let signature = pair.sign_blob_digest(&digest).unwrap();
        assert_eq!(signature, pair.sign_blob(message).unwrap());
        let key = PublicKey::from_pem(&pair.public_pem(), "k").unwrap();
        key.verify_blob(message, &signature, "m").unwrap();
        key.verify_blob_digest(&digest, &signature, "m").unwrap();
        let other = crate::digest::sha256(b"release 1.1\n");
        assert!(matches!(
            key.verify_blob_digest(&other, &signature, "m"),
            Err(SignError::BadSignature(_))
        ));
    }

    #[test]
    fn an_empty_pem_label_is_not_a_key() {
        let text = "-----BEGIN -----END -----END PUBLIC KEY-----\nMFkw";
        assert!(parse_pem(text).is_none());
        assert!(PublicKey::from_pem(text, "k").is_err());
    }

    #[test]
    fn keys_round_trip_through_the_encrypted_pem() {
        let pair = KeyPair::generate().unwrap();
        let text = pair.to_encrypted_pem(b"correct horse").unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let again = KeyPair::from_encrypted_pem(&text, b"correct horse", "k").unwrap();
        assert_eq!(again.public_pem(), pair.public_pem());
        assert_eq!(
            again.sign(b"x").unwrap(),
            pair.sign(b"x").unwrap(),
            "RFC 6979"
        );
        assert!(matches!(
            KeyPair::from_encrypted_pem(&text, b"wrong", "k"),
            Err(SignError::WrongPassword(_))
        ));
        assert!(matches!(
            KeyPair::from_encrypted_pem(&pair.public_pem(), b"x", "k"),
            Err(SignError::NotAPrivateKey(_))
        ));
        let public = PublicKey::from_pem(&pair.public_pem(), "pub").unwrap();
        let signature = again.sign_blob(b"hello").unwrap();
        public.verify_blob(b"hello", &signature, "hello").unwrap();
        assert!(matches!(
            public.verify_blob(b"hellO", &signature, "hello"),
            Err(SignError::BadSignature(_))
        ));
        assert!(matches!(
            public.verify_blob(b"hello", "not base64!", "hello"),
            Err(SignError::NotASignature(_))
        ));
        let other = KeyPair::generate().unwrap();
        let other_public = PublicKey::from_pem(&other.public_pem(), "other").unwrap();
        assert!(
            other_public
                .verify_blob(b"hello", &signature, "hello")
                .is_err()
        );
    }
}
