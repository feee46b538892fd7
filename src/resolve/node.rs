//! The nodes of a resolution graph: the requirements, a package, or a
//! package with one extra. At the bottom of `resolve`: the provider and the
//! conflict report both speak of nodes.

use std::fmt;

use pep508_rs::{ExtraName, PackageName};

/// A node of the resolution graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// The requirements being resolved.
    Root,
    Package(PackageName),
    /// `name[extra]`: the package with one extra's dependencies.
    Extra(PackageName, ExtraName),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Root => f.write_str("the requirements"),
            Node::Package(name) => write!(f, "{name}"),
            Node::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}
