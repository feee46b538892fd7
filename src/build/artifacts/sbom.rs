//! The CycloneDX 1.6 SBOM of a built wheel, written by `crate::sbom` as
//! every chiron SBOM is:
//!
//! - the wheel is the root component (`metadata.component`), with its
//!   sha256 once the wheel is final (the copy inside the wheel, PEP 770,
//!   cannot name the hash of the file it is in);
//! - `components` are its runtime dependencies: what the wheel's
//!   `Requires-Dist` (without extras) reaches in the project's lock;
//! - the build dependencies are a formula of `formulation`, the
//!   construct CycloneDX has for how a component was made. Consumers read
//!   `components` as what ships with the wheel; tools that are only in the
//!   build environment must not show up there (a scanner would flag a
//!   vulnerable setuptools as installed). `metadata.lifecycles` says
//!   `build`, but it is one value for the whole BOM and so cannot keep two
//!   sets apart by itself.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::build::types::BuildDependency;
use crate::digest::Sha256;
use crate::manifest::{Manifest, ManifestFile, ManifestPackage, PackageUse, Parent, TargetScope};
use crate::python::NormalizedName;
use crate::python::metadata::CoreMetadata;
use crate::sbom::{SbomOptions, SpecVersion};

/// What one wheel's SBOM is made of.
pub struct WheelSbom<'a> {
    pub filename: &'a str,
    pub metadata: &'a CoreMetadata,
    /// The project's lock, read into the manifest's shape.
    pub lock: Option<&'a Manifest>,
    pub build: &'a [BuildDependency],
    pub epoch: u64,
}

/// The `bom-ref` of the build environment's formula, and the prefix of
/// its components' (a build tool may also be a runtime dependency at the
/// same version: its two components must not share a reference).
const FORMULA_REF: &str = "build-environment";
const BUILD_REF_PREFIX: &str = "build/";

impl WheelSbom<'_> {
    /// The BOM as pretty JSON; the root component carries `sha256` when
    /// given.
    pub fn text(&self, sha256: Option<&Sha256>) -> String {
        let runtime = match self.lock {
            Some(lock) => runtime_manifest(lock, self.metadata),
            None => crate::inventory::empty_manifest(),
        };
        let mut bom = crate::sbom::cyclonedx_document(&runtime, &self.options(), None);
        let root = &mut bom["metadata"]["component"];
        root["type"] = json!("library");
        root["purl"] = json!(crate::sbom::purl(
            &self.metadata.name,
            &self.metadata.version
        ));
        root["properties"] = json!([{ "name": "chiron:file", "value": self.filename }]);
        if let Some(sha256) = sha256 {
            root["hashes"] = json!([{ "alg": "SHA-256", "content": sha256.to_string() }]);
        }
        bom["metadata"]["lifecycles"] = json!([{ "phase": "build" }]);
        if !self.build.is_empty() {
            bom["formulation"] = json!([self.formula()]);
        }
        crate::sbom::bom_text(bom)
    }

    fn options(&self) -> SbomOptions {
        SbomOptions {
            spec: SpecVersion::V1_6,
            project: self.metadata.name.clone(),
            project_version: Some(self.metadata.version.clone()),
            source_date_epoch: Some(self.epoch as i64),
        }
    }

    /// The build environment: its packages as components (written as the
    /// runtime ones are), used by one `build` workflow.
    fn formula(&self) -> Value {
        let document =
            crate::sbom::cyclonedx_document(&build_manifest(self.build), &self.options(), None);
        let mut components = document["components"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for component in &mut components {
            let reference = component["bom-ref"].as_str().unwrap_or_default();
            component["bom-ref"] = json!(format!("{BUILD_REF_PREFIX}{reference}"));
        }
        let references: Vec<Value> = components
            .iter()
            .map(|c| json!({ "ref": c["bom-ref"] }))
            .collect();
        json!({
            "bom-ref": FORMULA_REF,
            "components": components,
            "workflows": [{
                "bom-ref": "pep517-build",
                "uid": "pep517-build",
                "name": "PEP 517 build in an isolated environment installed from the build lock",
                "taskTypes": ["build"],
                "resourceReferences": references,
            }],
        })
    }
}

/// The build dependencies in the manifest's shape: one package and one
/// file each, all of them installed together.
fn build_manifest(build: &[BuildDependency]) -> Manifest {
    let mut manifest = crate::inventory::empty_manifest();
    for dependency in build {
        manifest.packages.push(ManifestPackage {
            name: dependency.name.clone(),
            version: dependency.version.clone(),
            license: None,
            summary: None,
            authors: None,
            requires_dist: Vec::new(),
            targets: BTreeMap::from([(
                TargetScope::All,
                PackageUse {
                    file: dependency.filename.clone(),
                    required_by: vec![Parent::Direct],
                    extras: Vec::new(),
                },
            )]),
        });
        manifest.files.push(ManifestFile {
            filename: dependency.filename.clone(),
            sha256: Some(dependency.sha256),
            size: 0,
            url: crate::index::redact_url(&dependency.url),
            index: String::new(),
            yanked: false,
            targets: vec![TargetScope::All],
            upload_time: None,
        });
    }
    manifest
        .packages
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    manifest.files.sort_by(|a, b| a.filename.cmp(&b.filename));
    manifest
}

/// The names the wheel requires whatever extras are asked for.
fn required_names(wheel: &CoreMetadata) -> BTreeSet<NormalizedName> {
    wheel
        .requires_dist
        .iter()
        .filter(|r| r.marker.evaluate_extras(&[]))
        .map(|r| NormalizedName::new(r.name.as_ref()))
        .collect()
}

/// Package to the packages it requires, from the parents the lock records.
fn lock_children(lock: &Manifest) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut children: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for package in &lock.packages {
        for parent in package.targets.values().flat_map(|u| &u.required_by) {
            if let Parent::Package(parent) = parent {
                children
                    .entry(parent.as_str())
                    .or_default()
                    .insert(package.name.as_str());
            }
        }
    }
    children
}

/// The lock's packages the wheel needs at run time: what its
/// requirements reach through the lock's dependency edges. A lock that
/// records no edges cannot tell what is reached: all its packages are
/// kept. The project itself is never its own dependency.
fn runtime_names<'a>(lock: &'a Manifest, wheel: &CoreMetadata) -> BTreeSet<&'a str> {
    let own = NormalizedName::new(&wheel.name);
    let children = lock_children(lock);
    let in_lock: BTreeSet<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
    let mut kept: BTreeSet<&str> = BTreeSet::new();
    if children.is_empty() {
        kept = in_lock;
    } else {
        let roots = required_names(wheel);
        let mut stack: Vec<&str> = in_lock
            .iter()
            .copied()
            .filter(|n| roots.contains(*n))
            .collect();
        while let Some(name) = stack.pop() {
            if kept.insert(name) {
                stack.extend(children.get(name).into_iter().flatten().copied());
            }
        }
    }
    kept.remove(own.as_str());
    kept
}

/// The lock narrowed to the wheel's runtime dependencies, each required
/// by the packages kept that require it, or by the wheel (`direct`).
fn runtime_manifest(lock: &Manifest, wheel: &CoreMetadata) -> Manifest {
    let kept = runtime_names(lock, wheel);
    let roots = required_names(wheel);
    let mut manifest = crate::inventory::empty_manifest();
    for package in lock
        .packages
        .iter()
        .filter(|p| kept.contains(p.name.as_str()))
    {
        manifest
            .files
            .extend(crate::sbom::files_of(lock, package).into_iter().cloned());
        let mut package = package.clone();
        for usage in package.targets.values_mut() {
            usage.required_by.retain(|parent| match parent {
                Parent::Package(name) => kept.contains(name.as_str()),
                Parent::Direct => false,
            });
            if roots.contains(&package.name) || usage.required_by.is_empty() {
                usage.required_by.push(Parent::Direct);
            }
        }
        manifest.packages.push(package);
    }
    manifest.files.sort_by(|a, b| a.filename.cmp(&b.filename));
    manifest.files.dedup_by(|a, b| a.filename == b.filename);
    manifest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, parents: &[&str]) -> ManifestPackage {
        ManifestPackage {
            name: NormalizedName::new(name),
            version: "1.0".into(),
            license: None,
            summary: None,
            authors: None,
            requires_dist: Vec::new(),
            targets: BTreeMap::from([(
                TargetScope::All,
                PackageUse {
                    file: format!("{name}-1.0-py3-none-any.whl"),
                    required_by: parents.iter().map(|p| Parent::from(*p)).collect(),
                    extras: Vec::new(),
                },
            )]),
        }
    }

    fn lock(packages: Vec<ManifestPackage>) -> Manifest {
        let mut manifest = crate::inventory::empty_manifest();
        manifest.packages = packages;
        manifest
    }

    fn wheel(requires: &str) -> CoreMetadata {
        CoreMetadata::parse(
            &format!("Metadata-Version: 2.1\nName: App\nVersion: 1.0\n{requires}"),
            "METADATA",
        )
        .unwrap()
    }

    fn names(manifest: &Manifest) -> Vec<(String, Vec<String>)> {
        manifest
            .packages
            .iter()
            .map(|p| {
                let parents = p.targets[&TargetScope::All]
                    .required_by
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .collect();
                (p.name.to_string(), parents)
            })
            .collect()
    }

    #[test]
    fn the_runtime_is_what_the_requirements_reach_in_the_lock() {
        // A uv-style project lock, sorted as read: the project, its runtime
        // closure, a dev tool, and an optional dependency behind an extra.
        let lock = lock(vec![
            package("app", &["direct"]),
            package("fancy", &["app"]),
            package("leaf", &["lib"]),
            package("lib", &["app"]),
            package("pytest", &["direct"]),
        ]);
        let wheel = wheel("Requires-Dist: lib>=1\nRequires-Dist: fancy; extra == \"ui\"\n");
        assert_eq!(
            names(&runtime_manifest(&lock, &wheel)),
            [
                ("leaf".to_string(), vec!["lib".to_string()]),
                ("lib".to_string(), vec!["direct".to_string()]),
            ]
        );
    }

    #[test]
    fn a_lock_without_edges_is_kept_whole_but_for_the_project() {
        let lock = lock(vec![
            package("app", &["direct"]),
            package("lib", &["direct"]),
            package("other", &["direct"]),
        ]);
        let kept = runtime_names(&lock, &wheel("Requires-Dist: lib\n"));
        assert_eq!(kept, BTreeSet::from(["lib", "other"]));
    }

    #[test]
    fn build_tools_get_references_of_their_own() {
        let dependency = BuildDependency {
            name: NormalizedName::new("setuptools"),
            version: "75.0".into(),
            filename: "setuptools-75.0-py3-none-any.whl".into(),
            sha256: Sha256::of(b"setuptools"),
            url: "https://user:secret@example.test/setuptools-75.0-py3-none-any.whl".into(),
        };
        let metadata = wheel("");
        let sbom = WheelSbom {
            filename: "app-1.0-py3-none-any.whl",
            metadata: &metadata,
            lock: None,
            build: &[dependency],
            epoch: 315_532_800,
        };
        let bom: Value = serde_json::from_str(&sbom.text(None)).unwrap();
        let tool = &bom["formulation"][0]["components"][0];
        assert_eq!(tool["bom-ref"], "build/pkg:pypi/setuptools@75.0");
        assert_eq!(tool["purl"], "pkg:pypi/setuptools@75.0");
        assert!(!bom.to_string().contains("secret"), "credentials removed");
        assert_eq!(
            bom["formulation"][0]["workflows"][0]["resourceReferences"][0]["ref"],
            tool["bom-ref"]
        );
        assert_eq!(bom["components"], json!([]));
        assert!(bom["metadata"]["component"].get("hashes").is_none());
    }
}
