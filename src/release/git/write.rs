//! What a release writes to git: the release commit of the files it
//! changed, and the annotated tag.
//!
//! Everything goes through gitoxide, as `git add`, `git commit -- PATHS`
//! and `git tag -a` would do it: blobs through the repository's filters
//! (`.gitattributes`), index entries with fresh stat data, the branch
//! moved only if it still points where it was read.

use std::path::{Component, Path, PathBuf};

use gix::ObjectId;
use gix::bstr::BString;
use gix::objs::tree::EntryKind;

use super::error::GitError;
use super::repo::Repo;

/// A file of the working tree, read and stored as a blob.
struct Staged {
    path: BString,
    id: ObjectId,
    kind: EntryKind,
    stat: gix::index::entry::Stat,
}

impl Repo {
    /// Commits exactly `paths` (worktree files, repo-relative or absolute
    /// inside the working tree) on the current branch, HEAD's commit as
    /// the parent: their blobs are written, their index entries updated
    /// (with fresh stat data, so `git status` is clean for them), the tree
    /// is HEAD's with those files replaced (other staged changes stay
    /// staged, as with `git commit -- PATHS`), and the branch is moved.
    /// When no file changed, the commit is empty (as with
    /// `git commit --allow-empty`). The author and committer are the
    /// repository's (configuration and `GIT_AUTHOR_*`/`GIT_COMMITTER_*`);
    /// gitoxide does not guess one from the user and host names as git
    /// may, so a missing identity is an error. Returns the new commit's
    /// hex id.
    pub fn commit_paths(&self, paths: &[PathBuf], message: &str) -> Result<String, GitError> {
        let (branch, parent) = self.branch_tip()?;
        self.require_identity()?;
        let mut index = self.index_to_update(parent)?;
        let staged = self.stage_files(paths, &index)?;
        let tree = self.tree_with(parent, &staged)?;
        let what = format!("the release commit on {}", branch.shorten());
        let id = self
            .inner
            .commit("HEAD", with_final_newline(message), tree, [parent])
            .map_err(self.write_error(what))?
            .detach();
        update_index(&mut index, &staged);
        index.write(gix::index::write::Options::default()).map_err(
            self.write_error(format!("the index {}", self.inner.index_path().display())),
        )?;
        Ok(id.to_string())
    }

    /// Creates the annotated tag `name` on `commit` (a revision naming a
    /// commit) with `message`, the committer as tagger. Refuses a name
    /// git would refuse and a tag that exists.
    pub fn create_annotated_tag(
        &self,
        name: &str,
        commit: &str,
        message: &str,
    ) -> Result<(), GitError> {
        let full_name = self.tag_ref_name(name)?;
        let target = self.resolve_commit(commit)?;
        if self
            .inner
            .try_find_reference(full_name.as_str())
            .map_err(self.read_error(full_name.clone()))?
            .is_some()
        {
            return Err(GitError::TagExists {
                repo: self.workdir.clone(),
                tag: name.to_string(),
                commit: self.resolve_commit(&full_name)?.to_string(),
            });
        }
        let tagger = self.signature("committer")?;
        self.inner
            .tag(
                name,
                target,
                gix::object::Kind::Commit,
                Some(tagger),
                with_final_newline(message),
                gix::refs::transaction::PreviousValue::MustNotExist,
            )
            .map_err(self.write_error(format!("tag {name}")))?;
        Ok(())
    }

    /// `refs/tags/NAME`, if git would create it: a valid ref name that
    /// `git tag` accepts (not starting with `-`).
    fn tag_ref_name(&self, name: &str) -> Result<String, GitError> {
        let invalid = |reason: String| GitError::InvalidTagName {
            repo: self.workdir.clone(),
            name: name.to_string(),
            reason,
        };
        if name.starts_with('-') {
            return Err(invalid("git tag refuses it".into()));
        }
        let full_name = format!("refs/tags/{name}");
        gix::refs::FullName::try_from(full_name.as_str()).map_err(|e| invalid(e.to_string()))?;
        Ok(full_name)
    }

    fn require_identity(&self) -> Result<(), GitError> {
        self.signature("author")?;
        self.signature("committer")?;
        Ok(())
    }

    /// The configured author or committer.
    fn signature(&self, role: &'static str) -> Result<gix::actor::SignatureRef<'_>, GitError> {
        let signature = if role == "author" {
            self.inner.author()
        } else {
            self.inner.committer()
        };
        let missing = || GitError::MissingIdentity {
            repo: self.workdir.clone(),
            role,
        };
        let signature = signature
            .ok_or_else(missing)?
            .map_err(self.read_error(format!("the {role} date")))?;
        if signature.name.is_empty() || signature.email.is_empty() {
            return Err(missing());
        }
        Ok(signature)
    }

    /// The index as stored, or HEAD's tree as an index when there is no
    /// index file.
    fn index_to_update(&self, head: ObjectId) -> Result<gix::index::File, GitError> {
        let path = self.inner.index_path();
        let what = format!("the index {}", path.display());
        if path.exists() {
            return self.inner.open_index().map_err(self.read_error(what));
        }
        let tree = self
            .inner
            .find_commit(head)
            .and_then(|commit| commit.tree_id())
            .map_err(self.read_error(format!("commit {head}")))?;
        self.inner
            .index_from_tree(&tree)
            .map_err(self.read_error(what))
    }

    fn stage_files(
        &self,
        paths: &[PathBuf],
        index: &gix::index::File,
    ) -> Result<Vec<Staged>, GitError> {
        let (mut pipeline, _) = self
            .inner
            .filter_pipeline(None)
            .map_err(self.read_error("the filters of .gitattributes"))?;
        let mut relative: Vec<String> = paths
            .iter()
            .map(|path| self.repo_relative(path))
            .collect::<Result<_, _>>()?;
        // A path named twice (`a` and `./a`) is one index entry.
        relative.sort();
        relative.dedup();
        relative
            .into_iter()
            .map(|path| self.stage_file(&mut pipeline, path, index))
            .collect()
    }

    /// Stores the file at `relative` as a blob, with the stat data taken
    /// before reading it (as git does: a change while reading shows as a
    /// change later, not as a clean file).
    fn stage_file(
        &self,
        pipeline: &mut gix::filter::Pipeline<'_>,
        relative: String,
        index: &gix::index::File,
    ) -> Result<Staged, GitError> {
        let full = self.workdir.join(&relative);
        let relative = BString::from(relative);
        let io_error = |source| GitError::Io {
            repo: self.workdir.clone(),
            path: full.clone(),
            source,
        };
        let not_a_file = || GitError::NotAFile {
            repo: self.workdir.clone(),
            path: full.clone(),
        };
        let metadata =
            gix::index::fs::Metadata::from_path_no_follow(&full).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => not_a_file(),
                _ => io_error(e),
            })?;
        let stat = gix::index::entry::Stat::from_fs(&metadata)
            .map_err(|e| io_error(std::io::Error::other(e)))?;
        let blob = pipeline
            .worktree_file_to_object(relative.as_ref(), index)
            .map_err(self.write_error(format!("the blob of {}", full.display())))?;
        match blob {
            Some((
                id,
                kind @ (EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link),
                _,
            )) => Ok(Staged {
                path: relative,
                id,
                kind,
                stat,
            }),
            _ => Err(not_a_file()),
        }
    }

    /// `path` relative to the working tree, `/`-separated; refused when it
    /// leaves the working tree or names git's own folder (and when it is
    /// not UTF-8: the paths chiron writes are).
    fn repo_relative(&self, path: &Path) -> Result<String, GitError> {
        let outside = || GitError::PathOutside {
            repo: self.workdir.clone(),
            path: path.to_path_buf(),
        };
        let relative = if path.is_absolute() {
            self.strip_workdir(path).ok_or_else(outside)?
        } else {
            path.to_path_buf()
        };
        let mut parts = Vec::new();
        for component in relative.components() {
            match component {
                Component::Normal(part) => {
                    parts.push(part.to_str().ok_or_else(outside)?.to_string())
                }
                Component::CurDir => {}
                _ => return Err(outside()),
            }
        }
        if parts.is_empty() || parts[0].eq_ignore_ascii_case(".git") {
            return Err(outside());
        }
        Ok(parts.join("/"))
    }

    /// An absolute path made relative to the working tree, through
    /// symbolic links (`/tmp` may be a link to `/private/tmp`).
    fn strip_workdir(&self, path: &Path) -> Option<PathBuf> {
        if let Ok(relative) = path.strip_prefix(&self.workdir) {
            return Some(relative.to_path_buf());
        }
        let workdir = self.workdir.canonicalize().ok()?;
        let parent = path.parent()?.canonicalize().ok()?;
        let relative = parent.strip_prefix(workdir).ok()?;
        Some(relative.join(path.file_name()?))
    }

    /// HEAD's tree with the staged files in place; returns the new tree.
    fn tree_with(&self, head: ObjectId, staged: &[Staged]) -> Result<ObjectId, GitError> {
        let what = format!("the tree of commit {head}");
        let tree = self
            .inner
            .find_commit(head)
            .and_then(|commit| commit.tree_id())
            .map_err(self.read_error(what.clone()))?;
        let mut editor = self
            .inner
            .edit_tree(tree)
            .map_err(self.read_error(what.clone()))?;
        for file in staged {
            editor
                .upsert(&file.path, file.kind, file.id)
                .map_err(self.write_error(format!("the tree entry of {}", file.path)))?;
        }
        Ok(editor
            .write()
            .map_err(self.write_error("the release tree"))?
            .detach())
    }
}

/// Replaces the index entries of the staged files (any conflict stages
/// included: staging a file resolves it, as `git add` does).
fn update_index(index: &mut gix::index::File, staged: &[Staged]) {
    let paths: std::collections::BTreeSet<&BString> =
        staged.iter().map(|file| &file.path).collect();
    index.remove_entries(|_, path, _| paths.contains(&BString::from(path)));
    for file in staged {
        let mode = match file.kind {
            EntryKind::BlobExecutable => gix::index::entry::Mode::FILE_EXECUTABLE,
            EntryKind::Link => gix::index::entry::Mode::SYMLINK,
            _ => gix::index::entry::Mode::FILE,
        };
        index.dangerously_push_entry(
            file.stat,
            file.id,
            gix::index::entry::Flags::empty(),
            mode,
            file.path.as_ref(),
        );
    }
    index.sort_entries();
    // The cached trees no longer match the entries; git rebuilds them.
    index.remove_tree();
}

/// Git ends a message with a newline (`git commit -m` and `git tag -m`
/// add one); so does the release.
fn with_final_newline(message: &str) -> String {
    if message.ends_with('\n') {
        message.to_string()
    } else {
        format!("{message}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::with_final_newline;

    #[test]
    fn messages_end_with_one_newline_as_git_writes_them() {
        for (message, stored) in [
            ("chore(release): 1.0.0", "chore(release): 1.0.0\n"),
            ("subject\n\nbody\n", "subject\n\nbody\n"),
            ("", "\n"),
        ] {
            assert_eq!(with_final_newline(message), stored);
        }
    }
}
