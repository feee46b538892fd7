//! Fuzzing on the stable toolchain: one target per parser that reads
//! files, flags or the network. Each target starts from its committed seed
//! corpus (`tests/fuzz/corpus/<target>/`, every reproducer of a past panic
//! among them) and runs mutated inputs for a bounded time
//! (`CHIRON_FUZZ_SECONDS`, default 2 per target; `.ci/fuzz` runs longer),
//! failing on any panic, with the input saved and printed.
//!
//! cargo-fuzz and libFuzzer need a nightly toolchain this project's CI does
//! not have, and proptest and arbitrary generate typed values rather than
//! mutating real documents byte by byte; so the mutator here is a small one
//! of our own (byte flips, insertions of the tokens that broke parsers
//! before, deletions, duplications and splices between seeds). The
//! `catch_unwind` is the harness's detector, not a fix: a panic fails.

use std::cell::Cell;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

mod targets;

/// The most bytes a mutated input may hold.
const MAX_INPUT: usize = 64 * 1024;

/// Tokens that broke parsers before, or that parsers treat specially.
const TOKENS: &[&str] = &[
    "-",
    ".",
    "_",
    "é",
    "€",
    "\u{feff}",
    "\0",
    "\n",
    "\r\n",
    "\t",
    " ",
    "==",
    "===",
    "~=",
    "!=",
    "<=",
    ">",
    ";",
    " and ",
    " or ",
    "[",
    "]",
    "(",
    ")",
    "'",
    "\"",
    "@",
    ",",
    "#",
    "\\",
    "/",
    "..",
    "../",
    "file:///etc/passwd",
    "http://",
    "://",
    "*",
    "=",
    "{",
    "}",
    "[[",
    "]]",
    "\"\"\"",
    "9999999999999999999999",
    "-1",
    "0",
    "1.0",
    "+local",
    ".post1",
    ".dev0",
    "a1",
    "rc1",
    "python_version",
    "sys_platform",
    "extra",
    "platform_machine",
    "os_name",
    " in ",
    " not in ",
    "<",
    "--hash=sha256:",
    "-r ",
    "-c ",
    "-e ",
    "--index-url ",
    "manylinux_2_17_x86_64",
    "py3",
    "none",
    "any",
    "cp311",
    ".whl",
    ".tar.gz",
    "Requires-Dist: ",
    "Name: ",
    "Version: ",
    "Metadata-Version: 2.4\n",
    "Requires-Python: ",
    "ustar",
    "\u{10ffff}",
    "\u{7f}",
    "%",
    "%00",
    "%2e%2e",
    "true",
    "null",
    "[]",
    "{}",
    ":",
    "\"size\": ",
    "-----BEGIN ",
    "-----END ",
    "PUBLIC KEY-----",
    "AAAA",
    "==\n",
];

/// A small, fast, seeded generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next_u64() as u8;
            }
            2 | 3 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let at = rng.below(len + 1);
                input.splice(at..at, token.iter().copied());
            }
            4 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(16));
                input.drain(at..at + n);
            }
            5 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                let copy: Vec<u8> = input[at..at + n].to_vec();
                let to = rng.below(len + 1);
                input.splice(to..to, copy);
            }
            6 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - from).min(256));
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            7 if len > 0 => input.truncate(rng.below(len)),
            _ => {
                // A line of the input repeated: long inputs, deep nesting.
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                for _ in 0..rng.below(64) {
                    input.splice(at..at, token.iter().copied());
                }
            }
        }
    }
    input.truncate(MAX_INPUT);
}

thread_local! {
    static FUZZING: Cell<bool> = const { Cell::new(false) };
}

fn quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| p.replace(format!("{location}: {info}")));
            } else {
                default(info);
            }
        }));
    });
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target)
}

fn seconds() -> f64 {
    std::env::var("CHIRON_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0)
}

/// Runs `target` on every seed, then on mutants until the time is up.
/// Returns the cases run; panics (failing the test) when any input made
/// the target panic.
pub fn fuzz(name: &str, target: &mut dyn FnMut(&[u8])) -> u64 {
    quiet_hook();
    let dir = corpus_dir(name);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}: every target has a seed corpus", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "{name}: empty corpus");
    let seed = std::env::var("CHIRON_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    let mut rng = Rng(seed
        ^ name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b)));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds());
    let mut cases = 0u64;
    let mut failures: Vec<(Vec<u8>, String)> = Vec::new();
    let mut run = |input: &[u8], cases: &mut u64, failures: &mut Vec<(Vec<u8>, String)>| {
        *cases += 1;
        FUZZING.with(|f| f.set(true));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| target(input)));
        FUZZING.with(|f| f.set(false));
        if result.is_err() && failures.len() < 5 {
            failures.push((input.to_vec(), LAST_PANIC.with(|p| p.take())));
        }
    };
    for s in &seeds {
        run(s, &mut cases, &mut failures);
    }
    let mut input = Vec::new();
    while Instant::now() < deadline && failures.is_empty() {
        input.clear();
        input.extend_from_slice(&seeds[rng.below(seeds.len())]);
        mutate(&mut rng, &seeds, &mut input);
        run(&input, &mut cases, &mut failures);
    }
    let report = format!("fuzz {name}: {cases} cases, {} panics", failures.len());
    println!("{report}");
    if let Ok(path) = std::env::var("CHIRON_FUZZ_REPORT") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(file, "{name}\t{cases}\t{}", failures.len()).unwrap();
    }
    if !failures.is_empty() {
        let saved = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("fuzz-crashes")
            .join(name);
        std::fs::create_dir_all(&saved).unwrap();
        let mut text = String::new();
        for (i, (input, message)) in failures.iter().enumerate() {
            let path = saved.join(format!("crash-{i}"));
            std::fs::write(&path, input).unwrap();
            text.push_str(&format!(
                "\n  {}: {message}\n  input: {:?}",
                path.display(),
                String::from_utf8_lossy(&input[..input.len().min(400)])
            ));
        }
        panic!(
            "{report}:{text}\n(add the input to {} once fixed)",
            dir.display()
        );
    }
    cases
}

/// A scratch file the path-based parsers read, rewritten per case.
pub struct Scratch {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Self { _dir: dir, root }
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

pub fn target() -> chiron::python::target::Target {
    chiron::python::target::Target::new(
        chiron::python::version::PythonVersion::from_str("3.11").unwrap(),
        chiron::python::target::Platform::from_str("manylinux_2_17_x86_64")
            .or_else(|_| chiron::python::target::Platform::from_str("linux-x86_64"))
            .unwrap(),
        chiron::python::target::Floors::default(),
    )
    .unwrap()
}
