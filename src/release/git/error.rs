//! What can go wrong reading or writing the release's git repository, each
//! case naming the repository and the ref, commit or path concerned.
//!
//! The bottom of `release::git`: every other file of the module returns
//! it. It must not do I/O.

use std::path::PathBuf;

use crate::diagnose::{Diagnose, ExitClass};

/// An error of the git layer of `chiron release`.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository contains the path.
    #[error("{} is not in a git repository", path.display())]
    NotARepo { path: PathBuf },
    /// A repository was found but could not be opened.
    #[error("cannot open the git repository at {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: gix::Error,
    },
    /// The repository has no working tree to read or commit files from.
    #[error("the git repository {} is bare: it has no working tree", repo.display())]
    Bare { repo: PathBuf },
    /// Reading an object, a ref, the index or the working tree failed.
    #[error("git repository {}: cannot read {what}: {source}", repo.display())]
    Read {
        repo: PathBuf,
        /// What was read: the ref, commit or path.
        what: String,
        #[source]
        source: gix::Error,
    },
    /// Writing an object, a ref or the index failed.
    #[error("git repository {}: cannot write {what}: {source}", repo.display())]
    Write {
        repo: PathBuf,
        /// What was written: the commit, tag, branch or index.
        what: String,
        #[source]
        source: gix::Error,
    },
    /// A revision that does not name a commit of the repository.
    #[error("git repository {}: {rev:?} is not a commit of this repository", repo.display())]
    UnknownRevision { repo: PathBuf, rev: String },
    /// HEAD points at a commit, not at a branch.
    #[error("git repository {}: HEAD is detached at {commit}, not on a branch", repo.display())]
    DetachedHead { repo: PathBuf, commit: String },
    /// The current branch has no commit yet.
    #[error("git repository {}: branch {branch} has no commits yet", repo.display())]
    UnbornHead { repo: PathBuf, branch: String },
    /// No name or email for the author or the committer.
    #[error("git repository {}: the {role} identity is not configured (name and email)", repo.display())]
    MissingIdentity {
        repo: PathBuf,
        /// `author` or `committer`.
        role: &'static str,
    },
    /// The tag to create exists already.
    #[error("git repository {}: tag {tag} exists already (on {commit})", repo.display())]
    TagExists {
        repo: PathBuf,
        tag: String,
        commit: String,
    },
    /// A tag name git would refuse.
    #[error("git repository {}: {name:?} is not a valid tag name: {reason}", repo.display())]
    InvalidTagName {
        repo: PathBuf,
        name: String,
        reason: String,
    },
    /// A path to commit that is not inside the working tree.
    #[error("git repository {}: {} is outside its working tree", repo.display(), path.display())]
    PathOutside { repo: PathBuf, path: PathBuf },
    /// A path to commit that is missing or not a file.
    #[error("git repository {}: {} is not a file in the working tree", repo.display(), path.display())]
    NotAFile { repo: PathBuf, path: PathBuf },
    /// A file system call on a path of the working tree failed.
    #[error("git repository {}: {}: {source}", repo.display(), path.display())]
    Io {
        repo: PathBuf,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Diagnose for GitError {
    fn exit_class(&self) -> ExitClass {
        match self {
            GitError::NotARepo { .. }
            | GitError::Bare { .. }
            | GitError::DetachedHead { .. }
            | GitError::UnbornHead { .. }
            | GitError::MissingIdentity { .. }
            | GitError::TagExists { .. }
            | GitError::InvalidTagName { .. }
            | GitError::PathOutside { .. }
            | GitError::NotAFile { .. } => ExitClass::Usage,
            GitError::Open { .. }
            | GitError::Read { .. }
            | GitError::Write { .. }
            | GitError::UnknownRevision { .. }
            | GitError::Io { .. } => ExitClass::Problems,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            GitError::NotARepo { path } => format!(
                "run chiron release in a git checkout, or create one with `git init {}` and a first commit",
                path.display()
            ),
            GitError::Bare { .. } => "run chiron release in a checkout with a working tree".into(),
            GitError::UnknownRevision { .. } => {
                "a shallow clone lacks older history: fetch it with `git fetch --unshallow --tags`".into()
            }
            GitError::DetachedHead { .. } => {
                "switch to the branch to release: `git switch <branch>`".into()
            }
            GitError::UnbornHead { .. } => "make a first commit before releasing".into(),
            GitError::MissingIdentity { .. } => "set who makes the release commit: `git config user.name \"Your Name\"` and `git config user.email you@example.com` (or GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL and GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL)".into(),
            GitError::TagExists { tag, .. } => format!(
                "that version was released already: choose the next version, or delete the tag with `git tag -d {tag}` if it was a mistake"
            ),
            GitError::InvalidTagName { .. } => {
                "check the tag format of the release configuration (see `git check-ref-format`)".into()
            }
            GitError::PathOutside { .. } | GitError::NotAFile { .. } => {
                "only files inside the repository's working tree can be committed".into()
            }
            GitError::Open { .. } | GitError::Read { .. } | GitError::Io { .. } => {
                "check the repository with `git fsck` and the permissions of its files".into()
            }
            GitError::Write { .. } => {
                "check that the repository is writable and no other git process holds a lock (`.git/*.lock`)".into()
            }
        })
    }
}
