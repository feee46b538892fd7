//! Find-links sources: a local folder of wheels and sdists (each file
//! hashed from its bytes: the folder is the source of truth) or a flat HTML
//! page of links; and the rule that a remote page may only link to remote
//! files.
//!
//! Owns listing a package's files from one find-links source. It must not
//! pick among them (`select` does) nor download them (`store` does), and a
//! page fetched over the network must never make chiron read a local file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pep508_rs::PackageName;
use url::Url;

use super::error::IndexError;
use super::http::Transport;
use super::page_cache::PageCache;
use super::simple::{IndexFile, parse_html};
use crate::python::filename::DistFilename;
use crate::redact::redact_url;

/// The files of `package` that the find-links source `link` offers: a URL
/// is read as a flat page (through the page cache, at most
/// `max_page_bytes`), anything else as a folder.
pub(super) async fn files(
    pages: &PageCache,
    transport: &Transport,
    link: &str,
    package: &PackageName,
    max_page_bytes: u64,
) -> Result<Vec<IndexFile>, IndexError> {
    let is_url = link.contains("://") && !link.starts_with("file://");
    let mut files = if is_url {
        match pages.get(transport, link, max_page_bytes, "page").await? {
            Some(page) => {
                let url = Url::parse(&page.url).map_err(|e| IndexError::BadUrl {
                    url: redact_url(&page.url),
                    message: e.to_string(),
                })?;
                own_scheme_only(&url, parse_html(&url, &redact_url(link), &page.body)?)
            }
            None => Vec::new(),
        }
    } else {
        let dir = super::file_url_path_str(link).unwrap_or_else(|| PathBuf::from(link));
        local_files(&dir, &redact_url(link), package)?
    };
    files.retain(|f| {
        DistFilename::parse(&f.filename, Some(package)).is_some_and(|d| d.name() == package)
    });
    Ok(files)
}

/// The files of a page fetched from `page_url` whose URLs keep to its
/// scheme family: http(s) links on an http(s) page, `file:` links only on a
/// local one. A remote index must not make chiron read local files, so any
/// other link is dropped with a warning naming it.
pub(super) fn own_scheme_only(page_url: &Url, files: Vec<IndexFile>) -> Vec<IndexFile> {
    let (kept, dropped) = super::simple::split_by_scheme(page_url, files);
    for file in &dropped {
        tracing::warn!(
            "{}: skipping the link {} to {}: an index page may only link to http(s) files; local files come only from --find-links folders you give",
            redact_url(page_url.as_str()),
            file.filename,
            redact_url(&file.url)
        );
    }
    kept
}

/// Files of a local find-links folder whose names belong to `package`,
/// hashed from their bytes (the folder is the source of truth).
fn local_files(
    dir: &Path,
    source: &str,
    package: &PackageName,
) -> Result<Vec<IndexFile>, IndexError> {
    let io = |source| IndexError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let belongs =
            DistFilename::parse(&name, Some(package)).is_some_and(|d| d.name() == package);
        if !belongs || !entry.path().is_file() {
            continue;
        }
        let path = entry.path();
        let (sha256, size) = crate::digest::hash_file(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let url = Url::from_file_path(std::path::absolute(&path).unwrap_or(path.clone()))
            .map_err(|_| IndexError::NotAFileUrl { path: path.clone() })?;
        files.push(IndexFile {
            filename: name,
            url: url.to_string(),
            hashes: BTreeMap::from([("sha256".to_string(), sha256)]),
            requires_python: None,
            yanked: None,
            metadata: None,
            size: Some(size),
            upload_time: None,
            source: source.to_string(),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_offers_the_package_files_hashed_from_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("demo_pkg-1.0-py3-none-any.whl"), b"wheel").unwrap();
        std::fs::write(dir.path().join("demo-pkg-0.9.tar.gz"), b"sdist").unwrap();
        std::fs::write(dir.path().join("other-1.0-py3-none-any.whl"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        // A folder with a distribution's name is not a file.
        std::fs::create_dir(dir.path().join("demo_pkg-2.0-py3-none-any.whl")).unwrap();
        let package = PackageName::new("Demo.Pkg".into()).unwrap();
        let files = local_files(dir.path(), "./wheels", &package).unwrap();
        let listed: Vec<_> = files
            .iter()
            .map(|f| (f.filename.as_str(), f.sha256(), f.size, f.source.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                (
                    "demo-pkg-0.9.tar.gz",
                    Some(crate::digest::sha256_hex(b"sdist").as_str()),
                    Some(5),
                    "./wheels"
                ),
                (
                    "demo_pkg-1.0-py3-none-any.whl",
                    Some(crate::digest::sha256_hex(b"wheel").as_str()),
                    Some(5),
                    "./wheels"
                ),
            ]
        );
        assert!(files.iter().all(|f| f.url.starts_with("file://")));
        assert!(matches!(
            local_files(&dir.path().join("missing"), "x", &package),
            Err(IndexError::Io { .. })
        ));
    }
}
