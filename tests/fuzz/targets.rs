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
