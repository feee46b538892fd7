//! A wheel's `RECORD`: its rows read as Python's `csv` module reads them
//! (quoted fields, doubled quotes, `\n` or `\r\n`), and the hashes they
//! name computed the way installers check them (`sha256=` and stronger,
//! urlsafe base64 without padding).
//!
//! Owns the RECORD format. It must not read archives: callers hand it the
//! text and the bytes.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::Digest as _;

/// One row of RECORD: `path,hash,size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub path: String,
    /// `ALGORITHM=DIGEST`, or empty (RECORD itself, signatures).
    pub hash: String,
    /// The size in bytes, or empty.
    pub size: String,
    /// The row as written, without its line ending.
    pub text: String,
    /// Its first line, from 1.
    pub line: usize,
}

/// Why RECORD cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RECORD line {line}: {message}")]
pub struct RecordSyntaxError {
    pub line: usize,
    pub message: String,
}

/// A RECORD read whole: its rows by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    rows: BTreeMap<String, RecordRow>,
}

impl Record {
    /// Reads RECORD's text. A path listed twice is an error: installers
    /// would check one of the two hashes.
    pub fn parse(text: &str) -> Result<Self, RecordSyntaxError> {
        let mut rows = BTreeMap::new();
        for row in csv_rows(text)? {
            let (line, fields, raw) = row;
            let [path, hash, size]: [String; 3] =
                fields
                    .try_into()
                    .map_err(|fields: Vec<String>| RecordSyntaxError {
                        line,
                        message: format!("{} fields, not 3 (path,hash,size)", fields.len()),
                    })?;
            if rows.contains_key(&path) {
                return Err(RecordSyntaxError {
                    line,
                    message: format!("{path} is listed twice"),
                });
            }
            let row = RecordRow {
                path: path.clone(),
                hash,
                size,
                text: raw,
                line,
            };
            rows.insert(path, row);
        }
        Ok(Self { rows })
    }

    pub fn get(&self, path: &str) -> Option<&RecordRow> {
        self.rows.get(path)
    }

    /// The rows, by path.
    pub fn rows(&self) -> impl Iterator<Item = &RecordRow> {
        self.rows.values()
    }
}

/// The rows of a CSV text, as `(first line, fields, text)`; blank lines
/// are skipped.
fn csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>, String)>, RecordSyntaxError> {
    let mut rows = Vec::new();
    let mut reader = CsvReader {
        chars: text.char_indices().peekable(),
        text,
        line: 1,
    };
    while let Some(row) = reader.row()? {
        rows.push(row);
    }
    Ok(rows)
}

struct CsvReader<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    line: usize,
}

impl CsvReader<'_> {
    /// The next non-blank row.
    fn row(&mut self) -> Result<Option<(usize, Vec<String>, String)>, RecordSyntaxError> {
        loop {
            let Some(&(start, _)) = self.chars.peek() else {
                return Ok(None);
            };
            let first_line = self.line;
            let mut fields = vec![self.field()?];
            let mut end = self.text.len();
            while let Some((at, c)) = self.chars.next() {
                match c {
                    ',' => fields.push(self.field()?),
                    '\r' | '\n' => {
                        end = at;
                        self.end_line(c);
                        break;
                    }
                    _ => return Err(self.error("text after a field")),
                }
            }
            let raw = self.text[start..end].to_string();
            if !(fields.len() == 1 && fields[0].is_empty() && raw.is_empty()) {
                return Ok(Some((first_line, fields, raw)));
            }
        }
    }

    fn end_line(&mut self, c: char) {
        if c == '\r' && self.chars.peek().is_some_and(|&(_, n)| n == '\n') {
            self.chars.next();
        }
        self.line += 1;
    }

    /// One field, up to (not including) the comma or line end after it.
    fn field(&mut self) -> Result<String, RecordSyntaxError> {
        let mut field = String::new();
        if self.chars.peek().is_some_and(|&(_, c)| c == '"') {
            self.chars.next();
            return self.quoted(field, self.line);
        }
        while let Some(&(_, c)) = self.chars.peek() {
            if matches!(c, ',' | '\r' | '\n') {
                break;
            }
            if c == '"' {
                return Err(self.error("a quote inside an unquoted field"));
            }
            field.push(c);
            self.chars.next();
        }
        Ok(field)
    }

    fn quoted(&mut self, mut field: String, line: usize) -> Result<String, RecordSyntaxError> {
        loop {
            match self.chars.next() {
                None => {
                    return Err(RecordSyntaxError {
                        line,
                        message: "a quoted field is not closed".into(),
                    });
                }
                Some((_, '"')) => match self.chars.peek() {
                    Some(&(_, '"')) => {
                        self.chars.next();
                        field.push('"');
                    }
                    None | Some(&(_, ',' | '\r' | '\n')) => return Ok(field),
                    Some(_) => return Err(self.error("text after a closing quote")),
                },
                Some((_, c)) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    field.push(c);
                }
            }
        }
    }

    fn error(&self, message: &str) -> RecordSyntaxError {
        RecordSyntaxError {
            line: self.line,
            message: message.into(),
        }
    }
}

/// A hash RECORD may name: the wheel spec requires sha256 or stronger.
enum Algorithm {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

/// Computes the hash a RECORD row names, over bytes as they pass.
pub struct RecordHasher {
    algorithm: Algorithm,
    /// The digest the row expects, urlsafe base64 without padding.
    expected: String,
}

impl RecordHasher {
    /// The hasher for `row`'s hash; `None` when the row has none; an error
    /// naming the algorithm when it is not one the wheel spec allows.
    pub fn for_row(row: &RecordRow) -> Result<Option<Self>, String> {
        if row.hash.is_empty() {
            return Ok(None);
        }
        let (name, digest) = row
            .hash
            .split_once('=')
            .ok_or_else(|| format!("the hash {:?} is not ALGORITHM=DIGEST", row.hash))?;
        let algorithm = match name {
            "sha256" => Algorithm::Sha256(sha2::Sha256::new()),
            "sha384" => Algorithm::Sha384(sha2::Sha384::new()),
            "sha512" => Algorithm::Sha512(sha2::Sha512::new()),
            other => return Err(format!("{other} is not sha256 or stronger")),
        };
        Ok(Some(Self {
            algorithm,
            expected: digest.trim_end_matches('=').to_string(),
        }))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.algorithm {
            Algorithm::Sha256(h) => h.update(bytes),
            Algorithm::Sha384(h) => h.update(bytes),
            Algorithm::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of the bytes when it is not the one expected.
    pub fn mismatch(self) -> Option<String> {
        let digest = match self.algorithm {
            Algorithm::Sha256(h) => encode(&h.finalize()),
            Algorithm::Sha384(h) => encode(&h.finalize()),
            Algorithm::Sha512(h) => encode(&h.finalize()),
        };
        (digest != self.expected).then_some(digest)
    }
}

fn encode(digest: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Whether `name` is a wheel's `*.dist-info/RECORD` (at the top level).
pub fn is_record(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(dir, file)| dir.ends_with(".dist-info") && file == "RECORD")
}

/// Whether `name` is a RECORD signature (`RECORD.jws`, `RECORD.p7s`),
/// which RECORD cannot list with a hash.
pub fn is_record_signature(name: &str) -> bool {
    name.split_once('/').is_some_and(|(dir, file)| {
        dir.ends_with(".dist-info") && matches!(file, "RECORD.jws" | "RECORD.p7s")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_as_python_csv_reads_them() {
        let text = "six.py,sha256=abc,12\r\n\"a,b.py\",sha256=def,3\n\n\"say \"\"hi\"\".py\",,\nsix-1.0.dist-info/RECORD,,";
        let record = Record::parse(text).unwrap();
        let paths: Vec<&str> = record.rows().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "a,b.py",
                "say \"hi\".py",
                "six-1.0.dist-info/RECORD",
                "six.py"
            ]
        );
        let row = record.get("a,b.py").unwrap();
        assert_eq!((row.hash.as_str(), row.size.as_str()), ("sha256=def", "3"));
        assert_eq!(row.text, "\"a,b.py\",sha256=def,3");
        assert_eq!(row.line, 2);
        assert_eq!(record.get("say \"hi\".py").unwrap().line, 4);
        assert_eq!(record.get("six.py").unwrap().text, "six.py,sha256=abc,12");
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line() {
        for (text, line, words) in [
            ("a.py,sha256=x\n", 1, "2 fields"),
            ("a.py,,\nb.py,,,\n", 2, "4 fields"),
            ("a.py,,\n\"b.py,,\n", 2, "not closed"),
            ("\"b\"x.py,,\n", 1, "after a closing quote"),
            ("b\"x.py,,\n", 1, "quote inside"),
            ("a.py,,\na.py,,\n", 2, "listed twice"),
        ] {
            let error = Record::parse(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}: {error}");
            assert!(error.to_string().contains(words), "{text:?}: {error}");
        }
    }

    #[test]
    fn hashes_are_checked_as_installers_check_them() {
        let row = |hash: &str| RecordRow {
            path: "a".into(),
            hash: hash.into(),
            size: String::new(),
            text: String::new(),
            line: 1,
        };
        // `python3 -c "import hashlib,base64; print(base64.urlsafe_b64encode(hashlib.sha256(b'hello').digest()))"`
        let good = "sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ";
        let mut hasher = RecordHasher::for_row(&row(good)).unwrap().unwrap();
        hasher.update(b"hel");
        hasher.update(b"lo");
        assert_eq!(hasher.mismatch(), None);
        let mut hasher = RecordHasher::for_row(&row(&format!("{good}=")))
            .unwrap()
            .unwrap();
        hasher.update(b"hello!");
        assert!(hasher.mismatch().is_some());
        assert!(RecordHasher::for_row(&row("")).unwrap().is_none());
        let weak = RecordHasher::for_row(&row("md5=abc")).err().unwrap();
        assert!(weak.contains("md5 is not sha256 or stronger"), "{weak}");
        assert!(RecordHasher::for_row(&row("sha256")).is_err());
    }

    #[test]
    fn record_and_signatures_are_found_at_the_top_level() {
        assert!(is_record("six-1.0.dist-info/RECORD"));
        assert!(!is_record("six/RECORD"));
        assert!(!is_record("a/six-1.0.dist-info/RECORD"));
        assert!(is_record_signature("six-1.0.dist-info/RECORD.jws"));
        assert!(!is_record_signature("six-1.0.dist-info/RECORD"));
    }
}
