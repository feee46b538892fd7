//! `chiron build` against the real backends (their wheels from PyPI,
//! fetched by `.ci/tools.sh`, served here by a plain local index), checked
//! by pip installing what it built with `--require-hashes`, and by
//! building twice.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::plain::PlainIndex;
use crate::support::{chiron, oracle_tool, write_files};

/// The backends' wheels: `$CHIRON_TEST_BUILD_WHEELS`, else where
/// `.ci/tools.sh` puts them. Missing fails the test.
fn backend_wheels() -> PathBuf {
    let dir = std::env::var_os("CHIRON_TEST_BUILD_WHEELS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/chiron-ci/build-backends/wheels"))
        })
        .filter(|d| d.is_dir());
    dir.expect("the build backends' wheels are missing: run `bash .ci/test`")
}

/// A plain index (no requires-python, no PEP 658) over a copy of the
/// backends' wheels.
pub(crate) fn backend_index(home: &Path) -> PlainIndex {
    let dir = home.join("index-files");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(backend_wheels()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    PlainIndex::serve(&dir)
}

const MODULE: &str = "VALUE = 42\n";

/// A project named `demo` 1.0 for `backend`, with a `src/demo` package.
fn project(root: &Path, backend: &str) {
    let (requires, build_backend, extra) = match backend {
        "setuptools" => ("setuptools", "setuptools.build_meta", ""),
        "hatchling" => ("hatchling", "hatchling.build", ""),
        "flit-core" => (
            "flit_core>=3.4",
            "flit_core.buildapi",
            "[tool.flit.module]\nname = \"demo\"\n",
        ),
        "pdm-backend" => ("pdm-backend", "pdm.backend", ""),
        "poetry-core" => (
            "poetry-core>=2",
            "poetry.core.masonry.api",
            "[tool.poetry]\npackages = [{ include = \"demo\", from = \"src\" }]\n",
        ),
        other => panic!("no project for {other}"),
    };
    let pyproject = format!(
        "[build-system]\nrequires = [\"{requires}\"]\nbuild-backend = \"{build_backend}\"\n\n\
         [project]\nname = \"demo\"\nversion = \"1.0\"\ndescription = \"A demo\"\n\
         requires-python = \">=3.8\"\n\n{extra}"
    );
    let module = if backend == "flit-core" {
        // flit takes the package from src/ when it is not at the top.
        "\"\"\"A demo.\"\"\"\nVALUE = 42\n"
    } else {
        MODULE
    };
    write_files(
        root,
        &[
            ("pyproject.toml", pyproject.as_str()),
            ("src/demo/__init__.py", module),
            ("README.md", "demo\n"),
        ],
    );
}

/// `chiron build` in `project` against the index; stdout as JSON.
fn build(home: &Path, project: &Path, index: &str, args: &[&str]) -> (bool, Value, String) {
    let output = chiron(home)
        .current_dir(project)
        .args(["build", "--json", "--index-url", index])
        .args(args)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.success(), json, stderr)
}

/// The built files' names and sha256, by name.
fn built(report: &Value) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = PathBuf::from(f["path"].as_str().unwrap());
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    files.sort();
    files
}

/// pip (the oracle) installs the wheel into a fresh venv by its hash alone,
/// offline, and the package imports.
fn pip_installs(home: &Path, dist: &Path, wheel: &str, sha256: &str) {
    let venv = home.join(format!("venv-{}", wheel.len()));
    let status = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let requirements = home.join("install.txt");
    std::fs::write(&requirements, format!("demo==1.0 --hash=sha256:{sha256}\n")).unwrap();
    let output = Command::new(oracle_tool("CHIRON_TEST_PIP", "pip"))
        .args(["--isolated", "--python"])
        .arg(venv.join("bin/python"))
        .args(["install", "--no-index", "--require-hashes", "--find-links"])
        .arg(dist)
        .arg("-r")
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pip refused {wheel}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import demo, importlib.metadata as m; print(demo.VALUE, m.version('demo'))",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "42 1.0");
}

fn backend_builds_reproducibly_and_installs(backend: &str) {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    let dir = home.path().join("demo");
    project(&dir, backend);
    let (ok, first, stderr) = build(home.path(), &dir, &index.url(), &[]);
    assert!(ok, "{backend}: {stderr}");
    let files = built(&first);
    assert_eq!(files.len(), 2, "{backend}: {files:?}");
    assert!(
        files.iter().any(|(n, _)| n.ends_with(".tar.gz")),
        "{files:?}"
    );
    let (wheel, sha256) = files.iter().find(|(n, _)| n.ends_with(".whl")).unwrap();
    assert!(dir.join("build-requirements.txt").is_file());
    assert!(dir.join("pylock.build.toml").is_file());
    // The build lock is hash-pinned and names the backend.
    let lock = std::fs::read_to_string(dir.join("build-requirements.txt")).unwrap();
    assert!(lock.contains("--hash=sha256:"), "{lock}");
    // Built again, from the kept lock: the same bytes.
    let (ok, second, stderr) = build(home.path(), &dir, &index.url(), &[]);
    assert!(ok, "{backend}: {stderr}");
    assert_eq!(built(&second), files, "{backend} is not reproducible");
    assert_eq!(second["isolation"]["reused"], true);
    pip_installs(home.path(), &dir.join("dist"), wheel, sha256);
    // `chiron init` takes the project's inputs, not the build lock.
    let output = chiron(home.path())
        .current_dir(&dir)
        .args(["init", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("pylock.build.toml"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // What it wrote beside them verifies as a dist folder.
    let output = chiron(home.path())
        .current_dir(&dir)
        .args(["verify", "dist"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{backend}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn setuptools_builds_reproducibly_and_installs() {
    backend_builds_reproducibly_and_installs("setuptools");
}

#[test]
fn hatchling_builds_reproducibly_and_installs() {
    backend_builds_reproducibly_and_installs("hatchling");
}

#[test]
fn flit_core_builds_reproducibly_and_installs() {
    backend_builds_reproducibly_and_installs("flit-core");
}

#[test]
fn pdm_backend_builds_reproducibly_and_installs() {
    backend_builds_reproducibly_and_installs("pdm-backend");
}

#[test]
fn poetry_core_builds_reproducibly_and_installs() {
    backend_builds_reproducibly_and_installs("poetry-core");
}

#[test]
fn offline_builds_need_no_network_once_the_lock_is_fetched() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    project(&dir, "hatchling");
    let wheels = home.path().join("build-wheels");
    let wheels_arg = wheels.display().to_string();
    let (url, first) = {
        let index = backend_index(home.path());
        let (ok, report, stderr) = build(
            home.path(),
            &dir,
            &index.url(),
            &["--build-wheelhouse", &wheels_arg],
        );
        assert!(ok, "{stderr}");
        (index.url(), built(&report))
        // The index stops here: nothing answers at its address any more.
    };
    // No cache either: the build wheelhouse alone has the wheels.
    std::fs::remove_dir_all(home.path().join("cache")).unwrap();
    std::fs::remove_dir_all(dir.join("dist")).unwrap();
    let (ok, report, stderr) = build(
        home.path(),
        &dir,
        &url,
        &["--offline", "--build-wheelhouse", &wheels_arg],
    );
    assert!(ok, "offline: {stderr}");
    assert_eq!(built(&report), first, "the offline build is the same bytes");
    // A lock that no longer satisfies [build-system] cannot be refreshed
    // offline: a clear error, not a network attempt.
    let pyproject = std::fs::read_to_string(dir.join("pyproject.toml")).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        pyproject.replace(
            "requires = [\"hatchling\"]",
            "requires = [\"hatchling\", \"flit-core\"]",
        ),
    )
    .unwrap();
    let (ok, _, stderr) = build(
        home.path(),
        &dir,
        &url,
        &["--offline", "--build-wheelhouse", &wheels_arg],
    );
    assert!(!ok);
    assert!(stderr.contains("does not satisfy flit-core"), "{stderr}");
    assert!(stderr.contains("without --offline"), "{stderr}");
}

#[test]
fn a_bundle_with_build_deps_rebuilds_the_project_on_the_far_side() {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    let dir = home.path().join("demo");
    project(&dir, "hatchling");
    let (ok, report, stderr) = build(home.path(), &dir, &index.url(), &[]);
    assert!(ok, "{stderr}");
    let original = built(&report);
    write_files(&dir, &[("requirements.txt", "packaging\n")]);
    let output = chiron(home.path())
        .current_dir(&dir)
        .args([
            "airgap",
            "build",
            "-r",
            "requirements.txt",
            "--unsigned",
            "--with-build-deps",
        ])
        .args(["-o", "bundle.tar.gz", "--python", "3.11"])
        .env("PIP_INDEX_URL", index.url())
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = chiron(home.path())
        .current_dir(&dir)
        .args(["verify", "bundle.tar.gz"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // The far side: GNU tar unpacks the bundle; the source travels with
    // its build lock; no index, no cache.
    let far = home.path().join("far");
    std::fs::create_dir_all(&far).unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(dir.join("bundle.tar.gz"))
        .arg("-C")
        .arg(&far)
        .status()
        .unwrap();
    assert!(status.success());
    let source = far.join("demo");
    for file in [
        "pyproject.toml",
        "build-requirements.txt",
        "pylock.build.toml",
        "README.md",
        "src/demo/__init__.py",
    ] {
        std::fs::create_dir_all(source.join(file).parent().unwrap()).unwrap();
        std::fs::copy(dir.join(file), source.join(file)).unwrap();
    }
    let far_home = home.path().join("far-home");
    std::fs::create_dir_all(&far_home).unwrap();
    let wheels = far.join("build-wheelhouse").display().to_string();
    let (ok, report, stderr) = build(
        &far_home,
        &source,
        "http://127.0.0.1:9/simple",
        &["--offline", "--build-wheelhouse", &wheels],
    );
    assert!(ok, "far side: {stderr}");
    assert_eq!(
        built(&report),
        original,
        "rebuilt bit for bit on the far side"
    );
}

/// An in-tree backend (backend-path) that writes a wheel by hand: what it
/// was called with is inside, and get_requires_for_build_wheel asks for
/// more than [build-system] does.
const IN_TREE_BACKEND: &str = r#"
import base64, hashlib, json, os, tarfile, time, zipfile, uuid

NAME, VERSION = "demo", "1.0"

# Parameter names unlike PEP 517's: hooks are called by position, as
# pyproject-hooks calls them.
def get_requires_for_build_wheel(settings=None):
    return ["flit-core"] if (settings or {}).get("more") else []

def _record(entries):
    lines = []
    for name, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    return "\n".join(lines + ["demo-1.0.dist-info/RECORD,,"]) + "\n"

def build_wheel(wheel_dir, settings=None, metadata_dir=None):
    if (settings or {}).get("fail"):
        raise ValueError("asked to fail")
    info = {"config_settings": settings, "umask_is_set": True}
    entries = [
        ("demo/__init__.py", b"VALUE = 42\n"),
        ("demo/settings.json", json.dumps(info, sort_keys=True).encode()),
    ]
    if os.environ.get("DEMO_UNREPRODUCIBLE") or os.path.exists("UNREPRODUCIBLE"):
        entries.append(("demo/stamp.py", ("BUILT = %r\n" % time.time()).encode()))
        entries.append(("demo/%s.txt" % uuid.uuid4().hex, b"random\n"))
    entries += [
        ("demo-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
        ("demo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: in-tree\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    name = "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_dir, name), "w") as whl:
        for entry, data in entries:
            whl.writestr(entry, data)
        whl.writestr("demo-1.0.dist-info/RECORD", _record(entries))
    print("in-tree backend built", name)
    return name

def build_sdist(out, settings=None):
    name = "demo-1.0.tar.gz"
    with tarfile.open(os.path.join(out, name), "w:gz") as tar:
        for path in ["pyproject.toml", "backend/demo_backend.py"] + (["UNREPRODUCIBLE"] if os.path.exists("UNREPRODUCIBLE") else []):
            tar.add(path, arcname="demo-1.0/" + path)
    return name
"#;

fn in_tree_project(dir: &Path) {
    write_files(
        dir,
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"demo_backend\"\nbackend-path = [\"backend\"]\n",
            ),
            ("backend/demo_backend.py", IN_TREE_BACKEND),
        ],
    );
}

fn wheel_member(wheel: &Path, member: &str) -> String {
    let file = std::fs::File::open(wheel).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(member).unwrap(), &mut text).unwrap();
    text
}

#[test]
fn config_settings_reach_the_backend_and_its_extra_requirements_are_locked() {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    let dir = home.path().join("demo");
    in_tree_project(&dir);
    let (ok, report, stderr) = build(
        home.path(),
        &dir,
        &index.url(),
        &["--wheel", "-C", "more=yes", "-C", "flag=a", "-C", "flag=b"],
    );
    assert!(ok, "{stderr}");
    let settings = wheel_member(
        &dir.join("dist/demo-1.0-py3-none-any.whl"),
        "demo/settings.json",
    );
    let settings: Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(
        settings["config_settings"],
        serde_json::json!({ "more": "yes", "flag": ["a", "b"] })
    );
    // What get_requires_for_build_wheel added is in the build lock.
    let lock = std::fs::read_to_string(dir.join("build-requirements.txt")).unwrap();
    assert!(lock.contains("flit-core==4.2.0"), "{lock}");
    assert!(
        report["build_dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "flit-core")
    );
    // The backend's own output is streamed on stderr under the hook.
    assert!(stderr.contains("build_wheel (demo_backend)"), "{stderr}");
}

#[test]
fn a_failing_hook_is_named_with_the_exception() {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    let dir = home.path().join("demo");
    in_tree_project(&dir);
    let (ok, _, stderr) = build(
        home.path(),
        &dir,
        &index.url(),
        &["--wheel", "-C", "fail=1", "-q"],
    );
    assert!(!ok);
    assert!(
        stderr.contains("build_wheel of demo_backend failed: ValueError: asked to fail"),
        "{stderr}"
    );
    // With -q the backend's traceback is still shown when it fails.
    assert!(stderr.contains("Traceback"), "{stderr}");
    assert!(!dir.join("dist").exists(), "nothing is written on failure");
}

#[test]
fn check_names_every_difference_of_an_unreproducible_build() {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    let dir = home.path().join("demo");
    in_tree_project(&dir);
    write_files(&dir, &[("UNREPRODUCIBLE", "yes\n")]);
    let output = chiron(home.path())
        .current_dir(&dir)
        .args(["build", "--check", "--index-url", &index.url()])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("stamp.py"), "{stdout}");
    assert!(
        stdout.contains("BUILT = "),
        "the text diff is shown: {stdout}"
    );
    assert!(
        stdout.contains(".txt"),
        "the random file is named: {stdout}"
    );
    for code in [
        "only-in-left: demo/",
        "only-in-right: demo/",
        "content: demo/stamp.py",
        "record-line: demo/stamp.py",
    ] {
        assert!(stdout.contains(code), "{code}: {stdout}");
    }
    assert!(stdout.contains("not reproducible"), "{stdout}");
    assert!(
        !dir.join("dist").exists(),
        "nothing is written when builds differ"
    );
    // The same project without the nondeterminism passes the check.
    std::fs::remove_file(dir.join("UNREPRODUCIBLE")).unwrap();
    let (ok, report, stderr) = build(home.path(), &dir, &index.url(), &["--check"]);
    assert!(ok, "{stderr}");
    assert_eq!(built(&report).len(), 2);
}

#[test]
fn a_c_extension_builds_for_the_host_and_repairs_to_manylinux() {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    let dir = home.path().join("demo");
    write_files(
        &dir,
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                 [project]\nname = \"demo\"\nversion = \"1.0\"\n",
            ),
            (
                "setup.py",
                "from setuptools import setup, Extension\n\
                 setup(ext_modules=[Extension('demo._speed', ['src/demo/_speed.c'])], package_dir={'': 'src'}, packages=['demo'])\n",
            ),
            (
                "src/demo/__init__.py",
                "from ._speed import answer\nVALUE = answer()\n",
            ),
            (
                "src/demo/_speed.c",
                "#include <Python.h>\n\
                 static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }\n\
                 static PyMethodDef methods[] = {{\"answer\", answer, METH_NOARGS, \"\"}, {NULL, NULL, 0, NULL}};\n\
                 static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, \"_speed\", NULL, -1, methods};\n\
                 PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }\n",
            ),
        ],
    );
    let (ok, report, stderr) = build(home.path(), &dir, &index.url(), &[]);
    assert!(ok, "{stderr}");
    let files = built(&report);
    let (wheel, sha256) = files.iter().find(|(n, _)| n.ends_with(".whl")).unwrap();
    assert!(
        wheel.contains("-linux_x86_64") || wheel.contains("-linux_"),
        "{wheel}"
    );
    pip_installs(home.path(), &dir.join("dist"), wheel, sha256);

    // --repair: auditwheel (the oracle of what manylinux allows) gives it a
    // portable tag, and chiron checks the name and WHEEL agree.
    let tools = std::env::var_os("CHIRON_TEST_BUILD_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap())
                .join(".cache/chiron-ci/build-tools/bin")
        });
    assert!(
        tools.join("auditwheel").is_file(),
        "auditwheel is missing: run `bash .ci/test`"
    );
    let path = std::env::join_paths(
        std::iter::once(tools).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    std::fs::remove_dir_all(dir.join("dist")).unwrap();
    let output = chiron(home.path())
        .current_dir(&dir)
        .env("PATH", path)
        .args([
            "build",
            "--json",
            "--wheel",
            "--repair",
            "--index-url",
            &index.url(),
        ])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let files = built(&report);
    let (wheel, _) = files.iter().find(|(n, _)| n.ends_with(".whl")).unwrap();
    assert!(wheel.contains("manylinux"), "{wheel}");
}

#[test]
fn bad_projects_are_usage_errors_with_the_key() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    write_files(
        &dir,
        &[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"set tools!!\"]\n",
        )],
    );
    let output = chiron(home.path())
        .current_dir(&dir)
        .arg("build")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("build-system.requires[0]"), "{stderr}");
    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let output = chiron(home.path())
        .current_dir(&empty)
        .arg("build")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a Python project"));
}

#[test]
fn metadata_comes_from_the_prepare_hook_or_a_built_wheel() {
    let home = tempfile::tempdir().unwrap();
    let index = backend_index(home.path());
    // setuptools implements prepare_metadata_for_build_wheel.
    let dir = home.path().join("demo");
    project(&dir, "setuptools");
    let (ok, report, stderr) = build(home.path(), &dir, &index.url(), &["--metadata"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["prepared"], true);
    let dist_info = PathBuf::from(report["dist_info"].as_str().unwrap());
    assert_eq!(dist_info, dir.join("dist/demo-1.0.dist-info"));
    let metadata = std::fs::read_to_string(dist_info.join("METADATA")).unwrap();
    assert!(
        metadata.contains("Name: demo") && metadata.contains("Version: 1.0"),
        "{metadata}"
    );
    // The in-tree backend has no such hook: the wheel is built and its
    // .dist-info taken.
    let other = home.path().join("other");
    in_tree_project(&other);
    let (ok, report, stderr) = build(home.path(), &other, &index.url(), &["--metadata"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["prepared"], false);
    assert!(other.join("dist/demo-1.0.dist-info/WHEEL").is_file());
    assert!(!other.join("dist/demo-1.0-py3-none-any.whl").exists());
}

#[test]
fn without_isolation_missing_requirements_are_named() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    in_tree_project(&dir);
    let pyproject = std::fs::read_to_string(dir.join("pyproject.toml")).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        pyproject.replace(
            "requires = []",
            "requires = [\"chiron-test-absent-backend>=1\"]",
        ),
    )
    .unwrap();
    let output = chiron(home.path())
        .current_dir(&dir)
        .args(["build", "--no-isolation", "--wheel"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("lacks what the build needs: chiron-test-absent-backend>=1"),
        "{stderr}"
    );
}

#[test]
fn a_source_date_epoch_no_wheel_can_hold_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    in_tree_project(&dir);
    for value in ["-5", "99999999999999"] {
        let output = chiron(home.path())
            .current_dir(&dir)
            .env("SOURCE_DATE_EPOCH", value)
            .args(["build", "--wheel"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{value}: {stderr}");
        assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{stderr}");
    }
}
