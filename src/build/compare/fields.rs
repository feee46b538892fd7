//! The differences of what entries and archives are stored with: times,
//! permissions, owners, compression, zip and tar header fields, pax
//! records, the zip comment and the gzip header.

use std::collections::BTreeSet;

use super::types::{Difference, Pair};
use crate::build::archive::{
    self, ArchiveHeader, Header,
    tar::{GzipInfo, TarHeader},
    zip::{ZipHeader, ZipTrailer},
};

pub(super) fn archive_differences(left: &ArchiveHeader, right: &ArchiveHeader) -> Vec<Difference> {
    match (left, right) {
        (ArchiveHeader::Zip(l), ArchiveHeader::Zip(r)) => zip_trailer_differences(l, r),
        (ArchiveHeader::TarGz(l), ArchiveHeader::TarGz(r)) => gzip_differences(l, r),
        _ => Vec::new(),
    }
}

fn zip_trailer_differences(left: &ZipTrailer, right: &ZipTrailer) -> Vec<Difference> {
    let mut out = Vec::new();
    if left.comment != right.comment {
        out.push(Difference::ZipComment {
            left: quote_bytes(&left.comment),
            right: quote_bytes(&right.comment),
        });
    }
    out
}

fn gzip_differences(left: &GzipInfo, right: &GzipInfo) -> Vec<Difference> {
    let optional = |bytes: &Option<Vec<u8>>| bytes.as_deref().map_or("none".into(), quote_bytes);
    let fields = [
        ("mtime", left.mtime.to_string(), right.mtime.to_string()),
        ("os", left.os.to_string(), right.os.to_string()),
        (
            "flags",
            format!("{:#04x}", left.flags),
            format!("{:#04x}", right.flags),
        ),
        (
            "extra-flags",
            left.extra_flags.to_string(),
            right.extra_flags.to_string(),
        ),
        (
            "filename",
            optional(&left.filename),
            optional(&right.filename),
        ),
        ("comment", optional(&left.comment), optional(&right.comment)),
        ("extra", optional(&left.extra), optional(&right.extra)),
    ];
    fields
        .into_iter()
        .filter(|(_, l, r)| l != r)
        .map(|(field, left, right)| Difference::GzipHeader {
            field: field.into(),
            left,
            right,
        })
        .collect()
}

/// Bytes as text, quoted, with anything unprintable escaped.
fn quote_bytes(bytes: &[u8]) -> String {
    let text = bytes.escape_ascii().to_string();
    if text.len() > 200 {
        format!("\"{}...\" ({} bytes)", &text[..200], bytes.len())
    } else {
        format!("\"{text}\"")
    }
}

/// The differences of an entry's stored fields.
pub(super) fn entry_differences(pair: &Pair<'_>) -> Vec<Difference> {
    let entry = pair.left.name.clone();
    let mut out = Vec::new();
    let kinds = (pair.left.kind, pair.right.kind);
    let links = match (&pair.left.header, &pair.right.header) {
        (Header::Tar(l), Header::Tar(r)) => (l.link.clone(), r.link.clone()),
        _ => (None, None),
    };
    if kinds.0 != kinds.1 || links.0 != links.1 {
        let describe = |kind: archive::EntryKind, link: &Option<String>| match link {
            Some(target) => format!("{} to {target}", kind.describe()),
            None => kind.describe(),
        };
        out.push(Difference::EntryType {
            entry: entry.clone(),
            left: describe(kinds.0, &links.0),
            right: describe(kinds.1, &links.1),
        });
    }
    let same_content = pair.left.content == pair.right.content;
    match (&pair.left.header, &pair.right.header) {
        (Header::Zip(l), Header::Zip(r)) => out.extend(zip_differences(&entry, l, r, same_content)),
        (Header::Tar(l), Header::Tar(r)) => out.extend(tar_differences(&entry, l, r)),
        _ => {}
    }
    out
}

fn zip_differences(
    entry: &str,
    l: &ZipHeader,
    r: &ZipHeader,
    same_content: bool,
) -> Vec<Difference> {
    let entry = entry.to_string();
    let mut out = Vec::new();
    if (l.dos_date, l.dos_time) != (r.dos_date, r.dos_time) {
        out.push(Difference::Timestamp {
            entry: entry.clone(),
            left: archive::zip::dos_datetime(l.dos_date, l.dos_time),
            right: archive::zip::dos_datetime(r.dos_date, r.dos_time),
        });
    }
    let permissions = |h: &ZipHeader| h.unix_mode().map(|m| format!("{:04o}", m & 0o7777));
    let (lp, rp) = (permissions(l), permissions(r));
    let same_permissions = lp == rp;
    if !same_permissions {
        let none = || "none".to_string();
        out.push(Difference::Permissions {
            entry: entry.clone(),
            left: lp.unwrap_or_else(none),
            right: rp.unwrap_or_else(none),
        });
    }
    if let Some(compression) = compression_difference(l, r, same_content) {
        out.push(Difference::Compression {
            entry: entry.clone(),
            left: compression.0,
            right: compression.1,
        });
    }
    if (&l.central_extra, &l.local_extra) != (&r.central_extra, &r.local_extra) {
        out.push(Difference::ExtraFields {
            entry: entry.clone(),
            left: describe_extra(l),
            right: describe_extra(r),
        });
    }
    out.extend(zip_header_fields(l, r, same_permissions).into_iter().map(
        |(field, left, right)| Difference::ZipHeader {
            entry: entry.clone(),
            field: field.into(),
            left,
            right,
        },
    ));
    out
}

/// The method, or the compressed bytes of the same content.
fn compression_difference(
    l: &ZipHeader,
    r: &ZipHeader,
    same_content: bool,
) -> Option<(String, String)> {
    let method = |h: &ZipHeader| archive::zip::method_name(h.method);
    if l.method != r.method {
        return Some((method(l), method(r)));
    }
    if same_content && l.stored_sha256 != r.stored_sha256 {
        let stream =
            |h: &ZipHeader| format!("{}, {} bytes compressed", method(h), h.compressed_size);
        let (left, right) = (stream(l), stream(r));
        return Some(if left == right {
            (format!("{left}, one stream"), format!("{right}, another"))
        } else {
            (left, right)
        });
    }
    None
}

/// The header fields compared besides those with codes of their own:
/// `(field, left, right)` for each that differs. The external attributes
/// are compared here only when the permissions in them are the same.
fn zip_header_fields(
    l: &ZipHeader,
    r: &ZipHeader,
    same_permissions: bool,
) -> Vec<(&'static str, String, String)> {
    let hex16 = |v: u16| format!("{v:#06x}");
    let mut fields = vec![
        (
            "version-made-by",
            describe_made_by(l.version_made_by),
            describe_made_by(r.version_made_by),
        ),
        (
            "version-needed",
            l.version_needed.to_string(),
            r.version_needed.to_string(),
        ),
        ("flags", hex16(l.flags), hex16(r.flags)),
        (
            "internal-attributes",
            hex16(l.internal_attributes),
            hex16(r.internal_attributes),
        ),
        ("comment", quote_bytes(&l.comment), quote_bytes(&r.comment)),
    ];
    if same_permissions {
        fields.push((
            "external-attributes",
            format!("{:#010x}", l.external_attributes),
            format!("{:#010x}", r.external_attributes),
        ));
    }
    fields.retain(|(_, left, right)| left != right);
    fields
}

fn describe_made_by(version: u16) -> String {
    let system = match version >> 8 {
        0 => "MS-DOS".to_string(),
        3 => "Unix".to_string(),
        10 => "Windows NTFS".to_string(),
        19 => "macOS".to_string(),
        other => format!("system {other}"),
    };
    let spec = version & 0xff;
    format!("{system}, zip {}.{}", spec / 10, spec % 10)
}

/// The extra fields of both headers, block by block.
fn describe_extra(header: &ZipHeader) -> String {
    let blocks = |extra: &[u8]| match archive::zip::extra_fields(extra) {
        Ok(fields) if fields.is_empty() => "none".to_string(),
        Ok(fields) => fields
            .iter()
            .map(|(id, data)| format!("{} {}", extra_name(*id), short_hex(data)))
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => format!("malformed {}", short_hex(extra)),
    };
    format!(
        "central: {}; local: {}",
        blocks(&header.central_extra),
        blocks(&header.local_extra)
    )
}

fn extra_name(id: u16) -> String {
    match id {
        0x0001 => "zip64".into(),
        0x000a => "ntfs-times".into(),
        0x5455 => "extended-timestamp".into(),
        0x7875 => "unix-owner".into(),
        0x7075 => "unicode-path".into(),
        other => format!("{other:#06x}"),
    }
}

fn short_hex(bytes: &[u8]) -> String {
    let hex = crate::digest::hex(&bytes[..bytes.len().min(16)]);
    if bytes.len() > 16 {
        format!("{hex}... ({} bytes)", bytes.len())
    } else {
        format!("[{hex}]")
    }
}

fn tar_differences(entry: &str, l: &TarHeader, r: &TarHeader) -> Vec<Difference> {
    let entry = entry.to_string();
    let mut out = Vec::new();
    if l.mtime != r.mtime {
        out.push(Difference::Timestamp {
            entry: entry.clone(),
            left: describe_tar_time(&l.mtime),
            right: describe_tar_time(&r.mtime),
        });
    }
    if l.mode != r.mode {
        out.push(Difference::Permissions {
            entry: entry.clone(),
            left: format!("{:04o}", l.mode),
            right: format!("{:04o}", r.mode),
        });
    }
    let owners = [
        ("uid", l.uid.to_string(), r.uid.to_string()),
        ("gid", l.gid.to_string(), r.gid.to_string()),
        (
            "uname",
            quote_bytes(l.uname.as_bytes()),
            quote_bytes(r.uname.as_bytes()),
        ),
        (
            "gname",
            quote_bytes(l.gname.as_bytes()),
            quote_bytes(r.gname.as_bytes()),
        ),
    ];
    for (field, left, right) in owners.into_iter().filter(|(_, l, r)| l != r) {
        out.push(Difference::Owner {
            entry: entry.clone(),
            field: field.into(),
            left,
            right,
        });
    }
    for (field, left, right) in tar_header_fields(l, r) {
        out.push(Difference::TarHeader {
            entry: entry.clone(),
            field,
            left,
            right,
        });
    }
    out
}

fn tar_header_fields(l: &TarHeader, r: &TarHeader) -> Vec<(String, String, String)> {
    let mut fields = vec![
        ("format".to_string(), l.format.clone(), r.format.clone()),
        (
            "devmajor".into(),
            l.devmajor.to_string(),
            r.devmajor.to_string(),
        ),
        (
            "devminor".into(),
            l.devminor.to_string(),
            r.devminor.to_string(),
        ),
    ];
    let keys: BTreeSet<&String> = l.pax.keys().chain(r.pax.keys()).collect();
    for key in keys {
        let value = |h: &TarHeader| h.pax.get(key).cloned().unwrap_or_else(|| "none".into());
        fields.push((format!("pax {key}"), value(l), value(r)));
    }
    fields.retain(|(_, left, right)| left != right);
    fields
}

/// A tar time: RFC 3339 with the seconds when it is whole seconds, else
/// the pax text as written.
fn describe_tar_time(mtime: &str) -> String {
    match mtime.parse::<i64>() {
        Ok(seconds) => format!("{} ({seconds})", crate::time::rfc3339(seconds)),
        Err(_) => mtime.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_systems_are_spelled_for_people() {
        assert_eq!(
            describe_tar_time("1700000000"),
            "2023-11-14T22:13:20Z (1700000000)"
        );
        assert_eq!(describe_tar_time("1700000000.5"), "1700000000.5");
        assert_eq!(describe_made_by(0x0314), "Unix, zip 2.0");
        assert_eq!(describe_made_by(0x0014), "MS-DOS, zip 2.0");
        assert_eq!(quote_bytes(b"a\"b\0"), "\"a\\\"b\\x00\"");
    }
}
