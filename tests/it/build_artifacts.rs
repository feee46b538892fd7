//! The artifacts of a build in `dist/` (`chiron::build::artifacts`) and
//! `chiron verify dist/`. Each artifact is checked by an independent
//! implementation: the SBOMs by the official CycloneDX 1.6 schema, every
//! signature by `openssl`, the wheel rewritten for PEP 770 by Python's
//! `zipfile` + `hashlib` and by pip installing it with `--require-hashes`,
//! the provenance by the in-toto attestation framework's bindings (the
//! Statement's own validation, the SLSA Provenance v1 message parsed
//! strictly). Then each kind of tampering, named by its problem code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use chiron::build::artifacts::{ArtifactError, ArtifactRequest, Artifacts, write_artifacts};
use chiron::build::{BuildDependency, BuiltFile, DistKind, SourceInfo};
use chiron::digest::Sha256;
use chiron::error::{Diagnose, ExitClass};
use chiron::python::NormalizedName;
use chiron::sign::KeyPair;
use predicates::prelude::PredicateBooleanExt as _;
use serde_json::{Value, json};

use crate::support::index::{WheelSpec, build_sdist, build_wheel, sha256_hex};
use crate::support::{self, chiron};

const EPOCH: u64 = 1_700_000_000;
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const WHEEL: &str = "demo-1.0-py3-none-any.whl";
const SDIST: &str = "demo-1.0.tar.gz";
const SBOM_IN_WHEEL: &str = "demo-1.0.dist-info/sboms/chiron.cdx.json";

/// The project's lock, as uv or chiron writes a PEP 751 lock: the
/// project's runtime closure (lib, which needs leaf), a dev tool and the
/// dependency of an extra, which are not the wheel's runtime.
fn lock_text() -> String {
    let mut text = String::from("lock-version = \"1.0\"\ncreated-by = \"test\"\n");
    for (name, version, dependencies) in [
        ("fancy", "3.0", ""),
        ("leaf", "0.5", ""),
        ("lib", "2.0", "dependencies = [{ name = \"leaf\" }]\n"),
        ("pytest", "8.0", ""),
    ] {
        let file = format!("{name}-{version}-py3-none-any.whl");
        text.push_str(&format!(
            "\n[[packages]]\nname = \"{name}\"\nversion = \"{version}\"\n{dependencies}\
             wheels = [{{ name = \"{file}\", url = \"https://files.example.test/{file}\", hashes = {{ sha256 = \"{}\" }} }}]\n",
            sha256_hex(file.as_bytes())
        ));
    }
    text
}

fn build_dependencies() -> Vec<BuildDependency> {
    [("wheel", "0.44.0"), ("setuptools", "75.1.0")]
        .into_iter()
        .map(|(name, version)| {
            let filename = format!("{name}-{version}-py3-none-any.whl");
            BuildDependency {
                name: NormalizedName::new(name),
                version: version.into(),
                sha256: Sha256::of(filename.as_bytes()),
                url: format!("https://ci:s3cret@files.example.test/{filename}"),
                filename,
            }
        })
        .collect()
}

fn source() -> SourceInfo {
    SourceInfo {
        name: "demo".into(),
        version: "1.0".into(),
        commit: Some(COMMIT.into()),
        repository: Some("https://ci:s3cret@git.example.test/demo.git".into()),
        dirty: false,
        epoch: EPOCH,
    }
}

/// The wheel and sdist a build of `demo 1.0` made, as bytes.
fn distributions() -> Vec<(String, DistKind, Vec<u8>)> {
    let (wheel, wheel_bytes, _) = build_wheel(&WheelSpec {
        requires_dist: &["lib>=1", "fancy; extra == \"ui\""],
        ..WheelSpec::new("demo", "1.0", "py3-none-any")
    });
    let (sdist, sdist_bytes, _) = build_sdist("demo", "1.0", "2.1", &["lib>=1"], &[]);
    vec![
        (wheel, DistKind::Wheel, wheel_bytes),
        (sdist, DistKind::Sdist, sdist_bytes),
    ]
}

/// Writes `files` into `dist` and says what the build made.
fn place(dist: &Path, files: &[(String, DistKind, Vec<u8>)]) -> Vec<BuiltFile> {
    std::fs::create_dir_all(dist).unwrap();
    files
        .iter()
        .map(|(name, kind, bytes)| {
            std::fs::write(dist.join(name), bytes).unwrap();
            BuiltFile {
                path: dist.join(name),
                kind: *kind,
                sha256: Sha256::of(bytes),
                size: bytes.len() as u64,
            }
        })
        .collect()
}

/// A project folder with its lock, a key pair and a build's `dist/`.
struct Project {
    home: tempfile::TempDir,
    key: KeyPair,
    inputs: Vec<(String, DistKind, Vec<u8>)>,
}

impl Project {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("pylock.toml"), lock_text()).unwrap();
        let key = KeyPair::generate().unwrap();
        std::fs::write(home.path().join("cosign.pub"), key.public_pem()).unwrap();
        let other = KeyPair::generate().unwrap();
        std::fs::write(home.path().join("other.pub"), other.public_pem()).unwrap();
        Self {
            home,
            key,
            inputs: distributions(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// The built files placed in `dist_name`, and their artifacts written.
    fn build(&self, dist_name: &str, signed: bool, pep770: bool) -> Artifacts {
        let dist = self.path(dist_name);
        let built = place(&dist, &self.inputs);
        self.write(&dist, &built, signed, pep770)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn write(
        &self,
        dist: &Path,
        built: &[BuiltFile],
        signed: bool,
        pep770: bool,
    ) -> Result<Artifacts, ArtifactError> {
        let lock = self.path("pylock.toml");
        write_artifacts(&ArtifactRequest {
            dist,
            built,
            source: &source(),
            build_dependencies: &build_dependencies(),
            runtime_lock: Some(&lock),
            key: signed.then_some(&self.key),
            pep770,
            command: &["chiron".to_string(), "build".to_string()],
        })
    }

    /// `chiron verify DIST --json`, with the public key `key` when given.
    fn verify(&self, dist_name: &str, key: Option<&str>) -> (i32, Value) {
        let mut command = chiron(self.home.path());
        command
            .current_dir(self.home.path())
            .args(["verify", dist_name, "--json"]);
        if let Some(key) = key {
            command.args(["--key", key]);
        }
        let output = command.output().unwrap();
        let report = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        (output.status.code().unwrap(), report)
    }
}

fn problems(report: &Value) -> BTreeSet<(String, String)> {
    report["report"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems listed: {report:#}"))
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expected(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(k, p)| (k.to_string(), p.to_string()))
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// openssl's verdict on a DER ECDSA-SHA256 signature of `file`.
fn openssl_verifies(public: &Path, file: &Path, der: &[u8]) -> bool {
    let signature = file.with_extension("der-signature");
    std::fs::write(&signature, der).unwrap();
    let verified = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(&signature)
        .arg(file)
        .output()
        .expect("openssl is installed by .ci/tools.sh")
        .status
        .success();
    std::fs::remove_file(signature).unwrap();
    verified
}

/// A cosign blob signature file's DER.
fn blob_signature(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap()
}

/// Runs a Python oracle script: its stdout parsed as JSON, or why it
/// refused.
fn oracle(python: &Path, script: &str, args: &[&Path]) -> Result<Value, String> {
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&output.stdout).unwrap())
}

fn run_python(python: &Path, script: &str, args: &[&Path]) -> Value {
    oracle(python, script, args).unwrap_or_else(|e| panic!("the oracle refused it:\n{e}"))
}

fn intoto_python() -> PathBuf {
    if let Some(path) = std::env::var_os("CHIRON_TEST_INTOTO_PYTHON") {
        return path.into();
    }
    let fallback = PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
        .join(".cache/chiron-ci/in-toto/bin/python");
    assert!(
        fallback.exists(),
        "in-toto-attestation is missing: source .ci/tools.sh (it sets CHIRON_TEST_INTOTO_PYTHON)"
    );
    fallback
}

#[test]
fn the_artifacts_are_the_same_bytes_each_time_and_verify() {
    let project = Project::new();
    let first = project.build("a", true, true);
    let second = project.build("b", true, true);
    let names = names_in(&project.path("a"));
    assert_eq!(
        names,
        [
            "SHA256SUMS",
            "SHA256SUMS.sig",
            WHEEL,
            &format!("{WHEEL}.cdx.json"),
            &format!("{WHEEL}.sig"),
            SDIST,
            &format!("{SDIST}.sig"),
            "provenance.intoto.json",
        ]
    );
    for name in &names {
        assert_eq!(
            std::fs::read(project.path("a").join(name)).unwrap(),
            std::fs::read(project.path("b").join(name)).unwrap(),
            "{name} differs between two runs"
        );
    }
    assert_eq!(first.built[0].sha256, second.built[0].sha256);
    let written: Vec<String> = first
        .written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut artifacts = names.clone();
    artifacts.retain(|n| n != WHEEL && n != SDIST);
    assert_eq!(written, artifacts, "every artifact is reported, sorted");
    // What the report says is the bytes on disk.
    for file in &first.built {
        assert_eq!(file.sha256, Sha256::of(&std::fs::read(&file.path).unwrap()));
    }

    let (code, report) = project.verify("a", Some("cosign.pub"));
    assert_eq!(problems(&report), BTreeSet::new(), "{report:#}");
    assert_eq!(code, 0);
    assert_eq!(report["passed"], true);
    assert_eq!(report["report"]["kind"], "dist");
    assert_eq!(report["report"]["wheels_checked"], 1);
    assert_eq!(report["report"]["files_checked"], 8);
    assert_eq!(report["report"]["signature_checked"], true);
    // The human form says so too.
    chiron(project.home.path())
        .current_dir(project.home.path())
        .args(["verify", "a", "--key", "cosign.pub"])
        .assert()
        .success()
        .stdout(predicates::str::contains("verified").and(predicates::str::contains("dist")));

    let (code, report) = project.verify("a", None);
    assert_eq!(code, 0);
    assert_eq!(report["report"]["signature_checked"], false);
    let notes = report["report"]["notes"].to_string();
    assert!(notes.contains("no key was given"), "{notes}");
}

#[test]
fn the_sboms_are_valid_cyclonedx_with_the_build_environment_apart() {
    let project = Project::new();
    let artifacts = project.build("dist", false, true);
    let wheel = &artifacts.built[0];
    assert_eq!(wheel.kind, DistKind::Wheel);
    let bom = read_json(&project.path("dist").join(format!("{WHEEL}.cdx.json")));
    let errors = support::schemas::cyclonedx_errors(&bom, "1.6");
    assert!(errors.is_empty(), "CycloneDX 1.6: {errors:#?}");

    let root = &bom["metadata"]["component"];
    assert_eq!(root["purl"], "pkg:pypi/demo@1.0");
    assert_eq!(
        root["hashes"],
        json!([{ "alg": "SHA-256", "content": wheel.sha256.to_string() }])
    );
    assert_eq!(bom["metadata"]["lifecycles"], json!([{ "phase": "build" }]));
    assert_eq!(bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let purls = |components: &Value| -> Vec<String> {
        components
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["purl"].as_str().unwrap().to_string())
            .collect()
    };
    // The runtime: what Requires-Dist reaches in the lock, not the dev
    // tool nor the extra's dependency.
    assert_eq!(
        purls(&bom["components"]),
        ["pkg:pypi/leaf@0.5", "pkg:pypi/lib@2.0"]
    );
    let depends: Vec<(String, Value)> = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["ref"].as_str().unwrap().to_string(),
                d["dependsOn"].clone(),
            )
        })
        .collect();
    assert!(depends.contains(&("project".into(), json!(["pkg:pypi/lib@2.0"]))));
    assert!(depends.contains(&("pkg:pypi/lib@2.0".into(), json!(["pkg:pypi/leaf@0.5"]))));
    // The build environment, apart.
    let formula = &bom["formulation"][0];
    assert_eq!(
        purls(&formula["components"]),
        ["pkg:pypi/setuptools@75.1.0", "pkg:pypi/wheel@0.44.0"]
    );
    assert_eq!(formula["workflows"][0]["taskTypes"], json!(["build"]));
    assert!(!bom.to_string().contains("s3cret"), "credentials removed");

    // The copy inside the wheel is the same BOM but for the wheel's hash,
    // which it cannot know.
    let inside = zip_entry(&wheel.path, SBOM_IN_WHEEL);
    let mut inside: Value = serde_json::from_slice(&inside).unwrap();
    let errors = support::schemas::cyclonedx_errors(&inside, "1.6");
    assert!(
        errors.is_empty(),
        "CycloneDX 1.6 (PEP 770 copy): {errors:#?}"
    );
    assert!(inside["metadata"]["component"].get("hashes").is_none());
    let mut outside = bom.clone();
    outside["metadata"]["component"]
        .as_object_mut()
        .unwrap()
        .remove("hashes");
    for bom in [&mut inside, &mut outside] {
        bom.as_object_mut().unwrap().remove("serialNumber");
    }
    assert_eq!(inside, outside);
}

fn zip_entry(path: &Path, name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut bytes = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// A copy of the wheel at `path` with one entry's bytes changed and its
/// RECORD left as it was.
fn with_entry_changed(path: &Path, changed: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == changed {
            bytes.extend_from_slice(b"# changed\n");
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Python's zipfile + hashlib check every RECORD line of the rewritten
/// wheel, and that every other entry is the original's, unchanged.
const RECORD_ORACLE: &str = r#"
import base64, csv, hashlib, io, json, sys, zipfile
rewritten, original = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
assert rewritten.testzip() is None
names = rewritten.namelist()
record = next(n for n in names if n.endswith(".dist-info/RECORD") and n.count("/") == 1)
listed = {}
for row in csv.reader(io.StringIO(rewritten.read(record).decode())):
    if row:
        listed[row[0]] = row[1:]
assert sorted(listed) == sorted(names), (sorted(listed), names)
for name, (digest, size) in listed.items():
    if name == record:
        assert digest == "" and size == "", (digest, size)
        continue
    data = rewritten.read(name)
    algorithm, value = digest.split("=", 1)
    assert algorithm == "sha256", digest
    assert value == base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), name
    assert int(size) == len(data), name
for info in original.infolist():
    if info.filename != record:
        copy = rewritten.getinfo(info.filename)
        assert rewritten.read(info.filename) == original.read(info.filename), info.filename
        assert (copy.date_time, copy.compress_type) == (info.date_time, info.compress_type), info.filename
added = sorted(set(names) - set(original.namelist()))
print(json.dumps({"added": added, "last": names[-1]}))
"#;

#[test]
fn the_pep770_wheel_keeps_its_record_true_and_pip_installs_it() {
    let project = Project::new();
    let artifacts = project.build("dist", false, true);
    let wheel = &artifacts.built[0];
    let original = project.path("original.whl");
    std::fs::write(&original, &project.inputs[0].2).unwrap();
    assert_ne!(wheel.sha256, Sha256::of(&project.inputs[0].2), "rewritten");
    assert_eq!(wheel.size, std::fs::metadata(&wheel.path).unwrap().len());

    let python = support::oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let found = run_python(&python, RECORD_ORACLE, &[&wheel.path, &original]);
    assert_eq!(found["added"], json!([SBOM_IN_WHEEL]));
    assert_eq!(found["last"], "demo-1.0.dist-info/RECORD");
    // The oracle does refuse a wheel whose RECORD is not true.
    let untrue = project.path("untrue.whl");
    std::fs::write(&untrue, with_entry_changed(&wheel.path, "demo/__init__.py")).unwrap();
    let refused = oracle(&python, RECORD_ORACLE, &[&untrue, &original]).unwrap_err();
    assert!(refused.contains("demo/__init__.py"), "{refused}");

    // pip installs it with the sha256 the artifacts name, and the SBOM
    // lands in the installed .dist-info (PEP 770).
    let pip = support::oracle_tool("CHIRON_TEST_PIP", "pip");
    let install = |sha256: &str, target: &str| {
        let requirements = project.path(&format!("{target}.txt"));
        std::fs::write(
            &requirements,
            format!("{} --hash=sha256:{sha256}\n", wheel.path.display()),
        )
        .unwrap();
        Command::new(&pip)
            .args([
                "install",
                "--no-index",
                "--no-deps",
                "--require-hashes",
                "--quiet",
            ])
            .arg("--target")
            .arg(project.path(target))
            .arg("-r")
            .arg(&requirements)
            .output()
            .unwrap()
    };
    let installed = install(&wheel.sha256.to_string(), "site");
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    assert_eq!(
        std::fs::read(project.path("site").join(SBOM_IN_WHEEL)).unwrap(),
        zip_entry(&wheel.path, SBOM_IN_WHEEL)
    );
    // The build's own hash is no longer the wheel's: pip says so.
    let refused = install(&sha256_hex(&project.inputs[0].2), "old");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("HASHES"));

    // Writing the artifacts again replaces the SBOM rather than adding one.
    let again = project
        .write(&project.path("dist"), &artifacts.built, false, true)
        .unwrap();
    assert_eq!(
        again.built, artifacts.built,
        "the same wheel, byte for byte"
    );
}

/// The in-toto attestation framework's bindings read the envelope's
/// statement strictly (an unknown field is an error), validate it, and
/// parse its predicate as an SLSA Provenance v1 message, checking the
/// fields SLSA requires; the DSSE pre-authentication encoding is written
/// out for openssl.
const PROVENANCE_ORACLE: &str = r#"
import base64, json, sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2

envelope = json.load(open(sys.argv[1]))
out = sys.argv[2]
payload_type = envelope["payloadType"].encode()
payload = base64.b64decode(envelope["payload"])
with open(out + "/pae.bin", "wb") as f:
    f.write(b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload))
statement = json_format.Parse(payload, statement_pb2.Statement())
Statement.copy_from_pb(statement).validate()
assert statement.predicate_type == "https://slsa.dev/provenance/v1", statement.predicate_type
provenance = json_format.ParseDict(json_format.MessageToDict(statement.predicate), provenance_pb2.Provenance())
definition = provenance.build_definition
assert definition.build_type, "buildType is required"
assert provenance.HasField("build_definition") and definition.HasField("external_parameters")
assert provenance.run_details.builder.id, "builder.id is required"
for dependency in definition.resolved_dependencies:
    ResourceDescriptor.copy_from_pb(dependency).validate()
print(json.dumps({
    "payloadType": envelope["payloadType"],
    "signatures": [s["sig"] for s in envelope["signatures"]],
    "subjects": {s.name: dict(s.digest) for s in statement.subject},
    "buildType": definition.build_type,
    "command": json_format.MessageToDict(definition.external_parameters)["command"],
    "dependencies": [json_format.MessageToDict(d) for d in definition.resolved_dependencies],
    "startedOn": provenance.run_details.metadata.started_on.ToJsonString(),
}))
"#;

#[test]
fn the_provenance_is_slsa_v1_and_every_signature_verifies_with_openssl() {
    let project = Project::new();
    let artifacts = project.build("dist", true, true);
    let dist = project.path("dist");
    let public = project.path("cosign.pub");

    let found = run_python(
        &intoto_python(),
        PROVENANCE_ORACLE,
        &[&dist.join("provenance.intoto.json"), project.home.path()],
    );
    assert_eq!(found["payloadType"], "application/vnd.in-toto+json");
    let subjects: Value = artifacts
        .built
        .iter()
        .map(|f| {
            let name = f.path.file_name().unwrap().to_string_lossy().into_owned();
            (name, json!({ "sha256": f.sha256.to_string() }))
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    assert_eq!(
        found["subjects"], subjects,
        "the distributions, as they are now"
    );
    assert_eq!(found["buildType"], "https://chiron.invalid/build/v1");
    assert_eq!(found["command"], json!(["chiron", "build"]));
    assert_eq!(found["startedOn"], "2023-11-14T22:13:20Z");
    let dependencies = found["dependencies"].as_array().unwrap();
    assert_eq!(
        dependencies[0],
        json!({
            "name": "source",
            "uri": "git+https://ci:****@git.example.test/demo.git",
            "digest": { "gitCommit": COMMIT },
        })
    );
    let locked: Vec<(&str, &str)> = dependencies[1..]
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["digest"]["sha256"].as_str().unwrap(),
            )
        })
        .collect();
    let setuptools = "setuptools-75.1.0-py3-none-any.whl";
    let wheel = "wheel-0.44.0-py3-none-any.whl";
    let setuptools_sha = sha256_hex(setuptools.as_bytes());
    let wheel_sha = sha256_hex(wheel.as_bytes());
    assert_eq!(
        locked,
        [
            (setuptools, setuptools_sha.as_str()),
            (wheel, wheel_sha.as_str())
        ]
    );

    // The envelope's signature, over the PAE the oracle wrote.
    let signatures = found["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1);
    let der = base64::engine::general_purpose::STANDARD
        .decode(signatures[0].as_str().unwrap())
        .unwrap();
    assert!(openssl_verifies(&public, &project.path("pae.bin"), &der));
    assert!(!openssl_verifies(
        &project.path("other.pub"),
        &project.path("pae.bin"),
        &der
    ));
    // Each distribution's signature (cosign verify-blob's format) and
    // SHA256SUMS's.
    for name in [WHEEL, SDIST, "SHA256SUMS"] {
        let signature = blob_signature(&dist.join(format!("{name}.sig")));
        assert!(
            openssl_verifies(&public, &dist.join(name), &signature),
            "{name}"
        );
    }
    // SHA256SUMS lists what sha256sum would compute.
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let listed: Vec<&str> = sums
        .lines()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    assert_eq!(
        listed,
        [
            WHEEL,
            &format!("{WHEEL}.cdx.json"),
            SDIST,
            "provenance.intoto.json"
        ]
    );
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        assert_eq!(
            hash,
            sha256_hex(&std::fs::read(dist.join(name)).unwrap()),
            "{name}"
        );
    }

    // The oracle does refuse what SLSA v1 does not allow: a field it does
    // not define, a start time that is not a time.
    let envelope = dist.join("provenance.intoto.json");
    for (change, cause) in [
        (
            json!({ "buildDefinition": { "buildTool": "x" } }),
            "buildTool",
        ),
        (
            json!({ "runDetails": { "metadata": { "startedOn": "yesterday" } } }),
            "startedOn",
        ),
    ] {
        forge_provenance(&dist, |statement| {
            merge(&mut statement["predicate"], &change)
        });
        let refused = oracle(
            &intoto_python(),
            PROVENANCE_ORACLE,
            &[&envelope, project.home.path()],
        )
        .unwrap_err();
        assert!(refused.contains(cause), "{refused}");
        project.build("dist", true, true);
    }
}

/// Sets every leaf of `change` in `value`.
fn merge(value: &mut Value, change: &Value) {
    match change.as_object() {
        Some(fields) => {
            for (key, field) in fields {
                merge(&mut value[key], field);
            }
        }
        None => *value = change.clone(),
    }
}

/// The bytes of a zip's first entry's compressed data.
fn first_entry_data_offset(zip: &[u8]) -> usize {
    let name = u16::from_le_bytes([zip[26], zip[27]]) as usize;
    let extra = u16::from_le_bytes([zip[28], zip[29]]) as usize;
    30 + name + extra
}

#[test]
fn a_changed_wheel_byte_is_named_by_every_check_that_covers_it() {
    let project = Project::new();
    project.build("dist", true, true);
    let path = project.path("dist").join(WHEEL);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = first_entry_data_offset(&bytes);
    bytes[at] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    let (code, report) = project.verify("dist", Some("cosign.pub"));
    assert_eq!(code, 1);
    assert_eq!(report["passed"], false);
    assert_eq!(
        problems(&report),
        expected(&[
            ("modified", WHEEL),
            ("record", WHEEL),
            ("signature", &format!("{WHEEL}.sig")),
            ("provenance", WHEEL),
            ("sbom", &format!("{WHEEL}.cdx.json")),
        ])
    );
}

#[test]
fn a_missing_signature_and_a_wrong_key_are_signature_problems() {
    let project = Project::new();
    project.build("dist", true, false);
    let (_, report) = project.verify("dist", Some("other.pub"));
    assert_eq!(
        problems(&report),
        expected(&[
            ("signature", "SHA256SUMS.sig"),
            ("signature", &format!("{WHEEL}.sig")),
            ("signature", &format!("{SDIST}.sig")),
            ("signature", "provenance.intoto.json"),
        ])
    );

    std::fs::remove_file(project.path("dist").join(format!("{SDIST}.sig"))).unwrap();
    let (code, report) = project.verify("dist", Some("cosign.pub"));
    assert_eq!(code, 1);
    assert_eq!(
        problems(&report),
        expected(&[("signature", &format!("{SDIST}.sig"))])
    );
    let message = report["report"]["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("not signed"), "{message}");
}

/// Rewrites the provenance's statement with `change` (an attacker without
/// the key: unsigned), and SHA256SUMS to match it.
fn forge_provenance(dist: &Path, change: impl Fn(&mut Value)) {
    let path = dist.join("provenance.intoto.json");
    let mut envelope = read_json(&path);
    let engine = base64::engine::general_purpose::STANDARD;
    let payload = engine
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let mut statement: Value = serde_json::from_slice(&payload).unwrap();
    change(&mut statement);
    envelope["payload"] = json!(engine.encode(statement.to_string()));
    envelope["signatures"] = json!([]);
    let text = envelope.to_string();
    std::fs::write(&path, &text).unwrap();
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let sums: String = sums
        .lines()
        .map(|line| match line.split_once("  ") {
            Some((_, "provenance.intoto.json")) => {
                format!("{}  provenance.intoto.json\n", sha256_hex(text.as_bytes()))
            }
            _ => format!("{line}\n"),
        })
        .collect();
    std::fs::write(dist.join("SHA256SUMS"), sums).unwrap();
}

#[test]
fn provenance_subjects_that_do_not_match_the_files_are_named() {
    let project = Project::new();
    project.build("dist", false, false);
    forge_provenance(&project.path("dist"), |statement| {
        let subjects = statement["subject"].as_array_mut().unwrap();
        // The wheel left out, the sdist's digest changed, a file added.
        subjects.retain(|s| s["name"] != WHEEL);
        subjects[0]["digest"]["sha256"] = json!(sha256_hex(b"other"));
        subjects.push(json!({ "name": "ghost.whl", "digest": { "sha256": sha256_hex(b"") } }));
    });
    let (code, report) = project.verify("dist", None);
    assert_eq!(code, 1);
    assert_eq!(
        problems(&report),
        expected(&[
            ("provenance", WHEEL),
            ("provenance", SDIST),
            ("provenance", "ghost.whl"),
        ])
    );
    // With the key, the forgery's missing signature is named as well.
    let (_, report) = project.verify("dist", Some("cosign.pub"));
    assert!(problems(&report).contains(&("signature".into(), "provenance.intoto.json".into())));
}

#[test]
fn an_unlisted_file_is_added_and_an_orphan_sbom_is_named() {
    let project = Project::new();
    project.build("dist", true, false);
    let dist = project.path("dist");
    std::fs::write(dist.join("notes.txt"), "hello\n").unwrap();
    std::fs::write(dist.join("notes.txt.sig"), "AAAA\n").unwrap();
    let (code, report) = project.verify("dist", Some("cosign.pub"));
    assert_eq!(code, 1);
    assert_eq!(
        problems(&report),
        expected(&[("added", "notes.txt"), ("added", "notes.txt.sig")])
    );

    // A wheel taken away: listed but missing, and its SBOM has no wheel.
    std::fs::remove_file(dist.join("notes.txt")).unwrap();
    std::fs::remove_file(dist.join("notes.txt.sig")).unwrap();
    std::fs::remove_file(dist.join(WHEEL)).unwrap();
    let (_, report) = project.verify("dist", Some("cosign.pub"));
    assert_eq!(
        problems(&report),
        expected(&[
            ("missing", WHEEL),
            ("added", &format!("{WHEEL}.sig")),
            ("provenance", WHEEL),
            ("sbom", &format!("{WHEEL}.cdx.json")),
        ])
    );
}

#[test]
fn damaged_artifacts_are_problems_not_panics() {
    let project = Project::new();
    project.build("dist", false, false);
    let dist = project.path("dist");
    std::fs::write(dist.join("provenance.intoto.json"), "{ not json").unwrap();
    std::fs::write(dist.join(format!("{WHEEL}.cdx.json")), [0xff, 0xfe, 0x00]).unwrap();
    let (code, report) = project.verify("dist", None);
    assert_eq!(code, 1);
    assert_eq!(
        problems(&report),
        expected(&[
            ("modified", "provenance.intoto.json"),
            ("provenance", "provenance.intoto.json"),
            ("modified", &format!("{WHEEL}.cdx.json")),
            ("sbom", &format!("{WHEEL}.cdx.json")),
        ])
    );
    // An SBOM that does not name the wheel's sha256.
    let sbom = dist.join(format!("{WHEEL}.cdx.json"));
    std::fs::write(&sbom, r#"{"metadata": {"component": {}}}"#).unwrap();
    let (_, report) = project.verify("dist", None);
    let message = report["report"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "sbom")
        .unwrap()["message"]
        .clone();
    assert_eq!(message, "its root component names no SHA-256 of the wheel");
}

#[test]
fn a_keyless_run_leaves_no_stale_signatures() {
    let project = Project::new();
    project.build("dist", true, false);
    let artifacts = project.build("dist", false, false);
    assert!(!artifacts.signed);
    let names = names_in(&project.path("dist"));
    assert!(names.iter().all(|n| !n.ends_with(".sig")), "{names:?}");
    let (code, report) = project.verify("dist", None);
    assert_eq!((code, problems(&report)), (0, BTreeSet::new()));
    assert_eq!(report["report"]["notes"], json!(["not signed"]));
    // A key then asks for signatures that are not there.
    let (_, report) = project.verify("dist", Some("cosign.pub"));
    assert_eq!(
        problems(&report),
        expected(&[
            ("signature", "SHA256SUMS.sig"),
            ("signature", &format!("{WHEEL}.sig")),
            ("signature", &format!("{SDIST}.sig")),
            ("signature", "provenance.intoto.json"),
        ])
    );
}

#[test]
fn requests_that_cannot_be_honoured_name_the_file_and_a_hint() {
    let project = Project::new();
    let dist = project.path("dist");
    let built = place(&dist, &project.inputs);
    let error = |built: &[BuiltFile]| {
        let error = project.write(&dist, built, false, true).unwrap_err();
        let hint = error.hint().unwrap_or_default();
        assert!(!hint.is_empty(), "{error}: no hint");
        (error.to_string(), error.exit_class())
    };

    let mut elsewhere = built.clone();
    elsewhere[0].path = project.path(WHEEL);
    let (message, class) = error(&elsewhere);
    assert!(message.contains("not in the output folder"), "{message}");
    assert_eq!(class, ExitClass::Usage);

    let mut changed = built.clone();
    changed[1].sha256 = Sha256::of(b"something else");
    let (message, class) = error(&changed);
    assert!(
        message.starts_with(&dist.join(SDIST).display().to_string()),
        "{message}"
    );
    assert!(message.contains("the build recorded"), "{message}");
    assert_eq!(class, ExitClass::Problems);

    let mut misnamed = built.clone();
    misnamed[1].kind = DistKind::Wheel;
    let (message, _) = error(&misnamed);
    assert!(
        message.contains("not a wheel or sdist file name"),
        "{message}"
    );

    let twice = [built[0].clone(), built[0].clone()];
    let (message, _) = error(&twice);
    assert!(message.contains("named twice"), "{message}");

    // A "wheel" that is not a zip, recorded with its true hash.
    let broken = dist.join("broken-1.0-py3-none-any.whl");
    std::fs::write(&broken, b"not a zip").unwrap();
    let not_a_zip = [BuiltFile {
        path: broken.clone(),
        kind: DistKind::Wheel,
        sha256: Sha256::of(b"not a zip"),
        size: 9,
    }];
    let (message, class) = error(&not_a_zip);
    assert!(message.contains("broken-1.0-py3-none-any.whl"), "{message}");
    assert!(message.contains("zip"), "{message}");
    assert_eq!(class, ExitClass::Problems);

    // A lock that is not a lock.
    std::fs::write(project.path("pylock.toml"), "lock-version = [").unwrap();
    let (message, class) = error(&built);
    assert!(message.contains("pylock.toml"), "{message}");
    assert_eq!(class, ExitClass::Usage);
}

#[test]
fn without_a_lock_the_sbom_lists_no_runtime_and_still_validates() {
    let project = Project::new();
    let dist = project.path("dist");
    let built = place(&dist, &project.inputs);
    // Named by their file names alone: they are in `dist`.
    let named: Vec<BuiltFile> = built
        .iter()
        .map(|f| BuiltFile {
            path: f.path.file_name().unwrap().into(),
            ..f.clone()
        })
        .collect();
    let artifacts = write_artifacts(&ArtifactRequest {
        dist: &dist,
        built: &named,
        source: &SourceInfo {
            commit: None,
            repository: None,
            ..source()
        },
        build_dependencies: &[],
        runtime_lock: None,
        key: None,
        pep770: false,
        command: &[],
    })
    .unwrap();
    // Nothing rewritten without PEP 770, each named by its path.
    assert_eq!(artifacts.built, built,);
    let bom = read_json(&dist.join(format!("{WHEEL}.cdx.json")));
    assert!(support::schemas::cyclonedx_errors(&bom, "1.6").is_empty());
    assert_eq!(bom["components"], json!([]));
    assert!(bom.get("formulation").is_none());
    let (code, report) = project.verify("dist", None);
    assert_eq!((code, problems(&report)), (0, BTreeSet::new()));
}
