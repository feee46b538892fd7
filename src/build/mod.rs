//! `chiron build`: the project's own sdist and wheels, built by its PEP 517
//! backend in an isolated environment installed from a hash-pinned build
//! lock, reproducibly, with the artifacts a release needs beside them.
//!
//! - [`system`]: the project's `[build-system]`;
//! - [`lock`]: the build requirements, hash-pinned, and their wheels;
//! - [`env`]: the isolated environment installed from the build lock;
//! - [`hooks`]: calling the backend's PEP 517 hooks;
//! - [`source`]: git state, the build time, copies and unpacked sdists;
//! - [`normalize`]: removes what a backend leaves nondeterministic without
//!   meaning (entry order, timestamps, attributes), keeping RECORD true;
//! - [`compare`]: a wheel-aware and sdist-aware report of every difference
//!   between two builds (`--check`, `--compare`);
//! - [`archive`] and [`record`]: wheels and sdists read within bounds, and
//!   a wheel's RECORD, for the two above;
//! - [`artifacts`]: `SHA256SUMS`, an SBOM per wheel, signatures and an
//!   SLSA provenance statement in `dist/`.

pub mod archive;
pub mod artifacts;
pub mod compare;
pub mod env;
pub mod error;
pub mod hooks;
pub mod lock;
pub mod normalize;
pub mod record;
pub mod repair;
pub mod source;
pub mod system;
pub mod types;

pub use error::BuildError;
pub use types::{BuildDependency, BuiltFile, DistKind, SourceInfo};
