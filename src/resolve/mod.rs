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
mod node;
mod report;
pub mod source;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName, Requirement, VersionOrUrl};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyConstraints, DependencyProvider, DerivationTree,
    PackageResolutionStatistics, PubGrubError, Ranges, Reporter,
};
use serde::Serialize;

pub use node::Node;
pub use source::{Candidate, PackageSource, SourceError};

use crate::manifest::MissingWheel;
use crate::python::target::Target;

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

impl Provider<'_> {
    /// Of the packages without versions, those the index does have files of
    /// in range but none this target can install: each with what the index
    /// offers and the change that would give the target a wheel. The direct
    /// requirements are checked too: PubGrub stops at the first package it
    /// cannot place, and a user fixing one gap should not discover the next
    /// one run later.
    fn missing_wheels(&self, unavailable: &[(PackageName, Ranges<Version>)]) -> Vec<MissingWheel> {
        let mut checks: Vec<(PackageName, Ranges<Version>)> = unavailable.to_vec();
        for requirement in &self.requirements {
            if !requirement.marker.evaluate(self.target.markers(), &[])
                || checks.iter().any(|(name, _)| *name == requirement.name)
            {
                continue;
            }
            let mut range = requirement_ranges(requirement);
            if let Some(limit) = self.constraints.get(&requirement.name) {
                range = range.intersection(limit);
            }
            checks.push((requirement.name.clone(), range));
        }
        let mut out = Vec::new();
        for (name, range) in &checks {
            let Ok(files) = self.runtime.block_on(self.source.files(name)) else {
                continue; // the resolver reported that failure already
            };
            let exact = self.exact_pins.get(name).cloned().unwrap_or_default();
            let in_range = |version: &Version| range.contains(version);
            let limits = crate::index::gap::Limits {
                in_range: &in_range,
                exact_pins: &exact,
                exclude_newer: self.options.exclude_newer.as_deref(),
            };
            out.extend(crate::index::gap::explain_missing(
                name,
                &files,
                self.target,
                &limits,
            ));
        }
        out
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
    let named = || requirements.iter().chain(constraints);
    let provider = Provider {
        source,
        target,
        runtime: tokio::runtime::Handle::current(),
        constraints: constraint_ranges(constraints, target),
        exact_pins: exact_pins(named()),
        prerelease_ok: naming_prereleases(named()),
        requirements: requirements.to_vec(),
        options: options.clone(),
        python: target.python.release(),
        missing: std::sync::Mutex::default(),
    };
    match pubgrub::resolve(&provider, Node::Root, Version::new([0])) {
        Ok(solution) => build_resolution(&provider, solution.into_iter().collect()),
        Err(PubGrubError::NoSolution(tree)) => Err(provider.no_solution(tree)),
        Err(PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(PubGrubError::ErrorRetrievingDependencies { source, .. }) => {
            Err(ResolveError::Source {
                target: target.name(),
                source: source.0,
            })
        }
        Err(other) => Err(ResolveError::Internal {
            target: target.name(),
            message: other.to_string(),
        }),
    }
}

/// The constraints that apply on `target`, intersected by package.
fn constraint_ranges(
    constraints: &[Requirement],
    target: &Target,
) -> BTreeMap<PackageName, Ranges<Version>> {
    let mut ranges: BTreeMap<PackageName, Ranges<Version>> = BTreeMap::new();
    for constraint in constraints {
        if constraint.marker.evaluate(target.markers(), &[]) {
            let range = requirement_ranges(constraint);
            ranges
                .entry(constraint.name.clone())
                .and_modify(|r| *r = r.intersection(&range))
                .or_insert(range);
        }
    }
    ranges
}

/// The versions pinned with `==` or `===`, by package: their yanked files
/// are allowed (PEP 592).
fn exact_pins<'r>(
    requirements: impl Iterator<Item = &'r Requirement>,
) -> BTreeMap<PackageName, BTreeSet<Version>> {
    let mut pins: BTreeMap<PackageName, BTreeSet<Version>> = BTreeMap::new();
    for (requirement, specifier) in specifiers_of(requirements) {
        if matches!(
            specifier.operator(),
            pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
        ) {
            pins.entry(requirement.name.clone())
                .or_default()
                .insert(specifier.version().clone());
        }
    }
    pins
}

/// Packages whose requirements name a pre-release, which allows them.
fn naming_prereleases<'r>(
    requirements: impl Iterator<Item = &'r Requirement>,
) -> BTreeSet<PackageName> {
    specifiers_of(requirements)
        .filter(|(_, specifier)| specifier.version().any_prerelease())
        .map(|(requirement, _)| requirement.name.clone())
        .collect()
}

/// Every version specifier of the requirements, with its requirement.
fn specifiers_of<'r>(
    requirements: impl Iterator<Item = &'r Requirement>,
) -> impl Iterator<Item = (&'r Requirement, &'r pep440_rs::VersionSpecifier)> {
    requirements.flat_map(|requirement| {
        let specifiers = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.iter().as_slice(),
            _ => &[],
        };
        specifiers
            .iter()
            .map(move |specifier| (requirement, specifier))
    })
}

impl Provider<'_> {
    /// The error for a resolution without a solution: a direct requirement
    /// no source has, else the conflict in words with the packages that
    /// have no wheel for the target.
    fn no_solution(&self, mut tree: DerivationTree<Node, Ranges<Version>, String>) -> ResolveError {
        let target = self.target;
        let missing = std::mem::take(&mut *self.missing.lock().expect("never poisoned"));
        // A direct requirement that no source has is a typo or a wrong
        // index, not a conflict: say so as such.
        if let Some(error) = self
            .requirements
            .iter()
            .filter(|r| r.marker.evaluate(target.markers(), &[]))
            .find_map(|r| missing.get(&r.name))
        {
            return ResolveError::Source {
                target: target.name(),
                source: error.clone(),
            };
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
        let without_wheels = self.missing_wheels(&unavailable);
        for gap in &without_wheels {
            explanation.push_str(&format!("\n{}: {}", gap.package, gap.reason));
        }
        ResolveError::Conflict {
            target: target.name(),
            explanation,
            missing: without_wheels,
        }
    }
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::source::tests::{MemoryWheel, in_memory};
    use super::*;
    use crate::python::target::{Floors, Platform};
    use crate::python::version::PythonVersion;

    fn target(platform: &str) -> Target {
        Target::new(
            PythonVersion::new(3, 12),
            Platform::from_str(platform).unwrap(),
            Floors::default(),
        )
        .unwrap()
    }

    fn requirements(texts: &[&str]) -> Vec<Requirement> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    /// Resolves over an in-memory index, on a blocking thread as the CLI does.
    fn resolve(
        wheels: &[MemoryWheel],
        target: Target,
        wanted: &[&str],
        constraints: &[&str],
        options: ResolveOptions,
    ) -> Result<Resolution, ResolveError> {
        let scratch = tempfile::tempdir().unwrap();
        let source = in_memory(scratch.path(), wheels);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (wanted, constraints) = (requirements(wanted), requirements(constraints));
        let resolution = runtime.spawn_blocking(move || {
            resolve_target(&source, &target, &wanted, &constraints, &options)
        });
        runtime.block_on(resolution).unwrap()
    }

    /// `name==version` of every pin, sorted by name.
    fn pinned(resolution: &Resolution) -> Vec<String> {
        resolution
            .pins
            .values()
            .map(|pin| format!("{}=={}", pin.name, pin.version))
            .collect()
    }

    fn app_graph() -> Vec<MemoryWheel<'static>> {
        vec![
            MemoryWheel {
                requires_dist: &[
                    "six>=1.15",
                    "colorama; sys_platform == 'win32'",
                    "speedups>=2; extra == 'fast'",
                ],
                extras: &["fast"],
                ..MemoryWheel::new("app", "1.0")
            },
            MemoryWheel::new("six", "1.14.0"),
            MemoryWheel::new("six", "1.16.0"),
            MemoryWheel::new("colorama", "0.4.6"),
            MemoryWheel::new("speedups", "1.0"),
            MemoryWheel::new("speedups", "2.1"),
        ]
    }

    #[test]
    fn markers_are_evaluated_per_target_and_extras_pull_their_dependencies() {
        let linux = resolve(
            &app_graph(),
            target("linux-x86_64"),
            &["app"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap();
        assert_eq!(linux.target, "3.12-linux-x86_64");
        assert_eq!(pinned(&linux), ["app==1.0", "six==1.16.0"]);

        let windows = resolve(
            &app_graph(),
            target("windows-x86_64"),
            &["app[fast]"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap();
        assert_eq!(
            pinned(&windows),
            [
                "app==1.0",
                "colorama==0.4.6",
                "six==1.16.0",
                "speedups==2.1"
            ]
        );
        let app = &windows.pins[&PackageName::from_str("app").unwrap()];
        assert_eq!(app.filename, "app-1.0-py3-none-any.whl");
        assert_eq!(app.extras, BTreeSet::from(["fast".to_string()]));
        assert_eq!(app.required_by, BTreeSet::from(["direct".to_string()]));
        let speedups = &windows.pins[&PackageName::from_str("speedups").unwrap()];
        assert_eq!(speedups.required_by, BTreeSet::from(["app".to_string()]));
        assert!(speedups.extras.is_empty());
        assert_eq!(windows.candidates.len(), 4);
    }

    #[test]
    fn constraints_narrow_and_a_locked_version_is_kept_while_it_fits() {
        let wheels = [
            MemoryWheel::new("six", "1.14.0"),
            MemoryWheel::new("six", "1.15.0"),
            MemoryWheel::new("six", "1.16.0"),
        ];
        let six = |constraints: &[&str], locked: Option<&str>| {
            let mut options = ResolveOptions::default();
            if let Some(version) = locked {
                options.preferences.insert(
                    "3.12-linux-x86_64".into(),
                    [(
                        PackageName::from_str("six").unwrap(),
                        Version::from_str(version).unwrap(),
                    )]
                    .into(),
                );
            }
            let resolution = resolve(
                &wheels,
                target("linux-x86_64"),
                &["six"],
                constraints,
                options,
            )
            .unwrap();
            pinned(&resolution)
        };
        assert_eq!(six(&[], None), ["six==1.16.0"]);
        assert_eq!(six(&["six<1.16"], None), ["six==1.15.0"]);
        // A constraint on a package nothing requires adds nothing.
        assert_eq!(six(&["other==1"], None), ["six==1.16.0"]);
        assert_eq!(six(&[], Some("1.14.0")), ["six==1.14.0"]);
        // The locked version outside the range, or not on the index, gives way.
        assert_eq!(six(&["six>=1.15"], Some("1.14.0")), ["six==1.16.0"]);
        assert_eq!(six(&[], Some("1.13.0")), ["six==1.16.0"]);
    }

    #[test]
    fn pre_releases_only_when_asked_for() {
        let wheels = [
            MemoryWheel::new("lib", "1.0"),
            MemoryWheel::new("lib", "2.0b1"),
        ];
        let lib = |wanted: &str, allow_prereleases: bool| {
            let options = ResolveOptions {
                allow_prereleases,
                ..ResolveOptions::default()
            };
            pinned(&resolve(&wheels, target("linux-x86_64"), &[wanted], &[], options).unwrap())
        };
        assert_eq!(lib("lib", false), ["lib==1.0"]);
        assert_eq!(lib("lib", true), ["lib==2.0b1"]);
        // A requirement naming a pre-release allows them for its package.
        assert_eq!(lib("lib>=2.0b1", false), ["lib==2.0b1"]);
        // And with nothing else in range, pip takes the pre-release too.
        assert_eq!(lib("lib>1", false), ["lib==2.0b1"]);
    }

    #[test]
    fn a_conflict_is_told_in_words_with_a_hint() {
        let wheels = [
            MemoryWheel {
                requires_dist: &["common<2"],
                ..MemoryWheel::new("left", "1.0")
            },
            MemoryWheel {
                requires_dist: &["common>=2"],
                ..MemoryWheel::new("right", "1.0")
            },
            MemoryWheel::new("common", "1.0"),
            MemoryWheel::new("common", "2.0"),
        ];
        let error = resolve(
            &wheels,
            target("linux-x86_64"),
            &["left", "right"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "no set of versions satisfies the requirements on target 3.12-linux-x86_64:\n\
             Because left depends on common <2 and right==1.0 depends on common >=2, \
             left, right==1.0 cannot be used together.\n\
             And because the requirements require left and the requirements require right, \
             the requirements cannot be satisfied."
        );
        assert!(
            matches!(&error, ResolveError::Conflict { missing, .. } if missing.is_empty()),
            "{error:?}"
        );
        assert_eq!(
            error.hint().as_deref(),
            Some(
                "loosen one of the requirements named above, or drop the target that cannot be served"
            )
        );
    }

    #[test]
    fn a_package_without_a_wheel_for_the_target_is_named_with_the_fix() {
        let wheels = [
            MemoryWheel {
                requires_dist: &["native"],
                ..MemoryWheel::new("app", "1.0")
            },
            MemoryWheel {
                tag: "cp312-cp312-win_amd64",
                ..MemoryWheel::new("native", "2.0")
            },
        ];
        let error = resolve(
            &wheels,
            target("linux-x86_64"),
            &["app"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "no set of versions satisfies the requirements on target 3.12-linux-x86_64:\n\
             Because app depends on native and the requirements require app, \
             the requirements cannot be satisfied.\n\
             native: version 2.0 has no wheel for cp312 on manylinux_2_17_x86_64 or a \
             pure-Python wheel; it has wheels for win_amd64, with Python tags cp312"
        );
        let ResolveError::Conflict { missing, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].package, "native");
        let offered = missing[0].offered.as_ref().unwrap();
        assert_eq!(
            (offered.version.as_str(), &offered.platform_tags[..]),
            ("2.0", &["win_amd64".to_string()][..])
        );
        assert_eq!(
            error.hint().unwrap(),
            "native: no release of native has a wheel 3.12-linux-x86_64 can use: drop the \
             target, or build the wheel yourself and serve it with --find-links"
        );
    }

    #[test]
    fn a_requirement_no_source_has_is_not_a_conflict() {
        let error = resolve(
            &app_graph(),
            target("linux-x86_64"),
            &["six", "sixx"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap_err();
        let ResolveError::Source { target: on, source } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(on, "3.12-linux-x86_64");
        assert!(source.is_not_found(), "{source:?}");
        let text = error.to_string();
        assert!(
            text.starts_with("on target 3.12-linux-x86_64: package `sixx` was not found on ")
                && text.ends_with("find-links"),
            "{text}"
        );

        // Deeper in the graph it is a dead end for the version needing it.
        let wheels = [
            MemoryWheel {
                requires_dist: &["gone"],
                ..MemoryWheel::new("app", "2.0")
            },
            MemoryWheel::new("app", "1.0"),
        ];
        let resolution = resolve(
            &wheels,
            target("linux-x86_64"),
            &["app"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap();
        assert_eq!(pinned(&resolution), ["app==1.0"]);
        let error = resolve(
            &wheels,
            target("linux-x86_64"),
            &["app==2.0"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(
                "no set of versions satisfies the requirements on target 3.12-linux-x86_64:\n\
                 Because app==2.0 depends on gone and the requirements require app==2.0, \
                 the requirements cannot be satisfied.\n\
                 gone: package `gone` was not found on "
            ),
            "{text}"
        );
    }

    #[test]
    fn a_url_requirement_cannot_be_served() {
        let error = resolve(
            &app_graph(),
            target("linux-x86_64"),
            &["six @ https://example.invalid/six-1.16.0-py2.py3-none-any.whl"],
            &[],
            ResolveOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "no set of versions satisfies the requirements on target 3.12-linux-x86_64:\n\
             the requirements: the requirements requires six from a URL \
             (https://example.invalid/six-1.16.0-py2.py3-none-any.whl), \
             which a wheelhouse cannot serve"
        );
    }

    #[test]
    fn nodes_are_named_as_users_write_them() {
        let name = PackageName::from_str("Typing_Extensions").unwrap();
        let extra = ExtraName::from_str("cli").unwrap();
        assert_eq!(Node::Root.to_string(), "the requirements");
        assert_eq!(Node::Package(name.clone()).to_string(), "typing-extensions");
        assert_eq!(
            Node::Extra(name, extra).to_string(),
            "typing-extensions[cli]"
        );
    }

    #[test]
    fn source_only_packages_need_sdists_allowed() {
        let mut options = ResolveOptions::default();
        options.formats.no_binary("lxml,PyYAML").unwrap();
        let error = options.check_formats().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`lxml,pyyaml` is not a valid value for --no-binary: chiron takes source \
             distributions only with --allow-sdist ([policy] allow-sdist)"
        );
        let lxml = PackageName::from_str("lxml").unwrap();
        let six = PackageName::from_str("six").unwrap();
        assert_eq!(options.formats_for(&lxml), (false, false));
        assert_eq!(options.formats_for(&six), (true, false));
        options.allow_sdist = true;
        assert_eq!(options.check_formats(), Ok(()));
        assert_eq!(options.formats_for(&lxml), (false, true));
        assert_eq!(options.formats_for(&six), (true, true));
    }
}
