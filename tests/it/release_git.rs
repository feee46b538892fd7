//! The git layer of `chiron release` (`chiron::release::git`) against the
//! git CLI: every answer chiron gives about a repository is compared with
//! what git says about the same repository, and what chiron writes is
//! checked by git (`status`, `fsck --strict`, `log`, `describe`,
//! `cat-file`, `show`).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chiron::diagnose::{Diagnose, ExitClass};
use chiron::release::git::{GitError, Head, Repo};

const NAME: &str = "Rel Ease";
const EMAIL: &str = "release@example.invalid";

/// A repository built with the git CLI, isolated from the user's
/// configuration (HOME is a temporary folder, no system file).
struct Fixture {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
    /// The next commit's date: every commit a minute after the last, so
    /// that git's date order is unambiguous.
    clock: Cell<i64>,
}

impl Fixture {
    fn new() -> Self {
        let fixture = Self::without_identity();
        fixture.git(&["config", "user.name", NAME]);
        fixture.git(&["config", "user.email", EMAIL]);
        fixture
    }

    /// A repository whose configuration names no one.
    fn without_identity() -> Self {
        let fixture = Fixture {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            clock: Cell::new(1_700_000_000),
        };
        fixture.git(&["-c", "init.defaultBranch=main", "init", "-q"]);
        fixture
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let date = format!("@{} +0000", self.clock.get());
        let mut command = Command::new("git");
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("GIT_") || key == "EMAIL" {
                command.env_remove(&key);
            }
        }
        command
            .current_dir(self.path())
            .args(args)
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        command
    }

    fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("git runs")
    }

    /// Runs git, which must succeed; its stdout.
    fn git(&self, args: &[&str]) -> String {
        let output = self.output(args);
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("git's output is UTF-8 here")
    }

    fn write(&self, path: &str, text: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    /// Stages everything and commits; the new commit's id.
    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.clock.set(self.clock.get() + 60);
        self.rev("HEAD")
    }

    fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev]).trim().to_string()
    }

    fn repo(&self) -> Repo {
        Repo::discover_isolated(self.path()).expect("the fixture is a repository")
    }
}

/// NUL-separated output, as a sorted set.
fn nul_set(text: &str) -> BTreeSet<String> {
    text.split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A history with a feature branch merged, an older branch merged later,
/// renames, deletions, folders and non-ASCII names; the commits by name.
fn history(fx: &Fixture) -> Vec<(&'static str, String)> {
    let mut commits = Vec::new();
    fx.write("README.md", "hello\n");
    fx.write("src/pkg/__init__.py", "x = 1\n");
    commits.push(("root", fx.commit("feat: first")));
    fx.git(&["branch", "old"]);
    fx.write("src/pkg/__init__.py", "x = 2\n");
    fx.write("docs/café/naïve ünïcode.md", "é\n");
    commits.push(("unicode", fx.commit("feat: accents")));
    fx.git(&["switch", "-q", "-c", "feature"]);
    fx.git(&["mv", "README.md", "docs/README.md"]);
    commits.push(("rename", fx.commit("docs: move the readme")));
    fx.git(&["rm", "-q", "docs/café/naïve ünïcode.md"]);
    commits.push(("delete", fx.commit("chore: drop a file")));
    fx.git(&["switch", "-q", "main"]);
    fx.write("a/b/c/deep.txt", "deep\n");
    commits.push((
        "deep",
        fx.commit("fix: a deep file\n\nwith a body\n\nBREAKING CHANGE: yes"),
    ));
    fx.git(&["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"]);
    fx.clock.set(fx.clock.get() + 60);
    commits.push(("merge", fx.rev("HEAD")));
    fx.git(&["switch", "-q", "old"]);
    fx.write("old.txt", "from an old branch\n");
    commits.push(("old", fx.commit("fix: on the old branch")));
    fx.git(&["switch", "-q", "main"]);
    fx.git(&["merge", "-q", "--no-ff", "-m", "Merge old", "old"]);
    fx.clock.set(fx.clock.get() + 60);
    commits.push(("merge-old", fx.rev("HEAD")));
    fx.write("docs/README.md", "a file");
    std::fs::remove_dir_all(fx.path().join("a")).unwrap();
    fx.write("a", "a file where a folder was\n");
    commits.push(("folder-to-file", fx.commit("refactor: file for folder")));
    std::fs::remove_file(fx.path().join("old.txt")).unwrap();
    fx.write("old.txt/inner.txt", "a folder where a file was\n");
    commits.push(("file-to-folder", fx.commit("refactor: folder for file")));
    commits
}

#[test]
fn head_is_what_git_says() {
    let fx = Fixture::new();
    assert_eq!(fx.repo().head().unwrap(), Head::Unborn("main".into()));
    let first = fx.commit("feat: one");
    fx.commit("feat: two");
    let branch = fx.git(&["symbolic-ref", "--short", "HEAD"]);
    assert_eq!(
        fx.repo().head().unwrap(),
        Head::Branch(branch.trim().into())
    );
    fx.git(&["checkout", "-q", "--detach", &first]);
    assert_eq!(fx.repo().head().unwrap(), Head::Detached(fx.rev("HEAD")));
}

#[test]
fn commits_since_are_git_log_range() {
    let fx = Fixture::new();
    let commits = history(&fx);
    let repo = fx.repo();
    let mut ranges: Vec<Option<String>> = vec![None];
    ranges.extend(commits.iter().map(|(_, id)| Some(id.clone())));
    ranges.push(Some("old".into()));
    for since in ranges {
        let range = since
            .as_ref()
            .map_or("HEAD".to_string(), |s| format!("{s}..HEAD"));
        let expected: Vec<String> = fx
            .git(&["log", "--format=%H", &range])
            .lines()
            .map(str::to_string)
            .collect();
        let got: Vec<String> = repo
            .commits_since(since.as_deref())
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(got, expected, "commits of {range}");
    }
    // The merge of the older branch brings in its commit, but not from a
    // range that starts after it.
    let old = &commits.iter().find(|(name, _)| *name == "old").unwrap().1;
    let merge = &commits.iter().find(|(name, _)| *name == "merge").unwrap().1;
    let since_merge: Vec<String> = repo
        .commits_since(Some(merge))
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(
        since_merge.contains(old),
        "{old} is reachable from HEAD and not from {merge}"
    );
}

#[test]
fn commit_fields_are_git_show() {
    let fx = Fixture::new();
    history(&fx);
    for commit in fx.repo().commits_since(None).unwrap() {
        let shown = fx.git(&["show", "-s", "--format=%an <%ae>%x00%ct%x00%P", &commit.id]);
        let fields: Vec<&str> = shown.trim_end().split('\0').collect();
        assert_eq!(commit.author, fields[0]);
        assert_eq!(commit.time.to_string(), fields[1]);
        assert_eq!(
            commit.parents,
            fields[2].split_whitespace().count(),
            "parents of {}",
            commit.id
        );
        let raw = fx.git(&["cat-file", "commit", &commit.id]);
        let message = raw.split_once("\n\n").map_or("", |(_, body)| body);
        assert_eq!(commit.message, message, "message of {}", commit.id);
    }
}

#[test]
fn paths_are_git_diff_tree() {
    let fx = Fixture::new();
    history(&fx);
    let commits = fx.repo().commits_since(None).unwrap();
    assert_eq!(commits.len(), 10);
    for commit in commits {
        let parent = fx.git(&["show", "-s", "--format=%P", &commit.id]);
        let listed = match parent.split_whitespace().next() {
            // A merge against its first parent, like every other commit.
            Some(first) => fx.git(&["diff-tree", "-r", "--name-only", "-z", first, &commit.id]),
            None => fx.git(&[
                "diff-tree",
                "--no-commit-id",
                "--root",
                "-r",
                "--name-only",
                "-z",
                &commit.id,
            ]),
        };
        let expected: Vec<String> = nul_set(&listed).into_iter().collect();
        assert!(
            !expected.is_empty() || commit.parents == 2,
            "{} changes files",
            commit.id
        );
        assert_eq!(
            commit.paths, expected,
            "paths of {}: {}",
            commit.id, commit.message
        );
    }
}

#[test]
fn is_ancestor_is_git_merge_base() {
    let fx = Fixture::new();
    let commits = history(&fx);
    let repo = fx.repo();
    for (a_name, a) in &commits {
        for (d_name, d) in &commits {
            let git = fx.output(&["merge-base", "--is-ancestor", a, d]);
            let expected = match git.status.code() {
                Some(0) => true,
                Some(1) => false,
                other => panic!("git merge-base exited with {other:?}"),
            };
            assert_eq!(
                repo.is_ancestor(a, d).unwrap(),
                expected,
                "{a_name} ancestor of {d_name}"
            );
        }
    }
}

/// `git status --porcelain -z` as a set of paths (both of a rename).
fn porcelain(fx: &Fixture) -> Vec<String> {
    let out = fx.git(&["status", "--porcelain", "-z"]);
    let mut paths = BTreeSet::new();
    let mut fields = out.split('\0').filter(|s| !s.is_empty());
    while let Some(entry) = fields.next() {
        let (code, path) = entry.split_at(3);
        paths.insert(path.to_string());
        if code.starts_with('R') || code.starts_with('C') {
            paths.insert(
                fields
                    .next()
                    .expect("a rename names its source")
                    .to_string(),
            );
        }
    }
    paths.into_iter().collect()
}

#[test]
fn dirty_paths_are_git_status_porcelain() {
    let fx = Fixture::new();
    fx.write(".gitignore", "*.log\nbuild/\n");
    assert_eq!(
        fx.repo().dirty_paths().unwrap(),
        porcelain(&fx),
        "before the first commit"
    );
    fx.write("tracked.txt", "one\n");
    fx.write("keep/kept.txt", "kept\n");
    fx.write("gone.txt", "gone\n");
    fx.write("moved.txt", "moved\n");
    fx.commit("feat: base");
    let repo = fx.repo();
    let check = |step: &str| {
        let expected = porcelain(&fx);
        assert_eq!(repo.dirty_paths().unwrap(), expected, "after {step}");
        expected.len()
    };
    assert_eq!(check("nothing"), 0);
    fx.write("debug.log", "ignored\n");
    fx.write("build/out.bin", "ignored folder\n");
    assert_eq!(check("ignored files"), 0);
    fx.write("tracked.txt", "two\n");
    check("a modification");
    fx.write("staged.txt", "new\n");
    fx.git(&["add", "staged.txt"]);
    check("a staged new file");
    std::fs::remove_file(fx.path().join("gone.txt")).unwrap();
    check("a deletion");
    fx.write("untracked.txt", "?\n");
    fx.write("newdir/a/b.txt", "?\n");
    fx.write("keep/extra.txt", "?\n");
    fx.write("we\"ird\tna me\n.txt", "?\n");
    check("untracked files and folders");
    fx.git(&["mv", "moved.txt", "keep/moved.txt"]);
    check("a staged rename");
    fx.git(&["add", "tracked.txt"]);
    fx.write("tracked.txt", "three\n");
    assert!(check("staged and modified again") >= 7);
}

#[test]
fn tags_are_git_for_each_ref() {
    let fx = Fixture::new();
    let first = fx.commit("feat: one");
    fx.write("x", "x\n");
    fx.commit("feat: two");
    fx.git(&["tag", "light"]);
    fx.git(&["tag", "-a", "-m", "old release", "v0.1.0", &first]);
    fx.git(&["tag", "-a", "-m", "a tag of a tag", "nested", "v0.1.0"]);
    fx.git(&["tag", "-a", "-m", "on HEAD", "v0.2.0"]);
    let blob = fx.git(&["rev-parse", "HEAD:x"]);
    fx.git(&["tag", "a-blob", blob.trim()]);
    let listed = fx.git(&[
        "for-each-ref",
        "refs/tags",
        "--format=%(refname:short) %(objecttype)",
    ]);
    let mut expected = Vec::new();
    for line in listed.lines() {
        let (name, kind) = line.split_once(' ').unwrap();
        let peeled = fx.output(&["rev-parse", "--verify", "-q", &format!("{name}^{{commit}}")]);
        if !peeled.status.success() {
            continue;
        }
        let commit = String::from_utf8(peeled.stdout).unwrap().trim().to_string();
        expected.push((name.to_string(), commit, kind == "tag"));
    }
    let got: Vec<(String, String, bool)> = fx
        .repo()
        .tags()
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.commit, t.annotated))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 4, "every tag but the blob's");
}

#[test]
fn release_commit_and_tag_satisfy_git() {
    let fx = Fixture::new();
    fx.write(".gitattributes", "*.txt text\n");
    fx.write("CHANGELOG.md", "# Changelog\n");
    fx.write("pkg/pyproject.toml", "version = \"0.1.0\"\n");
    fx.write("untouched.md", "same\n");
    let parent = fx.commit("feat: base");
    fx.write("CHANGELOG.md", "# Changelog\n\n## 0.2.0\n");
    fx.write("pkg/pyproject.toml", "version = \"0.2.0\"\n");
    fx.write("pkg/src/vérsion.txt", "0.2.0\r\n");
    let repo = fx.repo();
    let paths = vec![
        PathBuf::from("CHANGELOG.md"),
        fx.path().join("pkg/pyproject.toml"),
        PathBuf::from("pkg/src/vérsion.txt"),
        PathBuf::from("./CHANGELOG.md"),
    ];
    let id = repo.commit_paths(&paths, "chore(release): 0.2.0").unwrap();
    repo.create_annotated_tag("v0.2.0", &id, "Release 0.2.0")
        .unwrap();

    assert_eq!(fx.rev("HEAD"), id);
    assert_eq!(fx.rev("HEAD~1"), parent);
    assert_eq!(fx.git(&["status", "--porcelain"]), "");
    let fsck = fx.output(&["fsck", "--strict"]);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert_eq!(fsck.stdout, b"");
    assert_eq!(
        fx.git(&["log", "-1", "--format=%an%n%ae%n%cn%n%ce%n%s"]),
        format!("{NAME}\n{EMAIL}\n{NAME}\n{EMAIL}\nchore(release): 0.2.0\n")
    );
    assert_eq!(fx.git(&["describe", "--exact-match"]), "v0.2.0\n");
    assert_eq!(fx.git(&["cat-file", "-t", "v0.2.0"]), "tag\n");
    let tag = fx.git(&["cat-file", "-p", "v0.2.0"]);
    assert!(
        tag.starts_with(&format!(
            "object {id}\ntype commit\ntag v0.2.0\ntagger {NAME} <{EMAIL}> "
        )),
        "{tag}"
    );
    assert!(tag.ends_with("\n\nRelease 0.2.0\n"), "{tag}");
    let shown = nul_set(&fx.git(&["show", "-z", "--name-only", "--format=", "HEAD"]));
    let expected: BTreeSet<String> = ["CHANGELOG.md", "pkg/pyproject.toml", "pkg/src/vérsion.txt"]
        .map(String::from)
        .into();
    assert_eq!(shown, expected);
    // The blobs are what `git add` stores: the text filter turned CRLF to LF.
    for path in &expected {
        let stored = fx.rev(&format!("HEAD:{path}"));
        let hashed = fx.git(&["hash-object", &format!("--path={path}"), path]);
        assert_eq!(stored, hashed.trim(), "blob of {path}");
    }
    assert_eq!(fx.git(&["show", "HEAD:pkg/src/vérsion.txt"]), "0.2.0\n");
}

#[test]
fn release_commit_leaves_other_staged_changes_staged() {
    let fx = Fixture::new();
    fx.write("CHANGELOG.md", "# Changelog\n");
    fx.commit("feat: base");
    fx.write("CHANGELOG.md", "# Changelog\n\n## 1.0.0\n");
    fx.write("other.txt", "staged by hand\n");
    fx.git(&["add", "other.txt"]);
    fx.repo()
        .commit_paths(&[PathBuf::from("CHANGELOG.md")], "chore(release): 1.0.0\n")
        .unwrap();
    assert_eq!(fx.git(&["status", "--porcelain"]), "A  other.txt\n");
    assert_eq!(
        fx.git(&["show", "--name-only", "--format=", "HEAD"]),
        "CHANGELOG.md\n"
    );
    let raw = fx.git(&["cat-file", "commit", "HEAD"]);
    assert!(
        raw.ends_with("\n\nchore(release): 1.0.0\n"),
        "one final newline: {raw:?}"
    );
    assert!(fx.output(&["fsck", "--strict"]).status.success());
}

fn assert_refused(error: GitError, class: ExitClass, mentions: &[&str]) {
    let message = error.to_string();
    assert_eq!(error.exit_class(), class, "{message}");
    for mention in mentions {
        assert!(
            message.contains(mention),
            "{message:?} should name {mention:?}"
        );
    }
    assert!(
        error.hint().is_some_and(|h| !h.is_empty()),
        "{message} has a hint"
    );
}

#[test]
fn refuses_a_detached_or_unborn_head() {
    let fx = Fixture::new();
    fx.write("f.txt", "1\n");
    let dir = fx.path().display().to_string();
    let error = fx
        .repo()
        .commit_paths(&[PathBuf::from("f.txt")], "x")
        .unwrap_err();
    assert!(matches!(error, GitError::UnbornHead { .. }), "{error}");
    assert_refused(error, ExitClass::Usage, &[&dir, "main"]);
    let first = fx.commit("feat: one");
    fx.git(&["checkout", "-q", "--detach"]);
    fx.write("f.txt", "2\n");
    let error = fx
        .repo()
        .commit_paths(&[PathBuf::from("f.txt")], "x")
        .unwrap_err();
    assert!(matches!(error, GitError::DetachedHead { .. }), "{error}");
    assert_refused(error, ExitClass::Usage, &[&dir, &first]);
    assert_eq!(fx.rev("HEAD"), first);
}

#[test]
fn refuses_a_missing_identity() {
    let fx = Fixture::without_identity();
    fx.git(&[
        "-c",
        "user.name=x",
        "-c",
        "user.email=x@example.invalid",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "one",
    ]);
    let before = fx.rev("HEAD");
    fx.write("f.txt", "1\n");
    let repo = fx.repo();
    let error = repo
        .commit_paths(&[PathBuf::from("f.txt")], "x")
        .unwrap_err();
    assert!(matches!(error, GitError::MissingIdentity { .. }), "{error}");
    assert!(error.hint().unwrap().contains("git config user.email"));
    assert_refused(
        error,
        ExitClass::Usage,
        &[&fx.path().display().to_string(), "identity"],
    );
    let error = repo.create_annotated_tag("v1", "HEAD", "x").unwrap_err();
    assert!(matches!(error, GitError::MissingIdentity { .. }), "{error}");
    assert_eq!(fx.rev("HEAD"), before);
    assert_eq!(fx.git(&["tag"]), "");
    assert_eq!(fx.git(&["status", "--porcelain"]), "?? f.txt\n");
}

#[test]
fn refuses_an_existing_or_invalid_tag() {
    let fx = Fixture::new();
    let first = fx.commit("feat: one");
    fx.commit("feat: two");
    fx.git(&["tag", "-a", "-m", "one", "v1.0.0", &first]);
    let repo = fx.repo();
    let error = repo
        .create_annotated_tag("v1.0.0", "HEAD", "again")
        .unwrap_err();
    assert!(matches!(error, GitError::TagExists { .. }), "{error}");
    assert_refused(
        error,
        ExitClass::Usage,
        &[&fx.path().display().to_string(), "v1.0.0", &first],
    );
    assert_eq!(fx.rev("v1.0.0^{commit}"), first);
    for name in [
        "a..b", "v1 0", "v1.lock", "a~b", "a:b", "", "x/", "@{1}", "a\\b",
    ] {
        let git = fx.output(&["check-ref-format", &format!("refs/tags/{name}")]);
        assert!(!git.status.success(), "git refuses {name:?}");
        let error = repo.create_annotated_tag(name, "HEAD", "x").unwrap_err();
        assert!(
            matches!(error, GitError::InvalidTagName { .. }),
            "{name:?}: {error}"
        );
        assert_refused(error, ExitClass::Usage, &[&format!("{name:?}")]);
    }
    for name in ["-v1", "-"] {
        let git = fx.output(&["tag", "-a", "-m", "x", "--", name]);
        assert!(!git.status.success(), "git tag refuses {name:?}");
        let error = repo.create_annotated_tag(name, "HEAD", "x").unwrap_err();
        assert!(
            matches!(error, GitError::InvalidTagName { .. }),
            "{name:?}: {error}"
        );
    }
    assert_eq!(fx.git(&["tag"]), "v1.0.0\n");
}

#[test]
fn refuses_paths_outside_the_working_tree() {
    let fx = Fixture::new();
    fx.commit("feat: one");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.txt"), "x").unwrap();
    let repo = fx.repo();
    for path in [
        PathBuf::from("../x.txt"),
        outside.path().join("x.txt"),
        PathBuf::from(".git/config"),
    ] {
        let error = repo
            .commit_paths(std::slice::from_ref(&path), "x")
            .unwrap_err();
        assert!(
            matches!(error, GitError::PathOutside { .. }),
            "{}: {error}",
            path.display()
        );
        assert_refused(error, ExitClass::Usage, &[&path.display().to_string()]);
    }
    let error = repo
        .commit_paths(&[PathBuf::from("missing.txt")], "x")
        .unwrap_err();
    assert!(matches!(error, GitError::NotAFile { .. }), "{error}");
    assert_refused(error, ExitClass::Usage, &["missing.txt"]);
}

#[test]
fn refuses_a_folder_outside_any_repository() {
    let dir = tempfile::tempdir().unwrap();
    // A ceiling is not settable here; a fresh temporary folder is not in a
    // repository unless the temporary root is, which git would say too.
    let git = Command::new("git")
        .arg("-C")
        .arg(dir.path())
        .args(["rev-parse", "--git-dir"])
        .output()
        .unwrap();
    let error = match Repo::discover_isolated(dir.path()) {
        Ok(_) => panic!("{} is not in a repository", dir.path().display()),
        Err(error) => error,
    };
    assert!(!git.status.success(), "git agrees there is no repository");
    assert!(matches!(error, GitError::NotARepo { .. }), "{error}");
    assert!(error.hint().unwrap().contains("git init"));
    assert_refused(
        error,
        ExitClass::Usage,
        &[&dir.path().display().to_string()],
    );
}

/// Writes a commit object from raw bytes with git and moves `main` to it.
fn raw_commit(fx: &Fixture, body: &[u8], literally: bool) -> Output {
    let mut args = vec!["hash-object", "-t", "commit", "-w", "--stdin"];
    if literally {
        args.push("--literally");
    }
    let mut child = fx
        .command(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), body).unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        let id = String::from_utf8_lossy(&output.stdout).trim().to_string();
        fx.git(&["update-ref", "refs/heads/main", &id]);
    }
    output
}

#[test]
fn invalid_utf8_and_broken_commits_do_not_panic() {
    let fx = Fixture::new();
    let base = fx.commit("feat: base");
    let tree = fx.rev("HEAD^{tree}");
    let header = format!(
        "tree {tree}\nparent {base}\nauthor A <a@example.invalid> 1700000100 +0000\ncommitter A <a@example.invalid> 1700000100 +0000\n"
    );
    let mut latin1 = header.clone().into_bytes();
    latin1.extend_from_slice(b"encoding ISO-8859-1\n\nfix: caf\xe9 \xff\xfe\n");
    assert!(raw_commit(&fx, &latin1, false).status.success());
    let commits = fx.repo().commits_since(Some(&base)).unwrap();
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].message, "fix: caf\u{fffd} \u{fffd}\u{fffd}\n");
    assert_eq!(commits[0].id, fx.rev("HEAD"));

    let mut broken =
        format!("tree {tree}\nparent {base}\nauthor no closing bracket <a@example.invalid\n")
            .into_bytes();
    broken.extend_from_slice(b"\n\xc3\x28 garbage\n");
    assert!(raw_commit(&fx, &broken, true).status.success());
    let broken_id = fx.rev("HEAD");
    let repo = fx.repo();
    for result in [repo.commits_since(None), repo.commits_since(Some(&base))] {
        match result {
            Ok(commits) => assert_eq!(commits[0].id, broken_id),
            Err(error) => {
                assert!(error.to_string().contains(&broken_id), "{error}");
                assert_eq!(error.exit_class(), ExitClass::Problems);
            }
        }
    }
    match repo.is_ancestor(&base, "HEAD") {
        Ok(answer) => assert!(answer),
        Err(error) => assert!(error.to_string().contains(&broken_id), "{error}"),
    }
}

const CHILD_REPO: &str = "CHIRON_TEST_RELEASE_GIT_CHILD_REPO";

/// Run by `identity_comes_from_the_environment_like_git` in a process of
/// its own, with the environment under test.
#[test]
#[ignore = "run by identity_comes_from_the_environment_like_git with its environment"]
fn identity_child() {
    let dir = PathBuf::from(std::env::var_os(CHILD_REPO).expect("started by the parent test"));
    let repo = Repo::discover(&dir.join("sub")).unwrap();
    repo.commit_paths(&[PathBuf::from("f.txt")], "chore(release): child")
        .unwrap();
}

#[test]
fn identity_comes_from_the_environment_like_git() {
    let fx = Fixture::without_identity();
    std::fs::write(
        fx.home.path().join(".gitconfig"),
        "[user]\n\tname = Global Name\n\temail = global@example.invalid\n",
    )
    .unwrap();
    fx.write("sub/keep", "");
    fx.commit("feat: one");
    let env = [
        ("GIT_AUTHOR_NAME", "Env Author"),
        ("GIT_AUTHOR_EMAIL", "author@example.invalid"),
        ("GIT_COMMITTER_NAME", "Env Committer"),
    ];
    // git's own commit with the same environment and configuration.
    let mut twin = fx.command(&["commit", "-q", "--allow-empty", "-m", "twin"]);
    twin.envs(env);
    assert!(twin.status().unwrap().success());
    let format = ["log", "-1", "--format=%an <%ae>%n%cn <%ce>"];
    let by_git = fx.git(&format);

    fx.write("f.txt", "release\n");
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args([
        "--exact",
        "release_git::identity_child",
        "--ignored",
        "--quiet",
        "--test-threads=1",
    ]);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GIT_") {
            child.env_remove(key);
        }
    }
    child
        .env(CHILD_REPO, fx.path())
        .env("HOME", fx.home.path())
        .env("XDG_CONFIG_HOME", fx.home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("EMAIL")
        .envs(env);
    let output = child.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(
        fx.git(&["log", "-1", "--format=%s"]),
        "chore(release): child\n"
    );
    assert_eq!(fx.git(&format), by_git);
    assert_eq!(
        by_git,
        "Env Author <author@example.invalid>\nEnv Committer <global@example.invalid>\n"
    );
}
