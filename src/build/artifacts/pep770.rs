//! PEP 770: an SBOM inside a wheel, at `NAME-VERSION.dist-info/sboms/`,
//! listed in `RECORD` with its hash so that the wheel stays valid. Every
//! other entry is copied as it is (compressed bytes, time, mode); `RECORD`
//! is written anew with one line more, and the SBOM's entry goes just
//! before it. Writing the same SBOM again replaces the first one.

use std::io::{Read, Write};
use std::path::Path;

use base64::Engine as _;

/// The SBOM's file name in `.dist-info/sboms/`.
pub const SBOM_FILE: &str = "chiron.cdx.json";

type Archive = zip::ZipArchive<std::fs::File>;

/// The top-level `.dist-info/RECORD` of a wheel: its entry name and text.
struct Record {
    name: String,
    text: String,
}

impl Record {
    fn read(archive: &mut Archive) -> Result<Self, String> {
        let name = archive
            .file_names()
            .filter_map(Result::ok)
            .find(|n| n.ends_with(".dist-info/RECORD") && n.matches('/').count() == 1)
            .map(|n| n.into_owned())
            .ok_or("has no .dist-info/RECORD")?;
        let mut text = String::new();
        archive
            .by_name(&name)
            .map_err(|e| e.to_string())?
            .take(64 << 20)
            .read_to_string(&mut text)
            .map_err(|e| format!("unreadable RECORD: {e}"))?;
        Ok(Self { name, text })
    }

    /// Where the SBOM goes: `NAME-VERSION.dist-info/sboms/chiron.cdx.json`.
    fn sbom_entry(&self) -> String {
        let dist_info = self.name.trim_end_matches("RECORD");
        format!("{dist_info}sboms/{SBOM_FILE}")
    }

    /// The RECORD with `entry` listed (hash and size of `bytes`) just
    /// before RECORD's own line, any earlier line for it dropped; the line
    /// ending the file already uses.
    fn with_entry(&self, entry: &str, bytes: &[u8]) -> String {
        let newline = if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let digest =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::digest::sha256(bytes));
        let added = format!("{entry},sha256={digest},{}", bytes.len());
        let mut lines: Vec<&str> = self
            .text
            .lines()
            .filter(|line| !line.trim().is_empty() && record_path(line) != entry)
            .collect();
        let at = lines
            .iter()
            .position(|line| record_path(line) == self.name)
            .unwrap_or(lines.len());
        lines.insert(at, &added);
        lines
            .iter()
            .map(|line| format!("{line}{newline}"))
            .collect()
    }
}

/// The path a RECORD line lists (CSV: quoted when it holds a comma).
fn record_path(line: &str) -> String {
    match line.strip_prefix('"') {
        Some(quoted) => quoted
            .split_once("\",")
            .map(|(path, _)| path.replace("\"\"", "\""))
            .unwrap_or_default(),
        None => line.split(',').next().unwrap_or_default().to_string(),
    }
}

/// Writes `sbom` into the wheel at `path` (replaced in one rename); the
/// error says what made the wheel unusable.
pub fn inject(path: &Path, sbom: &[u8]) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    let record = Record::read(&mut archive)?;
    let mut temp = crate::atomic::temp_file_beside(path).map_err(|e| e.to_string())?;
    {
        let mut writer = zip::ZipWriter::new(std::io::BufWriter::new(temp.as_file_mut()));
        copy_with_sbom(&mut archive, &record, sbom, &mut writer).map_err(|e| e.to_string())?;
        let mut buffered = writer.finish().map_err(|e| e.to_string())?;
        buffered.flush().map_err(|e| e.to_string())?;
    }
    temp.as_file().sync_all().map_err(|e| e.to_string())?;
    temp.persist(path).map_err(|e| e.error.to_string())?;
    Ok(())
}

/// Every entry of `archive` but an earlier copy of the SBOM, raw; the
/// SBOM and the new RECORD where the RECORD was.
fn copy_with_sbom<W: Write + std::io::Seek>(
    archive: &mut Archive,
    record: &Record,
    sbom: &[u8],
    writer: &mut zip::ZipWriter<W>,
) -> zip::result::ZipResult<()> {
    let sbom_entry = record.sbom_entry();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i)?;
        let name = entry.name()?.into_owned();
        if name == sbom_entry {
            continue;
        }
        if name != record.name {
            writer.raw_copy_file(entry)?;
            continue;
        }
        // The new entries look like the RECORD they sit beside.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(entry.compression())
            .last_modified_time(entry.last_modified().unwrap_or_default())
            .unix_permissions(entry.unix_mode().unwrap_or(0o644));
        drop(entry);
        writer.start_file(sbom_entry.as_str(), options)?;
        writer.write_all(sbom)?;
        writer.start_file(record.name.as_str(), options)?;
        writer.write_all(record.with_entry(&sbom_entry, sbom).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> Record {
        Record {
            name: "demo-1.0.dist-info/RECORD".into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_sbom_is_listed_before_the_record_in_its_line_endings() {
        let entry = "demo-1.0.dist-info/sboms/chiron.cdx.json";
        let plain = record("demo/__init__.py,sha256=abc,6\ndemo-1.0.dist-info/RECORD,,\n");
        assert_eq!(
            plain.with_entry(entry, b"{}"),
            format!(
                "demo/__init__.py,sha256=abc,6\n{entry},sha256=RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o,2\ndemo-1.0.dist-info/RECORD,,\n"
            )
        );
        let crlf = record("a.py,sha256=x,1\r\ndemo-1.0.dist-info/RECORD,,\r\n");
        assert!(
            crlf.with_entry(entry, b"{}")
                .ends_with(",2\r\ndemo-1.0.dist-info/RECORD,,\r\n")
        );
    }

    #[test]
    fn a_second_sbom_replaces_the_first_line() {
        let entry = "demo-1.0.dist-info/sboms/chiron.cdx.json";
        let once = record("demo-1.0.dist-info/RECORD,,\n").with_entry(entry, b"one");
        let twice = record(&once).with_entry(entry, b"two");
        assert_eq!(twice.matches(entry).count(), 1);
        assert_eq!(
            twice,
            record("demo-1.0.dist-info/RECORD,,\n").with_entry(entry, b"two")
        );
    }

    #[test]
    fn record_paths_are_read_as_csv() {
        assert_eq!(record_path("a.py,sha256=x,1"), "a.py");
        assert_eq!(record_path("\"a,\"\"b\"\".py\",sha256=x,1"), "a,\"b\".py");
        assert_eq!(record_path("\"unterminated"), "");
    }
}
