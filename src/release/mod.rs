//! `chiron release`: the next version from Conventional Commits since the
//! last release tag, the changelog section, the files that carry the
//! version, the release commit and annotated tag.
//!
//! This module reads and writes git and text; it does not build, sign or
//! publish (`crate::workflow::release` runs those after it).

pub mod changelog;
pub mod commits;
pub mod error;
pub mod git;
pub mod tags;
pub mod version;
pub mod version_files;

pub use error::ReleaseError;
