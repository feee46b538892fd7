//! One test per parser: the input reaches it as a user's file, flag or a
//! server's response would.

use std::str::FromStr;

use super::{Scratch, fuzz, target, text};

#[test]
fn requirements_txt() {
    let scratch = Scratch::new();
    fuzz("requirements_txt", &mut |bytes| {
        let path = scratch.write("requirements.txt", bytes);
        let _ = chiron::lock::requirements_txt::read_requirements(&path, &|_| None);
    });
}

#[test]
fn pep508() {
    fuzz("pep508", &mut |bytes| {
        let text = text(bytes);
        for line in text.lines().chain(std::iter::once(text.as_ref())) {
            if let Ok(requirement) =
                pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(line)
            {
                let _ = requirement.to_string();
                let _ = requirement.marker.evaluate(&marker_env(), &[]);
            }
            let _ = pep508_rs::MarkerTree::from_str(line);
            let _ = pep508_rs::PackageName::from_str(line);
            let _ = pep440_rs::VersionSpecifiers::from_str(line);
            let _ = pep440_rs::Version::from_str(line);
        }
    });
}

fn marker_env() -> pep508_rs::MarkerEnvironment {
    pep508_rs::MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.7",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1",
        platform_system: "Linux",
        platform_version: "#1",
        python_full_version: "3.11.7",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .unwrap()
}

#[test]
fn filenames() {
    use chiron::python::filename::{DistFilename, SdistFilename, WheelFilename};
    fuzz("filenames", &mut |bytes| {
        let text = text(bytes);
        let _ = WheelFilename::from_str(&text);
        let _ = SdistFilename::parse(&text, None);
        let _ = DistFilename::parse(&text, None);
        if let Ok(name) = pep508_rs::PackageName::from_str("six") {
            let _ = SdistFilename::parse(&text, Some(&name));
            let _ = DistFilename::parse(&text, Some(&name));
        }
    });
}

#[test]
fn metadata() {
    fuzz("metadata", &mut |bytes| {
        if let Ok(metadata) = chiron::python::metadata::CoreMetadata::parse(&text(bytes), "fuzz") {
            let _ = metadata.package_name();
            let _ = metadata.parsed_version();
            let _ = chiron::sbom::license::license_of(&metadata);
        }
    });
}

#[test]
fn spdx_expressions() {
    fuzz("spdx", &mut |bytes| {
        let _ = chiron::sbom::license::spdx_expression(&text(bytes));
    });
}

/// A wheel holding `RECORD` as given (and one file it may list).
fn wheel_with_record(record: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("six.py", options).unwrap();
    zip.write_all(b"x = 1\n").unwrap();
    zip.start_file("six-1.0.dist-info/RECORD", options).unwrap();
    zip.write_all(record).unwrap();
    zip.finish().unwrap();
    buffer.into_inner()
}

#[test]
fn wheel_record() {
    let scratch = Scratch::new();
    fuzz("record", &mut |bytes| {
        let path = scratch.write("six-1.0-py3-none-any.whl", &wheel_with_record(bytes));
        let _ = chiron::bundle::verify::check_record(&path, "six-1.0-py3-none-any.whl");
    });
}

#[test]
fn zip_archives() {
    let scratch = Scratch::new();
    fuzz("zip", &mut |bytes| {
        let path = scratch.write("six-1.0-py3-none-any.whl", bytes);
        let _ = chiron::bundle::verify::check_record(&path, "six-1.0-py3-none-any.whl");
    });
}

#[test]
fn simple_api_html() {
    let url = url::Url::parse("https://pypi.example/simple/six/").unwrap();
    fuzz("simple_html", &mut |bytes| {
        let _ = chiron::index::simple::parse_html(&url, "fuzz", &text(bytes));
    });
}

#[test]
fn simple_api_json() {
    let url = url::Url::parse("https://pypi.example/simple/six/").unwrap();
    fuzz("simple_json", &mut |bytes| {
        let _ = chiron::index::simple::parse_json(&url, "fuzz", &text(bytes));
    });
}

#[test]
fn pylock_toml() {
    let scratch = Scratch::new();
    let target = target();
    fuzz("pylock", &mut |bytes| {
        let path = scratch.write("pylock.toml", bytes);
        if let Ok(lock) = chiron::lock::pylock::read_pylock(&path) {
            let _ = chiron::lock::pylock::locked_versions(&lock, &target);
            let _ = chiron::lock::pylock::pins_for_target(&lock, &path, &target);
            let _ = chiron::lock::pylock::recorded_targets(&lock);
        }
    });
}

#[test]
fn uv_lock() {
    let scratch = Scratch::new();
    let target = target();
    fuzz("uv_lock", &mut |bytes| {
        let path = scratch.write("uv.lock", bytes);
        if let Ok(lock) = chiron::lock::uv_lock::read_uv_lock(&path) {
            let _ = chiron::lock::uv_lock::locked_versions(&lock, &target);
            let _ = chiron::lock::uv_lock::pins_for_target(&lock, &path, &target, &[], &[], false);
            let _ = chiron::lock::uv_lock::pins_for_target(
                &lock,
                &path,
                &target,
                &["all".to_string()],
                &["dev".to_string()],
                true,
            );
        }
    });
}

#[test]
fn manifest_json() {
    let scratch = Scratch::new();
    fuzz("manifest", &mut |bytes| {
        let path = scratch.write("manifest.json", bytes);
        let _ = chiron::inventory::load(&path);
    });
}

#[test]
fn chiron_toml() {
    let scratch = Scratch::new();
    let env = chiron::config::Env::from_pairs(Vec::<(String, String)>::new());
    fuzz("chiron_toml", &mut |bytes| {
        let path = scratch.write("chiron.toml", bytes);
        let options = chiron::config::LoadOptions {
            explicit: Some(path.clone()),
            cwd: scratch.root.clone(),
            offline: true,
        };
        if let Ok(loaded) = chiron::config::load(&options, &env) {
            let _ = chiron::policy::Rules::new(&loaded.config.policy, &[]);
        }
    });
}

#[test]
fn pyproject_toml() {
    let scratch = Scratch::new();
    fuzz("pyproject", &mut |bytes| {
        let path = scratch.write("pyproject.toml", bytes);
        let _ = chiron::project::scan_project(&scratch.root);
        let _ = chiron::build::system::BuildSystem::read(&scratch.root);
        let _ = chiron::project::pyproject_requirements(
            &path,
            &["all".to_string()],
            &["dev".to_string()],
        );
    });
}

#[test]
fn osv_records() {
    let scratch = Scratch::new();
    fuzz("osv", &mut |bytes| {
        let path = scratch.write("osv.json", bytes);
        if let Ok(index) = chiron::vuln::database::load_database(&path) {
            for name in ["six", "jinja2", "requests"] {
                let records = index.records(name);
                for version in ["1.0", "2.0.0rc1", "0"] {
                    let _ = chiron::vuln::osv::findings_for(&records, name, version);
                    let _ = chiron::vuln::osv::smallest_fix(&records, name, version);
                }
                for record in records {
                    let _ = chiron::vuln::osv::severity_of(record);
                }
            }
        }
    });
}

#[test]
fn cosign_keys() {
    fuzz("cosign_keys", &mut |bytes| {
        let text = text(bytes);
        let _ = chiron::sign::PublicKey::from_pem(&text, "fuzz");
        let _ = chiron::sign::KeyPair::from_encrypted_pem(&text, b"password", "fuzz");
        let _ = chiron::sign::parse_pem(&text);
    });
}

#[test]
fn cosign_signatures() {
    let pair = chiron::sign::KeyPair::generate().unwrap();
    let key = chiron::sign::PublicKey::from_pem(&pair.public_pem(), "fuzz").unwrap();
    fuzz("cosign_signatures", &mut |bytes| {
        let _ = key.verify_blob(b"release 1.0\n", &text(bytes), "fuzz");
    });
}

#[test]
fn sigstore_bundles() {
    let root_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/sigstore/trusted_root.production.json"
    ))
    .or_else(|_| {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fuzz/trusted_root.json"
        ))
    })
    .unwrap();
    let root = chiron::sign::sigstore::TrustedRoot::parse(&root_text).unwrap();
    let expected = chiron::sign::sigstore::Expected::Identity {
        identity: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
        issuer: "https://token.actions.githubusercontent.com",
    };
    // A managed key (the conformance suite's), for bundles with a key hint.
    let key = chiron::sign::parse_pem(concat!(
        "-----BEGIN PUBLIC KEY-----\n",
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh\n",
        "fwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==\n",
        "-----END PUBLIC KEY-----\n"
    ))
    .unwrap()
    .1;
    let with_key = chiron::sign::sigstore::Expected::Key(&key);
    fuzz("sigstore_bundles", &mut |bytes| {
        let text = text(bytes);
        let _ = chiron::sign::sigstore::verify_bundle(&text, b"a\n", &root, &expected);
        let _ = chiron::sign::sigstore::verify_bundle(&text, b"a\n", &root, &with_key);
        let _ = chiron::sign::sigstore::TrustedRoot::parse(&text);
    });
}

#[test]
fn tar_gz_bundles() {
    let scratch = Scratch::new();
    fuzz("tar_gz", &mut |bytes| {
        // Plain tar seeds are compressed here, so that mutations reach the
        // tar headers rather than break the gzip checksum.
        let compressed;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            bytes
        } else {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(bytes).unwrap();
            compressed = gz.finish().unwrap();
            &compressed
        };
        let path = scratch.write("bundle.tar.gz", bytes);
        let _ = chiron::bundle::archive::read_bundle(&path, Some(1 << 24), &mut |_, data| {
            std::io::copy(data, &mut std::io::sink())
                .map(|_| ())
                .map_err(|e| chiron::bundle::archive::ArchiveError::Io {
                    archive: "fuzz".into(),
                    message: e.to_string(),
                })
        });
        let _ = chiron::bundle::archive::read_entry(&path, "manifest.json", 1 << 20);
    });
}

#[test]
fn netrc_and_urls() {
    let scratch = Scratch::new();
    fuzz("netrc", &mut |bytes| {
        let path = scratch.write("netrc", bytes);
        let mut credentials = chiron::index::auth::Credentials::default();
        credentials.load_netrc(&path);
        let text = text(bytes);
        credentials.learn_from_url(text.lines().next().unwrap_or(""));
        let _ = credentials.for_url("https://user@pypi.example.invalid/simple/");
        let _ = credentials.for_url(&text);
        let _ = chiron::oci::Reference::parse(text.lines().next().unwrap_or(""));
    });
}

#[test]
fn small_values() {
    fuzz("small_values", &mut |bytes| {
        let text = text(bytes);
        let _ = chiron::time::parse(&text);
        let _ = chiron::config::Age::from_str(&text);
        let _ = chiron::time::Date::from_str(&text);
        let _ = chiron::python::version::PythonVersion::from_str(&text);
        let _ = chiron::python::target::Platform::from_str(&text);
    });
}

/// Built wheels and sdists: compared with a fixed base of their kind, then
/// normalised in place (`chiron build --check`, `--compare`).
#[test]
fn build_archives() {
    use chiron::build::archive::Limits;
    use chiron::build::{compare, normalize};
    let scratch = Scratch::new();
    let limits = Limits {
        max_entries: 1000,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_metadata_bytes: 1 << 20,
    };
    let base_wheel = scratch.write(
        "base-1.0-py3-none-any.whl",
        include_bytes!("corpus/build_archives/base.whl"),
    );
    let base_sdist = scratch.write(
        "base-1.0.tar.gz",
        include_bytes!("corpus/build_archives/base.tar.gz"),
    );
    fuzz("build_archives", &mut |bytes| {
        let (name, base, input) = if bytes.starts_with(b"PK") {
            ("demo-1.0-py3-none-any.whl", &base_wheel, bytes.to_vec())
        } else if bytes.starts_with(&[0x1f, 0x8b]) {
            ("demo-1.0.tar.gz", &base_sdist, bytes.to_vec())
        } else {
            // Plain tar seeds are compressed here, so that mutations reach
            // the tar headers rather than break the gzip checksum.
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(bytes).unwrap();
            ("demo-1.0.tar.gz", &base_sdist, gz.finish().unwrap())
        };
        let path = scratch.write(name, &input);
        if let Ok(comparison) = compare::compare_with_limits(base, &path, &limits) {
            let _ = comparison.render();
            let _ = serde_json::to_string(&comparison);
        }
        let _ = if name.ends_with(".whl") {
            normalize::normalize_wheel_with_limits(&path, 1_600_000_000, &limits)
        } else {
            normalize::normalize_sdist_with_limits(&path, 1_600_000_000, &limits)
        };
    });
}

/// What `chiron release` reads: commit messages, tag names, the version in
/// pyproject.toml and the files that carry it, and the changelog.
#[test]
fn release_texts() {
    use chiron::release::version_files::{VersionFile, project_version};
    fuzz("release_texts", &mut |bytes| {
        let text = text(bytes);
        let _ = chiron::release::commits::parse(&text);
        let first = text.lines().next().unwrap_or("");
        if let Ok(pattern) = chiron::release::tags::TagPattern::new(first, "pkg-a") {
            for line in text.lines() {
                let _ = pattern.version_of(line);
            }
        }
        let _ = project_version(std::path::Path::new("pyproject.toml"), &text);
        for spec in [
            "pyproject.toml",
            "pyproject.toml:tool.poetry.version",
            "x.py:__version__",
        ] {
            let file = VersionFile::from_str(spec).expect("a valid spec");
            if file.read(&text).is_ok() {
                let _ = file.rewrite(&text, "9.9.9");
            }
        }
        let _ = VersionFile::from_str(first);
        let _ =
            chiron::release::changelog::prepend(Some(&text), "## [9.9.9] - 2026-01-01\n", "9.9.9");
    });
}

/// The core metadata a wheel or sdist carries, as `chiron publish` turns
/// it into the upload form.
#[test]
fn upload_metadata() {
    fuzz("upload_metadata", &mut |bytes| {
        let _ = chiron::publish::metadata::parse(&text(bytes));
    });
}

/// Raw HTTP requests to a running `chiron serve` with uploads allowed: the
/// request line and path (routes, percent-decoding, traversal), `Accept`
/// and `?format=`, `Range`, `If-None-Match`, `Accept-Encoding`, Basic
/// credentials and the multipart upload form. A panic on any of the
/// server's threads fails the case, and so does a server that stops
/// answering `/healthz`.
#[test]
fn serve_requests() {
    let server = serving::FuzzServer::start();
    fuzz("serve_requests", &mut |bytes| server.exchange(bytes));
}

mod serving {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, Once};
    use std::time::Duration;

    use chiron::serve::{ServerOptions, SourceSpec, Tokens, UploadSettings, Uploads};
    use chiron::workflow::serve::IndexInputs;

    /// The token the upload seeds carry (`__token__:fuzz-token`).
    const TOKEN: &[u8] = b"fuzz-token";

    static SERVER_PANICKED: AtomicBool = AtomicBool::new(false);
    static PANIC_TEXT: Mutex<String> = Mutex::new(String::new());

    /// Records a panic on a thread of the server's runtime, then lets the
    /// hook the harness installed have it too.
    fn watch_server_threads() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let name = std::thread::current().name().unwrap_or("").to_string();
                if name.starts_with("fuzz-server") {
                    SERVER_PANICKED.store(true, Ordering::SeqCst);
                    if let Ok(mut text) = PANIC_TEXT.lock() {
                        *text = info.to_string();
                    }
                }
                previous(info);
            }));
        });
    }

    pub struct FuzzServer {
        _dir: tempfile::TempDir,
        addr: SocketAddr,
        _runtime: tokio::runtime::Runtime,
    }

    impl FuzzServer {
        /// `chiron serve` of the `zip` corpus' wheels with uploads allowed,
        /// on a free port, ready.
        pub fn start() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let dists = dir.path().join("dists");
            std::fs::create_dir_all(&dists).unwrap();
            let seeds = super::super::corpus_dir("zip");
            for entry in std::fs::read_dir(seeds).unwrap() {
                let path = entry.unwrap().path();
                std::fs::copy(&path, dists.join(path.file_name().unwrap())).unwrap();
            }
            let cache = dir.path().join("cache");
            let spec = SourceSpec {
                path: dists,
                name: None,
            };
            let source = chiron::serve::open_source(&spec, None, &cache).unwrap();
            let inputs = IndexInputs {
                cache_dir: cache.clone(),
                epoch: Some(0),
                yanked: Default::default(),
            };
            let hash = chiron::digest::Sha256::of(TOKEN).to_string();
            let tokens = Tokens::new(&std::collections::BTreeMap::from([(
                "fuzz".to_string(),
                format!("sha256:{hash}").parse().unwrap(),
            )]));
            let settings = UploadSettings {
                tokens,
                max_bytes: 256 * 1024,
                cache_dir: cache,
                epoch: Some(0),
                yanked: Default::default(),
            };
            let sources = vec![source];
            let uploads = Uploads::new(settings, &sources).unwrap();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("fuzz-server")
                .enable_all()
                .build()
                .unwrap();
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            let addr = listener.local_addr().unwrap();
            let options = ServerOptions {
                idle_timeout: Duration::from_secs(2),
                access_log: false,
                ..ServerOptions::default()
            };
            runtime.spawn(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let load = move || inputs.read(&sources);
                let _ = chiron::serve::serve(listener, options, load, Some(uploads)).await;
            });
            watch_server_threads();
            let server = Self {
                _dir: dir,
                addr,
                _runtime: runtime,
            };
            for _ in 0..200 {
                if server
                    .ask(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .starts_with(b"HTTP/1.1 200")
                {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            panic!("the fuzz server never became ready");
        }

        /// Sends `request` and reads the answer: until the server closes,
        /// 250 ms pass with nothing, or 50 ms pass with nothing more once something came (a kept-alive
        /// connection). The write side stays open: hyper drops a
        /// connection whose client half-closes before it answers.
        fn ask(&self, request: &[u8]) -> Vec<u8> {
            let Ok(mut stream) = TcpStream::connect(self.addr) else {
                return Vec::new();
            };
            // A request cut short is answered by nothing until the idle
            // timeout: 250 ms of silence ends the case.
            let _ = stream.set_read_timeout(Some(Duration::from_millis(250)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
            let _ = stream.write_all(request);
            let mut answer = Vec::new();
            let mut chunk = [0u8; 64 * 1024];
            while let Ok(read) = stream.read(&mut chunk) {
                if read == 0 {
                    break;
                }
                answer.extend_from_slice(&chunk[..read]);
                let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
            }
            answer
        }

        /// One case: the request, then the server must not have panicked
        /// and must still be healthy.
        pub fn exchange(&self, request: &[u8]) {
            let answer = self.ask(request);
            if SERVER_PANICKED.swap(false, Ordering::SeqCst) {
                let text = PANIC_TEXT.lock().map(|t| t.clone()).unwrap_or_default();
                panic!("the server panicked: {text}");
            }
            let health = self.ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assert!(
                health.starts_with(b"HTTP/1.1 200"),
                "the server stopped answering /healthz: {:?} after {:?}",
                String::from_utf8_lossy(&health),
                String::from_utf8_lossy(&answer[..answer.len().min(300)])
            );
        }
    }
}
