//! chiron: the supply chain of Python wheels in one tool.
//!
//! The library holds every capability; the `chiron` binary only parses
//! arguments, calls one function per command and renders the result.
//! Modules follow the data flow (see `docs/architecture.md`).

pub mod atomic;
pub mod build;
pub mod bundle;
pub mod config;
pub mod diagnose;
pub mod digest;
pub mod doctor;
pub mod error;
pub mod index;
pub mod inventory;
pub mod lock;
pub mod manifest;
pub mod oci;
pub mod plan_error;
pub mod policy;
pub mod project;
pub mod publish;
pub mod python;
pub mod redact;
pub mod release;
pub mod resolve;
pub mod sarif;
pub mod sbom;
pub mod serve;
pub mod sign;
pub mod telemetry;
pub mod time;
pub mod vuln;
pub mod wheelhouse;
pub mod workflow;

pub use error::Error;
