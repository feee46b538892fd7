//! `chiron init --ci github`: the workflow it writes passes actionlint
//! (with ShellCheck on every `run:` script) for each kind of project, and
//! read as YAML by PyYAML its jobs wait for each other as intended, every
//! action is pinned to a commit, and secrets reach only the steps that
//! sign, never a pull request's run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{chiron, oracle_tool, write_files};

const PURE: &str = r#"[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "shop-api"
version = "1.0"
requires-python = ">=3.12"
dependencies = ["requests>=2"]
"#;

const COMPILED: &str = r#"[build-system]
requires = ["maturin>=1.5"]
build-backend = "maturin"

[project]
name = "fast-parse"
version = "1.0"
requires-python = ">=3.12"
dependencies = ["numpy>=2"]
"#;

/// A project folder holding `pyproject`, and the workflow `chiron init
/// --ci github EXTRA` writes there.
fn init_ci(home: &Path, project: &Path, pyproject: &str, extra: &[&str]) -> String {
    write_files(project, &[("pyproject.toml", pyproject)]);
    let output = chiron(home)
        .current_dir(project)
        .args(["init", "--ci", "github"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(project.join(".github/workflows/chiron.yml")).unwrap()
}

/// What actionlint (ShellCheck included) says of the workflow at `path`.
fn actionlint(path: &Path) -> (bool, String) {
    let output = Command::new(oracle_tool("CHIRON_TEST_ACTIONLINT", "actionlint"))
        .arg("-no-color")
        .arg(format!(
            "-shellcheck={}",
            oracle_tool("CHIRON_TEST_SHELLCHECK", "shellcheck").display()
        ))
        .arg(path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success() && said.trim().is_empty(), said)
}

/// The workflow as PyYAML reads it: each job's needs, `if`, permissions,
/// the jobs whose steps take secrets, every `uses:`, the top-level
/// permissions and triggers.
const READ_WORKFLOW: &str = r#"
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
on = doc.get("on", doc.get(True))
jobs = doc["jobs"]
def needs(job):
    n = job.get("needs", [])
    return [n] if isinstance(n, str) else n
out = {
    "triggers": sorted(on),
    "permissions": doc["permissions"],
    "needs": {name: needs(job) for name, job in jobs.items()},
    "if": {name: job.get("if") for name, job in jobs.items()},
    "job_permissions": {name: job.get("permissions") for name, job in jobs.items()},
    "secret_steps": sorted({name for name, job in jobs.items() for step in job["steps"]
                            if "secrets." in json.dumps(step)}),
    "secrets_outside_env": [step.get("name") for job in jobs.values() for step in job["steps"]
                            if "secrets." in json.dumps({k: v for k, v in step.items() if k != "env"})],
    "uses": [step["uses"] for job in jobs.values() for step in job["steps"] if "uses" in step],
    "cibw_build": [step.get("env", {}).get("CIBW_BUILD") for job in jobs.values()
                   for step in job["steps"] if "cibuildwheel" in step.get("uses", "")],
}
print(json.dumps(out))
"#;

fn read_yaml(path: &Path) -> Value {
    let python = oracle_tool("CHIRON_TEST_YAML_PYTHON", "python");
    let output = Command::new(python)
        .args(["-c", READ_WORKFLOW])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn graph(pairs: &[(&str, &[&str])]) -> Value {
    let map: BTreeMap<&str, Vec<&str>> = pairs.iter().map(|(k, v)| (*k, v.to_vec())).collect();
    serde_json::to_value(map).unwrap()
}

#[test]
fn the_workflow_passes_actionlint_and_its_jobs_wait_as_intended() {
    let home = tempfile::tempdir().unwrap();
    let gated_build = &["sdist-and-pure"][..];
    let cases: [(&str, &str, &[&str], Value); 5] = [
        (
            "pure-signed",
            PURE,
            &[],
            graph(&[
                ("sdist-and-pure", &[]),
                ("compare", gated_build),
                ("gate", &[]),
                ("sign", &["compare", "gate"]),
                ("airgap", &["gate", "sign"]),
            ]),
        ),
        (
            "pure-unsigned",
            PURE,
            &["--unsigned"],
            graph(&[
                ("sdist-and-pure", &[]),
                ("compare", gated_build),
                ("gate", &[]),
                ("airgap", &["gate", "compare"]),
            ]),
        ),
        (
            "compiled-signed",
            COMPILED,
            &[],
            graph(&[
                ("sdist-and-pure", &[]),
                ("wheels", &[]),
                ("compare", gated_build),
                ("gate", &[]),
                ("sign", &["compare", "gate", "wheels"]),
                ("airgap", &["gate", "sign"]),
            ]),
        ),
        (
            "compiled-unsigned",
            COMPILED,
            &["--unsigned", "--python", "3.12,3.13"],
            graph(&[
                ("sdist-and-pure", &[]),
                ("wheels", &[]),
                ("compare", gated_build),
                ("gate", &[]),
                ("airgap", &["gate", "compare", "wheels"]),
            ]),
        ),
        (
            // A pure project told to build with cibuildwheel anyway.
            "forced-compiled",
            PURE,
            &["--wheels", "compiled", "--unsigned"],
            graph(&[
                ("sdist-and-pure", &[]),
                ("wheels", &[]),
                ("compare", gated_build),
                ("gate", &[]),
                ("airgap", &["gate", "compare", "wheels"]),
            ]),
        ),
    ];
    for (name, pyproject, extra, needs) in cases {
        let project = home.path().join(name);
        std::fs::create_dir(&project).unwrap();
        let text = init_ci(home.path(), &project, pyproject, extra);
        let path = project.join(".github/workflows/chiron.yml");
        let (clean, said) = actionlint(&path);
        assert!(clean, "{name}: actionlint says:\n{said}\n{text}");

        let doc = read_yaml(&path);
        assert_eq!(doc["needs"], needs, "{name}");
        assert_eq!(
            doc["triggers"],
            serde_json::json!(["pull_request", "push", "workflow_dispatch"])
        );
        assert_eq!(doc["permissions"], serde_json::json!({}), "{name}");
        for (job, permissions) in doc["job_permissions"].as_object().unwrap() {
            let allowed = [
                serde_json::json!({}),
                serde_json::json!({"contents": "read"}),
            ];
            assert!(
                allowed.contains(permissions),
                "{name}: {job}: {permissions}"
            );
        }
        let signed = !extra.contains(&"--unsigned");
        let expected_secret_jobs: Vec<&str> = if signed {
            vec!["airgap", "sign"]
        } else {
            vec![]
        };
        assert_eq!(
            doc["secret_steps"],
            serde_json::json!(expected_secret_jobs),
            "{name}"
        );
        assert_eq!(doc["secrets_outside_env"], serde_json::json!([]), "{name}");
        for job in expected_secret_jobs {
            assert_eq!(
                doc["if"][job], "github.event_name != 'pull_request'",
                "{name}: {job}"
            );
        }
        for uses in doc["uses"].as_array().unwrap() {
            let (_, commit) = uses.as_str().unwrap().split_once('@').unwrap();
            assert!(
                commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                "{name}: {uses}"
            );
        }
        // The version comment beside each pin, as the text has it.
        for line in text.lines().filter(|l| l.contains("uses: ")) {
            assert!(line.contains(" # v"), "{name}: {line}");
        }
    }
    let compiled = home
        .path()
        .join("compiled-unsigned/.github/workflows/chiron.yml");
    assert_eq!(
        read_yaml(&compiled)["cibw_build"],
        serde_json::json!(["cp312-* cp313-*"])
    );
}

#[test]
fn actionlint_is_a_live_oracle() {
    // The same workflow with one job waiting for a job that does not
    // exist: actionlint must say so, or its silence above proves nothing.
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join("p");
    std::fs::create_dir(&project).unwrap();
    let text = init_ci(home.path(), &project, PURE, &[]);
    let broken = text.replace("needs: [sdist-and-pure]", "needs: [sdist]");
    assert_ne!(broken, text);
    let path = project.join("broken.yml");
    std::fs::write(&path, broken).unwrap();
    let (clean, said) = actionlint(&path);
    assert!(!clean && said.contains("sdist"), "{said}");
}

#[test]
fn the_workflow_takes_the_configured_pythons_and_is_never_overwritten_without_force() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write_files(
        h,
        &[(
            "chiron.toml",
            "[targets]\npython = [\"3.11\", \"3.12\"]\nplatforms = [\"linux-x86_64\"]\n",
        )],
    );
    let text = init_ci(h, h, COMPILED, &[]);
    assert!(text.contains("CIBW_BUILD: \"cp311-* cp312-*\""), "{text}");
    assert!(text.contains("python-version: \"3.12\""), "{text}");

    // Refused without --force, and the file is left as it was.
    let path = h.join(".github/workflows/chiron.yml");
    std::fs::write(&path, "mine\n").unwrap();
    chiron(h)
        .current_dir(h)
        .args(["init", "--ci", "github"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("chiron.yml already exists"))
        .stderr(predicates::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine\n");
    // --dry-run prints it and writes nothing; --json says so.
    let output = chiron(h)
        .current_dir(h)
        .args(["init", "--ci", "github", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), text);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine\n");
    let output = chiron(h)
        .current_dir(h)
        .args(["--json", "init", "--ci", "github", "--force", "--unsigned"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["written"], true);
    assert_eq!(
        report["content"],
        std::fs::read_to_string(&path).unwrap().as_str()
    );
    assert!(
        report["path"]
            .as_str()
            .unwrap()
            .ends_with(".github/workflows/chiron.yml")
    );
    // chiron.toml is not touched by --ci; --wheels needs --ci.
    assert!(
        std::fs::read_to_string(h.join("chiron.toml"))
            .unwrap()
            .contains("3.11")
    );
    chiron(h)
        .current_dir(h)
        .args(["init", "--wheels", "pure"])
        .assert()
        .code(2);
}
