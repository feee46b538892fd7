//! Resolving requirements for one target with PubGrub.
//!
//! Each target gets its own resolution: markers are evaluated in the
//! target's environment, only versions with a wheel the target accepts (and
//! a `requires-python` it meets) are candidates, and extras are virtual
//! packages (`name[extra]`) that pin their base package to the same version.
//! Constraints narrow every edge to their package. Index pages and metadata
//! come from a [`PackageSource`] shared by all targets, so each is fetched
//! once.
//!
//! PubGrub is synchronous and the index client is not: resolutions run on
//! blocking threads and wait on the runtime for each fetch.

pub mod formats;
mod report;
pub mod source;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName, Requirement, VersionOrUrl};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyConstraints, DependencyProvider,
    PackageResolutionStatistics, PubGrubError, Ranges, Reporter,
};
use serde::Serialize;

pub use source::{Candidate, PackageSource, SourceError};

use crate::manifest::MissingWheel;
use crate::python::target::Target;

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

/// What to resolve, and how strictly.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    pub allow_prereleases: bool,
    /// Source distributions with static metadata may be used when a version
    /// has no wheel for the target.
    pub allow_sdist: bool,
    /// Ignore files uploaded after this time (RFC 3339, compared in UTC).
    pub exclude_newer: Option<String>,
    /// pip's `--no-binary` / `--only-binary`, per package.
    pub formats: formats::FormatControl,
    /// Versions to keep when they still fit (the pins of an existing lock),
    /// by target name: `choose_version` tries them before the newest.
    pub preferences: BTreeMap<String, BTreeMap<PackageName, Version>>,
}

impl ResolveOptions {
    /// `(wheels, sdists)` that `name` may come as: pip's per-package
    /// format options, with sdists only when they are allowed at all.
    pub fn formats_for(&self, name: &PackageName) -> (bool, bool) {
        let (wheels, sdists) = self.formats.allowed(name);
        (wheels, sdists && self.allow_sdist)
    }

    /// A package asked for from source only cannot be had when sdists are
    /// not allowed: refused before any resolution.
    pub fn check_formats(&self) -> Result<(), formats::FormatError> {
        if self.formats.wants_sources() && !self.allow_sdist {
            return Err(formats::FormatError {
                option: "no-binary",
                value: self.formats.source_only().join(","),
                reason: "chiron takes source distributions only with --allow-sdist ([policy] allow-sdist)".into(),
            });
        }
        Ok(())
    }
}

/// One pinned package of a resolution.
#[derive(Debug, Clone, Serialize)]
pub struct Pin {
    pub name: String,
    pub version: String,
    /// The file this target installs.
    pub filename: String,
    /// `direct`, or the packages that require it.
    pub required_by: BTreeSet<String>,
    /// Extras of this package that are active.
    pub extras: BTreeSet<String>,
}

/// A target's resolution: package name to its pin.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub target: String,
    pub pins: BTreeMap<PackageName, Pin>,
    /// The chosen candidate of every pinned package (file, metadata).
    pub candidates: BTreeMap<PackageName, Arc<Candidate>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no set of versions satisfies the requirements on target {target}:\n{explanation}")]
    Conflict {
        target: String,
        explanation: String,
        /// The packages without a wheel for the target that caused it.
        missing: Vec<MissingWheel>,
    },
    #[error("on target {target}: {source}")]
    Source {
        target: String,
        #[source]
        source: SourceError,
    },
    #[error("on target {target}: the resolver stopped: {message}")]
    Internal { target: String, message: String },
}

impl ResolveError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ResolveError::Conflict { missing, .. } if !missing.is_empty() => Some(
                missing
                    .iter()
                    .map(|m| format!("{}: {}", m.package, m.hint))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            ResolveError::Conflict { .. } => Some(
                "loosen one of the requirements named above, or drop the target that cannot be served".into(),
            ),
            ResolveError::Source { source, .. } => source.hint(),
            ResolveError::Internal { .. } => None,
        }
    }
}

fn requirement_ranges(requirement: &Requirement) -> Ranges<Version> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            crate::python::ranges::specifiers_range(specifiers)
        }
        _ => Ranges::full(),
    }
}

struct Provider<'a> {
    source: &'a Arc<PackageSource>,
    target: &'a Target,
    runtime: tokio::runtime::Handle,
    /// Constraint ranges by package.
    constraints: BTreeMap<PackageName, Ranges<Version>>,
    /// Exact pins (`==`) from the requirements: yanked versions allowed.
    exact_pins: BTreeMap<PackageName, BTreeSet<Version>>,
    /// Packages whose requirements name a pre-release.
    prerelease_ok: BTreeSet<PackageName>,
    requirements: Vec<Requirement>,
    options: ResolveOptions,
    /// The target's Python, as `Requires-Python` is checked against it.
    python: Version,
    /// Packages no index or find-links source has, with the error that
    /// said so: a dead end for the version that depends on them, not the
    /// end of the resolution (pip and uv backtrack too).
    missing: std::sync::Mutex<BTreeMap<PackageName, SourceError>>,
}

impl Provider<'_> {
    /// The version an existing lock pins for `name` on this target, when it
    /// is in `range`, a candidate, and not a pre-release that is not allowed.
    fn preferred(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        candidates: &[Arc<Candidate>],
        allow_pre: bool,
    ) -> Option<Version> {
        let preferred = self
            .options
            .preferences
            .get(&self.target.name())?
            .get(name)?;
        (range.contains(preferred)
            && (allow_pre || !preferred.any_prerelease())
            && candidates.iter().any(|c| &c.version == preferred))
        .then(|| preferred.clone())
    }

    fn candidates(&self, name: &PackageName) -> Result<Arc<Vec<Arc<Candidate>>>, SourceError> {
        let exact = self.exact_pins.get(name).cloned().unwrap_or_default();
        self.runtime.block_on(self.source.candidates(
            name,
            self.target,
            &exact,
            self.options.exclude_newer.as_deref(),
            self.options.formats_for(name),
        ))
    }

    /// Starts fetching, in the background, the metadata of the version each
    /// dependency will most likely get (the newest in range), so that a
    /// resolution waits on many downloads at once rather than one by one.
    /// Only a guess: the resolver asks again, and the cache answers.
    fn prefetch(&self, edges: &[(Node, Ranges<Version>)]) {
        for (node, range) in edges {
            let Node::Package(name) = node else { continue };
            let source = Arc::clone(self.source);
            let target = self.target.clone();
            let name = name.clone();
            let range = range.clone();
            let exact = self.exact_pins.get(&name).cloned().unwrap_or_default();
            let exclude_newer = self.options.exclude_newer.clone();
            let allow_pre = self.options.allow_prereleases || self.prerelease_ok.contains(&name);
            let formats = self.options.formats_for(&name);
            let preferred = self
                .options
                .preferences
                .get(&self.target.name())
                .and_then(|p| p.get(&name))
                .cloned();
            self.runtime.spawn(async move {
                let Ok(candidates) = source
                    .candidates(&name, &target, &exact, exclude_newer.as_deref(), formats)
                    .await
                else {
                    return;
                };
                // The locked version when it fits, else the newest.
                let mut fitting = candidates.iter().filter(|c| {
                    range.contains(&c.version) && (allow_pre || !c.version.any_prerelease())
                });
                let likely = match &preferred {
                    Some(version) => fitting
                        .clone()
                        .find(|c| &c.version == version)
                        .or_else(|| fitting.next()),
                    None => fitting.next(),
                };
                if let Some(candidate) = likely {
                    let _ = source.metadata(candidate).await;
                }
            });
        }
    }

    /// The edges for a list of requirements, each narrowed by constraints.
    fn edges<'r>(
        &self,
        requirements: impl Iterator<Item = &'r Requirement>,
        extras: &[ExtraName],
        from: Option<&PackageName>,
    ) -> Result<Vec<(Node, Ranges<Version>)>, String> {
        let mut out: Vec<(Node, Ranges<Version>)> = Vec::new();
        for requirement in requirements {
            if !requirement.marker.evaluate(self.target.markers(), extras) {
                continue;
            }
            if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url {
                return Err(format!(
                    "{} requires {} from a URL ({url}), which a wheelhouse cannot serve",
                    from.map_or("the requirements".to_string(), ToString::to_string),
                    requirement.name
                ));
            }
            let mut range = requirement_ranges(requirement);
            if let Some(limit) = self.constraints.get(&requirement.name) {
                range = range.intersection(limit);
            }
            if from == Some(&requirement.name) && requirement.extras.is_empty() {
                continue; // a package requiring itself adds nothing
            }
            let mut push =
                |node: Node, range: Ranges<Version>| match out.iter_mut().find(|(n, _)| *n == node)
                {
                    Some((_, existing)) => *existing = existing.intersection(&range),
                    None => out.push((node, range)),
                };
            push(Node::Package(requirement.name.clone()), range.clone());
            for extra in &requirement.extras {
                push(
                    Node::Extra(requirement.name.clone(), extra.clone()),
                    range.clone(),
                );
            }
        }
        Ok(out)
    }
}

impl Provider<'_> {
    /// Why a candidate's own core metadata rules it out for this target, as
    /// pip and uv judge it. The index's `requires-python` only filters
    /// early, and many indexes (pypiserver, find-links folders) do not state
    /// it: the metadata decides. A file whose METADATA names another project
    /// or version than its file name is skipped, as pip does.
    fn unusable_metadata(
        &self,
        name: &PackageName,
        version: &Version,
        metadata: &crate::python::metadata::CoreMetadata,
    ) -> Option<String> {
        if let Some(requires) = &metadata.requires_python
            && !requires.contains(&self.python)
        {
            return Some(format!(
                "{name} {version} requires Python {requires} (Requires-Python in its metadata), the target is {}",
                self.target.python
            ));
        }
        if crate::python::normalize(&metadata.name) != name.as_ref() {
            return Some(format!(
                "its METADATA names the project `{}`, not {name}; the file is skipped, as pip does",
                metadata.name
            ));
        }
        if metadata.parsed_version().as_ref() != Some(version) {
            return Some(format!(
                "its METADATA says version {}, its file name {version}; the file is skipped, as pip does",
                metadata.version
            ));
        }
        None
    }
}

/// Errors PubGrub carries back from the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(SourceError);

impl DependencyProvider for Provider<'_> {
    type P = Node;
    type V = Version;
    type VS = Ranges<Version>;
    type Priority = (u32, Reverse<usize>);
    type M = String;
    type Err = ProviderError;

    fn prioritize(
        &self,
        node: &Node,
        range: &Ranges<Version>,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        // Decide conflicted packages first, then exact pins, then the rest
        // breadth first.
        let pinned = range.as_singleton().is_some();
        (
            stats.conflict_count() * 2 + u32::from(pinned),
            Reverse(match node {
                Node::Root => 0,
                Node::Extra(..) => 1,
                Node::Package(_) => 2,
            }),
        )
    }

    fn choose_version(
        &self,
        node: &Node,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ProviderError> {
        let name = match node {
            Node::Root => return Ok(Some(Version::new([0]))),
            Node::Package(name) | Node::Extra(name, _) => name,
        };
        let candidates = match self.candidates(name) {
            Ok(candidates) => candidates,
            Err(error) if error.is_not_found() => {
                self.missing
                    .lock()
                    .expect("never poisoned")
                    .insert(name.clone(), error);
                return Ok(None);
            }
            Err(error) => return Err(ProviderError(error)),
        };
        let allow_pre = self.options.allow_prereleases || self.prerelease_ok.contains(name);
        if let Some(preferred) = self.preferred(name, range, &candidates, allow_pre) {
            return Ok(Some(preferred));
        }
        let in_range = || candidates.iter().filter(|c| range.contains(&c.version));
        // Candidates are sorted newest first. Pre-releases only when allowed,
        // or when nothing else is in range (as pip).
        let finals = in_range().find(|c| allow_pre || !c.version.any_prerelease());
        Ok(finals
            .or_else(|| in_range().next())
            .map(|c| c.version.clone()))
    }

    fn get_dependencies(
        &self,
        node: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Ranges<Version>, String>, ProviderError> {
        let (name, extra) = match node {
            Node::Root => {
                return Ok(match self.edges(self.requirements.iter(), &[], None) {
                    Ok(edges) => {
                        self.prefetch(&edges);
                        Dependencies::Available(
                            edges.into_iter().collect::<DependencyConstraints<_, _>>(),
                        )
                    }
                    Err(reason) => Dependencies::Unavailable(reason),
                });
            }
            Node::Package(name) => (name, None),
            Node::Extra(name, extra) => (name, Some(extra)),
        };
        let candidates = self.candidates(name).map_err(ProviderError)?;
        // The newest candidate is what a resolution usually ends with; an
        // older one is being considered while backtracking.
        let likely_installed = candidates.first().is_some_and(|c| &c.version == version);
        let Some(candidate) = candidates.iter().find(|c| &c.version == version) else {
            return Ok(Dependencies::Unavailable(format!(
                "no wheel of {name} {version} for this target"
            )));
        };
        let metadata = self
            .runtime
            .block_on(self.source.metadata_with(candidate, likely_installed));
        let metadata = match metadata {
            Ok(metadata) => metadata,
            // PubGrub can explain this and try other versions.
            Err(SourceError::DynamicMetadata { filename, reason }) => {
                return Ok(Dependencies::Unavailable(format!(
                    "{filename} cannot be used without building: {reason}"
                )));
            }
            Err(error) => return Err(ProviderError(error)),
        };
        if let Some(reason) = self.unusable_metadata(name, version, &metadata) {
            return Ok(Dependencies::Unavailable(reason));
        }
        let extras: Vec<ExtraName> = extra.cloned().into_iter().collect();
        if let Some(extra) = extra
            && !metadata.extras().contains(extra)
        {
            // pip warns and installs the package without the extra.
            tracing::warn!("{name} {version} has no extra `{extra}`");
        }
        let edges = self.edges(metadata.requires_dist.iter(), &extras, Some(name));
        if let Ok(edges) = &edges {
            self.prefetch(edges);
        }
        Ok(match edges {
            Ok(mut edges) => {
                if extra.is_some() {
                    // `name[extra]` stands for `name` at the same version.
                    edges.retain(|(n, _)| n != &Node::Package(name.clone()));
                    edges.push((
                        Node::Package(name.clone()),
                        Ranges::singleton(version.clone()),
                    ));
                }
                Dependencies::Available(edges.into_iter().collect::<DependencyConstraints<_, _>>())
            }
            Err(reason) => Dependencies::Unavailable(reason),
        })
    }
}

/// Resolves `requirements` for `target`. Must run on a blocking thread of
/// a multi-threaded runtime (see `tokio::task::spawn_blocking`).
pub fn resolve_target(
    source: &Arc<PackageSource>,
    target: &Target,
    requirements: &[Requirement],
    constraints: &[Requirement],
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let mut constraint_ranges: BTreeMap<PackageName, Ranges<Version>> = BTreeMap::new();
    for constraint in constraints {
        if constraint.marker.evaluate(target.markers(), &[]) {
            let range = requirement_ranges(constraint);
            constraint_ranges
                .entry(constraint.name.clone())
                .and_modify(|r| *r = r.intersection(&range))
                .or_insert(range);
        }
    }
    let mut exact_pins: BTreeMap<PackageName, BTreeSet<Version>> = BTreeMap::new();
    let mut prerelease_ok = BTreeSet::new();
    for requirement in requirements.iter().chain(constraints) {
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url {
            for specifier in specifiers.iter() {
                if matches!(
                    specifier.operator(),
                    pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
                ) {
                    exact_pins
                        .entry(requirement.name.clone())
                        .or_default()
                        .insert(specifier.version().clone());
                }
                if specifier.version().any_prerelease() {
                    prerelease_ok.insert(requirement.name.clone());
                }
            }
        }
    }
    let provider = Provider {
        source,
        target,
        runtime: tokio::runtime::Handle::current(),
        constraints: constraint_ranges,
        exact_pins,
        prerelease_ok,
        requirements: requirements.to_vec(),
        options: options.clone(),
        python: Version::new([
            u64::from(target.python.major),
            u64::from(target.python.minor),
        ]),
        missing: std::sync::Mutex::default(),
    };
    let solution = match pubgrub::resolve(&provider, Node::Root, Version::new([0])) {
        Ok(solution) => solution,
        Err(PubGrubError::NoSolution(mut tree)) => {
            let missing = std::mem::take(&mut *provider.missing.lock().expect("never poisoned"));
            // A direct requirement that no source has is a typo or a wrong
            // index, not a conflict: say so as such.
            if let Some(error) = provider
                .requirements
                .iter()
                .filter(|r| r.marker.evaluate(target.markers(), &[]))
                .find_map(|r| missing.get(&r.name))
            {
                return Err(ResolveError::Source {
                    target: target.name(),
                    source: error.clone(),
                });
            }
            // Versions a range excludes are noise in the story, but a
            // package with no wheel at all for the target is the cause
            // users need: say what it does have wheels for.
            let mut unavailable = Vec::new();
            report::packages_without_versions(&tree, &mut unavailable);
            tree.collapse_no_versions();
            let mut explanation = DefaultStringReporter::report_with_formatter(
                &tree,
                &report::Formatter {
                    missing: missing.keys().cloned().collect(),
                },
            );
            for (name, error) in &missing {
                explanation.push_str(&format!("\n{name}: {error}"));
            }
            unavailable.retain(|(name, _)| !missing.contains_key(name));
            let without_wheels = report::missing_wheels(&provider, &unavailable);
            for gap in &without_wheels {
                explanation.push_str(&format!("\n{}: {}", gap.package, gap.reason));
            }
            return Err(ResolveError::Conflict {
                target: target.name(),
                explanation,
                missing: without_wheels,
            });
        }
        Err(PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(PubGrubError::ErrorRetrievingDependencies { source, .. }) => {
            return Err(ResolveError::Source {
                target: target.name(),
                source: source.0,
            });
        }
        Err(other) => {
            return Err(ResolveError::Internal {
                target: target.name(),
                message: other.to_string(),
            });
        }
    };
    build_resolution(&provider, solution.into_iter().collect())
}

/// Pins with their files, and who requires each package.
fn build_resolution(
    provider: &Provider,
    solution: Vec<(Node, Version)>,
) -> Result<Resolution, ResolveError> {
    let target = provider.target.name();
    let source_error = |source: SourceError| ResolveError::Source {
        target: target.clone(),
        source,
    };
    let mut extras_of: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
    for (node, _) in &solution {
        if let Node::Extra(name, extra) = node {
            extras_of
                .entry(name.clone())
                .or_default()
                .insert(extra.clone());
        }
    }
    let mut candidates = BTreeMap::new();
    let mut pins = BTreeMap::new();
    for (node, version) in &solution {
        let Node::Package(name) = node else { continue };
        let list = provider.candidates(name).map_err(source_error)?;
        let candidate = list
            .iter()
            .find(|c| &c.version == version)
            .cloned()
            .ok_or_else(|| ResolveError::Internal {
                target: target.clone(),
                message: format!("the chosen {name} {version} has no candidate"),
            })?;
        pins.insert(
            name.clone(),
            Pin {
                name: name.to_string(),
                version: version.to_string(),
                filename: candidate.file.filename.clone(),
                required_by: BTreeSet::new(),
                extras: extras_of
                    .get(name)
                    .into_iter()
                    .flatten()
                    .map(ToString::to_string)
                    .collect(),
            },
        );
        candidates.insert(name.clone(), candidate);
    }
    // Who requires whom, from the metadata of the chosen versions.
    for requirement in &provider.requirements {
        if requirement.marker.evaluate(provider.target.markers(), &[])
            && let Some(pin) = pins.get_mut(&requirement.name)
        {
            pin.required_by.insert("direct".into());
        }
    }
    for (name, candidate) in &candidates {
        let metadata = provider
            .runtime
            .block_on(provider.source.metadata(candidate))
            .map_err(source_error)?;
        let extras: Vec<ExtraName> = extras_of.get(name).into_iter().flatten().cloned().collect();
        for requirement in &metadata.requires_dist {
            if &requirement.name != name
                && requirement
                    .marker
                    .evaluate(provider.target.markers(), &extras)
                && let Some(pin) = pins.get_mut(&requirement.name)
            {
                pin.required_by.insert(name.to_string());
            }
        }
    }
    Ok(Resolution {
        target,
        pins,
        candidates,
    })
}
