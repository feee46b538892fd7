//! The index client as a library: PEP 658 metadata files, flat find-links
//! pages, and pages in both formats.

use std::str::FromStr;

use crate::support::index::{Fault, PageFormat, TestIndex, WheelSpec};
use crate::support::{HttpServer, Response};
use chiron::index::client::{ClientSettings, IndexClient, IndexError};
use pep508_rs::PackageName;

fn client(
    index_urls: Vec<String>,
    find_links: Vec<String>,
    cache: &std::path::Path,
) -> IndexClient {
    let mut settings = ClientSettings::new(index_urls, cache.to_path_buf());
    settings.find_links = find_links;
    settings.netrc = None;
    IndexClient::new(settings).unwrap()
}

#[tokio::test]
async fn pep658_metadata_is_fetched_and_verified() {
    let cache = tempfile::tempdir().unwrap();
    for format in [PageFormat::Json, PageFormat::Html] {
        let index = TestIndex::start(format, true);
        index.add(&WheelSpec {
            requires_dist: &["idna>=3", "pysocks; extra == 'socks'"],
            requires_python: Some(">=3.9"),
            ..WheelSpec::new("omega", "3.1", "py3-none-any")
        });
        let client = client(vec![index.url()], vec![], cache.path());
        let files = client
            .project_files(&PackageName::from_str("omega").unwrap())
            .await
            .unwrap();
        let metadata = client
            .file_metadata(&files[0])
            .await
            .unwrap()
            .expect("metadata offered");
        assert_eq!(metadata.version, "3.1");
        assert_eq!(metadata.requires_dist.len(), 2);
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.9");
        // Only the small metadata file was read, never the wheel.
        assert_eq!(index.downloads("omega-3.1-py3-none-any.whl"), 0);
    }
}

#[tokio::test]
async fn a_metadata_file_with_the_wrong_hash_is_refused() {
    let cache = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    let file = index.add(&WheelSpec::new("omega", "3.1", "py3-none-any"));
    index.fault(&file.filename, Fault::WrongMetadataHash);
    let client = client(vec![index.url()], vec![], cache.path());
    let files = client
        .project_files(&PackageName::from_str("omega").unwrap())
        .await
        .unwrap();
    let error = client.file_metadata(&files[0]).await.unwrap_err();
    assert!(matches!(error, IndexError::HashMismatch { .. }), "{error}");
    assert!(error.to_string().contains(".metadata"), "{error}");
}

#[tokio::test]
async fn no_metadata_file_means_none() {
    let cache = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    index.add(&WheelSpec::new("omega", "3.1", "py3-none-any"));
    let client = client(vec![index.url()], vec![], cache.path());
    let files = client
        .project_files(&PackageName::from_str("omega").unwrap())
        .await
        .unwrap();
    assert!(client.file_metadata(&files[0]).await.unwrap().is_none());
}

#[tokio::test]
async fn flat_find_links_pages_list_files() {
    let cache = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, false);
    let served = index.add(&WheelSpec::new("omega", "3.1", "py3-none-any"));
    index.add(&WheelSpec::new("other", "1.0", "py3-none-any"));
    let file_url = index.server.url(&format!("/files/{}", served.filename));
    let sha = served.sha256.clone();
    let page = HttpServer::start(move |_| {
        Response::new(
            200,
            "text/html",
            format!(
                "<html><a href=\"{file_url}#sha256={sha}\">omega</a> <a href=\"other-1.0-py3-none-any.whl\">x</a></html>"
            ),
        )
    });
    let client = client(vec![], vec![page.url("/wheels/")], cache.path());
    let files = client
        .project_files(&PackageName::from_str("omega").unwrap())
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].sha256(), Some(served.sha256.as_str()));
    let dest = tempfile::tempdir().unwrap();
    let done = client
        .download(&files[0], dest.path(), false)
        .await
        .unwrap();
    assert_eq!(done.sha256.to_string(), served.sha256);

    let error = client
        .project_files(&PackageName::from_str("missing").unwrap())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("was not found on"), "{error}");
    assert!(error.hint().unwrap().contains("--find-links"));
}
