//! Uploads into `chiron serve --allow-upload` (issue 16, item 3): the real
//! binary on a free port of 127.0.0.1. The oracles: twine 7 uploading
//! (and failing as a user would see it), pip installing what was uploaded
//! from the same running server, GNU `sha256sum -c` over the wheelhouse's
//! SHA256SUMS, the CycloneDX 1.6 schema over its SBOM, and `chiron
//! verify`'s recomputation of the wheelhouse; hostile uploads are written
//! by hand and must leave the folder as it was.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::publish::{publish, put};
use crate::serve_static::{PASSWORD, everything, pip_install};
use crate::support::index::{WheelSpec, build_sdist, build_wheel, sha256_hex};
use crate::support::serve::{Server, get, send};
use crate::support::{chiron, oracle_tool};

/// `chiron serve --new-token NAME` in `home`: the token (stdout) and the
/// configuration line (stderr), written into `home/chiron.toml`.
fn new_token(home: &Path, name: &str) -> String {
    let output = chiron(home)
        .current_dir(home)
        .args(["serve", "--new-token", name])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", everything(&output));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("{name} = \"sha256:")))
        .unwrap_or_else(|| panic!("no configuration line: {stderr}"));
    assert!(
        !stderr.contains(&token),
        "the secret is printed on stdout only"
    );
    let config = home.join("chiron.toml");
    let mut text = std::fs::read_to_string(&config).unwrap_or_default();
    if !text.contains("[serve.tokens]") {
        text.push_str("[serve.tokens]\n");
    }
    text.push_str(line);
    text.push('\n');
    std::fs::write(config, text).unwrap();
    token
}

/// twine 7 uploading `files` (relative to `home`) to `url`.
fn twine(home: &Path, url: &str, password: &str, files: &[&str]) -> Output {
    let mut command = Command::new(oracle_tool("CHIRON_TEST_TWINE", "twine"));
    for var in ["TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL"] {
        command.env_remove(var);
    }
    command
        .args(["upload", "--non-interactive", "--disable-progress-bar"])
        .args(["--repository-url", url, "-u", "__token__", "-p", password])
        .args(files)
        .current_dir(home)
        .env("HOME", home)
        .output()
        .unwrap()
}

/// Every name in `dir` (hidden ones too) with its bytes.
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const PEP_691: &str = "application/vnd.pypi.simple.v1+json";

/// `chiron serve dists --allow-upload` in `home`, with an empty `dists`
/// and the token `ci`.
fn folder_server(home: &Path) -> (Server, String) {
    std::fs::create_dir_all(home.join("dists")).unwrap();
    let token = new_token(home, "ci");
    (Server::start(home, &["dists", "--allow-upload"]), token)
}

#[test]
fn twine_uploads_into_a_wheelhouse_pip_installs_it_and_every_record_follows() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let _index =
        crate::support::app_lib_wheelhouse(h, &["--python", "3.12", "--platform", "linux-x86_64"]);
    let wh = h.join("wh");
    // SHA256SUMS signed: an upload makes the signature stale.
    for args in [
        &["keys", "generate", "--output-key-prefix", "cosign"][..],
        &["sign", "wh/SHA256SUMS", "--key", "cosign.key"],
    ] {
        chiron(h)
            .current_dir(h)
            .env("CHIRON_PASSWORD", PASSWORD)
            .args(args)
            .assert()
            .success();
    }
    assert!(wh.join("SHA256SUMS.sig").is_file());
    let lock_before = std::fs::read_to_string(wh.join("pylock.toml")).unwrap();
    let token = new_token(h, "ci");

    let server = Server::start(h, &["wh", "--allow-upload"]);
    let url = format!("http://{}/", server.addr);
    // A new project (wheel and sdist), then the sdist of lib 2.0, which
    // the lock pins already (as a wheel).
    let (wheel_name, wheel, _) = build_wheel(&WheelSpec {
        license_expression: Some("Apache-2.0"),
        ..WheelSpec::new("demo-pkg", "1.0", "py3-none-any")
    });
    let (sdist_name, sdist, _) = build_sdist("demo-pkg", "1.0", "2.2", &[], &[]);
    let (lib_sdist_name, lib_sdist, _) = build_sdist("lib", "2.0", "2.2", &[], &[]);
    let files = [put(h, &wheel_name, &wheel), put(h, &sdist_name, &sdist)];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let output = twine(h, &url, &token, &files);
    assert!(output.status.success(), "{}", everything(&output));
    let lib_file = put(h, &lib_sdist_name, &lib_sdist);
    let output = twine(h, &format!("{url}legacy/"), &token, &[&lib_file]);
    assert!(output.status.success(), "{}", everything(&output));

    // The running server lists them at once: pip installs from it.
    let page = get(&server.addr, "/simple/demo-pkg/", &[("Accept", PEP_691)]);
    assert_eq!(page.status, 200);
    let page: Value = serde_json::from_slice(&page.body).unwrap();
    let served: BTreeMap<&str, &Value> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["filename"].as_str().unwrap(), f))
        .collect();
    let mut expected = [wheel_name.as_str(), sdist_name.as_str()];
    expected.sort_unstable();
    assert_eq!(served.keys().copied().collect::<Vec<_>>(), expected);
    assert_eq!(
        served[wheel_name.as_str()]["hashes"]["sha256"],
        sha256_hex(&wheel)
    );
    assert_eq!(
        served[sdist_name.as_str()]["hashes"]["sha256"],
        sha256_hex(&sdist)
    );
    assert!(served[wheel_name.as_str()]["core-metadata"]["sha256"].is_string());
    let target = h.join("target");
    let output = pip_install(&server.url(), &target, "demo-pkg==1.0");
    assert!(output.status.success(), "{}", everything(&output));
    assert!(target.join("demo_pkg-1.0.dist-info").is_dir());
    let list = get(&server.addr, "/simple/", &[("Accept", PEP_691)]);
    let list: Value = serde_json::from_slice(&list.body).unwrap();
    let names: Vec<&str> = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "demo-pkg", "lib"]);

    // GNU sha256sum agrees with SHA256SUMS, which lists the new files.
    let check = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&wh)
        .output()
        .expect("sha256sum (GNU coreutils) is needed");
    assert!(check.status.success(), "{}", everything(&check));
    let checked = String::from_utf8_lossy(&check.stdout);
    for name in [&wheel_name, &sdist_name, &lib_sdist_name] {
        assert!(checked.contains(&format!("{name}: OK")), "{checked}");
    }
    // The manifest records each file as its own are recorded, and the new
    // release; the SBOM names it and stays valid CycloneDX 1.6.
    let manifest = json(&wh.join("manifest.json"));
    let recorded: BTreeMap<&str, &Value> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["filename"].as_str().unwrap(), f))
        .collect();
    for (name, bytes) in [
        (&wheel_name, &wheel),
        (&sdist_name, &sdist),
        (&lib_sdist_name, &lib_sdist),
    ] {
        assert_eq!(
            recorded[name.as_str()]["sha256"],
            sha256_hex(bytes),
            "{name}"
        );
        assert_eq!(recorded[name.as_str()]["size"], bytes.len(), "{name}");
        assert_eq!(recorded[name.as_str()]["index"], "upload", "{name}");
    }
    let release = manifest["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "demo-pkg")
        .unwrap();
    assert_eq!(release["version"], "1.0");
    assert_eq!(release["license"], "Apache-2.0");
    let bom = json(&wh.join("sbom.cdx.json"));
    let errors = crate::support::schemas::cyclonedx_errors(&bom, "1.6");
    assert!(errors.is_empty(), "{errors:?}");
    let component = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == "pkg:pypi/demo-pkg@1.0")
        .expect("the SBOM names the uploaded release");
    let hashes: Vec<&str> = component["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["content"].as_str().unwrap())
        .collect();
    assert!(
        hashes.contains(&sha256_hex(&wheel).as_str())
            && hashes.contains(&sha256_hex(&sdist).as_str())
    );
    let lib = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == "pkg:pypi/lib@2.0")
        .unwrap();
    assert!(lib["hashes"].to_string().contains(&sha256_hex(&lib_sdist)));

    // The lock: lib 2.0 (pinned) gains its sdist with its hash; the new
    // project is not in it, and nothing else changed.
    let lock_after = std::fs::read_to_string(wh.join("pylock.toml")).unwrap();
    let before: toml::Table = toml::from_str(&lock_before).unwrap();
    let after: toml::Table = toml::from_str(&lock_after).unwrap();
    let packages = |lock: &toml::Table| lock["packages"].as_array().unwrap().clone();
    assert_eq!(packages(&after).len(), packages(&before).len());
    assert!(!lock_after.contains("demo-pkg") && !lock_after.contains("demo_pkg"));
    for (old, new) in packages(&before).iter().zip(packages(&after).iter()) {
        if old["name"].as_str() == Some("lib") {
            assert!(old.get("sdist").is_none());
            let sdist = &new["sdist"];
            assert_eq!(sdist["name"].as_str(), Some(lib_sdist_name.as_str()));
            assert_eq!(
                sdist["hashes"]["sha256"].as_str(),
                Some(sha256_hex(&lib_sdist).as_str())
            );
            assert_eq!(sdist["path"].as_str(), Some(lib_sdist_name.as_str()));
            assert_eq!(new["wheels"], old["wheels"]);
        } else {
            assert_eq!(new, old);
        }
    }

    // The stale signature is gone, with a warning saying to re-sign; the
    // access log names the token, never the secret.
    assert!(!wh.join("SHA256SUMS.sig").exists());
    let stderr = server.stderr().join("\n");
    assert!(
        stderr.contains("SHA256SUMS.sig") && stderr.contains("chiron sign"),
        "{stderr}"
    );
    assert!(
        stderr.contains("method=POST path=/ status=200") && stderr.contains("token=ci"),
        "{stderr}"
    );
    assert!(!stderr.contains(&token), "{stderr}");
    // chiron verify recomputes the wheelhouse from its bytes: it holds.
    chiron(h)
        .current_dir(h)
        .args(["verify", "wh"])
        .assert()
        .success();
    drop(server);
    // The uploads are there on the next start, from the files.
    let server = Server::start(h, &["wh"]);
    assert_eq!(
        get(&server.addr, &format!("/simple/demo-pkg/{wheel_name}"), &[]).body,
        wheel
    );
}

#[test]
fn a_wrong_or_missing_token_is_refused_and_the_secret_is_never_logged() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let other = new_token(h, "release");
    let (server, token) = folder_server(h);
    let url = format!("http://{}/", server.addr);
    let (wheel_name, wheel, _) = build_wheel(&WheelSpec::new("demo", "1.0", "py3-none-any"));
    let file = put(h, &wheel_name, &wheel);

    let wrong = format!("{token}x");
    let output = twine(h, &url, &wrong, &[&file]);
    assert!(!output.status.success());
    assert!(
        everything(&output).contains("403"),
        "{}",
        everything(&output)
    );
    let output = twine(h, &url, "", &[&file]);
    assert!(!output.status.success());
    assert!(
        everything(&output).contains("401"),
        "{}",
        everything(&output)
    );
    let bare = send(&server.addr, "POST", "/", &[], b"x");
    assert_eq!(bare.status, 401);
    assert_eq!(
        bare.header("WWW-Authenticate"),
        Some("Basic realm=\"chiron\"")
    );
    // A refused client still sending its file reads the refusal, not a
    // reset connection: the server reads (and drops) a bounded part of
    // the body first.
    let big = vec![b'x'; 12 * 1024 * 1024];
    let basic = |password: &str| {
        use base64::Engine;
        let pair = format!("__token__:{password}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    for (auth, status) in [(basic(&wrong), 403), (String::new(), 401)] {
        let mut headers = vec![("Content-Type", "multipart/form-data; boundary=b")];
        if !auth.is_empty() {
            headers.push(("Authorization", auth.as_str()));
        }
        for _ in 0..3 {
            assert_eq!(
                send(&server.addr, "POST", "/", &headers, &big).status,
                status
            );
        }
    }
    let output = publish(h)
        .arg(&file)
        .args([
            "--repository-url",
            &url,
            "--index-url",
            &format!("{url}simple/"),
        ])
        .env("CHIRON_PUBLISH_TOKEN", &wrong)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        everything(&output).contains("403") && !everything(&output).contains("Broken pipe"),
        "{}",
        everything(&output)
    );
    assert!(listing(&h.join("dists")).is_empty());

    // Any token configured uploads, under its own name in the log.
    let output = twine(h, &url, &other, &[&file]);
    assert!(output.status.success(), "{}", everything(&output));
    let stderr = server.stderr().join("\n");
    assert!(stderr.contains("token=release"), "{stderr}");
    for secret in [&token, &other, &wrong] {
        assert!(!stderr.contains(secret.as_str()), "{stderr}");
    }
    assert!(!stderr.contains("Basic "), "{stderr}");
    let statuses: Vec<u16> = server.accessed().iter().map(|(_, s)| *s).collect();
    assert!(statuses.contains(&401) && statuses.contains(&403) && statuses.contains(&200));
}

#[test]
fn the_same_file_again_changes_nothing_and_other_bytes_under_its_name_conflict() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (server, token) = folder_server(h);
    let url = format!("http://{}/dists/", server.addr);
    let (wheel_name, wheel, _) = build_wheel(&WheelSpec::new("demo", "1.0", "py3-none-any"));
    let file = put(h, &wheel_name, &wheel);
    let output = twine(h, &url, &token, &[&file]);
    assert!(output.status.success(), "{}", everything(&output));
    let before = listing(&h.join("dists"));
    assert_eq!(before.keys().collect::<Vec<_>>(), [&wheel_name]);
    let modified = std::fs::metadata(h.join("dists").join(&wheel_name))
        .unwrap()
        .modified()
        .unwrap();

    // Again: 200, nothing written. (twine 7 refuses --skip-existing for
    // any index but PyPI's, so a plain re-run is what must succeed.)
    let output = twine(h, &url, &token, &[&file]);
    assert!(output.status.success(), "{}", everything(&output));
    // chiron publish finds it on the simple API by its hash and skips it.
    let index_url = format!("{url}simple/");
    let output = publish(h)
        .arg(&file)
        .args(["--repository-url", &url, "--index-url", &index_url])
        .env("CHIRON_PUBLISH_TOKEN", &token)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", everything(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("skipped"), "{}", everything(&output));
    // The summary names the credentials set, even when none was needed.
    assert!(!said.contains("no credentials"), "{said}");
    assert_eq!(listing(&h.join("dists")), before);
    let after = std::fs::metadata(h.join("dists").join(&wheel_name))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(after, modified);

    // Other bytes under the same name: 409, and twine fails naming it
    // (a 409 is also what twine's --skip-existing rule skips);
    // chiron publish refuses it before uploading.
    let (_, other, _) = build_wheel(&WheelSpec {
        requires_python: Some(">=3.8"),
        ..WheelSpec::new("demo", "1.0", "py3-none-any")
    });
    assert_ne!(other, wheel);
    std::fs::create_dir_all(h.join("other")).unwrap();
    std::fs::write(h.join("other").join(&wheel_name), &other).unwrap();
    let other_file = format!("other/{wheel_name}");
    let output = twine(h, &url, &token, &[&other_file]);
    assert!(!output.status.success());
    let said = everything(&output);
    assert!(
        said.contains("409") && said.contains("File already exists"),
        "{said}"
    );
    let output = publish(h)
        .arg(&other_file)
        .args(["--repository-url", &url, "--index-url", &index_url])
        .env("CHIRON_PUBLISH_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", everything(&output));
    assert_eq!(listing(&h.join("dists")), before);
    let served = get(&server.addr, &format!("/simple/demo/{wheel_name}"), &[]);
    assert_eq!(served.body, wheel);
}

/// A `multipart/form-data` body as twine writes it: `fields`, then the
/// file as `content`.
fn form(fields: &[(&str, &str)], filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "chiron-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A hostile upload: what it is, its form fields, file name and bytes,
/// the status it gets and words of the reason given.
type Hostile<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    &'a str,
    &'a [u8],
    u16,
    &'a str,
);

/// `fields` with the value of `key` replaced.
fn replaced<'a>(
    fields: &[(&'a str, &'a str)],
    key: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields
        .iter()
        .map(|(k, v)| if *k == key { (*k, value) } else { (*k, *v) })
        .collect()
}

#[test]
fn hostile_uploads_are_refused_with_a_reason_and_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join("dists")).unwrap();
    let token = new_token(h, "ci");

    // Without --allow-upload, POST is 405 as before; with it but no
    // token configured, the server does not start.
    let readonly = Server::start(h, &["dists"]);
    assert_eq!(send(&readonly.addr, "POST", "/", &[], b"x").status, 405);
    drop(readonly);
    let elsewhere = tempfile::tempdir().unwrap();
    let dists = h.join("dists");
    let refused = || {
        let output = chiron(elsewhere.path())
            .current_dir(elsewhere.path())
            .args(["serve", "--allow-upload", "--bind", "127.0.0.1:0"])
            .arg(&dists)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", everything(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let said = refused();
    assert!(
        said.contains("[serve] tokens") && said.contains("--new-token"),
        "{said}"
    );
    // A hash that is not one: the file and the key are named.
    std::fs::write(
        elsewhere.path().join("chiron.toml"),
        "[serve.tokens]\nci = \"sha256:abc\"\n",
    )
    .unwrap();
    let said = refused();
    assert!(
        said.contains("chiron.toml:") && said.contains("[serve.tokens] ci:"),
        "{said}"
    );

    let server = Server::start(
        h,
        &["dists", "--allow-upload", "--max-upload-bytes", "65536"],
    );
    let (wheel_name, wheel, _) = build_wheel(&WheelSpec::new("demo", "1.0", "py3-none-any"));
    let sha256 = sha256_hex(&wheel);
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("__token__:{token}")
        )
    );
    let upload = |fields: &[(&str, &str)], filename: &str, bytes: &[u8]| {
        let (content_type, body) = form(fields, filename, bytes);
        send(
            &server.addr,
            "POST",
            "/",
            &[("Authorization", &auth), ("Content-Type", &content_type)],
            &body,
        )
    };
    let fine = [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("name", "demo"),
        ("version", "1.0"),
        ("filetype", "bdist_wheel"),
        ("sha256_digest", sha256.as_str()),
    ];
    let (impostor_name, impostor, _) = build_wheel(&WheelSpec::new("other", "1.0", "py3-none-any"));
    let renamed = impostor_name.replace("other", "demo");
    let impostor_sha = sha256_hex(&impostor);
    let impostor_fields = replaced(&fine, "sha256_digest", &impostor_sha);
    let big = vec![7u8; 100_000];
    let cases: Vec<Hostile> = vec![
        (
            "traversal",
            fine.to_vec(),
            "../demo-1.0-py3-none-any.whl",
            &wheel,
            400,
            "not a plain file name",
        ),
        (
            "backslash",
            fine.to_vec(),
            "..\\demo-1.0-py3-none-any.whl",
            &wheel,
            400,
            "not a plain file name",
        ),
        (
            "not a distribution",
            fine.to_vec(),
            "demo-1.0.exe",
            &wheel,
            400,
            "not a wheel",
        ),
        (
            "sha256 mismatch",
            replaced(&fine, "sha256_digest", "00"),
            &wheel_name,
            &wheel,
            400,
            "sha256_digest",
        ),
        (
            "md5 mismatch",
            [
                fine.to_vec(),
                vec![("md5_digest", "0123456789abcdef0123456789abcdef")],
            ]
            .concat(),
            &wheel_name,
            &wheel,
            400,
            "md5_digest",
        ),
        (
            "blake2 mismatch",
            [fine.to_vec(), vec![("blake2_256_digest", "ab")]].concat(),
            &wheel_name,
            &wheel,
            400,
            "blake2_256_digest",
        ),
        (
            "name mismatch",
            replaced(&fine, "name", "other"),
            &wheel_name,
            &wheel,
            400,
            "the form says",
        ),
        (
            "version mismatch",
            replaced(&fine, "version", "2.0"),
            &wheel_name,
            &wheel,
            400,
            "the form says",
        ),
        (
            "filetype mismatch",
            replaced(&fine, "filetype", "sdist"),
            &wheel_name,
            &wheel,
            400,
            "filetype",
        ),
        (
            "no digest",
            fine[..5].to_vec(),
            &wheel_name,
            &wheel,
            400,
            "sha256_digest",
        ),
        (
            "metadata disagrees",
            impostor_fields,
            &renamed,
            &impostor,
            400,
            "metadata",
        ),
        (
            "oversized",
            fine.to_vec(),
            &wheel_name,
            &big,
            413,
            "--max-upload-bytes",
        ),
    ];
    let before = listing(&h.join("dists"));
    for (what, fields, filename, bytes, status, reason) in cases {
        let reply = upload(&fields, filename, bytes);
        let body = String::from_utf8_lossy(&reply.body);
        assert_eq!(reply.status, status, "{what}: {body}");
        assert!(body.contains(reason), "{what}: {body}");
        assert_eq!(listing(&h.join("dists")), before, "{what} wrote something");
    }
    // A zip that is no wheel, with its right digest: its METADATA cannot
    // be read.
    let junk = b"PK\x03\x04 not really a zip".to_vec();
    let junk_sha = sha256_hex(&junk);
    let reply = upload(
        &replaced(&fine, "sha256_digest", &junk_sha),
        &wheel_name,
        &junk,
    );
    let body = String::from_utf8_lossy(&reply.body);
    assert_eq!(reply.status, 400, "{body}");
    // The reason names the upload, never a path of the server's.
    assert!(body.contains(&wheel_name), "{body}");
    let dists = h.join("dists").display().to_string();
    assert!(
        !body.contains(&dists) && !body.contains(".chiron-tmp"),
        "{body}"
    );
    assert_eq!(listing(&h.join("dists")), before);
    // Chunked, so no length is declared: the limit stops the reading.
    let (content_type, body) = form(&fine, &wheel_name, &big);
    let mut chunked = Vec::new();
    for piece in body.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = send(
        &server.addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Content-Type", &content_type),
            ("Transfer-Encoding", "chunked"),
        ],
        &chunked,
    );
    assert_eq!(
        reply.status,
        413,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        listing(&h.join("dists")),
        before,
        "a temporary file was left"
    );
    // A body declared larger than the limit is refused before it is read.
    let reply = send(
        &server.addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Content-Type", "multipart/form-data; boundary=x"),
            ("Content-Length", "1000000000"),
        ],
        b"",
    );
    assert_eq!(reply.status, 413);
    // An unknown index is 404; the right upload still works after all that.
    let (content_type, body) = form(&fine, &wheel_name, &wheel);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", content_type.as_str()),
    ];
    assert_eq!(
        send(&server.addr, "POST", "/nothing/", &headers, &body).status,
        404
    );
    assert_eq!(upload(&fine, &wheel_name, &wheel).status, 200);
    assert_eq!(
        listing(&h.join("dists")).keys().collect::<Vec<_>>(),
        [&wheel_name]
    );
}

#[test]
fn gets_during_uploads_see_the_old_page_or_the_new_never_an_error() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (server, token) = folder_server(h);
    let url = format!("http://{}/", server.addr);
    let versions = ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"];
    let files: Vec<String> = versions
        .iter()
        .map(|v| {
            let (name, bytes, _) = build_wheel(&WheelSpec::new("demo", v, "py3-none-any"));
            put(h, &name, &bytes)
        })
        .collect();
    let output = twine(h, &url, &token, &[&files[0]]);
    assert!(output.status.success(), "{}", everything(&output));

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let addr = server.addr.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let page = get(&addr, "/simple/demo/", &[("Accept", PEP_691)]);
                    assert_eq!(page.status, 200);
                    let page: Value = serde_json::from_slice(&page.body).unwrap();
                    let files = page["files"].as_array().unwrap();
                    // Every file a page lists is served whole.
                    let last = files.last().unwrap();
                    let name = last["filename"].as_str().unwrap();
                    let file = get(&addr, &format!("/simple/demo/{name}"), &[]);
                    assert_eq!(file.status, 200, "{name}");
                    assert_eq!(
                        sha256_hex(&file.body),
                        last["hashes"]["sha256"].as_str().unwrap()
                    );
                    seen.push(files.len());
                }
                seen
            })
        })
        .collect();
    for file in &files[1..] {
        let output = twine(h, &url, &token, &[file]);
        assert!(output.status.success(), "{}", everything(&output));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        let seen = reader.join().expect("a reader saw an error");
        assert!(!seen.is_empty());
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    }
    let page = get(&server.addr, "/simple/demo/", &[("Accept", PEP_691)]);
    let page: Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(page["versions"].as_array().unwrap().len(), versions.len());
}

#[test]
fn an_upload_cut_off_by_a_killed_server_leaves_nothing_behind_at_the_next_start() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dists = h.join("dists");
    std::fs::create_dir_all(&dists).unwrap();
    // What a server killed in the middle of an upload leaves: the body's
    // temporary file beside the served files.
    let leftover = ".chiron-tmp-demo-1.0-py3-none-any.whl.Ab12Cd";
    std::fs::write(dists.join(leftover), b"half a wheel").unwrap();
    std::fs::write(dists.join("notes.txt"), b"not ours").unwrap();
    let token = new_token(h, "ci");
    let server = Server::start(h, &["dists", "--allow-upload"]);
    let names: Vec<String> = std::fs::read_dir(&dists)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".chiron-lock"))
        .collect();
    assert_eq!(names, ["notes.txt"]);
    let stderr = server.stderr().join("\n");
    assert!(
        stderr.contains(leftover) && stderr.contains("cut off"),
        "{stderr}"
    );
    assert!(!stderr.contains(&token));
    assert!(server.terminate().success());
}
