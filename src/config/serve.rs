//! `[serve]`: what `chiron serve` and its static export say of the files
//! they serve beyond what the files themselves say, and the tokens that may
//! upload to it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeConfig {
    /// Files served as yanked (PEP 592): a file name, or `NAME==VERSION`
    /// for every file of a release, to the reason (may be empty). Added to
    /// what a wheelhouse's manifest records.
    pub yanked: BTreeMap<String, String>,
    /// Who may upload with `chiron serve --allow-upload`: a name (shown in
    /// the access log) to the sha256 of its token, `"sha256:<64 hex>"`, as
    /// `chiron serve --new-token NAME` prints it. The token itself is never
    /// stored.
    #[serde(deserialize_with = "named_hashes")]
    pub tokens: BTreeMap<String, TokenHash>,
}

/// `[serve.tokens]`, each refusal naming its key.
fn named_hashes<'de, D: serde::Deserializer<'de>>(
    from: D,
) -> Result<BTreeMap<String, TokenHash>, D::Error> {
    let texts = BTreeMap::<String, String>::deserialize(from)?;
    texts
        .into_iter()
        .map(|(name, text)| match text.parse() {
            Ok(hash) => Ok((name, hash)),
            Err(message) => Err(serde::de::Error::custom(format!(
                "[serve.tokens] {name}: {message}"
            ))),
        })
        .collect()
}

/// The sha256 of an upload token's bytes, as `[serve] tokens` holds it.
///
/// Unsalted on purpose: a token is 32 random bytes from the OS, so no
/// dictionary or rainbow table reaches it, and a slow or salted hash
/// would buy nothing but a slower comparison per request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

/// What a [`TokenHash`] looks like, for the messages that refuse one.
const TOKEN_HASH_SHAPE: &str =
    "\"sha256:\" and 64 lowercase hex digits, as `chiron serve --new-token NAME` prints it";

impl FromStr for TokenHash {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let hex = text
            .strip_prefix("sha256:")
            .filter(|hex| {
                hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
            .ok_or_else(|| format!("an upload token's hash is {TOKEN_HASH_SHAPE}"))?;
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for TokenHash {
    fn serialize<S: serde::Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
        to.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TokenHash {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(from)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for TokenHash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TokenHash".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "description": "The sha256 of an upload token, as `chiron serve --new-token NAME` prints it."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hashes_are_sha256_and_64_lowercase_hex_digits() {
        let text = format!("sha256:{}", "0a".repeat(32));
        let hash: TokenHash = text.parse().unwrap();
        assert_eq!(hash.0, [10u8; 32]);
        assert_eq!(hash.to_string(), text);
        for bad in [
            "0a".repeat(32),
            format!("sha256:{}", "0A".repeat(32)),
            format!("sha256:{}", "0a".repeat(31)),
            format!("sha512:{}", "0a".repeat(32)),
            format!("sha256:{}g", "0a".repeat(31)),
        ] {
            let error = bad.parse::<TokenHash>().unwrap_err();
            assert!(error.contains("--new-token"), "{bad}: {error}");
        }
    }
}
