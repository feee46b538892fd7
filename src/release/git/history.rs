//! The history a release reads: tags, the commits since the last release
//! with the files each one changed, and ancestry.
//!
//! It reads only; it must not write objects, refs or the index.

use std::collections::BTreeSet;

use gix::ObjectId;

use super::error::GitError;
use super::repo::Repo;

/// A tag pointing (through any tag objects) at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The short name, e.g. `v1.2.0`.
    pub name: String,
    /// The full hex id of the commit the tag peels to.
    pub commit: String,
    /// Whether the ref points at a tag object (`git tag -a`) rather than
    /// straight at the commit.
    pub annotated: bool,
}

/// A commit, as a changelog reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full hex id.
    pub id: String,
    /// The whole message, decoded as UTF-8 (invalid bytes replaced).
    pub message: String,
    /// `Name <email>`.
    pub author: String,
    /// The committer time, in seconds since the Unix epoch.
    pub time: i64,
    /// How many parents: 0 for a root commit, 2 or more for a merge.
    pub parents: usize,
    /// The repo-relative paths of the files changed against the first
    /// parent (every file for a root commit), sorted, as
    /// `git diff-tree -r --name-only` lists them (no rename detection: a
    /// rename lists both paths).
    pub paths: Vec<String>,
}

impl Repo {
    /// Every tag that peels to a commit, sorted by name. Tags of trees or
    /// blobs are left out: they cannot mark a release.
    pub fn tags(&self) -> Result<Vec<Tag>, GitError> {
        let platform = self
            .inner
            .references()
            .map_err(self.read_error("refs/tags"))?;
        let references = platform.tags().map_err(self.read_error("refs/tags"))?;
        let mut tags = Vec::new();
        for reference in references {
            let reference = reference.map_err(self.read_error("refs/tags"))?;
            if let Some(tag) = self.tag_of(reference)? {
                tags.push(tag);
            }
        }
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tags)
    }

    fn tag_of(&self, mut reference: gix::Reference<'_>) -> Result<Option<Tag>, GitError> {
        let name = reference.name().shorten().to_string();
        let what = format!("tag {name}");
        let Some(target) = reference.target().try_id().map(ToOwned::to_owned) else {
            return Ok(None);
        };
        let kind = self.object_kind(target, &what)?;
        let peeled = reference
            .peel_to_id()
            .map_err(self.read_error(what.clone()))?
            .detach();
        if self.object_kind(peeled, &what)? != gix::object::Kind::Commit {
            return Ok(None);
        }
        Ok(Some(Tag {
            name,
            commit: peeled.to_string(),
            annotated: kind == gix::object::Kind::Tag,
        }))
    }

    fn object_kind(&self, id: ObjectId, what: &str) -> Result<gix::object::Kind, GitError> {
        let header = self.inner.find_header(id).map_err(self.read_error(what))?;
        Ok(header.kind())
    }

    /// The commits reachable from HEAD but not from `since` (like
    /// `git log since..HEAD`), newest first by committer time. Before the
    /// first commit there are none.
    pub fn commits_since(&self, since: Option<&str>) -> Result<Vec<Commit>, GitError> {
        let Some(head) = self.head_commit_id()? else {
            return Ok(Vec::new());
        };
        let hidden: Vec<ObjectId> = since
            .map(|rev| self.resolve_commit(rev))
            .transpose()?
            .into_iter()
            .collect();
        let what = match since {
            Some(since) => format!("the history from HEAD ({head}) back to {since}"),
            None => format!("the history from HEAD ({head})"),
        };
        let sorting = gix::revision::walk::Sorting::ByCommitTime(
            gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
        );
        let walk = self
            .inner
            .rev_walk([head])
            .with_hidden(hidden)
            .sorting(sorting)
            .all()
            .map_err(self.read_error(what.clone()))?;
        let mut commits = Vec::new();
        for info in walk {
            let info = info.map_err(self.read_error(what.clone()))?;
            commits.push(self.commit_of(info.id)?);
        }
        Ok(commits)
    }

    fn commit_of(&self, id: ObjectId) -> Result<Commit, GitError> {
        let what = format!("commit {id}");
        let commit = self
            .inner
            .find_commit(id)
            .map_err(self.read_error(what.clone()))?;
        let decoded = commit.decode().map_err(self.read_error(what.clone()))?;
        let author = decoded
            .author()
            .map_err(self.read_error(what.clone()))?
            .trim();
        let committer = decoded.committer().map_err(self.read_error(what.clone()))?;
        let parents: Vec<ObjectId> = decoded.parents().collect();
        let tree = decoded.tree();
        Ok(Commit {
            id: id.to_string(),
            message: String::from_utf8_lossy(decoded.message).into_owned(),
            author: format!("{} <{}>", author.name, author.email),
            time: committer.seconds(),
            parents: parents.len(),
            paths: self.changed_paths(parents.first().copied(), tree, &what)?,
        })
    }

    /// The files that differ between the trees of `parent` (none: the
    /// empty tree) and `tree`.
    fn changed_paths(
        &self,
        parent: Option<ObjectId>,
        tree: ObjectId,
        what: &str,
    ) -> Result<Vec<String>, GitError> {
        let old = match parent {
            Some(parent) => self.tree_of_commit(parent, what)?,
            None => self.inner.empty_tree(),
        };
        let new = self.inner.find_tree(tree).map_err(self.read_error(what))?;
        let mut recorder = gix::diff::tree::Recorder::default();
        gix::diff::tree(
            gix::objs::TreeRefIter::from_bytes(&old.data, old.id.kind()),
            gix::objs::TreeRefIter::from_bytes(&new.data, new.id.kind()),
            &mut gix::diff::tree::State::default(),
            &self.inner.objects,
            &mut recorder,
        )
        .map_err(|e| (self.read_error(what))(gix::Error::from_error(e)))?;
        let paths: BTreeSet<String> = recorder.records.iter().filter_map(file_path).collect();
        Ok(paths.into_iter().collect())
    }

    fn tree_of_commit(&self, id: ObjectId, what: &str) -> Result<gix::Tree<'_>, GitError> {
        let commit = self.inner.find_commit(id).map_err(self.read_error(what))?;
        commit
            .tree()
            .map_err(self.read_error(format!("the tree of commit {id}")))
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors (like
    /// `git merge-base --is-ancestor`). Both are revisions: hex ids, tags,
    /// branches.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let ancestor_id = self.resolve_commit(ancestor)?;
        let descendant_id = self.resolve_commit(descendant)?;
        let base = self
            .inner
            .merge_base(ancestor_id, descendant_id)
            .map_err(self.read_error(format!(
            "the common history of {ancestor} ({ancestor_id}) and {descendant} ({descendant_id})"
        )))?;
        Ok(base.is_some_and(|base| base.detach() == ancestor_id))
    }
}

/// The path of a change to a file (not to a folder's tree entry).
fn file_path(change: &gix::diff::tree::recorder::Change) -> Option<String> {
    use gix::diff::tree::recorder::Change;
    let (mode, path) = match change {
        Change::Addition {
            entry_mode, path, ..
        }
        | Change::Deletion {
            entry_mode, path, ..
        }
        | Change::Modification {
            entry_mode, path, ..
        } => (entry_mode, path),
    };
    (!mode.is_tree()).then(|| String::from_utf8_lossy(path).into_owned())
}
