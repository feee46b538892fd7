//! pip's requirements file format: one PEP 508 requirement per line, with
//! `--hash` options, `#` comments, `\` continuations, nested `-r`/`-c`
//! files, index options, and `${VAR}` environment variables (as pip).
//!
//! Forms that cannot go into a wheelhouse (editables, VCS and direct URL
//! requirements, local paths) are errors naming the file and line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::Requirement;

/// Where a line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    /// `path:line`, or the path alone for the file as a whole (line 0: it
    /// is missing, unreadable or not UTF-8).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path.display())
        } else {
            write!(f, "{}:{}", self.path.display(), self.line)
        }
    }
}

#[derive(Debug, Clone)]
pub struct RequirementLine {
    pub requirement: Requirement,
    /// `--hash=sha256:...` values, as `sha256:<hex>`.
    pub hashes: Vec<String>,
    pub origin: Origin,
}

/// Everything a requirements file (and the files it includes) says.
#[derive(Debug, Clone, Default)]
pub struct RequirementsFile {
    pub requirements: Vec<RequirementLine>,
    pub constraints: Vec<RequirementLine>,
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    /// Local folders are made absolute against the file's folder.
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub pre: bool,
    /// `--trusted-host` values.
    pub trusted_hosts: Vec<String>,
    /// `--no-binary` / `--only-binary` in the order given, applied to a
    /// format control of their own (so they compose across files).
    pub formats: crate::resolve::formats::FormatControl,
    /// The same options as written, to replay over another control:
    /// `(true, value)` for `--no-binary`, `(false, value)` for `--only-binary`.
    pub format_options: Vec<(bool, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct RequirementsError {
    pub origin: Origin,
    pub message: String,
    pub hint: String,
}

impl crate::diagnose::Diagnose for RequirementsError {
    fn exit_class(&self) -> crate::diagnose::ExitClass {
        use crate::diagnose::ExitClass;
        ExitClass::Usage
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
}

/// The most a requirements file may hold: `-r /dev/zero` must not eat
/// the machine's memory.
const MAX_REQUIREMENTS_BYTES: u64 = 16 << 20;

fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_REQUIREMENTS_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_REQUIREMENTS_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, which no requirements file is",
            MAX_REQUIREMENTS_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::other(format!(
            "not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads `path` and every file it includes. `env` looks up `${VAR}`.
pub fn read_requirements(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementsFile, RequirementsError> {
    let mut reader = Reader {
        env,
        out: RequirementsFile::default(),
        seen: BTreeSet::new(),
    };
    reader.read_file(path, false, None)?;
    Ok(reader.out)
}

fn error_at(origin: &Origin, message: String, hint: &str) -> RequirementsError {
    RequirementsError {
        origin: origin.clone(),
        message,
        hint: hint.to_string(),
    }
}

/// Reads a requirements file and the files it includes into one
/// [`RequirementsFile`].
struct Reader<'e> {
    env: &'e dyn Fn(&str) -> Option<String>,
    out: RequirementsFile,
    /// Files read already (canonical paths): an include is read once.
    seen: BTreeSet<PathBuf>,
}

impl Reader<'_> {
    /// One file, line by line; its requirements are constraints when it
    /// was included with `-c` (or from a constraints file).
    fn read_file(
        &mut self,
        path: &Path,
        as_constraints: bool,
        included_from: Option<&Origin>,
    ) -> Result<(), RequirementsError> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let at = |line: usize| Origin {
            path: path.to_path_buf(),
            line,
        };
        let text = read_bounded(path).map_err(|e| RequirementsError {
            origin: included_from.cloned().unwrap_or_else(|| at(0)),
            message: format!("cannot read {}: {e}", path.display()),
            hint: "check the path; nested -r/-c paths are relative to the including file".into(),
        })?;
        // Windows editors write a byte order mark; pip and uv read past it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        if !self.seen.insert(canonical) {
            return Ok(()); // already read (pip also tolerates repeated includes)
        }
        let dir = path.parent().unwrap_or(Path::new("."));

        for (line_no, logical) in logical_lines(&text) {
            let origin = at(line_no);
            let line = expand_env(&logical, self.env).map_err(|var| {
                error_at(
                    &origin,
                    format!("environment variable {var} is not set"),
                    "set it, or write the value in the file",
                )
            })?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with('-') {
                self.option(line, dir, as_constraints, &origin)?;
                continue;
            }
            let entry = requirement_line(line, origin)?;
            if as_constraints {
                self.out.constraints.push(entry);
            } else {
                self.out.requirements.push(entry);
            }
        }
        Ok(())
    }

    /// One option line (`-r FILE`, `--index-url URL`, `--pre`, ...).
    fn option(
        &mut self,
        line: &str,
        dir: &Path,
        as_constraints: bool,
        origin: &Origin,
    ) -> Result<(), RequirementsError> {
        let fail = |message: String, hint: &str| error_at(origin, message, hint);
        let (option, value) = split_option(line);
        let need_value = |value: Option<String>| {
            value.ok_or_else(|| {
                fail(
                    format!("{option} needs a value"),
                    "write it as `OPTION VALUE`",
                )
            })
        };
        let out = &mut self.out;
        match option.as_str() {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                let nested = dir.join(need_value(value)?);
                let constraints = as_constraints || option == "-c" || option == "--constraint";
                self.read_file(&nested, constraints, Some(origin))?;
            }
            "-i" | "--index-url" => out.index_url = Some(need_value(value)?),
            "--extra-index-url" => out.extra_index_urls.push(need_value(value)?),
            "-f" | "--find-links" => {
                let link = need_value(value)?;
                let link = if link.contains("://") {
                    link
                } else {
                    dir.join(link).display().to_string()
                };
                out.find_links.push(link);
            }
            "--no-index" => out.no_index = true,
            "--trusted-host" => out.trusted_hosts.push(need_value(value)?),
            "--no-binary" | "--only-binary" => {
                let value = need_value(value)?;
                let applied = if option == "--no-binary" {
                    out.formats.no_binary(&value)
                } else {
                    out.formats.only_binary(&value)
                };
                applied.map_err(|e| {
                    fail(
                        e.to_string(),
                        "give package names separated by commas, :all: or :none:",
                    )
                })?;
                out.format_options.push((option == "--no-binary", value));
            }
            "--pre" => out.pre = true,
            // Options about how pip installs, not what: nothing to do.
            "--require-hashes" | "--prefer-binary" | "--use-feature" | "--progress-bar" => {}
            "-e" | "--editable" => {
                return Err(fail(
                    format!("editable requirement `{line}` cannot go into a wheelhouse"),
                    "build the project's wheel (chiron build) and list it by name, or remove the \
                     line",
                ));
            }
            other => {
                return Err(fail(
                    format!("unknown option {other}"),
                    "chiron reads pip's requirement options -r, -c, -i, --extra-index-url, -f, \
                     --no-index, --pre and --hash",
                ));
            }
        }
        Ok(())
    }
}

/// One requirement line: a PEP 508 requirement by name, with its hashes.
fn requirement_line(line: &str, origin: Origin) -> Result<RequirementLine, RequirementsError> {
    let fail = |message: String, hint: &str| error_at(&origin, message, hint);
    let (spec, hashes) =
        split_hashes(line).map_err(|message| fail(message, "write hashes as --hash=sha256:HEX"))?;
    if spec.starts_with('.') || spec.starts_with('/') || spec.contains("://") && !spec.contains('@')
    {
        return Err(fail(
            format!("`{spec}` is a path or URL, not a requirement"),
            "name the package (name==version) and give its folder or index with --find-links / \
             --index-url",
        ));
    }
    let requirement = Requirement::from_str(spec).map_err(|e| {
        fail(
            format!("`{spec}` is not a valid requirement: {}", e.message),
            "requirements are PEP 508: name[extras] specifiers ; markers",
        )
    })?;
    if requirement
        .version_or_url
        .as_ref()
        .is_some_and(|v| matches!(v, pep508_rs::VersionOrUrl::Url(_)))
    {
        return Err(fail(
            format!("`{spec}` is a direct URL requirement"),
            "direct URL and VCS requirements are not supported: publish the package to an index \
             or a find-links folder",
        ));
    }
    Ok(RequirementLine {
        requirement,
        hashes,
        origin,
    })
}

/// Joins `\` continuations and drops comments; yields (first line number, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = index + 1;
        }
        let line = strip_comment(raw);
        if let Some(body) = line.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        out.push((start, std::mem::take(&mut current)));
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

/// pip: a `#` at the start of a line or after white space starts a comment.
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_end();
    if trimmed.trim_start().starts_with('#') {
        return "";
    }
    let bytes = trimmed.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return trimmed[..i].trim_end();
        }
    }
    trimmed
}

/// Replaces `${NAME}` (NAME of capitals, digits and `_`), as pip does.
fn expand_env(line: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(&env(name).ok_or_else(|| name.to_string())?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `--opt=value`, `--opt value`, `-xvalue` and `-x value`.
fn split_option(line: &str) -> (String, Option<String>) {
    if let Some((option, value)) = line
        .split_once('=')
        .filter(|(o, _)| o.starts_with("--") && !o.contains(' '))
    {
        return (option.to_string(), Some(value.trim().to_string()));
    }
    let mut parts = line.splitn(2, char::is_whitespace);
    let option = parts.next().unwrap_or_default().to_string();
    let value = parts
        .next()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    if value.is_none() && !option.starts_with("--") {
        // `-rfile.txt`; the option letter may be any character (`-é`), so
        // split after it, not after two bytes.
        let letter_end = option
            .char_indices()
            .nth(2)
            .map_or(option.len(), |(at, _)| at);
        if letter_end < option.len() {
            return (
                option[..letter_end].to_string(),
                Some(option[letter_end..].to_string()),
            );
        }
    }
    (option, value)
}

/// Splits `spec --hash=sha256:... --hash ...` into the requirement and its hashes.
fn split_hashes(line: &str) -> Result<(&str, Vec<String>), String> {
    let Some(at) = line.find(" --").or_else(|| line.find("\t--")) else {
        return Ok((line.trim(), Vec::new()));
    };
    let spec = line[..at].trim();
    let mut hashes = Vec::new();
    let tokens: Vec<&str> = line[at..].split_whitespace().collect();
    let mut i = 0;
    while i < tokens.len() {
        let value = if let Some(value) = tokens[i].strip_prefix("--hash=") {
            value
        } else if tokens[i] == "--hash" && i + 1 < tokens.len() {
            i += 1;
            tokens[i]
        } else {
            return Err(format!("unexpected `{}` after the requirement", tokens[i]));
        };
        let (algorithm, digest) = value
            .split_once(':')
            .ok_or_else(|| format!("`{value}` is not ALGORITHM:HEX"))?;
        // pip's strong hashes, in hex of their full length.
        let length = match algorithm.to_ascii_lowercase().as_str() {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => {
                return Err(format!(
                    "`{algorithm}` is not a hash pip accepts (sha256, sha384, sha512)"
                ));
            }
        };
        if digest.len() != length || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "`{value}` is not a {algorithm} digest ({length} hexadecimal digits)"
            ));
        }
        hashes.push(format!(
            "{}:{}",
            algorithm.to_ascii_lowercase(),
            digest.to_ascii_lowercase()
        ));
        i += 1;
    }
    Ok((spec, hashes))
}

/// One pinned requirement of a lock, as `render_pinned` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedLine {
    pub name: String,
    pub extras: Vec<String>,
    pub version: String,
    /// Hex sha256 digests of the files this requirement may install.
    pub hashes: Vec<String>,
    /// Where it comes from, written as a `# via` comment as pip-compile
    /// does: the input files (`-r requirements.in`, `app (pyproject.toml)`)
    /// and the packages that require it. See [`via`].
    pub via: Vec<String>,
}

/// A top-level requirement and where it came from, as a `# via` comment
/// names it: `-r requirements.in` for a requirements file (the path as
/// given, relative to the working folder), `app (pyproject.toml)` for a
/// project's dependencies, as pip-compile writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectRequirement {
    pub requirement: Requirement,
    pub via: String,
}

/// The `# via` entries of a pin: the packages in `required_by`, with the
/// resolver's `direct` replaced by the inputs of the top-level
/// requirements naming `name` whose markers hold in `markers`. A
/// requirement from no file (the command line, a lock) is named by none,
/// as in pip-compile. Sorted and unique.
pub fn via<'a>(
    name: &str,
    required_by: impl IntoIterator<Item = &'a String>,
    direct: &[DirectRequirement],
    markers: &pep508_rs::MarkerEnvironment,
) -> Vec<String> {
    let name = crate::python::normalize(name);
    let mut out = BTreeSet::new();
    for parent in required_by {
        if parent != "direct" {
            out.insert(parent.clone());
            continue;
        }
        out.extend(
            direct
                .iter()
                .filter(|d| crate::python::normalize(d.requirement.name.as_ref()) == name)
                .filter(|d| d.requirement.marker.evaluate(markers, &[]))
                .map(|d| d.via.clone()),
        );
    }
    out.into_iter().collect()
}

/// `path` as a `# via -r` comment shows it: relative to `cwd` (with `..`
/// where needed) and with `/` separators, as pip-compile writes it for a
/// relative input; `absolute` keeps an absolute path as it is.
pub fn shown_path(path: &Path, cwd: &Path, absolute: bool) -> String {
    use std::path::Component;
    let parts = |p: &Path| -> Vec<String> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| match c {
                Component::RootDir => String::new(),
                other => other.as_os_str().to_string_lossy().into_owned(),
            })
            .collect()
    };
    let path_parts = parts(path);
    let cwd_parts = parts(cwd);
    let common = path_parts
        .iter()
        .zip(&cwd_parts)
        .take_while(|(a, b)| a == b)
        .count();
    // The root is an empty first part, so a joined absolute path starts with `/`.
    if absolute || !path.is_absolute() || common == 0 {
        return path_parts.join("/");
    }
    let mut relative = vec![".."; cwd_parts.len() - common];
    relative.extend(path_parts[common..].iter().map(String::as_str));
    relative.join("/")
}

/// A hash-pinned requirements file for `pip install --require-hashes`,
/// sorted by name, with `header` as leading comment lines.
pub fn render_pinned(header: &str, lines: &[PinnedLine]) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
    }
    let mut sorted: Vec<&PinnedLine> = lines.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.version.cmp(&b.version)));
    for line in sorted {
        let extras = if line.extras.is_empty() {
            String::new()
        } else {
            format!("[{}]", line.extras.join(","))
        };
        out.push_str(&format!("{}{extras}=={}", line.name, line.version));
        let mut hashes = line.hashes.clone();
        hashes.sort();
        for hash in hashes {
            out.push_str(&format!(" \\\n    --hash=sha256:{hash}"));
        }
        out.push('\n');
        // pip-compile's "split" annotations: one source on the line, more
        // each on a line of their own.
        match &line.via[..] {
            [] => {}
            [one] => out.push_str(&format!("    # via {one}\n")),
            several => {
                out.push_str("    # via\n");
                for source in several {
                    out.push_str(&format!("    #   {source}\n"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn an_endless_or_binary_file_is_refused_not_read_whole() {
        let error = read_requirements(Path::new("/dev/zero"), &no_env).unwrap_err();
        assert!(error.message.contains("larger than 16 MiB"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("binary.txt");
        std::fs::write(&path, b"six\n\xff\xfe\n").unwrap();
        let error = read_requirements(&path, &no_env).unwrap_err();
        assert!(
            error.message.contains("not UTF-8 text (at byte 4)"),
            "{error}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_read_past_as_pip_does() {
        let dir = tempfile::tempdir().unwrap();
        let main = write(
            dir.path(),
            "requirements.txt",
            "\u{feff}requests==2.32.3\nidna\n",
        );
        let file = read_requirements(&main, &|_: &str| None).unwrap();
        let names: Vec<String> = file
            .requirements
            .iter()
            .map(|r| r.requirement.name.to_string())
            .collect();
        assert_eq!(names, ["requests", "idna"]);
    }

    #[test]
    fn reads_a_realistic_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "base/common.txt",
            "idna>=3 # trailing comment\n",
        );
        write(dir.path(), "constraints.txt", "urllib3<3\n");
        let main = write(
            dir.path(),
            "requirements.txt",
            "# top comment\n--index-url https://${TOKEN}@example.invalid/simple\n--extra-index-url=https://extra.example.invalid/simple\n\
             -f ./wheels\n-r base/common.txt\n-c constraints.txt\n\
             requests[socks]==2.32.3 \\\n    --hash=sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \\\n    --hash sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\
             pywin32>=306; sys_platform == 'win32'\n--pre\n",
        );
        let env = |name: &str| (name == "TOKEN").then(|| "t0k".to_string());
        let file = read_requirements(&main, &env).unwrap();
        assert_eq!(
            file.index_url.as_deref(),
            Some("https://t0k@example.invalid/simple")
        );
        assert_eq!(
            file.extra_index_urls,
            ["https://extra.example.invalid/simple"]
        );
        assert_eq!(
            file.find_links,
            [dir.path().join("./wheels").display().to_string()]
        );
        assert!(file.pre);
        let names: Vec<&str> = file
            .requirements
            .iter()
            .map(|r| r.requirement.name.as_ref())
            .collect();
        assert_eq!(names, ["idna", "requests", "pywin32"]);
        let requests = &file.requirements[1];
        assert_eq!(
            requests.hashes,
            [
                "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
            ]
        );
        assert_eq!(requests.origin.line, 7);
        assert_eq!(
            file.requirements[0].origin.path,
            dir.path().join("base/common.txt")
        );
        assert_eq!(file.constraints[0].requirement.name.as_ref(), "urllib3");
    }

    #[test]
    fn unsupported_lines_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("-e .\n", "editable", 1),
            (
                "ok==1\ngit+https://example.invalid/repo.git\n",
                "path or URL",
                2,
            ),
            (
                "ok==1\n\nname @ https://example.invalid/a.whl\n",
                "direct URL",
                3,
            ),
            ("./local/pkg\n", "path or URL", 1),
            ("requests>=\n", "not a valid requirement", 1),
            ("--frobnicate\n", "unknown option", 1),
            ("x==1 --hash=md5\n", "ALGORITHM:HEX", 1),
            ("x==1 --hash=md5:abc\n", "not a hash pip accepts", 1),
            ("x==1 --hash=sha256:\u{e9}\n", "64 hexadecimal digits", 1),
            (
                "--index-url https://${MISSING}@h/\n",
                "MISSING is not set",
                1,
            ),
            ("-r nope.txt\n", "cannot read", 1),
            ("x==1\n--no-binary bad name\n", "--no-binary", 2),
            ("--only-binary\n", "needs a value", 1),
        ];
        for (text, expected, line) in cases {
            let path = write(dir.path(), "r.txt", text);
            let error = read_requirements(&path, &no_env).unwrap_err();
            assert!(error.message.contains(expected), "{text:?}: {error}");
            assert_eq!(error.origin.line, line, "{text:?}");
            assert!(error.to_string().starts_with(&path.display().to_string()));
            assert!(!error.hint.is_empty());
        }
    }

    #[test]
    fn pip_host_and_format_options_are_kept_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "r.txt",
            "--trusted-host mirror.invalid:8080\n--no-binary :all:\n--only-binary=Lib_A,b\nx\n",
        );
        let file = read_requirements(&path, &no_env).unwrap();
        assert_eq!(file.trusted_hosts, ["mirror.invalid:8080"]);
        assert_eq!(
            file.format_options,
            [(true, ":all:".to_string()), (false, "Lib_A,b".to_string())]
        );
        let name = |n: &str| pep508_rs::PackageName::new(n.to_string()).unwrap();
        assert_eq!(file.formats.allowed(&name("lib-a")), (true, false));
        assert_eq!(file.formats.allowed(&name("c")), (false, true));
    }

    #[test]
    fn includes_may_repeat_without_looping() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.txt", "-r b.txt\nalpha\n");
        write(dir.path(), "b.txt", "-r a.txt\nbeta\n");
        let file = read_requirements(&dir.path().join("a.txt"), &no_env).unwrap();
        let names: Vec<&str> = file
            .requirements
            .iter()
            .map(|r| r.requirement.name.as_ref())
            .collect();
        assert_eq!(names, ["beta", "alpha"]);
    }

    #[test]
    fn pinned_files_read_back_with_their_hashes() {
        let text = render_pinned(
            "a header\nsecond line",
            &[
                PinnedLine {
                    name: "zeta".into(),
                    extras: vec![],
                    version: "1.0".into(),
                    hashes: vec![
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".into(),
                    ],
                    via: vec!["alpha".into()],
                },
                PinnedLine {
                    name: "alpha".into(),
                    extras: vec!["cli".into()],
                    version: "2.0".into(),
                    hashes: vec![
                        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc".into(),
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
                    ],
                    via: vec!["-r requirements.in".into()],
                },
            ],
        );
        assert!(
            text.starts_with("# a header\n# second line\nalpha[cli]==2.0 \\\n    --hash=sha256:aa"),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "lock.txt", &text);
        let file = read_requirements(&path, &no_env).unwrap();
        assert_eq!(file.requirements.len(), 2);
        assert_eq!(
            file.requirements[0].hashes,
            [
                "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
            ]
        );
        assert_eq!(file.requirements[1].requirement.to_string(), "zeta==1.0");
    }

    #[test]
    fn via_paths_are_relative_to_the_working_folder_as_pip_compile_writes_them() {
        let cwd = Path::new("/work/app");
        for (path, absolute, shown) in [
            ("/work/app/requirements.in", false, "requirements.in"),
            ("/work/app/./reqs/base.in", false, "reqs/base.in"),
            ("/work/shared/base.in", false, "../shared/base.in"),
            ("/other/x.in", false, "../../other/x.in"),
            (
                "/work/app/requirements.in",
                true,
                "/work/app/requirements.in",
            ),
            ("reqs/base.in", false, "reqs/base.in"),
        ] {
            assert_eq!(shown_path(Path::new(path), cwd, absolute), shown, "{path}");
        }
    }

    #[test]
    fn via_names_the_input_files_of_direct_requirements() {
        use crate::python::target::{Floors, Target};
        use crate::python::version::PythonVersion;
        let target = Target::new(
            PythonVersion::new(3, 12),
            "linux-x86_64".parse().unwrap(),
            Floors::default(),
        )
        .unwrap();
        let direct = |text: &str, via: &str| DirectRequirement {
            requirement: text.parse().unwrap(),
            via: via.to_string(),
        };
        let direct = [
            direct("Requests>=2", "-r requirements.in"),
            direct("requests", "app (pyproject.toml)"),
            direct("requests; sys_platform == 'win32'", "-r windows.in"),
            direct("idna", "-r other.in"),
        ];
        let required_by = ["direct".to_string(), "zeta".into(), "alpha".into()];
        assert_eq!(
            via("requests", &required_by, &direct, target.markers()),
            [
                "-r requirements.in",
                "alpha",
                "app (pyproject.toml)",
                "zeta"
            ]
        );
        // From the command line (or a lock): named by nothing.
        let only_direct = ["direct".to_string()];
        assert!(via("six", &only_direct, &direct, target.markers()).is_empty());
    }

    #[test]
    fn several_sources_go_on_lines_of_their_own_as_in_pip_compile() {
        let line = |name: &str, via: &[&str]| PinnedLine {
            name: name.into(),
            extras: vec![],
            version: "1.0".into(),
            hashes: vec!["ab".repeat(32)],
            via: via.iter().map(|v| v.to_string()).collect(),
        };
        let text = render_pinned(
            "h",
            &[
                line("one", &["-r requirements.in"]),
                line("two", &["-r requirements.in", "one"]),
                line("three", &[]),
            ],
        );
        let hash = "ab".repeat(32);
        assert_eq!(
            text,
            format!(
                "# h\n\
                 one==1.0 \\\n    --hash=sha256:{hash}\n    # via -r requirements.in\n\
                 three==1.0 \\\n    --hash=sha256:{hash}\n\
                 two==1.0 \\\n    --hash=sha256:{hash}\n    # via\n    #   -r requirements.in\n    #   one\n"
            )
        );
    }

    #[test]
    fn comments_need_white_space_before_the_hash() {
        assert_eq!(strip_comment("pkg==1 # c"), "pkg==1");
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("https://h/p#egg=x"), "https://h/p#egg=x");
    }

    #[test]
    fn a_short_option_is_split_after_its_letter_whatever_its_width() {
        let split = |line: &str| split_option(line);
        let some = |v: &str| Some(v.to_string());
        assert_eq!(split("-rfile.txt"), ("-r".into(), some("file.txt")));
        assert_eq!(split("-r file.txt"), ("-r".into(), some("file.txt")));
        assert_eq!(split("--pre"), ("--pre".into(), None));
        assert_eq!(split("-"), ("-".into(), None));
        // These cut a character in two before.
        assert_eq!(split("-é"), ("-é".into(), None));
        assert_eq!(split("-\u{feff}"), ("-\u{feff}".into(), None));
        assert_eq!(split("-€x"), ("-€".into(), some("x")));
        assert_eq!(split("-éfile"), ("-é".into(), some("file")));
    }
}
