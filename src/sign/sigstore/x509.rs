//! Certificates: what a Fulcio signing certificate says (identity, OIDC
//! issuer, key, usages), path validation at a given time (rustls-webpki),
//! and its embedded certificate transparency timestamps (RFC 6962).

use x509_cert::der::{Decode, Encode};

use super::error::{SigstoreError, format_error, untrusted};
use super::keys::{self, Hash};
use super::trust::{Authority, LogKey};

pub const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
pub const TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
const ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const SAN: &str = "2.5.29.17";
const KEY_USAGE: &str = "2.5.29.15";
const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";

fn parse(der: &[u8], what: &str) -> Result<x509_cert::Certificate, SigstoreError> {
    x509_cert::Certificate::from_der(der)
        .map_err(|e| format_error(format!("{what} does not parse: {e}")))
}

/// Whether a certificate is issued by itself (a root).
pub fn is_self_signed(der: &[u8]) -> Result<bool, SigstoreError> {
    let certificate = parse(der, "a certificate of the bundle's chain")?;
    Ok(certificate.tbs_certificate.issuer == certificate.tbs_certificate.subject)
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub fn spki(der: &[u8]) -> Result<Vec<u8>, SigstoreError> {
    parse(der, "a certificate")?
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format_error(e.to_string()))
}

/// What a Fulcio signing certificate says.
pub struct Leaf {
    pub identity: String,
    pub issuer: String,
    pub spki: Vec<u8>,
}

/// Identity (first SAN: URI or e-mail), OIDC issuer (Fulcio's extension
/// .1.8, or the older .1.1) and key of a signing certificate, which must be
/// for digital signatures and code signing.
pub fn leaf(der: &[u8]) -> Result<Leaf, SigstoreError> {
    let certificate = parse(der, "the signing certificate")?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format_error(e.to_string()))?;
    let mut identity = None;
    let mut issuer = None;
    let mut code_signing = false;
    let mut digital_signature = false;
    for extension in certificate.tbs_certificate.extensions.iter().flatten() {
        let oid = extension.extn_id.to_string();
        let value = extension.extn_value.as_bytes();
        match oid.as_str() {
            SAN => {
                let names = x509_cert::ext::pkix::SubjectAltName::from_der(value)
                    .map_err(|e| format_error(format!("bad subject alternative name: {e}")))?;
                identity = names.0.iter().find_map(|name| match name {
                    x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(uri) => {
                        Some(uri.to_string())
                    }
                    x509_cert::ext::pkix::name::GeneralName::Rfc822Name(mail) => {
                        Some(mail.to_string())
                    }
                    _ => None,
                });
            }
            KEY_USAGE => {
                let usage = x509_cert::ext::pkix::KeyUsage::from_der(value)
                    .map_err(|e| format_error(format!("bad key usage: {e}")))?;
                digital_signature = usage.digital_signature();
            }
            EXTENDED_KEY_USAGE => {
                let usages = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(value)
                    .map_err(|e| format_error(format!("bad extended key usage: {e}")))?;
                code_signing = usages
                    .0
                    .iter()
                    .any(|u| u.to_string() == "1.3.6.1.5.5.7.3.3");
            }
            ISSUER_V2 => {
                issuer = x509_cert::der::asn1::Utf8StringRef::from_der(value)
                    .ok()
                    .map(|s| s.to_string());
            }
            ISSUER_V1 if issuer.is_none() => {
                issuer = std::str::from_utf8(value).ok().map(str::to_string);
            }
            _ => {}
        }
    }
    if !code_signing {
        return Err(untrusted("the signing certificate is not for code signing"));
    }
    if !digital_signature {
        return Err(untrusted(
            "the signing certificate's key usage does not allow digital signatures",
        ));
    }
    Ok(Leaf {
        identity: identity.ok_or_else(|| untrusted("the signing certificate names no identity"))?,
        issuer: issuer.ok_or_else(|| untrusted("the signing certificate names no OIDC issuer"))?,
        spki,
    })
}

/// Path validation of `leaf` at `time` up to the root of one of
/// `authorities` whose validity covers `time`, for the extended key usage
/// `usage`; the chain that validated.
pub fn chain_at<'a>(
    leaf: &[u8],
    authorities: &'a [Authority],
    time: i64,
    usage: &'static [u8],
    intermediates_from_leaf: bool,
) -> Result<&'a Authority, String> {
    let leaf_der = rustls_pki_types::CertificateDer::from(leaf);
    let end_entity = webpki::EndEntityCert::try_from(&leaf_der).map_err(|e| format!("{e:?}"))?;
    let at = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        time.max(0) as u64,
    ));
    let mut last_error = String::from("no authority of the trusted root covers that time");
    for authority in authorities {
        if !authority.validity.contains(time) {
            continue;
        }
        let Some((anchor_der, rest)) = authority.chain.split_last() else {
            continue;
        };
        // A timestamp authority's chain starts with its own certificate.
        let intermediates = if intermediates_from_leaf && !rest.is_empty() {
            &rest[1..]
        } else {
            rest
        };
        let anchor_der = rustls_pki_types::CertificateDer::from(anchor_der.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&anchor_der) else {
            continue;
        };
        let intermediates: Vec<rustls_pki_types::CertificateDer> = intermediates
            .iter()
            .map(|c| rustls_pki_types::CertificateDer::from(c.as_slice()))
            .collect();
        match end_entity.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &intermediates,
            at,
            webpki::KeyUsage::required_if_present(usage),
            None,
            None,
        ) {
            Ok(_) => return Ok(authority),
            Err(e) => last_error = format!("{e:?}"),
        }
    }
    Err(last_error)
}

/// Checks that a certificate transparency log of the trusted root, trusted
/// at the time of its timestamp, signed the certificate (RFC 6962 §3.2, a
/// precertificate entry): some embedded SCT verifies over the certificate's
/// TBS without its SCT list, bound to the issuer's key hash.
pub fn verify_sct(leaf: &[u8], chain: &[Vec<u8>], ctlogs: &[LogKey]) -> Result<(), SigstoreError> {
    let certificate = parse(leaf, "the signing certificate")?;
    let issuer = chain
        .iter()
        .filter_map(|der| x509_cert::Certificate::from_der(der).ok())
        .find(|c| c.tbs_certificate.subject == certificate.tbs_certificate.issuer)
        .ok_or_else(|| untrusted("the certificate's issuer is not in the trusted chain"))?;
    let issuer_key_hash = crate::digest::sha256(
        &issuer
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| format_error(e.to_string()))?,
    );
    let mut tbs = certificate.tbs_certificate.clone();
    let mut list = None;
    if let Some(extensions) = tbs.extensions.as_mut() {
        extensions.retain(|e| {
            if e.extn_id.to_string() == SCT_LIST {
                list = Some(e.extn_value.as_bytes().to_vec());
                false
            } else {
                true
            }
        });
    }
    let Some(list) = list else {
        return Err(untrusted(
            "the signing certificate carries no certificate transparency timestamp",
        ));
    };
    let tbs_der = tbs.to_der().map_err(|e| format_error(e.to_string()))?;
    // The extension holds an OCTET STRING with the TLS-encoded list.
    let list = x509_cert::der::asn1::OctetStringRef::from_der(&list)
        .map_err(|_| format_error("a malformed SCT list"))?
        .as_bytes()
        .to_vec();
    let mut known = false;
    let mut outside = false;
    for sct in sct_list(&list)? {
        // A log may appear more than once, with other windows.
        for log in ctlogs.iter().filter(|log| log.key_id == sct.log_id) {
            known = true;
            if !log.validity.contains_millis(sct.timestamp_ms) {
                outside = true;
                continue;
            }
            let mut signed = vec![0u8, 0u8];
            signed.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
            signed.extend_from_slice(&[0, 1]);
            signed.extend_from_slice(&issuer_key_hash);
            let tbs_len = tbs_der.len() as u32;
            signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
            signed.extend_from_slice(&tbs_der);
            signed.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
            signed.extend_from_slice(sct.extensions);
            if keys::verify(&log.spki, &signed, sct.signature, Hash::Natural) {
                return Ok(());
            }
        }
    }
    Err(untrusted(if outside {
        "the certificate transparency timestamp is outside its log's validity in the trusted root"
    } else if known {
        "the certificate transparency timestamp does not verify with its log's key"
    } else {
        "no certificate transparency timestamp comes from a log the trusted root names"
    }))
}

struct Sct<'a> {
    log_id: &'a [u8],
    timestamp_ms: i64,
    extensions: &'a [u8],
    signature: &'a [u8],
}

/// The version-1 SCTs of a TLS-encoded `SignedCertificateTimestampList`.
fn sct_list(list: &[u8]) -> Result<Vec<Sct<'_>>, SigstoreError> {
    let malformed = || format_error("a malformed SCT list");
    let u16_at = |b: &[u8], i: usize| -> Option<usize> {
        Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]) as usize)
    };
    let total = u16_at(list, 0).ok_or_else(malformed)?;
    let mut rest = list.get(2..2 + total).ok_or_else(malformed)?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let length = u16_at(rest, 0).ok_or_else(malformed)?;
        let sct = rest.get(2..2 + length).ok_or_else(malformed)?;
        rest = &rest[2 + length..];
        // version(1) log_id(32) timestamp(8) extensions<2> hash(1) sig(1) signature<2>
        if sct.len() < 43 || sct[0] != 0 {
            continue;
        }
        let mut timestamp = [0u8; 8];
        timestamp.copy_from_slice(&sct[33..41]);
        let ext_len = u16_at(sct, 41).ok_or_else(malformed)?;
        let extensions = sct.get(43..43 + ext_len).ok_or_else(malformed)?;
        let at = 43 + ext_len;
        let signature_len = u16_at(sct, at + 2).ok_or_else(malformed)?;
        let signature = sct
            .get(at + 4..at + 4 + signature_len)
            .ok_or_else(malformed)?;
        out.push(Sct {
            log_id: &sct[1..33],
            timestamp_ms: i64::from_be_bytes(timestamp),
            extensions,
            signature,
        });
    }
    Ok(out)
}
