//! Whether the working tree is clean: the paths `git status --porcelain`
//! would list.
//!
//! It reads only; it must not refresh or write the index.

use std::collections::BTreeSet;

use super::error::GitError;
use super::repo::Repo;

impl Repo {
    /// The sorted repo-relative paths that differ from HEAD: staged,
    /// modified, deleted, and untracked files git does not ignore, as
    /// `git status --porcelain` lists them (an untracked folder once, with
    /// a trailing `/`). A rename lists both its paths.
    pub fn dirty_paths(&self) -> Result<Vec<String>, GitError> {
        let what = "the status of the working tree";
        let status = self
            .inner
            .status(gix::progress::Discard)
            .map_err(self.read_error(what))?
            .untracked_files(gix::status::UntrackedFiles::Collapsed)
            .tree_index_track_renames(gix::status::tree_index::TrackRenames::Disabled)
            .index_worktree_rewrites(None)
            .into_iter(None)
            .map_err(self.read_error(what))?;
        let mut paths = BTreeSet::new();
        for item in status {
            let item = item.map_err(self.read_error(what))?;
            if let Some(path) = listed_path(&item) {
                paths.insert(path);
            }
        }
        Ok(paths.into_iter().collect())
    }
}

/// The path porcelain status would print for `item`, if it prints one.
fn listed_path(item: &gix::status::Item) -> Option<String> {
    match item {
        gix::status::Item::TreeIndex(change) => Some(lossy(change.location())),
        gix::status::Item::IndexWorktree(change) => {
            change.summary()?;
            let path = lossy(change.rela_path());
            Some(if is_folder(change) {
                format!("{path}/")
            } else {
                path
            })
        }
    }
}

/// Whether the walk collapsed an untracked folder into one entry.
fn is_folder(change: &gix::status::index_worktree::Item) -> bool {
    use gix::dir::entry::Kind;
    let entry = match change {
        gix::status::index_worktree::Item::DirectoryContents { entry, .. } => entry,
        gix::status::index_worktree::Item::Rewrite { dirwalk_entry, .. } => dirwalk_entry,
        gix::status::index_worktree::Item::Modification { .. } => return false,
    };
    matches!(entry.disk_kind, Some(Kind::Directory | Kind::Repository))
}

fn lossy(path: &gix::bstr::BStr) -> String {
    String::from_utf8_lossy(path).into_owned()
}

impl Repo {
    /// Whether git ignores the repo-relative `path` (a folder when
    /// `is_dir`), as `git check-ignore` answers, whether or not it exists.
    pub fn is_ignored(&self, path: &str, is_dir: bool) -> Result<bool, GitError> {
        let what = "the ignore rules";
        let index = self
            .inner
            .index_or_empty()
            .map_err(self.read_error("the index"))?;
        let mut stack = self
            .inner
            .excludes(
                &index,
                None,
                gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
            )
            .map_err(self.read_error(what))?;
        let mode = is_dir.then_some(gix::index::entry::Mode::DIR);
        let platform = stack
            .at_path(std::path::Path::new(path), mode)
            .map_err(self.read_error(what))?;
        Ok(platform.is_excluded())
    }

    /// Whether the repository is a shallow clone (its history cut off).
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        self.inner
            .is_shallow()
            .map_err(self.read_error("whether the clone is shallow"))
    }
}
