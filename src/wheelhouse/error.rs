//! What can stop a wheelhouse from being built, locked or staged, each case
//! with the data to explain it and a hint.
//!
//! Below `build`, `lock` and `stage`, which all return it. It must not do
//! I/O or render for a terminal.

use std::path::PathBuf;

use crate::digest::Sha256;
use crate::index::client::IndexError;
use crate::manifest::TargetGap;
use crate::resolve::{ResolveError, SourceError};

#[derive(Debug, thiserror::Error)]
pub enum WheelhouseError {
    #[error("{}", describe_failures(.0))]
    Resolve(Vec<ResolveError>),
    /// Targets that cannot be served: all named at once, and nothing written.
    #[error("{}", describe_gaps(gaps, *servable))]
    Gaps {
        gaps: Vec<TargetGap>,
        /// How many of the declared targets could be served.
        servable: usize,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("the inputs changed since {} was written, and --locked forbids resolving again", manifest.display())]
    InputsChanged { manifest: PathBuf },
    #[error("the wheelhouse {} is damaged ({problem}), and --locked forbids repairing it", wheelhouse.display())]
    Damaged {
        wheelhouse: PathBuf,
        problem: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] crate::lock::pylock::PylockError),
    /// `--hash` pins of the requirements that the chosen files do not
    /// meet: files with other hashes, and packages no hash pins.
    #[error("{}", describe_hash_pins(mismatched, unpinned))]
    HashPins {
        mismatched: Vec<HashMismatch>,
        /// Normalised names, sorted.
        unpinned: Vec<String>,
    },
    /// A version in the lock that is not PEP 440.
    #[error("bad version in the lock: {source}")]
    LockedVersion {
        lock: PathBuf,
        package: String,
        #[source]
        source: pep440_rs::VersionParseError,
    },
    /// The metadata of a pinned package, which the resolution had read.
    #[error(transparent)]
    PinnedMetadata(SourceError),
    #[error("the download of {filename} was awaited twice")]
    DownloadAwaitedTwice { filename: String },
    /// The download task panicked or was cancelled.
    #[error("the download of {filename} failed: {source}")]
    DownloadTask {
        filename: String,
        #[source]
        source: tokio::task::JoinError,
    },
    /// The resolution task panicked or was cancelled.
    #[error("resolving target {target} failed on an internal error: {source}")]
    ResolveTask {
        target: String,
        #[source]
        source: tokio::task::JoinError,
    },
    /// A declared target that `resolve_all` returned neither a resolution
    /// nor a gap for.
    #[error("target {target} was not resolved")]
    Unresolved { target: String },
    /// A record of the wheelhouse (its manifest, SBOM or lock) that
    /// cannot be read, so cannot be added to.
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Sha256Sums {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn describe_failures(failures: &[ResolveError]) -> String {
    let texts: Vec<String> = failures.iter().map(ToString::to_string).collect();
    texts.join("\n\n")
}

/// A file whose sha256 is not one its package's `--hash` pins allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashMismatch {
    pub filename: String,
    pub sha256: Sha256,
    /// The allowed `sha256:HEX` values, sorted.
    pub pinned: Vec<String>,
}

fn describe_hash_pins(mismatched: &[HashMismatch], unpinned: &[String]) -> String {
    let mut problems: Vec<String> = mismatched
        .iter()
        .map(|m| {
            format!(
                "{} has sha256:{}, not one of the pinned {}",
                m.filename,
                m.sha256,
                m.pinned.join(", ")
            )
        })
        .collect();
    if !unpinned.is_empty() {
        problems.push(format!(
            "hashes are required once a requirement has them (pip's hash-checking mode), and none pin {}",
            unpinned.join(", ")
        ));
    }
    format!(
        "the files do not match the requirements' --hash pins; nothing was written:\n  {}",
        problems.join("\n  ")
    )
}

fn describe_gaps(gaps: &[TargetGap], servable: usize) -> String {
    let declared = gaps.len() + servable;
    let mut out = if servable == 0 {
        format!("no target of the {declared} declared can be served; nothing was written:")
    } else {
        format!(
            "{} of the {declared} declared targets cannot be served; nothing was written:",
            gaps.len()
        )
    };
    for gap in gaps {
        let what = if gap.packages.is_empty() {
            "no set of versions satisfies the requirements".to_string()
        } else {
            let names: Vec<&str> = gap.packages.iter().map(|p| p.package.as_str()).collect();
            format!("no wheel of {} fits", names.join(", "))
        };
        out.push_str(&format!(
            "\n\non target {} (CPython {} on {}): {what}",
            gap.name, gap.python, gap.platform
        ));
        for line in gap.reason.lines() {
            out.push_str(&format!("\n    {line}"));
        }
        if gap.packages.is_empty() {
            out.push_str(&format!("\n  fix: {}", gap.hint));
        }
        for package in &gap.packages {
            out.push_str(&format!("\n  fix {}: {}", package.package, package.hint));
        }
    }
    out
}

impl WheelhouseError {
    pub fn hint(&self) -> Option<String> {
        match self {
            WheelhouseError::Resolve(failures) => failures.first().and_then(ResolveError::hint),
            WheelhouseError::Gaps { gaps, servable } => {
                let fix = match gaps.as_slice() {
                    [only] if only.packages.is_empty() => only.hint.clone(),
                    _ => "make the change each `fix` line names".to_string(),
                };
                Some(if *servable == 0 {
                    fix
                } else {
                    format!(
                        "{fix}; or pass --allow-gaps (or set [targets] on-gap = \"skip\") to write \
                         the {servable} target(s) that can be served and record the gaps in manifest.json"
                    )
                })
            }
            WheelhouseError::Index(error) => error.hint(),
            WheelhouseError::InputsChanged { .. } => Some(
                "run without --locked to resolve again, or restore the inputs the wheelhouse \
                 was built from"
                    .into(),
            ),
            WheelhouseError::Damaged { .. } => Some(
                "run without --locked to repair it (the files come back from the cache or the \
                 index), or `chiron verify` it to see every difference"
                    .into(),
            ),
            WheelhouseError::Io { .. } => {
                Some("check the folder's permissions and free space".into())
            }
            WheelhouseError::Lock(_) => {
                Some("fix the lock, or resolve again from requirements without --lock".into())
            }
            WheelhouseError::HashPins { .. } => Some(
                "the requirements pin other files than the index serves: check where the files \
                 come from, or regenerate the hashes (`chiron lock`, \
                 `uv pip compile --generate-hashes`)"
                    .into(),
            ),
            WheelhouseError::LockedVersion { .. } => Some(
                "fix the version in the lock, or resolve again from requirements without --lock"
                    .into(),
            ),
            WheelhouseError::PinnedMetadata(error) => error.hint(),
            WheelhouseError::DownloadAwaitedTwice { .. }
            | WheelhouseError::DownloadTask { .. }
            | WheelhouseError::ResolveTask { .. }
            | WheelhouseError::Unresolved { .. } => Some(
                "this is a bug in chiron: please report it with the command and its inputs".into(),
            ),
            WheelhouseError::Unreadable { .. } => Some(
                "rebuild the wheelhouse with `chiron wheelhouse`, or `chiron verify` it to see what changed"
                    .into(),
            ),
            WheelhouseError::Sha256Sums { .. } => {
                Some("check the folder's permissions and free space".into())
            }
        }
    }
}

impl crate::diagnose::Diagnose for WheelhouseError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::wheelhouse::build::check_hash_pins;

    #[test]
    fn hash_pins_name_each_mismatch_then_the_unpinned_packages() {
        let pinned = Sha256::of(b"pinned");
        let served = Sha256::of(b"served");
        let pins = BTreeMap::from([(
            "attrs".to_string(),
            BTreeSet::from([format!("sha256:{pinned}")]),
        )]);
        let error = check_hash_pins(
            &pins,
            [
                ("attrs-24.2.0-py3-none-any.whl", &served),
                ("six-1.16.0-py2.py3-none-any.whl", &served),
                ("Idna-3.7-py3-none-any.whl", &served),
            ],
        )
        .unwrap_err();
        let WheelhouseError::HashPins {
            mismatched,
            unpinned,
        } = &error
        else {
            panic!("expected HashPins, got {error:?}");
        };
        assert_eq!(
            mismatched,
            &[HashMismatch {
                filename: "attrs-24.2.0-py3-none-any.whl".into(),
                sha256: served,
                pinned: vec![format!("sha256:{pinned}")],
            }]
        );
        assert_eq!(unpinned, &["idna", "six"]);
        assert_eq!(
            error.to_string(),
            format!(
                "the files do not match the requirements' --hash pins; nothing was written:\n  \
                 attrs-24.2.0-py3-none-any.whl has sha256:{served}, not one of the pinned \
                 sha256:{pinned}\n  \
                 hashes are required once a requirement has them (pip's hash-checking mode), \
                 and none pin idna, six"
            )
        );
    }

    #[test]
    fn no_pins_or_matching_pins_pass() {
        let digest = Sha256::of(b"wheel");
        let file = [("attrs-24.2.0-py3-none-any.whl", &digest)];
        assert!(check_hash_pins(&BTreeMap::new(), file).is_ok());
        let pins = BTreeMap::from([(
            "attrs".to_string(),
            BTreeSet::from([format!("sha256:{digest}")]),
        )]);
        assert!(check_hash_pins(&pins, file).is_ok());
    }
}
