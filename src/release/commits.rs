//! Commit messages read as Conventional Commits 1.0.0
//! (<https://www.conventionalcommits.org/en/v1.0.0/>): the type, scope and
//! description of the subject line, the body, the footers, and what they
//! say about breaking changes and issue references.
//!
//! Pure: a message in, a parsed commit or the reason it is not one out. It
//! does not decide what a type is worth (that is `version`) nor how a
//! commit is shown (that is `changelog`).
//!
//! Choices the specification leaves open:
//! - CRLF line ends are read as LF; trailing whitespace of every line is
//!   dropped.
//! - The subject needs `: ` (a colon and whitespace) after the type, scope
//!   and `!`, as the specification says; `feat:x` is refused with a reason.
//! - The type is ASCII letters, digits, `-` and `_`, starting with a
//!   letter; it is lowercased. A scope is any text without parentheses,
//!   trimmed, not empty (`api/http`, `ci-cd`, `ünïcode` are scopes).
//! - The footers are the trailing paragraphs that each begin with a footer
//!   (`Token: value` or `Token #value`), reaching back to the first
//!   paragraph that begins with `BREAKING CHANGE:`; a line that is not a
//!   footer continues the value of the footer above it, blank lines
//!   included, so breaking notes may span paragraphs.
//! - `BREAKING CHANGE` and `BREAKING-CHANGE` count only in upper case.
//! - Issue references (`#123`) are read from the values of closing and
//!   referencing footers (`Closes`, `Fixes`, `Resolves`, `Refs`, ... in any
//!   case) and from trailing `(#123)` groups of the description, which are
//!   removed from it (the changelog links them instead).

/// A commit message that follows Conventional Commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// The type (`feat`, `fix`, ...), lowercased.
    pub kind: String,
    /// The scope between parentheses, trimmed.
    pub scope: Option<String>,
    /// Whether the commit breaks compatibility: `!` before the colon or a
    /// `BREAKING CHANGE` / `BREAKING-CHANGE` footer.
    pub breaking: bool,
    /// The subject after `: `, trimmed, without trailing `(#123)` groups.
    pub description: String,
    /// The text between the subject and the footers, if any.
    pub body: Option<String>,
    /// The footers in the order written.
    pub footers: Vec<Footer>,
    /// What breaks: the values of the breaking footers, or the description
    /// when only `!` says so.
    pub breaking_notes: Vec<String>,
    /// Issue references (`#123`) in first-seen order, without repeats.
    pub references: Vec<String>,
}

/// One footer: `Token: value` or `Token #value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// The token as written (`Reviewed-by`, `BREAKING CHANGE`).
    pub token: String,
    /// The value, lines joined with `\n`. With the `#` separator the `#` is
    /// kept (`Closes #12` has the value `#12`).
    pub value: String,
}

/// A commit message that is not a Conventional Commit, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Conventional Commit: {reason}")]
pub struct NotConventional {
    /// Why the subject line does not parse.
    pub reason: String,
}

impl crate::diagnose::Diagnose for NotConventional {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        crate::diagnose::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        Some(
            "write the subject as `type(scope): description`, e.g. `fix(parser): accept CRLF` \
             (https://www.conventionalcommits.org)"
                .into(),
        )
    }
}

fn refuse<T>(reason: impl Into<String>) -> Result<T, NotConventional> {
    Err(NotConventional {
        reason: reason.into(),
    })
}

/// Footer tokens whose values name issues the commit closes or refers to.
const REFERENCE_TOKENS: &[&str] = &[
    "close",
    "closes",
    "closed",
    "fix",
    "fixes",
    "fixed",
    "resolve",
    "resolves",
    "resolved",
    "ref",
    "refs",
    "references",
    "related",
    "see",
    "part-of",
];

/// Parses a commit message as a Conventional Commit.
pub fn parse(message: &str) -> Result<Conventional, NotConventional> {
    let normalised = message.replace("\r\n", "\n");
    let lines: Vec<&str> = normalised.lines().map(str::trim_end).collect();
    let Some(start) = lines.iter().position(|line| !line.is_empty()) else {
        return refuse("the message is empty");
    };
    let subject = parse_subject(lines[start])?;
    let rest = &lines[start + 1..];
    let footer_start = footer_start(rest);
    let body = join_paragraphs(&rest[..footer_start]);
    let footers = parse_footers(&rest[footer_start..]);
    Ok(assemble(subject, body, footers))
}

/// What the subject line says.
struct Subject {
    kind: String,
    scope: Option<String>,
    bang: bool,
    description: String,
}

fn parse_subject(line: &str) -> Result<Subject, NotConventional> {
    if line.starts_with("Merge ") {
        return refuse("a merge commit (`Merge ...`)");
    }
    if line.starts_with("Revert \"") {
        return refuse("a revert made by `git revert` (`Revert \"...\"`); use `revert: ...`");
    }
    let kind_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(line.len());
    let kind = &line[..kind_end];
    if kind.is_empty() || !kind.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return refuse("the subject does not start with a type (`feat`, `fix`, ...)");
    }
    let mut rest = &line[kind_end..];
    let scope = if let Some(after) = rest.strip_prefix('(') {
        let (scope, after) = parse_scope(after)?;
        rest = after;
        Some(scope)
    } else {
        None
    };
    let bang = rest.starts_with('!');
    if bang {
        rest = &rest[1..];
    }
    let description = parse_separator(kind, rest)?;
    Ok(Subject {
        kind: kind.to_ascii_lowercase(),
        scope,
        bang,
        description: description.to_string(),
    })
}

/// The scope up to `)`, and the text after it.
fn parse_scope(after_paren: &str) -> Result<(String, &str), NotConventional> {
    let Some(close) = after_paren.find([')', '(']) else {
        return refuse("the scope's `(` is never closed");
    };
    if after_paren[close..].starts_with('(') {
        return refuse("a scope cannot contain `(`");
    }
    let scope = after_paren[..close].trim();
    if scope.is_empty() {
        return refuse("the scope between `(` and `)` is empty");
    }
    Ok((scope.to_string(), &after_paren[close + 1..]))
}

/// The description after `: `, checking the separator.
fn parse_separator<'a>(kind: &str, rest: &'a str) -> Result<&'a str, NotConventional> {
    let Some(after_colon) = rest.strip_prefix(':') else {
        return match rest.chars().next() {
            None => refuse(format!("no `:` after the type `{kind}`")),
            Some(c) if c.is_whitespace() => refuse(format!(
                "whitespace after the type `{kind}` where `(scope)`, `!` or `:` belongs"
            )),
            Some(c) => refuse(format!(
                "`{c}` after the type `{kind}` where `(scope)`, `!` or `:` belongs"
            )),
        };
    };
    if !after_colon.starts_with(char::is_whitespace) && !after_colon.is_empty() {
        return refuse("the `:` after the type must be followed by a space");
    }
    let description = after_colon.trim();
    if description.is_empty() {
        return refuse("the description after `:` is empty");
    }
    Ok(description)
}

/// Whether a line starts a footer, and its token and value if so.
fn footer_line(line: &str) -> Option<(&str, &str)> {
    for token in ["BREAKING CHANGE", "BREAKING-CHANGE"] {
        if let Some(value) = line.strip_prefix(token).and_then(|v| v.strip_prefix(": ")) {
            return Some((token, value));
        }
    }
    let token_end = line
        .find(|c: char| !(c.is_alphanumeric() || c == '-'))
        .unwrap_or(line.len());
    let token = &line[..token_end];
    if token.is_empty() || token.starts_with('-') {
        return None;
    }
    let rest = &line[token_end..];
    if let Some(value) = rest.strip_prefix(": ") {
        return Some((token, value));
    }
    // The `#` belongs to the value: `Closes #12` refers to `#12`.
    rest.strip_prefix(' ')
        .filter(|value| value.starts_with('#'))
        .map(|value| (token, value))
}

fn is_breaking_token(token: &str) -> bool {
    token == "BREAKING CHANGE" || token == "BREAKING-CHANGE"
}

/// Where the footers begin among the lines after the subject
/// (`lines.len()` when there are none).
fn footer_start(lines: &[&str]) -> usize {
    let paragraph_starts: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].is_empty() && (i == 0 || lines[i - 1].is_empty()))
        .collect();
    let mut start = lines.len();
    for &first in paragraph_starts.iter().rev() {
        if footer_line(lines[first]).is_none() {
            break;
        }
        start = first;
    }
    let first_breaking = paragraph_starts.iter().copied().find(|&first| {
        footer_line(lines[first]).is_some_and(|(token, _)| is_breaking_token(token))
    });
    first_breaking.map_or(start, |breaking| breaking.min(start))
}

/// The lines as one text, without the blank lines around it.
fn join_paragraphs(lines: &[&str]) -> Option<String> {
    let first = lines.iter().position(|line| !line.is_empty())?;
    let last = lines.iter().rposition(|line| !line.is_empty())?;
    Some(lines[first..=last].join("\n"))
}

fn parse_footers(lines: &[&str]) -> Vec<Footer> {
    let mut footers: Vec<(String, Vec<&str>)> = Vec::new();
    for line in lines {
        match (footer_line(line), footers.last_mut()) {
            (Some((token, value)), _) => footers.push((token.to_string(), vec![value])),
            (None, Some((_, values))) => values.push(line),
            (None, None) => {}
        }
    }
    footers
        .into_iter()
        .map(|(token, values)| Footer {
            token,
            value: join_paragraphs(&values).unwrap_or_default(),
        })
        .collect()
}

fn assemble(subject: Subject, body: Option<String>, footers: Vec<Footer>) -> Conventional {
    let (description, mut references) = split_trailing_references(&subject.description);
    let mut breaking_notes: Vec<String> = footers
        .iter()
        .filter(|footer| is_breaking_token(&footer.token))
        .map(|footer| footer.value.clone())
        .collect();
    let breaking = subject.bang || !breaking_notes.is_empty();
    if breaking_notes.is_empty() && subject.bang {
        breaking_notes.push(description.clone());
    }
    for footer in &footers {
        if REFERENCE_TOKENS.contains(&footer.token.to_lowercase().as_str()) {
            references.extend(issue_references(&footer.value));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    references.retain(|reference| seen.insert(reference.clone()));
    Conventional {
        kind: subject.kind,
        scope: subject.scope,
        breaking,
        description,
        body,
        footers,
        breaking_notes,
        references,
    }
}

/// The description without trailing `(#123)` groups, and those references
/// in the order written. A description that is nothing but references is
/// kept whole.
fn split_trailing_references(description: &str) -> (String, Vec<String>) {
    let mut text = description;
    let mut references = Vec::new();
    while let Some(open) = text.strip_suffix(')').and_then(|t| t.rfind("(#")) {
        let number = &text[open + 2..text.len() - 1];
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        let before = text[..open].trim_end();
        if before.is_empty() {
            break;
        }
        references.insert(0, format!("#{number}"));
        text = before;
    }
    (text.to_string(), references)
}

/// The `#123` words of a footer value (`#12, #13`, `#12 and #13`).
fn issue_references(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|word| word.trim_end_matches(['.', ')']))
        .filter(|word| {
            word.strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(message: &str) -> Conventional {
        match parse(message) {
            Ok(commit) => commit,
            Err(error) => panic!("{message:?}: {error}"),
        }
    }

    fn reason(message: &str) -> String {
        match parse(message) {
            Ok(commit) => panic!("{message:?} parsed as {commit:?}"),
            Err(error) => error.reason,
        }
    }

    #[test]
    fn subjects() {
        let cases: &[(&str, &str, Option<&str>, bool, &str)] = &[
            ("feat: add x", "feat", None, false, "add x"),
            ("Fix(Parser): y", "fix", Some("Parser"), false, "y"),
            (
                "feat(api/http)!: drop v1",
                "feat",
                Some("api/http"),
                true,
                "drop v1",
            ),
            ("ci(ci-cd): z  ", "ci", Some("ci-cd"), false, "z"),
            ("feat!:  spaced", "feat", None, true, "spaced"),
            (
                "docs(ünï): ümlaut ✓",
                "docs",
                Some("ünï"),
                false,
                "ümlaut ✓",
            ),
            ("my_type-2: q", "my_type-2", None, false, "q"),
            ("revert: feat: x", "revert", None, false, "feat: x"),
            (
                "\n\nfeat: after blank lines",
                "feat",
                None,
                false,
                "after blank lines",
            ),
            ("feat:\tx", "feat", None, false, "x"),
        ];
        for (message, kind, scope, breaking, description) in cases {
            let commit = ok(message);
            assert_eq!(commit.kind, *kind, "{message}");
            assert_eq!(commit.scope.as_deref(), *scope, "{message}");
            assert_eq!(commit.breaking, *breaking, "{message}");
            assert_eq!(commit.description, *description, "{message}");
            assert_eq!(commit.body, None, "{message}");
        }
    }

    #[test]
    fn refusals_say_why() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            (" \n\t\n", "empty"),
            ("add a thing", "whitespace after the type"),
            ("feat x: y", "whitespace after the type"),
            ("feat", "no `:`"),
            ("feat:", "description after `:` is empty"),
            ("feat:   ", "description after `:` is empty"),
            ("feat:x", "followed by a space"),
            ("feat(): x", "scope between `(` and `)` is empty"),
            ("feat( ): x", "empty"),
            ("feat(api: x", "never closed"),
            ("feat(a(b)): x", "cannot contain `(`"),
            ("feat (api): x", "whitespace after the type"),
            ("feat(api) : x", "whitespace after the type"),
            ("Merge branch 'main' into dev", "merge commit"),
            ("Merge pull request #12 from a/b", "merge commit"),
            (
                "Revert \"feat: x\"\n\nThis reverts commit abc.",
                "git revert",
            ),
            (": x", "does not start with a type"),
            ("1fix: x", "does not start with a type"),
            ("fixup! feat: x", "whitespace after the type"),
            ("feat!!: x", "`!` after the type"),
            ("feät: x", "`ä` after the type"),
        ];
        for (message, expected) in cases {
            let why = reason(message);
            assert!(why.contains(expected), "{message:?}: {why}");
        }
    }

    #[test]
    fn body_and_footers() {
        let message = "fix(lock): keep hashes\n\nThe lock lost hashes when\nre-resolving.\n\nSecond paragraph.\n\nReviewed-by: Ann\nCloses #12\nRefs: #13, #14\n";
        let commit = ok(message);
        assert_eq!(
            commit.body.as_deref(),
            Some("The lock lost hashes when\nre-resolving.\n\nSecond paragraph.")
        );
        let footers: Vec<(&str, &str)> = commit
            .footers
            .iter()
            .map(|f| (f.token.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            footers,
            [
                ("Reviewed-by", "Ann"),
                ("Closes", "#12"),
                ("Refs", "#13, #14")
            ]
        );
        assert_eq!(commit.references, ["#12", "#13", "#14"]);
        assert!(!commit.breaking);
        assert!(commit.breaking_notes.is_empty());
    }

    #[test]
    fn breaking_footers_span_lines_and_paragraphs() {
        let message = "feat: new config\r\n\r\nBody.\r\n\r\nBREAKING CHANGE: `foo` is gone;\r\nuse `bar`.\r\n\r\nMigration: rename the key.  \r\nSigned-off-by: B <b@example.invalid>\r\n";
        let commit = ok(message);
        assert!(commit.breaking);
        assert_eq!(commit.body.as_deref(), Some("Body."));
        assert_eq!(commit.breaking_notes, ["`foo` is gone;\nuse `bar`."]);
        assert_eq!(commit.footers.len(), 3);
        assert_eq!(commit.footers[1].token, "Migration");
        assert_eq!(commit.footers[1].value, "rename the key.");
    }

    #[test]
    fn breaking_note_over_two_paragraphs() {
        let message =
            "feat: x\n\nBREAKING-CHANGE: first part.\n\nmore explanation here.\n\nRefs: #3";
        let commit = ok(message);
        assert!(commit.breaking);
        assert_eq!(commit.body, None);
        assert_eq!(
            commit.breaking_notes,
            ["first part.\n\nmore explanation here."]
        );
        assert_eq!(commit.references, ["#3"]);
    }

    #[test]
    fn lowercase_breaking_change_is_not_breaking() {
        let commit = ok("feat: x\n\nbreaking-change: nope");
        assert!(!commit.breaking);
        assert_eq!(commit.footers[0].token, "breaking-change");
        let commit = ok("feat: x\n\nbreaking change: nope");
        assert!(!commit.breaking);
        assert_eq!(commit.body.as_deref(), Some("breaking change: nope"));
    }

    #[test]
    fn bang_uses_the_description_as_note() {
        let commit = ok("refactor(core)!: drop Python 3.8");
        assert!(commit.breaking);
        assert_eq!(commit.breaking_notes, ["drop Python 3.8"]);
        let commit = ok("refactor!: x\n\nBREAKING CHANGE: the real note");
        assert_eq!(commit.breaking_notes, ["the real note"]);
    }

    #[test]
    fn trailing_pull_request_numbers_become_references() {
        let commit = ok("fix: handle y (#123)");
        assert_eq!(commit.description, "handle y");
        assert_eq!(commit.references, ["#123"]);
        let commit = ok("fix: a (#1) (#2)\n\nFixes: #2, #7.");
        assert_eq!(commit.description, "a");
        assert_eq!(commit.references, ["#1", "#2", "#7"]);
        let commit = ok("fix: (#5)");
        assert_eq!(commit.description, "(#5)");
        let commit = ok("fix: keep (#x) and (see #4)");
        assert_eq!(commit.description, "keep (#x) and (see #4)");
        assert!(commit.references.is_empty());
    }

    #[test]
    fn body_paragraph_with_colon_is_body_when_not_last() {
        let message = "fix: x\n\nNote: this is prose.\n\nAnd more prose.";
        let commit = ok(message);
        assert_eq!(
            commit.body.as_deref(),
            Some("Note: this is prose.\n\nAnd more prose.")
        );
        assert!(commit.footers.is_empty());
        // A URL is not a footer.
        let commit = ok("fix: x\n\nhttps://example.invalid/a");
        assert!(commit.footers.is_empty());
    }

    #[test]
    fn footers_right_after_the_subject() {
        let commit = ok("fix: x\nCloses #9");
        assert_eq!(commit.references, ["#9"]);
        assert_eq!(commit.body, None);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let inputs = [
            "(",
            ")",
            "!",
            ":",
            "a(",
            "a(b",
            "a(b)",
            "a(b)!",
            "a!",
            "a: (#",
            "a: )",
            "a: (#)",
            "a: x (#1",
            "\u{feff}feat: x",
            "feat: x\n\n#",
            "feat: x\n\n: y",
            "feat: x\n\n-a: y",
            "a\u{0}: b",
            "feat(\u{1F600}): 😀",
        ];
        for input in inputs {
            let _ = parse(input);
        }
    }
}
