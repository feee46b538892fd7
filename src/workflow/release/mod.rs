//! `chiron release`: the plan (each package's next version from the
//! Conventional Commits since its last release tag, its changelog section,
//! the files that change, the tag), computed without writing anything;
//! then, with `--execute`, the gate, the writes, the release commit and
//! tags, the builds and the upload (`execute`).

mod execute;
mod package;
mod plan;
mod types;

pub use execute::{ExecuteRequest, PackageResult, ReleaseOutcome, execute, release_dir};
pub use plan::plan;
pub use types::{
    FileChange, IgnoredCommit, PackagePlan, PlannedCommit, Refusal, ReleasePlan, ReleaseRequest,
    VersionSource,
};
