//! pip's spellings on the command line of `chiron wheelhouse` and in
//! requirements files: `--no-index`, `-i`, `--extra-index-url`, `-f`,
//! `--trusted-host`, `--no-binary` / `--only-binary`; checked against pip
//! where pip decides the same thing (trusted hosts, format control).

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::{chiron, oracle_tool, write_files};

fn wheelhouse(home: &Path, index_env: &str, args: &[&str]) -> Output {
    chiron(home)
        .current_dir(home)
        .env("PIP_INDEX_URL", index_env)
        .args([
            "wheelhouse",
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn ok(output: &Output) -> &Output {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn pins(home: &Path, out: &str) -> String {
    std::fs::read_to_string(home.join(out).join("requirements-3.12-linux-x86_64.txt")).unwrap()
}

/// `lib 1.0` as a wheel and as an sdist with static metadata.
fn index_with_both() -> (TestIndex, String, String) {
    let index = TestIndex::start(PageFormat::Json, true);
    let wheel = index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    let sdist = index.add_sdist("lib", "1.0", "2.2", &[], &[]);
    (index, wheel.sha256, sdist.sha256)
}

#[test]
fn no_binary_takes_the_sdist_only_with_allow_sdist() {
    let home = tempfile::tempdir().unwrap();
    let (index, wheel, sdist) = index_with_both();
    let output = wheelhouse(home.path(), &index.url(), &["lib", "--no-binary", "lib"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("--no-binary")
            && message.contains("lib")
            && message.contains("--allow-sdist"),
        "{message}"
    );

    let args = ["lib", "--allow-sdist", "--no-binary", "lib", "--out", "wh"];
    ok(&wheelhouse(home.path(), &index.url(), &args));
    assert!(
        pins(home.path(), "wh").contains(&sdist),
        "{}",
        pins(home.path(), "wh")
    );

    // --only-binary wins back, whatever wrote --no-binary (here a file).
    write_files(home.path(), &[("reqs.txt", "--no-binary :all:\nlib\n")]);
    let args = [
        "-r",
        "reqs.txt",
        "--allow-sdist",
        "--only-binary",
        "lib",
        "--out",
        "wh2",
    ];
    ok(&wheelhouse(home.path(), &index.url(), &args));
    assert!(pins(home.path(), "wh2").contains(&wheel));

    // `manage download` fetches wheels only.
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .args([
            "manage",
            "download",
            "--no-deps",
            "lib==1.0",
            "--no-binary",
            "lib",
        ])
        .args(["--python", "3.12", "--platform", "linux-x86_64"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

/// The same sequences of options, in a requirements file, give the kind of
/// file pip's own `FormatControl` allows.
#[test]
fn format_options_in_files_follow_pips_format_control() {
    let home = tempfile::tempdir().unwrap();
    let (index, wheel, sdist) = index_with_both();
    let python = oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python");
    let cases: [&[(&str, &str)]; 5] = [
        &[("--no-binary", ":all:")],
        &[("--no-binary", ":all:"), ("--only-binary", "lib")],
        &[("--only-binary", "other,lib"), ("--no-binary", "LIB")],
        &[("--no-binary", "lib,:none:")],
        &[("--no-binary", ":all:,:none:,other")],
    ];
    for (n, options) in cases.iter().enumerate() {
        let mut script = String::from(
            "from pip._internal.models.format_control import FormatControl\n\
             fc = FormatControl(set(), set())\n",
        );
        for (option, value) in options.iter() {
            let (target, other) = if *option == "--no-binary" {
                ("fc.no_binary", "fc.only_binary")
            } else {
                ("fc.only_binary", "fc.no_binary")
            };
            script.push_str(&format!(
                "FormatControl.handle_mutual_excludes({value:?}, {target}, {other})\n"
            ));
        }
        script.push_str("print('binary' in fc.get_allowed_formats('lib'))\n");
        let output = Command::new(&python)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let pip_takes_wheel = String::from_utf8_lossy(&output.stdout).trim() == "True";

        let mut text = String::new();
        for (option, value) in options.iter() {
            text.push_str(&format!("{option} {value}\n"));
        }
        text.push_str("lib\n");
        let file = format!("reqs{n}.txt");
        write_files(home.path(), &[(&file, &text)]);
        let out = format!("wh{n}");
        let args = ["-r", &file, "--allow-sdist", "--out", &out];
        ok(&wheelhouse(home.path(), &index.url(), &args));
        let expected = if pip_takes_wheel { &wheel } else { &sdist };
        assert!(
            pins(home.path(), &out).contains(expected.as_str()),
            "{options:?}: pip takes the wheel: {pip_takes_wheel}\n{}",
            pins(home.path(), &out)
        );
    }
}

#[test]
fn no_index_uses_find_links_only() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    let (filename, bytes, _) =
        support::index::build_wheel(&WheelSpec::new("local", "1.0", "py3-none-any"));
    write_files(home.path(), &[("wheels/.keep", "")]);
    std::fs::write(home.path().join("wheels").join(&filename), bytes).unwrap();

    let args = ["local", "--no-index", "-f", "wheels", "--out", "wh"];
    ok(&wheelhouse(home.path(), &index.url(), &args));
    assert!(home.path().join("wh").join(&filename).is_file());
    assert!(index.requests().is_empty(), "the index was asked");

    // The same from a requirements file.
    write_files(
        home.path(),
        &[("reqs.txt", "--no-index\n--find-links wheels\nlocal\n")],
    );
    ok(&wheelhouse(
        home.path(),
        &index.url(),
        &["-r", "reqs.txt", "--out", "wh2"],
    ));
    assert!(index.requests().is_empty(), "the index was asked");

    // And from PIP_NO_INDEX, as pip reads it.
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", index.url())
        .env("PIP_NO_INDEX", "yes")
        .args(["wheelhouse", "local", "-f", "wheels", "--out", "wh3"])
        .args(["--python", "3.12", "--platform", "linux-x86_64"])
        .output()
        .unwrap();
    ok(&output);
    assert!(index.requests().is_empty(), "the index was asked");

    // Without find-links nothing can be found, and the message says where it looked.
    let output = wheelhouse(
        home.path(),
        &index.url(),
        &["local", "--no-index", "--out", "wh4"],
    );
    assert!(!output.status.success());
    assert!(stderr(&output).contains("local"), "{}", stderr(&output));
}

#[test]
fn one_index_spelled_three_ways_is_one_index() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    let url = index.url();
    let slash = format!("{url}/");
    write_files(
        home.path(),
        &[("reqs.txt", &format!("--extra-index-url {slash}\nlib\n"))],
    );
    let args = [
        "-r",
        "reqs.txt",
        "-i",
        &slash,
        "--extra-index-url",
        &url,
        "--out",
        "wh",
    ];
    ok(&wheelhouse(home.path(), &url, &args));
    let pages = index
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/simple/lib"))
        .count();
    assert_eq!(pages, 1, "{:?}", index.requests());
}

/// Plain HTTP to a host that is not loopback is refused unless trusted, as
/// pip refuses it. `0.0.0.0` reaches the local server on Linux without
/// being a loopback address, so the test stays on this machine.
#[cfg(target_os = "linux")]
#[test]
fn plain_http_needs_trusted_host_as_in_pip() {
    let home = tempfile::tempdir().unwrap();
    let index = TestIndex::start(PageFormat::Json, true);
    let lib = index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    let port = index
        .url()
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let url = format!("http://0.0.0.0:{port}/simple");

    let output = wheelhouse(home.path(), &url, &["lib", "--out", "wh"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("--trusted-host 0.0.0.0"),
        "{}",
        stderr(&output)
    );
    ok(&wheelhouse(
        home.path(),
        &url,
        &["lib", "--trusted-host", "0.0.0.0", "--out", "wh"],
    ));
    assert!(home.path().join("wh").join(&lib.filename).is_file());
    // From pip.conf too.
    write_files(
        home.path(),
        &[(
            "pip.conf",
            &format!("[global]\ntrusted-host = 0.0.0.0:{port}\n"),
        )],
    );
    let output = chiron(home.path())
        .current_dir(home.path())
        .env("PIP_INDEX_URL", &url)
        .env("PIP_CONFIG_FILE", home.path().join("pip.conf"))
        .args(["wheelhouse", "lib", "--out", "wh2"])
        .args(["--python", "3.12", "--platform", "linux-x86_64"])
        .output()
        .unwrap();
    ok(&output);

    // pip decides the same: refused without the option, taken with it.
    let pip = oracle_tool("CHIRON_TEST_PIP", "pip");
    let pip_download = |trusted: bool| {
        let mut command = Command::new(&pip);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path())
            .env("PIP_CONFIG_FILE", "/dev/null")
            .args([
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-i",
                &url,
                "-d",
            ])
            .arg(home.path().join("pip-dl"))
            .arg("lib");
        if trusted {
            command.args(["--trusted-host", "0.0.0.0"]);
        }
        command.output().unwrap()
    };
    let refused = pip_download(false);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("not a trusted or secure host")
            || stderr(&refused).contains("not a trusted or secure host"),
        "{refused:?}"
    );
    ok(&pip_download(true));
    assert!(home.path().join("pip-dl").join(&lib.filename).is_file());
}
