//! The git layer of `chiron release`, through gitoxide (no `git` process):
//! finding the repository ([`Repo`]), HEAD, whether the working tree is
//! clean, tags, the commits since the last release and the files they
//! changed, and writing the release commit and its annotated tag.
//!
//! `repo` (the [`Repo`] type and its helpers) and `error` are at the
//! bottom; `history`, `status` and `write` each add methods to [`Repo`].
//! This module must not decide versions or render changelogs.

mod error;
mod history;
mod repo;
mod status;
mod write;

pub use error::GitError;
pub use history::{Commit, Tag};
pub use repo::{Head, Repo};
