//! chiron picks the same wheel as real pip for every target in the table
//! produced by `tests/data/tags/generate.py` (see its README).

use std::collections::BTreeMap;
use std::str::FromStr;

use chiron::index::select::select_wheel;
use chiron::index::simple::IndexFile;
use chiron::python::target::{Floors, OsVersion, Platform, Target};
use chiron::python::version::PythonVersion;
use pep440_rs::VersionSpecifiers;
use pep508_rs::PackageName;
use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    generated_by: String,
    projects: BTreeMap<String, Vec<String>>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    python: String,
    platform: String,
    floors: BTreeMap<String, String>,
    platform_tags: Vec<String>,
    project: String,
    pip_chose: Option<String>,
}

fn index_file(filename: &str) -> IndexFile {
    IndexFile {
        filename: filename.to_string(),
        url: format!("http://127.0.0.1/{filename}"),
        hashes: BTreeMap::new(),
        requires_python: None,
        yanked: None,
        metadata: None,
        size: None,
        upload_time: None,
        source: "table".into(),
    }
}

#[test]
fn chiron_agrees_with_pip_on_every_case() {
    let text = include_str!("../data/tags/pip-selections.json");
    let table: Table = serde_json::from_str(text).unwrap();
    assert!(table.generated_by.contains("pip"));
    assert!(table.cases.len() >= 200);
    let mut disagreements = Vec::new();
    for case in &table.cases {
        let floor = |key: &str| case.floors[key].parse::<OsVersion>().unwrap();
        let floors = Floors::new(floor("glibc"), floor("musl"), floor("macos"));
        let python = PythonVersion::from_str(&case.python).unwrap();
        let platform = Platform::from_str(&case.platform).unwrap();
        let target = Target::new(python, platform, floors).unwrap();
        let label = format!("{} {} {:?}", target.name(), case.project, case.floors);
        if target.platform_tags() != case.platform_tags.as_slice() {
            let ours = target.platform_tags();
            let first = ours
                .iter()
                .zip(&case.platform_tags)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(case.platform_tags.len()));
            disagreements.push(format!(
                "{label}: platform tags differ at {first}: chiron {:?}, pip {:?} ({} vs {} tags)",
                ours.get(first),
                case.platform_tags.get(first),
                ours.len(),
                case.platform_tags.len()
            ));
            continue;
        }
        let files: Vec<IndexFile> = table.projects[&case.project]
            .iter()
            .map(|f| index_file(f))
            .collect();
        let project = PackageName::from_str(&case.project).unwrap();
        let chosen = select_wheel(
            &project,
            &files,
            &VersionSpecifiers::empty(),
            &target,
            false,
        )
        .ok()
        .map(|s| s.file.filename);
        if chosen != case.pip_chose {
            disagreements.push(format!(
                "{label}: chiron {chosen:?}, pip {:?}",
                case.pip_chose
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree with pip:\n{}",
        disagreements.len(),
        table.cases.len(),
        disagreements.join("\n")
    );
}
