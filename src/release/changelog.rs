//! The changelog section of a release: commits grouped Keep-a-Changelog
//! style (`section`), rendered through a minijinja template (`render`,
//! built-in `changelog.md.j2` or the user's), and put at the top of the
//! existing file (`prepend`).
//!
//! Pure: text in, text out. It does not read git (the caller gives the
//! commits) nor write the file.
//!
//! Links follow GitHub's layout, which GitLab redirects too:
//! `{url}/commit/{hash}`, `{url}/issues/{n}`,
//! `{url}/compare/{previous}...{tag}`; without a repository URL the
//! changelog holds plain text.

use std::path::Path;

use serde::Serialize;

use super::commits::Conventional;

/// The built-in template.
pub const DEFAULT_TEMPLATE: &str = include_str!("changelog.md.j2");

/// One release's section of the changelog: the template's context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The version released (`1.3.0`).
    pub version: String,
    /// Its tag (`v1.3.0`).
    pub tag: String,
    /// The tag of the release before, if any.
    pub previous_tag: Option<String>,
    /// The release date, `YYYY-MM-DD`.
    pub date: String,
    /// The repository's web address, without credentials or `.git`.
    pub repository_url: Option<String>,
    /// The comparison of the previous tag with this one, when both the
    /// repository URL and a previous tag are known.
    pub compare_url: Option<String>,
    /// The groups that have entries, in order.
    pub groups: Vec<Group>,
}

/// A titled list of entries ("Features", "Bug fixes", ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The heading.
    pub title: String,
    /// Sorted by scope, unscoped first, commit order kept otherwise.
    pub entries: Vec<Entry>,
}

/// One line of the changelog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The commit's scope.
    pub scope: Option<String>,
    /// The commit's description, or a breaking note in "Breaking changes".
    pub description: String,
    /// The full commit id.
    pub commit: String,
    /// Its first seven characters.
    pub short: String,
    /// Whether the commit breaks compatibility.
    pub breaking: bool,
    /// The issues it refers to.
    pub references: Vec<Reference>,
    /// The commit's web page.
    pub commit_url: Option<String>,
}

/// An issue reference (`#12`) and its web page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// As written: `#12`.
    pub text: String,
    /// `{url}/issues/12`, when the repository URL is known.
    pub url: Option<String>,
}

/// What the caller knows of the release besides its commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// The version released.
    pub version: String,
    /// Its tag.
    pub tag: String,
    /// The previous release's tag.
    pub previous_tag: Option<String>,
    /// The release date, `YYYY-MM-DD`.
    pub date: String,
}

/// A user's template: its file (named in errors) and text.
#[derive(Debug, Clone, Copy)]
pub struct UserTemplate<'a> {
    /// Where the template was read from.
    pub path: &'a Path,
    /// The minijinja source.
    pub text: &'a str,
}

/// Why the changelog cannot be rendered or updated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangelogError {
    /// The template does not parse or does not render.
    #[error("{template}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        /// The template's file, or `the built-in changelog template`.
        template: String,
        /// The line the error is on, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The changelog already has a section for the version.
    #[error("the changelog already has a section for {version} (line {line})")]
    AlreadyReleased { version: String, line: usize },
}

impl crate::diagnose::Diagnose for ChangelogError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        crate::diagnose::ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Template { .. } => "fix the template; its variables are version, tag, previous_tag, date, repository_url, compare_url and groups (title, entries: scope, description, commit, short, breaking, references: text, url; commit_url)".into(),
            Self::AlreadyReleased { .. } => "release a new version, or remove that section from the changelog first".into(),
        })
    }
}

/// The groups, in order: title and which commits go in.
const TITLES: [&str; 5] = [
    "Breaking changes",
    "Features",
    "Bug fixes",
    "Performance",
    "Other changes",
];

fn group_index(kind: &str) -> usize {
    match kind {
        "feat" => 1,
        "fix" => 2,
        "perf" => 3,
        _ => 4,
    }
}

/// The section for `info` and its commits (id and parsed message, in the
/// order to show them), linked to `repository_url` when given.
pub fn section(
    info: ReleaseInfo,
    commits: &[(String, Conventional)],
    repository_url: Option<&str>,
) -> Section {
    let url = repository_url.and_then(web_url);
    let mut groups: [Vec<Entry>; 5] = Default::default();
    for (id, commit) in commits {
        let entry = entry(id, commit, url.as_deref());
        for note in &commit.breaking_notes {
            groups[0].push(Entry {
                description: note.clone(),
                ..entry.clone()
            });
        }
        groups[group_index(&commit.kind)].push(entry);
    }
    let compare_url = match (&url, &info.previous_tag) {
        (Some(url), Some(previous)) => Some(format!(
            "{url}/compare/{}...{}",
            path_escape(previous),
            path_escape(&info.tag)
        )),
        _ => None,
    };
    Section {
        version: info.version,
        tag: info.tag,
        previous_tag: info.previous_tag,
        date: info.date,
        repository_url: url,
        compare_url,
        groups: TITLES
            .iter()
            .zip(groups)
            .filter(|(_, entries)| !entries.is_empty())
            .map(|(title, mut entries)| {
                entries.sort_by(|a, b| a.scope.cmp(&b.scope));
                Group {
                    title: (*title).to_string(),
                    entries,
                }
            })
            .collect(),
    }
}

fn entry(id: &str, commit: &Conventional, url: Option<&str>) -> Entry {
    Entry {
        scope: commit.scope.clone(),
        description: commit.description.clone(),
        commit: id.to_string(),
        short: id.chars().take(7).collect(),
        breaking: commit.breaking,
        references: commit
            .references
            .iter()
            .map(|text| Reference {
                text: text.clone(),
                url: url.map(|url| format!("{url}/issues/{}", text.trim_start_matches('#'))),
            })
            .collect(),
        commit_url: url.map(|url| format!("{url}/commit/{}", path_escape(id))),
    }
}

/// The repository's web address: `git@host:owner/repo.git` and
/// `https://user:token@host/owner/repo.git/` both become
/// `https://host/owner/repo`. `None` when it is not a URL.
fn web_url(repository: &str) -> Option<String> {
    let repository = repository.trim();
    let text = match repository.strip_prefix("git@") {
        Some(scp) => {
            let (host, path) = scp.split_once(':')?;
            format!("https://{host}/{path}")
        }
        None => repository.to_string(),
    };
    let mut url = url::Url::parse(&text).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        // `ssh://git@host/path`: the same repository on the web.
        let web = format!("https://{}{}", url.host_str()?, url.path());
        url = url::Url::parse(&web).ok()?;
    }
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    url.set_query(None);
    url.set_fragment(None);
    let text = url.as_str().trim_end_matches('/');
    Some(text.strip_suffix(".git").unwrap_or(text).to_string())
}

/// A tag or id as a URL path: `/` kept (GitHub reads `pkg/v1` in compare
/// links), everything but unreserved characters percent-encoded.
fn path_escape(text: &str) -> String {
    let mut escaped = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

/// The section as Markdown, through the user's template or the built-in
/// one; the result ends with exactly one newline.
pub fn render(
    section: &Section,
    template: Option<UserTemplate<'_>>,
) -> Result<String, ChangelogError> {
    let (name, text) = match template {
        Some(user) => (user.path.display().to_string(), user.text),
        None => (
            "the built-in changelog template".to_string(),
            DEFAULT_TEMPLATE,
        ),
    };
    let template_error = |error: minijinja::Error| ChangelogError::Template {
        template: name.clone(),
        line: error.line(),
        message: match error.detail() {
            Some(detail) => format!("{}: {detail}", error.kind()),
            None => error.kind().to_string(),
        },
    };
    let mut environment = minijinja::Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(template_error)?;
    environment.set_syntax(syntax);
    environment.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    environment
        .add_template("changelog", text)
        .map_err(template_error)?;
    let rendered = environment
        .get_template("changelog")
        .and_then(|template| template.render(minijinja::value::Serde(section)))
        .map_err(template_error)?;
    Ok(format!("{}\n", rendered.trim_end()))
}

/// `existing` (the changelog file's text, `None` when there is none) with
/// `rendered` (the new section) after its header: the title and intro up
/// to the first `## ` heading are kept, then the new section, then every
/// older section byte for byte. A new file gets a `# Changelog` title.
/// Refused when a `## ` heading already names `version`.
pub fn prepend(
    existing: Option<&str>,
    rendered: &str,
    version: &str,
) -> Result<String, ChangelogError> {
    let existing = existing.filter(|text| !text.trim().is_empty());
    let Some(existing) = existing else {
        return Ok(format!("# Changelog\n\n{}\n", rendered.trim_end()));
    };
    let headings = section_headings(existing);
    if let Some((line, _)) = headings
        .iter()
        .find(|(_, heading)| heading_names(heading, version))
    {
        return Err(ChangelogError::AlreadyReleased {
            version: version.to_string(),
            line: *line,
        });
    }
    // The file's own line ending, as its first line has it.
    let newline = match existing.find('\n') {
        Some(end) if existing[..end].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    // The new section goes above the newest release, below an
    // `## [Unreleased]` section (Keep a Changelog keeps that on top).
    let newest = headings
        .iter()
        .find(|(_, heading)| !heading.to_ascii_lowercase().contains("unreleased"));
    let split = newest.map_or(existing.len(), |(_, heading)| {
        heading_offset(existing, heading)
    });
    let (header, rest) = existing.split_at(split);
    let new = rendered
        .trim_end()
        .replace("\r\n", "\n")
        .replace('\n', newline);
    let mut text = String::new();
    if !header.trim().is_empty() {
        // The header byte for byte, then one blank line.
        text.push_str(header);
        if !header.ends_with('\n') {
            text.push_str(newline);
        }
        if !(header.ends_with("\n\n") || header.ends_with("\n\r\n")) {
            text.push_str(newline);
        }
    }
    text.push_str(&new);
    text.push_str(newline);
    if !rest.is_empty() {
        text.push_str(newline);
        text.push_str(rest);
    }
    Ok(text)
}

/// Each `## ` heading outside code fences: its line number (1-based) and
/// its text (a slice of `text`, so its offset is known).
fn section_headings(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut headings = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with("## ") {
            headings.push((index + 1, line));
        }
    }
    headings
}

fn heading_offset(text: &str, heading: &str) -> usize {
    heading.as_ptr() as usize - text.as_ptr() as usize
}

/// Whether a `## ` heading is the section of `version`: `## 1.3.0`,
/// `## [1.3.0](...) - date`, `## v1.3.0`, `## [1.3] - date` (PEP 440
/// equality when both parse).
fn heading_names(heading: &str, version: &str) -> bool {
    let words = heading[3..].trim_start().trim_start_matches('[');
    let end = words
        .find(|c: char| c.is_whitespace() || c == ']' || c == '(')
        .unwrap_or(words.len());
    let named = &words[..end];
    let named = named
        .strip_prefix(['v', 'V'])
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(named);
    if named == version {
        return true;
    }
    match (
        named.parse::<pep440_rs::Version>(),
        version.parse::<pep440_rs::Version>(),
    ) {
        (Ok(named), Ok(version)) => named == version,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::commits::parse;

    fn info(previous: Option<&str>) -> ReleaseInfo {
        ReleaseInfo {
            version: "1.3.0".into(),
            tag: "v1.3.0".into(),
            previous_tag: previous.map(str::to_string),
            date: "2025-03-01".into(),
        }
    }

    fn commits() -> Vec<(String, Conventional)> {
        let messages = [
            ("1111111aaaaaaa", "fix(lock): keep hashes (#40)"),
            ("2222222bbbbbbb", "feat: a new flag\n\nCloses #12"),
            ("3333333ccccccc", "docs: typo"),
            (
                "4444444ddddddd",
                "feat(cli)!: rename --out\n\nBREAKING CHANGE: `--out` is now `--output`;\nscripts must change.",
            ),
            ("5555555eeeeeee", "perf: faster"),
            ("6666666fffffff", "feat(api): endpoint"),
            ("7777777aaaaaaa", "feat: second unscoped"),
            ("8888888bbbbbbb", "fix(cli): a ünïcode fix"),
        ];
        messages
            .iter()
            .map(|(id, message)| (id.to_string(), parse(message).unwrap()))
            .collect()
    }

    #[test]
    fn groups_in_order_sorted_by_scope() {
        let section = section(info(Some("v1.2.0")), &commits(), None);
        let titles: Vec<&str> = section.groups.iter().map(|g| g.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Breaking changes",
                "Features",
                "Bug fixes",
                "Performance",
                "Other changes"
            ]
        );
        let features: Vec<&str> = section.groups[1]
            .entries
            .iter()
            .map(|e| e.description.as_str())
            .collect();
        assert_eq!(
            features,
            ["a new flag", "second unscoped", "endpoint", "rename --out"]
        );
        assert_eq!(
            section.groups[0].entries[0].description,
            "`--out` is now `--output`;\nscripts must change."
        );
        assert_eq!(section.compare_url, None);
        assert!(section.groups[1].entries[0].commit_url.is_none());
    }

    #[test]
    fn empty_groups_are_left_out() {
        let only_fix = vec![("abc".to_string(), parse("fix: x").unwrap())];
        let section = section(info(None), &only_fix, Some("https://github.com/o/r"));
        assert_eq!(section.groups.len(), 1);
        assert_eq!(section.groups[0].entries[0].short, "abc");
        assert_eq!(section.compare_url, None);
    }

    #[test]
    fn repository_urls() {
        let cases = [
            ("https://github.com/o/r", Some("https://github.com/o/r")),
            ("https://github.com/o/r.git", Some("https://github.com/o/r")),
            ("https://github.com/o/r/", Some("https://github.com/o/r")),
            ("git@github.com:o/r.git", Some("https://github.com/o/r")),
            (
                "https://user:secret@gitlab.example.invalid/g/s/r.git",
                Some("https://gitlab.example.invalid/g/s/r"),
            ),
            (
                "ssh://git@github.com/o/r.git",
                Some("https://github.com/o/r"),
            ),
            ("not a url", None),
            ("", None),
        ];
        for (given, expected) in cases {
            assert_eq!(web_url(given).as_deref(), expected, "{given}");
        }
        assert_eq!(path_escape("pkg/v1.0#x"), "pkg/v1.0%23x");
    }

    #[test]
    fn default_template_with_links() {
        let section = section(
            info(Some("v1.2.0")),
            &commits(),
            Some("https://github.com/o/r.git"),
        );
        insta::assert_snapshot!(render(&section, None).unwrap());
    }

    #[test]
    fn default_template_plain() {
        let section = section(info(None), &commits(), None);
        insta::assert_snapshot!(render(&section, None).unwrap());
    }

    #[test]
    fn user_template_and_its_errors() {
        let section = section(info(None), &commits(), None);
        let path = Path::new("release/changelog.j2");
        let ok = UserTemplate {
            path,
            text: "# {{ version }}\n{% for g in groups %}{{ g.title }}: {{ g.entries | length }}\n{% endfor %}",
        };
        assert_eq!(
            render(&section, Some(ok)).unwrap(),
            "# 1.3.0\nBreaking changes: 1\nFeatures: 4\nBug fixes: 2\nPerformance: 1\nOther changes: 1\n"
        );
        let cases = [
            ("line one\n{{ version }\n", 2),
            ("a\nb\n{{ no_such_variable }}", 3),
            (
                "{% for g in groups %}\n{{ g.nope.deeper }}\n{% endfor %}",
                2,
            ),
            ("{% if %}", 1),
        ];
        for (text, line) in cases {
            let error = render(&section, Some(UserTemplate { path, text })).unwrap_err();
            assert!(
                matches!(&error, ChangelogError::Template { template, line: Some(l), .. }
                    if template == "release/changelog.j2" && *l == line),
                "{text:?}: {error:?}"
            );
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("release/changelog.j2:{line}: "))
            );
        }
    }

    #[test]
    fn prepend_keeps_header_and_older_sections() {
        let existing = "# Changelog\n\nAll notable changes.\n\n\n## [1.2.0] - 2025-01-01\n\n- old *entry*  \n\n## 1.1.0\n\n- older\n";
        let new = prepend(Some(existing), "## 1.3.0 - 2025-03-01\n\n- new\n", "1.3.0").unwrap();
        assert_eq!(
            new,
            "# Changelog\n\nAll notable changes.\n\n\n## 1.3.0 - 2025-03-01\n\n- new\n\n## [1.2.0] - 2025-01-01\n\n- old *entry*  \n\n## 1.1.0\n\n- older\n"
        );
        let older_start = existing.find("## [1.2.0]").unwrap();
        assert!(new.ends_with(&existing[older_start..]));
    }

    #[test]
    fn prepend_keeps_unreleased_on_top_and_the_header_bytes() {
        let existing =
            "# Changelog\n\n## [Unreleased]\n\n- soon\n\n## [1.2.0] - 2025-01-01\n\n- old\n";
        let new = prepend(
            Some(existing),
            "## [1.3.0] - 2025-03-01\n\n- new\n",
            "1.3.0",
        )
        .unwrap();
        assert_eq!(
            new,
            "# Changelog\n\n## [Unreleased]\n\n- soon\n\n## [1.3.0] - 2025-03-01\n\n- new\n\n## [1.2.0] - 2025-01-01\n\n- old\n"
        );
        // One CRLF line among LF lines: the header stays byte for byte.
        let mixed = "# Changelog\n\nIntro with a CRLF.\r\n\n## 1.0.0\n";
        let new = prepend(Some(mixed), "## 1.1.0\n", "1.1.0").unwrap();
        assert_eq!(
            new,
            "# Changelog\n\nIntro with a CRLF.\r\n\n## 1.1.0\n\n## 1.0.0\n"
        );
    }

    #[test]
    fn prepend_new_file_headerless_file_and_crlf() {
        assert_eq!(
            prepend(None, "## 1.0.0\n\n- x\n", "1.0.0").unwrap(),
            "# Changelog\n\n## 1.0.0\n\n- x\n"
        );
        assert_eq!(
            prepend(Some("  \n"), "## 1.0.0\n", "1.0.0").unwrap(),
            "# Changelog\n\n## 1.0.0\n"
        );
        assert_eq!(
            prepend(Some("## 0.9.0\n- y\n"), "## 1.0.0\n", "1.0.0").unwrap(),
            "## 1.0.0\n\n## 0.9.0\n- y\n"
        );
        assert_eq!(
            prepend(Some("# Log\r\nintro\r\n"), "## 1.0.0\n\n- x\n", "1.0.0").unwrap(),
            "# Log\r\nintro\r\n\r\n## 1.0.0\r\n\r\n- x\r\n"
        );
        assert_eq!(
            prepend(
                Some("# Log\r\n\r\n## 0.1.0\r\n- a\r\n"),
                "## 1.0.0\n",
                "1.0.0"
            )
            .unwrap(),
            "# Log\r\n\r\n## 1.0.0\r\n\r\n## 0.1.0\r\n- a\r\n"
        );
    }

    #[test]
    fn prepend_refuses_a_released_version() {
        let existing =
            "# Changelog\n\n```\n## 2.0.0 in a fence\n```\n\n## [v1.3](https://x) - 2025\n";
        let error = prepend(Some(existing), "## 1.3.0\n", "1.3.0").unwrap_err();
        assert_eq!(
            error,
            ChangelogError::AlreadyReleased {
                version: "1.3.0".into(),
                line: 7
            }
        );
        // A heading inside a code fence is not a section.
        let new = prepend(Some(existing), "## 2.0.0\n", "2.0.0").unwrap();
        assert!(new.starts_with("# Changelog\n\n```\n## 2.0.0 in a fence\n```\n\n## 2.0.0\n"));
        for heading in ["## 1.3.0", "## [1.3.0]", "## v1.3.0 (2025)", "## 1.3.0.0"] {
            assert!(
                prepend(Some(heading), "## 1.3.0\n", "1.3.0").is_err(),
                "{heading}"
            );
        }
        for heading in [
            "## 1.3.0rc1",
            "## 11.3.0",
            "## Unreleased",
            "### 1.3.0",
            "##1.3.0",
        ] {
            assert!(
                prepend(Some(heading), "## 1.3.0\n", "1.3.0").is_ok(),
                "{heading}"
            );
        }
    }
}
