//! `chiron release` on real git repositories made by the git CLI: the bump
//! rules, pre-releases, non-conventional commits, monorepos, dynamic
//! versions, the changelog (a snapshot), a dry run that changes nothing,
//! `--execute` checked with `git describe`, `git status`, `git cat-file`,
//! Python's `zipfile` and pip, and the refusals.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::build::backend_index;
use crate::support::{chiron, oracle_tool, write_files};

/// A git repository made by the git CLI, with a home of its own (so the
/// user's git configuration is not read) holding the identity.
struct Repo {
    _dir: TempDir,
    home: PathBuf,
    root: PathBuf,
    /// Commit times count up from here, so commit ids are the same on
    /// every run.
    clock: std::cell::Cell<u64>,
}

impl Repo {
    fn new() -> Repo {
        let dir = TempDir::new().unwrap();
        let home = dir.path().join("home");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Rel Ease\n\temail = release@example.invalid\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        let repo = Repo {
            _dir: dir,
            home,
            root,
            clock: std::cell::Cell::new(1_767_225_600),
        };
        repo.git(&["init", "-q"]);
        repo
    }

    fn git_command(&self) -> Command {
        let mut command = Command::new("git");
        let time = format!("{} +0000", self.clock.get());
        command
            .current_dir(&self.root)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("XDG_CONFIG_HOME")
            .env("GIT_AUTHOR_DATE", &time)
            .env("GIT_COMMITTER_DATE", &time);
        command
    }

    /// Runs git; its stdout.
    fn git(&self, args: &[&str]) -> String {
        let output = self.git_command().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Writes `files`, stages everything and commits with `message`.
    fn commit(&self, message: &str, files: &[(&str, &str)]) {
        write_files(&self.root, files);
        self.git(&["add", "-A"]);
        self.clock.set(self.clock.get() + 3600);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    fn tag(&self, name: &str) {
        self.git(&["tag", "-a", name, "-m", name]);
    }

    fn chiron(&self) -> assert_cmd::Command {
        let mut command = chiron(&self.home);
        command
            .current_dir(&self.root)
            .env("SOURCE_DATE_EPOCH", "1767225600");
        command
    }

    /// `chiron release --json ARGS` (a dry run unless ARGS say otherwise):
    /// exit code, stdout as JSON, stderr.
    fn release(&self, args: &[&str]) -> (i32, Value, String) {
        let output = self
            .chiron()
            .args(["release", "--json"])
            .args(args)
            .timeout(std::time::Duration::from_secs(600))
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// The planned next version of the first package (`None`: nothing).
    fn next(&self, args: &[&str]) -> Option<String> {
        let (code, json, stderr) = self.release(args);
        assert_eq!(code, 0, "{stderr}");
        json["plan"]["packages"][0]["next_version"]
            .as_str()
            .map(str::to_string)
    }

    /// Everything a dry run must leave alone: every file's bytes (the git
    /// folder's too), and git's view of refs and status.
    fn state(&self) -> Vec<(String, Vec<u8>)> {
        let mut state = vec![
            ("refs".into(), self.git(&["for-each-ref"]).into_bytes()),
            (
                "status".into(),
                self.git(&["status", "--porcelain"]).into_bytes(),
            ),
        ];
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let name = path.strip_prefix(&self.root).unwrap().display().to_string();
                    state.push((name, std::fs::read(&path).unwrap()));
                }
            }
        }
        state.sort();
        state
    }
}

const CONFIG: &str = "[release]\nrepository-url = \"https://github.com/example/demo\"\nversion-files = [\"src/demo/__init__.py:__version__\"]\n";

/// A setuptools project `demo` at `version`, its `__version__` in step,
/// committed and tagged `v{version}`.
fn project(version: &str, config: &str) -> Repo {
    let repo = Repo::new();
    let pyproject = format!(
        "# The demo project.\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
         [project]\nname = \"demo\"\nversion = \"{version}\"  # kept by chiron release\ndescription = \"A demo\"\n\
         requires-python = \">=3.8\"\n"
    );
    let module = format!("\"\"\"A demo.\"\"\"\n__version__ = \"{version}\"\n");
    repo.commit(
        "chore: start",
        &[
            ("pyproject.toml", &pyproject),
            ("src/demo/__init__.py", &module),
            ("chiron.toml", config),
            (".gitignore", "release/\n"),
        ],
    );
    repo.tag(&format!("v{version}"));
    repo
}

#[test]
fn each_commit_type_bumps_as_conventional_commits_say() {
    let cases: &[(&[&str], Option<&str>)] = &[
        (&["fix: a bug"], Some("1.2.4")),
        (&["perf(core): faster"], Some("1.2.4")),
        (&["fix: a bug", "feat: a feature"], Some("1.3.0")),
        (&["feat!: a breaking feature"], Some("2.0.0")),
        (
            &["fix(api): drop x\n\nBREAKING CHANGE: x is gone"],
            Some("2.0.0"),
        ),
        (&["docs: typo", "chore: tidy", "refactor: move"], None),
        (&["wip", "Merge branch 'x'"], None),
    ];
    for (messages, expected) in cases {
        let repo = project("1.2.3", CONFIG);
        for (i, message) in messages.iter().enumerate() {
            repo.commit(message, &[("src/demo/x.py", &format!("X = {i}\n"))]);
        }
        assert_eq!(repo.next(&[]).as_deref(), *expected, "{messages:?}");
    }
}

#[test]
fn below_one_a_breaking_change_bumps_the_minor_unless_configured() {
    let repo = project("0.4.1", CONFIG);
    repo.commit("feat!: new api", &[("src/demo/x.py", "X = 1\n")]);
    assert_eq!(repo.next(&[]).as_deref(), Some("0.5.0"));
    let config = format!("{CONFIG}major-on-zero = true\n");
    let repo = project("0.4.1", &config);
    repo.commit("feat!: new api", &[("src/demo/x.py", "X = 1\n")]);
    assert_eq!(repo.next(&[]).as_deref(), Some("1.0.0"));
}

#[test]
fn bump_types_are_configurable() {
    let config =
        format!("{CONFIG}bump-types = {{ docs = \"patch\", feat = \"patch\", fix = \"none\" }}\n");
    let repo = project("1.2.3", &config);
    repo.commit("fix: ignored now", &[("src/demo/x.py", "X = 1\n")]);
    assert_eq!(repo.next(&[]), None);
    repo.commit("docs: counts now", &[("README.md", "demo\n")]);
    assert_eq!(repo.next(&[]).as_deref(), Some("1.2.4"));
    repo.commit("feat: a patch here", &[("src/demo/y.py", "Y = 1\n")]);
    assert_eq!(repo.next(&[]).as_deref(), Some("1.2.4"));
}

#[test]
fn pre_releases_count_up_and_finalise() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("feat: a feature", &[("src/demo/x.py", "X = 1\n")]);
    assert_eq!(repo.next(&["--pre", "rc"]).as_deref(), Some("1.3.0rc1"));
    repo.tag("v1.3.0rc1");
    // Nothing new since rc1: no rc2.
    assert_eq!(repo.next(&["--pre", "rc"]), None);
    repo.commit("fix: a fix", &[("src/demo/x.py", "X = 2\n")]);
    assert_eq!(repo.next(&["--pre", "rc"]).as_deref(), Some("1.3.0rc2"));
    repo.tag("v1.3.0rc2");
    // Finalising drops the suffix, with or without new commits.
    assert_eq!(repo.next(&[]).as_deref(), Some("1.3.0"));
    // Backwards (rc to alpha) is refused.
    repo.commit("fix: another fix", &[("src/demo/x.py", "X = 3\n")]);
    let (code, _, stderr) = repo.release(&["--pre", "a"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_eq!(repo.next(&["--pre", "rc"]).as_deref(), Some("1.3.0rc3"));
    // A breaking change after rc2 moves the base: 2.0.0rc1.
    repo.commit("feat!: break", &[("src/demo/x.py", "X = 3\n")]);
    assert_eq!(repo.next(&["--pre", "rc"]).as_deref(), Some("2.0.0rc1"));
    assert_eq!(repo.next(&["--pre", "b"]).as_deref(), Some("2.0.0b1"));
}

#[test]
fn non_conventional_commits_are_listed_and_strict_refuses_them() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("fix: a fix", &[("src/demo/x.py", "X = 1\n")]);
    repo.commit("quick hack", &[("src/demo/x.py", "X = 2\n")]);
    let (code, json, stderr) = repo.release(&[]);
    assert_eq!(code, 0, "{stderr}");
    let package = &json["plan"]["packages"][0];
    assert_eq!(package["next_version"], "1.2.4");
    let ignored = package["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["summary"], "quick hack");
    let (code, _, stderr) = repo.release(&["--strict"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("quick hack") && stderr.contains("hint:"),
        "{stderr}"
    );
}

#[test]
fn version_override_must_be_newer() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("fix: a fix", &[("src/demo/x.py", "X = 1\n")]);
    assert_eq!(repo.next(&["--version", "2.0.0"]).as_deref(), Some("2.0.0"));
    let (code, _, stderr) = repo.release(&["--version", "1.0.0"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = repo.release(&["--version", "one"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("PEP 440"), "{stderr}");
}

/// Two packages in one repository: a scoped commit or a touched folder
/// bumps only its package.
#[test]
fn monorepo_commits_count_by_path_or_scope() {
    let repo = Repo::new();
    let package = |name: &str| {
        format!(
            "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\
             [project]\nname = \"{name}\"\nversion = \"1.0.0\"\n"
        )
    };
    let config = "[release]\n[[release.package]]\nname = \"pkg-a\"\npath = \"packages/a\"\n\
                  [[release.package]]\nname = \"pkg-b\"\npath = \"packages/b\"\n";
    repo.commit(
        "chore: start",
        &[
            ("chiron.toml", config),
            ("packages/a/pyproject.toml", &package("pkg-a")),
            ("packages/b/pyproject.toml", &package("pkg-b")),
        ],
    );
    repo.tag("pkg-a-v1.0.0");
    repo.tag("pkg-b-v1.0.0");
    repo.commit("fix(pkg-a): a fix in a", &[("packages/a/x.py", "X = 1\n")]);
    let (code, json, stderr) = repo.release(&[]);
    assert_eq!(code, 0, "{stderr}");
    let next = |json: &Value, i: usize| json["plan"]["packages"][i]["next_version"].clone();
    assert_eq!(next(&json, 0), "1.0.1");
    assert_eq!(next(&json, 1), Value::Null);
    assert_eq!(json["plan"]["tags"], serde_json::json!(["pkg-a-v1.0.1"]));
    // A commit outside both folders counts for the package its scope names.
    repo.commit("feat(pkg-b): docs site for b", &[("docs/b.md", "b\n")]);
    let (_, json, _) = repo.release(&[]);
    assert_eq!(next(&json, 0), "1.0.1");
    assert_eq!(next(&json, 1), "1.1.0");
    // A scope list names each of its packages.
    repo.commit(
        "feat(pkg-a, pkg-b): shared docs",
        &[("docs/both.md", "x\n")],
    );
    let (_, json, _) = repo.release(&[]);
    assert_eq!(next(&json, 0), "1.1.0");
    assert_eq!(next(&json, 1), "1.1.0");
    // --package narrows the plan.
    let (_, json, _) = repo.release(&["--package", "pkg-b"]);
    let packages = json["plan"]["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0]["name"], "pkg-b");
    let (code, _, stderr) = repo.release(&["--package", "pkg-c"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pkg-a, pkg-b"), "{stderr}");
}

#[test]
fn the_changelog_section_is_grouped_and_linked() {
    let repo = project("1.2.3", CONFIG);
    for message in [
        "feat(cli): add --frobnicate (#12)",
        "fix: handle empty input\n\nCloses #15",
        "perf: cache the index",
        "docs: explain frobnicating",
        "feat(api)!: rename the client\n\nBREAKING CHANGE: `Client` is now `Session`.",
        "not conventional",
    ] {
        repo.commit(message, &[("src/demo/x.py", message)]);
    }
    let output = repo
        .chiron()
        .args(["release", "--changelog-only"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

#[test]
fn a_dry_run_changes_nothing() {
    let repo = project("1.2.3", CONFIG);
    std::fs::write(
        repo.root.join("CHANGELOG.md"),
        "# Changelog\n\n## [1.2.3] - 2025-01-01\n",
    )
    .unwrap();
    repo.commit("feat: a feature", &[("src/demo/x.py", "X = 1\n")]);
    let before = repo.state();
    for args in [
        &[][..],
        &["--json"][..],
        &["--changelog-only"][..],
        &["--check"][..],
        &["--pre", "rc"][..],
    ] {
        repo.chiron().arg("release").args(args).output().unwrap();
        assert!(
            before == repo.state(),
            "`chiron release {args:?}` changed something"
        );
    }
    let output = repo.chiron().arg("release").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("dry run") && text.contains("1.2.3 → 1.3.0"),
        "{text}"
    );
    assert!(text.contains("would change pyproject.toml"), "{text}");
    assert!(text.contains("tags: v1.3.0"), "{text}");
}

#[test]
fn check_fails_while_a_release_is_pending() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("docs: words", &[("README.md", "x\n")]);
    repo.chiron().args(["release", "--check"]).assert().code(0);
    repo.commit("feat: a feature", &[("src/demo/x.py", "X = 1\n")]);
    let output = repo.chiron().args(["release", "--check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("unreleased") && text.contains("1.3.0"),
        "{text}"
    );
}

#[test]
fn execute_refuses_a_dirty_tree_a_detached_head_and_other_branches() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("feat: a feature", &[("src/demo/x.py", "X = 1\n")]);
    std::fs::write(repo.root.join("src/demo/x.py"), "X = 2\n").unwrap();
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("src/demo/x.py") && stderr.contains("git stash"),
        "{stderr}"
    );
    repo.git(&["checkout", "-q", "--", "src/demo/x.py"]);

    repo.git(&["checkout", "-q", "--detach"]);
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("detached") && stderr.contains("git switch"),
        "{stderr}"
    );

    repo.git(&["checkout", "-q", "-b", "feature"]);
    let before = repo.state();
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("feature") && stderr.contains("[release] branches"),
        "{stderr}"
    );
    assert!(before == repo.state());
}

/// Without a committed build lock the build would write one into the
/// tree after the release commit; an output folder git does not ignore
/// would end up in the next sdist.
#[test]
fn execute_refuses_without_a_build_lock_or_with_an_unignored_output() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("feat: a feature", &[("src/demo/x.py", "X = 1\n")]);
    let (code, json, _) = repo.release(&[]);
    assert_eq!(code, 0);
    let refusals = json["plan"]["refusals"].to_string();
    assert!(refusals.contains("no committed build lock"), "{refusals}");
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("build-requirements.txt") && stderr.contains("chiron build"),
        "{stderr}"
    );

    repo.commit(
        "build: a build lock",
        &[
            ("build-requirements.txt", "# empty\n"),
            ("pylock.build.toml", "lock-version = \"1.0\"\n"),
            (".gitignore", "\n"),
        ],
    );
    write_files(&repo.root, &[("release/1.2.3/demo-1.2.3.tar.gz", "old")]);
    let before = repo.state();
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("does not ignore the release folder") && stderr.contains(".gitignore"),
        "{stderr}"
    );
    assert!(before == repo.state());
}

/// A lock whose package the policy denies stops the release before any
/// write.
#[test]
fn a_failing_gate_stops_the_release_before_anything_changes() {
    let config = format!("{CONFIG}\n[policy]\ndeny-packages = [\"evil\"]\n");
    let repo = project("1.2.3", &config);
    let file = "evil-1.0-py3-none-any.whl";
    let lock = format!(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"evil\"\nversion = \"1.0\"\n\
         wheels = [{{ name = \"{file}\", url = \"https://files.example.invalid/{file}\", hashes = {{ sha256 = \"{}\" }} }}]\n",
        "ab".repeat(32)
    );
    repo.commit(
        "feat: use evil",
        &[
            ("pylock.toml", &lock),
            // Only their presence matters here: the gate fails first.
            ("build-requirements.txt", "# empty\n"),
            ("pylock.build.toml", "lock-version = \"1.0\"\n"),
        ],
    );
    let before = repo.state();
    let (code, _, stderr) = repo.release(&["--execute", "--offline"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("gate") && stderr.contains("evil"),
        "{stderr}"
    );
    assert!(
        before == repo.state(),
        "the failed release changed the repository"
    );
}

/// The project's build lock made and committed first, as docs/release.md
/// asks: the release build then keeps it, and the tree stays clean.
fn commit_build_lock(repo: &Repo, index: &str) {
    repo.chiron()
        .args(["build", "--index-url", index, "-o"])
        .arg(repo.home.join("first-build"))
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .success();
    repo.commit("build: lock the build requirements", &[]);
}

/// Python's zipfile reads the wheel's METADATA version.
fn wheel_version(wheel: &Path) -> String {
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let output = Command::new(python)
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nm = [n for n in z.namelist() if n.endswith('.dist-info/METADATA')][0]\n\
             print([l for l in z.read(m).decode().splitlines() if l.startswith('Version: ')][0][9:])",
        ])
        .arg(wheel)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn execute_writes_commits_tags_and_builds_the_release() {
    let repo = project("1.2.3", CONFIG);
    let index = backend_index(&repo.home);
    let old_changelog = "# Changelog\n\nAll notable changes.\n\n## [1.2.3] - 2025-01-01\n\n### Features\n\n- the start\n";
    repo.commit("docs: a changelog", &[("CHANGELOG.md", old_changelog)]);
    commit_build_lock(&repo, &index.url());
    repo.commit("feat: frobnicate", &[("src/demo/x.py", "X = 1\n")]);
    crate::airgap::keys(&repo.home);
    let output = repo
        .chiron()
        .args([
            "release",
            "--json",
            "--execute",
            "--index-url",
            &index.url(),
            "--key",
        ])
        .arg(repo.home.join("cosign.key"))
        .env("CHIRON_PASSWORD", crate::airgap::PASSWORD)
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["result"]["tags"], serde_json::json!(["v1.3.0"]));

    // git, the oracle: the tag is annotated, on the release commit, and the
    // tree is clean.
    assert_eq!(repo.git(&["describe", "--exact-match"]).trim(), "v1.3.0");
    assert_eq!(repo.git(&["cat-file", "-t", "v1.3.0"]).trim(), "tag");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "chore(release): v1.3.0"
    );
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        changed,
        "CHANGELOG.md\npyproject.toml\nsrc/demo/__init__.py\n"
    );
    repo.git(&["fsck", "--strict"]);

    // The files: only the version changed; the old changelog kept below.
    let pyproject = std::fs::read_to_string(repo.root.join("pyproject.toml")).unwrap();
    assert!(
        pyproject.contains("version = \"1.3.0\"  # kept by chiron release\n"),
        "{pyproject}"
    );
    assert!(pyproject.starts_with("# The demo project.\n"));
    let module = std::fs::read_to_string(repo.root.join("src/demo/__init__.py")).unwrap();
    assert_eq!(module, "\"\"\"A demo.\"\"\"\n__version__ = \"1.3.0\"\n");
    let changelog = std::fs::read_to_string(repo.root.join("CHANGELOG.md")).unwrap();
    assert!(
        changelog.starts_with("# Changelog\n\nAll notable changes.\n\n## [1.3.0]"),
        "{changelog}"
    );
    assert!(
        changelog.ends_with("## [1.2.3] - 2025-01-01\n\n### Features\n\n- the start\n"),
        "{changelog}"
    );

    // The release folder: the built wheel says 1.3.0 (zipfile), pip
    // installs it, and chiron verify passes.
    let dir = repo.root.join("release/1.3.0");
    let wheel = dir.join("demo-1.3.0-py3-none-any.whl");
    assert_eq!(wheel_version(&wheel), "1.3.0");
    assert!(dir.join("demo-1.3.0.tar.gz").is_file());
    assert!(dir.join("SHA256SUMS").is_file());
    // Signed: chiron verify with the public key, and openssl on the wheel's
    // cosign signature.
    let public = repo.home.join("cosign.pub");
    repo.chiron()
        .arg("verify")
        .arg(&dir)
        .arg("--key")
        .arg(&public)
        .assert()
        .success();
    let signature = std::fs::read_to_string(dir.join("demo-1.3.0-py3-none-any.whl.sig")).unwrap();
    assert!(crate::airgap::openssl_verifies(
        &public, &wheel, &signature, &repo.home
    ));
    let venv = repo.home.join("venv");
    let uv = oracle_tool("CHIRON_TEST_UV", "uv");
    let status = Command::new(&uv)
        .args(["venv", "-q", "--python", "python3"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new(&uv)
        .args(["pip", "install", "-q", "--no-index", "--find-links"])
        .arg(&dir)
        .arg("--python")
        .arg(venv.join("bin/python"))
        .arg("demo==1.3.0")
        .status()
        .unwrap();
    assert!(status.success());

    // Released: --check passes, and the next plan starts from v1.3.0.
    repo.chiron().args(["release", "--check"]).assert().code(0);
    let (_, json, _) = repo.release(&[]);
    assert_eq!(json["plan"]["packages"][0]["last_tag"], "v1.3.0");
}

#[test]
fn a_dynamic_version_lives_in_the_tag_alone() {
    let repo = Repo::new();
    let pyproject = "[build-system]\nrequires = [\"hatchling\", \"hatch-vcs\"]\nbuild-backend = \"hatchling.build\"\n\n\
                     [project]\nname = \"demo\"\ndynamic = [\"version\"]\nrequires-python = \">=3.8\"\n\n\
                     [tool.hatch.version]\nsource = \"vcs\"\n";
    repo.commit(
        "chore: start",
        &[
            ("pyproject.toml", pyproject),
            ("src/demo/__init__.py", "VALUE = 1\n"),
            ("chiron.toml", "[release]\nchangelog = \"\"\n"),
            (".gitignore", "release/\n"),
        ],
    );
    repo.tag("v0.1.0");
    let index = backend_index(&repo.home);
    commit_build_lock(&repo, &index.url());
    repo.commit("feat: more", &[("src/demo/x.py", "X = 1\n")]);
    let (code, json, stderr) = repo.release(&[]);
    assert_eq!(code, 0, "{stderr}");
    let package = &json["plan"]["packages"][0];
    assert_eq!(package["next_version"], "0.2.0");
    assert_eq!(package["version_source"]["kind"], "dynamic");
    assert_eq!(package["files"], serde_json::json!([]));
    let (code, json, stderr) = repo.release(&["--execute", "--index-url", &index.url()]);
    assert_eq!(code, 0, "{stderr}");
    // No file changed: no release commit; the tag is on HEAD.
    assert_eq!(json["result"]["commit"], Value::Null);
    assert_eq!(repo.git(&["describe", "--exact-match"]).trim(), "v0.2.0");
    let wheel = repo.root.join("release/0.2.0/demo-0.2.0-py3-none-any.whl");
    assert_eq!(wheel_version(&wheel), "0.2.0");
}

/// A build that fails after the tag is made says so, and how to undo it;
/// undone as it says, the repository is as before.
#[test]
fn a_build_failing_after_the_tag_says_how_to_undo() {
    let repo = project("1.2.3", CONFIG);
    let index = backend_index(&repo.home);
    commit_build_lock(&repo, &index.url());
    let pyproject = std::fs::read_to_string(repo.root.join("pyproject.toml"))
        .unwrap()
        .replace("setuptools.build_meta", "setuptools.no_such_backend");
    repo.commit("fix: a broken backend", &[("pyproject.toml", &pyproject)]);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let (code, _, stderr) = repo.release(&["--execute", "--no-check", "--index-url", &index.url()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("after its tag v1.2.4 was made"), "{stderr}");
    assert!(
        stderr.contains("`git tag -d v1.2.4` and `git reset --hard HEAD~1`"),
        "{stderr}"
    );
    assert_eq!(repo.git(&["describe", "--exact-match"]).trim(), "v1.2.4");
    repo.git(&["tag", "-d", "v1.2.4"]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

/// `--publish` uploads the release to a real pypiserver with
/// authentication, from which pip installs it; the password never shows.
#[test]
fn execute_publishes_to_pypiserver_and_pip_installs_from_it() {
    use crate::publish::{PASSWORD, Pypiserver, USER};
    let repo = project("1.2.3", CONFIG);
    let index = backend_index(&repo.home);
    commit_build_lock(&repo, &index.url());
    repo.commit("fix: a fix", &[("src/demo/x.py", "X = 1\n")]);
    let server = Pypiserver::start(&repo.home.join("server"));
    let output = repo
        .chiron()
        .args([
            "release",
            "--execute",
            "--no-check",
            "--index-url",
            &index.url(),
        ])
        .args(["--publish", &server.url()])
        .env("CHIRON_PUBLISH_USERNAME", USER)
        .env("CHIRON_PUBLISH_PASSWORD", PASSWORD)
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{all}");
    assert!(!all.contains(PASSWORD));
    assert!(
        all.contains("uploaded demo-1.2.4-py3-none-any.whl"),
        "{all}"
    );
    assert_eq!(
        server.held(),
        ["demo-1.2.4-py3-none-any.whl", "demo-1.2.4.tar.gz"]
    );
    let built = std::fs::read(repo.root.join("release/1.2.4/demo-1.2.4-py3-none-any.whl")).unwrap();
    assert_eq!(
        std::fs::read(server.packages.join("demo-1.2.4-py3-none-any.whl")).unwrap(),
        built
    );
    // pip, the oracle, installs it from the index.
    let target = repo.home.join("site");
    let pip = Command::new(oracle_tool("CHIRON_TEST_PIP", "pip"))
        .args([
            "install",
            "-q",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--target",
        ])
        .arg(&target)
        .args(["--index-url", &format!("{}simple/", server.url())])
        .arg("demo==1.2.4")
        .output()
        .unwrap();
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    let module = std::fs::read_to_string(target.join("demo/__init__.py")).unwrap();
    assert!(module.contains("__version__ = \"1.2.4\""), "{module}");
    // `chiron publish` of the release folder (its wheels and sdists, not its
    // sums and signatures) finds both there already.
    let again = repo
        .chiron()
        .args([
            "publish",
            "release/1.2.4",
            "--json",
            "--repository-url",
            &server.url(),
        ])
        .env("CHIRON_PUBLISH_USERNAME", USER)
        .env("CHIRON_PUBLISH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    let statuses: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap(),
                f["filename"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("skipped", "demo-1.2.4.tar.gz"),
            ("skipped", "demo-1.2.4-py3-none-any.whl")
        ]
    );
}

// What an outside review found: two version places in one pyproject.toml,
// a release folder not ignored before it exists, release commits in the
// final changelog, a shallow clone, `--changelog-only --json`, dev tags
// and dev overrides, and an unborn branch.

#[test]
fn two_version_places_in_one_pyproject_both_change() {
    let config = "[release]\nversion-files = [\"pyproject.toml:tool.poetry.version\"]\n";
    let repo = Repo::new();
    let pyproject = "[project]\nname = \"demo\"\nversion = \"1.2.3\"\n\n[tool.poetry]\nversion = \"1.2.3\"  # poetry's copy\n";
    repo.commit(
        "chore: start",
        &[("pyproject.toml", pyproject), ("chiron.toml", config)],
    );
    repo.tag("v1.2.3");
    repo.commit("fix: x", &[("x.py", "X = 1\n")]);
    let (code, json, stderr) = repo.release(&[]);
    assert_eq!(code, 0, "{stderr}");
    let files = &json["plan"]["packages"][0]["files"];
    assert_eq!(files[0]["path"], "pyproject.toml");
    assert_eq!(files[0]["what"], "project.version, tool.poetry.version");
    let content = "[project]\nname = \"demo\"\nversion = \"1.2.4\"\n\n[tool.poetry]\nversion = \"1.2.4\"  # poetry's copy\n";
    // tomllib, the oracle, reads both new versions from what would be written.
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    std::fs::write(repo.home.join("check.toml"), content).unwrap();
    let read = Command::new(python)
        .args(["-c", "import sys, tomllib; d = tomllib.load(open(sys.argv[1], 'rb')); print(d['project']['version'], d['tool']['poetry']['version'])"])
        .arg(repo.home.join("check.toml"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&read.stdout).trim(), "1.2.4 1.2.4");
    let changelog_or_pyproject: Vec<&Value> = files
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "pyproject.toml")
        .collect();
    assert_eq!(
        changelog_or_pyproject.len(),
        1,
        "one change per file: {files}"
    );
}

#[test]
fn the_release_folder_must_be_ignored_before_it_exists() {
    let repo = project("1.2.3", CONFIG);
    repo.commit(
        "build: lock and no ignore",
        &[
            ("build-requirements.txt", "# empty\n"),
            ("pylock.build.toml", "lock-version = \"1.0\"\n"),
            (".gitignore", "dist/\n"),
        ],
    );
    repo.commit("fix: x", &[("src/demo/x.py", "X = 1\n")]);
    assert!(!repo.root.join("release").exists());
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("does not ignore the release folder"),
        "{stderr}"
    );
}

#[test]
fn release_commits_stay_out_of_the_changelog_and_dev_tags_are_skipped() {
    let repo = project("1.2.3", CONFIG);
    repo.commit("feat: a", &[("src/demo/x.py", "X = 1\n")]);
    repo.commit("chore(release): v1.3.0rc1", &[("src/demo/y.py", "Y = 1\n")]);
    repo.tag("v1.3.0rc1");
    repo.commit("fix: b", &[("src/demo/x.py", "X = 2\n")]);
    // A stray dev tag is not a release to count from.
    repo.tag("v1.3.0.dev5");
    let output = repo
        .chiron()
        .args(["release", "--changelog-only", "--json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let section = json["changelog"]["demo"].as_str().unwrap();
    assert!(section.starts_with("## [1.3.0]"), "{section}");
    assert!(
        section.contains("- a (") && section.contains("- b ("),
        "{section}"
    );
    assert!(!section.contains("release"), "{section}");
    let (code, _, stderr) = repo.release(&["--version", "1.4.0.dev1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("development release"), "{stderr}");
}

#[test]
fn a_shallow_clone_says_to_fetch_the_history() {
    let repo = project("1.2.3", CONFIG);
    for i in 0..3 {
        repo.commit(
            &format!("fix: {i}"),
            &[("src/demo/x.py", &format!("X = {i}\n"))],
        );
    }
    let clone = repo.home.join("shallow");
    let status = repo
        .git_command()
        .current_dir(&repo.home)
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", repo.root.display()))
        .arg(&clone)
        .status()
        .unwrap();
    assert!(status.success());
    let output = repo
        .chiron()
        .current_dir(&clone)
        .arg("release")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("shallow") && stderr.contains("git fetch --unshallow"),
        "{stderr}"
    );
}

#[test]
fn execute_on_a_branch_without_commits_is_refused() {
    let repo = Repo::new();
    write_files(
        &repo.root,
        &[(
            "pyproject.toml",
            "[project]\nname = \"demo\"\nversion = \"1.0\"\n",
        )],
    );
    let (code, _, stderr) = repo.release(&["--execute"]);
    assert_eq!(code, 2, "{stderr}");
}

/// A version file outside the package is refused before anything is
/// written.
#[test]
fn version_files_outside_the_package_are_refused_before_any_write() {
    for outside in ["../elsewhere/__init__.py:__version__", "/etc/passwd:root"] {
        let config = format!("[release]\nversion-files = [\"{outside}\"]\n");
        let repo = project("1.2.3", &config);
        repo.commit("fix: x", &[("src/demo/x.py", "X = 1\n")]);
        let before = repo.state();
        let (code, _, stderr) = repo.release(&["--execute"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("outside the package"), "{stderr}");
        assert!(before == repo.state());
    }
}

/// With no tag yet, `--version` may release the files' own version.
#[test]
fn the_first_release_may_be_the_files_version() {
    let repo = Repo::new();
    repo.commit(
        "feat: start",
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"demo\"\nversion = \"0.1.0\"\n",
            ),
            ("chiron.toml", "[release]\n"),
        ],
    );
    let (code, json, stderr) = repo.release(&["--version", "0.1.0"]);
    assert_eq!(code, 0, "{stderr}");
    let package = &json["plan"]["packages"][0];
    assert_eq!(package["next_version"], "0.1.0");
    assert_eq!(package["tag"], "v0.1.0");
    // pyproject.toml already says 0.1.0: only the changelog changes.
    let files: Vec<&str> = package["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["CHANGELOG.md"]);
    // Below the files' version is still refused.
    let (code, _, stderr) = repo.release(&["--version", "0.0.9"]);
    assert_eq!(code, 2, "{stderr}");
}
