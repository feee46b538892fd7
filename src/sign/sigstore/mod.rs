//! Offline verification of Sigstore bundles (keyless signatures from CI,
//! or signatures with a managed key) against a trusted root given on the
//! command line, as the Sigstore client specification and its conformance
//! suite require:
//!
//! 1. the bundle is well formed (`bundle`): a known media type (0.1 to
//!    0.3), one log entry, a promise or a proof with a checkpoint as its
//!    version demands;
//! 2. the log entry comes from a log of the trusted root, and what the log
//!    signed is checked (`log`): the signed entry timestamp, the RFC 6962
//!    inclusion proof and its checkpoint (a signed note);
//! 3. the time of signing comes only from an authenticated source: the
//!    integrated time the log's signed entry timestamp covers, or RFC 3161
//!    timestamps of a timestamp authority of the trusted root (`tsa`);
//!    every such time must fall inside the log key's validity;
//! 4. for a certificate, at every such time: the certificate chains to a
//!    certificate authority of the trusted root valid then, for code
//!    signing, with a certificate transparency timestamp from a known CT
//!    log (`x509`); its identity and OIDC issuer are the expected ones;
//!    for a managed key, the key given by the verifier is the one used;
//! 5. the signature verifies over the artifact (or the DSSE envelope whose
//!    in-toto statement names the artifact's sha256), and the logged body
//!    records exactly this artifact, signature and signer.
//!
//! Written here because the `sigstore` crate's verifier sits behind its
//! `verify` feature, which also builds its Fulcio, Rekor and TUF clients;
//! the suite in `../shared/conformance/sigstore` is run by the tests.

mod bundle;
mod error;
mod keys;
mod log;
mod proto;
mod trust;
mod tsa;
mod x509;

use serde_json::Value;
use sha2::Digest;

pub use bundle::Bundle;
pub use error::SigstoreError;
pub use log::inclusion_holds;
pub use trust::TrustedRoot;

use bundle::{Content, Material};
use error::{format_error, untrusted};

/// What the verifier expects of the signer.
pub enum Expected<'a> {
    /// A certificate for this identity (exact), issued on this OIDC
    /// issuer's word (exact).
    Identity { identity: &'a str, issuer: &'a str },
    /// A managed key: its SubjectPublicKeyInfo DER.
    Key(&'a [u8]),
}

/// Where the time of signing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// The integrated time of the log's signed entry timestamp.
    TransparencyLog,
    /// An RFC 3161 timestamp of a timestamp authority of the trusted root.
    TimestampAuthority,
}

/// Who signed, and when, as verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    /// The certificate's identity; `None` for a managed key.
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// The sha256 of the managed key's SubjectPublicKeyInfo.
    pub key_sha256: Option<String>,
    /// The earliest verified time of signing, and its sources.
    pub signed_at: Option<i64>,
    pub time_sources: Vec<TimeSource>,
    pub log_index: i64,
}

/// The signer's key, and what the log must have recorded for it.
struct SigningKey<'a> {
    spki: Vec<u8>,
    logged: log::LoggedSigner<'a>,
    certificate: Option<(&'a [u8], x509::Leaf)>,
}

fn signing_key<'a>(
    material: &'a Material,
    expected: &Expected<'a>,
) -> Result<SigningKey<'a>, SigstoreError> {
    match (material, expected) {
        (Material::Certificate(leaf), Expected::Identity { .. }) => {
            let info = x509::leaf(leaf)?;
            Ok(SigningKey {
                spki: info.spki.clone(),
                logged: log::LoggedSigner::Certificate(leaf),
                certificate: Some((leaf, info)),
            })
        }
        (Material::PublicKey { .. }, Expected::Key(spki)) => Ok(SigningKey {
            spki: spki.to_vec(),
            logged: log::LoggedSigner::Key(spki),
            certificate: None,
        }),
        (Material::PublicKey { hint }, Expected::Identity { .. }) => Err(format_error(format!(
            "the bundle was signed with a managed key{}, not a certificate: verify it with --key",
            if hint.is_empty() {
                String::new()
            } else {
                format!(" ({hint})")
            }
        ))),
        (Material::Certificate(_), Expected::Key(_)) => Err(untrusted(
            "the bundle was signed with a certificate, not with the given key: verify it with --certificate-identity and --certificate-oidc-issuer",
        )),
    }
}

/// The digest the bundle claims, and the subject of an attestation, must
/// be the artifact's (the claimed digest is a hint, but a wrong one means
/// the wrong file was given).
fn check_about_artifact(content: &Content, artifact: &[u8]) -> Result<(), SigstoreError> {
    let digest = crate::digest::sha256(artifact).to_vec();
    match content {
        Content::Message {
            digest: Some((algorithm, claimed)),
            ..
        } => {
            let computed = match algorithm.as_str() {
                "SHA2_256" | "" => digest,
                "SHA2_384" => sha2::Sha384::digest(artifact).to_vec(),
                "SHA2_512" => sha2::Sha512::digest(artifact).to_vec(),
                other => {
                    return Err(format_error(format!(
                        "the bundle's message digest uses an unknown algorithm {other}"
                    )));
                }
            };
            if *claimed != computed {
                return Err(untrusted(format!(
                    "the bundle is for another artifact (its {} message digest is not the file's)",
                    if algorithm.is_empty() {
                        "SHA2_256"
                    } else {
                        algorithm
                    }
                )));
            }
        }
        Content::Message { digest: None, .. } => {}
        Content::Dsse { payload, .. } => {
            let statement: Value = serde_json::from_slice(payload).map_err(|e| {
                format_error(format!("the DSSE payload is not an in-toto statement: {e}"))
            })?;
            let hex = crate::digest::hex(&digest);
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
        }
    }
    Ok(())
}

/// Sigstore clients accept at most this many timestamps (sigstore-go's
/// bound, against a bundle that makes the verifier work without end).
const MAX_TIMESTAMPS: usize = 32;

/// The log's checks with one of its keys: the promise, the inclusion
/// proof and checkpoint, and the key's validity at every time of signing
/// (the promised one first, then the timestamps').
fn check_log(
    entry: &bundle::Entry,
    log_key: &trust::LogKey,
    stamped: &[(i64, TimeSource)],
) -> Result<Vec<(i64, TimeSource)>, SigstoreError> {
    let promised = log::verify_promise(entry, log_key)?;
    log::verify_inclusion(entry, log_key)?;
    let times: Vec<(i64, TimeSource)> = promised
        .map(|t| (t, TimeSource::TransparencyLog))
        .into_iter()
        .chain(stamped.iter().copied())
        .collect();
    for (time, _) in &times {
        if !log_key.validity.contains(*time) {
            return Err(untrusted(format!(
                "the log's key is not trusted at the time of signing ({})",
                crate::time::rfc3339(*time)
            )));
        }
    }
    Ok(times)
}

/// The RFC 3161 times of signing, and why the last timestamp that did not
/// count did not.
struct SigningTimes {
    times: Vec<(i64, TimeSource)>,
    why_not: Option<String>,
}

/// The time of every RFC 3161 timestamp that verifies.
fn signing_times(bundle: &Bundle, root: &TrustedRoot) -> Result<SigningTimes, SigstoreError> {
    let mut times: Vec<(i64, TimeSource)> = Vec::new();
    let mut why = None;
    if bundle.timestamps.is_empty() {
        return Ok(SigningTimes {
            times,
            why_not: why,
        });
    }
    if root.timestamp_authorities.is_empty() {
        return Err(untrusted(
            "the bundle has signed timestamps but the trusted root names no timestamp authority",
        ));
    }
    if bundle.timestamps.len() > MAX_TIMESTAMPS {
        return Err(format_error(format!(
            "the bundle has {} signed timestamps; at most {MAX_TIMESTAMPS} are accepted",
            bundle.timestamps.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for response in &bundle.timestamps {
        if !seen.insert(response.as_slice()) {
            return Err(format_error(
                "the bundle has the same signed timestamp twice",
            ));
        }
        match tsa::verify(
            response,
            bundle.content.signature(),
            &root.timestamp_authorities,
        ) {
            Ok(time) => times.push((time, TimeSource::TimestampAuthority)),
            Err(e) => why = Some(e),
        }
    }
    Ok(SigningTimes {
        times,
        why_not: why,
    })
}

/// The certificate at every verified time: chained to a certificate
/// authority of the trusted root valid then, logged by a known CT log, and
/// of the expected identity and issuer.
fn check_certificate(
    leaf: &[u8],
    info: &x509::Leaf,
    root: &TrustedRoot,
    times: &[(i64, TimeSource)],
    expected: &Expected,
) -> Result<(), SigstoreError> {
    for (time, source) in times {
        let authority = x509::chain_at(
            leaf,
            &root.certificate_authorities,
            *time,
            x509::CODE_SIGNING,
            false,
        )
        .map_err(|e| {
            untrusted(format!(
                "the signing certificate does not chain to the trusted root at the time of signing, {} from the {} ({e})",
                crate::time::rfc3339(*time),
                match source {
                    TimeSource::TransparencyLog => "log",
                    TimeSource::TimestampAuthority => "timestamp authority",
                }
            ))
        })?;
        x509::verify_sct(leaf, &authority.chain, &root.ctlogs)?;
    }
    if let Expected::Identity { identity, issuer } = expected {
        if info.identity != *identity {
            return Err(untrusted(format!(
                "signed by {:?}, not {identity:?}",
                info.identity
            )));
        }
        if info.issuer != *issuer {
            return Err(untrusted(format!(
                "the identity was issued by {:?}, not {issuer:?}",
                info.issuer
            )));
        }
    }
    Ok(())
}

fn check_signature(content: &Content, artifact: &[u8], spki: &[u8]) -> Result<(), SigstoreError> {
    let verified = match content {
        Content::Message { digest, signature } => {
            let hash = match digest.as_ref().map(|(a, _)| a.as_str()) {
                Some("SHA2_384") => keys::Hash::Sha384,
                Some("SHA2_512") => keys::Hash::Sha512,
                Some("SHA2_256") => keys::Hash::Sha256,
                _ => keys::Hash::Natural,
            };
            keys::verify(spki, artifact, signature, hash)
        }
        Content::Dsse {
            payload_type,
            payload,
            signatures,
        } => signatures.iter().all(|signature| {
            keys::verify(
                spki,
                &crate::sign::dsse::pae(payload_type, payload),
                signature,
                keys::Hash::Natural,
            )
        }),
    };
    if verified {
        Ok(())
    } else {
        Err(untrusted(match content {
            Content::Message { .. } => {
                "the signature does not verify over the artifact with the signer's key"
            }
            Content::Dsse { .. } => {
                "the DSSE envelope's signature does not verify with the signer's key"
            }
        }))
    }
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
    let bundle = Bundle::parse(bundle_text)?;
    let key = signing_key(&bundle.material, expected)?;
    check_about_artifact(&bundle.content, artifact)?;
    let entry = &bundle.entry;
    // The timestamps do not depend on the log; then the log's own checks,
    // with each of the trusted root's entries for that log in turn (a log
    // may be listed again with another window).
    let SigningTimes {
        times: stamped,
        why_not,
    } = signing_times(&bundle, root)?;
    let mut outcome = Err(untrusted(
        "the log entry comes from a log the trusted root does not name",
    ));
    for log_key in root.tlogs_with(&entry.log_id) {
        outcome = check_log(entry, log_key, &stamped);
        if outcome.is_ok() {
            break;
        }
    }
    let times = outcome?;
    if times.is_empty() && key.certificate.is_some() {
        return Err(untrusted(match why_not {
            Some(why) => format!("no trusted time of signing: {why}"),
            None => "no trusted time of signing: the log entry has no signed entry timestamp and the bundle no timestamp".into(),
        }));
    }
    if let Some((leaf, info)) = &key.certificate {
        check_certificate(leaf, info, root, &times, expected)?;
    }
    check_signature(&bundle.content, artifact, &key.spki)?;
    log::check_body(entry, &bundle.content, artifact, &key.logged)?;
    let mut sources: Vec<TimeSource> = times.iter().map(|(_, s)| *s).collect();
    sources.dedup();
    Ok(Signer {
        identity: key.certificate.as_ref().map(|(_, i)| i.identity.clone()),
        issuer: key.certificate.as_ref().map(|(_, i)| i.issuer.clone()),
        key_sha256: match expected {
            Expected::Key(spki) => Some(crate::digest::sha256_hex(spki)),
            Expected::Identity { .. } => None,
        },
        signed_at: times.iter().map(|(t, _)| *t).min(),
        time_sources: sources,
        log_index: entry.log_index,
    })
}
