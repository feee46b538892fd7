//! pip's `--no-binary` / `--only-binary`: which kinds of file each package
//! may come as, with pip's spelling (`:all:`, `:none:`, comma lists) and
//! pip's rules for the two options overriding each other.
//!
//! chiron installs wheels only, so a source distribution is taken only when
//! the run allows sdists (`--allow-sdist` / `[policy] allow-sdist`):
//! `--no-binary NAME` then means "this package from its sdist only", and
//! without it the run is refused up front rather than ending in a
//! resolution that cannot succeed.

use std::collections::BTreeSet;

use pep508_rs::PackageName;

const ALL: &str = ":all:";
const NONE: &str = ":none:";

/// The kinds of file a package may come as, as pip's `FormatControl`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatControl {
    /// Normalised names, or `:all:`.
    no_binary: BTreeSet<String>,
    only_binary: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid value for --{option}: {reason}")]
pub struct FormatError {
    pub option: &'static str,
    pub value: String,
    pub reason: String,
}

impl FormatControl {
    /// One `--no-binary VALUE`, in the order given.
    pub fn no_binary(&mut self, value: &str) -> Result<(), FormatError> {
        let Self {
            no_binary,
            only_binary,
        } = self;
        apply("no-binary", value, no_binary, only_binary)
    }

    /// One `--only-binary VALUE`, in the order given.
    pub fn only_binary(&mut self, value: &str) -> Result<(), FormatError> {
        let Self {
            no_binary,
            only_binary,
        } = self;
        apply("only-binary", value, only_binary, no_binary)
    }

    /// `(wheels, sdists)` that `name` may come as, before chiron's own
    /// sdist switch (pip's `get_allowed_formats`).
    pub fn allowed(&self, name: &PackageName) -> (bool, bool) {
        let name = name.as_ref();
        if self.only_binary.contains(name) {
            (true, false)
        } else if self.no_binary.contains(name) {
            (false, true)
        } else if self.only_binary.contains(ALL) {
            (true, false)
        } else if self.no_binary.contains(ALL) {
            (false, true)
        } else {
            (true, true)
        }
    }

    /// Whether any package is asked for as source only.
    pub fn wants_sources(&self) -> bool {
        !self.no_binary.is_empty()
    }

    /// The names (or `:all:`) asked for as source only, for messages.
    pub fn source_only(&self) -> Vec<String> {
        self.no_binary.iter().cloned().collect()
    }
}

/// pip's `handle_mutual_excludes`: `:all:` clears both sets, `:none:` clears
/// this one, a name moves from the other set to this one.
fn apply(
    option: &'static str,
    value: &str,
    target: &mut BTreeSet<String>,
    other: &mut BTreeSet<String>,
) -> Result<(), FormatError> {
    let bad = |reason: &str| FormatError {
        option,
        value: value.to_string(),
        reason: reason.to_string(),
    };
    if value.starts_with('-') {
        return Err(bad("it needs a package list, :all: or :none:"));
    }
    let mut items: Vec<&str> = value.split(',').collect();
    while let Some(at) = items.iter().position(|item| *item == ALL) {
        other.clear();
        target.clear();
        target.insert(ALL.to_string());
        items.drain(..=at);
        if !items.contains(&NONE) {
            return Ok(());
        }
    }
    for item in items {
        if item == NONE {
            target.clear();
            continue;
        }
        let name = PackageName::new(item.trim().to_string())
            .map_err(|e| bad(&format!("`{item}` is not a package name ({e})")))?;
        other.remove(name.as_ref());
        target.insert(name.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PackageName {
        PackageName::new(text.to_string()).unwrap()
    }

    #[test]
    fn options_override_each_other_as_in_pip() {
        // (options in order, package, (wheels, sdists))
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, (bool, bool));
        let cases: &[Case] = &[
            (&[], "a", (true, true)),
            (&[("no", ":all:")], "a", (false, true)),
            (&[("no", ":all:"), ("only", "a")], "a", (true, false)),
            (&[("no", ":all:"), ("only", "a")], "b", (false, true)),
            (&[("only", "a,B_c")], "b-c", (true, false)),
            (&[("only", "a"), ("no", "a")], "a", (false, true)),
            (&[("no", "a"), ("only", ":all:")], "a", (true, false)),
            (&[("no", "a,:none:")], "a", (true, true)),
            (&[("no", ":all:,:none:,x")], "a", (true, true)),
            (&[("no", ":all:,:none:,x")], "x", (false, true)),
            (&[("only", ":none:")], "a", (true, true)),
        ];
        for (options, package, expected) in cases {
            let mut control = FormatControl::default();
            for (option, value) in options.iter() {
                match *option {
                    "no" => control.no_binary(value).unwrap(),
                    _ => control.only_binary(value).unwrap(),
                }
            }
            assert_eq!(
                control.allowed(&name(package)),
                *expected,
                "{options:?} {package}"
            );
        }
    }

    #[test]
    fn bad_values_are_named() {
        let mut control = FormatControl::default();
        let error = control.no_binary("--pre").unwrap_err();
        assert!(error.to_string().contains("--no-binary"), "{error}");
        assert!(control.only_binary("a,b c").is_err());
    }

    #[test]
    fn errors_name_the_option_the_value_and_the_bad_item() {
        let mut control = FormatControl::default();
        assert_eq!(
            control.no_binary("--pre").unwrap_err().to_string(),
            "`--pre` is not a valid value for --no-binary: it needs a package list, :all: or :none:"
        );
        let error = control.only_binary("numpy,not a name").unwrap_err();
        assert_eq!(error.option, "only-binary");
        assert_eq!(error.value, "numpy,not a name");
        assert!(
            error
                .reason
                .starts_with("`not a name` is not a package name ("),
            "{error}"
        );
    }

    #[test]
    fn source_only_names_are_normalised_and_listed() {
        let mut control = FormatControl::default();
        assert!(!control.wants_sources());
        control.no_binary(" PyYAML ,lxml").unwrap();
        assert!(control.wants_sources());
        assert_eq!(control.source_only(), ["lxml", "pyyaml"]);
        assert_eq!(control.allowed(&name("pyyaml")), (false, true));
        // `--only-binary` takes a name back; `:none:` clears its own list.
        control.only_binary("lxml").unwrap();
        assert_eq!(control.source_only(), ["pyyaml"]);
        control.no_binary(":none:").unwrap();
        assert!(!control.wants_sources());
        assert_eq!(control.allowed(&name("lxml")), (true, false));
        control.no_binary(":all:").unwrap();
        assert_eq!(control.source_only(), [":all:"]);
        assert_eq!(control.allowed(&name("lxml")), (false, true));
    }
}
