//! The protobuf JSON mapping as Sigstore's documents use it: `bytes` are
//! base64 (standard or URL-safe, padding optional), 64-bit integers are
//! strings or numbers, and a field left out holds its zero value (proto3
//! omits zeros, so a missing `logIndex` is index 0).

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::{Deserialize, Deserializer};

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// Base64 as the protobuf JSON mapping accepts it: standard or URL-safe,
/// with or without padding; line breaks (as `base64` writes them) are
/// skipped, as Go's and Python's decoders skip them.
pub(super) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | ' '))
        .collect();
    STANDARD_LENIENT
        .decode(&text)
        .or_else(|_| URL_SAFE_LENIENT.decode(&text))
        .ok()
}

pub(super) fn b64_text(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A `bytes` field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        b64_decode(&text)
            .map(Bytes)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not base64")))
    }
}

/// An `int64` / `uint64` field: a JSON string or number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Int64(pub i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(i64),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Int64(n)),
            Raw::Text(text) => text
                .trim()
                .parse()
                .map(Int64)
                .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an integer"))),
        }
    }
}

/// `TimeRange`: RFC 3339 times.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TimeRange {
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_integers_follow_the_json_mapping() {
        let bytes: Bytes = serde_json::from_str("\"aGk=\"").unwrap();
        assert_eq!(bytes.0, b"hi");
        let unpadded: Bytes = serde_json::from_str("\"aGk\"").unwrap();
        assert_eq!(unpadded.0, b"hi");
        let url_safe: Bytes = serde_json::from_str("\"-_8=\"").unwrap();
        assert_eq!(url_safe.0, [0xfb, 0xff]);
        assert!(serde_json::from_str::<Bytes>("\"!!\"").is_err());
        assert_eq!(serde_json::from_str::<Int64>("\"-7\"").unwrap().0, -7);
        assert_eq!(serde_json::from_str::<Int64>("42").unwrap().0, 42);
        assert!(serde_json::from_str::<Int64>("\"4x\"").is_err());
    }
}
