//! The build comparison and normaliser (`chiron build --check`,
//! `--compare`) against an independent writer and readers: every input is
//! written by Python's own `zipfile`, `tarfile` and `gzip`
//! (`tests/data/dist_variants.py`), each variant differing from a base in
//! one aspect, and every normalised output is read back by them and by
//! GNU tar. Hostile archives end in errors that name the file and the
//! cause.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chiron::build::archive::Limits;
use chiron::build::compare::{self, CompareError, ContentDetail, Difference};
use chiron::build::normalize::{self, NormalizeError};
use chiron::error::Diagnose;
use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dist_variants.py");
const WHEEL: &str = "demo-1.0-py3-none-any.whl";
const SDIST: &str = "demo-1.0.tar.gz";
/// 2020-09-13T12:26:40Z: not the time the inputs were written with.
const EPOCH: u64 = 1_600_000_000;

fn python(args: &[&str]) -> String {
    let output = Command::new(support::oracle_tool("CHIRON_TEST_TOOLS_PYTHON", "python"))
        .arg(SCRIPT)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// One variant written by the script, and what comparing it with the base
/// must name: `(code, entry)` pairs.
struct Variant {
    name: String,
    file: PathBuf,
    expected: Vec<(String, Option<String>)>,
}

/// Writes the `kind` variants (`wheels`, `sdists`) into `root`.
fn variants(root: &Path, kind: &str, file: &str) -> BTreeMap<String, Variant> {
    python(&[kind, root.to_str().unwrap()]);
    let mut out = BTreeMap::new();
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Vec<(String, Option<String>)> =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        out.insert(
            name.clone(),
            Variant {
                name,
                file: dir.join(file),
                expected,
            },
        );
    }
    out
}

fn named(differences: &[Difference]) -> Vec<(String, Option<String>)> {
    let mut named: Vec<_> = differences
        .iter()
        .map(|d| (d.code().to_string(), d.entry().map(str::to_string)))
        .collect();
    named.sort();
    named
}

fn assert_names_exactly(variants: &BTreeMap<String, Variant>) {
    let base = &variants["base"].file;
    for variant in variants.values().filter(|v| v.name != "base") {
        let comparison = compare::compare(base, &variant.file).unwrap();
        let mut expected = variant.expected.clone();
        expected.sort();
        assert_eq!(
            named(&comparison.differences),
            expected,
            "{}:\n{}",
            variant.name,
            comparison.render()
        );
        assert!(!comparison.identical());
    }
}

fn content_detail(comparison: &compare::Comparison) -> &ContentDetail {
    comparison
        .differences
        .iter()
        .find_map(|d| match d {
            Difference::Content { detail, .. } => Some(detail),
            _ => None,
        })
        .unwrap()
}

/// A text change shows as a unified diff, a binary one as its first byte.
fn assert_content_details(variants: &BTreeMap<String, Variant>) {
    let base = &variants["base"].file;
    let text = compare::compare(base, &variants["text"].file).unwrap();
    let ContentDetail::Text { diff, truncated } = content_detail(&text) else {
        panic!("not a text diff:\n{}", text.render());
    };
    assert!(!truncated);
    assert!(diff.contains("-    return 7\n+    return 8\n"), "{diff}");
    assert!(
        diff.contains("--- left/") && diff.contains("+++ right/"),
        "{diff}"
    );
    assert!(
        text.render().contains("\n      -    return 7\n"),
        "{}",
        text.render()
    );
    let binary = compare::compare(base, &variants["binary"].file).unwrap();
    assert_eq!(
        content_detail(&binary),
        &ContentDetail::Binary {
            first_difference: Some(1234)
        },
        "{}",
        binary.render()
    );
    assert!(
        binary
            .render()
            .contains("3000 bytes each, first difference at byte 1234"),
        "{}",
        binary.render()
    );
}

#[test]
fn every_wheel_difference_is_named_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(dir.path(), "wheels", WHEEL);
    assert_names_exactly(&variants);
    assert_content_details(&variants);
    // The other way round, the extra file is only on the left.
    let reverse = compare::compare(&variants["only"].file, &variants["base"].file).unwrap();
    assert!(reverse.differences.contains(&Difference::OnlyInLeft {
        entry: "demo/extra.py".into()
    }));
    let record = compare::compare(&variants["base"].file, &variants["record"].file).unwrap();
    let Difference::RecordLine { left, right, .. } = &record.differences[0] else {
        panic!("{}", record.render());
    };
    assert!(
        left.as_ref()
            .unwrap()
            .starts_with("demo/__init__.py,sha256=")
    );
    assert_ne!(left, right);
}

#[test]
fn every_sdist_difference_is_named_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(dir.path(), "sdists", SDIST);
    assert_names_exactly(&variants);
    assert_content_details(&variants);
    let gzip = compare::compare(&variants["base"].file, &variants["gzip-mtime"].file).unwrap();
    assert_eq!(
        gzip.differences,
        [Difference::GzipHeader {
            field: "mtime".into(),
            left: "1700000000".into(),
            right: "0".into()
        }]
    );
}

#[test]
fn identical_files_compare_identical_and_reports_are_stable() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(dir.path(), "wheels", WHEEL);
    let copy = dir.path().join("copy").join(WHEEL);
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&variants["base"].file, &copy).unwrap();
    let same = compare::compare(&variants["base"].file, &copy).unwrap();
    assert!(same.identical());
    assert!(same.render().ends_with("are identical\n"));
    let text = compare::compare(&variants["base"].file, &variants["text"].file).unwrap();
    let json = serde_json::to_value(&text).unwrap();
    assert_eq!(json["identical"], false);
    assert_eq!(json["format"], "zip");
    let codes: Vec<&str> = json["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["content", "record-line"]);
    assert_eq!(json["differences"][0]["detail"]["kind"], "text");
    assert_eq!(
        json["differences"][0]["left-size"],
        json["differences"][0]["right-size"]
    );
    // Same inputs, same report.
    let again = compare::compare(&variants["base"].file, &variants["text"].file).unwrap();
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        serde_json::to_string(&text).unwrap()
    );
}

#[test]
fn files_that_are_not_two_of_a_kind_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(dir.path(), "wheels", WHEEL);
    let sdist = dir.path().join(SDIST);
    std::fs::write(&sdist, b"").unwrap();
    let error = compare::compare(&variants["base"].file, &sdist).unwrap_err();
    assert!(
        matches!(error, CompareError::DifferentFormats { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("is a wheel (zip)"), "{error}");
    assert_eq!(error.exit_class(), chiron::error::ExitClass::Usage);
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"x").unwrap();
    let error = compare::compare(&text, &text).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("notes.txt is not a wheel or an sdist"),
        "{error}"
    );
    assert!(error.hint().is_some());
}

/// Copies `file` to `dir/NAME/FILE` (the normaliser rewrites in place).
fn copy_into(dir: &Path, name: &str, file: &Path) -> PathBuf {
    let to = dir.join(name).join(file.file_name().unwrap());
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(file, &to).unwrap();
    to
}

fn inspect(kind: &str, path: &Path) -> Value {
    serde_json::from_str(&python(&[kind, path.to_str().unwrap()])).unwrap()
}

/// Python's view of each entry's bytes, by name.
fn entry_digests(inspected: &Value, list: &str) -> BTreeMap<String, String> {
    inspected[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"]
                    .as_str()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string(),
                e["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn wheels_differing_only_in_order_time_and_attributes_normalise_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(&dir.path().join("in"), "wheels", WHEEL);
    let out = dir.path().join("out");
    let mut normalised = Vec::new();
    for name in [
        "base",
        "order",
        "mtime",
        "permissions",
        "compression",
        "extra",
        "comment",
    ] {
        let path = copy_into(&out, name, &variants[name].file);
        let result = normalize::normalize_wheel(&path, EPOCH).unwrap();
        assert!(result.changed, "{name}");
        assert!(
            result.changes.iter().any(|d| d.code() == "timestamp"),
            "{name}: {:?}",
            result.changes
        );
        normalised.push((name, path));
    }
    let base = std::fs::read(&normalised[0].1).unwrap();
    for (name, path) in &normalised {
        assert!(
            std::fs::read(path).unwrap() == base,
            "{name} differs from base"
        );
        assert!(
            compare::compare(&normalised[0].1, path)
                .unwrap()
                .identical()
        );
    }
    // Normalising again changes nothing.
    let again = normalize::normalize_wheel(&normalised[0].1, EPOCH).unwrap();
    assert!(!again.changed && again.changes.is_empty());
    assert!(std::fs::read(&normalised[0].1).unwrap() == base);
    assert_python_sees_a_normal_wheel(&variants["base"].file, &normalised[0].1);
    // Nothing is left beside the output.
    let leftovers: Vec<_> = std::fs::read_dir(normalised[0].1.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

/// What `zipfile` reads from the normalised wheel: the same bytes under
/// the same names, RECORD true, and the normal fields.
fn assert_python_sees_a_normal_wheel(original: &Path, normalised: &Path) {
    let before = inspect("inspect-wheel", original);
    let after = inspect("inspect-wheel", normalised);
    assert_eq!(after["bad"], Value::Null, "zipfile's CRC check");
    assert_eq!(after["record_errors"], serde_json::json!([]));
    assert_eq!(
        entry_digests(&after, "entries"),
        entry_digests(&before, "entries")
    );
    assert_eq!(after["comment"], "");
    let names: Vec<&str> = after["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "demo/__init__.py",
            "demo/data.bin",
            "demo/mod.py",
            "demo/run.sh",
            "demo-1.0.dist-info/METADATA",
            "demo-1.0.dist-info/WHEEL",
            "demo-1.0.dist-info/entry_points.txt",
            "demo-1.0.dist-info/RECORD",
        ]
    );
    for entry in after["entries"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        assert_eq!(
            entry["date_time"],
            serde_json::json!([2020, 9, 13, 12, 26, 40]),
            "{name}"
        );
        let mode = if name.ends_with("run.sh") {
            0o100_755
        } else {
            0o100_644
        };
        assert_eq!(entry["mode"], mode, "{name}");
        assert_eq!(entry["create_system"], 3, "{name}");
        assert_eq!(entry["compress_type"], 8, "{name}");
        assert_eq!(entry["extra"], "", "{name}");
        assert_eq!(entry["comment"], "", "{name}");
    }
}

#[test]
fn folders_in_wheels_are_kept_first_and_0755() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(&dir.path().join("in"), "wheels", WHEEL);
    let path = copy_into(&dir.path().join("out"), "dirs", &variants["dirs"].file);
    assert!(normalize::normalize_wheel(&path, EPOCH).unwrap().changed);
    let after = inspect("inspect-wheel", &path);
    assert_eq!(after["record_errors"], serde_json::json!([]));
    let first = &after["entries"][0];
    assert_eq!(first["name"], "demo/");
    assert_eq!(first["mode"], 0o040_755);
    assert_eq!(after["entries"][1]["name"], "demo/__init__.py");
}

#[test]
fn a_wheel_whose_record_is_false_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(&dir.path().join("in"), "wheels", WHEEL);
    let path = copy_into(&dir.path().join("out"), "record", &variants["record"].file);
    let before = std::fs::read(&path).unwrap();
    let error = normalize::normalize_wheel(&path, EPOCH).unwrap_err();
    let NormalizeError::RecordFalse { entry, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(entry, "demo/__init__.py");
    let message = error.to_string();
    assert!(
        message.contains(WHEEL) && message.contains("its bytes hash to"),
        "{message}"
    );
    assert!(error.hint().unwrap().contains("RECORD"));
    assert!(std::fs::read(&path).unwrap() == before);
    let files = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(files, 1, "a temporary file was left");
}

#[test]
fn sdists_differing_only_in_metadata_normalise_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let variants = variants(&dir.path().join("in"), "sdists", SDIST);
    let out = dir.path().join("out");
    let mut normalised = Vec::new();
    for name in [
        "base",
        "order",
        "mtime",
        "permissions",
        "owner",
        "gzip-mtime",
        "gzip-filename",
        "gzip-stream",
    ] {
        let path = copy_into(&out, name, &variants[name].file);
        assert!(
            normalize::normalize_sdist(&path, EPOCH).unwrap().changed,
            "{name}"
        );
        normalised.push((name, path));
    }
    let base = std::fs::read(&normalised[0].1).unwrap();
    for (name, path) in &normalised {
        assert!(
            std::fs::read(path).unwrap() == base,
            "{name} differs from base"
        );
    }
    let again = normalize::normalize_sdist(&normalised[0].1, EPOCH).unwrap();
    assert!(!again.changed);
    assert_python_sees_a_normal_sdist(&variants["base"].file, &normalised[0].1);
    assert_gnu_tar_lists_normal_fields(&normalised[0].1);
}

fn assert_python_sees_a_normal_sdist(original: &Path, normalised: &Path) {
    let before = inspect("inspect-sdist", original);
    let after = inspect("inspect-sdist", normalised);
    assert_eq!(after["gzip"]["mtime"], 0);
    assert_eq!(after["gzip"]["fname"], false);
    assert_eq!(after["extracted"], before["extracted"]);
    assert_eq!(
        entry_digests(&after, "members"),
        entry_digests(&before, "members")
    );
    let members = after["members"].as_array().unwrap();
    let names: Vec<&str> = members
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.split('/').collect::<Vec<_>>());
    assert_eq!(names, sorted);
    assert!(
        names.iter().any(|n| n.len() > 100),
        "the long name survived: {names:?}"
    );
    for member in members {
        let name = member["name"].as_str().unwrap();
        assert_eq!(member["uid"], 0, "{name}");
        assert_eq!(member["gid"], 0, "{name}");
        assert_eq!(member["uname"], "", "{name}");
        assert_eq!(member["gname"], "", "{name}");
        assert_eq!(member["mtime"], EPOCH, "{name}");
        let mode = if member["type"] == "5" || name.ends_with("run.sh") {
            0o755
        } else {
            0o644
        };
        assert_eq!(member["mode"], mode, "{name}");
    }
}

/// `tar -tvzf`, in UTC: permissions, owner 0/0, the epoch's time.
fn assert_gnu_tar_lists_normal_fields(sdist: &Path) {
    let output = Command::new("tar")
        .env("TZ", "UTC")
        .args(["--numeric-owner", "-tvzf"])
        .arg(sdist)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let listing = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 9, "{listing}");
    for line in &lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(
            matches!(fields[0], "-rw-r--r--" | "-rwxr-xr-x" | "drwxr-xr-x"),
            "{line}"
        );
        assert_eq!(fields[1], "0/0", "{line}");
        assert_eq!((fields[3], fields[4]), ("2020-09-13", "12:26"), "{line}");
    }
    assert!(listing.contains("-rwxr-xr-x 0/0"), "{listing}");
    assert!(listing.contains("drwxr-xr-x 0/0"), "{listing}");
}

/// Small bounds, so that the bombs are caught quickly.
fn small_limits() -> Limits {
    Limits {
        max_entries: 1000,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 8 << 20,
        max_metadata_bytes: 1 << 20,
    }
}

#[test]
fn hostile_archives_are_errors_that_name_the_file_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    python(&["hostile", dir.path().to_str().unwrap()]);
    let wheel = dir.path().join(WHEEL);
    let sdist = dir.path().join(SDIST);
    for (file, words) in [
        ("truncated.whl", "no end of central directory record"),
        ("garbage.whl", "no end of central directory record"),
        ("empty.whl", "no end of central directory record"),
        ("crc.whl", "CRC"),
        ("duplicate.whl", "demo/a.py is stored twice"),
        (
            "bomb.whl",
            "demo/zeros.bin expands to 67108864 bytes, more than 1048576",
        ),
        ("many.whl", "lists 2000 entries, more than 1000"),
        ("renamed.whl", "its local header demo/b.py"),
        ("encrypted.whl", "demo/a.py: the entry is encrypted"),
        ("truncated.tar.gz", "not a readable tar.gz archive"),
        ("not-gzip.tar.gz", "does not start with a gzip header"),
        ("inner-garbage.tar.gz", "checksum"),
        ("checksum.tar.gz", "checksum"),
        ("pax-bomb.tar.gz", "more than 1048576"),
        (
            "bomb.tar.gz",
            "demo-1.0/zeros.bin holds 67108864 bytes, more than 1048576",
        ),
        ("duplicate.tar.gz", "demo-1.0/a.py is stored twice"),
    ] {
        let hostile = dir.path().join(file);
        let base = if file.ends_with(".whl") {
            &wheel
        } else {
            &sdist
        };
        let before = std::fs::read(&hostile).unwrap();
        let error = compare::compare_with_limits(base, &hostile, &small_limits()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(file), "{file}: {message}");
        assert!(message.contains(words), "{file}: {message}");
        assert!(error.hint().is_some_and(|h| !h.is_empty()), "{file}");
        let error = if file.ends_with(".whl") {
            normalize::normalize_wheel_with_limits(&hostile, EPOCH, &small_limits()).unwrap_err()
        } else {
            normalize::normalize_sdist_with_limits(&hostile, EPOCH, &small_limits()).unwrap_err()
        };
        assert!(error.to_string().contains(words), "{file}: {error}");
        assert!(
            std::fs::read(&hostile).unwrap() == before,
            "{file} was changed"
        );
    }
    let error = normalize::normalize_sdist(&dir.path().join("device.tar.gz"), EPOCH).unwrap_err();
    assert!(
        error.to_string().contains("demo-1.0/fifo is a FIFO"),
        "{error}"
    );
    let error = normalize::normalize_wheel(&dir.path().join("symlink.whl"), EPOCH).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("demo/link.py is a symbolic link"),
        "{error}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".chiron-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
