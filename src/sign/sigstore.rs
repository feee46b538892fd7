//! Offline verification of Sigstore bundles (keyless signatures from CI)
//! against a trusted root given on the command line:
//!
//! 1. the signing certificate chains to a certificate authority of the
//!    trusted root, valid at the time the transparency log recorded the
//!    signature, for code signing (rustls-webpki);
//!    and a certificate transparency log of the trusted root signed it
//!    (the SCT embedded in the certificate);
//! 2. its identity (subject alternative name) and OIDC issuer (Fulcio's
//!    extension 1.3.6.1.4.1.57264.1.8, or the older .1.1) are the expected
//!    ones;
//! 3. the signature verifies over the artifact with the certificate's key,
//!    and the bundle's message digest is the artifact's; or, for a DSSE
//!    bundle (an attestation), over the envelope, whose in-toto statement
//!    names the artifact's sha256 among its subjects;
//! 4. a transparency log entry of the trusted root's log records exactly
//!    this artifact digest (`hashedrekord`) or payload hash (`dsse`),
//!    signature and certificate, and its signed entry
//!    timestamp verifies with the log's key; an inclusion proof, when
//!    present, leads to its root hash (RFC 6962).
//!
//! Written here because the `sigstore` crate's verifier sits behind its
//! `verify` feature, which also builds its Fulcio and Rekor clients.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SigstoreError {
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Untrusted(String),
}

impl SigstoreError {
    pub fn hint(&self) -> String {
        match self {
            SigstoreError::Format(_) => "pass the .sigstore.json bundle cosign or sigstore wrote (`--bundle`) and the trusted_root.json of the Sigstore instance".into(),
            SigstoreError::Untrusted(_) => "the artifact, its signer or its log entry is not what was expected: do not use it".into(),
        }
    }
}

fn format_error(message: impl Into<String>) -> SigstoreError {
    SigstoreError::Format(message.into())
}

fn untrusted(message: impl Into<String>) -> SigstoreError {
    SigstoreError::Untrusted(message.into())
}

fn b64(text: &str, what: &str) -> Result<Vec<u8>, SigstoreError> {
    STANDARD
        .decode(text.trim())
        .map_err(|_| format_error(format!("{what} is not base64")))
}

/// A certificate authority: its chain's DER certificates (issuing
/// certificate first, root last) and the time range it may issue in.
struct Authority {
    chain: Vec<Vec<u8>>,
    start: Option<i64>,
    end: Option<i64>,
}

/// The parts of a trusted root chiron uses.
pub struct TrustedRoot {
    authorities: Vec<Authority>,
    /// Certificate transparency logs: key id (base64) to SPKI DER.
    ctlogs: BTreeMap<String, Vec<u8>>,
    /// Log id (base64 key id) to the log's SPKI DER key.
    logs: BTreeMap<String, Vec<u8>>,
}

#[derive(Deserialize)]
struct RawRoot {
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default, rename = "certificateAuthorities")]
    certificate_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
struct RawLog {
    #[serde(rename = "publicKey")]
    public_key: RawKey,
    #[serde(rename = "logId")]
    log_id: RawLogId,
}

#[derive(Deserialize)]
struct RawKey {
    #[serde(rename = "rawBytes")]
    raw_bytes: String,
}

#[derive(Deserialize)]
struct RawLogId {
    #[serde(rename = "keyId")]
    key_id: String,
}

#[derive(Deserialize)]
struct RawAuthority {
    #[serde(rename = "certChain")]
    cert_chain: RawChain,
    #[serde(default, rename = "validFor")]
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Vec<RawKey>,
}

#[derive(Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

impl TrustedRoot {
    pub fn parse(text: &str) -> Result<Self, SigstoreError> {
        let raw: RawRoot = serde_json::from_str(text)
            .map_err(|e| format_error(format!("not a Sigstore trusted root: {e}")))?;
        let mut authorities = Vec::new();
        for authority in raw.certificate_authorities {
            let chain = authority
                .cert_chain
                .certificates
                .iter()
                .map(|c| b64(&c.raw_bytes, "a certificate of the trusted root"))
                .collect::<Result<Vec<_>, _>>()?;
            let time = |t: &Option<String>| t.as_deref().and_then(crate::time::parse);
            let (start, end) = match &authority.valid_for {
                Some(v) => (time(&v.start), time(&v.end)),
                None => (None, None),
            };
            authorities.push(Authority { chain, start, end });
        }
        let mut logs = BTreeMap::new();
        for log in raw.tlogs {
            logs.insert(
                log.log_id.key_id.clone(),
                b64(&log.public_key.raw_bytes, "a log key of the trusted root")?,
            );
        }
        let mut ctlogs = BTreeMap::new();
        for log in raw.ctlogs {
            ctlogs.insert(
                log.log_id.key_id.clone(),
                b64(
                    &log.public_key.raw_bytes,
                    "a CT log key of the trusted root",
                )?,
            );
        }
        if authorities.is_empty() || logs.is_empty() {
            return Err(format_error(
                "the trusted root names no certificate authority or no transparency log",
            ));
        }
        Ok(Self {
            authorities,
            logs,
            ctlogs,
        })
    }
}

/// Who signed, as the certificate says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    pub identity: String,
    pub issuer: String,
    pub integrated_time: i64,
    pub log_index: i64,
}

/// The expected signer: identity (exact) and OIDC issuer (exact).
pub struct Expected<'a> {
    pub identity: &'a str,
    pub issuer: &'a str,
}

const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";

/// Identity (first SAN: URI or e-mail) and OIDC issuer of a Fulcio
/// certificate, which must carry the code-signing extended key usage (the
/// chain check accepts CA certificates without one).
fn identity_of(der: &[u8]) -> Result<(String, String, Vec<u8>), SigstoreError> {
    use x509_cert::der::{Decode, Encode};
    let certificate = x509_cert::Certificate::from_der(der)
        .map_err(|e| format_error(format!("the signing certificate does not parse: {e}")))?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format_error(e.to_string()))?;
    let mut identity = None;
    let mut issuer = None;
    let mut code_signing = false;
    for extension in certificate.tbs_certificate.extensions.iter().flatten() {
        let oid = extension.extn_id.to_string();
        let value = extension.extn_value.as_bytes();
        if oid == "2.5.29.17" {
            let names = x509_cert::ext::pkix::SubjectAltName::from_der(value)
                .map_err(|e| format_error(format!("bad subject alternative name: {e}")))?;
            identity = names.0.iter().find_map(|name| match name {
                x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(uri) => {
                    Some(uri.to_string())
                }
                x509_cert::ext::pkix::name::GeneralName::Rfc822Name(mail) => Some(mail.to_string()),
                _ => None,
            });
        } else if oid == "2.5.29.37" {
            let usages = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(value)
                .map_err(|e| format_error(format!("bad extended key usage: {e}")))?;
            code_signing = usages
                .0
                .iter()
                .any(|u| u.to_string() == "1.3.6.1.5.5.7.3.3");
        } else if oid == ISSUER_V2 {
            issuer = x509_cert::der::asn1::Utf8StringRef::from_der(value)
                .ok()
                .map(|s| s.to_string());
        } else if oid == ISSUER_V1 && issuer.is_none() {
            issuer = std::str::from_utf8(value).ok().map(str::to_string);
        }
    }
    if !code_signing {
        return Err(untrusted("the signing certificate is not for code signing"));
    }
    Ok((
        identity.ok_or_else(|| untrusted("the signing certificate names no identity"))?,
        issuer.ok_or_else(|| untrusted("the signing certificate names no OIDC issuer"))?,
        spki,
    ))
}

const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";

/// Checks that a certificate transparency log of the trusted root signed
/// the certificate (RFC 6962 §3.2, a precertificate entry): some embedded
/// SCT from a known log verifies over the certificate's TBS without its SCT
/// list, bound to the issuer's key hash.
fn verify_sct(
    leaf: &[u8],
    chain: &[Vec<u8>],
    ctlogs: &BTreeMap<String, Vec<u8>>,
) -> Result<(), SigstoreError> {
    use x509_cert::der::{Decode, Encode};
    let certificate =
        x509_cert::Certificate::from_der(leaf).map_err(|e| format_error(e.to_string()))?;
    let issuer = chain
        .iter()
        .filter_map(|der| x509_cert::Certificate::from_der(der).ok())
        .find(|c| c.tbs_certificate.subject == certificate.tbs_certificate.issuer)
        .ok_or_else(|| untrusted("the certificate's issuer is not in the trusted chain"))?;
    let issuer_key_hash = Sha256::digest(
        issuer
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
    let malformed = || format_error("a malformed SCT list");
    let u16_at = |b: &[u8], i: usize| -> Option<usize> {
        Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]) as usize)
    };
    let total = u16_at(&list, 0).ok_or_else(malformed)?;
    let mut rest = list.get(2..2 + total).ok_or_else(malformed)?;
    let mut known = false;
    while !rest.is_empty() {
        let length = u16_at(rest, 0).ok_or_else(malformed)?;
        let sct = rest.get(2..2 + length).ok_or_else(malformed)?;
        rest = &rest[2 + length..];
        // version(1) log_id(32) timestamp(8) extensions<2> hash(1) sig(1) signature<2>
        if sct.len() < 43 || sct[0] != 0 {
            continue;
        }
        let log_id = STANDARD.encode(&sct[1..33]);
        let timestamp = &sct[33..41];
        let ext_len = u16_at(sct, 41).ok_or_else(malformed)?;
        let extensions = sct.get(43..43 + ext_len).ok_or_else(malformed)?;
        let at = 43 + ext_len;
        let signature_len = u16_at(sct, at + 2).ok_or_else(malformed)?;
        let signature = sct
            .get(at + 4..at + 4 + signature_len)
            .ok_or_else(malformed)?;
        let Some(key) = ctlogs.get(&log_id) else {
            continue;
        };
        known = true;
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(timestamp);
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_key_hash);
        let tbs_len = tbs_der.len() as u32;
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs_der);
        signed.extend_from_slice(&(ext_len as u16).to_be_bytes());
        signed.extend_from_slice(extensions);
        if verify_ecdsa(key, &signed, signature) {
            return Ok(());
        }
    }
    Err(untrusted(if known {
        "the certificate transparency timestamp does not verify with its log's key"
    } else {
        "no certificate transparency timestamp comes from a log the trusted root names"
    }))
}

/// Canonical JSON (sorted keys, no spaces) of a value, as Rekor signs it.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[*k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

fn verify_ecdsa(spki: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1, UnparsedPublicKey};
    use x509_cert::der::Decode;
    let Ok(info) = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(spki) else {
        return false;
    };
    let point = info.subject_public_key.raw_bytes();
    let curve = info
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
        .map(|o| o.to_string());
    let algorithm = match curve.as_deref() {
        Some("1.2.840.10045.3.1.7") => &ECDSA_P256_SHA256_ASN1,
        Some("1.3.132.0.34") => &ECDSA_P384_SHA384_ASN1,
        _ => return false,
    };
    UnparsedPublicKey::new(algorithm, point)
        .verify(message, signature)
        .is_ok()
}

/// RFC 6962 inclusion: the leaf hash, its index and the audit path lead to
/// `root`.
pub fn inclusion_holds(leaf: &[u8], index: u64, size: u64, path: &[Vec<u8>], root: &[u8]) -> bool {
    if index >= size {
        return false;
    }
    let node = |left: &[u8], right: &[u8]| {
        let mut hasher = Sha256::new();
        hasher.update([1u8]);
        hasher.update(left);
        hasher.update(right);
        hasher.finalize().to_vec()
    };
    let mut hash = {
        let mut hasher = Sha256::new();
        hasher.update([0u8]);
        hasher.update(leaf);
        hasher.finalize().to_vec()
    };
    let (mut fn_, mut sn) = (index, size - 1);
    for sibling in path {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            hash = node(sibling, &hash);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            hash = node(&hash, sibling);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && hash == root
}

/// Verifies `bundle_text` (a Sigstore bundle with a message signature, or
/// with a DSSE envelope whose in-toto statement names the artifact) for
/// `artifact` against `root`.
pub fn verify_bundle(
    bundle_text: &str,
    artifact: &[u8],
    root: &TrustedRoot,
    expected: &Expected,
) -> Result<Signer, SigstoreError> {
    let bundle: Value = serde_json::from_str(bundle_text)
        .map_err(|e| format_error(format!("not a Sigstore bundle: {e}")))?;
    let material = &bundle["verificationMaterial"];
    let leaf_b64 = material["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .ok_or_else(|| {
            format_error(
                "the bundle has no signing certificate (a key-based bundle: verify it with --key)",
            )
        })?;
    let leaf = b64(leaf_b64, "the signing certificate")?;
    let digest = Sha256::digest(artifact).to_vec();
    // What was signed: the artifact itself, or (a DSSE bundle, as
    // attestations are) an in-toto statement naming the artifact's digest.
    let (signature, signed, dsse_payload) = if bundle["messageSignature"].is_object() {
        let signature_b64 = bundle["messageSignature"]["signature"]
            .as_str()
            .ok_or_else(|| format_error("the bundle's message signature is empty"))?;
        if let Some(claimed) = bundle["messageSignature"]["messageDigest"]["digest"].as_str()
            && b64(claimed, "the message digest")? != digest
        {
            return Err(untrusted(
                "the bundle is for another artifact (its message digest differs)",
            ));
        }
        (
            b64(signature_b64, "the signature")?,
            artifact.to_vec(),
            None,
        )
    } else if bundle["dsseEnvelope"].is_object() {
        let envelope = &bundle["dsseEnvelope"];
        let payload_type = envelope["payloadType"].as_str().unwrap_or_default();
        let payload = b64(
            envelope["payload"].as_str().unwrap_or_default(),
            "the DSSE payload",
        )?;
        let signature_b64 = envelope["signatures"][0]["sig"]
            .as_str()
            .ok_or_else(|| format_error("the DSSE envelope has no signature"))?;
        let statement: Value = serde_json::from_slice(&payload).map_err(|e| {
            format_error(format!("the DSSE payload is not an in-toto statement: {e}"))
        })?;
        let hex = crate::index::client::hex(&digest);
        let about = statement["subject"].as_array().is_some_and(|subjects| {
            subjects
                .iter()
                .any(|s| s["digest"]["sha256"].as_str() == Some(hex.as_str()))
        });
        if !about {
            return Err(untrusted(
                "the attestation is not about this artifact (no subject has its sha256)",
            ));
        }
        (
            b64(signature_b64, "the DSSE signature")?,
            super::dsse::pae(payload_type, &payload),
            Some(payload),
        )
    } else {
        return Err(format_error(
            "the bundle has neither a message signature nor a DSSE envelope",
        ));
    };
    // The log entry: this artifact, this signature, this certificate.
    let entries = material["tlogEntries"]
        .as_array()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| untrusted("the bundle has no transparency log entry"))?;
    let entry = &entries[0];
    let integrated_time: i64 = entry["integratedTime"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .or_else(|| entry["integratedTime"].as_i64())
        .ok_or_else(|| format_error("the log entry has no integrated time"))?;
    let log_index: i64 = entry["logIndex"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .or_else(|| entry["logIndex"].as_i64())
        .ok_or_else(|| format_error("the log entry has no index"))?;
    let log_id_b64 = entry["logId"]["keyId"]
        .as_str()
        .ok_or_else(|| format_error("the log entry has no log id"))?;
    let log_key = root.logs.get(log_id_b64).ok_or_else(|| {
        untrusted("the log entry comes from a log the trusted root does not name")
    })?;
    let body_b64 = entry["canonicalizedBody"]
        .as_str()
        .ok_or_else(|| format_error("the log entry has no body"))?;
    let body_bytes = b64(body_b64, "the log entry body")?;
    let body: Value = serde_json::from_slice(&body_bytes)
        .map_err(|e| format_error(format!("the log entry body is not JSON: {e}")))?;
    let spec = &body["spec"];
    let logged_cert = match (body["kind"].as_str(), &dsse_payload) {
        (Some("hashedrekord"), None) => {
            let logged_digest = spec["data"]["hash"]["value"].as_str().unwrap_or_default();
            if logged_digest != crate::index::client::hex(&digest) {
                return Err(untrusted("the log entry records another artifact"));
            }
            if spec["signature"]["content"]
                .as_str()
                .map(|s| b64(s, "the logged signature"))
                .transpose()?
                != Some(signature.clone())
            {
                return Err(untrusted("the log entry records another signature"));
            }
            spec["signature"]["publicKey"]["content"].as_str()
        }
        (Some("dsse"), Some(payload)) => {
            let logged_payload = spec["payloadHash"]["value"].as_str().unwrap_or_default();
            if logged_payload != crate::index::client::hex(&Sha256::digest(payload)) {
                return Err(untrusted("the log entry records another attestation"));
            }
            let logged = spec["signatures"].as_array().and_then(|signatures| {
                signatures.iter().find(|s| {
                    s["signature"]
                        .as_str()
                        .and_then(|sig| b64(sig, "a logged signature").ok())
                        .is_some_and(|sig| sig == signature)
                })
            });
            let Some(logged) = logged else {
                return Err(untrusted("the log entry records another signature"));
            };
            logged["verifier"].as_str()
        }
        (kind, _) => {
            return Err(format_error(format!(
                "log entries of kind {} are not supported for this bundle",
                kind.unwrap_or("(none)")
            )));
        }
    };
    let logged_cert = logged_cert
        .map(|s| b64(s, "the logged certificate"))
        .transpose()?
        .unwrap_or_default();
    let logged_der = crate::sign::parse_pem(&String::from_utf8_lossy(&logged_cert))
        .map(|(_, der)| der)
        .unwrap_or(logged_cert);
    if logged_der != leaf {
        return Err(untrusted("the log entry records another certificate"));
    }
    // The log's promise: its signature over the entry.
    let set = entry["inclusionPromise"]["signedEntryTimestamp"]
        .as_str()
        .map(|s| b64(s, "the signed entry timestamp"))
        .transpose()?;
    let log_id_hex = crate::index::client::hex(&b64(log_id_b64, "the log id")?);
    match set {
        Some(set) => {
            let payload = serde_json::json!({
                "body": body_b64,
                "integratedTime": integrated_time,
                "logID": log_id_hex,
                "logIndex": log_index,
            });
            if !verify_ecdsa(log_key, canonical(&payload).as_bytes(), &set) {
                return Err(untrusted(
                    "the log's signed entry timestamp does not verify with the log's key",
                ));
            }
        }
        None if entry["inclusionProof"].is_object() => {}
        None => {
            return Err(untrusted(
                "the log entry has neither a signed entry timestamp nor an inclusion proof",
            ));
        }
    }
    if let Some(proof) = entry["inclusionProof"].as_object() {
        let number = |key: &str| {
            proof.get(key).and_then(|v| {
                v.as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| v.as_u64())
            })
        };
        let hashes = proof
            .get("hashes")
            .and_then(|h| h.as_array())
            .map(|h| {
                h.iter()
                    .map(|x| b64(x.as_str().unwrap_or_default(), "a proof hash"))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let root_hash = b64(
            proof
                .get("rootHash")
                .and_then(|v| v.as_str())
                .unwrap_or_default(),
            "the proof's root hash",
        )?;
        let (Some(index), Some(size)) = (number("logIndex"), number("treeSize")) else {
            return Err(format_error(
                "the inclusion proof has no index or tree size",
            ));
        };
        if !inclusion_holds(&body_bytes, index, size, &hashes, &root_hash) {
            return Err(untrusted(
                "the inclusion proof does not lead to its root hash",
            ));
        }
    }
    // The certificate: chains to a trusted authority at the logged time.
    let (identity, issuer, spki) = identity_of(&leaf)?;
    let time = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        integrated_time.max(0) as u64,
    ));
    let leaf_der = rustls_pki_types::CertificateDer::from(leaf.as_slice());
    let end_entity = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| format_error(format!("the signing certificate: {e}")))?;
    let algorithms = webpki::ALL_VERIFICATION_ALGS;
    let mut chained: Option<&Vec<Vec<u8>>> = None;
    let mut last_error = String::from("no certificate authority");
    for Authority { chain, start, end } in &root.authorities {
        if start.is_some_and(|s| integrated_time < s) || end.is_some_and(|e| integrated_time > e) {
            continue;
        }
        let Some((anchor_der, intermediates)) = chain.split_last() else {
            continue;
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
            algorithms,
            &[anchor],
            &intermediates,
            time,
            webpki::KeyUsage::required_if_present(CODE_SIGNING),
            None,
            None,
        ) {
            Ok(_) => {
                chained = Some(chain);
                break;
            }
            Err(e) => last_error = format!("{e:?}"),
        }
    }
    let Some(chain) = chained else {
        return Err(untrusted(format!(
            "the signing certificate does not chain to the trusted root at the logged time ({last_error})"
        )));
    };
    verify_sct(&leaf, chain, &root.ctlogs)?;
    if identity != expected.identity {
        return Err(untrusted(format!(
            "signed by {identity}, not {}",
            expected.identity
        )));
    }
    if issuer != expected.issuer {
        return Err(untrusted(format!(
            "the identity was issued by {issuer}, not {}",
            expected.issuer
        )));
    }
    if !verify_ecdsa(&spki, &signed, &signature) {
        return Err(untrusted(
            "the signature does not verify over the artifact with the certificate's key",
        ));
    }
    Ok(Signer {
        identity,
        issuer,
        integrated_time,
        log_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_without_spaces() {
        let value =
            serde_json::json!({ "logIndex": 2, "body": "x", "integratedTime": 1, "logID": "ab" });
        assert_eq!(
            canonical(&value),
            r#"{"body":"x","integratedTime":1,"logID":"ab","logIndex":2}"#
        );
    }

    #[test]
    fn inclusion_proofs_follow_rfc_6962() {
        let leaf_hash = |data: &[u8]| {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(data);
            h.finalize().to_vec()
        };
        let node = |l: &[u8], r: &[u8]| {
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(l);
            h.update(r);
            h.finalize().to_vec()
        };
        // Three leaves: root = H(H(a,b), c).
        let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
        let root = node(&node(&a, &b), &c);
        assert!(inclusion_holds(b"a", 0, 3, &[b.clone(), c.clone()], &root));
        assert!(inclusion_holds(b"c", 2, 3, &[node(&a, &b)], &root));
        assert!(!inclusion_holds(b"x", 0, 3, &[b.clone(), c.clone()], &root));
        assert!(!inclusion_holds(b"a", 3, 3, &[b, c], &root));
    }

    #[test]
    fn the_public_trusted_root_parses() {
        // The trusted root of the public Sigstore instance, as shipped.
        let text = include_str!("../../tests/data/sigstore/trusted_root.json");
        let root = TrustedRoot::parse(text).unwrap();
        assert!(!root.authorities.is_empty());
        assert!(
            root.logs
                .contains_key("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=")
        );
    }
}
