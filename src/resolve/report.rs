//! Conflicts in words: PubGrub's derivation tree rendered for people,
//! naming the requirements as such and explaining empty candidates as
//! "no wheel for this target" (candidates are per target already).

use std::ops::Bound;

use pep440_rs::Version;
use pep508_rs::PackageName;
use pubgrub::{DerivationTree, Derived, External, Map, Ranges, ReportFormatter, Term};

use super::node::Node;

pub struct Formatter {
    /// Packages no source has: "not on any index", not "no wheel".
    pub missing: std::collections::BTreeSet<PackageName>,
}

impl Formatter {
    fn is_missing(&self, node: &Node) -> bool {
        matches!(node, Node::Package(name) | Node::Extra(name, _) if self.missing.contains(name))
    }
}

/// `the requirements`, `left==1.0`, `common <2`, or `right` for any version.
fn describe(node: &Node, range: &Ranges<Version>) -> String {
    if *node == Node::Root {
        return "the requirements".into();
    }
    if range == &Ranges::full() {
        return node.to_string();
    }
    if let Some(version) = range.as_singleton() {
        return format!("{node}=={version}");
    }
    // `==V` admits `V+local` too (PEP 440), so it is kept as the range from
    // V to just above its local variants: say it as the user wrote it.
    let mut segments = range.iter();
    if let (Some((Bound::Included(low), Bound::Excluded(high))), None) =
        (segments.next(), segments.next())
        && *high == crate::python::ranges::above_locals_of(low)
    {
        return format!("{node}=={low}");
    }
    format!("{node} {range}")
}

type Terms = Map<Node, Term<Ranges<Version>>>;

impl ReportFormatter<Node, Ranges<Version>, String> for Formatter {
    type Output = String;

    fn format_external(&self, external: &External<Node, Ranges<Version>, String>) -> String {
        match external {
            External::NotRoot(node, version) => format!("we resolve {node} {version}"),
            External::NoVersions(node, _) if self.is_missing(node) => {
                format!("{node} is not on any index or find-links source")
            }
            External::NoVersions(node, range) if range == &Ranges::full() => {
                format!("no version of {node} has a wheel for this target")
            }
            External::NoVersions(node, range) => {
                format!(
                    "no version of {} has a wheel for this target",
                    describe(node, range)
                )
            }
            External::Custom(node, range, reason) => format!("{}: {reason}", describe(node, range)),

            External::FromDependencyOf(node, range, dependency, dependency_range) => format!(
                "{} {} {}",
                describe(node, range),
                if *node == Node::Root {
                    "require"
                } else {
                    "depends on"
                },
                describe(dependency, dependency_range)
            ),
        }
    }

    fn format_terms(&self, terms: &Terms) -> String {
        let list: Vec<_> = terms.iter().collect();
        match list.as_slice() {
            [] => "no solution exists".into(),
            [(Node::Root, Term::Positive(_))] => "the requirements cannot be satisfied".into(),
            [(node, Term::Positive(range))] => format!("{} cannot be used", describe(node, range)),
            [(node, Term::Negative(range))] => format!("{} is required", describe(node, range)),
            [(n1, Term::Positive(r1)), (n2, Term::Negative(r2))] => self.format_external(
                &External::FromDependencyOf((*n1).clone(), r1.clone(), (*n2).clone(), r2.clone()),
            ),
            [(n1, Term::Negative(r1)), (n2, Term::Positive(r2))] => self.format_external(
                &External::FromDependencyOf((*n2).clone(), r2.clone(), (*n1).clone(), r1.clone()),
            ),
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|(node, term)| match term {
                        Term::Positive(range) => describe(node, range),
                        Term::Negative(range) => format!("not {}", describe(node, range)),
                    })
                    .collect();
                format!("{} cannot be used together", names.join(", "))
            }
        }
    }

    fn explain_both_external(
        &self,
        first: &External<Node, Ranges<Version>, String>,
        second: &External<Node, Ranges<Version>, String>,
        terms: &Terms,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(first),
            self.format_external(second),
            self.format_terms(terms)
        )
    }

    fn explain_both_ref(
        &self,
        first_id: usize,
        first: &Derived<Node, Ranges<Version>, String>,
        second_id: usize,
        second: &Derived<Node, Ranges<Version>, String>,
        terms: &Terms,
    ) -> String {
        format!(
            "Because {} ({first_id}) and {} ({second_id}), {}.",
            self.format_terms(&first.terms),
            self.format_terms(&second.terms),
            self.format_terms(terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        id: usize,
        derived: &Derived<Node, Ranges<Version>, String>,
        external: &External<Node, Ranges<Version>, String>,
        terms: &Terms,
    ) -> String {
        format!(
            "Because {} ({id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Node, Ranges<Version>, String>,
        terms: &Terms,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(terms)
        )
    }

    fn and_explain_ref(
        &self,
        id: usize,
        derived: &Derived<Node, Ranges<Version>, String>,
        terms: &Terms,
    ) -> String {
        format!(
            "And because {} ({id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior: &External<Node, Ranges<Version>, String>,
        external: &External<Node, Ranges<Version>, String>,
        terms: &Terms,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior),
            self.format_external(external),
            self.format_terms(terms)
        )
    }
}

/// Packages the tree says have no version in some range (before
/// collapsing), each with the union of those ranges, in order of
/// appearance.
pub fn packages_without_versions(
    tree: &DerivationTree<Node, Ranges<Version>, String>,
    out: &mut Vec<(PackageName, Ranges<Version>)>,
) {
    match tree {
        DerivationTree::External(External::NoVersions(
            Node::Package(name) | Node::Extra(name, _),
            range,
        )) => match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, known)) => *known = known.union(range),
            None => out.push((name.clone(), range.clone())),
        },
        DerivationTree::External(_) => {}
        DerivationTree::Derived(derived) => {
            packages_without_versions(&derived.cause1, out);
            packages_without_versions(&derived.cause2, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::sync::Arc;

    use super::*;

    fn package(name: &str) -> Node {
        Node::Package(PackageName::from_str(name).unwrap())
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn specifiers(text: &str) -> Ranges<Version> {
        crate::python::ranges::specifiers_range(&text.parse().unwrap())
    }

    fn formatter(missing: &[&str]) -> Formatter {
        Formatter {
            missing: missing
                .iter()
                .map(|name| PackageName::from_str(name).unwrap())
                .collect(),
        }
    }

    #[test]
    fn ranges_are_said_as_users_write_them() {
        let six = package("six");
        let extra = Node::Extra(
            PackageName::from_str("app").unwrap(),
            "cli".parse().unwrap(),
        );
        let cases = [
            (
                Node::Root,
                Ranges::singleton(version("0")),
                "the requirements",
            ),
            (six.clone(), Ranges::full(), "six"),
            (
                six.clone(),
                Ranges::singleton(version("1.16.0")),
                "six==1.16.0",
            ),
            // `==1.16.0` also admits local versions: still said as written.
            (six.clone(), specifiers("==1.16.0"), "six==1.16.0"),
            (six.clone(), specifiers(">=1.15,<2"), "six >=1.15, <2"),
            (extra, specifiers("<2"), "app[cli] <2"),
        ];
        for (node, range, expected) in cases {
            assert_eq!(describe(&node, &range), expected, "{node} {range}");
        }
    }

    #[test]
    fn external_causes_in_words() {
        let words = |missing: &[&str], external: External<Node, Ranges<Version>, String>| {
            formatter(missing).format_external(&external)
        };
        let (app, native) = (package("app"), package("native"));
        assert_eq!(
            words(&[], External::NoVersions(native.clone(), Ranges::full())),
            "no version of native has a wheel for this target"
        );
        assert_eq!(
            words(&[], External::NoVersions(native.clone(), specifiers(">=2"))),
            "no version of native >=2 has a wheel for this target"
        );
        assert_eq!(
            words(
                &["native"],
                External::NoVersions(native.clone(), specifiers(">=2"))
            ),
            "native is not on any index or find-links source"
        );
        assert_eq!(
            words(
                &[],
                External::FromDependencyOf(
                    Node::Root,
                    Ranges::singleton(version("0")),
                    app.clone(),
                    Ranges::full()
                )
            ),
            "the requirements require app"
        );
        assert_eq!(
            words(
                &[],
                External::FromDependencyOf(
                    app.clone(),
                    Ranges::singleton(version("1.0")),
                    native.clone(),
                    specifiers("<2"),
                )
            ),
            "app==1.0 depends on native <2"
        );
        assert_eq!(
            words(
                &[],
                External::Custom(
                    app,
                    Ranges::singleton(version("1.0")),
                    "its METADATA names the project `other`".into()
                )
            ),
            "app==1.0: its METADATA names the project `other`"
        );
    }

    #[test]
    fn terms_in_words() {
        let words = |terms: &[(Node, Term<Ranges<Version>>)]| {
            formatter(&[]).format_terms(&terms.iter().cloned().collect())
        };
        let (left, common) = (package("left"), package("common"));
        assert_eq!(words(&[]), "no solution exists");
        assert_eq!(
            words(&[(Node::Root, Term::Positive(Ranges::full()))]),
            "the requirements cannot be satisfied"
        );
        assert_eq!(
            words(&[(left.clone(), Term::Positive(specifiers(">=1")))]),
            "left >=1 cannot be used"
        );
        assert_eq!(
            words(&[(common.clone(), Term::Negative(specifiers("<2")))]),
            "common <2 is required"
        );
        // A package and the one it needs, in either order of the map.
        assert_eq!(
            words(&[
                (
                    left.clone(),
                    Term::Positive(Ranges::singleton(version("1.0")))
                ),
                (common.clone(), Term::Negative(specifiers("<2"))),
            ]),
            "left==1.0 depends on common <2"
        );
        let three = words(&[
            (left, Term::Positive(Ranges::full())),
            (common, Term::Negative(specifiers("<2"))),
            (package("right"), Term::Positive(Ranges::full())),
        ]);
        assert!(three.ends_with(" cannot be used together"), "{three}");
        for part in ["left", "not common <2", "right"] {
            assert!(three.contains(part), "{part}: {three}");
        }
    }

    #[test]
    fn packages_without_versions_are_collected_once_with_all_their_ranges() {
        let leaf = |node: Node, range: Ranges<Version>| {
            Arc::new(DerivationTree::External(External::NoVersions(node, range)))
        };
        let derived = |cause1, cause2| {
            Arc::new(DerivationTree::Derived(Derived {
                terms: Map::default(),
                shared_id: None,
                cause1,
                cause2,
            }))
        };
        let extra = Node::Extra(
            PackageName::from_str("native").unwrap(),
            "gpu".parse().unwrap(),
        );
        let tree = derived(
            derived(
                leaf(package("native"), specifiers("<1")),
                Arc::new(DerivationTree::External(External::NotRoot(
                    package("app"),
                    version("1.0"),
                ))),
            ),
            derived(
                leaf(extra, specifiers(">=2")),
                leaf(package("other"), Ranges::full()),
            ),
        );
        let mut out = Vec::new();
        packages_without_versions(&tree, &mut out);
        let found: Vec<String> = out
            .iter()
            .map(|(name, range)| format!("{name} {range}"))
            .collect();
        assert_eq!(found, ["native <1 | >=2", "other *"]);
    }
}
