//! Why a Sigstore bundle is not accepted, and the words for it. At the
//! bottom of `sigstore`: every step of the verification reports through it.

/// Why a bundle is not accepted. `Format` and `TrustedRoot` are inputs
/// chiron cannot read (exit 2); `Untrusted` is a verdict (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum SigstoreError {
    #[error("{0}")]
    Format(String),
    #[error("the trusted root: {0}")]
    TrustedRoot(String),
    #[error("{0}")]
    Untrusted(String),
}

impl SigstoreError {
    pub fn hint(&self) -> String {
        match self {
            SigstoreError::Format(_) => "pass the .sigstore.json bundle cosign or sigstore wrote (`--bundle`)".into(),
            SigstoreError::TrustedRoot(_) => "pass the trusted_root.json of the Sigstore instance that signed (as `sigstore` or `cosign` ship it)".into(),
            SigstoreError::Untrusted(_) => "the artifact, its signer or its log entry is not what was expected: do not use it".into(),
        }
    }

    /// Whether the input could not be read at all (exit 2), rather than
    /// read and found untrustworthy (exit 1).
    pub fn is_unreadable(&self) -> bool {
        !matches!(self, SigstoreError::Untrusted(_))
    }
}

impl crate::diagnose::Diagnose for SigstoreError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        if self.is_unreadable() {
            ExitClass::Usage
        } else {
            ExitClass::Problems
        }
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint())
    }
}

/// A serde error without the names of chiron's internal types
/// ("invalid type: sequence, expected struct RawBundle" says "an object").
pub(super) fn plain_serde_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let next = |at: usize| words.get(at).copied().unwrap_or_default();
        if words[i] == "struct" && next(i + 1).starts_with("Raw") {
            out.push("an object");
            i += 2;
            if next(i) == "with" && next(i + 2).starts_with("element") {
                i += 3;
            }
        } else if words[i] == "untagged" && next(i + 1) == "enum" && next(i + 2).starts_with("Raw")
        {
            out.push("a string or a number");
            i += 3;
        } else {
            out.push(words[i]);
            i += 1;
        }
    }
    out.join(" ")
}

pub(super) fn format_error(message: impl Into<String>) -> SigstoreError {
    SigstoreError::Format(message.into())
}

pub(super) fn untrusted(message: impl Into<String>) -> SigstoreError {
    SigstoreError::Untrusted(message.into())
}
