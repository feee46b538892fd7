//! What a content difference is: the parts of the two entries read again
//! (whole text files and RECORD, the first differing chunk of others), a
//! unified diff of text, RECORD's rows by path, the first differing byte.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::error::CompareError;
use super::types::{ContentDetail, Difference, Pair, Sides};
use crate::build::archive::{self, CHUNK, Listing, Part};
use crate::build::record::{self, Record};

/// The largest text file (each side) shown as a unified diff.
pub const TEXT_LIMIT: u64 = 1 << 20;

/// The largest RECORD compared line by line.
const RECORD_LIMIT: u64 = 16 << 20;
/// The most lines of one unified diff.
const DIFF_LINES: usize = 400;
/// How long one diff may search for the shortest edit before it settles
/// for a longer one.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);
/// The most bytes read again per side to explain content differences.
const DETAIL_BUDGET: u64 = 64 << 20;

/// Reads again what explains each content difference: whole text
/// files and RECORD, the first differing chunk of others.
pub(super) fn explain(
    sides: &Sides<'_>,
    pairs: &BTreeMap<&str, Pair<'_>>,
) -> Result<BTreeMap<String, Detail>, CompareError> {
    let mut plan = Plan::default();
    for (key, pair) in pairs {
        if pair.left.content != pair.right.content {
            plan.add(key, pair);
        }
    }
    let read = |listing: &Listing, wanted| {
        archive::read_parts(&listing.path, listing.format, sides.limits, wanted)
    };
    let left = read(sides.left, &plan.left)?;
    let right = read(sides.right, &plan.right)?;
    let mut details = BTreeMap::new();
    for (key, request) in &plan.requests {
        let pair = &pairs[key.as_str()];
        let (Some(l), Some(r)) = (left.get(&pair.left.name), right.get(&pair.right.name)) else {
            continue;
        };
        details.insert(key.clone(), request.explain(pair, l, r));
    }
    Ok(details)
}

/// What was read again to explain one entry's difference.
pub(super) enum Detail {
    Content(ContentDetail),
    Record(Vec<Difference>),
}

/// What to read again for an entry.
#[derive(Clone, Copy)]
enum Request {
    Record,
    Text,
    /// The chunk starting at this offset.
    Binary(u64),
}

impl Request {
    fn explain(self, pair: &Pair<'_>, left: &[u8], right: &[u8]) -> Detail {
        match self {
            Request::Record => match record_lines(left, right) {
                Some(lines) if !lines.is_empty() => Detail::Record(lines),
                _ => Detail::Content(text_detail(&pair.left.name, left, right)),
            },
            Request::Text => Detail::Content(text_detail(&pair.left.name, left, right)),
            Request::Binary(start) => Detail::Content(ContentDetail::Binary {
                first_difference: Some(start + first_mismatch(left, right)),
            }),
        }
    }
}

/// The parts to read again, per side, within [`DETAIL_BUDGET`].
#[derive(Default)]
struct Plan {
    requests: BTreeMap<String, Request>,
    left: BTreeMap<String, Part>,
    right: BTreeMap<String, Part>,
    spent: u64,
}

impl Plan {
    fn add(&mut self, key: &str, pair: &Pair<'_>) {
        let (l, r) = (&pair.left.content, &pair.right.content);
        let largest = l.size.max(r.size);
        let (request, part) = if record::is_record(&pair.left.name) && largest <= RECORD_LIMIT {
            (
                Request::Record,
                Part {
                    start: 0,
                    len: largest,
                },
            )
        } else if is_text(&pair.left.name) && largest <= TEXT_LIMIT {
            (
                Request::Text,
                Part {
                    start: 0,
                    len: largest,
                },
            )
        } else {
            let start = l.first_different_chunk(r).unwrap_or(0);
            (Request::Binary(start), Part { start, len: CHUNK })
        };
        if self.spent + part.len > DETAIL_BUDGET {
            return;
        }
        self.spent += part.len;
        self.requests.insert(key.to_string(), request);
        self.left.insert(pair.left.name.clone(), part);
        self.right.insert(pair.right.name.clone(), part);
    }
}

/// Whether an entry is shown as a text diff: sources, metadata and the
/// usual text formats.
fn is_text(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    const NAMES: &[&str] = &[
        "METADATA",
        "PKG-INFO",
        "WHEEL",
        "RECORD",
        "INSTALLER",
        "REQUESTED",
        "LICENSE",
        "COPYING",
        "NOTICE",
        "AUTHORS",
        "README",
    ];
    const EXTENSIONS: &[&str] = &[
        "py", "pyi", "pyx", "pxd", "txt", "cfg", "toml", "ini", "json", "md", "rst", "typed", "c",
        "h", "cpp", "hpp", "rs", "sh", "yaml", "yml", "in", "html", "css", "js",
    ];
    NAMES.contains(&file)
        || file
            .rsplit_once('.')
            .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

pub(super) fn content_difference(pair: &Pair<'_>, detail: ContentDetail) -> Difference {
    Difference::Content {
        entry: pair.left.name.clone(),
        left_size: pair.left.content.size,
        right_size: pair.right.content.size,
        detail,
    }
}

/// A unified diff when both sides are UTF-8, else the first differing byte.
fn text_detail(name: &str, left: &[u8], right: &[u8]) -> ContentDetail {
    match (std::str::from_utf8(left), std::str::from_utf8(right)) {
        (Ok(left), Ok(right)) => {
            let (diff, truncated) = unified_diff(name, left, right);
            ContentDetail::Text { diff, truncated }
        }
        _ => ContentDetail::Binary {
            first_difference: Some(first_mismatch(left, right)),
        },
    }
}

/// A unified diff with three lines of context, cut at [`DIFF_LINES`].
fn unified_diff(name: &str, left: &str, right: &str) -> (String, bool) {
    let diff = similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(left, right);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("left/{name}"), &format!("right/{name}"))
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= DIFF_LINES {
        return (text, false);
    }
    let mut cut = lines[..DIFF_LINES].join("\n");
    cut.push_str(&format!("\n... {} more lines\n", lines.len() - DIFF_LINES));
    (cut, true)
}

/// The rows of two RECORDs that differ, by path; `None` when either does
/// not parse (its text is then diffed instead).
fn record_lines(left: &[u8], right: &[u8]) -> Option<Vec<Difference>> {
    let parse = |bytes| Record::parse(std::str::from_utf8(bytes).ok()?).ok();
    let (left, right) = (parse(left)?, parse(right)?);
    let rows = |record: &Record| -> BTreeMap<String, String> {
        record
            .rows()
            .map(|row| (row.path.clone(), row.text.clone()))
            .collect()
    };
    let (left, right) = (rows(&left), rows(&right));
    let paths: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
    Some(
        paths
            .into_iter()
            .filter(|path| left.get(*path) != right.get(*path))
            .map(|path| Difference::RecordLine {
                path: path.clone(),
                left: left.get(path).cloned(),
                right: right.get(path).cloned(),
            })
            .collect(),
    )
}

/// Where two byte strings first differ (the shorter's length when one is
/// the start of the other).
pub(super) fn first_mismatch(left: &[u8], right: &[u8]) -> u64 {
    left.iter()
        .zip(right)
        .position(|(a, b)| a != b)
        .unwrap_or(left.len().min(right.len())) as u64
}

/// The first byte at which two files differ, read side by side.
pub(super) fn first_file_difference(left: &Path, right: &Path) -> Result<u64, CompareError> {
    let open = |path: &Path| {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|source| CompareError::Io {
                path: path.to_path_buf(),
                source,
            })
    };
    let (mut l, mut r) = (open(left)?, open(right)?);
    let (mut lb, mut rb) = (vec![0u8; CHUNK as usize], vec![0u8; CHUNK as usize]);
    let mut offset = 0u64;
    loop {
        let ln = read_full(&mut l, &mut lb).map_err(|source| CompareError::Io {
            path: left.to_path_buf(),
            source,
        })?;
        let rn = read_full(&mut r, &mut rb).map_err(|source| CompareError::Io {
            path: right.to_path_buf(),
            source,
        })?;
        let same = first_mismatch(&lb[..ln], &rb[..rn]);
        if same < ln.min(rn) as u64 || ln != rn || ln == 0 {
            return Ok(offset + same);
        }
        offset += ln as u64;
    }
}

/// Reads until `buffer` is full or the reader ends.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_diffs_are_cut() {
        let left: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let right: String = (0..1000).map(|i| format!("{}\n", i * 2)).collect();
        let (diff, truncated) = unified_diff("a.py", &left, &right);
        assert!(truncated);
        assert_eq!(diff.lines().count(), DIFF_LINES + 1);
        assert!(
            diff.starts_with("--- left/a.py\n+++ right/a.py\n"),
            "{diff}"
        );
        assert!(diff.trim_end().ends_with("more lines"), "{diff}");
        let (diff, truncated) = unified_diff("a.py", "x\ny\n", "x\nz\n");
        assert!(!truncated);
        assert!(diff.contains("-y\n+z\n"), "{diff}");
    }

    #[test]
    fn record_rows_are_matched_by_path() {
        let left = b"a.py,sha256=A,1\nb.py,sha256=B,2\nx.dist-info/RECORD,,\n";
        let right = b"b.py,sha256=C,2\nc.py,sha256=D,3\nx.dist-info/RECORD,,\n";
        let lines = record_lines(left, right).unwrap();
        let paths: Vec<_> = lines.iter().filter_map(Difference::entry).collect();
        assert_eq!(paths, ["a.py", "b.py", "c.py"]);
        assert_eq!(
            lines[1],
            Difference::RecordLine {
                path: "b.py".into(),
                left: Some("b.py,sha256=B,2".into()),
                right: Some("b.py,sha256=C,2".into()),
            }
        );
        // Same rows in another order: nothing row by row.
        assert_eq!(record_lines(b"a,,\nb,,\n", b"b,,\na,,\n"), Some(Vec::new()));
        assert_eq!(record_lines(b"a,\n", b"a,,\n"), None);
    }

    #[test]
    fn text_files_are_known_by_name() {
        for text in [
            "pkg/mod.py",
            "six-1.0.dist-info/METADATA",
            "x.dist-info/entry_points.txt",
            "RECORD",
            "a/B.PYI",
        ] {
            assert!(is_text(text), "{text}");
        }
        for binary in ["pkg/_speedups.so", "pkg/data.bin", "pkg/py"] {
            assert!(!is_text(binary), "{binary}");
        }
    }

    #[test]
    fn mismatches_are_located() {
        assert_eq!(first_mismatch(b"abc", b"abd"), 2);
        assert_eq!(first_mismatch(b"ab", b"abc"), 2);
        assert_eq!(first_mismatch(b"", b"a"), 0);
    }
}
