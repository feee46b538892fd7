//! `chiron init` end to end: detection, the written file, refusals.

use crate::support::{chiron, write_files};
use predicates::prelude::*;

const PYPROJECT: &str = r#"
[project]
name = "shop-api"
requires-python = ">=3.13"
dependencies = ["fastapi>=0.110", "uvicorn[standard]"]

[project.optional-dependencies]
postgres = ["psycopg[binary]"]
"#;

fn effective(home: &std::path::Path, dir: &std::path::Path) -> serde_json::Value {
    let output = chiron(home)
        .current_dir(dir)
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn init_writes_a_config_that_chiron_then_loads() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[
            ("pyproject.toml", PYPROJECT),
            ("requirements.txt", "fastapi\n"),
            ("requirements-dev.txt", "pytest\n"),
        ],
    );
    chiron(home.path())
        .current_dir(project.path())
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote"))
        .stdout(predicate::str::contains("chiron.toml"));

    let text = std::fs::read_to_string(project.path().join("chiron.toml")).unwrap();
    assert!(
        text.starts_with("# chiron configuration for shop-api."),
        "{text}"
    );
    assert!(text.contains("# extras = [\"postgres\"]"), "{text}");

    let shown = effective(home.path(), project.path());
    let config = &shown["config"];
    assert_eq!(
        config["targets"]["python"],
        serde_json::json!(["3.13", "3.14", "3.15"])
    );
    assert_eq!(
        config["inputs"]["requirements"],
        serde_json::json!(["requirements.txt"])
    );
    assert_eq!(config["inputs"]["pyproject"], "pyproject.toml");
    assert!(
        shown["sources"]["targets.python"]
            .as_str()
            .unwrap()
            .ends_with("chiron.toml")
    );
}

#[test]
fn init_never_overwrites_without_force() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("requirements.txt", "rich\n"), ("chiron.toml", "# mine\n")],
    );
    chiron(home.path())
        .current_dir(project.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"))
        .stderr(predicate::str::contains("hint: pass --force"));
    assert_eq!(
        std::fs::read_to_string(project.path().join("chiron.toml")).unwrap(),
        "# mine\n"
    );

    chiron(home.path())
        .current_dir(project.path())
        .args([
            "init",
            "--force",
            "--python",
            "3.12",
            "--platform",
            "linux-aarch64,win_amd64",
        ])
        .assert()
        .success();
    let shown = effective(home.path(), project.path());
    assert_eq!(
        shown["config"]["targets"]["python"],
        serde_json::json!(["3.12"])
    );
    assert_eq!(
        shown["config"]["targets"]["platforms"],
        serde_json::json!(["linux-aarch64", "win_amd64"])
    );
}

#[test]
fn dry_run_prints_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(project.path(), &[("requirements.txt", "rich\n")]);
    chiron(home.path())
        .current_dir(project.path())
        .args(["init", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "requirements = [\"requirements.txt\"]",
        ));
    assert!(!project.path().join("chiron.toml").exists());

    let output = chiron(home.path())
        .current_dir(project.path())
        .args(["init", "--dry-run", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["written"], false);
    assert!(report["content"].as_str().unwrap().contains("[targets]"));
}

#[test]
fn outside_a_python_project_init_asks_for_inputs() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    chiron(home.path())
        .current_dir(empty.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "does not look like a Python project",
        ))
        .stderr(predicate::str::contains("hint:"))
        .stderr(predicate::str::contains("--requirements"));
    assert!(!empty.path().join("chiron.toml").exists());

    chiron(home.path())
        .current_dir(empty.path())
        .args(["init", "--requirements", "deps.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("deps.txt does not exist"));

    write_files(empty.path(), &[("deps.txt", "numpy\n")]);
    chiron(home.path())
        .current_dir(empty.path())
        .args(["init", "--requirements", "deps.txt"])
        .assert()
        .success();
    let shown = effective(home.path(), empty.path());
    assert_eq!(
        shown["config"]["inputs"]["requirements"],
        serde_json::json!(["deps.txt"])
    );
}

#[test]
fn a_lock_is_detected_and_used_as_is() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("pyproject.toml", PYPROJECT), ("uv.lock", "version = 1\n")],
    );
    chiron(home.path())
        .current_dir(project.path())
        .arg("init")
        .assert()
        .success();
    let shown = effective(home.path(), project.path());
    assert_eq!(shown["config"]["inputs"]["lock"], "uv.lock");
    assert!(shown["config"]["inputs"].get("pyproject").is_none());
}

#[test]
fn bad_pyproject_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("pyproject.toml", "[project]\nrequires-python = \"3.12+\"\n")],
    );
    chiron(home.path())
        .current_dir(project.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pyproject.toml"))
        .stderr(predicate::str::contains("3.12+"));
}
