//! The plan: each package's plan, then the release commit's message, the
//! tags, and what `--execute` would refuse.

use std::path::Path;
use std::str::FromStr;

use pep440_rs::Version;

use super::package::{self, RepoState};
use super::types::{
    IgnoredCommit, PackagePlan, Refusal, RefusalKind, ReleasePlan, ReleaseRequest, short,
};
use crate::error::Result;
use crate::release::ReleaseError;
use crate::release::git::{Head, Repo};
use crate::release::version::{BumpRules, PreKind};
use crate::workflow::Workspace;

/// Plans the release: reads git and the version files, writes nothing.
pub fn plan(ws: &Workspace, request: &ReleaseRequest) -> Result<ReleasePlan> {
    let release = &ws.config.config.release;
    let pre = request
        .pre
        .as_deref()
        .map(|text| {
            PreKind::from_str(text).map_err(|_| ReleaseError::PreKind {
                text: text.to_string(),
            })
        })
        .transpose()?;
    let wanted = request
        .version
        .as_deref()
        .map(|text| {
            Version::from_str(text).map_err(|_| ReleaseError::OverrideVersion {
                text: text.to_string(),
            })
        })
        .transpose()?;
    let repo = Repo::discover(&ws.config.root)?;
    let state = RepoState {
        head: repo.head()?,
        tags: repo.tags()?,
        repo,
    };
    let specs = package::specs(ws, state.repo.workdir(), &request.packages)?;
    let template = package::template(ws)?;
    let rules = bump_rules(release);
    let context = package::PlanContext {
        ws,
        state: &state,
        rules: &rules,
        pre,
        template: template
            .as_ref()
            .map(|(path, text)| (path.as_path(), text.as_str())),
    };
    let mut packages = specs
        .iter()
        .map(|spec| context.plan(spec))
        .collect::<Result<Vec<_>>>()?;
    if let Some(wanted) = &wanted {
        // The one package planned, else the one that would be released.
        let releasing: Vec<usize> = (0..packages.len())
            .filter(|i| packages.len() == 1 || packages[*i].next_version.is_some())
            .collect();
        let [only] = releasing[..] else {
            return Err(ReleaseError::OverrideNeedsOnePackage {
                count: releasing.len(),
            }
            .into());
        };
        packages[only] = context.plan_version(&specs[only], wanted)?;
    }
    check_strict(&packages, request.strict)?;
    Ok(finish(ws, state, packages))
}

fn bump_rules(release: &crate::config::ReleaseConfig) -> BumpRules {
    let mut rules = BumpRules {
        major_on_zero: release.major_on_zero,
        ..BumpRules::default()
    };
    for (kind, level) in &release.bump_types {
        rules
            .types
            .insert(kind.to_ascii_lowercase(), package::bump_of_level(*level));
    }
    rules
}

fn check_strict(packages: &[PackagePlan], strict: bool) -> Result<()> {
    if !strict {
        return Ok(());
    }
    let mut ignored: Vec<&IgnoredCommit> = packages.iter().flat_map(|p| &p.ignored).collect();
    ignored.sort_by(|a, b| a.id.cmp(&b.id));
    ignored.dedup_by(|a, b| a.id == b.id);
    if ignored.is_empty() {
        return Ok(());
    }
    let list = ignored
        .iter()
        .map(|c| format!("{} {}", short(&c.id), c.summary))
        .collect::<Vec<_>>()
        .join("; ");
    Err(ReleaseError::NotConventional {
        count: ignored.len(),
        list,
    }
    .into())
}

/// The commit message, tags and refusals of the packages' plans.
fn finish(ws: &Workspace, state: RepoState, packages: Vec<PackagePlan>) -> ReleasePlan {
    let release = &ws.config.config.release;
    let tags: Vec<String> = packages.iter().filter_map(|p| p.tag.clone()).collect();
    let changes = packages.iter().any(|p| !p.files.is_empty());
    let commit_message = (changes && !tags.is_empty())
        .then(|| release.commit_message.replace("{tags}", &tags.join(", ")));
    let refusals = refusals(ws, &state, &packages, &tags);
    ReleasePlan {
        repository: state.repo.workdir().to_path_buf(),
        branch: match &state.head {
            Head::Branch(name) => Some(name.clone()),
            _ => None,
        },
        packages,
        commit_message,
        tags,
        refusals,
    }
}

/// What `--execute` would refuse, in the order it checks.
fn refusals(
    ws: &Workspace,
    state: &RepoState,
    packages: &[PackagePlan],
    tags: &[String],
) -> Vec<Refusal> {
    let release = &ws.config.config.release;
    let output = ws.config.resolve(&release.output);
    let mut refusals = head_refusals(&state.head, &release.branches);
    let (dirty, _) = dirty_paths(&state.repo, &output);
    let in_output = output_not_ignored(&state.repo, &output);
    if !dirty.is_empty() {
        refusals.push(Refusal {
            message: format!("the working tree has changes: {}", dirty.join(", ")),
            hint: "commit or stash them (`git stash -u`)".into(),
            kind: RefusalKind::Dirty(dirty),
        });
    }
    if in_output {
        refusals.push(Refusal {
            message: format!("git does not ignore the release folder {}", output.display()),
            hint: "add it to .gitignore: a backend such as hatchling packs every file git does not ignore, earlier releases included, into the sdist".into(),
            kind: RefusalKind::OutputNotIgnored(output.clone()),
        });
    }
    for package in packages.iter().filter(|p| p.next_version.is_some()) {
        let missing = [
            crate::build::lock::REQUIREMENTS,
            crate::project::BUILD_PYLOCK,
        ]
        .iter()
        .any(|name| !package.dir.join(name).is_file());
        if missing {
            refusals.push(Refusal {
                message: format!("{} has no committed build lock", package.name),
                hint: format!(
                    "run `chiron build` in {} once and commit {} and {}, so the release builds from the same pinned wheels and leaves the tree clean",
                    package.dir.display(),
                    crate::build::lock::REQUIREMENTS,
                    crate::project::BUILD_PYLOCK
                ),
                kind: RefusalKind::NoBuildLock(package.name.clone()),
            });
        }
    }
    for tag in tags {
        if state.tags.iter().any(|t| &t.name == tag) {
            refusals.push(Refusal {
                message: format!("the tag `{tag}` exists already"),
                hint: "the version was released already: check `git tag`, or choose --version"
                    .into(),
                kind: RefusalKind::TagExists(tag.clone()),
            });
        }
    }
    refusals
}

/// Whether the release folder is inside the repository and git does not
/// ignore it (whether or not it exists yet).
fn output_not_ignored(repo: &Repo, output: &Path) -> bool {
    let Ok(relative) = output.strip_prefix(repo.workdir()) else {
        return false;
    };
    let relative = relative.to_string_lossy().replace('\\', "/");
    !relative.is_empty() && !repo.is_ignored(&relative, true).unwrap_or(false)
}

/// Changed paths of the working tree but for the release output folder,
/// and whether that folder shows up (untracked and not ignored).
fn dirty_paths(repo: &Repo, output: &Path) -> (Vec<String>, bool) {
    let relative = output
        .strip_prefix(repo.workdir())
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .filter(|p| !p.is_empty());
    let paths = match repo.dirty_paths() {
        Ok(paths) => paths,
        Err(error) => return (vec![format!("(cannot tell: {error})")], false),
    };
    let in_output = |path: &String| {
        relative.as_ref().is_some_and(|out| {
            let path = path.trim_end_matches('/');
            path == out || path.starts_with(&format!("{out}/"))
        })
    };
    let shows = paths.iter().any(in_output);
    (paths.into_iter().filter(|p| !in_output(p)).collect(), shows)
}

fn head_refusals(head: &Head, branches: &[String]) -> Vec<Refusal> {
    match head {
        Head::Branch(name) if branches.iter().any(|b| branch_matches(b, name)) => Vec::new(),
        Head::Branch(name) => {
            let allowed = if branches.is_empty() {
                "no branch ([release] branches is empty)".to_string()
            } else {
                branches.join(", ")
            };
            vec![Refusal {
                message: format!("releases are made from {allowed}"),
                hint: "switch to a release branch, or add this one to [release] branches".into(),
                kind: RefusalKind::Branch {
                    branch: name.clone(),
                    allowed,
                },
            }]
        }
        Head::Detached(commit) => vec![Refusal {
            message: format!("HEAD is detached at {}", short(commit)),
            hint: "check out a release branch: `git switch main`".into(),
            kind: RefusalKind::Detached(commit.clone()),
        }],
        Head::Unborn(branch) => vec![Refusal {
            message: format!("the branch `{branch}` has no commits yet"),
            hint: "commit the project first".into(),
            kind: RefusalKind::Unborn(branch.clone()),
        }],
    }
}

/// `pattern` with `*` matching any run of characters but `/`.
fn branch_matches(pattern: &str, branch: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == branch,
        Some((head, tail)) => {
            let Some(rest) = branch.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .take_while(|i| !rest[..*i].contains('/'))
                .any(|i| branch_matches(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::branch_matches;

    #[test]
    fn branch_patterns() {
        assert!(branch_matches("main", "main"));
        assert!(!branch_matches("main", "main2"));
        assert!(branch_matches("release/*", "release/1.x"));
        assert!(!branch_matches("release/*", "release/1.x/hot"));
        assert!(branch_matches("*", "feature"));
        assert!(!branch_matches("*", "a/b"));
        assert!(branch_matches("v*-maint", "v1-maint"));
    }
}
