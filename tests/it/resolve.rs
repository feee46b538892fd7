//! The resolver on a local index: one resolution per target.

use std::str::FromStr;
use std::sync::Arc;

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use chiron::index::client::{ClientSettings, IndexClient};
use chiron::python::target::{Floors, Platform, Target};
use chiron::python::version::PythonVersion;
use chiron::resolve::{PackageSource, Resolution, ResolveError, ResolveOptions, resolve_target};
use pep508_rs::Requirement;

fn target(python: &str, platform: &str) -> Target {
    Target::new(
        PythonVersion::from_str(python).unwrap(),
        Platform::from_str(platform).unwrap(),
        Floors::default(),
    )
    .unwrap()
}

struct Fixture {
    index: TestIndex,
    source: Arc<PackageSource>,
    _cache: tempfile::TempDir,
}

fn fixture(pep658: bool, fill: impl FnOnce(&TestIndex)) -> Fixture {
    fixture_with(pep658, fill, |_| {})
}

fn fixture_with(
    pep658: bool,
    fill: impl FnOnce(&TestIndex),
    tweak: impl FnOnce(&TestIndex),
) -> Fixture {
    let index = TestIndex::start(PageFormat::Json, pep658);
    fill(&index);
    tweak(&index);
    let cache = tempfile::tempdir().unwrap();
    let mut settings = ClientSettings::new(vec![index.url()], cache.path().join("cache"));
    settings.netrc = None;
    let client = Arc::new(IndexClient::new(settings).unwrap());
    let source = Arc::new(PackageSource::new(client, cache.path().join("scratch")));
    Fixture {
        index,
        source,
        _cache: cache,
    }
}

async fn resolve(
    fixture: &Fixture,
    target: Target,
    requirements: &[&str],
    constraints: &[&str],
    options: ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let requirements: Vec<Requirement> = requirements.iter().map(|r| r.parse().unwrap()).collect();
    let constraints: Vec<Requirement> = constraints.iter().map(|r| r.parse().unwrap()).collect();
    let source = Arc::clone(&fixture.source);
    tokio::task::spawn_blocking(move || {
        resolve_target(&source, &target, &requirements, &constraints, &options)
    })
    .await
    .unwrap()
}

fn pinned(resolution: &Resolution) -> Vec<String> {
    resolution
        .pins
        .values()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect()
}

fn graph(index: &TestIndex) {
    index.add(&WheelSpec {
        requires_dist: &[
            "lib>=1",
            "tomli>=1; python_version < '3.11'",
            "pywin32; sys_platform == 'win32'",
            "click; extra == 'cli'",
        ],
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "1.0", "py3-none-any"));
    index.add(&WheelSpec {
        requires_dist: &["helper"],
        requires_python: Some(">=3.12"),
        ..WheelSpec::new("lib", "2.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        yanked: Some("broken"),
        ..WheelSpec::new("lib", "2.1", "py3-none-any")
    });
    index.add(&WheelSpec::new("lib", "3.0b1", "py3-none-any"));
    index.add(&WheelSpec::new("helper", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("tomli", "2.0", "py3-none-any"));
    index.add(&WheelSpec::new("pywin32", "306", "cp312-cp312-win_amd64"));
    index.add(&WheelSpec::new("pywin32", "306", "cp310-cp310-win_amd64"));
    index.add(&WheelSpec::new("click", "8.1", "py3-none-any"));
}

#[tokio::test(flavor = "multi_thread")]
async fn transitive_dependencies_markers_and_requires_python_per_target() {
    let fixture = fixture(true, graph);
    let linux312 = resolve(
        &fixture,
        target("3.12", "linux-x86_64"),
        &["app"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(pinned(&linux312), ["app==1.0", "helper==1.0", "lib==2.0"]);
    assert_eq!(
        linux312.pins[&"helper".parse().unwrap()]
            .required_by
            .iter()
            .collect::<Vec<_>>(),
        ["lib"]
    );
    assert_eq!(
        linux312.pins[&"app".parse().unwrap()]
            .required_by
            .iter()
            .collect::<Vec<_>>(),
        ["direct"]
    );

    // Python 3.10: lib 2.0 needs 3.12, and tomli is needed below 3.11.
    let linux310 = resolve(
        &fixture,
        target("3.10", "linux-x86_64"),
        &["app"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(pinned(&linux310), ["app==1.0", "lib==1.0", "tomli==2.0"]);

    // Windows: pywin32, with the wheel for this Python.
    let windows = resolve(
        &fixture,
        target("3.12", "windows-x86_64"),
        &["app"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        pinned(&windows),
        ["app==1.0", "helper==1.0", "lib==2.0", "pywin32==306"]
    );
    assert_eq!(
        windows.pins[&"pywin32".parse().unwrap()].filename,
        "pywin32-306-cp312-cp312-win_amd64.whl"
    );
    // Metadata came from PEP 658 files: no wheel was downloaded to resolve.
    assert_eq!(fixture.index.downloads("app-1.0-py3-none-any.whl"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn extras_yanked_prereleases_and_constraints() {
    let fixture = fixture(false, graph);
    let t = || target("3.12", "linux-x86_64");
    let with_cli = resolve(&fixture, t(), &["app[cli]"], &[], ResolveOptions::default())
        .await
        .unwrap();
    assert_eq!(
        pinned(&with_cli),
        ["app==1.0", "click==8.1", "helper==1.0", "lib==2.0"]
    );
    assert_eq!(
        with_cli.pins[&"app".parse().unwrap()]
            .extras
            .iter()
            .collect::<Vec<_>>(),
        ["cli"]
    );
    assert!(
        with_cli.pins[&"click".parse().unwrap()]
            .required_by
            .contains("app")
    );

    let yanked = resolve(&fixture, t(), &["lib==2.1"], &[], ResolveOptions::default())
        .await
        .unwrap();
    assert_eq!(pinned(&yanked), ["lib==2.1"]);

    let pre = resolve(
        &fixture,
        t(),
        &["lib"],
        &[],
        ResolveOptions {
            allow_prereleases: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(pinned(&pre), ["lib==3.0b1"]);
    let pre = resolve(
        &fixture,
        t(),
        &["lib>=3.0b1"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(pinned(&pre), ["lib==3.0b1"]);

    let constrained = resolve(
        &fixture,
        t(),
        &["app"],
        &["lib<2"],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(pinned(&constrained), ["app==1.0", "lib==1.0"]);
    // Without metadata files the wheels themselves were read.
    assert_eq!(fixture.index.downloads("app-1.0-py3-none-any.whl"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_is_explained_in_words_naming_the_target() {
    let fixture = fixture(true, |index| {
        index.add(&WheelSpec {
            requires_dist: &["common<2"],
            ..WheelSpec::new("left", "1.0", "py3-none-any")
        });
        index.add(&WheelSpec {
            requires_dist: &["common>=2"],
            ..WheelSpec::new("right", "1.0", "py3-none-any")
        });
        index.add(&WheelSpec::new("common", "1.0", "py3-none-any"));
        index.add(&WheelSpec::new("common", "2.0", "py3-none-any"));
    });
    let error = resolve(
        &fixture,
        target("3.12", "linux-x86_64"),
        &["left", "right"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("target 3.12-linux-x86_64"), "{text}");
    for name in ["left", "right", "common"] {
        assert!(text.contains(name), "{name} missing from: {text}");
    }
    assert!(text.contains("depends on"), "{text}");
    assert!(error.hint().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_without_a_wheel_for_the_target_is_named() {
    let fixture = fixture(true, |index| {
        index.add(&WheelSpec {
            requires_dist: &["native"],
            ..WheelSpec::new("app", "1.0", "py3-none-any")
        });
        index.add(&WheelSpec::new(
            "native",
            "1.0",
            "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        ));
    });
    assert!(
        resolve(
            &fixture,
            target("3.12", "linux-x86_64"),
            &["app"],
            &[],
            ResolveOptions::default()
        )
        .await
        .is_ok()
    );
    let error = resolve(
        &fixture,
        target("3.12", "macos-arm64"),
        &["app"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("3.12-macos-arm64"), "{error}");
    assert!(error.contains("native"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_wheel_deep_in_the_graph_is_explained() {
    let fixture = fixture(true, |index| {
        index.add(&WheelSpec {
            requires_dist: &["native"],
            ..WheelSpec::new("right", "1.0", "py3-none-any")
        });
        index.add(&WheelSpec::new(
            "native",
            "1.0",
            "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        ));
    });
    let error = resolve(
        &fixture,
        target("3.12", "macos-arm64"),
        &["right"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("the requirements require right"), "{error}");
    assert!(error.contains("right depends on native"), "{error}");
    assert!(
        error.contains("native: version 1.0 has no wheel for cp312 on macosx_11_0_arm64"),
        "{error}"
    );
    assert!(
        error.contains("it has wheels for manylinux2014_x86_64"),
        "{error}"
    );
}

fn backtracking(index: &TestIndex) {
    index.add(&WheelSpec {
        requires_dist: &["c==1"],
        ..WheelSpec::new("a", "2.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("a", "1.0", "py3-none-any"));
    index.add(&WheelSpec {
        requires_dist: &["c==2"],
        ..WheelSpec::new("b", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec::new("c", "1.0", "py3-none-any"));
    index.add(&WheelSpec::new("c", "2.0", "py3-none-any"));
}

#[tokio::test(flavor = "multi_thread")]
async fn candidates_considered_while_backtracking_are_read_by_range() {
    let fixture = fixture(false, backtracking);
    let resolution = resolve(
        &fixture,
        target("3.12", "linux-x86_64"),
        &["a", "b"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(pinned(&resolution), ["a==1.0", "b==1.0", "c==2.0"]);
    // a 1.0 was only considered: its METADATA came by range requests.
    assert!(fixture.index.ranged("a-1.0-py3-none-any.whl") > 0);
    assert_eq!(fixture.index.downloads("a-1.0-py3-none-any.whl"), 0);
    // The newest candidates were downloaded whole (they are usually installed).
    assert_eq!(fixture.index.downloads("b-1.0-py3-none-any.whl"), 1);

    // A server that ignores ranges: the wheel is downloaded instead, and the
    // server is not asked for ranges again.
    let fixture = fixture_with(false, backtracking, |index| index.ignore_ranges());
    let resolution = resolve(
        &fixture,
        target("3.12", "linux-x86_64"),
        &["a", "b"],
        &[],
        ResolveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(pinned(&resolution), ["a==1.0", "b==1.0", "c==2.0"]);
    let tried = fixture
        .index
        .requests()
        .iter()
        .filter(|r| r.header("range").is_some())
        .count();
    assert_eq!(
        tried, 1,
        "one ignored range request is enough to stop asking"
    );
    assert!(fixture.index.downloads("a-1.0-py3-none-any.whl") >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn preferred_versions_are_kept_per_target_while_they_fit() {
    let fixture = fixture(true, graph);
    let t = || target("3.12", "linux-x86_64");
    let prefer = |pins: &[(&str, &str)]| {
        let pins = pins
            .iter()
            .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
            .collect();
        ResolveOptions {
            preferences: [("3.12-linux-x86_64".to_string(), pins)].into(),
            ..Default::default()
        }
    };
    let kept = resolve(&fixture, t(), &["app"], &[], prefer(&[("lib", "1.0")]))
        .await
        .unwrap();
    assert_eq!(pinned(&kept), ["app==1.0", "lib==1.0"]);
    // Preferences of another target change nothing here.
    let elsewhere = ResolveOptions {
        preferences: [(
            "3.11-linux-x86_64".to_string(),
            [("lib".parse().unwrap(), "1.0".parse().unwrap())].into(),
        )]
        .into(),
        ..Default::default()
    };
    let newest = resolve(&fixture, t(), &["app"], &[], elsewhere)
        .await
        .unwrap();
    assert_eq!(pinned(&newest), ["app==1.0", "helper==1.0", "lib==2.0"]);
    // Out of range, not a candidate (yanked), a pre-release: the usual choice.
    for (requirement, version) in [("lib>=2", "1.0"), ("lib", "2.1"), ("lib", "3.0b1")] {
        let moved = resolve(
            &fixture,
            t(),
            &[requirement],
            &[],
            prefer(&[("lib", version)]),
        )
        .await
        .unwrap();
        assert_eq!(
            pinned(&moved),
            ["helper==1.0", "lib==2.0"],
            "{requirement} preferring {version}"
        );
    }
}
