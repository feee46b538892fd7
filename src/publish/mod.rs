//! Publishing built distributions to a package index: the legacy upload
//! API as twine speaks it (a `multipart/form-data` POST of the file and its
//! core metadata), credentials from the environment or `.netrc`, and
//! trusted publishing (an upload token minted for a CI run).
//!
//! The parts, each with one job: what a file to upload is (`dist`, with
//! its metadata read by `metadata`), the form (`form`), who uploads
//! (`credentials`, `oidc`), and sending (`http`, `upload`). Which files
//! are sent, skipped or refused is decided by `crate::workflow::publish`.
//! Nothing here prints, and no password or token reaches a message.

pub mod credentials;
pub mod dist;
pub mod error;
pub mod form;
pub mod http;
pub mod metadata;
pub mod oidc;
pub mod upload;

pub use error::PublishError;
