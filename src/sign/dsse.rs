//! DSSE envelopes (the in-toto signature wrapper): the signature covers the
//! pre-authentication encoding `DSSEv1 <len> <type> <len> <body>`, so the
//! payload type cannot be swapped.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::{KeyPair, PublicKey, SignError};

pub const IN_TOTO: &str = "application/vnd.in-toto+json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload_type: String,
    /// Base64 of the payload.
    pub payload: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default)]
    pub keyid: String,
    pub sig: String,
}

/// The bytes a DSSE signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// An envelope of `payload`, signed with `key` when given.
    pub fn new(
        payload_type: &str,
        payload: &[u8],
        key: Option<&KeyPair>,
    ) -> Result<Self, SignError> {
        let signatures = match key {
            Some(key) => vec![Signature {
                keyid: String::new(),
                sig: STANDARD.encode(key.sign(&pae(payload_type, payload))?),
            }],
            None => Vec::new(),
        };
        Ok(Self {
            payload_type: payload_type.to_string(),
            payload: STANDARD.encode(payload),
            signatures,
        })
    }

    pub fn payload(&self) -> Option<Vec<u8>> {
        STANDARD.decode(&self.payload).ok()
    }

    /// Whether some signature verifies with `key`.
    pub fn verify(&self, key: &PublicKey, subject: &str) -> Result<(), SignError> {
        let payload = self
            .payload()
            .ok_or_else(|| SignError::NotASignature(subject.to_string()))?;
        let message = pae(&self.payload_type, &payload);
        let mut last = SignError::BadSignature(subject.to_string());
        for signature in &self.signatures {
            let Ok(der) = STANDARD.decode(&signature.sig) else {
                continue;
            };
            match key.verify(&message, &der, subject) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_specification() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn envelopes_verify_and_refuse_a_swapped_type() {
        let key = KeyPair::generate().unwrap();
        let public = PublicKey::from_pem(&key.public_pem(), "pub").unwrap();
        let envelope = Envelope::new(IN_TOTO, b"{}", Some(&key)).unwrap();
        envelope.verify(&public, "e").unwrap();
        let mut swapped = envelope.clone();
        swapped.payload_type = "text/plain".into();
        assert!(swapped.verify(&public, "e").is_err());
        let unsigned = Envelope::new(IN_TOTO, b"{}", None).unwrap();
        assert!(unsigned.verify(&public, "e").is_err());
    }
}
