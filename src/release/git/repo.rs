//! The repository a release reads and writes: finding it, its working
//! tree, HEAD, and turning revisions into commits.
//!
//! Below the files that add reading (`history`, `status`) and writing
//! (`write`) to [`Repo`]; it imports only `error`.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::error::GitError;

/// A git repository with a working tree, opened through gitoxide.
pub struct Repo {
    pub(super) inner: gix::Repository,
    /// The working tree's root, as discovered.
    pub(super) workdir: PathBuf,
}

/// Where HEAD points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// On a branch with commits (its short name, e.g. `main`).
    Branch(String),
    /// At a commit (its full hex id), not on a branch.
    Detached(String),
    /// On a branch without commits yet (its short name).
    Unborn(String),
}

impl Repo {
    /// The repository containing `path`, searched upwards as git does,
    /// reading the system, global and repository configuration and the
    /// environment (`GIT_DIR`, `GIT_AUTHOR_NAME`, ...) like git.
    pub fn discover(path: &Path) -> Result<Repo, GitError> {
        let found = gix::discover_with_environment_overrides(path);
        Self::from_discovery(path, found)
    }

    /// The repository containing `path`, reading only the repository's
    /// own configuration: no system or global file, no environment
    /// variable (for runs that must not depend on the machine).
    pub fn discover_isolated(path: &Path) -> Result<Repo, GitError> {
        let found = gix::discover_opts(
            path,
            gix::discover::upwards::Options::default(),
            gix::open::Options::isolated(),
        );
        Self::from_discovery(path, found)
    }

    fn from_discovery(path: &Path, found: gix::Result<gix::Repository>) -> Result<Repo, GitError> {
        let inner = found.map_err(|source| {
            if source
                .downcast_any_ref::<gix::discover::upwards::Error>()
                .is_some_and(|e| {
                    !matches!(
                        e,
                        gix::discover::upwards::Error::NoTrustedGitRepository { .. }
                    )
                })
            {
                GitError::NotARepo {
                    path: path.to_path_buf(),
                }
            } else {
                GitError::Open {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let workdir = match inner.workdir() {
            Some(dir) => dir.to_path_buf(),
            None => {
                return Err(GitError::Bare {
                    repo: inner.git_dir().to_path_buf(),
                });
            }
        };
        Ok(Repo { inner, workdir })
    }

    /// The root of the working tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Where HEAD points.
    pub fn head(&self) -> Result<Head, GitError> {
        let head = self.inner.head().map_err(self.read_error("HEAD"))?;
        Ok(match head.kind {
            gix::head::Kind::Symbolic(reference) => {
                Head::Branch(reference.name.shorten().to_string())
            }
            gix::head::Kind::Unborn(name) => Head::Unborn(name.shorten().to_string()),
            gix::head::Kind::Detached { target, .. } => Head::Detached(target.to_string()),
        })
    }

    /// The branch HEAD is on and its commit; a detached or unborn HEAD is
    /// refused (a release commit belongs on a branch).
    pub(super) fn branch_tip(&self) -> Result<(gix::refs::FullName, ObjectId), GitError> {
        let head = self.inner.head().map_err(self.read_error("HEAD"))?;
        match head.kind {
            gix::head::Kind::Symbolic(reference) => {
                let gix::refs::Target::Object(id) = reference.target else {
                    return Err(GitError::UnknownRevision {
                        repo: self.workdir.clone(),
                        rev: reference.name.to_string(),
                    });
                };
                Ok((reference.name, id))
            }
            gix::head::Kind::Unborn(name) => Err(GitError::UnbornHead {
                repo: self.workdir.clone(),
                branch: name.shorten().to_string(),
            }),
            gix::head::Kind::Detached { target, .. } => Err(GitError::DetachedHead {
                repo: self.workdir.clone(),
                commit: target.to_string(),
            }),
        }
    }

    /// HEAD's commit (full hex id), or `None` before the first commit.
    pub fn head_commit(&self) -> Result<Option<String>, GitError> {
        Ok(self.head_commit_id()?.map(|id| id.to_string()))
    }

    /// HEAD's commit, or `None` before the first commit.
    pub(super) fn head_commit_id(&self) -> Result<Option<ObjectId>, GitError> {
        let mut head = self.inner.head().map_err(self.read_error("HEAD"))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let id = head
            .peel_to_commit()
            .map_err(self.read_error("the commit of HEAD"))?
            .id;
        Ok(Some(id))
    }

    /// The commit `rev` names (a hex id, a tag, a branch, `HEAD~2`...),
    /// tags peeled.
    pub(super) fn resolve_commit(&self, rev: &str) -> Result<ObjectId, GitError> {
        let unknown = || GitError::UnknownRevision {
            repo: self.workdir.clone(),
            rev: rev.to_string(),
        };
        let id = self.inner.rev_parse_single(rev).map_err(|_| unknown())?;
        let object = id.object().map_err(|_| unknown())?;
        let commit = object.peel_to_commit().map_err(|_| unknown())?;
        Ok(commit.id)
    }

    /// Turns a gix error into a read error about `what`.
    pub(super) fn read_error(
        &self,
        what: impl Into<String>,
    ) -> impl FnOnce(gix::Error) -> GitError {
        let repo = self.workdir.clone();
        let what = what.into();
        move |source| GitError::Read { repo, what, source }
    }

    /// Turns a gix error into a write error about `what`.
    pub(super) fn write_error(
        &self,
        what: impl Into<String>,
    ) -> impl FnOnce(gix::Error) -> GitError {
        let repo = self.workdir.clone();
        let what = what.into();
        move |source| GitError::Write { repo, what, source }
    }
}
