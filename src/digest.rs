//! SHA-256, the one hash chiron pins, verifies and names content by: of
//! bytes, of a stream as it passes, of a reader or a file, and its
//! lowercase hex form.
//!
//! Owns computing digests and spelling them. It must not decide what a
//! digest means (comparing with a published or recorded hash, and the
//! error that says so, belong to the caller), nor fetch or write anything:
//! the only I/O here is reading the reader or file it is handed. Other
//! algorithms (SHA-384/512 named in Sigstore material) stay with the code
//! that reads them.

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use sha2::Digest as _;

/// A SHA-256 digest, parsed once from its 64 lowercase hex digits and
/// spelled the same way (`Display`, serde).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256([u8; 32]);

/// Why text is not a SHA-256 in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Sha256Error {
    #[error("{text:?} is not a sha256: it has {length} characters, not 64 hex digits")]
    Length { text: String, length: usize },
    #[error("{text:?} is not a sha256: {found:?} is not a lowercase hex digit")]
    Digit { text: String, found: char },
}

impl Sha256 {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(sha256(bytes))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads hex digits in either case, as pip and uv accept them in
    /// hashes they did not write; the digest is spelled lowercase after.
    pub fn parse_any_case(text: &str) -> Result<Self, Sha256Error> {
        text.to_ascii_lowercase()
            .parse()
            .map_err(|error| match error {
                Sha256Error::Length { length, .. } => Sha256Error::Length {
                    text: text.to_string(),
                    length,
                },
                Sha256Error::Digit { found, .. } => Sha256Error::Digit {
                    text: text.to_string(),
                    found,
                },
            })
    }
}

impl FromStr for Sha256 {
    type Err = Sha256Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(found) = text.chars().find(|c| !matches!(c, '0'..='9' | 'a'..='f')) {
            return Err(Sha256Error::Digit {
                text: text.to_string(),
                found,
            });
        }
        let mut bytes = [0u8; 32];
        if text.len() != 2 * bytes.len() {
            return Err(Sha256Error::Length {
                text: text.to_string(),
                length: text.len(),
            });
        }
        // Every byte is an ASCII hex digit, checked above.
        let value = |digit: u8| match digit {
            b'a'..=b'f' => digit - b'a' + 10,
            _ => digit - b'0',
        };
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            *byte = (value(pair[0]) << 4) | value(pair[1]);
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Lowercase hex of a digest (or of any bytes).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

/// The SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

/// A SHA-256 fed piece by piece, counting the bytes it was given.
#[derive(Debug, Clone, Default)]
pub struct Sha256Hasher {
    state: sha2::Sha256,
    size: u64,
}

impl Sha256Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.state.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// How many bytes were hashed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> [u8; 32] {
        self.state.finalize().into()
    }

    /// The digest with the number of bytes hashed.
    pub fn finish_digest(self) -> (Sha256, u64) {
        let size = self.size;
        (Sha256(self.finish()), size)
    }

    /// The digest in lowercase hex, with the number of bytes hashed.
    pub fn finish_hex(self) -> (String, u64) {
        let size = self.size;
        (hex(&self.finish()), size)
    }
}

/// A writer that hashes and counts what it writes through to `inner`.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256Hasher,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256Hasher::new(),
        }
    }

    /// The hex digest and size of everything written, and the writer
    /// (not flushed: that is the caller's to do, or to leave to its drop).
    pub fn finish(self) -> (String, u64, W) {
        let (sha256, size) = self.hasher.finish_hex();
        (sha256, size, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads `reader` to the end, hashing every byte and handing it to `sink`;
/// the digest and the size.
pub fn hash_reader(
    reader: &mut impl Read,
    sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(Sha256, u64)> {
    Ok(read_through(reader, sink)?.finish_digest())
}

/// The hex sha256 and size of a file, read in a stream.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let (sha256, size) = digest_file(path)?;
    Ok((sha256.to_string(), size))
}

/// The sha256 and size of a file, read in a stream.
pub fn digest_file(path: &Path) -> std::io::Result<(Sha256, u64)> {
    Ok(read_through(&mut std::fs::File::open(path)?, |_| Ok(()))?.finish_digest())
}

/// The SHA-256 of a file, read in a stream: a large file is never held in
/// memory.
pub fn sha256_file(path: &Path) -> std::io::Result<[u8; 32]> {
    Ok(read_through(&mut std::fs::File::open(path)?, |_| Ok(()))?.finish())
}

fn read_through(
    reader: &mut impl Read,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<Sha256Hasher> {
    let mut hasher = Sha256Hasher::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            return Ok(hasher);
        }
        hasher.update(&buffer[..read]);
        sink(&buffer[..read])?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS 180-2 and NIST example vectors.
    const VECTORS: [(&[u8], &str); 3] = [
        (
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
    ];

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn known_vectors_in_every_form() {
        for (input, expected) in VECTORS {
            assert_eq!(sha256_hex(input), expected);
            assert_eq!(hex(&sha256(input)), expected);
            let mut hasher = Sha256Hasher::new();
            for piece in input.chunks(7) {
                hasher.update(piece);
            }
            assert_eq!(
                hasher.finish_hex(),
                (expected.to_string(), input.len() as u64)
            );
            let mut seen = Vec::new();
            let digest = hash_reader(&mut &input[..], |chunk| {
                seen.extend_from_slice(chunk);
                Ok(())
            })
            .unwrap();
            assert_eq!(digest, (Sha256::of(input), input.len() as u64));
            assert_eq!(seen, input, "the sink sees every byte once");
            let mut writer = HashingWriter::new(Vec::new());
            writer.write_all(input).unwrap();
            let (sha256, size, written) = writer.finish();
            assert_eq!((sha256.as_str(), size), (expected, input.len() as u64));
            assert_eq!(written, input);
        }
    }

    #[test]
    fn a_sha256_parses_from_64_lowercase_hex_digits_and_spells_them_back() {
        for (input, expected) in VECTORS {
            let digest: Sha256 = expected.parse().unwrap();
            assert_eq!(digest, Sha256::of(input));
            assert_eq!(digest.to_string(), expected);
            assert_eq!(digest.as_bytes(), &sha256(input));
            assert_eq!(Sha256::from_bytes(sha256(input)), digest);
        }
        let good = VECTORS[1].1;
        let cases: [(String, &str); 6] = [
            (String::new(), "it has 0 characters"),
            ("ab".into(), "it has 2 characters"),
            (format!("{good}0"), "it has 65 characters"),
            (good.to_uppercase(), "'B' is not a lowercase hex digit"),
            (
                format!("{}g", &good[..63]),
                "'g' is not a lowercase hex digit",
            ),
            (
                format!("{}\u{e9}", &good[..63]),
                "'\u{e9}' is not a lowercase hex digit",
            ),
        ];
        for (text, expected) in cases {
            let error = text.parse::<Sha256>().unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
        // Multi-byte text of 64 bytes is not 64 digits.
        let wide = format!("{}\u{e9}", &good[..62]);
        assert_eq!(wide.len(), 64);
        assert!(matches!(
            wide.parse::<Sha256>(),
            Err(Sha256Error::Digit {
                found: '\u{e9}',
                ..
            })
        ));
    }

    #[test]
    fn foreign_hashes_are_read_in_either_case() {
        let good = VECTORS[1].1;
        let digest = Sha256::parse_any_case(&good.to_uppercase()).unwrap();
        assert_eq!(digest.to_string(), good);
        let error = Sha256::parse_any_case("AA").unwrap_err().to_string();
        assert!(error.starts_with("\"AA\" is not a sha256"), "{error}");
    }

    #[test]
    fn a_sha256_is_the_same_string_in_json() {
        let digest = Sha256::of(b"abc");
        let text = serde_json::to_string(&digest).unwrap();
        assert_eq!(text, format!("\"{}\"", VECTORS[1].1));
        assert_eq!(serde_json::from_str::<Sha256>(&text).unwrap(), digest);
        let error = serde_json::from_str::<Sha256>("\"aa\"").unwrap_err();
        assert!(error.to_string().contains("not a sha256"), "{error}");
        assert!(serde_json::from_str::<Sha256>("12").is_err());
    }

    #[test]
    fn files_are_hashed_past_one_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        // Longer than the 64 KiB read buffer, so it takes several reads.
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            hash_file(&path).unwrap(),
            (sha256_hex(&bytes), bytes.len() as u64)
        );
        assert_eq!(sha256_file(&path).unwrap(), sha256(&bytes));
        assert_eq!(
            digest_file(&path).unwrap(),
            (Sha256::of(&bytes), bytes.len() as u64)
        );
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(hash_file(&empty).unwrap(), (VECTORS[0].1.to_string(), 0));
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }
}
