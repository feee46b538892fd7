//! pip's configuration files, checked against real pip (26.3): the values
//! pip's own option parser gives `pip download` under an environment are the
//! values `chiron config show` reports under the same environment, and a
//! real resolution uses the index a pip.conf names.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, oracle_tool, write_files};
use serde_json::Value;

/// The site-packages holding the pinned pip.
fn pip_site_packages(python: &Path) -> PathBuf {
    let output = Command::new(python)
        .args([
            "-c",
            "import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// A venv at `dir` whose Python imports the pinned pip: pip's site file is
/// `sys.prefix/pip.conf`, so pip must run inside the venv whose
/// `VIRTUAL_ENV` chiron reads.
fn venv(dir: &Path) -> PathBuf {
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let status = Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
    dir.join("bin/python")
}

/// The environment both tools run under: nothing of the developer's.
fn clean_env(command: &mut Command, vars: &[(&str, String)]) {
    command.env_clear().env("PATH", "/usr/bin:/bin");
    for (key, value) in vars {
        command.env(key, value);
    }
}

/// What pip's own option parser makes of the configuration for `pip download`.
fn pip_effective(venv_python: &Path, cwd: &Path, vars: &[(&str, String)]) -> Value {
    let tools_python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let script = r#"
import json
from pip._internal.commands import create_command
options, _ = create_command("download").parse_args([])
keys = ["index_url", "extra_index_urls", "find_links", "trusted_hosts",
        "cert", "client_cert", "timeout", "no_index"]
print(json.dumps({key: getattr(options, key) for key in keys}))
"#;
    let mut command = Command::new(venv_python);
    clean_env(&mut command, vars);
    let output = command
        .env("PYTHONPATH", pip_site_packages(&tools_python))
        .current_dir(cwd)
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `chiron config show --json` under the same environment.
fn chiron_show(home: &Path, cwd: &Path, vars: &[(&str, String)]) -> Value {
    let mut command = chiron(home);
    command
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_CONFIG_FILE")
        // OpenSSL's variable, which chiron reads below pip's settings, is
        // not part of pip's options.
        .env_remove("SSL_CERT_FILE")
        .current_dir(cwd)
        .args(["config", "show", "--json"]);
    for (key, value) in vars {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// pip's relative paths are opened against the working folder; chiron
/// records them absolute.
fn absolute(cwd: &Path, value: &Value) -> Value {
    match value {
        Value::String(text) if !text.contains("://") && !text.starts_with('/') => {
            Value::String(cwd.join(text).display().to_string())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| absolute(cwd, v)).collect()),
        other => other.clone(),
    }
}

/// chiron's effective index settings equal pip's, key by key.
fn assert_same(pip: &Value, shown: &Value, cwd: &Path) {
    let index = &shown["config"]["index"];
    let pip_index = if pip["no_index"] == true {
        // pip keeps index_url under --no-index but asks none; chiron too.
        index["url"].clone()
    } else {
        pip["index_url"].clone()
    };
    assert_eq!(index["url"], pip_index, "index-url: {shown}");
    assert_eq!(index["extra-urls"], pip["extra_index_urls"], "{shown}");
    assert_eq!(
        index["find-links"],
        absolute(cwd, &pip["find_links"]),
        "{shown}"
    );
    assert_eq!(index["trusted-hosts"], pip["trusted_hosts"], "{shown}");
    assert_eq!(
        index.get("cert").cloned().unwrap_or(Value::Null),
        absolute(cwd, &pip["cert"]),
        "cert: {shown}"
    );
    assert_eq!(
        index.get("client-cert").cloned().unwrap_or(Value::Null),
        absolute(cwd, &pip["client_cert"]),
        "client-cert: {shown}"
    );
    let pip_timeout = pip["timeout"].as_f64().unwrap().ceil() as u64;
    if shown["sources"]["index.timeout"] == "default" {
        // chiron's documented default (30 s) is not pip's (15 s).
        assert_eq!(pip_timeout, 15);
        assert_eq!(index["timeout"], 30);
    } else {
        assert_eq!(index["timeout"].as_u64(), Some(pip_timeout), "{shown}");
    }
    // pip's strtobool gives 0/1 for a value from a file or variable.
    let pip_no_index = pip["no_index"] == true || pip["no_index"] == 1;
    assert_eq!(index["no-index"], pip_no_index, "{shown}");
}

#[test]
fn global_user_and_site_files_give_the_values_pip_gives() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    let venv_python = venv(&root.join("venv"));
    write_files(
        root,
        &[
            (
                "xdg-a/pip/pip.conf",
                "[global]\nindex-url = https://global-a.invalid/simple\ntimeout = 11\n\
                 [download]\nextra-index-url = https://dl-global.invalid/simple\n",
            ),
            (
                "xdg-b/pip/pip.conf",
                "[global]\nindex-url = https://global-b.invalid/simple\n\
                 trusted-host = global.invalid\n",
            ),
            (
                ".pip/pip.conf",
                "[global]\ntimeout = 12.5\ntrusted-host = legacy.invalid\n",
            ),
            (
                ".config/pip/pip.conf",
                "# the user's file\n[global]\nindex-url = https://user.invalid/simple\n\
                 find-links =\n    rel/wheels\n    /abs/wheels\n\
                 cert = certs/ca.pem\n\
                 [install]\nindex-url = https://install.invalid/simple\n",
            ),
            (
                "venv/pip.conf",
                "[global]\nclient-cert = /site/client.pem\nno-index = false\n\
                 [download]\ntrusted-host =\n    site.invalid\n    site2.invalid:8443\n",
            ),
        ],
    );
    let vars = vec![
        ("HOME", root.display().to_string()),
        (
            "XDG_CONFIG_DIRS",
            format!(
                "{}:{}",
                root.join("xdg-a").display(),
                root.join("xdg-b").display()
            ),
        ),
        ("VIRTUAL_ENV", root.join("venv").display().to_string()),
    ];
    let cwd = root.join("project");
    std::fs::create_dir_all(&cwd).unwrap();
    let pip = pip_effective(&venv_python, &cwd, &vars);
    // The oracle itself: [download] of a global file beats [global] of the
    // user's, and [install] is not read by `pip download`.
    assert_eq!(pip["index_url"], "https://user.invalid/simple", "{pip}");
    assert_eq!(
        pip["extra_index_urls"][0],
        "https://dl-global.invalid/simple"
    );
    assert_eq!(pip["trusted_hosts"][0], "site.invalid", "{pip}");
    let shown = chiron_show(root, &cwd, &vars);
    assert_same(&pip, &shown, &cwd);

    // Each value names the file and the section it came from.
    let sources = &shown["sources"];
    let user = root.join(".config/pip/pip.conf");
    assert_eq!(
        sources["index.url"],
        format!("{} [global]", user.display()),
        "{sources}"
    );
    assert_eq!(
        sources["index.extra-urls"],
        format!("{} [download]", root.join("xdg-a/pip/pip.conf").display())
    );
    assert_eq!(
        sources["index.trusted-hosts"],
        format!("{} [download]", root.join("venv/pip.conf").display())
    );
    assert_eq!(
        sources["index.timeout"],
        format!("{} [global]", root.join(".pip/pip.conf").display())
    );

    // pip's variables beat every file, in pip and in chiron.
    let mut with_env = vars.clone();
    with_env.push(("PIP_INDEX_URL", "https://env.invalid/simple".into()));
    with_env.push(("PIP_TIMEOUT", "4".into()));
    with_env.push(("PIP_NO_INDEX", "yes".into()));
    let pip = pip_effective(&venv_python, &cwd, &with_env);
    assert_eq!(pip["index_url"], "https://env.invalid/simple");
    let shown = chiron_show(root, &cwd, &with_env);
    assert_same(&pip, &shown, &cwd);
    assert_eq!(shown["sources"]["index.no-index"], "env PIP_NO_INDEX");
}

#[test]
fn pip_config_file_replaces_the_user_files_and_devnull_turns_all_off() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    let venv_python = venv(&root.join("venv"));
    write_files(
        root,
        &[
            (
                ".config/pip/pip.conf",
                "[global]\nindex-url = https://user.invalid/simple\ntimeout = 5\n",
            ),
            (
                "xdg/pip/pip.conf",
                "[global]\nextra-index-url = https://global.invalid/simple\n",
            ),
            (
                "explicit.conf",
                "[download]\nfind-links = https://links.invalid/wheels/\n",
            ),
        ],
    );
    let base = vec![
        ("HOME", root.display().to_string()),
        ("XDG_CONFIG_DIRS", root.join("xdg").display().to_string()),
    ];
    for config_file in [
        root.join("explicit.conf").display().to_string(),
        // A file that does not exist does not turn the user files off.
        root.join("missing.conf").display().to_string(),
        "/dev/null".to_string(),
    ] {
        let mut vars = base.clone();
        vars.push(("PIP_CONFIG_FILE", config_file.clone()));
        let pip = pip_effective(&venv_python, root, &vars);
        let shown = chiron_show(root, root, &vars);
        assert_same(&pip, &shown, root);
        let index = &shown["config"]["index"];
        if config_file.ends_with("explicit.conf") {
            assert_eq!(index["url"], chiron::config::DEFAULT_INDEX_URL, "{shown}");
            assert_eq!(
                shown["sources"]["index.find-links"],
                format!("{config_file} [download]")
            );
        }
        if config_file == "/dev/null" {
            assert_eq!(index["extra-urls"], Value::Array(vec![]), "{shown}");
        }
    }
}

#[test]
fn a_broken_pip_conf_is_named_with_its_line() {
    let home = tempfile::tempdir().unwrap();
    write_files(
        home.path(),
        &[(".config/pip/pip.conf", "[global]\ntimeout = soon\n")],
    );
    let output = chiron(home.path())
        .env_remove("PIP_CONFIG_FILE")
        .env("XDG_CONFIG_DIRS", home.path().join("none"))
        .current_dir(home.path())
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".config/pip/pip.conf:2") && stderr.contains("soon"),
        "{stderr}"
    );
}

/// The index named in the user's pip.conf is the one a real resolution
/// asks, and pip, under the same environment, downloads the same file.
#[test]
fn a_resolution_uses_the_index_pip_conf_names() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec {
        requires_dist: &["lib"],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    let lib = index.add(&WheelSpec::new("lib", "2.0", "py3-none-any"));
    // The same index twice, spelled with and without the trailing slash:
    // one index, not an ambiguous name.
    write_files(
        root,
        &[(
            ".config/pip/pip.conf",
            &format!(
                "[global]\nindex-url = {url}\n[download]\nextra-index-url = {url}/\n",
                url = index.url()
            ),
        )],
    );
    let output = chiron(root)
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_CONFIG_FILE")
        .env("XDG_CONFIG_DIRS", root.join("none"))
        .current_dir(root)
        .args(["wheelhouse", "app", "--python", "3.12", "--out", "wh"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(root.join("wh").join(&lib.filename).is_file());
    assert!(index.downloads(&lib.filename) >= 1);

    let pip = oracle_tool("CHIRON_TEST_PIP", "pip");
    let mut command = Command::new(&pip);
    clean_env(
        &mut command,
        &[
            ("HOME", root.display().to_string()),
            ("XDG_CONFIG_DIRS", root.join("none").display().to_string()),
        ],
    );
    let output = command
        .args(["download", "--no-deps", "--disable-pip-version-check", "-d"])
        .arg(root.join("pip-dl"))
        .arg("lib")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read(root.join("pip-dl").join(&lib.filename)).unwrap(),
        std::fs::read(root.join("wh").join(&lib.filename)).unwrap()
    );
}
