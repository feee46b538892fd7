//! The index most self-hosted setups have: a folder of files behind plain
//! PEP 503 HTML pages, as pypiserver serves it. Links carry a sha256 and
//! nothing else: no `data-requires-python`, no PEP 658 metadata, no yanking.
//! The same folder doubles as a `--find-links` folder.

use std::path::{Path, PathBuf};

use super::index::sha256_hex;
use super::{HttpServer, Response};

pub struct PlainIndex {
    pub server: HttpServer,
    pub dir: PathBuf,
}

/// The file name's project part, PEP 503-normalised (`Foo_Bar-1.0-...` -> `foo-bar`).
fn project_of(filename: &str) -> String {
    let stem = filename.split('-').next().unwrap_or_default();
    chiron::python::normalize(stem)
}

impl PlainIndex {
    /// Serves every file in `dir` (read at each request, so files added
    /// later are listed too).
    pub fn serve(dir: &Path) -> Self {
        let root = dir.to_path_buf();
        let server = HttpServer::start(move |request| {
            let path = request.path.split('?').next().unwrap_or_default();
            if let Some(name) = path.strip_prefix("/simple/") {
                let name = chiron::python::normalize(name.trim_end_matches('/'));
                let mut links = String::from("<!DOCTYPE html><html><body>\n");
                let mut names: Vec<String> = std::fs::read_dir(&root)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|f| project_of(f) == name)
                    .collect();
                if names.is_empty() {
                    return Response::new(404, "text/html", "Not Found");
                }
                names.sort();
                for file in names {
                    let bytes = std::fs::read(root.join(&file)).unwrap();
                    links.push_str(&format!(
                        "<a href=\"/packages/{file}#sha256={}\">{file}</a><br>\n",
                        sha256_hex(&bytes)
                    ));
                }
                links.push_str("</body></html>\n");
                return Response::new(200, "text/html", links);
            }
            if let Some(file) = path.strip_prefix("/packages/")
                && let Ok(bytes) = std::fs::read(root.join(file))
            {
                return Response::new(200, "application/octet-stream", bytes);
            }
            Response::new(404, "text/html", "Not Found")
        });
        Self {
            server,
            dir: dir.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        self.server.url("/simple")
    }

    /// Puts a file in the folder under `filename`.
    pub fn put(&self, filename: &str, bytes: &[u8]) {
        std::fs::write(self.dir.join(filename), bytes).unwrap();
    }

    /// Builds a wheel and puts it in the folder; returns its file name.
    pub fn add(&self, spec: &super::index::WheelSpec) -> String {
        let (filename, bytes, _) = super::index::build_wheel(spec);
        self.put(&filename, &bytes);
        filename
    }
}
