//! The offline OSV database: a folder of OSV JSON records, or the zip
//! osv.dev exports per ecosystem, loaded into an [`OsvIndex`].
//!
//! Below the scan (`vuln`) and `--update-db` (`api`), which both load it.
//! It must not reach the network.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::osv::{OsvIndex, OsvRecord};

/// A database that cannot be read, and why.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the OSV database {}: {message}", path.display())]
pub struct DatabaseError {
    pub path: PathBuf,
    pub message: String,
}

/// The most one record may expand to (zip bombs).
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Loads every OSV record of a folder (recursively) or of a zip export.
/// Files that are not OSV records are skipped with a warning.
pub fn load_database(path: &Path) -> Result<OsvIndex, DatabaseError> {
    load_database_for(path, None)
}

/// Like `load_database`, keeping only records that concern one of `names`
/// (normalised): a scan of 200 packages need not hold 20,000 records.
pub fn load_database_for(
    path: &Path,
    names: Option<&BTreeSet<String>>,
) -> Result<OsvIndex, DatabaseError> {
    let error = |message: String| DatabaseError {
        path: path.to_path_buf(),
        message,
    };
    let mut index = OsvIndex::default();
    let mut add = |name: &str, text: &str| match serde_json::from_str::<OsvRecord>(text) {
        Ok(record) => {
            let wanted = names.is_none_or(|names| {
                record
                    .affected
                    .iter()
                    .filter_map(|a| a.package.as_ref())
                    .any(|p| names.contains(&crate::python::normalize(&p.name)))
            });
            if wanted {
                index.insert(record);
            } else {
                index.skipped += 1;
            }
        }
        Err(e) => tracing::warn!("{name} is not an OSV record: {e}"),
    };
    if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        let mut files = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| error(e.to_string()))? {
                let entry = entry.map_err(|e| error(e.to_string()))?;
                let entry_path = entry.path();
                if entry_path.is_dir() {
                    stack.push(entry_path);
                } else if entry_path.extension().is_some_and(|e| e == "json") {
                    files.push(entry_path);
                }
            }
        }
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| error(format!("{}: {e}", file.display())))?;
            add(&file.display().to_string(), &text);
        }
    } else if path.is_file() {
        let file = std::fs::File::open(path).map_err(|e| error(e.to_string()))?;
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| error(format!("not a zip archive: {e}")))?;
        for i in 0..archive.len() {
            let entry = archive.by_index(i).map_err(|e| error(e.to_string()))?;
            let Ok(name) = entry.name().map(|n| n.into_owned()) else {
                continue;
            };
            if !name.ends_with(".json") {
                continue;
            }
            let mut text = String::new();
            entry
                .take(MAX_RECORD_BYTES)
                .read_to_string(&mut text)
                .map_err(|e| error(format!("{name}: {e}")))?;
            add(&name, &text);
        }
    } else {
        return Err(error("no such file or folder".into()));
    }
    Ok(index)
}
