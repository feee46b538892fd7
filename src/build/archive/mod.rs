//! The wheels (zip) and sdists (tar.gz) a build makes, read within bounds:
//! every entry with the fields it is stored with, exactly as written, and
//! the bytes it holds, read once in a stream.
//!
//! Both readers are written by hand ([`zip`], [`tar`]): a comparison must
//! see what the `zip` and `tar` crates smooth over (a name stored twice,
//! the general-purpose flags, the local header's extra field, the tar
//! format's magic, pax records), and the bounds must hold before anything
//! is allocated (the entry count of the end record, a pax header of 8 GiB).
//!
//! Owns reading. It must not judge what it reads beyond what makes an
//! archive unreadable or ambiguous (a corrupt header, entries that overlap,
//! the same name twice): differences are [`super::compare`]'s, RECORD is
//! [`super::record`]'s.

mod error;
pub mod tar;
mod types;
pub mod zip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::ReadError;
pub use types::{
    CHUNK, Content, ContentHasher, Entry, EntryKind, Header, Limits, Part, entry_key, pump,
    read_part,
};

/// The two kinds of archive a build makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A wheel, or any zip.
    Zip,
    /// An sdist: a gzip-compressed tar.
    TarGz,
}

impl Format {
    /// The format a file's name says: `.whl` and `.zip`, `.tar.gz` and
    /// `.tgz` (case-insensitive).
    pub fn of_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".whl") || name.ends_with(".zip") {
            Some(Format::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Format::TarGz)
        } else {
            None
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Format::Zip => "a wheel (zip)",
            Format::TarGz => "an sdist (tar.gz)",
        }
    }
}

/// What a whole archive is stored with, besides its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveHeader {
    Zip(zip::ZipTrailer),
    TarGz(tar::GzipInfo),
}

/// An archive read whole: its entries in stored order and its own header.
#[derive(Debug, Clone)]
pub struct Listing {
    pub path: PathBuf,
    pub format: Format,
    pub entries: Vec<Entry>,
    pub header: ArchiveHeader,
}

/// Reads every entry of the archive at `path`, hashing its bytes.
pub fn read_listing(path: &Path, format: Format, limits: &Limits) -> Result<Listing, ReadError> {
    let (entries, header) = match format {
        Format::Zip => {
            let mut archive = zip::ZipReader::open(path, limits)?;
            let entries = archive.listing()?;
            (entries, ArchiveHeader::Zip(archive.trailer().clone()))
        }
        Format::TarGz => {
            let (entries, info) = tar::listing(path, limits)?;
            (entries, ArchiveHeader::TarGz(info))
        }
    };
    Ok(Listing {
        path: path.to_path_buf(),
        format,
        entries,
        header,
    })
}

/// The parts of the entries named in `wanted` (by stored name), as far as
/// each entry holds them.
pub fn read_parts(
    path: &Path,
    format: Format,
    limits: &Limits,
    wanted: &BTreeMap<String, Part>,
) -> Result<BTreeMap<String, Vec<u8>>, ReadError> {
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    match format {
        Format::Zip => zip::ZipReader::open(path, limits)?.parts(wanted),
        Format::TarGz => tar::parts(path, limits, wanted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_names() {
        for (name, format) in [
            ("six-1.0-py3-none-any.whl", Some(Format::Zip)),
            ("x.ZIP", Some(Format::Zip)),
            ("six-1.0.tar.gz", Some(Format::TarGz)),
            ("six-1.0.tgz", Some(Format::TarGz)),
            ("six-1.0.tar.bz2", None),
            ("six-1.0.tar", None),
        ] {
            assert_eq!(Format::of_path(Path::new(name)), format, "{name}");
        }
    }
}
