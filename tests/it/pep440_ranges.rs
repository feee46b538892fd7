//! The resolver's version ranges against `packaging`, the library pip uses
//! to match versions: every specifier of a grid against every version of a
//! grid (locals, pre, post and dev releases, epochs, trailing zeros) must
//! be admitted or refused exactly as `SpecifierSet.contains(v,
//! prereleases=True)` decides. Pre-release policy is the resolver's
//! business and is tested elsewhere; membership is tested here.

use std::io::Write;

use chiron::python::ranges::specifiers_range;
use pep440_rs::{Version, VersionSpecifiers};

const VERSIONS: &[&str] = &[
    "0.9",
    "1.0.dev0",
    "1.0a1",
    "1.0a1+x",
    "1.0rc1",
    "1.0",
    "1.0+cpu",
    "1.0+cu121.7",
    "1.0.0",
    "1.0.0+a",
    "1.0.post0.dev0",
    "1.0.post1",
    "1.0.post1+x",
    "1.0.1",
    "1.0.1+cpu",
    "1.1.dev1",
    "1.1",
    "1.2.3",
    "1.2.3+cpu",
    "1.2.3.post2",
    "2.0",
    "2.0+local",
    "1!0.5",
    "1!1.0+x",
];

const SPECIFIERS: &[&str] = &[
    "==1.0",
    "==1.0+cpu",
    "!=1.0",
    "<=1.0",
    "<1.0",
    ">1.0",
    ">=1.0",
    "~=1.0",
    "~=1.0.0",
    "==1.0.*",
    "!=1.0.*",
    "==1.0.post1",
    "<=1.0.post1",
    ">1.0.post1",
    "==1.0a1",
    "<1.0rc1",
    ">=1.0a1",
    "==1.1.dev1",
    "<=1.2.3",
    ">1.2.3",
    "==1!1.0",
    "<2.0",
    ">=1.0,<=1.0.1",
    "!=1.0.1,>=1.0",
    "==1.0.0",
];

fn python() -> String {
    let tools = std::env::var("CHIRON_TEST_TOOLS_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/chiron-ci/tools/bin/python")
    });
    assert!(
        std::path::Path::new(&tools).exists(),
        "{tools} is missing: run `bash .ci/test`, which installs the pinned tools"
    );
    tools
}

#[test]
fn ranges_match_packaging_on_every_specifier_and_version() {
    // Ask packaging once for the whole grid.
    let script = r#"
import json, sys
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.version import Version
grid = json.load(sys.stdin)
print(json.dumps([[SpecifierSet(s).contains(Version(v), prereleases=True) for v in grid["versions"]] for s in grid["specifiers"]]))
"#;
    let mut child = std::process::Command::new(python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let grid = serde_json::json!({"versions": VERSIONS, "specifiers": SPECIFIERS});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(grid.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Vec<bool>> = serde_json::from_slice(&output.stdout).unwrap();

    let mut disagreements = Vec::new();
    for (specifier, row) in SPECIFIERS.iter().zip(&answers) {
        let range = specifiers_range(&specifier.parse::<VersionSpecifiers>().unwrap());
        for (version, packaging_says) in VERSIONS.iter().zip(row) {
            let ours = range.contains(&version.parse::<Version>().unwrap());
            if ours != *packaging_says {
                disagreements.push(format!(
                    "{specifier} {version}: packaging {packaging_says}, chiron {ours}"
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert_eq!(
        answers.len() * VERSIONS.len(),
        SPECIFIERS.len() * VERSIONS.len()
    );
}
