//! `chiron config show` / `config schema`, and how bad configuration is reported.

use crate::support::{chiron, write_files};
use predicates::prelude::*;

#[test]
fn unknown_keys_are_reported_with_position_and_suggestion() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[(
            "chiron.toml",
            "[targets]\npython = [\"3.12\"]\nplatfroms = [\"linux-x86_64\"]\n",
        )],
    );
    chiron(home.path())
        .current_dir(project.path())
        .args(["config", "show"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "chiron.toml:3:1: unknown field `platfroms`",
        ))
        .stderr(predicate::str::contains("3 | platfroms"))
        .stderr(predicate::str::contains("hint: did you mean `platforms`?"));
}

#[test]
fn wrong_types_are_reported_with_position_and_hint() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[index]\ntimeout = \"fast\"\n")],
    );
    chiron(home.path())
        .current_dir(project.path())
        .args(["config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "chiron.toml:2:11: invalid type: string \"fast\"",
        ))
        .stderr(predicate::str::contains("hint:"));
}

/// Values written as strings but meaning more (ages, dates, versions,
/// licence ids, requirements, names, URLs) are parsed when the file loads:
/// a bad one fails every command there, pointing at itself.
#[test]
fn bad_typed_values_fail_at_load_with_their_position() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[
            (
                "chiron.toml",
                "[policy]\nrequire-scan = true\nmin-release-age = \"3 parsecs\"\n",
            ),
            ("requirements.txt", "six==1.0\n"),
        ],
    );
    for args in [
        &["config", "show"][..],
        &["--offline", "policy", "check", "requirements.txt"],
    ] {
        chiron(home.path())
            .current_dir(project.path())
            .args(args)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(
                "chiron.toml:3:19: `3 parsecs` is not an age: expected a number and a unit",
            ))
            .stderr(predicate::str::contains(
                "3 | min-release-age = \"3 parsecs\"",
            ))
            .stderr(predicate::str::contains(
                "hint: write a number and a unit: 48h, 7d, 2w, 1y",
            ));
    }

    // The same in [tool.chiron], with the pyproject's lines.
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[(
            "pyproject.toml",
            "[project]\nname = \"app\"\n\n[tool.chiron.targets]\nmin-glibc = \"2\"\n\n[[tool.chiron.scan.ignore]]\nid = \"PYSEC-1\"\nreason = \"r\"\n",
        )],
    );
    chiron(home.path())
        .current_dir(project.path())
        .args(["config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "pyproject.toml:5:13: `2` is not a system version: expected MAJOR.MINOR",
        ))
        .stderr(predicate::str::contains("hint: write the oldest version"));
    let output = chiron(home.path())
        .current_dir(project.path())
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("pyproject.toml:5:13"), "{message}");
    assert!(!message.contains("hint:"), "{message}");
    assert!(
        error["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("MAJOR.MINOR")
    );
}

#[test]
fn errors_are_json_on_stdout_with_json() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[policy]\nmax-severity = \"severe\"\n")],
    );
    let output = chiron(home.path())
        .current_dir(project.path())
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(error["exit_code"], 2);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chiron.toml:2:16")
    );
    assert!(
        error["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("critical")
    );
}

#[test]
fn show_names_every_source_and_masks_credentials() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[wheelhouse]\ndir = \"out\"\n")],
    );
    let assert = chiron(home.path())
        .current_dir(project.path())
        .env(
            "PIP_INDEX_URL",
            format!("https://{}@example.invalid/simple", "alice:hunter2"),
        )
        .env("CHIRON_CACHE_DIR", "/tmp/chiron-cache-test")
        .args(["config", "show", "--offline"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hunter2").not())
        .stdout(predicate::str::contains("alice:****@example.invalid"));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let row = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no row {key} in\n{stdout}"))
            .to_string()
    };
    assert!(row("index.url").ends_with("env PIP_INDEX_URL"));
    assert!(row("index.offline").ends_with("flag --offline"));
    assert!(row("cache.dir").ends_with("env CHIRON_CACHE_DIR"));
    assert!(row("wheelhouse.dir").ends_with("chiron.toml"));
    assert!(row("targets.min-glibc").ends_with("default"));
}

#[test]
fn show_json_is_stable() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[targets]\npython = [\"3.12\"]\n")],
    );
    let run = || {
        chiron(home.path())
            .current_dir(project.path())
            .args(["config", "show", "--json"])
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    assert_eq!(first, run());
    let shown: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        shown["config"]["targets"]["python"],
        serde_json::json!(["3.12"])
    );
    assert_eq!(shown["sources"]["index.timeout"], "default");
}

#[test]
fn a_config_named_on_the_command_line_must_exist() {
    let home = tempfile::tempdir().unwrap();
    chiron(home.path())
        .args(["--config", "/nonexistent/chiron.toml", "config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/chiron.toml does not exist",
        ))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let home = tempfile::tempdir().unwrap();
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/chiron.schema.json"),
    )
    .unwrap();
    chiron(home.path())
        .args(["config", "schema"])
        .assert()
        .success()
        .stdout(committed);
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().unwrap();
    chiron(home.path()).arg("frobnicate").assert().code(2);
    chiron(home.path())
        .args(["init", "--python", "2.7"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`2.7` is not Python 3"));
    chiron(home.path())
        .args(["init", "--python", "three"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a Python version"));
    // A missing requirements file is named without a line number.
    chiron(home.path())
        .current_dir(home.path())
        .args(["lock", "-r", "requirments.txt", "--python", "3.12"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("requirments.txt"))
        .stderr(predicate::str::contains("requirments.txt:0").not());
}

/// Every subcommand's help keeps the global flags under their own heading,
/// and every argument is described.
#[test]
fn help_separates_global_options_and_describes_every_argument() {
    let home = tempfile::tempdir().unwrap();
    for command in [
        &["scan"][..],
        &["airgap", "install"],
        &["airgap", "push"],
        &["manage", "download"],
    ] {
        let output = chiron(home.path())
            .args(command)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        let (own, global) = help
            .split_once("Global options:")
            .unwrap_or_else(|| panic!("{command:?}: {help}"));
        assert!(
            global.contains("--json") && global.contains("--offline"),
            "{help}"
        );
        assert!(!own.contains("--no-progress"), "{command:?}: {own}");
        assert!(!own.contains("until the resolver"), "{command:?}: {own}");
        for line in own.lines().filter(|l| l.trim_start().starts_with('<')) {
            assert!(
                line.trim().contains("  "),
                "{command:?}: an argument without a description: {line}"
            );
        }
    }
}
