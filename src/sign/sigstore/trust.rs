//! The trusted root of a Sigstore instance (`trusted_root.json`, protobuf
//! `TrustedRoot` in its JSON form): the certificate authorities that issue
//! signing certificates, the transparency logs, the certificate
//! transparency logs and the timestamp authorities, each with the time
//! range in which it may be trusted.

use serde::Deserialize;

use super::error::SigstoreError;
use super::proto::{Bytes, TimeRange};

fn root_error(message: impl Into<String>) -> SigstoreError {
    SigstoreError::TrustedRoot(message.into())
}

/// A closed interval of nanoseconds since the epoch (`TimeRange` in the
/// protobuf specs: both ends included; no end means still valid). The
/// trusted root's times may have fractions of a second, and a time half a
/// second before the start is outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub start: i128,
    pub end: Option<i128>,
}

const NANOS: i128 = 1_000_000_000;

/// Nanoseconds since the epoch of an RFC 3339 time, fractions included.
fn parse_nanos(text: &str) -> Option<i128> {
    let seconds = i128::from(crate::time::parse(text)?);
    let fraction = text
        .trim()
        .get(19..)
        .and_then(|rest| rest.strip_prefix('.'))
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let padded = format!("{:0<9}", &digits[..digits.len().min(9)]);
            padded.parse::<i128>().unwrap_or(0)
        })
        .unwrap_or(0);
    Some(seconds * NANOS + fraction)
}

impl Validity {
    /// Whether a time in whole seconds lies inside.
    pub fn contains(&self, seconds: i64) -> bool {
        self.contains_nanos(i128::from(seconds) * NANOS)
    }

    /// Whether a time in milliseconds (an SCT's) lies inside.
    pub fn contains_millis(&self, millis: i64) -> bool {
        self.contains_nanos(i128::from(millis) * 1_000_000)
    }

    fn contains_nanos(&self, time: i128) -> bool {
        self.start <= time && self.end.is_none_or(|end| time <= end)
    }

    /// No range at all means always; a range without its start is a
    /// malformed root, never "unbounded".
    fn parse(range: Option<&TimeRange>, what: &str) -> Result<Self, SigstoreError> {
        let Some(range) = range else {
            return Ok(Self {
                start: i128::MIN,
                end: None,
            });
        };
        let time = |text: &str| {
            parse_nanos(text)
                .ok_or_else(|| root_error(format!("{what}: {text:?} is not an RFC 3339 time")))
        };
        let start = match range.start.as_deref() {
            Some(start) => time(start)?,
            None => {
                return Err(root_error(format!(
                    "{what}: its validFor has no start (the trusted root is malformed)"
                )));
            }
        };
        let end = range.end.as_deref().map(time).transpose()?;
        Ok(Self { start, end })
    }
}

/// A key of a log (transparency or certificate transparency): its id, its
/// SubjectPublicKeyInfo and when it may be trusted.
#[derive(Debug, Clone)]
pub struct LogKey {
    pub key_id: Vec<u8>,
    pub spki: Vec<u8>,
    pub validity: Validity,
}

/// A certificate authority (Fulcio) or a timestamp authority: its chain,
/// leaf or issuing certificate first, root last.
#[derive(Debug, Clone)]
pub struct Authority {
    pub chain: Vec<Vec<u8>>,
    pub validity: Validity,
}

#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub certificate_authorities: Vec<Authority>,
    pub timestamp_authorities: Vec<Authority>,
    pub tlogs: Vec<LogKey>,
    pub ctlogs: Vec<LogKey>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default, alias = "certificate_authorities")]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default, alias = "timestamp_authorities")]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(alias = "public_key")]
    public_key: RawKey,
    #[serde(alias = "log_id")]
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    #[serde(default, alias = "raw_bytes")]
    raw_bytes: Option<Bytes>,
    #[serde(default, alias = "valid_for")]
    valid_for: Option<TimeRange>,
    #[serde(default, alias = "key_details")]
    key_details: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    #[serde(alias = "key_id")]
    key_id: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(alias = "cert_chain")]
    cert_chain: RawChain,
    #[serde(default, alias = "valid_for")]
    valid_for: Option<TimeRange>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCertificate {
    #[serde(alias = "raw_bytes")]
    raw_bytes: Bytes,
}

/// The keys of logs. A key that is not of the kind its `keyDetails` names
/// (or one chiron cannot use, such as a bare PKCS#1 RSA key) is left out,
/// as sigstore-python leaves out keys it cannot load: nothing it would
/// verify can then be trusted.
fn logs(raw: Vec<RawLog>, what: &str) -> Result<Vec<LogKey>, SigstoreError> {
    let mut keys = Vec::new();
    for log in raw {
        let id = super::proto::b64_text(&log.log_id.key_id.0);
        let spki = log
            .public_key
            .raw_bytes
            .ok_or_else(|| root_error(format!("the {what} {id} has no key")))?
            .0;
        if let Some(details) = &log.public_key.key_details
            && !super::keys::matches_details(&spki, details)
        {
            tracing::debug!("the {what} {id} is left out: its key is not a {details} key");
            continue;
        }
        keys.push(LogKey {
            validity: Validity::parse(
                log.public_key.valid_for.as_ref(),
                &format!("the {what} {id}"),
            )?,
            key_id: log.log_id.key_id.0,
            spki,
        });
    }
    Ok(keys)
}

fn authorities(raw: Vec<RawAuthority>, what: &str) -> Result<Vec<Authority>, SigstoreError> {
    raw.into_iter()
        .map(|authority| {
            let chain: Vec<Vec<u8>> = authority
                .cert_chain
                .certificates
                .into_iter()
                .map(|c| c.raw_bytes.0)
                .collect();
            if chain.is_empty() {
                return Err(root_error(format!(
                    "a {what} of the trusted root has no certificate"
                )));
            }
            Ok(Authority {
                chain,
                validity: Validity::parse(authority.valid_for.as_ref(), &format!("a {what}"))?,
            })
        })
        .collect()
}

const KNOWN_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

impl TrustedRoot {
    pub fn parse(text: &str) -> Result<Self, SigstoreError> {
        let raw: RawRoot = serde_json::from_str(text).map_err(|e| {
            root_error(format!(
                "not a Sigstore trusted root: {}",
                super::error::plain_serde_error(&e)
            ))
        })?;
        let media_type = raw.media_type.as_deref().unwrap_or_default();
        if !KNOWN_MEDIA_TYPES.contains(&media_type) {
            return Err(root_error(format!(
                "not a Sigstore trusted root this verifier knows: media type {media_type:?} (known: {})",
                KNOWN_MEDIA_TYPES.join(", ")
            )));
        }
        let root = Self {
            certificate_authorities: authorities(
                raw.certificate_authorities,
                "certificate authority",
            )?,
            timestamp_authorities: authorities(raw.timestamp_authorities, "timestamp authority")?,
            tlogs: logs(raw.tlogs, "transparency log")?,
            ctlogs: logs(raw.ctlogs, "certificate transparency log")?,
        };
        if root.tlogs.is_empty() {
            return Err(root_error("the trusted root names no transparency log"));
        }
        Ok(root)
    }

    /// The transparency logs with this id (a log may appear more than
    /// once, with other windows).
    pub fn tlogs_with<'a>(&'a self, key_id: &'a [u8]) -> impl Iterator<Item = &'a LogKey> + 'a {
        self.tlogs.iter().filter(move |log| log.key_id == key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_ends_are_inclusive_and_a_missing_start_is_refused() {
        let range = Validity {
            start: 10 * NANOS,
            end: Some(20 * NANOS),
        };
        assert!(range.contains(10) && range.contains(20));
        assert!(!range.contains(9) && !range.contains(21));
        let open = TimeRange {
            start: None,
            end: Some("2024-01-01T00:00:00Z".into()),
        };
        assert!(Validity::parse(Some(&open), "a log").is_err());
        assert_eq!(Validity::parse(None, "a log").unwrap().start, i128::MIN);
        // Fractions count: half a second before the start is outside.
        let half = TimeRange {
            start: Some("2025-06-12T12:02:20.5Z".into()),
            end: Some("2025-06-12T12:02:21.25+00:00".into()),
        };
        let half = Validity::parse(Some(&half), "a log").unwrap();
        let at = crate::time::parse("2025-06-12T12:02:20Z").unwrap();
        assert!(!half.contains(at) && half.contains(at + 1) && !half.contains(at + 2));
        assert!(half.contains_millis(at * 1000 + 500) && !half.contains_millis(at * 1000 + 499));
    }

    #[test]
    fn the_public_trusted_root_parses() {
        let text = include_str!("../../../tests/data/sigstore/trusted_root.json");
        let root = TrustedRoot::parse(text).unwrap();
        assert!(!root.certificate_authorities.is_empty());
        let id = super::super::proto::b64_decode("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=")
            .unwrap();
        assert_eq!(root.tlogs_with(&id).count(), 1);
    }
}
