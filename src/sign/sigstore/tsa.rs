//! RFC 3161 timestamps from a timestamp authority of the trusted root: the
//! time of signing when the log gives none (Rekor v2) or in addition to it.
//! A timestamp counts when its token is a CMS SignedData over a TSTInfo
//! whose message imprint is the hash of the bundle's signature, signed by
//! an authority's certificate that chains to that authority's root at the
//! generation time, which lies inside the authority's validity in the
//! trusted root. Parsing is RustCrypto's `cms` and `x509-tsp`; the checks
//! are written here (no crate verifies a token against a trust root).

use cms::signed_data::SignedData;
use sha2::{Digest, Sha384, Sha512};
use x509_cert::der::{Decode, Encode};

use super::keys::{self, Hash};
use super::trust::Authority;
use super::x509::{TIME_STAMPING, chain_at};

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

fn hash_of(oid: &str) -> Option<Hash> {
    match oid {
        "2.16.840.1.101.3.4.2.1" => Some(Hash::Sha256),
        "2.16.840.1.101.3.4.2.2" => Some(Hash::Sha384),
        "2.16.840.1.101.3.4.2.3" => Some(Hash::Sha512),
        _ => None,
    }
}

fn digest(hash: Hash, data: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha384 => Sha384::digest(data).to_vec(),
        Hash::Sha512 => Sha512::digest(data).to_vec(),
        Hash::Sha256 | Hash::Natural => crate::digest::sha256(data).to_vec(),
    }
}

/// The hash a CMS signature algorithm names (`ecdsa-with-SHA256`,
/// `sha256WithRSAEncryption`, …), or, for a bare key algorithm, the
/// signer's digest algorithm.
fn signature_hash(signature_oid: &str, digest_hash: Hash) -> Hash {
    match signature_oid {
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Hash::Sha256,
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Hash::Sha384,
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Hash::Sha512,
        _ => digest_hash,
    }
}

/// A token's content, once read.
struct Token {
    gen_time: i64,
    imprint_hash: Hash,
    imprint: Vec<u8>,
    tst_info: Vec<u8>,
    signed: SignedData,
}

fn read_token(response: &[u8]) -> Result<Token, String> {
    let response = x509_tsp::TimeStampResp::from_der(response)
        .map_err(|e| format!("not an RFC 3161 timestamp response: {e}"))?;
    if !matches!(
        response.status.status,
        cmpv2::status::PkiStatus::Accepted | cmpv2::status::PkiStatus::GrantedWithMods
    ) {
        return Err("the timestamp response was not granted".into());
    }
    let token = response
        .time_stamp_token
        .ok_or("the timestamp response has no token")?;
    if token.content_type.to_string() != SIGNED_DATA {
        return Err("the timestamp token is not CMS SignedData".into());
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("the timestamp token does not parse: {e}"))?;
    if signed.encap_content_info.econtent_type.to_string() != TST_INFO {
        return Err("the timestamp token does not hold a TSTInfo".into());
    }
    let tst_info = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the timestamp token has no content")?
        .value()
        .to_vec();
    let info = x509_tsp::TstInfo::from_der(&tst_info)
        .map_err(|e| format!("the TSTInfo does not parse: {e}"))?;
    let imprint_hash = hash_of(&info.message_imprint.hash_algorithm.oid.to_string())
        .ok_or("the timestamp's message imprint uses an unknown hash")?;
    let gen_time = i64::try_from(info.gen_time.to_unix_duration().as_secs())
        .map_err(|_| "the timestamp's time is out of range")?;
    Ok(Token {
        gen_time,
        imprint_hash,
        imprint: info.message_imprint.hashed_message.as_bytes().to_vec(),
        tst_info,
        signed,
    })
}

/// Whether the token's single signer, with the certificate `tsa`, signed
/// the TSTInfo (through the signed attributes, as RFC 5652 §5.4 says).
fn signed_by(token: &Token, tsa: &[u8]) -> Result<(), String> {
    let signers: Vec<_> = token.signed.signer_infos.0.iter().collect();
    let [signer] = signers.as_slice() else {
        return Err("the timestamp token must have exactly one signer".into());
    };
    let digest_hash = hash_of(&signer.digest_alg.oid.to_string())
        .ok_or("the timestamp signer uses an unknown digest")?;
    let attributes = signer
        .signed_attrs
        .as_ref()
        .ok_or("the timestamp signer has no signed attributes")?;
    let attribute = |oid: &str| {
        attributes
            .iter()
            .find(|a| a.oid.to_string() == oid)
            .and_then(|a| a.values.iter().next())
    };
    let content_type = attribute(CONTENT_TYPE)
        .and_then(|v| v.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
        .map(|o| o.to_string());
    if content_type.as_deref() != Some(TST_INFO) {
        return Err("the timestamp's signed content type is not TSTInfo".into());
    }
    let message_digest = attribute(MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<x509_cert::der::asn1::OctetString>().ok())
        .ok_or("the timestamp has no signed message digest")?;
    if message_digest.as_bytes() != digest(digest_hash, &token.tst_info) {
        return Err("the timestamp's signed digest is not its TSTInfo's".into());
    }
    let signed_attributes = attributes
        .to_der()
        .map_err(|e| format!("the signed attributes do not encode: {e}"))?;
    let spki = super::x509::spki(tsa).map_err(|e| e.to_string())?;
    let hash = signature_hash(&signer.signature_algorithm.oid.to_string(), digest_hash);
    if keys::verify(&spki, &signed_attributes, signer.signature.as_bytes(), hash) {
        Ok(())
    } else {
        Err("the timestamp's signature does not verify with the authority's certificate".into())
    }
}

/// The verified generation time of an RFC 3161 timestamp `response` over
/// `signature`, or why it does not count.
pub fn verify(response: &[u8], signature: &[u8], authorities: &[Authority]) -> Result<i64, String> {
    let token = read_token(response)?;
    if token.imprint != digest(token.imprint_hash, signature) {
        return Err("the timestamp is not over this bundle's signature".into());
    }
    let mut why = String::from("the trusted root names no timestamp authority");
    for authority in authorities {
        let Some(tsa) = authority.chain.first() else {
            continue;
        };
        if let Err(e) = signed_by(&token, tsa) {
            why = e;
            continue;
        }
        if !authority.validity.contains(token.gen_time) {
            why = format!(
                "the timestamp ({}) is outside its authority's validity in the trusted root",
                crate::time::rfc3339(token.gen_time)
            );
            continue;
        }
        let single = std::slice::from_ref(authority);
        match chain_at(tsa, single, token.gen_time, TIME_STAMPING, true) {
            Ok(_) => return Ok(token.gen_time),
            Err(e) => {
                why = format!(
                    "the timestamp authority's certificate is not valid at {} ({e})",
                    crate::time::rfc3339(token.gen_time)
                );
            }
        }
    }
    Err(why)
}
