//! The wheel's own metadata decides, as pip and uv decide, on the indexes
//! users really have (pypiserver-like pages with nothing but hashed links,
//! and find-links folders): Requires-Python from METADATA, PEP 440 local
//! versions, a dependency no index has, and files whose METADATA disagrees
//! with their name. Real pip is the referee in each case.

use crate::support;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use crate::support::chiron;
use crate::support::index::{WheelSpec, build_sdist, sha256_hex};
use crate::support::plain::PlainIndex;

fn host_python() -> (u8, u8) {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.version_info[0], sys.version_info[1])",
        ])
        .output()
        .expect("python3 is installed by .ci/test");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut parts = text.split_whitespace().map(|p| p.parse().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

fn host_platform() -> String {
    chiron::python::target::NamedPlatform::host()
        .unwrap()
        .name()
        .to_string()
}

/// A fresh venv of the host's python3; returns a function that runs its pip.
fn venv_pip(home: &Path) -> impl Fn(&Path, &[&str]) -> Output {
    let venv = home.join("venv");
    assert!(
        std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    move |cwd: &Path, args: &[&str]| {
        std::process::Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "--disable-pip-version-check", "--no-input"])
            .args(args)
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_INDEX_URL")
            .env("PIP_NO_CACHE_DIR", "1")
            .current_dir(cwd)
            .output()
            .unwrap()
    }
}

/// A `packages` folder in `home`, served as a pypiserver-like index.
fn packages_folder(home: &Path) -> (std::path::PathBuf, PlainIndex) {
    let dir = home.join("packages");
    std::fs::create_dir(&dir).unwrap();
    let index = PlainIndex::serve(&dir);
    (dir, index)
}

/// Real pip installs the host target's requirements file from `home/wh`
/// offline, with `--require-hashes`.
fn pip_installs_the_host_lock(pip: &impl Fn(&Path, &[&str]) -> Output, home: &Path) {
    let (major, minor) = host_python();
    let lock_name = format!("requirements-{major}.{minor}-{}.txt", host_platform());
    let installed = pip(
        &home.join("wh"),
        &[
            "install",
            "--no-index",
            "--find-links",
            ".",
            "--require-hashes",
            "-r",
            &lock_name,
        ],
    );
    assert!(installed.status.success(), "{}", text(&installed));
}

/// `chiron wheelhouse ARGS --out wh --no-gate` for the host target on `index`.
fn wheelhouse(home: &Path, index: &PlainIndex, args: &[&str]) -> Output {
    let (major, minor) = host_python();
    chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index.url())
        .args(["wheelhouse", "--no-gate", "--out", "wh", "--python"])
        .arg(format!("{major}.{minor}"))
        .args(["--platform", &host_platform()])
        .args(args)
        .output()
        .unwrap()
}

fn host_lock(home: &Path) -> String {
    let (major, minor) = host_python();
    let name = format!("requirements-{major}.{minor}-{}.txt", host_platform());
    std::fs::read_to_string(home.join("wh").join(name)).unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The pins of a requirements file, `name==version`, sorted.
fn pins(lock: &str) -> Vec<String> {
    let mut pins: Vec<String> = lock
        .lines()
        .filter(|l| !l.starts_with([' ', '#']) && l.contains("=="))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    pins.sort();
    pins
}

/// What pip itself picks from the folder: `pip download --no-index
/// --find-links DIR --only-binary :all:`, as `name==version`, sorted.
fn pip_picks(
    pip: &impl Fn(&Path, &[&str]) -> Output,
    dir: &Path,
    requirements: &[&str],
) -> Vec<String> {
    let dest = tempfile::tempdir().unwrap();
    let mut args = vec![
        "download",
        "--no-index",
        "--only-binary",
        ":all:",
        "--find-links",
    ];
    let folder = dir.to_str().unwrap();
    args.push(folder);
    args.extend(["-d", dest.path().to_str().unwrap()]);
    args.extend(requirements);
    let output = pip(dir, &args);
    assert!(output.status.success(), "pip download: {}", text(&output));
    let mut picked: Vec<String> = std::fs::read_dir(dest.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|f| {
            let mut parts = f.split('-');
            format!(
                "{}=={}",
                parts.next().unwrap().replace('_', "-"),
                parts.next().unwrap()
            )
        })
        .collect();
    picked.sort();
    picked
}

#[test]
fn requires_python_in_the_metadata_decides_when_the_index_does_not_say() {
    let home = tempfile::tempdir().unwrap();
    let (dir, index) = packages_folder(home.path());
    let (major, minor) = host_python();
    let newer = format!(">={major}.{}", minor + 1);
    index.add(&WheelSpec {
        requires_dist: &["newpy"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("newpy", "1.0", "py3-none-any"));
    let too_new = index.add(&WheelSpec {
        requires_python: Some(&newer),
        ..WheelSpec::new("newpy", "2.0", "py3-none-any")
    });

    let output = wheelhouse(home.path(), &index, &["app"]);
    assert!(output.status.success(), "{}", text(&output));
    let lock = host_lock(home.path());
    assert_eq!(pins(&lock), ["app==1.0", "newpy==1.0"], "{lock}");

    // pip refuses what chiron used to write, and installs what it writes now.
    let pip = venv_pip(home.path());
    let app = std::fs::read(dir.join("app-1.0-py3-none-any.whl")).unwrap();
    let newpy = std::fs::read(dir.join(&too_new)).unwrap();
    let old_lock = format!(
        "app==1.0 --hash=sha256:{}\nnewpy==2.0 --hash=sha256:{}\n",
        sha256_hex(&app),
        sha256_hex(&newpy)
    );
    std::fs::write(home.path().join("old.txt"), old_lock).unwrap();
    let refused = pip(
        home.path(),
        &[
            "install",
            "--no-index",
            "--find-links",
            dir.to_str().unwrap(),
            "--require-hashes",
            "-r",
            "old.txt",
        ],
    );
    assert!(!refused.status.success(), "pip installed the wrong lock");
    assert!(
        text(&refused).contains("requires a different Python"),
        "{}",
        text(&refused)
    );
    pip_installs_the_host_lock(&pip, home.path());
    assert_eq!(pip_picks(&pip, &dir, &["app"]), ["app==1.0", "newpy==1.0"]);

    // When no version fits, the explanation names the field and the target.
    let output = wheelhouse(home.path(), &index, &["newpy>=2"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(
        said.contains(&format!(
            "newpy 2.0 requires Python {newer} (Requires-Python in its metadata), the target is {major}.{minor}"
        )),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_find_links_folder_alone_is_resolved_by_the_metadata() {
    use chiron::index::client::{ClientSettings, IndexClient};
    use chiron::python::target::{Floors, Platform, Target};
    use chiron::python::version::PythonVersion;
    use chiron::resolve::{PackageSource, ResolveOptions, resolve_target};
    use std::str::FromStr;

    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("links");
    std::fs::create_dir(&dir).unwrap();
    let folder = PlainIndex::serve(&dir);
    folder.add(&WheelSpec::new("newpy", "1.0", "py3-none-any"));
    folder.add(&WheelSpec {
        requires_python: Some(">=3.12"),
        ..WheelSpec::new("newpy", "2.0", "py3-none-any")
    });
    let mut settings = ClientSettings::new(Vec::new(), home.path().join("cache"));
    settings.find_links = vec![dir.display().to_string()];
    settings.netrc = None;
    let client = Arc::new(IndexClient::new(settings).unwrap());
    let source = Arc::new(PackageSource::new(client, home.path().join("scratch")));
    let mut picked = Vec::new();
    for python in ["3.11", "3.12"] {
        let target = Target::new(
            PythonVersion::from_str(python).unwrap(),
            Platform::from_str("linux-x86_64").unwrap(),
            Floors::default(),
        )
        .unwrap();
        let source = Arc::clone(&source);
        let resolution = tokio::task::spawn_blocking(move || {
            resolve_target(
                &source,
                &target,
                &["newpy".parse().unwrap()],
                &[],
                &ResolveOptions::default(),
            )
        })
        .await
        .unwrap()
        .unwrap();
        picked.push(resolution.pins.values().next().unwrap().version.clone());
    }
    assert_eq!(picked, ["1.0", "2.0"]);
}

#[test]
fn a_pin_without_a_local_label_takes_the_local_build_over_an_sdist() {
    let home = tempfile::tempdir().unwrap();
    let (dir, index) = packages_folder(home.path());
    // PyTorch's CPU index serves `2.5.1+cpu` wheels only; an sdist of the
    // public version sits beside them here, as on mixed mirrors.
    index.add(&WheelSpec::new("torchlike", "2.5.1+cpu", "py3-none-any"));
    index.add(&WheelSpec::new("torchlike", "2.6.0+cpu", "py3-none-any"));
    let (sdist, bytes, _) = build_sdist("torchlike", "2.5.1", "2.2", &[], &[]);
    index.put(&sdist, &bytes);
    index.add(&WheelSpec {
        requires_dist: &["torchlike<=2.5.1"],
        ..WheelSpec::new("visionlike", "0.20.1+cpu", "py3-none-any")
    });

    let output = wheelhouse(
        home.path(),
        &index,
        &["torchlike==2.5.1", "visionlike==0.20.1", "--allow-sdist"],
    );
    assert!(output.status.success(), "{}", text(&output));
    let lock = host_lock(home.path());
    assert_eq!(
        pins(&lock),
        ["torchlike==2.5.1+cpu", "visionlike==0.20.1+cpu"],
        "{lock}"
    );

    let pip = venv_pip(home.path());
    assert_eq!(
        pip_picks(&pip, &dir, &["torchlike==2.5.1", "visionlike==0.20.1"]),
        ["torchlike==2.5.1+cpu", "visionlike==0.20.1+cpu"]
    );
    pip_installs_the_host_lock(&pip, home.path());

    // A pin that matches nothing is told as the user wrote it, not as the
    // range that admits local variants.
    let output = wheelhouse(home.path(), &index, &["torchlike==2.5.7"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("torchlike==2.5.7"),
        "{}",
        text(&output)
    );
    assert!(!text(&output).contains("post0.dev0"), "{}", text(&output));

    // `!=2.5.1` excludes the local build too; `>2.5.1` does not admit it.
    let output = wheelhouse(home.path(), &index, &["torchlike!=2.6.0,>2.5.1"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn a_dependency_no_index_has_sends_the_resolver_to_another_version() {
    let home = tempfile::tempdir().unwrap();
    let (dir, index) = packages_folder(home.path());
    index.add(&WheelSpec::new("top", "1.0", "py3-none-any"));
    index.add(&WheelSpec {
        requires_dist: &["ghost>=1"],
        ..WheelSpec::new("top", "2.0", "py3-none-any")
    });

    let output = wheelhouse(home.path(), &index, &["top"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(pins(&host_lock(home.path())), ["top==1.0"]);
    let pip = venv_pip(home.path());
    assert_eq!(pip_picks(&pip, &dir, &["top"]), ["top==1.0"]);

    // With no alternative, the story names the missing package and where
    // it was looked for.
    let output = wheelhouse(home.path(), &index, &["top>=2"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("top >=2.0 depends on ghost >=1"), "{said}");
    assert!(said.contains("package `ghost` was not found on"), "{said}");

    // A direct requirement nobody has stays a plain "not found" with its hint.
    let output = wheelhouse(home.path(), &index, &["nosuchthing"]);
    assert_ne!(output.status.code(), Some(0));
    let said = text(&output);
    assert!(
        said.contains("package `nosuchthing` was not found"),
        "{said}"
    );
    assert!(said.contains("spelling"), "{said}");
}

#[test]
fn a_file_whose_metadata_disagrees_with_its_name_is_skipped_as_pip_skips_it() {
    let home = tempfile::tempdir().unwrap();
    let (dir, index) = packages_folder(home.path());
    index.add(&WheelSpec::new("odd", "1.0", "py3-none-any"));
    // A wheel named 2.0 whose METADATA says 1.9.
    let (_, bytes, _) = support::index::build_wheel(&WheelSpec::new("odd", "1.9", "py3-none-any"));
    index.put("odd-2.0-py3-none-any.whl", &bytes);

    let output = wheelhouse(home.path(), &index, &["odd"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(pins(&host_lock(home.path())), ["odd==1.0"]);
    let pip = venv_pip(home.path());
    assert_eq!(pip_picks(&pip, &dir, &["odd"]), ["odd==1.0"]);

    let output = wheelhouse(home.path(), &index, &["odd==2.0"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("its METADATA says version 1.9"),
        "{}",
        text(&output)
    );
}

#[test]
fn exclude_newer_leaves_out_what_it_cannot_date_as_uv_does() {
    use support::index::{PageFormat, TestIndex};
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        upload_time: Some("2024-01-01T00:00:00Z"),
        ..WheelSpec::new("dated", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        upload_time: Some("2026-01-01T00:00:00Z"),
        ..WheelSpec::new("dated", "2.0", "py3-none-any")
    });
    let (major, minor) = host_python();
    let python = format!("{major}.{minor}");
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args([
            "wheelhouse",
            "dated",
            "--no-gate",
            "--out",
            "wh",
            "--exclude-newer",
            "2025-01-01",
        ])
        .args(["--python", &python, "--platform", &host_platform()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(pins(&host_lock(home.path())), ["dated==1.0"]);
    let uv = support::oracle_tool("CHIRON_TEST_UV", "uv");
    let reqs = home.path().join("dated.in");
    std::fs::write(&reqs, "dated\n").unwrap();
    let compiled = std::process::Command::new(&uv)
        .args([
            "pip",
            "compile",
            "--no-header",
            "--no-annotate",
            "--no-config",
            "--only-binary",
            ":all:",
        ])
        .args([
            "--python-version",
            &python,
            "--exclude-newer",
            "2025-01-01T00:00:00Z",
        ])
        .args(["--index-url", &index.url(), "--cache-dir"])
        .arg(home.path().join("uv-cache"))
        .arg(&reqs)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .output()
        .unwrap();
    assert!(compiled.status.success(), "{}", text(&compiled));
    assert_eq!(
        pins(&String::from_utf8_lossy(&compiled.stdout)),
        ["dated==1.0"]
    );

    // pypiserver states no upload time: nothing can be shown to be old
    // enough, and the run says so instead of pinning today's files.
    let dir = home.path().join("packages");
    std::fs::create_dir(&dir).unwrap();
    let plain = PlainIndex::serve(&dir);
    plain.add(&WheelSpec::new("dated", "1.0", "py3-none-any"));
    let output = wheelhouse(
        home.path(),
        &plain,
        &["dated", "--exclude-newer", "2025-01-01"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[cfg(unix)]
#[test]
fn written_files_are_as_readable_as_the_umask_makes_new_files() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let (_, index) = packages_folder(home.path());
    index.add(&WheelSpec::new("plainpkg", "1.0", "py3-none-any"));
    let output = wheelhouse(home.path(), &index, &["plainpkg"]);
    assert!(output.status.success(), "{}", text(&output));
    let wh = home.path().join("wh");
    // The reference: what File::create and create_dir make under the same umask.
    let probe = wh.join("probe");
    std::fs::File::create(&probe).unwrap();
    let file_mode = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    std::fs::remove_file(&probe).unwrap();
    let probe_dir = home.path().join("probe-dir");
    std::fs::create_dir(&probe_dir).unwrap();
    let dir_mode = std::fs::metadata(&probe_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        std::fs::metadata(&wh).unwrap().permissions().mode() & 0o777,
        dir_mode
    );
    for entry in std::fs::read_dir(&wh).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, file_mode, "{}", entry.file_name().to_string_lossy());
    }
}
