//! A wheel's `METADATA` read with HTTP range requests, without downloading
//! the wheel: the end of the file for the zip's central directory, then the
//! one entry. The zip parsing is pure and takes bytes.
//!
//! Owns the range requests and the little of the zip format they need. It
//! must not verify or keep what it reads (it only guides the resolver; the
//! file installed is verified when downloaded), and it gives up, rather
//! than fails, on archives it does not handle (ZIP64, unusual compression)
//! or servers that ignore ranges: the caller then downloads the wheel.

use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

use super::error::IndexError;
use super::http::Transport;

/// The largest body of one HTTP range request (a zip's directory, or its
/// METADATA entry).
const MAX_RANGE_BYTES: u64 = 16 * 1024 * 1024;

/// How much of the end of a wheel is asked for first: enough for the
/// directory of most wheels, so one more request reads the entry.
const TAIL: u64 = 64 * 1024;

/// The largest METADATA inflated.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

/// Range reads, given up on for good once a server shows it ignores them.
#[derive(Debug, Default)]
pub(super) struct RangeReader {
    /// Set once a server answered a range request with the whole file:
    /// later metadata is read from downloads instead.
    ranges_ignored: AtomicBool,
}

impl RangeReader {
    /// The METADATA of the wheel at `url`, or `None` when it cannot be read
    /// this way.
    pub(super) async fn wheel_metadata(
        &self,
        transport: &Transport,
        url: &str,
    ) -> Result<Option<String>, IndexError> {
        if !url.starts_with("http") || self.ranges_ignored.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let Some((tail_start, total, tail)) = self
            .get_range(transport, url, &format!("bytes=-{TAIL}"))
            .await?
        else {
            return Ok(None);
        };
        let Some(directory) = zip_directory(&tail) else {
            return Ok(None);
        };
        if directory.size == 0 || directory.size > MAX_RANGE_BYTES {
            return Ok(None);
        }
        let directory_bytes = if directory.offset >= tail_start {
            let from = usize::try_from(directory.offset - tail_start).unwrap_or(usize::MAX);
            match tail.get(from..) {
                Some(bytes) => bytes.to_vec(),
                None => return Ok(None),
            }
        } else {
            let end = directory.offset + directory.size - 1;
            match self
                .get_range(transport, url, &format!("bytes={}-{end}", directory.offset))
                .await?
            {
                Some((_, _, bytes)) => bytes,
                None => return Ok(None),
            }
        };
        let Some(entry) = find_metadata_entry(&directory_bytes) else {
            return Ok(None);
        };
        if entry.compressed_size > MAX_RANGE_BYTES / 2 || total == 0 {
            return Ok(None);
        }
        let end = local_entry_end(&entry, total);
        let Some((_, _, local)) = self
            .get_range(
                transport,
                url,
                &format!("bytes={}-{end}", entry.header_offset),
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(inflate_local_entry(&local, &entry))
    }

    /// One ranged GET: `(first byte, total size, bytes)`, or `None` when the
    /// server answers with the whole file instead.
    async fn get_range(
        &self,
        transport: &Transport,
        url: &str,
        range: &str,
    ) -> Result<Option<(u64, u64, Vec<u8>)>, IndexError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::RANGE,
            range.parse().map_err(|_| IndexError::BadRange {
                range: range.to_string(),
            })?,
        );
        let headers = &headers;
        transport
            .with_retries(|| async move {
                let response = transport.send_once(url, headers).await?;
                if response.status() != StatusCode::PARTIAL_CONTENT {
                    // Dropped unread (the connection is closed); do not ask again.
                    self.ranges_ignored.store(true, Ordering::Relaxed);
                    return Ok(None);
                }
                let Some((start, total)) = response
                    .headers()
                    .get(header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range)
                else {
                    return Ok(None);
                };
                let bytes = transport
                    .read_body(response, url, MAX_RANGE_BYTES, "range response")
                    .await?;
                Ok(Some((start, total, bytes)))
            })
            .await
    }
}

/// `bytes START-END/TOTAL` to `(START, TOTAL)`.
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()?))
}

/// Where a zip's central directory is, from the end-of-directory record.
#[derive(Debug, PartialEq)]
struct ZipDirectory {
    offset: u64,
    size: u64,
}

fn le16(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le32(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        bytes.get(at..at + 4)?.try_into().ok()?,
    )))
}

/// Finds the end-of-central-directory record in the last bytes of a zip.
/// `None` for ZIP64 archives.
fn zip_directory(tail: &[u8]) -> Option<ZipDirectory> {
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let size = le32(tail, at + 12)?;
    let offset = le32(tail, at + 16)?;
    if size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        return None;
    }
    Some(ZipDirectory { offset, size })
}

/// A central-directory entry, as far as reading its data needs.
#[derive(Debug, PartialEq)]
struct ZipEntry {
    header_offset: u64,
    compressed_size: u64,
    uncompressed_size: u64,
    method: u64,
    name_len: u64,
}

/// The central-directory entry of `*.dist-info/METADATA` at the top level.
fn find_metadata_entry(directory: &[u8]) -> Option<ZipEntry> {
    let mut at = 0;
    while directory.get(at..at + 4)? == b"PK\x01\x02" {
        let name_len = le16(directory, at + 28)?;
        let extra_len = le16(directory, at + 30)?;
        let comment_len = le16(directory, at + 32)?;
        let name_start = at + 46;
        let name = directory.get(name_start..name_start + usize::try_from(name_len).ok()?)?;
        let name = std::str::from_utf8(name).ok()?;
        if name.ends_with(".dist-info/METADATA") && name.matches('/').count() == 1 {
            return Some(ZipEntry {
                method: le16(directory, at + 10)?,
                compressed_size: le32(directory, at + 20)?,
                uncompressed_size: le32(directory, at + 24)?,
                name_len,
                header_offset: le32(directory, at + 42)?,
            });
        }
        at = name_start + usize::try_from(name_len + extra_len + comment_len).ok()?;
    }
    None
}

/// The last byte to ask for to get the entry's local header and data. The
/// local header's extra field may differ from the directory's: ask for
/// some slack and read the real lengths from the header.
fn local_entry_end(entry: &ZipEntry, total: u64) -> u64 {
    (entry.header_offset + 30 + 1024 + entry.compressed_size + entry.name_len).min(total) - 1
}

/// The entry's data, inflated, from bytes starting at its local header.
fn inflate_local_entry(local: &[u8], entry: &ZipEntry) -> Option<String> {
    use std::io::Read as _;
    if local.get(0..4)? != b"PK\x03\x04" || entry.uncompressed_size > MAX_ENTRY_BYTES {
        return None;
    }
    let start = 30 + usize::try_from(le16(local, 26)? + le16(local, 28)?).ok()?;
    let data = local.get(start..start + usize::try_from(entry.compressed_size).ok()?)?;
    let mut text = String::new();
    match entry.method {
        0 => text = String::from_utf8(data.to_vec()).ok()?,
        8 => {
            flate2::read::DeflateDecoder::new(data)
                .take(entry.uncompressed_size)
                .read_to_string(&mut text)
                .ok()?;
        }
        _ => return None,
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    const METADATA: &str = "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n";

    /// A small wheel-shaped zip with the METADATA stored with `method`.
    fn wheel(method: zip::CompressionMethod, metadata_name: &str) -> Vec<u8> {
        let mut buffer = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buffer);
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            zip.start_file("pkg/__init__.py", options).unwrap();
            zip.write_all(b"x = 1\n").unwrap();
            zip.start_file("pkg/vendored.dist-info/METADATA", options)
                .unwrap();
            zip.write_all(b"Name: not-this-one\n").unwrap();
            zip.start_file(metadata_name, options).unwrap();
            zip.write_all(METADATA.as_bytes()).unwrap();
            zip.finish().unwrap();
        }
        buffer.into_inner()
    }

    /// What the range reader does, over bytes in memory.
    fn read_metadata(bytes: &[u8]) -> Option<String> {
        let directory = zip_directory(bytes)?;
        let start = usize::try_from(directory.offset).unwrap();
        let entry = find_metadata_entry(&bytes[start..])?;
        let local = &bytes[usize::try_from(entry.header_offset).unwrap()..];
        inflate_local_entry(local, &entry)
    }

    #[test]
    fn zip_directories_and_entries_are_found() {
        let bytes = wheel(
            zip::CompressionMethod::Deflated,
            "pkg-1.0.dist-info/METADATA",
        );
        let directory = zip_directory(&bytes).unwrap();
        let start = usize::try_from(directory.offset).unwrap();
        let entry = find_metadata_entry(&bytes[start..]).unwrap();
        let local = &bytes[usize::try_from(entry.header_offset).unwrap()..];
        let text = inflate_local_entry(local, &entry).unwrap();
        assert!(
            text.starts_with("Metadata-Version: 2.1\nName: pkg"),
            "{text}"
        );
        assert_eq!(parse_content_range("bytes 100-199/1000"), Some((100, 1000)));
        assert_eq!(zip_directory(b"not a zip"), None);
    }

    #[test]
    fn metadata_is_read_stored_or_deflated_and_only_at_the_top() {
        for method in [
            zip::CompressionMethod::Stored,
            zip::CompressionMethod::Deflated,
        ] {
            let bytes = wheel(method, "pkg-1.0.dist-info/METADATA");
            assert_eq!(
                read_metadata(&bytes).as_deref(),
                Some(METADATA),
                "{method:?}"
            );
        }
        // A METADATA in a nested folder is not the wheel's.
        let nested = wheel(
            zip::CompressionMethod::Stored,
            "pkg/pkg-1.0.dist-info/METADATA",
        );
        assert_eq!(read_metadata(&nested), None);
    }

    #[test]
    fn unknown_compression_and_zip64_are_given_up_on() {
        let bytes = wheel(zip::CompressionMethod::Stored, "pkg-1.0.dist-info/METADATA");
        let directory = zip_directory(&bytes).unwrap();
        let start = usize::try_from(directory.offset).unwrap();
        let mut entry = find_metadata_entry(&bytes[start..]).unwrap();
        let local = &bytes[usize::try_from(entry.header_offset).unwrap()..];
        entry.method = 12; // bzip2
        assert_eq!(inflate_local_entry(local, &entry), None);
        // An end record whose directory offset says "see the ZIP64 record".
        let mut end = b"PK\x05\x06".to_vec();
        end.extend_from_slice(&[0; 8]);
        end.extend_from_slice(&100u32.to_le_bytes());
        end.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        end.extend_from_slice(&[0; 2]);
        assert_eq!(zip_directory(&end), None);
        end[16..20].copy_from_slice(&40u32.to_le_bytes());
        assert_eq!(
            zip_directory(&end),
            Some(ZipDirectory {
                offset: 40,
                size: 100
            })
        );
        // Cut short: the record's fields are not all there.
        assert_eq!(zip_directory(&end[..14]), None);
    }

    #[test]
    fn content_ranges_are_read() {
        let cases = [
            ("bytes 100-199/1000", Some((100, 1000))),
            ("bytes 0-0/1", Some((0, 1))),
            ("bytes  7 - 9 / 10 ", Some((7, 10))),
            ("bytes 100-199/*", None),
            ("bytes */1000", None),
            ("items 0-1/2", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_content_range(value), expected, "{value:?}");
        }
    }

    #[test]
    fn the_local_entry_is_asked_for_with_slack_but_not_past_the_end() {
        let entry = ZipEntry {
            header_offset: 1000,
            compressed_size: 500,
            uncompressed_size: 1200,
            method: 8,
            name_len: 26,
        };
        assert_eq!(
            local_entry_end(&entry, 1_000_000),
            1000 + 30 + 1024 + 500 + 26 - 1
        );
        assert_eq!(local_entry_end(&entry, 1600), 1599);
    }
}
