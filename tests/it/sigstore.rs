//! Sigstore bundle verification checked against others: the Sigstore
//! project's client conformance suite (every case in
//! `../shared/conformance/sigstore`), and sigstore-python, the reference
//! client, on bundles of a private instance mutated field by field.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::chiron;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

const CONFORMANCE_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const CONFORMANCE_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// `../shared/conformance/sigstore` beside the clone (as CI lays it out),
/// or CHIRON_SIGSTORE_CONFORMANCE.
fn conformance_dir() -> PathBuf {
    let dir = std::env::var_os("CHIRON_SIGSTORE_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/sigstore")
        });
    assert!(
        dir.join("test/assets/bundle-verify").is_dir(),
        "the Sigstore conformance cases are missing at {} (set CHIRON_SIGSTORE_CONFORMANCE)",
        dir.display()
    );
    dir
}

/// Every case of the suite, as its README lays them out: a folder ending
/// in `_fail` must be refused, every other must verify. A new case
/// dropped into the folder is tested without a change here.
#[test]
fn every_sigstore_conformance_case_gets_the_expected_verdict() {
    let home = tempfile::tempdir().unwrap();
    let suite = conformance_dir();
    let cases_dir = suite.join("test/assets/bundle-verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 70, "only {} cases found", cases.len());
    let mut disagreements = Vec::new();
    let (mut passes, mut failures) = (0, 0);
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let read = |file: &str| std::fs::read_to_string(case.join(file)).ok();
        let artifact = if case.join("artifact").is_file() {
            case.join("artifact")
        } else {
            cases_dir.join("a.txt")
        };
        let root = if case.join("trusted_root.json").is_file() {
            case.join("trusted_root.json")
        } else {
            suite.join("trusted_root.production.json")
        };
        let mut command = chiron(home.path());
        command
            .arg("verify")
            .arg(&artifact)
            .arg("--bundle")
            .arg(case.join("bundle.sigstore.json"))
            .arg("--trusted-root")
            .arg(&root);
        if case.join("key.pub").is_file() {
            command.arg("--key").arg(case.join("key.pub"));
        } else {
            let identity = read("identity").unwrap_or_else(|| CONFORMANCE_IDENTITY.into());
            let issuer = read("issuer").unwrap_or_else(|| CONFORMANCE_ISSUER.into());
            command
                .args(["--certificate-identity", identity.trim()])
                .args(["--certificate-oidc-issuer", issuer.trim()]);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let should_pass = !name.ends_with("_fail");
        if should_pass {
            passes += 1;
        } else {
            failures += 1;
        }
        // A refusal must be a verdict on the bundle, never a crash or a
        // file chiron could not read.
        let verdict_ok = match output.status.code() {
            Some(0) => should_pass,
            Some(1 | 2) => !should_pass && !stderr.contains("cannot read"),
            _ => false,
        };
        if !verdict_ok {
            disagreements.push(format!(
                "{name}: exit {:?}: {}",
                output.status.code(),
                stderr.lines().next().unwrap_or_default()
            ));
        }
    }
    assert!(
        passes > 20 && failures > 20,
        "{passes} pass / {failures} fail cases"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} conformance cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}

const IDENTITY: &str =
    "https://github.example.invalid/acme/app/.github/workflows/release.yml@refs/tags/v1.0";
const ISSUER: &str = "https://token.actions.example.invalid";

fn tools_python() -> String {
    std::env::var("CHIRON_TEST_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A bundle or an expectation, changed in one place.
struct Mutant {
    name: String,
    bundle: Value,
    artifact: &'static str,
    identity: String,
    issuer: String,
}

fn flip_b64(value: &mut Value) {
    let mut bytes = STANDARD.decode(value.as_str().unwrap()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    *value = Value::from(STANDARD.encode(bytes));
}

fn flip_first_b64(value: &mut Value) {
    let mut bytes = STANDARD.decode(value.as_str().unwrap()).unwrap();
    bytes[0] ^= 0x01;
    *value = Value::from(STANDARD.encode(bytes));
}

/// The bundle's log entry.
fn entry(bundle: &mut Value) -> &mut Value {
    &mut bundle["verificationMaterial"]["tlogEntries"][0]
}

/// The checkpoint's lines changed by `edit` (the signature kept).
fn edit_checkpoint(bundle: &mut Value, edit: impl Fn(&mut Vec<String>)) {
    let envelope = &mut bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"];
    let mut lines: Vec<String> = envelope
        .as_str()
        .unwrap()
        .split('\n')
        .map(str::to_string)
        .collect();
    edit(&mut lines);
    *envelope = Value::from(lines.join("\n"));
}

/// Every field that carries trust, changed one at a time.
fn mutants(bundle: &Value, kind: &str) -> Vec<Mutant> {
    type Edit = Box<dyn Fn(&mut Value)>;
    let mut edits: Vec<(&str, Edit)> = vec![
        ("unchanged", Box::new(|_| {})),
        (
            "log index",
            Box::new(|b| entry(b)["logIndex"] = Value::from("3")),
        ),
        (
            "integrated time",
            Box::new(|b| entry(b)["integratedTime"] = Value::from("1700000100")),
        ),
        (
            "no signed entry timestamp",
            Box::new(|b| {
                entry(b).as_object_mut().unwrap().remove("inclusionPromise");
            }),
        ),
        (
            "forged entry: no SET, other index and time",
            Box::new(|b| {
                let e = entry(b);
                e.as_object_mut().unwrap().remove("inclusionPromise");
                e["logIndex"] = Value::from("4242");
                e["integratedTime"] = Value::from("1700000300");
            }),
        ),
        (
            "signed entry timestamp",
            Box::new(|b| flip_b64(&mut entry(b)["inclusionPromise"]["signedEntryTimestamp"])),
        ),
        (
            "log id",
            Box::new(|b| flip_first_b64(&mut entry(b)["logId"]["keyId"])),
        ),
        (
            "entry body",
            Box::new(|b| {
                let e = entry(b);
                let body = STANDARD
                    .decode(e["canonicalizedBody"].as_str().unwrap())
                    .unwrap();
                let value: Value = serde_json::from_slice(&body).unwrap();
                e["canonicalizedBody"] =
                    Value::from(STANDARD.encode(serde_json::to_vec_pretty(&value).unwrap()));
            }),
        ),
        (
            "entry version",
            Box::new(|b| entry(b)["kindVersion"]["version"] = Value::from("0.0.2")),
        ),
        (
            "no inclusion proof",
            Box::new(|b| {
                entry(b).as_object_mut().unwrap().remove("inclusionProof");
            }),
        ),
        (
            "inclusion proof hash",
            Box::new(|b| flip_b64(&mut entry(b)["inclusionProof"]["hashes"][0])),
        ),
        (
            "inclusion proof root hash",
            Box::new(|b| flip_b64(&mut entry(b)["inclusionProof"]["rootHash"])),
        ),
        (
            "inclusion proof tree size",
            Box::new(|b| entry(b)["inclusionProof"]["treeSize"] = Value::from("8")),
        ),
        (
            "inclusion proof index",
            Box::new(|b| entry(b)["inclusionProof"]["logIndex"] = Value::from("1")),
        ),
        (
            "no checkpoint",
            Box::new(|b| {
                entry(b)["inclusionProof"]
                    .as_object_mut()
                    .unwrap()
                    .remove("checkpoint");
            }),
        ),
        (
            "checkpoint signature",
            Box::new(|b| {
                edit_checkpoint(b, |lines| {
                    let signature = lines[4].rsplit_once(' ').unwrap();
                    let mut bytes = STANDARD.decode(signature.1).unwrap();
                    let last = bytes.len() - 1;
                    bytes[last] ^= 1;
                    lines[4] = format!("{} {}", signature.0, STANDARD.encode(bytes));
                })
            }),
        ),
        (
            "checkpoint key hint",
            Box::new(|b| {
                edit_checkpoint(b, |lines| {
                    let signature = lines[4].rsplit_once(' ').unwrap();
                    let mut bytes = STANDARD.decode(signature.1).unwrap();
                    bytes[0] ^= 1;
                    lines[4] = format!("{} {}", signature.0, STANDARD.encode(bytes));
                })
            }),
        ),
        (
            "checkpoint tree size",
            Box::new(|b| edit_checkpoint(b, |lines| lines[1] = "8".into())),
        ),
        (
            "checkpoint origin",
            Box::new(|b| edit_checkpoint(b, |lines| lines[0] = "rekor.other.invalid - 1".into())),
        ),
        (
            "certificate",
            Box::new(|b| flip_b64(&mut b["verificationMaterial"]["certificate"]["rawBytes"])),
        ),
        (
            "two log entries",
            Box::new(|b| {
                let entries = b["verificationMaterial"]["tlogEntries"]
                    .as_array_mut()
                    .unwrap();
                entries.push(entries[0].clone());
            }),
        ),
        (
            "unknown media type",
            Box::new(|b| {
                b["mediaType"] = Value::from("application/vnd.dev.sigstore.bundle+json;version=0.9")
            }),
        ),
        (
            "version 0.2 with a certificate chain",
            Box::new(|b| {
                b["mediaType"] =
                    Value::from("application/vnd.dev.sigstore.bundle+json;version=0.2");
                let material = b["verificationMaterial"].as_object_mut().unwrap();
                let certificate = material.remove("certificate").unwrap();
                material.insert(
                    "x509CertificateChain".into(),
                    serde_json::json!({ "certificates": [certificate] }),
                );
            }),
        ),
        (
            "version 0.2 with a certificate field",
            Box::new(|b| {
                b["mediaType"] = Value::from("application/vnd.dev.sigstore.bundle+json;version=0.2")
            }),
        ),
    ];
    if kind == "message" {
        edits.push((
            "signature",
            Box::new(|b| flip_b64(&mut b["messageSignature"]["signature"])),
        ));
        edits.push((
            "message digest",
            Box::new(|b| flip_b64(&mut b["messageSignature"]["messageDigest"]["digest"])),
        ));
    } else {
        edits.push((
            "DSSE signature",
            Box::new(|b| flip_b64(&mut b["dsseEnvelope"]["signatures"][0]["sig"])),
        ));
        edits.push((
            "DSSE payload",
            Box::new(|b| {
                let payload = STANDARD
                    .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
                    .unwrap();
                let mut statement: Value = serde_json::from_slice(&payload).unwrap();
                statement["predicate"]["buildDefinition"]["buildType"] =
                    Value::from("https://test.invalid/other");
                b["dsseEnvelope"]["payload"] =
                    Value::from(STANDARD.encode(serde_json::to_vec(&statement).unwrap()));
            }),
        ));
        edits.push((
            "DSSE payload type",
            Box::new(|b| b["dsseEnvelope"]["payloadType"] = Value::from("text/plain")),
        ));
    }
    let mut out: Vec<Mutant> = edits
        .into_iter()
        .map(|(name, edit)| {
            let mut changed = bundle.clone();
            edit(&mut changed);
            Mutant {
                name: format!("{kind}: {name}"),
                bundle: changed,
                artifact: "artifact.whl",
                identity: IDENTITY.into(),
                issuer: ISSUER.into(),
            }
        })
        .collect();
    let base = |name: &str| Mutant {
        name: format!("{kind}: {name}"),
        bundle: bundle.clone(),
        artifact: "artifact.whl",
        identity: IDENTITY.into(),
        issuer: ISSUER.into(),
    };
    out.push(Mutant {
        identity: IDENTITY.replace("acme", "evil"),
        ..base("identity")
    });
    out.push(Mutant {
        issuer: "https://accounts.example.invalid".into(),
        ..base("issuer")
    });
    out.push(Mutant {
        artifact: "other.whl",
        ..base("artifact")
    });
    out
}

/// The differential check: on every mutant, chiron's verdict is
/// sigstore-python's (offline, with the same trusted root).
#[test]
fn chiron_agrees_with_sigstore_python_on_mutated_bundles() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(h.join("artifact.whl"), "the released bytes").unwrap();
    std::fs::write(h.join("other.whl"), "not the released bytes").unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore");
    let made = Command::new(tools_python())
        .arg(data.join("make_instance.py"))
        .arg(h)
        .arg(h.join("artifact.whl"))
        .output()
        .expect("the tools venv is installed by .ci/test");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let mut all = Vec::new();
    for (file, kind) in [
        ("artifact.sigstore.json", "message"),
        ("artifact.attestation.json", "dsse"),
    ] {
        let bundle: Value = serde_json::from_slice(&std::fs::read(h.join(file)).unwrap()).unwrap();
        all.extend(mutants(&bundle, kind));
    }
    let mut cases = Vec::new();
    for (i, mutant) in all.iter().enumerate() {
        let path = h.join(format!("mutant-{i}.json"));
        std::fs::write(&path, serde_json::to_vec(&mutant.bundle).unwrap()).unwrap();
        cases.push(serde_json::json!({
            "bundle": path,
            "artifact": h.join(mutant.artifact),
            "root": h.join("trusted_root.json"),
            "identity": mutant.identity,
            "issuer": mutant.issuer,
        }));
    }
    let mut python = Command::new(tools_python())
        .arg(data.join("python_verify.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&cases).unwrap())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "sigstore-python (installed by .ci/test) failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(theirs.len(), all.len());

    // Where chiron is stricter on purpose. The checkpoint signs a tree of
    // 7; the proof claims 8 with the same audit path, which leads to the
    // same root for this index. sigstore-python compares only the root
    // hashes; chiron (like sigstore-go) also requires the signed size to
    // be the proof's, since the log signed no tree of 8.
    let stricter = ["inclusion proof tree size"];
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for (i, (mutant, theirs)) in all.iter().zip(&theirs).enumerate() {
        let output = chiron(h)
            .current_dir(h)
            .arg("verify")
            .arg(mutant.artifact)
            .arg("--bundle")
            .arg(format!("mutant-{i}.json"))
            .args(["--trusted-root", "trusted_root.json"])
            .args(["--certificate-identity", &mutant.identity])
            .args(["--certificate-oidc-issuer", &mutant.issuer])
            .output()
            .unwrap();
        let ours = output.status.success();
        assert!(
            matches!(output.status.code(), Some(0..=2)),
            "{}: exit {:?}",
            mutant.name,
            output.status.code()
        );
        if !ours {
            refused += 1;
        }
        if stricter.iter().any(|s| mutant.name.ends_with(s)) {
            assert!(
                !ours && theirs["ok"].as_bool().unwrap(),
                "{}: the documented difference is gone",
                mutant.name
            );
            continue;
        }
        if ours != theirs["ok"].as_bool().unwrap() {
            disagreements.push(format!(
                "{}: chiron {}, sigstore-python {} ({})",
                mutant.name,
                if ours { "accepts" } else { "refuses" },
                if ours { "refuses" } else { "accepts" },
                if ours {
                    theirs["error"].as_str().unwrap_or_default().to_string()
                } else {
                    String::from_utf8_lossy(&output.stderr)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_string()
                }
            ));
        }
    }
    // Both baselines verify; nearly everything else must be refused.
    assert!(
        refused >= all.len() - 4,
        "only {refused} of {} refused",
        all.len()
    );
    assert!(
        disagreements.is_empty(),
        "chiron and sigstore-python disagree:\n{}",
        disagreements.join("\n")
    );
}

/// Runs chiron on a conformance case with its bundle and trusted root
/// replaced; the exit code and stderr.
fn verify_changed_case(
    case: &str,
    bundle: impl FnOnce(&mut Value),
    root: impl FnOnce(&mut Value),
) -> (Option<i32>, String) {
    let suite = conformance_dir();
    let dir = suite.join("test/assets/bundle-verify").join(case);
    let root_path = if dir.join("trusted_root.json").is_file() {
        dir.join("trusted_root.json")
    } else {
        suite.join("trusted_root.production.json")
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut b: Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
    bundle(&mut b);
    let mut r: Value = serde_json::from_slice(&std::fs::read(root_path).unwrap()).unwrap();
    root(&mut r);
    std::fs::write(h.join("bundle.json"), b.to_string()).unwrap();
    std::fs::write(h.join("root.json"), r.to_string()).unwrap();
    let output = chiron(h)
        .current_dir(h)
        .arg("verify")
        .arg(suite.join("test/assets/bundle-verify/a.txt"))
        .args(["--bundle", "bundle.json", "--trusted-root", "root.json"])
        .args(["--certificate-identity", CONFORMANCE_IDENTITY])
        .args(["--certificate-oidc-issuer", CONFORMANCE_ISSUER])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What an outside review found beyond the suite: fractions of a second in
/// validity windows, a log listed twice, a failing checkpoint line of the
/// log's own key, and verdicts (exit 1) told apart from unreadable input.
#[test]
fn trust_windows_checkpoints_and_verdicts_beyond_the_suite() {
    // rekor2-happy-path's timestamp is at 12:02:20 exactly.
    let tsa_start = |start: &'static str| {
        move |r: &mut Value| r["timestampAuthorities"][0]["validFor"]["start"] = Value::from(start)
    };
    let (code, stderr) = verify_changed_case(
        "rekor2-happy-path",
        |_| {},
        tsa_start("2025-06-12T12:02:20Z"),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = verify_changed_case(
        "rekor2-happy-path",
        |_| {},
        tsa_start("2025-06-12T12:02:20.5Z"),
    );
    assert_eq!(code, Some(1), "half a second before the window: {stderr}");
    // happy-path-v0.3 was integrated at 17:26:26.
    let (code, _) = verify_changed_case(
        "happy-path-v0.3",
        |_| {},
        |r| {
            for log in r["tlogs"].as_array_mut().unwrap() {
                log["publicKey"]["validFor"]["start"] = Value::from("2024-03-19T17:26:26.5Z");
            }
        },
    );
    assert_eq!(code, Some(1));

    // The same log twice, the first copy with a window that excludes the
    // time of signing: the second copy is used.
    let (code, stderr) = verify_changed_case(
        "happy-path-v0.3",
        |_| {},
        |r| {
            for list in ["tlogs", "ctlogs"] {
                let logs = r[list].as_array_mut().unwrap();
                let mut expired: Vec<Value> = logs.clone();
                for log in &mut expired {
                    log["publicKey"]["validFor"] = serde_json::json!({
                        "start": "2000-01-01T00:00:00Z", "end": "2001-01-01T00:00:00Z"
                    });
                }
                expired.append(logs);
                *logs = expired;
            }
        },
    );
    assert_eq!(code, Some(0), "{stderr}");
    // A CT log window that ends before the SCT: named as such.
    let (code, stderr) = verify_changed_case(
        "happy-path-v0.3",
        |_| {},
        |r| {
            for log in r["ctlogs"].as_array_mut().unwrap() {
                log["publicKey"]["validFor"]["end"] = Value::from("2021-01-01T00:00:00Z");
            }
        },
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("outside its log's validity"), "{stderr}");

    // A signature line with the log's key hint that does not verify,
    // before the valid one: refused, as Go's note package and
    // sigstore-python refuse it.
    let (code, stderr) = verify_changed_case(
        "happy-path-v0.3",
        |b| {
            edit_checkpoint(b, |lines| {
                let (name, signature) = lines[4].rsplit_once(' ').unwrap();
                let mut bytes = STANDARD.decode(signature).unwrap();
                let last = bytes.len() - 1;
                bytes[last] ^= 1;
                let bad = format!("{name} {}", STANDARD.encode(bytes));
                lines.insert(4, bad);
            })
        },
        |_| {},
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("does not verify"), "{stderr}");

    // Refusals of the bundle's content are verdicts (exit 1); input that
    // cannot be read is exit 2, with a hint about the right input.
    let (code, _) = verify_changed_case(
        "happy-path-v0.3",
        |b| {
            entry(b).as_object_mut().unwrap().remove("inclusionProof");
        },
        |_| {},
    );
    assert_eq!(code, Some(1));
    let (code, stderr) = verify_changed_case(
        "happy-path-v0.3",
        |_| {},
        |r| {
            r["mediaType"] =
                Value::from("application/vnd.dev.sigstore.trustedroot+json;version=9.9")
        },
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the trusted root:") && stderr.contains("trusted_root.json"),
        "{stderr}"
    );
    let (code, stderr) =
        verify_changed_case("happy-path-v0.3", |b| *b = serde_json::json!([1]), |_| {});
    assert_eq!(code, Some(2));
    assert!(
        !stderr.contains("Raw"),
        "internal type names leak: {stderr}"
    );

    // Values are quoted, so a stray space shows.
    let home = tempfile::tempdir().unwrap();
    let suite = conformance_dir();
    let case = suite.join("test/assets/bundle-verify/happy-path-v0.3");
    let verify = |identity: &str| {
        chiron(home.path())
            .arg("verify")
            .arg(suite.join("test/assets/bundle-verify/a.txt"))
            .arg("--bundle")
            .arg(case.join("bundle.sigstore.json"))
            .arg("--trusted-root")
            .arg(suite.join("trusted_root.production.json"))
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", CONFORMANCE_ISSUER])
            .output()
            .unwrap()
    };
    let output = verify(&format!("{CONFORMANCE_IDENTITY} "));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains(&format!("not \"{CONFORMANCE_IDENTITY} \"")),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        verify("").status.code(),
        Some(2),
        "an empty identity is a usage error"
    );
}
