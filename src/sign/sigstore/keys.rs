//! Signature checks over SubjectPublicKeyInfo keys, the forms Sigstore's
//! logs, authorities and signers use: ECDSA (P-256, P-384; DER
//! signatures), Ed25519 (Rekor v2 checkpoints) and RSA PKCS#1 v1.5 (some
//! timestamp authorities). ring does the arithmetic.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::der::Decode;
use x509_cert::der::asn1::ObjectIdentifier;

/// The hash a signature was made over, where the key allows a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// The key's own: SHA-256 for P-256 and RSA, SHA-384 for P-384.
    Natural,
    Sha256,
    Sha384,
    Sha512,
}

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const ED25519: &str = "1.3.101.112";
const RSA: &str = "1.2.840.113549.1.1.1";

fn algorithm(spki: &[u8], hash: Hash) -> Option<(&'static dyn VerificationAlgorithm, Vec<u8>)> {
    let info = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(spki).ok()?;
    let key = info.subject_public_key.raw_bytes().to_vec();
    let parameter = info
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .map(|o| o.to_string());
    let chosen: &'static dyn VerificationAlgorithm = match (
        info.algorithm.oid.to_string().as_str(),
        parameter.as_deref(),
        hash,
    ) {
        (EC_PUBLIC_KEY, Some(P256), Hash::Natural | Hash::Sha256) => {
            &signature::ECDSA_P256_SHA256_ASN1
        }
        (EC_PUBLIC_KEY, Some(P256), Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        (EC_PUBLIC_KEY, Some(P384), Hash::Natural | Hash::Sha384) => {
            &signature::ECDSA_P384_SHA384_ASN1
        }
        (EC_PUBLIC_KEY, Some(P384), Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        (ED25519, _, _) => &signature::ED25519,
        (RSA, _, Hash::Natural | Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (RSA, _, Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (RSA, _, Hash::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    };
    Some((chosen, key))
}

/// Whether a key is of the kind a trusted root's `keyDetails` names
/// (`PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, `PKIX_RSA_…`); unknown
/// names are left to the signature checks.
pub fn matches_details(spki: &[u8], details: &str) -> bool {
    let Ok(info) = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(spki) else {
        return false;
    };
    let algorithm = info.algorithm.oid.to_string();
    let curve = info
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .map(|o| o.to_string());
    if details.contains("ECDSA_P256") {
        algorithm == EC_PUBLIC_KEY && curve.as_deref() == Some(P256)
    } else if details.contains("ECDSA_P384") {
        algorithm == EC_PUBLIC_KEY && curve.as_deref() == Some(P384)
    } else if details.contains("ED25519") {
        algorithm == ED25519
    } else if details.contains("RSA") {
        algorithm == RSA
    } else {
        true
    }
}

/// Whether `signature` is the key's signature of `message`.
pub fn verify(spki: &[u8], message: &[u8], signature: &[u8], hash: Hash) -> bool {
    let Some((algorithm, key)) = algorithm(spki, hash) else {
        return false;
    };
    UnparsedPublicKey::new(algorithm, key)
        .verify(message, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};

    fn spki(prefix: &[u8], key: &[u8]) -> Vec<u8> {
        let mut out = prefix.to_vec();
        out.extend_from_slice(key);
        out
    }

    #[test]
    fn ecdsa_and_ed25519_signatures_verify_and_others_do_not() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // SEQUENCE { SEQUENCE { ecPublicKey, prime256v1 }, BIT STRING }
        let p256 = spki(
            &[
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
            ],
            pair.public_key().as_ref(),
        );
        let signature = pair.sign(&rng, b"note").unwrap();
        assert!(verify(&p256, b"note", signature.as_ref(), Hash::Natural));
        assert!(!verify(&p256, b"other", signature.as_ref(), Hash::Natural));
        assert!(!verify(&p256, b"note", signature.as_ref(), Hash::Sha384));

        let seed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let ed = Ed25519KeyPair::from_pkcs8(seed.as_ref()).unwrap();
        let ed_spki = spki(
            &[
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
            ],
            ed.public_key().as_ref(),
        );
        let signature = ed.sign(b"note");
        assert!(verify(&ed_spki, b"note", signature.as_ref(), Hash::Natural));
        assert!(!verify(
            &ed_spki,
            b"note!",
            signature.as_ref(),
            Hash::Natural
        ));
        assert!(!verify(
            b"not a key",
            b"note",
            signature.as_ref(),
            Hash::Natural
        ));
    }
}
