//! The pure parts of `chiron release` against the tools users trust:
//! Python's `packaging` for the versions `next_version` computes (normal
//! form, PEP 440 ordering, pre-release parts), Python's `tomllib` and `ast`
//! for the files `version_files` rewrites (the new version is what Python
//! reads, nothing else changed; malformed TOML is reported on tomllib's
//! line), and `git interpret-trailers` for the footers of commit messages.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use chiron::release::commits;
use chiron::release::version::{Bump, PreKind, next_version};
use chiron::release::version_files::{VersionFile, VersionFileError};
use pep440_rs::Version;
use serde_json::{Value, json};

use crate::support::oracle_tool;

fn packaging_python() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("CHIRON_TEST_PACKAGING_PYTHON") {
        return path.into();
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    match home.map(|h| h.join(".cache/chiron-ci/packaging/bin/python")) {
        Some(path) if path.exists() => path,
        _ => panic!(
            "the packaging venv is missing: set CHIRON_TEST_PACKAGING_PYTHON, or run `bash .ci/test`"
        ),
    }
}

/// Runs a Python script with `input` as JSON on stdin, returning its JSON.
fn python_json(python: &Path, script: &str, input: &Value) -> Value {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

const PACKAGING_SCRIPT: &str = r#"
import json, sys
from packaging.version import Version
cases = json.load(sys.stdin)
out = []
for case in cases:
    ours = Version(case["next"])
    earlier = [Version(v) for v in case["earlier"]]
    out.append({
        "normal": str(ours),
        "after_all": all(ours > e for e in earlier),
        "is_prerelease": ours.is_prerelease,
        "pre": ours.pre[0] if ours.pre else None,
        "release": list(ours.release),
        "epoch": ours.epoch,
        "base": ours.base_version,
    })
print(json.dumps(out))
"#;

fn bump_name(bump: Option<Bump>) -> &'static str {
    match bump {
        None => "none",
        Some(Bump::Patch) => "patch",
        Some(Bump::Minor) => "minor",
        Some(Bump::Major) => "major",
    }
}

#[test]
fn next_versions_agree_with_packaging() {
    let lasts: &[(Option<&str>, Option<&str>)] = &[
        (None, None),
        (Some("0.4.1"), Some("0.4.1")),
        (Some("1.2.3"), Some("1.2.3")),
        (Some("1.2.3"), Some("1.3.0a2")),
        (Some("1.2.3"), Some("1.3.0b1")),
        (Some("1.2.3"), Some("1.3.0rc1")),
        (Some("1.2.3"), Some("2.0.0rc3")),
        (Some("1.2"), Some("1.2")),
        (Some("1.2.3.4"), Some("1.2.3.4")),
        (Some("1!2.0.0"), Some("1!2.0.0")),
        (Some("1.2.3.post4"), Some("1.2.3.post4")),
        (Some("1.2.3"), Some("1.3rc1")),
        (None, Some("1.0.0a1")),
    ];
    let bumps = [
        None,
        Some(Bump::Patch),
        Some(Bump::Minor),
        Some(Bump::Major),
    ];
    let pres = [
        None,
        Some(PreKind::Alpha),
        Some(PreKind::Beta),
        Some(PreKind::Rc),
    ];
    let mut cases = Vec::new();
    let mut produced = Vec::new();
    for (last_final, last) in lasts {
        let last_final = last_final.map(|v| v.parse::<Version>().unwrap());
        let last = last.map(|v| v.parse::<Version>().unwrap());
        for bump in bumps {
            for pre in pres {
                let Ok(Some(next)) = next_version(last_final.as_ref(), last.as_ref(), bump, pre)
                else {
                    continue;
                };
                let earlier: Vec<String> = last_final
                    .iter()
                    .chain(&last)
                    .map(ToString::to_string)
                    .collect();
                let label = format!("{last_final:?} {last:?} {} {pre:?}", bump_name(bump));
                cases.push((label, next.clone(), pre, earlier));
                produced.push(next);
            }
        }
    }
    assert!(
        cases.len() > 100,
        "only {} cases produced a version",
        cases.len()
    );
    let input: Vec<Value> = cases
        .iter()
        .map(|(_, next, _, earlier)| json!({"next": next.to_string(), "earlier": earlier}))
        .collect();
    let answers = python_json(&packaging_python(), PACKAGING_SCRIPT, &json!(input));
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), cases.len());
    let mut disagreements = Vec::new();
    for ((label, next, pre, _), answer) in cases.iter().zip(answers) {
        let ours = next.to_string();
        let expected_pre = pre.map(|kind| kind.to_string());
        let checks = [
            ("normal form", answer["normal"] == json!(ours)),
            (
                "sorts after the last releases",
                answer["after_all"] == json!(true),
            ),
            (
                "is a pre-release",
                answer["is_prerelease"] == json!(pre.is_some()),
            ),
            ("pre-release kind", answer["pre"] == json!(expected_pre)),
            ("release", answer["release"] == json!(next.release())),
            ("epoch", answer["epoch"] == json!(next.epoch())),
            // A final release is its own base version: no stray segments.
            (
                "no post/dev/local",
                pre.is_some() || answer["base"] == json!(ours),
            ),
        ];
        for (what, agrees) in checks {
            if !agrees {
                disagreements.push(format!(
                    "{label} -> {ours}: {what}: packaging says {answer}"
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn a_release_history_is_increasing_for_packaging() {
    // alpha, beta, two rcs, final, then a patch and a major series.
    let steps = [
        (Some(Bump::Minor), Some(PreKind::Alpha)),
        (Some(Bump::Minor), Some(PreKind::Beta)),
        (Some(Bump::Minor), Some(PreKind::Rc)),
        (Some(Bump::Minor), Some(PreKind::Rc)),
        (None, None),
        (Some(Bump::Patch), None),
        (Some(Bump::Major), Some(PreKind::Rc)),
        (Some(Bump::Major), None),
    ];
    let mut last_final: Option<Version> = Some("1.2.3".parse().unwrap());
    let mut last = last_final.clone();
    let mut history = vec![last_final.clone().unwrap()];
    for (bump, pre) in steps {
        let next = next_version(last_final.as_ref(), last.as_ref(), bump, pre)
            .unwrap()
            .unwrap();
        if !next.is_pre() {
            last_final = Some(next.clone());
        }
        last = Some(next.clone());
        history.push(next);
    }
    let texts: Vec<String> = history.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "1.2.3", "1.3.0a1", "1.3.0b1", "1.3.0rc1", "1.3.0rc2", "1.3.0", "1.3.1", "2.0.0rc1",
            "2.0.0"
        ]
    );
    let script = r#"
import json, sys
from packaging.version import Version
versions = json.load(sys.stdin)
print(json.dumps(sorted(reversed(versions), key=Version)))
"#;
    let sorted = python_json(&packaging_python(), script, &json!(texts));
    assert_eq!(
        sorted,
        json!(texts),
        "packaging orders the history differently"
    );
}

const TOML_SCRIPT: &str = r#"
import json, sys, tomllib
cases = json.load(sys.stdin)
out = []
for case in cases:
    def at(text):
        node = tomllib.loads(text)
        for part in case["key"]:
            node = node[part]
        return node
    old = tomllib.loads(case["old"])
    new = tomllib.loads(case["new"])
    target = old
    for part in case["key"][:-1]:
        target = target[part]
    target[case["key"][-1]] = case["version"]
    out.append({"old": at(case["old"]), "new": at(case["new"]), "rest_same": old == new})
print(json.dumps(out))
"#;

fn changed_lines(old: &str, new: &str) -> usize {
    assert_eq!(old.split('\n').count(), new.split('\n').count());
    old.split('\n')
        .zip(new.split('\n'))
        .filter(|(a, b)| a != b)
        .count()
}

#[test]
fn toml_rewrites_read_back_with_tomllib() {
    let files = [
        (
            "pyproject.toml",
            "# Project\n[build-system]\nrequires = [\"hatchling\"]\n\n[project]\nname = \"demo\"  # the name\nversion = \"0.4.1\"\ndependencies = [\n  \"requests>=2\",  # http\n]\n",
        ),
        (
            "pyproject.toml",
            "[project]\r\nname='demo'\r\nversion     =     '1.0.0'     # literal\r\n",
        ),
        (
            "pyproject.toml",
            "project.name = \"demo\"\nproject.version = \"1.0\\u002e0\"\n",
        ),
        (
            "pyproject.toml:tool.poetry.version",
            "[tool.poetry]\nname = \"demo\"\nversion = \"\"\"2.1.0\"\"\"\n[tool.poetry.dependencies]\npython = \"^3.9\"\n",
        ),
        (
            "pyproject.toml:tool.demo.meta.version",
            "[tool]\ndemo = { meta = { version = '3.0' }, other = 1 }\n",
        ),
        (
            "setup.toml:release.version",
            "[release]\nversion = \"ümlaut-0\" # ü\n",
        ),
    ];
    let new_version = "1!2.0.0rc1.post2.dev3+local.7";
    let mut input = Vec::new();
    let mut ours = Vec::new();
    for (spec, old) in files {
        let file: VersionFile = spec.parse().unwrap();
        let read = file.read(old).unwrap();
        let new = file.rewrite(old, new_version).unwrap();
        assert_eq!(changed_lines(old, &new), 1, "{spec}:\n{new}");
        let chiron::release::version_files::Locator::TomlKey(key) = &file.locator else {
            panic!("{spec} is not a TOML key");
        };
        input.push(json!({"old": old, "new": new, "key": key, "version": new_version}));
        ours.push(read);
    }
    let answers = python_json(&packaging_python(), TOML_SCRIPT, &json!(input));
    for ((answer, read), (spec, _)) in answers.as_array().unwrap().iter().zip(&ours).zip(files) {
        assert_eq!(
            answer["old"],
            json!(read),
            "{spec}: chiron read the old version differently"
        );
        assert_eq!(answer["new"], json!(new_version), "{spec}");
        assert_eq!(
            answer["rest_same"],
            json!(true),
            "{spec}: more than the version changed"
        );
    }
}

const AST_SCRIPT: &str = r#"
import ast, json, sys
cases = json.load(sys.stdin)
def value(text, name):
    found = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            found.append(node.value.value)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            found.append(node.value.value)
    return found
print(json.dumps([{"old": value(c["old"], c["name"]), "new": value(c["new"], c["name"])} for c in cases]))
"#;

#[test]
fn python_rewrites_read_back_with_ast() {
    let files = [
        "\"\"\"The demo package.\"\"\"\n\n__version__ = \"0.4.1\"\n__version_info__ = (0, 4, 1)\n",
        "from typing import Final\n\n__version__: Final[str] = '1.0'  # bumped by chiron\r\n",
        "import os\n\nif os.environ.get('X'):\n    __version__ = 'not-top-level'\n__version__='2.0'",
        "# -*- coding: utf-8 -*-\n__author__ = 'Ünïcode'\n__version__ = \"3\"  # ✓\n",
    ];
    let file: VersionFile = "src/demo/__init__.py:__version__".parse().unwrap();
    let new_version = "2.0.0rc1";
    let mut input = Vec::new();
    let mut ours = Vec::new();
    for old in files {
        let new = file.rewrite(old, new_version).unwrap();
        assert_eq!(changed_lines(old, &new), 1, "{old:?}");
        input.push(json!({"old": old, "new": new, "name": "__version__"}));
        ours.push(file.read(old).unwrap());
    }
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let answers = python_json(&python, AST_SCRIPT, &json!(input));
    for ((answer, read), old) in answers.as_array().unwrap().iter().zip(&ours).zip(files) {
        assert_eq!(answer["old"], json!([read]), "{old:?}");
        assert_eq!(answer["new"], json!([new_version]), "{old:?}");
    }
}

#[test]
fn malformed_toml_is_reported_on_tomllibs_line() {
    let texts = [
        "[project]\nname = \"x\"\nversion = 1.2.3.4\n",
        "[project]\nversion = \"ü\n",
        "[project\nversion = '1'\n",
        "[project]\nversion = '1'\nversion = '2'\n",
        "[project]\nname = 'x'\n\n\nversion == '1'\n",
        "a = 1\n[project]\n[project]\nversion = '1'\n",
    ];
    let script = r#"
import json, re, sys, tomllib
out = []
for text in json.load(sys.stdin):
    try:
        tomllib.loads(text)
        out.append(None)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        out.append(int(m.group(1)) if m else 0)
print(json.dumps(out))
"#;
    let lines = python_json(&packaging_python(), script, &json!(texts));
    let file: VersionFile = "pyproject.toml".parse().unwrap();
    for (text, line) in texts.iter().zip(lines.as_array().unwrap()) {
        let error = file.read(text).unwrap_err();
        let VersionFileError::Toml { line: ours, .. } = &error else {
            panic!("{text:?}: {error:?}");
        };
        assert_eq!(json!(ours), *line, "{text:?}: {error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("pyproject.toml:{ours}:"))
        );
    }
}

#[test]
fn footers_agree_with_git_interpret_trailers() {
    let messages = [
        "feat: x\n\nbody\n\nReviewed-by: Ann <ann@example.invalid>\nCloses #12\nRefs: #13, #14\n",
        "fix(ci-cd): y\r\n\r\nSigned-off-by: B <b@example.invalid>\r\nAcked-by: C\r\n",
        "docs: z\n\nA paragraph.\n\nBREAKING-CHANGE: the flag is gone\nCo-authored-by: D <d@example.invalid>\n",
        "perf: ünïcode\n\nHelped-by: Zoë\n",
    ];
    for message in messages {
        let mut child = Command::new("git")
            .args([
                "-c",
                "trailer.separators=:#",
                "interpret-trailers",
                "--parse",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(message.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        let git: Vec<(String, String)> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let (token, value) = line.split_once(": ").unwrap();
                (token.to_string(), value.to_string())
            })
            .collect();
        assert!(!git.is_empty(), "git found no trailers in {message:?}");
        let ours = commits::parse(message).unwrap();
        let ours: Vec<(String, String)> = ours
            .footers
            .into_iter()
            .map(|footer| (footer.token, footer.value))
            .collect();
        assert_eq!(ours.len(), git.len(), "{message:?}: {ours:?} vs {git:?}");
        for ((token, value), (git_token, git_value)) in ours.iter().zip(&git) {
            assert_eq!(token, git_token, "{message:?}");
            // git drops the `#` separator of `Closes #12`; chiron keeps it.
            assert!(
                *value == *git_value || *value == format!("#{git_value}"),
                "{message:?}: {value:?} vs git {git_value:?}"
            );
        }
    }
}
