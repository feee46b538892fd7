//! `chiron serve`'s model and pages: what a wheelhouse, a folder of
//! distributions or an air-gap bundle serves as a package index, and that
//! index as the simple API (PEP 503 HTML and PEP 691 JSON, with PEP 629,
//! 592, 658/714, 700 and 740), rendered to bytes or exported as a static
//! tree any web server or object store can host.
//!
//! The parts, each with one job: what is served (`source`), the index
//! read from it (`model`), its pages and the choice between them
//! (`render`), the static tree (`export`), and the HTTP server
//! (`server`), which only routes a request to a page of [`render`] and a
//! file of the [`model::Index`], or an upload to `upload` (the form, its
//! checks and the commit into a source, opt-in with `--allow-upload`),
//! its OpenAPI document (`openapi`) and its request metrics (`metrics`).

mod error;
pub mod export;
mod metrics;
pub mod model;
pub mod openapi;
pub mod render;
pub mod server;
pub mod source;
pub mod upload;

pub use error::ServeError;
pub use export::{ExportReport, export_static};
pub use model::{Asset, CoreMetadataFile, File, Index, IndexOptions, Project, Skipped, read_index};
pub use render::{Format, NotAcceptable, negotiate};
pub use server::{ServerOptions, serve};
pub use source::{BundleTrust, OpenedSource, SourceKind, SourceSpec, open_source};
pub use upload::{DEFAULT_MAX_UPLOAD_BYTES, Tokens, UploadSettings, Uploads, new_token};
