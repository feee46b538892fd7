//! What a comparison finds and works on, at the bottom of `compare/`: the
//! differences, and the two listings and the entries both hold. The parts
//! ([`super::content`], [`super::fields`]) and `compare`'s root import them
//! from here; this module imports none of them.

use serde::Serialize;

use crate::build::archive::{Entry, Limits, Listing};

/// One difference between the two sides, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "code",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
pub enum Difference {
    /// An entry only the left side has.
    OnlyInLeft {
        entry: String,
    },
    OnlyInRight {
        entry: String,
    },
    /// The entries both sides have are stored in another order: the first
    /// place (from 1) where they differ, and how many places differ.
    Order {
        position: usize,
        left: String,
        right: String,
        moved: usize,
    },
    /// A file on one side, a folder or link on the other (or another
    /// link target).
    EntryType {
        entry: String,
        left: String,
        right: String,
    },
    Timestamp {
        entry: String,
        left: String,
        right: String,
    },
    /// Permission bits (octal), or `none` for a zip entry without a Unix
    /// mode.
    Permissions {
        entry: String,
        left: String,
        right: String,
    },
    /// A tar entry's `uid`, `gid`, `uname` or `gname`.
    Owner {
        entry: String,
        field: String,
        left: String,
        right: String,
    },
    /// The compression method, or the compressed bytes of equal content.
    Compression {
        entry: String,
        left: String,
        right: String,
    },
    /// A zip entry's extra fields (extended timestamps, Unix owners).
    ExtraFields {
        entry: String,
        left: String,
        right: String,
    },
    /// Another field of a zip entry's headers.
    ZipHeader {
        entry: String,
        field: String,
        left: String,
        right: String,
    },
    /// Another field of a tar entry's header, or one of its pax records.
    TarHeader {
        entry: String,
        field: String,
        left: String,
        right: String,
    },
    /// A row of RECORD for `path` that differs, or that one side lacks.
    RecordLine {
        path: String,
        left: Option<String>,
        right: Option<String>,
    },
    /// An entry whose bytes differ.
    Content {
        entry: String,
        left_size: u64,
        right_size: u64,
        detail: ContentDetail,
    },
    ZipComment {
        left: String,
        right: String,
    },
    /// A field of the gzip header: `mtime`, `os`, `flags`, `extra-flags`,
    /// `filename`, `comment`, `extra`.
    GzipHeader {
        field: String,
        left: String,
        right: String,
    },
    /// The same tar, compressed into other bytes (another compressor or
    /// level).
    GzipStream {
        left_size: u64,
        right_size: u64,
    },
    /// Bytes that differ where no field above explains them (`file`: the
    /// zip's own bytes; `tar`: the decompressed tar stream).
    Bytes {
        layer: String,
        first_difference: u64,
        left_size: u64,
        right_size: u64,
    },
}

/// How an entry's bytes differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
pub enum ContentDetail {
    /// A unified diff, cut short when `truncated`.
    Text { diff: String, truncated: bool },
    /// The first byte (from 0) that differs; `None` when it was not looked
    /// for (too many differing entries to read them all again).
    Binary { first_difference: Option<u64> },
}

impl Difference {
    /// The stable name of the kind of difference (the JSON `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Difference::OnlyInLeft { .. } => "only-in-left",
            Difference::OnlyInRight { .. } => "only-in-right",
            Difference::Order { .. } => "order",
            Difference::EntryType { .. } => "entry-type",
            Difference::Timestamp { .. } => "timestamp",
            Difference::Permissions { .. } => "permissions",
            Difference::Owner { .. } => "owner",
            Difference::Compression { .. } => "compression",
            Difference::ExtraFields { .. } => "extra-fields",
            Difference::ZipHeader { .. } => "zip-header",
            Difference::TarHeader { .. } => "tar-header",
            Difference::RecordLine { .. } => "record-line",
            Difference::Content { .. } => "content",
            Difference::ZipComment { .. } => "zip-comment",
            Difference::GzipHeader { .. } => "gzip-header",
            Difference::GzipStream { .. } => "gzip-stream",
            Difference::Bytes { .. } => "bytes",
        }
    }

    /// The entry the difference is about, when it is about one.
    pub fn entry(&self) -> Option<&str> {
        match self {
            Difference::OnlyInLeft { entry }
            | Difference::OnlyInRight { entry }
            | Difference::EntryType { entry, .. }
            | Difference::Timestamp { entry, .. }
            | Difference::Permissions { entry, .. }
            | Difference::Owner { entry, .. }
            | Difference::Compression { entry, .. }
            | Difference::ExtraFields { entry, .. }
            | Difference::ZipHeader { entry, .. }
            | Difference::TarHeader { entry, .. }
            | Difference::Content { entry, .. } => Some(entry),
            Difference::RecordLine { path, .. } => Some(path),
            _ => None,
        }
    }

    /// One line in words (a text diff follows on lines of its own).
    pub fn describe(&self) -> String {
        let versus = |left: &str, right: &str| format!("{left} (left) vs {right} (right)");
        match self {
            Difference::OnlyInLeft { entry } | Difference::OnlyInRight { entry } => entry.clone(),
            Difference::Order {
                position,
                left,
                right,
                moved,
            } => format!(
                "the entries both hold are in another order: at {position}, {left} (left) vs {right} (right); {moved} places differ"
            ),
            Difference::EntryType { entry, left, right }
            | Difference::Timestamp { entry, left, right }
            | Difference::Permissions { entry, left, right }
            | Difference::Compression { entry, left, right }
            | Difference::ExtraFields { entry, left, right } => {
                format!("{entry}: {}", versus(left, right))
            }
            Difference::Owner {
                entry,
                field,
                left,
                right,
            }
            | Difference::ZipHeader {
                entry,
                field,
                left,
                right,
            }
            | Difference::TarHeader {
                entry,
                field,
                left,
                right,
            } => format!("{entry}: {field}: {}", versus(left, right)),
            Difference::RecordLine { path, left, right } => {
                let row = |row: &Option<String>| row.clone().unwrap_or_else(|| "no line".into());
                format!("{path}: {}", versus(&row(left), &row(right)))
            }
            Difference::Content {
                entry,
                left_size,
                right_size,
                detail,
            } => describe_content(entry, *left_size, *right_size, detail),
            Difference::ZipComment { left, right } => versus(left, right),
            Difference::GzipHeader { field, left, right } => {
                format!("{field}: {}", versus(left, right))
            }
            Difference::GzipStream {
                left_size,
                right_size,
            } => format!(
                "the same tar compressed into other bytes ({left_size} vs {right_size} bytes): another compressor or level"
            ),
            Difference::Bytes {
                layer,
                first_difference,
                left_size,
                right_size,
            } => format!(
                "the {layer} bytes differ from byte {first_difference} ({left_size} vs {right_size} bytes), where no entry field explains it"
            ),
        }
    }
}

fn describe_content(entry: &str, left: u64, right: u64, detail: &ContentDetail) -> String {
    let sizes = if left == right {
        format!("{left} bytes each")
    } else {
        format!("{left} vs {right} bytes")
    };
    match detail {
        ContentDetail::Text { truncated, .. } => format!(
            "{entry}: {sizes}, text{}:",
            if *truncated { " (diff cut short)" } else { "" }
        ),
        ContentDetail::Binary {
            first_difference: Some(offset),
        } => format!("{entry}: {sizes}, first difference at byte {offset}"),
        ContentDetail::Binary {
            first_difference: None,
        } => format!("{entry}: {sizes}"),
    }
}

/// The two listings being compared.
pub(super) struct Sides<'a> {
    pub(super) left: &'a Listing,
    pub(super) right: &'a Listing,
    pub(super) limits: &'a Limits,
}

/// An entry both sides hold.
pub(super) struct Pair<'a> {
    pub(super) left: &'a Entry,
    pub(super) right: &'a Entry,
}
