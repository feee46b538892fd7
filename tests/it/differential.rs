//! Differential conformance: for every scenario, every index flavour and
//! every target, the pins chiron writes (`requirements-<target>.txt` of
//! `chiron wheelhouse`) must be the set `uv pip compile` picks for the same
//! Python version and platform on the same local index; where uv finds no
//! solution, chiron must fail too (a gap, not a wrong pin).
//!
//! Each `#[test]` is one scenario group: its wheels are served in all four
//! flavours of `support::index::Flavour`, and each of its cases is resolved
//! by chiron (one run for the whole target matrix, one run per target when
//! that fails) and by uv (one run per target), all in parallel threads.
//! Every disagreement is collected and printed, then the test fails.
//!
//! Where uv deliberately differs from pip, chiron follows pip and the case
//! names the package in `pip_decides`, compared with `pip install --dry-run`
//! instead: an upper bound in Requires-Python (uv ignores it), a plain
//! `linux_x86_64` wheel on a manylinux or musllinux target (uv takes it, as
//! the Linux host it runs on would), and a final release above a specifier
//! that names a pre-release (`>=2.0b1`: uv prefers the final release).

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::support::chiron;
use crate::support::index::{Flavour, FlavouredSource, WheelSpec};

/// One environment, named the way each tool names it.
struct Target {
    python: &'static str,
    /// `--platform` for chiron: a name (which takes chiron's default floors:
    /// glibc 2.17, musl 1.2, macOS 11.0) or a raw wheel platform tag.
    chiron: &'static str,
    /// `--python-platform` for uv.
    uv: &'static str,
    /// uv's macOS floor is 13.0 unless `MACOSX_DEPLOYMENT_TARGET` says
    /// otherwise; set where chiron's floor differs.
    macos_deployment_target: Option<&'static str>,
    /// `--platform` values for pip, the referee where uv deliberately
    /// differs (pip expands manylinux2014 and macOS tags to older ones
    /// itself, but not `manylinux_2_X`).
    pip: &'static [&'static str],
}

impl Target {
    fn label(&self) -> String {
        format!("{} {}", self.python, self.uv)
    }

    /// The file chiron writes for this target.
    fn requirements_file(&self) -> String {
        format!("requirements-{}-{}.txt", self.python, self.chiron)
    }

    fn is_windows(&self) -> bool {
        self.uv.contains("windows")
    }
}

/// The floors of each pair are the same environment for both tools:
/// `x86_64-manylinux_2_17` is chiron's default glibc floor, uv's
/// `aarch64-manylinux_2_28` is chiron's raw tag `manylinux_2_28_aarch64`,
/// uv's musl target is musllinux 1.2 like chiron's default, uv's macOS
/// default of 13.0 is the raw tag `macosx_13_0_arm64`, and chiron's macOS
/// default of 11.0 is uv with `MACOSX_DEPLOYMENT_TARGET=11.0`. The
/// `platform_floors` test checks these equalities wheel by wheel.
const TARGETS: &[Target] = &[
    Target {
        python: "3.9",
        chiron: "linux-x86_64",
        pip: &["manylinux_2_17_x86_64", "manylinux2014_x86_64"],
        uv: "x86_64-manylinux_2_17",
        macos_deployment_target: None,
    },
    Target {
        python: "3.13",
        chiron: "linux-x86_64",
        pip: &["manylinux_2_17_x86_64", "manylinux2014_x86_64"],
        uv: "x86_64-manylinux_2_17",
        macos_deployment_target: None,
    },
    Target {
        python: "3.12",
        chiron: "manylinux_2_28_aarch64",
        pip: &[
            "manylinux_2_28_aarch64",
            "manylinux_2_17_aarch64",
            "manylinux2014_aarch64",
        ],
        uv: "aarch64-manylinux_2_28",
        macos_deployment_target: None,
    },
    Target {
        python: "3.11",
        chiron: "musllinux-x86_64",
        pip: &["musllinux_1_2_x86_64", "musllinux_1_1_x86_64"],
        uv: "x86_64-unknown-linux-musl",
        macos_deployment_target: None,
    },
    Target {
        python: "3.12",
        chiron: "macosx_13_0_arm64",
        pip: &["macosx_13_0_arm64"],
        uv: "aarch64-apple-darwin",
        macos_deployment_target: None,
    },
    Target {
        python: "3.10",
        chiron: "macos-x86_64",
        pip: &["macosx_11_0_x86_64"],
        uv: "x86_64-apple-darwin",
        macos_deployment_target: Some("11.0"),
    },
    Target {
        python: "3.9",
        chiron: "windows-x86_64",
        pip: &["win_amd64"],
        uv: "x86_64-pc-windows-msvc",
        macos_deployment_target: None,
    },
    Target {
        python: "3.13",
        chiron: "windows-x86_64",
        pip: &["win_amd64"],
        uv: "x86_64-pc-windows-msvc",
        macos_deployment_target: None,
    },
];

/// One resolution request of a scenario.
struct Case {
    label: &'static str,
    requirements: &'static [&'static str],
    constraints: &'static [&'static str],
    /// chiron `--pre`, uv `--prerelease allow`.
    pre: bool,
    /// Targets where no resolution exists, with the package chiron's error
    /// must name there. uv must fail there (and succeed everywhere else), so
    /// that two tools failing alike for a broken scenario never counts as
    /// agreement.
    gap: fn(&Target) -> Option<&'static str>,
    /// Packages (with the reason) where uv deliberately differs from pip
    /// and chiron follows pip: their pins are compared with
    /// `pip install --dry-run --report` for the target's Python version and
    /// platform tags instead of uv. They must be plain requirements of the
    /// case without dependencies or markers: pip evaluates markers on this
    /// machine, not on the target.
    pip_decides: &'static [(&'static str, &'static str)],
    /// Pins the scenario is built to produce on a target (`name==version`),
    /// checked in uv's answer: a scenario whose point is lost (both tools
    /// taking the same unintended path) fails instead of passing.
    expect: fn(&Target) -> Vec<&'static str>,
}

fn nothing_expected(_: &Target) -> Vec<&'static str> {
    Vec::new()
}

fn nowhere(_: &Target) -> Option<&'static str> {
    None
}

impl Case {
    const fn new(label: &'static str, requirements: &'static [&'static str]) -> Self {
        Self {
            label,
            requirements,
            constraints: &[],
            pre: false,
            gap: nowhere,
            pip_decides: &[],
            expect: nothing_expected,
        }
    }
}

/// What a tool made of one target: the pins (`name==version`, names and
/// versions normalised), or the reason it found none.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pins(BTreeSet<String>),
    Failed(String),
}

fn pin(name: &str, version: &str) -> String {
    let name = pep508_rs::PackageName::new(name.trim().to_string())
        .unwrap_or_else(|e| panic!("`{name}` is not a package name: {e}"));
    let version: pep440_rs::Version = version
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("`{version}` is not a version: {e}"));
    format!("{name}=={version}")
}

/// `name==version` of every requirement line of a pinned requirements file
/// (chiron's with hashes and extras, or uv's plain one).
fn read_pins(text: &str) -> BTreeSet<String> {
    let mut pins = BTreeSet::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with([' ', '#', '-', '\t']) {
            continue;
        }
        let requirement = line.split([' ', ';', '\\']).next().unwrap_or_default();
        let (name, version) = requirement
            .split_once("==")
            .unwrap_or_else(|| panic!("not a pinned requirement: `{line}`"));
        let name = name.split('[').next().unwrap_or_default();
        pins.insert(pin(name, version));
    }
    pins
}

/// Work for [`run_parallel`].
type Job<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// Runs `jobs` on a few threads (the machine is shared: a handful of
/// processes at a time is what keeps the suite to seconds).
fn run_parallel<T: Send>(jobs: Vec<Job<'_, T>>) -> Vec<T> {
    const WIDTH: usize = 6;
    let jobs: Vec<Mutex<Option<Job<'_, T>>>> =
        jobs.into_iter().map(|job| Mutex::new(Some(job))).collect();
    let results: Vec<Mutex<Option<T>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WIDTH.min(jobs.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(slot) = jobs.get(i) else { break };
                    let job = slot.lock().unwrap().take().expect("each job runs once");
                    let result = job();
                    *results[i].lock().unwrap() = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap().expect("every job ran"))
        .collect()
}

/// Where one case's inputs are written, per flavour.
struct Inputs {
    requirements: PathBuf,
    constraints: Option<PathBuf>,
}

fn write_inputs(dir: &Path, case: &Case, tool: &str) -> Inputs {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::new();
    for requirement in case.requirements {
        text.push_str(requirement);
        text.push('\n');
    }
    let requirements = dir.join(format!("{tool}-requirements.in"));
    std::fs::write(&requirements, text).unwrap();
    let constraints = (!case.constraints.is_empty()).then(|| {
        let path = dir.join(format!("{tool}-constraints.txt"));
        std::fs::write(&path, case.constraints.join("\n") + "\n").unwrap();
        path
    });
    Inputs {
        requirements,
        constraints,
    }
}

fn source_args(source: &FlavouredSource) -> Vec<String> {
    match (source.index_url(), source.folder()) {
        (Some(url), _) => vec!["--index-url".into(), url],
        (None, Some(dir)) => vec!["--find-links".into(), dir.display().to_string()],
        (None, None) => unreachable!("a source is an index or a folder"),
    }
}

/// uv with an interpreter and a cache shared by every run of this test
/// process: uv inspects the interpreter once (seconds on this machine)
/// instead of once per run. Each index listens on its own port and each
/// folder has its own path, so nothing cached for one scenario answers
/// another.
struct Uv {
    program: PathBuf,
    python: PathBuf,
    cache: PathBuf,
}

fn uv() -> &'static Uv {
    static UV: OnceLock<(tempfile::TempDir, Uv)> = OnceLock::new();
    let (_, uv) = UV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let uv = Uv {
            program: support::oracle_tool("CHIRON_TEST_UV", "uv"),
            python: support::oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python"),
            cache: dir.path().join("uv-cache"),
        };
        let found = Command::new(&uv.program)
            .env("UV_PYTHON_DOWNLOADS", "never")
            .args(["python", "find", "--no-config"])
            .arg(&uv.python)
            .arg("--cache-dir")
            .arg(&uv.cache)
            .output()
            .expect("uv runs");
        assert!(
            found.status.success(),
            "uv cannot use {}: {}",
            uv.python.display(),
            String::from_utf8_lossy(&found.stderr)
        );
        (dir, uv)
    });
    uv
}

fn uv_resolve(work: &Path, case: &Case, source: &FlavouredSource, target: &Target) -> Outcome {
    let uv = uv();
    let inputs = write_inputs(work, case, "uv");
    let mut command = Command::new(&uv.program);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("UV_") || key.starts_with("PIP_") || key == "MACOSX_DEPLOYMENT_TARGET" {
            command.env_remove(&key);
        }
    }
    command
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .args([
            "pip",
            "compile",
            "--quiet",
            "--no-progress",
            "--color",
            "never",
        ])
        .args(["--no-config", "--no-header", "--no-annotate"])
        .args(["--only-binary", ":all:"])
        .args(["--python-version", target.python])
        .args(["--python-platform", target.uv])
        .arg("--python")
        .arg(&uv.python)
        .arg("--cache-dir")
        .arg(&uv.cache)
        .arg(&inputs.requirements);
    if let Some(floor) = target.macos_deployment_target {
        command.env("MACOSX_DEPLOYMENT_TARGET", floor);
    }
    if source.folder().is_some() {
        command.arg("--no-index");
    }
    command.args(source_args(source));
    if let Some(constraints) = &inputs.constraints {
        command.arg("-c").arg(constraints);
    }
    if case.pre {
        command.args(["--prerelease", "allow"]);
    }
    let output = command.output().expect("uv runs");
    if output.status.success() {
        Outcome::Pins(read_pins(&String::from_utf8_lossy(&output.stdout)))
    } else {
        Outcome::Failed(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The name a requirement line of a case names.
fn requirement_name(line: &str) -> String {
    let requirement: pep508_rs::Requirement = line
        .parse()
        .unwrap_or_else(|e| panic!("`{line}` is not a requirement: {e}"));
    requirement.name.to_string()
}

/// pip's pins for the `pip_decides` packages of a case on one target.
fn pip_resolve(work: &Path, case: &Case, source: &FlavouredSource, target: &Target) -> Outcome {
    let decided: BTreeSet<String> = case
        .pip_decides
        .iter()
        .map(|(name, _)| requirement_name(name))
        .collect();
    let requirements: Vec<&str> = case
        .requirements
        .iter()
        .copied()
        .filter(|line| decided.contains(&requirement_name(line)))
        .collect();
    assert_eq!(
        requirements.len(),
        decided.len(),
        "every pip_decides package of {} is one of its requirements",
        case.label
    );
    std::fs::create_dir_all(work).unwrap();
    let mut command = Command::new(support::oracle_tool("CHIRON_TEST_PIP", "pip"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("PIP_") {
            command.env_remove(&key);
        }
    }
    command
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .args([
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--no-cache-dir",
        ])
        .args(["--report", "-", "--only-binary", ":all:"])
        .args(["--python-version", target.python])
        .arg("--target")
        .arg(work.join("pip-target"));
    for platform in target.pip {
        command.args(["--platform", platform]);
    }
    if source.folder().is_some() {
        command.arg("--no-index");
    }
    command.args(source_args(source)).args(&requirements);
    let output = command.output().expect("pip runs");
    if !output.status.success() {
        return Outcome::Failed(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("pip's report is JSON: {e}"));
    let pins = report["install"]
        .as_array()
        .expect("pip's report lists what it would install")
        .iter()
        .map(|item| {
            let metadata = &item["metadata"];
            pin(
                metadata["name"].as_str().unwrap_or_default(),
                metadata["version"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    Outcome::Pins(pins)
}

/// The pins of `outcome` whose package is (`keep`) or is not in `names`.
fn restrict(outcome: &Outcome, names: &BTreeSet<String>, keep: bool) -> Outcome {
    match outcome {
        Outcome::Pins(pins) => Outcome::Pins(
            pins.iter()
                .filter(|p| names.contains(p.split("==").next().unwrap_or_default()) == keep)
                .cloned()
                .collect(),
        ),
        failed => failed.clone(),
    }
}

/// chiron for `targets` (the matrix of their Pythons and platforms, a
/// superset); the outcome of each of `targets`, or the run's error.
fn chiron_run(
    home: &Path,
    case: &Case,
    source: &FlavouredSource,
    targets: &[&Target],
) -> Result<Vec<Outcome>, String> {
    let inputs = write_inputs(home, case, "chiron");
    let pythons: BTreeSet<&str> = targets.iter().map(|t| t.python).collect();
    let platforms: BTreeSet<&str> = targets.iter().map(|t| t.chiron).collect();
    let out = home.join("wheelhouse");
    let mut command = chiron(home);
    command
        .current_dir(home)
        .args(["wheelhouse", "--no-gate", "--no-progress", "--quiet"])
        .arg("-r")
        .arg(&inputs.requirements)
        .args([
            "--python",
            &pythons.into_iter().collect::<Vec<_>>().join(","),
        ])
        .args([
            "--platform",
            &platforms.into_iter().collect::<Vec<_>>().join(","),
        ])
        .arg("--out")
        .arg(&out);
    if source.index_url().is_some() {
        command.args(source_args(source));
    } else if let Some(dir) = source.folder() {
        command.arg("--no-index").arg("--find-links").arg(dir);
    }
    if let Some(constraints) = &inputs.constraints {
        command.arg("-c").arg(constraints);
    }
    if case.pre {
        command.arg("--pre");
    }
    let output = command.output().expect("chiron runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "chiron panicked on case {}:\n{stderr}",
        case.label
    );
    if !output.status.success() {
        return Err(stderr);
    }
    Ok(targets
        .iter()
        .map(|t| {
            let path = out.join(t.requirements_file());
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("chiron wrote no {}: {e}", path.display()));
            Outcome::Pins(read_pins(&text))
        })
        .collect())
}

/// chiron's outcome for `targets` (one Python version, a few platforms):
/// one run for all of them; when it fails, one run per target to learn
/// which ones have no resolution. Runs stay small on purpose: one process
/// resolving dozens of targets waits far longer on a busy machine than a
/// few processes resolving two each.
fn chiron_resolve(
    home: &Path,
    case: &Case,
    source: &FlavouredSource,
    targets: &[&Target],
) -> Vec<Outcome> {
    if let Ok(outcomes) = chiron_run(&home.join("all"), case, source, targets) {
        return outcomes;
    }
    targets
        .iter()
        .enumerate()
        .map(
            |(i, target)| match chiron_run(&home.join(format!("t{i}")), case, source, &[target]) {
                Ok(mut outcomes) => outcomes.remove(0),
                Err(stderr) => Outcome::Failed(stderr),
            },
        )
        .collect()
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pins(pins) => pins.iter().cloned().collect::<Vec<_>>().join(" "),
        Outcome::Failed(stderr) => {
            let lines: Vec<&str> = stderr.lines().take(12).collect();
            format!("no resolution:\n        {}", lines.join("\n        "))
        }
    }
}

fn difference(chiron: &Outcome, uv: &Outcome) -> Option<String> {
    match (chiron, uv) {
        (Outcome::Pins(c), Outcome::Pins(u)) if c == u => None,
        (Outcome::Failed(_), Outcome::Failed(_)) => None,
        (Outcome::Pins(c), Outcome::Pins(u)) => Some(format!(
            "    only chiron: {}\n    only uv:     {}",
            c.difference(u).cloned().collect::<Vec<_>>().join(" "),
            u.difference(c).cloned().collect::<Vec<_>>().join(" ")
        )),
        _ => Some(format!(
            "    chiron: {}\n    uv:     {}",
            describe(chiron),
            describe(uv)
        )),
    }
}

/// `TARGETS` split into groups that are each a full matrix of their
/// Pythons and platforms, since that is what one chiron run resolves: by
/// Python version, then Pythons with the same platforms together.
fn chiron_groups() -> Vec<Vec<usize>> {
    let mut by_python: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for target in TARGETS {
        by_python
            .entry(target.python)
            .or_default()
            .insert(target.chiron);
    }
    let mut by_platforms: BTreeMap<BTreeSet<&str>, BTreeSet<&str>> = BTreeMap::new();
    for (python, platforms) in by_python {
        by_platforms.entry(platforms).or_default().insert(python);
    }
    by_platforms
        .values()
        .map(|pythons| {
            (0..TARGETS.len())
                .filter(|&t| pythons.contains(TARGETS[t].python))
                .collect()
        })
        .collect()
}

/// Serves `wheels` in every flavour, resolves every case with both tools
/// for every target, and fails with every disagreement.
fn check(scenario: &str, wheels: &[WheelSpec], cases: &[Case]) {
    let temp = tempfile::tempdir().unwrap();
    let sources: Vec<(Flavour, FlavouredSource)> = Flavour::ALL
        .iter()
        .map(|&flavour| {
            let source =
                FlavouredSource::start(flavour, &temp.path().join(flavour.name()).join("wheels"));
            for wheel in wheels {
                source.add(wheel);
            }
            (flavour, source)
        })
        .collect();

    // Each job is one tool for (case, flavour, target indexes).
    enum Done {
        Chiron(usize, usize, Vec<usize>, Vec<Outcome>),
        Uv(usize, usize, usize, Outcome),
        Pip(usize, usize, usize, Outcome),
    }
    let groups = chiron_groups();
    let mut jobs: Vec<Job<'_, Done>> = Vec::new();
    for (c, case) in cases.iter().enumerate() {
        for (f, (flavour, source)) in sources.iter().enumerate() {
            let work = temp.path().join(flavour.name()).join(format!("case{c}"));
            for (g, indexes) in groups.iter().enumerate() {
                let home = work.join(format!("chiron-{g}"));
                let indexes = indexes.clone();
                jobs.push(Box::new(move || {
                    let targets: Vec<&Target> = indexes.iter().map(|&t| &TARGETS[t]).collect();
                    let outcomes = chiron_resolve(&home, case, source, &targets);
                    Done::Chiron(c, f, indexes, outcomes)
                }));
            }
            for (t, target) in TARGETS.iter().enumerate() {
                let work = work.join(format!("uv{t}"));
                let pip_work = work.join("pip");
                jobs.push(Box::new(move || {
                    Done::Uv(c, f, t, uv_resolve(&work, case, source, target))
                }));
                // What is right does not depend on how the index is
                // served: pip, slow to start, answers once per target on
                // the JSON index, and that answer judges every flavour.
                if !case.pip_decides.is_empty() && *flavour == Flavour::Json {
                    jobs.push(Box::new(move || {
                        Done::Pip(c, f, t, pip_resolve(&pip_work, case, source, target))
                    }));
                }
            }
        }
    }
    let mut chiron_outcomes: BTreeMap<(usize, usize, usize), Outcome> = BTreeMap::new();
    let mut uv_outcomes: BTreeMap<(usize, usize, usize), Outcome> = BTreeMap::new();
    let mut pip_outcomes: BTreeMap<(usize, usize, usize), Outcome> = BTreeMap::new();
    for done in run_parallel(jobs) {
        match done {
            Done::Chiron(c, f, indexes, outcomes) => {
                for (t, outcome) in indexes.into_iter().zip(outcomes) {
                    chiron_outcomes.insert((c, f, t), outcome);
                }
            }
            Done::Uv(c, f, t, outcome) => {
                uv_outcomes.insert((c, f, t), outcome);
            }
            Done::Pip(c, f, t, outcome) => {
                pip_outcomes.insert((c, f, t), outcome);
            }
        }
    }

    let mut broken = Vec::new();
    let mut disagreements = Vec::new();
    for (c, case) in cases.iter().enumerate() {
        for (f, (flavour, _)) in sources.iter().enumerate() {
            for (t, target) in TARGETS.iter().enumerate() {
                let uv = &uv_outcomes[&(c, f, t)];
                let chiron = &chiron_outcomes[&(c, f, t)];
                let place = format!(
                    "{scenario}/{} [{}] target {} (chiron --python {} --platform {})",
                    case.label,
                    flavour.name(),
                    target.label(),
                    target.python,
                    target.chiron
                );
                let gap = (case.gap)(target);
                let expect_gap = gap.is_some();
                if matches!(uv, Outcome::Failed(_)) != expect_gap {
                    broken.push(format!(
                        "{place}: the scenario expects {}, uv says {}",
                        if expect_gap { "no resolution" } else { "one" },
                        describe(uv)
                    ));
                }
                if let (Some(package), Outcome::Failed(stderr)) = (gap, chiron)
                    && !stderr.contains(package)
                {
                    disagreements.push(format!(
                        "{place}\n    chiron's error does not name {package}:\n{stderr}"
                    ));
                }
                if let Outcome::Pins(pins) = uv {
                    for expected in (case.expect)(target) {
                        if !pins.contains(expected) {
                            broken.push(format!(
                                "{place}: the scenario expects {expected}, uv says {}",
                                describe(uv)
                            ));
                        }
                    }
                }
                let decided: BTreeSet<String> = case
                    .pip_decides
                    .iter()
                    .map(|(name, _)| requirement_name(name))
                    .collect();
                let by_uv = difference(
                    &restrict(chiron, &decided, false),
                    &restrict(uv, &decided, false),
                );
                if let Some(diff) = by_uv {
                    disagreements.push(format!("{place}\n{diff}"));
                }
                let json = sources
                    .iter()
                    .position(|(f, _)| *f == Flavour::Json)
                    .unwrap();
                if let Some(pip) = pip_outcomes.get(&(c, json, t)) {
                    let why: Vec<&str> = case.pip_decides.iter().map(|(_, why)| *why).collect();
                    if let Some(diff) = difference(&restrict(chiron, &decided, true), pip) {
                        disagreements.push(format!(
                            "{place}, compared with pip ({})\n{}",
                            why.join("; "),
                            diff.replace("only uv:    ", "only pip:   ")
                                .replace("    uv:     ", "    pip:    ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "the scenario itself is wrong (uv is the reference):\n{}",
        broken.join("\n")
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) between chiron and uv:\n\n{}",
        disagreements.len(),
        disagreements.join("\n\n")
    );
}

const fn wheel(name: &'static str, version: &'static str, tag: &'static str) -> WheelSpec<'static> {
    WheelSpec {
        name,
        version,
        tag,
        requires_python: None,
        requires_dist: &[],
        yanked: None,
        license_expression: None,
        upload_time: None,
    }
}

const fn needs(
    mut spec: WheelSpec<'static>,
    requires_dist: &'static [&'static str],
) -> WheelSpec<'static> {
    spec.requires_dist = requires_dist;
    spec
}

const fn python(mut spec: WheelSpec<'static>, requires_python: &'static str) -> WheelSpec<'static> {
    spec.requires_python = Some(requires_python);
    spec
}

const ANY: &str = "py3-none-any";

/// The newest release needs a newer Python: older targets get an older
/// one. On flavours (b) and (d) Requires-Python is only in the METADATA.
#[test]
fn requires_python() {
    check(
        "requires-python",
        &[
            python(wheel("modern", "1.0", ANY), ">=3.8"),
            python(wheel("modern", "2.0", ANY), ">=3.11"),
            python(wheel("modern", "3.0", ANY), ">=3.13"),
            // An upper bound: 3.12 and newer get 1.0.
            wheel("capped", "1.0", ANY),
            python(wheel("capped", "2.0", ANY), "<3.12,>=3.9"),
            // A patch-level floor: a 3.9 target is 3.9.0 for both tools.
            wheel("patchfloor", "1.0", ANY),
            python(wheel("patchfloor", "2.0", ANY), ">=3.9.1"),
            // Reached only through a dependency.
            needs(wheel("uses-modern", "1.0", ANY), &["modern>=1"]),
        ],
        &[Case {
            pip_decides: &[(
                "capped",
                "uv ignores the upper bound of Requires-Python (`<3.12`) and takes capped 2.0 on 3.12+; \
                 pip and chiron honour it and take 1.0",
            )],
            expect: |target| match target.python {
                "3.9" => vec!["modern==1.0", "patchfloor==1.0", "capped==2.0"],
                "3.10" => vec!["modern==1.0", "patchfloor==2.0"],
                "3.11" => vec!["modern==2.0", "capped==2.0"],
                "3.12" => vec!["modern==2.0"],
                _ => vec!["modern==3.0"],
            },
            ..Case::new(
                "newest-needs-newer-python",
                &["uses-modern", "capped", "patchfloor"],
            )
        }],
    );
}

/// Every marker variable that differs between the targets.
#[test]
fn markers() {
    const DEPS: &[&str] = &[
        "m-win; sys_platform == \"win32\"",
        "m-linux; sys_platform == \"linux\"",
        "m-darwin; platform_system == \"Darwin\"",
        "m-windows; platform_system == \"Windows\"",
        "m-arm; platform_machine == \"aarch64\" or platform_machine == \"arm64\"",
        "m-aarch64; platform_machine == \"aarch64\"",
        "m-arm64; platform_machine == \"arm64\"",
        "m-x86-64; platform_machine == \"x86_64\"",
        "m-amd64; platform_machine == \"AMD64\"",
        "m-nt; os_name == \"nt\"",
        "m-posix; os_name == \"posix\"",
        "m-cpython; implementation_name == \"cpython\"",
        "m-pypy; implementation_name == \"pypy\"",
        "m-cpython-impl; platform_python_implementation == \"CPython\"",
        "m-old; python_version < \"3.11\"",
        "m-new; python_version >= \"3.12\"",
        "m-full; python_full_version >= \"3.10.0\" and python_full_version < \"3.12.1\"",
        "m-full-patch; python_full_version > \"3.13.0\"",
    ];
    let mut wheels = vec![needs(wheel("markers-app", "1.0", ANY), DEPS)];
    for dep in DEPS {
        let name = dep.split(';').next().unwrap();
        wheels.push(wheel(name, "1.0", ANY));
    }
    wheels.push(wheel("m-top", "1.0", ANY));
    check(
        "markers",
        &wheels,
        &[Case {
            expect: |target| match target.uv {
                "x86_64-pc-windows-msvc" => {
                    vec!["m-win==1.0", "m-windows==1.0", "m-amd64==1.0", "m-nt==1.0"]
                }
                "aarch64-apple-darwin" => vec!["m-darwin==1.0", "m-arm64==1.0", "m-posix==1.0"],
                "aarch64-manylinux_2_28" => vec!["m-linux==1.0", "m-aarch64==1.0"],
                _ => vec!["m-cpython==1.0", "m-cpython-impl==1.0"],
            },
            ..Case::new(
                "every-variable",
                &[
                    "markers-app",
                    "m-top; sys_platform != \"win32\" and python_version >= \"3.10\"",
                ],
            )
        }],
    );
}

/// Extras, extras of extras, a self-referencing extra, markers on extras,
/// extra names in other spellings, and an extra the package lacks.
#[test]
fn extras() {
    check(
        "extras",
        &[
            needs(
                wheel("ex-base", "1.0", ANY),
                &[
                    "ex-a-dep; extra == \"a\"",
                    "ex-b-dep; extra == \"b\"",
                    "ex-base[a,b]; extra == \"all\"",
                    "ex-win-dep; extra == \"win\" and sys_platform == \"win32\"",
                    "ex-other[inner]; extra == \"nested\"",
                    "ex-dash-dep; extra == \"dash-name\"",
                    "ex-never; extra == \"unused\"",
                ],
            ),
            wheel("ex-a-dep", "1.0", ANY),
            wheel("ex-b-dep", "1.0", ANY),
            wheel("ex-win-dep", "1.0", ANY),
            wheel("ex-dash-dep", "1.0", ANY),
            wheel("ex-never", "1.0", ANY),
            needs(
                wheel("ex-other", "1.0", ANY),
                &["ex-other-always", "ex-inner-dep; extra == \"inner\""],
            ),
            wheel("ex-other-always", "1.0", ANY),
            wheel("ex-inner-dep", "1.0", ANY),
            // The extra exists only in 1.0: asking for it does not hold
            // the package back (an extra never limits versions).
            needs(wheel("ex-ver", "1.0", ANY), &["ex-x-dep; extra == \"x\""]),
            wheel("ex-ver", "2.0", ANY),
            wheel("ex-x-dep", "1.0", ANY),
        ],
        &[
            Case::new(
                "all-nested-win-dashed",
                &["ex-base[all,win,nested,Dash_Name]", "ex-ver[x]"],
            ),
            Case::new("one-extra", &["ex-base[b]"]),
        ],
    );
}

/// Yanked files are skipped, unless pinned with `==` (PEP 592). A folder
/// cannot mark a file yanked, so there both tools take it.
#[test]
fn yanked() {
    const YANKED: Option<&str> = Some("broken build");
    check(
        "yanked",
        &[
            wheel("yk-lib", "1.0", ANY),
            WheelSpec {
                yanked: YANKED,
                ..wheel("yk-lib", "2.0", ANY)
            },
            wheel("yk-pin", "1.0", ANY),
            WheelSpec {
                yanked: YANKED,
                ..wheel("yk-pin", "2.0", ANY)
            },
            needs(wheel("yk-app", "1.0", ANY), &["yk-lib"]),
        ],
        &[Case {
            expect: |_| vec!["yk-pin==2.0"],
            ..Case::new("skipped-unless-pinned", &["yk-app", "yk-pin==2.0"])
        }],
    );
}

/// Pre-releases: only with `--pre`, for a package that has nothing else,
/// or when only a pre-release satisfies an explicit pre-release specifier.
#[test]
fn prereleases() {
    const WHEELS: &[WheelSpec] = &[
        wheel("pr-beta", "1.0", ANY),
        wheel("pr-beta", "2.0b1", ANY),
        wheel("pr-only", "1.0rc1", ANY),
        wheel("pr-explicit", "1.5", ANY),
        wheel("pr-explicit", "2.0b1", ANY),
        wheel("pr-dev", "1.0", ANY),
        wheel("pr-dev", "1.1.dev1", ANY),
        needs(wheel("pr-app", "1.0", ANY), &["pr-dep>=1.0"]),
        wheel("pr-dep", "1.0", ANY),
        wheel("pr-dep", "1.1a1", ANY),
        // A pre-release in the specifier, and a final release above it.
        wheel("pr-mixed", "2.0b1", ANY),
        wheel("pr-mixed", "2.0", ANY),
        wheel("pr-mixed", "2.1b1", ANY),
        // The shape of pytest's `exceptiongroup>=1.0.0rc8`: chiron and uv
        // take 1.2.2; pip takes 1.3.0rc1 (it admits pre-releases for any
        // specifier naming one, also in dependencies), which no test here
        // holds against chiron.
        needs(wheel("pr-pytest", "1.0", ANY), &["pr-backport>=1.0.0rc8"]),
        wheel("pr-backport", "1.0.0rc8", ANY),
        wheel("pr-backport", "1.2.2", ANY),
        wheel("pr-backport", "1.3.0rc1", ANY),
    ];
    const REQUIREMENTS: &[&str] = &[
        "pr-beta",
        "pr-only",
        "pr-explicit>=2.0b1",
        "pr-dev",
        "pr-app",
        "pr-mixed>=2.0b1",
        "pr-pytest",
    ];
    // With --pre every tool takes 2.1b1, so only the default case needs pip.
    const PIP_DECIDES: &[(&str, &str)] = &[(
        "pr-mixed",
        "uv prefers the final 2.0 even when the specifier names a pre-release (`>=2.0b1`); \
         pip and chiron take the newest, 2.1b1, as PEP 440 says a specifier naming a \
         pre-release admits pre-releases",
    )];
    check(
        "prereleases",
        WHEELS,
        &[
            Case {
                pip_decides: PIP_DECIDES,
                ..Case::new("default", REQUIREMENTS)
            },
            Case {
                pre: true,
                ..Case::new("with-pre", REQUIREMENTS)
            },
        ],
    );
}

/// Local versions, post and dev releases, epochs and the operators that
/// treat them specially (PEP 440).
#[test]
fn version_forms() {
    check(
        "version-forms",
        &[
            // `==1.2.3` matches `1.2.3+cpu` (local versions are ignored by
            // `==` without a local part).
            wheel("lv-torch", "1.2.2", ANY),
            wheel("lv-torch", "1.2.3+cpu", ANY),
            wheel("pv-post", "1.0", ANY),
            wheel("pv-post", "1.0.post1", ANY),
            // `==1.0.*` matches post-releases of 1.0.
            wheel("pv-star", "1.0", ANY),
            wheel("pv-star", "1.0.post2", ANY),
            wheel("pv-star", "1.1", ANY),
            // `<1.1` excludes 1.1's pre-releases, keeps 1.0.post1.
            wheel("pv-lt", "1.0", ANY),
            wheel("pv-lt", "1.0.post1", ANY),
            wheel("pv-lt", "1.1.dev0", ANY),
            wheel("pv-lt", "1.1", ANY),
            // An epoch outranks any version without one.
            wheel("ep-epoch", "2.0", ANY),
            wheel("ep-epoch", "1!1.0", ANY),
            wheel("ep-pin", "2.0", ANY),
            wheel("ep-pin", "1!0.5", ANY),
            wheel("dv-dev", "0.9", ANY),
            wheel("dv-dev", "1.0.dev0", ANY),
            wheel("cr-compat", "1.3", ANY),
            wheel("cr-compat", "1.4", ANY),
            wheel("cr-compat", "1.9.1", ANY),
            wheel("cr-compat", "2.0", ANY),
            wheel("ne-not", "1.0", ANY),
            wheel("ne-not", "2.0", ANY),
        ],
        &[Case {
            expect: |_| {
                vec![
                    "lv-torch==1.2.3+cpu",
                    "pv-post==1.0.post1",
                    "pv-star==1.0.post2",
                    "pv-lt==1.0.post1",
                    "ep-epoch==1!1.0",
                    "ep-pin==2.0",
                    "dv-dev==0.9",
                    "cr-compat==1.9.1",
                    "ne-not==1.0",
                ]
            },
            ..Case::new(
                "local-post-dev-epoch",
                &[
                    "lv-torch==1.2.3",
                    "pv-post",
                    "pv-star==1.0.*",
                    "pv-lt<1.1",
                    "ep-epoch",
                    "ep-pin==2.0",
                    "dv-dev",
                    "cr-compat~=1.4",
                    "ne-not!=2.0",
                ],
            )
        }],
    );
}

/// PEP 503 names: `Foo_Bar`, `foo-bar`, `FOO.bar` are one project, also in
/// legacy wheel file names with dots and capitals.
#[test]
fn name_normalisation() {
    check(
        "names",
        &[
            wheel("Foo_Bar", "1.0", ANY),
            wheel("Foo_Bar", "1.1", ANY),
            wheel("dotted.name", "2.0", ANY),
            wheel("MixedCase", "3.0", ANY),
            needs(
                wheel("nm-app", "1.0", ANY),
                &["FOO.bar<1.1", "Dotted_Name>=1", "mixedcase"],
            ),
        ],
        &[Case::new("spellings", &["nm-app", "foo-bar"])],
    );
}

/// `-c`: constraints narrow what is required, add nothing that is not,
/// and may carry markers.
#[test]
fn constraints() {
    check(
        "constraints",
        &[
            needs(wheel("cs-app", "1.0", ANY), &["cs-lib"]),
            wheel("cs-lib", "1.0", ANY),
            wheel("cs-lib", "1.5", ANY),
            wheel("cs-lib", "2.0", ANY),
            wheel("cs-unused", "1.0", ANY),
            wheel("cs-plat", "1.0", ANY),
            wheel("cs-plat", "1.5", ANY),
            wheel("cs-plat", "2.0", ANY),
        ],
        &[Case {
            constraints: &[
                "cs-lib<2",
                "cs-unused==1.0",
                "cs-plat<1.5; sys_platform == \"win32\"",
            ],
            ..Case::new("narrowing", &["cs-app", "cs-plat"])
        }],
    );
}

/// The newest versions conflict: the resolver must go back.
#[test]
fn backtracking() {
    check(
        "backtracking",
        &[
            // bt-a 2.0 needs bt-c>=2, bt-b needs bt-c<2: bt-a falls to 1.0.
            needs(wheel("bt-a", "1.0", ANY), &["bt-c>=1"]),
            needs(wheel("bt-a", "2.0", ANY), &["bt-c>=2"]),
            needs(wheel("bt-b", "1.0", ANY), &["bt-c<2"]),
            wheel("bt-c", "1.0", ANY),
            wheel("bt-c", "2.0", ANY),
            // bt-y 3.0 needs a bt-z that does not exist: bt-x 3.0 (which
            // needs bt-y>=3) is abandoned for 2.0.
            needs(wheel("bt-x", "1.0", ANY), &["bt-y"]),
            needs(wheel("bt-x", "2.0", ANY), &["bt-y>=2"]),
            needs(wheel("bt-x", "3.0", ANY), &["bt-y>=3"]),
            wheel("bt-y", "1.0", ANY),
            wheel("bt-y", "2.0", ANY),
            needs(wheel("bt-y", "3.0", ANY), &["bt-z>=9"]),
            wheel("bt-z", "1.0", ANY),
        ],
        &[Case::new("two-conflicts", &["bt-a", "bt-b", "bt-x"])],
    );
}

/// abi3 vs version-specific vs pure wheels, compressed tag sets, universal2.
#[test]
fn wheel_tags() {
    const PLATFORMS: &[&str] = &[
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "manylinux_2_17_aarch64.manylinux2014_aarch64",
        "musllinux_1_2_x86_64",
        "macosx_11_0_arm64",
        "macosx_10_9_x86_64",
        "win_amd64",
    ];
    let mut wheels = vec![
        wheel("tg-abi", "1.0", ANY),
        wheel("tg-py2py3", "1.0", "py2.py3-none-any"),
        wheel("tg-cp39", "0.9", ANY),
        wheel("tg-cp39", "1.0", "cp39-cp39-manylinux_2_17_x86_64"),
        wheel("tg-uni", "1.0", ANY),
        wheel("tg-uni", "2.0", "cp312-cp312-macosx_10_9_universal2"),
    ];
    // One release, three kinds of wheel: which one a target installs shows
    // in the pins, since each wheel's METADATA names another dependency
    // (3.9 and 3.10 take the pure wheel, 3.11 its own cp311 wheel over
    // abi3, 3.12 and 3.13 abi3).
    wheels.push(needs(wheel("tg-one", "1.0", ANY), &["tg-via-any"]));
    for via in ["tg-via-any", "tg-via-abi3", "tg-via-cp311"] {
        wheels.push(wheel(via, "1.0", ANY));
    }
    for platform in PLATFORMS {
        let abi3: &'static str = format!("cp311-abi3-{platform}").leak();
        wheels.push(needs(wheel("tg-one", "1.0", abi3), &["tg-via-abi3"]));
        let cp311: &'static str = format!("cp311-cp311-{platform}").leak();
        wheels.push(needs(wheel("tg-one", "1.0", cp311), &["tg-via-cp311"]));
    }
    for platform in PLATFORMS {
        // 2.0: one abi3 wheel per platform, for CPython 3.11 and newer.
        let abi3: &'static str = format!("cp311-abi3-{platform}").leak();
        wheels.push(wheel("tg-abi", "2.0", abi3));
        // 3.0: only version-specific wheels for 3.13.
        let cp313: &'static str = format!("cp313-cp313-{platform}").leak();
        wheels.push(wheel("tg-abi", "3.0", cp313));
    }
    check(
        "wheel-tags",
        &wheels,
        &[Case {
            expect: |target| match target.python {
                "3.9" | "3.10" => vec!["tg-via-any==1.0", "tg-abi==1.0"],
                "3.11" => vec!["tg-via-cp311==1.0", "tg-abi==2.0"],
                "3.12" => vec!["tg-via-abi3==1.0", "tg-abi==2.0"],
                _ => vec!["tg-via-abi3==1.0", "tg-abi==3.0"],
            },
            ..Case::new(
                "abi3-cp-any",
                &["tg-abi", "tg-one", "tg-py2py3", "tg-cp39", "tg-uni"],
            )
        }],
    );
}

/// The glibc, musl and macOS floors of every target: each release of
/// tg-floor needs a newer system than the one before.
#[test]
fn platform_floors() {
    const RELEASES: &[(&str, &[&str])] = &[
        (
            "2.0",
            &[
                "manylinux_2_17_x86_64",
                "manylinux_2_17_aarch64",
                "musllinux_1_1_x86_64",
                "macosx_10_12_x86_64",
                "macosx_11_0_arm64",
                "win_amd64",
            ],
        ),
        (
            "3.0",
            &[
                "manylinux_2_28_x86_64",
                "manylinux_2_28_aarch64",
                "musllinux_1_2_x86_64",
                "macosx_11_0_x86_64",
                "macosx_13_0_arm64",
                "win_amd64",
            ],
        ),
        (
            "4.0",
            &[
                "manylinux_2_34_x86_64",
                "manylinux_2_34_aarch64",
                "musllinux_1_3_x86_64",
                "macosx_12_0_x86_64",
                "macosx_14_0_arm64",
            ],
        ),
    ];
    let mut wheels = vec![wheel("tg-floor", "1.0", ANY)];
    for (version, platforms) in RELEASES {
        for platform in *platforms {
            let tag: &'static str = format!("py3-none-{platform}").leak();
            wheels.push(wheel("tg-floor", version, tag));
        }
    }
    // A plain `linux_x86_64` wheel is not manylinux: no target takes it.
    wheels.push(wheel("tg-linux", "1.0", ANY));
    wheels.push(wheel("tg-linux", "2.0", "py3-none-linux_x86_64"));
    check(
        "platform-floors",
        &wheels,
        &[Case {
            pip_decides: &[(
                "tg-linux",
                "uv lets manylinux and musllinux targets take a plain `linux_x86_64` wheel, as the \
                 host it runs on would; pip --platform and chiron take only portable wheels for \
                 another machine",
            )],
            expect: |target| match target.uv {
                "x86_64-manylinux_2_17" => vec!["tg-floor==2.0"],
                _ => vec!["tg-floor==3.0"],
            },
            ..Case::new("floors", &["tg-floor", "tg-linux"])
        }],
    );
}

/// A dependency the index does not have is a dead end for that version,
/// not the end of the resolution.
#[test]
fn missing_dependency() {
    check(
        "missing-dependency",
        &[
            needs(wheel("md-app", "1.0", ANY), &["md-real"]),
            needs(wheel("md-app", "2.0", ANY), &["md-ghost"]),
            wheel("md-real", "1.0", ANY),
            needs(wheel("md-other", "1.0", ANY), &["md-real"]),
            needs(wheel("md-other", "2.0", ANY), &["md-real>=5"]),
        ],
        &[Case {
            expect: |_| vec!["md-app==1.0", "md-real==1.0", "md-other==1.0"],
            ..Case::new("absent-version-and-project", &["md-other", "md-app"])
        }],
    );
}

/// A package with wheels for Windows only: every other target has a gap,
/// which both tools must report instead of pinning something.
#[test]
fn gap() {
    check(
        "gap",
        &[
            wheel("gp-winonly", "1.0", "py3-none-win_amd64"),
            needs(wheel("gp-app", "1.0", ANY), &["gp-winonly"]),
        ],
        &[Case {
            gap: |target| (!target.is_windows()).then_some("gp-winonly"),
            ..Case::new("windows-only-wheel", &["gp-app"])
        }],
    );
}

/// Real-world shapes: requests with an extra, numpy with per-Python binary
/// wheels and a macOS 14 floor on its newest release, click's Windows-only
/// colorama, pytest's backports for old Pythons.
#[test]
fn real_world() {
    let mut wheels = vec![
        python(
            needs(
                wheel("requests", "2.32.3", ANY),
                &[
                    "charset-normalizer<4,>=2",
                    "idna<4,>=2.5",
                    "urllib3<3,>=1.21.1",
                    "certifi>=2017.4.17",
                    "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
                    "chardet<6,>=3.0.2; extra == \"use-chardet-on-py3\"",
                ],
            ),
            ">=3.8",
        ),
        python(wheel("charset_normalizer", "3.4.0", ANY), ">=3.7.0"),
        python(wheel("idna", "3.10", ANY), ">=3.6"),
        python(wheel("urllib3", "2.2.3", ANY), ">=3.8"),
        python(wheel("urllib3", "2.3.0", ANY), ">=3.9"),
        python(wheel("certifi", "2024.8.30", ANY), ">=3.6"),
        wheel("PySocks", "1.7.1", "py3-none-any"),
        wheel("chardet", "5.2.0", ANY),
        python(
            needs(
                wheel("click", "8.1.7", ANY),
                &[
                    "colorama; platform_system == \"Windows\"",
                    "importlib-metadata; python_version < \"3.8\"",
                ],
            ),
            ">=3.7",
        ),
        wheel("colorama", "0.4.6", "py2.py3-none-any"),
        python(
            needs(
                wheel("pytest", "8.3.3", ANY),
                &[
                    "iniconfig",
                    "packaging",
                    "pluggy<2,>=1.5",
                    "exceptiongroup>=1.0.0rc8; python_version < \"3.11\"",
                    "tomli>=1; python_version < \"3.11\"",
                    "colorama; sys_platform == \"win32\"",
                ],
            ),
            ">=3.8",
        ),
        wheel("iniconfig", "2.0.0", ANY),
        python(wheel("packaging", "24.2", ANY), ">=3.8"),
        python(wheel("pluggy", "1.5.0", ANY), ">=3.8"),
        python(wheel("exceptiongroup", "1.2.2", ANY), ">=3.7"),
        python(wheel("tomli", "2.2.1", ANY), ">=3.8"),
    ];
    const NUMPY_PLATFORMS_2_0: &[&str] = &[
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "manylinux_2_17_aarch64.manylinux2014_aarch64",
        "musllinux_1_1_x86_64",
        "macosx_11_0_arm64",
        "macosx_10_9_x86_64",
        "win_amd64",
    ];
    const NUMPY_PLATFORMS_2_2: &[&str] = &[
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "manylinux_2_17_aarch64.manylinux2014_aarch64",
        "musllinux_1_2_x86_64",
        "macosx_14_0_arm64",
        "macosx_10_13_x86_64",
        "win_amd64",
    ];
    for (version, requires, pythons, platforms) in [
        (
            "2.0.2",
            ">=3.9",
            &["39", "310", "311", "312"][..],
            NUMPY_PLATFORMS_2_0,
        ),
        (
            "2.2.1",
            ">=3.10",
            &["310", "311", "312", "313"][..],
            NUMPY_PLATFORMS_2_2,
        ),
    ] {
        for py in pythons {
            for platform in platforms {
                let tag: &'static str = format!("cp{py}-cp{py}-{platform}").leak();
                wheels.push(python(wheel("numpy", version, tag), requires));
            }
        }
    }
    check(
        "real-world",
        &wheels,
        &[Case::new(
            "requests-numpy-click-pytest",
            &["requests[socks]", "numpy>=1.26", "click", "pytest"],
        )],
    );
}
