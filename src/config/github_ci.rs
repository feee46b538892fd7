//! The GitHub Actions workflow that `chiron init --ci github` writes
//! (`.github/workflows/chiron.yml`).
//!
//! Pure: takes the choices and returns the text, the same bytes for the
//! same choices. The jobs and what each needs:
//!
//! - `sdist-and-pure`: `chiron build --check` (built twice, compared), the
//!   `dist` artifact;
//! - `wheels` (compiled projects): cibuildwheel on Linux, macOS and
//!   Windows, a `wheels-OS` artifact each;
//! - `compare` (after `sdist-and-pure`): the project built again on another
//!   runner, and `chiron build --compare` of each file against the first
//!   build: the sdist, and for a pure project the wheel too (on macOS, so a
//!   difference between systems shows). cibuildwheel's wheels are repaired
//!   (auditwheel, delocate) and so never compared byte for byte;
//! - `gate`: `chiron lock --check`, `chiron wheelhouse`, `scan`, `policy
//!   check` and `sbom`, the `wheelhouse` and `gate-reports` artifacts;
//! - `sign` (unless unsigned; after `compare`, `gate` and `wheels`):
//!   `chiron sign` of every distribution, the key written from a secret
//!   into a file of mode 0600 that is removed on exit;
//! - `airgap` (after `gate` and `sign`, or `compare` and `wheels` when
//!   unsigned): `chiron airgap build` of the gate's wheelhouse.
//!
//! Every action is pinned to a full commit with its version in a comment;
//! the workflow grants nothing by default and each job reads the
//! repository at most. Jobs that use secrets do not run for pull requests.

use std::fmt::Write as _;

use super::template::InitError;
use crate::project::ProjectScan;
use crate::python::version::PythonVersion;

/// How the project's wheels are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WheelKind {
    /// One `py3-none-any` wheel, built by `chiron build`.
    Pure,
    /// Wheels per platform, built by cibuildwheel.
    Compiled,
}

/// What the workflow is written for.
#[derive(Debug, Clone)]
pub struct CiChoices {
    /// `[project] name`, for the header comment.
    pub project: Option<String>,
    pub wheels: WheelKind,
    /// Whether the `sign` job exists and the bundle is signed.
    pub signed: bool,
    /// The Python versions wheels are built for (cibuildwheel's
    /// `CIBW_BUILD`); the newest runs `chiron build`.
    pub python: Vec<PythonVersion>,
}

/// An action at a full commit, with the version that commit is tagged.
struct Action {
    name: &'static str,
    commit: &'static str,
    version: &'static str,
}

const CHECKOUT: Action = Action {
    name: "actions/checkout",
    commit: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    version: "v7.0.1",
};
const SETUP_PYTHON: Action = Action {
    name: "actions/setup-python",
    commit: "5fda3b95a4ea91299a34e894583c3862153e4b97",
    version: "v7.0.0",
};
const UPLOAD: Action = Action {
    name: "actions/upload-artifact",
    commit: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
    version: "v7.0.0",
};
const DOWNLOAD: Action = Action {
    name: "actions/download-artifact",
    commit: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
    version: "v8.0.1",
};
const CIBUILDWHEEL: Action = Action {
    name: "pypa/cibuildwheel",
    commit: "1828c10ab37f080699c7b81cea34097c684a7074",
    version: "v4.2.0",
};

/// The secrets the signing jobs read.
pub const KEY_SECRET: &str = "CHIRON_SIGNING_KEY";
pub const PASSWORD_SECRET: &str = "CHIRON_PASSWORD";

/// Where the workflow goes, relative to the project.
pub const WORKFLOW_PATH: &str = ".github/workflows/chiron.yml";

/// What `chiron init --ci` was asked for; unset values are detected.
#[derive(Debug, Clone, Default)]
pub struct CiRequest {
    /// `--wheels`; else told by the project (`native`).
    pub wheels: Option<WheelKind>,
    /// `--unsigned`.
    pub unsigned: bool,
    /// `--python`; else the configuration's `[targets] python`; else what
    /// `requires-python` admits, as for `chiron.toml`.
    pub python: Vec<PythonVersion>,
}

/// The choices for `request`, over what the project holds: `native` says
/// whether it compiles code, `configured` is its `[targets] python`.
pub fn ci_choices(
    scan: &ProjectScan,
    native: bool,
    configured: &[PythonVersion],
    request: &CiRequest,
) -> Result<CiChoices, InitError> {
    let python = if !request.python.is_empty() {
        request.python.clone()
    } else if !configured.is_empty() {
        configured.to_vec()
    } else {
        super::template::choose_pythons(scan, &[])?.0
    };
    let detected = if native {
        WheelKind::Compiled
    } else {
        WheelKind::Pure
    };
    Ok(CiChoices {
        project: scan.name.clone(),
        wheels: request.wheels.unwrap_or(detected),
        signed: !request.unsigned,
        python,
    })
}

/// Renders the workflow for `choices`.
pub fn render_workflow(choices: &CiChoices) -> String {
    let mut out = header(choices);
    out.push_str(&sdist_and_pure(choices));
    if choices.wheels == WheelKind::Compiled {
        out.push_str(&wheels(choices));
    }
    out.push_str(&compare(choices));
    out.push_str(&gate());
    if choices.signed {
        out.push_str(&sign(choices));
    }
    out.push_str(&airgap(choices));
    out
}

/// The jobs each job waits for.
pub fn job_needs(choices: &CiChoices) -> Vec<(&'static str, Vec<&'static str>)> {
    let compiled = choices.wheels == WheelKind::Compiled;
    let mut jobs = vec![("sdist-and-pure", vec![])];
    if compiled {
        jobs.push(("wheels", vec![]));
    }
    jobs.push(("compare", vec!["sdist-and-pure"]));
    jobs.push(("gate", vec![]));
    let mut built = vec!["compare"];
    if compiled {
        built.push("wheels");
    }
    if choices.signed {
        let mut sign = built.clone();
        sign.insert(1, "gate");
        jobs.push(("sign", sign));
        jobs.push(("airgap", vec!["gate", "sign"]));
    } else {
        let mut airgap = vec!["gate"];
        airgap.extend(built);
        jobs.push(("airgap", airgap));
    }
    jobs
}

fn needs_of(choices: &CiChoices, job: &str) -> String {
    let needs = job_needs(choices)
        .into_iter()
        .find(|(name, _)| *name == job)
        .map(|(_, needs)| needs)
        .unwrap_or_default();
    if needs.is_empty() {
        String::new()
    } else {
        format!("    needs: [{}]\n", needs.join(", "))
    }
}

fn uses(action: &Action) -> String {
    format!("{}@{} # {}", action.name, action.commit, action.version)
}

fn header(choices: &CiChoices) -> String {
    let mut out = String::new();
    let project = choices
        .project
        .as_deref()
        .filter(|name| {
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .map(|name| format!(" for {name}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# chiron's release pipeline{project}, written by `chiron init --ci github`."
    );
    out.push_str(
        "# Builds the sdist and wheels, builds them again elsewhere and compares, gates\n\
         # the dependencies (lock, wheelhouse, scan, policy, SBOM), signs, and packs\n\
         # an air-gap bundle. Every action is pinned to a full commit.\n",
    );
    if choices.signed {
        let _ = writeln!(
            out,
            "# Secrets: {KEY_SECRET} (the contents of cosign.key, from `chiron keys\n\
             # generate`) and {PASSWORD_SECRET} (its password)."
        );
    }
    let _ = write!(
        out,
        "name: chiron\n\n\
         on:\n  push:\n    branches: [main]\n    tags: [\"v*\"]\n  pull_request:\n  workflow_dispatch:\n\n\
         # Nothing by default: each job asks for what it needs.\n\
         permissions: {{}}\n\n\
         env:\n  # The chiron that wrote this workflow ({}); every job builds it from\n  \
         # source, pinned to a commit: set the repository variables CHIRON_GIT\n  \
         # (the chiron repository's URL) and CHIRON_REV (a full commit SHA).\n  \
         CHIRON_GIT: ${{{{ vars.CHIRON_GIT }}}}\n  \
         CHIRON_REV: ${{{{ vars.CHIRON_REV }}}}\n\n\
         defaults:\n  run:\n    shell: bash\n\njobs:\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn checkout() -> String {
    format!(
        "      - uses: {}\n        with:\n          persist-credentials: false\n",
        uses(&CHECKOUT)
    )
}

/// The newest targeted Python, for the jobs that run `chiron build`.
fn setup_python(choices: &CiChoices) -> String {
    let newest = choices
        .python
        .iter()
        .max()
        .map_or_else(|| "3.x".to_string(), ToString::to_string);
    format!(
        "      - uses: {}\n        with:\n          python-version: \"{newest}\"\n          allow-prereleases: true\n",
        uses(&SETUP_PYTHON)
    )
}

fn install_chiron() -> &'static str {
    "      - name: Install chiron\n        run: |\n          if [ -z \"$CHIRON_GIT\" ] || [ -z \"$CHIRON_REV\" ]; then\n            echo \"::error::set the repository variables CHIRON_GIT and CHIRON_REV (chiron's source, pinned to a commit)\"\n            exit 1\n          fi\n          cargo install --locked --git \"$CHIRON_GIT\" --rev \"$CHIRON_REV\" chiron\n"
}

/// Both builds of a file take their times from the commit.
fn pin_build_time() -> &'static str {
    "      - name: Take file times from the commit\n        run: echo \"SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)\" >> \"$GITHUB_ENV\"\n"
}

fn upload(name: &str, path: &str) -> String {
    format!(
        "      - uses: {}\n        with:\n          name: {name}\n          path: {path}\n          if-no-files-found: error\n",
        uses(&UPLOAD)
    )
}

fn download(name: &str, path: &str) -> String {
    format!(
        "      - uses: {}\n        with:\n          name: {name}\n          path: {path}\n",
        uses(&DOWNLOAD)
    )
}

fn job_start(choices: &CiChoices, job: &str, title: &str, runner: &str, read: bool) -> String {
    let permissions = if read {
        "    permissions:\n      contents: read\n"
    } else {
        "    permissions: {}\n"
    };
    format!(
        "\n  {job}:\n    name: {title}\n{}    runs-on: {runner}\n{permissions}",
        needs_of(choices, job)
    )
}

fn sdist_and_pure(choices: &CiChoices) -> String {
    let what = match choices.wheels {
        WheelKind::Pure => "sdist and pure wheel",
        WheelKind::Compiled => "sdist",
    };
    let mut out = job_start(
        choices,
        "sdist-and-pure",
        &format!("{what}, built twice and compared"),
        "ubuntu-latest",
        true,
    );
    out.push_str("    steps:\n");
    out.push_str(&checkout());
    out.push_str(&setup_python(choices));
    out.push_str(install_chiron());
    out.push_str(pin_build_time());
    out.push_str(
        "      - name: Build twice and check that the builds are identical\n        run: chiron build --check --outdir dist\n",
    );
    out.push_str(&upload("dist", "dist/"));
    out
}

fn wheels(choices: &CiChoices) -> String {
    let mut out = format!(
        "\n  wheels:\n    name: wheels on ${{{{ matrix.os }}}}\n{}    strategy:\n      fail-fast: false\n      matrix:\n        os: [ubuntu-latest, macos-latest, windows-latest]\n    runs-on: ${{{{ matrix.os }}}}\n    permissions:\n      contents: read\n    steps:\n",
        needs_of(choices, "wheels")
    );
    out.push_str(&checkout());
    out.push_str(pin_build_time());
    let build: Vec<String> = choices
        .python
        .iter()
        .map(|v| format!("cp{}{}-*", v.major, v.minor))
        .collect();
    let _ = write!(
        out,
        "      - uses: {}\n        env:\n          # The Python versions of chiron.toml's [targets].\n          CIBW_BUILD: \"{}\"\n        with:\n          output-dir: cibw-wheels\n",
        uses(&CIBUILDWHEEL),
        build.join(" ")
    );
    out.push_str(&upload("wheels-${{ matrix.os }}", "cibw-wheels/"));
    out
}

fn compare(choices: &CiChoices) -> String {
    let (runner, files, what) = match choices.wheels {
        WheelKind::Pure => (
            "macos-latest",
            "dist/*.tar.gz dist/*.whl",
            "sdist and wheel",
        ),
        WheelKind::Compiled => ("ubuntu-latest", "dist/*.tar.gz", "sdist"),
    };
    let mut out = job_start(
        choices,
        "compare",
        &format!("{what} built again on {runner}, compared"),
        runner,
        true,
    );
    out.push_str("    steps:\n");
    out.push_str(&checkout());
    out.push_str(&setup_python(choices));
    out.push_str(install_chiron());
    out.push_str(pin_build_time());
    out.push_str(&download("dist", "dist"));
    let _ = write!(
        out,
        "      - name: Build again\n        run: chiron build --outdir rebuilt\n\
         \x20     - name: Compare each file with the first build\n        run: |\n\
         \x20         for file in {files}; do\n\
         \x20           chiron build --compare \"$file\" \"rebuilt/${{file#dist/}}\"\n\
         \x20         done\n"
    );
    out
}

fn gate() -> String {
    let mut out = String::from(
        "\n  gate:\n    name: lock, wheelhouse, scan, policy and SBOM of the dependencies\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n",
    );
    out.push_str(&checkout());
    out.push_str(install_chiron());
    out.push_str(
        "      - name: The lock is up to date\n        run: chiron lock --check\n\
         \x20     - name: Wheelhouse\n        run: chiron wheelhouse --out wheelhouse --source osv-api\n\
         \x20     - name: Vulnerability scan\n        run: chiron scan wheelhouse --source osv-api --format sarif --output scan.sarif\n\
         \x20     - name: Policy\n        run: chiron policy check wheelhouse --source osv-api --format sarif --output policy.sarif\n\
         \x20     - name: SBOM\n        run: chiron sbom wheelhouse --output sbom.cdx.json\n",
    );
    out.push_str(&upload("wheelhouse", "wheelhouse/"));
    let _ = write!(
        out,
        "      - if: always()\n        uses: {}\n        with:\n          name: gate-reports\n          path: |\n            scan.sarif\n            policy.sarif\n            sbom.cdx.json\n          if-no-files-found: ignore\n",
        uses(&UPLOAD)
    );
    out
}

/// A step that writes the key from its secret into a file only this user
/// reads, runs `command` with it (`$key`), and removes it on exit. The
/// secrets reach the script through the environment, never its text.
fn with_key(name: &str, command: &str) -> String {
    format!(
        "      - name: {name}\n        env:\n          {KEY_SECRET}: ${{{{ secrets.{KEY_SECRET} }}}}\n          {PASSWORD_SECRET}: ${{{{ secrets.{PASSWORD_SECRET} }}}}\n        run: |\n\
         \x20         umask 077\n\
         \x20         key=\"$RUNNER_TEMP/cosign.key\"\n\
         \x20         trap 'rm -f \"$key\"' EXIT\n\
         \x20         printf '%s\\n' \"${KEY_SECRET}\" > \"$key\"\n\
         {command}"
    )
}

fn sign(choices: &CiChoices) -> String {
    let mut out = job_start(
        choices,
        "sign",
        "sign the distributions",
        "ubuntu-latest",
        false,
    );
    out.push_str("    if: github.event_name != 'pull_request'\n    steps:\n");
    out.push_str(install_chiron());
    out.push_str(&download("dist", "dist"));
    if choices.wheels == WheelKind::Compiled {
        let _ = write!(
            out,
            "      - uses: {}\n        with:\n          pattern: wheels-*\n          merge-multiple: true\n          path: dist\n",
            uses(&DOWNLOAD)
        );
    }
    out.push_str(&with_key(
        "Sign every sdist and wheel",
        "          for file in dist/*.tar.gz dist/*.whl; do\n            chiron sign \"$file\" --key \"$key\"\n          done\n",
    ));
    out.push_str(&upload("signed-dist", "dist/"));
    out
}

fn airgap(choices: &CiChoices) -> String {
    let mut out = job_start(
        choices,
        "airgap",
        "air-gap bundle of the wheelhouse",
        "ubuntu-latest",
        true,
    );
    if choices.signed {
        out.push_str("    if: github.event_name != 'pull_request'\n");
    }
    out.push_str("    steps:\n");
    out.push_str(&checkout());
    out.push_str(install_chiron());
    out.push_str(&download("wheelhouse", "wheelhouse"));
    if choices.signed {
        out.push_str(&with_key(
            "Pack the signed bundle",
            "          chiron airgap build wheelhouse --output bundle.tar.gz --key \"$key\"\n",
        ));
    } else {
        out.push_str(
            "      - name: Pack the bundle (unsigned)\n        run: chiron airgap build wheelhouse --output bundle.tar.gz --unsigned\n",
        );
    }
    out.push_str(&upload("airgap-bundle", "bundle.tar.gz"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(wheels: WheelKind, signed: bool) -> CiChoices {
        CiChoices {
            project: Some("demo".into()),
            wheels,
            signed,
            python: vec!["3.12".parse().unwrap(), "3.13".parse().unwrap()],
        }
    }

    #[test]
    fn the_jobs_follow_the_choices() {
        let pure = render_workflow(&choices(WheelKind::Pure, false));
        assert!(!pure.contains("cibuildwheel") && !pure.contains("\n  sign:"));
        assert!(pure.contains("--unsigned") && !pure.contains("secrets."));
        let compiled = render_workflow(&choices(WheelKind::Compiled, true));
        assert!(compiled.contains("CIBW_BUILD: \"cp312-* cp313-*\""));
        assert!(compiled.contains("python-version: \"3.13\""));
        assert!(compiled.contains("    needs: [compare, gate, wheels]\n"));
        assert!(compiled.contains("${{ secrets.CHIRON_SIGNING_KEY }}"));
        // The secrets reach the scripts through the environment only.
        for line in compiled.lines().filter(|l| l.contains("secrets.")) {
            assert!(line.trim_start().starts_with("CHIRON_"), "{line}");
        }
    }

    #[test]
    fn every_action_is_pinned_to_a_full_commit_with_its_version() {
        let text = render_workflow(&choices(WheelKind::Compiled, true));
        let pins: Vec<&str> = text.lines().filter(|l| l.contains("uses:")).collect();
        assert!(pins.len() > 10, "{pins:?}");
        for line in pins {
            let (_, rest) = line.split_once('@').unwrap();
            let (commit, version) = rest.split_once(" # v").unwrap();
            assert_eq!(commit.len(), 40, "{line}");
            assert!(commit.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
            assert!(
                version.split('.').all(|n| n.parse::<u32>().is_ok()),
                "{line}"
            );
        }
    }

    #[test]
    fn a_project_name_that_could_break_the_comment_is_left_out() {
        let mut odd = choices(WheelKind::Pure, true);
        odd.project = Some("x\nname: evil".into());
        let text = render_workflow(&odd);
        assert!(!text.contains("evil"));
        assert_eq!(text, render_workflow(&odd), "the same bytes");
    }
}
