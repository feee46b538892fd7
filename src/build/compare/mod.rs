//! Every difference between two builds of one wheel or sdist, named: the
//! entries only one side has, their order, each entry's timestamp,
//! permissions, owner, compression and header fields, RECORD's lines, and
//! for an entry whose bytes differ, a unified diff of a text file or the
//! sizes and first differing byte of a binary one; then what the archive
//! itself is stored with (the zip comment, the gzip header). Byte-identical
//! files are found so by their hashes and not unpacked.
//!
//! Used by `chiron build --check` (two builds of the same source) and
//! `--compare` (a build against a published file). It must not change
//! either file, nor decide what a difference means for a release: it names
//! them, each with a stable code ([`Difference::code`]).

mod content;
mod error;
mod fields;
mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::archive::{
    self, ArchiveHeader, CHUNK, Entry, Format, Limits, Listing, Part, tar::GzipInfo,
};
pub use content::TEXT_LIMIT;
use content::{Detail, content_difference, first_file_difference, first_mismatch};
pub use error::CompareError;
use fields::{archive_differences, entry_differences};
pub use types::{ContentDetail, Difference};
use types::{Pair, Sides};

/// The two files compared, and every difference found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub left: PathBuf,
    pub right: PathBuf,
    pub format: Format,
    pub differences: Vec<Difference>,
}

impl Serialize for Comparison {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct View<'a> {
            left: &'a Path,
            right: &'a Path,
            format: Format,
            identical: bool,
            differences: &'a [Difference],
        }
        View {
            left: &self.left,
            right: &self.right,
            format: self.format,
            identical: self.identical(),
            differences: &self.differences,
        }
        .serialize(serializer)
    }
}

impl Comparison {
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }

    /// The report for people: a summary line, then one line per
    /// difference, diffs indented below theirs.
    pub fn render(&self) -> String {
        let (left, right) = (self.left.display(), self.right.display());
        if self.identical() {
            return format!("{left} and {right} are identical\n");
        }
        let count = self.differences.len();
        let mut out = format!(
            "{left} (left) and {right} (right) differ: {count} difference{}\n",
            if count == 1 { "" } else { "s" }
        );
        for difference in &self.differences {
            out.push_str(&format!(
                "  {}: {}\n",
                difference.code(),
                difference.describe()
            ));
            if let Difference::Content {
                detail: ContentDetail::Text { diff, .. },
                ..
            } = difference
            {
                for line in diff.lines() {
                    out.push_str(&format!("      {line}\n"));
                }
            }
        }
        out
    }
}

/// Compares two wheels or two sdists, within the default [`Limits`].
pub fn compare(left: &Path, right: &Path) -> Result<Comparison, CompareError> {
    compare_with_limits(left, right, &Limits::default())
}

/// Compares two wheels or two sdists, reading no more than `limits` allow.
pub fn compare_with_limits(
    left: &Path,
    right: &Path,
    limits: &Limits,
) -> Result<Comparison, CompareError> {
    let format = format_of_pair(left, right)?;
    compare_as(left, right, format, limits)
}

/// Compares two files read as `format`, whatever their names.
pub fn compare_as(
    left: &Path,
    right: &Path,
    format: Format,
    limits: &Limits,
) -> Result<Comparison, CompareError> {
    let mut comparison = Comparison {
        left: left.to_path_buf(),
        right: right.to_path_buf(),
        format,
        differences: Vec::new(),
    };
    if same_bytes(left, right)? {
        return Ok(comparison);
    }
    let left = archive::read_listing(left, format, limits)?;
    let right = archive::read_listing(right, format, limits)?;
    comparison.differences = Sides {
        left: &left,
        right: &right,
        limits,
    }
    .differences()?;
    Ok(comparison)
}

fn format_of_pair(left: &Path, right: &Path) -> Result<Format, CompareError> {
    let of = |path: &Path| {
        Format::of_path(path).ok_or_else(|| CompareError::UnknownFormat {
            path: path.to_path_buf(),
        })
    };
    let (left_format, right_format) = (of(left)?, of(right)?);
    if left_format != right_format {
        return Err(CompareError::DifferentFormats {
            left: left.to_path_buf(),
            left_format,
            right: right.to_path_buf(),
            right_format,
        });
    }
    Ok(left_format)
}

/// Whether two files hold the same bytes (sizes first, then digests).
fn same_bytes(left: &Path, right: &Path) -> Result<bool, CompareError> {
    let digest = |path: &Path| {
        crate::digest::digest_file(path).map_err(|source| CompareError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let size = |path: &Path| {
        std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|source| CompareError::Io {
                path: path.to_path_buf(),
                source,
            })
    };
    if size(left)? != size(right)? {
        return Ok(false);
    }
    Ok(digest(left)? == digest(right)?)
}

impl Sides<'_> {
    fn differences(&self) -> Result<Vec<Difference>, CompareError> {
        let mut out = archive_differences(&self.left.header, &self.right.header);
        out.extend(self.membership());
        let pairs = self.pairs();
        out.extend(order(self.left, self.right));
        let details = content::explain(self, &pairs)?;
        let mut record_lines = Vec::new();
        for (key, pair) in &pairs {
            out.extend(entry_differences(pair));
            if pair.left.content == pair.right.content {
                continue;
            }
            match details.get(*key) {
                Some(Detail::Record(lines)) => record_lines.extend(lines.iter().cloned()),
                Some(Detail::Content(detail)) => out.push(content_difference(pair, detail.clone())),
                None => out.push(content_difference(
                    pair,
                    ContentDetail::Binary {
                        first_difference: None,
                    },
                )),
            }
        }
        out.extend(record_lines);
        if out.is_empty() {
            out.push(self.unexplained()?);
        }
        Ok(out)
    }

    fn membership(&self) -> Vec<Difference> {
        let keys = |listing: &Listing| -> BTreeMap<String, String> {
            listing
                .entries
                .iter()
                .map(|e| (e.key().to_string(), e.name.clone()))
                .collect()
        };
        let (left, right) = (keys(self.left), keys(self.right));
        let only_left = left
            .iter()
            .filter(|(k, _)| !right.contains_key(*k))
            .map(|(_, name)| Difference::OnlyInLeft {
                entry: name.clone(),
            });
        let only_right = right
            .iter()
            .filter(|(k, _)| !left.contains_key(*k))
            .map(|(_, name)| Difference::OnlyInRight {
                entry: name.clone(),
            });
        only_left.chain(only_right).collect()
    }

    /// The entries both sides hold, by key.
    fn pairs(&self) -> BTreeMap<&str, Pair<'_>> {
        let right: BTreeMap<&str, &Entry> =
            self.right.entries.iter().map(|e| (e.key(), e)).collect();
        self.left
            .entries
            .iter()
            .filter_map(|left| {
                let right = right.get(left.key())?;
                Some((left.key(), Pair { left, right }))
            })
            .collect()
    }

    /// What differs when no entry field does: the gzip stream, or the
    /// first differing byte of the zip or the tar stream.
    fn unexplained(&self) -> Result<Difference, CompareError> {
        match (&self.left.header, &self.right.header) {
            (ArchiveHeader::TarGz(l), ArchiveHeader::TarGz(r)) => self.unexplained_tar(l, r),
            _ => {
                let first = first_file_difference(&self.left.path, &self.right.path)?;
                let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                Ok(Difference::Bytes {
                    layer: "file".into(),
                    first_difference: first,
                    left_size: size(&self.left.path),
                    right_size: size(&self.right.path),
                })
            }
        }
    }

    fn unexplained_tar(&self, l: &GzipInfo, r: &GzipInfo) -> Result<Difference, CompareError> {
        let Some(chunk) = l.tar.first_different_chunk(&r.tar) else {
            return Ok(Difference::GzipStream {
                left_size: l.compressed_size,
                right_size: r.compressed_size,
            });
        };
        let part = Part {
            start: chunk,
            len: CHUNK,
        };
        let left = archive::tar::stream_part(&self.left.path, self.limits, part)?;
        let right = archive::tar::stream_part(&self.right.path, self.limits, part)?;
        Ok(Difference::Bytes {
            layer: "tar".into(),
            first_difference: chunk + first_mismatch(&left, &right),
            left_size: l.tar.size,
            right_size: r.tar.size,
        })
    }
}

/// The first place the entries both sides hold are stored in another
/// order.
fn order(left: &Listing, right: &Listing) -> Option<Difference> {
    let keys = |listing: &Listing| -> BTreeSet<String> {
        listing
            .entries
            .iter()
            .map(|e| e.key().to_string())
            .collect()
    };
    let (left_keys, right_keys) = (keys(left), keys(right));
    let shared = |listing: &'_ Listing, other: &BTreeSet<String>| -> Vec<String> {
        listing
            .entries
            .iter()
            .filter(|e| other.contains(e.key()))
            .map(|e| e.name.clone())
            .collect()
    };
    let (l, r) = (shared(left, &right_keys), shared(right, &left_keys));
    let differs = |(a, b): &(&String, &String)| archive::entry_key(a) != archive::entry_key(b);
    let first = l.iter().zip(&r).position(|pair| differs(&pair))?;
    Some(Difference::Order {
        position: first + 1,
        left: l[first].clone(),
        right: r[first].clone(),
        moved: l.iter().zip(&r).filter(differs).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Difference> {
        let s = |t: &str| t.to_string();
        vec![
            Difference::OnlyInLeft { entry: s("a.py") },
            Difference::OnlyInRight { entry: s("b.py") },
            Difference::Order {
                position: 2,
                left: s("b.py"),
                right: s("c.py"),
                moved: 2,
            },
            Difference::EntryType {
                entry: s("d"),
                left: s("directory"),
                right: s("regular file"),
            },
            Difference::Timestamp {
                entry: s("a.py"),
                left: s("1980-01-01 00:00:00"),
                right: s("2023-11-14 22:13:20"),
            },
            Difference::Permissions {
                entry: s("run"),
                left: s("0755"),
                right: s("0644"),
            },
            Difference::Owner {
                entry: s("a.py"),
                field: s("uid"),
                left: s("0"),
                right: s("1000"),
            },
            Difference::Compression {
                entry: s("a.py"),
                left: s("deflate"),
                right: s("stored"),
            },
            Difference::ExtraFields {
                entry: s("a.py"),
                left: s("central: none; local: none"),
                right: s("central: extended-timestamp [01]; local: none"),
            },
            Difference::ZipHeader {
                entry: s("a.py"),
                field: s("flags"),
                left: s("0x0000"),
                right: s("0x0800"),
            },
            Difference::TarHeader {
                entry: s("a.py"),
                field: s("format"),
                left: s("ustar"),
                right: s("gnu"),
            },
            Difference::RecordLine {
                path: s("a.py"),
                left: Some(s("a.py,sha256=x,1")),
                right: None,
            },
            Difference::Content {
                entry: s("a.py"),
                left_size: 2,
                right_size: 3,
                detail: ContentDetail::Text {
                    diff: s("--- left/a.py\n+++ right/a.py\n@@ -1 +1 @@\n-a\n+ab\n"),
                    truncated: false,
                },
            },
            Difference::ZipComment {
                left: s("\"\""),
                right: s("\"x\""),
            },
            Difference::GzipHeader {
                field: s("mtime"),
                left: s("0"),
                right: s("1700000000"),
            },
            Difference::GzipStream {
                left_size: 10,
                right_size: 11,
            },
            Difference::Bytes {
                layer: s("file"),
                first_difference: 7,
                left_size: 10,
                right_size: 10,
            },
        ]
    }

    #[test]
    fn each_code_is_the_json_code_and_unique() {
        let mut codes = BTreeSet::new();
        for difference in every_kind() {
            let json = serde_json::to_value(&difference).unwrap();
            assert_eq!(json["code"], difference.code(), "{json}");
            assert!(
                codes.insert(difference.code()),
                "{} twice",
                difference.code()
            );
        }
        let json = serde_json::to_value(&every_kind()[12]).unwrap();
        assert_eq!(json["left-size"], 2);
        assert_eq!(json["detail"]["kind"], "text");
        let json = serde_json::to_value(&every_kind()[16]).unwrap();
        assert_eq!(json["first-difference"], 7);
    }

    #[test]
    fn the_report_has_one_line_per_difference_and_diffs_indented() {
        let comparison = Comparison {
            left: "l.whl".into(),
            right: "r.whl".into(),
            format: Format::Zip,
            differences: every_kind(),
        };
        let text = comparison.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "l.whl (left) and r.whl (right) differ: 17 differences"
        );
        let top: Vec<&str> = lines[1..]
            .iter()
            .filter(|l| !l.starts_with("      "))
            .copied()
            .collect();
        assert_eq!(top.len(), 17, "{text}");
        assert!(top.iter().all(|l| l.starts_with("  ")), "{text}");
        assert!(
            text.contains("  permissions: run: 0755 (left) vs 0644 (right)\n"),
            "{text}"
        );
        assert!(text.contains("\n      -a\n      +ab\n"), "{text}");
        let json = serde_json::to_value(&comparison).unwrap();
        assert_eq!(json["identical"], false);
        assert_eq!(json["format"], "zip");
        let same = Comparison {
            differences: Vec::new(),
            ..comparison
        };
        assert_eq!(same.render(), "l.whl and r.whl are identical\n");
    }
}
