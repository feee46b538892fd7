//! The transparency log entry: the log's promise (signed entry timestamp),
//! the inclusion proof (RFC 6962) and its checkpoint, a signed note
//! (C2SP `signed-note`, `tlog-checkpoint`) verified with the log's key, and
//! the agreement of the logged body with what the bundle carries (the
//! kinds `hashedrekord` and `dsse`, versions 0.0.1 of Rekor v1 and 0.0.2 of
//! Rekor v2).
//!
//! Written here: no maintained Rust crate verifies Sigstore checkpoints or
//! Rekor bodies without also bringing the `sigstore` crate's HTTP clients.

use serde_json::Value;
use sha2::{Digest, Sha384, Sha512};

use super::bundle::{Content, Entry};
use super::error::{SigstoreError, format_error, untrusted};
use super::keys::{self, Hash};
use super::proto::b64_decode;
use super::trust::LogKey;
use crate::digest::Sha256Hasher;

/// Canonical JSON (sorted keys, no spaces) of a value, as Rekor signs it.
pub fn canonical(value: &Value) -> String {
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

/// Rekor v2 entries have no integrated time and no promise.
fn is_rekor_v2(entry: &Entry) -> bool {
    matches!(
        (entry.kind.as_str(), entry.version.as_str()),
        ("hashedrekord" | "dsse", "0.0.2")
    )
}

/// Verifies the log's signed entry timestamp; the integrated time it
/// authenticates.
pub fn verify_promise(entry: &Entry, log: &LogKey) -> Result<Option<i64>, SigstoreError> {
    let Some(set) = &entry.signed_entry_timestamp else {
        return Ok(None);
    };
    if is_rekor_v2(entry) {
        return Err(untrusted(format!(
            "an inclusion promise is only defined for Rekor v1 entries (this one is {} {})",
            entry.kind, entry.version
        )));
    }
    let payload = serde_json::json!({
        "body": super::proto::b64_text(&entry.body),
        "integratedTime": entry.integrated_time,
        "logID": crate::digest::hex(&entry.log_id),
        "logIndex": entry.log_index,
    });
    if !keys::verify(
        &log.spki,
        canonical(&payload).as_bytes(),
        set,
        Hash::Natural,
    ) {
        return Err(untrusted(
            "the log's signed entry timestamp does not verify with the log's key",
        ));
    }
    Ok(Some(entry.integrated_time))
}

/// RFC 6962 inclusion: the leaf, its index and the audit path lead to
/// `root`.
pub fn inclusion_holds(leaf: &[u8], index: u64, size: u64, path: &[Vec<u8>], root: &[u8]) -> bool {
    if index >= size {
        return false;
    }
    let node = |left: &[u8], right: &[u8]| {
        let mut hasher = Sha256Hasher::new();
        hasher.update(&[1u8]);
        hasher.update(left);
        hasher.update(right);
        hasher.finish().to_vec()
    };
    let mut hash = {
        let mut hasher = Sha256Hasher::new();
        hasher.update(&[0u8]);
        hasher.update(leaf);
        hasher.finish().to_vec()
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

/// The body of a checkpoint.
#[derive(Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root_hash: Vec<u8>,
}

/// A signed note: its text (up to and including the line before the blank
/// line) and its signature lines (key hint, signature).
#[derive(Debug)]
pub struct SignedNote {
    pub text: String,
    pub signatures: Vec<([u8; 4], Vec<u8>)>,
}

pub fn parse_note(envelope: &str) -> Result<SignedNote, SigstoreError> {
    let bad = |why: &str| untrusted(format!("the checkpoint is not a signed note: {why}"));
    let split = envelope
        .find("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let (text, signatures) = (&envelope[..=split], &envelope[split + 2..]);
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(bad(
            "the signature block is empty or not ended by a newline",
        ));
    }
    let mut parsed = Vec::new();
    for line in signatures.lines() {
        let line = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| bad("a signature line does not start with an em dash"))?;
        let (name, signature) = line
            .rsplit_once(' ')
            .ok_or_else(|| bad("a signature line has no key name"))?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(bad("a signature line has a bad key name"));
        }
        let bytes = b64_decode(signature).ok_or_else(|| bad("a signature is not base64"))?;
        if bytes.len() < 5 {
            return Err(bad("a signature is too short"));
        }
        let mut hint = [0u8; 4];
        hint.copy_from_slice(&bytes[..4]);
        parsed.push((hint, bytes[4..].to_vec()));
    }
    Ok(SignedNote {
        text: text.to_string(),
        signatures: parsed,
    })
}

pub fn parse_checkpoint(text: &str) -> Result<Checkpoint, SigstoreError> {
    let bad = |why: &str| untrusted(format!("the checkpoint is malformed: {why}"));
    let mut lines = text.split('\n');
    let origin = lines.next().unwrap_or_default();
    if origin.is_empty() {
        return Err(bad("no origin line"));
    }
    let size = lines
        .next()
        .and_then(|l| l.parse::<u64>().ok())
        .ok_or_else(|| bad("the second line is not the tree size"))?;
    let root_hash = lines
        .next()
        .and_then(b64_decode)
        .filter(|h| h.len() == 32)
        .ok_or_else(|| bad("the third line is not a base64 SHA-256 root hash"))?;
    Ok(Checkpoint {
        origin: origin.to_string(),
        size,
        root_hash,
    })
}

/// Verifies the inclusion proof and its checkpoint: the entry is in the
/// tree whose root the log signed.
pub fn verify_inclusion(entry: &Entry, log: &LogKey) -> Result<bool, SigstoreError> {
    let Some(proof) = &entry.proof else {
        return Ok(false);
    };
    let (Ok(index), Ok(size)) = (
        u64::try_from(proof.log_index),
        u64::try_from(proof.tree_size),
    ) else {
        return Err(format_error(
            "the inclusion proof has a negative index or size",
        ));
    };
    if !inclusion_holds(&entry.body, index, size, &proof.hashes, &proof.root_hash) {
        return Err(untrusted(
            "the inclusion proof does not lead to its root hash",
        ));
    }
    let Some(envelope) = &proof.checkpoint else {
        // A 0.1 bundle's proof without a checkpoint proves nothing signed;
        // its promise is what is relied on.
        return Ok(false);
    };
    let note = parse_note(envelope)?;
    let checkpoint = parse_checkpoint(&note.text)?;
    // Every line with the log's key hint must verify (as Go's note package
    // and sigstore-python require); lines of other keys (witnesses) are
    // ignored.
    let hint = log.key_id.get(..4).unwrap_or_default();
    let mut signed = false;
    for (key_hint, signature) in &note.signatures {
        if key_hint != hint {
            continue;
        }
        if !keys::verify(&log.spki, note.text.as_bytes(), signature, Hash::Natural) {
            return Err(untrusted(
                "a signature of the checkpoint with the log's key hint does not verify",
            ));
        }
        signed = true;
    }
    if !signed {
        return Err(untrusted(
            "the checkpoint has no signature of the log that holds the entry",
        ));
    }
    if checkpoint.root_hash != proof.root_hash || checkpoint.size != size {
        return Err(untrusted(
            "the signed checkpoint is for another tree than the inclusion proof",
        ));
    }
    Ok(true)
}

/// Who signed, as the log must have recorded it.
pub enum LoggedSigner<'a> {
    /// A signing certificate (DER).
    Certificate(&'a [u8]),
    /// A public key (SubjectPublicKeyInfo DER).
    Key(&'a [u8]),
}

impl LoggedSigner<'_> {
    /// Whether a PEM (or DER) certificate or key, as Rekor v1 logs it, is
    /// this signer.
    fn matches_pem(&self, logged: &[u8]) -> bool {
        let der = crate::sign::parse_pem(&String::from_utf8_lossy(logged))
            .map(|(_, der)| der)
            .unwrap_or_else(|| logged.to_vec());
        match self {
            LoggedSigner::Certificate(leaf) => der == *leaf,
            LoggedSigner::Key(spki) => der == *spki,
        }
    }

    /// Whether a Rekor v2 `Verifier` message is this signer.
    fn matches_v2(&self, verifier: &Value) -> bool {
        let raw = |field: &str| verifier[field]["rawBytes"].as_str().and_then(b64_decode);
        match self {
            LoggedSigner::Certificate(leaf) => raw("x509Certificate").as_deref() == Some(*leaf),
            LoggedSigner::Key(spki) => raw("publicKey").as_deref() == Some(*spki),
        }
    }
}

fn digest_named(algorithm: &str, data: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        "sha256" | "SHA2_256" => Some(crate::digest::sha256(data).to_vec()),
        "sha384" | "SHA2_384" => Some(Sha384::digest(data).to_vec()),
        "sha512" | "SHA2_512" => Some(Sha512::digest(data).to_vec()),
        _ => None,
    }
}

fn b64_field(value: &Value) -> Option<Vec<u8>> {
    value.as_str().and_then(b64_decode)
}

/// Whether the one logged signature (its `content` in base64) is this
/// signature, by this signer: `signer_of` reads the logged signature.
fn same_signature(
    logged: &Value,
    signature: &[u8],
    signer_of: impl FnOnce(&Value) -> bool,
) -> Result<(), SigstoreError> {
    if b64_field(&logged["content"]).as_deref() != Some(signature) {
        return Err(untrusted("the log entry records another signature"));
    }
    if !signer_of(logged) {
        return Err(untrusted(
            "the log entry records another certificate or key",
        ));
    }
    Ok(())
}

/// Whether the logged signatures are exactly the envelope's, each by this
/// signer: `signature_of` and `signer_of` read one logged signature.
fn same_signatures(
    logged: &Value,
    signatures: &[Vec<u8>],
    signature_of: impl Fn(&Value) -> Option<Vec<u8>>,
    signer_of: impl Fn(&Value) -> bool,
) -> Result<(), SigstoreError> {
    let logged = logged.as_array().map(Vec::as_slice).unwrap_or_default();
    let same = logged.len() == signatures.len()
        && signatures.iter().all(|signature| {
            logged
                .iter()
                .any(|l| signature_of(l).as_ref() == Some(signature) && signer_of(l))
        });
    if same {
        Ok(())
    } else {
        Err(untrusted("the log entry records another signature"))
    }
}

/// Checks that the logged body records exactly this content, signature
/// and signer (so that a valid entry for something else cannot be paired
/// with the bundle).
pub fn check_body(
    entry: &Entry,
    content: &Content,
    artifact: &[u8],
    signer: &LoggedSigner,
) -> Result<(), SigstoreError> {
    let body: Value = serde_json::from_slice(&entry.body)
        .map_err(|e| format_error(format!("the log entry body is not JSON: {e}")))?;
    let (kind, version) = (
        body["kind"].as_str().unwrap_or_default(),
        body["apiVersion"].as_str().unwrap_or_default(),
    );
    if kind != entry.kind || version != entry.version {
        return Err(untrusted(format!(
            "the log entry says {:?} {:?} but its body is {kind:?} {version:?}",
            entry.kind, entry.version
        )));
    }
    let spec = &body["spec"];
    match (kind, version, content) {
        ("hashedrekord", "0.0.1", Content::Message { signature, .. }) => {
            check_hashedrekord_v1(spec, artifact, signature, signer)
        }
        (
            "dsse",
            "0.0.1",
            Content::Dsse {
                payload,
                signatures,
                ..
            },
        ) => check_dsse_v1(spec, payload, signatures, signer),
        (
            "intoto",
            "0.0.2",
            Content::Dsse {
                payload_type,
                payload,
                signatures,
            },
        ) => check_intoto(&spec["content"], payload_type, payload, signatures, signer),
        ("hashedrekord", "0.0.2", _) => {
            check_hashedrekord_v2(&spec["hashedRekordV002"], content, artifact, signer)
        }
        (
            "dsse",
            "0.0.2",
            Content::Dsse {
                payload,
                signatures,
                ..
            },
        ) => check_dsse_v2(&spec["dsseV002"], payload, signatures, signer),
        (kind, version, content) => Err(format_error(format!(
            "log entries of kind {kind:?} {version:?} are not supported for a bundle with {}",
            match content {
                Content::Message { .. } => "a message signature",
                Content::Dsse { .. } => "a DSSE envelope",
            }
        ))),
    }
}

/// Whether a logged `{algorithm, value}` hash is the hex sha256 of `data`.
fn records_sha256_of(hash: &Value, data: &[u8]) -> bool {
    hash["algorithm"].as_str() == Some("sha256")
        && hash["value"].as_str() == Some(crate::digest::sha256_hex(data).as_str())
}

/// Rekor v1 `hashedrekord` 0.0.1: the artifact's hex digest, the
/// signature, and the certificate or key in PEM.
fn check_hashedrekord_v1(
    spec: &Value,
    artifact: &[u8],
    signature: &[u8],
    signer: &LoggedSigner,
) -> Result<(), SigstoreError> {
    let data = &spec["data"]["hash"];
    let algorithm = data["algorithm"].as_str().unwrap_or_default();
    let expected = digest_named(algorithm, artifact).map(|d| crate::digest::hex(&d));
    if expected.is_none() || data["value"].as_str() != expected.as_deref() {
        return Err(untrusted("the log entry records another artifact"));
    }
    same_signature(&spec["signature"], signature, |logged| {
        signer.matches_pem(&b64_field(&logged["publicKey"]["content"]).unwrap_or_default())
    })
}

/// Rekor v1 `dsse` 0.0.1: the payload's sha256 and the envelope's
/// signatures, each with its verifier in PEM.
fn check_dsse_v1(
    spec: &Value,
    payload: &[u8],
    signatures: &[Vec<u8>],
    signer: &LoggedSigner,
) -> Result<(), SigstoreError> {
    if !records_sha256_of(&spec["payloadHash"], payload) {
        return Err(untrusted("the log entry records another attestation"));
    }
    same_signatures(
        &spec["signatures"],
        signatures,
        |l| b64_field(&l["signature"]),
        |l| signer.matches_pem(&b64_field(&l["verifier"]).unwrap_or_default()),
    )
}

/// Rekor v1 `intoto` 0.0.2: the whole envelope, whose base64 fields Rekor
/// stores base64-encoded once more.
fn check_intoto(
    logged: &Value,
    payload_type: &str,
    payload: &[u8],
    signatures: &[Vec<u8>],
    signer: &LoggedSigner,
) -> Result<(), SigstoreError> {
    let twice = |value: &Value| {
        b64_field(value).and_then(|once| b64_decode(&String::from_utf8_lossy(&once)))
    };
    let hash = &logged["payloadHash"];
    let envelope = &logged["envelope"];
    if !records_sha256_of(hash, payload)
        || twice(&envelope["payload"]).as_deref() != Some(payload)
        || envelope["payloadType"].as_str() != Some(payload_type)
    {
        return Err(untrusted("the log entry records another attestation"));
    }
    same_signatures(
        &envelope["signatures"],
        signatures,
        |l| twice(&l["sig"]),
        |l| signer.matches_pem(&b64_field(&l["publicKey"]).unwrap_or_default()),
    )
}

/// Rekor v2 `hashedrekord` 0.0.2: the digest of what was signed (the
/// artifact, or an envelope's PAE), the signature and its verifier.
fn check_hashedrekord_v2(
    spec: &Value,
    content: &Content,
    artifact: &[u8],
    signer: &LoggedSigner,
) -> Result<(), SigstoreError> {
    let (signed, signature, another) = match content {
        Content::Message { signature, .. } => (
            artifact.to_vec(),
            signature,
            "the log entry records another artifact",
        ),
        Content::Dsse {
            payload_type,
            payload,
            signatures,
        } => (
            crate::sign::dsse::pae(payload_type, payload),
            signatures
                .first()
                .ok_or_else(|| format_error("no DSSE signature"))?,
            "the log entry records another attestation",
        ),
    };
    let algorithm = spec["data"]["algorithm"].as_str().unwrap_or_default();
    let digest = digest_named(algorithm, &signed);
    if digest.is_none() || b64_field(&spec["data"]["digest"]) != digest {
        return Err(untrusted(another));
    }
    same_signature(&spec["signature"], signature, |logged| {
        signer.matches_v2(&logged["verifier"])
    })
}

/// Rekor v2 `dsse` 0.0.2: the payload's digest and the envelope's
/// signatures, each with its verifier.
fn check_dsse_v2(
    spec: &Value,
    payload: &[u8],
    signatures: &[Vec<u8>],
    signer: &LoggedSigner,
) -> Result<(), SigstoreError> {
    let hash = &spec["payloadHash"];
    let algorithm = hash["algorithm"].as_str().unwrap_or_default();
    let digest = digest_named(algorithm, payload);
    if digest.is_none() || b64_field(&hash["digest"]) != digest {
        return Err(untrusted("the log entry records another attestation"));
    }
    same_signatures(
        &spec["signatures"],
        signatures,
        |l| b64_field(&l["content"]),
        |l| signer.matches_v2(&l["verifier"]),
    )
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
            let mut h = Sha256Hasher::new();
            h.update(&[0u8]);
            h.update(data);
            h.finish().to_vec()
        };
        let node = |l: &[u8], r: &[u8]| {
            let mut h = Sha256Hasher::new();
            h.update(&[1u8]);
            h.update(l);
            h.update(r);
            h.finish().to_vec()
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
    fn signed_notes_and_checkpoints_parse_as_c2sp_says() {
        let hash = super::super::proto::b64_text(&[7u8; 32]);
        let signature = super::super::proto::b64_text(b"\x01\x02\x03\x04signature");
        let note = format!(
            "log.example.invalid\n12\n{hash}\nextra\n\n\u{2014} log.example.invalid {signature}\n"
        );
        let parsed = parse_note(&note).unwrap();
        assert_eq!(
            parsed.text,
            format!("log.example.invalid\n12\n{hash}\nextra\n")
        );
        assert_eq!(
            parsed.signatures,
            vec![([1, 2, 3, 4], b"signature".to_vec())]
        );
        let checkpoint = parse_checkpoint(&parsed.text).unwrap();
        assert_eq!(checkpoint.size, 12);
        assert_eq!(checkpoint.root_hash, vec![7u8; 32]);
        for bad in [
            format!("log\n12\n{hash}\n"),
            format!("log\n12\n{hash}\n\n\u{2014} log {signature}"),
            format!("log\n12\n{hash}\n\n- log {signature}\n"),
            format!("log\n12\n{hash}\n\n\u{2014} log AAAA\n"),
        ] {
            assert!(parse_note(&bad).is_err(), "{bad:?}");
        }
        for bad in [
            format!("\n12\n{hash}\n"),
            format!("log\n{hash}\n"),
            "log\n12\n\n".to_string(),
        ] {
            assert!(parse_checkpoint(&bad).is_err(), "{bad:?}");
        }
    }
    use super::super::proto::b64_text;
    use serde_json::json;

    const KEY: &[u8] = b"the signer's public key";

    fn entry(kind: &str, version: &str, body: Value) -> Entry {
        Entry {
            log_index: 0,
            log_id: Vec::new(),
            kind: kind.into(),
            version: version.into(),
            integrated_time: 0,
            signed_entry_timestamp: None,
            proof: None,
            body: body.to_string().into_bytes(),
        }
    }

    fn message(signature: &[u8]) -> Content {
        Content::Message {
            digest: None,
            signature: signature.to_vec(),
        }
    }

    fn envelope(signature: &[u8]) -> Content {
        Content::Dsse {
            payload_type: "application/vnd.in-toto+json".into(),
            payload: b"{}".to_vec(),
            signatures: vec![signature.to_vec()],
        }
    }

    /// The message of a failed check, or "ok".
    fn outcome(entry: &Entry, content: &Content) -> String {
        match check_body(entry, content, b"artifact", &LoggedSigner::Key(KEY)) {
            Ok(()) => "ok".into(),
            Err(SigstoreError::Untrusted(message)) => format!("untrusted: {message}"),
            Err(other) => format!("format: {other}"),
        }
    }

    fn hashedrekord_v1(artifact: &[u8], signature: &[u8], key: &[u8]) -> Entry {
        entry(
            "hashedrekord",
            "0.0.1",
            json!({
                "kind": "hashedrekord", "apiVersion": "0.0.1",
                "spec": {
                    "data": { "hash": { "algorithm": "sha256", "value": crate::digest::sha256_hex(artifact) } },
                    "signature": { "content": b64_text(signature), "publicKey": { "content": b64_text(key) } },
                },
            }),
        )
    }

    #[test]
    fn a_rekor_v1_hashedrekord_must_record_this_artifact_signature_and_key() {
        let content = message(b"sig");
        let cases = [
            (hashedrekord_v1(b"artifact", b"sig", KEY), "ok"),
            (
                hashedrekord_v1(b"other", b"sig", KEY),
                "untrusted: the log entry records another artifact",
            ),
            (
                hashedrekord_v1(b"artifact", b"other", KEY),
                "untrusted: the log entry records another signature",
            ),
            (
                hashedrekord_v1(b"artifact", b"sig", b"other key"),
                "untrusted: the log entry records another certificate or key",
            ),
        ];
        for (entry, expected) in cases {
            assert_eq!(outcome(&entry, &content), expected);
        }
        let mut relabelled = hashedrekord_v1(b"artifact", b"sig", KEY);
        relabelled.kind = "dsse".into();
        assert_eq!(
            outcome(&relabelled, &content),
            "untrusted: the log entry says \"dsse\" \"0.0.1\" but its body is \"hashedrekord\" \"0.0.1\""
        );
        assert_eq!(
            outcome(
                &hashedrekord_v1(b"artifact", b"sig", KEY),
                &envelope(b"sig")
            ),
            "format: log entries of kind \"hashedrekord\" \"0.0.1\" are not supported for a bundle with a DSSE envelope"
        );
    }

    #[test]
    fn envelopes_are_matched_in_each_log_format() {
        let payload_hash = crate::digest::sha256_hex(b"{}");
        let dsse_v1 = entry(
            "dsse",
            "0.0.1",
            json!({
                "kind": "dsse", "apiVersion": "0.0.1",
                "spec": {
                    "payloadHash": { "algorithm": "sha256", "value": payload_hash },
                    "signatures": [{ "signature": b64_text(b"sig"), "verifier": b64_text(KEY) }],
                },
            }),
        );
        let twice = |bytes: &[u8]| b64_text(b64_text(bytes).as_bytes());
        let intoto = entry(
            "intoto",
            "0.0.2",
            json!({
                "kind": "intoto", "apiVersion": "0.0.2",
                "spec": { "content": {
                    "payloadHash": { "algorithm": "sha256", "value": payload_hash },
                    "envelope": {
                        "payload": twice(b"{}"),
                        "payloadType": "application/vnd.in-toto+json",
                        "signatures": [{ "sig": twice(b"sig"), "publicKey": b64_text(KEY) }],
                    },
                } },
            }),
        );
        let verifier = json!({ "publicKey": { "rawBytes": b64_text(KEY) } });
        let dsse_v2 = entry(
            "dsse",
            "0.0.2",
            json!({
                "kind": "dsse", "apiVersion": "0.0.2",
                "spec": { "dsseV002": {
                    "payloadHash": { "algorithm": "SHA2_256", "digest": b64_text(&crate::digest::sha256(b"{}")) },
                    "signatures": [{ "content": b64_text(b"sig"), "verifier": verifier }],
                } },
            }),
        );
        let pae = crate::sign::dsse::pae("application/vnd.in-toto+json", b"{}");
        let hashedrekord_v2 = entry(
            "hashedrekord",
            "0.0.2",
            json!({
                "kind": "hashedrekord", "apiVersion": "0.0.2",
                "spec": { "hashedRekordV002": {
                    "data": { "algorithm": "SHA2_256", "digest": b64_text(&crate::digest::sha256(&pae)) },
                    "signature": { "content": b64_text(b"sig"), "verifier": verifier },
                } },
            }),
        );
        for entry in [&dsse_v1, &intoto, &dsse_v2, &hashedrekord_v2] {
            assert_eq!(outcome(entry, &envelope(b"sig")), "ok", "{}", entry.kind);
            assert_ne!(
                outcome(entry, &envelope(b"another")),
                "ok",
                "{}",
                entry.kind
            );
        }
        assert_eq!(
            outcome(&dsse_v2, &envelope(b"another")),
            "untrusted: the log entry records another signature"
        );
        assert_eq!(
            outcome(&hashedrekord_v2, &message(b"sig")),
            "untrusted: the log entry records another artifact"
        );
    }
}
