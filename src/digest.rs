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

use std::io::{Read, Write};
use std::path::Path;

use sha2::Digest as _;

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
/// the hex digest and the size.
pub fn hash_reader(
    reader: &mut impl Read,
    sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(String, u64)> {
    Ok(read_through(reader, sink)?.finish_hex())
}

/// The hex sha256 and size of a file, read in a stream.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    hash_reader(&mut std::fs::File::open(path)?, |_| Ok(()))
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
            assert_eq!(digest, (expected.to_string(), input.len() as u64));
            assert_eq!(seen, input, "the sink sees every byte once");
            let mut writer = HashingWriter::new(Vec::new());
            writer.write_all(input).unwrap();
            let (sha256, size, written) = writer.finish();
            assert_eq!((sha256.as_str(), size), (expected, input.len() as u64));
            assert_eq!(written, input);
        }
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
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(hash_file(&empty).unwrap(), (VECTORS[0].1.to_string(), 0));
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }
}
