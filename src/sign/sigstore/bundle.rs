//! A Sigstore bundle (`application/vnd.dev.sigstore.bundle…`, versions 0.1
//! to 0.3) read into types, with the rules of the protobuf specs' client
//! policy that need nothing but the bundle itself: a known media type, a
//! signing certificate or a key hint, exactly one log entry, an inclusion
//! promise in 0.1 bundles, an inclusion proof with a checkpoint from 0.2 on.

use serde::Deserialize;

use super::error::{SigstoreError, format_error, untrusted};
use super::proto::{Bytes, Int64};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V01,
    V02,
    V03,
}

impl Version {
    fn of(media_type: &str) -> Option<Self> {
        match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Self::V01),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Self::V02),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(Self::V03),
            _ => None,
        }
    }
}

/// What the signature is checked with.
#[derive(Debug, Clone)]
pub enum Material {
    /// A signing certificate (DER), from `certificate` or the first of
    /// `x509CertificateChain`.
    Certificate(Vec<u8>),
    /// A key the verifier must be given (`publicKey.hint`).
    PublicKey { hint: String },
}

/// What was signed.
#[derive(Debug, Clone)]
pub enum Content {
    Message {
        /// The digest the bundle claims (algorithm, bytes): a hint only.
        digest: Option<(String, Vec<u8>)>,
        signature: Vec<u8>,
    },
    Dsse {
        payload_type: String,
        payload: Vec<u8>,
        signatures: Vec<Vec<u8>>,
    },
}

impl Content {
    /// The signature a timestamp authority was asked to timestamp.
    pub fn signature(&self) -> &[u8] {
        match self {
            Content::Message { signature, .. } => signature,
            Content::Dsse { signatures, .. } => signatures.first().map_or(&[], Vec::as_slice),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Proof {
    pub log_index: i64,
    pub root_hash: Vec<u8>,
    pub tree_size: i64,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub log_index: i64,
    pub log_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    /// Zero when left out (Rekor v2 entries have none).
    pub integrated_time: i64,
    pub signed_entry_timestamp: Option<Vec<u8>>,
    pub proof: Option<Proof>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Bundle {
    pub version: Version,
    pub material: Material,
    pub timestamps: Vec<Vec<u8>>,
    pub entry: Entry,
    pub content: Content,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    #[serde(default, alias = "media_type")]
    media_type: String,
    #[serde(alias = "verification_material")]
    verification_material: RawMaterial,
    #[serde(default, alias = "message_signature")]
    message_signature: Option<RawMessageSignature>,
    #[serde(default, alias = "dsse_envelope")]
    dsse_envelope: Option<RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    #[serde(default)]
    certificate: Option<RawCertificate>,
    #[serde(default, alias = "x509_certificate_chain")]
    x509_certificate_chain: Option<RawChain>,
    #[serde(default, alias = "public_key")]
    public_key: Option<RawHint>,
    #[serde(default, alias = "tlog_entries")]
    tlog_entries: Vec<RawEntry>,
    #[serde(default, alias = "timestamp_verification_data")]
    timestamp_verification_data: Option<RawTimestamps>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCertificate {
    #[serde(default, alias = "raw_bytes")]
    raw_bytes: Bytes,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
struct RawHint {
    #[serde(default)]
    hint: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamps {
    #[serde(default, alias = "rfc3161_timestamps")]
    rfc3161_timestamps: Vec<RawTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamp {
    #[serde(default, alias = "signed_timestamp")]
    signed_timestamp: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(default, alias = "log_index")]
    log_index: Int64,
    #[serde(alias = "log_id")]
    log_id: RawLogId,
    #[serde(alias = "kind_version")]
    kind_version: RawKindVersion,
    #[serde(default, alias = "integrated_time")]
    integrated_time: Int64,
    #[serde(default, alias = "inclusion_promise")]
    inclusion_promise: Option<RawPromise>,
    #[serde(default, alias = "inclusion_proof")]
    inclusion_proof: Option<RawProof>,
    #[serde(default, alias = "canonicalized_body")]
    canonicalized_body: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    #[serde(default, alias = "key_id")]
    key_id: Bytes,
}

#[derive(Deserialize)]
struct RawKindVersion {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    #[serde(default, alias = "signed_entry_timestamp")]
    signed_entry_timestamp: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    #[serde(default, alias = "log_index")]
    log_index: Int64,
    #[serde(default, alias = "root_hash")]
    root_hash: Bytes,
    #[serde(default, alias = "tree_size")]
    tree_size: Int64,
    #[serde(default)]
    hashes: Vec<Bytes>,
    #[serde(default)]
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    #[serde(default)]
    envelope: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    #[serde(default, alias = "message_digest")]
    message_digest: Option<RawDigest>,
    #[serde(default)]
    signature: Bytes,
}

#[derive(Deserialize)]
struct RawDigest {
    #[serde(default)]
    algorithm: String,
    #[serde(default)]
    digest: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    #[serde(default)]
    payload: Bytes,
    #[serde(default, alias = "payload_type")]
    payload_type: String,
    #[serde(default)]
    signatures: Vec<RawDsseSignature>,
}

#[derive(Deserialize)]
struct RawDsseSignature {
    #[serde(default)]
    sig: Bytes,
}

impl Bundle {
    pub fn parse(text: &str) -> Result<Self, SigstoreError> {
        let raw: RawBundle = serde_json::from_str(text).map_err(|e| {
            format_error(format!(
                "not a Sigstore bundle: {}",
                super::error::plain_serde_error(&e)
            ))
        })?;
        let version = Version::of(&raw.media_type).ok_or_else(|| {
            format_error(format!(
                "not a Sigstore bundle this verifier knows: media type {:?} (known: versions 0.1 to 0.3)",
                raw.media_type
            ))
        })?;
        let material = material(
            raw.verification_material.certificate,
            raw.verification_material.x509_certificate_chain,
            raw.verification_material.public_key,
            version,
        )?;
        let timestamps: Vec<Vec<u8>> = raw
            .verification_material
            .timestamp_verification_data
            .map(|t| {
                t.rfc3161_timestamps
                    .into_iter()
                    .map(|t| t.signed_timestamp.0)
                    .collect()
            })
            .unwrap_or_default();
        let mut entries = raw.verification_material.tlog_entries;
        if entries.len() != 1 {
            return Err(untrusted(format!(
                "the bundle has {} transparency log entries; exactly one is expected",
                entries.len()
            )));
        }
        let entry = entry(entries.remove(0))?;
        check_log_material(&entry, version, &timestamps)?;
        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(message), None) => Content::Message {
                digest: message.message_digest.map(|d| (d.algorithm, d.digest.0)),
                signature: nonempty(message.signature.0, "the message signature")?,
            },
            (None, Some(envelope)) => Content::Dsse {
                payload_type: envelope.payload_type,
                payload: envelope.payload.0,
                signatures: envelope
                    .signatures
                    .into_iter()
                    .map(|s| nonempty(s.sig.0, "a DSSE signature"))
                    .collect::<Result<_, _>>()?,
            },
            _ => {
                return Err(format_error(
                    "the bundle must have either a message signature or a DSSE envelope",
                ));
            }
        };
        if let Content::Dsse { signatures, .. } = &content
            && signatures.len() != 1
        {
            return Err(untrusted(format!(
                "the DSSE envelope has {} signatures; exactly one is expected",
                signatures.len()
            )));
        }
        Ok(Self {
            version,
            material,
            timestamps,
            entry,
            content,
        })
    }
}

fn nonempty(bytes: Vec<u8>, what: &str) -> Result<Vec<u8>, SigstoreError> {
    if bytes.is_empty() {
        Err(format_error(format!("{what} is empty")))
    } else {
        Ok(bytes)
    }
}

fn material(
    certificate: Option<RawCertificate>,
    chain: Option<RawChain>,
    key: Option<RawHint>,
    version: Version,
) -> Result<Material, SigstoreError> {
    match (certificate, chain, key) {
        (Some(certificate), None, None) if version == Version::V03 => Ok(Material::Certificate(
            nonempty(certificate.raw_bytes.0, "the signing certificate")?,
        )),
        (None, Some(chain), None) if version < Version::V03 => {
            let mut certificates = chain.certificates.into_iter().map(|c| c.raw_bytes.0);
            let leaf = certificates
                .next()
                .ok_or_else(|| format_error("the bundle's certificate chain is empty"))?;
            // The client policy of the protobuf specs: the chain holds the
            // signing certificate and at most intermediates, never a root
            // (a root in the bundle invites trusting the bundle itself).
            for other in certificates {
                if super::x509::is_self_signed(&other)? {
                    return Err(untrusted(
                        "the bundle's certificate chain contains a root certificate",
                    ));
                }
            }
            Ok(Material::Certificate(nonempty(
                leaf,
                "the signing certificate",
            )?))
        }
        (None, None, Some(key)) => Ok(Material::PublicKey { hint: key.hint }),
        (None, Some(_), None) => Err(format_error(
            "a version 0.3 bundle carries its signing certificate as `certificate`, not a chain",
        )),
        (Some(_), None, None) => Err(format_error(
            "a bundle before version 0.3 carries its signing certificate in `x509CertificateChain`",
        )),
        _ => Err(format_error(
            "the bundle must have exactly one of a certificate, a certificate chain or a public key",
        )),
    }
}

fn entry(raw: RawEntry) -> Result<Entry, SigstoreError> {
    if raw.log_index.0 < 0 {
        return Err(format_error(format!(
            "the log entry has a negative index ({})",
            raw.log_index.0
        )));
    }
    if raw.log_id.key_id.0.is_empty() {
        return Err(format_error("the log entry has no log id"));
    }
    if raw.canonicalized_body.0.is_empty() {
        return Err(format_error("the log entry has no body"));
    }
    let proof = raw.inclusion_proof.map(|p| Proof {
        log_index: p.log_index.0,
        root_hash: p.root_hash.0,
        tree_size: p.tree_size.0,
        hashes: p.hashes.into_iter().map(|h| h.0).collect(),
        checkpoint: p.checkpoint.map(|c| c.envelope).filter(|c| !c.is_empty()),
    });
    Ok(Entry {
        log_index: raw.log_index.0,
        log_id: raw.log_id.key_id.0,
        kind: raw.kind_version.kind,
        version: raw.kind_version.version,
        integrated_time: raw.integrated_time.0,
        signed_entry_timestamp: raw
            .inclusion_promise
            .map(|p| p.signed_entry_timestamp.0)
            .filter(|s| !s.is_empty()),
        proof,
        body: raw.canonicalized_body.0,
    })
}

/// 0.1: the inclusion promise is required (the proof is optional). 0.2 and
/// later: an inclusion proof with a checkpoint is required, and the
/// promise too unless a signed timestamp gives the time.
fn check_log_material(
    entry: &Entry,
    version: Version,
    timestamps: &[Vec<u8>],
) -> Result<(), SigstoreError> {
    if version == Version::V01 {
        if entry.signed_entry_timestamp.is_none() {
            return Err(untrusted(
                "a version 0.1 bundle must carry the log's inclusion promise (signed entry timestamp)",
            ));
        }
        return Ok(());
    }
    match &entry.proof {
        None => Err(untrusted("the log entry has no inclusion proof")),
        Some(proof) if proof.checkpoint.is_none() => {
            Err(untrusted("the inclusion proof has no checkpoint"))
        }
        Some(_) if entry.signed_entry_timestamp.is_none() && timestamps.is_empty() => {
            Err(untrusted(
                "the bundle has neither an inclusion promise nor a signed timestamp: nothing gives the time of signing",
            ))
        }
        Some(_) => Ok(()),
    }
}
