//! The trusted root of a Sigstore instance (`trusted_root.json`, protobuf
//! `TrustedRoot` in its JSON form): the certificate authorities that issue
//! signing certificates, the transparency logs, the certificate
//! transparency logs and the timestamp authorities, each with the time
//! range in which it may be trusted.

use serde::Deserialize;

use super::proto::{Bytes, TimeRange};
use super::{SigstoreError, format_error};

/// A closed interval of seconds since the epoch (`TimeRange` in the
/// protobuf specs: both ends included; no end means still valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub start: i64,
    pub end: Option<i64>,
}

impl Validity {
    pub fn contains(&self, time: i64) -> bool {
        self.start <= time && self.end.is_none_or(|end| time <= end)
    }

    /// No range at all means always; a range without its start is a
    /// malformed root, never "unbounded".
    fn parse(range: Option<&TimeRange>, what: &str) -> Result<Self, SigstoreError> {
        let Some(range) = range else {
            return Ok(Self {
                start: i64::MIN,
                end: None,
            });
        };
        let time = |text: &str| {
            crate::time::parse(text)
                .ok_or_else(|| format_error(format!("{what}: {text:?} is not an RFC 3339 time")))
        };
        let start = match range.start.as_deref() {
            Some(start) => time(start)?,
            None => {
                return Err(format_error(format!(
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

fn logs(raw: Vec<RawLog>, what: &str) -> Result<Vec<LogKey>, SigstoreError> {
    raw.into_iter()
        .map(|log| {
            let spki = log
                .public_key
                .raw_bytes
                .ok_or_else(|| format_error(format!("a {what} of the trusted root has no key")))?
                .0;
            Ok(LogKey {
                validity: Validity::parse(
                    log.public_key.valid_for.as_ref(),
                    &format!("the {what} {}", super::b64_text(&log.log_id.key_id.0)),
                )?,
                key_id: log.log_id.key_id.0,
                spki,
            })
        })
        .collect()
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
                return Err(format_error(format!(
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

impl TrustedRoot {
    pub fn parse(text: &str) -> Result<Self, SigstoreError> {
        let raw: RawRoot = serde_json::from_str(text)
            .map_err(|e| format_error(format!("not a Sigstore trusted root: {e}")))?;
        if let Some(media_type) = &raw.media_type
            && !media_type.starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(format_error(format!(
                "not a Sigstore trusted root: media type {media_type}"
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
            return Err(format_error("the trusted root names no transparency log"));
        }
        Ok(root)
    }

    /// The transparency log with this id.
    pub fn tlog(&self, key_id: &[u8]) -> Option<&LogKey> {
        self.tlogs.iter().find(|log| log.key_id == key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_ends_are_inclusive_and_a_missing_start_is_refused() {
        let range = Validity {
            start: 10,
            end: Some(20),
        };
        assert!(range.contains(10) && range.contains(20));
        assert!(!range.contains(9) && !range.contains(21));
        let open = TimeRange {
            start: None,
            end: Some("2024-01-01T00:00:00Z".into()),
        };
        assert!(Validity::parse(Some(&open), "a log").is_err());
        assert_eq!(Validity::parse(None, "a log").unwrap().start, i64::MIN);
    }

    #[test]
    fn the_public_trusted_root_parses() {
        let text = include_str!("../../../tests/data/sigstore/trusted_root.json");
        let root = TrustedRoot::parse(text).unwrap();
        assert!(!root.certificate_authorities.is_empty());
        let id = super::super::b64_decode("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=").unwrap();
        assert!(root.tlog(&id).is_some());
    }
}
