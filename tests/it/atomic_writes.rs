//! Replacement under faults: `chiron wheelhouse` and `chiron airgap build`
//! killed with SIGKILL at random moments leave their path holding the
//! complete old or the complete new output (checked with GNU `sha256sum -c`
//! and against a reference run), and the next run removes what they left.
//! A poller never sees the wheelhouse missing while it is replaced; a
//! wheelhouse file edited in place never reaches the cache, and the next
//! run repairs it.
//!
//! Set `CHIRON_KILL_SEED` to replay a run's kill moments.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::index::{PageFormat, TestIndex, WheelSpec};
use crate::support::plain::PlainIndex;
use crate::support::write_files;
use serde_json::Value;
use sha2::{Digest, Sha256};

const TRIALS: usize = 100;

/// A small random generator (xorshift64*), seeded per test and printed, so
/// a failing run can be replayed.
struct Moments(u64);

impl Moments {
    fn new(test: &str) -> Self {
        let seed = std::env::var("CHIRON_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{test}: CHIRON_KILL_SEED={seed}");
        Self(seed)
    }

    /// Uniform in `0..=max`.
    fn below(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let micros = max.as_micros().max(1) as u64;
        Duration::from_micros(r % (micros + 1))
    }
}

/// The chiron binary with nothing of the developer's environment: the
/// cache in `home/cache`, no pip configuration, a fixed SOURCE_DATE_EPOCH.
fn chiron(home: &Path, index: &str) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("chiron"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CHIRON_CACHE_DIR", home.join("cache"))
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_INDEX_URL", index)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(home)
        .stdin(Stdio::null());
    // Under cargo-llvm-cov the binary writes its counts where this says;
    // without it, a `default.profraw` would appear beside the outputs.
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        command.env("LLVM_PROFILE_FILE", profile);
    }
    command
}

fn run(mut command: Command) -> (i32, String) {
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Starts `command`, kills it with SIGKILL after `after`; whether it was
/// still running then.
fn kill_after(mut command: Command, after: Duration) -> bool {
    // A process killed while it writes its coverage counts leaves a
    // truncated file that would spoil the whole coverage merge: killed
    // runs write theirs into a scratch folder that is thrown away.
    let scratch = tempfile::tempdir().unwrap();
    if std::env::var_os("LLVM_PROFILE_FILE").is_some() {
        command.env("LLVM_PROFILE_FILE", scratch.path().join("%p-%m.profraw"));
    }
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + after;
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(2)));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    status.code().is_none()
}

/// Every entry of `dir` with its bytes (folders as empty).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let bytes = if e.file_type().unwrap().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The version of `app` that the wheelhouse at `dir` holds, after checking
/// it is complete and consistent: `sha256sum -c` passes, SHA256SUMS lists
/// exactly the manifest's files, every report is there and describes the
/// same packages (the scan names the advisory of app 1.0 exactly when the
/// manifest has app 1.0, and the policy fails exactly then).
fn wheelhouse_state(dir: &Path) -> Result<String, String> {
    let manifest = read_json(&dir.join("manifest.json"))?;
    let app = manifest["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "app"))
        .and_then(|p| p["version"].as_str())
        .ok_or("manifest.json names no app")?
        .to_string();
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "--quiet", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("sha256sum: {e}"))?;
    if !check.status.success() {
        return Err(format!(
            "sha256sum -c: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        ));
    }
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).map_err(|e| e.to_string())?;
    let listed: BTreeMap<String, String> = sums
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(h, n)| (n.to_string(), h.to_string()))
        .collect();
    let files: BTreeMap<String, String> = manifest["files"]
        .as_array()
        .ok_or("no files in manifest.json")?
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap_or_default().to_string(),
                f["sha256"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    if listed != files {
        return Err(format!(
            "SHA256SUMS {listed:?} is not manifest.json's {files:?}"
        ));
    }
    let mut expected: Vec<String> = files.keys().cloned().collect();
    for target in manifest["targets"].as_array().ok_or("no targets")? {
        let name = target["requirements_file"].as_str().unwrap_or_default();
        let text = std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        if !text.contains(&format!("app=={app}")) {
            return Err(format!("{name} does not pin app=={app}"));
        }
        expected.push(name.to_string());
    }
    let sbom = read_json(&dir.join("sbom.cdx.json"))?;
    if !sbom.to_string().contains(&format!("pkg:pypi/app@{app}")) {
        return Err(format!("sbom.cdx.json does not describe app {app}"));
    }
    let vulnerable = app == "1.0";
    let scan = read_json(&dir.join("scan.json"))?;
    if scan.to_string().contains("PYSEC-1") != vulnerable {
        return Err(format!("scan.json is not the scan of app {app}: {scan}"));
    }
    let policy = read_json(&dir.join("policy.json"))?;
    if policy["passed"] != Value::Bool(!vulnerable) || policy["files_checked"] != files.len() {
        return Err(format!(
            "policy.json is not the policy of app {app}: {policy}"
        ));
    }
    if !std::fs::read_to_string(dir.join("pylock.toml"))
        .map_err(|e| e.to_string())?
        .contains(&format!("version = \"{app}\""))
    {
        return Err(format!("pylock.toml does not lock app {app}"));
    }
    expected.extend(
        [
            "SHA256SUMS",
            "manifest.json",
            "pylock.toml",
            "sbom.cdx.json",
            "scan.json",
            "policy.json",
        ]
        .map(String::from),
    );
    expected.sort();
    let present = names(dir);
    if present != expected {
        return Err(format!(
            "the folder holds {present:?}, expected {expected:?}"
        ));
    }
    Ok(app)
}

/// An index with app 1.0 and 2.0, each pulling in its own twelve libraries,
/// and an OSV database where app 1.0 is vulnerable.
fn app_index(home: &Path) -> TestIndex {
    let index = TestIndex::start(PageFormat::Json, true);
    let one: Vec<String> = (0..12).map(|i| format!("lib{i}==1.0")).collect();
    let two: Vec<String> = (0..12).map(|i| format!("lib{i}==2.0")).collect();
    let one: Vec<&str> = one.iter().map(String::as_str).collect();
    let two: Vec<&str> = two.iter().map(String::as_str).collect();
    index.add(&WheelSpec {
        requires_dist: &one,
        ..WheelSpec::new("app", "1.0", "py3-none-any")
    });
    index.add(&WheelSpec {
        requires_dist: &two,
        ..WheelSpec::new("app", "2.0", "py3-none-any")
    });
    for i in 0..12 {
        let name = format!("lib{i}");
        index.add(&WheelSpec::new(&name, "1.0", "py3-none-any"));
        index.add(&WheelSpec::new(&name, "2.0", "py3-none-any"));
    }
    write_files(
        home,
        &[(
            "osv/PYSEC-1.json",
            r#"{"id": "PYSEC-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "app"}, "versions": ["1.0"]}]}"#,
        )],
    );
    index
}

fn wheelhouse_command(home: &Path, index: &TestIndex, app: &str) -> Command {
    let mut command = chiron(home, &index.url());
    command.args([
        "wheelhouse",
        &format!("app=={app}"),
        "--python",
        "3.12",
        "--platform",
        "linux-x86_64,linux-aarch64",
        "--osv-db",
        "osv",
        "--out",
        "wh",
    ]);
    command
}

/// Builds the wheelhouse for `app` uninterrupted; app 1.0 fails the policy
/// (exit 1), 2.0 passes.
fn build_wheelhouse(home: &Path, index: &TestIndex, app: &str) {
    let (code, stderr) = run(wheelhouse_command(home, index, app));
    assert_eq!(code, if app == "1.0" { 1 } else { 0 }, "{stderr}");
}

/// Names next to the wheelhouse that are chiron's own work in progress.
fn is_chiron_leftover(name: &str, output: &str) -> bool {
    name == format!(".chiron-lock-{output}")
        || name == format!(".chiron-old-{output}")
        || name.starts_with(&format!(".chiron-staging-{output}-"))
        || name.starts_with(&format!(".chiron-tmp-{output}."))
}

/// What the home folder holds besides the outputs.
const HOME_ENTRIES: &[&str] = &["cache", "osv"];

#[test]
fn a_wheelhouse_killed_at_any_moment_is_the_old_or_the_new_one() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = app_index(h);
    let wh = h.join("wh");

    // References, and how long a run takes once the cache is warm.
    build_wheelhouse(h, &index, "1.0");
    build_wheelhouse(h, &index, "2.0");
    let mut reference = BTreeMap::new();
    let mut shortest = Duration::MAX;
    for app in ["1.0", "2.0"] {
        let started = Instant::now();
        build_wheelhouse(h, &index, app);
        shortest = shortest.min(started.elapsed());
        assert_eq!(wheelhouse_state(&wh).as_deref(), Ok(app));
        reference.insert(app.to_string(), snapshot(&wh));
    }
    // Deterministic: the same inputs give the same bytes, so "the complete
    // new wheelhouse" is one known state.
    build_wheelhouse(h, &index, "1.0");
    assert_eq!(snapshot(&wh), reference["1.0"], "two runs differ");

    // Kills spread over a whole run: from its start to its last write.
    eprintln!("a run takes {shortest:?}");
    let mut moments = Moments::new("wheelhouse");
    let window = shortest;
    let (mut interrupted, mut staged) = (0, std::collections::BTreeSet::new());
    let mut before = "1.0".to_string();
    for trial in 0..TRIALS {
        let app = if trial % 2 == 0 { "2.0" } else { "1.0" };
        let after = moments.below(window);
        interrupted += usize::from(kill_after(wheelhouse_command(h, &index, app), after));
        let state = wheelhouse_state(&wh)
            .unwrap_or_else(|e| panic!("trial {trial}, killed after {after:?}: {e}"));
        assert!(
            state == before || state == app,
            "trial {trial}: app {state}, neither the old {before} nor the new {app}"
        );
        assert_eq!(snapshot(&wh), reference[&state], "trial {trial}");
        for name in names(h) {
            assert!(
                name == "wh"
                    || HOME_ENTRIES.contains(&name.as_str())
                    || is_chiron_leftover(&name, "wh"),
                "trial {trial}: {name} next to the wheelhouse"
            );
            if name.starts_with(".chiron-staging-wh-") {
                staged.insert(name);
            }
        }
        before = state;
    }
    // The kills landed inside runs, not only before or after them, and
    // some while a new wheelhouse was half-built.
    let staged = staged.len();
    eprintln!("{interrupted} kills interrupted a run, {staged} left a staging folder");
    // A third, not a half: on a loaded machine later runs are faster than
    // the measured one, so kills near the window's end come after the run;
    // seen at 48 of 100 under a parallel build.
    assert!(
        interrupted >= TRIALS / 3,
        "only {interrupted} of {TRIALS} kills interrupted a run"
    );
    assert!(staged > 0, "no kill landed while a wheelhouse was staged");
    // The next run removes whatever the killed ones left.
    build_wheelhouse(h, &index, "2.0");
    assert_eq!(names(h), ["cache", "osv", "wh"]);
    assert_eq!(wheelhouse_state(&wh).as_deref(), Ok("2.0"));
}

#[test]
fn the_wheelhouse_never_goes_missing_while_it_is_replaced() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = app_index(h);
    build_wheelhouse(h, &index, "1.0");
    let wh = h.join("wh");
    let stop = Arc::new(AtomicBool::new(false));
    let (polls, missing) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let poller = {
        let (stop, polls, missing, wh) = (
            Arc::clone(&stop),
            Arc::clone(&polls),
            Arc::clone(&missing),
            wh.clone(),
        );
        std::thread::spawn(move || {
            let mut count = 0usize;
            while !stop.load(Ordering::Relaxed) {
                // Mostly the folder alone, the cheapest look, so the poller
                // is fast enough to fall between two renames; now and then
                // its reports.
                let whole = if count.is_multiple_of(16) {
                    ["manifest.json", "SHA256SUMS", "scan.json", "policy.json"]
                        .iter()
                        .all(|name| wh.join(name).is_file())
                } else {
                    std::fs::symlink_metadata(&wh).is_ok()
                };
                count += 1;
                missing.fetch_add(usize::from(!whole), Ordering::Relaxed);
            }
            polls.store(count, Ordering::Relaxed);
        })
    };
    for round in 0..16 {
        let app = if round % 2 == 0 { "2.0" } else { "1.0" };
        build_wheelhouse(h, &index, app);
        assert_eq!(wheelhouse_state(&wh).as_deref(), Ok(app));
    }
    stop.store(true, Ordering::Relaxed);
    poller.join().unwrap();
    let polls = polls.load(Ordering::Relaxed);
    assert!(polls > 1000, "only {polls} polls");
    assert_eq!(
        missing.load(Ordering::Relaxed),
        0,
        "the wheelhouse or one of its reports was missing in some of {polls} polls"
    );
}

#[test]
fn concurrent_runs_on_one_wheelhouse_take_turns() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = app_index(h);
    build_wheelhouse(h, &index, "1.0");
    let mut waited = false;
    for round in 0..3 {
        let runs: Vec<_> = ["2.0", "1.0", "2.0"]
            .iter()
            .map(|app| {
                let mut command = wheelhouse_command(h, &index, app);
                command.stdout(Stdio::null()).stderr(Stdio::piped());
                (*app, command.spawn().unwrap())
            })
            .collect();
        for (app, child) in runs {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            waited |= stderr.contains("waiting for another chiron run");
            assert_eq!(
                output.status.code(),
                Some(if app == "1.0" { 1 } else { 0 }),
                "round {round}: {stderr}"
            );
        }
        let state = wheelhouse_state(&h.join("wh")).unwrap();
        assert!(state == "1.0" || state == "2.0");
        assert_eq!(names(h), ["cache", "osv", "wh"], "round {round}");
    }
    assert!(waited, "three runs at once, and none waited for another");
}

/// The cached copy of the file with this sha256, wherever the cache keeps it.
fn cached_blob(cache: &Path, sha256: &str) -> PathBuf {
    let mut stack = vec![cache.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else if entry.file_name().to_string_lossy() == sha256 {
                return entry.path();
            }
        }
    }
    panic!("no cached copy of {sha256} in {}", cache.display());
}

/// GNU sha256sum's digest of `path` (fast where the test is unoptimised).
fn sha256_of(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn an_edited_wheelhouse_file_never_reaches_the_cache_and_is_repaired() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = app_index(h);
    build_wheelhouse(h, &index, "2.0");
    let wh = h.join("wh");
    let manifest = read_json(&wh.join("manifest.json")).unwrap();
    let file = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == "app-2.0-py3-none-any.whl")
        .unwrap()
        .clone();
    let sha256 = file["sha256"].as_str().unwrap();
    let wheel = wh.join("app-2.0-py3-none-any.whl");
    let blob = cached_blob(&h.join("cache"), sha256);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (w, b) = (
            std::fs::metadata(&wheel).unwrap(),
            std::fs::metadata(&blob).unwrap(),
        );
        assert_eq!(w.nlink(), 1, "the wheelhouse file has another name");
        assert_ne!((w.dev(), w.ino()), (b.dev(), b.ino()));

        // A wheelhouse an older chiron made, its files hard links into the
        // cache: an up-to-date run gives the wheelhouse its own copies.
        std::fs::remove_file(&wheel).unwrap();
        std::fs::hard_link(&blob, &wheel).unwrap();
        let (code, stderr) = run(wheelhouse_command(h, &index, "2.0"));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(std::fs::metadata(&wheel).unwrap().nlink(), 1);
        assert_eq!(std::fs::metadata(&blob).unwrap().nlink(), 1);
        assert_eq!(wheelhouse_state(&wh).as_deref(), Ok("2.0"));
    }

    // Edited in place, same size: only hashing finds it.
    let mut edit = std::fs::OpenOptions::new()
        .write(true)
        .open(&wheel)
        .unwrap();
    edit.write_all(b"XX").unwrap();
    drop(edit);
    assert_eq!(sha256_of(&blob), sha256, "the edit reached the cache");
    assert_ne!(sha256_of(&wheel), sha256);

    let mut locked = wheelhouse_command(h, &index, "2.0");
    locked.arg("--locked");
    let (code, stderr) = run(locked);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(
        stderr.contains("app-2.0-py3-none-any.whl has sha256"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_ne!(sha256_of(&wheel), sha256, "--locked changed nothing");

    let downloads = index.downloads("app-2.0-py3-none-any.whl");
    let (code, stderr) = run(wheelhouse_command(h, &index, "2.0"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("repairing"), "{stderr}");
    assert_eq!(sha256_of(&wheel), sha256, "not repaired");
    assert_eq!(
        index.downloads("app-2.0-py3-none-any.whl"),
        downloads,
        "repaired from the cache, not the index"
    );
    assert_eq!(wheelhouse_state(&wh).as_deref(), Ok("2.0"));
    let mut locked = wheelhouse_command(h, &index, "2.0");
    locked.arg("--locked");
    assert_eq!(run(locked).0, 0, "intact again");
}

#[test]
fn leftovers_of_killed_runs_are_recovered_or_removed_not_refused() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let index = app_index(h);
    build_wheelhouse(h, &index, "2.0");
    let wh = h.join("wh");
    let reference = snapshot(&wh);

    // A run of this version killed between the two renames of the
    // fallback swap, with another one's staging folder and temporary file,
    // and what older versions left: the old folder must come back.
    std::fs::rename(&wh, h.join(".chiron-old-wh")).unwrap();
    for dir in [".chiron-staging-wh-Ab12Cd", ".wh.staging-Ab12Cd"] {
        write_files(h, &[(&format!("{dir}/half.whl"), "partial")]);
    }
    write_files(h, &[(".chiron-tmp-wh.Ab12Cd", ""), (".wh.replaced/x", "")]);
    let mut locked = wheelhouse_command(h, &index, "2.0");
    locked.arg("--locked");
    let (code, stderr) = run(locked);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(snapshot(&wh), reference);
    assert_eq!(names(h), ["cache", "osv", "wh"]);

    // An older version's temporary report inside the wheelhouse: airgap
    // build packs the wheelhouse anyway and removes it.
    write_files(h, &[("wh/.scan.json.Ab12Cd.tmp", "{\"partial")]);
    let mut build = chiron(h, &index.url());
    build.args(["airgap", "build", "wh", "--unsigned", "-o", "b.tar.gz"]);
    let (code, stderr) = run(build);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(".scan.json.Ab12Cd.tmp"), "{stderr}");
    assert_eq!(snapshot(&wh), reference);
    let mut verify = chiron(h, &index.url());
    verify.args(["verify", "b.tar.gz"]);
    assert_eq!(run(verify).0, 0);
}

/// A wheel of `name` `version` with a 512 KiB payload that does not
/// compress (the bundle takes a while to write), and a RECORD that verifies.
fn big_wheel(name: &str, version: &str, seed: u64) -> (String, Vec<u8>) {
    use base64::Engine as _;
    let mut state = seed | 1;
    let payload: Vec<u8> = (0..1 << 19)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let dist_info = format!("{name}-{version}.dist-info");
    let files = [
        (format!("{name}/data.bin"), payload),
        (
            format!("{dist_info}/METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n")
                .into_bytes(),
        ),
        (
            format!("{dist_info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: chiron-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_vec(),
        ),
    ];
    let mut record = String::new();
    for (path, bytes) in &files {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
        record.push_str(&format!("{path},sha256={digest},{}\n", bytes.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (path, bytes) in files.iter().chain(std::iter::once(&(
        format!("{dist_info}/RECORD"),
        record.into_bytes(),
    ))) {
        zip.start_file(path.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    (
        format!("{name}-{version}-py3-none-any.whl"),
        buffer.into_inner(),
    )
}

fn bundle_command(home: &Path, wheelhouse: &str) -> Command {
    let mut command = chiron(home, "http://127.0.0.1:9/simple");
    command.args([
        "airgap",
        "build",
        wheelhouse,
        "--unsigned",
        "-o",
        "out/b.tar.gz",
    ]);
    command
}

#[test]
fn a_bundle_killed_at_any_moment_is_absent_old_or_new_and_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let files = h.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::create_dir_all(h.join("out")).unwrap();
    let index = PlainIndex::serve(&files);
    for (version, seed) in [("1.0", 7), ("2.0", 11)] {
        let (filename, bytes) = big_wheel("big", version, seed);
        index.put(&filename, &bytes);
        let mut command = chiron(h, &index.url());
        command.args([
            "wheelhouse",
            &format!("big=={version}"),
            "--python",
            "3.12",
            "--platform",
            "linux-x86_64",
            "--out",
            &format!("wh-{version}"),
        ]);
        let (code, stderr) = run(command);
        assert_eq!(code, 0, "{stderr}");
    }
    let bundle = h.join("out/b.tar.gz");

    // References: each wheelhouse's bundle, reproducible byte for byte.
    let mut reference = BTreeMap::new();
    let mut shortest = Duration::MAX;
    for version in ["1.0", "2.0", "1.0"] {
        let started = Instant::now();
        let (code, stderr) = run(bundle_command(h, &format!("wh-{version}")));
        shortest = shortest.min(started.elapsed());
        assert_eq!(code, 0, "{stderr}");
        let sha256 = sha256_of(&bundle);
        if let Some(earlier) = reference.insert(sha256.clone(), version) {
            assert_eq!(earlier, version, "two wheelhouses, one bundle");
        }
    }
    assert_eq!(reference.len(), 2, "the same wheelhouse gave two bundles");
    // The reference bundles are what tar and chiron verify accept.
    let listing = Command::new("tar")
        .arg("tzf")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(listing.status.success());
    assert!(String::from_utf8_lossy(&listing.stdout).contains("wheels/big-1.0-py3-none-any.whl"));
    std::fs::remove_file(&bundle).unwrap();

    eprintln!("a build takes {shortest:?}");
    let mut moments = Moments::new("airgap build");
    let window = shortest;
    let (mut interrupted, mut partial) = (0, std::collections::BTreeSet::new());
    let mut before: Option<&str> = None;
    for trial in 0..TRIALS {
        let version = if trial % 2 == 0 { "2.0" } else { "1.0" };
        let after = moments.below(window);
        interrupted += usize::from(kill_after(
            bundle_command(h, &format!("wh-{version}")),
            after,
        ));
        let state = match std::fs::metadata(&bundle) {
            Err(_) => None,
            Ok(_) => Some(*reference.get(&sha256_of(&bundle)).unwrap_or_else(|| {
                panic!("trial {trial}, killed after {after:?}: the bundle is neither old nor new")
            })),
        };
        assert!(
            state == before || state == Some(version),
            "trial {trial}: {state:?}, neither the old {before:?} nor the new {version}"
        );
        for name in names(&h.join("out")) {
            assert!(
                name == "b.tar.gz" || is_chiron_leftover(&name, "b.tar.gz"),
                "trial {trial}: {name} next to the bundle"
            );
            if name.starts_with(".chiron-tmp-b.tar.gz.") {
                partial.insert(name);
            }
        }
        for name in names(h) {
            assert!(
                ["cache", "files", "out", "wh-1.0", "wh-2.0"].contains(&name.as_str())
                    || is_chiron_leftover(&name, "wh-1.0")
                    || is_chiron_leftover(&name, "wh-2.0"),
                "trial {trial}: {name} next to the wheelhouses"
            );
        }
        before = state;
    }
    let partial = partial.len();
    eprintln!("{interrupted} kills interrupted a build, {partial} left a partial bundle");
    assert!(
        interrupted >= TRIALS / 2,
        "only {interrupted} of {TRIALS} kills interrupted a build"
    );
    assert!(partial > 0, "no kill landed while the bundle was written");
    // The next build removes every partial bundle the killed ones left.
    let (code, stderr) = run(bundle_command(h, "wh-2.0"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(names(&h.join("out")), ["b.tar.gz"]);
    assert_eq!(reference[&sha256_of(&bundle)], "2.0");
    let mut verify = chiron(h, "http://127.0.0.1:9/simple");
    verify.arg("verify").arg(&bundle);
    let (code, stderr) = run(verify);
    assert_eq!(code, 0, "{stderr}");
}

/// `keys generate`: the public key is shared as any file the user writes
/// (0666 less the umask), the private key is the owner's alone.
#[cfg(unix)]
#[test]
fn the_public_key_follows_the_umask_and_the_private_key_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    for (umask, public_mode) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let mut command = chiron(h, "http://127.0.0.1:9/simple");
        let program = command.get_program().to_owned();
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" keys generate"))
            .arg(program)
            .env_clear()
            .envs(
                command
                    .get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
            )
            .env("CHIRON_PASSWORD", "correct horse battery staple")
            .current_dir(h);
        command = shell;
        let (code, stderr) = run(command);
        assert_eq!(code, 0, "{stderr}");
        let mode = |name: &str| {
            std::fs::metadata(h.join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("cosign.pub"), public_mode, "umask {umask}");
        assert_eq!(mode("cosign.key"), 0o600, "umask {umask}");
        assert_eq!(names(h), ["cosign.key", "cosign.pub"]);
    }
}
